//! Keeping a live trail current: the Refresh action (only what is newer than the newest loaded
//! event is asked for, see the model's `SessionPlan::refresh`), an optional auto-refresh while
//! the trail is open, the "N new events" line, how old the part kept on the device is, and
//! "Forget cached data". What is asked and what it means is the plan's and the engine's; this
//! only starts it.

use gloo_timers::callback::Interval;
use leptos::prelude::*;

use crate::engine_host::use_engine;
use crate::live::{use_live, Live};

/// Auto-refresh intervals offered, in minutes (0: off). A minute at the least: a refresh costs
/// a request or two of the API keys' limit (100 a minute on demo clusters).
const AUTO_REFRESH_MINUTES: [u32; 4] = [0, 1, 5, 15];

/// Refreshes the live trail every `live.auto_refresh` minutes while one is open (a refresh
/// still running, or a source that is not live, skips a tick).
pub fn keep_refreshing(live: Live) {
    let timer = StoredValue::new_local(None::<Interval>);
    Effect::new(move |_| {
        let minutes = live.auto_refresh.get();
        // Dropping the previous interval cancels it.
        timer.set_value(None);
        if minutes > 0 {
            timer.set_value(Some(Interval::new(minutes * 60_000, move || {
                if live.can_refresh() {
                    live.refresh();
                }
            })));
        }
    });
}

/// Refresh, auto-refresh and what the latest refresh brought, for the fetch line.
#[component]
pub fn RefreshControls(enabled: bool) -> impl IntoView {
    let live = use_live();
    let host = use_engine();
    let minutes = live.auto_refresh;
    let on_auto = move |e: leptos::ev::Event| {
        minutes.set(event_target_value(&e).parse().unwrap_or(0));
    };
    let new_events = move || host.report.with(|r| r.new_events_line());
    view! {
        <button
            data-testid="refresh"
            title="Load only what is newer than the newest event shown"
            disabled=!enabled
            on:click=move |_| live.refresh()
        >
            "Refresh"
        </button>
        <label class="auto-refresh">
            "Auto-refresh "
            <select data-testid="auto-refresh" on:change=on_auto>
                {AUTO_REFRESH_MINUTES
                    .into_iter()
                    .map(|m| {
                        let label = if m == 0 { "off".to_owned() } else { format!("every {m} min") };
                        view! { <option value=m.to_string() selected=move || minutes.get() == m>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
        {move || new_events().map(|line| view! {
            <span class="new-events" data-testid="new-events">{line}</span>
        })}
    }
}

/// "kept on this device, saved 3 hours ago", when the trail shown started from the cache.
#[component]
pub fn CachedAge() -> impl IntoView {
    let host = use_engine();
    move || {
        host.report.with(|r| r.cached.clone()).map(|line| {
            view! { <span class="cached" data-testid="cached-age">{line}</span> }
        })
    }
}

/// "Forget cached data": removes every trail kept on this device (offered where the
/// deployment keeps them).
#[component]
pub fn ForgetCached() -> impl IntoView {
    let live = use_live();
    live.caches().then(|| {
        view! {
            <button
                data-testid="forget-cache"
                title="Remove every audit trail this explorer keeps on this device"
                on:click=move |_| live.forget_cached()
            >
                "Forget cached data"
            </button>
        }
    })
}
