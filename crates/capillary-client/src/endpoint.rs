//! Where the API lives ([`ApiBase`]), what to ask it ([`AuditParams`]) and the
//! URLs of every endpoint the explorer calls.
//!
//! URLs are built by hand rather than with the `url` crate: the grammar the
//! explorer accepts is small (an http(s) origin with an optional path prefix,
//! or a same-origin path), and the `url` crate with its IDNA tables would
//! weigh more than the rest of the client in the WASM bundle.

use std::fmt;

use serde_json::Value;

use capillary_vocab::civil::days_in_month;

use crate::host::parse_host;
use crate::problem::Problem;

/// The API's nouns are the vocabulary's (one spelling each, shared by every crate); they are
/// re-exported here because every request is made of them. `ReferenceType` is the
/// vocabulary's [`capillary_vocab::EventType`]: a request may name any of
/// [`ReferenceType::ALL`] (never [`ReferenceType::Other`], which [`AuditParams::validate`]
/// refuses).
pub use capillary_vocab::{
    percent::encode_component, EntityType, EventType as ReferenceType, Generation, IdentifierName,
    SortOrder,
};

/// Capillary's documented cluster hosts (`https://{id}.api.capillarytech.com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cluster {
    Eu,
    Us,
    In,
    Apac,
    Apac2,
    Sea,
    Ushc,
}

impl Cluster {
    /// Every preset, in the order the UI lists them.
    pub const ALL: [Cluster; 7] = [
        Cluster::Eu,
        Cluster::Us,
        Cluster::In,
        Cluster::Apac,
        Cluster::Apac2,
        Cluster::Sea,
        Cluster::Ushc,
    ];

    /// The short name (`eu`, `apac2`, …), also the first label of the host.
    pub fn id(self) -> &'static str {
        match self {
            Cluster::Eu => "eu",
            Cluster::Us => "us",
            Cluster::In => "in",
            Cluster::Apac => "apac",
            Cluster::Apac2 => "apac2",
            Cluster::Sea => "sea",
            Cluster::Ushc => "ushc",
        }
    }

    /// `eu.api.capillarytech.com`, …
    pub fn host(self) -> String {
        format!("{}.api.capillarytech.com", self.id())
    }

    /// Parses a short name, case-insensitively.
    pub fn from_id(id: &str) -> Option<Cluster> {
        Cluster::ALL
            .into_iter()
            .find(|c| c.id().eq_ignore_ascii_case(id.trim()))
    }

    fn from_host(host: &str) -> Option<Cluster> {
        let id = host.strip_suffix(".api.capillarytech.com")?;
        Cluster::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// Why a typed API address was refused. The `Display` text is shown under the
/// input as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    Empty,
    /// Only `http` and `https` can be fetched from a browser page.
    Scheme(String),
    /// `user:pass@host`: credentials belong in the auth form, where they are
    /// kept out of URLs, history and shared links.
    CredentialsInUrl,
    MissingHost,
    BadHost(String),
    BadPort(String),
    /// A base URL with `?…` or `#…` would corrupt every endpoint appended to it.
    QueryOrFragment,
    BadPath(String),
    /// Neither a cluster name, a host, a URL nor a path.
    Unrecognised(String),
    /// `"null"`: the origin of a sandboxed frame, a `file://` page or a `data:` URL. It is
    /// opaque, equal to no other origin (not even itself, to a browser), so nothing can be
    /// called from it as a page or bound to it; it must never be replaced by a guess.
    OpaqueOrigin,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::Empty => f.write_str("Enter a cluster (eu, us, in, apac, apac2, sea, ushc), a base URL or a proxy path such as /capillary."),
            EndpointError::Scheme(s) => write!(f, "The address must start with https:// or http://, not {s}://."),
            EndpointError::CredentialsInUrl => f.write_str("The address must not contain a username or password; enter them under Authentication instead."),
            EndpointError::MissingHost => f.write_str("The address has no host name."),
            EndpointError::BadHost(h) => write!(f, "\"{h}\" is not a valid host name."),
            EndpointError::BadPort(p) => write!(f, "\"{p}\" is not a valid port number."),
            EndpointError::QueryOrFragment => f.write_str("The base address must not contain ? or #; enter only the scheme, host and an optional path."),
            EndpointError::BadPath(p) => write!(f, "\"{p}\" is not a valid path: use letters, digits and - _ . ~ / only."),
            EndpointError::Unrecognised(s) => write!(f, "\"{s}\" is neither a cluster name, a URL nor a path starting with /."),
            EndpointError::OpaqueOrigin => f.write_str("The origin \"null\" (a sandboxed frame, a file:// page or a data: URL) is opaque: no API call or credential can be tied to it. Open the explorer from its https:// (or http://) address."),
        }
    }
}

