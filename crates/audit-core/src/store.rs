//! The store: every ingested page merged into one compact, deduplicated,
//! time-ordered set of events.
//!
//! Layout: records and events are small fixed-size rows of `u32` ids into the
//! [`Strings`] table (plus `i64` instants); variable parts (`additionalFields`,
//! unknown members, associate entities) are ranges into shared pools; `till`,
//! `store`, user contexts and merge details are deduplicated objects. No raw JSON
//! is kept: records are rebuilt from the rows for display and export
//! ([`Store::record`]), which is what keeps memory well under the input size.
//!
//! Event ids are positions in time order (oldest first), so a query result is an
//! ascending list of ids and history views walk the table in order. Ingesting a
//! page sorts only the page and merges it in ([`Rows::merge`]): a page newer than
//! everything held is appended, one older (the API lists newest first) goes into
//! spare room at the front, and one in between moves only the shorter side, so a
//! page costs about its own size, not the store's. Ingesting renumbers events;
//! record ids are stable.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::{Number, Value};

use crate::audit::{AuditRecord, Event, EventKind};
use crate::chunked::Chunked;
use crate::json::Members;
use crate::parse::{ApiError, Parsed, ResponseShape};
use crate::rows::Rows;
use crate::status_log::{StatusEntry, StatusLogKind};
use crate::strings::{BitSet, Strings};
use crate::table::IdTable;
use crate::time::{TimeRaw, TimeValue, UtcMillis};
use crate::value::Nullable;

/// Position of an event in time order (oldest first). Changes when pages are ingested.
pub type EventId = u32;
/// Index of a record in ingestion order. Stable.
pub type RecordId = u32;

const ABSENT: u32 = u32::MAX;
const NULL: u32 = u32::MAX - 1;
/// Time member was a JSON integer equal to its instant (no text kept).
const FROM_MS: u32 = u32::MAX - 2;
const TAG_SHIFT: u32 = 30;
const ID_MASK: u32 = (1 << TAG_SHIFT) - 1;
const TAG_STR: u32 = 0;
const TAG_NUM: u32 = 1;
const TAG_JSON: u32 = 2;
const NO_MS: i64 = i64::MIN;

/// A stored JSON value: a tagged id into the string table, or absent/null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Val(u32);

impl BitSet {
    /// True when `v` is a string-table id in the set (never for absent/null).
    #[inline(always)]
    pub(crate) fn contains_val(&self, v: Val) -> bool {
        match v.id() {
            Some(s) => self.contains(s),
            None => false,
        }
    }
}

impl Val {
    pub(crate) const ABSENT: Val = Val(ABSENT);
    pub(crate) const NULL: Val = Val(NULL);

    fn tagged(tag: u32, id: u32) -> Val {
        Val(tag << TAG_SHIFT | (id & ID_MASK))
    }

    /// The string-table id, for strings, numbers and raw JSON. Always
    /// inlined: search calls it per value of every event, and the size-optimised
    /// WASM build kept it a call.
    #[inline(always)]
    pub(crate) fn id(self) -> Option<u32> {
        (self.0 < FROM_MS && self.0 >> TAG_SHIFT != 3).then_some(self.0 & ID_MASK)
    }

    fn tag(self) -> u32 {
        self.0 >> TAG_SHIFT
    }
}

/// A stored value as the UI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Absent,
    Null,
    Text(&'a str),
    /// A JSON number, as written.
    Number(&'a str),
    /// Any other JSON (object, array, boolean), as compact JSON text.
    Json(&'a str),
}

impl<'a> Cell<'a> {
    /// The text to show; `None` for absent and null.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            Cell::Text(s) | Cell::Number(s) | Cell::Json(s) => Some(s),
            Cell::Absent | Cell::Null => None,
        }
    }

    /// Back to a JSON value (`Absent` becomes null).
    pub fn to_json(self) -> Value {
        match self {
            Cell::Absent | Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.to_owned()),
            Cell::Number(s) | Cell::Json(s) => {
                serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
            }
        }
    }
}

/// A range into one of the pools; `len` doubles as absent/null marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListRef {
    start: u32,
    len: u32,
}

impl ListRef {
    const ABSENT: ListRef = ListRef {
        start: 0,
        len: ABSENT,
    };
    const NULL: ListRef = ListRef {
        start: 0,
        len: NULL,
    };

    #[inline(always)]
    fn range(self) -> std::ops::Range<usize> {
        if self.len >= NULL {
            0..0
        } else {
            self.start as usize..(self.start + self.len) as usize
        }
    }
}

/// One record: only what differs from record to record (times, entity id,
/// request id) is kept per row; everything that repeats across records (who,
/// how, where, merge details, unknown members) is one shared [`Context`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRow {
    pub created_ms: i64,
    pub auto_ms: i64,
    pub created_raw: Val,
    pub auto_raw: Val,
    pub entity_id: Val,
    pub request_id: Val,
    /// Index into [`Store::contexts`].
    pub ctx: u32,
    pub n_events: u32,
    /// Slot of the record's first event row ([`Rows::slot`]), not its id: slots
    /// stay put when rows are added at the front.
    pub first_event: u32,
    /// 0 absent, 1 null, 2 list (possibly empty).
    pub events_presence: u8,
}

