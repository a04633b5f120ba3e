//! The fused ingest (`Store::ingest_bytes`) against the owned path
//! (`parse_response` + `Store::ingest_page`) on random valid pages built to
//! reach every branch of the fused reader: members in any order, of the
//! right and the wrong type, duplicated, unknown, status-log members, escaped
//! keys and strings, numbers `i64` does not hold, `-0`, floats, nested JSON
//! in objects, indented and compact text, both generations, records repeated
//! across pages (with and without their user context). Each page goes into a
//! store that holds the pages before it, so deduplication is compared too.

mod common;

use audit_core::Store;
use common::check_fused;

/// xorshift64*, so every run builds the same pages.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const STRINGS: [&str; 14] = [
    r#""INSTORE""#,
    r#""instore""#,
    r#""a\"b""#,
    r#""\u00e9t\u00e9""#,
    r#""Größe""#,
    r#""""#,
    r#""NA""#,
    r#""fCyvtyp0MkXjl_Rv4XUZ2F:APA91bGR32O5Bia8L15AMxYzQ-9_kkWWqP0aBcDeFgHiJ""#,
    r#""2023-10-27T06:14:41Z""#,
    r#""1712905980709""#,
    r#""x\\y\/z\n""#,
    r#""\ud83d\ude00""#,
    r#""aldo.till.1""#,
    r#""EMAIL""#,
];
const NUMBERS: [&str; 16] = [
    "0",
    "7",
    "-3",
    "1712905980709",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "-0",
    "2.5",
    "1e3",
    "1E-2",
    "12.0",
    "253402300800000",
    "-62135596800001",
    "75015489",
    "100458",
];
const NESTED: [&str; 7] = [
    r#"{"a":1,"b":[1,"x",{"c":null}]}"#,
    "[]",
    "{}",
    "[1, 2]",
    r#"{"b":2,"a":1}"#,
    r#"{"a":1,"a":2}"#,
    r#"[{"entityType":"CUSTOMER"},true]"#,
];

/// Whitespace between tokens: none on compact pages, some on indented ones.
fn ws(rng: &mut Rng, indented: bool) -> &'static str {
    if !indented {
        return "";
    }
    ["", " ", "\n    ", "\t", "\r\n"][rng.below(5)]
}

fn any_value(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=3 => rng.pick(&STRINGS).to_owned(),
        4..=6 => rng.pick(&NUMBERS).to_owned(),
        7 => rng.pick(&["true", "false", "null"]).to_owned(),
        _ => rng.pick(&NESTED).to_owned(),
    }
}

fn object(rng: &mut Rng, keys: &[&str], indented: bool) -> String {
    let mut o = String::from("{");
    for k in 0..rng.below(keys.len() + 2) {
        if k > 0 {
            o.push(',');
        }
        o.push_str(ws(rng, indented));
        let key = rng.pick(keys);
        let value = if rng.chance(70) {
            rng.pick(&STRINGS).to_owned()
        } else {
            any_value(rng)
        };
        o.push_str(&format!("\"{key}\":{}{value}", ws(rng, indented)));
    }
    o.push_str(ws(rng, indented));
    o.push('}');
    o
}

/// A value for a typed member: usually of its type (or null), sometimes of
/// any type (the owned path keeps that as an unknown member).
fn typed(rng: &mut Rng, kind: &str, indented: bool) -> String {
    if rng.chance(12) {
        return any_value(rng);
    }
    if rng.chance(10) {
        return "null".into();
    }
    match kind {
        "str" => rng.pick(&STRINGS).to_owned(),
        "int" => rng.pick(&NUMBERS[..7]).to_owned(),
        "time" => match rng.below(3) {
            0 => rng
                .pick(&["1712905980709", "1600000000005", "253402300800000"])
                .to_owned(),
            1 => rng
                .pick(&[
                    r#""2023-10-27T06:14:41Z""#,
                    r#""2025-01-30T09:17:06+05:30""#,
                    r#""garbage""#,
                ])
                .to_owned(),
            _ => rng.pick(&NUMBERS).to_owned(),
        },
        "obj" => object(
            rng,
            &["code", "name", "entityType", "entityId", "entitySourceId"],
            indented,
        ),
        _ => {
            // events
            let mut l = String::from("[");
            for k in 0..rng.below(4) {
                if k > 0 {
                    l.push(',');
                }
                l.push_str(ws(rng, indented));
                l.push_str(&event(rng, indented));
            }
            if rng.chance(3) {
                l.push_str(if l.len() > 1 { ",1" } else { "1" });
            }
            l.push(']');
            l
        }
    }
}

