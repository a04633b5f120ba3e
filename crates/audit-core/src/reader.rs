//! The page reader of the fused ingest ([`crate::Store::ingest_bytes`]): the
//! bytes of an audit page read straight into a *tape* of spans, from which the
//! store interns, with no owned intermediate record.
//!
//! Why a hand-written reader and not serde_json with a `DeserializeSeed`: the
//! store needs every string of a record before it interns any (a record seen
//! on an earlier page is recognised by its fingerprint and must add nothing),
//! and the visitors of [`crate::json`] pay for what the store never looks at
//! (UTF-8 checks per string, `String`s and `Value`s per member, a `Vec` per
//! object). This reader checks the page's UTF-8 once, finds the end of each
//! string eight bytes at a time, points at strings without escapes instead of
//! copying them, and reads numbers in the record's own slots without a
//! `Number`. serde_json still reads whatever is rare: strings with escapes,
//! numbers that are not plain `i64`s, nested containers inside an object
//! member, top-level members other than the records, and any record holding a
//! member outside the shapes below (a wrongly-typed member, a status-log
//! member, an escaped key): that record is re-read by the crate's visitors and
//! converted ([`Tape::push_audit`]), so it means exactly what
//! [`crate::parse_response`] makes of it.
//!
//! Two phases, so a page is ingested whole or not at all: the whole page is
//! read onto the tape first, and only a page read to its end goes to the
//! store. Anything the reader does not accept as serde_json would (a syntax
//! error, a BOM, nesting near serde_json's limit, a status log, a non-object
//! element) makes [`read_page`] give up, and the caller takes the page through
//! [`crate::parse_response`], which keeps damaged-page recovery and its
//! reports exactly as they were. The reader is stricter than serde_json, never
//! more lenient: the `fast_path_matches_the_owned_path` tests and the fuzz
//! targets compare the two paths on the same inputs.

use crate::audit::AuditRecord;
use crate::json::{Members, Shape};
use crate::parse::{DataShape, Entry, Parsed, ResponseShape, Top, ValueBytes};
use crate::time::{parse_time, TimeRaw, TimeValue};
use crate::value::Nullable;
use serde_json::Value;

/// `Text::start` bit: the text is in [`Tape::arena`], not in the page.
const IN_ARENA: u32 = 1 << 31;
/// [`TList::len`] markers.
pub(crate) const LIST_ABSENT: u32 = u32::MAX;
pub(crate) const LIST_NULL: u32 = u32::MAX - 1;
/// Instant of a time without one (the store's marker).
pub(crate) const NO_MS: i64 = i64::MIN;
/// Deepest nesting (containers around a value, the page's object included)
/// the reader accepts; serde_json fails at 128, and a value re-read on its
/// own by serde_json must not get more room than it had in the page.
const MAX_DEPTH: usize = 100;

/// Text of the page (a span of the input, which is valid UTF-8) or of the
/// tape's arena (strings that had escapes, numbers and JSON re-printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Text {
    start: u32,
    len: u32,
}

/// A member's value as the store keeps it: absent, null, or the text it
/// interns as a string, a number (as serde_json prints it) or other JSON.
/// `FromMs` is a time that was a JSON integer equal to its instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TVal {
    Absent,
    Null,
    Str(Text),
    Num(Text),
    Json(Text),
    FromMs,
}

/// A time member: its instant ([`NO_MS`] when it has none) and its raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TTime {
    pub ms: i64,
    pub raw: TVal,
}

/// An integer member: its value (0 when absent or null) and its decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TInt {
    pub n: i64,
    pub val: TVal,
}

/// A list in one of the tape's pools; `len` is [`LIST_ABSENT`] or
/// [`LIST_NULL`] for an absent or null member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TList {
    pub start: u32,
    pub len: u32,
}

impl TList {
    pub const ABSENT: TList = TList {
        start: 0,
        len: LIST_ABSENT,
    };
    pub const NULL: TList = TList {
        start: 0,
        len: LIST_NULL,
    };

    pub fn range(self) -> std::ops::Range<usize> {
        if self.len >= LIST_NULL {
            0..0
        } else {
            self.start as usize..self.start as usize + self.len as usize
        }
    }

    /// Present, possibly empty.
    pub fn is_present(self) -> bool {
        self.len < LIST_NULL
    }
}

