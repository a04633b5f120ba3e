//! The connection form as plain data: what it is prefilled with for a link, and the link part
//! (and the credentials typed) it stands for once submitted. The panel binds its inputs to these
//! fields and renders a control per audit parameter of capillary-client's `AUDIT_PARAMS`.

use capillary_client::{Control, IdentifierName, AUDIT_PARAMS};
use explorer_config::{Config, LinkedApi};

use crate::link::{ApiLink, ApiRequest, AuthKind, Target};

/// How the panel opens an entity: by its id, or by an identifier to look it up by.
pub const BY_ID: &str = "id";

/// The form's fields, as the inputs hold them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectForm {
    /// As typed: a cluster id, a base URL or a proxy path.
    pub api: String,
    pub auth: AuthKind,
    pub username: String,
    pub password: String,
    pub key: String,
    pub secret: String,
    /// Keep the credentials for this browser tab (sessionStorage).
    pub keep: bool,
    /// `CUSTOMER` or `CARD`.
    pub entity_type: String,
    /// [`BY_ID`] or an identifier name (`mobile`, `cardnumber`, …).
    pub by: String,
    /// The id or the identifier's value.
    pub value: String,
    /// Each audit parameter's text, in [`AUDIT_PARAMS`] order (a flag holds `true`/`false`).
    pub params: Vec<String>,
    pub legacy: bool,
}

/// The credentials typed into the form.
#[derive(Clone, PartialEq, Eq)]
pub enum TypedCredentials {
    Basic {
        username: String,
        password: String,
    },
    OAuth {
        key: String,
        secret: String,
    },
    /// A same-origin proxy adds them.
    None,
}

impl std::fmt::Debug for TypedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypedCredentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            TypedCredentials::OAuth { key, .. } => write!(f, "OAuth({key}, <redacted>)"),
            TypedCredentials::None => f.write_str("None"),
        }
    }
}

/// A submitted form: the link part to open and the credentials for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub request: ApiRequest,
    pub link: ApiLink,
    pub credentials: TypedCredentials,
}

impl ConnectForm {
    /// The form for `current` (the request the link names, if any). An API the deployment does
    /// not list is never prefilled: the form keeps the deployment's default, and the warning
    /// returned names the linked address in full, so a look-alike host cannot collect
    /// credentials by a link.
    pub fn for_link(
        current: Option<&ApiRequest>,
        config: &Config,
    ) -> (ConnectForm, Option<String>) {
        let mut form = ConnectForm {
            api: config.default_api().unwrap_or_default().to_owned(),
            auth: config.auth_modes.first().copied().unwrap_or_default(),
            username: String::new(),
            password: String::new(),
            key: String::new(),
            secret: String::new(),
            keep: false,
            entity_type: "CUSTOMER".into(),
            by: BY_ID.into(),
            value: String::new(),
            params: AUDIT_PARAMS
                .iter()
                .map(|p| match (p.name, p.control) {
                    ("limit", _) => config.page_size.to_string(),
                    (_, Control::Flag { checked_by_default }) => checked_by_default.to_string(),
                    _ => String::new(),
                })
                .collect(),
            legacy: false,
        };
        let Some(request) = current else {
            return (form, None);
        };
        let mut warning = None;
        match config.linked_api(&request.base) {
            LinkedApi::Listed(_) => form.api = request.api.clone(),
            LinkedApi::Unlisted(unlisted) => warning = Some(unlisted.warning()),
        }
        if config.allows_auth(request.auth) {
            form.auth = request.auth;
        }
        form.entity_type = request.params.entity_type.as_str().to_owned();
        match &request.target {
            Target::Entity(_, id) => form.value = id.to_string(),
            Target::Identifier(name, value) => {
                form.by = name.as_str().to_owned();
                form.value = value.clone();
            }
        }
        for (i, p) in AUDIT_PARAMS.iter().enumerate() {
            match ((p.get)(&request.params), p.control) {
                (Some(v), _) => form.params[i] = v,
                (None, Control::Flag { .. }) => {}
                (None, _) if p.name == "limit" => {}
                (None, _) => form.params[i].clear(),
            }
        }
        form.legacy = request.generation == capillary_client::Generation::Legacy;
        (form, warning)
    }

