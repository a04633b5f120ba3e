//! Derived views and exports over the seeds.

mod common;

use audit_core::export::{neutralise, to_csv, to_ndjson, CSV_COLUMNS};
use audit_core::{
    change_sets, density, field_history, merges, parse_response, state_as_of, status_timeline,
    time_span, value_diff, DiffOp, Query, Store,
};
use common::{parsed, seed};

fn customer_store() -> Store {
    let mut s = Store::new();
    for n in [
        "audit-current-customer-98662653-identifiers.json",
        "audit-current-card-648089-card-status.json",
        "audit-current-customer-98662653-page0-of-52.json",
        "audit-current-customer-98662653-customer-status.json",
    ] {
        s.ingest(parsed(n));
    }
    s
}

fn all(s: &Store) -> Vec<u32> {
    (0..s.len() as u32).collect()
}

#[test]
fn change_sets_group_by_request() {
    let s = customer_store();
    let sets = change_sets(&s, &all(&s));
    // 91a3cfc4… touched the customer's card number and the card's status twice.
    let set = sets
        .iter()
        .find(|c| c.request_id.as_deref() == Some("91a3cfc4b2bbcb9426bbfb51966b6549"))
        .unwrap();
    assert_eq!(set.events.len(), 3);
    assert_eq!(
        set.entities,
        vec![
            ("CARD".to_owned(), Some(648089)),
            ("CUSTOMER".to_owned(), Some(98662653))
        ]
    );
    assert_eq!(
        (set.first, set.last),
        (Some(1687954899980), Some(1687954900305))
    );
    let sub = sets
        .iter()
        .find(|c| c.request_id.as_deref() == Some("6ea830a9020f6a2b6eb587094cac0a98"))
        .unwrap();
    assert_eq!(sub.events.len(), 2);
    assert!(sets.windows(2).all(|w| w[0].first <= w[1].first));
}

#[test]
fn field_history_and_state_as_of() {
    let s = customer_store();
    let hist = field_history(&s, &all(&s));
    let mobile = hist.iter().find(|h| h.field == "mobile").unwrap();
    let values: Vec<_> = mobile
        .entries
        .iter()
        .map(|e| e.current.as_deref().unwrap())
        .collect();
    assert_eq!(values, ["9353995291", "9988776655", "9986000581"]);
    assert_eq!(mobile.entries[0].previous.as_deref(), Some("9345644382"));
    assert_eq!(mobile.entries[0].who, "#75083604");
    assert_eq!(mobile.entries[0].mode.as_deref(), Some("API"));
    assert_eq!(mobile.entries[0].source.as_deref(), Some("INSTORE"));
    assert!(mobile.entries.iter().all(|e| !e.discontinuity));
    let status = hist.iter().find(|h| h.field == "CustomerStatus").unwrap();
    assert_eq!(status.entries.len(), 3);
    assert!(status.entries.iter().all(|e| e.label_change));
    let labels: Vec<_> = status
        .entries
        .iter()
        .map(|e| e.current_label_id.as_deref().unwrap())
        .collect();
    assert_eq!(labels, ["53", "54", "55"]);
    let card = hist.iter().find(|h| h.field == "CardStatus").unwrap();
    assert_eq!(card.entity_type.as_deref(), Some("CARD"));
    assert_eq!(card.entries[1].previous.as_deref(), Some("NOT_ISSUED"));
    // Subscriptions get one history per channel/priority/source.
    let subs: Vec<_> = hist
        .iter()
        .filter(|h| h.field.starts_with("SubscriptionStatus"))
        .map(|h| h.field.as_str())
        .collect();
    assert_eq!(subs.len(), 4, "{subs:?}");

    // Between the 2nd and 3rd mobile change (2023-07-13 .. 2023-09-28).
    let state = state_as_of(&s, &all(&s), audit_core::parse_time("2023-08-01").unwrap());
    let get = |f: &str| {
        state
            .iter()
            .find(|x| x.field == f)
            .and_then(|x| x.value.clone())
    };
    assert_eq!(get("mobile").as_deref(), Some("9988776655"));
    assert_eq!(get("email").as_deref(), Some("[email\u{a0}protected]"));
    assert_eq!(get("CardStatus").as_deref(), Some("ACTIVE"));
    let cs = state.iter().find(|x| x.field == "CustomerStatus").unwrap();
    assert_eq!(
        (cs.value.as_deref(), cs.label_id.as_deref()),
        (Some("ACTIVE"), Some("53"))
    );
    assert_eq!(
        get("ios"),
        None,
        "no push token known before December 2023 in these pages"
    );
    // Before anything happened: nothing known.
    assert!(state_as_of(&s, &all(&s), 0).is_empty());
}

