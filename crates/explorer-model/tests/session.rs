//! The session plan driven as the UI drives it: poll, perform what it hands out (a scripted
//! server here), have the engine read each answer, report the read. Every way of opening an
//! entity, the failures, resume and OAuth renewal.
// capillary-client's Problem is the error of these scripted servers, as in the client itself.
#![allow(clippy::result_large_err)]

use audit_gen::{error_body, PageWriter, Pagination, Shape};
use capillary_client::{
    ApiBase, AuditParams, Cluster, EntityType, Generation, IdentifierName, Problem as ApiProblem,
};
use explorer_model::{
    Answer, ApiRequest, AuthKind, Command, Engine, FixedOffsets, Read, Request, SessionPlan,
    SessionSettings, Step, Target, Update,
};

const T0: u64 = 1_700_000_000_000;

fn request(target: Target, entity_type: EntityType, auth: AuthKind) -> ApiRequest {
    let id = match &target {
        Target::Entity(_, id) => *id,
        Target::Identifier(..) => 1,
    };
    ApiRequest {
        api: "eu".into(),
        base: ApiBase::cluster(Cluster::Eu),
        auth,
        target,
        params: AuditParams::new(entity_type, id),
        generation: Generation::Current,
    }
}

/// The plan for `target` (an entity or an identifier) with the test settings.
fn plan_for(target: Target, entity_type: EntityType, auth: AuthKind) -> SessionPlan {
    SessionPlan::new(request(target, entity_type, auth), settings())
}

/// Customer 5 by its id.
fn customer_5(auth: AuthKind) -> SessionPlan {
    plan_for(
        Target::Entity(EntityType::Customer, 5),
        EntityType::Customer,
        auth,
    )
}

fn settings() -> SessionSettings {
    SessionSettings {
        page_size: 10,
        rate_limit: None,
        cross_origin: true,
    }
}

fn record(n: u64, entity: i64) -> String {
    format!(
        r#"{{"entityType":"CUSTOMER","entityId":{entity},"requestId":"r{n:030}","autoUpdateTime":{},"events":[{{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{{"previousValue":"{n}","currentValue":"{}"}}}}]}}"#,
        1_600_000_000_000 + n,
        n + 1
    )
}

fn page(total: u64, page: u64, entity: i64) -> Vec<u8> {
    let pg = Pagination::for_page(total, 10, page);
    let mut w = PageWriter::new(Shape::Current);
    for n in pg.range(10) {
        w.push_raw(&record(n, entity));
    }
    w.finish(&pg)
}

fn ok(body: Vec<u8>) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

/// What a driven session saw.
#[derive(Debug, Default)]
struct Run {
    urls: Vec<String>,
    notices: Vec<String>,
    renewals: u32,
    end: Option<Step>,
}

/// Drives `plan` to its end: `server` answers each request by URL (a network failure is
/// `Err`), the engine reads answers, `renew` answers token renewals.
fn drive(
    plan: &mut SessionPlan,
    engine: &mut Engine,
    server: &mut dyn FnMut(&str) -> Result<Answer, ApiProblem>,
    renew: &mut dyn FnMut(u32) -> Result<(), ApiProblem>,
) -> Run {
    let mut run = Run::default();
    let mut now = T0;
    engine.handle(
        Command::BeginLive {
            label: "test".into(),
        },
        now as i64,
    );
    for _ in 0..10_000 {
        let steps = plan.poll(now, false);
        if steps.is_empty() {
            now += 1_000;
            continue;
        }
        for step in steps {
            match step {
                Step::RenewToken => {
                    run.renewals += 1;
                    plan.token_renewed(renew(run.renewals));
                }
                Step::Send(Request { id, url, purpose }) => {
                    run.urls.push(url.clone());
                    let read = match server(&url) {
                        Ok(answer) => engine
                            .handle(
                                Command::Read {
                                    request: id,
                                    purpose,
                                    answer,
                                },
                                now as i64,
                            )
                            .into_iter()
                            .find_map(|u| match u {
                                Update::Read { request, read } if request == id => Some(read),
                                _ => None,
                            })
                            .expect("the engine reads every answer"),
                        Err(problem) => Read::Failed {
                            status: None,
                            problem,
                        },
                    };
                    plan.on_read(id, read, now);
                }
                Step::Wait { until_ms, .. } => now = now.max(until_ms),
                Step::Notice(p) => run.notices.push(p.message),
                end @ (Step::Done | Step::Failed(_) | Step::Cancelled) => {
                    engine.handle(Command::FinishLive, now as i64);
                    run.end = Some(end);
                    return run;
                }
            }
        }
    }
    panic!("the session did not end");
}

