//! The link: everything the URL's query string says, as one typed [`Link`], read and written
//! through one parameter table, so a reload or a shared link reproduces the view.
//!
//! Query parameters only (no path routes): `dist/` works from any sub-path of a plain static
//! host, with no server rewrites. Credentials are never part of a link.
//!
//! Who owns which key:
//! - the view state ([`ViewState`]): an entry of [`VIEW_PARAMS`] each;
//! - the live API request ([`ApiLink`]): `api`, `auth`, the entity keys, `legacy`, and every
//!   audit parameter of capillary-client's `AUDIT_PARAMS` (so adding an audit parameter there
//!   makes it a link parameter too);
//! - the chrome: `embed` and `theme`;
//! - any other key (a host portal's own) is kept as it came, in order.
//!
//! Reading never fails: a value that cannot be read is left at its default (view state) or kept
//! raw and reported when the request is built ([`ApiLink::request`]).

use capillary_client::{ApiBase, AuditParams, ParamError, AUDIT_PARAMS};
use capillary_vocab::percent::{decode_component, encode_component};
use capillary_vocab::{EntityType, Generation, IdentifierName};
use explorer_config::Theme;

/// How requests authenticate (`auth=basic|oauth|none`): the vocabulary's kind. The secrets
/// themselves are never in a link.
pub use capillary_vocab::AuthKind;

use crate::zone::Zone;

/// Which page is shown.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum View {
    #[default]
    Timeline,
    Status,
    History,
}

impl View {
    pub const ALL: [View; 3] = [View::Timeline, View::Status, View::History];

    pub fn key(self) -> &'static str {
        match self {
            View::Timeline => "timeline",
            View::Status => "status",
            View::History => "history",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Timeline => "Timeline",
            View::Status => "Status log",
            View::History => "Field history",
        }
    }

    pub fn from_key(key: &str) -> View {
        View::ALL
            .into_iter()
            .find(|v| v.key() == key)
            .unwrap_or_default()
    }
}

/// What the user is looking at: the page, the search, the selection, the zone, the ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ViewState {
    pub view: View,
    /// The search box text (audit-core's query language).
    pub query: String,
    /// Permalink key of the selected event (`audit_core::Store::event_key`).
    pub event: Option<String>,
    pub zone: Zone,
    /// Time range picked on the histogram, epoch ms (inclusive start, exclusive end).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Field shown in the field-history view.
    pub field: Option<String>,
    /// "As of" instant (epoch ms) of the state view.
    pub as_of: Option<i64>,
}

impl ViewState {
    /// The search text with the histogram's range appended as qualifiers: what the core runs.
    pub fn effective_query(&self) -> String {
        let mut q = self.query.trim().to_owned();
        for (word, bound) in [("after", self.from), ("before", self.to)] {
            if let Some(ms) = bound {
                if !q.is_empty() {
                    q.push(' ');
                }
                q.push_str(word);
                q.push(':');
                q.push_str(&audit_core::time::format_iso_utc(ms));
            }
        }
        q
    }

    /// The instant "as of" a date typed as `YYYY-MM-DD`: the end of that day (UTC).
    pub fn end_of_day(date: &str) -> Option<i64> {
        audit_core::parse_time(date).map(|t| t + 86_400_000 - 1)
    }

    /// True when a query or a time range narrows the result.
    pub fn is_filtered(&self) -> bool {
        !self.query.is_empty() || self.from.is_some() || self.to.is_some()
    }
}

/// What the deployment decides about links: the zone a link without `tz` is shown in (so `tz`
/// is left out when it is that zone).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkDefaults {
    pub zone: Zone,
}

/// One view-state parameter: its key, how a value is read, and what is written (`None`: left
/// out, the default).
pub struct ViewParam {
    pub key: &'static str,
    read: fn(&mut ViewState, &str),
    write: fn(&ViewState, &LinkDefaults) -> Option<String>,
}

