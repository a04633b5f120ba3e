//! The seeded world: customers and cards, and the streams of audit records
//! each one produces.
//!
//! A [`World`] is a plan: per entity, its id, size, time span, and the
//! cross-entity facts (which card belongs to whom and when it was issued,
//! which customer absorbs a merge victim). Each entity's records come from
//! its own [`RecordStream`], an iterator that holds only a small state
//! (current identifiers, tokens, statuses, subscriptions) and yields records
//! oldest first. That is what makes a million-record entity cheap: a
//! consumer can index records as they stream by, snapshot the (cloneable)
//! stream every few hundred records, and replay from a snapshot to
//! materialise any page, without ever holding the whole entity.
//!
//! Determinism: everything is derived from the world seed and the entity's
//! position in the config via [`crate::rng::mix`], never from a clock.

use crate::model::{
    Associate, CustomerProfile, EntityType, Event, EventKind, Record, StatusLogEntry, Store, Till,
    UserContext, UserDetails,
};
use crate::rng::{mix, Rng};
use crate::time::epoch_ms;
use std::collections::VecDeque;
use std::sync::Arc;

/// Org id used in the docs' examples; the default for generated records.
pub const DEFAULT_ORG_ID: i64 = 100_458;
/// Id of the first generated customer (then +1 per customer).
pub const FIRST_CUSTOMER_ID: i64 = 98_662_653;
/// Id of the first generated card (then +1 per card).
pub const FIRST_CARD_ID: i64 = 648_089;

/// What to generate. All sizes are record counts (one record = one element
/// of `data`, carrying one or more events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldConfig {
    /// Seed for everything; same seed and config → same bytes.
    pub seed: u64,
    /// `orgId` written on every record.
    pub org_id: i64,
    /// Earliest record time (epoch ms); each customer registers here.
    pub start_ms: i64,
    /// Time the streams aim to end at (epoch ms). Records are spread evenly
    /// in between, so a 1M-record entity over two years gets one about
    /// every minute.
    pub end_ms: i64,
    /// The customers, in id order.
    pub customers: Vec<CustomerConfig>,
}

/// One customer to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerConfig {
    /// Entity id; `None` takes `FIRST_CUSTOMER_ID + position`.
    pub id: Option<i64>,
    /// Number of audit records of this customer (at least 1).
    pub records: u64,
    /// One entry per card linked to the customer: that card's record count
    /// (at least 2: NOT_ISSUED then ACTIVE, issued with the customer's
    /// `cardnumber` identifier event under one requestId).
    pub cards: Vec<u64>,
    /// Whether a duplicate account is merged into this customer (one merge
    /// record with victim/survivor details).
    pub merge: bool,
}

impl Default for WorldConfig {
    /// One 200-record customer with a 6-record card and a merge, over
    /// 2023-01-01 .. 2025-01-01, seed 1.
    fn default() -> Self {
        WorldConfig {
            seed: 1,
            org_id: DEFAULT_ORG_ID,
            start_ms: epoch_ms(2023, 1, 1, 0, 0, 0),
            end_ms: epoch_ms(2025, 1, 1, 0, 0, 0),
            customers: vec![CustomerConfig {
                id: None,
                records: 200,
                cards: vec![6],
                merge: true,
            }],
        }
    }
}

/// A card issued to a customer: the facts both entities' streams share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardLink {
    /// The card's entity id (`CARD` audits).
    pub card_id: i64,
    /// Its card number (the customer's `cardnumber` identifier).
    pub number: String,
    /// The owning customer's entity id.
    pub customer_id: i64,
    /// When it was issued (the customer's `cardnumber` event time; the
    /// card's NOT_ISSUED record is 325 ms earlier, ACTIVE 150 ms later).
    pub issued_at: i64,
    /// requestId shared by the three issue records.
    pub request_id: String,
}

/// A merge of a duplicate account into a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergePlan {
    /// When the merge record is written.
    pub at: i64,
    /// The victim's details as written in `victimUserDetails`.
    pub victim: UserDetails,
    /// The victim's card number, which the survivor gains.
    pub victim_card: String,
    /// The externalId the survivor gets from the merge.
    pub new_external_id: String,
    /// requestId of the merge record.
    pub request_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    Customer {
        initial: Box<CustomerProfile>,
        cards: Vec<CardLink>,
        merge: Option<Box<MergePlan>>,
    },
    Card(CardLink),
}

/// One entity to generate: its identity, size, time span and plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitySpec {
    /// `CUSTOMER` or `CARD`.
    pub entity_type: EntityType,
    /// The entity id.
    pub entity_id: i64,
    /// How many records its stream yields.
    pub records: u64,
    /// First record time.
    pub start_ms: i64,
    /// Target time of the last record.
    pub end_ms: i64,
    /// `orgId`.
    pub org_id: i64,
    seed: u64,
    plan: Plan,
    /// Skip the customer registration / card issue records: the entity's
    /// history is elsewhere (see [`EntitySpec::standalone`]).
    mid_history: bool,
}

impl EntitySpec {
    /// A fresh stream of this entity's records, oldest first.
    pub fn stream(&self) -> RecordStream {
        RecordStream::new(Arc::new(self.clone()))
    }

    /// The same entity with a different record count and span, e.g. to
    /// generate "new arrivals" after `start_ms` for a replayed entity.
    pub fn resized(&self, records: u64, start_ms: i64, end_ms: i64) -> EntitySpec {
        EntitySpec {
            records,
            start_ms,
            end_ms,
            seed: mix(self.seed, (records as i64 ^ start_ms) as u64),
            ..self.clone()
        }
    }

