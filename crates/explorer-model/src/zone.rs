//! How instants are shown: in UTC, the browser's zone, a named IANA zone (`Asia/Kolkata`,
//! daylight saving included) or a fixed offset (`+05:30`). What a named or the browser's zone
//! is at an instant only the browser knows (its `Intl` data), so that one question is asked
//! through [`Offsets`]; everything else is computed here.

use audit_core::{format_at_offset, UtcMillis};

/// The zone times are shown in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Zone {
    #[default]
    Utc,
    Browser,
    Named(String),
    /// Minutes east of UTC.
    Fixed(i32),
}

impl Zone {
    /// `utc`, `browser`, an IANA name, or `±HH:MM`: what the link's `tz` holds.
    pub fn key(&self) -> String {
        match self {
            Zone::Utc => "utc".into(),
            Zone::Browser => "browser".into(),
            Zone::Named(name) => name.clone(),
            Zone::Fixed(m) => {
                let sign = if *m < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
            }
        }
    }

    /// `utc`, `browser`, `±HH:MM`, or an IANA name (`Area/City`); anything else is UTC.
    pub fn from_key(key: &str) -> Zone {
        match key {
            "browser" | "local" => Zone::Browser,
            k if is_zone_name(k) => Zone::Named(k.to_owned()),
            k => parse_offset(k).map(Zone::Fixed).unwrap_or_default(),
        }
    }
}

/// Looks like an IANA zone name (`Asia/Kolkata`, `America/Argentina/Buenos_Aires`); whether the
/// browser knows it is checked when times are formatted.
fn is_zone_name(s: &str) -> bool {
    s.contains('/')
        && s.len() <= 64
        && s.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        // A `+` in a link that was not percent-encoded arrives as a space.
        b'+' | b' ' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// Zones offered in the picker besides UTC and the browser's own (a link takes any IANA name).
pub const COMMON_ZONES: [&str; 9] = [
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

/// What only the browser knows: the offset of the browser's or a named zone at an instant.
pub trait Offsets {
    /// Minutes east of UTC that `zone` has at `ms`; an unknown named zone is UTC (0).
    fn offset_minutes(&self, zone: &Zone, ms: UtcMillis) -> i32;
    /// False for a named zone the browser does not know.
    fn is_known(&self, zone: &Zone) -> bool;
}

/// UTC and fixed offsets exactly; the browser's zone and named zones as UTC. For native tests
/// and anywhere no `Intl` is at hand.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedOffsets;

impl Offsets for FixedOffsets {
    fn offset_minutes(&self, zone: &Zone, _ms: UtcMillis) -> i32 {
        match zone {
            Zone::Fixed(m) => *m,
            _ => 0,
        }
    }

    fn is_known(&self, zone: &Zone) -> bool {
        !matches!(zone, Zone::Named(_))
    }
}

/// Formats instants in one zone.
pub struct Clock<'a> {
    pub offsets: &'a dyn Offsets,
    pub zone: &'a Zone,
    /// "Now", for relative ages and the zone's current offset.
    pub now: UtcMillis,
}

impl Clock<'_> {
    /// `YYYY-MM-DD HH:MM:SS` in the zone.
    pub fn format(&self, ms: UtcMillis) -> String {
        format_at_offset(ms, self.offsets.offset_minutes(self.zone, ms))
    }

    /// The calendar day of `ms` in the zone (`YYYY-MM-DD`), for day boundaries.
    pub fn day(&self, ms: UtcMillis) -> String {
        let mut s = self.format(ms);
        if let Some(space) = s.find(' ') {
            s.truncate(space);
        }
        s
    }

    /// Short label of the zone for headings: `UTC`, `Asia/Kolkata (UTC+05:30)`.
    pub fn label(&self) -> String {
        let offset = |m: i32| {
            if m == 0 {
                "UTC".to_owned()
            } else {
                format!("UTC{}", Zone::Fixed(m).key())
            }
        };
        match self.zone {
            Zone::Utc => "UTC".into(),
            Zone::Named(name) if self.offsets.is_known(self.zone) => format!(
                "{name} ({})",
                offset(self.offsets.offset_minutes(self.zone, self.now))
            ),
            Zone::Named(name) => format!("UTC — unknown zone {name}"),
            other => offset(self.offsets.offset_minutes(other, self.now)),
        }
    }

    /// "3 days ago"-style hint next to absolute times.
    pub fn age(&self, ms: UtcMillis) -> String {
        age(ms, self.now)
    }
}

/// "3 days ago", "in 2 hours", "just now".
pub fn age(ms: UtcMillis, now: UtcMillis) -> String {
    let secs = now.saturating_sub(ms) / 1000;
    let (n, unit) = match secs.unsigned_abs() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_parse_and_print() {
        assert_eq!(Zone::from_key("+05:30"), Zone::Fixed(330));
        assert_eq!(Zone::from_key("-08:00"), Zone::Fixed(-480));
        assert_eq!(Zone::Fixed(-480).key(), "-08:00");
        assert_eq!(
            Zone::from_key(" 05:30"),
            Zone::Fixed(330),
            "an unencoded + is a space"
        );
        assert_eq!(Zone::from_key("browser"), Zone::Browser);
        assert_eq!(Zone::from_key("+25:00"), Zone::Utc);
        assert_eq!(Zone::from_key("+-1:00"), Zone::Utc);
        assert_eq!(
            Zone::from_key("Asia/Kolkata"),
            Zone::Named("Asia/Kolkata".into())
        );
        assert_eq!(Zone::from_key("Asia/<script>"), Zone::Utc);
        assert_eq!(Zone::from_key("/"), Zone::Utc);
        assert_eq!(Zone::from_key("+"), Zone::Utc);
        assert_eq!(Zone::from_key(""), Zone::Utc);
    }

    #[test]
    fn a_clock_formats_in_its_zone() {
        let zone = Zone::Fixed(330);
        let clock = Clock {
            offsets: &FixedOffsets,
            zone: &zone,
            now: 86_400_000 * 3,
        };
        assert_eq!(clock.format(0), "1970-01-01 05:30:00");
        assert_eq!(clock.day(19 * 3_600_000), "1970-01-02");
        assert_eq!(clock.label(), "UTC+05:30");
        assert_eq!(clock.age(0), "3 days ago");
        assert_eq!(age(10_000, 0), "just now");
        assert_eq!(age(7_200_000, 0), "in 2 hours");
        assert_eq!(age(i64::MAX, i64::MIN), "in 292471208 years");
    }
}
