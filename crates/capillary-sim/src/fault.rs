//! Faults on demand: what can go wrong between the explorer and Capillary.
//!
//! A fault spec is a comma-separated list of `key[=value]` items:
//!
//! | item | effect |
//! |---|---|
//! | `latency=MS` | wait MS milliseconds before answering |
//! | `status=CODE` | answer CODE with the error envelope instead (429 and 503 add `Retry-After`) |
//! | `retry_after=SECS` | the `Retry-After` value for `status=429/503` (default 1) |
//! | `truncate[=PCT]` | a complete response whose body is cut to PCT% (default 50) of its bytes: JSON cut off mid-way |
//! | `cut[=PCT]` | the response announces the full length but the connection dies after PCT% (default 50) of the body |
//! | `damage` | the page is damaged like the docs' merge example: two commas removed and one `"` turned into `“` |
//! | `drop` | the connection is closed without any response |
//! | `shift=N` | N new records arrive for the entity before this page is served (N < 0: the N newest expire), so totals change between pages |
//! | `redirect=URL` | answer `307 Temporary Redirect` to URL (no commas in it): a client that followed it would resend its credentials there |
//!
//! Per request: header `X-Sim-Fault: latency=200,status=500`. Per run:
//! `--fault RULE` (or `faults` in the config file), where a rule is a spec
//! plus optional `every=K` and `burst=B` (apply to requests `n` with
//! `n % K < B`, counting the requests the rule's `path` matches; defaults 1
//! and 1: every request) and `path=PREFIX` (only requests whose path starts
//! with PREFIX). Example: `status=429,every=10,burst=3` answers 429 to three
//! requests out of every ten.

use std::sync::atomic::{AtomicU64, Ordering};

/// What to do to one request. Combined from matching run rules and the
/// request's header ([`Fault::merge`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fault {
    /// Added latency.
    pub latency_ms: u64,
    /// Replace the answer by this status and the error envelope.
    pub status: Option<u16>,
    /// `Retry-After` seconds for 429/503.
    pub retry_after: u64,
    /// Cut the body to this percentage, as a complete response.
    pub truncate: Option<u8>,
    /// Kill the connection after this percentage of the body.
    pub cut: Option<u8>,
    /// Damage the JSON like the seed's merge example.
    pub damage: bool,
    /// Close the connection without answering.
    pub drop: bool,
    /// Records arriving (positive) or expiring (negative) before the page.
    pub shift: i64,
    /// Answer 307 to this location instead.
    pub redirect: Option<String>,
}

impl Fault {
    /// True when nothing is to be done.
    pub fn is_none(&self) -> bool {
        *self == Fault::default()
    }

    /// Adds `other` on top: latencies and shifts add up, the rest is
    /// taken from `other` when it sets it.
    pub fn merge(&mut self, other: &Fault) {
        self.latency_ms += other.latency_ms;
        self.shift += other.shift;
        self.status = other.status.or(self.status);
        if other.status.is_some() {
            self.retry_after = other.retry_after;
        }
        self.truncate = other.truncate.or(self.truncate);
        self.cut = other.cut.or(self.cut);
        self.damage |= other.damage;
        self.drop |= other.drop;
        self.redirect = other.redirect.clone().or(self.redirect.take());
    }

    /// Parses a per-request spec (the `X-Sim-Fault` header).
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let rule = FaultRule::parse(spec)?;
        if rule.every != 1 || rule.burst != 1 || rule.path.is_some() {
            return Err("every/burst/path are for per-run rules only".into());
        }
        Ok(rule.fault)
    }
}

/// A per-run rule: a fault and which requests it applies to.
#[derive(Debug)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Period, in matching requests.
    pub every: u64,
    /// Consecutive requests per period that get the fault.
    pub burst: u64,
    /// Only requests whose path starts with this.
    pub path: Option<String>,
    seen: AtomicU64,
}

fn pct(key: &str, v: Option<&str>) -> Result<u8, String> {
    match v {
        None => Ok(50),
        Some(v) => match v.parse::<u8>() {
            Ok(p) if p < 100 => Ok(p),
            _ => Err(format!("{key} wants a percentage below 100, got {v:?}")),
        },
    }
}

fn num<T: std::str::FromStr>(key: &str, v: Option<&str>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{key} needs a value"))?;
    v.parse().map_err(|_| format!("{key}: bad value {v:?}"))
}

