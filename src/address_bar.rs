//! The address bar: the page's query string as a signal, read on start and on Back/Forward
//! (`popstate`), written with `history.pushState`/`replaceState`.
//!
//! The app keeps all its state in the query string and has no routes, so this small adapter
//! replaces a router. Two properties matter and are why it exists:
//! - a write can only ever change the query of *this* document: the URL written is the current
//!   `location.href` with its query replaced ([`same_document_url`]), never a path
//!   built from `pathname` (a page path beginning with `//` would otherwise make the written URL
//!   protocol-relative, i.e. another origin);
//! - nothing grows per write: a long session of typing (one `replaceState` per frame) keeps no
//!   stack of past URLs (leptos_router's history kept every one).

use leptos::prelude::*;

use explorer_model::link::{decode_query, same_document_url};

/// Handle to the address bar; provided as context by the app.
#[derive(Clone, Copy)]
pub struct AddressBar {
    /// `location.search` as last read or written (`?a=b`, or empty).
    search: RwSignal<String>,
}

impl AddressBar {
    /// Reads the current query string and follows Back/Forward.
    pub fn provide() -> AddressBar {
        let bar = AddressBar {
            search: RwSignal::new(current_search()),
        };
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            bar.search.set(current_search());
        });
        on_cleanup(move || handle.remove());
        provide_context(bar);
        bar
    }

    /// The decoded query pairs, in order (a later duplicate key wins where one value is read).
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.search.with(|s| decode_query(s))
    }

    /// [`AddressBar::pairs`] without subscribing.
    pub fn pairs_untracked(&self) -> Vec<(String, String)> {
        self.search.with_untracked(|s| decode_query(s))
    }

    /// `location.search` (`?…` or empty), tracked.
    pub fn search(&self) -> String {
        self.search.get()
    }

    /// Writes `search` (`?a=b` or empty) as this document's query: `replace` for typing (the
    /// current entry changes), a new history entry otherwise (Back returns).
    pub fn write(&self, search: &str, replace: bool) {
        if self.search.with_untracked(|s| s == search) && replace {
            return;
        }
        let Ok(href) = window().location().href() else {
            return;
        };
        let url = same_document_url(&href, search);
        if let Ok(history) = window().history() {
            let written = if replace {
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            } else {
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            };
            if written.is_err() {
                // A browser that refuses the write (a sandboxed frame): the view still follows.
                leptos::logging::warn!("the address bar could not be updated");
            }
        }
        self.search.set(search.to_owned());
    }
}

fn current_search() -> String {
    window().location().search().unwrap_or_default()
}

pub fn use_address_bar() -> AddressBar {
    expect_context::<AddressBar>()
}
