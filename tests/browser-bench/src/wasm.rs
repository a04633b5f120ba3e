//! What the benchmark page (page/bench.js) calls: the page generator and our pipeline. Timing is
//! done in JavaScript around these calls, with `performance.now()`, the same clock the baseline
//! is timed with.
// `#[wasm_bindgen]` exports expand to unsafe glue code.
#![allow(unsafe_code)]

use audit_core::{facets, EventId, Query, Search, Store};
use wasm_bindgen::prelude::*;

use crate::gen::Pages;

/// Records per page, as the API's `limit` maximum and the native bench.
const PER_PAGE: usize = 1000;

/// Generates the benchmark's pages one at a time (see [`crate::gen`]).
#[wasm_bindgen]
pub struct Generator(Pages);

#[wasm_bindgen]
impl Generator {
    #[wasm_bindgen(constructor)]
    pub fn new(events: usize, seed: u32) -> Generator {
        Generator(Pages::new(events, PER_PAGE, u64::from(seed)))
    }

    /// The next page's bytes (copied out as a `Uint8Array`), or `undefined` after the last.
    pub fn next_page(&mut self) -> Option<Vec<u8>> {
        self.0.next()
    }
}

/// Our pipeline: a store fed page by page, searched keystroke by keystroke with one narrowing
/// [`Search`] (as the app's timeline does), facets counted over the current result.
#[wasm_bindgen]
pub struct Ours {
    store: Store,
    search: Search,
    result: Vec<EventId>,
}

#[wasm_bindgen]
impl Ours {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Ours {
        Ours {
            store: Store::new(),
            search: Search::new(),
            result: Vec::new(),
        }
    }

    /// One page in: the bytes cross from JavaScript into WASM memory, then [`crate::ingest_page`].
    pub fn ingest_page(&mut self, bytes: &[u8]) -> usize {
        crate::ingest_page(&mut self.store, "bench", bytes).events_added
    }

    pub fn finish(&mut self) {
        crate::finish_ingest(&mut self.store);
    }

    pub fn events(&self) -> usize {
        self.store.len()
    }

    /// Bytes the store holds by its own account (`Store::heap_bytes`).
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    /// Starts a new typing session (a fresh [`Search`], so the first keystroke scans everything).
    pub fn reset_search(&mut self) {
        self.search = Search::new();
    }

    /// One keystroke: parse the query text and run it, narrowing the previous result when it can.
    /// Returns the number of matching events, or -1 for a query that does not parse.
    pub fn keystroke(&mut self, text: &str, now_ms: f64) -> i32 {
        let Ok(query) = Query::parse(text) else {
            return -1;
        };
        let result = self.search.run(&self.store, &query, now_ms as i64);
        self.result.clone_from(&result.events);
        self.result.len() as i32
    }

    /// Recounts the facets (type, field, source, mode, user) of the current result; returns how
    /// many distinct values they list.
    pub fn facet_recount(&self) -> usize {
        let f = facets(&self.store, &self.result);
        f.types.len() + f.fields.len() + f.sources.len() + f.modes.len() + f.users.len()
    }
}

/// The typed keystrokes both pipelines run ([`crate::keystrokes`]).
#[wasm_bindgen]
pub fn keystrokes() -> Vec<String> {
    crate::keystrokes()
}

/// The filter changes of the facet measures and the real app's fresh queries ([`crate::FILTERS`]).
#[wasm_bindgen]
pub fn filters() -> Vec<String> {
    crate::FILTERS.iter().map(|f| f.to_string()).collect()
}

/// WASM linear memory in bytes (`memory.buffer.byteLength`).
#[wasm_bindgen]
pub fn memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}
