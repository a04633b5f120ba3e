//! Where this copy of the explorer runs: the deployment's `config.json` (read once, before the
//! app mounts, so the first paint already follows it), embed mode, the colour theme, and the
//! connection an embedding host page handed over (see [`crate::embed`]).

use std::sync::Arc;

use explorer_config::{Config, CredentialEntry, Frame, Loaded, Theme, FILE_NAME};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use explorer_model::{Problem, ProblemKind, Zone};

use crate::address_bar::AddressBar;
use crate::banners::Banners;

/// Handle to the deployment settings; provided as context by the app.
#[derive(Clone, Copy)]
pub struct Deployment {
    config: StoredValue<Arc<Config>>,
    /// The zone links without `tz` are shown in.
    default_zone: StoredValue<Zone>,
    /// Compact chrome for a narrow iframe (`embed=1` in the URL, or `"embed": true`).
    pub embed: bool,
    /// Embedded in a page allowed to supply the connection: the connection panel stays closed
    /// and credentials come by `postMessage` only.
    pub hosted: bool,
    /// Whether the connection panel may take credentials here (not inside a page the
    /// deployment does not allow: a meta CSP cannot forbid framing).
    credential_entry: StoredValue<CredentialEntry>,
    /// The API an embedding host connected to; links that name no `api` use it.
    pub host_api: RwSignal<Option<String>>,
    /// Colour scheme: the link's `theme`, else the host's, else config.json's.
    pub theme: RwSignal<Theme>,
}

impl Deployment {
    /// Reads the settings (the URL's `embed` and `theme` included) and provides them as context.
    pub fn provide(config: Config, bar: AddressBar) -> Deployment {
        let pairs = bar.pairs_untracked();
        let flag = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let (embed_flag, theme_flag) = (flag("embed"), flag("theme"));
        let embed = config.embed || matches!(embed_flag.as_deref(), Some("1" | "true"));
        let framed = framed_by();
        let entry = config.credential_entry(
            match &framed {
                None => Frame::Top,
                Some(parent) => Frame::Framed {
                    parent: parent.as_deref(),
                },
            },
            embed,
        );
        let theme = theme_flag
            .as_deref()
            .and_then(Theme::parse)
            .unwrap_or(config.theme);
        let deployment = Deployment {
            default_zone: StoredValue::new(
                config
                    .time_zone
                    .as_deref()
                    .map(Zone::from_key)
                    .unwrap_or_default(),
            ),
            embed,
            hosted: entry == CredentialEntry::FromHost,
            credential_entry: StoredValue::new(entry),
            host_api: RwSignal::new(None),
            theme: RwSignal::new(theme),
            config: StoredValue::new(Arc::new(config)),
        };
        Effect::new(move |_| apply_theme(deployment.theme.get()));
        provide_context(deployment);
        deployment
    }

    pub fn default_zone(&self) -> Zone {
        self.default_zone.get_value()
    }

    pub fn credential_entry(&self) -> CredentialEntry {
        self.credential_entry.get_value()
    }

    pub fn config(&self) -> Arc<Config> {
        self.config.get_value()
    }

    /// The `api` a link without one uses: the host's, else the first configured.
    pub fn default_api(&self) -> Option<String> {
        self.host_api.get().or_else(|| {
            self.config
                .with_value(|c| c.default_api().map(str::to_owned))
        })
    }
}

pub fn use_deployment() -> Deployment {
    expect_context::<Deployment>()
}

/// Shows what was wrong with config.json (the defaults already apply).
pub fn report(banners: Banners, loaded: &Loaded) {
    for message in loaded.error.iter().chain(&loaded.warnings) {
        banners.add(Problem::new(ProblemKind::Config, message.clone()));
    }
}

/// `None` in its own tab; inside a frame, the embedding page's origin when the browser names it
/// (`location.ancestorOrigins`, else a `document.referrer` that is not this page itself).
fn framed_by() -> Option<Option<String>> {
    let top = window().top().ok().flatten()?;
    if js_sys::Object::is(&top, &window()) {
        return None;
    }
    // `location.ancestorOrigins` (Chromium, Safari), read by name: not every browser has it.
    let ancestor = js_sys::Reflect::get(&window().location(), &"ancestorOrigins".into())
        .ok()
        .filter(|list| list.is_object())
        .and_then(|list| js_sys::Reflect::get(&list, &"0".into()).ok())
        .and_then(|first| first.as_string());
    let referrer = || {
        let r = document().referrer();
        let own = window().location().origin().unwrap_or_default();
        (!r.is_empty() && !r.starts_with(&own)).then_some(r)
    };
    Some(ancestor.or_else(referrer))
}

/// `data-theme` on `<html>` overrides `prefers-color-scheme` (see style/main.css).
fn apply_theme(theme: Theme) {
    let Some(root) = document().document_element() else {
        return;
    };
    let _ = match theme {
        Theme::Auto => root.remove_attribute("data-theme"),
        forced => root.set_attribute("data-theme", forced.key()),
    };
}

/// Fetches config.json from beside index.html. Never fails: a missing, unreachable or broken
/// file gives the safe defaults (the documented clusters only, no other API, nobody may embed)
/// and a sentence saying so.
pub async fn load_config() -> Loaded {
    let fallback = |why: String| Loaded::fallback(&why);
    let response = gloo_net::http::Request::get(FILE_NAME)
        .cache(web_sys::RequestCache::NoCache)
        .send()
        .await;
    match response {
        // The browser's own JSON.parse: the page carries no JSON parser.
        Ok(r) if r.ok() => match r.text().await {
            Ok(text) => match js_sys::JSON::parse(&text) {
                Ok(value) => Config::read_json(&crate::js_object::to_json(&value)),
                Err(e) => fallback(format!(
                    "is not valid JSON ({})",
                    e.dyn_ref::<js_sys::Error>()
                        .map(|e| String::from(e.message()))
                        .unwrap_or_default()
                )),
            },
            Err(e) => fallback(format!("could not be read ({e})")),
        },
        Ok(r) if r.status() == 404 => {
            fallback("was not found beside index.html (HTTP 404)".to_owned())
        }
        Ok(r) => fallback(format!("could not be loaded (HTTP {})", r.status())),
        Err(e) => fallback(format!("could not be loaded ({e})")),
    }
}
