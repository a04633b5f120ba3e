//! The live API source: executes what `capillary-client` plans (every page, bounded concurrency,
//! 429/5xx back-off, pacing, cancel, resume) with gloo-net, and feeds each page to the store as
//! it arrives. Status logs are fetched alongside. Credentials stay in memory (or, when the user
//! asks, sessionStorage) and are only ever sent to the origin they were entered for.

use std::cell::RefCell;
use std::rc::Rc;

use audit_core::{parse_status_log, StatusLogKind};
use capillary_client::{
    card_status_log_url, customer_status_log_url, lookup_url, parse_lookup_customer_id, Action,
    AuditListing, AuthError, AuthMode, Credentials, EntityType, FetchPlan, IdentifierName, Origin,
    Outcome, PlanConfig, Problem, RateLimit,
};
use explorer_config::CredentialEntry;
use futures::stream::{FuturesUnordered, StreamExt};
use leptos::prelude::*;

use crate::api_query::{ApiQuery, AuthKind, Target};
use crate::deployment::Deployment;
use crate::explorer::{Explorer, Problem as Shown};

/// What the fetch line shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FetchStatus {
    pub summary: String,
    pub running: bool,
    /// Set when the fetch stopped on a problem; [`Live::resume`] retries.
    pub failed: bool,
}

/// Handle to the live source; provided as context by the app.
#[derive(Clone, Copy)]
pub struct Live {
    explorer: Explorer,
    credentials: StoredValue<Vec<Credentials>, LocalStorage>,
    plan: StoredValue<Option<Rc<RefCell<Running>>>, LocalStorage>,
    /// Bumped to stop the current loop (a new fetch, cancel).
    generation: StoredValue<u64, LocalStorage>,
    pub status: RwSignal<Option<FetchStatus>>,
    /// The origin a link points at when no credentials for it are held.
    pub needs_credentials: RwSignal<Option<String>>,
    /// Records per request when the link names no `limit` (config.json `pageSize`).
    page_size: u32,
    /// The API keys' limit when the deployment states it (config.json `rateLimit`): the plan
    /// paces from the first request instead of learning the limit from refusals.
    rate_limit: Option<RateLimit>,
    /// Whether credentials come from the connection panel, an embedding host page, or (framed
    /// by a page the deployment does not allow) nowhere.
    credential_entry: StoredValue<CredentialEntry>,
}

struct Running {
    plan: FetchPlan,
    listing: AuditListing,
    credentials: Credentials,
    page: Origin,
}

impl Live {
    pub fn provide(explorer: Explorer, deployment: Deployment) -> Live {
        let live = Live {
            page_size: deployment.config().page_size,
            rate_limit: deployment.config().rate_limit,
            credential_entry: StoredValue::new(deployment.credential_entry()),
            explorer,
            credentials: StoredValue::new_local(crate::session::restore()),
            plan: StoredValue::new_local(None),
            generation: StoredValue::new_local(0),
            status: RwSignal::new(None),
            needs_credentials: RwSignal::new(None),
        };
        provide_context(live);
        live
    }

    /// Keeps credentials for their origin (replacing older ones for it).
    pub fn remember(&self, credentials: Credentials) {
        self.credentials.update_value(|all| {
            all.retain(|c| c.scope() != credentials.scope());
            all.push(credentials);
        });
        self.needs_credentials.set(None);
    }

    /// Starts fetching what `query` names, stopping any earlier fetch. Without credentials for
    /// the query's origin nothing is sent: the connection panel asks for them instead.
    pub fn start(&self, query: ApiQuery) {
        self.stop();
        let page = match page_origin() {
            Ok(page) => page,
            Err(e) => {
                self.explorer.add_problem(Shown {
                    kind: "bad-request",
                    message: format!("This page cannot call an API: {e}"),
                });
                return;
            }
        };
        let target = query.base.scope(&page);
        let credentials = match query.auth {
            AuthKind::None => Some(Credentials::none(&query.base, &page)),
            kind => self.credentials.with_value(|all| {
                all.iter()
                    .find(|c| {
                        c.scope() == &target
                            && (c.mode().is_from_host() || matches_kind(c.mode(), kind))
                    })
                    .cloned()
            }),
        };
        let Some(credentials) = credentials else {
            self.needs_credentials.set(Some(target.to_string()));
            let summary = match self.credential_entry.get_value() {
                CredentialEntry::FromHost => {
                    format!("Waiting for the host page to connect to {target}…")
                }
                CredentialEntry::Disabled(why) => why,
                CredentialEntry::Allowed => {
                    format!("Enter credentials for {target} to load this link.")
                }
            };
            self.status.set(Some(FetchStatus {
                summary,
                running: false,
                failed: false,
            }));
            return;
        };
        let label = match &query.target {
            Target::Entity(t, id) => format!("{} {id} · {}", t.as_str(), query.base),
            Target::Identifier(n, v) => format!("{} {v} · {}", n.as_str(), query.base),
        };
        self.explorer.begin_source(&label);
        let generation = self.generation.get_value();
        let live = *self;
        leptos::task::spawn_local(async move {
            live.open(query, credentials, page, generation).await;
        });
    }