#[test]
fn status_timeline_periods() {
    let body = br#"{"data": [
      {"createdByUser": "agent", "reason": "fraud check", "createdBy": 9, "createdOn": "2024-03-01T00:00:00+05:30", "autoUpdateTime": "2024-02-29", "entityId": 1, "isActive": true, "label": "On hold", "status": "SUSPENDED"},
      {"createdByUser": "1736163234_", "reason": "This is the active customer", "createdBy": 75155291, "createdOn": "2024-02-01T00:00:00Z", "autoUpdateTime": "2024-02-01", "entityId": 1, "isActive": false, "label": "Active", "status": "ACTIVE"}
    ], "warnings": [], "errors": []}"#;
    let p = parse_response(body);
    let periods = status_timeline(
        &p.status_entries,
        Some(audit_core::parse_time("2024-03-10T00:00:00Z").unwrap()),
    );
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0].status.as_deref(), Some("ACTIVE"));
    assert_eq!(periods[0].start, audit_core::parse_time("2024-02-01"));
    assert_eq!(
        periods[0].end,
        audit_core::parse_time("2024-02-29T18:30:00Z")
    );
    assert_eq!(
        periods[0].duration_ms,
        Some((28 * 24 + 18) * 3_600_000 + 30 * 60_000)
    );
    assert!(!periods[0].is_current);
    assert_eq!(periods[1].label.as_deref(), Some("On hold"));
    assert_eq!(periods[1].reason.as_deref(), Some("fraud check"));
    assert_eq!(periods[1].who.as_deref(), Some("agent"));
    assert!(periods[1].is_current);
    assert_eq!(periods[1].end, None);
    assert_eq!(
        periods[1].duration_ms,
        Some(9 * 86_400_000 + 5 * 3_600_000 + 30 * 60_000)
    );
    // The seed's single entry is current and open-ended.
    let seed_periods = status_timeline(
        &parsed("customer-status-log-564590100.json").status_entries,
        None,
    );
    assert_eq!(seed_periods.len(), 1);
    assert!(seed_periods[0].is_current);
    assert_eq!(seed_periods[0].duration_ms, None);
}

#[test]
fn merges_side_by_side_from_a_repaired_record() {
    // The seed's merge record is damaged; the same record with the commas and
    // the quote repaired shows the side-by-side view.
    let text = String::from_utf8(seed("audit-merge-134094571-damaged.json")).unwrap();
    let fixed = text
        .replace(
            "\"lastName\": \"GHI\"\n\"email\"",
            "\"lastName\": \"GHI\",\n\"email\"",
        )
        .replace(
            "externalId\"}\n            \"survivorUserDetails\"",
            "externalId\"},\n            \"survivorUserDetails\"",
        )
        .replace('\u{201c}', "\"");
    let p = parse_response(fixed.as_bytes());
    assert!(p.damaged.is_empty(), "{:?}", p.damaged);
    let mut s = Store::new();
    s.ingest(p);
    let m = merges(&s, &all(&s));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].entity_id, Some(134094571));
    let row = |k: &str| m[0].rows.iter().find(|r| r.0 == k).cloned().unwrap();
    assert_eq!(
        row("mobile"),
        (
            "mobile".into(),
            Some("917288599612".into()),
            Some("917288599611".into())
        )
    );
    assert_eq!(row("firstName").1.as_deref(), Some("JAK"));
    assert_eq!(m[0].rows[0].0, "firstName");
    assert_eq!(
        s.event(m[0].event)
            .victim()
            .unwrap()
            .text("externalId")
            .as_deref(),
        Some("917288599612externalId")
    );
}

#[test]
fn value_diff_of_push_tokens() {
    let old = "fCyvtyp0MkXjl_Rv4XUZ2F:APA91bGR32O5Bia8L15AM";
    let new = "fCyvtyp0MkXjl_Rv4XUZ2F:APA91bEEwLV3Z4kartBUX";
    let d = value_diff(old, new);
    assert_eq!(d[0].op, DiffOp::Same);
    assert_eq!(d[0].text, "fCyvtyp0MkXjl_Rv4XUZ2F:APA91b");
    let rebuilt_old: String = d
        .iter()
        .filter(|s| s.op != DiffOp::Added)
        .map(|s| s.text.as_str())
        .collect();
    let rebuilt_new: String = d
        .iter()
        .filter(|s| s.op != DiffOp::Removed)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!((rebuilt_old.as_str(), rebuilt_new.as_str()), (old, new));
    assert!(d.iter().any(|s| s.op == DiffOp::Removed) && d.iter().any(|s| s.op == DiffOp::Added));
    assert_eq!(value_diff("same", "same").len(), 1);
}

