//! A hash set of dense `u32` ids whose keys live elsewhere (the string table's
//! bytes, the records' fingerprints), grown without a pause.
//!
//! Doubling a table re-inserts every id; at a million strings that is ~100 ms
//! in one call, which a page ingested in the browser must not cost. Instead the
//! old table is kept beside the new one and a few of its ids move over on every
//! insert (the new table is full again only after as many inserts as the old
//! one held, so the move is long finished by then); lookups try both.

/// Ids moved to the new table per insert while one is in progress.
const MOVE_PER_INSERT: u32 = 8;

#[derive(Debug, Clone, Default)]
pub(crate) struct IdTable {
    /// Linear probing, `id + 1` per slot (0 = empty).
    slots: Vec<u32>,
    /// The table before the last growth, until all its ids have moved.
    old: Vec<u32>,
    /// Ids below this are in `slots`; ids from here to `old_len` only in `old`.
    moved: u32,
    old_len: u32,
    len: u32,
}

fn probe(slots: &[u32], h: u64, eq: &mut impl FnMut(u32) -> bool) -> Option<u32> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let mut i = h as usize & mask;
    loop {
        match slots[i] {
            0 => return None,
            v if eq(v - 1) => return Some(v - 1),
            _ => i = (i + 1) & mask,
        }
    }
}

fn place(slots: &mut [u32], h: u64, id: u32) {
    let mask = slots.len() - 1;
    let mut i = h as usize & mask;
    while slots[i] != 0 {
        i = (i + 1) & mask;
    }
    slots[i] = id + 1;
}

impl IdTable {
    /// The id hashing to `h` for which `eq` holds, if any.
    #[inline]
    pub fn find(&self, h: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        probe(&self.slots, h, &mut eq).or_else(|| probe(&self.old, h, &mut eq))
    }

    /// Adds the next id (ids are `0, 1, 2, …` in insert order) with hash `h`.
    /// `hash_of` gives the hash of an earlier id, to move it after a growth.
    pub fn insert(&mut self, h: u64, hash_of: impl Fn(u32) -> u64) -> u32 {
        if (self.len as usize + 1) * 2 > self.slots.len() {
            self.grow(&hash_of);
        }
        let id = self.len;
        place(&mut self.slots, h, id);
        self.len += 1;
        self.move_some(MOVE_PER_INSERT, &hash_of);
        id
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Finishes a growth in progress and drops the old table (after a bulk load).
    pub fn settle(&mut self, hash_of: impl Fn(u32) -> u64) {
        self.move_some(u32::MAX, &hash_of);
    }

    fn move_some(&mut self, n: u32, hash_of: &impl Fn(u32) -> u64) {
        if self.moved == self.old_len {
            return;
        }
        let end = self.moved.saturating_add(n).min(self.old_len);
        for id in self.moved..end {
            place(&mut self.slots, hash_of(id), id);
        }
        self.moved = end;
        if end == self.old_len {
            self.old = Vec::new();
        }
    }

    fn grow(&mut self, hash_of: &impl Fn(u32) -> u64) {
        // Never two growths in flight (does not happen at MOVE_PER_INSERT ≥ 1).
        self.move_some(u32::MAX, hash_of);
        let cap = (self.slots.len() * 2).max(64);
        self.old = std::mem::replace(&mut self.slots, vec![0; cap]);
        self.moved = 0;
        self.old_len = self.len;
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        4 * (self.slots.capacity() + self.old.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_while_growing() {
        let key = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
        let mut t = IdTable::default();
        for n in 0..5000u32 {
            assert_eq!(t.insert(key(n), key), n);
            for id in [0, n / 2, n] {
                assert_eq!(t.find(key(id), |x| x == id), Some(id), "{id} of {n}");
            }
            assert_eq!(t.find(key(n + 1), |x| x == n + 1), None);
        }
        assert_eq!(t.len(), 5000);
        t.settle(key);
        assert!(t.old.is_empty());
        assert!((0..5000).all(|id| t.find(key(id), |x| x == id) == Some(id)));
    }
}
