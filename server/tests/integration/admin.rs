//! User administration (F3, F4 actions, F5, F6) and getting back in (F1 forgot password, F4
//! reset): every rule and every refusal, on SQLite and PostgreSQL.

use crate::common;

use common::{Answer, Backend, NEW, PASSWORD, TestApp, create, form, new_client, role_id, signed_in, spawn_app, spawn_app_with, test_config, token_in};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use server::config::{Config, ResetDeliveryArg};

on_both_backends!(
    a_user_created_with_a_password_must_change_it_at_first_login,
    creating_refuses_bad_input_and_taken_addresses_and_writes_nothing,
    an_invitation_link_is_single_use_and_lands_the_invitee_in_the_account,
    resend_and_cancel_manage_pending_invitations,
    nobody_but_the_primary_admin_acts_on_the_primary_admin,
    bulk_actions_skip_what_they_must_and_take_effect_on_the_next_request,
    deleting_frees_the_email_and_keeps_a_snapshot_in_the_audit_trail,
    a_temporary_password_works_once,
    reset_by_link_disables_the_old_password_until_the_link_is_used,
    forgot_password_answers_alike_and_mails_only_known_addresses,
    the_primary_admin_hands_over_in_one_step,
    concurrent_primary_transfers_leave_exactly_one,
    concurrent_creates_of_one_email_leave_one,
    nobody_grants_what_they_do_not_hold,
    role_forms_keep_names_unique_and_built_ins_read_only,
    another_accounts_users_and_roles_are_not_found,
    editing_changes_fields_roles_and_password,
);

async fn bulk(app: &TestApp, client: &Client, action: &str, ids: &[i64]) -> Answer {
    app.call_json(client, "users/bulk", json!({ "action": action, "selection": { "Users": ids } })).await
}

fn skipped(answer: &Answer) -> Vec<(String, String)> {
    answer.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["login_name"].as_str().unwrap().to_owned(), s["reason"].as_str().unwrap().to_owned()))
        .collect()
}

async fn signed_in_user(app: &TestApp, client: &Client) -> Value {
    let answer = app.call_as(client, "session/current", &[]).await;
    assert!(answer.is_ok());
    answer.body
}

async fn a_user_created_with_a_password_must_change_it_at_first_login(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    create(&app, &admin, "bob", &[]).await;
    let bob = new_client();
    let login = app.call_as(&bob, "auth/login", &[("identifier", "bob"), ("password", PASSWORD)]).await;
    assert_eq!(login.body["must_change_password"], true);
    let blocked = app.call_as(&bob, "me/sessions", &[]).await;
    assert_eq!((blocked.status, blocked.body), (StatusCode::FORBIDDEN, json!("PasswordChangeRequired")));
    let user = signed_in_user(&app, &bob).await;
    assert_eq!(user["account"]["name"], "ada corp", "bob is in ada's account");
    // Without roles chosen, the new user holds Member.
    let member = role_id(&app, "member").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM user_roles WHERE role_id = {member}")).await, 1);
    app.finish().await;
}

