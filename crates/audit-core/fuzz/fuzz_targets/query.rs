//! Any text as a query against a small seeded store: parse errors are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static STORE: OnceLock<audit_core::Store> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let store = STORE.get_or_init(|| {
        let mut s = audit_core::Store::new();
        let page = include_bytes!(
            "../../../../tests/fixtures/seeds/audit-current-customer-98662653-page0-of-52.json"
        );
        s.ingest(audit_core::parse_response(page));
        s
    });
    let text = String::from_utf8_lossy(data);
    match audit_core::Query::parse(&text) {
        Ok(q) => {
            let mut search = audit_core::Search::new();
            for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                if let Ok(prefix) = audit_core::Query::parse(&text[..end]) {
                    let _ = search.run(store, &prefix, 1_700_000_000_000);
                }
            }
            let r = search.run(store, &q, 1_700_000_000_000).clone();
            let _ = audit_core::facets(store, &r.events);
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            let _ = (e.column(&text), e.marked(&text), e.caret_line(&text));
        }
    }
});
