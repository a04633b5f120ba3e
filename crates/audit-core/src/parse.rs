//! Bytes in, typed records out: shape detection, the fast typed path, and
//! record-by-record recovery for damaged pages.
//!
//! Fast path: one `serde_json::from_slice` over the whole document with the
//! lenient visitors of [`crate::json`] (keys borrowed, no intermediate `Value`
//! tree for known members). Any JSON, however odd, is accepted there; only
//! invalid JSON falls to the slow path.
//!
//! Slow path: walks the top-level object member by member. The records array
//! is read one element at a time at the element's offset, so every intact
//! element survives. When an element fails, the reader resynchronises at the
//! next `{` that follows a `,` and parses as a whole record followed by `,` or
//! `]`; everything between is reported as one [`DamagedSpan`] with its byte
//! offset and the reason. A damaged top-level member is skipped to the next
//! top-level key (`data`, `entity`, `pagination`, …) followed by `:`;
//! consecutive damaged members make one span, like consecutive damaged
//! records. Resynchronising on "a parseable record" rather than on brace
//! counting is what survives the seed's curly quote (`“`), which flips a naive
//! scanner's idea of what is inside a string for the rest of the page.
//!
//! The slow path is linear in the input: whether a value is whole, and where
//! it ends or breaks, comes from the skimmer (`skim`), which reads a
//! value once and remembers the outcome of every container recovery may ask
//! about again (a record nested in a damaged one, a key inside a damaged
//! member); the top-level keys and the newlines are indexed once; serde_json
//! reads only what is kept. [`Parsed::recovery_work`] counts the bytes read.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::audit::AuditRecord;
use crate::json::{FromMap, Key, Members, Shape};
use crate::skim::{top_key_at, Outcome, Skimmer, Syntax};
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
    /// The reader's message in serde_json's words, e.g. "expected `,` or `}`
    /// at line 17 column 1"; the line and column are in the whole input.
    pub reason: String,
}

/// Most bytes damaged-page recovery reads per input byte: at most two skims
/// and one serde_json parse read a byte, plus the one-pass indexes.
pub const RECOVERY_READS_PER_BYTE: usize = 6;

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
    /// Bytes the damaged-page recovery read, counting a byte each time it was
    /// read again (0 when the input was valid JSON). Recovery reads each byte
    /// a bounded number of times, so this stays within
    /// [`Parsed::recovery_work_bound`] for any input.
    pub recovery_work: usize,
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
            recovery_work: 0,
        }
    }

    /// True when some of the input was skipped.
    pub fn is_damaged(&self) -> bool {
        !self.damaged.is_empty()
    }

    /// The most [`Parsed::recovery_work`] can be for this input:
    /// [`RECOVERY_READS_PER_BYTE`] reads per input byte, plus a little for
    /// tiny inputs. The tests and fuzz targets hold every input to it.
    pub fn recovery_work_bound(&self) -> usize {
        RECOVERY_READS_PER_BYTE * self.input_len + 64
    }
}

/// What one page said, besides its records: what [`crate::Store::ingest_bytes`]
/// returns beside its [`crate::IngestReport`], with everything a caller of
/// [`parse_response`] read from [`Parsed`] except the records themselves
/// (which the store now holds).
#[derive(Debug, Clone, PartialEq)]
pub struct PageSummary {
    pub shape: ResponseShape,
    pub pagination: Option<Pagination>,
    /// Entries of a non-empty `errors` array.
    pub api_errors: Vec<ApiError>,
    pub warnings: Vec<Value>,
    /// Legacy `success` flag.
    pub success: Option<bool>,
    /// Parts of a damaged page that were skipped, with offsets and reasons.
    pub damaged: Vec<DamagedSpan>,
    /// Top-level members this crate has no slot for.
    pub extras: Extras,
    /// Audit records the page held ([`Parsed::records`]`.len()`): those the
    /// store already had are counted too (the report says how many were new).
    pub records: usize,
    /// Events of those records.
    pub events: usize,
    /// Status-log entries the page held.
    pub status_entries: usize,
    /// Size of the input.
    pub input_len: usize,
    /// [`Parsed::recovery_work`] (0 unless the page was damaged).
    pub recovery_work: usize,
    /// True when the page went straight into the store; false when it was
    /// read by [`parse_response`] first (a damaged page, a status log, or a
    /// page outside what the fused reader takes). Both give the same store.
    pub fused: bool,
}

