//! F1 over HTTP: registration, login, sessions, logout, forced password change, throttling,
//! and the same-origin rule, each on SQLite and PostgreSQL.

use crate::common;

use app::{
    domain::{AccountName, Email, LoginName, PersonName},
    ssr::services::accounts::create::{Bootstrap, bootstrap_account},
};
use common::{Backend, PASSWORD, new_client, register_args, spawn_app, spawn_app_with, test_config};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    registration_signs_the_new_user_in_without_an_account,
    registration_refuses_bad_input_field_by_field_and_changes_nothing,
    an_email_already_used_is_refused_whatever_the_case_of_its_domain,
    plus_addresses_are_different_users,
    closed_registration_refuses_everyone,
    login_works_with_email_or_login_name_and_issues_a_new_session_each_time,
    unknown_user_and_wrong_password_get_identical_answers,
    repeated_failures_block_the_identifier_even_for_the_right_password,
    logout_ends_the_session_on_the_server,
    a_forced_password_change_blocks_everything_else_until_done,
    changing_the_password_ends_the_other_sessions,
    sessions_end_after_the_idle_timeout_and_the_absolute_lifetime,
    a_cross_origin_post_is_refused_and_changes_nothing,
    the_language_preference_is_saved_and_comes_back_at_login,
);

async fn registration_signs_the_new_user_in_without_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app.register("jane", "jane@example.com").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let session = app.session().await;
    assert_eq!(session["login_name"], "jane");
    assert_eq!(session["account"], serde_json::Value::Null);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.registered'").await, 1);
    app.finish().await;
}

async fn registration_refuses_bad_input_field_by_field_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app
        .call(
            "auth/register",
            &[
                ("first_name", " "),
                ("last_name", "Doe"),
                ("email", "not-an-email"),
                ("login_name", "x y"),
                ("password", "short"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer.body,
        json!({ "Validation": [
            { "field": "first_name", "problem": "Required" },
            { "field": "email", "problem": "InvalidEmail" },
            { "field": "login_name", "problem": "InvalidLoginName" },
            { "field": "password", "problem": "PasswordTooShort" },
        ]})
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    let missing = app.call("auth/register", &[("first_name", "Jane")]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "a missing argument is the client's fault: {missing:?}");
    app.finish().await;
}

async fn an_email_already_used_is_refused_whatever_the_case_of_its_domain(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "Jane@Example.com").await.is_ok());
    let other = new_client();
    let answer = app.call_as(&other, "auth/register", &register_args("jane2", "Jane@example.COM")).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.body, json!({ "Conflict": { "field": "email", "problem": "EmailTaken" } }));
    let answer = app.call_as(&other, "auth/register", &register_args("JANE", "someone@example.com")).await;
    assert_eq!(answer.body, json!({ "Conflict": { "field": "login_name", "problem": "LoginNameTaken" } }));
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    app.finish().await;
}

async fn plus_addresses_are_different_users(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.call_as(&new_client(), "auth/register", &register_args("jane1", "name+portal1@example.com")).await;
    let b = app.call_as(&new_client(), "auth/register", &register_args("jane2", "name+portal2@example.com")).await;
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
    app.finish().await;
}

async fn closed_registration_refuses_everyone(backend: Backend) {
    let mut config = test_config();
    config.registration = server::config::Registration::Closed;
    let app = spawn_app_with(backend, config).await;
    let answer = app.register("jane", "jane@example.com").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body, json!("RegistrationClosed"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    app.finish().await;
}

async fn login_works_with_email_or_login_name_and_issues_a_new_session_each_time(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let by_email = app.call_as(&new_client(), "auth/login", &[("identifier", "jane@EXAMPLE.com"), ("password", PASSWORD)]).await;
    let by_login = app.call_as(&new_client(), "auth/login", &[("identifier", " Jane "), ("password", PASSWORD)]).await;
    assert!(by_email.is_ok() && by_login.is_ok(), "{by_email:?} {by_login:?}");
    assert_eq!(by_login.body, json!({ "locale": "en", "must_change_password": false, "second_step": false }));
    let tokens: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_all(&app.state.db.pool).await.unwrap();
    assert_eq!(tokens.len(), 3, "registration and both logins each opened a session");
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2]);
    assert!(tokens.iter().all(|t| t.len() == 64), "only SHA-256 hashes are stored");

    // Signing in again in the same browser replaces its session instead of adding one.
    let before: String = sqlx::query_scalar("SELECT token_hash FROM sessions ORDER BY id LIMIT 1").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(app.login("jane", PASSWORD).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 3);
    let gone = app.count(&format!("SELECT COUNT(*) FROM sessions WHERE token_hash = '{before}'")).await;
    assert_eq!(gone, 0, "the old session id is dead after login");
    let huge = app.login(&"x".repeat(300), PASSWORD).await;
    assert_eq!(huge.body, json!({ "Validation": [{ "field": "identifier", "problem": "TooLong" }] }));
    app.finish().await;
}