async fn creating_refuses_bad_input_and_taken_addresses_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let bad = json!({ "form": { "first_name": "", "last_name": "X", "login_name": "a b", "email": "nope", "locale": "en",
        "subscribe_news": false, "subscribe_alerts": false, "role_ids": [], "password": "short" }, "delivery": "Password" });
    let answer = app.call_json(&admin, "users/create", bad).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = answer.body["Validation"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["first_name", "login_name", "email", "password"]);
    // Another account's address, with the domain in other case: "a user with this e-mail already exists".
    let other = app.admin("zed").await;
    drop(other);
    let taken = app
        .call_json(&admin, "users/create", json!({ "form": form("zedtwo", "zed@EXAMPLE.com", &[], PASSWORD), "delivery": "Password" }))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["Conflict"], json!({ "field": "email", "problem": "EmailTaken" }));
    // The local part compares exactly: name+portal1 and name+portal2 are two people.
    for (login, email) in [("por1", "name+portal1@example.com"), ("por2", "name+portal2@example.com")] {
        let answer = app.call_json(&admin, "users/create", json!({ "form": form(login, email, &[], PASSWORD), "delivery": "Password" })).await;
        assert!(answer.is_ok(), "{answer:?}");
    }
    let login_taken =
        app.call_json(&admin, "users/create", json!({ "form": form("por1", "other@example.com", &[], PASSWORD), "delivery": "Password" })).await;
    assert_eq!(login_taken.body["Conflict"]["field"], "login_name");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before + 1 + 2, "only zed, p1 and p2 were added");
    // A member without users.manage is refused; so is an anonymous caller.
    let member = signed_in(&app, "por1").await;
    let refused = app.call_json(&member, "users/create", json!({ "form": form("por3", "por3@example.com", &[], PASSWORD), "delivery": "Password" })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = app.call_json(&new_client(), "users/create", json!({ "form": form("por3", "por3@example.com", &[], PASSWORD), "delivery": "Password" })).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn invite(app: &TestApp, admin: &Client, login: &str) -> i64 {
    let email = format!("{login}@example.com");
    let answer = app.call_json(admin, "users/create", json!({ "form": form(login, &email, &[], ""), "delivery": "Invitation" })).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body.as_i64().unwrap()
}

async fn an_invitation_link_is_single_use_and_lands_the_invitee_in_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    invite(&app, &admin, "ivy").await;
    let mail = app.mails_to("ivy@example.com", 1).await.remove(0);
    assert!(mail.contains("ada corp"), "{mail}");
    let token = token_in(&mail);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_tokens").await, 1);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM user_tokens WHERE token_hash = '{token}'")).await, 0, "only the hash is stored");
    // The invited user cannot sign in before accepting.
    assert_eq!(app.login("ivy", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let shown = app.call("invitation/show", &[("token", &token)]).await;
    assert_eq!(shown.body["account_name"], "ada corp");
    let ivy = new_client();
    let weak = app.call_as(&ivy, "invitation/accept", &[("token", &token), ("first_name", "Ivy"), ("last_name", "Lane"), ("password", "ivy")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = app
        .call_as(&ivy, "invitation/accept", &[("token", &token), ("first_name", "Ivy"), ("last_name", "Lane"), ("password", PASSWORD)])
        .await;
    assert!(accepted.is_ok(), "{accepted:?}");
    let user = signed_in_user(&app, &ivy).await;
    assert_eq!((user["first_name"].as_str(), user["account"]["name"].as_str()), (Some("Ivy"), Some("ada corp")));
    let again = app
        .call_as(&new_client(), "invitation/accept", &[("token", &token), ("first_name", "X"), ("last_name", "Y"), ("password", PASSWORD)])
        .await;
    assert_eq!(again.body["Validation"][0], json!({ "field": "token", "problem": "LinkInvalid" }));
    assert!(app.login("ivy", PASSWORD).await.is_ok());
    app.finish().await;
}

async fn resend_and_cancel_manage_pending_invitations(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let ivy = invite(&app, &admin, "ivy").await;
    let first = token_in(&app.mails_to("ivy@example.com", 1).await[0]);
    let pending = app.call_as(&admin, "invitations/list", &[]).await;
    assert_eq!(pending.body.as_array().unwrap().len(), 1);
    assert!(app.call_as(&admin, "invitations/resend", &[("id", &ivy.to_string())]).await.is_ok());
    let second = token_in(&app.mails_to("ivy@example.com", 2).await[1]);
    assert_ne!(first, second);
    assert_eq!(app.call("invitation/show", &[("token", &first)]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "the old link died");
    assert!(app.call("invitation/show", &[("token", &second)]).await.is_ok());
    assert!(app.call_as(&admin, "invitations/cancel", &[("id", &ivy.to_string())]).await.is_ok());
    assert_eq!(app.call("invitation/show", &[("token", &second)]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'ivy'").await, 0);
    // An active user is not an invitation.
    let ada = app.user_id("ada").await;
    assert_eq!(app.call_as(&admin, "invitations/cancel", &[("id", &ada.to_string())]).await.body, json!({ "Refused": "NotActive" }));
    app.finish().await;
}

async fn nobody_but_the_primary_admin_acts_on_the_primary_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let primary = app.admin("ada").await;
    let administrator = role_id(&app, "administrator").await;
    create(&app, &primary, "second", &[administrator]).await;
    let second = signed_in(&app, "second").await;
    let ada = app.user_id("ada").await;
    for action in ["Lock", "ForceLogout", "Delete"] {
        let answer = bulk(&app, &second, action, &[ada]).await;
        assert!(answer.is_ok());
        assert_eq!(answer.body["done"], 0);
        assert_eq!(skipped(&answer), [("ada".to_owned(), "PrimaryAdministrator".to_owned())]);
    }
    let id = ada.to_string();
    assert_eq!(app.call_as(&second, "users/reset_password", &[("id", &id)]).await.body, json!({ "Refused": "PrimaryAdministrator" }));
    let edit = app.call_json(&second, "users/update", json!({ "id": ada, "form": form("ada", "ada@example.com", &[administrator], "") })).await;
    assert_eq!(edit.body, json!({ "Refused": "PrimaryAdministrator" }));
    // The primary admin still signs in, unchanged; an administrator does not lock themself either.
    assert_eq!(signed_in_user(&app, &primary).await["login_name"], "ada");
    let own = bulk(&app, &second, "Lock", &[app.user_id("second").await]).await;
    assert_eq!(skipped(&own), [("second".to_owned(), "Yourself".to_owned())]);
    app.finish().await;
}

async fn bulk_actions_skip_what_they_must_and_take_effect_on_the_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let manager_role = role_id(&app, "user_manager").await;
    let administrator = role_id(&app, "administrator").await;
    let mut ids = Vec::new();
    for login in ["usr1", "usr2", "usr3"] {
        ids.push(create(&app, &admin, login, &[]).await);
    }
    let boss = create(&app, &admin, "boss", &[administrator]).await;
    create(&app, &admin, "manager", &[manager_role]).await;
    let manager = signed_in(&app, "manager").await;
    let u1 = signed_in(&app, "usr1").await;
    // A user manager cannot lock an administrator: that would be escalation.
    let mut all = ids.clone();
    all.push(boss);
    // The confirmation asks first: the same answer, and nothing changes.
    let preview = app.call_json(&manager, "users/bulk_preview", json!({ "action": "Lock", "selection": { "Users": all } })).await;
    assert_eq!(preview.body["done"], 3, "{preview:?}");
    assert_eq!(skipped(&preview), [("boss".to_owned(), "OutranksYou".to_owned())]);
    assert!(!signed_in_user(&app, &u1).await.is_null(), "a preview locks nobody");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE locked_at IS NOT NULL").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.locked'").await, 0);
    let locked = bulk(&app, &manager, "Lock", &all).await;
    assert_eq!(locked.body["done"], 3);
    assert_eq!(skipped(&locked), [("boss".to_owned(), "OutranksYou".to_owned())]);
    assert!(signed_in_user(&app, &u1).await.is_null(), "a locked user's session ends at once");
    assert_eq!(app.login("usr1", NEW).await.body, json!("UserLocked"));
    let unlocked = bulk(&app, &manager, "Unlock", &ids).await;
    assert_eq!(unlocked.body["done"], 3);
    let u1 = new_client();
    assert!(app.call_as(&u1, "auth/login", &[("identifier", "usr1"), ("password", NEW)]).await.is_ok());
    // "All matching": by filter across pages.
    let matching = app
        .call_json(&manager, "users/bulk", json!({ "action": "ForceLogout", "selection": { "Matching": { "login_name": "usr" } } }))
        .await;
    assert_eq!(matching.body["done"], 3, "{matching:?}");
    assert!(signed_in_user(&app, &u1).await.is_null(), "forced out on the next request");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.logged_out_by_admin'").await, 3);
    // A member may not act at all.
    assert!(app.call_as(&u1, "auth/login", &[("identifier", "usr1"), ("password", NEW)]).await.is_ok());
    assert_eq!(bulk(&app, &u1, "Delete", &ids).await.status, StatusCode::FORBIDDEN);
    let preview = app.call_json(&u1, "users/bulk_preview", json!({ "action": "Delete", "selection": { "Users": ids } })).await;
    assert_eq!(preview.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 6);
    app.finish().await;
}

async fn deleting_frees_the_email_and_keeps_a_snapshot_in_the_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let bob = create(&app, &admin, "bob", &[]).await;
    let _session = signed_in(&app, "bob").await;
    let deleted = bulk(&app, &admin, "Delete", &[bob]).await;
    assert_eq!(deleted.body["done"], 1);
    for table in ["users WHERE id = ", "user_roles WHERE user_id = ", "sessions WHERE user_id = "] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}{bob}")).await, 0, "{table}");
    }
    let snapshot: String = sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'user.deleted'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(snapshot.contains("bob@example.com") && snapshot.contains("Stone"), "{snapshot}");
    create(&app, &admin, "bob", &[]).await;
    app.finish().await;
}

