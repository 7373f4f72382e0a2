//! F2's first slice and the invariants the schema enforces, on SQLite and PostgreSQL.

mod common;

use app::domain::{BuiltInRole, Permission, PermissionSet};
use common::{Backend, new_client, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    creating_an_account_makes_the_creator_its_primary_administrator,
    a_member_cannot_create_a_second_account,
    anonymous_callers_cannot_create_accounts,
    the_database_refuses_a_second_primary_administrator,
    the_database_refuses_a_second_user_with_the_same_email,
    built_in_roles_in_the_database_match_the_code,
    health_and_readiness_answer_with_security_headers,
);

async fn creating_an_account_makes_the_creator_its_primary_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let created = app.call("accounts/create", &[("account_name", "  Acme Corp ")]).await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(created.body["name"], "Acme Corp");
    let partner_id = created.body["partner_id"].as_str().unwrap();
    assert!(partner_id.starts_with("PT-") && partner_id.len() == 12, "{partner_id}");

    let session = app.session().await;
    assert_eq!(session["account"]["name"], "Acme Corp");
    assert_eq!(session["is_primary_admin"], true);
    assert_eq!(session["permissions"], json!(PermissionSet::all().bits()));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.created'").await, 1);
    app.finish().await;
}

async fn a_member_cannot_create_a_second_account(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let second = app.call("accounts/create", &[("account_name", "Other")]).await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(second.body, json!({ "Validation": [{ "field": "account_name", "problem": "AlreadyInAccount" }] }));
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
    let blank = app.call_as(&new_client(), "accounts/create", &[("account_name", "")]).await;
    assert_eq!(blank.status, StatusCode::UNAUTHORIZED, "the guard answers before the parser");
    app.finish().await;
}

async fn anonymous_callers_cannot_create_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app.call("accounts/create", &[("account_name", "Acme")]).await;
    assert_eq!((answer.status, answer.body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
    app.finish().await;
}

async fn the_database_refuses_a_second_primary_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let account: i64 = sqlx::query_scalar("SELECT id FROM accounts").fetch_one(&app.state.db.pool).await.unwrap();
    let second = sqlx::query(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, is_primary_admin, created_at)
         VALUES ($1, 'Max', 'Moe', 'max', 'max@example.com', 1, 0)",
    )
    .bind(account)
    .execute(&app.state.db.pool)
    .await;
    assert!(second.unwrap_err().as_database_error().unwrap().is_unique_violation());
    app.finish().await;
}

async fn the_database_refuses_a_second_user_with_the_same_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let insert = "INSERT INTO users (first_name, last_name, login_name, email, created_at)
                  VALUES ('A', 'B', $1, 'same@example.com', 0)";
    sqlx::query(insert).bind("first").execute(&app.state.db.pool).await.unwrap();
    let second = sqlx::query(insert).bind("second").execute(&app.state.db.pool).await;
    assert!(second.unwrap_err().as_database_error().unwrap().is_unique_violation());
    app.finish().await;
}

async fn built_in_roles_in_the_database_match_the_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT builtin_key, permissions FROM roles WHERE account_id IS NULL ORDER BY id")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), BuiltInRole::ALL.len());
    for (key, bits) in rows {
        let role = BuiltInRole::from_key(&key).unwrap_or_else(|| panic!("unknown built-in role {key}"));
        assert_eq!(PermissionSet::from_bits(bits), role.permissions(), "{key}");
    }
    assert!(BuiltInRole::Auditor.permissions().contains(Permission::AuditView));
    app.finish().await;
}

async fn health_and_readiness_answer_with_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = app.client.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(response.text().await.unwrap(), body);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert!(headers.contains_key("x-request-id"));
    }
    app.finish().await;
}
