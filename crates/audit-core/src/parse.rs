//! Bytes in, typed records out: shape detection, the fast typed path, and
//! record-by-record recovery for damaged pages.
//!
//! Fast path: one `serde_json::from_slice` over the whole document with the
//! lenient visitors of [`crate::json`] (keys borrowed, no intermediate `Value`
//! tree for known members). Any JSON, however odd, is accepted there; only
//! invalid JSON falls to the slow path.
//!
//! Slow path: walks the top-level object member by member. The records array
//! is read one element at a time with a `StreamDeserializer` at the element's
//! offset, so every intact element survives. When an element fails, the reader
//! resynchronises at the next `{` that follows a `,` and parses as a whole
//! record followed by `,` or `]`; everything between is reported as one
//! [`DamagedSpan`] with its byte offset and serde's reason. Resynchronising on
//! "a parseable record" rather than on brace counting is what survives the seed's
//! curly quote (`“`), which flips a naive scanner's idea of what is inside a
//! string for the rest of the page.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::audit::AuditRecord;
use crate::json::{FromMap, Key, Members, Shape};
use crate::status_log::{StatusEntry, StatusLogKind};
use crate::value::Extras;

/// What kind of response a page was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseShape {
    /// `/api_gateway/v2/audits`: `data` + `pagination`, epoch-ms times.
    CurrentAudits,
    /// `/v2/auditLog/get`: `entity` + `warnings`/`errors`/`success`, ISO times.
    LegacyAudits,
    /// Customer or card status log: `data` of status entries.
    StatusLog(StatusLogKind),
    /// Only Capillary's error envelope (`errors: [{code, message}]`), no records.
    ErrorEnvelope,
    /// None of the above; `reason` says what was found instead.
    Unrecognised { reason: String },
}

/// `pagination` of the current audit endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pagination {
    pub total_elements: Option<i64>,
    pub total_pages: Option<i64>,
    pub number_of_elements: Option<i64>,
    /// Zero-based page number.
    pub number: Option<i64>,
    /// The object as sent (unknown members included).
    pub raw: Members,
}

/// One entry of Capillary's `errors` array.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// e.g. 8015 customer not found, 3010 card number does not exist, 8003 invalid source.
    pub code: Option<i64>,
    pub message: Option<String>,
    pub status: Option<bool>,
    /// The entry as sent.
    pub raw: Value,
}

/// A part of the input that could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedSpan {
    /// Byte offset where the damaged part starts (a record's `{` when known).
    pub offset: usize,
    /// Length in bytes of the part skipped.
    pub len: usize,
    /// Byte offset where the JSON reader gave up.
    pub error_offset: usize,
    /// The reader's message, e.g. "expected `,` or `}` at line 17 column 1".
    pub reason: String,
}

/// The result of reading one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub shape: ResponseShape,
    /// Audit records (both generations), in response order.
    pub records: Vec<AuditRecord>,
    /// Status-log entries, in response order.
    pub status_entries: Vec<StatusEntry>,
    pub pagination: Option<Pagination>,
    /// Entries of a non-empty `errors` array.
    pub api_errors: Vec<ApiError>,
    pub warnings: Vec<Value>,
    /// Legacy `success` flag.
    pub success: Option<bool>,
    /// Parts of a damaged page that were skipped; intact records around them are kept.
    pub damaged: Vec<DamagedSpan>,
    /// Top-level members this crate has no slot for.
    pub extras: Extras,
    /// Size of the input, for throughput and memory reporting.
    pub input_len: usize,
}

impl Parsed {
    fn empty(input_len: usize, shape: ResponseShape) -> Parsed {
        Parsed {
            shape,
            records: Vec::new(),
            status_entries: Vec::new(),
            pagination: None,
            api_errors: Vec::new(),
            warnings: Vec::new(),
            success: None,
            damaged: Vec::new(),
            extras: Vec::new(),
            input_len,
        }
    }

    /// True when some of the input was skipped.
    pub fn is_damaged(&self) -> bool {
        !self.damaged.is_empty()
    }
}

/// Reads any Capillary audit / status-log / error response. Never panics; an
/// unreadable input gives [`ResponseShape::Unrecognised`] with the reason.
pub fn parse_response(bytes: &[u8]) -> Parsed {
    match serde_json::from_slice::<Shape<Top>>(bytes) {
        Ok(Shape::Obj(top)) if !top.has_stray_elements => top.into_parsed(bytes.len()),
        Ok(Shape::Obj(_)) => recover(bytes, None),
        Ok(Shape::Null) => Parsed::empty(
            bytes.len(),
            unrecognised("the response is `null`, not an object".into()),
        ),
        Ok(Shape::Other(v)) => Parsed::empty(
            bytes.len(),
            unrecognised(format!(
                "the response is {}, not an object with `data`, `entity` or `errors`",
                kind_of(&v)
            )),
        ),
        Err(e) => recover(bytes, Some(e)),
    }
}

