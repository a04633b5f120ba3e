//! Loading saved API responses ("datasets") so teams can replay their own data.
//!
//! A dataset file is JSON, one of:
//! - a page as the API returns it: `{"data":[…],"pagination":…}` (current)
//!   or `{"entity":[…],…}` (legacy);
//! - an array of such pages (e.g. every page of a listing, saved in order);
//! - an array of records, or a mix of records and pages.
//!
//! Records may be in either generation (epoch-ms or ISO times) and may be
//! for any number of entities; they are grouped by `entityType`/`entityId`.
//! Each record is kept byte-for-byte and served as saved when the request's
//! shape matches its own; the other endpoint gets a converted copy (times,
//! event type spellings, null vs missing keys). A file that is not valid
//! JSON (like the docs' damaged merge example) is refused with its parse
//! error: repairing damage is the explorer's job, not the simulator's.

use audit_gen::EntityType;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::path::Path;

/// One saved record: its exact text, its parsed value, and its identity.
#[derive(Debug)]
pub struct SavedRecord {
    /// The record's JSON text exactly as it appeared in the file.
    pub raw: Box<RawValue>,
    /// Parsed form (for indexing and conversion).
    pub value: Value,
    /// True when the record is in the legacy shape (ISO `autoUpdateTime`).
    pub legacy: bool,
    /// `entityType`.
    pub entity_type: EntityType,
    /// `entityId`.
    pub entity_id: i64,
}

#[derive(Deserialize)]
struct PageLike {
    #[serde(default)]
    data: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    entity: Option<Vec<Box<RawValue>>>,
}

/// Reads a dataset file.
pub fn load(path: &Path) -> Result<Vec<SavedRecord>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses dataset text (see the module docs for the accepted forms).
pub fn parse(text: &str) -> Result<Vec<SavedRecord>, String> {
    let top: Box<RawValue> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let items: Vec<Box<RawValue>> = if top.get().trim_start().starts_with('[') {
        serde_json::from_str(top.get()).map_err(|e| e.to_string())?
    } else {
        vec![top]
    };
    let mut out = Vec::new();
    for item in items {
        let page: PageLike = serde_json::from_str(item.get()).map_err(|e| e.to_string())?;
        match page.data.or(page.entity) {
            Some(records) => {
                for r in records {
                    out.push(record(r)?);
                }
            }
            None => out.push(record(item)?),
        }
    }
    Ok(out)
}

fn record(raw: Box<RawValue>) -> Result<SavedRecord, String> {
    let value: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let entity_type = value
        .get("entityType")
        .and_then(Value::as_str)
        .and_then(EntityType::parse)
        .ok_or_else(|| {
            format!(
                "record without a CUSTOMER/CARD entityType: {}",
                short(raw.get())
            )
        })?;
    let entity_id = value
        .get("entityId")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or_else(|| format!("record without an entityId: {}", short(raw.get())))?;
    let legacy = value.get("autoUpdateTime").is_some_and(Value::is_string);
    Ok(SavedRecord {
        raw,
        value,
        legacy,
        entity_type,
        entity_id,
    })
}

fn short(s: &str) -> &str {
    let mut end = s.len().min(80);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A time field as epoch ms, from either generation.
pub fn time_ms(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => audit_gen::time::parse_query_date(s),
        _ => None,
    }
}

const CURRENT_KEYS: &[&str] = &[
    "updatedByUser",
    "updatedBy",
    "orgId",
    "entityType",
    "entityId",
    "createdOn",
    "requestId",
    "till",
    "store",
    "userContextDetails",
    "victimUserDetails",
    "survivorUserDetails",
    "source",
    "updatedByMode",
    "autoUpdateTime",
    "events",
];

fn map_event_type(t: &str, to_legacy: bool) -> String {
    match (t, to_legacy) {
        ("Identifiers", true) => "Identifier".into(),
        ("Communication Channels", true) => "CommChannel".into(),
        ("Identifier", false) => "Identifiers".into(),
        ("CommChannel", false) => "Communication Channels".into(),
        _ => t.to_string(),
    }
}

