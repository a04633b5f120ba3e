//! What summarises a whole result rather than showing rows: the facet chips and the density
//! histogram. Each is a pass over the result, so the engine sends them after the rows.

use audit_core::{density, facets, time_span, EventId, FacetCount, Store, UtcMillis};
use capillary_vocab::count::Grouped;

use crate::zone::Clock;

/// Facet values shown per group (the most frequent); the rest are one query away.
pub const FACET_CHIPS: usize = 8;

/// One facet value: clicking includes it in the query, `−` excludes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Chip {
    /// The value as the query matches it (`data-value`); empty for "(none)".
    pub value: String,
    /// What the chip shows.
    pub label: String,
    pub count: usize,
    /// False for "(none)": the query language has no clause for a missing value.
    pub searchable: bool,
}

/// The facets the chips offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Facet {
    Type,
    Field,
    Source,
    Mode,
    User,
}

impl Facet {
    /// What the group is headed.
    pub fn title(self) -> &'static str {
        match self {
            Facet::Type => "Type",
            Facet::Field => "Field",
            Facet::Source => "Source",
            Facet::Mode => "Mode",
            Facet::User => "User",
        }
    }

    /// The query qualifier a chip adds (`type:`), also `data-facet`.
    pub fn qualifier(self) -> &'static str {
        match self {
            Facet::Type => "type",
            Facet::Field => "field",
            Facet::Source => "source",
            Facet::Mode => "mode",
            Facet::User => "user",
        }
    }
}

/// A facet group: the facet and its chips.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FacetGroup {
    pub facet: Facet,
    pub chips: Vec<Chip>,
}

/// The facet groups of a result (groups without values are left out).
pub fn facet_groups(store: &Store, result: &[EventId]) -> Vec<FacetGroup> {
    let f = facets(store, result);
    let groups: [(Facet, &Vec<FacetCount>); 5] = [
        (Facet::Type, &f.types),
        (Facet::Field, &f.fields),
        (Facet::Source, &f.sources),
        (Facet::Mode, &f.modes),
        (Facet::User, &f.users),
    ];
    groups
        .into_iter()
        .filter(|(_, counts)| !counts.is_empty())
        .map(|(facet, counts)| FacetGroup {
            facet,
            chips: counts
                .iter()
                .take(FACET_CHIPS)
                .map(|c| Chip {
                    value: c.label.clone(),
                    label: if c.label.is_empty() {
                        "(none)".to_owned()
                    } else {
                        c.label.clone()
                    },
                    count: c.count,
                    searchable: !c.label.is_empty(),
                })
                .collect(),
        })
        .collect()
}

/// Bars across the whole loaded time span.
pub const BINS: usize = 72;

/// The density of a result over the whole store's time span (the axis does not collapse to
/// the selection, so a range can be widened again).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistogramView {
    /// The store's time span, epoch ms; `None` when nothing has a time.
    pub span: Option<(UtcMillis, UtcMillis)>,
    /// Events per bin.
    pub bins: Vec<usize>,
    /// "2023-01-04 – 2024-05-30 · drag to pick a time range", or the picked range's days and
    /// how to clear it.
    pub label: String,
    /// Where the picked range lies on the axis, as fractions; `None` without a range.
    pub selection: Option<(f64, f64)>,
    /// The bars, in the [`HISTOGRAM_VIEW_BOX`] (whole units), each with what it holds.
    pub bars: Vec<Bar>,
    /// All bars as one SVG path (`d`): a new result changes one attribute on the page, not
    /// four per bar.
    pub path: String,
    /// The picked range as a rectangle `(x, width)` in the same box.
    pub range: Option<(u32, u32)>,
}

/// The histogram's drawing box (`viewBox="0 0 W H"`): fine enough that whole units draw smooth
/// bars.
pub const HISTOGRAM_VIEW_BOX: (u32, u32) = (7200, 440);

/// One bar of the histogram: where it stands in the drawing box, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub count: usize,
    /// What pointing at it says: "12 events · 2023-01-04 – 2023-02-10" (days in the zone).
    pub label: String,
}

impl HistogramView {
    /// The bar at `fraction` (0..=1) of the axis, if one stands there.
    pub fn bar_at(&self, fraction: f64) -> Option<&Bar> {
        let (w, _) = HISTOGRAM_VIEW_BOX;
        let slot = w / BINS as u32;
        let bin = ((fraction.clamp(0.0, 1.0) * f64::from(w)) as u32 / slot).min(BINS as u32 - 1);
        self.bars.iter().find(|b| b.x / slot == bin)
    }

    /// The instant at `fraction` (0..=1) of the axis.
    pub fn time_at(&self, fraction: f64) -> Option<UtcMillis> {
        let (lo, hi) = self.span?;
        Some(lo + ((hi - lo) as f64 * fraction.clamp(0.0, 1.0)) as i64)
    }

    fn selection_of(&self, from: Option<UtcMillis>, to: Option<UtcMillis>) -> Option<(f64, f64)> {
        let (lo, hi) = self.span?;
        if from.is_none() && to.is_none() {
            return None;
        }
        let f = |t: UtcMillis| ((t - lo) as f64 / (hi - lo).max(1) as f64).clamp(0.0, 1.0);
        Some((from.map_or(0.0, f), to.map_or(1.0, f)))
    }
}

