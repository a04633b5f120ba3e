//! The HTTP adapter: the requests the session plan hands out, performed with gloo-net. A
//! redirect is never followed (`redirect: "manual"`): following it would resend the credentials'
//! header, or the OAuth secret, to wherever it points. Header values come from the client's
//! checked types, so setting them cannot throw.

use capillary_client::{Credentials, EndpointError, Origin, Problem, TokenAnswer};
use leptos::prelude::window;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

use crate::schedule::now;

/// What became of a request.
pub enum Sent {
    /// An HTTP answer (any status) with its body as the browser holds it: handed to the engine
    /// as is, never copied or decoded here.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: js_sys::ArrayBuffer,
    },
    /// No answer the page may read: a network failure or a CORS refusal, or a redirect.
    Failed(Problem),
}

/// The origin the explorer is served from. An opaque one (a sandboxed frame, a file) is an
/// error to show: it is never guessed, since credentials are bound to what it resolves.
pub fn page_origin() -> Result<Origin, EndpointError> {
    Origin::parse(&window().location().origin().unwrap_or_default())
}

/// GET `url` with the credentials' header, when (and only when) the URL is within the API
/// they were entered for; a URL outside it is refused before anything is sent.
pub async fn get(url: &str, credentials: &Credentials, page: &Origin, cross_origin: bool) -> Sent {
    let header = match credentials.header_for(url, page, now().max(0) as u64) {
        Ok(h) => h,
        Err(e) => {
            return Sent::Failed(Problem::unrecognised(format!(
                "the request was not sent: {e}"
            )))
        }
    };
    let mut request = gloo_net::http::Request::get(url).redirect(web_sys::RequestRedirect::Manual);
    if let Some((name, value)) = &header {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send().await {
        Ok(response) if response.type_() == web_sys::ResponseType::Opaqueredirect => {
            Sent::Failed(Problem::redirected())
        }
        Ok(response) => {
            let status = response.status();
            let headers: Vec<(String, String)> = response.headers().entries().collect();
            let body = web_sys::Response::from(response)
                .array_buffer()
                .map(wasm_bindgen_futures::JsFuture::from);
            match body {
                Ok(future) => match future.await {
                    Ok(body) => Sent::Answer {
                        status,
                        headers,
                        body: body.unchecked_into(),
                    },
                    Err(_) => {
                        Sent::Failed(Problem::network("the answer broke off", cross_origin, 1))
                    }
                },
                Err(_) => Sent::Failed(Problem::network(
                    "the answer could not be read",
                    cross_origin,
                    1,
                )),
            }
        }
        Err(e) => Sent::Failed(Problem::network(&e.to_string(), cross_origin, 1)),
    }
}

/// Asks the token endpoint for a new OAuth token for `credentials`.
pub async fn renew_token(
    credentials: &mut Credentials,
    base: &capillary_client::ApiBase,
    page: &Origin,
) -> Result<(), Problem> {
    let request = credentials
        .token_request(base, page)
        .map_err(|e| Problem::unrecognised(e.to_string()))?;
    let cross_origin = !base.is_same_origin(page);
    let sent = gloo_net::http::Request::post(&request.url)
        .redirect(web_sys::RequestRedirect::Manual)
        .header("Content-Type", "application/json")
        .body(request.body)
        .map_err(|e| Problem::network(&e.to_string(), cross_origin, 1))?
        .send()
        .await;
    let response = sent.map_err(|e| Problem::network(&e.to_string(), cross_origin, 1))?;
    if response.type_() == web_sys::ResponseType::Opaqueredirect {
        return Err(Problem::redirected());
    }
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match credentials.oauth_mut() {
        Some(o) => o.accept_token(token_answer(status, &text), now().max(0) as u64),
        None => Err(Problem::unrecognised(
            "these credentials are not OAuth".into(),
        )),
    }
}

/// Reads a token endpoint's answer with the browser's own `JSON.parse` (the page carries no
/// JSON code): `data.accessToken`, `data.ttlSeconds`, or the first `errors` entry.
fn token_answer(status: u16, text: &str) -> TokenAnswer {
    let Ok(v) = js_sys::JSON::parse(text) else {
        return TokenAnswer {
            status,
            ..TokenAnswer::default()
        };
    };
    let get = |v: &JsValue, k: &str| {
        js_sys::Reflect::get(v, &k.into())
            .ok()
            .filter(|x| !x.is_undefined() && !x.is_null())
    };
    let data = get(&v, "data");
    let error = get(&v, "errors").and_then(|e| get(&e, "0"));
    let number = |x: JsValue| {
        x.as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n as u64)
            .or_else(|| x.as_string()?.trim().parse().ok())
    };
    TokenAnswer {
        status,
        readable: true,
        access_token: data
            .as_ref()
            .and_then(|d| get(d, "accessToken"))
            .and_then(|t| t.as_string()),
        ttl_seconds: data
            .as_ref()
            .and_then(|d| get(d, "ttlSeconds"))
            .and_then(number),
        error_code: error
            .as_ref()
            .and_then(|e| get(e, "code"))
            .and_then(|c| c.as_f64())
            .map(|c| c as i64),
        error_message: error
            .as_ref()
            .and_then(|e| get(e, "message"))
            .and_then(|m| m.as_string()),
    }
}