    /// Stops the current fetch; what is loaded stays.
    pub fn cancel(&self) {
        self.stop();
        self.status.update(|s| {
            if let Some(s) = s {
                s.running = false;
                s.summary = format!("{} · cancelled", s.summary);
            }
        });
    }

    /// Retries a stopped fetch: pages already loaded are not fetched again.
    pub fn resume(&self) {
        let Some(running) = self.plan.get_value() else {
            return;
        };
        // The failure being retried is no longer the news; a new one shows again.
        self.explorer.clear_problems(&[
            "server",
            "network",
            "rate-limited",
            "unauthorized",
            "forbidden",
        ]);
        running.borrow_mut().plan.resume();
        self.generation.update_value(|g| *g += 1);
        let generation = self.generation.get_value();
        let live = *self;
        leptos::task::spawn_local(async move { live.drive(running, generation).await });
    }

    /// Stops the current fetch without a message (another source takes over).
    pub fn stop(&self) {
        self.generation.update_value(|g| *g += 1);
        if let Some(running) = self.plan.get_value() {
            running.borrow_mut().plan.cancel();
        }
    }

    fn current(&self, generation: u64) -> bool {
        self.generation.get_value() == generation
    }

    fn fail(&self, problem: &Problem) {
        self.explorer.add_problem(shown(problem, now()));
        self.status.set(Some(FetchStatus {
            summary: problem.message.clone(),
            running: false,
            failed: true,
        }));
    }

    /// Resolves the target (identifier lookup), loads status logs, then every audit page.
    async fn open(
        self,
        query: ApiQuery,
        mut credentials: Credentials,
        page: Origin,
        generation: u64,
    ) {
        self.status.set(Some(FetchStatus {
            summary: "Connecting…".into(),
            running: true,
            failed: false,
        }));
        // Lookup and status-log calls count against the same per-key limit as the pages.
        let mut other_requests = 0u32;
        if let AuthMode::OAuth(_) = credentials.mode() {
            if let Err(p) = renew_with(&mut credentials, &query.base, &page).await {
                return self.fail(&p);
            }
        }
        let source = query
            .params
            .source
            .clone()
            .unwrap_or_else(|| "INSTORE".into());
        let (entity_type, entity_id, card_number) = match &query.target {
            Target::Entity(t, id) => (*t, *id, None),
            // A card by number: its status log carries the card's id, which its audit trail needs.
            Target::Identifier(IdentifierName::CardNumber, number)
                if query.params.entity_type == EntityType::Card =>
            {
                let url = match card_status_log_url(&query.base, number) {
                    Ok(u) => u,
                    Err(e) => return self.fail(&Problem::from_param_error(&e)),
                };
                other_requests += 1;
                match get(&url, &credentials, &page).await {
                    Err(p) => return self.fail(&p),
                    Ok(Outcome::Ok(body)) => {
                        let parsed = parse_status_log(&body, StatusLogKind::Card);
                        let id = parsed
                            .status_entries
                            .iter()
                            .find_map(|e| e.entity_id.get().copied());
                        self.explorer.ingest("card status log", parsed);
                        match id {
                            Some(id) => (EntityType::Card, id, None),
                            None => {
                                return self.fail(&Problem::unrecognised(format!(
                                    "the status log of card {number} names no card id"
                                )))
                            }
                        }
                    }
                    Ok(other) => return self.fail(&problem_of(other, &query, 1)),
                }
            }
            Target::Identifier(name, value) => {
                let url = match lookup_url(&query.base, &source, *name, value) {
                    Ok(u) => u,
                    Err(e) => return self.fail(&Problem::from_param_error(&e)),
                };
                other_requests += 1;
                match get(&url, &credentials, &page).await {
                    Err(p) => return self.fail(&p),
                    Ok(Outcome::Ok(body)) => match parse_lookup_customer_id(&body) {
                        Ok(id) => {
                            let card = (*name == IdentifierName::CardNumber).then(|| value.clone());
                            (EntityType::Customer, id, card)
                        }
                        Err(p) => return self.fail(&p),
                    },
                    Ok(other) => return self.fail(&problem_of(other, &query, 1)),
                }
            }
        };
        if !self.current(generation) {
            return;
        }
        // Status logs alongside: useful, but never a reason to stop the audit trail.
        let logs = [
            (entity_type == EntityType::Customer)
                .then(|| customer_status_log_url(&query.base, entity_id).ok())
                .flatten()
                .map(|u| (u, StatusLogKind::Customer)),
            card_number
                .as_deref()
                .and_then(|n| card_status_log_url(&query.base, n).ok())
                .map(|u| (u, StatusLogKind::Card)),
        ];
        for (url, kind) in logs.into_iter().flatten() {
            other_requests += 1;
            match get(&url, &credentials, &page).await {
                Ok(Outcome::Ok(body)) => self
                    .explorer
                    .ingest("status log", parse_status_log(&body, kind)),
                answer => {
                    let p = match answer {
                        Ok(other) => problem_of(other, &query, 1),
                        Err(p) => p,
                    };
                    self.explorer.add_problem(Shown {
                        kind: p.kind_str(),
                        message: format!("Status log not loaded: {} {}", p.message, p.next_step),
                    });
                }
            }
        }
        let mut params = query.params.clone();
        params.limit.get_or_insert(self.page_size);
        params.entity_type = entity_type;
        params.entity_id = entity_id;
        let listing = match AuditListing::new(query.base.clone(), params, query.generation) {
            Ok(l) => l,
            Err(e) => return self.fail(&Problem::from_param_error(&e)),
        };
        let config = PlanConfig {
            renew_auth_on_401: matches!(credentials.mode(), AuthMode::OAuth(_)),
            cross_origin: !query.base.is_same_origin(&page),
            rate_limit: self.rate_limit,
            ..PlanConfig::default()
        };
        let mut plan = FetchPlan::new(listing.clone(), config);
        for _ in 0..other_requests {
            plan.note_other_request(now());
        }
        let running = Rc::new(RefCell::new(Running {
            plan,
            listing,
            credentials,
            page,
        }));
        self.plan.set_value(Some(running.clone()));
        self.drive(running, generation).await;
    }

