//! Hands a file to the browser as a download, through a temporary object URL.

use explorer_model::ExportFile;
use leptos::prelude::document;
use wasm_bindgen::JsCast;

/// Saves `file`; a browser that refuses says so in the console (nothing is lost).
pub fn save(file: &ExportFile) {
    if let Err(e) = try_save(file) {
        leptos::logging::error!("export failed: {e:?}");
    }
}

fn try_save(file: &ExportFile) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&file.text.as_str().into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&file.mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(&file.name);
    a.click();
    web_sys::Url::revoke_object_url(&url)
}
