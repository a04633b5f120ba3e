//! The virtualized list of matching events: fixed-height rows, only the window on screen (and a
//! screen ahead) asked of the engine and put in the DOM, newest first, change sets joined and
//! day boundaries marked.

use explorer_model::views::RowView;
use explorer_model::Command;
use leptos::html::Div;
use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::link::use_link;

/// Fixed row height in px: the list only creates DOM rows for the visible window.
pub const ROW_HEIGHT: f64 = 52.0;
/// [`ROW_HEIGHT`] for positions written into styles (whole pixels).
const ROW_PX: usize = 52;
/// Rows kept above the visible window.
const OVERSCAN: usize = 8;

#[component]
pub fn EventList(cursor: RwSignal<Option<usize>>, list_ref: NodeRef<Div>) -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(900.0f64);
    let count = Memo::new(move |_| host.result.with(|r| r.count));
    let result_id = Memo::new(move |_| host.result.with(|r| r.id));
    // A new result starts at the top.
    Effect::new(move |_| {
        result_id.track();
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
    // The rows on screen, a few above and a screen ahead below (the engine clamps it to the
    // result, so a new result of any size gets a whole window at once).
    let window = Memo::new(move |_| {
        let visible = (viewport.get() / ROW_HEIGHT).ceil() as usize;
        let first = ((scroll_top.get() / ROW_HEIGHT) as usize).saturating_sub(OVERSCAN);
        (first, first + 2 * visible + OVERSCAN)
    });
    Effect::new(move |previous: Option<(usize, usize)>| {
        let (start, end) = window.get();
        if previous != Some((start, end)) {
            host.send(Command::Rows { start, end });
        }
        (start, end)
    });
    let selected = Memo::new(move |_| link.view.with(|s| s.event.clone()));
    // Row `i` is drawn by slot `i % ring`: a row keeps its element while it stays in the window,
    // and a new result rewrites the slots' text and attributes instead of building every row
    // again: a fresh query's answer cost the page ~4.9 ms of work, ~2–3 ms so (bench-browser,
    // "where a fresh query's time goes"). The ring is at least the window, so no two rows of one
    // window share a slot.
    let ring = Memo::new(move |_| {
        let (start, end) = window.get();
        (end - start).max(host.rows.with(|w| w.rows.len())).max(1)
    });
    // The slots in use, in the rows' order (newest first, as the DOM reads).
    let slots = Memo::new(move |_| {
        let ring = ring.get();
        host.rows
            .with(|w| w.rows.iter().map(|r| r.index % ring).collect::<Vec<_>>())
    });
    let total_height = move || format!("{}px", count.get() * ROW_PX);
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
                    each=move || slots.get()
                    key=|slot| *slot
                    children=move |at| view! { <EventRow at ring selected cursor /> }
                />
            </div>
            {move || (count.get() == 0).then(|| view! {
                <p class="empty">"No events match. Loosen the query or press “Clear all”."</p>
            })}
        </div>
    }
}

/// One slot of the list: the row of the window whose index falls in it, its fields bound one
/// by one, so a slot given another row changes only the text and attributes that differ.
#[component]
fn EventRow(
    /// The slot: rows whose index is `at` modulo the ring.
    at: usize,
    ring: Memo<usize>,
    selected: Memo<Option<String>>,
    cursor: RwSignal<Option<usize>>,
) -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let row = Memo::new(move |_| {
        let ring = ring.get();
        host.rows
            .with(|w| w.rows.iter().find(|r| r.index % ring == at).cloned())
    });
    // A field of the row (empty while the slot is leaving).
    let text = move |field: fn(&RowView) -> &str| {
        move || row.with(|r| r.as_ref().map_or(String::new(), |r| field(r).to_owned()))
    };
    let flag =
        move |field: fn(&RowView) -> bool| move || row.with(|r| r.as_ref().is_some_and(field));
    let index = move || row.with(|r| r.as_ref().map(|r| r.index));
    let is_selected = move || {
        row.with(|r| {
            r.as_ref()
                .is_some_and(|r| selected.with(|s| s.as_deref() == Some(r.key.as_str())))
        })
    };
    let value = move |field: fn(&RowView) -> &Option<String>| {
        Signal::derive(move || row.with(|r| r.as_ref().and_then(|r| field(r).clone())))
    };
    let open = move |_| {
        let Some((i, key)) = row.with_untracked(|r| r.as_ref().map(|r| (r.index, r.key.clone())))
        else {
            return;
        };
        cursor.set(Some(i));
        link.update_view(false, |s| s.event = Some(key));
    };
    // Arrived with the latest refresh: marked, and `data-new` for tests and hosts.
    let new = flag(|r| r.new);
    let label_change = flag(|r| r.label_change);
    view! {
        <div
            class="event-row"
            class:selected=is_selected
            class:focused=move || index().is_some() && cursor.get() == index()
            class:joined-above=flag(|r| r.joined_above)
            class:joined-below=flag(|r| r.joined_below)
            class:day-start=flag(|r| r.day_start)
            class:new=new
            data-new=move || new().then_some("true")
            style:top=move || format!("{}px", index().unwrap_or(0) * ROW_PX)
            role="button"
            tabindex="-1"
            data-testid="event-row"
            data-event-type=text(|r| &r.kind)
            data-field=text(|r| &r.field)
            data-request-id=text(|r| &r.request_id)
            on:click=open
        >
            <time title=text(|r| &r.age)>
                <span class="date">{text(|r| &r.date)}</span>
                " "
                <span class="clock">{text(|r| &r.clock)}</span>
            </time>
            <span class="kind" title=text(|r| &r.kind_title)>{text(|r| &r.kind)}</span>
            <span class="field">{text(|r| &r.field)}</span>
            <span class="change">
                <ValueText value=value(|r| &r.previous) />
                <span class="arrow" aria-label="changed to">"→"</span>
                <ValueText value=value(|r| &r.current) />
                {move || label_change().then(|| view! { <span class="badge">"label"</span> })}
            </span>
            <span class="who">{text(|r| &r.who)}</span>
            {move || new().then(|| view! { <span class="badge new-badge">"new"</span> })}
        </div>
    }
}

/// A value from the API, always rendered as text; an absent value says so.
#[component]
fn ValueText(value: Signal<Option<String>>) -> impl IntoView {
    let absent = move || value.with(Option::is_none);
    view! {
        <span class:value=move || !absent() class:none=absent>
            {move || value.get().unwrap_or_else(|| "none".into())}
        </span>
    }
}