fn event(rng: &mut Rng, indented: bool) -> String {
    const AF_KEYS: [&str; 13] = [
        "previousValue",
        "currentValue",
        "previousLabelId",
        "currentLabelId",
        "value",
        "labelId",
        "communication_channel_type",
        "priority",
        "org_source",
        "ou_id",
        "communication_channel_id",
        "org_source_id",
        "x",
    ];
    let mut members: Vec<String> = Vec::new();
    if rng.chance(90) {
        let t = if rng.chance(85) {
            rng.pick(&[
                r#""Identifiers""#,
                r#""Communication Channels""#,
                r#""Subscription Status""#,
                r#""Customer Status""#,
                r#""CommChannel""#,
                r#""Merge""#,
            ])
            .to_owned()
        } else {
            typed(rng, "str", indented)
        };
        members.push(format!("\"eventType\":{t}"));
    }
    if rng.chance(90) {
        let f = if rng.chance(85) {
            rng.pick(&[
                r#""mobile""#,
                r#""ios""#,
                r#""SubscriptionStatus""#,
                r#""LastName""#,
            ])
            .to_owned()
        } else {
            typed(rng, "str", indented)
        };
        members.push(format!("\"updatedField\":{f}"));
    }
    if rng.chance(90) {
        let af = if rng.chance(85) {
            object(rng, &AF_KEYS, indented)
        } else {
            any_value(rng)
        };
        members.push(format!("\"additionalFields\":{af}"));
    }
    if rng.chance(70) {
        let a = match rng.below(4) {
            0 => "null".to_owned(),
            1 => format!(
                "[{},{}]",
                object(rng, &["entityType", "entityId"], indented),
                object(rng, &["entityType", "entityId"], indented)
            ),
            2 => "[]".to_owned(),
            _ => any_value(rng),
        };
        members.push(format!("\"associateEntities\":{a}"));
    }
    if rng.chance(10) {
        members.push(format!("\"mystery\":{}", any_value(rng)));
    }
    if rng.chance(4) && !members.is_empty() {
        let again = members[rng.below(members.len())].clone();
        members.push(again);
    }
    shuffle(rng, &mut members);
    join_object(rng, &members, indented)
}

fn shuffle(rng: &mut Rng, v: &mut [String]) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

fn join_object(rng: &mut Rng, members: &[String], indented: bool) -> String {
    let mut o = String::from("{");
    for (k, m) in members.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push_str(ws(rng, indented));
        o.push_str(m);
    }
    o.push_str(ws(rng, indented));
    o.push('}');
    o
}

fn record(rng: &mut Rng, indented: bool) -> String {
    const MEMBERS: [(&str, &str); 16] = [
        ("updatedByUser", "str"),
        ("updatedBy", "int"),
        ("orgId", "int"),
        ("entityType", "str"),
        ("entityId", "int"),
        ("createdOn", "time"),
        ("requestId", "str"),
        ("till", "obj"),
        ("store", "obj"),
        ("userContextDetails", "obj"),
        ("victimUserDetails", "obj"),
        ("survivorUserDetails", "obj"),
        ("source", "str"),
        ("updatedByMode", "str"),
        ("autoUpdateTime", "time"),
        ("events", "events"),
    ];
    let mut members: Vec<String> = Vec::new();
    for (key, kind) in MEMBERS {
        if rng.chance(85) {
            let key = if key == "requestId" && rng.chance(3) {
                "request\\u0049d"
            } else {
                key
            };
            let v = typed(rng, kind, indented);
            members.push(format!("\"{key}\":{}{v}", ws(rng, indented)));
        }
    }
    if rng.chance(20) {
        let k = rng.pick(&["traceId", "x", "eventCount", ""]);
        members.push(format!("\"{k}\":{}", any_value(rng)));
    }
    if rng.chance(3) {
        let k = rng.pick(&["status", "isActive", "label", "reason", "autoUpdateTimeISO"]);
        members.push(format!("\"{k}\":{}", any_value(rng)));
    }
    if rng.chance(3) && !members.is_empty() {
        let again = members[rng.below(members.len())].clone();
        members.push(again);
    }
    if rng.chance(80) {
        shuffle(rng, &mut members);
    }
    join_object(rng, &members, indented)
}

