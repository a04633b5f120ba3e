//! Native timing of the candidates: the best of 7 runs over the pages, in this
//! thread's CPU time (the minimum, and CPU rather than wall time, filter out
//! what other processes on a shared machine take).
//! `cargo run --profile native -- 100000` (events; default 100,000).

#[cfg(feature = "timing")]
fn main() {
    use std::time::Duration;
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    // `PARSERS_RUNS=3` for fewer runs of each (a million events).
    let runs: usize = std::env::var("PARSERS_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let pages = audit_core_parsers::pages(events);
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let best = |f: &dyn Fn() -> usize| {
        (0..runs)
            .map(|_| {
                let t0 = thread_cpu();
                std::hint::black_box(f());
                thread_cpu() - t0
            })
            .min()
            .unwrap_or(Duration::ZERO)
    };
    println!("{events} events, {} pages, {bytes} bytes", pages.len());
    let line = |name: &str, t: Duration, what: &str| {
        println!(
            "{name:<24} {:>8.1} MB/s  {:>7.1} ms  {:>6.2} ms/page  ({what})",
            bytes as f64 / t.as_secs_f64() / 1e6,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3 / pages.len() as f64
        )
    };
    // `PARSERS_ONLY=reader` (a part of the names) times some candidates only.
    let only = std::env::var("PARSERS_ONLY").unwrap_or_default();
    for (name, what, parse) in audit_core_parsers::CANDIDATES {
        if name.contains(only.as_str()) {
            line(name, best(&|| pages.iter().map(|p| parse(p)).sum()), what);
        }
    }
    /// An ingest of every page, returning the events it stored.
    type Ingest = fn(&[Vec<u8>]) -> usize;
    let ingests: [(&str, &str, Ingest); 2] = [
        (
            "owned ingest",
            "parse_response + Store::ingest_page of every page",
            audit_core_parsers::ingest_owned,
        ),
        (
            "fused ingest",
            "Store::ingest_bytes of every page: the reader and interning",
            audit_core_parsers::ingest,
        ),
    ];
    for (name, what, ingest) in ingests {
        if name.contains(only.as_str()) {
            line(name, best(&|| ingest(&pages)), what);
        }
    }
    // What the store holds once the load ends (`shrink_to_fit`, as the app calls then).
    if "store memory".contains(only.as_str()) {
        for (name, fused) in [("owned", false), ("fused", true)] {
            let mut store = audit_core::Store::new();
            for p in &pages {
                if fused {
                    store.ingest_bytes("", p);
                } else {
                    store.ingest_page("", audit_core::parse_response(p));
                }
            }
            store.shrink_to_fit();
            let held = store.heap_bytes();
            println!(
                "store memory ({name})     {held} bytes, {:.1} B/event, {:.3}x raw",
                held as f64 / store.len() as f64,
                held as f64 / bytes as f64
            );
            for (part, b) in store.heap_parts() {
                println!(
                    "    {part:<24} {:>6.1} B/event",
                    b as f64 / store.len() as f64
                );
            }
        }
    }
}

/// This thread's CPU time.
#[cfg(feature = "timing")]
fn thread_cpu() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    assert!(ok, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(not(feature = "timing"))]
fn main() {}
