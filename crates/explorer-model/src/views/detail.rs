//! One event in full: every fact, the changed characters of long values, merge victim and
//! survivor, the other events of its request (from the store's request index), the raw record.

use audit_core::{export::record_json, merges, value_diff, Cell, DiffOp, EventId, Members, Store};

use crate::zone::Clock;

/// Values at least this long get their changed characters marked (push tokens run to 150+
/// characters and usually differ in a part); shorter ones read better whole.
const DIFF_MIN_LEN: usize = 24;

/// One part of a value as the detail shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub text: String,
    pub mark: Mark,
}

/// How a [`Span`] is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mark {
    Same,
    Removed,
    Added,
}

/// The value before and after, each as spans (one unmarked span when not diffed); `None`
/// when the value was absent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValueChange {
    pub before: Option<Vec<Span>>,
    pub after: Option<Vec<Span>>,
}

/// Another event of the same request, to open from the detail.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Peer {
    pub key: String,
    pub label: String,
}

/// An entity an event links to (a card event's customer).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntityRef {
    pub entity_type: String,
    pub id: i64,
}

/// A merge: victim and survivor side by side, a row per member.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MergeView {
    pub rows: Vec<(String, String, String)>,
}

/// The detail panel of one event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DetailView {
    pub key: String,
    /// "Identifier · mobile"
    pub title: String,
    /// When, in the chosen zone with its label and the age.
    pub when: String,
    /// The same instant in ISO UTC (a tooltip).
    pub when_utc: String,
    pub change: ValueChange,
    /// Label and value, non-empty values only.
    pub facts: Vec<(String, String)>,
    pub links: Vec<EntityRef>,
    pub merge: Option<MergeView>,
    pub additional: Vec<(String, String)>,
    pub same_request: Vec<Peer>,
    /// The record as it came, pretty-printed.
    pub raw: String,
}

