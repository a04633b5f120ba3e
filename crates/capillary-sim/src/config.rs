//! Simulator configuration: defaults, the JSON config file, command-line flags.

use audit_gen::{
    CustomerConfig, WorldConfig, DEMO_CARD_RECORDS, DEMO_CUSTOMER_ID, DEMO_CUSTOMER_RECORDS,
    DEMO_SEED,
};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Whether API requests must carry credentials. This is the server's policy, not a kind of
/// credential: `required` accepts either kind the real API does
/// ([`capillary_vocab::AuthKind::Basic`], [`capillary_vocab::AuthKind::OAuth`]), `none` lets
/// every request in as [`capillary_vocab::AuthKind::None`], like a proxy that adds the
/// credentials itself.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Basic or OAuth credentials required (default).
    #[default]
    Required,
    /// No credentials checked (rate limits then apply to one shared bucket).
    None,
}

/// A Basic-auth user. The client sends `base64(username:md5hex(password))`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct User {
    /// Username.
    pub username: String,
    /// Plain password (the simulator MD5s it to compare).
    pub password: String,
}

/// An OAuth client: `POST /v3/oauth/token/generate` with `{"key","secret"}`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct OAuthClient {
    /// Client key.
    pub key: String,
    /// Client secret.
    pub secret: String,
}

/// One generated customer (see [`audit_gen::CustomerConfig`]).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustomerSize {
    /// Entity id (default: `FIRST_CUSTOMER_ID + position`).
    #[serde(default)]
    pub id: Option<i64>,
    /// Audit records of the customer.
    pub records: u64,
    /// Record counts of its cards (each at least 2).
    #[serde(default)]
    pub cards: Vec<u64>,
    /// Whether a duplicate account is merged into it.
    #[serde(default)]
    pub merge: bool,
}

/// Everything the simulator can be told. Deserialised from the JSON config
/// file (every field optional); flags override it. `Config::default()` is
/// what tests usually start from (ephemeral port on 127.0.0.1).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to bind. Default `127.0.0.1`: the simulator is a local tool.
    pub host: IpAddr,
    /// Port; 0 picks a free one (library default). The binary defaults to 9000.
    pub port: u16,
    /// `required` (default) or `none`.
    pub auth: AuthMode,
    /// Basic-auth users. Default: `demo` / `demo123`.
    pub users: Vec<User>,
    /// OAuth clients. Default: key `demo-key`, secret `demo-secret`.
    pub oauth_clients: Vec<OAuthClient>,
    /// OAuth token lifetime in seconds (default 300, as documented).
    pub token_ttl_secs: u64,
    /// Largest accepted `limit` (default 1000; the real maximum is unconfirmed).
    pub max_limit: u64,
    /// Origins allowed by CORS (`*` = any). Empty (default): no CORS headers
    /// at all, like a cluster that blocks browsers.
    pub cors_origins: Vec<String>,
    /// Requests per minute per credential; `None` (default) = unlimited.
    pub rate_limit_per_minute: Option<u32>,
    /// Per-run fault rules (see [`crate::fault`] for the syntax).
    pub faults: Vec<String>,
    /// Honour the per-request `X-Sim-Fault` header (default true).
    pub fault_header: bool,
    /// Generator seed.
    pub seed: u64,
    /// `orgId` of generated records.
    pub org_id: i64,
    /// First generated record date (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC).
    pub start_date: String,
    /// Last generated record date.
    pub end_date: String,
    /// Customers to generate (their cards come with them). Default: the
    /// built-in demo customer (same bytes as `audit_gen::demo()`), a small
    /// 12-record customer with a card, and a 5000-record customer.
    pub customers: Vec<CustomerSize>,
    /// Dataset files of saved API responses to serve as well (see
    /// [`crate::dataset`]). An entity present in both wins from the file.
    pub datasets: Vec<PathBuf>,
    /// Serve this built `dist/` directory (the explorer) from the same origin.
    pub dist: Option<PathBuf>,
    /// Path prefix for `dist` (default `/`), e.g. `/tools/audit/`.
    pub dist_prefix: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            auth: AuthMode::Required,
            users: vec![User {
                username: "demo".into(),
                password: "demo123".into(),
            }],
            oauth_clients: vec![OAuthClient {
                key: "demo-key".into(),
                secret: "demo-secret".into(),
            }],
            token_ttl_secs: 300,
            max_limit: 1000,
            cors_origins: Vec::new(),
            rate_limit_per_minute: None,
            faults: Vec::new(),
            fault_header: true,
            seed: DEMO_SEED,
            org_id: audit_gen::DEFAULT_ORG_ID,
            start_date: "2023-01-01".into(),
            end_date: "2025-01-01".into(),
            customers: vec![
                CustomerSize {
                    id: Some(DEMO_CUSTOMER_ID),
                    records: DEMO_CUSTOMER_RECORDS,
                    cards: vec![DEMO_CARD_RECORDS],
                    merge: true,
                },
                CustomerSize {
                    id: None,
                    records: 12,
                    cards: vec![3],
                    merge: false,
                },
                CustomerSize {
                    id: None,
                    records: 5000,
                    cards: vec![],
                    merge: true,
                },
            ],
            datasets: Vec::new(),
            dist: None,
            dist_prefix: "/".into(),
        }
    }
}

