//! Trails that last, tried as a member-care agent would: a case file exported and opened again,
//! a Refresh that fetches only what arrived (requests counted at the simulator), and the opt-in
//! on-device cache (a reload shows the trail before any audit request; Forget empties it; an
//! expired or damaged copy is never shown; with the cache off nothing is stored, storage
//! inspected; a load cut short by a reload goes on after the pages kept).

use std::time::Duration;

use capillary_sim::Config;
use capillary_vocab::EntityType;
use e2e::{dist_dir, Browser, Deployment, StaticServer};
use explorer_model::cache::{frame, frames, Frame};
use serde_json::{json, Value};

/// The fetch line (it comes and goes with the live load).
const FETCH_STATUS: &str = "[data-testid=fetch-status]";

/// The small customer (12 records, a status log) and the large one (5,000 records).
const SMALL: &str = "98662654";
const LARGE: &str = "98662655";

async fn app(config: &str) -> (StaticServer, capillary_sim::Running, Browser) {
    app_in_browser(config, &[]).await
}

/// [`app`] in a Chromium started with `args`.
async fn app_in_browser(
    config: &str,
    args: &[&str],
) -> (StaticServer, capillary_sim::Running, Browser) {
    app_with(config, args, &[]).await
}

/// [`app_in_browser`] against a simulator with the fault rules `faults` (see capillary-sim).
async fn app_with(
    config: &str,
    args: &[&str],
    faults: &[&str],
) -> (StaticServer, capillary_sim::Running, Browser) {
    let app = StaticServer::deploy(
        &dist_dir(),
        "/",
        Deployment {
            config: Some(None),
            ..Deployment::default()
        },
    )
    .await;
    let sim = capillary_sim::spawn(Config {
        cors_origins: vec![app.origin()],
        faults: faults.iter().map(|f| f.to_string()).collect(),
        ..Config::default()
    })
    .await
    .expect("simulator starts");
    app.set_config(&config.replace("SIM", &sim.url()));
    let b = Browser::start_with_args(args).await;
    b.goto(&app.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    (app, sim, b)
}

/// Connects with Basic auth, kept for the tab (a reload then needs no typing), and loads `id`.
async fn connect(b: &Browser, sim: &capillary_sim::Running, id: &str) {
    if b.all("[data-testid=connect-panel]").await.is_empty() {
        b.click("[data-testid=connect-toggle]").await;
    }
    b.fill("api-base", &sim.url()).await;
    b.click("[data-testid=auth-basic]").await;
    b.fill("username", "demo").await;
    b.fill("password", "demo123").await;
    let keep = b.wait_for("[data-testid=keep-session]").await;
    if !keep.is_selected().await.unwrap() {
        keep.click().await.unwrap();
    }
    b.fill("entity-id", id).await;
    b.click("[data-testid=connect-load]").await;
}

async fn loaded(b: &Browser, what: &str) {
    let mut last = String::new();
    let deadline = tokio::time::Instant::now() + e2e::PATIENCE;
    while tokio::time::Instant::now() < deadline {
        last = b.text_now(FETCH_STATUS).await;
        if last.contains(what) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the fetch line never said {what:?}; it says {last:?}");
}

/// Audit requests the simulator has seen since `from`.
fn audits_since(sim: &capillary_sim::Running, from: usize) -> Vec<String> {
    sim.requests()
        .into_iter()
        .skip(from)
        .filter(|r| r.starts_with("/api_gateway/v2/audits"))
        .collect()
}

/// The `pageNo` each of `audits` asked for.
fn page_numbers(audits: &[String]) -> Vec<u32> {
    audits
        .iter()
        .map(|a| {
            let (_, query) = a.split_once('?').unwrap_or((a, ""));
            query
                .split('&')
                .find_map(|p| p.strip_prefix("pageNo="))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("an audit request without a page number: {a}"))
        })
        .collect()
}

async fn script(b: &Browser, js: &str) -> Value {
    b.client
        .execute_async(js, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}"))
}

/// Names in the explorer's OPFS folder, or null when there is none.
const LIST_CACHE: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const root = await navigator.storage.getDirectory();
  let dir;
  try { dir = await root.getDirectoryHandle('audit-explorer-trails'); } catch (e) { return done(null); }
  const names = [];
  for await (const name of dir.keys()) names.push(name);
  done(names);
})().catch(e => done('error: ' + e));
"#;

async fn cached_names(b: &Browser) -> Value {
    script(b, LIST_CACHE).await
}

/// A script's array of byte values as bytes.
fn bytes_of(value: &Value) -> Vec<u8> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{value}"))
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect()
}

