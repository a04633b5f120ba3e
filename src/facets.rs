//! Facet chips: the most frequent values of type, field, source, mode and user in the result.
//! A click includes a value in the query, `−` excludes it (an edit of the parsed query, see
//! `explorer_model::query_edit`); *Clear all* empties the query and the time range.
//!
//! Groups and chips are keyed (by facet, by value): a new result moves chips and updates their
//! counts in place, and only a value that comes or goes adds or removes one.

use explorer_model::query_edit::with_clause;
use explorer_model::views::{Chip, Facet, FacetGroup};
use explorer_model::Grouped;
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
            <For
                each=move || host.facets.with(|groups| groups.iter().map(|g| g.facet).collect::<Vec<_>>())
                key=|facet| *facet
                children=|facet| view! { <Group facet /> }
            />
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
fn Group(facet: Facet) -> impl IntoView {
    let host = use_engine();
    let qualifier = facet.qualifier();
    // The chips of this group, as the engine last counted them.
    let chips = move || host.facets.with(|groups| chips_of(groups, facet).to_vec());
    view! {
        <div class="facet-group" data-testid=format!("facet-{qualifier}")>
            <span class="facet-title">{facet.title()}</span>
            <For
                each=chips
                key=|chip| (chip.value.clone(), chip.label.clone(), chip.searchable)
                children=move |chip| view! { <FacetChip facet chip /> }
            />
        </div>
    }
}

/// The chips of `facet`'s group in `groups` (none when the result has no such values).
fn chips_of(groups: &[FacetGroup], facet: Facet) -> &[Chip] {
    groups
        .iter()
        .find(|g| g.facet == facet)
        .map_or(&[], |g| g.chips.as_slice())
}

/// One facet value: click to include it in the query, `−` to exclude it. Its count follows
/// the result.
#[component]
fn FacetChip(facet: Facet, chip: Chip) -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let qualifier = facet.qualifier();
    let value = chip.value.clone();
    let count = {
        let value = value.clone();
        Memo::new(move |_| {
            host.facets.with(|groups| {
                chips_of(groups, facet)
                    .iter()
                    .find(|c| c.value == value)
                    .map_or(0, |c| c.count)
            })
        })
    };
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
                <span class="chip-count">{move || Grouped::from(count.get()).to_string()}</span>
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
