//! Invitations by link (F3): an invited user exists without a password until they open the
//! single-use link, choose their names and password, and land in the account signed in.

use crate::ssr::services::{rules};
use crate::ssr::link_tokens;
use crate::{
    auth::InvitationInfo,
    domain::{Password, PersonName, UserId},
    error::{AppError, Quota, Refusal},
    ssr::{
        AppState, audit::AuditEvent, guard::{Actor, ClientInfo, Request}, mail::Mail, now, outbox, quota, sessions,
        services::auth::LoginGrant,
    },
    users::PendingInvitation,
};
use sqlx::AnyConnection;

/// Creates the invitation link of `user` (ending any earlier one) and queues its mail.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn issue(
    conn: &mut AnyConnection,
    req: &Request,
    user: UserId,
    email: &str,
    locale: &str,
    now: i64,
) -> Result<(), AppError> {
    let Request { state, actor, .. } = req;
    let account = rules::account_of(actor)?;
    quota::take(conn, &state.settings.quotas, Quota::Invitations, account.0, now).await?;
    let ttl = state.settings.invitation_ttl_secs;
    let token = link_tokens::create(conn, user, link_tokens::Purpose::Invitation, now, ttl).await?;
    let link = format!("{}/invitation?token={}", state.settings.public_url, token.expose());
    let account = actor.info.account.as_ref().map(|a| a.name.as_str()).unwrap_or_default();
    let inviter = format!("{} {}", actor.info.first_name, actor.info.last_name);
    let mail = Mail::Invitation { account, inviter: &inviter, link: &link, valid_days: (ttl + 86_400 - 1) / 86_400 };
    outbox::enqueue(conn, email, locale, &mail, now).await
}

/// Invitations for many new users at once (an import): the quota taken for all of them, then
/// their links and mails in multi-row statements. Each invitee is `(user, e-mail, locale)`.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn issue_many(
    conn: &mut AnyConnection,
    req: &Request,
    invitees: &[(UserId, &str, &str)],
    now: i64,
) -> Result<(), AppError> {
    let Request { state, actor, .. } = req;
    if invitees.is_empty() {
        return Ok(());
    }
    let account = rules::account_of(actor)?;
    let count = u32::try_from(invitees.len()).unwrap_or(u32::MAX);
    quota::take_many(conn, &state.settings.quotas, Quota::Invitations, account.0, count, now).await?;
    let ttl = state.settings.invitation_ttl_secs;
    let users: Vec<UserId> = invitees.iter().map(|(user, _, _)| *user).collect();
    let tokens = link_tokens::create_many(conn, &users, link_tokens::Purpose::Invitation, now, ttl).await?;
    let links: Vec<String> = tokens.iter().map(|token| format!("{}/invitation?token={}", state.settings.public_url, token.expose())).collect();
    let account = actor.info.account.as_ref().map(|a| a.name.as_str()).unwrap_or_default();
    let inviter = format!("{} {}", actor.info.first_name, actor.info.last_name);
    let valid_days = (ttl + 86_400 - 1) / 86_400;
    let mails: Vec<(&str, &str, Mail<'_>)> = invitees
        .iter()
        .zip(&links)
        .map(|((_, email, locale), link)| (*email, *locale, Mail::Invitation { account, inviter: &inviter, link, valid_days }))
        .collect();
    outbox::enqueue_many(conn, &mails, now).await
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    email: String,
    login_name: String,
    created_at: i64,
    expires_at: Option<i64>,
}

/// The account's invitations not yet accepted, newest first; expired ones included (they can
/// be resent).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn pending(req: &Request) -> Result<Vec<PendingInvitation>, AppError> {
    let Request { state, actor, .. } = req;
    let account = rules::account_of(actor)?;
    let now = now();
    let rows: Vec<PendingRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.login_name, u.created_at,
                (SELECT MAX(t.expires_at) FROM user_tokens t WHERE t.user_id = u.id AND t.purpose = 'invitation') AS expires_at
         FROM users u WHERE u.account_id = $1 AND u.password_hash IS NULL
         ORDER BY u.created_at DESC, u.id DESC LIMIT 500",
    )
    .bind(account.0)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PendingInvitation {
            user_id: UserId(r.id),
            email: r.email,
            login_name: r.login_name,
            invited_at: r.created_at,
            expires_at: r.expires_at.unwrap_or(0),
            expired: r.expires_at.is_none_or(|at| at <= now),
        })
        .collect())
}

