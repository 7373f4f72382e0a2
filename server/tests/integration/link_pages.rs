//! Tokens leave the address bar (SPEC S7): a link page answers its `?token=` with a redirect
//! to itself without it and keeps the token in an HttpOnly cookie, which the page reads back,
//! which survives a reload and sign-in, and which goes once the link is spent. Pages and
//! server function answers are `no-store`; static files stay cacheable. On SQLite and
//! PostgreSQL.

use crate::common;

use common::{Backend, PASSWORD, TestApp, form, register_args, spawn_app, spawn_app_with, test_config, token_in};
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Response, StatusCode, header};
use serde_json::json;

/// The cases run one after another in one runtime, not as parallel tests: these tests render
/// pages, and in a process running several tokio runtimes a Leptos page render now and then
/// never finishes when another test's runtime shuts down during it (seen on the 404 page too,
/// so not tied to these pages; a server has one runtime and never meets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_pages_on_sqlite_and_postgres() {
    for backend in [Some(Backend::Sqlite), Backend::postgres()].into_iter().flatten() {
        a_link_opens_its_page_without_the_token_which_waits_in_an_http_only_cookie(backend.clone()).await;
        an_invitation_link_survives_a_reload_and_its_cookie_goes_once_accepted(backend.clone()).await;
        a_partner_link_goes_through_sign_in_without_its_token_in_next(backend.clone()).await;
        reset_and_verification_links_are_read_from_their_cookie_which_goes_once_used(backend.clone()).await;
        pages_and_server_function_answers_are_not_stored_but_static_files_are(backend).await;
    }
}

/// A browser that shows each redirect instead of following it, and keeps cookies.
fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn header_of(response: &Response, name: header::HeaderName) -> String {
    response.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join("\n")
}

/// A GET as a browser sends it: it takes HTML, so a page's redirect is a real one.
async fn get(app: &TestApp, client: &Client, path: &str) -> Response {
    client.get(format!("{}{path}", app.url)).header(header::ACCEPT, "text/html").send().await.expect("request reaches the server")
}

/// The token the browser holds for `page`, as the page reads it.
async fn held_token(app: &TestApp, client: &Client, page: &str) -> String {
    let answer = app.call_as(client, "links/token", &[("page", page)]).await;
    assert!(answer.is_ok(), "links/token: {answer:?}");
    answer.body.as_str().unwrap().to_owned()
}

async fn a_link_opens_its_page_without_the_token_which_waits_in_an_http_only_cookie(backend: Backend) {
    let app = spawn_app(backend.clone()).await;
    for (link, page, cookie) in [
        ("/invitation?token=abc", "/invitation", "portico_link_invitation=abc;"),
        ("/password/reset?lang=fr&token=abc", "/password/reset?lang=fr", "portico_link_reset=abc;"),
        ("/verify-email?token=abc&x=a%20b", "/verify-email?x=a%20b", "portico_link_verify=abc;"),
        ("/partners/accept?%74oken=abc", "/partners/accept", "portico_link_partner=abc;"),
    ] {
        let response = get(&app, &browser(), link).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{link}");
        let location = header_of(&response, header::LOCATION);
        assert_eq!(location, page, "{link}");
        assert!(!location.contains("token") && !location.contains("abc"));
        let set_cookie = header_of(&response, header::SET_COOKIE);
        assert!(set_cookie.starts_with(cookie), "{link}: {set_cookie}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
            assert!(set_cookie.contains(part), "{link}: {set_cookie} lacks {part}");
        }
        assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-store");
        assert_eq!(header_of(&response, header::REFERRER_POLICY), "no-referrer");
    }
    // Something no token looks like is not kept: an earlier link's cookie goes.
    let client = browser();
    get(&app, &client, "/invitation?token=abc").await;
    let odd = get(&app, &client, "/invitation?token=a%3B%20Domain%3Devil.example").await;
    assert!(header_of(&odd, header::SET_COOKIE).starts_with("portico_link_invitation=;"));
    assert_eq!(held_token(&app, &client, "Invitation").await, "");
    // Other pages, and the link pages without a token, are served as they are.
    assert_eq!(get(&app, &browser(), "/login?token=abc").await.status(), StatusCode::OK);
    assert_eq!(get(&app, &browser(), "/invitation").await.status(), StatusCode::OK);
    app.finish().await;

    // Over https the cookie is Secure and host-only (`__Host-`).
    let mut config = test_config();
    config.public_url = Some("https://portal.example.com".into());
    let app = spawn_app_with(backend, config).await;
    let response = get(&app, &browser(), "/invitation?token=abc").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set_cookie = header_of(&response, header::SET_COOKIE);
    assert!(set_cookie.starts_with("__Host-portico_link_invitation=abc;") && set_cookie.contains("Secure"), "{set_cookie}");
    app.finish().await;
}

