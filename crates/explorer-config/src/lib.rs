//! The deployed explorer's runtime configuration: `config.json` beside `index.html`, read by the
//! app at start-up so one build serves every deployment (which APIs it may call, how people
//! authenticate, who may embed it).
//!
//! The same file decides the page's Content-Security-Policy ([`Config::content_security_policy`]):
//! scripts only from the app's own origin, connections only to the configured API hosts, framing
//! only by the configured parent origins. Serving that policy as a header is the host's job; the
//! `explorer-config csp` command prints it for a given file, and the test servers send it.
//!
//! Reading is forgiving, because a typo must not take the tool down: invalid JSON gives the safe
//! defaults plus one error ([`Loaded::fallback`], also what the app uses when the file cannot be
//! fetched); a bad value gives that key's default plus a warning naming the key. Pure (no browser,
//! no IO), so it is tested natively and shared by the app, the e2e servers and the command.
//!
//! The policies the app applies live here too, so they are tested natively:
//! - [`Config::linked_api`]: a link (or an embedding host's `open` message) cannot steer
//!   credentials: only an API the deployment lists may be prefilled into the credentials form;
//!   an unlisted one gets a plain warning naming it in full.
//! - [`Config::credential_entry`]: inside a frame, credentials may be entered only when the
//!   parent is an allowed origin (a `<meta>` CSP cannot set `frame-ancestors`, so on a host that
//!   sends no header any site could frame the form otherwise).
//!
//! # Keys
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `apis` | APIs offered in the connection panel: cluster ids (`eu`), base URLs, proxy paths, or `{"api": …, "label": …}`. The first is used by links that name no `api`. Only these (and `proxyPath`) are ever prefilled from a link | the documented clusters |
//! | `proxyPath` | a same-origin reverse-proxy path (`/capillary`), offered first | none |
//! | `otherApis` | whether people may type an API not in `apis` (the CSP then allows any `https:` host); a link naming one never prefills the credentials form, it gets a warning naming it | `false` |
//! | `authModes` | subset of `basic`, `oauth`, `none`, in the order offered | all three |
//! | `timeZone` | zone for links without `tz`: `UTC`, `browser`, `Europe/Paris`, `+05:30` | UTC |
//! | `pageSize` | records per request when the link has no `limit` (1–1000) | 50 |
//! | `rateLimit` | the API keys' limit in requests per minute; stated, loads are paced from the first request; left out, it is learned from the first 429s | learned |
//! | `embed` | always use the compact embed chrome | `false` |
//! | `allowedParentOrigins` | origins (`https://admin.example.com`) that may frame the explorer and talk to it by `postMessage`; `*` is refused. Framed by any other page, credential entry is disabled | none |
//! | `theme` | `auto` (follow `prefers-color-scheme`), `light`, `dark` | `auto` |
//! | `cache` | `{"enabled": true, "expiryHours": 24}`: keep loaded live trails on the device (the Origin Private File System), per API base, entity and parameters, never credentials, for `expiryHours` (1–720) | off |
//!
//! A missing, unreachable or invalid file gives [`Config::default`]: the documented Capillary
//! clusters only, no other APIs, no embedding.

#![forbid(unsafe_code)]

use capillary_client::{ApiBase, BaseKind, Cluster, Origin, RateLimit};
pub use capillary_vocab::AuthKind;
mod json;
pub use json::Json;

/// The file the app fetches, relative to `index.html`.
pub const FILE_NAME: &str = "config.json";

/// Page size used when neither the link nor the config names one.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Largest page size accepted (the API's own maximum is undocumented).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Largest `rateLimit` accepted, in requests per minute (Capillary documents 100 and 1,000; a
/// larger number is more likely a typo than a limit worth pacing to).
pub const MAX_RATE_LIMIT: u32 = 100_000;

/// The authentication modes the connection panel can offer (the default `authModes`): every
/// [`AuthKind`], in the order offered.
pub const AUTH_MODES: [AuthKind; 3] = AuthKind::ALL;

/// How long cached trails are kept when `cache.expiryHours` is not given.
pub const DEFAULT_CACHE_EXPIRY_HOURS: u32 = 24;

/// Longest `cache.expiryHours` accepted (30 days): audit trails hold personal data.
pub const MAX_CACHE_EXPIRY_HOURS: u32 = 720;