/// One audit record on the tape (the members [`AuditRecord`] has slots for).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TRecord {
    pub updated_by_user: TVal,
    pub updated_by: TInt,
    pub org_id: TInt,
    pub entity_type: TVal,
    pub entity_id: TInt,
    pub created: TTime,
    pub request_id: TVal,
    /// Lists of [`Tape::pairs`].
    pub till: TList,
    pub store: TList,
    pub user_context: TList,
    pub victim: TList,
    pub survivor: TList,
    pub source: TVal,
    pub mode: TVal,
    pub auto: TTime,
    /// A list of [`Tape::events`].
    pub events: TList,
    /// Unknown members, in input order (a list of [`Tape::pairs`]).
    pub extras: TList,
}

impl TRecord {
    const EMPTY: TRecord = TRecord {
        updated_by_user: TVal::Absent,
        updated_by: TInt::ABSENT,
        org_id: TInt::ABSENT,
        entity_type: TVal::Absent,
        entity_id: TInt::ABSENT,
        created: TTime::ABSENT,
        request_id: TVal::Absent,
        till: TList::ABSENT,
        store: TList::ABSENT,
        user_context: TList::ABSENT,
        victim: TList::ABSENT,
        survivor: TList::ABSENT,
        source: TVal::Absent,
        mode: TVal::Absent,
        auto: TTime::ABSENT,
        events: TList::ABSENT,
        extras: TList { start: 0, len: 0 },
    };

    /// `autoUpdateTime`, else `createdOn` ([`AuditRecord::when`]).
    pub fn when(&self) -> i64 {
        if self.auto.ms != NO_MS {
            self.auto.ms
        } else {
            self.created.ms
        }
    }
}

impl TInt {
    const ABSENT: TInt = TInt {
        n: 0,
        val: TVal::Absent,
    };
}

impl TTime {
    const ABSENT: TTime = TTime {
        ms: NO_MS,
        raw: TVal::Absent,
    };
}

/// One event on the tape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TEvent {
    pub event_type: TVal,
    pub field: TVal,
    /// A list of [`Tape::pairs`].
    pub additional: TList,
    /// A list of [`Tape::objects`].
    pub associates: TList,
    /// A list of [`Tape::pairs`] (always present).
    pub extras: TList,
}

/// A page's records as spans, in pools that keep their capacity from page to
/// page (the store holds one tape and reuses it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tape {
    pub records: Vec<TRecord>,
    pub events: Vec<TEvent>,
    /// `(key, value)` members of objects (additional fields, till, store, …).
    pub pairs: Vec<(Text, TVal)>,
    /// Associate entities: each a list of `pairs`.
    pub objects: Vec<TList>,
    arena: String,
    /// Unknown members of the record and of the event being read, moved to
    /// `pairs` when it ends (members in between push their own pairs).
    record_extras: Vec<(Text, TVal)>,
    event_extras: Vec<(Text, TVal)>,
}

/// Lengths of a tape's pools, to take back a record the reader gave up on.
#[derive(Clone, Copy)]
struct Mark {
    events: usize,
    pairs: usize,
    objects: usize,
    arena: usize,
}

impl Tape {
    pub fn clear(&mut self) {
        self.records.clear();
        self.events.clear();
        self.pairs.clear();
        self.objects.clear();
        self.arena.clear();
    }

    /// Drops what the tape holds beyond a small page's worth, so one huge
    /// page does not keep its tape's room for good.
    pub fn trim(&mut self) {
        if self.arena.capacity() > 1 << 20 || self.pairs.capacity() > 1 << 16 {
            *self = Tape::default();
        }
    }

    /// The text `t` names (`page` is the input the tape was read from).
    #[inline]
    pub fn text<'t>(&'t self, page: &'t str, t: Text) -> &'t str {
        let start = (t.start & !IN_ARENA) as usize;
        let range = start..start + t.len as usize;
        let from = if t.start & IN_ARENA != 0 {
            &self.arena
        } else {
            page
        };
        from.get(range).unwrap_or("")
    }

    /// The text of a value; `None` for absent, null and [`TVal::FromMs`].
    #[inline]
    pub fn val_text<'t>(&'t self, page: &'t str, v: TVal) -> Option<&'t str> {
        match v {
            TVal::Str(t) | TVal::Num(t) | TVal::Json(t) => Some(self.text(page, t)),
            TVal::Absent | TVal::Null | TVal::FromMs => None,
        }
    }

    pub fn list_pairs(&self, l: TList) -> &[(Text, TVal)] {
        &self.pairs[l.range()]
    }

    fn mark(&self) -> Mark {
        Mark {
            events: self.events.len(),
            pairs: self.pairs.len(),
            objects: self.objects.len(),
            arena: self.arena.len(),
        }
    }