/// Pseudo-random text over one alphabet: two such strings share no long runs,
/// the worst case for a diff (xorshift, so the test needs no dependency).
fn scrambled(seed: u64, chars: usize, alphabet: &[char]) -> String {
    let mut x = seed | 1;
    (0..chars)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize]
        })
        .collect()
}

/// Runs `f` on another thread and fails the test when it takes longer than
/// `limit` (a diff that freezes the detail view would run for many minutes).
fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("took longer than {limit:?}"))
}

fn spans(d: &[audit_core::DiffSpan]) -> Vec<(DiffOp, usize)> {
    d.iter().map(|s| (s.op, s.text.chars().count())).collect()
}

#[test]
fn value_diff_of_wholly_different_megabyte_values_is_bounded() {
    let hex: Vec<char> = "0123456789abcdef".chars().collect();
    let (old, new) = (scrambled(1, 1 << 20, &hex), scrambled(2, 1 << 20, &hex));
    let d = within(std::time::Duration::from_secs(20), move || {
        value_diff(&old, &new)
    });
    // No common prefix or suffix worth showing: all of one removed, all of the other added.
    let total: usize = d.iter().map(|s| s.text.chars().count()).sum();
    assert_eq!(total, 2 << 20);
    assert!(d.len() <= 4, "{:?}", spans(&d));
    assert!(d
        .iter()
        .any(|s| s.op == DiffOp::Removed && s.text.len() > 1 << 19));
}

#[test]
fn value_diff_of_long_values_marks_exactly_the_changed_middle() {
    let script: Vec<char> = "राम தமிழ் é👩\u{200d}💻".chars().collect();
    let prefix = scrambled(3, 300_000, &script);
    let suffix = scrambled(4, 300_000, &script);
    let hex: Vec<char> = "0123456789abcdef".chars().collect();
    // Middles over one alphabet (a diff could interleave them), and with
    // different first and last characters, so the shared part ends exactly there.
    let mid_old = format!("0{}0", scrambled(5, 50_000, &hex));
    let mid_new = format!("1{}1", scrambled(6, 70_000, &hex));
    let old = format!("{prefix}{mid_old}{suffix}");
    let new = format!("{prefix}{mid_new}{suffix}");
    let d = within(std::time::Duration::from_secs(20), move || {
        value_diff(&old, &new)
    });
    let texts: Vec<(DiffOp, &str)> = d.iter().map(|s| (s.op, s.text.as_str())).collect();
    assert_eq!(
        texts,
        [
            (DiffOp::Same, prefix.as_str()),
            (DiffOp::Removed, mid_old.as_str()),
            (DiffOp::Added, mid_new.as_str()),
            (DiffOp::Same, suffix.as_str())
        ]
    );
    // A small change inside long values is still diffed character by character.
    let old = format!("{prefix}ab{suffix}");
    let new = format!("{prefix}axb{suffix}");
    let d = within(std::time::Duration::from_secs(20), move || {
        value_diff(&old, &new)
    });
    assert_eq!(
        spans(&d),
        [
            (DiffOp::Same, 300_001),
            (DiffOp::Added, 1),
            (DiffOp::Same, 300_001)
        ]
    );
}

