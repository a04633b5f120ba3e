//! Incremental refresh, driven as the page drives it: a 10,000-record trail loaded in full, three
//! records arrive, and a refresh asks only for what is newer than the newest loaded event
//! (counting requests), merges it into what is shown, and marks it. A refresh that fails keeps
//! everything loaded.
#![allow(clippy::result_large_err)]

use audit_gen::{PageWriter, Pagination, Shape};
use capillary_client::{
    ApiBase, AuditParams, Cluster, EntityType, Generation, Problem as ApiProblem,
};
use explorer_model::session::{refresh_start_date, REFRESH_OVERLAP_MS};
use explorer_model::{
    Answer, ApiRequest, AuthKind, Command, Engine, FixedOffsets, Read, Request, SessionPlan,
    SessionSettings, Step, Target, Update,
};

const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;

/// A customer's audit trail as the API serves it: newest first, `startDate` honoured (read as
/// UTC, as the simulator does), `limit` and `pageNo`.
struct Trail {
    times: Vec<i64>,
    requests: Vec<String>,
    fail: bool,
    /// What each audit page read said, as the cache keeps it.
    facts: Vec<(String, u32, capillary_client::PageFacts)>,
}

impl Trail {
    fn new(records: usize) -> Trail {
        Trail {
            times: (0..records as i64).map(|n| T0 + n * MINUTE).collect(),
            requests: Vec::new(),
            fail: false,
            facts: Vec::new(),
        }
    }

    fn arrive(&mut self, n: usize) {
        let newest = *self.times.last().unwrap();
        self.times
            .extend((1..=n as i64).map(|k| newest + k * MINUTE));
    }

    fn answer(&mut self, url: &str) -> Result<Answer, ApiProblem> {
        self.requests.push(url.to_owned());
        let query = |k: &str| {
            url.split(['?', '&'])
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .map(|v| v.replace("%20", " ").replace("%3A", ":").replace('+', " "))
        };
        if self.fail {
            return Ok(Answer {
                status: 503,
                headers: Vec::new(),
                body: b"{}".to_vec(),
            });
        }
        if url.contains("/statusLog") {
            return Ok(ok(br#"{"data":[{"entityId":5,"status":"ACTIVE","isActive":true,"createdOn":"2024-01-01T00:00:00Z"}]}"#.to_vec()));
        }
        let limit: u64 = query("limit").unwrap().parse().unwrap();
        let page: u64 = query("pageNo").unwrap().parse().unwrap();
        let start = query("startDate").map(|d| audit_core::parse_time(&d).expect("a date"));
        let mut wanted: Vec<(usize, i64)> = self
            .times
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, t)| start.is_none_or(|s| *t >= s))
            .collect();
        wanted.reverse();
        let pg = Pagination::for_page(wanted.len() as u64, limit, page);
        let mut w = PageWriter::new(Shape::Current);
        for i in pg.range(limit) {
            let (n, t) = wanted[i as usize];
            w.push_raw(&format!(
                r#"{{"entityType":"CUSTOMER","entityId":5,"requestId":"r{n:030}","autoUpdateTime":{t},"events":[{{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{{"previousValue":"{n}","currentValue":"{}"}}}}]}}"#,
                n + 1
            ));
        }
        Ok(ok(w.finish(&pg)))
    }
}

fn ok(body: Vec<u8>) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body,
    }
}

fn request() -> ApiRequest {
    ApiRequest {
        api: "eu".into(),
        base: ApiBase::cluster(Cluster::Eu),
        auth: AuthKind::Basic,
        target: Target::Entity(EntityType::Customer, 5),
        params: AuditParams::new(EntityType::Customer, 5),
        generation: Generation::Current,
    }
}

fn settings() -> SessionSettings {
    SessionSettings {
        page_size: 50,
        rate_limit: None,
        cross_origin: true,
    }
}

