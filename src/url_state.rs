//! Every piece of view state lives in the URL query, so a reload or a shared link reproduces the
//! view. Query parameters only (no path routes): `dist/` then works from any sub-path of a plain
//! static host, with no server rewrites, and a deep link survives a refresh.
//!
//! This module is pure (pairs in, pairs out) so the encoding is tested natively.

use capillary_vocab::percent::{decode_component, encode_component};

/// Which page is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Timeline,
    Status,
    History,
}

impl View {
    pub const ALL: [View; 3] = [View::Timeline, View::Status, View::History];

    pub fn key(self) -> &'static str {
        match self {
            View::Timeline => "timeline",
            View::Status => "status",
            View::History => "history",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Timeline => "Timeline",
            View::Status => "Status log",
            View::History => "Field history",
        }
    }

    fn from_key(key: &str) -> View {
        View::ALL
            .into_iter()
            .find(|v| v.key() == key)
            .unwrap_or_default()
    }
}

/// How times are shown: UTC, the browser's zone, a named IANA zone (`Asia/Kolkata`, resolved by
/// the browser's Intl data, daylight saving included), or a fixed offset such as `+05:30`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    #[default]
    Utc,
    Browser,
    Named(String),
    /// Minutes east of UTC.
    Fixed(i32),
}

impl Zone {
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
        b'+' | b' ' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// The explorer's whole view state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    pub view: View,
    /// The search box text (the core query language).
    pub query: String,
    /// Stable key of the selected event (see `explorer::event_key`).
    pub event: Option<String>,
    pub zone: Zone,
    /// Time range from the histogram, epoch ms (inclusive start, exclusive end).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Field shown in the field-history view.
    pub field: Option<String>,
    /// "As of" instant (epoch ms) for the state view.
    pub as_of: Option<i64>,
}

impl ViewState {
    /// The query keys this state owns; others (entity, API parameters) belong elsewhere.
    pub const OWNED_KEYS: [&'static str; 8] =
        ["view", "q", "event", "tz", "from", "to", "field", "asof"];

    /// Reads the state from decoded query pairs; unknown keys are left for other owners
    /// (entity and API parameters).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ViewState {
        ViewState::from_pairs_in(pairs, &Zone::Utc)
    }

    /// [`ViewState::from_pairs`] for a deployment whose default zone (config.json `timeZone`)
    /// applies when the link has no `tz`.
    pub fn from_pairs_in<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        default_zone: &Zone,
    ) -> ViewState {
        let mut s = ViewState {
            zone: default_zone.clone(),
            ..ViewState::default()
        };
        for (k, v) in pairs {
            match k {
                "view" => s.view = View::from_key(v),
                "q" => s.query = v.to_owned(),
                "event" if !v.is_empty() => s.event = Some(v.to_owned()),
                "tz" => s.zone = Zone::from_key(v),
                "from" => s.from = v.parse().ok(),
                "to" => s.to = v.parse().ok(),
                "field" if !v.is_empty() => s.field = Some(v.to_owned()),
                "asof" => s.as_of = v.parse().ok(),
                _ => {}
            }
        }
        s
    }

    /// The pairs to write, defaults omitted so links stay short.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_pairs_in(&Zone::Utc)
    }

    /// [`ViewState::to_pairs`] omitting `tz` when it is the deployment's default zone.
    pub fn to_pairs_in(&self, default_zone: &Zone) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.view != View::Timeline {
            out.push(("view", self.view.key().to_owned()));
        }
        if !self.query.is_empty() {
            out.push(("q", self.query.clone()));
        }
        if let Some(e) = &self.event {
            out.push(("event", e.clone()));
        }
        if self.zone != *default_zone {
            out.push(("tz", self.zone.key()));
        }
        if let Some(f) = self.from {
            out.push(("from", f.to_string()));
        }
        if let Some(t) = self.to {
            out.push(("to", t.to_string()));
        }
        if let Some(f) = &self.field {
            out.push(("field", f.clone()));
        }
        if let Some(a) = self.as_of {
            out.push(("asof", a.to_string()));
        }
        out
    }

    /// The search text with the histogram's time range appended as qualifiers, which is what
    /// the core runs.
    pub fn effective_query(&self) -> String {
        let mut q = self.query.trim().to_owned();
        for (word, bound) in [("after", self.from), ("before", self.to)] {
            if let Some(ms) = bound {
                if !q.is_empty() {
                    q.push(' ');
                }
                q.push_str(&format!("{word}:{}", audit_core::time::format_iso_utc(ms)));
            }
        }
        q
    }
}

/// Builds `?k=v&…` with every key and value percent-encoded.
pub fn encode_query<K: AsRef<str>>(pairs: &[(K, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&encode_component(k.as_ref()));
        out.push('=');
        out.push_str(&encode_component(v));
    }
    out
}