#[test]
fn csv_export_states_filter_and_neutralises_formulas() {
    let mut s = Store::new();
    s.ingest(parse_response(br#"{"data": [
        {"requestId": "=HYPERLINK(\"x\")", "updatedBy": -1, "autoUpdateTime": 1700000000000, "source": "@evil",
         "events": [{"eventType": "Standard Fields", "updatedField": "+name", "additionalFields": {"previousValue": "\tx", "currentValue": "\rok,\"quoted\""}}]},
        {"requestId": "plain", "autoUpdateTime": 1700000001000, "events": [{"eventType": "Identifiers", "updatedField": "mobile", "additionalFields": {"previousValue": "NA", "currentValue": "123"}}]}
    ], "pagination": {"totalElements": 2}}"#));
    let q = "-field:mobile";
    let res = s.query(&Query::parse(q).unwrap(), 0);
    let out = to_csv(&s, &res.events, q);
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(
        &rows[0][0],
        "audit-explorer export; filter: \"-field:mobile\"; 1 of 2 events; 1 records"
    );
    assert_eq!(rows[1].iter().collect::<Vec<_>>(), CSV_COLUMNS);
    assert_eq!(rows.len(), 3, "exactly the result");
    let row = &rows[2];
    let col = |name: &str| row[CSV_COLUMNS.iter().position(|c| *c == name).unwrap()].to_owned();
    assert_eq!(col("time_utc"), "2023-11-14T22:13:20.000Z");
    assert_eq!(col("request_id"), "'=HYPERLINK(\"x\")");
    assert_eq!(col("field"), "'+name");
    assert_eq!(col("previous"), "'\tx");
    assert_eq!(col("current"), "'\rok,\"quoted\"");
    assert_eq!(col("source"), "'@evil");
    assert_eq!(col("updated_by"), "'-1");
    assert_eq!(col("type"), "Standard Field");
    assert_eq!(neutralise("safe"), "safe");
}

#[test]
fn ndjson_export_keeps_raw_records() {
    let s = customer_store();
    let q = "request:91a3cfc4";
    let res = s.query(&Query::parse(q).unwrap(), 0);
    let out = to_ndjson(&s, &res.events, q);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["filter"], q);
    assert_eq!(lines[0]["events"], 3);
    assert_eq!(lines[0]["records"], 3);
    assert_eq!(lines[0]["total_events"], s.len());
    assert_eq!(lines.len(), 4);
    // Each line equals the record as it appeared in the response.
    let originals: Vec<serde_json::Value> = [
        "audit-current-customer-98662653-identifiers.json",
        "audit-current-card-648089-card-status.json",
    ]
    .iter()
    .flat_map(|n| {
        let v: serde_json::Value = serde_json::from_slice(&seed(n)).unwrap();
        v["data"].as_array().unwrap().clone()
    })
    .collect();
    for line in &lines[1..] {
        assert!(originals.contains(line), "{line}");
    }
}

#[test]
fn density_counts_the_result_over_the_whole_stores_span() {
    let s = customer_store();
    assert_eq!(time_span(&Store::new()), None);
    let (lo, hi) = time_span(&s).unwrap();
    let times: Vec<i64> = s.events().filter_map(|e| e.time()).collect();
    assert_eq!(lo, *times.iter().min().unwrap());
    assert_eq!(hi, *times.iter().max().unwrap());

    // Every timed event lands in exactly one bin; the earliest in the first, the latest in the last.
    let every = all(&s);
    let bins = density(&s, &every, (lo, hi), 12);
    assert_eq!(bins.len(), 12);
    assert_eq!(bins.iter().sum::<usize>(), times.len());
    assert!(bins[0] > 0 && bins[11] > 0);

    // A narrower result keeps the axis: its bins are each at most the whole store's.
    let mobile: Vec<u32> = every
        .iter()
        .copied()
        .filter(|&id| s.event(id).field() == Some("mobile"))
        .collect();
    assert!(!mobile.is_empty() && mobile.len() < every.len());
    let part = density(&s, &mobile, (lo, hi), 12);
    assert_eq!(part.iter().sum::<usize>(), mobile.len());
    assert!(part.iter().zip(&bins).all(|(p, b)| p <= b));

    // Degenerate inputs: no bins, a one-instant span, times outside the span (clamped).
    assert!(density(&s, &every, (lo, hi), 0).is_empty());
    let one = density(&s, &every, (lo, lo + 1), 3);
    assert_eq!(one.iter().sum::<usize>(), times.len());
}

#[test]
fn formulas_behind_whitespace_and_full_width_formulas_are_neutralised() {
    for cell in [
        " =1+1",
        "\u{a0}\u{3000}@SUM(A1)",
        "\n+1",
        "\t",
        "\rx",
        "＝1+1",
        "＋1",
        "－1",
        "＠x",
        "  ＝HYPERLINK(\"x\")",
    ] {
        let out = neutralise(cell);
        assert_eq!(out, format!("'{cell}"), "{cell:?}");
        assert_eq!(audit_core::export::unneutralise(&out), cell);
    }
    // An apostrophe the data itself starts with stays apart from the added one.
    assert_eq!(neutralise("'=1"), "''=1");
    assert_eq!(neutralise("'plain"), "'plain");
    assert_eq!(audit_core::export::unneutralise("'plain"), "'plain");
}
