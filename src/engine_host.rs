//! Hosts the engine: sends it commands and puts what it answers into one signal per view model,
//! which is all components ever read.
//!
//! The engine runs in a dedicated worker (crates/explorer-worker, its own wasm module), so the
//! page's thread never parses, indexes or searches. Commands cross as postcard bytes with their
//! bulk bytes (files, response bodies) beside them as transferred `ArrayBuffer`s: those are
//! never copied or decoded here. Until the worker says it is ready, commands wait; if it cannot
//! start, a banner says why and what the deployment must set.
//!
//! Component tests (no worker files in the test runner) build with the `in-page-engine`
//! feature, which runs the same engine on this thread; the release build never carries it.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use explorer_model::cache::CachedTrail;
use explorer_model::file_reads::HANDLES_AT_ONCE;
use explorer_model::protocol::{decode, encode, FromWorker, PROTOCOL_VERSION};
use explorer_model::views::{DetailView, FacetGroup, HistogramView, HistoryView, StatusView};
use explorer_model::{
    Answer, CacheCommand, Command, OpenedCase, Page, Problem, ProblemKind, Purpose, Read, Report,
    ResultView, RowWindow, SourceKind, Update,
};
use futures::channel::oneshot;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::banners::Banners;

/// The worker's loader, written by Trunk beside index.html (relative: works at any sub-path).
const WORKER_URL: &str = "./explorer-worker_loader.js";

/// How long the worker may take to say it is ready before the page says it did not start.
const READY_WITHIN_MS: u32 = 20_000;

/// What to do when a bulk load ends (whether it replaced the data shown).
type OnLoaded = Box<dyn FnOnce(bool)>;

/// Handle to the engine and its view models; provided as context by the app.
#[derive(Clone, Copy)]
pub struct EngineHost {
    transport: StoredValue<Rc<RefCell<Transport>>, LocalStorage>,
    banners: Banners,
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
    on_loaded: StoredValue<Option<OnLoaded>, LocalStorage>,
    /// The case file just opened: the app restores its view into the link.
    pub opened_case: RwSignal<Option<OpenedCase>>,
    /// Trails asked of the on-device cache, by key.
    cached: StoredValue<HashMap<String, oneshot::Sender<CacheReply>>, LocalStorage>,
}

/// Page names (with empty bodies) and the bodies beside them, for [`Command::take_bodies`] order.
fn pages_and_bodies(
    pages: Vec<(String, js_sys::ArrayBuffer)>,
) -> (Vec<Page>, Vec<js_sys::ArrayBuffer>) {
    let (names, bodies): (Vec<String>, Vec<js_sys::ArrayBuffer>) = pages.into_iter().unzip();
    let pages = names
        .into_iter()
        .map(|n| Page::new(n, Vec::new()))
        .collect();
    (pages, bodies)
}

/// What the on-device cache answered: the trail it showed, or nothing usable (and why, when
/// something was there but could not be used).
pub type CacheReply = Result<CachedTrail, Option<Problem>>;

/// Where commands go.
enum Transport {
    #[cfg_attr(feature = "in-page-engine", allow(dead_code))]
    Worker(WorkerLink),
    #[cfg(feature = "in-page-engine")]
    InPage(Box<in_page::InPage>),
    /// The worker could not start: commands are dropped (the banner says why).
    Failed,
}

/// The engine's worker, started by `main` before config.json is read and the app mounts, so it
/// boots meanwhile (started by the app, it said `Ready` ~70 ms after the app mounted).
/// What it says before the app listens is kept and heard then: a `Ready` posted to a `Worker`
/// nobody listens to is lost.
pub struct StartedWorker {
    worker: web_sys::Worker,
    heard: Rc<RefCell<Vec<Heard>>>,
}

/// What the worker said before the app listened.
enum Heard {
    Message(JsValue),
    Failed(String),
}

