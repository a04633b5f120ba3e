//! The explorer's shared state: the loaded store (non-reactive, it can hold a million events),
//! a revision signal that says when it changed, the load report, and the URL-backed view state.
//!
//! Components reach it through [`use_explorer`]; they read query results from memos here and
//! never parse or filter themselves.

use std::sync::Arc;

use audit_core::{
    facets, parse_response, EventId, Facets, Query, QueryError, ResponseShape, Search, Store,
};
use leptos::prelude::*;

use crate::api_query::{ApiQuery, LinkError};
use crate::deployment::Deployment;
use crate::location::AddressBar;
use crate::url_state::{encode_query, View, ViewState, Zone};

/// What loading has produced so far, for the header and the banners.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Short name of where the data came from ("demo", "3 files", "eu cluster").
    pub source: String,
    pub records: usize,
    /// Plain sentences about damaged or unrecognised input; loaded data is kept regardless.
    pub problems: Vec<Problem>,
    /// A bulk load still running in slices (see [`Explorer::load_pages`]).
    pub loading: Option<Loading>,
}

/// How far a bulk load running in slices has got.
#[derive(Clone, Debug, PartialEq)]
pub struct Loading {
    /// Which load this is: a newer load or source replaces the report, which stops this one.
    ticket: u64,
    /// `source` of the data shown meanwhile (kept if the load reads nothing).
    pub shown: String,
    /// What is loading.
    pub source: String,
    pub done: usize,
    pub total: usize,
}

impl Loading {
    /// The header's source while loading: "demo; loading big.json: 120 of 953 pages".
    fn label(&self) -> String {
        let loading = format!(
            "loading {}: {} of {} pages",
            self.source, self.done, self.total
        );
        match self.shown.as_str() {
            "" => loading,
            shown => format!("{shown}; {loading}"),
        }
    }
}

/// A problem shown to the user: a stable kind (for `data-kind`) and a plain sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub kind: &'static str,
    pub message: String,
}

/// Outcome of running the current query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryOutcome {
    /// Matching events, newest first.
    pub events: Arc<Vec<EventId>>,
}

/// Where the loaded data came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceKind {
    #[default]
    Demo,
    Files,
    Api,
}

/// Handle to the explorer state; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct Explorer {
    store: StoredValue<Store, LocalStorage>,
    /// Bumped whenever the store changes; memos that read the store track it.
    revision: RwSignal<u64>,
    /// Throttles revision bumps while live pages stream in ([`Explorer::ingest`]).
    refresh: StoredValue<Refresh, LocalStorage>,
    pub report: RwSignal<LoadReport>,
    source_kind: StoredValue<SourceKind, LocalStorage>,
    pub state: Memo<ViewState>,
    /// The state typed into the search box, ahead of the URL: `state` follows it at once and the
    /// URL catches up after the frame has painted (see [`Explorer::type_state`]).
    typed: RwSignal<Option<ViewState>>,
    /// Parts of [`Explorer::state`] that whole pages or every row depend on, so typing in the
    /// search box (which changes the state on every keystroke) does not rebuild them.
    pub view: Memo<View>,
    pub zone: Memo<Zone>,
    /// The selected event's permalink key.
    pub event: Memo<Option<String>>,
    pub outcome: Memo<Result<QueryOutcome, QueryError>>,
    /// [`Explorer::outcome`]'s events, one painted frame later (`None` while the query is
    /// malformed): for the views that summarise the whole result rather than show rows.
    settled: ReadSignal<Option<(u64, Arc<Vec<EventId>>)>>,
    /// Facet counts of [`Explorer::settled`].
    pub facets: Memo<Option<Arc<Facets>>>,
    /// The live-API request the URL names, if any.
    pub api: Memo<Option<Result<ApiQuery, LinkError>>>,
    /// The URL's query pairs.
    query: Memo<Vec<(String, String)>>,
    bar: AddressBar,
    /// The deployment's zone, left out of links.
    default_zone: StoredValue<Zone>,
}