    /// The plan loop: start what the plan asks for, wait for an answer or the next due time.
    async fn drive(self, running: Rc<RefCell<Running>>, generation: u64) {
        let mut in_flight = FuturesUnordered::new();
        loop {
            if !self.current(generation) {
                return;
            }
            let now_ms = now();
            // An OAuth token is renewed shortly before it expires, not after requests fail.
            let token_due = {
                let r = running.borrow();
                match r.credentials.mode() {
                    AuthMode::OAuth(o) => o.needs_token(now_ms),
                    _ => false,
                }
            };
            if token_due {
                if let Err(p) = self.renew_running(&running).await {
                    self.explorer.add_problem(shown(&p, now()));
                    self.show_progress(&running, false, true);
                    return;
                }
                continue;
            }
            let actions = running.borrow_mut().plan.poll(now_ms);
            let mut wake: Option<u64> = None;
            for action in actions {
                match action {
                    Action::Fetch { page, url } => {
                        let (credentials, origin) = {
                            let r = running.borrow();
                            (r.credentials.clone(), r.page.clone())
                        };
                        in_flight
                            .push(async move { (page, get(&url, &credentials, &origin).await) });
                    }
                    Action::Wait { until_ms, .. } => {
                        wake = Some(wake.map_or(until_ms, |w| w.min(until_ms)))
                    }
                    Action::RenewAuth => {
                        running.borrow_mut().credentials.on_unauthorized();
                        let renewed = self.renew_running(&running).await;
                        running.borrow_mut().plan.auth_renewed(renewed);
                    }
                    Action::Done => {
                        self.explorer.finish_source();
                        self.show_progress(&running, false, false);
                        return;
                    }
                    Action::Failed(problem) => {
                        self.explorer.add_problem(shown(&problem, now()));
                        self.show_progress(&running, false, true);
                        return;
                    }
                    Action::Cancelled => return,
                }
            }
            self.show_progress(&running, true, false);
            let next = in_flight.next();
            futures::pin_mut!(next);
            let delay = wake
                .map(|w| w.saturating_sub(now()))
                .unwrap_or(500)
                .clamp(10, 1_000) as u32;
            let timer = gloo_timers::future::TimeoutFuture::new(delay);
            // Otherwise a timer tick (countdowns refresh) or nothing in flight.
            if let futures::future::Either::Left((Some((page, answer)), _)) =
                futures::future::select(next, timer).await
            {
                if !self.current(generation) {
                    return;
                }
                let outcome = match answer {
                    Ok(outcome) => outcome,
                    Err(problem) => {
                        running.borrow_mut().plan.cancel();
                        self.explorer.add_problem(shown(&problem, now()));
                        self.show_progress(&running, false, true);
                        return;
                    }
                };
                let delivery = running.borrow_mut().plan.on_response(page, outcome, now());
                if let Some(d) = delivery {
                    let key = running.borrow().listing.key();
                    if let Some(p) = &d.damaged {
                        self.explorer.add_problem(Shown {
                            kind: p.kind_str(),
                            message: format!("Page {}: {} {}", d.page + 1, p.message, p.next_step),
                        });
                    }
                    self.explorer.ingest(&key, d.parsed);
                }
            }
        }
    }

