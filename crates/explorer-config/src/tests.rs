use super::*;

fn read_ok(text: &str) -> Config {
    let loaded = Config::read(text);
    assert_eq!(loaded.error, None, "{text}");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    loaded.config
}

fn origin(s: &str) -> Origin {
    Origin::parse(s).unwrap()
}

const SHIPPED: &str = include_str!("../../../deploy/config.json");

#[test]
fn the_shipped_config_reads_without_a_word() {
    let c = read_ok(SHIPPED);
    assert!(
        c.allowed_parent_origins.is_empty(),
        "nobody may embed by default"
    );
    assert!(!c.embed);
    assert!(!c.other_apis, "only the listed APIs");
    // Every documented cluster: the presets, and the intouch host the API docs also show.
    let mut documented: Vec<ApiBase> = Cluster::ALL.map(ApiBase::cluster).to_vec();
    documented.push(ApiBase::parse("apac.api.intouch.capillarytech.com").unwrap());
    let shipped: Vec<ApiBase> = c.apis.iter().map(|a| a.base.clone()).collect();
    assert_eq!(shipped, documented);
}

/// The value of `header` in a `_headers` file, or of `set $name "…";` in an nginx file.
fn line_value<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(start)?.strip_suffix(end))
        .unwrap_or_else(|| panic!("no {start}…{end} line"))
}

#[test]
fn the_shipped_headers_carry_the_csp_of_the_shipped_config() {
    let headers = include_str!("../../../deploy/_headers");
    assert_eq!(
        line_value(headers, "Content-Security-Policy: ", ""),
        read_ok(SHIPPED).content_security_policy()
    );
}

#[test]
fn the_nginx_example_carries_the_csp_of_the_config_it_describes() {
    let nginx = include_str!("../../../deploy/nginx.conf");
    let described = r#"{"proxyPath": "/capillary", "apis": [], "otherApis": false,
        "allowedParentOrigins": ["https://admin.example.com"]}"#;
    assert!(nginx.contains(r#""proxyPath": "/capillary", "apis": [], "otherApis": false"#));
    assert_eq!(
        line_value(nginx, "set $csp \"", "\";"),
        read_ok(described).content_security_policy()
    );
}

#[test]
fn a_full_config_is_read() {
    let c = read_ok(
        r#"{
          "apis": ["eu", {"api": "https://crm.example.com/api/", "label": "Our gateway"}],
          "proxyPath": "/capillary",
          "otherApis": false,
          "authModes": ["oauth", "none"],
          "timeZone": "Asia/Kolkata",
          "pageSize": 200,
          "rateLimit": 100,
          "embed": true,
          "allowedParentOrigins": ["https://admin.example.com", "http://127.0.0.1:8001/"],
          "theme": "dark"
        }"#,
    );
    let apis: Vec<&str> = c.apis.iter().map(|a| a.api.as_str()).collect();
    assert_eq!(apis, ["/capillary", "eu", "https://crm.example.com/api/"]);
    assert_eq!(c.apis[2].label, "Our gateway");
    assert_eq!(c.default_api(), Some("/capillary"));
    assert!(!c.other_apis);
    assert_eq!(c.auth_modes, [AuthKind::OAuth, AuthKind::None]);
    assert_eq!(c.time_zone.as_deref(), Some("Asia/Kolkata"));
    assert_eq!(c.page_size, 200);
    assert_eq!(c.rate_limit, Some(RateLimit::per_minute(100)));
    assert!(c.embed);
    assert_eq!(
        c.allowed_parent_origins,
        [
            origin("https://admin.example.com"),
            origin("http://127.0.0.1:8001")
        ]
    );
    assert!(c.allows_parent("http://127.0.0.1:8001"));
    assert!(!c.allows_parent("http://127.0.0.1:8002"));
    assert!(!c.allows_parent("null"));
    assert_eq!(c.theme, Theme::Dark);
}

