//! Permalinks and change sets: an event's key survives more pages arriving (which renumbers
//! event ids) and a reload in another order, and a request's events are found from its index.

mod common;

use audit_core::{parse_response, Store};
use common::{parsed, seed, seed_dir};

fn every_seed() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(seed_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let b = seed(&n);
            (n, b)
        })
        .collect()
}

fn store_of(pages: &[(String, Vec<u8>)]) -> Store {
    let mut store = Store::new();
    for (name, bytes) in pages {
        store.ingest_page(name, parse_response(bytes));
    }
    store
}

#[test]
fn every_key_finds_its_event_again() {
    let store = store_of(&every_seed());
    assert!(store.len() > 20, "{}", store.len());
    for e in store.events() {
        let key = store.event_key(e.id());
        assert_eq!(store.find_event(&key), Some(e.id()), "{key}");
    }
    assert_eq!(store.find_event("nonsense"), None);
    assert_eq!(store.find_event("no-such-request~0"), None);
    assert_eq!(store.find_event("@12~x"), None);
    assert_eq!(store.find_event("@none~zzzzzzzz"), None);
    // Links written by the previous explorer (`<request>~<position>`) still open their event.
    let e = store.events().find(|e| e.request_id().is_some()).unwrap();
    let peers = store.request_events(e.id());
    let n = peers.iter().position(|&p| p == e.id()).unwrap();
    let old = format!("{}~{n}", e.request_id().unwrap());
    assert_eq!(store.find_event(&old), Some(e.id()));
}

#[test]
fn a_key_names_the_same_event_after_more_pages_and_in_another_load_order() {
    let pages = every_seed();
    let first = store_of(&pages[..1]);
    let keys: Vec<(String, String, String)> = first
        .events()
        .map(|e| {
            (
                first.event_key(e.id()),
                e.field_key().to_owned(),
                e.current().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut reversed = pages.clone();
    reversed.reverse();
    let all = store_of(&reversed);
    for (key, field, current) in keys {
        let id = all.find_event(&key).unwrap_or_else(|| panic!("{key} lost"));
        let e = all.event(id);
        assert_eq!(
            (e.field_key(), e.current().unwrap_or_default()),
            (field.as_str(), current.as_str()),
            "{key}"
        );
    }
}

#[test]
fn the_request_index_gives_the_change_set_of_an_event() {
    let store = store_of(&every_seed());
    for e in store.events() {
        let peers = store.request_events(e.id());
        assert!(peers.contains(&e.id()));
        assert!(peers.windows(2).all(|w| w[0] < w[1]), "in time order");
        // The same as a scan of every event.
        let scanned: Vec<u32> = match e.request_id() {
            Some(rid) => store
                .events()
                .filter(|o| o.request_id() == Some(rid))
                .map(|o| o.id())
                .collect(),
            None => store
                .events()
                .filter(|o| o.request_id().is_none() && o.time() == e.time())
                .map(|o| o.id())
                .collect(),
        };
        assert_eq!(peers, scanned, "{:?}", e.request_id());
        for &p in &peers {
            assert_eq!(store.same_request(e.id(), p), e.request_id().is_some());
        }
    }
    // A request with several events: the card-status seed's change set.
    let card = {
        let mut s = Store::new();
        s.ingest(parsed("audit-current-card-648089-card-status.json"));
        s
    };
    assert!(card.events().any(|e| card.request_events(e.id()).len() > 1));
}

#[test]
fn events_without_a_request_id_or_a_time_have_keys_too() {
    let page = br#"{"data":[
        {"autoUpdateTime":1700000000000,"events":[{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{"currentValue":"1"}},{"eventType":"Identifiers","updatedField":"email","additionalFields":{"currentValue":"a"}}]},
        {"events":[{"eventType":"Identifiers","updatedField":"mobile","additionalFields":{"currentValue":"2"}}]}
    ],"pagination":{"number":0,"totalPages":1,"totalElements":2}}"#;
    let mut store = Store::new();
    store.ingest(parse_response(page));
    assert_eq!(store.len(), 3);
    let keys: Vec<String> = store.events().map(|e| store.event_key(e.id())).collect();
    assert!(keys.iter().any(|k| k.starts_with("@none~")), "{keys:?}");
    assert!(
        keys.iter()
            .filter(|k| k.starts_with("@1700000000000~"))
            .count()
            == 2,
        "{keys:?}"
    );
    for (id, key) in keys.iter().enumerate() {
        assert_eq!(store.find_event(key), Some(id as u32), "{key}");
    }
}