    /// For a card: its link to the owning customer.
    pub fn card_link(&self) -> Option<&CardLink> {
        match &self.plan {
            Plan::Card(l) => Some(l),
            Plan::Customer { .. } => None,
        }
    }

    /// For a customer: the cards issued to it.
    pub fn cards(&self) -> &[CardLink] {
        match &self.plan {
            Plan::Customer { cards, .. } => cards,
            Plan::Card(_) => &[],
        }
    }

    /// For a customer: the planned merge, if any.
    pub fn merge(&self) -> Option<&MergePlan> {
        match &self.plan {
            Plan::Customer { merge, .. } => merge.as_deref(),
            Plan::Card(_) => None,
        }
    }

    /// A generic entity of the given type with no cards or merge, whose
    /// stream starts mid-history (no registration or card issue records; a
    /// card starts ACTIVE): used to synthesise records for an id the world
    /// does not know (e.g. new arrivals on a replayed entity).
    pub fn standalone(
        entity_type: EntityType,
        entity_id: i64,
        records: u64,
        start_ms: i64,
        end_ms: i64,
        seed: u64,
    ) -> EntitySpec {
        let seed = mix(seed, entity_id as u64);
        let plan = match entity_type {
            EntityType::Customer => Plan::Customer {
                initial: Box::new(identity(&mut Rng::derive(seed, 1), entity_id)),
                cards: Vec::new(),
                merge: None,
            },
            EntityType::Card => Plan::Card(CardLink {
                card_id: entity_id,
                number: card_number(&mut Rng::derive(seed, 2)),
                customer_id: FIRST_CUSTOMER_ID,
                issued_at: start_ms,
                request_id: request_id(&mut Rng::derive(seed, 3)),
            }),
        };
        EntitySpec {
            entity_type,
            entity_id,
            records,
            start_ms,
            end_ms,
            org_id: DEFAULT_ORG_ID,
            seed,
            plan,
            mid_history: true,
        }
    }
}

/// The planned entities of a [`WorldConfig`]: customers first (config
/// order), then their cards.
#[derive(Clone, Debug)]
pub struct World {
    config: WorldConfig,
    entities: Vec<EntitySpec>,
}

impl World {
    /// Plans the world. Cheap: no records are generated here.
    pub fn new(config: WorldConfig) -> World {
        let span = (config.end_ms - config.start_ms).max(1);
        let mut customers = Vec::new();
        let mut cards = Vec::new();
        let mut next_card_id = FIRST_CARD_ID;
        for (k, c) in config.customers.iter().enumerate() {
            let id = c.id.unwrap_or(FIRST_CUSTOMER_ID + k as i64);
            let seed = mix(config.seed, 0xC057 + k as u64);
            let mut rng = Rng::derive(seed, 1);
            let initial = identity(&mut rng, id);
            let mut links = Vec::new();
            let n = c.cards.len() as i64;
            for (j, &card_records) in c.cards.iter().enumerate() {
                // Cards are issued between 15% and 65% of the span, in order.
                let lo = config.start_ms + span * 15 / 100 + span * 50 / 100 * j as i64 / n;
                let hi = config.start_ms + span * 15 / 100 + span * 50 / 100 * (j as i64 + 1) / n;
                let link = CardLink {
                    card_id: next_card_id,
                    number: card_number(&mut rng),
                    customer_id: id,
                    issued_at: rng.range(lo, hi.max(lo + 1)),
                    request_id: request_id(&mut rng),
                };
                next_card_id += 1;
                cards.push(EntitySpec {
                    entity_type: EntityType::Card,
                    entity_id: link.card_id,
                    records: card_records.max(1),
                    start_ms: link.issued_at - 325,
                    end_ms: config.end_ms,
                    org_id: config.org_id,
                    seed: mix(seed, 0xCA4D + j as u64),
                    plan: Plan::Card(link.clone()),
                    mid_history: false,
                });
                links.push(link);
            }
            let merge = c.merge.then(|| {
                let at = rng.range(
                    config.start_ms + span * 70 / 100,
                    config.start_ms + span * 80 / 100,
                );
                let mobile = mobile(&mut rng);
                let victim = UserDetails {
                    first_name: initial.first_name.clone(),
                    last_name: initial.last_name.clone(),
                    email: email(&mut rng, &initial.first_name, &initial.last_name),
                    external_id: format!("{mobile}externalId"),
                    mobile,
                };
                Box::new(MergePlan {
                    at,
                    victim,
                    victim_card: card_number(&mut rng),
                    new_external_id: format!("EXT{:09}", rng.below(1_000_000_000)),
                    request_id: request_id(&mut rng),
                })
            });
            customers.push(EntitySpec {
                entity_type: EntityType::Customer,
                entity_id: id,
                records: c.records.max(1),
                start_ms: config.start_ms,
                end_ms: config.end_ms,
                org_id: config.org_id,
                seed,
                plan: Plan::Customer {
                    initial: Box::new(initial),
                    cards: links,
                    merge,
                },
                mid_history: false,
            });
        }
        customers.extend(cards);
        World {
            config,
            entities: customers,
        }
    }

    /// The config this world was planned from.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// All entities: customers first, then cards.
    pub fn entities(&self) -> &[EntitySpec] {
        &self.entities
    }

    /// One entity by type and id.
    pub fn entity(&self, entity_type: EntityType, id: i64) -> Option<&EntitySpec> {
        self.entities
            .iter()
            .find(|e| e.entity_type == entity_type && e.entity_id == id)
    }
}

