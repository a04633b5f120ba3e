//! The engine: the loaded store, the search over it and every view model, behind a
//! message-shaped surface. Commands go in ([`Engine::handle`]), updates come out; work that can
//! wait (the rest of a large load, the summaries of a result) is done in slices by
//! [`Engine::work`] between them, so whoever hosts the engine (the UI thread now, a worker
//! later) stays free to answer the next command.
//!
//! The engine never reads a clock: "now" comes with every call. It does not know about HTTP,
//! credentials or the DOM; what it reads are bytes.

use std::sync::Arc;

use audit_core::{EventId, Query, QueryError, Search, SearchJob, Store, UtcMillis};
use capillary_vocab::count::Grouped;

use crate::cache::CachedTrail;
use crate::loader::{LoadProgress, Loader, OpenedCase, Page};
use crate::problem::{Problem, ProblemKind, Problems};
use crate::read::{read_answer, Answer, Purpose, Read};
use crate::views::{self, DetailView, FacetGroup, HistogramView, HistoryView, RowView, StatusView};
use crate::zone::{Clock, Offsets, Zone};
use crate::{View, ViewState};

/// Where the data shown came from.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum SourceKind {
    #[default]
    Demo,
    Files,
    Api,
}

/// What the engine is asked to do.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// Replace the data with the built-in demo.
    LoadDemo,
    /// Replace the data with these pages (opened files) and `following` more that come in
    /// [`Command::LoadMore`] (files still being read). Loaded in steps; what was shown stays
    /// until the load has read something.
    Load {
        source: SourceKind,
        label: String,
        pages: Vec<Page>,
        following: usize,
    },
    /// Pages of the running load announced as `following`, and the names of those that could
    /// not be read. Ignored when no load runs (it was cancelled or replaced).
    LoadMore {
        pages: Vec<Page>,
        unreadable: Vec<String>,
    },
    /// Stop a load still running; what was shown stays.
    CancelLoad,
    /// A live source starts: the data shown is replaced by an empty store it fills.
    BeginLive { label: String },
    /// Read one answer of the live source (merged into the store when it is data); the
    /// update says what it was, for the session plan.
    Read {
        request: u64,
        purpose: Purpose,
        answer: Answer,
    },
    /// The live source has everything: the tables give back their growth headroom and the
    /// final result is shown at once.
    FinishLive,
    /// What the user looks at: the query, range, zone, page, selection, field, as-of.
    SetView(ViewState),
    /// The rows the list shows (and a screen ahead), by position in the result.
    Rows { start: usize, end: usize },
    /// The current result as a file.
    Export(ExportFormat),
    /// The current result as a case file ([`crate::case_file`]): its records, the status logs
    /// and a header naming `api` (the link's API part, never credentials) and the view.
    ExportCase { api: Vec<(String, String)> },
    /// A refresh of the live source starts: what arrives from now on is new ("N new events",
    /// marked rows) and merges into what is shown, which stays whatever the refresh meets.
    BeginRefresh,
    /// The refresh has everything; [`Update::Refreshed`] says how many events were new.
    FinishRefresh,
    /// Replace the data with a live trail kept on this device ([`crate::cache`]): its answers
    /// as pages, named by their listing. Built by the worker from its cache, never sent by
    /// the page; [`Update::Cached`] follows the load.
    Restore {
        label: String,
        trail: CachedTrail,
        pages: Vec<Page>,
    },
    /// For the host's on-device cache (crates/explorer-worker/src/cache.rs); the engine itself
    /// has nothing to do for it (an engine on the page's thread has no cache).
    Cache(CacheCommand),
    /// For the host: open `files` files, shown as `label`. Their `File` handles travel beside
    /// this command (the first [`crate::file_reads::HANDLES_AT_ONCE`]) and the
    /// [`Command::MoreFiles`] after it; the host learns their names and sizes from the handles,
    /// reads them as [`crate::FileReads`] plans and hands the engine the [`Command::Load`] and
    /// [`Command::LoadMore`]s that come of it. The engine itself has nothing to do for it.
    OpenFiles { label: String, files: usize },
    /// For the host: the next `File` handles of the files [`Command::OpenFiles`] opened, in
    /// order, a batch per task on the page (see [`crate::file_reads::HANDLES_AT_ONCE`] for
    /// what one handle costs the sending thread).
    MoreFiles,
}

