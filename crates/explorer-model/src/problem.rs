//! Problems shown to the user: a typed kind (its `data-kind` is derived from it, so a banner's
//! hook cannot be misspelt) and one plain sentence. Loaded data is never dropped for a problem.

use capillary_client::ProblemKind as ApiProblemKind;

/// What kind of problem a banner shows. API failures reuse capillary-client's classification;
/// the rest are the explorer's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ProblemKind {
    /// A failure talking to the API (or a page it sent: damaged, unrecognised).
    Api(ApiProblemKind),
    /// A loaded page or file carried the API's error envelope (`errors: [{code, message}]`).
    ApiError,
    /// A load read nothing; what was shown before is kept.
    NothingLoaded,
    /// A file could not be read from disk.
    File,
    /// config.json was missing, broken, or had a bad value.
    Config,
    /// The search box holds a query that cannot be read.
    Query,
    /// A link names an API this deployment does not list: it is never prefilled.
    UnlistedApi,
    /// The page is framed by an origin the deployment does not allow: no credential entry.
    Framed,
    /// The link names an API for which no credentials are held.
    CredentialsNeeded,
    /// The engine's worker could not start (a CSP without `worker-src`, an old browser, a
    /// worker of another release): nothing can be read until it does.
    Engine,
    /// A trail kept on this device did not read back whole: it was discarded, never shown.
    CacheDamaged,
    /// The on-device cache could not do what it was asked (no storage, a write that did not
    /// verify), or did something worth saying ("Forget" done). Nothing shown is affected.
    Cache,
}

impl ProblemKind {
    /// The stable `data-kind` of the banner (UI hooks and tests select on it).
    pub fn data_kind(self) -> &'static str {
        match self {
            ProblemKind::Api(kind) => kind.as_str(),
            ProblemKind::ApiError => "api-error",
            ProblemKind::NothingLoaded => "nothing-loaded",
            ProblemKind::File => "file",
            ProblemKind::Config => "config",
            ProblemKind::Query => "query",
            ProblemKind::UnlistedApi => "unlisted-api",
            ProblemKind::Framed => "framed",
            ProblemKind::CredentialsNeeded => "credentials-needed",
            ProblemKind::Engine => "engine",
            ProblemKind::CacheDamaged => "cache-damaged",
            ProblemKind::Cache => "cache",
        }
    }

    /// Kinds a retried fetch clears: the failure it retries is no longer the news.
    pub fn is_fetch_failure(self) -> bool {
        matches!(
            self,
            ProblemKind::Api(
                ApiProblemKind::Server
                    | ApiProblemKind::Network
                    | ApiProblemKind::RateLimited
                    | ApiProblemKind::Unauthorized
                    | ApiProblemKind::Forbidden
            )
        )
    }
}

impl From<ApiProblemKind> for ProblemKind {
    fn from(kind: ApiProblemKind) -> ProblemKind {
        ProblemKind::Api(kind)
    }
}

/// One banner.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn new(kind: impl Into<ProblemKind>, message: impl Into<String>) -> Problem {
        Problem {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// A classified API failure with its next step (a countdown when a retry is due).
    pub fn from_api(problem: &capillary_client::Problem, now_ms: u64) -> Problem {
        Problem::new(
            problem.kind,
            format!("{} {}", problem.message, problem.next_step_at(now_ms)),
        )
    }

    pub fn data_kind(&self) -> &'static str {
        self.kind.data_kind()
    }
}

/// The banners shown, in the order they arose, each once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Adds `problem` unless the same one is already shown.
    pub fn add(&mut self, problem: Problem) {
        if !self.0.contains(&problem) {
            self.0.push(problem);
        }
    }

    /// Removes every banner `drop` picks.
    pub fn clear(&mut self, drop: impl Fn(ProblemKind) -> bool) {
        self.0.retain(|p| !drop(p.kind));
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for p in problems {
            self.add(p);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    pub fn any(&self, kind: ProblemKind) -> bool {
        self.0.iter().any(|p| p.kind == kind)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_kinds_are_the_documented_hooks() {
        assert_eq!(
            ProblemKind::Api(ApiProblemKind::Damaged).data_kind(),
            "damaged"
        );
        assert_eq!(
            ProblemKind::from(ApiProblemKind::RateLimited).data_kind(),
            "rate-limited"
        );
        assert_eq!(ProblemKind::NothingLoaded.data_kind(), "nothing-loaded");
        assert_eq!(ProblemKind::Query.data_kind(), "query");
    }

    #[test]
    fn a_problem_shows_once_and_a_retry_clears_fetch_failures_only() {
        let mut shown = Problems::default();
        let network = Problem::new(ApiProblemKind::Network, "No answer.");
        shown.add(network.clone());
        shown.add(network);
        shown.add(Problem::new(
            ProblemKind::Config,
            "config.json: bad `theme`.",
        ));
        assert_eq!(shown.iter().count(), 2);
        shown.clear(ProblemKind::is_fetch_failure);
        let kinds: Vec<_> = shown.iter().map(Problem::data_kind).collect();
        assert_eq!(kinds, ["config"]);
    }
}