const FIRST_NAMES: &[&str] = &[
    "Asha", "Vatsal", "Priya", "Rahul", "Meera", "Arjun", "Kavya", "Nikhil", "Sara", "Omar",
    "Lena", "Tom", "Mei", "Diego", "Anya", "Jak",
];
const LAST_NAMES: &[&str] = &[
    "Sharma",
    "V",
    "Iyer",
    "Menon",
    "Rao",
    "Khan",
    "Fernandes",
    "Sawyer",
    "Chen",
    "Ghi",
    "Novak",
    "Silva",
    "Patel",
    "Nair",
];
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";

fn identity(rng: &mut Rng, id: i64) -> CustomerProfile {
    let first = rng.pick(FIRST_NAMES).to_string();
    let last = rng.pick(LAST_NAMES).to_string();
    let mobile = mobile(rng);
    CustomerProfile {
        id,
        email: email(rng, &first, &last),
        external_id: format!("{mobile}externalId"),
        first_name: first,
        last_name: last,
        mobile,
        card_numbers: Vec::new(),
    }
}

fn mobile(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(12);
    if rng.chance(40) {
        s.push_str("91");
    }
    s.push(*rng.pick(&['7', '8', '9']));
    rng.push_chars(&mut s, DIGITS, 9);
    s
}

fn email(rng: &mut Rng, first: &str, last: &str) -> String {
    let domain = rng.pick(&["example.com", "example.org", "mail.example.net"]);
    format!(
        "{}.{}{}@{domain}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase(),
        rng.below(1000)
    )
}

fn card_number(rng: &mut Rng) -> String {
    let (prefix, len) = *rng.pick(&[("GOLD4", 25), ("DIWALI", 21), ("BUK", 15), ("ESL", 15)]);
    let mut s = String::from(prefix);
    rng.push_chars(&mut s, DIGITS, len - prefix.len());
    s
}

/// A requestId: 32 lowercase hex digits, or (one in five) a UUID, as seen
/// in real responses.
fn request_id(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(36);
    if rng.chance(20) {
        for (i, n) in [8, 4, 4, 4, 12].iter().enumerate() {
            if i > 0 {
                s.push('-');
            }
            rng.push_chars(&mut s, HEX, *n);
        }
    } else {
        rng.push_chars(&mut s, HEX, 32);
    }
    s
}

/// An FCM-style push token: 22 chars, `:APA91b`, 134 chars (163 in all,
/// like the seeds' ios tokens).
fn push_token(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(163);
    rng.push_chars(&mut s, TOKEN_ALPHABET, 22);
    s.push_str(":APA91b");
    rng.push_chars(&mut s, TOKEN_ALPHABET, 134);
    s
}

/// `(status, [(labelId, label)])` tables. Label ids are strings in the API.
const CUSTOMER_STATUSES: &[(&str, &[(&str, &str)])] = &[
    (
        "ACTIVE",
        &[("53", "Active"), ("54", "Gold"), ("55", "Platinum")],
    ),
    ("SUSPENDED", &[("60", "Suspended"), ("61", "Fraud review")]),
];
const CARD_STATUSES: &[(&str, &[(&str, &str)])] = &[
    ("NOT_ISSUED", &[("26", "Not issued")]),
    ("ACTIVE", &[("15", "Active"), ("16", "Reissued")]),
    (
        "SUSPENDED",
        &[("31", "Lost"), ("32", "Stolen"), ("33", "Blocked")],
    ),
    ("EXPIRED", &[("40", "Expired")]),
];

/// The brand label for a status label id, as the status logs show it
/// (`None` for ids the generator never uses).
pub fn label_name(entity_type: EntityType, label_id: &str) -> Option<&'static str> {
    let table = match entity_type {
        EntityType::Customer => CUSTOMER_STATUSES,
        EntityType::Card => CARD_STATUSES,
    };
    table
        .iter()
        .flat_map(|(_, labels)| labels.iter())
        .find(|(id, _)| *id == label_id)
        .map(|(_, name)| *name)
}

/// Subscription channels: `(communication_channel_type, communication_channel_id)`.
const CHANNELS: &[(&str, &str)] = &[
    ("SMS", "1"),
    ("EMAIL", "2"),
    ("ANDROID", "5"),
    ("IOS", "6"),
    ("WHATSAPP", "8"),
];
const PRIORITIES: &[&str] = &["TRANS", "BULK"];
const SUB_VALUES: &[&str] = &["NA", "OPTIN", "OPTOUT"];
const AGENTS: &[(&str, &str)] = &[
    ("75015489", "Achyuthanandan S"),
    ("75051426", "Manjunath Muniraju"),
    ("75077120", "Divya K"),
];
const EXTENDED_FIELDS: &[(&str, &[&str])] = &[
    ("city", &["Bengaluru", "Mumbai", "Pune", "Chennai", "Delhi"]),
    (
        "preferred_store",
        &["aldo.demo", "aldo.mall", "aldo.airport"],
    ),
    ("vehicle_type", &["none", "two_wheeler", "car"]),
];
const STANDARD_FIELDS: &[&str] = &["FirstName", "LastName", "Gender", "DateOfBirth"];

/// Who made a change; decides the record-level fields.
#[derive(Clone, Copy)]
enum Actor {
    /// Mobile app SDK (push tokens, profile edits).
    App,
    /// A store till (till/store objects, `aldo.till.1`).
    Till,
    /// A member-care agent (user context, MEMBER_CARE mode).
    MemberCare,
    /// A backend integration (updatedBy -1, null source).
    Integration,
    /// A bulk import (lowercase `instore` source).
    Import,
}

