//! The live session plan: which requests open an entity, in which order, and what their
//! answers mean. The lookup by identifier (or, for a card opened by its number, the card's status
//! log, which carries the card id its audit trail needs), the status logs alongside, then every
//! audit page through capillary-client's [`FetchPlan`]. A pure state machine like the fetch plan
//! it extends: the driver asks [`SessionPlan::poll`] what to do at `now`, performs exactly the
//! requests it is handed (adding the credentials' header), and reports each answer as a
//! [`Read`] (the engine reads bodies; the driver classifies network failures and redirects
//! itself). It never performs IO, reads a clock or sees a credential.

use std::collections::BTreeMap;

use audit_core::StatusLogKind;
use capillary_client::{
    card_status_log_url, customer_status_log_url, lookup_url, Action, AuditListing, EntityType,
    FetchPlan, IdentifierName, PageAnswer, PageFacts, PlanConfig, Problem as ApiProblem, RateLimit,
    WaitReason,
};

use crate::link::{ApiRequest, AuthKind, Target};
use crate::problem::Problem;
use crate::read::{Purpose, Read};

/// What the deployment and the page decide about a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    /// Records per request when the link names no `limit` (config.json `pageSize`).
    pub page_size: u32,
    /// The API keys' limit, when the deployment states it (config.json `rateLimit`).
    pub rate_limit: Option<RateLimit>,
    /// Whether the API is on another origin than the page (how network failures are explained).
    pub cross_origin: bool,
}

/// A request to perform: GET `url` with the credentials' header, never following a redirect,
/// then report the answer for `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: u64,
    pub url: String,
    pub purpose: Purpose,
}

/// What the driver should do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Get an OAuth token (the first, one about to expire, or after a 401), then call
    /// [`SessionPlan::token_renewed`]; nothing is sent meanwhile.
    RenewToken,
    Send(Request),
    /// Nothing can start before `until_ms`: poll again then, or when an answer arrives.
    Wait {
        until_ms: u64,
        reason: WaitReason,
    },
    /// Something worth a banner that does not stop the trail (a status log not loaded).
    Notice(Problem),
    /// Every page is loaded.
    Done,
    /// Stopped on a problem; what loaded stays. [`SessionPlan::resume`] retries.
    Failed(ApiProblem),
    Cancelled,
}

/// Where the session is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first OAuth token.
    FirstToken,
    /// Finding the entity: a lookup or a card's status log is in flight.
    Resolving,
    /// The entity is known: status logs (not waited for) and the audit pages.
    Pages,
    Failed(ApiProblem),
    Cancelled,
    Done,
}

/// The session plan. See the module doc.
#[derive(Debug)]
pub struct SessionPlan {
    request: ApiRequest,
    settings: SessionSettings,
    phase: Phase,
    /// Requests sent and not yet answered, by id.
    in_flight: BTreeMap<u64, Purpose>,
    next_id: u64,
    /// The card number whose status log is fetched alongside the trail.
    card_number: Option<String>,
    fetch: Option<FetchPlan>,
    /// Requests sent outside the fetch plan (lookup, status logs), counted against the limit.
    other_requests: u32,
    /// Steps to hand out at the next poll (notices, a resolution request).
    queued: Vec<Step>,
    /// A token is wanted (the first, one about to expire, or after a 401).
    renewing: bool,
    /// [`Step::RenewToken`] was handed out for it: nothing more until [`SessionPlan::token_renewed`].
    renewal_asked: bool,
    /// A refresh ([`SessionPlan::refresh`]): only what is newer than this instant is asked for.
    since: Option<i64>,
    /// The refresh read a page holding records already loaded: everything older is loaded too.
    reached_known: bool,
    /// Audit pages an interrupted load kept on the device ([`SessionPlan::resume_from`]).
    held: Vec<(String, u32, PageFacts)>,
}

impl SessionPlan {
    pub fn new(request: ApiRequest, settings: SessionSettings) -> SessionPlan {
        SessionPlan::planned(request, settings, None)
    }

