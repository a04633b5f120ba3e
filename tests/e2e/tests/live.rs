//! The live API flows against the in-process simulator: connect with Basic or OAuth, fetch every
//! page with progress, open by identifier, and name each failure plainly (401, 404/8015, CORS
//! blocked, damaged pages), retrying what can be retried.

use capillary_sim::Config;
use e2e::{dist_dir, Browser, Deployment, StaticServer};

/// The fetch line (it comes and goes with the live load).
const FETCH_STATUS: &str = "[data-testid=fetch-status]";

/// The explorer on a static host and a simulator that allows it by CORS (unless `cors` is off).
/// The deployment's config.json lists the simulator as its API, as a real deployment lists its
/// cluster (and, as shipped, lets nobody type or link another).
async fn setup(mut config: Config, cors: bool) -> (StaticServer, capillary_sim::Running, Browser) {
    let deployment = Deployment {
        config: Some(None),
        csp_header: false,
        ..Deployment::default()
    };
    let app = StaticServer::deploy(&dist_dir(), "/", deployment).await;
    if cors {
        config.cors_origins = vec![app.origin()];
    }
    let sim = capillary_sim::spawn(config)
        .await
        .expect("simulator starts");
    app.set_config(&format!(r#"{{"apis": ["{}"]}}"#, sim.url()));
    let browser = Browser::start().await;
    browser.goto(&app.url("")).await;
    browser.wait_for("[data-testid=event-row]").await;
    (app, sim, browser)
}

async fn select(b: &Browser, testid: &str, value: &str) {
    let el = b.wait_for(&format!("[data-testid={testid}]")).await;
    el.select_by_value(value).await.unwrap();
}

/// Opens the panel and loads `id` (or an identifier when `by` is not "id") with Basic auth.
async fn connect_basic(b: &Browser, api: &str, user: &str, password: &str, by: &str, value: &str) {
    if b.all("[data-testid=connect-panel]").await.is_empty() {
        b.click("[data-testid=connect-toggle]").await;
    }
    b.fill("api-base", api).await;
    b.click("[data-testid=auth-basic]").await;
    b.fill("username", user).await;
    b.fill("password", password).await;
    select(b, "open-by", by).await;
    b.fill("entity-id", value).await;
    b.click("[data-testid=connect-load]").await;
}

async fn error_kinds(b: &Browser) -> Vec<String> {
    let mut kinds = Vec::new();
    for e in b.all("[data-testid=error]").await {
        kinds.push(e.attr("data-kind").await.unwrap().unwrap_or_default());
    }
    kinds
}

#[tokio::test]
async fn basic_auth_loads_every_page_and_the_link_reproduces_the_view_without_secrets() {
    let (_app, sim, b) = setup(Config::default(), true).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662655").await;
    b.eventually("all 5,000 records arrive", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("5,000 of 5,000 records loaded")
    })
    .await;
    let status = b.text_now(FETCH_STATUS).await;
    assert!(status.contains("pages"), "{status}");
    assert!(b.text("[data-testid=entity]").await.contains("98662655"));
    let link = b.url().await;
    assert!(
        link.contains("entityId=98662655") && link.contains("api="),
        "{link}"
    );
    assert!(
        !link.contains("demo123") && !link.to_lowercase().contains("password"),
        "no secrets in {link}"
    );
    let stored: serde_json::Value = b
        .client
        .execute(
            "return [localStorage.length, sessionStorage.length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        stored,
        serde_json::json!([0, 0]),
        "nothing kept unless asked"
    );

    // Another entity, then Back: the first one comes back.
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    b.eventually("the small customer loads", || async {
        b.text("[data-testid=entity]").await.contains("98662654")
            && b.text_now(FETCH_STATUS).await.contains("12 of 12")
    })
    .await;
    b.client.back().await.unwrap();
    b.eventually("Back reopens the first entity", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("5,000 of 5,000 records loaded")
    })
    .await;

    // A reload keeps the link but not the in-memory credentials: it asks instead of sending.
    b.client.refresh().await.unwrap();
    let ask = b
        .wait_for("[data-testid=error][data-kind=credentials-needed]")
        .await;
    assert!(
        ask.text().await.unwrap().contains(&sim.url()),
        "names the origin"
    );
    b.close().await;
}

