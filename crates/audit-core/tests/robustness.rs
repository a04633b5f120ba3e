//! Bounded, seeded fuzz/property pass that `cargo test` runs (CI included),
//! a few seconds in a debug build:
//!
//! - Every seed fixture (`tests/fixtures/seeds`), mutated as damaged
//!   downloads are (byte flips, truncations, insertions of `!`, `"`, `{`,
//!   `[`, `,`), through `parse_response` and `Store::ingest_page` into a store
//!   already holding a page: no panic, the ingest report adds up, every
//!   record rebuilds, and recovery stays within `Parsed::recovery_work_bound`
//!   (the work bound of the linearity tests).
//! - Arbitrary queries (Devanagari, Tamil, combining marks, emoji, quotes,
//!   `-`, `:`, qualifiers) typed keystroke by keystroke: parse, error
//!   rendering against the text and against other texts, and `Search::run`
//!   on a small store, which must agree with a fresh `Store::query`.
//! - CSV export of arbitrary strings: no cell, as the csv crate reads it back,
//!   starts with a formula character after its leading whitespace, and the
//!   original text is recoverable from every cell.
//!
//! Every proptest here has a fixed seed (`RngSeed::Fixed`), so a failure
//! reproduces by re-running the same test: `cargo test -p audit-core --test
//! robustness NAME`. proptest prints the (shrunk) failing input; to explore
//! more inputs locally, change the seed or raise `cases` in that test's config.

mod common;

use audit_core::export::{neutralise, to_csv, unneutralise};
use audit_core::{parse_response, Query, Search, Store};
use common::{check_rendering, proptest_config, query_text, seed_dir};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// Every seed fixture, in name order.
fn seeds() -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(seed_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// One mutation: where (a fraction of the length, so it fits any seed), what.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(u16, u8),
    Truncate(u16),
    Insert(u16, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u16>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        any::<u16>().prop_map(Mutation::Truncate),
        (any::<u16>(), proptest::sample::select(&b"!\"{[,"[..]))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
    ]
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    let at = |b: &Vec<u8>, f: u16| usize::from(f) * (b.len() + 1) / 65_536;
    for m in mutations {
        match *m {
            Mutation::Flip(f, bit) => {
                let i = at(&b, f);
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << bit;
                }
            }
            Mutation::Truncate(f) => {
                let i = at(&b, f);
                b.truncate(i);
            }
            Mutation::Insert(f, byte) => {
                let i = at(&b, f);
                b.insert(i, byte);
            }
        }
    }
    b
}

/// Mutated seeds parse within the work bound and ingest into a store that
/// already holds a page: the report adds up and every record rebuilds.
#[test]
fn mutated_seeds_parse_and_ingest_within_bounds() {
    let seeds = seeds();
    assert_eq!(seeds.len(), 10, "the seed fixtures");
    let mut base = Store::new();
    base.ingest_page("listing", parse_response(&seeds[4]));
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..6));
    let mut runner = TestRunner::new(proptest_config(3000, 0x5eed_da3a));
    runner
        .run(&strategy, |(pick, mutations)| {
            let bytes = mutate(&seeds[pick], &mutations);
            // The fused ingest stores the same as the path below.
            common::check_fused(&base, "listing", &bytes);
            let parsed = parse_response(&bytes);
            prop_assert!(
                parsed.recovery_work <= parsed.recovery_work_bound(),
                "{} reads for {} bytes",
                parsed.recovery_work,
                bytes.len()
            );
            for d in &parsed.damaged {
                prop_assert!(d.offset + d.len <= bytes.len() && d.error_offset <= bytes.len());
            }
            let (records, damaged) = (parsed.records.len(), parsed.damaged.len());
            let mut store = base.clone();
            let (before_records, before_events) = (store.record_count(), store.len());
            let report = store.ingest_page("listing", parsed);
            prop_assert_eq!(report.records_added + report.records_duplicate, records);
            prop_assert_eq!(report.damaged_spans, damaged);
            prop_assert_eq!(store.record_count(), before_records + report.records_added);
            prop_assert_eq!(store.len(), before_events + report.events_added);
            for rid in 0..store.record_count() as u32 {
                prop_assert!(!audit_core::export::record_json(&store.record(rid)).is_empty());
            }
            let times: Vec<i64> = store.events().filter_map(|e| e.time()).collect();
            prop_assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "events in time order"
            );
            for e in store.events() {
                let _ = (
                    e.time_raw(),
                    e.previous(),
                    e.current(),
                    e.user_label(),
                    e.field_key(),
                );
            }
            Ok(())
        })
        .unwrap();
}