/// The on-device cache of live trails (`cache` in config.json). Off unless a deployment turns it
/// on: audit trails hold personal data, and a shared or lost device keeps what it cached until
/// the entries expire or someone uses "Forget cached data".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSettings {
    pub enabled: bool,
    /// Entries older than this are never shown and are removed at start.
    pub expiry_hours: u32,
}

impl Default for CacheSettings {
    fn default() -> CacheSettings {
        CacheSettings {
            enabled: false,
            expiry_hours: DEFAULT_CACHE_EXPIRY_HOURS,
        }
    }
}

impl CacheSettings {
    pub fn expiry_ms(&self) -> i64 {
        i64::from(self.expiry_hours) * 3_600_000
    }
}

/// Keys a config may have; anything else is reported as a likely typo.
const KEYS: [&str; 11] = [
    "apis",
    "proxyPath",
    "otherApis",
    "authModes",
    "timeZone",
    "pageSize",
    "rateLimit",
    "embed",
    "allowedParentOrigins",
    "theme",
    "cache",
];

/// Colour scheme: follow the system (`prefers-color-scheme`) or force one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// One API the deployment offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiChoice {
    /// As it goes into links: a cluster id (`eu`), a base URL, or a proxy path (`/capillary`).
    pub api: String,
    pub label: String,
    pub base: ApiBase,
}

/// A deployment's settings. [`Config::default`] is what a deployment without a usable
/// `config.json` gets: the safe configuration (the documented clusters only, no other APIs, no
/// embedding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Offered in the connection panel; the first one is used by links that name no API
    /// (`?entityType=CUSTOMER&entityId=…`).
    pub apis: Vec<ApiChoice>,
    /// Whether people may type an API not in `apis` (default `false`). The CSP then allows any
    /// `https:` host. Even then an API a link names is never prefilled unless it is listed
    /// ([`Config::linked_api`]): a link must not choose where credentials go.
    pub other_apis: bool,
    /// Subset of [`AUTH_MODES`], in the order offered.
    pub auth_modes: Vec<AuthKind>,
    /// Time zone key used when the link has no `tz` (`UTC`, `browser`, `Europe/Paris`, `+05:30`).
    pub time_zone: Option<String>,
    /// Records per request when the link has no `limit`.
    pub page_size: u32,
    /// The API keys' limit (requests per minute), when the deployment knows it: the fetch plan
    /// then paces from the first request, so no request is refused. Without it the plan learns
    /// the limit from the first 429 answers (a few refused requests, retried). Capillary limits
    /// per brand and key (100 or 1,000 a minute), which only the deployment can know.
    pub rate_limit: Option<RateLimit>,
    /// Start in embed mode (compact chrome) even without `embed=1` in the URL.
    pub embed: bool,
    /// Pages that may frame the explorer and talk to it by `postMessage`. Empty: nobody.
    pub allowed_parent_origins: Vec<Origin>,
    pub theme: Theme,
    /// Whether and how long loaded trails are kept on the device ([`CacheSettings`]).
    pub cache: CacheSettings,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            apis: Cluster::ALL
                .into_iter()
                .map(|c| ApiChoice {
                    api: c.id().to_owned(),
                    label: c.host().to_owned(),
                    base: ApiBase::cluster(c),
                })
                .collect(),
            other_apis: false,
            auth_modes: AUTH_MODES.to_vec(),
            time_zone: None,
            page_size: DEFAULT_PAGE_SIZE,
            rate_limit: None,
            embed: false,
            allowed_parent_origins: Vec::new(),
            theme: Theme::Auto,
            cache: CacheSettings::default(),
        }
    }
}

/// What reading a config produced: the settings to use and sentences about what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub config: Config,
    /// The file could not be used at all (defaults apply).
    pub error: Option<String>,
    /// Keys that were ignored or replaced by their default.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// What the app runs with when config.json cannot be used at all (`why`: "was not found
    /// beside index.html (HTTP 404)", "is not valid JSON (…)"): [`Config::default`], and one
    /// sentence that says truthfully what that allows.
    pub fn fallback(why: &str) -> Loaded {
        Loaded {
            config: Config::default(),
            error: Some(format!(
                "{FILE_NAME} {why}; using safe defaults: the documented Capillary clusters only, no other APIs, no embedding."
            )),
            warnings: Vec::new(),
        }
    }
}

