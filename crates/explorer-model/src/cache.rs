//! The on-device cache of live trails, as data: which key a trail is kept under, how an entry is
//! laid out, how it is checked when read back, and when it expires. The worker
//! (crates/explorer-worker/src/cache.rs) does the IO, in the Origin Private File System.
//!
//! A trail is kept under its [`trail_key`]: the API base, the entity and every audit parameter,
//! never credentials. An entry is one file, a sequence of frames appended as answers arrive:
//!
//! ```text
//! frame  := magic "AXC2" | meta length u32 LE | body length u32 LE | checksum u64 LE | meta | body
//! meta   := postcard of Frame (Start { key, saved_at } first, then Answer { purpose } or Complete)
//! body   := the answer's bytes as the API sent them (empty for Start and Complete)
//! checksum := XXH3-64 over meta and body (`AXC1` frames, written before 2026-12-02: FNV-1a 64)
//! ```
//!
//! Every frame is checked before anything of an entry is shown, so the checksum's speed is the
//! reopening's: FNV-1a goes a byte at a time (~0.3 s for a 100k-record trail's 80 MB in the
//! worker), XXH3 eight bytes at a time (xxhash-rust, already in the lockfile). `AXC1` frames are
//! still read, so an entry kept by an earlier explorer opens in a later one.
//!
//! Keeping the answers as they came means a cached trail is read exactly as the live one was
//! (same parser, same listing keys, same damaged-page notices), and a later explorer reads an
//! entry an earlier one wrote. An entry that does not read back whole (a frame cut short, a
//! checksum that differs, another key) is damaged: it is discarded with a notice, never shown.

use audit_core::UtcMillis;
use capillary_client::PageFacts;

use crate::link::{ApiRequest, Target};
use crate::loader::Page;
use crate::read::Purpose;

/// Frames start with these bytes (and the format's version).
pub const MAGIC: [u8; 4] = *b"AXC2";

/// The first format's magic: the same frame, its checksum FNV-1a 64.
const MAGIC_FNV: [u8; 4] = *b"AXC1";

/// Bytes before a frame's meta: magic, two lengths, checksum.
pub const FRAME_HEAD: usize = 4 + 4 + 4 + 8;

/// How long entries are kept when the deployment says nothing (config.json `cache.expiryHours`).
pub const DEFAULT_EXPIRY_HOURS: u32 = 24;

/// What a cached trail is, once read back: for the header ("saved 3 h ago") and for what the
/// page does next (refresh a complete trail, resume an incomplete one).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedTrail {
    pub key: String,
    /// When its first answer was kept.
    pub saved_at: UtcMillis,
    /// When its latest answer was kept.
    pub updated_at: UtcMillis,
    /// Every page of the trail was loaded (else a load was interrupted: it resumes).
    pub complete: bool,
    /// Answers kept (audit pages and status logs).
    pub answers: usize,
    /// Audit pages held, by listing and page number, with what the fetch plan learnt from
    /// each: what a resumed load need not ask again.
    pub pages: Vec<(String, u32, PageFacts)>,
    /// "kept on this device, saved 3 hours ago".
    pub line: String,
}

/// One frame's meta.
// A frame is built, written and dropped one at a time: its size never multiplies.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Frame {
    /// First in every entry.
    Start { key: String, saved_at: UtcMillis },
    /// An answer as the API sent it, read for `purpose`.
    Answer {
        purpose: Purpose,
        saved_at: UtcMillis,
        /// An audit page's facts as the engine read them.
        facts: Option<PageFacts>,
    },
    /// Every page of the listing was loaded.
    Complete { at: UtcMillis },
}

/// Why an entry cannot be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// It does not read back whole; `why` says where.
    Damaged(String),
    /// Older than the deployment keeps trails.
    Expired,
    /// It is another trail's (two keys with one file name).
    OtherKey,
}

/// The key a trail is kept under: the API base, the entity (or identifier) and every audit
/// parameter as the request sends them, and the response generation. Credentials are never
/// part of a request, so never part of a key.
pub fn trail_key(request: &ApiRequest) -> String {
    let target = match &request.target {
        Target::Entity(t, id) => format!("{} {id}", t.as_str()),
        Target::Identifier(name, value) => format!("{} {value}", name.as_str()),
    };
    format!(
        "{} | {target} | {:?} | {}",
        request.base,
        request.generation,
        request.params.query_string()
    )
}

/// The entry's file name: a hash of the key (the key itself may hold characters a file name
/// cannot; the entry's first frame holds it whole and is checked on reading).
pub fn file_name(key: &str) -> String {
    format!("{:016x}.trail", fnv64(key.as_bytes()))
}

