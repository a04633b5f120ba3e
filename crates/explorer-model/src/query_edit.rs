//! Editing the search on the parsed query, not on its text: a facet chip adds `field:mobile`
//! (or `-field:mobile`) once, turns an opposite clause around instead of adding a contradiction,
//! and leaves everything else the user typed exactly as typed.

use audit_core::{Clause, Query};

/// `text` with the clause `[-]qualifier:value` in it: unchanged when an equal clause is already
/// there, the opposite clause replaced when there is one, else appended. A query that cannot
/// be read gets the clause appended, so nothing typed is lost.
pub fn with_clause(text: &str, qualifier: &str, value: &str, negated: bool) -> String {
    let clause = clause_text(qualifier, value, negated);
    let wanted = match Query::parse(&clause) {
        Ok(q) if q.clauses.len() == 1 => q.clauses[0].clone(),
        // A value the language cannot hold as one clause: no edit at all.
        _ => return text.to_owned(),
    };
    let Ok(query) = Query::parse(text) else {
        return append(text, &clause);
    };
    if query
        .clauses
        .iter()
        .any(|c| same(c, &wanted) && c.negated == wanted.negated)
    {
        return text.to_owned();
    }
    match query.clauses.iter().find(|c| same(c, &wanted)) {
        Some(opposite) => {
            let span = opposite.span.clone();
            format!("{}{clause}{}", &text[..span.start], &text[span.end..])
        }
        None => append(text, &clause),
    }
}

/// The clause for a facet value, quoted when it has spaces, quotes or a colon
/// (`type:"Card Status"`).
pub fn clause_text(qualifier: &str, value: &str, negated: bool) -> String {
    let sign = if negated { "-" } else { "" };
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '"' || c == ':') {
        format!("{sign}{qualifier}:\"{}\"", value.replace('"', "\\\""))
    } else {
        format!("{sign}{qualifier}:{value}")
    }
}

/// Same test, whatever the sign.
fn same(a: &Clause, b: &Clause) -> bool {
    a.term == b.term
}

fn append(text: &str, clause: &str) -> String {
    let head = text.trim_end();
    if head.is_empty() {
        clause.to_owned()
    } else {
        format!("{head} {clause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chip_adds_its_clause_once() {
        assert_eq!(with_clause("", "field", "mobile", false), "field:mobile");
        assert_eq!(
            with_clause("राम ", "field", "mobile", false),
            "राम field:mobile"
        );
        assert_eq!(
            with_clause("x field:mobile", "field", "mobile", false),
            "x field:mobile"
        );
        assert_eq!(
            with_clause("FIELD:Mobile y", "field", "mobile", false),
            "FIELD:Mobile y",
            "the same test, as typed"
        );
    }

    #[test]
    fn the_opposite_clause_is_turned_around_in_place() {
        assert_eq!(
            with_clause("a -source:instore b", "source", "instore", false),
            "a source:instore b"
        );
        assert_eq!(
            with_clause("source:instore", "source", "instore", true),
            "-source:instore"
        );
    }

    #[test]
    fn values_with_spaces_or_quotes_are_quoted_and_read_back() {
        let q = with_clause("", "type", "Card Status", false);
        assert_eq!(q, "type:\"Card Status\"");
        assert_eq!(with_clause(&q, "type", "Card Status", false), q);
        let odd = with_clause("", "user", "a \"b\"", true);
        assert!(Query::parse(&odd).is_ok(), "{odd}");
        // An empty value cannot be searched for (the chip says "(none)" and is not clickable).
        assert_eq!(with_clause("x", "field", "", false), "x");
    }

    #[test]
    fn a_query_that_cannot_be_read_keeps_what_was_typed() {
        assert_eq!(
            with_clause("नाम \"", "field", "mobile", false),
            "नाम \" field:mobile"
        );
    }
}
