//! Page-by-page ingest merges each page into the time order instead of
//! re-sorting the store: whatever order pages arrive in (newest first as the
//! API lists, oldest first, overlapping, with equal times), the store must hold
//! exactly what one page with all the records in arrival order gives.

use audit_core::{parse_response, Parsed, Store};

/// A page of current-API records `(request id, time, events)`.
fn page(records: &[(String, i64, usize)]) -> Parsed {
    let data: Vec<String> = records
        .iter()
        .map(|(rq, t, n)| {
            let events: Vec<String> = (0..*n)
                .map(|k| {
                    format!(
                        r#"{{"eventType":"Identifiers","updatedField":"f{k}","additionalFields":{{"previousValue":"NA","currentValue":"{rq}-{k}"}}}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"entityType":"CUSTOMER","entityId":7,"requestId":"{rq}","autoUpdateTime":{t},"events":[{}]}}"#,
                events.join(",")
            )
        })
        .collect();
    parse_response(format!(r#"{{"data":[{}]}}"#, data.join(",")).as_bytes())
}

/// Every event as (request id, time, field), in store order.
fn rows(s: &Store) -> Vec<(String, i64, String)> {
    s.events()
        .map(|e| {
            (
                e.request_id().unwrap_or_default().to_owned(),
                e.time().unwrap_or_default(),
                e.field().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn check(pages: &[Vec<(String, i64, usize)>]) {
    let mut by_page = Store::new();
    for p in pages {
        by_page.ingest_page("l", page(p));
    }
    let mut all = Store::new();
    all.ingest(page(&pages.concat()));
    let mut bulk = Store::new();
    bulk.ingest_all(pages.iter().map(|p| (String::new(), page(p))));
    assert_eq!(rows(&by_page), rows(&all));
    assert_eq!(rows(&bulk), rows(&all));
    let times: Vec<i64> = rows(&by_page).iter().map(|r| r.1).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time order");
    // Each record still finds its own events (records point at their first row).
    for rid in (0..by_page.record_count() as u32).step_by(7) {
        assert_eq!(by_page.record(rid), all.record(rid), "record {rid}");
    }
}

#[test]
fn pages_in_any_order_give_the_order_of_one_sorted_page() {
    let mut rng = Lcg(42);
    let mut n = 0;
    let mut rec = |t: i64, rng: &mut Lcg| {
        n += 1;
        (format!("r{n}"), t, 1 + rng.below(3) as usize)
    };
    // Newest first (the API's order): each page older than all held.
    // Enough rows for several blocks of the event table (4,096 rows each).
    let newest_first: Vec<Vec<_>> = (0..20)
        .map(|p| {
            (0..200)
                .map(|i| rec(1_000_000 - p * 1000 - i * 5, &mut rng))
                .collect()
        })
        .collect();
    check(&newest_first);
    // Oldest first.
    let oldest_first: Vec<Vec<_>> = newest_first.iter().rev().cloned().collect();
    check(&oldest_first);
    // Random times over a narrow range (many ties, pages overlapping anywhere),
    // mixed with pages entirely before or after everything.
    let mut mixed: Vec<Vec<_>> = Vec::new();
    for p in 0..60 {
        let base = match p % 3 {
            0 => 50_000,
            1 => 10_000 - p * 100,
            _ => 90_000 + p * 100,
        };
        let width = if p % 3 == 0 { 400 } else { 50 };
        mixed.push(
            (0..1 + rng.below(30))
                .map(|_| rec(base + rng.below(width) as i64, &mut rng))
                .collect(),
        );
    }
    check(&mixed);
    // One page landing in the middle of a large store, nearer either end.
    let big: Vec<_> = (0..5000).map(|i| rec(i * 10, &mut rng)).collect();
    check(&[
        big.clone(),
        (0..5000).map(|i| rec(3000 + i, &mut rng)).collect(),
    ]);
    check(&[big, (0..5000).map(|i| rec(44_000 + i, &mut rng)).collect()]);
}

#[test]
fn duplicate_and_empty_pages_change_nothing() {
    let p: Vec<_> = (0..10)
        .map(|i| (format!("q{i}"), 1000 - i * 10, 2))
        .collect();
    let mut s = Store::new();
    s.ingest_page("l", page(&p));
    let before = rows(&s);
    let again = s.ingest_page("l", page(&p));
    assert_eq!(again.records_duplicate, 10);
    assert_eq!(again.events_added, 0);
    s.ingest_page("l", page(&[]));
    assert_eq!(rows(&s), before);
}

#[test]
fn a_bulk_loaded_store_takes_more_pages_at_either_end() {
    // `ingest_all` trims the event table; later pages must still fit before and after.
    let rec = |n: i64| (format!("b{n}"), n * 10, 1 + (n % 3) as usize);
    let bulk: Vec<_> = (1000..6000).map(rec).collect();
    let newer: Vec<_> = (6000..6100).map(rec).collect();
    let older: Vec<_> = (0..100).map(rec).collect();
    let mut s = Store::new();
    s.ingest_all([(String::new(), page(&bulk))]);
    s.ingest_page("l", page(&newer));
    s.ingest_page("l", page(&older));
    let mut all = Store::new();
    all.ingest(page(&[bulk, newer, older].concat()));
    assert_eq!(rows(&s), rows(&all));
}

/// A customer status log of `n` entries, one a day from `first`, as the API sends it, with
/// each entry's `actions` written with its keys in the order `flip` says.
fn status_log(first: usize, n: usize, flip: bool) -> Vec<u8> {
    let entries: Vec<String> = (first..first + n)
        .map(|d| {
            let actions = if flip {
                r#"[{"type":"MAIL","at":1}]"#
            } else {
                r#"[{"at":1,"type":"MAIL"}]"#
            };
            format!(
                r#"{{"createdByUser":"agent {d}","reason":"day {d}","createdBy":7,"actions":{actions},"autoUpdateTime":"2020-01-01","createdOn":"{}","entityId":42,"isActive":true,"label":"L{}","status":"{}"}}"#,
                audit_core::format_utc(1_577_836_800_000 + d as i64 * 86_400_000),
                d % 3,
                if d % 2 == 0 { "ACTIVE" } else { "SUSPENDED" }
            )
        })
        .collect();
    format!(
        r#"{{"data":[{}],"warnings":[],"errors":[]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

#[test]
fn a_long_status_log_read_again_and_overlapping_keeps_each_entry_once() {
    // Each entry was compared with every entry held: a 100k-record customer's status log took
    // the worker ~0.8 s before a cached trail's first rows. Now one lookup an entry.
    use audit_core::{parse_status_log, StatusLogKind};
    let mut store = Store::new();
    let mut read = |first: usize, n: usize, flip: bool, kind: StatusLogKind| {
        let page = parse_status_log(&status_log(first, n, flip), kind);
        store.ingest_page("log", page).status_entries_added
    };
    assert_eq!(read(0, 20_000, false, StatusLogKind::Customer), 20_000);
    assert_eq!(
        read(0, 20_000, true, StatusLogKind::Customer),
        0,
        "the same entries (actions' keys in another order) are not added twice"
    );
    assert_eq!(
        read(19_990, 20, false, StatusLogKind::Customer),
        10,
        "only the ten new days"
    );
    assert_eq!(
        read(0, 5, false, StatusLogKind::Card),
        5,
        "a card's log is another log"
    );
    assert_eq!(store.status_entries().len(), 20_015);
}
