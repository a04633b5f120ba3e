//! Facet chips: the most frequent values of type, field, source, mode and user in the result.
//! A click includes a value in the query, `−` excludes it (an edit of the parsed query, see
//! `explorer_model::query_edit`); *Clear all* empties the query and the time range.

use explorer_model::query_edit::with_clause;
use explorer_model::views::{Chip, FacetGroup};
use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::link::use_link;

#[component]
pub fn Facets() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let has_filter = move || link.view.with(|s| s.is_filtered());
    view! {
        <div class="facets">
            {move || host.facets.get().into_iter().map(|group| view! { <Group group /> }).collect_view()}
            <button
                class="clear"
                title="Clear the query, facets and time range"
                data-testid="clear-filters"
                disabled=move || !has_filter()
                on:click=move |_| link.update_view(false, |s| {
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

#[component]
fn Group(group: FacetGroup) -> impl IntoView {
    let qualifier = group.facet.qualifier();
    view! {
        <div class="facet-group" data-testid=format!("facet-{qualifier}")>
            <span class="facet-title">{group.facet.title()}</span>
            {group.chips.into_iter().map(|chip| view! { <FacetChip qualifier chip /> }).collect_view()}
        </div>
    }
}

/// One facet value: click to include it in the query, `−` to exclude it.
#[component]
fn FacetChip(qualifier: &'static str, chip: Chip) -> impl IntoView {
    let link = use_link();
    let value = chip.value.clone();
    let add = move |negated: bool| {
        let value = value.clone();
        move |_| {
            link.update_view(false, |s| {
                s.query = with_clause(&s.query, qualifier, &value, negated)
            });
        }
    };
    let label = chip.label.clone();
    view! {
        <span class="chip" data-testid="facet-chip" data-facet=qualifier data-value=chip.value.clone()>
            <button class="chip-include" title=format!("Only {label}") disabled=!chip.searchable on:click=add(false)>
                {chip.label.clone()}
                <span class="chip-count">{chip.count}</span>
            </button>
            <button
                class="chip-exclude"
                title=format!("Exclude {label}")
                aria-label=format!("Exclude {label}")
                disabled=!chip.searchable
                on:click=add(true)
            >
                "−"
            </button>
        </span>
    }
}