/// One frame's bytes.
pub fn frame(meta: &Frame, body: &[u8]) -> Vec<u8> {
    let meta = crate::protocol::encode(meta);
    let mut out = Vec::with_capacity(FRAME_HEAD + meta.len() + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&meta);
    out.extend_from_slice(body);
    let sum = checksum(MAGIC, &out[FRAME_HEAD..]);
    out[12..20].copy_from_slice(&sum.to_le_bytes());
    out
}

/// A whole entry read back: what it is, and its answers as pages named by their listing (so the
/// store reports gaps per listing as for the live trail).
#[derive(Debug)]
pub struct Entry {
    pub trail: CachedTrail,
    pub pages: Vec<Page>,
}

/// The frames of an entry in memory, checked: every frame whole with its checksum, the first a
/// `Start`. (The explorer reads entries with [`read_entry_from`]; this is for tools and tests
/// that rewrite one.)
pub fn frames(mut bytes: &[u8]) -> Result<Vec<(Frame, Vec<u8>)>, Unusable> {
    let mut out = Vec::new();
    let (mut at, size) = (0, bytes.len());
    while at < size {
        let RawFrame {
            frame: meta,
            body,
            end,
        } = read_frame(&mut bytes, at, size, out.len() + 1)
            .unwrap_or_else(|e| Err(Unusable::Damaged(e)))?;
        out.push((meta, body));
        at = end;
    }
    if out.is_empty() {
        return Err(Unusable::Damaged("it is empty".into()));
    }
    Ok(out)
}

/// Where an entry is read from, a piece at a time: the worker's synchronous file handle, or
/// bytes in memory. Reading frame by frame puts each answer straight into a page of its own (no
/// copy of the whole entry, no second copy of each answer), and stops at the first frame when
/// the entry is expired or another trail's.
pub trait EntrySource {
    /// The entry's size in bytes.
    fn size(&mut self) -> Result<usize, String>;
    /// Fills `buf` from byte `at` on; how many bytes it read (fewer only at the end).
    fn read_at(&mut self, at: usize, buf: &mut [u8]) -> Result<usize, String>;
}

impl EntrySource for &[u8] {
    fn size(&mut self) -> Result<usize, String> {
        Ok(self.len())
    }

    fn read_at(&mut self, at: usize, buf: &mut [u8]) -> Result<usize, String> {
        let from = self.get(at..).unwrap_or_default();
        let n = from.len().min(buf.len());
        buf[..n].copy_from_slice(&from[..n]);
        Ok(n)
    }
}

/// Reads an entry for `key` at `now` from bytes in memory (see [`read_entry_from`]).
pub fn read_entry(
    mut bytes: &[u8],
    key: &str,
    now: UtcMillis,
    expiry_ms: i64,
) -> Result<Entry, Unusable> {
    read_entry_from(&mut bytes, key, now, expiry_ms).unwrap_or_else(|e| Err(Unusable::Damaged(e)))
}

/// A frame read and checked.
struct RawFrame {
    frame: Frame,
    body: Vec<u8>,
    /// Where the next frame begins.
    end: usize,
}

/// The frame at byte `at` of an entry of `size` bytes (the `count`th), once it is whole, its
/// checksum agrees and, for the first, it is the entry's `Start`.
fn read_frame(
    source: &mut dyn EntrySource,
    at: usize,
    size: usize,
    count: usize,
) -> Result<Result<RawFrame, Unusable>, String> {
    let damaged = |why: &str| {
        Ok(Err(Unusable::Damaged(format!(
            "frame {count} at byte {at}: {why}"
        ))))
    };
    let mut head = [0; FRAME_HEAD];
    if source.read_at(at, &mut head)? < FRAME_HEAD {
        return damaged("cut short");
    }
    let magic: [u8; 4] = head[..4].try_into().unwrap_or_default();
    if magic != MAGIC && magic != MAGIC_FNV {
        return damaged("not a frame");
    }
    let word = |r: std::ops::Range<usize>| u32::from_le_bytes(head[r].try_into().unwrap_or([0; 4]));
    let (meta_len, body_len) = (word(4..8) as usize, word(8..12) as usize);
    let sum = u64::from_le_bytes(head[12..20].try_into().unwrap_or([0; 8]));
    let start = at + FRAME_HEAD;
    let Some(end) = start
        .checked_add(meta_len)
        .and_then(|e| e.checked_add(body_len))
        .filter(|&e| e <= size)
    else {
        return damaged("cut short");
    };
    // Sized from lengths checked against the entry's size, never from the lengths alone. Meta
    // and body are read in one piece (one checksum call over both), and the meta is shifted
    // out of the body's way in place.
    let mut body = vec![0; meta_len + body_len];
    if source.read_at(start, &mut body)? < body.len() {
        return damaged("cut short");
    }
    if checksum(magic, &body) != sum {
        return damaged("its checksum differs");
    }
    let meta = crate::protocol::decode::<Frame>(&body[..meta_len]);
    body.drain(..meta_len);
    match meta {
        Some(frame) if count == 1 && !matches!(frame, Frame::Start { .. }) => Ok(Err(
            Unusable::Damaged("it does not start with its key".into()),
        )),
        Some(frame) => Ok(Ok(RawFrame { frame, body, end })),
        None => damaged("its description does not read"),
    }
}

