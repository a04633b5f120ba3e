//! A validating JSON skimmer: what `serde_json` would make of the value at a
//! byte offset, found without building anything, and remembered for the
//! containers recovery may ask about again.
//!
//! Damaged-page recovery ([`crate::parse`]) has to ask "does a whole record
//! start here?" at many offsets, and most of them lie inside a value an
//! earlier question already read: a record nested in a damaged one, a
//! top-level key inside a damaged member. Asking `serde_json` each time reads
//! the same bytes again for every enclosing candidate, which is quadratic
//! (a 360 KB page of damaged members took 25 s in a browser tab). The skimmer
//! answers the same question in one forward pass per starting point and, for
//! every container it passes whose outcome recovery could ask about later (a
//! container after a `,`, the value of a top-level key), keeps the outcome:
//! a later question about a container an earlier skim read structurally costs
//! one map lookup. A new skim starts only where no earlier skim saw a
//! container, i.e. where earlier skims were inside a string or had stopped.
//! Two skims that overlap are then in opposite string states all along the
//! overlap (a quote toggles both; a backslash outside a string stops one), so
//! at most two skims read any byte, plus one more for a scalar asked about by
//! its own offset: linear in the input.
//!
//! It accepts exactly what `serde_json` (as this crate calls it) accepts:
//! the same grammar, whitespace, escapes and surrogate pairs, UTF-8 in
//! strings, numbers whose value is finite, the nesting limit of 127
//! containers, and no trailing characters after a bare number or literal.
//! Its error messages use serde_json's wording. Recovery still parses every
//! value it keeps with serde_json; a disagreement only costs that parse (the
//! parse module's `skimmer_agrees_with_serde_json` test compares the two).

/// serde_json fails on the 128th container nested in the value it parses.
const NESTING_LIMIT: usize = 128;

/// Why a value does not parse, in serde_json's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    EndOfInput,
    EofValue,
    EofList,
    EofObject,
    EofString,
    ExpectedValue,
    ExpectedIdent,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    KeyMustBeAString,
    TrailingComma,
    TrailingCharacters,
    InvalidNumber,
    NumberOutOfRange,
    InvalidEscape,
    ControlCharacter,
    InvalidUnicode,
    LoneSurrogate,
    EndOfHexEscape,
    RecursionLimit,
}

impl Syntax {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Syntax::EndOfInput => "unexpected end of input",
            Syntax::EofValue => "EOF while parsing a value",
            Syntax::EofList => "EOF while parsing a list",
            Syntax::EofObject => "EOF while parsing an object",
            Syntax::EofString => "EOF while parsing a string",
            Syntax::ExpectedValue => "expected value",
            Syntax::ExpectedIdent => "expected ident",
            Syntax::ExpectedColon => "expected `:`",
            Syntax::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Syntax::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Syntax::KeyMustBeAString => "key must be a string",
            Syntax::TrailingComma => "trailing comma",
            Syntax::TrailingCharacters => "trailing characters",
            Syntax::InvalidNumber => "invalid number",
            Syntax::NumberOutOfRange => "number out of range",
            Syntax::InvalidEscape => "invalid escape",
            Syntax::ControlCharacter => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            Syntax::InvalidUnicode => "invalid unicode code point",
            Syntax::LoneSurrogate => "lone leading surrogate in hex escape",
            Syntax::EndOfHexEscape => "unexpected end of hex escape",
            Syntax::RecursionLimit => "recursion limit exceeded",
        }
    }
}

/// What serde_json makes of the value starting at an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A whole value ending just before `end`. `record_like` for an object
    /// that [`crate::parse`]'s record model would call a record (see
    /// [`record_marker`]); always false for other values.
    Complete { end: usize, record_like: bool },
    /// serde_json stops at `at` (the offending byte, or the input's end).
    Failed { at: usize, syntax: Syntax },
}

/// The type a record-marking member must have to count (what the record
/// model's `read_member` accepts into its slot rather than keeping verbatim);
/// `null` always counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    String,
    Integer,
    Bool,
    ObjectList,
}

