//! Opening saved API responses: several at once, of both generations; a damaged page shows what
//! survived; a file that is not a response changes nothing already loaded.

use std::path::PathBuf;

use capillary_vocab::count::{Grouped, Grouping};
use e2e::{dist_dir, Browser, StaticServer, Trail};

fn seed(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/seeds")
        .join(name);
    p.canonicalize().unwrap().display().to_string()
}

async fn loaded(b: &Browser) -> String {
    b.text("[data-testid=loaded-count]").await
}

/// Opens `trail` as files and waits until all of it is loaded; returns the events loaded.
async fn open_all(b: &Browser, trail: &Trail) -> u64 {
    let input = b.wait_for("[data-testid=open-files]").await;
    input.send_keys(&trail.as_upload()).await.unwrap();
    let label = match trail.files.len() {
        1 => "page-00000.json".to_string(),
        n => format!("{} files", Grouped::from(n)),
    };
    b.eventually("the files are loaded", || async {
        let done = b
            .all("[data-testid=load-progress] progress")
            .await
            .is_empty();
        done && loaded(b).await.contains(&label)
    })
    .await;
    let text = loaded(b).await;
    e2e::counts_in(&text)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no count in {text:?}"))
}

#[tokio::test]
async fn saved_responses_open_together_and_bad_files_lose_nothing() {
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.goto(&server.url("")).await;
    b.wait_for("[data-testid=event-row]").await;

    // Two files at once: a current-shape page and a legacy page of the same customer.
    let input = b.wait_for("[data-testid=open-files]").await;
    let both = format!(
        "{}\n{}",
        seed("audit-current-customer-98662653-identifiers.json"),
        seed("audit-legacy-customer-98662653.json")
    );
    input.send_keys(&both).await.unwrap();
    b.eventually("the files replace the demo", || async {
        loaded(&b).await.contains("2 files")
    })
    .await;
    assert!(b.text("[data-testid=entity]").await.contains("98662653"));
    let rows = b.all("[data-testid=event-row]").await;
    assert!(!rows.is_empty());
    let mobile = b.all("[data-testid=event-row][data-field=mobile]").await;
    assert!(
        !mobile.is_empty(),
        "mobile changes from both generations are listed"
    );
    let before = loaded(&b).await;

    // Something that is not a response: a clear error, and the loaded data stays.
    let input = b.wait_for("[data-testid=open-files]").await;
    let not_json = std::env::temp_dir().join("not-a-response.json");
    std::fs::write(&not_json, "<html>502 Bad Gateway</html>").unwrap();
    input
        .send_keys(&not_json.display().to_string())
        .await
        .unwrap();
    let error = b
        .wait_for("[data-testid=error][data-kind=nothing-loaded]")
        .await;
    assert!(error.text().await.unwrap().contains("kept"));
    assert_eq!(loaded(&b).await, before, "nothing already loaded was lost");

    // The damaged merge page: intact record shown, damage reported with its offset.
    let input = b.wait_for("[data-testid=open-files]").await;
    input
        .send_keys(&seed("audit-merge-134094571-damaged.json"))
        .await
        .unwrap();
    let banner = b.wait_for("[data-testid=error][data-kind=damaged]").await;
    let text = banner.text().await.unwrap();
    assert!(
        text.contains("records recovered") && text.contains("byte"),
        "{text}"
    );
    b.wait_for("[data-testid=event-row]").await;
    assert!(b.text("[data-testid=entity]").await.contains("134094571"));
    b.close().await;
}

#[tokio::test]
async fn hundreds_of_files_open_as_fully_as_one_holding_the_same_records() {
    // More files than travel to the worker in one message (their handles go in batches):
    // a small set read whole, and a larger one streamed.
    let under = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.goto(&server.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    for (records, per_page) in [(300, 1), (5000, 25)] {
        let one = open_all(&b, &Trail::generate(under, records)).await;
        let paged = Trail::generate_paged(under, records, per_page);
        assert!(
            paged.files.len() > 4 * explorer_model::file_reads::HANDLES_AT_ONCE,
            "{} files",
            paged.files.len()
        );
        let many = open_all(&b, &paged).await;
        assert_eq!(
            many,
            one,
            "{records} records in {} files",
            paged.files.len()
        );
        assert!(many >= records, "{many} events of {records} records");
    }
    b.close().await;
}

#[tokio::test]
async fn a_reader_in_india_reads_counts_in_lakhs() {
    // The browser's preferred language is English (India): a count past a lakh is grouped the
    // Indian way in the lines the page writes ("1,04,597 of 1,04,597 events"); one below it
    // reads the same everywhere.
    let under = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let trail = Trail::generate(under, 100_000);
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start_with_args(&["--accept-lang=en-IN,en"]).await;
    b.goto(&server.url("")).await;
    b.wait_for("[data-testid=event-row]").await;
    let events = open_all(&b, &trail).await;
    assert!(events >= 100_000, "{events} events");
    let lakhs = Grouped(events).grouped_as(Grouping::Indian).to_string();
    assert_eq!(lakhs.len() - lakhs.replace(',', "").len(), 2, "{lakhs}");
    assert!(loaded(&b)
        .await
        .starts_with(&format!("{lakhs} events loaded")));
    assert_eq!(
        b.text("[data-testid=match-count]").await,
        format!("{lakhs} of {lakhs} events")
    );
    // Narrowed below a lakh, a count reads as anywhere else.
    let input = b.wait_for("[data-testid=search-input]").await;
    input.send_keys("field:mobile").await.unwrap();
    b.eventually(
        "the query narrows the count, searched to the end",
        || async {
            !b.text("[data-testid=match-count]").await.contains('…')
                && b.matching().await.is_some_and(|n| n < 100_000)
        },
    )
    .await;
    let line = b.text("[data-testid=match-count]").await;
    let narrowed = b.matching().await.unwrap();
    assert!(
        line.starts_with(&format!("{} of {lakhs}", Grouped(narrowed))),
        "{line}"
    );
    b.close().await;
}
