//! Mail (F9): the outbox loses nothing while SMTP is down and delivers once it is back; mails
//! are in the recipient's language; news and alerts reach only their subscribers, once.
//! On SQLite and PostgreSQL.

use crate::common;

use common::{Backend, TestApp, new_client, register_args, spawn_app, spawn_app_with, smtp, test_config};
use serde_json::json;
use std::time::Duration;

on_both_backends!(
    while_smtp_is_down_nothing_is_lost_and_it_is_delivered_later,
    mails_are_written_in_the_recipients_language,
    news_reach_only_subscribers,
    expiry_alerts_go_once_to_subscribed_administrators,
);

/// Polls `sql` (a count) until it reaches `at_least`, for up to ten seconds.
async fn eventually(app: &TestApp, sql: &str, at_least: i64) {
    for _ in 0..100 {
        if app.count(sql).await >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never true: {sql} >= {at_least}");
}

async fn while_smtp_is_down_nothing_is_lost_and_it_is_delivered_later(backend: Backend) {
    let smtp = smtp::Smtp::down().await;
    let mut config = test_config();
    config.smtp_url = Some(smtp.url());
    let app = spawn_app_with(backend, config).await;
    assert!(app.call("auth/register", &register_args("bob", "bob@example.com")).await.is_ok());
    eventually(&app, "SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND sent_at IS NULL AND last_error IS NOT NULL", 1).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body LIKE '%verify-email?token=%'").await, 1, "the mail waits, whole");
    let retry_at: i64 = sqlx::query_scalar("SELECT next_attempt_at FROM outbox").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(retry_at > app::ssr::now() + 10, "a failure backs off before the next try");

    smtp.come_up();
    // The backoff has passed.
    app.execute("UPDATE outbox SET next_attempt_at = 0").await;
    eventually(&app, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL", 1).await;
    let received = smtp.inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("bob@example.com") && received[0].contains("Confirm your e-mail address"), "{}", received[0]);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body = '' AND last_error IS NULL").await, 1, "the delivered body is erased");
    app.finish().await;
}

async fn mails_are_written_in_the_recipients_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    assert!(app.call_as(&ada, "auth/set_language", &[("locale", "fr")]).await.is_ok());
    let key = app.call_as(&ada, "accounts/key", &[]).await.body.as_str().unwrap().to_owned();
    let bob = new_client();
    let mut french = register_args("bob", "bob@example.com");
    french[5] = ("locale", "fr");
    assert!(app.call_as(&bob, "auth/register", &french).await.is_ok());
    app.mail_containing("bob@example.com", "Confirmez votre adresse").await;
    app.mark_verified("bob").await;
    assert!(app.call_as(&bob, "accounts/join", &[("account_key", &key)]).await.is_ok());
    let mail = app.mail_containing("ada@example.com", "a rejoint").await;
    assert!(mail.contains("Subject:"), "{mail}");
    app.finish().await;
}

async fn news_reach_only_subscribers(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    app.admin("bob").await;
    let subscribe = json!({ "profile": { "first_name": "Ada", "last_name": "Doe", "locale": "en", "subscribe_news": true, "subscribe_alerts": true } });
    assert!(app.call_json(&ada, "me/update_profile", subscribe).await.is_ok());
    app.admin("carl").await;
    let news = app.mail_containing("ada@example.com", "joined Portico").await;
    assert!(news.contains("carl corp"), "{news}");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE 'New on Portico%'").await, 1, "bob and carl are not subscribed");
    app.finish().await;
}

async fn expiry_alerts_go_once_to_subscribed_administrators(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let invited = app.call_json(&ada, "users/create", json!({ "form": common::form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" })).await;
    assert!(invited.is_ok(), "{invited:?}");
    let pete = app.admin("pete").await;
    let pete_id = app.call_as(&pete, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    assert!(app.call_as(&ada, "partners/invite", &[("partner_id", &pete_id)]).await.is_ok());
    // Pete does not want alerts.
    let quiet = json!({ "profile": { "first_name": "Pete", "last_name": "Doe", "locale": "en", "subscribe_news": false, "subscribe_alerts": false } });
    assert!(app.call_json(&pete, "me/update_profile", quiet).await.is_ok());

    assert_eq!(app::ssr::services::alerts::announce_expiring(&app.state).await.unwrap(), 0, "nothing expires soon yet");
    let soon = app::ssr::now() + 3600;
    app.execute(&format!("UPDATE user_tokens SET expires_at = {soon} WHERE purpose = 'invitation'")).await;
    app.execute(&format!("UPDATE partner_links SET expires_at = {soon}")).await;
    assert_eq!(app::ssr::services::alerts::announce_expiring(&app.state).await.unwrap(), 2);
    assert_eq!(app::ssr::services::alerts::announce_expiring(&app.state).await.unwrap(), 0, "each item is announced once");
    app.mail_containing("ada@example.com", "The invitation of ivy@example.com expires soon").await;
    app.mail_containing("ada@example.com", "partner invitation between pete corp and ada corp expires soon").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE recipient = 'pete@example.com' AND subject LIKE '%expires soon%'").await, 0);
    // The dashboard says so too.
    let dashboard = app.call_as(&ada, "dashboard/summary", &[]).await.body;
    assert_eq!(dashboard["alerts"].as_array().unwrap().len(), 2, "{dashboard}");
    assert_eq!(dashboard["counts"]["invited"], 1);
    app.finish().await;
}
