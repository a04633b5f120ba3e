//! Opening saved API responses (any supported shape, several at once, or dropped on the page)
//! for offline investigation. The files' bytes go to the engine, which reads them as it reads
//! live answers.

use explorer_model::engine::SMALL_LOAD_BYTES;
use explorer_model::{ApiLink, Problem, ProblemKind, SourceKind};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::banners::{use_banners, Banners};
use crate::engine_host::{use_engine, EngineHost};
use crate::link::{use_link, LinkState};
use crate::live::{use_live, Live};

/// What opening files needs from the page.
#[derive(Clone, Copy)]
struct Opener {
    host: EngineHost,
    live: Live,
    link: LinkState,
    banners: Banners,
}

impl Opener {
    fn here() -> Opener {
        Opener {
            host: use_engine(),
            live: use_live(),
            link: use_link(),
            banners: use_banners(),
        }
    }
}

/// "Open files…": replaces the data with the chosen responses.
#[component]
pub fn OpenFiles() -> impl IntoView {
    let opener = Opener::here();
    let on_change = move |e: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(list) = input.files() {
            open(opener, list);
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
pub fn accept_dropped_files() {
    let opener = Opener::here();
    let over = window_event_listener(leptos::ev::dragover, |e| e.prevent_default());
    let drop = window_event_listener(leptos::ev::drop, move |e| {
        e.prevent_default();
        if let Some(list) = e.data_transfer().and_then(|d| d.files()) {
            open(opener, list);
        }
    });
    on_cleanup(move || {
        over.remove();
        drop.remove();
    });
}

fn open(opener: Opener, list: web_sys::FileList) {
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    if files.is_empty() {
        return;
    }
    let label = match files.len() {
        1 => files[0].name(),
        n => format!("{n} files"),
    };
    let was_live = opener.host.report.with_untracked(|r| r.source_kind) == SourceKind::Api;
    let then = move |replaced| {
        if was_live && replaced {
            // The URL no longer describes a live request.
            opener.live.stop();
            opener.link.open_source(ApiLink::default());
        }
    };
    let size: f64 = files.iter().map(|f| f.size()).sum();
    leptos::task::spawn_local(async move {
        if size <= SMALL_LOAD_BYTES as f64 {
            // A few pages: read them all, and they are on screen at the next paint.
            let mut pages = Vec::with_capacity(files.len());
            let mut unreadable = Vec::new();
            for file in &files {
                match read_bytes(file).await {
                    Ok(bytes) => pages.push((file.name(), bytes)),
                    Err(_) => unreadable.push(file.name()),
                }
            }
            opener.host.load(SourceKind::Files, label, pages, then);
            if !unreadable.is_empty() {
                opener.banners.add(Problem::new(
                    ProblemKind::File,
                    format!("Could not read {}.", unreadable.join(", ")),
                ));
            }
            return;
        }
        // A large trail: each file goes to the engine as soon as it is read (its first rows
        // show after the first), reading only a little ahead of parsing, until Cancel or a
        // newer load stops it.
        let mut load = opener
            .host
            .stream_load(SourceKind::Files, label, files.len(), then);
        for file in &files {
            load.room().await;
            if !load.is_current() {
                return;
            }
            match read_bytes(file).await {
                Ok(bytes) => load.more(vec![(file.name(), bytes)], Vec::new()),
                Err(_) => load.more(Vec::new(), vec![file.name()]),
            }
        }
    });
}

/// The file's bytes as the browser holds them (handed to the engine's worker as they are).
async fn read_bytes(file: &web_sys::File) -> Result<js_sys::ArrayBuffer, wasm_bindgen::JsValue> {
    JsFuture::from(file.array_buffer()).await?.dyn_into()
}
