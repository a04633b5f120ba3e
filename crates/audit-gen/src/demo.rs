//! The explorer's built-in demo: a fixed story rendered as API bytes.

use crate::gen::{CustomerConfig, StatusLogBuilder, World, WorldConfig};
use crate::json::{lookup_body, status_log_body, PageWriter, Pagination, Shape};
use crate::model::{EntityType, Record};
use crate::time::epoch_ms;

/// Seed of the demo world. Changing it changes every demo byte (and the
/// facts documented at the crate root).
pub const DEMO_SEED: u64 = 2024;
/// The demo customer's entity id.
pub const DEMO_CUSTOMER_ID: i64 = 100_200_300;
/// Audit records of the demo customer.
pub const DEMO_CUSTOMER_RECORDS: u64 = 240;
/// Audit records of the demo card.
pub const DEMO_CARD_RECORDS: u64 = 6;
/// Records per demo page (`limit`).
pub const DEMO_PAGE_SIZE: u64 = 100;

/// The demo's world: one customer (240 records over 2023-01-01 ..
/// 2025-01-01) with one 6-record card and one merge.
pub fn demo_config() -> WorldConfig {
    WorldConfig {
        seed: DEMO_SEED,
        org_id: crate::gen::DEFAULT_ORG_ID,
        start_ms: epoch_ms(2023, 1, 1, 0, 0, 0),
        end_ms: epoch_ms(2025, 1, 1, 0, 0, 0),
        customers: vec![CustomerConfig {
            id: Some(DEMO_CUSTOMER_ID),
            records: DEMO_CUSTOMER_RECORDS,
            cards: vec![DEMO_CARD_RECORDS],
            merge: true,
        }],
    }
}

/// The demo customer grown to `records` audit records over 2015–2025, as the current-shape
/// response pages of a paged export (`per_page` records a page, page 0 first, each with its
/// pagination): the large trails the end-to-end tests open as files and the benches load.
pub fn demo_trail_pages(records: u64, per_page: u64) -> impl Iterator<Item = Vec<u8>> {
    let world = World::new(demo_config());
    let customer = world
        .entity(EntityType::Customer, DEMO_CUSTOMER_ID)
        .expect("the demo world holds the demo customer")
        .resized(
            records,
            epoch_ms(2015, 1, 1, 0, 0, 0),
            epoch_ms(2025, 1, 1, 0, 0, 0),
        );
    let mut stream = customer.stream();
    let pages = Pagination::for_page(records, per_page, 0).total_pages;
    (0..pages).map(move |p| {
        let pagination = Pagination::for_page(records, per_page, p);
        let mut page = PageWriter::new(Shape::Current);
        for record in stream.by_ref().take(pagination.number_of_elements as usize) {
            page.push(&record, true);
        }
        page.finish(&pagination)
    })
}

/// The demo as the API would serve it. See the crate documentation for the
/// story it tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demo {
    /// `CUSTOMER` entity id ([`DEMO_CUSTOMER_ID`]).
    pub customer_id: i64,
    /// `CARD` entity id of the customer's card.
    pub card_id: i64,
    /// That card's number (a `cardnumber` identifier of the customer, and the
    /// `number` for the card status log).
    pub card_number: String,
    /// Current-shape pages of `GET /api_gateway/v2/audits?entityType=CUSTOMER&entityId=…&limit=100&sortOrder=DESC&includeUserContext=true`,
    /// page 0 first (newest records first).
    pub customer_pages: Vec<Vec<u8>>,
    /// Same for the card (`entityType=CARD`): one page.
    pub card_pages: Vec<Vec<u8>>,
    /// Body of `GET /v2/customers/{id}/statusLog`.
    pub customer_status_log: Vec<u8>,
    /// Body of `GET /v2/card/statusLog?number=…`.
    pub card_status_log: Vec<u8>,
    /// Body of `GET /v2/customers/lookup/customerDetails` for the customer.
    pub customer_lookup: Vec<u8>,
}

/// Splits records (in the desired order) into current- or legacy-shape
/// pages of `limit`, as consecutive `pageNo` requests would return them.
/// An empty input gives one empty page, like the API.
pub fn paginate(
    records: &[Record],
    limit: u64,
    shape: Shape,
    include_user_context: bool,
) -> Vec<Vec<u8>> {
    let limit = limit.max(1);
    let total = records.len() as u64;
    let pages = total.div_ceil(limit).max(1);
    (0..pages)
        .map(|page| {
            let p = Pagination::for_page(total, limit, page);
            let mut w = PageWriter::new(shape);
            let r = p.range(limit);
            for rec in &records[r.start as usize..r.end as usize] {
                w.push(rec, include_user_context);
            }
            w.finish(&p)
        })
        .collect()
}

/// Builds the demo. Deterministic: every call returns identical bytes.
pub fn demo() -> Demo {
    let world = World::new(demo_config());
    let customer = world
        .entity(EntityType::Customer, DEMO_CUSTOMER_ID)
        .expect("demo customer is planned");
    let link = customer.cards()[0].clone();
    let card = world
        .entity(EntityType::Card, link.card_id)
        .expect("demo card is planned");

    let mut stream = customer.stream();
    let mut customer_log = StatusLogBuilder::for_spec(customer);
    let mut records: Vec<Record> = stream.by_ref().collect();
    records.iter().for_each(|r| customer_log.observe(r));
    let profile = stream.profile().expect("customer stream").clone();
    records.reverse();

    let mut card_log = StatusLogBuilder::new(EntityType::Card, card.entity_id, None);
    let mut card_records: Vec<Record> = card.stream().collect();
    card_records.iter().for_each(|r| card_log.observe(r));
    card_records.reverse();

    Demo {
        customer_id: customer.entity_id,
        card_id: card.entity_id,
        card_number: link.number,
        customer_pages: paginate(&records, DEMO_PAGE_SIZE, Shape::Current, true),
        card_pages: paginate(&card_records, DEMO_PAGE_SIZE, Shape::Current, true),
        customer_status_log: status_log_body(&customer_log.finish()),
        card_status_log: status_log_body(&card_log.finish()),
        customer_lookup: lookup_body(&profile, "INSTORE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(page: &[u8], needle: &str) -> usize {
        page.windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count()
    }

    #[test]
    fn a_trail_holds_the_same_records_whatever_its_paging() {
        let by_1000: Vec<Vec<u8>> = demo_trail_pages(2_500, 1_000).collect();
        let by_250: Vec<Vec<u8>> = demo_trail_pages(2_500, 250).collect();
        assert_eq!((by_1000.len(), by_250.len()), (3, 10));
        let records =
            |pages: &[Vec<u8>]| -> usize { pages.iter().map(|p| count(p, "\"requestId\"")).sum() };
        assert_eq!(records(&by_1000), 2_500);
        assert_eq!(records(&by_250), 2_500);
        assert_eq!(count(&by_1000[2], "\"numberOfElements\":500"), 1);
        // The same records in the same order: the request ids, concatenated, agree.
        let ids = |pages: &[Vec<u8>]| -> Vec<Vec<u8>> {
            pages
                .iter()
                .flat_map(|p| {
                    p.split(|&b| b == b',')
                        .filter(|f| f.starts_with(b"\"requestId\""))
                        .map(<[u8]>::to_vec)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(ids(&by_1000), ids(&by_250));
    }
}
