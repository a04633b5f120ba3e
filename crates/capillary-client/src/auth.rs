//! Credentials: Basic, OAuth token state, or none (a proxy adds auth), bound
//! to the API base they were entered for ([`ApiScope`]: its origin and path
//! prefix, so a shared host's other services never see them).
//!
//! Secrets never leave this module except as a request header or the token
//! request body: there is no `Display`, no serde, and `Debug` prints
//! `<redacted>`, so a `{:?}` in a log or error report cannot leak them.

use std::fmt;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use serde_json::Value;

pub use capillary_vocab::AuthKind;

use crate::endpoint::{oauth_token_url, resolve_request, ApiBase, ApiScope, EndpointError, Origin};
use crate::header::{HeaderError, HeaderName, HeaderValue};
use crate::problem::Problem;

/// The header Capillary reads an OAuth access token from.
pub const OAUTH_HEADER: &str = "X-CAP-API-OAUTH-TOKEN";
/// The Basic-auth header.
pub const AUTHORIZATION: &str = "Authorization";

pub(crate) const REDACTED: &str = "<redacted>";

/// Lowercase hex MD5, as Capillary's Basic auth wants the password.
pub fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `Basic base64(username + ":" + md5_hex(password))`.
pub fn basic_header_value(username: &str, password: &str) -> String {
    basic_header_from_md5(username, &md5_hex(password))
}

/// `Basic base64(username + ":" + password_md5_hex)`: the header from an
/// already hashed password (what an optional session store would keep, so
/// the clear password is never stored).
///
/// Note: the docs' example pairs password `Pass123` with the hash
/// `bdc87b9c…`, but MD5("Pass123") is `2f23fa35…`; the example's base64 step
/// is right for its hash, its hash is not Pass123's (tests check both).
pub fn basic_header_from_md5(username: &str, password_md5_hex: &str) -> String {
    let raw = format!("{username}:{}", password_md5_hex.to_ascii_lowercase());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The soonest a token is renewed after it was issued, however short the lifetime the cluster
/// states. A `ttlSeconds` of 0 (or 1) would otherwise make every token due at once, and the
/// app's loop would request one per turn: the token request counts against the same per-key
/// rate limit as the pages. Until then the token is used; if the cluster really refuses it, the
/// 401 renews it (once per page, see `FetchPlan`).
pub const MIN_TOKEN_RENEWAL_MS: u64 = 5_000;

/// The longest the back-off between short-lived tokens grows to: the documented lifetime
/// (`ttlSeconds: 300`). Each token in a row whose own renewal time comes sooner than
/// [`MIN_TOKEN_RENEWAL_MS`] doubles the wait (5 s, 10 s, 20 s, … 300 s); a token with a real
/// lifetime ends the back-off.
pub const MAX_TOKEN_RENEWAL_MS: u64 = 300_000;

/// See [`OAuthToken::renewal_margin_ms`].
fn renewal_margin(ttl_ms: u64) -> u64 {
    (ttl_ms / 5).min(60_000)
}

/// An access token and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthToken {
    token: HeaderValue,
    issued_ms: u64,
    ttl_ms: u64,
    /// When a new one is requested: before expiry, but never sooner than the back-off allows.
    renew_at_ms: u64,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("token", &REDACTED)
            .field("issued_ms", &self.issued_ms)
            .field("ttl_ms", &self.ttl_ms)
            .field("renew_at_ms", &self.renew_at_ms)
            .finish()
    }
}

impl OAuthToken {
    /// A token renewed a margin before its expiry (see [`OAuthToken::renewal_margin_ms`]).
    pub fn new(token: HeaderValue, issued_ms: u64, ttl_seconds: u64) -> OAuthToken {
        let ttl_ms = ttl_seconds.saturating_mul(1000);
        OAuthToken {
            token,
            issued_ms,
            ttl_ms,
            renew_at_ms: issued_ms.saturating_add(ttl_ms - renewal_margin(ttl_ms)),
        }
    }

