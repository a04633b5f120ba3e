//! The audit explorer's Capillary API client logic, with no IO: it decides
//! what to request, with which headers, when, and what a failure means; the
//! browser layer (gloo-net) only executes it. Everything is deterministic
//! and "now" is always passed in as epoch milliseconds, so the whole client
//! is tested natively and builds for `wasm32-unknown-unknown`.
//!
//! # Public API
//!
//! Endpoints ([`endpoint`]):
//! - [`Cluster`] presets (`eu`, `us`, `in`, `apac`, `apac2`, `sea`, `ushc`);
//!   [`ApiBase::cluster`], [`ApiBase::custom`]`(url)`, [`ApiBase::proxy`]`(path)`,
//!   [`ApiBase::parse`]`(typed)` → `Result<ApiBase, `[`EndpointError`]`>`;
//!   [`ApiBase::origin`], [`ApiBase::scope`], [`ApiBase::is_same_origin`];
//!   [`Origin`] (serialised as the URL standard's `URL.origin`;
//!   `Origin::parse("null")` is [`EndpointError::OpaqueOrigin`], which the app
//!   reports rather than guess a page origin).
//! - [`AuditParams`] (every audit parameter; [`EntityType`], [`SortOrder`],
//!   [`ReferenceType`], nouns of `capillary-vocab` re-exported here),
//!   [`AuditParams::validate`] → [`ParamError`];
//!   [`audit_url`], [`AuditListing`] (`page_url(page)`, `key()` for
//!   `Store::ingest_page`), [`Generation`] (current / legacy endpoint).
//! - [`customer_status_log_url`], [`card_status_log_url`], [`lookup_url`]
//!   ([`IdentifierName`]), [`oauth_token_url`], [`parse_lookup_customer_id`],
//!   [`encode_component`] (`capillary_vocab::percent`'s).
//!
//! Auth ([`auth`]):
//! - [`basic_header_value`], [`basic_header_from_md5`], [`md5_hex`]; [`OAuth`] / [`OAuthToken`] (renewal
//!   before expiry and after a 401); [`AuthMode`] (none, Basic, OAuth, a host's token or
//!   header), built checked by [`AuthMode::basic`], [`AuthMode::basic_from_md5`],
//!   [`AuthMode::token`], [`AuthMode::header`]; [`AuthMode::kind`] → [`AuthKind`].
//! - Headers ([`header`]): [`HeaderName`] and [`HeaderValue`] can only be built as a browser's
//!   `Headers.set` accepts them ([`HeaderError`] otherwise), and are what
//!   [`Credentials::header_for`] returns, so no credential can make a fetch throw.
//! - [`Credentials`] bound to the API base they were entered for
//!   ([`Credentials::scope`] → [`ApiScope`]: origin and path prefix, matched on
//!   a path-segment boundary; compare with [`ApiBase::scope`]):
//!   [`Credentials::header_for`]`(url, page_origin, now_ms)` returns the
//!   header only for a URL inside it ([`AuthError::OutsideScope`] otherwise);
//!   [`Credentials::token_request`] likewise.
//!
//! Fetching every page ([`fetch_plan`]):
//! - [`FetchPlan::new`]`(`[`AuditListing`]`, `[`PlanConfig`]`)`;
//!   [`FetchPlan::poll`]`(now_ms) -> Vec<`[`Action`]`>` (`Fetch { page, url }`,
//!   `Wait { until_ms, reason }`, `RenewAuth`, `Done`, `Failed(Problem)`,
//!   `Cancelled`); [`FetchPlan::on_response`]`(page, `[`Outcome`]`, now_ms) ->
//!   Option<`[`PageDelivery`]`>` (the parsed page, for `Store::ingest_page`);
//!   [`FetchPlan::cancel`], [`FetchPlan::resume`], [`FetchPlan::auth_renewed`],
//!   [`FetchPlan::note_other_request`], [`FetchPlan::progress`] → [`Progress`]
//!   (`summary(now_ms)`); [`RateLimit`] pacing; [`WaitReason::describe`].
//! - Bounded against a broken or hostile server: a page's `totalPages` is
//!   cut to what its `totalElements` need ([`PAGE_COUNT_SLACK`]) and capped
//!   at [`PlanConfig::max_pages`] ([`MAX_PAGES_PER_LISTING`]); every retry
//!   (429, 5xx/521, network, renew-on-401) and `Retry-After`
//!   ([`PlanConfig::max_wait_ms`]) has a bound and a named failure; OAuth
//!   tokens with a tiny `ttlSeconds` are renewed no sooner than
//!   [`MIN_TOKEN_RENEWAL_MS`], backing off to [`MAX_TOKEN_RENEWAL_MS`].
//!
//! Problems ([`problem`]): [`Problem`] (`kind`, `message`, `next_step`,
//! `next_step_at(now)` countdown, `kind_str()` for `data-kind`),
//! [`ProblemKind`], [`Problem::from_http`], [`Problem::from_outcome`] (any
//! request's answer, for the lookup, status logs and token as for pages),
//! [`Problem::from_param_error`], [`Problem::network`], [`Problem::redirected`],
//! [`Problem::damaged`], [`parse_retry_after`].
//!
//! Redirects are never followed: the driver fetches with `redirect: "manual"`
//! and reports [`Outcome::Redirected`], a failure no retry repeats (a followed
//! redirect would re-send the token header, or POST the OAuth secret, to
//! wherever it points).

// Everything here runs in the browser on data from the network and from other pages, and none
// of it needs unsafe code.
#![forbid(unsafe_code)]
// `Problem` (about 140 bytes) is the error of a few once-per-user-action
// calls; boxing it would add noise at every call site for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod endpoint;
pub mod fetch_plan;
pub mod header;
mod host;
pub mod problem;

pub use auth::{
    basic_header_from_md5, basic_header_value, md5_hex, AuthError, AuthKind, AuthMode, Credentials,
    OAuth, OAuthToken, TokenAnswer, TokenRequest, AUTHORIZATION, MAX_TOKEN_RENEWAL_MS,
    MIN_TOKEN_RENEWAL_MS, OAUTH_HEADER,
};
pub use endpoint::{
    audit_url, card_status_log_url, customer_status_log_url, encode_component, lookup_url,
    oauth_token_url, parse_lookup_customer_id, ApiBase, ApiScope, AuditListing, AuditParam,
    AuditParams, BaseKind, Cluster, Control, EndpointError, EntityType, Generation, IdentifierName,
    Origin, ParamError, ReferenceType, SortOrder, AUDIT_PARAMS,
};
pub use fetch_plan::{
    page_facts, read_page, Action, FetchPlan, Outcome, PageAnswer, PageDelivery, PageFacts,
    PageRead, PlanConfig, PlanState, Progress, RateLimit, WaitReason, MAX_PAGES_PER_LISTING,
    PAGE_COUNT_SLACK,
};
pub use header::{HeaderError, HeaderName, HeaderValue};
pub use problem::{countdown, parse_http_date, parse_retry_after, Problem, ProblemKind};

#[cfg(test)]
#[test]
fn the_crate_forbids_unsafe_code() {
    let lib = include_str!("lib.rs");
    assert!(lib.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"));
}