    fn planned(request: ApiRequest, settings: SessionSettings, since: Option<i64>) -> SessionPlan {
        let first_token = request.auth == AuthKind::OAuth;
        let mut plan = SessionPlan {
            request,
            settings,
            phase: if first_token {
                Phase::FirstToken
            } else {
                Phase::Resolving
            },
            in_flight: BTreeMap::new(),
            next_id: 1,
            card_number: None,
            fetch: None,
            other_requests: 0,
            queued: Vec::new(),
            renewing: first_token,
            renewal_asked: false,
            since,
            reached_known: false,
            held: Vec::new(),
        };
        plan.resolve();
        plan
    }

    /// A refresh of a trail whose newest loaded event is at `newest` (epoch ms): the same
    /// entity, its status logs, and the audit records from a `startDate` a little before
    /// `newest` ([`refresh_start_date`]), newest first, a page at a time, until a page holds a
    /// record already loaded (the engine counts them in [`PageFacts::known`](capillary_client::PageFacts));
    /// the store de-duplicates those. A trail of 10,000 records with 3 new ones costs one
    /// audit page and the status log, however many records the overlap holds.
    pub fn refresh(request: ApiRequest, settings: SessionSettings, newest: i64) -> SessionPlan {
        SessionPlan::planned(request, settings, Some(newest))
    }

    /// A load that an earlier one, interrupted (a reload, a crash), had started: the audit
    /// pages it kept (`held`: listing key, page, facts) are not asked again. Only the run of
    /// pages from page 0 counts: records that arrived since moved every later record down the
    /// listing, so a page after a gap may have lost records to the page before it, which is
    /// fetched again; the records new since are for the refresh that follows.
    pub fn resume_from(
        request: ApiRequest,
        settings: SessionSettings,
        held: Vec<(String, u32, PageFacts)>,
    ) -> SessionPlan {
        let mut plan = SessionPlan::planned(request, settings, None);
        plan.held = held;
        // An entity id was opened at once, before `held` was known: hold its pages now.
        plan.hold_pages();
        plan
    }

    /// Marks the held pages of the current listing as loaded (the run from page 0).
    fn hold_pages(&mut self) {
        let Some(fetch) = self.fetch.as_mut() else {
            return;
        };
        let key = fetch.listing().key();
        let mine: BTreeMap<u32, &PageFacts> = self
            .held
            .iter()
            .filter(|(listing, ..)| *listing == key)
            .map(|(_, page, facts)| (*page, facts))
            .collect();
        let mut page = 0;
        while let Some(facts) = mine.get(&page) {
            fetch.held(page, facts);
            page += 1;
        }
    }

    /// Whether this plan is a refresh.
    pub fn is_refresh(&self) -> bool {
        self.since.is_some()
    }

    pub fn request(&self) -> &ApiRequest {
        &self.request
    }

