//! The string table: every distinct string of the store once, addressed by `u32`.
//!
//! Audit trails repeat themselves (event types, fields, sources, modes, users,
//! request ids, stores; a push token is the current value of one event and the
//! previous value of the next), so interning is what keeps a million events well
//! under half the raw JSON size. All strings live in one buffer (no per-string
//! allocation), and a lowercase copy of each is prepared once at intern time so
//! case-insensitive search never lowercases per event or per keystroke.
//!
//! Except for long mixed-case ASCII strings (push tokens: 150+ characters, a
//! new one per token change): a second copy of those was ~20 % of the store.
//! They sit in the haystack as written; the search compares needle letters
//! with the case bit masked off (see [`Needle`]), so they need no folding.
//!
//! Each string also has a 64-bit signature of the byte classes it holds (see
//! [`CLASS`]), made at intern time. A one-byte needle is answered from the
//! signatures alone, and a search within a few strings skips those that lack
//! one of the needle's bytes: fresh one- and two-letter keystrokes were the
//! slowest ones, scanning every byte of the haystack.

use crate::chunked::Chunked;
use crate::table::IdTable;
use std::rc::Rc;

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
    /// Byte classes ([`CLASS`]) in string `i`'s haystack slice, one bit each.
    /// 8 bytes a string (~13 B/event on the bench's data) buy one-letter
    /// keystrokes without a byte scan.
    sig: Chunked<u64>,
    /// Low 32 bits of string `i`'s [`hash`]: a growing table moves ids
    /// without hashing their bytes again (that re-hash was most of inserting
    /// a string). 4 bytes a string; the table's slot index and tags take only
    /// these bits.
    hashes: Chunked<u32>,
    /// Recently interned short strings that were seen before (see [`Hot`]).
    hot: Vec<Hot>,
}

/// Longest string the [`Hot`] cache holds.
const HOT_LEN: usize = 32;
/// Entries of the cache (direct-mapped by hash).
const HOT_SLOTS: usize = 1024;

/// One entry of a small direct-mapped cache of strings interned again:
/// keys, types, fields, sources, users, ids that repeat on every record.
/// A hit costs a hash and one compare of at most [`HOT_LEN`] bytes in a 48
/// KiB table that stays in cache, instead of a probe of the big table and a
/// look at the string's bytes in the chunked haystack (~15 of a record's ~18
/// strings are repeats). A string enters it when interned a second time, so
/// the ids and tokens seen once never push the repeated ones out.
#[derive(Debug, Clone, Copy)]
struct Hot {
    hash: u64,
    id: u32,
    len: u32,
    bytes: [u8; HOT_LEN],
}

impl Default for Hot {
    fn default() -> Hot {
        // `len` past HOT_LEN: matches nothing.
        Hot {
            hash: 0,
            id: 0,
            len: u32::MAX,
            bytes: [0; HOT_LEN],
        }
    }
}

const SAME: u32 = u32::MAX;
/// `orig` marker: the haystack holds the string as written (ASCII, with
/// capitals, at least [`MIXED_MIN_LEN`] bytes); search ignores its case.
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

