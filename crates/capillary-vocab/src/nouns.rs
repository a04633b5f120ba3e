//! The small closed nouns: entity type, response generation, auth kind, identifier name and
//! sort order. Each prints one spelling (the API's, or the link's for [`AuthKind`]) and reads
//! it back the one way every noun here is read: surrounding whitespace trimmed and ASCII case
//! ignored, because the values come from URLs, config files and responses typed by people
//! (`card`, ` CARD`, `Card` all name the card).

/// The value among `all` whose spelling is `s`, trimmed and ignoring ASCII case.
pub(crate) fn read<T: Copy>(all: &[T], spelling: fn(T) -> &'static str, s: &str) -> Option<T> {
    let s = s.trim();
    all.iter()
        .copied()
        .find(|v| spelling(*v).eq_ignore_ascii_case(s))
}

/// `entityType`: what an audit trail belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    /// `CUSTOMER`
    Customer,
    /// `CARD`
    Card,
}

impl EntityType {
    /// Both, customer first.
    pub const ALL: [EntityType; 2] = [EntityType::Customer, EntityType::Card];

    /// The API spelling: `CUSTOMER` / `CARD`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityType::Customer => "CUSTOMER",
            EntityType::Card => "CARD",
        }
    }

    /// Reads `CUSTOMER` / `CARD`, trimmed, in any ASCII case (`card`, ` Card `).
    pub fn parse(s: &str) -> Option<EntityType> {
        read(&EntityType::ALL, EntityType::as_str, s)
    }
}

/// Which audit endpoint, and so which response shape: the two generations of the audit API
/// answer the same question with different JSON (`data` with epoch-ms times and `pagination`,
/// or `entity` with ISO times, keys left out instead of null, and other `eventType`
/// spellings, see [`crate::EventType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Generation {
    /// `GET /api_gateway/v2/audits`: `{"data": […], "pagination": {…}}`, epoch-ms times.
    Current,
    /// `GET /v2/auditLog/get`: `{"entity": […], "warnings", "errors", "success"}`, ISO times.
    Legacy,
}

impl Generation {
    /// Both, current first.
    pub const ALL: [Generation; 2] = [Generation::Current, Generation::Legacy];

    /// The endpoint's path below an API base.
    pub const fn path(self) -> &'static str {
        match self {
            Generation::Current => "/api_gateway/v2/audits",
            Generation::Legacy => "/v2/auditLog/get",
        }
    }
}

/// How requests authenticate, without the credentials themselves (those never leave memory,
/// so this is what a link, a config file or a form may say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthKind {
    /// `Authorization: Basic base64(user:md5(password))`, the API's own default.
    #[default]
    Basic,
    /// A token from `POST /v3/oauth/token/generate`, sent as `X-CAP-API-OAUTH-TOKEN`.
    OAuth,
    /// No credentials: a same-origin proxy adds them (or a simulator checks none).
    None,
}

impl AuthKind {
    /// Every kind, in the order a connection form offers them.
    pub const ALL: [AuthKind; 3] = [AuthKind::Basic, AuthKind::OAuth, AuthKind::None];

    /// The spelling in links and `config.json`: `basic`, `oauth`, `none`.
    pub const fn key(self) -> &'static str {
        match self {
            AuthKind::Basic => "basic",
            AuthKind::OAuth => "oauth",
            AuthKind::None => "none",
        }
    }

    /// Reads `basic` / `oauth` / `none`, trimmed, in any ASCII case.
    pub fn parse(s: &str) -> Option<AuthKind> {
        read(&AuthKind::ALL, AuthKind::key, s)
    }
}

/// `identifierName` of the customer lookup (`/v2/customers/lookup/customerDetails`): the
/// identifiers a customer can be found by. The same names are the `updatedField` of
/// `Identifiers` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierName {
    /// `mobile`
    Mobile,
    /// `email`
    Email,
    /// `externalId`
    ExternalId,
    /// `cardnumber` (all lowercase, as the API spells it)
    CardNumber,
}