    /// What to do at `now`. `token_due` says the OAuth token is about to expire: it is renewed
    /// before anything else is sent.
    pub fn poll(&mut self, now_ms: u64, token_due: bool) -> Vec<Step> {
        if token_due && !self.is_over() {
            self.renewing = true;
        }
        if self.renewing {
            if self.renewal_asked {
                return Vec::new();
            }
            self.renewal_asked = true;
            return vec![Step::RenewToken];
        }
        let mut out = std::mem::take(&mut self.queued);
        match &self.phase {
            Phase::FirstToken | Phase::Resolving => {}
            Phase::Failed(p) => out.push(Step::Failed(p.clone())),
            Phase::Cancelled => out.push(Step::Cancelled),
            Phase::Done => out.push(Step::Done),
            Phase::Pages if self.reached_known => {
                // Done once the status logs alongside are in.
                if self.in_flight.is_empty() {
                    self.phase = Phase::Done;
                    out.push(Step::Done);
                }
            }
            Phase::Pages => {
                let Some(fetch) = self.fetch.as_mut() else {
                    return out;
                };
                for action in fetch.poll(now_ms) {
                    match action {
                        Action::Fetch { page, url } => {
                            let id = self.next_id;
                            self.next_id += 1;
                            let purpose = Purpose::AuditPage {
                                listing: fetch.listing().key(),
                                page,
                                limit: fetch.listing().page_size(),
                                max_pages: fetch.config().max_pages,
                            };
                            self.in_flight.insert(id, purpose.clone());
                            out.push(Step::Send(Request { id, url, purpose }));
                        }
                        Action::Wait { until_ms, reason } => {
                            out.push(Step::Wait { until_ms, reason })
                        }
                        Action::RenewAuth => {
                            self.renewing = true;
                            self.renewal_asked = true;
                            out.push(Step::RenewToken);
                        }
                        Action::Done => {
                            self.phase = Phase::Done;
                            out.push(Step::Done);
                        }
                        Action::Failed(p) => {
                            self.phase = Phase::Failed(p.clone());
                            out.push(Step::Failed(p));
                        }
                        Action::Cancelled => {
                            self.phase = Phase::Cancelled;
                            out.push(Step::Cancelled);
                        }
                    }
                }
            }
        }
        out
    }

    /// The answer to request `id`, as read by the engine (or classified by the driver).
    pub fn on_read(&mut self, id: u64, read: Read, now_ms: u64) {
        let Some(purpose) = self.in_flight.remove(&id) else {
            return;
        };
        match purpose {
            Purpose::AuditPage { page, .. } => {
                if let Read::Page(PageAnswer::Read(Ok(facts))) = &read {
                    if self.since.is_some() && facts.known > 0 {
                        // Newest first: this page reached what was loaded before.
                        self.reached_known = true;
                        if let Some(fetch) = self.fetch.as_mut() {
                            fetch.cancel();
                        }
                    }
                }
                let answer = match read {
                    Read::Page(answer) => answer,
                    Read::Failed { status, problem } => PageAnswer::Failed { status, problem },
                    other => PageAnswer::Read(Err(ApiProblem::unrecognised(format!(
                        "an audit page was answered with {other:?}"
                    )))),
                };
                if let Some(fetch) = self.fetch.as_mut() {
                    fetch.on_answer(page, answer, now_ms);
                }
            }
            Purpose::Lookup => match read {
                Read::Customer(id) => {
                    let card = match &self.request.target {
                        Target::Identifier(IdentifierName::CardNumber, number) => {
                            Some(number.clone())
                        }
                        _ => None,
                    };
                    self.open(EntityType::Customer, id, card, now_ms);
                }
                Read::Failed { problem, .. } => self.fail(problem),
                other => self.fail(ApiProblem::unrecognised(format!(
                    "the lookup was answered with {other:?}"
                ))),
            },
            Purpose::StatusLog(kind) => {
                let resolving = self.phase == Phase::Resolving;
                match read {
                    Read::StatusLog {
                        entity_id: Some(id),
                    } if resolving => self.open(EntityType::Card, id, None, now_ms),
                    Read::StatusLog { entity_id: None } if resolving => {
                        let number = match &self.request.target {
                            Target::Identifier(_, n) => n.clone(),
                            Target::Entity(_, id) => id.to_string(),
                        };
                        self.fail(ApiProblem::unrecognised(format!(
                            "the status log of card {number} names no card id"
                        )))
                    }
                    Read::StatusLog { .. } => {}
                    Read::Failed { problem, .. } if resolving => self.fail(problem),
                    Read::Failed { problem, .. } => {
                        // Status logs alongside are useful, never a reason to stop the trail.
                        let which = match kind {
                            StatusLogKind::Customer => "Customer status log",
                            StatusLogKind::Card => "Card status log",
                        };
                        self.queued.push(Step::Notice(Problem::new(
                            problem.kind,
                            format!(
                                "{which} not loaded: {} {}",
                                problem.message, problem.next_step
                            ),
                        )));
                    }
                    other => self.fail(ApiProblem::unrecognised(format!(
                        "a status log was answered with {other:?}"
                    ))),
                }
            }
        }
    }

