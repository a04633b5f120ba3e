//! The host handshake: an admin portal that frames the explorer talks to it by `postMessage`.
//!
//! Only messages from the parent window on an origin listed in config.json
//! (`allowedParentOrigins`) are read; anything else is ignored, so another site cannot hand the
//! explorer a connection or steer it. What `connect` and `theme` send (API, token or header,
//! theme) stays in memory: none of it is written to the URL or to storage. `open` is navigation,
//! not a secret: the entity it names is written to the URL (with the host's API as `api`) exactly
//! as if the user had opened it, so Back returns and the host can mirror the link; it can only
//! name an entity, never an API of its own. The explorer tells the host when it
//! is ready, when a connection was accepted or refused, when the user opens another entity or
//! changes the view (so the host can mirror the URL), and when the API refuses the host's token.
//! README "Embedding" is the message reference.

use capillary_client::{ApiBase, AuthMode, Credentials};
use explorer_config::Theme;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use explorer_model::{ApiLink, ProblemKind, Target};

use crate::banners::Banners;
use crate::deployment::Deployment;
use crate::http::page_origin;
use crate::js_object::{self, Object};
use crate::link::LinkState;
use crate::live::Live;

/// Every message type, both ways, starts with this.
const PREFIX: &str = "audit-explorer:";

/// Version of the message set, sent with `ready`.
const PROTOCOL: u32 = 1;

/// Starts listening to the host and announces readiness. Does nothing outside a frame or when
/// config.json allows no parent origin.
pub fn connect_host(link: LinkState, live: Live, deployment: Deployment, banners: Banners) {
    let Some(parent) = parent_window() else {
        return;
    };
    if deployment.config().allowed_parent_origins.is_empty() {
        return;
    }
    let host_origin = StoredValue::new(None::<String>);
    let host = Host {
        parent,
        deployment,
        host_origin,
    };
    let listener = host.clone();
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            listener.receive(&e, link, live);
        });
    let _ =
        window().add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    on_message.forget();
    tell_view_changes(host.clone(), link);
    tell_auth_failures(host.clone(), banners);
    host.send(
        "ready",
        Object::new()
            .with("version", PROTOCOL)
            .with("embed", deployment.embed),
    );
}

#[derive(Clone)]
struct Host {
    parent: web_sys::Window,
    deployment: Deployment,
    /// The origin that connected; until then messages go to every allowed origin (the browser
    /// delivers only to the one the parent really has).
    host_origin: StoredValue<Option<String>>,
}

impl Host {
    /// Posts a message of `kind` (its `type` gets the prefix) with `members`.
    fn send(&self, kind: &str, members: Object) {
        let data = members.with("type", format!("{PREFIX}{kind}")).into_js();
        let targets = match self.host_origin.get_value() {
            Some(origin) => vec![origin],
            None => self
                .deployment
                .config()
                .allowed_parent_origins
                .iter()
                .map(ToString::to_string)
                .collect(),
        };
        for origin in targets {
            let _ = self.parent.post_message(&data, &origin);
        }
    }

    fn refuse(&self, why: String) {
        leptos::logging::warn!("audit explorer: host message refused: {why}");
        self.send("error", Object::new().with("message", why));
    }

    fn receive(&self, e: &web_sys::MessageEvent, link: LinkState, live: Live) {
        let origin = e.origin();
        let from_parent = e
            .source()
            .is_some_and(|s| js_sys::Object::is(&s, &self.parent));
        if !from_parent || !self.deployment.config().allows_parent(&origin) {
            return; // Not our host: not even an answer.
        }
        let Some(message) = message_value(&e.data()) else {
            return;
        };
        let Some(kind) = js_object::text(&message, "type")
            .and_then(|t| t.strip_prefix(PREFIX).map(str::to_owned))
        else {
            return; // Someone else's protocol on the same window.
        };
        self.host_origin.set_value(Some(origin));
        match kind.as_str() {
            "connect" => self.accept_connection(&message, link, live),
            "theme" => self.set_theme(&message),
            "open" => self.open(&message, link),
            other => self.refuse(format!("unknown message type `{PREFIX}{other}`")),
        }
    }

    fn set_theme(&self, message: &JsValue) {
        let theme = js_object::text(message, "theme");
        match theme.as_deref().map(|t| (t, Theme::parse(t))) {
            Some((_, Some(theme))) => self.deployment.theme.set(theme),
            Some((t, None)) => self.refuse(format!("theme `{t}` is not auto, light or dark")),
            None => {}
        }
    }

