//! F10's session list: users see and end only their own sessions.

use crate::common;

use common::{Backend, PASSWORD, new_client, register_args, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    users_list_only_their_own_sessions_with_the_current_one_marked,
    signing_out_everywhere_else_keeps_only_the_current_session,
    a_user_cannot_end_someone_elses_session,
    the_session_functions_refuse_anonymous_callers,
);

async fn users_list_only_their_own_sessions_with_the_current_one_marked(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let phone = new_client();
    assert!(app.call_as(&phone, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await.is_ok());
    let other = new_client();
    assert!(app.call_as(&other, "auth/register", &register_args("max", "max@example.com")).await.is_ok());

    let list = app.call("me/sessions", &[]).await;
    assert!(list.is_ok(), "{list:?}");
    let rows = list.body.as_array().unwrap();
    assert_eq!(rows.len(), 2, "max's session is not listed: {rows:?}");
    assert_eq!(rows.iter().filter(|r| r["current"] == true).count(), 1);
    assert!(rows.iter().all(|r| r["client_ip"] == "127.0.0.1"));
    app.finish().await;
}

async fn signing_out_everywhere_else_keeps_only_the_current_session(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let laptop = new_client();
    assert!(app.call_as(&laptop, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await.is_ok());
    let ended = app.call("me/end_other_sessions", &[]).await;
    assert_eq!(ended.body, json!(1));
    assert_eq!(app.call_as(&laptop, "session/current", &[]).await.body, serde_json::Value::Null);
    assert_eq!(app.session().await["login_name"], "jane");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.other_sessions_ended'").await, 1);
    app.finish().await;
}

async fn a_user_cannot_end_someone_elses_session(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let max = new_client();
    assert!(app.call_as(&max, "auth/register", &register_args("max", "max@example.com")).await.is_ok());
    let max_session: i64 = sqlx::query_scalar(
        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login_name = 'max'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let refused = app.call("me/end_session", &[("session_id", &max_session.to_string())]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::NOT_FOUND, json!("NotFound")));
    assert_eq!(app.call_as(&max, "session/current", &[]).await.body["login_name"], "max");
    let malformed = app.call("me/end_session", &[("session_id", "not-a-number")]).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}

async fn the_session_functions_refuse_anonymous_callers(backend: Backend) {
    let app = spawn_app(backend).await;
    for endpoint in ["me/sessions", "me/end_other_sessions"] {
        let answer = app.call(endpoint, &[]).await;
        assert_eq!((answer.status, answer.body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")), "{endpoint}");
    }
    let answer = app.call("me/end_session", &[("session_id", "1")]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}
