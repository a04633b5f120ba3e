//! Basic header, OAuth token timing, binding to the API base and redaction.

use capillary_client::*;

fn page() -> Origin {
    Origin::parse("https://explorer.example.com").unwrap()
}

/// The header `header_for` produced, as plain strings.
fn sent(r: Result<Option<(HeaderName, HeaderValue)>, AuthError>) -> Option<(String, String)> {
    r.unwrap()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_str().to_owned()))
}

/// The docs' example: user `store123`, password `Pass123` → md5
/// `bdc87b9c…` → `Basic c3RvcmUxMjM6YmRj…`. Its base64 step is right, but
/// `bdc87b9c…` is not MD5("Pass123") (that is `2f23fa35…`, as `md5sum` and
/// RFC 1321 agree), so each step is checked on its own.
#[test]
fn documented_basic_example() {
    assert_eq!(
        basic_header_from_md5("store123", "bdc87b9c894da5168059e00ebffb9077"),
        "Basic c3RvcmUxMjM6YmRjODdiOWM4OTRkYTUxNjgwNTllMDBlYmZmYjkwNzc="
    );
    assert_eq!(
        basic_header_from_md5("store123", "BDC87B9C894DA5168059E00EBFFB9077"),
        "Basic c3RvcmUxMjM6YmRjODdiOWM4OTRkYTUxNjgwNTllMDBlYmZmYjkwNzc=",
        "hex is sent lowercase"
    );
    // RFC 1321 test vectors, then the example's password.
    assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(md5_hex("Pass123"), "2f23fa3579f3f75175793649115c1b25");
    let header = basic_header_value("store123", "Pass123");
    assert_eq!(
        header,
        "Basic c3RvcmUxMjM6MmYyM2ZhMzU3OWYzZjc1MTc1NzkzNjQ5MTE1YzFiMjU="
    );
    // (capillary-sim's own test expects this same header.)
    let eu = ApiBase::cluster(Cluster::Eu);
    let c = Credentials::basic(&eu, &page(), "store123", "Pass123").unwrap();
    let url = audit_url(&eu, &AuditParams::customer(1), Generation::Current).unwrap();
    assert_eq!(
        sent(c.header_for(&url, &page(), 0)),
        Some((AUTHORIZATION.to_owned(), header))
    );
}

#[test]
fn credentials_only_go_to_the_origin_they_were_entered_for() {
    let eu = ApiBase::cluster(Cluster::Eu);
    let c = Credentials::basic(&eu, &page(), "u", "p").unwrap();
    assert_eq!(c.scope().to_string(), "https://eu.api.capillarytech.com");
    assert_eq!(c.scope(), &eu.scope(&page()));
    let same = [
        "https://eu.api.capillarytech.com/v2/customers/1/statusLog",
        "https://EU.api.capillarytech.com:443/api_gateway/v2/audits?x=1",
    ];
    for url in same {
        assert!(c.allows(url, &page()), "{url}");
        assert!(c.header_for(url, &page(), 0).unwrap().is_some());
    }
    let other = [
        "https://us.api.capillarytech.com/api_gateway/v2/audits",
        "http://eu.api.capillarytech.com/api_gateway/v2/audits",
        "https://eu.api.capillarytech.com:8443/api_gateway/v2/audits",
        "https://eu.api.capillarytech.com.evil.com/api_gateway/v2/audits",
        "https://eu.api.capillarytech.com./api_gateway/v2/audits",
        "/capillary/api_gateway/v2/audits",
    ];
    for url in other {
        assert!(!c.allows(url, &page()), "{url}");
        match c.header_for(url, &page(), 0) {
            Err(AuthError::OutsideScope { scope, target }) => {
                assert_eq!(scope, *c.scope());
                assert!(
                    !target.contains('?'),
                    "the query (identifiers) is not repeated"
                );
            }
            r => panic!("{url}: {r:?}"),
        }
    }
    assert!(matches!(
        c.header_for("ftp://x", &page(), 0),
        Err(AuthError::BadUrl(_))
    ));
    // Token requests (secret in the body) are bound the same way.
    let o = Credentials::oauth(&eu, &page(), "k", "s");
    assert!(o.token_request(&eu, &page()).is_ok());
    assert!(matches!(
        o.token_request(&ApiBase::cluster(Cluster::Us), &page()),
        Err(AuthError::OutsideScope { .. })
    ));
    assert_eq!(c.token_request(&eu, &page()), Err(AuthError::NotOAuth));
}

