//! Component tests: mount the app in headless Chromium (wasm-bindgen-test) and read the DOM.
#![cfg(target_arch = "wasm32")]

use audit_explorer::App;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(pages: Option<Vec<(String, Vec<u8>)>>) -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    match pages {
        Some(pages) => {
            leptos::mount::mount_to(host.clone(), move || view! { <App pages=pages.clone() /> })
                .forget()
        }
        None => leptos::mount::mount_to(host.clone(), || view! { <App /> }).forget(),
    }
    host
}

fn text_of(host: &web_sys::HtmlElement, testid: &str) -> String {
    host.query_selector(&format!("[data-testid={testid}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no {testid}"))
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
fn demo_opens_with_every_event_matching_and_a_bounded_number_of_rows() {
    let host = mount(None);
    let counts = text_of(&host, "match-count");
    let demo = audit_gen::demo();
    // 240 customer records + 6 card records; several records hold more than one event.
    let numbers: Vec<usize> = counts
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2, "{counts}");
    assert_eq!(numbers[0], numbers[1], "no filter: all match ({counts})");
    assert!(numbers[1] >= 246, "{counts}");
    let rows = host
        .query_selector_all("[data-testid=event-row]")
        .unwrap()
        .length() as usize;
    assert!(
        rows > 0 && rows < numbers[1],
        "virtualized: {rows} DOM rows for {} events",
        numbers[1]
    );
    assert!(text_of(&host, "entity").contains(&demo.customer_id.to_string()));
}

#[wasm_bindgen_test]
fn rows_carry_the_test_contract_attributes() {
    let host = mount(None);
    let row = host
        .query_selector("[data-testid=event-row]")
        .unwrap()
        .unwrap();
    for attr in ["data-event-type", "data-field", "data-request-id"] {
        let value = row.get_attribute(attr).unwrap_or_default();
        assert!(!value.is_empty(), "{attr} is empty");
    }
}

#[wasm_bindgen_test]
fn api_strings_are_rendered_as_text_never_as_html() {
    let page = br#"{"data":[{"entityType":"CUSTOMER","entityId":1,"autoUpdateTime":1700000000000,
        "requestId":"r1","updatedByUser":"<img src=x onerror=alert(1)>","source":"<script>x()</script>",
        "events":[{"eventType":"Identifiers","updatedField":"<i>email</i>",
        "additionalFields":{"previousValue":"NA","currentValue":"<b>bold</b>"}}]}],
        "pagination":{"totalElements":1,"totalPages":1,"numberOfElements":1,"number":0}}"#;
    let host = mount(Some(vec![("hostile".into(), page.to_vec())]));
    for tag in ["img", "b", "i", "script"] {
        assert!(
            host.query_selector(&format!(".event-list {tag}"))
                .unwrap()
                .is_none(),
            "a <{tag}> was injected"
        );
    }
    let text = host.text_content().unwrap();
    assert!(
        text.contains("<b>bold</b>"),
        "the value shows literally: {text}"
    );
    assert!(
        text.contains("<img src=x onerror=alert(1)>"),
        "the user shows literally: {text}"
    );
    assert!(
        text.contains("<i>email</i>"),
        "the field shows literally: {text}"
    );
}

#[wasm_bindgen_test]
fn a_damaged_page_is_reported_and_its_intact_records_are_shown() {
    let damaged = include_bytes!("fixtures/seeds/audit-merge-134094571-damaged.json");
    let host = mount(Some(vec![("merge page".into(), damaged.to_vec())]));
    let banner = host
        .query_selector("[data-testid=error][data-kind=damaged]")
        .unwrap()
        .expect("a damaged-page banner");
    let message = banner.text_content().unwrap();
    assert!(message.contains("records recovered"), "{message}");
    let rows = host
        .query_selector_all("[data-testid=event-row]")
        .unwrap()
        .length();
    assert!(rows >= 1, "the intact record is shown");
}

/// `n` current-API records of one customer, request ids and times unique per page `p`.
fn big_page(p: usize, n: usize) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| {
            let t = 1_700_000_000_000u64 - (p * n + i) as u64 * 60_000;
            format!(
                r#"{{"entityType":"CUSTOMER","entityId":42,"requestId":"rq-{p}-{i}","updatedByUser":"till.{}","source":"INSTORE","updatedByMode":"API","autoUpdateTime":{t},"createdOn":{t},"events":[{{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{{"previousValue":"9{:09}","currentValue":"9{:09}"}},"associateEntities":null}}]}}"#,
                i % 7,
                p * n + i,
                p * n + i + 1
            )
        })
        .collect();
    format!(
        r#"{{"data":[{}],"pagination":{{"numberOfElements":{n},"number":{p}}}}}"#,
        records.join(",")
    )
    .into_bytes()
}

#[wasm_bindgen_test]
async fn a_large_load_runs_in_slices_then_shows_every_event() {
    // ~3.5 MB: more than a load done in one go, so the rest is ingested between yields.
    let pages: Vec<(String, Vec<u8>)> = (0..10)
        .map(|p| (format!("page {p}"), big_page(p, 1_000)))
        .collect();
    let host = mount(Some(pages));
    let first = text_of(&host, "loaded-count");
    assert!(
        first.starts_with("0 events loaded (loading pages: "),
        "{first}"
    );
    let mut last = first;
    for _ in 0..600 {
        gloo_timers::future::TimeoutFuture::new(50).await;
        last = text_of(&host, "loaded-count");
        if !last.contains("loading") {
            break;
        }
    }
    assert_eq!(last, "10,000 events loaded (pages)");
    let rows = host
        .query_selector_all("[data-testid=event-row]")
        .unwrap()
        .length();
    assert!(rows >= 1, "rows of the loaded pages are shown");
}

