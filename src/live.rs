//! The live source: performs what the model's [`SessionPlan`] hands out (the lookup, status logs,
//! every page, token renewals), adding the credentials' header, and has the engine read every
//! answer. It decides nothing itself: the sequence, the retries and what an answer means are
//! the plan's and the engine's. Credentials are only ever sent to the API they were entered for.

use std::cell::RefCell;
use std::rc::Rc;

use capillary_client::{Credentials, Origin, Problem as ApiProblem};
use explorer_config::CredentialEntry;
use explorer_model::cache::{trail_key, CachedTrail};
use explorer_model::{
    ApiRequest, AuthKind, CacheCommand, Command, Problem, ProblemKind, Read, SessionPlan,
    SessionSettings, Step,
};
use futures::stream::{FuturesUnordered, StreamExt};
use leptos::prelude::*;

use crate::banners::Banners;
use crate::credentials::Held;
use crate::deployment::Deployment;
use crate::engine_host::EngineHost;
use crate::http::{self, Sent};
use crate::schedule::now;

/// What the fetch line shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FetchStatus {
    pub summary: String,
    pub running: bool,
    /// The fetch stopped on a problem; [`Live::resume`] retries.
    pub failed: bool,
}

/// Handle to the live source; provided as context by the app.
#[derive(Clone, Copy)]
pub struct Live {
    host: EngineHost,
    banners: Banners,
    held: Held,
    running: StoredValue<Option<Rc<RefCell<Running>>>, LocalStorage>,
    /// Bumped to stop the current loop (a new fetch, cancel).
    generation: StoredValue<u64, LocalStorage>,
    pub status: RwSignal<Option<FetchStatus>>,
    /// The API a link points at when no credentials for it are held.
    pub needs_credentials: RwSignal<Option<String>>,
    settings: StoredValue<(u32, Option<capillary_client::RateLimit>)>,
    credential_entry: StoredValue<CredentialEntry>,
    /// Whether the deployment keeps trails on the device (config.json `cache`).
    cache: bool,
    /// Auto-refresh interval in minutes while a live trail is open (0: off).
    pub auto_refresh: RwSignal<u32>,
}

struct Running {
    plan: SessionPlan,
    credentials: Credentials,
    page: Origin,
    /// What the plan is: a whole trail, the rest of one kept on the device, or what is new.
    run: Run,
    /// The key the trail is kept under on the device, when the deployment keeps trails.
    key: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Load,
    /// The rest of a trail an interrupted load kept; a refresh follows.
    Resume,
    Refresh,
}

impl Live {
    pub fn provide(host: EngineHost, banners: Banners, held: Held, deployment: Deployment) -> Live {
        let config = deployment.config();
        let live = Live {
            host,
            banners,
            held,
            running: StoredValue::new_local(None),
            generation: StoredValue::new_local(0),
            status: RwSignal::new(None),
            needs_credentials: RwSignal::new(None),
            settings: StoredValue::new((config.page_size, config.rate_limit)),
            credential_entry: StoredValue::new(deployment.credential_entry()),
            cache: config.cache.enabled,
            auto_refresh: RwSignal::new(0),
        };
        // The worker clears what an earlier configuration kept (off) or what has expired (on).
        host.send(Command::Cache(CacheCommand::Settings {
            enabled: config.cache.enabled,
            expiry_ms: config.cache.expiry_ms(),
        }));
        provide_context(live);
        live
    }

    /// Whether this deployment keeps trails on the device.
    pub fn caches(&self) -> bool {
        self.cache
    }

    /// Keeps credentials for their API.
    pub fn remember(&self, credentials: Credentials) {
        self.held.remember(credentials);
        self.needs_credentials.set(None);
    }