    fn rewind(&mut self, m: Mark) {
        self.events.truncate(m.events);
        self.pairs.truncate(m.pairs);
        self.objects.truncate(m.objects);
        self.arena.truncate(m.arena);
        self.record_extras.clear();
        self.event_extras.clear();
    }

    /// Moves the unknown members gathered for the record (or, with
    /// `event`, the event) just read to `pairs`, as one list.
    fn flush_extras(&mut self, event: bool) -> TList {
        let start = self.pairs.len() as u32;
        let extras = if event {
            &mut self.event_extras
        } else {
            &mut self.record_extras
        };
        self.pairs.extend_from_slice(extras);
        let len = extras.len() as u32;
        extras.clear();
        TList { start, len }
    }

    fn arena_text(&mut self, s: &str) -> Text {
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        Text {
            start: start | IN_ARENA,
            len: s.len() as u32,
        }
    }

    // ---- owned records onto the tape (`Store::ingest_page`, slow records) ----

    /// Puts an owned record on the tape, its strings copied into the arena:
    /// the one way records reach the store, whichever reader read them.
    pub fn push_audit(&mut self, r: &AuditRecord) {
        let events = match &r.events {
            Nullable::Absent => TList::ABSENT,
            Nullable::Null => TList::NULL,
            Nullable::Present(list) => {
                let mut evs = Vec::with_capacity(list.len());
                for e in list {
                    let associates = match &e.associate_entities {
                        Nullable::Absent => TList::ABSENT,
                        Nullable::Null => TList::NULL,
                        Nullable::Present(objects) => {
                            let lists: Vec<TList> =
                                objects.iter().map(|o| self.push_members(&o.0)).collect();
                            let start = self.objects.len() as u32;
                            self.objects.extend(lists);
                            TList {
                                start,
                                len: objects.len() as u32,
                            }
                        }
                    };
                    evs.push(TEvent {
                        event_type: self.owned_str(&e.event_type),
                        field: self.owned_str(&e.updated_field),
                        additional: self.owned_members(&e.additional_fields),
                        associates,
                        extras: self.push_members(&e.extras),
                    });
                }
                let start = self.events.len() as u32;
                self.events.extend(evs);
                TList {
                    start,
                    len: list.len() as u32,
                }
            }
        };
        let rec = TRecord {
            updated_by_user: self.owned_str(&r.updated_by_user),
            updated_by: self.owned_int(&r.updated_by),
            org_id: self.owned_int(&r.org_id),
            entity_type: self.owned_str(&r.entity_type),
            entity_id: self.owned_int(&r.entity_id),
            created: self.owned_time(&r.created_on),
            request_id: self.owned_str(&r.request_id),
            till: self.owned_members(&r.till),
            store: self.owned_members(&r.store),
            user_context: self.owned_members(&r.user_context),
            victim: self.owned_members(&r.victim),
            survivor: self.owned_members(&r.survivor),
            source: self.owned_str(&r.source),
            mode: self.owned_str(&r.updated_by_mode),
            auto: self.owned_time(&r.auto_update_time),
            events,
            extras: self.push_members(&r.extras),
        };
        self.records.push(rec);
    }

    fn owned_str(&mut self, s: &Nullable<String>) -> TVal {
        match s {
            Nullable::Absent => TVal::Absent,
            Nullable::Null => TVal::Null,
            Nullable::Present(s) => TVal::Str(self.arena_text(s)),
        }
    }

    fn owned_int(&mut self, n: &Nullable<i64>) -> TInt {
        match n {
            Nullable::Absent => TInt::ABSENT,
            Nullable::Null => TInt {
                n: 0,
                val: TVal::Null,
            },
            Nullable::Present(n) => TInt {
                n: *n,
                val: TVal::Num(self.arena_text(crate::store::decimal(*n, &mut [0; 20]))),
            },
        }
    }

    fn owned_time(&mut self, t: &Nullable<TimeValue>) -> TTime {
        match t {
            Nullable::Absent => TTime::ABSENT,
            Nullable::Null => TTime {
                ms: NO_MS,
                raw: TVal::Null,
            },
            Nullable::Present(t) => {
                let ms = t.utc_ms.unwrap_or(NO_MS);
                let raw = match &t.raw {
                    TimeRaw::Number(n) if n.as_i64() == t.utc_ms && ms != NO_MS => TVal::FromMs,
                    TimeRaw::Number(n) => TVal::Num(self.arena_text(&n.to_string())),
                    TimeRaw::Text(s) => TVal::Str(self.arena_text(s)),
                };
                TTime { ms, raw }
            }
        }
    }

    fn owned_members(&mut self, m: &Nullable<Members>) -> TList {
        match m {
            Nullable::Absent => TList::ABSENT,
            Nullable::Null => TList::NULL,
            Nullable::Present(m) => self.push_members(&m.0),
        }
    }

