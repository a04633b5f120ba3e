//! Showing instants in the zone the user picked (UTC, the browser's zone, or a fixed offset),
//! everywhere the app prints a time.

use audit_core::{format_at_offset, UtcMillis};

use crate::url_state::Zone;

/// Minutes east of UTC that `zone` has at instant `ms` (the browser zone can change with DST).
pub fn offset_minutes(zone: &Zone, ms: UtcMillis) -> i32 {
    match zone {
        Zone::Utc => 0,
        Zone::Fixed(m) => *m,
        Zone::Browser => -(js_sys::Date::new(&(ms as f64).into()).get_timezone_offset() as i32),
    }
}

/// `YYYY-MM-DD HH:MM:SS` in `zone`.
pub fn format_in(zone: &Zone, ms: UtcMillis) -> String {
    format_at_offset(ms, offset_minutes(zone, ms))
}

/// Short label of the zone for column headers: `UTC`, `UTC+05:30`.
pub fn label(zone: &Zone) -> String {
    match zone {
        Zone::Utc => "UTC".into(),
        other => {
            let m = offset_minutes(other, js_sys::Date::now() as i64);
            if m == 0 {
                "UTC".into()
            } else {
                format!("UTC{}", Zone::Fixed(m).key())
            }
        }
    }
}

/// "3 days ago"-style hint next to absolute times.
pub fn age(ms: UtcMillis, now: UtcMillis) -> String {
    let secs = (now - ms) / 1000;
    let (n, unit) = match secs.abs() {
        s if s < 90 => return "just now".into(),
        s if s < 90 * 60 => (s / 60, "minute"),
        s if s < 36 * 3600 => (s / 3600, "hour"),
        s if s < 60 * 86_400 => (s / 86_400, "day"),
        s if s < 730 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if secs >= 0 {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("in {n} {unit}{plural}")
    }
}
