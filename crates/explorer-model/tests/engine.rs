//! The engine driven as its host drives it: commands in, updates out, the waiting work done
//! between them. Everything the screen shows comes out of here.

use explorer_model::engine::LIVE_REFRESH_MS;
use explorer_model::views::RowView;
use explorer_model::{
    Answer, Command, Engine, ExportFormat, FixedOffsets, Page, Purpose, Read, Report, ResultView,
    RowWindow, SourceKind, Update, View, ViewState, Zone,
};

const NOW: i64 = 1_750_000_000_000;

fn seed(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/seeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn engine() -> Engine {
    Engine::new(Box::new(FixedOffsets))
}

/// Runs every waiting slice of work to the end.
fn settle(engine: &mut Engine, out: &mut Vec<Update>) {
    while engine.has_work() && engine.refresh_due().is_none_or(|due| due <= NOW) {
        out.extend(engine.work(NOW, &mut || true));
    }
}

fn handle(engine: &mut Engine, command: Command) -> Vec<Update> {
    let mut out = engine.handle(command, NOW);
    settle(engine, &mut out);
    out
}

fn last_result(updates: &[Update]) -> ResultView {
    updates
        .iter()
        .rev()
        .find_map(|u| match u {
            Update::Result(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a result")
}

fn last_rows(updates: &[Update]) -> RowWindow {
    updates
        .iter()
        .rev()
        .find_map(|u| match u {
            Update::Rows(r) => Some(r.clone()),
            _ => None,
        })
        .expect("rows")
}

fn last_report(updates: &[Update]) -> Report {
    updates
        .iter()
        .rev()
        .find_map(|u| match u {
            Update::Report(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a report")
}

fn query(engine: &mut Engine, text: &str) -> Vec<Update> {
    handle(
        engine,
        Command::SetView(ViewState {
            query: text.into(),
            ..ViewState::default()
        }),
    )
}

#[test]
fn the_demo_loads_at_once_with_its_first_rows_and_then_its_summaries() {
    let mut e = engine();
    let at_once = e.handle(Command::LoadDemo, NOW);
    let report = last_report(&at_once);
    assert_eq!(report.source, "demo");
    assert!(
        report.events >= 246 && report.problems.is_empty(),
        "{report:?}"
    );
    assert!(report.entity.starts_with("CUSTOMER "));
    assert_eq!(
        report.loaded_line(),
        format!("{} events loaded (demo)", report.events)
    );
    let result = last_result(&at_once);
    assert_eq!((result.count, result.total), (report.events, report.events));
    let rows = last_rows(&at_once);
    assert_eq!(rows.start, 0);
    assert!(!rows.rows.is_empty() && rows.rows.len() <= 40);
    // Facets and histogram come with the next slice of work, not with the rows.
    assert!(!at_once
        .iter()
        .any(|u| matches!(u, Update::Facets(_) | Update::Histogram(_))));
    let later = e.work(NOW, &mut || true);
    let facets = later.iter().find_map(|u| match u {
        Update::Facets(f) => Some(f.clone()),
        _ => None,
    });
    let groups = facets.expect("facets follow");
    assert!(groups
        .iter()
        .any(|g| g.facet.qualifier() == "type" && !g.chips.is_empty()));
    assert!(later.iter().any(
        |u| matches!(u, Update::Histogram(h) if h.bins.iter().sum::<usize>() == report.events)
    ));
}

#[test]
fn a_query_narrows_and_a_malformed_one_is_explained_in_the_users_script() {
    let mut e = engine();
    let all = last_result(&handle(&mut e, Command::LoadDemo));
    let updates = query(&mut e, "type:identifier");
    let narrowed = last_result(&updates);
    assert!(narrowed.count > 0 && narrowed.count < all.count);
    assert_ne!(narrowed.id, all.id, "a new result");
    let rows = last_rows(&updates);
    assert!(rows.rows.iter().all(|r: &RowView| r.kind == "Identifier"));
    for text in ["राम -", "नाम \"", "éé \"", "👩‍💻 -"] {
        let bad = last_result(&query(&mut e, text));
        let error = bad.error.unwrap_or_else(|| panic!("`{text}` reads"));
        assert_eq!(bad.count, 0);
        assert!(
            error.message.starts_with("Query error at position "),
            "{}",
            error.message
        );
        assert_eq!(
            format!("{}{}{}", error.before, error.marked, error.after),
            text
        );
    }
}

#[test]
fn a_window_of_rows_is_built_for_what_the_list_shows() {
    let mut e = engine();
    let all = last_result(&handle(&mut e, Command::LoadDemo));
    let rows = last_rows(&handle(
        &mut e,
        Command::Rows {
            start: 100,
            end: 130,
        },
    ));
    assert_eq!(rows.start, 100);
    assert_eq!(rows.rows.len(), 30);
    assert_eq!(rows.rows[0].index, 100);
    assert_eq!(rows.result, all.id);
    // Past the end is clamped, never a panic.
    let tail = last_rows(&handle(
        &mut e,
        Command::Rows {
            start: all.count - 5,
            end: all.count + 50,
        },
    ));
    assert_eq!(tail.rows.len(), 5);
    let none = last_rows(&handle(
        &mut e,
        Command::Rows {
            start: all.count + 10,
            end: all.count + 20,
        },
    ));
    assert!(none.rows.is_empty());
    // Day boundaries and change sets are marked.
    let first = last_rows(&handle(
        &mut e,
        Command::Rows {
            start: 0,
            end: all.count,
        },
    ));
    assert!(first.rows[0].day_start);
    assert!(first.rows.iter().any(|r| r.joined_below));
}

#[test]
fn selecting_an_event_gives_its_detail_with_its_request_peers() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let rows = last_rows(&handle(&mut e, Command::Rows { start: 0, end: 400 })).rows;
    let joined = rows
        .iter()
        .find(|r| r.joined_below)
        .expect("a change set in the demo");
    let updates = handle(
        &mut e,
        Command::SetView(ViewState {
            event: Some(joined.key.clone()),
            ..ViewState::default()
        }),
    );
    let detail = updates
        .iter()
        .find_map(|u| match u {
            Update::Detail(d) => d.clone(),
            _ => None,
        })
        .expect("the detail");
    assert_eq!(detail.key, joined.key);
    assert!(
        !detail.same_request.is_empty(),
        "its request's other events"
    );
    assert!(detail.raw.starts_with("{\n"));
    assert!(detail
        .facts
        .iter()
        .any(|(k, v)| k == "Request id" && *v == joined.request_id));
    // A key that is not loaded shows no detail.
    let gone = handle(
        &mut e,
        Command::SetView(ViewState {
            event: Some("no-such-request~00000000".into()),
            ..ViewState::default()
        }),
    );
    assert!(gone.contains(&Update::Detail(None)));
}

#[test]
fn the_status_and_history_pages_are_built_when_shown() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let lanes = show_status(&mut e).expect("status lanes");
    assert!(lanes.lanes.iter().any(|l| l.title.starts_with("Customer")));
    assert!(lanes
        .lanes
        .iter()
        .any(|l| l.periods.iter().any(|p| p.is_current)));
    let history = handle(
        &mut e,
        Command::SetView(ViewState {
            view: View::History,
            field: Some("mobile".into()),
            as_of: Some(NOW),
            ..ViewState::default()
        }),
    );
    let page = history
        .iter()
        .find_map(|u| match u {
            Update::History(h) => Some(h.clone()),
            _ => None,
        })
        .expect("the history page");
    assert!(page.fields.iter().any(|f| f.field == "mobile"));
    let (title, rows) = page.chosen.expect("mobile's history");
    assert!(title.ends_with("mobile") && !rows.is_empty());
    assert!(page
        .state
        .is_some_and(|s| s.iter().any(|f| f.field == "mobile")));
}

#[test]
fn a_zone_change_redraws_the_rows_in_that_zone() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let utc = last_rows(&handle(&mut e, Command::Rows { start: 0, end: 1 })).rows[0].clone();
    let shifted = handle(
        &mut e,
        Command::SetView(ViewState {
            zone: Zone::Fixed(330),
            ..ViewState::default()
        }),
    );
    let row = last_rows(&shifted).rows[0].clone();
    assert_eq!(row.key, utc.key);
    assert_ne!((row.date.clone(), row.clock.clone()), (utc.date, utc.clock));
}

#[test]
fn a_large_load_runs_in_slices_reporting_progress_and_a_useless_one_keeps_what_is_shown() {
    let page = seed("audit-current-customer-98662653-page0-of-52.json");
    let n = explorer_model::engine::SMALL_LOAD_BYTES / page.len() + 2;
    let pages: Vec<Page> = (0..n)
        .map(|i| Page::new(format!("page {i}"), page.clone()))
        .collect();
    assert!(
        pages.iter().map(|p| p.bytes.len()).sum::<usize>()
            > explorer_model::engine::SMALL_LOAD_BYTES
    );
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let first = e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "pages".into(),
            following: 0,
            pages,
        },
        NOW,
    );
    let report = last_report(&first);
    assert_eq!(
        report.source,
        format!("demo; loading pages: 0 of {n} pages")
    );
    // One page per slice when the host says time is up at once.
    let slice = e.work(NOW, &mut || false);
    let progress = last_report(&slice).loading.expect("still loading");
    assert!(progress.pages_done >= 1 && progress.pages_done < n);
    let mut rest = Vec::new();
    settle(&mut e, &mut rest);
    assert!(rest.contains(&Update::Loaded {
        source: SourceKind::Files,
        replaced: true
    }));
    let done = last_report(&rest);
    assert_eq!(done.source, "pages");
    assert!(done.loading.is_none());

    let shown = done.events;
    let useless = handle(
        &mut e,
        Command::Load {
            source: SourceKind::Files,
            label: "not-a-response.json".into(),
            following: 0,
            pages: vec![Page::new(
                "not-a-response.json",
                b"<html>502</html>".to_vec(),
            )],
        },
    );
    assert!(useless.contains(&Update::Loaded {
        source: SourceKind::Files,
        replaced: false
    }));
    let kept = last_report(&useless);
    assert_eq!(kept.events, shown, "nothing already loaded is lost");
    let kinds: Vec<_> = kept.problems.iter().map(|p| p.data_kind()).collect();
    assert!(
        kinds.contains(&"unrecognised") && kinds.contains(&"nothing-loaded"),
        "{kinds:?}"
    );
}

#[test]
fn live_pages_are_read_merged_and_refreshed_at_most_every_250_ms() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let begun = handle(
        &mut e,
        Command::BeginLive {
            label: "CUSTOMER 98662653 · eu".into(),
        },
    );
    assert_eq!(last_result(&begun).total, 0, "the live source starts empty");
    let listing = "https://eu/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&limit=10"
        .to_owned();
    let page = |n: u32| Purpose::AuditPage {
        listing: listing.clone(),
        page: n,
        limit: 10,
        max_pages: 100,
    };
    let body = |name: &str| Answer {
        status: 200,
        headers: Vec::new(),
        body: seed(name),
    };
    let first = e.handle(
        Command::Read {
            request: 1,
            purpose: page(0),
            answer: body("audit-current-customer-98662653-page0-of-52.json"),
        },
        NOW,
    );
    let facts = first.iter().find_map(|u| match u {
        Update::Read {
            request: 1,
            read: Read::Page(capillary_client::PageAnswer::Read(Ok(f))),
        } => Some(f.clone()),
        _ => None,
    });
    let facts = facts.expect("page facts for the plan");
    assert!(facts.records > 0 && facts.total_pages.is_some());
    assert!(
        last_result(&first).total > 0,
        "the first page shows at once"
    );
    // The next page within 250 ms is merged but shown only when the refresh falls due.
    let second = e.handle(
        Command::Read {
            request: 2,
            purpose: page(1),
            answer: body("audit-current-customer-98662653-page1-of-51.json"),
        },
        NOW + 10,
    );
    assert!(!second.iter().any(|u| matches!(u, Update::Result(_))));
    let due = e.refresh_due().expect("a refresh is due");
    assert_eq!(due, NOW + LIVE_REFRESH_MS);
    let refreshed = e.work(due, &mut || true);
    assert!(last_result(&refreshed).total > last_result(&first).total);
    // A failed answer is classified for the plan, and nothing is merged.
    let failed = e.handle(
        Command::Read {
            request: 3,
            purpose: page(2),
            answer: Answer {
                status: 503,
                headers: Vec::new(),
                body: b"busy".to_vec(),
            },
        },
        NOW + 1_000,
    );
    assert!(failed.iter().any(|u| matches!(
        u,
        Update::Read {
            request: 3,
            read: Read::Page(capillary_client::PageAnswer::Failed {
                status: Some(503),
                ..
            })
        }
    )));
    // The end of the live source shows the final result at once.
    let finished = e.handle(Command::FinishLive, NOW + 1_001);
    assert!(matches!(
        last_report(&finished).source_kind,
        SourceKind::Api
    ));
}

#[test]
fn a_lookup_and_a_card_status_log_are_read_for_the_session() {
    let mut e = engine();
    let lookup = e.handle(
        Command::Read {
            request: 7,
            purpose: Purpose::Lookup,
            answer: Answer {
                status: 200,
                headers: Vec::new(),
                body: br#"{"id": 98662653, "profiles": []}"#.to_vec(),
            },
        },
        NOW,
    );
    assert!(lookup.contains(&Update::Read {
        request: 7,
        read: Read::Customer(98662653)
    }));
    let missing = e.handle(
        Command::Read {
            request: 8,
            purpose: Purpose::Lookup,
            answer: Answer {
                status: 200,
                headers: Vec::new(),
                body: br#"{"errors":[{"code":8015,"message":"Customer not found for the given identifiers"}]}"#.to_vec(),
            },
        },
        NOW,
    );
    assert!(missing.iter().any(|u| matches!(u, Update::Read { request: 8, read: Read::Failed { problem, .. } } if problem.code == Some(8015))));
}

#[test]
fn the_current_result_exports_as_csv_and_json() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let narrowed = last_result(&query(&mut e, "field:mobile"));
    let csv = handle(&mut e, Command::Export(ExportFormat::Csv));
    let file = csv
        .iter()
        .find_map(|u| match u {
            Update::Export(f) => Some(f.clone()),
            _ => None,
        })
        .expect("an export");
    assert_eq!(file.name, "audit-export.csv");
    assert!(
        file.text.lines().count() > narrowed.count,
        "a header and a line per event"
    );
    let json = handle(&mut e, Command::Export(ExportFormat::Json));
    assert!(json
        .iter()
        .any(|u| matches!(u, Update::Export(f) if f.mime == "application/x-ndjson")));
}

