//! Sweeping (SPEC S9, nothing outlives its purpose): deletes what can no longer be used, in
//! bounded batches so no statement holds locks for long. Dead sessions, expired single-use
//! links, spent login-throttle counters and quota windows, expired second steps and passkey
//! ceremonies, authenticator apps never confirmed (after a day), delivered mails after a day
//! and given-up mails after a week go; anything still valid or still shown to someone stays
//! (expired partner invitations are shown as *Expired* and are never swept; an expired user
//! invitation's link stays while its user is still invited, since the pending list shows its
//! expiry and offers to resend).
//!
//! Safe with several instances: every batch is one `DELETE … WHERE key IN (SELECT key … LIMIT n)`
//! that repeats its condition on the rows it deletes, so two instances sweeping at once delete
//! disjoint rows or find them already gone; nothing is read in one statement and deleted in
//! another.

use super::{Db, Settings};
use crate::error::AppError;

/// Rows per DELETE statement.
pub const BATCH: i64 = 1_000;
/// A delivered mail (subject and recipient only: its body is erased) is kept this long.
pub const DELIVERED_KEPT_SECS: i64 = 24 * 3600;
/// A given-up mail (body erased) is kept this long, for the operator to see.
pub const FAILED_KEPT_SECS: i64 = 7 * 24 * 3600;

/// How many rows a sweep deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub user_tokens: u64,
    pub login_throttle: u64,
    pub delivered_mails: u64,
    pub failed_mails: u64,
    pub quotas: u64,
    pub second_steps: u64,
    pub abandoned_enrolments: u64,
    pub passkey_ceremonies: u64,
}

impl Swept {
    pub fn total(&self) -> u64 {
        self.sessions + self.user_tokens + self.login_throttle + self.delivered_mails + self.failed_mails + self.quotas
            + self.second_steps + self.abandoned_enrolments + self.passkey_ceremonies
    }
}

/// A session is dead past its absolute expiry or when idle longer than allowed ($2 = now - idle),
/// exactly when `sessions::current` would refuse it.
const SESSIONS: &str = "DELETE FROM sessions WHERE id IN (
        SELECT id FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2 LIMIT $3)
    AND (expires_at <= $1 OR last_seen_at < $2)";

/// Expired links (used ones are deleted when used), except the invitation of a user who is still
/// invited: the pending invitations list shows when it expired.
const USER_TOKENS: &str = "DELETE FROM user_tokens WHERE id IN (
        SELECT t.id FROM user_tokens t WHERE t.expires_at <= $1
          AND (t.purpose <> 'invitation'
               OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.password_hash IS NULL))
        LIMIT $2)
    AND expires_at <= $1
    AND (purpose <> 'invitation'
         OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = user_tokens.user_id AND u.password_hash IS NULL))";

/// A counter whose window has ended ($1 = now - window) and whose block has ended counts as
/// nothing: the next attempt would start it afresh anyway.
const LOGIN_THROTTLE: &str = "DELETE FROM login_throttle WHERE throttle_key IN (
        SELECT throttle_key FROM login_throttle WHERE window_started_at < $1 AND blocked_until <= $2 LIMIT $3)
    AND window_started_at < $1 AND blocked_until <= $2";

/// Delivered before $1.
const DELIVERED_MAILS: &str = "DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox WHERE sent_at < $1 LIMIT $2)
    AND sent_at < $1";

/// Given up before $1.
const FAILED_MAILS: &str = "DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox WHERE failed_at < $1 LIMIT $2)
    AND failed_at < $1";

/// Quota windows that ended before $1.
const QUOTAS: &str = "DELETE FROM quotas WHERE quota_key IN (
        SELECT quota_key FROM quotas WHERE window_ends_at <= $1 LIMIT $2)
    AND window_ends_at <= $1";

/// A sign-in's second step that expired before $1 (F15).
const SECOND_STEPS: &str = "DELETE FROM second_steps WHERE token_hash IN (
        SELECT token_hash FROM second_steps WHERE expires_at <= $1 LIMIT $2)
    AND expires_at <= $1";

/// An authenticator app whose enrolment started before $1 and was never confirmed.
const ABANDONED_ENROLMENTS: &str = "DELETE FROM totp_factors WHERE user_id IN (
        SELECT user_id FROM totp_factors WHERE confirmed_at IS NULL AND created_at < $1 LIMIT $2)
    AND confirmed_at IS NULL AND created_at < $1";

/// A passkey ceremony whose answer never came before $1.
const PASSKEY_CEREMONIES: &str = "DELETE FROM passkey_ceremonies WHERE token_hash IN (
        SELECT token_hash FROM passkey_ceremonies WHERE expires_at <= $1 LIMIT $2)
    AND expires_at <= $1";

/// An enrolment not confirmed within this long is abandoned.
pub const ENROLMENT_KEPT_SECS: i64 = 24 * 3600;

/// One sweep at `now` (`super::now()` outside tests), `BATCH` rows per statement.
pub async fn sweep(db: &Db, settings: &Settings, now: i64) -> Result<Swept, AppError> {
    sweep_in_batches(db, settings, now, BATCH).await
}

/// One sweep at `now` with `batch` rows per statement. Each table is swept until a batch comes
/// back short; the task yields between batches.
pub async fn sweep_in_batches(db: &Db, settings: &Settings, now: i64, batch: i64) -> Result<Swept, AppError> {
    let batch = batch.max(1);
    let swept = Swept {
        sessions: drain(db, SESSIONS, &[now, now - settings.session_idle_secs], batch).await?,
        user_tokens: drain(db, USER_TOKENS, &[now], batch).await?,
        login_throttle: drain(db, LOGIN_THROTTLE, &[now - settings.throttle.window_secs, now], batch).await?,
        delivered_mails: drain(db, DELIVERED_MAILS, &[now - DELIVERED_KEPT_SECS], batch).await?,
        failed_mails: drain(db, FAILED_MAILS, &[now - FAILED_KEPT_SECS], batch).await?,
        quotas: drain(db, QUOTAS, &[now], batch).await?,
        second_steps: drain(db, SECOND_STEPS, &[now], batch).await?,
        abandoned_enrolments: drain(db, ABANDONED_ENROLMENTS, &[now - ENROLMENT_KEPT_SECS], batch).await?,
        passkey_ceremonies: drain(db, PASSKEY_CEREMONIES, &[now], batch).await?,
    };
    if swept.total() > 0 {
        tracing::info!(
            sessions = swept.sessions,
            user_tokens = swept.user_tokens,
            login_throttle = swept.login_throttle,
            delivered_mails = swept.delivered_mails,
            failed_mails = swept.failed_mails,
            quotas = swept.quotas,
            second_steps = swept.second_steps,
            abandoned_enrolments = swept.abandoned_enrolments,
            passkey_ceremonies = swept.passkey_ceremonies,
            "swept expired rows"
        );
    }
    Ok(swept)
}

/// Runs `sql` (its parameters `params`, then the batch size) until it deletes fewer than `batch`
/// rows; returns how many it deleted in all.
async fn drain(db: &Db, sql: &str, params: &[i64], batch: i64) -> Result<u64, AppError> {
    let mut total = 0;
    loop {
        let mut query = sqlx::query(sql);
        for param in params {
            query = query.bind(*param);
        }
        let deleted = query.bind(batch).execute(&db.pool).await?.rows_affected();
        total += deleted;
        if deleted < batch as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}
