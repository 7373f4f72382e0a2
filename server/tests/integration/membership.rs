//! Belonging to an account (F1 verification, F2): the rules and the refusals, on SQLite and
//! PostgreSQL.

use crate::common;

use common::{Backend, TestApp, new_client, register_args, spawn_app, token_in};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    only_a_verified_address_creates_or_joins_an_account,
    joining_by_key_gives_the_member_role_and_mails_the_administrators,
    a_regenerated_key_stops_the_old_one_at_once,
    changing_account_drops_the_old_roles_in_one_step,
    the_primary_administrator_transfers_or_closes_instead_of_leaving,
    account_details_are_edited_by_account_managers_only,
);

/// A verified user without an account, on their own client.
async fn newcomer(app: &TestApp, login: &str) -> Client {
    let client = new_client();
    let email = format!("{login}@example.com");
    assert!(app.call_as(&client, "auth/register", &register_args(login, &email)).await.is_ok());
    app.mark_verified(login).await;
    client
}

async fn key_of(app: &TestApp, admin: &Client) -> String {
    let key = app.call_as(admin, "accounts/key", &[]).await;
    assert!(key.is_ok(), "{key:?}");
    key.body.as_str().unwrap().to_owned()
}

async fn session_of(app: &TestApp, client: &Client) -> Value {
    app.call_as(client, "session/current", &[]).await.body
}

async fn only_a_verified_address_creates_or_joins_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let key = key_of(&app, &ada).await;
    let bob = new_client();
    assert!(app.call_as(&bob, "auth/register", &register_args("bob", "bob@example.com")).await.is_ok());
    assert_eq!(session_of(&app, &bob).await["email_verified"], false);
    let refused = app.call_as(&bob, "accounts/create", &[("account_name", "Bob corp")]).await;
    assert_eq!(refused.body, json!({ "Validation": [{ "field": "account_name", "problem": "EmailNotVerified" }] }));
    let refused = app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await;
    assert_eq!(refused.body, json!({ "Validation": [{ "field": "account_key", "problem": "EmailNotVerified" }] }));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'bob' AND account_id IS NOT NULL").await, 0);

    let mail = app.mails_to("bob@example.com", 1).await.remove(0);
    assert!(mail.contains("/verify-email?token="), "{mail}");
    let token = token_in(&mail);
    // The link itself needs no session: it may be opened in another browser.
    assert!(app.call_as(&new_client(), "auth/verify_email", &[("token", &token)]).await.is_ok());
    assert_eq!(session_of(&app, &bob).await["email_verified"], true);
    let reused = app.call("auth/verify_email", &[("token", &token)]).await;
    assert_eq!(reused.body, json!({ "Validation": [{ "field": "token", "problem": "LinkInvalid" }] }));
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.email_verified'").await, 1);
    app.finish().await;
}

async fn joining_by_key_gives_the_member_role_and_mails_the_administrators(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let key = key_of(&app, &ada).await;
    let bob = newcomer(&app, "bob").await;
    let wrong = app.call_as(&bob, "accounts/join", &[("account_key", "AK-2222-2222-2222-2222-2222-2222-2222")]).await;
    assert_eq!(wrong.body, json!({ "Validation": [{ "field": "account_key", "problem": "UnknownAccountKey" }] }));
    let malformed = app.call_as(&bob, "accounts/join", &[("account_key", "' OR 1=1 --")]).await;
    assert_eq!(malformed.body, json!({ "Validation": [{ "field": "account_key", "problem": "InvalidAccountKey" }] }));

    // Typed sloppily: lower case, without dashes.
    let sloppy = key.replace('-', "").to_lowercase();
    let joined = app.call_as(&bob, "accounts/join", &[("account_key", &sloppy)]).await;
    assert!(joined.is_ok(), "{joined:?}");
    assert_eq!(joined.body["name"], "ada corp");
    let session = session_of(&app, &bob).await;
    assert_eq!(session["account"]["name"], "ada corp");
    assert_eq!(session["permissions"], json!(0), "the Member role holds nothing");
    let mail = app.mail_containing("ada@example.com", "used the account key").await;
    assert!(mail.contains("bob@example.com"), "{mail}");
    let again = app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await;
    assert_eq!(again.body, json!({ "Validation": [{ "field": "account_key", "problem": "SameAccount" }] }));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'member.joined_by_key' AND account_id IS NOT NULL").await, 1);
    app.finish().await;
}

