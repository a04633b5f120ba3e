//! Reading the live API's answers: what a body with a status says, for the session plan, and
//! the data in it, for the store. This is the one place answers are parsed, so whoever hosts
//! the engine (a worker) is the only one that needs the parser: the session plan that decides
//! the requests only hears [`Read`]s.

use audit_core::{parse_status_log, StatusLogKind, Store};
use capillary_client::{page_facts, parse_lookup_customer_id, PageAnswer, Problem as ApiProblem};

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

/// Reads `answer` to a request for `purpose` at `now`, and merges the data in it into `store`:
/// an audit page straight from its bytes (`Store::ingest_bytes_with`, its `totalPages` bounded
/// as the plan's), a status log. Returns what the answer said and, when data was merged, what
/// was wrong with it (empty when nothing was).
pub fn read_answer(
    purpose: &Purpose,
    answer: Answer,
    now: i64,
    store: &mut Store,
) -> (Read, Option<Vec<Problem>>) {
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
            // Not audit data (an error envelope, a status log) is refused: nothing is stored.
            let mut facts = None;
            let (ingested, _) = store.ingest_bytes_with(listing, &answer.body, |summary| {
                let read = page_facts(summary, *limit, *max_pages);
                let accept = read.is_ok();
                facts = Some(read);
                accept
            });
            match facts.expect("ingest_bytes_with hands every page's summary over") {
                Ok(mut facts) => {
                    // Records the store already held: a refresh stops at the first page with one.
                    facts.known = ingested.records_duplicate;
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
                    (Read::Page(PageAnswer::Read(Ok(facts))), Some(problems))
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
            store.ingest_page(listing, parsed);
            (Read::StatusLog { entity_id }, Some(Vec::new()))
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
