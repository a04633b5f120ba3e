//! The candidate parsers for reading an audit page, behind one signature
//! (`fn(&[u8]) -> usize`, something read so no work is optimised away), and
//! the benchmark's pages. `main.rs` times them natively, `run-wasm.mjs` in
//! V8 (node), and the `bundle-*` features build a module holding one
//! candidate alone for its size. See README.md.

#[cfg(feature = "timing")]
#[path = "../../../../tests/browser-bench/src/gen.rs"]
pub mod gen;

/// `(name, what it does, parse)`.
#[cfg(feature = "timing")]
pub type Candidate = (&'static str, &'static str, fn(&[u8]) -> usize);

#[cfg(feature = "timing")]
pub const CANDIDATES: [Candidate; 8] = [
    (
        "serde_json records",
        "audit_core::parse_response: today's lenient visitors into owned AuditRecords",
        |b| audit_core::parse_response(b).records.len(),
    ),
    (
        "serde_json IgnoredAny",
        "serde_json validating the page and building nothing: the floor of any serde_json reader",
        |b| serde_json::from_slice::<serde::de::IgnoredAny>(b).map_or(0, |_| 1),
    ),
    ("serde_json Value", "serde_json's DOM", |b| {
        serde_json::from_slice::<serde_json::Value>(b)
            .map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
    }),
    (
        "sonic-rs Value",
        "sonic_rs::from_slice into its DOM (SIMD string scans)",
        |b| {
            sonic_rs::from_slice::<sonic_rs::Value>(b).map_or(0, |v| {
                use sonic_rs::{JsonContainerTrait, JsonValueTrait};
                v.get("data")
                    .map_or(0, |d| d.as_array().map_or(0, |a| a.len()))
            })
        },
    ),
    (
        "sonic-rs skip",
        "sonic_rs::get of the pagination: validating skip of the records",
        |b| sonic_rs::get(b, &["pagination", "number"]).map_or(0, |v| v.as_raw_str().len()),
    ),
    (
        "simd-json tape",
        "simd_json::to_tape on a copy (it parses in place)",
        |b| {
            let mut copy = b.to_vec();
            simd_json::to_tape(&mut copy).map_or(0, |t| t.0.len())
        },
    ),
    (
        "simd-json borrowed",
        "simd_json::to_borrowed_value on a copy: a DOM borrowing unescaped strings",
        |b| {
            let mut copy = b.to_vec();
            simd_json::to_borrowed_value(&mut copy).map_or(0, |v| {
                use simd_json::prelude::*;
                v.as_object().map_or(0, |o| o.len())
            })
        },
    ),
    (
        "audit-core reader",
        "audit_core::summarise_page: the fused ingest's reader onto its tape, no interning",
        |b| audit_core::summarise_page(b).records,
    ),
];

/// The benchmark's pages (the browser bench's generator: the native bench's
/// data mix), `events` events in pages of 1,000 records.
#[cfg(feature = "timing")]
pub fn pages(events: usize) -> Vec<Vec<u8>> {
    gen::Pages::new(events, 1000, 13).collect()
}

/// The owned path (`parse_response` + `Store::ingest_page`) of the pages.
#[cfg(feature = "timing")]
pub fn ingest_owned(pages: &[Vec<u8>]) -> usize {
    let mut store = audit_core::Store::new();
    for p in pages {
        store.ingest_page("", audit_core::parse_response(p));
    }
    store.len()
}

/// The whole fused ingest of the pages, for scale beside the parsers.
#[cfg(feature = "timing")]
pub fn ingest(pages: &[Vec<u8>]) -> usize {
    let mut store = audit_core::Store::new();
    for p in pages {
        store.ingest_bytes("", p);
    }
    store.len()
}

#[cfg(all(feature = "timing", target_arch = "wasm32"))]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// The pages, generated inside the module (so they are in its memory
    /// before any timing starts).
    #[wasm_bindgen]
    pub struct Pages(Vec<Vec<u8>>);

    #[wasm_bindgen]
    impl Pages {
        #[wasm_bindgen(constructor)]
        pub fn new(events: usize) -> Pages {
            Pages(super::pages(events))
        }
        pub fn bytes(&self) -> usize {
            self.0.iter().map(Vec::len).sum()
        }
        /// Runs candidate `i` over every page.
        pub fn run(&self, i: usize) -> usize {
            let (_, _, parse) = super::CANDIDATES[i];
            self.0.iter().map(|p| parse(p)).sum()
        }
        pub fn ingest(&self) -> usize {
            super::ingest(&self.0)
        }
        pub fn ingest_owned(&self) -> usize {
            super::ingest_owned(&self.0)
        }
    }

    #[wasm_bindgen]
    pub fn names() -> Vec<String> {
        super::CANDIDATES.iter().map(|c| c.0.to_owned()).collect()
    }
}

// ---- one candidate alone, for its bundle cost ----------------------------

#[cfg(all(
    feature = "bundle-serde",
    not(feature = "timing"),
    target_arch = "wasm32"
))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn parse(b: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(b)
        .map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
}

#[cfg(all(
    feature = "bundle-sonic",
    not(feature = "timing"),
    target_arch = "wasm32"
))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn parse(b: &[u8]) -> usize {
    use sonic_rs::{JsonContainerTrait, JsonValueTrait};
    sonic_rs::from_slice::<sonic_rs::Value>(b).map_or(0, |v| {
        v.get("data")
            .map_or(0, |d| d.as_array().map_or(0, |a| a.len()))
    })
}

#[cfg(all(
    feature = "bundle-simd-json",
    not(feature = "timing"),
    target_arch = "wasm32"
))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn parse(b: &[u8]) -> usize {
    use simd_json::prelude::*;
    let mut copy = b.to_vec();
    simd_json::to_borrowed_value(&mut copy).map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
}

/// The empty module's one export: what every bundle has without a parser.
#[cfg(all(not(feature = "timing"), target_arch = "wasm32"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn sum(b: &[u8]) -> usize {
    b.iter().map(|&x| usize::from(x)).sum()
}