impl Explorer {
    /// Creates the state (following the address bar) and provides it as context.
    pub fn provide(deployment: Deployment, bar: AddressBar) -> Explorer {
        let query = Memo::new(move |_| bar.pairs());
        let typed = RwSignal::new(None::<ViewState>);
        let state = Memo::new(move |_| {
            if let Some(ahead) = typed.get() {
                return ahead;
            }
            let zone = deployment.default_zone.get_value();
            query.with(|q| {
                ViewState::from_pairs_in(q.iter().map(|(k, v)| (k.as_str(), v.as_str())), &zone)
            })
        });
        let api = Memo::new(move |_| {
            let default_api = deployment.default_api();
            let request = query.with(|q| {
                let pairs = q.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                ApiQuery::from_pairs_or(pairs, default_api.as_deref())
            });
            request.map(|r| r.and_then(|q| allowed_by(&deployment.config(), q)))
        });
        let store = StoredValue::new_local(Store::new());
        let search = StoredValue::new_local(Search::new());
        let revision = RwSignal::new(0u64);
        // Only the query text and range select events: opening an event or switching views must
        // not re-run a search over a million events.
        let query_text = Memo::new(move |_| state.with(ViewState::effective_query));
        let view = Memo::new(move |_| state.with(|s| s.view));
        let zone = Memo::new(move |_| state.with(|s| s.zone.clone()));
        let event = Memo::new(move |_| state.with(|s| s.event.clone()));
        let outcome = Memo::new(move |_| {
            revision.track();
            let query = Query::parse(&query_text.get())?;
            let now = js_sys::Date::now() as i64;
            let events = store.with_value(|store| {
                let mut events = search
                    .try_update_value(|s| s.run(store, &query, now).events.clone())
                    .unwrap_or_default();
                events.reverse();
                events
            });
            Ok(QueryOutcome {
                events: Arc::new(events),
            })
        });
        // The result again once the frame showing its rows has painted: the facet counts and
        // the histogram (each a pass over the whole result, ~15 ms at a million events) follow
        // from this, so a keystroke's rows and count reach the screen without waiting for them.
        // Ids are positions in one store: each result carries the revision it was computed on.
        let settled = RwSignal::new(None::<(u64, Arc<Vec<EventId>>)>);
        Effect::new(move |_| {
            // Also after a store change that left the result's ids as they were.
            let at = revision.get();
            let events = outcome.with(|o| o.as_ref().ok().map(|o| o.events.clone()));
            after_paint(move || {
                settled.try_set(events.map(|e| (at, e)));
            });
        });
        let facet_counts = Memo::new(move |_| {
            let events = settled_events(settled, revision)?;
            Some(Arc::new(store.with_value(|s| facets(s, &events))))
        });
        let explorer = Explorer {
            store,
            revision,
            refresh: StoredValue::new_local(Refresh::default()),
            report: RwSignal::new(LoadReport::default()),
            source_kind: StoredValue::new_local(SourceKind::Demo),
            state,
            typed,
            view,
            zone,
            event,
            outcome,
            settled: settled.read_only(),
            facets: facet_counts,
            api,
            query,
            bar,
            default_zone: deployment.default_zone,
        };
        provide_context(explorer);
        explorer
    }
}

