//! The status-log page: customer and card status/label periods, one lane per entity, the
//! current period marked, with its bar's place on the lane worked out here.

use audit_core::time::format_duration;
use audit_core::{status_timeline, StatusEntry, StatusLogKind, Store, UtcMillis};

use crate::zone::Clock;

/// One period of a lane.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeriodView {
    pub status: String,
    pub label: String,
    /// The bar: CSS left edge and width in percent of the lane (`"12.345%"`; at least 0.4 %
    /// so a short period stays visible).
    pub left: String,
    pub width: String,
    pub from: String,
    /// "now" for the current period.
    pub until: String,
    pub duration: String,
    pub reason: String,
    pub who: String,
    pub is_current: bool,
}

impl PeriodView {
    /// The lower-case CSS class suffix of the status (`status-active`): letters, digits, `-`
    /// and `_` only, since it comes from the API.
    pub fn status_class(&self) -> String {
        self.status
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
}

/// One entity's lane: "Customer 564590100", its periods oldest first.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LaneView {
    pub title: String,
    pub periods: Vec<PeriodView>,
}

/// The status-log page: lanes, and the zone label for the table heading.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusView {
    pub lanes: Vec<LaneView>,
    pub zone_label: String,
}

/// Every entity's status lane, customers first, then cards, by entity id.
pub fn status_lanes(store: &Store, clock: &Clock) -> StatusView {
    let now = clock.now;
    let mut lanes = Vec::new();
    for (kind, title) in [
        (StatusLogKind::Customer, "Customer"),
        (StatusLogKind::Card, "Card"),
    ] {
        let mut by_entity: Vec<(Option<i64>, Vec<StatusEntry>)> = Vec::new();
        for s in store.status_entries().iter().filter(|s| s.kind == kind) {
            let id = s.entry.entity_id.get().copied();
            match by_entity.iter_mut().find(|(e, _)| *e == id) {
                Some((_, entries)) => entries.push(s.entry.clone()),
                None => by_entity.push((id, vec![s.entry.clone()])),
            }
        }
        by_entity.sort_by_key(|(id, _)| *id);
        for (id, entries) in by_entity {
            lanes.push(LaneView {
                title: match id {
                    Some(id) => format!("{title} {id}"),
                    None => title.to_owned(),
                },
                periods: periods(&entries, now, clock),
            });
        }
    }
    StatusView {
        lanes,
        zone_label: clock.label(),
    }
}

fn periods(entries: &[StatusEntry], now: UtcMillis, clock: &Clock) -> Vec<PeriodView> {
    let periods = status_timeline(entries, Some(now));
    let start = periods.iter().filter_map(|p| p.start).min().unwrap_or(now);
    let span = now.saturating_sub(start).max(1) as f64;
    let fmt = |t: Option<UtcMillis>| t.map(|t| clock.format(t)).unwrap_or_default();
    periods
        .into_iter()
        .map(|p| {
            let s = p.start.unwrap_or(start);
            let e = p.end.unwrap_or(now);
            PeriodView {
                status: p.status.clone().unwrap_or_default(),
                label: p.label.clone().unwrap_or_default(),
                left: percent(s.saturating_sub(start) as f64 / span * 100.0),
                width: percent((e.saturating_sub(s) as f64 / span * 100.0).max(0.4)),
                from: fmt(p.start),
                until: if p.is_current {
                    "now".to_owned()
                } else {
                    fmt(p.end)
                },
                duration: p.duration_ms.map(format_duration).unwrap_or_default(),
                reason: p.reason.unwrap_or_default(),
                who: p
                    .who
                    .unwrap_or_else(|| p.created_by.map(|n| n.to_string()).unwrap_or_default()),
                is_current: p.is_current,
            }
        })
        .collect()
}

/// `12.345%`, written with integer arithmetic (float formatting would add its code to the
/// worker's module for three decimals of a CSS length).
fn percent(value: f64) -> String {
    let thousandths = (value.clamp(0.0, 100.0) * 1000.0).round() as u64;
    format!("{}.{:03}%", thousandths / 1000, thousandths % 1000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_are_written_to_three_places() {
        assert_eq!(super::percent(12.3456), "12.346%");
        assert_eq!(super::percent(0.4), "0.400%");
        assert_eq!(super::percent(150.0), "100.000%");
        assert_eq!(super::percent(f64::NAN), "0.000%");
    }
}