#[test]
fn invalid_json_gives_defaults_and_one_clear_error() {
    for text in ["", "{", "{\"apis\": [}", "[1, 2]", "\"eu\""] {
        let loaded = Config::read(text);
        assert_eq!(loaded.config, Config::default(), "{text}");
        let error = loaded.error.expect(text);
        assert!(error.contains("config.json"), "{error}");
        assert!(error.contains("safe defaults"), "{error}");
    }
    let e = Config::read("{\n  \"embed\": [1,,2]\n}").error.unwrap();
    assert!(e.contains("line 2"), "says where: {e}");
}

#[test]
fn bad_values_fall_back_per_key_and_are_named() {
    let loaded = Config::read(
        r#"{
          "apis": ["eu", 42, "not a host", {"label": "x"}],
          "authModes": ["saml"],
          "pageSize": 0,
          "rateLimit": "100/min",
          "embed": "yes",
          "allowedParentOrigins": ["*", "https://admin.example.com/portal", "https://ok.example.com", 7],
          "theme": "purple",
          "timezone": "UTC"
        }"#,
    );
    assert_eq!(loaded.error, None);
    let c = &loaded.config;
    assert_eq!(c.apis.len(), 1, "the usable entry is kept");
    assert_eq!(c.auth_modes, AUTH_MODES);
    assert_eq!(c.page_size, DEFAULT_PAGE_SIZE);
    assert_eq!(c.rate_limit, None);
    assert!(!c.embed);
    assert_eq!(c.allowed_parent_origins, [origin("https://ok.example.com")]);
    assert_eq!(c.theme, Theme::Auto);
    let all = loaded.warnings.join("\n");
    for needle in [
        "`apis`",
        "`authModes`",
        "saml",
        "`pageSize`",
        "`rateLimit`: expected a whole number of requests per minute",
        "`embed`",
        "`*` would let any site",
        "did you mean `https://admin.example.com`",
        "`theme`",
        "`timezone`",
    ] {
        assert!(all.contains(needle), "{needle} missing from:\n{all}");
    }
}

