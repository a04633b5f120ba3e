//! One model for both audit-log generations.
//!
//! The current endpoint (`data`, epoch-ms times, `Identifiers`,
//! `Communication Channels`) and the legacy one (`entity`, ISO times,
//! `Identifier`, `CommChannel`, keys omitted instead of null) are read into the
//! same [`AuditRecord`]. Raw spellings are kept next to the normalised ones
//! ([`EventKind`] beside the raw label, [`TimeValue`] beside its instant), so the
//! UI can show what the server said and the export can give it back.

use std::borrow::Cow;

use serde::de::MapAccess;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::json::{entry, put_list, put_obj, time_of, FromMap, Key, ListShape, Members, Shape};
use crate::time::{TimeValue, UtcMillis};
use crate::value::{int_of, put, string_of, Extras, Nullable};

/// `till` / `store`: `{code, name}` and `{code, name, externalId, externalId1, externalId2}`.
pub type Place = Members;
/// `userContextDetails`: `{entityType, entityId, entitySource, entitySourceId}`
/// (all may be null; legacy responses send `{}`).
pub type UserContext = Members;
/// `victimUserDetails` / `survivorUserDetails`: `{firstName, lastName, email, mobile, externalId}`.
pub type PersonDetails = Members;
/// `associateEntities[i]`: `{entityType, entityId}` (both may be null).
pub type AssociateEntity = Members;

/// One audit record: one request's changes to one entity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditRecord {
    pub updated_by_user: Nullable<String>,
    /// User id; `-1` is used for system/unknown.
    pub updated_by: Nullable<i64>,
    pub org_id: Nullable<i64>,
    pub entity_type: Nullable<String>,
    pub entity_id: Nullable<i64>,
    pub created_on: Nullable<TimeValue>,
    /// 32 hex digits or a UUID; shared by all records of one user action.
    pub request_id: Nullable<String>,
    pub till: Nullable<Place>,
    pub store: Nullable<Place>,
    pub user_context: Nullable<UserContext>,
    pub victim: Nullable<PersonDetails>,
    pub survivor: Nullable<PersonDetails>,
    /// Any case (`INSTORE`, `instore`); compare case-insensitively.
    pub source: Nullable<String>,
    pub updated_by_mode: Nullable<String>,
    pub auto_update_time: Nullable<TimeValue>,
    pub events: Nullable<Vec<Event>>,
    /// Members this model has no slot for, or whose value had an unexpected type.
    pub extras: Extras,
}

impl AuditRecord {
    /// The instant the change happened: `autoUpdateTime`, else `createdOn`.
    pub fn when(&self) -> Option<UtcMillis> {
        self.auto_update_time
            .get()
            .and_then(|t| t.utc_ms)
            .or_else(|| self.created_on.get().and_then(|t| t.utc_ms))
    }

    /// The record's events (empty when absent or null).
    pub fn events(&self) -> &[Event] {
        self.events.get().map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when the record looks like an audit record (used for shape detection
    /// and for resynchronising inside damaged pages).
    pub(crate) fn looks_like_audit(&self) -> bool {
        self.events.is_in_json()
            || self.request_id.is_in_json()
            || self.updated_by_mode.is_in_json()
            || self.updated_by.is_in_json()
            || self.updated_by_user.is_in_json()
    }
}

/// One changed thing inside a record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// Raw label as sent (`Identifiers`, `Identifier`, `CommChannel`, …).
    pub event_type: Nullable<String>,
    pub updated_field: Nullable<String>,
    /// Open map; see [`Event::change`] and [`Event::subscription`] for known shapes.
    pub additional_fields: Nullable<Members>,
    /// Card events point at their customer; entries may have null members.
    pub associate_entities: Nullable<Vec<AssociateEntity>>,
    pub extras: Extras,
}

/// The normalised event type: the vocabulary's [`capillary_vocab::EventType`] (one table of
/// both generations' spellings and the one label reader, [`EventKind::from_label`]), named
/// `EventKind` in this crate. The raw label is kept on [`Event::event_type`].
pub use capillary_vocab::EventType as EventKind;

/// The value change an event describes, read from the known `additionalFields`
/// shapes: `previousValue`/`currentValue`, status label ids, and the first-status
/// form `labelId`/`value`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change<'a> {
    /// `None` when the previous value was `"NA"`, null or absent.
    pub previous: Option<Cow<'a, str>>,
    pub current: Option<Cow<'a, str>>,
    pub previous_label_id: Option<Cow<'a, str>>,
    pub current_label_id: Option<Cow<'a, str>>,
}

