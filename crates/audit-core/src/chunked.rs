//! A vector kept in chunks of ~1 MiB that never moves what it holds.
//!
//! A `Vec` that doubles copies everything it holds in one call: at a million
//! events the string bytes (~100 MB), the record rows (~45 MB) and the
//! key/value pairs (~20 MB) each had one page whose `ingest_page` paid for
//! such a copy (80–200 ms in the browser, where `realloc` of a big block is a
//! copy into fresh memory). Here only the first chunk grows by doubling, up to
//! one chunk; after that a full chunk is left as it is and a new one started,
//! so the most any push costs is allocating one chunk.
//!
//! Positions are `chunk << SHIFT | offset`, so element access is two indexings
//! and no search. Lists pushed with [`Chunked::push_with`] /
//! [`Chunked::push_slice`] never straddle two chunks (a list that does not fit
//! the last chunk starts the next one), so a list is one slice
//! (`&chunked[start..end]`), as string bytes and key/value lists must be. A
//! list longer than a chunk gets a chunk of its own, followed by empty
//! placeholder chunks for the positions it covers.
//!
//! The index functions are `#[inline(always)]`: in the size-optimised WASM
//! build (`opt-level = "z"`) plain `#[inline]` left them calls, ~9 % of a
//! keystroke at 1M events.

use std::ops::{Index, IndexMut, Range};

/// Bytes per chunk (rounded down to a power of two of elements).
const CHUNK_BYTES: usize = 1 << 20;
/// Smallest allocation of the first chunk, in elements.
const MIN_CAP: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    /// The last chunk takes nothing more: it is a placeholder behind a list
    /// longer than a chunk.
    sealed: bool,
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked {
            chunks: Vec::new(),
            sealed: false,
        }
    }
}

impl<T: Copy> Chunked<T> {
    const SHIFT: u32 = {
        let per = if size_of::<T>() == 0 {
            CHUNK_BYTES
        } else {
            CHUNK_BYTES / size_of::<T>()
        };
        if per <= 1 {
            0
        } else {
            per.ilog2()
        }
    };
    /// Elements per chunk.
    const CAP: usize = 1 << Self::SHIFT;
    const MASK: usize = Self::CAP - 1;

    /// Position after the last element of the last chunk. For a table used
    /// element by element (no list longer than a chunk) that is the number of
    /// elements, and `0..len()` are all valid indexes.
    #[inline(always)]
    pub fn len(&self) -> usize {
        match self.chunks.last() {
            None => 0,
            Some(last) => ((self.chunks.len() - 1) << Self::SHIFT) + last.len(),
        }
    }

    pub fn push(&mut self, x: T) -> usize {
        self.push_with(1, |v| v.push(x))
    }

    pub fn push_slice(&mut self, xs: &[T]) -> usize {
        self.push_with(xs.len(), |v| v.extend_from_slice(xs))
    }

    /// Appends `n` elements written by `fill` (which must push exactly `n`
    /// onto the vector it is given) in one chunk; returns the first one's
    /// position. Lets a caller build a list in place (a lowercased string, a
    /// length prefix and its bytes) without a scratch copy.
    pub fn push_with(&mut self, n: usize, fill: impl FnOnce(&mut Vec<T>)) -> usize {
        if n > Self::CAP {
            // Its own chunk, and placeholders for the positions it covers.
            let at = self.chunks.len();
            let mut own = Vec::with_capacity(n);
            fill(&mut own);
            debug_assert_eq!(own.len(), n);
            self.chunks.push(own);
            self.chunks
                .extend((1..n.div_ceil(Self::CAP)).map(|_| Vec::new()));
            self.sealed = true;
            return at << Self::SHIFT;
        }
        let fits = !self.sealed && self.chunks.last().is_some_and(|l| l.len() + n <= Self::CAP);
        if !fits {
            // The first chunk starts small (a store of ten events stays
            // small); later ones are allocated whole, once.
            let cap = if self.chunks.is_empty() { 0 } else { Self::CAP };
            self.chunks.push(Vec::with_capacity(cap));
            self.sealed = false;
        }
        let at = self.chunks.len() - 1;
        let last = &mut self.chunks[at];
        if last.capacity() - last.len() < n {
            // Doubling, capped at one chunk: copies at most one chunk.
            let want = (last.capacity() * 2)
                .max(last.len() + n)
                .max(MIN_CAP)
                .min(Self::CAP);
            last.reserve_exact(want - last.len());
        }
        let start = (at << Self::SHIFT) + last.len();
        fill(last);
        debug_assert_eq!((at << Self::SHIFT) + last.len(), start + n);
        start
    }