#[test]
fn a_time_out_of_range_is_shown_as_sent() {
    let page = br#"{"data":[
        {"entityType":"CUSTOMER","entityId":1,"requestId":"far","autoUpdateTime":99999999999999999,"events":[{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{"currentValue":"1"}}]},
        {"entityType":"CUSTOMER","entityId":1,"requestId":"odd","autoUpdateTime":"10000-01-01T00:00:00Z","events":[{"eventType":"Identifiers","updatedField":"email","additionalFields":{"currentValue":"a"}}]}
    ],"pagination":{"number":0,"totalPages":1,"totalElements":2}}"#;
    let mut e = engine();
    let loaded = handle(
        &mut e,
        Command::Load {
            source: SourceKind::Files,
            label: "far".into(),
            following: 0,
            pages: vec![Page::new("far", page.to_vec())],
        },
    );
    let rows = last_rows(&loaded).rows;
    assert_eq!(rows.len(), 2);
    let dates: Vec<&str> = rows.iter().map(|r| r.date.as_str()).collect();
    assert!(dates.contains(&"99999999999999999"), "{dates:?}");
    assert!(dates.contains(&"10000-01-01T00:00:00Z"), "{dates:?}");
    let key = rows[0].key.clone();
    let detail = handle(
        &mut e,
        Command::SetView(ViewState {
            event: Some(key),
            ..ViewState::default()
        }),
    )
    .into_iter()
    .find_map(|u| match u {
        Update::Detail(d) => d,
        _ => None,
    })
    .unwrap();
    assert!(detail.when.contains("as sent"), "{}", detail.when);
}

