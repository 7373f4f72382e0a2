//! The audit log (F8) and the all-or-nothing rule (I6): every state-changing server function
//! writes its event; a failure leaves no change, no event and no mail; the log is scoped,
//! filtered, paged and exported. On SQLite and PostgreSQL.

use crate::common;

use common::{Answer, Backend, NEW, PASSWORD, TestApp, create, form, new_client, register_args, role_id, signed_in, spawn_app, token_in};
use reqwest::StatusCode;
use serde_json::json;
use std::future::Future;

on_both_backends!(
    every_state_changing_function_writes_its_event,
    a_failure_rolls_back_the_change_its_event_and_its_mail,
    the_log_is_scoped_filtered_and_exported,
    events_name_people_and_roles_even_once_they_are_gone,
);

async fn events(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1").bind(action).fetch_one(&app.state.db.pool).await.unwrap()
}

/// Runs a call that must succeed and write at least one `action` event.
async fn audited(app: &TestApp, action: &str, call: impl Future<Output = Answer>) -> Answer {
    let before = events(app, action).await;
    let answer = call.await;
    assert!(answer.is_ok(), "{action}: {answer:?}");
    assert!(events(app, action).await > before, "no {action} event was written");
    answer
}

async fn every_state_changing_function_writes_its_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = new_client();
    audited(&app, "user.registered", app.call_as(&ada, "auth/register", &register_args("ada", "ada@example.com"))).await;
    audited(&app, "user.verification_sent", app.call_as(&ada, "auth/resend_verification", &[])).await;
    let link = token_in(&app.mails_to("ada@example.com", 2).await[1]);
    audited(&app, "user.email_verified", app.call_as(&new_client(), "auth/verify_email", &[("token", &link)])).await;
    audited(&app, "account.created", app.call_as(&ada, "accounts/create", &[("account_name", "Ada corp")])).await;
    audited(&app, "user.logged_out", app.call_as(&ada, "auth/logout", &[])).await;
    audited(&app, "user.logged_in", app.call_as(&ada, "auth/login", &[("identifier", "ada"), ("password", PASSWORD)])).await;
    audited(&app, "user.language_changed", app.call_as(&ada, "auth/set_language", &[("locale", "fr")])).await;
    let profile = json!({ "profile": { "first_name": "Ada", "last_name": "Lovelace", "locale": "en", "subscribe_news": true, "subscribe_alerts": true } });
    audited(&app, "user.profile_updated", app.call_json(&ada, "me/update_profile", profile)).await;
    audited(&app, "user.password_changed", app.call_as(&ada, "auth/change_password", &[("current_password", PASSWORD), ("new_password", NEW)])).await;
    let laptop = new_client();
    assert!(app.call_as(&laptop, "auth/login", &[("identifier", "ada"), ("password", NEW)]).await.is_ok());
    audited(&app, "user.other_sessions_ended", app.call_as(&ada, "me/end_other_sessions", &[])).await;
    assert!(app.call_as(&laptop, "auth/login", &[("identifier", "ada"), ("password", NEW)]).await.is_ok());
    let laptop_session = app.call_as(&ada, "me/sessions", &[]).await.body.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].to_string();
    audited(&app, "user.session_ended", app.call_as(&ada, "me/end_session", &[("session_id", &laptop_session)])).await;
    let details = [("name", "Ada Corp"), ("contact_email", "it@ada.example"), ("default_locale", "en")];
    audited(&app, "account.updated", app.call_as(&ada, "accounts/update_details", &details)).await;
    let key = audited(&app, "account.key_regenerated", app.call_as(&ada, "accounts/regenerate_key", &[])).await.body.as_str().unwrap().to_owned();

    // Second factor (F15).
    let begun = app.call_as(&ada, "factors/totp/begin", &[]).await;
    let secret = totp_rs::Secret::Encoded(begun.body["secret"].as_str().unwrap().replace(' ', "")).to_bytes().unwrap();
    let app_code = |time: u64| totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.clone(), None, String::new()).generate(time);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    audited(&app, "user.factor_enrolled", app.call_as(&ada, "factors/totp/confirm", &[("code", &app_code(now)), ("name", "Phone")])).await;
    audited(&app, "user.recovery_codes_regenerated", app.call_as(&ada, "factors/recovery/regenerate", &[("password", NEW)])).await;
    let phone = new_client();
    assert_eq!(app.call_as(&phone, "auth/login", &[("identifier", "ada"), ("password", NEW)]).await.body["second_step"], true);
    let valid: Vec<String> = [now - 30, now, now + 30].map(app_code).to_vec();
    let wrong = (0..4).map(|n| format!("{n}{n}{n}{n}{n}{n}")).find(|c| !valid.contains(c)).unwrap();
    let before = events(&app, "user.second_step_failed").await;
    assert!(!app.call_as(&phone, "auth/second_step", &[("code", &wrong)]).await.is_ok());
    assert_eq!(events(&app, "user.second_step_failed").await, before + 1);
    audited(&app, "user.factor_removed", app.call_as(&ada, "factors/totp/remove", &[("password", NEW)])).await;
    audited(&app, "account.factor_policy_changed", app.call_as(&ada, "accounts/set_factor_policy", &[("policy", "Nobody")])).await;

    // Users (F3, F4).
    let bob = create(&app, &ada, "bob", &[]).await.to_string();
    assert_eq!(events(&app, "user.created").await, 1);
    let edited = json!({ "id": bob.parse::<i64>().unwrap(), "form": form("bob", "bob@example.com", &[], "") });
    audited(&app, "user.updated", app.call_json(&ada, "users/update", edited)).await;
    audited(&app, "user.password_reset", app.call_as(&ada, "users/reset_password", &[("id", &bob)])).await;
    // An app of bob's, as if he had enrolled one (its own flow is tested in second_factor.rs).
    sqlx::query("INSERT INTO totp_factors (user_id, name, secret, confirmed_at, created_at) VALUES ($1, 'Phone', $2, 1, 1)")
        .bind(bob.parse::<i64>().unwrap())
        .bind(vec![0u8; 40])
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    audited(&app, "user.factors_reset", app.call_as(&ada, "users/reset_factors", &[("id", &bob)])).await;
    for (action, event) in [("Lock", "user.locked"), ("Unlock", "user.unlocked"), ("ForceLogout", "user.logged_out_by_admin")] {
        let bulk = json!({ "action": action, "selection": { "Users": [bob.parse::<i64>().unwrap()] } });
        audited(&app, event, app.call_json(&ada, "users/bulk", bulk)).await;
    }
    audited(&app, "user.password_reset_requested", app.call_as(&new_client(), "auth/forgot_password", &[("email", "bob@example.com")])).await;
    let reset = token_in(&app.mail_containing("bob@example.com", "password/reset").await);
    audited(&app, "user.password_reset_by_link", app.call_as(&new_client(), "auth/reset_password_with_link", &[("token", &reset), ("new_password", "picked by him at last")])).await;
    let invited = app.call_json(&ada, "users/create", json!({ "form": form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" })).await;
    let ivy = invited.body.as_i64().unwrap().to_string();
    audited(&app, "invitation.resent", app.call_as(&ada, "invitations/resend", &[("id", &ivy)])).await;
    audited(&app, "invitation.cancelled", app.call_as(&ada, "invitations/cancel", &[("id", &ivy)])).await;
    app.call_json(&ada, "users/create", json!({ "form": form("ivan", "ivan@example.com", &[], ""), "delivery": "Invitation" })).await;
    let token = token_in(&app.mail_containing("ivan@example.com", "invitation?token").await);
    let accept = [("token", token.as_str()), ("first_name", "Ivan"), ("last_name", "Ives"), ("password", PASSWORD)];
    audited(&app, "invitation.accepted", app.call_as(&new_client(), "invitation/accept", &accept)).await;

    // Roles (F5).
    let role = json!({ "id": null, "form": { "name": "Helpdesk", "description": "", "permissions": ["UsersView"] } });
    let role_id = audited(&app, "role.created", app.call_json(&ada, "roles/save", role)).await.body.as_i64().unwrap();
    let renamed = json!({ "id": role_id, "form": { "name": "Help desk", "description": "First line", "permissions": ["UsersView"] } });
    audited(&app, "role.updated", app.call_json(&ada, "roles/save", renamed)).await;
    audited(&app, "role.deleted", app.call_as(&ada, "roles/delete", &[("id", &role_id.to_string())])).await;

    // Membership (F2).
    let carl = new_client();
    assert!(app.call_as(&carl, "auth/register", &register_args("carl", "carl@example.com")).await.is_ok());
    app.mark_verified("carl").await;
    audited(&app, "member.joined_by_key", app.call_as(&carl, "accounts/join", &[("account_key", &key)])).await;
    audited(&app, "member.left", app.call_as(&carl, "accounts/leave", &[])).await;

    // Partners (F7).
    let pete = app.admin("pete").await;
    let pete_id = app.call_as(&pete, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    audited(&app, "partner.invited", app.call_as(&ada, "partners/invite", &[("partner_id", &pete_id)])).await;
    let link = app.call_as(&pete, "partners/list", &[]).await.body["links"][0]["id"].to_string();
    audited(&app, "partner.accepted", app.call_as(&pete, "partners/respond", &[("link_id", &link), ("accept", "true")])).await;
    create(&app, &pete, "sam", &[]).await;
    let sam = signed_in(&app, "sam").await;
    common::enrol_totp(&app, &sam).await;
    let grant = [("link_id", link.clone()), ("user_id", app.user_id("sam").await.to_string()), ("role_id", role_id_of(&app, "auditor").await)];
    let grant: Vec<(&str, &str)> = grant.iter().map(|(k, v)| (*k, v.as_str())).collect();
    audited(&app, "partner.access_granted", app.call_as(&pete, "partners/grant", &grant)).await;
    let customer = app.call_as(&sam, "session/current", &[]).await.body["customers"][0]["account"]["id"].to_string();
    audited(&app, "partner.acting_started", app.call_as(&sam, "partners/act_for", &[("account_id", &customer)])).await;
    audited(&app, "partner.acting_ended", app.call_as(&sam, "partners/act_for", &[])).await;
    let grant_id = app.call_as(&ada, "partners/list", &[]).await.body["links"][0]["grants"][0]["id"].to_string();
    audited(&app, "partner.access_revoked", app.call_as(&ada, "partners/revoke_grant", &[("grant_id", &grant_id)])).await;
    audited(&app, "partner.revoked", app.call_as(&pete, "partners/revoke", &[("link_id", &link)])).await;
    let url = audited(&app, "partner.link_created", app.call_as(&pete, "partners/create_link", &[])).await.body.as_str().unwrap().to_owned();
    let zed = app.admin("zed").await;
    let token = url.split("token=").nth(1).unwrap();
    let before = events(&app, "partner.accepted").await;
    assert!(app.call_as(&zed, "partners/confirm", &[("token", token)]).await.is_ok());
    assert!(events(&app, "partner.accepted").await > before);
    let zed_id = app.call_as(&zed, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    assert!(app.call_as(&pete, "partners/invite", &[("partner_id", &zed_id)]).await.is_ok());
    let declined = app.call_as(&zed, "partners/list", &[]).await.body["links"].as_array().unwrap().iter().find(|l| l["status"] == "Invited").unwrap()["id"].to_string();
    audited(&app, "partner.declined", app.call_as(&zed, "partners/respond", &[("link_id", &declined), ("accept", "false")])).await;
    audited(&app, "account.closed", app.call_as(&zed, "accounts/close", &[])).await;

    // Last, the primary administrator hands over (ending ada's sessions) and a user is deleted.
    let delete = json!({ "action": "Delete", "selection": { "Users": [bob.parse::<i64>().unwrap()] } });
    audited(&app, "user.deleted", app.call_json(&ada, "users/bulk", delete)).await;
    let ivan = app.user_id("ivan").await.to_string();
    audited(&app, "account.primary_admin_transferred", app.call_as(&ada, "users/make_primary", &[("id", &ivan)])).await;

    // The audit page offers exactly the actions the code records.
    let recorded: Vec<String> = sqlx::query_scalar("SELECT DISTINCT action FROM audit_events ORDER BY action").fetch_all(&app.state.db.pool).await.unwrap();
    let offered: Vec<String> = app::audit::ACTIONS.iter().map(|a| a.to_string()).collect();
    assert_eq!(recorded, offered);
    app.finish().await;
}

async fn role_id_of(app: &TestApp, key: &str) -> String {
    role_id(app, key).await.to_string()
}

/// Makes every insert into the outbox fail, as a full disk or a lost connection would.
async fn break_the_outbox(app: &TestApp, backend: &Backend) {
    match backend {
        Backend::Sqlite => {
            app.execute("CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox down'); END").await;
        }
        Backend::Postgres(_) => {
            app.execute("CREATE FUNCTION outbox_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$ LANGUAGE plpgsql").await;
            app.execute("CREATE TRIGGER outbox_down BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_down()").await;
        }
    }
}

async fn a_failure_rolls_back_the_change_its_event_and_its_mail(backend: Backend) {
    let app = spawn_app(backend.clone()).await;
    let ada = app.admin("ada").await;
    let pete = app.admin("pete").await;
    let key = app.call_as(&ada, "accounts/key", &[]).await.body.as_str().unwrap().to_owned();
    let pete_id = app.call_as(&pete, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    let bob = new_client();
    assert!(app.call_as(&bob, "auth/register", &register_args("bob", "bob@example.com")).await.is_ok());
    app.mark_verified("bob").await;
    let (events_before, mails_before) = (app.count("SELECT COUNT(*) FROM audit_events").await, app.count("SELECT COUNT(*) FROM outbox").await);

    break_the_outbox(&app, &backend).await;
    // Joining writes the membership and the event, then fails on the administrators' mail.
    let join = app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await;
    assert_eq!(join.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(join.body["Internal"]["reference"].is_string(), "only a reference reaches the client: {join:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'bob' AND account_id IS NOT NULL").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.login_name = 'bob'").await, 0);
    let invite = app.call_as(&ada, "partners/invite", &[("partner_id", &pete_id)]).await;
    assert_eq!(invite.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count("SELECT COUNT(*) FROM partner_links").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events_before, "no event outlives its change");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, mails_before);

    app.execute(match backend {
        Backend::Sqlite => "DROP TRIGGER outbox_down",
        Backend::Postgres(_) => "DROP TRIGGER outbox_down ON outbox",
    })
    .await;
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await.is_ok());
    assert!(app.call_as(&ada, "partners/invite", &[("partner_id", &pete_id)]).await.is_ok());
    app.finish().await;
}

async fn the_log_is_scoped_filtered_and_exported(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let zed = app.admin("zed").await;
    for login in ["bob", "bo_b", "carl"] {
        create(&app, &ada, login, &[]).await;
    }
    create(&app, &zed, "zoe", &[]).await;
    let list = |filter: serde_json::Value| app.call_json(&ada, "audit/list", json!({ "filter": filter }));
    let created = list(json!({ "action": "user.created" })).await;
    assert_eq!(created.body["total"], 3, "zed's events stay in zed's log: {created:?}");
    let literal = list(json!({ "target": "BO_" })).await;
    assert_eq!(literal.body["total"], 1, "_ is matched literally and case does not matter");
    assert_eq!(list(json!({ "actor": "ada", "action": "user.created" })).await.body["total"], 3);
    assert_eq!(list(json!({ "from": "2999-01-01" })).await.body["total"], 0);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(list(json!({ "from": today, "to": today })).await.body["total"].as_i64().unwrap() >= 4);
    let bad = list(json!({ "from": "yesterday", "action": "user.hacked" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["Validation"].as_array().unwrap().len(), 2);

    // CSV: the same filter, formulas defused.
    let renamed = [("name", "=HYPERLINK(\"http://evil.example\")"), ("contact_email", ""), ("default_locale", "en")];
    assert!(app.call_as(&ada, "accounts/update_details", &renamed).await.is_ok());
    let csv = ada.get(format!("{}/audit/export.csv?action=account.updated", app.url)).send().await.unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,actor,actor_company,action,target,details,client_ip,sentence");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains("\"'=HYPERLINK("), "{}", lines[1]);

    // Only with audit.view, and never anonymously.
    let bob = signed_in(&app, "bob").await;
    assert_eq!(app.call_json(&bob, "audit/list", json!({ "filter": {} })).await.status, StatusCode::FORBIDDEN);
    assert_eq!(bob.get(format!("{}/audit/export.csv", app.url)).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(new_client().get(format!("{}/audit/export.csv", app.url)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // An auditor reads the log.
    let auditor = role_id(&app, "auditor").await;
    create(&app, &ada, "aud", &[auditor]).await;
    let aud = signed_in(&app, "aud").await;
    assert!(app.call_json(&aud, "audit/list", json!({ "filter": { "page": 0 } })).await.is_ok());
    app.finish().await;
}

/// The story of the newest event with this action in ada's log.
async fn story(app: &TestApp, ada: &reqwest::Client, action: &str) -> serde_json::Value {
    let answer = app.call_json(ada, "audit/list", json!({ "filter": { "action": action } })).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body["rows"][0]["story"].clone()
}

async fn events_name_people_and_roles_even_once_they_are_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let user_manager = role_id(&app, "user_manager").await;
    let bob = create(&app, &ada, "bob", &[user_manager]).await;
    let created = story(&app, &ada, "user.created").await;
    assert_eq!(created["actor"], json!({ "Text": "Jane Doe" }), "display names, not logins: {created}");
    assert_eq!(created["target"], json!({ "Text": "Bob Stone" }));
    assert_eq!(created["roles"], json!([{ "BuiltinRole": "user_manager" }]), "built-in roles are translated by the reader");

    // Bob moves from User manager to a custom role, which is then deleted.
    let role = json!({ "id": null, "form": { "name": "Night shift", "description": "", "permissions": ["UsersView"] } });
    let night = app.call_json(&ada, "roles/save", role).await.body.as_i64().unwrap();
    assert_eq!(story(&app, &ada, "role.created").await["roles"], json!([{ "Text": "Night shift" }]));
    let moved = json!({ "id": bob, "form": form("bob", "bob@example.com", &[night], "") });
    assert!(app.call_json(&ada, "users/update", moved).await.is_ok());
    assert!(app.call_as(&ada, "roles/delete", &[("id", &night.to_string())]).await.is_ok());
    let updated = story(&app, &ada, "user.updated").await;
    assert_eq!(updated["roles"], json!(["DeletedRole"]), "a deleted role without a recorded name: {updated}");
    assert_eq!(updated["roles_removed"], json!([{ "BuiltinRole": "user_manager" }]));
    let deleted_role = story(&app, &ada, "role.deleted").await;
    assert_eq!((&deleted_role["roles"], &deleted_role["count"]), (&json!([{ "Text": "Night shift" }]), &json!(1)), "the name its details recorded");
    assert_eq!(story(&app, &ada, "role.created").await["roles"], json!([{ "Text": "Night shift" }]));

    // Bob is locked, then deleted: his deletion kept his name, the lock did not.
    for action in ["Lock", "Delete"] {
        let bulk = json!({ "action": action, "selection": { "Users": [bob] } });
        assert!(app.call_json(&ada, "users/bulk", bulk).await.is_ok());
    }
    assert_eq!(story(&app, &ada, "user.deleted").await["target"], json!({ "Text": "Bob Stone" }));
    let locked = story(&app, &ada, "user.locked").await;
    assert_eq!((&locked["actor"], &locked["target"]), (&json!({ "Text": "Jane Doe" }), &json!("DeletedUser")));

    // The CSV keeps its machine columns and adds the sentence in the requester's language.
    let export = |action: &'static str| {
        let url = format!("{}/audit/export.csv?action={action}", app.url);
        let ada = ada.clone();
        async move { ada.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let text = export("user.locked").await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,actor,actor_company,action,target,details,client_ip,sentence");
    assert!(lines[1].contains(",ada,,user.locked,bob,{},"), "{text}");
    assert!(lines[1].ends_with(",Jane Doe locked a deleted user"), "{text}");
    assert!(app.call_as(&ada, "auth/set_language", &[("locale", "fr")]).await.is_ok());
    let text = export("role.deleted").await;
    assert!(text.lines().nth(1).unwrap().ends_with("Jane Doe a supprimé le rôle Night shift (utilisateurs qui l’avaient\u{a0}: 1)"), "{text}");
    app.finish().await;
}
