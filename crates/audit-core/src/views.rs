//! Derived views: the questions support agents actually ask of a trail.
//!
//! All views take event ids (usually the current search result, or every event)
//! so they follow the active filter, and return plain owned structs the UI can
//! render without touching the store again.

use std::collections::HashMap;

use crate::audit::EventKind;
use crate::json::Members;
use crate::status_log::StatusEntry;
use crate::store::{EventId, RecordId, Store};
use crate::time::UtcMillis;

/// Events that share a `requestId`: one user action touching several fields or entities.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSet {
    /// `None` groups a single event that had no request id.
    pub request_id: Option<String>,
    pub first: Option<UtcMillis>,
    pub last: Option<UtcMillis>,
    /// In time order.
    pub events: Vec<EventId>,
    /// Distinct `(entityType, entityId)` touched.
    pub entities: Vec<(String, Option<i64>)>,
}

/// Groups `events` by request id; sets ordered by their first event.
pub fn change_sets(store: &Store, events: &[EventId]) -> Vec<ChangeSet> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut sets: Vec<ChangeSet> = Vec::new();
    for &id in events {
        let e = store.event(id);
        let slot = match e.request_id() {
            Some(rq) => *index.entry(rq).or_insert_with(|| {
                sets.push(empty_set(Some(rq.to_owned())));
                sets.len() - 1
            }),
            None => {
                sets.push(empty_set(None));
                sets.len() - 1
            }
        };
        let s = &mut sets[slot];
        s.events.push(id);
        if let Some(t) = e.time() {
            s.first = Some(s.first.map_or(t, |f| f.min(t)));
            s.last = Some(s.last.map_or(t, |l| l.max(t)));
        }
        let ent = (e.entity_type().unwrap_or("").to_owned(), e.entity_id());
        if !s.entities.contains(&ent) {
            s.entities.push(ent);
        }
    }
    sets.sort_by_key(|s| s.first.unwrap_or(i64::MIN));
    sets
}

fn empty_set(request_id: Option<String>) -> ChangeSet {
    ChangeSet {
        request_id,
        first: None,
        last: None,
        events: Vec::new(),
        entities: Vec::new(),
    }
}

/// One value a field took.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub event: EventId,
    pub time: Option<UtcMillis>,
    pub previous: Option<String>,
    pub current: Option<String>,
    pub previous_label_id: Option<String>,
    pub current_label_id: Option<String>,
    /// Same status, new label id.
    pub label_change: bool,
    /// Who ([`crate::EventView::user_label`]).
    pub who: String,
    /// How: `updatedByMode` and `source`.
    pub mode: Option<String>,
    pub source: Option<String>,
    pub request_id: Option<String>,
    /// The previous value differs from the value the history had reached (a
    /// change made outside the loaded trail, or a missing page).
    pub discontinuity: bool,
}

/// The values one field of one entity took, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldHistory {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// [`crate::Event::field_key`]: the field, per channel for subscriptions.
    pub field: String,
    pub kind: EventKind,
    pub entries: Vec<HistoryEntry>,
}

/// Per entity and field, the sequence of values with when/who/how.
/// Histories are ordered by entity, then by the field's first change.
pub fn field_history(store: &Store, events: &[EventId]) -> Vec<FieldHistory> {
    let mut index: HashMap<(Option<&str>, Option<i64>, &str), usize> = HashMap::new();
    let mut out: Vec<FieldHistory> = Vec::new();
    for &id in events {
        let e = store.event(id);
        if e.is_placeholder() {
            continue;
        }
        let key = (e.entity_type(), e.entity_id(), e.field_key());
        let slot = *index.entry(key).or_insert_with(|| {
            out.push(FieldHistory {
                entity_type: key.0.map(str::to_owned),
                entity_id: key.1,
                field: key.2.to_owned(),
                kind: e.kind(),
                entries: Vec::new(),
            });
            out.len() - 1
        });
        let h = &mut out[slot];
        let reached = h.entries.last().and_then(|l| l.current.as_deref());
        let discontinuity = !h.entries.is_empty() && reached != e.previous();
        h.entries.push(HistoryEntry {
            event: id,
            time: e.time(),
            previous: e.previous().map(str::to_owned),
            current: e.current().map(str::to_owned),
            previous_label_id: e.previous_label_id().map(str::to_owned),
            current_label_id: e.current_label_id().map(str::to_owned),
            label_change: e.is_label_change(),
            who: e.user_label().to_owned(),
            mode: e.mode().map(str::to_owned),
            source: e.source().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
            discontinuity,
        });
    }
    out.sort_by(|a, b| (&a.entity_type, a.entity_id).cmp(&(&b.entity_type, b.entity_id)));
    out
}

/// The value a field had at an instant, per the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub field: String,
    pub value: Option<String>,
    pub label_id: Option<String>,
    /// When it got that value.
    pub since: Option<UtcMillis>,
    pub event: EventId,
}

