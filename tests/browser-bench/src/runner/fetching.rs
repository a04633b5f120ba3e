//! The fetching targets, measured through the real app against the in-process simulator
//! (`capillary-sim`), in the same headless Chromium as the rest: the app loads a 10,000-record
//! customer through its connection panel (Basic auth, page size 50, the app's own fetch plan),
//! and a plain `fetch` loop in the same page fetches the same pages one after another.
//!
//! Under a rate limit the app runs twice: as shipped, not told the limit (it learns it from the
//! first 429 answers), and deployed with `"rateLimit"` in config.json (it paces from the first
//! request), each against a fresh simulator whose bucket starts full.

use capillary_sim::{Config, CustomerSize};
use e2e::{dist_dir, Deployment, StaticServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const RECORDS: u64 = 10_000;
pub const PAGE_SIZE: u64 = 50;
pub const LATENCY_MS: u64 = 100;
pub const RATE_PER_MINUTE: u32 = 100;
const ENTITY: i64 = 555_000_111;

/// What the app and the sequential loop took, per scenario.
#[derive(Debug, Default)]
pub struct Fetching {
    /// No rate limit: the app's load and the one-after-another loop.
    pub app: Option<Result<Value, String>>,
    pub sequential: Option<Result<Value, String>>,
    /// Under `RATE_PER_MINUTE`, the app not told the limit (it learns it from refusals).
    pub rate_learned: Option<Result<Value, String>>,
    /// Under `RATE_PER_MINUTE`, the limit stated in the deployment's config.json.
    pub rate_stated: Option<Result<Value, String>>,
}

pub async fn measure(app: &StaticServer, rate_limited: bool) -> Fetching {
    let mut out = Fetching::default();
    let (load, sequential) = scenario(app, None, true).await;
    out.app = Some(load);
    out.sequential = sequential;
    if rate_limited {
        out.rate_learned = Some(scenario(app, Some(RATE_PER_MINUTE), false).await.0);
        let stated = StaticServer::deploy(&dist_dir(), "/", stated_limit()).await;
        out.rate_stated = Some(scenario(&stated, Some(RATE_PER_MINUTE), false).await.0);
    }
    out
}

/// dist/ deployed with its own config.json plus `"rateLimit": RATE_PER_MINUTE`.
fn stated_limit() -> Deployment {
    let path = dist_dir().join("config.json");
    let mut config: serde_json::Map<String, Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    config.insert("rateLimit".into(), json!(RATE_PER_MINUTE));
    Deployment {
        config: Some(Some(Value::Object(config).to_string())),
        csp_header: false,
        ..Deployment::default()
    }
}

async fn scenario(
    app: &StaticServer,
    rate: Option<u32>,
    with_sequential: bool,
) -> (Result<Value, String>, Option<Result<Value, String>>) {
    let config = Config {
        cors_origins: vec![app.origin()],
        faults: vec![format!("latency={LATENCY_MS},path=/api_gateway")],
        rate_limit_per_minute: rate,
        customers: vec![CustomerSize {
            id: Some(ENTITY),
            records: RECORDS,
            cards: vec![],
            merge: false,
        }],
        ..Config::default()
    };
    let sim = match capillary_sim::spawn(config).await {
        Ok(s) => s,
        Err(e) => return (Err(format!("simulator: {e:?}")), None),
    };
    let b = crate::run::browser().await;
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    let args = json!({
        "sim": sim.url(),
        "entity": ENTITY.to_string(),
        "records": RECORDS,
        "limit": PAGE_SIZE,
        "auth": capillary_sim::basic_auth_header("demo", "demo123"),
    });
    let load = run_script(&b, APP_LOAD_JS, &args).await;
    let sequential = if with_sequential {
        Some(run_script(&b, SEQUENTIAL_JS, &args).await)
    } else {
        None
    };
    b.close().await;
    sim.shutdown().await;
    (load, sequential)
}

/// Starts `script` (which stores its outcome in `window.__fetch`) and polls for the outcome.
async fn run_script(b: &e2e::Browser, script: &str, args: &Value) -> Result<Value, String> {
    b.client
        .execute(
            &format!("window.__fetch = null; const args = arguments[0]; {script}"),
            vec![args.clone()],
        )
        .await
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let v = b
            .client
            .execute("return window.__fetch", vec![])
            .await
            .map_err(|e| e.to_string())?;
        if !v.is_null() {
            return match v.get("error") {
                Some(e) => Err(e.to_string()),
                None => Ok(v),
            };
        }
    }
    Err("no result within 10 minutes".into())
}

/// Fills the connection panel (fields set as typing would), clicks Load and waits until the
/// status line says every record is loaded. Requests and their HTTP status come from resource
/// timing (`responseStatus`), so refused (429) and failed requests are counted.
const APP_LOAD_JS: &str = r#"
(async () => {
  const q = (id) => document.querySelector(`[data-testid=${id}]`);
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const set = (id, v) => {
    const el = q(id);
    if (!el) throw new Error(`no ${id}`);
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };
  if (!q('connect-panel')) q('connect-toggle').click();
  await frame();
  set('api-base', args.sim);
  q('auth-basic').click();
  await frame();
  set('username', 'demo');
  set('password', 'demo123');
  set('entity-id', args.entity);
  set('param-limit', String(args.limit));
  await frame();
  performance.setResourceTimingBufferSize(100000);
  performance.clearResourceTimings();
  const want = `${args.records.toLocaleString('en-US')} of ${args.records.toLocaleString('en-US')} records loaded`;
  const t0 = performance.now();
  q('connect-load').click();
  for (;;) {
    await frame();
    const status = q('fetch-status')?.textContent ?? '';
    if (status.includes(want) && !q('fetch-cancel')) break;
    if (performance.now() - t0 > 590000) throw new Error(`not loaded: ${status}`);
  }
  const ms = performance.now() - t0;
  const api = performance.getEntriesByType('resource').filter((r) => r.name.startsWith(args.sim));
  const statuses = {};
  for (const r of api) statuses[r.responseStatus] = (statuses[r.responseStatus] ?? 0) + 1;
  const errors = [...document.querySelectorAll('[data-testid=error]')].map((e) => e.dataset.kind);
  return { ms, requests: api.length, statuses, errors, status: q('fetch-status').textContent };
})().then((v) => { window.__fetch = v; }, (e) => { window.__fetch = { error: String(e) }; });
"#;

/// The same listing's pages, one request after another, bodies read.
const SEQUENTIAL_JS: &str = r#"
(async () => {
  const pages = Math.ceil(args.records / args.limit);
  const t0 = performance.now();
  let bytes = 0;
  for (let p = 0; p < pages; p++) {
    const url = `${args.sim}/api_gateway/v2/audits?entityType=CUSTOMER&entityId=${args.entity}&limit=${args.limit}&pageNo=${p}`;
    const r = await fetch(url, { headers: { Authorization: args.auth } });
    if (!r.ok) throw new Error(`page ${p}: HTTP ${r.status}`);
    bytes += (await r.arrayBuffer()).byteLength;
  }
  return { ms: performance.now() - t0, requests: pages, bytes };
})().then((v) => { window.__fetch = v; }, (e) => { window.__fetch = { error: String(e) }; });
"#;