/// What the page asks of the on-device cache. Keys are [`crate::cache::trail_key`]s: the API
/// base, the entity and the parameters, never credentials.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CacheCommand {
    /// The deployment's choice, sent once at start: off clears whatever an earlier
    /// configuration kept; on removes expired entries.
    Settings { enabled: bool, expiry_ms: i64 },
    /// Show the trail kept for `key` ([`Update::Cached`]) or say there is none
    /// ([`Update::CacheMissing`]).
    Open { key: String, label: String },
    /// Keep the live answers read from now on under `key`; `fresh` starts the entry anew (a
    /// full load), else they are added to it (a refresh, a resumed load).
    Keep { key: String, fresh: bool },
    /// The trail kept under the current key is complete (every page loaded).
    Complete,
    /// Stop keeping answers (another source is shown).
    Stop,
    /// Remove everything kept on this device.
    Forget,
}

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// What the engine tells its host.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Update {
    Report(Report),
    Result(ResultView),
    Rows(RowWindow),
    Facets(Vec<FacetGroup>),
    Histogram(HistogramView),
    Detail(Option<DetailView>),
    Status(StatusView),
    History(HistoryView),
    /// What an answer of the live source was ([`Command::Read`]).
    Read {
        request: u64,
        read: Read,
    },
    /// A load finished; `replaced` is false when it read nothing and what was shown stays.
    Loaded {
        source: SourceKind,
        replaced: bool,
    },
    Export(ExportFile),
    /// A case file was opened: the view it was exported with, for the page's link.
    CaseOpened(OpenedCase),
    /// A refresh ended; `new_events` arrived with it.
    Refreshed {
        new_events: usize,
    },
    /// A trail kept on this device is shown ([`Command::Restore`]).
    Cached(CachedTrail),
    /// Nothing usable is kept for `key`; `problem` says why when an entry was there but could
    /// not be used (damaged, expired, storage refused).
    CacheMissing {
        key: String,
        problem: Option<Problem>,
    },
    /// What the cache did that the user should know (a write that did not verify, "Forget"
    /// done).
    CacheNotice(Problem),
}

/// The header: where the data came from, how much there is, how a load is going, and what
/// was wrong with what was read.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// "demo", "2 files", "CUSTOMER 5 · https://…", "demo; loading big.json: 120 of 953 pages".
    pub source: String,
    pub source_kind: SourceKind,
    /// "CUSTOMER 98662653", from the first event that names its entity.
    pub entity: String,
    pub events: usize,
    pub records: usize,
    /// A load still running.
    pub loading: Option<LoadProgress>,
    pub problems: Vec<Problem>,
    /// Events that arrived with the latest refresh (marked rows); 0 when none.
    pub new_events: usize,
    /// The newest event's instant: a refresh asks for what is newer.
    pub newest: Option<UtcMillis>,
    /// "kept on this device, saved 3 h ago": the shown trail started from the cache.
    pub cached: Option<String>,
}

impl Report {
    /// "246 events loaded (demo)", "1,000,000 events loaded (1,000 files)".
    pub fn loaded_line(&self) -> String {
        format!(
            "{} events loaded ({})",
            Grouped::from(self.events),
            self.source
        )
    }

    /// "3 new events", "1 new event", or nothing when the latest refresh brought none.
    pub fn new_events_line(&self) -> Option<String> {
        match self.new_events {
            0 => None,
            1 => Some("1 new event".into()),
            n => Some(format!("{} new events", Grouped::from(n))),
        }
    }
}

/// The current result: how many match, of how many, or why the query cannot be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultView {
    /// Changes with every new result (a new query, the store changed): the list starts at
    /// the top of a new result.
    pub id: u64,
    pub count: usize,
    pub total: usize,
    pub error: Option<QueryErrorView>,
    /// The search is still running: `count` is what it has found so far.
    pub counting: bool,
}

impl ResultView {
    /// "12 of 246 events", "1,024 of 1,000,000 events" ("? of 246 events" while the query
    /// cannot be read).
    pub fn count_line(&self) -> String {
        let (count, total) = (Grouped::from(self.count), Grouped::from(self.total));
        match (&self.error, self.counting) {
            (Some(_), _) => format!("? of {total} events"),
            (None, true) => format!("{count}… of {total} events (searching)"),
            (None, false) => format!("{count} of {total} events"),
        }
    }
}

