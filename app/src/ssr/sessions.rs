//! Server-side sessions: created at login with a fresh random id, looked up on every request
//! by the hash of the cookie's token, ended by logout, idle timeout or absolute lifetime.

use super::{Db, Settings, guard::Actor, tokens::{self, Secret}};
use crate::{
    domain::{AccountId, PermissionSet, SessionId, UserId},
    error::AppError,
    session::{AccountSummary, ActingFor, SessionInfo, SessionSummary},
};
use crate::second_factor::FactorPolicy;
use sqlx::AnyConnection;

/// `last_seen_at` is written at most this often, so reads stay reads.
const TOUCH_INTERVAL_SECS: i64 = 60;

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
    email_verified_at: Option<i64>,
    acting_account_id: Option<i64>,
    account_name: Option<String>,
    partner_id: Option<String>,
    account_locale: Option<String>,
    factor_policy: Option<String>,
    has_factor: i64,
    /// One of the user's roles in their own account (NULL without one): the statement returns
    /// a row per role.
    role_permissions: Option<i64>,
}

/// Opens a session for `user_id` and returns the token for the cookie (shown only once).
pub async fn start(
    conn: &mut AnyConnection,
    user_id: UserId,
    client: &super::guard::ClientInfo,
    settings: &Settings,
    now: i64,
) -> Result<Secret, AppError> {
    let token = tokens::new_token();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(token.hash())
    .bind(user_id.0)
    .bind(now)
    .bind(now + settings.session_absolute_secs)
    .bind(&client.ip)
    .bind(&client.user_agent)
    .execute(conn)
    .await?;
    Ok(token)
}

/// The actor behind `token`, or `None` when the session is unknown, expired, or its user is
/// locked. Expired sessions are deleted on sight. One statement reads the session, its user,
/// their account and their roles there (a row per role): P5 allows 0.2 ms for all of it.
pub async fn resolve(db: &Db, token: &str, settings: &Settings, now: i64) -> Result<Option<Actor>, AppError> {
    let rows: Vec<SessionRow> = sqlx::query_as(&format!(
        "SELECT s.id AS session_id, s.last_seen_at, s.expires_at, u.id AS user_id, u.account_id,
                u.first_name, u.last_name, u.login_name, u.email, u.locale,
                u.must_change_password, u.is_primary_admin, u.locked_at, u.email_verified_at,
                s.acting_account_id,
                a.name AS account_name, a.partner_id, a.default_locale AS account_locale,
                a.second_factor_policy AS factor_policy,
                CAST(CASE WHEN {has_factor} THEN 1 ELSE 0 END AS BIGINT) AS has_factor,
                r.permissions AS role_permissions
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN accounts a ON a.id = u.account_id
         LEFT JOIN user_roles ur ON ur.user_id = u.id
         LEFT JOIN roles r ON r.id = ur.role_id AND (r.account_id IS NULL OR r.account_id = u.account_id)
         WHERE s.token_hash = $1",
        has_factor = crate::ssr::services::second_factor::HAS_FACTOR,
    ))
    .bind(tokens::hash_token(token))
    .fetch_all(&db.pool)
    .await?;
    // Roles are matched to the account in SQL, so a role of another account never counts.
    let home_permissions = rows
        .iter()
        .filter_map(|row| row.role_permissions)
        .map(PermissionSet::from_bits)
        .fold(PermissionSet::EMPTY, PermissionSet::union);
    let Some(row) = rows.into_iter().next() else { return Ok(None) };

    let idle_expired = now - row.last_seen_at > settings.session_idle_secs;
    if idle_expired || now >= row.expires_at || row.locked_at.is_some() {
        end(db, SessionId(row.session_id)).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_INTERVAL_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(row.session_id)
            .execute(&db.pool)
            .await?;
    }

    let home_account_id = row.account_id.map(AccountId);
    let home_account = match (row.account_id, row.account_name, row.partner_id) {
        (Some(id), Some(name), Some(partner_id)) => Some(AccountSummary { id: AccountId(id), name, partner_id }),
        _ => None,
    };
    let home_locale = row.account_locale.unwrap_or_else(|| "en".into());
    let (account, permissions, is_primary_admin, account_locale, acting_for) = match (row.acting_account_id, home_account_id) {
        (Some(customer), _) => {
            let Delegation { customer, permissions, default_locale, ended } =
                delegation(db, UserId(row.user_id), home_account_id, AccountId(customer)).await?;
            (Some(customer.clone()), permissions, false, default_locale, Some(ActingFor { customer, ended }))
        }
        (None, Some(_)) => (home_account.clone(), home_permissions, row.is_primary_admin == 1, home_locale, None),
        (None, None) => (None, PermissionSet::EMPTY, false, home_locale, None),
    };
    // Acting for a customer needs a factor whatever the policy; at home, the policy decides.
    let policy = FactorPolicy::from_key(row.factor_policy.as_deref().unwrap_or_default());
    let needs_second_factor = row.has_factor == 0 && (acting_for.is_some() || policy.covers(permissions));
    let info = SessionInfo {
        user_id: UserId(row.user_id),
        first_name: row.first_name,
        last_name: row.last_name,
        login_name: row.login_name,
        email: row.email,
        locale: row.locale,
        account,
        permissions,
        is_primary_admin,
        must_change_password: row.must_change_password == 1,
        needs_second_factor,
        email_verified: row.email_verified_at.is_some(),
        home_account,
        account_locale,
        acting_for,
        customers: Vec::new(),
    };
    Ok(Some(Actor { session_id: SessionId(row.session_id), info }))
}

