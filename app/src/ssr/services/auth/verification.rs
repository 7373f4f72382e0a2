//! E-mail verification (F1): a single-use link mailed at registration (and on request). Until
//! the address is verified, the user may sign in but not create or join an account.

use crate::ssr::link_tokens::{self, Purpose};
use crate::{
    domain::UserId,
    error::{AppError, Problem},
    ssr::{
        AppState, audit::AuditEvent, guard::{Actor, ClientInfo, Request}, mail::Mail, now, outbox, throttle,
    },
};
use sqlx::AnyConnection;

/// Requests for a new link per user and hour.
const RESENDS_PER_HOUR: i64 = 5;

/// Queues a verification link for `user`, replacing any earlier one.
#[tracing::instrument(skip_all)]
pub async fn issue(conn: &mut AnyConnection, state: &AppState, user: UserId, email: &str, locale: &str, now: i64) -> Result<(), AppError> {
    let ttl = state.settings.verification_ttl_secs;
    let token = link_tokens::create(conn, user, Purpose::EmailVerification, now, ttl).await?;
    let link = state.link(&format!("/verify-email?token={}", token.expose()));
    outbox::enqueue(conn, email, locale, &Mail::VerifyEmail { link: &link, valid_hours: ttl / 3600 }, now).await
}

/// A new link for the signed-in user whose address is not verified yet.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn resend(req: &Request) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    if actor.email_verified() {
        return Ok(());
    }
    let now = now();
    let resends = throttle::Limit::new(format!("verify:{}", actor.user_id()), RESENDS_PER_HOUR);
    throttle::reserve(&state.db, &[&resends], &state.settings.throttle, now).await?;
    let mut tx = state.db.begin_write().await?;
    issue(&mut tx, state, actor.user_id(), &actor.info.email, &actor.info.locale, now).await?;
    AuditEvent::about_self("user.verification_sent", &client.ip, actor).record(&mut tx, now).await?;
    Ok(tx.commit().await?)
}

/// Marks the address behind a valid link as verified; the link is spent.
#[tracing::instrument(skip_all)]
pub async fn verify(state: &AppState, client: &ClientInfo, token: &str) -> Result<(), AppError> {
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let user = link_tokens::find(&mut tx, token, Purpose::EmailVerification, now).await?;
    link_tokens::delete_all(&mut tx, user, Purpose::EmailVerification).await?;
    let (login, account): (String, Option<i64>) =
        sqlx::query_as("UPDATE users SET email_verified_at = $1 WHERE id = $2 RETURNING login_name, account_id")
            .bind(now)
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await?;
    let account = account.map(crate::domain::AccountId);
    AuditEvent::new("user.email_verified", &client.ip)
        .actor(user, &login, account)
        .account(account)
        .target_user(user, &login)
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// Refuses users whose address is not verified (before creating or joining an account).
pub fn require_verified(actor: &Actor, field: &str) -> Result<(), AppError> {
    if actor.email_verified() { Ok(()) } else { Err(AppError::field(field, Problem::EmailNotVerified)) }
}
