//! Bounded, seeded fuzz/property pass that `cargo test` runs (CI included):
//!
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
use audit_core::{parse_response, Store};
use common::proptest_config;
use proptest::prelude::*;

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