fn export_of(updates: &[Update]) -> explorer_model::ExportFile {
    updates
        .iter()
        .find_map(|u| match u {
            Update::Export(f) => Some(f.clone()),
            _ => None,
        })
        .expect("an export")
}

#[test]
fn a_case_file_opens_again_with_the_same_events_and_the_view_it_was_exported_with() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let view = ViewState {
        query: "field:mobile".into(),
        zone: Zone::Fixed(330),
        ..ViewState::default()
    };
    let narrowed = handle(&mut e, Command::SetView(view.clone()));
    let shown = last_result(&narrowed);
    let selected = ViewState {
        event: Some(last_rows(&narrowed).rows[0].key.clone()),
        ..view.clone()
    };
    handle(&mut e, Command::SetView(selected.clone()));
    let file = export_of(&handle(
        &mut e,
        Command::ExportCase {
            api: vec![("entityId".into(), "100200300".into())],
        },
    ));
    assert!(file.name.ends_with(".case.json"), "{}", file.name);
    assert_eq!(file.mime, "application/json");

    // A colleague opens it, with a raw page of another trail beside it.
    let mut other = engine();
    let opened = handle(
        &mut other,
        Command::Load {
            source: SourceKind::Files,
            label: "2 files".into(),
            following: 0,
            pages: vec![
                Page::new(&file.name, file.text.into_bytes()),
                Page::new("legacy.json", seed("audit-legacy-customer-98662653.json")),
            ],
        },
    );
    let case = opened
        .iter()
        .find_map(|u| match u {
            Update::CaseOpened(c) => Some(c.clone()),
            _ => None,
        })
        .expect("the case file is named");
    assert_eq!(case.view.as_ref(), Some(&selected));
    assert_eq!(case.version, 1);
    let report = last_report(&opened);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The page puts the view in the link; the engine then shows what was exported.
    let restored = handle(&mut other, Command::SetView(selected.clone()));
    let legacy_only = {
        let mut l = engine();
        handle(
            &mut l,
            Command::Load {
                source: SourceKind::Files,
                label: "legacy".into(),
                following: 0,
                pages: vec![Page::new(
                    "legacy.json",
                    seed("audit-legacy-customer-98662653.json"),
                )],
            },
        );
        last_result(&query(&mut l, "field:mobile")).count
    };
    assert_eq!(last_result(&restored).count, shown.count + legacy_only);
    let detail = restored
        .iter()
        .find_map(|u| match u {
            Update::Detail(d) => d.clone(),
            _ => None,
        })
        .expect("the selected event is shown again");
    assert_eq!(Some(detail.key), selected.event);
    let status = handle(
        &mut other,
        Command::SetView(ViewState {
            view: View::Status,
            ..selected
        }),
    );
    assert!(shows_status_lanes(&status), "the status logs came along");
}