impl PageSummary {
    /// The summary of a page read by [`parse_response`].
    pub fn of(p: &Parsed) -> PageSummary {
        PageSummary {
            shape: p.shape.clone(),
            pagination: p.pagination.clone(),
            api_errors: p.api_errors.clone(),
            warnings: p.warnings.clone(),
            success: p.success,
            damaged: p.damaged.clone(),
            extras: p.extras.clone(),
            records: p.records.len(),
            events: p.records.iter().map(|r| r.events().len()).sum(),
            status_entries: p.status_entries.len(),
            input_len: p.input_len,
            recovery_work: p.recovery_work,
            fused: false,
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
pub(crate) struct Entry {
    pub(crate) audit: AuditRecord,
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

    pub(crate) fn into_audit(self) -> AuditRecord {
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
pub(crate) enum DataShape {
    List(Vec<Entry>),
    Other(Value),
}

/// The top-level object.
#[derive(Default)]
pub(crate) struct Top {
    pub(crate) data: Option<(String, DataShape)>,
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
                _ => t.member(&k, &mut map)?,
            }
        }
        Ok(t)
    }
}

/// Where a member's value is read from: the map being visited, or (in the
/// fused ingest's reader) the value's own bytes.
pub(crate) trait MemberValue<'de> {
    type Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, Self::Error>;
}

impl<'de, A: MapAccess<'de>> MemberValue<'de> for &mut A {
    type Error = A::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, A::Error> {
        self.next_value()
    }
}

/// A value's bytes, read by serde_json on their own.
pub(crate) struct ValueBytes<'de>(pub &'de [u8]);

impl<'de> MemberValue<'de> for ValueBytes<'de> {
    type Error = serde_json::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.0)
    }
}

