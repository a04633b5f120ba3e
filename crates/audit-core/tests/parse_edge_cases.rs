//! Shapes and inputs beyond the seeds: error envelopes, card status logs, time
//! spellings, unknown members, wrong types, damage of several kinds.

mod common;

use audit_core::{
    format_at_offset, format_utc, parse_time, EventKind, Nullable, ResponseShape, StatusLogKind,
};
use common::{parse_checked, pathological, seed, seed_dir};
use serde_json::{json, Value};

#[test]
fn records_reserialise_to_what_came_in() {
    for entry in std::fs::read_dir(seed_dir()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(original) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        let p = parse_checked(&bytes);
        let list = original
            .get("data")
            .or_else(|| original.get("entity"))
            .and_then(Value::as_array)
            .unwrap();
        let back: Vec<Value> = if p.records.is_empty() {
            p.status_entries
                .iter()
                .map(|e| serde_json::to_value(e).unwrap())
                .collect()
        } else {
            p.records
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect()
        };
        assert_eq!(&back, list, "{}", path.display());
    }
}

#[test]
fn error_envelope() {
    let body = br#"{"warnings": [], "errors": [{"status": false, "code": 8015, "message": "Customer not found for the given identifiers"}]}"#;
    let p = parse_checked(body);
    assert_eq!(p.shape, ResponseShape::ErrorEnvelope);
    assert_eq!(p.api_errors.len(), 1);
    assert_eq!(p.api_errors[0].code, Some(8015));
    assert_eq!(p.api_errors[0].status, Some(false));
    assert_eq!(
        p.api_errors[0].message.as_deref(),
        Some("Customer not found for the given identifiers")
    );
    let p = parse_checked(
        br#"{"data": [], "errors": [{"code": "3010", "message": "card number does not exist"}]}"#,
    );
    assert_eq!(p.shape, ResponseShape::ErrorEnvelope);
    assert_eq!(p.api_errors[0].code, Some(3010));
}

#[test]
fn card_status_log_detected_by_card_statuses() {
    let body = br#"{"data": [
        {"createdByUser": "system", "reason": "issued", "createdBy": 0, "actions": [],
         "autoUpdateTime": "2024-01-02", "createdOn": "2024-01-02T10:00:00+05:30",
         "entityId": 648089, "isActive": false, "label": "Not issued", "status": "NOT_ISSUED"},
        {"createdByUser": "till1", "reason": "activated", "createdBy": 75, "actions": ["SUSPEND"],
         "autoUpdateTime": "2024-02-03", "createdOn": "2024-02-03T00:00:00Z", "autoUpdateTimeISO": "2024-02-03T00:00:01Z",
         "entityId": 648089, "isActive": true, "label": "Active", "status": "ACTIVE", "cardNumber": "X1"}
    ], "warnings": [], "errors": []}"#;
    let p = parse_checked(body);
    assert_eq!(p.shape, ResponseShape::StatusLog(StatusLogKind::Card));
    assert_eq!(p.status_entries.len(), 2);
    assert_eq!(p.status_entries[0].created_by.get(), Some(&0));
    assert_eq!(
        p.status_entries[0].start(),
        Some(1704169800000),
        "+05:30 offset applied"
    );
    assert_eq!(
        p.status_entries[1]
            .auto_update_time_iso
            .get()
            .unwrap()
            .utc_ms,
        Some(1706918401000)
    );
    assert_eq!(
        p.status_entries[1].extras,
        vec![("cardNumber".to_owned(), json!("X1"))]
    );
}

#[test]
fn unrecognised_inputs_say_why() {
    let cases: [(&[u8], &str); 7] = [
        (b"", "not valid JSON"),
        (b"[1,2]", "an array"),
        (b"null", "null"),
        (b"\"hi\"", "a string"),
        (
            br#"{"data": {"accessToken": "x", "ttlSeconds": 300}, "errors": null}"#,
            "`data` is an object",
        ),
        (br#"{"foo": 1}"#, "no `data`"),
        (b"<html>502 Bad Gateway</html>", "not valid JSON"),
    ];
    for (input, why) in cases {
        match parse_checked(input).shape {
            ResponseShape::Unrecognised { reason } => {
                assert!(reason.contains(why), "{reason:?} vs {why:?}")
            }
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(input)),
        }
    }
}

