//! The engine's worker: explorer-model's [`Engine`] behind `postMessage`, so parsing, the store,
//! search, view models and export never run on the page's thread.
//!
//! Messages in are `[head, ...bodies, ...files]`: a postcard-encoded [`Command`], the
//! transferred buffers of its bulk bytes (pages, response bodies) and the `File` handles it
//! opens. Messages out are one transferred buffer:
//! a postcard-encoded [`FromWorker`]. The first message out is `Ready` with the protocol
//! version, sent once `onmessage` is installed (anything posted before would be lost).
//!
//! Scheduling: commands are queued as they arrive and handled in a task of their own; a newer
//! view supersedes an older one still queued, a newer row window too. Waiting work (the rest of
//! a large load, a result's summaries, a live refresh) runs in slices of a few milliseconds with
//! a task boundary after each, so a keystroke, a cancel or a view switch that arrives during a
//! million-event load is answered after at most one slice.
//!
//! Opened files arrive as `File` handles after [`Command::OpenFiles`] and the
//! [`Command::MoreFiles`] that follow it: the worker reads them itself as [`FileReads`] plans
//! and hands the engine what they hold, so a load goes at the engine's pace whatever the page
//! is busy with (scrolling, typing).
#![forbid(unsafe_code)]

mod cache;
mod intl;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use explorer_model::protocol::{decode, encode, FromWorker, PROTOCOL_VERSION};
use explorer_model::{Command, Engine, FileReads, Update};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

use crate::cache::Cache;
use crate::intl::{now, IntlOffsets};

/// How long one slice of waiting work may run before queued commands are looked at.
const SLICE_MS: f64 = 6.0;

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    engine: Engine,
    queue: VecDeque<Command>,
    /// A run is queued (as a task, through `wake`).
    scheduled: bool,
    /// A timer is set for a live refresh due later.
    timer_at: Option<i64>,
    /// Posting to its port queues a task at once (a `setTimeout(0)` chain is clamped to 4 ms).
    wake: MessageChannel,
    /// The on-device cache (its IO runs in tasks of its own, beside the engine).
    cache: Rc<RefCell<Cache>>,
    /// The files of the running load still to be read.
    files: Option<FileRead>,
    /// Counts the file reads begun: a read that finishes after its load was replaced is dropped.
    file_reads: u64,
}

/// Opened files being read here, as their [`FileReads`] plans.
struct FileRead {
    id: u64,
    files: Vec<web_sys::File>,
    reads: FileReads,
}

/// The cache's way back: updates to the page, commands to the engine.
struct WorkerHost {
    scope: DedicatedWorkerGlobalScope,
    worker: std::rc::Weak<RefCell<Worker>>,
}

impl cache::Host for WorkerHost {
    fn post(&self, updates: Vec<Update>) {
        post(&self.scope, &FromWorker::Updates(updates));
    }

    fn command(&self, command: Command) {
        if let Some(worker) = self.worker.upgrade() {
            let mut w = worker.borrow_mut();
            if command.replaces_load() {
                // A cached trail shown instead: the files of a load still running are not.
                w.files = None;
            }
            w.queue.push_back(command);
            drop(w);
            schedule(&worker);
        }
    }
}

fn main() {
    console_error_panic_hook::set_once();
    // Counts in messages (a load's progress, "1,000 files") are grouped as the reader reads.
    browser_locale::reader_grouping().set_for_reader();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let Ok(wake) = MessageChannel::new() else {
        return;
    };
    let worker = Rc::new(RefCell::new(Worker {
        scope: scope.clone(),
        engine: Engine::new(Box::new(IntlOffsets::default())),
        queue: VecDeque::new(),
        scheduled: false,
        timer_at: None,
        wake,
        cache: Rc::new(RefCell::new(Cache::default())),
        files: None,
        file_reads: 0,
    }));
    let on_wake = {
        let worker = worker.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| run(&worker))
    };
    worker
        .borrow()
        .wake
        .port1()
        .set_onmessage(Some(on_wake.as_ref().unchecked_ref()));
    on_wake.forget();
    let on_message = {
        let worker = worker.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| receive(&worker, &e))
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(
        &scope,
        &FromWorker::Ready {
            version: PROTOCOL_VERSION,
        },
    );
}

