//! Server rendering under concurrency, on one tokio worker as the server runs (server/src/main.rs).
//!
//! With several workers, Leptos 0.8's server rendering is not safe, and this test finds it:
//! on four workers it fails in most runs with "Tried to access a reactive value that has
//! already been disposed" (`leptos_meta`'s title read after its signal's arena was left), and
//! sometimes never ends: two workers wait for each other's lock (an async resource's and a
//! render effect's, taken in opposite orders; leptos #4673).

use crate::common::*;
use std::time::Duration;

/// One page whose resources re-run as it renders (the audit log in French), requested by 32
/// clients at once: the recipe that hung a four-worker server within a few hundred requests.
/// A hung request is never answered, so the burst has a deadline far above its usual seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn pages_rendered_at_once_are_all_answered() {
    let app = spawn_app(Backend::Sqlite).await;
    app.admin("render-admin").await;
    app.execute("UPDATE users SET locale = 'fr' WHERE login_name = 'render-admin'").await;
    let reader = new_client();
    assert!(app.call_as(&reader, "auth/login", &[("identifier", "render-admin"), ("password", PASSWORD)]).await.is_ok());

    let clients = 32;
    let burst = (0..clients).map(|_| {
        let (client, url) = (reader.clone(), format!("{}/audit", app.url));
        tokio::spawn(async move {
            for _ in 0..25 {
                let response = client.get(&url).send().await.expect("the server answers");
                assert_eq!(response.status(), 200);
                let page = response.text().await.unwrap();
                assert!(page.contains("<html lang=\"fr\"") && page.contains("</html>"), "the whole page, in French");
            }
        })
    });
    let answered = tokio::time::timeout(Duration::from_secs(300), futures::future::try_join_all(burst)).await;
    let clients_done = answered.expect("all 800 pages were answered within five minutes: the server hung");
    assert_eq!(clients_done.expect("no client failed").len(), clients);
    app.finish().await;
}
