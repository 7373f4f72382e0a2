//! S9 and I4 under races: links mailed before an e-mail or password change die with it, and a
//! user manager's action racing a transfer of the primary administrator role never touches
//! the new primary administrator.

use crate::common;

use common::{Backend, NEW, PASSWORD, TestApp, create, form, new_client, role_id, signed_in, spawn_app, token_in};
use reqwest::Client;
use serde_json::json;

on_both_backends!(
    changing_an_email_cancels_the_links_sent_to_the_old_address,
    a_password_change_or_reset_cancels_pending_reset_links,
    a_user_managers_action_racing_a_transfer_never_touches_the_new_primary_administrator,
);

async fn link_is_dead(app: &TestApp, endpoint: &str, args: &[(&str, &str)]) -> bool {
    let answer = app.call_as(&new_client(), endpoint, args).await;
    answer.body["Validation"][0]["problem"] == "LinkInvalid"
}

async fn changing_an_email_cancels_the_links_sent_to_the_old_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let invited = json!({ "form": form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" });
    let ivy = app.call_json(&ada, "users/create", invited).await.body.as_i64().unwrap();
    let old_token = token_in(&app.mail_containing("ivy@example.com", "token=").await);
    assert!(!link_is_dead(&app, "invitation/show", &[("token", &old_token)]).await);

    let moved = json!({ "id": ivy, "form": form("ivy", "ivy@new.example", &[], "") });
    assert!(app.call_json(&ada, "users/update", moved).await.is_ok());
    assert!(link_is_dead(&app, "invitation/show", &[("token", &old_token)]).await, "the old address's invitation is dead");
    // The administrator resends, to the new address.
    assert!(app.call_as(&ada, "invitations/resend", &[("id", &ivy.to_string())]).await.is_ok());
    let new_token = token_in(&app.mail_containing("ivy@new.example", "token=").await);
    assert!(!link_is_dead(&app, "invitation/show", &[("token", &new_token)]).await);

    // A member's reset and verification links go too, and the new address is unverified.
    let bob = create(&app, &ada, "bob", &[]).await;
    let bob_client = signed_in(&app, "bob").await;
    assert!(app.call_as(&new_client(), "auth/forgot_password", &[("email", "bob@example.com")]).await.is_ok());
    let reset = token_in(&app.mail_containing("bob@example.com", "password/reset").await);
    let moved = json!({ "id": bob, "form": form("bob", "bob@new.example", &[], "") });
    assert!(app.call_json(&ada, "users/update", moved).await.is_ok());
    assert!(link_is_dead(&app, "auth/reset_password_with_link", &[("token", &reset), ("new_password", "an attacker's choice")]).await);
    let verified = app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {bob} AND email_verified_at IS NOT NULL")).await;
    assert_eq!(verified, 0, "the new address must be verified again");
    assert!(app.call_as(&bob_client, "session/current", &[]).await.is_ok(), "bob keeps working");
    app.finish().await;
}

async fn a_password_change_or_reset_cancels_pending_reset_links(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let forgot = || async { assert!(app.call_as(&new_client(), "auth/forgot_password", &[("email", "jane@example.com")]).await.is_ok()) };
    forgot().await;
    let first = token_in(&app.mail_containing("jane@example.com", "password/reset").await);
    let changed = app.call("auth/change_password", &[("current_password", PASSWORD), ("new_password", NEW)]).await;
    assert!(changed.is_ok(), "{changed:?}");
    assert!(link_is_dead(&app, "auth/reset_password_with_link", &[("token", &first), ("new_password", "an attacker's choice")]).await);

    // An administrator's reset (temporary password) cancels a pending link as well.
    let ada = app.admin("ada").await;
    let bob = create(&app, &ada, "bob", &[]).await;
    assert!(app.call_as(&new_client(), "auth/forgot_password", &[("email", "bob@example.com")]).await.is_ok());
    let link = token_in(&app.mail_containing("bob@example.com", "password/reset").await);
    assert!(app.call_as(&ada, "users/reset_password", &[("id", &bob.to_string())]).await.is_ok());
    assert!(link_is_dead(&app, "auth/reset_password_with_link", &[("token", &link), ("new_password", "an attacker's choice")]).await);
    app.finish().await;
}

/// The primary administrator hands the role to a new user while Uma (user manager) acts on
/// that user, round after round. Whatever the order, nothing of Uma's lands on the new primary
/// administrator: her audited change, if any, comes before the transfer's.
async fn a_user_managers_action_racing_a_transfer_never_touches_the_new_primary_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut primary = app.admin("ada").await;
    let manager = role_id(&app, "user_manager").await;
    create(&app, &primary, "uma", &[manager]).await;
    let uma = signed_in(&app, "uma").await;
    for round in 0..9 {
        let login = format!("bob{round}");
        let bob = create(&app, &primary, &login, &[]).await;
        signed_in(&app, &login).await;
        let uma_acts = async {
            match round % 3 {
                0 => app.call_json(&uma, "users/bulk", json!({ "action": "ForceLogout", "selection": { "Users": [bob] } })).await,
                1 => app.call_json(&uma, "users/bulk", json!({ "action": "Lock", "selection": { "Users": [bob] } })).await,
                _ => {
                    let edited = form(&login, &format!("{login}@elsewhere.example"), &[], "");
                    app.call_json(&uma, "users/update", json!({ "id": bob, "form": edited })).await
                }
            }
        };
        let bob_id = bob.to_string();
        let transfer_args = [("id", bob_id.as_str())];
        let transfer = app.call_as(&primary, "users/make_primary", &transfer_args);
        let (_, transferred) = futures::join!(uma_acts, transfer);
        let is_primary = app.count(&format!("SELECT is_primary_admin FROM users WHERE id = {bob}")).await == 1;
        assert_eq!(is_primary, transferred.is_ok(), "round {round}: {transferred:?}");
        if is_primary {
            let after_transfer = app
                .count(&format!(
                    "SELECT COUNT(*) FROM audit_events e WHERE e.target_type = 'user' AND e.target_id = {bob}
                       AND e.action IN ('user.locked', 'user.logged_out_by_admin', 'user.updated')
                       AND e.id > (SELECT MAX(t.id) FROM audit_events t
                                   WHERE t.action = 'account.primary_admin_transferred' AND t.target_id = {bob})"
                ))
                .await;
            assert_eq!(after_transfer, 0, "round {round}: the user manager acted on the new primary administrator");
            let locked = app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {bob} AND locked_at IS NOT NULL")).await;
            assert_eq!(locked, 0, "round {round}: the new primary administrator is locked");
            primary = signed_in_as_primary(&app, round).await;
        }
    }
    app.finish().await;
}

/// A fresh session of whoever is primary administrator now (the former one was logged out).
async fn signed_in_as_primary(app: &TestApp, round: usize) -> Client {
    let login: String = sqlx::query_scalar(
        "SELECT login_name FROM users WHERE is_primary_admin = 1 AND account_id = (SELECT account_id FROM users WHERE login_name = 'uma')",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let client = new_client();
    let password = if login == "ada" { PASSWORD } else { NEW };
    let answer = app.call_as(&client, "auth/login", &[("identifier", &login), ("password", password)]).await;
    assert!(answer.is_ok(), "round {round}: {login} signs in: {answer:?}");
    client
}