async fn a_temporary_password_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let bob = create(&app, &admin, "bob", &[]).await;
    let session = signed_in(&app, "bob").await;
    assert!(app.call_as(&admin, "users/reset_password", &[("id", &bob.to_string())]).await.is_ok());
    assert!(signed_in_user(&app, &session).await.is_null(), "every session of the user ended");
    assert_eq!(app.login("bob", NEW).await.status, StatusCode::UNAUTHORIZED, "the old password is dead");
    let mail = app.mails_to("bob@example.com", 1).await.remove(0);
    let temporary = mail.lines().map(str::trim).find(|l| l.len() == 19 && l.matches('-').count() == 3).expect("a temporary password").to_owned();
    let bob_client = new_client();
    let login = app.call_as(&bob_client, "auth/login", &[("identifier", "bob"), ("password", &temporary)]).await;
    assert_eq!(login.body["must_change_password"], true);
    assert_eq!(app.login("bob", &temporary).await.status, StatusCode::UNAUTHORIZED, "one login only");
    let changed = app.call_as(&bob_client, "auth/change_password", &[("current_password", &temporary), ("new_password", "my very own secret")]).await;
    assert!(changed.is_ok(), "{changed:?}");
    assert!(app.login("bob", "my very own secret").await.is_ok());
    // Delivered mails keep no secret in the database.
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND body <> ''").await, 0);
    app.finish().await;
}

