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

use crate::audit::{subscription_key, AuditRecord, Event, EventKind};
use crate::chunked::Chunked;
use crate::json::Members;
use crate::parse::{ApiError, PageSummary, Pagination, Parsed, ResponseShape};
use crate::reader::{TEvent, TList, TRecord, TVal, Tape, Text, LIST_ABSENT, LIST_NULL};
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

/// One event: 40 bytes, the store's largest per-event table. What it shares
/// with many other events (type, field, their codes) is one [`EventShape`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRow {
    pub record: u32,
    pub when: i64,
    /// Index into [`Store::shapes`].
    pub shape: u32,
    /// `additionalFields`. Previous/current values and label ids are read from
    /// these pairs when asked for ([`EventView::previous`] …), not stored twice.
    pub additional: ListRef,
    pub associates: ListRef,
    pub extras: ListRef,
}

/// What an event row has in common with many others: its `eventType` and
/// `updatedField` as sent, their facet codes and its kind. A trail has a few
/// hundred distinct shapes among a million events, so a row names its shape
/// (4 bytes) instead of carrying these 17 (a row was 56 bytes, 8.4 % of the
/// raw JSON at a million events; it is 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EventShape {
    pub event_type: Val,
    pub field: Val,
    pub type_code: u32,
    pub field_code: u32,
    pub kind: EventKind,
    /// True for the row standing in for a record without events.
    pub placeholder: bool,
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

/// What a page says, without storing anything: the [`PageSummary`]
/// [`Store::ingest_bytes`] would return for it, read the same way (a valid
/// audit page by the fused reader, without building its records; anything
/// else by [`crate::parse_response`]).
pub fn summarise_page(bytes: &[u8]) -> PageSummary {
    let mut tape = Tape::default();
    match crate::reader::read_page(bytes, &mut tape) {
        Some((parsed, _)) => fused_summary(&parsed, &tape),
        None => PageSummary::of(&crate::parse::parse_response(bytes)),
    }
}

/// The summary of a page the fused reader read (`parsed` has no records;
/// the tape has them).
fn fused_summary(parsed: &Parsed, tape: &Tape) -> PageSummary {
    let mut summary = PageSummary::of(parsed);
    summary.records = tape.records.len();
    summary.events = tape.events.len();
    summary.fused = true;
    summary
}