/// A query that cannot be read, ready to show: the message, and the query in three parts so
/// the offending part can be marked in the user's own script.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueryErrorView {
    /// "Query error at position 5: `-` must be followed by a term to exclude".
    pub message: String,
    pub before: String,
    pub marked: String,
    pub after: String,
}

impl QueryErrorView {
    pub fn of(error: &QueryError, text: &str) -> QueryErrorView {
        let (before, marked, after) = error.marked(text);
        QueryErrorView {
            message: format!(
                "Query error at position {}: {}",
                error.column(text),
                error.message
            ),
            before: before.to_owned(),
            marked: marked.to_owned(),
            after: after.to_owned(),
        }
    }
}

/// Rows of a result, for the list's window.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowWindow {
    pub result: u64,
    pub start: usize,
    pub rows: Vec<RowView>,
}

/// An export, ready to save.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportFile {
    pub name: String,
    pub mime: String,
    pub text: String,
}

/// Live pages refresh the result at most this often: each refresh re-runs the search over
/// every event.
pub const LIVE_REFRESH_MS: i64 = 250;

/// Rows a window holds until the host says how many it shows.
const DEFAULT_WINDOW: usize = 40;

/// The engine's state. See the module doc.
pub struct Engine {
    offsets: Box<dyn Offsets>,
    store: Store,
    search: Search,
    source: SourceKind,
    label: String,
    problems: Problems,
    load: Option<BulkLoad>,
    view: ViewState,
    result: Result<Arc<Vec<EventId>>, QueryErrorView>,
    result_id: u64,
    window: (usize, usize),
    /// The current query, still being searched: the events newest first, a chunk at a time
    /// (`result` holds the previous one meanwhile).
    job: Option<SearchJob>,
    /// When the running search last sent its count (`None`: it has not answered yet).
    progress_at: Option<UtcMillis>,
    /// Facets and histogram of the result are still to be sent.
    summaries_due: bool,
    /// The page-specific view (status lanes, field history) is still to be sent.
    page_due: bool,
    /// Live pages arrived since the result was last refreshed; refresh once this is due.
    refresh_due: Option<UtcMillis>,
    last_refresh: UtcMillis,
    /// Records from this id on arrived with the latest refresh; with the events there were
    /// when it began.
    new_from: Option<(audit_core::RecordId, usize)>,
    /// The trail being restored from the cache, announced when its load ends.
    restoring: Option<CachedTrail>,
    cached_line: Option<String>,
}

/// A load running in steps.
struct BulkLoad {
    loader: Loader,
    source: SourceKind,
    label: String,
    /// Its first rows are on screen: the rest is merged into the store shown.
    shown: bool,
}

/// How often a running search sends its count so far: the first screenful goes at once,
/// the count after it a few times a second (the page then renders what it shows, not every
/// slice's count).
const SEARCH_PROGRESS_MS: i64 = 100;

/// How often a bulk load whose first rows are shown refreshes the result: each refresh re-runs
/// the search over every event loaded, so the interval grows with the store (250 ms per
/// hundred thousand events).
fn load_refresh_ms(events: usize) -> i64 {
    LIVE_REFRESH_MS * (events / 100_000).max(1) as i64
}

impl Engine {
    pub fn new(offsets: Box<dyn Offsets>) -> Engine {
        Engine {
            offsets,
            store: Store::new(),
            search: Search::new(),
            source: SourceKind::Demo,
            label: String::new(),
            problems: Problems::default(),
            load: None,
            view: ViewState::default(),
            result: Ok(Arc::new(Vec::new())),
            job: None,
            progress_at: None,
            result_id: 0,
            window: (0, DEFAULT_WINDOW),
            summaries_due: false,
            page_due: false,
            refresh_due: None,
            last_refresh: i64::MIN,
            new_from: None,
            restoring: None,
            cached_line: None,
        }
    }