/// The status page among `updates`, if they hold one.
fn status_of(updates: &[Update]) -> Option<explorer_model::views::StatusView> {
    updates.iter().find_map(|u| match u {
        Update::Status(s) => Some(s.clone()),
        _ => None,
    })
}

/// Switches to the status page (the rest of the view as by default) and returns it.
fn show_status(e: &mut Engine) -> Option<explorer_model::views::StatusView> {
    status_of(&handle(
        e,
        Command::SetView(ViewState {
            view: View::Status,
            ..ViewState::default()
        }),
    ))
}

fn shows_status_lanes(updates: &[Update]) -> bool {
    status_of(updates).is_some_and(|s| !s.lanes.is_empty())
}

/// Starts a load of [`big_load`] as files labelled "big".
fn start_big_load(e: &mut Engine) {
    e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "big".into(),
            following: 0,
            pages: big_load(),
        },
        NOW,
    );
}

/// Enough copies of a seed page to be a load done in slices.
fn big_load() -> Vec<Page> {
    let page = seed("audit-current-customer-98662653-page0-of-52.json");
    let n = explorer_model::engine::SMALL_LOAD_BYTES / page.len() + 2;
    (0..n)
        .map(|i| Page::new(format!("page {i}"), page.clone()))
        .collect()
}

