//! What only the browser knows about time: "now", and the offset of the browser's or a named
//! zone at an instant (its `Intl` data, daylight saving included). The model asks through
//! [`explorer_model::Offsets`]; this is that seam's browser side, in the worker (a worker has
//! the page's `Intl` and zone).

use std::cell::RefCell;
use std::collections::HashMap;

use audit_core::UtcMillis;
use explorer_model::{Offsets, Zone};
use wasm_bindgen::{JsCast, JsValue};

/// Epoch ms now, from JavaScript (`std::time` panics on wasm32-unknown-unknown).
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// [`Offsets`] from `Intl.DateTimeFormat` (one formatter per named zone, kept).
#[derive(Default)]
pub struct IntlOffsets {
    /// `None`: the browser rejected the zone name.
    formatters: RefCell<HashMap<String, Option<js_sys::Intl::DateTimeFormat>>>,
}

impl Offsets for IntlOffsets {
    fn offset_minutes(&self, zone: &Zone, ms: UtcMillis) -> i32 {
        if !in_js_date_range(ms) {
            // `Intl` throws a RangeError for a Date it cannot represent, and a JS exception must
            // never unwind through Rust: such an instant is placed at UTC.
            return match zone {
                Zone::Fixed(m) => *m,
                _ => 0,
            };
        }
        match zone {
            Zone::Utc => 0,
            Zone::Fixed(m) => *m,
            Zone::Browser => -(js_sys::Date::new(&(ms as f64).into()).get_timezone_offset() as i32),
            Zone::Named(name) => self.named_offset(name, ms).unwrap_or(0),
        }
    }

    fn is_known(&self, zone: &Zone) -> bool {
        match zone {
            Zone::Named(name) => self.formatter(name).is_some(),
            _ => true,
        }
    }
}

impl IntlOffsets {
    fn formatter(&self, name: &str) -> Option<js_sys::Intl::DateTimeFormat> {
        self.formatters
            .borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| build_formatter(name))
            .clone()
    }

    fn named_offset(&self, name: &str, ms: UtcMillis) -> Option<i32> {
        let fmt = self.formatter(name)?;
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
}

/// JavaScript's `Date` holds ±8.64e15 ms (±100,000,000 days) around the epoch.
fn in_js_date_range(ms: UtcMillis) -> bool {
    ms.unsigned_abs() <= 8_640_000_000_000_000
}

/// `new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", …})`, through
/// `Reflect.construct` so an unknown zone (a RangeError) is `None`, not a thrown exception.
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use explorer_model::Clock;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A hostile or broken server can send any number as a time: no zone's formatting throws.
    #[wasm_bindgen_test]
    fn times_outside_what_a_js_date_holds_format_in_every_zone_without_throwing() {
        let offsets = IntlOffsets::default();
        let zones = [
            Zone::Utc,
            Zone::Browser,
            Zone::Fixed(330),
            Zone::Named("Asia/Kolkata".into()),
            Zone::Named("Not/AZone".into()),
        ];
        for zone in &zones {
            let clock = Clock {
                offsets: &offsets,
                zone,
                now: now(),
            };
            for ms in [
                i64::MIN,
                -8_640_000_000_000_001,
                8_640_000_000_000_001,
                i64::MAX,
                0,
            ] {
                let _ = clock.format(ms);
                let _ = clock.day(ms);
            }
            let _ = clock.label();
        }
        let kolkata = Zone::Named("Asia/Kolkata".into());
        let clock = Clock {
            offsets: &offsets,
            zone: &kolkata,
            now: 0,
        };
        assert_eq!(clock.format(0), "1970-01-01 05:30:00");
        assert!(!offsets.is_known(&Zone::Named("Not/AZone".into())));
    }
}
