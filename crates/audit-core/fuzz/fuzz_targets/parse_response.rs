//! Any bytes through the parser, the store, and back out as records: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = audit_core::parse_response(data);
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
        let _ = (e.time(), e.previous(), e.user_label(), e.associate_entities());
    }
});

fn serde_json_string(r: &audit_core::AuditRecord) -> usize {
    audit_core::export::record_json(r).len()
}
