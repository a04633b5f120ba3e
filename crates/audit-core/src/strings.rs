//! The string table: every distinct string of the store once, addressed by `u32`.
//!
//! Audit trails repeat themselves (event types, fields, sources, modes, users,
//! request ids, stores; a push token is the current value of one event and the
//! previous value of the next), so interning is what keeps a million events well
//! under half the raw JSON size. All strings live in one buffer (no per-string
//! allocation), and a lowercase copy of each is prepared once at intern time so
//! case-insensitive search is a plain `memmem` over one buffer per keystroke,
//! never a lowercase-per-event.
//!
//! Except for long mixed-case ASCII strings (push tokens: 150+ characters, a
//! new one per token change): a second copy of those was ~20 % of the store.
//! They sit in the haystack as written, and are matched case-insensitively on
//! the fly when the plain `memmem` pass did not already find the needle in them
//! (see [`Strings::scan_all`]).

use memchr::memmem;

use crate::chunked::Chunked;
use crate::table::IdTable;

/// Separates strings in the lowercase haystack so a match never spans two strings.
const SEP: u8 = 0;

#[derive(Debug, Default, Clone)]
pub(crate) struct Strings {
    /// Lowercase copies, each followed by [`SEP`]: the search haystack. Long
    /// mixed-case ASCII strings are here as written instead (see [`MIXED`]).
    /// In chunks of 1 MiB ([`Chunked`]; a string and its separator never
    /// straddle two): at a million events this is ~100 MB, and doubling it
    /// was a 64 MB copy inside one page's ingest.
    lower: Chunked<u8>,
    /// Start position of string `i` in `lower`. Its end is the next string's
    /// start when that is in the same chunk, else the end of the chunk.
    lower_starts: Chunked<u32>,
    /// Where the original of string `i` is when it differs from its lowercase
    /// form (position in `text`), or [`SAME`]. Most ids, numbers and many values
    /// are lowercase already, so they are stored once.
    orig: Chunked<u32>,
    /// Originals that differ from their lowercase form. ASCII ones have the
    /// lowercase copy's length; others are prefixed with their `u32` length.
    text: Chunked<u8>,
    /// Ids by the hash of their string.
    table: IdTable,
    /// Ids of the strings kept as written in the haystack ([`MIXED`]), ascending.
    mixed: Vec<u32>,
}

const SAME: u32 = u32::MAX;
/// `orig` marker: the haystack holds the string as written (ASCII, with
/// capitals, at least [`MIXED_MIN_LEN`] bytes); search folds its case on the fly.
const MIXED: u32 = u32::MAX - 1;
/// Shorter mixed-case strings keep a lowercase copy: they are the repeated,
/// often-matched ones (names, labels, sources), and cheap to store twice.
const MIXED_MIN_LEN: usize = 48;
const NON_ASCII: u32 = 1 << 31;

pub(crate) fn hash(b: &[u8]) -> u64 {
    // FNV-1a over 8-byte words: fast, deterministic, no random state (the WASM
    // build must not ask the host for randomness).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &x in chunks.remainder() {
        h = (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 32)
}

/// Bytes that came from a `&str` (or its lowercase form) back as `&str`.
fn utf8(b: &[u8]) -> &str {
    // Only ever called on slices cut at the boundaries of strings this table
    // copied from `&str`s, so this cannot fail; `unwrap_or` keeps it panic-free.
    std::str::from_utf8(b).unwrap_or("")
}

impl Strings {
    pub fn len(&self) -> usize {
        self.lower_starts.len()
    }

    pub fn get(&self, id: u32) -> &str {
        utf8(self.bytes(id))
    }

    /// The bytes of string `id` as written (what [`Strings::get`] returns,
    /// without checking UTF-8 again: interning compares and hashes these).
    #[inline]
    fn bytes(&self, id: u32) -> &[u8] {
        match self.orig[id as usize] {
            SAME | MIXED => self.lower(id),
            o if o & NON_ASCII != 0 => {
                let at = (o & !NON_ASCII) as usize;
                let mut len = [0u8; 4];
                len.copy_from_slice(&self.text[at..at + 4]);
                &self.text[at + 4..at + 4 + u32::from_le_bytes(len) as usize]
            }
            o => &self.text[o as usize..o as usize + self.lower(id).len()],
        }
    }

