//! Capillary audit-trail core: one typed model for both audit-log generations and
//! the status logs, a lenient parser that recovers intact records from damaged
//! pages, a compact interned store with a keystroke-speed query language, derived
//! views, and CSV/NDJSON export. Pure Rust, no browser dependency; compiles for
//! `wasm32-unknown-unknown` and never reads the clock ("now" is passed in).
//!
//! # Public API (what the app calls)
//!
//! Parsing ([`parse`]):
//! - [`parse_response`]`(&[u8]) -> `[`Parsed`]: never panics. [`Parsed::shape`] is a
//!   [`ResponseShape`] (current audits, legacy audits, customer/card status log,
//!   error envelope, or unrecognised with a reason); then `records`
//!   ([`AuditRecord`]), `status_entries` ([`StatusEntry`]), `pagination`,
//!   `api_errors` ([`ApiError`]: 8015, 3010, …) and `damaged` ([`DamagedSpan`]:
//!   byte offset, length, reason).
//! - [`parse_status_log`]`(&[u8], `[`StatusLogKind`]`)` when the endpoint is known.
//!
//! Store and search ([`store`], [`query`]):
//! - [`Store::new`], [`Store::ingest`]`(Parsed)`, [`Store::ingest_page`]`(listing, Parsed)`
//!   → [`IngestReport`] (added / duplicates / damaged); [`Store::listings`] →
//!   [`ListingReport`] (missing pages, moving totals, short pages).
//! - [`Query::parse`]`(&str) -> Result<Query, `[`QueryError`]` { span, message }>` (a byte
//!   span; [`QueryError::column`], [`QueryError::marked`] and [`QueryError::caret_line`]
//!   render it against any text without slicing by hand);
//!   [`Search::run`]`(&store, &query, now_ms) -> &`[`SearchResult`] (event ids, oldest
//!   first; narrows the previous result while typing); [`Store::query`] for one-offs;
//!   [`facets`]`(&store, &ids)` → [`Facets`] (type, field, source, mode, user).
//! - [`Store::event`]`(id)` → [`EventView`]: `time`, `kind`, `type_label`, `field`,
//!   `field_key`, `previous`, `current`, label ids, `user`, `user_label`,
//!   `updated_by`, `mode`, `source`, `request_id`, `till`, `store_place`,
//!   `user_context`, `victim`, `survivor`, `associate_entities`,
//!   `additional_fields`, `extras`, `entity_type`, `entity_id`.
//! - [`Store::record`]`(record_id)` rebuilds the raw record.
//!
//! Views ([`views`]): [`change_sets`], [`field_history`], [`state_as_of`],
//! [`status_timeline`], [`merges`], [`value_diff`].
//!
//! Export ([`export`]): [`export::to_csv`], [`export::to_ndjson`].
//!
//! Time ([`time`]): [`parse_time`], [`format_utc`], [`format_at_offset`]; instants are kept
//! to the years 1–9999 (`time::MIN_UTC_MS`..=`time::MAX_UTC_MS`), other times stay raw
//! ([`EventView::time_raw`]).
//!
//! # Why it is built this way
//!
//! - **Bytes in, lenient visitors.** The app hands over response bytes; typed
//!   serde visitors read them in one pass with borrowed keys, keep null apart from
//!   missing ([`Nullable`]), keep unknown or wrongly-typed members verbatim
//!   ([`Extras`]), and never fail a record over one odd member.
//! - **Recovery by re-parsing, not by brace counting.** Damaged pages are re-read
//!   element by element; after a failure the reader resynchronises on the next
//!   position that parses as a whole record (see [`parse`]), which survives the
//!   curly quote in the seed that would fool a quote-parity scanner. A
//!   validating skimmer remembers what it has read, so recovery is linear in
//!   the input ([`Parsed::recovery_work`] counts its reads).
//! - **No raw JSON kept.** The store interns every string once (u32 ids) in one
//!   buffer with a lowercase copy prepared at intern time (not for long
//!   mixed-case strings such as push tokens, which are case-folded while
//!   searching); rows are small fixed structs, with the members that repeat
//!   across records in shared contexts; records are rebuilt on demand for
//!   display and export. This keeps a million events under half the raw JSON.
//! - **Search matches distinct strings, then ids.** A needle is searched once over
//!   the prepared haystack (or only over the hits of the needle it extends), and
//!   events are filtered by bitset lookups; a query that extends the previous one
//!   filters the previous result. Facets count dense codes assigned at ingest.
//! - **Small dependency set for the bundle:** serde, serde_json, memchr, csv and
//!   similar (no default features, so no clock). Times are hand-parsed ([`time`]).

#![forbid(unsafe_code)]

pub mod audit;
mod json;
pub mod parse;
mod skim;
pub mod status_log;
pub mod time;
pub mod value;

pub use audit::{AuditRecord, Change, Event, EventKind, Subscription};
pub use json::Members;
pub use parse::{
    parse_response, parse_status_log, ApiError, DamagedSpan, Pagination, Parsed, ResponseShape,
};
pub use status_log::{StatusEntry, StatusLogKind};
pub use time::{format_at_offset, format_utc, parse_time, TimeRaw, TimeValue, UtcMillis};
pub use value::{Extras, Nullable};
mod chunked;
mod rows;
pub mod store;
mod strings;
mod table;
pub use store::{
    Cell, EventId, EventView, IngestReport, ListingReport, RecordId, Store, StoredStatus,
};
pub mod query;
pub use query::{
    facets, Clause, FacetCount, Facets, Query, QueryError, Search, SearchJob, SearchResult, Term,
    TimeBound, SEARCH_CHUNK,
};
pub mod export;
pub mod views;
pub use views::{
    change_sets, density, field_history, merges, state_as_of, status_timeline, time_span,
    value_diff, ChangeSet, DiffOp, DiffSpan, FieldHistory, FieldState, HistoryEntry, Merge,
    StatusPeriod,
};