/// Flag help, printed by `--help`.
pub const USAGE: &str = "\
capillary-sim: a local simulator of Capillary's audit, status-log, lookup and OAuth APIs

USAGE: capillary-sim [FLAGS]

  --config FILE          JSON config file (flags below override it)
  --host IP              bind address (default 127.0.0.1)
  --port N               port (default 9000; 0 = any free port)
  --seed N               generator seed (default 2024)
  --customer SPEC        a generated customer; repeatable, replaces the defaults.
                         SPEC = RECORDS[,card=N]...[,merge][,id=N], e.g. 1000000 or 240,card=6,merge
  --start-date D         first generated record (default 2023-01-01)
  --end-date D           last generated record (default 2025-01-01)
  --dataset FILE         serve saved API responses from FILE (repeatable)
  --no-generate          serve only --dataset files
  --no-auth              accept requests without credentials
  --user NAME:PASSWORD   Basic-auth user (repeatable, replaces demo:demo123)
  --oauth KEY:SECRET     OAuth client (repeatable, replaces demo-key:demo-secret)
  --token-ttl SECS       OAuth token lifetime (default 300)
  --max-limit N          largest accepted limit (default 1000)
  --cors ORIGIN          allow ORIGIN via CORS (repeatable; * = any). Default: no CORS headers
  --rate-limit N         requests per minute per credential (default unlimited)
  --fault RULE           per-run fault, e.g. status=500,every=5 (repeatable; see README)
  --no-fault-header      ignore X-Sim-Fault request headers
  --dist DIR             also serve a built dist/ directory
  --dist-prefix PATH     serve it under PATH (default /), e.g. /tools/audit/
  --help                 this text
";

