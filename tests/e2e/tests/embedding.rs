//! Embedding: a host page on a second loopback origin frames the explorer, hands it an OAuth token
//! by `postMessage`, and the explorer loads the entity from the simulator; the host hears about
//! view changes. Messages from an origin config.json does not list change nothing.

use capillary_sim::Config;
use e2e::{dist_dir, Browser, Deployment, StaticServer};
use fantoccini::Locator;
use serde_json::{json, Value};

/// The README's host snippet, as a portal would use it: wait for `ready`, get a token from the
/// API itself, send `connect`. Every message the explorer sends is kept in `window.received`.
const HOST_PAGE: &str = r#"<!doctype html>
<html><head><title>Admin portal</title></head>
<body>
<h1>Customer 98662654</h1>
<iframe id="explorer" title="Audit trail" style="width:420px;height:760px;border:0"></iframe>
<script>
  const params = new URLSearchParams(location.search);
  const app = params.get('app');
  const api = params.get('api');
  const explorerOrigin = new URL(app).origin;
  const frame = document.getElementById('explorer');
  window.received = [];
  window.addEventListener('message', async (event) => {
    if (event.origin !== explorerOrigin || event.source !== frame.contentWindow) return;
    window.received.push(event.data);
    if (event.data.type === 'audit-explorer:ready') {
      const response = await fetch(api + '/v3/oauth/token/generate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: 'demo-key', secret: 'demo-secret' }),
      });
      const token = (await response.json()).data.accessToken;
      frame.contentWindow.postMessage(
        { type: 'audit-explorer:connect', api, token, theme: 'dark' }, explorerOrigin);
    }
  });
  frame.src = app;
</script>
</body></html>"#;

/// A page that frames the explorer and tries to drive it without being allowed to.
const INTRUDER_PAGE: &str = r#"<!doctype html>
<html><body>
<iframe id="explorer" style="width:420px;height:760px"></iframe>
<script>
  const params = new URLSearchParams(location.search);
  const frame = document.getElementById('explorer');
  window.received = [];
  window.addEventListener('message', (event) => window.received.push(event.data));
  frame.src = params.get('app');
  window.sendConnect = async (api) => {
    const response = await fetch(api + '/v3/oauth/token/generate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: 'demo-key', secret: 'demo-secret' }),
    });
    const token = (await response.json()).data.accessToken;
    for (const message of [
      { type: 'audit-explorer:connect', api, token, theme: 'dark' },
      { type: 'audit-explorer:open', entityType: 'CUSTOMER', entityId: '98662655' },
      JSON.stringify({ type: 'audit-explorer:connect', api, token }),
    ]) frame.contentWindow.postMessage(message, '*');
    return 'sent';
  };
</script>
</body></html>"#;

/// A simulator (CORS open, as the host page fetches tokens from it too) and the explorer
/// deployed with a config.json that offers only that simulator and lets `host` embed it.
async fn simulator_and_explorer(
    host: &StaticServer,
    prefix: &str,
    csp_header: bool,
) -> (capillary_sim::Running, StaticServer) {
    let sim = capillary_sim::spawn(Config {
        cors_origins: vec!["*".into()],
        ..Config::default()
    })
    .await
    .expect("simulator starts");
    let config = json!({
        "apis": [sim.url()],
        "otherApis": false,
        "authModes": ["oauth"],
        "allowedParentOrigins": [host.origin()],
    });
    let deployment = Deployment {
        config: Some(Some(config.to_string())),
        csp_header,
        ..Deployment::default()
    };
    let app = StaticServer::deploy(&dist_dir(), prefix, deployment).await;
    (sim, app)
}

async fn received(b: &Browser) -> Vec<Value> {
    b.client.enter_parent_frame().await.ok();
    let v = b
        .client
        .execute("return window.received", vec![])
        .await
        .unwrap();
    v.as_array().cloned().unwrap_or_default()
}

async fn enter_explorer(b: &Browser) {
    let frame = b.wait_for("#explorer").await;
    frame
        .enter_frame()
        .await
        .expect("enter the explorer's frame");
}

