//! Classification of failed responses into what a support agent reads.

use capillary_client::*;

fn envelope(code: i64, message: &str) -> Vec<u8> {
    audit_gen::error_body(code, message)
}

fn no_headers() -> Vec<(String, String)> {
    Vec::new()
}

#[test]
fn kinds_have_stable_strings() {
    let all = [
        (ProblemKind::BadRequest, "bad-request"),
        (ProblemKind::Unauthorized, "unauthorized"),
        (ProblemKind::Forbidden, "forbidden"),
        (ProblemKind::NotFound, "not-found"),
        (ProblemKind::RateLimited, "rate-limited"),
        (ProblemKind::Server, "server"),
        (ProblemKind::Network, "network"),
        (ProblemKind::Damaged, "damaged"),
        (ProblemKind::Unrecognised, "unrecognised"),
        (ProblemKind::Redirected, "redirected"),
        (ProblemKind::ListingTooLarge, "listing-too-large"),
    ];
    for (k, s) in all {
        assert_eq!(k.as_str(), s);
        assert_eq!(
            k.is_transient(),
            matches!(
                k,
                ProblemKind::RateLimited | ProblemKind::Server | ProblemKind::Network
            )
        );
    }
}

#[test]
fn bad_request_names_the_parameter() {
    let cases = [
        ("entityId must be a number", Some("entityId")),
        ("sortOrder must be ASC or DESC", Some("sortOrder")),
        ("limit must be between 1 and 500", Some("limit")),
        (
            "startDate must look like 2022-08-18 12:00:00 or 2022-08-18",
            Some("startDate"),
        ),
        ("number is required", Some("number")),
        ("Something odd", None),
    ];
    for (msg, param) in cases {
        let p = Problem::from_http(400, &no_headers(), &envelope(400, msg), 0);
        assert_eq!(p.kind, ProblemKind::BadRequest, "{msg}");
        assert_eq!(p.kind_str(), "bad-request");
        assert_eq!(p.param.as_deref(), param, "{msg}");
        assert_eq!(p.api_message.as_deref(), Some(msg));
        assert_eq!(p.status, Some(400));
        if let Some(name) = param {
            assert!(p.message.contains(name), "{}", p.message);
        }
    }
    // Our own validation reads the same way.
    let e = AuditParams {
        limit: Some(0),
        ..AuditParams::customer(1)
    }
    .validate()
    .unwrap_err();
    let p = Problem::from_param_error(&e);
    assert_eq!(
        (p.kind, p.param.as_deref()),
        (ProblemKind::BadRequest, Some("limit"))
    );
    assert!(p.to_string().contains("limit"));
}

#[test]
fn capillary_codes_win_over_status() {
    let p = Problem::from_http(
        404,
        &no_headers(),
        &envelope(8015, "Customer not found for the given identifiers"),
        0,
    );
    assert_eq!((p.kind, p.code), (ProblemKind::NotFound, Some(8015)));
    assert!(p.message.contains("No customer"));
    // Some clusters answer 8015 with 200 or 400.
    for status in [200, 400] {
        assert_eq!(
            Problem::from_http(status, &no_headers(), &envelope(8015, "x"), 0).kind,
            ProblemKind::NotFound
        );
    }
    let p = Problem::from_http(
        400,
        &no_headers(),
        &envelope(3010, "Card number does not exist"),
        0,
    );
    assert_eq!((p.kind, p.code), (ProblemKind::NotFound, Some(3010)));
    assert!(p.message.contains("card number"));
    let p = Problem::from_http(400, &no_headers(), &envelope(8003, "Invalid source"), 0);
    assert_eq!(
        (p.kind, p.param.as_deref()),
        (ProblemKind::BadRequest, Some("source"))
    );
    let p = Problem::from_http(404, &no_headers(), b"", 0);
    assert_eq!((p.kind, p.code), (ProblemKind::NotFound, None));
}

#[test]
fn auth_and_access_problems() {
    let p = Problem::from_http(
        401,
        &no_headers(),
        &envelope(401, "Invalid username or password"),
        0,
    );
    assert_eq!(p.kind_str(), "unauthorized");
    assert!(p.next_step.contains("password"));
    let p = Problem::from_http(403, &no_headers(), b"<html>Forbidden</html>", 0);
    assert_eq!(p.kind_str(), "forbidden");
    assert!(
        p.next_step.contains("Behavioural events"),
        "{}",
        p.next_step
    );
}

#[test]
fn rate_limit_reads_retry_after_and_counts_down() {
    let now = 1_700_000_000_000;
    let h = vec![("Retry-After".to_string(), "12".to_string())];
    let p = Problem::from_http(
        429,
        &h,
        &envelope(429, "Rate limit exceeded, retry later"),
        now,
    );
    assert_eq!(p.kind_str(), "rate-limited");
    assert_eq!(p.retry_at_ms, Some(now + 12_000));
    assert_eq!(p.next_step_at(now), "Retrying in 12 s.");
    assert_eq!(p.next_step_at(now + 2_500), "Retrying in 10 s.");
    let lower = vec![(
        "retry-after".to_string(),
        "Thu, 14 Nov 2023 22:14:20 GMT".to_string(),
    )];
    assert_eq!(
        Problem::from_http(429, &lower, b"", now).retry_at_ms,
        Some(1_700_000_060_000)
    );
    assert_eq!(
        Problem::from_http(429, &no_headers(), b"", now).retry_at_ms,
        None
    );
    let gave_up = Problem::rate_limited(None, 5).gave_up(5);
    assert!(gave_up.next_step.contains("Gave up after 5"));
    assert_eq!(countdown(now + 125_000, now), "2 min 5 s");
}

