//! `bench-browser`: the native half of the browser benchmark (issue #7). Run it through
//! `scripts/bench-browser`, which builds the release app and the benchmark page first.
//!
//! It serves the benchmark page and the release `dist/` on loopback, opens each measurement in a
//! fresh headless Chromium (one page load per size and pipeline, so one's memory never counts
//! against another's), collects what the page measured, prints a markdown table and writes it
//! into BENCHMARKS.md under "## Browser (WASM vs JavaScript)".
//!
//! Environment: `BENCH_PAGE_DIR` (the built page), `AUDIT_EXPLORER_DIST` (the release app),
//! `BENCH_SIZES` (default `10000,100000,1000000`), `BENCH_ROUNDS` (typing rounds, default 3),
//! `BENCH_PHASES` (default `ours,js,app`; `none` runs no phase, e.g. for fetching alone; `app`
//! opens a generated trail from files in the release app, `BENCH_TRAIL_DIR` keeps the trails),
//! `BENCH_FETCH` (`0` skips the fetching runs and the reopening of a cached trail), `BENCH_RATE_LIMIT` (`1` adds two > 1 minute
//! runs under a 100 requests/minute limit: the limit learned, and stated in config.json),
//! `BENCH_OUT` (the markdown file, default the repo's BENCHMARKS.md), `BENCH_BUNDLE` (output of
//! `scripts/bundle-size dist`).

#[cfg(not(target_arch = "wasm32"))]
mod app;
#[cfg(not(target_arch = "wasm32"))]
mod cached;
#[cfg(not(target_arch = "wasm32"))]
mod fetching;
#[cfg(not(target_arch = "wasm32"))]
mod run;
#[cfg(not(target_arch = "wasm32"))]
mod table;

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() {
    run::main().await;
}

/// The runner drives a browser from outside; in WASM there is nothing to run.
#[cfg(target_arch = "wasm32")]
fn main() {}
