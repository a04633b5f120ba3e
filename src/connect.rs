//! The connection panel: which API (cluster preset, custom URL or same-origin proxy path), how
//! to authenticate, which entity (by id or identifier), and every audit parameter. Submitting
//! writes the request into the URL (without credentials), which starts the fetch.

use capillary_client::{ApiBase, IdentifierName, ReferenceType};
use explorer_config::{Config, CredentialEntry, LinkedApi};
use leptos::prelude::*;

use crate::api_query::{ApiQuery, AuthKind};
use crate::deployment::use_deployment;
use crate::explorer::use_explorer;
use crate::live::{page_origin, use_live};
use crate::session::{self, Saved};

/// The form's fields, prefilled from the current link when it names an API.
#[derive(Clone, Copy, Debug, Default)]
struct Form {
    api: RwSignal<String>,
    auth: RwSignal<String>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    key: RwSignal<String>,
    secret: RwSignal<String>,
    keep: RwSignal<bool>,
    entity_type: RwSignal<String>,
    by: RwSignal<String>,
    value: RwSignal<String>,
    source: RwSignal<String>,
    limit: RwSignal<String>,
    sort_order: RwSignal<String>,
    start: RwSignal<String>,
    end: RwSignal<String>,
    reference_type: RwSignal<String>,
    reference_value: RwSignal<String>,
    user_context: RwSignal<bool>,
    legacy: RwSignal<bool>,
}

impl Form {
    /// The form for `current` (the link's request). An API the deployment does not list is
    /// never prefilled: the form keeps the deployment's default and the returned warning names
    /// the linked address in full, so a look-alike host cannot collect credentials by link.
    fn new(current: Option<&ApiQuery>, config: &Config) -> (Form, Option<String>) {
        let f = Form {
            api: RwSignal::new(config.default_api().unwrap_or_default().into()),
            auth: RwSignal::new(
                config
                    .auth_modes
                    .first()
                    .copied()
                    .unwrap_or_default()
                    .key()
                    .into(),
            ),
            entity_type: RwSignal::new("CUSTOMER".into()),
            by: RwSignal::new("id".into()),
            limit: RwSignal::new(config.page_size.to_string()),
            user_context: RwSignal::new(true),
            ..Default::default()
        };
        let mut warning = None;
        if let Some(q) = current {
            let pairs = q.to_pairs();
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.clone())
            };
            match config.linked_api(&q.base) {
                LinkedApi::Listed(_) => f.api.set(q.api.clone()),
                LinkedApi::Unlisted(unlisted) => warning = Some(unlisted.warning()),
            }
            f.auth.set(q.auth.key().into());
            if let Some(t) = get("entityType") {
                f.entity_type.set(t);
            }
            match (get("entityId"), get("idName"), get("idValue")) {
                (Some(id), _, _) => f.value.set(id),
                (None, Some(n), Some(v)) => {
                    f.by.set(n);
                    f.value.set(v);
                }
                _ => {}
            }
            let set = |s: RwSignal<String>, k: &str| s.set(get(k).unwrap_or_default());
            set(f.source, "source");
            set(f.limit, "limit");
            set(f.sort_order, "sortOrder");
            set(f.start, "startDate");
            set(f.end, "endDate");
            set(f.reference_type, "referenceType");
            set(f.reference_value, "referenceValue");
            f.user_context
                .set(get("includeUserContext").as_deref() != Some("false"));
            f.legacy.set(get("legacy").is_some());
        }
        (f, warning)
    }

    /// The URL pairs the form describes (validated by reading them back as a link would be).
    fn query(&self, config: &Config) -> Result<ApiQuery, String> {
        let mut pairs: Vec<(&str, String)> = vec![
            ("api", self.api.get_untracked()),
            ("auth", self.auth.get_untracked()),
        ];
        let value = self.value.get_untracked().trim().to_owned();
        match self.by.get_untracked().as_str() {
            "id" => {
                pairs.push(("entityType", self.entity_type.get_untracked()));
                pairs.push(("entityId", value));
            }
            name => {
                // A card number opens the card itself when "Card" is chosen, else its customer.
                if name == "cardnumber" {
                    pairs.push(("entityType", self.entity_type.get_untracked()));
                }
                pairs.push(("idName", name.to_owned()));
                pairs.push(("idValue", value));
            }
        }
        for (k, s) in [
            ("source", self.source),
            ("limit", self.limit),
            ("sortOrder", self.sort_order),
            ("startDate", self.start),
            ("endDate", self.end),
            ("referenceType", self.reference_type),
            ("referenceValue", self.reference_value),
        ] {
            pairs.push((k, s.get_untracked()));
        }
        pairs.push((
            "includeUserContext",
            self.user_context.get_untracked().to_string(),
        ));
        if self.legacy.get_untracked() {
            pairs.push(("legacy", "1".into()));
        }
        match ApiQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))) {
            Some(Ok(q)) if !config.allows_auth(q.auth) => Err(format!(
                "auth: this deployment allows {} only (config.json `authModes`)",
                config
                    .auth_modes
                    .iter()
                    .map(|m| m.key())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(Ok(q)) if !config.allows_api(&q.base) => {
                let offered: Vec<&str> = config.apis.iter().map(|c| c.api.as_str()).collect();
                Err(format!(
                    "api: this deployment connects only to {} (config.json `apis`)",
                    offered.join(", ")
                ))
            }
            Some(Ok(q)) => Ok(q),
            Some(Err(e)) => Err(format!("{}: {}", e.param, e.message)),
            None => Err("api: choose a cluster, a base URL or a proxy path".into()),
        }
    }

    fn saved(&self, base: &ApiBase) -> Option<Saved> {
        match AuthKind::parse(&self.auth.get_untracked()).unwrap_or_default() {
            AuthKind::Basic => Some(Saved::Basic {
                base: base.as_str().to_owned(),
                username: self.username.get_untracked().trim().to_owned(),
                password_md5: capillary_client::md5_hex(&self.password.get_untracked()),
            }),
            AuthKind::OAuth => Some(Saved::OAuth {
                base: base.as_str().to_owned(),
                key: self.key.get_untracked().trim().to_owned(),
                secret: self.secret.get_untracked(),
            }),
            AuthKind::None => None,
        }
    }
}