/// Reads an entry for `key` at `now` from `source`, checking every frame (whole, its checksum,
/// the first a `Start` naming `key`) before anything of it is handed on; entries older than
/// `expiry_ms` are not shown. The outer error is the storage's (the entry could not be read
/// at all, and may be fine); the inner says why what was read cannot be shown.
pub fn read_entry_from(
    source: &mut dyn EntrySource,
    key: &str,
    now: UtcMillis,
    expiry_ms: i64,
) -> Result<Result<Entry, Unusable>, String> {
    let size = source.size()?;
    if size == 0 {
        return Ok(Err(Unusable::Damaged("it is empty".into())));
    }
    let mut trail = CachedTrail::default();
    let mut pages = Vec::new();
    let mut at = 0;
    let mut count = 0;
    while at < size {
        count += 1;
        let RawFrame { frame, body, end } = match read_frame(source, at, size, count)? {
            Ok(read) => read,
            Err(damaged) => return Ok(Err(damaged)),
        };
        at = end;
        match frame {
            Frame::Start { key: k, saved_at } => {
                if k != key {
                    return Ok(Err(Unusable::OtherKey));
                }
                if now.saturating_sub(saved_at) >= expiry_ms {
                    return Ok(Err(Unusable::Expired));
                }
                trail.key = k;
                trail.saved_at = saved_at;
                trail.updated_at = saved_at;
            }
            Frame::Answer {
                purpose,
                saved_at,
                facts,
            } => {
                trail.updated_at = trail.updated_at.max(saved_at);
                trail.answers += 1;
                let name = match &purpose {
                    Purpose::AuditPage { listing, page, .. } => {
                        if let Some(facts) = facts {
                            trail.pages.push((listing.clone(), *page, facts));
                        }
                        listing.clone()
                    }
                    Purpose::StatusLog(audit_core::StatusLogKind::Customer) => {
                        crate::read::CUSTOMER_STATUS_LISTING.to_owned()
                    }
                    Purpose::StatusLog(audit_core::StatusLogKind::Card) => {
                        crate::read::CARD_STATUS_LISTING.to_owned()
                    }
                    // Lookups are not kept; one found here is skipped.
                    Purpose::Lookup => continue,
                };
                pages.push(Page::new(name, body));
            }
            Frame::Complete { at } => {
                trail.updated_at = trail.updated_at.max(at);
                trail.complete = true;
            }
        }
    }
    trail.line = format!(
        "kept on this device, saved {}",
        crate::zone::age(trail.saved_at, now)
    );
    Ok(Ok(Entry { trail, pages }))
}

/// Whether an entry whose first frame is `head` (at least its first frame's bytes) has expired
/// at `now`: the start-up sweep reads only that much of each entry. A head that does not read
/// counts as expired (it could never be shown).
pub fn head_expired(head: &[u8], now: UtcMillis, expiry_ms: i64) -> bool {
    let Some(meta_len) = head
        .get(4..8)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as usize)
    else {
        return true;
    };
    let Some(meta) = head.get(FRAME_HEAD..FRAME_HEAD + meta_len) else {
        return true;
    };
    match crate::protocol::decode::<Frame>(meta) {
        Some(Frame::Start { saved_at, .. }) => now.saturating_sub(saved_at) >= expiry_ms,
        _ => true,
    }
}

/// A frame's checksum over its meta and body, as its magic says. Either detects cut and altered
/// writes; neither is a defence against someone who forges an entry, who could as well write
/// any page.
fn checksum(magic: [u8; 4], meta_and_body: &[u8]) -> u64 {
    if magic == MAGIC_FNV {
        fnv64(meta_and_body)
    } else {
        xxhash_rust::xxh3::xxh3_64(meta_and_body)
    }
}

/// FNV-1a, 64 bits: the file names' hash (a name must stay the same across releases), and the
/// first format's checksum.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h = Fnv64::new();
    h.write(bytes);
    h.finish()
}

struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Fnv64 {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_core::StatusLogKind;

    const HOUR: i64 = 3_600_000;

    fn page(n: u32) -> Purpose {
        Purpose::AuditPage {
            listing: "https://eu.api/api_gateway/v2/audits?entityType=CUSTOMER&entityId=5&limit=50"
                .into(),
            page: n,
            limit: 50,
            max_pages: 1000,
        }
    }

    fn facts() -> PageFacts {
        capillary_client::read_page(b"{\"data\":[],\"pagination\":{\"totalElements\":0,\"totalPages\":1,\"number\":0,\"numberOfElements\":0}}", 50, 1000)
            .facts
            .unwrap()
    }

    fn entry(key: &str, saved_at: i64) -> Vec<u8> {
        let mut bytes = frame(
            &Frame::Start {
                key: key.into(),
                saved_at,
            },
            &[],
        );
        bytes.extend(frame(
            &Frame::Answer {
                purpose: page(0),
                saved_at,
                facts: Some(facts()),
            },
            b"{\"data\":[]}",
        ));
        bytes.extend(frame(
            &Frame::Answer {
                purpose: Purpose::StatusLog(StatusLogKind::Card),
                saved_at: saved_at + 5,
                facts: None,
            },
            b"{\"data\":[1]}",
        ));
        bytes
    }

    /// `bytes`' frames rewritten as the first format wrote them (`AXC1`, FNV-1a 64).
    fn as_first_format(bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        let mut at = 0;
        while at < out.len() {
            let word = |r: std::ops::Range<usize>| {
                u32::from_le_bytes(out[at..][r].try_into().unwrap()) as usize
            };
            let end = at + FRAME_HEAD + word(4..8) + word(8..12);
            let sum = fnv64(&out[at + FRAME_HEAD..end]);
            out[at..at + 4].copy_from_slice(b"AXC1");
            out[at + 12..at + 20].copy_from_slice(&sum.to_le_bytes());
            at = end;
        }
        out
    }

    #[test]
    fn an_entry_an_earlier_explorer_kept_still_opens_and_takes_new_frames() {
        let new = entry("k", 10 * HOUR);
        assert_eq!(&new[..4], b"AXC2");
        let old = as_first_format(&new);
        assert_ne!(old, new);
        let read = read_entry(&old, "k", 11 * HOUR, 24 * HOUR).unwrap();
        let fresh = read_entry(&new, "k", 11 * HOUR, 24 * HOUR).unwrap();
        assert_eq!(read.trail, fresh.trail);
        assert_eq!(read.pages, fresh.pages);
        // A refresh appends frames of the current format to the old entry.
        let mut mixed = old.clone();
        mixed.extend(frame(&Frame::Complete { at: 12 * HOUR }, &[]));
        assert!(
            read_entry(&mixed, "k", 13 * HOUR, 24 * HOUR)
                .unwrap()
                .trail
                .complete
        );
        // An old frame altered is still caught by its own checksum.
        let mut altered = old;
        let last = altered.len() - 2;
        altered[last] ^= 1;
        assert!(matches!(
            read_entry(&altered, "k", 11 * HOUR, 24 * HOUR),
            Err(Unusable::Damaged(_))
        ));
    }

    #[test]
    fn an_entry_reads_back_its_answers_as_pages_named_by_listing() {
        let mut bytes = entry("k", 10 * HOUR);
        let read = read_entry(&bytes, "k", 13 * HOUR, 24 * HOUR).unwrap();
        assert!(
            !read.trail.complete,
            "no Complete frame: an interrupted load"
        );
        assert_eq!(read.trail.answers, 2);
        assert_eq!(
            read.trail.pages,
            [(
                "https://eu.api/api_gateway/v2/audits?entityType=CUSTOMER&entityId=5&limit=50"
                    .to_owned(),
                0,
                facts()
            )]
        );
        assert_eq!(read.pages[1].name, crate::read::CARD_STATUS_LISTING);
        assert_eq!(read.pages[1].bytes, b"{\"data\":[1]}");
        assert_eq!(read.trail.updated_at, 10 * HOUR + 5);
        assert!(
            read.trail.line.contains("3 hours ago"),
            "{}",
            read.trail.line
        );
        bytes.extend(frame(&Frame::Complete { at: 11 * HOUR }, &[]));
        let read = read_entry(&bytes, "k", 13 * HOUR, 24 * HOUR).unwrap();
        assert!(read.trail.complete);
    }

    #[test]
    fn an_entry_that_does_not_read_back_whole_is_damaged_never_shown() {
        let bytes = entry("k", 0);
        // Cut anywhere inside it.
        for cut in [1, FRAME_HEAD, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                matches!(
                    read_entry(&bytes[..cut], "k", 1, HOUR),
                    Err(Unusable::Damaged(_))
                ),
                "cut at {cut}"
            );
        }
        // Any byte flipped: the checksum or the framing says so.
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x20;
            assert!(read_entry(&bad, "k", 1, HOUR).is_err(), "flip at {at}");
        }
        assert_eq!(
            read_entry(&[], "k", 1, HOUR).err(),
            Some(Unusable::Damaged("it is empty".into()))
        );
        let answer_first = frame(
            &Frame::Answer {
                purpose: page(0),
                saved_at: 0,
                facts: None,
            },
            b"{}",
        );
        assert!(matches!(
            read_entry(&answer_first, "k", 1, HOUR),
            Err(Unusable::Damaged(_))
        ));
    }

    #[test]
    fn expired_and_foreign_entries_are_not_shown() {
        let bytes = entry("k", 0);
        assert_eq!(
            read_entry(&bytes, "k", 24 * HOUR, 24 * HOUR).err(),
            Some(Unusable::Expired)
        );
        assert!(read_entry(&bytes, "k", 24 * HOUR - 1, 24 * HOUR).is_ok());
        assert_eq!(
            read_entry(&bytes, "other", 1, HOUR).err(),
            Some(Unusable::OtherKey)
        );
        assert!(head_expired(&bytes, 24 * HOUR, 24 * HOUR));
        assert!(!head_expired(&bytes, HOUR, 24 * HOUR));
        assert!(
            head_expired(&bytes[..3], HOUR, 24 * HOUR),
            "a head that does not read"
        );
    }

    #[test]
    fn keys_name_the_api_entity_and_parameters_and_never_credentials() {
        let link = crate::Link::read(
            [
                ("api", "https://eu.api.capillarytech.com"),
                ("auth", "basic"),
                ("entityType", "CUSTOMER"),
                ("entityId", "98662653"),
                ("limit", "50"),
            ],
            &crate::LinkDefaults::default(),
        );
        let request = link.api.request(None).unwrap().unwrap();
        let key = trail_key(&request);
        assert!(key.contains("eu.api.capillarytech.com"), "{key}");
        assert!(
            key.contains("CUSTOMER 98662653") && key.contains("limit=50"),
            "{key}"
        );
        let mut other = request.clone();
        other.params.limit = Some(100);
        assert_ne!(trail_key(&other), key);
        assert_eq!(file_name(&key), file_name(&key.clone()));
        assert_ne!(file_name(&key), file_name(&trail_key(&other)));
        assert!(file_name(&key).ends_with(".trail") && file_name(&key).len() == 22);
    }

    /// Bytes in memory, counting what is read, failing from byte `fail_at` on.
    struct Counted<'a> {
        bytes: &'a [u8],
        read: usize,
        fail_at: usize,
    }

    impl EntrySource for Counted<'_> {
        fn size(&mut self) -> Result<usize, String> {
            Ok(self.bytes.len())
        }

        fn read_at(&mut self, at: usize, buf: &mut [u8]) -> Result<usize, String> {
            if at + buf.len() > self.fail_at {
                return Err("NotReadableError: the file could not be read".into());
            }
            let n = self.bytes.read_at(at, buf)?;
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn an_entry_is_read_a_frame_at_a_time_and_no_further_than_it_must() {
        let bytes = entry("k", 0);
        let mut whole = Counted {
            bytes: &bytes,
            read: 0,
            fail_at: usize::MAX,
        };
        let read = read_entry_from(&mut whole, "k", 1, HOUR).unwrap().unwrap();
        assert_eq!(whole.read, bytes.len(), "each byte read once");
        assert_eq!(read.pages.len(), 2);
        let first = FRAME_HEAD
            + crate::protocol::encode(&Frame::Start {
                key: "k".into(),
                saved_at: 0,
            })
            .len();
        for (key, now, why) in [("k", HOUR, Unusable::Expired), ("j", 1, Unusable::OtherKey)] {
            let mut source = Counted {
                bytes: &bytes,
                read: 0,
                fail_at: usize::MAX,
            };
            assert_eq!(
                read_entry_from(&mut source, key, now, HOUR).unwrap().err(),
                Some(why)
            );
            assert_eq!(source.read, first, "only the first frame is read");
        }
        // The storage failing is not the entry being damaged: it may be fine.
        let mut failing = Counted {
            bytes: &bytes,
            read: 0,
            fail_at: bytes.len() - 3,
        };
        assert!(read_entry_from(&mut failing, "k", 1, HOUR)
            .unwrap_err()
            .contains("NotReadableError"));
    }
}
