//! A local simulator of Capillary's audit-log APIs, for the explorer's
//! tests, demos and development. See `README.md` beside this crate for how
//! to run it and point the explorer at it.
//!
//! Endpoints (all on 127.0.0.1 by default):
//! - `GET /api_gateway/v2/audits` and `GET /v2/auditLog/get` (legacy shape)
//!   with every documented parameter;
//! - `GET /v2/customers/{id}/statusLog`, `GET /v2/card/statusLog?number=`;
//! - `GET /v2/customers/lookup/customerDetails`;
//! - `POST /v3/oauth/token/generate`.
//!
//! Data comes from [`audit_gen`] (seeded; the default world includes the
//! explorer's built-in demo customer, byte for byte) and/or dataset files
//! of saved responses ([`dataset`]). Faults on demand: [`fault`].
//!
//! In-process use (end-to-end tests): [`spawn`] → [`Running`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod dataset;
pub mod fault;
mod server;
pub mod store;

pub use config::{AuthMode, Config, CustomerSize, OAuthClient, User, USAGE};
pub use fault::Fault;
pub use server::{spawn, spawn_on, Error, Running, FAULT_HEADER, OAUTH_HEADER};

/// `Authorization` header value for Basic auth as Capillary expects it:
/// `Basic base64(username:md5hex(password))`.
pub fn basic_auth_header(username: &str, password: &str) -> String {
    use base64::Engine as _;
    use md5::{Digest, Md5};
    let hex: String = Md5::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{hex}"))
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_header_is_user_colon_md5_hex_in_base64() {
        // md5("Pass123") = 2f23fa3579f3f75175793649115c1b25 (computed
        // independently). The docs' example pairs "Pass123" with
        // bdc87b9c…, which is not its MD5: the docs' example hash is wrong,
        // the scheme (base64 of user:md5hex) is what matters.
        assert_eq!(
            super::basic_auth_header("store123", "Pass123"),
            "Basic c3RvcmUxMjM6MmYyM2ZhMzU3OWYzZjc1MTc1NzkzNjQ5MTE1YzFiMjU="
        );
    }
}
