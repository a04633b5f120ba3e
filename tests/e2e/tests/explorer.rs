//! The explorer's flows on the built-in demo, the way a support agent uses them: type a query,
//! click facets and rows, switch views, reload, press Back, use the keyboard.

use e2e::{dist_dir, Browser, StaticServer};
use fantoccini::key::Key;

async fn open(query: &str) -> (StaticServer, Browser) {
    let server = StaticServer::start(&dist_dir(), "/tools/audit/").await;
    let browser = Browser::start().await;
    browser.goto(&server.url(query)).await;
    // The data is shown once the engine (in its worker) has read it: wait as a person would.
    browser
        .eventually("the demo is loaded", || async {
            browser
                .text("[data-testid=loaded-count]")
                .await
                .contains("(demo)")
        })
        .await;
    (server, browser)
}

/// `N of M events` → (N, M); no count shown yet reads as (`u64::MAX`, 0), which no
/// condition waited for holds.
async fn match_count(b: &Browser) -> (u64, u64) {
    b.match_count().await.unwrap_or((u64::MAX, 0))
}

#[tokio::test]
async fn typing_a_query_narrows_the_list_and_lives_in_the_url() {
    let (_server, b) = open("").await;
    b.wait_for("[data-testid=event-row]").await;
    let (all, total) = match_count(&b).await;
    assert_eq!(all, total, "no filter: everything matches");
    let history_before: u32 = b
        .client
        .execute("return history.length", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap() as u32;

    let input = b.wait_for("[data-testid=search-input]").await;
    input
        .send_keys("type:identifier field:mobile")
        .await
        .unwrap();
    b.eventually("the count narrows", || async {
        match_count(&b).await.0 < total
    })
    .await;
    let (n, _) = match_count(&b).await;
    assert!(n > 0, "the demo changes mobile numbers");
    for row in b.all("[data-testid=event-row]").await {
        assert_eq!(
            row.attr("data-event-type").await.unwrap().as_deref(),
            Some("Identifier")
        );
        assert_eq!(
            row.attr("data-field").await.unwrap().as_deref(),
            Some("mobile")
        );
    }
    let url = b.url().await;
    assert!(
        url.contains("q=type%3Aidentifier%20field%3Amobile"),
        "query in URL: {url}"
    );
    let history_after: u32 = b
        .client
        .execute("return history.length", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap() as u32;
    assert_eq!(
        history_after, history_before,
        "typing replaces the history entry instead of pushing"
    );

    // A reload (or a shared link) reproduces the view.
    b.client.refresh().await.unwrap();
    b.wait_for("[data-testid=event-row]").await;
    assert_eq!(match_count(&b).await.0, n);
    let value = b
        .wait_for("[data-testid=search-input]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("type:identifier field:mobile"));
    b.close().await;
}

#[tokio::test]
async fn a_malformed_query_shows_an_inline_error_with_its_position() {
    let (_server, b) = open("").await;
    let input = b.wait_for("[data-testid=search-input]").await;
    input.send_keys("tpye:identifier").await.unwrap();
    let error = b.wait_for("[data-testid=error][data-kind=query]").await;
    let text = error.text().await.unwrap();
    assert!(text.contains("position 1"), "names the position: {text}");
    assert!(
        text.to_lowercase().contains("unknown qualifier"),
        "says why: {text}"
    );
    // Fixing it clears the error and shows results again.
    input.clear().await.unwrap();
    input.send_keys("type:identifier").await.unwrap();
    b.eventually("the error goes away", || async {
        b.all("[data-testid=error][data-kind=query]")
            .await
            .is_empty()
    })
    .await;
    assert!(match_count(&b).await.0 > 0);
    b.close().await;
}

#[tokio::test]
async fn facet_chips_include_and_exclude_and_clear_all_resets() {
    let (_server, b) = open("").await;
    let (_, total) = match_count(&b).await;
    let chip = b
        .wait_for(
            "[data-testid=facet-chip][data-facet=type][data-value='Customer Status'] .chip-include",
        )
        .await;
    let count = e2e::counts_in(
        &chip
            .find(fantoccini::Locator::Css(".chip-count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )[0];
    chip.click().await.unwrap();
    b.eventually("only Customer Status events", || async {
        match_count(&b).await.0 == count
    })
    .await;
    for row in b.all("[data-testid=event-row]").await {
        assert_eq!(
            row.attr("data-event-type").await.unwrap().as_deref(),
            Some("Customer Status")
        );
    }
    // Back undoes the facet click (a discrete action gets its own history entry).
    b.client.back().await.unwrap();
    b.eventually("Back restores the full list", || async {
        match_count(&b).await.0 == total
    })
    .await;

    b.wait_for(
        "[data-testid=facet-chip][data-facet=type][data-value='Customer Status'] .chip-exclude",
    )
    .await
    .click()
    .await
    .unwrap();
    b.eventually("Customer Status excluded", || async {
        match_count(&b).await.0 == total - count
    })
    .await;
    let value = b
        .wait_for("[data-testid=search-input]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(value, "-type:\"Customer Status\"");
    b.click("[data-testid=clear-filters]").await;
    b.eventually("Clear all restores everything", || async {
        match_count(&b).await.0 == total
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn an_event_opens_in_detail_by_permalink_and_back_closes_it() {
    let (server, b) = open("q=field%3Amobile").await;
    let row = b.wait_for("[data-testid=event-row]").await;
    let request_id = row.attr("data-request-id").await.unwrap().unwrap();
    row.click().await.unwrap();
    let detail = b.wait_for("[data-testid=event-detail]").await;
    let text = detail.text().await.unwrap();
    assert!(text.contains(&request_id), "detail shows the request id");
    let lower = text.to_lowercase();
    assert!(
        lower.contains("before") && lower.contains("after"),
        "old and new value: {text}"
    );
    let url = b.url().await;
    assert!(url.contains("event="), "selection is in the URL: {url}");

    // The permalink opens the same event in a fresh browser.
    let other = Browser::start().await;
    other.goto(&url).await;
    let detail2 = other.wait_for("[data-testid=event-detail]").await;
    assert!(detail2.text().await.unwrap().contains(&request_id));
    other.close().await;

    // Raw JSON is there, as text.
    b.click("[data-testid=event-detail] details.raw summary")
        .await;
    let raw = b.text("[data-testid=raw-json]").await;
    assert!(
        raw.contains("\"requestId\"") && raw.contains(&request_id),
        "raw JSON: {raw}"
    );

    b.client.back().await.unwrap();
    b.eventually("Back closes the detail", || async {
        b.all("[data-testid=event-detail]").await.is_empty()
    })
    .await;
    assert!(
        b.url().await.contains("q=field%3Amobile"),
        "the query survives"
    );
    drop(server);
    b.close().await;
}

#[tokio::test]
async fn keyboard_slash_j_k_enter_and_escape() {
    let (_server, b) = open("").await;
    b.wait_for("body").await.send_keys("/").await.unwrap();
    b.eventually("`/` focuses search", || async {
        b.client
            .execute(
                "return document.activeElement && document.activeElement.dataset.testid",
                vec![],
            )
            .await
            .unwrap()
            == serde_json::json!("search-input")
    })
    .await;
    b.wait_for("[data-testid=search-input]")
        .await
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    let body = b.wait_for("body").await;
    body.send_keys("jj").await.unwrap();
    let focused = b.wait_for(".event-row.focused").await;
    let expected_request = focused.attr("data-request-id").await.unwrap();
    body.send_keys("k").await.unwrap();
    body.send_keys("j").await.unwrap();
    body.send_keys(&Key::Enter.to_string()).await.unwrap();
    let detail = b.wait_for("[data-testid=event-detail]").await;
    assert!(detail
        .text()
        .await
        .unwrap()
        .contains(expected_request.as_deref().unwrap_or("")));
    body.send_keys(&Key::Escape.to_string()).await.unwrap();
    b.eventually("Esc closes the detail", || async {
        b.all("[data-testid=event-detail]").await.is_empty()
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn status_log_view_shows_periods_with_the_current_one_marked() {
    let (_server, b) = open("").await;
    b.click("[data-testid=view-status]").await;
    b.wait_for("[data-testid=status-entry]").await;
    let entries = b.all("[data-testid=status-entry]").await;
    assert!(
        entries.len() >= 2,
        "customer and card periods, got {}",
        entries.len()
    );
    let mut current = 0;
    let mut statuses = Vec::new();
    for e in &entries {
        statuses.push(e.attr("data-status").await.unwrap().unwrap_or_default());
        if e.attr("class")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("current")
        {
            current += 1;
        }
    }
    assert!(statuses.iter().any(|s| s == "ACTIVE"), "{statuses:?}");
    assert!(
        statuses.iter().any(|s| s == "NOT_ISSUED"),
        "the card starts NOT_ISSUED: {statuses:?}"
    );
    assert_eq!(current, 2, "one current period per lane (customer, card)");
    assert!(b.url().await.contains("view=status"));
    // Back returns to the timeline.
    b.client.back().await.unwrap();
    b.wait_for("[data-testid=event-row]").await;
    b.close().await;
}

#[tokio::test]
async fn field_history_and_state_as_of_a_date() {
    let (_server, b) = open("view=history&field=mobile").await;
    let table = b.wait_for("[data-testid=field-history]").await;
    let rows = b.all("[data-testid=history-entry]").await;
    assert!(
        rows.len() >= 2,
        "the demo changes the mobile number several times"
    );
    assert!(!table.text().await.unwrap().is_empty());
    let heading = b.text(".history-main h2").await;
    assert!(
        heading.contains("mobile"),
        "heading names the field: {heading}"
    );
    let input = b.wait_for("[data-testid=as-of-input]").await;
    b.client
        .execute(
            "const i = arguments[0]; i.value = '2023-06-30'; i.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![serde_json::to_value(&input).unwrap()],
        )
        .await
        .unwrap();
    b.wait_for("[data-testid=as-of-entry][data-field=mobile]")
        .await;
    assert!(b.url().await.contains("asof="));
    b.close().await;
}

#[tokio::test]
async fn dragging_across_the_histogram_sets_the_time_range() {
    let (_server, b) = open("").await;
    b.wait_for("[data-testid=event-row]").await;
    let (_, total) = match_count(&b).await;
    let svg = b.wait_for("[data-testid=histogram] svg").await;
    // Pointing at a bar says what it holds; leaving the chart gives the axis back.
    let pointed = b
        .client
        .execute_async(
            r#"const [svg, done] = arguments; const r = svg.getBoundingClientRect();
               const label = () => document.querySelector('[data-testid=histogram-label]').textContent;
               const at = (type, f) => svg.dispatchEvent(new PointerEvent(type,
                   {bubbles: true, clientX: r.left + r.width * f, clientY: r.top + r.height / 2}));
               (async () => {
                 for (let i = 0; i < 100; i++) {
                   at('pointermove', (i + 0.5) / 100);
                   await new Promise((ok) => requestAnimationFrame(ok));
                   if (/ events? · /.test(label())) { const bar = label(); at('pointerleave', 0);
                     await new Promise((ok) => requestAnimationFrame(ok)); return done([bar, label()]); }
                 }
                 done([label(), label()]);
               })();"#,
            vec![serde_json::to_value(&svg).unwrap()],
        )
        .await
        .unwrap();
    let (bar, left) = (pointed[0].as_str().unwrap(), pointed[1].as_str().unwrap());
    let count = e2e::counts_in(bar).first().copied().unwrap_or(0);
    assert!(
        count > 0 && bar.contains(" · 20"),
        "a bar says how many events it holds and when: {bar}"
    );
    assert!(left.contains("drag to pick a time range"), "{left}");
    b.client
        .execute(
            r#"const svg = arguments[0]; const r = svg.getBoundingClientRect();
               const at = (type, f) => svg.dispatchEvent(new PointerEvent(type,
                   {bubbles: true, clientX: r.left + r.width * f, clientY: r.top + r.height / 2}));
               at('pointerdown', 0.25); at('pointermove', 0.5); at('pointerup', 0.75);"#,
            vec![serde_json::to_value(&svg).unwrap()],
        )
        .await
        .unwrap();
    b.eventually("the range narrows the result", || async {
        let (n, _) = match_count(&b).await;
        n > 0 && n < total
    })
    .await;
    let link = b.url().await;
    assert!(
        link.contains("from=") && link.contains("to="),
        "range in the URL: {link}"
    );
    assert!(b
        .text("[data-testid=histogram-label]")
        .await
        .contains("double-click"));
    b.client.refresh().await.unwrap();
    b.eventually("the range survives a reload", || async {
        match_count(&b).await.0 < total
    })
    .await;
    let svg = b.wait_for("[data-testid=histogram] svg").await;
    b.client
        .execute(
            "arguments[0].dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))",
            vec![serde_json::to_value(&svg).unwrap()],
        )
        .await
        .unwrap();
    b.eventually("double-click clears the range", || async {
        match_count(&b).await.0 == total
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_card_event_links_to_its_customer() {
    let (_server, b) = open("q=type%3A%22card%20status%22%20ACTIVE").await;
    b.click("[data-testid=event-row]").await;
    let link = b
        .wait_for("[data-testid=event-detail] [data-testid=entity-link]")
        .await;
    let text = link.text().await.unwrap();
    assert!(text.contains("CUSTOMER 100200300"), "{text}");
    link.click().await.unwrap();
    // The customer's own trail (hundreds of events), not just the card's six.
    b.eventually("the customer's events are listed", || async {
        match_count(&b).await.0 > 200
    })
    .await;
    let value = b
        .wait_for("[data-testid=search-input]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("100200300"));
    b.close().await;
}

/// `YYYY-MM-DD HH:MM:SS` → minutes since an arbitrary epoch (enough to compare two readings).
fn minutes(stamp: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| stamp[r].parse::<i64>().unwrap();
    let days = n(0..4) * 372 + n(5..7) * 31 + n(8..10);
    days * 1440 + n(11..13) * 60 + n(14..16)
}

#[tokio::test]
async fn the_zone_switch_applies_everywhere_and_lives_in_the_url() {
    let (_server, b) = open("q=field%3Amobile").await;
    let utc = b.text("[data-testid=event-row] time").await;
    b.wait_for("[data-testid=zone-select]")
        .await
        .select_by_value("Asia/Kolkata")
        .await
        .unwrap();
    b.eventually("times move to Asia/Kolkata", || async {
        b.text("[data-testid=event-row] time").await != utc
    })
    .await;
    let ist = b.text("[data-testid=event-row] time").await;
    let shift = minutes(&ist) - minutes(&utc);
    // +05:30, modulo a day boundary that the coarse calendar above may cross.
    assert!(shift == 330 || (shift - 330).abs() > 1000, "{utc} → {ist}");
    assert!(b.url().await.contains("tz=Asia%2FKolkata"));
    // The detail names the zone and its offset.
    b.click("[data-testid=event-row]").await;
    let when = b.text("[data-testid=event-detail] .when").await;
    assert!(when.contains("Asia/Kolkata (UTC+05:30)"), "{when}");
    b.close().await;
}

#[tokio::test]
async fn scrolling_keeps_the_rows_that_stay_in_view() {
    let (_server, b) = open("").await;
    b.wait_for("[data-testid=event-row]").await;
    let list = b.wait_for(".event-list").await;
    let row_at = |top: usize| format!("[data-testid=event-row][style*='top: {top}px']");
    // Row 15 is on screen before and after a scroll of 20 rows (the window keeps 8 above).
    let kept = b.wait_for(&row_at(15 * 52)).await;
    let request = kept.attr("data-request-id").await.unwrap();
    const LOWEST: &str = "return Math.max(...Array.from(document.querySelectorAll('[data-testid=event-row]'), r => parseInt(r.style.top)))";
    let lowest = b.client.execute(LOWEST, vec![]).await.unwrap();
    b.client
        .execute(
            "const [row, list] = arguments; row.dataset.seen = 'before'; \
             list.scrollTop = 20 * 52; list.dispatchEvent(new Event('scroll'));",
            vec![
                serde_json::to_value(&kept).unwrap(),
                serde_json::to_value(&list).unwrap(),
            ],
        )
        .await
        .unwrap();
    b.eventually("rows further down come in", || async {
        b.client.execute(LOWEST, vec![]).await.unwrap().as_f64() > lowest.as_f64()
    })
    .await;
    let still = b.wait_for(&row_at(15 * 52)).await;
    assert_eq!(
        still.attr("data-seen").await.unwrap().as_deref(),
        Some("before"),
        "the row that stayed in the window is the same element"
    );
    assert_eq!(still.attr("data-request-id").await.unwrap(), request);
    assert!(
        b.all("[data-testid=event-row][data-seen]").await.len() == 1,
        "no other element carries the mark"
    );
    b.close().await;
}