fn text(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// Every view-state parameter. Adding one is a field of [`ViewState`] and an entry here.
pub const VIEW_PARAMS: [ViewParam; 8] = [
    ViewParam {
        key: "view",
        read: |s, v| s.view = View::from_key(v),
        write: |s, _| (s.view != View::Timeline).then(|| s.view.key().to_owned()),
    },
    ViewParam {
        key: "q",
        read: |s, v| s.query = v.to_owned(),
        write: |s, _| text(&s.query),
    },
    ViewParam {
        key: "event",
        read: |s, v| s.event = text(v),
        write: |s, _| s.event.clone(),
    },
    ViewParam {
        key: "tz",
        read: |s, v| s.zone = Zone::from_key(v),
        write: |s, d| (s.zone != d.zone).then(|| s.zone.key()),
    },
    ViewParam {
        key: "from",
        read: |s, v| s.from = v.parse().ok(),
        write: |s, _| s.from.map(|t| t.to_string()),
    },
    ViewParam {
        key: "to",
        read: |s, v| s.to = v.parse().ok(),
        write: |s, _| s.to.map(|t| t.to_string()),
    },
    ViewParam {
        key: "field",
        read: |s, v| s.field = text(v),
        write: |s, _| s.field.clone(),
    },
    ViewParam {
        key: "asof",
        read: |s, v| s.as_of = v.parse().ok(),
        write: |s, _| s.as_of.map(|t| t.to_string()),
    },
];

/// The keys of the live API request besides the audit parameters, in the order written.
const API_KEYS: [&str; 6] = ["api", "auth", "entityType", "entityId", "idName", "idValue"];
/// Written last: the legacy endpoint flag.
const LEGACY_KEY: &str = "legacy";

fn is_api_key(key: &str) -> bool {
    API_KEYS.contains(&key) || key == LEGACY_KEY || AUDIT_PARAMS.iter().any(|p| p.name == key)
}

/// Everything a URL says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    pub view: ViewState,
    /// The live API request the link names (empty: the demo or opened files are shown).
    pub api: ApiLink,
    /// Compact chrome for a narrow iframe (`embed=1`).
    pub embed: bool,
    pub theme: Option<Theme>,
    /// Keys the explorer does not own, kept as they came (a host portal's own parameters).
    pub other: Vec<(String, String)>,
}

impl Link {
    /// Reads decoded query pairs; a later duplicate key wins. Never fails.
    pub fn read<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        defaults: &LinkDefaults,
    ) -> Link {
        let mut link = Link {
            view: ViewState {
                zone: defaults.zone.clone(),
                ..ViewState::default()
            },
            ..Link::default()
        };
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            if let Some(param) = VIEW_PARAMS.iter().find(|p| p.key == k) {
                (param.read)(&mut link.view, v);
            } else if is_api_key(k) {
                link.api.set(k, v);
            } else if k == "embed" {
                link.embed = matches!(v, "1" | "true");
            } else if k == "theme" {
                link.theme = Theme::parse(v);
            } else {
                link.other.retain(|(key, _)| key != k);
                link.other.push((k.to_owned(), v.to_owned()));
            }
        }
        link
    }

    /// The pairs to write, defaults left out so links stay short.
    pub fn write(&self, defaults: &LinkDefaults) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = VIEW_PARAMS
            .iter()
            .filter_map(|p| Some((p.key.to_owned(), (p.write)(&self.view, defaults)?)))
            .collect();
        out.extend(self.api.pairs().map(|(k, v)| (k.to_owned(), v.to_owned())));
        if self.embed {
            out.push(("embed".into(), "1".into()));
        }
        if let Some(theme) = self.theme {
            out.push(("theme".into(), theme.key().into()));
        }
        out.extend(self.other.iter().cloned());
        out
    }

    /// The query string (`?k=v&…`, or empty), every key and value percent-encoded.
    pub fn to_search(&self, defaults: &LinkDefaults) -> String {
        encode_query(&self.write(defaults))
    }

    /// Another source opened (an entity, the demo, files): its API part, and a fresh view in
    /// the same zone. Chrome and foreign keys stay.
    pub fn with_source(&self, api: ApiLink) -> Link {
        Link {
            view: ViewState {
                zone: self.view.zone.clone(),
                ..ViewState::default()
            },
            api,
            ..self.clone()
        }
    }
}

/// The live API part of a link, as written: each present key with its (trimmed, non-empty)
/// value, in the order they are written. Kept raw so a link with a bad value is written back
/// unchanged while the user types, and its error can name the parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ApiLink(Vec<(&'static str, String)>);

