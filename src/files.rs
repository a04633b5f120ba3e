//! Opening saved API responses (any supported shape, several at once) for offline
//! investigation. The files' bytes go to the same parser as live responses.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::explorer::{use_explorer, Explorer, Problem, SourceKind};
use crate::live::{use_live, Live};

/// "Open files…" button (and drop target) that replaces the data with the chosen responses.
#[component]
pub fn OpenFiles() -> impl IntoView {
    let explorer = use_explorer();
    let live = use_live();
    let on_change = move |e: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(list) = input.files() {
            load_file_list(explorer, live, list);
        }
        // Choosing the same files again must fire `change` again.
        input.set_value("");
    };
    view! {
        <label class="button" title="Open saved audit or status-log responses (JSON)">
            "Open files…"
            <input
                type="file"
                class="visually-hidden"
                multiple
                accept=".json,.txt,application/json"
                data-testid="open-files"
                on:change=on_change
            />
        </label>
    }
}

/// Installs a page-wide drop target for response files.
pub fn accept_dropped_files(explorer: Explorer, live: Live) {
    let over = window_event_listener(leptos::ev::dragover, |e| e.prevent_default());
    let drop = window_event_listener(leptos::ev::drop, move |e| {
        e.prevent_default();
        if let Some(list) = e.data_transfer().and_then(|d| d.files()) {
            load_file_list(explorer, live, list);
        }
    });
    on_cleanup(move || {
        over.remove();
        drop.remove();
    });
}

fn load_file_list(explorer: Explorer, live: Live, list: web_sys::FileList) {
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    if files.is_empty() {
        return;
    }
    leptos::task::spawn_local(async move {
        let mut pages = Vec::with_capacity(files.len());
        let mut unreadable = Vec::new();
        for file in &files {
            match read_bytes(file).await {
                Ok(bytes) => pages.push((file.name(), bytes)),
                Err(_) => unreadable.push(file.name()),
            }
        }
        let label = match files.len() {
            1 => files[0].name(),
            n => format!("{n} files"),
        };
        let before = explorer.source_kind();
        // Large loads finish later, in slices (see `Explorer::load_pages`).
        explorer.load_owned_pages(SourceKind::Files, &label, pages, move |replaced| {
            if before == SourceKind::Api && replaced {
                // The URL no longer describes a live request.
                live.stop();
                explorer.set_source(Vec::new());
            }
            if !unreadable.is_empty() {
                explorer.report.update(|r| {
                    r.problems.push(Problem {
                        kind: "file",
                        message: format!("Could not read {}.", unreadable.join(", ")),
                    })
                });
            }
        });
    });
}

async fn read_bytes(file: &web_sys::File) -> Result<Vec<u8>, wasm_bindgen::JsValue> {
    let buffer = JsFuture::from(file.array_buffer()).await?;
    let buffer: js_sys::ArrayBuffer = buffer.dyn_into()?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
