//! The timeline page: search box, facet chips, a virtualized list of matching events (newest
//! first, change sets marked), and the event detail panel.

use std::sync::Arc;

use audit_core::{EventId, FacetCount, QueryError};
use leptos::ev;
use leptos::html::Div;
use leptos::prelude::*;

use crate::detail::EventDetail;
use crate::explorer::{use_explorer, Explorer};
use crate::export::ExportButtons;
use crate::url_state::Zone;
use crate::zone;

/// Fixed row height: the list only creates DOM rows for the visible window.
const ROW_HEIGHT: f64 = 52.0;
/// Facet values shown per group (the most frequent); the rest are one query away.
const FACET_CHIPS: usize = 8;
/// Rows rendered above and below the visible window.
const OVERSCAN: usize = 8;

#[component]
pub fn TimelinePage() -> impl IntoView {
    let explorer = use_explorer();
    // Keyboard cursor (row index); `None` until j/k is used, so no ring shows for mouse users.
    let cursor = RwSignal::new(None::<usize>);
    let list_ref = NodeRef::<Div>::new();
    let search_ref = NodeRef::<leptos::html::Input>::new();
    keyboard_shortcuts(explorer, cursor, list_ref, search_ref);
    let selected = Memo::new(move |_| {
        explorer.track();
        let key = explorer.event.get()?;
        explorer.with_store(|s| s.find_event(&key))
    });
    view! {
        <div class="timeline-page">
            <section class="filters" aria-label="Filters">
                <SearchBox search_ref />
                <Facets />
                <crate::histogram::Histogram />
            </section>
            <div class="results">
                <EventList cursor list_ref selected />
                // Redrawn for another event or zone (the detail prints times in it).
                {move || {
                    explorer.zone.track();
                    selected.get().map(|id| view! { <EventDetail id /> })
                }}
            </div>
        </div>
    }
}

