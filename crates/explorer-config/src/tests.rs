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

#[test]
fn the_shipped_config_reads_without_a_word() {
    let shipped = include_str!("../../../deploy/config.json");
    let c = read_ok(shipped);
    assert!(
        c.allowed_parent_origins.is_empty(),
        "nobody may embed by default"
    );
    assert!(!c.embed);
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
    assert_eq!(c.auth_modes, ["oauth", "none"]);
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
    let open = Config::default();
    let any = ApiBase::parse("https://crm.example.com").unwrap();
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
    let open = Config::default().content_security_policy();
    assert!(open.contains("frame-ancestors 'none'"), "{open}");
    assert!(open.contains(" https:;"), "other APIs allowed: {open}");
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
