//! The support agent's query language, and keystroke-speed evaluation.
//!
//! Syntax (documented for users in the crate README):
//! free words and `"quoted phrases"` match any visible value; qualifiers
//! `type:`, `field:`, `source:`, `mode:`, `user:`, `request:`, `value:`,
//! `before:`, `after:`; `-` negates any term; all terms must hold (AND);
//! matching is case-insensitive substring.
//!
//! Speed: a term is first matched against the *distinct* strings, giving a
//! bitset of string ids: a one-byte needle from the strings' byte-class
//! signatures alone, a longer one by searching only the strings whose
//! signature holds all its bytes (or only the previous term's hits when the new
//! term extends it); see the `strings` module. Events are then tested by id
//! lookups, one pass per clause with a loop of its own, cheapest clauses first
//! and, for free text, the event's own type and field before its record.
//! Facet-like qualifiers match the small facet tables. When a query only adds
//! to the previous one (typing more letters, adding a term), [`Search`] filters
//! the previous result instead of the whole store.

use std::ops::Range;
use std::rc::Rc;

use crate::audit::EventKind;
use crate::store::{EventId, EventRow, Store};
use crate::strings::BitSet;
use crate::time::{parse_time, UtcMillis};

/// A malformed query: which bytes of the query text and why.
///
/// The span is in bytes because that is what slicing the text needs, and a
/// character count used as a byte index panics on the first non-ASCII letter
/// (`राम -`). Callers should not slice with it themselves: [`QueryError::marked`],
/// [`QueryError::caret_line`] and [`QueryError::column`] render it against any
/// text, including a newer one the span was not computed on (they clamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Byte range of the query text the error is about. Both ends are on char
    /// boundaries of the parsed text; the range is empty where something is
    /// missing (`field:` at the end: the empty range after the colon).
    pub span: Range<usize>,
    pub message: String,
}

impl QueryError {
    /// The span clamped to `text`: both ends within it, on char boundaries,
    /// `start <= end`. A span from an older text still gives a valid range.
    pub fn span_in(&self, text: &str) -> Range<usize> {
        let start = floor_char_boundary(text, self.span.start);
        let end = floor_char_boundary(text, self.span.end).max(start);
        start..end
    }

    /// 1-based character column where the span starts, for "Query error at
    /// position N" (`tpye:identifier` gives 1, `é before:soon` gives 10).
    pub fn column(&self, text: &str) -> usize {
        text[..self.span_in(text).start].chars().count() + 1
    }

    /// `text` cut in three around the span: before, the span itself, after
    /// (for the UI to highlight the span). Never panics.
    pub fn marked<'t>(&self, text: &'t str) -> (&'t str, &'t str, &'t str) {
        let r = self.span_in(text);
        (&text[..r.start], &text[r.clone()], &text[r.end..])
    }

    /// A line to print under `text`: one space per character before the span,
    /// then one `^` per character of the span (at least one, so a missing value
    /// still gets a caret). Characters, not display columns: a combining mark or
    /// a wide emoji shifts the caret by its count.
    pub fn caret_line(&self, text: &str) -> String {
        let (before, marked, _) = self.marked(text);
        let mut line = " ".repeat(before.chars().count());
        line.push_str(&"^".repeat(marked.chars().count().max(1)));
        line
    }
}

/// The largest char boundary of `text` at or below `i` (`text.len()` when `i`
/// is beyond it).
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Without the text only bytes are known; [`QueryError::column`] gives
        // the character column for people.
        write!(
            f,
            "{} (query bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for QueryError {}

/// A point in time in `before:`/`after:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    At(UtcMillis),
    /// Relative (`7d`): that many milliseconds before "now", which the caller passes in.
    Ago(i64),
}

impl TimeBound {
    fn resolve(self, now: UtcMillis) -> UtcMillis {
        match self {
            TimeBound::At(t) => t,
            TimeBound::Ago(d) => now.saturating_sub(d),
        }
    }
}

/// What one term tests. Needles are lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Text(String),
    Type(String),
    Field(String),
    Source(String),
    Mode(String),
    User(String),
    Request(String),
    Value(String),
    Before(TimeBound),
    After(TimeBound),
}

/// One term with its negation and where it stands in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub term: Term,
    /// Byte range of the whole term in the query text, from its `-` (if any)
    /// to the end of its value (closing quote included).
    pub span: Range<usize>,
}

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub text: String,
    pub clauses: Vec<Clause>,
}

