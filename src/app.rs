//! The root component: router, shared state, header and the current page.

use leptos::prelude::*;
use leptos_router::components::Router;

use crate::explorer::{use_explorer, Explorer};
use crate::timeline::TimelinePage;
use crate::url_state::View;

/// The whole explorer. With no configuration it opens on the built-in demo data; `pages`
/// (named response bodies, as saved from the API) replace the demo.
#[component]
pub fn App(#[prop(optional)] pages: Option<Vec<(String, Vec<u8>)>>) -> impl IntoView {
    view! {
        <Router>
            <Shell pages />
        </Router>
    }
}

#[component]
fn Shell(pages: Option<Vec<(String, Vec<u8>)>>) -> impl IntoView {
    let explorer = Explorer::provide();
    crate::files::accept_dropped_files(explorer);
    match &pages {
        Some(pages) => explorer.load_pages(
            "pages",
            pages.iter().map(|(n, b)| (n.clone(), b.as_slice())),
        ),
        None => explorer.load_demo(),
    }
    view! {
        <div class="app">
            <Header />
            <Problems />
            <main>
                {move || match explorer.state.with(|s| s.view) {
                    View::Timeline => view! { <TimelinePage /> }.into_any(),
                    View::Status => view! { <crate::status_log::StatusLogPage /> }.into_any(),
                    View::History => view! { <crate::history::HistoryPage /> }.into_any(),
                }}
            </main>
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    let explorer = use_explorer();
    let entity = move || {
        explorer.track();
        explorer.with_store(|s| {
            s.events()
                .find_map(|e| Some(format!("{} {}", e.entity_type()?, e.entity_id()?)))
                .unwrap_or_default()
        })
    };
    let loaded = move || {
        explorer.track();
        let events = explorer.with_store(|s| s.len());
        let report = explorer.report.get();
        format!("{events} events loaded ({})", report.source)
    };
    view! {
        <header class="app-header">
            <h1>"Audit explorer"</h1>
            <span class="entity" data-testid="entity">{entity}</span>
            <nav class="views" aria-label="Views">
                {View::ALL
                    .into_iter()
                    .map(|v| {
                        let current = move || explorer.state.with(|s| s.view == v);
                        view! {
                            <button
                                class="tab"
                                class:active=current
                                aria-pressed=move || current().to_string()
                                data-testid=format!("view-{}", v.key())
                                on:click=move |_| explorer.update_state(false, |s| {
                                    s.view = v;
                                    s.event = None;
                                })
                            >
                                {v.title()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <span class="counts" data-testid="loaded-count">{loaded}</span>
            <crate::files::OpenFiles />
        </header>
    }
}

/// Load problems (damaged pages, API errors): shown, never blocking what did load.
#[component]
fn Problems() -> impl IntoView {
    let explorer = use_explorer();
    move || {
        explorer
            .report
            .get()
            .problems
            .into_iter()
            .map(|p| {
                view! {
                    <div class="banner warn" role="status" data-testid="error" data-kind=p.kind>
                        {p.message}
                    </div>
                }
            })
            .collect_view()
    }
}