impl Change<'_> {
    /// Same status value with a different label id (e.g. ACTIVE 54 → ACTIVE 55).
    pub fn is_label_change(&self) -> bool {
        self.previous.is_some()
            && self.previous == self.current
            && self.previous_label_id != self.current_label_id
    }
}

/// The channel a subscription event is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription<'a> {
    pub channel_type: Option<Cow<'a, str>>,
    pub channel_id: Option<Cow<'a, str>>,
    pub priority: Option<Cow<'a, str>>,
    pub org_source: Option<Cow<'a, str>>,
    pub org_source_id: Option<Cow<'a, str>>,
    pub ou_id: Option<Cow<'a, str>>,
}

/// `"NA"` (any case) and empty mean "no value" in `previousValue`.
pub fn is_no_value(s: &str) -> bool {
    s.is_empty() || s.eq_ignore_ascii_case("NA")
}

impl Event {
    /// The normalised kind of [`Event::event_type`].
    pub fn kind(&self) -> EventKind {
        self.event_type
            .as_deref()
            .map(EventKind::from_label)
            .unwrap_or(EventKind::Other)
    }

    /// The value change, from whichever known shape `additionalFields` has.
    pub fn change(&self) -> Change<'_> {
        let Some(af) = self.additional_fields.get() else {
            return Change::default();
        };
        let has_pair = af.get("currentValue").is_some() || af.get("previousValue").is_some();
        if !has_pair && (af.get("value").is_some() || af.get("labelId").is_some()) {
            return Change {
                previous: None,
                current: af.text("value"),
                previous_label_id: None,
                current_label_id: af.text("labelId"),
            };
        }
        Change {
            previous: af.text("previousValue").filter(|s| !is_no_value(s)),
            current: af.text("currentValue"),
            previous_label_id: af.text("previousLabelId"),
            current_label_id: af.text("currentLabelId"),
        }
    }

    /// Subscription channel details, when `additionalFields` has them.
    pub fn subscription(&self) -> Option<Subscription<'_>> {
        let af = self.additional_fields.get()?;
        let s = Subscription {
            channel_type: af.text("communication_channel_type"),
            channel_id: af.text("communication_channel_id"),
            priority: af.text("priority"),
            org_source: af.text("org_source"),
            org_source_id: af.text("org_source_id"),
            ou_id: af.text("ou_id"),
        };
        (s != Subscription::default()).then_some(s)
    }

    /// The key a field history groups by: `updatedField`, made specific for
    /// subscriptions (all are `SubscriptionStatus`, one per channel/priority/source).
    pub fn field_key(&self) -> String {
        let field = self.updated_field.as_deref().unwrap_or("");
        match self.subscription() {
            Some(s) => subscription_key(
                field,
                s.channel_type.as_deref(),
                s.priority.as_deref(),
                s.org_source.as_deref(),
            ),
            None => field.to_owned(),
        }
    }
}

/// `SubscriptionStatus (EMAIL, TRANS, INSTORE)`: one history per channel,
/// priority and org source.
pub(crate) fn subscription_key(
    field: &str,
    channel: Option<&str>,
    priority: Option<&str>,
    org_source: Option<&str>,
) -> String {
    let parts: Vec<&str> = [channel, priority, org_source]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        field.to_owned()
    } else {
        format!("{field} ({})", parts.join(", "))
    }
}

