//! The audit explorer web app: a thin Leptos layer over `explorer-model`.
//!
//! Data flows one way: a source (the built-in demo, opened files, the live API) yields response
//! bytes; the model's engine parses and indexes them and answers with view models; components
//! render those and turn clicks and keystrokes into changes of the link (the URL) or commands.
//! Components never parse, scan or filter. What is here besides components: the contexts that
//! share state (one per concern) and the adapters to the browser (address bar, HTTP, storage,
//! `postMessage`, `Intl`, downloads, files).
#![forbid(unsafe_code)]

mod address_bar;
mod app;
mod banners;
mod connect;
mod credentials;
mod deployment;
mod detail;
mod download;
mod embed;
mod engine_host;
mod event_list;
mod facets;
mod files;
mod histogram;
mod history;
mod http;
mod js_object;
mod link;
mod live;
mod refresh;
mod schedule;
mod status_log;
mod timeline;

pub use app::App;
pub use deployment::load_config;
pub use engine_host::StartedWorker;
