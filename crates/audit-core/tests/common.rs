//! Shared helpers: fixture loading relative to the crate.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/seeds")
}

pub fn seed(name: &str) -> Vec<u8> {
    std::fs::read(seed_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn parsed(name: &str) -> audit_core::Parsed {
    parse_checked(&seed(name))
}

/// A proptest configuration with a fixed seed, so a failure reproduces by
/// running the same test again, and no failure files written to the tree.
pub fn proptest_config(cases: u32, seed: u64) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Inputs that made damaged-page recovery slow, each about `size` bytes:
/// `(name, bytes)`. Shared by the linearity tests and the `pathological`
/// bench group.
pub fn pathological(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    let repeat = |head: &str, unit: &str, tail: &str| {
        let mut s = String::with_capacity(size + unit.len() + tail.len());
        s.push_str(head);
        while s.len() + tail.len() < size {
            s.push_str(unit);
        }
        s.push_str(tail);
        s.into_bytes()
    };
    let long_level = format!(",{{\"a\":[{}", "0,".repeat(500));
    vec![
        // Every top-level member damaged: each used to rescan the rest for keys.
        ("damaged_members", repeat("{", "\"data\":!,", "}")),
        ("deep_nesting", repeat("{\"data\":[", "[", "")),
        (
            "unterminated_string",
            repeat("{\"data\":[{\"requestId\":\"", "a", ""),
        ),
        ("commas", repeat("{\"data\":[", ",", "]}")),
        // Resynchronisation candidates nested in one another, none whole.
        (
            "unclosed_candidates",
            repeat("{\"data\":[!", ",{\"a\":[", ""),
        ),
        ("nested_candidates", repeat("{\"data\":[!", &long_level, "")),
        // A damaged record before every intact one.
        (
            "alternating_damage",
            repeat(
                "{\"data\":[",
                "{\"requestId\":\"r\" \"x\":1},{\"requestId\":\"ok\"},",
                "{\"requestId\":\"ok\"}]}",
            ),
        ),
        (
            "damaged_records",
            repeat("{\"data\":[", "{\"requestId\":\"r\",\"x\":!},", "]}"),
        ),
    ]
}

/// Pieces a support agent's query is made of, plus the awkward ones.
const PIECES: &[&str] = &[
    "राम",
    "नाम",
    "क्षि",
    "ि",
    "்",
    "தமிழ்",
    "கொ",
    "é",
    "e\u{301}",
    "\u{301}",
    "\u{200d}",
    "👩\u{200d}💻",
    "🇮🇳",
    "👍🏽",
    "a",
    "Z",
    "9",
    " ",
    "  ",
    "\t",
    "\u{a0}",
    "\"",
    "-",
    ":",
    "type:",
    "field:",
    "user:",
    "after:",
    "before:",
    "tpye:",
    "TYPE:",
    "7d",
    "2024-01-31",
    "x:",
    "ß",
    "İ",
];

pub fn query_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// The helpers' promises for any text: they do not panic, and what they give
/// is consistent with the clamped span.
pub fn check_rendering(e: &audit_core::QueryError, text: &str) {
    let r = e.span_in(text);
    assert!(r.start <= r.end && r.end <= text.len());
    assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    let (before, marked, after) = e.marked(text);
    assert_eq!([before, marked, after].concat(), text);
    assert_eq!(e.column(text), before.chars().count() + 1);
    let caret = e.caret_line(text);
    assert_eq!(
        caret.chars().take_while(|&c| c == ' ').count(),
        before.chars().count()
    );
    assert!(caret.ends_with('^'));
    let _ = e.to_string();
}

/// `parse_response(bytes)`, after checking that the fused ingest
/// (`Store::ingest_bytes`) stores exactly what `parse_response` +
/// `Store::ingest_page` store from the same bytes (see [`check_fused`]), so
/// every test that reads an input this way tests both paths.
pub fn parse_checked(bytes: &[u8]) -> audit_core::Parsed {
    check_fused(&audit_core::Store::new(), "listing", bytes);
    audit_core::parse_response(bytes)
}

/// Ingests `bytes` into two clones of `base`, one through `parse_response` +
/// `Store::ingest_page`, one through `Store::ingest_bytes`, and checks that
/// the reports, the page summaries and the two stores are the same. Returns
/// the fused path's summary (`fused` says which reader took the page).
pub fn check_fused(
    base: &audit_core::Store,
    listing: &str,
    bytes: &[u8],
) -> audit_core::PageSummary {
    let mut owned = base.clone();
    let parsed = audit_core::parse_response(bytes);
    let want_summary = audit_core::PageSummary::of(&parsed);
    let want_report = owned.ingest_page(listing, parsed);
    let mut fused = base.clone();
    let (report, summary) = fused.ingest_bytes(listing, bytes);
    let what = String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]);
    assert_eq!(report, want_report, "report of {what}");
    assert_eq!(
        audit_core::PageSummary {
            fused: false,
            ..summary.clone()
        },
        want_summary,
        "summary of {what}"
    );
    assert_same_store(&owned, &fused, &what);
    summary
}

