//! End-to-end harness: serves the release `dist/` on loopback and drives Debian's Chromium
//! through ChromeDriver, so tests read the page the way a person would.
//!
//! Everything a test needs is started by the test and stopped when its guard drops: a static file
//! server (a plain one, no SPA fallback, like a bucket or nginx `root`), a ChromeDriver on a free
//! port, and a headless Chromium with a fresh profile. Nothing listens beyond 127.0.0.1.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// How long a test waits for something to appear before it fails. Generous: CI runs on 2 cores.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The counts in a line of the page, read as a person reads them: "1,024… of 1,000,000
/// events" → `[1024, 1000000]` (grouping commas dropped, a trailing "…" too).
pub fn counts_in(text: &str) -> Vec<u64> {
    text.split_whitespace()
        .filter_map(|w| w.trim_end_matches('…').replace(',', "").parse().ok())
        .collect()
}

/// The built app. `scripts/test` builds it once and passes its path in `AUDIT_EXPLORER_DIST`.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("AUDIT_EXPLORER_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built app at {}: run `trunk build --release` first (scripts/test does)",
        dir.display()
    );
    dir
}

/// A plain static file server for `dist/`, mounted at `prefix` (`/` or e.g. `/tools/audit/`).
pub struct StaticServer {
    addr: SocketAddr,
    prefix: String,
    stop: Option<oneshot::Sender<()>>,
    /// The config.json served instead of dist's, when the deployment names one.
    config: Option<Arc<Mutex<Option<String>>>>,
}

/// How a test deploys `dist/`: which config.json the host serves, and whether it sends the
/// Content-Security-Policy header that config calls for (as deploy/nginx.conf does).
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    /// `None`: the config.json in dist/. `Some(None)`: no config.json at all (404).
    /// `Some(Some(text))`: this text instead.
    pub config: Option<Option<String>>,
    /// Send `Content-Security-Policy` computed from the served config.
    pub csp_header: bool,
    /// Send this `Content-Security-Policy` instead (a deployment that got it wrong).
    pub csp: Option<String>,
    /// Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
    /// require-corp` (the page is cross-origin isolated: the benchmark measures memory with
    /// `performance.measureUserAgentSpecificMemory`, which needs it).
    pub cross_origin_isolated: bool,
}

impl StaticServer {
    /// A plain host: dist/ as built, no headers (a bucket without configuration).
    pub async fn start(dir: &Path, prefix: &str) -> StaticServer {
        StaticServer::deploy(dir, prefix, Deployment::default()).await
    }

