//! Shared helpers: fixture loading relative to the crate.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/seeds")
}

pub fn seed(name: &str) -> Vec<u8> {
    std::fs::read(seed_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn parsed(name: &str) -> audit_core::Parsed {
    audit_core::parse_response(&seed(name))
}

/// A proptest configuration with a fixed seed, so a failure reproduces by
/// running the same test again, and no failure files written to the tree.
pub fn proptest_config(cases: u32, seed: u64) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// Inputs that made damaged-page recovery slow, each about `size` bytes:
/// `(name, bytes)`. Shared by the linearity tests and the `pathological`
/// bench group.
pub fn pathological(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    let repeat = |head: &str, unit: &str, tail: &str| {
        let mut s = String::with_capacity(size + unit.len() + tail.len());
        s.push_str(head);
        while s.len() + tail.len() < size {
            s.push_str(unit);
        }
        s.push_str(tail);
        s.into_bytes()
    };
    let long_level = format!(",{{\"a\":[{}", "0,".repeat(500));
    vec![
        // Every top-level member damaged: each used to rescan the rest for keys.
        ("damaged_members", repeat("{", "\"data\":!,", "}")),
        ("deep_nesting", repeat("{\"data\":[", "[", "")),
        (
            "unterminated_string",
            repeat("{\"data\":[{\"requestId\":\"", "a", ""),
        ),
        ("commas", repeat("{\"data\":[", ",", "]}")),
        // Resynchronisation candidates nested in one another, none whole.
        (
            "unclosed_candidates",
            repeat("{\"data\":[!", ",{\"a\":[", ""),
        ),
        ("nested_candidates", repeat("{\"data\":[!", &long_level, "")),
        // A damaged record before every intact one.
        (
            "alternating_damage",
            repeat(
                "{\"data\":[",
                "{\"requestId\":\"r\" \"x\":1},{\"requestId\":\"ok\"},",
                "{\"requestId\":\"ok\"}]}",
            ),
        ),
        (
            "damaged_records",
            repeat("{\"data\":[", "{\"requestId\":\"r\",\"x\":!},", "]}"),
        ),
    ]
}

/// Pieces a support agent's query is made of, plus the awkward ones.
const PIECES: &[&str] = &[
    "राम",
    "नाम",
    "क्षि",
    "ि",
    "்",
    "தமிழ்",
    "கொ",
    "é",
    "e\u{301}",
    "\u{301}",
    "\u{200d}",
    "👩\u{200d}💻",
    "🇮🇳",
    "👍🏽",
    "a",
    "Z",
    "9",
    " ",
    "  ",
    "\t",
    "\u{a0}",
    "\"",
    "-",
    ":",
    "type:",
    "field:",
    "user:",
    "after:",
    "before:",
    "tpye:",
    "TYPE:",
    "7d",
    "2024-01-31",
    "x:",
    "ß",
    "İ",
];

pub fn query_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// The helpers' promises for any text: they do not panic, and what they give
/// is consistent with the clamped span.
pub fn check_rendering(e: &audit_core::QueryError, text: &str) {
    let r = e.span_in(text);
    assert!(r.start <= r.end && r.end <= text.len());
    assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    let (before, marked, after) = e.marked(text);
    assert_eq!([before, marked, after].concat(), text);
    assert_eq!(e.column(text), before.chars().count() + 1);
    let caret = e.caret_line(text);
    assert_eq!(
        caret.chars().take_while(|&c| c == ' ').count(),
        before.chars().count()
    );
    assert!(caret.ends_with('^'));
    let _ = e.to_string();
}
