//! Entries in IndexedDB, where the browser gives a worker no OPFS with synchronous handles
//! (Safari before 16.4, Firefox before 111, Firefox's private windows). One database,
//! [`DATABASE`], one object store, [`RECORDS`]: an entry is the records keyed
//! `[file name, 0..n]`, each a run of whole frames (the first holds the `Start` frame), so
//! reading an entry is reading its records in key order, and a refresh appends one record.
//!
//! Every write is read back and compared in a transaction of its own, and a record that does
//! not read back is deleted again (Perfetto saw large IndexedDB writes fail silently).

use explorer_model::cache::{self, Entry, Unusable};
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

use super::{text, Failure};
use crate::intl::now;

/// The database the explorer keeps trails in.
pub const DATABASE: &str = "audit-explorer-trails";
/// Its one object store: records of whole frames keyed `[file name, sequence]`.
const RECORDS: &str = "frames";

/// This scope's IndexedDB, if it has one.
fn factory() -> Option<IdbFactory> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope.indexed_db().ok().flatten()
}

/// Whether this browser gives the worker IndexedDB.
pub fn usable() -> bool {
    factory().is_some()
}

fn refused(e: JsValue) -> Failure {
    Failure::Refused(text(&e))
}

/// What `request` gave once it succeeded.
async fn done(request: &IdbRequest) -> Result<JsValue, Failure> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result().map_err(refused),
        Err(_) => Err(Failure::Refused(
            request
                .error()
                .ok()
                .flatten()
                .map(|e| format!("{}: {}", e.name(), e.message()))
                .unwrap_or_else(|| "IndexedDB refused the request".into()),
        )),
    }
}

/// Waits until `tx` has committed (a write is on the device only then).
async fn committed(tx: &IdbTransaction) -> Result<(), Failure> {
    let promise = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    tx.set_oncomplete(None);
    tx.set_onerror(None);
    tx.set_onabort(None);
    outcome.map(|_| ()).map_err(|_| {
        Failure::Refused(
            tx.error()
                .map(|e| format!("{}: {}", e.name(), e.message()))
                .unwrap_or_else(|| "IndexedDB did not keep the write".into()),
        )
    })
}

/// The database, created with its store on first use.
async fn open() -> Result<IdbDatabase, Failure> {
    let factory = factory().ok_or_else(|| Failure::Unsupported("no IndexedDB".into()))?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DATABASE, 1).map_err(refused)?;
    let upgrade = {
        let request = request.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            if let Ok(db) = request.result() {
                let db: IdbDatabase = db.unchecked_into();
                if !db.object_store_names().contains(RECORDS) {
                    let _ = db.create_object_store(RECORDS);
                }
            }
        })
    };
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = done(&request).await;
    request.set_onupgradeneeded(None);
    Ok(db?.unchecked_into())
}

