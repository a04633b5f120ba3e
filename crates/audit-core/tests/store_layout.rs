//! The store no longer keeps previous/current values and label ids per event,
//! nor record members per record: these are read back from the additional-field
//! pairs and the shared record contexts. These tests check the read-back against
//! the parsed model for every seed and for the odd shapes the rules cover.

mod common;

use audit_core::{parse_response, Store};
use common::check_against_model as check;

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
          {"eventType": "Subscription Status", "updatedField": "SubscriptionStatus", "additionalFields": {"priority": null, "communication_channel_type": "EMAIL", "priority": "TRANS", "org_source": 7, "ou_id": true}},
          {"eventType": "Subscription Status", "updatedField": "SubscriptionStatus", "additionalFields": {"ou_id": null, "ou_id": "-1"}},
          {"eventType": "Subscription Status", "updatedField": "SubscriptionStatus", "additionalFields": {"org_source_id": -0, "communication_channel_type": "SMS", "communication_channel_type": "EMAIL"}},
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