/// The panel; `open` toggles it.
#[component]
pub fn ConnectPanel(open: RwSignal<bool>) -> impl IntoView {
    let explorer = use_explorer();
    let live = use_live();
    let config = use_deployment().config();
    let current = explorer.api_query();
    let (form, unlisted) = Form::new(current.as_ref().and_then(|r| r.as_ref().ok()), &config);
    let error = RwSignal::new(None::<String>);
    if let CredentialEntry::Disabled(why) = use_deployment().credential_entry() {
        // Framed by a page the deployment does not allow: no credentials form at all.
        return view! {
            <div class="connect" data-testid="connect-panel">
                <p class="banner warn" role="alert" data-testid="error" data-kind="framed">{why}</p>
            </div>
        }
        .into_any();
    }
    let form_config = config.clone();
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let query = match form.query(&form_config) {
            Ok(q) => q,
            Err(message) => return error.set(Some(message)),
        };
        let page = match page_origin() {
            Ok(page) => page,
            Err(e) => return error.set(Some(format!("This page cannot call an API: {e}"))),
        };
        if let Some(saved) = form.saved(&query.base) {
            let incomplete = match &saved {
                Saved::Basic { username, .. } => {
                    username.is_empty() || form.password.get_untracked().is_empty()
                }
                Saved::OAuth { key, secret, .. } => key.is_empty() || secret.is_empty(),
            };
            if incomplete {
                return error.set(Some("Enter the credentials for this API (or choose “None” behind a proxy that adds them).".into()));
            }
            match saved.credentials(&page) {
                Ok(credentials) => {
                    live.remember(credentials);
                    if form.keep.get_untracked() {
                        session::keep(&saved);
                    }
                }
                Err(why) => return error.set(Some(why)),
            }
        }
        // The password field is emptied: it is not needed again.
        form.password.set(String::new());
        error.set(None);
        open.set(false);
        let pairs = query.to_pairs();
        if Some(&query) == explorer.api_query().and_then(Result::ok).as_ref() {
            live.start(query); // same link: fetch again
        } else {
            explorer.set_source(pairs);
        }
    };
    let use_demo = move |_| {
        live.stop();
        open.set(false);
        explorer.set_source(Vec::new());
    };
    let text = |label: &'static str,
                testid: &'static str,
                signal: RwSignal<String>,
                kind: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type=kind data-testid=testid prop:value=move || signal.get()
                    on:input=move |e| signal.set(event_target_value(&e)) />
            </label>
        }
    };
    let auth_is = move |k: &'static str| move || form.auth.get() == k;
    let offered: Vec<(String, String)> = config
        .apis
        .iter()
        .map(|c| (c.api.clone(), c.label.clone()))
        .collect();
    let modes = config.auth_modes.clone();
    view! {
        <form class="connect" data-testid="connect-panel" on:submit=submit aria-label="Connect to the API">
            {match unlisted {
                Some(warning) => view! {
                    <p class="banner warn" role="alert" data-testid="error" data-kind="unlisted-api">{warning}</p>
                }.into_any(),
                None => (move || live.needs_credentials.get().map(|api| view! {
                    <p class="banner warn" data-testid="error" data-kind="credentials-needed">
                        {format!("This link loads data from {api}. Enter credentials for it: they are sent to that API only.")}
                    </p>
                })).into_any(),
            }}
            <fieldset>
                <legend>"API"</legend>
                <label class="field">
                    <span>"Cluster, base URL or proxy path"</span>
                    <input list="clusters" data-testid="api-base" prop:value=move || form.api.get()
                        on:input=move |e| form.api.set(event_target_value(&e))
                        placeholder="eu · https://host · /capillary" />
                    <datalist id="clusters">
                        {offered.into_iter().map(|(api, label)| view! { <option value=api>{label}</option> }).collect_view()}
                    </datalist>
                </label>
                <div class="radios" role="radiogroup" aria-label="Authentication">
                    {[("basic", "Basic"), ("oauth", "OAuth"), ("none", "None (proxy adds it)")].into_iter().filter(|(k, _)| modes.iter().any(|m| m.key() == *k)).map(|(k, label)| view! {
                        <label><input type="radio" name="auth" value=k data-testid=format!("auth-{k}")
                            prop:checked=auth_is(k) on:change=move |_| form.auth.set(k.into()) />{label}</label>
                    }).collect_view()}
                </div>
                <Show when=auth_is("basic")>
                    {text("User name", "username", form.username, "text")}
                    {text("Password", "password", form.password, "password")}
                </Show>
                <Show when=auth_is("oauth")>
                    {text("Client key", "oauth-key", form.key, "text")}
                    {text("Client secret", "oauth-secret", form.secret, "password")}
                </Show>
                <label class="check"><input type="checkbox" data-testid="keep-session" prop:checked=move || form.keep.get()
                    on:change=move |e| form.keep.set(event_target_checked(&e)) />
                    "Keep credentials for this browser tab (sessionStorage)"</label>
            </fieldset>
            <fieldset>
                <legend>"Open"</legend>
                <div class="row">
                    <label class="field"><span>"By"</span>
                        <select data-testid="open-by" prop:value=move || form.by.get() on:change=move |e| form.by.set(event_target_value(&e))>
                            <option value="id">"Entity id"</option>
                            {IdentifierName::ALL.into_iter().map(|n| view! { <option value=n.as_str()>{n.as_str()}</option> }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || matches!(form.by.get().as_str(), "id" | "cardnumber")>
                        <label class="field"><span>"Entity"</span>
                            <select data-testid="entity-type" prop:value=move || form.entity_type.get() on:change=move |e| form.entity_type.set(event_target_value(&e))>
                                <option value="CUSTOMER">"Customer"</option>
                                <option value="CARD">"Card"</option>
                            </select>
                        </label>
                    </Show>
                    {text("Id or value", "entity-id", form.value, "text")}
                </div>
            </fieldset>
            <details class="advanced">
                <summary>"Audit parameters"</summary>
                <div class="grid">
                    {text("source", "param-source", form.source, "text")}
                    {text("limit (page size)", "param-limit", form.limit, "number")}
                    <label class="field"><span>"sortOrder"</span>
                        <select prop:value=move || form.sort_order.get() on:change=move |e| form.sort_order.set(event_target_value(&e))>
                            <option value="">"API default"</option><option value="DESC">"DESC"</option><option value="ASC">"ASC"</option>
                        </select>
                    </label>
                    {text("startDate", "param-start", form.start, "datetime-local")}
                    {text("endDate", "param-end", form.end, "datetime-local")}
                    <label class="field"><span>"referenceType"</span>
                        <select prop:value=move || form.reference_type.get() on:change=move |e| form.reference_type.set(event_target_value(&e))>
                            <option value="">"all"</option>
                            {ReferenceType::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                        </select>
                    </label>
                    {text("referenceValue", "param-reference-value", form.reference_value, "text")}
                    <label class="check"><input type="checkbox" prop:checked=move || form.user_context.get()
                        on:change=move |e| form.user_context.set(event_target_checked(&e)) />"includeUserContext"</label>
                    <label class="check"><input type="checkbox" data-testid="param-legacy" prop:checked=move || form.legacy.get()
                        on:change=move |e| form.legacy.set(event_target_checked(&e)) />"Legacy endpoint (/v2/auditLog/get)"</label>
                </div>
            </details>
            {move || error.get().map(|m| view! { <p class="form-error" role="alert" data-testid="error" data-kind="bad-request">{m}</p> })}
            <div class="actions">
                <button type="submit" class="primary" data-testid="connect-load">"Load"</button>
                <button type="button" data-testid="use-demo" on:click=use_demo>"Use demo data"</button>
                <button type="button" on:click=move |_| { session::forget_all(); }>"Forget kept credentials"</button>
            </div>
        </form>
    }
    .into_any()
}
