//! A deterministic scheduler for "fetch every page of a listing".
//!
//! The plan never performs IO and never reads a clock: the driver (the
//! browser layer) asks [`FetchPlan::poll`] what to do at `now_ms`, executes
//! the [`Action`]s, and reports each answer with [`FetchPlan::on_response`].
//! The plan parses each answer once (`audit_core::parse_response`), reads the
//! pagination it needs, and hands the [`Parsed`] page back in a
//! [`PageDelivery`] for `Store::ingest_page`; it keeps only counters, never
//! the pages' bytes.
//!
//! Policies:
//! - page 0 first; its `pagination.totalPages` plans the rest, at most
//!   [`PlanConfig::concurrency`] requests in flight, lowest page first;
//! - totals may move between pages (records arrive or expire while paging):
//!   the latest answer's `totalPages` adds pages or drops unfetched ones;
//! - a page's `totalPages` is believed only as far as its `totalElements`
//!   need at the page size it shows (plus [`PAGE_COUNT_SLACK`]), and never
//!   beyond [`PlanConfig::max_pages`] ([`MAX_PAGES_PER_LISTING`]): more is a
//!   named failure (`listing-too-large`) before anything more is scheduled,
//!   so a broken or hostile claim of 2^31 pages allocates nothing;
//! - legacy answers carry no pagination: pages are then fetched one after
//!   another until a page comes back shorter than the page size, up to the
//!   same cap;
//! - 429: wait for `Retry-After` (seconds or HTTP-date) when sent, up to
//!   [`PlanConfig::max_wait_ms`] (a longer one fails, saying how long), else
//!   exponential backoff with a cap; at most [`PlanConfig::max_rate_limited`]
//!   per page; the wait holds back every page (the
//!   limit is per key), and teaches the pacer the limit when none was set;
//!   429s for requests sent before the pacer last learned the bucket was
//!   empty are echoes of that news and change neither pacing nor backoff;
//! - 5xx (including Capillary's 521) and network failures: retry with
//!   backoff up to a bound, then fail; other 4xx fail at once, classified;
//! - a 401 with [`PlanConfig::renew_auth_on_401`] renews credentials at most
//!   once per page: a 401 to the renewed credentials fails (`unauthorized`);
//! - redirects fail at once ([`Outcome::Redirected`]);
//! - failure and cancel keep every loaded page; [`FetchPlan::resume`] fetches
//!   only what is missing;
//! - optional pacing ([`RateLimit`], a token bucket) so a rate-limited brand
//!   loads without a single refused request.

use std::fmt;

use audit_core::{parse_response, PageSummary, Parsed, ResponseShape};
use capillary_vocab::count::Grouped;

use crate::endpoint::AuditListing;
use crate::problem::{countdown, Problem, ProblemKind};

/// A requests-per-minute limit, enforced as a token bucket that holds up to
/// `burst` requests and refills `per_minute` per minute. This is the model
/// Capillary's gateway (and the simulator) describe: a full bucket lets a
/// listing start at full speed, then requests are spaced evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// `n` requests per minute with a burst of `n` (a full minute's worth).
    pub fn per_minute(n: u32) -> RateLimit {
        RateLimit {
            per_minute: n.max(1),
            burst: n.max(1),
        }
    }
}

/// The most pages one listing is planned for ([`PlanConfig::max_pages`]'s
/// default).
///
/// A large real trail is about a million events, so at most a million
/// records (a record holds one event or more): 1,000 pages at the largest
/// page size config.json accepts (1,000), 20,000 at the explorer's default
/// of 50, and 100,000 at the API's own default of 10, the smallest page a
/// link is likely to ask for. Beyond that a claim is more likely broken or
/// hostile than real, and loading it would outlast any session (100,000
/// requests take 100 minutes at 1,000 a minute, 17 hours at 100). At the
/// cap the plan's own state is under 6 MB (56 bytes a page), and
/// `audit_core::Store::listings` lists gaps up to the same number.
pub const MAX_PAGES_PER_LISTING: u32 = 100_000;

/// How many pages more than its `totalElements` need a page's `totalPages`
/// may claim and still be believed. The API counts and pages in two steps,
/// and records arrive or expire while a listing is paged (the seed shows 52
/// then 51), so the two can disagree by a record; a claim beyond that is
/// cut to what the records need.
pub const PAGE_COUNT_SLACK: u64 = 1;

/// Tunables; [`PlanConfig::default`] suits the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanConfig {
    /// Requests in flight at most (browsers allow 6 per host over HTTP/1.1).
    pub concurrency: u32,
    /// Attempts per page for 5xx/521 answers before giving up.
    pub max_server_attempts: u32,
    /// Attempts per page for network (or CORS) failures before giving up.
    pub max_network_attempts: u32,
    /// 429 answers per page before giving up (a limit that never clears).
    pub max_rate_limited: u32,
    /// The longest `Retry-After` honoured; a longer one fails the plan at
    /// once, naming the wait (a daily quota, or a broken header, would
    /// otherwise hold the listing for hours or forever).
    pub max_wait_ms: u64,
    /// Pages one listing is planned for at most (see
    /// [`MAX_PAGES_PER_LISTING`]).
    pub max_pages: u32,
    /// First backoff delay; doubles per consecutive failure.
    pub backoff_base_ms: u64,
    /// Longest backoff delay.
    pub backoff_cap_ms: u64,
    /// A known limit to pace to; `None` runs at full speed.
    pub rate_limit: Option<RateLimit>,
    /// Without `rate_limit`, estimate one from the first 429 and pace to it.
    pub learn_rate_limit: bool,
    /// On a 401 ask the driver to renew credentials once ([`Action::RenewAuth`]);
    /// set for OAuth, whose tokens expire.
    pub renew_auth_on_401: bool,
    /// Whether calls are cross-origin (decides how a network failure is
    /// explained: a CORS block is only possible cross-origin).
    pub cross_origin: bool,
}