impl std::error::Error for EndpointError {}

/// A web origin (scheme, host, port): the unit that decides whether a call is
/// cross-origin (and so subject to CORS). It serialises as the URL standard's
/// origin serialisation (`URL.origin`): scheme and host lowercased, IPv4 and
/// IPv6 in their canonical spelling, a trailing dot kept (`https://host.` is
/// another origin than `https://host`), default ports left out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    /// Serialised as the URL standard does (see the `host` module).
    host: String,
    /// Explicit port; `None` is the scheme's default (80/443), so
    /// `https://h` and `https://h:443` compare equal.
    port: Option<u16>,
}

impl Origin {
    /// The origin of an absolute `http(s)` URL, or of a page
    /// (`window.location.origin`). `"null"` (a sandboxed frame, a `file://`
    /// page) is [`EndpointError::OpaqueOrigin`]: the app must report that the
    /// page's origin cannot be used, never substitute one.
    pub fn parse(url: &str) -> Result<Origin, EndpointError> {
        if url.trim() == "null" {
            return Err(EndpointError::OpaqueOrigin);
        }
        Ok(split_absolute(url)?.origin)
    }

    /// The origin a request to `url` goes to, as the browser will resolve it:
    /// a path (a same-origin proxy) resolves to `page`, the origin the
    /// explorer is served from. See [`ApiScope::covers`] for what is refused.
    pub fn of_target(url: &str, page: &Origin) -> Result<Origin, EndpointError> {
        resolve_request(url, page).map(|(origin, _)| origin)
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The effective port (default ports filled in).
    pub fn port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

struct AbsoluteParts {
    origin: Origin,
    /// Path, query and fragment as given (may be empty).
    rest: String,
}

/// Splits `scheme://host[:port][rest]`, refusing userinfo and non-http schemes.
/// The authority ends where a browser ends it: at `/`, `?`, `#`, or `\`
/// (which http(s) URLs read as `/`).
fn split_absolute(url: &str) -> Result<AbsoluteParts, EndpointError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(EndpointError::Empty);
    }
    let (scheme, after) = url
        .split_once("://")
        .ok_or_else(|| EndpointError::Unrecognised(url.to_string()))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(EndpointError::Scheme(scheme));
    }
    let auth_end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(auth_end);
    if authority.contains('@') {
        return Err(EndpointError::CredentialsInUrl);
    }
    let (host, port) = split_host_port(authority)?;
    let default = if scheme == "https" { 443 } else { 80 };
    Ok(AbsoluteParts {
        origin: Origin {
            scheme,
            host,
            port: port.filter(|p| *p != default),
        },
        rest: rest.to_string(),
    })
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), EndpointError> {
    if authority.is_empty() {
        return Err(EndpointError::MissingHost);
    }
    // The port follows the last `:` outside an IPv6 literal's brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(EndpointError::MissingHost);
    }
    let host = parse_host(host).ok_or_else(|| EndpointError::BadHost(host.to_string()))?;
    let port = match port {
        // `https://h:/x` has no port, as in a browser.
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
            _ => return Err(EndpointError::BadPort(p.to_string())),
        },
    };
    Ok((host, port))
}

