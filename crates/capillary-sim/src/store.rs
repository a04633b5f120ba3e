//! The simulator's data: every entity's records, indexed for filtering,
//! sorting and paging, plus status logs and identifier lookups.
//!
//! Generated entities are not kept in memory: indexing streams their
//! records once, keeping per record only what filters and sorts need
//! ([`Meta`], ~40 bytes) and a snapshot of the generator every
//! [`CHECKPOINT_EVERY`] records. A page is materialised by replaying from
//! the nearest snapshot, so a million-record entity costs tens of MB, and
//! a page of it a fraction of a millisecond of generation.

use crate::dataset::{self, SavedRecord};
use audit_gen::{
    CustomerProfile, EntitySpec, EntityType, PageWriter, Pagination, Record, RecordStream, Shape,
    StatusLogBuilder, StatusLogEntry, World,
};
use capillary_vocab::{EventType, IdentifierName};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::RwLock;

/// Records between two generator snapshots.
pub const CHECKPOINT_EVERY: u64 = 256;

/// Case-insensitive string interning: filters compare small ids.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    /// Id of `s` (lowercased), 0 reserved for "none".
    fn intern(&mut self, s: &str) -> u32 {
        let key = s.to_ascii_lowercase();
        let next = self.ids.len() as u32 + 1;
        *self.ids.entry(key).or_insert(next)
    }

    fn find(&self, s: &str) -> Option<u32> {
        self.ids.get(&s.to_ascii_lowercase()).copied()
    }
}

/// What filters and sorts need of one record.
#[derive(Clone, Copy, Debug)]
struct Meta {
    auto_update_time: i64,
    created_on: i64,
    /// Interned lowercase source, 0 = null.
    source: u32,
    /// Range into `Entity::events`.
    ev_start: u32,
    ev_len: u16,
    merge: bool,
    /// False once expired by a `shift=-N` fault.
    alive: bool,
}

enum Base {
    Generated { checkpoints: Vec<RecordStream> },
    Saved(Vec<SavedRecord>),
}

/// One entity's records and derived data.
struct Entity {
    entity_type: EntityType,
    entity_id: i64,
    metas: Vec<Meta>,
    /// (interned reference type, interned updatedField) per event.
    events: Vec<(u32, u32)>,
    strings: Interner,
    base: Base,
    /// Records in `base` (positions beyond are in `arrivals`).
    base_len: usize,
    arrivals: Vec<Record>,
    /// Continues the story for arrivals (created on first use for saved data).
    grower: Option<RecordStream>,
    seed: u64,
    log: StatusLogBuilder,
}

/// Sort key of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    /// `autoUpdateTime` (default)
    AutoUpdateTime,
    /// `createdOn`
    CreatedOn,
}

/// A validated audit listing query.
#[derive(Clone, Debug)]
pub struct Query {
    /// `source`, compared ignoring case.
    pub source: Option<String>,
    /// `startDate` (inclusive), epoch ms.
    pub start: Option<i64>,
    /// `endDate` (inclusive), epoch ms.
    pub end: Option<i64>,
    /// `referenceType`, e.g. `Identifier`, `CustomerMerge`.
    pub reference_type: Option<String>,
    /// `referenceValue`: the event's `updatedField`, ignoring case.
    pub reference_value: Option<String>,
    /// `sortBy`.
    pub sort_by: SortBy,
    /// `sortOrder=DESC` (default) vs `ASC`.
    pub descending: bool,
    /// `limit`.
    pub limit: u64,
    /// `pageNo`.
    pub page: u64,
    /// `includeUserContext`.
    pub include_user_context: bool,
}

/// All entities, their status logs and identifier index.
pub struct Store {
    entities: HashMap<(EntityType, i64), RwLock<Entity>>,
    /// (identifierName, value lowercase) → customer id.
    identifiers: HashMap<(IdentifierName, String), i64>,
    /// card number → card id.
    card_numbers: HashMap<String, i64>,
    /// customer id → current identity.
    profiles: HashMap<i64, CustomerProfile>,
}

/// Why a lookup failed.
#[derive(Debug, PartialEq, Eq)]
pub enum NotFound {
    /// No such entity.
    Entity,
}