/// Every field known from `events` with the value it had at `at` (the last change
/// at or before `at`). Fields whose first known change is later are left out.
pub fn state_as_of(store: &Store, events: &[EventId], at: UtcMillis) -> Vec<FieldState> {
    field_history(store, events)
        .into_iter()
        .filter_map(|h| {
            let last = h
                .entries
                .iter()
                .rev()
                .find(|x| x.time.is_some_and(|t| t <= at))?;
            Some(FieldState {
                entity_type: h.entity_type,
                entity_id: h.entity_id,
                field: h.field,
                value: last.current.clone(),
                label_id: last.current_label_id.clone(),
                since: last.time,
                event: last.event,
            })
        })
        .collect()
}

/// One status/label period of a status log.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusPeriod {
    pub status: Option<String>,
    pub label: Option<String>,
    pub start: Option<UtcMillis>,
    /// Start of the next period; `None` for the last.
    pub end: Option<UtcMillis>,
    /// `end - start`, or `now - start` for the open period when `now` is given.
    pub duration_ms: Option<i64>,
    pub reason: Option<String>,
    pub who: Option<String>,
    pub created_by: Option<i64>,
    /// `isActive: true`, or the last period when no entry is flagged.
    pub is_current: bool,
}

/// Orders status-log entries by start (the API's order is unconfirmed) and turns
/// them into periods. `now` (passed in, never read from the clock) measures the
/// open period.
pub fn status_timeline(entries: &[StatusEntry], now: Option<UtcMillis>) -> Vec<StatusPeriod> {
    let mut sorted: Vec<&StatusEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.start().unwrap_or(i64::MIN));
    let any_flag = sorted.iter().any(|e| e.is_active.get() == Some(&true));
    let n = sorted.len();
    sorted
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let start = e.start();
            let end = sorted.get(i + 1).and_then(|next| next.start());
            let until = end.or(if i + 1 == n { now } else { None });
            StatusPeriod {
                status: e.status.as_deref().map(str::to_owned),
                label: e.label.as_deref().map(str::to_owned),
                start,
                end,
                duration_ms: start.zip(until).map(|(s, u)| u.saturating_sub(s)),
                reason: e.reason.as_deref().map(str::to_owned),
                who: e.created_by_user.as_deref().map(str::to_owned),
                created_by: e.created_by.get().copied(),
                is_current: if any_flag {
                    e.is_active.get() == Some(&true)
                } else {
                    i + 1 == n
                },
            }
        })
        .collect()
}

/// A merge, victim and survivor side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub record: RecordId,
    pub event: EventId,
    pub time: Option<UtcMillis>,
    pub entity_id: Option<i64>,
    pub victim: Option<Members>,
    pub survivor: Option<Members>,
    /// `(member, victim value, survivor value)`: the documented members first
    /// (firstName, lastName, email, mobile, externalId), then any others.
    pub rows: Vec<(String, Option<String>, Option<String>)>,
}

/// Every record among `events` carrying victim or survivor details.
pub fn merges(store: &Store, events: &[EventId]) -> Vec<Merge> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for &id in events {
        let e = store.event(id);
        if seen.contains(&e.record_id()) {
            continue;
        }
        let (victim, survivor) = (e.victim(), e.survivor());
        if victim.is_none() && survivor.is_none() {
            continue;
        }
        seen.push(e.record_id());
        let mut keys: Vec<String> = ["firstName", "lastName", "email", "mobile", "externalId"]
            .map(String::from)
            .to_vec();
        for m in [&victim, &survivor].into_iter().flatten() {
            for (k, _) in m.iter() {
                if !keys.iter().any(|x| x == k) {
                    keys.push(k.to_owned());
                }
            }
        }
        let text = |m: &Option<Members>, k: &str| {
            m.as_ref().and_then(|m| m.text(k)).map(|c| c.into_owned())
        };
        let rows = keys
            .into_iter()
            .map(|k| {
                let v = text(&victim, &k);
                let s = text(&survivor, &k);
                (k, v, s)
            })
            .filter(|(_, v, s)| v.is_some() || s.is_some())
            .collect();
        out.push(Merge {
            record: e.record_id(),
            event: id,
            time: e.time(),
            entity_id: e.entity_id(),
            victim,
            survivor,
            rows,
        });
    }
    out
}

/// What a diff span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOp {
    Same,
    Removed,
    Added,
}

/// A run of characters with one [`DiffOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffSpan {
    pub op: DiffOp,
    pub text: String,
}

/// Most characters (old and new together) [`value_diff`] hands to the Myers
/// diff once the common prefix and suffix are set aside. Myers takes time
/// proportional to the length times the number of differences; at this size
/// that is a few milliseconds natively, well under a frame in WASM, while two
/// wholly different 200,000-character values took 4 s natively. Values this
/// long that differ this much are not read character by character anyway.
pub const DIFF_CHAR_LIMIT: usize = 2_000;