/// Converts a saved record to the other generation's shape.
pub fn convert(v: &Value, to_legacy: bool) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, val) in obj {
        let val = match k.as_str() {
            "createdOn" | "autoUpdateTime" => match (time_ms(Some(val)), to_legacy) {
                (Some(ms), true) => Value::String(audit_gen::time::iso_utc(ms)),
                (Some(ms), false) => Value::from(ms),
                (None, _) => val.clone(),
            },
            "events" => Value::Array(
                val.as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| convert_event(e, to_legacy))
                    .collect(),
            ),
            "userContextDetails" if to_legacy && val.is_null() => Value::Object(Map::new()),
            "userContextDetails" if !to_legacy && val.as_object().is_some_and(Map::is_empty) => {
                Value::Null
            }
            _ => val.clone(),
        };
        if to_legacy && val.is_null() && k != "source" {
            continue;
        }
        out.insert(k.clone(), val);
    }
    if !to_legacy {
        for k in CURRENT_KEYS {
            out.entry(k.to_string()).or_insert(Value::Null);
        }
    }
    Value::Object(out)
}

fn convert_event(e: &Value, to_legacy: bool) -> Value {
    let Some(obj) = e.as_object() else {
        return e.clone();
    };
    let mut out = Map::new();
    for (k, val) in obj {
        if k == "eventType" {
            if let Some(t) = val.as_str() {
                out.insert(k.clone(), Value::String(map_event_type(t, to_legacy)));
                continue;
            }
        }
        if to_legacy && k == "associateEntities" && val.is_null() {
            continue;
        }
        out.insert(k.clone(), val.clone());
    }
    if !to_legacy {
        out.entry("associateEntities").or_insert(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: &str = r#"{"entity":[{"updatedBy":75070896,"orgId":100458,"entityType":"CUSTOMER","entityId":98662653,"createdOn":"2023-09-28T11:17:05Z","requestId":"2b47","userContextDetails":{},"source":"INSTORE","updatedByMode":"API","autoUpdateTime":"2023-09-28T11:17:05Z","events":[{"eventType":"Identifier","updatedField":"mobile","additionalFields":{"currentValue":"9986000581","previousValue":"9988776655"}}]}],"warnings":[],"errors":[],"success":true}"#;

    #[test]
    fn reads_pages_arrays_and_records() {
        let one = parse(LEGACY).unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0].legacy);
        assert_eq!(one[0].entity_id, 98662653);
        let cur =
            r#"{"entityType":"CARD","entityId":"5","autoUpdateTime":1,"createdOn":2,"events":[]}"#;
        let many = parse(&format!("[{LEGACY},{cur}]")).unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].entity_type, EntityType::Card);
        assert_eq!(many[1].raw.get(), cur);
        assert!(parse(r#"{"data":[{"entityId":1}]}"#).is_err());
        assert!(parse(r#"{"data":[{"a":1 "b":2}]}"#).is_err());
    }

    #[test]
    fn converts_between_generations() {
        let rec = &parse(LEGACY).unwrap()[0].value;
        let cur = convert(rec, false);
        assert_eq!(cur["autoUpdateTime"], 1_695_899_825_000i64);
        assert!(cur["till"].is_null() && cur.get("till").is_some());
        assert!(cur["userContextDetails"].is_null());
        assert_eq!(cur["events"][0]["eventType"], "Identifiers");
        assert!(cur["events"][0]["associateEntities"].is_null());
        let back = convert(&cur, true);
        assert_eq!(back["autoUpdateTime"], "2023-09-28T11:17:05Z");
        assert!(back.get("till").is_none());
        assert_eq!(back["userContextDetails"], serde_json::json!({}));
        assert_eq!(back["events"][0]["eventType"], "Identifier");
        assert!(back["events"][0].get("associateEntities").is_none());
    }
}