impl ApiLink {
    /// The order keys are written in: the API and target, the audit parameters, `legacy`.
    fn order() -> impl Iterator<Item = &'static str> {
        API_KEYS
            .into_iter()
            .chain(AUDIT_PARAMS.iter().map(|p| p.name))
            .chain([LEGACY_KEY])
    }

    /// Sets `key` (an API key) to `value`; an empty value removes it.
    fn set(&mut self, key: &str, value: &str) {
        let Some(key) = ApiLink::order().find(|k| *k == key) else {
            return;
        };
        self.0.retain(|(k, _)| *k != key);
        let value = value.trim();
        if !value.is_empty() {
            self.0.push((key, value.to_owned()));
            let rank = |k: &str| ApiLink::order().position(|o| o == k);
            self.0.sort_by_key(|(k, _)| rank(k));
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads pairs (a form, a host message) as a link would.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ApiLink {
        let mut api = ApiLink::default();
        for (k, v) in pairs {
            api.set(k, v);
        }
        api
    }

    /// The link part that names `request` (defaults left out).
    pub fn of(request: &ApiRequest) -> ApiLink {
        let mut api = ApiLink::default();
        api.set("api", &request.api);
        if request.auth != AuthKind::Basic {
            api.set("auth", request.auth.key());
        }
        match &request.target {
            Target::Entity(t, id) => {
                api.set("entityType", t.as_str());
                api.set("entityId", &id.to_string());
            }
            Target::Identifier(name, value) => {
                if request.params.entity_type == EntityType::Card {
                    api.set("entityType", EntityType::Card.as_str());
                }
                api.set("idName", name.as_str());
                api.set("idValue", value);
            }
        }
        for param in &AUDIT_PARAMS {
            if let Some(value) = (param.get)(&request.params) {
                api.set(param.name, &value);
            }
        }
        if request.generation == Generation::Legacy {
            api.set(LEGACY_KEY, "1");
        }
        api
    }

    /// The request this part names. `None` when it names no API and no entity (the demo or
    /// files are shown); an error naming the parameter when something in it is unusable. A
    /// link that names an entity but no `api` (as a host portal links) uses `default_api`: the
    /// API an embedding host connected to, or the first one config.json offers.
    pub fn request(&self, default_api: Option<&str>) -> Option<Result<ApiRequest, LinkError>> {
        let names_entity = self.get("entityId").is_some() || self.get("idName").is_some();
        let api = match (self.get("api"), default_api) {
            (Some(api), _) => api,
            (None, Some(api)) if names_entity => api,
            (None, None) if names_entity => {
                return Some(Err(LinkError::new(
                    "api",
                    "the link names an entity but no API (add `api=` with a cluster, URL or proxy path)",
                )))
            }
            (None, _) => return None,
        };
        Some(self.read(api))
    }

    /// [`ApiLink::request`] for this deployment: its default API for links that name none, and
    /// a link to an API it does not allow refused with the reason.
    pub fn request_in(
        &self,
        config: &explorer_config::Config,
        default_api: Option<&str>,
    ) -> Option<Result<ApiRequest, LinkError>> {
        let read = self.request(default_api.or(config.default_api()))?;
        Some(read.and_then(|r| match config.refusal(&r.api, &r.base) {
            None => Ok(r),
            Some(why) => Err(LinkError::new("api", why)),
        }))
    }

    fn read(&self, api: &str) -> Result<ApiRequest, LinkError> {
        let base = ApiBase::parse(api).map_err(|e| LinkError::new("api", e.to_string()))?;
        let entity_type = match self.get("entityType") {
            Some(t) => EntityType::parse(t).ok_or_else(|| {
                LinkError::new("entityType", format!("`{t}` is not CUSTOMER or CARD"))
            })?,
            None => EntityType::Customer,
        };
        let target = match (
            self.get("entityId"),
            self.get("idName"),
            self.get("idValue"),
        ) {
            (Some(id), _, _) => {
                let id: i64 = id
                    .parse()
                    .map_err(|_| LinkError::new("entityId", format!("`{id}` is not a number")))?;
                Target::Entity(entity_type, id)
            }
            (None, Some(name), Some(value)) => {
                let name = IdentifierName::parse(name).ok_or_else(|| {
                    LinkError::new(
                        "idName",
                        format!("`{name}` is not mobile, email, externalId or cardnumber"),
                    )
                })?;
                Target::Identifier(name, value.to_owned())
            }
            _ => {
                return Err(LinkError::new(
                    "entityId",
                    "the link names no entity id or identifier",
                ))
            }
        };
        let id = match &target {
            Target::Entity(_, id) => *id,
            // A placeholder until the lookup resolves the customer.
            Target::Identifier(..) => 1,
        };
        let mut params = AuditParams::new(entity_type, id);
        for param in &AUDIT_PARAMS {
            if let Some(value) = self.get(param.name) {
                param.read(&mut params, value)?;
            }
        }
        params.validate()?;
        let auth = match self.get("auth") {
            Some(a) => AuthKind::parse(a).ok_or_else(|| {
                LinkError::new("auth", format!("`{a}` is not basic, oauth or none"))
            })?,
            None => AuthKind::Basic,
        };
        Ok(ApiRequest {
            api: api.to_owned(),
            base,
            auth,
            target,
            params,
            generation: if self.get(LEGACY_KEY) == Some("1") {
                Generation::Legacy
            } else {
                Generation::Current
            },
        })
    }
}

/// Who to open: an entity by id, or an identifier to look the customer (or card) up by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Entity(EntityType, i64),
    Identifier(IdentifierName, String),
}

