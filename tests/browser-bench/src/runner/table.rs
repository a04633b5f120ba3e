//! The results as a markdown section for BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::fetching::{self, Fetching};

pub const HEADING: &str = "## Browser (WASM vs JavaScript)";

/// Everything one run measured. `phases` is keyed by (events, "ours" | "js" | "app").
pub struct Results {
    pub phases: BTreeMap<(usize, String), Result<Value, String>>,
    pub first_rows: Result<Vec<Value>, String>,
    pub fetching: Option<Fetching>,
    /// Reopening a cached trail ([`crate::cached`]); `None` when fetching was skipped.
    pub reopen: Option<Result<Value, String>>,
    pub bundle: Option<String>,
}

/// Where and when it ran.
pub struct Machine {
    pub cores: usize,
    pub model: String,
    pub date: String,
    pub chromium: String,
    /// `git describe --always --dirty` of the checkout that was built.
    pub commit: String,
    pub took: Duration,
}

impl Machine {
    pub fn this(took: Duration) -> Machine {
        let out = |cmd: &str, args: &[&str]| {
            std::process::Command::new(cmd)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let model = out("lscpu", &[])
            .lines()
            .find_map(|l| l.strip_prefix("Model name:").map(|m| m.trim().to_owned()))
            .unwrap_or_else(|| "?".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            model,
            date: out("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            chromium: out(&chromium, &["--version"]),
            commit: out(
                "git",
                &[
                    "-C",
                    env!("CARGO_MANIFEST_DIR"),
                    "describe",
                    "--always",
                    "--dirty",
                ],
            ),
            took,
        }
    }
}

/// A number of milliseconds, with the precision it deserves.
fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3} ms")
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 1000.0 {
        format!("{v:.1} ms")
    } else {
        format!("{:.2} s", v / 1000.0)
    }
}

fn mb(bytes: f64) -> String {
    format!("{:.0} MB", bytes / 1e6)
}

fn ratio(ours: Option<f64>, js: Option<f64>) -> Option<f64> {
    match (ours, js) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn show_ratio(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.2}×"))
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✔"
    } else {
        "✘"
    }
}

fn num(v: &Value, path: &str) -> Option<f64> {
    path.split('.').try_fold(v, |v, k| v.get(k))?.as_f64()
}

struct Table(String);

/// Rows of one measure for one size, from the ours, js and app page loads.
type Measure = fn(&mut Table, usize, &Value, &Value, &Value);

impl Table {
    fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.0, "| {} |", cells.join(" | "));
    }
}

