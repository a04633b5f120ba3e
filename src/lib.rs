//! The audit explorer web app: a thin Leptos layer over `audit-core`.
//!
//! Data flows one way: a source (the built-in demo, opened files, the live API) yields response
//! bytes; `audit-core` parses and indexes them into a store; the current query (kept in the
//! URL, see [`url_state`]) selects events; pages render them. Components render and dispatch;
//! they never parse or filter.
#![forbid(unsafe_code)]

mod api_query;
mod app;
mod connect;
mod deployment;
mod detail;
mod embed;
mod explorer;
mod export;
mod files;
mod histogram;
mod history;
mod live;
mod location;
mod session;
mod status_log;
mod timeline;
pub mod url_state;
mod zone;

pub use app::App;
pub use deployment::load_config;
