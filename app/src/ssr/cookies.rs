//! The session cookie (HttpOnly, SameSite=Lax, Secure over https: SPEC S5) and the language
//! cookie that leptos_i18n reads.

use cookie::{Cookie, SameSite, time::Duration};
use http::{HeaderMap, HeaderValue, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub const SESSION_COOKIE: &str = "portico_session";
/// leptos_i18n's own cookie name, so the saved preference drives the rendered language.
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// The session token the browser sent, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

pub fn set_session(token: &str, max_age_secs: i64, secure: bool) {
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::seconds(max_age_secs));
    append(cookie.build());
}

pub fn clear_session(secure: bool) {
    let cookie = Cookie::build((SESSION_COOKIE, ""))
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
