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