/// The record members that repeat across records, deduplicated.
///
/// A trail has few distinct combinations of user, `updatedBy`, source, mode,
/// till, store and user context, so sharing them cuts each record row from
/// ~100 to ~48 bytes. It also lets a free-text term be tested once per context
/// (a bit per context) instead of once per event for these members.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Context {
    pub updated_by_user: Val,
    pub updated_by: Val,
    pub org_id: Val,
    pub entity_type: Val,
    pub source: Val,
    pub mode: Val,
    pub till: u32,
    pub store: u32,
    pub user_context: u32,
    pub victim: u32,
    pub survivor: u32,
    /// Object holding the record's unknown members (often the empty object).
    pub extras: u32,
    pub user_code: u32,
    pub source_code: u32,
    pub mode_code: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRow {
    pub record: u32,
    pub when: i64,
    pub kind: EventKind,
    /// True for the row standing in for a record without events.
    pub placeholder: bool,
    pub type_code: u32,
    pub field_code: u32,
    pub event_type: Val,
    pub field: Val,
    /// `additionalFields`. Previous/current values and label ids are read from
    /// these pairs when asked for ([`EventView::previous`] …), not stored twice.
    pub additional: ListRef,
    pub associates: ListRef,
    pub extras: ListRef,
}

/// Distinct values of one facet (type, field, source, mode, user) with a dense code each.
#[derive(Debug, Clone, Default)]
pub(crate) struct FacetTable {
    pub labels: Vec<String>,
    pub lower: Vec<String>,
    map: FastMap<String, u32>,
}

/// Multiply-rotate hashing (as rustc's `FxHasher`) for the store's small maps
/// of ids: several lookups per record, where SipHash was a visible cost. Keys
/// are the store's own ids and labels; no random state (WASM has no entropy
/// to ask for).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

impl FacetTable {
    fn code(&mut self, label: &str) -> u32 {
        if let Some(&c) = self.map.get(label) {
            return c;
        }
        let c = self.labels.len() as u32;
        self.labels.push(label.to_owned());
        self.lower.push(label.to_lowercase());
        self.map.insert(label.to_owned(), c);
        c
    }
}

/// What one [`Store::ingest`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    pub shape: ResponseShape,
    pub records_added: usize,
    /// Records already held (page shifts, overlapping listings); not added twice.
    pub records_duplicate: usize,
    pub events_added: usize,
    pub status_entries_added: usize,
    pub damaged_spans: usize,
    pub api_errors: Vec<ApiError>,
}

/// Completeness of one paged listing (one query of the audit endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingReport {
    /// The key the app passed to [`Store::ingest_page`] (`""` for [`Store::ingest`]).
    pub listing: String,
    pub pages_seen: Vec<i64>,
    /// Highest `totalPages` any page reported.
    pub total_pages: Option<i64>,
    /// Pages below `total_pages` never ingested: the gap to show.
    pub missing_pages: Vec<i64>,
    /// Distinct `totalElements` values seen, in order; more than one means the
    /// listing changed while paging and records may have shifted across pages.
    pub totals_seen: Vec<i64>,
    /// Pages holding fewer records than their `numberOfElements` said: `(page, said, held)`.
    pub short_pages: Vec<(i64, i64, usize)>,
}

impl ListingReport {
    /// True when no page is missing or short and the total never moved.
    pub fn is_complete(&self) -> bool {
        self.missing_pages.is_empty() && self.short_pages.is_empty() && self.totals_seen.len() <= 1
    }
}

#[derive(Debug, Clone, Default)]
struct Listing {
    pages: BTreeMap<i64, (Option<i64>, usize)>,
    total_pages: Option<i64>,
    totals_seen: Vec<i64>,
}

/// A status-log entry held by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStatus {
    pub kind: StatusLogKind,
    pub entry: StatusEntry,
}

