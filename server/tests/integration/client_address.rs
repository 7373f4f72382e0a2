//! SPEC S8, trusted proxies: the client address the audit log, the session list and the
//! login throttle see. The test client connects from 127.0.0.1, which plays the proxy.

use crate::common;

use app::ssr::client_address::parse_trusted_proxy;
use common::{Answer, Backend, PASSWORD, TestApp, new_client, spawn_app_with, test_config};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const PER_IP_LIMIT: u32 = 3;

/// A Portico that trusts `trusted` as proxies, with a low per-IP login limit.
async fn app_trusting(trusted: &[&str]) -> TestApp {
    let mut config = test_config();
    config.trusted_proxies = trusted.iter().map(|entry| parse_trusted_proxy(entry).unwrap()).collect();
    config.login_max_failures_per_ip = PER_IP_LIMIT;
    spawn_app_with(Backend::Sqlite, config).await
}

/// `auth/login` sent with these extra headers (each pair one header line).
async fn login_with(app: &TestApp, client: &Client, headers: &[(&str, &str)], identifier: &str, password: &str) -> Answer {
    let mut request = client
        .post(format!("{}/api/auth/login", app.url))
        .form(&[("identifier", identifier), ("password", password)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let text = response.text().await.unwrap();
    Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

async fn last_login_ip(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT client_ip FROM audit_events WHERE action = 'user.logged_in' ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// The addresses the session list shows the signed-in `client`, and the current one's.
async fn listed_ips(app: &TestApp, client: &Client) -> (Vec<String>, String) {
    let list = app.call_as(client, "me/sessions", &[]).await;
    assert!(list.is_ok(), "{list:?}");
    let rows = list.body.as_array().unwrap();
    let ips = rows.iter().map(|r| r["client_ip"].as_str().unwrap().to_owned()).collect();
    let current = rows.iter().find(|r| r["current"] == true).expect("the current session is listed");
    (ips, current["client_ip"].as_str().unwrap().to_owned())
}

/// Fails logins as `headers` names, each under another identifier, until the per-IP limit
/// answers 429; panics if it never does.
async fn fail_until_blocked(app: &TestApp, headers: &[(&str, &str)]) {
    let attacker = new_client();
    for attempt in 0..2 * PER_IP_LIMIT + 2 {
        let answer = login_with(app, &attacker, headers, &format!("nobody{attempt}"), "wrong password").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(attempt >= PER_IP_LIMIT, "blocked after only {attempt} failures");
            return;
        }
        assert!(!answer.is_ok(), "{answer:?}");
    }
    panic!("{headers:?} was never blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    let app = app_trusting(&[]).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let client = new_client();
    let spoofed = [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.9")];
    assert!(login_with(&app, &client, &spoofed, "jane", PASSWORD).await.is_ok());

    assert_eq!(last_login_ip(&app).await, "127.0.0.1");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE client_ip <> '127.0.0.1'").await, 0);
    let (ips, current) = listed_ips(&app, &client).await;
    assert_eq!(current, "127.0.0.1");
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_client_is_recorded() {
    let app = app_trusting(&["127.0.0.1"]).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());

    let laptop = new_client();
    assert!(login_with(&app, &laptop, &[("x-forwarded-for", "198.51.100.1")], "jane", PASSWORD).await.is_ok());
    assert_eq!(last_login_ip(&app).await, "198.51.100.1");

    let phone = new_client();
    let forwarded = [("forwarded", "for=198.51.100.2;proto=https;by=127.0.0.1")];
    assert!(login_with(&app, &phone, &forwarded, "jane", PASSWORD).await.is_ok());
    assert_eq!(last_login_ip(&app).await, "198.51.100.2");

    let tablet = new_client();
    let forwarded = [("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")];
    assert!(login_with(&app, &tablet, &forwarded, "jane", PASSWORD).await.is_ok());
    assert_eq!(last_login_ip(&app).await, "2001:db8:cafe::17");

    let (ips, current) = listed_ips(&app, &laptop).await;
    assert_eq!(current, "198.51.100.1");
    for expected in ["198.51.100.1", "198.51.100.2", "2001:db8:cafe::17"] {
        assert!(ips.iter().any(|ip| ip == expected), "{expected} not in {ips:?}");
    }
    // A request the proxy makes itself, without headers, is the proxy.
    assert!(app.login("jane", PASSWORD).await.is_ok());
    assert_eq!(last_login_ip(&app).await, "127.0.0.1");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_ip_limit_blocks_the_forwarded_attacker_not_everyone_behind_the_proxy() {
    let app = app_trusting(&["127.0.0.1"]).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let attacker = [("x-forwarded-for", "198.51.100.66")];
    fail_until_blocked(&app, &attacker).await;
    let blocked = login_with(&app, &new_client(), &attacker, "jane", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{blocked:?}");

    let neighbour = new_client();
    let answer = login_with(&app, &neighbour, &[("x-forwarded-for", "198.51.100.77")], "jane", PASSWORD).await;
    assert!(answer.is_ok(), "another client behind the proxy is unaffected: {answer:?}");
    assert_eq!(last_login_ip(&app).await, "198.51.100.77");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_address_prepended_by_the_attacker_does_not_escape_the_limit() {
    let app = app_trusting(&["127.0.0.1"]).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    fail_until_blocked(&app, &[("x-forwarded-for", "10.9.9.9, 198.51.100.66")]).await;

    // Counted as 198.51.100.66, whatever it prepends...
    for header in ["198.51.100.66", "10.9.9.10, 198.51.100.66", "127.0.0.1, 198.51.100.66"] {
        let answer = login_with(&app, &new_client(), &[("x-forwarded-for", header)], "jane", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{header}: {answer:?}");
    }
    // ...and not as the address it claimed.
    let answer = login_with(&app, &new_client(), &[("x-forwarded-for", "10.9.9.9")], "jane", PASSWORD).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(last_login_ip(&app).await, "10.9.9.9");
    app.finish().await;
}