#[test]
fn retry_after_forms() {
    let now = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
    assert_eq!(parse_retry_after("0", now), Some(now));
    assert_eq!(parse_retry_after(" 120 ", now), Some(now + 120_000));
    assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Sun Nov  6 08:49:37 1994"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"),
        Some(1_709_164_800_000)
    );
    // A date in the past means now.
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
        Some(now)
    );
    for bad in [
        "",
        "-5",
        "1.5",
        "soon",
        "Thu, 30 Feb 2023 00:00:00 GMT",
        "Thu, 01 Foo 2023 00:00:00 GMT",
        "Thu, 01 Jan 2023 25:00:00 GMT",
    ] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
    }
}

#[test]
fn server_errors_retry_then_give_up() {
    let p = Problem::from_http(503, &no_headers(), &envelope(503, "Simulated failure"), 0);
    assert_eq!(p.kind_str(), "server");
    assert!(p.next_step.contains("Retrying"));
    let p = Problem::from_http(521, &no_headers(), &envelope(521, "Multiple actions"), 0);
    assert_eq!(p.kind_str(), "server");
    assert!(p.message.contains("521"));
    let p = p.gave_up(4);
    assert_eq!(p.attempts, 4);
    assert!(
        p.next_step.contains("Gave up after 4 attempts"),
        "{}",
        p.next_step
    );
}

#[test]
fn network_or_cors_points_to_the_proxy_section() {
    let p = Problem::network("TypeError: Failed to fetch", true, 3);
    assert_eq!(p.kind_str(), "network");
    assert!(p.message.contains("CORS"));
    assert!(p.next_step.contains("Same-origin proxy"));
    assert_eq!(p.api_message.as_deref(), Some("TypeError: Failed to fetch"));
    let same = Problem::network("", false, 1);
    assert!(!same.message.contains("CORS"));
    assert!(same.next_step.contains("Same-origin proxy"));
}

#[test]
fn damaged_and_unrecognised() {
    let p = Problem::damaged(9, 1);
    assert_eq!(p.kind_str(), "damaged");
    assert!(
        p.message
            .contains("9 records recovered, 1 damaged part skipped"),
        "{}",
        p.message
    );
    let p = Problem::unrecognised("found an HTML page".into());
    assert_eq!(p.kind_str(), "unrecognised");
    // A 2xx that is only an error envelope is not data.
    let p = Problem::from_http(200, &no_headers(), &envelope(1234, "odd"), 0);
    assert_eq!(p.kind, ProblemKind::Unrecognised);
    assert_eq!(p.api_message.as_deref(), Some("odd"));
}

#[test]
fn a_redirect_is_a_named_problem_for_every_kind_of_request() {
    // The plan, the lookup, the status logs and the token request all read an answer the same
    // way: an opaque redirect (`redirect: "manual"`) and a 3xx both say what happened.
    let now = 1_700_000_000_000;
    let opaque = Problem::from_outcome(&Outcome::Redirected, true, 1, now);
    assert_eq!(opaque.kind, ProblemKind::Redirected);
    assert_eq!(opaque.kind_str(), "redirected");
    assert!(
        !opaque.kind.is_transient(),
        "retrying cannot fix an address"
    );
    assert_eq!(
        opaque.message,
        "The API answered with a redirect; credentials are never re-sent elsewhere."
    );
    assert!(opaque.next_step.contains("address"), "{}", opaque.next_step);
    assert_eq!(opaque.attempts, 1);
    let mut expected = Problem::redirected();
    expected.attempts = 1;
    assert_eq!(opaque, expected);
    for status in [301, 302, 303, 307, 308] {
        let p = Problem::from_http(status, &no_headers(), b"", now);
        assert_eq!((p.kind, p.status), (ProblemKind::Redirected, Some(status)));
        let outcome = Outcome::Http {
            status,
            headers: vec![("Location".into(), "https://elsewhere.example/".into())],
            body: Vec::new(),
        };
        assert_eq!(
            Problem::from_outcome(&outcome, true, 1, now).kind,
            ProblemKind::Redirected
        );
    }
    // The other outcomes read as before.
    let network = Outcome::Network("TypeError: Failed to fetch".into());
    assert_eq!(
        Problem::from_outcome(&network, true, 2, now),
        Problem::network("TypeError: Failed to fetch", true, 2)
    );
    let refused = Outcome::Http {
        status: 401,
        headers: Vec::new(),
        body: envelope(401, "Invalid username or password"),
    };
    assert_eq!(
        Problem::from_outcome(&refused, true, 1, now).kind,
        ProblemKind::Unauthorized
    );
    let not_found = Outcome::Ok(envelope(8015, "Customer not found"));
    assert_eq!(
        Problem::from_outcome(&not_found, true, 1, now).kind,
        ProblemKind::NotFound
    );
}
