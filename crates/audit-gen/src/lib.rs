//! Deterministic generator of Capillary-shaped audit data.
//!
//! One implementation feeds both the `capillary-sim` HTTP simulator and the
//! explorer's built-in demo, so both tell the same story. The crate is pure
//! Rust with no dependencies: no IO, no clock, no OS randomness, so it
//! builds for `wasm32-unknown-unknown` and adds little to the bundle.
//!
//! # Pieces
//! - [`World`] / [`WorldConfig`]: the seeded plan (customers, their cards,
//!   merges); [`EntitySpec::stream`] yields an entity's [`Record`]s oldest
//!   first, in constant memory, so a million records stream without a
//!   JSON tree. Streams are `Clone` snapshots, so a consumer can index once
//!   and replay from checkpoints to serve any page.
//! - [`json`]: writers for the exact API shapes: current pages
//!   ([`PageWriter`] with [`Shape::Current`]), legacy pages
//!   ([`Shape::Legacy`]), status logs ([`status_log_body`]), lookups
//!   ([`lookup_body`]) and the error envelope ([`error_body`]).
//! - [`StatusLogBuilder`]: derives status logs from the same records.
//! - [`time`]: epoch-ms ↔ ISO/`YYYY-MM-DD` and the query date parser.
//! - [`demo()`]: the app's demo as API bytes.
//!
//! # What the generated data contains
//! Customers register (one requestId: identifiers mobile/email/externalId,
//! FirstName/LastName, EMAIL opt-ins), then, spread evenly over the span:
//! ios/android push-token churn (163-char FCM-style tokens, source
//! `MAPP_SDK`/`MOBILE_APP`), subscription opt-in/out per channel (SMS,
//! EMAIL, ANDROID, IOS, WHATSAPP) and priority (TRANS/BULK, sometimes both
//! in one record) with `org_source`/`ou_id`, standard-field edits (FirstName,
//! LastName, Gender, DateOfBirth; two edits of one action are two records
//! sharing a requestId), identifier changes (mobile, sometimes with email;
//! email; externalId), customer status changes by member care (mostly label
//! changes within ACTIVE, sometimes ACTIVE↔SUSPENDED, with
//! `userContextDetails` INTOUCH_ADMIN_USER/MEMBER_CARE), and extended-field
//! edits (`eventType` `Extended Fields`, a guess: the real name is
//! unconfirmed). Till records carry `till`/`store` objects; sources come in
//! mixed case (`INSTORE`, `instore`, `Instore`, null). Cards are issued with
//! three records sharing one requestId (card NOT_ISSUED with only
//! `labelId`/`value` and an unlinked associate, the customer's `cardnumber`
//! identifier, card ACTIVE linked to the customer via `associateEntities`),
//! then move between ACTIVE, SUSPENDED (Lost/Stolen/Blocked) and EXPIRED.
//! A merge writes one record with `victimUserDetails`/`survivorUserDetails`
//! and the victim's externalId/cardnumber moving to the survivor.
//!
//! # The demo story ([`demo()`])
//! Fixed by [`DEMO_SEED`]; the app's tests may rely on every fact below
//! (this crate's tests check them):
//! - Customer [`DEMO_CUSTOMER_ID`] (`100200300`, org `100458`):
//!   [`DEMO_CUSTOMER_RECORDS`] = 240 records from 2023-01-01 to late 2024,
//!   served as 3 current-shape pages of [`DEMO_PAGE_SIZE`] = 100 (100, 100,
//!   40), newest first, with `includeUserContext=true`;
//!   `pagination.totalElements` is 240 and `totalPages` 3 on every page.
//! - Its registration is the oldest requestId: 3 records (identifiers,
//!   names, EMAIL opt-ins).
//! - One card, id [`FIRST_CARD_ID`] (`648089`), [`DEMO_CARD_RECORDS`] = 6
//!   records in one page, first NOT_ISSUED (`labelId` `26`), then ACTIVE;
//!   every record after the first has `associateEntities`
//!   `[{"entityType":"CUSTOMER","entityId":100200300}]`. Its number is the
//!   customer's `cardnumber` identifier and the three issue records share
//!   one requestId.
//! - Exactly one merge record (victim and survivor details) in the
//!   customer's trail, in the last third of the span.
//! - Status logs: the customer's starts with the registration entry
//!   (`ACTIVE`, label `Active`) and has one entry per `Customer Status`
//!   event; the card's has one entry per `Card Status` event (6). Newest
//!   first, only the first has `isActive: true`.
//! - All bytes are valid JSON (no damage; the simulator adds that on demand).
//!
//! ```
//! let demo = audit_gen::demo();
//! assert_eq!(demo.customer_pages.len(), 3);
//! let first = String::from_utf8(demo.customer_pages[0].clone()).unwrap();
//! assert!(first.starts_with(r#"{"data":[{"updatedByUser":"#));
//! assert!(first.ends_with(r#""pagination":{"totalElements":240,"totalPages":3,"numberOfElements":100,"number":0}}"#));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod demo;
mod gen;
pub mod json;
mod model;
pub mod rng;
pub mod time;

pub use demo::{
    demo, demo_config, demo_trail_pages, paginate, Demo, DEMO_CARD_RECORDS, DEMO_CUSTOMER_ID,
    DEMO_CUSTOMER_RECORDS, DEMO_PAGE_SIZE, DEMO_SEED,
};
pub use gen::{
    label_name, CardLink, CustomerConfig, EntitySpec, MergePlan, RecordStream, StatusLogBuilder,
    World, WorldConfig, DEFAULT_ORG_ID, FIRST_CARD_ID, FIRST_CUSTOMER_ID,
};
pub use json::{error_body, lookup_body, status_log_body, PageWriter, Pagination, Shape};
pub use model::{
    Associate, CustomerProfile, EntityType, Event, EventKind, Record, StatusLogEntry, Store, Till,
    UserContext, UserDetails,
};
