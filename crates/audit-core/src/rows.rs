//! The event table: rows in time order (event id = position), kept in blocks of
//! 4,096 rows so pages can be merged in at a cost near their own size.
//!
//! The live API lists newest first, so each new page is older than everything
//! held: it goes into spare room at the front, and when that runs out a block
//! is added in front (a pointer move, not a copy of the table). A page newer
//! than everything is appended the same way at the back. A page that lands in
//! between moves only the shorter side (the rows before it, leftwards, or the
//! rows after it, rightwards) and merges with the rows its time span overlaps.
//! The table never reallocates as a whole, so no single page pays for
//! copying a million rows.
//!
//! Records point at their first row by *slot*, a number that stays with a row
//! when blocks are added in front, so only records whose rows actually moved
//! are told their new slot.
//!
//! Row access is `#[inline(always)]`: the size-optimised WASM build left it a
//! call per event otherwise.

use std::ops::Index;

use crate::store::EventRow;

const SHIFT: usize = 12;
/// Rows per block (4,096 rows of 56 bytes: 224 KiB).
const BLOCK: usize = 1 << SHIFT;
const MASK: usize = BLOCK - 1;
/// Slot of the first row of a new table: rows added at the front count down from here.
const BASE: u32 = 1 << 31;

#[derive(Debug, Clone)]
pub(crate) struct Rows {
    blocks: Vec<Box<[EventRow]>>,
    /// Position of event 0 in the blocks; rows before it are spare.
    start: usize,
    len: usize,
    /// Slot of position 0.
    base: u32,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows {
            blocks: Vec::new(),
            start: 0,
            len: 0,
            base: BASE,
        }
    }
}

impl Index<usize> for Rows {
    type Output = EventRow;

    #[inline(always)]
    fn index(&self, id: usize) -> &EventRow {
        debug_assert!(id < self.len);
        self.at(self.start + id)
    }
}

impl Rows {
    #[inline(always)]
    fn at(&self, p: usize) -> &EventRow {
        &self.blocks[p >> SHIFT][p & MASK]
    }

    #[inline(always)]
    fn set(&mut self, p: usize, row: EventRow) {
        self.blocks[p >> SHIFT][p & MASK] = row;
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slot of event `id` (what a record keeps).
    #[inline(always)]
    pub fn slot(&self, id: usize) -> u32 {
        self.base + (self.start + id) as u32
    }

    /// Event id of a slot.
    #[inline(always)]
    pub fn id(&self, slot: u32) -> usize {
        (slot - self.base) as usize - self.start
    }

    /// Rows allocated (spare room included), for the memory report.
    pub fn capacity(&self) -> usize {
        self.blocks.iter().map(|b| b.len()).sum()
    }

    /// Drops blocks holding no rows and the unused end of the last one (after a
    /// bulk load; the next rows appended make it whole again).
    pub fn shrink_to_fit(&mut self) {
        let end = (self.start + self.len).div_ceil(BLOCK);
        self.blocks.truncate(end);
        let front = (self.start / BLOCK).min(self.blocks.len());
        self.blocks.drain(..front);
        self.start -= front * BLOCK;
        self.base += (front * BLOCK) as u32;
        let used = self.start + self.len - (self.blocks.len().max(1) - 1) * BLOCK;
        if let Some(last) = self.blocks.last_mut() {
            if last.len() > used {
                *last = last[..used].into();
            }
        }
        self.blocks.shrink_to_fit();
    }

    /// First event id whose time is `when` or later (rows are in time order).
    pub fn first_at(&self, when: i64) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self[mid].when < when {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// First event id whose time is after `when` (rows are in time order).
    fn after(&self, when: i64) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self[mid].when <= when {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Merges `new` (any order; sorted here, stably) into the table. Rows with
    /// equal times keep their order, held rows before new ones, so this gives
    /// the same order as a stable sort of everything in arrival order. Calls
    /// `first(record, slot)` for the first row of every record whose rows moved
    /// (all of `new`'s among them).
    pub fn merge(&mut self, new: &mut [EventRow], mut first: impl FnMut(u32, u32)) {
        let k = new.len();
        if k == 0 {
            return;
        }
        new.sort_by_key(|e| e.when);
        let n = self.len;
        // Held rows before `lo` and from `hi` on do not interleave with `new`.
        let lo = self.after(new[0].when);
        let hi = self.after(new[k - 1].when);
        let moved = if hi < n - lo {
            // Fewer rows before the overlap: shift them left into the room at the front.
            self.room_at_front(k, new[0]);
            let s = self.start;
            for p in s..s + lo {
                self.set(p - k, *self.at(p));
            }
            let (mut d, mut i, mut j) = (s - k + lo, s + lo, 0);
            while j < k {
                let held = *self.at(i);
                if i < s + hi && held.when <= new[j].when {
                    self.set(d, held);
                    i += 1;
                } else {
                    self.set(d, new[j]);
                    j += 1;
                }
                d += 1;
            }
            self.start = s - k;
            0..hi + k
        } else {
            // Fewer rows after (none when the page is the newest): shift them
            // right, merge from the back.
            self.room_at_back(k, new[0]);
            let s = self.start;
            for p in (s + hi..s + n).rev() {
                self.set(p + k, *self.at(p));
            }
            let (mut d, mut i, mut j) = (s + hi + k, s + hi, k);
            while j > 0 {
                d -= 1;
                if i > s + lo && self.at(i - 1).when > new[j - 1].when {
                    self.set(d, *self.at(i - 1));
                    i -= 1;
                } else {
                    self.set(d, new[j - 1]);
                    j -= 1;
                }
            }
            lo..n + k
        };
        self.len += k;
        let mut last = u32::MAX;
        for id in moved {
            let r = self[id].record;
            if r != last {
                first(r, self.slot(id));
                last = r;
            }
        }
    }

    /// Adds blocks in front until `k` rows fit before event 0. Slots do not change.
    fn room_at_front(&mut self, k: usize, fill: EventRow) {
        if self.start >= k {
            return;
        }
        let add = (k - self.start).div_ceil(BLOCK);
        self.blocks
            .splice(0..0, (0..add).map(|_| vec![fill; BLOCK].into_boxed_slice()));
        self.start += add * BLOCK;
        self.base -= (add * BLOCK) as u32;
    }

    /// Adds blocks at the back until `k` more rows fit after the last event.
    fn room_at_back(&mut self, k: usize, fill: EventRow) {
        if let Some(last) = self.blocks.last_mut() {
            if last.len() < BLOCK {
                // Trimmed by `shrink_to_fit`: whole again.
                let mut whole = last.to_vec();
                whole.resize(BLOCK, fill);
                *last = whole.into_boxed_slice();
            }
        }
        while self.start + self.len + k > self.blocks.len() * BLOCK {
            self.blocks.push(vec![fill; BLOCK].into_boxed_slice());
        }
    }
}