/// The members whose presence with the right type makes an object a record:
/// `AuditRecord::looks_like_audit` and `StatusEntry::looks_like_status`, as
/// `Entry::looks_like_record` combines them. Kept next to the skimmer because
/// it has to judge objects without building them; the parse tests check that
/// both agree.
pub(crate) fn record_marker(key: &[u8]) -> Option<Marker> {
    match key {
        b"requestId" | b"updatedByMode" | b"updatedByUser" | b"createdByUser" | b"reason"
        | b"label" | b"status" => Some(Marker::String),
        b"updatedBy" | b"createdBy" => Some(Marker::Integer),
        b"isActive" => Some(Marker::Bool),
        b"events" => Some(Marker::ObjectList),
        _ => None,
    }
}

/// Raw spellings of the top-level members recovery looks for; the values of
/// these keys are remembered by the skimmer.
const TOP_KEY_NAMES: [&[u8]; 6] = [
    b"data",
    b"entity",
    b"pagination",
    b"errors",
    b"warnings",
    b"success",
];

/// The top-level key name `raw` starts with, if any (`raw` is what follows a
/// quote; the name must be followed by the closing quote to count).
pub(crate) fn top_key_at(raw: &[u8]) -> Option<&'static [u8]> {
    let candidates: &[&'static [u8]] = match raw.first()? {
        b'd' => &TOP_KEY_NAMES[0..1],
        b'e' => &[TOP_KEY_NAMES[1], TOP_KEY_NAMES[3]],
        b'p' => &TOP_KEY_NAMES[2..3],
        b'w' => &TOP_KEY_NAMES[4..5],
        b's' => &TOP_KEY_NAMES[5..6],
        _ => return None,
    };
    candidates
        .iter()
        .copied()
        .find(|n| raw.starts_with(n) && raw.get(n.len()) == Some(&b'"'))
}

/// What a finished value was, for its parent's bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Integer,
    OtherNumber,
    String,
    Object,
    /// An array, and whether every element was an object.
    Array(bool),
}

fn satisfies(marker: Marker, kind: Kind) -> bool {
    matches!(
        (marker, kind),
        (_, Kind::Null)
            | (Marker::String, Kind::String)
            | (Marker::Integer, Kind::Integer)
            | (Marker::Bool, Kind::Bool)
            | (Marker::ObjectList, Kind::Array(true))
    )
}

/// An open container during a skim.
struct Frame {
    start: usize,
    object: bool,
    /// Keep its outcome for later questions.
    remember: bool,
    /// Where serde_json, starting at this container, would hit the nesting limit.
    too_deep_at: Option<usize>,
    record_like: bool,
    all_objects: bool,
    /// The marker of the member whose value is being read (objects).
    marker: Option<Marker>,
    /// The member being read has a top-level key's name (objects).
    top_key: bool,
}

/// What the skim expects next.
#[derive(Clone, Copy)]
enum Expect {
    Value,
    FirstKeyOrEnd,
    Key,
    Colon,
    ObjectCommaOrEnd,
    FirstElementOrEnd,
    ListCommaOrEnd,
}

/// Outcomes by offset, in one list per 32-byte slice of the input. Two
/// remembered containers stand at least two bytes apart (a `,` or `:` is
/// between them), and a skim root is one per offset, so a lookup reads a
/// bounded number of entries whatever the input: no hashing that a crafted
/// input could make collide, and no tree to walk.
struct OffsetMemo {
    /// Per slice, 1 + the index in `entries` of its latest entry (0: none).
    heads: Vec<u32>,
    /// `(offset, outcome, 1 + index of the slice's previous entry)`.
    entries: Vec<(usize, Outcome, u32)>,
}

const MEMO_SLICE: usize = 32;

