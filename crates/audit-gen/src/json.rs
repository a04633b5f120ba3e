//! Hand-written JSON output in the exact API shapes.
//!
//! Writing text directly (instead of building a `serde_json::Value` tree)
//! keeps the wasm bundle small and lets the simulator stream a page of a
//! million-record entity without materialising the rest. Key order follows
//! the saved responses in the API docs.

use crate::model::{
    Associate, CustomerProfile, EntityType, Event, Record, StatusLogEntry, UserContext, UserDetails,
};
use crate::time::{iso_utc, iso_with_offset, ymd};
use core::fmt::Write as _;

/// Which response generation to write: the vocabulary's [`capillary_vocab::Generation`].
/// [`Shape::Current`] is `GET /api_gateway/v2/audits`: `{"data":[…],"pagination":{…}}`,
/// epoch-ms times, explicit nulls; [`Shape::Legacy`] is `GET /v2/auditLog/get`:
/// `{"entity":[…],"warnings":[],"errors":[],"success":true}`, ISO times, null keys omitted,
/// `Identifier`/`CommChannel` spellings.
pub use capillary_vocab::Generation as Shape;

/// The `pagination` object of a current-shape page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// `totalElements`: records matching the query, across all pages
    pub total_elements: u64,
    /// `totalPages`: `ceil(totalElements / limit)` (0 when nothing matches)
    pub total_pages: u64,
    /// `numberOfElements`: records on this page
    pub number_of_elements: u64,
    /// `number`: this page's zero-based index
    pub number: u64,
}

impl Pagination {
    /// Pagination for page `page` (zero-based) of `limit` records out of `total`.
    pub fn for_page(total: u64, limit: u64, page: u64) -> Self {
        let limit = limit.max(1);
        let start = page.saturating_mul(limit).min(total);
        Pagination {
            total_elements: total,
            total_pages: total.div_ceil(limit),
            number_of_elements: (total - start).min(limit),
            number: page,
        }
    }

    /// The index range of the records on this page within the full, sorted
    /// result (`start..end`), for a given `limit`.
    pub fn range(&self, limit: u64) -> core::ops::Range<u64> {
        let start = self
            .number
            .saturating_mul(limit.max(1))
            .min(self.total_elements);
        start..start + self.number_of_elements
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    // Fast path: generated values (ids, tokens, names) never need escaping.
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_str(out, s),
        None => out.push_str("null"),
    }
}

fn push_key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    push_str(out, key);
    out.push(':');
}

fn push_int(out: &mut String, v: i64) {
    let _ = write!(out, "{v}");
}

fn push_user_details(out: &mut String, d: &UserDetails) {
    let mut f = true;
    out.push('{');
    for (k, v) in [
        ("firstName", &d.first_name),
        ("lastName", &d.last_name),
        ("email", &d.email),
        ("mobile", &d.mobile),
        ("externalId", &d.external_id),
    ] {
        push_key(out, &mut f, k);
        push_str(out, v);
    }
    out.push('}');
}

fn push_user_context(out: &mut String, c: Option<&UserContext>) {
    let mut f = true;
    out.push('{');
    for (k, v) in [
        ("entityType", c.and_then(|c| c.entity_type.as_deref())),
        ("entityId", c.and_then(|c| c.entity_id.as_deref())),
        ("entitySource", c.and_then(|c| c.entity_source.as_deref())),
        (
            "entitySourceId",
            c.and_then(|c| c.entity_source_id.as_deref()),
        ),
    ] {
        push_key(out, &mut f, k);
        push_opt_str(out, v);
    }
    out.push('}');
}

fn push_event(out: &mut String, e: &Event, shape: Shape) {
    let mut f = true;
    out.push('{');
    push_key(out, &mut f, "eventType");
    push_str(out, e.kind.name_in(shape));
    push_key(out, &mut f, "updatedField");
    push_str(out, &e.updated_field);
    push_key(out, &mut f, "additionalFields");
    out.push('{');
    let mut af = true;
    // Legacy responses list currentValue before previousValue.
    let legacy_order = shape == Shape::Legacy;
    let mut write_pair = |out: &mut String, k: &str, v: &Option<String>| {
        push_key(out, &mut af, k);
        push_opt_str(out, v.as_deref());
    };
    if legacy_order {
        for (k, v) in e.additional.iter().filter(|(k, _)| *k == "currentValue") {
            write_pair(out, k, v);
        }
        for (k, v) in e.additional.iter().filter(|(k, _)| *k != "currentValue") {
            write_pair(out, k, v);
        }
    } else {
        for (k, v) in &e.additional {
            write_pair(out, k, v);
        }
    }
    out.push('}');
    match (&e.associate, shape) {
        (Associate::Null, Shape::Legacy) => {}
        (Associate::Null, Shape::Current) => {
            push_key(out, &mut f, "associateEntities");
            out.push_str("null");
        }
        (Associate::Unlinked, _) => {
            push_key(out, &mut f, "associateEntities");
            out.push_str(r#"[{"entityType":null,"entityId":null}]"#);
        }
        (Associate::Entities(list), _) => {
            push_key(out, &mut f, "associateEntities");
            out.push('[');
            for (i, (t, id)) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, r#"{{"entityType":"{}","entityId":{id}}}"#, t.as_str());
            }
            out.push(']');
        }
    }
    out.push('}');
}

