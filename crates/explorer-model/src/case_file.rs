//! Case files: the JSON export one agent hands to another, which the explorer opens again with
//! the same events and the same view.
//!
//! A case file is one JSON document (format version [`CASE_FILE_VERSION`], documented in the
//! README): `caseFile` (the version), a `header` (source, entity, filter, zone, view, selected
//! event, export time, counts), `statusLogs` (the status-log entries of the entities involved,
//! `customer` and `card`) and, last, `data`: the records shown, rebuilt as they came in
//! (`Store::record`), in the current API's shape. Putting them under `data` makes a case file a
//! page audit-core's parser reads as it reads any response: a damaged or cut case file keeps its
//! intact records and says where it broke, like any damaged page, and the header and status logs
//! are read from what the parser kept beside the records (`Parsed::extras`). `data` comes last so
//! a file cut short loses records from its end only, never its header.
//!
//! A later explorer reads every earlier version; a file of a later version is read for what this
//! version knows (records, status logs, view), with a notice.

use audit_core::export::{record_json, records_of};
use audit_core::time::format_iso_utc;
use audit_core::{parse_status_log, EventId, Extras, Parsed, StatusLogKind, Store, UtcMillis};
use serde_json::{json, Map, Value};

use crate::engine::SourceKind;
use crate::link::{Link, LinkDefaults};
use crate::problem::{Problem, ProblemKind};
use crate::ViewState;

/// The format version this explorer writes (and the newest it fully reads).
pub const CASE_FILE_VERSION: u64 = 1;

/// The top-level member that makes a document a case file (its value is the version).
const MARKER: &str = "caseFile";

/// What a case file's header says, as the engine knows it when exporting.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseHeader<'a> {
    pub source_kind: SourceKind,
    /// "CUSTOMER 5 · https://…", "2 files", "demo".
    pub source_label: &'a str,
    /// The link's API part (`api`, `entityType`, `entityId`, audit parameters): never
    /// credentials, which no link carries.
    pub api: &'a [(String, String)],
    /// "CUSTOMER 98662653".
    pub entity: &'a str,
    pub view: &'a ViewState,
    pub exported_at: UtcMillis,
}

/// The file name of a case file: `customer-98662653-2026-12-01.case.json`.
pub fn file_name(entity: &str, exported_at: UtcMillis) -> String {
    let date: String = format_iso_utc(exported_at).chars().take(10).collect();
    let entity: String = entity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let entity = entity.trim_matches('-');
    if entity.is_empty() {
        format!("audit-trail-{date}.case.json")
    } else {
        format!("{entity}-{date}.case.json")
    }
}

/// Writes the case file of `events` (the result shown, newest first): their records, every
/// status-log entry held, and the header.
pub fn write(store: &Store, events: &[EventId], header: &CaseHeader) -> String {
    let records = records_of(store, events);
    let mut customer = Vec::new();
    let mut card = Vec::new();
    for s in store.status_entries() {
        let entry = serde_json::to_value(&s.entry).unwrap_or(Value::Null);
        match s.kind {
            StatusLogKind::Customer => customer.push(entry),
            StatusLogKind::Card => card.push(entry),
        }
    }
    let head = json!({
        "explorer": "audit-explorer",
        "exportedAt": format_iso_utc(header.exported_at),
        "exportedAtMs": header.exported_at,
        "source": {
            "kind": source_key(header.source_kind),
            "label": header.source_label,
            "link": pairs_object(header.api),
        },
        "entity": header.entity,
        "filter": header.view.effective_query(),
        "zone": header.view.zone.key(),
        "view": pairs_object(&view_pairs(header.view)),
        "selectedEvent": header.view.event,
        "counts": {
            "events": events.len(),
            "records": records.len(),
            "totalEvents": store.len(),
            "statusEntries": customer.len() + card.len(),
        },
    });
    let status = json!({ "customer": customer, "card": card });
    let mut out = format!("{{\"{MARKER}\":{CASE_FILE_VERSION},\n\"header\":{head},\n\"statusLogs\":{status},\n\"data\":[");
    for (i, rid) in records.into_iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&record_json(&store.record(rid)));
    }
    out.push_str("\n]}\n");
    out
}

/// A case file as read: the view to restore, what it says of itself, and its status logs as
/// pages for the store.
#[derive(Debug)]
pub struct CaseFile {
    pub version: u64,
    /// The view it was exported with (`None` when its header is missing or damaged).
    pub view: Option<ViewState>,
    /// "CUSTOMER 98662653", as the header names it.
    pub entity: String,
    /// `2026-12-01T10:00:00.000Z`, as the header says.
    pub exported_at: String,
    /// The status logs, one parsed page per kind, for `Store::ingest_page`.
    pub status_pages: Vec<(String, Parsed)>,
    pub problems: Vec<Problem>,
}