impl IdentifierName {
    /// Every identifier, in the documented order.
    pub const ALL: [IdentifierName; 4] = [
        IdentifierName::Mobile,
        IdentifierName::Email,
        IdentifierName::ExternalId,
        IdentifierName::CardNumber,
    ];

    /// The API spelling: `mobile`, `email`, `externalId`, `cardnumber`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentifierName::Mobile => "mobile",
            IdentifierName::Email => "email",
            IdentifierName::ExternalId => "externalId",
            IdentifierName::CardNumber => "cardnumber",
        }
    }

    /// Reads an identifier name, trimmed, in any ASCII case (`externalid`, `CardNumber`).
    pub fn parse(s: &str) -> Option<IdentifierName> {
        read(&IdentifierName::ALL, IdentifierName::as_str, s)
    }
}

/// `sortOrder` of the audit endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SortOrder {
    /// `ASC`: oldest first.
    Asc,
    /// `DESC`: newest first.
    Desc,
}

impl SortOrder {
    /// Both, ascending first.
    pub const ALL: [SortOrder; 2] = [SortOrder::Asc, SortOrder::Desc];

    /// The API spelling: `ASC` / `DESC`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }

    /// Reads `ASC` / `DESC`, trimmed, in any ASCII case.
    pub fn parse(s: &str) -> Option<SortOrder> {
        read(&SortOrder::ALL, SortOrder::as_str, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value prints its spelling and reads back from it, whatever the case or the
    /// surrounding blanks; the spellings are distinct; near misses read as nothing.
    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        spelling: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
        expected: &[&str],
    ) {
        let spelled: Vec<&str> = all.iter().map(|v| spelling(*v)).collect();
        assert_eq!(spelled, expected);
        for &v in all {
            let s = spelling(v);
            for variant in [
                s.to_owned(),
                s.to_ascii_lowercase(),
                s.to_ascii_uppercase(),
                format!("  {s}\t"),
            ] {
                assert_eq!(parse(&variant), Some(v), "{variant:?}");
            }
            assert_eq!(parse(&format!("{s}x")), None);
            assert_eq!(parse(&s[1..]), None);
            assert_eq!(parse(&format!("{} {}", &s[..1], &s[1..])), None);
        }
        for bad in ["", " ", "*", "\u{0}"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn entity_types_print_and_parse() {
        round_trips(
            &EntityType::ALL,
            EntityType::as_str,
            EntityType::parse,
            &["CUSTOMER", "CARD"],
        );
    }

    #[test]
    fn auth_kinds_print_and_parse() {
        round_trips(
            &AuthKind::ALL,
            AuthKind::key,
            AuthKind::parse,
            &["basic", "oauth", "none"],
        );
        assert_eq!(AuthKind::default(), AuthKind::Basic);
        assert_eq!(AuthKind::parse("kerberos"), None);
    }

    #[test]
    fn identifier_names_print_and_parse() {
        round_trips(
            &IdentifierName::ALL,
            IdentifierName::as_str,
            IdentifierName::parse,
            &["mobile", "email", "externalId", "cardnumber"],
        );
        assert_eq!(
            IdentifierName::parse("card_number"),
            None,
            "spelled as the API does"
        );
    }

    #[test]
    fn sort_orders_print_and_parse() {
        round_trips(
            &SortOrder::ALL,
            SortOrder::as_str,
            SortOrder::parse,
            &["ASC", "DESC"],
        );
        assert_eq!(SortOrder::parse("ascending"), None);
    }

    #[test]
    fn generations_name_their_endpoints() {
        let paths: Vec<&str> = Generation::ALL.iter().map(|g| g.path()).collect();
        assert_eq!(paths, ["/api_gateway/v2/audits", "/v2/auditLog/get"]);
    }
}