impl AuditRecord {
    /// Reads one member into its typed slot (or the extras).
    pub(crate) fn read_member<'de, A: MapAccess<'de>>(
        &mut self,
        k: Cow<'_, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let r = self;
        let x = &mut r.extras;
        match &*k {
            "till" => put_obj(&mut r.till, x, &k, map.next_value::<Shape<Place>>()?),
            "store" => put_obj(&mut r.store, x, &k, map.next_value::<Shape<Place>>()?),
            "userContextDetails" => {
                put_obj(&mut r.user_context, x, &k, map.next_value::<Shape<_>>()?)
            }
            "victimUserDetails" => put_obj(&mut r.victim, x, &k, map.next_value::<Shape<_>>()?),
            "survivorUserDetails" => put_obj(&mut r.survivor, x, &k, map.next_value::<Shape<_>>()?),
            "events" => put_list(&mut r.events, x, &k, map.next_value::<ListShape<_>>()?),
            _ => {
                let v: Value = map.next_value()?;
                match &*k {
                    "updatedByUser" => put(&mut r.updated_by_user, x, &k, v, string_of),
                    "updatedBy" => put(&mut r.updated_by, x, &k, v, int_of),
                    "orgId" => put(&mut r.org_id, x, &k, v, int_of),
                    "entityType" => put(&mut r.entity_type, x, &k, v, string_of),
                    "entityId" => put(&mut r.entity_id, x, &k, v, int_of),
                    "createdOn" => put(&mut r.created_on, x, &k, v, time_of),
                    "requestId" => put(&mut r.request_id, x, &k, v, string_of),
                    "source" => put(&mut r.source, x, &k, v, string_of),
                    "updatedByMode" => put(&mut r.updated_by_mode, x, &k, v, string_of),
                    "autoUpdateTime" => put(&mut r.auto_update_time, x, &k, v, time_of),
                    _ => x.push((k.into_owned(), v)),
                }
            }
        }
        Ok(())
    }
}

impl FromMap for AuditRecord {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut r = AuditRecord::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            r.read_member(k, &mut map)?;
        }
        Ok(r)
    }
}

impl FromMap for Event {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut e = Event::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            let x = &mut e.extras;
            match &*k {
                "additionalFields" => put_obj(
                    &mut e.additional_fields,
                    x,
                    &k,
                    map.next_value::<Shape<_>>()?,
                ),
                "associateEntities" => put_list(
                    &mut e.associate_entities,
                    x,
                    &k,
                    map.next_value::<ListShape<_>>()?,
                ),
                "eventType" => put(&mut e.event_type, x, &k, map.next_value()?, string_of),
                "updatedField" => put(&mut e.updated_field, x, &k, map.next_value()?, string_of),
                _ => x.push((k.into_owned(), map.next_value()?)),
            }
        }
        Ok(e)
    }
}

impl Serialize for AuditRecord {
    /// Writes the record back in the documented key order, with absent members left
    /// out, nulls as null, and unknown members after the known ones.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        entry(&mut m, "updatedByUser", &self.updated_by_user)?;
        entry(&mut m, "updatedBy", &self.updated_by)?;
        entry(&mut m, "orgId", &self.org_id)?;
        entry(&mut m, "entityType", &self.entity_type)?;
        entry(&mut m, "entityId", &self.entity_id)?;
        entry(&mut m, "createdOn", &self.created_on)?;
        entry(&mut m, "requestId", &self.request_id)?;
        entry(&mut m, "till", &self.till)?;
        entry(&mut m, "store", &self.store)?;
        entry(&mut m, "userContextDetails", &self.user_context)?;
        entry(&mut m, "victimUserDetails", &self.victim)?;
        entry(&mut m, "survivorUserDetails", &self.survivor)?;
        entry(&mut m, "source", &self.source)?;
        entry(&mut m, "updatedByMode", &self.updated_by_mode)?;
        entry(&mut m, "autoUpdateTime", &self.auto_update_time)?;
        entry(&mut m, "events", &self.events)?;
        for (k, v) in &self.extras {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        entry(&mut m, "eventType", &self.event_type)?;
        entry(&mut m, "updatedField", &self.updated_field)?;
        entry(&mut m, "additionalFields", &self.additional_fields)?;
        entry(&mut m, "associateEntities", &self.associate_entities)?;
        for (k, v) in &self.extras {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