impl StartedWorker {
    /// Starts the worker (module type, at [`WORKER_URL`]); why not, when it cannot be.
    pub fn start() -> Result<StartedWorker, String> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker =
            web_sys::Worker::new_with_options(WORKER_URL, &options).map_err(|e| js_text(&e))?;
        let heard = Rc::new(RefCell::new(Vec::new()));
        let on_message = {
            let heard = heard.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                heard.borrow_mut().push(Heard::Message(e.data()));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = {
            let heard = heard.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                heard.borrow_mut().push(Heard::Failed(failure_of(&e)));
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(StartedWorker { worker, heard })
    }
}

/// A command's postcard bytes as a buffer to transfer.
fn head_of(command: &Command) -> js_sys::ArrayBuffer {
    js_sys::Uint8Array::from(encode(command).as_slice()).buffer()
}

/// Why the worker failed, from its `error` event.
fn failure_of(e: &web_sys::Event) -> String {
    e.dyn_ref::<web_sys::ErrorEvent>()
        .map(|e| e.message())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "its script could not be loaded".into())
}

struct WorkerLink {
    worker: web_sys::Worker,
    ready: bool,
    /// Messages (and their transfer lists) sent before the worker was ready.
    waiting: Vec<(js_sys::Array, js_sys::Array)>,
    /// `File` handles of the files being opened still to send, a batch per task
    /// ([`Command::MoreFiles`]).
    handles: VecDeque<web_sys::File>,
}

impl WorkerLink {
    /// Posts `message` (transferring `transfer`), or keeps it until the worker is ready.
    fn send(&mut self, message: js_sys::Array, transfer: js_sys::Array) {
        if self.ready {
            let _ = self.worker.post_message_with_transfer(&message, &transfer);
        } else {
            self.waiting.push((message, transfer));
        }
    }
}

impl EngineHost {
    /// The engine's host for the app, with the worker `main` started (`None`: started now).
    pub fn provide(banners: Banners, started: Option<Result<StartedWorker, String>>) -> EngineHost {
        let host = EngineHost {
            transport: StoredValue::new_local(Rc::new(RefCell::new(Transport::Failed))),
            banners,
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
            opened_case: RwSignal::new(None),
            cached: StoredValue::new_local(HashMap::new()),
        };
        let transport = host.start(started);
        host.transport.set_value(Rc::new(RefCell::new(transport)));
        provide_context(host);
        host
    }

    #[cfg(feature = "in-page-engine")]
    fn start(&self, _: Option<Result<StartedWorker, String>>) -> Transport {
        Transport::InPage(Box::new(in_page::InPage::new(*self)))
    }

    #[cfg(not(feature = "in-page-engine"))]
    fn start(&self, started: Option<Result<StartedWorker, String>>) -> Transport {
        match self.start_worker(started) {
            Ok(link) => Transport::Worker(link),
            Err(why) => {
                self.cannot_start(&why);
                Transport::Failed
            }
        }
    }

    /// Sends a command that has no bulk bytes.
    pub fn send(&self, command: Command) {
        self.post(command, Vec::new());
    }

    /// Replaces the data with `pages` (name, bytes as the browser holds them); `then(replaced)`
    /// runs when the load is over, unless a newer load replaced it first.
    pub fn load(
        &self,
        source: SourceKind,
        label: String,
        pages: Vec<(String, js_sys::ArrayBuffer)>,
        then: impl FnOnce(bool) + 'static,
    ) {
        self.on_loaded.set_value(Some(Box::new(then)));
        let (pages, bodies) = pages_and_bodies(pages);
        self.post(
            Command::Load {
                source,
                label,
                pages,
                following: 0,
            },
            bodies,
        );
    }

    /// Replaces the data with the opened `files`, shown as `label`. The engine's side reads
    /// them (a few small ones whole, on screen at the next paint; a large set in turn, first
    /// rows after the first file, progress and Cancel; see [`explorer_model::FileReads`]), so
    /// no file is ever read on this thread and a page busy drawing frames never holds a load
    /// back. `then(replaced)` as for [`EngineHost::load`].
    pub fn open_files(
        &self,
        label: String,
        files: Vec<web_sys::File>,
        then: impl FnOnce(bool) + 'static,
    ) {
        self.on_loaded.set_value(Some(Box::new(then)));
        // Neither name nor size is asked here: see explorer_model::file_reads::HANDLES_AT_ONCE.
        let open = Command::OpenFiles {
            label,
            files: files.len(),
        };
        self.post_with(open, Vec::new(), files);
    }