    pub fn expires_at_ms(&self) -> u64 {
        self.issued_ms.saturating_add(self.ttl_ms)
    }

    /// How long before expiry a new token is fetched: a fifth of the
    /// lifetime, at most a minute. The margin covers clock skew between the
    /// browser and the cluster and requests that start just before expiry
    /// and arrive just after (a page fetch can take seconds).
    pub fn renewal_margin_ms(&self) -> u64 {
        renewal_margin(self.ttl_ms)
    }

    /// When a new token should be requested: the margin before expiry, or
    /// later when the lifetime is too short to renew that often (see
    /// [`MIN_TOKEN_RENEWAL_MS`]).
    pub fn renew_at_ms(&self) -> u64 {
        self.renew_at_ms
    }

    /// True when the cluster's lifetime would have this token renewed
    /// sooner than [`MIN_TOKEN_RENEWAL_MS`] after it was issued.
    fn is_short_lived(&self) -> bool {
        self.renew_at_ms - self.issued_ms < MIN_TOKEN_RENEWAL_MS
    }

    pub fn needs_renewal(&self, now_ms: u64) -> bool {
        now_ms >= self.renew_at_ms()
    }
}

/// OAuth client credentials and the current token.
#[derive(Clone)]
pub struct OAuth {
    key: String,
    secret: String,
    token: Option<OAuthToken>,
    /// The API answered 401 to the current token (revoked, clock skew):
    /// renew before the next call even if the expiry says otherwise.
    rejected: bool,
    /// Short-lived tokens in a row (see [`MAX_TOKEN_RENEWAL_MS`]).
    short_lived: u32,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("key", &REDACTED)
            .field("secret", &REDACTED)
            .field("token", &self.token)
            .field("rejected", &self.rejected)
            .field("short_lived", &self.short_lived)
            .finish()
    }
}

impl OAuth {
    pub fn new(key: &str, secret: &str) -> OAuth {
        OAuth {
            key: key.trim().to_string(),
            secret: secret.to_string(),
            token: None,
            rejected: false,
            short_lived: 0,
        }
    }

    pub fn token(&self) -> Option<&OAuthToken> {
        self.token.as_ref()
    }

    /// True when a token must be (re)generated before the next call: none
    /// yet, about to expire, or refused by the API.
    pub fn needs_token(&self, now_ms: u64) -> bool {
        self.rejected || self.token.as_ref().is_none_or(|t| t.needs_renewal(now_ms))
    }

    /// Call on a 401: the token is renewed before the next call.
    pub fn on_unauthorized(&mut self) {
        self.rejected = true;
    }

    /// JSON body of `POST /v3/oauth/token/generate`.
    pub fn token_request_body(&self) -> String {
        serde_json::json!({"key": self.key, "secret": self.secret}).to_string()
    }

    /// Takes the token endpoint's answer (its body read by serde_json): see
    /// [`OAuth::accept_token`].
    pub fn accept_token_response(
        &mut self,
        status: u16,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), Problem> {
        self.accept_token(TokenAnswer::read(status, body), now_ms)
    }