/// Queries typed a keystroke at a time over a small store: every prefix
/// parses or fails with a span that renders, and the narrowing search agrees
/// with a fresh one.
#[test]
fn arbitrary_queries_parse_render_and_search() {
    let mut store = Store::new();
    for s in seeds() {
        store.ingest(parse_response(&s));
    }
    let mut runner = TestRunner::new(proptest_config(1000, 0x5eed_9e41));
    runner
        .run(&(query_text(), query_text()), |(text, other)| {
            let mut search = Search::new();
            let ends = (0..=text.len()).filter(|&i| text.is_char_boundary(i));
            for end in ends {
                let typed = &text[..end];
                match Query::parse(typed) {
                    Ok(q) => {
                        let got = search.run(&store, &q, 1_700_000_000_000).events.clone();
                        prop_assert_eq!(
                            &got,
                            &store.query(&q, 1_700_000_000_000).events,
                            "{:?}",
                            typed
                        );
                    }
                    Err(e) => {
                        prop_assert!(
                            e.span.end <= typed.len()
                                && typed.is_char_boundary(e.span.start)
                                && typed.is_char_boundary(e.span.end)
                        );
                        check_rendering(&e, typed);
                        check_rendering(&e, &text);
                        check_rendering(&e, &other);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

/// What a spreadsheet runs as a formula when a cell starts with it (after
/// any leading whitespace), ASCII and full-width.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Text rich in what neutralisation has to look past or at: whitespace of
/// several kinds, formula characters in both widths, quotes, and anything else.
fn cell_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(&[
            " ", "\t", "\r", "\n", "\u{a0}", "\u{3000}", "\u{2028}", "=", "+", "-", "@", "＝", "＋",
            "－", "＠", "'", "\"", ",", "1", "SUM(A1)", "राम", "👩\u{200d}💻",
        ][..])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// Asserts a cell read back from the CSV is safe to open and gives back `original`.
fn assert_safe_cell(cell: &str, original: &str) {
    let first = cell
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
        .chars()
        .next();
    assert!(
        !first.is_some_and(|c| FORMULA_STARTS.contains(&c)) && !cell.starts_with(['\t', '\r']),
        "formula cell {cell:?} from {original:?}"
    );
    assert_eq!(unneutralise(cell), original, "not recoverable: {cell:?}");
}

proptest! {
    #![proptest_config(proptest_config(1500, 0x5eed_c5f0))]

    /// Each cell on its own, also through the csv crate's quoting.
    #[test]
    fn neutralised_cells_never_start_a_formula(text in cell_text()) {
        let cell = neutralise(&text);
        assert_safe_cell(&cell, &text);
        // Not first in the file, as in an export (a reader drops a leading BOM).
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["first", cell.as_ref()]).unwrap();
        let bytes = w.into_inner().unwrap();
        let mut rd = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[..]);
        let row = rd.records().next().unwrap().unwrap();
        assert_safe_cell(&row[1], &text);
    }
}

proptest! {
    #![proptest_config(proptest_config(200, 0x5eed_c5f1))]

    /// The whole export: arbitrary strings in every text column of a record.
    #[test]
    fn csv_export_has_no_formula_cells(values in proptest::collection::vec(cell_text(), 6)) {
        let j = |s: &String| serde_json::to_string(s).unwrap();
        let body = format!(
            r#"{{"data":[{{"requestId":{},"updatedByUser":{},"source":{},"updatedByMode":{},"autoUpdateTime":1700000000000,
                "events":[{{"eventType":"Identifiers","updatedField":{},"additionalFields":{{"previousValue":{},"currentValue":{}}}}}]}}]}}"#,
            j(&values[0]), j(&values[1]), j(&values[2]), j(&values[3]), j(&values[4]), j(&values[5]), j(&values[0]),
        );
        let mut store = Store::new();
        store.ingest(parse_response(body.as_bytes()));
        let events: Vec<u32> = (0..store.len() as u32).collect();
        let out = to_csv(&store, &events, &values[1]);
        let mut rd = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(out.as_bytes());
        let mut cells = 0;
        for row in rd.records() {
            for cell in row.unwrap().iter() {
                assert_safe_cell(cell, unneutralise(cell));
                cells += 1;
            }
        }
        prop_assert!(cells > 19, "the export has its rows");
        for v in &values {
            let shown = neutralise(v);
            prop_assert!(out.contains(shown.as_ref()) || v.contains(['"', '\r', '\n']) || v.is_empty(),
                "{v:?} is visible in the export");
        }
    }
}