    /// Renews the running fetch's OAuth token (before expiry, or after a 401); on success the
    /// fetch uses the new token and it is remembered for later fetches.
    async fn renew_running(&self, running: &Rc<RefCell<Running>>) -> Result<(), Problem> {
        let (mut credentials, base, page) = {
            let r = running.borrow();
            (
                r.credentials.clone(),
                r.listing.base().clone(),
                r.page.clone(),
            )
        };
        renew_with(&mut credentials, &base, &page).await?;
        running.borrow_mut().credentials = credentials.clone();
        self.remember(credentials);
        Ok(())
    }

    fn show_progress(&self, running: &Rc<RefCell<Running>>, running_now: bool, failed: bool) {
        let summary = running.borrow().plan.progress().summary(now());
        self.status.set(Some(FetchStatus {
            summary,
            running: running_now,
            failed,
        }));
    }
}

fn matches_kind(mode: &AuthMode, kind: AuthKind) -> bool {
    matches!(
        (mode, kind),
        (AuthMode::Basic { .. }, AuthKind::Basic)
            | (AuthMode::OAuth(_), AuthKind::OAuth)
            | (AuthMode::None, AuthKind::None)
    )
}

fn shown(p: &Problem, now_ms: u64) -> Shown {
    Shown {
        kind: p.kind_str(),
        message: format!("{} {}", p.message, p.next_step_at(now_ms)),
    }
}

fn problem_of(outcome: Outcome, query: &ApiQuery, attempts: u32) -> Problem {
    let cross_origin = page_origin().is_ok_and(|page| !query.base.is_same_origin(&page));
    Problem::from_outcome(&outcome, cross_origin, attempts, now())
}

/// Asks the token endpoint for a new OAuth token.
async fn renew_with(
    credentials: &mut Credentials,
    base: &capillary_client::ApiBase,
    page: &Origin,
) -> Result<(), Problem> {
    let request = credentials
        .token_request(base, page)
        .map_err(auth_problem)?;
    // Never followed: a 307/308 would send the key and secret to wherever it points.
    let sent = gloo_net::http::Request::post(&request.url)
        .redirect(web_sys::RequestRedirect::Manual)
        .header("Content-Type", "application/json")
        .body(request.body)
        .map_err(|e| Problem::network(&e.to_string(), true, 1))?
        .send()
        .await;
    let response =
        sent.map_err(|e| Problem::network(&e.to_string(), !base.is_same_origin(page), 1))?;
    if response.type_() == web_sys::ResponseType::Opaqueredirect {
        return Err(Problem::redirected());
    }
    let status = response.status();
    let body = response.binary().await.unwrap_or_default();
    match credentials.oauth_mut() {
        Some(o) => o.accept_token_response(status, &body, now()),
        None => Err(auth_problem(AuthError::NotOAuth)),
    }
}

fn auth_problem(e: AuthError) -> Problem {
    Problem::unrecognised(e.to_string())
}

/// One GET with the credentials' header, when (and only when) the URL is within the API they
/// were entered for. A redirect is never followed (it would resend the header elsewhere): it
/// comes back as [`Outcome::Redirected`]. A header the credentials refuse to give (a URL outside
/// their API) is a problem of its own, not a network failure to retry.
async fn get(url: &str, credentials: &Credentials, page: &Origin) -> Result<Outcome, Problem> {
    let header = credentials
        .header_for(url, page, now())
        .map_err(|e| Problem::unrecognised(format!("the request was not sent: {e}")))?;
    let mut request = gloo_net::http::Request::get(url).redirect(web_sys::RequestRedirect::Manual);
    if let Some((name, value)) = &header {
        request = request.header(name.as_str(), value.as_str());
    }
    Ok(match request.send().await {
        Ok(response) if response.type_() == web_sys::ResponseType::Opaqueredirect => {
            Outcome::Redirected
        }
        Ok(response) => {
            let status = response.status();
            let headers: Vec<(String, String)> = response.headers().entries().collect();
            match response.binary().await {
                Ok(body) if (200..300).contains(&status) => Outcome::Ok(body),
                Ok(body) => Outcome::Http {
                    status,
                    headers,
                    body,
                },
                Err(e) => Outcome::Network(e.to_string()),
            }
        }
        Err(e) => Outcome::Network(e.to_string()),
    })
}

/// The origin the explorer is served from. An opaque one (a sandboxed frame, a file) is an
/// error the caller shows: it is never guessed (credentials are bound to what it resolves).
pub fn page_origin() -> Result<Origin, capillary_client::EndpointError> {
    Origin::parse(&window().location().origin().unwrap_or_default())
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}
