//! The root component: loads the data set and lays out the page.

use leptos::prelude::*;

use crate::dataset::Dataset;
use crate::timeline::Timeline;

/// The whole explorer. With no configuration it opens on the built-in demo data.
#[component]
pub fn App() -> impl IntoView {
    let dataset = Dataset::demo();
    let report = dataset.report.clone();
    let entity = dataset.entity_label();
    view! {
        <div class="app">
            <header class="app-header">
                <h1>"Audit explorer"</h1>
                <span class="entity">{entity}</span>
                <span class="counts" data-testid="loaded-count">
                    {format!("{} events loaded", report.events)}
                </span>
            </header>
            <main>
                {(!report.problems.is_empty()).then(|| view! {
                    <div class="banner warn" data-testid="error" data-kind="damaged">
                        {report.problems.join("; ")}
                    </div>
                })}
                <Timeline dataset />
            </main>
        </div>
    }
}
