//! Partner access (F7): links both ways, delegation, acting for a customer, and revocation
//! taking effect on the next request (I5), on SQLite and PostgreSQL.

use crate::common;

use common::{Backend, TestApp, create, role_id, signed_in, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_customer_invites_a_partner_by_partner_id_and_the_partner_accepts,
    a_partners_link_is_confirmed_once_by_a_customer_admin,
    delegated_staff_act_for_the_customer_within_their_role,
    revoking_the_link_refuses_partner_staff_on_their_next_request,
    only_the_two_companies_see_or_change_a_link,
    nothing_partner_staff_did_while_acting_lets_them_in_after_revocation,
    acting_staff_see_no_other_partners_staff_addresses,
);

/// `by` invites `login` (an address of its own name) into the account acted on.
async fn invite(app: &TestApp, by: &Client, login: &str) {
    let email = format!("{login}@example.com");
    let form = common::form(login, &email, &[], "");
    let answer = app.call_json(by, "users/create", json!({ "form": form, "delivery": "Invitation" })).await;
    assert!(answer.is_ok(), "invite {login}: {answer:?}");
}

async fn act_for_first_customer(app: &TestApp, staff: &Client) {
    common::enrol_totp(app, staff).await;
    let customer = app.call_as(staff, "session/current", &[]).await.body["customers"][0]["account"]["id"].as_i64().unwrap().to_string();
    assert!(app.call_as(staff, "partners/act_for", &[("account_id", &customer)]).await.is_ok());
}

async fn nothing_partner_staff_did_while_acting_lets_them_in_after_revocation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cust, _part, sam, link) = delegation(&app, "user_manager").await;
    let bob = create(&app, &cust, "bob", &[]).await;
    act_for_first_customer(&app, &sam).await;
    let refused = serde_json::json!({ "Refused": "WhileActingForCustomer" });

    // No password of sam's choosing: not for a new user, not for an existing one.
    let with_password = common::form("sams-friend", "friend@evil.example", &[], "a password sam knows");
    let created = app.call_json(&sam, "users/create", json!({ "form": with_password, "delivery": "Password" })).await;
    assert_eq!(created.body, refused);
    let mut edit = common::form("bob", "bob@example.com", &[], "a password sam knows");
    let set_password = app.call_json(&sam, "users/update", json!({ "id": bob, "form": edit })).await;
    assert_eq!(set_password.body, refused);
    edit["password"] = json!("");
    edit["email"] = json!("sam-inbox@evil.example");
    assert_eq!(app.call_json(&sam, "users/update", json!({ "id": bob, "form": edit })).await.body, refused, "e-mail");
    edit["email"] = json!("bob@example.com");
    edit["login_name"] = json!("bob2");
    assert_eq!(app.call_json(&sam, "users/update", json!({ "id": bob, "form": edit })).await.body, refused, "login name");
    assert_eq!(app.call_as(&sam, "users/reset_password", &[("id", &bob.to_string())]).await.body, refused, "reset");
    // Names are theirs to fix.
    edit["login_name"] = json!("bob");
    edit["first_name"] = json!("Robert");
    assert!(app.call_json(&sam, "users/update", json!({ "id": bob, "form": edit })).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'bob' AND email = 'bob@example.com' AND must_change_password = 1").await, 1);

    // An invitation sam sends to a mailbox of his own...
    invite(&app, &sam, "sams-alias").await;
    let mail = app.mail_containing("sams-alias@example.com", "token=").await;
    let token = common::token_in(&mail);
    // ...and one the customer sends itself.
    invite(&app, &cust, "carlos").await;

    assert!(app.call_as(&cust, "partners/revoke", &[("link_id", &link.to_string())]).await.is_ok());
    let accepted = app
        .call_as(&common::new_client(), "invitation/accept", &[("token", token.as_str()), ("first_name", "Sam"), ("last_name", "Alias"), ("password", "sams own password")])
        .await;
    assert_eq!(accepted.body["Validation"][0]["problem"], "LinkInvalid", "sam's invitation died with the link: {accepted:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'sams-alias' AND password_hash IS NULL").await, 1);
    let customers_own = app.count(
        "SELECT COUNT(*) FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE u.login_name = 'carlos' AND t.purpose = 'invitation'",
    ).await;
    assert_eq!(customers_own, 1, "the customer's own invitation stays");
    app.finish().await;
}