fn store(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<(IdbTransaction, IdbObjectStore), Failure> {
    let tx = db
        .transaction_with_str_and_mode(RECORDS, mode)
        .map_err(refused)?;
    let store = tx.object_store(RECORDS).map_err(refused)?;
    Ok((tx, store))
}

fn record_key(name: &str, seq: u32) -> JsValue {
    Array::of2(&name.into(), &seq.into()).into()
}

/// Every record of the entry `name`.
fn entry_range(name: &str) -> Result<IdbKeyRange, Failure> {
    IdbKeyRange::bound(
        &record_key(name, 0),
        &Array::of2(&name.into(), &f64::INFINITY.into()),
    )
    .map_err(refused)
}

/// Appends `frame` to the entry of `key` (emptied first when `fresh`) and checks it reads back.
pub async fn append(key: &str, frame: &[u8], fresh: bool) -> Result<(), Failure> {
    let db = open().await?;
    let result = append_verified(&db, &cache::file_name(key), key, frame, fresh).await;
    db.close();
    result
}

async fn append_verified(
    db: &IdbDatabase,
    name: &str,
    key: &str,
    frame: &[u8],
    fresh: bool,
) -> Result<(), Failure> {
    let range = entry_range(name)?;
    let (tx, records) = store(db, IdbTransactionMode::Readwrite)?;
    if fresh {
        records.delete(&range).map_err(refused)?;
    }
    let held = done(&records.count_with_key(&range).map_err(refused)?).await?;
    let seq = held.as_f64().unwrap_or(0.0) as u32;
    let frame = &*super::to_append(key, frame, seq == 0);
    records
        .put_with_key(&Uint8Array::from(frame), &record_key(name, seq))
        .map_err(refused)?;
    committed(&tx).await?;
    // Read back in a transaction of its own: what was committed, not what is cached in memory.
    let (tx, records) = store(db, IdbTransactionMode::Readonly)?;
    let back = done(&records.get(&record_key(name, seq)).map_err(refused)?).await?;
    let back = back.dyn_into::<Uint8Array>().ok().map(|b| b.to_vec());
    drop(tx);
    if back.as_deref() == Some(frame) {
        return Ok(());
    }
    let read = back.as_ref().map_or(0, Vec::len);
    // Leave whole frames only: what did not verify is deleted again.
    if let Ok((tx, records)) = store(db, IdbTransactionMode::Readwrite) {
        if records.delete(&record_key(name, seq)).is_ok() {
            let _ = committed(&tx).await;
        }
    }
    Err(super::not_verified(frame.len(), read, frame.len()))
}

/// An entry's records, read as one sequence of bytes.
struct Records(Vec<Uint8Array>);

impl cache::EntrySource for Records {
    fn size(&mut self) -> Result<usize, String> {
        Ok(self.0.iter().map(|r| r.length() as usize).sum())
    }

    fn read_at(&mut self, at: usize, buf: &mut [u8]) -> Result<usize, String> {
        let (mut start, mut filled) = (0, 0);
        for record in &self.0 {
            let len = record.length() as usize;
            if filled < buf.len() && at + filled < start + len {
                let from = at + filled - start;
                let n = (len - from).min(buf.len() - filled);
                record
                    .subarray(from as u32, (from + n) as u32)
                    .copy_to(&mut buf[filled..filled + n]);
                filled += n;
            }
            start += len;
        }
        Ok(filled)
    }
}

/// The entry of `key`, checked (see `cache::read_entry_from`); `None` when there is none.
pub async fn read(key: &str, expiry_ms: i64) -> Result<Option<Result<Entry, Unusable>>, Failure> {
    let db = open().await?;
    let records = read_records(&db, &cache::file_name(key)).await;
    db.close();
    let records = records?;
    if records.is_empty() {
        return Ok(None);
    }
    cache::read_entry_from(&mut Records(records), key, now(), expiry_ms)
        .map(Some)
        .map_err(Failure::Refused)
}

async fn read_records(db: &IdbDatabase, name: &str) -> Result<Vec<Uint8Array>, Failure> {
    let (_tx, records) = store(db, IdbTransactionMode::Readonly)?;
    let range = entry_range(name)?;
    let all = done(&records.get_all_with_key(&range).map_err(refused)?).await?;
    Ok(Array::from(&all)
        .iter()
        .filter_map(|r| r.dyn_into::<Uint8Array>().ok())
        .collect())
}

/// Removes the entry of `key`.
pub async fn remove(key: &str) {
    if let Ok(db) = open().await {
        let _ = remove_entry(&db, &cache::file_name(key)).await;
        db.close();
    }
}

async fn remove_entry(db: &IdbDatabase, name: &str) -> Result<(), Failure> {
    let (tx, records) = store(db, IdbTransactionMode::Readwrite)?;
    let range = entry_range(name)?;
    records.delete(&range).map_err(refused)?;
    committed(&tx).await
}

/// Removes the entries expired at `now` (or whose first record does not read).
pub async fn sweep(expiry_ms: i64) -> Result<(), Failure> {
    let db = open().await?;
    let result = sweep_in(&db, expiry_ms).await;
    db.close();
    result
}

async fn sweep_in(db: &IdbDatabase, expiry_ms: i64) -> Result<(), Failure> {
    let (_tx, records) = store(db, IdbTransactionMode::Readonly)?;
    let keys = done(&records.get_all_keys().map_err(refused)?).await?;
    let now = now();
    for key in Array::from(&keys).iter() {
        let key = Array::from(&key);
        let (Some(name), Some(0.0)) = (key.get(0).as_string(), key.get(1).as_f64()) else {
            continue;
        };
        let (_tx, records) = store(db, IdbTransactionMode::Readonly)?;
        let head = done(&records.get(&record_key(&name, 0)).map_err(refused)?).await?;
        let head = head
            .dyn_into::<Uint8Array>()
            .map(|h| h.to_vec())
            .unwrap_or_default();
        if cache::head_expired(&head, now, expiry_ms) {
            remove_entry(db, &name).await?;
        }
    }
    Ok(())
}

/// Deletes the database and everything in it (nothing to do where there is none).
pub async fn forget() -> Result<(), Failure> {
    let Some(factory) = factory() else {
        return Ok(());
    };
    let request = factory.delete_database(DATABASE).map_err(refused)?;
    done(&request).await.map(|_| ())
}