/// Drives `plan` to its end against `trail`, the engine reading every answer; returns how it
/// ended and every update the engine sent.
fn drive(
    plan: &mut SessionPlan,
    engine: &mut Engine,
    trail: &mut Trail,
    now: i64,
) -> (Step, Vec<Update>) {
    let mut updates = Vec::new();
    let mut now = now as u64;
    for _ in 0..100_000 {
        let steps = plan.poll(now, false);
        if steps.is_empty() {
            now += 1_000;
            continue;
        }
        for step in steps {
            match step {
                Step::Send(Request { id, url, purpose }) => {
                    let asked = purpose.clone();
                    let read = match trail.answer(&url) {
                        Ok(answer) => {
                            let out = engine.handle(
                                Command::Read {
                                    request: id,
                                    purpose,
                                    answer,
                                },
                                now as i64,
                            );
                            let read = out
                                .iter()
                                .find_map(|u| match u {
                                    Update::Read { request, read } if *request == id => {
                                        Some(read.clone())
                                    }
                                    _ => None,
                                })
                                .expect("every answer is read");
                            updates.extend(out);
                            if let (
                                explorer_model::Purpose::AuditPage { listing, page, .. },
                                Read::Page(capillary_client::PageAnswer::Read(Ok(facts))),
                            ) = (&asked, &read)
                            {
                                trail.facts.push((listing.clone(), *page, facts.clone()));
                            }
                            read
                        }
                        Err(problem) => Read::Failed {
                            status: None,
                            problem,
                        },
                    };
                    plan.on_read(id, read, now);
                }
                Step::Wait { until_ms, .. } => now = now.max(until_ms),
                Step::Notice(_) | Step::RenewToken => {}
                end @ (Step::Done | Step::Failed(_) | Step::Cancelled) => return (end, updates),
            }
        }
    }
    panic!("the plan did not end");
}

/// The header as it stands (`FinishLive` re-sends it and changes nothing else).
fn report(engine: &mut Engine) -> explorer_model::Report {
    engine
        .handle(Command::FinishLive, T0)
        .into_iter()
        .find_map(|u| match u {
            Update::Report(r) => Some(r),
            _ => None,
        })
        .expect("a report")
}

fn rows(engine: &mut Engine, end: usize) -> Vec<explorer_model::views::RowView> {
    engine
        .handle(Command::Rows { start: 0, end }, T0)
        .into_iter()
        .find_map(|u| match u {
            Update::Rows(w) => Some(w.rows),
            _ => None,
        })
        .expect("rows")
}

/// A 10,000-record trail, loaded in full as a live session does.
fn loaded() -> (Engine, Trail) {
    let mut engine = Engine::new(Box::new(FixedOffsets));
    let mut trail = Trail::new(10_000);
    engine.handle(
        Command::BeginLive {
            label: "test".into(),
        },
        T0,
    );
    let mut plan = SessionPlan::new(request(), settings());
    let (end, _) = drive(&mut plan, &mut engine, &mut trail, T0);
    assert_eq!(end, Step::Done);
    engine.handle(Command::FinishLive, T0);
    assert_eq!(
        trail.requests.len(),
        201,
        "200 pages of 50 and the status log"
    );
    (engine, trail)
}

