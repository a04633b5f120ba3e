//! Hosts the engine: sends it commands and puts what it answers into one signal per view model,
//! which is all components ever read. The engine's waiting work (the rest of a large load, a
//! result's summaries, a live refresh) runs in slices of a few milliseconds after each painted
//! frame, so the page keeps answering.

use std::collections::HashMap;

use explorer_model::views::{DetailView, FacetGroup, HistogramView, HistoryView, StatusView};
use explorer_model::{
    Answer, Command, Engine, Page, Purpose, Read, Report, ResultView, RowWindow, SourceKind, Update,
};
use futures::channel::oneshot;
use leptos::prelude::*;

use crate::intl::{now, IntlOffsets};
use crate::schedule::after_paint;

/// How long one slice of waiting work may run before the page gets the thread back.
const SLICE_MS: f64 = 8.0;

/// What runs when a bulk load ends: whether it replaced the data shown.
type OnLoaded = Box<dyn FnOnce(bool)>;

/// Handle to the engine and its view models; provided as context by the app.
#[derive(Clone, Copy)]
pub struct EngineHost {
    engine: StoredValue<Engine, LocalStorage>,
    pub report: RwSignal<Report>,
    pub result: RwSignal<ResultView>,
    pub rows: RwSignal<RowWindow>,
    pub facets: RwSignal<Vec<FacetGroup>>,
    pub histogram: RwSignal<HistogramView>,
    pub detail: RwSignal<Option<DetailView>>,
    pub status: RwSignal<StatusView>,
    pub history: RwSignal<HistoryView>,
    /// Answers of the live source being read, by request id.
    reads: StoredValue<HashMap<u64, oneshot::Sender<Read>>, LocalStorage>,
    /// What to do when the current bulk load ends (whether it replaced the data).
    on_loaded: StoredValue<Option<OnLoaded>, LocalStorage>,
    /// When the next scheduled slice of work runs, if one is scheduled.
    scheduled: StoredValue<Option<i64>, LocalStorage>,
}

impl EngineHost {
    pub fn provide() -> EngineHost {
        let host = EngineHost {
            engine: StoredValue::new_local(Engine::new(Box::new(IntlOffsets::default()))),
            report: RwSignal::new(Report::default()),
            result: RwSignal::new(ResultView::default()),
            rows: RwSignal::new(RowWindow::default()),
            facets: RwSignal::new(Vec::new()),
            histogram: RwSignal::new(HistogramView::default()),
            detail: RwSignal::new(None),
            status: RwSignal::new(StatusView::default()),
            history: RwSignal::new(HistoryView::default()),
            reads: StoredValue::new_local(HashMap::new()),
            on_loaded: StoredValue::new_local(None),
            scheduled: StoredValue::new_local(None),
        };
        provide_context(host);
        host
    }

    /// Sends a command; its updates are shown at once, waiting work is scheduled.
    pub fn send(&self, command: Command) {
        let Some(updates) = self.engine.try_update_value(|e| e.handle(command, now())) else {
            return;
        };
        self.apply(updates);
        self.schedule();
    }

    /// Replaces the data with `pages` (opened files); `then(replaced)` runs when the load is
    /// over, unless a newer load replaced it first.
    pub fn load(
        &self,
        source: SourceKind,
        label: String,
        pages: Vec<Page>,
        then: impl FnOnce(bool) + 'static,
    ) {
        self.on_loaded.set_value(Some(Box::new(then)));
        self.send(Command::Load {
            source,
            label,
            pages,
        });
    }

    /// Has the engine read an answer of the live source; resolves with what it said.
    pub async fn read(&self, request: u64, purpose: Purpose, answer: Answer) -> Read {
        let (tx, rx) = oneshot::channel();
        self.reads.update_value(|r| {
            r.insert(request, tx);
        });
        self.send(Command::Read {
            request,
            purpose,
            answer,
        });
        rx.await.unwrap_or_else(|_| Read::Failed {
            status: None,
            problem: capillary_client::Problem::unrecognised("the answer was not read".into()),
        })
    }

    fn apply(&self, updates: Vec<Update>) {
        for update in updates {
            match update {
                Update::Report(r) => self.report.set(r),
                Update::Result(r) => self.result.set(r),
                Update::Rows(r) => self.rows.set(r),
                Update::Facets(f) => self.facets.set(f),
                Update::Histogram(h) => self.histogram.set(h),
                Update::Detail(d) => self.detail.set(d),
                Update::Status(s) => self.status.set(s),
                Update::History(h) => self.history.set(h),
                Update::Read { request, read } => {
                    if let Some(tx) = self
                        .reads
                        .try_update_value(|r| r.remove(&request))
                        .flatten()
                    {
                        let _ = tx.send(read);
                    }
                }
                Update::Loaded { replaced, .. } => {
                    if let Some(then) = self.on_loaded.try_update_value(Option::take).flatten() {
                        then(replaced);
                    }
                }
                Update::Export(file) => crate::download::save(&file),
            }
        }
    }

    /// Runs waiting work after the next painted frame (or when a live refresh falls due).
    fn schedule(&self) {
        let Some(due) = self.engine.try_with_value(Engine::work_due) else {
            return;
        };
        let Some(due) = due else { return };
        let at = due.max(now());
        // A slice already due as early does it; an earlier need (a keystroke's summaries while
        // a live refresh waits) gets a slice of its own.
        if self.scheduled.get_value().is_some_and(|s| s <= at) {
            return;
        }
        self.scheduled.set_value(Some(at));
        let this = *self;
        let run = move || {
            this.scheduled.set_value(None);
            this.work_slice();
        };
        let wait = at - now();
        if wait > 0 {
            gloo_timers::callback::Timeout::new(wait.min(60_000) as u32, move || after_paint(run))
                .forget();
        } else {
            after_paint(run);
        }
    }

    fn work_slice(&self) {
        let started = js_sys::Date::now();
        let mut more = || js_sys::Date::now() - started < SLICE_MS;
        let Some(updates) = self.engine.try_update_value(|e| e.work(now(), &mut more)) else {
            return;
        };
        self.apply(updates);
        self.schedule();
    }
}

pub fn use_engine() -> EngineHost {
    expect_context::<EngineHost>()
}
