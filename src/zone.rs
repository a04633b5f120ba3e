//! Showing instants in the zone the user picked (UTC, the browser's zone, a named IANA zone, or a
//! fixed offset), everywhere the app prints a time.

use std::cell::RefCell;
use std::collections::HashMap;

use audit_core::{format_at_offset, UtcMillis};
use wasm_bindgen::{JsCast, JsValue};

use crate::url_state::Zone;

/// Zones offered in the picker besides UTC and the browser's own (the URL takes any IANA name).
pub const COMMON: [&str; 9] = [
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Dubai",
    "Asia/Jakarta",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
];

thread_local! {
    /// One Intl formatter per named zone (building one is slow); `None` = the browser rejected it.
    static FORMATTERS: RefCell<HashMap<String, Option<js_sys::Intl::DateTimeFormat>>> =
        RefCell::new(HashMap::new());
}

/// Minutes east of UTC that `zone` has at instant `ms` (DST included). An unknown zone name is
/// shown as UTC (and [`is_known`] says so).
pub fn offset_minutes(zone: &Zone, ms: UtcMillis) -> i32 {
    if !in_js_date_range(ms) {
        // `Intl` throws a RangeError for a Date it cannot represent, and a JS exception must
        // never unwind through Rust: such a time is shown at UTC (the caller shows it raw).
        return match zone {
            Zone::Fixed(m) => *m,
            _ => 0,
        };
    }
    match zone {
        Zone::Utc => 0,
        Zone::Fixed(m) => *m,
        Zone::Browser => -(js_sys::Date::new(&(ms as f64).into()).get_timezone_offset() as i32),
        Zone::Named(name) => named_offset(name, ms).unwrap_or(0),
    }
}

/// JavaScript's `Date` holds ±8.64e15 ms (±100,000,000 days) around the epoch.
fn in_js_date_range(ms: UtcMillis) -> bool {
    ms.unsigned_abs() <= 8_640_000_000_000_000
}

/// False for a named zone the browser does not know.
pub fn is_known(zone: &Zone) -> bool {
    match zone {
        Zone::Named(name) => formatter(name).is_some(),
        _ => true,
    }
}

fn formatter(name: &str) -> Option<js_sys::Intl::DateTimeFormat> {
    FORMATTERS.with(|cache| {
        cache
            .borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| build_formatter(name))
            .clone()
    })
}

/// `new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", …})`, through
/// `Reflect.construct` so an unknown zone (a RangeError) is an `Err`, not a thrown exception.
fn build_formatter(name: &str) -> Option<js_sys::Intl::DateTimeFormat> {
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| js_sys::Reflect::set(&options, &k.into(), &v.into()).ok();
    set("timeZone", name)?;
    set("hourCycle", "h23")?;
    for field in ["year", "month", "day", "hour", "minute", "second"] {
        set(field, "numeric")?;
    }
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let constructor: js_sys::Function = js_sys::Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args = js_sys::Array::of2(&JsValue::from_str("en-US"), &options);
    js_sys::Reflect::construct(&constructor, &args)
        .ok()?
        .dyn_into()
        .ok()
}

fn named_offset(name: &str, ms: UtcMillis) -> Option<i32> {
    let fmt = formatter(name)?;
    let parts = fmt.format_to_parts(&js_sys::Date::new(&(ms as f64).into()));
    let mut f = [0i64; 6];
    for part in parts.iter() {
        let kind = js_sys::Reflect::get(&part, &"type".into())
            .ok()?
            .as_string()?;
        let value = js_sys::Reflect::get(&part, &"value".into())
            .ok()?
            .as_string()?;
        let slot = match kind.as_str() {
            "year" => 0,
            "month" => 1,
            "day" => 2,
            "hour" => 3,
            "minute" => 4,
            "second" => 5,
            _ => continue,
        };
        f[slot] = value.parse().ok()?;
    }
    let local = audit_core::time::days_from_civil(f[0], f[1], f[2]) * 86_400_000
        + (f[3] % 24) * 3_600_000
        + f[4] * 60_000
        + f[5] * 1_000;
    let utc_seconds = ms.div_euclid(1000) * 1000;
    Some(((local - utc_seconds) / 60_000) as i32)
}

/// `YYYY-MM-DD HH:MM:SS` in `zone`.
pub fn format_in(zone: &Zone, ms: UtcMillis) -> String {
    format_at_offset(ms, offset_minutes(zone, ms))
}

/// Short label of the zone for headings: `UTC`, `Asia/Kolkata (UTC+05:30)`.
pub fn label(zone: &Zone) -> String {
    let now = js_sys::Date::now() as i64;
    let offset = |m: i32| {
        if m == 0 {
            "UTC".to_owned()
        } else {
            format!("UTC{}", Zone::Fixed(m).key())
        }
    };
    match zone {
        Zone::Utc => "UTC".into(),
        Zone::Named(name) if is_known(zone) => {
            format!("{name} ({})", offset(offset_minutes(zone, now)))
        }
        Zone::Named(name) => format!("UTC — unknown zone {name}"),
        other => offset(offset_minutes(other, now)),
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A hostile or broken server can send any number as a time: no zone's formatting throws.
    #[wasm_bindgen_test]
    fn times_outside_what_a_js_date_holds_format_in_every_zone_without_throwing() {
        let zones = [
            Zone::Utc,
            Zone::Browser,
            Zone::Fixed(330),
            Zone::Named("Asia/Kolkata".into()),
            Zone::Named("Not/AZone".into()),
        ];
        for zone in &zones {
            for ms in [
                i64::MIN,
                -8_640_000_000_000_001,
                8_640_000_000_000_001,
                i64::MAX,
                0,
            ] {
                let _ = format_in(zone, ms);
                let _ = offset_minutes(zone, ms);
            }
            let _ = label(zone);
        }
        assert_eq!(
            format_in(&Zone::Named("Asia/Kolkata".into()), 0),
            "1970-01-01 05:30:00"
        );
    }
}