impl Default for PlanConfig {
    fn default() -> PlanConfig {
        PlanConfig {
            concurrency: 4,
            max_server_attempts: 4,
            max_network_attempts: 3,
            max_rate_limited: 10,
            max_wait_ms: 600_000,
            max_pages: MAX_PAGES_PER_LISTING,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 30_000,
            rate_limit: None,
            learn_rate_limit: true,
            renew_auth_on_401: false,
            cross_origin: true,
        }
    }
}

/// What one request came to, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx body.
    Ok(Vec<u8>),
    /// Any HTTP answer (a 2xx here is treated like [`Outcome::Ok`]).
    /// Header names in any case.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// No HTTP answer: network failure, or (in a browser, indistinguishably)
    /// a CORS refusal. The text is kept for the details pane.
    Network(String),
    /// The API answered with a redirect, which was not followed. The driver
    /// fetches with `redirect: "manual"`, so the browser reports an opaque
    /// response (`type` "opaqueredirect", status 0, no `Location` to read).
    ///
    /// Following a redirect is never safe with credentials: a browser sends
    /// the request's headers again to wherever `Location` points, another
    /// origin included (newer browsers drop only `Authorization` there), so
    /// `X-CAP-API-OAUTH-TOKEN` or a host-supplied header would reach it; and a
    /// 307 or 308 repeats the method and body, so the token request would
    /// POST the OAuth key and secret there too. A redirect means the address
    /// is wrong (a login portal, a moved gateway), which no retry fixes:
    /// [`FetchPlan::on_response`] fails the listing at once.
    Redirected,
}

/// Why the plan is holding back requests; [`WaitReason::describe`] gives the
/// countdown line the UI shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitReason {
    /// The API answered 429.
    RateLimited,
    /// A failed page waits before its next attempt.
    Retrying {
        status: Option<u16>,
        /// The attempt that will be made next.
        attempt: u32,
        of: u32,
    },
    /// Spacing requests to the rate limit.
    Pacing { per_minute: u32 },
}

impl WaitReason {
    /// "rate limited, retrying in 12 s", "server error 503, attempt 2 of 4
    /// in 2 s", "network failure, attempt 2 of 3 in 1 s", "pacing to 100
    /// requests/minute, next in 1 s".
    pub fn describe(&self, until_ms: u64, now_ms: u64) -> String {
        let left = countdown(until_ms, now_ms);
        match self {
            WaitReason::RateLimited => format!("rate limited, retrying in {left}"),
            WaitReason::Retrying {
                status: Some(s),
                attempt,
                of,
            } => format!("server error {s}, attempt {attempt} of {of} in {left}"),
            WaitReason::Retrying {
                status: None,
                attempt,
                of,
            } => format!("network failure, attempt {attempt} of {of} in {left}"),
            WaitReason::Pacing { per_minute } => {
                format!("pacing to {per_minute} requests/minute, next in {left}")
            }
        }
    }
}

/// What the driver should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Request `url` (GET, with the auth header) and report the answer for `page`.
    Fetch { page: u32, url: String },
    /// Nothing more can start before `until_ms`: poll again then, or when a
    /// response arrives, whichever is first.
    Wait { until_ms: u64, reason: WaitReason },
    /// Renew credentials (a 401 under OAuth), then call
    /// [`FetchPlan::auth_renewed`]; no request starts meanwhile.
    RenewAuth,
    /// Every page is loaded.
    Done,
    /// Stopped on a problem; loaded pages stay. [`FetchPlan::resume`] retries.
    Failed(Problem),
    /// Stopped by [`FetchPlan::cancel`].
    Cancelled,
}

/// A loaded page, for `Store::ingest_page(listing.key(), parsed)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageDelivery {
    pub page: u32,
    pub parsed: Parsed,
    /// Set when part of the page was unreadable (records around it are kept).
    pub damaged: Option<Problem>,
}

/// Where the plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    Running,
    Done,
    Failed,
    Cancelled,
}

/// A snapshot for the progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub state: PlanState,
    pub pages_done: u32,
    /// Known after the first answer with pagination (legacy: after the last page).
    pub pages_total: Option<u32>,
    pub pages_in_flight: u32,
    /// Records loaded; the API's `totalElements` counts records.
    pub records_loaded: u64,
    /// Events inside those records (a record holds one or more).
    pub events_loaded: u64,
    /// The latest `totalElements` the API reported.
    pub reported_total: Option<i64>,
    /// The first one, to show "the total changed from 52 to 51".
    pub first_reported_total: Option<i64>,
    /// True when the reported total moved during the listing: records may
    /// have shifted across page boundaries (the store deduplicates repeats).
    pub totals_changed: bool,
    pub requests_sent: u32,
    /// Requests that were a repeat of an earlier failed one.
    pub retries: u32,
    /// 429 answers received.
    pub rate_limited: u32,
    pub damaged_pages: u32,
    /// The limit being paced to (configured or learned), if any.
    pub pacing: Option<RateLimit>,
    /// Why and until when new requests are held back.
    pub waiting: Option<(u64, WaitReason)>,
    pub problem: Option<Problem>,
}

