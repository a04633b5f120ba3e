//! The fetching targets, measured through the real app against the in-process simulator
//! (`capillary-sim`), in the same headless Chromium as the rest: the app loads a 10,000-record
//! customer through its connection panel (Basic auth, page size 50, the app's own fetch plan),
//! and a plain `fetch` loop in the same page fetches the same pages one after another.
//!
//! Under a rate limit the app runs twice: as shipped, not told the limit (it learns it from the
//! first 429 answers), and deployed with `"rateLimit"` in config.json (it paces from the first
//! request), each against a fresh simulator whose bucket starts full.
//!
//! Each run deploys dist/ with a config.json that lists the simulator in `apis` (the explorer
//! takes no credentials for an API its deployment does not list) beside the shipped settings.

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

pub async fn measure(rate_limited: bool) -> Fetching {
    let mut out = Fetching::default();
    let (load, sequential) = scenario(None, false, true).await;
    out.app = Some(load);
    out.sequential = sequential;
    if rate_limited {
        out.rate_learned = Some(scenario(Some(RATE_PER_MINUTE), false, false).await.0);
        out.rate_stated = Some(scenario(Some(RATE_PER_MINUTE), true, false).await.0);
    }
    out
}

/// dist/ deployed with a config.json its tests set (see [`config_for`]).
pub async fn deployable() -> StaticServer {
    StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            config: Some(None),
            csp_header: false,
            ..Deployment::default()
        },
    )
    .await
}

/// A simulator answering `app`'s page, holding one customer of `records` records.
pub fn one_customer(app: &StaticServer, id: i64, records: u64) -> Config {
    Config {
        cors_origins: vec![app.origin()],
        customers: vec![CustomerSize {
            id: Some(id),
            records,
            cards: vec![],
            merge: false,
        }],
        ..Config::default()
    }
}

/// The shipped config.json with the simulator at `sim` as its one API, and `extra` members.
pub fn config_for(sim: &str, extra: Value) -> String {
    let path = dist_dir().join("config.json");
    let mut config: serde_json::Map<String, Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    config.insert("apis".into(), json!([sim]));
    if let Value::Object(extra) = extra {
        config.extend(extra);
    }
    Value::Object(config).to_string()
}

async fn scenario(
    rate: Option<u32>,
    stated: bool,
    with_sequential: bool,
) -> (Result<Value, String>, Option<Result<Value, String>>) {
    let app = deployable().await;
    let config = Config {
        faults: vec![format!("latency={LATENCY_MS},path=/api_gateway")],
        rate_limit_per_minute: rate,
        ..one_customer(&app, ENTITY, RECORDS)
    };
    let sim = match capillary_sim::spawn(config).await {
        Ok(s) => s,
        Err(e) => return (Err(format!("simulator: {e:?}")), None),
    };
    let extra = if stated {
        json!({ "rateLimit": RATE_PER_MINUTE })
    } else {
        json!({})
    };
    app.set_config(&config_for(&sim.url(), extra));
    let b = crate::run::browser().await;
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    let args = load_args(&sim, ENTITY, RECORDS, PAGE_SIZE);
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

/// What [`APP_LOAD_JS`] and [`SEQUENTIAL_JS`] are given: the simulator, the customer, its size
/// and the page size, and the demo user's Basic header.
pub fn load_args(sim: &capillary_sim::Running, entity: i64, records: u64, limit: u64) -> Value {
    json!({
        "sim": sim.url(),
        "entity": entity.to_string(),
        "records": records,
        "limit": limit,
        "auth": capillary_sim::basic_auth_header("demo", "demo123"),
    })
}

/// Starts `script` (which stores its outcome in `window.__fetch`) and polls for the outcome.
pub async fn run_script(b: &e2e::Browser, script: &str, args: &Value) -> Result<Value, String> {
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
/// status line says every record is loaded (`args.keep`: with the credentials kept for the tab). Requests and their HTTP status come from resource
/// timing (`responseStatus`), so refused (429) and failed requests are counted.
pub const APP_LOAD_JS: &str = r#"
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
  if (args.keep && !q('keep-session').checked) q('keep-session').click();
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
