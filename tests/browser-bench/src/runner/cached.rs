//! Issue 14's target: reopening a cached 100k-event trail. The release app, deployed with the
//! on-device cache enabled, loads a 100,000-record customer from the in-process simulator through
//! its connection panel (Basic auth kept for the tab, page size 1000), keeps it on the device,
//! and the page is reloaded. A script installed before the new document's own scripts run
//! (`Page.addScriptToEvaluateOnNewDocument` over chromedriver's CDP endpoint) times, from
//! navigation start: the app mounted (its search box in the DOM), the first rows of the kept trail
//! painted, and the whole trail shown (every event the first load had, the load over).

use e2e::StaticServer;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const RECORDS: u64 = 100_000;
pub const PAGE_SIZE: u64 = 1000;
const ENTITY: i64 = 555_000_222;

pub async fn measure() -> Result<Value, String> {
    let app = crate::fetching::deployable().await;
    let sim = capillary_sim::spawn(crate::fetching::one_customer(&app, ENTITY, RECORDS))
        .await
        .map_err(|e| format!("simulator: {e:?}"))?;
    app.set_config(&crate::fetching::config_for(
        &sim.url(),
        json!({ "cache": { "enabled": true, "expiryHours": 1 } }),
    ));
    let b = crate::run::browser().await;
    let out = reopen(&b, &app, &sim).await;
    b.close().await;
    sim.shutdown().await;
    out
}

async fn reopen(
    b: &e2e::Browser,
    app: &StaticServer,
    sim: &capillary_sim::Running,
) -> Result<Value, String> {
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    let mut args = crate::fetching::load_args(sim, ENTITY, RECORDS, PAGE_SIZE);
    args["keep"] = json!(true);
    let first = crate::fetching::run_script(b, crate::fetching::APP_LOAD_JS, &args).await?;
    let events = e2e::counts_in(&b.text("[data-testid=loaded-count]").await)
        .first()
        .copied()
        .ok_or("no event count after the load")?;
    let kept = kept_bytes(b).await?;
    let requests_before = sim.requests().len();
    b.client
        .issue_cmd(Cdp::new(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": REOPEN_JS.replace("EVENTS", &events.to_string()) }),
        ))
        .await
        .map_err(|e| format!("CDP: {e}"))?;
    b.client.refresh().await.map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let timing = loop {
        let v = b
            .client
            .execute("return window.__reopen || null", vec![])
            .await
            .map_err(|e| e.to_string())?;
        if v.get("all").is_some_and(|a| !a.is_null()) {
            break v;
        }
        if Instant::now() > deadline {
            return Err(format!("the kept trail was not shown whole: {v}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Let the refresh that follows run, then count what reached the API for the reopen itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let audits: Vec<String> = sim
        .requests()
        .into_iter()
        .skip(requests_before)
        .filter(|r| r.starts_with("/api_gateway/v2/audits"))
        .collect();
    Ok(json!({
        "events": events,
        "first_load": first,
        "kept_bytes": kept,
        "timing": timing,
        "audit_requests_after_reload": audits.len(),
        "audit_requests_without_start_date": audits.iter().filter(|a| !a.contains("startDate=")).count(),
        "cached_age": b.text("[data-testid=cached-age]").await,
    }))
}

/// The size of the one kept entry once it stops growing (the cache writes behind the load).
async fn kept_bytes(b: &e2e::Browser) -> Result<f64, String> {
    let mut last = -1.0;
    let mut steady = 0;
    for _ in 0..240 {
        let size = b
            .client
            .execute_async(KEPT_SIZE_JS, vec![])
            .await
            .map_err(|e| e.to_string())?
            .as_f64()
            .unwrap_or(-1.0);
        steady = if size > 0.0 && size == last {
            steady + 1
        } else {
            0
        };
        if steady >= 4 {
            return Ok(size);
        }
        last = size;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!("the kept entry never settled (last {last} bytes)"))
}

/// Bytes of the explorer's kept entries (one here), or -1 while they cannot be read.
const KEPT_SIZE_JS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('audit-explorer-trails');
  let bytes = 0;
  for await (const handle of dir.values()) bytes += (await handle.getFile()).size;
  done(bytes);
})().catch(() => done(-1));
"#;

/// Runs in the reloaded document before its own scripts: marks the app mounted, the first kept
/// rows painted (rAF + setTimeout after they are in the DOM) and the whole trail (EVENTS events
/// loaded, no progress bar) painted, in ms since navigation start.
const REOPEN_JS: &str = r#"
(() => {
  const r = { mounted: null, rows_dom: null, rows: null, all_dom: null, all: null };
  window.__reopen = r; r.probes = [];
  new BroadcastChannel('probe').onmessage = (e) => r.probes.push(e.data + ' @' + Math.round(performance.now()));
  const q = (c) => document.querySelector(c);
  const painted = (key) => requestAnimationFrame(() => setTimeout(() => { r[key] = performance.now(); }, 0));
  const check = () => {
    const now = performance.now();
    if (r.mounted === null && q('[data-testid=search-input]')) r.mounted = now;
    if (r.rows_dom === null && q('[data-testid=event-row]')) { r.rows_dom = now; painted('rows'); }
    const line = (q('[data-testid=loaded-count]') || {}).textContent || '';
    const m = line.replace(/,/g, '').match(/(\d+) events loaded/);
    if (r.all_dom === null && m && Number(m[1]) >= EVENTS && !q('[data-testid=load-progress]') && q('[data-testid=event-row]')) {
      r.all_dom = now; painted('all'); observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();
"#;

/// A Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    body: String,
}

impl Cdp {
    fn new(cmd: &str, params: Value) -> Cdp {
        Cdp {
            body: json!({ "cmd": cmd, "params": params }).to_string(),
        }
    }
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.clone()))
    }
}