/// The histogram of `result`, with the range `from`..`to` picked on it.
pub fn histogram(
    store: &Store,
    result: &[EventId],
    range: (Option<UtcMillis>, Option<UtcMillis>),
    clock: &Clock,
) -> HistogramView {
    let span = time_span(store);
    let mut view = HistogramView {
        span,
        bins: span
            .map(|s| density(store, result, s, BINS))
            .unwrap_or_default(),
        label: String::new(),
        selection: None,
        bars: Vec::new(),
        path: String::new(),
        range: None,
    };
    if let Some((lo, hi)) = span {
        let (from, to) = range;
        view.label = match range {
            (None, None) => format!(
                "{} – {} · drag to pick a time range",
                clock.day(lo),
                clock.day(hi)
            ),
            _ => format!(
                "{} – {} · double-click to clear",
                clock.day(from.unwrap_or(lo)),
                clock.day(to.unwrap_or(hi))
            ),
        };
        view.selection = view.selection_of(from, to);
    }
    let (w, h) = HISTOGRAM_VIEW_BOX;
    let max = view.bins.iter().copied().max().unwrap_or(0).max(1);
    let slot = w / BINS as u32;
    let bin_days = |i: usize| {
        let (lo, hi) = span.unwrap_or_default();
        let at = |i: usize| lo + ((hi - lo) as i128 * i as i128 / BINS as i128) as i64;
        // A bin holds its start and not the next bin's; the last one holds the span's end.
        let last = if i + 1 == BINS { hi } else { at(i + 1) - 1 };
        let (start, end) = (clock.day(at(i)), clock.day(last.max(at(i))));
        if start == end {
            start
        } else {
            format!("{start} – {end}")
        }
    };
    view.bars = view
        .bins
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &count)| {
            // At least 15 units (1.5 % of the height) so one event still shows.
            let height = ((count as u64 * u64::from(h - 20) / max as u64) as u32).max(15);
            let events = if count == 1 { "event" } else { "events" };
            Bar {
                x: i as u32 * slot + 5,
                y: h - height,
                width: slot - 10,
                height,
                count,
                label: format!("{} {events} · {}", Grouped::from(count), bin_days(i)),
            }
        })
        .collect();
    view.path = view
        .bars
        .iter()
        .map(|b| format!("M{} {}h{}v{}h-{}z", b.x, b.y, b.width, b.height, b.width))
        .collect();
    view.range = view.selection.map(|(a, b)| {
        let x = (a * f64::from(w)) as u32;
        (x, (((b - a) * f64::from(w)) as u32).max(10))
    });
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{FixedOffsets, Zone};

    /// One current-shape record a time (epoch ms), one event each.
    fn store_of(times: &[i64]) -> (Store, Vec<EventId>) {
        let records: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    r#"{{"entityType":"CUSTOMER","entityId":1,"createdOn":{t},"requestId":"r{i}","updatedByMode":"MEMBER_CARE","events":[{{"eventType":"Customer Status","updatedField":"CustomerStatus","additionalFields":{{"previousValue":"ACTIVE","currentValue":"SUSPENDED"}}}}]}}"#
                )
            })
            .collect();
        let page = format!(r#"{{"data":[{}]}}"#, records.join(","));
        let mut store = Store::new();
        store.ingest_bytes("page", page.as_bytes());
        let all = (0..store.len() as EventId).collect();
        (store, all)
    }

    #[test]
    fn the_bars_are_one_path_and_each_says_what_it_holds_when_pointed_at() {
        const DAY: i64 = 86_400_000;
        let jan_1_2024 = 1_704_067_200_000;
        let (store, all) = store_of(&[jan_1_2024, jan_1_2024 + DAY / 4, jan_1_2024 + 70 * DAY]);
        let clock = Clock {
            offsets: &FixedOffsets,
            zone: &Zone::Utc,
            now: 0,
        };
        let h = histogram(&store, &all, (None, None), &clock);
        assert_eq!(h.bars.len(), 2, "{:?}", h.bars);
        let (first, last) = (&h.bars[0], &h.bars[1]);
        assert_eq!((first.count, last.count), (2, 1));
        assert_eq!(first.label, "2 events · 2024-01-01");
        assert_eq!(last.label, "1 event · 2024-03-10 – 2024-03-11");
        assert_eq!(
            h.path,
            h.bars
                .iter()
                .map(|b| format!("M{} {}h{}v{}h-{}z", b.x, b.y, b.width, b.height, b.width))
                .collect::<String>()
        );
        assert!(h.path.starts_with("M5 20h90v420h-90z"), "{}", h.path);
        assert_eq!(h.bar_at(0.0), Some(first));
        assert_eq!(
            h.bar_at(1.0),
            Some(last),
            "the end of the axis is the last bin"
        );
        assert_eq!(h.bar_at(0.5), None, "nothing happened mid-span");
    }
}