    /// After [`Step::RenewToken`]: `Ok` continues (pages refused with the old token are asked
    /// again), `Err` stops the session with that problem.
    pub fn token_renewed(&mut self, result: Result<(), ApiProblem>) {
        self.renewing = false;
        self.renewal_asked = false;
        let first = self.phase == Phase::FirstToken;
        match result {
            Ok(()) if first => self.phase = Phase::Resolving,
            Ok(()) => {
                if let Some(fetch) = self.fetch.as_mut() {
                    fetch.auth_renewed(Ok(()));
                }
            }
            Err(p) => {
                if let Some(fetch) = self.fetch.as_mut() {
                    fetch.auth_renewed(Err(p.clone()));
                }
                self.fail(p);
            }
        }
        if first {
            self.resolve();
        }
    }

    /// Stops sending; answers in flight are still read. What loaded stays.
    pub fn cancel(&mut self) {
        if let Some(fetch) = self.fetch.as_mut() {
            fetch.cancel();
        }
        if !matches!(self.phase, Phase::Done | Phase::Failed(_)) {
            self.phase = Phase::Cancelled;
        }
    }

    /// Continues after a failure or cancel: pages already loaded are not asked again; a session
    /// that failed before its entity was known starts again from the lookup.
    pub fn resume(&mut self) {
        if !matches!(self.phase, Phase::Failed(_) | Phase::Cancelled) {
            return;
        }
        match self.fetch.as_mut() {
            Some(fetch) => {
                fetch.resume();
                self.phase = Phase::Pages;
            }
            None => {
                self.phase = if self.request.auth == AuthKind::OAuth {
                    self.renewing = true;
                    Phase::FirstToken
                } else {
                    Phase::Resolving
                };
                self.resolve();
            }
        }
    }

    pub fn is_over(&self) -> bool {
        matches!(
            self.phase,
            Phase::Done | Phase::Failed(_) | Phase::Cancelled
        )
    }

    /// Whether it stopped on a problem (Resume then retries).
    pub fn has_failed(&self) -> bool {
        matches!(self.phase, Phase::Failed(_))
    }

    /// The fetch line: "1,240 of 5,000 records loaded · 13 of 50 pages · rate limited, retrying
    /// in 12 s", or what is happening before the pages.
    pub fn summary(&self, now_ms: u64) -> String {
        match (&self.fetch, &self.phase) {
            (Some(fetch), _) => fetch.progress().summary(now_ms),
            (None, Phase::FirstToken) => "Getting an OAuth token…".into(),
            (None, Phase::Resolving) => match &self.request.target {
                Target::Identifier(name, value) => format!("Looking up {} {value}…", name.as_str()),
                Target::Entity(..) => "Connecting…".into(),
            },
            (None, Phase::Failed(p)) => p.message.clone(),
            (None, Phase::Cancelled) => "Cancelled".into(),
            (None, _) => String::new(),
        }
    }

    /// The first request: for an identifier, the lookup (or a card's status log); for an
    /// entity id, straight to the pages. Nothing while the first token is awaited.
    fn resolve(&mut self) {
        if self.phase != Phase::Resolving {
            return;
        }
        let base = self.request.base.clone();
        let step = match self.request.target.clone() {
            Target::Entity(t, id) => return self.open(t, id, None, 0),
            // A card by number: its status log carries the card's id.
            Target::Identifier(IdentifierName::CardNumber, number)
                if self.request.params.entity_type == EntityType::Card =>
            {
                card_status_log_url(&base, &number)
                    .map(|url| (url, Purpose::StatusLog(StatusLogKind::Card)))
            }
            Target::Identifier(name, value) => {
                let source = self
                    .request
                    .params
                    .source
                    .clone()
                    .unwrap_or_else(|| "INSTORE".into());
                lookup_url(&base, &source, name, &value).map(|url| (url, Purpose::Lookup))
            }
        };
        match step {
            Ok((url, purpose)) => self.send_other(url, purpose),
            Err(e) => self.fail(ApiProblem::from_param_error(&e)),
        }
    }