/// The invited user `id` of the actor's account, or `NotFound`/`NotActive`.
async fn invited(conn: &mut AnyConnection, actor: &Actor, id: UserId) -> Result<rules::TargetRow, AppError> {
    let target = rules::target(conn, actor, id).await?;
    if target.invited != 1 {
        return Err(AppError::Refused(Refusal::NotActive));
    }
    Ok(target)
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn resend(req: &Request, id: UserId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let target = invited(&mut tx, actor, id).await?;
    issue(&mut tx, req, id, &target.email, &target.locale, now).await?;
    AuditEvent::by("invitation.resent", &client.ip, actor)
        .target_user(id, &target.login_name)
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// Cancelling removes the invited user: the link dies with them and the e-mail is free again.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn cancel(req: &Request, id: UserId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let target = invited(&mut tx, actor, id).await?;
    sqlx::query("DELETE FROM users WHERE id = $1 AND password_hash IS NULL")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    AuditEvent::by("invitation.cancelled", &client.ip, actor)
        .target_user(id, &target.login_name)
        // The user row goes: the event keeps who they were, as a deletion does (F4).
        .details(serde_json::json!({ "email": target.email, "first_name": target.first_name, "last_name": target.last_name }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    user_id: i64,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    account_name: String,
}

async fn find(conn: &mut AnyConnection, token: &str, now: i64) -> Result<InvitationRow, AppError> {
    let user = link_tokens::find(conn, token, link_tokens::Purpose::Invitation, now).await?;
    sqlx::query_as(
        "SELECT u.id AS user_id, u.first_name, u.last_name, u.login_name, u.email, a.name AS account_name
         FROM users u JOIN accounts a ON a.id = u.account_id
         WHERE u.id = $1 AND u.password_hash IS NULL",
    )
    .bind(user.0)
    .fetch_optional(conn)
    .await?
    .ok_or_else(link_tokens::invalid)
}

/// What the invitee sees before accepting: who they will be and where.
#[tracing::instrument(skip_all)]
pub async fn show(state: &AppState, token: &str) -> Result<InvitationInfo, AppError> {
    let mut conn = state.db.pool.acquire().await?;
    let row = find(&mut conn, token, now()).await?;
    Ok(InvitationInfo {
        account_name: row.account_name,
        email: row.email,
        login_name: row.login_name,
        first_name: row.first_name,
        last_name: row.last_name,
    })
}

/// The invitee sets names and password; the link dies; they are signed in.
#[tracing::instrument(skip_all)]
pub async fn accept(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    (first_name, last_name): (PersonName, PersonName),
    password: Password,
    replaced_session: Option<&str>,
) -> Result<LoginGrant, AppError> {
    let now = now();
    // Only a live link earns a hash, and only with a place in the hashing queue (S8).
    let admitted = state.hasher.admit_unauthenticated()?;
    {
        let mut conn = state.db.pool.acquire().await?;
        find(&mut conn, token, now).await?;
    }
    let hash = admitted.hash(password).await?;
    let mut tx = state.db.begin_write().await?;
    let row = find(&mut tx, token, now).await?;
    let user = UserId(row.user_id);
    // `password_hash IS NULL` again: of two tabs accepting at once, one wins.
    let accepted = sqlx::query(
        "UPDATE users SET first_name = $1, last_name = $2, password_hash = $3, must_change_password = 0,
                          email_verified_at = $4, last_login_at = $4
         WHERE id = $5 AND password_hash IS NULL",
    )
    .bind(first_name.as_str())
    .bind(last_name.as_str())
    .bind(hash)
    .bind(now)
    .bind(user.0)
    .execute(&mut *tx)
    .await?;
    if accepted.rows_affected() != 1 {
        return Err(link_tokens::invalid());
    }
    link_tokens::delete_all(&mut tx, user, link_tokens::Purpose::Invitation).await?;
    if let Some(replaced) = replaced_session {
        sessions::end_by_token(&mut tx, replaced).await?;
    }
    let session = sessions::start(&mut tx, user, client, &state.settings, now).await?;
    let (account, locale): (Option<i64>, String) = sqlx::query_as("SELECT account_id, locale FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
    let account = account.map(crate::domain::AccountId);
    AuditEvent::new("invitation.accepted", &client.ip)
        .actor(user, &row.login_name, account)
        .account(account)
        .target_user(user, &row.login_name)
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(LoginGrant { user_id: user, token: session, locale, must_change_password: false })
}