/// The report of a page before anything of it is added.
fn report_of(summary: &PageSummary) -> IngestReport {
    IngestReport {
        shape: summary.shape.clone(),
        records_added: 0,
        records_duplicate: 0,
        events_added: 0,
        status_entries_added: 0,
        damaged_spans: summary.damaged.len(),
        api_errors: summary.api_errors.clone(),
    }
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

impl StoredStatus {
    /// A hash of the entry's scalar fields: equal entries have equal fingerprints (the fields
    /// hashed are compared by their derived `Debug`, which equal values print alike); the
    /// JSON-valued `actions` and extras are left out, so key order never splits equal entries.
    fn fingerprint(&self) -> u64 {
        use std::fmt::Write as _;
        use std::hash::Hasher as _;
        /// Feeds what is written into the hasher, with no string built.
        struct Feed(FastHasher);
        impl std::fmt::Write for Feed {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        let e = &self.entry;
        let mut feed = Feed(FastHasher::default());
        let _ = write!(
            feed,
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.kind,
            e.entity_id,
            e.status,
            e.label,
            e.created_on,
            e.auto_update_time,
            e.auto_update_time_iso,
            e.created_by,
            e.created_by_user,
            e.reason,
            e.is_active,
        );
        feed.0.finish()
    }
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
    /// The distinct [`EventShape`]s of `events`, and their index.
    pub(crate) shapes: Vec<EventShape>,
    shape_index: FastMap<EventShape, u32>,
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
    /// Type facet codes and kinds by the interned `eventType`, and the shapes
    /// of events that are not subscription changes by their interned
    /// `eventType` and `updatedField` (high and low half): one lookup an
    /// event for its shape.
    type_by_val: FastMap<u32, (u32, EventKind)>,
    shape_by_vals: FastMap<u64, u32>,
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
    /// The records of each request (one user action), as chains: the newest
    /// record of a request by its request id's string id, and per record the
    /// next older one of the same request ([`ABSENT`] ends a chain). Four bytes
    /// a record, so permalinks and "same request" need no scan of the events.
    ///
    /// `request_first` is indexed by string id (every string has a slot, 4
    /// bytes; [`ABSENT`] when it is no request id): a hash map of a million
    /// request ids took ~19 bytes each.
    request_first: Chunked<u32>,
    request_next: Chunked<u32>,
    pub(crate) status: Vec<StoredStatus>,
    /// The status entries by [`StoredStatus::fingerprint`]: a page of a long status log is
    /// deduplicated against what is held in one lookup an entry, not a comparison with every
    /// entry (which made a 100k-record customer's cached trail take ~0.8 s before its first
    /// rows in the worker).
    status_seen: FastMap<u64, Vec<u32>>,
    /// The page being ingested, as spans ([`Store::ingest_bytes`]) or as
    /// copies of parsed records ([`Store::ingest_page`]); kept for its room.
    tape: Tape,
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
        let mut tape = std::mem::take(&mut self.tape);
        let report = self.ingest_parsed(listing, page, &mut tape);
        tape.trim();
        self.tape = tape;
        report
    }

    /// Reads one page's bytes straight into the store: [`Store::ingest_page`]
    /// of [`crate::parse_response`]`(bytes)`, without building the page's
    /// records first. Returns what was added and what the page said
    /// ([`PageSummary`]: shape, pagination, API errors, damaged spans, and
    /// the page's record and event counts).
    ///
    /// A valid audit page (either generation) is read onto a reusable tape of
    /// spans and interned from there (see the `reader` module): about half the
    /// time of parsing it into records. Anything else (a damaged page, a
    /// status log, an error envelope the reader leaves alone) goes through
    /// [`crate::parse_response`] and [`Store::ingest_page`], so recovery and
    /// its reports are exactly as before; either way the store ends up the
    /// same, and [`PageSummary::fused`] says which way it went.
    pub fn ingest_bytes(&mut self, listing: &str, bytes: &[u8]) -> (IngestReport, PageSummary) {
        self.ingest_bytes_with(listing, bytes, |_| true)
    }

    /// [`Store::ingest_bytes`] with a look at the page before anything is
    /// stored: `accept` gets the summary once the page is read, may change
    /// its `pagination` (the listing's gap report counts from what it leaves
    /// there, e.g. a `totalPages` bounded by what the records can need), and
    /// returns false to store nothing from this page (an audit listing that
    /// answered with a status log, say). A refused page adds nothing and
    /// changes no listing; its report counts nothing added.
    pub fn ingest_bytes_with(
        &mut self,
        listing: &str,
        bytes: &[u8],
        accept: impl FnOnce(&mut PageSummary) -> bool,
    ) -> (IngestReport, PageSummary) {
        let mut tape = std::mem::take(&mut self.tape);
        let out = match crate::reader::read_page(bytes, &mut tape) {
            Some((parsed, text)) => {
                let mut summary = fused_summary(&parsed, &tape);
                let mut report = report_of(&summary);
                if accept(&mut summary) {
                    self.generation += 1;
                    self.note_page(listing, summary.pagination.as_ref(), tape.records.len());
                    self.add_records(text, &tape, &mut report);
                    self.merge_staged();
                }
                (report, summary)
            }
            None => {
                let mut parsed = crate::parse::parse_response(bytes);
                let mut summary = PageSummary::of(&parsed);
                if accept(&mut summary) {
                    parsed.pagination.clone_from(&summary.pagination);
                    (self.ingest_parsed(listing, parsed, &mut tape), summary)
                } else {
                    (report_of(&summary), summary)
                }
            }
        };
        tape.trim();
        self.tape = tape;
        out
    }

    /// Merges a parsed page: its records through the tape (the one way
    /// records reach the store), then its status-log entries.
    fn ingest_parsed(&mut self, listing: &str, page: Parsed, tape: &mut Tape) -> IngestReport {
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
        self.note_page(listing, page.pagination.as_ref(), page.records.len());
        tape.clear();
        for r in &page.records {
            tape.push_audit(r);
        }
        self.add_records("", tape, &mut report);
        let kind = match page.shape {
            ResponseShape::StatusLog(k) => k,
            _ => StatusLogKind::Customer,
        };
        for entry in page.status_entries {
            let s = StoredStatus { kind, entry };
            let same = self.status_seen.entry(s.fingerprint()).or_default();
            if !same.iter().any(|&i| self.status[i as usize] == s) {
                same.push(self.status.len() as u32);
                self.status.push(s);
                report.status_entries_added += 1;
            }
        }
        self.merge_staged();
        report
    }

    /// Merges the rows staged by the page into the time-ordered table.
    fn merge_staged(&mut self) {
        let mut staged = std::mem::take(&mut self.staged);
        let records = &mut self.records;
        self.events.merge(&mut staged, |r, slot| {
            records[r as usize].first_event = slot;
        });
        staged.clear();
        self.staged = staged;
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
        self.request_next.shrink_to_fit();
        self.request_first.shrink_to_fit();
        let fps = &self.fingerprints;
        self.by_fingerprint.settle(|rid| fps[rid as usize]);
        // The smaller tables too: with many distinct objects (user contexts,
        // associates) the object index is not small, and WASM memory that a
        // load leaves unused is never given back to the page.
        self.context_uses.shrink_to_fit();
        self.context_index.shrink_to_fit();
        self.object_index.shrink_to_fit();
        self.shapes.shrink_to_fit();
        self.shape_index.shrink_to_fit();
        self.shape_by_vals.shrink_to_fit();
        self.scratch = Vec::new();
        self.status.shrink_to_fit();
        self.status_seen.shrink_to_fit();
    }

    /// The listing's record of this page: its number, how many records it
    /// said it held and how many it did, the totals it reported.
    fn note_page(&mut self, listing: &str, pagination: Option<&Pagination>, records: usize) {
        let Some(pg) = pagination else {
            return;
        };
        let l = self.listings.entry(listing.to_owned()).or_default();
        let number = pg.number.unwrap_or(0);
        l.pages.insert(number, (pg.number_of_elements, records));
        if let Some(tp) = pg.total_pages {
            l.total_pages = Some(l.total_pages.map_or(tp, |old| old.max(tp)));
        }
        if let Some(te) = pg.total_elements {
            if l.totals_seen.last() != Some(&te) {
                l.totals_seen.push(te);
            }
        }
    }

    /// Adds the tape's records (those not already held) and stages their rows.
    fn add_records(&mut self, page: &str, tape: &Tape, report: &mut IngestReport) {
        for r in &tape.records {
            let before = self.staged.len();
            if self.add_record(page, tape, r) {
                report.records_added += 1;
                report.events_added += self.staged.len() - before;
            } else {
                report.records_duplicate += 1;
            }
        }
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
        self.heap_parts().iter().map(|&(_, b)| b).sum()
    }

    /// [`Store::heap_bytes`] by table, largest first: where the memory budget
    /// goes (the benches print it).
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        let mut parts = self.strings.heap_parts();
        parts.extend([
            ("records", self.records.heap_bytes()),
            (
                "contexts",
                self.contexts.capacity() * std::mem::size_of::<Context>(),
            ),
            (
                "event rows",
                self.events.capacity() * std::mem::size_of::<EventRow>(),
            ),
            ("pairs", self.pairs.heap_bytes()),
            ("refs", self.refs.heap_bytes()),
            ("objects", self.objects.capacity() * 8),
            (
                "event shapes",
                self.shapes.capacity() * std::mem::size_of::<EventShape>(),
            ),
            ("fingerprints", self.fingerprints.heap_bytes()),
            ("fingerprint index", self.by_fingerprint.heap_bytes()),
            (
                "request index",
                self.request_first.heap_bytes() + self.request_next.heap_bytes(),
            ),
            (
                "status entries",
                self.status.capacity() * std::mem::size_of::<StoredStatus>()
                    + self.status_seen.capacity() * (8 + std::mem::size_of::<Vec<u32>>() + 4),
            ),
        ]);
        parts.sort_by_key(|&(_, b)| std::cmp::Reverse(b));
        parts
    }

    // ---- interning -------------------------------------------------------
    //
    // Records arrive on a tape (see `reader`): values are spans of the page
    // (`page`) or of the tape's arena, interned here once each.

    #[inline]
    fn val(&mut self, page: &str, tape: &Tape, v: TVal) -> Val {
        match v {
            TVal::Absent => Val::ABSENT,
            TVal::Null => Val::NULL,
            TVal::FromMs => Val(FROM_MS),
            TVal::Str(t) => Val::tagged(TAG_STR, self.strings.intern(tape.text(page, t))),
            TVal::Num(t) => Val::tagged(TAG_NUM, self.strings.intern(tape.text(page, t))),
            TVal::Json(t) => Val::tagged(TAG_JSON, self.strings.intern(tape.text(page, t))),
        }
    }

    /// `pairs` interned into the scratch buffer (a list is pushed whole, so
    /// it is one slice of the chunked pool).
    fn intern_pairs(&mut self, page: &str, tape: &Tape, pairs: &[(Text, TVal)]) -> Vec<(u32, Val)> {
        let mut p = std::mem::take(&mut self.scratch);
        p.clear();
        for &(k, v) in pairs {
            p.push((
                self.strings.intern(tape.text(page, k)),
                self.val(page, tape, v),
            ));
        }
        p
    }

    /// A list of pairs (additional fields, unknown members); absent/null kept.
    fn list(&mut self, page: &str, tape: &Tape, l: TList) -> ListRef {
        match l.len {
            LIST_ABSENT => ListRef::ABSENT,
            LIST_NULL => ListRef::NULL,
            len => {
                let p = self.intern_pairs(page, tape, tape.list_pairs(l));
                let start = self.pairs.push_slice(&p) as u32;
                self.scratch = p;
                ListRef { start, len }
            }
        }
    }

    fn object(&mut self, page: &str, tape: &Tape, l: TList) -> u32 {
        match l.len {
            LIST_ABSENT => ABSENT,
            LIST_NULL => NULL,
            _ => self.object_of(page, tape, tape.list_pairs(l)),
        }
    }

    /// Id of the deduplicated object holding `members`.
    fn object_of(&mut self, page: &str, tape: &Tape, members: &[(Text, TVal)]) -> u32 {
        let p = self.intern_pairs(page, tape, members);
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

    fn add_record(&mut self, page: &str, tape: &Tape, r: &TRecord) -> bool {
        let fp = fingerprint(page, tape, r);
        let fps = &self.fingerprints;
        if let Some(existing) = self.by_fingerprint.find(fp, |rid| {
            fps[rid as usize] == fp && self.same_record(rid, page, tape, r)
        }) {
            // Same record seen again (page shift, overlapping listing). Keep the
            // richer user context: listings without includeUserContext send null.
            let has_ctx = |o: u32| o < NULL && self.objects[o as usize].len > 0;
            let old = self.records[existing as usize].ctx as usize;
            if !has_ctx(self.contexts[old].user_context)
                && r.user_context.is_present()
                && r.user_context.len > 0
            {
                let mut c = self.contexts[old].clone();
                c.user_context = self.object(page, tape, r.user_context);
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
        let when = r.when();
        let context = Context {
            updated_by_user: self.val(page, tape, r.updated_by_user),
            updated_by: self.val(page, tape, r.updated_by.val),
            org_id: self.val(page, tape, r.org_id.val),
            entity_type: self.val(page, tape, r.entity_type),
            source: self.val(page, tape, r.source),
            mode: self.val(page, tape, r.mode),
            till: self.object(page, tape, r.till),
            store: self.object(page, tape, r.store),
            user_context: self.object(page, tape, r.user_context),
            victim: self.object(page, tape, r.victim),
            survivor: self.object(page, tape, r.survivor),
            extras: self.object_of(page, tape, tape.list_pairs(r.extras)),
            user_code: 0,
            source_code: 0,
            mode_code: 0,
        };
        let events = &tape.events[r.events.range()];
        let row = RecordRow {
            created_ms: r.created.ms,
            auto_ms: r.auto.ms,
            created_raw: self.val(page, tape, r.created.raw),
            auto_raw: self.val(page, tape, r.auto.raw),
            entity_id: self.val(page, tape, r.entity_id.val),
            request_id: self.val(page, tape, r.request_id),
            ctx: self.context(context),
            n_events: events.len() as u32,
            // Set when the page's rows are merged in.
            first_event: u32::MAX,
            events_presence: match r.events.len {
                LIST_ABSENT => 0,
                LIST_NULL => 1,
                _ => 2,
            },
        };
        let next_of_request = match row.request_id.id() {
            Some(request) => {
                let first = &mut self.request_first;
                while first.len() <= request as usize {
                    first.push(ABSENT);
                }
                std::mem::replace(&mut first[request as usize], rid)
            }
            None => ABSENT,
        };
        self.request_next.push(next_of_request);
        self.records.push(row);
        if events.is_empty() {
            let type_code = self.type_code("(no events)", EventKind::Other);
            let field_code = self.fields.code("");
            let shape = self.shape(EventShape {
                event_type: Val::ABSENT,
                field: Val::ABSENT,
                type_code,
                field_code,
                kind: EventKind::Other,
                placeholder: true,
            });
            self.staged.push(EventRow {
                record: rid,
                when,
                shape,
                additional: ListRef::ABSENT,
                associates: ListRef::ABSENT,
                extras: ListRef::ABSENT,
            });
        }
        for e in events {
            let row = self.event_row(page, tape, rid, when, e);
            self.staged.push(row);
        }
        true
    }

    /// The shape of event `e` worked out from its labels: once per distinct
    /// type and field (or channel, for subscription events).
    fn new_event_shape(
        &mut self,
        page: &str,
        tape: &Tape,
        e: &TEvent,
        event_type: Val,
        field: Val,
        sub: &[Option<&str>; 6],
    ) -> u32 {
        let (type_code, kind) = match self.type_by_val.get(&event_type.0) {
            Some(&known) => known,
            None => {
                let label = tape.val_text(page, e.event_type);
                let kind = label.map_or(EventKind::Other, EventKind::from_label);
                let code = self.type_code(label.unwrap_or("(none)"), kind);
                self.type_by_val.insert(event_type.0, (code, kind));
                (code, kind)
            }
        };
        let field_text = tape.val_text(page, e.field).unwrap_or("");
        let field_code = if sub.iter().any(Option::is_some) {
            self.fields
                .code(&subscription_key(field_text, sub[0], sub[2], sub[3]))
        } else {
            self.fields.code(field_text)
        };
        self.shape(EventShape {
            event_type,
            field,
            type_code,
            field_code,
            kind,
            placeholder: false,
        })
    }

    /// Index of `shape` in [`Store::shapes`], added if new.
    fn shape(&mut self, shape: EventShape) -> u32 {
        let next = self.shapes.len() as u32;
        let id = *self.shape_index.entry(shape).or_insert(next);
        if id == next {
            self.shapes.push(shape);
        }
        id
    }

    /// The shape of row `e`.
    #[inline(always)]
    pub(crate) fn shape_of(&self, e: &EventRow) -> &EventShape {
        &self.shapes[e.shape as usize]
    }

    fn type_code(&mut self, label: &str, kind: EventKind) -> u32 {
        let c = self.types.code(label);
        if c as usize == self.type_kinds.len() {
            self.type_kinds.push(kind);
        }
        c
    }
    fn event_row(&mut self, page: &str, tape: &Tape, rid: u32, when: i64, e: &TEvent) -> EventRow {
        let event_type = self.val(page, tape, e.event_type);
        let field = self.val(page, tape, e.field);
        // As `Event::subscription` and `Event::field_key`: a subscription
        // event's field key names its channel too, so its shape is not the
        // type and field alone.
        let sub = subscription_parts(page, tape, e.additional);
        let plain = sub.iter().all(Option::is_none);
        let pair = u64::from(event_type.0) << 32 | u64::from(field.0);
        let known = if plain {
            self.shape_by_vals.get(&pair).copied()
        } else {
            None
        };
        let shape = match known {
            Some(shape) => shape,
            None => {
                let shape = self.new_event_shape(page, tape, e, event_type, field, &sub);
                if plain {
                    self.shape_by_vals.insert(pair, shape);
                }
                shape
            }
        };
        let associates = match e.associates.len {
            LIST_ABSENT => ListRef::ABSENT,
            LIST_NULL => ListRef::NULL,
            _ => {
                let ids: Vec<u32> = tape.objects[e.associates.range()]
                    .iter()
                    .map(|&l| self.object_of(page, tape, tape.list_pairs(l)))
                    .collect();
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
            shape,
            additional: self.list(page, tape, e.additional),
            associates,
            extras: self.list(page, tape, e.extras),
        }
    }

    /// Checks a fingerprint hit really is the same record.
    fn same_record(&self, rid: u32, page: &str, tape: &Tape, r: &TRecord) -> bool {
        let row = &self.records[rid as usize];
        let text = |v: Val| v.id().map(|id| self.strings.get(id));
        text(row.request_id) == tape.val_text(page, r.request_id)
            && row.n_events as usize == r.events.range().len()
            && row.auto_ms == r.auto.ms
            && row.created_ms == r.created.ms
            && text(row.entity_id) == tape.val_text(page, r.entity_id.val)
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

    /// The events of `id`'s request (one user action: its change set), `id`
    /// included, in time order. Events without a request id are grouped by
    /// their exact time instead. Costs the request's own size, not the store's.
    pub fn request_events(&self, id: EventId) -> Vec<EventId> {
        let row = &self.events[id as usize];
        match self.records[row.record as usize].request_id.id() {
            Some(request) => self.events_of_request(request),
            None => self.unrequested_at(row.when),
        }
    }

    /// Whether two events belong to the same request (both have one).
    pub fn same_request(&self, a: EventId, b: EventId) -> bool {
        let request = |id: EventId| {
            let row = &self.events[id as usize];
            self.records[row.record as usize].request_id.id()
        };
        request(a).is_some() && request(a) == request(b)
    }

    /// A key naming event `id` that survives reloads, re-fetches, more pages and
    /// other load orders (event ids do not): its request id and a fingerprint
    /// of what the event says (type, field, values, label ids), with `-k` for the
    /// k-th of several identical events of one request: `91a3cfc4…~1f2e3d4c`.
    /// An event without a request id is named by its exact time instead
    /// (`@1700000000000~…`, `@none~…` without a time). [`Store::find_event`]
    /// reads it back, and also the older `<request>~<position>` form.
    pub fn event_key(&self, id: EventId) -> String {
        let row = &self.events[id as usize];
        let fp = self.event_fingerprint(id);
        let same_before = self
            .request_events(id)
            .into_iter()
            .take_while(|&p| p != id)
            .filter(|&p| self.event_fingerprint(p) == fp)
            .count();
        let prefix = match self
            .cell(self.records[row.record as usize].request_id)
            .as_str()
        {
            Some(request) => request.to_owned(),
            None if row.when == NO_MS => "@none".to_owned(),
            None => format!("@{}", row.when),
        };
        match same_before {
            0 => format!("{prefix}~{fp:08x}"),
            k => format!("{prefix}~{fp:08x}-{k}"),
        }
    }

    /// The event an [`Store::event_key`] names, if it is loaded.
    pub fn find_event(&self, key: &str) -> Option<EventId> {
        let (prefix, suffix) = key.rsplit_once('~')?;
        let peers = match prefix.strip_prefix('@') {
            Some("none") => self.unrequested_at(NO_MS),
            Some(time) => self.unrequested_at(time.parse().ok()?),
            None => self.events_of_request(self.strings.find(prefix)?),
        };
        let (fp, k) = suffix.split_once('-').unwrap_or((suffix, "0"));
        if fp.len() == 8 {
            let fp = u32::from_str_radix(fp, 16).ok()?;
            let k: usize = k.parse().ok()?;
            return peers
                .into_iter()
                .filter(|&p| self.event_fingerprint(p) == fp)
                .nth(k);
        }
        // `<request>~<n>`: the position among the request's events (older links).
        peers.get(suffix.parse::<usize>().ok()?).copied()
    }

    /// FNV-1a over what an event says, to tell a request's events apart.
    fn event_fingerprint(&self, id: EventId) -> u32 {
        let e = self.event(id);
        let mut h: u32 = 0x811c_9dc5;
        let parts = [
            e.type_label(),
            Some(e.field_key()),
            e.previous(),
            e.current(),
            e.previous_label_id(),
            e.current_label_id(),
        ];
        for part in parts {
            for &b in part
                .unwrap_or("\u{0}absent")
                .as_bytes()
                .iter()
                .chain(&[0xff])
            {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        h
    }

    /// Every event of the records in request `request`'s chain, in time order.
    fn events_of_request(&self, request: u32) -> Vec<EventId> {
        let mut out = Vec::new();
        let mut rid = if (request as usize) < self.request_first.len() {
            self.request_first[request as usize]
        } else {
            ABSENT
        };
        while rid != ABSENT {
            let rec = &self.records[rid as usize];
            let first = self.events.id(rec.first_event) as u32;
            // A record without events has one placeholder row.
            out.extend(first..first + rec.n_events.max(1));
            rid = self.request_next[rid as usize];
        }
        out.sort_unstable();
        out
    }

    /// Events at exactly `when` whose record has no request id.
    fn unrequested_at(&self, when: i64) -> Vec<EventId> {
        let first = self.events.first_at(when);
        (first..self.events.len())
            .take_while(|&id| self.events[id].when == when)
            .filter(|&id| {
                let rec = self.events[id].record as usize;
                self.records[rec].request_id.id().is_none()
            })
            .map(|id| id as EventId)
            .collect()
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
                    .filter(|e| !self.shape_of(e).placeholder)
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
        let shape = self.shape_of(e);
        Event {
            event_type: self.n_str(shape.event_type),
            updated_field: self.n_str(shape.field),
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
        let shape = self.shape_of(e);
        if set.contains_val(shape.event_type)
            || set.contains_val(shape.field)
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

fn fingerprint(page: &str, tape: &Tape, r: &TRecord) -> u64 {
    // Identity of a record across pages: everything but the user context (which
    // depends on includeUserContext) and the order of members.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let text = |v: TVal| tape.val_text(page, v).unwrap_or("");
    let ms = |t: i64| if t == NO_MS { 0 } else { t };
    h.str(text(r.request_id));
    h.str(text(r.entity_type));
    h.num(r.entity_id.n);
    h.num(ms(r.created.ms));
    h.num(ms(r.auto.ms));
    h.num(r.updated_by.n);
    for e in &tape.events[r.events.range()] {
        h.str(text(e.event_type));
        h.str(text(e.field));
        for &(k, v) in tape.list_pairs(e.additional) {
            h.str(tape.text(page, k));
            // As `display_value`: null is empty, other JSON as printed.
            h.str(text(v));
        }
    }
    h.0
}

/// The members `Event::subscription` reads from additional fields, as
/// `Members::text` gives them (the first member of each key counts; null is
/// none): channel type, channel id, priority, org source, org source id, OU id.
fn subscription_parts<'t>(page: &'t str, tape: &'t Tape, l: TList) -> [Option<&'t str>; 6] {
    const KEYS: [&str; 6] = [
        "communication_channel_type",
        "communication_channel_id",
        "priority",
        "org_source",
        "org_source_id",
        "ou_id",
    ];
    let mut found: [Option<Option<&str>>; 6] = [None; 6];
    for &(k, v) in tape.list_pairs(l) {
        let key = tape.text(page, k);
        if let Some(i) = KEYS.iter().position(|&x| x == key) {
            found[i].get_or_insert(tape.val_text(page, v));
        }
    }
    found.map(Option::flatten)
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
pub(crate) fn decimal(n: i64, buf: &mut [u8; 20]) -> &str {
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
        self.store.shape_of(self.row).placeholder
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
        self.store.shape_of(self.row).kind
    }
    /// The raw `eventType` label.
    pub fn type_label(&self) -> Option<&'a str> {
        self.store
            .cell(self.store.shape_of(self.row).event_type)
            .as_str()
    }
    pub fn field(&self) -> Option<&'a str> {
        self.store
            .cell(self.store.shape_of(self.row).field)
            .as_str()
    }
    /// The history key (field, made specific per subscription channel).
    pub fn field_key(&self) -> &'a str {
        &self.store.fields.labels[self.store.shape_of(self.row).field_code as usize]
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

// The per-event table is the store's largest after the strings: a field
// added to a row costs a million events its size (see [`EventShape`]).
const _: () = assert!(std::mem::size_of::<EventRow>() == 40);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_one_type_and_field_share_a_shape() {
        let record = |request: &str, events: &str| {
            format!(
                r#"{{"entityType":"CARD","entityId":648089,"requestId":"{request}","autoUpdateTime":1687954900305,"events":{events}}}"#
            )
        };
        let status = |from: &str, to: &str| {
            format!(
                r#"{{"eventType":"Card Status","updatedField":"CardStatus","additionalFields":{{"previousValue":"{from}","currentValue":"{to}"}}}}"#
            )
        };
        let page = format!(
            r#"{{"data":[{},{},{},{}],"pagination":{{"totalElements":4,"totalPages":1,"numberOfElements":4,"number":0}}}}"#,
            record("r1", &format!("[{}]", status("NOT_ISSUED", "ACTIVE"))),
            record("r2", &format!("[{}]", status("ACTIVE", "SUSPENDED"))),
            record("r3", "[]"),
            record(
                "r4",
                r#"[{"eventType":"Card Status","updatedField":null,"additionalFields":{}}]"#
            ),
        );
        let mut store = Store::new();
        store.ingest_bytes("", page.as_bytes());
        assert_eq!(store.len(), 4);
        // The two status changes, the placeholder of r3, r4's null field.
        assert_eq!(store.shapes.len(), 3);
        let events: Vec<_> = store.events().collect();
        let by_request = |r: &str| {
            events
                .iter()
                .find(|e| {
                    store.records[e.record_id() as usize]
                        .request_id
                        .id()
                        .map(|id| store.strings.get(id))
                        == Some(r)
                })
                .unwrap()
        };
        for r in ["r1", "r2"] {
            let e = by_request(r);
            assert_eq!(e.type_label(), Some("Card Status"));
            assert_eq!(e.field(), Some("CardStatus"));
            assert!(!e.is_placeholder());
        }
        assert_eq!(by_request("r1").current(), Some("ACTIVE"));
        assert_eq!(by_request("r2").current(), Some("SUSPENDED"));
        assert!(by_request("r3").is_placeholder());
        assert_eq!(by_request("r3").type_label(), None);
        assert_eq!(by_request("r4").type_label(), Some("Card Status"));
        assert_eq!(by_request("r4").field(), None);
        assert!(!by_request("r4").is_placeholder());
    }

    #[test]
    fn numbers_are_interned_as_they_print() {
        for n in [0, 7, -7, 10, 100458, i64::MAX, i64::MIN, -1] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }
}
