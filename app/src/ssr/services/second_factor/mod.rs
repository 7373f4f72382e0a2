//! Second factor (SPEC F15): a user's authenticator app (TOTP) and recovery codes, enrolled and
//! removed by the user (passkeys are in `passkeys`); the second step of a sign-in that checks
//! them. Codes are throttled like passwords (S4); a TOTP code is accepted once per time step, a
//! recovery code once.

pub mod passkeys;

use crate::{
    domain::UserId,
    error::{AppError, FieldError, Problem},
    second_factor::{FactorOverview, TotpEnrolment, TotpSummary},
    ssr::{
        AppState, audit::AuditEvent, guard::{ClientInfo, Request}, mail::Mail, now, outbox,
        throttle, tokens::{self, Secret}, totp,
    },
};
use serde_json::json;
use sqlx::AnyConnection;

/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;
/// How long the second step waits after a right password.
pub const SECOND_STEP_SECS: i64 = 5 * 60;

/// SQL: whether the user `u` has a second factor (a confirmed app or a passkey). The flag is
/// kept by the factor tables' triggers (migration 0011); `users::counts::check` verifies it.
pub const HAS_FACTOR: &str = "(u.has_second_factor = 1)";

fn sealing_owner(user: UserId) -> String {
    format!("totp:{}", user.0)
}

/// The user's factors as their security page shows them.
#[tracing::instrument(skip_all)]
pub async fn status(state: &AppState, user: UserId) -> Result<FactorOverview, AppError> {
    let totp: Option<(String, i64)> =
        sqlx::query_as("SELECT name, created_at FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user.0)
            .fetch_optional(&state.db.pool)
            .await?;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user.0)
        .fetch_one(&state.db.pool)
        .await?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(FactorOverview {
        totp: totp.map(|(name, created_at)| TotpSummary { name, created_at }),
        passkeys: crate::ssr::services::second_factor::passkeys::list(&mut conn, user).await?,
        recovery_codes_left: left as u32,
    })
}

/// Whether the user has a second factor (the sign-in then asks for it).
#[tracing::instrument(skip_all)]
pub async fn has_factor(conn: &mut AnyConnection, user: UserId) -> Result<bool, AppError> {
    let found: i64 = sqlx::query_scalar(&format!("SELECT CASE WHEN {HAS_FACTOR} THEN 1 ELSE 0 END FROM users u WHERE u.id = $1"))
        .bind(user.0)
        .fetch_one(conn)
        .await?;
    Ok(found == 1)
}

/// What a second step can take for `user`: a code from an app, a passkey.
#[tracing::instrument(skip_all)]
pub async fn second_step_ways(state: &AppState, user: UserId) -> Result<(bool, bool), AppError> {
    let (app, passkey): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL),
                (SELECT COUNT(*) FROM passkeys WHERE user_id = $1)",
    )
    .bind(user.0)
    .fetch_one(&state.db.pool)
    .await?;
    Ok((app > 0, passkey > 0))
}

/// Starts enrolling an authenticator app: a new secret, kept sealed and unconfirmed until a
/// first code proves the app holds it. Starting again replaces an unconfirmed secret; a user
/// who already has an app removes it first.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn begin_totp(req: &Request) -> Result<TotpEnrolment, AppError> {
    let Request { state, actor, .. } = req;
    let secret = totp::new_secret();
    let sealed = state.settings.sealing_key.seal(&sealing_owner(actor.user_id()), &secret);
    let mut tx = state.db.begin_write().await?;
    let confirmed: Option<Option<i64>> = sqlx::query_scalar("SELECT confirmed_at FROM totp_factors WHERE user_id = $1")
        .bind(actor.user_id().0)
        .fetch_optional(&mut *tx)
        .await?;
    if confirmed.flatten().is_some() {
        return Err(AppError::Conflict(FieldError::new("code", Problem::FactorAlreadyEnrolled)));
    }
    sqlx::query("DELETE FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NULL")
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO totp_factors (user_id, name, secret, created_at) VALUES ($1, '', $2, $3)")
        .bind(actor.user_id().0)
        .bind(sealed)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let uri = totp::uri(&secret, &actor.login_name());
    Ok(TotpEnrolment { secret: totp::secret_text(&secret), qr_svg: totp::qr_svg(&uri), uri })
}