/// Character-level difference of two values (push tokens of 150+ characters
/// differ in a few places; showing only the changed spans makes that visible).
///
/// Calls `similar`'s Myers diff directly on `char` slices with the same hook
/// chain its `TextDiff` uses (compaction, then delete+insert merged into
/// replace), so the spans are what `TextDiff::from_chars` gave. Going through
/// `TextDiff` instead cost ~120 KB of raw wasm: its text layer and the runtime
/// choice between every diff algorithm are instantiated generically, while this
/// path compiles one algorithm for one element type.
///
/// Bounded by size, not by a deadline (WASM has no clock: `Instant::now`
/// panics on `wasm32-unknown-unknown`): values of at most
/// [`DIFF_CHAR_LIMIT`] characters together are diffed whole, as before;
/// longer ones lose their common prefix and suffix first, and when what is
/// left is still over the limit, it is shown as removed then added. The work
/// is then linear in the values' length.
pub fn value_diff(old: &str, new: &str) -> Vec<DiffSpan> {
    let old_chars: Vec<char> = old.chars().collect();
    let new_chars: Vec<char> = new.chars().collect();
    let mut out: Vec<DiffSpan> = Vec::new();
    let mut push = |op: DiffOp, chars: &[char]| {
        if chars.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.extend(chars),
            _ => out.push(DiffSpan {
                op,
                text: chars.iter().collect(),
            }),
        }
    };
    if old_chars.len() + new_chars.len() <= DIFF_CHAR_LIMIT {
        myers_spans(&old_chars, &new_chars, &mut push);
        return out;
    }
    let prefix = old_chars
        .iter()
        .zip(&new_chars)
        .take_while(|(a, b)| a == b)
        .count();
    let (old_rest, new_rest) = (&old_chars[prefix..], &new_chars[prefix..]);
    let suffix = old_rest
        .iter()
        .rev()
        .zip(new_rest.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old_rest[..old_rest.len() - suffix];
    let new_mid = &new_rest[..new_rest.len() - suffix];
    push(DiffOp::Same, &old_chars[..prefix]);
    if old_mid.len() + new_mid.len() <= DIFF_CHAR_LIMIT {
        myers_spans(old_mid, new_mid, &mut push);
    } else {
        push(DiffOp::Removed, old_mid);
        push(DiffOp::Added, new_mid);
    }
    push(DiffOp::Same, &old_rest[old_rest.len() - suffix..]);
    out
}

/// The Myers diff of `old` and `new`, handed to `push` as runs of one op.
fn myers_spans(old: &[char], new: &[char], push: &mut impl FnMut(DiffOp, &[char])) {
    use similar::algorithms::{myers, Capture, Compact, Replace};
    let mut hook = Compact::new(Replace::new(Capture::new()), old, new);
    let ops = match myers::diff(&mut hook, old, 0..old.len(), new, 0..new.len()) {
        Ok(()) => hook.into_inner().into_inner().into_ops(),
        Err(never) => match never {},
    };
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            similar::DiffTag::Equal => push(DiffOp::Same, &old[old_range]),
            similar::DiffTag::Delete => push(DiffOp::Removed, &old[old_range]),
            similar::DiffTag::Insert => push(DiffOp::Added, &new[new_range]),
            similar::DiffTag::Replace => {
                push(DiffOp::Removed, &old[old_range]);
                push(DiffOp::Added, &new[new_range]);
            }
        }
    }
}

/// The time axis of a density chart: the first and last event time in the store (`hi > lo`, so
/// a single instant still has width). The whole store's span, not the result's, so narrowing a
/// search never rescales the axis under the user.
pub fn time_span(store: &Store) -> Option<(UtcMillis, UtcMillis)> {
    let mut times = store.events().filter_map(|e| e.time());
    let first = times.next()?;
    let (lo, hi) = times.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
    Some((lo, hi.max(lo.saturating_add(1))))
}

/// How many of `events` fall in each of `bins` equal slices of `span` (the timeline's
/// histogram). Events without a time are left out; times outside the span are clamped into
/// the first or last bin. One pass over the result, no allocation but the bins.
pub fn density(
    store: &Store,
    events: &[EventId],
    span: (UtcMillis, UtcMillis),
    bins: usize,
) -> Vec<usize> {
    let mut counts = vec![0usize; bins];
    let Some(last) = bins.checked_sub(1) else {
        return counts;
    };
    let (lo, hi) = span;
    let width = hi.saturating_sub(lo).max(1) as f64;
    for &id in events {
        if let Some(t) = store.event(id).time() {
            let i = (t.saturating_sub(lo) as f64 / width * bins as f64).max(0.0) as usize;
            counts[i.min(last)] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(d: &[DiffSpan]) -> Vec<(DiffOp, &str)> {
        d.iter().map(|s| (s.op, s.text.as_str())).collect()
    }

    #[test]
    fn value_diff_spans_replacements_and_non_ascii() {
        use DiffOp::*;
        assert_eq!(
            spans(&value_diff("abc", "axc")),
            [(Same, "a"), (Removed, "b"), (Added, "x"), (Same, "c")]
        );
        assert_eq!(
            spans(&value_diff("Größe", "Grüße!")),
            [
                (Same, "Gr"),
                (Removed, "ö"),
                (Added, "ü"),
                (Same, "ße"),
                (Added, "!")
            ]
        );
        assert_eq!(spans(&value_diff("", "new")), [(Added, "new")]);
        assert_eq!(spans(&value_diff("old", "")), [(Removed, "old")]);
        assert!(value_diff("", "").is_empty());
    }
}
