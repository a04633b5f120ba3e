//! Merging pages, dedup and gaps; the query language and facets over the seeds.

mod common;

use audit_core::{facets, parse_response, Query, Search, Store, Term, TimeBound};
use common::{parsed, seed_dir};

/// Every valid seed of customer 98662653 and card 648089, plus the damaged merge page.
fn seeded_store() -> Store {
    let mut store = Store::new();
    let mut names: Vec<_> = std::fs::read_dir(seed_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("audit-"))
        .collect();
    names.sort();
    for n in names {
        store.ingest_page(&n, parsed(&n));
    }
    store
}

#[test]
fn pages_merge_and_duplicates_drop() {
    let mut store = Store::new();
    let listing = "customer 98662653 all";
    let r0 = store.ingest_page(
        listing,
        parsed("audit-current-customer-98662653-page0-of-52.json"),
    );
    assert_eq!((r0.records_added, r0.records_duplicate), (7, 0));
    let r1 = store.ingest_page(
        listing,
        parsed("audit-current-customer-98662653-page1-of-51.json"),
    );
    assert_eq!((r1.records_added, r1.records_duplicate), (10, 0));
    // The comm-channel listing repeats e250a1bc… (page 0) and af0fae76… (page 1).
    let r2 = store.ingest_page(
        "comm",
        parsed("audit-current-customer-98662653-comm-channels.json"),
    );
    assert_eq!((r2.records_added, r2.records_duplicate), (1, 2));
    // Ingesting a page twice adds nothing.
    let again = store.ingest_page(
        listing,
        parsed("audit-current-customer-98662653-page1-of-51.json"),
    );
    assert_eq!((again.records_added, again.records_duplicate), (0, 10));
    assert_eq!(store.record_count(), 18);
    assert_eq!(store.len(), 19, "one record holds two subscription events");
    // Time order, oldest first.
    let times: Vec<_> = store.events().map(|e| e.time().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(times[0], 1700726023938);

    let report = store
        .listings()
        .into_iter()
        .find(|l| l.listing == listing)
        .unwrap();
    assert_eq!(report.pages_seen, vec![0, 1]);
    assert_eq!(report.total_pages, Some(6));
    assert_eq!(report.missing_pages, vec![2, 3, 4, 5]);
    assert_eq!(report.totals_seen, vec![52, 51], "total moved while paging");
    assert_eq!(report.short_pages, vec![(0, 10, 7)]);
    assert!(!report.is_complete());
}

#[test]
fn duplicate_with_user_context_enriches_the_kept_record() {
    let mut store = Store::new();
    store.ingest(parsed(
        "audit-current-customer-98662653-customer-status.json",
    ));
    let before = store
        .events()
        .find(|e| e.request_id() == Some("c6d0e3f2c8f0fe7d661bbd8725bd6511"))
        .unwrap();
    assert!(before.user_context().is_none());
    assert_eq!(before.user_label(), "#75015489");
    store.ingest(parsed("audit-current-customer-98662653-page0-of-52.json"));
    let after = store
        .events()
        .find(|e| e.request_id() == Some("c6d0e3f2c8f0fe7d661bbd8725bd6511"))
        .unwrap();
    assert_eq!(
        after
            .user_context()
            .unwrap()
            .text("entitySource")
            .as_deref(),
        Some("MEMBER_CARE")
    );
    assert_eq!(after.user_label(), "Achyuthanandan S");
}

#[test]
fn event_accessors_and_faithful_records() {
    let store = seeded_store();
    let e = store
        .events()
        .find(|e| e.kind() == audit_core::EventKind::CardStatus && e.previous().is_some())
        .unwrap();
    assert_eq!(e.type_label(), Some("Card Status"));
    assert_eq!(e.field(), Some("CardStatus"));
    assert_eq!(
        (e.previous(), e.current()),
        (Some("NOT_ISSUED"), Some("ACTIVE"))
    );
    assert_eq!(
        (e.previous_label_id(), e.current_label_id()),
        (Some("26"), Some("15"))
    );
    assert_eq!(e.entity_type(), Some("CARD"));
    assert_eq!(e.entity_id(), Some(648089));
    assert_eq!(e.org_id(), Some(100458));
    assert_eq!(e.updated_by(), Some(75083604));
    assert_eq!(e.mode(), Some("API"));
    assert_eq!(e.source(), None);
    assert_eq!(e.time(), Some(1687954900305));
    assert_eq!(e.associate_entities()[0].int("entityId"), Some(98662653));
    let af: Vec<_> = e
        .additional_fields()
        .map(|(k, v)| (k, v.as_str().unwrap()))
        .collect();
    assert_eq!(af[0], ("previousLabelId", "26"));
    // Legacy till/store survive.
    let legacy = store.events().find(|e| e.till().is_some()).unwrap();
    assert_eq!(
        legacy.till().unwrap().text("name").as_deref(),
        Some("aldo.till.1")
    );
    assert_eq!(
        legacy.store_place().unwrap().text("code").as_deref(),
        Some("aldo.demo")
    );
    // Every record rebuilt from the store equals the parsed one.
    for name in [
        "audit-legacy-customer-98662653.json",
        "audit-current-card-648089-card-status.json",
    ] {
        let mut s = Store::new();
        let p = parsed(name);
        let originals = p.records.clone();
        s.ingest(p);
        for (rid, orig) in originals.iter().enumerate() {
            assert_eq!(&s.record(rid as u32), orig, "{name} record {rid}");
        }
    }
}

fn run(store: &Store, q: &str) -> Vec<String> {
    let query = Query::parse(q).unwrap();
    store
        .query(&query, 1_712_905_980_699 + 86_400_000)
        .events
        .iter()
        .map(|&id| {
            let e = store.event(id);
            format!("{}={}", e.field_key(), e.current().unwrap_or("-"))
        })
        .collect()
}

#[test]
fn query_language_over_seeds() {
    let store = seeded_store();
    assert_eq!(
        run(&store, "field:mobile 9988776655").len(),
        4,
        "legacy and current both hold the mobile changes"
    );
    assert_eq!(
        run(&store, "field:mobile source:instore -user:aldo"),
        [
            "mobile=9353995291",
            "mobile=9988776655",
            "mobile=9986000581",
            "mobile=9986000581"
        ]
    );
    assert_eq!(
        run(&store, "type:\"card status\" value:active"),
        ["CardStatus=ACTIVE"]
    );
    assert_eq!(
        run(&store, "TYPE:identifier field:LASTNAME"),
        Vec::<String>::new()
    );
    assert_eq!(
        run(&store, "type:standard field:lastname"),
        ["LastName=Vatsal"]
    );
    assert_eq!(
        run(&store, "request:4bfddb9d"),
        ["cardnumber=GOLD400000000000011162020"]
    );
    assert_eq!(run(&store, "mode:member_care type:customer").len(), 2);
    assert_eq!(run(&store, "type:subscription -mode:member").len(), 1);
    assert_eq!(
        run(&store, "\"achyuthanandan s\""),
        ["CustomerStatus=ACTIVE", "CustomerStatus=ACTIVE"]
    );
    assert_eq!(
        run(&store, "after:2024-04-12 type:customerstatus"),
        ["CustomerStatus=ACTIVE"]
    );
    assert_eq!(run(&store, "before:2023-01-01").len(), 1, "the 2022 email");
    assert_eq!(
        run(&store, "after:2d"),
        ["CustomerStatus=ACTIVE"],
        "relative to the `now` passed in"
    );
    assert_eq!(
        run(&store, "user:75036445 field:email"),
        ["email=[email\u{a0}protected]"]
    );
    assert_eq!(
        run(&store, "type:comm").len(),
        run(&store, "field:ios").len()
    );
    assert!(run(&store, "zzzz-no-such-thing").is_empty());
}

#[test]
fn query_errors_have_positions() {
    // (query, bytes the error points at, 1-based character column, message)
    for (q, marked, column, msg) in [
        ("field:", "", 7, "needs a value"),
        ("mobile \"unclosed", "\"unclosed", 8, "unclosed quote"),
        ("a - b", "-", 3, "must be followed"),
        ("tpye:identifier", "tpye:", 1, "unknown qualifier"),
        ("after:yesterday", "yesterday", 7, "wants a date"),
        ("é before:soon", "soon", 10, "wants a date"),
        ("राम -", "-", 5, "must be followed"),
        ("नाम \"", "\"", 5, "unclosed quote"),
        ("éé \"", "\"", 4, "unclosed quote"),
        ("type:\"\"", "\"\"", 6, "needs a value"),
    ] {
        let e = Query::parse(q).unwrap_err();
        assert_eq!(&q[e.span.clone()], marked, "{q}: {e}");
        assert_eq!(e.column(q), column, "{q}: {e}");
        assert!(e.message.contains(msg), "{q}: {e}");
    }
    // Tokens with colons (push tokens) are text, not qualifiers.
    let q = Query::parse("fCyvtyp0MkXjl_Rv4XUZ2F:APA91b").unwrap();
    assert!(matches!(&q.clauses[0].term, Term::Text(t) if t == "fcyvtyp0mkxjl_rv4xuz2f:apa91b"));
    let q = Query::parse("-after:7d").unwrap();
    assert!(q.clauses[0].negated);
    assert_eq!(
        q.clauses[0].term,
        Term::After(TimeBound::Ago(7 * 86_400_000))
    );
}

#[test]
fn keystrokes_narrow_and_agree_with_a_fresh_scan() {
    let store = seeded_store();
    let mut search = Search::new();
    let typed = "field:ios fcyvtyp0 -source:inst";
    let mut narrowed = 0;
    for end in 1..=typed.len() {
        let Ok(q) = Query::parse(&typed[..end]) else {
            continue;
        };
        let res = search.run(&store, &q, 0).clone();
        narrowed += usize::from(res.narrowed);
        assert_eq!(
            res.events,
            store.query(&q, 0).events,
            "after typing {:?}",
            &typed[..end]
        );
    }
    assert!(narrowed > 15, "most keystrokes narrow ({narrowed})");
    // Deleting a character (a wider query) rescans.
    let q = Query::parse("field:io").unwrap();
    assert!(!search.run(&store, &q, 0).narrowed);
}

#[test]
fn facet_counts_follow_the_result() {
    let store = seeded_store();
    let all: Vec<u32> = (0..store.len() as u32).collect();
    let f = facets(&store, &all);
    let count = |list: &[audit_core::FacetCount], l: &str| {
        list.iter().find(|c| c.label == l).map(|c| c.count)
    };
    assert_eq!(f.types.iter().map(|c| c.count).sum::<usize>(), store.len());
    assert_eq!(
        count(&f.sources, "INSTORE"),
        Some(10),
        "instore and INSTORE together"
    );
    assert_eq!(count(&f.types, "Subscription Status"), Some(4));
    assert_eq!(count(&f.users, "aldo.till.1"), Some(9));
    let res = store.query(&Query::parse("field:mobile").unwrap(), 0);
    let f = facets(&store, &res.events);
    assert_eq!(
        f.fields,
        vec![audit_core::FacetCount {
            label: "mobile".into(),
            count: 5
        }]
    );
    assert_eq!(count(&f.modes, "API"), Some(5));
}

#[test]
fn damaged_page_records_enter_the_store() {
    let mut store = Store::new();
    let r = store.ingest(parse_response(&common::seed(
        "audit-merge-134094571-damaged.json",
    )));
    assert_eq!((r.records_added, r.damaged_spans), (1, 1));
    assert_eq!(store.event(0).current(), Some("ESL000000000110"));
}

#[test]
fn who_falls_back_from_user_to_agent_to_id_and_names_the_system() {
    let page = br#"{"data":[
        {"requestId":"a","updatedBy":-1,"autoUpdateTime":1700000000000,"entityType":"CARD","entityId":1,
         "events":[{"eventType":"Card Status","updatedField":"CardStatus","additionalFields":{"labelId":"26","value":"NOT_ISSUED"}}]},
        {"requestId":"b","updatedBy":75083604,"autoUpdateTime":1700000001000,"entityType":"CARD","entityId":1,
         "events":[{"eventType":"Card Status","updatedField":"CardStatus","additionalFields":{"previousValue":"NOT_ISSUED","currentValue":"ACTIVE"}}]}],
        "pagination":{"totalElements":2,"totalPages":1,"numberOfElements":2,"number":0}}"#;
    let mut store = Store::new();
    store.ingest(parse_response(page));
    let labels: Vec<&str> = store.events().map(|e| e.user_label()).collect();
    assert_eq!(labels, ["system (#-1)", "#75083604"]);
}
