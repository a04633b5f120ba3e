//! The on-device cache's IO: trails kept in the Origin Private File System, one file per trail
//! (explorer-model's `cache` says what is in it), read and written through synchronous access
//! handles, which only a dedicated worker may open (fast: no copy through a stream, no
//! promise per write).
//!
//! Every change goes through one queue, run by one task at a time: a handle is exclusive, and an
//! entry must be read after the writes asked before it. Every write is verified: the frame is
//! read back and compared, and one that does not read back (Perfetto saw large writes fail
//! silently) is cut off again, so an entry always holds whole frames, and the user is told the
//! trail is no longer kept. Reading checks every frame; a damaged entry is removed with a notice,
//! never shown.
//!
//! Where the browser has no OPFS or no synchronous handles (older Safari and Firefox), nothing is
//! kept: the first attempt says so once, and the explorer loads from the API as without a cache.
//! An IndexedDB fallback was left out: every browser this app supports for its module worker has
//! OPFS except Firefox 111–113 and Safari 15.2–16.3, whose users then simply load from the API.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use explorer_model::cache::{self, Frame, Unusable};
use explorer_model::{CacheCommand, Command, Problem, ProblemKind, Purpose, Read, Update};
use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemReadWriteOptions, FileSystemRemoveOptions,
    FileSystemSyncAccessHandle,
};

use crate::intl::now;

/// The OPFS folder the explorer keeps trails in.
const FOLDER: &str = "audit-explorer-trails";

/// One thing for the queue.
enum Job {
    /// Remove expired entries (enabled) or everything (disabled).
    Sweep {
        enabled: bool,
        expiry_ms: i64,
    },
    Open {
        key: String,
        label: String,
    },
    /// Append a frame to an entry; `fresh` empties the entry first. An empty entry gets its
    /// `Start` frame first (a new trail, or one kept again after "Forget").
    Append {
        key: String,
        frame: Vec<u8>,
        fresh: bool,
    },
    Forget,
}

/// What the page asked the cache to keep, and the queue of IO.
#[derive(Default)]
pub struct Cache {
    enabled: bool,
    expiry_ms: i64,
    /// The key answers are kept under, and whether its entry is still to be started.
    keeping: Option<(String, bool)>,
    queue: VecDeque<Job>,
    running: bool,
    /// Said once that this browser keeps nothing.
    unsupported_said: bool,
}

/// Where the worker's updates and follow-up commands go.
pub trait Host: 'static {
    /// Posts updates to the page.
    fn post(&self, updates: Vec<Update>);
    /// Hands a command to the engine (queued like the page's).
    fn command(&self, command: Command);
}

impl Cache {
    /// Whether answers are being kept (the worker then keeps a copy of each body it reads).
    pub fn is_keeping(&self) -> bool {
        self.enabled && self.keeping.is_some()
    }

    /// A cache command from the page.
    pub fn command(this: &Rc<RefCell<Cache>>, command: CacheCommand, host: Rc<dyn Host>) {
        let mut c = this.borrow_mut();
        match command {
            CacheCommand::Settings { enabled, expiry_ms } => {
                c.enabled = enabled;
                c.expiry_ms = expiry_ms;
                c.queue.push_back(Job::Sweep { enabled, expiry_ms });
            }
            CacheCommand::Open { key, label } if c.enabled => {
                c.queue.push_back(Job::Open { key, label })
            }
            CacheCommand::Open { key, .. } => {
                drop(c);
                return host.post(vec![Update::CacheMissing { key, problem: None }]);
            }
            CacheCommand::Keep { key, fresh } if c.enabled => c.keeping = Some((key, fresh)),
            CacheCommand::Keep { .. } => {}
            CacheCommand::Complete => {
                if let Some((key, fresh)) = c.keeping.clone() {
                    let frame = cache::frame(&Frame::Complete { at: now() }, &[]);
                    c.queue.push_back(Job::Append { key, frame, fresh });
                    if let Some(k) = c.keeping.as_mut() {
                        k.1 = false;
                    }
                }
            }
            CacheCommand::Stop => c.keeping = None,
            CacheCommand::Forget => {
                c.keeping = None;
                c.queue.push_back(Job::Forget);
            }
        }
        drop(c);
        Cache::run(this, host);
    }