/// Path characters accepted in a base path or proxy path. Anything else
/// (spaces, `%`, quotes, `\`) is refused rather than silently encoded, and so
/// are `.` and `..` segments, which a browser resolves away before it sends
/// the request: the address the user typed is the address called.
fn valid_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.contains("//")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'))
        && p.split('/')
            .all(|segment| segment != "." && segment != "..")
}

/// The origin and path a request to `url` goes to, read as a browser's
/// `fetch` will read it, or an error for a URL it could read differently
/// from a plain reading. Every URL this crate builds passes; refused are
/// spaces and control characters (a browser strips tabs and newlines
/// anywhere, so `/<tab>/host` is `//host`), `\` (read as `/`, so `/\host` is
/// another origin), scheme-relative `//host`, and paths [`valid_path`]
/// refuses: `%` escapes (a server may decode `..%2F` into a `..` segment)
/// and `.`/`..` segments (resolved away before sending).
pub(crate) fn resolve_request<'u>(
    url: &'u str,
    page: &Origin,
) -> Result<(Origin, &'u str), EndpointError> {
    if url.chars().any(|c| c <= ' ' || c == '\\') {
        return Err(EndpointError::Unrecognised(url.to_string()));
    }
    let (origin, rest) = if url.starts_with('/') && !url.starts_with("//") {
        (page.clone(), url)
    } else {
        let parts = split_absolute(url)?;
        let rest_at = url.len() - parts.rest.len();
        (parts.origin, &url[rest_at..])
    };
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let path = if path.is_empty() { "/" } else { path };
    if !valid_path(path) {
        return Err(EndpointError::BadPath(path.to_string()));
    }
    Ok((origin, path))
}

/// Where credentials may go: the API base they were entered for, resolved
/// against the page (a proxy path lives on the page's own origin). A request
/// is inside when it goes to the same origin and its path is the base's path
/// or below it on a segment boundary: credentials entered for
/// `https://h/capillary` go to `https://h/capillary/v2/…`, never to
/// `https://h/capillary-evil/…` or `https://h/other/…`, which on a shared
/// host can be someone else's service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiScope {
    origin: Origin,
    /// `""` (the whole origin) or `/prefix`, without a trailing `/`.
    path: String,
}

impl ApiScope {
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The path prefix (`""` for a base at the origin's root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// True when a request to `url` (absolute, or a path on `page`) stays
    /// inside. URLs a browser could read differently than they look are
    /// never inside (see the refusals of `resolve_request`).
    pub fn covers(&self, url: &str, page: &Origin) -> bool {
        resolve_request(url, page).is_ok_and(|(origin, path)| self.contains(&origin, path))
    }

    pub(crate) fn contains(&self, origin: &Origin, path: &str) -> bool {
        *origin == self.origin
            && path
                .strip_prefix(self.path.as_str())
                .is_some_and(|below| below.is_empty() || below.starts_with('/'))
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

/// Which kind of address an [`ApiBase`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseKind {
    /// A documented cluster preset.
    Cluster(Cluster),
    /// Any other absolute `http(s)` URL (own host, `apac.api.intouch…`, the simulator).
    Custom,
    /// A path on the explorer's own origin, served by a reverse proxy that
    /// forwards to a cluster (and usually adds the credentials).
    Proxy,
}

/// A validated API address. Endpoint paths are appended to [`ApiBase::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    kind: BaseKind,
    /// `https://eu.api.capillarytech.com`, `https://host/prefix` or `/capillary`;
    /// never ends with `/`.
    prefix: String,
    /// `None` for a proxy path (same origin as the page).
    origin: Option<Origin>,
    /// The path part of `prefix` (`""` at an origin's root).
    path: String,
}

impl ApiBase {
    /// A documented cluster.
    pub fn cluster(c: Cluster) -> ApiBase {
        let host = c.host();
        ApiBase {
            kind: BaseKind::Cluster(c),
            prefix: format!("https://{host}"),
            origin: Some(Origin {
                scheme: "https".into(),
                host,
                port: None,
            }),
            path: String::new(),
        }
    }