impl Progress {
    /// "1,240 of 5,000 records loaded · 13 of 50 pages · rate limited,
    /// retrying in 12 s".
    pub fn summary(&self, now_ms: u64) -> String {
        let mut s = match self.reported_total {
            Some(t) => format!(
                "{} of {} records loaded",
                Grouped(self.records_loaded),
                Grouped(t.max(0) as u64)
            ),
            None => format!("{} records loaded", Grouped(self.records_loaded)),
        };
        match self.pages_total {
            Some(t) => s.push_str(&format!(
                " · {} of {} pages",
                Grouped::from(self.pages_done),
                Grouped::from(t)
            )),
            None if self.pages_done > 0 => {
                s.push_str(&format!(" · {} pages", Grouped::from(self.pages_done)))
            }
            None => {}
        }
        if self.totals_changed {
            if let (Some(a), Some(b)) = (self.first_reported_total, self.reported_total) {
                s.push_str(&format!(
                    " · total changed from {} to {} while loading",
                    Grouped(a.max(0) as u64),
                    Grouped(b.max(0) as u64)
                ));
            }
        }
        match (self.state, &self.waiting) {
            (PlanState::Running, Some((until, reason))) => {
                s.push_str(" · ");
                s.push_str(&reason.describe(*until, now_ms));
            }
            (PlanState::Cancelled, _) => s.push_str(" · cancelled"),
            (PlanState::Failed, _) => s.push_str(" · stopped"),
            _ => {}
        }
        s
    }
}

/// Token bucket in integer "token-milliseconds": one request costs
/// `60_000` units and `per_minute` units flow in per millisecond, so the
/// arithmetic is exact and the schedule reproducible.
///
/// It holds one request less than the limit's burst. The gateway's bucket
/// starts counting when our first request reaches it, and each later request
/// reaches it after a latency that varies; paced to the exact limit, a
/// request that arrives a few milliseconds early finds 0.99 of a token and
/// is refused. One request of headroom tolerates a whole interval of jitter
/// (600 ms at 100/minute) for the price of one interval per listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pacer {
    limit: RateLimit,
    /// May go negative when requests outside the plan are noted.
    units: i64,
    last_ms: u64,
    /// Requests sent up to the last time the server said the bucket was
    /// empty (the plan's send count then). A 429 for one of them is an
    /// echo of what the pacer already knows, not news that it is too fast.
    known_empty_after: u32,
}

const UNITS_PER_REQUEST: i64 = 60_000;

/// Accepted answers needed before a limit is estimated from a 429.
pub const MIN_LEARN_SAMPLE: u32 = 10;

/// 429s in a row (no success between them) before a limit is learned. An exhausted quota
/// refuses everything until it refills; a lone 429 between successes is a passing throttle
/// (or another client's burst) that `Retry-After`/backoff handles, and pacing the rest of the
/// listing to an estimate made from it would slow it down for nothing.
pub const LEARN_AFTER_CONSECUTIVE_429: u32 = 2;

impl Pacer {
    fn new(limit: RateLimit, now_ms: u64) -> Pacer {
        let mut p = Pacer {
            limit,
            units: 0,
            last_ms: now_ms,
            known_empty_after: 0,
        };
        p.units = p.cap();
        p
    }

    /// The most the bucket holds: the burst less one request of headroom.
    fn cap(&self) -> i64 {
        i64::from(self.limit.burst.saturating_sub(1).max(1)) * UNITS_PER_REQUEST
    }

    fn refill(&mut self, now_ms: u64) {
        if now_ms > self.last_ms {
            let gained = (now_ms - self.last_ms) as i64 * i64::from(self.limit.per_minute);
            let cap = self.cap();
            self.units = (self.units + gained).min(cap.max(self.units));
            self.last_ms = now_ms;
        }
    }

    fn try_take(&mut self, now_ms: u64) -> bool {
        self.refill(now_ms);
        if self.units >= UNITS_PER_REQUEST {
            self.units -= UNITS_PER_REQUEST;
            true
        } else {
            false
        }
    }

    /// Counts a request made outside the plan (status log, lookup, token).
    fn take_anyway(&mut self, now_ms: u64) {
        self.refill(now_ms);
        self.units -= UNITS_PER_REQUEST;
    }

    /// When the next request may go.
    fn next_at(&mut self, now_ms: u64) -> u64 {
        self.refill(now_ms);
        let missing = (UNITS_PER_REQUEST - self.units).max(0) as u64;
        now_ms + missing.div_ceil(u64::from(self.limit.per_minute))
    }

    /// The server said the bucket is empty; `sent` requests had gone by then.
    fn drain(&mut self, now_ms: u64, sent: u32) {
        self.refill(now_ms);
        self.units = self.units.min(0);
        self.known_empty_after = sent;
    }