    /// Starts loading what `request` names, stopping any earlier fetch. Without credentials
    /// for its API nothing is sent: the connection panel asks for them instead. Where the
    /// deployment keeps trails on the device, a kept copy is shown first, then refreshed (or,
    /// when its load was interrupted, resumed) with the credentials.
    pub fn start(&self, request: ApiRequest) {
        if !self.cache {
            return self.fetch(request, None);
        }
        self.stop();
        // Without credentials the panel is asked for at once; a kept copy still shows.
        let _ = self.credentials_for(&request, "");
        let key = trail_key(&request);
        self.status.set(Some(FetchStatus {
            summary: "Opening the copy kept on this device…".into(),
            running: true,
            failed: false,
        }));
        let generation = self.generation.get_value();
        let live = *self;
        leptos::task::spawn_local(async move {
            let kept = live.host.open_cached(key.clone(), request.label()).await;
            if !live.current(generation) {
                return;
            }
            match kept {
                Ok(trail) => live.continue_kept(request, key, trail),
                Err(problem) => {
                    if let Some(problem) = problem {
                        live.banners.add(problem);
                    }
                    live.fetch(request, Some(key));
                }
            }
        });
    }

    /// A kept trail is shown: refresh it (or load the rest of it) once credentials are held.
    fn continue_kept(&self, request: ApiRequest, key: String, trail: CachedTrail) {
        let Some((credentials, page)) = self.credentials_for(&request, &trail.line) else {
            return;
        };
        let settings = self.session_settings(&request, &page);
        let (plan, run) = if trail.complete {
            let newest = self.host.report.with_untracked(|r| r.newest).unwrap_or(0);
            self.host.send(Command::BeginRefresh);
            (
                SessionPlan::refresh(request, settings, newest),
                Run::Refresh,
            )
        } else {
            (
                SessionPlan::resume_from(request, settings, trail.pages),
                Run::Resume,
            )
        };
        self.host.send(Command::Cache(CacheCommand::Keep {
            key: key.clone(),
            fresh: false,
        }));
        let running = Rc::new(RefCell::new(Running {
            plan,
            credentials,
            page,
            run,
            key: Some(key),
        }));
        self.running.set_value(Some(running.clone()));
        self.spawn(running);
    }

    /// Refreshes the live trail shown: only what is newer than its newest event is asked for,
    /// merged into what is shown, and marked. Nothing is discarded if it fails.
    pub fn refresh(&self) {
        let Some(running) = self.running.get_value().filter(|_| self.has_trail()) else {
            return;
        };
        let (request, credentials, page, key) = {
            let r = running.borrow();
            if !r.plan.is_over() || r.plan.has_failed() && r.run != Run::Refresh {
                return;
            }
            (
                r.plan.request().clone(),
                r.credentials.clone(),
                r.page.clone(),
                r.key.clone(),
            )
        };
        self.stop();
        let Some(newest) = self.host.report.with_untracked(|r| r.newest) else {
            return self.fetch(request, key);
        };
        let settings = self.session_settings(&request, &page);
        self.banners.clear(ProblemKind::is_fetch_failure);
        self.host.send(Command::BeginRefresh);
        if let Some(key) = &key {
            self.host.send(Command::Cache(CacheCommand::Keep {
                key: key.clone(),
                fresh: false,
            }));
        }
        let running = Rc::new(RefCell::new(Running {
            plan: SessionPlan::refresh(request, settings, newest),
            credentials,
            page,
            run: Run::Refresh,
            key,
        }));
        self.running.set_value(Some(running.clone()));
        self.spawn(running);
    }

    /// Whether a live trail is open (loading, loaded or stopped): Refresh is offered.
    pub fn has_trail(&self) -> bool {
        self.running.with_value(Option::is_some)
            && self
                .host
                .report
                .with_untracked(|r| r.source_kind == explorer_model::SourceKind::Api)
    }

    /// Whether a Refresh can start now: a live trail whose load is over.
    pub fn can_refresh(&self) -> bool {
        self.has_trail()
            && self.running.get_value().is_some_and(|r| {
                let r = r.borrow();
                r.plan.is_over() && (!r.plan.has_failed() || r.run == Run::Refresh)
            })
    }

