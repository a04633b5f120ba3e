//! Event detail: every field of one event and its record, the changed part of long values
//! highlighted, merge details side by side, the other events of its change set, and the raw JSON.

use audit_core::{export::record_json, merges, value_diff, Cell, DiffOp, EventId, Members};
use leptos::prelude::*;

use crate::explorer::use_explorer;
use crate::zone;

/// Values at least this long get the changed characters marked.
const DIFF_MIN_LEN: usize = 24;

#[component]
pub fn EventDetail(id: EventId) -> impl IntoView {
    let explorer = use_explorer();
    let zone = explorer.zone.get_untracked();
    let now = js_sys::Date::now() as i64;
    explorer.with_store(|store| {
        let e = store.event(id);
        let time = e
            .time()
            .map(|t| format!("{} ({}, {})", zone::format_in(&zone, t), zone::label(&zone), zone::age(t, now)))
            .unwrap_or_else(|| "time unknown".into());
        let utc = e.time().map(audit_core::time::format_iso_utc).unwrap_or_default();
        let mut facts: Vec<(&'static str, String)> = vec![
            ("Type", match e.type_label() {
                Some(raw) if raw != e.kind().name() => format!("{} (sent as “{raw}”)", e.kind().name()),
                _ => e.kind().name().to_owned(),
            }),
            ("Field", e.field_key().to_owned()),
            ("Entity", format!("{} {}", e.entity_type().unwrap_or("?"), e.entity_id().map(|i| i.to_string()).unwrap_or_default())),
            ("Updated by", e.user_label().to_owned()),
            ("User id", e.updated_by().map(|n| n.to_string()).unwrap_or_default()),
            ("Mode", e.mode().unwrap_or("").to_owned()),
            ("Source", e.source().unwrap_or("").to_owned()),
            ("Request id", e.request_id().unwrap_or("").to_owned()),
            ("Org id", e.org_id().map(|n| n.to_string()).unwrap_or_default()),
        ];
        if let Some(c) = e.created_on() {
            facts.push(("Created on", zone::format_in(&zone, c)));
        }
        for (label, members) in [("Till", e.till()), ("Store", e.store_place()), ("User context", e.user_context())] {
            if let Some(m) = members {
                facts.push((label, members_text(&m)));
            }
        }
        // Linked entities with a type and id become links (a card event → its customer).
        let links: Vec<(String, i64)> = e
            .associate_entities()
            .iter()
            .filter_map(|m| Some((m.text("entityType")?.into_owned(), m.int("entityId")?)))
            .collect();
        if let (Some(p), Some(c)) = (e.previous_label_id(), e.current_label_id()) {
            facts.push(("Label id", format!("{p} → {c}")));
        } else if let Some(c) = e.current_label_id() {
            facts.push(("Label id", c.to_owned()));
        }
        let additional: Vec<(String, String)> = e
            .additional_fields()
            .chain(e.extras())
            .map(|(k, v)| (k.to_owned(), cell_text(v)))
            .collect();
        // Character diffs help with long values (push tokens); short ones read better whole.
        let diff = match (e.previous(), e.current()) {
            (Some(p), Some(c)) if p != c && p.len().max(c.len()) >= DIFF_MIN_LEN => Some(value_diff(p, c)),
            _ => None,
        };
        let previous = e.previous().map(str::to_owned);
        let current = e.current().map(str::to_owned);
        let merge = merges(store, &[id]).into_iter().next();
        // The request's other events (its change set), from the store's request index.
        let change_set: Vec<(String, String, String)> = if e.request_id().is_some() {
            store
                .request_events(id)
                .into_iter()
                .filter(|&o| o != id)
                .map(|o| {
                    let other = store.event(o);
                    (store.event_key(o), other.kind().name().to_owned(), other.field_key().to_owned())
                })
                .collect()
        } else {
            Vec::new()
        };
        let raw = serde_json::from_str::<serde_json::Value>(&record_json(&store.record(e.record_id())))
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_default();
        let key = store.event_key(id);
        view! {
            <aside class="detail" data-testid="event-detail" aria-label="Event detail" data-event-key=key>
                <header>
                    <h2>{e.kind().name()}" · "{e.field_key().to_owned()}</h2>
                    <button class="close" data-testid="close-detail" aria-label="Close detail (Esc)"
                        on:click=move |_| explorer.update_state(false, |s| s.event = None)>"×"</button>
                </header>
                <p class="when" title=utc>{time}</p>
                <ValueChange previous current diff />
                <dl class="facts">
                    {facts.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                    {(!links.is_empty()).then(|| view! {
                        <dt>"Linked"</dt>
                        <dd>{links.into_iter().map(|(kind, id)| view! { <EntityLink kind id /> }).collect_view()}</dd>
                    })}
                </dl>
                {merge.map(|m| view! {
                    <h3>"Merge"</h3>
                    <table class="merge" data-testid="merge">
                        <thead><tr><th></th><th>"Victim (merged away)"</th><th>"Survivor (kept)"</th></tr></thead>
                        <tbody>
                            {m.rows.into_iter().map(|(k, v, s)| view! {
                                <tr><th>{k}</th><td>{v.unwrap_or_default()}</td><td>{s.unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                {(!additional.is_empty()).then(|| view! {
                    <h3>"Additional fields"</h3>
                    <dl class="facts">{additional.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
                })}
                {(!change_set.is_empty()).then(|| view! {
                    <h3>"Same request"</h3>
                    <ul class="change-set">
                        {change_set.into_iter().map(|(key, kind, field)| {
                            view! {
                                <li><button class="link" on:click=move |_| {
                                    let key = key.clone();
                                    explorer.update_state(false, |s| s.event = Some(key));
                                }>{kind}" · "{field}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                })}
                <details class="raw">
                    <summary>"Raw JSON"</summary>
                    <pre data-testid="raw-json">{raw}</pre>
                </details>
            </aside>
        }
    })
}

/// Opens a linked entity: from the live API its own trail; in loaded data, its events.
#[component]
fn EntityLink(kind: String, id: i64) -> impl IntoView {
    let explorer = use_explorer();
    let live_api = explorer.api_query().and_then(Result::ok);
    let label = format!("{kind} {id}");
    let open = move |_| match &live_api {
        Some(query) => {
            let mut next = query.clone();
            if let Some(t) = capillary_client::EntityType::parse(&kind) {
                next.target = crate::api_query::Target::Entity(t, id);
                next.params.entity_type = t;
                next.params.entity_id = id;
                explorer.set_source(next.to_pairs());
            }
        }
        None => explorer.update_state(false, |s| {
            s.query = id.to_string();
            s.event = None;
        }),
    };
    view! { <button class="link" data-testid="entity-link" on:click=open>{label}" →"</button> }
}

/// Old and new value; for differing values the changed characters are marked (push tokens are
/// 150+ characters and usually differ in a part).
#[component]
fn ValueChange(
    previous: Option<String>,
    current: Option<String>,
    diff: Option<Vec<audit_core::DiffSpan>>,
) -> impl IntoView {
    match diff {
        Some(spans) => {
            let old: Vec<_> = spans.iter().filter(|s| s.op != DiffOp::Added).cloned().collect();
            let new: Vec<_> = spans.iter().filter(|s| s.op != DiffOp::Removed).cloned().collect();
            let render = |spans: Vec<audit_core::DiffSpan>| {
                spans
                    .into_iter()
                    .map(|s| match s.op {
                        DiffOp::Same => view! { <span>{s.text}</span> }.into_any(),
                        DiffOp::Removed => view! { <del>{s.text}</del> }.into_any(),
                        DiffOp::Added => view! { <ins>{s.text}</ins> }.into_any(),
                    })
                    .collect_view()
            };
            view! {
                <div class="values" data-testid="value-change">
                    <div><span class="tag">"Before"</span><code class="old">{render(old)}</code></div>
                    <div><span class="tag">"After"</span><code class="new">{render(new)}</code></div>
                </div>
            }
            .into_any()
        }
        None => view! {
            <div class="values" data-testid="value-change">
                <div><span class="tag">"Before"</span><code>{previous.unwrap_or_else(|| "none".into())}</code></div>
                <div><span class="tag">"After"</span><code>{current.unwrap_or_else(|| "none".into())}</code></div>
            </div>
        }
        .into_any(),
    }
}

fn members_text(m: &Members) -> String {
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| format!("{k}: {}", audit_core::value::display_value(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell_text(c: Cell<'_>) -> String {
    match c.as_str() {
        Some(s) => s.to_owned(),
        None => c.to_json().to_string(),
    }
}
