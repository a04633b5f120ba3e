//! One event in full: every fact, the changed characters of long values, merge victim and
//! survivor side by side, the other events of its request, linked entities and the raw record.

use explorer_model::views::{DetailView, EntityRef, Mark, Span, ValueChange};
use explorer_model::ApiLink;
use leptos::prelude::*;

use crate::link::use_link;

#[component]
pub fn EventDetail(detail: DetailView) -> impl IntoView {
    let link = use_link();
    view! {
        <aside class="detail" data-testid="event-detail" aria-label="Event detail" data-event-key=detail.key>
            <header>
                <h2>{detail.title}</h2>
                <button class="close" data-testid="close-detail" aria-label="Close detail (Esc)"
                    on:click=move |_| link.update_view(false, |s| s.event = None)>"×"</button>
            </header>
            <p class="when" title=detail.when_utc>{detail.when}</p>
            <Values change=detail.change />
            <dl class="facts">
                {detail.facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                {(!detail.links.is_empty()).then(|| view! {
                    <dt>"Linked"</dt>
                    <dd>{detail.links.into_iter().map(|entity| view! { <EntityLink entity /> }).collect_view()}</dd>
                })}
            </dl>
            {detail.merge.map(|m| view! {
                <h3>"Merge"</h3>
                <table class="merge" data-testid="merge">
                    <thead><tr><th></th><th>"Victim (merged away)"</th><th>"Survivor (kept)"</th></tr></thead>
                    <tbody>
                        {m.rows.into_iter().map(|(k, v, s)| view! { <tr><th>{k}</th><td>{v}</td><td>{s}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!detail.additional.is_empty()).then(|| view! {
                <h3>"Additional fields"</h3>
                <dl class="facts">{detail.additional.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
            })}
            {(!detail.same_request.is_empty()).then(|| view! {
                <h3>"Same request"</h3>
                <ul class="change-set">
                    {detail.same_request.into_iter().map(|peer| {
                        let key = peer.key;
                        view! {
                            <li><button class="link" on:click=move |_| {
                                let key = key.clone();
                                link.update_view(false, |s| s.event = Some(key));
                            }>{peer.label}</button></li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <details class="raw">
                <summary>"Raw JSON"</summary>
                <pre data-testid="raw-json">{detail.raw}</pre>
            </details>
        </aside>
    }
}

/// Opens a linked entity: from the live API its own trail; in loaded data, its events.
#[component]
fn EntityLink(entity: EntityRef) -> impl IntoView {
    let link = use_link();
    let label = format!("{} {}", entity.entity_type, entity.id);
    let open = move |_| {
        let live = link.request.get_untracked().and_then(Result::ok);
        let entity_type = capillary_client::EntityType::parse(&entity.entity_type);
        match (live, entity_type) {
            (Some(request), Some(t)) => {
                link.open_source(ApiLink::of(&request.for_entity(t, entity.id)))
            }
            (Some(_), None) => {}
            (None, _) => link.update_view(false, |s| {
                s.query = entity.id.to_string();
                s.event = None;
            }),
        }
    };
    view! { <button class="link" data-testid="entity-link" on:click=open>{label}" →"</button> }
}

/// Old and new value; for long differing values the changed characters are marked.
#[component]
fn Values(change: ValueChange) -> impl IntoView {
    view! {
        <div class="values" data-testid="value-change">
            <div><span class="tag">"Before"</span><Value spans=change.before side="old" /></div>
            <div><span class="tag">"After"</span><Value spans=change.after side="new" /></div>
        </div>
    }
}

#[component]
fn Value(spans: Option<Vec<Span>>, side: &'static str) -> impl IntoView {
    let Some(spans) = spans else {
        return view! { <code>"none"</code> }.into_any();
    };
    let marked = spans.iter().any(|s| s.mark != Mark::Same);
    let parts = spans
        .into_iter()
        .map(|s| match s.mark {
            Mark::Same if marked => view! { <span>{s.text}</span> }.into_any(),
            Mark::Same => s.text.into_any(),
            Mark::Removed => view! { <del>{s.text}</del> }.into_any(),
            Mark::Added => view! { <ins>{s.text}</ins> }.into_any(),
        })
        .collect_view();
    view! { <code class=if marked { side } else { "" }>{parts}</code> }.into_any()
}