    /// An absolute `http(s)://host[:port][/path]` base URL. A bare host
    /// (`apac.api.intouch.capillarytech.com`) means `https://` that host.
    pub fn custom(url: &str) -> Result<ApiBase, EndpointError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(EndpointError::Empty);
        }
        let owned;
        let url = if url.contains("://") {
            url
        } else {
            owned = format!("https://{url}");
            &owned
        };
        let parts = split_absolute(url)?;
        if parts.rest.contains(['?', '#']) {
            return Err(EndpointError::QueryOrFragment);
        }
        let path = parts.rest.trim_end_matches('/');
        if !path.is_empty() && !valid_path(path) {
            return Err(EndpointError::BadPath(parts.rest.clone()));
        }
        let origin = parts.origin;
        if path.is_empty() && origin.scheme == "https" && origin.port.is_none() {
            if let Some(c) = Cluster::from_host(&origin.host) {
                return Ok(ApiBase::cluster(c));
            }
        }
        Ok(ApiBase {
            kind: BaseKind::Custom,
            prefix: format!("{origin}{path}"),
            origin: Some(origin),
            path: path.to_string(),
        })
    }

    /// A same-origin reverse-proxy path such as `/capillary`.
    pub fn proxy(path: &str) -> Result<ApiBase, EndpointError> {
        let path = path.trim();
        if path.is_empty() {
            return Err(EndpointError::Empty);
        }
        if path.contains(['?', '#']) {
            return Err(EndpointError::QueryOrFragment);
        }
        if !valid_path(path) {
            return Err(EndpointError::BadPath(path.to_string()));
        }
        let path = path.trim_end_matches('/').to_string();
        Ok(ApiBase {
            kind: BaseKind::Proxy,
            prefix: path.clone(),
            origin: None,
            path,
        })
    }

    /// Reads whatever the user typed (or the app saved in its URL state):
    /// a cluster name, a path starting with `/`, a URL, or a bare host.
    /// [`ApiBase::as_str`] parses back to the same base.
    pub fn parse(input: &str) -> Result<ApiBase, EndpointError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EndpointError::Empty);
        }
        if let Some(c) = Cluster::from_id(s) {
            return Ok(ApiBase::cluster(c));
        }
        if s.starts_with('/') && !s.starts_with("//") {
            return ApiBase::proxy(s);
        }
        if s.contains("://") || s.contains('.') || s.contains(':') || s.contains('@') {
            return ApiBase::custom(s);
        }
        if s.eq_ignore_ascii_case("localhost") {
            return ApiBase::custom("http://localhost");
        }
        Err(EndpointError::Unrecognised(s.to_string()))
    }

    pub fn kind(&self) -> BaseKind {
        self.kind
    }

    /// The prefix endpoint paths are appended to (no trailing `/`); safe to
    /// put in the app's URL state: validation refuses credentials.
    pub fn as_str(&self) -> &str {
        &self.prefix
    }

    /// The origin calls go to; a proxy path resolves to `page`, the
    /// explorer's own origin.
    pub fn origin(&self, page: &Origin) -> Origin {
        self.origin.clone().unwrap_or_else(|| page.clone())
    }

    /// Where credentials entered for this base may go, seen from `page`.
    pub fn scope(&self, page: &Origin) -> ApiScope {
        ApiScope {
            origin: self.origin(page),
            path: self.path.clone(),
        }
    }

    /// True when a browser on `page` can call this base without CORS.
    pub fn is_same_origin(&self, page: &Origin) -> bool {
        self.origin(page) == *page
    }

    /// `prefix + path`; `path` starts with `/`.
    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

