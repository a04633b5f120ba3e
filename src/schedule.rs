//! Time on the page: "now", and when deferred work runs (after the next frame has painted, a
//! task queued from its animation frame, so work that can wait never holds back the frame that
//! shows a keystroke).

use leptos::prelude::request_animation_frame;

/// Runs `f` after the next frame has painted.
pub fn after_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || {
        gloo_timers::callback::Timeout::new(0, f).forget();
    });
}

/// Epoch ms now, from JavaScript (`std::time` panics on wasm32-unknown-unknown).
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}
