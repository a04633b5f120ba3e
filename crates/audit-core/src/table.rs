//! A hash set of dense `u32` ids whose keys live elsewhere (the string table's
//! bytes, the records' fingerprints), grown without a pause.
//!
//! Doubling a table re-inserts every id; at a million strings that is ~100 ms
//! in one call, which a page ingested in the browser must not cost. Instead the
//! old table is kept beside the new one and a few of its ids move over on every
//! insert (the new table is full again only after as many inserts as the old
//! one held, so the move is long finished by then); lookups try both.
//!
//! Nor is the new table zeroed in one call: 16 MiB of fresh memory (at 1.6M
//! strings) cost the page that allocated it ~15 ms natively, touching every
//! page of it at once (a `memset` in WASM, page faults natively). It is zeroed
//! [`ZERO_PER_INSERT`] slots per insert first, while inserts still go to the
//! current table (which gains a few ids over its half load meanwhile), and
//! only then takes over.

/// Ids moved to the new table per insert while one is in progress.
const MOVE_PER_INSERT: u32 = 8;
/// Most ids [`IdTable::settle`] moves in one call (a few ms).
const SETTLE_MAX: u32 = 1 << 16;
/// Slots of the next table zeroed per insert before it takes over: 4 KiB, a
/// memory page. A table of `n` slots is ready after `2n / 1024` inserts, by
/// when the current one is at most `2 / 1024` fuller than half.
const ZERO_PER_INSERT: usize = 1024;

#[derive(Debug, Clone, Default)]
pub(crate) struct IdTable {
    /// Linear probing, `id + 1` and a tag of its hash per slot (0 = empty;
    /// see [`tag`]).
    slots: Vec<u32>,
    /// The table before the last growth, until all its ids have moved.
    old: Vec<u32>,
    /// The next table while it is being zeroed (its length grows to its
    /// capacity, then it replaces `slots`).
    next: Vec<u32>,
    /// Ids below this are in `slots`; ids from here to `old_len` only in `old`.
    moved: u32,
    old_len: u32,
    len: u32,
}

/// What a slot holds: `id + 1` in its low `k` bits (the table has `2^k` slots
/// and is never full, so every id fits; 0 is an empty slot), and above them
/// the bits of the hash's low word that the slot index does not use. A probe
/// compares those before it asks whether the id's key is the one sought: that
/// question reads the key's table at a random place (the string table's
/// hashes and bytes), and most slots a probe passes hold another key, which
/// the tag (10 bits at a million strings) turns away in a register.
#[inline(always)]
fn tag(h: u64, k: u32) -> u32 {
    // `k` ≤ 31: a table of 2^32 slots would be 16 GiB.
    (h as u32) >> k
}

#[inline(always)]
fn probe(slots: &[u32], h: u64, eq: &mut impl FnMut(u32) -> bool) -> Option<u32> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let k = slots.len().trailing_zeros();
    let (want, low) = (tag(h, k), mask as u32);
    let mut i = h as usize & mask;
    loop {
        match slots[i] {
            0 => return None,
            v if v >> k == want && eq((v & low) - 1) => return Some((v & low) - 1),
            _ => i = (i + 1) & mask,
        }
    }
}