/// Reads `?k=v&…` (or without the `?`) as `URLSearchParams` does: `+` is a space, `%XX` a byte,
/// bytes that are not UTF-8 become U+FFFD. Never fails: a link is untrusted input.
pub fn decode_query(search: &str) -> Vec<(String, String)> {
    search
        .strip_prefix('?')
        .unwrap_or(search)
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

/// The URL that gives this document (`href`, absolute) the query `search` (`?…` or empty):
/// `href` up to its query or fragment, then `search`. Origin and path are kept byte for byte, so
/// a page path beginning with `//` (which as a path-relative write would read as another host)
/// cannot turn a write into a navigation elsewhere.
pub fn same_document_url(href: &str, search: &str) -> String {
    let end = href.find(['?', '#']).unwrap_or(href.len());
    format!("{}{search}", &href[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let s = ViewState {
            view: View::History,
            query: "mobile -source:instore \"a b\"".into(),
            event: Some("r1:0".into()),
            zone: Zone::Fixed(330),
            from: Some(1_600_000_000_000),
            to: Some(1_700_000_000_000),
            field: Some("mobile".into()),
            as_of: Some(1_650_000_000_000),
        };
        let pairs = s.to_pairs();
        let back = ViewState::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, s);
    }

    #[test]
    fn a_deployment_default_zone_applies_without_tz_and_utc_is_then_written() {
        let paris = Zone::from_key("Europe/Paris");
        let s = ViewState::from_pairs_in([("q", "x")], &paris);
        assert_eq!(s.zone, paris);
        assert!(s.to_pairs_in(&paris).iter().all(|(k, _)| *k != "tz"));
        let utc = ViewState {
            zone: Zone::Utc,
            ..s
        };
        let pairs = utc.to_pairs_in(&paris);
        assert!(pairs.contains(&("tz", "utc".to_owned())), "{pairs:?}");
        let back = ViewState::from_pairs_in(pairs.iter().map(|(k, v)| (*k, v.as_str())), &paris);
        assert_eq!(back, utc);
    }

    #[test]
    fn defaults_are_omitted_and_unknown_keys_ignored() {
        assert!(ViewState::default().to_pairs().is_empty());
        let s = ViewState::from_pairs([("entityId", "5"), ("view", "nonsense"), ("tz", "x")]);
        assert_eq!(s, ViewState::default());
    }

    #[test]
    fn zones_parse_and_print() {
        assert_eq!(Zone::from_key("+05:30"), Zone::Fixed(330));
        assert_eq!(Zone::from_key("-08:00"), Zone::Fixed(-480));
        assert_eq!(Zone::Fixed(-480).key(), "-08:00");
        assert_eq!(Zone::from_key("browser"), Zone::Browser);
        assert_eq!(Zone::from_key("+25:00"), Zone::Utc);
        assert_eq!(
            Zone::from_key("Asia/Kolkata"),
            Zone::Named("Asia/Kolkata".into())
        );
        assert_eq!(
            Zone::Named("America/New_York".into()).key(),
            "America/New_York"
        );
        assert_eq!(Zone::from_key("Asia/<script>"), Zone::Utc);
        assert_eq!(Zone::from_key("/"), Zone::Utc);
    }

    #[test]
    fn encodes_reserved_characters() {
        let q = encode_query(&[
            ("q", "type:\"Card Status\" & x=1".into()),
            ("view", "status".into()),
        ]);
        assert_eq!(q, "?q=type%3A%22Card%20Status%22%20%26%20x%3D1&view=status");
    }

    #[test]
    fn links_decode_as_a_browser_reads_them_and_never_fail() {
        let pairs = decode_query("?q=%E0%A4%A8%E0%A4%BE%E0%A4%AE%20%22&view=status&x");
        assert_eq!(pairs[0], ("q".into(), "नाम \"".into()));
        assert_eq!(pairs[1], ("view".into(), "status".into()));
        assert_eq!(pairs[2], ("x".into(), String::new()));
        assert_eq!(decode_query("a=1+2")[0].1, "1 2");
        // Broken escapes and bytes that are not UTF-8 are kept as text, not refused.
        assert_eq!(decode_query("a=%&b=%4&c=%zz&d=%FF")[0].1, "%");
        assert_eq!(decode_query("a=%&b=%4&c=%zz&d=%FF")[1].1, "%4");
        assert_eq!(decode_query("a=%&b=%4&c=%zz&d=%FF")[2].1, "%zz");
        assert_eq!(decode_query("a=%&b=%4&c=%zz&d=%FF")[3].1, "\u{FFFD}");
        assert!(decode_query("").is_empty() && decode_query("?").is_empty());
    }

    #[test]
    fn what_is_encoded_decodes_to_the_same_pairs() {
        let pairs = vec![
            ("q".to_owned(), "राम -\"éé\" 🙂 a+b&c=d %41".to_owned()),
            ("tz".to_owned(), "+05:30".to_owned()),
        ];
        assert_eq!(decode_query(&encode_query(&pairs)), pairs);
    }

    #[test]
    fn a_url_write_keeps_the_document_even_on_a_double_slash_path() {
        let href = "https://explorer.example//evil.example/x?q=1#top";
        let url = same_document_url(href, "?q=2");
        assert_eq!(url, "https://explorer.example//evil.example/x?q=2");
        assert_eq!(
            same_document_url("http://127.0.0.1:8080/tools/audit/", ""),
            "http://127.0.0.1:8080/tools/audit/"
        );
    }

    #[test]
    fn time_range_becomes_query_qualifiers() {
        let s = ViewState {
            query: "mobile".into(),
            from: Some(0),
            to: Some(86_400_000),
            ..Default::default()
        };
        let q = s.effective_query();
        assert!(q.starts_with("mobile after:1970-01-01"), "{q}");
        assert!(q.contains("before:1970-01-02"), "{q}");
        audit_core::Query::parse(&q).expect("the core accepts the composed query");
    }
}
