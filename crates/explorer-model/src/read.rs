//! Reading the live API's answers: what a body with a status says, for the session plan, and
//! the data in it, for the store. This is the one place answers are parsed, so whoever hosts
//! the engine (a worker) is the only one that needs the parser: the session plan that decides
//! the requests only hears [`Read`]s.

use audit_core::{parse_status_log, Parsed, StatusLogKind};
use capillary_client::{parse_lookup_customer_id, read_page, PageAnswer, Problem as ApiProblem};

use crate::problem::Problem;

/// What a request was for, so its answer can be read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Purpose {
    /// Page `page` of the audit listing whose key is `listing`, in pages of `limit`.
    AuditPage {
        listing: String,
        page: u32,
        limit: u32,
        max_pages: u32,
    },
    /// A customer's or a card's status log.
    StatusLog(StatusLogKind),
    /// The customer lookup by identifier.
    Lookup,
}

/// An HTTP answer with its body, as the browser received it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What an answer said.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Read {
    /// An audit page: its facts, or its classified failure, for the fetch plan.
    Page(PageAnswer),
    /// A status log was merged; the card id it names, for a card opened by its number.
    StatusLog { entity_id: Option<i64> },
    /// The customer a lookup found.
    Customer(i64),
    /// The request failed (any purpose), classified; `status` when there was an answer.
    Failed {
        status: Option<u16>,
        problem: ApiProblem,
    },
}

/// The listing a customer's status log is merged under (live, and restored from the cache).
pub const CUSTOMER_STATUS_LISTING: &str = "customer status log";
/// The listing a card's status log is merged under.
pub const CARD_STATUS_LISTING: &str = "card status log";

/// The status log a page named by its listing is (how the loader reads answers kept in the
/// cache as the live source read them).
pub fn status_kind_of(name: &str) -> Option<StatusLogKind> {
    match name {
        CUSTOMER_STATUS_LISTING => Some(StatusLogKind::Customer),
        CARD_STATUS_LISTING => Some(StatusLogKind::Card),
        _ => None,
    }
}

/// Data read from an answer, for `Store::ingest_page`: the listing it belongs to, the page,
/// and what was wrong with it.
pub type Ingest = (String, Parsed, Vec<Problem>);

/// Reads `answer` to a request for `purpose` at `now`.
pub fn read_answer(purpose: &Purpose, answer: Answer, now: i64) -> (Read, Option<Ingest>) {
    let now_ms = now.max(0) as u64;
    if !answer.is_success() {
        let problem = ApiProblem::from_http(answer.status, &answer.headers, &answer.body, now_ms);
        let status = Some(answer.status);
        return match purpose {
            Purpose::AuditPage { .. } => (Read::Page(PageAnswer::Failed { status, problem }), None),
            _ => (Read::Failed { status, problem }, None),
        };
    }
    match purpose {
        Purpose::AuditPage {
            listing,
            page,
            limit,
            max_pages,
        } => {
            let read = read_page(&answer.body, *limit, *max_pages);
            match read.facts {
                Ok(facts) => {
                    let problems = facts
                        .damaged
                        .iter()
                        .map(|p| {
                            Problem::new(
                                p.kind,
                                format!("Page {}: {} {}", page + 1, p.message, p.next_step),
                            )
                        })
                        .collect();
                    (
                        Read::Page(PageAnswer::Read(Ok(facts))),
                        Some((listing.clone(), read.parsed, problems)),
                    )
                }
                Err(problem) => (Read::Page(PageAnswer::Read(Err(problem))), None),
            }
        }
        Purpose::StatusLog(kind) => {
            let parsed = parse_status_log(&answer.body, *kind);
            let entity_id = parsed
                .status_entries
                .iter()
                .find_map(|e| e.entity_id.get().copied());
            let listing = match kind {
                StatusLogKind::Customer => CUSTOMER_STATUS_LISTING,
                StatusLogKind::Card => CARD_STATUS_LISTING,
            };
            (
                Read::StatusLog { entity_id },
                Some((listing.to_owned(), parsed, Vec::new())),
            )
        }
        Purpose::Lookup => match parse_lookup_customer_id(&answer.body) {
            Ok(id) => (Read::Customer(id), None),
            Err(problem) => (
                Read::Failed {
                    status: Some(answer.status),
                    problem,
                },
                None,
            ),
        },
    }
}
