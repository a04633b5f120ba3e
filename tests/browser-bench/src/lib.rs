//! Browser benchmark of issue #7. Built for `wasm32-unknown-unknown`, this library is the
//! benchmark page's module: it generates API-shaped pages ([`gen`]), runs our pipeline
//! (audit-core: [`ingest_page`], keystroke search, facets). The page's `baseline.js` does the same
//! work the way a plain JavaScript explorer would. The native `bench-browser` binary
//! (src/runner/main.rs) drives it all in headless Chromium, and measures the real app (the release
//! dist/, its engine in a worker) opening generated trails from files.

pub mod gen;
#[cfg(target_arch = "wasm32")]
mod wasm;

use audit_core::{IngestReport, Query, Store};

/// Our ingest step for pages that arrive one by one: the response bytes straight into the store
/// (`Store::ingest_bytes`, which reads a valid page without building its records first and
/// stores what `parse_response` + `Store::ingest_page` would). This is the one function to change
/// when the store's ingest API changes.
pub fn ingest_page(store: &mut Store, listing: &str, bytes: &[u8]) -> IngestReport {
    store.ingest_bytes(listing, bytes).0
}

/// Called once after the last page, as the app's `Explorer::finish_source` does when a load
/// ends: gives back the tables' spare room, so the memory measured is what the app keeps.
pub fn finish_ingest(store: &mut Store) {
    store.shrink_to_fit();
}

/// The typed sequences of the native bench: every prefix of each query is one keystroke.
pub const TYPED: [&str; 3] = [
    "field:mobile 99",
    "ios fcyv",
    "-source:inst user:aldo type:comm",
];

/// The keystrokes both pipelines run: every prefix of [`TYPED`] that parses (`field:` alone, for
/// one, is an error the app shows instead of searching).
pub fn keystrokes() -> Vec<String> {
    TYPED
        .iter()
        .flat_map(|q| (1..=q.len()).map(move |i| &q[..i]))
        .filter(|text| Query::parse(text).is_ok())
        .map(str::to_owned)
        .collect()
}

/// Filter changes for the facet measures and the real app's fresh queries: each selects a
/// different share of events.
pub const FILTERS: [&str; 5] = [
    "type:identifiers",
    "field:mobile",
    "-source:instore",
    "mode:member_care",
    "",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_keystrokes_as_in_the_native_bench() {
        let k = keystrokes();
        assert_eq!(k.len(), 50, "{k:?}");
        assert!(!k.iter().any(|q| q.ends_with(':')));
    }

    #[test]
    fn ingest_page_adds_every_event_of_a_page() {
        let mut store = Store::new();
        for page in gen::Pages::new(1_500, 1000, 9) {
            ingest_page(&mut store, "bench", &page);
        }
        finish_ingest(&mut store);
        assert!(store.len() >= 1_500);
        for f in FILTERS {
            assert!(Query::parse(f).is_ok(), "{f}");
        }
    }
}