impl Config {
    /// Parses command-line flags (without the program name). A `--config`
    /// file is read first wherever it appears; the other flags override it.
    /// Unlike [`Config::default`], the port defaults to 9000 here.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        let args: Vec<String> = args.into_iter().collect();
        let mut cfg = Config {
            port: 9000,
            ..Config::default()
        };
        if let Some(i) = args.iter().position(|a| a == "--config") {
            let path = args.get(i + 1).ok_or("--config needs a file")?;
            cfg = Config::from_file(path)?;
            if !file_sets_port(path) {
                cfg.port = 9000;
            }
        }
        let mut customers_reset = false;
        let mut users_reset = false;
        let mut oauth_reset = false;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--config" => {
                    value()?;
                }
                "--host" => cfg.host = value()?.parse().map_err(|e| format!("--host: {e}"))?,
                "--port" => cfg.port = parse_num(flag, &value()?)?,
                "--seed" => cfg.seed = parse_num(flag, &value()?)?,
                "--customer" => {
                    let c = parse_customer(&value()?)?;
                    if !customers_reset {
                        cfg.customers.clear();
                        customers_reset = true;
                    }
                    cfg.customers.push(c);
                }
                "--start-date" => cfg.start_date = value()?,
                "--end-date" => cfg.end_date = value()?,
                "--dataset" => cfg.datasets.push(value()?.into()),
                "--no-generate" => cfg.customers.clear(),
                "--no-auth" => cfg.auth = AuthMode::None,
                "--user" => {
                    let v = value()?;
                    let (u, p) = v.split_once(':').ok_or("--user wants NAME:PASSWORD")?;
                    if !users_reset {
                        cfg.users.clear();
                        users_reset = true;
                    }
                    cfg.users.push(User {
                        username: u.into(),
                        password: p.into(),
                    });
                }
                "--oauth" => {
                    let v = value()?;
                    let (k, s) = v.split_once(':').ok_or("--oauth wants KEY:SECRET")?;
                    if !oauth_reset {
                        cfg.oauth_clients.clear();
                        oauth_reset = true;
                    }
                    cfg.oauth_clients.push(OAuthClient {
                        key: k.into(),
                        secret: s.into(),
                    });
                }
                "--token-ttl" => cfg.token_ttl_secs = parse_num(flag, &value()?)?,
                "--max-limit" => cfg.max_limit = parse_num(flag, &value()?)?,
                "--cors" => cfg.cors_origins.push(value()?),
                "--rate-limit" => cfg.rate_limit_per_minute = Some(parse_num(flag, &value()?)?),
                "--fault" => cfg.faults.push(value()?),
                "--no-fault-header" => cfg.fault_header = false,
                "--dist" => cfg.dist = Some(value()?.into()),
                "--dist-prefix" => cfg.dist_prefix = value()?,
                other => return Err(format!("unknown flag {other}; see --help")),
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a JSON config file (all fields optional, unknown ones rejected).
    pub fn from_file(path: &str) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let cfg: Config = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks values that would otherwise fail later, with a clear message.
    pub fn validate(&self) -> Result<(), String> {
        self.span()?;
        if self.max_limit == 0 {
            return Err("max_limit must be at least 1".into());
        }
        if self.rate_limit_per_minute == Some(0) {
            return Err("rate_limit_per_minute must be at least 1".into());
        }
        for f in &self.faults {
            crate::fault::FaultRule::parse(f)?;
        }
        if !self.dist_prefix.starts_with('/') {
            return Err("dist_prefix must start with /".into());
        }
        Ok(())
    }

    fn span(&self) -> Result<(i64, i64), String> {
        let start = audit_gen::time::parse_query_date(&self.start_date)
            .ok_or_else(|| format!("bad start_date {:?}", self.start_date))?;
        let end = audit_gen::time::parse_query_date(&self.end_date)
            .ok_or_else(|| format!("bad end_date {:?}", self.end_date))?;
        if end <= start {
            return Err("end_date must be after start_date".into());
        }
        Ok((start, end))
    }

    /// The generator's world for this config.
    pub fn world_config(&self) -> Result<WorldConfig, String> {
        let (start_ms, end_ms) = self.span()?;
        Ok(WorldConfig {
            seed: self.seed,
            org_id: self.org_id,
            start_ms,
            end_ms,
            customers: self
                .customers
                .iter()
                .map(|c| CustomerConfig {
                    id: c.id,
                    records: c.records,
                    cards: c.cards.clone(),
                    merge: c.merge,
                })
                .collect(),
        })
    }
}

fn file_sets_port(path: &str) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("port").is_some())
}

fn parse_num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| format!("{flag} {v:?}: {e}"))
}

/// `RECORDS[,card=N]...[,merge][,id=N]`
fn parse_customer(spec: &str) -> Result<CustomerSize, String> {
    let mut parts = spec.split(',');
    let records = parse_num("--customer", parts.next().unwrap_or_default())?;
    let mut c = CustomerSize {
        id: None,
        records,
        cards: Vec::new(),
        merge: false,
    };
    for p in parts {
        match p.split_once('=') {
            Some(("card", n)) => c.cards.push(parse_num("--customer card", n)?),
            Some(("id", n)) => c.id = Some(parse_num("--customer id", n)?),
            None if p == "merge" => c.merge = true,
            _ => return Err(format!("--customer: unknown part {p:?}")),
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_override_defaults() {
        let c = Config::from_args(args(
            "--port 0 --customer 1000000 --customer 240,card=6,card=2,merge,id=7 --no-auth --cors * --rate-limit 5 --fault status=500,every=3",
        ))
        .unwrap();
        assert_eq!(c.port, 0);
        assert_eq!(c.customers.len(), 2);
        assert_eq!(c.customers[1].cards, vec![6, 2]);
        assert_eq!(c.customers[1].id, Some(7));
        assert!(c.customers[1].merge);
        assert_eq!(c.auth, AuthMode::None);
        assert_eq!(c.cors_origins, vec!["*"]);
        assert_eq!(c.rate_limit_per_minute, Some(5));
        assert_eq!(Config::from_args(vec![]).unwrap().port, 9000);
    }

    #[test]
    fn bad_flags_are_reported() {
        for bad in [
            "--port",
            "--port x",
            "--customer 5,cards=2",
            "--bogus",
            "--user nopassword",
            "--fault explode=1",
            "--start-date 2025-01-01",
            "--rate-limit 0",
        ] {
            assert!(Config::from_args(args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_world_contains_the_demo_customer() {
        let w = audit_gen::World::new(Config::default().world_config().unwrap());
        assert_eq!(w.entities()[0].entity_id, DEMO_CUSTOMER_ID);
        assert_eq!(
            w.config().customers[0],
            audit_gen::demo_config().customers[0]
        );
    }
}
