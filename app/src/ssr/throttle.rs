//! Progressive brute-force throttling (SPEC S4, S8). Counters live in the database so every
//! instance shares them. An attempt is counted *before* the expensive check, in one atomic
//! statement per key, so a thousand parallel guesses get no more tries than serial ones; a
//! check that succeeds gives its attempt back. Keys are what the visitor typed, never whether
//! an account exists, so answers reveal nothing.

use super::Db;
use crate::error::AppError;
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failures per identifier before it is blocked.
    pub max_failures_per_identifier: i64,
    /// Failures per client IP before it is blocked (higher: offices share addresses).
    pub max_failures_per_ip: i64,
    /// Self-registrations per client IP per window (each costs a hash and a mail).
    pub max_registrations_per_ip: i64,
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
            max_registrations_per_ip: 20,
            window_secs: 60 * 60,
            first_block_secs: 30,
            max_block_secs: 15 * 60,
        }
    }
}

/// One counter and how many attempts it allows per window.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub max: i64,
}

impl Limit {
    pub fn new(key: impl Into<String>, max: i64) -> Self {
        Self { key: key.into(), max }
    }
}

pub fn identifier_key(identifier: &str) -> String {
    format!("id:{}", identifier.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The attempt's new count: 1 when the window has passed, else one more.
const NEW_COUNT: &str = "(CASE WHEN login_throttle.window_started_at < $3 THEN 1 ELSE login_throttle.failures + 1 END)";

/// Counts the attempt and, when it reaches the limit ($4), blocks the key for the first block
/// ($5) doubled once per attempt beyond the limit, at most $6, all in the one statement. A key
/// that is blocked is left untouched and no row comes back.
static RESERVE: LazyLock<String> = LazyLock::new(|| {
    let excess = format!("CAST({NEW_COUNT} - $4 AS INTEGER)");
    let doubled = format!("($5 << {excess})");
    format!(
        "INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $5 ELSE 0 END)
         ON CONFLICT (throttle_key) DO UPDATE SET
           failures = {NEW_COUNT},
           window_started_at = CASE WHEN login_throttle.window_started_at < $3
                                    THEN $2 ELSE login_throttle.window_started_at END,
           blocked_until = CASE WHEN {NEW_COUNT} < $4 THEN 0
                                WHEN {excess} >= 20 OR {doubled} > $6 THEN $2 + $6
                                ELSE $2 + {doubled} END
         WHERE login_throttle.blocked_until <= $2
         RETURNING failures"
    )
});

/// Counts one attempt against every limit before the expensive check. While any key is
/// blocked the attempt is refused and counts nowhere (what this call counted is given back).
pub async fn reserve(db: &Db, limits: &[&Limit], settings: &ThrottleSettings, now: i64) -> Result<(), AppError> {
    for (done, limit) in limits.iter().enumerate() {
        let counted: Option<i64> = sqlx::query_scalar(RESERVE.as_str())
            .bind(&limit.key)
            .bind(now)
            .bind(now - settings.window_secs)
            .bind(limit.max)
            .bind(settings.first_block_secs)
            .bind(settings.max_block_secs)
            .fetch_optional(&db.pool)
            .await?;
        if counted.is_none() {
            for reserved in &limits[..done] {
                give_back(db, reserved).await?;
            }
            return Err(AppError::RateLimited { retry_after_secs: blocked_for(db, &limit.key, now).await? });
        }
    }
    Ok(())
}

/// Seconds until `key` is free again (at least one: it was blocked a moment ago).
async fn blocked_for(db: &Db, key: &str, now: i64) -> Result<u64, AppError> {
    let until: Option<i64> = sqlx::query_scalar("SELECT blocked_until FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(until.map_or(1, |until| (until - now).max(1) as u64))
}

/// Returns a reserved attempt whose check succeeded; lifts the block it may have set.
pub async fn give_back(db: &Db, limit: &Limit) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1,
                blocked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE blocked_until END
         WHERE throttle_key = $1 AND failures > 0",
    )
    .bind(&limit.key)
    .bind(limit.max)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forgets every failure of `key` (a successful login clears its identifier).
pub async fn clear(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
        .bind(key)
        .execute(&db.pool)
        .await?;
    Ok(())
}
