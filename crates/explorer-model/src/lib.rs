//! The audit explorer's model: everything the app does that is not a signal, an IO call or
//! markup, as plain data tested natively. The Leptos layer (or a worker hosting the engine)
//! drives it with commands and renders what it returns.
#![forbid(unsafe_code)]

pub mod cache;
pub mod case_file;
pub mod connect;
pub mod engine;
pub mod file_reads;
pub mod link;
pub mod loader;
pub mod problem;
pub mod protocol;
pub mod query_edit;
pub mod read;
pub mod session;
pub mod views;
pub mod zone;

/// How the page writes a count ("1,234,567"), as the views do.
pub use capillary_vocab::count::Grouped;
pub use engine::{
    CacheCommand, Command, Engine, ExportFile, ExportFormat, QueryErrorView, Report, ResultView,
    RowWindow, SourceKind, Update,
};
pub use file_reads::FileReads;
pub use link::{
    ApiLink, ApiRequest, AuthKind, Link, LinkDefaults, LinkError, Target, View, ViewState,
};
pub use loader::{LoadProgress, Loaded, Loader, OpenedCase, Page};
pub use problem::{Problem, ProblemKind, Problems};
pub use read::{Answer, Purpose, Read};
pub use session::{Request, SessionPlan, SessionSettings, Step};
pub use zone::{Clock, FixedOffsets, Offsets, Zone};
