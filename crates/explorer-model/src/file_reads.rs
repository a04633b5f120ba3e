//! Files opened together, read by the engine's host (the worker, off the page's thread) in the
//! order and at the pace decided here, and handed to the engine as [`Command::Load`] and
//! [`Command::LoadMore`]. It never touches a file itself: the host starts the reads it is told
//! to and reports each one's bytes, so the policy is plain data, tested natively.
//!
//! A few small files ([`SMALL_LOAD_BYTES`] in all) are read whole and loaded as one page set,
//! on screen at the next paint. A larger set is streamed: the load starts at once and each file
//! is read only when the engine has room for it ([`crate::Engine::load_bytes_wanted`]), a few at
//! once to hide a read's latency behind parsing, handed over in the order they were opened.

use std::collections::VecDeque;

use crate::engine::{Command, SourceKind, SMALL_LOAD_BYTES};
use crate::loader::Page;

/// Reads begun at once in a streamed load: enough to hide a read's latency behind parsing,
/// few enough that a cancelled load leaves little in flight.
pub const READS_AT_ONCE: usize = 4;

/// How many `File` handles the page sends in one message ([`Command::OpenFiles`] the first,
/// each [`Command::MoreFiles`] the next, in a task of its own). For a file the user picked,
/// Chromium looks its metadata up on the sending thread the first time the file is cloned or
/// asked its `size` (0.3–0.9 ms a file, measured: a batch of 64 made 40–60 ms tasks), so a batch
/// stays small enough for a frame, the page never asks a file its name or size, and the worker
/// learns each file's name and size from its handle, a batch at a time. Sixteen a batch still
/// outruns the reads: the worker reads ~20 files ahead of its parsing.
pub const HANDLES_AT_ONCE: usize = 16;

/// A read begun and not handed over yet.
#[derive(Debug)]
enum Slot {
    Reading,
    /// Done: the file's bytes, or `None` when it could not be read.
    Read(Option<Vec<u8>>),
}

/// The reads of one set of opened files (see the module docs).
#[derive(Debug)]
pub struct FileReads {
    label: String,
    /// How many files were opened.
    count: usize,
    /// Name and size of each file whose handle has arrived, in the order opened.
    files: Vec<(String, usize)>,
    /// Read whole (small) rather than streamed.
    whole: bool,
    /// Files whose read has been begun (the first `started`).
    started: usize,
    /// Reads not handed over yet, by file index from `handed` on.
    slots: VecDeque<Slot>,
    /// Files handed to the engine (the front of `slots` is file `handed`).
    handed: usize,
    /// Bytes of the files in `slots`.
    in_flight: usize,
    /// The whole set so far (read whole only): pages and the names that could not be read.
    pages: Vec<Page>,
    unreadable: Vec<String>,
}

impl FileReads {
    /// `count` files opened together, shown as `label`, of which `first` (name and size, in the
    /// order opened) have arrived: a set that arrived whole and is small is read whole, any
    /// other is streamed (more arrive with [`FileReads::arrived`]).
    pub fn new(label: String, count: usize, first: Vec<(String, usize)>) -> FileReads {
        let total: usize = first.iter().map(|(_, size)| size).sum();
        FileReads {
            label,
            count,
            whole: first.len() >= count && total <= SMALL_LOAD_BYTES,
            files: first,
            started: 0,
            slots: VecDeque::new(),
            handed: 0,
            in_flight: 0,
            pages: Vec::new(),
            unreadable: Vec::new(),
        }
    }

    /// The next files' names and sizes, in order (beyond the `count` opened, none is taken).
    pub fn arrived(&mut self, more: Vec<(String, usize)>) {
        let room = self.count.saturating_sub(self.files.len());
        self.files.extend(more.into_iter().take(room));
    }

    /// What the engine is told before any file is read: a streamed load starts at once (its
    /// progress shows, what is on screen stays until its first page); a small set says nothing
    /// until it has been read.
    pub fn begin(&self) -> Option<Command> {
        (!self.whole).then(|| Command::Load {
            source: SourceKind::Files,
            label: self.label.clone(),
            pages: Vec::new(),
            following: self.count,
        })
    }

