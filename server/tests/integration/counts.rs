//! The kept user counts (F4, F11): they follow every change in the same transaction, hold
//! under concurrent writers, answer the list's totals, and the check finds any difference.
//! Every other test checks them too, as `TestApp::finish` runs the check.

use crate::common::*;
use app::{
    domain::AccountId,
    ssr::services::users::counts::{self, Difference, UserCounts},
};
use reqwest::Client;
use serde_json::{Value, json};

on_both_backends!(
    counts_follow_creates_invitations_locks_password_changes_factors_and_deletes,
    counts_hold_under_concurrent_creates_and_deletes,
    a_filtered_count_stops_at_the_cap_and_select_all_matching_still_takes_every_match,
    the_check_names_a_tampered_count_a_wrong_second_factor_flag_and_a_misplaced_role_grant,
    the_check_counts_command_fails_on_a_difference,
    the_search_follows_renames_and_deletes_and_the_check_names_a_stray_search_copy,
    seeded_users_are_active_and_counted_and_cannot_sign_in,
);

async fn account_of(app: &TestApp, login: &str) -> AccountId {
    AccountId(app.count(&format!("SELECT account_id FROM users WHERE login_name = '{login}'")).await)
}

async fn kept(app: &TestApp, account: AccountId) -> UserCounts {
    counts::of(&app.state.db.pool, account).await.unwrap()
}

async fn bulk(app: &TestApp, client: &Client, action: &str, selection: Value) -> Answer {
    let answer = app.call_json(client, "users/bulk", json!({ "action": action, "selection": selection })).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer
}

async fn total(app: &TestApp, client: &Client, args: &[(&str, &str)]) -> Value {
    let answer = app.call_as(client, "users/list", args).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body["total"].clone()
}

