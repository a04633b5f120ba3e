//! URL building and encoding for every endpoint and parameter, base
//! validation, and the lookup answer.

use capillary_client::*;

fn eu() -> ApiBase {
    ApiBase::cluster(Cluster::Eu)
}

#[test]
fn every_cluster_preset_is_https_on_its_host() {
    let hosts: Vec<String> = Cluster::ALL
        .iter()
        .map(|c| ApiBase::cluster(*c).as_str().to_string())
        .collect();
    assert_eq!(
        hosts,
        [
            "https://eu.api.capillarytech.com",
            "https://us.api.capillarytech.com",
            "https://in.api.capillarytech.com",
            "https://apac.api.capillarytech.com",
            "https://apac2.api.capillarytech.com",
            "https://sea.api.capillarytech.com",
            "https://ushc.api.capillarytech.com",
        ]
    );
    for c in Cluster::ALL {
        assert_eq!(Cluster::from_id(c.id()), Some(c));
        assert_eq!(ApiBase::parse(c.id()).unwrap(), ApiBase::cluster(c));
        // The preset's own URL reads back as the preset (URL state round trip).
        assert_eq!(
            ApiBase::parse(ApiBase::cluster(c).as_str()).unwrap().kind(),
            BaseKind::Cluster(c)
        );
    }
    assert_eq!(
        ApiBase::parse(" APAC2 ").unwrap().kind(),
        BaseKind::Cluster(Cluster::Apac2)
    );
}

#[test]
fn custom_hosts_urls_and_proxy_paths() {
    let intouch = ApiBase::parse("apac.api.intouch.capillarytech.com").unwrap();
    assert_eq!(intouch.kind(), BaseKind::Custom);
    assert_eq!(
        intouch.as_str(),
        "https://apac.api.intouch.capillarytech.com"
    );

    let sim = ApiBase::parse("http://127.0.0.1:8787/").unwrap();
    assert_eq!(sim.as_str(), "http://127.0.0.1:8787");
    let with_path = ApiBase::custom("HTTPS://Gateway.Example.com:443/capillary/").unwrap();
    assert_eq!(with_path.as_str(), "https://gateway.example.com/capillary");

    let proxy = ApiBase::parse("/capillary/").unwrap();
    assert_eq!(proxy.kind(), BaseKind::Proxy);
    assert_eq!(proxy.as_str(), "/capillary");
    let page = Origin::parse("https://explorer.example.com/app?x=1").unwrap();
    assert!(proxy.is_same_origin(&page));
    assert!(!eu().is_same_origin(&page));
    assert_eq!(proxy.origin(&page), page);

    for b in [&intouch, &sim, &with_path, &proxy] {
        assert_eq!(&ApiBase::parse(b.as_str()).unwrap(), b, "round trip of {b}");
    }
}

#[test]
fn bad_addresses_get_clear_errors() {
    use EndpointError::*;
    let cases: [(&str, EndpointError); 11] = [
        ("", Empty),
        ("   ", Empty),
        ("ftp://eu.api.capillarytech.com", Scheme("ftp".into())),
        ("javascript://x.com", Scheme("javascript".into())),
        ("https://user:pw@eu.api.capillarytech.com", CredentialsInUrl),
        ("https://user@host.com", CredentialsInUrl),
        ("https://", MissingHost),
        ("https://bad_host.com", BadHost("bad_host.com".into())),
        ("https://host.com:99999", BadPort("99999".into())),
        ("https://host.com/api?x=1", QueryOrFragment),
        ("mars", Unrecognised("mars".into())),
    ];
    for (input, want) in cases {
        assert_eq!(ApiBase::parse(input), Err(want.clone()), "{input:?}");
        assert!(!want.to_string().is_empty());
    }
    assert!(matches!(ApiBase::proxy("/a b"), Err(BadPath(_))));
    assert!(matches!(ApiBase::proxy("capillary"), Err(BadPath(_))));
    assert!(matches!(
        ApiBase::custom("https://h.com/a%20b"),
        Err(BadPath(_))
    ));
    assert!(ApiBase::parse("https://user:pw@h.com")
        .unwrap_err()
        .to_string()
        .contains("Authentication"));
}

