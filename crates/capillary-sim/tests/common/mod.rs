//! Shared helpers: start a simulator on an ephemeral port, call it.
#![allow(dead_code)]

use capillary_sim::{basic_auth_header, spawn, Config, CustomerSize, Running};
use serde_json::Value;

pub const DEMO_ID: i64 = audit_gen::DEMO_CUSTOMER_ID;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub fn auth() -> String {
    basic_auth_header("demo", "demo123")
}

/// A small world: the demo customer and a 57-record customer (id 98662653).
pub fn small_config() -> Config {
    Config {
        customers: vec![
            Config::default().customers[0].clone(),
            CustomerSize {
                id: Some(98_662_653),
                records: 57,
                cards: vec![4],
                merge: true,
            },
        ],
        ..Config::default()
    }
}

pub async fn start(cfg: Config) -> Running {
    spawn(cfg).await.expect("simulator starts")
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// The first error's code of an error envelope.
    pub fn code(&self) -> i64 {
        let v = self.json();
        assert_eq!(v["warnings"], serde_json::json!([]));
        assert_eq!(v["errors"][0]["status"], false);
        v["errors"][0]["code"].as_i64().unwrap()
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> Reply {
    let r = req.send().await.expect("request");
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().await.expect("body").to_vec(),
    }
}

/// GET `path_and_query` with the demo Basic credentials.
pub async fn get(sim: &Running, path_and_query: &str) -> Reply {
    send(
        client()
            .get(format!("{}{path_and_query}", sim.url()))
            .header("Authorization", auth()),
    )
    .await
}

/// GET with an extra header.
pub async fn get_with(sim: &Running, path_and_query: &str, name: &str, value: &str) -> Reply {
    send(
        client()
            .get(format!("{}{path_and_query}", sim.url()))
            .header("Authorization", auth())
            .header(name, value),
    )
    .await
}

/// All records of a listing, page by page (`extra` are more query params).
pub async fn all_pages(sim: &Running, base: &str, extra: &str, limit: u64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page = 0;
    loop {
        let r = get(sim, &format!("{base}&limit={limit}&pageNo={page}{extra}")).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        let data = v["data"].as_array().unwrap().clone();
        let p = &v["pagination"];
        assert_eq!(p["number"], page);
        assert_eq!(p["numberOfElements"], data.len());
        let total = p["totalElements"].as_u64().unwrap();
        assert_eq!(p["totalPages"], total.div_ceil(limit));
        out.extend(data);
        page += 1;
        if page >= p["totalPages"].as_u64().unwrap() {
            assert_eq!(out.len() as u64, total);
            return out;
        }
    }
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("capillary-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