    /// The credentials for `request`'s API and the page's origin; without them, the panel is
    /// asked for and `shown` (what is on screen instead) is said.
    fn credentials_for(&self, request: &ApiRequest, shown: &str) -> Option<(Credentials, Origin)> {
        let page = match http::page_origin() {
            Ok(page) => page,
            Err(e) => {
                self.banners.add(Problem::new(
                    ProblemKind::Api(capillary_client::ProblemKind::BadRequest),
                    format!("This page cannot call an API: {e}"),
                ));
                return None;
            }
        };
        let scope = request.base.scope(&page);
        let credentials = match request.auth {
            AuthKind::None => Some(Credentials::none(&request.base, &page)),
            kind => self.held.find(&scope, kind),
        };
        if let Some(credentials) = credentials {
            return Some((credentials, page));
        }
        self.needs_credentials.set(Some(scope.to_string()));
        let mut summary = match self.credential_entry.get_value() {
            CredentialEntry::FromHost => {
                format!("Waiting for the host page to connect to {scope}…")
            }
            CredentialEntry::Disabled(why) => why,
            CredentialEntry::Allowed => {
                format!("Enter credentials for {scope} to load this link.")
            }
        };
        if !shown.is_empty() {
            summary = format!("Shown: the trail {shown}. {summary}");
        }
        self.status.set(Some(FetchStatus {
            summary,
            running: false,
            failed: false,
        }));
        None
    }

    fn session_settings(&self, request: &ApiRequest, page: &Origin) -> SessionSettings {
        let (page_size, rate_limit) = self.settings.get_value();
        SessionSettings {
            page_size,
            rate_limit,
            cross_origin: !request.base.is_same_origin(page),
        }
    }

    /// Loads the whole trail from the API (kept on the device under `key`, when given).
    fn fetch(&self, request: ApiRequest, key: Option<String>) {
        self.stop();
        let Some((credentials, page)) = self.credentials_for(&request, "") else {
            return;
        };
        let settings = self.session_settings(&request, &page);
        self.host.send(Command::BeginLive {
            label: request.label(),
        });
        if let Some(key) = &key {
            self.host.send(Command::Cache(CacheCommand::Keep {
                key: key.clone(),
                fresh: true,
            }));
        }
        let running = Rc::new(RefCell::new(Running {
            plan: SessionPlan::new(request, settings),
            credentials,
            page,
            run: Run::Load,
            key,
        }));
        self.running.set_value(Some(running.clone()));
        self.spawn(running);
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
        let Some(running) = self.running.get_value() else {
            return;
        };
        // The failure being retried is no longer the news; a new one shows again.
        self.banners.clear(ProblemKind::is_fetch_failure);
        running.borrow_mut().plan.resume();
        self.spawn(running);
    }

    /// Stops the current fetch without a message (another source takes over); answers
    /// still in flight are no longer kept on the device.
    pub fn stop(&self) {
        self.generation.update_value(|g| *g += 1);
        if let Some(running) = self.running.get_value() {
            running.borrow_mut().plan.cancel();
        }
        if self.cache {
            self.host.send(Command::Cache(CacheCommand::Stop));
        }
    }

    /// Removes every trail kept on this device ("Forget cached data").
    pub fn forget_cached(&self) {
        self.host.send(Command::Cache(CacheCommand::Forget));
    }

    fn spawn(&self, running: Rc<RefCell<Running>>) {
        self.generation.update_value(|g| *g += 1);
        let generation = self.generation.get_value();
        let live = *self;
        leptos::task::spawn_local(async move { live.drive(running, generation).await });
    }

    fn current(&self, generation: u64) -> bool {
        self.generation.try_get_value() == Some(generation)
    }