#[test]
fn proxy_credentials_bind_to_the_page_origin() {
    let proxy = ApiBase::proxy("/capillary").unwrap();
    let c = Credentials::basic(&proxy, &page(), "u", "p").unwrap();
    assert_eq!(c.scope().origin(), &page());
    assert_eq!(
        c.scope().to_string(),
        "https://explorer.example.com/capillary"
    );
    assert!(c
        .header_for(
            "/capillary/v2/auditLog/get?entityType=CARD&entityId=1",
            &page(),
            0
        )
        .unwrap()
        .is_some());
    assert!(c
        .header_for("https://explorer.example.com/capillary/x", &page(), 0)
        .unwrap()
        .is_some());
    // Opened from another page origin, the same path is another origin.
    let elsewhere = Origin::parse("https://other.example.com").unwrap();
    assert!(c.header_for("/capillary/x", &elsewhere, 0).is_err());
    // "None" mode sends nothing, and still refuses to be pointed elsewhere.
    let n = Credentials::none(&proxy, &page());
    assert_eq!(n.header_for("/capillary/x", &page(), 0), Ok(None));
    assert!(n
        .header_for("https://eu.api.capillarytech.com/x", &page(), 0)
        .is_err());
}

#[test]
fn debug_output_never_shows_secrets() {
    let eu = ApiBase::cluster(Cluster::Eu);
    let basic = Credentials::basic(&eu, &page(), "store123", "Pass123").unwrap();
    let mut oauth = Credentials::oauth(&eu, &page(), "my-key-123", "my-secret-456");
    let body = br#"{"data":{"accessToken":"eyJ.secret.token","ttlSeconds":300},"errors":null}"#;
    oauth
        .oauth_mut()
        .unwrap()
        .accept_token_response(200, body, 0)
        .unwrap();
    let req = oauth.token_request(&eu, &page()).unwrap();
    let dumps = [
        format!("{basic:?}"),
        format!("{basic:#?}"),
        format!("{oauth:?}"),
        format!("{:?}", oauth.mode()),
        format!("{req:?}"),
        format!("{:?}", oauth.oauth_mut().unwrap().token()),
    ];
    for d in &dumps {
        for secret in [
            "Pass123",
            "2f23fa3579f3f75175793649115c1b25",
            "c3RvcmUxMjM6MmYyM2ZhMzU3OWYzZjc1MTc1NzkzNjQ5MTE1YzFiMjU",
            "my-key-123",
            "my-secret-456",
            "eyJ.secret.token",
        ] {
            assert!(!d.contains(secret), "{secret} leaked in {d}");
        }
        assert!(d.contains("<redacted>"), "{d}");
    }
    assert!(
        dumps[0].contains("store123"),
        "the username is not secret and helps support"
    );
    // The secret is only in the token request body.
    assert_eq!(req.body, r#"{"key":"my-key-123","secret":"my-secret-456"}"#);
}

#[test]
fn oauth_token_is_renewed_before_expiry_and_after_401() {
    let eu = ApiBase::cluster(Cluster::Eu);
    let mut c = Credentials::oauth(&eu, &page(), "k", "s");
    let url = "https://eu.api.capillarytech.com/api_gateway/v2/audits";
    assert_eq!(c.header_for(url, &page(), 0), Err(AuthError::TokenNeeded));
    assert!(c.oauth_mut().unwrap().needs_token(0));

    let issued = 1_700_000_000_000;
    let body = br#"{"data":{"accessToken":"tok-1","ttlSeconds":300},"errors":null}"#;
    c.oauth_mut()
        .unwrap()
        .accept_token_response(200, body, issued)
        .unwrap();
    let t = c.oauth_mut().unwrap().token().unwrap().clone();
    assert_eq!(t.expires_at_ms(), issued + 300_000);
    assert_eq!(t.renewal_margin_ms(), 60_000);
    assert_eq!(t.renew_at_ms(), issued + 240_000);
    assert_eq!(
        sent(c.header_for(url, &page(), issued + 239_999)),
        Some((OAUTH_HEADER.to_owned(), "tok-1".to_string()))
    );
    assert_eq!(
        c.header_for(url, &page(), issued + 240_000),
        Err(AuthError::TokenNeeded)
    );
    assert!(c.oauth_mut().unwrap().needs_token(issued + 300_001));

    // A 401 forces renewal although the token has not expired.
    c.oauth_mut()
        .unwrap()
        .accept_token_response(200, body, issued)
        .unwrap();
    assert!(!c.oauth_mut().unwrap().needs_token(issued + 1000));
    c.on_unauthorized();
    assert!(c.oauth_mut().unwrap().needs_token(issued + 1000));
    assert_eq!(
        c.header_for(url, &page(), issued + 1000),
        Err(AuthError::TokenNeeded)
    );
    let body2 = br#"{"data":{"accessToken":"tok-2","ttlSeconds":"10"}}"#;
    c.oauth_mut()
        .unwrap()
        .accept_token_response(200, body2, issued + 2000)
        .unwrap();
    assert_eq!(
        sent(c.header_for(url, &page(), issued + 2000)),
        Some((OAUTH_HEADER.to_owned(), "tok-2".to_string()))
    );
    // Short lifetimes get a proportionate margin (a fifth): renew at 8 s of 10.
    assert!(!c.oauth_mut().unwrap().needs_token(issued + 2000 + 7_999));
    assert!(c.oauth_mut().unwrap().needs_token(issued + 2000 + 8_000));
}

#[test]
fn token_errors_are_classified() {
    let mut o = OAuth::new("k", "s");
    let refused = br#"{"data":null,"errors":[{"status":false,"code":401,"message":"Invalid key or secret"}]}"#;
    let p = o.accept_token_response(401, refused, 0).unwrap_err();
    assert_eq!(p.kind, ProblemKind::Unauthorized);
    assert_eq!(p.api_message.as_deref(), Some("Invalid key or secret"));
    let p = o
        .accept_token_response(200, br#"{"data":{"accessToken":""}}"#, 0)
        .unwrap_err();
    assert_eq!(p.kind, ProblemKind::Unrecognised);
    let p = o.accept_token_response(200, b"not json", 0).unwrap_err();
    assert_eq!(p.kind, ProblemKind::Unrecognised);
    assert!(o.token().is_none());
    assert!(o.needs_token(0));
}

#[test]
fn host_supplied_token_and_header_go_only_to_their_origin_and_never_print() {
    let eu = ApiBase::cluster(Cluster::Eu);
    let url = audit_url(&eu, &AuditParams::customer(1), Generation::Current).unwrap();
    let token = Credentials::new(&eu, &page(), AuthMode::token("tok-123").unwrap());
    assert_eq!(
        sent(token.header_for(&url, &page(), 0)),
        Some(("X-CAP-API-OAUTH-TOKEN".to_owned(), "tok-123".to_owned()))
    );
    assert!(token.mode().is_from_host());
    let header = AuthMode::header("X-Portal-Session", "s3cret").unwrap();
    let header = Credentials::new(&eu, &page(), header);
    assert_eq!(
        sent(header.header_for(&url, &page(), 0)),
        Some(("X-Portal-Session".to_owned(), "s3cret".to_owned()))
    );
    assert!(header
        .header_for("https://us.api.capillarytech.com/x", &page(), 0)
        .is_err());
    for c in [&token, &header] {
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("tok-123") && !debug.contains("s3cret"),
            "{debug}"
        );
    }
    assert!(AuthMode::header("X Portal", "v").is_err());
    assert!(AuthMode::header("", "v").is_err());
    assert!(AuthMode::header("X-A", "v\r\nX-Injected: 1").is_err());
    assert!(AuthMode::header("X-A", "").is_err());
}

#[test]
fn header_names_and_values_are_checked_as_a_browser_would_set_them() {
    // `Headers.set` strips leading and trailing HTTP whitespace (tab, LF, CR, space) ...
    assert_eq!(HeaderValue::new(" \ttok-1 \r\n").unwrap().as_str(), "tok-1");
    // ... accepts any byte but NUL, CR and LF (Latin-1 letters included) ...
    assert_eq!(HeaderValue::new("caf\u{e9}").unwrap().as_str(), "caf\u{e9}");
    // ... and throws on the rest, which is what gloo-net turns into a panic.
    for (bad, want) in [
        ("a\r\nX-Injected: 1", HeaderError::LineBreak),
        ("a\nb", HeaderError::LineBreak),
        ("a\0b", HeaderError::LineBreak),
        ("tok\u{20ac}", HeaderError::NotByte),
        ("\u{1F600}", HeaderError::NotByte),
        ("", HeaderError::EmptyValue),
        (" \t ", HeaderError::EmptyValue),
    ] {
        assert_eq!(HeaderValue::new(bad), Err(want.clone()), "{bad:?}");
        let shown = want.to_string();
        assert!(!shown.is_empty() && !shown.contains("Injected"), "{shown}");
    }
    assert_eq!(
        HeaderName::new(" X-Portal-Session ").unwrap().as_str(),
        "X-Portal-Session"
    );
    for bad in ["", "X Portal", "X:Portal", "X-\u{e9}", "X-A\r\n"] {
        assert!(
            matches!(HeaderName::new(bad), Err(HeaderError::BadName(_))),
            "{bad:?}"
        );
    }
    // Names a page may never set are dropped silently by the browser: refused here instead.
    for forbidden in [
        "Cookie",
        "host",
        "Origin",
        "Sec-Fetch-Site",
        "proxy-authorization",
    ] {
        assert!(
            matches!(
                HeaderName::new(forbidden),
                Err(HeaderError::ForbiddenName(_))
            ),
            "{forbidden}"
        );
    }
    // What this crate sends itself passes its own check.
    assert!(HeaderName::new(OAUTH_HEADER).is_ok() && HeaderName::new(AUTHORIZATION).is_ok());
}

#[test]
fn bad_credentials_are_refused_before_they_can_reach_a_header() {
    // A host-supplied token or header.
    assert_eq!(
        AuthMode::token("tok\r\nX-Injected: 1").unwrap_err(),
        HeaderError::LineBreak
    );
    assert_eq!(
        AuthMode::token("tok\u{20ac}").unwrap_err(),
        HeaderError::NotByte
    );
    assert_eq!(AuthMode::token(" ").unwrap_err(), HeaderError::EmptyValue);
    assert_eq!(
        AuthMode::header("X-A", "caf\u{20ac}").unwrap_err(),
        HeaderError::NotByte
    );
    assert!(matches!(
        AuthMode::header("Cookie", "session=1"),
        Err(HeaderError::ForbiddenName(_))
    ));
    let eu = ApiBase::cluster(Cluster::Eu);
    let url = audit_url(&eu, &AuditParams::customer(1), Generation::Current).unwrap();
    let padded = Credentials::new(&eu, &page(), AuthMode::token(" tok-9\t").unwrap());
    assert_eq!(
        sent(padded.header_for(&url, &page(), 0)),
        Some((OAUTH_HEADER.to_owned(), "tok-9".to_owned())),
        "sent as the browser would send it"
    );

    // A token from the server: a named problem, and no token is kept.
    for token in ["eyJ.a\r\nX-Injected: 1", "eyJ.\u{20ac}", "  "] {
        let mut o = OAuth::new("k", "s");
        let body = serde_json::json!({"data": {"accessToken": token, "ttlSeconds": 300}});
        let p = o
            .accept_token_response(200, body.to_string().as_bytes(), 0)
            .unwrap_err();
        assert_eq!(p.kind, ProblemKind::Unrecognised, "{token:?}");
        assert!(
            p.api_message.as_deref().unwrap().contains("accessToken"),
            "{p:?}"
        );
        assert!(!format!("{p:?}").contains("eyJ"), "the token is not echoed");
        assert!(o.token().is_none() && o.needs_token(0));
    }

    // Basic user names: a `:` would make the server read another user, a line break or NUL
    // has no place in a name.
    for bad in ["store:123", "store\n123", "\0", "", "   "] {
        assert_eq!(
            Credentials::basic(&eu, &page(), bad, "Pass123").unwrap_err(),
            HeaderError::BadUserName,
            "{bad:?}"
        );
        assert_eq!(
            AuthMode::basic_from_md5(bad, "2f23fa3579f3f75175793649115c1b25").unwrap_err(),
            HeaderError::BadUserName
        );
    }
    let kept = AuthMode::basic_from_md5(" store123 ", "2F23FA3579F3F75175793649115C1B25").unwrap();
    let kept = Credentials::new(&eu, &page(), kept);
    assert_eq!(
        sent(kept.header_for(&url, &page(), 0)),
        Some((
            AUTHORIZATION.to_owned(),
            basic_header_value("store123", "Pass123")
        ))
    );
}

#[test]
fn tokens_with_a_tiny_lifetime_are_renewed_no_faster_than_a_backing_off_minimum() {
    // The app renews when `needs_token` says so. A cluster answering `ttlSeconds: 0` made that
    // true at once after every renewal: a token request in every turn of the loop.
    let eu = ApiBase::cluster(Cluster::Eu);
    let url = "https://eu.api.capillarytech.com/api_gateway/v2/audits";
    let mut c = Credentials::oauth(&eu, &page(), "k", "s");
    let mut requested = Vec::new();
    let start = 1_700_000_000_000u64;
    let mut now = start;
    while now < start + 20 * 60_000 {
        if c.oauth_mut().unwrap().needs_token(now) {
            requested.push(now - start);
            let body = br#"{"data":{"accessToken":"tok","ttlSeconds":0}}"#;
            c.oauth_mut()
                .unwrap()
                .accept_token_response(200, body, now)
                .unwrap();
        } else {
            // Between renewals the token is used, not held back.
            assert!(sent(c.header_for(url, &page(), now)).is_some(), "at {now}");
        }
        now += 100;
    }
    let gaps: Vec<u64> = requested.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(MIN_TOKEN_RENEWAL_MS, 5_000);
    assert_eq!(MAX_TOKEN_RENEWAL_MS, 300_000);
    assert_eq!(
        gaps,
        [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
        "doubling from the minimum up to the documented lifetime"
    );

    // A token with a real lifetime ends the back-off: renewed a fifth before its expiry again.
    let mut renew_at_after = |ttl_seconds: u64| {
        let o = c.oauth_mut().unwrap();
        let body = serde_json::json!({"data": {"accessToken": "tok", "ttlSeconds": ttl_seconds}});
        o.accept_token_response(200, body.to_string().as_bytes(), now)
            .unwrap();
        o.token().unwrap().renew_at_ms()
    };
    assert_eq!(renew_at_after(300), now + 240_000);
    assert_eq!(
        renew_at_after(1),
        now + 5_000,
        "the back-off starts over from the minimum"
    );
}

#[test]
fn credentials_are_bound_to_the_api_base_on_a_path_segment_boundary() {
    let base = ApiBase::custom("https://h.example/capillary/").unwrap();
    let c = Credentials::basic(&base, &page(), "u", "p").unwrap();
    assert_eq!(c.scope().to_string(), "https://h.example/capillary");
    assert_eq!(c.scope().path(), "/capillary");
    assert_eq!(
        c.scope(),
        &ApiBase::parse("https://H.example:443/capillary")
            .unwrap()
            .scope(&page()),
        "the app finds held credentials for a link's base by this equality"
    );
    for url in [
        "https://h.example/capillary/v2/customers/1/statusLog",
        "https://h.example/capillary/api_gateway/v2/audits?entityType=CUSTOMER&entityId=1",
        "https://H.EXAMPLE:443/capillary/v3/oauth/token/generate",
        "https://h.example/capillary",
        "https://h.example/capillary?x=1",
    ] {
        assert!(c.allows(url, &page()), "{url}");
        assert!(sent(c.header_for(url, &page(), 0)).is_some(), "{url}");
    }
    for url in [
        "https://h.example/capillary-evil/v2/customers/1/statusLog",
        "https://h.example/capillaryx",
        "https://h.example/other/v2/customers/1/statusLog",
        "https://h.example/",
        "https://h.example",
        "https://h.example/Capillary/v2/x",
        // What a browser (or the server behind it) resolves out of the prefix.
        "https://h.example/capillary/../admin/x",
        "https://h.example/capillary/%2e%2e/admin/x",
        "https://h.example/capillary/..%2Fadmin/x",
        "https://h.example/capillary\\..\\admin/x",
        "https://h.example/capillary/\t../admin/x",
        // Never built by this crate: refused rather than resolved.
        "https://h.example/capillary/./v2/x",
        "https://h.example/capillary//v2/x",
    ] {
        assert!(!c.allows(url, &page()), "{url}");
        assert!(c.header_for(url, &page(), 0).is_err(), "{url}");
    }
    // The token request (the secret is in its body) is bound the same way.
    let o = Credentials::oauth(&base, &page(), "k", "s");
    assert_eq!(
        o.token_request(&base, &page()).unwrap().url,
        "https://h.example/capillary/v3/oauth/token/generate"
    );
    for elsewhere in [
        "https://h.example/capillary-evil",
        "https://h.example/other",
        "https://h.example",
    ] {
        let elsewhere = ApiBase::custom(elsewhere).unwrap();
        assert!(matches!(
            o.token_request(&elsewhere, &page()),
            Err(AuthError::OutsideScope { .. })
        ));
    }
    // A base below the one the credentials were entered for is inside it.
    let deeper = ApiBase::custom("https://h.example/capillary/v2").unwrap();
    assert!(o.token_request(&deeper, &page()).is_ok());
}

#[test]
fn a_proxy_path_resolves_against_the_page_and_relative_urls_cannot_escape_it() {
    let proxy = ApiBase::proxy("/capillary").unwrap();
    let c = Credentials::basic(&proxy, &page(), "u", "p").unwrap();
    for url in [
        "/capillary/v2/customers/1/statusLog",
        "https://explorer.example.com/capillary/v2/customers/1/statusLog",
    ] {
        assert!(c.allows(url, &page()), "{url}");
    }
    for url in [
        "/capillary-evil/v2/x",
        "/other/capillary/v2/x",
        // A browser reads `/\host` (and `/<tab>/host`) as `//host`: another origin.
        "/\\evil.example/capillary/v2/x",
        "/\t/evil.example/capillary/v2/x",
        "//evil.example/capillary/v2/x",
        " //evil.example/capillary/v2/x",
        "/capillary/../admin",
    ] {
        assert!(!c.allows(url, &page()), "{url}");
        assert!(c.header_for(url, &page(), 0).is_err(), "{url}");
    }
}

#[test]
fn an_opaque_page_origin_is_named_never_guessed() {
    // A sandboxed frame or a file:// page has the origin "null": nothing can be bound to it,
    // and the app must say so rather than pretend to be http://localhost.
    for null in ["null", " null "] {
        let e = Origin::parse(null).unwrap_err();
        assert_eq!(e, EndpointError::OpaqueOrigin);
        let shown = e.to_string();
        assert!(
            shown.contains("\"null\"") && shown.contains("https://"),
            "{shown}"
        );
    }
    assert_eq!(
        Origin::parse("file:///home/me/index.html"),
        Err(EndpointError::Scheme("file".into()))
    );
}

#[test]
fn each_mode_names_its_kind_and_host_credentials_none() {
    let kinds: Vec<Option<AuthKind>> = [
        AuthMode::None,
        AuthMode::basic("store123", "Pass123").unwrap(),
        AuthMode::OAuth(OAuth::new("key", "secret")),
        AuthMode::token("t0ken").unwrap(),
        AuthMode::header("X-Portal-Session", "abc").unwrap(),
    ]
    .iter()
    .map(AuthMode::kind)
    .collect();
    assert_eq!(
        kinds,
        [
            Some(AuthKind::None),
            Some(AuthKind::Basic),
            Some(AuthKind::OAuth),
            None,
            None
        ]
    );
}