async fn counts_follow_creates_invitations_locks_password_changes_factors_and_deletes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let account = account_of(&app, "ada").await;
    let expect = |active, must_change_password, invited, locked, with_second_factor| UserCounts {
        active,
        must_change_password,
        invited,
        locked,
        with_second_factor,
    };
    assert_eq!(kept(&app, account).await, expect(1, 0, 0, 0, 0), "the primary administrator");

    let bob = create(&app, &admin, "bob", &[]).await;
    let cid = create(&app, &admin, "cid", &[]).await;
    let invited = app
        .call_json(&admin, "users/create", json!({ "form": form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" }))
        .await;
    assert!(invited.is_ok(), "{invited:?}");
    assert_eq!(kept(&app, account).await, expect(1, 2, 1, 0, 0));

    signed_in(&app, "bob").await;
    assert_eq!(kept(&app, account).await, expect(2, 1, 1, 0, 0), "bob chose his password");
    bulk(&app, &admin, "Lock", json!({ "Users": [cid] })).await;
    assert_eq!(kept(&app, account).await, expect(2, 0, 1, 1, 0));
    enrol_totp(&app, &admin).await;
    assert_eq!(kept(&app, account).await, expect(2, 0, 1, 1, 1), "ada added an authenticator app");

    assert_eq!(total(&app, &admin, &[]).await, json!({ "exactly": 4 }));
    assert_eq!(total(&app, &admin, &[("query[filter][status]", "Locked")]).await, json!({ "exactly": 1 }));
    assert_eq!(total(&app, &admin, &[("query[filter][second_factor]", "false")]).await, json!({ "exactly": 3 }));

    bulk(&app, &admin, "Delete", json!({ "Users": [bob, cid] })).await;
    assert_eq!(kept(&app, account).await, expect(1, 0, 1, 0, 1));
    app.finish().await;
}

async fn counts_hold_under_concurrent_creates_and_deletes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let account = account_of(&app, "ada").await;
    let early: Vec<i64> = futures::future::join_all((0..20).map(|n| {
        let (app, admin) = (&app, &admin);
        async move { create(app, admin, &format!("early{n}"), &[]).await }
    }))
    .await;
    // 60 creates and 20 single deletes at once, each its own transaction.
    let creates = (0..60).map(|n| {
        let (app, admin) = (&app, &admin);
        async move {
            let email = format!("late{n}@example.com");
            let body = json!({ "form": form(&format!("late{n}"), &email, &[], PASSWORD), "delivery": "Password" });
            app.call_json(admin, "users/create", body).await.status
        }
    });
    let deletes = early.iter().map(|id| {
        let (app, admin) = (&app, &admin);
        async move { app.call_json(admin, "users/bulk", json!({ "action": "Delete", "selection": { "Users": [id] } })).await.status }
    });
    let (created, deleted) = futures::future::join(futures::future::join_all(creates), futures::future::join_all(deletes)).await;
    assert!(created.iter().chain(&deleted).all(|s| s.is_success()), "{created:?} {deleted:?}");

    let users = app.count(&format!("SELECT COUNT(*) FROM users WHERE account_id = {}", account.0)).await;
    assert_eq!(users, 61);
    assert_eq!(kept(&app, account).await.total(), users);
    app.finish().await;
}

async fn a_filtered_count_stops_at_the_cap_and_select_all_matching_still_takes_every_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let account = account_of(&app, "ada").await;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050)
         INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, created_at)
         SELECT $1, 'Many', 'Person', 'many' || i, 'many' || i || '@example.com', 'not a hash', 0 FROM n",
    )
    .bind(account.0)
    .execute(&app.state.db.pool)
    .await
    .unwrap();

    let many = [("query[filter][first_name]", "many")];
    assert_eq!(total(&app, &admin, &many).await, json!({ "more_than": 10000 }), "counted no further than the cap");
    assert_eq!(total(&app, &admin, &[]).await, json!({ "exactly": 10051 }), "the whole account is exact");
    assert_eq!(total(&app, &admin, &[("query[filter][status]", "Active")]).await, json!({ "exactly": 10051 }));
    let few = [("query[filter][login_name]", "many1000")];
    assert_eq!(total(&app, &admin, &few).await, json!({ "exactly": 11 }), "many1000 and many10000..many10009");

    let deleted = bulk(&app, &admin, "Delete", json!({ "Matching": { "first_name": "many" } })).await;
    assert_eq!(deleted.body["done"], 10050, "every match, not the counted 10,000");
    assert_eq!(total(&app, &admin, &[]).await, json!({ "exactly": 1 }));
    app.finish().await;
}

async fn the_check_names_a_tampered_count_a_wrong_second_factor_flag_and_a_misplaced_role_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    create(&app, &admin, "bob", &[]).await;
    let account = account_of(&app, "ada").await;
    assert_eq!(counts::check(&app.state.db).await.unwrap(), []);

    app.execute("UPDATE account_user_counts SET invited = invited + 3").await;
    app.execute("UPDATE users SET has_second_factor = 1 WHERE login_name = 'bob'").await;
    let bobs = "user_id = (SELECT id FROM users WHERE login_name = 'bob')";
    app.execute(&format!("UPDATE user_roles SET account_id = NULL WHERE {bobs}")).await;
    let counted = UserCounts { active: 1, must_change_password: 1, invited: 0, locked: 0, with_second_factor: 0 };
    let differences = counts::check(&app.state.db).await.unwrap();
    assert_eq!(
        differences,
        [
            Difference::Counts { account, kept: UserCounts { invited: 3, with_second_factor: 1, ..counted }, counted },
            Difference::SecondFactorFlags { users: 1 },
            Difference::RoleGrantAccounts { grants: 1 },
        ]
    );
    // Put right, so that `finish` finds nothing.
    app.execute(&format!("UPDATE user_roles SET account_id = {} WHERE {bobs}", account.0)).await;
    app.execute("UPDATE users SET has_second_factor = 0 WHERE login_name = 'bob'").await;
    app.execute("UPDATE account_user_counts SET invited = invited - 3").await;
    app.finish().await;
}