/// `a == b`, eight bytes at a time. Slice equality is a call to `memcmp` in
/// the WASM build (compiler-builtins' loop, a byte at a time): interning's
/// compares of the string a hash found, mostly 5–40 bytes long, were ~6 % of
/// a page's ingest there as that call.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        if n >= 4 {
            return word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4);
        }
        let mut i = 0;
        while i < n {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        return true;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes (overlapping the word before when `n` is not a
    // multiple of 8).
    word(a, n - 8) == word(b, n - 8)
}

#[inline(always)]
fn word4(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
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
    #[inline(always)]
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
    /// copy, or the string as written when it is [`MIXED`]. Inlined: every
    /// probe of an intern compares through it (it was a call, ~3 % of ingest).
    #[inline(always)]
    fn lower(&self, id: u32) -> &[u8] {
        let (chunk, start, end) = self.span(id);
        &chunk[start..end]
    }

    /// The haystack chunk holding string `id`, and where the string is in it
    /// (`start..end`, separator excluded). The chunk goes on past `end` (the
    /// next strings, each followed by [`SEP`]).
    #[inline(always)]
    fn span(&self, id: u32) -> (&[u8], usize, usize) {
        let i = id as usize;
        let start = self.lower_starts[i] as usize;
        let (chunk, at) = self.lower.chunk_at(start);
        // (An `if`, not `bool::then` and a closure: those stayed calls in the
        // size-optimised WASM build, per string of every scan.)
        let next = if i + 1 < self.len() {
            self.lower_starts[i + 1] as usize
        } else {
            usize::MAX
        };
        let end = if next != usize::MAX && Chunked::<u8>::same_chunk(start, next) {
            next - (start - at)
        } else {
            chunk.len()
        };
        (chunk, at, end - 1)
    }

    /// The table lookup: the table's tags turn nearly every other id away
    /// before any bytes are compared.
    #[inline(always)]
    fn lookup(&self, h: u64, s: &[u8]) -> Option<u32> {
        self.table.find(h, |id| same_bytes(self.bytes(id), s))
    }

    /// Id of `s`, if interned.
    pub fn find(&self, s: &str) -> Option<u32> {
        let s = s.as_bytes();
        self.lookup(hash(s), s)
    }

    /// Id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let bytes = s.as_bytes();
        let h = hash(bytes);
        let slot = (h >> 40) as usize % HOT_SLOTS;
        if bytes.len() <= HOT_LEN {
            if let Some(e) = self.hot.get(slot) {
                if e.hash == h
                    && e.len as usize == bytes.len()
                    && same_bytes(&e.bytes[..bytes.len()], bytes)
                {
                    return e.id;
                }
            }
        }
        if let Some(id) = self.lookup(h, bytes) {
            if bytes.len() <= HOT_LEN {
                if self.hot.is_empty() {
                    self.hot = vec![Hot::default(); HOT_SLOTS];
                }
                let e = &mut self.hot[slot];
                e.bytes[..bytes.len()].copy_from_slice(bytes);
                (e.hash, e.id, e.len) = (h, id, bytes.len() as u32);
            }
            return id;
        }
        let mut table = std::mem::take(&mut self.table);
        let hashes = &self.hashes;
        let id = table.insert(h, |id| u64::from(hashes[id as usize]));
        self.table = table;
        self.hashes.push(h as u32);
        debug_assert_eq!(id as usize, self.lower_starts.len());
        // Each string goes into the chunked haystack whole, with its
        // separator. One pass finds whether it is ASCII, has capitals, and
        // its signature (classes fold ASCII case, so a mixed-case string's
        // signature is its lowercase form's).
        let ascii = bytes.is_ascii();
        let (mut upper, mut sig) = (false, 0u64);
        for &b in bytes {
            upper |= b.is_ascii_uppercase();
            sig |= CLASS_BIT[b as usize];
        }
        let start = if ascii && (!upper || s.len() >= MIXED_MIN_LEN) {
            // Kept as written: lowercase already, or a long mixed-case one.
            self.orig.push(if upper { MIXED } else { SAME });
            self.lower.push_with(s.len() + 1, |v| {
                v.extend_from_slice(bytes);
                v.push(SEP);
            })
        } else if ascii {
            let start = self.lower.push_with(s.len() + 1, |v| {
                v.extend(bytes.iter().map(u8::to_ascii_lowercase));
                v.push(SEP);
            });
            let at = self.text.push_slice(bytes);
            self.orig.push(at as u32);
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
        if !ascii {
            // Lowercasing may change non-ASCII bytes: the haystack's count.
            sig = self
                .lower(id)
                .iter()
                .fold(0u64, |sig, &b| sig | 1 << CLASS[b as usize]);
        }
        self.sig.push(sig);
        id
    }

    /// Marks in `out` every string whose lowercase form contains `needle`
    /// (already lowercase).
    ///
    /// A one-byte needle of an exact class (a letter, a digit, common
    /// punctuation) is answered from the signatures alone, 64 strings per output
    /// word: a fresh one-letter keystroke used to `memmem` the whole haystack,
    /// stopping at nearly every string. Longer needles go through each chunk of
    /// the haystack in one pass ([`Strings::scan_chunks`]) with the word-at-a-time
    /// test of [`Needle::find_pos`] instead of `memmem`: in WASM (no SIMD) that
    /// is faster, and it needs no case-folding copy of mixed-case strings.
    pub fn scan_all(&self, needle: &[u8], out: &mut BitSet) {
        if needle.is_empty() {
            out.fill(self.len());
            return;
        }
        let n = Needle::new(needle);
        if let Some(bit) = n.exact_byte() {
            // Chunks hold a multiple of 64 signatures, so words line up.
            for (base, sigs) in self.sig.segments() {
                for (w, chunk) in sigs.chunks(64).enumerate() {
                    let mut word = 0u64;
                    for (j, &s) in chunk.iter().enumerate() {
                        word |= u64::from(s & bit != 0) << j;
                    }
                    out.or_word(base / 64 + w, word);
                }
            }
            return;
        }
        if n.contiguous() {
            self.scan_chunks(&n, None, out);
            return;
        }
        let mut id = 0;
        while (id as usize) < self.len() {
            if self.has(id, &n) {
                out.insert(id);
            }
            id += 1;
        }
    }

    /// Marks every string (of `within`, when given) containing the needle by
    /// one pass over each chunk of the haystack: no per-string setup (in the
    /// size-optimised WASM build the signature test, the string's bounds and
    /// the call per string cost more than its bytes), the string of a match
    /// found by walking the string starts forward, the search resuming at the
    /// next string. Needles are [`Needle::contiguous`], so no match spans a
    /// separator.
    fn scan_chunks(&self, n: &Needle<'_>, within: Option<&BitSet>, out: &mut BitSet) {
        let mut id = 0usize;
        for (base, chunk) in self.lower.segments() {
            self.scan_chunk(n, within, base, chunk, &mut id, out);
        }
    }

    /// [`Strings::scan_chunks`] for one chunk (at `base` in the haystack); `id` is the
    /// string the scan has reached, carried from chunk to chunk.
    fn scan_chunk(
        &self,
        n: &Needle<'_>,
        within: Option<&BitSet>,
        base: usize,
        chunk: &[u8],
        id: &mut usize,
        out: &mut BitSet,
    ) {
        let count = self.len();
        let mut p = 0;
        while let Some(q) = n.find_pos(chunk, p, chunk.len()) {
            let at = base + q;
            // The string holding `at`: the last one starting at or before
            // it, walking the string starts a chunk slice at a time.
            while *id + 1 < count {
                let (starts, from) = self.lower_starts.chunk_at(*id + 1);
                let mut o = from;
                while o < starts.len() && starts[o] as usize <= at {
                    o += 1;
                }
                *id += o - from;
                if o < starts.len() {
                    break;
                }
            }
            if within.is_none_or(|w| w.contains(*id as u32)) {
                out.insert(*id as u32);
            }
            // On to the next string, if it is in this chunk.
            if *id + 1 >= count {
                return;
            }
            let next = self.lower_starts[*id + 1] as usize;
            if next < base || next - base >= chunk.len() {
                return;
            }
            p = next - base;
        }
    }

    /// True when string `id` contains the prepared needle: a signature test,
    /// then a search of its haystack slice.
    #[inline(always)]
    fn has(&self, id: u32, n: &Needle<'_>) -> bool {
        let i = id as usize;
        if self.sig[i] & n.sig != n.sig {
            return false;
        }
        let (chunk, start, end) = self.span(id);
        n.find_in(chunk, start, end)
    }

    /// True when string `id`'s lowercase form contains the (lowercase) needle.
    pub fn contains(&self, id: u32, needle: &[u8]) -> bool {
        self.has(id, &Needle::new(needle))
    }

    /// Like [`Strings::scan_all`] but only over the strings set in `within`
    /// (used when a keystroke extends a needle whose matches are known): when
    /// those are most strings (`fi` after `f`), one pass over the haystack;
    /// otherwise string by string, skipping those whose signature lacks a
    /// byte of the needle.
    pub fn scan_within(&self, needle: &[u8], within: &BitSet, out: &mut BitSet) {
        let n = Needle::new(needle);
        if n.contiguous() && within.count_ones() * 2 > self.len() {
            self.scan_chunks(&n, Some(within), out);
            return;
        }
        for id in within.iter() {
            if self.has(id, &n) {
                out.insert(id);
            }
        }
    }

    /// Starts marking the strings (of `within`, when given) that contain `needle`, in steps
    /// of about a haystack chunk each ([`StringScan::step`]): the same strings as
    /// [`Strings::scan_all`] / [`Strings::scan_within`], done so a caller can stop between
    /// steps (a newer keystroke) and go on later.
    pub fn start_scan(&self, needle: &[u8], within: Option<Rc<BitSet>>) -> StringScan {
        let n = Needle::new(needle);
        let phase = if needle.is_empty() {
            ScanPhase::All
        } else if within.is_none() && n.exact_byte().is_some() {
            ScanPhase::Signatures { segment: 0 }
        } else if n.contiguous()
            && within
                .as_ref()
                .is_none_or(|w| w.count_ones() * 2 > self.len())
        {
            ScanPhase::Chunks { segment: 0, id: 0 }
        } else {
            ScanPhase::Each { id: 0 }
        };
        StringScan {
            needle: needle.to_vec(),
            within,
            out: BitSet::with_len(self.len()),
            phase,
        }
    }

    /// Bytes held (the store reports [`Strings::heap_parts`]).
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.heap_parts().iter().map(|&(_, b)| b).sum()
    }

    /// [`Strings::heap_bytes`] by column.
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("strings: haystack", self.lower.heap_bytes()),
            ("strings: originals", self.text.heap_bytes()),
            ("strings: starts", self.lower_starts.heap_bytes()),
            ("strings: original at", self.orig.heap_bytes()),
            ("strings: signatures", self.sig.heap_bytes()),
            ("strings: hashes", self.hashes.heap_bytes()),
            ("strings: id table", self.table.heap_bytes()),
            (
                "strings: hot cache",
                self.hot.capacity() * std::mem::size_of::<Hot>(),
            ),
        ]
    }

    /// Releases spare capacity once a bulk load is done.
    pub fn shrink_to_fit(&mut self) {
        let mut table = std::mem::take(&mut self.table);
        let hashes = &self.hashes;
        table.settle(|id| u64::from(hashes[id as usize]));
        self.table = table;
        self.text.shrink_to_fit();
        self.lower.shrink_to_fit();
        self.orig.shrink_to_fit();
        self.lower_starts.shrink_to_fit();
        self.sig.shrink_to_fit();
        self.hashes.shrink_to_fit();
    }
}