impl Store {
    /// Indexes a generated world and saved records (saved entities replace
    /// generated ones with the same type and id).
    pub fn build(world: Option<&World>, saved: Vec<SavedRecord>, seed: u64) -> Store {
        let mut store = Store {
            entities: HashMap::new(),
            identifiers: HashMap::new(),
            card_numbers: HashMap::new(),
            profiles: HashMap::new(),
        };
        if let Some(world) = world {
            for spec in world.entities() {
                let (entity, profile) = Entity::generated(spec);
                if let Some(p) = profile {
                    store.add_profile(&p);
                }
                if let Some(link) = spec.card_link() {
                    store
                        .card_numbers
                        .insert(link.number.clone(), spec.entity_id);
                }
                store
                    .entities
                    .insert((spec.entity_type, spec.entity_id), RwLock::new(entity));
            }
        }
        let mut groups: HashMap<(EntityType, i64), Vec<SavedRecord>> = HashMap::new();
        for r in saved {
            groups
                .entry((r.entity_type, r.entity_id))
                .or_default()
                .push(r);
        }
        // Card numbers of saved cards: the customer's `cardnumber` event that
        // shares a requestId with one of the card's records (the issue).
        let mut card_by_request: HashMap<String, i64> = HashMap::new();
        for ((t, id), recs) in &groups {
            if *t == EntityType::Card {
                for r in recs {
                    if let Some(rid) = r.value.get("requestId").and_then(Value::as_str) {
                        card_by_request.insert(rid.to_string(), *id);
                    }
                }
            }
        }
        for ((t, id), recs) in groups {
            if t == EntityType::Customer {
                let profile = infer_profile(id, &recs);
                store.add_profile(&profile);
                for r in &recs {
                    let rid = r.value.get("requestId").and_then(Value::as_str);
                    if let Some(card) = rid.and_then(|rid| card_by_request.get(rid)) {
                        for (name, value) in identifier_events(&r.value) {
                            if IdentifierName::parse(&name) == Some(IdentifierName::CardNumber) {
                                store.card_numbers.insert(value, *card);
                            }
                        }
                    }
                }
            }
            let entity = Entity::saved(t, id, recs, seed);
            store.entities.insert((t, id), RwLock::new(entity));
        }
        store
    }

