//! Density of the matching events over the whole loaded span. Dragging across it sets the time
//! range (`from`/`to` in the link); a double-click clears it.

use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::link::use_link;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 44.0;

#[component]
pub fn Histogram() -> impl IntoView {
    let host = use_engine();
    let link = use_link();
    let drag = RwSignal::new(None::<(f64, f64)>);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Pointer x → fraction of the axis.
    let fraction = move |client_x: i32| -> Option<f64> {
        let rect = svg_ref.get_untracked()?.get_bounding_client_rect();
        Some(((client_x as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0))
    };
    let selection = move || {
        drag.get()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .or_else(|| host.histogram.with(|h| h.selection))
    };
    let label = move || host.histogram.with(|h| h.label.clone());
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
                    let (from, to) = host.histogram.with_untracked(|h| (h.time_at(a), h.time_at(b)));
                    link.update_view(false, |s| {
                        s.from = from;
                        s.to = to;
                    });
                }
                on:pointerleave=move |_| drag.set(None)
                on:dblclick=move |_| link.update_view(false, |s| {
                    s.from = None;
                    s.to = None;
                })
            >
                {move || host.histogram.with(|h| {
                    let max = h.bins.iter().copied().max().unwrap_or(0).max(1) as f64;
                    let w = WIDTH / h.bins.len().max(1) as f64;
                    h.bins
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c > 0)
                        .map(|(i, &c)| {
                            let height = (c as f64 / max * (HEIGHT - 2.0)).max(1.5);
                            view! {
                                <rect class="bin" x=i as f64 * w + 0.5 y=HEIGHT - height width=w - 1.0 height=height>
                                    <title>{c.to_string()}" events"</title>
                                </rect>
                            }
                        })
                        .collect_view()
                })}
                {move || selection().map(|(a, b)| view! {
                    <rect class="range" x=a * WIDTH y="0" width=((b - a) * WIDTH).max(1.0) height=HEIGHT />
                })}
            </svg>
            <span class="histogram-label" data-testid="histogram-label">{label}</span>
        </div>
    }
}