impl FaultRule {
    /// Parses a rule (see the module docs).
    pub fn parse(spec: &str) -> Result<FaultRule, String> {
        let mut f = Fault {
            retry_after: 1,
            ..Fault::default()
        };
        let mut rule = FaultRule {
            fault: Fault::default(),
            every: 1,
            burst: 1,
            path: None,
            seen: AtomicU64::new(0),
        };
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (item, None),
            };
            match key {
                "latency" => f.latency_ms = num(key, value)?,
                "status" => {
                    let s: u16 = num(key, value)?;
                    if !(400..=599).contains(&s) {
                        return Err(format!("status must be 400..=599, got {s}"));
                    }
                    f.status = Some(s);
                }
                "retry_after" => f.retry_after = num(key, value)?,
                "truncate" => f.truncate = Some(pct(key, value)?),
                "cut" => f.cut = Some(pct(key, value)?),
                "damage" if value.is_none() => f.damage = true,
                "drop" if value.is_none() => f.drop = true,
                "shift" => f.shift = num(key, value)?,
                "redirect" => f.redirect = Some(value.ok_or("redirect needs a URL")?.to_string()),
                "every" => rule.every = num::<u64>(key, value)?.max(1),
                "burst" => rule.burst = num::<u64>(key, value)?.max(1),
                "path" => rule.path = Some(value.ok_or("path needs a value")?.to_string()),
                _ => return Err(format!("unknown fault item {item:?}")),
            }
        }
        if f.status.is_none() {
            f.retry_after = 0;
        }
        rule.fault = f;
        Ok(rule)
    }

    /// Whether this rule applies to the next request to `path` (counts it).
    pub fn applies(&self, path: &str) -> bool {
        if self.path.as_deref().is_some_and(|p| !path.starts_with(p)) {
            return false;
        }
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        n % self.every < self.burst
    }
}

/// Damages a JSON body the way the docs' merge example is damaged: the
/// commas before the 2nd and 4th keys of the first object that has them
/// are removed and the opening quote of a string value becomes `“`.
/// Deterministic, so tests can assert on it. Bodies too short to damage
/// come back unchanged.
pub fn damage(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len() + 4);
    let mut commas = 0;
    let mut quote_done = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = bytes[i];
        // `,"` at a key boundary inside an object: drop the 2nd and 4th.
        if c == b',' && bytes.get(i + 1) == Some(&b'"') && commas < 4 {
            commas += 1;
            if commas % 2 == 0 {
                i += 1;
                continue;
            }
        }
        // `:"` of the 3rd string value: curly opening quote.
        if !quote_done && commas >= 3 && c == b':' && bytes.get(i + 1) == Some(&b'"') {
            out.push_str(":\u{201c}");
            quote_done = true;
            i += 2;
            continue;
        }
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    out.into_bytes()
}

/// The first `pct`% of `body`.
pub fn truncate(body: &[u8], pct: u8) -> &[u8] {
    &body[..body.len() * usize::from(pct) / 100]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_item() {
        let r = FaultRule::parse("latency=20, status=429,retry_after=3,truncate,cut=10,damage,drop,shift=-2,redirect=http://127.0.0.1:9/x,every=5,burst=2,path=/v2").unwrap();
        assert_eq!(
            r.fault,
            Fault {
                latency_ms: 20,
                status: Some(429),
                retry_after: 3,
                truncate: Some(50),
                cut: Some(10),
                damage: true,
                drop: true,
                shift: -2,
                redirect: Some("http://127.0.0.1:9/x".into()),
            }
        );
        assert_eq!((r.every, r.burst, r.path.as_deref()), (5, 2, Some("/v2")));
        assert_eq!(Fault::parse("status=500").unwrap().retry_after, 1);
        for bad in [
            "status=200",
            "latency",
            "truncate=100",
            "boom",
            "damage=1",
            "redirect",
            "every=2",
        ] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_count_matching_requests() {
        let r = FaultRule::parse("status=500,every=4,burst=2,path=/api").unwrap();
        let hits: Vec<bool> = (0..8)
            .map(|_| r.applies("/api_gateway/v2/audits"))
            .collect();
        assert_eq!(hits, [true, true, false, false, true, true, false, false]);
        assert!(!r.applies("/v2/auditLog/get"));
    }

    #[test]
    fn damaged_json_no_longer_parses_but_keeps_its_records() {
        let body = br#"{"data":[{"a":"x","b":"y","c":"z","d":"w","e":"v"}],"pagination":{}}"#;
        let d = damage(body);
        let text = String::from_utf8(d.clone()).unwrap();
        assert!(serde_json::from_slice::<serde_json::Value>(&d).is_err());
        assert!(text.contains('\u{201c}'));
        assert_eq!(
            text.matches(',').count(),
            body.iter().filter(|b| **b == b',').count() - 2
        );
        assert_eq!(truncate(b"0123456789", 30), b"012");
    }
}