/// The bytes of a kept entry.
async fn read_entry(b: &Browser, name: &str) -> Vec<u8> {
    let js = format!(
        r#"
const done = arguments[arguments.length - 1];
(async () => {{
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('audit-explorer-trails');
  const file = await (await dir.getFileHandle('{name}')).getFile();
  done(Array.from(new Uint8Array(await file.arrayBuffer())));
}})().catch(e => done('error: ' + e));
"#
    );
    let bytes = script(b, &js).await;
    bytes_of(&bytes)
}

/// Writes `bytes` as an entry (creating the folder), as a damaged disk or an old copy would
/// leave it.
async fn write_entry(b: &Browser, name: &str, bytes: &[u8]) {
    let js = format!(
        r#"
const done = arguments[arguments.length - 1];
(async () => {{
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle('audit-explorer-trails', {{ create: true }});
  const file = await dir.getFileHandle('{name}', {{ create: true }});
  const w = await file.createWritable();
  await w.write(new Uint8Array({}));
  await w.close();
  done('ok');
}})().catch(e => done('error: ' + e));
"#,
        json!(bytes)
    );
    assert_eq!(script(b, &js).await, json!("ok"));
}

/// What `f` gives once it gives something (polled for up to 30 s).
async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The one entry kept, waiting until the worker has written it.
async fn the_entry(b: &Browser) -> String {
    until("a trail is kept on the device", || async {
        let names = cached_names(b).await;
        match names.as_array().map(Vec::as_slice) {
            Some([one]) => one.as_str().map(str::to_owned),
            _ => None,
        }
    })
    .await
}

/// Runs `body` (JavaScript) with `db`, the explorer's IndexedDB database, open (null when
/// there is none: it is never created here) and `req(r)` turning a request into a promise; what
/// it gives is the script's result.
async fn with_database(b: &Browser, body: &str) -> Value {
    let js = format!(
        r#"
const done = arguments[arguments.length - 1];
const req = r => new Promise((ok, no) => {{ r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }});
(async () => {{
  const names = (await indexedDB.databases()).map(d => d.name);
  const db = names.includes('audit-explorer-trails') ? await req(indexedDB.open('audit-explorer-trails')) : null;
  try {{ done(await (async () => {{ {body} }})()); }} finally {{ if (db) db.close(); }}
}})().catch(e => done('error: ' + e));
"#
    );
    script(b, &js).await
}

/// The entry names kept in IndexedDB (one per trail), or null when there is no database.
async fn database_names(b: &Browser) -> Value {
    with_database(
        b,
        r#"
  if (!db) return null;
  const keys = await req(db.transaction('frames').objectStore('frames').getAllKeys());
  return [...new Set(keys.map(k => k[0]))];"#,
    )
    .await
}

/// An IndexedDB entry's records, as one sequence of bytes.
async fn read_database_entry(b: &Browser, name: &str) -> Vec<u8> {
    let bytes = with_database(
        b,
        &format!(
            r#"
  const range = IDBKeyRange.bound(['{name}', 0], ['{name}', Infinity]);
  const records = await req(db.transaction('frames').objectStore('frames').getAll(range));
  return records.flatMap(r => Array.from(r));"#
        ),
    )
    .await;
    bytes_of(&bytes)
}

/// Replaces an IndexedDB entry with `bytes`, as a damaged disk would leave it.
async fn write_database_entry(b: &Browser, name: &str, bytes: &[u8]) {
    let done = with_database(
        b,
        &format!(
            r#"
  const tx = db.transaction('frames', 'readwrite');
  const store = tx.objectStore('frames');
  store.delete(IDBKeyRange.bound(['{name}', 0], ['{name}', Infinity]));
  store.put(new Uint8Array({}), ['{name}', 0]);
  await new Promise((ok, no) => {{ tx.oncomplete = ok; tx.onerror = () => no(tx.error); }});
  return 'ok';"#,
            json!(bytes)
        ),
    )
    .await;
    assert_eq!(done, json!("ok"));
}

/// Reloads and checks the trail shown is the kept copy, with its age, and that no audit
/// request but the refresh's (at most one, from a `startDate`) was sent for it.
async fn a_reload_shows_the_kept_copy_first(b: &Browser, sim: &capillary_sim::Running) {
    let shown = b.text("[data-testid=loaded-count]").await;
    let before = sim.requests().len();
    reload(b).await;
    let age = b.text("[data-testid=cached-age]").await;
    assert!(age.contains("kept on this device"), "{age}");
    loaded(b, "Up to date").await;
    assert_eq!(b.text("[data-testid=loaded-count]").await, shown);
    let audits = audits_since(sim, before);
    assert!(
        audits.len() <= 1 && audits.iter().all(|a| a.contains("startDate=")),
        "no audit request but the refresh's: {audits:?}"
    );
}

