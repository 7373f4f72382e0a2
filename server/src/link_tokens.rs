//! Secret tokens leave the address bar (SPEC S7). A mailed or shared link opens a page such as
//! `/invitation?token=…`; before the page renders, this layer answers `303 See Other` to the
//! same page without the token (other parameters kept) and puts the token in that page's
//! short-lived HttpOnly cookie (`app::ssr::cookies::link_cookie`), which the page reads back
//! through `app::links::link_token`. So the token is in no history entry, no `Referer`, no
//! bookmark and no sign-in `next=`; it was in the one request the mail client made, whose path
//! only is logged.

use app::{links::LinkPage, ssr::cookies};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};

/// `secure`: the site is served over https (the cookie is then `Secure` and `__Host-`).
pub async fn move_to_cookie(State(secure): State<bool>, req: Request, next: Next) -> Response {
    let page = LinkPage::at(req.uri().path()).filter(|_| matches!(*req.method(), Method::GET | Method::HEAD));
    let taken = page.zip(req.uri().query()).and_then(|(page, query)| take_token(query).map(|taken| (page, taken)));
    let Some((page, (token, rest))) = taken else {
        return next.run(req).await;
    };
    let location = if rest.is_empty() { page.path().to_owned() } else { format!("{}?{rest}", page.path()) };
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, HeaderValue::from_str(&location).expect("built from the request's own URI"))
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::SET_COOKIE, cookies::link_cookie(page, &token, secure))
        .body(Body::empty())
        .expect("a valid redirect")
}

/// The first `token` of a query string and the other parameters, as sent. `None` when there
/// is no `token` parameter at all.
fn take_token(query: &str) -> Option<(String, String)> {
    let mut token = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match form_urlencoded::parse(pair.as_bytes()).next() {
            Some((name, value)) if name == "token" => {
                token.get_or_insert_with(|| value.into_owned());
            }
            _ => rest.push(pair),
        }
    }
    token.map(|token| (token, rest.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_taken_out_and_the_other_parameters_stay_as_sent() {
        assert_eq!(take_token("token=abc"), Some(("abc".into(), String::new())));
        assert_eq!(take_token("lang=fr&token=abc&x=a%20b"), Some(("abc".into(), "lang=fr&x=a%20b".into())));
        assert_eq!(take_token("%74oken=abc&&"), Some(("abc".into(), String::new())));
        assert_eq!(take_token("token=first&token=second"), Some(("first".into(), String::new())));
        assert_eq!(take_token("token"), Some((String::new(), String::new())));
        assert_eq!(take_token("tokens=abc"), None);
        assert_eq!(take_token(""), None);
    }
}