impl fmt::Display for ApiBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix)
    }
}

/// Builds `?a=1&b=2` with every key and value encoded.
#[derive(Default)]
struct QueryString(String);

impl QueryString {
    fn push(&mut self, key: &str, value: &str) {
        self.0.push(if self.0.is_empty() { '?' } else { '&' });
        self.0.push_str(&encode_component(key));
        self.0.push('=');
        self.0.push_str(&encode_component(value));
    }
}

/// A parameter our own validation refused, named as the API names it so the
/// 400 explanation and the UI field can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

impl std::error::Error for ParamError {}

fn param_err(param: &'static str, message: impl Into<String>) -> ParamError {
    ParamError {
        param,
        message: message.into(),
    }
}

/// Every parameter of the audit endpoints. `None` leaves a parameter out so
/// the API's default applies (limit 10, page 0, sort by `autoUpdateTime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditParams {
    pub entity_type: EntityType,
    pub entity_id: i64,
    pub source: Option<String>,
    pub limit: Option<u32>,
    pub page_no: Option<u32>,
    pub sort_by: Option<String>,
    pub sort_order: Option<SortOrder>,
    /// `2022-08-18 12:00:00` or `2022-08-18` (time zone unconfirmed: passed as typed).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub reference_type: Option<ReferenceType>,
    pub reference_value: Option<String>,
    pub include_user_context: Option<bool>,
}

impl AuditParams {
    pub fn new(entity_type: EntityType, entity_id: i64) -> AuditParams {
        AuditParams {
            entity_type,
            entity_id,
            source: None,
            limit: None,
            page_no: None,
            sort_by: None,
            sort_order: None,
            start_date: None,
            end_date: None,
            reference_type: None,
            reference_value: None,
            include_user_context: None,
        }
    }

    pub fn customer(id: i64) -> AuditParams {
        AuditParams::new(EntityType::Customer, id)
    }

    pub fn card(id: i64) -> AuditParams {
        AuditParams::new(EntityType::Card, id)
    }

    /// Checks what the API documents, so a typo is named before a request is
    /// spent on a 400.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.entity_id <= 0 {
            return Err(param_err("entityId", "must be a positive number"));
        }
        if self.limit == Some(0) {
            return Err(param_err("limit", "must be at least 1"));
        }
        if self.reference_type == Some(ReferenceType::Other) {
            return Err(param_err(
                "referenceType",
                "must be one of the documented reference types",
            ));
        }
        if let Some(s) = &self.sort_by {
            if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(param_err(
                    "sortBy",
                    "must be a field name such as autoUpdateTime",
                ));
            }
        }
        if let Some(s) = &self.source {
            if s.trim().is_empty() {
                return Err(param_err(
                    "source",
                    "is empty; leave it out for all sources",
                ));
            }
        }
        let start = match &self.start_date {
            Some(d) => Some(parse_date_param(d, false).ok_or_else(|| date_err("startDate"))?),
            None => None,
        };
        let end = match &self.end_date {
            Some(d) => Some(parse_date_param(d, true).ok_or_else(|| date_err("endDate"))?),
            None => None,
        };
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(param_err("endDate", "is before startDate"));
            }
        }
        Ok(())
    }

    /// The query string (`?entityType=…`), parameters in documented order (`pageNo`, which
    /// the fetch plan sets, right after `limit`).
    pub fn query_string(&self) -> String {
        let mut q = QueryString::default();
        q.push("entityType", self.entity_type.as_str());
        q.push("entityId", &self.entity_id.to_string());
        for param in &AUDIT_PARAMS {
            if let Some(value) = (param.get)(self) {
                q.push(param.name, &value);
            }
            if param.name == "limit" {
                if let Some(p) = self.page_no {
                    q.push("pageNo", &p.to_string());
                }
            }
        }
        q.0
    }
}