#[test]
fn a_refresh_of_10000_records_with_3_new_costs_2_requests_and_marks_the_3() {
    let (mut engine, mut trail) = loaded();
    let before = report(&mut engine);
    assert_eq!(before.events, 10_000);
    assert_eq!(before.new_events, 0);
    let newest = before.newest.expect("the newest event's time");
    assert_eq!(newest, T0 + 9_999 * MINUTE);

    trail.arrive(3);
    trail.requests.clear();
    engine.handle(Command::BeginRefresh, T0);
    let mut plan = SessionPlan::refresh(request(), settings(), newest);
    assert!(plan.is_refresh());
    let (end, _) = drive(&mut plan, &mut engine, &mut trail, T0 + 3_600_000);
    assert_eq!(end, Step::Done);
    let finished = engine.handle(Command::FinishRefresh, T0);
    assert!(
        trail.requests.len() <= 2,
        "only what is newer was asked for: {:?}",
        trail.requests
    );
    let audits: Vec<&String> = trail
        .requests
        .iter()
        .filter(|u| u.contains("/audits"))
        .collect();
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert!(audits[0].contains("startDate="), "{}", audits[0]);
    assert!(
        finished.contains(&Update::Refreshed { new_events: 3 }),
        "{finished:?}"
    );
    let after = report(&mut engine);
    assert_eq!((after.events, after.new_events), (10_003, 3));
    let top = rows(&mut engine, 5);
    let marked: Vec<bool> = top.iter().map(|r| r.new).collect();
    assert_eq!(
        marked,
        [true, true, true, false, false],
        "the newest three are marked"
    );

    // The next refresh with nothing new: no event is new any more, nothing was lost.
    trail.requests.clear();
    engine.handle(Command::BeginRefresh, T0);
    let mut plan = SessionPlan::refresh(request(), settings(), after.newest.unwrap());
    drive(&mut plan, &mut engine, &mut trail, T0 + 7_200_000);
    let finished = engine.handle(Command::FinishRefresh, T0);
    assert!(finished.contains(&Update::Refreshed { new_events: 0 }));
    assert!(rows(&mut engine, 5).iter().all(|r| !r.new));
    assert_eq!(report(&mut engine).events, 10_003);
}

#[test]
fn a_refresh_that_fails_keeps_everything_loaded() {
    let (mut engine, mut trail) = loaded();
    let newest = report(&mut engine).newest.unwrap();
    trail.arrive(3);
    trail.fail = true;
    engine.handle(Command::BeginRefresh, T0);
    let mut plan = SessionPlan::refresh(request(), settings(), newest);
    let (end, _) = drive(&mut plan, &mut engine, &mut trail, T0);
    assert!(matches!(end, Step::Failed(_)), "{end:?}");
    engine.handle(Command::FinishRefresh, T0);
    let after = report(&mut engine);
    assert_eq!((after.events, after.new_events), (10_000, 0));
}

#[test]
fn the_refresh_start_covers_any_zone_and_never_widens_the_link() {
    // 2023-11-14 22:13:20 UTC: 13 hours before is 09:13:20 the same day.
    assert_eq!(refresh_start_date(T0, None), "2023-11-14 09:13:20");
    assert_eq!(REFRESH_OVERLAP_MS, 13 * 3_600_000);
    // Read as UTC−12, the start is still at or before the newest event.
    let start = audit_core::parse_time(&refresh_start_date(T0, None)).unwrap();
    assert!(start + 12 * 3_600_000 <= T0);
    // A later startDate in the link wins; an earlier one does not widen the refresh.
    assert_eq!(
        refresh_start_date(T0, Some("2023-11-14 20:00")),
        "2023-11-14 20:00:00"
    );
    assert_eq!(
        refresh_start_date(T0, Some("2020-01-01")),
        "2023-11-14 09:13:20"
    );
}

#[test]
fn a_load_interrupted_by_a_reload_resumes_after_the_pages_it_kept() {
    let (_, mut trail) = loaded();
    // What the interrupted load had kept: pages 0..80 and, after a gap, page 90.
    let held: Vec<_> = trail
        .facts
        .iter()
        .filter(|(_, page, _)| *page < 80 || *page == 90)
        .cloned()
        .collect();
    assert_eq!(held.len(), 81);
    trail.requests.clear();
    let mut engine = Engine::new(Box::new(FixedOffsets));
    engine.handle(
        Command::BeginLive {
            label: "test".into(),
        },
        T0,
    );
    let mut plan = SessionPlan::resume_from(request(), settings(), held);
    let (end, _) = drive(&mut plan, &mut engine, &mut trail, T0);
    assert_eq!(end, Step::Done);
    let pages: Vec<u32> = trail
        .requests
        .iter()
        .filter(|u| u.contains("/audits"))
        .map(|u| {
            u.rsplit("pageNo=")
                .next()
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let mut sorted = pages.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (80..200).collect::<Vec<u32>>(),
        "page 0 to 79 were kept; 90 follows a gap, so it is asked again"
    );
    assert!(
        plan.summary(T0 as u64).contains("200 of 200 pages"),
        "{}",
        plan.summary(T0 as u64)
    );
}