    /// Takes a token endpoint's answer, already read: the token is kept (checked as a header
    /// value) with its lifetime, or the refusal is classified. A page that reads the answer with
    /// the browser's own `JSON.parse` needs no JSON code of its own for this.
    pub fn accept_token(&mut self, answer: TokenAnswer, now_ms: u64) -> Result<(), Problem> {
        if !(200..300).contains(&answer.status) {
            return Err(answer.refusal(answer.status));
        }
        if !answer.readable {
            return Err(Problem::unrecognised("the token answer is not JSON".into()));
        }
        let token = answer
            .access_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                HeaderValue::new(t).map_err(|e| {
                    Problem::unrecognised(format!(
                        "the token answer's accessToken cannot be sent as a header: {e}"
                    ))
                })
            })
            .transpose()?;
        match (token, answer.ttl_seconds) {
            (Some(token), Some(ttl)) => {
                let mut token = OAuthToken::new(token, now_ms, ttl);
                if token.is_short_lived() {
                    self.short_lived = self.short_lived.saturating_add(1);
                    let wait = MIN_TOKEN_RENEWAL_MS
                        .saturating_mul(1 << (self.short_lived - 1).min(20))
                        .min(MAX_TOKEN_RENEWAL_MS);
                    token.renew_at_ms = now_ms.saturating_add(wait);
                } else {
                    self.short_lived = 0;
                }
                self.token = Some(token);
                self.rejected = false;
                Ok(())
            }
            _ if answer.error_code.is_some() || answer.error_message.is_some() => {
                Err(answer.refusal(401))
            }
            _ => Err(Problem::unrecognised(
                "the token answer has no data.accessToken and data.ttlSeconds".into(),
            )),
        }
    }
}

/// What a token endpoint answered, read from its body: `data.accessToken`, `data.ttlSeconds`
/// (a number, or a numeric string), or the first `errors` entry.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenAnswer {
    pub status: u16,
    /// The body was JSON.
    pub readable: bool,
    pub access_token: Option<String>,
    pub ttl_seconds: Option<u64>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("status", &self.status)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field("ttl_seconds", &self.ttl_seconds)
            .field("error_code", &self.error_code)
            .finish()
    }
}

impl TokenAnswer {
    /// Reads a token endpoint's body with serde_json.
    pub fn read(status: u16, body: &[u8]) -> TokenAnswer {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return TokenAnswer {
                status,
                ..TokenAnswer::default()
            };
        };
        let data = v.get("data");
        let error = v.get("errors").and_then(|e| e.get(0));
        TokenAnswer {
            status,
            readable: true,
            access_token: data
                .and_then(|d| d.get("accessToken"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            ttl_seconds: data.and_then(|d| d.get("ttlSeconds")).and_then(|t| {
                t.as_u64()
                    .or_else(|| t.as_str().and_then(|s| s.trim().parse().ok()))
            }),
            error_code: error.and_then(|e| e.get("code")).and_then(Value::as_i64),
            error_message: error
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The refusal this answer carries, classified as an answer of `status` would be.
    fn refusal(&self, status: u16) -> Problem {
        let errors: Vec<audit_core::ApiError> = (self.error_code.is_some()
            || self.error_message.is_some())
        .then(|| audit_core::ApiError {
            code: self.error_code,
            message: self.error_message.clone(),
            status: Some(false),
            raw: Value::Null,
        })
        .into_iter()
        .collect();
        Problem::from_parsed_errors(status, &errors)
    }
}

/// How requests are authenticated. Every header value in it is a checked [`HeaderValue`] (see
/// [`crate::header`]): build the modes with [`AuthMode::basic`], [`AuthMode::basic_from_md5`],
/// [`AuthMode::token`] and [`AuthMode::header`], which name what is wrong.
#[derive(Clone)]
pub enum AuthMode {
    /// No header: a same-origin proxy adds credentials.
    None,
    /// The ready header value; the password itself is not kept.
    Basic {
        username: String,
        header: HeaderValue,
    },
    OAuth(OAuth),
    /// An OAuth token handed over by an embedding host page: sent as the OAuth header, never
    /// renewed here (the host is asked for a new one).
    Token(HeaderValue),
    /// Any header an embedding host page says to send (its own gateway's session header, say).
    Header {
        name: HeaderName,
        value: HeaderValue,
    },
}

impl fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthMode::None => f.write_str("None"),
            AuthMode::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("header", &REDACTED)
                .finish(),
            AuthMode::OAuth(o) => o.fmt(f),
            AuthMode::Token(_) => f.debug_tuple("Token").field(&REDACTED).finish(),
            AuthMode::Header { name, .. } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", &REDACTED)
                .finish(),
        }
    }
}

