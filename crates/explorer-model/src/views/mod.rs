//! View models: plain data for each part of the screen, built from the store and the current
//! result. Components render them as they are (every string as text) and never read the store.

pub mod detail;
pub mod history;
pub mod rows;
pub mod status;
pub mod summary;

pub use detail::{detail, DetailView, EntityRef, Mark, MergeView, Peer, Span, ValueChange};
pub use history::{history, FieldChoice, HistoryRow, HistoryView, StateRow};
pub use rows::{rows, RowView};
pub use status::{status_lanes, LaneView, PeriodView, StatusView};
pub use summary::{
    facet_groups, histogram, Bar, Chip, Facet, FacetGroup, HistogramView, HISTOGRAM_VIEW_BOX,
};