async fn acting_staff_see_no_other_partners_staff_addresses(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cust, _part, sam, _link) = delegation(&app, "auditor").await;
    // A second partner, with staff of its own on the same customer.
    let opal = app.admin("opal").await;
    let link = active_link(&app, &cust, &opal).await;
    create(&app, &opal, "tina", &[]).await;
    let (tina, role) = (app.user_id("tina").await.to_string(), role_id(&app, "auditor").await.to_string());
    assert!(app.call_as(&opal, "partners/grant", &[("link_id", &link.to_string()), ("user_id", &tina), ("role_id", &role)]).await.is_ok());

    let grants = |links: Vec<Value>| links.iter().flat_map(|l| l["grants"].as_array().unwrap().clone()).collect::<Vec<_>>();
    let email_of = |grants: &[Value], login: &str| grants.iter().find(|g| g["login_name"] == login).unwrap()["email"].clone();
    let seen_by_customer = grants(links(&app, &cust).await);
    assert_eq!((email_of(&seen_by_customer, "sam"), email_of(&seen_by_customer, "tina")), (json!("sam@example.com"), json!("tina@example.com")));
    act_for_first_customer(&app, &sam).await;
    let seen_by_sam = grants(links(&app, &sam).await);
    assert_eq!(email_of(&seen_by_sam, "sam"), json!("sam@example.com"), "his own company's staff in full");
    assert_eq!(email_of(&seen_by_sam, "tina"), json!(""), "another partner's staff by name only");
    app.finish().await;
}

