//! The HTTP server: routes, auth, rate limits, faults, CORS, dist serving.

use crate::config::{AuthMode, Config};
use crate::fault::{self, Fault, FaultRule};
use crate::store::{Query, SortBy, Store};
use audit_gen::{error_body, lookup_body, status_log_body, EntityType, Shape};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use capillary_vocab::{AuthKind, IdentifierName, SortOrder};
use hyper_util::rt::TokioIo;
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// The OAuth token header.
pub const OAUTH_HEADER: &str = "x-cap-api-oauth-token";
/// The per-request fault header (see [`crate::fault`]).
pub const FAULT_HEADER: &str = "x-sim-fault";

/// Sources the lookup endpoint accepts (anything else → 400 / code 8003).
const LOOKUP_SOURCES: &[&str] = &[
    "INSTORE",
    "FACEBOOK",
    "WEB_ENGAGE",
    "WECHAT",
    "MARTJACK",
    "TMALL",
    "ECOMMERCE",
    "JD",
    "LINE",
    "MOBILE_APP",
    "MAPP_SDK",
    "ALL",
];

/// A failure to start the simulator.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct AppState {
    cfg: Config,
    store: Store,
    rules: Vec<FaultRule>,
    /// token → (client key, expiry)
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    token_counter: AtomicU64,
    /// Path and query of every API request that reached a route, in arrival order (what a
    /// test asserts about: "only the new records were asked for").
    requests: Mutex<Vec<String>>,
}

type Shared = Arc<AppState>;

/// Per-connection switch: when set, the next write on the socket fails and
/// hyper drops the connection. Lets a fault close a connection from inside
/// a handler (`drop`, `cut`).
#[derive(Clone)]
struct ConnKill(Arc<AtomicBool>);

struct KillableIo<T> {
    inner: T,
    kill: Arc<AtomicBool>,
}

impl<T> KillableIo<T> {
    fn killed(&self) -> Option<io::Error> {
        self.kill.load(Ordering::SeqCst).then(|| {
            io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "fault: connection dropped",
            )
        })
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for KillableIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for KillableIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A running simulator. Dropping it stops the server too (connections are
/// aborted); [`Running::shutdown`] does the same and waits for it.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Shared,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl Running {
    /// The bound address (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Path and query (`/api_gateway/v2/audits?entityType=…`) of every API request that reached
    /// an endpoint so far, in arrival order: CORS preflights and static files are not in it.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state.requests).clone()
    }

    /// `n` new records arrive for an entity now, one a minute after its newest (as the `shift`
    /// fault does before a page); false for an unknown entity.
    pub fn add_records(&self, entity_type: EntityType, id: i64, n: u64) -> bool {
        self.state.store.shift(entity_type, id, n as i64).is_ok()
    }

    /// Stops accepting, aborts open connections, and waits until the server
    /// task has ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the simulator in-process on `config.host:config.port` (port 0 =
/// an ephemeral port; read it back from [`Running::addr`]).
///
/// Builds the dataset first (generated world plus dataset files; a
/// million-record entity takes a few seconds in release builds), then
/// serves on the current tokio runtime until [`Running::shutdown`] or drop.
/// Returns an error for an invalid config, an unreadable dataset or dist
/// directory, or a port that cannot be bound.
///
/// ```no_run
/// # async fn run() -> Result<(), capillary_sim::Error> {
/// let sim = capillary_sim::spawn(capillary_sim::Config::default()).await?;
/// let url = format!("{}/api_gateway/v2/audits?entityType=CUSTOMER&entityId=100200300", sim.url());
/// // ... send requests with `Authorization: Basic base64("demo:" + md5hex("demo123"))` ...
/// sim.shutdown().await;
/// # Ok(()) }
/// ```
pub async fn spawn(config: Config) -> Result<Running, Error> {
    let listener = TcpListener::bind((config.host, config.port))
        .await
        .map_err(|e| Error(format!("bind {}:{}: {e}", config.host, config.port)))?;
    spawn_on(listener, config).await
}

/// Like [`spawn`], on a listener the caller already bound (`config.host`
/// and `config.port` are then ignored).
pub async fn spawn_on(listener: TcpListener, config: Config) -> Result<Running, Error> {
    config.validate().map_err(Error)?;
    let addr = listener.local_addr().map_err(|e| Error(e.to_string()))?;
    let cfg = config.clone();
    let store = tokio::task::spawn_blocking(move || build_store(&cfg))
        .await
        .map_err(|e| Error(e.to_string()))??;
    let rules = config
        .faults
        .iter()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error)?;
    if let Some(dist) = &config.dist {
        if !dist.join("index.html").is_file() {
            return Err(Error(format!("{}: no index.html", dist.display())));
        }
    }
    let state = Arc::new(AppState {
        cfg: config,
        store,
        rules,
        tokens: Mutex::new(HashMap::new()),
        buckets: Mutex::new(HashMap::new()),
        token_counter: AtomicU64::new(0),
        requests: Mutex::new(Vec::new()),
    });
    let app = router(state.clone())?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, app, stopped));
    Ok(Running {
        addr,
        stop: Some(stop),
        task: Some(task),
        state,
    })
}