#[test]
fn a_case_file_read_after_a_large_loads_first_rows_still_restores_its_view_and_status_logs() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let view = ViewState {
        query: "field:mobile".into(),
        ..ViewState::default()
    };
    handle(&mut e, Command::SetView(view.clone()));
    let file = export_of(&handle(&mut e, Command::ExportCase { api: Vec::new() }));

    // The case file comes last, after the pages whose first already put rows on screen.
    let mut other = engine();
    let mut pages = big_load();
    pages.push(Page::new(&file.name, file.text.into_bytes()));
    other.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "big and a case".into(),
            following: 0,
            pages,
        },
        NOW,
    );
    let mut out = Vec::new();
    settle(&mut other, &mut out);
    let case = out
        .iter()
        .find_map(|u| match u {
            Update::CaseOpened(c) => Some(c.clone()),
            _ => None,
        })
        .expect("the case file is named");
    assert_eq!(case.view.as_ref(), Some(&view));
    let status = handle(
        &mut other,
        Command::SetView(ViewState {
            view: View::Status,
            ..view
        }),
    );
    assert!(
        shows_status_lanes(&status),
        "the case file's status logs joined the store shown"
    );
}

#[test]
fn a_large_load_shows_its_first_rows_after_its_first_page() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    let pages = big_load();
    let n = pages.len();
    e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "big".into(),
            following: 0,
            pages,
        },
        NOW,
    );
    let first = e.work(NOW, &mut || false);
    let report = last_report(&first);
    assert_eq!(report.source, format!("loading big: 1 of {n} pages"));
    let progress = report.loading.expect("still loading");
    assert_eq!((progress.pages_done, progress.pages_total), (1, n));
    assert!(
        !last_rows(&first).rows.is_empty(),
        "the first page's rows are shown"
    );
    assert!(last_result(&first).total > 0 && last_result(&first).total == report.events);
}