fn place(slots: &mut [u32], h: u64, id: u32) {
    let mask = slots.len() - 1;
    let k = slots.len().trailing_zeros();
    let mut i = h as usize & mask;
    while slots[i] != 0 {
        i = (i + 1) & mask;
    }
    slots[i] = tag(h, k) << k | (id + 1);
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
            self.prepare(&hash_of);
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

    /// Finishes a growth in progress and drops the old table (after a bulk
    /// load), unless more than [`SETTLE_MAX`] ids are left to move: moving a
    /// million strings' ids (rehashing each) would be a 100 ms call at the end
    /// of a load, so then the old table stays until later inserts move them.
    /// A next table being zeroed is dropped (a later insert starts again).
    pub fn settle(&mut self, hash_of: impl Fn(u32) -> u64) {
        if self.old_len - self.moved <= SETTLE_MAX {
            self.move_some(u32::MAX, &hash_of);
        }
        self.next = Vec::new();
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

    /// Zeroes some of the next table, and switches to it once all of it is.
    fn prepare(&mut self, hash_of: &impl Fn(u32) -> u64) {
        if self.slots.len() < 1024 {
            // Small: at once.
            let cap = (self.slots.len() * 2).max(64);
            return self.switch(vec![0; cap], hash_of);
        }
        if self.next.capacity() == 0 {
            self.next = Vec::with_capacity(self.slots.len() * 2);
        }
        let room = self.next.capacity() - self.next.len();
        self.next
            .resize(self.next.len() + room.min(ZERO_PER_INSERT), 0);
        // The current table must never fill: a table of `n` slots at half
        // load is ready after `2n / ZERO_PER_INSERT` more ids, far fewer than
        // the `n / 2` it has room for.
        if self.next.len() == self.next.capacity() || self.len as usize + 2 > self.slots.len() {
            let cap = self.next.capacity();
            let mut next = std::mem::take(&mut self.next);
            next.resize(cap, 0);
            self.switch(next, hash_of);
        }
    }

    fn switch(&mut self, next: Vec<u32>, hash_of: &impl Fn(u32) -> u64) {
        // Never two growths in flight (does not happen at MOVE_PER_INSERT ≥ 1).
        self.move_some(u32::MAX, hash_of);
        self.old = std::mem::replace(&mut self.slots, next);
        self.moved = 0;
        self.old_len = self.len;
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        4 * (self.slots.capacity() + self.old.capacity() + self.next.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_leaves_a_long_move_to_later_inserts() {
        let key = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
        let mut t = IdTable::default();
        let mut n = 0;
        // Until a growth with more than SETTLE_MAX ids to move has just begun.
        while t.old_len - t.moved <= SETTLE_MAX {
            t.insert(key(n), key);
            n += 1;
        }
        t.settle(key);
        assert!(!t.old.is_empty(), "bounded: the move is left in progress");
        assert!((0..n).all(|id| t.find(key(id), |x| x == id) == Some(id)));
        while !t.old.is_empty() {
            t.insert(key(n), key);
            n += 1;
        }
        assert!((0..n).all(|id| t.find(key(id), |x| x == id) == Some(id)));
    }

    #[test]
    fn a_probe_asks_for_the_key_of_little_but_the_id_sought() {
        let key = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
        let mut t = IdTable::default();
        for n in 0..100_000u32 {
            t.insert(key(n), key);
        }
        t.settle(key);
        let mut asked = 0;
        for id in 0..100_000u32 {
            let found = t.find(key(id), |x| {
                asked += 1;
                x == id
            });
            assert_eq!(found, Some(id));
        }
        // Linear probing at up to half load passes ~1.5 slots a hit; the tags
        // turn the others away without asking for their keys.
        assert!(asked < 100_500, "{asked} keys asked for 100,000 hits");
        let mut asked = 0;
        for id in 100_000..200_000u32 {
            assert_eq!(
                t.find(key(id), |_| {
                    asked += 1;
                    false
                }),
                None
            );
        }
        assert!(asked < 1_000, "{asked} keys asked for 100,000 misses");
    }

    #[test]
    fn finds_every_id_while_growing() {
        let key = |id: u32| u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
        let mut t = IdTable::default();
        for n in 0..50_000u32 {
            assert_eq!(t.insert(key(n), key), n);
            for id in [0, n / 2, n] {
                assert_eq!(t.find(key(id), |x| x == id), Some(id), "{id} of {n}");
            }
            assert_eq!(t.find(key(n + 1), |x| x == n + 1), None);
        }
        assert_eq!(t.len(), 50_000);
        // Above 1,024 slots the next table was zeroed a page per insert, so
        // the current one went a little past half full, never further.
        assert!(t.slots.len() >= 2 * 50_000 && t.slots.len() <= 4 * 50_000);
        t.settle(key);
        assert!(t.old.is_empty() && t.next.capacity() == 0);
        assert!((0..50_000).all(|id| t.find(key(id), |x| x == id) == Some(id)));
    }
}
