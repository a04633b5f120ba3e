//! What went wrong, in the words a support agent reads: a plain sentence, a
//! next step, and a stable machine kind for the UI's `data-kind` attribute.
//!
//! Capillary's error envelope (`{"errors": [{"code", "message"}]}`) is read
//! with `audit_core::parse_response`, the same lenient reader as the data, so
//! a damaged or unexpected error body still yields what it can.

use std::fmt;

use audit_core::ApiError;

use capillary_vocab::civil::{days_from_civil, days_in_month};
use capillary_vocab::count::Grouped;

use crate::endpoint::{ParamError, AUDIT_PARAMS};
use crate::fetch_plan::Outcome;

/// The README section the network problem points to.
pub const PROXY_README_SECTION: &str = "Same-origin proxy";

/// The documented parameters besides [`AUDIT_PARAMS`] that a 400 message may name, searched
/// in the API's message to say which parameter was refused.
const OTHER_PARAM_NAMES: [&str; 6] = [
    "entityType",
    "entityId",
    "pageNo",
    "identifierName",
    "identifierValue",
    "number",
];

/// The class of a problem; [`ProblemKind::as_str`] is stable (UI hooks and
/// tests select on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ProblemKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    RateLimited,
    Server,
    Network,
    Damaged,
    Unrecognised,
    /// The API answered with a redirect, which is never followed (see
    /// [`Outcome::Redirected`]).
    Redirected,
    /// A listing with more pages than one listing is loaded for (see
    /// [`crate::MAX_PAGES_PER_LISTING`]).
    ListingTooLarge,
}

impl ProblemKind {
    /// `bad-request`, `unauthorized`, `forbidden`, `not-found`,
    /// `rate-limited`, `server`, `network`, `damaged`, `unrecognised`,
    /// `redirected`, `listing-too-large`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::RateLimited => "rate-limited",
            ProblemKind::Server => "server",
            ProblemKind::Network => "network",
            ProblemKind::Damaged => "damaged",
            ProblemKind::Unrecognised => "unrecognised",
            ProblemKind::Redirected => "redirected",
            ProblemKind::ListingTooLarge => "listing-too-large",
        }
    }

    /// Whether trying the same request again later can succeed.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ProblemKind::RateLimited | ProblemKind::Server | ProblemKind::Network
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// Capillary's error code (8015, 3010, 8003, …).
    pub code: Option<i64>,
    /// What happened, as one plain sentence.
    pub message: String,
    /// What to do about it (for rate limits and retries see [`Problem::next_step_at`]).
    pub next_step: String,
    /// The API's own message, verbatim, for the details pane.
    pub api_message: Option<String>,
    /// The parameter a 400 refers to, when known.
    pub param: Option<String>,
    /// When the next attempt is due (rate limit, retry), epoch ms.
    pub retry_at_ms: Option<u64>,
    /// Attempts made so far for the request this problem is about.
    pub attempts: u32,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.message, self.next_step)
    }
}

impl Problem {
    fn new(kind: ProblemKind, message: impl Into<String>, next_step: impl Into<String>) -> Problem {
        Problem {
            kind,
            status: None,
            code: None,
            message: message.into(),
            next_step: next_step.into(),
            api_message: None,
            param: None,
            retry_at_ms: None,
            attempts: 0,
        }
    }

    /// The stable kind string for `data-kind`.
    pub fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The next step with a live countdown when a retry is scheduled
    /// ("Retrying in 12 s."), else [`Problem::next_step`].
    pub fn next_step_at(&self, now_ms: u64) -> String {
        match self.retry_at_ms {
            Some(at) => format!("Retrying in {}.", countdown(at, now_ms)),
            None => self.next_step.clone(),
        }
    }

    /// Classifies a non-2xx response (or a 2xx whose body is only an error
    /// envelope). `headers` are `(name, value)` pairs, names in any case.
    pub fn from_http(
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: u64,
    ) -> Problem {
        let parsed = audit_core::parse_response(body);
        let mut p = classify(status, &parsed.api_errors);
        if p.kind == ProblemKind::RateLimited {
            p.retry_at_ms =
                header(headers, "retry-after").and_then(|v| parse_retry_after(v, now_ms));
        }
        p
    }