#[test]
fn a_load_of_files_still_being_read_waits_for_them_without_spinning() {
    let mut e = engine();
    let demo = last_report(&handle(&mut e, Command::LoadDemo));
    let page = seed("audit-current-customer-98662653-page0-of-52.json");
    let started = e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "3 files".into(),
            following: 3,
            pages: Vec::new(),
        },
        NOW,
    );
    let progress = last_report(&started).loading.expect("loading");
    assert_eq!((progress.pages_done, progress.pages_total), (0, 3));
    assert_eq!(
        e.work_due(),
        None,
        "nothing to do until a file has been read"
    );
    assert_eq!(
        last_report(&started).events,
        demo.events,
        "the demo stays meanwhile"
    );

    e.handle(
        Command::LoadMore {
            pages: vec![Page::new("a.json", page.clone())],
            unreadable: Vec::new(),
        },
        NOW,
    );
    assert_eq!(
        e.work_due(),
        Some(i64::MIN),
        "a file came: it is read at once"
    );
    let first = e.work(NOW, &mut || true);
    let report = last_report(&first);
    let progress = report.loading.expect("two files to come");
    assert_eq!((progress.pages_done, progress.pages_total), (1, 3));
    assert!(!last_rows(&first).rows.is_empty(), "its rows are shown");
    let shown = report.events;
    let mut summaries = Vec::new();
    settle(&mut e, &mut summaries);
    assert_eq!(
        e.work_due(),
        None,
        "the first result's summaries are done; the rest waits for its files"
    );

    let done = e.handle(
        Command::LoadMore {
            pages: vec![Page::new("b.json", page.clone())],
            unreadable: vec!["c.json".into()],
        },
        NOW,
    );
    assert!(
        !done.iter().any(|u| matches!(u, Update::Loaded { .. })),
        "b.json is still to be read"
    );
    let mut out = Vec::new();
    settle(&mut e, &mut out);
    let report = last_report(&out);
    assert!(report.loading.is_none(), "every file came: {report:?}");
    assert!(out.contains(&Update::Loaded {
        source: SourceKind::Files,
        replaced: true
    }));
    assert_eq!(
        report.events, shown,
        "b.json is a copy of a.json: merged, not doubled"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message == "Could not read c.json."),
        "{:?}",
        report.problems
    );

    // Pages of a load that was cancelled are not taken into the next.
    handle(&mut e, Command::LoadDemo);
    e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "2 files".into(),
            following: 2,
            pages: Vec::new(),
        },
        NOW,
    );
    handle(&mut e, Command::CancelLoad);
    let late = handle(
        &mut e,
        Command::LoadMore {
            pages: vec![Page::new("a.json", page)],
            unreadable: Vec::new(),
        },
    );
    assert!(late.is_empty() && !e.has_work(), "{late:?}");
}

#[test]
fn files_are_wanted_only_while_a_streamed_load_has_little_unparsed() {
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    assert_eq!(e.load_bytes_wanted(), 0, "no load, no files");
    e.handle(
        Command::Load {
            source: SourceKind::Files,
            label: "40 files".into(),
            following: 40,
            pages: Vec::new(),
        },
        NOW,
    );
    assert_eq!(
        e.load_bytes_wanted(),
        explorer_model::engine::READ_AHEAD_BYTES,
        "a streamed load wants its first files"
    );
    // A page padded to 4 MB (whitespace after the JSON is still the same page).
    let mut page = seed("audit-current-customer-98662653-page0-of-52.json");
    page.resize(4 << 20, b' ');
    let mut fed = 0;
    while e.load_bytes_wanted() > 0 {
        e.handle(
            Command::LoadMore {
                pages: vec![Page::new(format!("{fed}.json"), page.clone())],
                unreadable: Vec::new(),
            },
            NOW,
        );
        fed += 1;
        assert!(
            fed < 10,
            "the read-ahead bound stops reading before every file is in"
        );
    }
    assert!(
        fed * page.len() >= explorer_model::engine::READ_AHEAD_BYTES,
        "{fed} files of {} bytes",
        page.len()
    );
    // Parsing makes room again.
    e.work(NOW, &mut || false);
    e.work(NOW, &mut || false);
    assert!(
        e.load_bytes_wanted() >= page.len(),
        "what was parsed is room for the next file"
    );
    handle(&mut e, Command::CancelLoad);
    assert_eq!(
        e.load_bytes_wanted(),
        0,
        "a cancelled load wants nothing more"
    );
}

#[test]
fn cancelling_a_load_keeps_what_it_read_or_what_was_shown_before() {
    // Cancelled after its first rows: the pages read so far stay, with a notice.
    let mut e = engine();
    handle(&mut e, Command::LoadDemo);
    start_big_load(&mut e);
    e.work(NOW, &mut || false);
    let cancelled = e.handle(Command::CancelLoad, NOW);
    assert!(cancelled.contains(&Update::Loaded {
        source: SourceKind::Files,
        replaced: true
    }));
    let report = last_report(&cancelled);
    assert!(
        report.loading.is_none() && report.events > 0 && report.source == "big",
        "{report:?}"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("cancelled after 1 of")),
        "{:?}",
        report.problems
    );
    let after = e.work(NOW, &mut || false);
    assert!(
        after
            .iter()
            .all(|u| !matches!(u, Update::Report(r) if r.loading.is_some())),
        "no page of the cancelled load is read after it: {after:?}"
    );

    // Cancelled before it read anything: the demo stays as it was.
    let mut e = engine();
    let demo = last_report(&handle(&mut e, Command::LoadDemo));
    start_big_load(&mut e);
    let cancelled = e.handle(Command::CancelLoad, NOW);
    assert!(cancelled.contains(&Update::Loaded {
        source: SourceKind::Files,
        replaced: false
    }));
    let report = last_report(&cancelled);
    assert_eq!(
        (report.source.as_str(), report.events),
        ("demo", demo.events)
    );
}

