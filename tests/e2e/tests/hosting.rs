//! Static hosting: a deep link survives a refresh on a plain file host at a sub-path; config.json
//! is read at run time (a broken or missing one is explained and safe defaults apply); the
//! Content-Security-Policy is in force (an injected inline script does not run).

use e2e::{dist_dir, Browser, Deployment, StaticServer};
use serde_json::Value;

async fn problems(b: &Browser) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in b.all("[data-testid=error]").await {
        let kind = e.attr("data-kind").await.unwrap().unwrap_or_default();
        out.push((kind, e.text().await.unwrap_or_default()));
    }
    out
}

async fn zone(b: &Browser) -> String {
    let select = b.wait_for("[data-testid=zone-select]").await;
    select.prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn a_deep_link_survives_a_refresh_on_a_plain_host_at_a_sub_path() {
    let app = StaticServer::start(&dist_dir(), "/tools/audit/").await;
    let b = Browser::start().await;
    // Find a real event key from the demo first, as a person copying a link would.
    b.goto(&app.url("q=field%3Amobile&tz=%2B05%3A30")).await;
    b.click("[data-testid=event-row]").await;
    b.wait_for("[data-testid=event-detail]").await;
    let link = b.url().await;
    assert!(
        link.contains("/tools/audit/?"),
        "stays under the sub-path: {link}"
    );
    assert!(
        link.contains("event="),
        "the selection is in the link: {link}"
    );
    let detail = b.text("[data-testid=event-detail]").await;

    // The same link in a fresh tab, then refreshed: same filter, same event, same zone.
    b.goto(&link).await;
    b.client.refresh().await.unwrap();
    b.wait_for("[data-testid=event-detail]").await;
    assert_eq!(b.url().await, link);
    assert_eq!(b.text("[data-testid=event-detail]").await, detail);
    assert_eq!(zone(&b).await, "+05:30", "times in the link's zone");
    let search = b.wait_for("[data-testid=search-input]").await;
    assert_eq!(
        search.prop("value").await.unwrap().as_deref(),
        Some("field:mobile")
    );
    b.close().await;
}

#[tokio::test]
async fn the_csp_header_is_in_force_and_the_app_runs_under_it() {
    let app = StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            config: None,
            csp_header: true,
            ..Deployment::default()
        },
    )
    .await;
    let b = Browser::start().await;
    b.goto(&app.url("")).await;
    // The app itself runs: its scripts are files on its own origin, nothing inline.
    b.wait_for("[data-testid=event-row]").await;
    let inline = b
        .client
        .execute(
            "return [...document.scripts].filter(s => !s.src).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inline, Value::from(0), "no inline script in the page");
    // An inline script injected into the page (as an XSS would) does not run, and a
    // connection to a host config.json does not list is refused.
    let outcome = b
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const violations = [];
               document.addEventListener('securitypolicyviolation',
                   e => violations.push(e.effectiveDirective));
               const s = document.createElement('script');
               s.textContent = 'window.__injected = true;';
               document.body.appendChild(s);
               let fetched = 'no';
               try { await fetch('http://127.0.0.1:9/steal'); fetched = 'yes'; }
               catch (e) { fetched = 'refused'; }
               setTimeout(() => done({ ran: window.__injected === true, violations, fetched }), 200);"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(outcome["ran"], Value::from(false), "{outcome}");
    let violations = outcome["violations"].to_string();
    assert!(violations.contains("script-src"), "{outcome}");
    assert!(violations.contains("connect-src"), "{outcome}");
    assert_eq!(outcome["fetched"], Value::from("refused"));
    b.close().await;
}

#[tokio::test]
async fn without_headers_the_page_still_refuses_inline_script() {
    // A bucket that sends no headers: the page's own <meta> policy still applies.
    let app = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    let ran = b
        .client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__injected = 1';
             document.body.appendChild(s); return window.__injected === 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran, Value::from(false));
    b.close().await;
}

#[tokio::test]
async fn config_json_is_read_at_run_time_and_a_broken_one_is_explained() {
    let config = r#"{
        "apis": [{"api": "/capillary", "label": "Company proxy"}],
        "otherApis": false,
        "authModes": ["none"],
        "timeZone": "+05:30",
        "pageSize": 200,
        "theme": "dark"
    }"#;
    let app = StaticServer::deploy(
        &dist_dir(),
        "/tools/audit/",
        Deployment {
            config: Some(Some(config.into())),
            csp_header: true,
            ..Deployment::default()
        },
    )
    .await;
    let b = Browser::start().await;
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    assert!(problems(&b).await.is_empty(), "{:?}", problems(&b).await);
    let theme = b
        .client
        .execute("return document.documentElement.dataset.theme", vec![])
        .await
        .unwrap();
    assert_eq!(theme, Value::from("dark"));
    assert_eq!(
        zone(&b).await,
        "+05:30",
        "the configured zone applies without `tz`"
    );
    assert!(
        !b.url().await.contains("tz="),
        "the default zone stays out of links"
    );
    b.click("[data-testid=connect-toggle]").await;
    let api = b.wait_for("[data-testid=api-base]").await;
    assert_eq!(
        api.prop("value").await.unwrap().as_deref(),
        Some("/capillary")
    );
    let limit = b.wait_for("[data-testid=param-limit]").await;
    assert_eq!(limit.prop("value").await.unwrap().as_deref(), Some("200"));
    assert!(
        b.all("[data-testid=auth-basic]").await.is_empty(),
        "only `none` offered"
    );
    assert_eq!(b.all("[data-testid=auth-none]").await.len(), 1);

    // A link to an API the config does not allow is refused with the reason, demo kept.
    b.goto(&app.url("api=https%3A%2F%2Fevil.example.com&entityId=1"))
        .await;
    b.wait_for("[data-testid=error][data-kind=bad-request]")
        .await;
    let said = problems(&b).await;
    assert!(
        said.iter()
            .any(|(_, m)| m.contains("connects only to /capillary")),
        "{said:?}"
    );
    b.close().await;

    for (config, needle) in [
        (Some("{ \"apis\": [\"eu\", }".to_owned()), "not valid JSON"),
        (None, "was not found"),
    ] {
        let app = StaticServer::deploy(
            &dist_dir(),
            "/",
            Deployment {
                config: Some(config),
                csp_header: false,
                ..Deployment::default()
            },
        )
        .await;
        let b = Browser::start().await;
        b.goto(&app.url("")).await;
        // The demo still loads with safe defaults, and the problem is named.
        b.wait_for("[data-testid=event-row]").await;
        b.wait_for("[data-testid=error][data-kind=config]").await;
        let said = problems(&b).await;
        assert!(
            said.iter().any(|(k, m)| k == "config"
                && m.contains(needle)
                && m.contains("safe defaults")
                && m.contains("no other APIs")),
            "{said:?}"
        );
        b.close().await;
    }
}
