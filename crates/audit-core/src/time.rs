//! Instants and the four time spellings Capillary uses.
//!
//! Hand-parsed rather than via chrono: the formats are fixed and few (epoch
//! milliseconds, ISO 8601 with `Z` or an offset, date-only, and
//! `YYYY-MM-DD HH:MM:SS`), the code is ~100 lines, and it keeps a calendar crate
//! out of the WASM bundle. Every instant is UTC epoch milliseconds (`i64`); named
//! time zones are the app's business (it passes a fixed offset to
//! [`format_at_offset`]). Nothing here reads the clock: "now" is always passed in.
//!
//! Instants are kept to the years 1–9999 ([`MIN_UTC_MS`]..=[`MAX_UTC_MS`]): a
//! time member outside them keeps only its raw value. Formatting is total: no
//! `i64` instant or offset makes a formatter panic or overflow.
//!
//! Strings without a zone (`2022-08-18 12:00:00`, `2025-01-30`) are read as UTC,
//! because the API documents no zone for them (marked unconfirmed in the API notes).

use capillary_vocab::civil::days_in_month;
use serde_json::Number;

/// The calendar (days ↔ dates, total over `i64`) is the vocabulary's, shared with the
/// generator and the client; re-exported where this crate's callers have always found it.
pub use capillary_vocab::civil::{civil_from_days, days_from_civil};

/// UTC instant as milliseconds since the Unix epoch, between [`MIN_UTC_MS`]
/// and [`MAX_UTC_MS`] when it comes from parsing.
pub type UtcMillis = i64;

/// Earliest instant parsing gives: 0001-01-01T00:00:00.000Z.
///
/// Instants are kept to the years 1–9999: those are the years the four-digit
/// spellings read and write, so every instant formats back to text that parses
/// to it, and the range lies well inside JavaScript's `Date` range
/// (±8.64e15 ms), so the app can hand any instant to `Date`. A time outside it
/// is kept raw ([`TimeValue::utc_ms`] `None`) and shown as it came.
pub const MIN_UTC_MS: UtcMillis = -62_135_596_800_000;
/// Latest instant parsing gives: 9999-12-31T23:59:59.999Z (see [`MIN_UTC_MS`]).
pub const MAX_UTC_MS: UtcMillis = 253_402_300_799_999;

// The app hands instants to JavaScript's `Date`, whose range is ±8.64e15 ms.
const _: () = assert!(MIN_UTC_MS > -8_640_000_000_000_000 && MAX_UTC_MS < 8_640_000_000_000_000);

/// `ms` if it lies within [`MIN_UTC_MS`]..=[`MAX_UTC_MS`].
fn in_range(ms: i64) -> Option<UtcMillis> {
    (MIN_UTC_MS..=MAX_UTC_MS).contains(&ms).then_some(ms)
}

/// A time member as it appeared in a response, plus its normalised instant.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeValue {
    /// The instant, if the raw value could be read as one.
    pub utc_ms: Option<UtcMillis>,
    /// What the response held, kept for display and faithful re-export.
    pub raw: TimeRaw,
}

/// The raw spelling of a time member.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeRaw {
    /// A JSON number (current API: epoch milliseconds).
    Number(Number),
    /// A JSON string (legacy API and status logs: ISO, date-only, …).
    Text(String),
}

impl TimeValue {
    /// Reads a JSON number as epoch milliseconds; one outside the years
    /// 1–9999 (see [`MIN_UTC_MS`]) has no instant and stays raw.
    pub fn from_number(n: Number) -> TimeValue {
        let utc_ms = n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .and_then(in_range);
        TimeValue {
            utc_ms,
            raw: TimeRaw::Number(n),
        }
    }

    /// Reads a string in any of the supported spellings.
    pub fn from_text(s: String) -> TimeValue {
        TimeValue {
            utc_ms: parse_time(&s),
            raw: TimeRaw::Text(s),
        }
    }
}

