//! The Content Security Policy (SPEC S5). Pages get a fresh nonce per response, which Leptos
//! puts on its hydration and resource scripts; no other inline script runs. Everything else
//! (server functions, downloads, files) gets the same policy without a nonce.

use http::{HeaderValue, header};
use leptos::{nonce::use_nonce, prelude::use_context};
use leptos_axum::ResponseOptions;

/// The policy, allowing inline scripts only with `nonce`.
pub fn policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
         object-src 'none'"
    )
}

/// Sends the page's policy with the nonce leptos_axum generated for this response.
pub fn send_page_policy() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::policy;

    #[test]
    fn inline_scripts_run_only_with_the_nonce() {
        assert!(!policy(None).contains("unsafe-inline"));
        assert!(!policy(Some("abc")).contains("unsafe-inline"));
        assert!(policy(Some("abc")).contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(policy(None).contains("frame-ancestors 'none'"));
    }
}
