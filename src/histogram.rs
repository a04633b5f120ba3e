//! Density of the matching events over time. Dragging across it sets the time range (`from`/`to`
//! in the URL); a double-click clears it.

use leptos::prelude::*;

use crate::explorer::use_explorer;
use crate::zone;

/// Bars across the whole loaded time span.
const BINS: usize = 72;
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 44.0;

#[component]
pub fn Histogram() -> impl IntoView {
    let explorer = use_explorer();
    // The axis is the whole store's span, so a selection never collapses it.
    let span = Memo::new(move |_| {
        explorer.track();
        explorer.with_store(audit_core::time_span)
    });
    let counts = Memo::new(move |_| {
        let span = span.get()?;
        let events = explorer.settled()?;
        Some(explorer.with_store(|s| audit_core::density(s, &events, span, BINS)))
    });
    let drag = RwSignal::new(None::<(f64, f64)>);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Pointer x → fraction of the axis.
    let fraction = move |client_x: i32| -> Option<f64> {
        let rect = svg_ref.get_untracked()?.get_bounding_client_rect();
        Some(((client_x as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0))
    };
    let to_time = move |f: f64| {
        span.get_untracked()
            .map(|(lo, hi)| lo + ((hi - lo) as f64 * f) as i64)
    };
    let selection = move || {
        if let Some((a, b)) = drag.get() {
            return Some((a.min(b), a.max(b)));
        }
        let (lo, hi) = span.get()?;
        let (from, to) = explorer.state.with(|s| (s.from, s.to));
        if from.is_none() && to.is_none() {
            return None;
        }
        let f = |t: i64| ((t - lo) as f64 / (hi - lo) as f64).clamp(0.0, 1.0);
        Some((from.map_or(0.0, f), to.map_or(1.0, f)))
    };
    let label = move || {
        let zone = explorer.zone.get();
        let (lo, hi) = span.get()?;
        let (from, to) = explorer.state.with(|s| (s.from, s.to));
        let day = |t: i64| zone::format_in(&zone, t)[..10].to_owned();
        Some(match (from, to) {
            (None, None) => format!("{} – {} · drag to pick a time range", day(lo), day(hi)),
            (f, t) => format!(
                "{} – {} · double-click to clear",
                day(f.unwrap_or(lo)),
                day(t.unwrap_or(hi)),
            ),
        })
    };
    view! {
        <div class="histogram" data-testid="histogram">
            <svg
                node_ref=svg_ref
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label="Matching events over time; drag to set a time range"
                on:pointerdown=move |e| {
                    if let Some(f) = fraction(e.client_x()) {
                        drag.set(Some((f, f)));
                    }
                }
                on:pointermove=move |e| {
                    if let (Some((a, _)), Some(f)) = (drag.get_untracked(), fraction(e.client_x())) {
                        drag.set(Some((a, f)));
                    }
                }
                on:pointerup=move |e| {
                    let Some((a, _)) = drag.get_untracked() else { return };
                    drag.set(None);
                    let b = fraction(e.client_x()).unwrap_or(a);
                    let (a, b) = (a.min(b), a.max(b));
                    if b - a < 0.005 {
                        return; // a click, not a drag
                    }
                    let (from, to) = (to_time(a), to_time(b));
                    explorer.update_state(false, |s| {
                        s.from = from;
                        s.to = to;
                    });
                }
                on:pointerleave=move |_| drag.set(None)
                on:dblclick=move |_| explorer.update_state(false, |s| {
                    s.from = None;
                    s.to = None;
                })
            >
                {move || {
                    let bins = counts.get().unwrap_or_default();
                    let max = bins.iter().copied().max().unwrap_or(0).max(1) as f64;
                    let w = WIDTH / BINS as f64;
                    bins.into_iter()
                        .enumerate()
                        .filter(|(_, c)| *c > 0)
                        .map(|(i, c)| {
                            let h = (c as f64 / max * (HEIGHT - 2.0)).max(1.5);
                            view! {
                                <rect class="bin" x=i as f64 * w + 0.5 y=HEIGHT - h width=w - 1.0 height=h>
                                    <title>{c.to_string()}" events"</title>
                                </rect>
                            }
                        })
                        .collect_view()
                }}
                {move || selection().map(|(a, b)| view! {
                    <rect class="range" x=a * WIDTH y="0" width=((b - a) * WIDTH).max(1.0) height=HEIGHT />
                })}
            </svg>
            <span class="histogram-label" data-testid="histogram-label">{label}</span>
        </div>
    }
}