/// A live API request, fully read from a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    /// As typed: a cluster id (`eu`), a base URL, or a proxy path (`/capillary`).
    pub api: String,
    pub base: ApiBase,
    pub auth: AuthKind,
    pub target: Target,
    /// Audit parameters; the entity in them is a placeholder until a lookup resolves it.
    pub params: AuditParams,
    pub generation: Generation,
}

impl ApiRequest {
    /// "CUSTOMER 5 · https://eu.api…", "mobile 9988776655 · /capillary".
    pub fn label(&self) -> String {
        match &self.target {
            Target::Entity(t, id) => format!("{} {id} · {}", t.as_str(), self.base),
            Target::Identifier(n, v) => format!("{} {v} · {}", n.as_str(), self.base),
        }
    }

    /// The same request for another entity (a card event's customer, say).
    pub fn for_entity(&self, entity_type: EntityType, id: i64) -> ApiRequest {
        let mut next = self.clone();
        next.target = Target::Entity(entity_type, id);
        next.params.entity_type = entity_type;
        next.params.entity_id = id;
        next
    }
}

/// Why a link's API part cannot be used, naming the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub param: &'static str,
    pub message: String,
}

impl LinkError {
    pub fn new(param: &'static str, message: impl Into<String>) -> LinkError {
        LinkError {
            param,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

impl From<ParamError> for LinkError {
    fn from(e: ParamError) -> LinkError {
        LinkError {
            param: e.param,
            message: e.message,
        }
    }
}

/// Builds `?k=v&…` with every key and value percent-encoded (empty for no pairs).
pub fn encode_query<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&encode_component(k.as_ref()));
        out.push('=');
        out.push_str(&encode_component(v.as_ref()));
    }
    out
}

/// Reads `?k=v&…` (or without the `?`) as `URLSearchParams` does: pairs split at `&`, key and
/// value at the first `=`, each decoded by [`decode_component`] (`+` is a space, `%XX` a byte,
/// bytes that are not UTF-8 become U+FFFD). Never fails: a link is untrusted input.
pub fn decode_query(search: &str) -> Vec<(String, String)> {
    search
        .strip_prefix('?')
        .unwrap_or(search)
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

/// The URL that gives this document (`href`, absolute) the query `search` (`?…` or empty):
/// `href` up to its query or fragment, then `search`. Origin and path are kept byte for byte, so
/// a page path beginning with `//` (which as a path-relative write would read as another host)
/// cannot turn a write into a navigation elsewhere.
pub fn same_document_url(href: &str, search: &str) -> String {
    let end = href.find(['?', '#']).unwrap_or(href.len());
    format!("{}{search}", &href[..end])
}

#[cfg(test)]
mod tests;