    /// An answer the engine read: kept when it is data of the trail being kept.
    pub fn answer(
        this: &Rc<RefCell<Cache>>,
        purpose: &Purpose,
        body: Vec<u8>,
        read: &Read,
        host: Rc<dyn Host>,
    ) {
        let (data, facts) = match (purpose, read) {
            (
                Purpose::AuditPage { .. },
                Read::Page(capillary_client::PageAnswer::Read(Ok(facts))),
            ) => (true, Some(facts.clone())),
            (Purpose::StatusLog(_), Read::StatusLog { .. }) => (true, None),
            _ => (false, None),
        };
        let mut c = this.borrow_mut();
        let Some((key, fresh)) = c.keeping.clone().filter(|_| data && c.enabled) else {
            return;
        };
        let frame = cache::frame(
            &Frame::Answer {
                purpose: purpose.clone(),
                saved_at: now(),
                facts,
            },
            &body,
        );
        c.queue.push_back(Job::Append { key, frame, fresh });
        if let Some(k) = c.keeping.as_mut() {
            k.1 = false;
        }
        drop(c);
        Cache::run(this, host);
    }

    /// Runs the queue unless it is running already.
    fn run(this: &Rc<RefCell<Cache>>, host: Rc<dyn Host>) {
        {
            let mut c = this.borrow_mut();
            if c.running || c.queue.is_empty() {
                return;
            }
            c.running = true;
        }
        let this = this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let job = this.borrow_mut().queue.pop_front();
                let Some(job) = job else { break };
                let expiry_ms = this.borrow().expiry_ms;
                let outcome = match job {
                    Job::Sweep { enabled, expiry_ms } => sweep(enabled, expiry_ms).await,
                    Job::Open { key, label } => open(&key, &label, expiry_ms, host.as_ref()).await,
                    Job::Append { key, frame, fresh } => {
                        let result = append(&key, &frame, fresh).await;
                        if result.is_err() {
                            // A trail that could not be kept whole is kept no further.
                            let mut c = this.borrow_mut();
                            if c.keeping.as_ref().is_some_and(|(k, _)| *k == key) {
                                c.keeping = None;
                            }
                        }
                        result
                    }
                    Job::Forget => forget().await.map(|()| {
                        host.post(vec![Update::CacheNotice(Problem::new(
                            ProblemKind::Cache,
                            "Cached data forgotten: nothing is kept on this device any more.",
                        ))])
                    }),
                };
                if let Err(e) = outcome {
                    let unsupported = matches!(e, Failure::Unsupported(_));
                    let mut c = this.borrow_mut();
                    if unsupported && std::mem::replace(&mut c.unsupported_said, true) {
                        continue;
                    }
                    drop(c);
                    host.post(vec![Update::CacheNotice(Problem::new(
                        ProblemKind::Cache,
                        e.sentence(),
                    ))]);
                }
            }
            this.borrow_mut().running = false;
        });
    }
}

/// Why the cache could not do a job.
enum Failure {
    /// No OPFS or no synchronous handles here.
    Unsupported(String),
    /// The storage refused (quota, another tab holding the entry).
    Refused(String),
    /// A write did not read back as written.
    NotVerified(String),
}

impl Failure {
    fn sentence(&self) -> String {
        match self {
            Failure::Unsupported(why) => format!(
                "This browser cannot keep trails on the device ({why}); they load from the API each time."
            ),
            Failure::Refused(why) => format!(
                "The device's storage refused to keep this trail ({why}); what is shown is unaffected, and it is not kept."
            ),
            Failure::NotVerified(why) => format!(
                "A page of this trail did not read back as written to the device's storage ({why}); the trail is no longer kept, what is shown is unaffected."
            ),
        }
    }
}

fn text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| format!("{}: {}", e.name(), e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "an error without a message".into())
}

async fn wait(promise: Promise) -> Result<JsValue, Failure> {
    JsFuture::from(promise)
        .await
        .map_err(|e| Failure::Refused(text(&e)))
}