    fn push_members(&mut self, members: &[(String, Value)]) -> TList {
        let start = self.pairs.len() as u32;
        for (k, v) in members {
            let key = self.arena_text(k);
            let val = self.json_val(v);
            self.pairs.push((key, val));
        }
        TList {
            start,
            len: members.len() as u32,
        }
    }

    /// A JSON value as the store interns it: strings as they are, integers in
    /// decimal, other numbers and JSON as serde_json prints them.
    fn json_val(&mut self, v: &Value) -> TVal {
        match v {
            Value::Null => TVal::Null,
            Value::String(s) => TVal::Str(self.arena_text(s)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => TVal::Num(self.arena_text(crate::store::decimal(i, &mut [0; 20]))),
                None => TVal::Num(self.arena_text(&n.to_string())),
            },
            other => TVal::Json(self.arena_text(&other.to_string())),
        }
    }
}

/// Reads a whole audit page onto `tape` (cleared first). `None` when the page
/// is not one the reader takes (see the module docs): the caller then reads it
/// with [`crate::parse_response`].
pub(crate) fn read_page<'b>(bytes: &'b [u8], tape: &mut Tape) -> Option<(Parsed, &'b str)> {
    tape.clear();
    if bytes.len() >= IN_ARENA as usize {
        return None;
    }
    // One UTF-8 check for the whole page: every string is then a slice of it.
    let page = std::str::from_utf8(bytes).ok()?;
    let mut r = Reader {
        b: bytes,
        page,
        i: 0,
    };
    let mut top = Top::default();
    let mut legacy = false;
    let mut any_audit = false;
    r.ws();
    if r.peek() != Some(b'{') {
        return None;
    }
    r.i += 1;
    r.ws();
    if r.peek() == Some(b'}') {
        r.i += 1;
    } else {
        loop {
            r.ws();
            let key = r.plain_key().ok()?;
            r.ws();
            r.eat(b':').ok()?;
            r.ws();
            if matches!(key, b"data" | b"entity") && top.data.is_none() {
                legacy = key == b"entity";
                if r.peek() != Some(b'[') {
                    return None;
                }
                any_audit = r.records(tape)?;
                let key = if legacy { "entity" } else { "data" };
                top.data = Some((key.to_owned(), DataShape::List(Vec::new())));
            } else {
                let start = r.i;
                let end = match r.peek()? {
                    b'{' | b'[' => skip_container(bytes, start, 1)?,
                    b'"' => skip_string(bytes, start)?,
                    _ => r.scalar_end(),
                };
                let key = std::str::from_utf8(key).ok()?;
                top.member(key, ValueBytes(&bytes[start..end])).ok()?;
                r.i = end;
            }
            r.ws();
            match r.peek()? {
                b',' => r.i += 1,
                b'}' => {
                    r.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    r.ws();
    if r.i != bytes.len() {
        return None;
    }
    // Status logs and lists of neither kind are classified by the owned path.
    if !legacy && !any_audit && !tape.records.is_empty() {
        return None;
    }
    let mut parsed = top.into_parsed(bytes.len());
    if !tape.records.is_empty() {
        parsed.shape = if legacy {
            ResponseShape::LegacyAudits
        } else {
            ResponseShape::CurrentAudits
        };
    }
    Some((parsed, page))
}

/// The reader gave up on the record being read: it is re-read by serde_json.
struct Unusual;

type Step<T> = Result<T, Unusual>;

/// Keys of the record's typed members, by slot ([`record_slot`]); a slot
/// has one bit in the record's `seen` mask (a key seen twice makes the record
/// unusual: the owned path's last-one-wins rules apply).
#[cfg(test)]
const RECORD_KEYS: [&[u8]; 16] = [
    b"updatedByUser",
    b"updatedBy",
    b"orgId",
    b"entityType",
    b"entityId",
    b"createdOn",
    b"requestId",
    b"till",
    b"store",
    b"userContextDetails",
    b"victimUserDetails",
    b"survivorUserDetails",
    b"source",
    b"updatedByMode",
    b"autoUpdateTime",
    b"events",
];

/// Members a status-log entry has a slot for (`StatusEntry::read_member`):
/// a record holding one goes through the owned path, which keeps them.
const STATUS_KEYS: [&[u8]; 8] = [
    b"createdByUser",
    b"reason",
    b"createdBy",
    b"actions",
    b"autoUpdateTimeISO",
    b"isActive",
    b"label",
    b"status",
];

/// Keys of the event's typed members, by slot ([`event_slot`]).
#[cfg(test)]
const EVENT_KEYS: [&[u8]; 4] = [
    b"eventType",
    b"updatedField",
    b"additionalFields",
    b"associateEntities",
];

struct Reader<'a> {
    b: &'a [u8],
    /// `b` as text (checked once).
    page: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON whitespace (the API sends none; saved files are indented).
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Step<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Unusual)
        }
    }

    /// A key without escapes (at its opening quote), as raw bytes.
    #[inline(always)]
    fn plain_key(&mut self) -> Step<&'a [u8]> {
        if self.peek() != Some(b'"') {
            return Err(Unusual);
        }
        let start = self.i + 1;
        let stop = find_special(self.b, start);
        if self.b.get(stop) != Some(&b'"') {
            return Err(Unusual);
        }
        self.i = stop + 1;
        Ok(&self.b[start..stop])
    }

    /// The string at its opening quote: a span of the page, or (with escapes)
    /// its value as serde_json reads it, in the arena.
    #[inline(always)]
    fn string(&mut self, tape: &mut Tape) -> Step<Text> {
        let open = self.i;
        let start = open + 1;
        let stop = find_special(self.b, start);
        match self.b.get(stop) {
            Some(b'"') => {
                self.i = stop + 1;
                Ok(Text {
                    start: start as u32,
                    len: (stop - start) as u32,
                })
            }
            Some(b'\\') => {
                let end = skip_string(self.b, open).ok_or(Unusual)?;
                let s: String = serde_json::from_slice(&self.b[open..end]).map_err(|_| Unusual)?;
                self.i = end;
                Ok(tape.arena_text(&s))
            }
            _ => Err(Unusual),
        }
    }

    /// The end of the number or literal at the cursor (the bytes a number
    /// can hold; whatever follows must be a delimiter, which the caller checks).
    fn scalar_end(&self) -> usize {
        let mut j = self.i;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z') = self.b.get(j)
        {
            j += 1;
        }
        j
    }

    /// The number at the cursor if it is a plain `i64` as serde_json reads
    /// one (`-0` is a float there, leading zeros are invalid); its span.
    #[inline(always)]
    fn int(&mut self) -> Option<(i64, Text)> {
        let start = self.i;
        let b = self.b;
        let mut j = start;
        let negative = b.get(j) == Some(&b'-');
        if negative {
            j += 1;
        }
        let digits = j;
        let mut m: u64 = 0;
        while let Some(&d) = b.get(j) {
            if !d.is_ascii_digit() {
                break;
            }
            m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            j += 1;
        }
        let count = j - digits;
        if count == 0
            || count > 19
            || (b[digits] == b'0' && (count > 1 || negative))
            || matches!(b.get(j), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let n = if negative {
            if m > 1 << 63 {
                return None;
            }
            (m as i64).wrapping_neg()
        } else {
            i64::try_from(m).ok()?
        };
        self.i = j;
        Some((
            n,
            Text {
                start: start as u32,
                len: (j - start) as u32,
            },
        ))
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Step<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Unusual)
        }
    }

    /// Any member value of an open object (additional fields, till, …, and
    /// unknown members), at `depth` containers.
    fn any_value(&mut self, tape: &mut Tape, depth: usize) -> Step<TVal> {
        match self.peek() {
            Some(b'"') => Ok(TVal::Str(self.string(tape)?)),
            Some(b'n') => self.literal(b"null").map(|_| TVal::Null),
            Some(c @ (b't' | b'f')) => {
                let start = self.i;
                self.literal(if c == b't' { b"true" } else { b"false" })?;
                Ok(TVal::Json(Text {
                    start: start as u32,
                    len: (self.i - start) as u32,
                }))
            }
            Some(b'-' | b'0'..=b'9') => {
                if let Some((_, t)) = self.int() {
                    return Ok(TVal::Num(t));
                }
                // A float or a big number: as serde_json reads and prints it.
                let end = self.scalar_end();
                let v: Value = serde_json::from_slice(&self.b[self.i..end]).map_err(|_| Unusual)?;
                self.i = end;
                match v {
                    Value::Number(n) => Ok(TVal::Num(tape.arena_text(&n.to_string()))),
                    _ => Err(Unusual),
                }
            }
            Some(b'{' | b'[') => {
                let end = skip_container(self.b, self.i, depth).ok_or(Unusual)?;
                let v: Value = serde_json::from_slice(&self.b[self.i..end]).map_err(|_| Unusual)?;
                self.i = end;
                Ok(TVal::Json(tape.arena_text(&v.to_string())))
            }
            _ => Err(Unusual),
        }
    }

    /// A string member or null.
    #[inline(always)]
    fn str_or_null(&mut self, tape: &mut Tape) -> Step<TVal> {
        match self.peek() {
            Some(b'"') => Ok(TVal::Str(self.string(tape)?)),
            Some(b'n') => self.literal(b"null").map(|_| TVal::Null),
            _ => Err(Unusual),
        }
    }

    /// An `i64` member or null.
    #[inline(always)]
    fn int_or_null(&mut self) -> Step<TInt> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return Ok(TInt {
                n: 0,
                val: TVal::Null,
            });
        }
        let (n, t) = self.int().ok_or(Unusual)?;
        Ok(TInt {
            n,
            val: TVal::Num(t),
        })
    }

    /// A time member: epoch milliseconds, a string in any spelling, or null.
    #[inline(always)]
    fn time(&mut self, tape: &mut Tape, page: &str) -> Step<TTime> {
        match self.peek() {
            Some(b'"') => {
                let t = self.string(tape)?;
                Ok(TTime {
                    ms: parse_time(tape.text(page, t)).unwrap_or(NO_MS),
                    raw: TVal::Str(t),
                })
            }
            Some(b'n') => self.literal(b"null").map(|_| TTime {
                ms: NO_MS,
                raw: TVal::Null,
            }),
            _ => {
                let (n, t) = self.int().ok_or(Unusual)?;
                // As `TimeValue::from_number`: outside the years 1-9999 stays raw.
                Ok(
                    match (crate::time::MIN_UTC_MS..=crate::time::MAX_UTC_MS).contains(&n) {
                        true => TTime {
                            ms: n,
                            raw: TVal::FromMs,
                        },
                        false => TTime {
                            ms: NO_MS,
                            raw: TVal::Num(t),
                        },
                    },
                )
            }
        }
    }

    /// An object member (`{…}` of any members) or null, its pairs pushed.
    fn object_or_null(&mut self, tape: &mut Tape, depth: usize) -> Step<TList> {
        match self.peek() {
            Some(b'n') => self.literal(b"null").map(|_| TList::NULL),
            Some(b'{') => self.members(tape, depth),
            _ => Err(Unusual),
        }
    }

    /// Reads the object at its `{`: `member` reads each value (the cursor
    /// at it) given the key's span. No escapes in keys (the owned path reads
    /// those), any whitespace.
    #[inline(always)]
    fn object(&mut self, mut member: impl FnMut(&mut Self, Text) -> Step<()>) -> Step<()> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.plain_key()?;
            let key = Text {
                start: (self.i - 1 - key.len()) as u32,
                len: key.len() as u32,
            };
            self.ws();
            self.eat(b':')?;
            self.ws();
            member(self, key)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Unusual),
            }
        }
    }

    /// Reads the list at its `[` whose elements are all objects: `element`
    /// reads each (the cursor at its `{`).
    #[inline(always)]
    fn list_of_objects(&mut self, mut element: impl FnMut(&mut Self) -> Step<()>) -> Step<()> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'{') {
                return Err(Unusual);
            }
            element(self)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Unusual),
            }
        }
    }

    /// The members of the object at the cursor, pushed to `tape.pairs`.
    fn members(&mut self, tape: &mut Tape, depth: usize) -> Step<TList> {
        let start = tape.pairs.len() as u32;
        self.object(|r, key| {
            let v = r.any_value(tape, depth + 1)?;
            tape.pairs.push((key, v));
            Ok(())
        })?;
        Ok(TList {
            start,
            len: tape.pairs.len() as u32 - start,
        })
    }

    /// The key's bytes.
    #[inline(always)]
    fn key_bytes(&self, key: Text) -> &'a [u8] {
        let start = key.start as usize;
        &self.b[start..start + key.len as usize]
    }

    /// The records list at its `[`: each record read onto the tape, or
    /// re-read by serde_json when unusual. Whether any is an audit record;
    /// `None` when the list is not one the reader takes.
    fn records(&mut self, tape: &mut Tape) -> Option<bool> {
        let page = self.page;
        let mut any_audit = false;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Some(false);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'{') {
                return None;
            }
            let start = self.i;
            let mark = tape.mark();
            match self.record(tape, page) {
                Ok((rec, audit)) => {
                    tape.records.push(rec);
                    any_audit |= audit;
                }
                Err(Unusual) => {
                    tape.rewind(mark);
                    let end = skip_container(self.b, start, 2)?;
                    let Shape::Obj(entry) =
                        serde_json::from_slice::<Shape<Entry>>(&self.b[start..end]).ok()?
                    else {
                        return None;
                    };
                    any_audit |= entry.audit.looks_like_audit();
                    tape.push_audit(&entry.into_audit());
                    self.i = end;
                }
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(any_audit);
                }
                _ => return None,
            }
        }
    }

    /// One record at its `{` (depth 3: the page, the list, the record).
    fn record(&mut self, tape: &mut Tape, page: &str) -> Step<(TRecord, bool)> {
        const DEPTH: usize = 3;
        let mut r = TRecord::EMPTY;
        let mut seen = 0u32;
        tape.record_extras.clear();
        self.object(|this, key| {
            let k = this.key_bytes(key);
            match record_slot(k) {
                Some(slot) => {
                    if seen & 1 << slot != 0 {
                        return Err(Unusual);
                    }
                    seen |= 1 << slot;
                    match slot {
                        0 => r.updated_by_user = this.str_or_null(tape)?,
                        1 => r.updated_by = this.int_or_null()?,
                        2 => r.org_id = this.int_or_null()?,
                        3 => r.entity_type = this.str_or_null(tape)?,
                        4 => r.entity_id = this.int_or_null()?,
                        5 => r.created = this.time(tape, page)?,
                        6 => r.request_id = this.str_or_null(tape)?,
                        7 => r.till = this.object_or_null(tape, DEPTH)?,
                        8 => r.store = this.object_or_null(tape, DEPTH)?,
                        9 => r.user_context = this.object_or_null(tape, DEPTH)?,
                        10 => r.victim = this.object_or_null(tape, DEPTH)?,
                        11 => r.survivor = this.object_or_null(tape, DEPTH)?,
                        12 => r.source = this.str_or_null(tape)?,
                        13 => r.mode = this.str_or_null(tape)?,
                        14 => r.auto = this.time(tape, page)?,
                        _ => r.events = this.events(tape, DEPTH)?,
                    }
                }
                None if STATUS_KEYS.contains(&k) => return Err(Unusual),
                None => {
                    let v = this.any_value(tape, DEPTH)?;
                    tape.record_extras.push((key, v));
                }
            }
            Ok(())
        })?;
        r.extras = tape.flush_extras(false);
        // `AuditRecord::looks_like_audit`: events, request id, mode, updatedBy, user.
        let audit = seen & (1 << 15 | 1 << 6 | 1 << 13 | 1 << 1 | 1) != 0;
        Ok((r, audit))
    }

    /// `events`: a list of event objects, or null.
    fn events(&mut self, tape: &mut Tape, depth: usize) -> Step<TList> {
        match self.peek() {
            Some(b'n') => return self.literal(b"null").map(|_| TList::NULL),
            Some(b'[') => {}
            _ => return Err(Unusual),
        }
        let start = tape.events.len() as u32;
        self.list_of_objects(|r| {
            let e = r.event(tape, depth + 2)?;
            tape.events.push(e);
            Ok(())
        })?;
        Ok(TList {
            start,
            len: tape.events.len() as u32 - start,
        })
    }

    /// One event at its `{`, `depth` containers deep (itself included).
    fn event(&mut self, tape: &mut Tape, depth: usize) -> Step<TEvent> {
        let mut e = TEvent {
            event_type: TVal::Absent,
            field: TVal::Absent,
            additional: TList::ABSENT,
            associates: TList::ABSENT,
            extras: TList { start: 0, len: 0 },
        };
        let mut seen = 0u32;
        tape.event_extras.clear();
        self.object(|this, key| {
            let k = this.key_bytes(key);
            match event_slot(k) {
                Some(slot) => {
                    if seen & 1 << slot != 0 {
                        return Err(Unusual);
                    }
                    seen |= 1 << slot;
                    match slot {
                        0 => e.event_type = this.str_or_null(tape)?,
                        1 => e.field = this.str_or_null(tape)?,
                        2 => e.additional = this.object_or_null(tape, depth)?,
                        _ => e.associates = this.associates(tape, depth)?,
                    }
                }
                None => {
                    let v = this.any_value(tape, depth)?;
                    tape.event_extras.push((key, v));
                }
            }
            Ok(())
        })?;
        e.extras = tape.flush_extras(true);
        Ok(e)
    }

    /// `associateEntities`: a list of objects, or null. (A list holding
    /// anything else is kept verbatim by the owned path.)
    fn associates(&mut self, tape: &mut Tape, depth: usize) -> Step<TList> {
        match self.peek() {
            Some(b'n') => return self.literal(b"null").map(|_| TList::NULL),
            Some(b'[') => {}
            _ => return Err(Unusual),
        }
        // Each object's pairs go to `pairs` as read; their lists are
        // gathered here and pushed together, so the list is one slice.
        let mut lists: Vec<TList> = Vec::new();
        self.list_of_objects(|r| {
            lists.push(r.members(tape, depth + 2)?);
            Ok(())
        })?;
        let start = tape.objects.len() as u32;
        tape.objects.extend_from_slice(&lists);
        Ok(TList {
            start,
            len: lists.len() as u32,
        })
    }
}