/// The detail of event `id`.
pub fn detail(store: &Store, id: EventId, clock: &Clock) -> DetailView {
    let e = store.event(id);
    let when = e
        .time()
        .map(|t| format!("{} ({}, {})", clock.format(t), clock.label(), clock.age(t)))
        .unwrap_or_else(|| match e.time_raw() {
            Some(raw) => format!("{raw} (as sent: not a time this explorer can place)"),
            None => "time unknown".into(),
        });
    let kind = e.kind().name();
    let mut facts: Vec<(&str, String)> = vec![
        (
            "Type",
            match e.type_label() {
                Some(raw) if raw != kind => format!("{kind} (sent as “{raw}”)"),
                _ => kind.to_owned(),
            },
        ),
        ("Field", e.field_key().to_owned()),
        (
            "Entity",
            format!(
                "{} {}",
                e.entity_type().unwrap_or("?"),
                e.entity_id().map(|i| i.to_string()).unwrap_or_default()
            ),
        ),
        ("Updated by", e.user_label().to_owned()),
        (
            "User id",
            e.updated_by().map(|n| n.to_string()).unwrap_or_default(),
        ),
        ("Mode", e.mode().unwrap_or("").to_owned()),
        ("Source", e.source().unwrap_or("").to_owned()),
        ("Request id", e.request_id().unwrap_or("").to_owned()),
        (
            "Org id",
            e.org_id().map(|n| n.to_string()).unwrap_or_default(),
        ),
    ];
    if let Some(c) = e.created_on() {
        facts.push(("Created on", clock.format(c)));
    }
    for (label, members) in [
        ("Till", e.till()),
        ("Store", e.store_place()),
        ("User context", e.user_context()),
    ] {
        if let Some(m) = members {
            facts.push((label, members_text(&m)));
        }
    }
    match (e.previous_label_id(), e.current_label_id()) {
        (Some(p), Some(c)) => facts.push(("Label id", format!("{p} → {c}"))),
        (None, Some(c)) => facts.push(("Label id", c.to_owned())),
        _ => {}
    }
    let links = e
        .associate_entities()
        .iter()
        .filter_map(|m| {
            Some(EntityRef {
                entity_type: m.text("entityType")?.into_owned(),
                id: m.int("entityId")?,
            })
        })
        .collect();
    let same_request = if e.request_id().is_some() {
        store
            .request_events(id)
            .into_iter()
            .filter(|&o| o != id)
            .map(|o| {
                let other = store.event(o);
                Peer {
                    key: store.event_key(o),
                    label: format!("{} · {}", other.kind().name(), other.field_key()),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let raw = record_json(&store.record(e.record_id()));
    DetailView {
        key: store.event_key(id),
        title: format!("{kind} · {}", e.field_key()),
        when,
        when_utc: e
            .time()
            .map(audit_core::time::format_iso_utc)
            .unwrap_or_default(),
        change: value_change(e.previous(), e.current()),
        facts: facts
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        links,
        merge: merges(store, &[id]).into_iter().next().map(|m| MergeView {
            rows: m
                .rows
                .into_iter()
                .map(|(k, v, s)| (k, v.unwrap_or_default(), s.unwrap_or_default()))
                .collect(),
        }),
        additional: e
            .additional_fields()
            .chain(e.extras())
            .map(|(k, v)| (k.to_owned(), cell_text(v)))
            .collect(),
        same_request,
        raw: pretty_json(&raw),
    }
}

/// Before and after; long differing values get their changed characters marked.
pub fn value_change(previous: Option<&str>, current: Option<&str>) -> ValueChange {
    let whole = |v: Option<&str>| {
        v.map(|v| {
            vec![Span {
                text: v.to_owned(),
                mark: Mark::Same,
            }]
        })
    };
    match (previous, current) {
        (Some(p), Some(c)) if p != c && p.len().max(c.len()) >= DIFF_MIN_LEN => {
            let spans = value_diff(p, c);
            let side = |skip: DiffOp| {
                spans
                    .iter()
                    .filter(|s| s.op != skip)
                    .map(|s| Span {
                        text: s.text.clone(),
                        mark: match s.op {
                            DiffOp::Same => Mark::Same,
                            DiffOp::Removed => Mark::Removed,
                            DiffOp::Added => Mark::Added,
                        },
                    })
                    .collect()
            };
            ValueChange {
                before: Some(side(DiffOp::Added)),
                after: Some(side(DiffOp::Removed)),
            }
        }
        _ => ValueChange {
            before: whole(previous),
            after: whole(current),
        },
    }
}

/// Two-space indented JSON, as the raw record is shown, members in the order the record was
/// rebuilt in (the documented order, unknown members last). Going through `serde_json::Value`
/// would sort them alphabetically (its map is ordered by key without the `preserve_order`
/// feature, which would add `indexmap` to the bundle); the text was just written by
/// `record_json`, so this only has to indent valid JSON.
fn pretty_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(']'));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

fn members_text(m: &Members) -> String {
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| format!("{k}: {}", audit_core::value::display_value(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell_text(c: Cell<'_>) -> String {
    match c.as_str() {
        Some(s) => s.to_owned(),
        None => c.to_json().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_is_indented_like_serde_json_pretty() {
        let compact = r#"{"a":1,"b":[1,{"c":"x,y:{z}\"q"}],"d":{},"e":[]}"#;
        let value: serde_json::Value = serde_json::from_str(compact).unwrap();
        assert_eq!(
            pretty_json(compact),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn long_values_get_their_changed_characters_marked() {
        let before = "fcm:AAAA-token-0123456789-old";
        let after = "fcm:AAAA-token-0123456789-new";
        let change = value_change(Some(before), Some(after));
        let marked = |spans: &Option<Vec<Span>>, mark| {
            spans
                .as_ref()
                .unwrap()
                .iter()
                .filter(|s| s.mark == mark)
                .map(|s| s.text.clone())
                .collect::<String>()
        };
        assert_eq!(marked(&change.before, Mark::Removed), "old");
        assert_eq!(marked(&change.after, Mark::Added), "new");
        let short = value_change(None, Some("9988776655"));
        assert_eq!(short.before, None);
        assert_eq!(short.after.unwrap()[0].text, "9988776655");
    }
}
