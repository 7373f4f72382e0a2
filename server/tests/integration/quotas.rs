//! Abuse limits: invitations per account per hour, partner invitations per account per day,
//! companies per user per day. Each holds under a burst of parallel requests, a refused action
//! changes nothing and sends nothing, and news of a company goes out once, only for a company
//! whose founder proved their address.

use crate::common;

use app::{
    error::{AppError, Quota},
    ssr::quota::{self, QuotaSettings},
};
use common::{Backend, TestApp, new_client, register_args, spawn_app, spawn_app_with, test_config};
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use server::config::Config;

on_both_backends!(
    invitations_per_account_per_hour_hold_under_a_burst,
    partner_invitations_per_account_per_day_hold_under_a_burst,
    a_user_creates_only_so_many_companies_per_day,
    news_of_a_company_goes_out_once_and_only_for_a_verified_founder,
);

fn refused(quota: &str, limit: u32) -> impl Fn(&Value) -> bool {
    let quota = quota.to_owned();
    move |body| body["QuotaReached"]["quota"] == json!(quota) && body["QuotaReached"]["limit"] == json!(limit)
}

async fn invite(app: &TestApp, admin: &Client, login: &str) -> (StatusCode, Value, Option<String>) {
    let email = format!("{login}@example.com");
    let response = admin
        .post(format!("{}/api/users/create", app.url))
        .json(&json!({ "form": common::form(login, &email, &[], ""), "delivery": "Invitation" }))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (response.status(), response.json().await.unwrap(), retry_after)
}

async fn invitations_per_account_per_hour_hold_under_a_burst(backend: Backend) {
    let config = Config { invitations_per_hour: 5, ..test_config() };
    let app = spawn_app_with(backend, config).await;
    let admin = app.admin("ada").await;
    for login in ["first", "second"] {
        assert_eq!(invite(&app, &admin, login).await.0, StatusCode::OK);
    }

    let answers = join_all((0..20).map(|i| {
        let (app, admin) = (&app, &admin);
        async move { invite(app, admin, &format!("burst{i}")).await }
    }))
    .await;
    let sent = answers.iter().filter(|(status, ..)| *status == StatusCode::OK).count();
    assert_eq!(sent, 3, "five invitations per hour, two already sent");
    let is_quota = refused("Invitations", 5);
    for (status, body, retry_after) in answers.iter().filter(|(status, ..)| *status != StatusCode::OK) {
        assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(is_quota(body), "{body}");
        let wait: u64 = retry_after.as_deref().expect("Retry-After").parse().unwrap();
        assert!((1..=3600).contains(&wait), "{wait}");
    }
    // A refused invitation left no invited user and no mail behind.
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE password_hash IS NULL").await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%invit%'").await, 5);

    // Resending is an invitation mail too.
    let first = app.user_id("first").await.to_string();
    let resent = app.call_as(&admin, "invitations/resend", &[("id", &first)]).await;
    assert!(is_quota(&resent.body), "{resent:?}");
    // Another account's quota is its own.
    let other = app.admin("bea").await;
    assert_eq!(invite(&app, &other, "beas-guest").await.0, StatusCode::OK);
    app.finish().await;
}