    /// True when a refused request was sent before the last drain.
    fn already_knew(&self, sent_seq: u32) -> bool {
        sent_seq <= self.known_empty_after
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Pending,
    InFlight,
    Done,
    /// Beyond the latest reported total and never fetched.
    Dropped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    state: SlotState,
    not_before: u64,
    reason: Option<WaitReason>,
    /// Requests made for this page (all outcomes).
    requests: u32,
    server_failures: u32,
    network_failures: u32,
    rate_limited: u32,
    unauthorized: u32,
    /// Auth epoch the in-flight request was sent in.
    sent_epoch: u32,
    /// The plan's send count when the latest request went (1 for the first).
    sent_seq: u32,
}

impl Slot {
    fn pending() -> Slot {
        Slot {
            state: SlotState::Pending,
            not_before: 0,
            reason: None,
            requests: 0,
            server_failures: 0,
            network_failures: 0,
            rate_limited: 0,
            unauthorized: 0,
            sent_epoch: 0,
            sent_seq: 0,
        }
    }

    fn reset_failures(&mut self) {
        self.server_failures = 0;
        self.network_failures = 0;
        self.rate_limited = 0;
        self.unauthorized = 0;
        self.not_before = 0;
        self.reason = None;
    }
}

/// The scheduler for one listing. See the module docs for the policies.
#[derive(Debug, Clone)]
pub struct FetchPlan {
    listing: AuditListing,
    cfg: PlanConfig,
    slots: Vec<Slot>,
    state: PlanState,
    problem: Option<Problem>,
    /// Known once an answer carried `totalPages` (or a legacy listing ended).
    total_pages: Option<u32>,
    reported_total: Option<i64>,
    first_reported_total: Option<i64>,
    totals_changed: bool,
    /// Every page waits until then (429: the limit is per key, not per page).
    pause_until: u64,
    /// 429s in a row without a success, for backoff without `Retry-After`.
    consecutive_429: u32,
    pacer: Option<Pacer>,
    /// True when the pacer's limit was estimated from a 429.
    pacer_learned: bool,
    needs_auth: bool,
    auth_epoch: u32,
    /// For learning the limit: first request time and answers accepted since.
    first_request_ms: Option<u64>,
    accepted: u32,
    waiting: Option<(u64, WaitReason)>,
    records_loaded: u64,
    events_loaded: u64,
    requests_sent: u32,
    retries: u32,
    rate_limited: u32,
    damaged_pages: u32,
}

impl FetchPlan {
    /// A plan for `listing`; nothing is requested before the first
    /// [`FetchPlan::poll`].
    pub fn new(listing: AuditListing, cfg: PlanConfig) -> FetchPlan {
        FetchPlan {
            listing,
            cfg,
            slots: vec![Slot::pending()],
            state: PlanState::Running,
            problem: None,
            total_pages: None,
            reported_total: None,
            first_reported_total: None,
            totals_changed: false,
            pause_until: 0,
            consecutive_429: 0,
            pacer: None,
            pacer_learned: false,
            needs_auth: false,
            auth_epoch: 0,
            first_request_ms: None,
            accepted: 0,
            waiting: None,
            records_loaded: 0,
            events_loaded: 0,
            requests_sent: 0,
            retries: 0,
            rate_limited: 0,
            damaged_pages: 0,
        }
    }

    pub fn listing(&self) -> &AuditListing {
        &self.listing
    }

    pub fn config(&self) -> &PlanConfig {
        &self.cfg
    }

    /// The actions due at `now_ms`. `Fetch` actions are marked in flight as
    /// they are returned: execute every one and report each answer.
    pub fn poll(&mut self, now_ms: u64) -> Vec<Action> {
        self.waiting = None;
        match self.state {
            PlanState::Done => return vec![Action::Done],
            PlanState::Cancelled => return vec![Action::Cancelled],
            PlanState::Failed => {
                let p = self
                    .problem
                    .clone()
                    .expect("a failed plan holds its problem");
                return vec![Action::Failed(p)];
            }
            PlanState::Running => {}
        }
        if self.needs_auth {
            return vec![Action::RenewAuth];
        }
        if self.pacer.is_none() {
            if let Some(limit) = self.cfg.rate_limit {
                self.pacer = Some(Pacer::new(limit, now_ms));
            }
        }
        let mut in_flight = self.in_flight();
        let mut actions = Vec::new();
        let mut wait: Option<(u64, WaitReason)> = None;
        let mut note_wait = |until: u64, reason: WaitReason| {
            if wait.as_ref().is_none_or(|(u, _)| until < *u) {
                wait = Some((until, reason));
            }
        };
        for page in 0..self.slots.len() {
            if in_flight >= self.cfg.concurrency.max(1) {
                break;
            }
            let slot = &self.slots[page];
            if slot.state != SlotState::Pending {
                continue;
            }
            if self.pause_until > now_ms && self.pause_until >= slot.not_before {
                note_wait(self.pause_until, WaitReason::RateLimited);
                continue;
            }
            if slot.not_before > now_ms {
                let reason = slot.reason.clone().unwrap_or(WaitReason::RateLimited);
                note_wait(slot.not_before, reason);
                continue;
            }
            if let Some(p) = &mut self.pacer {
                if !p.try_take(now_ms) {
                    let until = p.next_at(now_ms);
                    note_wait(
                        until,
                        WaitReason::Pacing {
                            per_minute: p.limit.per_minute,
                        },
                    );
                    break;
                }
            }
            let slot = &mut self.slots[page];
            if slot.requests > 0 {
                self.retries += 1;
            }
            slot.state = SlotState::InFlight;
            slot.requests += 1;
            slot.sent_epoch = self.auth_epoch;
            self.requests_sent += 1;
            slot.sent_seq = self.requests_sent;
            self.first_request_ms.get_or_insert(now_ms);
            in_flight += 1;
            actions.push(Action::Fetch {
                page: page as u32,
                url: self.listing.page_url(page as u32),
            });
        }
        if actions.is_empty() && in_flight == 0 && wait.is_none() {
            self.state = PlanState::Done;
            return vec![Action::Done];
        }
        if let Some((until, reason)) = wait {
            self.waiting = Some((until, reason.clone()));
            actions.push(Action::Wait {
                until_ms: until,
                reason,
            });
        }
        actions
    }

