//! The field-history page: the value history of any field, and the entity's state "as of" a
//! chosen date.

use audit_core::{field_history, state_as_of, FieldHistory};
use leptos::prelude::*;

use crate::explorer::use_explorer;
use crate::zone;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let explorer = use_explorer();
    // Histories of the current result, so the search box narrows this page too.
    let histories = Memo::new(move |_| {
        explorer.track();
        let Ok(outcome) = explorer.outcome.get() else {
            return Vec::new();
        };
        let mut ids = outcome.events.to_vec();
        ids.reverse();
        explorer.with_store(|store| field_history(store, &ids))
    });
    let chosen = move || explorer.state.with(|s| s.field.clone());
    view! {
        <div class="history-page">
            <nav class="field-list" aria-label="Fields">
                <h2>"Fields"</h2>
                <ul>
                    {move || histories.get().into_iter().map(|h| {
                        let name = h.field.clone();
                        let label = format!("{} ({})", h.field, h.entries.len());
                        let active = { let name = name.clone(); move || chosen().as_deref() == Some(name.as_str()) };
                        view! {
                            <li>
                                <button class="link" class:active=active data-testid="history-field" data-field=name.clone()
                                    on:click=move |_| { let name = name.clone(); explorer.update_state(false, |s| s.field = Some(name)); }>
                                    {label}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </nav>
            <div class="history-main">
                {move || {
                    let field = chosen();
                    let history = histories.with(|hs| hs.iter().find(|h| Some(&h.field) == field.as_ref()).cloned());
                    match history {
                        Some(h) => view! { <HistoryTable history=h /> }.into_any(),
                        None => view! { <p class="empty">"Pick a field to see every value it had, when, and who set it."</p> }.into_any(),
                    }
                }}
                <AsOf />
            </div>
        </div>
    }
}

#[component]
fn HistoryTable(history: FieldHistory) -> impl IntoView {
    let explorer = use_explorer();
    let zone = explorer.state.with_untracked(|s| s.zone.clone());
    view! {
        <h2>{format!("{} · {}", history.kind.name(), history.field)}</h2>
        <table class="history" data-testid="field-history">
            <thead><tr><th>{format!("When ({})", zone::label(&zone))}</th><th>"From"</th><th>"To"</th><th>"Who"</th><th>"Mode"</th><th>"Source"</th></tr></thead>
            <tbody>
                {history.entries.into_iter().rev().map(|e| view! {
                    <tr data-testid="history-entry" class:gap=e.discontinuity>
                        <td>{e.time.map(|t| zone::format_in(&zone, t)).unwrap_or_default()}</td>
                        <td>{e.previous.unwrap_or_else(|| "none".into())}</td>
                        <td>{e.current.unwrap_or_else(|| "none".into())}</td>
                        <td>{e.who}</td>
                        <td>{e.mode.unwrap_or_default()}</td>
                        <td>{e.source.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The state of every field at a chosen instant.
#[component]
fn AsOf() -> impl IntoView {
    let explorer = use_explorer();
    let date_value = move || {
        explorer.state.with(|s| {
            s.as_of
                .map(|t| audit_core::format_utc(t)[..10].to_owned())
                .unwrap_or_default()
        })
    };
    let rows = move || {
        explorer.track();
        let at = explorer.state.with(|s| s.as_of)?;
        let zone = explorer.zone.get();
        let ids: Vec<_> = explorer.with_store(|s| s.events().map(|e| e.id()).collect());
        let state = explorer.with_store(|s| state_as_of(s, &ids, at));
        Some(state.into_iter().map(|f| { let key = f.field.clone(); view! {
            <tr data-testid="as-of-entry" data-field=key>
                <td>{f.field}</td>
                <td>{f.value.unwrap_or_else(|| "none".into())}</td>
                <td>{f.since.map(|t| zone::format_in(&zone, t)).unwrap_or_default()}</td>
            </tr>
        }}).collect_view())
    };
    view! {
        <section class="as-of">
            <h2>
                <label for="as-of-date">"State as of (end of day, UTC) "</label>
                <input id="as-of-date" type="date" data-testid="as-of-input" prop:value=date_value
                    on:change=move |e| {
                        let v = event_target_value(&e);
                        let at = audit_core::parse_time(&v).map(|t| t + 86_400_000 - 1);
                        explorer.update_state(false, |s| s.as_of = at);
                    } />
            </h2>
            <table class="history" data-testid="as-of"><thead><tr><th>"Field"</th><th>"Value"</th><th>"Since"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