#[derive(Clone, Debug)]
struct CustomerState {
    p: CustomerProfile,
    gender: String,
    dob: String,
    extended: [Option<String>; 3],
    android: Option<String>,
    ios: Option<String>,
    status: usize,
    label: usize,
    subs: [[u8; 2]; 5],
    next_card: usize,
    merged: bool,
}

#[derive(Clone, Debug)]
struct CardState {
    status: usize,
    label: usize,
}

#[derive(Clone, Debug)]
enum State {
    Customer(Box<CustomerState>),
    Card(CardState),
}

/// An entity's records, oldest first, with non-decreasing `autoUpdateTime`
/// and `createdOn` a few ms after it. Exactly `spec.records` records.
///
/// `Clone` is a cheap snapshot (a few hundred bytes); cloning and advancing
/// reproduces the same records, which is how a consumer can seek without
/// keeping every record.
#[derive(Clone, Debug)]
pub struct RecordStream {
    spec: Arc<EntitySpec>,
    rng: Rng,
    emitted: u64,
    /// `emitted` when the current budget started (0, or the position where
    /// [`RecordStream::continue_for`] extended it); times are spread over
    /// the budget's records.
    first: u64,
    /// Actions generated so far (slot 0 of a customer is its registration,
    /// slots 0 and 1 of a card are its issue).
    slot: u64,
    last_time: i64,
    queue: VecDeque<Record>,
    state: State,
}

impl RecordStream {
    fn new(spec: Arc<EntitySpec>) -> Self {
        let rng = Rng::derive(spec.seed, 0x5EED);
        let slot = if spec.mid_history { 2 } else { 0 };
        let state = match &spec.plan {
            Plan::Customer { initial, .. } => {
                State::Customer(Box::new(CustomerState {
                    p: (**initial).clone(),
                    // Not captured at registration: the first edit is from "NA".
                    gender: "NA".to_string(),
                    dob: "NA".to_string(),
                    extended: [None, None, None],
                    android: None,
                    ios: None,
                    status: 0,
                    label: 0,
                    subs: [[0; 2]; 5],
                    next_card: 0,
                    merged: false,
                }))
            }
            Plan::Card(_) if spec.mid_history => State::Card(CardState {
                status: 1,
                label: 0,
            }),
            Plan::Card(_) => State::Card(CardState {
                status: 0,
                label: 0,
            }),
        };
        RecordStream {
            last_time: spec.start_ms - 1,
            spec,
            rng,
            emitted: 0,
            first: 0,
            slot,
            queue: VecDeque::new(),
            state,
        }
    }

    /// The entity this stream generates.
    pub fn spec(&self) -> &EntitySpec {
        &self.spec
    }

    /// Records yielded so far.
    pub fn position(&self) -> u64 {
        self.emitted
    }

    /// Extends the stream by `extra` records spread from just after the
    /// last one yielded until `end_ms`, continuing from the current state
    /// (identifiers, tokens, statuses). The simulator uses this for "new
    /// events arrived while paging": the arrivals continue the story.
    pub fn continue_for(&mut self, extra: u64, end_ms: i64) {
        let spec = Arc::make_mut(&mut self.spec);
        spec.records = self.emitted + extra;
        spec.start_ms = self.last_time + 1;
        spec.end_ms = end_ms.max(spec.start_ms + 1);
        self.first = self.emitted;
        self.queue.clear();
    }

    /// For a customer stream: the identity as of the records yielded so far
    /// (after the stream is exhausted: the customer's current identity, as
    /// the lookup endpoint reports it).
    pub fn profile(&self) -> Option<&CustomerProfile> {
        match &self.state {
            State::Customer(c) => Some(&c.p),
            State::Card(_) => None,
        }
    }

    fn pending_inserts(&self) -> u64 {
        match (&self.spec.plan, &self.state) {
            (Plan::Customer { cards, merge, .. }, State::Customer(c)) => {
                (cards.len() - c.next_card) as u64 + u64::from(merge.is_some() && !c.merged)
            }
            _ => 0,
        }
    }

