//! Capillary audit-trail core: one typed model for both audit-log generations and
//! the status logs, a lenient parser that recovers intact records from damaged
//! pages, and (growing) an interned store with search, derived views and export.
//!
//! Pure Rust, no browser dependency, compiles for `wasm32-unknown-unknown`.
//!
//! Parsing: [`parse_response`] takes the response bytes and never panics; see
//! [`parse`] for the fast path / recovery design.

pub mod audit;
mod json;
pub mod parse;
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
pub mod store;
mod strings;
pub use store::{
    Cell, EventId, EventView, IngestReport, ListingReport, RecordId, Store, StoredStatus,
};
pub mod query;
pub use query::{
    facets, Clause, FacetCount, Facets, Query, QueryError, Search, SearchResult, Term, TimeBound,
};
pub mod export;
pub mod views;
pub use views::{
    change_sets, field_history, merges, state_as_of, status_timeline, value_diff, ChangeSet,
    DiffOp, DiffSpan, FieldHistory, FieldState, HistoryEntry, Merge, StatusPeriod,
};
