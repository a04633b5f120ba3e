//! Any bytes through the parser, the store, and back out as records: nothing
//! may panic, and nothing may take long (see `within_budget`).
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
    let mut store = audit_core::Store::new();
    store.ingest(parsed);
    for rid in 0..store.record_count() as u32 {
        let _ = serde_json_string(&store.record(rid));
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
