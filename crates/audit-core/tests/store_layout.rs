//! The store no longer keeps previous/current values and label ids per event,
//! nor record members per record: these are read back from the additional-field
//! pairs and the shared record contexts. These tests check the read-back against
//! the parsed model for every seed and for the odd shapes the rules cover.

mod common;

use audit_core::{parse_response, Parsed, Store};

/// Every event's change (previous, current, label ids) and record members read
/// from the store equal what the parsed record says.
fn check(parsed: Parsed) {
    let records = parsed.records.clone();
    let mut s = Store::new();
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
        let c = ev.change();
        assert_eq!(e.previous(), c.previous.as_deref(), "{:?}", ev);
        assert_eq!(e.current(), c.current.as_deref());
        assert_eq!(e.previous_label_id(), c.previous_label_id.as_deref());
        assert_eq!(e.current_label_id(), c.current_label_id.as_deref());
        assert_eq!(e.is_label_change(), c.is_label_change());
    }
}

#[test]
fn change_matches_event_for_every_seed() {
    let mut n = 0;
    for entry in std::fs::read_dir(common::seed_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            check(parse_response(&std::fs::read(&path).unwrap()));
            n += 1;
        }
    }
    assert!(n >= 5, "seeds found: {n}");
}

#[test]
fn change_matches_event_for_odd_shapes() {
    check(parse_response(
        br#"{"data": [
        {"requestId": "a", "autoUpdateTime": 1, "events": [
          {"eventType": "Customer Status", "updatedField": "CustomerStatus", "additionalFields": {"value": "ACTIVE", "labelId": 53}},
          {"eventType": "Customer Status", "updatedField": "CustomerStatus", "additionalFields": {"previousValue": null, "value": "X", "labelId": "9"}},
          {"eventType": "Identifiers", "updatedField": "mobile", "additionalFields": {"previousValue": "na", "currentValue": 9988776655}},
          {"eventType": "Identifiers", "updatedField": "mobile", "additionalFields": {"currentValue": "1", "currentValue": "2", "previousValue": ""}},
          {"eventType": "Standard Fields", "updatedField": "x", "additionalFields": {"previousValue": {"a": [1, true]}, "currentValue": false}},
          {"eventType": "Customer Status", "updatedField": "CustomerStatus", "additionalFields": {"previousLabelId": "53", "previousValue": "ACTIVE", "currentValue": "ACTIVE", "currentLabelId": "54"}},
          {"eventType": "Other", "additionalFields": null},
          {"eventType": "Other"}
        ]},
        {"requestId": "b", "autoUpdateTime": 2, "updatedBy": 7, "userContextDetails": {"entitySourceId": "agent"}, "till": {"code": "T1"}, "source": "INSTORE", "events": []}
    ]}"#,
    ));
}

#[test]
fn label_change_is_read_from_pairs() {
    let mut s = Store::new();
    s.ingest(parse_response(
        br#"{"data": [{"requestId": "a", "autoUpdateTime": 1, "events": [
          {"eventType": "Customer Status", "updatedField": "CustomerStatus", "additionalFields": {"previousLabelId": "53", "previousValue": "ACTIVE", "currentValue": "ACTIVE", "currentLabelId": "54"}}]}]}"#,
    ));
    let e = s.event(0);
    assert!(e.is_label_change());
    assert_eq!(
        (e.previous_label_id(), e.current_label_id()),
        (Some("53"), Some("54"))
    );
}
