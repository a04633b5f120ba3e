//! Dataset files (replayed responses) and serving a built dist/.

mod common;
use capillary_sim::Config;
use common::*;

/// Shaped like the docs' examples: a current page of a customer (the
/// card's issue shares requestId 91a3… with the card's records), the card's
/// page, and a legacy page of the same customer.
const CURRENT_PAGE: &str = r#"{"data":[
{"updatedByUser":null,"updatedBy":75083604,"orgId":100458,"entityType":"CUSTOMER","entityId":98662653,"createdOn":1700733054030,"requestId":"25b7780ed479ce80cd95326bcd2a3d91","till":null,"store":null,"userContextDetails":null,"victimUserDetails":null,"survivorUserDetails":null,"source":"INSTORE","updatedByMode":"API","autoUpdateTime":1700733053872,"events":[{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{"previousValue":"9988776655","currentValue":"9986000581"},"associateEntities":null}]},
{"updatedByUser":null,"updatedBy":75083604,"orgId":100458,"entityType":"CUSTOMER","entityId":98662653,"createdOn":1687954900362,"requestId":"91a3cfc4b2bbcb9426bbfb51966b6549","till":null,"store":null,"userContextDetails":null,"victimUserDetails":null,"survivorUserDetails":null,"source":"INSTORE","updatedByMode":"API","autoUpdateTime":1687954900155,"events":[{"eventType":"Identifiers","updatedField":"cardnumber","additionalFields":{"previousValue":"NA","currentValue":"BUK0000044849PR"},"associateEntities":null}]},
{"updatedByUser":null,"updatedBy":75015489,"orgId":100458,"entityType":"CUSTOMER","entityId":98662653,"createdOn":1712905980709,"requestId":"c6d0e3f2c8f0fe7d661bbd8725bd6511","till":null,"store":null,"userContextDetails":{"entityType":"INTOUCH_ADMIN_USER","entityId":"75015489","entitySource":"MEMBER_CARE","entitySourceId":"Achyuthanandan S"},"victimUserDetails":null,"survivorUserDetails":null,"source":null,"updatedByMode":"MEMBER_CARE","autoUpdateTime":1712905980699,"events":[{"eventType":"Customer Status","updatedField":"CustomerStatus","additionalFields":{"previousLabelId":"54","previousValue":"ACTIVE","currentValue":"ACTIVE","currentLabelId":"55"},"associateEntities":null}]}
],"pagination":{"totalElements":3,"totalPages":1,"numberOfElements":3,"number":0}}"#;

const CARD_PAGE: &str = r#"{"data":[
{"updatedByUser":null,"updatedBy":75083604,"orgId":100458,"entityType":"CARD","entityId":648089,"createdOn":1687954900309,"requestId":"91a3cfc4b2bbcb9426bbfb51966b6549","till":null,"store":null,"userContextDetails":null,"victimUserDetails":null,"survivorUserDetails":null,"source":null,"updatedByMode":"API","autoUpdateTime":1687954900305,"events":[{"eventType":"Card Status","updatedField":"CardStatus","additionalFields":{"previousLabelId":"26","previousValue":"NOT_ISSUED","currentValue":"ACTIVE","currentLabelId":"15"},"associateEntities":[{"entityType":"CUSTOMER","entityId":98662653}]}]},
{"updatedByUser":null,"updatedBy":75083604,"orgId":100458,"entityType":"CARD","entityId":648089,"createdOn":1687954899985,"requestId":"91a3cfc4b2bbcb9426bbfb51966b6549","till":null,"store":null,"userContextDetails":null,"victimUserDetails":null,"survivorUserDetails":null,"source":null,"updatedByMode":"API","autoUpdateTime":1687954899980,"events":[{"eventType":"Card Status","updatedField":"CardStatus","additionalFields":{"labelId":"26","value":"NOT_ISSUED"},"associateEntities":[{"entityType":null,"entityId":null}]}]}
],"pagination":{"totalElements":2,"totalPages":1,"numberOfElements":2,"number":0}}"#;