#[test]
fn api_allow_list() {
    let any = ApiBase::parse("https://crm.example.com").unwrap();
    assert!(
        !Config::default().allows_api(&any),
        "closed unless a deployment opens it"
    );
    let open = read_ok(r#"{"otherApis": true}"#);
    assert!(open.allows_api(&any));
    let closed = read_ok(r#"{"apis": ["eu", "/capillary"], "otherApis": false}"#);
    assert!(closed.allows_api(&ApiBase::parse("eu").unwrap()));
    assert!(closed.allows_api(&ApiBase::parse("/capillary/").unwrap()));
    assert!(!closed.allows_api(&any));
    assert!(!closed.allows_api(&ApiBase::parse("us").unwrap()));
}

#[test]
fn csp_allows_no_inline_script_and_only_the_configured_hosts() {
    let c = read_ok(
        r#"{"apis": ["eu", "http://127.0.0.1:9000", "/capillary"], "otherApis": false,
            "allowedParentOrigins": ["https://admin.example.com"]}"#,
    );
    let csp = c.content_security_policy();
    let directive = |name: &str| {
        csp.split("; ")
            .find_map(|d| d.strip_prefix(name).map(str::trim))
            .unwrap_or_else(|| panic!("{name} in {csp}"))
            .to_owned()
    };
    assert_eq!(directive("script-src"), "'self' 'wasm-unsafe-eval'");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(directive("default-src"), "'none'");
    assert_eq!(
        directive("connect-src"),
        "'self' https://eu.api.capillarytech.com http://127.0.0.1:9000"
    );
    assert_eq!(directive("frame-ancestors"), "https://admin.example.com");
    assert_eq!(directive("worker-src"), "'self'");
    let default = Config::default().content_security_policy();
    assert!(default.contains("frame-ancestors 'none'"), "{default}");
    let open = read_ok(r#"{"otherApis": true}"#).content_security_policy();
    assert!(open.contains(" https:;"), "other APIs allowed: {open}");
}

#[test]
fn the_default_csp_connects_to_the_documented_clusters_only() {
    let csp = Config::default().content_security_policy();
    let connect = csp
        .split("; ")
        .find_map(|d| d.strip_prefix("connect-src "))
        .unwrap();
    let hosts: Vec<String> = Cluster::ALL
        .iter()
        .map(|c| format!("https://{}", c.host()))
        .collect();
    assert_eq!(connect, format!("'self' {}", hosts.join(" ")));
    assert!(!connect.split(' ').any(|s| s == "https:"), "{csp}");
    assert!(
        csp.contains("; worker-src 'self'; "),
        "a later change runs the engine in a worker: {csp}"
    );
}

#[test]
fn the_defaults_and_the_fallback_are_the_safe_config_and_say_so() {
    let c = Config::default();
    assert!(
        !c.other_apis,
        "only the listed APIs unless a deployment says otherwise"
    );
    let ids: Vec<&str> = c.apis.iter().map(|a| a.api.as_str()).collect();
    assert_eq!(ids, Cluster::ALL.map(Cluster::id));
    assert!(!c.embed && c.allowed_parent_origins.is_empty());

    let fallback = Loaded::fallback("was not found beside index.html (HTTP 404)");
    assert_eq!(fallback.config, Config::default());
    assert!(fallback.warnings.is_empty());
    assert_eq!(
        fallback.error.as_deref(),
        Some("config.json was not found beside index.html (HTTP 404); using safe defaults: the documented Capillary clusters only, no other APIs, no embedding.")
    );
    // An unreadable file reads as the same fallback.
    let broken = Config::read("{");
    assert_eq!(broken.config, Config::default());
    assert!(
        broken
            .error
            .unwrap()
            .ends_with("; using safe defaults: the documented Capillary clusters only, no other APIs, no embedding.")
    );
}

#[test]
fn a_link_cannot_steer_credentials_to_an_api_the_deployment_does_not_list() {
    for other_apis in [true, false] {
        let c = read_ok(&format!(
            r#"{{"apis": ["eu", {{"api": "https://crm.example.com/api", "label": "Gateway"}}],
                "proxyPath": "/capillary", "otherApis": {other_apis}}}"#
        ));
        let named = |api: &str| c.linked_api(&ApiBase::parse(api).unwrap());
        for (api, listed_as) in [
            ("eu", "eu"),
            ("https://eu.api.capillarytech.com/", "eu"),
            ("/capillary/", "/capillary"),
            ("HTTPS://CRM.example.com/api", "https://crm.example.com/api"),
        ] {
            match named(api) {
                LinkedApi::Listed(choice) => assert_eq!(choice.api, listed_as, "{api}"),
                other => panic!("{api}: {other:?}"),
            }
        }
        let typing = if other_apis { "Type or pick" } else { "Pick" };
        for (api, shown) in [
            ("https://look-alike.example", "https://look-alike.example"),
            (
                "https://eu.api.capillarytech.com.evil.example/x",
                "https://eu.api.capillarytech.com.evil.example/x",
            ),
            (
                "https://eu.api.capillarytech.com.",
                "https://eu.api.capillarytech.com.",
            ),
            (
                "https://crm.example.com/api-evil",
                "https://crm.example.com/api-evil",
            ),
            ("us", "https://us.api.capillarytech.com"),
            ("/other-proxy", "/other-proxy"),
        ] {
            match named(api) {
                LinkedApi::Unlisted(u) => {
                    assert_eq!(u.typing_allowed, other_apis);
                    assert_eq!(
                        u.warning(),
                        format!("This link points at {shown}, which this deployment does not list. {typing} the API yourself.")
                    );
                }
                other => panic!("{api}: {other:?}"),
            }
        }
    }
}

