//! The records the generator produces, mirroring the API's JSON fields.
//!
//! These are output types only: the app parses the JSON the writers in
//! [`crate::json`] produce (exactly as it parses real responses), so nothing
//! here needs to be deserialisable.

/// `entityType` of an audited entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    /// `CUSTOMER`
    Customer,
    /// `CARD`
    Card,
}

impl EntityType {
    /// The API spelling (`CUSTOMER` / `CARD`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Customer => "CUSTOMER",
            EntityType::Card => "CARD",
        }
    }

    /// Parses `CUSTOMER` / `CARD`, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("CUSTOMER") {
            Some(EntityType::Customer)
        } else if s.eq_ignore_ascii_case("CARD") {
            Some(EntityType::Card)
        } else {
            None
        }
    }
}

/// The kind of one audit event. The two response generations spell the
/// `eventType` differently (see [`EventKind::current_name`] and
/// [`EventKind::legacy_name`]); the query parameter `referenceType` uses a
/// third spelling ([`EventKind::reference_type`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// mobile, email, externalId, cardnumber
    Identifier,
    /// push tokens per channel (`ios`, `android`)
    CommChannel,
    /// FirstName, LastName, …
    StandardField,
    /// Brand-defined extended fields. The real `eventType` string is
    /// unconfirmed; the generator uses `Extended Fields` so the explorer's
    /// "unknown type" path gets exercised with a plausible value.
    ExtendedField,
    /// Customer status/label changes
    CustomerStatus,
    /// Card status/label changes
    CardStatus,
    /// Opt-in/out per channel and priority
    SubscriptionStatus,
}

impl EventKind {
    /// `eventType` in current responses (`Identifiers`, `Communication Channels`, …).
    pub fn current_name(self) -> &'static str {
        match self {
            EventKind::Identifier => "Identifiers",
            EventKind::CommChannel => "Communication Channels",
            EventKind::StandardField => "Standard Fields",
            EventKind::ExtendedField => "Extended Fields",
            EventKind::CustomerStatus => "Customer Status",
            EventKind::CardStatus => "Card Status",
            EventKind::SubscriptionStatus => "Subscription Status",
        }
    }

    /// `eventType` in legacy responses. Only `Identifier` and `CommChannel`
    /// are confirmed by saved responses; the others follow the same
    /// "reference type" spelling.
    pub fn legacy_name(self) -> &'static str {
        self.reference_type()
    }

    /// The `referenceType` query value selecting this kind.
    pub fn reference_type(self) -> &'static str {
        match self {
            EventKind::Identifier => "Identifier",
            EventKind::CommChannel => "CommChannel",
            EventKind::StandardField => "StandardField",
            EventKind::ExtendedField => "ExtendedField",
            EventKind::CustomerStatus => "CustomerStatus",
            EventKind::CardStatus => "CardStatus",
            EventKind::SubscriptionStatus => "SubscriptionStatus",
        }
    }
}

/// Maps any `eventType` spelling (current, legacy, or an unknown one) to the
/// `referenceType` vocabulary, so a filter works on generated and replayed
/// records alike: `"Communication Channels"` and `"CommChannel"` both give
/// `"CommChannel"`, `"Standard Fields"` gives `"StandardField"`. Unknown
/// types lose spaces and a plural `s` (`"Custom Fields"` → `"CustomField"`;
/// `…Status` keeps its `s`).
pub fn reference_type_of(event_type: &str) -> String {
    let compact: String = event_type.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.eq_ignore_ascii_case("CommunicationChannels")
        || compact.eq_ignore_ascii_case("CommunicationChannel")
    {
        return "CommChannel".to_string();
    }
    let singular = !compact.ends_with("us") && !compact.ends_with("ss");
    match compact.strip_suffix('s') {
        Some(stem) if singular && !stem.is_empty() => stem.to_string(),
        _ => compact,
    }
}

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