#[tokio::test]
async fn identifier_lookup_oauth_and_status_logs() {
    let (_app, sim, b) = setup(Config::default(), true).await;
    b.click("[data-testid=connect-toggle]").await;
    b.fill("api-base", &sim.url()).await;
    b.click("[data-testid=auth-oauth]").await;
    b.fill("oauth-key", "demo-key").await;
    b.fill("oauth-secret", "demo-secret").await;
    select(&b, "open-by", "cardnumber").await;
    let demo = audit_gen_card_number();
    b.fill("entity-id", &demo).await;
    b.click("[data-testid=connect-load]").await;
    b.eventually("the demo customer loads by card number", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("240 of 240 records loaded")
    })
    .await;
    assert!(b.text("[data-testid=entity]").await.contains("100200300"));
    b.click("[data-testid=view-status]").await;
    b.wait_for("[data-testid=status-entry]").await;
    let mut statuses = Vec::new();
    for e in b.all("[data-testid=status-entry]").await {
        statuses.push(e.attr("data-status").await.unwrap().unwrap_or_default());
    }
    assert!(
        statuses.iter().any(|s| s == "NOT_ISSUED"),
        "card status log fetched too: {statuses:?}"
    );
    b.close().await;
}

/// The demo card's number: the simulator serves audit-gen's demo story.
fn audit_gen_card_number() -> String {
    audit_gen::demo().card_number
}

#[tokio::test]
async fn wrong_password_and_unknown_customer_are_named_plainly() {
    let (_app, sim, b) = setup(Config::default(), true).await;
    connect_basic(&b, &sim.url(), "demo", "wrong", "id", "98662654").await;
    let e = b
        .wait_for("[data-testid=error][data-kind=unauthorized]")
        .await;
    assert!(!e.text().await.unwrap().is_empty());
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "424242").await;
    let e = b.wait_for("[data-testid=error][data-kind=not-found]").await;
    let text = e.text().await.unwrap().to_lowercase();
    assert!(text.contains("customer"), "{text}");
    b.close().await;
}

#[tokio::test]
async fn a_cluster_without_cors_is_explained_with_the_proxy_fix() {
    let (_app, sim, b) = setup(Config::default(), false).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    let e = b.wait_for("[data-testid=error][data-kind=network]").await;
    let text = e.text().await.unwrap().to_lowercase();
    assert!(
        text.contains("proxy"),
        "explains the same-origin proxy: {text}"
    );
    // The demo data that was on screen is still there.
    assert!(
        !b.all("[data-testid=event-row]").await.is_empty()
            || b.text_now(FETCH_STATUS).await.contains("0")
    );
    b.close().await;
}