    /// Sends the next batch of the handles of the files being opened, and queues a task for
    /// the batch after it.
    fn send_more_handles(&self) {
        let Some(transport) = self.transport.try_get_value() else {
            return;
        };
        let mut t = transport.borrow_mut();
        let Transport::Worker(link) = &mut *t else {
            return;
        };
        if link.handles.is_empty() {
            return;
        }
        let head = head_of(&Command::MoreFiles);
        let message = js_sys::Array::of1(&head);
        let batch = link.handles.len().min(HANDLES_AT_ONCE);
        for file in link.handles.drain(..batch) {
            message.push(&file);
        }
        link.send(message, js_sys::Array::of1(&head));
        if !link.handles.is_empty() {
            self.send_more_handles_later();
        }
    }

    /// [`EngineHost::send_more_handles`] in a task of its own.
    fn send_more_handles_later(&self) {
        let host = *self;
        gloo_timers::callback::Timeout::new(0, move || host.send_more_handles()).forget();
    }

    /// Stops the load running; what it read so far stays (see [`Command::CancelLoad`]).
    pub fn cancel_load(&self) {
        self.send(Command::CancelLoad);
    }

    /// Has the engine read an answer of the live source; resolves with what it said.
    pub async fn read(
        &self,
        request: u64,
        purpose: Purpose,
        status: u16,
        headers: Vec<(String, String)>,
        body: js_sys::ArrayBuffer,
    ) -> Read {
        let (tx, rx) = oneshot::channel();
        self.reads.update_value(|r| {
            r.insert(request, tx);
        });
        let answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        self.post(
            Command::Read {
                request,
                purpose,
                answer,
            },
            vec![body],
        );
        rx.await.unwrap_or_else(|_| Read::Failed {
            status: None,
            problem: capillary_client::Problem::unrecognised("the answer was not read".into()),
        })
    }

    /// Has the worker show the trail kept on this device for `key`, if there is one.
    pub async fn open_cached(&self, key: String, label: String) -> CacheReply {
        let (tx, rx) = oneshot::channel();
        self.cached.update_value(|c| {
            c.insert(key.clone(), tx);
        });
        self.send(Command::Cache(CacheCommand::Open { key, label }));
        rx.await.unwrap_or(Err(None))
    }

    /// Sends `command` with `bodies` (its bulk bytes, in [`Command::take_bodies`] order).
    fn post(&self, command: Command, bodies: Vec<js_sys::ArrayBuffer>) {
        self.post_with(command, bodies, Vec::new());
    }

    /// [`EngineHost::post`], and the files [`Command::OpenFiles`] opens, for the engine's side.
    fn post_with(
        &self,
        command: Command,
        bodies: Vec<js_sys::ArrayBuffer>,
        files: Vec<web_sys::File>,
    ) {
        let Some(transport) = self.transport.try_get_value() else {
            return;
        };
        let mut t = transport.borrow_mut();
        match &mut *t {
            Transport::Worker(link) => {
                // A batch already queued sends on whatever handles are waiting by then.
                let sending = !link.handles.is_empty();
                if command.replaces_load() {
                    // The handles of files a newer load replaces are not wanted.
                    link.handles.clear();
                }
                let head = head_of(&command);
                let message = js_sys::Array::of1(&head);
                let transfer = js_sys::Array::of1(&head);
                for body in bodies {
                    message.push(&body);
                    transfer.push(&body);
                }
                // Cloned, not transferred: a `File` is a handle, its bytes are not copied. The
                // first batch starts the reads; the rest follow a batch per task.
                let mut files = files.into_iter();
                for file in files.by_ref().take(HANDLES_AT_ONCE) {
                    message.push(&file);
                }
                link.send(message, transfer);
                link.handles.extend(files);
                if !sending && !link.handles.is_empty() {
                    self.send_more_handles_later();
                }
            }
            #[cfg(feature = "in-page-engine")]
            Transport::InPage(engine) => {
                let engine = engine.clone();
                drop(t);
                // An engine on the page's thread has no cache: nothing is kept for any key.
                if let Command::Cache(CacheCommand::Open { key, .. }) = &command {
                    let key = key.clone();
                    return self.apply(vec![Update::CacheMissing { key, problem: None }]);
                }
                let mut command = command;
                let bytes = bodies
                    .iter()
                    .map(|b| js_sys::Uint8Array::new(b).to_vec())
                    .collect();
                command.put_bodies(bytes);
                match command {
                    Command::OpenFiles { label, .. } => engine.open_files(label, files),
                    command => engine.handle(command),
                }
            }
            Transport::Failed => {}
        }
    }