#[test]
fn unknown_members_and_wrong_types_are_kept() {
    let body = br#"{"data": [{"requestId": "r1", "updatedBy": "not-a-number", "brandNew": {"a": 1},
        "autoUpdateTime": 1700000000000,
        "events": [{"eventType": "Card Extended Field", "updatedField": "tier", "mystery": true,
                    "additionalFields": {"previousValue": null, "currentValue": "GOLD", "currentValueId": 7}}]}],
        "pagination": {"totalElements": 1, "number": 0, "extraPg": "x"}, "traceId": "t-1"}"#;
    let p = parse_checked(body);
    assert_eq!(p.shape, ResponseShape::CurrentAudits);
    let r = &p.records[0];
    assert_eq!(r.updated_by, Nullable::Absent);
    assert_eq!(
        r.extras,
        vec![
            ("updatedBy".to_owned(), json!("not-a-number")),
            ("brandNew".to_owned(), json!({"a": 1}))
        ]
    );
    let e = &r.events()[0];
    assert_eq!(e.kind(), EventKind::CardExtendedField);
    assert_eq!(e.extras, vec![("mystery".to_owned(), json!(true))]);
    assert_eq!(e.change().previous, None);
    assert_eq!(
        e.additional_fields.get().unwrap().int("currentValueId"),
        Some(7)
    );
    assert_eq!(p.extras, vec![("traceId".to_owned(), json!("t-1"))]);
    assert_eq!(
        p.pagination.unwrap().raw.text("extraPg").as_deref(),
        Some("x")
    );
    // Reserialising puts the odd members back.
    let v = serde_json::to_value(r).unwrap();
    assert_eq!(v["updatedBy"], json!("not-a-number"));
    assert_eq!(v["brandNew"], json!({"a": 1}));
}

#[test]
fn event_kind_spellings() {
    use EventKind::*;
    for (label, kind) in [
        ("Identifiers", Identifier),
        ("Identifier", Identifier),
        ("Communication Channels", CommChannel),
        ("CommChannel", CommChannel),
        ("Customer Status", CustomerStatus),
        ("CustomerStatus", CustomerStatus),
        ("Card Status", CardStatus),
        ("Subscription Status", SubscriptionStatus),
        ("Standard Fields", StandardField),
        ("StandardField", StandardField),
        ("ExtendedField", ExtendedField),
        ("Custom Fields", CustomField),
        ("CustomerMerge", CustomerMerge),
        ("CARD_CUSTOM_FIELD", CardCustomField),
        ("CardExtendedField", CardExtendedField),
        ("Loyalty Points", Other),
    ] {
        assert_eq!(EventKind::from_label(label), kind, "{label}");
    }
}

#[test]
fn time_formats() {
    assert_eq!(parse_time("2023-10-27T06:14:41Z"), Some(1698387281000));
    assert_eq!(parse_time("2025-01-30T09:17:06+05:30"), Some(1738208826000));
    assert_eq!(parse_time("2025-01-30T09:17:06-0200"), Some(1738235826000));
    assert_eq!(parse_time("2025-01-30T09:17:06.250Z"), Some(1738228626250));
    assert_eq!(parse_time("2025-01-30"), Some(1738195200000));
    assert_eq!(parse_time("2022-08-18 12:00:00"), Some(1660824000000));
    assert_eq!(parse_time("1700733054030"), Some(1700733054030));
    assert_eq!(parse_time("2024-02-29"), Some(1709164800000));
    for bad in [
        "",
        "2023-02-29",
        "2023-13-01",
        "2023-10-27T25:00:00Z",
        "27/10/2023",
        "2023-10-27T06:14:41+5",
        "yesterday",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
    assert_eq!(format_utc(1698387281000), "2023-10-27 06:14:41");
    assert_eq!(format_at_offset(1698387281000, 330), "2023-10-27 11:44:41");
    assert_eq!(format_at_offset(0, -60), "1969-12-31 23:00:00");
    // Epoch numbers and ISO strings of the same instant agree.
    let cur = parse_checked(&seed("audit-current-customer-98662653-identifiers.json"));
    let legacy = parse_checked(&seed("audit-legacy-customer-98662653.json"));
    let a = cur.records[1].created_on.get().unwrap().utc_ms.unwrap();
    let b = legacy.records[5].created_on.get().unwrap().utc_ms.unwrap();
    assert_eq!(
        a / 1000,
        b / 1000,
        "same request 2b47b859… in both generations"
    );
}

#[test]
fn truncated_page_keeps_complete_records() {
    let bytes = seed("audit-current-customer-98662653-identifiers.json");
    let needle = b"\"requestId\": \"a272b65e";
    let cut = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let p = parse_checked(&bytes[..cut]);
    assert_eq!(p.shape, ResponseShape::CurrentAudits);
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.damaged.len(), 1);
    assert!(p.damaged[0].offset < cut);
}