async fn partner_id_of(app: &TestApp, client: &Client) -> String {
    app.call_as(client, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned()
}

async fn partner_invitations_per_account_per_day_hold_under_a_burst(backend: Backend) {
    let config = Config { partner_invitations_per_day: 4, ..test_config() };
    let app = spawn_app_with(backend, config).await;
    let cleo = app.admin("cleo").await;
    assert!(app.call_as(&cleo, "partners/create_link", &[]).await.is_ok(), "a shareable link counts");
    let mut partners = Vec::new();
    for i in 0..10 {
        let partner = app.admin(&format!("partner{i}")).await;
        partners.push(partner_id_of(&app, &partner).await);
    }

    let answers = join_all(partners.iter().map(|id| {
        let (app, cleo) = (&app, &cleo);
        async move { app.call_as(cleo, "partners/invite", &[("partner_id", id)]).await }
    }))
    .await;
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 3, "four per day, one link already made");
    let is_quota = refused("PartnerInvitations", 4);
    for answer in answers.iter().filter(|a| !a.is_ok()) {
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(is_quota(&answer.body), "{answer:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM partner_links").await, 4, "refused invitations created no link");
    let link = app.call_as(&cleo, "partners/create_link", &[]).await;
    assert!(is_quota(&link.body), "{link:?}");
    // A bad Partner ID is answered as such first.
    let unknown = app.call_as(&cleo, "partners/invite", &[("partner_id", "PT-ZZZZ-ZZZZ")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown:?}");
    app.finish().await;
}

/// `client` (signed in, verified, without an account) creates a company named `name`.
async fn create_company(app: &TestApp, client: &Client, name: &str) -> common::Answer {
    app.call_as(client, "accounts/create", &[("account_name", name)]).await
}

async fn a_user_creates_only_so_many_companies_per_day(backend: Backend) {
    let config = Config { accounts_per_user_per_day: 2, ..test_config() };
    let app = spawn_app_with(backend, config).await;
    let nina = app.admin("nina").await;
    assert!(app.call_as(&nina, "accounts/close", &[]).await.is_ok());
    assert!(create_company(&app, &nina, "second corp").await.is_ok());
    assert!(app.call_as(&nina, "accounts/close", &[]).await.is_ok());

    let third = create_company(&app, &nina, "third corp").await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused("AccountsCreated", 2)(&third.body), "{third:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0, "the refused company does not exist");
    // Someone else is not held back by nina.
    app.admin("omar").await;
    app.finish().await;
}

async fn news_of_a_company_goes_out_once_and_only_for_a_verified_founder(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let subscribe = json!({ "profile": { "first_name": "Ada", "last_name": "Doe", "locale": "en", "subscribe_news": true, "subscribe_alerts": false } });
    assert!(app.call_json(&ada, "me/update_profile", subscribe).await.is_ok());

    // An address nobody proved founds nothing, so nothing is announced.
    let vic = new_client();
    assert!(app.call_as(&vic, "auth/register", &register_args("vic", "vic@example.com")).await.is_ok());
    assert!(!create_company(&app, &vic, "Visit spam.example").await.is_ok());
    app.mark_verified("vic").await;
    assert!(create_company(&app, &vic, "Vic corp").await.is_ok());
    let news = app.mail_containing("ada@example.com", "joined Portico").await;
    assert!(news.contains("Vic corp"), "{news}");
    let announced = "SELECT COUNT(*) FROM outbox WHERE subject LIKE 'New on Portico%'";
    assert_eq!(app.count(announced).await, 1, "the refused company was not announced");

    // Renaming the company announces nothing new.
    let rename = [("name", "Vic renamed corp"), ("contact_email", ""), ("default_locale", "en")];
    let answer = app.call_as(&vic, "accounts/update_details", &rename).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(app.count(announced).await, 1, "one announcement per company");
    app.finish().await;
}

#[tokio::test]
async fn a_quota_window_refuses_with_its_remaining_time_then_starts_afresh() {
    let app = spawn_app(Backend::Sqlite).await;
    let settings = QuotaSettings { invitations_per_hour: 3, ..QuotaSettings::default() };
    let take = |now: i64| {
        let (app, settings) = (&app, &settings);
        async move {
            let mut conn = app.state.db.pool.acquire().await.unwrap();
            quota::take(conn.as_mut(), settings, Quota::Invitations, 42, now).await
        }
    };
    let start = 1_000_000;
    for second in 0..3 {
        take(start + second).await.unwrap();
    }
    match take(start + 600).await {
        Err(AppError::QuotaReached { quota: Quota::Invitations, limit: 3, retry_after_secs }) => assert_eq!(retry_after_secs, 3000),
        other => panic!("{other:?}"),
    }
    take(start + 3600).await.expect("a new window");
    let zero = QuotaSettings { invitations_per_hour: 0, ..QuotaSettings::default() };
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    assert!(quota::take(conn.as_mut(), &zero, Quota::Invitations, 7, start).await.is_err(), "a limit of 0 allows nothing");
    drop(conn);
    app.finish().await;
}
