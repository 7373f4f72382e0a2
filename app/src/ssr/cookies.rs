//! The session cookie (HttpOnly, SameSite=Lax, Secure over https: SPEC S5), the cookies that
//! hold a token link's secret once it has left the address bar (S7, `crate::links`), and the
//! language cookie that leptos_i18n reads. Over https the session and link cookies carry the
//! `__Host-` prefix, so browsers refuse them unless they are Secure, host-only and for the
//! whole site: a sibling subdomain cannot plant or overwrite them.

use super::tokens::Secret;
use crate::links::LinkPage;
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
    cookie_value(headers, session_cookie(secure))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

pub fn set_session(token: &Secret, max_age_secs: i64, secure: bool) {
    let cookie = Cookie::build((session_cookie(secure), token.expose()))
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

/// A sign-in between its password and its second step (F15): HttpOnly, Strict (only our own
/// pages post the code), as long as the step waits.
fn second_step_cookie(secure: bool) -> &'static str {
    if secure { "__Host-portico_second_step" } else { "portico_second_step" }
}

pub fn second_step_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, second_step_cookie(secure)).filter(|token| token_shaped(token))
}

pub fn set_second_step(token: &Secret, max_age_secs: i64, secure: bool) {
    let cookie = Cookie::build((second_step_cookie(secure), token.expose()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(Duration::seconds(max_age_secs));
    append(cookie.build());
}

pub fn clear_second_step(secure: bool) {
    let cookie = Cookie::build((second_step_cookie(secure), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(Duration::ZERO);
    append(cookie.build());
}

/// How long a link's token waits in its cookie for the page to use it.
pub const LINK_COOKIE_SECS: i64 = 60 * 60;

fn link_cookie_name(page: LinkPage, secure: bool) -> String {
    format!("{}portico_link_{}", if secure { "__Host-" } else { "" }, page.key())
}

/// Our tokens are URL-safe base64; anything else cannot be one and is not stored, which also
/// keeps `;` and spaces out of the `Set-Cookie` header.
fn token_shaped(token: &str) -> bool {
    (1..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `Set-Cookie` value that keeps `token` for `page` (HttpOnly, SameSite=Lax, an hour).
/// A value no link of ours could carry clears the cookie instead: the page then reports a bad
/// link rather than showing an earlier one.
pub fn link_cookie(page: LinkPage, token: &str, secure: bool) -> HeaderValue {
    let (value, max_age) = if token_shaped(token) { (token, LINK_COOKIE_SECS) } else { ("", 0) };
    let cookie = Cookie::build((link_cookie_name(page, secure), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::seconds(max_age));
    HeaderValue::from_str(&cookie.build().to_string()).expect("a token-shaped value makes a valid header")
}

/// The token the browser holds for `page`, if any.
pub fn link_token(headers: &HeaderMap, page: LinkPage, secure: bool) -> Option<String> {
    cookie_value(headers, &link_cookie_name(page, secure)).filter(|token| token_shaped(token))
}

/// Forgets `page`'s token once its link is spent.
pub fn clear_link(page: LinkPage, secure: bool) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(header::SET_COOKIE, link_cookie(page, "", secure));
    }
}

/// The language the browser shows (the header's switch writes this cookie), if it sent one.
pub fn locale(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, LOCALE_COOKIE)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_cookie_is_http_only_lax_for_the_whole_site_and_short_lived() {
        let value = link_cookie(LinkPage::Invitation, "abc-DEF_123", false);
        let text = value.to_str().unwrap();
        assert!(text.starts_with("portico_link_invitation=abc-DEF_123;"), "{text}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert!(!text.contains("Secure"));
        let secure = link_cookie(LinkPage::PasswordReset, "abc", true);
        assert!(secure.to_str().unwrap().starts_with("__Host-portico_link_reset=abc;"));
        assert!(secure.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn a_value_no_token_could_have_clears_the_cookie_instead() {
        let long = "a".repeat(129);
        for bad in ["", "a b", "x; Domain=evil.example", "é", long.as_str()] {
            let text = link_cookie(LinkPage::PartnerLink, bad, false).to_str().unwrap().to_owned();
            assert!(text.starts_with("portico_link_partner=;") && text.contains("Max-Age=0"), "{bad:?} gave {text}");
        }
    }

    #[test]
    fn each_page_reads_only_its_own_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("portico_session=s; portico_link_verify=tok"));
        assert_eq!(link_token(&headers, LinkPage::EmailVerification, false).as_deref(), Some("tok"));
        assert_eq!(link_token(&headers, LinkPage::Invitation, false), None);
        assert_eq!(link_token(&headers, LinkPage::EmailVerification, true), None);
    }
}
