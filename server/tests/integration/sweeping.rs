//! SPEC S9, nothing outlives its purpose: the sweeper deletes dead sessions, expired links,
//! spent throttle counters and old mails, in batches, safely from several instances at once,
//! and keeps everything still valid or still shown; a mail that cannot be delivered in time is
//! given up with its body erased; mailbox files are readable by their owner only.
//!
//! Rows are dated around `T`, far in the future: the app's own background sweeper and outbox
//! worker (on the real clock) see none of them as expired or due, so only the calls made here
//! with `now` = around `T` act on them.

use crate::common;

use app::ssr::{
    now,
    outbox::{self, Transport},
    sweeper::{self, Swept},
};
use common::{Backend, TestApp, smtp, spawn_app};

on_both_backends!(
    a_sweep_deletes_what_is_dead_and_keeps_what_is_alive_or_shown,
    batches_sweep_more_rows_than_one_batch,
    two_sweeps_at_once_agree_and_fail_nowhere,
    a_mail_undelivered_past_the_give_up_time_is_failed_with_its_body_erased,
    mailbox_files_are_readable_by_their_owner_only,
);

const DAY: i64 = 86_400;
const GIVE_UP: i64 = 72 * 3600;

/// "Now" for these tests: far enough ahead that nothing dated around it is due on the real clock.
fn t() -> i64 {
    now() + 10_000_000
}

/// A user with a password (`invited` false) or an invited one without; returns its id.
async fn user(app: &TestApp, login: &str, invited: bool) -> i64 {
    let hash = if invited { "NULL" } else { "'x'" };
    app.execute(&format!(
        "INSERT INTO users (first_name, last_name, login_name, email, password_hash, created_at)
         VALUES ('A', 'B', '{login}', '{login}@example.com', {hash}, 0)"
    ))
    .await;
    app.user_id(login).await
}

async fn session(app: &TestApp, hash: &str, user: i64, last_seen_at: i64, expires_at: i64) {
    app.execute(&format!(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
         VALUES ('{hash}', {user}, {last_seen_at}, {last_seen_at}, {expires_at})"
    ))
    .await;
}

/// `n` sessions named `<prefix><i>` of `user`, in one statement.
async fn sessions(app: &TestApp, prefix: &str, n: usize, user: i64, last_seen_at: i64, expires_at: i64) {
    let rows: Vec<String> =
        (0..n).map(|i| format!("('{prefix}{i}', {user}, {last_seen_at}, {last_seen_at}, {expires_at})")).collect();
    app.execute(&format!(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES {}",
        rows.join(", ")
    ))
    .await;
}

async fn token(app: &TestApp, hash: &str, user: i64, purpose: &str, expires_at: i64) {
    app.execute(&format!(
        "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at)
         VALUES ('{hash}', {user}, '{purpose}', 0, {expires_at})"
    ))
    .await;
}

async fn throttle(app: &TestApp, key: &str, window_started_at: i64, blocked_until: i64) {
    app.execute(&format!(
        "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until)
         VALUES ('{key}', 3, {window_started_at}, {blocked_until})"
    ))
    .await;
}

/// A mail to `recipient`, queued at `created_at` and due then; `sent_at`/`failed_at` as SQL.
async fn mail(app: &TestApp, recipient: &str, created_at: i64, sent_at: &str, failed_at: &str) {
    app.execute(&format!(
        "INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at, sent_at, failed_at)
         VALUES ('{recipient}', 'Your temporary password', 'secret-temporary-password', {created_at}, {created_at}, {sent_at}, {failed_at})"
    ))
    .await;
}

async fn exists(app: &TestApp, table: &str, column: &str, value: &str) -> bool {
    app.count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = '{value}'")).await == 1
}