    fn next_insert_time(&self) -> Option<i64> {
        match (&self.spec.plan, &self.state) {
            (Plan::Customer { cards, merge, .. }, State::Customer(c)) => {
                let card = cards.get(c.next_card).map(|l| l.issued_at);
                let m = merge.as_ref().filter(|_| !c.merged).map(|m| m.at);
                match (card, m) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            _ => None,
        }
    }

    /// Time of the next action: records are spread evenly over the span by
    /// their index (so bursts do not push the stream past `end_ms`), with
    /// up to half a gap of jitter.
    fn slot_time(&mut self) -> i64 {
        let span = i128::from((self.spec.end_ms - self.spec.start_ms).max(1));
        let n = i128::from((self.spec.records - self.first).max(1));
        let base = self.spec.start_ms + (span * i128::from(self.emitted - self.first) / n) as i64;
        let gap = (span / n) as i64;
        base + self.rng.below((gap / 2).max(1) as u64) as i64
    }

    fn stamp(&mut self, t: i64) -> i64 {
        let t = t.max(self.last_time + 1);
        self.last_time = t;
        t
    }

    fn record(&mut self, t: i64, request_id: &str, actor: Actor, events: Vec<Event>) -> Record {
        let t = self.stamp(t);
        let spec = &self.spec;
        let rng = &mut self.rng;
        let created_on = t + rng.range(2, 200);
        let mut r = Record {
            updated_by_user: None,
            updated_by: 75_046_492,
            org_id: spec.org_id,
            entity_type: spec.entity_type,
            entity_id: spec.entity_id,
            created_on,
            request_id: request_id.to_string(),
            till: None,
            store: None,
            user_context: None,
            victim: None,
            survivor: None,
            source: None,
            updated_by_mode: "API".to_string(),
            auto_update_time: t,
            events,
        };
        match actor {
            Actor::App => {
                r.source = Some(
                    if rng.chance(70) {
                        "MAPP_SDK"
                    } else {
                        "MOBILE_APP"
                    }
                    .into(),
                );
            }
            Actor::Till => {
                r.updated_by = 75_083_604;
                r.source = Some(if rng.chance(85) { "INSTORE" } else { "instore" }.into());
                if rng.chance(60) {
                    let (till, store, name) = *rng.pick(&[
                        ("aldo.till.1", "aldo.demo", "ALDO Store"),
                        ("aldo.till.7", "aldo.mall", "ALDO Mall"),
                    ]);
                    r.updated_by_user = Some(till.to_string());
                    r.till = Some(Till {
                        code: till.to_string(),
                        name: till.to_string(),
                    });
                    r.store = Some(Store {
                        code: store.to_string(),
                        name: name.to_string(),
                        external_id: store.trim_start_matches("aldo.").to_string(),
                        external_id1: String::new(),
                        external_id2: String::new(),
                    });
                }
            }
            Actor::MemberCare => {
                let (id, name) = *rng.pick(AGENTS);
                r.updated_by = if rng.chance(25) {
                    -1
                } else {
                    id.parse().unwrap_or(-1)
                };
                r.updated_by_mode = "MEMBER_CARE".to_string();
                r.user_context = Some(UserContext {
                    entity_type: Some("INTOUCH_ADMIN_USER".to_string()),
                    entity_id: Some(id.to_string()),
                    entity_source: Some("MEMBER_CARE".to_string()),
                    entity_source_id: Some(name.to_string()),
                });
            }
            Actor::Integration => {
                r.updated_by = -1;
                if rng.chance(30) {
                    r.source = Some("WEB_ENGAGE".to_string());
                }
            }
            Actor::Import => {
                r.updated_by = 75_036_445;
                r.source = Some(if rng.chance(50) { "instore" } else { "Instore" }.into());
                if rng.chance(50) {
                    r.updated_by_mode = "IMPORT".to_string();
                }
            }
        }
        r
    }

    fn burst_gap(&mut self) -> i64 {
        self.rng.range(120, 450)
    }

    fn customer_insert(&mut self) {
        let State::Customer(c) = &mut self.state else {
            return;
        };
        let Plan::Customer { cards, merge, .. } = &self.spec.plan else {
            return;
        };
        let card = cards.get(c.next_card).cloned();
        let take_card = match (&card, merge.as_ref().filter(|_| !c.merged)) {
            (Some(l), Some(m)) => l.issued_at <= m.at,
            (Some(_), None) => true,
            _ => false,
        };
        if take_card {
            let l = card.expect("checked above");
            c.next_card += 1;
            c.p.card_numbers.push(l.number.clone());
            let ev = change(
                EventKind::Identifier,
                "cardnumber",
                Some("NA".into()),
                Some(l.number),
            );
            let r = self.record(l.issued_at, &l.request_id, Actor::Till, vec![ev]);
            self.queue.push_back(r);
        } else if let Some(m) = merge.as_deref().cloned() {
            c.merged = true;
            let survivor = UserDetails {
                first_name: c.p.first_name.clone(),
                last_name: c.p.last_name.clone(),
                email: c.p.email.clone(),
                mobile: c.p.mobile.clone(),
                external_id: c.p.external_id.clone(),
            };
            c.p.external_id = m.new_external_id.clone();
            c.p.card_numbers.push(m.victim_card.clone());
            let events = vec![
                change(
                    EventKind::Identifier,
                    "externalId",
                    None,
                    Some(m.new_external_id),
                ),
                change(
                    EventKind::Identifier,
                    "cardnumber",
                    Some("NA".into()),
                    Some(m.victim_card),
                ),
            ];
            let mut r = self.record(m.at, &m.request_id, Actor::Import, events);
            r.source = Some("instore".to_string());
            r.updated_by_mode = "API".to_string();
            r.victim = Some(m.victim);
            r.survivor = Some(survivor);
            self.queue.push_back(r);
        }
    }

    fn customer_registration(&mut self, t: i64) {
        let State::Customer(c) = &self.state else {
            return;
        };
        let p = c.p.clone();
        let rid = request_id(&mut self.rng);
        let ids = vec![
            change(
                EventKind::Identifier,
                "mobile",
                Some("NA".into()),
                Some(p.mobile),
            ),
            change(
                EventKind::Identifier,
                "email",
                Some("NA".into()),
                Some(p.email),
            ),
            change(
                EventKind::Identifier,
                "externalId",
                None,
                Some(p.external_id),
            ),
        ];
        let r = self.record(t, &rid, Actor::Till, ids);
        self.queue.push_back(r);
        let names = vec![
            change(
                EventKind::StandardField,
                "FirstName",
                Some("NA".into()),
                Some(p.first_name),
            ),
            change(
                EventKind::StandardField,
                "LastName",
                Some("NA".into()),
                Some(p.last_name),
            ),
        ];
        let t2 = t + self.burst_gap();
        let r = self.record(t2, &rid, Actor::Till, names);
        self.queue.push_back(r);
        let t3 = t2 + self.burst_gap();
        let subs = vec![
            self.subscription(1, 0, 1, false),
            self.subscription(1, 1, 1, false),
        ];
        let r = self.record(t3, &rid, Actor::Till, subs);
        self.queue.push_back(r);
    }

    /// Sets channel/priority to `value` and returns the event.
    fn subscription(&mut self, channel: usize, priority: usize, value: u8, care: bool) -> Event {
        let State::Customer(c) = &mut self.state else {
            unreachable!("subscriptions are customer events")
        };
        let prev = c.subs[channel][priority];
        c.subs[channel][priority] = value;
        let (ctype, cid) = CHANNELS[channel];
        let (org_source, org_source_id) = if care {
            ("WEB_ENGAGE", "399")
        } else {
            ("INSTORE", "-1")
        };
        Event {
            kind: EventKind::SubscriptionStatus,
            updated_field: "SubscriptionStatus".to_string(),
            additional: vec![
                ("org_source_id", Some(org_source_id.into())),
                ("communication_channel_type", Some(ctype.into())),
                ("ou_id", Some(if care { "-1" } else { "50679" }.into())),
                ("communication_channel_id", Some(cid.into())),
                ("priority", Some(PRIORITIES[priority].into())),
                ("org_source", Some(org_source.into())),
                ("previousValue", Some(SUB_VALUES[prev as usize].into())),
                ("currentValue", Some(SUB_VALUES[value as usize].into())),
            ],
            associate: Associate::Null,
        }
    }

    fn customer_action(&mut self, t: i64) {
        let rid = request_id(&mut self.rng);
        let action = self.rng.weighted(&[30, 15, 12, 10, 6, 5]);
        let rng = &mut self.rng;
        let State::Customer(c) = &mut self.state else {
            return;
        };
        match action {
            0 => {
                // Push token churn on one channel.
                let (field, slot) = if rng.chance(60) {
                    ("ios", &mut c.ios)
                } else {
                    ("android", &mut c.android)
                };
                let new = push_token(rng);
                let prev = slot
                    .replace(new.clone())
                    .unwrap_or_else(|| "NA".to_string());
                let ev = change(EventKind::CommChannel, field, Some(prev), Some(new));
                let r = self.record(t, &rid, Actor::App, vec![ev]);
                self.queue.push_back(r);
            }
            1 => {
                let channel = rng.below(CHANNELS.len() as u64) as usize;
                let both = rng.chance(40);
                let priority = rng.below(2) as usize;
                let care = rng.chance(50);
                let value = match c.subs[channel][priority] {
                    1 => 2,
                    _ => 1,
                };
                let other = c.subs[channel][1 - priority];
                let mut events = vec![self.subscription(channel, priority, value, care)];
                // Both priorities in one record, when both actually change.
                if both && other != value {
                    events.push(self.subscription(channel, 1 - priority, value, care));
                }
                let actor = if care {
                    Actor::MemberCare
                } else {
                    Actor::Integration
                };
                let r = self.record(t, &rid, actor, events);
                self.queue.push_back(r);
            }
            2 => {
                // Standard field edits; two fields → two records, one requestId.
                let n = 1 + usize::from(rng.chance(35));
                let actor = if rng.chance(50) {
                    Actor::Till
                } else {
                    Actor::App
                };
                let mut events = Vec::new();
                for _ in 0..n {
                    let field = *rng.pick(STANDARD_FIELDS);
                    let (prev, new) = match field {
                        "FirstName" => {
                            let new = pick_other(rng, FIRST_NAMES, &c.p.first_name);
                            (std::mem::replace(&mut c.p.first_name, new.clone()), new)
                        }
                        "LastName" => {
                            let new = lengthen(rng, &c.p.last_name);
                            (std::mem::replace(&mut c.p.last_name, new.clone()), new)
                        }
                        "Gender" => {
                            let new = pick_other(rng, &["Male", "Female", "Other"], &c.gender);
                            (std::mem::replace(&mut c.gender, new.clone()), new)
                        }
                        _ => {
                            let new = format!(
                                "19{}-{:02}-{:02}",
                                60 + rng.below(40),
                                1 + rng.below(12),
                                1 + rng.below(28)
                            );
                            (std::mem::replace(&mut c.dob, new.clone()), new)
                        }
                    };
                    events.push(change(
                        EventKind::StandardField,
                        field,
                        Some(prev),
                        Some(new),
                    ));
                }
                self.push_burst(t, &rid, actor, events);
            }
            3 => {
                // Identifier change: mobile (sometimes with email), email, or externalId.
                let which = rng.weighted(&[60, 30, 10]);
                let actor = if rng.chance(70) {
                    Actor::Till
                } else {
                    Actor::Import
                };
                let mut events = Vec::new();
                if which == 0 {
                    let new = mobile(rng);
                    let prev = std::mem::replace(&mut c.p.mobile, new.clone());
                    events.push(change(
                        EventKind::Identifier,
                        "mobile",
                        Some(prev),
                        Some(new),
                    ));
                }
                if which == 1 || (which == 0 && rng.chance(25)) {
                    let new = email(rng, &c.p.first_name, &c.p.last_name);
                    let prev = std::mem::replace(&mut c.p.email, new.clone());
                    events.push(change(
                        EventKind::Identifier,
                        "email",
                        Some(prev),
                        Some(new),
                    ));
                }
                if which == 2 {
                    let new = format!("EXT{:09}", rng.below(1_000_000_000));
                    let prev = std::mem::replace(&mut c.p.external_id, new.clone());
                    events.push(change(
                        EventKind::Identifier,
                        "externalId",
                        Some(prev),
                        Some(new),
                    ));
                }
                // One user action touching two identifiers: two records, one requestId.
                self.push_burst(t, &rid, actor, events);
            }
            4 => {
                let (prev_s, prev_l) = (c.status, c.label);
                if rng.chance(75) {
                    // Same status, new label: the seed's "label change".
                    let labels = CUSTOMER_STATUSES[c.status].1.len() as u64;
                    c.label = (c.label + 1 + rng.below(labels - 1) as usize) % labels as usize;
                } else {
                    c.status = 1 - c.status;
                    c.label = rng.below(CUSTOMER_STATUSES[c.status].1.len() as u64) as usize;
                }
                let ev = status_change(
                    EventKind::CustomerStatus,
                    CUSTOMER_STATUSES,
                    (prev_s, prev_l),
                    (c.status, c.label),
                );
                let r = self.record(t, &rid, Actor::MemberCare, vec![ev]);
                self.queue.push_back(r);
            }
            _ => {
                let k = rng.below(EXTENDED_FIELDS.len() as u64) as usize;
                let (field, values) = EXTENDED_FIELDS[k];
                let new = pick_other(rng, values, c.extended[k].as_deref().unwrap_or(""));
                let prev = c.extended[k].replace(new.clone());
                let ev = change(EventKind::ExtendedField, field, prev, Some(new));
                let actor = if rng.chance(50) {
                    Actor::Till
                } else {
                    Actor::App
                };
                let r = self.record(t, &rid, actor, vec![ev]);
                self.queue.push_back(r);
            }
        }
    }

    /// Queues one record per event, a few hundred ms apart, all under one
    /// requestId: one user action touching several fields.
    fn push_burst(&mut self, mut t: i64, rid: &str, actor: Actor, events: Vec<Event>) {
        for ev in events {
            let r = self.record(t, rid, actor, vec![ev]);
            self.queue.push_back(r);
            t += self.burst_gap();
        }
    }

    fn card_action(&mut self, t: i64) {
        let Plan::Card(link) = &self.spec.plan else {
            return;
        };
        let link = link.clone();
        let State::Card(c) = &mut self.state else {
            return;
        };
        let assoc = Associate::Entities(vec![(EntityType::Customer, link.customer_id)]);
        match self.slot {
            0 => {
                // First status: only labelId/value, and an unlinked associate.
                let (status, labels) = CARD_STATUSES[0];
                let ev = Event {
                    kind: EventKind::CardStatus,
                    updated_field: "CardStatus".to_string(),
                    additional: vec![
                        ("labelId", Some(labels[0].0.to_string())),
                        ("value", Some(status.to_string())),
                    ],
                    associate: Associate::Unlinked,
                };
                let r = self.record(
                    link.issued_at - 325,
                    &link.request_id,
                    Actor::Integration,
                    vec![ev],
                );
                self.queue.push_back(r);
            }
            1 => {
                c.status = 1;
                c.label = 0;
                let mut ev = status_change(EventKind::CardStatus, CARD_STATUSES, (0, 0), (1, 0));
                ev.associate = assoc;
                let mut r = self.record(
                    link.issued_at + 150,
                    &link.request_id,
                    Actor::Till,
                    vec![ev],
                );
                r.source = None;
                self.queue.push_back(r);
            }
            _ => {
                let rng = &mut self.rng;
                let prev = (c.status, c.label);
                let (status, label) = match c.status {
                    // ACTIVE → relabel, suspend (lost/stolen/blocked) or expire.
                    1 => match rng.weighted(&[30, 55, 15]) {
                        0 => (1, 1 - c.label),
                        1 => (2, rng.below(3) as usize),
                        _ => (3, 0),
                    },
                    // SUSPENDED / EXPIRED → reactivated (reissued label).
                    _ => (1, 1),
                };
                c.status = status;
                c.label = label;
                let actor = match status {
                    3 => Actor::Integration,
                    2 => Actor::MemberCare,
                    _ => Actor::Till,
                };
                let rid = request_id(rng);
                let mut ev =
                    status_change(EventKind::CardStatus, CARD_STATUSES, prev, (status, label));
                ev.associate = assoc;
                let mut r = self.record(t, &rid, actor, vec![ev]);
                r.source = None;
                self.queue.push_back(r);
            }
        }
    }
}

/// Appends a letter to a short last name (the seed's "V" → "Vatsal" kind of
/// correction), or picks a new name.
fn lengthen(rng: &mut Rng, current: &str) -> String {
    if current.len() < 3 {
        let mut s = current.to_string();
        rng.push_chars(&mut s, b"aeiourstnl", 3);
        s
    } else {
        pick_other(rng, LAST_NAMES, current)
    }
}

/// A value from `items` different from `current`, so no edit is a no-op.
fn pick_other(rng: &mut Rng, items: &[&str], current: &str) -> String {
    loop {
        let v = *rng.pick(items);
        if v != current {
            return v.to_string();
        }
    }
}

fn change(kind: EventKind, field: &str, prev: Option<String>, cur: Option<String>) -> Event {
    Event {
        kind,
        updated_field: field.to_string(),
        additional: vec![("previousValue", prev), ("currentValue", cur)],
        associate: Associate::Null,
    }
}

fn status_change(
    kind: EventKind,
    table: &[(&str, &[(&str, &str)])],
    prev: (usize, usize),
    cur: (usize, usize),
) -> Event {
    let field = match kind {
        EventKind::CardStatus => "CardStatus",
        _ => "CustomerStatus",
    };
    Event {
        kind,
        updated_field: field.to_string(),
        additional: vec![
            (
                "previousLabelId",
                Some(table[prev.0].1[prev.1].0.to_string()),
            ),
            ("previousValue", Some(table[prev.0].0.to_string())),
            ("currentValue", Some(table[cur.0].0.to_string())),
            ("currentLabelId", Some(table[cur.0].1[cur.1].0.to_string())),
        ],
        associate: Associate::Null,
    }
}

impl Iterator for RecordStream {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.emitted >= self.spec.records {
            return None;
        }
        if self.queue.is_empty() {
            let remaining = self.spec.records - self.emitted;
            let pending = self.pending_inserts();
            let slot_t = self.slot_time();
            let insert_due = self
                .next_insert_time()
                .is_some_and(|at| at <= slot_t || remaining <= pending);
            if insert_due {
                self.customer_insert();
            } else {
                match self.spec.entity_type {
                    EntityType::Customer if self.slot == 0 => self.customer_registration(slot_t),
                    EntityType::Customer => self.customer_action(slot_t),
                    EntityType::Card => self.card_action(slot_t),
                }
                self.slot += 1;
                // Leave room for the planned card issues and merge.
                let room = remaining.saturating_sub(pending).max(1) as usize;
                self.queue.truncate(room);
            }
        }
        let r = self.queue.pop_front()?;
        self.emitted += 1;
        Some(r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.spec.records - self.emitted) as usize;
        (n, Some(n))
    }
}