async fn reset_by_link_disables_the_old_password_until_the_link_is_used(backend: Backend) {
    let app = spawn_app_with(backend, Config { reset_delivery: ResetDeliveryArg::Link, ..test_config() }).await;
    let admin = app.admin("ada").await;
    let bob = create(&app, &admin, "bob", &[]).await;
    signed_in(&app, "bob").await;
    assert!(app.call_as(&admin, "users/reset_password", &[("id", &bob.to_string())]).await.is_ok());
    assert_eq!(app.login("bob", NEW).await.status, StatusCode::UNAUTHORIZED);
    let token = token_in(&app.mails_to("bob@example.com", 1).await[0]);
    let weak = app.call("auth/reset_password_with_link", &[("token", &token), ("new_password", "bob")]).await;
    assert_eq!(weak.body["Validation"][0]["field"], "new_password");
    assert!(app.call("auth/reset_password_with_link", &[("token", &token), ("new_password", "picked by me now")]).await.is_ok());
    let login = app.login("bob", "picked by me now").await;
    assert_eq!(login.body["must_change_password"], false);
    let reuse = app.call("auth/reset_password_with_link", &[("token", &token), ("new_password", "another secret!")]).await;
    assert_eq!(reuse.body["Validation"][0]["problem"], "LinkInvalid");
    app.finish().await;
}