impl Explorer {
    /// Reads the store (untracked: pair it with [`Explorer::track`] or a memo that tracks).
    pub fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        self.store.with_value(f)
    }

    /// [`Explorer::outcome`]'s events, one painted frame later; `None` while the query is
    /// malformed or the store has changed since (the ids would point into another store).
    pub fn settled(&self) -> Option<Arc<Vec<EventId>>> {
        settled_events(self.settled, self.revision)
    }

    /// Subscribes the current reactive scope to store changes.
    pub fn track(&self) {
        self.revision.track();
    }

    /// Replaces the data with parsed response pages from `source` (the demo, opened files, or
    /// the API). Damaged or unrecognised pages are reported; everything readable is kept.
    ///
    /// Small loads (up to [`SMALL_LOAD_BYTES`]: the demo, a few pages) finish before this
    /// returns, so the first paint shows them. A large one does not run as one long task: after
    /// [`LOAD_SLICE_MS`] the remaining pages are copied and ingested a few at a time between
    /// yields to the event loop (the UI keeps answering), the header says how far it got, and
    /// the loaded data is swapped in at the end. [`Explorer::load_owned_pages`] does the same
    /// without the copy.
    pub fn load_pages<'a>(
        &self,
        kind: SourceKind,
        source: &str,
        pages: impl IntoIterator<Item = (String, &'a [u8])>,
    ) {
        let pages: Vec<(String, &[u8])> = pages.into_iter().collect();
        let small = pages.iter().map(|p| p.1.len()).sum::<usize>() <= SMALL_LOAD_BYTES;
        let mut pages = pages.into_iter();
        let mut bulk = BulkLoad::default();
        if bulk.add_for_a_while(&mut pages, small) {
            self.finish_load(kind, source, bulk);
            return;
        }
        let rest: Vec<(String, Vec<u8>)> = pages.map(|(n, b)| (n, b.to_vec())).collect();
        self.load_in_slices(kind, source, bulk, rest, Box::new(|_| ()));
    }

    /// [`Explorer::load_pages`] for pages the caller hands over (opened files): nothing copied.
    /// `then(replaced)` runs when the load is over: `replaced` is false when it read nothing
    /// (the data already loaded is kept); it does not run if another load replaced this one.
    pub fn load_owned_pages(
        &self,
        kind: SourceKind,
        source: &str,
        pages: Vec<(String, Vec<u8>)>,
        then: impl FnOnce(bool) + 'static,
    ) {
        let small = pages.iter().map(|p| p.1.len()).sum::<usize>() <= SMALL_LOAD_BYTES;
        let mut pages = pages.into_iter();
        let mut bulk = BulkLoad::default();
        if bulk.add_for_a_while(&mut pages, small) {
            then(self.finish_load(kind, source, bulk));
            return;
        }
        self.load_in_slices(kind, source, bulk, pages.collect(), Box::new(then));
    }

    /// Ingests `rest` into `bulk` in slices of about [`LOAD_SLICE_MS`], yielding to the event
    /// loop between them; stops if another load or source starts meanwhile.
    fn load_in_slices(
        &self,
        kind: SourceKind,
        source: &str,
        mut bulk: BulkLoad,
        rest: Vec<(String, Vec<u8>)>,
        then: Box<dyn FnOnce(bool)>,
    ) {
        if rest.is_empty() {
            then(self.finish_load(kind, source, bulk));
            return;
        }
        let ticket = LOAD_TICKETS.with(|t| {
            t.set(t.get() + 1);
            t.get()
        });
        let mut loading = Loading {
            ticket,
            shown: self.report.with_untracked(|r| r.source.clone()),
            source: source.to_owned(),
            done: bulk.pages,
            total: bulk.pages + rest.len(),
        };
        let show = move |this: &Explorer, loading: &Loading| {
            this.report.try_update(|r| {
                r.source = loading.label();
                r.loading = Some(loading.clone());
            });
        };
        show(self, &loading);
        let this = *self;
        leptos::task::spawn_local(async move {
            let mut rest = rest.into_iter();
            let mut shown = js_sys::Date::now();
            loop {
                gloo_timers::future::TimeoutFuture::new(0).await;
                let current = this
                    .report
                    .try_with_untracked(|r| r.loading.as_ref().map(|l| l.ticket));
                if current != Some(Some(ticket)) {
                    return; // Another load or source replaced this one.
                }
                if bulk.add_for_a_while(&mut rest, false) {
                    then(this.finish_load(kind, &loading.source, bulk));
                    return;
                }
                if js_sys::Date::now() - shown >= REFRESH_MS {
                    loading.done = bulk.pages;
                    show(&this, &loading);
                    shown = js_sys::Date::now();
                }
            }
        });
    }

    /// Shows a finished bulk load, or keeps what was there when it read nothing (false).
    fn finish_load(&self, kind: SourceKind, source: &str, bulk: BulkLoad) -> bool {
        let (store, mut problems) = bulk.finish();
        let had_data = self
            .store
            .try_with_value(|s| !s.is_empty() || !s.status_entries().is_empty())
            .unwrap_or(false);
        if store.is_empty() && store.status_entries().is_empty() && had_data {
            // Bad input never costs what is already on screen.
            problems.push(Problem {
                kind: "nothing-loaded",
                message: format!("Nothing readable in {source}; the data already loaded is kept."),
            });
            self.report.try_update(|r| {
                if let Some(loading) = r.loading.take() {
                    r.source = loading.shown;
                }
                r.problems = problems;
            });
            return false;
        }
        let records = store.record_count();
        self.store.set_value(store);
        self.source_kind.set_value(kind);
        self.report.set(LoadReport {
            source: source.to_owned(),
            records,
            problems,
            loading: None,
        });
        self.revision.update(|r| *r += 1);
        true
    }

    /// Starts an incremental source (the live API): an empty store that pages are added to.
    pub fn begin_source(&self, label: &str) {
        self.store.set_value(Store::new());
        self.source_kind.set_value(SourceKind::Api);
        self.report.set(LoadReport {
            source: label.to_owned(),
            records: 0,
            problems: Vec::new(),
            loading: None,
        });
        self.bump_revision();
    }

    /// Adds one parsed page to the current store (listing = the request without `pageNo`).
    ///
    /// The page costs about its own size (see `Store::ingest_page`); the search, facets and
    /// header follow at most every [`REFRESH_MS`], not per page, since each refresh re-runs the
    /// query over every event.
    pub fn ingest(&self, listing: &str, page: audit_core::Parsed) {
        self.store.update_value(|s| {
            s.ingest_page(listing, page);
        });
        let (due, pending) = self
            .refresh
            .with_value(|r| (r.last_ms + REFRESH_MS, r.pending));
        if pending {
            return;
        }
        let now = js_sys::Date::now();
        if now >= due {
            return self.bump_revision();
        }
        self.refresh.update_value(|r| r.pending = true);
        let this = *self;
        gloo_timers::callback::Timeout::new((due - now).ceil() as u32, move || {
            // Not if `finish_source` showed everything meanwhile (it clears `pending`).
            let still_due = this
                .refresh
                .try_update_value(|r| std::mem::take(&mut r.pending));
            if still_due == Some(true) {
                this.bump_revision();
            }
        })
        .forget();
    }

    /// The incremental source delivered its last page: return the tables' growth headroom
    /// (WASM memory is never given back, so a million-event trail keeps only what it uses) and
    /// show the final result now rather than at the next throttled refresh.
    pub fn finish_source(&self) {
        self.store.update_value(Store::shrink_to_fit);
        self.refresh.update_value(|r| r.pending = false);
        self.bump_revision();
    }

    /// Tells the views the store changed (records count, search, facets).
    fn bump_revision(&self) {
        let Some(records) = self.store.try_with_value(Store::record_count) else {
            return;
        };
        self.report.try_update(|r| r.records = records);
        self.revision.try_update(|r| *r += 1);
        self.refresh
            .try_update_value(|r| r.last_ms = js_sys::Date::now());
    }

    /// The live-API request of the current URL (untracked).
    pub fn api_query(&self) -> Option<Result<ApiQuery, LinkError>> {
        self.api.get_untracked()
    }

    pub fn source_kind(&self) -> SourceKind {
        self.source_kind.get_value()
    }

    /// Removes the banners of `kinds` (a retried fetch clears the failure it retries).
    pub fn clear_problems(&self, kinds: &[&str]) {
        self.report
            .update(|r| r.problems.retain(|p| !kinds.contains(&p.kind)));
    }

    /// Shows a problem without touching the loaded data.
    pub fn add_problem(&self, problem: Problem) {
        self.report.update(|r| {
            if !r.problems.contains(&problem) {
                r.problems.push(problem)
            }
        });
    }

    /// Loads the built-in demo (the shared generator's API-shaped bytes).
    pub fn load_demo(&self) {
        let demo = audit_gen::demo();
        let mut pages: Vec<(String, &[u8])> = Vec::new();
        let listing = |what: &str, i: usize| format!("demo {what} page {}", i + 1);
        for (i, p) in demo.customer_pages.iter().enumerate() {
            pages.push((listing("customer", i), p));
        }
        for (i, p) in demo.card_pages.iter().enumerate() {
            pages.push((listing("card", i), p));
        }
        pages.push(("demo customer status log".into(), &demo.customer_status_log));
        pages.push(("demo card status log".into(), &demo.card_status_log));
        self.load_pages(SourceKind::Demo, "demo", pages);
    }

    /// Writes a new view state to the URL. `replace` for typing (no history flood), push for
    /// discrete moves (views, selections), so Back/Forward walk between them.
    pub fn set_state(&self, next: ViewState, replace: bool) {
        if replace {
            return self.type_state(next);
        }
        self.write_url(next, None, replace);
    }

    /// Typing: the view follows `next` in this frame and the URL (a router navigation and a
    /// `history.replaceState`, together several ms) is written once after the frame has
    /// painted, with the last keystroke's state. If the URL changed meanwhile (Back, a link),
    /// that wins and the typed state is dropped.
    fn type_state(&self, next: ViewState) {
        let was_pending = self.typed.with_untracked(Option::is_some);
        self.typed.set(Some(next));
        if was_pending {
            return;
        }
        let this = *self;
        let url_then = self.query.get_untracked();
        after_paint(move || {
            let Some(next) = this.typed.try_get_untracked().flatten() else {
                return;
            };
            if this.query.get_untracked() == url_then {
                this.write_url(next, None, true);
            } else {
                this.typed.set(None);
            }
        });
    }

    /// Opens another source: the API keys of the URL become `api` (none for demo or files),
    /// with a fresh view (the zone is kept). Pushes a history entry, so Back returns.
    pub fn set_source(&self, api: Vec<(&'static str, String)>) {
        let zone = self.state.with_untracked(|s| s.zone.clone());
        self.write_url(
            ViewState {
                zone,
                ..Default::default()
            },
            Some(api),
            false,
        );
    }

    fn write_url(&self, next: ViewState, api: Option<Vec<(&'static str, String)>>, replace: bool) {
        let zone = self.default_zone.get_value();
        let mut pairs: Vec<(String, String)> = next
            .to_pairs_in(&zone)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        // Keep keys this state does not own (entity and API parameters) unless replaced.
        self.query.with_untracked(|q| {
            for (k, v) in q {
                let replaced = api.is_some() && crate::api_query::API_KEYS.contains(&k.as_str());
                if !(ViewState::OWNED_KEYS.contains(&k.as_str()) || replaced) {
                    pairs.push((k.clone(), v.clone()));
                }
            }
        });
        for (k, v) in api.into_iter().flatten() {
            pairs.push((k.to_owned(), v));
        }
        self.bar.write(&encode_query(&pairs), replace);
        // The URL holds every state now, typed or not (any write wins over pending typing).
        if self.typed.with_untracked(Option::is_some) {
            self.typed.set(None);
        }
    }

    /// Updates one part of the view state.
    pub fn update_state(&self, replace: bool, f: impl FnOnce(&mut ViewState)) {
        let mut next = self.state.get_untracked();
        f(&mut next);
        if next != self.state.get_untracked() {
            self.set_state(next, replace);
        }
    }
}

/// Refuses a link to an API the deployment's config.json does not allow (its CSP would block
/// the requests anyway; this says why instead).
fn allowed_by(config: &explorer_config::Config, query: ApiQuery) -> Result<ApiQuery, LinkError> {
    if config.allows_api(&query.base) {
        return Ok(query);
    }
    let offered: Vec<&str> = config.apis.iter().map(|c| c.api.as_str()).collect();
    Err(LinkError {
        param: "api",
        message: format!(
            "this deployment connects only to {} (config.json `apis`), not to `{}`",
            if offered.is_empty() {
                "no API".to_owned()
            } else {
                offered.join(", ")
            },
            query.api
        ),
    })
}

/// Parses named response bodies into one store, with a plain sentence for each page that was
/// damaged, unrecognised, or carried API errors.
#[cfg(test)]
fn build_store<'a>(pages: impl IntoIterator<Item = (String, &'a [u8])>) -> (Store, Vec<Problem>) {
    let mut bulk = BulkLoad::default();
    for (name, bytes) in pages {
        bulk.add(name, bytes);
    }
    bulk.finish()
}

