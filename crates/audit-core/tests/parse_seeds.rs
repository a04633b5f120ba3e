//! Every seed example, parsed and checked against values read off the docs.

mod common;

use audit_core::{parse_status_log, EventKind, Nullable, ResponseShape, StatusLogKind, TimeRaw};
use common::{parse_checked, parsed, seed, seed_dir};

#[test]
fn every_seed_fixture_is_recognised() {
    let mut n = 0;
    for entry in std::fs::read_dir(seed_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        n += 1;
        let p = parse_checked(&std::fs::read(&path).unwrap());
        assert!(
            !matches!(p.shape, ResponseShape::Unrecognised { .. }),
            "{}: {:?}",
            path.display(),
            p.shape
        );
        assert!(
            !p.records.is_empty() || !p.status_entries.is_empty(),
            "{}",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(p.is_damaged(), name.contains("damaged"), "{name}");
    }
    assert_eq!(n, 10, "ten JSON examples in the seeds");
}

#[test]
fn current_identifiers_page() {
    let p = parsed("audit-current-customer-98662653-identifiers.json");
    assert_eq!(p.shape, ResponseShape::CurrentAudits);
    assert_eq!(p.records.len(), 7);
    let pg = p.pagination.as_ref().unwrap();
    assert_eq!(
        (
            pg.total_elements,
            pg.total_pages,
            pg.number_of_elements,
            pg.number
        ),
        (Some(7), Some(1), Some(7), Some(0))
    );
    let r = &p.records[0];
    assert_eq!(r.updated_by_user, Nullable::Null);
    assert_eq!(r.updated_by, Nullable::Present(75083604));
    assert_eq!(r.org_id.get(), Some(&100458));
    assert_eq!(r.entity_type.as_deref(), Some("CUSTOMER"));
    assert_eq!(r.entity_id.get(), Some(&98662653));
    assert_eq!(r.created_on.get().unwrap().utc_ms, Some(1700733054030));
    assert_eq!(r.when(), Some(1700733053872));
    assert_eq!(
        r.request_id.as_deref(),
        Some("25b7780ed479ce80cd95326bcd2a3d91")
    );
    assert_eq!(r.till, Nullable::Null);
    assert_eq!(r.victim, Nullable::Null);
    assert_eq!(r.source.as_deref(), Some("INSTORE"));
    assert_eq!(r.updated_by_mode.as_deref(), Some("API"));
    assert!(r.extras.is_empty());
    let e = &r.events()[0];
    assert_eq!(e.kind(), EventKind::Identifier);
    assert_eq!(e.event_type.as_deref(), Some("Identifiers"));
    assert_eq!(e.updated_field.as_deref(), Some("cardnumber"));
    let c = e.change();
    assert_eq!(c.previous, None, "\"NA\" means no previous value");
    assert_eq!(c.current.as_deref(), Some("DIWALI000000001620232"));
    assert_eq!(e.associate_entities, Nullable::Null);
    // UUID-shaped request ids are kept as they are.
    assert_eq!(
        p.records[4].request_id.as_deref(),
        Some("4bfddb9d-8f0f-4535-8c9e-d72a1922a2f2")
    );
    // The mobile chain, oldest first.
    let mut mobiles: Vec<_> = p
        .records
        .iter()
        .flat_map(|r| r.events().iter().map(move |e| (r.when().unwrap(), e)))
        .filter(|(_, e)| e.updated_field.as_deref() == Some("mobile"))
        .map(|(t, e)| (t, e.change()))
        .collect();
    mobiles.sort_by_key(|(t, _)| *t);
    let chain: Vec<_> = mobiles
        .iter()
        .map(|(_, c)| {
            (
                c.previous.as_deref().unwrap().to_owned(),
                c.current.as_deref().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        chain,
        [
            ("9345644382".to_owned(), "9353995291".to_owned()),
            ("9353995291".into(), "9988776655".into()),
            ("9988776655".into(), "9986000581".into()),
        ]
    );
}

#[test]
fn card_status_with_label_ids_and_first_status() {
    let p = parsed("audit-current-card-648089-card-status.json");
    assert_eq!(p.shape, ResponseShape::CurrentAudits);
    assert_eq!(p.records.len(), 2);
    let r = &p.records[0];
    assert_eq!(r.entity_type.as_deref(), Some("CARD"));
    assert_eq!(r.entity_id.get(), Some(&648089));
    assert_eq!(r.source, Nullable::Null);
    let e = &r.events()[0];
    assert_eq!(e.kind(), EventKind::CardStatus);
    let c = e.change();
    assert_eq!(c.previous.as_deref(), Some("NOT_ISSUED"));
    assert_eq!(c.current.as_deref(), Some("ACTIVE"));
    assert_eq!(c.previous_label_id.as_deref(), Some("26"));
    assert_eq!(c.current_label_id.as_deref(), Some("15"));
    assert!(!c.is_label_change());
    let assoc = e.associate_entities.get().unwrap();
    assert_eq!(assoc[0].text("entityType").as_deref(), Some("CUSTOMER"));
    assert_eq!(assoc[0].int("entityId"), Some(98662653));
    // First status: only labelId/value.
    let first = p.records[1].events()[0].change();
    assert_eq!(first.previous, None);
    assert_eq!(first.current.as_deref(), Some("NOT_ISSUED"));
    assert_eq!(first.current_label_id.as_deref(), Some("26"));
    let assoc = p.records[1].events()[0].associate_entities.get().unwrap();
    assert_eq!(assoc[0].get("entityType"), Some(&serde_json::Value::Null));
    assert_eq!(assoc[0].int("entityId"), None);
}

#[test]
fn page0_subscription_user_context_and_label_change() {
    let p = parsed("audit-current-customer-98662653-page0-of-52.json");
    // numberOfElements says 10, the example carries 7.
    assert_eq!(p.records.len(), 7);
    assert_eq!(p.pagination.as_ref().unwrap().number_of_elements, Some(10));
    assert_eq!(p.pagination.as_ref().unwrap().total_elements, Some(52));
    let r = &p.records[0];
    let uc = r.user_context.get().unwrap();
    assert_eq!(uc.text("entityType").as_deref(), Some("INTOUCH_ADMIN_USER"));
    assert_eq!(
        uc.text("entitySourceId").as_deref(),
        Some("Achyuthanandan S")
    );
    assert_eq!(r.updated_by_mode.as_deref(), Some("MEMBER_CARE"));
    let c = r.events()[0].change();
    assert!(c.is_label_change(), "ACTIVE 54 -> ACTIVE 55");
    assert_eq!(r.events()[0].kind(), EventKind::CustomerStatus);
    // updatedBy -1 and a record with two subscription events.
    let sub = &p.records[3];
    assert_eq!(sub.updated_by.get(), Some(&-1));
    assert_eq!(sub.events().len(), 2);
    let s = sub.events()[0].subscription().unwrap();
    assert_eq!(s.channel_type.as_deref(), Some("ANDROID"));
    assert_eq!(s.priority.as_deref(), Some("BULK"));
    assert_eq!(s.org_source.as_deref(), Some("WEB_ENGAGE"));
    assert_eq!(s.org_source_id.as_deref(), Some("399"));
    assert_eq!(s.ou_id.as_deref(), Some("-1"));
    assert_eq!(s.channel_id.as_deref(), Some("5"));
    assert_eq!(
        sub.events()[0].field_key(),
        "SubscriptionStatus (ANDROID, BULK, WEB_ENGAGE)"
    );
    assert_eq!(sub.events()[0].change().previous, None);
    assert_eq!(sub.events()[0].change().current.as_deref(), Some("OPTIN"));
    // All-null user context.
    let uc = p.records[4].user_context.get().unwrap();
    assert_eq!(uc.text("entityType"), None);
    assert_eq!(uc.iter().count(), 4);
    // Communication Channels with long tokens.
    let e = &p.records[6].events()[0];
    assert_eq!(e.kind(), EventKind::CommChannel);
    assert!(e
        .change()
        .current
        .unwrap()
        .starts_with("dsjHnA-CjUqtj_UxKTLuXT:APA91b"));
}

#[test]
fn lowercase_source_and_standard_field() {
    let p = parsed("audit-current-customer-98662653-standard-field-lastname.json");
    let r = &p.records[0];
    assert_eq!(r.source.as_deref(), Some("instore"));
    let e = &r.events()[0];
    assert_eq!(e.kind(), EventKind::StandardField);
    assert_eq!(e.change().previous.as_deref(), Some("V"));
    assert_eq!(e.change().current.as_deref(), Some("Vatsal"));
}

#[test]
fn legacy_generation_reads_into_the_same_model() {
    let p = parsed("audit-legacy-customer-98662653.json");
    assert_eq!(p.shape, ResponseShape::LegacyAudits);
    assert_eq!(p.records.len(), 10);
    assert_eq!(p.success, Some(true));
    assert!(p.api_errors.is_empty() && p.warnings.is_empty());
    let r = &p.records[0];
    let t = r.created_on.get().unwrap();
    assert_eq!(t.raw, TimeRaw::Text("2023-10-27T06:14:41Z".into()));
    assert_eq!(t.utc_ms, Some(1698387281000));
    let till = r.till.get().unwrap();
    assert_eq!(till.text("code").as_deref(), Some("aldo.till.1"));
    let store = r.store.get().unwrap();
    assert_eq!(store.text("name").as_deref(), Some("ALDO Store"));
    assert_eq!(store.text("externalId").as_deref(), Some("aldo"));
    assert_eq!(store.text("externalId1").as_deref(), Some(""));
    assert!(
        r.user_context.get().unwrap().is_empty(),
        "legacy sends {{}}"
    );
    assert_eq!(r.victim, Nullable::Absent, "legacy omits merge keys");
    assert_eq!(r.events()[0].kind(), EventKind::CommChannel);
    assert_eq!(r.events()[0].event_type.as_deref(), Some("CommChannel"));
    assert_eq!(r.events()[0].associate_entities, Nullable::Absent);
    // The record without a till/user name: keys missing, not null.
    let r5 = &p.records[5];
    assert_eq!(r5.updated_by_user, Nullable::Absent);
    assert_eq!(r5.till, Nullable::Absent);
    assert_eq!(r5.events()[0].kind(), EventKind::Identifier);
    assert_eq!(
        r5.events()[0].change().previous.as_deref(),
        Some("9988776655")
    );
}

#[test]
fn customer_status_log() {
    let p = parsed("customer-status-log-564590100.json");
    assert_eq!(p.shape, ResponseShape::StatusLog(StatusLogKind::Customer));
    assert_eq!(p.status_entries.len(), 1);
    let e = &p.status_entries[0];
    assert_eq!(e.created_by_user.as_deref(), Some("1736163234_"));
    assert_eq!(e.reason.as_deref(), Some("This is the active customer"));
    assert_eq!(e.created_by.get(), Some(&75155291));
    assert_eq!(e.actions.get(), Some(&serde_json::json!([])));
    assert_eq!(
        e.auto_update_time.get().unwrap().utc_ms,
        Some(1738195200000)
    );
    assert_eq!(e.created_on.get().unwrap().utc_ms, Some(1738228626000));
    assert_eq!(e.entity_id.get(), Some(&564590100));
    assert_eq!(e.is_active.get(), Some(&true));
    assert_eq!(e.label.as_deref(), Some("Active"));
    assert_eq!(e.status.as_deref(), Some("ACTIVE"));
    assert!(e.extras.is_empty(), "{:?}", e.extras);
    let forced = parse_status_log(
        &seed("customer-status-log-564590100.json"),
        StatusLogKind::Card,
    );
    assert_eq!(forced.shape, ResponseShape::StatusLog(StatusLogKind::Card));
}

#[test]
fn damaged_merge_page_keeps_the_intact_record() {
    let bytes = seed("audit-merge-134094571-damaged.json");
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
    let p = parse_checked(&bytes);
    assert_eq!(p.shape, ResponseShape::CurrentAudits);
    assert_eq!(p.records.len(), 1);
    let r = &p.records[0];
    assert_eq!(
        r.request_id.as_deref(),
        Some("c2ba063e12bbbe2b4bfca322ed6f09d8")
    );
    assert_eq!(
        r.events()[0].change().current.as_deref(),
        Some("ESL000000000110")
    );
    assert_eq!(p.damaged.len(), 1);
    let d = &p.damaged[0];
    // The first record starts at the first `{` after `"data": [`.
    let first = bytes
        .windows(1)
        .enumerate()
        .skip(10)
        .find(|(_, w)| w[0] == b'{')
        .unwrap()
        .0;
    assert_eq!(d.offset, first);
    assert_eq!(&bytes[d.offset..d.offset + 1], b"{");
    assert_eq!(
        bytes[d.offset + d.len - 1],
        b'}',
        "span ends at the damaged record's brace"
    );
    let text = std::str::from_utf8(&bytes[d.offset..d.offset + d.len]).unwrap();
    assert!(text.contains("7aeb16bd25b0412c4f86a5863255d74f"));
    assert!(!text.contains("c2ba063e"));
    // The reader stopped at the `"email"` line (missing comma after "GHI").
    assert!(
        bytes[d.error_offset..].starts_with(b"\"email\""),
        "{}",
        d.reason
    );
    assert!(d.reason.contains("line"), "{}", d.reason);
    // Pagination after the damage is still read.
    assert_eq!(p.pagination.as_ref().unwrap().total_elements, Some(2));
}