/// Everything a store shows: records as rebuilt, every event as viewed, the
/// listings' gap reports, status entries, facets and a few searches.
pub fn assert_same_store(a: &audit_core::Store, b: &audit_core::Store, what: &str) {
    assert_eq!(a.record_count(), b.record_count(), "records of {what}");
    assert_eq!(a.len(), b.len(), "events of {what}");
    for rid in 0..a.record_count() as u32 {
        assert_eq!(a.record(rid), b.record(rid), "record {rid} of {what}");
    }
    for id in 0..a.len() as u32 {
        assert_eq!(
            event_digest(a, id),
            event_digest(b, id),
            "event {id} of {what}"
        );
    }
    assert_eq!(a.listings(), b.listings(), "listings of {what}");
    assert_eq!(a.status_entries(), b.status_entries(), "status of {what}");
    let all: Vec<u32> = (0..a.len() as u32).collect();
    assert_eq!(
        format!("{:?}", audit_core::facets(a, &all)),
        format!("{:?}", audit_core::facets(b, &all)),
        "facets of {what}"
    );
    for q in [
        "a",
        "9",
        "type:identifier",
        "source:instore",
        "user:aldo",
        "-na",
    ] {
        let q = audit_core::Query::parse(q).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            a.query(&q, 1_700_000_000_000).events,
            b.query(&q, 1_700_000_000_000).events,
            "{:?} in {what}",
            q.text
        );
    }
}

/// An event as every accessor of `EventView` gives it.
pub fn event_digest(s: &audit_core::Store, id: u32) -> Vec<String> {
    let e = s.event(id);
    vec![
        format!(
            "{:?}",
            (e.record_id(), e.is_placeholder(), e.time(), e.time_raw())
        ),
        format!("{:?}", (e.kind(), e.type_label(), e.field(), e.field_key())),
        format!(
            "{:?}",
            (
                e.previous(),
                e.current(),
                e.previous_label_id(),
                e.current_label_id(),
                e.is_label_change()
            )
        ),
        format!(
            "{:?}",
            (
                e.user(),
                e.user_label(),
                e.updated_by(),
                e.mode(),
                e.source()
            )
        ),
        format!(
            "{:?}",
            (
                e.request_id(),
                e.entity_type(),
                e.entity_id(),
                e.org_id(),
                e.created_on()
            )
        ),
        format!(
            "{:?}",
            (
                e.till(),
                e.store_place(),
                e.user_context(),
                e.victim(),
                e.survivor()
            )
        ),
        format!("{:?}", e.associate_entities()),
        format!("{:?}", e.additional_fields().collect::<Vec<_>>()),
        format!("{:?}", e.extras().collect::<Vec<_>>()),
        s.event_key(id),
        format!("{:?}", s.request_events(id)),
    ]
}

/// For a page without duplicate records: every event's change (previous,
/// current, label ids), kind, field key and record members read
/// from the store equal what the parsed record says.
pub fn check_against_model(parsed: audit_core::Parsed) {
    let records = parsed.records.clone();
    let mut s = audit_core::Store::new();
    s.ingest(parsed);
    assert_eq!(
        s.record_count(),
        records.len(),
        "no duplicates in these inputs"
    );
    for e in s.events() {
        let r = &records[e.record_id() as usize];
        assert_eq!(e.user(), r.updated_by_user.as_deref());
        assert_eq!(e.updated_by(), r.updated_by.get().copied());
        assert_eq!(e.source(), r.source.as_deref());
        assert_eq!(e.mode(), r.updated_by_mode.as_deref());
        assert_eq!(e.entity_type(), r.entity_type.as_deref());
        assert_eq!(e.entity_id(), r.entity_id.get().copied());
        assert_eq!(e.till(), r.till.get().cloned());
        assert_eq!(e.user_context(), r.user_context.get().cloned());
        if e.is_placeholder() {
            continue;
        }
        // Events of one record stay together and in order.
        let pos = (0..e.id())
            .rev()
            .take_while(|&i| s.event(i).record_id() == e.record_id())
            .count();
        let ev = &r.events()[pos];
        assert_eq!(e.kind(), ev.kind(), "{:?}", ev);
        assert_eq!(e.field_key(), ev.field_key(), "{:?}", ev);
        let c = ev.change();
        assert_eq!(e.previous(), c.previous.as_deref(), "{:?}", ev);
        assert_eq!(e.current(), c.current.as_deref());
        assert_eq!(e.previous_label_id(), c.previous_label_id.as_deref());
        assert_eq!(e.current_label_id(), c.current_label_id.as_deref());
        assert_eq!(e.is_label_change(), c.is_label_change());
    }
}