/// Pages of a bulk load ingested so far: each is parsed and merged as it comes, so neither
/// every page's parsed records at once nor one long task is needed.
#[derive(Default)]
struct BulkLoad {
    store: Store,
    problems: Vec<Problem>,
    pages: usize,
}

impl BulkLoad {
    /// Parses and ingests one page, noting what was wrong with it.
    fn add(&mut self, name: String, bytes: &[u8]) {
        self.pages += 1;
        let parsed = parse_response(bytes);
        if let ResponseShape::Unrecognised { reason } = &parsed.shape {
            self.problems.push(Problem {
                kind: "unrecognised",
                message: format!("{name}: not an audit or status-log response ({reason})."),
            });
        }
        if !parsed.damaged.is_empty() {
            let first = &parsed.damaged[0];
            self.problems.push(Problem {
                kind: "damaged",
                message: format!(
                    "{name}: damaged page, {} records recovered, {} damaged part(s) skipped \
                     (first at byte {}: {}).",
                    parsed.records.len(),
                    parsed.damaged.len(),
                    first.offset,
                    first.reason
                ),
            });
        }
        for e in &parsed.api_errors {
            self.problems.push(Problem {
                kind: "api-error",
                message: format!(
                    "{name}: the API reported error {}: {}",
                    e.code.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
                    e.message.clone().unwrap_or_default()
                ),
            });
        }
        self.store.ingest_page(&name, parsed);
    }

