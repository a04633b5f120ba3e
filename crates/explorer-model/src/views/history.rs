//! The field-history page: the fields of the current result with how often each changed, the
//! chosen field's every value (when, from, to, who, how), and the entity's state as of a date.

use audit_core::{field_history, state_as_of, EventId, FieldHistory, Store, UtcMillis};
use capillary_vocab::count::Grouped;

use crate::zone::Clock;

/// A field of the list, with its number of changes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChoice {
    pub field: String,
    pub changes: usize,
}

impl FieldChoice {
    /// "mobile (1,204)": the field and how many changes it had.
    pub fn label(&self) -> String {
        format!("{} ({})", self.field, Grouped::from(self.changes))
    }
}

/// One value a field had.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryRow {
    pub when: String,
    pub from: String,
    pub to: String,
    pub who: String,
    pub mode: String,
    pub source: String,
    /// A gap: this change does not start from the value the previous one set.
    pub gap: bool,
}

/// A field's value at the as-of instant, and since when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateRow {
    pub field: String,
    pub value: String,
    pub since: String,
}

/// The field-history page.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryView {
    pub fields: Vec<FieldChoice>,
    /// "Identifier · mobile", with the chosen field's rows newest first.
    pub chosen: Option<(String, Vec<HistoryRow>)>,
    pub zone_label: String,
    /// `YYYY-MM-DD` of the as-of instant (UTC), for the date input.
    pub as_of_date: String,
    /// The state at the as-of instant; `None` when none is chosen.
    pub state: Option<Vec<StateRow>>,
}

/// The page for `result` (event ids, newest first: the search narrows this page too), the
/// chosen `field` and the `as_of` instant.
pub fn history(
    store: &Store,
    result: &[EventId],
    field: Option<&str>,
    as_of: Option<UtcMillis>,
    clock: &Clock,
) -> HistoryView {
    let oldest_first: Vec<EventId> = result.iter().rev().copied().collect();
    let histories = field_history(store, &oldest_first);
    let fmt = |t: Option<UtcMillis>| t.map(|t| clock.format(t)).unwrap_or_default();
    let none = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
    let chosen = field
        .and_then(|f| histories.iter().find(|h| h.field == f))
        .map(|h: &FieldHistory| {
            let rows = h
                .entries
                .iter()
                .rev()
                .map(|e| HistoryRow {
                    when: fmt(e.time),
                    from: none(e.previous.clone()),
                    to: none(e.current.clone()),
                    who: e.who.clone(),
                    mode: e.mode.clone().unwrap_or_default(),
                    source: e.source.clone().unwrap_or_default(),
                    gap: e.discontinuity,
                })
                .collect();
            (format!("{} · {}", h.kind.name(), h.field), rows)
        });
    // The state as of a date is the whole entity's, not only the result's.
    let state = as_of.map(|at| {
        let all: Vec<EventId> = (0..store.len() as EventId).collect();
        state_as_of(store, &all, at)
            .into_iter()
            .map(|f| StateRow {
                field: f.field,
                value: none(f.value),
                since: fmt(f.since),
            })
            .collect()
    });
    HistoryView {
        fields: histories
            .iter()
            .map(|h| FieldChoice {
                field: h.field.clone(),
                changes: h.entries.len(),
            })
            .collect(),
        chosen,
        zone_label: clock.label(),
        as_of_date: as_of
            .map(|t| audit_core::format_utc(t).chars().take(10).collect())
            .unwrap_or_default(),
        state,
    }
}
