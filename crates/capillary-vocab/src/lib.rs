//! The vocabulary of Capillary's audit APIs: the nouns every other crate of the explorer
//! speaks, each defined once, spelled as the API spells them.
//!
//! - [`EntityType`]: `CUSTOMER` / `CARD` (`entityType`).
//! - [`EventType`]: what an audit event is about, with its spelling in each response
//!   generation (`Communication Channels` in current responses, `CommChannel` in legacy ones
//!   and in the `referenceType` parameter), its display name, and the one tolerant reader of
//!   labels ([`EventType::from_label`]).
//! - [`Generation`]: the current (`/api_gateway/v2/audits`) and legacy (`/v2/auditLog/get`)
//!   audit endpoints and the response shapes they answer with.
//! - [`AuthKind`]: how requests authenticate (`basic`, `oauth`, `none`), without credentials.
//! - [`IdentifierName`]: the customer lookup's `identifierName` (`mobile`, `email`,
//!   `externalId`, `cardnumber`); [`SortOrder`]: `ASC` / `DESC`.
//! - [`civil`]: proleptic Gregorian calendar arithmetic (days ↔ dates, leap years) that no
//!   `i64` input makes overflow or panic, for the time formats the API and HTTP use.
//! - [`count`]: how a count is written for people ("1,234,567"), the same everywhere.
//! - [`percent`]: percent-encoding of URL query components, and decoding them as a browser's
//!   `URLSearchParams` does.
//!
//! # Invariant
//!
//! No dependencies, no IO, no clock, no allocation beyond the strings a caller asks for: only
//! the nouns, as the API spells them, in both generations. Readers (`parse`, `from_label`)
//! never fail loudly: they answer `None` (or [`EventType::Other`]) for what they do not know,
//! because everything they read comes from a response, a link or a config file.
//!
//! # Why a crate of its own
//!
//! Every crate needs the nouns: the parser and store (`audit-core`), the generator
//! (`audit-gen`), the client (`capillary-client`), the simulator (`capillary-sim`), the
//! deployment config (`explorer-config`), the explorer model (`explorer-model`) and the WASM
//! app. Defined in any one of them, the others would pull in its dependencies (serde, md-5,
//! axum …) to say `CUSTOMER`, or define the noun again and drift: before this crate the entity
//! type was parsed two ways and event labels were normalised by two different functions.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod civil;
pub mod count;
mod event;
mod nouns;
pub mod percent;

pub use event::EventType;
pub use nouns::{AuthKind, EntityType, Generation, IdentifierName, SortOrder};

#[cfg(test)]
#[test]
fn the_crate_forbids_unsafe_code_and_has_no_dependencies() {
    let lib = include_str!("lib.rs");
    assert!(lib.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"));
    let manifest = include_str!("../Cargo.toml");
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table")
        .split("\n[")
        .next()
        .unwrap_or_default();
    let entries: Vec<&str> = deps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(entries.is_empty(), "dependencies: {entries:?}");
}