    /// The chunk holding position `pos` and `pos`'s offset in it: a list's
    /// whole chunk, for searches that read past the list's end (to the
    /// chunk's end at most).
    #[inline(always)]
    pub fn chunk_at(&self, pos: usize) -> (&[T], usize) {
        (&self.chunks[pos >> Self::SHIFT], pos & Self::MASK)
    }

    /// True when positions `a` and `b` are in the same chunk.
    #[inline(always)]
    pub fn same_chunk(a: usize, b: usize) -> bool {
        a >> Self::SHIFT == b >> Self::SHIFT
    }

    /// Every chunk's contents with the position of its first element, in
    /// order (placeholders are empty).
    pub fn segments(&self) -> impl Iterator<Item = (usize, &[T])> + '_ {
        self.chunks
            .iter()
            .enumerate()
            .map(|(c, v)| (c << Self::SHIFT, v.as_slice()))
    }

    /// Elements allocated, spare room included (for memory reports).
    pub fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }

    /// Bytes held: the elements allocated and the chunk table.
    pub fn heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>() + self.chunks.capacity() * size_of::<Vec<T>>()
    }

    /// Releases spare room: the unused end of every chunk (the last one's
    /// mostly; a chunk closed early because a list did not fit has a little).
    /// Growth after this starts from the trimmed chunk and copies at most one
    /// chunk.
    pub fn shrink_to_fit(&mut self) {
        for c in &mut self.chunks {
            c.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
    }
}

impl<T: Copy> Index<usize> for Chunked<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> Self::SHIFT][i & Self::MASK]
    }
}

impl<T: Copy> IndexMut<usize> for Chunked<T> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> Self::SHIFT][i & Self::MASK]
    }
}

/// A list pushed whole (never spans chunks): `start..end` as returned by the
/// push plus its length.
impl<T: Copy> Index<Range<usize>> for Chunked<T> {
    type Output = [T];

    #[inline(always)]
    fn index(&self, r: Range<usize>) -> &[T] {
        if r.start >= r.end {
            return &[];
        }
        let base = r.start & !Self::MASK;
        &self.chunks[r.start >> Self::SHIFT][r.start - base..r.end - base]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_under_growth() {
        let mut c = Chunked::<u64>::default();
        let mut v = Vec::new();
        let n = 3 * Chunked::<u64>::CAP + 17;
        for i in 0..n as u64 {
            assert_eq!(c.push(i * 3), v.len());
            v.push(i * 3);
        }
        assert_eq!(c.len(), v.len());
        assert!((0..n).all(|i| c[i] == v[i]));
        c[5] = 1;
        assert_eq!(c[5], 1);
        // Whole chunks were allocated once each, never doubled past one chunk.
        assert!(c
            .chunks
            .iter()
            .all(|ch| ch.capacity() <= Chunked::<u64>::CAP));
        c.shrink_to_fit();
        assert_eq!(c.capacity(), n);
        assert!((6..n).all(|i| c[i] == v[i]));
        c.push(7);
        assert_eq!(c[n], 7);
    }

    #[test]
    fn lists_stay_whole_across_chunks() {
        let cap = Chunked::<u8>::CAP;
        let mut c = Chunked::<u8>::default();
        let mut lists = Vec::new();
        // Lists of varied lengths, some longer than a chunk.
        for (i, len) in [5, cap - 3, 10, 0, 2 * cap + 5, 7, cap, 1]
            .into_iter()
            .enumerate()
        {
            let list: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
            let at = if i % 2 == 0 {
                c.push_slice(&list)
            } else {
                c.push_with(len, |v| v.extend(list.iter().copied()))
            };
            lists.push((at, list));
        }
        for (at, list) in &lists {
            assert_eq!(&c[*at..*at + list.len()], list.as_slice());
        }
        // Starts ascend, so segments meet lists in push order.
        assert!(lists.windows(2).all(|w| w[0].0 <= w[1].0));
        // The list after the long one does not land in a placeholder.
        let (long_at, long) = &lists[4];
        assert!(lists[5].0 >= long_at + long.len());
        c.shrink_to_fit();
        for (at, list) in &lists {
            assert_eq!(&c[*at..*at + list.len()], list.as_slice());
        }
    }
}