    /// The loop: perform what the plan hands out, report each answer, until it ends.
    async fn drive(self, running: Rc<RefCell<Running>>, generation: u64) {
        let mut in_flight = FuturesUnordered::new();
        loop {
            if !self.current(generation) {
                return;
            }
            let now_ms = now().max(0) as u64;
            let steps = {
                let mut r = running.borrow_mut();
                let token_due = match r.credentials.mode() {
                    capillary_client::AuthMode::OAuth(o) => o.needs_token(now_ms),
                    _ => false,
                };
                r.plan.poll(now_ms, token_due)
            };
            let mut wake: Option<u64> = None;
            for step in steps {
                match step {
                    Step::RenewToken => {
                        let renewed = self.renew(&running).await;
                        running.borrow_mut().plan.token_renewed(renewed);
                        wake = Some(now_ms);
                    }
                    Step::Send(request) => {
                        let (credentials, page, cross_origin) = {
                            let r = running.borrow();
                            let cross = !r.plan.request().base.is_same_origin(&r.page);
                            (r.credentials.clone(), r.page.clone(), cross)
                        };
                        in_flight.push(async move {
                            let sent =
                                http::get(&request.url, &credentials, &page, cross_origin).await;
                            (request, sent)
                        });
                    }
                    Step::Wait { until_ms, .. } => {
                        wake = Some(wake.map_or(until_ms, |w| w.min(until_ms)))
                    }
                    Step::Notice(problem) => self.banners.add(problem),
                    Step::Done => return self.finished(&running),
                    Step::Failed(problem) => {
                        self.banners
                            .add(Problem::from_api(&problem, now().max(0) as u64));
                        return self.show(&running, false, true);
                    }
                    Step::Cancelled => return,
                }
            }
            self.show(&running, true, false);
            let next = in_flight.next();
            futures::pin_mut!(next);
            let delay = wake
                .map(|w| w.saturating_sub(now().max(0) as u64))
                .unwrap_or(500)
                .clamp(10, 1_000) as u32;
            let timer = gloo_timers::future::TimeoutFuture::new(delay);
            // Otherwise a timer tick (countdowns refresh) or nothing in flight.
            if let futures::future::Either::Left((Some((request, sent)), _)) =
                futures::future::select(next, timer).await
            {
                if !self.current(generation) {
                    return;
                }
                let read = match sent {
                    Sent::Answer {
                        status,
                        headers,
                        body,
                    } => {
                        let read =
                            self.host
                                .read(request.id, request.purpose, status, headers, body);
                        read.await
                    }
                    Sent::Failed(problem) => Read::Failed {
                        status: None,
                        problem,
                    },
                };
                running
                    .borrow_mut()
                    .plan
                    .on_read(request.id, read, now().max(0) as u64);
            }
        }
    }

    /// Renews the running session's OAuth token; the new one is used and remembered.
    async fn renew(&self, running: &Rc<RefCell<Running>>) -> Result<(), ApiProblem> {
        let (mut credentials, base, page) = {
            let mut r = running.borrow_mut();
            r.credentials.on_unauthorized();
            (
                r.credentials.clone(),
                r.plan.request().base.clone(),
                r.page.clone(),
            )
        };
        http::renew_token(&mut credentials, &base, &page).await?;
        running.borrow_mut().credentials = credentials.clone();
        self.held.remember(credentials);
        Ok(())
    }

    /// Every page is in: the engine settles, the kept copy is marked whole, and a resumed
    /// load is followed by a refresh (records that arrived while it was interrupted).
    fn finished(&self, running: &Rc<RefCell<Running>>) {
        let (run, keeps) = {
            let r = running.borrow();
            (r.run, r.key.is_some())
        };
        self.host.send(match run {
            Run::Refresh => Command::FinishRefresh,
            Run::Load | Run::Resume => Command::FinishLive,
        });
        if keeps {
            self.host.send(Command::Cache(CacheCommand::Complete));
        }
        self.show(running, false, false);
        if run == Run::Resume {
            self.refresh();
        }
    }

    fn show(&self, running: &Rc<RefCell<Running>>, running_now: bool, failed: bool) {
        let summary = {
            let r = running.borrow();
            match r.run {
                Run::Refresh if !running_now && !failed => "Up to date".to_owned(),
                Run::Refresh => format!("Refreshing: {}", r.plan.summary(now().max(0) as u64)),
                Run::Load | Run::Resume => r.plan.summary(now().max(0) as u64),
            }
        };
        self.status.set(Some(FetchStatus {
            summary,
            running: running_now,
            failed,
        }));
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}