/// Where the worker keeps trails: OPFS files, or IndexedDB where there is no OPFS.
#[derive(Clone, Copy)]
enum Shelf {
    Files,
    Database,
}

/// Damages the kept copy `name` in its middle, reloads, and checks it is discarded with a
/// notice, never shown, and the trail fetched again.
async fn a_damaged_copy_is_discarded(
    b: &Browser,
    sim: &capillary_sim::Running,
    shelf: Shelf,
    name: &str,
) {
    let mut damaged = match shelf {
        Shelf::Files => read_entry(b, name).await,
        Shelf::Database => read_database_entry(b, name).await,
    };
    assert!(frames(&damaged).is_ok(), "the entry reads back whole");
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x5a;
    match shelf {
        Shelf::Files => write_entry(b, name, &damaged).await,
        Shelf::Database => write_database_entry(b, name, &damaged).await,
    }
    let before = sim.requests().len();
    reload(b).await;
    let notice = b
        .wait_for("[data-testid=error][data-kind=cache-damaged]")
        .await;
    assert!(notice.text().await.unwrap().contains("discarded"));
    loaded(b, "12 of 12").await;
    assert!(
        b.all("[data-testid=cached-age]").await.is_empty(),
        "a damaged copy is not shown"
    );
    assert!(
        audits_since(sim, before)
            .iter()
            .any(|a| !a.contains("startDate=")),
        "the trail was fetched again"
    );
}

async fn reload(b: &Browser) {
    b.client.refresh().await.unwrap();
    b.wait_for("[data-testid=event-row]").await;
}

#[tokio::test]
async fn an_exported_case_file_opens_again_with_the_same_events_and_view() {
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.goto(&server.url("q=type%3Aidentifier&tz=%2B05%3A30"))
        .await;
    b.wait_for("[data-testid=event-row]").await;
    b.click("[data-testid=event-row]").await;
    b.wait_for("[data-testid=event-detail]").await;
    let exported_link = b.url().await;
    assert!(exported_link.contains("event="), "{exported_link}");
    let count = b.text("[data-testid=match-count]").await;
    // Keep what the page downloads instead of saving it.
    script(
        &b,
        r#"
const done = arguments[arguments.length - 1];
window.__downloads = [];
URL.revokeObjectURL = () => {};
HTMLAnchorElement.prototype.click = function () { window.__downloads.push({ name: this.download, href: this.href }); };
done('ok');
"#,
    )
    .await;
    b.click("[data-testid=export-json]").await;
    let file = until("the case file is downloaded", || async {
        let file = script(
            &b,
            r#"
const done = arguments[arguments.length - 1];
const d = window.__downloads[0];
if (!d) { done(null); } else { fetch(d.href).then(r => r.text()).then(text => done({ name: d.name, text })); }
"#,
        )
        .await;
        (!file.is_null()).then_some(file)
    })
    .await;
    let name = file["name"].as_str().unwrap();
    assert!(
        name.contains("-100200300-") && name.ends_with(".case.json"),
        "named after the entity and the day: {name}"
    );
    let doc: Value =
        serde_json::from_str(file["text"].as_str().unwrap()).expect("one JSON document");
    assert_eq!(doc["caseFile"], 1, "{}", doc["header"]);
    assert_eq!(doc["header"]["zone"], "+05:30", "{}", doc["header"]);
    assert_eq!(
        doc["header"]["view"]["q"], "type:identifier",
        "{}",
        doc["header"]
    );
    assert!(doc["statusLogs"]["customer"]
        .as_array()
        .is_some_and(|l| !l.is_empty()));
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, file["text"].as_str().unwrap()).unwrap();
    b.close().await;

    // A colleague opens it in a fresh explorer (the demo, another view).
    let b = Browser::start().await;
    b.goto(&server.url("view=status")).await;
    b.wait_for("[data-testid=status-entry]").await;
    let input = b.wait_for("[data-testid=open-files]").await;
    input.send_keys(&path.display().to_string()).await.unwrap();
    b.eventually("the case file's view is restored", || async {
        let link = b.url().await;
        link.contains("q=type%3Aidentifier")
            && link.contains("tz=%2B05%3A30")
            && link.contains("event=")
    })
    .await;
    b.wait_for("[data-testid=event-detail]").await;
    assert!(b.text("[data-testid=loaded-count]").await.contains(name));
    // The same events match; the file holds only what was shown ("36 of 36", was "36 of 264").
    let matching = |c: &str| c.split(" of ").next().unwrap_or_default().to_owned();
    let now = b.text("[data-testid=match-count]").await;
    assert_eq!(matching(&now), matching(&count), "{now} / {count}");
    assert!(
        now.ends_with(&format!("of {} events", matching(&count))),
        "{now}"
    );
    let link = b.url().await;
    let event = |l: &str| {
        l.split("event=")
            .nth(1)
            .map(|e| e.split('&').next().unwrap().to_owned())
    };
    assert_eq!(
        event(&link),
        event(&exported_link),
        "the same event selected"
    );
    assert!(
        b.all("[data-testid=error]").await.is_empty(),
        "a case file reads without a word"
    );
    // Its status logs came along.
    b.click("[data-testid=view-status]").await;
    b.wait_for("[data-testid=status-entry]").await;
    b.close().await;
}

