//! What the engine adds to the store's ingest when it opens files: `Command::Load` of a
//! generated trail (audit-gen's demo customer, 1,000 records a page, as `e2e::Trail` writes for
//! the browser bench), worked to the end in slices as the worker runs it, against
//! `Store::ingest_bytes` of the same pages alone (the floor).
//!
//! `cargo bench -p explorer-model --bench engine_load` (`ENGINE_BENCH_RECORDS=1000000` for
//! another size). Besides criterion's figures it prints an `ENGINE_LOAD` line: both times and
//! the engine's share above the store.

use std::time::{Duration, Instant};

use audit_core::Store;
use criterion::{criterion_group, criterion_main, Criterion};
use explorer_model::{Command, Engine, FixedOffsets, Page, SourceKind};

const PER_PAGE: u64 = 1000;
/// When the load starts (UTC ms); the engine's clock then follows the wall clock, so its
/// refreshes during the load come every 250 ms as in the worker.
const START_MS: i64 = 1_764_547_200_000;

fn trail(records: u64) -> Vec<Page> {
    audit_gen::demo_trail_pages(records, PER_PAGE)
        .enumerate()
        .map(|(p, bytes)| Page::new(format!("page-{p:05}.json"), bytes))
        .collect()
}

/// The store alone: every page through `Store::ingest_bytes`, then `shrink_to_fit`.
fn store_load(pages: &[Page]) -> usize {
    let mut store = Store::new();
    for p in pages {
        store.ingest_bytes(&p.name, &p.bytes);
    }
    store.shrink_to_fit();
    store.len()
}

/// The engine: the demo shown, then the trail opened as files and worked to the end.
fn engine_load(pages: &[Page]) -> usize {
    let mut engine = Engine::new(Box::new(FixedOffsets));
    let settle = |engine: &mut Engine, started: Instant| {
        let mut updates = 0;
        while engine.has_work() {
            let now = START_MS + started.elapsed().as_millis() as i64;
            updates += engine.work(now, &mut || true).len();
        }
        updates
    };
    engine.handle(Command::LoadDemo, START_MS);
    settle(&mut engine, Instant::now());
    let started = Instant::now();
    let mut updates = engine
        .handle(
            Command::Load {
                source: SourceKind::Files,
                label: "trail".into(),
                pages: pages.to_vec(),
                following: 0,
            },
            START_MS,
        )
        .len();
    updates += settle(&mut engine, started);
    updates
}

fn best_of(runs: usize, f: impl Fn() -> usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let records: u64 = std::env::var("ENGINE_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let pages = trail(records);
    let bytes: usize = pages.iter().map(|p| p.bytes.len()).sum();
    let store = best_of(3, || store_load(&pages));
    let engine = best_of(3, || engine_load(&pages));
    eprintln!(
        "ENGINE_LOAD records={records} bytes={bytes} store={store:?} ({:.0} MB/s) engine={engine:?} ({:.0} MB/s) engine_over_store={:.2}",
        bytes as f64 / store.as_secs_f64() / 1e6,
        bytes as f64 / engine.as_secs_f64() / 1e6,
        engine.as_secs_f64() / store.as_secs_f64()
    );
    let mut g = c.benchmark_group("engine_load");
    g.sample_size(10);
    g.bench_function(format!("store {records}"), |b| {
        b.iter(|| store_load(&pages))
    });
    g.bench_function(format!("engine {records}"), |b| {
        b.iter(|| engine_load(&pages))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