    /// Classifies what one request came to, for the requests made outside a
    /// [`crate::FetchPlan`] (lookup, status logs, token) and by the plan
    /// itself, so every request explains a failure the same way. An
    /// [`Outcome::Ok`] reaching here is a 2xx the caller could not use: it is
    /// read as an error envelope (or as unrecognised).
    pub fn from_outcome(
        outcome: &Outcome,
        cross_origin: bool,
        attempts: u32,
        now_ms: u64,
    ) -> Problem {
        let mut p = match outcome {
            Outcome::Ok(body) => Problem::from_http(200, &[], body, now_ms),
            Outcome::Http {
                status,
                headers,
                body,
            } => Problem::from_http(*status, headers, body, now_ms),
            Outcome::Network(detail) => Problem::network(detail, cross_origin, attempts),
            Outcome::Redirected => Problem::redirected(),
        };
        p.attempts = attempts;
        p
    }

    /// The API answered with a redirect. It was not followed, so neither a
    /// token header nor the OAuth secret went to where it pointed.
    pub fn redirected() -> Problem {
        Problem::new(
            ProblemKind::Redirected,
            "The API answered with a redirect; credentials are never re-sent elsewhere.",
            "Check the API address: it must be the API itself (or this site's proxy to it), not an address that forwards to another host or a login page.",
        )
    }

    /// A listing that reports (or, without pagination, goes on for) more
    /// pages than `cap`. `pages` and `records` are the API's claim, when it
    /// made one.
    pub fn listing_too_large(pages: Option<u64>, records: Option<i64>, cap: u32) -> Problem {
        let cap = Grouped::from(cap);
        let message = match (pages, records) {
            (Some(p), Some(r)) => format!(
                "The API reports {} records on {} pages for this listing, more than the {cap} pages the explorer loads in one listing.",
                Grouped(r.max(0) as u64),
                Grouped(p)
            ),
            (Some(p), None) => format!(
                "The API reports {} pages for this listing, more than the {cap} the explorer loads in one listing.",
                Grouped(p)
            ),
            (None, _) => format!(
                "This listing goes on for more than {cap} pages, the most the explorer loads in one listing."
            ),
        };
        Problem::new(
            ProblemKind::ListingTooLarge,
            message,
            "Narrow it (a date range, a source or a reference type) or use a larger page size (limit), then load it again; the pages loaded so far are kept.",
        )
    }

    /// A rate limit whose `Retry-After` is further away than the plan waits:
    /// final, with the wait in the next step.
    pub fn too_long_to_wait(mut self, retry_at_ms: u64, now_ms: u64) -> Problem {
        self.next_step = format!(
            "The API asks to wait {}: try again then (loaded pages are kept), or ask Capillary to raise this key's limit.",
            countdown(retry_at_ms, now_ms)
        );
        self.retry_at_ms = None;
        self
    }

    /// Classifies an error envelope's entries (used where the status is
    /// known to be unhelpful, e.g. a 200 lookup answer carrying `errors`).
    pub fn from_parsed_errors(status: u16, errors: &[ApiError]) -> Problem {
        classify(status, errors)
    }

    /// Our own validation refused a parameter before any request.
    pub fn from_param_error(e: &ParamError) -> Problem {
        let mut p = Problem::new(
            ProblemKind::BadRequest,
            format!("The parameter {} {}.", e.param, e.message),
            format!("Correct {} and try again.", e.param),
        );
        p.param = Some(e.param.to_string());
        p
    }

    /// A request that got no HTTP response. In a browser a CORS refusal is
    /// indistinguishable from a network failure, so a cross-origin failure
    /// names both and points to the same-origin proxy setup.
    pub fn network(detail: &str, cross_origin: bool, attempts: u32) -> Problem {
        let mut p = if cross_origin {
            Problem::new(
                ProblemKind::Network,
                "The API could not be reached: the network failed, or the cluster does not allow calls from a browser page (CORS blocked).",
                format!(
                    "Capillary clusters may refuse browser calls from other sites: serve the explorer behind a same-origin reverse proxy and choose its proxy path as the API address (README, section \"{PROXY_README_SECTION}\"). Also check the address and your connection."
                ),
            )
        } else {
            Problem::new(
                ProblemKind::Network,
                "The API proxy on this site did not answer (network failure).",
                format!(
                    "Check that the reverse proxy is running and forwards to the cluster (README, section \"{PROXY_README_SECTION}\"), then retry."
                ),
            )
        };
        if !detail.is_empty() {
            p.api_message = Some(detail.to_string());
        }
        p.attempts = attempts;
        p
    }