/// The cache folder; `create: false` gives `None` when there is none.
async fn folder(create: bool) -> Result<Option<FileSystemDirectoryHandle>, Failure> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let storage = scope.navigator().storage();
    if !Reflect::has(&storage, &"getDirectory".into()).unwrap_or(false) {
        return Err(Failure::Unsupported("no Origin Private File System".into()));
    }
    let root: FileSystemDirectoryHandle = wait(storage.get_directory()).await?.unchecked_into();
    let options = FileSystemGetDirectoryOptions::new();
    options.set_create(create);
    match JsFuture::from(root.get_directory_handle_with_options(FOLDER, &options)).await {
        Ok(dir) => Ok(Some(dir.unchecked_into())),
        Err(e) if !create && is_not_found(&e) => Ok(None),
        Err(e) => Err(Failure::Refused(text(&e))),
    }
}

fn is_not_found(e: &JsValue) -> bool {
    e.dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == "NotFoundError")
}

/// A synchronous handle on an entry (created when `create`); `None` when there is none.
async fn handle(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    create: bool,
) -> Result<Option<FileSystemSyncAccessHandle>, Failure> {
    let options = FileSystemGetFileOptions::new();
    options.set_create(create);
    let file: FileSystemFileHandle =
        match JsFuture::from(dir.get_file_handle_with_options(name, &options)).await {
            Ok(f) => f.unchecked_into(),
            Err(e) if !create && is_not_found(&e) => return Ok(None),
            Err(e) => return Err(Failure::Refused(text(&e))),
        };
    if !Reflect::has(&file, &"createSyncAccessHandle".into()).unwrap_or(false) {
        return Err(Failure::Unsupported("no synchronous file access".into()));
    }
    Ok(Some(
        wait(file.create_sync_access_handle())
            .await?
            .unchecked_into(),
    ))
}

fn at(offset: f64) -> FileSystemReadWriteOptions {
    let options = FileSystemReadWriteOptions::new();
    options.set_at(offset);
    options
}

/// The whole file behind `h`.
fn read_all(h: &FileSystemSyncAccessHandle) -> Result<Vec<u8>, Failure> {
    let size = h.get_size().map_err(|e| Failure::Refused(text(&e)))? as usize;
    let mut bytes = vec![0; size];
    let read = h
        .read_with_u8_array_and_options(&mut bytes, &at(0.0))
        .map_err(|e| Failure::Refused(text(&e)))? as usize;
    bytes.truncate(read);
    Ok(bytes)
}

/// Appends `frame` to the entry of `key` (emptied first when `fresh`) and checks it reads back.
async fn append(key: &str, frame: &[u8], fresh: bool) -> Result<(), Failure> {
    let Some(dir) = folder(true).await? else {
        return Ok(());
    };
    let Some(h) = handle(&dir, &cache::file_name(key), true).await? else {
        return Ok(());
    };
    let result = write_verified(&h, key, frame, fresh);
    h.close();
    result
}

fn write_verified(
    h: &FileSystemSyncAccessHandle,
    key: &str,
    frame: &[u8],
    fresh: bool,
) -> Result<(), Failure> {
    let refused = |e: JsValue| Failure::Refused(text(&e));
    if fresh {
        h.truncate_with_u32(0).map_err(refused)?;
    }
    let start = h.get_size().map_err(refused)?;
    let started;
    let frame = if start == 0.0 {
        let mut with_start = cache::frame(
            &Frame::Start {
                key: key.to_owned(),
                saved_at: now(),
            },
            &[],
        );
        with_start.extend_from_slice(frame);
        started = with_start;
        &started[..]
    } else {
        frame
    };
    let written = h
        .write_with_u8_array_and_options(frame, &at(start))
        .map_err(refused)? as usize;
    h.flush().map_err(refused)?;
    let mut back = vec![0; frame.len()];
    let read = h
        .read_with_u8_array_and_options(&mut back, &at(start))
        .map_err(refused)? as usize;
    if written == frame.len() && read == frame.len() && back == frame {
        return Ok(());
    }
    // Leave whole frames only: what did not verify is cut off again.
    let _ = h.truncate_with_f64(start);
    let _ = h.flush();
    Err(Failure::NotVerified(format!(
        "{} bytes written, {} of {} read back{}",
        written,
        read,
        frame.len(),
        if read == frame.len() {
            ", different"
        } else {
            ""
        }
    )))
}

