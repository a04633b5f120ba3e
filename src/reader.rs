//! What the browser says of its reader that the page's text follows: how counts are grouped
//! ("10,44,880 events" for a reader in India, "1,044,880" elsewhere).

use explorer_model::Grouping;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Sets the grouping of every count the page writes from the reader's preferred languages
/// (`navigator.languages`, as `Intl.NumberFormat` writes numbers for them). The engine's
/// worker asks the same of the same browser (crates/explorer-worker/src/intl.rs), so the page
/// and the worker write counts alike.
pub fn group_counts_for_reader() {
    reader_grouping().set_for_reader();
}

fn reader_grouping() -> Grouping {
    let sample = (|| {
        let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
        let languages = Reflect::get(&navigator, &"languages".into()).ok()?;
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let number_format: Function = Reflect::get(&intl, &"NumberFormat".into())
            .ok()?
            .dyn_into()
            .ok()?;
        // A language tag Intl rejects throws here (a RangeError), caught as `None`.
        let format = Reflect::construct(&number_format, &Array::of1(&languages)).ok()?;
        let format: Function = Reflect::get(&format, &"format".into())
            .ok()?
            .dyn_into()
            .ok()?;
        format
            .call1(&JsValue::UNDEFINED, &JsValue::from_f64(1_234_567_890.0))
            .ok()?
            .as_string()
    })();
    sample.map_or_else(Grouping::default, |sample| Grouping::of_sample(&sample))
}