async fn unknown_user_and_wrong_password_get_identical_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let wrong = app.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", "wrong password")]).await;
    let unknown = app.call_as(&new_client(), "auth/login", &[("identifier", "nobody"), ("password", "wrong password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.body, json!("InvalidCredentials"));
    app.finish().await;
}

async fn repeated_failures_block_the_identifier_even_for_the_right_password(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    for _ in 0..5 {
        let answer = app.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", "wrong")]).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = app.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body["RateLimited"]["retry_after_secs"].as_u64().unwrap() <= 30);
    // An identifier nobody has is throttled just the same: the block reveals nothing.
    for _ in 0..5 {
        app.call_as(&new_client(), "auth/login", &[("identifier", "ghost"), ("password", "wrong")]).await;
    }
    let ghost = app.call_as(&new_client(), "auth/login", &[("identifier", "ghost"), ("password", "x")]).await;
    assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn logout_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("auth/logout", &[]).await.is_ok());
    assert_eq!(app.session().await, serde_json::Value::Null);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    let refused = app.call("accounts/create", &[("account_name", "Acme")]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn a_forced_password_change_blocks_everything_else_until_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, temporary) = bootstrap_account(&app.state, bootstrap("root", "root@example.com")).await.unwrap();
    let login = app.login("root", temporary.expose()).await;
    assert_eq!(login.body, json!({ "locale": "en", "must_change_password": true, "second_step": false }));
    assert_eq!(app.session().await["must_change_password"], true);

    let refused = app.call("auth/set_language", &[("locale", "fr")]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::FORBIDDEN, json!("PasswordChangeRequired")));
    let refused = app.call("accounts/create", &[("account_name", "Other")]).await;
    assert_eq!(refused.body, json!("PasswordChangeRequired"));

    let wrong = app.call("auth/change_password", &[("current_password", "nope"), ("new_password", PASSWORD)]).await;
    assert_eq!(wrong.body, json!({ "Validation": [{ "field": "current_password", "problem": "WrongCurrentPassword" }] }));
    let same = app.call("auth/change_password", &[("current_password", temporary.expose()), ("new_password", temporary.expose())]).await;
    assert_eq!(same.body, json!({ "Validation": [{ "field": "new_password", "problem": "PasswordUnchanged" }] }));
    let ok = app.call("auth/change_password", &[("current_password", temporary.expose()), ("new_password", PASSWORD)]).await;
    assert!(ok.is_ok(), "{ok:?}");

    assert_eq!(app.session().await["must_change_password"], false);
    assert!(app.call("auth/set_language", &[("locale", "fr")]).await.is_ok());
    let old = app.call_as(&new_client(), "auth/login", &[("identifier", "root"), ("password", temporary.expose())]).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "the temporary password no longer works");
    app.finish().await;
}

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let laptop = new_client();
    assert!(app.call_as(&laptop, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await.is_ok());
    let changed = app.call("auth/change_password", &[("current_password", PASSWORD), ("new_password", "another good passphrase")]).await;
    assert!(changed.is_ok(), "{changed:?}");
    assert_eq!(app.call_as(&laptop, "session/current", &[]).await.body, serde_json::Value::Null);
    assert_eq!(app.session().await["login_name"], "jane", "the session that changed it stays");
    app.finish().await;
}

async fn sessions_end_after_the_idle_timeout_and_the_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    // Time passes: the session was last used just over an hour ago (the idle timeout).
    app.execute("UPDATE sessions SET last_seen_at = last_seen_at - 3601").await;
    assert_eq!(app.session().await, serde_json::Value::Null);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0, "expired sessions are deleted on sight");

    assert!(app.login("jane", PASSWORD).await.is_ok());
    assert_eq!(app.session().await["login_name"], "jane");
    // In use all along, but past its absolute lifetime.
    app.execute("UPDATE sessions SET expires_at = created_at - 1").await;
    assert_eq!(app.session().await, serde_json::Value::Null);
    app.finish().await;
}

async fn a_cross_origin_post_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(format!("{}/api/auth/register", app.url))
        .header("origin", "https://evil.example")
        .form(&register_args("mallory", "mallory@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    let same_origin = app
        .client
        .post(format!("{}/api/auth/register", app.url))
        .header("origin", app.url.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&register_args("jane", "jane@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
    app.finish().await;
}

async fn the_language_preference_is_saved_and_comes_back_at_login(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("auth/set_language", &[("locale", "fr")]).await.is_ok());
    assert!(app.call("auth/set_language", &[("locale", "xx")]).await.is_ok(), "unknown languages fall back");
    assert!(app.call("auth/set_language", &[("locale", "fr")]).await.is_ok());
    let login = app.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await;
    assert_eq!(login.body["locale"], "fr");
    app.finish().await;
}


fn bootstrap(login: &str, email: &str) -> Bootstrap {
    Bootstrap {
        account_name: AccountName::parse("Acme").unwrap(),
        first_name: PersonName::parse("Root").unwrap(),
        last_name: PersonName::parse("Admin").unwrap(),
        email: Email::parse(email).unwrap(),
        login_name: LoginName::parse(login).unwrap(),
    }
}
