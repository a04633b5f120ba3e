//! Lenient serde plumbing shared by the audit and status-log models.
//!
//! The typed models are read with hand-written visitors instead of
//! `#[derive(Deserialize)]` because the responses need things derive does not give
//! cheaply: null kept apart from missing, a wrongly-typed member kept verbatim
//! instead of failing the whole record, unknown members kept in input order, and
//! no `#[serde(flatten)]` (which buffers every record and halves throughput).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::value::Nullable;

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Types read from a JSON object by a [`MapAccess`].
pub(crate) trait FromMap: Sized {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// What a member that should hold an object actually held.
pub(crate) enum Shape<T> {
    Null,
    Obj(T),
    /// Not an object: kept verbatim so nothing is lost.
    Other(Value),
}

impl<'de, T: FromMap> Deserialize<'de> for Shape<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromMap> Visitor<'de> for V<T> {
            type Value = Shape<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shape<T>, A::Error> {
                T::from_map(map).map(Shape::Obj)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Shape<T>, E> {
                Ok(Shape::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Shape<T>, E> {
                Ok(Shape::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::String(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Shape<T>, E> {
                Ok(Shape::Other(Value::String(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape<T>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Shape::Other)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A member that should hold an array of objects.
pub(crate) enum ListShape<T> {
    Null,
    List(Vec<T>),
    Other(Value),
}

impl<'de, T: FromMap + Serialize> Deserialize<'de> for ListShape<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromMap + Serialize> Visitor<'de> for V<T> {
            type Value = ListShape<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ListShape<T>, E> {
                Ok(ListShape::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<ListShape<T>, E> {
                Ok(ListShape::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListShape<T>, A::Error> {
                let mut items: Vec<Shape<T>> = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(item) = seq.next_element::<Shape<T>>()? {
                    items.push(item);
                }
                if items.iter().all(|i| matches!(i, Shape::Obj(_))) {
                    let list = items
                        .into_iter()
                        .filter_map(|i| match i {
                            Shape::Obj(t) => Some(t),
                            _ => None,
                        })
                        .collect();
                    return Ok(ListShape::List(list));
                }
                // A stray non-object element: keep the whole array verbatim.
                let raw = items
                    .into_iter()
                    .map(|i| match i {
                        Shape::Null => Value::Null,
                        Shape::Obj(t) => serde_json::to_value(&t).unwrap_or(Value::Null),
                        Shape::Other(v) => v,
                    })
                    .collect();
                Ok(ListShape::Other(Value::Array(raw)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ListShape<T>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(ListShape::Other)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ListShape<T>, E> {
                Ok(ListShape::Other(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ListShape<T>, E> {
                Ok(ListShape::Other(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListShape<T>, E> {
                Ok(ListShape::Other(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ListShape<T>, E> {
                Ok(ListShape::Other(Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ListShape<T>, E> {
                Ok(ListShape::Other(Value::String(v.to_owned())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Stores an object-shaped member, or keeps a wrongly-typed one as an extra.
pub(crate) fn put_obj<T>(
    slot: &mut Nullable<T>,
    extras: &mut Vec<(String, Value)>,
    key: &str,
    shape: Shape<T>,
) {
    match shape {
        Shape::Null => *slot = Nullable::Null,
        Shape::Obj(t) => *slot = Nullable::Present(t),
        Shape::Other(v) => extras.push((key.to_owned(), v)),
    }
}

/// Stores an array-of-objects member, or keeps a wrongly-typed one as an extra.
pub(crate) fn put_list<T>(
    slot: &mut Nullable<Vec<T>>,
    extras: &mut Vec<(String, Value)>,
    key: &str,
    shape: ListShape<T>,
) {
    match shape {
        ListShape::Null => *slot = Nullable::Null,
        ListShape::List(t) => *slot = Nullable::Present(t),
        ListShape::Other(v) => extras.push((key.to_owned(), v)),
    }
}

/// An open JSON object with its members in input order (`additionalFields`,
/// `till`, `store`, user context, merge details, associate entities).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Members(pub Vec<(String, Value)>);

impl Members {
    /// The raw value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `key` as text: strings as-is, numbers and booleans as JSON; `None` when
    /// absent or null.
    pub fn text(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// `key` as an integer, accepting numbers and numeric strings (ids arrive both ways).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Iterates members in input order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// True when the object had no members (legacy `userContextDetails: {}`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromMap for Members {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(Key(k)) = map.next_key::<Key>()? {
            out.push((k.into_owned(), map.next_value::<Value>()?));
        }
        Ok(Members(out))
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Writes a member unless it was absent, so null stays null and missing stays missing.
pub(crate) fn entry<M: SerializeMap, T: Serialize>(
    m: &mut M,
    key: &str,
    v: &Nullable<T>,
) -> Result<(), M::Error> {
    match v {
        Nullable::Absent => Ok(()),
        Nullable::Null => m.serialize_entry(key, &()),
        Nullable::Present(x) => m.serialize_entry(key, x),
    }
}

impl Serialize for crate::time::TimeValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            crate::time::TimeRaw::Number(n) => n.serialize(s),
            crate::time::TimeRaw::Text(t) => s.serialize_str(t),
        }
    }
}

/// Reads a time member: numbers are epoch milliseconds, strings any supported spelling.
pub(crate) fn time_of(v: Value) -> Result<Nullable<crate::time::TimeValue>, Value> {
    use crate::time::TimeValue;
    match v {
        Value::Null => Ok(Nullable::Null),
        Value::Number(n) => Ok(Nullable::Present(TimeValue::from_number(n))),
        Value::String(s) => Ok(Nullable::Present(TimeValue::from_text(s))),
        other => Err(other),
    }
}