/// Builds a status log (`/v2/customers/{id}/statusLog` or
/// `/v2/card/statusLog`) from the status events of an entity's records, so
/// the log and the audit trail tell the same story.
#[derive(Clone, Debug)]
pub struct StatusLogBuilder {
    entity_type: EntityType,
    entity_id: i64,
    entries: Vec<StatusLogEntry>,
}

impl StatusLogBuilder {
    /// A builder for one entity. A customer log starts with the
    /// registration entry (`ACTIVE`/`Active` at `registered_at`); a card
    /// log starts empty (its first status is an audit event).
    pub fn new(entity_type: EntityType, entity_id: i64, registered_at: Option<i64>) -> Self {
        let mut b = StatusLogBuilder {
            entity_type,
            entity_id,
            entries: Vec::new(),
        };
        if let (EntityType::Customer, Some(at)) = (entity_type, registered_at) {
            b.push_change(at, "ACTIVE", Some("53"), 75_083_604, "aldo.till.1", false);
        }
        b
    }

    /// A builder primed for a generated entity (customer registration at the
    /// spec's start).
    pub fn for_spec(spec: &EntitySpec) -> Self {
        StatusLogBuilder::new(spec.entity_type, spec.entity_id, Some(spec.start_ms))
    }

    /// Records one status change: the new `status` and `label_id` (from
    /// `currentValue`/`currentLabelId`, or `value`/`labelId` on a first card
    /// status). Member-care changes get an IST (`+05:30`) `createdOn`.
    pub fn push_change(
        &mut self,
        at: i64,
        status: &str,
        label_id: Option<&str>,
        created_by: i64,
        created_by_user: &str,
        member_care: bool,
    ) {
        let prev = self.entries.last().map(|e| e.status.clone());
        let label = label_id
            .and_then(|id| label_name(self.entity_type, id))
            .map(str::to_string)
            .or_else(|| label_id.map(|id| format!("Label {id}")))
            .unwrap_or_else(|| status.to_string());
        let reason = match (prev.as_deref(), status) {
            (None, "ACTIVE") => "This is the active customer",
            (None, _) => "Card generated",
            (Some(p), s) if p == s => "Label changed",
            (_, "SUSPENDED") if self.entity_type == EntityType::Card => "Reported lost or stolen",
            (_, "SUSPENDED") => "Suspicious activity reported",
            (_, "EXPIRED") => "Validity ended",
            (_, "ACTIVE") => "Reactivated after verification",
            _ => "Status changed",
        };
        self.entries.push(StatusLogEntry {
            created_by_user: created_by_user.to_string(),
            reason: reason.to_string(),
            created_by,
            at,
            offset_min: if member_care { 330 } else { 0 },
            entity_id: self.entity_id,
            is_active: false,
            label,
            status: status.to_string(),
        });
    }

