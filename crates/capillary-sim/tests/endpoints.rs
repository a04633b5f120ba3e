//! Endpoints, parameters, paging, errors.

mod common;
use common::*;
use serde_json::Value;

const CUST: &str = "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653";

#[tokio::test]
async fn demo_customer_is_served_byte_for_byte() {
    let sim = start(small_config()).await;
    let demo = audit_gen::demo();
    for (i, page) in demo.customer_pages.iter().enumerate() {
        let r = get(
            &sim,
            &format!("/api_gateway/v2/audits?entityType=CUSTOMER&entityId={DEMO_ID}&limit=100&pageNo={i}&sortOrder=DESC&includeUserContext=true"),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(&r.body, page, "page {i}");
    }
    let r = get(
        &sim,
        &format!(
            "/api_gateway/v2/audits?entityType=CARD&entityId={}&limit=100&includeUserContext=true",
            demo.card_id
        ),
    )
    .await;
    assert_eq!(r.body, demo.card_pages[0]);
    let r = get(&sim, &format!("/v2/customers/{DEMO_ID}/statusLog")).await;
    assert_eq!(r.body, demo.customer_status_log);
    let r = get(
        &sim,
        &format!("/v2/card/statusLog?number={}", demo.card_number),
    )
    .await;
    assert_eq!(r.body, demo.card_status_log);
    let lookup: Value = serde_json::from_slice(&demo.customer_lookup).unwrap();
    let mobile = lookup["profiles"][0]["identifiers"][0]["value"]
        .as_str()
        .unwrap();
    let r = get(&sim, &format!("/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue={mobile}")).await;
    assert_eq!(r.body, demo.customer_lookup);
    sim.shutdown().await;
}

#[tokio::test]
async fn pages_concatenate_to_the_full_set_in_both_orders() {
    let sim = start(small_config()).await;
    let desc = all_pages(&sim, CUST, "&sortOrder=DESC", 10).await;
    let asc = all_pages(&sim, CUST, "&sortOrder=asc", 10).await;
    let default_order = all_pages(&sim, CUST, "", 10).await;
    assert_eq!(desc.len(), 57);
    assert_eq!(default_order, desc, "DESC is the default");
    let mut rev = asc.clone();
    rev.reverse();
    assert_eq!(rev, desc);
    let times: Vec<i64> = asc
        .iter()
        .map(|r| r["autoUpdateTime"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Odd page sizes agree with the same set.
    assert_eq!(all_pages(&sim, CUST, "&sortOrder=DESC", 7).await, desc);
    assert_eq!(all_pages(&sim, CUST, "&sortOrder=DESC", 57).await, desc);
    // Defaults: limit 10, page 0; a page past the end is empty but keeps totals.
    let v = get(&sim, CUST).await.json();
    assert_eq!(
        v["pagination"],
        serde_json::json!({"totalElements":57,"totalPages":6,"numberOfElements":10,"number":0})
    );
    let v = get(&sim, &format!("{CUST}&pageNo=9")).await.json();
    assert_eq!(v["data"], serde_json::json!([]));
    assert_eq!(
        v["pagination"],
        serde_json::json!({"totalElements":57,"totalPages":6,"numberOfElements":0,"number":9})
    );
    // sortBy=createdOn orders by createdOn.
    let by_created = all_pages(&sim, CUST, "&sortBy=createdOn&sortOrder=ASC", 20).await;
    let c: Vec<i64> = by_created
        .iter()
        .map(|r| r["createdOn"].as_i64().unwrap())
        .collect();
    assert!(c.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(by_created.len(), 57);
}

#[tokio::test]
async fn legacy_endpoint_serves_the_same_records_in_the_old_shape() {
    let sim = start(small_config()).await;
    let cur = get(&sim, &format!("{CUST}&limit=57")).await.json();
    let r = get(
        &sim,
        "/v2/auditLog/get?entityType=CUSTOMER&entityId=98662653&limit=57",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert!(v.get("pagination").is_none());
    let legacy = v["entity"].as_array().unwrap();
    let current = cur["data"].as_array().unwrap();
    assert_eq!(legacy.len(), current.len());
    for (l, c) in legacy.iter().zip(current) {
        assert_eq!(l["requestId"], c["requestId"]);
        let iso = l["autoUpdateTime"].as_str().unwrap();
        assert_eq!(
            audit_gen::time::parse_query_date(iso).unwrap(),
            c["autoUpdateTime"].as_i64().unwrap() / 1000 * 1000
        );
        assert_eq!(l["userContextDetails"], serde_json::json!({}));
        for e in l["events"].as_array().unwrap() {
            assert_ne!(e["eventType"], "Identifiers");
            assert_ne!(e["eventType"], "Communication Channels");
        }
    }
    // Legacy paging: limit/pageNo apply too.
    let v = get(
        &sim,
        "/v2/auditLog/get?entityType=CUSTOMER&entityId=98662653&limit=5&pageNo=11",
    )
    .await
    .json();
    assert_eq!(v["entity"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn filters_select_what_they_name() {
    let sim = start(small_config()).await;
    let all = all_pages(&sim, CUST, "", 100).await;
    let count = |pred: &dyn Fn(&Value) -> bool| all.iter().filter(|r| pred(r)).count();

    // source, case-insensitive both ways.
    let instore = all_pages(&sim, CUST, "&source=instore", 100).await;
    assert_eq!(instore, all_pages(&sim, CUST, "&source=INSTORE", 100).await);
    let expected = count(&|r| {
        r["source"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("instore"))
    });
    assert!(expected > 0);
    assert_eq!(instore.len(), expected);
    assert!(all_pages(&sim, CUST, "&source=NOPE", 10).await.is_empty());

    // Dates: both formats, inclusive; a date alone as endDate covers the day.
    let t = all[20]["autoUpdateTime"].as_i64().unwrap();
    let iso = audit_gen::time::iso_utc(t);
    let (day, clock) = (&iso[..10], &iso[11..19]);
    let from = all_pages(&sim, CUST, &format!("&startDate={day}%20{clock}"), 100).await;
    assert_eq!(
        from.len(),
        count(&|r| r["autoUpdateTime"].as_i64().unwrap() >= t / 1000 * 1000)
    );
    let until_day = all_pages(&sim, CUST, &format!("&endDate={day}"), 100).await;
    let day_end = audit_gen::time::parse_query_date(day).unwrap() + 86_400_000;
    assert_eq!(
        until_day.len(),
        count(&|r| r["autoUpdateTime"].as_i64().unwrap() < day_end)
    );
    let window = all_pages(
        &sim,
        CUST,
        &format!("&startDate={day}&endDate={day}%2023:59:59"),
        100,
    )
    .await;
    assert!(window
        .iter()
        .all(|r| audit_gen::time::iso_utc(r["autoUpdateTime"].as_i64().unwrap()).starts_with(day)));
    assert!(!window.is_empty());

    // referenceType (any spelling) and referenceValue.
    let has_event = |r: &Value, t: &str, f: Option<&str>| {
        r["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["eventType"] == t && f.is_none_or(|f| e["updatedField"] == f))
    };
    let ids = all_pages(&sim, CUST, "&referenceType=Identifier", 100).await;
    assert_eq!(ids.len(), count(&|r| has_event(r, "Identifiers", None)));
    let mobile = all_pages(
        &sim,
        CUST,
        "&referenceType=Identifier&referenceValue=mobile",
        100,
    )
    .await;
    assert_eq!(
        mobile.len(),
        count(&|r| has_event(r, "Identifiers", Some("mobile")))
    );
    assert!(!mobile.is_empty() && mobile.len() < ids.len());
    let comm = all_pages(&sim, CUST, "&referenceType=commchannel", 100).await;
    assert_eq!(
        comm.len(),
        count(&|r| has_event(r, "Communication Channels", None))
    );
    let status = all_pages(&sim, CUST, "&referenceType=CustomerStatus", 100).await;
    assert_eq!(
        status.len(),
        count(&|r| has_event(r, "Customer Status", None))
    );
    let merges = all_pages(&sim, CUST, "&referenceType=CustomerMerge", 100).await;
    assert_eq!(merges.len(), 1);
    assert!(merges[0]["victimUserDetails"].is_object());
    assert!(all_pages(&sim, CUST, "&referenceType=CardStatus", 10)
        .await
        .is_empty());
    let card = all_pages(
        &sim,
        "/api_gateway/v2/audits?entityType=CARD&entityId=648090",
        "&referenceType=CardStatus",
        10,
    )
    .await;
    assert_eq!(card.len(), 4);
}

#[tokio::test]
async fn user_context_only_when_asked() {
    let sim = start(small_config()).await;
    let off = all_pages(&sim, CUST, "", 100).await;
    assert!(off.iter().all(|r| r["userContextDetails"].is_null()));
    let on = all_pages(&sim, CUST, "&includeUserContext=TRUE", 100).await;
    assert!(on.iter().all(|r| r["userContextDetails"].is_object()));
    assert!(on
        .iter()
        .any(|r| r["userContextDetails"]["entityType"] == "INTOUCH_ADMIN_USER"));
    assert_eq!(
        all_pages(&sim, CUST, "&includeUserContext=false", 100).await,
        off
    );
}

#[tokio::test]
async fn bad_parameters_get_400_with_the_envelope() {
    let sim = start(capillary_sim::Config {
        max_limit: 50,
        ..small_config()
    })
    .await;
    for (q, why) in [
        ("entityId=98662653", "missing entityType"),
        ("entityType=CUSTOMER", "missing entityId"),
        ("entityType=USER&entityId=1", "bad entityType"),
        ("entityType=CUSTOMER&entityId=abc", "bad entityId"),
        ("entityType=CUSTOMER&entityId=98662653&limit=0", "limit 0"),
        (
            "entityType=CUSTOMER&entityId=98662653&limit=51",
            "limit over max",
        ),
        ("entityType=CUSTOMER&entityId=98662653&limit=x", "limit nan"),
        (
            "entityType=CUSTOMER&entityId=98662653&pageNo=-1",
            "negative page",
        ),
        (
            "entityType=CUSTOMER&entityId=98662653&sortOrder=UP",
            "sortOrder",
        ),
        (
            "entityType=CUSTOMER&entityId=98662653&sortBy=requestId",
            "sortBy",
        ),
        (
            "entityType=CUSTOMER&entityId=98662653&startDate=18-08-2022",
            "startDate",
        ),
        (
            "entityType=CUSTOMER&entityId=98662653&endDate=2022-02-30",
            "endDate",
        ),
        (
            "entityType=CUSTOMER&entityId=98662653&includeUserContext=yes",
            "includeUserContext",
        ),
    ] {
        for path in ["/api_gateway/v2/audits", "/v2/auditLog/get"] {
            let r = get(&sim, &format!("{path}?{q}")).await;
            assert_eq!(r.status, 400, "{why} on {path}");
            assert_eq!(r.code(), 400, "{why}");
        }
    }
    assert_eq!(get(&sim, &format!("{CUST}&limit=50")).await.status, 200);
}

#[tokio::test]
async fn unknown_entities_wrong_paths_and_methods() {
    let sim = start(small_config()).await;
    let r = get(
        &sim,
        "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=1",
    )
    .await;
    assert_eq!((r.status, r.code()), (404, 8015));
    let r = get(&sim, "/v2/auditLog/get?entityType=CARD&entityId=1").await;
    assert_eq!((r.status, r.code()), (404, 3010));
    let r = get(&sim, "/v2/customers/1/statusLog").await;
    assert_eq!((r.status, r.code()), (404, 8015));
    assert_eq!(
        r.json()["errors"][0]["message"],
        "Customer not found for the given identifiers"
    );
    let r = get(&sim, "/v2/customers/abc/statusLog").await;
    assert_eq!((r.status, r.code()), (400, 400));
    let r = get(&sim, "/v2/card/statusLog?number=NOPE").await;
    assert_eq!((r.status, r.code()), (404, 3010));
    let r = get(&sim, "/v2/card/statusLog").await;
    assert_eq!(r.status, 400);
    let r = get(&sim, "/v2/audits").await;
    assert_eq!((r.status, r.code()), (404, 404));
    let r = send(
        client()
            .post(format!("{}{CUST}", sim.url()))
            .header("Authorization", auth()),
    )
    .await;
    assert_eq!((r.status, r.code()), (404, 404));
    let r = send(client().get(format!("{}/v3/oauth/token/generate", sim.url()))).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn status_logs_follow_the_status_events() {
    let sim = start(small_config()).await;
    let log = get(&sim, "/v2/customers/98662653/statusLog").await;
    assert_eq!(log.status, 200);
    let v = log.json();
    assert_eq!(v["warnings"], serde_json::json!([]));
    let entries = v["data"].as_array().unwrap();
    let events = all_pages(
        &sim,
        CUST,
        "&referenceType=CustomerStatus&sortOrder=DESC",
        100,
    )
    .await;
    assert_eq!(
        entries.len(),
        events.len() + 1,
        "registration + one per change"
    );
    for (entry, rec) in entries.iter().zip(&events) {
        assert_eq!(
            entry["status"],
            rec["events"][0]["additionalFields"]["currentValue"]
        );
        let day = audit_gen::time::iso_utc(rec["autoUpdateTime"].as_i64().unwrap());
        let created =
            audit_gen::time::parse_query_date(entry["createdOn"].as_str().unwrap()).unwrap();
        assert_eq!(audit_gen::time::iso_utc(created), day);
        assert_eq!(entry["autoUpdateTime"].as_str().unwrap().len(), 10);
        assert_eq!(entry["entityId"], 98662653);
    }
    assert_eq!(entries[0]["isActive"], true);
    assert!(entries[1..].iter().all(|e| e["isActive"] == false));

    // Card log by number: the number is the customer's cardnumber identifier.
    let card_events = all_pages(
        &sim,
        "/api_gateway/v2/audits?entityType=CARD&entityId=648090",
        "",
        10,
    )
    .await;
    let rid = card_events.last().unwrap()["requestId"].clone();
    let issue = all_pages(
        &sim,
        CUST,
        "&referenceType=Identifier&referenceValue=cardnumber",
        100,
    )
    .await;
    let number = issue
        .iter()
        .find(|r| r["requestId"] == rid)
        .map(|r| {
            r["events"][0]["additionalFields"]["currentValue"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap();
    let v = get(&sim, &format!("/v2/card/statusLog?number={number}"))
        .await
        .json();
    let entries = v["data"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries.last().unwrap()["status"], "NOT_ISSUED");
    assert_eq!(entries[0]["isActive"], true);
}

#[tokio::test]
async fn lookup_finds_current_identifiers_only() {
    let sim = start(small_config()).await;
    let demo: Value = serde_json::from_slice(&audit_gen::demo().customer_lookup).unwrap();
    for ident in demo["profiles"][0]["identifiers"].as_array().unwrap() {
        let (name, value) = (
            ident["type"].as_str().unwrap(),
            ident["value"].as_str().unwrap(),
        );
        let r = get(&sim, &format!("/v2/customers/lookup/customerDetails?source=instore&identifierName={name}&identifierValue={value}")).await;
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(r.json()["id"], DEMO_ID);
    }
    // An old mobile (replaced later) no longer resolves.
    let mobiles = all_pages(
        &sim,
        &format!("/api_gateway/v2/audits?entityType=CUSTOMER&entityId={DEMO_ID}"),
        "&referenceValue=mobile&sortOrder=ASC",
        100,
    )
    .await;
    let first = mobiles[0]["events"][0]["additionalFields"]["currentValue"]
        .as_str()
        .unwrap();
    let current = demo["profiles"][0]["identifiers"][0]["value"]
        .as_str()
        .unwrap();
    assert_ne!(first, current);
    let r = get(&sim, &format!("/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue={first}")).await;
    assert_eq!((r.status, r.code()), (404, 8015));
    let r = get(&sim, "/v2/customers/lookup/customerDetails?source=NOWHERE&identifierName=mobile&identifierValue=1").await;
    assert_eq!((r.status, r.code()), (400, 8003));
    let r = get(&sim, "/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=phone&identifierValue=1").await;
    assert_eq!(r.status, 400);
    let r = get(
        &sim,
        "/v2/customers/lookup/customerDetails?identifierName=mobile&identifierValue=1",
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn big_entities_page_correctly_across_snapshots() {
    // 3000 records: pages cross the simulator's 256-record snapshots.
    let cfg = capillary_sim::Config {
        customers: vec![capillary_sim::CustomerSize {
            id: Some(5),
            records: 3000,
            cards: vec![],
            merge: true,
        }],
        ..capillary_sim::Config::default()
    };
    let world = audit_gen::World::new(cfg.world_config().unwrap());
    let records: Vec<audit_gen::Record> = world.entities()[0].stream().collect();
    let sim = start(cfg).await;
    for (limit, page) in [(300u64, 1u64), (100, 2), (1000, 2), (7, 300)] {
        let r = get(&sim, &format!("/api_gateway/v2/audits?entityType=CUSTOMER&entityId=5&sortOrder=ASC&limit={limit}&pageNo={page}")).await;
        let start = (limit * page) as usize;
        let end = (start + limit as usize).min(records.len());
        let mut w = audit_gen::PageWriter::new(audit_gen::Shape::Current);
        for rec in &records[start..end] {
            w.push(rec, false);
        }
        let expected = w.finish(&audit_gen::Pagination::for_page(3000, limit, page));
        assert_eq!(r.body, expected, "limit {limit} page {page}");
    }
}