pub fn markdown(r: &Results, sizes: &[usize], m: &Machine) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{HEADING}\n");
    let _ = writeln!(
        out,
        "Issue #7's harness: the same API-shaped page bytes go through our pipeline (audit-core \
         compiled to WASM, release profile as shipped) and a plain JavaScript baseline \
         (`tests/browser-bench/page/baseline.js`: TextDecoder + JSON.parse per page, flat event \
         objects lower-cased once, `Array.filter` with `includes` per keystroke, facet counts \
         with `Map`), in headless Chromium. Data: the native bench's generator (current-API \
         pages of 1,000 records, ~665 bytes of JSON per event), produced in the page by WASM \
         and handed over as one `Uint8Array` per page. Each size and pipeline runs in its own \
         fresh browser and page load, so neither's memory counts against the other."
    );
    let _ = writeln!(
        out,
        "\n- Machine: `nproc` = {}, `lscpu` model name \"{}\"; shared with other builds \
         (figures vary between runs).\n- Date: {}, code at `{}` (`-dirty`: the shared \
         checkout also held other work in progress). {}; flags as tests/e2e plus \
         `--enable-precise-memory-info --js-flags=\"--expose-gc --max-old-space-size=16384\"` \
         (the raised heap limit lets the 1M baseline finish).\n- Reproduce: `scripts/bench-browser` \
         (this run took {:.0} min). `BENCH_SIZES=100000` picks sizes, `BENCH_RATE_LIMIT=1` \
         adds the rate-limited fetches (limit learned, then stated in config.json; > 1 minute \
         each), `BENCH_FETCH=0` skips fetching.",
        m.cores,
        m.model,
        m.date,
        m.commit,
        m.chromium,
        m.took.as_secs_f64() / 60.0
    );
    let _ = writeln!(
        out,
        "- How: ingest is the sum of the per-page steps (bytes → searchable events; each page \
         its own task with a yield to the event loop between pages, generation excluded; ours \
         is `browser_bench::ingest_page`, the app's per-page path). Keystrokes: the native \
         bench's 50 keystrokes (`field:mobile 99`, `ios fcyv`, `-source:inst user:aldo \
         type:comm`) typed {} times, ours narrowing with one `Search` as the timeline does, JS \
         filtering every event. Filter change: 5 filters × the same rounds, search then facet \
         recount. Memory: ours `WebAssembly.Memory` byte length after ingest (includes \
         allocator slack and growth); JS `usedJSHeapSize` after `gc()` minus before.\n\
         - The real app (rows `app:`): the release dist/ (UI module + engine worker, as \
         shipped) served on loopback with COOP/COEP headers (cross-origin isolated, for \
         `performance.measureUserAgentSpecificMemory`; its CSP meta unchanged), demo page \
         opened in a fresh browser, then a trail of N records (audit-gen, the demo customer, \
         1,000 records a file, written by `e2e::Trail`) uploaded through \
         `[data-testid=open-files]` (WebDriver `send_keys`, all files at once). A script \
         injected with `execute_script` (`tests/browser-bench/src/runner/app.js`) times from \
         the input's `change` event: first trail rows in the DOM (MutationObserver) and painted \
         (rAF + setTimeout); while the load runs, 180 frames scrolling two viewports a frame, \
         then up to 8 queries alternating `field:mobile` / `-field:mobile`, each answered when \
         every row shown fits it; the whole load (progress bar gone, the count final and equal \
         to the total). Long tasks: PerformanceObserver `longtask` of the page; frames over 50 \
         ms of a scroll phase: PerformanceObserver `long-animation-frame` (scripts, the forced \
         layouts in them, and the frame's rendering). After the load: the 5 filters (fresh queries) and the 50 keystrokes, {} rounds each, typed as \
         value + `input` at the start of a frame and timed to the first changed rows or count \
         painted and to the final count painted, each split at the worker link (the page's \
         `Worker.postMessage` and `onmessage` wrapped: command posted, first and last answer \
         heard, time in the handlers, answer in the DOM); 180 scroll frames. Then memory, and last \
         TextDecoder + JSON.parse of the very `File`s the app was given, one after another, \
         in the same page.\n",
        std::env::var("BENCH_ROUNDS").unwrap_or_else(|_| "3".into()),
        std::env::var("BENCH_ROUNDS").unwrap_or_else(|_| "3".into())
    );
    let mut t = Table(String::new());
    t.row(
        &[
            "measure",
            "events",
            "ours (WASM)",
            "JS baseline",
            "ours/JS",
            "target",
        ]
        .map(String::from),
    );
    t.row(&["---"; 6].map(String::from));
    let measures: [Measure; 10] = [
        ingest_rows,
        keystroke_rows,
        agree_row,
        filter_rows,
        memory_rows,
        long_task_rows,
        app_load_rows,
        app_while_loading_rows,
        app_query_rows,
        app_memory_rows,
    ];
    let missing = Value::Null;
    let mut failures = Vec::new();
    for (key, outcome) in &r.phases {
        if let Err(e) = outcome {
            failures.push(format!("{} at {}: {e}", key.1, key.0));
        }
    }
    for measure in measures {
        for &n in sizes {
            let get = |phase: &str| match r.phases.get(&(n, phase.to_owned())) {
                Some(Ok(v)) => v,
                _ => &missing,
            };
            measure(&mut t, n, get("ours"), get("js"), get("app"));
        }
    }
    global_rows(&mut t, r);
    out.push_str(&t.0);
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFailed runs (their cells show –):\n");
        for f in failures {
            let first = f.lines().next().unwrap_or_default().to_owned();
            let _ = writeln!(out, "- {first}");
        }
    }
    out
}