    /// The haystack slice of string `id` (without separator): its lowercase
    /// copy, or the string as written when it is [`MIXED`].
    fn lower(&self, id: u32) -> &[u8] {
        let (chunk, start, end) = self.span(id);
        &chunk[start..end]
    }

    /// The haystack chunk holding string `id`, and where the string is in it
    /// (`start..end`, separator excluded). The chunk goes on past `end` (the
    /// next strings, each followed by [`SEP`]).
    #[inline]
    fn span(&self, id: u32) -> (&[u8], usize, usize) {
        let i = id as usize;
        let start = self.lower_starts[i] as usize;
        let (chunk, at) = self.lower.chunk_at(start);
        let end = match (i + 1 < self.len()).then(|| self.lower_starts[i + 1] as usize) {
            Some(next) if Chunked::<u8>::same_chunk(start, next) => next - (start - at),
            _ => chunk.len(),
        };
        (chunk, at, end - 1)
    }

    /// Id of `s`, if interned.
    #[cfg(test)]
    pub fn find(&self, s: &str) -> Option<u32> {
        let s = s.as_bytes();
        self.table.find(hash(s), |id| self.bytes(id) == s)
    }

    /// Id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash(s.as_bytes());
        if let Some(id) = self.table.find(h, |id| self.bytes(id) == s.as_bytes()) {
            return id;
        }
        let mut table = std::mem::take(&mut self.table);
        let id = table.insert(h, |id| hash(self.bytes(id)));
        self.table = table;
        debug_assert_eq!(id as usize, self.lower_starts.len());
        // Each string goes into the chunked haystack whole, with its separator.
        let bytes = s.as_bytes();
        let start =
            if s.is_ascii() && s.len() >= MIXED_MIN_LEN && bytes.iter().any(u8::is_ascii_uppercase)
            {
                self.orig.push(MIXED);
                self.mixed.push(id);
                self.lower.push_with(s.len() + 1, |v| {
                    v.extend_from_slice(bytes);
                    v.push(SEP);
                })
            } else if s.is_ascii() {
                let start = self.lower.push_with(s.len() + 1, |v| {
                    v.extend(bytes.iter().map(u8::to_ascii_lowercase));
                    v.push(SEP);
                });
                if &self.lower[start..start + s.len()] == bytes {
                    self.orig.push(SAME);
                } else {
                    let at = self.text.push_slice(bytes);
                    self.orig.push(at as u32);
                }
                start
            } else {
                let low = s.to_lowercase();
                if low == s {
                    self.orig.push(SAME);
                } else {
                    let at = self.text.push_with(4 + s.len(), |v| {
                        v.extend_from_slice(&(s.len() as u32).to_le_bytes());
                        v.extend_from_slice(bytes);
                    });
                    self.orig.push(at as u32 | NON_ASCII);
                }
                self.lower.push_with(low.len() + 1, |v| {
                    v.extend_from_slice(low.as_bytes());
                    v.push(SEP);
                })
            };
        self.lower_starts.push(start as u32);
        id
    }

    /// Marks in `out` every string whose lowercase form contains `needle`
    /// (already lowercase). One `memmem` pass over the whole haystack; after a
    /// hit the search resumes at the next string (one hit per string is enough),
    /// and the string holding a hit is found by walking forward from the last
    /// one (hits come in order), not by a binary search per hit: a one-letter
    /// needle hits most strings, and the search per hit was most of its cost.
    pub fn scan_all(&self, needle: &[u8], out: &mut BitSet) {
        if needle.is_empty() {
            out.fill(self.len());
            return;
        }
        let finder = memmem::Finder::new(needle);
        // Where string `id`'s separator ends, as a haystack position.
        let end = |id: usize| {
            let start = self.lower_starts[id] as usize;
            let (_, at, end) = self.span(id as u32);
            start - at + end + 1
        };
        let mut id = 0;
        // Chunk by chunk (no string straddles two); hits come in order.
        for (base, chunk) in self.lower.segments() {
            let mut from = 0;
            while let Some(pos) = finder.find(&chunk[from..]) {
                let at = base + from + pos;
                while end(id) <= at {
                    id += 1;
                }
                out.insert(id as u32);
                from = end(id) - base;
                if from >= chunk.len() {
                    break;
                }
            }
        }
        // Mixed-case strings were searched as written: a needle with letters may
        // still occur in them with other capitals.
        if needle.iter().any(u8::is_ascii_alphabetic) {
            let mut folded = Vec::new();
            for &id in &self.mixed {
                if !out.contains(id) && self.folded_contains(id, &finder, &mut folded) {
                    out.insert(id);
                }
            }
        }
    }

    /// Case-insensitive test of a [`MIXED`] string: ASCII-lowercases it into
    /// `buf` (reused between calls) and searches that.
    fn folded_contains(&self, id: u32, needle: &memmem::Finder<'_>, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        buf.extend(self.lower(id).iter().map(u8::to_ascii_lowercase));
        needle.find(buf).is_some()
    }

    fn matches(&self, id: u32, needle: &memmem::Finder<'_>, buf: &mut Vec<u8>) -> bool {
        if self.orig[id as usize] == MIXED {
            self.folded_contains(id, needle, buf)
        } else {
            needle.find(self.lower(id)).is_some()
        }
    }

    /// True when string `id`'s lowercase form contains the (lowercase) needle.
    pub fn contains(&self, id: u32, needle: &memmem::Finder<'_>) -> bool {
        self.matches(id, needle, &mut Vec::new())
    }

    /// Like [`Strings::scan_all`] but only over the strings set in `within`
    /// (used when a keystroke extends a needle whose matches are known).
    pub fn scan_within(&self, needle: &[u8], within: &BitSet, out: &mut BitSet) {
        let finder = memmem::Finder::new(needle);
        let mut buf = Vec::new();
        for id in within.iter() {
            if self.matches(id, &finder, &mut buf) {
                out.insert(id);
            }
        }
    }

    /// Bytes held (for memory reporting).
    pub fn heap_bytes(&self) -> usize {
        self.text.heap_bytes()
            + self.lower.heap_bytes()
            + self.orig.heap_bytes()
            + self.lower_starts.heap_bytes()
            + 4 * self.mixed.capacity()
            + self.table.heap_bytes()
    }

    /// Releases spare capacity once a bulk load is done.
    pub fn shrink_to_fit(&mut self) {
        let mut table = std::mem::take(&mut self.table);
        table.settle(|id| hash(self.bytes(id)));
        self.table = table;
        self.text.shrink_to_fit();
        self.lower.shrink_to_fit();
        self.orig.shrink_to_fit();
        self.lower_starts.shrink_to_fit();
        self.mixed.shrink_to_fit();
    }
}