/// Confirms the app being enrolled with a code from it and names it. The first factor comes
/// with a set of recovery codes, returned here once and never again.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn confirm_totp(
    req: &Request,
    code: &str,
    name: &str,
) -> Result<Option<Vec<String>>, AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let guesses = code_limit(state, actor.user_id());
    throttle::reserve(&state.db, &[&guesses], &state.settings.throttle, now).await?;
    let mut tx = state.db.begin_write().await?;
    let pending: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT secret FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NULL")
            .bind(actor.user_id().0)
            .fetch_optional(&mut *tx)
            .await?;
    let secret = pending
        .and_then(|sealed| state.settings.sealing_key.open(&sealing_owner(actor.user_id()), &sealed))
        .ok_or(AppError::Conflict(FieldError::new("code", Problem::NoEnrolmentStarted)))?;
    let step = totp::matching_step(&secret, code, now).ok_or_else(wrong_code)?;
    sqlx::query("UPDATE totp_factors SET name = $1, confirmed_at = $2, last_step = $3 WHERE user_id = $4 AND confirmed_at IS NULL")
        .bind(name)
        .bind(now)
        .bind(step)
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    let codes = codes_for_first_factor(&mut tx, actor.user_id()).await?;
    AuditEvent::about_self("user.factor_enrolled", &client.ip, actor)
        .details(json!({ "factor": "totp", "name": name }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    throttle::clear(&state.db, &guesses.key).await?;
    Ok(codes)
}

/// Renames the user's authenticator app.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn rename_totp(req: &Request, name: &str) -> Result<(), AppError> {
    let Request { state, actor, .. } = req;
    let renamed = sqlx::query("UPDATE totp_factors SET name = $1 WHERE user_id = $2 AND confirmed_at IS NOT NULL")
        .bind(name)
        .bind(actor.user_id().0)
        .execute(&state.db.pool)
        .await?;
    if renamed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Removes the user's authenticator app after their password; with no factor left, the
/// recovery codes go too (they would be a second factor of nothing).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn remove_totp(req: &Request, password: crate::domain::Password) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    check_password(req, password).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let removed = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    drop_codes_without_factor(&mut tx, actor.user_id()).await?;
    AuditEvent::about_self("user.factor_removed", &client.ip, actor)
        .details(json!({ "factor": "totp" }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// A new set of recovery codes after the user's password; the old set dies.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn regenerate_recovery_codes(
    req: &Request,
    password: crate::domain::Password,
) -> Result<Vec<String>, AppError> {
    let Request { state, client, actor } = req;
    check_password(req, password).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    if !has_factor(&mut tx, actor.user_id()).await? {
        return Err(AppError::Conflict(FieldError::new("code", Problem::NoFactor)));
    }
    let codes = replace_recovery_codes(&mut tx, actor.user_id()).await?;
    AuditEvent::about_self("user.recovery_codes_regenerated", &client.ip, actor).record(&mut tx, now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// A set of recovery codes when the factor just added is the user's first (none unused yet).
pub(super) async fn codes_for_first_factor(conn: &mut AnyConnection, user: UserId) -> Result<Option<Vec<String>>, AppError> {
    let unused: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user.0)
        .fetch_one(&mut *conn)
        .await?;
    if unused > 0 {
        return Ok(None);
    }
    replace_recovery_codes(conn, user).await.map(Some)
}

/// After a factor is removed: with none left, the recovery codes go too (they would be a
/// second factor of nothing).
pub(super) async fn drop_codes_without_factor(conn: &mut AnyConnection, user: UserId) -> Result<(), AppError> {
    if !has_factor(&mut *conn, user).await? {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn replace_recovery_codes(conn: &mut AnyConnection, user: UserId) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| tokens::readable_code("", 3).trim_start_matches('-').to_owned()).collect();
    for code in &codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user.0)
            .bind(recovery_hash(code))
            .execute(&mut *conn)
            .await?;
    }
    Ok(codes)
}

/// What is stored of a recovery code: its hash, whatever the case and dashes it is typed with.
fn recovery_hash(code: &str) -> String {
    let normalized: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    tokens::hash_token(&normalized)
}

/// The password check before a factor changes, throttled like the password change's.
pub(super) async fn check_password(req: &Request, password: crate::domain::Password) -> Result<(), AppError> {
    let Request { state, actor, .. } = req;
    let settings = &state.settings.throttle;
    let guesses = throttle::Limit::new(format!("current-password:{}", actor.user_id()), settings.max_failures_per_identifier);
    throttle::reserve(&state.db, &[&guesses], settings, now()).await?;
    let stored: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(actor.user_id().0)
        .fetch_one(&state.db.pool)
        .await?;
    if !state.hasher.verify(password, stored).await? {
        return Err(AppError::Validation(vec![FieldError::new("password", Problem::WrongCurrentPassword)]));
    }
    throttle::clear(&state.db, &guesses.key).await
}

pub fn wrong_code() -> AppError {
    AppError::Validation(vec![FieldError::new("code", Problem::WrongCode)])
}

/// Code guesses per user, with the same limit as password guesses per identifier.
fn code_limit(state: &AppState, user: UserId) -> throttle::Limit {
    throttle::Limit::new(format!("second-factor:{}", user.0), state.settings.throttle.max_failures_per_identifier)
}

/// How a second step was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Totp,
    RecoveryCode,
    Passkey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
            Method::Passkey => "passkey",
        }
    }
}

