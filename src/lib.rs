//! The audit explorer web app: a thin Leptos layer over `audit-core`.
//!
//! Data flows one way: a source (the built-in demo, later the live API or opened files) yields
//! response bytes; `audit-core` parses and indexes them; pages render what a query selects.
//! Components render and dispatch; they never parse or filter.

mod app;
mod dataset;
mod timeline;

pub use app::App;
pub use dataset::{Dataset, LoadReport};
pub use timeline::Timeline;