    /// Ingests pages until they run out (true) or, unless `small`, [`LOAD_SLICE_MS`] passed.
    fn add_for_a_while<B: AsRef<[u8]>>(
        &mut self,
        pages: &mut impl Iterator<Item = (String, B)>,
        small: bool,
    ) -> bool {
        let started = js_sys::Date::now();
        while small || js_sys::Date::now() - started < LOAD_SLICE_MS {
            let Some((name, bytes)) = pages.next() else {
                return true;
            };
            self.add(name, bytes.as_ref());
        }
        false
    }

    fn finish(mut self) -> (Store, Vec<Problem>) {
        self.store.shrink_to_fit();
        (self.store, self.problems)
    }
}

/// How long a bulk load works before yielding to the event loop (one page more at most: a
/// 1,000-record page is a few ms natively, so a task stays well under 50 ms in the browser).
const LOAD_SLICE_MS: f64 = 16.0;

/// Loads up to this size run in one go (a few ms in a release build): the demo and a few saved
/// pages are on screen at the first paint.
const SMALL_LOAD_BYTES: usize = 2 << 20;

/// Store changes are shown at most this often while pages stream in: each refresh re-runs the
/// search and facets over every event.
const REFRESH_MS: f64 = 250.0;

thread_local! {
    /// Numbers bulk loads, so a load still running in slices knows it was replaced.
    static LOAD_TICKETS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The settled events if they were computed on the current store (tracks both).
fn settled_events(
    settled: impl With<Value = Option<(u64, Arc<Vec<EventId>>)>>,
    revision: RwSignal<u64>,
) -> Option<Arc<Vec<EventId>>> {
    let now = revision.get();
    settled.with(|s| {
        s.as_ref()
            .filter(|(at, _)| *at == now)
            .map(|(_, e)| e.clone())
    })
}

/// Runs `f` after the next frame has painted (a task queued from its animation frame), so work
/// that can wait does not hold that frame back.
fn after_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || {
        gloo_timers::callback::Timeout::new(0, f).forget();
    });
}