/// How the connection panel offers an audit parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Text,
    Number,
    /// `YYYY-MM-DD HH:MM:SS` (the panel's `datetime-local` input).
    DateTime,
    /// One of these values, or the API's default (`""`).
    Choice(&'static [&'static str]),
    /// A checkbox; unticked sends `false`.
    Flag {
        checked_by_default: bool,
    },
}

/// One optional parameter of the audit endpoints: its name (the API's, and the link's), how the
/// connection panel offers it, and how it is read and written. Every audit parameter is an entry
/// of [`AUDIT_PARAMS`], which the request URL, the explorer's links and the panel all follow:
/// adding a parameter is a field of [`AuditParams`] and an entry here.
#[derive(Clone, Copy)]
pub struct AuditParam {
    pub name: &'static str,
    pub control: Control,
    /// The value as the API spells it; `None` leaves the parameter out.
    pub get: fn(&AuditParams) -> Option<String>,
    /// Reads a value from a link or the panel (trimmed; empty leaves it out). The error says
    /// what was expected; [`AuditParams::validate`] then checks the parameters together.
    pub set: fn(&mut AuditParams, &str) -> Result<(), String>,
}

impl fmt::Debug for AuditParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditParam")
            .field("name", &self.name)
            .finish()
    }
}

impl AuditParam {
    /// Reads `value` into `params`, naming this parameter on failure.
    pub fn read(&self, params: &mut AuditParams, value: &str) -> Result<(), ParamError> {
        (self.set)(params, value.trim()).map_err(|message| param_err(self.name, message))
    }
}

fn text(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

fn parsed<T>(
    v: &str,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    parse(v)
        .map(Some)
        .ok_or_else(|| format!("`{v}` is not {expected}"))
}

/// Every optional audit parameter, in the documented order.
pub const AUDIT_PARAMS: [AuditParam; 9] = [
    AuditParam {
        name: "source",
        control: Control::Text,
        get: |p| p.source.as_ref().map(|s| s.trim().to_owned()),
        set: |p, v| {
            p.source = text(v);
            Ok(())
        },
    },
    AuditParam {
        name: "limit",
        control: Control::Number,
        get: |p| p.limit.map(|l| l.to_string()),
        set: |p, v| {
            p.limit = parsed(v, |v| v.parse().ok(), "a number")?;
            Ok(())
        },
    },
    AuditParam {
        name: "sortBy",
        control: Control::Text,
        get: |p| p.sort_by.clone(),
        set: |p, v| {
            p.sort_by = text(v);
            Ok(())
        },
    },
    AuditParam {
        name: "sortOrder",
        control: Control::Choice(&SORT_ORDER_NAMES),
        get: |p| p.sort_order.map(|o| o.as_str().to_owned()),
        set: |p, v| {
            p.sort_order = parsed(v, SortOrder::parse, "ASC or DESC")?;
            Ok(())
        },
    },
    AuditParam {
        name: "startDate",
        control: Control::DateTime,
        get: |p| p.start_date.as_deref().map(normalise_date),
        set: |p, v| {
            p.start_date = text(v);
            Ok(())
        },
    },
    AuditParam {
        name: "endDate",
        control: Control::DateTime,
        get: |p| p.end_date.as_deref().map(normalise_date),
        set: |p, v| {
            p.end_date = text(v);
            Ok(())
        },
    },
    AuditParam {
        name: "referenceType",
        control: Control::Choice(&REFERENCE_TYPE_NAMES),
        get: |p| p.reference_type.map(|r| r.as_str().to_owned()),
        set: |p, v| {
            let what = "a documented reference type";
            p.reference_type = parsed(v, ReferenceType::parse, what)?;
            Ok(())
        },
    },
    AuditParam {
        name: "referenceValue",
        control: Control::Text,
        get: |p| p.reference_value.clone(),
        set: |p, v| {
            p.reference_value = text(v);
            Ok(())
        },
    },
    AuditParam {
        name: "includeUserContext",
        control: Control::Flag {
            checked_by_default: true,
        },
        get: |p| p.include_user_context.map(|b| b.to_string()),
        set: |p, v| {
            let flag = |v: &str| match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            };
            p.include_user_context = parsed(v, flag, "true or false")?;
            Ok(())
        },
    },
];