    /// Handles one command; the updates it has at once (more may follow from [`Engine::work`]).
    pub fn handle(&mut self, command: Command, now: UtcMillis) -> Vec<Update> {
        let mut out = Vec::new();
        match command {
            Command::LoadDemo => {
                self.restoring = None;
                self.start_load(
                    SourceKind::Demo,
                    "demo".into(),
                    demo_pages(),
                    0,
                    now,
                    &mut out,
                )
            }
            Command::Load {
                source,
                label,
                pages,
                following,
            } => {
                self.restoring = None;
                self.start_load(source, label, pages, following, now, &mut out)
            }
            Command::LoadMore { pages, unreadable } => {
                if let Some(load) = self.load.as_mut() {
                    pages.into_iter().for_each(|p| load.loader.feed(p));
                    unreadable.iter().for_each(|n| load.loader.unreadable(n));
                    if load.loader.is_done() {
                        self.finish_load(now, &mut out);
                    }
                }
            }
            Command::CancelLoad => {
                self.restoring = None;
                self.cancel_load(now, &mut out)
            }
            Command::BeginLive { label } => {
                self.load = None;
                self.restoring = None;
                self.replace_store(Store::new(), SourceKind::Api, label, Vec::new());
                self.refresh(now, &mut out);
            }
            Command::Read {
                request,
                purpose,
                answer,
            } => {
                let first = self.store.is_empty();
                let (read, merged) = read_answer(&purpose, answer, now, &mut self.store);
                if let Some(problems) = merged {
                    self.problems.extend(problems);
                    self.live_changed(first, now, &mut out);
                }
                out.push(Update::Read { request, read });
            }
            Command::FinishLive => {
                self.store.shrink_to_fit();
                self.refresh(now, &mut out);
            }
            Command::SetView(view) => self.set_view(view, now, &mut out),
            Command::Rows { start, end } => {
                self.window = (start, end.max(start));
                out.push(Update::Rows(self.rows(now)));
            }
            Command::Export(format) => {
                // Exactly what is shown: a search still running is finished first.
                while self.job.is_some() {
                    self.search_slice(now, &mut || true, &mut out);
                }
                if let Ok(events) = &self.result {
                    out.push(Update::Export(self.export(format, events)));
                }
            }
            Command::ExportCase { api } => {
                if let Ok(events) = &self.result {
                    out.push(Update::Export(self.export_case(&api, events, now)));
                }
            }
            Command::BeginRefresh => self.begin_refresh(now, &mut out),
            Command::FinishRefresh => self.finish_refresh(now, &mut out),
            Command::Restore {
                label,
                trail,
                pages,
            } => {
                self.cached_line = None;
                self.restoring = Some(trail);
                self.start_load(SourceKind::Api, label, pages, 0, now, &mut out);
            }
            Command::Cache(_) | Command::OpenFiles { .. } | Command::MoreFiles => {}
        }
        out
    }

    /// How many more bytes of files the load running wants now: while it waits for
    /// [`Command::LoadMore`] pages, what is left of [`READ_AHEAD_BYTES`] after the bytes it
    /// holds unparsed; 0 when no load waits for files. Whoever reads the files (the worker, off
    /// the page's thread) reads only this far ahead of parsing, so a million-event load never
    /// holds its whole JSON in memory at once.
    pub fn load_bytes_wanted(&self) -> usize {
        self.load.as_ref().map_or(0, |l| {
            let p = l.loader.progress();
            if l.loader.pages_announced() == 0 {
                0
            } else {
                READ_AHEAD_BYTES.saturating_sub(p.bytes_total - p.bytes_done)
            }
        })
    }

    /// True while there is work for [`Engine::work`] (a load, summaries, a due refresh).
    pub fn has_work(&self) -> bool {
        self.loading_due()
            || self.job.is_some()
            || self.summaries_due
            || self.page_due
            || self.refresh_due.is_some()
    }

    /// When a live refresh falls due, if one is waiting (the host wakes the engine then).
    pub fn refresh_due(&self) -> Option<UtcMillis> {
        self.refresh_due
    }

    /// When [`Engine::work`] next has something to do: at once (`UtcMillis::MIN`) for a load,
    /// summaries or a page view, else when a live refresh falls due; `None` when idle.
    pub fn work_due(&self) -> Option<UtcMillis> {
        if self.loading_due() || self.job.is_some() || self.summaries_due || self.page_due {
            Some(UtcMillis::MIN)
        } else {
            self.refresh_due
        }
    }

