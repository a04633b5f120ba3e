//! Current-API audit pages with the data mix of the native bench
//! (`crates/audit-core/benches/audit_core.rs`: 40 % push-token changes, 20 % mobile, 10 % card
//! number, status label, subscription and standard field each; 5 % of records with two events;
//! 10 % Member Care; 1 customer per 50 events), produced one page at a time so a million events
//! (~665 MB of JSON) never have to exist at once. The shapes and shares are that bench's, the
//! random draws audit-gen's, so the browser figures compare with the native ones.

use std::fmt::Write as _;

/// audit-gen's SplitMix64, the generator of the demo and the simulator.
type Rng = audit_gen::rng::Rng;

const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 156-character FCM-like push token.
fn token(rng: &mut Rng) -> String {
    let mut pick = |n: usize| -> String {
        (0..n)
            .map(|_| TOKEN_ALPHABET[rng.below(TOKEN_ALPHABET.len() as u64) as usize] as char)
            .collect()
    };
    format!("{}:APA91b{}", pick(22), pick(134))
}

fn mobile(rng: &mut Rng) -> String {
    format!("9{:09}", rng.below(1_000_000_000))
}

/// Per-customer state, so values chain (a token's current is the next previous).
struct Customer {
    id: u64,
    mobile: String,
    token: String,
    status_label: u32,
}

const USERS: [&str; 4] = ["aldo.till.1", "aldo.till.2", "store.manager", "mc.agent"];
const SOURCES: [&str; 5] = ["INSTORE", "MAPP_SDK", "instore", "WEB_ENGAGE", "MOBILE_APP"];
const MEMBER_CARE: &str = r#"{"entityType":"INTOUCH_ADMIN_USER","entityId":"75015489","entitySource":"MEMBER_CARE","entitySourceId":"Achyuthanandan S"}"#;

/// Pages of `per_page` records holding `events` events in all (the last page may be short).
pub struct Pages {
    events: usize,
    per_page: usize,
    rng: Rng,
    people: Vec<Customer>,
    time: u64,
    made: usize,
    page_no: usize,
}

impl Pages {
    pub fn new(events: usize, per_page: usize, seed: u64) -> Pages {
        let mut rng = Rng::new(seed);
        let customers = (events / 50).max(1);
        let people = (0..customers)
            .map(|i| Customer {
                id: 90_000_000 + i as u64,
                mobile: mobile(&mut rng),
                token: token(&mut rng),
                status_label: 53,
            })
            .collect();
        Pages {
            events,
            per_page,
            rng,
            people,
            time: 1_600_000_000_000,
            made: 0,
            page_no: 0,
        }
    }

    /// One record's `events` array members for customer `c`.
    fn push_event(&mut self, c: usize, out: &mut String) {
        let rng = &mut self.rng;
        let c = &mut self.people[c];
        let (kind, field, fields) = match rng.below(10) {
            0..=3 => {
                let new = token(rng);
                let pair = change(&c.token, &new);
                c.token = new;
                ("Communication Channels", "ios", pair)
            }
            4..=5 => {
                let new = mobile(rng);
                let pair = change(&c.mobile, &new);
                c.mobile = new;
                ("Identifiers", "mobile", pair)
            }
            6 => {
                let card = format!("GOLD{:012}", rng.below(1_000_000_000_000));
                ("Identifiers", "cardnumber", change("NA", &card))
            }
            7 => {
                let new = 53 + (c.status_label - 52) % 3;
                let fields = format!(
                    r#""previousLabelId":"{}","previousValue":"ACTIVE","currentValue":"ACTIVE","currentLabelId":"{new}""#,
                    c.status_label
                );
                c.status_label = new;
                ("Customer Status", "CustomerStatus", fields)
            }
            8 => {
                let channel = ["EMAIL", "ANDROID", "SMS"][rng.below(3) as usize];
                let (p, n) = if rng.below(2) == 0 {
                    ("NA", "OPTIN")
                } else {
                    ("OPTIN", "OPTOUT")
                };
                let fields = format!(
                    r#""org_source_id":"399","communication_channel_type":"{channel}","ou_id":"-1","communication_channel_id":"2","priority":"TRANS","org_source":"WEB_ENGAGE","previousValue":"{p}","currentValue":"{n}""#
                );
                ("Subscription Status", "SubscriptionStatus", fields)
            }
            _ => {
                let names = ["V", "Vatsal", "Kumar", "Sharma", "Rao"];
                let p = names[rng.below(5) as usize];
                let n = names[rng.below(5) as usize];
                ("Standard Fields", "LastName", change(p, n))
            }
        };
        let _ = write!(
            out,
            r#"{{"eventType":"{kind}","updatedField":"{field}","additionalFields":{{{fields}}},"associateEntities":null}}"#
        );
    }
}