/// Reads the entry of `key`: a usable one is handed to the engine ([`Command::Restore`]); a
/// damaged or expired one is removed.
async fn open(key: &str, label: &str, expiry_ms: i64, host: &dyn Host) -> Result<(), Failure> {
    let missing = |problem: Option<Problem>| {
        host.post(vec![Update::CacheMissing {
            key: key.to_owned(),
            problem,
        }])
    };
    let dir = match folder(false).await {
        Ok(Some(dir)) => dir,
        Ok(None) => {
            missing(None);
            return Ok(());
        }
        Err(e) => {
            missing(None);
            return Err(e);
        }
    };
    let name = cache::file_name(key);
    let bytes = match handle(&dir, &name, false).await {
        Ok(Some(h)) => {
            let bytes = read_all(&h);
            h.close();
            bytes
        }
        Ok(None) => {
            missing(None);
            return Ok(());
        }
        Err(e) => Err(e),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            missing(None);
            return Err(e);
        }
    };
    match cache::read_entry(&bytes, key, now(), expiry_ms) {
        Ok(entry) if entry.pages.is_empty() => missing(None),
        Ok(entry) => host.command(Command::Restore {
            label: label.to_owned(),
            trail: entry.trail,
            pages: entry.pages,
        }),
        Err(Unusable::OtherKey) => missing(None),
        Err(Unusable::Expired) => {
            remove(&dir, &name).await;
            missing(None)
        }
        Err(Unusable::Damaged(why)) => {
            remove(&dir, &name).await;
            missing(Some(Problem::new(
                ProblemKind::CacheDamaged,
                format!("The copy of this trail kept on this device was damaged ({why}); it was discarded and the trail loads from the API."),
            )))
        }
    }
    Ok(())
}

async fn remove(dir: &FileSystemDirectoryHandle, name: &str) {
    let _ = JsFuture::from(dir.remove_entry(name)).await;
}

/// At start: with the cache on, expired (or unreadable) entries go; with it off, everything an
/// earlier configuration kept goes.
async fn sweep(enabled: bool, expiry_ms: i64) -> Result<(), Failure> {
    if !enabled {
        return match folder(false).await {
            Ok(Some(_)) => forget().await,
            // Nothing kept, or no OPFS at all: nothing to say when the cache is off.
            Ok(None) | Err(_) => Ok(()),
        };
    }
    let Some(dir) = folder(false).await? else {
        return Ok(());
    };
    let names = entry_names(&dir).await?;
    let now = now();
    for name in names {
        let expired = match handle(&dir, &name, false).await {
            Ok(Some(h)) => {
                let mut head = vec![0; 4096];
                let read = h.read_with_u8_array_and_options(&mut head, &at(0.0));
                h.close();
                match read {
                    Ok(n) => {
                        head.truncate(n as usize);
                        cache::head_expired(&head, now, expiry_ms)
                    }
                    Err(_) => true,
                }
            }
            // Held by another tab: that tab is using it.
            Ok(None) | Err(_) => false,
        };
        if expired {
            remove(&dir, &name).await;
        }
    }
    Ok(())
}

/// The names in the cache folder.
async fn entry_names(dir: &FileSystemDirectoryHandle) -> Result<Vec<String>, Failure> {
    let keys = dir.keys();
    let mut names = Vec::new();
    loop {
        let step = wait(keys.next().map_err(|e| Failure::Refused(text(&e)))?).await?;
        if Reflect::get(&step, &"done".into())
            .ok()
            .is_some_and(|d| d.is_truthy())
        {
            return Ok(names);
        }
        if let Some(name) = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            names.push(name);
        }
    }
}

/// Removes the cache folder and everything in it.
async fn forget() -> Result<(), Failure> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let storage = scope.navigator().storage();
    if !Reflect::has(&storage, &"getDirectory".into()).unwrap_or(false) {
        return Ok(());
    }
    let root: FileSystemDirectoryHandle = wait(storage.get_directory()).await?.unchecked_into();
    let options = FileSystemRemoveOptions::new();
    options.set_recursive(true);
    match JsFuture::from(root.remove_entry_with_options(FOLDER, &options)).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(Failure::Refused(text(&e))),
    }
}
