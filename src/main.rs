//! Entry point: only mounts the app (everything else lives in the library crate, where the
//! component tests can reach it).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| leptos::view! { <audit_explorer::App /> });
}
