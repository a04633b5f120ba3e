//! CSV and NDJSON export of exactly the current result.
//!
//! Both start with a line that states the filter and the counts, so a file
//! handed to someone else says what it is. CSV cells that a spreadsheet would run
//! as a formula (`=`, `+`, `-`, `@` or their full-width forms first after any
//! leading whitespace, or a leading tab or CR) get a leading `'` ([`neutralise`],
//! reversed by [`unneutralise`]). NDJSON
//! lines are the raw records, rebuilt from the store ([`Store::record`]),
//! unknown members included.

use serde_json::json;

use crate::audit::AuditRecord;
use crate::store::{EventId, RecordId, Store};
use crate::time::format_iso_utc;

/// Columns of the CSV export, in order.
pub const CSV_COLUMNS: [&str; 19] = [
    "time_utc",
    "type",
    "type_label",
    "field",
    "previous",
    "current",
    "previous_label_id",
    "current_label_id",
    "user",
    "updated_by",
    "mode",
    "source",
    "request_id",
    "entity_type",
    "entity_id",
    "till",
    "store",
    "additional_fields",
    "record",
];

/// Characters a spreadsheet runs a cell as a formula for when the cell starts
/// with one, after any leading whitespace: `= + - @` and their full-width forms
/// (U+FF1D, U+FF0B, U+FF0D, U+FF20), which spreadsheets in CJK locales accept.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// True when a spreadsheet could read `text` as a formula: its first character
/// after leading whitespace starts one, or it starts with a tab or CR (which
/// some spreadsheets drop before looking). A byte-order mark or zero-width
/// space counts as whitespace here: readers drop a BOM, and neither shows.
fn is_formula_like(text: &str) -> bool {
    text.starts_with(['\t', '\r'])
        || text
            .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
            .starts_with(|c: char| FORMULA_STARTS.contains(&c))
}

/// True when [`neutralise`] prefixes `cell`: it is formula-like once the
/// apostrophes it already starts with are set aside. Counting those in keeps
/// the prefix reversible: `'=1` in the data becomes `''=1`, so
/// [`unneutralise`] can tell it from a neutralised `=1`.
fn needs_prefix(cell: &str) -> bool {
    is_formula_like(cell.trim_start_matches('\''))
}

/// Makes a cell safe to open in a spreadsheet (formula injection): a cell a
/// spreadsheet could run as a formula gets a leading `'`, the usual escape,
/// which spreadsheets show as text and hide; the rest of the cell is kept
/// as it was, so the value stays visible and [`unneutralise`] gives it back.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_prefix(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The original text of a cell [`neutralise`] produced (for scripts reading
/// an export back): the added `'` removed, anything else untouched.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
        _ => cell,
    }
}

fn header(filter: &str, events: usize, records: usize, total: usize) -> String {
    format!(
        "audit-explorer export; filter: {filter:?}; {events} of {total} events; {records} records"
    )
}

/// The records behind `events`, each once, in order of first appearance.
pub fn records_of(store: &Store, events: &[EventId]) -> Vec<RecordId> {
    let mut seen = vec![false; store.record_count()];
    let mut out = Vec::new();
    for &id in events {
        let r = store.event(id).record_id();
        if !std::mem::replace(&mut seen[r as usize], true) {
            out.push(r);
        }
    }
    out
}

/// CSV: a first row holding one cell that states filter and counts, then a
/// header row of [`CSV_COLUMNS`], then one row per event.
pub fn to_csv(store: &Store, events: &[EventId], filter: &str) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let records = records_of(store, events).len();
    let mut rows: Vec<Vec<String>> = vec![
        vec![header(filter, events.len(), records, store.len())],
        CSV_COLUMNS.iter().map(|c| c.to_string()).collect(),
    ];
    for &id in events {
        let e = store.event(id);
        let obj = |m: Option<crate::Members>| {
            m.map(|m| {
                m.text("name")
                    .or(m.text("code"))
                    .unwrap_or_default()
                    .into_owned()
            })
            .unwrap_or_default()
        };
        let af: serde_json::Map<String, serde_json::Value> = e
            .additional_fields()
            .map(|(k, v)| (k.to_owned(), v.to_json()))
            .collect();
        let opt = |s: Option<&str>| s.unwrap_or("").to_owned();
        rows.push(vec![
            e.time().map(format_iso_utc).unwrap_or_default(),
            e.kind().name().to_owned(),
            opt(e.type_label()),
            opt(e.field()),
            opt(e.previous()),
            opt(e.current()),
            opt(e.previous_label_id()),
            opt(e.current_label_id()),
            e.user_label().to_owned(),
            e.updated_by().map(|n| n.to_string()).unwrap_or_default(),
            opt(e.mode()),
            opt(e.source()),
            opt(e.request_id()),
            opt(e.entity_type()),
            e.entity_id().map(|n| n.to_string()).unwrap_or_default(),
            obj(e.till()),
            obj(e.store_place()),
            if af.is_empty() {
                String::new()
            } else {
                serde_json::Value::Object(af).to_string()
            },
            e.record_id().to_string(),
        ]);
    }
    for row in rows {
        // Writing into a Vec cannot fail; an error here would be a csv bug.
        let _ = w.write_record(row.iter().map(|c| neutralise(c).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// NDJSON: an envelope line `{"export": …, "filter", "events", "records",
/// "total_events"}`, then each record behind `events` as it came in.
pub fn to_ndjson(store: &Store, events: &[EventId], filter: &str) -> String {
    let records = records_of(store, events);
    let mut out = json!({
        "export": "audit-explorer",
        "filter": filter,
        "events": events.len(),
        "records": records.len(),
        "total_events": store.len(),
    })
    .to_string();
    out.push('\n');
    for rid in records {
        out.push_str(&record_json(&store.record(rid)));
        out.push('\n');
    }
    out
}

/// One record as compact JSON.
pub fn record_json(r: &AuditRecord) -> String {
    serde_json::to_string(r).unwrap_or_default()
}
