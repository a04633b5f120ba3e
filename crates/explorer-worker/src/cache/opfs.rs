//! Entries in the Origin Private File System: one file per trail in [`FOLDER`], read and
//! written through synchronous access handles, which only a dedicated worker may open (fast: no
//! copy through a stream, no promise per write). A handle is exclusive: a tab holding an entry
//! keeps another from opening it meanwhile.

use explorer_model::cache::{self, Entry, Unusable};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemReadWriteOptions, FileSystemRemoveOptions,
    FileSystemSyncAccessHandle,
};

use super::{text, wait, Failure};
use crate::intl::now;

/// The OPFS folder the explorer keeps trails in.
const FOLDER: &str = "audit-explorer-trails";

/// Whether this browser gives a worker OPFS with synchronous handles (where it does not, or
/// refuses its root, as Firefox does in a private window, the cache uses IndexedDB).
pub async fn usable() -> bool {
    let sync_handles = Reflect::get(&js_sys::global(), &"FileSystemFileHandle".into())
        .and_then(|class| Reflect::get(&class, &"prototype".into()))
        .and_then(|proto| Reflect::has(&proto, &"createSyncAccessHandle".into()))
        .unwrap_or(false);
    sync_handles && root().await.is_ok()
}

/// The root of this origin's private file system.
async fn root() -> Result<FileSystemDirectoryHandle, Failure> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let storage = scope.navigator().storage();
    // Called where it is missing, the binding would throw through the module.
    if !Reflect::has(&storage, &"getDirectory".into()).unwrap_or(false) {
        return Err(Failure::Unsupported("no Origin Private File System".into()));
    }
    Ok(wait(storage.get_directory()).await?.unchecked_into())
}

/// The cache folder; `create: false` gives `None` when there is none.
async fn folder(create: bool) -> Result<Option<FileSystemDirectoryHandle>, Failure> {
    let options = FileSystemGetDirectoryOptions::new();
    options.set_create(create);
    match JsFuture::from(
        root()
            .await?
            .get_directory_handle_with_options(FOLDER, &options),
    )
    .await
    {
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
    Ok(Some(
        wait(file.create_sync_access_handle())
            .await?
            .unchecked_into(),
    ))
}

fn at_offset(offset: f64) -> FileSystemReadWriteOptions {
    let options = FileSystemReadWriteOptions::new();
    options.set_at(offset);
    options
}

/// An entry read through its synchronous handle, a frame at a time.
struct Handle<'a>(&'a FileSystemSyncAccessHandle);

impl cache::EntrySource for Handle<'_> {
    fn size(&mut self) -> Result<usize, String> {
        self.0.get_size().map(|s| s as usize).map_err(|e| text(&e))
    }

    fn read_at(&mut self, at: usize, buf: &mut [u8]) -> Result<usize, String> {
        self.0
            .read_with_u8_array_and_options(buf, &at_offset(at as f64))
            .map(|n| n as usize)
            .map_err(|e| text(&e))
    }
}

/// Appends `frame` to the entry of `key` (emptied first when `fresh`) and checks it reads back.
pub async fn append(key: &str, frame: &[u8], fresh: bool) -> Result<(), Failure> {
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
    let frame = &*super::to_append(key, frame, start == 0.0);
    let written = h
        .write_with_u8_array_and_options(frame, &at_offset(start))
        .map_err(refused)? as usize;
    h.flush().map_err(refused)?;
    let mut back = vec![0; frame.len()];
    let read = h
        .read_with_u8_array_and_options(&mut back, &at_offset(start))
        .map_err(refused)? as usize;
    if written == frame.len() && read == frame.len() && back == frame {
        return Ok(());
    }
    // Leave whole frames only: what did not verify is cut off again.
    let _ = h.truncate_with_f64(start);
    let _ = h.flush();
    Err(super::not_verified(written, read, frame.len()))
}

/// The entry of `key`, checked (see `cache::read_entry_from`); `None` when there is none.
pub async fn read(key: &str, expiry_ms: i64) -> Result<Option<Result<Entry, Unusable>>, Failure> {
    let Some(dir) = folder(false).await? else {
        return Ok(None);
    };
    let Some(h) = handle(&dir, &cache::file_name(key), false).await? else {
        return Ok(None);
    };
    let read = cache::read_entry_from(&mut Handle(&h), key, now(), expiry_ms);
    h.close();
    read.map(Some).map_err(Failure::Refused)
}

/// Removes the entry of `key`.
pub async fn remove(key: &str) {
    if let Ok(Some(dir)) = folder(false).await {
        let _ = JsFuture::from(dir.remove_entry(&cache::file_name(key))).await;
    }
}

/// Removes the entries expired at `now` (or whose first frame does not read).
pub async fn sweep(expiry_ms: i64) -> Result<(), Failure> {
    let Some(dir) = folder(false).await? else {
        return Ok(());
    };
    let names = entry_names(&dir).await?;
    let now = now();
    for name in names {
        let expired = match handle(&dir, &name, false).await {
            Ok(Some(h)) => {
                let mut head = vec![0; 4096];
                let read = h.read_with_u8_array_and_options(&mut head, &at_offset(0.0));
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
            let _ = JsFuture::from(dir.remove_entry(&name)).await;
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

/// Removes the cache folder and everything in it (nothing to do where there is none).
pub async fn forget() -> Result<(), Failure> {
    let Ok(root) = root().await else {
        return Ok(());
    };
    let options = FileSystemRemoveOptions::new();
    options.set_recursive(true);
    match JsFuture::from(root.remove_entry_with_options(FOLDER, &options)).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(Failure::Refused(text(&e))),
    }
}