#[test]
fn a_trail_kept_on_the_device_is_restored_as_the_live_one_was_read() {
    use explorer_model::cache::{frame, read_entry, CachedTrail, Frame};
    let demo = audit_gen::demo();
    let listing =
        "https://eu/api_gateway/v2/audits?entityType=CUSTOMER&entityId=100200300&limit=50";
    let mut bytes = frame(
        &Frame::Start {
            key: "k".into(),
            saved_at: NOW - 7_200_000,
        },
        &[],
    );
    for (i, p) in demo.customer_pages.iter().enumerate() {
        let purpose = Purpose::AuditPage {
            listing: listing.into(),
            page: i as u32,
            limit: 50,
            max_pages: 1000,
        };
        bytes.extend(frame(
            &Frame::Answer {
                purpose,
                saved_at: NOW - 7_000_000,
                facts: None,
            },
            p,
        ));
    }
    bytes.extend(frame(
        &Frame::Answer {
            purpose: Purpose::StatusLog(audit_core::StatusLogKind::Card),
            saved_at: NOW - 7_000_000,
            facts: None,
        },
        &demo.card_status_log,
    ));
    let entry = read_entry(&bytes, "k", NOW, 24 * 3_600_000).unwrap();
    let mut e = engine();
    let out = handle(
        &mut e,
        Command::Restore {
            label: "CUSTOMER 100200300 · eu".into(),
            trail: entry.trail,
            pages: entry.pages,
        },
    );
    let trail: CachedTrail = out
        .iter()
        .find_map(|u| match u {
            Update::Cached(t) => Some(t.clone()),
            _ => None,
        })
        .expect("the host is told the kept trail is shown");
    assert!(!trail.complete);
    let report = last_report(&out);
    assert_eq!(report.source_kind, SourceKind::Api);
    assert!(report.events > 0);
    assert_eq!(
        report.cached.as_deref(),
        Some("kept on this device, saved 2 hours ago")
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let lanes = show_status(&mut e).expect("status lanes");
    assert!(
        lanes
            .lanes
            .iter()
            .any(|l| l.title.to_lowercase().contains("card")),
        "the card's status log is read as the card's: {:?}",
        lanes.lanes.iter().map(|l| &l.title).collect::<Vec<_>>()
    );
    // Another source: the header no longer says "kept on this device".
    let demo = handle(&mut e, Command::LoadDemo);
    assert_eq!(last_report(&demo).cached, None);
}

/// Copies of the demo's first page, each with request ids of its own (so every record is new
/// to the store), holding more than `events` events.
fn copies_of_the_demo_page(events: usize) -> Vec<Page> {
    let body = String::from_utf8(audit_gen::demo().customer_pages[0].clone()).unwrap();
    let per_page = {
        let mut one = audit_core::Store::new();
        one.ingest(audit_core::parse_response(body.as_bytes()));
        one.len()
    };
    let copies = (events / per_page) as u32 + 1;
    (0..copies)
        .map(|i| {
            let text = body.replace("\"requestId\":\"", &format!("\"requestId\":\"p{i}-"));
            Page::new(format!("page {i}"), text.into_bytes())
        })
        .collect()
}

/// An engine holding `pages`, opened as files.
/// Loads `pages` as files labelled "big", to the end; what the engine said.
fn open_big(e: &mut Engine, pages: Vec<Page>) -> Vec<Update> {
    handle(
        e,
        Command::Load {
            source: SourceKind::Files,
            label: "big".into(),
            following: 0,
            pages,
        },
    )
}

fn opened(pages: Vec<Page>) -> Engine {
    let mut e = engine();
    open_big(&mut e, pages);
    e
}

#[test]
fn a_search_of_a_large_store_sends_its_newest_matches_first_and_a_newer_query_replaces_it() {
    // More events than one search chunk.
    let pages = copies_of_the_demo_page(audit_core::SEARCH_CHUNK * 5 / 4);
    let mut store = audit_core::Store::new();
    for p in &pages {
        store.ingest_page(&p.name, audit_core::parse_response(&p.bytes));
    }
    assert!(
        store.len() > audit_core::SEARCH_CHUNK,
        "{} events",
        store.len()
    );
    let emails = store
        .query(&audit_core::Query::parse("field:email").unwrap(), NOW)
        .events
        .len();
    let mut e = opened(pages);
    let at_once = e.handle(
        Command::SetView(ViewState {
            query: "field:mobile".into(),
            ..ViewState::default()
        }),
        NOW,
    );
    assert!(
        last_result(&at_once).counting,
        "a large store is searched in slices"
    );
    // The first slices find the newest matches; they are final.
    let slice = e.work(NOW, &mut || false);
    let partial = last_rows(&slice).rows;
    assert!(
        !partial.is_empty() && partial.iter().all(|r| r.field == "mobile"),
        "{partial:?}"
    );
    // A newer query replaces the running one.
    e.handle(
        Command::SetView(ViewState {
            query: "field:email".into(),
            ..ViewState::default()
        }),
        NOW,
    );
    let mut rest = Vec::new();
    settle(&mut e, &mut rest);
    let done = last_result(&rest);
    assert!(!done.counting);
    assert_eq!(done.count, emails, "the same result as a search done whole");
    assert!(
        last_rows(&rest).rows.iter().all(|r| r.field == "email"),
        "only the newer query's rows"
    );
}

#[test]
fn a_running_search_sends_its_final_rows_once_and_its_count_a_few_times_a_second() {
    // Each answer costs the page a decode and a render: slices that only add to the count
    // must not send the same rows again, nor a count every few milliseconds.
    let mut e = opened(copies_of_the_demo_page(audit_core::SEARCH_CHUNK * 4));
    let rows_in = |updates: &[Update]| {
        updates
            .iter()
            .filter(|u| matches!(u, Update::Rows(_)))
            .count()
    };
    let counts_in = |updates: &[Update]| -> Vec<usize> {
        updates
            .iter()
            .filter_map(|u| match u {
                Update::Result(r) => Some(r.count),
                _ => None,
            })
            .collect()
    };
    // Every event matches: the first step fills the window.
    let first = e.handle(
        Command::SetView(ViewState {
            query: "-field:nosuchfield".into(),
            ..ViewState::default()
        }),
        NOW,
    );
    assert!(last_result(&first).counting, "searched in slices");
    let shown = last_rows(&first).rows;
    assert!(!shown.is_empty());
    // A slice in the same instant finds more, and says nothing.
    let quiet = e.work(NOW, &mut || false);
    assert_eq!(rows_in(&quiet), 0, "the rows shown are final: {quiet:?}");
    assert!(counts_in(&quiet).is_empty(), "{:?}", counts_in(&quiet));
    // A second later the count so far goes out, still without rows.
    let later = e.work(NOW + 1_000, &mut || false);
    assert_eq!(rows_in(&later), 0);
    let counted = counts_in(&later);
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert!(counted[0] > last_result(&first).count, "{counted:?}");
    assert!(e.has_work(), "the store is larger than three chunks");
    // The end: the final count, and the window's rows once more with it.
    let mut rest = Vec::new();
    settle(&mut e, &mut rest);
    let done = last_result(&rest);
    assert!(!done.counting);
    assert_eq!(done.count, last_result(&rest).total);
    assert_eq!(last_rows(&rest).rows, shown);
}

#[test]
fn a_search_that_finds_nothing_yet_says_so_once_not_every_slice() {
    // A rare needle in a large trail: the slices that find nothing must not each send the
    // same empty count and rows again.
    let mut e = opened(copies_of_the_demo_page(audit_core::SEARCH_CHUNK * 4));
    let first = e.handle(
        Command::SetView(ViewState {
            query: "field:nosuchfield".into(),
            ..ViewState::default()
        }),
        NOW,
    );
    let answer = last_result(&first);
    assert!(answer.counting, "searched in slices");
    assert_eq!(answer.count, 0);
    assert!(last_rows(&first).rows.is_empty());
    while e.has_work() {
        let quiet = e.work(NOW, &mut || false);
        if quiet
            .iter()
            .any(|u| matches!(u, Update::Result(r) if !r.counting))
        {
            // The end: the final count, and the (empty) window with it.
            assert_eq!(last_result(&quiet).count, 0);
            assert!(last_rows(&quiet).rows.is_empty());
            return;
        }
        assert!(quiet.is_empty(), "nothing new to say: {quiet:?}");
    }
    panic!("the search ended without a final count");
}

#[test]
fn counts_are_written_with_their_thousands_grouped() {
    // "1,000,000 of 1,000,000 events", not seven zeros to count.
    let mut e = engine();
    let loaded = open_big(
        &mut e,
        copies_of_the_demo_page(audit_core::SEARCH_CHUNK * 2),
    );
    let report = last_report(&loaded);
    assert!(report.events >= 1_000, "{}", report.events);
    let total = capillary_vocab::count::Grouped::from(report.events).to_string();
    assert!(total.contains(','), "{total}");
    assert_eq!(report.loaded_line(), format!("{total} events loaded (big)"));
    let all = query(&mut e, "-field:nosuchfield");
    assert_eq!(
        last_result(&all).count_line(),
        format!("{total} of {total} events")
    );
}