    /// The link part this form stands for, validated as a link would be and against what the
    /// deployment allows, with the credentials typed. Errors name the field.
    pub fn submit(&self, config: &Config) -> Result<Submitted, String> {
        let mut pairs: Vec<(&str, String)> =
            vec![("api", self.api.clone()), ("auth", self.auth.key().into())];
        let value = self.value.trim().to_owned();
        if self.by == BY_ID {
            pairs.push(("entityType", self.entity_type.clone()));
            pairs.push(("entityId", value));
        } else {
            // A card number opens the card itself when "Card" is chosen, else its customer.
            if IdentifierName::parse(&self.by) == Some(IdentifierName::CardNumber) {
                pairs.push(("entityType", self.entity_type.clone()));
            }
            pairs.push(("idName", self.by.clone()));
            pairs.push(("idValue", value));
        }
        for (p, v) in AUDIT_PARAMS.iter().zip(&self.params) {
            // A flag left at an unticked default is left out (the API's default applies); one
            // ticked by default and unticked says so.
            let left_out = matches!(
                p.control,
                Control::Flag {
                    checked_by_default: false
                }
            ) && v == "false";
            if !left_out {
                pairs.push((p.name, v.clone()));
            }
        }
        if self.legacy {
            pairs.push(("legacy", "1".into()));
        }
        let link = ApiLink::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        let request = match link.request(None) {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(format!("{}: {}", e.param, e.message)),
            None => return Err("api: choose a cluster, a base URL or a proxy path".into()),
        };
        if !config.allows_auth(request.auth) {
            let offered: Vec<&str> = config.auth_modes.iter().map(|a| a.key()).collect();
            return Err(format!(
                "auth: this deployment allows {} only (config.json `authModes`)",
                offered.join(", ")
            ));
        }
        if let Some(why) = config.refusal(&request.api, &request.base) {
            return Err(format!("api: {why}"));
        }
        let credentials = match request.auth {
            AuthKind::Basic if self.username.trim().is_empty() || self.password.is_empty() => {
                return Err(MISSING_CREDENTIALS.into())
            }
            AuthKind::OAuth if self.key.trim().is_empty() || self.secret.is_empty() => {
                return Err(MISSING_CREDENTIALS.into())
            }
            AuthKind::Basic => TypedCredentials::Basic {
                username: self.username.trim().to_owned(),
                password: self.password.clone(),
            },
            AuthKind::OAuth => TypedCredentials::OAuth {
                key: self.key.trim().to_owned(),
                secret: self.secret.clone(),
            },
            AuthKind::None => TypedCredentials::None,
        };
        Ok(Submitted {
            link: ApiLink::of(&request),
            request,
            credentials,
        })
    }
}

const MISSING_CREDENTIALS: &str =
    "Enter the credentials for this API (or choose “None” behind a proxy that adds them).";

/// The hook of an audit parameter's control (`param-limit`, `param-start-date`).
pub fn param_hook(name: &str) -> String {
    let mut hook = String::from("param-");
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            hook.push('-');
            hook.push(c.to_ascii_lowercase());
        } else {
            hook.push(c);
        }
    }
    hook
}

#[cfg(test)]
mod tests {
    use super::*;
    use explorer_config::Config;

    fn config(text: &str) -> Config {
        Config::read(text).config
    }

    fn link_request(pairs: &[(&str, &str)]) -> ApiRequest {
        ApiLink::from_pairs(pairs.iter().copied())
            .request(None)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_listed_api_and_every_parameter_are_prefilled_and_submit_back_to_the_same_link() {
        let c = config(r#"{"apis": ["eu"], "otherApis": false}"#);
        let request = link_request(&[
            ("api", "eu"),
            ("auth", "oauth"),
            ("entityType", "CARD"),
            ("idName", "cardnumber"),
            ("idValue", "DIWALI1"),
            ("source", "INSTORE"),
            ("limit", "20"),
            ("startDate", "2024-01-01"),
            ("includeUserContext", "false"),
            ("legacy", "1"),
        ]);
        let (mut form, warning) = ConnectForm::for_link(Some(&request), &c);
        assert_eq!(warning, None);
        assert_eq!(
            (form.api.as_str(), form.auth, form.by.as_str()),
            ("eu", AuthKind::OAuth, "cardnumber")
        );
        form.key = "k".into();
        form.secret = "s".into();
        let submitted = form.submit(&c).unwrap();
        assert_eq!(submitted.request, request);
        assert_eq!(submitted.link, ApiLink::of(&request));
        assert_eq!(
            submitted.credentials,
            TypedCredentials::OAuth {
                key: "k".into(),
                secret: "s".into()
            }
        );
    }

    #[test]
    fn an_unlisted_api_is_never_prefilled() {
        let c = config(r#"{"apis": ["eu"], "otherApis": true}"#);
        let request = link_request(&[
            ("api", "https://eu.api.capillarytech.com.look-alike.example"),
            ("entityId", "1"),
        ]);
        let (form, warning) = ConnectForm::for_link(Some(&request), &c);
        assert_eq!(form.api, "eu");
        let warning = warning.expect("a warning");
        assert!(
            warning.contains("https://eu.api.capillarytech.com.look-alike.example"),
            "{warning}"
        );
        assert_eq!(form.value, "1", "the entity is still prefilled");
    }

    #[test]
    fn a_fresh_form_has_the_deployments_defaults_and_refuses_missing_or_disallowed_input() {
        let c =
            config(r#"{"apis": ["/capillary"], "authModes": ["none", "basic"], "pageSize": 200}"#);
        let (mut form, _) = ConnectForm::for_link(None, &c);
        assert_eq!(form.api, "/capillary");
        assert_eq!(form.auth, AuthKind::None);
        let limit = AUDIT_PARAMS.iter().position(|p| p.name == "limit").unwrap();
        assert_eq!(form.params[limit], "200");
        assert!(
            form.submit(&c).unwrap_err().starts_with("entityId"),
            "no entity yet"
        );
        form.value = "42".into();
        assert_eq!(form.submit(&c).unwrap().credentials, TypedCredentials::None);
        form.auth = AuthKind::OAuth;
        assert!(form.submit(&c).unwrap_err().starts_with("auth:"));
        form.auth = AuthKind::Basic;
        assert_eq!(form.submit(&c).unwrap_err(), MISSING_CREDENTIALS);
        form.api = "https://elsewhere.example".into();
        form.username = "u".into();
        form.password = "p".into();
        assert!(form
            .submit(&c)
            .unwrap_err()
            .contains("connects only to /capillary"));
    }

    #[test]
    fn parameter_hooks_are_kebab_case() {
        assert_eq!(param_hook("limit"), "param-limit");
        assert_eq!(param_hook("startDate"), "param-start-date");
        assert_eq!(
            param_hook("includeUserContext"),
            "param-include-user-context"
        );
    }
}