/// The slot of a record key (a `match` on the bytes: the compiler switches
/// on the length, then compares constants; a linear search of a table was
/// ~5 % of reading a page).
#[inline(always)]
fn record_slot(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"updatedByUser" => 0,
        b"updatedBy" => 1,
        b"orgId" => 2,
        b"entityType" => 3,
        b"entityId" => 4,
        b"createdOn" => 5,
        b"requestId" => 6,
        b"till" => 7,
        b"store" => 8,
        b"userContextDetails" => 9,
        b"victimUserDetails" => 10,
        b"survivorUserDetails" => 11,
        b"source" => 12,
        b"updatedByMode" => 13,
        b"autoUpdateTime" => 14,
        b"events" => 15,
        _ => return None,
    })
}

/// The slot of an event key.
#[inline(always)]
fn event_slot(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"eventType" => 0,
        b"updatedField" => 1,
        b"additionalFields" => 2,
        b"associateEntities" => 3,
        _ => return None,
    })
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The first `"`, `\` or control character at or after `i` (or `b.len()`):
/// where a string ends or needs a closer look. Eight bytes at a time: in
/// each word, a byte that is zero after xor with `"` or `\`, or below 0x20,
/// sets its high bit; the lowest bit set is a true hit (a false one can only
/// sit above a true one, where a borrow ran into it).
#[inline(always)]
fn find_special(b: &[u8], i: usize) -> usize {
    let Some(rest) = b.get(i..) else {
        return b.len();
    };
    let mut words = rest.chunks_exact(8);
    let mut at = i;
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        let q = x ^ (ONES * u64::from(b'"'));
        let s = x ^ (ONES * u64::from(b'\\'));
        // `!x` once for all three: a byte with its high bit set is never special.
        let m = (q.wrapping_sub(ONES) | s.wrapping_sub(ONES) | x.wrapping_sub(ONES * 0x20))
            & !x
            & HIGHS;
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    for &c in words.remainder() {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return at;
        }
        at += 1;
    }
    b.len()
}

