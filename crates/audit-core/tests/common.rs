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