const LEGACY_PAGE: &str = r#"{"entity":[{"updatedByUser":"aldo.till.1","updatedBy":75046492,"orgId":100458,"entityType":"CUSTOMER","entityId":98662653,"createdOn":"2023-10-27T06:14:41Z","requestId":"bb0d64d91e81a11daa729b169272f2c9","till":{"code":"aldo.till.1","name":"aldo.till.1"},"store":{"code":"aldo.demo","name":"ALDO Store","externalId":"aldo","externalId1":"","externalId2":""},"userContextDetails":{},"source":"MAPP_SDK","updatedByMode":"API","autoUpdateTime":"2023-10-27T06:14:41Z","events":[{"eventType":"CommChannel","updatedField":"ios","additionalFields":{"currentValue":"dDK3","previousValue":"fCyv"}}]}],"warnings":[],"errors":[],"success":true}"#;

fn record_texts(page: &str) -> Vec<String> {
    // The records' exact text (top-level objects of the first array), as
    // the simulator must replay it.
    let inner = page.split_once('[').unwrap().1;
    let mut out = Vec::new();
    let (mut depth, mut start, mut in_str, mut esc) = (0, 0, false, false);
    for (i, c) in inner.char_indices() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (false, _, '"') => in_str = true,
            (false, _, '{') => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            (false, _, '}') => {
                depth -= 1;
                if depth == 0 {
                    out.push(inner[start..=i].to_string());
                }
            }
            (false, _, ']') if depth == 0 => break,
            _ => {}
        }
    }
    out
}

fn dataset_config(name: &str) -> Config {
    let dir = temp_dir(name);
    let file = dir.join("saved.json");
    std::fs::write(&file, format!("[{CURRENT_PAGE},{CARD_PAGE},{LEGACY_PAGE}]")).unwrap();
    Config {
        customers: vec![],
        datasets: vec![file],
        ..Config::default()
    }
}

