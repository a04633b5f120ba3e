//! Plain JavaScript objects from Rust and back: what crosses `postMessage` to a host page and
//! what sessionStorage keeps. Read and written with the browser's own `JSON` and `Reflect`, so
//! the page's module carries no JSON code of its own.

use wasm_bindgen::JsValue;

/// An object being built, a member at a time.
pub struct Object(js_sys::Object);

impl Object {
    pub fn new() -> Object {
        Object(js_sys::Object::new())
    }

    pub fn with(self, key: &str, value: impl Into<JsValue>) -> Object {
        let _ = js_sys::Reflect::set(&self.0, &key.into(), &value.into());
        self
    }

    pub fn into_js(self) -> JsValue {
        self.0.into()
    }
}

/// Member `key` of `value`, unless absent or null.
pub fn member(value: &JsValue, key: &str) -> Option<JsValue> {
    if !value.is_object() {
        return None;
    }
    js_sys::Reflect::get(value, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Member `key` when it is a string.
pub fn text(value: &JsValue, key: &str) -> Option<String> {
    member(value, key)?.as_string()
}

/// Member `key` as text: a string, or a number written as one (a host may send either).
pub fn text_or_number(value: &JsValue, key: &str) -> Option<String> {
    let v = member(value, key)?;
    v.as_string().or_else(|| {
        v.as_f64()
            .filter(|n| n.is_finite() && n.fract() == 0.0)
            .map(|n| format!("{n:.0}"))
    })
}

/// `JSON.parse`, `None` for text that is not JSON.
pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

/// `JSON.stringify`.
pub fn stringify(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value).ok()?.as_string()
}

/// What `JSON.parse` gave, as explorer-config's [`Json`](explorer_config::Json). Nesting is
/// cut at a depth no config has (a hostile file cannot exhaust the stack).
pub fn to_json(value: &JsValue) -> explorer_config::Json {
    to_json_at(value, 0)
}

fn to_json_at(value: &JsValue, depth: usize) -> explorer_config::Json {
    use explorer_config::Json;
    if depth > 32 {
        return Json::Null;
    }
    if let Some(b) = value.as_bool() {
        Json::Bool(b)
    } else if let Some(n) = value.as_f64() {
        Json::Number(n)
    } else if let Some(s) = value.as_string() {
        Json::String(s)
    } else if js_sys::Array::is_array(value) {
        Json::Array(
            js_sys::Array::from(value)
                .iter()
                .map(|item| to_json_at(&item, depth + 1))
                .collect(),
        )
    } else if value.is_object() {
        let object: &js_sys::Object = wasm_bindgen::JsCast::unchecked_ref(value);
        Json::Object(
            js_sys::Object::entries(object)
                .iter()
                .filter_map(|pair| {
                    let pair = js_sys::Array::from(&pair);
                    Some((
                        pair.get(0).as_string()?,
                        to_json_at(&pair.get(1), depth + 1),
                    ))
                })
                .collect(),
        )
    } else {
        Json::Null
    }
}
