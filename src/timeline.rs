//! The timeline page: the search box (with its inline error), the zone, export, facet chips and
//! the histogram above the virtualized list of matching events and the event detail.

use explorer_model::{Command, ExportFormat, QueryErrorView, Zone};
use leptos::ev;
use leptos::html::{Div, Input};
use leptos::prelude::*;

use crate::detail::EventDetail;
use crate::engine_host::{use_engine, EngineHost};
use crate::event_list::{EventList, ROW_HEIGHT};
use crate::link::{use_link, LinkState};
use explorer_model::zone::COMMON_ZONES;

#[component]
pub fn TimelinePage() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    // Keyboard cursor (row index); `None` until j/k is used, so no ring shows for mouse users.
    let cursor = RwSignal::new(None::<usize>);
    let list_ref = NodeRef::<Div>::new();
    let search_ref = NodeRef::<Input>::new();
    keyboard_shortcuts(host, link, cursor, list_ref, search_ref);
    view! {
        <div class="timeline-page">
            <section class="filters" aria-label="Filters">
                <SearchBox search_ref />
                <crate::facets::Facets />
                <crate::histogram::Histogram />
            </section>
            <div class="results">
                <EventList cursor list_ref />
                {move || host.detail.get().map(|detail| view! { <EventDetail detail /> })}
            </div>
        </div>
    }
}

/// `/` search, `j`/`k` move, Enter opens the event, Esc closes it (or leaves the search box).
fn keyboard_shortcuts(
    host: EngineHost,
    link: LinkState,
    cursor: RwSignal<Option<usize>>,
    list_ref: NodeRef<Div>,
    search_ref: NodeRef<Input>,
) {
    let handle = window_event_listener(ev::keydown, move |e| {
        let in_field = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        let key = e.key();
        if in_field {
            if key == "Escape" {
                if let Some(input) = search_ref.get_untracked() {
                    let _ = input.blur();
                }
            }
            return;
        }
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let count = host.result.with_untracked(|r| r.count);
        match key.as_str() {
            "/" => {
                e.prevent_default();
                if let Some(input) = search_ref.get_untracked() {
                    let _ = input.focus();
                }
            }
            "j" | "ArrowDown" if count > 0 => {
                e.prevent_default();
                cursor.update(|c| *c = Some(c.map_or(0, |c| (c + 1).min(count - 1))));
                scroll_into_view(list_ref, cursor.get_untracked().unwrap_or(0));
            }
            "k" | "ArrowUp" if count > 0 => {
                e.prevent_default();
                cursor.update(|c| *c = Some(c.map_or(0, |c| c.saturating_sub(1))));
                scroll_into_view(list_ref, cursor.get_untracked().unwrap_or(0));
            }
            "Enter" => {
                let at = cursor.get_untracked();
                let key = host.rows.with_untracked(|w| {
                    w.rows
                        .iter()
                        .find(|r| Some(r.index) == at)
                        .map(|r| r.key.clone())
                });
                if let Some(key) = key {
                    link.update_view(false, |s| s.event = Some(key));
                }
            }
            "Escape" => link.update_view(false, |s| s.event = None),
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

fn scroll_into_view(list_ref: NodeRef<Div>, index: usize) {
    if let Some(list) = list_ref.get_untracked() {
        let top = index as f64 * ROW_HEIGHT;
        let view_top = list.scroll_top() as f64;
        let height = list.client_height() as f64;
        if top < view_top {
            list.set_scroll_top(top as i32);
        } else if top + ROW_HEIGHT > view_top + height {
            list.set_scroll_top((top + ROW_HEIGHT - height) as i32);
        }
    }
}

#[component]
fn SearchBox(search_ref: NodeRef<Input>) -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let text = move || link.view.with(|s| s.query.clone());
    let error = move || host.result.with(|r| r.error.clone());
    let counts = move || host.result.with(|r| r.count_line());
    view! {
        <div class="search">
            <label class="visually-hidden" for="search">"Search events"</label>
            <input
                id="search"
                type="search"
                node_ref=search_ref
                data-testid="search-input"
                placeholder="Search: mobile  type:\"Card Status\"  -source:instore  after:2024-01-01   ( / )"
                autocomplete="off"
                spellcheck="false"
                prop:value=text
                aria-invalid=move || error().is_some().to_string()
                aria-describedby="search-error"
                on:input=move |e| {
                    let value = event_target_value(&e);
                    link.update_view(true, |s| s.query = value);
                }
            />
            <span class="match-count" data-testid="match-count" aria-live="polite">{counts}</span>
            <ZoneSelect />
            <ExportButtons />
        </div>
        {move || error().map(|error| view! { <QueryErrorLine error /> })}
    }
}

/// The query error: what is wrong and where, and the query shown back with the offending part
/// marked (a mark, not a caret under it: a caret cannot line up under Devanagari or emoji).
#[component]
fn QueryErrorLine(error: QueryErrorView) -> impl IntoView {
    // An error at the end of the query marks the place where something is missing.
    let marked = if error.marked.is_empty() {
        "\u{2041}".to_owned()
    } else {
        error.marked
    };
    view! {
        <div id="search-error" class="query-error" role="alert" data-testid="error" data-kind="query">
            <span>{error.message}</span>
            <p class="query-shown" data-testid="query-error-text">
                {error.before}<mark>{marked}</mark>{error.after}
            </p>
        </div>
    }
}

#[component]
fn ZoneSelect() -> impl IntoView {
    let link = use_link();
    let zone_key = move || link.view.with(|s| s.zone.key());
    view! {
        <label class="zone">
            "Times in "
            <select
                data-testid="zone-select"
                prop:value=zone_key
                on:change=move |e| {
                    let zone = Zone::from_key(&event_target_value(&e));
                    link.update_view(false, |s| s.zone = zone);
                }
            >
                <option value="utc">"UTC"</option>
                <option value="browser">"Browser zone"</option>
                {COMMON_ZONES.map(|z| view! { <option value=z>{z}</option> }).collect_view()}
                // A zone from the link that the list does not offer.
                {move || {
                    let key = zone_key();
                    let listed = key == "utc" || key == "browser" || COMMON_ZONES.contains(&key.as_str());
                    (!listed).then(|| view! { <option value=key.clone()>{key.clone()}</option> })
                }}
            </select>
        </label>
    }
}

/// Export of exactly what is shown (the current result): CSV for spreadsheets, or a case file
/// (JSON) that the explorer opens again with the same events and view.
#[component]
fn ExportButtons() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let csv = move |_| host.send(Command::Export(ExportFormat::Csv));
    let case_file = move |_| {
        let api = link
            .current()
            .api
            .pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        host.send(Command::ExportCase { api });
    };
    view! {
        <span class="export">
            <button data-testid="export-csv" on:click=csv>"CSV"</button>
            <button data-testid="export-json" title="A case file: these events, the status logs and this view, to open again or hand on" on:click=case_file>"JSON"</button>
        </span>
    }
}