fn build_store(cfg: &Config) -> Result<Store, Error> {
    let world = if cfg.customers.is_empty() {
        None
    } else {
        Some(audit_gen::World::new(cfg.world_config().map_err(Error)?))
    };
    let mut saved = Vec::new();
    for path in &cfg.datasets {
        saved.extend(crate::dataset::load(path).map_err(Error)?);
    }
    Ok(Store::build(world.as_ref(), saved, cfg.seed))
}

async fn accept_loop(listener: TcpListener, app: Router, mut stopped: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let kill = Arc::new(AtomicBool::new(false));
                let io = TokioIo::new(KillableIo { inner: stream, kill: kill.clone() });
                let app = app.clone();
                let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnKill(kill.clone()));
                    app.clone().oneshot(req.map(Body::new))
                });
                conns.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

fn router(state: Shared) -> Result<Router, Error> {
    let guarded = Router::new()
        .route(Shape::Current.path(), get(audits_current))
        .route(Shape::Legacy.path(), get(audits_legacy))
        .route("/v2/customers/{id}/statusLog", get(customer_status_log))
        .route("/v2/card/statusLog", get(card_status_log))
        .route("/v2/customers/lookup/customerDetails", get(lookup))
        .route_layer(from_fn_with_state(state.clone(), guard));
    let api = guarded
        .route("/v3/oauth/token/generate", post(token))
        .route_layer(from_fn_with_state(state.clone(), faults))
        .method_not_allowed_fallback(not_found);
    let mut app = match &state.cfg.dist {
        None => api.fallback(not_found),
        Some(dir) => {
            let serve = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
            let prefix = state.cfg.dist_prefix.trim_end_matches('/');
            if prefix.is_empty() {
                api.fallback_service(serve)
            } else {
                // The build uses relative asset URLs (Trunk public_url "./"),
                // so the bare prefix must redirect to the slash form.
                let target = format!("{prefix}/");
                let strip_len = prefix.len();
                let stripped = serve.map_request(move |mut req: Request| {
                    let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
                    let rest = pq.get(strip_len..).unwrap_or("/").to_string();
                    if let Ok(uri) = rest.parse() {
                        *req.uri_mut() = uri;
                    }
                    req
                });
                api.route(
                    prefix,
                    get(move || async move { axum::response::Redirect::permanent(&target) }),
                )
                .route_service(&format!("{prefix}/"), stripped.clone())
                .route_service(&format!("{prefix}/{{*rest}}"), stripped)
                .fallback(not_found)
            }
        }
    };
    if !state.cfg.cors_origins.is_empty() {
        app = app.layer(cors(&state.cfg.cors_origins)?);
    }
    Ok(app.with_state(state))
}

