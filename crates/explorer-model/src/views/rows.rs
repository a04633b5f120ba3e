//! The timeline's rows: what one event row shows, for a window of the result (the list is
//! virtualized, so only the rows on screen are ever built).

use audit_core::{EventId, Store};

use crate::zone::Clock;

/// Characters of a value shown in a row (the detail shows it whole).
const ROW_VALUE_CHARS: usize = 80;

/// One event row of the timeline, ready to render (every string is shown as text).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowView {
    /// Position in the result (newest first).
    pub index: usize,
    /// Permalink key (opening the row puts it in the link).
    pub key: String,
    /// `YYYY-MM-DD` in the chosen zone, or "time unknown".
    pub date: String,
    /// `HH:MM:SS`, empty when the time is unknown.
    pub clock: String,
    /// "2 years ago": a hint on the absolute time.
    pub age: String,
    /// The normalised type (`Identifier`), also `data-event-type`.
    pub kind: String,
    /// The type as sent when it differs: "Identifier (Identifiers)".
    pub kind_title: String,
    pub field: String,
    pub previous: Option<String>,
    pub current: Option<String>,
    /// Same status value, another label id.
    pub label_change: bool,
    /// "aldo · MEMBER_CARE · INSTORE"
    pub who: String,
    pub request_id: String,
    /// Part of a change set: the row above / below is of the same request.
    pub joined_above: bool,
    pub joined_below: bool,
    /// First row of a day in the chosen zone: the timeline's day boundary.
    pub day_start: bool,
    /// Arrived with the latest refresh ("N new events"): marked in the list.
    pub new: bool,
}

/// Rows `start..end` (clamped) of `result` (event ids, newest first).
pub fn rows(
    store: &Store,
    result: &[EventId],
    start: usize,
    end: usize,
    clock: &Clock,
) -> Vec<RowView> {
    let end = end.min(result.len());
    let start = start.min(end);
    let day = |id: EventId| store.event(id).time().map(|t| clock.day(t));
    (start..end)
        .map(|i| {
            let id = result[i];
            let e = store.event(id);
            let clip =
                |s: Option<&str>| s.map(|v| v.chars().take(ROW_VALUE_CHARS).collect::<String>());
            let who = [Some(e.user_label()), e.mode(), e.source()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ");
            let (date, clock_time) = match e.time() {
                Some(t) => {
                    let shown = clock.format(t);
                    match shown.split_once(' ') {
                        Some((d, c)) => (d.to_owned(), c.to_owned()),
                        None => (shown, String::new()),
                    }
                }
                // A time that is not an instant (out of range, unknown spelling) is shown as
                // sent, never guessed.
                None => match e.time_raw() {
                    Some(raw) => (raw.to_owned(), String::new()),
                    None => ("time unknown".to_owned(), String::new()),
                },
            };
            let kind = e.kind().name().to_owned();
            let type_label = e.type_label().unwrap_or("");
            let kind_title = if type_label.is_empty() || type_label == kind {
                kind.clone()
            } else {
                format!("{kind} ({type_label})")
            };
            RowView {
                index: i,
                key: store.event_key(id),
                date,
                clock: clock_time,
                age: e.time().map(|t| clock.age(t)).unwrap_or_default(),
                kind,
                kind_title,
                field: e.field_key().to_owned(),
                previous: clip(e.previous()),
                current: clip(e.current()),
                label_change: e.is_label_change(),
                who,
                request_id: e.request_id().unwrap_or("").to_owned(),
                joined_above: i > 0 && store.same_request(result[i - 1], id),
                joined_below: i + 1 < result.len() && store.same_request(result[i + 1], id),
                day_start: i == 0 || day(result[i - 1]) != day(id),
                new: false,
            }
        })
        .collect()
}