async fn forgot_password_answers_alike_and_mails_only_known_addresses(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("ada").await;
    let known = app.call("auth/forgot_password", &[("email", "ada@example.com")]).await;
    let unknown = app.call("auth/forgot_password", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    // The first mail to ada confirmed her address at registration.
    let token = token_in(&app.mails_to("ada@example.com", 2).await[1]);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'nobody@example.com'").await, 0);
    assert!(app.call("auth/reset_password_with_link", &[("token", &token), ("new_password", "remembered at last")]).await.is_ok());
    assert!(app.login("ada", "remembered at last").await.is_ok());
    // Flooding one address is throttled.
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        last = app.call("auth/forgot_password", &[("email", "ada@example.com")]).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn the_primary_admin_hands_over_in_one_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let bob_id = create(&app, &ada, "bob", &[]).await;
    let bob = signed_in(&app, "bob").await;
    let refused = app.call_as(&bob, "users/make_primary", &[("id", &bob_id.to_string())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a member may not");
    assert!(app.call_as(&ada, "users/make_primary", &[("id", &bob_id.to_string())]).await.is_ok());
    assert!(signed_in_user(&app, &ada).await.is_null(), "the former primary admin must sign in again");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE is_primary_admin = 1").await, 1);
    assert_eq!(app.count(&format!("SELECT is_primary_admin FROM users WHERE id = {bob_id}")).await, 1);
    let administrator = role_id(&app, "administrator").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM user_roles WHERE role_id = {administrator}")).await, 2, "both hold Administrator");
    assert!(app.mails_to("bob@example.com", 1).await[0].contains("primary administrator"));
    // Ada kept her roles but not the title: she can no longer hand it on.
    let ada = new_client();
    assert!(app.call_as(&ada, "auth/login", &[("identifier", "ada"), ("password", PASSWORD)]).await.is_ok());
    let again = app.call_as(&ada, "users/make_primary", &[("id", &app.user_id("ada").await.to_string())]).await;
    assert_eq!(again.body, json!({ "Refused": "Yourself" }));
    let bob_self = app.user_id("bob").await.to_string();
    assert_eq!(app.call_as(&ada, "users/make_primary", &[("id", &bob_self)]).await.body, json!({ "Refused": "OnlyPrimaryAdministrator" }));
    app.finish().await;
}

async fn concurrent_primary_transfers_leave_exactly_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let mut targets = Vec::new();
    for login in ["tgt1", "tgt2", "tgt3", "tgt4"] {
        targets.push(create(&app, &ada, login, &[]).await);
    }
    let calls = targets.iter().map(|id| {
        let id = id.to_string();
        let (app, ada) = (&app, &ada);
        async move { app.call_as(ada, "users/make_primary", &[("id", &id)]).await }
    });
    let answers = futures::future::join_all(calls).await;
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE is_primary_admin = 1").await, 1);
    app.finish().await;
}

async fn concurrent_creates_of_one_email_leave_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let calls = (0..6).map(|n| {
        let body = json!({ "form": form(&format!("twin{n}"), "twin@example.com", &[], PASSWORD), "delivery": "Password" });
        let (app, ada) = (&app, &ada);
        async move { app.call_json(ada, "users/create", body).await }
    });
    let answers = futures::future::join_all(calls).await;
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    assert!(answers.iter().filter(|a| !a.is_ok()).all(|a| a.status == StatusCode::CONFLICT));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'twin@example.com'").await, 1);
    app.finish().await;
}

async fn nobody_grants_what_they_do_not_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let manager_role = role_id(&app, "user_manager").await;
    let administrator = role_id(&app, "administrator").await;
    create(&app, &ada, "manager", &[manager_role]).await;
    let manager = signed_in(&app, "manager").await;
    let escalate = app
        .call_json(&manager, "users/create", json!({ "form": form("evil", "evil@example.com", &[administrator], PASSWORD), "delivery": "Password" }))
        .await;
    assert_eq!(escalate.body, json!({ "Refused": "NotGrantable" }));
    let own = app.user_id("manager").await;
    let self_promotion = app
        .call_json(&manager, "users/update", json!({ "id": own, "form": form("manager", "manager@example.com", &[manager_role, administrator], "") }))
        .await;
    assert_eq!(self_promotion.body, json!({ "Refused": "NotGrantable" }));
    // A custom role with users.view + roles.manage cannot create a role carrying audit.view.
    let role = app
        .call_json(&ada, "roles/save", json!({ "id": null, "form": { "name": "Role keeper", "description": "", "permissions": ["UsersView", "RolesManage"] } }))
        .await;
    assert!(role.is_ok(), "{role:?}");
    create(&app, &ada, "keeper", &[role.body.as_i64().unwrap()]).await;
    let keeper = signed_in(&app, "keeper").await;
    let wider = app
        .call_json(&keeper, "roles/save", json!({ "id": null, "form": { "name": "Wider", "description": "", "permissions": ["AuditView"] } }))
        .await;
    assert_eq!(wider.body, json!({ "Refused": "NotGrantable" }));
    assert!(app
        .call_json(&keeper, "roles/save", json!({ "id": null, "form": { "name": "Viewer", "description": "", "permissions": ["UsersView"] } }))
        .await
        .is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'evil'").await, 0);
    app.finish().await;
}

async fn role_forms_keep_names_unique_and_built_ins_read_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let save = |id: Value, name: &str, permissions: Value| {
        let body = json!({ "id": id, "form": { "name": name, "description": "Answers the phone", "permissions": permissions } });
        let (app, ada) = (&app, &ada);
        async move { app.call_json(ada, "roles/save", body).await }
    };
    let helpdesk = save(Value::Null, "Helpdesk", json!(["UsersView"])).await.body.as_i64().unwrap();
    let duplicate = save(Value::Null, "helpdesk", json!([])).await;
    assert_eq!(duplicate.body["Conflict"], json!({ "field": "name", "problem": "RoleNameTaken" }));
    let empty = save(Value::Null, "  ", json!([])).await;
    assert_eq!(empty.body["Validation"][0]["field"], "name");
    let administrator = role_id(&app, "administrator").await;
    assert_eq!(save(json!(administrator), "Mine now", json!([])).await.body, json!({ "Refused": "BuiltInRole" }));
    assert!(save(json!(helpdesk), "Helpdesk", json!(["UsersView", "UsersManage"])).await.is_ok());
    create(&app, &ada, "help1", &[helpdesk]).await;
    create(&app, &ada, "help2", &[helpdesk]).await;
    let roles = app.call_as(&ada, "roles/list", &[]).await;
    let listed = roles.body.as_array().unwrap().iter().find(|r| r["id"] == helpdesk).unwrap().clone();
    assert_eq!((listed["holders"].as_i64(), listed["permissions"].as_i64()), (Some(2), Some(3)));
    let deleted = app.call_as(&ada, "roles/delete", &[("id", &helpdesk.to_string())]).await;
    assert_eq!(deleted.body, 2, "the answer says how many held it");
    assert_eq!(app.call_as(&ada, "roles/delete", &[("id", &administrator.to_string())]).await.body, json!({ "Refused": "BuiltInRole" }));
    app.finish().await;
}

