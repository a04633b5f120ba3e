//! Instants outside what the app can show stay raw, and time formatting is
//! total: no i64 instant, offset or calendar input panics or overflows.

mod common;

use audit_core::time::{
    civil_from_days, days_from_civil, format_duration, format_iso_utc, MAX_UTC_MS, MIN_UTC_MS,
};
use audit_core::{format_at_offset, format_utc, parse_response, parse_time, Store, TimeRaw};
use common::proptest_config;
use proptest::prelude::*;

#[test]
fn out_of_range_times_are_kept_raw() {
    let page = br#"{"data":[
        {"requestId":"a","autoUpdateTime":8640000000000001,"createdOn":-8640000000000001,"events":[{"eventType":"Identifiers","updatedField":"mobile"}]},
        {"requestId":"b","autoUpdateTime":9.3e18,"createdOn":"0000-12-31T00:00:00Z","events":[{"eventType":"Identifiers","updatedField":"mobile"}]},
        {"requestId":"c","autoUpdateTime":253402300800000,"createdOn":"9999-12-31T23:30:00-05:00","events":[{"eventType":"Identifiers","updatedField":"mobile"}]},
        {"requestId":"d","autoUpdateTime":"0001-01-01T00:00:00Z","createdOn":253402300799999,"events":[{"eventType":"Identifiers","updatedField":"mobile"}]}
    ]}"#;
    let p = parse_response(page);
    let times: Vec<(Option<i64>, Option<i64>)> = p
        .records
        .iter()
        .map(|r| {
            (
                r.auto_update_time.get().unwrap().utc_ms,
                r.created_on.get().unwrap().utc_ms,
            )
        })
        .collect();
    assert_eq!(
        times,
        [
            (None, None),
            (None, None),
            (None, None),
            (Some(MIN_UTC_MS), Some(MAX_UTC_MS))
        ]
    );
    let raw = &p.records[0].auto_update_time.get().unwrap().raw;
    assert!(matches!(raw, TimeRaw::Number(n) if n.to_string() == "8640000000000001"));
    let raw = &p.records[1].created_on.get().unwrap().raw;
    assert_eq!(raw, &TimeRaw::Text("0000-12-31T00:00:00Z".into()));
    // In the store: no time for the event, the raw value kept for display.
    let mut store = Store::new();
    store.ingest(p);
    let raw: Vec<Option<&str>> = store.events().map(|e| e.time_raw()).collect();
    assert_eq!(
        raw,
        [
            Some("8640000000000001"),
            Some("9.3e+18"),
            Some("253402300800000"),
            None
        ],
        "untimed events first, each with its time as sent (numbers as serde_json writes them)"
    );
    let rebuilt: Vec<String> = (0..store.record_count() as u32)
        .map(|r| audit_core::export::record_json(&store.record(r)))
        .collect();
    assert!(
        rebuilt.iter().any(|j| j.contains("8640000000000001")),
        "{rebuilt:?}"
    );
    assert!(rebuilt
        .iter()
        .any(|j| j.contains("\"0000-12-31T00:00:00Z\"")));
    for bad in [
        "0000-01-01",
        "0000-06-15 12:00:00",
        "9999-12-31T23:59:59-00:01",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
    assert_eq!(parse_time("0001-01-01"), Some(MIN_UTC_MS));
    assert_eq!(parse_time("9999-12-31T23:59:59.999Z"), Some(MAX_UTC_MS));
}

#[test]
fn the_range_is_years_1_to_9999() {
    assert_eq!(days_from_civil(1, 1, 1) * 86_400_000, MIN_UTC_MS);
    assert_eq!(days_from_civil(10_000, 1, 1) * 86_400_000 - 1, MAX_UTC_MS);
    for ms in [i64::MIN, i64::MAX, 0, -1] {
        let _ = (civil_from_days(ms), days_from_civil(ms, ms, ms));
    }
}

proptest! {
    #![proptest_config(proptest_config(4000, 0x5eed_7173))]

    /// Any instant and offset formats without panicking; in range, the text
    /// reads back as the same instant (to the second where no milliseconds are shown).
    #[test]
    fn formatting_is_total_and_round_trips(
        ms in prop_oneof![any::<i64>(), MIN_UTC_MS..=MAX_UTC_MS, -2_000_000_000_000i64..4_000_000_000_000],
        offset in prop_oneof![any::<i32>(), -14 * 60..=14 * 60],
        y in any::<i64>(), m in any::<i64>(), d in any::<i64>(),
    ) {
        let iso = format_iso_utc(ms);
        let utc = format_utc(ms);
        let local = format_at_offset(ms, offset);
        let _ = format_duration(ms);
        let _ = (civil_from_days(ms), days_from_civil(y, m, d));
        prop_assert!(iso.is_ascii() && utc.len() >= 10 && local.len() >= 10);
        if (MIN_UTC_MS..=MAX_UTC_MS).contains(&ms) {
            prop_assert_eq!(parse_time(&iso), Some(ms), "{}", iso);
            prop_assert_eq!(parse_time(&utc), Some(ms - ms.rem_euclid(1000)), "{}", utc);
            let shifted = ms + i64::from(offset) * 60_000;
            if (MIN_UTC_MS..=MAX_UTC_MS).contains(&shifted) {
                prop_assert_eq!(parse_time(&local), Some(shifted - shifted.rem_euclid(1000)), "{}", local);
            }
            let days = ms.div_euclid(86_400_000);
            let (cy, cm, cd) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(cy, cm, cd), days);
        }
    }
}