    /// Listens to the worker `main` started (or starts it now), then hears what it said before.
    #[cfg_attr(feature = "in-page-engine", allow(dead_code))]
    fn start_worker(
        &self,
        started: Option<Result<StartedWorker, String>>,
    ) -> Result<WorkerLink, String> {
        let StartedWorker { worker, heard } = started.unwrap_or_else(StartedWorker::start)?;
        let host = *self;
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                host.receive(&e.data());
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            host.worker_failed(&failure_of(&e));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        // Heard once the link is in place (a `Ready` among them makes it ready).
        let heard = std::mem::take(&mut *heard.borrow_mut());
        if !heard.is_empty() {
            leptos::task::spawn_local(async move {
                for said in heard {
                    match said {
                        Heard::Message(data) => host.receive(&data),
                        Heard::Failed(why) => host.worker_failed(&why),
                    }
                }
            });
        }
        gloo_timers::callback::Timeout::new(READY_WITHIN_MS, move || {
            let waiting = host
                .transport
                .try_get_value()
                .is_some_and(|t| matches!(&*t.borrow(), Transport::Worker(l) if !l.ready));
            if waiting {
                host.worker_failed(&format!(
                    "it did not answer within {} s",
                    READY_WITHIN_MS / 1000
                ));
            }
        })
        .forget();
        Ok(WorkerLink {
            worker,
            ready: false,
            waiting: Vec::new(),
            handles: VecDeque::new(),
        })
    }

    /// A message from the worker.
    #[cfg_attr(feature = "in-page-engine", allow(dead_code))]
    fn receive(&self, data: &JsValue) {
        let bytes = js_sys::Uint8Array::new(data).to_vec();
        match decode::<FromWorker>(&bytes) {
            Some(FromWorker::Ready { version }) if version == PROTOCOL_VERSION => self.worker_ready(),
            Some(FromWorker::Ready { version }) => self.worker_failed(&format!(
                "it is of another release (protocol {version}, this page speaks {PROTOCOL_VERSION}); reload the page, and if that does not help, the deployment serves a stale worker (see README, Deploying)"
            )),
            Some(FromWorker::Updates(updates)) => self.apply(updates),
            None => leptos::logging::warn!("audit explorer: a message from the engine that does not read"),
        }
    }

    fn worker_ready(&self) {
        let Some(transport) = self.transport.try_get_value() else {
            return;
        };
        let mut t = transport.borrow_mut();
        if let Transport::Worker(link) = &mut *t {
            link.ready = true;
            for (message, transfer) in std::mem::take(&mut link.waiting) {
                link.send(message, transfer);
            }
        }
    }

    fn worker_failed(&self, why: &str) {
        let Some(transport) = self.transport.try_get_value() else {
            return;
        };
        let mut t = transport.borrow_mut();
        if let Transport::Worker(link) = &*t {
            link.worker.terminate();
        }
        *t = Transport::Failed;
        drop(t);
        self.cannot_start(why);
    }

    fn cannot_start(&self, why: &str) {
        self.banners.add(Problem::new(
            ProblemKind::Engine,
            format!(
                "The explorer's engine could not start: {why}. It runs in a Web Worker: the browser must support module workers (Chrome or Edge 80, Firefox 114, Safari 15 or later), and the deployment's Content-Security-Policy must allow `worker-src 'self'` (see README, Content-Security-Policy)."
            ),
        ));
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
                Update::CaseOpened(case) => self.opened_case.set(Some(case)),
                Update::Refreshed { .. } => {}
                Update::Cached(trail) => self.cache_reply(trail.key.clone(), Ok(trail)),
                Update::CacheMissing { key, problem } => self.cache_reply(key, Err(problem)),
                Update::CacheNotice(problem) => self.banners.add(problem),
            }
        }
    }
}