/// All ingested audit events and status-log entries, merged and deduplicated.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub(crate) strings: Strings,
    /// Chunked like the other per-record and per-event tables, so no page
    /// pays for copying all of them when they grow (see [`Chunked`]).
    pub(crate) records: Chunked<RecordRow>,
    pub(crate) contexts: Vec<Context>,
    /// Contexts by their members (the facet codes, derived from the members,
    /// are left at 0 in these keys).
    context_index: FastMap<Context, u32>,
    /// Records using each context (a context can fall out of use when a
    /// duplicate record brings a richer user context).
    context_uses: Vec<u32>,
    pub(crate) events: Rows,
    /// Rows of the page being ingested, merged into `events` at its end.
    staged: Vec<EventRow>,
    /// `(key, value)` pairs of additional fields, extras and objects.
    pub(crate) pairs: Chunked<(u32, Val)>,
    /// Object references of associate-entity lists.
    pub(crate) refs: Chunked<u32>,
    /// Deduplicated objects (till, store, user context, merge details, associates).
    pub(crate) objects: Vec<ListRef>,
    object_index: FastMap<Vec<(u32, Val)>, u32>,
    /// Reused buffer for an object's pairs while looking it up.
    scratch: Vec<(u32, Val)>,
    /// Type and field facet codes by the interned `eventType` / `updatedField`
    /// (fields of subscription events are keyed by channel too, so not here).
    type_by_val: FastMap<u32, (u32, EventKind)>,
    field_by_val: FastMap<u32, u32>,
    pub(crate) types: FacetTable,
    pub(crate) type_kinds: Vec<EventKind>,
    pub(crate) fields: FacetTable,
    pub(crate) sources: FacetTable,
    pub(crate) modes: FacetTable,
    pub(crate) users: FacetTable,
    /// Fingerprint of each record ([`fingerprint`]), and the records by it.
    fingerprints: Chunked<u64>,
    by_fingerprint: IdTable,
    listings: BTreeMap<String, Listing>,
    pub(crate) status: Vec<StoredStatus>,
    /// Bumped on every change so cached searches know they are stale.
    pub(crate) generation: u64,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Merges one parsed response. Same as [`Store::ingest_page`] with listing `""`.
    pub fn ingest(&mut self, page: Parsed) -> IngestReport {
        self.ingest_page("", page)
    }

    /// Merges one page of a listing. `listing` identifies the query the page
    /// answers (the app's request URL without `pageNo`, say) so gaps can be
    /// reported per listing; records are deduplicated across all listings.
    ///
    /// Costs about the page's own size, not the store's: the page's rows are
    /// sorted on their own and merged in (see [`Rows::merge`]), so a live load
    /// can call this per page at a million events.
    pub fn ingest_page(&mut self, listing: &str, page: Parsed) -> IngestReport {
        let report = self.ingest_unsorted(listing, page);
        let mut staged = std::mem::take(&mut self.staged);
        let records = &mut self.records;
        self.events.merge(&mut staged, |r, slot| {
            records[r as usize].first_event = slot;
        });
        staged.clear();
        self.staged = staged;
        report
    }

    /// Merges several pages, then releases spare capacity (for bulk loads).
    pub fn ingest_all(
        &mut self,
        pages: impl IntoIterator<Item = (String, Parsed)>,
    ) -> Vec<IngestReport> {
        let out = pages
            .into_iter()
            .map(|(l, p)| self.ingest_page(&l, p))
            .collect();
        self.shrink_to_fit();
        out
    }

    /// Releases spare capacity of the tables (growth leaves up to half of each
    /// unused). Call after a bulk load; [`Store::ingest_all`] does.
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.records.shrink_to_fit();
        self.contexts.shrink_to_fit();
        self.events.shrink_to_fit();
        self.staged = Vec::new();
        self.pairs.shrink_to_fit();
        self.refs.shrink_to_fit();
        self.objects.shrink_to_fit();
        self.fingerprints.shrink_to_fit();
        let fps = &self.fingerprints;
        self.by_fingerprint.settle(|rid| fps[rid as usize]);
        // The smaller tables too: with many distinct objects (user contexts,
        // associates) the object index is not small, and WASM memory that a
        // load leaves unused is never given back to the page.
        self.context_uses.shrink_to_fit();
        self.context_index.shrink_to_fit();
        self.object_index.shrink_to_fit();
        self.scratch = Vec::new();
        self.status.shrink_to_fit();
    }

    fn ingest_unsorted(&mut self, listing: &str, page: Parsed) -> IngestReport {
        self.generation += 1;
        let mut report = IngestReport {
            shape: page.shape.clone(),
            records_added: 0,
            records_duplicate: 0,
            events_added: 0,
            status_entries_added: 0,
            damaged_spans: page.damaged.len(),
            api_errors: page.api_errors,
        };
        if let Some(pg) = &page.pagination {
            let l = self.listings.entry(listing.to_owned()).or_default();
            let number = pg.number.unwrap_or(0);
            l.pages
                .insert(number, (pg.number_of_elements, page.records.len()));
            if let Some(tp) = pg.total_pages {
                l.total_pages = Some(l.total_pages.map_or(tp, |old| old.max(tp)));
            }
            if let Some(te) = pg.total_elements {
                if l.totals_seen.last() != Some(&te) {
                    l.totals_seen.push(te);
                }
            }
        }
        for r in page.records {
            let before = self.staged.len();
            if self.add_record(r) {
                report.records_added += 1;
                report.events_added += self.staged.len() - before;
            } else {
                report.records_duplicate += 1;
            }
        }
        let kind = match page.shape {
            ResponseShape::StatusLog(k) => k,
            _ => StatusLogKind::Customer,
        };
        for entry in page.status_entries {
            let s = StoredStatus { kind, entry };
            if !self.status.contains(&s) {
                self.status.push(s);
                report.status_entries_added += 1;
            }
        }
        report
    }

    /// Number of events (rows of the result table).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Number of distinct records.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Status-log entries ingested so far.
    pub fn status_entries(&self) -> &[StoredStatus] {
        &self.status
    }

    /// Completeness of every paged listing ingested.
    pub fn listings(&self) -> Vec<ListingReport> {
        self.listings
            .iter()
            .map(|(key, l)| {
                let pages_seen: Vec<i64> = l.pages.keys().copied().collect();
                let missing_pages = match l.total_pages {
                    Some(tp) => (0..tp.min(100_000))
                        .filter(|p| !l.pages.contains_key(p))
                        .collect(),
                    None => Vec::new(),
                };
                let short_pages = l
                    .pages
                    .iter()
                    .filter_map(|(&p, &(said, held))| {
                        said.filter(|&s| s > held as i64).map(|s| (p, s, held))
                    })
                    .collect();
                ListingReport {
                    listing: key.clone(),
                    pages_seen,
                    total_pages: l.total_pages,
                    missing_pages,
                    totals_seen: l.totals_seen.clone(),
                    short_pages,
                }
            })
            .collect()
    }

    /// Approximate heap bytes held, for the memory budget.
    pub fn heap_bytes(&self) -> usize {
        self.strings.heap_bytes()
            + self.records.heap_bytes()
            + self.contexts.capacity() * std::mem::size_of::<Context>()
            + self.events.capacity() * std::mem::size_of::<EventRow>()
            + self.pairs.heap_bytes()
            + self.refs.heap_bytes()
            + self.objects.capacity() * 8
            + self.fingerprints.heap_bytes()
            + self.by_fingerprint.heap_bytes()
    }

    // ---- interning -------------------------------------------------------

    fn str_val(&mut self, s: &Nullable<String>) -> Val {
        match s {
            Nullable::Absent => Val::ABSENT,
            Nullable::Null => Val::NULL,
            Nullable::Present(s) => Val::tagged(TAG_STR, self.strings.intern(s)),
        }
    }

    fn int_val(&mut self, n: &Nullable<i64>) -> Val {
        match n {
            Nullable::Absent => Val::ABSENT,
            Nullable::Null => Val::NULL,
            Nullable::Present(n) => {
                Val::tagged(TAG_NUM, self.strings.intern(decimal(*n, &mut [0; 20])))
            }
        }
    }

    fn json_val(&mut self, v: &Value) -> Val {
        match v {
            Value::Null => Val::NULL,
            Value::String(s) => Val::tagged(TAG_STR, self.strings.intern(s)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Val::tagged(TAG_NUM, self.strings.intern(decimal(i, &mut [0; 20]))),
                None => Val::tagged(TAG_NUM, self.strings.intern(&n.to_string())),
            },
            other => Val::tagged(TAG_JSON, self.strings.intern(&other.to_string())),
        }
    }

    fn time_val(&mut self, t: &Nullable<TimeValue>) -> (i64, Val) {
        match t {
            Nullable::Absent => (NO_MS, Val::ABSENT),
            Nullable::Null => (NO_MS, Val::NULL),
            Nullable::Present(t) => {
                let ms = t.utc_ms.unwrap_or(NO_MS);
                let raw = match &t.raw {
                    TimeRaw::Number(n) if n.as_i64() == t.utc_ms && ms != NO_MS => Val(FROM_MS),
                    TimeRaw::Number(n) => Val::tagged(TAG_NUM, self.strings.intern(&n.to_string())),
                    TimeRaw::Text(s) => Val::tagged(TAG_STR, self.strings.intern(s)),
                };
                (ms, raw)
            }
        }
    }

    fn list(&mut self, members: &[(String, Value)]) -> ListRef {
        // Interned into the scratch buffer first: a list is pushed whole so
        // it is one slice of the chunked pool.
        let mut p = std::mem::take(&mut self.scratch);
        p.clear();
        for (k, v) in members {
            p.push((self.strings.intern(k), self.json_val(v)));
        }
        let start = self.pairs.push_slice(&p) as u32;
        self.scratch = p;
        ListRef {
            start,
            len: members.len() as u32,
        }
    }

    fn nullable_list(&mut self, m: &Nullable<Members>) -> ListRef {
        match m {
            Nullable::Absent => ListRef::ABSENT,
            Nullable::Null => ListRef::NULL,
            Nullable::Present(m) => self.list(&m.0),
        }
    }

    fn object(&mut self, m: &Nullable<Members>) -> u32 {
        match m {
            Nullable::Absent => ABSENT,
            Nullable::Null => NULL,
            Nullable::Present(m) => self.object_of(&m.0),
        }
    }

    /// Id of the deduplicated object holding `members`.
    fn object_of(&mut self, members: &[(String, Value)]) -> u32 {
        let mut p = std::mem::take(&mut self.scratch);
        p.clear();
        for (k, v) in members {
            p.push((self.strings.intern(k), self.json_val(v)));
        }
        let id = match self.object_index.get(p.as_slice()) {
            Some(&id) => id,
            None => {
                let start = self.pairs.push_slice(&p) as u32;
                let id = self.objects.len() as u32;
                self.objects.push(ListRef {
                    start,
                    len: p.len() as u32,
                });
                self.object_index.insert(p.clone(), id);
                id
            }
        };
        self.scratch = p;
        id
    }

    /// Id of the shared context equal to `c`, adding it if new.
    /// Its facet codes are derived here, once per distinct context.
    fn context(&mut self, mut c: Context) -> u32 {
        (c.user_code, c.source_code, c.mode_code) = (0, 0, 0);
        if let Some(&id) = self.context_index.get(&c) {
            self.context_uses[id as usize] += 1;
            return id;
        }
        let id = self.contexts.len() as u32;
        self.context_index.insert(c.clone(), id);
        c.user_code = self.users.code(&user_label(self, &c));
        let source = self.cell(c.source).as_str().map(str::to_ascii_uppercase);
        c.source_code = self.sources.code(source.as_deref().unwrap_or("(none)"));
        let mode = self.cell(c.mode).as_str().unwrap_or("(none)").to_owned();
        c.mode_code = self.modes.code(&mode);
        self.contexts.push(c);
        self.context_uses.push(1);
        id
    }

    fn add_record(&mut self, r: AuditRecord) -> bool {
        let fp = fingerprint(&r);
        let fps = &self.fingerprints;
        if let Some(existing) = self.by_fingerprint.find(fp, |rid| {
            fps[rid as usize] == fp && self.same_record(rid, &r)
        }) {
            // Same record seen again (page shift, overlapping listing). Keep the
            // richer user context: listings without includeUserContext send null.
            let has_ctx = |o: u32| o < NULL && self.objects[o as usize].len > 0;
            let old = self.records[existing as usize].ctx as usize;
            if !has_ctx(self.contexts[old].user_context)
                && r.user_context.get().is_some_and(|c| !c.is_empty())
            {
                let mut c = self.contexts[old].clone();
                c.user_context = self.object(&r.user_context);
                self.context_uses[old] -= 1;
                self.records[existing as usize].ctx = self.context(c);
                self.generation += 1;
            }
            return false;
        }
        let rid = self.records.len() as u32;
        self.fingerprints.push(fp);
        let fps = &self.fingerprints;
        self.by_fingerprint.insert(fp, |rid| fps[rid as usize]);
        let (created_ms, created_raw) = self.time_val(&r.created_on);
        let (auto_ms, auto_raw) = self.time_val(&r.auto_update_time);
        let when = r.when().unwrap_or(NO_MS);
        let context = Context {
            updated_by_user: self.str_val(&r.updated_by_user),
            updated_by: self.int_val(&r.updated_by),
            org_id: self.int_val(&r.org_id),
            entity_type: self.str_val(&r.entity_type),
            source: self.str_val(&r.source),
            mode: self.str_val(&r.updated_by_mode),
            till: self.object(&r.till),
            store: self.object(&r.store),
            user_context: self.object(&r.user_context),
            victim: self.object(&r.victim),
            survivor: self.object(&r.survivor),
            extras: self.object_of(&r.extras),
            user_code: 0,
            source_code: 0,
            mode_code: 0,
        };
        let row = RecordRow {
            created_ms,
            auto_ms,
            created_raw,
            auto_raw,
            entity_id: self.int_val(&r.entity_id),
            request_id: self.str_val(&r.request_id),
            ctx: self.context(context),
            n_events: r.events().len() as u32,
            // Set when the page's rows are merged in.
            first_event: u32::MAX,
            events_presence: match r.events {
                Nullable::Absent => 0,
                Nullable::Null => 1,
                Nullable::Present(_) => 2,
            },
        };
        self.records.push(row);
        if r.events().is_empty() {
            let type_code = self.type_code("(no events)", EventKind::Other);
            let field_code = self.fields.code("");
            self.staged.push(EventRow {
                record: rid,
                when,
                kind: EventKind::Other,
                placeholder: true,
                type_code,
                field_code,
                event_type: Val::ABSENT,
                field: Val::ABSENT,
                additional: ListRef::ABSENT,
                associates: ListRef::ABSENT,
                extras: ListRef::ABSENT,
            });
        }
        for e in r.events() {
            let row = self.event_row(rid, when, e);
            self.staged.push(row);
        }
        true
    }

    fn type_code(&mut self, label: &str, kind: EventKind) -> u32 {
        let c = self.types.code(label);
        if c as usize == self.type_kinds.len() {
            self.type_kinds.push(kind);
        }
        c
    }

    fn event_row(&mut self, rid: u32, when: i64, e: &Event) -> EventRow {
        let event_type = self.str_val(&e.event_type);
        let field = self.str_val(&e.updated_field);
        // Labels, kinds and field keys are worked out once per distinct value.
        let (type_code, kind) = match self.type_by_val.get(&event_type.0) {
            Some(&known) => known,
            None => {
                let kind = e.kind();
                let code = self.type_code(e.event_type.as_deref().unwrap_or("(none)"), kind);
                self.type_by_val.insert(event_type.0, (code, kind));
                (code, kind)
            }
        };
        let field_code = if e.subscription().is_some() {
            self.fields.code(&e.field_key())
        } else if let Some(&code) = self.field_by_val.get(&field.0) {
            code
        } else {
            let code = self.fields.code(&e.field_key());
            self.field_by_val.insert(field.0, code);
            code
        };
        let associates = match &e.associate_entities {
            Nullable::Absent => ListRef::ABSENT,
            Nullable::Null => ListRef::NULL,
            Nullable::Present(list) => {
                let ids: Vec<u32> = list.iter().map(|m| self.object_of(&m.0)).collect();
                let start = self.refs.push_slice(&ids) as u32;
                ListRef {
                    start,
                    len: ids.len() as u32,
                }
            }
        };
        EventRow {
            record: rid,
            when,
            kind,
            placeholder: false,
            type_code,
            field_code,
            event_type,
            field,
            additional: self.nullable_list(&e.additional_fields),
            associates,
            extras: self.list(&e.extras),
        }
    }

    /// Checks a fingerprint hit really is the same record.
    fn same_record(&self, rid: u32, r: &AuditRecord) -> bool {
        let row = &self.records[rid as usize];
        let text = |v: Val| v.id().map(|id| self.strings.get(id));
        text(row.request_id) == r.request_id.as_deref()
            && row.n_events as usize == r.events().len()
            && row.auto_ms
                == r.auto_update_time
                    .get()
                    .and_then(|t| t.utc_ms)
                    .unwrap_or(NO_MS)
            && row.created_ms == r.created_on.get().and_then(|t| t.utc_ms).unwrap_or(NO_MS)
            && text(row.entity_id) == r.entity_id.get().map(|n| n.to_string()).as_deref()
    }

    // ---- reading ---------------------------------------------------------

    pub(crate) fn cell(&self, v: Val) -> Cell<'_> {
        match v.0 {
            ABSENT | FROM_MS => Cell::Absent,
            NULL => Cell::Null,
            _ => {
                let s = self.strings.get(v.0 & ID_MASK);
                match v.tag() {
                    TAG_STR => Cell::Text(s),
                    TAG_NUM => Cell::Number(s),
                    _ => Cell::Json(s),
                }
            }
        }
    }

    /// One event, for display.
    pub fn event(&self, id: EventId) -> EventView<'_> {
        let row = &self.events[id as usize];
        let rec = &self.records[row.record as usize];
        EventView {
            store: self,
            id,
            row,
            rec,
            ctx: &self.contexts[rec.ctx as usize],
        }
    }

    /// All events in time order.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = EventView<'_>> + '_ {
        (0..self.events.len() as u32).map(|i| self.event(i))
    }

    fn members(&self, l: ListRef) -> Members {
        Members(
            self.pairs[l.range()]
                .iter()
                .map(|&(k, v)| (self.strings.get(k).to_owned(), self.cell(v).to_json()))
                .collect(),
        )
    }

    fn nullable_members(&self, l: ListRef) -> Nullable<Members> {
        match l.len {
            ABSENT => Nullable::Absent,
            NULL => Nullable::Null,
            _ => Nullable::Present(self.members(l)),
        }
    }

    fn object_members(&self, o: u32) -> Nullable<Members> {
        match o {
            ABSENT => Nullable::Absent,
            NULL => Nullable::Null,
            _ => Nullable::Present(self.members(self.objects[o as usize])),
        }
    }

    fn n_str(&self, v: Val) -> Nullable<String> {
        match self.cell(v) {
            Cell::Absent => Nullable::Absent,
            Cell::Null => Nullable::Null,
            c => Nullable::Present(c.as_str().unwrap_or_default().to_owned()),
        }
    }

    fn n_int(&self, v: Val) -> Nullable<i64> {
        match self.cell(v) {
            Cell::Absent => Nullable::Absent,
            Cell::Null => Nullable::Null,
            c => c
                .as_str()
                .and_then(|s| s.parse().ok())
                .map_or(Nullable::Absent, Nullable::Present),
        }
    }

    fn n_time(&self, ms: i64, raw: Val) -> Nullable<TimeValue> {
        let utc_ms = (ms != NO_MS).then_some(ms);
        match raw.0 {
            ABSENT => Nullable::Absent,
            NULL => Nullable::Null,
            FROM_MS => Nullable::Present(TimeValue {
                utc_ms,
                raw: TimeRaw::Number(Number::from(ms)),
            }),
            _ => {
                let s = self.strings.get(raw.0 & ID_MASK);
                let raw = if raw.tag() == TAG_NUM {
                    serde_json::from_str::<Number>(s)
                        .map(TimeRaw::Number)
                        .unwrap_or_else(|_| TimeRaw::Text(s.to_owned()))
                } else {
                    TimeRaw::Text(s.to_owned())
                };
                Nullable::Present(TimeValue { utc_ms, raw })
            }
        }
    }

    /// Rebuilds a record as it came in (documented members in documented order,
    /// absent/null preserved, unknown members after them). Used by the JSON export
    /// and the "raw record" view; nothing of the input text is stored.
    pub fn record(&self, rid: RecordId) -> AuditRecord {
        let r = &self.records[rid as usize];
        let c = &self.contexts[r.ctx as usize];
        let events = match r.events_presence {
            0 => Nullable::Absent,
            1 => Nullable::Null,
            _ => {
                let first = self.events.id(r.first_event);
                let list = (first..self.events.len())
                    .map(|i| &self.events[i])
                    .take_while(|e| e.record == rid)
                    .filter(|e| !e.placeholder)
                    .map(|e| self.rebuild_event(e))
                    .collect();
                Nullable::Present(list)
            }
        };
        AuditRecord {
            updated_by_user: self.n_str(c.updated_by_user),
            updated_by: self.n_int(c.updated_by),
            org_id: self.n_int(c.org_id),
            entity_type: self.n_str(c.entity_type),
            entity_id: self.n_int(r.entity_id),
            created_on: self.n_time(r.created_ms, r.created_raw),
            request_id: self.n_str(r.request_id),
            till: self.object_members(c.till),
            store: self.object_members(c.store),
            user_context: self.object_members(c.user_context),
            victim: self.object_members(c.victim),
            survivor: self.object_members(c.survivor),
            source: self.n_str(c.source),
            updated_by_mode: self.n_str(c.mode),
            auto_update_time: self.n_time(r.auto_ms, r.auto_raw),
            events,
            extras: self.members(self.objects[c.extras as usize]).0,
        }
    }

    fn rebuild_event(&self, e: &EventRow) -> Event {
        let associate_entities = match e.associates.len {
            ABSENT => Nullable::Absent,
            NULL => Nullable::Null,
            _ => Nullable::Present(
                self.refs[e.associates.range()]
                    .iter()
                    .map(|&o| self.object_members(o).into_option().unwrap_or_default())
                    .collect(),
            ),
        };
        Event {
            event_type: self.n_str(e.event_type),
            updated_field: self.n_str(e.field),
            additional_fields: self.nullable_members(e.additional),
            associate_entities,
            extras: self.members(e.extras).0,
        }
    }

    /// Values of an object (till, store, user context, …); none for absent/null.
    fn object_values(&self, o: u32) -> impl Iterator<Item = Val> + '_ {
        let l = if o < NULL {
            self.objects[o as usize]
        } else {
            ListRef::ABSENT
        };
        self.pairs[l.range()].iter().map(|p| p.1)
    }

    /// True when some record uses context `c`.
    pub(crate) fn context_in_use(&self, c: usize) -> bool {
        self.context_uses[c] > 0
    }

    /// True when any string visible in context `c` (who, how, where, merge
    /// details, unknown record members) satisfies `f`. Search computes this once
    /// per context and per needle, so events only look up one bit for it.
    pub(crate) fn context_visible(&self, c: u32, mut f: impl FnMut(u32) -> bool) -> bool {
        let c = &self.contexts[c as usize];
        let mut test = |v: Val| v.id().is_some_and(&mut f);
        [
            c.updated_by_user,
            c.updated_by,
            c.entity_type,
            c.source,
            c.mode,
        ]
        .into_iter()
        .chain(
            [
                c.till,
                c.store,
                c.user_context,
                c.victim,
                c.survivor,
                c.extras,
            ]
            .into_iter()
            .flat_map(|o| self.object_values(o)),
        )
        .any(&mut test)
    }

    /// True when a string visible in event `e` that is not in its context is in
    /// `set`: its own values (type, field, additional fields, unknown members,
    /// associate entities) and the record's request id and entity id.
    /// Previous/current values are among the additional fields.
    ///
    /// Plain loops over a bitset, no closures: every free-text keystroke runs
    /// this for each event, and the size-optimised WASM build left iterator
    /// chains and closures as calls.
    #[inline(always)]
    pub(crate) fn any_own_visible(&self, e: &EventRow, set: &BitSet) -> bool {
        let r = &self.records[e.record as usize];
        if set.contains_val(e.event_type)
            || set.contains_val(e.field)
            || set.contains_val(r.request_id)
            || set.contains_val(r.entity_id)
        {
            return true;
        }
        for p in &self.pairs[e.additional.range()] {
            if set.contains_val(p.1) {
                return true;
            }
        }
        for p in &self.pairs[e.extras.range()] {
            if set.contains_val(p.1) {
                return true;
            }
        }
        for &o in &self.refs[e.associates.range()] {
            if o < NULL {
                for p in &self.pairs[self.objects[o as usize].range()] {
                    if set.contains_val(p.1) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// True when a value the event changes (`value:` qualifier: the
    /// additional-field values, previous/current and the others) is in `set`.
    pub(crate) fn any_value(&self, e: &EventRow, set: &BitSet) -> bool {
        self.pairs[e.additional.range()]
            .iter()
            .any(|p| set.contains_val(p.1))
    }
}

fn fingerprint(r: &AuditRecord) -> u64 {
    // Identity of a record across pages: everything but the user context (which
    // depends on includeUserContext) and the order of members.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.str(r.request_id.as_deref().unwrap_or(""));
    h.str(r.entity_type.as_deref().unwrap_or(""));
    h.num(r.entity_id.get().copied().unwrap_or(0));
    h.num(r.created_on.get().and_then(|t| t.utc_ms).unwrap_or(0));
    h.num(r.auto_update_time.get().and_then(|t| t.utc_ms).unwrap_or(0));
    h.num(r.updated_by.get().copied().unwrap_or(0));
    for e in r.events() {
        h.str(e.event_type.as_deref().unwrap_or(""));
        h.str(e.updated_field.as_deref().unwrap_or(""));
        if let Some(af) = e.additional_fields.get() {
            for (k, v) in af.iter() {
                h.str(k);
                // As `display_value`, without a copy of every string.
                match v {
                    Value::String(s) => h.str(s),
                    Value::Null => h.str(""),
                    other => h.str(&other.to_string()),
                }
            }
        }
    }
    h.0
}

struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        // A word at a time (the string table's hash): push tokens are long.
        self.0 = (self.0 ^ crate::strings::hash(b)).wrapping_mul(0x0000_0100_0000_01b3);
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn num(&mut self, n: i64) {
        self.bytes(&n.to_le_bytes());
    }
}

/// `n` in decimal, written into `buf` (no allocation per number interned).
fn decimal(n: i64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// `updatedByUser`, else the user context's `entitySourceId` (who acted in
/// Member Care), else `#updatedBy`.
fn user_label(s: &Store, c: &Context) -> String {
    if let Some(u) = s.cell(c.updated_by_user).as_str() {
        return u.to_owned();
    }
    if c.user_context < NULL {
        let l = s.objects[c.user_context as usize];
        for &(k, v) in &s.pairs[l.range()] {
            if s.strings.get(k) == "entitySourceId" {
                if let Some(x) = s.cell(v).as_str() {
                    return x.to_owned();
                }
            }
        }
    }
    match s.cell(c.updated_by).as_str() {
        // `updatedBy: -1` is how the API marks a change made by the system, not a user.
        Some("-1") => "system (#-1)".into(),
        Some(id) => format!("#{id}"),
        None => "(unknown)".into(),
    }
}

/// Read access to one event and its record.
#[derive(Clone, Copy)]
pub struct EventView<'a> {
    store: &'a Store,
    id: EventId,
    row: &'a EventRow,
    rec: &'a RecordRow,
    ctx: &'a Context,
}

impl<'a> EventView<'a> {
    pub fn id(&self) -> EventId {
        self.id
    }
    pub fn record_id(&self) -> RecordId {
        self.row.record
    }
    /// True for the row standing in for a record that had no events.
    pub fn is_placeholder(&self) -> bool {
        self.row.placeholder
    }
    /// When it happened (UTC ms): `autoUpdateTime`, else `createdOn`.
    pub fn time(&self) -> Option<UtcMillis> {
        (self.row.when != NO_MS).then_some(self.row.when)
    }
    pub fn created_on(&self) -> Option<UtcMillis> {
        (self.rec.created_ms != NO_MS).then_some(self.rec.created_ms)
    }
    /// The time as sent, for an event whose time could not be read as an
    /// instant (outside the years 1–9999, or an unknown spelling):
    /// `autoUpdateTime`'s text, else `createdOn`'s. `None` when [`Self::time`]
    /// has the instant, or the record has neither member.
    pub fn time_raw(&self) -> Option<&'a str> {
        if self.time().is_some() {
            return None;
        }
        let raw = |v| self.store.cell(v).as_str();
        raw(self.rec.auto_raw).or_else(|| raw(self.rec.created_raw))
    }
    pub fn kind(&self) -> EventKind {
        self.row.kind
    }
    /// The raw `eventType` label.
    pub fn type_label(&self) -> Option<&'a str> {
        self.store.cell(self.row.event_type).as_str()
    }
    pub fn field(&self) -> Option<&'a str> {
        self.store.cell(self.row.field).as_str()
    }
    /// The history key (field, made specific per subscription channel).
    pub fn field_key(&self) -> &'a str {
        &self.store.fields.labels[self.row.field_code as usize]
    }
    /// Previous value; `None` for `"NA"`, null or absent.
    pub fn previous(&self) -> Option<&'a str> {
        self.change()[0]
    }
    pub fn current(&self) -> Option<&'a str> {
        self.change()[1]
    }
    pub fn previous_label_id(&self) -> Option<&'a str> {
        self.change()[2]
    }
    pub fn current_label_id(&self) -> Option<&'a str> {
        self.change()[3]
    }

    /// Previous value, current value, previous and current label id, read from
    /// the additional-field pairs by the rules of [`Event::change`] (kept in
    /// step by the `change_matches_event` test): the first member of each key
    /// counts; a first-status event (`value`/`labelId` without a pair) has only
    /// a current value and label.
    fn change(&self) -> [Option<&'a str>; 4] {
        const KEYS: [&str; 6] = [
            "previousValue",
            "currentValue",
            "previousLabelId",
            "currentLabelId",
            "value",
            "labelId",
        ];
        let s = self.store;
        let mut found: [Option<Val>; 6] = [None; 6];
        for &(k, v) in &s.pairs[self.row.additional.range()] {
            let key = s.strings.get(k);
            if let Some(i) = KEYS.iter().position(|&x| x == key) {
                found[i].get_or_insert(v);
            }
        }
        let text = |v: Option<Val>| v.and_then(|v| s.cell(v).as_str());
        if found[0].is_none() && found[1].is_none() && (found[4].is_some() || found[5].is_some()) {
            return [None, text(found[4]), None, text(found[5])];
        }
        [
            text(found[0]).filter(|p| !crate::audit::is_no_value(p)),
            text(found[1]),
            text(found[2]),
            text(found[3]),
        ]
    }
    /// `updatedByUser`.
    pub fn user(&self) -> Option<&'a str> {
        self.store.cell(self.ctx.updated_by_user).as_str()
    }
    /// Who, as the user facet shows it (user name, Member Care agent, or `#id`).
    pub fn user_label(&self) -> &'a str {
        &self.store.users.labels[self.ctx.user_code as usize]
    }
    /// `updatedBy` (`-1` for system/unknown).
    pub fn updated_by(&self) -> Option<i64> {
        self.store.cell(self.ctx.updated_by).as_str()?.parse().ok()
    }
    pub fn mode(&self) -> Option<&'a str> {
        self.store.cell(self.ctx.mode).as_str()
    }
    /// `source` as sent (any case).
    pub fn source(&self) -> Option<&'a str> {
        self.store.cell(self.ctx.source).as_str()
    }
    pub fn request_id(&self) -> Option<&'a str> {
        self.store.cell(self.rec.request_id).as_str()
    }
    pub fn entity_type(&self) -> Option<&'a str> {
        self.store.cell(self.ctx.entity_type).as_str()
    }
    pub fn entity_id(&self) -> Option<i64> {
        self.store.cell(self.rec.entity_id).as_str()?.parse().ok()
    }
    pub fn org_id(&self) -> Option<i64> {
        self.store.cell(self.ctx.org_id).as_str()?.parse().ok()
    }
    pub fn till(&self) -> Option<Members> {
        self.store.object_members(self.ctx.till).into_option()
    }
    pub fn store_place(&self) -> Option<Members> {
        self.store.object_members(self.ctx.store).into_option()
    }
    pub fn user_context(&self) -> Option<Members> {
        self.store
            .object_members(self.ctx.user_context)
            .into_option()
    }
    pub fn victim(&self) -> Option<Members> {
        self.store.object_members(self.ctx.victim).into_option()
    }
    pub fn survivor(&self) -> Option<Members> {
        self.store.object_members(self.ctx.survivor).into_option()
    }
    pub fn associate_entities(&self) -> Vec<Members> {
        self.store.refs[self.row.associates.range()]
            .iter()
            .filter_map(|&o| self.store.object_members(o).into_option())
            .collect()
    }
    /// `additionalFields` in input order, values as cells.
    pub fn additional_fields(&self) -> impl Iterator<Item = (&'a str, Cell<'a>)> + 'a {
        let s = self.store;
        s.pairs[self.row.additional.range()]
            .iter()
            .map(move |&(k, v)| (s.strings.get(k), s.cell(v)))
    }
    /// Unknown members of the event, then of the record.
    pub fn extras(&self) -> impl Iterator<Item = (&'a str, Cell<'a>)> + 'a {
        let s = self.store;
        s.pairs[self.row.extras.range()]
            .iter()
            .chain(&s.pairs[s.objects[self.ctx.extras as usize].range()])
            .map(move |&(k, v)| (s.strings.get(k), s.cell(v)))
    }
    /// Same status with a new label id.
    pub fn is_label_change(&self) -> bool {
        let [prev, cur, prev_label, cur_label] = self.change();
        prev.is_some() && prev == cur && prev_label != cur_label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_interned_as_they_print() {
        for n in [0, 7, -7, 10, 100458, i64::MAX, i64::MIN, -1] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }
}