    /// A page that was partly unreadable: what was recovered is kept.
    pub fn damaged(records_recovered: usize, damaged_parts: usize) -> Problem {
        Problem::new(
            ProblemKind::Damaged,
            format!(
                "A response was damaged: {records_recovered} record{} recovered, {damaged_parts} damaged part{} skipped.",
                plural(records_recovered),
                plural(damaged_parts)
            ),
            "The recovered records are shown. Load the page again (or a fresh copy of the file) to try for the rest.",
        )
    }

    /// A response none of the known shapes fits.
    pub fn unrecognised(reason: String) -> Problem {
        let mut p = Problem::new(
            ProblemKind::Unrecognised,
            "The API answered with something the explorer does not recognise.",
            "Check that the address points at a Capillary API (or its proxy) and not at a web page or login portal.",
        );
        p.api_message = Some(reason);
        p
    }

    /// Rate limited with a retry scheduled (`retry_at_ms`), or given up.
    pub fn rate_limited(retry_at_ms: Option<u64>, attempts: u32) -> Problem {
        let mut p = classify(429, &[]);
        p.retry_at_ms = retry_at_ms;
        p.attempts = attempts;
        p
    }

    /// Marks a transient problem as final after `attempts` tries.
    pub fn gave_up(mut self, attempts: u32) -> Problem {
        self.attempts = attempts;
        self.retry_at_ms = None;
        self.next_step = match self.kind {
            ProblemKind::Server => format!(
                "Gave up after {attempts} attempts. The cluster may be busy or down: try again in a few minutes (loaded pages are kept)."
            ),
            ProblemKind::RateLimited => format!(
                "Gave up after {attempts} attempts. Try again in a minute (loaded pages are kept), or ask Capillary to raise this key's limit."
            ),
            ProblemKind::Network => format!("Gave up after {attempts} attempts. {}", self.next_step),
            _ => self.next_step,
        };
        self
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "12 s", "2 min 5 s".
pub fn countdown(until_ms: u64, now_ms: u64) -> String {
    let secs = until_ms.saturating_sub(now_ms).div_ceil(1000);
    if secs >= 60 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Which documented parameter a message names (the earliest mention wins,
/// so "entityId must be a number" names `entityId`, not `number`).
fn param_in(message: &str) -> Option<&'static str> {
    OTHER_PARAM_NAMES
        .into_iter()
        .chain(AUDIT_PARAMS.iter().map(|p| p.name))
        .filter_map(|p| message.find(p).map(|i| (i, p)))
        .min_by_key(|(i, p)| (*i, usize::MAX - p.len()))
        .map(|(_, p)| p)
}

fn classify(status: u16, errors: &[ApiError]) -> Problem {
    let first = errors.first();
    let api_message = first.and_then(|e| e.message.clone());
    let code = errors
        .iter()
        .filter_map(|e| e.code)
        .find(|c| matches!(c, 8015 | 3010 | 8003))
        .or_else(|| first.and_then(|e| e.code));
    let mut p = match (code, status) {
        (Some(8015), _) => Problem::new(
            ProblemKind::NotFound,
            "No customer matches this id or identifier (code 8015).",
            "Check the id or identifier and the cluster: customers exist per brand and cluster.",
        ),
        (Some(3010), _) => Problem::new(
            ProblemKind::NotFound,
            "This card number does not exist (code 3010).",
            "Check the card number (no spaces) and that the card belongs to this brand.",
        ),
        (Some(8003), _) => {
            let mut p = Problem::new(
                ProblemKind::BadRequest,
                "The source is not valid for this brand (code 8003).",
                "Choose another source, e.g. INSTORE, or leave it out.",
            );
            p.param = Some("source".into());
            p
        }
        (_, 400) => {
            let param = api_message.as_deref().and_then(param_in);
            let mut p = match param {
                Some(name) => Problem::new(
                    ProblemKind::BadRequest,
                    format!("The API refused the parameter {name}."),
                    format!("Correct {name} and try again."),
                ),
                None => Problem::new(
                    ProblemKind::BadRequest,
                    "The API refused the request parameters.",
                    "Check the parameters (dates look like 2022-08-18 12:00:00) and try again.",
                ),
            };
            p.param = param.map(str::to_string);
            p
        }
        (_, 401) => Problem::new(
            ProblemKind::Unauthorized,
            "The API did not accept the credentials.",
            "Check the username and password (or OAuth key and secret) and that they belong to this cluster, then sign in again.",
        ),
        (_, 403) => Problem::new(
            ProblemKind::Forbidden,
            "These credentials may not read audit logs.",
            "Ask your Capillary admin to add the access group \"Behavioural events\" to this user or key, and to enable audit logs for the brand.",
        ),
        (_, 404) => Problem::new(
            ProblemKind::NotFound,
            "Nothing was found: no such customer or card, or this endpoint does not exist on the cluster.",
            "Check the id and the cluster; if the legacy endpoint was chosen, try the current one.",
        ),
        // A native driver sees the 3xx itself; a browser fetching with
        // `redirect: "manual"` reports `Outcome::Redirected` instead.
        (_, 301 | 302 | 303 | 307 | 308) => Problem::redirected(),
        (_, 429) => Problem::new(
            ProblemKind::RateLimited,
            "The API is limiting how many requests this key may make per minute.",
            "Waiting before retrying; loaded pages are kept.",
        ),
        (_, s) if s >= 500 => {
            let what = if s == 521 {
                "The API is busy with other actions on this customer (521)."
            } else {
                "The API failed with a server error."
            };
            Problem::new(
                ProblemKind::Server,
                what,
                "Retrying shortly; loaded pages are kept.",
            )
        }
        (_, s) if (200..300).contains(&s) => Problem::new(
            ProblemKind::Unrecognised,
            "The API answered with an error instead of data.",
            "Read the API message below; check the parameters and try again.",
        ),
        (_, _) => Problem::new(
            ProblemKind::BadRequest,
            "The API refused the request.",
            "Read the API message below; check the address and parameters.",
        ),
    };
    p.status = Some(status);
    p.code = code;
    p.api_message = api_message;
    p
}

/// The instant (epoch ms) a `Retry-After` value points to: delay seconds
/// (`"120"`) or an HTTP-date (IMF-fixdate, RFC 850 or asctime). A date in
/// the past means "now".
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = v.parse().ok()?;
        return Some(now_ms.saturating_add(secs.saturating_mul(1000)));
    }
    parse_http_date(v).map(|t| t.max(now_ms))
}

/// Parses the three HTTP-date forms to epoch ms (always GMT).
pub fn parse_http_date(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mut month = None;
    let mut time = None;
    let mut numbers = Vec::new();
    for tok in s.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        let lower = tok.to_ascii_lowercase();
        if let Some(m) = MONTHS.iter().position(|m| *m == lower) {
            month = Some(m as u64 + 1);
        } else if tok.contains(':') {
            let mut it = tok.split(':').map(|p| p.parse::<u64>().ok());
            let (h, m, s) = (it.next()??, it.next()??, it.next()??);
            if it.next().is_some() || h > 23 || m > 59 || s > 60 {
                return None;
            }
            time = Some(h * 3600 + m * 60 + s);
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push((tok.len(), tok.parse::<u64>().ok()?));
        } else if !(lower == "gmt"
            || lower == "utc"
            || lower.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return None;
        }
    }
    let (month, time) = (month?, time?);
    let [(_, day), (year_len, year)] = numbers[..] else {
        return None;
    };
    let year = match year_len {
        4 => year,
        // RFC 850's two-digit year: the closest century (RFC 9110 §5.6.7).
        2 if year < 70 => 2000 + year,
        2 => 1900 + year,
        _ => return None,
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        i64::try_from(year),
        i64::try_from(month),
        i64::try_from(day),
    ) else {
        return None;
    };
    if year < 1970 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // From 1970 on the day count is not negative; four-digit years keep it small.
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some((days * 86_400 + time) * 1000)
}