    /// A load has pages that arrived and are not read yet (one waiting for its files to be
    /// read has nothing to do until they come).
    fn loading_due(&self) -> bool {
        self.load.as_ref().is_some_and(|l| l.loader.has_pending())
    }

    /// Does waiting work while `more()` says there is time: the next pages of a load (a
    /// progress report after the slice), then the result's summaries, then the page view.
    pub fn work(&mut self, now: UtcMillis, more: &mut dyn FnMut() -> bool) -> Vec<Update> {
        let mut out = Vec::new();
        if let Some(due) = self.refresh_due {
            if now >= due {
                self.refresh(now, &mut out);
            }
        }
        if self.job.is_some() {
            self.search_slice(now, more, &mut out);
            if self.job.is_some() {
                return out;
            }
        }
        if self.loading_due() {
            self.load_slice(now, more, &mut out);
            return out;
        }
        if self.summaries_due && more() {
            self.summaries_due = false;
            if let Ok(events) = &self.result {
                let clock = self.clock(now);
                out.push(Update::Facets(views::facet_groups(&self.store, events)));
                let range = (self.view.from, self.view.to);
                out.push(Update::Histogram(views::histogram(
                    &self.store,
                    events,
                    range,
                    &clock,
                )));
            }
        }
        if self.page_due && more() {
            self.page_due = false;
            out.extend(self.page_view(now));
        }
        out
    }