    /// Feeds one audit record; its status events (if any) become entries.
    pub fn observe(&mut self, r: &Record) {
        for e in &r.events {
            if !matches!(e.kind, EventKind::CustomerStatus | EventKind::CardStatus) {
                continue;
            }
            let status = e.field("currentValue").or_else(|| e.field("value"));
            let label = e.field("currentLabelId").or_else(|| e.field("labelId"));
            let Some(status) = status else { continue };
            let care = r.updated_by_mode == "MEMBER_CARE";
            let user = r
                .user_context
                .as_ref()
                .and_then(|c| c.entity_source_id.as_deref())
                .map(|n| n.to_ascii_lowercase().replace(' ', "."))
                .or_else(|| r.updated_by_user.clone())
                .unwrap_or_else(|| "system".to_string());
            // The agent's id when known; system changes (updatedBy -1) are
            // logged with createdBy 0.
            let by = r
                .user_context
                .as_ref()
                .and_then(|c| c.entity_id.as_deref())
                .and_then(|id| id.parse().ok())
                .unwrap_or(r.updated_by.max(0));
            self.push_change(r.auto_update_time, status, label, by, &user, care);
        }
    }

    /// The entries, newest first (the order of real status logs is
    /// unconfirmed; newest first puts the current one on top), with
    /// `isActive: true` on the newest only.
    pub fn finish(mut self) -> Vec<StatusLogEntry> {
        if let Some(last) = self.entries.last_mut() {
            last.is_active = true;
        }
        self.entries.reverse();
        self.entries
    }
}
