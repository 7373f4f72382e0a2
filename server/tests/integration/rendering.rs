//! Server rendering under concurrency, on one tokio worker as the server runs (server/src/main.rs).
//!
//! With several workers, Leptos 0.8's server rendering is not safe, and the first test finds
//! it: on four workers it sometimes never ends, two workers waiting for each other's lock (an
//! async resource's and a render effect's, taken in opposite orders; leptos #4673).
//!
//! Even on one worker, requests interleave: code that runs after a page has rendered, outside
//! the request's reactive arena, can land in another request's (the title read that way
//! panicked, "reactive value that has already been disposed", and dropped the connection).
//!
//! Inside the full suite these bursts once hung, every thread idle: another test's server
//! generating its route list had raised Leptos's process-wide "hold resources back" flag, and a
//! resource first polled then waits forever (leptos#4773). Routes are now generated once per
//! process (`server::startup`), before any server in it serves.

use crate::common::*;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use std::{future::Future, time::Duration};

/// Runs the clients on a runtime of their own, as browsers are outside the server, so that a
/// hang is the server's own. A hang anywhere misses the deadline, far above the burst's usual
/// seconds; the failure then tells how the server's connection pool stood.
async fn from_outside<F: Future<Output = ()> + Send + 'static>(app: &TestApp, clients: impl FnOnce() -> F + Send + 'static) {
    let outside = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move { tokio::time::timeout(Duration::from_secs(300), clients()).await })
    });
    let finished = tokio::task::spawn_blocking(move || outside.join()).await.unwrap();
    let pool = &app.state.db.pool;
    finished.expect("no client failed").unwrap_or_else(|_| {
        panic!("every page was answered within five minutes: the server hung, its pool holding {} connections, {} idle", pool.size(), pool.num_idle())
    });
}

/// A client of its own runtime, signed in as `login`.
async fn signed_in_as(url: &str, login: &str, password: &str) -> reqwest::Client {
    let client = new_client();
    let answer = client.post(format!("{url}/api/auth/login")).form(&[("identifier", login), ("password", password)]).send().await.unwrap();
    assert!(answer.status().is_success(), "{login} signs in");
    client
}

/// One page whose resources re-run as it renders (the audit log in French), requested by 32
/// clients at once: the recipe that hung a four-worker server within a few hundred requests.
/// A hung request is never answered, so the burst has a deadline far above its usual seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn pages_rendered_at_once_are_all_answered() {
    let app = spawn_app(Backend::Sqlite).await;
    app.admin("render-admin").await;
    app.execute("UPDATE users SET locale = 'fr' WHERE login_name = 'render-admin'").await;

    let url = app.url.clone();
    from_outside(&app, move || async move {
        let reader = signed_in_as(&url, "render-admin", PASSWORD).await;
        let burst = (0..32).map(|_| {
            let (client, url) = (reader.clone(), format!("{url}/audit"));
            tokio::spawn(async move {
                for _ in 0..25 {
                    let response = client.get(&url).send().await.expect("the server answers");
                    assert_eq!(response.status(), 200);
                    let page = response.text().await.unwrap();
                    assert!(page.contains("<html lang=\"fr\"") && page.contains("</html>"), "the whole page, in French");
                }
            })
        });
        assert_eq!(futures::future::try_join_all(burst).await.expect("no client failed").len(), 32);
    })
    .await;
    app.finish().await;
}

/// Pages of every kind at once, signed in or out, in English and French, by 32 clients: no
/// connection is dropped (a panic while rendering drops it; the title's did about once in a
/// thousand requests on one worker), and every page's Content-Security-Policy names the nonce
/// its own scripts carry (the browser refuses the hydration script otherwise, and the page
/// stays dead).
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn pages_of_every_kind_rendered_at_once_are_whole_and_carry_their_own_nonce() {
    let app = spawn_app(Backend::Sqlite).await;
    let english = app.admin("mixed-admin").await;
    create(&app, &english, "mixed-fr", &[]).await;
    app.execute("UPDATE users SET locale = 'fr' WHERE login_name = 'mixed-fr'").await;
    signed_in(&app, "mixed-fr").await;
    let url = app.url.clone();
    let pages = [
        "/", "/users", "/users/new", "/roles", "/sessions", "/security", "/profile", "/account", "/partners",
        "/audit", "/users?q=mixed", "/login", "/register", "/password/forgot", "/no-such-page",
    ];

    from_outside(&app, move || async move {
        let english = signed_in_as(&url, "mixed-admin", PASSWORD).await;
        let french = signed_in_as(&url, "mixed-fr", NEW).await;
        let clients = [english, french, new_client()];
        let burst = (0..32).map(|task: usize| {
            let clients = clients.clone();
            let urls: Vec<String> = pages.iter().map(|p| format!("{url}{p}")).collect();
            tokio::spawn(async move {
                for n in 0..60 {
                    let (client, url) = (&clients[(task + n) % 3], &urls[(task * 7 + n) % urls.len()]);
                    let response = client.get(url).send().await.unwrap_or_else(|e| panic!("{url}: no answer ({e})"));
                    let html = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
                    let policy = response.headers().get(CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned());
                    let page = response.text().await.unwrap();
                    assert!(html && page.contains("</html>"), "{url}: a whole page");
                    let nonce = policy.as_deref().and_then(|p| p.split("'nonce-").nth(1)).and_then(|n| n.split('\'').next());
                    let nonce = nonce.unwrap_or_else(|| panic!("{url}: the policy names no nonce: {policy:?}"));
                    assert!(page.contains(&format!("nonce=\"{nonce}\"")), "{url}: the scripts carry the policy's nonce");
                }
            })
        });
        assert_eq!(futures::future::try_join_all(burst).await.expect("no client failed").len(), 32);
    })
    .await;
    app.finish().await;
}
