//! The status-log page: customer and card status/label periods as a lane, the current one
//! marked, with duration, reason and who for each.

use audit_core::time::format_duration;
use audit_core::{status_timeline, StatusEntry, StatusLogKind, StatusPeriod};
use leptos::prelude::*;

use crate::explorer::use_explorer;
use crate::url_state::Zone;
use crate::zone;

#[component]
pub fn StatusLogPage() -> impl IntoView {
    let explorer = use_explorer();
    move || {
        explorer.track();
        let zone = explorer.zone.get();
        let now = js_sys::Date::now() as i64;
        let lanes: Vec<(String, Vec<StatusPeriod>)> = explorer.with_store(|store| {
            let mut lanes = Vec::new();
            for (kind, title) in [
                (StatusLogKind::Customer, "Customer"),
                (StatusLogKind::Card, "Card"),
            ] {
                let entries: Vec<StatusEntry> = store
                    .status_entries()
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(|s| s.entry.clone())
                    .collect();
                // One lane per entity: a file set may hold several cards.
                let mut ids: Vec<Option<i64>> =
                    entries.iter().map(|e| e.entity_id.get().copied()).collect();
                ids.sort();
                ids.dedup();
                for id in ids {
                    let mine: Vec<StatusEntry> = entries
                        .iter()
                        .filter(|e| e.entity_id.get().copied() == id)
                        .cloned()
                        .collect();
                    let name = match id {
                        Some(id) => format!("{title} {id}"),
                        None => title.to_owned(),
                    };
                    lanes.push((name, status_timeline(&mine, Some(now))));
                }
            }
            lanes
        });
        if lanes.is_empty() {
            return view! {
                <p class="empty" data-testid="status-empty">
                    "No status log loaded. Status logs are fetched with the audit trail, or open a saved statusLog response."
                </p>
            }
            .into_any();
        }
        lanes
            .into_iter()
            .map(|(name, periods)| view! { <Lane name periods zone=zone.clone() now /> })
            .collect_view()
            .into_any()
    }
}

#[component]
fn Lane(name: String, periods: Vec<StatusPeriod>, zone: Zone, now: i64) -> impl IntoView {
    let start = periods.iter().filter_map(|p| p.start).min().unwrap_or(now);
    let span = (now - start).max(1) as f64;
    let bars = periods
        .iter()
        .map(|p| {
            let s = p.start.unwrap_or(start);
            let e = p.end.unwrap_or(now);
            let left = (s - start) as f64 / span * 100.0;
            let width = ((e - s) as f64 / span * 100.0).max(0.4);
            let status = p.status.clone().unwrap_or_default();
            let title = format!("{} / {}", status, p.label.clone().unwrap_or_default());
            view! {
                <span
                    class=format!("bar status-{}", status.to_ascii_lowercase())
                    class:current=p.is_current
                    style:left=format!("{left:.3}%")
                    style:width=format!("{width:.3}%")
                    title=title
                ></span>
            }
        })
        .collect_view();
    let rows = periods
        .into_iter()
        .rev()
        .map(|p| {
            let status = p.status.clone().unwrap_or_default();
            let label = p.label.clone().unwrap_or_default();
            let fmt = |t: Option<i64>| t.map(|t| zone::format_in(&zone, t)).unwrap_or_default();
            let (status_attr, label_attr) = (status.clone(), label.clone());
            view! {
                <tr
                    data-testid="status-entry"
                    data-status=status_attr
                    data-label=label_attr
                    class:current=p.is_current
                >
                    <td>
                        <span class=format!("dot status-{}", status.to_ascii_lowercase())></span>
                        {status}
                        {p.is_current.then(|| view! { <span class="badge">"current"</span> })}
                    </td>
                    <td>{label}</td>
                    <td>{fmt(p.start)}</td>
                    <td>{if p.is_current { "now".to_owned() } else { fmt(p.end) }}</td>
                    <td>{p.duration_ms.map(format_duration).unwrap_or_default()}</td>
                    <td>{p.reason.unwrap_or_default()}</td>
                    <td>{p.who.unwrap_or_else(|| p.created_by.map(|n| n.to_string()).unwrap_or_default())}</td>
                </tr>
            }
        })
        .collect_view();
    let aria = name.clone();
    view! {
        <section class="lane" aria-label=aria>
            <h2>{name}</h2>
            <div class="lane-bars" role="img" aria-label="Status periods over time">{bars}</div>
            <table class="periods">
                <thead>
                    <tr>
                        <th>"Status"</th><th>"Label"</th><th>{format!("From ({})", zone::label(&zone))}</th>
                        <th>"Until"</th><th>"Duration"</th><th>"Reason"</th><th>"By"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