impl EngineHost {
    fn cache_reply(&self, key: String, reply: CacheReply) {
        if let Some(tx) = self.cached.try_update_value(|c| c.remove(&key)).flatten() {
            let _ = tx.send(reply);
        }
    }
}

/// A thrown JS value as text (a `SecurityError` from a CSP, say).
fn js_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused to start it".into())
}

pub fn use_engine() -> EngineHost {
    expect_context::<EngineHost>()
}

/// The engine on the page's own thread, for component tests.
#[cfg(feature = "in-page-engine")]
mod in_page {
    use super::*;
    use crate::schedule::{after_paint, now};
    use explorer_model::{Engine, FileReads, FixedOffsets};

    /// The same engine the worker hosts, handled synchronously; its waiting work runs after
    /// each painted frame.
    #[derive(Clone)]
    pub struct InPage {
        engine: Rc<RefCell<Engine>>,
        host: EngineHost,
        scheduled: Rc<RefCell<bool>>,
        /// Counts the loads begun or stopped: files of a replaced load are not read on.
        loads: Rc<RefCell<u64>>,
    }

    impl InPage {
        pub fn new(host: EngineHost) -> InPage {
            InPage {
                engine: Rc::new(RefCell::new(Engine::new(Box::new(FixedOffsets)))),
                host,
                scheduled: Rc::new(RefCell::new(false)),
                loads: Rc::new(RefCell::new(0)),
            }
        }

        /// Reads opened files as the worker does (crates/explorer-worker): the reads their
        /// plan says are due, each handing the engine what it makes ready, until the files are
        /// all in or a newer load replaces them.
        pub fn open_files(self, label: String, files: Vec<web_sys::File>) {
            self.clone().handle(Command::OpenFiles {
                label: label.clone(),
                files: files.len(),
            });
            let load = *self.loads.borrow();
            let sizes = files
                .iter()
                .map(|f| (f.name(), f.size() as usize))
                .collect();
            let reads = Rc::new(RefCell::new(FileReads::new(label, files.len(), sizes)));
            if let Some(begin) = reads.borrow().begin() {
                self.clone().handle(begin);
            }
            leptos::task::spawn_local(async move {
                while !reads.borrow().is_over() {
                    if *self.loads.borrow() != load {
                        return;
                    }
                    let wanted = self.engine.borrow().load_bytes_wanted();
                    let due = reads.borrow_mut().to_read(wanted);
                    for index in due {
                        let (this, reads, file) =
                            (self.clone(), reads.clone(), files[index].clone());
                        leptos::task::spawn_local(async move {
                            let bytes = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
                                .await
                                .ok()
                                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec());
                            if *this.loads.borrow() != load {
                                return;
                            }
                            let ready = reads.borrow_mut().read(index, bytes);
                            for command in ready {
                                this.clone().handle(command);
                            }
                        });
                    }
                    gloo_timers::future::TimeoutFuture::new(8).await;
                }
            });
        }

        pub fn handle(self, command: Command) {
            if command.replaces_load() {
                *self.loads.borrow_mut() += 1;
            }
            let updates = self.engine.borrow_mut().handle(command, now());
            self.host.apply(updates);
            self.schedule();
        }

        fn schedule(self) {
            let Some(due) = self.engine.borrow().work_due() else {
                return;
            };
            if *self.scheduled.borrow() {
                return;
            }
            *self.scheduled.borrow_mut() = true;
            let run = move || {
                *self.scheduled.borrow_mut() = false;
                let started = js_sys::Date::now();
                let mut more = || js_sys::Date::now() - started < 8.0;
                let updates = self.engine.borrow_mut().work(now(), &mut more);
                self.host.apply(updates);
                self.clone().schedule();
            };
            let wait = due.saturating_sub(now()).clamp(0, 60_000) as u32;
            gloo_timers::callback::Timeout::new(wait, move || after_paint(run)).forget();
        }
    }
}