/// A message from the page: decode it, queue it, make sure a run follows.
fn receive(worker: &Rc<RefCell<Worker>>, e: &MessageEvent) {
    let Some((command, files)) = read_command(&e.data()) else {
        // Not ours, or not whole: nothing to do but say so where a developer looks.
        web_sys::console::warn_1(&"audit explorer worker: a message that is not a command".into());
        return;
    };
    {
        let mut w = worker.borrow_mut();
        if command.replaces_load() {
            w.files = None;
        }
        match command {
            Command::OpenFiles {
                label,
                files: count,
            } => {
                let reads = FileReads::new(label, count, names_and_sizes(&files));
                w.file_reads += 1;
                w.queue.extend(reads.begin());
                w.files = Some(FileRead {
                    id: w.file_reads,
                    files,
                    reads,
                });
            }
            Command::MoreFiles => {
                // None when the load was replaced or cancelled meanwhile: not wanted.
                if let Some(read) = w.files.as_mut() {
                    read.reads.arrived(names_and_sizes(&files));
                    read.files.extend(files);
                }
            }
            command => w.queue.push_back(command),
        }
    }
    schedule(worker);
}

/// What the plan needs to know of each file (asked here, never on the page's thread: for a
/// file the user picked, `size` is a file-system lookup on the thread that asks).
fn names_and_sizes(files: &[web_sys::File]) -> Vec<(String, usize)> {
    files
        .iter()
        .map(|f| (f.name(), f.size() as usize))
        .collect()
}

/// `[head, ...bodies, ...files]` → the command, its bulk bytes copied into this module's
/// memory, and the `File` handles beside it (only [`Command::OpenFiles`], at most as many as
/// it names, and [`Command::MoreFiles`] have any).
fn read_command(data: &JsValue) -> Option<(Command, Vec<web_sys::File>)> {
    let parts: js_sys::Array = data.clone().dyn_into().ok()?;
    let head = js_sys::Uint8Array::new(&parts.get(0)).to_vec();
    let mut command: Command = decode(&head)?;
    let count = command.body_count() as u32;
    let bodies: Vec<Vec<u8>> = (1..parts.length().min(count + 1))
        .map(|i| js_sys::Uint8Array::new(&parts.get(i)).to_vec())
        .collect();
    let files = (count + 1..parts.length())
        .map(|i| parts.get(i).dyn_into::<web_sys::File>().ok())
        .collect::<Option<Vec<_>>>()?;
    let handles = match &command {
        Command::OpenFiles { files: count, .. } => files.len() <= *count,
        Command::MoreFiles => !files.is_empty(),
        _ => files.is_empty(),
    };
    if !handles {
        return None;
    }
    command.put_bodies(bodies).then_some((command, files))
}

/// Starts the reads the opened files' plan says are due (as many bytes as the engine wants);
/// each read, once done, hands the engine what the plan makes ready of it.
fn read_next_files(worker: &Rc<RefCell<Worker>>) {
    let (due, id) = {
        let w = &mut *worker.borrow_mut();
        let wanted = w.engine.load_bytes_wanted();
        let Some(read) = w.files.as_mut() else {
            return;
        };
        let due: Vec<(usize, web_sys::File)> = read
            .reads
            .to_read(wanted)
            .into_iter()
            .map(|i| (i, read.files[i].clone()))
            .collect();
        (due, read.id)
    };
    for (index, file) in due {
        let worker = worker.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
                .await
                .ok()
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec());
            {
                let w = &mut *worker.borrow_mut();
                let Some(read) = w.files.as_mut().filter(|r| r.id == id) else {
                    // Cancelled or replaced meanwhile.
                    return;
                };
                w.queue.extend(read.reads.read(index, bytes));
                if read.reads.is_over() {
                    w.files = None;
                }
            }
            schedule(&worker);
        });
    }
}