/// A page of either generation; records sometimes repeat earlier ones
/// (from `earlier`), some with their user context taken away or given.
fn page(rng: &mut Rng, earlier: &mut Vec<String>) -> String {
    let indented = rng.chance(30);
    let legacy = rng.chance(25);
    let mut records = Vec::new();
    for _ in 0..rng.below(12) {
        let r = if !earlier.is_empty() && rng.chance(15) {
            let old = earlier[rng.below(earlier.len())].clone();
            match rng.below(3) {
                0 => old.replace(
                    r#""userContextDetails":null"#,
                    r#""userContextDetails":{"entitySourceId":"Achyuthanandan S"}"#,
                ),
                1 => old.replace(
                    r#""userContextDetails":{"#,
                    r#""userContextDetails":null,"x":{"#,
                ),
                _ => old,
            }
        } else {
            record(rng, indented)
        };
        earlier.push(r.clone());
        records.push(r);
    }
    let list = format!("[{}]", records.join(&format!(",{}", ws(rng, indented))));
    let mut members = vec![format!(
        "\"{}\":{}{list}",
        if legacy { "entity" } else { "data" },
        ws(rng, indented)
    )];
    if rng.chance(70) {
        members.push(format!(
            r#""pagination":{{"totalElements":{},"totalPages":{},"numberOfElements":{},"number":{}}}"#,
            rng.below(100),
            rng.below(9),
            records.len() + rng.below(2),
            rng.below(9)
        ));
    }
    if rng.chance(20) {
        members.push(r#""pagination":null"#.to_owned());
    }
    if legacy || rng.chance(10) {
        members.push(r#""warnings":[]"#.to_owned());
        members.push(
            rng.pick(&[
                r#""errors":[]"#,
                r#""errors":[{"code":8015,"message":"Customer not found","status":false}]"#,
                r#""errors":null"#,
            ])
            .to_owned(),
        );
        members.push(format!("\"success\":{}", rng.pick(&["true", "false", "1"])));
    }
    if rng.chance(10) {
        members.push(format!("\"traceId\":{}", any_value(rng)));
    }
    if rng.chance(5) {
        members.push(r#""data":{"token":"x"}"#.to_owned());
    }
    shuffle(rng, &mut members);
    join_object(rng, &members, indented)
}

#[test]
fn fused_path_matches_the_owned_path_on_random_valid_pages() {
    let mut rng = Rng(0xf05e_d1e5);
    let mut fused = 0;
    let mut pages = 0;
    for _ in 0..60 {
        // One listing of several pages into one store.
        let mut store = Store::new();
        let mut earlier = Vec::new();
        for _ in 0..rng.below(8) + 1 {
            let body = page(&mut rng, &mut earlier);
            assert!(
                serde_json::from_str::<serde_json::Value>(&body).is_ok(),
                "the generator makes valid JSON: {body}"
            );
            let summary = check_fused(&store, "listing", body.as_bytes());
            let parsed = audit_core::parse_response(body.as_bytes());
            let mut alone = Store::new();
            alone.ingest_bytes("", body.as_bytes());
            if alone.record_count() == parsed.records.len() {
                common::check_against_model(parsed);
            }
            fused += usize::from(summary.fused);
            pages += 1;
            store.ingest_bytes("listing", body.as_bytes());
        }
    }
    // Most pages are read by the fused reader (the rest are status-log-like
    // lists, which the owned path classifies).
    assert!(fused * 10 >= pages * 7, "{fused} of {pages} pages fused");
}

#[test]
fn seeds_are_read_by_the_fused_reader_except_damage_and_status_logs() {
    let mut names: Vec<_> = std::fs::read_dir(common::seed_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let bytes = common::seed(&name);
        let summary = check_fused(&Store::new(), &name, &bytes);
        assert_eq!(audit_core::summarise_page(&bytes), summary, "{name}");
        let expect = !name.contains("damaged") && !name.contains("status-log");
        assert_eq!(summary.fused, expect, "{name}");
        // Both generations, indented as saved: the counts are the page's.
        let p = audit_core::parse_response(&bytes);
        assert_eq!(summary.records, p.records.len(), "{name}");
    }
}

#[test]
fn a_refused_page_stores_nothing_and_a_bounded_total_is_what_the_listing_keeps() {
    let body = common::seed("audit-current-customer-98662653-page0-of-52.json");
    let mut store = Store::new();
    let (report, summary) = store.ingest_bytes_with("l", &body, |_| false);
    assert!(summary.fused && summary.records > 0 && summary.events >= summary.records);
    assert_eq!((report.records_added, store.len()), (0, 0));
    assert!(store.listings().is_empty());
    let (report, summary) = store.ingest_bytes_with("l", &body, |s| {
        if let Some(p) = s.pagination.as_mut() {
            p.total_pages = Some(3);
        }
        true
    });
    assert_eq!(report.records_added, summary.records);
    assert_eq!(store.listings()[0].total_pages, Some(3));
    // The damaged seed takes the owned path, with the same hook.
    let damaged = common::seed("audit-merge-134094571-damaged.json");
    let (_, summary) = Store::new().ingest_bytes_with("d", &damaged, |s| {
        assert!(s.is_damaged());
        true
    });
    assert!(!summary.fused && summary.damaged[0].reason.contains("line"));
}
