//! Serving, driving Chromium, collecting each page load's results.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::{dist_dir, Browser, StaticServer};
use serde_json::Value;

use crate::table::{Machine, Results};

/// Chromium flags for the measurements: `performance.memory` with exact figures, `gc()` so the
/// JS heap is read after a collection, and room for the baseline's million event objects (a
/// default V8 heap limit would end the 1M baseline before it finishes);
/// `performance.measureUserAgentSpecificMemory` answering at once instead of at the next
/// garbage collection (up to 20 s later).
const FLAGS: [&str; 4] = [
    "--enable-precise-memory-info",
    "--js-flags=--expose-gc --max-old-space-size=16384",
    "--disable-renderer-backgrounding",
    "--enable-blink-features=ForceEagerMeasureMemory",
];

/// Longest one page load may take (the 1M pipelines generate 665 MB of JSON in the page).
const PHASE_LIMIT: Duration = Duration::from_secs(40 * 60);

pub async fn main() {
    let started = Instant::now();
    let page_dir = PathBuf::from(
        std::env::var_os("BENCH_PAGE_DIR").expect("BENCH_PAGE_DIR: the built benchmark page"),
    );
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect();
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    // `render` is the old name of `app` (the app mounted in the benchmark page).
    let phases_wanted = std::env::var("BENCH_PHASES")
        .unwrap_or_else(|_| "ours,js,app".into())
        .replace("render", "app");
    let page = StaticServer::start(&page_dir, "/").await;
    let app = StaticServer::start(&dist_dir(), "/").await;
    let isolated = crate::app::server().await;
    // The generated trails (page files) are kept for later runs: a million records is 742 MB.
    let trails = std::env::var_os("BENCH_TRAIL_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("BENCH_RAW_DIR").map(|d| PathBuf::from(d).join("trails")))
        .unwrap_or_else(|| std::env::temp_dir().join("bench-browser-trails"));

    let mut phases = BTreeMap::new();
    for &n in &sizes {
        for phase in ["ours", "js", "app"] {
            if !phases_wanted.split(',').any(|p| p.trim() == phase) {
                continue;
            }
            let t0 = Instant::now();
            let outcome = if phase == "app" {
                crate::app::measure(&isolated, &trails, n, rounds).await
            } else {
                let url = format!(
                    "{}#phase={phase}&n={n}&rounds={rounds}",
                    page.url("index.html")
                );
                one_page_load(&url).await
            };
            eprintln!(
                "bench-browser: {phase} n={n}: {:.0} s{}",
                t0.elapsed().as_secs_f64(),
                match &outcome {
                    Err(e) => format!(" FAILED: {e}"),
                    Ok(_) => String::new(),
                }
            );
            phases.insert((n, phase.to_owned()), outcome);
        }
    }
    let first_rows = first_rows(&app).await;
    eprintln!("bench-browser: first rows {first_rows:?}");
    let fetch = std::env::var("BENCH_FETCH").as_deref() != Ok("0");
    let fetching = if fetch {
        let rate_limited = std::env::var("BENCH_RATE_LIMIT").as_deref() == Ok("1");
        let f = crate::fetching::measure(rate_limited).await;
        eprintln!("bench-browser: fetching {f:?}");
        Some(f)
    } else {
        None
    };
    let reopen = if fetch {
        let r = crate::cached::measure().await;
        eprintln!("bench-browser: reopen cached {r:?}");
        Some(r)
    } else {
        None
    };
    let results = Results {
        phases,
        first_rows,
        fetching,
        reopen,
        bundle: std::env::var("BENCH_BUNDLE").ok(),
    };
    // The raw figures beside the table, for anyone who wants more than it shows.
    if let Some(dir) = std::env::var_os("BENCH_RAW_DIR") {
        let or_error = |r: &Result<Value, String>| {
            r.clone()
                .unwrap_or_else(|e| serde_json::json!({ "error": e }))
        };
        let mut raw: serde_json::Map<String, Value> = results
            .phases
            .iter()
            .map(|((n, phase), r)| (format!("{phase}-{n}"), or_error(r)))
            .collect();
        if let Some(reopen) = &results.reopen {
            raw.insert("cached-reopen".into(), or_error(reopen));
        }
        let path = PathBuf::from(dir).join("results.json");
        let text = serde_json::to_string_pretty(&raw).unwrap_or_default();
        match std::fs::write(&path, text) {
            Ok(()) => eprintln!("bench-browser: raw results in {}", path.display()),
            Err(e) => eprintln!("bench-browser: cannot write {}: {e}", path.display()),
        }
    }
    let machine = Machine::this(started.elapsed());
    let markdown = crate::table::markdown(&results, &sizes, &machine);
    println!("{markdown}");
    let out = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../BENCHMARKS.md"));
    crate::table::write_section(&out, &markdown);
    eprintln!(
        "bench-browser: wrote {} ({:.0} s in all)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts Chromium with the benchmark flags.
pub async fn browser() -> Browser {
    Browser::start_with_args(&FLAGS).await
}

/// Opens `url` in a fresh browser and waits for the page's `window.__bench` to be done.
async fn one_page_load(url: &str) -> Result<Value, String> {
    let b = browser().await;
    b.goto(url).await;
    let deadline = Instant::now() + PHASE_LIMIT;
    let outcome = loop {
        if Instant::now() > deadline {
            break Err(format!("no result within {PHASE_LIMIT:?}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        // While the page runs a long synchronous step this waits; a WebDriver error here is
        // usually a busy or crashed tab, so look again until the deadline.
        match b
            .client
            .execute(
                "return window.__bench && window.__bench.done ? window.__bench : null",
                vec![],
            )
            .await
        {
            Ok(Value::Null) => continue,
            Ok(v) => match v.get("error") {
                Some(e) => break Err(e.as_str().unwrap_or("error").to_owned()),
                None => break Ok(v["result"].clone()),
            },
            Err(e) if e.to_string().contains("crash") => break Err(format!("tab crashed: {e}")),
            Err(e) => eprintln!("bench-browser: still waiting ({e})"),
        }
    };
    b.close().await;
    outcome
}

/// Navigation → first timeline row painted on the demo data, five fresh navigations of the
/// release app. Returns what each navigation measured (see [`FIRST_ROWS_JS`]).
async fn first_rows(app: &StaticServer) -> Result<Vec<Value>, String> {
    let b = browser().await;
    let mut times = Vec::new();
    for _ in 0..5 {
        b.goto("about:blank").await;
        b.goto(&app.url("")).await;
        // `goto` returns at the load event; rows may already be there, so the time is read from
        // the first paint that shows rows, not from when this script starts.
        let t = b
            .client
            .execute_async(FIRST_ROWS_JS, vec![])
            .await
            .map_err(|e| e.to_string())?;
        times.push(t);
    }
    b.close().await;
    Ok(times)
}

/// Resolves with the time (ms since navigation start) of the first frame presented with an
/// event row. If rows are already there when this runs, that is the first contentful paint (the
/// page has nothing to paint before the app mounts); `wasm_end` (when the wasm finished
/// downloading) is returned to check that claim.
const FIRST_ROWS_JS: &str = r#"
const done = arguments[arguments.length - 1];
const has = () => document.querySelector('[data-testid=event-row]') !== null;
const fcp = (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime;
const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
const report = (t, via) => done({ t, via, fcp, wasm_end: wasm ? wasm.responseEnd : null });
if (has() && fcp !== undefined) { report(fcp, 'fcp'); }
else {
  const poll = () => has()
    ? requestAnimationFrame(() => setTimeout(() => report(performance.now(), 'raf'), 0))
    : requestAnimationFrame(poll);
  poll();
}
"#;