#[test]
fn credential_entry_inside_a_frame_only_for_an_allowed_parent() {
    let open_tab = "Open the explorer in its own tab.";
    let listed = read_ok(r#"{"allowedParentOrigins": ["https://admin.example.com"]}"#);
    let nobody = Config::default();
    for config in [&listed, &nobody] {
        for embed in [true, false] {
            assert_eq!(
                config.credential_entry(Frame::Top, embed),
                CredentialEntry::Allowed
            );
        }
    }
    let framed = |parent| Frame::Framed { parent };
    // The parent named (ancestorOrigins, or the referrer, a URL) and not allowed.
    for config in [&listed, &nobody] {
        for embed in [true, false] {
            assert_eq!(
                config.credential_entry(framed(Some("https://evil.example/page?x=1")), embed),
                CredentialEntry::Disabled(format!("This page is shown inside https://evil.example, which this deployment does not allow; credential entry is disabled. {open_tab}"))
            );
        }
    }
    // Allowed: the host hands over the connection in embed mode; otherwise the form is fine.
    let admin = Some("https://admin.example.com/portal/audit");
    assert_eq!(
        listed.credential_entry(framed(admin), true),
        CredentialEntry::FromHost
    );
    assert_eq!(
        listed.credential_entry(framed(admin), false),
        CredentialEntry::Allowed
    );
    // Unknown parent: nobody may frame, so it is not allowed; with allowed parents only the
    // host's (origin-checked) messages may connect.
    match nobody.credential_entry(framed(None), true) {
        CredentialEntry::Disabled(why) => assert_eq!(why, format!("This page is shown inside another site, which this deployment does not allow; credential entry is disabled. {open_tab}")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        listed.credential_entry(framed(None), true),
        CredentialEntry::FromHost
    );
    match listed.credential_entry(framed(None), false) {
        CredentialEntry::Disabled(why) => {
            assert!(
                why.contains("does not reveal") && why.ends_with(open_tab),
                "{why}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A sandboxed parent: an opaque origin no deployment can list.
    for embed in [true, false] {
        match listed.credential_entry(framed(Some("null")), embed) {
            CredentialEntry::Disabled(why) => {
                assert!(
                    why.contains("opaque origin") && why.ends_with(open_tab),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_rate_limit_is_optional_and_only_a_positive_whole_number() {
    assert_eq!(Config::default().rate_limit, None, "learned unless stated");
    assert_eq!(read_ok("{}").rate_limit, None);
    assert_eq!(read_ok(r#"{"rateLimit": null}"#).rate_limit, None);
    let c = read_ok(r#"{"rateLimit": 1000}"#);
    assert_eq!(c.rate_limit, Some(RateLimit::per_minute(1000)));
    for bad in ["0", "-100", "99.5", "\"100\"", "true", "[100]", "1000000"] {
        let loaded = Config::read(&format!(r#"{{"rateLimit": {bad}}}"#));
        assert_eq!(loaded.config.rate_limit, None, "{bad}");
        assert_eq!(loaded.warnings.len(), 1, "{bad}: {:?}", loaded.warnings);
        let w = &loaded.warnings[0];
        assert!(
            w.starts_with("config.json: `rateLimit`: expected a whole number of requests per minute from 1 to 100000; using none (the limit is learned"),
            "{w}"
        );
    }
}

#[test]
fn the_library_and_the_command_forbid_unsafe_code() {
    for (file, text) in [
        ("lib.rs", include_str!("lib.rs")),
        ("main.rs", include_str!("main.rs")),
    ] {
        assert!(
            text.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"),
            "{file}"
        );
    }
}

#[test]
fn an_api_the_deployment_does_not_offer_is_refused_with_what_it_offers() {
    let config = Config::read(r#"{"apis": ["eu", "/capillary"]}"#).config;
    let eu = ApiBase::parse("eu").unwrap();
    assert_eq!(config.refusal("eu", &eu), None);
    let other = ApiBase::parse("https://elsewhere.example").unwrap();
    let why = config.refusal("https://elsewhere.example", &other).unwrap();
    assert!(
        why.contains("connects only to eu, /capillary")
            && why.contains("`https://elsewhere.example`"),
        "{why}"
    );
    let open = Config::read(r#"{"apis": ["eu"], "otherApis": true}"#).config;
    assert_eq!(open.refusal("https://elsewhere.example", &other), None);
}

#[test]
fn what_the_browsers_json_parse_gives_reads_like_the_text() {
    // The page hands over JSON.parse's value: numbers are doubles, objects keep their order.
    let value = Json::Object(vec![
        ("apis".into(), Json::Array(vec![Json::String("eu".into())])),
        ("pageSize".into(), Json::Number(200.0)),
        ("rateLimit".into(), Json::Number(2.5)),
        (
            "authModes".into(),
            Json::Array(vec![Json::String("oauth".into()), Json::Bool(true)]),
        ),
    ]);
    let loaded = Config::read_json(&value);
    assert_eq!(loaded.config.page_size, 200);
    assert_eq!(
        loaded.config.rate_limit, None,
        "2.5 requests a minute is not a whole number"
    );
    assert_eq!(loaded.config.auth_modes, [AuthKind::OAuth]);
    let said = loaded.warnings.join(" ");
    assert!(
        said.contains("`rateLimit`") && said.contains("true not one of"),
        "{said}"
    );
    let text =
        r#"{"apis": ["eu"], "pageSize": 200, "rateLimit": 2.5, "authModes": ["oauth", true]}"#;
    assert_eq!(Config::read(text), loaded);
    let not_an_object = Config::read_json(&Json::Array(Vec::new()));
    assert!(not_an_object
        .error
        .unwrap_or_default()
        .contains("JSON object"));
}

#[test]
fn the_cache_is_off_unless_a_deployment_turns_it_on() {
    assert_eq!(read_ok(SHIPPED).cache, CacheSettings::default());
    assert!(
        !Config::default().cache.enabled,
        "audit trails hold personal data"
    );
    let c = read_ok(r#"{"cache": {"enabled": true, "expiryHours": 8}}"#);
    assert_eq!(
        c.cache,
        CacheSettings {
            enabled: true,
            expiry_hours: 8
        }
    );
    assert_eq!(c.cache.expiry_ms(), 8 * 3_600_000);
    let c = read_ok(r#"{"cache": {"enabled": true}}"#);
    assert_eq!(c.cache.expiry_hours, DEFAULT_CACHE_EXPIRY_HOURS);
}

#[test]
fn a_bad_cache_setting_is_named_and_never_turns_the_cache_on() {
    for (text, named) in [
        (r#"{"cache": true}"#, "`cache`"),
        (r#"{"cache": {"enabled": "yes"}}"#, "`cache.enabled`"),
        (
            r#"{"cache": {"enabled": true, "expiryHours": 0}}"#,
            "`cache.expiryHours`",
        ),
        (
            r#"{"cache": {"enabled": true, "expiryHours": 9999}}"#,
            "`cache.expiryHours`",
        ),
        (
            r#"{"cache": {"enabled": true, "expiry": 3}}"#,
            "`cache.expiry`",
        ),
    ] {
        let loaded = Config::read(text);
        assert_eq!(loaded.warnings.len(), 1, "{text}: {:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains(named),
            "{text}: {}",
            loaded.warnings[0]
        );
        if text.contains("\"yes\"") || text == r#"{"cache": true}"# {
            assert!(!loaded.config.cache.enabled, "{text}");
        }
        if text.contains("expiryHours") {
            assert_eq!(loaded.config.cache.expiry_hours, DEFAULT_CACHE_EXPIRY_HOURS);
        }
    }
}