/// [`ReferenceType::ALL`]'s names, for the panel's choice (sized by the vocabulary, so a new
/// event type is offered without a change here).
const REFERENCE_TYPE_NAMES: [&str; ReferenceType::ALL.len()] = {
    let mut names = [""; ReferenceType::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ReferenceType::ALL[i].as_str();
        i += 1;
    }
    names
};

/// The panel's sort choices, newest first as the explorer reads a trail.
const SORT_ORDER_NAMES: [&str; 2] = [SortOrder::Desc.as_str(), SortOrder::Asc.as_str()];

fn date_err(param: &'static str) -> ParamError {
    param_err(param, "must look like 2022-08-18 12:00:00 or 2022-08-18")
}

/// `2022-08-18T12:00:00` (what an `<input type=datetime-local>` gives) is sent
/// with a space, the documented spelling.
fn normalise_date(d: &str) -> String {
    d.trim().replacen('T', " ", 1)
}

/// Seconds since 0000-03-01 style ordinal, only for ordering start/end.
/// A date alone means the start of the day, or its end for `endDate`.
fn parse_date_param(d: &str, end: bool) -> Option<u64> {
    let d = normalise_date(d);
    let b = d.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = d.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if b.len() != 10 && b.len() != 19 && b.len() != 16 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, da) = (num(0..4)?, num(5..7)?, num(8..10)?);
    // Four digits each: the casts are exact.
    if !(1..=12).contains(&mo) || da == 0 || da as i64 > days_in_month(y as i64, mo as i64) {
        return None;
    }
    let (h, mi, s) = match b.len() {
        10 => {
            if end {
                (23, 59, 59)
            } else {
                (0, 0, 0)
            }
        }
        _ => {
            if b[10] != b' ' || b[13] != b':' {
                return None;
            }
            let s = if b.len() == 19 {
                if b[16] != b':' {
                    return None;
                }
                num(17..19)?
            } else {
                0
            };
            (num(11..13)?, num(14..16)?, s)
        }
    };
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some((((y * 13 + mo) * 32 + da) * 24 + h) * 3600 + mi * 60 + s)
}

/// One listing: the audit trail of one entity with fixed parameters, paged.
/// The fetch plan asks it for each page's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditListing {
    base: ApiBase,
    params: AuditParams,
    generation: Generation,
}

