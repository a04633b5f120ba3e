//! The credentials held for this tab: in memory, each bound to the API it was entered for, and
//! (only when the user asks) kept in sessionStorage (never localStorage, never the URL). Only
//! what is needed to rebuild them is kept: the API base, the user name and the MD5 of the
//! password for Basic, or the key and secret for OAuth. The tab's session ends it.

use capillary_client::{ApiBase, ApiScope, AuthMode, Credentials, OAuth, Origin};
use explorer_model::AuthKind;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::js_object::{self, Object};

const KEY: &str = "audit-explorer.credentials";

/// What the connection form produced, before it becomes [`Credentials`]. Its `Debug` names the
/// base and the user or key only: a logged value never carries a password hash or a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Saved {
    Basic {
        base: String,
        username: String,
        password_md5: String,
    },
    OAuth {
        base: String,
        key: String,
        secret: String,
    },
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, base, who) = match self {
            Saved::Basic { base, username, .. } => ("Basic", base, username),
            Saved::OAuth { base, key, .. } => ("OAuth", base, key),
        };
        write!(
            f,
            "{kind} {{ base: {base:?}, user: {who:?}, secret: <redacted> }}"
        )
    }
}

impl Saved {
    /// The credentials for this page, or why they cannot be used (a user name a header cannot
    /// carry, an API address that no longer reads).
    pub fn credentials(&self, page: &Origin) -> Result<Credentials, String> {
        match self {
            Saved::Basic {
                base,
                username,
                password_md5,
            } => {
                let base = ApiBase::parse(base).map_err(|e| e.to_string())?;
                let mode = AuthMode::basic_from_md5(username, password_md5)
                    .map_err(|e| format!("User name: {e}"))?;
                Ok(Credentials::new(&base, page, mode))
            }
            Saved::OAuth { base, key, secret } => {
                let base = ApiBase::parse(base).map_err(|e| e.to_string())?;
                Ok(Credentials::new(
                    &base,
                    page,
                    AuthMode::OAuth(OAuth::new(key, secret)),
                ))
            }
        }
    }

    /// What sessionStorage keeps of it.
    fn to_js(&self) -> JsValue {
        match self {
            Saved::Basic {
                base,
                username,
                password_md5,
            } => Object::new()
                .with("kind", "basic")
                .with("base", base.as_str())
                .with("username", username.as_str())
                .with("md5", password_md5.as_str()),
            Saved::OAuth { base, key, secret } => Object::new()
                .with("kind", "oauth")
                .with("base", base.as_str())
                .with("key", key.as_str())
                .with("secret", secret.as_str()),
        }
        .into_js()
    }

    /// Reads what sessionStorage kept (anything else there is ignored).
    fn from_js(v: &JsValue) -> Option<Saved> {
        let s = |k: &str| js_object::text(v, k);
        match s("kind")?.as_str() {
            "basic" => Some(Saved::Basic {
                base: s("base")?,
                username: s("username")?,
                password_md5: s("md5")?,
            }),
            "oauth" => Some(Saved::OAuth {
                base: s("base")?,
                key: s("key")?,
                secret: s("secret")?,
            }),
            _ => None,
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn read_all() -> Vec<Saved> {
    storage()
        .and_then(|s| s.get_item(KEY).ok()?)
        .and_then(|text| js_object::parse(&text))
        .filter(js_sys::Array::is_array)
        .map(|items| {
            js_sys::Array::from(&items)
                .iter()
                .filter_map(|item| Saved::from_js(&item))
                .collect()
        })
        .unwrap_or_default()
}

/// The credentials held for this tab; provided as context by the app.
#[derive(Clone, Copy)]
pub struct Held {
    all: StoredValue<Vec<Credentials>, LocalStorage>,
}

impl Held {
    /// What this tab's sessionStorage keeps, rebuilt for this page.
    pub fn provide() -> Held {
        let held = Held {
            all: StoredValue::new_local(restore()),
        };
        provide_context(held);
        held
    }

    /// Keeps `credentials` for their API (replacing older ones for it).
    pub fn remember(&self, credentials: Credentials) {
        self.all.update_value(|all| {
            all.retain(|c| c.scope() != credentials.scope());
            all.push(credentials);
        });
    }

    /// Credentials for `scope` that authenticate as `kind` asks (a host's token or header
    /// serves any kind: the host decides how its API is reached).
    pub fn find(&self, scope: &ApiScope, kind: AuthKind) -> Option<Credentials> {
        self.all.with_value(|all| {
            all.iter()
                .find(|c| {
                    c.scope() == scope
                        && (c.mode().is_from_host() || kind_of(c.mode()) == Some(kind))
                })
                .cloned()
        })
    }
}

fn kind_of(mode: &AuthMode) -> Option<AuthKind> {
    match mode {
        AuthMode::Basic { .. } => Some(AuthKind::Basic),
        AuthMode::OAuth(_) => Some(AuthKind::OAuth),
        AuthMode::None => Some(AuthKind::None),
        _ => None,
    }
}

/// Credentials kept in this tab's sessionStorage, rebuilt for this page.
fn restore() -> Vec<Credentials> {
    let Ok(page) = crate::http::page_origin() else {
        return Vec::new();
    };
    read_all()
        .iter()
        .filter_map(|s| s.credentials(&page).ok())
        .collect()
}

/// Keeps `saved` for this tab's session (replacing one for the same base).
pub fn keep(saved: &Saved) {
    let Some(storage) = storage() else { return };
    let base_of = |s: &Saved| match s {
        Saved::Basic { base, .. } | Saved::OAuth { base, .. } => base.clone(),
    };
    let mut all = read_all();
    all.retain(|s| base_of(s) != base_of(saved));
    all.push(saved.clone());
    let items: js_sys::Array = all.iter().map(Saved::to_js).collect();
    if let Some(text) = js_object::stringify(&items) {
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets every kept credential.
pub fn forget_all() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret_or_a_password_hash() {
        let basic = Saved::Basic {
            base: "eu".into(),
            username: "aldo".into(),
            password_md5: "2f23fa35e4a9d4d4c4d5e0a1b2c3d4e5".into(),
        };
        let oauth = Saved::OAuth {
            base: "https://eu.api.capillarytech.com".into(),
            key: "client-key".into(),
            secret: "s3cr3t-value".into(),
        };
        let shown = format!("{basic:?} {oauth:?} {:#?}", [&basic, &oauth]);
        assert!(!shown.contains("2f23fa35"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("aldo") && shown.contains("client-key"),
            "{shown}"
        );
    }
}