/// Reads a page's top-level `extras` (the members audit-core has no slot for, as
/// `Store::ingest_bytes` or `parse_response` found them) as a case file's, when it is one: its
/// case-file members are taken out, its status logs become pages of their own. `None` for any
/// other response. `name` is the file's, for messages.
pub fn take(extras: &mut Extras, name: &str) -> Option<CaseFile> {
    let at = extras.iter().position(|(k, _)| k == MARKER)?;
    let (_, marker) = extras.remove(at);
    let mut member = |key: &str| {
        let at = extras.iter().position(|(k, _)| k == key)?;
        Some(extras.remove(at).1)
    };
    let header = member("header");
    let status = member("statusLogs");
    let mut problems = Vec::new();
    let version = match marker.as_u64() {
        Some(v) if v >= 1 => v,
        _ => {
            problems.push(Problem::new(
                ProblemKind::File,
                format!(
                    "{name}: its case-file version is {marker}, not a number this explorer knows; its records are read as a response's."
                ),
            ));
            0
        }
    };
    if version > CASE_FILE_VERSION {
        problems.push(Problem::new(
            ProblemKind::File,
            format!(
                "{name}: a case file of version {version}, written by a newer explorer (this one reads up to version {CASE_FILE_VERSION}); what this version knows of it is shown."
            ),
        ));
    }
    let header = match header {
        Some(Value::Object(h)) => Some(h),
        _ => {
            problems.push(Problem::new(
                ProblemKind::File,
                format!("{name}: the case file's header is missing or damaged; its records are shown in the current view."),
            ));
            None
        }
    };
    let text = |key: &str| {
        header
            .as_ref()
            .and_then(|h| h.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let view = header.as_ref().map(|h| read_view(h.get("view")));
    let mut status_pages = Vec::new();
    if let Some(Value::Object(logs)) = status {
        for (key, kind, listing) in [
            ("customer", StatusLogKind::Customer, "customer status log"),
            ("card", StatusLogKind::Card, "card status log"),
        ] {
            let Some(entries @ Value::Array(list)) = logs.get(key) else {
                continue;
            };
            if list.is_empty() {
                continue;
            }
            let page = serde_json::to_vec(&json!({ "data": entries })).unwrap_or_default();
            status_pages.push((listing.to_owned(), parse_status_log(&page, kind)));
        }
    }
    Some(CaseFile {
        version,
        view,
        entity: text("entity"),
        exported_at: text("exportedAt"),
        status_pages,
        problems,
    })
}

/// The view a header's `view` member names (the link's own parameter names and spellings, so
/// an unknown or damaged value reads as the link's default, as in a URL).
fn read_view(view: Option<&Value>) -> ViewState {
    let pairs: Vec<(String, String)> = match view {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    Link::read(pairs, &LinkDefaults::default()).view
}

/// Every view parameter the link would write, the zone always (a reader's default zone may
/// differ from the writer's).
fn view_pairs(view: &ViewState) -> Vec<(String, String)> {
    let link = Link {
        view: view.clone(),
        ..Link::default()
    };
    let mut pairs = link.write(&LinkDefaults::default());
    if !pairs.iter().any(|(k, _)| k == "tz") {
        pairs.push(("tz".into(), view.zone.key()));
    }
    pairs
}

fn pairs_object(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

fn source_key(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Demo => "demo",
        SourceKind::Files => "files",
        SourceKind::Api => "api",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{View, Zone};
    use audit_core::{parse_response, ResponseShape};

    fn demo_store() -> Store {
        let demo = audit_gen::demo();
        let mut store = Store::new();
        for p in demo.customer_pages.iter().chain(&demo.card_pages) {
            store.ingest(parse_response(p));
        }
        store.ingest(parse_status_log(
            &demo.customer_status_log,
            StatusLogKind::Customer,
        ));
        store.ingest(parse_status_log(&demo.card_status_log, StatusLogKind::Card));
        store
    }

    fn view() -> ViewState {
        ViewState {
            view: View::Timeline,
            query: "type:identifier -source:instore \"राम\"".into(),
            event: Some("91a3~0badcafe".into()),
            zone: Zone::Fixed(330),
            from: Some(1_600_000_000_000),
            to: None,
            field: None,
            as_of: None,
        }
    }

    fn export(store: &Store, events: &[EventId], view: &ViewState) -> String {
        let api = vec![
            ("api".to_owned(), "eu".to_owned()),
            ("entityType".to_owned(), "CUSTOMER".to_owned()),
            ("entityId".to_owned(), "100200300".to_owned()),
        ];
        write(
            store,
            events,
            &CaseHeader {
                source_kind: SourceKind::Api,
                source_label: "CUSTOMER 100200300 · https://eu.api.capillarytech.com",
                api: &api,
                entity: "CUSTOMER 100200300",
                view,
                exported_at: 1_764_600_000_000,
            },
        )
    }

    #[test]
    fn a_case_file_reads_back_with_its_records_status_logs_and_view() {
        let store = demo_store();
        let events: Vec<EventId> = (0..store.len() as EventId).step_by(3).collect();
        let view = view();
        let text = export(&store, &events, &view);
        let doc: Value = serde_json::from_str(&text).expect("one JSON document");
        assert_eq!(doc["caseFile"], 1);
        assert_eq!(doc["header"]["zone"], "+05:30");
        assert_eq!(doc["header"]["source"]["link"]["entityId"], "100200300");
        assert_eq!(doc["header"]["selectedEvent"], "91a3~0badcafe");
        assert!(doc["header"]["filter"]
            .as_str()
            .unwrap()
            .contains("after:2020-09-13"));

        let mut parsed = parse_response(text.as_bytes());
        assert_eq!(parsed.shape, ResponseShape::CurrentAudits);
        let case = take(&mut parsed.extras, "x.case.json").expect("a case file");
        assert!(case.problems.is_empty(), "{:?}", case.problems);
        assert!(parsed.extras.is_empty(), "{:?}", parsed.extras);
        assert_eq!(case.version, 1);
        assert_eq!(case.view.as_ref(), Some(&view));
        assert_eq!(case.entity, "CUSTOMER 100200300");
        assert!(
            case.exported_at.starts_with("2025-12-01"),
            "{}",
            case.exported_at
        );

        let mut back = Store::new();
        back.ingest(parsed);
        for (listing, page) in case.status_pages {
            back.ingest_page(&listing, page);
        }
        let wanted = records_of(&store, &events);
        assert_eq!(back.record_count(), wanted.len());
        let mut expected: Vec<String> = wanted
            .iter()
            .map(|&r| record_json(&store.record(r)))
            .collect();
        let mut got: Vec<String> = (0..back.record_count() as u32)
            .map(|r| record_json(&back.record(r)))
            .collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "the records as they came in");
        assert_eq!(back.status_entries(), store.status_entries());
    }

    #[test]
    fn a_damaged_case_file_keeps_its_intact_records_and_its_header() {
        let store = demo_store();
        let events: Vec<EventId> = (0..store.len() as EventId).collect();
        let text = export(&store, &events, &view());
        let cut = &text.as_bytes()[..text.len() * 2 / 3];
        let mut parsed = parse_response(cut);
        assert!(parsed.is_damaged());
        assert!(!parsed.records.is_empty());
        let case = take(&mut parsed.extras, "cut.case.json").expect("still a case file");
        assert_eq!(case.view, Some(view()), "the header comes first");
        assert_eq!(case.status_pages.len(), 2);

        // A header that is not an object: the records still read, a notice says why.
        let odd = text.replacen("\"header\":{", "\"header\":[{", 1);
        let mut parsed = parse_response(odd.as_bytes());
        let case = take(&mut parsed.extras, "odd.case.json").expect("a case file");
        assert_eq!(case.view, None);
        assert_eq!(case.problems.len(), 1, "{:?}", case.problems);
        assert!(case.problems[0].message.contains("header"));
    }

    #[test]
    fn a_newer_version_is_read_for_what_this_one_knows_and_other_responses_are_not_case_files() {
        let store = demo_store();
        let events: Vec<EventId> = (0..4).collect();
        let text = export(&store, &events, &view()).replacen("\"caseFile\":1", "\"caseFile\":7", 1);
        let mut parsed = parse_response(text.as_bytes());
        let case = take(&mut parsed.extras, "new.case.json").unwrap();
        assert_eq!(case.version, 7);
        assert_eq!(case.view, Some(view()));
        assert!(case.problems[0].message.contains("version 7"));
        assert!(!parsed.records.is_empty());

        let demo = audit_gen::demo();
        let mut page = parse_response(&demo.customer_pages[0]);
        assert!(take(&mut page.extras, "page.json").is_none());
    }

    #[test]
    fn file_names_name_the_entity_and_the_day() {
        assert_eq!(
            file_name("CUSTOMER 98662653", 1_764_600_000_000),
            "customer-98662653-2025-12-01.case.json"
        );
        assert_eq!(file_name("", 0), "audit-trail-1970-01-01.case.json");
    }
}
