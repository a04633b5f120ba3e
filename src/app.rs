//! The root component: the contexts, the header, the connection panel, the fetch line, the
//! banners and the current page.

use explorer_config::{Config, Loaded};
use explorer_model::{Command, Problem, SourceKind, View};
use leptos::prelude::*;

use crate::address_bar::AddressBar;
use crate::banners::{use_banners, Banners};
use crate::connect::ConnectPanel;
use crate::credentials::Held;
use crate::deployment::{use_deployment, Deployment};
use crate::engine_host::{use_engine, EngineHost};
use crate::link::{use_link, LinkState};
use crate::live::{use_live, Live};

/// The whole explorer. With no link it opens on the built-in demo data; `pages` (named
/// response bodies, as saved from the API) replace the demo. `config` is the deployment's
/// config.json as read by [`crate::load_config`] (defaults without it).
#[component]
pub fn App(
    #[prop(optional)] pages: Option<Vec<(String, Vec<u8>)>>,
    #[prop(optional)] config: Option<Loaded>,
    #[prop(optional)] worker: Option<Result<crate::engine_host::StartedWorker, String>>,
) -> impl IntoView {
    let config = config.unwrap_or_else(|| Loaded {
        config: Config::default(),
        error: None,
        warnings: Vec::new(),
    });
    let bar = AddressBar::provide();
    let deployment = Deployment::provide(config.config.clone(), bar);
    let banners = Banners::provide();
    let link = LinkState::provide(bar, deployment);
    let host = EngineHost::provide(banners, worker);
    let held = Held::provide();
    let live = Live::provide(host, banners, held, deployment);
    crate::deployment::report(banners, &config);
    // The first source and view are handed over before the first render, so the first paint
    // already shows data.
    host.send(Command::SetView(link.view.get_untracked()));
    match (pages, link.request.get_untracked()) {
        (Some(pages), _) => {
            let pages = pages
                .into_iter()
                .map(|(name, bytes)| (name, js_sys::Uint8Array::from(bytes.as_slice()).buffer()))
                .collect();
            host.load(SourceKind::Files, "pages".into(), pages, |_| ());
        }
        (None, None) => host.send(Command::LoadDemo),
        (None, Some(_)) => {}
    }
    crate::files::accept_dropped_files();
    let connect_open = RwSignal::new(false);
    follow_the_view(link, host);
    follow_the_link(link, live, host, banners, deployment, connect_open);
    restore_opened_cases(link, host);
    crate::refresh::keep_refreshing(live);
    crate::embed::connect_host(link, live, deployment, banners);
    // Which page is shown, and nothing else of the view: a page is built once per switch, not
    // again for every query, zone or selection (it would lose its scroll window each time).
    let page = Memo::new(move |_| link.view.with(|v| v.view));
    view! {
        <div class="app" class:embed=deployment.embed>
            <Header connect_open />
            <Show when=move || connect_open.get()>
                <ConnectPanel open=connect_open />
            </Show>
            <FetchLine />
            <LoadLine />
            <BannerList />
            <main>
                {move || match page.get() {
                    View::Timeline => view! { <crate::timeline::TimelinePage /> }.into_any(),
                    View::Status => view! { <crate::status_log::StatusLogPage /> }.into_any(),
                    View::History => view! { <crate::history::HistoryPage /> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// The engine follows what the user looks at (query, range, zone, page, selection…).
fn follow_the_view(link: LinkState, host: EngineHost) {
    Effect::new(move |first: Option<()>| {
        let view = link.view.get();
        // The first view was handed over before the first render.
        if first.is_some() {
            host.send(Command::SetView(view));
        }
    });
}

/// A case file opened: the link takes the view it was exported with (query, zone, page,
/// selected event, range), as a new history entry.
fn restore_opened_cases(link: LinkState, host: EngineHost) {
    Effect::new(move |_| {
        if let Some(view) = host
            .opened_case
            .with(|c| c.as_ref().and_then(|c| c.view.clone()))
        {
            link.update_view(false, |v| *v = view);
        }
    });
}

/// Starts, switches or stops the live source whenever the link's API part changes (a submitted
/// connection, a shared link, Back/Forward between entities).
fn follow_the_link(
    link: LinkState,
    live: Live,
    host: EngineHost,
    banners: Banners,
    deployment: Deployment,
    connect_open: RwSignal<bool>,
) {
    // In a host page that supplies the connection, the panel never opens by itself.
    let ask = move || connect_open.set(!deployment.hosted);
    Effect::new(move |previous: Option<()>| {
        let request = link.request.get();
        let first = previous.is_none();
        match request {
            Some(Ok(request)) => {
                live.start(request);
                if live.needs_credentials.get_untracked().is_some() {
                    ask();
                }
            }
            Some(Err(e)) => {
                live.stop();
                banners.add(Problem::new(
                    capillary_client::ProblemKind::BadRequest,
                    format!("The link's `{}` cannot be used: {}", e.param, e.message),
                ));
                ask();
            }
            None if !first && host.report.with_untracked(|r| r.source_kind) == SourceKind::Api => {
                live.stop();
                live.status.set(None);
                host.send(Command::LoadDemo);
            }
            None => {}
        }
    });
}

#[component]
fn Header(connect_open: RwSignal<bool>) -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let entity = move || host.report.with(|r| r.entity.clone());
    let loaded = move || host.report.with(|r| r.loaded_line());
    view! {
        <header class="app-header">
            <h1>"Audit explorer"</h1>
            <span class="entity" data-testid="entity">{entity}</span>
            <nav class="views" aria-label="Views">
                {View::ALL
                    .into_iter()
                    .map(|v| {
                        let current = move || link.view.with(|s| s.view) == v;
                        view! {
                            <button
                                class="tab"
                                class:active=current
                                aria-pressed=move || current().to_string()
                                data-testid=format!("view-{}", v.key())
                                on:click=move |_| link.update_view(false, |s| {
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
            <crate::refresh::CachedAge />
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
            <crate::refresh::ForgetCached />
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
                    {live.has_trail().then(|| view! {
                        <crate::refresh::RefreshControls enabled=!s.running && live.can_refresh() />
                    })}
                </div>
            }
        })
    }
}

/// A bulk load's progress (opened files): a progress bar, pages and events, and Cancel (what
/// was read stays).
#[component]
fn LoadLine() -> impl IntoView {
    let host = use_engine();
    let progress = Memo::new(move |_| host.report.with(|r| r.loading));
    let done = move || progress.get().map_or(0, |p| p.pages_done);
    let total = move || progress.get().map_or(0, |p| p.pages_total);
    let line = move || progress.get().map(|p| p.line());
    // The bar stays the same element while the load runs: only its numbers change.
    view! {
        <Show when=move || progress.with(Option::is_some)>
            <div class="fetch-line" role="status" data-testid="load-progress">
                <progress max=total value=done aria-label="Pages read"></progress>
                <span>{line}</span>
                <button data-testid="load-cancel" on:click=move |_| host.cancel_load()>"Cancel"</button>
            </div>
        </Show>
    }
}

/// The page's banners and what the engine reports about what it read: shown, never blocking
/// what did load.
#[component]
fn BannerList() -> impl IntoView {
    let banners = use_banners();
    let host = use_engine();
    let shown = move || {
        let mut all = banners.all();
        host.report.with(|r| all.extend(r.problems.iter().cloned()));
        all
    };
    move || {
        shown()
            .into_iter()
            .map(|p: Problem| {
                let kind = p.data_kind();
                view! {
                    <div class="banner warn" role="status" data-testid="error" data-kind=kind>
                        {p.message}
                    </div>
                }
            })
            .collect_view()
    }
}
