//! Header names and values as a browser's `Headers.set` accepts them.
//!
//! `Headers.set` throws a `TypeError` for a name that is not an HTTP token and for a value with
//! NUL, CR or LF, and the JS-string-to-bytes conversion before it throws for any character above
//! U+00FF; gloo-net unwraps that error, so in the app a bad value from the server (an OAuth
//! token) or from an embedding host would be a panic in the middle of a fetch. Every header this
//! crate hands out is therefore a [`HeaderName`] and a [`HeaderValue`], which can only be built
//! checked: a bad one is a [`HeaderError`] where it enters, with a sentence for the user.

use std::fmt;

/// Why a header name or value was refused. The `Display` text never repeats the value (it is a
/// credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Not an HTTP token (empty, a space, `:`, a non-ASCII letter): `Headers.set` throws.
    BadName(String),
    /// A name the browser never lets a page set (`Cookie`, `Host`, `Origin`, `Proxy-…`,
    /// `Sec-…`, …): it would be dropped without a word and the request sent without it.
    ForbiddenName(String),
    /// Nothing but whitespace: a credential cannot be empty.
    EmptyValue,
    /// CR, LF or NUL inside the value: it could split the request; `Headers.set` throws.
    LineBreak,
    /// A character above U+00FF: a header value is bytes, and the browser throws rather than
    /// encode it.
    NotByte,
    /// A Basic user name that is empty or holds `:` or a control character: the server splits
    /// user and password at the first `:`, so it would read another user.
    BadUserName,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::BadName(n) => write!(
                f,
                "`{n}` is not a valid header name (letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ only)"
            ),
            HeaderError::ForbiddenName(n) => write!(
                f,
                "a browser page may not set the header `{n}`; the browser would drop it"
            ),
            HeaderError::EmptyValue => f.write_str("the value is empty"),
            HeaderError::LineBreak => {
                f.write_str("the value contains a line break or NUL, which a header cannot carry")
            }
            HeaderError::NotByte => f.write_str(
                "the value contains a character a header cannot carry (beyond U+00FF, such as € or an emoji)",
            ),
            HeaderError::BadUserName => f.write_str(
                "the user name is empty or contains `:` or a control character",
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

/// A header name `Headers.set` accepts and the browser sends: an HTTP token, not a forbidden
/// request-header name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeaderName(String);

impl HeaderName {
    /// Checks `name`; surrounding spaces and tabs (a host's typing) are ignored, a line break
    /// anywhere is refused.
    pub fn new(name: &str) -> Result<HeaderName, HeaderError> {
        let name = name.trim_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(HeaderError::BadName(name.to_owned()));
        }
        if is_forbidden_request_header(name) {
            return Err(HeaderError::ForbiddenName(name.to_owned()));
        }
        Ok(HeaderName(name.to_owned()))
    }

    /// A name this crate sends itself (its constants are checked by the tests).
    pub(crate) fn known(name: &'static str) -> HeaderName {
        debug_assert!(HeaderName::new(name).is_ok(), "{name}");
        HeaderName(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A header value `Headers.set` accepts, already normalised as it would normalise it (leading
/// and trailing HTTP whitespace removed), so what is held is exactly what is sent.
///
/// It is always a credential here, so it has no `Display` and its `Debug` is `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderValue(String);

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::auth::REDACTED)
    }
}

impl HeaderValue {
    /// Checks and normalises `value`. An empty value is refused as well: `Headers.set` would
    /// take it, but an empty credential is always a mistake worth naming.
    pub fn new(value: &str) -> Result<HeaderValue, HeaderError> {
        let value = value.trim_matches(is_http_whitespace);
        if value.is_empty() {
            return Err(HeaderError::EmptyValue);
        }
        if value.contains(['\0', '\r', '\n']) {
            return Err(HeaderError::LineBreak);
        }
        if value.chars().any(|c| u32::from(c) > 0xFF) {
            return Err(HeaderError::NotByte);
        }
        Ok(HeaderValue(value.to_owned()))
    }

    /// The value to pass to `Headers.set` (never log it).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tab, LF, CR and space: what `Headers.set` strips from both ends of a value.
fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The Fetch standard's forbidden request-header names, which a page cannot set (the browser
/// drops them silently).
fn is_forbidden_request_header(name: &str) -> bool {
    const FORBIDDEN: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    let lower = name.to_ascii_lowercase();
    FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}
