//! Progressive brute-force throttling of logins per identifier and per client IP (SPEC S4).
//! Counters live in the database so every instance shares them. Keys are what the visitor
//! typed, never whether an account exists, so answers reveal nothing.

use super::{Db, db::db_error};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failures per identifier before it is blocked.
    pub max_failures_per_identifier: i64,
    /// Failures per client IP before it is blocked (higher: offices share addresses).
    pub max_failures_per_ip: i64,
    /// Failures older than this are forgotten.
    pub window_secs: i64,
    /// First block; each further failure doubles it, up to `max_block_secs`.
    pub first_block_secs: i64,
    pub max_block_secs: i64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            max_failures_per_identifier: 5,
            max_failures_per_ip: 50,
            window_secs: 60 * 60,
            first_block_secs: 30,
            max_block_secs: 15 * 60,
        }
    }
}

pub fn identifier_key(identifier: &str) -> String {
    format!("id:{}", identifier.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Refuses while any of the keys is blocked.
pub async fn check(db: &Db, keys: &[&str], now: i64) -> Result<(), AppError> {
    for key in keys {
        let blocked_until: Option<i64> =
            sqlx::query_scalar("SELECT blocked_until FROM login_throttle WHERE throttle_key = $1")
                .bind(*key)
                .fetch_optional(&db.pool)
                .await
                .map_err(db_error)?;
        if let Some(until) = blocked_until.filter(|until| *until > now) {
            return Err(AppError::RateLimited { retry_after_secs: (until - now) as u64 });
        }
    }
    Ok(())
}

/// Counts a failure; once `limit` is reached, blocks the key for a doubling period.
pub async fn record_failure(
    db: &Db,
    key: &str,
    limit: i64,
    settings: &ThrottleSettings,
    now: i64,
) -> Result<(), AppError> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_throttle (throttle_key, failures, window_started_at) VALUES ($1, 1, $2)
         ON CONFLICT (throttle_key) DO UPDATE SET
           failures = CASE WHEN login_throttle.window_started_at < $3
                           THEN 1 ELSE login_throttle.failures + 1 END,
           window_started_at = CASE WHEN login_throttle.window_started_at < $3
                           THEN $2 ELSE login_throttle.window_started_at END
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - settings.window_secs)
    .fetch_one(&db.pool)
    .await
    .map_err(db_error)?;
    if failures >= limit {
        let doublings = (failures - limit).min(20) as u32;
        let block = (settings.first_block_secs << doublings).min(settings.max_block_secs);
        sqlx::query("UPDATE login_throttle SET blocked_until = $1 WHERE throttle_key = $2")
            .bind(now + block)
            .bind(key)
            .execute(&db.pool)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(&db.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}
