//! The live source: performs what the model's [`SessionPlan`] hands out (the lookup, status logs,
//! every page, token renewals), adding the credentials' header, and has the engine read every
//! answer. It decides nothing itself: the sequence, the retries and what an answer means are
//! the plan's and the engine's. Credentials are only ever sent to the API they were entered for.

use std::cell::RefCell;
use std::rc::Rc;

use capillary_client::{Credentials, Origin, Problem as ApiProblem};
use explorer_config::CredentialEntry;
use explorer_model::{
    ApiRequest, AuthKind, Command, Problem, ProblemKind, Read, SessionPlan, SessionSettings, Step,
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
}

struct Running {
    plan: SessionPlan,
    credentials: Credentials,
    page: Origin,
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
        };
        provide_context(live);
        live
    }

    /// Keeps credentials for their API.
    pub fn remember(&self, credentials: Credentials) {
        self.held.remember(credentials);
        self.needs_credentials.set(None);
    }

    /// Starts loading what `request` names, stopping any earlier fetch. Without credentials
    /// for its API nothing is sent: the connection panel asks for them instead.
    pub fn start(&self, request: ApiRequest) {
        self.stop();
        let page = match http::page_origin() {
            Ok(page) => page,
            Err(e) => {
                return self.banners.add(Problem::new(
                    ProblemKind::Api(capillary_client::ProblemKind::BadRequest),
                    format!("This page cannot call an API: {e}"),
                ))
            }
        };
        let scope = request.base.scope(&page);
        let credentials = match request.auth {
            AuthKind::None => Some(Credentials::none(&request.base, &page)),
            kind => self.held.find(&scope, kind),
        };
        let Some(credentials) = credentials else {
            self.needs_credentials.set(Some(scope.to_string()));
            let summary = match self.credential_entry.get_value() {
                CredentialEntry::FromHost => {
                    format!("Waiting for the host page to connect to {scope}…")
                }
                CredentialEntry::Disabled(why) => why,
                CredentialEntry::Allowed => {
                    format!("Enter credentials for {scope} to load this link.")
                }
            };
            self.status.set(Some(FetchStatus {
                summary,
                running: false,
                failed: false,
            }));
            return;
        };
        let (page_size, rate_limit) = self.settings.get_value();
        let settings = SessionSettings {
            page_size,
            rate_limit,
            cross_origin: !request.base.is_same_origin(&page),
        };
        self.host.send(Command::BeginLive {
            label: request.label(),
        });
        let running = Rc::new(RefCell::new(Running {
            plan: SessionPlan::new(request, settings),
            credentials,
            page,
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

    /// Stops the current fetch without a message (another source takes over).
    pub fn stop(&self) {
        self.generation.update_value(|g| *g += 1);
        if let Some(running) = self.running.get_value() {
            running.borrow_mut().plan.cancel();
        }
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
                    Step::Done => {
                        self.host.send(Command::FinishLive);
                        return self.show(&running, false, false);
                    }
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

    fn show(&self, running: &Rc<RefCell<Running>>, running_now: bool, failed: bool) {
        let summary = running.borrow().plan.summary(now().max(0) as u64);
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
