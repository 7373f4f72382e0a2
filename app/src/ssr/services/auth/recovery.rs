//! Getting back in: an administrator's password reset (F4, both delivery modes) and the
//! "forgot password" link (F1).

use crate::ssr::services::{rules};
use crate::ssr::link_tokens;
use crate::{
    domain::{Email, Password, UserId},
    error::{AppError, Refusal},
    ssr::{
        AppState, ResetDelivery, audit::AuditEvent, guard::{ClientInfo, Request}, mail::Mail, now,
        outbox, sessions, throttle, tokens,
    },
};
use serde_json::json;

/// F4 reset: every session of the user ends and the old password stops working at once.
/// `TemporaryPassword` mails a random password good for one login within its lifetime, after
/// which the user must choose their own; `Link` mails a single-use link instead and leaves no
/// password usable until it is followed. The administrator never sees either.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn reset_by_admin(req: &Request, id: UserId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    rules::may_reset(actor, id)?;
    let settings = &state.settings;
    let temporary = Password::generated(tokens::temporary_password());
    // In link mode the stored hash is of a password nobody knows, and it is already expired.
    let hash = state.hasher.hash(temporary.clone()).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let target = rules::target(&mut tx, actor, id).await?;
    let held = rules::permissions_of(&mut tx, &[target.id]).await?;
    rules::may_manage(actor, &target, held.get(&target.id).copied().unwrap_or_default()).map_err(AppError::Refused)?;
    if target.invited == 1 {
        return Err(AppError::Refused(Refusal::NotActive));
    }
    let ttl = settings.temporary_password_ttl_secs;
    let expires_at = match settings.reset_delivery {
        ResetDelivery::TemporaryPassword => now + ttl,
        ResetDelivery::Link => 0,
    };
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1, temporary_password_expires_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(expires_at)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let ended = sessions::end_all_for_user(&mut tx, id, None).await?;
    match settings.reset_delivery {
        ResetDelivery::TemporaryPassword => {
            // An earlier reset link would let its holder replace the new password.
            link_tokens::delete_all(&mut tx, id, link_tokens::Purpose::PasswordReset).await?;
            let mail = Mail::TemporaryPassword { password: temporary.expose(), valid_hours: (ttl + 3600 - 1) / 3600 };
            outbox::enqueue(&mut tx, &target.email, &target.locale, &mail, now).await?;
        }
        ResetDelivery::Link => {
            let token = link_tokens::create(&mut tx, id, link_tokens::Purpose::PasswordReset, now, ttl).await?;
            let link = format!("{}/password/reset?token={}", settings.public_url, token.expose());
            let mail = Mail::PasswordResetLink { link: &link, valid_minutes: (ttl + 60 - 1) / 60 };
            outbox::enqueue(&mut tx, &target.email, &target.locale, &mail, now).await?;
        }
    }
    AuditEvent::by("user.password_reset", &client.ip, actor)
        .target_user(id, &target.login_name)
        .details(json!({ "delivery": format!("{:?}", settings.reset_delivery).to_lowercase(), "sessions_ended": ended }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

#[derive(sqlx::FromRow)]
struct Known {
    id: i64,
    login_name: String,
    locale: String,
    account_id: Option<i64>,
}

/// F1 "forgot password": the answer is the same whether or not the address is known. Known,
/// active users get a single-use link; every request counts against a per-address and a
/// per-IP limit so nobody can flood a mailbox.
#[tracing::instrument(skip_all)]
pub async fn forgot(state: &AppState, client: &ClientInfo, email: &Email) -> Result<(), AppError> {
    let now = now();
    let limits = &state.settings.throttle;
    let by_address = throttle::Limit::new(format!("forgot:{}", email.as_str()), 3);
    let by_client = throttle::Limit::new(format!("forgot-ip:{}", client.ip), limits.max_failures_per_ip);
    throttle::reserve(&state.db, &[&by_address, &by_client], limits, now).await?;

    let mut tx = state.db.begin_write().await?;
    let known: Option<Known> = sqlx::query_as(
        "SELECT id, login_name, locale, account_id FROM users
         WHERE email = $1 AND locked_at IS NULL AND password_hash IS NOT NULL",
    )
    .bind(email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = known {
        let ttl = state.settings.reset_link_ttl_secs;
        let token = link_tokens::create(&mut tx, UserId(user.id), link_tokens::Purpose::PasswordReset, now, ttl).await?;
        let link = format!("{}/password/reset?token={}", state.settings.public_url, token.expose());
        let mail = Mail::PasswordResetLink { link: &link, valid_minutes: (ttl + 60 - 1) / 60 };
        outbox::enqueue(&mut tx, email.as_str(), &user.locale, &mail, now).await?;
        let account = user.account_id.map(crate::domain::AccountId);
        AuditEvent::new("user.password_reset_requested", &client.ip)
            .account(account)
            .target_user(UserId(user.id), &user.login_name)
            .record(&mut tx, now)
            .await?;
    }
    Ok(tx.commit().await?)
}

/// Following a reset link: the new password replaces whatever was there, every session ends,
/// and the link dies. The user then signs in with it.
#[tracing::instrument(skip_all)]
pub async fn reset_with_link(state: &AppState, client: &ClientInfo, token: &str, password: &str) -> Result<(), AppError> {
    let now = now();
    let admitted = state.hasher.admit_unauthenticated()?;
    let user = {
        let mut conn = state.db.pool.acquire().await?;
        link_tokens::find(&mut conn, token, link_tokens::Purpose::PasswordReset, now).await?
    };
    let (login_name, email, account): (String, String, Option<i64>) =
        sqlx::query_as("SELECT login_name, email, account_id FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_one(&state.db.pool)
            .await?;
    let password = Password::choose(password, &[&login_name, &email]).map_err(|p| AppError::field("new_password", p))?;
    let hash = admitted.hash(password).await?;
    let mut tx = state.db.begin_write().await?;
    // Checked again inside the transaction: two tabs using one link, only one succeeds.
    if link_tokens::find(&mut tx, token, link_tokens::Purpose::PasswordReset, now).await? != user {
        return Err(link_tokens::invalid());
    }
    link_tokens::delete_all(&mut tx, user, link_tokens::Purpose::PasswordReset).await?;
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0, temporary_password_expires_at = NULL WHERE id = $2")
        .bind(hash)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    let ended = sessions::end_all_for_user(&mut tx, user, None).await?;
    let account = account.map(crate::domain::AccountId);
    AuditEvent::new("user.password_reset_by_link", &client.ip)
        .actor(user, &login_name, account)
        .account(account)
        .target_user(user, &login_name)
        .details(json!({ "sessions_ended": ended }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}
