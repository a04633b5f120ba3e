//! The live-API part of the URL: which API, which entity, and every audit parameter. Pure (pairs
//! in, typed request out) so links are validated natively; credentials are never part of it.

use capillary_client::{
    ApiBase, AuditParams, EntityType, Generation, IdentifierName, ParamError, ReferenceType,
    SortOrder,
};

/// URL keys this module owns.
pub const API_KEYS: [&str; 16] = [
    "api",
    "auth",
    "entityType",
    "entityId",
    "idName",
    "idValue",
    "source",
    "limit",
    "sortBy",
    "sortOrder",
    "startDate",
    "endDate",
    "referenceType",
    "referenceValue",
    "includeUserContext",
    "legacy",
];

/// How requests authenticate (the vocabulary's kind). The secrets themselves live in memory only.
pub use capillary_vocab::AuthKind;

/// Who to open: an entity id, or an identifier to look the customer up by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Entity(EntityType, i64),
    Identifier(IdentifierName, String),
}

/// A fully read live-API request from the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiQuery {
    /// As typed: a cluster id (`eu`), a base URL, or a proxy path (`/capillary`).
    pub api: String,
    pub base: ApiBase,
    pub auth: AuthKind,
    pub target: Target,
    /// Audit parameters; the entity in them is a placeholder until a lookup resolves it.
    pub params: AuditParams,
    pub generation: Generation,
}

/// Why a link's API part cannot be used, naming the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub param: &'static str,
    pub message: String,
}

impl From<ParamError> for LinkError {
    fn from(e: ParamError) -> LinkError {
        LinkError {
            param: "params",
            message: e.to_string(),
        }
    }
}

