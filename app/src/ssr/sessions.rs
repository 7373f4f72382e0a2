//! Server-side sessions: created at login with a fresh random id, looked up on every request
//! by the hash of the cookie's token, ended by logout, idle timeout or absolute lifetime.

use super::{Db, Settings, db::db_error, tokens};
use crate::{
    domain::{AccountId, PermissionSet, UserId},
    error::AppError,
    session::{AccountSummary, SessionInfo, SessionSummary},
};
use sqlx::AnyConnection;

/// `last_seen_at` is written at most this often, so reads stay reads.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Who is behind a valid session, with everything the guard decides on.
#[derive(Debug, Clone)]
pub struct Actor {
    pub session_id: i64,
    pub user_id: UserId,
    pub account_id: Option<AccountId>,
    pub login_name: String,
    pub permissions: PermissionSet,
    pub must_change_password: bool,
    pub is_primary_admin: bool,
    pub info: SessionInfo,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    last_seen_at: i64,
    expires_at: i64,
    user_id: i64,
    account_id: Option<i64>,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    locale: String,
    must_change_password: i64,
    is_primary_admin: i64,
    locked_at: Option<i64>,
    account_name: Option<String>,
    partner_id: Option<String>,
}

/// Opens a session for `user_id` and returns the token for the cookie (shown only once).
pub async fn start(
    conn: &mut AnyConnection,
    user_id: UserId,
    client: &super::guard::ClientInfo,
    settings: &Settings,
    now: i64,
) -> Result<String, AppError> {
    let token = tokens::new_token();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(tokens::hash_token(&token))
    .bind(user_id.0)
    .bind(now)
    .bind(now + settings.session_absolute_secs)
    .bind(&client.ip)
    .bind(&client.user_agent)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(token)
}

/// The actor behind `token`, or `None` when the session is unknown, expired, or its user is
/// locked. Expired sessions are deleted on sight.
pub async fn resolve(db: &Db, token: &str, settings: &Settings, now: i64) -> Result<Option<Actor>, AppError> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.id AS session_id, s.last_seen_at, s.expires_at, u.id AS user_id, u.account_id,
                u.first_name, u.last_name, u.login_name, u.email, u.locale,
                u.must_change_password, u.is_primary_admin, u.locked_at,
                a.name AS account_name, a.partner_id
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN accounts a ON a.id = u.account_id
         WHERE s.token_hash = $1",
    )
    .bind(tokens::hash_token(token))
    .fetch_optional(&db.pool)
    .await
    .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };

    let idle_expired = now - row.last_seen_at > settings.session_idle_secs;
    if idle_expired || now >= row.expires_at || row.locked_at.is_some() {
        end(db, row.session_id).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_INTERVAL_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(row.session_id)
            .execute(&db.pool)
            .await
            .map_err(db_error)?;
    }

    let account_id = row.account_id.map(AccountId);
    let permissions = match account_id {
        Some(account) => permissions_of(db, UserId(row.user_id), account).await?,
        None => PermissionSet::EMPTY,
    };
    let account = match (row.account_id, row.account_name, row.partner_id) {
        (Some(id), Some(name), Some(partner_id)) => Some(AccountSummary { id: AccountId(id), name, partner_id }),
        _ => None,
    };
    let info = SessionInfo {
        user_id: UserId(row.user_id),
        first_name: row.first_name,
        last_name: row.last_name,
        login_name: row.login_name.clone(),
        email: row.email,
        locale: row.locale,
        account,
        permissions,
        is_primary_admin: row.is_primary_admin == 1,
        must_change_password: row.must_change_password == 1,
    };
    Ok(Some(Actor {
        session_id: row.session_id,
        user_id: info.user_id,
        account_id,
        login_name: row.login_name,
        permissions,
        must_change_password: info.must_change_password,
        is_primary_admin: info.is_primary_admin,
        info,
    }))
}

/// The union of the user's roles' permissions within their account. Roles are matched to the
/// account in SQL, so a role of another account never counts.
async fn permissions_of(db: &Db, user: UserId, account: AccountId) -> Result<PermissionSet, AppError> {
    let masks: Vec<i64> = sqlx::query_scalar(
        "SELECT r.permissions FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         WHERE ur.user_id = $1 AND (r.account_id IS NULL OR r.account_id = $2)",
    )
    .bind(user.0)
    .bind(account.0)
    .fetch_all(&db.pool)
    .await
    .map_err(db_error)?;
    Ok(masks.into_iter().map(PermissionSet::from_bits).fold(PermissionSet::EMPTY, PermissionSet::union))
}

pub async fn end(db: &Db, session_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(session_id)
        .execute(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Ends the session a token belongs to, whoever's it is (the browser presenting it gives it up).
pub async fn end_by_token(conn: &mut AnyConnection, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(tokens::hash_token(token))
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Ends every session of `user`, but the one in `keep` (if any). Returns how many ended.
pub async fn end_all_for_user(conn: &mut AnyConnection, user: UserId, keep: Option<i64>) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.0)
        .bind(keep.unwrap_or(0))
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(result.rows_affected())
}

#[derive(sqlx::FromRow)]
struct SessionListRow {
    id: i64,
    created_at: i64,
    last_seen_at: i64,
    client_ip: String,
    user_agent: String,
}

/// The user's open sessions, most recently used first.
pub async fn list_for_user(db: &Db, user: UserId, current: i64) -> Result<Vec<SessionSummary>, AppError> {
    let rows: Vec<SessionListRow> = sqlx::query_as(
        "SELECT id, created_at, last_seen_at, client_ip, user_agent FROM sessions
         WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC",
    )
    .bind(user.0)
    .fetch_all(&db.pool)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|r| SessionSummary {
            id: r.id,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            client_ip: r.client_ip,
            user_agent: r.user_agent,
            current: r.id == current,
        })
        .collect())
}