    /// Reports the answer to a `Fetch` of `page`. Returns the parsed page
    /// when it holds data (also after a cancel or failure: nothing loaded is
    /// thrown away). Answers for pages not in flight are ignored.
    pub fn on_response(
        &mut self,
        page: u32,
        outcome: Outcome,
        now_ms: u64,
    ) -> Option<PageDelivery> {
        let idx = page as usize;
        if self.slots.get(idx).map(|s| s.state) != Some(SlotState::InFlight) {
            return None;
        }
        match outcome {
            Outcome::Ok(body) => self.on_body(idx, &body, now_ms),
            Outcome::Http { status, body, .. } if (200..300).contains(&status) => {
                self.on_body(idx, &body, now_ms)
            }
            failed => {
                let status = match &failed {
                    Outcome::Http { status, .. } => Some(*status),
                    _ => None,
                };
                let problem = Problem::from_outcome(&failed, self.cfg.cross_origin, 0, now_ms);
                self.on_failure(idx, status, problem, now_ms)
            }
        }
    }

    /// Stops issuing requests; answers still in flight are still accepted.
    pub fn cancel(&mut self) {
        if self.state != PlanState::Done {
            self.state = PlanState::Cancelled;
            self.waiting = None;
        }
    }

    /// Continues after a failure or cancel, with fresh retry budgets; loaded
    /// pages are not fetched again. A listing too large to load stays
    /// failed: no retry makes it smaller.
    pub fn resume(&mut self) {
        let too_large = self
            .problem
            .as_ref()
            .is_some_and(|p| p.kind == ProblemKind::ListingTooLarge);
        if matches!(self.state, PlanState::Failed | PlanState::Cancelled) && !too_large {
            self.state = PlanState::Running;
            self.problem = None;
            for s in &mut self.slots {
                if s.state == SlotState::Pending {
                    s.reset_failures();
                }
            }
        }
    }

    /// After [`Action::RenewAuth`]: `Ok` continues (pages refused with the
    /// old credentials are fetched again), `Err` fails the plan.
    pub fn auth_renewed(&mut self, result: Result<(), Problem>) {
        self.needs_auth = false;
        match result {
            Ok(()) => self.auth_epoch += 1,
            Err(p) => self.fail(p),
        }
    }

    /// A page already held (kept on the device by an earlier load that was interrupted),
    /// with the facts it had then: planned as loaded and never asked for. Call before the
    /// first [`FetchPlan::poll`]; a page the plan would not plan (beyond
    /// [`PlanConfig::max_pages`]) or no longer pending is ignored.
    pub fn held(&mut self, page: u32, facts: &PageFacts) {
        let idx = page as usize;
        if page >= self.cfg.max_pages || self.state != PlanState::Running {
            return;
        }
        while self.slots.len() <= idx {
            self.slots.push(Slot::pending());
        }
        if self.slots[idx].state == SlotState::Pending {
            // Not an answer of this plan: it teaches the rate limit nothing.
            let accepted = self.accepted;
            self.on_facts(idx, facts);
            self.accepted = accepted;
        }
    }

    /// Counts a request made outside this plan against the rate limit
    /// (status logs, lookup, token), so pacing leaves room for it.
    pub fn note_other_request(&mut self, now_ms: u64) {
        if self.pacer.is_none() {
            if let Some(limit) = self.cfg.rate_limit {
                self.pacer = Some(Pacer::new(limit, now_ms));
            }
        }
        if let Some(p) = &mut self.pacer {
            p.take_anyway(now_ms);
        }
    }

    pub fn progress(&self) -> Progress {
        let count = |st: SlotState| self.slots.iter().filter(|s| s.state == st).count() as u32;
        Progress {
            state: self.state,
            pages_done: count(SlotState::Done),
            pages_total: self.total_pages,
            pages_in_flight: count(SlotState::InFlight),
            records_loaded: self.records_loaded,
            events_loaded: self.events_loaded,
            reported_total: self.reported_total,
            first_reported_total: self.first_reported_total,
            totals_changed: self.totals_changed,
            requests_sent: self.requests_sent,
            retries: self.retries,
            rate_limited: self.rate_limited,
            damaged_pages: self.damaged_pages,
            pacing: self.pacer.as_ref().map(|p| p.limit),
            waiting: self.waiting.clone(),
            problem: self.problem.clone(),
        }
    }