#[tokio::test]
async fn a_refresh_fetches_only_what_arrived_and_marks_it() {
    let (_app, sim, b) = app(r#"{"apis": ["SIM"]}"#).await;
    connect(&b, &sim, LARGE).await;
    loaded(&b, "5,000 of 5,000 records loaded").await;
    assert!(b.all("[data-testid=event-row][data-new]").await.is_empty());
    let before = sim.requests().len();
    assert!(sim.add_records(EntityType::Customer, LARGE.parse().unwrap(), 3));
    b.click("[data-testid=refresh]").await;
    loaded(&b, "Up to date").await;
    let line = b.text("[data-testid=new-events]").await;
    let asked = sim.requests()[before..].to_vec();
    assert!(
        asked.len() <= 2,
        "a refresh of 5,000 records with 3 new: {asked:?}"
    );
    let audits = audits_since(&sim, before);
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert!(audits[0].contains("startDate="), "{}", audits[0]);
    let marked = b.all("[data-testid=event-row][data-new=true]").await.len();
    assert!(marked >= 3, "the new events are marked: {marked}");
    assert_eq!(line, format!("{marked} new events"));
    b.close().await;
}

#[tokio::test]
async fn with_the_cache_a_reload_shows_the_trail_before_any_audit_request_and_forget_empties_it() {
    let (_app, sim, b) =
        app(r#"{"apis": ["SIM"], "cache": {"enabled": true, "expiryHours": 1}}"#).await;
    connect(&b, &sim, SMALL).await;
    loaded(&b, "12 of 12").await;
    the_entry(&b).await;
    a_reload_shows_the_kept_copy_first(&b, &sim).await;

    // Forget: nothing is kept, and the next reload loads from the API.
    b.click("[data-testid=forget-cache]").await;
    b.wait_for("[data-testid=error][data-kind=cache]").await;
    assert_eq!(cached_names(&b).await, Value::Null);
    let before = sim.requests().len();
    reload(&b).await;
    loaded(&b, "12 of 12").await;
    assert!(b.all("[data-testid=cached-age]").await.is_empty());
    let audits = audits_since(&sim, before);
    assert!(
        audits.iter().any(|a| !a.contains("startDate=")),
        "the whole trail was fetched again: {audits:?}"
    );
    b.close().await;
}

#[tokio::test]
async fn a_load_cut_short_by_a_reload_goes_on_after_the_pages_kept() {
    // Slow audit answers, so the 5,000-record customer (100 pages of 50) is still loading when
    // the agent reloads.
    let (_app, sim, b) = app_with(
        r#"{"apis": ["SIM"], "cache": {"enabled": true, "expiryHours": 1}}"#,
        &[],
        &["latency=150,path=/api_gateway/v2/audits"],
    )
    .await;
    connect(&b, &sim, LARGE).await;
    until("a fifth of the pages answered", || async {
        (audits_since(&sim, 0).len() >= 20).then_some(())
    })
    .await;
    let before = sim.requests().len();
    let asked_before = page_numbers(&audits_since(&sim, 0));
    reload(&b).await;
    let age = b.text("[data-testid=cached-age]").await;
    assert!(age.contains("kept on this device"), "{age}");
    // The rest of the trail, then a refresh for what arrived meanwhile (from a `startDate`).
    loaded(&b, "Up to date").await;
    let (refreshes, rest): (Vec<String>, Vec<String>) = audits_since(&sim, before)
        .into_iter()
        .partition(|a| a.contains("startDate="));
    let asked_after = page_numbers(&rest);
    assert!(
        asked_before.len() < 100,
        "the load was cut short: {asked_before:?}"
    );
    assert!(
        !asked_after.contains(&0) && asked_after.len() <= 100 - 10,
        "the pages kept before the reload are not asked again: {asked_after:?}"
    );
    assert!(
        (0..100).all(|p| asked_before.contains(&p) || asked_after.contains(&p)),
        "every page was read: {asked_before:?} then {asked_after:?}"
    );
    assert!(refreshes.len() <= 1, "{refreshes:?}");
    b.close().await;
}

#[tokio::test]
async fn an_expired_or_damaged_copy_is_never_shown() {
    let (_app, sim, b) =
        app(r#"{"apis": ["SIM"], "cache": {"enabled": true, "expiryHours": 1}}"#).await;
    connect(&b, &sim, SMALL).await;
    loaded(&b, "12 of 12").await;
    let name = the_entry(&b).await;
    // Let the worker finish writing (the Complete frame) before the entry is read.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bytes = read_entry(&b, &name).await;

    // The same copy, saved two hours ago: expired.
    let mut old = Vec::new();
    for (meta, body) in frames(&bytes).expect("the entry reads back whole") {
        let meta = match meta {
            Frame::Start { key, saved_at } => Frame::Start {
                key,
                saved_at: saved_at - 2 * 3_600_000,
            },
            other => other,
        };
        old.extend(frame(&meta, &body));
    }
    write_entry(&b, &name, &old).await;
    let before = sim.requests().len();
    reload(&b).await;
    loaded(&b, "12 of 12").await;
    assert!(
        b.all("[data-testid=cached-age]").await.is_empty(),
        "an expired copy is not shown"
    );
    assert!(
        audits_since(&sim, before)
            .iter()
            .any(|a| !a.contains("startDate=")),
        "the trail was fetched again"
    );

    // A copy damaged on the disk: discarded with a notice, the trail fetched again.
    the_entry(&b).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    a_damaged_copy_is_discarded(&b, &sim, Shelf::Files, &name).await;
    b.close().await;
}

#[tokio::test]
async fn with_the_cache_off_nothing_is_stored_and_an_earlier_copy_is_removed() {
    let (_app, sim, b) = app(r#"{"apis": ["SIM"]}"#).await;
    // What an earlier configuration, with the cache on, left behind.
    write_entry(
        &b,
        "0123456789abcdef.trail",
        b"left by an earlier configuration",
    )
    .await;
    reload(&b).await;
    b.eventually("the earlier copy is removed at start", || async {
        cached_names(&b).await.is_null()
    })
    .await;
    connect(&b, &sim, SMALL).await;
    loaded(&b, "12 of 12").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        cached_names(&b).await,
        Value::Null,
        "nothing kept on the device"
    );
    assert!(b.all("[data-testid=forget-cache]").await.is_empty());
    assert_eq!(database_names(&b).await, Value::Null, "nor in IndexedDB");
    b.close().await;
}

#[tokio::test]
async fn without_opfs_the_cache_keeps_trails_in_indexeddb_checks_them_and_forgets_them() {
    // A Chromium whose workers have no Origin Private File System, as Firefox's private
    // windows and older Safari: the worker keeps trails in IndexedDB instead.
    let (_app, sim, b) = app_in_browser(
        r#"{"apis": ["SIM"], "cache": {"enabled": true, "expiryHours": 1}}"#,
        &["--disable-blink-features=FileSystemAccessOriginPrivate"],
    )
    .await;
    assert_eq!(
        script(&b, "arguments[0]('getDirectory' in navigator.storage)").await,
        json!(false),
        "this browser has no OPFS"
    );
    connect(&b, &sim, SMALL).await;
    loaded(&b, "12 of 12").await;
    let name = until("a trail is kept in IndexedDB", || async {
        match database_names(&b).await.as_array().map(Vec::as_slice) {
            Some([one]) => one.as_str().map(str::to_owned),
            _ => None,
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    a_reload_shows_the_kept_copy_first(&b, &sim).await;

    // Damaged where it is kept: discarded with a notice, never shown.
    tokio::time::sleep(Duration::from_millis(500)).await;
    a_damaged_copy_is_discarded(&b, &sim, Shelf::Database, &name).await;

    // Kept again by that load; Forget removes the database.
    until("the trail is kept again", || async {
        database_names(&b)
            .await
            .as_array()
            .is_some_and(|n| n.len() == 1)
            .then_some(())
    })
    .await;
    b.click("[data-testid=forget-cache]").await;
    b.wait_for("[data-testid=error][data-kind=cache]").await;
    b.eventually("the database is gone", || async {
        database_names(&b).await.is_null()
    })
    .await;
    b.close().await;
}