    fn clock(&self, now: UtcMillis) -> Clock<'_> {
        Clock {
            offsets: self.offsets.as_ref(),
            zone: &self.view.zone,
            now,
        }
    }

    fn start_load(
        &mut self,
        source: SourceKind,
        label: String,
        pages: Vec<Page>,
        following: usize,
        now: UtcMillis,
        out: &mut Vec<Update>,
    ) {
        let small = following == 0
            && pages.iter().map(|p| p.bytes.len()).sum::<usize>() <= SMALL_LOAD_BYTES;
        let mut loader = Loader::new(pages);
        loader.expect(following);
        self.load = Some(BulkLoad {
            loader,
            source,
            label,
            shown: false,
        });
        if small {
            // The demo and a few pages are on screen at the first paint.
            self.finish_load(now, out);
        } else {
            out.push(Update::Report(self.report()));
        }
    }

    /// One slice of a bulk load: pages while there is time. The first page that holds data
    /// puts the load's store on screen (its first rows after its first page); later pages are
    /// merged into it, the result refreshed now and then, until the last one.
    fn load_slice(
        &mut self,
        now: UtcMillis,
        more: &mut dyn FnMut() -> bool,
        out: &mut Vec<Update>,
    ) {
        let Some(load) = self.load.as_mut() else {
            return;
        };
        loop {
            let stepped = if load.shown {
                load.loader.step_into(&mut self.store)
            } else {
                load.loader.step()
            };
            if !stepped {
                break;
            }
            if !load.shown && load.loader.has_data() {
                load.shown = true;
                let store = load.loader.take_store();
                let problems = load.loader.take_problems();
                let (source, label) = (load.source, load.label.clone());
                self.replace_store(store, source, label, problems);
                self.refresh(now, out);
                return;
            }
            if !more() {
                break;
            }
        }
        let load = self.load.as_mut().expect("a load in progress");
        if load.loader.is_done() {
            return self.finish_load(now, out);
        }
        if load.shown {
            self.problems.extend(load.loader.take_problems());
            if now
                >= self
                    .last_refresh
                    .saturating_add(load_refresh_ms(self.store.len()))
            {
                return self.refresh(now, out);
            }
        }
        out.push(Update::Report(self.report()));
    }

    /// Stops a bulk load: what it showed stays (the pages read so far), and says so; one that
    /// showed nothing yet leaves the data shown before untouched.
    fn cancel_load(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        let Some(mut load) = self.load.take() else {
            return;
        };
        if load.shown {
            let p = load.loader.progress();
            self.problems.extend(load.loader.take_problems());
            self.problems.add(Problem::new(
                ProblemKind::NothingLoaded,
                format!(
                    "Loading {} was cancelled after {} of {} pages; the events read so far are shown.",
                    load.label,
                    Grouped::from(p.pages_done),
                    Grouped::from(p.pages_total)
                ),
            ));
            self.store.shrink_to_fit();
            self.refresh(now, out);
        } else {
            out.push(Update::Report(self.report()));
        }
        out.push(Update::Loaded {
            source: load.source,
            replaced: load.shown,
        });
    }

    fn finish_load(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        let Some(load) = self.load.take() else { return };
        let cases = if load.shown {
            // Everything was merged into the store shown.
            let mut loader = load.loader;
            self.problems.extend(loader.take_problems());
            self.store.shrink_to_fit();
            loader.take_cases()
        } else {
            let loaded = load.loader.finish();
            let had_data = !self.store.is_empty() || !self.store.status_entries().is_empty();
            if loaded.is_empty() && had_data {
                // Nothing readable: keep what is shown, and say why.
                self.restoring = None;
                self.problems.extend(loaded.problems);
                self.problems.add(Problem::new(
                    ProblemKind::NothingLoaded,
                    format!(
                        "Nothing could be read from {}; the data already loaded is kept.",
                        load.label
                    ),
                ));
                out.push(Update::Report(self.report()));
                out.push(Update::Loaded {
                    source: load.source,
                    replaced: false,
                });
                return;
            }
            self.replace_store(loaded.store, load.source, load.label, loaded.problems);
            loaded.cases
        };
        if let Some(trail) = self.restoring.take() {
            self.cached_line = Some(trail.line.clone());
            self.refresh(now, out);
            out.push(Update::Cached(trail));
        } else {
            self.refresh(now, out);
        }
        out.push(Update::Loaded {
            source: load.source,
            replaced: true,
        });
        if let Some(case) = cases.into_iter().find(|c| c.view.is_some()) {
            out.push(Update::CaseOpened(case));
        }
    }

    fn replace_store(
        &mut self,
        store: Store,
        source: SourceKind,
        label: String,
        problems: Vec<Problem>,
    ) {
        self.store = store;
        self.search = Search::new();
        self.source = source;
        self.label = label;
        self.problems = Problems::default();
        self.problems.extend(problems);
        self.refresh_due = None;
        self.new_from = None;
        self.cached_line = None;
    }

    /// A live page was merged: refresh now (the first data of the source shows at once), or
    /// once [`LIVE_REFRESH_MS`] have passed since the last refresh.
    fn live_changed(&mut self, first: bool, now: UtcMillis, out: &mut Vec<Update>) {
        let due = self.last_refresh.saturating_add(LIVE_REFRESH_MS);
        if first || now >= due {
            self.refresh(now, out);
        } else {
            self.refresh_due.get_or_insert(due);
        }
    }

    /// The store changed: the header, the result and everything built from it.
    fn refresh(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        self.refresh_due = None;
        self.last_refresh = now;
        out.push(Update::Report(self.report()));
        self.run_query(now, out);
        out.push(Update::Detail(self.detail(now)));
        self.page_due = true;
    }

    fn set_view(&mut self, view: ViewState, now: UtcMillis, out: &mut Vec<Update>) {
        let old = std::mem::replace(&mut self.view, view);
        let new = &self.view;
        if old.effective_query() != new.effective_query() {
            self.run_query(now, out);
        } else if old.zone != new.zone {
            // Times are shown in the zone: the rows and the histogram's days change.
            out.push(Update::Rows(self.rows(now)));
            self.summaries_due = true;
        }
        let new = &self.view;
        if old.event != new.event || old.zone != new.zone {
            out.push(Update::Detail(self.detail(now)));
        }
        if old.view != new.view
            || old.zone != new.zone
            || old.field != new.field
            || old.as_of != new.as_of
        {
            self.page_due = true;
        }
    }

    /// Runs the current query over the store, newest events first: on a small store the
    /// whole result at once; on a large one the search continues in [`Engine::work`]'s slices,
    /// its first screenful sent as soon as it is found, the count, summaries and page view once
    /// it is complete. A newer query replaces one still running.
    fn run_query(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        self.result_id += 1;
        // A new result starts at the top.
        let shown = self.window.1 - self.window.0;
        self.window = (0, shown.max(1));
        let text = self.view.effective_query();
        match Query::parse(&text) {
            Ok(query) => {
                self.job = Some(self.search.start(&self.store, &query, now));
                self.progress_at = None;
                // A store of one chunk is searched whole here (a few ms); a larger one gets a
                // step, the rest in slices.
                let small = self.store.len() <= audit_core::SEARCH_CHUNK;
                self.search_slice(now, &mut || small, out);
            }
            // The error is about the text typed (the range qualifiers come after it).
            Err(e) => {
                self.job = None;
                self.result = Err(QueryErrorView::of(&e, &self.view.query));
                self.result_done(now, out);
            }
        }
    }

    /// Steps the running search while there is time. Complete: it becomes the result. Not
    /// yet: what it has found so far (the newest matches, final as they are) is sent.
    fn search_slice(
        &mut self,
        now: UtcMillis,
        more: &mut dyn FnMut() -> bool,
        out: &mut Vec<Update>,
    ) {
        let Some(mut job) = self.job.take() else {
            return;
        };
        let before = job.found();
        loop {
            if self.search.step(&self.store, &mut job) {
                let mut events = self.search.finish(job).events.clone();
                events.reverse();
                self.result = Ok(Arc::new(events));
                return self.result_done(now, out);
            }
            if !more() {
                break;
            }
        }
        let found = job.found();
        let end = self.window.1;
        // The rows shown are the newest matches, final once found: they go out while the
        // window is still filling. The running count follows at most every
        // `SEARCH_PROGRESS_MS` (each answer costs the page a decode and a render).
        // A search that finds nothing for a while says so once, not every slice.
        let first = self.progress_at.is_none();
        let filling = before < end;
        let progress_due = self
            .progress_at
            .is_none_or(|at| now.saturating_sub(at) >= SEARCH_PROGRESS_MS);
        if first || (found != before && (filling || progress_due)) {
            out.push(Update::Result(ResultView {
                id: self.result_id,
                count: found,
                total: self.store.len(),
                error: None,
                counting: true,
            }));
            self.progress_at = Some(now);
        }
        if first || (filling && found != before) {
            out.push(Update::Rows(self.rows_of(&job.newest(end), now)));
        }
        self.job = Some(job);
    }

    /// The result is complete: its count and rows now, its summaries and page view next.
    fn result_done(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        let (count, error) = match &self.result {
            Ok(events) => (events.len(), None),
            Err(e) => (0, Some(e.clone())),
        };
        out.push(Update::Result(ResultView {
            id: self.result_id,
            count,
            total: self.store.len(),
            error,
            counting: false,
        }));
        out.push(Update::Rows(self.rows(now)));
        self.summaries_due = true;
        if self.view.view == View::History {
            self.page_due = true;
        }
    }

    fn rows(&self, now: UtcMillis) -> RowWindow {
        match (&self.job, &self.result) {
            // While searching, rows come from the matches found so far.
            (Some(job), _) => self.rows_of(&job.newest(self.window.1), now),
            (None, Ok(events)) => self.rows_of(events, now),
            (None, Err(_)) => self.rows_of(&[], now),
        }
    }

    /// The window's rows of `events` (newest first).
    fn rows_of(&self, events: &[EventId], now: UtcMillis) -> RowWindow {
        let (start, end) = self.window;
        let rows = views::rows(&self.store, events, start, end, &self.clock(now));
        let rows = self.mark_new(rows);
        RowWindow {
            result: self.result_id,
            start: rows.first().map_or(start, |r| r.index),
            rows,
        }
    }

    fn detail(&self, now: UtcMillis) -> Option<DetailView> {
        let id = self.store.find_event(self.view.event.as_deref()?)?;
        Some(views::detail(&self.store, id, &self.clock(now)))
    }

    fn page_view(&self, now: UtcMillis) -> Option<Update> {
        let clock = self.clock(now);
        match self.view.view {
            View::Timeline => None,
            View::Status => Some(Update::Status(views::status_lanes(&self.store, &clock))),
            View::History => {
                let empty = Vec::new();
                let events = self.result.as_deref().unwrap_or(&empty);
                Some(Update::History(views::history(
                    &self.store,
                    events,
                    self.view.field.as_deref(),
                    self.view.as_of,
                    &clock,
                )))
            }
        }
    }

    fn report(&self) -> Report {
        let mut source = self.label.clone();
        let loading = self.load.as_ref().map(|l| {
            let p = l.loader.progress();
            let line = format!(
                "loading {}: {} of {} pages",
                l.label,
                Grouped::from(p.pages_done),
                Grouped::from(p.pages_total)
            );
            source = if source.is_empty() || l.shown {
                line
            } else {
                format!("{source}; {line}")
            };
            p
        });
        Report {
            source,
            source_kind: self.source,
            entity: self
                .store
                .events()
                .find_map(|e| Some(format!("{} {}", e.entity_type()?, e.entity_id()?)))
                .unwrap_or_default(),
            events: self.store.len(),
            records: self.store.record_count(),
            loading,
            problems: self.problems.iter().cloned().collect(),
            new_events: self.new_events(),
            newest: self.store.events().rev().find_map(|e| e.time()),
            cached: self.cached_line.clone(),
        }
    }

    fn export(&self, format: ExportFormat, events: &[EventId]) -> ExportFile {
        let filter = self.view.effective_query();
        match format {
            ExportFormat::Csv => ExportFile {
                name: "audit-export.csv".into(),
                mime: "text/csv;charset=utf-8".into(),
                text: audit_core::export::to_csv(&self.store, events, &filter),
            },
            ExportFormat::Json => ExportFile {
                name: "audit-export.ndjson".into(),
                mime: "application/x-ndjson".into(),
                text: audit_core::export::to_ndjson(&self.store, events, &filter),
            },
        }
    }

    /// The current result as a case file named after its entity and the day.
    fn export_case(
        &self,
        api: &[(String, String)],
        events: &[EventId],
        now: UtcMillis,
    ) -> ExportFile {
        let report = self.report();
        let header = crate::case_file::CaseHeader {
            source_kind: self.source,
            source_label: &self.label,
            api,
            entity: &report.entity,
            view: &self.view,
            exported_at: now,
        };
        ExportFile {
            name: crate::case_file::file_name(&report.entity, now),
            mime: "application/json".into(),
            text: crate::case_file::write(&self.store, events, &header),
        }
    }

    /// Marks where the refresh's new records start; an earlier refresh's marks are dropped.
    fn begin_refresh(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        self.new_from = Some((
            self.store.record_count() as audit_core::RecordId,
            self.store.len(),
        ));
        out.push(Update::Report(self.report()));
        out.push(Update::Rows(self.rows(now)));
    }

    fn finish_refresh(&mut self, now: UtcMillis, out: &mut Vec<Update>) {
        self.store.shrink_to_fit();
        self.refresh(now, out);
        out.push(Update::Refreshed {
            new_events: self.new_events(),
        });
    }

    /// Events that arrived since the latest refresh began.
    fn new_events(&self) -> usize {
        self.new_from
            .map_or(0, |(_, before)| self.store.len().saturating_sub(before))
    }

    fn mark_new(&self, mut rows: Vec<RowView>) -> Vec<RowView> {
        let (Some((from, _)), Ok(events)) = (self.new_from, &self.result) else {
            return rows;
        };
        for row in &mut rows {
            if let Some(&id) = events.get(row.index) {
                row.new = self.store.event(id).record_id() >= from;
            }
        }
        rows
    }

    /// The zone times are shown in (the host formats nothing itself).
    pub fn zone(&self) -> &Zone {
        &self.view.zone
    }
}

/// Loads up to this size run in one go (a few ms in a release build): the demo and a few
/// saved pages are on screen at the first paint.
pub const SMALL_LOAD_BYTES: usize = 2 << 20;

/// How many bytes of a streamed load may wait unparsed in the engine (see
/// [`Engine::load_bytes_wanted`]).
pub const READ_AHEAD_BYTES: usize = 16 << 20;

/// The built-in demo: the shared generator's API-shaped pages, read as any response is.
fn demo_pages() -> Vec<Page> {
    let demo = audit_gen::demo();
    let mut pages = Vec::new();
    for (i, p) in demo.customer_pages.into_iter().enumerate() {
        pages.push(Page::new(format!("demo customer page {}", i + 1), p));
    }
    for (i, p) in demo.card_pages.into_iter().enumerate() {
        pages.push(Page::new(format!("demo card page {}", i + 1), p));
    }
    pages.push(Page::new(
        "demo customer status log",
        demo.customer_status_log,
    ));
    pages.push(Page::new("demo card status log", demo.card_status_log));
    pages
}
