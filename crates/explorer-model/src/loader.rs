//! Loading many response pages into a fresh store, a page per step, so the caller decides how
//! long each slice of work may run (the UI thread between frames, a worker between messages)
//! and shows progress meanwhile. Like capillary-client's `FetchPlan`, it never reads a clock.

use std::collections::VecDeque;

use audit_core::{PageSummary, ResponseShape, Store};
use capillary_vocab::count::Grouped;

use crate::case_file::{self, CaseFile};
use crate::problem::{Problem, ProblemKind};

/// One named response body (a file, a saved page, a demo page).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Page {
        Page {
            name: name.into(),
            bytes,
        }
    }
}

/// How far a load has got, for the progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadProgress {
    pub pages_done: usize,
    pub pages_total: usize,
    pub bytes_done: usize,
    pub bytes_total: usize,
    pub events: usize,
}

impl LoadProgress {
    /// "3 of 1,000 pages · 3,000 events".
    pub fn line(&self) -> String {
        format!(
            "{} of {} pages · {} events",
            Grouped::from(self.pages_done),
            Grouped::from(self.pages_total),
            Grouped::from(self.events)
        )
    }
}

/// Pages being parsed and merged into a store of their own until it holds something (a load that
/// reads nothing never replaces what is shown); the caller may then show that store and have
/// the rest merged into it ([`Loader::step_into`]).
#[derive(Debug, Default)]
pub struct Loader {
    store: Store,
    problems: Vec<Problem>,
    pending: VecDeque<Page>,
    /// Pages announced ([`Loader::expect`]) whose bytes have not arrived yet.
    expected: usize,
    progress: LoadProgress,
    cases: Vec<OpenedCase>,
}

/// A case file among the pages loaded: what it says of itself, and the view to restore.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpenedCase {
    pub name: String,
    pub version: u64,
    pub view: Option<crate::ViewState>,
    pub entity: String,
    pub exported_at: String,
}

/// A finished load.
#[derive(Debug)]
pub struct Loaded {
    pub store: Store,
    pub problems: Vec<Problem>,
    pub pages: usize,
    /// The case files among the pages, in load order.
    pub cases: Vec<OpenedCase>,
}

impl Loaded {
    /// True when nothing at all was read (no event, no status-log entry).
    pub fn is_empty(&self) -> bool {
        self.store.is_empty() && self.store.status_entries().is_empty()
    }
}

impl Loader {
    pub fn new(pages: impl IntoIterator<Item = Page>) -> Loader {
        let mut loader = Loader::default();
        for page in pages {
            loader.feed(page);
        }
        loader
    }

    /// Announces `pages` more pages whose bytes follow later ([`Loader::feed`] each, or
    /// [`Loader::unreadable`]): files still being read count in the progress, and the load is
    /// not done until they have come.
    pub fn expect(&mut self, pages: usize) {
        self.expected += pages;
        self.progress.pages_total += pages;
    }

    /// Queues one more page (one announced, if any are).
    pub fn feed(&mut self, page: Page) {
        self.arrived();
        self.progress.bytes_total += page.bytes.len();
        self.pending.push_back(page);
    }

    /// An announced page that will not come: its file could not be read. Told as a problem.
    pub fn unreadable(&mut self, name: &str) {
        self.arrived();
        self.progress.pages_done += 1;
        self.problems.push(Problem::new(
            ProblemKind::File,
            format!("Could not read {name}."),
        ));
    }

    fn arrived(&mut self) {
        if self.expected > 0 {
            self.expected -= 1;
        } else {
            self.progress.pages_total += 1;
        }
    }

    /// Parses and merges the next page into the load's own store; false when none was left.
    pub fn step(&mut self) -> bool {
        let mut store = std::mem::take(&mut self.store);
        let stepped = self.step_into(&mut store);
        self.store = store;
        stepped
    }

    /// Parses and merges the next page into `store` (the one shown, once a load's first rows
    /// are on screen); false when none was left.
    pub fn step_into(&mut self, store: &mut Store) -> bool {
        let Some(page) = self.pending.pop_front() else {
            return false;
        };
        let mut summary = match crate::read::status_kind_of(&page.name) {
            // A status log kept by the cache, as the live source read it.
            Some(kind) => {
                let parsed = audit_core::parse_status_log(&page.bytes, kind);
                let summary = PageSummary::of(&parsed);
                store.ingest_page(&page.name, parsed);
                summary
            }
            // Straight from the bytes into the store: no owned record is built for a valid page.
            None => store.ingest_bytes(&page.name, &page.bytes).1,
        };
        if let Some(case) = case_file::take(&mut summary.extras, &page.name) {
            self.open_case(store, &page.name, case);
        }
        self.problems.extend(page_problems(&page.name, &summary));
        self.progress.pages_done += 1;
        self.progress.bytes_done += page.bytes.len();
        self.progress.events = store.len();
        true
    }

    /// Whether the load's own store holds anything yet (an event or a status-log entry).
    pub fn has_data(&self) -> bool {
        !self.store.is_empty() || !self.store.status_entries().is_empty()
    }