#[test]
// The update names no field today; it keeps this test compiling when a parameter is added.
#[allow(clippy::needless_update)]
fn current_audits_url_with_every_parameter() {
    let p = AuditParams {
        entity_type: EntityType::Customer,
        entity_id: 98662653,
        source: Some("INSTORE".into()),
        limit: Some(100),
        page_no: Some(3),
        sort_by: Some("autoUpdateTime".into()),
        sort_order: Some(SortOrder::Asc),
        start_date: Some("2022-08-18 12:00:00".into()),
        end_date: Some("2022-08-19".into()),
        reference_type: Some(ReferenceType::StandardField),
        reference_value: Some("first name & last=ok".into()),
        include_user_context: Some(true),
        // A parameter added later is left out of this URL.
        ..AuditParams::customer(1)
    };
    assert_eq!(
        audit_url(&eu(), &p, Generation::Current).unwrap(),
        "https://eu.api.capillarytech.com/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653\
         &source=INSTORE&limit=100&pageNo=3&sortBy=autoUpdateTime&sortOrder=ASC\
         &startDate=2022-08-18%2012%3A00%3A00&endDate=2022-08-19&referenceType=StandardField\
         &referenceValue=first%20name%20%26%20last%3Dok&includeUserContext=true"
    );
}

#[test]
fn minimal_legacy_and_card_urls() {
    let proxy = ApiBase::proxy("/capillary").unwrap();
    assert_eq!(
        audit_url(&proxy, &AuditParams::card(42), Generation::Legacy).unwrap(),
        "/capillary/v2/auditLog/get?entityType=CARD&entityId=42"
    );
    let mut p = AuditParams::customer(7);
    p.include_user_context = Some(false);
    p.sort_order = Some(SortOrder::Desc);
    assert_eq!(
        audit_url(&eu(), &p, Generation::Current).unwrap(),
        "https://eu.api.capillarytech.com/api_gateway/v2/audits?entityType=CUSTOMER&entityId=7&sortOrder=DESC&includeUserContext=false"
    );
}

#[test]
fn every_reference_type_is_spelled_as_documented() {
    let documented = "Identifier, StandardField, ExtendedField, CustomField, CustomerStatus, CardStatus, SubscriptionStatus, CustomerMerge, CardCustomField, CommChannel, CardExtendedField";
    let ours: Vec<&str> = ReferenceType::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(ours.join(", "), documented);
    for r in ReferenceType::ALL {
        assert_eq!(ReferenceType::parse(&r.as_str().to_lowercase()), Some(r));
        let mut p = AuditParams::customer(1);
        p.reference_type = Some(r);
        let url = audit_url(&eu(), &p, Generation::Current).unwrap();
        assert!(
            url.ends_with(&format!("&referenceType={}", r.as_str())),
            "{url}"
        );
    }
    assert_eq!(ReferenceType::parse("Nope"), None);
    assert_eq!(EntityType::parse("card"), Some(EntityType::Card));
    assert_eq!(SortOrder::parse("asc"), Some(SortOrder::Asc));
}

