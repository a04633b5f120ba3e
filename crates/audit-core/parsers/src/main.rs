//! Native timing of the candidates: the best of 7 runs over the pages (the
//! minimum filters out the time other processes on a shared machine take).
//! `cargo run --profile native -- 100000` (events; default 100,000).

#[cfg(feature = "timing")]
fn main() {
    use std::time::{Duration, Instant};
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let pages = audit_core_parsers::pages(events);
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let best = |f: &dyn Fn() -> usize| {
        (0..7)
            .map(|_| {
                let t0 = Instant::now();
                std::hint::black_box(f());
                t0.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO)
    };
    println!("{events} events, {} pages, {bytes} bytes", pages.len());
    let line = |name: &str, t: Duration, what: &str| {
        println!(
            "{name:<24} {:>8.1} MB/s  {:>7.1} ms  ({what})",
            bytes as f64 / t.as_secs_f64() / 1e6,
            t.as_secs_f64() * 1e3
        )
    };
    // `PARSERS_ONLY=reader` (a part of the names) times some candidates only.
    let only = std::env::var("PARSERS_ONLY").unwrap_or_default();
    for (name, what, parse) in audit_core_parsers::CANDIDATES {
        if name.contains(only.as_str()) {
            line(name, best(&|| pages.iter().map(|p| parse(p)).sum()), what);
        }
    }
    if !only.is_empty() {
        return;
    }
    line(
        "owned ingest",
        best(&|| audit_core_parsers::ingest_owned(&pages)),
        "parse_response + Store::ingest_page of every page",
    );
    line(
        "fused ingest",
        best(&|| audit_core_parsers::ingest(&pages)),
        "Store::ingest_bytes of every page: the reader and interning",
    );
}

#[cfg(not(feature = "timing"))]
fn main() {}
