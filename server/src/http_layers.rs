//! HTTP layers around every route: request ids and traces, compression, security headers,
//! `no-store` on everything but static files and link tokens moved out of the URL (S7), and
//! the refusal of state-changing requests from other origins (SPEC S5).

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    limit::RequestBodyLimitLayer,
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tower::{Layer, ServiceExt};
use tracing::Level;

/// The largest request body accepted. The biggest real one, a user form with every role, is
/// a few kilobytes; anything larger is refused with 413 before it is read.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;
/// The users import's functions take the file's text (at most `MAX_IMPORT_BYTES`) as a JSON
/// string, where escaping can double it; they alone accept this much.
pub const MAX_IMPORT_BODY: usize = 4 * app::users::MAX_IMPORT_BYTES;
const IMPORT_PATHS: &str = "/api/users/import/";

pub fn apply(router: Router, public_origin: Option<String>) -> Router {
    let https = public_origin.as_deref().is_some_and(|url| url.starts_with("https://"));
    let default_policy = HeaderValue::from_str(&app::ssr::csp::policy(None)).expect("the policy is a valid header");
    let request_id = HeaderName::from_static("x-request-id");
    let static_header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = if https {
        router.layer(static_header(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"))
    } else {
        router
    };
    router
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn_with_state(https, crate::link_tokens::move_to_cookie))
        .layer(middleware::from_fn_with_state(public_origin, refuse_cross_origin))
        .layer(middleware::from_fn(limit_body))
        // Pages set their own policy, with their script nonce (`app::ssr::csp`).
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, default_policy))
        .layer(static_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(static_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(static_header(header::REFERRER_POLICY, "same-origin"))
        .layer(static_header(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings may carry tokens (S7).
                .make_span_with(|req: &Request<Body>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(crate::metrics::record))
}

/// Refuses a body over the route's limit with 413, unread when its length is announced.
async fn limit_body(req: Request, next: Next) -> Response {
    let limit = if req.uri().path().starts_with(IMPORT_PATHS) { MAX_IMPORT_BODY } else { MAX_REQUEST_BODY };
    // The limit wraps the body in `Limited`; the rest of the stack takes a plain `Body`.
    let rest = tower::service_fn(move |req: axum::http::Request<_>| {
        let next = next.clone();
        async move { Ok::<_, std::convert::Infallible>(next.run(req.map(Body::new)).await) }
    });
    match RequestBodyLimitLayer::new(limit).layer(rest).oneshot(req).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Pages and server function answers hold someone's data, and a link page its token: no
/// browser or proxy keeps them (S7). Static files (the `/pkg/` bundle, the favicon…) stay
/// cacheable; a handler that chose its own `Cache-Control` keeps it.
async fn no_store(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) && !is_static_file(&path, &response) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A file the fallback served from the site root: a file name, not a page or `/api/`, and
/// found (or not modified).
fn is_static_file(path: &str, response: &Response) -> bool {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let file_name = path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|name| name.contains('.'));
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    file_name && found && !html && !path.starts_with("/api/")
}

/// Refuses a state-changing request whose browser says it comes from another site. Browsers
/// send `Sec-Fetch-Site` and `Origin` on such requests; clients that send neither are not
/// browsers, and carry no ambient cookies an attacker could ride on.
async fn refuse_cross_origin(State(public_origin): State<Option<String>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || is_same_origin(&req, public_origin.as_deref()) {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-origin request refused");
        (StatusCode::FORBIDDEN, "cross-origin request refused").into_response()
    }
}

fn is_same_origin(req: &Request, public_origin: Option<&str>) -> bool {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    match public_origin {
        Some(public) => origin == public.trim_end_matches('/'),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            origin.split_once("://").is_some_and(|(_, origin_host)| origin_host == host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::post("/api/auth/logout");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    fn answer(status: StatusCode, content_type: &'static str) -> Response {
        Response::builder().status(status).header(header::CONTENT_TYPE, content_type).body(Body::empty()).unwrap()
    }

    #[test]
    fn only_files_found_in_the_site_root_are_static() {
        let js = answer(StatusCode::OK, "text/javascript");
        assert!(is_static_file("/pkg/portico.js", &js));
        assert!(is_static_file("/favicon.ico", &answer(StatusCode::OK, "image/x-icon")));
        assert!(is_static_file("/pkg/portico.wasm", &answer(StatusCode::NOT_MODIFIED, "application/wasm")));
        assert!(!is_static_file("/users", &answer(StatusCode::OK, "text/html; charset=utf-8")));
        assert!(!is_static_file("/api/session/current", &answer(StatusCode::OK, "application/json")));
        assert!(!is_static_file("/api/users/x.y", &answer(StatusCode::OK, "application/json")));
        assert!(!is_static_file("/missing.png", &answer(StatusCode::NOT_FOUND, "text/html; charset=utf-8")));
        assert!(!is_static_file("/healthz", &answer(StatusCode::OK, "text/plain")));
    }

    #[test]
    fn a_post_from_the_same_host_passes() {
        let req = post(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000"), ("sec-fetch-site", "same-origin")]);
        assert!(is_same_origin(&req, None));
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        let req = post(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(!is_same_origin(&req, None));
        let req = post(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]);
        assert!(!is_same_origin(&req, None));
    }

    #[test]
    fn the_public_url_is_the_only_origin_when_configured() {
        let req = post(&[("host", "internal:3000"), ("origin", "https://portal.example.com")]);
        assert!(is_same_origin(&req, Some("https://portal.example.com/")));
        assert!(!is_same_origin(&req, Some("https://other.example.com")));
    }
}
