//! The connection panel: which API (cluster preset, custom URL or same-origin proxy path), how
//! to authenticate, which entity (by id or identifier), and every audit parameter (a control per
//! entry of capillary-client's `AUDIT_PARAMS`). Submitting writes the request into the link
//! (never the credentials), which starts the fetch. The form's logic is the model's
//! [`ConnectForm`]; this binds inputs to it.

use capillary_client::{Control, IdentifierName, AUDIT_PARAMS};
use explorer_config::CredentialEntry;
use explorer_model::connect::{param_hook, ConnectForm, TypedCredentials, BY_ID};
use explorer_model::{ApiLink, AuthKind};
use leptos::prelude::*;

use crate::credentials::{self, Saved};
use crate::deployment::use_deployment;
use crate::http::page_origin;
use crate::link::use_link;
use crate::live::use_live;

/// The panel; `open` toggles it.
#[component]
pub fn ConnectPanel(open: RwSignal<bool>) -> impl IntoView {
    let deployment = use_deployment();
    if let CredentialEntry::Disabled(why) = deployment.credential_entry() {
        // Framed by a page the deployment does not allow: no credentials form at all.
        return view! {
            <div class="connect" data-testid="connect-panel">
                <p class="banner warn" role="alert" data-testid="error" data-kind="framed">{why}</p>
            </div>
        }
        .into_any();
    }
    let link = use_link();
    let live = use_live();
    let config = deployment.config();
    let current = link.request.get_untracked().and_then(Result::ok);
    let (form, unlisted) = ConnectForm::for_link(current.as_ref(), &config);
    let form = RwSignal::new(form);
    let error = RwSignal::new(None::<String>);
    let submit_config = config.clone();
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let submitted = match form.with_untracked(|f| f.submit(&submit_config)) {
            Ok(s) => s,
            Err(message) => return error.set(Some(message)),
        };
        let page = match page_origin() {
            Ok(page) => page,
            Err(e) => return error.set(Some(format!("This page cannot call an API: {e}"))),
        };
        let base = submitted.request.base.as_str().to_owned();
        let saved = match &submitted.credentials {
            TypedCredentials::Basic { username, password } => Some(Saved::Basic {
                base,
                username: username.clone(),
                password_md5: capillary_client::md5_hex(password),
            }),
            TypedCredentials::OAuth { key, secret } => Some(Saved::OAuth {
                base,
                key: key.clone(),
                secret: secret.clone(),
            }),
            TypedCredentials::None => None,
        };
        if let Some(saved) = saved {
            match saved.credentials(&page) {
                Ok(credentials) => {
                    live.remember(credentials);
                    if form.with_untracked(|f| f.keep) {
                        credentials::keep(&saved);
                    }
                }
                Err(why) => return error.set(Some(why)),
            }
        }
        // The password field is emptied: it is not needed again.
        form.update(|f| f.password.clear());
        error.set(None);
        open.set(false);
        if link.current().api == submitted.link {
            live.start(submitted.request); // the same link: fetch again
        } else {
            link.open_source(submitted.link);
        }
    };
    let use_demo = move |_| {
        live.stop();
        open.set(false);
        link.open_source(ApiLink::default());
    };
    let offered: Vec<(String, String)> = config
        .apis
        .iter()
        .map(|c| (c.api.clone(), c.label.clone()))
        .collect();
    let modes = config.auth_modes.clone();
    let auth_is = move |k: AuthKind| move || form.with(|f| f.auth == k);
    let by = move || form.with(|f| f.by.clone());
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
                    <input list="clusters" data-testid="api-base" prop:value=move || form.with(|f| f.api.clone())
                        on:input=move |e| form.update(|f| f.api = event_target_value(&e))
                        placeholder="eu · https://host · /capillary" />
                    <datalist id="clusters">
                        {offered.into_iter().map(|(api, label)| view! { <option value=api>{label}</option> }).collect_view()}
                    </datalist>
                </label>
                <div class="radios" role="radiogroup" aria-label="Authentication">
                    // In the order the deployment offers them.
                    {modes
                        .into_iter()
                        .map(|k| (k, match k {
                            AuthKind::Basic => "Basic",
                            AuthKind::OAuth => "OAuth",
                            AuthKind::None => "None (proxy adds it)",
                        }))
                        .map(|(k, label)| view! {
                            <label><input type="radio" name="auth" value=k.key() data-testid=format!("auth-{}", k.key())
                                prop:checked=auth_is(k) on:change=move |_| form.update(|f| f.auth = k) />{label}</label>
                        })
                        .collect_view()}
                </div>
                <Show when=auth_is(AuthKind::Basic)>
                    <TextField label="User name" hook="username" kind="text" form get=|f| f.username.clone() set=|f, v| f.username = v />
                    <TextField label="Password" hook="password" kind="password" form get=|f| f.password.clone() set=|f, v| f.password = v />
                </Show>
                <Show when=auth_is(AuthKind::OAuth)>
                    <TextField label="Client key" hook="oauth-key" kind="text" form get=|f| f.key.clone() set=|f, v| f.key = v />
                    <TextField label="Client secret" hook="oauth-secret" kind="password" form get=|f| f.secret.clone() set=|f, v| f.secret = v />
                </Show>
                <label class="check"><input type="checkbox" data-testid="keep-session" prop:checked=move || form.with(|f| f.keep)
                    on:change=move |e| form.update(|f| f.keep = event_target_checked(&e)) />
                    "Keep credentials for this browser tab (sessionStorage)"</label>
            </fieldset>
            <fieldset>
                <legend>"Open"</legend>
                <div class="row">
                    <label class="field"><span>"By"</span>
                        <select data-testid="open-by" prop:value=by on:change=move |e| form.update(|f| f.by = event_target_value(&e))>
                            <option value=BY_ID>"Entity id"</option>
                            {IdentifierName::ALL.into_iter().map(|n| view! { <option value=n.as_str()>{n.as_str()}</option> }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || matches!(by().as_str(), BY_ID | "cardnumber")>
                        <label class="field"><span>"Entity"</span>
                            <select data-testid="entity-type" prop:value=move || form.with(|f| f.entity_type.clone())
                                on:change=move |e| form.update(|f| f.entity_type = event_target_value(&e))>
                                <option value="CUSTOMER">"Customer"</option>
                                <option value="CARD">"Card"</option>
                            </select>
                        </label>
                    </Show>
                    <TextField label="Id or value" hook="entity-id" kind="text" form get=|f| f.value.clone() set=|f, v| f.value = v />
                </div>
            </fieldset>
            <details class="advanced">
                <summary>"Audit parameters"</summary>
                <div class="grid">
                    {AUDIT_PARAMS.iter().enumerate().map(|(i, p)| view! { <ParamControl form index=i name=p.name control=p.control /> }).collect_view()}
                    <label class="check"><input type="checkbox" data-testid="param-legacy" prop:checked=move || form.with(|f| f.legacy)
                        on:change=move |e| form.update(|f| f.legacy = event_target_checked(&e)) />"Legacy endpoint (/v2/auditLog/get)"</label>
                </div>
            </details>
            {move || error.get().map(|m| view! { <p class="form-error" role="alert" data-testid="error" data-kind="bad-request">{m}</p> })}
            <div class="actions">
                <button type="submit" class="primary" data-testid="connect-load">"Load"</button>
                <button type="button" data-testid="use-demo" on:click=use_demo>"Use demo data"</button>
                <button type="button" on:click=move |_| credentials::forget_all()>"Forget kept credentials"</button>
            </div>
        </form>
    }
    .into_any()
}