fn n_label(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

fn ingest_rows(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    let (a, b) = (num(o, "ingest_ms"), num(j, "ingest_ms"));
    let rate = |v: &Value, ms: Option<f64>| match (num(v, "raw_bytes"), ms) {
        (Some(bytes), Some(ms)) => format!("{}, {:.0} MB/s", self::ms(ms), bytes / 1e3 / ms),
        _ => "–".into(),
    };
    let r = ratio(a, b);
    // Issue 13's target: the store built at memory speed, at most half the baseline's time.
    let target = if n >= 100_000 {
        format!("≤ 0.5× {}", r.map_or("–", |r| mark(r <= 0.5)))
    } else {
        "–".into()
    };
    t.row(&[
        "ingest (all pages)".into(),
        n_label(n),
        rate(o, a),
        rate(j, b),
        show_ratio(r),
        target,
    ]);
}

fn keystroke_rows(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    let p = |v: &Value, k: &str| num(v, &format!("keystroke.{k}"));
    let cell = |v: &Value| match (p(v, "p50"), p(v, "p95"), p(v, "max")) {
        (Some(a), Some(b), Some(c)) => format!("{} / {} / {}", ms(a), ms(b), ms(c)),
        _ => "–".into(),
    };
    let r = ratio(p(o, "p95"), p(j, "p95"));
    let abs = match n {
        100_000 => Some(16.0),
        1_000_000 => Some(100.0),
        _ => None,
    };
    let mut target = String::new();
    if let Some(limit) = abs {
        let _ = write!(
            target,
            "p95 ≤ {limit:.0} ms {}; ",
            p(o, "p95").map_or("–", |v| mark(v <= limit))
        );
    }
    let _ = write!(target, "≤ 0.25× {}", r.map_or("–", |r| mark(r <= 0.25)));
    t.row(&[
        "keystroke search p50 / p95 / max".into(),
        n_label(n),
        cell(o),
        cell(j),
        format!("{} (p95)", show_ratio(r)),
        target,
    ]);
}

fn agree_row(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    let (Some(a), Some(b)) = (o["hits"].as_array(), j["hits"].as_array()) else {
        return;
    };
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    let differ: Vec<String> = a
        .iter()
        .zip(b)
        .zip(o["keys"].as_array().into_iter().flatten())
        .filter(|((x, y), _)| x != y)
        .take(3)
        .map(|((x, y), k)| format!("`{}` {x} vs {y}", k.as_str().unwrap_or("")))
        .collect();
    let note = if differ.is_empty() {
        String::new()
    } else {
        format!(" (e.g. {})", differ.join(", "))
    };
    t.row(&[
        "same hit counts per keystroke".into(),
        n_label(n),
        format!("{same} of {}{note}", a.len()),
        "".into(),
        "".into(),
        "–".into(),
    ]);
}

fn filter_rows(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    for (label, key) in [
        ("filter change: search p50 / max", "filter_search"),
        ("facet recount after it p50 / max", "facets"),
    ] {
        let cell = |v: &Value| match (num(v, &format!("{key}.p50")), num(v, &format!("{key}.max")))
        {
            (Some(a), Some(b)) => format!("{} / {}", ms(a), ms(b)),
            _ => "–".into(),
        };
        let r = ratio(num(o, &format!("{key}.p50")), num(j, &format!("{key}.p50")));
        t.row(&[
            label.into(),
            n_label(n),
            cell(o),
            cell(j),
            show_ratio(r),
            "–".into(),
        ]);
    }
}

fn memory_rows(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    let raw = num(o, "raw_bytes").or(num(j, "raw_bytes"));
    let events = num(o, "events").or(num(j, "events")).unwrap_or(n as f64);
    let cell = |bytes: Option<f64>| match (bytes, raw) {
        (Some(b), Some(raw)) => {
            format!("{}, {:.0} B/event, {:.2}× raw", mb(b), b / events, b / raw)
        }
        _ => "–".into(),
    };
    let ours = num(o, "wasm_memory_bytes");
    let js = num(j, "js_heap_bytes");
    let target = if n >= 1_000_000 {
        match (ours, raw) {
            (Some(b), Some(raw)) => format!("≤ 0.5× raw {}", mark(b / raw <= 0.5)),
            _ => "≤ 0.5× raw –".into(),
        }
    } else {
        "–".into()
    };
    t.row(&[
        "memory after ingest (raw JSON: ".to_owned() + &raw.map_or("?".into(), mb) + ")",
        n_label(n),
        cell(ours),
        cell(js),
        show_ratio(ratio(ours, js)),
        target,
    ]);
    t.row(&[
        "… of which the store (`Store::heap_bytes`)".into(),
        n_label(n),
        cell(num(o, "store_heap_bytes")),
        "".into(),
        "".into(),
        "–".into(),
    ]);
}

fn long_task_rows(t: &mut Table, n: usize, o: &Value, j: &Value, _: &Value) {
    let cell = |v: &Value| match (
        num(v, "max_step_ms"),
        num(v, "long_tasks"),
        num(v, "longest_task_ms"),
    ) {
        (Some(step), Some(count), Some(longest)) => format!(
            "{} longest step; {count:.0} long tasks{}",
            ms(step),
            if count > 0.0 {
                format!(" (longest {})", ms(longest))
            } else {
                String::new()
            }
        ),
        _ => "–".into(),
    };
    let target = if n >= 1_000_000 {
        format!(
            "≤ 50 ms {}",
            num(o, "max_step_ms").map_or("–", |v| mark(v <= 50.0))
        )
    } else {
        "–".into()
    };
    t.row(&[
        "longest main-thread task during ingest".into(),
        n_label(n),
        cell(o),
        cell(j),
        show_ratio(ratio(num(o, "max_step_ms"), num(j, "max_step_ms"))),
        target,
    ]);
}

/// `p50 / p95 / max` of a stats object (see app.js), or –.
fn spread(v: &Value, key: &str) -> String {
    match (
        num(v, &format!("{key}.p50")),
        num(v, &format!("{key}.p95")),
        num(v, &format!("{key}.max")),
    ) {
        (Some(a), Some(b), Some(c)) => format!("{} / {} / {}", ms(a), ms(b), ms(c)),
        _ => "–".into(),
    }
}

/// Long tasks of a `{count, longest_ms}` object: "none" or "N (longest X)".
fn tasks(v: &Value, key: &str) -> Option<(f64, String)> {
    let count = num(v, &format!("{key}.count"))?;
    let longest = num(v, &format!("{key}.longest_ms")).unwrap_or(0.0);
    let text = if count == 0.0 {
        "none over 50 ms".to_owned()
    } else {
        format!("{count:.0} over 50 ms (longest {})", ms(longest))
    };
    Some((count, text))
}

/// One row of the real app's measures (the "ours" column; the JS column says what it is not).
fn app_row(t: &mut Table, label: &str, n: usize, cell: String, js: &str, target: String) {
    t.row(&[
        format!("app: {label}"),
        n_label(n),
        cell,
        js.into(),
        "–".into(),
        target,
    ]);
}

fn app_load_rows(t: &mut Table, n: usize, _: &Value, _: &Value, a: &Value) {
    let events = num(a, "events");
    let size = match (num(a, "files"), num(a, "bytes")) {
        (Some(f), Some(b)) => format!(
            " ({f:.0} files, {}{})",
            mb(b),
            events.map_or(String::new(), |e| format!(", {e:.0} events"))
        ),
        _ => String::new(),
    };
    let first = num(a, "first_rows_ms");
    let target = if n >= 1_000_000 {
        format!("≤ 300 ms {}", first.map_or("–", |v| mark(v <= 300.0)))
    } else {
        "–".into()
    };
    app_row(
        t,
        &format!("open from files → first rows painted{size}"),
        n,
        match (first, num(a, "first_rows_dom_ms")) {
            (Some(p), Some(d)) => format!("{} (in the DOM after {})", ms(p), ms(d)),
            _ => "–".into(),
        },
        "–",
        target,
    );
    let full = num(a, "full_ms");
    let parse = num(a, "raw_parse.parse_ms");
    let r = ratio(full, parse);
    let target = if n == 100_000 {
        format!("≤ 2.5× JSON.parse {}", r.map_or("–", |r| mark(r <= 2.5)))
    } else {
        "–".into()
    };
    let js = match (parse, num(a, "raw_parse.read_ms")) {
        (Some(p), Some(read)) => format!(
            "TextDecoder + JSON.parse of the same files, same page: {} (reading them: {})",
            ms(p),
            ms(read)
        ),
        _ => "–".into(),
    };
    t.row(&[
        "app: open from files → whole load painted (progress gone, count final)".into(),
        n_label(n),
        full.map_or("–".into(), ms),
        js,
        show_ratio(r),
        target,
    ]);
    let upload = match (
        num(a, "upload_task.ms"),
        num(a, "upload_task.before_change_ms"),
        num(a, "upload_task.handler_ms"),
    ) {
        (Some(task), Some(before), Some(handler)) => format!(
            "; the upload's own task {}: {} before `change` (the browser building the file list), {} in the app's handler",
            ms(task),
            ms(before),
            ms(handler)
        ),
        (None, _, Some(handler)) => format!("; the app's `change` handler {}", ms(handler)),
        _ => String::new(),
    };
    long_task_row(
        t,
        "main-thread long tasks from the upload to the whole load (longtask observer)",
        n,
        a,
        "long_tasks_load",
        &upload,
    );
}

/// The long tasks under `key` against the target of none; `detail` follows their count.
fn long_task_row(t: &mut Table, label: &str, n: usize, a: &Value, key: &str, detail: &str) {
    let long = tasks(a, key);
    app_row(
        t,
        label,
        n,
        long.as_ref()
            .map_or("–".into(), |l| format!("{}{detail}", l.1)),
        "–",
        format!("none {}", long.map_or("–", |l| mark(l.0 == 0.0))),
    );
}

fn app_while_loading_rows(t: &mut Table, n: usize, _: &Value, _: &Value, a: &Value) {
    let loading = a["loading_at_first_rows"].as_bool();
    let not_loading = "– (the load was over at its first rows)";
    let frames = num(a, "scroll_loading.frames_while_loading");
    let p95 = num(a, "scroll_loading.frame.p95");
    let (cell, target) = match (loading, p95) {
        (Some(true), Some(p95)) => (
            format!(
                "{} ({:.0} frames while loading{})",
                spread(a, "scroll_loading.frame"),
                frames.unwrap_or(0.0),
                long_frames(&a["scroll_loading"]["frames_over_50"])
            ),
            format!("60 fps: p95 ≤ 17.5 ms {}", mark(p95 <= 17.5)),
        ),
        (Some(false), _) => (not_loading.into(), "–".into()),
        _ => ("–".into(), "60 fps –".into()),
    };
    app_row(
        t,
        "scrolling the timeline while it loads: frame p50 / p95 / max",
        n,
        cell,
        "–",
        target,
    );
    let typing = &a["typing_loading"];
    let (cell, target) = if typing.is_null() {
        (
            if loading == Some(false) {
                not_loading.into()
            } else {
                "–".into()
            },
            "–".into(),
        )
    } else {
        let long = tasks(typing, "long_tasks");
        (
            format!(
                "first rows {}, count final {}; {:.0} of {:.0} queries answered while loading; {}",
                spread(typing, "first"),
                spread(typing, "full"),
                num(typing, "answered_while_loading").unwrap_or(0.0),
                num(typing, "queries").unwrap_or(0.0),
                long.as_ref()
                    .map_or("long tasks –".into(), |l| format!("long tasks: {}", l.1)),
            ),
            format!("no long task {}", long.map_or("–", |l| mark(l.0 == 0.0))),
        )
    };
    app_row(
        t,
        "typing while it loads (`field:mobile` ↔ `-field:mobile`): input → rows painted p50 / p95 / max",
        n,
        cell,
        "–",
        target,
    );
}

/// "; 2 frames over 50 ms: scripts 40 ms (forced layout 12 ms), rendering 30 ms" from the
/// page's long-animation-frame summary, or nothing when there were none.
fn long_frames(f: &Value) -> String {
    match num(f, "count") {
        Some(count) if count > 0.0 => format!(
            "; {count:.0} frames over 50 ms: scripts {} (forced layout {}), rendering {} (style and layout {})",
            ms(num(f, "scripts_ms").unwrap_or(0.0)),
            ms(num(f, "forced_layout_ms").unwrap_or(0.0)),
            ms(num(f, "render_ms").unwrap_or(0.0)),
            ms(num(f, "style_layout_ms").unwrap_or(0.0)),
        ),
        _ => String::new(),
    }
}

/// Where a query's time went on the page's side of the worker link, medians: the page until
/// it posted the command, the worker until its first (and last) answer arrived, the page's
/// message handlers, and (fresh queries) the answer in the DOM.
fn split_cell(v: &Value, dom: bool) -> String {
    let Some(ask) = num(v, "p50_ask_ms") else {
        return "–".into();
    };
    let of = |k: &str| num(v, k).map_or("–".into(), ms);
    format!(
        "command posted {}; first answer {} later, last {}; handlers {} ({:.0} messages){}",
        ms(ask),
        of("p50_worker_ms"),
        of("p50_last_answer_ms"),
        of("p50_handle_ms"),
        num(v, "p50_messages").unwrap_or(0.0),
        if dom {
            format!("; in the DOM {} after the input", of("p50_dom_ms"))
        } else {
            String::new()
        }
    )
}

fn app_query_rows(t: &mut Table, n: usize, _: &Value, _: &Value, a: &Value) {
    let limit = match n {
        100_000 => Some(16.0),
        1_000_000 => Some(33.0),
        _ => None,
    };
    let p95 = num(a, "fresh_first.p95");
    app_row(
        t,
        "fresh query (5 filters × rounds) → first screenful painted p50 / p95 / max",
        n,
        format!(
            "{}; count final {}",
            spread(a, "fresh_first"),
            spread(a, "fresh_full")
        ),
        "–",
        limit.map_or("–".into(), |l| {
            format!("p95 ≤ {l:.0} ms {}", p95.map_or("–", |v| mark(v <= l)))
        }),
    );
    // Issue 15: "no worse than today (p95 4.7 ms at 100k, 52.8 ms at 1M, search only)".
    let today = match n {
        100_000 => Some(4.7),
        1_000_000 => Some(52.8),
        _ => None,
    };
    let p95 = num(a, "keystroke.p95");
    app_row(
        t,
        "keystroke narrowing (the 50 keystrokes × rounds) → count final painted p50 / p95 / max",
        n,
        format!(
            "{} ({:.0} keystrokes changed nothing visible, not counted)",
            spread(a, "keystroke"),
            num(a, "keystroke_unchanged").unwrap_or(0.0)
        ),
        "–",
        today.map_or("–".into(), |l| {
            format!(
                "p95 ≤ {l} ms (search alone, in the page) {}",
                p95.map_or("–", |v| mark(v <= l))
            )
        }),
    );
    app_row(
        t,
        "where a fresh query's time goes (p50, from the input)",
        n,
        split_cell(&a["fresh_split"], true),
        "–",
        "–".into(),
    );
    app_row(
        t,
        "where a keystroke's time goes (p50, from the input to the final count)",
        n,
        split_cell(&a["keystroke_split"], false),
        "–",
        "–".into(),
    );
    long_task_row(
        t,
        "main-thread long tasks during those queries and keystrokes",
        n,
        a,
        "long_tasks_after",
        "",
    );
    app_row(
        t,
        "scrolling the timeline after the load: frame p50 / p95 / max",
        n,
        spread(a, "scroll_loaded.frame"),
        "–",
        "–".into(),
    );
    let (cell, target) = match num(a, "max_dom_rows") {
        Some(rows) => (
            format!("{rows:.0} at most"),
            format!("bounded {}", mark(rows < 200.0 && rows < n as f64)),
        ),
        None => ("–".into(), "bounded –".into()),
    };
    app_row(t, "DOM event rows (of N)", n, cell, "–", target);
}

fn app_memory_rows(t: &mut Table, n: usize, _: &Value, _: &Value, a: &Value) {
    let m = &a["memory"];
    if m.is_null() {
        if !a.is_null() {
            app_row(t, "memory after the load", n, "–".into(), "–", "–".into());
        }
        return;
    }
    let raw = num(a, "bytes");
    let share = |b: f64| raw.map_or(String::new(), |r| format!(", {:.2}× raw", b / r));
    let total = num(m, "uasm_bytes");
    let (mut page, mut worker, mut other) = (0.0, 0.0, 0.0);
    if let Some(by) = m["uasm_breakdown"].as_object() {
        for (k, v) in by {
            let b = v.as_f64().unwrap_or(0.0);
            if k.contains("DedicatedWorkerGlobalScope") {
                worker += b;
            } else if k.contains("Window") {
                page += b;
            } else {
                other += b;
            }
        }
    }
    let rss = num(a, "renderer_rss_after");
    let grown = rss.zip(num(a, "renderer_rss_before")).map(|(x, y)| x - y);
    let mut cell = match (rss, grown) {
        (Some(after), Some(grown)) => format!(
            "renderer process RSS (page + worker threads) {} after, +{}{} over the demo page",
            mb(after),
            mb(grown),
            share(grown)
        ),
        _ => "renderer RSS not measured".into(),
    };
    match total {
        Some(total) => {
            let _ = write!(
                cell,
                "; JS heaps without wasm memory (`measureUserAgentSpecificMemory`) {} (page {}, \
                 worker {}, shared/DOM {})",
                mb(total),
                mb(page),
                mb(worker),
                mb(other)
            );
        }
        None => {
            let _ = write!(
                cell,
                "; `measureUserAgentSpecificMemory` not measured ({})",
                m["uasm_error"]
                    .as_str()
                    .unwrap_or("not cross-origin isolated")
            );
        }
    }
    let target = if n >= 1_000_000 {
        match (grown, raw) {
            (Some(b), Some(r)) => format!("≤ 0.5× raw (RSS growth) {}", mark(b / r <= 0.5)),
            _ => "≤ 0.5× raw –".into(),
        }
    } else {
        "–".into()
    };
    app_row(
        t,
        &format!(
            "memory after the load, both threads (raw JSON: {})",
            raw.map_or("?".into(), mb)
        ),
        n,
        cell,
        "–",
        target,
    );
}

fn global_rows(t: &mut Table, r: &Results) {
    bundle_rows(t, r.bundle.as_deref());
    let (cell, target) = match &r.first_rows {
        Ok(v) if !v.is_empty() => {
            let mut times: Vec<f64> = v.iter().filter_map(|x| x["t"].as_f64()).collect();
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            let all: Vec<String> = v
                .iter()
                .filter_map(|x| x["t"].as_f64())
                .map(|x| format!("{x:.0}"))
                .collect();
            (
                format!(
                    "{} median of {} navigations ({} ms)",
                    ms(median),
                    times.len(),
                    all.join(", ")
                ),
                format!("≤ 500 ms {}", mark(median <= 500.0)),
            )
        }
        Ok(_) => ("–".into(), "≤ 500 ms –".into()),
        Err(e) => (format!("failed: {e}"), "≤ 500 ms –".into()),
    };
    t.row(&[
        "navigation → first rows painted, demo data".into(),
        "demo".into(),
        cell,
        "–".into(),
        "–".into(),
        target,
    ]);
    let Some(f) = &r.fetching else {
        t.row(&[
            "fetching (simulator)".into(),
            "–".into(),
            "not run (`BENCH_FETCH=0`)".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
        return;
    };
    let label = format!(
        "fetch a {}-record customer, {} ms latency, page size {}: the app vs pages one after another",
        fetching::RECORDS,
        fetching::LATENCY_MS,
        fetching::PAGE_SIZE
    );
    let app_ms = f
        .app
        .as_ref()
        .and_then(|v| v.as_ref().ok())
        .and_then(|v| num(v, "ms"));
    let seq_ms = f
        .sequential
        .as_ref()
        .and_then(|v| v.as_ref().ok())
        .and_then(|v| num(v, "ms"));
    let r2 = ratio(app_ms, seq_ms);
    t.row(&[
        label,
        "–".into(),
        describe(&f.app),
        describe(&f.sequential),
        show_ratio(r2),
        format!("≤ 0.35× {}", r2.map_or("–", |r| mark(r <= 0.35))),
    ]);
    let limited = [
        (
            "limit unknown, learned from the first 429s",
            &f.rate_learned,
        ),
        ("limit stated in config.json (`rateLimit`)", &f.rate_stated),
    ];
    for (how, outcome) in limited {
        rate_limited_row(t, how, outcome, app_ms);
    }
    reopen_rows(t, r.reopen.as_ref());
}

/// Reopening a kept trail (issue 14): reload → the app mounted, its first rows and the whole
/// trail painted, from navigation start; and what reached the API before the refresh.
fn reopen_rows(t: &mut Table, reopen: Option<&Result<Value, String>>) {
    let what = format!(
        "cached {}-record trail (page size {}), reload →",
        crate::cached::RECORDS,
        crate::cached::PAGE_SIZE
    );
    let v = match reopen {
        None => return,
        Some(Err(e)) => {
            t.row(&[
                format!("{what} first rows"),
                "100k".into(),
                format!("failed: {}", e.lines().next().unwrap_or("")),
                "–".into(),
                "–".into(),
                "–".into(),
            ]);
            return;
        }
        Some(Ok(v)) => v,
    };
    let at = |k: &str| num(v, &format!("timing.{k}"));
    let mounted = at("mounted");
    let since_mount = |x: f64| {
        mounted.map_or(String::new(), |m| {
            format!("; {} after the app mounted", ms(x - m))
        })
    };
    let events = num(v, "events").unwrap_or(0.0);
    let kept = num(v, "kept_bytes").unwrap_or(0.0) / 1e6;
    let rows = [
        ("first rows painted", at("rows"), at("rows_dom"), 300.0),
        (
            "whole trail painted (every event, the load over)",
            at("all"),
            at("all_dom"),
            1000.0,
        ),
    ];
    for (label, painted, dom, limit) in rows {
        let cell = match painted {
            Some(p) => format!(
                "{} from navigation start (in the DOM after {}){}; {events:.0} events, entry {kept:.0} MB",
                ms(p),
                dom.map_or("–".into(), ms),
                since_mount(p)
            ),
            None => "not shown".into(),
        };
        let target = match (painted, mounted) {
            (Some(p), Some(m)) => format!("≤ {limit:.0} ms after mount {}", mark(p - m <= limit)),
            _ => format!("≤ {limit:.0} ms –"),
        };
        t.row(&[
            format!("{what} {label}"),
            "100k".into(),
            cell,
            "–".into(),
            "–".into(),
            target,
        ]);
    }
    t.row(&[
        format!("{what} audit requests before the refresh"),
        "100k".into(),
        format!(
            "{} without `startDate` (the refresh's own: {} in all)",
            v["audit_requests_without_start_date"], v["audit_requests_after_reload"]
        ),
        "–".into(),
        "–".into(),
        format!(
            "0 {}",
            mark(num(v, "audit_requests_without_start_date") == Some(0.0))
        ),
    ]);
}

/// The release bundle per module, from `scripts/bundle-size` (one line a file: name, bytes,
/// gzipped bytes): the worker's files are named after its binary (`explorer-worker*`), the rest
/// is the UI module (its wasm, js and the css).
fn bundle_rows(t: &mut Table, bundle: Option<&str>) {
    let files: Vec<(String, f64)> = bundle
        .into_iter()
        .flat_map(str::lines)
        .filter(|l| !l.starts_with("total"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next()?.to_owned();
            let gz = w.nth(2)?.parse::<f64>().ok()?;
            Some((name, gz))
        })
        .collect();
    let sum = |worker: bool| -> f64 {
        files
            .iter()
            .filter(|(name, _)| name.starts_with("explorer-worker") == worker)
            .map(|(_, gz)| gz)
            .sum()
    };
    let kb = |b: f64| b / 1024.0;
    let rows: [(&str, Option<f64>, Option<f64>); 3] = if files.is_empty() {
        [
            ("UI module", None, Some(250.0)),
            ("worker module", None, None),
            ("all modules", None, Some(350.0)),
        ]
    } else {
        [
            ("UI module (wasm + js + css)", Some(sum(false)), Some(250.0)),
            ("worker module (wasm + js + loader)", Some(sum(true)), None),
            ("all modules", Some(sum(false) + sum(true)), Some(350.0)),
        ]
    };
    for (what, gz, limit) in rows {
        let target = limit.map_or("–".into(), |l| {
            format!("≤ {l:.0} KB {}", gz.map_or("–", |gz| mark(kb(gz) <= l)))
        });
        t.row(&[
            format!("release bundle, {what} (`scripts/bundle-size`)"),
            "–".into(),
            gz.map_or("not measured".into(), |gz| {
                format!("{:.1} KB gzipped", kb(gz))
            }),
            "–".into(),
            "–".into(),
            target,
        ]);
    }
}

/// A fetch's time, requests and their statuses (resource timing), or why there is none.
fn describe(v: &Option<Result<Value, String>>) -> String {
    match v {
        Some(Ok(v)) => format!(
            "{} ({} requests, statuses {})",
            num(v, "ms").map_or("–".into(), ms),
            v["requests"],
            v.get("statuses").map_or("–".into(), |s| s.to_string())
        ),
        Some(Err(e)) => format!("failed: {}", e.lines().next().unwrap_or("")),
        None => "not run".into(),
    }
}

/// One rate-limited load: the time against the fastest the simulator's bucket allows for the
/// requests that were answered, and whether any request was refused.
fn rate_limited_row(
    t: &mut Table,
    how: &str,
    outcome: &Option<Result<Value, String>>,
    unlimited_ms: Option<f64>,
) {
    let label = format!(
        "fetch the same customer under {} requests/minute (bucket of {}, as the simulator), {how}",
        fetching::RATE_PER_MINUTE,
        fetching::RATE_PER_MINUTE
    );
    let Some(v) = outcome else {
        t.row(&[
            label,
            "–".into(),
            "not run (`BENCH_RATE_LIMIT=1` runs it)".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
        return;
    };
    let ok = v.as_ref().ok();
    let answered = ok.and_then(|v| num(v, "statuses.200"));
    let refused = ok.map(|v| {
        v["statuses"].as_object().map_or(0.0, |s| {
            s.iter()
                .filter(|(k, _)| k.as_str() != "200")
                .filter_map(|(_, c)| c.as_f64())
                .sum()
        })
    });
    // Fastest the bucket allows for the requests that had to succeed: those beyond the
    // burst are spaced 60/limit s apart, and nothing beats the unlimited run.
    let fastest = answered.map(|r| {
        let per = 60_000.0 / f64::from(fetching::RATE_PER_MINUTE);
        let paced =
            (r - f64::from(fetching::RATE_PER_MINUTE)).max(0.0) * per + fetching::LATENCY_MS as f64;
        paced.max(unlimited_ms.unwrap_or(0.0))
    });
    let rr = ratio(ok.and_then(|v| num(v, "ms")), fastest);
    let good = refused == Some(0.0) && rr.is_some_and(|r| r <= 1.10);
    t.row(&[
        label,
        "–".into(),
        describe(outcome),
        format!("fastest allowed {}", fastest.map_or("–".into(), ms)),
        format!("{} of fastest", show_ratio(rr)),
        format!(
            "no refused request, ≤ 1.10× {}{}",
            if ok.is_some() { mark(good) } else { "–" },
            refused
                .filter(|&r| r > 0.0)
                .map_or(String::new(), |r| format!(
                    " ({r:.0} answered 429, retried)"
                ))
        ),
    ]);
}

/// Where a kept earlier run starts inside the section.
const EARLIER: &str = "### Earlier run: ";

/// The run's date (`YYYY-MM-DD`) from its "- Date: …" line.
fn run_day(body: &str) -> Option<&str> {
    let line = body.lines().find_map(|l| l.strip_prefix("- Date: "))?;
    line.get(..10)
}

/// Writes `section` (which starts with [`HEADING`]) into the file: the section's previous
/// content (up to the next `## ` heading) stays below the new table as history, one
/// `### Earlier run: <date>` each, except runs of the new run's own day, which it replaces.
/// Without the heading the section is appended.
pub fn write_section(path: &Path, section: &str) {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let section = section.trim_end().to_owned() + "\n";
    let new = match old.find(HEADING) {
        Some(start) => {
            let rest = &old[start + HEADING.len()..];
            let end = rest
                .find("\n## ")
                .map_or(old.len(), |i| start + HEADING.len() + i + 1);
            let body = &old[start + HEADING.len()..end];
            let day = run_day(&section);
            // The previous latest run, then the earlier runs it kept.
            let mut runs: Vec<String> = Vec::new();
            let (latest, earlier) = body.split_at(body.find(EARLIER).unwrap_or(body.len()));
            if !latest.trim().is_empty() {
                let date = latest
                    .lines()
                    .find_map(|l| l.strip_prefix("- Date: "))
                    .and_then(|d| d.split(',').next())
                    .unwrap_or("?");
                runs.push(format!("{EARLIER}{date}\n\n{}", latest.trim()));
            }
            runs.extend(
                earlier
                    .split(EARLIER)
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| format!("{EARLIER}{}", r.trim())),
            );
            let mut kept = String::new();
            for run in runs.iter().filter(|r| day.is_none() || run_day(r) != day) {
                kept.push('\n');
                kept.push_str(run);
                kept.push('\n');
            }
            format!(
                "{}{}{}{}{}",
                &old[..start],
                section,
                kept,
                if end < old.len() { "\n" } else { "" },
                &old[end..]
            )
        }
        None => format!("{}\n{}", old.trim_end().to_owned() + "\n", section),
    };
    std::fs::write(path, new).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_run_keeps_earlier_days_below_it_and_the_rest_of_the_file() {
        let dir = std::env::temp_dir().join(format!("bench-section-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        let run = |day: &str, what: &str| {
            format!("{HEADING}\n\n- Date: {day} 10:00 UTC, code\n\n{what}\n")
        };
        std::fs::write(&path, "# B\n\n## Native\n\nx\n").unwrap();
        write_section(&path, &run("2026-11-30", "one"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# B\n\n## Native\n\nx\n\n{}", run("2026-11-30", "one"))
        );
        std::fs::write(
            &path,
            format!("# B\n\n{}\n## Later\n\ny\n", run("2026-11-30", "old")),
        )
        .unwrap();
        write_section(&path, &run("2026-12-01", "new"));
        let earlier =
            "### Earlier run: 2026-11-30 10:00 UTC\n\n- Date: 2026-11-30 10:00 UTC, code\n\nold\n";
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!(
                "# B\n\n{}\n{earlier}\n## Later\n\ny\n",
                run("2026-12-01", "new")
            )
        );
        // A second run the same day replaces the first; the earlier day stays.
        write_section(&path, &run("2026-12-01", "again"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!(
                "# B\n\n{}\n{earlier}\n## Later\n\ny\n",
                run("2026-12-01", "again")
            )
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