#[tokio::test]
async fn a_host_page_hands_over_a_token_and_the_explorer_loads_from_the_simulator() {
    let host = StaticServer::page(HOST_PAGE.into()).await;
    let (sim, app) = simulator_and_explorer(&host, "/tools/audit/", true).await;
    assert_ne!(host.origin(), app.origin(), "two origins");
    // The host just links the entity: no `api`, no credentials in the URL.
    let explorer = app.url("embed=1&entityType=CUSTOMER&entityId=98662654");
    let b = Browser::start().await;
    b.goto(&format!(
        "{}?app={}&api={}",
        host.url(""),
        urlencode(&explorer),
        urlencode(&sim.url())
    ))
    .await;
    enter_explorer(&b).await;
    b.eventually("the simulator's records are listed", || async {
        let loaded = b.text("[data-testid=loaded-count]").await;
        let entity = b.text("[data-testid=entity]").await;
        loaded.contains("12 events") || (entity.contains("98662654") && !loaded.starts_with("0 "))
    })
    .await;
    assert!(b.text("[data-testid=entity]").await.contains("98662654"));
    assert!(
        b.all("[data-testid=connect-toggle]").await.is_empty(),
        "no connection panel when the host supplies the connection"
    );
    assert!(b.all("[data-testid=connect-panel]").await.is_empty());
    let theme = b
        .client
        .execute("return document.documentElement.dataset.theme", vec![])
        .await
        .unwrap();
    assert_eq!(theme, Value::from("dark"), "the host's theme");
    let inside = b
        .client
        .execute("return location.href + ' ' + sessionStorage.length", vec![])
        .await
        .unwrap();
    let inside = inside.as_str().unwrap().to_owned();
    assert!(
        !inside.contains("token") && inside.ends_with(" 0"),
        "the token is in memory only: {inside}"
    );

    // The user changes the view inside the frame: the host hears of it.
    b.click("[data-testid=view-status]").await;
    b.eventually("the host is told of the view change", || async {
        let got = received(&b).await;
        enter_explorer(&b).await;
        got.iter()
            .any(|m| m["type"] == "audit-explorer:view" && m["view"] == "status")
    })
    .await;
    let got = received(&b).await;
    let types: Vec<&str> = got.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(types.first(), Some(&"audit-explorer:ready"), "{types:?}");
    assert!(types.contains(&"audit-explorer:connected"), "{types:?}");
    let view = got
        .iter()
        .rev()
        .find(|m| m["type"] == "audit-explorer:view")
        .unwrap();
    assert_eq!(view["entity"]["entityId"], "98662654", "{view}");
    assert!(
        view["query"].as_str().unwrap().contains("view=status"),
        "{view}"
    );
    b.close().await;
}

#[tokio::test]
async fn messages_from_an_unlisted_origin_change_nothing() {
    let allowed = StaticServer::page(HOST_PAGE.into()).await;
    let intruder = StaticServer::page(INTRUDER_PAGE.into()).await;
    // No CSP header here, so the intruder can frame the explorer at all: what is tested is
    // the message check itself, not frame-ancestors.
    let (sim, app) = simulator_and_explorer(&allowed, "/", false).await;
    let explorer = app.url("embed=1&entityType=CUSTOMER&entityId=98662654");
    let b = Browser::start().await;
    b.goto(&format!(
        "{}?app={}",
        intruder.url(""),
        urlencode(&explorer)
    ))
    .await;
    enter_explorer(&b).await;
    // Framed by a page the deployment does not allow: no credentials can be entered here, and
    // the explorer says so instead of waiting for a host that may not connect it.
    b.eventually(
        "the explorer refuses credential entry in this frame",
        || async {
            b.text("[data-testid=fetch-status]")
                .await
                .contains("does not allow")
        },
    )
    .await;
    b.client.enter_parent_frame().await.unwrap();
    let sent = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.sendConnect(arguments[0]).then(done, e => done(String(e)));",
            vec![Value::from(sim.url())],
        )
        .await
        .unwrap();
    assert_eq!(sent, Value::from("sent"));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        received(&b).await.is_empty(),
        "nothing is said to an unlisted origin"
    );
    enter_explorer(&b).await;
    assert!(b
        .text("[data-testid=fetch-status]")
        .await
        .contains("does not allow"));
    let loaded = b.text("[data-testid=loaded-count]").await;
    assert!(loaded.starts_with("0 events"), "nothing loaded: {loaded}");
    let url = b
        .client
        .execute("return location.href", vec![])
        .await
        .unwrap();
    assert!(
        url.as_str().unwrap().contains("entityId=98662654"),
        "not steered: {url}"
    );
    assert!(b
        .client
        .find(Locator::Css("html[data-theme]"))
        .await
        .is_err());
    b.close().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