#[tokio::test]
async fn saved_responses_are_replayed_verbatim_and_converted() {
    let sim = start(dataset_config("replay")).await;
    let r = get(
        &sim,
        "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&limit=10",
    )
    .await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body.clone()).unwrap();
    // Current-shape records byte for byte, newest first.
    let saved = record_texts(CURRENT_PAGE);
    assert!(
        text.starts_with(&format!("{{\"data\":[{},", saved[2])),
        "{text}"
    );
    for s in &saved {
        assert!(text.contains(s.as_str()));
    }
    let v = r.json();
    assert_eq!(v["pagination"]["totalElements"], 4);
    // The legacy record, converted to the current shape.
    let converted = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requestId"] == "bb0d64d91e81a11daa729b169272f2c9")
        .unwrap();
    assert_eq!(converted["autoUpdateTime"], 1_698_387_281_000i64);
    assert_eq!(
        converted["events"][0]["eventType"],
        "Communication Channels"
    );
    assert!(converted["victimUserDetails"].is_null());
    // And the legacy endpoint replays the legacy record verbatim.
    let legacy = get(
        &sim,
        "/v2/auditLog/get?entityType=CUSTOMER&entityId=98662653&referenceType=CommChannel",
    )
    .await;
    let lt = String::from_utf8(legacy.body).unwrap();
    assert!(lt.contains(&record_texts(LEGACY_PAGE)[0]), "{lt}");
    // Filters work on replayed data (legacy spelling included).
    let ids = get(
        &sim,
        "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&referenceType=Identifier",
    )
    .await
    .json();
    assert_eq!(ids["pagination"]["totalElements"], 2);
    let src = get(
        &sim,
        "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&source=mapp_sdk",
    )
    .await
    .json();
    assert_eq!(src["pagination"]["totalElements"], 1);
    // Unknown entities are still unknown.
    assert_eq!(
        get(
            &sim,
            &format!("/api_gateway/v2/audits?entityType=CUSTOMER&entityId={DEMO_ID}")
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn replayed_data_feeds_status_logs_and_lookups() {
    let sim = start(dataset_config("derived")).await;
    let log = get(&sim, "/v2/customers/98662653/statusLog").await.json();
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
    assert_eq!(log["data"][0]["status"], "ACTIVE");
    assert_eq!(log["data"][0]["label"], "Platinum");
    assert_eq!(log["data"][0]["isActive"], true);
    // The card number comes from the customer's cardnumber event that
    // shares the card's issue requestId.
    let card = get(&sim, "/v2/card/statusLog?number=BUK0000044849PR").await;
    assert_eq!(card.status, 200);
    let entries = card.json()["data"].as_array().unwrap().clone();
    assert_eq!(
        entries
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ACTIVE", "NOT_ISSUED"]
    );
    let found = get(&sim, "/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=9986000581").await;
    assert_eq!(found.json()["id"], 98662653);
    let old = get(&sim, "/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=9988776655").await;
    assert_eq!(old.status, 404);
    // Arrivals on replayed data continue after the newest saved record.
    let p = get_with(
        &sim,
        "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&limit=2",
        "X-Sim-Fault",
        "shift=2",
    )
    .await
    .json();
    assert_eq!(p["pagination"]["totalElements"], 6);
    assert!(p["data"][1]["autoUpdateTime"].as_i64().unwrap() > 1_712_905_980_699);
}

#[tokio::test]
async fn a_damaged_dataset_is_refused_with_its_error() {
    let dir = temp_dir("damaged");
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"{"data":[{"entityType":"CUSTOMER","entityId":1 "events":[]}]}"#,
    )
    .unwrap();
    let err = capillary_sim::spawn(Config {
        datasets: vec![file],
        ..Config::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("bad.json"), "{err}");
}

fn dist_dir(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("index.html"), "<html>explorer</html>").unwrap();
    std::fs::write(dir.join("app.js"), "console.log('app')").unwrap();
    dir
}

#[tokio::test]
async fn dist_is_served_under_a_prefix_beside_the_api() {
    let dir = dist_dir("dist-prefix");
    let sim = start(Config {
        dist: Some(dir),
        dist_prefix: "/tools/audit/".into(),
        ..small_config()
    })
    .await;
    let index = send(client().get(format!("{}/tools/audit/", sim.url()))).await;
    assert_eq!(
        (index.status, index.body.as_slice()),
        (200, b"<html>explorer</html>".as_slice())
    );
    let js = send(client().get(format!("{}/tools/audit/app.js", sim.url()))).await;
    assert_eq!(js.body, b"console.log('app')");
    assert!(js.header("content-type").unwrap().contains("javascript"));
    // The bare prefix redirects to the slash form (the build's asset URLs are relative).
    let bare = send(client().get(format!("{}/tools/audit", sim.url()))).await;
    assert_eq!(bare.status, 200, "redirect followed");
    assert_eq!(bare.body, b"<html>explorer</html>");
    let no_follow = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = send(no_follow.get(format!("{}/tools/audit", sim.url()))).await;
    assert_eq!(redirect.status, 308);
    assert_eq!(
        redirect.header("location").as_deref(),
        Some("/tools/audit/")
    );
    // Client-side routes get index.html.
    let deep = send(client().get(format!("{}/tools/audit/customer/42", sim.url()))).await;
    assert_eq!(deep.body, b"<html>explorer</html>");
    // The API is unaffected and other paths still 404 with the envelope.
    assert_eq!(
        get(&sim, "/v2/customers/98662653/statusLog").await.status,
        200
    );
    let other = send(client().get(format!("{}/elsewhere", sim.url()))).await;
    assert_eq!((other.status, other.code()), (404, 404));
}

#[tokio::test]
async fn dist_at_the_root() {
    let sim = start(Config {
        dist: Some(dist_dir("dist-root")),
        ..small_config()
    })
    .await;
    let index = send(client().get(format!("{}/", sim.url()))).await;
    assert_eq!(index.body, b"<html>explorer</html>");
    assert_eq!(
        send(client().get(format!("{}/app.js", sim.url())))
            .await
            .status,
        200
    );
    assert_eq!(
        get(
            &sim,
            "/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653"
        )
        .await
        .status,
        200
    );
}