async fn an_invitation_link_survives_a_reload_and_its_cookie_goes_once_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let invited = app.call_json(&ada, "users/create", json!({ "form": form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" })).await;
    assert!(invited.is_ok(), "{invited:?}");
    let token = token_in(&app.mail_containing("ivy@example.com", "invitation?token=").await);
    let ivy = browser();
    let opened = get(&app, &ivy, &format!("/invitation?token={token}")).await;
    assert_eq!(header_of(&opened, header::LOCATION), "/invitation");
    // The page, loaded and reloaded, shows the invitation and carries the token in its form.
    for _ in 0..2 {
        let page = get(&app, &ivy, "/invitation").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(header_of(&page, header::CACHE_CONTROL), "no-store");
        let html = page.text().await.unwrap();
        assert!(html.contains("ada corp") && html.contains("You were invited as ivy"), "{html}");
        assert!(html.contains(&format!(r#"name="token" value="{token}""#)), "the hidden input holds the token");
    }
    assert_eq!(held_token(&app, &ivy, "Invitation").await, token);
    // Another browser has no token, and the page says the link is not valid.
    let html = get(&app, &browser(), "/invitation").await.text().await.unwrap();
    assert!(!html.contains("You were invited") && html.contains("role=\"alert\""), "{html}");

    let args = [("token", token.as_str()), ("first_name", "Ivy"), ("last_name", "Lane"), ("password", PASSWORD)];
    let accepted = app.call_as(&ivy, "invitation/accept", &args).await;
    assert!(accepted.is_ok(), "{accepted:?}");
    assert_eq!(held_token(&app, &ivy, "Invitation").await, "", "the spent link's cookie is gone");
    app.finish().await;
}

async fn a_partner_link_goes_through_sign_in_without_its_token_in_next(backend: Backend) {
    let app = spawn_app(backend).await;
    let pad = app.admin("pad").await;
    app.admin("acme").await;
    let url = app.call_as(&pad, "partners/create_link", &[]).await.body.as_str().unwrap().to_owned();
    let token = url.split("token=").nth(1).unwrap().to_owned();

    let customer = browser();
    let opened = get(&app, &customer, &format!("/partners/accept?token={token}")).await;
    assert_eq!((opened.status(), header_of(&opened, header::LOCATION)), (StatusCode::SEE_OTHER, "/partners/accept".to_owned()));
    // Signed out: the page sends the visitor to sign in and back, with no token in `next=`.
    let gate = get(&app, &customer, "/partners/accept").await;
    assert!(gate.status().is_redirection(), "{:?}", gate.status());
    let location = header_of(&gate, header::LOCATION);
    assert_eq!(location, "/login?next=%2Fpartners%2Faccept");
    assert!(!location.contains(&token));

    assert!(app.call_as(&customer, "auth/login", &[("identifier", "acme"), ("password", PASSWORD)]).await.is_ok());
    let page = get(&app, &customer, "/partners/accept").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("pad corp") && html.contains("acme corp"), "the preview names both companies: {html}");
    assert_eq!(held_token(&app, &customer, "PartnerLink").await, token);
    let confirmed = app.call_as(&customer, "partners/confirm", &[("token", &token)]).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
    assert_eq!(held_token(&app, &customer, "PartnerLink").await, "");
    app.finish().await;
}

async fn reset_and_verification_links_are_read_from_their_cookie_which_goes_once_used(backend: Backend) {
    let app = spawn_app(backend).await;
    let jane = browser();
    assert!(app.call_as(&jane, "auth/register", &register_args("jane", "jane@example.com")).await.is_ok());
    let verify = token_in(&app.mail_containing("jane@example.com", "verify-email?token=").await);
    get(&app, &jane, &format!("/verify-email?token={verify}")).await;
    let page = get(&app, &jane, "/verify-email").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(held_token(&app, &jane, "EmailVerification").await, verify);
    assert!(app.call_as(&jane, "auth/verify_email", &[("token", &verify)]).await.is_ok());
    assert_eq!(held_token(&app, &jane, "EmailVerification").await, "");

    let visitor = browser();
    assert!(app.call_as(&visitor, "auth/forgot_password", &[("email", "jane@example.com")]).await.is_ok());
    let reset = token_in(&app.mail_containing("jane@example.com", "password/reset?token=").await);
    get(&app, &visitor, &format!("/password/reset?token={reset}")).await;
    let html = get(&app, &visitor, "/password/reset").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"name="token" value="{reset}""#)), "the hidden input holds the token: {html}");
    let args = [("token", reset.as_str()), ("new_password", "picked at last, and long")];
    let done = app.call_as(&visitor, "auth/reset_password_with_link", &args).await;
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(held_token(&app, &visitor, "PasswordReset").await, "");
    app.finish().await;
}

async fn pages_and_server_function_answers_are_not_stored_but_static_files_are(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = browser();
    for path in ["/login", "/", "/users", "/no-such-page", "/healthz"] {
        let response = get(&app, &client, path).await;
        assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-store", "{path}");
    }
    let api = client.post(format!("{}/api/session/current", app.url)).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert_eq!(header_of(&api, header::CACHE_CONTROL), "no-store");
    let refused = client.post(format!("{}/api/users/list", app.url)).send().await.unwrap();
    assert!(refused.status().is_client_error());
    assert_eq!(header_of(&refused, header::CACHE_CONTROL), "no-store");

    // The same router over a site root holding the bundle and the favicon.
    let site = std::env::temp_dir().join(format!("portico-site-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/portico.js"), "export default 1;").unwrap();
    std::fs::write(site.join("favicon.ico"), [0u8, 0, 1, 0]).unwrap();
    let options = LeptosOptions::builder().output_name("portico").site_root(site.to_str().unwrap()).build();
    let router = server::startup::router(app.state.clone(), options, None, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    for path in ["/pkg/portico.js", "/favicon.ico"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(!header_of(&response, header::CACHE_CONTROL).contains("no-store"), "{path} stays cacheable");
    }
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(header_of(&page, header::CACHE_CONTROL), "no-store");
    let _ = std::fs::remove_dir_all(site);
    app.finish().await;
}