#[test]
fn damage_in_the_middle_and_stray_elements() {
    let body = br#"{"data": [
  {"requestId": "a", "events": []},
  {"requestId": "b" "events": []},
  42,
  {"requestId": "c", "events": [{"eventType": "Identifiers"}, {"eventType": "Identifiers"}]}
], "pagination": {"totalElements": 4}}"#;
    let p = parse_checked(body);
    let ids: Vec<_> = p
        .records
        .iter()
        .map(|r| r.request_id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, ["a", "c"]);
    // Everything between the last intact record and the next one is one span.
    assert_eq!(p.damaged.len(), 1, "{:?}", p.damaged);
    let d = &p.damaged[0];
    assert_eq!(
        &body[d.offset..d.offset + d.len],
        b"{\"requestId\": \"b\" \"events\": []},\n  42"
    );
    assert_eq!(p.pagination.unwrap().total_elements, Some(4));
    // Stray element in otherwise valid JSON also comes with its offset.
    let body = br#"{"data": [{"requestId": "a"}, "oops"], "pagination": {}}"#;
    let p = parse_checked(body);
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.damaged[0].offset, 30);
}

#[test]
fn no_panics_on_prefixes_and_byte_flips_of_every_seed() {
    for entry in std::fs::read_dir(seed_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..bytes.len()).step_by(97) {
            let _ = parse_checked(&bytes[..cut]);
        }
        for at in (0..bytes.len()).step_by(131) {
            let mut b = bytes.clone();
            b[at] = b"{}[],:\"\\x"[at % 9];
            let _ = parse_checked(&b);
        }
    }
}

/// Recovery reads each byte a bounded number of times: on every input that
/// used to make it rescan the rest of the page (a 360 KB page of damaged
/// members took 2 s natively, 25 s in a browser tab, and 1 MB took 21 s), the
/// bytes it reads stay within a fixed multiple of the input at two sizes a
/// factor of ten apart, and the whole run stays far inside a time budget.
#[test]
fn recovery_reads_each_byte_a_bounded_number_of_times() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut ratios = Vec::new();
        for size in [40_000, 400_000] {
            for (name, bytes) in pathological(size) {
                let p = parse_checked(&bytes);
                let ratio = p.recovery_work as f64 / bytes.len() as f64;
                assert!(
                    p.recovery_work <= audit_core::parse::RECOVERY_READS_PER_BYTE * bytes.len(),
                    "{name} ({} bytes): recovery read {ratio:.1} bytes per input byte",
                    bytes.len()
                );
                assert!(p.is_damaged() || name == "commas", "{name}");
                ratios.push((name, size, ratio));
            }
        }
        let _ = tx.send(ratios);
    });
    let ratios = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("recovery of the pathological inputs took over a minute");
    assert_eq!(ratios.len(), 16, "{ratios:?}");
}

#[test]
fn consecutive_damaged_members_are_one_span() {
    let body =
        br#"{"data": !, "pagination": {"totalElements": 1 "x"}, "errors": [], "warnings": !}"#;
    let p = parse_checked(body);
    assert_eq!(p.damaged.len(), 2, "{:?}", p.damaged);
    let text = |d: &audit_core::DamagedSpan| &body[d.offset..d.offset + d.len];
    // From the first damaged member to the intact `errors`, then the last one.
    assert_eq!(
        text(&p.damaged[0]),
        br#""data": !, "pagination": {"totalElements": 1 "x"}"#
    );
    assert!(
        p.damaged[0]
            .reason
            .starts_with("member `data`: expected value"),
        "{}",
        p.damaged[0].reason
    );
    // The last one runs to the end, as no member follows.
    assert_eq!(text(&p.damaged[1]), br#""warnings": !}"#);
    // A page of 100,000 damaged members is still one span, not 100,000.
    let mut big = String::from("{");
    for _ in 0..100_000 {
        big.push_str("\"data\":!,");
    }
    big.push('}');
    assert_eq!(parse_checked(big.as_bytes()).damaged.len(), 1);
}