/// An API a link (or an embedding host's `open` message) names, against what the deployment
/// lists ([`Config::linked_api`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkedApi<'a> {
    /// One of `apis` (the proxy path included): it may be prefilled into the credentials form.
    Listed(&'a ApiChoice),
    /// Not listed: never prefilled, whatever `otherApis` allows; show [`UnlistedApi::warning`].
    Unlisted(UnlistedApi),
}

/// An API a link names that the deployment does not list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlistedApi {
    pub base: ApiBase,
    /// `otherApis`: the person may still type it (or another) themselves.
    pub typing_allowed: bool,
}

impl UnlistedApi {
    /// "This link points at `https://look-alike.example`, which this deployment does not list.
    /// Type or pick the API yourself." The address is shown whole (scheme, full host, path), so
    /// a look-alike such as `eu.api.capillarytech.com.evil.example` cannot hide behind a
    /// shortened name.
    pub fn warning(&self) -> String {
        let what = if self.typing_allowed {
            "Type or pick"
        } else {
            "Pick"
        };
        format!(
            "This link points at {}, which this deployment does not list. {what} the API yourself.",
            self.base
        )
    }
}

/// Where the page is shown, as far as the app can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// In its own tab or window (`window.top` is the page itself).
    Top,
    /// Inside a frame. `parent` is the embedding page's origin, or a URL on it, when the browser
    /// names it: `location.ancestorOrigins[0]` where it exists (Chromium, Safari; the browser's
    /// own word), else `document.referrer` when it is not this page's own origin (a navigation
    /// inside the frame makes the referrer the explorer itself). `None` when neither says: no
    /// `ancestorOrigins` (Firefox) and a parent whose Referrer-Policy blanks the referrer.
    Framed { parent: Option<&'a str> },
}

/// Whether the connection panel may take credentials ([`Config::credential_entry`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialEntry {
    /// The form may be shown.
    Allowed,
    /// Framed in embed mode by a page allowed to supply the connection (or whose origin the
    /// browser does not name, while some are allowed): no form; only `postMessage` from an
    /// allowed origin may connect (those messages carry their origin, so this stays checked).
    FromHost,
    /// No form; the sentence says why and what to do.
    Disabled(String),
}