impl AuthMode {
    /// Basic auth from the user name and clear password (only its MD5 is kept).
    pub fn basic(username: &str, password: &str) -> Result<AuthMode, HeaderError> {
        AuthMode::basic_from_md5(username, &md5_hex(password))
    }

    /// Basic auth from the user name and the password's MD5 (what a session store keeps). The
    /// user name is refused when empty or holding `:` (the server splits user and password at
    /// the first one, so it would read another user) or a control character.
    pub fn basic_from_md5(username: &str, password_md5_hex: &str) -> Result<AuthMode, HeaderError> {
        let username = username.trim();
        if username.is_empty() || username.contains(|c: char| c == ':' || c.is_control()) {
            return Err(HeaderError::BadUserName);
        }
        let header = HeaderValue::new(&basic_header_from_md5(username, password_md5_hex))?;
        Ok(AuthMode::Basic {
            username: username.to_owned(),
            header,
        })
    }

    /// An OAuth token from an embedding host, refused when it cannot be sent as a header.
    pub fn token(token: &str) -> Result<AuthMode, HeaderError> {
        Ok(AuthMode::Token(HeaderValue::new(token)?))
    }

    /// A header mode from an embedding host, refused when the name is not an HTTP token (or
    /// one a page may not set) or the value cannot be sent as a header (see [`HeaderValue`]).
    pub fn header(name: &str, value: &str) -> Result<AuthMode, HeaderError> {
        Ok(AuthMode::Header {
            name: HeaderName::new(name)?,
            value: HeaderValue::new(value)?,
        })
    }

    /// True for credentials an embedding host supplied (they answer any `auth` a link names).
    pub fn is_from_host(&self) -> bool {
        matches!(self, AuthMode::Token(_) | AuthMode::Header { .. })
    }

    /// The [`AuthKind`] these credentials are of, as a link or a config names it; `None` for
    /// credentials an embedding host supplied ([`AuthMode::is_from_host`]), which are no kind
    /// a link can name (they answer any).
    pub fn kind(&self) -> Option<AuthKind> {
        match self {
            AuthMode::None => Some(AuthKind::None),
            AuthMode::Basic { .. } => Some(AuthKind::Basic),
            AuthMode::OAuth(_) => Some(AuthKind::OAuth),
            AuthMode::Token(_) | AuthMode::Header { .. } => None,
        }
    }
}

/// Why no header was produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// The request goes outside the API base the credentials were entered
    /// for (another origin, or another path on it): ask the user before
    /// sending them there. `target` is the request's origin and path, without
    /// its query (which can hold a customer's identifiers).
    OutsideScope {
        scope: ApiScope,
        target: String,
    },
    /// OAuth without a usable token: generate one first.
    TokenNeeded,
    /// These credentials are not OAuth.
    NotOAuth,
    BadUrl(EndpointError),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::OutsideScope { scope, target } => write!(
                f,
                "Your credentials were entered for {scope}; this request goes to {target}, outside it. Enter credentials for that API to continue."
            ),
            AuthError::TokenNeeded => f.write_str("A new OAuth token is needed before this request."),
            AuthError::NotOAuth => f.write_str("These credentials are not OAuth credentials."),
            AuthError::BadUrl(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AuthError {}

/// Credentials bound to one API base ([`Credentials::scope`]).
#[derive(Clone)]
pub struct Credentials {
    scope: ApiScope,
    mode: AuthMode,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("scope", &self.scope)
            .field("mode", &self.mode)
            .finish()
    }
}

/// A request to make before the next API call.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub url: String,
    /// `application/json`.
    pub body: String,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("body", &REDACTED)
            .finish()
    }
}