async fn another_accounts_users_and_roles_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let zed = app.admin("zed").await;
    let zed_user = create(&app, &zed, "zeduser", &[]).await;
    let zed_role = app
        .call_json(&zed, "roles/save", json!({ "id": null, "form": { "name": "Z", "description": "", "permissions": [] } }))
        .await
        .body
        .as_i64()
        .unwrap();
    let id = zed_user.to_string();
    assert_eq!(app.call_as(&ada, "users/get", &[("id", &id)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(&ada, "users/reset_password", &[("id", &id)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(&ada, "users/make_primary", &[("id", &id)]).await.status, StatusCode::NOT_FOUND);
    let edit = app.call_json(&ada, "users/update", json!({ "id": zed_user, "form": form("zeduser", "zeduser@example.com", &[], "") })).await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let outcome = bulk(&app, &ada, "Delete", &[zed_user]).await;
    assert_eq!((outcome.body["done"].as_i64(), skipped(&outcome).len()), (Some(0), 0));
    assert_eq!(app.call_as(&ada, "roles/delete", &[("id", &zed_role.to_string())]).await.status, StatusCode::NOT_FOUND);
    let foreign_role = app
        .call_json(&ada, "users/create", json!({ "form": form("xtra1", "x1@example.com", &[zed_role], PASSWORD), "delivery": "Password" }))
        .await;
    assert_eq!(foreign_role.body["Validation"][0], json!({ "field": "role_ids", "problem": "UnknownRole" }));
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {zed_user}")).await, 1);
    app.finish().await;
}

async fn editing_changes_fields_roles_and_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let auditor = role_id(&app, "auditor").await;
    let bob = create(&app, &ada, "bob", &[]).await;
    let session = signed_in(&app, "bob").await;
    let mut edited = form("robert", "robert@example.com", &[auditor], "set by the admin");
    edited["first_name"] = json!("Robert");
    edited["locale"] = json!("fr");
    let answer = app.call_json(&ada, "users/update", json!({ "id": bob, "form": edited })).await;
    assert!(answer.is_ok(), "{answer:?}");
    let details = app.call_as(&ada, "users/get", &[("id", &bob.to_string())]).await.body;
    assert_eq!((details["first_name"].as_str(), details["login_name"].as_str(), details["locale"].as_str()), (Some("Robert"), Some("robert"), Some("fr")));
    assert_eq!(details["role_ids"], json!([auditor]));
    assert!(signed_in_user(&app, &session).await.is_null(), "a password set by the admin ends the sessions");
    let login = app.login("robert@example.com", "set by the admin").await;
    assert_eq!(login.body["must_change_password"], true);
    // The primary admin keeps the Administrator role, even when editing themself.
    let ada_id = app.user_id("ada").await;
    let demoted = app.call_json(&ada, "users/update", json!({ "id": ada_id, "form": form("ada", "ada@example.com", &[auditor], "") })).await;
    assert_eq!(demoted.body, json!({ "Refused": "PrimaryKeepsAdministrator" }));
    app.finish().await;
}