impl Config {
    /// Reads `config.json` text. Never fails: see [`Loaded`].
    pub fn read(text: &str) -> Loaded {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Config::read_json(&Json::from(v)),
            Err(e) => Loaded::fallback(&format!("is not valid JSON ({e})")),
        }
    }

    /// Reads config.json as a parsed JSON value (the page's `JSON.parse` gives one). Never
    /// fails: see [`Loaded`].
    pub fn read_json(value: &Json) -> Loaded {
        let Json::Object(map) = value else {
            return Loaded::fallback("must be a JSON object { … }");
        };
        let mut reader = Reader {
            map,
            warnings: Vec::new(),
        };
        let config = reader.config();
        let mut warnings = reader.warnings;
        let mut unknown: Vec<&str> = map
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !KEYS.contains(k))
            .collect();
        unknown.sort_unstable();
        if !unknown.is_empty() {
            warnings.push(format!(
                "{FILE_NAME}: unknown key(s) {} ignored; known keys are {}.",
                quoted(&unknown),
                quoted(&KEYS)
            ));
        }
        Loaded {
            config,
            error: None,
            warnings,
        }
    }

    /// The API to use for `api` (as typed or linked), if this deployment allows it.
    pub fn allows_api(&self, base: &ApiBase) -> bool {
        self.other_apis || self.apis.iter().any(|c| &c.base == base)
    }

    /// Why `api` (as typed, linked or sent by a host) may not be used here, or `None` when it
    /// may: the one check every way in to the API goes through (its CSP would block the
    /// requests anyway; this says why instead).
    pub fn refusal(&self, api: &str, base: &ApiBase) -> Option<String> {
        if self.allows_api(base) {
            return None;
        }
        let offered: Vec<&str> = self.apis.iter().map(|c| c.api.as_str()).collect();
        Some(format!(
            "this deployment connects only to {} (config.json `apis`), not to `{api}`",
            if offered.is_empty() {
                "no API".to_owned()
            } else {
                offered.join(", ")
            },
        ))
    }

    /// Whether the API a link or a host's `open` message names is one this deployment lists
    /// (`apis`, the proxy path included). Only a listed one may be prefilled into the
    /// credentials form: otherwise a crafted link could have someone type their password for a
    /// look-alike host, which [`Config::allows_api`] alone would let through whenever
    /// `otherApis` is on.
    pub fn linked_api(&self, base: &ApiBase) -> LinkedApi<'_> {
        match self.apis.iter().find(|c| &c.base == base) {
            Some(choice) => LinkedApi::Listed(choice),
            None => LinkedApi::Unlisted(UnlistedApi {
                base: base.clone(),
                typing_allowed: self.other_apis,
            }),
        }
    }

    /// Whether credentials may be entered, given where the page is shown and whether it is in
    /// embed mode. Framing is refused by `frame-ancestors` only where the host sends the CSP as
    /// a header (a `<meta>` policy cannot carry it), so the page checks for itself: inside a
    /// frame whose parent is not an allowed origin, that parent can lay its own fields over the
    /// form (clickjacking) and collect what is typed, so the form is disabled with a sentence.
    pub fn credential_entry(&self, frame: Frame<'_>, embed: bool) -> CredentialEntry {
        const OWN_TAB: &str = "credential entry is disabled. Open the explorer in its own tab.";
        let Frame::Framed { parent } = frame else {
            return CredentialEntry::Allowed;
        };
        match parent.map(Origin::parse) {
            Some(Ok(origin)) if self.allowed_parent_origins.contains(&origin) => {
                if embed {
                    CredentialEntry::FromHost
                } else {
                    CredentialEntry::Allowed
                }
            }
            Some(Ok(origin)) => CredentialEntry::Disabled(format!(
                "This page is shown inside {origin}, which this deployment does not allow; {OWN_TAB}"
            )),
            Some(Err(_)) => CredentialEntry::Disabled(format!(
                "This page is shown inside a page with an opaque origin (a sandboxed frame or a local file), which no deployment can allow; {OWN_TAB}"
            )),
            None if self.allowed_parent_origins.is_empty() => CredentialEntry::Disabled(format!(
                "This page is shown inside another site, which this deployment does not allow; {OWN_TAB}"
            )),
            None if embed => CredentialEntry::FromHost,
            None => CredentialEntry::Disabled(format!(
                "This page is shown inside another site, and the browser does not reveal which, so this deployment cannot check it; {OWN_TAB}"
            )),
        }
    }

    /// True when the connection panel may offer `kind`.
    pub fn allows_auth(&self, kind: AuthKind) -> bool {
        self.auth_modes.contains(&kind)
    }

    /// The `api` value links use when they name none.
    pub fn default_api(&self) -> Option<&str> {
        self.apis.first().map(|c| c.api.as_str())
    }

    pub fn allows_parent(&self, origin: &str) -> bool {
        Origin::parse(origin).is_ok_and(|o| self.allowed_parent_origins.contains(&o))
    }

    /// The Content-Security-Policy header value for this deployment: no inline or foreign
    /// script (WebAssembly compilation allowed), workers from the app's own origin, no plugins,
    /// connections to the app's own origin and the configured API hosts only (any `https:` host
    /// only with `otherApis`), framing by the allowed parent origins only.
    pub fn content_security_policy(&self) -> String {
        let mut connect = vec!["'self'".to_owned()];
        for choice in &self.apis {
            if choice.base.kind() != BaseKind::Proxy {
                let origin = choice.base.origin(&same_origin_placeholder()).to_string();
                let covered = self.other_apis && origin.starts_with("https:");
                if !covered && !connect.contains(&origin) {
                    connect.push(origin);
                }
            }
        }
        if self.other_apis {
            connect.push("https:".to_owned());
        }
        let ancestors = if self.allowed_parent_origins.is_empty() {
            "'none'".to_owned()
        } else {
            self.allowed_parent_origins
                .iter()
                .map(Origin::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        [
            "default-src 'none'".to_owned(),
            "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
            // The engine will run in a Web Worker loaded from the app's own files (never a
            // `blob:` URL); `worker-src` would fall back to `script-src`, but stated it stays
            // so if script-src ever changes.
            "worker-src 'self'".to_owned(),
            "style-src 'self'".to_owned(),
            "img-src 'self' data:".to_owned(),
            format!("connect-src {}", connect.join(" ")),
            format!("frame-ancestors {ancestors}"),
            "base-uri 'self'".to_owned(),
            "form-action 'none'".to_owned(),
            "object-src 'none'".to_owned(),
        ]
        .join("; ")
    }
}

/// Any origin: only used to read absolute bases' own origins, never a proxy path's.
fn same_origin_placeholder() -> Origin {
    Origin::parse("https://self.invalid").expect("static origin")
}

/// True when an origin-looking string carries a path, query or fragment.
fn has_path(s: &str) -> bool {
    s.trim()
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/').contains(['/', '?', '#']))
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads keys one at a time, replacing bad values with defaults and saying so.
struct Reader<'a> {
    map: &'a [(String, Json)],
    warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    fn get(&self, key: &str) -> Option<&'a Json> {
        self.map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn config(&mut self) -> Config {
        let defaults = Config::default();
        let mut apis = self.apis().unwrap_or(defaults.apis);
        if let Some(path) = self.string("proxyPath", "a path such as \"/capillary\"") {
            match ApiBase::proxy(&path) {
                Ok(base) => {
                    apis.retain(|c| c.base != base);
                    apis.insert(
                        0,
                        ApiChoice {
                            api: base.as_str().to_owned(),
                            label: "Same-origin proxy".to_owned(),
                            base,
                        },
                    );
                }
                Err(e) => self.warn("proxyPath", &e.to_string(), "no proxy"),
            }
        }
        let other_apis = self.bool("otherApis").unwrap_or(defaults.other_apis);
        Config {
            apis,
            other_apis,
            auth_modes: self.auth_modes().unwrap_or(defaults.auth_modes),
            time_zone: self.string(
                "timeZone",
                "a string such as \"UTC\", \"browser\", \"Europe/Paris\" or \"+05:30\"",
            ),
            page_size: self.page_size().unwrap_or(defaults.page_size),
            rate_limit: self.rate_limit(),
            embed: self.bool("embed").unwrap_or(defaults.embed),
            allowed_parent_origins: self.origins(),
            theme: self
                .string("theme", "\"auto\", \"light\" or \"dark\"")
                .and_then(|t| {
                    let theme = Theme::parse(&t);
                    if theme.is_none() {
                        self.warn(
                            "theme",
                            &format!("`{t}` is not auto, light or dark"),
                            "auto",
                        );
                    }
                    theme
                })
                .unwrap_or_default(),
            cache: self.cache(),
        }
    }

    /// `cache`: `{"enabled": bool, "expiryHours": 1–720}`; anything unreadable leaves it off.
    fn cache(&mut self) -> CacheSettings {
        let mut settings = CacheSettings::default();
        let Some(value) = self.get("cache") else {
            return settings;
        };
        let Json::Object(members) = value else {
            if !value.is_null() {
                self.warn(
                    "cache",
                    "expected {\"enabled\": true, \"expiryHours\": 24}",
                    "no cache",
                );
            }
            return settings;
        };
        for (key, v) in members {
            match (key.as_str(), v) {
                ("enabled", Json::Bool(b)) => settings.enabled = *b,
                ("expiryHours", v) => match v.as_u64() {
                    Some(h) if (1..=u64::from(MAX_CACHE_EXPIRY_HOURS)).contains(&h) => {
                        settings.expiry_hours = h as u32
                    }
                    _ => self.warn(
                        "cache.expiryHours",
                        &format!("expected hours from 1 to {MAX_CACHE_EXPIRY_HOURS}"),
                        &format!("{DEFAULT_CACHE_EXPIRY_HOURS}"),
                    ),
                },
                ("enabled", _) => {
                    self.warn("cache.enabled", "expected true or false", "no cache");
                    return CacheSettings::default();
                }
                (other, _) => {
                    let key = format!("cache.{other}");
                    self.warn(
                        &key,
                        "is not a cache setting (enabled, expiryHours)",
                        "nothing for it",
                    )
                }
            }
        }
        settings
    }

    fn warn(&mut self, key: &str, problem: &str, default: &str) {
        self.warnings
            .push(format!("{FILE_NAME}: `{key}`: {problem}; using {default}."));
    }

    fn string(&mut self, key: &str, expected: &str) -> Option<String> {
        match self.get(key)? {
            Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Json::Null => None,
            _ => {
                self.warn(key, &format!("expected {expected}"), "the default");
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Json::Bool(b) => Some(*b),
            Json::Null => None,
            _ => {
                self.warn(key, "expected true or false", "the default");
                None
            }
        }
    }

    fn list(&mut self, key: &str) -> Option<&'a [Json]> {
        match self.get(key)? {
            Json::Array(items) => Some(items),
            Json::Null => None,
            _ => {
                self.warn(key, "expected a list [ … ]", "the default");
                None
            }
        }
    }

    fn apis(&mut self) -> Option<Vec<ApiChoice>> {
        let items = self.list("apis")?;
        let mut out: Vec<ApiChoice> = Vec::new();
        for item in items {
            let (api, label) = match item {
                Json::String(s) => (s.as_str(), None),
                object @ Json::Object(_) => match object.get("api") {
                    Some(Json::String(s)) => {
                        (s.as_str(), object.get("label").and_then(Json::as_str))
                    }
                    _ => {
                        self.warn(
                            "apis",
                            "an entry { … } needs \"api\": \"…\"",
                            "the other entries",
                        );
                        continue;
                    }
                },
                _ => {
                    self.warn(
                        "apis",
                        "entries are strings or { \"api\": …, \"label\": … }",
                        "the other entries",
                    );
                    continue;
                }
            };
            match ApiBase::parse(api) {
                Ok(base) if !out.iter().any(|c| c.base == base) => out.push(ApiChoice {
                    api: api.trim().to_owned(),
                    label: label.map_or_else(|| base.to_string(), str::to_owned),
                    base,
                }),
                Ok(_) => {}
                Err(e) => self.warn("apis", &e.to_string(), "the other entries"),
            }
        }
        Some(out)
    }

    /// `authModes`: [`AuthKind`] keys (read as [`AuthKind::parse`] reads them), each once.
    fn auth_modes(&mut self) -> Option<Vec<AuthKind>> {
        let items = self.list("authModes")?;
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for item in items {
            match item.as_str().and_then(AuthKind::parse) {
                Some(m) if !out.contains(&m) => out.push(m),
                Some(_) => {}
                None => bad.push(item.to_string()),
            }
        }
        if !bad.is_empty() {
            let keys: Vec<&str> = AUTH_MODES.iter().map(|m| m.key()).collect();
            let problem = format!("{} not one of {}", bad.join(", "), keys.join(", "));
            self.warn("authModes", &problem, "the others");
        }
        if out.is_empty() {
            self.warn("authModes", "no usable mode", "all modes");
            return None;
        }
        Some(out)
    }

    fn page_size(&mut self) -> Option<u32> {
        let value = self.get("pageSize")?;
        match value.as_u64() {
            Some(n @ 1..) if n <= u64::from(MAX_PAGE_SIZE) => Some(n as u32),
            _ if value.is_null() => None,
            _ => {
                let problem = format!("expected a whole number from 1 to {MAX_PAGE_SIZE}");
                self.warn("pageSize", &problem, &DEFAULT_PAGE_SIZE.to_string());
                None
            }
        }
    }

    /// `rateLimit`: a whole number of requests per minute. A bad value is dropped (the limit is
    /// then learned) rather than guessed at: pacing to a wrong number is slower or refused.
    fn rate_limit(&mut self) -> Option<RateLimit> {
        let value = self.get("rateLimit")?;
        match value.as_u64() {
            Some(n @ 1..) if n <= u64::from(MAX_RATE_LIMIT) => {
                Some(RateLimit::per_minute(n as u32))
            }
            _ if value.is_null() => None,
            _ => {
                let problem = format!(
                    "expected a whole number of requests per minute from 1 to {MAX_RATE_LIMIT}"
                );
                self.warn(
                    "rateLimit",
                    &problem,
                    "none (the limit is learned from the first refusals)",
                );
                None
            }
        }
    }

    fn origins(&mut self) -> Vec<Origin> {
        let Some(items) = self.list("allowedParentOrigins") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(s) = item.as_str() else {
                self.warn(
                    "allowedParentOrigins",
                    "entries are strings such as \"https://admin.example.com\"",
                    "the other entries",
                );
                continue;
            };
            if s.trim() == "*" {
                self.warn(
                    "allowedParentOrigins",
                    "`*` would let any site drive the explorer: list each origin",
                    "the other entries",
                );
                continue;
            }
            match Origin::parse(s.trim()) {
                Ok(o) if !has_path(s) => out.push(o),
                Ok(o) => {
                    let problem = format!("`{s}` is not an origin (scheme://host[:port] only, no path); did you mean `{o}`?");
                    self.warn("allowedParentOrigins", &problem, "the other entries");
                }
                Err(e) => self.warn(
                    "allowedParentOrigins",
                    &format!("`{s}`: {e}"),
                    "the other entries",
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