/// Signature class of each byte: `a`–`z` in either case (0–25), `0`–`9`
/// (26–35) and 27 punctuation bytes common in ids, names and labels (36–62)
/// have a bit of their own, so a one-byte needle of those is answered exactly
/// by the signatures; every other byte (rarer punctuation, control and
/// non-ASCII bytes) shares [`OTHER`], which only narrows the strings to search.
const CLASS: [u8; 256] = classes();
/// `1 << CLASS[b]`, so a new string's signature is one load and an `or` a byte.
const CLASS_BIT: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = 1 << CLASS[b];
        b += 1;
    }
    t
};
const OTHER: u8 = 63;
const PUNCT: &[u8; 27] = b" -_.:@/,+#()'\"&=%!?*;|<>[]$";

const fn classes() -> [u8; 256] {
    let mut t = [OTHER; 256];
    let mut i = 0;
    while i < 26 {
        t[b'a' as usize + i] = i as u8;
        t[b'A' as usize + i] = i as u8;
        i += 1;
    }
    i = 0;
    while i < 10 {
        t[b'0' as usize + i] = 26 + i as u8;
        i += 1;
    }
    i = 0;
    while i < PUNCT.len() {
        t[PUNCT[i] as usize] = 36 + i as u8;
        i += 1;
    }
    t
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const BYTES: u64 = 0x0101_0101_0101_0101;

/// High bit of each byte of `x` that is zero, and only those (no borrow
/// between bytes, unlike the shorter `(x - 0x01..) & !x & 0x80..`).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Eight bytes at `at` (little-endian), or 0 past the end.
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// A lowercase needle prepared for a case-insensitive search of the haystack.
///
/// A lowercase ASCII letter of the needle matches a haystack byte when they
/// are equal once the haystack byte's case bit (`0x20`) is set: only `A`–`Z`
/// and `a`–`z` map into `a`–`z` that way, so this is exact, and it lets
/// mixed-case strings be searched as written. Other needle bytes must be equal.
pub(crate) struct Needle<'a> {
    bytes: &'a [u8],
    /// Per needle byte, `0x20` when it is a lowercase letter, else 0.
    fold: Vec<u8>,
    /// Classes of the needle's bytes.
    sig: u64,
}

