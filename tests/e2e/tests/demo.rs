//! The explorer opens on its built-in demo data, from the host root and from a sub-path, and
//! keeps working after a reload.

use e2e::{dist_dir, Browser, StaticServer};

async fn demo_events_are_listed(prefix: &str) {
    let server = StaticServer::start(&dist_dir(), prefix).await;
    let browser = Browser::start().await;
    browser.goto(&server.url("")).await;

    browser.wait_for("[data-testid=event-row]").await;
    let rows = browser.all("[data-testid=event-row]").await;
    assert!(
        rows.len() >= 10,
        "expected the demo events, saw {} rows",
        rows.len()
    );
    let loaded = browser.text("[data-testid=loaded-count]").await;
    assert!(loaded.contains("events"), "loaded count reads {loaded:?}");
    let first = rows[0].text().await.unwrap();
    assert!(!first.trim().is_empty(), "first row is empty");

    // A reload must land on a working page again (no server rewrites needed at any path).
    browser.client.refresh().await.expect("reload");
    browser.wait_for("[data-testid=event-row]").await;
    let again = browser.all("[data-testid=event-row]").await.len();
    assert_eq!(again, rows.len(), "the same demo rows after a reload");
    browser.close().await;
}

#[tokio::test]
async fn demo_events_are_listed_at_the_root() {
    demo_events_are_listed("/").await;
}

#[tokio::test]
async fn demo_events_are_listed_under_a_sub_path() {
    demo_events_are_listed("/tools/audit/").await;
}
