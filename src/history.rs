//! The field-history page: every value a field of the current result had (when, from, to, who,
//! how), and the entity's state as of a chosen date.

use explorer_model::views::HistoryRow;
use explorer_model::ViewState;
use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::link::use_link;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let chosen = move || link.view.with(|s| s.field.clone());
    view! {
        <div class="history-page">
            <nav class="field-list" aria-label="Fields">
                <h2>"Fields"</h2>
                <ul>
                    {move || host.history.with(|h| h.fields.clone()).into_iter().map(|f| {
                        let name = f.field.clone();
                        let label = f.label();
                        let active = { let name = name.clone(); move || chosen().as_deref() == Some(name.as_str()) };
                        view! {
                            <li>
                                <button class="link" class:active=active data-testid="history-field" data-field=name.clone()
                                    on:click=move |_| { let name = name.clone(); link.update_view(false, |s| s.field = Some(name)); }>
                                    {label}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </nav>
            <div class="history-main">
                {move || match host.history.with(|h| h.chosen.clone()) {
                    Some((title, rows)) => {
                        let zone = host.history.with_untracked(|h| h.zone_label.clone());
                        view! { <HistoryTable title rows zone /> }.into_any()
                    }
                    None => view! { <p class="empty">"Pick a field to see every value it had, when, and who set it."</p> }.into_any(),
                }}
                <AsOf />
            </div>
        </div>
    }
}

#[component]
fn HistoryTable(title: String, rows: Vec<HistoryRow>, zone: String) -> impl IntoView {
    view! {
        <h2>{title}</h2>
        <table class="history" data-testid="field-history">
            <thead><tr><th>{format!("When ({zone})")}</th><th>"From"</th><th>"To"</th><th>"Who"</th><th>"Mode"</th><th>"Source"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|e| view! {
                    <tr data-testid="history-entry" class:gap=e.gap>
                        <td>{e.when}</td>
                        <td>{e.from}</td>
                        <td>{e.to}</td>
                        <td>{e.who}</td>
                        <td>{e.mode}</td>
                        <td>{e.source}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The state of every field at a chosen instant.
#[component]
fn AsOf() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let date_value = move || host.history.with(|h| h.as_of_date.clone());
    let rows = move || {
        host.history.with(|h| h.state.clone()).map(|state| {
            state
                .into_iter()
                .map(|f| {
                    let key = f.field.clone();
                    view! {
                        <tr data-testid="as-of-entry" data-field=key>
                            <td>{f.field}</td>
                            <td>{f.value}</td>
                            <td>{f.since}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="as-of">
            <h2>
                <label for="as-of-date">"State as of (end of day, UTC) "</label>
                <input id="as-of-date" type="date" data-testid="as-of-input" prop:value=date_value
                    on:change=move |e| {
                        let at = ViewState::end_of_day(&event_target_value(&e));
                        link.update_view(false, |s| s.as_of = at);
                    } />
            </h2>
            <table class="history" data-testid="as-of"><thead><tr><th>"Field"</th><th>"Value"</th><th>"Since"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
