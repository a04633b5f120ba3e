//! Customer and card status logs (`/v2/customers/{id}/statusLog`,
//! `/v2/card/statusLog`). Both send the same entry shape; each entry is one
//! status/label period, `isActive: true` marks the current one.

use serde::de::MapAccess;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::json::{entry, time_of, FromMap, Key};
use crate::time::{TimeValue, UtcMillis};
use crate::value::{bool_of, int_of, put, string_of, Extras, Nullable};

/// Which status log a page came from. The two share a shape, so detection looks
/// for card-only statuses (`NOT_ISSUED`, `EXPIRED`) or card keys; when the caller
/// knows the endpoint it should say so via [`crate::parse_status_log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum StatusLogKind {
    Customer,
    Card,
}

/// One status-log entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusEntry {
    pub created_by_user: Nullable<String>,
    pub reason: Nullable<String>,
    /// User id; `0` means the system.
    pub created_by: Nullable<i64>,
    pub actions: Nullable<Value>,
    /// `YYYY-MM-DD` (date only).
    pub auto_update_time: Nullable<TimeValue>,
    /// Newer full-precision variant of `autoUpdateTime`, being rolled out.
    pub auto_update_time_iso: Nullable<TimeValue>,
    /// ISO, possibly with an offset such as `+05:30`.
    pub created_on: Nullable<TimeValue>,
    pub entity_id: Nullable<i64>,
    pub is_active: Nullable<bool>,
    /// The brand's sub-label within the system status.
    pub label: Nullable<String>,
    /// The system status (`ACTIVE`, `SUSPENDED`, `NOT_ISSUED`, …).
    pub status: Nullable<String>,
    pub extras: Extras,
}

impl StatusEntry {
    /// When the period started: `createdOn`, else `autoUpdateTimeISO`, else the
    /// date-only `autoUpdateTime`.
    pub fn start(&self) -> Option<UtcMillis> {
        [
            &self.created_on,
            &self.auto_update_time_iso,
            &self.auto_update_time,
        ]
        .into_iter()
        .find_map(|t| t.get().and_then(|t| t.utc_ms))
    }

    /// True when at least one status-log-only member was present.
    pub(crate) fn looks_like_status(&self) -> bool {
        self.status.is_in_json()
            || self.is_active.is_in_json()
            || self.label.is_in_json()
            || self.reason.is_in_json()
            || self.created_by.is_in_json()
            || self.created_by_user.is_in_json()
    }

    /// Reads one member if it belongs to the status-log shape; `Ok(false)` leaves
    /// the value unread for the caller.
    pub(crate) fn read_member<'de, A: MapAccess<'de>>(
        &mut self,
        k: &str,
        map: &mut A,
        shared_too: bool,
    ) -> Result<bool, A::Error> {
        let x = &mut self.extras;
        match k {
            "createdByUser" => put(
                &mut self.created_by_user,
                x,
                k,
                map.next_value()?,
                string_of,
            ),
            "reason" => put(&mut self.reason, x, k, map.next_value()?, string_of),
            "createdBy" => put(&mut self.created_by, x, k, map.next_value()?, int_of),
            "actions" => self.actions = nullable_value(map.next_value()?),
            "autoUpdateTimeISO" => put(
                &mut self.auto_update_time_iso,
                x,
                k,
                map.next_value()?,
                time_of,
            ),
            "isActive" => put(&mut self.is_active, x, k, map.next_value()?, bool_of),
            "label" => put(&mut self.label, x, k, map.next_value()?, string_of),
            "status" => put(&mut self.status, x, k, map.next_value()?, string_of),
            "autoUpdateTime" if shared_too => {
                put(&mut self.auto_update_time, x, k, map.next_value()?, time_of)
            }
            "createdOn" if shared_too => {
                put(&mut self.created_on, x, k, map.next_value()?, time_of)
            }
            "entityId" if shared_too => put(&mut self.entity_id, x, k, map.next_value()?, int_of),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn nullable_value(v: Value) -> Nullable<Value> {
    match v {
        Value::Null => Nullable::Null,
        v => Nullable::Present(v),
    }
}

impl FromMap for StatusEntry {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut e = StatusEntry::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            if !e.read_member(&k, &mut map, true)? {
                let v = map.next_value()?;
                e.extras.push((k.into_owned(), v));
            }
        }
        Ok(e)
    }
}

impl Serialize for StatusEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        entry(&mut m, "createdByUser", &self.created_by_user)?;
        entry(&mut m, "reason", &self.reason)?;
        entry(&mut m, "createdBy", &self.created_by)?;
        entry(&mut m, "actions", &self.actions)?;
        entry(&mut m, "autoUpdateTime", &self.auto_update_time)?;
        entry(&mut m, "autoUpdateTimeISO", &self.auto_update_time_iso)?;
        entry(&mut m, "createdOn", &self.created_on)?;
        entry(&mut m, "entityId", &self.entity_id)?;
        entry(&mut m, "isActive", &self.is_active)?;
        entry(&mut m, "label", &self.label)?;
        entry(&mut m, "status", &self.status)?;
        for (k, v) in &self.extras {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}