impl AuditListing {
    /// Validates the parameters; `page_no` is ignored (the plan sets it).
    pub fn new(
        base: ApiBase,
        mut params: AuditParams,
        generation: Generation,
    ) -> Result<AuditListing, ParamError> {
        params.validate()?;
        params.page_no = None;
        Ok(AuditListing {
            base,
            params,
            generation,
        })
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    pub fn params(&self) -> &AuditParams {
        &self.params
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Page size the API applies (10 when `limit` is left out).
    pub fn page_size(&self) -> u32 {
        self.params.limit.unwrap_or(10)
    }

    /// The URL of zero-based page `page`.
    pub fn page_url(&self, page: u32) -> String {
        let mut p = self.params.clone();
        p.page_no = Some(page);
        format!(
            "{}{}",
            self.base.join(self.generation.path()),
            p.query_string()
        )
    }

    /// The URL without `pageNo`: the listing key for `Store::ingest_page`,
    /// so the store can report gaps per listing.
    pub fn key(&self) -> String {
        format!(
            "{}{}",
            self.base.join(self.generation.path()),
            self.params.query_string()
        )
    }
}

/// `GET /api_gateway/v2/audits?…` (or the legacy path) for one page.
pub fn audit_url(
    base: &ApiBase,
    params: &AuditParams,
    generation: Generation,
) -> Result<String, ParamError> {
    params.validate()?;
    Ok(format!(
        "{}{}",
        base.join(generation.path()),
        params.query_string()
    ))
}

/// `GET /v2/customers/{userId}/statusLog` (internal customer id; no paging).
pub fn customer_status_log_url(base: &ApiBase, customer_id: i64) -> Result<String, ParamError> {
    if customer_id <= 0 {
        return Err(param_err("userId", "must be a positive number"));
    }
    Ok(base.join(&format!("/v2/customers/{customer_id}/statusLog")))
}

/// `GET /v2/card/statusLog?number={cardNumber}`.
pub fn card_status_log_url(base: &ApiBase, card_number: &str) -> Result<String, ParamError> {
    let n = card_number.trim();
    if n.is_empty() {
        return Err(param_err("number", "enter a card number"));
    }
    let mut q = QueryString::default();
    q.push("number", n);
    Ok(format!("{}{}", base.join("/v2/card/statusLog"), q.0))
}

/// `GET /v2/customers/lookup/customerDetails?source=…&identifierName=…&identifierValue=…`.
pub fn lookup_url(
    base: &ApiBase,
    source: &str,
    name: IdentifierName,
    value: &str,
) -> Result<String, ParamError> {
    let source = source.trim();
    if source.is_empty() {
        return Err(param_err("source", "enter a source such as INSTORE"));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(param_err(
            "identifierValue",
            "enter the identifier to look up",
        ));
    }
    let mut q = QueryString::default();
    q.push("source", source);
    q.push("identifierName", name.as_str());
    q.push("identifierValue", value);
    Ok(format!(
        "{}{}",
        base.join("/v2/customers/lookup/customerDetails"),
        q.0
    ))
}

/// `POST /v3/oauth/token/generate` (body from [`crate::auth::OAuth::token_request_body`]).
pub fn oauth_token_url(base: &ApiBase) -> String {
    base.join("/v3/oauth/token/generate")
}

/// Reads the internal customer id (the audit `entityId`) from a lookup
/// response.
///
/// The response shape is not in the seeds, so this is a documented guess,
/// lenient on purpose: it takes the first `id`, `userId` or `customerId`
/// (number or numeric string) found at the top level, then inside
/// `customers`, `customer`, `data` or `entity` (object, or the first element
/// of an array), two levels deep. The simulator answers `{"id": …,
/// "profiles": […], "entityType": "CUSTOMER", …}`. A body with an `errors`
/// entry and no id is classified as that error (8015 → no such customer).
pub fn parse_lookup_customer_id(body: &[u8]) -> Result<i64, Problem> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(Problem::unrecognised(format!(
                "the lookup answer is not JSON ({e})"
            )))
        }
    };
    if let Some(id) = find_customer_id(&v, 0) {
        return Ok(id);
    }
    let parsed = audit_core::parse_response(body);
    if !parsed.api_errors.is_empty() {
        return Err(Problem::from_parsed_errors(200, &parsed.api_errors));
    }
    Err(Problem::unrecognised(
        "the lookup answered without a customer id".to_string(),
    ))
}

fn find_customer_id(v: &Value, depth: u8) -> Option<i64> {
    match v {
        Value::Array(items) => items.iter().find_map(|i| find_customer_id(i, depth)),
        Value::Object(map) => {
            for key in ["id", "userId", "customerId", "user_id"] {
                let id = match map.get(key) {
                    Some(Value::Number(n)) => n.as_i64(),
                    Some(Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                };
                if let Some(id) = id.filter(|i| *i > 0) {
                    return Some(id);
                }
            }
            if depth >= 2 {
                return None;
            }
            ["customers", "customer", "data", "entity"]
                .iter()
                .filter_map(|k| map.get(*k))
                .find_map(|inner| find_customer_id(inner, depth + 1))
        }
        _ => None,
    }
}