async fn a_regenerated_key_stops_the_old_one_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let old = key_of(&app, &ada).await;
    let new = app.call_as(&ada, "accounts/regenerate_key", &[]).await.body.as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert_eq!(key_of(&app, &ada).await, new);
    let bob = newcomer(&app, "bob").await;
    let refused = app.call_as(&bob, "accounts/join", &[("account_key", &old)]).await;
    assert_eq!(refused.body["Validation"][0]["problem"], "UnknownAccountKey");
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &new)]).await.is_ok());
    // A member may not see or change the key, and the key never enters the audit trail.
    assert_eq!(app.call_as(&bob, "accounts/key", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call_as(&bob, "accounts/regenerate_key", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call_as(&new_client(), "accounts/key", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_events WHERE details LIKE '%{}%'", &new[3..])).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.key_regenerated'").await, 1);
    app.finish().await;
}

async fn changing_account_drops_the_old_roles_in_one_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let zed = app.admin("zed").await;
    let (ada_key, zed_key) = (key_of(&app, &ada).await, key_of(&app, &zed).await);
    let bob = newcomer(&app, "bob").await;
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &ada_key)]).await.is_ok());
    // Ada makes bob a user manager in her account.
    let bob_id = app.user_id("bob").await.to_string();
    let manager: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'user_manager'").fetch_one(&app.state.db.pool).await.unwrap();
    let form = common::form("bob", "bob@example.com", &[manager], "");
    let promoted = app.call_json(&ada, "users/update", json!({ "id": bob_id.parse::<i64>().unwrap(), "form": form })).await;
    assert!(promoted.is_ok(), "{promoted:?}");
    assert_ne!(session_of(&app, &bob).await["permissions"], json!(0));

    let changed = app.call_as(&bob, "accounts/join", &[("account_key", &zed_key)]).await;
    assert!(changed.is_ok(), "{changed:?}");
    let session = session_of(&app, &bob).await;
    assert_eq!(session["account"]["name"], "zed corp");
    assert_eq!(session["permissions"], json!(0), "the user manager role stayed behind");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM user_roles WHERE user_id = {bob_id}")).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'member.left'").await, 1);
    // Ada's table no longer lists bob.
    let listed = app.call_as(&ada, "users/list", &[]).await;
    assert!(listed.body["rows"].as_array().unwrap().iter().all(|r| r["login_name"] != "bob"));
    app.finish().await;
}

async fn the_primary_administrator_transfers_or_closes_instead_of_leaving(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let zed = app.admin("zed").await;
    let zed_key = key_of(&app, &zed).await;
    let alone = app.call_as(&ada, "accounts/leave", &[]).await;
    assert_eq!(alone.body, json!({ "Refused": "PrimaryMustClose" }));
    let change = app.call_as(&ada, "accounts/join", &[("account_key", &zed_key)]).await;
    assert_eq!(change.body, json!({ "Refused": "PrimaryMustClose" }));

    let bob = newcomer(&app, "bob").await;
    let ada_key = key_of(&app, &ada).await;
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &ada_key)]).await.is_ok());
    assert_eq!(app.call_as(&ada, "accounts/leave", &[]).await.body, json!({ "Refused": "PrimaryMustTransfer" }));
    assert_eq!(app.call_as(&ada, "accounts/close", &[]).await.body, json!({ "Refused": "NotAlone" }));
    assert_eq!(app.call_as(&bob, "accounts/close", &[]).await.body, json!({ "Refused": "OnlyPrimaryAdministrator" }));

    assert!(app.call_as(&bob, "accounts/leave", &[]).await.is_ok());
    assert_eq!(session_of(&app, &bob).await["account"], Value::Null);
    let closed = app.call_as(&ada, "accounts/close", &[]).await;
    assert!(closed.is_ok(), "{closed:?}");
    assert_eq!(session_of(&app, &ada).await["account"], Value::Null);
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE name = 'ada corp'").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.closed' AND details LIKE '%ada corp%'").await, 1);
    // Alone and without an account, ada can start again.
    assert!(app.call_as(&ada, "accounts/create", &[("account_name", "Ada again")]).await.is_ok());
    app.finish().await;
}

async fn account_details_are_edited_by_account_managers_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let bad = app.call_as(&ada, "accounts/update_details", &[("name", ""), ("contact_email", "nope"), ("default_locale", "fr")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<&str> = bad.body["Validation"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(problems, ["name", "contact_email"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE name = 'ada corp' AND contact_email IS NULL").await, 1, "nothing changed");
    let saved = app.call_as(&ada, "accounts/update_details", &[("name", "Ada & Co"), ("contact_email", "it@ADA.example"), ("default_locale", "fr")]).await;
    assert!(saved.is_ok(), "{saved:?}");
    let details = app.call_as(&ada, "accounts/details", &[]).await.body;
    assert_eq!((details["name"].as_str(), details["contact_email"].as_str(), details["default_locale"].as_str()), (Some("Ada & Co"), Some("it@ada.example"), Some("fr")));
    assert_eq!(session_of(&app, &ada).await["account_locale"], "fr", "new users of the account start in French");

    let bob = newcomer(&app, "bob").await;
    let key = key_of(&app, &ada).await;
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await.is_ok());
    assert_eq!(app.call_as(&bob, "accounts/details", &[]).await.body["members"], 2);
    let refused = app.call_as(&bob, "accounts/update_details", &[("name", "Mine"), ("contact_email", ""), ("default_locale", "en")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.finish().await;
}