/// `/` search, `j`/`k` move, Enter opens the event, Esc closes it (or leaves the search box).
fn keyboard_shortcuts(
    explorer: Explorer,
    cursor: RwSignal<Option<usize>>,
    list_ref: NodeRef<Div>,
    search_ref: NodeRef<leptos::html::Input>,
) {
    let handle = window_event_listener(ev::keydown, move |e| {
        let in_field = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
            .unwrap_or(false);
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
        let count = match explorer.outcome.get_untracked() {
            Ok(o) => o.events.len(),
            Err(_) => 0,
        };
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
            "Enter" if count > 0 => {
                if let Ok(o) = explorer.outcome.get_untracked() {
                    if let Some(&id) = cursor.get_untracked().and_then(|c| o.events.get(c)) {
                        open_event(explorer, id);
                    }
                }
            }
            "Escape" => explorer.update_state(false, |s| s.event = None),
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

fn open_event(explorer: Explorer, id: EventId) {
    let key = explorer.with_store(|s| s.event_key(id));
    explorer.update_state(false, |s| s.event = Some(key));
}

#[component]
fn SearchBox(search_ref: NodeRef<leptos::html::Input>) -> impl IntoView {
    let explorer = use_explorer();
    let text = move || explorer.state.with(|s| s.query.clone());
    let error = move || explorer.outcome.with(|o| o.as_ref().err().cloned());
    let counts = move || {
        explorer.track();
        let total = explorer.with_store(|s| s.len());
        match explorer.outcome.get() {
            Ok(o) => format!("{} of {} events", o.events.len(), total),
            Err(_) => format!("? of {total} events"),
        }
    };
    let zone_key = move || explorer.zone.with(Zone::key);
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
                    explorer.update_state(true, |s| s.query = value);
                }
            />
            <span class="match-count" data-testid="match-count" aria-live="polite">{counts}</span>
            <label class="zone">
                "Times in "
                <select
                    data-testid="zone-select"
                    prop:value=zone_key
                    on:change=move |e| {
                        let zone = Zone::from_key(&event_target_value(&e));
                        explorer.update_state(false, |s| s.zone = zone);
                    }
                >
                    <option value="utc">"UTC"</option>
                    <option value="browser">"Browser zone"</option>
                    {zone::COMMON.map(|z| view! { <option value=z>{z}</option> }).collect_view()}
                    // A zone from the link that the list does not offer.
                    {move || {
                        let key = zone_key();
                        let listed = key == "utc" || key == "browser" || zone::COMMON.contains(&key.as_str());
                        (!listed).then(|| view! { <option value=key.clone()>{key.clone()}</option> })
                    }}
                </select>
            </label>
            <ExportButtons />
        </div>
        {move || error().map(|e| view! { <QueryErrorLine error=e /> })}
    }
}

/// The query error: what is wrong and where, and the query shown back with the offending part
/// marked (a mark, not a caret under it: a caret cannot line up under Devanagari or emoji).
#[component]
fn QueryErrorLine(error: QueryError) -> impl IntoView {
    let explorer = use_explorer();
    let text = explorer.state.with_untracked(|s| s.query.clone());
    let (before, marked, after) = error.marked(&text);
    // An error at the end of the query marks the place where something is missing.
    let marked = if marked.is_empty() {
        "\u{2041}".to_owned()
    } else {
        marked.to_owned()
    };
    view! {
        <div id="search-error" class="query-error" role="alert" data-testid="error" data-kind="query">
            <span>{format!("Query error at position {}: {}", error.column(&text), error.message)}</span>
            <p class="query-shown" data-testid="query-error-text">
                {before.to_owned()}<mark>{marked}</mark>{after.to_owned()}
            </p>
        </div>
    }
}

#[component]
fn Facets() -> impl IntoView {
    let explorer = use_explorer();
    let facets = explorer.facets;
    let group = move |title: &'static str,
                      qualifier: &'static str,
                      pick: fn(&audit_core::Facets) -> &Vec<FacetCount>| {
        move || {
            facets.get().map(|f| {
                let counts: Vec<FacetCount> = pick(&f).iter().take(FACET_CHIPS).cloned().collect();
                (!counts.is_empty()).then(|| view! {
                    <div class="facet-group" data-testid=format!("facet-{qualifier}")>
                        <span class="facet-title">{title}</span>
                        {counts.into_iter().map(|c| view! { <FacetChip qualifier count=c /> }).collect_view()}
                    </div>
                })
            })
        }
    };
    let has_filter = move || {
        explorer
            .state
            .with(|s| !s.query.is_empty() || s.from.is_some() || s.to.is_some())
    };
    view! {
        <div class="facets">
            {group("Type", "type", |f| &f.types)}
            {group("Field", "field", |f| &f.fields)}
            {group("Source", "source", |f| &f.sources)}
            {group("Mode", "mode", |f| &f.modes)}
            {group("User", "user", |f| &f.users)}
            <button
                class="clear"
                title="Clear the query, facets and time range"
                data-testid="clear-filters"
                disabled=move || !has_filter()
                on:click=move |_| explorer.update_state(false, |s| {
                    s.query.clear();
                    s.from = None;
                    s.to = None;
                })
            >
                "Clear all"
            </button>
        </div>
    }
}

/// One facet value: click to include it in the query, `−` to exclude it.
#[component]
fn FacetChip(qualifier: &'static str, count: FacetCount) -> impl IntoView {
    let explorer = use_explorer();
    let clause = format!("{qualifier}:{}", quote(&count.label));
    let add = move |negate: bool, clause: String| {
        move |_| {
            let clause = if negate {
                format!("-{clause}")
            } else {
                clause.clone()
            };
            explorer.update_state(false, |s| {
                if !s.query.split_whitespace().any(|w| w == clause) {
                    if !s.query.trim().is_empty() {
                        s.query = format!("{} ", s.query.trim_end());
                    }
                    s.query.push_str(&clause);
                }
            });
        }
    };
    let label = if count.label.is_empty() {
        "(none)".to_owned()
    } else {
        count.label.clone()
    };
    view! {
        <span class="chip" data-testid="facet-chip" data-facet=qualifier data-value=count.label.clone()>
            <button class="chip-include" title=format!("Only {label}") on:click=add(false, clause.clone())>
                {label.clone()}
                <span class="chip-count">{count.count}</span>
            </button>
            <button class="chip-exclude" title=format!("Exclude {label}") aria-label=format!("Exclude {label}") on:click=add(true, clause)>
                "−"
            </button>
        </span>
    }
}

/// Quotes a facet value for the query language when it has spaces or quotes.
fn quote(value: &str) -> String {
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '"' || c == ':') {
        format!("\"{}\"", value.replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}

#[component]
fn EventList(
    cursor: RwSignal<Option<usize>>,
    list_ref: NodeRef<Div>,
    selected: Memo<Option<EventId>>,
) -> impl IntoView {
    let explorer = use_explorer();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(900.0f64);
    let events = Memo::new(move |_| {
        explorer.outcome.with(|o| {
            o.as_ref()
                .map(|o| o.events.clone())
                .unwrap_or_else(|_| Arc::new(Vec::new()))
        })
    });
    // A new result starts at the top.
    Effect::new(move |_| {
        events.track();
        if cursor.get_untracked().is_some() {
            cursor.set(None);
        }
        // Only when scrolled: setting scrollTop makes the browser lay the page out at once.
        if scroll_top.get_untracked() != 0.0 {
            if let Some(list) = list_ref.get_untracked() {
                list.set_scroll_top(0);
            }
            scroll_top.set(0.0);
        }
    });
    let window = Memo::new(move |_| {
        let n = events.with(|e| e.len());
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        let visible = (viewport.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        (first.min(n), (first + visible).min(n))
    });
    let rows = move || {
        explorer.track();
        let (start, end) = window.get();
        let ids = events.get();
        let zone = explorer.zone.get();
        let selected = selected.get();
        explorer.with_store(|store| {
            (start..end)
                .map(|i| {
                    let id = ids[i];
                    let prev_same = i > 0 && store.same_request(ids[i - 1], id);
                    let next_same = i + 1 < ids.len() && store.same_request(ids[i + 1], id);
                    let mut row = RowData::new(store, id, &zone, prev_same, next_same);
                    row.day_start = i == 0 || {
                        let above = store
                            .event(ids[i - 1])
                            .time()
                            .map(|t| zone::format_in(&zone, t));
                        above.as_deref().map(|a| &a[..10])
                            != Some(&row.time[..row.time.len().min(10)])
                    };
                    let is_selected = selected == Some(id);
                    (i, row, is_selected)
                })
                .collect::<Vec<_>>()
        })
    };
    let total_height = move || format!("{}px", events.with(|e| e.len()) as f64 * ROW_HEIGHT);
    let on_scroll = move |_| {
        if let Some(list) = list_ref.get_untracked() {
            scroll_top.set(list.scroll_top() as f64);
            viewport.set(list.client_height() as f64);
        }
    };
    Effect::new(move |_| {
        if let Some(list) = list_ref.get() {
            viewport.set(list.client_height().max(300) as f64);
        }
    });
    view! {
        <div class="event-list" node_ref=list_ref on:scroll=on_scroll tabindex="0" aria-label="Matching events">
            <div class="event-list-inner" style:height=total_height>
                <For
                    each=rows
                    // The shown time is in the key: a zone switch redraws the rows.
                    key=|(i, row, sel)| (*i, row.id, *sel, row.time.clone())
                    children=move |(i, row, is_selected)| {
                        let top = format!("{}px", i as f64 * ROW_HEIGHT);
                        let id = row.id;
                        view! {
                            <EventRowView
                                row
                                top
                                selected=is_selected
                                focused=Signal::derive(move || cursor.get() == Some(i))
                                on_open=Callback::new(move |_| {
                                    cursor.set(Some(i));
                                    open_event(explorer, id);
                                })
                            />
                        }
                    }
                />
            </div>
            {move || events.with(|e| e.is_empty()).then(|| view! {
                <p class="empty">"No events match. Loosen the query or press “Clear all”."</p>
            })}
        </div>
    }
}

/// Display text for one row.
#[derive(Clone, Debug, PartialEq)]
struct RowData {
    id: EventId,
    time: String,
    /// "2 years ago": the relative age, shown as a hint on the absolute time.
    age: String,
    kind: &'static str,
    type_label: String,
    field: String,
    previous: Option<String>,
    current: Option<String>,
    label_change: bool,
    who: String,
    request_id: String,
    /// Part of a change set: does the row above / below share its request id.
    joined_above: bool,
    joined_below: bool,
    /// First row of a day (in the chosen zone): the timeline's day boundary.
    day_start: bool,
}

impl RowData {
    fn new(
        store: &audit_core::Store,
        id: EventId,
        zone: &Zone,
        above: bool,
        below: bool,
    ) -> RowData {
        let e = store.event(id);
        let clip = |s: Option<&str>| s.map(|v| v.chars().take(80).collect::<String>());
        let who = [Some(e.user_label()), e.mode(), e.source()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        RowData {
            id,
            age: e
                .time()
                .map(|t| zone::age(t, js_sys::Date::now() as i64))
                .unwrap_or_default(),
            time: e
                .time()
                .map(|t| zone::format_in(zone, t))
                .unwrap_or_else(|| "time unknown".into()),
            kind: e.kind().name(),
            type_label: e.type_label().unwrap_or("").to_owned(),
            field: e.field_key().to_owned(),
            previous: clip(e.previous()),
            current: clip(e.current()),
            label_change: e.is_label_change(),
            who,
            request_id: e.request_id().unwrap_or("").to_owned(),
            joined_above: above,
            joined_below: below,
            day_start: false,
        }
    }
}

#[component]
fn EventRowView(
    row: RowData,
    top: String,
    selected: bool,
    focused: Signal<bool>,
    on_open: Callback<()>,
) -> impl IntoView {
    let kind_label = if row.type_label.is_empty() || row.type_label == row.kind {
        row.kind.to_owned()
    } else {
        format!("{} ({})", row.kind, row.type_label)
    };
    let field_attr = row.field.clone();
    // `YYYY-MM-DD HH:MM:SS`, or a word when the time is unknown.
    let (date, clock) = match row.time.split_once(' ') {
        Some((d, c)) if d.len() == 10 => (d.to_owned(), c.to_owned()),
        _ => (row.time.clone(), String::new()),
    };
    view! {
        <div
            class="event-row"
            class:selected=selected
            class:focused=focused
            class:joined-above=row.joined_above
            class:joined-below=row.joined_below
            class:day-start=row.day_start
            style:top=top
            role="button"
            tabindex="-1"
            data-testid="event-row"
            data-event-type=row.kind
            data-field=field_attr
            data-request-id=row.request_id
            on:click=move |_| on_open.run(())
        >
            <time title=row.age>
                <span class="date">{date}</span>
                " "
                <span class="clock">{clock}</span>
            </time>
            <span class="kind" title=kind_label.clone()>{row.kind}</span>
            <span class="field">{row.field}</span>
            <span class="change">
                <ValueText value=row.previous />
                <span class="arrow" aria-label="changed to">"→"</span>
                <ValueText value=row.current />
                {row.label_change.then(|| view! { <span class="badge">"label"</span> })}
            </span>
            <span class="who">{row.who}</span>
        </div>
    }
}

/// A value from the API, always rendered as text; an absent value says so.
#[component]
pub fn ValueText(value: Option<String>) -> impl IntoView {
    match value {
        Some(v) => view! { <span class="value">{v}</span> }.into_any(),
        None => view! { <span class="none">"none"</span> }.into_any(),
    }
}
