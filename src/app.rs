//! The root component: router, shared state, header, the connection panel, the fetch line and
//! the current page.

use leptos::prelude::*;

use explorer_config::{Config, Loaded};

use crate::connect::ConnectPanel;
use crate::deployment::{use_deployment, Deployment};
use crate::explorer::{use_explorer, Explorer, Problem, SourceKind};
use crate::live::{use_live, Live};
use crate::timeline::TimelinePage;
use crate::url_state::View;

/// The whole explorer. With no link it opens on the built-in demo data; `pages` (named
/// response bodies, as saved from the API) replace the demo. `config` is the deployment's
/// config.json as read by [`crate::load_config`] (defaults without it).
#[component]
pub fn App(
    #[prop(optional)] pages: Option<Vec<(String, Vec<u8>)>>,
    #[prop(optional)] config: Option<Loaded>,
) -> impl IntoView {
    let config = config.unwrap_or_else(|| Loaded {
        config: Config::default(),
        error: None,
        warnings: Vec::new(),
    });
    view! { <Shell pages config /> }
}

#[component]
fn Shell(pages: Option<Vec<(String, Vec<u8>)>>, config: Loaded) -> impl IntoView {
    let bar = crate::location::AddressBar::provide();
    let deployment = Deployment::provide(config.config.clone(), bar);
    let explorer = Explorer::provide(deployment, bar);
    let live = Live::provide(explorer, deployment);
    crate::files::accept_dropped_files(explorer, live);
    let connect_open = RwSignal::new(false);
    // The first source is chosen synchronously, so the first paint already shows data.
    match (&pages, explorer.api_query()) {
        (Some(pages), _) => explorer.load_pages(
            SourceKind::Files,
            "pages",
            pages.iter().map(|(n, b)| (n.clone(), b.as_slice())),
        ),
        (None, None) => explorer.load_demo(),
        (None, Some(_)) => {}
    }
    crate::deployment::report(explorer, &config);
    follow_the_link(explorer, live, deployment, connect_open);
    crate::embed::connect_host(explorer, live, deployment);
    view! {
        <div class="app" class:embed=deployment.embed>
            <Header connect_open />
            <Show when=move || connect_open.get()>
                <ConnectPanel open=connect_open />
            </Show>
            <FetchLine />
            <Problems />
            <main>
                {move || match explorer.view.get() {
                    View::Timeline => view! { <TimelinePage /> }.into_any(),
                    View::Status => view! { <crate::status_log::StatusLogPage /> }.into_any(),
                    View::History => view! { <crate::history::HistoryPage /> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// Starts, switches or stops the live source whenever the URL's API part changes (a submitted
/// connection, a shared link, Back/Forward between entities).
fn follow_the_link(
    explorer: Explorer,
    live: Live,
    deployment: Deployment,
    connect_open: RwSignal<bool>,
) {
    // In a host page that supplies the connection, the panel never opens by itself.
    let ask = move || connect_open.set(!deployment.hosted);
    Effect::new(move |previous: Option<Option<_>>| {
        let request = explorer.api.get();
        let first = previous.is_none();
        match &request {
            Some(Ok(query)) => {
                live.start(query.clone());
                if live.needs_credentials.get_untracked().is_some() {
                    ask();
                }
            }
            Some(Err(e)) => {
                live.stop();
                explorer.add_problem(Problem {
                    kind: "bad-request",
                    message: format!("The link's `{}` cannot be used: {}", e.param, e.message),
                });
                ask();
            }
            None if !first && explorer.source_kind() == SourceKind::Api => {
                live.stop();
                live.status.set(None);
                explorer.load_demo();
            }
            None => {}
        }
        request
    });
}

#[component]
fn Header(connect_open: RwSignal<bool>) -> impl IntoView {
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
                        let current = move || explorer.view.get() == v;
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
            <Show when=move || !use_deployment().hosted>
                <button
                    data-testid="connect-toggle"
                    aria-expanded=move || connect_open.get().to_string()
                    on:click=move |_| connect_open.update(|o| *o = !*o)
                >
                    "Connect…"
                </button>
            </Show>
            <crate::files::OpenFiles />
        </header>
    }
}

/// Progress of a live fetch ("1,240 of 5,000 records loaded · 13 of 50 pages · …") with
/// Cancel while it runs and Resume after a failure.
#[component]
fn FetchLine() -> impl IntoView {
    let live = use_live();
    move || {
        live.status.get().map(|s| {
            view! {
                <div class="fetch-line" role="status" data-testid="fetch-status" class:failed=s.failed>
                    <span>{s.summary}</span>
                    {s.running.then(|| view! {
                        <button data-testid="fetch-cancel" on:click=move |_| live.cancel()>"Cancel"</button>
                    })}
                    {s.failed.then(|| view! {
                        <button data-testid="fetch-resume" on:click=move |_| live.resume()>"Resume"</button>
                    })}
                </div>
            }
        })
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