/// Starts a second step for `user` after a right password: its token, for the browser's cookie.
#[tracing::instrument(skip_all)]
pub async fn start_second_step(conn: &mut AnyConnection, user: UserId, now: i64) -> Result<Secret, AppError> {
    let token = tokens::new_token();
    sqlx::query("INSERT INTO second_steps (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token.hash())
        .bind(user.0)
        .bind(now + SECOND_STEP_SECS)
        .execute(conn)
        .await?;
    Ok(token)
}

/// The user waiting at the second step the token opened, if it has not expired.
#[tracing::instrument(skip_all)]
pub async fn second_step_user(state: &AppState, token: &str, now: i64) -> Result<Option<UserId>, AppError> {
    let user: Option<i64> = sqlx::query_scalar("SELECT user_id FROM second_steps WHERE token_hash = $1 AND expires_at > $2")
        .bind(tokens::hash_token(token))
        .bind(now)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(user.map(UserId))
}

/// One counted code attempt at a second step (S4: counted before the check, per user and per
/// address); `succeeded` gives it back.
pub struct CodeAttempt {
    guesses: throttle::Limit,
    by_address: throttle::Limit,
}

impl CodeAttempt {
    pub async fn reserve(state: &AppState, client: &ClientInfo, user: UserId, now: i64) -> Result<Self, AppError> {
        let attempt = CodeAttempt {
            guesses: code_limit(state, user),
            by_address: throttle::Limit::new(throttle::ip_key(&client.ip), state.settings.throttle.max_failures_per_ip),
        };
        throttle::reserve(&state.db, &[&attempt.guesses, &attempt.by_address], &state.settings.throttle, now).await?;
        Ok(attempt)
    }

    pub async fn succeeded(self, state: &AppState) -> Result<(), AppError> {
        throttle::clear(&state.db, &self.guesses.key).await?;
        throttle::give_back(&state.db, &self.by_address).await
    }

    /// Records the failed attempt (after the caller's transaction is gone) and answers `answer`.
    pub async fn failed(self, state: &AppState, client: &ClientInfo, user: UserId, login_name: &str, now: i64, answer: AppError) -> AppError {
        let recorded = async {
            let mut tx = state.db.begin_write().await?;
            AuditEvent::new("user.second_step_failed", &client.ip)
                .actor(user, login_name, None)
                .target_user(user, login_name)
                .record(&mut tx, now)
                .await?;
            Ok(tx.commit().await?)
        };
        match recorded.await {
            Ok(()) => answer,
            Err(e) => e,
        }
    }
}

/// The person at a second step, as the code check needs them.
pub struct Person<'a> {
    pub user: UserId,
    pub email: &'a str,
    pub locale: &'a str,
}

