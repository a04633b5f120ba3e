//! The loaded data set: response bytes from a source, parsed by `audit-core`.
//!
//! Every source goes through [`Dataset::from_pages`], so the demo takes exactly the path real
//! API responses take (bytes → parser), with no shortcut that could hide a parsing bug.

use audit_core::{parse_response, AuditRecord, ResponseShape};

/// What loading produced, for the header and the warning banner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Audit events (one record can hold several).
    pub events: usize,
    pub records: usize,
    /// Plain sentences about damaged or unrecognised input; empty when all was read.
    pub problems: Vec<String>,
}

/// Parsed audit records of one entity, newest first.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub records: Vec<AuditRecord>,
    pub report: LoadReport,
}

impl Dataset {
    /// The built-in demo: the shared generator's API-shaped pages for its demo customer.
    pub fn demo() -> Dataset {
        let demo = audit_gen::demo();
        Dataset::from_pages(demo.customer_pages.iter().map(Vec::as_slice))
    }

    /// Parses audit response pages (any supported generation) into one newest-first list.
    pub fn from_pages<'a>(pages: impl IntoIterator<Item = &'a [u8]>) -> Dataset {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        for (page_no, bytes) in pages.into_iter().enumerate() {
            let parsed = parse_response(bytes);
            if let ResponseShape::Unrecognised { reason } = &parsed.shape {
                problems.push(format!(
                    "page {}: not an audit response ({reason})",
                    page_no + 1
                ));
            }
            for damage in &parsed.damaged {
                problems.push(format!(
                    "page {}: skipped a damaged record at byte {} ({})",
                    page_no + 1,
                    damage.offset,
                    damage.reason
                ));
            }
            records.extend(parsed.records);
        }
        // Newest first; records without a time go last rather than being dropped.
        records.sort_by_key(|r| std::cmp::Reverse(r.when().unwrap_or(i64::MIN)));
        let events = records.iter().map(|r| r.events().len()).sum();
        let report = LoadReport {
            events,
            records: records.len(),
            problems,
        };
        Dataset { records, report }
    }

    /// `CUSTOMER 100200300`, from the first record that names its entity.
    pub fn entity_label(&self) -> String {
        self.records
            .iter()
            .find_map(|r| {
                let kind = r.entity_type.as_deref()?;
                let id = r.entity_id.get()?;
                Some(format!("{kind} {id}"))
            })
            .unwrap_or_default()
    }
}