/// Reads a status log when the caller knows which endpoint answered (the customer
/// and card logs share one shape). Other shapes come back as [`parse_response`]
/// would give them.
pub fn parse_status_log(bytes: &[u8], kind: StatusLogKind) -> Parsed {
    let mut p = parse_response(bytes);
    if let ResponseShape::StatusLog(k) = &mut p.shape {
        *k = kind;
    }
    p
}

fn unrecognised(reason: String) -> ResponseShape {
    ResponseShape::Unrecognised { reason }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A list element read without knowing yet whether the page is an audit page or a
/// status log: status-only members go to `status`, everything else to `audit`.
#[derive(Default)]
struct Entry {
    audit: AuditRecord,
    status: StatusEntry,
}

impl FromMap for Entry {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut e = Entry::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            if !e.status.read_member(&k, &mut map, false)? {
                e.audit.read_member(k, &mut map)?;
            }
        }
        Ok(e)
    }
}

impl Entry {
    fn looks_like_record(&self) -> bool {
        self.audit.looks_like_audit() || self.status.looks_like_status()
    }

    fn into_audit(self) -> AuditRecord {
        let mut r = self.audit;
        if self.status.looks_like_status() || self.status.actions.is_in_json() {
            append_members(&mut r.extras, &self.status);
        }
        r
    }

    fn into_status(self) -> StatusEntry {
        let mut a = self.audit;
        let mut e = self.status;
        e.entity_id = std::mem::take(&mut a.entity_id);
        e.created_on = std::mem::take(&mut a.created_on);
        e.auto_update_time = std::mem::take(&mut a.auto_update_time);
        append_members(&mut e.extras, &a);
        e
    }
}

/// Appends the members `part` would serialise to, so nothing read is lost when an
/// element lands in the other model.
fn append_members<T: serde::Serialize>(extras: &mut Extras, part: &T) {
    if let Ok(Value::Object(m)) = serde_json::to_value(part) {
        extras.extend(m);
    }
}

/// The records member: a list, or something else kept verbatim.
enum DataShape {
    List(Vec<Entry>),
    Other(Value),
}

/// The top-level object.
#[derive(Default)]
struct Top {
    data: Option<(String, DataShape)>,
    pagination: Option<Shape<Members>>,
    warnings: Option<Value>,
    errors: Option<Value>,
    success: Option<Value>,
    extras: Extras,
    /// A records list held a non-object element: re-read by the slow path, which
    /// can report it with its byte offset.
    has_stray_elements: bool,
}

struct EntryList {
    entries: Vec<Entry>,
    stray: bool,
}

impl<'de> Deserialize<'de> for EntryList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EntryList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EntryList, A::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(16));
                let mut stray = false;
                while let Some(item) = seq.next_element::<Shape<Entry>>()? {
                    match item {
                        Shape::Obj(e) => entries.push(e),
                        _ => stray = true,
                    }
                }
                Ok(EntryList { entries, stray })
            }
        }
        d.deserialize_seq(V)
    }
}

impl FromMap for Top {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut t = Top::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            match &*k {
                "data" | "entity" if t.data.is_none() => {
                    let v = map.next_value::<DataValue>()?;
                    let shape = match v {
                        DataValue::List(l) => {
                            t.has_stray_elements |= l.stray;
                            DataShape::List(l.entries)
                        }
                        DataValue::Other(v) => DataShape::Other(v),
                    };
                    t.data = Some((k.into_owned(), shape));
                }
                "pagination" => t.pagination = Some(map.next_value()?),
                "warnings" => t.warnings = Some(map.next_value()?),
                "errors" => t.errors = Some(map.next_value()?),
                "success" => t.success = Some(map.next_value()?),
                _ => {
                    let v = map.next_value()?;
                    t.extras.push((k.into_owned(), v));
                }
            }
        }
        Ok(t)
    }
}

/// `data`/`entity`: a list of records, or anything else (the OAuth endpoint's
/// `data` is an object, for instance).
enum DataValue {
    List(EntryList),
    Other(Value),
}