    /// The load's own store, to be shown; later steps go [`Loader::step_into`] it.
    pub fn take_store(&mut self) -> Store {
        std::mem::take(&mut self.store)
    }

    /// What was wrong with the pages read so far (taken: each problem is told once).
    pub fn take_problems(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.problems)
    }

    /// Pages not read yet (arrived or announced).
    pub fn pages_left(&self) -> usize {
        self.pending.len() + self.expected
    }

    /// Pages announced ([`Loader::expect`]) that have not arrived yet.
    pub fn pages_announced(&self) -> usize {
        self.expected
    }

    /// Whether a page has arrived that is not read yet (else [`Loader::step`] has nothing to do).
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Every page announced has arrived and been read.
    pub fn is_done(&self) -> bool {
        self.pending.is_empty() && self.expected == 0
    }

    /// A case file's status logs join the store; its header is kept for the view to restore.
    fn open_case(&mut self, store: &mut Store, name: &str, case: CaseFile) {
        self.problems.extend(case.problems);
        for (listing, page) in case.status_pages {
            store.ingest_page(&format!("{name}: {listing}"), page);
        }
        self.cases.push(OpenedCase {
            name: name.to_owned(),
            version: case.version,
            view: case.view,
            entity: case.entity,
            exported_at: case.exported_at,
        });
    }

    /// The case files read so far (taken: each view is restored once).
    pub fn take_cases(&mut self) -> Vec<OpenedCase> {
        std::mem::take(&mut self.cases)
    }

    pub fn progress(&self) -> LoadProgress {
        self.progress
    }

    /// The store as loaded, its spare capacity released (WASM memory is never given back).
    pub fn finish(mut self) -> Loaded {
        while self.step() {}
        self.store.shrink_to_fit();
        Loaded {
            store: self.store,
            problems: self.problems,
            pages: self.progress.pages_done,
            cases: self.cases,
        }
    }
}

/// What was wrong with one page, in a sentence each: not a response, damaged (with what was
/// recovered and where it broke), or carrying the API's error envelope.
pub fn page_problems(name: &str, page: &PageSummary) -> Vec<Problem> {
    let mut out = Vec::new();
    if let ResponseShape::Unrecognised { reason } = &page.shape {
        out.push(Problem::new(
            capillary_client::ProblemKind::Unrecognised,
            format!("{name}: not an audit or status-log response ({reason})."),
        ));
    }
    if let Some(first) = page.damaged.first() {
        out.push(Problem::new(
            capillary_client::ProblemKind::Damaged,
            format!(
                "{name}: damaged page, {} records recovered, {} damaged part(s) skipped \
                 (first at byte {}: {}).",
                Grouped::from(page.records),
                page.damaged.len(),
                first.offset,
                first.reason
            ),
        ));
    }
    for e in &page.api_errors {
        out.push(Problem::new(
            ProblemKind::ApiError,
            format!(
                "{name}: the API reported error {}: {}",
                e.code.map_or_else(|| "?".to_owned(), |c| c.to_string()),
                e.message.clone().unwrap_or_default()
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../tests/fixtures/seeds/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_load_runs_a_page_per_step_and_reports_progress() {
        let mut loader = Loader::new([
            Page::new(
                "current",
                seed("audit-current-customer-98662653-identifiers.json"),
            ),
            Page::new("legacy", seed("audit-legacy-customer-98662653.json")),
        ]);
        assert_eq!(loader.progress().pages_total, 2);
        assert!(loader.step());
        let p = loader.progress();
        assert_eq!((p.pages_done, p.pages_total), (1, 2));
        assert!(p.events > 0 && p.bytes_done < p.bytes_total);
        assert!(!loader.is_done());
        assert!(loader.step());
        assert!(loader.is_done() && !loader.step());
        let loaded = loader.finish();
        assert_eq!(loaded.pages, 2);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert!(
            loaded.store.len() >= 17,
            "both generations merged: {}",
            loaded.store.len()
        );
    }

    #[test]
    fn a_damaged_page_keeps_its_intact_records_and_says_where_it_broke() {
        let loaded = Loader::new([Page::new(
            "merge.json",
            seed("audit-merge-134094571-damaged.json"),
        )])
        .finish();
        assert!(loaded.store.record_count() >= 1);
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        let p = &loaded.problems[0];
        assert_eq!(p.data_kind(), "damaged");
        assert!(
            p.message.contains("records recovered") && p.message.contains("byte"),
            "{}",
            p.message
        );
    }

    #[test]
    fn unrecognised_and_error_envelopes_are_named_and_nothing_is_read() {
        let envelope = br#"{"warnings":[],"errors":[{"status":false,"code":8015,"message":"Customer not found for the given identifiers"}]}"#;
        let loaded = Loader::new([
            Page::new("a.json", b"[1,2]".to_vec()),
            Page::new("b.json", envelope.to_vec()),
        ])
        .finish();
        assert!(loaded.is_empty());
        let kinds: Vec<_> = loaded.problems.iter().map(Problem::data_kind).collect();
        assert_eq!(kinds, ["unrecognised", "api-error"]);
        assert!(loaded.problems[1].message.contains("8015"));
    }
}