    /// The files to start reading now (their indexes), given the bytes the engine wants
    /// ([`crate::Engine::load_bytes_wanted`]), among those that have arrived: a small set all
    /// at once; a streamed one as many as fit in what is wanted, at least one when none is
    /// being read, at most [`READS_AT_ONCE`].
    pub fn to_read(&mut self, wanted: usize) -> Vec<usize> {
        let mut start = Vec::new();
        while let Some((_, size)) = self.files.get(self.started) {
            let room = self.whole
                || (self.slots.is_empty() && wanted > 0)
                || (self.slots.len() < READS_AT_ONCE && self.in_flight + size <= wanted);
            if !room {
                break;
            }
            start.push(self.started);
            self.in_flight += size;
            self.slots.push_back(Slot::Reading);
            self.started += 1;
        }
        start
    }

    /// File `index` was read (`Some(bytes)`) or could not be (`None`): the commands for the
    /// engine it makes ready, in the order the files were opened (none while an earlier file is
    /// still being read).
    pub fn read(&mut self, index: usize, bytes: Option<Vec<u8>>) -> Vec<Command> {
        let Some(slot) = index
            .checked_sub(self.handed)
            .and_then(|i| self.slots.get_mut(i))
        else {
            return Vec::new();
        };
        if matches!(slot, Slot::Read(_)) {
            return Vec::new();
        }
        *slot = Slot::Read(bytes);
        let mut pages = Vec::new();
        let mut unreadable = Vec::new();
        while let Some(Slot::Read(bytes)) = self.slots.front_mut() {
            let bytes = bytes.take();
            self.slots.pop_front();
            let (name, size) = &self.files[self.handed];
            self.in_flight -= size;
            self.handed += 1;
            match bytes {
                Some(bytes) => pages.push(Page::new(name.clone(), bytes)),
                None => unreadable.push(name.clone()),
            }
        }
        if !self.whole {
            return if pages.is_empty() && unreadable.is_empty() {
                Vec::new()
            } else {
                vec![Command::LoadMore { pages, unreadable }]
            };
        }
        self.pages.extend(pages);
        self.unreadable.extend(unreadable);
        if self.handed < self.count {
            return Vec::new();
        }
        // The whole set, in one load; files that could not be read are told as its problems.
        let load = Command::Load {
            source: SourceKind::Files,
            label: self.label.clone(),
            pages: std::mem::take(&mut self.pages),
            following: self.unreadable.len(),
        };
        if self.unreadable.is_empty() {
            vec![load]
        } else {
            let unreadable = std::mem::take(&mut self.unreadable);
            vec![
                load,
                Command::LoadMore {
                    pages: Vec::new(),
                    unreadable,
                },
            ]
        }
    }

    /// Every file has been read and handed over.
    pub fn is_over(&self) -> bool {
        self.handed >= self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: usize = 1 << 20;

    fn files(sizes: &[usize]) -> Vec<(String, usize)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{i}.json"), *s))
            .collect()
    }

    /// A set whose handles all arrived with its first message.
    fn opened(label: &str, sizes: &[usize]) -> FileReads {
        FileReads::new(label.into(), sizes.len(), files(sizes))
    }

    fn names(command: &Command) -> (Vec<String>, Vec<String>) {
        match command {
            Command::Load { pages, .. } | Command::LoadMore { pages, .. } => {
                let unreadable = match command {
                    Command::LoadMore { unreadable, .. } => unreadable.clone(),
                    _ => Vec::new(),
                };
                (pages.iter().map(|p| p.name.clone()).collect(), unreadable)
            }
            other => panic!("not a load: {other:?}"),
        }
    }

    #[test]
    fn a_small_set_is_read_whole_and_loaded_as_one_in_the_order_opened() {
        let mut reads = opened("3 files", &[10, 20, 30]);
        assert_eq!(
            reads.begin(),
            None,
            "nothing is said before the files are read"
        );
        assert_eq!(
            reads.to_read(0),
            [0, 1, 2],
            "all at once, whatever is wanted"
        );
        assert_eq!(reads.to_read(0), Vec::<usize>::new());
        assert!(reads.read(2, Some(b"c".to_vec())).is_empty());
        assert!(reads.read(0, Some(b"a".to_vec())).is_empty());
        let load = reads.read(1, Some(b"b".to_vec()));
        assert!(reads.is_over());
        assert_eq!(
            load,
            [Command::Load {
                source: SourceKind::Files,
                label: "3 files".into(),
                pages: vec![
                    Page::new("0.json", b"a".to_vec()),
                    Page::new("1.json", b"b".to_vec()),
                    Page::new("2.json", b"c".to_vec()),
                ],
                following: 0,
            }]
        );
    }

