//! Operations (F13): Prometheus metrics behind their token, security headers, and the online
//! SQLite backup subcommand.

use crate::common;

use common::{Backend, new_client, spawn_app};
use reqwest::StatusCode;
use std::process::Command;

on_both_backends!(metrics_answer_only_with_the_token);

async fn metrics_answer_only_with_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("ada").await;
    let client = new_client();
    let scrape = |token: Option<&'static str>| {
        let mut request = client.get(format!("{}/metrics", app.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(Some("wrong")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let page = scrape(Some("scrape-secret")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(text.contains("portico_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/accounts/create\""), "{text}");
    assert!(text.contains("portico_users "), "{text}");
    app.finish().await;
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_other_responses_a_strict_one() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = new_client().get(format!("{}/login", app.url)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("the page policy has a nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    assert!(!policy.contains("unsafe-inline"));
    let probe = new_client().get(format!("{}/healthz", app.url)).send().await.unwrap();
    let strict = probe.headers()["content-security-policy"].to_str().unwrap();
    assert!(!strict.contains("nonce") && !strict.contains("unsafe-inline"), "{strict}");
    assert_eq!(probe.headers()["x-content-type-options"], "nosniff");
    app.finish().await;
}

#[test]
fn backup_copies_the_sqlite_database_and_refuses_to_overwrite() {
    let dir = std::env::temp_dir().join(format!("portico-backup-{:016x}", rand::random::<u64>()));
    let server = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_server")).args(args).env("PORTICO_DATA_DIR", &dir).env_remove("DATABASE_URL").output().unwrap()
    };
    let created = server(&["create-account", "--account-name", "Acme", "--first-name", "Ada", "--last-name", "Byron", "--email", "ada@example.com", "--login-name", "ada"]);
    assert!(created.status.success(), "{created:?}");
    let copy = dir.join("copy.db");
    let backup = server(&["backup", "--to", copy.to_str().unwrap()]);
    assert!(backup.status.success(), "{backup:?}");
    // The copy is a database holding the account.
    let copied = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["reset-password", "--user", "ada"])
        .env("DATABASE_URL", format!("sqlite://{}", copy.display()))
        .env("PORTICO_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(copied.status.success(), "the copy holds ada: {copied:?}");
    let again = server(&["backup", "--to", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(dir);
}