#[test]
fn encoding_keeps_unreserved_and_escapes_everything_else() {
    assert_eq!(encode_component("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(
        encode_component("a b+c&d=e#f/g?h%"),
        "a%20b%2Bc%26d%3De%23f%2Fg%3Fh%25"
    );
    assert_eq!(encode_component("é"), "%C3%A9");
    assert_eq!(encode_component("+919876543210"), "%2B919876543210");
}

#[test]
fn parameter_validation_names_the_parameter() {
    let check = |f: &dyn Fn(&mut AuditParams), param: &str| {
        let mut p = AuditParams::customer(5);
        f(&mut p);
        let err = p.validate().unwrap_err();
        assert_eq!(err.param, param, "{err}");
        assert!(audit_url(&eu(), &p, Generation::Current).is_err());
    };
    check(&|p| p.entity_id = 0, "entityId");
    check(&|p| p.entity_id = -3, "entityId");
    check(&|p| p.limit = Some(0), "limit");
    check(&|p| p.sort_by = Some("auto update".into()), "sortBy");
    check(&|p| p.source = Some("  ".into()), "source");
    check(&|p| p.start_date = Some("18/08/2022".into()), "startDate");
    check(&|p| p.start_date = Some("2022-02-30".into()), "startDate");
    check(
        &|p| p.end_date = Some("2022-08-18 25:00:00".into()),
        "endDate",
    );
    check(
        &|p| {
            p.start_date = Some("2022-08-19".into());
            p.end_date = Some("2022-08-18 23:00:00".into());
        },
        "endDate",
    );
    // Same day: a date alone as endDate covers the whole day.
    let mut p = AuditParams::customer(5);
    p.start_date = Some("2022-08-18 12:00:00".into());
    p.end_date = Some("2022-08-18".into());
    assert!(p.validate().is_ok());
    // datetime-local input spelling is sent the documented way.
    p.start_date = Some("2022-08-18T12:00".into());
    assert!(p.validate().is_ok());
    assert!(
        p.query_string().contains("startDate=2022-08-18%2012%3A00&"),
        "{}",
        p.query_string()
    );
    p.end_date = None;
    p.start_date = Some("2024-02-29".into());
    assert!(p.validate().is_ok(), "leap day");
    p.start_date = Some("2023-02-29".into());
    assert_eq!(
        p.validate().unwrap_err().param,
        "startDate",
        "not a leap year"
    );
}

#[test]
fn listing_pages_differ_only_in_page_number() {
    let mut p = AuditParams::customer(98662653);
    p.limit = Some(50);
    p.page_no = Some(9); // ignored: the plan sets pages
    let l = AuditListing::new(eu(), p, Generation::Current).unwrap();
    assert_eq!(l.page_size(), 50);
    assert_eq!(
        l.page_url(0),
        "https://eu.api.capillarytech.com/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&limit=50&pageNo=0"
    );
    assert!(l.page_url(12).ends_with("&limit=50&pageNo=12"));
    assert_eq!(
        l.key(),
        "https://eu.api.capillarytech.com/api_gateway/v2/audits?entityType=CUSTOMER&entityId=98662653&limit=50"
    );
    assert_eq!(
        AuditListing::new(eu(), AuditParams::card(1), Generation::Legacy)
            .unwrap()
            .page_size(),
        10
    );
    assert!(AuditListing::new(eu(), AuditParams::card(0), Generation::Legacy).is_err());
}

#[test]
fn status_log_lookup_and_token_urls() {
    assert_eq!(
        customer_status_log_url(&eu(), 98662653).unwrap(),
        "https://eu.api.capillarytech.com/v2/customers/98662653/statusLog"
    );
    assert_eq!(
        customer_status_log_url(&eu(), 0).unwrap_err().param,
        "userId"
    );
    assert_eq!(
        card_status_log_url(&eu(), " 4000 1234/56 ").unwrap(),
        "https://eu.api.capillarytech.com/v2/card/statusLog?number=4000%201234%2F56"
    );
    assert_eq!(card_status_log_url(&eu(), " ").unwrap_err().param, "number");
    let proxy = ApiBase::proxy("/capillary").unwrap();
    let cases = [
        (
            IdentifierName::Mobile,
            "+91 98765 43210",
            "mobile",
            "%2B91%2098765%2043210",
        ),
        (
            IdentifierName::Email,
            "a.b+tag@x.com",
            "email",
            "a.b%2Btag%40x.com",
        ),
        (
            IdentifierName::ExternalId,
            "EXT/1&2",
            "externalId",
            "EXT%2F1%262",
        ),
        (
            IdentifierName::CardNumber,
            "CARD001",
            "cardnumber",
            "CARD001",
        ),
    ];
    for (name, value, spelled, encoded) in cases {
        assert_eq!(
            lookup_url(&proxy, "INSTORE", name, value).unwrap(),
            format!("/capillary/v2/customers/lookup/customerDetails?source=INSTORE&identifierName={spelled}&identifierValue={encoded}")
        );
        assert_eq!(IdentifierName::parse(spelled), Some(name));
    }
    assert_eq!(
        lookup_url(&proxy, "", IdentifierName::Mobile, "1")
            .unwrap_err()
            .param,
        "source"
    );
    assert_eq!(
        lookup_url(&proxy, "INSTORE", IdentifierName::Mobile, " ")
            .unwrap_err()
            .param,
        "identifierValue"
    );
    assert_eq!(
        oauth_token_url(&eu()),
        "https://eu.api.capillarytech.com/v3/oauth/token/generate"
    );
    assert_eq!(
        oauth_token_url(&proxy),
        "/capillary/v3/oauth/token/generate"
    );
}

#[test]
fn lookup_answer_from_the_simulator() {
    let profile = audit_gen::CustomerProfile {
        id: 98662653,
        first_name: "Asha".into(),
        last_name: "Rao".into(),
        mobile: "919876543210".into(),
        email: "asha@example.com".into(),
        external_id: "EXT-1".into(),
        card_numbers: vec!["CARD001".into(), "CARD002".into()],
    };
    let body = audit_gen::lookup_body(&profile, "INSTORE");
    assert_eq!(parse_lookup_customer_id(&body), Ok(profile.id));
}

#[test]
fn lookup_answer_in_other_plausible_shapes() {
    let cases: [(&str, i64); 6] = [
        (r#"{"customers":[{"userId":"555","profiles":[]}]}"#, 555),
        (r#"{"customer":{"id":77}}"#, 77),
        (r#"{"data":[{"customerId":8}],"errors":[]}"#, 8),
        (r#"{"entity":{"customers":[{"id":9}]}}"#, 9),
        (r#"[{"id":10}]"#, 10),
        (r#"{"id":0,"customer":{"id":11}}"#, 11),
    ];
    for (body, id) in cases {
        assert_eq!(parse_lookup_customer_id(body.as_bytes()), Ok(id), "{body}");
    }
    let not_found = parse_lookup_customer_id(&audit_gen::error_body(
        8015,
        "Customer not found for the given identifiers",
    ))
    .unwrap_err();
    assert_eq!(not_found.kind, ProblemKind::NotFound);
    assert_eq!(not_found.code, Some(8015));
    assert_eq!(
        parse_lookup_customer_id(b"{\"profiles\":[]}")
            .unwrap_err()
            .kind,
        ProblemKind::Unrecognised
    );
    assert_eq!(
        parse_lookup_customer_id(b"<html>").unwrap_err().kind,
        ProblemKind::Unrecognised
    );
}

/// `Origin::parse(a)` serialised, as `new URL(a).origin` gives it.
fn origin_of(url: &str) -> String {
    Origin::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .to_string()
}

#[test]
fn a_trailing_dot_is_another_origin() {
    // `https://host.` and `https://host` are two origins to a browser (and to a certificate
    // check, a cookie jar, CORS): credentials bound to one must not match the other.
    let dotted = Origin::parse("https://eu.api.capillarytech.com.").unwrap();
    let plain = Origin::parse("https://eu.api.capillarytech.com").unwrap();
    assert_ne!(dotted, plain);
    assert_eq!(dotted.to_string(), "https://eu.api.capillarytech.com.");
    assert_eq!(dotted.host(), "eu.api.capillarytech.com.");
    let base = ApiBase::parse("https://eu.api.capillarytech.com.").unwrap();
    assert_eq!(base.kind(), BaseKind::Custom, "not the eu preset");
    assert_eq!(base.as_str(), "https://eu.api.capillarytech.com.");
    assert_eq!(&ApiBase::parse(base.as_str()).unwrap(), &base);
    assert_eq!(
        origin_of("http://localhost.:8080/x"),
        "http://localhost.:8080"
    );
}

#[test]
fn origins_serialise_as_the_url_standard_does() {
    let cases = [
        // Scheme and host lowercased, default ports dropped, other ports kept.
        (
            "HTTPS://Host.Example.COM:443/x?y#z",
            "https://host.example.com",
        ),
        ("http://h.example:80", "http://h.example"),
        ("https://h.example:80", "https://h.example:80"),
        ("http://h.example:0443", "http://h.example:443"),
        // An empty port is no port.
        ("https://h.example:/x", "https://h.example"),
        // A backslash ends the host, as a slash does.
        ("https://h.example\\x", "https://h.example"),
        // IPv4 in any of its spellings is serialised dotted-decimal.
        ("http://127.1:8080", "http://127.0.0.1:8080"),
        ("http://0x7f.0.0.1", "http://127.0.0.1"),
        ("http://2130706433", "http://127.0.0.1"),
        ("http://0177.0.0.01", "http://127.0.0.1"),
        ("http://192.168.0.1.", "http://192.168.0.1"),
        // IPv6 lowercased and compressed.
        ("http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080"),
        ("http://[::FFFF:127.0.0.1]", "http://[::ffff:7f00:1]"),
        ("https://[1:0:0:2:0:0:0:3]", "https://[1:0:0:2::3]"),
        ("https://[2001:DB8::]", "https://[2001:db8::]"),
        ("https://[::]", "https://[::]"),
    ];
    for (url, want) in cases {
        assert_eq!(origin_of(url), want, "{url}");
        // Equal origins compare equal whatever the spelling.
        assert_eq!(
            Origin::parse(url).unwrap(),
            Origin::parse(want).unwrap(),
            "{url}"
        );
    }
    // What a browser refuses (or reads as another host) is refused.
    for bad in [
        "http://256.0.0.1",
        "http://1.2.3.4.5",
        "http://foo.123",
        "http://0x100000000",
        "http://[::1::2]",
        "http://[1:2:3:4:5:6:7:8:9]",
        "http://[1:2:3:4:5:6:7]",
        "http://[::1.2.3]",
        "http://[::1.2.3.04]",
        "http://[12345::]",
        "https://host..example",
    ] {
        assert!(
            matches!(Origin::parse(bad), Err(EndpointError::BadHost(_))),
            "{bad}: {:?}",
            Origin::parse(bad)
        );
    }
}

#[test]
fn base_paths_with_dot_segments_are_refused() {
    // A browser resolves `..` and `.` before it sends a request, so `https://h/a/../b` calls
    // `/b`: the address typed would not be the address called.
    for bad in [
        "https://h.example/a/../b",
        "https://h.example/a/./b",
        "https://h.example/..",
        "https://h.example/a/.",
    ] {
        assert!(
            matches!(ApiBase::parse(bad), Err(EndpointError::BadPath(_))),
            "{bad}"
        );
    }
    for bad in ["/capillary/..", "/./capillary", "/capillary/../admin"] {
        assert!(
            matches!(ApiBase::proxy(bad), Err(EndpointError::BadPath(_))),
            "{bad}"
        );
    }
    // Dots inside a segment are just characters.
    assert_eq!(
        ApiBase::parse("https://h.example/v1.2/.well-known")
            .unwrap()
            .as_str(),
        "https://h.example/v1.2/.well-known"
    );
}

#[test]
fn a_request_cannot_name_an_undocumented_reference_type() {
    let mut p = AuditParams::customer(1);
    p.reference_type = Some(ReferenceType::Other);
    let e = audit_url(&eu(), &p, Generation::Current).unwrap_err();
    assert_eq!(e.param, "referenceType");
    assert_eq!(ReferenceType::parse(ReferenceType::Other.as_str()), None);
}