/// When the views last followed the store, and whether a later refresh is already scheduled.
#[derive(Default)]
struct Refresh {
    last_ms: f64,
    pending: bool,
}

/// Access from any component below `App`.
pub fn use_explorer() -> Explorer {
    expect_context::<Explorer>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_damaged_page_keeps_its_intact_records_and_says_where_it_broke() {
        let bytes = seed("audit-merge-134094571-damaged.json");
        let (store, problems) = build_store([("merge.json".to_owned(), bytes.as_slice())]);
        assert!(store.record_count() >= 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].kind, "damaged");
        assert!(
            problems[0].message.contains("records recovered"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[0].message.contains("byte"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn unrecognised_and_error_envelopes_are_named() {
        let envelope = br#"{"warnings":[],"errors":[{"status":false,"code":8015,"message":"Customer not found for the given identifiers"}]}"#;
        let (store, problems) = build_store([
            ("a.json".to_owned(), &b"[1,2]"[..]),
            ("b.json".to_owned(), &envelope[..]),
        ]);
        assert!(store.is_empty());
        let kinds: Vec<_> = problems.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["unrecognised", "api-error"]);
        assert!(problems[1].message.contains("8015"));
    }

    #[test]
    fn pages_of_both_generations_merge_into_one_store() {
        let current = seed("audit-current-customer-98662653-identifiers.json");
        let legacy = seed("audit-legacy-customer-98662653.json");
        let (store, problems) = build_store([
            ("current".to_owned(), current.as_slice()),
            ("legacy".to_owned(), legacy.as_slice()),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(store.len() >= 17, "both pages' events: {}", store.len());
    }
}
