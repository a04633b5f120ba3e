//! Basic header, OAuth token timing, origin binding and redaction.

use capillary_client::*;

fn page() -> Origin {
    Origin::parse("https://explorer.example.com").unwrap()
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
    let c = Credentials::basic(&eu, &page(), "store123", "Pass123");
    let url = audit_url(&eu, &AuditParams::customer(1), Generation::Current).unwrap();
    assert_eq!(
        c.header_for(&url, &page(), 0).unwrap(),
        Some((AUTHORIZATION.to_owned(), header))
    );
}

#[test]
fn credentials_only_go_to_the_origin_they_were_entered_for() {
    let eu = ApiBase::cluster(Cluster::Eu);
    let c = Credentials::basic(&eu, &page(), "u", "p");
    assert_eq!(
        c.bound_origin().to_string(),
        "https://eu.api.capillarytech.com"
    );
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
        "/capillary/api_gateway/v2/audits",
    ];
    for url in other {
        assert!(!c.allows(url, &page()), "{url}");
        match c.header_for(url, &page(), 0) {
            Err(AuthError::OriginMismatch { bound, target }) => {
                assert_eq!(bound, *c.bound_origin());
                assert_ne!(target, bound);
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
        Err(AuthError::OriginMismatch { .. })
    ));
    assert_eq!(c.token_request(&eu, &page()), Err(AuthError::NotOAuth));
}

#[test]
fn proxy_credentials_bind_to_the_page_origin() {
    let proxy = ApiBase::proxy("/capillary").unwrap();
    let c = Credentials::basic(&proxy, &page(), "u", "p");
    assert_eq!(c.bound_origin(), &page());
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
    let basic = Credentials::basic(&eu, &page(), "store123", "Pass123");
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
        c.header_for(url, &page(), issued + 239_999),
        Ok(Some((OAUTH_HEADER.to_owned(), "tok-1".to_string())))
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
        c.header_for(url, &page(), issued + 2000),
        Ok(Some((OAUTH_HEADER.to_owned(), "tok-2".to_string())))
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
    let token = Credentials::new(&eu, &page(), AuthMode::Token("tok-123".into()));
    assert_eq!(
        token.header_for(&url, &page(), 0).unwrap(),
        Some(("X-CAP-API-OAUTH-TOKEN".to_owned(), "tok-123".to_owned()))
    );
    assert!(token.mode().is_from_host());
    let header = AuthMode::header("X-Portal-Session", "s3cret").unwrap();
    let header = Credentials::new(&eu, &page(), header);
    assert_eq!(
        header.header_for(&url, &page(), 0).unwrap(),
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