    fn add_profile(&mut self, p: &CustomerProfile) {
        let mut add = |name: IdentifierName, value: &str| {
            if !value.is_empty() {
                self.identifiers
                    .insert((name, value.to_ascii_lowercase()), p.id);
            }
        };
        add(IdentifierName::Mobile, &p.mobile);
        add(IdentifierName::Email, &p.email);
        add(IdentifierName::ExternalId, &p.external_id);
        for c in &p.card_numbers {
            add(IdentifierName::CardNumber, c);
        }
        self.profiles.insert(p.id, p.clone());
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// True when there is no entity at all.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// Whether the entity exists.
    pub fn contains(&self, t: EntityType, id: i64) -> bool {
        self.entities.contains_key(&(t, id))
    }

    /// Applies a `shift` fault: `n > 0` new records arrive, `n < 0` the
    /// newest `-n` records expire.
    pub fn shift(&self, t: EntityType, id: i64, n: i64) -> Result<(), NotFound> {
        let entity = self.entities.get(&(t, id)).ok_or(NotFound::Entity)?;
        let mut e = entity.write().unwrap_or_else(|p| p.into_inner());
        if n > 0 {
            e.arrive(n as u64);
        } else if n < 0 {
            e.expire(n.unsigned_abs());
        }
        Ok(())
    }

    /// One page of a listing, serialised in `shape`.
    pub fn page(
        &self,
        t: EntityType,
        id: i64,
        q: &Query,
        shape: Shape,
    ) -> Result<Vec<u8>, NotFound> {
        let entity = self.entities.get(&(t, id)).ok_or(NotFound::Entity)?;
        let e = entity.read().unwrap_or_else(|p| p.into_inner());
        let positions = e.matching(q);
        let p = Pagination::for_page(positions.len() as u64, q.limit, q.page);
        let range = p.range(q.limit);
        let wanted = &positions[range.start as usize..range.end as usize];
        let mut w = PageWriter::new(shape);
        e.write_records(wanted, &mut w, q.include_user_context);
        Ok(w.finish(&p))
    }

    /// Status log entries (newest first) of a customer or card.
    pub fn status_log(&self, t: EntityType, id: i64) -> Result<Vec<StatusLogEntry>, NotFound> {
        let entity = self.entities.get(&(t, id)).ok_or(NotFound::Entity)?;
        let e = entity.read().unwrap_or_else(|p| p.into_inner());
        Ok(e.log.clone().finish())
    }

    /// Customer id for an identifier (the value compared ignoring case; the name was read by
    /// [`IdentifierName::parse`], which ignores it too).
    pub fn lookup(&self, name: IdentifierName, value: &str) -> Option<i64> {
        self.identifiers
            .get(&(name, value.to_ascii_lowercase()))
            .copied()
    }

    /// The customer's current profile as the lookup endpoint reports it.
    pub fn profile(&self, id: i64) -> Option<&CustomerProfile> {
        self.profiles.get(&id)
    }

    /// Card id for a card number.
    pub fn card_by_number(&self, number: &str) -> Option<i64> {
        self.card_numbers.get(number).copied()
    }
}

/// The `events` array of a saved record (empty when absent).
fn events_of(v: &Value) -> impl Iterator<Item = &Value> {
    v.get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// `(type, eventType, updatedField, currentValue)` of each event of a saved record.
fn event_changes(v: &Value) -> impl Iterator<Item = (EventType, &str, &str, Option<&str>)> {
    events_of(v).map(|e| {
        let t = e
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = e
            .get("updatedField")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let cur = e
            .pointer("/additionalFields/currentValue")
            .and_then(Value::as_str);
        (EventType::from_label(t), t, field, cur)
    })
}

/// What a `referenceType` filter compares an event with: the documented name of its type,
/// whichever generation's spelling the record has (`Communication Channels` and `CommChannel`
/// both answer `CommChannel`), or for a type outside the vocabulary its `eventType` as sent.
fn reference_key(t: EventType, event_type: &str) -> &str {
    match t {
        EventType::Other => event_type,
        t => t.as_str(),
    }
}

fn identifier_events(v: &Value) -> Vec<(String, String)> {
    event_changes(v)
        .filter(|(t, ..)| *t == EventType::Identifier)
        .filter_map(|(_, _, f, c)| Some((f.to_string(), c?.to_string())))
        .collect()
}

/// A saved customer's identity: the latest value of each identifier.
fn infer_profile(id: i64, recs: &[SavedRecord]) -> CustomerProfile {
    let mut sorted: Vec<&SavedRecord> = recs.iter().collect();
    sorted.sort_by_key(|r| dataset::time_ms(r.value.get("autoUpdateTime")).unwrap_or(i64::MIN));
    let mut p = CustomerProfile {
        id,
        first_name: String::new(),
        last_name: String::new(),
        mobile: String::new(),
        email: String::new(),
        external_id: String::new(),
        card_numbers: Vec::new(),
    };
    for r in sorted {
        for (t, _, field, value) in event_changes(&r.value) {
            let Some(value) = value.map(str::to_string) else {
                continue;
            };
            match t {
                EventType::Identifier => match IdentifierName::parse(field) {
                    Some(IdentifierName::Mobile) => p.mobile = value,
                    Some(IdentifierName::Email) => p.email = value,
                    Some(IdentifierName::ExternalId) => p.external_id = value,
                    Some(IdentifierName::CardNumber) if value != "NA" => p.card_numbers.push(value),
                    _ => {}
                },
                EventType::StandardField => match field.to_ascii_lowercase().as_str() {
                    "firstname" => p.first_name = value,
                    "lastname" => p.last_name = value,
                    _ => {}
                },
                _ => {}
            }
        }
    }
    p
}

impl Entity {
    fn empty(
        entity_type: EntityType,
        entity_id: i64,
        base: Base,
        seed: u64,
        log: StatusLogBuilder,
    ) -> Entity {
        Entity {
            entity_type,
            entity_id,
            metas: Vec::new(),
            events: Vec::new(),
            strings: Interner::default(),
            base,
            base_len: 0,
            arrivals: Vec::new(),
            grower: None,
            seed,
            log,
        }
    }

    fn generated(spec: &EntitySpec) -> (Entity, Option<CustomerProfile>) {
        let mut e = Entity::empty(
            spec.entity_type,
            spec.entity_id,
            Base::Generated {
                checkpoints: Vec::new(),
            },
            0,
            StatusLogBuilder::for_spec(spec),
        );
        if spec.entity_type == EntityType::Card {
            e.log = StatusLogBuilder::new(EntityType::Card, spec.entity_id, None);
        }
        let mut stream = spec.stream();
        let mut checkpoints = Vec::new();
        loop {
            if stream.position().is_multiple_of(CHECKPOINT_EVERY) {
                checkpoints.push(stream.clone());
            }
            let Some(r) = stream.next() else { break };
            e.index_record(&r);
            e.log.observe(&r);
        }
        e.base_len = e.metas.len();
        e.base = Base::Generated { checkpoints };
        let profile = stream.profile().cloned();
        e.grower = Some(stream);
        (e, profile)
    }

    fn saved(t: EntityType, id: i64, recs: Vec<SavedRecord>, seed: u64) -> Entity {
        let mut e = Entity::empty(
            t,
            id,
            Base::Saved(Vec::new()),
            seed,
            StatusLogBuilder::new(t, id, None),
        );
        let mut order: Vec<usize> = (0..recs.len()).collect();
        order.sort_by_key(|&i| {
            dataset::time_ms(recs[i].value.get("autoUpdateTime")).unwrap_or(i64::MIN)
        });
        for i in order {
            observe_saved(&mut e.log, &recs[i].value);
        }
        for r in &recs {
            e.index_value(&r.value);
        }
        e.base_len = recs.len();
        e.base = Base::Saved(recs);
        e
    }

    fn index_record(&mut self, r: &Record) {
        let ev_start = self.events.len() as u32;
        for ev in &r.events {
            let rt = self.strings.intern(ev.kind.as_str());
            let f = self.strings.intern(&ev.updated_field);
            self.events.push((rt, f));
        }
        let source = r.source.as_deref().map_or(0, |s| self.strings.intern(s));
        self.metas.push(Meta {
            auto_update_time: r.auto_update_time,
            created_on: r.created_on,
            source,
            ev_start,
            ev_len: r.events.len() as u16,
            merge: r.is_merge(),
            alive: true,
        });
    }

    fn index_value(&mut self, v: &Value) {
        let ev_start = self.events.len() as u32;
        for (t, event_type, field, _) in event_changes(v) {
            let rt = self.strings.intern(reference_key(t, event_type));
            let f = self.strings.intern(field);
            self.events.push((rt, f));
        }
        let source = v
            .get("source")
            .and_then(Value::as_str)
            .map_or(0, |s| self.strings.intern(s));
        let aut = dataset::time_ms(v.get("autoUpdateTime")).unwrap_or(0);
        let is_obj = |k: &str| v.get(k).is_some_and(Value::is_object);
        self.metas.push(Meta {
            auto_update_time: aut,
            created_on: dataset::time_ms(v.get("createdOn")).unwrap_or(aut),
            source,
            ev_start,
            ev_len: (self.events.len() as u32 - ev_start) as u16,
            merge: is_obj("victimUserDetails") || is_obj("survivorUserDetails"),
            alive: true,
        });
    }

    fn newest(&self) -> i64 {
        self.metas
            .iter()
            .map(|m| m.auto_update_time)
            .max()
            .unwrap_or(audit_gen::time::epoch_ms(2024, 1, 1, 0, 0, 0))
    }

    /// `n` new records, one a minute after the newest, continuing the story.
    fn arrive(&mut self, n: u64) {
        let newest = self.newest();
        let (t, id, seed) = (self.entity_type, self.entity_id, self.seed);
        let grower = self.grower.get_or_insert_with(|| {
            EntitySpec::standalone(t, id, 0, newest, newest + 1, seed).stream()
        });
        grower.continue_for(n, newest + 60_000 * n as i64);
        let fresh: Vec<Record> = grower.by_ref().collect();
        for r in fresh {
            self.index_record(&r);
            self.log.observe(&r);
            self.arrivals.push(r);
        }
    }

    /// Marks the `n` newest live records as gone.
    fn expire(&mut self, n: u64) {
        let mut live: Vec<usize> = (0..self.metas.len())
            .filter(|&i| self.metas[i].alive)
            .collect();
        live.sort_by_key(|&i| (self.metas[i].auto_update_time, i));
        for &i in live.iter().rev().take(n as usize) {
            self.metas[i].alive = false;
        }
    }

    /// Positions matching the query, in the requested order. Ties keep
    /// storage order (reversed for DESC), so ASC and DESC are exact mirrors
    /// and concatenated pages give every record once.
    fn matching(&self, q: &Query) -> Vec<u32> {
        // A filter on a string never seen cannot match anything.
        let lookup = |s: &Option<String>| -> Result<Option<u32>, ()> {
            match s {
                None => Ok(None),
                Some(s) => self.strings.find(s).map(Some).ok_or(()),
            }
        };
        let merge = EventType::CustomerMerge.as_str();
        let merge_filter = q
            .reference_type
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(merge));
        let source = lookup(&q.source);
        let rt = if merge_filter {
            Ok(self.strings.find(merge))
        } else {
            lookup(&q.reference_type)
        };
        let rv = lookup(&q.reference_value);
        let (Ok(source), Ok(rt), Ok(rv)) = (source, rt, rv) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = Vec::new();
        for (i, m) in self.metas.iter().enumerate() {
            if !m.alive
                || source.is_some_and(|s| s != m.source)
                || q.start.is_some_and(|s| m.auto_update_time < s)
                || q.end.is_some_and(|e| m.auto_update_time > e)
            {
                continue;
            }
            if q.reference_type.is_some() || q.reference_value.is_some() {
                let evs =
                    &self.events[m.ev_start as usize..m.ev_start as usize + m.ev_len as usize];
                let event_match = evs
                    .iter()
                    .any(|(t, f)| rt.is_none_or(|rt| rt == *t) && rv.is_none_or(|rv| rv == *f));
                let ok = if merge_filter {
                    // Merge records carry victim/survivor details; an event
                    // typed "Customer Merge" (unconfirmed name) also counts.
                    let by_details =
                        m.merge && rv.is_none_or(|rv| evs.iter().any(|(_, f)| *f == rv));
                    by_details || (rt.is_some() && event_match)
                } else {
                    event_match
                };
                if !ok {
                    continue;
                }
            }
            out.push(i as u32);
        }
        let key = |i: &u32| {
            let m = &self.metas[*i as usize];
            match q.sort_by {
                SortBy::AutoUpdateTime => m.auto_update_time,
                SortBy::CreatedOn => m.created_on,
            }
        };
        out.sort_by_key(|i| (key(i), *i));
        if q.descending {
            out.reverse();
        }
        out
    }

    /// Writes the records at `positions` (in that order).
    fn write_records(&self, positions: &[u32], w: &mut PageWriter, include_user_context: bool) {
        let shape = w.shape();
        let generated = self.materialise(positions);
        for &pos in positions {
            let pos = pos as usize;
            if pos >= self.base_len {
                w.push(&self.arrivals[pos - self.base_len], include_user_context);
                continue;
            }
            match &self.base {
                Base::Generated { .. } => {
                    let r = generated.get(&pos).expect("materialised above");
                    w.push(r, include_user_context);
                }
                Base::Saved(recs) => {
                    let r = &recs[pos];
                    if r.legacy == (shape == Shape::Legacy) {
                        w.push_raw(r.raw.get());
                    } else {
                        let v = dataset::convert(&r.value, shape == Shape::Legacy);
                        w.push_raw(&v.to_string());
                    }
                }
            }
        }
    }

    /// Regenerates the base records at `positions` from the snapshots,
    /// walking forward once per snapshot interval touched.
    fn materialise(&self, positions: &[u32]) -> HashMap<usize, Record> {
        let mut out = HashMap::new();
        let Base::Generated { checkpoints } = &self.base else {
            return out;
        };
        let mut wanted: Vec<usize> = positions
            .iter()
            .map(|&p| p as usize)
            .filter(|&p| p < self.base_len)
            .collect();
        wanted.sort_unstable();
        let every = CHECKPOINT_EVERY as usize;
        let mut cursor: Option<(RecordStream, usize)> = None;
        for pos in wanted {
            let reuse = cursor
                .as_ref()
                .is_some_and(|(_, at)| *at <= pos && at / every == pos / every);
            if !reuse {
                cursor = Some((checkpoints[pos / every].clone(), pos / every * every));
            }
            let (stream, at) = cursor.as_mut().expect("set above");
            while *at < pos {
                stream.next();
                *at += 1;
            }
            if let Some(r) = stream.next() {
                *at += 1;
                out.insert(pos, r);
            }
        }
        out
    }
}

/// Feeds a saved record's status events to a status log.
fn observe_saved(log: &mut StatusLogBuilder, v: &Value) {
    let at = dataset::time_ms(v.get("autoUpdateTime")).unwrap_or(0);
    let care = v.get("updatedByMode").and_then(Value::as_str) == Some("MEMBER_CARE");
    let by = v
        .get("updatedBy")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let user = v
        .pointer("/userContextDetails/entitySourceId")
        .and_then(Value::as_str)
        .or_else(|| v.get("updatedByUser").and_then(Value::as_str))
        .unwrap_or("system");
    for e in events_of(v) {
        let t = e
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !EventType::from_label(t).is_status() {
            continue;
        }
        let af = |k: &str| {
            e.pointer(&format!("/additionalFields/{k}"))
                .and_then(Value::as_str)
        };
        let Some(status) = af("currentValue").or_else(|| af("value")) else {
            continue;
        };
        let label = af("currentLabelId").or_else(|| af("labelId"));
        log.push_change(at, status, label, by, user, care);
    }
}