/// The offset just past the string opening at `open`, escapes stepped over
/// (serde_json checks them when it reads the string); `None` at a control
/// character or the end of input.
fn skip_string(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let s = find_special(b, i);
        match b.get(s)? {
            b'"' => return Some(s + 1),
            b'\\' => i = s + 2,
            _ => return None,
        }
    }
}

/// The offset just past the object or array opening at `start`, `depth`
/// containers deep around it; `None` when it nests deeper than
/// [`MAX_DEPTH`] or does not end. Brackets are only counted, not matched:
/// serde_json reads the span afterwards and refuses a wrong one.
fn skip_container(b: &[u8], start: usize, depth: usize) -> Option<usize> {
    let mut open = 0usize;
    let mut i = start;
    loop {
        match *b.get(i)? {
            b'{' | b'[' => {
                open += 1;
                if depth + open > MAX_DEPTH {
                    return None;
                }
            }
            b'}' | b']' => {
                open -= 1;
                if open == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                i = skip_string(b, i)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_slots_are_the_tables_positions() {
        for (i, k) in RECORD_KEYS.iter().enumerate() {
            assert_eq!(record_slot(k), Some(i));
        }
        for (i, k) in EVENT_KEYS.iter().enumerate() {
            assert_eq!(event_slot(k), Some(i));
        }
        assert_eq!(record_slot(b"eventType"), None);
        assert_eq!(event_slot(b"requestId"), None);
    }

    #[test]
    fn finds_the_first_special_byte_in_any_position() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut s: Vec<u8> = (0..len).map(|k| b"a\xc3\xa9~ !#}"[k % 8]).collect();
                    if at < len {
                        s[at] = special;
                        // Bytes above the hit may be anything, specials included.
                        if at + 1 < len {
                            s[at + 1] = 0x01;
                        }
                    }
                    assert_eq!(find_special(&s, 0), at.min(len), "{s:?}");
                }
            }
        }
        // Bytes that are close to the specials but are not.
        let near = b"#]!^ \x7f\xff\x80\xa2\xdc\x21\x23\x5b\x5d";
        assert_eq!(find_special(near, 0), near.len());
    }
}
