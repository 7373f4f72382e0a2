//! Creating accounts: by a signed-in user without one (F2), or by an operator from the CLI for
//! first-run bootstrap (F13), plus the operator's password reset.

use crate::{
    domain::{AccountId, AccountName, BuiltInRole, Email, LoginName, PartnerId, Password, PersonName, UserId},
    error::{AppError, Problem, Quota},
    session::AccountSummary,
    ssr::{AppState, audit::AuditEvent, guard::Request, mail::Mail, now, outbox, quota, sessions, tokens},
};
use serde_json::json;
use sqlx::AnyConnection;

/// A signed-in user without an account creates one and becomes its primary administrator.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn create_account(
    req: &Request,
    name: AccountName,
) -> Result<AccountSummary, AppError> {
    let Request { state, client, actor } = req;
    if actor.home_account_id().is_some() || actor.is_acting() {
        return Err(AppError::field("account_name", Problem::AlreadyInAccount));
    }
    crate::ssr::services::auth::verification::require_verified(actor, "account_name")?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    quota::take(&mut tx, &state.settings.quotas, Quota::AccountsCreated, actor.user_id().0, now).await?;
    let account = insert_account(&mut tx, &name, now).await?;
    // The `account_id IS NULL` condition makes a concurrent second create a no-op (I3).
    let joined = sqlx::query(
        "UPDATE users SET account_id = $1, is_primary_admin = 1 WHERE id = $2 AND account_id IS NULL",
    )
    .bind(account.id.0)
    .bind(actor.user_id().0)
    .execute(&mut *tx)
    .await?;
    if joined.rows_affected() != 1 {
        return Err(AppError::field("account_name", Problem::AlreadyInAccount));
    }
    grant_builtin_role(&mut tx, actor.user_id(), BuiltInRole::Administrator).await?;
    AuditEvent::new("account.created", &client.ip)
        .actor(actor.user_id(), &actor.login_name(), Some(account.id))
        .account(Some(account.id))
        .target_account(account.id, &account.name)
        .record(&mut tx, now)
        .await?;
    announce(&mut tx, &account, Some(actor.user_id()), now).await?;
    tx.commit().await?;
    Ok(account)
}

async fn insert_account(conn: &mut AnyConnection, name: &AccountName, now: i64) -> Result<AccountSummary, AppError> {
    let partner_id = tokens::readable_code(PartnerId::PREFIX, PartnerId::GROUPS);
    let account_key = crate::ssr::services::accounts::membership::new_account_key();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name.as_str())
    .bind(&partner_id)
    .bind(&account_key)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(AccountSummary { id: AccountId(id), name: name.as_str().to_owned(), partner_id })
}

async fn grant_builtin_role(conn: &mut AnyConnection, user: UserId, role: BuiltInRole) -> Result<(), AppError> {
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE builtin_key = $2")
        .bind(user.0)
        .bind(role.key())
        .execute(conn)
        .await?;
    Ok(())
}

/// The operator's first-run bootstrap: an account and its primary administrator, who logs in
/// with the returned temporary password and must replace it at once.
#[derive(Debug)]
pub struct Bootstrap {
    pub account_name: AccountName,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub login_name: LoginName,
}

#[tracing::instrument(skip_all)]
pub async fn bootstrap_account(state: &AppState, input: Bootstrap) -> Result<(AccountSummary, Password), AppError> {
    let password = Password::generated(tokens::temporary_password());
    let hash = state.hasher.hash(password.clone()).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let account = insert_account(&mut tx, &input.account_name, now).await?;
    let user_id: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash,
            must_change_password, is_primary_admin, email_verified_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7, $7) RETURNING id",
    )
    .bind(account.id.0)
    .bind(input.first_name.as_str())
    .bind(input.last_name.as_str())
    .bind(input.login_name.as_str())
    .bind(input.email.as_str())
    .bind(hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let user_id = UserId(user_id);
    grant_builtin_role(&mut tx, user_id, BuiltInRole::Administrator).await?;
    AuditEvent::new("account.created", "cli")
        .account(Some(account.id))
        .target_account(account.id, &account.name)
        .details(json!({ "primary_admin": input.login_name.as_str(), "via": "cli" }))
        .record(&mut tx, now)
        .await?;
    announce(&mut tx, &account, Some(user_id), now).await?;
    tx.commit().await?;
    Ok((account, password))
}

/// News (F9): a company joined the platform; mailed to everyone subscribed to news.
async fn announce(conn: &mut AnyConnection, account: &AccountSummary, founder: Option<UserId>, now: i64) -> Result<(), AppError> {
    let mail = Mail::News { account: &account.name, partner_id: &account.partner_id };
    outbox::enqueue_news(conn, &mail, founder.map(|u| u.0), now).await
}

/// The user an operator's command names by login name or e-mail address: id, account, login.
pub async fn user_named_by_operator(state: &AppState, identifier: &str) -> Result<(i64, Option<i64>, String), AppError> {
    let login = LoginName::parse(identifier).ok().map(|l| l.as_str().to_owned());
    let email = Email::parse(identifier).ok().map(|e| e.as_str().to_owned());
    let user: Option<(i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT id, account_id, login_name FROM users WHERE login_name = $1 OR email = $2",
    )
    .bind(login.unwrap_or_default())
    .bind(email.unwrap_or_default())
    .fetch_optional(&state.db.pool)
    .await?;
    user.ok_or(AppError::NotFound)
}

/// The operator's reset: a temporary password to replace at next login; every session ends.
#[tracing::instrument(skip_all)]
pub async fn reset_password_by_operator(state: &AppState, identifier: &str) -> Result<Password, AppError> {
    let (id, account, login_name) = user_named_by_operator(state, identifier).await?;
    let password = Password::generated(tokens::temporary_password());
    let hash = state.hasher.hash(password.clone()).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sessions::end_all_for_user(&mut tx, UserId(id), None).await?;
    AuditEvent::new("user.password_reset", "cli")
        .account(account.map(AccountId))
        .target_user(UserId(id), &login_name)
        .details(json!({ "via": "cli" }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(password)
}
