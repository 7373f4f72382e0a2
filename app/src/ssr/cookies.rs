//! The session cookie (HttpOnly, SameSite=Lax, Secure over https: SPEC S5) and the language
//! cookie that leptos_i18n reads. Over https the session cookie carries the `__Host-` prefix,
//! so browsers refuse it unless it is Secure, host-only and for the whole site: a sibling
//! subdomain cannot plant or overwrite it.

use cookie::{Cookie, SameSite, time::Duration};
use http::{HeaderMap, HeaderValue, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub const SESSION_COOKIE: &str = "portico_session";
pub const SECURE_SESSION_COOKIE: &str = "__Host-portico_session";

fn session_cookie(secure: bool) -> &'static str {
    if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}
/// leptos_i18n's own cookie name, so the saved preference drives the rendered language.
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// The session token the browser sent, if any, under the name this deployment uses.
pub fn session_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = session_cookie(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

pub fn set_session(token: &str, max_age_secs: i64, secure: bool) {
    let cookie = Cookie::build((session_cookie(secure), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::seconds(max_age_secs));
    append(cookie.build());
}

pub fn clear_session(secure: bool) {
    let cookie = Cookie::build((session_cookie(secure), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::ZERO);
    append(cookie.build());
}

/// Remembers the user's language for the next page rendered (per-user preference, F12).
pub fn set_locale(locale: &str, secure: bool) {
    let cookie = Cookie::build((LOCALE_COOKIE, locale.to_owned()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::days(365));
    append(cookie.build());
}

fn append(cookie: Cookie<'_>) {
    if let (Some(response), Ok(value)) =
        (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
    {
        response.append_header(header::SET_COOKIE, value);
    }
}