const QUALIFIERS: [&str; 9] = [
    "type", "field", "source", "mode", "user", "request", "value", "before", "after",
];

impl Query {
    /// Parses a query. Errors carry the byte span of the problem.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        // Walked by character; `at(i)` turns a character index into the byte
        // offset every span is given in.
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let at = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
        let ch = |i: usize| chars.get(i).map(|&(_, c)| c);
        let mut clauses = Vec::new();
        let mut i = 0;
        let err = |from: usize, to: usize, message: String| {
            Err(QueryError {
                span: at(from)..at(to),
                message,
            })
        };
        while i < chars.len() {
            if chars[i].1.is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            let negated = chars[i].1 == '-';
            if negated {
                i += 1;
                if ch(i).is_none_or(char::is_whitespace) {
                    return err(
                        start,
                        start + 1,
                        "`-` must be followed by a term to exclude".into(),
                    );
                }
            }
            // Qualifier name?
            let name_end = (i..chars.len())
                .find(|&j| !chars[j].1.is_ascii_alphabetic())
                .unwrap_or(chars.len());
            let mut qualifier = None;
            if name_end > i && ch(name_end) == Some(':') {
                let name = text[at(i)..at(name_end)].to_ascii_lowercase();
                if QUALIFIERS.contains(&name.as_str()) {
                    qualifier = Some(name);
                    i = name_end + 1;
                } else if chars[i..name_end]
                    .iter()
                    .all(|(_, c)| c.is_ascii_lowercase())
                    && name.len() <= 12
                {
                    return err(
                        i,
                        name_end + 1,
                        format!(
                            "unknown qualifier `{name}:` (known: {}); put the text in quotes to search for it",
                            QUALIFIERS.join(":, ") + ":"
                        ),
                    );
                }
            }
            let value_pos = i;
            let value: &str = if ch(i) == Some('"') {
                let close = (i + 1..chars.len()).find(|&j| chars[j].1 == '"');
                let Some(close) = close else {
                    return err(i, chars.len(), "unclosed quote".into());
                };
                let v = &text[at(i + 1)..at(close)];
                i = close + 1;
                v
            } else {
                let end = (i..chars.len())
                    .find(|&j| chars[j].1.is_whitespace())
                    .unwrap_or(chars.len());
                let v = &text[at(i)..at(end)];
                i = end;
                v
            };
            let needle = value.trim().to_lowercase();
            if needle.is_empty() {
                let what = qualifier
                    .as_deref()
                    .map_or("a quoted phrase".to_owned(), |q| format!("`{q}:`"));
                return err(value_pos, i, format!("{what} needs a value"));
            }
            let term = match qualifier.as_deref() {
                None => Term::Text(needle),
                Some("type") => Term::Type(needle),
                Some("field") => Term::Field(needle),
                Some("source") => Term::Source(needle),
                Some("mode") => Term::Mode(needle),
                Some("user") => Term::User(needle),
                Some("request") => Term::Request(needle),
                Some("value") => Term::Value(needle),
                Some(q) => {
                    let Some(b) = time_bound(&needle) else {
                        return err(
                            value_pos,
                            i,
                            format!("`{q}:` wants a date (2024-01-31, 2024-01-31 12:00:00, ISO) or an age (30m, 12h, 7d, 2w, 1y)"),
                        );
                    };
                    if q == "before" {
                        Term::Before(b)
                    } else {
                        Term::After(b)
                    }
                }
            };
            clauses.push(Clause {
                negated,
                term,
                span: at(start)..at(i),
            });
        }
        Ok(Query {
            text: text.to_owned(),
            clauses,
        })
    }

    /// True when every event matching `self` also matches `prev`, judged from
    /// the clauses: `prev`'s clauses are kept, except that the last one may have
    /// been typed further (a longer needle of a non-negated term), and more
    /// clauses may follow.
    pub fn narrows(&self, prev: &Query) -> bool {
        if prev.clauses.len() > self.clauses.len() {
            return false;
        }
        let n = prev.clauses.len();
        prev.clauses
            .iter()
            .zip(&self.clauses)
            .enumerate()
            .all(|(i, (a, b))| {
                a == b || (i + 1 == n && !a.negated && !b.negated && extends(&a.term, &b.term))
            })
    }

    fn has_relative_time(&self) -> bool {
        self.clauses.iter().any(|c| {
            matches!(
                c.term,
                Term::Before(TimeBound::Ago(_)) | Term::After(TimeBound::Ago(_))
            )
        })
    }
}

