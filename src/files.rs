//! Opening saved API responses (any supported shape, several at once, or dropped on the page)
//! for offline investigation. The files go to the engine as they are: its side reads them and
//! parses them as it parses live answers.

use explorer_model::{ApiLink, SourceKind};
use leptos::prelude::*;

use crate::engine_host::{use_engine, EngineHost};
use crate::link::{use_link, LinkState};
use crate::live::{use_live, Live};

/// What opening files needs from the page.
#[derive(Clone, Copy)]
struct Opener {
    host: EngineHost,
    live: Live,
    link: LinkState,
}

impl Opener {
    fn here() -> Opener {
        Opener {
            host: use_engine(),
            live: use_live(),
            link: use_link(),
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
        n => format!("{} files", explorer_model::Grouped::from(n)),
    };
    let was_live = opener.host.report.with_untracked(|r| r.source_kind) == SourceKind::Api;
    let then = move |replaced| {
        if was_live && replaced {
            // The URL no longer describes a live request.
            opener.live.stop();
            opener.link.open_source(ApiLink::default());
        }
    };
    // The engine's side reads them (see EngineHost::open_files): never this thread.
    opener.host.open_files(label, files, then);
}
