//! Export of exactly what is shown (the current query's result) as CSV or NDJSON, produced by
//! `audit-core` and handed to the browser as a download.

use audit_core::export::{to_csv, to_ndjson};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::explorer::use_explorer;

#[component]
pub fn ExportButtons() -> impl IntoView {
    let explorer = use_explorer();
    let export = move |csv: bool| {
        move |_| {
            let Ok(outcome) = explorer.outcome.get_untracked() else {
                return;
            };
            let filter = explorer.state.with_untracked(|s| s.effective_query());
            let text = explorer.with_store(|store| {
                if csv {
                    to_csv(store, &outcome.events, &filter)
                } else {
                    to_ndjson(store, &outcome.events, &filter)
                }
            });
            let (name, mime) = if csv {
                ("audit-export.csv", "text/csv;charset=utf-8")
            } else {
                ("audit-export.ndjson", "application/x-ndjson")
            };
            if let Err(e) = download(name, mime, &text) {
                leptos::logging::error!("export failed: {e:?}");
            }
        }
    };
    view! {
        <span class="export">
            <button data-testid="export-csv" on:click=export(true)>"CSV"</button>
            <button data-testid="export-json" on:click=export(false)>"JSON"</button>
        </span>
    }
}

/// Saves `text` as a file through a temporary object URL.
fn download(name: &str, mime: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)
}