fn extends(a: &Term, b: &Term) -> bool {
    use Term::*;
    match (a, b) {
        (Text(x), Text(y))
        | (Type(x), Type(y))
        | (Field(x), Field(y))
        | (Source(x), Source(y))
        | (Mode(x), Mode(y))
        | (User(x), User(y))
        | (Request(x), Request(y))
        | (Value(x), Value(y)) => y.contains(x.as_str()),
        _ => false,
    }
}

fn time_bound(s: &str) -> Option<TimeBound> {
    let unit = s.chars().last()?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = digits.parse().ok()?;
        let ms = match unit {
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            'y' => 365 * 86_400_000,
            _ => return None,
        };
        return n.checked_mul(ms).map(TimeBound::Ago);
    }
    parse_time(s).map(TimeBound::At)
}

/// Events matching a query, in time order (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResult {
    pub events: Vec<EventId>,
    /// Events in the store when the query ran.
    pub total: usize,
    /// True when the previous result was narrowed instead of scanning everything.
    pub narrowed: bool,
}

/// Count of one facet value in a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    pub label: String,
    pub count: usize,
}

/// Facet counts of a result, each list by count (descending) then label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    /// Normalised event kinds ([`EventKind::name`]).
    pub types: Vec<FacetCount>,
    pub fields: Vec<FacetCount>,
    /// Sources upper-cased (`instore` and `INSTORE` count together).
    pub sources: Vec<FacetCount>,
    pub modes: Vec<FacetCount>,
    pub users: Vec<FacetCount>,
}