/// Parses any supported textual time: ISO 8601 (`2023-10-27T06:14:41Z`,
/// `2025-01-30T09:17:06+05:30`, fractional seconds allowed), `YYYY-MM-DD HH:MM:SS`,
/// `YYYY-MM-DD`, or a string of 12–14 digits (epoch milliseconds quoted as text).
/// Returns `None` for anything else, including out-of-range fields and instants
/// outside the years 1–9999 ([`MIN_UTC_MS`]..=[`MAX_UTC_MS`], after the offset).
pub fn parse_time(s: &str) -> Option<UtcMillis> {
    parse_any_time(s).and_then(in_range)
}

fn parse_any_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if (12..=14).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return s.parse().ok();
    }
    let date = parse_date_prefix(b)?;
    let mut ms = date * 86_400_000;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    if rest[0] != b'T' && rest[0] != b't' && rest[0] != b' ' {
        return None;
    }
    let rest = &rest[1..];
    let hh = two_digits(rest, 0)?;
    if rest.get(2) != Some(&b':') {
        return None;
    }
    let mm = two_digits(rest, 3)?;
    let mut i = 5;
    let mut ss = 0;
    let mut frac_ms = 0i64;
    if rest.get(i) == Some(&b':') {
        ss = two_digits(rest, i + 1)?;
        i += 3;
        if rest.get(i) == Some(&b'.') || rest.get(i) == Some(&b',') {
            i += 1;
            let start = i;
            let mut scale = 100;
            while let Some(d) = rest.get(i).filter(|c| c.is_ascii_digit()) {
                frac_ms += i64::from(d - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    ms += (hh * 3600 + mm * 60 + ss) * 1000 + frac_ms;
    let zone = &rest[i..];
    let offset_min = match zone {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let oh = two_digits(tail, 0)?;
            let om = match tail.len() {
                2 => 0,
                4 => two_digits(tail, 2)?,
                5 if tail[2] == b':' => two_digits(tail, 3)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let m = oh * 60 + om;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    Some(ms - offset_min * 60_000)
}

/// Reads `YYYY-MM-DD` at the start of `b` as days since the epoch.
fn parse_date_prefix(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    let m = two_digits(b, 5)?;
    let d = two_digits(b, 8)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn two_digits(b: &[u8], at: usize) -> Option<i64> {
    let hi = *b.get(at)?;
    let lo = *b.get(at + 1)?;
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some(i64::from(hi - b'0') * 10 + i64::from(lo - b'0'))
    } else {
        None
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn format_utc(ms: UtcMillis) -> String {
    format_at_offset(ms, 0)
}

/// `YYYY-MM-DD HH:MM:SS` at a fixed offset from UTC (minutes east, e.g. 330 for
/// `+05:30`). The app resolves named zones to an offset; this stays zone-free.
///
/// Like every formatter here it is total: any `i64` and any offset format
/// (the shifted instant saturates at the ends of `i64`). Outside the years
/// 1–9999 the year is written with as many digits as it has, or a sign.
pub fn format_at_offset(ms: UtcMillis, offset_minutes: i32) -> String {
    let [y, m, d, hh, mm, ss] = fields(ms.saturating_add(i64::from(offset_minutes) * 60_000));
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`, used by exports so spreadsheets and scripts get an
/// unambiguous instant.
pub fn format_iso_utc(ms: UtcMillis) -> String {
    let [y, m, d, hh, mm, ss] = fields(ms);
    let milli = ms.rem_euclid(1000);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{milli:03}Z")
}

/// Year, month, day, hour, minute, second of an instant.
fn fields(ms: UtcMillis) -> [i64; 6] {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    [y, m, d, sod / 3600, sod % 3600 / 60, sod % 60]
}

/// Human duration such as `3d 4h`, `5h 12m`, `42s` (two most significant units).
pub fn format_duration(ms: i64) -> String {
    let neg = ms < 0;
    let mut s = ms.unsigned_abs() / 1000;
    let units = [("d", 86_400u64), ("h", 3600), ("m", 60), ("s", 1)];
    let mut parts = Vec::new();
    for (name, size) in units {
        if s >= size && parts.len() < 2 {
            parts.push(format!("{}{name}", s / size));
            s %= size;
        } else if !parts.is_empty() {
            break;
        }
    }
    if parts.is_empty() {
        parts.push("0s".into());
    }
    let out = parts.join(" ");
    if neg {
        format!("-{out}")
    } else {
        out
    }
}
