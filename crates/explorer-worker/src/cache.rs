//! The on-device cache's IO: trails kept in the Origin Private File System through synchronous
//! access handles ([`opfs`]), or in IndexedDB where the worker has no such handles
//! ([`indexed_db`]: Safari before 16.4, Firefox before 111, Firefox's private windows), one
//! entry per trail (explorer-model's `cache` says what is in it).
//!
//! Every change goes through one queue, run by one task at a time: an entry must be read after
//! the writes asked before it. Every write is verified: what was written is read back and
//! compared, and what does not read back (Perfetto saw large writes fail silently) is removed
//! again, so an entry always holds whole frames, and the user is told the trail is no longer
//! kept. Reading goes a frame at a time, each answer straight into a page of its own
//! (explorer-model's `read_entry_from`), and checks every frame before any is shown; a damaged
//! entry is removed with a notice, never shown.
//!
//! Where the browser has neither, nothing is kept: the first attempt says so once, and the
//! explorer loads from the API as without a cache.

mod indexed_db;
mod opfs;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use explorer_model::cache::{self, Entry, Frame, Unusable};
use explorer_model::{CacheCommand, Command, Problem, ProblemKind, Purpose, Read, Update};
use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::intl::now;

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
    /// Where entries are kept, once the first job has found out.
    shelf: Option<Result<Shelf, String>>,
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
                // Ahead of the start-up sweep still waiting (the entry's own expiry is checked
                // as it is read): a reload's trail is on screen ~25 ms sooner.
                let sweeps = c
                    .queue
                    .iter()
                    .rev()
                    .take_while(|j| matches!(j, Job::Sweep { .. }))
                    .count();
                let at = c.queue.len() - sweeps;
                c.queue.insert(at, Job::Open { key, label })
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

    /// Where entries are kept, found out once.
    async fn shelf(this: &Rc<RefCell<Cache>>) -> Result<Shelf, Failure> {
        let known = this.borrow().shelf.clone();
        let shelf = match known {
            Some(shelf) => shelf,
            None => {
                let shelf = Shelf::find().await;
                this.borrow_mut().shelf = Some(shelf.clone());
                shelf
            }
        };
        shelf.map_err(Failure::Unsupported)
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
                    // Forgetting needs no shelf: it clears whichever storage holds entries.
                    Job::Sweep { enabled: false, .. } => Shelf::forget_all().await,
                    Job::Forget => Shelf::forget_all().await.map(|()| {
                        host.post(vec![Update::CacheNotice(Problem::new(
                            ProblemKind::Cache,
                            "Cached data forgotten: nothing is kept on this device any more.",
                        ))])
                    }),
                    Job::Sweep { expiry_ms, .. } => {
                        async { Cache::shelf(&this).await?.sweep(expiry_ms).await }.await
                    }
                    Job::Open { key, label } => match Cache::shelf(&this).await {
                        Ok(shelf) => open(shelf, &key, &label, expiry_ms, host.as_ref()).await,
                        Err(e) => {
                            host.post(vec![Update::CacheMissing { key, problem: None }]);
                            Err(e)
                        }
                    },
                    Job::Append { key, frame, fresh } => {
                        let result =
                            async { Cache::shelf(&this).await?.append(&key, &frame, fresh).await }
                                .await;
                        if result.is_err() {
                            // A trail that could not be kept whole is kept no further.
                            let mut c = this.borrow_mut();
                            if c.keeping.as_ref().is_some_and(|(k, _)| *k == key) {
                                c.keeping = None;
                            }
                        }
                        result
                    }
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
    /// Neither OPFS with synchronous handles nor IndexedDB here.
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

/// Where entries are kept.
#[derive(Clone, Copy, Debug)]
enum Shelf {
    Opfs,
    IndexedDb,
}

impl Shelf {
    /// OPFS where the worker has it with synchronous handles (fastest: no promise per read),
    /// else IndexedDB; why neither, where there is neither.
    async fn find() -> Result<Shelf, String> {
        if opfs::usable().await {
            Ok(Shelf::Opfs)
        } else if indexed_db::usable() {
            Ok(Shelf::IndexedDb)
        } else {
            Err("no Origin Private File System with synchronous access, no IndexedDB".into())
        }
    }

    async fn append(self, key: &str, frame: &[u8], fresh: bool) -> Result<(), Failure> {
        match self {
            Shelf::Opfs => opfs::append(key, frame, fresh).await,
            Shelf::IndexedDb => indexed_db::append(key, frame, fresh).await,
        }
    }

    async fn read(
        self,
        key: &str,
        expiry_ms: i64,
    ) -> Result<Option<Result<Entry, Unusable>>, Failure> {
        match self {
            Shelf::Opfs => opfs::read(key, expiry_ms).await,
            Shelf::IndexedDb => indexed_db::read(key, expiry_ms).await,
        }
    }

    async fn remove(self, key: &str) {
        match self {
            Shelf::Opfs => opfs::remove(key).await,
            Shelf::IndexedDb => indexed_db::remove(key).await,
        }
    }

    async fn sweep(self, expiry_ms: i64) -> Result<(), Failure> {
        match self {
            Shelf::Opfs => opfs::sweep(expiry_ms).await,
            Shelf::IndexedDb => indexed_db::sweep(expiry_ms).await,
        }
    }

    /// Removes everything kept, on either shelf (a browser may have kept trails on the other
    /// before an update gave it synchronous handles).
    async fn forget_all() -> Result<(), Failure> {
        let files = opfs::forget().await;
        let database = indexed_db::forget().await;
        files.and(database)
    }
}

/// What to write to append `frame` to an entry: an empty one begins with its `Start` frame.
fn to_append<'a>(key: &str, frame: &'a [u8], empty: bool) -> std::borrow::Cow<'a, [u8]> {
    if !empty {
        return frame.into();
    }
    let mut out = cache::frame(
        &Frame::Start {
            key: key.to_owned(),
            saved_at: now(),
        },
        &[],
    );
    out.extend_from_slice(frame);
    out.into()
}

fn not_verified(written: usize, read: usize, len: usize) -> Failure {
    Failure::NotVerified(format!(
        "{written} bytes written, {read} of {len} read back{}",
        if read == len { ", different" } else { "" }
    ))
}

/// Reads the entry of `key`: a usable one is handed to the engine ([`Command::Restore`]); a
/// damaged or expired one is removed.
async fn open(
    shelf: Shelf,
    key: &str,
    label: &str,
    expiry_ms: i64,
    host: &dyn Host,
) -> Result<(), Failure> {
    let missing = |problem: Option<Problem>| {
        host.post(vec![Update::CacheMissing {
            key: key.to_owned(),
            problem,
        }])
    };
    let read = match shelf.read(key, expiry_ms).await {
        Ok(Some(read)) => read,
        Ok(None) => {
            missing(None);
            return Ok(());
        }
        Err(e) => {
            missing(None);
            return Err(e);
        }
    };
    match read {
        Ok(entry) if entry.pages.is_empty() => missing(None),
        Ok(entry) => host.command(Command::Restore {
            label: label.to_owned(),
            trail: entry.trail,
            pages: entry.pages,
        }),
        Err(Unusable::OtherKey) => missing(None),
        Err(Unusable::Expired) => {
            shelf.remove(key).await;
            missing(None)
        }
        Err(Unusable::Damaged(why)) => {
            shelf.remove(key).await;
            missing(Some(Problem::new(
                ProblemKind::CacheDamaged,
                format!("The copy of this trail kept on this device was damaged ({why}); it was discarded and the trail loads from the API."),
            )))
        }
    }
    Ok(())
}
