//! The damaged-page path: a seed fixture, mutated as damaged downloads are
//! (byte flips, truncations, insertions of `!`, `"`, `{`, `[`, `,`), through
//! `parse_response` and `Store::ingest_page` into a store that already holds
//! a page. Nothing may panic; recovery's work and time stay bounded; the
//! fused ingest (`Store::ingest_bytes`) of the same bytes stores the same.
//!
//! Input layout: the first byte picks the seed; each following group of four
//! bytes is one mutation (two bytes of offset, scaled to the seed's length, an
//! operation, an argument).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SEEDS: [&[u8]; 10] = [
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-card-648089-card-status.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-comm-channels.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-customer-status.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-identifiers.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-page0-of-52.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-page1-of-51.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-current-customer-98662653-standard-field-lastname.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-legacy-customer-98662653.json"),
    include_bytes!("../../../../tests/fixtures/seeds/audit-merge-134094571-damaged.json"),
    include_bytes!("../../../../tests/fixtures/seeds/customer-status-log-564590100.json"),
];

/// A store holding one intact page, cloned per input (the listing's first page).
static BASE: OnceLock<audit_core::Store> = OnceLock::new();

fn mutate(seed: &[u8], ops: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for op in ops.chunks_exact(4) {
        let at = usize::from(u16::from_le_bytes([op[0], op[1]])) * (b.len() + 1) / 65_536;
        match op[2] % 4 {
            0 if at < b.len() => b[at] ^= 1 << (op[3] % 8),
            1 => b.truncate(at),
            2 => b.insert(at.min(b.len()), b"!\"{[,"[usize::from(op[3]) % 5]),
            _ if at < b.len() => {
                b.remove(at);
            }
            _ => {}
        }
    }
    b
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, ops)) = data.split_first() else {
        return;
    };
    let bytes = mutate(SEEDS[usize::from(pick) % SEEDS.len()], ops);
    let t = Instant::now();
    let parsed = audit_core::parse_response(&bytes);
    let took = t.elapsed();
    assert!(
        took <= Duration::from_secs(1) + Duration::from_micros(bytes.len() as u64),
        "{} bytes took {took:?}",
        bytes.len()
    );
    assert!(parsed.recovery_work <= parsed.recovery_work_bound());
    let records = parsed.records.len();
    let mut store = BASE
        .get_or_init(|| {
            let mut s = audit_core::Store::new();
            s.ingest_page("listing", audit_core::parse_response(SEEDS[4]));
            s
        })
        .clone();
    let before = store.record_count();
    let mut fused = store.clone();
    let summary = audit_core::PageSummary::of(&parsed);
    let report = store.ingest_page("listing", parsed);
    // The fused ingest of the same bytes stores the same.
    let (fused_report, fused_summary) = fused.ingest_bytes("listing", &bytes);
    assert_eq!(fused_report, report);
    assert_eq!(
        audit_core::PageSummary {
            fused: false,
            ..fused_summary
        },
        summary
    );
    assert_eq!(fused.listings(), store.listings());
    assert!(report.records_added <= records);
    assert_eq!(store.record_count(), before + report.records_added);
    for rid in 0..store.record_count() as u32 {
        let _ = audit_core::export::record_json(&store.record(rid));
        assert_eq!(fused.record(rid), store.record(rid));
    }
    for id in 0..store.len() as u32 {
        assert_eq!(fused.event_key(id), store.event_key(id));
    }
});