fn cors(origins: &[String]) -> Result<CorsLayer, Error> {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o.trim_end_matches('/'))
                    .map_err(|e| Error(format!("cors origin {o}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(list)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(OAUTH_HEADER),
            HeaderName::from_static(FAULT_HEADER),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600)))
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The error envelope with `code` and `message`.
fn error(status: StatusCode, code: i64, message: &str) -> Response {
    json(status, error_body(code, message))
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        404,
        &format!("No such endpoint: {method} {}", uri.path()),
    )
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl AppState {
    /// The kind of credential a request carries: [`AuthKind::None`] when the simulator checks
    /// none ([`AuthMode::None`]), else the OAuth token header before `Authorization` (Basic).
    fn auth_kind(&self, headers: &HeaderMap) -> Result<AuthKind, &'static str> {
        if self.cfg.auth == AuthMode::None {
            Ok(AuthKind::None)
        } else if headers.contains_key(OAUTH_HEADER) {
            Ok(AuthKind::OAuth)
        } else if headers.contains_key(header::AUTHORIZATION) {
            Ok(AuthKind::Basic)
        } else {
            Err("Authentication required: Basic or X-CAP-API-OAUTH-TOKEN")
        }
    }

    /// The credential id of a request (for rate limits: `basic:demo`, `oauth:demo-key`, or
    /// `none` when credentials are not checked), or why it is refused.
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, &'static str> {
        let kind = self.auth_kind(headers)?;
        let who = match kind {
            AuthKind::None => return Ok(kind.key().to_owned()),
            AuthKind::OAuth => self.oauth_client(headers)?,
            AuthKind::Basic => self.basic_user(headers)?,
        };
        Ok(format!("{}:{who}", kind.key()))
    }

    /// The key of the client whose live token the request carries.
    fn oauth_client(&self, headers: &HeaderMap) -> Result<String, &'static str> {
        let token = headers.get(OAUTH_HEADER).ok_or("Invalid OAuth token")?;
        let token = token.to_str().map_err(|_| "Invalid OAuth token")?;
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens.get(token) {
            Some((key, exp)) if *exp > Instant::now() => Ok(key.clone()),
            Some(_) => Err("OAuth token expired"),
            None => Err("Invalid OAuth token"),
        }
    }

    /// The user whose Basic credentials (`base64(user:md5hex(password))`) the request carries.
    fn basic_user(&self, headers: &HeaderMap) -> Result<String, &'static str> {
        let auth = headers
            .get(header::AUTHORIZATION)
            .ok_or("Invalid Authorization header")?;
        let auth = auth.to_str().map_err(|_| "Invalid Authorization header")?;
        let b64 = auth
            .strip_prefix("Basic ")
            .or_else(|| auth.strip_prefix("basic "))
            .ok_or("Only Basic authorization is supported")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or("Invalid Basic credentials")?;
        let (user, hash) = decoded.split_once(':').ok_or("Invalid Basic credentials")?;
        self.cfg
            .users
            .iter()
            .find(|u| u.username == user && md5_hex(&u.password).eq_ignore_ascii_case(hash))
            .map(|u| u.username.clone())
            .ok_or("Invalid username or password")
    }

    /// Takes one request from the credential's bucket, or returns the
    /// seconds until one is available.
    fn take_token(&self, who: &str, per_minute: u32) -> Result<(), u64> {
        let rate = f64::from(per_minute) / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let b = buckets.entry(who.to_string()).or_insert(Bucket {
            tokens: f64::from(per_minute),
            last: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(f64::from(per_minute));
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let who = match st.authenticate(req.headers()) {
        Ok(w) => w,
        Err(msg) => return error(StatusCode::UNAUTHORIZED, 401, msg),
    };
    if let Some(rpm) = st.cfg.rate_limit_per_minute {
        if let Err(wait) = st.take_token(&who, rpm) {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                429,
                "Rate limit exceeded, retry later",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return r;
        }
    }
    next.run(req).await
}

async fn faults(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let asked = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    lock(&st.requests).push(asked);
    let mut f = Fault::default();
    for rule in &st.rules {
        if rule.applies(&path) {
            f.merge(&rule.fault);
        }
    }
    if st.cfg.fault_header {
        if let Some(h) = req.headers().get(FAULT_HEADER) {
            match h.to_str().map_err(|e| e.to_string()).and_then(Fault::parse) {
                Ok(hf) => f.merge(&hf),
                Err(e) => return error(StatusCode::BAD_REQUEST, 400, &format!("X-Sim-Fault: {e}")),
            }
        }
    }
    if f.is_none() {
        return next.run(req).await;
    }
    if f.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    let kill = req.extensions().get::<ConnKill>().cloned();
    if f.drop {
        if let Some(k) = &kill {
            k.0.store(true, Ordering::SeqCst);
        }
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if let Some(location) = &f.redirect {
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(value) = HeaderValue::from_str(location) {
            r.headers_mut().insert(header::LOCATION, value);
        }
        return r;
    }
    if let Some(status) = f.status {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let msg = match status {
            429 => "Too many requests (simulated)",
            521 => "Multiple actions running for the same customer, try later (simulated)",
            _ => "Simulated failure",
        };
        let mut r = error(code, i64::from(status), msg);
        if matches!(status, 429 | 503) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(f.retry_after));
        }
        return r;
    }
    req.extensions_mut().insert(f.clone());
    let resp = next.run(req).await;
    if !(f.damage || f.truncate.is_some() || f.cut.is_some()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut bytes = bytes.to_vec();
    if f.damage {
        bytes = fault::damage(&bytes);
    }
    if let Some(p) = f.truncate {
        bytes = fault::truncate(&bytes, p).to_vec();
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    match (f.cut, kill) {
        (Some(p), Some(kill)) => {
            // Announce the full length, send part, then kill the connection.
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            let head = Bytes::copy_from_slice(fault::truncate(&bytes, p));
            let first = futures_util::stream::iter([Ok::<Bytes, io::Error>(head)]);
            let death = futures_util::stream::once(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                kill.0.store(true, Ordering::SeqCst);
                Err::<Bytes, io::Error>(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "fault: cut",
                ))
            });
            use futures_util::StreamExt as _;
            Response::from_parts(parts, Body::from_stream(first.chain(death)))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

fn params(req: &Request) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default()
}

fn entity_not_found(t: EntityType) -> Response {
    match t {
        EntityType::Customer => error(
            StatusCode::NOT_FOUND,
            8015,
            "Customer not found for the given identifiers",
        ),
        EntityType::Card => error(StatusCode::NOT_FOUND, 3010, "Card number does not exist"),
    }
}

fn bad(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 400, message)
}

/// Validates the documented audit parameters (`Err`: the 400 message).
fn parse_audit_query(
    p: &HashMap<String, String>,
    max_limit: u64,
) -> Result<(EntityType, i64, Query), String> {
    let entity_type = match p.get("entityType") {
        None => return Err("entityType is required (CUSTOMER or CARD)".to_string()),
        Some(t) => {
            EntityType::parse(t).ok_or_else(|| "entityType must be CUSTOMER or CARD".to_string())?
        }
    };
    let entity_id = match p.get("entityId") {
        None => return Err("entityId is required".to_string()),
        Some(id) => id
            .trim()
            .parse::<i64>()
            .map_err(|_| "entityId must be a number".to_string())?,
    };
    let limit = match p.get("limit") {
        None => 10,
        Some(l) => match l.trim().parse::<u64>() {
            Ok(l) if (1..=max_limit).contains(&l) => l,
            _ => return Err(format!("limit must be between 1 and {max_limit}")),
        },
    };
    let page = match p.get("pageNo") {
        None => 0,
        Some(n) => n
            .trim()
            .parse::<u64>()
            .map_err(|_| "pageNo must be a number >= 0".to_string())?,
    };
    let sort_by = match p.get("sortBy").map(String::as_str) {
        None | Some("autoUpdateTime") => SortBy::AutoUpdateTime,
        Some("createdOn") => SortBy::CreatedOn,
        Some(_) => return Err("sortBy must be autoUpdateTime or createdOn".to_string()),
    };
    let descending = match p.get("sortOrder").map(String::as_str).map(SortOrder::parse) {
        None | Some(Some(SortOrder::Desc)) => true,
        Some(Some(SortOrder::Asc)) => false,
        Some(None) => return Err("sortOrder must be ASC or DESC".to_string()),
    };
    let date = |key: &str, end: bool| -> Result<Option<i64>, String> {
        match p.get(key) {
            None => Ok(None),
            Some(d) => {
                let ms = audit_gen::time::parse_query_date(d).ok_or_else(|| {
                    format!("{key} must look like 2022-08-18 12:00:00 or 2022-08-18")
                })?;
                // A date alone as endDate covers that whole day.
                Ok(Some(if end && d.trim().len() == 10 {
                    ms + audit_gen::time::DAY_MS - 1
                } else {
                    ms
                }))
            }
        }
    };
    let start = date("startDate", false)?;
    let end = date("endDate", true)?;
    let include_user_context = match p.get("includeUserContext") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err("includeUserContext must be true or false".to_string()),
    };
    let non_empty = |k: &str| {
        p.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Ok((
        entity_type,
        entity_id,
        Query {
            source: non_empty("source"),
            start,
            end,
            reference_type: non_empty("referenceType"),
            reference_value: non_empty("referenceValue"),
            sort_by,
            descending,
            limit,
            page,
            include_user_context,
        },
    ))
}

async fn audits(st: Shared, req: Request, shape: Shape) -> Response {
    let p = params(&req);
    let (t, id, q) = match parse_audit_query(&p, st.cfg.max_limit) {
        Ok(v) => v,
        Err(msg) => return bad(&msg),
    };
    if !st.store.contains(t, id) {
        return entity_not_found(t);
    }
    if let Some(f) = req.extensions().get::<Fault>() {
        if f.shift != 0 {
            let _ = st.store.shift(t, id, f.shift);
        }
    }
    match st.store.page(t, id, &q, shape) {
        Ok(body) => json(StatusCode::OK, body),
        Err(_) => entity_not_found(t),
    }
}

async fn audits_current(State(st): State<Shared>, req: Request) -> Response {
    audits(st, req, Shape::Current).await
}

async fn audits_legacy(State(st): State<Shared>, req: Request) -> Response {
    audits(st, req, Shape::Legacy).await
}

async fn customer_status_log(State(st): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return bad("customer id must be a number");
    };
    match st.store.status_log(EntityType::Customer, id) {
        Ok(entries) => json(StatusCode::OK, status_log_body(&entries)),
        Err(_) => entity_not_found(EntityType::Customer),
    }
}

async fn card_status_log(State(st): State<Shared>, req: Request) -> Response {
    let p = params(&req);
    let Some(number) = p.get("number").map(|n| n.trim()).filter(|n| !n.is_empty()) else {
        return bad("number is required");
    };
    let Some(card) = st.store.card_by_number(number) else {
        return entity_not_found(EntityType::Card);
    };
    match st.store.status_log(EntityType::Card, card) {
        Ok(entries) => json(StatusCode::OK, status_log_body(&entries)),
        Err(_) => entity_not_found(EntityType::Card),
    }
}

async fn lookup(State(st): State<Shared>, req: Request) -> Response {
    let p = params(&req);
    let (Some(source), Some(name), Some(value)) = (
        p.get("source"),
        p.get("identifierName"),
        p.get("identifierValue"),
    ) else {
        return bad("source, identifierName and identifierValue are required");
    };
    if !LOOKUP_SOURCES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(source))
    {
        return error(StatusCode::BAD_REQUEST, 8003, "Invalid source");
    }
    let Some(name) = IdentifierName::parse(name) else {
        return bad("identifierName must be mobile, email, externalId or cardnumber");
    };
    match st
        .store
        .lookup(name, value.trim())
        .and_then(|id| st.store.profile(id))
    {
        Some(profile) => json(
            StatusCode::OK,
            lookup_body(profile, &source.to_ascii_uppercase()),
        ),
        None => entity_not_found(EntityType::Customer),
    }
}

