//! The problems the page itself has to tell (config.json, a link that cannot be used, a fetch
//! that failed, a file that could not be read), beside the ones the engine reports about what
//! it read. Shown as banners; none of them takes away what is loaded.

use explorer_model::{Problem, ProblemKind, Problems};
use leptos::prelude::*;

/// Handle to the page's banners; provided as context by the app.
#[derive(Clone, Copy)]
pub struct Banners {
    list: RwSignal<Problems>,
}

impl Banners {
    pub fn provide() -> Banners {
        let banners = Banners {
            list: RwSignal::new(Problems::default()),
        };
        provide_context(banners);
        banners
    }

    /// Shows `problem` (once).
    pub fn add(&self, problem: Problem) {
        self.list.update(|l| l.add(problem));
    }

    /// Removes the banners `drop` picks (a retried fetch clears the failure it retries).
    pub fn clear(&self, drop: impl Fn(ProblemKind) -> bool) {
        self.list.update(|l| l.clear(drop));
    }

    /// Whether a banner of `kind` is shown (tracked).
    pub fn shows(&self, kind: ProblemKind) -> bool {
        self.list.with(|l| l.any(kind))
    }

    pub fn all(&self) -> Vec<Problem> {
        self.list.with(|l| l.iter().cloned().collect())
    }
}

pub fn use_banners() -> Banners {
    expect_context::<Banners>()
}
