//! Query errors point at bytes of the query and render safely: arbitrary
//! Unicode queries (combining marks, emoji with ZWJ, Devanagari, Tamil, quotes,
//! `-`, `:` and qualifiers) never panic the parser, every error's span is on
//! char boundaries of the text, and the rendering helpers never panic, also
//! against another (older or newer, shorter or longer) text.
//!
//! Seeded: a failure prints the input and reproduces with the same seed.

mod common;

use audit_core::{Query, QueryError};
use common::{check_rendering, proptest_config, query_text};
use proptest::prelude::*;

proptest! {
    #![proptest_config(proptest_config(3000, 0x5eed_0001))]

    #[test]
    fn parse_never_panics_and_errors_point_at_char_boundaries(text in query_text(), other in query_text()) {
        match Query::parse(&text) {
            Ok(q) => {
                for c in &q.clauses {
                    prop_assert!(c.span.start < c.span.end && c.span.end <= text.len());
                    prop_assert!(text.is_char_boundary(c.span.start) && text.is_char_boundary(c.span.end));
                }
            }
            Err(e) => {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len(), "{e:?} in {text:?}");
                prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
                check_rendering(&e, &text);
                // Rendered against a stale or newer text: shorter, longer, other.
                for t in [&other, &text[..e.span_in(&text).start], ""] {
                    check_rendering(&e, t);
                }
                let cut: String = text.chars().take(text.chars().count() / 2).collect();
                check_rendering(&e, &cut);
            }
        }
    }
}

/// Spans far outside the text, reversed, or inside a character clamp instead
/// of panicking.
#[test]
#[allow(clippy::reversed_empty_ranges)] // a reversed span is one of the cases
fn out_of_range_and_mid_character_spans_clamp() {
    let text = "राम - 👩\u{200d}💻";
    for span in [
        0..0,
        0..1,
        1..2,
        4..100,
        100..200,
        7..3,
        usize::MAX - 1..usize::MAX,
    ] {
        let e = QueryError {
            span,
            message: "m".into(),
        };
        check_rendering(&e, text);
        check_rendering(&e, "");
    }
    let e = QueryError {
        span: 4..5,
        message: "m".into(),
    };
    assert_eq!(e.marked(text), ("र", "", "ाम - 👩\u{200d}💻"));
}

/// What the explorer renders: the message with the character column, and the
/// caret under the offending characters.
#[test]
fn rendering_counts_characters_not_bytes() {
    let text = "राम -";
    let e = Query::parse(text).unwrap_err();
    assert_eq!(e.span, 10..11);
    assert_eq!(e.column(text), 5);
    assert_eq!(e.marked(text), ("राम ", "-", ""));
    assert_eq!(e.caret_line(text), "    ^");
    let text = "tpye:identifier";
    let e = Query::parse(text).unwrap_err();
    assert_eq!(
        format!("Query error at position {}: {}", e.column(text), e.message),
        format!("Query error at position 1: {}", e.message)
    );
    assert_eq!(e.caret_line(text), "^^^^^");
    let e = Query::parse("field:").unwrap_err();
    assert_eq!(
        e.caret_line("field:"),
        "      ^",
        "a missing value still gets a caret"
    );
}