/// Appends one record in the given shape. `include_user_context` mirrors the
/// `includeUserContext` query parameter: current shape writes
/// `userContextDetails: null` unless it is true (then an object, all-null
/// when the record has no context); legacy shape writes `{}` unless it is true.
pub fn push_record(out: &mut String, r: &Record, shape: Shape, include_user_context: bool) {
    let legacy = shape == Shape::Legacy;
    let mut f = true;
    out.push('{');
    if !(legacy && r.updated_by_user.is_none()) {
        push_key(out, &mut f, "updatedByUser");
        push_opt_str(out, r.updated_by_user.as_deref());
    }
    push_key(out, &mut f, "updatedBy");
    push_int(out, r.updated_by);
    push_key(out, &mut f, "orgId");
    push_int(out, r.org_id);
    push_key(out, &mut f, "entityType");
    push_str(out, r.entity_type.as_str());
    push_key(out, &mut f, "entityId");
    push_int(out, r.entity_id);
    push_key(out, &mut f, "createdOn");
    if legacy {
        push_str(out, &iso_utc(r.created_on));
    } else {
        push_int(out, r.created_on);
    }
    push_key(out, &mut f, "requestId");
    push_str(out, &r.request_id);
    match (&r.till, legacy) {
        (None, true) => {}
        (None, false) => {
            push_key(out, &mut f, "till");
            out.push_str("null");
        }
        (Some(t), _) => {
            push_key(out, &mut f, "till");
            out.push('{');
            let mut tf = true;
            push_key(out, &mut tf, "code");
            push_str(out, &t.code);
            push_key(out, &mut tf, "name");
            push_str(out, &t.name);
            out.push('}');
        }
    }
    match (&r.store, legacy) {
        (None, true) => {}
        (None, false) => {
            push_key(out, &mut f, "store");
            out.push_str("null");
        }
        (Some(s), _) => {
            push_key(out, &mut f, "store");
            out.push('{');
            let mut sf = true;
            for (k, v) in [
                ("code", &s.code),
                ("name", &s.name),
                ("externalId", &s.external_id),
                ("externalId1", &s.external_id1),
                ("externalId2", &s.external_id2),
            ] {
                push_key(out, &mut sf, k);
                push_str(out, v);
            }
            out.push('}');
        }
    }
    push_key(out, &mut f, "userContextDetails");
    match (include_user_context, legacy) {
        (false, false) => out.push_str("null"),
        (false, true) => out.push_str("{}"),
        (true, true) if r.user_context.is_none() => out.push_str("{}"),
        (true, _) => push_user_context(out, r.user_context.as_ref()),
    }
    for (key, details) in [
        ("victimUserDetails", &r.victim),
        ("survivorUserDetails", &r.survivor),
    ] {
        match details {
            Some(d) => {
                push_key(out, &mut f, key);
                push_user_details(out, d);
            }
            None if !legacy => {
                push_key(out, &mut f, key);
                out.push_str("null");
            }
            None => {}
        }
    }
    push_key(out, &mut f, "source");
    push_opt_str(out, r.source.as_deref());
    push_key(out, &mut f, "updatedByMode");
    push_str(out, &r.updated_by_mode);
    push_key(out, &mut f, "autoUpdateTime");
    if legacy {
        push_str(out, &iso_utc(r.auto_update_time));
    } else {
        push_int(out, r.auto_update_time);
    }
    push_key(out, &mut f, "events");
    out.push('[');
    for (i, e) in r.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_event(out, e, shape);
    }
    out.push_str("]}");
}

/// Incrementally writes one audit page: records (generated, or raw JSON text
/// of replayed records) are appended one at a time, then the envelope is
/// closed with [`PageWriter::finish`].
#[derive(Debug)]
pub struct PageWriter {
    out: String,
    shape: Shape,
    count: u64,
}

impl PageWriter {
    /// Starts a page of the given shape.
    pub fn new(shape: Shape) -> Self {
        let out = match shape {
            Shape::Current => String::from("{\"data\":["),
            Shape::Legacy => String::from("{\"entity\":["),
        };
        PageWriter {
            out,
            shape,
            count: 0,
        }
    }

