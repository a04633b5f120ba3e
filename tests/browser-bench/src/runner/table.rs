//! The results as a markdown section for BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::fetching::{self, Fetching};

pub const HEADING: &str = "## Browser (WASM vs JavaScript)";

/// Everything one run measured. `phases` is keyed by (events, "ours" | "js" | "render").
pub struct Results {
    pub phases: BTreeMap<(usize, String), Result<Value, String>>,
    pub first_rows: Result<Vec<Value>, String>,
    pub fetching: Option<Fetching>,
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

/// Rows of one measure for one size, from the ours, js and render page loads.
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
         recount. Render: the real `App` mounted on the N events; a filter typed into the \
         search box (value + `input` event) at the start of a frame, timed until the frame \
         showing the new match count has painted (a setTimeout queued from its rAF); then 180 frames scrolling the timeline by two \
         viewports per frame. Memory: ours `WebAssembly.Memory` byte length after ingest \
         (includes allocator slack and growth); JS `usedJSHeapSize` after `gc()` minus before.\n",
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
    let measures: [Measure; 9] = [
        ingest_rows,
        keystroke_rows,
        agree_row,
        filter_rows,
        memory_rows,
        long_task_rows,
        render_rows,
        scroll_rows,
        rows_row,
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
            measure(&mut t, n, get("ours"), get("js"), get("render"));
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
    let target = if n >= 100_000 {
        format!("< 1.0× {}", r.map_or("–", |r| mark(r < 1.0)))
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

fn render_rows(t: &mut Table, n: usize, _: &Value, _: &Value, rd: &Value) {
    let cell = match (
        num(rd, "filter_to_paint.p50"),
        num(rd, "filter_to_paint.p95"),
        num(rd, "filter_to_dom.p50"),
    ) {
        (Some(a), Some(b), Some(c)) => {
            format!("{} / {} (DOM updated after {})", ms(a), ms(b), ms(c))
        }
        _ => "–".into(),
    };
    let target = format!(
        "p50 ≤ 16 ms {}",
        num(rd, "filter_to_paint.p50").map_or("–", |v| mark(v <= 16.0))
    );
    t.row(&[
        "render: filter change → rows painted p50 / p95".into(),
        n_label(n),
        cell,
        "no render equivalent".into(),
        "–".into(),
        target,
    ]);
    let first_rows = num(rd, "first_rows_ms");
    let json_parse = num(rd, "json_parse_ms");
    // Opening the pages in the app against the browser's own `JSON.parse` of the same bytes in
    // the same page (the yardstick: within 2.5× at 100k).
    let ratio = match (first_rows, json_parse) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    t.row(&[
        "render: mount the app on the pages → first rows painted".into(),
        n_label(n),
        first_rows.map_or("–".into(), ms),
        json_parse.map_or("–".into(), |v| {
            format!("TextDecoder + JSON.parse of the same pages: {}", ms(v))
        }),
        ratio.map_or("–".into(), |r| format!("{r:.2}×")),
        match (n, ratio) {
            (100_000, Some(r)) => format!("≤ 2.5× {}", mark(r <= 2.5)),
            _ => "–".into(),
        },
    ]);
}

fn scroll_rows(t: &mut Table, n: usize, _: &Value, _: &Value, rd: &Value) {
    let cell = match (
        num(rd, "scroll_frame.p50"),
        num(rd, "scroll_frame.p95"),
        num(rd, "scroll_frame.max"),
    ) {
        (Some(a), Some(b), Some(c)) => format!("{} / {} / {}", ms(a), ms(b), ms(c)),
        _ => "–".into(),
    };
    t.row(&[
        "render: frame time scrolling the timeline p50 / p95 / max".into(),
        n_label(n),
        cell,
        "no render equivalent".into(),
        "–".into(),
        "–".into(),
    ]);
}

fn rows_row(t: &mut Table, n: usize, _: &Value, _: &Value, rd: &Value) {
    let (cell, target) = match num(rd, "max_dom_rows") {
        Some(rows) => (
            format!("{rows:.0} at most"),
            format!("bounded {}", mark(rows < 200.0 && rows < n as f64)),
        ),
        None => ("–".into(), "bounded –".into()),
    };
    t.row(&[
        "render: DOM event rows (of N)".into(),
        n_label(n),
        cell,
        "–".into(),
        "–".into(),
        target,
    ]);
}

fn global_rows(t: &mut Table, r: &Results) {
    // Bundle: the total line of scripts/bundle-size.
    let gz = r.bundle.as_deref().and_then(|b| {
        let line = b.lines().find(|l| l.starts_with("total"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    let (cell, target) = match gz {
        Some(gz) => (
            format!("{:.1} KB gzipped (wasm + js + css)", gz / 1024.0),
            format!("≤ 350 KB {}", mark(gz / 1024.0 <= 350.0)),
        ),
        None => ("not measured".into(), "≤ 350 KB –".into()),
    };
    t.row(&[
        "release bundle (`scripts/bundle-size`)".into(),
        "–".into(),
        cell,
        "–".into(),
        "–".into(),
        target,
    ]);
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

/// Replaces the section under [`HEADING`] (up to the next `## ` heading) or appends it.
pub fn write_section(path: &Path, section: &str) {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let section = section.trim_end().to_owned() + "\n";
    let new = match old.find(HEADING) {
        Some(start) => {
            let rest = &old[start + HEADING.len()..];
            let end = rest
                .find("\n## ")
                .map_or(old.len(), |i| start + HEADING.len() + i + 1);
            format!(
                "{}{}{}{}",
                &old[..start],
                section,
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
    fn the_section_is_replaced_and_the_rest_kept() {
        let dir = std::env::temp_dir().join(format!("bench-section-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("B.md");
        std::fs::write(&path, "# B\n\n## Native\n\nx\n").unwrap();
        write_section(&path, &format!("{HEADING}\n\none\n"));
        write_section(&path, &format!("{HEADING}\n\ntwo\n"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# B\n\n## Native\n\nx\n\n{HEADING}\n\ntwo\n")
        );
        std::fs::write(&path, format!("# B\n\n{HEADING}\n\nold\n\n## Later\n\ny\n")).unwrap();
        write_section(&path, &format!("{HEADING}\n\nnew\n"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# B\n\n{HEADING}\n\nnew\n\n## Later\n\ny\n")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
