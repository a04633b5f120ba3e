//! Authentication, OAuth tokens, rate limits, CORS, lifecycle.

mod common;
use capillary_sim::{basic_auth_header, AuthMode, Config};
use common::*;
use std::time::Duration;

const CUST: &str = "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653";

async fn token(sim: &capillary_sim::Running, body: &str) -> Reply {
    send(
        client()
            .post(format!("{}/v3/oauth/token/generate", sim.url()))
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn basic_auth_is_user_colon_md5_of_password() {
    let sim = start(Config {
        users: vec![capillary_sim::User {
            username: "store123".into(),
            password: "Pass123".into(),
        }],
        ..small_config()
    })
    .await;
    let url = format!("{}{CUST}", sim.url());
    let ok = send(
        client()
            .get(&url)
            .header("Authorization", basic_auth_header("store123", "Pass123")),
    )
    .await;
    assert_eq!(ok.status, 200);
    for (why, header) in [
        ("none", None),
        (
            "wrong password",
            Some(basic_auth_header("store123", "nope")),
        ),
        (
            "unknown user",
            Some(basic_auth_header("someone", "Pass123")),
        ),
        (
            "plain password instead of md5",
            Some(format!("Basic {}", {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode("store123:Pass123")
            })),
        ),
        ("not base64", Some("Basic %%%".into())),
        ("bearer", Some("Bearer abc".into())),
    ] {
        let mut req = client().get(&url);
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let r = send(req).await;
        assert_eq!((r.status, r.code()), (401, 401), "{why}");
    }
    // Every API endpoint is protected; the token endpoint is not.
    for path in [
        "/v2/auditLog/get?entityType=CUSTOMER&entityId=98662653",
        "/v2/customers/98662653/statusLog",
        "/v2/card/statusLog?number=x",
        "/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=1",
    ] {
        assert_eq!(send(client().get(format!("{}{path}", sim.url()))).await.status, 401, "{path}");
    }
}

#[tokio::test]
async fn oauth_tokens_work_until_their_ttl() {
    let sim = start(Config {
        token_ttl_secs: 1,
        ..small_config()
    })
    .await;
    let r = token(&sim, r#"{"key":"demo-key","secret":"demo-secret"}"#).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["errors"], serde_json::Value::Null);
    assert_eq!(v["data"]["ttlSeconds"], 1);
    let t = v["data"]["accessToken"].as_str().unwrap().to_string();
    assert_eq!(t.split('.').count(), 3, "JWT-shaped");
    let call = || {
        send(
            client()
                .get(format!("{}{CUST}", sim.url()))
                .header("X-CAP-API-OAUTH-TOKEN", &t),
        )
    };
    assert_eq!(call().await.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = call().await;
    assert_eq!((expired.status, expired.code()), (401, 401));
    assert!(expired.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let bogus = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("X-CAP-API-OAUTH-TOKEN", "abc"),
    )
    .await;
    assert_eq!(bogus.status, 401);
    // A fresh token works again, and differs.
    let t2 = token(&sim, r#"{"key":"demo-key","secret":"demo-secret"}"#)
        .await
        .json()["data"]["accessToken"]
        .clone();
    assert_ne!(t2.as_str().unwrap(), t);
    assert_eq!(
        send(
            client()
                .get(format!("{}{CUST}", sim.url()))
                .header("X-CAP-API-OAUTH-TOKEN", t2.as_str().unwrap())
        )
        .await
        .status,
        200
    );
    assert_eq!(
        token(&sim, r#"{"key":"demo-key","secret":"wrong"}"#)
            .await
            .status,
        401
    );
    assert_eq!(token(&sim, r#"{"key":"demo-key"}"#).await.status, 400);
    assert_eq!(token(&sim, "key=demo-key").await.status, 400);
}

#[tokio::test]
async fn no_auth_mode_accepts_anonymous_requests() {
    let sim = start(Config {
        auth: AuthMode::None,
        ..small_config()
    })
    .await;
    let r = send(client().get(format!("{}{CUST}", sim.url()))).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn rate_limit_is_per_credential_with_retry_after() {
    let sim = start(Config {
        rate_limit_per_minute: Some(3),
        ..small_config()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(get(&sim, CUST).await.status, 200);
    }
    let r = get(&sim, CUST).await;
    assert_eq!((r.status, r.code()), (429, 429));
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "one request per 20 s: {wait}");
    // Another credential has its own budget.
    let t = token(&sim, r#"{"key":"demo-key","secret":"demo-secret"}"#)
        .await
        .json()["data"]["accessToken"]
        .clone();
    let other = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("X-CAP-API-OAUTH-TOKEN", t.as_str().unwrap()),
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(get(&sim, CUST).await.status, 429);
}

async fn preflight(sim: &capillary_sim::Running, origin: &str) -> Reply {
    send(
        client()
            .request(reqwest::Method::OPTIONS, format!("{}{CUST}", sim.url()))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header(
                "Access-Control-Request-Headers",
                "authorization,x-cap-api-oauth-token",
            ),
    )
    .await
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let sim = start(Config {
        cors_origins: vec!["http://127.0.0.1:8080".into()],
        rate_limit_per_minute: Some(1),
        ..small_config()
    })
    .await;
    let ok = preflight(&sim, "http://127.0.0.1:8080").await;
    assert!(ok.status < 300, "{}", ok.status);
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    let allowed = ok
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["authorization", "x-cap-api-oauth-token", "content-type"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    let get_ok = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("Origin", "http://127.0.0.1:8080")
            .header("Authorization", auth()),
    )
    .await;
    assert_eq!(get_ok.status, 200);
    assert_eq!(
        get_ok.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    // Errors carry CORS headers too, and Retry-After is readable by the page.
    let limited = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("Origin", "http://127.0.0.1:8080")
            .header("Authorization", auth()),
    )
    .await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    assert!(limited
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase()
        .contains("retry-after"));
    let unauth = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("Origin", "http://127.0.0.1:8080"),
    )
    .await;
    assert_eq!(unauth.status, 401);
    assert!(unauth.header("access-control-allow-origin").is_some());
    // Other origins get no allow-origin.
    let other = preflight(&sim, "http://evil.example").await;
    assert_eq!(other.header("access-control-allow-origin"), None);

    let any = start(Config {
        cors_origins: vec!["*".into()],
        ..small_config()
    })
    .await;
    assert_eq!(
        preflight(&any, "http://anything.example")
            .await
            .header("access-control-allow-origin")
            .as_deref(),
        Some("*")
    );
}

#[tokio::test]
async fn without_cors_there_are_no_cors_headers_at_all() {
    let sim = start(small_config()).await;
    let pre = preflight(&sim, "http://127.0.0.1:8080").await;
    assert_eq!(pre.status, 404);
    assert!(pre
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
    let r = send(
        client()
            .get(format!("{}{CUST}", sim.url()))
            .header("Origin", "http://127.0.0.1:8080")
            .header("Authorization", auth()),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
}

#[tokio::test]
async fn spawn_on_a_bound_listener_and_shut_down() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = capillary_sim::spawn_on(listener, small_config())
        .await
        .unwrap();
    assert_eq!(sim.addr(), addr);
    assert!(sim.addr().ip().is_loopback());
    assert_eq!(get(&sim, CUST).await.status, 200);
    sim.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port closed after shutdown"
    );
}

#[tokio::test]
async fn invalid_setups_are_refused() {
    let bad_fault = Config {
        faults: vec!["explode".into()],
        ..small_config()
    };
    assert!(capillary_sim::spawn(bad_fault).await.is_err());
    let missing = Config {
        datasets: vec!["/nonexistent/file.json".into()],
        ..small_config()
    };
    assert!(capillary_sim::spawn(missing)
        .await
        .unwrap_err()
        .to_string()
        .contains("/nonexistent/file.json"));
    let no_dist = Config {
        dist: Some(temp_dir("empty-dist")),
        ..small_config()
    };
    assert!(capillary_sim::spawn(no_dist).await.is_err());
}