    /// dist/ as a deployment would serve it (see [`Deployment`]).
    pub async fn deploy(dir: &Path, prefix: &str, deployment: Deployment) -> StaticServer {
        assert!(
            prefix.starts_with('/') && prefix.ends_with('/'),
            "prefix like /a/b/"
        );
        let files = tower_http::services::ServeDir::new(dir);
        let mut app = if prefix == "/" {
            axum::Router::new().fallback_service(files)
        } else {
            axum::Router::new().nest_service(prefix.trim_end_matches('/'), files)
        };
        let config_text = match &deployment.config {
            None => std::fs::read_to_string(dir.join(explorer_config::FILE_NAME)).ok(),
            Some(text) => text.clone(),
        };
        let served = Arc::new(Mutex::new(deployment.config.clone().flatten()));
        if deployment.config.is_some() {
            let path = format!("{prefix}{}", explorer_config::FILE_NAME);
            let body = served.clone();
            app = app.route(
                &path,
                axum::routing::get(move || async move {
                    match body.lock().expect("config lock").clone() {
                        Some(text) => (axum::http::StatusCode::OK, text),
                        None => (axum::http::StatusCode::NOT_FOUND, "not found".into()),
                    }
                }),
            );
        }
        let csp = deployment.csp.clone().or_else(|| {
            deployment.csp_header.then(|| {
                explorer_config::Config::read(config_text.as_deref().unwrap_or(""))
                    .config
                    .content_security_policy()
            })
        });
        if let Some(csp) = csp {
            let csp = axum::http::HeaderValue::from_str(&csp).expect("CSP is a valid header value");
            app = app.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                axum::http::header::CONTENT_SECURITY_POLICY,
                csp,
            ));
        }
        if deployment.cross_origin_isolated {
            use axum::http::{HeaderName, HeaderValue};
            for (name, value) in [
                ("cross-origin-opener-policy", "same-origin"),
                ("cross-origin-embedder-policy", "require-corp"),
            ] {
                app = app.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                ));
            }
        }
        let mut server = StaticServer::serve(app, prefix).await;
        server.config = Some(served);
        server
    }

    /// Replaces the config.json this host serves (a deployment made with `config: Some(..)`),
    /// e.g. to list an API whose address is known only once it runs.
    pub fn set_config(&self, text: &str) {
        let served = self
            .config
            .as_ref()
            .expect("deployed with its own config.json");
        *served.lock().expect("config lock") = Some(text.to_owned());
    }

    /// Serves one HTML page at every path (a host page that embeds the explorer).
    pub async fn page(html: String) -> StaticServer {
        let app = axum::Router::new().fallback(move || async move { axum::response::Html(html) });
        StaticServer::serve(app, "/").await
    }

    async fn serve(app: axum::Router, prefix: &str) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("static server");
        });
        StaticServer {
            addr,
            prefix: prefix.to_owned(),
            stop: Some(stop),
            config: None,
        }
    }

    /// The app's URL, with an optional query string (`"entityId=1&view=status"`).
    pub fn url(&self, query: &str) -> String {
        let mut url = format!("http://{}{}", self.addr, self.prefix);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A headless Chromium session behind its own ChromeDriver. Call [`Browser::close`] at the end of
/// a test. A test that panics first drops it instead: the driver runs in its own process group,
/// and dropping kills the whole group, so no browser outlives its test.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // The group id is the driver's pid (`process_group(0)`); `-pid` addresses the group.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_with_args(&[]).await
    }

    /// [`Browser::start`] with extra Chromium flags (the benchmark adds
    /// `--enable-precise-memory-info` and `--js-flags=--expose-gc`).
    pub async fn start_with_args(extra: &[&str]) -> Browser {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port().await;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver}: {e} (scripts/setup installs it)")
            });
        let profile = tempfile::tempdir().expect("temp profile dir");
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=1280,900",
        ]
        .map(String::from)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let driver_url = format!("http://127.0.0.1:{port}");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut last_error = String::new();
        // ChromeDriver takes a moment to listen; retry the session request until it answers.
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&driver_url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        _profile: profile,
                    }
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session from {chromedriver}: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Waits until `css` matches at least one element and returns the first.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for `{css}`: {e}"))
    }

    /// Waits for `css` and clicks the first match.
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    /// The address bar.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .to_string()
    }

    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// Visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap_or_default()
    }

    /// The match count line as numbers: "N of M events" (or "N… of M events (searching)")
    /// → `(N, M)`; `None` while it shows no count (a query error, for one).
    pub async fn match_count(&self) -> Option<(u64, u64)> {
        match counts_in(&self.text("[data-testid=match-count]").await)[..] {
            [matching, total, ..] => Some((matching, total)),
            _ => None,
        }
    }

    /// How many events match now (the first number of the match count line).
    pub async fn matching(&self) -> Option<u64> {
        self.match_count().await.map(|(matching, _)| matching)
    }

    /// Visible text of the first element matching `css` now, empty when there is none (a line
    /// that comes and goes, like the fetch status).
    pub async fn text_now(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits for the input `data-testid=testid`, clears it and types `value`.
    pub async fn fill(&self, testid: &str, value: &str) {
        let input = self.wait_for(&format!("[data-testid={testid}]")).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Polls `check` until it returns true, failing with `what` after [`PATIENCE`].
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// Saves a PNG of the page (for README screenshots and for looking at failures).
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Ends the WebDriver session (the browser quits); dropping then stops the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    listener.local_addr().unwrap().port()
}

/// A large trail saved as response files, as a paged export of one customer would be: current
/// shape, [`Trail::PER_PAGE`] records a page, generated by audit-gen (the simulator's data).
/// Written once into a directory of its own under `under` (an integration test's
/// `CARGO_TARGET_TMPDIR`) and reused by later runs.
pub struct Trail {
    /// One file per page, page 0 first.
    pub files: Vec<PathBuf>,
    /// Audit records in all (each holds one or more events).
    pub records: u64,
}

impl Trail {
    pub const PER_PAGE: u64 = 1000;

    /// `records` records of one customer over 2015–2025.
    pub fn generate(under: &Path, records: u64) -> Trail {
        Trail::generate_paged(under, records, Trail::PER_PAGE)
    }

    /// [`Trail::generate`], `per_page` records a page (the same records whatever the paging).
    pub fn generate_paged(under: &Path, records: u64, per_page: u64) -> Trail {
        let dir = match per_page {
            Trail::PER_PAGE => under.join(format!("trail-{records}")),
            _ => under.join(format!("trail-{records}-by-{per_page}")),
        };
        let pages = records.div_ceil(per_page);
        let files: Vec<PathBuf> = (0..pages)
            .map(|p| dir.join(format!("page-{p:05}.json")))
            .collect();
        let done = dir.join("complete");
        if !done.is_file() {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("trail dir");
            for (file, page) in files
                .iter()
                .zip(audit_gen::demo_trail_pages(records, per_page))
            {
                std::fs::write(file, page).expect("trail page");
            }
            std::fs::write(&done, b"").expect("trail marker");
        }
        Trail { files, records }
    }

    /// The files as one `send_keys` text for a `multiple` file input (one path a line).
    pub fn as_upload(&self) -> String {
        self.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
