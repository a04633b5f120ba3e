//! Faults on demand, per request (X-Sim-Fault) and per run (rules).

mod common;
use capillary_sim::Config;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const CUST: &str = "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653";

#[tokio::test]
async fn latency_status_and_retry_after() {
    let sim = start(small_config()).await;
    let t = Instant::now();
    let r = get_with(&sim, CUST, "X-Sim-Fault", "latency=150").await;
    assert_eq!(r.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    let r = get_with(&sim, CUST, "X-Sim-Fault", "status=500").await;
    assert_eq!((r.status, r.code()), (500, 500));
    let r = get_with(&sim, CUST, "X-Sim-Fault", "status=429,retry_after=7").await;
    assert_eq!((r.status, r.code()), (429, 429));
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    let r = get_with(&sim, CUST, "X-Sim-Fault", "status=521").await;
    assert_eq!((r.status, r.code()), (521, 521));
    assert_eq!(r.header("retry-after"), None);
    let r = get_with(&sim, CUST, "X-Sim-Fault", "explode").await;
    assert_eq!((r.status, r.code()), (400, 400));
    // Faults apply to the other endpoints and the token endpoint too.
    let r = get_with(
        &sim,
        "/v2/customers/98662653/statusLog",
        "X-Sim-Fault",
        "status=503",
    )
    .await;
    assert_eq!(r.status, 503);
    let r = send(
        client()
            .post(format!("{}/v3/oauth/token/generate", sim.url()))
            .header("X-Sim-Fault", "status=500")
            .body("{}"),
    )
    .await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn truncated_and_damaged_bodies() {
    let sim = start(small_config()).await;
    let full = get(&sim, CUST).await.body;
    let cut = get_with(&sim, CUST, "X-Sim-Fault", "truncate=40").await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.body.len(), full.len() * 40 / 100);
    assert!(full.starts_with(&cut.body));
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    let dmg = get_with(&sim, CUST, "X-Sim-Fault", "damage").await;
    assert_eq!(dmg.status, 200);
    let text = String::from_utf8(dmg.body.clone()).unwrap();
    assert!(serde_json::from_slice::<Value>(&dmg.body).is_err());
    assert!(text.contains('\u{201c}'), "curly quote");
    // Everything else survives: every requestId of the good page is there.
    for r in serde_json::from_slice::<Value>(&full).unwrap()["data"]
        .as_array()
        .unwrap()
    {
        assert!(text.contains(r["requestId"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn dropped_and_cut_connections() {
    let sim = start(small_config()).await;
    let err = client()
        .get(format!("{}{CUST}", sim.url()))
        .header("Authorization", auth())
        .header("X-Sim-Fault", "drop")
        .send()
        .await
        .expect_err("no response at all");
    assert!(!err.is_status());
    let resp = client()
        .get(format!("{}{CUST}", sim.url()))
        .header("Authorization", auth())
        .header("X-Sim-Fault", "cut=30")
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "body ends early");
    // The server is fine afterwards.
    assert_eq!(get(&sim, CUST).await.status, 200);
}

#[tokio::test]
async fn page_shift_changes_totals_between_pages() {
    let sim = start(small_config()).await;
    let p0 = get(&sim, &format!("{CUST}&limit=10")).await.json();
    assert_eq!(p0["pagination"]["totalElements"], 57);
    // Three new events arrive before page 1 is fetched.
    let p1 = get_with(
        &sim,
        &format!("{CUST}&limit=10&pageNo=1"),
        "X-Sim-Fault",
        "shift=3",
    )
    .await
    .json();
    assert_eq!(p1["pagination"]["totalElements"], 60);
    assert_eq!(p1["pagination"]["totalPages"], 6);
    // The last 3 records of page 0 show up again at the top of page 1.
    let tail0: Vec<&Value> = p0["data"].as_array().unwrap()[7..].iter().collect();
    let head1: Vec<&Value> = p1["data"].as_array().unwrap()[..3].iter().collect();
    assert_eq!(tail0, head1);
    // The arrivals are newer than everything and continue the story.
    let now0 = get(&sim, &format!("{CUST}&limit=3")).await.json();
    let newest_before = p0["data"][0]["autoUpdateTime"].as_i64().unwrap();
    for r in now0["data"].as_array().unwrap() {
        assert!(r["autoUpdateTime"].as_i64().unwrap() > newest_before);
        assert_eq!(r["entityId"], 98662653);
    }
    // Expiry: totals go down (52 → 51 as in the docs' example).
    let after = get_with(&sim, &format!("{CUST}&limit=10"), "X-Sim-Fault", "shift=-1")
        .await
        .json();
    assert_eq!(after["pagination"]["totalElements"], 59);
    assert_eq!(after["data"][0], now0["data"][1]);
}

#[tokio::test]
async fn a_test_adds_records_and_reads_the_requests_that_reached_the_api() {
    let sim = start(small_config()).await;
    assert!(sim.requests().is_empty());
    let before = get(&sim, &format!("{CUST}&limit=10")).await.json();
    assert_eq!(before["pagination"]["totalElements"], 57);
    assert!(sim.add_records(capillary_vocab::EntityType::Customer, 98662653, 3));
    assert!(!sim.add_records(capillary_vocab::EntityType::Customer, 1, 3));
    let after = get(&sim, &format!("{CUST}&limit=10")).await.json();
    assert_eq!(after["pagination"]["totalElements"], 60);
    let newest_before = before["data"][0]["autoUpdateTime"].as_i64().unwrap();
    assert!(after["data"][0]["autoUpdateTime"].as_i64().unwrap() > newest_before);
    // A request that fails its auth still reached the API: it is listed too.
    let _ = send(client().get(format!("{}/v2/customers/98662653/statusLog", sim.url()))).await;
    assert_eq!(
        sim.requests(),
        [
            format!("{CUST}&limit=10"),
            format!("{CUST}&limit=10"),
            "/v2/customers/98662653/statusLog".to_owned(),
        ]
    );
}

#[tokio::test]
async fn per_run_rules_follow_every_and_burst() {
    let sim = start(Config {
        faults: vec![
            "status=503,every=4,burst=2,path=/api_gateway".into(),
            "latency=30".into(),
        ],
        ..small_config()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(&sim, CUST).await.status);
    }
    assert_eq!(statuses, [503, 503, 200, 200, 503, 503, 200, 200]);
    // The path filter leaves other endpoints alone.
    assert_eq!(
        get(&sim, "/v2/customers/98662653/statusLog").await.status,
        200
    );
    // 429 bursts from a run rule.
    let bursts = start(Config {
        faults: vec!["status=429,retry_after=2,every=3,burst=2".into()],
        ..small_config()
    })
    .await;
    let mut s = Vec::new();
    for _ in 0..6 {
        let r = get(&bursts, CUST).await;
        if r.status == 429 {
            assert_eq!(r.header("retry-after").as_deref(), Some("2"));
        }
        s.push(r.status);
    }
    assert_eq!(s, [429, 429, 200, 429, 429, 200]);
}

#[tokio::test]
async fn the_fault_header_can_be_disabled() {
    let sim = start(Config {
        fault_header: false,
        ..small_config()
    })
    .await;
    assert_eq!(
        get_with(&sim, CUST, "X-Sim-Fault", "status=500")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_redirect_fault_answers_307_to_its_location() {
    let sim = start(small_config()).await;
    let r = send(
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{CUST}", sim.url()))
            .header("Authorization", auth())
            .header("X-Sim-Fault", "redirect=http://127.0.0.1:9/elsewhere"),
    )
    .await;
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location").as_deref(),
        Some("http://127.0.0.1:9/elsewhere")
    );
}
