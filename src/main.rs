//! Entry point: starts the engine's worker, reads the deployment's config.json, then mounts the
//! app (everything else lives in the library crate, where the component tests can reach it).
#![forbid(unsafe_code)]

fn main() {
    console_error_panic_hook::set_once();
    // Every count the page writes is grouped as the reader reads (the worker asks the same).
    browser_locale::reader_grouping().set_for_reader();
    // The engine's worker boots while config.json is read and the app mounts.
    let worker = audit_explorer::StartedWorker::start();
    wasm_bindgen_futures::spawn_local(async {
        let config = audit_explorer::load_config().await;
        leptos::mount::mount_to_body(move || {
            leptos::view! { <audit_explorer::App config worker /> }
        });
    });
}