async fn the_search_follows_renames_and_deletes_and_the_check_names_a_stray_search_copy(backend: Backend) {
    let postgres = matches!(backend, Backend::Postgres(_));
    let app = spawn_app(backend).await;
    let admin = app.admin("ada").await;
    let bob = create(&app, &admin, "bob", &[]).await;
    let cid = create(&app, &admin, "cid", &[]).await;
    let last_name = |term| [("query[filter][last_name]", term)];
    assert_eq!(total(&app, &admin, &last_name("TON")).await, json!({ "exactly": 2 }), "Stone, in any case");

    app.execute(&format!("UPDATE users SET last_name = 'Ångström' WHERE id = {bob}")).await;
    assert_eq!(total(&app, &admin, &last_name("ÅNGS")).await, json!({ "exactly": 1 }), "the new name, folded");
    assert_eq!(total(&app, &admin, &last_name("ton")).await, json!({ "exactly": 1 }), "the old one is gone");
    bulk(&app, &admin, "Delete", json!({ "Users": [cid] })).await;
    assert_eq!(total(&app, &admin, &last_name("ton")).await, json!({ "exactly": 0 }));
    assert_eq!(counts::check(&app.state.db).await.unwrap(), []);

    // PostgreSQL's copies are the check's to verify (migration 0015); SQLite's FTS index has
    // its own, which fails the statement on a difference.
    if postgres {
        app.execute(&format!("UPDATE users_search SET last_name = 'stone' WHERE user_id = {bob}")).await;
        app.execute("INSERT INTO users_search VALUES (999999, NULL, 'no', 'such', 'user', 'here')").await;
        assert_eq!(counts::check(&app.state.db).await.unwrap(), [Difference::SearchCopies { users: 2 }]);
        app.execute(&format!("UPDATE users_search SET last_name = 'ångström' WHERE user_id = {bob}")).await;
        app.execute("DELETE FROM users_search WHERE user_id = 999999").await;
    } else {
        app.execute("INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)").await;
    }
    app.finish().await;
}

async fn the_check_counts_command_fails_on_a_difference(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("ada").await;
    let account = account_of(&app, "ada").await;
    let agree = app.cli(&["check-counts"]).await;
    let said = String::from_utf8_lossy(&agree.stdout).into_owned();
    assert!(agree.status.success() && said.contains("agree"), "{agree:?}");

    app.execute("UPDATE account_user_counts SET locked = locked + 2").await;
    let differ = app.cli(&["check-counts"]).await;
    let said = String::from_utf8_lossy(&differ.stdout).into_owned();
    assert!(!differ.status.success(), "{differ:?}");
    assert!(said.contains(&format!("account {account}: kept")) && said.contains("locked: 2"), "{said}");
    app.execute("UPDATE account_user_counts SET locked = locked - 2").await;
    app.finish().await;
}

async fn seeded_users_are_active_and_counted_and_cannot_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("ada").await;
    let account = account_of(&app, "ada").await;
    let refused = app.cli(&["seed-users", "--account-of", "ada", "--count", "5", "--prefix", "Bad-1"]).await;
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--prefix"), "{refused:?}");
    let seeded = app.cli(&["seed-users", "--account-of", "ada@example.com", "--count", "30", "--prefix", "seeded"]).await;
    assert!(seeded.status.success() && String::from_utf8_lossy(&seeded.stdout).contains("Added 30 users"), "{seeded:?}");
    assert_eq!(kept(&app, account).await, UserCounts { active: 31, ..UserCounts::default() });
    let members = app.count("SELECT COUNT(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.builtin_key = 'member'").await;
    assert_eq!(members, 30, "each holds Member, as a user added without roles does");
    let none = app.cli(&["seed-users", "--account-of", "ada", "--count", "0"]).await;
    assert!(!none.status.success(), "{none:?}");
    for password in ["", PASSWORD, "!unusable"] {
        let login = app.call_as(&new_client(), "auth/login", &[("identifier", "seeded7"), ("password", password)]).await;
        assert!(!login.is_ok(), "{password:?}: {login:?}");
    }
    app.finish().await;
}
