//! Properties of generated data and the documented demo facts.

use audit_gen::{
    demo, paginate, CustomerConfig, EntityType, EventKind, PageWriter, Pagination, Record, Shape,
    World, WorldConfig, DEMO_CARD_RECORDS, DEMO_CUSTOMER_ID, DEMO_CUSTOMER_RECORDS, FIRST_CARD_ID,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

fn world(records: u64, cards: Vec<u64>, merge: bool) -> World {
    World::new(WorldConfig {
        customers: vec![CustomerConfig {
            id: None,
            records,
            cards,
            merge,
        }],
        ..WorldConfig::default()
    })
}

fn all(world: &World, t: EntityType) -> Vec<Vec<Record>> {
    world
        .entities()
        .iter()
        .filter(|e| e.entity_type == t)
        .map(|e| e.stream().collect())
        .collect()
}

#[test]
fn demo_is_deterministic_and_valid_json() {
    let a = demo();
    let b = demo();
    assert_eq!(a, b);
    for page in a.customer_pages.iter().chain(&a.card_pages) {
        parse(page);
    }
    parse(&a.customer_status_log);
    parse(&a.card_status_log);
    parse(&a.customer_lookup);
}

#[test]
fn demo_story_matches_the_crate_docs() {
    let d = demo();
    assert_eq!(d.customer_id, DEMO_CUSTOMER_ID);
    assert_eq!(d.card_id, FIRST_CARD_ID);
    assert_eq!(d.customer_pages.len(), 3);
    let mut records = Vec::new();
    for (i, page) in d.customer_pages.iter().enumerate() {
        let v = parse(page);
        let p = &v["pagination"];
        assert_eq!(p["totalElements"], 240);
        assert_eq!(p["totalPages"], 3);
        assert_eq!(p["number"], i as u64);
        let data = v["data"].as_array().unwrap();
        assert_eq!(p["numberOfElements"], data.len());
        assert_eq!(data.len(), [100, 100, 40][i]);
        records.extend(data.iter().cloned());
    }
    assert_eq!(records.len() as u64, DEMO_CUSTOMER_RECORDS);
    // Newest first.
    let times: Vec<i64> = records
        .iter()
        .map(|r| r["autoUpdateTime"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let start = audit_gen::time::epoch_ms(2023, 1, 1, 0, 0, 0);
    let end = audit_gen::time::epoch_ms(2025, 1, 1, 0, 0, 0);
    assert!(*times.last().unwrap() >= start && times[0] < end);
    assert!(times[0] > audit_gen::time::epoch_ms(2024, 10, 1, 0, 0, 0));

    // Registration: the oldest requestId has 3 records.
    let oldest = records.last().unwrap()["requestId"].clone();
    assert_eq!(
        records.iter().filter(|r| r["requestId"] == oldest).count(),
        3
    );

    // Exactly one merge, in the last third of the span.
    let merges: Vec<&Value> = records
        .iter()
        .filter(|r| !r["victimUserDetails"].is_null())
        .collect();
    assert_eq!(merges.len(), 1);
    assert!(merges[0]["autoUpdateTime"].as_i64().unwrap() > start + (end - start) * 2 / 3);
    assert!(merges[0]["survivorUserDetails"]["mobile"].is_string());

    // The card.
    assert_eq!(d.card_pages.len(), 1);
    let card = parse(&d.card_pages[0]);
    let card_records = card["data"].as_array().unwrap();
    assert_eq!(card_records.len() as u64, DEMO_CARD_RECORDS);
    let first = card_records.last().unwrap();
    let af = &first["events"][0]["additionalFields"];
    assert_eq!(
        af,
        &serde_json::json!({"labelId": "26", "value": "NOT_ISSUED"})
    );
    assert_eq!(
        card_records[card_records.len() - 2]["events"][0]["additionalFields"]["currentValue"],
        "ACTIVE"
    );
    for r in &card_records[..card_records.len() - 1] {
        assert_eq!(
            r["events"][0]["associateEntities"],
            serde_json::json!([{"entityType": "CUSTOMER", "entityId": DEMO_CUSTOMER_ID}])
        );
    }
    // Issue: card NOT_ISSUED, customer cardnumber, card ACTIVE share a requestId.
    let issue_rid = &first["requestId"];
    let cust_issue: Vec<&Value> = records
        .iter()
        .filter(|r| &r["requestId"] == issue_rid)
        .collect();
    assert_eq!(cust_issue.len(), 1);
    assert_eq!(cust_issue[0]["events"][0]["updatedField"], "cardnumber");
    assert_eq!(
        cust_issue[0]["events"][0]["additionalFields"]["currentValue"],
        d.card_number.as_str()
    );
    assert_eq!(
        &card_records[card_records.len() - 2]["requestId"],
        issue_rid
    );

    // Status logs mirror the status events.
    let status_events = records
        .iter()
        .flat_map(|r| r["events"].as_array().unwrap())
        .filter(|e| e["eventType"] == "Customer Status")
        .count();
    let log = parse(&d.customer_status_log);
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), status_events + 1);
    assert_eq!(entries.last().unwrap()["label"], "Active");
    assert_eq!(
        entries.last().unwrap()["reason"],
        "This is the active customer"
    );
    let card_log = parse(&d.card_status_log);
    let card_entries = card_log["data"].as_array().unwrap();
    assert_eq!(card_entries.len(), 6);
    for entries in [entries, card_entries] {
        assert_eq!(entries[0]["isActive"], true);
        assert!(entries[1..].iter().all(|e| e["isActive"] == false));
    }
    // The lookup reports the card.
    let lookup = parse(&d.customer_lookup);
    assert_eq!(lookup["id"], DEMO_CUSTOMER_ID);
    assert!(lookup["profiles"][0]["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["value"] == d.card_number.as_str()));
}

#[test]
fn every_size_yields_exactly_that_many_ordered_records() {
    for n in [1, 2, 3, 4, 5, 7, 50, 1000] {
        let w = world(n, vec![2, 3], true);
        for e in w.entities() {
            let recs: Vec<Record> = e.stream().collect();
            assert_eq!(recs.len() as u64, e.records, "{:?} {}", e.entity_type, n);
            for pair in recs.windows(2) {
                assert!(pair[0].auto_update_time < pair[1].auto_update_time);
            }
            for r in &recs {
                assert!(r.created_on > r.auto_update_time);
                assert_eq!(r.entity_id, e.entity_id);
                assert!(!r.events.is_empty());
            }
        }
        // Small customers still get their planned card issues and merge.
        let cust: Vec<Record> = w.entities()[0].stream().collect();
        if n >= 3 {
            assert_eq!(cust.iter().filter(|r| r.is_merge()).count(), 1, "n={n}");
            let cards = cust
                .iter()
                .flat_map(|r| &r.events)
                .filter(|e| e.updated_field == "cardnumber")
                .count();
            assert_eq!(cards, 3, "two issued cards + one from the merge, n={n}");
        }
    }
}

#[test]
fn value_chains_are_consistent() {
    let w = world(3000, vec![40], true);
    let customers = all(&w, EntityType::Customer);
    let recs = &customers[0];
    let mut current: HashMap<String, String> = HashMap::new();
    let mut kinds = HashSet::new();
    let mut shared_rids = 0;
    let mut rid_count: HashMap<&str, usize> = HashMap::new();
    for r in recs {
        *rid_count.entry(&r.request_id).or_default() += 1;
        for e in &r.events {
            kinds.insert(e.kind);
            let key = match e.kind {
                EventKind::SubscriptionStatus => format!(
                    "sub/{}/{}",
                    e.field("communication_channel_type").unwrap(),
                    e.field("priority").unwrap()
                ),
                EventKind::Identifier if e.updated_field == "cardnumber" => continue,
                EventKind::CustomerStatus => "status".to_string(),
                _ => format!("{:?}/{}", e.kind, e.updated_field),
            };
            let prev = e.field("previousValue").unwrap_or("NA").to_string();
            let expected = current
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "NA".to_string());
            if e.kind == EventKind::CustomerStatus {
                let label = format!(
                    "{}:{}",
                    e.field("previousValue").unwrap(),
                    e.field("previousLabelId").unwrap()
                );
                let cur = current
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| "ACTIVE:53".into());
                assert_eq!(label, cur);
                current.insert(
                    key,
                    format!(
                        "{}:{}",
                        e.field("currentValue").unwrap(),
                        e.field("currentLabelId").unwrap()
                    ),
                );
                continue;
            }
            // A merge sets externalId from null without a previous value.
            if !(e.updated_field == "externalId" && e.field("previousValue").is_none()) {
                assert_eq!(prev, expected, "{key} at {}", r.auto_update_time);
            }
            assert_ne!(
                e.field("currentValue"),
                Some(prev.as_str()),
                "{key} no-op change"
            );
            current.insert(key, e.field("currentValue").unwrap().to_string());
            if e.kind == EventKind::CommChannel {
                assert!(e.field("currentValue").unwrap().len() >= 150);
            }
        }
    }
    shared_rids += rid_count.values().filter(|c| **c > 1).count();
    assert!(shared_rids > 10, "bursts share requestIds");
    for k in [
        EventKind::Identifier,
        EventKind::CommChannel,
        EventKind::StandardField,
        EventKind::ExtendedField,
        EventKind::CustomerStatus,
        EventKind::SubscriptionStatus,
    ] {
        assert!(kinds.contains(&k), "{k:?} generated");
    }
    let sources: HashSet<Option<&str>> = recs.iter().map(|r| r.source.as_deref()).collect();
    for s in [Some("INSTORE"), Some("instore"), Some("MAPP_SDK"), None] {
        assert!(sources.contains(&s), "{s:?}");
    }
    assert!(recs.iter().any(|r| r.till.is_some() && r.store.is_some()));
    assert!(recs
        .iter()
        .any(|r| r.user_context.is_some() && r.updated_by_mode == "MEMBER_CARE"));

    // Card: status chain, including the first labelId/value entry.
    let cards = all(&w, EntityType::Card);
    let mut prev: Option<(String, String)> = None;
    let mut statuses = HashSet::new();
    for r in &cards[0] {
        let e = &r.events[0];
        match &prev {
            None => {
                assert_eq!(e.field("value"), Some("NOT_ISSUED"));
                prev = Some(("NOT_ISSUED".into(), e.field("labelId").unwrap().into()));
            }
            Some((s, l)) => {
                assert_eq!(e.field("previousValue"), Some(s.as_str()));
                assert_eq!(e.field("previousLabelId"), Some(l.as_str()));
                prev = Some((
                    e.field("currentValue").unwrap().into(),
                    e.field("currentLabelId").unwrap().into(),
                ));
            }
        }
        statuses.insert(prev.clone().unwrap().0);
    }
    for s in ["NOT_ISSUED", "ACTIVE", "SUSPENDED", "EXPIRED"] {
        assert!(statuses.contains(s), "{s}");
    }
}

#[test]
fn different_seeds_differ_and_same_seed_repeats() {
    let a: Vec<Record> = world(100, vec![], false).entities()[0].stream().collect();
    let b: Vec<Record> = world(100, vec![], false).entities()[0].stream().collect();
    let cfg = WorldConfig {
        seed: 99,
        ..WorldConfig::default()
    };
    let c: Vec<Record> = World::new(cfg).entities()[0].stream().take(100).collect();
    assert_eq!(a, b);
    assert_ne!(a[5], c[5]);
}

#[test]
fn a_cloned_stream_replays_identically() {
    let w = world(500, vec![], false);
    let mut s = w.entities()[0].stream();
    let _ = s.by_ref().take(137).count();
    let snapshot = s.clone();
    let rest: Vec<Record> = s.collect();
    let replay: Vec<Record> = snapshot.collect();
    assert_eq!(rest, replay);
    assert_eq!(rest.len(), 500 - 137);
}

#[test]
fn legacy_shape_follows_the_saved_responses() {
    let w = world(300, vec![], false);
    let recs: Vec<Record> = w.entities()[0].stream().collect();
    let page = paginate(&recs, 1000, Shape::Legacy, false).remove(0);
    let v = parse(&page);
    assert_eq!(v["success"], true);
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert!(v.get("pagination").is_none());
    let entity = v["entity"].as_array().unwrap();
    assert_eq!(entity.len(), 300);
    let mut types = HashSet::new();
    for (r, rec) in entity.iter().zip(&recs) {
        let t = r["createdOn"].as_str().unwrap();
        assert_eq!(
            audit_gen::time::parse_query_date(t),
            Some(rec.created_on / 1000 * 1000)
        );
        assert_eq!(r["userContextDetails"], serde_json::json!({}));
        assert_eq!(r.get("till").is_some(), rec.till.is_some());
        assert_eq!(
            r.get("updatedByUser").is_some(),
            rec.updated_by_user.is_some()
        );
        for e in r["events"].as_array().unwrap() {
            types.insert(e["eventType"].as_str().unwrap().to_string());
        }
    }
    // Legacy lists currentValue first (serde_json's map sorts keys, so check the text).
    let text = String::from_utf8(page).unwrap();
    assert!(!text.contains(r#""additionalFields":{"previousValue""#));
    assert!(text.contains(r#""additionalFields":{"currentValue""#));
    assert!(!text.contains(r#""associateEntities":null"#));
    assert!(!text.contains(r#""till":null"#));
    assert!(types.contains("Identifier") && types.contains("CommChannel"));
    assert!(!types.contains("Identifiers"));
}

#[test]
fn user_context_is_null_unless_requested() {
    let w = world(200, vec![], false);
    let recs: Vec<Record> = w.entities()[0].stream().collect();
    let without = parse(&paginate(&recs, 500, Shape::Current, false)[0]);
    assert!(without["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["userContextDetails"].is_null()));
    let with = parse(&paginate(&recs, 500, Shape::Current, true)[0]);
    let data = with["data"].as_array().unwrap();
    assert!(data.iter().all(|r| r["userContextDetails"].is_object()));
    assert!(data
        .iter()
        .any(|r| r["userContextDetails"]["entitySource"] == "MEMBER_CARE"));
    assert!(data
        .iter()
        .any(|r| r["userContextDetails"]["entitySource"].is_null()));
}

#[test]
fn page_writer_mixes_generated_and_raw_records() {
    let w = world(3, vec![], false);
    let recs: Vec<Record> = w.entities()[0].stream().collect();
    let mut pw = PageWriter::new(Shape::Current);
    pw.push(&recs[0], false);
    pw.push_raw(r#"{"entityId":1,"events":[]}"#);
    assert_eq!(pw.len(), 2);
    let v = parse(&pw.finish(&Pagination::for_page(12, 2, 3)));
    assert_eq!(v["data"][1]["entityId"], 1);
    assert_eq!(v["pagination"]["number"], 3);
    assert_eq!(v["pagination"]["totalPages"], 6);
}

#[test]
fn large_entities_stream_quickly() {
    // A 100k-record customer in constant memory; the simulator relies on
    // this to index million-record entities at startup.
    let w = world(100_000, vec![], false);
    let t = std::time::Instant::now();
    let mut n = 0u64;
    let mut last = i64::MIN;
    for r in w.entities()[0].stream() {
        assert!(r.auto_update_time > last);
        last = r.auto_update_time;
        n += 1;
    }
    assert_eq!(n, 100_000);
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    assert!(last <= w.config().end_ms + 60_000);
}

#[test]
fn reference_types_normalise_every_spelling() {
    // The `referenceType` a label answers to, as the simulator filters by it.
    let r = |label: &str| EventKind::from_label(label).as_str();
    assert_eq!(r("Identifiers"), "Identifier");
    assert_eq!(r("Identifier"), "Identifier");
    assert_eq!(r("Communication Channels"), "CommChannel");
    assert_eq!(r("CommChannel"), "CommChannel");
    assert_eq!(r("Standard Fields"), "StandardField");
    assert_eq!(r("Customer Status"), "CustomerStatus");
    assert_eq!(r("Subscription Status"), "SubscriptionStatus");
    assert_eq!(r("Custom Fields"), "CustomField");
    for k in [
        EventKind::Identifier,
        EventKind::CardStatus,
        EventKind::ExtendedField,
    ] {
        assert_eq!(r(k.current_name()), k.as_str());
        assert_eq!(r(k.legacy_name()), k.as_str());
    }
}

#[test]
fn continued_and_standalone_streams_carry_on_the_story() {
    let w = world(20, vec![], false);
    let mut s = w.entities()[0].stream();
    let recs: Vec<Record> = s.by_ref().collect();
    let last = recs.last().unwrap().auto_update_time;
    s.continue_for(5, last + 5 * 60_000);
    let more: Vec<Record> = s.by_ref().collect();
    assert_eq!(more.len(), 5);
    assert!(more[0].auto_update_time > last);
    assert!(more
        .windows(2)
        .all(|p| p[0].auto_update_time < p[1].auto_update_time));
    assert!(more.iter().all(|r| r.auto_update_time <= last + 6 * 60_000));

    // Standalone streams start mid-history: no registration, no card issue.
    for t in [EntityType::Customer, EntityType::Card] {
        let spec = audit_gen::EntitySpec::standalone(t, 42, 30, 0, 3_600_000, 7);
        let recs: Vec<Record> = spec.stream().collect();
        assert_eq!(recs.len(), 30);
        assert!(recs.iter().all(|r| r.entity_id == 42));
        for r in &recs {
            for e in &r.events {
                assert_ne!(e.field("previousValue"), Some("NOT_ISSUED"));
                assert_ne!(e.field("value"), Some("NOT_ISSUED"));
                if e.kind == EventKind::Identifier {
                    assert_ne!(e.field("previousValue"), Some("NA"), "no registration");
                }
            }
        }
    }
}