    /// The shape being written.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    fn sep(&mut self) {
        if self.count > 0 {
            self.out.push(',');
        }
        self.count += 1;
    }

    /// Appends a generated record.
    pub fn push(&mut self, r: &Record, include_user_context: bool) {
        self.sep();
        push_record(&mut self.out, r, self.shape, include_user_context);
    }

    /// Appends an already-serialised record verbatim (the caller vouches it
    /// is one JSON value in this page's shape).
    pub fn push_raw(&mut self, json: &str) {
        self.sep();
        self.out.push_str(json);
    }

    /// Records appended so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True before any record was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Closes the envelope. Current shape writes `pagination` (the caller's,
    /// whose `number_of_elements` should equal [`PageWriter::len`]); legacy
    /// shape has no pagination object and ignores it.
    pub fn finish(mut self, pagination: &Pagination) -> Vec<u8> {
        match self.shape {
            Shape::Current => {
                let _ = write!(
                    self.out,
                    "],\"pagination\":{{\"totalElements\":{},\"totalPages\":{},\"numberOfElements\":{},\"number\":{}}}}}",
                    pagination.total_elements,
                    pagination.total_pages,
                    pagination.number_of_elements,
                    pagination.number
                );
            }
            Shape::Legacy => {
                self.out
                    .push_str("],\"warnings\":[],\"errors\":[],\"success\":true}");
            }
        }
        self.out.into_bytes()
    }
}

/// Body of a customer or card status log:
/// `{"data":[…],"warnings":[],"errors":[]}`.
pub fn status_log_body(entries: &[StatusLogEntry]) -> Vec<u8> {
    let mut out = String::from("{\"data\":[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut f = true;
        out.push('{');
        push_key(&mut out, &mut f, "createdByUser");
        push_str(&mut out, &e.created_by_user);
        push_key(&mut out, &mut f, "reason");
        push_str(&mut out, &e.reason);
        push_key(&mut out, &mut f, "createdBy");
        push_int(&mut out, e.created_by);
        push_key(&mut out, &mut f, "actions");
        out.push_str("[]");
        push_key(&mut out, &mut f, "autoUpdateTime");
        push_str(&mut out, &ymd(e.at, e.offset_min));
        push_key(&mut out, &mut f, "createdOn");
        push_str(&mut out, &iso_with_offset(e.at, e.offset_min));
        push_key(&mut out, &mut f, "entityId");
        push_int(&mut out, e.entity_id);
        push_key(&mut out, &mut f, "isActive");
        out.push_str(if e.is_active { "true" } else { "false" });
        push_key(&mut out, &mut f, "label");
        push_str(&mut out, &e.label);
        push_key(&mut out, &mut f, "status");
        push_str(&mut out, &e.status);
        out.push('}');
    }
    out.push_str("],\"warnings\":[],\"errors\":[]}");
    out.into_bytes()
}

/// The API's error envelope:
/// `{"warnings":[],"errors":[{"status":false,"code":8015,"message":"…"}]}`.
pub fn error_body(code: i64, message: &str) -> Vec<u8> {
    let mut out = String::from("{\"warnings\":[],\"errors\":[{\"status\":false,\"code\":");
    push_int(&mut out, code);
    out.push_str(",\"message\":");
    push_str(&mut out, message);
    out.push_str("}]}");
    out.into_bytes()
}

/// Body of `GET /v2/customers/lookup/customerDetails` for a found customer.
///
/// The real response carries much more (loyalty, segments, extended
/// fields); this keeps the parts an audit reader needs: the internal `id`
/// (the audit `entityId`) and the profile's identifiers.
pub fn lookup_body(p: &CustomerProfile, source: &str) -> Vec<u8> {
    let mut out = String::from("{\"id\":");
    push_int(&mut out, p.id);
    out.push_str(",\"profiles\":[{\"firstName\":");
    push_str(&mut out, &p.first_name);
    out.push_str(",\"lastName\":");
    push_str(&mut out, &p.last_name);
    out.push_str(",\"source\":");
    push_str(&mut out, source);
    out.push_str(",\"identifiers\":[");
    let mut idents: Vec<(&str, &str)> = vec![
        ("mobile", &p.mobile),
        ("email", &p.email),
        ("externalId", &p.external_id),
    ];
    for c in &p.card_numbers {
        idents.push(("cardnumber", c));
    }
    for (i, (t, v)) in idents.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"type\":");
        push_str(&mut out, t);
        out.push_str(",\"value\":");
        push_str(&mut out, v);
        out.push('}');
    }
    out.push_str("]}],\"entityType\":");
    push_str(&mut out, EntityType::Customer.as_str());
    out.push_str(",\"warnings\":[],\"errors\":[]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_matches_documented_examples() {
        // The seed's second page: 51 records, limit 10, page 1.
        assert_eq!(
            Pagination::for_page(51, 10, 1),
            Pagination {
                total_elements: 51,
                total_pages: 6,
                number_of_elements: 10,
                number: 1
            }
        );
        let last = Pagination::for_page(51, 10, 5);
        assert_eq!(last.number_of_elements, 1);
        assert_eq!(last.range(10), 50..51);
        let past = Pagination::for_page(51, 10, 9);
        assert_eq!((past.number_of_elements, past.total_pages), (0, 6));
        assert_eq!(Pagination::for_page(0, 10, 0).total_pages, 0);
    }

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, r#""a\"b\\c\n\u0001é""#);
    }

    #[test]
    fn error_envelope_is_exact() {
        assert_eq!(
            String::from_utf8(error_body(
                8015,
                "Customer not found for the given identifiers"
            ))
            .unwrap(),
            r#"{"warnings":[],"errors":[{"status":false,"code":8015,"message":"Customer not found for the given identifiers"}]}"#
        );
    }
}