    /// `connect`: `api`, and `token` (an OAuth token) or `header: {name, value}`, or neither
    /// behind a proxy that authenticates; optional `theme`.
    fn accept_connection(&self, message: &JsValue, link: LinkState, live: Live) {
        self.set_theme(message);
        let config = self.deployment.config();
        let Some(api) =
            js_object::text(message, "api").or_else(|| config.default_api().map(str::to_owned))
        else {
            return self.refuse("connect needs `api`".into());
        };
        let base = match ApiBase::parse(&api) {
            Ok(b) => b,
            Err(e) => return self.refuse(format!("api: {e}")),
        };
        if let Some(why) = config.refusal(&api, &base) {
            return self.refuse(format!("api: {why}"));
        }
        let token = js_object::text(message, "token").filter(|t| !t.is_empty());
        let header = js_object::member(message, "header");
        let mode = match (token, header) {
            (Some(token), _) => match AuthMode::token(&token) {
                Ok(mode) => mode,
                Err(e) => return self.refuse(format!("token: {e}")),
            },
            (None, Some(h)) => {
                let field = |k: &str| js_object::text(&h, k).unwrap_or_default();
                match AuthMode::header(&field("name"), &field("value")) {
                    Ok(mode) => mode,
                    Err(e) => return self.refuse(format!("header: {e}")),
                }
            }
            (None, None) => AuthMode::None,
        };
        let page = match page_origin() {
            Ok(page) => page,
            Err(e) => return self.refuse(format!("this page cannot call an API: {e}")),
        };
        live.remember(Credentials::new(&base, &page, mode));
        let before = link.request.get_untracked();
        self.deployment.host_api.set(Some(api.clone()));
        let after = link.request.get_untracked();
        // A changed request is started by the app's link follower; the same one is retried
        // here (it was waiting for these credentials, or failed with the old token).
        if before == after {
            if let Some(Ok(query)) = after {
                live.start(query);
            }
        }
        self.send("connected", Object::new().with("api", api));
    }

    /// `open`: `entityType` and `entityId` (or `idName` and `idValue`) of the entity to show.
    fn open(&self, message: &JsValue, link: LinkState) {
        let text = |k: &str| js_object::text_or_number(message, k);
        let pairs: Vec<(&str, String)> = ["entityType", "entityId", "idName", "idValue"]
            .into_iter()
            .filter_map(|k| text(k).map(|v| (k, v)))
            .collect();
        let default_api = self.deployment.default_api();
        let api = ApiLink::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        match api.request_in(&self.deployment.config(), default_api.as_deref()) {
            Some(Ok(request)) => link.open_source(ApiLink::of(&request)),
            Some(Err(e)) => self.refuse(format!("open: {}: {}", e.param, e.message)),
            None => self.refuse("open needs entityId, or idName and idValue".into()),
        }
    }
}

/// After every URL change: `view` with the query string (for the host's own URL), the view and
/// the entity shown.
fn tell_view_changes(host: Host, link: LinkState) {
    let bar = crate::address_bar::use_address_bar();
    Effect::new(move |_| {
        let search = bar.search();
        let view = link.view.with(|v| v.view.key());
        let entity = match link.request.get() {
            Some(Ok(q)) => match q.target {
                Target::Entity(t, id) => Object::new()
                    .with("entityType", t.as_str())
                    .with("entityId", id.to_string())
                    .into_js(),
                Target::Identifier(name, value) => Object::new()
                    .with("entityType", q.params.entity_type.as_str())
                    .with("idName", name.as_str())
                    .with("idValue", value)
                    .into_js(),
            },
            _ => JsValue::NULL,
        };
        let query = if search.is_empty() {
            String::new()
        } else {
            format!("?{}", search.trim_start_matches('?'))
        };
        host.send(
            "view",
            Object::new()
                .with("query", query)
                .with("view", view)
                .with("entity", entity),
        );
    });
}

/// The API refused the host's credentials: ask the host for new ones (send `connect` again).
fn tell_auth_failures(host: Host, banners: Banners) {
    Effect::new(move |told: Option<bool>| {
        let failed = banners.shows(ProblemKind::Api(
            capillary_client::ProblemKind::Unauthorized,
        ));
        if failed && told != Some(true) {
            host.send("auth-failed", Object::new());
        }
        failed
    });
}

/// The frame's parent, when the explorer is framed.
fn parent_window() -> Option<web_sys::Window> {
    let parent = window().parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window())).then_some(parent)
}

/// A message's data: an object (structured clone), or a JSON string of one.
fn message_value(data: &JsValue) -> Option<JsValue> {
    let value = match data.as_string() {
        Some(text) => js_object::parse(&text)?,
        None => data.clone(),
    };
    (value.is_object() && !js_sys::Array::is_array(&value)).then_some(value)
}