    /// Pages loaded so far, ascending.
    pub fn loaded_pages(&self) -> Vec<u32> {
        self.pages_in(SlotState::Done)
    }

    /// Pages still to load (not in flight), ascending.
    pub fn missing_pages(&self) -> Vec<u32> {
        self.pages_in(SlotState::Pending)
    }

    fn pages_in(&self, st: SlotState) -> Vec<u32> {
        (0..self.slots.len() as u32)
            .filter(|p| self.slots[*p as usize].state == st)
            .collect()
    }

    fn in_flight(&self) -> u32 {
        self.slots
            .iter()
            .filter(|s| s.state == SlotState::InFlight)
            .count() as u32
    }

    fn fail(&mut self, problem: Problem) {
        if self.state == PlanState::Running {
            self.state = PlanState::Failed;
            self.problem = Some(problem);
            self.waiting = None;
        }
    }

    fn backoff(&self, failures: u32) -> u64 {
        let exp = failures.saturating_sub(1).min(20);
        self.cfg
            .backoff_base_ms
            .saturating_mul(1u64 << exp)
            .min(self.cfg.backoff_cap_ms)
    }

    fn on_body(&mut self, idx: usize, body: &[u8], now_ms: u64) -> Option<PageDelivery> {
        let read = read_page(body, self.listing.page_size(), self.cfg.max_pages);
        match read.facts {
            Ok(facts) => {
                self.on_facts(idx, &facts);
                Some(PageDelivery {
                    page: idx as u32,
                    parsed: read.parsed,
                    damaged: facts.damaged,
                })
            }
            Err(problem) => self.on_failure(idx, Some(200), problem, now_ms),
        }
    }

    /// The answer to `page`, already read ([`read_page`] or a failure classified): how a
    /// driver that parses elsewhere (a worker) reports it. Nothing is parsed here.
    pub fn on_answer(&mut self, page: u32, answer: PageAnswer, now_ms: u64) {
        let idx = page as usize;
        if self.slots.get(idx).map(|s| s.state) != Some(SlotState::InFlight) {
            return;
        }
        match answer {
            PageAnswer::Read(Ok(facts)) => self.on_facts(idx, &facts),
            PageAnswer::Read(Err(problem)) => {
                self.on_failure(idx, Some(200), problem, now_ms);
            }
            PageAnswer::Failed { status, problem } => {
                self.on_failure(idx, status, problem, now_ms);
            }
        }
    }

    fn on_facts(&mut self, idx: usize, facts: &PageFacts) {
        self.accepted += 1;
        self.consecutive_429 = 0;
        let slot = &mut self.slots[idx];
        slot.state = SlotState::Done;
        slot.reason = None;
        let records = facts.records;
        self.records_loaded += records as u64;
        self.events_loaded += facts.events as u64;
        if let Some(t) = facts.total_elements {
            if self.reported_total.is_some_and(|old| old != t) {
                self.totals_changed = true;
            }
            self.first_reported_total.get_or_insert(t);
            self.reported_total = Some(t);
        }
        let max_pages = self.cfg.max_pages;
        match facts.total_pages {
            _ if facts.too_large => {
                let problem = Problem::listing_too_large(
                    facts.claimed_pages.and_then(|c| u64::try_from(c).ok()),
                    facts.total_elements,
                    max_pages,
                );
                self.fail(problem);
            }
            Some(pages) => self.set_total_pages(pages),
            None => {
                // No pagination (legacy): a full page may have a successor.
                let full = records >= self.listing.page_size() as usize;
                if full {
                    if idx + 1 == self.slots.len() {
                        if self.slots.len() >= max_pages as usize {
                            self.fail(Problem::listing_too_large(None, None, max_pages));
                        } else {
                            self.slots.push(Slot::pending());
                        }
                    }
                } else if self.slots[idx..]
                    .iter()
                    .all(|s| s.state != SlotState::Pending)
                {
                    self.total_pages = Some(idx as u32 + 1);
                }
            }
        }
        if facts.damaged.is_some() {
            self.damaged_pages += 1;
        }
    }

    /// Applies the latest `totalPages`: more pages are planned, unfetched
    /// pages beyond it are dropped (and come back if it grows again).
    fn set_total_pages(&mut self, total: u32) {
        let total = total.max(1) as usize;
        self.total_pages = Some(total as u32);
        while self.slots.len() < total {
            self.slots.push(Slot::pending());
        }
        for (i, s) in self.slots.iter_mut().enumerate() {
            match s.state {
                SlotState::Pending if i >= total => s.state = SlotState::Dropped,
                SlotState::Dropped if i < total => s.state = SlotState::Pending,
                _ => {}
            }
        }
    }

