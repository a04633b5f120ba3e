//! Any bytes through the parser, the store, and back out as records: nothing
//! may panic, and nothing may take long (see `within_budget`). The fused
//! ingest (`Store::ingest_bytes`) of the same bytes must store the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

/// A generous wall-clock budget for parsing `n` bytes: 1 s plus 1 µs a byte
/// (native parsing runs at tens of MB/s or more even on damaged input).
/// `Parsed::recovery_work_bound` is the precise check; this one catches a
/// slow path the work counter does not see. libFuzzer's `-timeout=` backs
/// both up.
fn within_budget(n: usize, took: Duration) -> bool {
    took <= Duration::from_secs(1) + Duration::from_micros(n as u64)
}

fuzz_target!(|data: &[u8]| {
    let t = Instant::now();
    let parsed = audit_core::parse_response(data);
    let took = t.elapsed();
    assert!(
        within_budget(data.len(), took),
        "{} bytes took {took:?}",
        data.len()
    );
    assert!(
        parsed.recovery_work <= parsed.recovery_work_bound(),
        "{} reads for {} bytes",
        parsed.recovery_work,
        data.len()
    );
    for d in &parsed.damaged {
        assert!(d.offset + d.len <= data.len());
        assert!(d.error_offset <= data.len());
    }
    let summary = audit_core::PageSummary::of(&parsed);
    let mut store = audit_core::Store::new();
    let report = store.ingest(parsed);
    // The fused ingest stores exactly what parse_response + ingest stored.
    let mut fused = audit_core::Store::new();
    let (fused_report, fused_summary) = fused.ingest_bytes("", data);
    assert_eq!(fused_report, report);
    assert_eq!(
        audit_core::PageSummary {
            fused: false,
            ..fused_summary
        },
        summary
    );
    assert_eq!(fused.len(), store.len());
    for rid in 0..store.record_count() as u32 {
        let _ = serde_json_string(&store.record(rid));
        assert_eq!(fused.record(rid), store.record(rid));
    }
    for id in 0..store.len() as u32 {
        assert_eq!(fused.event_key(id), store.event_key(id));
    }
    for e in store.events() {
        let _ = (
            e.time(),
            e.time_raw(),
            e.previous(),
            e.user_label(),
            e.associate_entities(),
        );
    }
});

fn serde_json_string(r: &audit_core::AuditRecord) -> usize {
    audit_core::export::record_json(r).len()
}
