//! Abuse limits: how many invitations an account sends per hour, partner invitations per day,
//! companies a user creates per day. Each is a fixed-window counter per owner, taken inside the
//! action's own transaction: a refused or failed action uses nothing, and parallel requests
//! cannot overshoot (the upsert locks the counter row until the transaction ends).

use crate::{
    error::{AppError, Quota},
};
use sqlx::AnyConnection;

#[derive(Debug, Clone)]
pub struct QuotaSettings {
    /// Invitation mails (new invitations and resends) per account per hour.
    pub invitations_per_hour: u32,
    /// Partner invitations (by Partner ID and shareable links) per account per day.
    pub partner_invitations_per_day: u32,
    /// Companies a user creates per day (each announced to everyone subscribed to news).
    pub accounts_per_user_per_day: u32,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        Self { invitations_per_hour: 100, partner_invitations_per_day: 20, accounts_per_user_per_day: 3 }
    }
}

impl QuotaSettings {
    fn limit(&self, quota: Quota) -> u32 {
        match quota {
            Quota::Invitations => self.invitations_per_hour,
            Quota::PartnerInvitations => self.partner_invitations_per_day,
            Quota::AccountsCreated => self.accounts_per_user_per_day,
        }
    }
}

fn window_secs(quota: Quota) -> i64 {
    match quota {
        Quota::Invitations => 3600,
        Quota::PartnerInvitations | Quota::AccountsCreated => 24 * 3600,
    }
}

fn key(quota: Quota, owner: i64) -> String {
    let name = match quota {
        Quota::Invitations => "invitations",
        Quota::PartnerInvitations => "partner-invitations",
        Quota::AccountsCreated => "accounts-created",
    };
    format!("{name}:{owner}")
}

/// Uses one unit of `quota` for `owner` (an account id, or a user id for `AccountsCreated`),
/// or refuses with the wait until its window ends. Call inside the action's transaction.
pub async fn take(
    conn: &mut AnyConnection,
    settings: &QuotaSettings,
    quota: Quota,
    owner: i64,
    now: i64,
) -> Result<(), AppError> {
    take_many(conn, settings, quota, owner, 1, now).await
}

/// Uses `units` of `quota` at once (an import's invitations): all of them, or none and the
/// refusal. Call inside the action's transaction.
pub async fn take_many(
    conn: &mut AnyConnection,
    settings: &QuotaSettings,
    quota: Quota,
    owner: i64,
    units: u32,
    now: i64,
) -> Result<(), AppError> {
    let key = key(quota, owner);
    let limit = settings.limit(quota);
    let units = i64::from(units);
    let used: Option<i64> = sqlx::query_scalar(
        "INSERT INTO quotas (quota_key, used, window_ends_at) VALUES ($1, $5, $2 + $3)
         ON CONFLICT (quota_key) DO UPDATE SET
           used = CASE WHEN quotas.window_ends_at <= $2 THEN $5 ELSE quotas.used + $5 END,
           window_ends_at = CASE WHEN quotas.window_ends_at <= $2 THEN $2 + $3 ELSE quotas.window_ends_at END
         WHERE quotas.window_ends_at <= $2 OR quotas.used + $5 <= $4
         RETURNING used",
    )
    .bind(&key)
    .bind(now)
    .bind(window_secs(quota))
    .bind(i64::from(limit))
    .bind(units)
    .fetch_optional(&mut *conn)
    .await?;
    // A first insert (or a new window) is not checked by the WHERE: refuse it here (the
    // rollback undoes it).
    if used.is_some_and(|used| used <= i64::from(limit)) {
        return Ok(());
    }
    let ends: Option<i64> = sqlx::query_scalar("SELECT window_ends_at FROM quotas WHERE quota_key = $1")
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await?;
    let retry_after_secs = ends.map_or(1, |ends| (ends - now).max(1) as u64);
    Err(AppError::QuotaReached { quota, limit, retry_after_secs })
}

/// The limit of `quota` and how much of it `owner` may still use in the current window,
/// without using any (an import's preview).
pub async fn remaining(
    conn: &mut AnyConnection,
    settings: &QuotaSettings,
    quota: Quota,
    owner: i64,
    now: i64,
) -> Result<(u32, u64), AppError> {
    let limit = settings.limit(quota);
    let used: Option<i64> = sqlx::query_scalar("SELECT used FROM quotas WHERE quota_key = $1 AND window_ends_at > $2")
        .bind(key(quota, owner))
        .bind(now)
        .fetch_optional(conn)
        .await?;
    Ok((limit, (i64::from(limit) - used.unwrap_or(0)).max(0) as u64))
}