    fn on_failure(
        &mut self,
        idx: usize,
        status: Option<u16>,
        problem: Problem,
        now_ms: u64,
    ) -> Option<PageDelivery> {
        let cfg = self.cfg.clone();
        let slot = &mut self.slots[idx];
        slot.state = SlotState::Pending;
        match problem.kind {
            ProblemKind::RateLimited => {
                self.rate_limited += 1;
                slot.rate_limited += 1;
                if slot.rate_limited >= cfg.max_rate_limited {
                    let n = slot.rate_limited;
                    self.fail(problem.gave_up(n));
                    return None;
                }
                if let Some(at) = problem
                    .retry_at_ms
                    .filter(|at| at.saturating_sub(now_ms) > cfg.max_wait_ms)
                {
                    let mut problem = problem.too_long_to_wait(at, now_ms);
                    problem.attempts = slot.requests;
                    self.fail(problem);
                    return None;
                }
                let sent_seq = slot.sent_seq;
                if self
                    .pacer
                    .as_ref()
                    .is_some_and(|p| p.already_knew(sent_seq))
                {
                    // Sent before the pacer learned the bucket was empty (the
                    // requests in flight when the first 429 came): an echo of
                    // that refusal, not a sign that pacing is too fast. Taking it
                    // as one lowered a learned 99/minute to 74 and then 55, and a
                    // listing the limit allows in 61 s took 107 s. The page waits
                    // for `Retry-After` if sent, else only for the pacer.
                    let until = problem.retry_at_ms.unwrap_or(now_ms);
                    self.pause_until = self.pause_until.max(until);
                    slot.not_before = until;
                    slot.reason = Some(WaitReason::RateLimited);
                    return None;
                }
                self.consecutive_429 += 1;
                let backoff_429 = self.backoff(self.consecutive_429);
                let slot = &mut self.slots[idx];
                let until = problem.retry_at_ms.unwrap_or(now_ms + backoff_429);
                self.pause_until = self.pause_until.max(until);
                slot.not_before = until;
                slot.reason = Some(WaitReason::RateLimited);
                self.learn_limit(now_ms);
            }
            ProblemKind::Server | ProblemKind::Network => {
                let (failures, max) = if problem.kind == ProblemKind::Server {
                    slot.server_failures += 1;
                    (slot.server_failures, cfg.max_server_attempts)
                } else {
                    slot.network_failures += 1;
                    (slot.network_failures, cfg.max_network_attempts)
                };
                if failures >= max {
                    let n = slot.requests;
                    self.fail(problem.gave_up(n));
                    return None;
                }
                let delay = self.backoff(failures);
                let slot = &mut self.slots[idx];
                slot.not_before = now_ms + delay;
                slot.reason = Some(WaitReason::Retrying {
                    status,
                    attempt: failures + 1,
                    of: max,
                });
            }
            ProblemKind::Unauthorized
                if cfg.renew_auth_on_401 && status == Some(401) && slot.unauthorized == 0 =>
            {
                // A request sent before the last renewal just goes again;
                // otherwise ask for fresh credentials once.
                if slot.sent_epoch == self.auth_epoch {
                    slot.unauthorized += 1;
                    self.needs_auth = true;
                }
            }
            _ => {
                let mut problem = problem;
                problem.attempts = slot.requests;
                self.fail(problem);
            }
        }
        None
    }

    /// After a 429: pace to the configured limit from an empty bucket, or
    /// estimate the limit. The estimate assumes the gateway's bucket held a
    /// minute's worth when the listing started: `accepted` answers over
    /// `elapsed` then mean `limit = accepted × 60 s / (60 s + elapsed)`.
    /// Fewer than [`MIN_LEARN_SAMPLE`] accepted answers say nothing about
    /// the limit (other calls may have emptied the bucket), so no estimate
    /// is made then; `Retry-After` and backoff still apply. A further 429
    /// for a request sent under the learned limit lowers it by a tenth
    /// ([`LOWER_NUM`]/[`LOWER_DEN`]); 429s for requests sent before the
    /// pacer knew the bucket was empty never reach here (see `on_failure`).
    fn learn_limit(&mut self, now_ms: u64) {
        let sent = self.requests_sent;
        if let Some(p) = &mut self.pacer {
            p.drain(now_ms, sent);
            if self.pacer_learned {
                let lower = (p.limit.per_minute * LOWER_NUM / LOWER_DEN).max(1);
                p.limit = RateLimit {
                    per_minute: lower,
                    burst: lower,
                };
            }
            return;
        }
        if !self.cfg.learn_rate_limit
            || self.accepted < MIN_LEARN_SAMPLE
            || self.consecutive_429 < LEARN_AFTER_CONSECUTIVE_429
        {
            return;
        }
        let elapsed = now_ms.saturating_sub(self.first_request_ms.unwrap_or(now_ms));
        let per_minute =
            (u64::from(self.accepted) * 60_000 / (60_000 + elapsed)).clamp(1, 100_000) as u32;
        let mut pacer = Pacer::new(RateLimit::per_minute(per_minute), now_ms);
        pacer.drain(now_ms, sent);
        self.pacer = Some(pacer);
        self.pacer_learned = true;
    }
}

/// The pages a page's pagination may plan: its `totalPages`, unless that is
/// more than its `totalElements` need (plus [`PAGE_COUNT_SLACK`]) at the
/// page size the server uses, when it is cut to what they need at `limit`.
/// The server's page size is `limit`, or smaller when this page holds fewer
/// records than `limit` and the claim fits that size: the API's maximum
/// `limit` is undocumented, and a server that caps it pages by its own
/// smaller size, so its larger count is right then. A page holds at least
/// one record, so no claim believed is more than the records claimed.
/// Without `totalElements`, only the caller's cap bounds the claim.
fn plannable_pages(claimed: i64, total_elements: Option<i64>, limit: u32, records: usize) -> u64 {
    let claimed = claimed.max(0) as u64;
    let Some(elements) = total_elements else {
        return claimed;
    };
    let needed_at = |size: u64| (elements.max(0) as u64).div_ceil(size.max(1));
    let fits = |size: u64| claimed <= needed_at(size).saturating_add(PAGE_COUNT_SLACK);
    let limit = u64::from(limit);
    let records = records as u64;
    if fits(limit) || (records > 0 && records < limit && fits(records)) {
        claimed
    } else {
        needed_at(limit)
    }
}

/// What the plan needs to know of a page of audit data, once it has been read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageFacts {
    pub records: usize,
    pub events: usize,
    /// The pages to plan: the page's `totalPages` bounded by what its `totalElements` need
    /// (see [`read_page`]); `None` without pagination (legacy).
    pub total_pages: Option<u32>,
    /// `totalPages` as the page claimed it.
    pub claimed_pages: Option<i64>,
    pub total_elements: Option<i64>,
    /// More pages than [`PlanConfig::max_pages`] would be needed.
    pub too_large: bool,
    /// Part of the page was unreadable (the records around it are kept).
    pub damaged: Option<Problem>,
    /// Records of the page the reader already held (0 from [`read_page`], which holds none;
    /// a driver that merges pages into a store says how many were there already, which tells
    /// a refresh reading newest first that it has reached what was loaded).
    #[serde(default)]
    pub known: usize,
}