/// Counts facet values over `events`: dense per-facet counters indexed by the
/// codes assigned at ingest, so this is a few array increments per event.
pub fn facets(store: &Store, events: &[EventId]) -> Facets {
    let mut kinds = [0usize; EventKind::EVERY.len()];
    let mut fields = vec![0usize; store.fields.labels.len()];
    let mut sources = vec![0usize; store.sources.labels.len()];
    let mut modes = vec![0usize; store.modes.labels.len()];
    let mut users = vec![0usize; store.users.labels.len()];
    for &id in events {
        let e = &store.events[id as usize];
        let r = &store.contexts[store.records[e.record as usize].ctx as usize];
        let shape = store.shape_of(e);
        kinds[shape.kind as usize] += 1;
        fields[shape.field_code as usize] += 1;
        sources[r.source_code as usize] += 1;
        modes[r.mode_code as usize] += 1;
        users[r.user_code as usize] += 1;
    }
    let list = |counts: &[usize], label: &dyn Fn(usize) -> String| {
        let mut v: Vec<FacetCount> = counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| FacetCount {
                label: label(i),
                count: c,
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        v
    };
    Facets {
        types: list(&kinds, &|i| EventKind::EVERY[i].name().to_owned()),
        fields: list(&fields, &|i| store.fields.labels[i].clone()),
        sources: list(&sources, &|i| store.sources.labels[i].clone()),
        modes: list(&modes, &|i| store.modes.labels[i].clone()),
        users: list(&users, &|i| store.users.labels[i].clone()),
    }
}

/// A compiled clause: what to test per event.
enum Test {
    /// The needle occurs in no string at all.
    Never,
    /// Free text: the event's context matches (one bit), or one of its own strings does.
    Visible {
        strings: Rc<BitSet>,
        contexts: Rc<BitSet>,
    },
    Values(Rc<BitSet>),
    Request(Rc<BitSet>),
    Codes(BitSet, CodeOf),
    /// Record contexts that match (source, mode, user qualifiers).
    Contexts(BitSet),
    Kinds(u32),
    Range(i64, i64),
}

#[derive(Clone, Copy)]
enum CodeOf {
    Type,
    Field,
}

/// The strings containing one needle, and (computed when first needed) the
/// record contexts showing one of them.
struct NeedleMatch {
    needle: String,
    strings: Rc<BitSet>,
    contexts: Option<Rc<BitSet>>,
}

/// Keeps the last query and its result, plus the string matches of recent
/// needles, so each keystroke costs work proportional to what changed.
#[derive(Default)]
pub struct Search {
    last: Option<(Query, UtcMillis, SearchResult)>,
    needles: Vec<NeedleMatch>,
    generation: u64,
}

/// Events a search step tests (newest first) before it lets its caller look up.
pub const SEARCH_CHUNK: usize = 32_768;

/// A search in progress ([`Search::start`]).
pub struct SearchJob {
    query: Query,
    now: UtcMillis,
    generation: u64,
    narrowed: bool,
    /// The next clause to compile.
    next_clause: usize,
    /// The needle scan of that clause, when it needs one.
    scan: Option<crate::strings::StringScan>,
    tests: Vec<(bool, Test)>,
    /// The previous result being narrowed (else every event).
    base: Option<Rc<Vec<EventId>>>,
    /// Events (or base entries) tested so far, from the newest.
    done_from_top: usize,
    /// Matches of each chunk tested, newest chunk first, each in time order.
    chunks: Vec<Vec<EventId>>,
    found: usize,
    result: Option<SearchResult>,
    /// Events tested per step.
    chunk: usize,
}

impl SearchJob {
    /// Tests `events` events per step instead of [`SEARCH_CHUNK`] (smaller steps let the
    /// caller look up more often).
    pub fn with_chunk(mut self, events: usize) -> SearchJob {
        self.chunk = events.max(1);
        self
    }

    /// Up to `n` of the matches found so far, newest first: the first screenful while the
    /// rest is still being searched (events are tested newest first, so these are final).
    pub fn newest(&self, n: usize) -> Vec<EventId> {
        if let Some(r) = &self.result {
            return r.events.iter().rev().take(n).copied().collect();
        }
        self.chunks
            .iter()
            .flat_map(|c| c.iter().rev())
            .take(n)
            .copied()
            .collect()
    }

    /// Matches found so far.
    pub fn found(&self) -> usize {
        self.result.as_ref().map_or(self.found, |r| r.events.len())
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn is_complete(&self) -> bool {
        self.result.is_some()
    }
}

impl Term {
    /// The needle whose string matches this term's test is built from.
    fn needle(&self) -> Option<&str> {
        match self {
            Term::Text(n) | Term::Value(n) | Term::Request(n) => Some(n),
            _ => None,
        }
    }
}

/// Recent needles remembered for extension (`m`, `mo`, `mob`, …).
const NEEDLE_CACHE: usize = 32;

impl Search {
    pub fn new() -> Search {
        Search::default()
    }

    /// Runs `query`; narrows the previous result when `query` extends the last one
    /// run on the same store. `now` resolves relative dates (`after:7d`).
    pub fn run(&mut self, store: &Store, query: &Query, now: UtcMillis) -> &SearchResult {
        let mut job = self.start(store, query, now);
        while !self.step(store, &mut job) {}
        self.finish(job)
    }

    /// Starts running `query` in steps ([`Search::step`]): the needle scans, then the events
    /// newest first, a chunk at a time, so a caller can answer something else between steps
    /// (a newer keystroke) and read the newest matches found so far ([`SearchJob::newest`]).
    /// Narrows the previous result when `query` extends the last one run on the same store.
    pub fn start(&mut self, store: &Store, query: &Query, now: UtcMillis) -> SearchJob {
        if self.generation != store.generation {
            self.last = None;
            self.needles.clear();
            self.generation = store.generation;
        }
        let reuse = match &self.last {
            Some((q, t, _)) => query.narrows(q) && (*t == now || !query.has_relative_time()),
            None => false,
        };
        // When narrowing, the previous result already satisfies every clause the
        // query kept unchanged; only the extended last one and new ones are tested.
        let mut skip = 0;
        let mut base = None;
        if let (Some((prev, _, res)), true) = (&self.last, reuse) {
            skip = prev
                .clauses
                .iter()
                .zip(&query.clauses)
                .take_while(|(a, b)| a == b)
                .count();
            base = Some(Rc::new(res.events.clone()));
        }
        SearchJob {
            query: query.clone(),
            now,
            generation: store.generation,
            narrowed: reuse,
            next_clause: skip,
            scan: None,
            tests: Vec::new(),
            base,
            done_from_top: 0,
            chunks: Vec::new(),
            found: 0,
            result: None,
            chunk: SEARCH_CHUNK,
        }
    }

    /// Does one step of `job` (a needle scan's chunk, or a chunk of events); true when it
    /// is complete ([`Search::finish`] then gives the result).
    pub fn step(&mut self, store: &Store, job: &mut SearchJob) -> bool {
        if job.result.is_some() {
            return true;
        }
        if job.generation != store.generation {
            // The store changed under the job: start over on what it holds now.
            *job = self.start(store, &job.query.clone(), job.now);
        }
        // Compile the clauses, one needle scan step at a time.
        if job.next_clause < job.query.clauses.len() {
            let clause = job.query.clauses[job.next_clause].clone();
            if let Some(needle) = clause.term.needle() {
                if self.find_needle(needle).is_none() {
                    let scan = job.scan.get_or_insert_with(|| {
                        let base = self
                            .needles
                            .iter()
                            .filter(|m| needle.contains(m.needle.as_str()))
                            .max_by_key(|m| m.needle.len())
                            .map(|m| m.strings.clone());
                        store.strings.start_scan(needle.as_bytes(), base)
                    });
                    if !scan.step(&store.strings) {
                        return false;
                    }
                    let scan = job.scan.take().expect("a scan in progress");
                    self.remember_needle(needle, scan.into_matches());
                }
            }
            let test = self.compile(store, &clause.term, job.now);
            job.tests.push((clause.negated, test));
            job.next_clause += 1;
            if job.next_clause < job.query.clauses.len() {
                return false;
            }
            // Cheap tests first: a code or time check rejects most events before a
            // free-text test has to look at every value.
            job.tests.sort_by_key(|(_, t)| match t {
                Test::Never | Test::Range(..) | Test::Kinds(_) => 0,
                Test::Codes(..) | Test::Contexts(_) => 1,
                Test::Request(_) => 2,
                Test::Values(_) | Test::Visible { .. } => 3,
            });
        }
        // Then the events, newest chunk first; one pass per test over the chunk's survivors
        // of the previous one (the loop of each kind of test is compiled on its own, see
        // `select`).
        let total = job.base.as_ref().map_or(store.len(), |b| b.len());
        if job.done_from_top < total {
            let hi = total - job.done_from_top;
            let lo = hi.saturating_sub(job.chunk);
            let mut events: Vec<EventId> = match &job.base {
                Some(base) => base[lo..hi].to_vec(),
                None => (lo as EventId..hi as EventId).collect(),
            };
            for (neg, t) in &job.tests {
                events = select(store, Some(&events), *neg, t);
            }
            job.found += events.len();
            job.chunks.push(events);
            job.done_from_top = total - lo;
            if job.done_from_top < total {
                return false;
            }
        }
        // Chunks were found newest first, each in time order.
        let mut events = Vec::with_capacity(job.found);
        for chunk in job.chunks.drain(..).rev() {
            events.extend(chunk);
        }
        job.result = Some(SearchResult {
            events,
            total: store.len(),
            narrowed: job.narrowed,
        });
        true
    }

    /// The result of a complete job, remembered so the next keystroke can narrow it.
    pub fn finish(&mut self, mut job: SearchJob) -> &SearchResult {
        let result = job.result.take().unwrap_or_default();
        &self.last.insert((job.query, job.now, result)).2
    }

    /// Position in the needle cache of `needle`, if its matches are known.
    fn find_needle(&self, needle: &str) -> Option<usize> {
        self.needles.iter().position(|m| m.needle == needle)
    }

    fn remember_needle(&mut self, needle: &str, strings: BitSet) {
        if self.needles.len() >= NEEDLE_CACHE {
            self.needles.remove(0);
        }
        self.needles.push(NeedleMatch {
            needle: needle.to_owned(),
            strings: Rc::new(strings),
            contexts: None,
        });
    }

    /// Index in the needle cache of `needle`'s string matches, computing them at once
    /// (from the longest cached needle it contains, when there is one) if
    /// [`Search::step`] has not.
    fn needle(&mut self, store: &Store, needle: &str) -> usize {
        if let Some(i) = self.find_needle(needle) {
            return i;
        }
        let base = self
            .needles
            .iter()
            .filter(|m| needle.contains(m.needle.as_str()))
            .max_by_key(|m| m.needle.len());
        let mut out = BitSet::with_len(store.strings.len());
        match base {
            Some(m) => store
                .strings
                .scan_within(needle.as_bytes(), &m.strings, &mut out),
            None => store.strings.scan_all(needle.as_bytes(), &mut out),
        }
        self.remember_needle(needle, out);
        self.needles.len() - 1
    }

    fn strings(&mut self, store: &Store, needle: &str) -> Rc<BitSet> {
        let i = self.needle(store, needle);
        self.needles[i].strings.clone()
    }

    fn string_test(&mut self, store: &Store, needle: &str, make: fn(Rc<BitSet>) -> Test) -> Test {
        let set = self.strings(store, needle);
        if set.is_empty() {
            Test::Never
        } else {
            make(set)
        }
    }

    fn visible_test(&mut self, store: &Store, needle: &str) -> Test {
        let i = self.needle(store, needle);
        let m = &mut self.needles[i];
        if m.strings.is_empty() {
            return Test::Never;
        }
        let strings = m.strings.clone();
        let contexts = m
            .contexts
            .get_or_insert_with(|| {
                let mut set = BitSet::with_len(store.contexts.len());
                for c in 0..store.contexts.len() as u32 {
                    if store.context_visible(c, |s| strings.contains(s)) {
                        set.insert(c);
                    }
                }
                Rc::new(set)
            })
            .clone();
        Test::Visible { strings, contexts }
    }

    fn compile(&mut self, store: &Store, term: &Term, now: UtcMillis) -> Test {
        let table = |labels: &[String], needle: &str| {
            let mut set = BitSet::with_len(labels.len());
            for (i, l) in labels.iter().enumerate() {
                if l.contains(needle) {
                    set.insert(i as u32);
                }
            }
            set
        };
        // Contexts whose source/mode/user code is in `codes`.
        let contexts = |codes: BitSet, code: fn(&crate::store::Context) -> u32| {
            let mut set = BitSet::with_len(store.contexts.len());
            for (i, c) in store.contexts.iter().enumerate() {
                if codes.contains(code(c)) {
                    set.insert(i as u32);
                }
            }
            Test::Contexts(set)
        };
        match term {
            Term::Text(n) => self.visible_test(store, n),
            Term::Value(n) => self.string_test(store, n, Test::Values),
            Term::Request(n) => self.string_test(store, n, Test::Request),
            Term::Type(n) => {
                let mut mask = 0u32;
                let wanted = EventKind::from_label(n);
                for k in EventKind::EVERY {
                    if k.name().to_lowercase().contains(n.as_str())
                        || (wanted != EventKind::Other && k == wanted)
                    {
                        mask |= 1 << k as u32;
                    }
                }
                let raw = table(&store.types.lower, n);
                if raw.is_empty() {
                    Test::Kinds(mask)
                } else {
                    // Raw labels match too (an unknown type is found by its label).
                    let mut codes = raw;
                    for (c, k) in store.type_kinds.iter().enumerate() {
                        if mask & (1 << *k as u32) != 0 {
                            codes.insert(c as u32);
                        }
                    }
                    Test::Codes(codes, CodeOf::Type)
                }
            }
            Term::Field(n) => Test::Codes(table(&store.fields.lower, n), CodeOf::Field),
            Term::Source(n) => contexts(table(&store.sources.lower, n), |c| c.source_code),
            Term::Mode(n) => contexts(table(&store.modes.lower, n), |c| c.mode_code),
            Term::User(n) => {
                // The user facet label, plus the raw updatedBy id and user name of
                // any record with that label. Contexts hold every distinct
                // (user, updatedBy, label) triple, so no string scan is needed.
                let mut codes = table(&store.users.lower, n);
                for (i, c) in store.contexts.iter().enumerate() {
                    let hit = store.context_in_use(i)
                        && [c.updated_by_user, c.updated_by].into_iter().any(|v| {
                            v.id()
                                .is_some_and(|id| store.strings.contains(id, n.as_bytes()))
                        });
                    if hit {
                        codes.insert(c.user_code);
                    }
                }
                contexts(codes, |c| c.user_code)
            }
            Term::Before(b) => Test::Range(i64::MIN + 1, b.resolve(now)),
            Term::After(b) => Test::Range(b.resolve(now), i64::MAX),
        }
    }
}

/// The events of `ids` (ascending; `None` for every event) that pass test
/// `t`, or fail it when `negated`.
///
/// The test's kind is matched once, outside the loop, and each loop is written
/// out by [`keep_if`] with plain indexing: a negated free-text term tests every
/// value of every event, and the size-optimised WASM build (`opt-level = "z"`)
/// left the match, the iterator adapters and their closures as calls per event.
fn select(store: &Store, ids: Option<&[EventId]>, negated: bool, t: &Test) -> Vec<EventId> {
    /// Keeps the ids for which `$pass` (an expression of `$id` and `$e`, the
    /// event's row) differs from `negated`.
    macro_rules! keep_if {
        (|$id:ident, $e:ident| $pass:expr) => {{
            let mut out = Vec::new();
            match ids {
                None => {
                    let mut $id: EventId = 0;
                    while ($id as usize) < store.len() {
                        let $e = &store.events[$id as usize];
                        if ($pass) != negated {
                            out.push($id);
                        }
                        $id += 1;
                    }
                }
                Some(list) => {
                    for &$id in list {
                        let $e = &store.events[$id as usize];
                        if ($pass) != negated {
                            out.push($id);
                        }
                    }
                }
            }
            out
        }};
    }
    let record = |e: &EventRow| &store.records[e.record as usize];
    match t {
        Test::Never => keep_if!(|id, _e| false),
        // The event's type and field first: they are in the row at hand, and
        // a short needle often matches one, sparing the record row.
        Test::Visible { strings, contexts } => keep_if!(|id, e| {
            let shape = store.shape_of(e);
            strings.contains_val(shape.event_type)
                || strings.contains_val(shape.field)
                || contexts.contains(record(e).ctx)
                || store.any_own_visible(e, strings)
        }),
        Test::Values(set) => keep_if!(|id, e| store.any_value(e, set)),
        Test::Request(set) => keep_if!(|id, e| set.contains_val(record(e).request_id)),
        Test::Kinds(mask) => keep_if!(|id, e| mask & (1 << store.shape_of(e).kind as u32) != 0),
        Test::Codes(codes, CodeOf::Type) => {
            keep_if!(|id, e| codes.contains(store.shape_of(e).type_code))
        }
        Test::Codes(codes, CodeOf::Field) => {
            keep_if!(|id, e| codes.contains(store.shape_of(e).field_code))
        }
        Test::Contexts(set) => keep_if!(|id, e| set.contains(record(e).ctx)),
        // `before:` is exclusive, `after:` inclusive; events without a time never match.
        Test::Range(lo, hi) => {
            keep_if!(|id, e| e.when != i64::MIN && e.when >= *lo && e.when < *hi)
        }
    }
}

impl Store {
    /// One-off query without keystroke caching.
    pub fn query(&self, query: &Query, now: UtcMillis) -> SearchResult {
        Search::new().run(self, query, now).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_response;
    use crate::strings::tests::Rng;

    fn json(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_default()
    }

    /// Records whose visible values (user, source, mode, till, request id,
    /// type, field, additional fields) are random strings of every kind the
    /// string scan treats differently. Returns the store and the strings used.
    fn random_store(rng: &mut Rng, records: usize) -> (Store, Vec<String>) {
        let mut used = Vec::new();
        let mut s = |rng: &mut Rng| {
            let x = rng.string();
            used.push(x.clone());
            json(&x)
        };
        let mut body = String::from("{\"data\":[");
        for i in 0..records {
            if i > 0 {
                body.push(',');
            }
            let t = 1_600_000_000_000u64 + 1000 * i as u64;
            let till = if rng.below(3) == 0 {
                format!("{{\"code\":{}}}", s(rng))
            } else {
                "null".to_owned()
            };
            let events: Vec<String> = (0..1 + rng.below(2))
                .map(|_| {
                    format!(
                        r#"{{"eventType":{},"updatedField":{},"additionalFields":{{"previousValue":{},"currentValue":{},"note":{}}}}}"#,
                        s(rng),
                        s(rng),
                        s(rng),
                        s(rng),
                        s(rng)
                    )
                })
                .collect();
            body.push_str(&format!(
                r#"{{"updatedByUser":{},"updatedBy":{},"entityType":"CUSTOMER","entityId":{i},"createdOn":{t},"requestId":{},"till":{till},"source":{},"updatedByMode":{},"autoUpdateTime":{t},"events":[{}]}}"#,
                s(rng),
                rng.below(5),
                s(rng),
                s(rng),
                s(rng),
                events.join(",")
            ));
        }
        body.push_str("]}");
        let mut store = Store::new();
        store.ingest(parse_response(body.as_bytes()));
        (store, used)
    }

    /// Events with a visible string whose lowercase form contains `needle`:
    /// one plain `to_lowercase().contains` per distinct string, then every
    /// event's visible strings looked up one by one.
    fn naive(store: &Store, needle: &str) -> Vec<EventId> {
        let mut set = BitSet::with_len(store.strings.len());
        for s in 0..store.strings.len() as u32 {
            if store.strings.get(s).to_lowercase().contains(needle) {
                set.insert(s);
            }
        }
        (0..store.len() as u32)
            .filter(|&id| {
                let e = &store.events[id as usize];
                store.context_visible(store.records[e.record as usize].ctx, |s| set.contains(s))
                    || store.any_own_visible(e, &set)
            })
            .collect()
    }

    /// Free-text terms typed letter by letter (narrowing, needle cache), fresh,
    /// added to a narrowed result, and negated find exactly the events a naive
    /// scan finds.
    #[test]
    fn a_search_in_small_steps_finds_the_newest_first_and_ends_as_a_whole_one() {
        let mut rng = Rng(0x51ee_d00d_2026_1201);
        for _ in 0..6 {
            let (store, used) = random_store(&mut rng, 200);
            let mut stepped = Search::new();
            let mut whole = Search::new();
            for _ in 0..10 {
                let needle = rng.needle(&used);
                let other = rng.needle(&used);
                for text in [
                    needle.clone(),
                    format!("{needle} -{other}"),
                    format!("-{needle}"),
                ] {
                    let Ok(query) = Query::parse(&text) else {
                        continue;
                    };
                    let want = whole.run(&store, &query, 0).events.clone();
                    let mut job = stepped.start(&store, &query, 0).with_chunk(7);
                    let mut steps = 0;
                    while !stepped.step(&store, &mut job) {
                        steps += 1;
                        // What is found so far is the newest part of the final result.
                        let newest = job.newest(5);
                        let final_newest: Vec<EventId> =
                            want.iter().rev().take(newest.len()).copied().collect();
                        assert_eq!(newest, final_newest, "{text:?} after {steps} steps");
                    }
                    assert!(job.is_complete() && job.found() == want.len());
                    assert_eq!(stepped.finish(job).events, want, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn text_terms_agree_with_a_naive_scan() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..12 {
            let (store, used) = random_store(&mut rng, 150);
            assert!(store.len() >= 150);
            let mut search = Search::new();
            for _ in 0..12 {
                let needle = rng.needle(&used);
                let text = |negated: bool, needles: &[&str]| Query {
                    text: String::new(),
                    clauses: needles
                        .iter()
                        .map(|n| Clause {
                            negated,
                            term: Term::Text((*n).to_owned()),
                            span: 0..0,
                        })
                        .collect(),
                };
                let want = naive(&store, &needle);
                // Typed a character at a time: each prefix narrows the last.
                let chars: Vec<(usize, char)> = needle.char_indices().collect();
                for &(i, c) in &chars {
                    let prefix = &needle[..i + c.len_utf8()];
                    let got = search
                        .run(&store, &text(false, &[prefix]), 0)
                        .events
                        .clone();
                    assert_eq!(got, naive(&store, prefix), "typed {prefix:?}");
                }
                assert_eq!(store.query(&text(false, &[&needle]), 0).events, want);
                // A second term narrows the first one's result.
                search.run(&store, &text(false, &[&needle]), 0);
                let other = rng.needle(&used);
                let both: Vec<EventId> = naive(&store, &other)
                    .into_iter()
                    .filter(|id| want.binary_search(id).is_ok())
                    .collect();
                let got = search.run(&store, &text(false, &[&needle, &other]), 0);
                assert_eq!(got.events, both, "{needle:?} {other:?}");
                let not: Vec<EventId> = (0..store.len() as u32)
                    .filter(|id| want.binary_search(id).is_err())
                    .collect();
                let got = search
                    .run(&store, &text(true, &[&needle]), 0)
                    .events
                    .clone();
                assert_eq!(got, not, "-{needle:?}");
            }
        }
    }
}