async fn partner_id(app: &TestApp, client: &Client) -> String {
    app.call_as(client, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned()
}

async fn links(app: &TestApp, client: &Client) -> Vec<Value> {
    let answer = app.call_as(client, "partners/list", &[]).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body["links"].as_array().unwrap().clone()
}

/// Customer `cust` invites partner `part` by Partner ID, and the partner accepts; returns the link id.
async fn active_link(app: &TestApp, cust: &Client, part: &Client) -> i64 {
    let id = partner_id(app, part).await;
    let invited = app.call_as(cust, "partners/invite", &[("partner_id", &id)]).await;
    assert!(invited.is_ok(), "{invited:?}");
    let link = links(app, part).await[0]["id"].as_i64().unwrap();
    assert!(app.call_as(part, "partners/respond", &[("link_id", &link.to_string()), ("accept", "true")]).await.is_ok());
    link
}

async fn a_customer_invites_a_partner_by_partner_id_and_the_partner_accepts(backend: Backend) {
    let app = spawn_app(backend).await;
    let cust = app.admin("cara").await;
    let part = app.admin("pete").await;
    let unknown = app.call_as(&cust, "partners/invite", &[("partner_id", "PT-2222-2222")]).await;
    assert_eq!(unknown.body, json!({ "Validation": [{ "field": "partner_id", "problem": "UnknownPartnerId" }] }));
    let own = partner_id(&app, &cust).await;
    let refused = app.call_as(&cust, "partners/invite", &[("partner_id", &own)]).await;
    assert_eq!(refused.body["Validation"][0]["problem"], "OwnAccount");

    let id = partner_id(&app, &part).await;
    assert!(app.call_as(&cust, "partners/invite", &[("partner_id", &id.to_lowercase())]).await.is_ok());
    let twice = app.call_as(&cust, "partners/invite", &[("partner_id", &id)]).await;
    assert_eq!((twice.status, &twice.body), (StatusCode::CONFLICT, &json!({ "Conflict": { "field": "partner_id", "problem": "AlreadyPartners" } })));
    let mail = app.mail_containing("pete@example.com", "invites your company").await;
    assert!(mail.contains("cara corp"));

    let seen = links(&app, &part).await;
    assert_eq!((seen[0]["side"].as_str(), seen[0]["status"].as_str(), seen[0]["initiated_here"].as_bool()), (Some("Partner"), Some("Invited"), Some(false)));
    assert_eq!(links(&app, &cust).await[0]["side"], "Customer");
    // The customer cannot answer its own invitation.
    let link = seen[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(app.call_as(&cust, "partners/respond", &[("link_id", &link), ("accept", "true")]).await.status, StatusCode::NOT_FOUND);
    assert!(app.call_as(&part, "partners/respond", &[("link_id", &link), ("accept", "true")]).await.is_ok());
    assert_eq!(links(&app, &cust).await[0]["status"], "Active");
    let mail = app.mail_containing("cara@example.com", "is now a partner").await;
    assert!(mail.contains("pete corp"));
    // Each side's log holds both events.
    for account in ["cara corp", "pete corp"] {
        let events = app.count(&format!(
            "SELECT COUNT(*) FROM audit_events e JOIN accounts a ON a.id = e.account_id
             WHERE a.name = '{account}' AND e.action IN ('partner.invited', 'partner.accepted')"
        )).await;
        assert_eq!(events, 2, "{account}");
    }
    app.finish().await;
}

async fn a_partners_link_is_confirmed_once_by_a_customer_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let part = app.admin("pete").await;
    let cust = app.admin("cara").await;
    let url = app.call_as(&part, "partners/create_link", &[]).await.body.as_str().unwrap().to_owned();
    assert!(url.contains("/partners/accept?token="), "{url}");
    let token = url.split("token=").nth(1).unwrap().to_owned();
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM partner_links WHERE token_hash = '{token}'")).await, 0, "only the hash is kept");
    assert_eq!(links(&app, &part).await[0]["other"], Value::Null);

    // A member of the customer without partners.manage sees who asks, but cannot confirm.
    create(&app, &cust, "mia", &[]).await;
    let mia = signed_in(&app, "mia").await;
    let preview = app.call_as(&mia, "partners/preview", &[("token", &token)]).await;
    assert_eq!((preview.body["partner_name"].as_str(), preview.body["can_confirm"].as_bool()), (Some("pete corp"), Some(false)));
    assert_eq!(app.call_as(&mia, "partners/confirm", &[("token", &token)]).await.status, StatusCode::FORBIDDEN);
    // The partner cannot confirm its own link.
    assert_eq!(app.call_as(&part, "partners/preview", &[("token", &token)]).await.body["can_confirm"], false);
    assert_eq!(app.call_as(&part, "partners/confirm", &[("token", &token)]).await.body["Validation"][0]["problem"], "OwnAccount");

    assert_eq!(app.call_as(&cust, "partners/preview", &[("token", &token)]).await.body["can_confirm"], true);
    let confirmed = app.call_as(&cust, "partners/confirm", &[("token", &token)]).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
    let again = app.call_as(&cust, "partners/confirm", &[("token", &token)]).await;
    assert_eq!(again.body["Validation"][0]["problem"], "LinkInvalid");
    let seen = links(&app, &part).await;
    assert_eq!((seen[0]["status"].as_str(), seen[0]["other"]["name"].as_str()), (Some("Active"), Some("cara corp")));
    app.mail_containing("pete@example.com", "is now a partner").await;
    // An unused link the partner takes back is revoked and dies.
    let unused = app.call_as(&part, "partners/create_link", &[]).await.body.as_str().unwrap().to_owned();
    let id = links(&app, &part).await.iter().find(|l| l["other"].is_null()).unwrap()["id"].to_string();
    assert!(app.call_as(&part, "partners/revoke", &[("link_id", &id)]).await.is_ok());
    assert_eq!(links(&app, &part).await.iter().find(|l| l["other"].is_null()).unwrap()["status"], "Revoked");
    let token = unused.split("token=").nth(1).unwrap();
    assert_eq!(app.call_as(&cust, "partners/preview", &[("token", token)]).await.body["Validation"][0]["problem"], "LinkInvalid");
    app.finish().await;
}

/// Partner `pete corp` with staff `sam`, granted `role` in customer `cara corp`.
async fn delegation(app: &TestApp, role: &str) -> (Client, Client, Client, i64) {
    let cust = app.admin("cara").await;
    let part = app.admin("pete").await;
    let link = active_link(app, &cust, &part).await;
    create(app, &part, "sam", &[]).await;
    let sam = signed_in(app, "sam").await;
    let sam_id = app.user_id("sam").await.to_string();
    let role = role_id(app, role).await.to_string();
    let granted = app.call_as(&part, "partners/grant", &[("link_id", &link.to_string()), ("user_id", &sam_id), ("role_id", &role)]).await;
    assert!(granted.is_ok(), "{granted:?}");
    (cust, part, sam, link)
}

async fn delegated_staff_act_for_the_customer_within_their_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cust, part, sam, link) = delegation(&app, "user_manager").await;
    let (link, sam_id) = (link.to_string(), app.user_id("sam").await.to_string());
    for refused_role in ["administrator", "partner_manager"] {
        let role = role_id(&app, refused_role).await.to_string();
        let answer = app.call_as(&part, "partners/grant", &[("link_id", &link), ("user_id", &sam_id), ("role_id", &role)]).await;
        assert_eq!(answer.body["Validation"][0]["problem"], "RoleNotDelegable", "{refused_role}");
    }
    let overview = app.call_as(&part, "partners/list", &[]).await.body;
    let roles = overview["links"][0]["delegable_roles"].as_array().unwrap();
    let delegable = |key: &str| roles.iter().find(|r| r["builtin_key"] == key).unwrap()["delegable"].clone();
    assert_eq!((delegable("administrator"), delegable("user_manager")), (json!(false), json!(true)));
    assert!(overview["staff"].as_array().unwrap().iter().any(|s| s["login_name"] == "sam"));
    // The customer side sees no form data.
    assert!(links(&app, &cust).await[0]["delegable_roles"].as_array().unwrap().is_empty());
    // Staff of another company cannot be granted.
    let cara_id = app.user_id("cara").await.to_string();
    let role = role_id(&app, "auditor").await.to_string();
    let outsider = app.call_as(&part, "partners/grant", &[("link_id", &link), ("user_id", &cara_id), ("role_id", &role)]).await;
    assert_eq!(outsider.body["Validation"][0]["problem"], "NotStaff");

    let choices = app.call_as(&sam, "session/current", &[]).await.body["customers"].clone();
    assert_eq!(choices[0]["account"]["name"], "cara corp");
    let customer = choices[0]["account"]["id"].as_i64().unwrap().to_string();
    // Not without a second factor (F15), whatever the partner account's policy.
    let refused = app.call_as(&sam, "partners/act_for", &[("account_id", &customer)]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::FORBIDDEN, json!("SecondFactorRequired")));
    common::enrol_totp(&app, &sam).await;
    assert!(app.call_as(&sam, "partners/act_for", &[("account_id", &customer)]).await.is_ok());
    let session = app.call_as(&sam, "session/current", &[]).await.body;
    assert_eq!((session["account"]["name"].as_str(), session["acting_for"]["customer"]["name"].as_str()), (Some("cara corp"), Some("cara corp")));
    assert_eq!(session["home_account"]["name"], "pete corp");

    // Sam manages the customer's users as a user manager: he sees them and invites one.
    let listed = app.call_as(&sam, "users/list", &[]).await;
    assert!(listed.body["rows"].as_array().unwrap().iter().any(|r| r["login_name"] == "cara"));
    invite(&app, &sam, "newbie").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.login_name = 'newbie' AND a.name = 'cara corp'").await, 1);
    let event: (i64, i64) = sqlx::query_as("SELECT account_id, actor_account_id FROM audit_events WHERE action = 'user.created' AND target_label = 'newbie'")
        .fetch_one(&app.state.db.pool).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM accounts ORDER BY name").fetch_all(&app.state.db.pool).await.unwrap();
    assert_eq!(event, (ids[0], ids[1]), "the event records the customer acted on and the partner acting");
    // Never the primary administrator, never the customer's partners, never beyond the role.
    let cara = app.user_id("cara").await;
    let locked = app.call_json(&sam, "users/bulk", json!({ "action": "Lock", "selection": { "Users": [cara] } })).await;
    assert_eq!(locked.body["skipped"][0]["reason"], "PrimaryAdministrator");
    assert_eq!(app.call_as(&sam, "partners/create_link", &[]).await.status, StatusCode::FORBIDDEN);
    let role = json!({ "id": null, "form": { "name": "Sneaky", "description": "", "permissions": [] } });
    assert_eq!(app.call_json(&sam, "roles/save", role).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call_as(&sam, "accounts/leave", &[]).await.body, json!({ "Refused": "WhileActingForCustomer" }));
    // The customer sees who holds access.
    let grants = &links(&app, &cust).await[0]["grants"];
    assert_eq!((grants[0]["login_name"].as_str(), grants[0]["role_builtin_key"].as_str()), (Some("sam"), Some("user_manager")));
    // Back home, sam is a plain member of the partner again.
    assert!(app.call_as(&sam, "partners/act_for", &[]).await.is_ok());
    assert_eq!(app.call_as(&sam, "users/list", &[]).await.status, StatusCode::FORBIDDEN);
    app.finish().await;
}