impl Credentials {
    /// Binds `mode` to `base` as seen from the page on `page` (a proxy path
    /// binds to that path on the page's own origin).
    pub fn new(base: &ApiBase, page: &Origin, mode: AuthMode) -> Credentials {
        Credentials {
            scope: base.scope(page),
            mode,
        }
    }

    /// Basic credentials; see [`AuthMode::basic`] for what is refused.
    pub fn basic(
        base: &ApiBase,
        page: &Origin,
        username: &str,
        password: &str,
    ) -> Result<Credentials, HeaderError> {
        Ok(Credentials::new(
            base,
            page,
            AuthMode::basic(username, password)?,
        ))
    }

    pub fn oauth(base: &ApiBase, page: &Origin, key: &str, secret: &str) -> Credentials {
        Credentials::new(base, page, AuthMode::OAuth(OAuth::new(key, secret)))
    }

    pub fn none(base: &ApiBase, page: &Origin) -> Credentials {
        Credentials::new(base, page, AuthMode::None)
    }

    /// Where these credentials may go: compare it with
    /// [`ApiBase::scope`] to find the credentials held for a link's base.
    pub fn scope(&self) -> &ApiScope {
        &self.scope
    }

    pub fn mode(&self) -> &AuthMode {
        &self.mode
    }

    /// The OAuth state, to renew tokens.
    pub fn oauth_mut(&mut self) -> Option<&mut OAuth> {
        match &mut self.mode {
            AuthMode::OAuth(o) => Some(o),
            _ => None,
        }
    }

    /// True when these credentials may be sent to `url`.
    pub fn allows(&self, url: &str, page: &Origin) -> bool {
        self.scope.covers(url, page)
    }

    /// Refuses `url` unless it is inside the scope.
    fn check(&self, url: &str, page: &Origin) -> Result<(), AuthError> {
        let (origin, path) = resolve_request(url, page).map_err(AuthError::BadUrl)?;
        if self.scope.contains(&origin, path) {
            Ok(())
        } else {
            Err(AuthError::OutsideScope {
                scope: self.scope.clone(),
                target: format!("{origin}{path}"),
            })
        }
    }

    /// The header to send with a request to `url`, only when `url` is inside
    /// the bound API base. `Ok(None)` in "none" mode. Name and value are
    /// checked types, so `Headers.set` cannot throw on them.
    pub fn header_for(
        &self,
        url: &str,
        page: &Origin,
        now_ms: u64,
    ) -> Result<Option<(HeaderName, HeaderValue)>, AuthError> {
        self.check(url, page)?;
        match &self.mode {
            AuthMode::None => Ok(None),
            AuthMode::Basic { header, .. } => {
                Ok(Some((HeaderName::known(AUTHORIZATION), header.clone())))
            }
            AuthMode::OAuth(o) => match &o.token {
                Some(t) if !o.needs_token(now_ms) => {
                    Ok(Some((HeaderName::known(OAUTH_HEADER), t.token.clone())))
                }
                _ => Err(AuthError::TokenNeeded),
            },
            AuthMode::Token(token) => Ok(Some((HeaderName::known(OAUTH_HEADER), token.clone()))),
            AuthMode::Header { name, value } => Ok(Some((name.clone(), value.clone()))),
        }
    }

    /// The token request for `base`, refused unless its URL is inside the
    /// bound API base (the secret travels in its body).
    pub fn token_request(&self, base: &ApiBase, page: &Origin) -> Result<TokenRequest, AuthError> {
        let AuthMode::OAuth(o) = &self.mode else {
            return Err(AuthError::NotOAuth);
        };
        let url = oauth_token_url(base);
        self.check(&url, page)?;
        Ok(TokenRequest {
            url,
            body: o.token_request_body(),
        })
    }

    /// Call on a 401: OAuth renews its token; other modes have nothing to renew.
    pub fn on_unauthorized(&mut self) {
        if let AuthMode::OAuth(o) = &mut self.mode {
            o.on_unauthorized();
        }
    }
}