struct Delegation {
    customer: AccountSummary,
    permissions: PermissionSet,
    default_locale: String,
    ended: bool,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    permissions: i64,
    name: String,
    partner_id: String,
    default_locale: String,
}

/// The access a partner staff member holds to `customer`: through a grant of theirs on an
/// active link from their own account, read on every request so a revocation counts at once
/// on every instance (I5). Without one, the delegation has ended.
async fn delegation(db: &Db, user: UserId, home: Option<AccountId>, customer: AccountId) -> Result<Delegation, AppError> {
    let grant: Option<GrantRow> = sqlx::query_as(
        "SELECT r.permissions, a.name, a.partner_id, a.default_locale
         FROM delegated_grants g
         JOIN partner_links l ON l.id = g.link_id
         JOIN roles r ON r.id = g.role_id
         JOIN accounts a ON a.id = l.customer_account_id
         WHERE g.user_id = $1 AND l.customer_account_id = $2 AND l.partner_account_id = $3 AND l.status = 'active'",
    )
    .bind(user.0)
    .bind(customer.0)
    .bind(home.map_or(0, |h| h.0))
    .fetch_optional(&db.pool)
    .await?;
    if let Some(grant) = grant {
        let summary = AccountSummary { id: customer, name: grant.name, partner_id: grant.partner_id };
        let permissions = PermissionSet::from_bits(grant.permissions).delegable();
        return Ok(Delegation { customer: summary, permissions, default_locale: grant.default_locale, ended: false });
    }
    let named: Option<(String, String)> = sqlx::query_as("SELECT name, partner_id FROM accounts WHERE id = $1")
        .bind(customer.0)
        .fetch_optional(&db.pool)
        .await?;
    let (name, partner_id) = named.unwrap_or_default();
    Ok(Delegation {
        customer: AccountSummary { id: customer, name, partner_id },
        permissions: PermissionSet::EMPTY,
        default_locale: "en".into(),
        ended: true,
    })
}

/// Switches the session to act for `customer`, or back to the user's own account (`None`).
pub async fn act_for(conn: &mut AnyConnection, session_id: SessionId, customer: Option<AccountId>) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET acting_account_id = $1 WHERE id = $2")
        .bind(customer.map(|c| c.0))
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end(db: &Db, session_id: SessionId) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(session_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends the session a token belongs to, whoever's it is (the browser presenting it gives it up).
pub async fn end_by_token(conn: &mut AnyConnection, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(tokens::hash_token(token))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of `user`, but the one in `keep` (if any), and any sign-in of theirs
/// waiting at its second step. Returns how many sessions ended.
pub async fn end_all_for_user(conn: &mut AnyConnection, user: UserId, keep: Option<SessionId>) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.0)
        .bind(keep.unwrap_or(SessionId(0)))
        .execute(&mut *conn)
        .await?;
    // A sign-in waiting at its second step would become a session: it ends too (F15).
    sqlx::query("DELETE FROM second_steps WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    Ok(result.rows_affected())
}

#[derive(sqlx::FromRow)]
struct SessionListRow {
    id: SessionId,
    created_at: i64,
    last_seen_at: i64,
    client_ip: String,
    user_agent: String,
}

/// The user's open sessions, most recently used first.
pub async fn list_for_user(db: &Db, user: UserId, current: SessionId) -> Result<Vec<SessionSummary>, AppError> {
    let rows: Vec<SessionListRow> = sqlx::query_as(
        "SELECT id, created_at, last_seen_at, client_ip, user_agent FROM sessions
         WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC",
    )
    .bind(user.0)
    .fetch_all(&db.pool)
    .await?;
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