impl<'a> Needle<'a> {
    pub fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle {
            bytes,
            fold: bytes
                .iter()
                .map(|b| if b.is_ascii_lowercase() { 0x20 } else { 0 })
                .collect(),
            sig: bytes.iter().fold(0, |s, &b| s | 1 << CLASS[b as usize]),
        }
    }

    /// The signature bit that alone decides a match: a one-byte needle whose
    /// class holds no other lowercase byte. (An uppercase ASCII needle byte
    /// shares its class with its lowercase form, so it is searched instead.)
    fn exact_byte(&self) -> Option<u64> {
        match self.bytes {
            [b] if CLASS[*b as usize] != OTHER && !b.is_ascii_uppercase() => Some(self.sig),
            _ => None,
        }
    }

    /// True when the contiguous scan applies: two bytes or more (so the word
    /// test is used) and no zero byte (so no match spans a separator).
    fn contiguous(&self) -> bool {
        self.bytes.len() >= 2 && !self.bytes.contains(&SEP)
    }

    /// True when byte `q` of `buf` starts the needle.
    #[inline(always)]
    fn at(&self, buf: &[u8], q: usize) -> bool {
        buf[q..q + self.bytes.len()]
            .iter()
            .zip(self.bytes.iter().zip(&self.fold))
            .all(|(&h, (&n, &f))| h | f == n)
    }

    /// The first byte of `buf[start..end]` where the needle starts and ends
    /// by `end`. The first two needle bytes are tested for eight positions at
    /// once with word arithmetic (WASM has 64-bit integers but, as shipped, no
    /// SIMD, and `memchr`'s portable path works on 32-bit words there); the
    /// rest only where those two match.
    fn find_pos(&self, buf: &[u8], start: usize, end: usize) -> Option<usize> {
        let len = self.bytes.len();
        if end < start + len {
            return None;
        }
        let last = end - len;
        let mut p = start;
        if let ([n0, n1, ..], [f0, f1, ..]) = (self.bytes, self.fold.as_slice()) {
            let (n0, n1) = (BYTES * u64::from(*n0), BYTES * u64::from(*n1));
            let (f0, f1) = (BYTES * u64::from(*f0), BYTES * u64::from(*f1));
            // Words may run past `end` into the next strings: matches
            // starting after `last` are ignored.
            while p <= last {
                let Some(chunk) = buf
                    .get(p..p + 16)
                    .and_then(|c| <&[u8; 16]>::try_from(c).ok())
                else {
                    break;
                };
                // A byte of `x` is zero where both needle bytes match.
                let x = ((word(chunk, 0) | f0) ^ n0) | ((word(chunk, 1) | f1) ^ n1);
                let mut z = zero_bytes(x);
                while z != 0 {
                    let q = p + (z.trailing_zeros() / 8) as usize;
                    if q > last {
                        return None;
                    }
                    if self.at(buf, q) {
                        return Some(q);
                    }
                    z &= z - 1;
                }
                p += 8;
            }
        }
        (p..=last).find(|&q| self.at(buf, q))
    }

    /// True when the needle occurs in `buf[start..end]` (see [`Needle::find_pos`]).
    #[inline(always)]
    fn find_in(&self, buf: &[u8], start: usize, end: usize) -> bool {
        self.find_pos(buf, start, end).is_some()
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

    /// Sets the bits of `bits` in word `w` (ids `64 * w ..`).
    pub fn or_word(&mut self, w: usize, bits: u64) {
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= bits;
    }

    // `inline(always)` here and on the scan's helpers: the shipped WASM is
    // built for size (`opt-level = "z"`), which left these as calls in the
    // per-string and per-event loops.
    #[inline(always)]
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

    /// How many ids are set.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// A string scan in progress (see [`Strings::start_scan`]).
pub struct StringScan {
    needle: Vec<u8>,
    within: Option<Rc<BitSet>>,
    out: BitSet,
    phase: ScanPhase,
}

enum ScanPhase {
    /// An empty needle: every string.
    All,
    /// A one-byte needle of an exact class, from the signatures: next segment.
    Signatures {
        segment: usize,
    },
    /// A contiguous needle, one haystack chunk at a time: next chunk, and the string the
    /// scan has reached.
    Chunks {
        segment: usize,
        id: usize,
    },
    /// String by string (a needle that is not contiguous, or few strings to look at).
    Each {
        id: u32,
    },
    Done,
}

/// Strings a string-by-string step looks at before asking whether to go on.
const SCAN_EACH_STEP: u32 = 16_384;

impl StringScan {
    /// Does about one chunk's worth of the scan; true when it is complete.
    pub fn step(&mut self, strings: &Strings) -> bool {
        let n = Needle::new(&self.needle);
        match &mut self.phase {
            ScanPhase::All => {
                self.out.fill(strings.len());
                self.phase = ScanPhase::Done;
            }
            ScanPhase::Signatures { segment } => {
                let bit = n.exact_byte().unwrap_or(0);
                match strings.sig.segments().nth(*segment) {
                    Some((base, sigs)) => {
                        for (w, chunk) in sigs.chunks(64).enumerate() {
                            let mut word = 0u64;
                            for (j, &s) in chunk.iter().enumerate() {
                                word |= u64::from(s & bit != 0) << j;
                            }
                            self.out.or_word(base / 64 + w, word);
                        }
                        *segment += 1;
                    }
                    None => self.phase = ScanPhase::Done,
                }
            }
            ScanPhase::Chunks { segment, id } => match strings.lower.segments().nth(*segment) {
                Some((base, chunk)) => {
                    strings.scan_chunk(&n, self.within.as_deref(), base, chunk, id, &mut self.out);
                    *segment += 1;
                }
                None => self.phase = ScanPhase::Done,
            },
            ScanPhase::Each { id } => {
                let end = (*id)
                    .saturating_add(SCAN_EACH_STEP)
                    .min(strings.len() as u32);
                while *id < end {
                    let wanted = self.within.as_ref().is_none_or(|w| w.contains(*id));
                    if wanted && strings.has(*id, &n) {
                        self.out.insert(*id);
                    }
                    *id += 1;
                }
                if *id as usize >= strings.len() {
                    self.phase = ScanPhase::Done;
                }
            }
            ScanPhase::Done => {}
        }
        matches!(self.phase, ScanPhase::Done)
    }

    /// The strings found (all of them once [`StringScan::step`] said it is complete).
    pub fn into_matches(self) -> BitSet {
        self.out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn same_bytes_agrees_with_slice_equality_at_every_length_and_position() {
        let a: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=a.len() {
            let x = &a[..n];
            assert!(same_bytes(x, &a[..n]), "{n} bytes, equal");
            for at in 0..n {
                let mut y = x.to_vec();
                y[at] ^= 0x20;
                assert!(!same_bytes(x, &y), "{n} bytes, differing at {at}");
            }
            if n > 0 {
                assert!(!same_bytes(x, &a[..n - 1]), "{n} against {} bytes", n - 1);
            }
        }
    }

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
        assert!(s.contains(t, b"z2f:apa"));
        assert!(!s.contains(t, b"z2f:apb"));
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
                let all: Vec<u32> = out.iter().collect();
                // The same strings when scanned a step at a time, across the chunks…
                let mut scan = s.start_scan(needle.as_bytes(), None);
                while !scan.step(s) {}
                assert_eq!(
                    scan.into_matches().iter().collect::<Vec<_>>(),
                    all,
                    "{needle:?} in steps"
                );
                // …and when narrowing from the matches of a shorter needle.
                let shorter = &needle[..needle
                    .char_indices()
                    .nth(2)
                    .map_or(needle.len(), |(i, _)| i)];
                let mut within = BitSet::with_len(s.len());
                s.scan_all(shorter.as_bytes(), &mut within);
                let mut scan = s.start_scan(needle.as_bytes(), Some(Rc::new(within)));
                while !scan.step(s) {}
                assert_eq!(
                    scan.into_matches().iter().collect::<Vec<_>>(),
                    all,
                    "{needle:?} within {shorter:?}"
                );
                all
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

    /// xorshift64*, so the random cases are the same on every run.
    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        /// A string mixing the kinds the fast paths treat differently: ASCII in
        /// any case (long ones are kept as written), digits, common and rare
        /// punctuation (the shared signature class), non-ASCII text whose
        /// lowercase form differs in length or bytes.
        pub fn string(&mut self) -> String {
            const PIECES: [&str; 24] = [
                "a", "B", "fc", "FC", "Io", "iOS", "99", "9", "-", "_", ":", " ", "^", "`", "~",
                "\\", "{", "\u{7f}", "Größe", "STRASSE", "İ", "ǅ", "Ωμ", "КИР",
            ];
            const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            let mut out = String::new();
            if self.below(4) == 0 {
                // Long enough to be kept as written when it has capitals.
                for _ in 0..MIXED_MIN_LEN + self.below(40) {
                    out.push(ALNUM[self.below(ALNUM.len())] as char);
                }
            }
            for _ in 0..self.below(6) {
                out.push_str(self.pick(&PIECES));
                if self.below(2) == 0 {
                    out.push(ALNUM[self.below(ALNUM.len())] as char);
                }
            }
            out
        }

        /// A lowercase needle: a piece of one of `strings` (lowercased, cut at
        /// character boundaries) or a short random one.
        pub fn needle(&mut self, strings: &[String]) -> String {
            const SHORT: [&str; 16] = [
                "f", "c", "fc", "i", "io", "9", "99", "-", "_", "^", "`", "~", "ö", "ß", "μ", "k",
            ];
            if self.below(3) == 0 || strings.is_empty() {
                return self.pick(&SHORT).to_owned();
            }
            let low: Vec<char> = strings[self.below(strings.len())]
                .to_lowercase()
                .chars()
                .collect();
            if low.is_empty() {
                return "a".to_owned();
            }
            let from = self.below(low.len());
            let len = 1 + self.below(4.min(low.len() - from));
            low[from..from + len].iter().collect()
        }
    }

    /// The scans, with their signature and word-at-a-time fast paths, find
    /// exactly the strings whose lowercase form contains the needle.
    #[test]
    fn scans_agree_with_a_naive_lowercase_contains() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..40 {
            let mut s = Strings::default();
            let strings: Vec<String> = (0..200 + round * 10).map(|_| rng.string()).collect();
            for x in &strings {
                s.intern(x);
            }
            let mut all = BitSet::with_len(s.len());
            all.fill(s.len());
            for _ in 0..30 {
                let needle = rng.needle(&strings);
                let naive: Vec<u32> = (0..s.len() as u32)
                    .filter(|&id| s.get(id).to_lowercase().contains(needle.as_str()))
                    .collect();
                let mut hits = BitSet::with_len(s.len());
                s.scan_all(needle.as_bytes(), &mut hits);
                assert_eq!(
                    hits.iter().collect::<Vec<_>>(),
                    naive,
                    "scan_all {needle:?}"
                );
                let mut within = BitSet::with_len(s.len());
                s.scan_within(needle.as_bytes(), &all, &mut within);
                assert_eq!(within, hits, "scan_within {needle:?}");
                // A few strings only: searched one by one, not in one pass.
                let mut some = BitSet::with_len(s.len());
                for id in 0..s.len() as u32 {
                    if rng.below(4) == 0 {
                        some.insert(id);
                    }
                }
                let mut within = BitSet::with_len(s.len());
                s.scan_within(needle.as_bytes(), &some, &mut within);
                let want: Vec<u32> = naive
                    .iter()
                    .copied()
                    .filter(|&id| some.contains(id))
                    .collect();
                assert_eq!(
                    within.iter().collect::<Vec<_>>(),
                    want,
                    "scan_within some {needle:?}"
                );
                for id in 0..s.len() as u32 {
                    assert_eq!(
                        s.contains(id, needle.as_bytes()),
                        hits.contains(id),
                        "contains {needle:?} in {:?}",
                        s.get(id)
                    );
                }
            }
        }
    }
}
