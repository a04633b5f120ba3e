//! The records the generator produces, mirroring the API's JSON fields.
//!
//! These are output types only: the app parses the JSON the writers in
//! [`crate::json`] produce (exactly as it parses real responses), so nothing
//! here needs to be deserialisable.

/// `entityType` of an audited entity, and the kind of one audit event: the vocabulary's
/// nouns. Events are written with [`EventKind::current_name`] or [`EventKind::legacy_name`]
/// per response generation; [`EventKind::from_label`] reads any spelling back (the simulator
/// filters replayed records by it).
pub use capillary_vocab::{EntityType, EventType as EventKind};

/// `associateEntities` of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Associate {
    /// `null`
    Null,
    /// `[{"entityType": null, "entityId": null}]`, as on a card's first status.
    Unlinked,
    /// `[{"entityType": "CUSTOMER", "entityId": 98662653}, …]`
    Entities(Vec<(EntityType, i64)>),
}

/// One entry of a record's `events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Serialised as `eventType`, spelled per response generation.
    pub kind: EventKind,
    /// `updatedField` (`mobile`, `ios`, `LastName`, `CardStatus`, …).
    pub updated_field: String,
    /// `additionalFields`, in output order. `None` is written as `null`.
    pub additional: Vec<(&'static str, Option<String>)>,
    /// `associateEntities`.
    pub associate: Associate,
}

impl Event {
    /// The value of one `additionalFields` key, if present and not null.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.additional
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// `till` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Till {
    /// `code`
    pub code: String,
    /// `name`
    pub name: String,
}

/// `store` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    /// `code`
    pub code: String,
    /// `name`
    pub name: String,
    /// `externalId`
    pub external_id: String,
    /// `externalId1`
    pub external_id1: String,
    /// `externalId2`
    pub external_id2: String,
}

/// `userContextDetails` (each value may be null in real data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserContext {
    /// `entityType`, e.g. `INTOUCH_ADMIN_USER`
    pub entity_type: Option<String>,
    /// `entityId` (a string in the API)
    pub entity_id: Option<String>,
    /// `entitySource`, e.g. `MEMBER_CARE`
    pub entity_source: Option<String>,
    /// `entitySourceId`, e.g. the member-care agent's name
    pub entity_source_id: Option<String>,
}

/// `victimUserDetails` / `survivorUserDetails` of a merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDetails {
    /// `firstName`
    pub first_name: String,
    /// `lastName`
    pub last_name: String,
    /// `email`
    pub email: String,
    /// `mobile`
    pub mobile: String,
    /// `externalId`
    pub external_id: String,
}

/// One audit record (one element of `data` / `entity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `updatedByUser` (till login or null)
    pub updated_by_user: Option<String>,
    /// `updatedBy` (can be -1)
    pub updated_by: i64,
    /// `orgId`
    pub org_id: i64,
    /// `entityType`
    pub entity_type: EntityType,
    /// `entityId`
    pub entity_id: i64,
    /// `createdOn`, epoch ms
    pub created_on: i64,
    /// `requestId`; several records of one user action share it
    pub request_id: String,
    /// `till`
    pub till: Option<Till>,
    /// `store`
    pub store: Option<Store>,
    /// The user context recorded with the change. Written only when the
    /// caller asks for it (`includeUserContext=true`); `None` then becomes an
    /// object of nulls, as the API does.
    pub user_context: Option<UserContext>,
    /// `victimUserDetails`
    pub victim: Option<UserDetails>,
    /// `survivorUserDetails`
    pub survivor: Option<UserDetails>,
    /// `source` (any case, or null)
    pub source: Option<String>,
    /// `updatedByMode` (API, MEMBER_CARE, IMPORT, …)
    pub updated_by_mode: String,
    /// `autoUpdateTime`, epoch ms; the default sort key
    pub auto_update_time: i64,
    /// `events`
    pub events: Vec<Event>,
}

impl Record {
    /// True for merge records (they carry victim/survivor details); the
    /// `CustomerMerge` reference type selects these.
    pub fn is_merge(&self) -> bool {
        self.victim.is_some() || self.survivor.is_some()
    }
}

/// One entry of a customer or card status log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLogEntry {
    /// `createdByUser`
    pub created_by_user: String,
    /// `reason`
    pub reason: String,
    /// `createdBy` (0 = system)
    pub created_by: i64,
    /// Instant of the change, epoch ms; written as `createdOn` (ISO, in
    /// `offset_min`) and `autoUpdateTime` (`YYYY-MM-DD`).
    pub at: i64,
    /// UTC offset, in minutes, used to print `createdOn` (e.g. 330 = +05:30).
    pub offset_min: i32,
    /// `entityId`
    pub entity_id: i64,
    /// `isActive`: true only on the current entry
    pub is_active: bool,
    /// `label`
    pub label: String,
    /// `status`
    pub status: String,
}

/// A customer's current identity, as the lookup endpoint reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerProfile {
    /// Capillary's internal customer id (the audit `entityId`)
    pub id: i64,
    /// Current first name
    pub first_name: String,
    /// Current last name
    pub last_name: String,
    /// Current mobile
    pub mobile: String,
    /// Current email
    pub email: String,
    /// Current external id
    pub external_id: String,
    /// Card numbers held now (own cards and ones gained by merges)
    pub card_numbers: Vec<String>,
}