/// Queues a run as a task of its own (after the messages already waiting).
fn schedule(worker: &Rc<RefCell<Worker>>) {
    let mut w = worker.borrow_mut();
    if w.scheduled {
        return;
    }
    w.scheduled = true;
    let _ = w.wake.port2().post_message(&JsValue::NULL);
}

/// Handles what is queued (a newer view or row window superseding older ones still queued),
/// then one slice of waiting work, and posts what changed.
fn run(worker: &Rc<RefCell<Worker>>) {
    let mut updates: Vec<Update> = Vec::new();
    let (more_queued, due) = {
        let mut w = worker.borrow_mut();
        w.scheduled = false;
        // The cache acts in order with the engine (an answer after `Keep` is kept); its IO
        // runs in tasks of its own, and its way back never borrows the worker here.
        let cache = w.cache.clone();
        let host: Rc<dyn cache::Host> = Rc::new(WorkerHost {
            scope: w.scope.clone(),
            worker: Rc::downgrade(worker),
        });
        let queued: Vec<Command> = w.queue.drain(..).collect();
        let last_view = queued
            .iter()
            .rposition(|c| matches!(c, Command::SetView(_)));
        let last_rows = queued
            .iter()
            .rposition(|c| matches!(c, Command::Rows { .. }));
        for (i, command) in queued.into_iter().enumerate() {
            let superseded = match command {
                Command::SetView(_) => Some(i) != last_view,
                Command::Rows { .. } => Some(i) != last_rows,
                _ => false,
            };
            match command {
                Command::Cache(c) => Cache::command(&cache, c, host.clone()),
                Command::Read {
                    request,
                    purpose,
                    answer,
                } if cache.borrow().is_keeping() && answer.is_success() => {
                    let body = answer.body.clone();
                    let out = w.engine.handle(
                        Command::Read {
                            request,
                            purpose: purpose.clone(),
                            answer,
                        },
                        now(),
                    );
                    if let Some(read) = out.iter().find_map(|u| match u {
                        Update::Read { request: r, read } if *r == request => Some(read.clone()),
                        _ => None,
                    }) {
                        Cache::answer(&cache, &purpose, body, &read, host.clone());
                    }
                    updates.extend(out);
                }
                command if !superseded => updates.extend(w.engine.handle(command, now())),
                _ => {}
            }
        }
        if w.engine.work_due().is_some_and(|due| due <= now()) {
            // What the commands answered (a fresh query's first screenful) goes out before
            // the slice of waiting work (summaries, the rest of a search or a load).
            if !updates.is_empty() {
                post(&w.scope, &FromWorker::Updates(std::mem::take(&mut updates)));
            }
            let started = js_sys::Date::now();
            let mut more = || js_sys::Date::now() - started < SLICE_MS;
            updates.extend(w.engine.work(now(), &mut more));
        }
        (!w.queue.is_empty(), w.engine.work_due())
    };
    if !updates.is_empty() {
        let scope = worker.borrow().scope.clone();
        post(&scope, &FromWorker::Updates(updates));
    }
    read_next_files(worker);
    match due {
        _ if more_queued => schedule(worker),
        Some(due) if due <= now() => schedule(worker),
        Some(due) => set_timer(worker, due),
        None => {}
    }
}

/// Wakes the worker when a live refresh falls due (once per due time).
fn set_timer(worker: &Rc<RefCell<Worker>>, due: i64) {
    let scope = {
        let mut w = worker.borrow_mut();
        if w.timer_at.is_some_and(|at| at <= due) {
            return;
        }
        w.timer_at = Some(due);
        w.scope.clone()
    };
    let worker = worker.clone();
    let fire = Closure::once_into_js(move || {
        worker.borrow_mut().timer_at = None;
        schedule(&worker);
    });
    let wait = (due - now()).clamp(0, 60_000) as i32;
    let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), wait);
}

/// Posts `message` as one transferred buffer.
fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    let bytes = js_sys::Uint8Array::from(encode(message).as_slice());
    let buffer = bytes.buffer();
    let transfer = js_sys::Array::of1(&buffer);
    if scope
        .post_message_with_transfer(&buffer, &transfer)
        .is_err()
    {
        web_sys::console::error_1(&"audit explorer worker: an answer could not be posted".into());
    }
}