    #[test]
    fn an_unreadable_file_of_a_small_set_is_told_with_its_load() {
        let mut reads = opened("2 files", &[10, 20]);
        reads.to_read(0);
        reads.read(0, None);
        let out = reads.read(1, Some(b"{}".to_vec()));
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(matches!(&out[0], Command::Load { following: 1, .. }));
        assert_eq!(names(&out[0]), (vec!["1.json".into()], vec![]));
        assert_eq!(names(&out[1]), (vec![], vec!["0.json".into()]));
    }

    #[test]
    fn a_large_set_streams_a_few_reads_within_what_the_engine_wants_in_order() {
        let mut reads = opened("6 files", &[4 * MB; 6]);
        assert_eq!(
            reads.begin(),
            Some(Command::Load {
                source: SourceKind::Files,
                label: "6 files".into(),
                pages: Vec::new(),
                following: 6,
            }),
            "the load starts before a file is read"
        );
        assert!(reads.to_read(0).is_empty(), "nothing wanted, nothing read");
        assert_eq!(
            reads.to_read(10 * MB),
            [0, 1],
            "as many as fit in what is wanted"
        );
        assert!(
            reads.to_read(10 * MB).is_empty(),
            "the reads in flight count"
        );
        // Read out of order: handed over in order.
        assert!(reads.read(1, Some(vec![1])).is_empty(), "file 0 first");
        let out = reads.read(0, Some(vec![0]));
        assert_eq!(out.len(), 1);
        assert_eq!(
            names(&out[0]),
            (vec!["0.json".into(), "1.json".into()], vec![])
        );
        assert_eq!(
            reads.to_read(64 * MB),
            [2, 3, 4, 5],
            "at most READS_AT_ONCE at once"
        );
        assert_eq!(READS_AT_ONCE, 4);
        let out = reads.read(2, None);
        assert_eq!(names(&out[0]), (vec![], vec!["2.json".into()]));
        reads.read(3, Some(vec![3]));
        reads.read(4, Some(vec![4]));
        assert!(!reads.is_over());
        reads.read(5, Some(vec![5]));
        assert!(reads.is_over());
        assert!(reads.to_read(64 * MB).is_empty());
    }

    #[test]
    fn one_file_larger_than_what_is_wanted_is_still_read_when_none_is_in_flight() {
        let mut reads = opened("huge.json", &[64 * MB, 64 * MB]);
        assert_eq!(reads.to_read(MB), [0]);
        assert!(
            reads.to_read(MB).is_empty(),
            "one at a time when each is larger"
        );
        reads.read(0, Some(vec![0]));
        assert_eq!(reads.to_read(MB), [1]);
    }

    #[test]
    fn a_read_reported_twice_or_unknown_changes_nothing() {
        let mut reads = opened("2 files", &[4 * MB, 4 * MB]);
        reads.to_read(16 * MB);
        assert_eq!(reads.read(0, Some(vec![0])).len(), 1);
        assert!(
            reads.read(0, Some(vec![0])).is_empty(),
            "already handed over"
        );
        assert!(reads.read(7, Some(vec![7])).is_empty(), "no such file");
        assert_eq!(reads.read(1, Some(vec![1])).len(), 1);
        assert!(reads.is_over());
    }

    #[test]
    fn a_file_is_read_only_once_its_handle_has_arrived() {
        let all = files(&[MB; 200]);
        let mut reads = FileReads::new("200 files".into(), 200, all[..2].to_vec());
        assert!(reads.begin().is_some(), "streamed: the load starts at once");
        assert_eq!(
            reads.to_read(64 * MB),
            [0, 1],
            "two handles, two reads, though more are wanted"
        );
        assert!(reads.to_read(64 * MB).is_empty());
        reads.arrived(all[2..HANDLES_AT_ONCE].to_vec());
        assert_eq!(reads.to_read(64 * MB), [2, 3]);
        for i in 0..4 {
            reads.read(i, Some(vec![i as u8]));
        }
        reads.arrived(all[HANDLES_AT_ONCE..].to_vec());
        reads.arrived(files(&[MB]));
        assert_eq!(reads.to_read(64 * MB), [4, 5, 6, 7]);
        for i in 4..200 {
            reads.to_read(64 * MB);
            reads.read(i, Some(vec![0]));
        }
        assert!(reads.is_over(), "no more than the 200 opened are taken");

        // Small files whose handles do not all come at once are streamed, not held back.
        let mut small = FileReads::new("3 files".into(), 3, files(&[10]));
        assert!(small.begin().is_some());
        assert_eq!(small.to_read(MB), [0]);
        small.arrived(files(&[20, 30]));
        assert_eq!(small.read(0, Some(b"a".to_vec())).len(), 1);
        assert_eq!(small.to_read(MB), [1, 2]);
    }
}