/// A fixed-size set of `u32` ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn with_len(n: usize) -> BitSet {
        BitSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    pub fn insert(&mut self, i: u32) {
        let w = (i / 64) as usize;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (i % 64);
    }

    #[inline]
    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets exactly the ids `0..n` (no bits past `n`: callers index by them).
    pub fn fill(&mut self, n: usize) {
        self.words = vec![u64::MAX; n.div_ceil(64)];
        if !n.is_multiple_of(64) {
            if let Some(last) = self.words.last_mut() {
                *last = (1 << (n % 64)) - 1;
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some(wi as u32 * 64 + b)
            })
        })
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_scans_case_insensitively() {
        let mut s = Strings::default();
        let a = s.intern("INSTORE");
        let b = s.intern("instore");
        let c = s.intern("Größe");
        assert_eq!(s.intern("INSTORE"), a);
        assert_ne!(a, b);
        for i in 0..1000 {
            s.intern(&format!("value-{i}"));
        }
        assert_eq!(s.find("value-999").map(|id| s.get(id)), Some("value-999"));
        assert_eq!(s.get(c), "Größe");
        let mut hits = BitSet::with_len(s.len());
        s.scan_all(b"store", &mut hits);
        assert_eq!(hits.iter().collect::<Vec<_>>(), vec![a, b]);
        let mut hits = BitSet::with_len(s.len());
        s.scan_all("größe".as_bytes(), &mut hits);
        assert_eq!(hits.iter().collect::<Vec<_>>(), vec![c]);
        let mut all = BitSet::with_len(s.len());
        s.scan_all(b"value-99", &mut all);
        assert_eq!(all.iter().count(), 11);
        let mut narrowed = BitSet::with_len(s.len());
        s.scan_within(b"value-999", &all, &mut narrowed);
        assert_eq!(narrowed.iter().count(), 1);
    }

    #[test]
    fn long_mixed_case_strings_are_kept_once_and_found_in_any_case() {
        let mut s = Strings::default();
        let token = "fCyvtyp0MkXjl_Rv4XUZ2F:APA91bGR32O5Bia8L15AMxYzQ-9_kkWWqP0aBcDeFgHiJ";
        let t = s.intern(token);
        let short = s.intern("Vatsal");
        let lower_only = s.intern("abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz");
        assert_eq!(s.intern(token), t);
        assert_eq!(s.get(t), token);
        assert_eq!(s.get(short), "Vatsal");
        assert_eq!(s.orig[t as usize], MIXED);
        assert_eq!(
            s.text.len(),
            "Vatsal".len(),
            "only the short one has a second copy"
        );
        let hits = |needle: &str| {
            let mut out = BitSet::with_len(s.len());
            s.scan_all(needle.as_bytes(), &mut out);
            out.iter().collect::<Vec<_>>()
        };
        // Written lowercase in the token, written with capitals, mixed, no letters.
        assert_eq!(hits("fcyvtyp"), vec![t]);
        assert_eq!(hits("apa91bgr"), vec![t]);
        assert_eq!(hits("xyzq-9_kkww"), vec![t]);
        assert_eq!(hits("91"), vec![t]);
        assert_eq!(hits("vats"), vec![short]);
        assert_eq!(hits("xyz"), vec![t, lower_only]);
        assert!(hits("fcyvx").is_empty());
        let mut all = BitSet::with_len(s.len());
        all.fill(s.len());
        let mut within = BitSet::with_len(s.len());
        s.scan_within(b"kxjl_rv4", &all, &mut within);
        assert_eq!(within.iter().collect::<Vec<_>>(), vec![t]);
        assert!(s.contains(t, &memmem::Finder::new(b"z2f:apa")));
        assert!(!s.contains(t, &memmem::Finder::new(b"z2f:apb")));
    }

    #[test]
    fn strings_across_chunks_stay_whole_and_found_after_shrink() {
        let mut s = Strings::default();
        // ~3 MiB of haystack: several chunks, strings of every kind, one
        // longer than a chunk (its own chunk) in the middle.
        let word = |i: usize| match i % 4 {
            0 => format!("value-{i}-{}", "x".repeat(i % 300)),
            1 => format!("Mixed{i}-{}", "AbC".repeat(20)),
            2 => format!("Größe-{i}"),
            _ => format!("Name{i}"),
        };
        let mut ids = Vec::new();
        for i in 0..20_000 {
            ids.push((s.intern(&word(i)), word(i)));
            if i == 9_000 {
                let big = format!("big-{}-END", "y".repeat(1 << 21));
                ids.push((s.intern(&big), big));
            }
        }
        let check = |s: &Strings| {
            for (id, w) in &ids {
                assert_eq!(s.get(*id), w.as_str());
                assert_eq!(s.find(w), Some(*id));
            }
            let hits = |needle: &str| {
                let mut out = BitSet::with_len(s.len());
                s.scan_all(needle.as_bytes(), &mut out);
                out.iter().collect::<Vec<_>>()
            };
            let id_of = |w: String| s.find(&w).unwrap_or(u32::MAX);
            assert_eq!(hits("value-19996-"), vec![id_of(word(19_996))]);
            assert_eq!(hits("mixed19997-abcab"), vec![id_of(word(19_997))]);
            assert_eq!(hits("größe-19998"), vec![id_of(word(19_998))]);
            assert_eq!(hits("yyy-end"), vec![ids[9_001].0]);
            assert_eq!(hits("name19999").len(), 1);
            assert_eq!(hits("größe-").len(), 5_000);
        };
        check(&s);
        assert!(s.lower.segments().count() > 3);
        let before = s.heap_bytes();
        s.shrink_to_fit();
        assert!(s.heap_bytes() <= before);
        check(&s);
        // Growth after a shrink goes on from the trimmed last chunk.
        let after = s.intern("after-shrink");
        assert_eq!(s.get(after), "after-shrink");
        check(&s);
    }
}
