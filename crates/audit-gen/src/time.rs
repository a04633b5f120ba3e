//! Calendar arithmetic on epoch milliseconds, without a clock or a date crate.
//!
//! The generator never reads the current time (it must be reproducible and
//! run in wasm32, where `SystemTime::now()` panics); callers pass times in.
//! The simulator also uses [`parse_query_date`] to read `startDate`/`endDate`.

use capillary_vocab::civil::days_in_month;

/// Milliseconds in one day.
pub const DAY_MS: i64 = 86_400_000;

/// The calendar is the vocabulary's ([`capillary_vocab::civil`], total over `i64`), shared
/// with the parser and the client.
pub use capillary_vocab::civil::{civil_from_days, days_from_civil};

/// Epoch milliseconds for a UTC date and time.
pub fn epoch_ms(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    days_from_civil(year, i64::from(month), i64::from(day)) * DAY_MS
        + i64::from(hour) * 3_600_000
        + i64::from(min) * 60_000
        + i64::from(sec) * 1000
}

fn split(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS) / 1000;
    let (y, mo, d) = civil_from_days(days);
    // Month 1–12 and day 1–31 always fit.
    (
        y,
        mo as u32,
        d as u32,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// `2023-10-27T06:14:41Z`: the legacy audit endpoint's time format (seconds
/// precision, UTC).
pub fn iso_utc(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = split(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// ISO time shown in a fixed offset, e.g. `2025-01-30T14:47:06+05:30`
/// (status logs may carry the cluster's local offset). `offset_min == 0`
/// gives the `Z` form.
pub fn iso_with_offset(ms: i64, offset_min: i32) -> String {
    if offset_min == 0 {
        return iso_utc(ms);
    }
    let local = ms + i64::from(offset_min) * 60_000;
    let (y, mo, d, h, mi, s) = split(local);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{:02}:{:02}",
        off / 60,
        off % 60
    )
}

/// `YYYY-MM-DD` of the instant in the given offset (status logs'
/// `autoUpdateTime`).
pub fn ymd(ms: i64, offset_min: i32) -> String {
    let (y, mo, d, ..) = split(ms + i64::from(offset_min) * 60_000);
    format!("{y:04}-{mo:02}-{d:02}")
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses the date forms the audit endpoints accept for `startDate`/`endDate`
/// and that saved responses contain, returning epoch milliseconds (UTC; the
/// API's own time zone is unconfirmed, UTC is the documented assumption):
///
/// - `2022-08-18 12:00:00` (documented query form)
/// - `2022-08-18` (seen in the wild; midnight)
/// - `2022-08-18T12:00:00Z`, `2022-08-18T12:00:00.123Z`,
///   `2022-08-18T12:00:00+05:30` (ISO, as in legacy responses)
///
/// Returns `None` for anything else, including impossible dates.
pub fn parse_query_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() < 10 {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let mut parts = date.split('-');
    let y = num(parts.next()?)? as i64;
    let mo = num(parts.next()?)?;
    let d = num(parts.next()?)?;
    if parts.next().is_some()
        || !(1..=12).contains(&mo)
        || d == 0
        || i64::from(d) > days_in_month(y, i64::from(mo))
    {
        return None;
    }
    if rest.is_empty() {
        return Some(epoch_ms(y, mo, d, 0, 0, 0));
    }
    let rest = rest.strip_prefix([' ', 'T'])?;
    if rest.len() < 8 {
        return None;
    }
    let (clock, mut tail) = rest.split_at(8);
    let mut c = clock.split(':');
    let h = num(c.next()?)?;
    let mi = num(c.next()?)?;
    let sec = num(c.next()?)?;
    if c.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut ms = epoch_ms(y, mo, d, h, mi, sec);
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut v: i64 = 0;
        for (i, b) in frac.bytes().take(digits).enumerate() {
            if i < 3 {
                v = v * 10 + i64::from(b - b'0');
            }
        }
        for _ in digits..3 {
            v *= 10;
        }
        ms += v;
        tail = &frac[digits..];
    }
    match tail {
        "" | "Z" => Some(ms),
        _ => {
            let sign = match tail.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let off = &tail[1..];
            let (oh, om) = match off.len() {
                5 if off.as_bytes()[2] == b':' => (num(&off[..2])?, num(&off[3..])?),
                4 => (num(&off[..2])?, num(&off[2..])?),
                _ => return None,
            };
            Some(ms - sign * (i64::from(oh) * 3_600_000 + i64::from(om) * 60_000))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_legacy_times_round_trip() {
        // The legacy seed's 2023-10-27T06:14:41Z record.
        let ms = parse_query_date("2023-10-27T06:14:41Z").unwrap();
        assert_eq!(ms, 1_698_387_281_000);
        assert_eq!(iso_utc(ms), "2023-10-27T06:14:41Z");
        assert_eq!(iso_utc(ms + 999), "2023-10-27T06:14:41Z");
    }

    #[test]
    fn civil_round_trips_across_leap_years_and_epoch() {
        for days in [-800_000, -1, 0, 1, 59, 60, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn query_forms() {
        let base = epoch_ms(2022, 8, 18, 12, 0, 0);
        assert_eq!(parse_query_date("2022-08-18 12:00:00"), Some(base));
        assert_eq!(
            parse_query_date("2022-08-18"),
            Some(epoch_ms(2022, 8, 18, 0, 0, 0))
        );
        assert_eq!(parse_query_date("2022-08-18T12:00:00.5Z"), Some(base + 500));
        assert_eq!(parse_query_date("2022-08-18T17:30:00+05:30"), Some(base));
        assert_eq!(parse_query_date("2022-08-18T07:00:00-0500"), Some(base));
        for bad in [
            "",
            "2022-8-18",
            "2022-02-30",
            "2022-13-01",
            "2022-08-18 25:00:00",
            "2022-08-18 12:00",
            "2022-08-18X12:00:00",
            "2022-08-18 12:00:00 junk",
            "yesterday",
        ] {
            assert_eq!(parse_query_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn offsets_and_days() {
        let ms = epoch_ms(2025, 1, 30, 20, 17, 6);
        assert_eq!(iso_with_offset(ms, 330), "2025-01-31T01:47:06+05:30");
        assert_eq!(iso_with_offset(ms, 0), "2025-01-30T20:17:06Z");
        assert_eq!(ymd(ms, 0), "2025-01-30");
        assert_eq!(ymd(ms, 330), "2025-01-31");
    }
}