    /// The entity is known: its status logs alongside, then every page.
    fn open(
        &mut self,
        entity_type: EntityType,
        entity_id: i64,
        card_number: Option<String>,
        now_ms: u64,
    ) {
        let base = self.request.base.clone();
        if entity_type == EntityType::Customer {
            if let Ok(url) = customer_status_log_url(&base, entity_id) {
                self.send_other(url, Purpose::StatusLog(StatusLogKind::Customer));
            }
        }
        if let Some(number) = &card_number {
            if let Ok(url) = card_status_log_url(&base, number) {
                self.send_other(url, Purpose::StatusLog(StatusLogKind::Card));
            }
        }
        self.card_number = card_number;
        let mut params = self.request.params.clone();
        params.limit.get_or_insert(self.settings.page_size);
        params.entity_type = entity_type;
        params.entity_id = entity_id;
        if let Some(newest) = self.since {
            params.start_date = Some(refresh_start_date(newest, params.start_date.as_deref()));
            params.page_no = None;
            // Newest first (the API's default order), whatever order the link reads in.
            if params.sort_order.is_some() {
                params.sort_order = Some(capillary_client::SortOrder::Desc);
            }
        }
        let listing = match AuditListing::new(base, params, self.request.generation) {
            Ok(l) => l,
            Err(e) => return self.fail(ApiProblem::from_param_error(&e)),
        };
        let config = PlanConfig {
            // A refresh reads newest first, a page at a time, until it meets a known record.
            concurrency: if self.since.is_some() {
                1
            } else {
                PlanConfig::default().concurrency
            },
            renew_auth_on_401: self.request.auth == AuthKind::OAuth,
            cross_origin: self.settings.cross_origin,
            rate_limit: self.settings.rate_limit,
            ..PlanConfig::default()
        };
        let mut fetch = FetchPlan::new(listing, config);
        for _ in 0..self.other_requests {
            fetch.note_other_request(now_ms);
        }
        self.fetch = Some(fetch);
        self.phase = Phase::Pages;
        if !self.held.is_empty() {
            self.hold_pages();
        }
    }

    fn send_other(&mut self, url: String, purpose: Purpose) {
        let id = self.next_id;
        self.next_id += 1;
        self.other_requests += 1;
        self.in_flight.insert(id, purpose.clone());
        self.queued.push(Step::Send(Request { id, url, purpose }));
    }

    fn fail(&mut self, problem: ApiProblem) {
        self.phase = Phase::Failed(problem);
    }
}

/// How far before the newest loaded event a refresh starts: `startDate` is read in a zone the
/// API does not state (the documentation gives none), and zones run from UTC−12 to UTC+14, so
/// a start 13 hours before the newest event, written in UTC, is at or before it whichever zone
/// the API reads it in. The records of that overlap are already held and de-duplicated.
pub const REFRESH_OVERLAP_MS: i64 = 13 * 3_600_000;

/// The `startDate` of a refresh (`YYYY-MM-DD HH:MM:SS`): [`REFRESH_OVERLAP_MS`] before
/// `newest`, or the link's own `startDate` when that is later (a refresh never widens what the
/// link asks for).
pub fn refresh_start_date(newest: i64, link_start: Option<&str>) -> String {
    let iso = audit_core::time::format_iso_utc(newest.saturating_sub(REFRESH_OVERLAP_MS));
    let ours: String = iso
        .chars()
        .take(19)
        .map(|c| if c == 'T' { ' ' } else { c })
        .collect();
    let theirs = link_start.map(|d| {
        let d = d.trim().replace('T', " ");
        match d.len() {
            10 => format!("{d} 00:00:00"),
            16 => format!("{d}:00"),
            _ => d,
        }
    });
    match theirs {
        Some(t) if t.len() == 19 && t > ours => t,
        _ => ours,
    }
}