/// A text input bound to one field of the form.
#[component]
fn TextField(
    label: &'static str,
    hook: &'static str,
    kind: &'static str,
    form: RwSignal<ConnectForm>,
    get: fn(&ConnectForm) -> String,
    set: fn(&mut ConnectForm, String),
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type=kind data-testid=hook prop:value=move || form.with(get)
                on:input=move |e| form.update(|f| set(f, event_target_value(&e))) />
        </label>
    }
}

/// The control of audit parameter `index`, as its table entry describes it.
#[component]
fn ParamControl(
    form: RwSignal<ConnectForm>,
    index: usize,
    name: &'static str,
    control: Control,
) -> impl IntoView {
    let value = move || form.with(|f| f.params[index].clone());
    let set = move |v: String| form.update(|f| f.params[index] = v);
    let hook = param_hook(name);
    let label = if name == "limit" {
        "limit (page size)"
    } else {
        name
    };
    match control {
        Control::Flag { .. } => view! {
            <label class="check"><input type="checkbox" data-testid=hook prop:checked=move || value() == "true"
                on:change=move |e| set(event_target_checked(&e).to_string()) />{name}</label>
        }
        .into_any(),
        Control::Choice(options) => view! {
            <label class="field"><span>{name}</span>
                <select data-testid=hook prop:value=value on:change=move |e| set(event_target_value(&e))>
                    <option value="">"API default"</option>
                    {options.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
        Control::Text | Control::Number | Control::DateTime => {
            let kind = match control {
                Control::Number => "number",
                Control::DateTime => "datetime-local",
                _ => "text",
            };
            view! {
                <label class="field">
                    <span>{label}</span>
                    <input type=kind data-testid=hook prop:value=value on:input=move |e| set(event_target_value(&e)) />
                </label>
            }
            .into_any()
        }
    }
}