fn engine() -> Engine {
    Engine::new(Box::new(FixedOffsets))
}

fn no_renewal(_: u32) -> Result<(), ApiProblem> {
    panic!("no token is needed")
}

/// The simulator's answers for customer 5 (25 records) and card 77 (number DIWALI1).
fn server(url: &str) -> Result<Answer, ApiProblem> {
    let query = |k: &str| {
        url.split(['?', '&'])
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .map(str::to_owned)
    };
    if url.contains("/v2/customers/lookup/customerDetails") {
        return Ok(match query("identifierValue").as_deref() {
            Some("9988776655") | Some("DIWALI1") => ok(br#"{"id": 5, "profiles": []}"#.to_vec()),
            _ => ok(error_body(
                8015,
                "Customer not found for the given identifiers",
            )),
        });
    }
    if url.contains("/v2/customers/5/statusLog") {
        return Ok(ok(br#"{"data":[{"entityId":5,"status":"ACTIVE","label":"Gold","isActive":true,"createdOn":"2024-01-01T00:00:00Z"}]}"#.to_vec()));
    }
    if url.contains("/v2/card/statusLog") {
        return Ok(match query("number").as_deref() {
            Some("DIWALI1") => ok(br#"{"data":[{"entityId":77,"status":"ACTIVE","isActive":true,"createdOn":"2024-01-01T00:00:00Z"}]}"#.to_vec()),
            _ => ok(br#"{"data":[]}"#.to_vec()),
        });
    }
    if url.contains("/api_gateway/v2/audits") {
        let entity: i64 = query("entityId").unwrap().parse().unwrap();
        let page_no: u64 = query("pageNo").unwrap().parse().unwrap();
        return Ok(ok(page(25, page_no, entity)));
    }
    panic!("unexpected request {url}");
}

fn pages_of(run: &Run, entity: &str) -> usize {
    run.urls
        .iter()
        .filter(|u| {
            u.contains("/api_gateway/v2/audits") && u.contains(&format!("entityId={entity}&"))
        })
        .count()
}

#[test]
fn an_entity_by_id_loads_its_status_log_and_every_page() {
    let mut plan = customer_5(AuthKind::Basic);
    let run = drive(&mut plan, &mut engine(), &mut server, &mut no_renewal);
    assert_eq!(run.end, Some(Step::Done));
    assert!(
        run.urls[0].ends_with("/v2/customers/5/statusLog"),
        "{:?}",
        run.urls
    );
    assert_eq!(pages_of(&run, "5"), 3, "25 records in pages of 10");
    assert!(
        plan.summary(T0)
            .starts_with("25 of 25 records loaded · 3 of 3 pages"),
        "{}",
        plan.summary(T0)
    );
}

#[test]
fn an_identifier_is_looked_up_then_the_customer_is_loaded() {
    let target = Target::Identifier(IdentifierName::Mobile, "9988776655".into());
    let mut plan = plan_for(target, EntityType::Customer, AuthKind::Basic);
    assert_eq!(plan.summary(T0), "Looking up mobile 9988776655…");
    let run = drive(&mut plan, &mut engine(), &mut server, &mut no_renewal);
    assert_eq!(run.end, Some(Step::Done));
    assert!(run.urls[0].contains(
        "customerDetails?source=INSTORE&identifierName=mobile&identifierValue=9988776655"
    ));
    assert!(run
        .urls
        .iter()
        .any(|u| u.ends_with("/v2/customers/5/statusLog")));
    assert_eq!(pages_of(&run, "5"), 3);
}

#[test]
fn a_card_by_number_takes_its_id_from_its_status_log() {
    let target = Target::Identifier(IdentifierName::CardNumber, "DIWALI1".into());
    let mut plan = plan_for(target, EntityType::Card, AuthKind::Basic);
    let run = drive(&mut plan, &mut engine(), &mut server, &mut no_renewal);
    assert_eq!(run.end, Some(Step::Done));
    assert!(run.urls[0].ends_with("/v2/card/statusLog?number=DIWALI1"));
    assert!(
        !run.urls.iter().any(|u| u.contains("customerDetails")),
        "no lookup for a card"
    );
    assert!(
        !run.urls.iter().any(|u| u.contains("/v2/customers/")),
        "no customer status log"
    );
    assert_eq!(pages_of(&run, "77"), 3);
    assert!(run
        .urls
        .iter()
        .all(|u| !u.contains("/audits") || u.contains("entityType=CARD")));
}

#[test]
fn a_card_number_opening_its_customer_also_loads_the_cards_status_log() {
    let target = Target::Identifier(IdentifierName::CardNumber, "DIWALI1".into());
    let mut plan = plan_for(target, EntityType::Customer, AuthKind::Basic);
    let run = drive(&mut plan, &mut engine(), &mut server, &mut no_renewal);
    assert_eq!(run.end, Some(Step::Done));
    assert!(run.urls[0].contains("identifierName=cardnumber"));
    assert!(run
        .urls
        .iter()
        .any(|u| u.ends_with("/v2/customers/5/statusLog")));
    assert!(run
        .urls
        .iter()
        .any(|u| u.ends_with("/v2/card/statusLog?number=DIWALI1")));
    assert_eq!(pages_of(&run, "5"), 3);
}

#[test]
fn failures_to_find_the_entity_stop_the_session_named() {
    let target = Target::Identifier(IdentifierName::Email, "nobody@example.com".into());
    let mut plan = plan_for(target, EntityType::Customer, AuthKind::Basic);
    let run = drive(&mut plan, &mut engine(), &mut server, &mut no_renewal);
    match run.end {
        Some(Step::Failed(p)) => assert_eq!((p.kind_str(), p.code), ("not-found", Some(8015))),
        other => panic!("{other:?}"),
    }
    assert_eq!(run.urls.len(), 1, "nothing after a failed lookup");

    let target = Target::Identifier(IdentifierName::CardNumber, "NOSUCH".into());
    let mut card = plan_for(target, EntityType::Card, AuthKind::Basic);
    let run = drive(&mut card, &mut engine(), &mut server, &mut no_renewal);
    match run.end {
        Some(Step::Failed(p)) => assert!(
            p.api_message
                .as_deref()
                .is_some_and(|m| m.contains("names no card id")),
            "{p:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_status_log_that_fails_is_a_notice_and_the_trail_still_loads() {
    let mut failing = |url: &str| {
        if url.contains("statusLog") {
            return Ok(Answer {
                status: 500,
                headers: Vec::new(),
                body: b"oops".to_vec(),
            });
        }
        server(url)
    };
    let mut plan = customer_5(AuthKind::Basic);
    let run = drive(&mut plan, &mut engine(), &mut failing, &mut no_renewal);
    assert_eq!(run.end, Some(Step::Done));
    assert_eq!(run.notices.len(), 1);
    assert!(
        run.notices[0].starts_with("Customer status log not loaded"),
        "{:?}",
        run.notices
    );
    assert_eq!(pages_of(&run, "5"), 3);
}

#[test]
fn a_listing_that_fails_resumes_without_asking_loaded_pages_again() {
    let mut flaky = |url: &str| {
        if url.contains("pageNo=2") {
            return Err(ApiProblem::network("connection reset", true, 1));
        }
        server(url)
    };
    let mut plan = customer_5(AuthKind::Basic);
    let mut e = engine();
    let first = drive(&mut plan, &mut e, &mut flaky, &mut no_renewal);
    assert!(
        matches!(first.end, Some(Step::Failed(ref p)) if p.kind_str() == "network"),
        "{:?}",
        first.end
    );
    assert!(plan.has_failed());
    plan.resume();
    let mut healthy = server;
    let again = drive(&mut plan, &mut e, &mut healthy, &mut no_renewal);
    assert_eq!(again.end, Some(Step::Done));
    assert_eq!(
        again.urls.len(),
        1,
        "only the missing page: {:?}",
        again.urls
    );
    assert!(again.urls[0].contains("pageNo=2"));
}

#[test]
fn a_session_that_failed_before_its_entity_was_known_starts_again_from_the_lookup() {
    let mut lookups = 0;
    let mut flaky = |url: &str| {
        if url.contains("customerDetails") {
            lookups += 1;
            if lookups == 1 {
                return Ok(Answer {
                    status: 503,
                    headers: Vec::new(),
                    body: Vec::new(),
                });
            }
        }
        server(url)
    };
    let target = Target::Identifier(IdentifierName::Mobile, "9988776655".into());
    let mut plan = plan_for(target, EntityType::Customer, AuthKind::Basic);
    let mut e = engine();
    let first = drive(&mut plan, &mut e, &mut flaky, &mut no_renewal);
    assert!(matches!(first.end, Some(Step::Failed(_))));
    plan.resume();
    let again = drive(&mut plan, &mut e, &mut flaky, &mut no_renewal);
    assert_eq!(again.end, Some(Step::Done));
    assert!(again.urls[0].contains("customerDetails"));
}

#[test]
fn oauth_gets_a_token_first_and_again_after_a_401() {
    let mut refused_once = false;
    let mut server_401 = |url: &str| {
        if url.contains("pageNo=1") && !refused_once {
            refused_once = true;
            return Ok(Answer {
                status: 401,
                headers: Vec::new(),
                body: Vec::new(),
            });
        }
        server(url)
    };
    let mut plan = customer_5(AuthKind::OAuth);
    assert_eq!(plan.summary(T0), "Getting an OAuth token…");
    assert_eq!(plan.poll(T0, false), vec![Step::RenewToken]);
    assert!(
        plan.poll(T0, false).is_empty(),
        "nothing is sent while the token is awaited"
    );
    plan.token_renewed(Ok(()));
    let mut renew = |_| Ok(());
    let run = drive(&mut plan, &mut engine(), &mut server_401, &mut renew);
    assert_eq!(run.end, Some(Step::Done));
    assert_eq!(run.renewals, 1, "renewed once after the 401");
    assert_eq!(
        run.urls.iter().filter(|u| u.contains("pageNo=1")).count(),
        2,
        "page 1 asked again"
    );

    // A token that cannot be had stops the session with why.
    let mut plan = customer_5(AuthKind::OAuth);
    let mut refuse = |_| {
        Err(ApiProblem::unrecognised(
            "the token endpoint refused the key".into(),
        ))
    };
    let run = drive(&mut plan, &mut engine(), &mut server, &mut refuse);
    assert!(
        matches!(run.end, Some(Step::Failed(ref p)) if p.kind_str() == "unrecognised"),
        "{:?}",
        run.end
    );
    assert!(run.urls.is_empty(), "nothing sent without a token");
}

#[test]
fn a_due_token_is_renewed_before_anything_else_is_sent() {
    let mut plan = customer_5(AuthKind::Basic);
    assert_eq!(plan.poll(T0, true), vec![Step::RenewToken]);
    plan.token_renewed(Ok(()));
    assert!(plan
        .poll(T0, false)
        .iter()
        .any(|s| matches!(s, Step::Send(_))));
}

#[test]
fn cancel_stops_sending_and_keeps_what_loaded() {
    let mut plan = customer_5(AuthKind::Basic);
    let first = plan.poll(T0, false);
    assert!(first.iter().any(|s| matches!(s, Step::Send(_))));
    plan.cancel();
    assert_eq!(plan.poll(T0, false), vec![Step::Cancelled]);
    assert!(plan.is_over());
}
