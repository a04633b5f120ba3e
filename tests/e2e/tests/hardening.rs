//! Untrusted input, tried as a user and as an attacker would: a Hindi name with a stray `-` or
//! `"` typed or linked, a file of repeated damaged members. Each once crashed or froze the app;
//! here each must give a clear error and leave the app answering.

use std::time::{Duration, Instant};

use e2e::{dist_dir, Browser, Deployment, StaticServer};

async fn open(query: &str) -> (StaticServer, Browser) {
    let server = StaticServer::start(&dist_dir(), "/").await;
    let browser = Browser::start().await;
    browser.goto(&server.url(query)).await;
    browser.wait_for("[data-testid=loaded-count]").await;
    if !query.contains("api=") {
        // The demo is shown once the engine (in its worker) has read it.
        browser
            .eventually("the demo is loaded", || async {
                browser
                    .text("[data-testid=loaded-count]")
                    .await
                    .contains("(demo)")
            })
            .await;
    }
    (server, browser)
}

/// The app still answers: a fixed query narrows the list again.
async fn still_answers(b: &Browser) {
    let input = b.wait_for("[data-testid=search-input]").await;
    input.clear().await.unwrap();
    input.send_keys("type:identifier").await.unwrap();
    b.eventually("a fixed query shows results again", || async {
        b.all("[data-testid=error][data-kind=query]")
            .await
            .is_empty()
            && b.matching().await.is_some_and(|n| n > 0)
    })
    .await;
}

#[tokio::test]
async fn a_devanagari_query_with_a_stray_dash_or_quote_shows_the_inline_error() {
    let (_server, b) = open("").await;
    b.wait_for("[data-testid=event-row]").await;
    for typed in ["राम -", "नाम \"", "éé \"", "தமிழ் -"] {
        let input = b.wait_for("[data-testid=search-input]").await;
        input.clear().await.unwrap();
        input.send_keys(typed).await.unwrap();
        let error = b.wait_for("[data-testid=error][data-kind=query]").await;
        let text = error.text().await.unwrap();
        assert!(text.contains("position"), "`{typed}`: names where: {text}");
        // The query is shown back with the offending part marked, in the user's own script.
        let shown = b.text("[data-testid=query-error-text]").await;
        assert!(
            shown.contains(typed.trim_end_matches(['-', '"']).trim()),
            "{shown}"
        );
        still_answers(&b).await;
    }
    b.close().await;
}

#[tokio::test]
async fn a_link_with_a_devanagari_query_and_a_stray_quote_opens_with_the_error() {
    // `नाम "`, percent-encoded as a browser writes it.
    let (_server, b) = open("q=%E0%A4%A8%E0%A4%BE%E0%A4%AE%20%22").await;
    let error = b.wait_for("[data-testid=error][data-kind=query]").await;
    assert!(error.text().await.unwrap().contains("position"));
    let input = b.wait_for("[data-testid=search-input]").await;
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some("नाम \"")
    );
    assert!(b
        .text("[data-testid=loaded-count]")
        .await
        .contains("events loaded"));
    still_answers(&b).await;
    b.close().await;
}

#[tokio::test]
async fn a_file_of_repeated_damaged_members_is_reported_without_freezing_the_page() {
    let (_server, b) = open("").await;
    b.wait_for("[data-testid=event-row]").await;
    let before = b.text("[data-testid=loaded-count]").await;
    // 360 KB of `{"data":!,"data":!,…}`: recovery once rescanned the rest per member (25 s).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged-members.json");
    let mut body = String::from("{");
    while body.len() < 360_000 {
        body.push_str("\"data\":!,");
    }
    body.push_str("\"data\":!}");
    std::fs::write(&path, body).unwrap();
    let started = Instant::now();
    let input = b.wait_for("[data-testid=open-files]").await;
    input.send_keys(&path.display().to_string()).await.unwrap();
    b.eventually("the damaged file is reported", || async {
        !b.all("[data-testid=error][data-kind=damaged], [data-testid=error][data-kind=unrecognised], [data-testid=error][data-kind=nothing-loaded]")
            .await
            .is_empty()
    })
    .await;
    // Generous for 2 shared cores; the quadratic recovery took 25 s, the linear one milliseconds.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "reported after {took:?}");
    assert_eq!(
        b.text("[data-testid=loaded-count]").await,
        before,
        "nothing already loaded was lost"
    );
    still_answers(&b).await;
    b.close().await;
}

/// A link naming a look-alike host, as a phishing mail would send it.
const LOOK_ALIKE: &str =
    "api=https%3A%2F%2Feu.api.capillarytech.com.look-alike.example&auth=oauth&entityId=1";

#[tokio::test]
async fn a_link_cannot_steer_credentials_to_an_api_the_deployment_does_not_list() {
    // As shipped (`otherApis: false`): the link is refused, with the reason.
    let (_server, b) = open(LOOK_ALIKE).await;
    let refused = b
        .wait_for("[data-testid=error][data-kind=bad-request]")
        .await;
    assert!(refused.text().await.unwrap().contains("look-alike.example"));
    let api = b.wait_for("[data-testid=api-base]").await;
    let prefilled = api.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        !prefilled.contains("look-alike"),
        "prefilled with {prefilled}"
    );
    b.close().await;

    // A deployment that lets people type other APIs: the form opens, but the linked host is
    // not in it; the whole address is named with a plain warning.
    let app = StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            config: Some(Some(r#"{"otherApis": true}"#.into())),
            ..Deployment::default()
        },
    )
    .await;
    let b = Browser::start().await;
    b.goto(&app.url(LOOK_ALIKE)).await;
    let warning = b
        .wait_for("[data-testid=error][data-kind=unlisted-api]")
        .await;
    let text = warning.text().await.unwrap();
    assert!(
        text.contains("https://eu.api.capillarytech.com.look-alike.example")
            && text.contains("does not list"),
        "{text}"
    );
    let api = b.wait_for("[data-testid=api-base]").await;
    let prefilled = api.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        !prefilled.contains("look-alike"),
        "prefilled with {prefilled}"
    );
    b.close().await;
}

#[tokio::test]
async fn inside_a_frame_the_deployment_does_not_allow_no_credentials_can_be_entered() {
    let app = StaticServer::start(&dist_dir(), "/").await;
    let host = StaticServer::page(format!(
        r#"<!doctype html><title>Portal</title><iframe id="explorer" src="{}" width="1200" height="800"></iframe>"#,
        app.url("")
    ))
    .await;
    let b = Browser::start().await;
    b.goto(&host.url("")).await;
    let frame = b.wait_for("#explorer").await;
    frame
        .enter_frame()
        .await
        .expect("enter the explorer's frame");
    b.wait_for("[data-testid=event-row]").await;
    b.click("[data-testid=connect-toggle]").await;
    let why = b.wait_for("[data-testid=error][data-kind=framed]").await;
    let text = why.text().await.unwrap();
    assert!(
        text.contains(&host.origin()) && text.contains("own tab"),
        "{text}"
    );
    for field in ["password", "oauth-secret", "username", "oauth-key"] {
        assert!(
            b.all(&format!("[data-testid={field}]")).await.is_empty(),
            "{field} offered"
        );
    }
    b.close().await;
}