async fn token(State(st): State<Shared>, body: Bytes) -> Response {
    let v: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "Body must be JSON {\"key\":…,\"secret\":…}",
            )
        }
    };
    let (Some(key), Some(secret)) = (
        v.get("key").and_then(|k| k.as_str()),
        v.get("secret").and_then(|s| s.as_str()),
    ) else {
        return token_error(StatusCode::BAD_REQUEST, "key and secret are required");
    };
    if !st
        .cfg
        .oauth_clients
        .iter()
        .any(|c| c.key == key && c.secret == secret)
    {
        return token_error(StatusCode::UNAUTHORIZED, "Invalid key or secret");
    }
    let n = st.token_counter.fetch_add(1, Ordering::Relaxed);
    let token = make_jwt(key, n, st.cfg.token_ttl_secs);
    let ttl = Duration::from_secs(st.cfg.token_ttl_secs);
    st.tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(token.clone(), (key.to_string(), Instant::now() + ttl));
    let body = serde_json::json!({"data": {"accessToken": token, "ttlSeconds": st.cfg.token_ttl_secs}, "errors": null});
    json(StatusCode::OK, body.to_string().into_bytes())
}

fn token_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"data": null, "errors": [{"status": false, "code": status.as_u16(), "message": message}]});
    json(status, body.to_string().into_bytes())
}

/// A JWT-looking opaque token (the explorer must treat it as opaque).
fn make_jwt(key: &str, n: u64, ttl: u64) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let payload =
        serde_json::json!({"sub": key, "iat": now, "exp": now + ttl, "jti": n}).to_string();
    let sig = format!(
        "{:016x}{:016x}",
        audit_gen::rng::mix(now, n),
        audit_gen::rng::mix(n, key.len() as u64 ^ now)
    );
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&payload),
        b64(&sig)
    )
}

/// A mutex's value, also after a handler panicked holding it (the simulator keeps serving).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
