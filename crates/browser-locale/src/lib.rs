//! What the browser says of its reader's locale that the explorer's text follows: how counts
//! are grouped ("10,44,880 events" for a reader in India, "1,044,880" elsewhere).
//!
//! The page and the engine's worker are two modules, each with its own copy of the
//! module-wide [`Grouping`]; each asks here at start-up, so both write counts alike. The rule
//! (what a sample means) is capillary-vocab's [`Grouping::of_sample`]; this crate is only the
//! asking, through `Reflect`, so nothing the browser throws can unwind through Rust.
#![forbid(unsafe_code)]

use capillary_vocab::count::Grouping;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// How the reader's preferred languages (`navigator.languages`, the page's and a worker's
/// alike) group digits, as `Intl.NumberFormat` writes 1234567890 for them;
/// [`Grouping::Thousands`] when the browser cannot say.
pub fn reader_grouping() -> Grouping {
    sample_for_reader().map_or_else(Grouping::default, |sample| Grouping::of_sample(&sample))
}

fn sample_for_reader() -> Option<String> {
    let global = js_sys::global();
    let navigator = Reflect::get(&global, &"navigator".into()).ok()?;
    let languages = Reflect::get(&navigator, &"languages".into()).ok()?;
    let intl = Reflect::get(&global, &"Intl".into()).ok()?;
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
}