/// The rows whose tops (px) are in the list's DOM now.
fn row_tops(host: &web_sys::HtmlElement) -> Vec<f64> {
    let rows = host.query_selector_all("[data-testid=event-row]").unwrap();
    (0..rows.length())
        .filter_map(|i| rows.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .filter_map(|e| e.style().get_property_value("top").ok())
        .filter_map(|t| t.trim_end_matches("px").parse().ok())
        .collect()
}

async fn until(mut ready: impl FnMut() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
}

#[wasm_bindgen_test]
async fn opening_an_event_far_down_the_list_keeps_the_rows_around_it() {
    // The page was rebuilt on every change of the view (a query, a zone, the selected event):
    // the list's window started again at the top while the list stayed scrolled, so the rows
    // the user was looking at vanished when they opened one.
    let host = mount(None);
    let list: web_sys::HtmlElement = host
        .query_selector(".event-list")
        .unwrap()
        .unwrap()
        .unchecked_into();
    // The tests load no stylesheet: give the list the height and overflow the page's CSS does.
    list.set_attribute(
        "style",
        "height: 300px; overflow-y: auto; position: relative",
    )
    .unwrap();
    let far = 100.0 * 52.0;
    let shown =
        |host: &web_sys::HtmlElement| row_tops(host).iter().any(|&t| t >= far && t < far + 300.0);
    until(|| {
        // Scrolled once the list is as tall as its events.
        list.set_scroll_top(far as i32);
        list.dispatch_event(&web_sys::Event::new("scroll").unwrap())
            .unwrap();
        shown(&host)
    })
    .await;
    assert!(shown(&host), "scrolled: {:?}", row_tops(&host));
    let row = host
        .query_selector(&format!(
            "[data-testid=event-row][style*='top: {}px']",
            far as usize
        ))
        .unwrap()
        .expect("the row at the top of the scrolled window");
    row.unchecked_into::<web_sys::HtmlElement>().click();
    until(|| {
        host.query_selector("[data-testid=event-detail]")
            .unwrap()
            .is_some()
    })
    .await;
    // Give a wrongly restarted window time to arrive.
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert!(
        shown(&host),
        "the rows around the opened event are still there: {:?}",
        row_tops(&host)
    );
}

#[wasm_bindgen_test]
async fn a_new_result_redraws_the_histogram_and_the_facet_counts_in_place() {
    // Every histogram bar was an element with four attributes and a title, and every chip was
    // rebuilt with its attributes: a query on 100k events made ~1,100 DOM changes, most of them
    // to draw again what had not moved.
    let host = mount(None);
    let path = || {
        host.query_selector(".histogram path.bin")
            .unwrap()
            .and_then(|p| p.get_attribute("d"))
            .unwrap_or_default()
    };
    until(|| {
        !path().is_empty()
            && host
                .query_selector("[data-testid=facet-chip]")
                .unwrap()
                .is_some()
    })
    .await;
    let before = (path(), text_of(&host, "match-count"));
    let watch = js_sys::Function::new_with_args(
        "root",
        "window.__changes = []; new MutationObserver((list) => { for (const m of list) { \
           const el = m.target.nodeType === 1 ? m.target : m.target.parentElement; \
           const area = el.closest('.histogram') ? 'histogram' : el.closest('.chip') ? 'chip' : 'other'; \
           window.__changes.push(area + ' ' + m.type + ' ' + (m.attributeName || '')); } }) \
           .observe(root, { subtree: true, childList: true, attributes: true, characterData: true });",
    );
    watch.call1(&wasm_bindgen::JsValue::NULL, &host).unwrap();
    // The query goes into the address bar, which the apps of later tests read: put it back.
    let history = web_sys::window().unwrap().history().unwrap();
    let address = web_sys::window().unwrap().location().href().unwrap();
    let input: web_sys::HtmlInputElement = host
        .query_selector("[data-testid=search-input]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value("-field:mobile");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    until(|| path() != before.0 && text_of(&host, "match-count") != before.1).await;
    // The summaries come after the rows: let them all arrive.
    gloo_timers::future::TimeoutFuture::new(300).await;
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address))
        .unwrap();
    let changes: Vec<String> = js_sys::eval("window.__changes")
        .unwrap()
        .unchecked_into::<js_sys::Array>()
        .iter()
        .filter_map(|c| c.as_string())
        .collect();
    let of = |area: &str| {
        changes
            .iter()
            .filter(|c| c.starts_with(area))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("histogram"),
        ["histogram attributes d"],
        "the bars are one path: {changes:?}"
    );
    assert!(
        of("chip").iter().all(|c| !c.contains("attributes")),
        "a chip that stays keeps its attributes; only its count changes: {changes:?}"
    );
    assert!(
        of("chip")
            .iter()
            .any(|c| c.contains("characterData") || c.contains("childList")),
        "the counts changed: {changes:?}"
    );
}
