//! The real app opening a generated trail from files: the release dist/ served on loopback
//! (cross-origin isolated, so the page can measure both threads' memory), the demo page opened,
//! the trail uploaded through `[data-testid=open-files]`, and `app.js` measuring in the page.

use std::path::Path;
use std::time::{Duration, Instant};

use e2e::{dist_dir, Deployment, StaticServer, Trail};
use fantoccini::Locator;
use serde_json::{json, Value};

/// Longest one upload may take from the file input to the last measure.
const LIMIT: Duration = Duration::from_secs(40 * 60);

/// The in-page measurement (see the file's header).
const APP_JS: &str = include_str!("app.js");

/// dist/ as a host that isolates its origin would serve it (`measureUserAgentSpecificMemory`
/// needs it); the page's own CSP meta still holds.
pub async fn server() -> StaticServer {
    StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            cross_origin_isolated: true,
            ..Deployment::default()
        },
    )
    .await
}

/// Writes (or reuses) a trail of `records` records as page files under `trails`, opens it in
/// the app and returns what the page measured, plus the trail's size on disk.
pub async fn measure(
    app: &StaticServer,
    trails: &Path,
    records: usize,
    rounds: usize,
) -> Result<Value, String> {
    let t = Instant::now();
    let trail = Trail::generate(trails, records as u64);
    eprintln!(
        "bench-browser: app n={records}: trail of {} files ready in {:.0} s",
        trail.files.len(),
        t.elapsed().as_secs_f64()
    );
    let b = crate::run::browser().await;
    let outcome = drive(&b, app, &trail, rounds).await;
    b.close().await;
    outcome
}

async fn drive(
    b: &e2e::Browser,
    app: &StaticServer,
    trail: &Trail,
    rounds: usize,
) -> Result<Value, String> {
    b.goto(&app.url("")).await;
    b.eventually("the demo is loaded", || async {
        b.text("[data-testid=loaded-count]")
            .await
            .contains("(demo)")
    })
    .await;
    let files = match trail.files.len() {
        1 => trail.files[0]
            .file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
        n => format!("{} files", capillary_vocab::count::Grouped::from(n)),
    };
    let cfg = json!({
        "files": files,
        "records": trail.records,
        "filters": browser_bench::FILTERS,
        "keystrokes": browser_bench::keystrokes(),
        "rounds": rounds,
    });
    b.client
        .execute(APP_JS, vec![cfg])
        .await
        .map_err(|e| format!("inject: {e}"))?;
    let input = b
        .client
        .find(Locator::Css("[data-testid=open-files]"))
        .await
        .map_err(|e| format!("file input: {e}"))?;
    let rss_before = renderer_rss();
    input
        .send_keys(&trail.as_upload())
        .await
        .map_err(|e| format!("upload: {e}"))?;
    let deadline = Instant::now() + LIMIT;
    let mut rss_after = None;
    loop {
        if Instant::now() > deadline {
            return Err(format!("no result within {LIMIT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        match b
            .client
            .execute(
                "const a = window.__app; \
                 return a && (a.done || (a.memoryReady && !a.memoryTaken)) ? a : null",
                vec![],
            )
            .await
        {
            Ok(Value::Null) => continue,
            Ok(v) if v["done"] != Value::Bool(true) => {
                rss_after = renderer_rss();
                let _ = b
                    .client
                    .execute("window.__app.memoryTaken = true", vec![])
                    .await;
            }
            Ok(v) => {
                return match v.get("error") {
                    Some(e) => Err(e.as_str().unwrap_or("error").to_owned()),
                    None => {
                        let mut result = v["result"].clone();
                        result["renderer_rss_before"] = json!(rss_before);
                        result["renderer_rss_after"] = json!(rss_after);
                        Ok(result)
                    }
                }
            }
            Err(e) if e.to_string().contains("crash") => return Err(format!("tab crashed: {e}")),
            Err(e) => eprintln!("bench-browser: still waiting ({e})"),
        }
    }
}

/// Resident bytes of this run's Chromium renderer processes (`VmRSS`), found as descendants of
/// this process with `--type=renderer`: the page's main thread and its worker share one
/// renderer, so this counts both threads (plus Blink's and V8's own). Linux only; `None`
/// elsewhere. Other browsers on the machine (other sessions' tests) are not our descendants.
fn renderer_rss() -> Option<u64> {
    let read = |pid: &str, file: &str| std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok();
    let mut parent = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(stat) = read(&pid, "stat") else {
            continue;
        };
        // `pid (comm) state ppid …`: the command may hold spaces, so read after its `)`.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .unwrap_or("0")
            .to_owned();
        parent.insert(pid, ppid);
    }
    let me = std::process::id().to_string();
    let ours = |pid: &str| {
        let mut p = pid.to_owned();
        for _ in 0..16 {
            match parent.get(&p) {
                Some(up) if *up == me => return true,
                Some(up) => p.clone_from(up),
                None => return false,
            }
        }
        false
    };
    let mut total = 0;
    let mut found = false;
    for pid in parent.keys().filter(|p| ours(p)) {
        let renderer = read(pid, "cmdline").is_some_and(|c| c.contains("--type=renderer"));
        let rss = read(pid, "status").and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
        if let (true, Some(kb)) = (renderer, rss) {
            total += kb * 1024;
            found = true;
        }
    }
    found.then_some(total)
}