async fn a_sweep_deletes_what_is_dead_and_keeps_what_is_alive_or_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let (settings, db) = (&app.state.settings, &app.state.db);
    let t = t();
    let idle = settings.session_idle_secs;
    let window = settings.throttle.window_secs;
    let ann = user(&app, "ann", false).await;
    let ivy = user(&app, "ivy", true).await;

    session(&app, "live", ann, t - 100, t + 1000).await;
    session(&app, "idle-but-not-too-long", ann, t - idle, t + 1000).await;
    session(&app, "past-absolute-expiry", ann, t - 10, t).await;
    session(&app, "idle-too-long", ann, t - idle - 1, t + 1000).await;

    token(&app, "reset-valid", ann, "password_reset", t + 10).await;
    token(&app, "reset-expired", ann, "password_reset", t).await;
    token(&app, "verification-expired", ann, "email_verification", t - 1).await;
    // Ivy is still invited: her expired invitation is listed (and can be resent).
    token(&app, "invitation-expired-pending", ivy, "invitation", t - DAY).await;
    token(&app, "invitation-expired-stale", ann, "invitation", t - DAY).await;

    throttle(&app, "id:window-open", t - 10, 0).await;
    throttle(&app, "id:still-blocked", t - window - 1, t + 10).await;
    throttle(&app, "id:spent", t - window - 1, 0).await;
    throttle(&app, "id:block-ended", t - window - 1, t - 1).await;

    for (key, window_ends_at) in [("invitations:1", t + 10), ("accounts-created:1", t)] {
        app.execute(&format!("INSERT INTO quotas (quota_key, used, window_ends_at) VALUES ('{key}', 3, {window_ends_at})")).await;
    }

    mail(&app, "pending@example.com", t - 10 * DAY, "NULL", "NULL").await;
    mail(&app, "sent-recently@example.com", t - DAY, &(t - 100).to_string(), "NULL").await;
    mail(&app, "sent-long-ago@example.com", t - 2 * DAY, &(t - DAY - 1).to_string(), "NULL").await;
    mail(&app, "failed-recently@example.com", t - 4 * DAY, "NULL", &(t - DAY).to_string()).await;
    mail(&app, "failed-long-ago@example.com", t - 11 * DAY, "NULL", &(t - 8 * DAY).to_string()).await;

    // An expired partner invitation is shown as *Expired*: never swept.
    for (name, partner_id) in [("Partner", "PT-AAAA-AAAA"), ("Customer", "PT-BBBB-BBBB")] {
        app.execute(&format!(
            "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ('{name}', '{partner_id}', 'key-{partner_id}', 0)"
        ))
        .await;
    }
    app.execute(
        "INSERT INTO partner_links (partner_account_id, customer_account_id, status, initiated_by, token_hash, created_at, expires_at)
         SELECT p.id, c.id, 'invited', 'partner', 'partner-link', 0, 1 FROM accounts p, accounts c
         WHERE p.partner_id = 'PT-AAAA-AAAA' AND c.partner_id = 'PT-BBBB-BBBB'",
    )
    .await;

    // A passkey ceremony that expired goes; one still waiting for its answer stays.
    for (token, expires_at) in [("ceremony-expired", t), ("ceremony-waiting", t + 60)] {
        app.execute(&format!(
            "INSERT INTO passkey_ceremonies (token_hash, purpose, state, expires_at) VALUES ('{token}', 'sign_in', '{{}}', {expires_at})"
        ))
        .await;
    }

    let swept = sweeper::sweep(db, settings, t).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            sessions: 2,
            user_tokens: 3,
            login_throttle: 2,
            delivered_mails: 1,
            failed_mails: 1,
            quotas: 1,
            second_steps: 0,
            abandoned_enrolments: 0,
            passkey_ceremonies: 1,
        },
        "each table's count"
    );
    for (table, column, value, kept) in [
        ("sessions", "token_hash", "live", true),
        ("sessions", "token_hash", "idle-but-not-too-long", true),
        ("sessions", "token_hash", "past-absolute-expiry", false),
        ("sessions", "token_hash", "idle-too-long", false),
        ("user_tokens", "token_hash", "reset-valid", true),
        ("user_tokens", "token_hash", "reset-expired", false),
        ("user_tokens", "token_hash", "verification-expired", false),
        ("user_tokens", "token_hash", "invitation-expired-pending", true),
        ("user_tokens", "token_hash", "invitation-expired-stale", false),
        ("login_throttle", "throttle_key", "id:window-open", true),
        ("login_throttle", "throttle_key", "id:still-blocked", true),
        ("login_throttle", "throttle_key", "id:spent", false),
        ("login_throttle", "throttle_key", "id:block-ended", false),
        ("outbox", "recipient", "pending@example.com", true),
        ("outbox", "recipient", "sent-recently@example.com", true),
        ("outbox", "recipient", "sent-long-ago@example.com", false),
        ("outbox", "recipient", "failed-recently@example.com", true),
        ("outbox", "recipient", "failed-long-ago@example.com", false),
        ("partner_links", "token_hash", "partner-link", true),
        ("quotas", "quota_key", "invitations:1", true),
        ("quotas", "quota_key", "accounts-created:1", false),
        ("passkey_ceremonies", "token_hash", "ceremony-waiting", true),
        ("passkey_ceremonies", "token_hash", "ceremony-expired", false),
    ] {
        assert_eq!(exists(&app, table, column, value).await, kept, "{table} {value}: kept {kept}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2, "users are never swept");
    assert_eq!(sweeper::sweep(db, settings, t).await.unwrap(), Swept::default(), "a second sweep finds nothing");
    app.finish().await;
}

async fn batches_sweep_more_rows_than_one_batch(backend: Backend) {
    let app = spawn_app(backend).await;
    let (settings, db) = (&app.state.settings, &app.state.db);
    let t = t();
    let ann = user(&app, "ann", false).await;
    sessions(&app, "dead-", 2_500, ann, t - 10, t - 1).await;
    sessions(&app, "live-", 3, ann, t - 10, t + 1000).await;

    let swept = sweeper::sweep_in_batches(db, settings, t, 1_000).await.unwrap();
    assert_eq!(swept.sessions, 2_500, "three batches, the last one short");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE token_hash LIKE 'live-%'").await, 3);

    // Exactly one full batch: the sweep goes on until a batch comes back short (here empty).
    sessions(&app, "dead-again-", 1_000, ann, t - 10, t - 1).await;
    assert_eq!(sweeper::sweep_in_batches(db, settings, t, 1_000).await.unwrap().sessions, 1_000);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 3);
    app.finish().await;
}

