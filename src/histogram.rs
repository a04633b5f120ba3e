//! Density of the matching events over the whole loaded span. Pointing at a bar says what it
//! holds; dragging across it sets the time range (`from`/`to` in the link); a double-click
//! clears it. The bars are one path the engine draws, so a new result changes one attribute.

use explorer_model::views::HISTOGRAM_VIEW_BOX;
use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::link::use_link;

/// The drawing box's size (the engine places the bars in it).
const WIDTH: u32 = HISTOGRAM_VIEW_BOX.0;
const HEIGHT: u32 = HISTOGRAM_VIEW_BOX.1;

#[component]
pub fn Histogram() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let drag = RwSignal::new(None::<(f64, f64)>);
    // What the bar under the pointer holds, while it points at one (not while dragging).
    let pointed = RwSignal::new(None::<String>);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Pointer x → fraction of the axis.
    let fraction = move |client_x: i32| -> Option<f64> {
        let rect = svg_ref.get_untracked()?.get_bounding_client_rect();
        Some(((client_x as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0))
    };
    // While dragging, the range follows the pointer; else the engine's picked range.
    let range = move || match drag.get() {
        Some((a, b)) => {
            let (a, b) = (a.min(b), a.max(b));
            let x = (a * f64::from(WIDTH)) as u32;
            Some((x, (((b - a) * f64::from(WIDTH)) as u32).max(10)))
        }
        None => host.histogram.with(|h| h.range),
    };
    let label = move || {
        pointed
            .get()
            .unwrap_or_else(|| host.histogram.with(|h| h.label.clone()))
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
                    pointed.set(None);
                    if let Some(f) = fraction(e.client_x()) {
                        drag.set(Some((f, f)));
                    }
                }
                on:pointermove=move |e| {
                    let Some(f) = fraction(e.client_x()) else { return };
                    match drag.get_untracked() {
                        Some((a, _)) => drag.set(Some((a, f))),
                        None => {
                            let bar = host.histogram.with_untracked(|h| h.bar_at(f).map(|b| b.label.clone()));
                            if pointed.get_untracked() != bar {
                                pointed.set(bar);
                            }
                        }
                    }
                }
                on:pointerup=move |e| {
                    pointed.set(None);
                    let Some((a, _)) = drag.get_untracked() else { return };
                    drag.set(None);
                    let b = fraction(e.client_x()).unwrap_or(a);
                    let (a, b) = (a.min(b), a.max(b));
                    if b - a < 0.005 {
                        return; // a click, not a drag
                    }
                    let (from, to) = host.histogram.with_untracked(|h| (h.time_at(a), h.time_at(b)));
                    link.update_view(false, |s| {
                        s.from = from;
                        s.to = to;
                    });
                }
                on:pointerleave=move |_| {
                    drag.set(None);
                    pointed.set(None);
                }
                on:dblclick=move |_| link.update_view(false, |s| {
                    s.from = None;
                    s.to = None;
                })
            >
                <path class="bin" d=move || host.histogram.with(|h| h.path.clone()) />
                {move || range().map(|(x, width)| view! {
                    <rect class="range" x=x y="0" width=width height=HEIGHT />
                })}
            </svg>
            <span class="histogram-label" data-testid="histogram-label">{label}</span>
        </div>
    }
}
