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
    let rows = move || {
        let selected = selected.get();
        host.rows.with(|w| {
            w.rows
                .iter()
                .map(|r| {
                    let is_selected = selected.as_deref() == Some(r.key.as_str());
                    (r.clone(), is_selected)
                })
                .collect::<Vec<_>>()
        })
    };
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
                    each=rows
                    // What a row shows is in the key: a zone switch or a new neighbour redraws it.
                    key=|(r, selected)| {
                        (r.index, r.key.clone(), r.date.clone(), r.clock.clone(), r.joined_above, r.joined_below, r.day_start, r.new, *selected)
                    }
                    children=move |(row, selected)| {
                        let i = row.index;
                        let key = row.key.clone();
                        view! {
                            <EventRow
                                row
                                selected
                                focused=Signal::derive(move || cursor.get() == Some(i))
                                on_open=Callback::new(move |_| {
                                    cursor.set(Some(i));
                                    let key = key.clone();
                                    link.update_view(false, |s| s.event = Some(key));
                                })
                            />
                        }
                    }
                />
            </div>
            {move || (count.get() == 0).then(|| view! {
                <p class="empty">"No events match. Loosen the query or press “Clear all”."</p>
            })}
        </div>
    }
}

#[component]
fn EventRow(
    row: RowView,
    selected: bool,
    focused: Signal<bool>,
    on_open: Callback<()>,
) -> impl IntoView {
    let top = format!("{}px", row.index * ROW_PX);
    let (kind_attr, field_attr) = (row.kind.clone(), row.field.clone());
    // Arrived with the latest refresh: marked, and `data-new` for tests and hosts.
    let new = row.new;
    view! {
        <div
            class="event-row"
            class:selected=selected
            class:focused=focused
            class:joined-above=row.joined_above
            class:joined-below=row.joined_below
            class:day-start=row.day_start
            class:new=new
            data-new=new.then_some("true")
            style:top=top
            role="button"
            tabindex="-1"
            data-testid="event-row"
            data-event-type=kind_attr
            data-field=field_attr
            data-request-id=row.request_id
            on:click=move |_| on_open.run(())
        >
            <time title=row.age>
                <span class="date">{row.date}</span>
                " "
                <span class="clock">{row.clock}</span>
            </time>
            <span class="kind" title=row.kind_title>{row.kind}</span>
            <span class="field">{row.field}</span>
            <span class="change">
                <ValueText value=row.previous />
                <span class="arrow" aria-label="changed to">"→"</span>
                <ValueText value=row.current />
                {row.label_change.then(|| view! { <span class="badge">"label"</span> })}
            </span>
            <span class="who">{row.who}</span>
            {new.then(|| view! { <span class="badge new-badge">"new"</span> })}
        </div>
    }
}

/// A value from the API, always rendered as text; an absent value says so.
#[component]
fn ValueText(value: Option<String>) -> impl IntoView {
    match value {
        Some(v) => view! { <span class="value">{v}</span> }.into_any(),
        None => view! { <span class="none">"none"</span> }.into_any(),
    }
}