fn change(previous: &str, current: &str) -> String {
    format!(r#""previousValue":"{previous}","currentValue":"{current}""#)
}

impl Iterator for Pages {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.made >= self.events {
            return None;
        }
        let mut body = String::with_capacity(self.per_page * 700);
        body.push_str("{\"data\":[");
        let mut in_page = 0;
        while in_page < self.per_page && self.made < self.events {
            if in_page > 0 {
                body.push(',');
            }
            let rng = &mut self.rng;
            self.time += 1 + rng.below(600_000);
            let c = rng.below(self.people.len() as u64) as usize;
            let user = if rng.below(3) == 0 {
                "null".to_owned()
            } else {
                format!("\"{}\"", USERS[rng.below(4) as usize])
            };
            let request: String = (0..4)
                .map(|_| format!("{:08x}", rng.next_u64() as u32))
                .collect();
            let (mode, context) = if rng.below(10) == 0 {
                ("MEMBER_CARE", MEMBER_CARE)
            } else {
                ("API", "null")
            };
            let n_events = if rng.below(20) == 0 { 2 } else { 1 };
            let mut events = String::new();
            for k in 0..n_events {
                if k > 0 {
                    events.push(',');
                }
                self.push_event(c, &mut events);
            }
            let rng = &mut self.rng;
            let _ = write!(
                body,
                r#"{{"updatedByUser":{user},"updatedBy":{},"orgId":100458,"entityType":"CUSTOMER","entityId":{},"createdOn":{},"requestId":"{request}","till":null,"store":null,"userContextDetails":{context},"victimUserDetails":null,"survivorUserDetails":null,"source":"{}","updatedByMode":"{mode}","autoUpdateTime":{},"events":[{events}]}}"#,
                75_000_000 + rng.below(100),
                self.people[c].id,
                self.time + 5,
                SOURCES[rng.below(5) as usize],
                self.time,
            );
            self.made += n_events;
            in_page += 1;
        }
        let _ = write!(
            body,
            r#"],"pagination":{{"totalElements":{},"totalPages":0,"numberOfElements":{in_page},"number":{}}}}}"#,
            self.events, self.page_no
        );
        self.page_no += 1;
        Some(body.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_core::{parse_response, Store};

    #[test]
    fn pages_parse_cleanly_and_hold_the_asked_number_of_events() {
        let mut store = Store::new();
        let mut pages = 0;
        for page in Pages::new(2_500, 1000, 7) {
            let parsed = parse_response(&page);
            assert!(parsed.damaged.is_empty(), "page {pages} is damaged");
            store.ingest(parsed);
            pages += 1;
        }
        assert_eq!(pages, 3);
        assert!((2_500..2_502).contains(&store.len()), "{}", store.len());
    }

    #[test]
    fn same_seed_same_bytes() {
        let a: Vec<Vec<u8>> = Pages::new(1_200, 500, 3).collect();
        let b: Vec<Vec<u8>> = Pages::new(1_200, 500, 3).collect();
        assert_eq!(a, b);
        assert_ne!(a, Pages::new(1_200, 500, 4).collect::<Vec<_>>());
    }
}
