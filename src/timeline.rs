//! The timeline page: audit events, newest first, grouped by day.

use audit_core::{format_utc, AuditRecord, Event};
use leptos::prelude::*;

use crate::dataset::Dataset;

/// One rendered event, with everything already turned into display text.
#[derive(Clone, Debug, PartialEq)]
struct EventRow {
    day: String,
    time: String,
    kind: String,
    raw_type: String,
    field: String,
    previous: Option<String>,
    current: Option<String>,
    who: String,
    request_id: String,
}

impl EventRow {
    fn new(record: &AuditRecord, event: &Event) -> EventRow {
        let stamp = record
            .when()
            .map(format_utc)
            .unwrap_or_else(|| "time unknown".into());
        let (day, time) = match stamp.split_once(' ') {
            Some((d, t)) => (d.to_owned(), t.to_owned()),
            None => (stamp.clone(), String::new()),
        };
        let change = event.change();
        let who = [
            record.updated_by_user.as_deref().map(str::to_owned),
            record.updated_by_mode.as_deref().map(str::to_owned),
            record.source.as_deref().map(str::to_owned),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        EventRow {
            day,
            time,
            kind: event.kind().name().to_owned(),
            raw_type: event.event_type.as_deref().unwrap_or("").to_owned(),
            field: event.field_key(),
            previous: change.previous.map(|v| v.into_owned()),
            current: change.current.map(|v| v.into_owned()),
            who,
            request_id: record.request_id.as_deref().unwrap_or("").to_owned(),
        }
    }
}

/// All events of the data set, grouped under a heading per day.
#[component]
pub fn Timeline(dataset: Dataset) -> impl IntoView {
    let rows: Vec<EventRow> = dataset
        .records
        .iter()
        .flat_map(|r| r.events().iter().map(move |e| EventRow::new(r, e)))
        .collect();
    let mut days: Vec<(String, Vec<EventRow>)> = Vec::new();
    for row in rows {
        match days.last_mut() {
            Some((day, list)) if *day == row.day => list.push(row),
            _ => days.push((row.day.clone(), vec![row])),
        }
    }
    days.into_iter()
        .map(|(day, rows)| {
            view! {
                <h2 class="day">{day}</h2>
                <ol class="events">{rows.into_iter().map(|row| view! { <EventItem row /> }).collect_view()}</ol>
            }
        })
        .collect_view()
}

#[component]
fn EventItem(row: EventRow) -> impl IntoView {
    let (kind_attr, field_attr) = (row.kind.clone(), row.field.clone());
    view! {
        <li
            class="event"
            data-testid="event-row"
            data-event-type=kind_attr
            data-field=field_attr
            data-request-id=row.request_id
        >
            <time>{row.time}</time>
            <span class="kind" title=row.raw_type>{row.kind}</span>
            <span class="change">
                <span class="field">{row.field}</span>
                " "
                <Value value=row.previous />
                <span class="arrow" aria-label="changed to">"→"</span>
                <Value value=row.current />
            </span>
            <span class="who">{row.who}</span>
        </li>
    }
}

/// A value from the API, always rendered as text; absent values say so.
#[component]
fn Value(value: Option<String>) -> impl IntoView {
    match value {
        Some(v) => view! { <span class="value">{v}</span> }.into_any(),
        None => view! { <span class="none">"none"</span> }.into_any(),
    }
}