/// An answer to a page request, for [`FetchPlan::on_answer`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PageAnswer {
    /// A 2xx body, read by [`read_page`]: its facts, or why it is not audit data.
    Read(Result<PageFacts, Problem>),
    /// Any other answer, classified ([`Problem::from_outcome`] or, for bodies read elsewhere,
    /// [`Problem::from_http`]).
    Failed {
        status: Option<u16>,
        problem: Problem,
    },
}

/// A page read: its facts for the plan (or why it is not audit data), and the parsed page for
/// `Store::ingest_page`, its pagination already bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRead {
    pub facts: Result<PageFacts, Problem>,
    pub parsed: Parsed,
}

/// Parses a 2xx body of the audit endpoint (page size `limit`) and reads what the plan needs.
/// A `totalPages` larger than the records can need is cut to what they need (a hostile or
/// broken server cannot make the plan schedule, nor the store report, billions of pages), both
/// in the facts and in the parsed page the store ingests.
pub fn read_page(body: &[u8], limit: u32, max_pages: u32) -> PageRead {
    let mut parsed = parse_response(body);
    let mut summary = PageSummary::of(&parsed);
    let facts = page_facts(&mut summary, limit, max_pages);
    parsed.pagination = summary.pagination;
    PageRead { facts, parsed }
}

/// What [`read_page`] reads of a page, from its summary: for a page read straight into the
/// store (`Store::ingest_bytes_with`, which hands the summary over before it stores
/// anything). The summary's `totalPages` is bounded as [`read_page`] bounds the parsed
/// page's. An error is a page that is not audit data (nothing of it should be stored).
pub fn page_facts(
    summary: &mut PageSummary,
    limit: u32,
    max_pages: u32,
) -> Result<PageFacts, Problem> {
    let not_audits = match &summary.shape {
        ResponseShape::CurrentAudits | ResponseShape::LegacyAudits => None,
        ResponseShape::ErrorEnvelope => Some(Problem::from_parsed_errors(200, &summary.api_errors)),
        ResponseShape::StatusLog(_) => Some(Problem::unrecognised(
            "a status log came back where an audit page was expected".into(),
        )),
        ResponseShape::Unrecognised { reason } => Some(Problem::unrecognised(reason.clone())),
    };
    if let Some(problem) = not_audits {
        return Err(problem);
    }
    let records = summary.records;
    let claimed_pages = summary.pagination.as_ref().and_then(|p| p.total_pages);
    let total_elements = summary.pagination.as_ref().and_then(|p| p.total_elements);
    let planned = claimed_pages.map(|c| plannable_pages(c, total_elements, limit, records));
    let too_large = planned.is_some_and(|p| p > u64::from(max_pages));
    let total_pages = planned.filter(|_| !too_large).map(|p| p as u32);
    if let (Some(p), Some(pages)) = (summary.pagination.as_mut(), total_pages) {
        // What the store's gap report counts from: the plan, not the claim.
        p.total_pages = Some(i64::from(pages));
    }
    Ok(PageFacts {
        records,
        events: summary.events,
        total_pages,
        claimed_pages,
        total_elements,
        too_large,
        damaged: (!summary.damaged.is_empty())
            .then(|| Problem::damaged(records, summary.damaged.len())),
        known: 0,
    })
}

/// A learned limit that still gets refusals is multiplied by this. The
/// estimate is high only when the gateway's bucket holds more than a
/// minute's worth; a tenth at a time settles near the true rate within a few
/// refusals (150 at once then 100/minute: 140 → … → 94–104), where a quarter
/// overshot below it (81) and left the listing 15% slower than allowed.
const LOWER_NUM: u32 = 9;
const LOWER_DEN: u32 = 10;

impl fmt::Display for PlanState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlanState::Running => "running",
            PlanState::Done => "done",
            PlanState::Failed => "failed",
            PlanState::Cancelled => "cancelled",
        })
    }
}