impl<'de> Deserialize<'de> for DataValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DataValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DataValue, A::Error> {
                EntryList::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(DataValue::List)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DataValue, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(DataValue::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<DataValue, E> {
                Ok(DataValue::Other(Value::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<DataValue, E> {
                Ok(DataValue::Other(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DataValue, E> {
                Ok(DataValue::Other(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DataValue, E> {
                Ok(DataValue::Other(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DataValue, E> {
                Ok(DataValue::Other(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DataValue, E> {
                Ok(DataValue::Other(v.into()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Top {
    fn into_parsed(self, input_len: usize) -> Parsed {
        let mut p = Parsed::empty(input_len, ResponseShape::ErrorEnvelope);
        p.extras = self.extras;
        if let Some(pg) = self.pagination {
            match pg {
                Shape::Obj(m) => p.pagination = Some(pagination_of(m)),
                Shape::Null => p.extras.push(("pagination".into(), Value::Null)),
                Shape::Other(v) => p.extras.push(("pagination".into(), v)),
            }
        }
        match self.warnings {
            Some(Value::Array(w)) => p.warnings = w,
            Some(other) => p.extras.push(("warnings".into(), other)),
            None => {}
        }
        match self.errors {
            Some(Value::Array(errs)) => p.api_errors = errs.into_iter().map(api_error_of).collect(),
            Some(Value::Null) | None => {}
            Some(other) => p.api_errors.push(api_error_of(other)),
        }
        match self.success {
            Some(Value::Bool(b)) => p.success = Some(b),
            Some(other) => p.extras.push(("success".into(), other)),
            None => {}
        }
        let has_errors = !p.api_errors.is_empty();
        p.shape = match self.data {
            None if has_errors => ResponseShape::ErrorEnvelope,
            None => unrecognised("no `data`, `entity` or `errors` member".into()),
            Some((key, DataShape::Other(v))) => {
                let shape = if has_errors {
                    ResponseShape::ErrorEnvelope
                } else {
                    unrecognised(format!("`{key}` is {}, not a list of records", kind_of(&v)))
                };
                p.extras.push((key, v));
                shape
            }
            Some((key, DataShape::List(entries))) => {
                let legacy = key == "entity";
                classify(&mut p, legacy, entries, has_errors)
            }
        };
        p
    }
}

/// Decides the page's shape from its elements and moves them into the right model.
fn classify(p: &mut Parsed, legacy: bool, entries: Vec<Entry>, has_errors: bool) -> ResponseShape {
    let audit_like = entries.iter().any(|e| e.audit.looks_like_audit());
    let status_like = entries.iter().any(|e| e.status.looks_like_status());
    if legacy || audit_like || (entries.is_empty() && p.pagination.is_some()) {
        p.records = entries.into_iter().map(Entry::into_audit).collect();
        return if legacy {
            ResponseShape::LegacyAudits
        } else {
            ResponseShape::CurrentAudits
        };
    }
    if status_like || (entries.is_empty() && !has_errors) {
        let card = entries.iter().any(|e| {
            e.status.status.as_deref().is_some_and(|s| {
                s.eq_ignore_ascii_case("NOT_ISSUED") || s.eq_ignore_ascii_case("EXPIRED")
            }) || e
                .audit
                .entity_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("CARD"))
                || e.audit
                    .extras
                    .iter()
                    .any(|(k, _)| k.to_ascii_lowercase().contains("card"))
        });
        p.status_entries = entries.into_iter().map(Entry::into_status).collect();
        return ResponseShape::StatusLog(if card {
            StatusLogKind::Card
        } else {
            StatusLogKind::Customer
        });
    }
    if entries.is_empty() {
        return ResponseShape::ErrorEnvelope;
    }
    p.records = entries.into_iter().map(Entry::into_audit).collect();
    unrecognised("the list's elements have neither audit nor status-log members".into())
}

fn pagination_of(m: Members) -> Pagination {
    Pagination {
        total_elements: m.int("totalElements"),
        total_pages: m.int("totalPages"),
        number_of_elements: m.int("numberOfElements"),
        number: m.int("number"),
        raw: m,
    }
}

fn api_error_of(v: Value) -> ApiError {
    match &v {
        Value::Object(o) => ApiError {
            code: o.get("code").and_then(|c| match c {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            message: o.get("message").map(crate::value::display_value),
            status: o.get("status").and_then(Value::as_bool),
            raw: v,
        },
        other => ApiError {
            code: None,
            message: Some(crate::value::display_value(other)),
            status: None,
            raw: v,
        },
    }
}

// ---------------------------------------------------------------------------
// Slow path: damaged input.

/// Most resynchronisation attempts per damaged span; bounds the work an
/// adversarial input can cause.
const MAX_RESYNC_ATTEMPTS: usize = 4096;

const TOP_KEYS: [&[u8]; 6] = [
    b"\"data\"",
    b"\"entity\"",
    b"\"pagination\"",
    b"\"errors\"",
    b"\"warnings\"",
    b"\"success\"",
];

fn recover(bytes: &[u8], first_err: Option<serde_json::Error>) -> Parsed {
    let mut p = skip_bom_ws(bytes, 0);
    if bytes.get(p) != Some(&b'{') {
        let reason = match &first_err {
            Some(e) => format!("not valid JSON ({e})"),
            None => "the response is not an object".into(),
        };
        return Parsed::empty(bytes.len(), unrecognised(reason));
    }
    let mut top = Top::default();
    let mut damaged = Vec::new();
    p += 1;
    loop {
        p = skip_ws(bytes, p);
        match bytes.get(p) {
            None => break,
            Some(b'}') => break,
            Some(b',') => {
                p += 1;
                continue;
            }
            _ => {}
        }
        let member_start = p;
        let parsed_key = parse_at::<String>(bytes, p).and_then(|(k, end)| {
            let colon = skip_ws(bytes, end);
            if bytes.get(colon) == Some(&b':') {
                Ok((k, colon + 1))
            } else {
                Err((colon, "expected `:` after a key".to_owned()))
            }
        });
        let (key, vstart) = match parsed_key {
            Ok(x) => x,
            Err((eoff, reason)) => match next_top_key(bytes, p + 1) {
                Some(q) => {
                    damaged.push(span(bytes, member_start, q, eoff, reason));
                    p = q;
                    continue;
                }
                None => {
                    damaged.push(span(bytes, member_start, bytes.len(), eoff, reason));
                    break;
                }
            },
        };
        let vstart = skip_ws(bytes, vstart);
        if (key == "data" || key == "entity")
            && top.data.is_none()
            && bytes.get(vstart) == Some(&b'[')
        {
            let (entries, end) = recover_array(bytes, vstart, &mut damaged);
            top.data = Some((key, DataShape::List(entries)));
            p = end;
            continue;
        }
        match parse_at::<Value>(bytes, vstart) {
            Ok((v, end)) => {
                match key.as_str() {
                    "data" | "entity" if top.data.is_none() => {
                        top.data = Some((key, DataShape::Other(v)))
                    }
                    "pagination" => {
                        top.pagination = Some(match v {
                            Value::Object(o) => Shape::Obj(Members(o.into_iter().collect())),
                            Value::Null => Shape::Null,
                            other => Shape::Other(other),
                        })
                    }
                    "warnings" => top.warnings = Some(v),
                    "errors" => top.errors = Some(v),
                    "success" => top.success = Some(v),
                    _ => top.extras.push((key, v)),
                }
                p = end;
            }
            Err((eoff, reason)) => {
                let reason = format!("member `{key}`: {reason}");
                match next_top_key(bytes, vstart) {
                    Some(q) => {
                        damaged.push(span(bytes, member_start, q, eoff, reason));
                        p = q;
                    }
                    None => {
                        damaged.push(span(bytes, member_start, bytes.len(), eoff, reason));
                        break;
                    }
                }
            }
        }
    }
    let mut parsed = top.into_parsed(bytes.len());
    if parsed.records.is_empty()
        && parsed.status_entries.is_empty()
        && !damaged.is_empty()
        && matches!(parsed.shape, ResponseShape::Unrecognised { .. })
    {
        if let Some(e) = first_err {
            parsed.shape =
                unrecognised(format!("not valid JSON ({e}); nothing could be recovered"));
        }
    }
    parsed.damaged = damaged;
    parsed
}

/// Reads the records array starting at its `[`; returns the intact elements and
/// the offset just past the array (or the end of input).
fn recover_array(bytes: &[u8], open: usize, damaged: &mut Vec<DamagedSpan>) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut p = open + 1;
    loop {
        p = skip_ws(bytes, p);
        match bytes.get(p) {
            None => {
                damaged.push(DamagedSpan {
                    offset: open,
                    len: bytes.len() - open,
                    error_offset: bytes.len(),
                    reason: "the records list is not closed (input truncated?)".into(),
                });
                return (entries, p);
            }
            Some(b']') => return (entries, p + 1),
            Some(b',') => {
                p += 1;
                continue;
            }
            _ => {}
        }
        match parse_at::<Shape<Entry>>(bytes, p) {
            Ok((Shape::Obj(e), end)) => {
                entries.push(e);
                p = end;
            }
            Ok((other, end)) => {
                let what = match other {
                    Shape::Null => "null",
                    Shape::Other(ref v) => kind_of(v),
                    Shape::Obj(_) => "an object",
                };
                damaged.push(span(
                    bytes,
                    p,
                    end,
                    p,
                    format!("list element is {what}, not a record"),
                ));
                p = end;
            }
            Err((eoff, reason)) => match resync(bytes, p + 1) {
                Some((q, e, end)) => {
                    damaged.push(span(bytes, p, q, eoff, reason));
                    entries.push(e);
                    p = end;
                }
                None => {
                    // No intact record follows: skip to the list's end if a later
                    // top-level member shows where it is.
                    let stop = next_top_key(bytes, eoff.max(p + 1))
                        .and_then(|k| memchr::memrchr(b']', &bytes[p..k]).map(|i| p + i));
                    match stop {
                        Some(close) => {
                            damaged.push(span(bytes, p, close, eoff, reason));
                            return (entries, close + 1);
                        }
                        None => {
                            damaged.push(span(bytes, p, bytes.len(), eoff, reason));
                            return (entries, bytes.len());
                        }
                    }
                }
            },
        }
    }
}

/// Finds the next intact record after a damaged one: a `{` preceded by `,` that
/// parses as a record-like object followed by `,` or `]`.
fn resync(bytes: &[u8], from: usize) -> Option<(usize, Entry, usize)> {
    let mut attempts = 0;
    for i in memchr::memchr_iter(b'{', bytes.get(from..)?) {
        let q = from + i;
        if prev_non_ws(bytes, q) != Some(b',') {
            continue;
        }
        attempts += 1;
        if attempts > MAX_RESYNC_ATTEMPTS {
            return None;
        }
        if let Ok((Shape::Obj(e), end)) = parse_at::<Shape<Entry>>(bytes, q) {
            let after = skip_ws(bytes, end);
            if e.looks_like_record() && matches!(bytes.get(after), Some(b',') | Some(b']')) {
                return Some((q, e, end));
            }
        }
    }
    None
}

/// Parses one value at `at`; on error returns the byte offset where the reader
/// stopped and its message.
fn parse_at<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    at: usize,
) -> Result<(T, usize), (usize, String)> {
    let Some(slice) = bytes.get(at..) else {
        return Err((bytes.len(), "unexpected end of input".into()));
    };
    let mut stream = serde_json::Deserializer::from_slice(slice).into_iter::<T>();
    match stream.next() {
        Some(Ok(v)) => Ok((v, at + stream.byte_offset())),
        Some(Err(e)) => Err((at + offset_of(slice, e.line(), e.column()), e.to_string())),
        None => Err((bytes.len(), "unexpected end of input".into())),
    }
}

/// Byte offset of a 1-based line/column position in `s` (serde_json counts
/// columns in bytes).
fn offset_of(s: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        match memchr::memchr_iter(b'\n', s).nth(line - 2) {
            Some(nl) => start = nl + 1,
            None => return s.len(),
        }
    }
    (start + column.saturating_sub(1)).min(s.len())
}

fn span(
    bytes: &[u8],
    start: usize,
    end: usize,
    error_offset: usize,
    reason: String,
) -> DamagedSpan {
    // Leave the separating comma and whitespace out of the span.
    let mut e = end.min(bytes.len()).max(start);
    while e > start && matches!(bytes[e - 1], b' ' | b'\t' | b'\r' | b'\n' | b',') {
        e -= 1;
    }
    DamagedSpan {
        offset: start,
        len: e - start,
        error_offset,
        reason,
    }
}

fn next_top_key(bytes: &[u8], from: usize) -> Option<usize> {
    let hay = bytes.get(from..)?;
    TOP_KEYS
        .iter()
        .filter_map(|k| {
            memchr::memmem::find_iter(hay, k)
                .map(|i| from + i)
                .find(|&q| bytes.get(skip_ws(bytes, q + k.len())) == Some(&b':'))
        })
        .min()
}

fn skip_ws(bytes: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = bytes.get(p) {
        p += 1;
    }
    p
}

fn skip_bom_ws(bytes: &[u8], p: usize) -> usize {
    let p = if bytes.get(p..p + 3) == Some(&[0xEF, 0xBB, 0xBF][..]) {
        p + 3
    } else {
        p
    };
    skip_ws(bytes, p)
}

fn prev_non_ws(bytes: &[u8], q: usize) -> Option<u8> {
    bytes[..q]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .copied()
}