impl OffsetMemo {
    fn get(&self, at: usize) -> Option<Outcome> {
        let mut k = *self.heads.get(at / MEMO_SLICE)?;
        while k != 0 {
            let (offset, outcome, previous) = self.entries[k as usize - 1];
            if offset == at {
                return Some(outcome);
            }
            k = previous;
        }
        None
    }

    fn insert(&mut self, input_len: usize, at: usize, outcome: Outcome) {
        if self.heads.is_empty() {
            self.heads = vec![0; input_len / MEMO_SLICE + 1];
        }
        let slice = at / MEMO_SLICE;
        let previous = self.heads[slice];
        self.entries.push((at, outcome, previous));
        self.heads[slice] = self.entries.len() as u32;
    }
}

pub(crate) struct Skimmer<'a> {
    bytes: &'a [u8],
    memo: OffsetMemo,
    /// Bytes read by all skims so far (a byte read by two skims counts twice).
    pub(crate) work: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a> Skimmer<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Skimmer<'a> {
        Skimmer {
            bytes,
            memo: OffsetMemo {
                heads: Vec::new(),
                entries: Vec::new(),
            },
            work: 0,
        }
    }

    /// What serde_json would make of the value at `at` (leading whitespace
    /// skipped, as a stream deserializer does).
    pub(crate) fn value_at(&mut self, at: usize) -> Outcome {
        let b = self.bytes;
        let mut start = at.min(b.len());
        while start < b.len() && is_ws(b[start]) {
            start += 1;
        }
        self.work += start - at.min(b.len());
        if let Some(o) = self.memo.get(start) {
            return o;
        }
        if start == b.len() {
            return Outcome::Failed {
                at: start,
                syntax: Syntax::EndOfInput,
            };
        }
        self.skim(start)
    }

    /// Reads the value starting at `start` (not whitespace, not the end).
    fn skim(&mut self, start: usize) -> Outcome {
        let b = self.bytes;
        let mut i = start;
        let mut stack: Vec<Frame> = Vec::new();
        let mut expect = Expect::Value;
        // The last significant byte read: a container after `,` is remembered.
        let mut last = 0u8;
        let outcome: Result<usize, (usize, Syntax)> = 'skim: loop {
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            let fail = |at: usize, syntax: Syntax| Err((at, syntax));
            let Some(&c) = b.get(i) else {
                let syntax = match expect {
                    Expect::Value | Expect::Key => Syntax::EofValue,
                    Expect::FirstElementOrEnd | Expect::ListCommaOrEnd => Syntax::EofList,
                    _ => Syntax::EofObject,
                };
                break 'skim fail(b.len(), syntax);
            };
            // A finished value of this kind, when this step ends one.
            let mut done: Option<Kind> = None;
            match expect {
                Expect::Value | Expect::FirstElementOrEnd => {
                    if matches!(expect, Expect::FirstElementOrEnd) && c == b']' {
                        done = Some(self.close(&mut stack, i));
                        i += 1;
                    } else {
                        match c {
                            b'{' | b'[' => {
                                let remember = stack.is_empty()
                                    || last == b','
                                    || stack.last().is_some_and(|f| f.top_key);
                                stack.push(Frame {
                                    start: i,
                                    object: c == b'{',
                                    remember,
                                    too_deep_at: None,
                                    record_like: false,
                                    all_objects: true,
                                    marker: None,
                                    top_key: false,
                                });
                                if stack.len() >= NESTING_LIMIT {
                                    let outer = stack.len() - NESTING_LIMIT;
                                    stack[outer].too_deep_at.get_or_insert(i);
                                }
                                expect = if c == b'{' {
                                    Expect::FirstKeyOrEnd
                                } else {
                                    Expect::FirstElementOrEnd
                                };
                                i += 1;
                            }
                            b'"' => match self.string_end(i) {
                                Ok(end) => {
                                    i = end;
                                    done = Some(Kind::String);
                                }
                                Err(e) => break 'skim Err(e),
                            },
                            b'-' | b'0'..=b'9' => match self.number_end(i) {
                                Ok((end, kind)) => {
                                    i = end;
                                    done = Some(kind);
                                }
                                Err(e) => break 'skim Err(e),
                            },
                            b't' | b'f' | b'n' => {
                                let word: &[u8] = match c {
                                    b't' => b"true",
                                    b'f' => b"false",
                                    _ => b"null",
                                };
                                let have = &b[i..(i + word.len()).min(b.len())];
                                if let Some(k) = have.iter().zip(word).position(|(x, y)| x != y) {
                                    break 'skim fail(i + k, Syntax::ExpectedIdent);
                                }
                                if have.len() < word.len() {
                                    break 'skim fail(b.len(), Syntax::EofValue);
                                }
                                i += word.len();
                                done = Some(if c == b'n' { Kind::Null } else { Kind::Bool });
                            }
                            _ => break 'skim fail(i, Syntax::ExpectedValue),
                        }
                    }
                }
                Expect::FirstKeyOrEnd | Expect::Key => match c {
                    b'"' => {
                        let end = match self.string_end(i) {
                            Ok(end) => end,
                            Err(e) => break 'skim Err(e),
                        };
                        let raw = &b[i + 1..end - 1];
                        // Escapes are rare in keys: only then is the key decoded.
                        let marker = if raw.contains(&b'\\') {
                            serde_json::from_slice::<String>(&b[i..end])
                                .ok()
                                .and_then(|k| record_marker(k.as_bytes()))
                        } else {
                            record_marker(raw)
                        };
                        if let Some(f) = stack.last_mut() {
                            f.marker = marker;
                            // `raw` and its closing quote.
                            f.top_key =
                                top_key_at(&b[i + 1..end]).is_some_and(|n| n.len() == raw.len());
                        }
                        i = end;
                        expect = Expect::Colon;
                    }
                    b'}' if matches!(expect, Expect::FirstKeyOrEnd) => {
                        done = Some(self.close(&mut stack, i));
                        i += 1;
                    }
                    b'}' => break 'skim fail(i, Syntax::TrailingComma),
                    _ => break 'skim fail(i, Syntax::KeyMustBeAString),
                },
                Expect::Colon => {
                    if c != b':' {
                        break 'skim fail(i, Syntax::ExpectedColon);
                    }
                    i += 1;
                    expect = Expect::Value;
                }
                Expect::ObjectCommaOrEnd | Expect::ListCommaOrEnd => {
                    let object = matches!(expect, Expect::ObjectCommaOrEnd);
                    match c {
                        b',' => {
                            i += 1;
                            expect = if object { Expect::Key } else { Expect::Value };
                            if !object {
                                // `[1,]`: serde_json names the trailing comma.
                                let mut j = i;
                                while j < b.len() && is_ws(b[j]) {
                                    j += 1;
                                }
                                if b.get(j) == Some(&b']') {
                                    break 'skim fail(j, Syntax::TrailingComma);
                                }
                            }
                        }
                        b'}' if object => {
                            done = Some(self.close(&mut stack, i));
                            i += 1;
                        }
                        b']' if !object => {
                            done = Some(self.close(&mut stack, i));
                            i += 1;
                        }
                        _ if object => break 'skim fail(i, Syntax::ExpectedObjectCommaOrEnd),
                        _ => break 'skim fail(i, Syntax::ExpectedListCommaOrEnd),
                    }
                }
            }
            last = b[i - 1];
            if let Some(kind) = done {
                match stack.last_mut() {
                    None => {
                        // The root value is whole. A bare number or literal must
                        // be followed by a delimiter, as serde_json's stream checks.
                        let bare = !matches!(b[start], b'"' | b'{' | b'[');
                        if bare
                            && b.get(i)
                                .is_some_and(|&x| !is_ws(x) && !b"\"[]{},:".contains(&x))
                        {
                            break 'skim fail(i, Syntax::TrailingCharacters);
                        }
                        break 'skim Ok(i);
                    }
                    Some(f) if f.object => {
                        if f.marker.is_some_and(|m| satisfies(m, kind)) {
                            f.record_like = true;
                        }
                        f.marker = None;
                        f.top_key = false;
                        expect = Expect::ObjectCommaOrEnd;
                    }
                    Some(f) => {
                        f.all_objects &= kind == Kind::Object;
                        expect = Expect::ListCommaOrEnd;
                    }
                }
            }
        };
        match outcome {
            Ok(end) => {
                self.work += end - start;
                // A container root was kept by `close`; a scalar is no record.
                self.memo.get(start).unwrap_or(Outcome::Complete {
                    end,
                    record_like: false,
                })
            }
            Err((at, syntax)) => {
                self.work += at.max(i).min(b.len()) - start + 1;
                let at = serde_position(b, at);
                // Every open container fails with it, unless serde_json, starting
                // there, would have hit the nesting limit first.
                for f in stack.iter().rev() {
                    let o = match f.too_deep_at {
                        Some(d) if d < at => Outcome::Failed {
                            at: d,
                            syntax: Syntax::RecursionLimit,
                        },
                        _ => Outcome::Failed { at, syntax },
                    };
                    if f.remember {
                        self.memo.insert(b.len(), f.start, o);
                    }
                }
                self.memo
                    .get(start)
                    .unwrap_or(Outcome::Failed { at, syntax })
            }
        }
    }

    /// Pops the container closed at `at`, keeps its outcome if asked to, and
    /// says what it was.
    fn close(&mut self, stack: &mut Vec<Frame>, at: usize) -> Kind {
        let Some(f) = stack.pop() else {
            return Kind::Null;
        };
        let outcome = match f.too_deep_at {
            Some(d) => Outcome::Failed {
                at: d,
                syntax: Syntax::RecursionLimit,
            },
            None => Outcome::Complete {
                end: at + 1,
                record_like: f.object && f.record_like,
            },
        };
        if f.remember {
            self.memo.insert(self.bytes.len(), f.start, outcome);
        }
        if f.object {
            Kind::Object
        } else {
            Kind::Array(f.all_objects)
        }
    }

    /// The offset just past the string opening at `open`, checking escapes,
    /// surrogate pairs, control characters and UTF-8 as serde_json does.
    fn string_end(&self, open: usize) -> Result<usize, (usize, Syntax)> {
        let b = self.bytes;
        let mut i = open + 1;
        loop {
            let rest = &b[i..];
            let stop = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|k| i + k);
            // serde_json names a control character or the end first, and checks
            // UTF-8 when it reaches the quote or backslash that ends the run.
            let Some(s) = stop else {
                return Err((b.len(), Syntax::EofString));
            };
            if b[s] < 0x20 {
                return Err((s, Syntax::ControlCharacter));
            }
            if let Err(e) = std::str::from_utf8(&b[i..s]) {
                return Err((i + e.valid_up_to(), Syntax::InvalidUnicode));
            }
            match b[s] {
                b'"' => return Ok(s + 1),
                _ => i = self.escape_end(s)?,
            }
        }
    }

    /// The offset just past the escape at `backslash` (a `\u` high surrogate
    /// takes its low surrogate along).
    fn escape_end(&self, backslash: usize) -> Result<usize, (usize, Syntax)> {
        let b = self.bytes;
        let Some(&c) = b.get(backslash + 1) else {
            return Err((b.len(), Syntax::EofString));
        };
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(backslash + 2),
            b'u' => {
                let unit = self.hex4(backslash + 2)?;
                match unit {
                    0xD800..=0xDBFF => {
                        let next = backslash + 6;
                        if next >= b.len() {
                            return Err((b.len(), Syntax::EofString));
                        }
                        if b[next] != b'\\' {
                            return Err((next, Syntax::EndOfHexEscape));
                        }
                        if b.get(next + 1) != Some(&b'u') {
                            return Err((next + 1, Syntax::EndOfHexEscape));
                        }
                        let low = self.hex4(next + 2)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err((next + 5, Syntax::LoneSurrogate));
                        }
                        Ok(next + 6)
                    }
                    0xDC00..=0xDFFF => Err((backslash + 5, Syntax::LoneSurrogate)),
                    _ => Ok(backslash + 6),
                }
            }
            _ => Err((backslash + 1, Syntax::InvalidEscape)),
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, (usize, Syntax)> {
        let b = self.bytes;
        let Some(digits) = b.get(at..at + 4) else {
            return Err((b.len(), Syntax::EofString));
        };
        let mut v = 0u32;
        for &d in digits {
            let Some(x) = (d as char).to_digit(16) else {
                // serde_json reads all four before it says so.
                return Err((at + 3, Syntax::InvalidEscape));
            };
            v = v * 16 + x;
        }
        Ok(v)
    }

    /// The offset just past the number at `start`, and whether serde_json
    /// reads it as an `i64`: the JSON grammar, and a finite value.
    fn number_end(&self, start: usize) -> Result<(usize, Kind), (usize, Syntax)> {
        let b = self.bytes;
        let digits_from = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = start;
        let negative = b[i] == b'-';
        if negative {
            i += 1;
        }
        let int_start = i;
        match b.get(i) {
            None => return Err((b.len(), Syntax::EofValue)),
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err((i, Syntax::InvalidNumber));
                }
            }
            Some(b'1'..=b'9') => i = digits_from(i),
            Some(_) => return Err((i, Syntax::InvalidNumber)),
        }
        let int_end = i;
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            match b.get(i) {
                None => return Err((b.len(), Syntax::EofValue)),
                Some(d) if d.is_ascii_digit() => i = digits_from(i),
                Some(_) => return Err((i, Syntax::InvalidNumber)),
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            integer = false;
            i += 1;
            let positive_exponent = b.get(i) != Some(&b'-');
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            match b.get(i) {
                None => return Err((b.len(), Syntax::EofValue)),
                Some(d) if d.is_ascii_digit() => {}
                Some(_) => return Err((i, Syntax::InvalidNumber)),
            }
            // serde_json stops at the digit that takes the exponent past i32
            // when the number is then certainly infinite.
            let exp_start = i;
            i = digits_from(i);
            let nonzero = b[int_start..exp_start]
                .iter()
                .any(|d| (b'1'..=b'9').contains(d));
            if positive_exponent && nonzero {
                let mut exp: i32 = 0;
                for (k, &d) in b[exp_start..i].iter().enumerate() {
                    let digit = i32::from(d - b'0');
                    match exp.checked_mul(10).and_then(|e| e.checked_add(digit)) {
                        Some(e) => exp = e,
                        None => return Err((exp_start + k, Syntax::NumberOutOfRange)),
                    }
                }
            }
        }
        // ASCII by construction.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or("0");
        if integer {
            let magnitude = std::str::from_utf8(&b[int_start..int_end])
                .ok()
                .and_then(|d| d.parse::<u64>().ok());
            // serde_json reads -0 as the float -0.0.
            let fits = match magnitude {
                Some(0) if negative => false,
                Some(m) if negative => m <= 1 << 63,
                Some(m) => m <= i64::MAX as u64,
                None => false,
            };
            if fits {
                return Ok((i, Kind::Integer));
            }
            if magnitude.is_some() {
                // A u64 beyond i64: a number, not an i64.
                return Ok((i, Kind::OtherNumber));
            }
        }
        if text.parse::<f64>().map_or(true, |f| f.is_infinite()) {
            return Err((i - 1, Syntax::NumberOutOfRange));
        }
        Ok((i, Kind::OtherNumber))
    }
}

/// Where serde_json's line and column put an error at `at`, as a byte offset:
/// they name the last byte read (at the input's end, the last byte), and a
/// newline read last counts as the start of the next line.
fn serde_position(b: &[u8], at: usize) -> usize {
    let at = at.min(b.len().saturating_sub(1));
    if b.get(at) == Some(&b'\n') {
        at + 1
    } else {
        at
    }
}