async fn two_sweeps_at_once_agree_and_fail_nowhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let (settings, db) = (&app.state.settings, &app.state.db);
    let t = t();
    let window = settings.throttle.window_secs;
    let ann = user(&app, "ann", false).await;
    sessions(&app, "dead-", 2_500, ann, t - 10, t - 1).await;
    sessions(&app, "live-", 3, ann, t - 10, t + 1000).await;
    let spent: Vec<String> = (0..1_200).map(|i| format!("('ip:spent-{i}', 3, {}, 0)", t - window - 1)).collect();
    app.execute(&format!(
        "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until) VALUES {}",
        spent.join(", ")
    ))
    .await;
    throttle(&app, "ip:blocked", t - window - 1, t + 60).await;

    // A second instance on the same database, as behind a load balancer.
    let other = app.second_instance().await;
    let (a, b) = tokio::join!(
        sweeper::sweep_in_batches(db, settings, t, 1_000),
        sweeper::sweep_in_batches(&other.state.db, &other.state.settings, t, 1_000),
    );
    let (a, b) = (a.expect("first sweep"), b.expect("second sweep"));
    assert_eq!(a.sessions + b.sessions, 2_500, "every dead session deleted once: {a:?} {b:?}");
    assert_eq!(a.login_throttle + b.login_throttle, 1_200, "{a:?} {b:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE token_hash LIKE 'live-%'").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_throttle").await, 1);
    assert!(exists(&app, "login_throttle", "throttle_key", "ip:blocked").await);
    assert_eq!(sweeper::sweep(db, settings, t).await.unwrap(), Swept::default());
    other.state.db.pool.close().await;
    app.finish().await;
}

async fn a_mail_undelivered_past_the_give_up_time_is_failed_with_its_body_erased(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = &app.state.db;
    let t = t();
    assert_eq!(app.state.settings.mail_give_up_secs, GIVE_UP, "72 hours by default");
    // An SMTP server that stays down: every delivery fails.
    let down = smtp::Smtp::down().await;
    let smtp = Transport::smtp(&down.url()).unwrap();
    let from = app.state.settings.mail_from.parse().unwrap();
    mail(&app, "bob@example.com", t, "NULL", "NULL").await;

    // Within the give-up time a failure only backs off; the mail waits, whole.
    assert_eq!(outbox::deliver_due(db, &smtp, &from, GIVE_UP, t + 60).await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE failed_at IS NULL AND attempts = 1 AND body = 'secret-temporary-password'").await, 1);
    // A long backoff is cut short: the last try comes at the give-up time.
    app.execute(&format!("UPDATE outbox SET attempts = 10, next_attempt_at = {}", t + GIVE_UP - 3600)).await;
    outbox::deliver_due(db, &smtp, &from, GIVE_UP, t + GIVE_UP - 3600).await.unwrap();
    let retry_at: i64 = sqlx::query_scalar("SELECT next_attempt_at FROM outbox").fetch_one(&db.pool).await.unwrap();
    assert_eq!(retry_at, t + GIVE_UP, "the retry waits no later than the give-up time");
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE failed_at IS NULL").await, 1);

    // At the give-up time the failure is final.
    assert_eq!(outbox::deliver_due(db, &smtp, &from, GIVE_UP, t + GIVE_UP).await.unwrap(), 0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE failed_at = {} AND body = '' AND sent_at IS NULL AND last_error LIKE 'smtp:%' AND attempts = 12",
            t + GIVE_UP
        ))
        .await,
        1,
        "marked failed, body erased, error kept"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body LIKE '%secret%' OR subject LIKE '%secret%'").await, 0);
    // A failed mail is never tried again, even once due and with a working transport.
    let mailbox = Transport::Mailbox(app.state.settings.mailbox_dir.clone());
    assert_eq!(outbox::deliver_due(db, &mailbox, &from, GIVE_UP, t + 100 * DAY).await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE attempts = 12 AND sent_at IS NULL").await, 1);

    // It is kept a week, then swept.
    let settings = &app.state.settings;
    assert_eq!(sweeper::sweep(db, settings, t + GIVE_UP + 7 * DAY).await.unwrap().failed_mails, 0);
    assert_eq!(sweeper::sweep(db, settings, t + GIVE_UP + 7 * DAY + 1).await.unwrap().failed_mails, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    app.finish().await;
}

async fn mailbox_files_are_readable_by_their_owner_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = t();
    let from = app.state.settings.mail_from.parse().unwrap();
    mail(&app, "bob@example.com", t, "NULL", "NULL").await;
    let delivered = outbox::deliver_due(&app.state.db, &app.state.transport, &from, GIVE_UP, t).await.unwrap();
    assert_eq!(delivered, 1);
    let files: Vec<_> = std::fs::read_dir(&app.state.settings.mailbox_dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one .eml, no partial file left: {files:?}");
    assert!(files[0].extension().is_some_and(|x| x == "eml"));
    assert!(std::fs::read_to_string(&files[0]).unwrap().contains("secret-temporary-password"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "mode {mode:o}");
    }
    app.finish().await;
}