#[tokio::test]
async fn rate_limits_server_errors_and_damaged_pages_are_survived() {
    let config = Config {
        faults: vec![
            "status=429,every=7,burst=1,retry_after=1,path=/api_gateway".into(),
            "status=500,every=11,burst=1,path=/api_gateway".into(),
            "damage,every=13,burst=1,path=/api_gateway".into(),
        ],
        ..Config::default()
    };
    let (_app, sim, b) = setup(config, true).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662655").await;
    // The form's default page size is 50: 100 pages.
    let deadline = std::time::Instant::now() + e2e::PATIENCE;
    loop {
        let s = b.text_now(FETCH_STATUS).await;
        // Damaged pages lose their damaged records (reported below); every page is loaded.
        if s.contains("of 5,000 records loaded") && s.contains("100 of 100 pages") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the listing did not complete: {s:?}, problems {:?}",
            error_kinds(&b).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let kinds = error_kinds(&b).await;
    assert!(
        kinds.iter().any(|k| k == "damaged"),
        "damaged pages reported: {kinds:?}"
    );
    assert!(
        !kinds.iter().any(|k| k == "server" || k == "rate-limited"),
        "retried, not failed: {kinds:?}"
    );
    b.close().await;
}

#[tokio::test]
async fn credentials_are_bound_to_their_origin() {
    let (app, sim, b) = setup(Config::default(), true).await;
    let other = capillary_sim::spawn(Config {
        cors_origins: vec![app.origin()],
        ..Config::default()
    })
    .await
    .unwrap();
    // Keep them for the tab so a reload restores them.
    b.click("[data-testid=connect-toggle]").await;
    b.click("[data-testid=keep-session]").await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    b.eventually("loads", || async {
        b.text_now(FETCH_STATUS).await.contains("12 of 12")
    })
    .await;

    // A link to another API host in the same tab: the kept credentials are not sent there, and
    // since the deployment does not list that host (and lets nobody add one), the link is
    // refused with the whole address named, and the form is not prefilled with it.
    let link = app.url(&format!(
        "api={}&entityType=CUSTOMER&entityId=98662654",
        other.url()
    ));
    b.goto(&link).await;
    let refused = b
        .wait_for("[data-testid=error][data-kind=bad-request]")
        .await;
    let text = refused.text().await.unwrap();
    assert!(
        text.contains(&other.url()) && text.contains("connects only to"),
        "{text}"
    );
    let api_field = b.wait_for("[data-testid=api-base]").await;
    assert_ne!(
        api_field.prop("value").await.unwrap().as_deref(),
        Some(other.url().as_str()),
        "an unlisted API is never prefilled"
    );
    assert!(
        !b.text_now(FETCH_STATUS).await.contains("records loaded"),
        "nothing fetched"
    );

    // The original host's link still works from the tab's session.
    b.goto(&app.url(&format!(
        "api={}&entityType=CUSTOMER&entityId=98662654",
        sim.url()
    )))
    .await;
    b.eventually("kept credentials reload the link", || async {
        b.text_now(FETCH_STATUS).await.contains("12 of 12")
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn served_from_the_api_origin_no_cors_is_needed() {
    // Like a same-origin reverse proxy: the simulator serves dist/ under a sub-path and the API
    // at its root, and sends no CORS headers at all. The deployment lists that API (a copy of
    // dist/ gets a config.json naming it, once the simulator's address is known).
    let dist = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dist_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dist.path().join(entry.file_name())).unwrap();
    }
    let config = Config {
        dist: Some(dist.path().to_owned()),
        dist_prefix: "/tools/audit/".into(),
        ..Config::default()
    };
    let sim = capillary_sim::spawn(config)
        .await
        .expect("simulator starts");
    std::fs::write(
        dist.path().join("config.json"),
        format!(r#"{{"apis": ["{}"]}}"#, sim.url()),
    )
    .unwrap();
    let b = Browser::start().await;
    b.goto(&format!("{}/tools/audit/", sim.url())).await;
    b.wait_for("[data-testid=event-row]").await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    b.eventually("loads without CORS", || async {
        b.text_now(FETCH_STATUS).await.contains("12 of 12")
    })
    .await;
    assert!(
        error_kinds(&b).await.is_empty(),
        "{:?}",
        error_kinds(&b).await
    );
    b.close().await;
}

#[tokio::test]
async fn forbidden_and_a_bad_link_parameter_are_named() {
    let config = Config {
        faults: vec!["status=403,path=/api_gateway".into()],
        ..Config::default()
    };
    let (app, sim, b) = setup(config, true).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    let e = b.wait_for("[data-testid=error][data-kind=forbidden]").await;
    let text = e.text().await.unwrap().to_lowercase();
    assert!(text.contains("access"), "names the access group: {text}");

    // A shared link with a malformed parameter says which one, and opens the panel to fix it.
    b.goto(&app.url(&format!("api={}&entityId=12ab", sim.url())))
        .await;
    let e = b
        .wait_for("[data-testid=error][data-kind=bad-request]")
        .await;
    assert!(e.text().await.unwrap().contains("entityId"));
    b.wait_for("[data-testid=connect-panel]").await;
    b.close().await;
}

#[tokio::test]
async fn oauth_tokens_are_renewed_during_a_long_listing() {
    // Tokens live 2 s; 100 pages at 150 ms each take longer than that.
    let config = Config {
        token_ttl_secs: 2,
        faults: vec!["latency=150,path=/api_gateway".into()],
        ..Config::default()
    };
    let (_app, sim, b) = setup(config, true).await;
    b.click("[data-testid=connect-toggle]").await;
    b.fill("api-base", &sim.url()).await;
    b.click("[data-testid=auth-oauth]").await;
    b.fill("oauth-key", "demo-key").await;
    b.fill("oauth-secret", "demo-secret").await;
    b.fill("entity-id", "98662655").await;
    b.click("[data-testid=connect-load]").await;
    b.eventually("every page arrives across token renewals", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("5,000 of 5,000 records loaded")
    })
    .await;
    assert!(
        error_kinds(&b).await.is_empty(),
        "{:?}",
        error_kinds(&b).await
    );
    b.close().await;
}

#[tokio::test]
async fn a_card_opens_by_its_number_and_links_to_its_customer() {
    let (_app, sim, b) = setup(Config::default(), true).await;
    b.click("[data-testid=connect-toggle]").await;
    select(&b, "open-by", "cardnumber").await;
    select(&b, "entity-type", "CARD").await;
    connect_basic(
        &b,
        &sim.url(),
        "demo",
        "demo123",
        "cardnumber",
        &audit_gen_card_number(),
    )
    .await;
    b.eventually("the card's own trail loads", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("6 of 6 records loaded")
    })
    .await;
    let demo = audit_gen::demo();
    assert!(b
        .text("[data-testid=entity]")
        .await
        .contains(&format!("CARD {}", demo.card_id)));
    // From a linked card event to its customer, fetched from the API.
    b.click("[data-testid=event-row][data-event-type='Card Status']")
        .await;
    b.click("[data-testid=event-detail] [data-testid=entity-link]")
        .await;
    b.eventually("the customer's trail loads", || async {
        b.text_now(FETCH_STATUS)
            .await
            .contains("240 of 240 records loaded")
    })
    .await;
    assert!(b.url().await.contains("entityId=100200300"));
    b.close().await;
}

#[tokio::test]
async fn a_failed_listing_resumes_and_a_running_one_cancels_keeping_what_loaded() {
    // The first four audit requests fail (page 0 uses up its attempts), everything after works.
    let config = Config {
        faults: vec![
            "status=500,every=100000,burst=4,path=/api_gateway".into(),
            "latency=120,path=/api_gateway".into(),
        ],
        ..Config::default()
    };
    let (_app, sim, b) = setup(config, true).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662655").await;
    b.wait_for("[data-testid=error][data-kind=server]").await;
    b.click("[data-testid=fetch-resume]").await;
    b.eventually("the retried failure's banner goes", || async {
        !error_kinds(&b).await.iter().any(|k| k == "server")
    })
    .await;
    b.eventually("the resumed listing makes progress", || async {
        let s = b.text_now(FETCH_STATUS).await;
        s.contains("of 5,000 records loaded") && !s.starts_with("0 of")
    })
    .await;
    // Cancel while pages are still coming: what is loaded stays on screen.
    b.click("[data-testid=fetch-cancel]").await;
    b.eventually("cancelled", || async {
        b.text_now(FETCH_STATUS).await.contains("cancelled")
    })
    .await;
    let status = b.text_now(FETCH_STATUS).await;
    assert!(
        !status.contains("5,000 of 5,000"),
        "stopped before the end: {status}"
    );
    assert!(
        !b.all("[data-testid=event-row]").await.is_empty(),
        "loaded rows stay"
    );
    b.close().await;
}

#[tokio::test]
async fn a_hundred_thousand_events_stay_virtualized_and_scroll_to_the_oldest() {
    // Smoothness is measured by the performance benchmarks; this checks the mechanics at scale:
    // every page arrives, the DOM holds a bounded window of rows, and scrolling reaches the end.
    let config = Config {
        customers: vec![capillary_sim::CustomerSize {
            id: Some(77_000_001),
            records: 100_000,
            cards: Vec::new(),
            merge: false,
        }],
        ..Config::default()
    };
    let (_app, sim, b) = setup(config, true).await;
    b.click("[data-testid=connect-toggle]").await;
    b.click("[data-testid=connect-panel] details.advanced summary")
        .await;
    b.fill("param-limit", "1000").await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "77000001").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while !b
        .text_now(FETCH_STATUS)
        .await
        .contains("100,000 of 100,000 records loaded")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            b.text_now(FETCH_STATUS).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let rows = b.all("[data-testid=event-row]").await.len();
    assert!(rows > 0 && rows < 200, "{rows} DOM rows for 100k+ events");
    let newest = b.text("[data-testid=event-row] time").await;
    let list = b.wait_for(".event-list").await;
    b.client
        .execute(
            "const l = arguments[0]; l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event('scroll'));",
            vec![serde_json::to_value(&list).unwrap()],
        )
        .await
        .unwrap();
    b.eventually("the oldest events render at the bottom", || async {
        let times: Vec<String> = {
            let mut v = Vec::new();
            for t in b.all("[data-testid=event-row] time").await {
                v.push(t.text().await.unwrap_or_default());
            }
            v
        };
        // The newest rows are unmounted once the window moved 100k rows down; all are older.
        !times.is_empty()
            && times.iter().all(|t| t < &newest)
            && b.all("[data-testid=event-row]").await.len() < 200
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_redirect_from_the_api_never_takes_the_credentials_elsewhere() {
    // Where the redirect points: a server that counts every request that reaches it.
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let thief = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let thief_url = format!("http://{}", thief.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { "thanks" }
        });
        axum::serve(thief, app).await.unwrap();
    });
    let config = Config {
        faults: vec![format!("redirect={thief_url}/steal,path=/api_gateway")],
        ..Config::default()
    };
    let (_app, sim, b) = setup(config, true).await;
    connect_basic(&b, &sim.url(), "demo", "demo123", "id", "98662654").await;
    let e = b
        .wait_for("[data-testid=error][data-kind=redirected]")
        .await;
    assert!(e.text().await.unwrap().contains("redirect"));
    b.wait_for("[data-testid=fetch-resume]").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing, credentials least of all, was sent where the redirect pointed"
    );
    b.close().await;
}