async fn revoking_the_link_refuses_partner_staff_on_their_next_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cust, part, sam, link) = delegation(&app, "user_manager").await;
    let customer = app.call_as(&sam, "session/current", &[]).await.body["customers"][0]["account"]["id"].as_i64().unwrap().to_string();
    common::enrol_totp(&app, &sam).await;
    assert!(app.call_as(&sam, "partners/act_for", &[("account_id", &customer)]).await.is_ok());
    assert!(app.call_as(&sam, "users/list", &[]).await.is_ok());

    assert!(app.call_as(&cust, "partners/revoke", &[("link_id", &link.to_string())]).await.is_ok());
    let next = app.call_as(&sam, "users/list", &[]).await;
    assert_eq!((next.status, &next.body), (StatusCode::FORBIDDEN, &json!("DelegationEnded")));
    let bulk = app.call_json(&sam, "users/bulk", json!({ "action": "Delete", "selection": { "Matching": {} } })).await;
    assert_eq!(bulk.body, json!("DelegationEnded"), "nothing runs against either account");
    assert_eq!(app.call_as(&sam, "session/current", &[]).await.body["acting_for"]["ended"], true);
    app.mail_containing("pete@example.com", "has ended").await;
    assert_eq!(links(&app, &part).await[0]["status"], "Revoked");
    assert_eq!(app.count("SELECT COUNT(*) FROM delegated_grants").await, 0);

    // Returning home is allowed; acting again needs a new invitation.
    assert!(app.call_as(&sam, "partners/act_for", &[]).await.is_ok());
    assert_eq!(app.call_as(&sam, "session/current", &[]).await.body["acting_for"], Value::Null);
    assert_eq!(app.call_as(&sam, "partners/act_for", &[("account_id", &customer)]).await.status, StatusCode::NOT_FOUND);
    let role = role_id(&app, "auditor").await.to_string();
    let sam_id = app.user_id("sam").await.to_string();
    let regrant = app.call_as(&part, "partners/grant", &[("link_id", &link.to_string()), ("user_id", &sam_id), ("role_id", &role)]).await;
    assert_eq!(regrant.status, StatusCode::NOT_FOUND);
    app.finish().await;
}

async fn only_the_two_companies_see_or_change_a_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let cust = app.admin("cara").await;
    let part = app.admin("pete").await;
    let link = active_link(&app, &cust, &part).await.to_string();
    let eve = app.admin("eve").await;
    assert!(links(&app, &eve).await.is_empty());
    assert_eq!(app.call_as(&eve, "partners/revoke", &[("link_id", &link)]).await.status, StatusCode::NOT_FOUND);
    let eve_id = app.user_id("eve").await.to_string();
    let grant = app.call_as(&eve, "partners/grant", &[("link_id", &link), ("user_id", &eve_id), ("role_id", "1")]).await;
    assert_eq!(grant.status, StatusCode::NOT_FOUND);
    create(&app, &cust, "mia", &[]).await;
    let mia = signed_in(&app, "mia").await;
    assert_eq!(app.call_as(&mia, "partners/list", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call_as(&mia, "partners/revoke", &[("link_id", &link)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(links(&app, &cust).await[0]["status"], "Active", "nothing changed");
    app.finish().await;
}
