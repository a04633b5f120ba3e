//! The status-log page: customer and card status/label periods as a lane per entity, the
//! current one marked, with duration, reason and who for each.

use explorer_model::views::LaneView;
use leptos::prelude::*;

use crate::engine_host::use_engine;

#[component]
pub fn StatusLogPage() -> impl IntoView {
    let host = use_engine();
    move || {
        let status = host.status.get();
        if status.lanes.is_empty() {
            return view! {
                <p class="empty" data-testid="status-empty">
                    "No status log loaded. Status logs are fetched with the audit trail, or open a saved statusLog response."
                </p>
            }
            .into_any();
        }
        let zone = status.zone_label;
        status
            .lanes
            .into_iter()
            .map(|lane| view! { <Lane lane zone=zone.clone() /> })
            .collect_view()
            .into_any()
    }
}

#[component]
fn Lane(lane: LaneView, zone: String) -> impl IntoView {
    let bars = lane
        .periods
        .iter()
        .map(|p| {
            view! {
                <span
                    class=format!("bar status-{}", p.status_class())
                    class:current=p.is_current
                    style:left=p.left.clone()
                    style:width=p.width.clone()
                    title=format!("{} / {}", p.status, p.label)
                ></span>
            }
        })
        .collect_view();
    let rows = lane
        .periods
        .into_iter()
        .rev()
        .map(|p| {
            let class = format!("dot status-{}", p.status_class());
            let (status_attr, label_attr) = (p.status.clone(), p.label.clone());
            view! {
                <tr data-testid="status-entry" data-status=status_attr data-label=label_attr class:current=p.is_current>
                    <td>
                        <span class=class></span>
                        {p.status}
                        {p.is_current.then(|| view! { <span class="badge">"current"</span> })}
                    </td>
                    <td>{p.label}</td>
                    <td>{p.from}</td>
                    <td>{p.until}</td>
                    <td>{p.duration}</td>
                    <td>{p.reason}</td>
                    <td>{p.who}</td>
                </tr>
            }
        })
        .collect_view();
    let title = lane.title;
    let aria = title.clone();
    view! {
        <section class="lane" aria-label=aria>
            <h2>{title}</h2>
            <div class="lane-bars" role="img" aria-label="Status periods over time">{bars}</div>
            <table class="periods">
                <thead>
                    <tr>
                        <th>"Status"</th><th>"Label"</th><th>{format!("From ({zone})")}</th>
                        <th>"Until"</th><th>"Duration"</th><th>"Reason"</th><th>"By"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