impl Top {
    /// Reads a top-level member other than the records list (a later one of
    /// the same name replaces an earlier one; unknown ones are kept in order).
    pub(crate) fn member<'de, V: MemberValue<'de>>(
        &mut self,
        k: &str,
        v: V,
    ) -> Result<(), V::Error> {
        match k {
            "pagination" => self.pagination = Some(v.read()?),
            "warnings" => self.warnings = Some(v.read()?),
            "errors" => self.errors = Some(v.read()?),
            "success" => self.success = Some(v.read()?),
            _ => {
                let value = v.read()?;
                self.extras.push((k.to_owned(), value));
            }
        }
        Ok(())
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
    pub(crate) fn into_parsed(self, input_len: usize) -> Parsed {
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

/// One damaged-page recovery: the input, the skimmer that tells where whole
/// values are, and the indexes built once so that no question rescans the
/// rest of the input. Every part reads each byte a bounded number of times;
/// `work` counts the reads (see [`Parsed::recovery_work`]).
struct Recovery<'a> {
    bytes: &'a [u8],
    skim: Skimmer<'a>,
    /// Offsets of every top-level key spelling followed by `:`, ascending
    /// (built on first use).
    top_keys: Option<Vec<usize>>,
    /// Index in `top_keys` of the last answer.
    top_key_cursor: usize,
    /// Offsets of every `\n`, for line/column in messages (built on first use).
    newlines: Option<Vec<usize>>,
    /// Bytes read outside the skimmer: serde_json parses, index builds,
    /// candidate searches, whitespace skips.
    work: usize,
}

/// Why a value did not parse, turned into a message only for the first
/// failure of each damaged span.
enum Why {
    /// serde_json's own error (its message names the line and column in
    /// the value it read).
    Serde(serde_json::Error),
    /// A key that is not followed by `:`.
    NoColon,
    /// Nothing left to read.
    EndOfInput,
    /// The skimmer's verdict.
    Syntax(Syntax),
}

fn recover(bytes: &[u8], first_err: Option<serde_json::Error>) -> Parsed {
    let mut p = skip_bom_ws(bytes, 0);
    if bytes.get(p) != Some(&b'{') {
        let reason = match &first_err {
            Some(e) => format!("not valid JSON ({e})"),
            None => "the response is not an object".into(),
        };
        return Parsed::empty(bytes.len(), unrecognised(reason));
    }
    let mut r = Recovery::new(bytes);
    r.work = p;
    let mut top = Top::default();
    let mut damaged = Vec::new();
    // The span of the damaged member just before, which a damaged member
    // right after it extends (everything between two intact members is one
    // span, as between two intact records).
    let mut open_span: Option<usize> = None;
    p += 1;
    loop {
        p = r.skip_ws(p);
        match bytes.get(p) {
            None => break,
            Some(b'}') => break,
            Some(b',') => {
                p += 1;
                r.work += 1;
                continue;
            }
            _ => {}
        }
        let member_start = p;
        // On failure: where it broke, why, the key if it was read, and where
        // the next member may start.
        let failure = match r.read_key(p) {
            Err((eoff, why)) => Some((eoff, why, None, r.next_top_key(p + 1))),
            Ok((key, vstart)) => {
                let vstart = r.skip_ws(vstart);
                if (key == "data" || key == "entity")
                    && top.data.is_none()
                    && bytes.get(vstart) == Some(&b'[')
                {
                    let (entries, end) = r.recover_array(vstart, &mut damaged);
                    top.data = Some((key.into_owned(), DataShape::List(entries)));
                    open_span = None;
                    p = end;
                    continue;
                }
                // A member the skimmer finds whole is read by serde_json; a
                // damaged one is skipped to the next top-level key, which may lie
                // inside it (a `data` nested in a damaged member): the skimmer
                // kept that one's outcome, so it is not read again.
                let read = match r.skim.value_at(vstart) {
                    Outcome::Complete { .. } => r.parse_at::<Value>(vstart),
                    Outcome::Failed { at, syntax } => Err((at, Why::Syntax(syntax))),
                };
                match read {
                    Ok((v, end)) => {
                        let key = key.into_owned();
                        match key.as_str() {
                            "data" | "entity" if top.data.is_none() => {
                                top.data = Some((key, DataShape::Other(v)))
                            }
                            "pagination" => {
                                top.pagination = Some(match v {
                                    Value::Object(o) => {
                                        Shape::Obj(Members(o.into_iter().collect()))
                                    }
                                    Value::Null => Shape::Null,
                                    other => Shape::Other(other),
                                })
                            }
                            "warnings" => top.warnings = Some(v),
                            "errors" => top.errors = Some(v),
                            "success" => top.success = Some(v),
                            _ => top.extras.push((key, v)),
                        }
                        open_span = None;
                        p = end;
                        None
                    }
                    Err((eoff, why)) => Some((eoff, why, Some(key), r.next_top_key(vstart))),
                }
            }
        };
        let Some((eoff, why, key, next)) = failure else {
            continue;
        };
        let end = next.unwrap_or(bytes.len());
        match open_span {
            Some(k) => {
                let start = damaged[k].offset;
                damaged[k].len = r.span(start, end, 0, String::new()).len;
            }
            None => {
                let mut reason = r.describe(eoff, why);
                if let Some(key) = key {
                    reason = format!("member `{key}`: {reason}");
                }
                damaged.push(r.span(member_start, end, eoff, reason));
                open_span = Some(damaged.len() - 1);
            }
        }
        match next {
            Some(q) => p = q,
            None => break,
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
    parsed.recovery_work = r.work + r.skim.work;
    parsed
}

impl<'a> Recovery<'a> {
    fn new(bytes: &'a [u8]) -> Recovery<'a> {
        Recovery {
            bytes,
            skim: Skimmer::new(bytes),
            top_keys: None,
            top_key_cursor: 0,
            newlines: None,
            work: 0,
        }
    }

    /// Reads the records array starting at its `[`; returns the intact
    /// elements and the offset just past the array (or the end of input).
    fn recover_array(
        &mut self,
        open: usize,
        damaged: &mut Vec<DamagedSpan>,
    ) -> (Vec<Entry>, usize) {
        let bytes = self.bytes;
        let mut entries = Vec::new();
        let mut p = open + 1;
        loop {
            p = self.skip_ws(p);
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
                    self.work += 1;
                    continue;
                }
                _ => {}
            }
            let read = match self.skim.value_at(p) {
                Outcome::Complete { .. } => self.parse_at::<Shape<Entry>>(p),
                Outcome::Failed { at, syntax } => Err((at, Why::Syntax(syntax))),
            };
            match read {
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
                    damaged.push(self.span(
                        p,
                        end,
                        p,
                        format!("list element is {what}, not a record"),
                    ));
                    p = end;
                }
                Err((eoff, why)) => match self.resync(p + 1) {
                    Some((q, e, end)) => {
                        let reason = self.describe(eoff, why);
                        damaged.push(self.span(p, q, eoff, reason));
                        entries.push(e);
                        p = end;
                    }
                    None => {
                        // No intact record follows: skip to the list's end if a
                        // later top-level member shows where it is.
                        let stop = self.next_top_key(eoff.max(p + 1)).and_then(|k| {
                            self.work += k - p;
                            memchr::memrchr(b']', &bytes[p..k]).map(|i| p + i)
                        });
                        let reason = self.describe(eoff, why);
                        match stop {
                            Some(close) => {
                                damaged.push(self.span(p, close, eoff, reason));
                                return (entries, close + 1);
                            }
                            None => {
                                damaged.push(self.span(p, bytes.len(), eoff, reason));
                                return (entries, bytes.len());
                            }
                        }
                    }
                },
            }
        }
    }

    /// Finds the next intact record after a damaged one: the first `{` at or
    /// after `from` that follows a `,` and that serde_json would read as a
    /// record-like object followed by `,` or `]`. The skimmer judges each
    /// candidate (most from what an earlier skim kept); serde_json reads
    /// only the one accepted.
    fn resync(&mut self, from: usize) -> Option<(usize, Entry, usize)> {
        let bytes = self.bytes;
        let mut at = from;
        while let Some(i) = memchr::memchr(b'{', bytes.get(at..)?) {
            let q = at + i;
            self.work += i + 1;
            at = q + 1;
            if self.prev_non_ws(q) != Some(b',') {
                continue;
            }
            let Outcome::Complete {
                end,
                record_like: true,
            } = self.skim.value_at(q)
            else {
                continue;
            };
            let after = self.skip_ws(end);
            if !matches!(bytes.get(after), Some(b',') | Some(b']')) {
                continue;
            }
            match self.parse_at::<Shape<Entry>>(q) {
                Ok((Shape::Obj(e), end)) if e.looks_like_record() => return Some((q, e, end)),
                // The skimmer and serde_json disagree: go on after what serde_json
                // read, so a disagreement costs that one parse, not one per nested
                // candidate.
                Ok((_, stop)) | Err((stop, _)) => at = at.max(stop),
            }
        }
        self.work += bytes.len().saturating_sub(at);
        None
    }

    /// Parses one value at `at` with serde_json; on error returns the byte
    /// offset where the reader stopped and its error.
    fn parse_at<T: Deserialize<'a>>(&mut self, at: usize) -> Result<(T, usize), (usize, Why)> {
        let bytes = self.bytes;
        let Some(slice) = bytes.get(at..) else {
            return Err((bytes.len(), Why::EndOfInput));
        };
        let mut stream = serde_json::Deserializer::from_slice(slice).into_iter::<T>();
        let result = match stream.next() {
            Some(Ok(v)) => Ok((v, at + stream.byte_offset())),
            Some(Err(e)) => Err((at + offset_of(slice, e.line(), e.column()), Why::Serde(e))),
            None => Err((bytes.len(), Why::EndOfInput)),
        };
        let reached = match &result {
            Ok((_, end)) => *end,
            Err((stop, _)) => *stop + 1,
        };
        self.work += reached.min(bytes.len()).saturating_sub(at);
        result
    }

    /// The key of the member at `p` and the offset after its `:`. A key
    /// without escapes is borrowed from the input (a page of damaged members
    /// reads one per member); any other is read by serde_json.
    fn read_key(&mut self, p: usize) -> Result<(Cow<'a, str>, usize), (usize, Why)> {
        let bytes = self.bytes;
        let plain = (bytes.get(p) == Some(&b'"'))
            .then(|| memchr::memchr2(b'"', b'\\', &bytes[p + 1..]))
            .flatten()
            .map(|k| p + 1 + k)
            .filter(|&close| bytes[close] == b'"')
            .and_then(|close| {
                let raw = &bytes[p + 1..close];
                let text = std::str::from_utf8(raw).ok()?;
                (!raw.iter().any(|&c| c < 0x20)).then_some((Cow::Borrowed(text), close + 1))
            });
        let (key, end) = match plain {
            Some((key, end)) => {
                self.work += end - p;
                (key, end)
            }
            None => {
                let (key, end) = self.parse_at::<String>(p)?;
                (Cow::Owned(key), end)
            }
        };
        let colon = self.skip_ws(end);
        if bytes.get(colon) == Some(&b':') {
            Ok((key, colon + 1))
        } else {
            Err((colon, Why::NoColon))
        }
    }

    /// The message for a damaged span: serde_json's, or the skimmer's verdict
    /// in serde_json's words with the line and column in the whole input.
    fn describe(&mut self, at: usize, why: Why) -> String {
        match why {
            Why::Serde(e) => e.to_string(),
            Why::NoColon => "expected `:` after a key".into(),
            Why::EndOfInput => "unexpected end of input".into(),
            Why::Syntax(syntax) => {
                let bytes = self.bytes;
                let work = &mut self.work;
                let newlines = self.newlines.get_or_insert_with(|| {
                    *work += bytes.len();
                    memchr::memchr_iter(b'\n', bytes).collect()
                });
                let line = newlines.partition_point(|&nl| nl < at);
                let line_start = line.checked_sub(1).map_or(0, |k| newlines[k] + 1);
                format!(
                    "{} at line {} column {}",
                    syntax.message(),
                    line + 1,
                    at.saturating_sub(line_start) + 1
                )
            }
        }
    }

    /// The first top-level key spelling at or after `from` that a `:` follows.
    /// Questions come mostly in increasing order, so the search starts at the
    /// previous answer and gallops forward.
    fn next_top_key(&mut self, from: usize) -> Option<usize> {
        let bytes = self.bytes;
        let work = &mut self.work;
        let keys = self.top_keys.get_or_insert_with(|| {
            *work += bytes.len();
            top_key_offsets(bytes, work)
        });
        let mut lo = self.top_key_cursor.min(keys.len());
        if lo > 0 && keys[lo - 1] >= from {
            lo = 0;
        }
        let mut step = 1;
        let mut hi = lo;
        while hi < keys.len() && keys[hi] < from {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(keys.len());
        let i = lo + keys[lo..hi].partition_point(|&q| q < from);
        self.top_key_cursor = i;
        keys.get(i).copied()
    }

    fn skip_ws(&mut self, p: usize) -> usize {
        let q = skip_ws(self.bytes, p);
        self.work += q - p;
        q
    }

    fn prev_non_ws(&mut self, q: usize) -> Option<u8> {
        let before = &self.bytes[..q];
        let ws = before
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        self.work += ws;
        before.len().checked_sub(ws + 1).map(|k| before[k])
    }

    fn span(
        &mut self,
        start: usize,
        end: usize,
        error_offset: usize,
        reason: String,
    ) -> DamagedSpan {
        let bytes = self.bytes;
        // Leave the separating comma and whitespace out of the span.
        let mut e = end.min(bytes.len()).max(start);
        while e > start && matches!(bytes[e - 1], b' ' | b'\t' | b'\r' | b'\n' | b',') {
            e -= 1;
            self.work += 1;
        }
        DamagedSpan {
            offset: start,
            len: e - start,
            error_offset,
            reason,
        }
    }
}

/// Offsets of every `"data"`, `"entity"`, … (raw spelling) followed by
/// optional whitespace and `:`, ascending: one pass over the quotes.
fn top_key_offsets(bytes: &[u8], work: &mut usize) -> Vec<usize> {
    let mut out = Vec::new();
    for q in memchr::memchr_iter(b'"', bytes) {
        let Some(name) = top_key_at(&bytes[q + 1..]) else {
            continue;
        };
        let after = q + name.len() + 2;
        let colon = skip_ws(bytes, after);
        *work += colon - after;
        if bytes.get(colon) == Some(&b':') {
            out.push(q);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::tests::Rng;

    /// Fragments that make every kind of JSON, broken or not, when strung
    /// together: structure, record markers of the right and the wrong type,
    /// escapes and bad escapes, surrogates, control characters, numbers out of
    /// range and `-0`, the seed's curly quote, a stray backslash, invalid UTF-8.
    const FRAGMENTS: [&[u8]; 44] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b" ",
        b"\n",
        b"\"requestId\"",
        b"\"data\"",
        b"\"events\"",
        b"\"status\"",
        b"\"updatedBy\"",
        b"\"isActive\"",
        b"\"x\"",
        b"\"a\\\"b\"",
        b"\"\\u00e9\"",
        b"\"\\ud800\"",
        b"\"\\ud800\\udc00\"",
        b"\"\\udc00\"",
        b"\"\\q\"",
        b"\"\x01\"",
        b"\"\xff\"",
        b"\"r\"",
        b"1",
        b"-0",
        b"12.5e3",
        b"1e400",
        b"1e4000000000",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"00",
        b"null",
        b"true",
        b"fals",
        "\u{201c}".as_bytes(),
        b"\\",
        b"!",
        b"{\"requestId\":\"r\"}",
        b"{\"events\":[{}]}",
        b"{\"events\":[1]}",
        b"[[[[",
        b"]]]]",
        b"\"\\u00g0\"",
    ];

    fn soup(rng: &mut Rng) -> Vec<u8> {
        let mut b = Vec::new();
        for _ in 0..rng.below(40) {
            b.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        b
    }

    /// A JSON value of random shape, keys among the record markers and
    /// values of every type (so markers come with right and wrong types).
    fn value(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
        const KEYS: [&str; 14] = [
            "requestId",
            "updatedByMode",
            "updatedByUser",
            "createdByUser",
            "reason",
            "label",
            "status",
            "updatedBy",
            "createdBy",
            "isActive",
            "events",
            "data",
            "x",
            "request\\u0049d",
        ];
        const SCALARS: [&str; 12] = [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "7",
            "-3",
            "2.5",
            "9223372036854775807",
            "18446744073709551615",
            "\"s\"",
            "\"\\u00e9\"",
        ];
        match if depth == 0 { 2 } else { rng.below(5) } {
            0 => {
                out.push(b'{');
                for k in 0..rng.below(4) {
                    if k > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(
                        format!("\"{}\":", KEYS[rng.below(KEYS.len())]).as_bytes(),
                    );
                    value(rng, depth - 1, out);
                }
                out.push(b'}');
            }
            1 => {
                out.push(b'[');
                for k in 0..rng.below(4) {
                    if k > 0 {
                        out.push(b',');
                    }
                    value(rng, depth - 1, out);
                }
                out.push(b']');
            }
            _ => out.extend_from_slice(SCALARS[rng.below(SCALARS.len())].as_bytes()),
        }
    }

    /// A random value with up to three mutations from [`FRAGMENTS`].
    fn mutated_value(rng: &mut Rng) -> Vec<u8> {
        let mut b = Vec::new();
        value(rng, 4, &mut b);
        for _ in 0..rng.below(4) {
            let at = rng.below(b.len() + 1);
            match rng.below(3) {
                0 => {
                    let f = FRAGMENTS[rng.below(FRAGMENTS.len())];
                    b.splice(at..at, f.iter().copied());
                }
                1 if at < b.len() => {
                    b.remove(at);
                }
                _ => b.truncate(at.max(1)),
            }
        }
        b
    }

    /// The skimmer's verdict on the value at every offset of many broken
    /// inputs is serde_json's: whole or not, where it ends, where it stops,
    /// and, for an object, whether the record model calls it a record.
    #[test]
    fn skimmer_agrees_with_serde_json() {
        let mut rng = Rng(0x5eed_5c1e);
        let mut inputs: Vec<Vec<u8>> = (0..1500).map(|_| soup(&mut rng)).collect();
        inputs.extend((0..3000).map(|_| mutated_value(&mut rng)));
        // Deep nesting around serde_json's limit.
        for depth in [126, 127, 128, 129, 300] {
            inputs.push([b"[".repeat(depth), b"]".repeat(depth)].concat());
            inputs.push([b"{\"a\":".repeat(depth), b"1".to_vec(), b"}".repeat(depth)].concat());
        }
        let mut checked = 0;
        for bytes in &inputs {
            let mut skim = Skimmer::new(bytes);
            for at in 0..=bytes.len() {
                let got = skim.value_at(at);
                let mut r = Recovery::new(bytes);
                let what = String::from_utf8_lossy(&bytes[at..]);
                match (got, r.parse_at::<Shape<Entry>>(at)) {
                    (Outcome::Complete { end, record_like }, Ok((shape, stop))) => {
                        assert_eq!(end, stop, "{what:?}");
                        let record = matches!(&shape, Shape::Obj(e) if e.looks_like_record());
                        assert_eq!(record_like, record, "{what:?}");
                    }
                    (Outcome::Failed { at: stop, .. }, Err((serde_stop, _))) => {
                        assert_eq!(stop, serde_stop, "{what:?}");
                    }
                    (got, serde) => panic!(
                        "{what:?}: skimmer {got:?}, serde_json {:?}",
                        serde.map(|(_, end)| end).map_err(|(stop, _)| stop)
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 50_000, "{checked}");
    }
}
