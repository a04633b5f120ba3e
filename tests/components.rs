//! Component tests: mount the app in headless Chromium (wasm-bindgen-test) and read the DOM.
#![cfg(target_arch = "wasm32")]

use audit_explorer::{App, Dataset};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount_app() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    leptos::mount::mount_to(host.clone(), App).forget();
    host
}

#[wasm_bindgen_test]
fn app_lists_every_demo_event_as_a_row() {
    let host = mount_app();
    let rows = host.query_selector_all("[data-testid=event-row]").unwrap();
    let expected = Dataset::demo().report.events;
    assert!(
        expected > 200,
        "the demo has a few hundred events, got {expected}"
    );
    assert_eq!(rows.length() as usize, expected);
    let loaded = host
        .query_selector("[data-testid=loaded-count]")
        .unwrap()
        .unwrap();
    assert_eq!(
        loaded.text_content().unwrap(),
        format!("{expected} events loaded")
    );
}

#[wasm_bindgen_test]
fn rows_carry_the_test_contract_attributes() {
    let host = mount_app();
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
        "requestId":"r1","updatedByUser":"<img src=x onerror=alert(1)>","events":[{"eventType":"Identifiers",
        "updatedField":"email","additionalFields":{"previousValue":"NA","currentValue":"<b>bold</b>"}}]}],
        "pagination":{"totalElements":1,"totalPages":1,"numberOfElements":1,"number":0}}"#;
    let dataset = Dataset::from_pages([&page[..]]);
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let view_dataset = dataset.clone();
    leptos::mount::mount_to(host.clone(), move || {
        leptos::view! { <audit_explorer::Timeline dataset=view_dataset.clone() /> }
    })
    .forget();
    assert!(
        host.query_selector("img").unwrap().is_none(),
        "an <img> was injected"
    );
    assert!(
        host.query_selector("b").unwrap().is_none(),
        "a <b> was injected"
    );
    let text = host.text_content().unwrap();
    assert!(
        text.contains("<b>bold</b>"),
        "the value shows literally: {text}"
    );
    assert!(
        text.contains("<img src=x onerror=alert(1)>"),
        "the user shows literally: {text}"
    );
}
