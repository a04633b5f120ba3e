//! The engine in its worker, as a person sees it: a million-record trail opened as files shows
//! its first rows while the rest loads; typing and switching views are answered while the load
//! still runs, and the load goes on while the page's thread is busy; Cancel stops it and keeps
//! what it read; a deployment whose CSP forbids the worker says so in a banner instead of half
//! working.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use capillary_vocab::count::Grouped;
use e2e::{dist_dir, Browser, Deployment, StaticServer, Trail};

/// A million records (742 MB of JSON in 1000 files), written once for the tests of this file.
fn million() -> &'static Trail {
    static TRAIL: OnceLock<Trail> = OnceLock::new();
    TRAIL.get_or_init(|| Trail::generate(Path::new(env!("CARGO_TARGET_TMPDIR")), 1_000_000))
}

/// The app on the demo, with `trail` being opened as files; returns once the first of its
/// rows are on screen (the load still running).
async fn opening(trail: &Trail) -> (StaticServer, Browser) {
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.goto(&server.url("")).await;
    b.eventually("the demo is loaded", || async {
        b.text("[data-testid=loaded-count]")
            .await
            .contains("(demo)")
    })
    .await;
    let input = b.wait_for("[data-testid=open-files]").await;
    input.send_keys(&trail.as_upload()).await.unwrap();
    let files = format!("{} files", Grouped::from(trail.files.len()));
    b.eventually(
        "the trail's first rows are shown while it loads",
        || async {
            b.text("[data-testid=loaded-count]").await.contains(&files)
                && !b.all("[data-testid=event-row]").await.is_empty()
                && loading(&b).await.is_some()
        },
    )
    .await;
    (server, b)
}

/// Pages read so far, while the load's progress bar is shown.
async fn loading(b: &Browser) -> Option<u64> {
    let value = b
        .client
        .execute(
            "const bar = document.querySelector('[data-testid=load-progress] progress'); \
             return bar ? bar.value : null",
            vec![],
        )
        .await
        .ok()?;
    value.as_f64().map(|v| v as u64)
}

/// Events loaded ("N events loaded (…)").
async fn loaded(b: &Browser) -> u64 {
    e2e::counts_in(&b.text("[data-testid=loaded-count]").await)
        .first()
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn typing_and_switching_views_during_a_million_record_load_are_answered_while_it_runs() {
    let trail = million();
    let (_server, b) = opening(trail).await;
    let started = loading(&b).await.expect("loading");
    assert!(started < trail.files.len() as u64);

    // A query typed now is answered now, not after the load.
    let all = b.matching().await;
    let input = b.wait_for("[data-testid=search-input]").await;
    input.send_keys("type:identifier").await.unwrap();
    let deadline = tokio::time::Instant::now() + e2e::PATIENCE;
    let still_loading = loop {
        let now = b.matching().await;
        if now.is_some() && now != all && !b.all("[data-testid=event-row]").await.is_empty() {
            break loading(&b).await.is_some();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the query is never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(still_loading, "answered while the load still ran");
    let identifier_rows = b
        .all("[data-testid=event-row][data-event-type=Identifier]")
        .await;
    assert_eq!(
        identifier_rows.len(),
        b.all("[data-testid=event-row]").await.len(),
        "only identifier changes are listed"
    );

    // A view switch too: the status log of what was read so far.
    b.click("[data-testid=view-status]").await;
    b.eventually("the status view is shown", || async {
        !b.all("[data-testid=status-entry]").await.is_empty()
            || !b.all("[data-testid=status-empty]").await.is_empty()
    })
    .await;
    assert!(
        loading(&b).await.is_some(),
        "the status view came while the load still ran"
    );
    b.click("[data-testid=view-timeline]").await;
    b.wait_for("[data-testid=event-row]").await;

    // And the load went on meanwhile.
    b.eventually("the load goes on", || async {
        loading(&b).await.is_none_or(|read| read > started)
    })
    .await;
}

#[tokio::test]
async fn the_load_goes_on_while_the_pages_thread_is_busy() {
    let trail = million();
    let (_server, b) = opening(trail).await;
    let before = loading(&b).await.expect("loading");
    // The page's thread busy for 3 s (long frames of scrolling and rendering, a slow machine):
    // the files are read and parsed where the engine runs, not between this thread's tasks.
    b.client
        .execute(
            "const t = performance.now(); while (performance.now() - t < 3000) {}",
            vec![],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = loading(&b).await.unwrap_or(trail.files.len() as u64);
    // Without the page, no more than 16 MB (~22 of these files) could be waiting unparsed.
    assert!(
        after >= before + 50,
        "pages read while the page was busy: {before} → {after}"
    );
}

#[tokio::test]
async fn cancelling_a_million_record_load_keeps_what_it_read_and_stops_reading() {
    let trail = million();
    let (_server, b) = opening(trail).await;
    b.click("[data-testid=load-cancel]").await;
    b.eventually("the progress bar goes", || async {
        loading(&b).await.is_none()
    })
    .await;
    let notice = b
        .wait_for("[data-testid=error][data-kind=nothing-loaded]")
        .await;
    let text = notice.text().await.unwrap();
    assert!(
        text.contains("cancelled after")
            && text.contains(&format!("of {} pages", Grouped::from(trail.files.len()))),
        "{text}"
    );
    let kept = loaded(&b).await;
    assert!(
        kept > 0 && kept < trail.records,
        "the events read before Cancel stay: {kept}"
    );
    assert!(b
        .text("[data-testid=loaded-count]")
        .await
        .contains("1,000 files"));

    // Nothing more is read after Cancel.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(loaded(&b).await, kept, "no page is read after Cancel");

    // And the app answers as before.
    let input = b.wait_for("[data-testid=search-input]").await;
    input.send_keys("type:identifier").await.unwrap();
    b.eventually("a query over what was kept", || async {
        b.matching().await.is_some_and(|n| n > 0 && n < kept)
    })
    .await;
}

#[tokio::test]
async fn a_csp_that_forbids_the_worker_gets_a_banner_saying_what_to_allow() {
    let server = StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            csp: Some(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'; \
                 style-src 'self'; connect-src 'self'"
                    .into(),
            ),
            ..Deployment::default()
        },
    )
    .await;
    let b = Browser::start().await;
    b.goto(&server.url("")).await;
    let banner = b.wait_for("[data-testid=error][data-kind=engine]").await;
    let text = banner.text().await.unwrap();
    assert!(
        text.contains("worker-src 'self'") && text.contains("could not start"),
        "{text}"
    );
    assert!(
        b.all("[data-testid=event-row]").await.is_empty(),
        "nothing half works: no rows without the engine"
    );
}
