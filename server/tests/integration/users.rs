//! F4's users list: filters (substring, case-insensitive, literal), scoping, sort, paging,
//! and who may read it — on SQLite and PostgreSQL.

use crate::common;

use app::domain::Password;
use common::{Backend, PASSWORD, TestApp, new_client, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    filters_match_substrings_case_insensitively_and_literally,
    the_list_only_ever_shows_the_actors_account,
    sorting_and_paging_report_the_total,
    the_status_filter_tells_locked_invited_and_active_apart,
    only_holders_of_users_view_may_list,
    the_role_filter_finds_the_holders_of_a_role,
);

/// Jane registers and creates "Acme"; returns the account id.
async fn admin_with_account(app: &TestApp) -> i64 {
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    sqlx::query_scalar("SELECT account_id FROM users WHERE login_name = 'jane'").fetch_one(&app.state.db.pool).await.unwrap()
}

/// Adds a user straight into the database, with PASSWORD and the built-in role `role`.
async fn add_user(app: &TestApp, account: Option<i64>, first: &str, last: &str, login: &str, role: &str) {
    let hash = app.state.hasher.hash(Password::generated(PASSWORD.into())).await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
    )
    .bind(account)
    .bind(first)
    .bind(last)
    .bind(login)
    .bind(format!("{login}@example.com"))
    .bind(hash)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE builtin_key = $2")
        .bind(id)
        .bind(role)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn list(app: &TestApp, args: &[(&str, &str)]) -> Value {
    let answer = app.call("users/list", args).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body
}

fn logins(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["login_name"].as_str().unwrap().to_owned()).collect()
}

async fn filters_match_substrings_case_insensitively_and_literally(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for (first, last, login) in [
        ("Zoë", "Müller", "zoe"),
        ("Percent", "100% Pure", "percent"),
        ("Under", "a_b", "under"),
        ("Under", "axb", "underx"),
        ("Quote", "O'Brien \"Bob\"", "quote"),
        ("Syntax", "NEAR(x y) AND *", "syntax"),
    ] {
        add_user(&app, Some(acme), first, last, login, "member").await;
    }
    let by = |column: &'static str, term: &'static str| [(column, term)];
    let cases: [(&str, &str, Vec<&str>); 9] = [
        ("query[filter][last_name]", "MÜLL", vec!["zoe"]),
        ("query[filter][first_name]", "zo", vec!["zoe"]),
        ("query[filter][last_name]", "0% p", vec!["percent"]),
        ("query[filter][last_name]", "a_b", vec!["under"]),
        ("query[filter][last_name]", "_", vec!["under"]),
        ("query[filter][last_name]", "o'brien \"b", vec!["quote"]),
        ("query[filter][last_name]", "NEAR(x", vec!["syntax"]),
        ("query[filter][last_name]", "AND *", vec!["syntax"]),
        ("query[filter][email]", "ENT@EXAMPLE", vec!["percent"]),
    ];
    for (column, term, expected) in cases {
        let page = list(&app, &by(column, term)).await;
        assert_eq!(logins(&page), expected, "{column} = {term:?}");
        assert_eq!(page["total"], json!({ "exactly": expected.len() }));
    }
    let both = list(&app, &[("query[filter][first_name]", "under"), ("query[filter][last_name]", "xb")]).await;
    assert_eq!(logins(&both), ["underx"]);
    app.finish().await;
}

async fn the_list_only_ever_shows_the_actors_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Max", "Moe", "max", "member").await;
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ('Other', 'PT-OTHR-0001', 'AK-X', 0) RETURNING id",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    add_user(&app, Some(other), "Max", "Moe", "max-other", "administrator").await;
    add_user(&app, None, "Max", "Moe", "max-nobody", "member").await;

    let page = list(&app, &[("query[filter][first_name]", "max")]).await;
    assert_eq!(logins(&page), ["max"]);
    let everyone = list(&app, &[]).await;
    assert_eq!(everyone["total"], json!({ "exactly": 2 }), "the kept count of its own account only");
    app.finish().await;
}

async fn sorting_and_paging_report_the_total(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for n in 0..30 {
        add_user(&app, Some(acme), "Bulk", &format!("Name{n:02}"), &format!("bulk{n:02}"), "member").await;
    }
    let first = list(&app, &[("query[filter][first_name]", "bulk")]).await;
    assert_eq!(first["total"], json!({ "exactly": 30 }));
    assert_eq!(logins(&first).len(), 25);
    assert_eq!(logins(&first)[0], "bulk00");
    let second = list(&app, &[("query[filter][first_name]", "bulk"), ("query[page]", "1")]).await;
    assert_eq!(logins(&second), ["bulk25", "bulk26", "bulk27", "bulk28", "bulk29"]);
    let descending = list(&app, &[("query[filter][first_name]", "bulk"), ("query[sort]", "LoginName"), ("query[descending]", "true")]).await;
    assert_eq!(logins(&descending)[0], "bulk29");
    let jane = list(&app, &[("query[filter][login_name]", "jane")]).await;
    assert_eq!(jane["rows"][0]["roles"][0]["builtin_key"], "administrator");
    assert_eq!(jane["rows"][0]["is_primary_admin"], true);
    app.finish().await;
}

async fn the_status_filter_tells_locked_invited_and_active_apart(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Lou", "Locked", "lou", "member").await;
    add_user(&app, Some(acme), "Ivy", "Invited", "ivy", "member").await;
    app.execute("UPDATE users SET locked_at = 1 WHERE login_name = 'lou'").await;
    app.execute("UPDATE users SET password_hash = NULL WHERE login_name = 'ivy'").await;
    for (status, expected) in [("Locked", vec!["lou"]), ("Invited", vec!["ivy"]), ("Active", vec!["jane"])] {
        let page = list(&app, &[("query[filter][status]", status)]).await;
        assert_eq!(logins(&page), expected, "{status}");
        assert_eq!(page["rows"][0]["status"], status);
        assert_eq!(page["total"], json!({ "exactly": 1 }), "{status}: the kept count");
    }
    app.finish().await;
}

async fn only_holders_of_users_view_may_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Mia", "Member", "mia", "member").await;
    add_user(&app, Some(acme), "Ada", "Auditor", "ada", "auditor").await;

    let anonymous = app.call_as(&new_client(), "users/list", &[]).await;
    assert_eq!((anonymous.status, anonymous.body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));

    let member = new_client();
    assert!(app.call_as(&member, "auth/login", &[("identifier", "mia"), ("password", PASSWORD)]).await.is_ok());
    let refused = app.call_as(&member, "users/list", &[]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::FORBIDDEN, json!("Forbidden")));

    let auditor = new_client();
    assert!(app.call_as(&auditor, "auth/login", &[("identifier", "ada"), ("password", PASSWORD)]).await.is_ok());
    assert_eq!(app.call_as(&auditor, "users/list", &[]).await.status, StatusCode::OK);
    app.finish().await;
}

async fn the_role_filter_finds_the_holders_of_a_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Aud", "Itor", "auditor1", "auditor").await;
    add_user(&app, Some(acme), "Mem", "Ber", "member1", "member").await;
    let auditor: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'auditor'").fetch_one(&app.state.db.pool).await.unwrap();
    let page = list(&app, &[("query[filter][role]", &auditor.to_string())]).await;
    assert_eq!((logins(&page), page["total"].clone()), (vec!["auditor1".to_owned()], json!({ "exactly": 1 })));
    let nobody = list(&app, &[("query[filter][role]", "999999")]).await;
    assert_eq!(nobody["total"], json!({ "exactly": 0 }));
    app.finish().await;
}
