//! Presence-aware values: Capillary's two response generations differ in whether a
//! key is `null` or missing, and the JSON export must put back exactly what came in,
//! so "absent" and "null" are kept apart everywhere instead of folding into `Option`.

use serde_json::Value;

/// A JSON member that may be missing, explicitly `null`, or present.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Nullable<T> {
    /// The key was not in the object (legacy responses omit keys).
    #[default]
    Absent,
    /// The key was there with the value `null`.
    Null,
    /// The key carried a value.
    Present(T),
}

impl<T> Nullable<T> {
    /// The value, if present.
    pub fn get(&self) -> Option<&T> {
        match self {
            Nullable::Present(v) => Some(v),
            _ => None,
        }
    }

    /// Consumes and returns the value, if present.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Present(v) => Some(v),
            _ => None,
        }
    }

    /// True unless the key was missing.
    pub fn is_in_json(&self) -> bool {
        !matches!(self, Nullable::Absent)
    }

    /// Maps the present value, keeping absent/null as they were.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Present(v) => Nullable::Present(f(v)),
        }
    }

    /// Borrowing version of [`Nullable::map`].
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Present(v) => Nullable::Present(v),
        }
    }
}

impl Nullable<String> {
    /// The present string as `&str`.
    pub fn as_deref(&self) -> Option<&str> {
        self.get().map(String::as_str)
    }
}

/// Members of an object this crate has no typed slot for, in input order.
/// Kept so unknown keys are shown and exported, never dropped.
pub type Extras = Vec<(String, Value)>;

/// Reads a JSON value that should be a string (or null).
/// `Err` hands the value back so the caller can keep it verbatim as an extra.
pub(crate) fn string_of(v: Value) -> Result<Nullable<String>, Value> {
    match v {
        Value::Null => Ok(Nullable::Null),
        Value::String(s) => Ok(Nullable::Present(s)),
        other => Err(other),
    }
}

/// Reads a JSON value that should be an integer (or null). A float, a string or
/// anything else is handed back so it survives verbatim as an extra.
pub(crate) fn int_of(v: Value) -> Result<Nullable<i64>, Value> {
    match v {
        Value::Null => Ok(Nullable::Null),
        Value::Number(ref n) => match n.as_i64() {
            Some(i) => Ok(Nullable::Present(i)),
            None => Err(v),
        },
        other => Err(other),
    }
}

/// Reads a JSON boolean (or null).
pub(crate) fn bool_of(v: Value) -> Result<Nullable<bool>, Value> {
    match v {
        Value::Null => Ok(Nullable::Null),
        Value::Bool(b) => Ok(Nullable::Present(b)),
        other => Err(other),
    }
}

/// Puts `v` into `slot` when it has the expected type, otherwise keeps the member
/// as an extra under its own key (so the export still reproduces it).
pub(crate) fn put<T>(
    slot: &mut Nullable<T>,
    extras: &mut Extras,
    key: &str,
    v: Value,
    read: fn(Value) -> Result<Nullable<T>, Value>,
) {
    match read(v) {
        Ok(x) => *slot = x,
        Err(raw) => extras.push((key.to_owned(), raw)),
    }
}

/// Text shown for a JSON value: strings without quotes, everything else as JSON.
pub fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