/// Spends `code` (a TOTP code or a recovery code) of `person` in `tx`, if it is right: the
/// caller ends the second step and starts the session in the same transaction. A TOTP code is
/// accepted once per time step, a recovery code once (its owner is mailed).
#[tracing::instrument(skip_all)]
pub async fn spend_code(tx: &mut AnyConnection, state: &AppState, person: &Person<'_>, code: &str, now: i64) -> Result<Option<Method>, AppError> {
    let user = person.user;
    if code.chars().filter(|c| !c.is_whitespace()).all(|c| c.is_ascii_digit()) {
        let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT secret FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
        let step = sealed
            .and_then(|sealed| state.settings.sealing_key.open(&sealing_owner(user), &sealed))
            .and_then(|secret| totp::matching_step(&secret, code, now));
        let Some(step) = step else { return Ok(None) };
        // Of two requests with one code, only one moves last_step.
        let spent = sqlx::query("UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
            .bind(step)
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        return Ok(spent.then_some(Method::Totp));
    }
    let spent = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(now)
        .bind(user.0)
        .bind(recovery_hash(code))
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !spent {
        return Ok(None);
    }
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
    outbox::enqueue(&mut *tx, person.email, person.locale, &Mail::RecoveryCodeUsed { left }, now).await?;
    Ok(Some(Method::RecoveryCode))
}

/// Ends a second step (passed, or replaced by a new sign-in).
#[tracing::instrument(skip_all)]
pub async fn end_second_step(conn: &mut AnyConnection, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM second_steps WHERE token_hash = $1")
        .bind(tokens::hash_token(token))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets whom the account requires a second factor of. Takes effect on everyone's next request.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn set_policy(req: &Request, policy: crate::second_factor::FactorPolicy) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET second_factor_policy = $1 WHERE id = $2")
        .bind(policy.key())
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
    AuditEvent::by("account.factor_policy_changed", &client.ip, actor)
        .details(json!({ "policy": policy.key() }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// An administrator resets a member's second factor (F15): the app, the passkeys and the recovery codes go,
/// every session of theirs ends, and they are mailed. The rules of the other administrative
/// actions hold (not oneself, not the primary administrator but by themself (I4), no one who
/// holds more; partner staff never do it for a customer's people).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn reset_by_admin(req: &Request, id: UserId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    use crate::ssr::{services::rules, sessions};
    rules::may_reset(actor, id)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let target = rules::target(&mut tx, actor, id).await?;
    let held = rules::permissions_of(&mut tx, &[target.id]).await?;
    rules::may_manage(actor, &target, held.get(&target.id).copied().unwrap_or_default()).map_err(AppError::Refused)?;
    let apps = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
    let passkeys = sqlx::query("DELETE FROM passkeys WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
    if apps.rows_affected() + passkeys.rows_affected() == 0 {
        return Err(AppError::Conflict(FieldError::new("code", Problem::NoFactor)));
    }
    let ended = sessions::end_all_for_user(&mut tx, id, None).await?;
    outbox::enqueue(&mut tx, &target.email, &target.locale, &Mail::FactorsReset, now).await?;
    AuditEvent::by("user.factors_reset", &client.ip, actor)
        .target_user(id, &target.login_name)
        .details(json!({ "sessions_ended": ended }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}