impl ApiQuery {
    /// `None` when the URL names no API (the demo or files are shown); an error when it does but
    /// something in it is unusable.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Result<ApiQuery, LinkError>> {
        ApiQuery::from_pairs_or(pairs, None)
    }

    /// [`ApiQuery::from_pairs`] where a link that names an entity but no `api`
    /// (`?entityType=CUSTOMER&entityId=…`, as a host page links) uses `default_api`: the API an
    /// embedding host supplied, or the first one config.json offers.
    pub fn from_pairs_or<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        default_api: Option<&str>,
    ) -> Option<Result<ApiQuery, LinkError>> {
        let map: Vec<(&str, &str)> = pairs.into_iter().collect();
        let get = |k: &str| {
            map.iter()
                .rev()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let names_entity = get("entityId").is_some() || get("idName").is_some();
        let api = match (get("api"), default_api) {
            (Some(api), _) => api,
            (None, Some(api)) if names_entity => api,
            (None, None) if names_entity => {
                return Some(Err(LinkError {
                    param: "api",
                    message: "the link names an entity but no API (add `api=` with a cluster, URL or proxy path)".into(),
                }))
            }
            (None, _) => return None,
        };
        Some(Self::read(api, &get))
    }

    fn read<'a>(api: &str, get: &impl Fn(&str) -> Option<&'a str>) -> Result<ApiQuery, LinkError> {
        let err = |param: &'static str, message: String| LinkError { param, message };
        let base = ApiBase::parse(api).map_err(|e| err("api", e.to_string()))?;
        let entity_type = match get("entityType") {
            Some(t) => EntityType::parse(t)
                .ok_or_else(|| err("entityType", format!("`{t}` is not CUSTOMER or CARD")))?,
            None => EntityType::Customer,
        };
        let target = match (get("entityId"), get("idName"), get("idValue")) {
            (Some(id), _, _) => {
                let id: i64 = id
                    .parse()
                    .map_err(|_| err("entityId", format!("`{id}` is not a number")))?;
                Target::Entity(entity_type, id)
            }
            (None, Some(name), Some(value)) => {
                let name = IdentifierName::parse(name).ok_or_else(|| {
                    err(
                        "idName",
                        format!("`{name}` is not mobile, email, externalId or cardnumber"),
                    )
                })?;
                Target::Identifier(name, value.to_owned())
            }
            _ => {
                return Err(err(
                    "entityId",
                    "the link names no entity id or identifier".into(),
                ))
            }
        };
        let id = match &target {
            Target::Entity(_, id) => *id,
            Target::Identifier(..) => 1,
        };
        let mut params = AuditParams::new(entity_type, id);
        params.source = get("source").map(str::to_owned);
        params.limit = match get("limit") {
            Some(l) => Some(
                l.parse()
                    .map_err(|_| err("limit", format!("`{l}` is not a number")))?,
            ),
            None => None,
        };
        params.sort_by = get("sortBy").map(str::to_owned);
        params.sort_order = match get("sortOrder") {
            Some(o) => Some(
                SortOrder::parse(o)
                    .ok_or_else(|| err("sortOrder", format!("`{o}` is not ASC or DESC")))?,
            ),
            None => None,
        };
        params.start_date = get("startDate").map(str::to_owned);
        params.end_date = get("endDate").map(str::to_owned);
        params.reference_type = match get("referenceType") {
            Some(r) => Some(ReferenceType::parse(r).ok_or_else(|| {
                err(
                    "referenceType",
                    format!("`{r}` is not a documented reference type"),
                )
            })?),
            None => None,
        };
        params.reference_value = get("referenceValue").map(str::to_owned);
        params.include_user_context = get("includeUserContext").map(|v| v == "true");
        params.validate()?;
        let generation = if get("legacy") == Some("1") {
            Generation::Legacy
        } else {
            Generation::Current
        };
        Ok(ApiQuery {
            api: api.to_owned(),
            base,
            auth: get("auth").and_then(AuthKind::parse).unwrap_or_default(),
            target,
            params,
            generation,
        })
    }

    /// The URL pairs for this request (defaults omitted).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("api", self.api.clone())];
        if self.auth != AuthKind::Basic {
            out.push(("auth", self.auth.key().to_owned()));
        }
        match &self.target {
            Target::Entity(t, id) => {
                out.push(("entityType", t.as_str().to_owned()));
                out.push(("entityId", id.to_string()));
            }
            Target::Identifier(name, value) => {
                if self.params.entity_type == EntityType::Card {
                    out.push(("entityType", "CARD".into()));
                }
                out.push(("idName", name.as_str().to_owned()));
                out.push(("idValue", value.clone()));
            }
        }
        let p = &self.params;
        let opt = |k: &'static str, v: &Option<String>| v.as_ref().map(|v| (k, v.clone()));
        out.extend(opt("source", &p.source));
        out.extend(p.limit.map(|l| ("limit", l.to_string())));
        out.extend(opt("sortBy", &p.sort_by));
        out.extend(p.sort_order.map(|o| ("sortOrder", o.as_str().to_owned())));
        out.extend(opt("startDate", &p.start_date));
        out.extend(opt("endDate", &p.end_date));
        out.extend(
            p.reference_type
                .map(|r| ("referenceType", r.as_str().to_owned())),
        );
        out.extend(opt("referenceValue", &p.reference_value));
        out.extend(
            p.include_user_context
                .map(|b| ("includeUserContext", b.to_string())),
        );
        if self.generation == Generation::Legacy {
            out.push(("legacy", "1".into()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `q` as URL pairs and reads it back, as a reload does.
    fn round_trip(q: &ApiQuery) -> ApiQuery {
        let pairs = q.to_pairs();
        ApiQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .expect("an API request")
            .expect("a valid one")
    }

    fn read(q: &[(&str, &str)]) -> Option<Result<ApiQuery, LinkError>> {
        ApiQuery::from_pairs(q.iter().copied())
    }

    #[test]
    fn no_api_key_means_no_live_source() {
        assert!(read(&[("q", "x"), ("view", "status")]).is_none());
        assert!(ApiQuery::from_pairs_or([("q", "x")], Some("eu")).is_none());
    }

    #[test]
    fn an_entity_link_without_api_uses_the_deployment_default() {
        let link = [("entityType", "CUSTOMER"), ("entityId", "5")];
        let q = ApiQuery::from_pairs_or(link, Some("/capillary"))
            .unwrap()
            .unwrap();
        assert_eq!(q.api, "/capillary");
        assert_eq!(q.target, Target::Entity(EntityType::Customer, 5));
        let e = read(&link).unwrap().unwrap_err();
        assert_eq!(
            e.param, "api",
            "no default: the link is refused, not ignored"
        );
    }

    #[test]
    fn reads_every_parameter_and_writes_it_back() {
        let pairs = [
            ("api", "eu"),
            ("auth", "oauth"),
            ("entityType", "CARD"),
            ("entityId", "648089"),
            ("source", "INSTORE"),
            ("limit", "50"),
            ("sortBy", "autoUpdateTime"),
            ("sortOrder", "ASC"),
            ("startDate", "2023-01-01"),
            ("endDate", "2023-12-31 23:59:59"),
            ("referenceType", "CardStatus"),
            ("referenceValue", "CardStatus"),
            ("includeUserContext", "true"),
            ("legacy", "1"),
        ];
        let q = read(&pairs).unwrap().unwrap();
        assert_eq!(q.target, Target::Entity(EntityType::Card, 648089));
        assert_eq!(q.auth, AuthKind::OAuth);
        assert_eq!(q.generation, Generation::Legacy);
        assert_eq!(q.params.limit, Some(50));
        assert_eq!(q.params.sort_order, Some(SortOrder::Asc));
        assert_eq!(round_trip(&q), q);
    }

    #[test]
    fn a_card_by_number_keeps_its_entity_type() {
        let q = read(&[
            ("api", "eu"),
            ("entityType", "CARD"),
            ("idName", "cardnumber"),
            ("idValue", "DIWALI1"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(q.params.entity_type, EntityType::Card);
        assert_eq!(round_trip(&q), q);
    }

    #[test]
    fn identifier_links_need_a_lookup() {
        let q = read(&[
            ("api", "/capillary"),
            ("idName", "mobile"),
            ("idValue", "9988776655"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            q.target,
            Target::Identifier(IdentifierName::Mobile, "9988776655".into())
        );
    }

    #[test]
    fn bad_links_name_the_parameter() {
        let e = read(&[("api", "eu"), ("entityId", "12ab")])
            .unwrap()
            .unwrap_err();
        assert_eq!(e.param, "entityId");
        let e = read(&[("api", "eu")]).unwrap().unwrap_err();
        assert_eq!(e.param, "entityId");
        let e = read(&[("api", "eu"), ("entityId", "1"), ("sortOrder", "sideways")])
            .unwrap()
            .unwrap_err();
        assert_eq!(e.param, "sortOrder");
        let e = read(&[("api", "eu"), ("entityId", "1"), ("startDate", "yesterday")])
            .unwrap()
            .unwrap_err();
        assert!(e.message.contains("startDate"), "{}", e.message);
    }
}
