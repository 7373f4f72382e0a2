//! Registration, login, logout and password changes (SPEC F1).

pub mod recovery;
pub mod verification;

use crate::{
    domain::{Email, LoginName, Password, PersonName, UserId},
    error::{AppError, FieldError, Problem},
    ssr::{
        AppState, audit::AuditEvent, guard::{ClientInfo, Request}, now, sessions,
        throttle,
    },
};
use crate::ssr::{services::second_factor, tokens::Secret};
use crate::second_factor::PasskeyChallenge;
use serde_json::json;
use sqlx::AnyConnection;

/// A person signing up; every field already parsed.
#[derive(Debug)]
pub struct NewUser {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub login_name: LoginName,
    pub password: Password,
    pub locale: String,
}

/// What a right password leads to: a session, or first the second step (F15).
#[derive(Debug)]
pub enum SignIn {
    Done(LoginGrant),
    /// The token of the second step, for its cookie; the language, for its page.
    SecondStep { token: Secret, locale: String },
}

/// What a successful login or registration hands back to set the cookies.
#[derive(Debug)]
pub struct LoginGrant {
    pub user_id: UserId,
    pub token: Secret,
    pub locale: String,
    pub must_change_password: bool,
}

/// Self-registration: creates the user (no account yet) and signs them in.
#[tracing::instrument(skip_all)]
pub async fn register(state: &AppState, client: &ClientInfo, new: NewUser) -> Result<LoginGrant, AppError> {
    if !state.settings.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    let now = now();
    let admitted = state.hasher.admit_sign_up()?;
    let settings = &state.settings.throttle;
    let by_address = throttle::Limit::new(format!("register:{}", client.ip), settings.max_registrations_per_ip);
    throttle::reserve(&state.db, &[&by_address], settings, now).await?;
    let hash = admitted.hash(new.password).await?;
    let mut tx = state.db.begin_write().await?;
    let user_id: i64 = sqlx::query_scalar(
        "INSERT INTO users (first_name, last_name, login_name, email, password_hash, locale, created_at, last_login_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(new.first_name.as_str())
    .bind(new.last_name.as_str())
    .bind(new.login_name.as_str())
    .bind(new.email.as_str())
    .bind(hash)
    .bind(&new.locale)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let user_id = UserId(user_id);
    let token = sessions::start(&mut tx, user_id, client, &state.settings, now).await?;
    crate::ssr::services::auth::verification::issue(&mut tx, state, user_id, new.email.as_str(), &new.locale, now).await?;
    AuditEvent::new("user.registered", &client.ip)
        .actor(user_id, new.login_name.as_str(), None)
        .target_user(user_id, new.login_name.as_str())
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(LoginGrant { user_id, token, locale: new.locale, must_change_password: false })
}

const CREDENTIALS: &str = "id, account_id, login_name, email, password_hash, must_change_password, locked_at,
    temporary_password_expires_at, locale";

#[derive(sqlx::FromRow)]
struct Credentials {
    id: i64,
    account_id: Option<i64>,
    login_name: String,
    email: String,
    password_hash: Option<String>,
    must_change_password: i64,
    locked_at: Option<i64>,
    temporary_password_expires_at: Option<i64>,
    locale: String,
}

/// Login by e-mail or login name. Unknown users and wrong passwords get the same answer after
/// the same work (a dummy hash is verified), and both count against the throttle (S4).
/// The session the browser held before (`replaced_token`), if any, ends: one browser, one session.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    client: &ClientInfo,
    identifier: &str,
    password: Password,
    replaced_token: Option<&str>,
) -> Result<SignIn, AppError> {
    let now = now();
    let settings = &state.settings.throttle;
    // A place in the hashing queue first (503 when full), then the attempt is counted against
    // the identifier and the address before the hash: parallel guesses get no extra tries.
    let admitted = state.hasher.admit_unauthenticated()?;
    let by_identifier = throttle::Limit::new(throttle::identifier_key(identifier), settings.max_failures_per_identifier);
    let by_address = throttle::Limit::new(throttle::ip_key(&client.ip), settings.max_failures_per_ip);
    throttle::reserve(&state.db, &[&by_identifier, &by_address], settings, now).await?;

    let user = find_credentials(state, identifier).await?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    if !admitted.verify(password, stored_hash).await? {
        tracing::info!(ip = %client.ip, "login failed");
        return Err(AppError::InvalidCredentials);
    }
    let user = user.ok_or(AppError::InvalidCredentials)?;
    // A temporary password (F4 reset) works once, before it expires; after a reset by link
    // no password works until the link is followed. Both look like a wrong password (and
    // keep the attempt counted).
    if user.temporary_password_expires_at.is_some_and(|expires| now >= expires) {
        return Err(AppError::InvalidCredentials);
    }
    if user.locked_at.is_some() {
        return Err(AppError::UserLocked);
    }
    throttle::clear(&state.db, &by_identifier.key).await?;
    throttle::give_back(&state.db, &by_address).await?;

    let user_id = UserId(user.id);
    let mut tx = state.db.begin_write().await?;
    // With a second factor, the password only opens the second step (F15).
    if second_factor::has_factor(&mut tx, user_id).await? {
        let step_token = second_factor::start_second_step(&mut tx, user_id, now).await?;
        tx.commit().await?;
        return Ok(SignIn::SecondStep { token: step_token, locale: user.locale });
    }
    let grant = finish_sign_in(&mut tx, state, client, &user, replaced_token, None, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = user.id, "login succeeded");
    Ok(SignIn::Done(grant))
}

/// The second step of a sign-in (F15): a code from the user's app or one of their recovery
/// codes, for the second step `step_token` opened. The session starts only now.
#[tracing::instrument(skip_all)]
pub async fn second_step(
    state: &AppState,
    client: &ClientInfo,
    step_token: &str,
    code: &str,
    replaced_token: Option<&str>,
) -> Result<LoginGrant, AppError> {
    let now = now();
    let (user_id, user, attempt) = at_second_step(state, client, step_token, now).await?;
    let person = second_factor::Person { user: user_id, email: &user.email, locale: &user.locale };
    let mut tx = state.db.begin_write().await?;
    let Some(method) = second_factor::spend_code(&mut tx, state, &person, code, now).await? else {
        drop(tx);
        return Err(attempt.failed(state, client, user_id, &user.login_name, now, second_factor::wrong_code()).await);
    };
    second_factor::end_second_step(&mut tx, step_token).await?;
    let grant = finish_sign_in(&mut tx, state, client, &user, replaced_token, Some(method), now).await?;
    tx.commit().await?;
    attempt.succeeded(state).await?;
    tracing::info!(user_id = user.id, method = method.as_str(), "second step passed");
    Ok(grant)
}

/// The user waiting at the second step `step_token` opened, whose attempt is now counted
/// (S4, before any check): refused when the step expired or the user is locked.
async fn at_second_step(
    state: &AppState,
    client: &ClientInfo,
    step_token: &str,
    now: i64,
) -> Result<(UserId, Credentials, second_factor::CodeAttempt), AppError> {
    let user_id = second_factor::second_step_user(state, step_token, now).await?.ok_or(AppError::SecondStepExpired)?;
    let attempt = second_factor::CodeAttempt::reserve(state, client, user_id, now).await?;
    let user = find_credentials_by_id(state, user_id).await?.ok_or(AppError::SecondStepExpired)?;
    if user.locked_at.is_some() {
        return Err(AppError::UserLocked);
    }
    Ok((user_id, user, attempt))
}

/// Starts the passkey way through the second step `step_token` opened.
#[tracing::instrument(skip_all)]
pub async fn begin_second_step_passkey(state: &AppState, step_token: &str) -> Result<PasskeyChallenge, AppError> {
    let user_id = second_factor::second_step_user(state, step_token, now()).await?.ok_or(AppError::SecondStepExpired)?;
    second_factor::passkeys::begin_second_step(state, user_id).await
}

/// What the second step `step_token` opened can take: (a code from an app, a passkey).
#[tracing::instrument(skip_all)]
pub async fn second_step_ways(state: &AppState, step_token: &str) -> Result<(bool, bool), AppError> {
    let user_id = second_factor::second_step_user(state, step_token, now()).await?.ok_or(AppError::SecondStepExpired)?;
    second_factor::second_step_ways(state, user_id).await
}

/// The second step passed with a passkey: the answer to a ceremony started for the user waiting
/// at `step_token`, counted like a code (S4). The session starts only now.
#[tracing::instrument(skip_all)]
pub async fn second_step_with_passkey(
    state: &AppState,
    client: &ClientInfo,
    step_token: &str,
    ceremony: &str,
    answer: &str,
    replaced_token: Option<&str>,
) -> Result<LoginGrant, AppError> {
    let now = now();
    let (user_id, user, attempt) = at_second_step(state, client, step_token, now).await?;
    if !second_factor::passkeys::verify_second_step(state, user_id, ceremony, answer).await? {
        let refused = AppError::field("passkey", Problem::PasskeyNotAccepted);
        return Err(attempt.failed(state, client, user_id, &user.login_name, now, refused).await);
    }
    let mut tx = state.db.begin_write().await?;
    second_factor::end_second_step(&mut tx, step_token).await?;
    let grant = finish_sign_in(&mut tx, state, client, &user, replaced_token, Some(second_factor::Method::Passkey), now).await?;
    tx.commit().await?;
    attempt.succeeded(state).await?;
    tracing::info!(user_id = user.id, method = "passkey", "second step passed");
    Ok(grant)
}

/// The per-address limit a passkey sign-in counts against, like a password guess (S4).
fn passkey_sign_in_limit(state: &AppState, client: &ClientInfo) -> throttle::Limit {
    throttle::Limit::new(throttle::ip_key(&client.ip), state.settings.throttle.max_failures_per_ip)
}

/// Starts a sign-in with a passkey alone. Each start counts against the address's limit until
/// a sign-in succeeds, so nobody fills the ceremony table or tries answers without end.
#[tracing::instrument(skip_all)]
pub async fn begin_passkey_sign_in(state: &AppState, client: &ClientInfo) -> Result<PasskeyChallenge, AppError> {
    let limit = passkey_sign_in_limit(state, client);
    throttle::reserve(&state.db, &[&limit], &state.settings.throttle, now()).await?;
    second_factor::passkeys::begin_sign_in(state).await
}

/// Signs in with a passkey alone (discoverable credential, user verified): it is both factors.
/// A locked user is refused; a forced password change still comes first.
#[tracing::instrument(skip_all)]
pub async fn passkey_sign_in(
    state: &AppState,
    client: &ClientInfo,
    ceremony: &str,
    answer: &str,
    replaced_token: Option<&str>,
) -> Result<LoginGrant, AppError> {
    let Some(user_id) = second_factor::passkeys::verify_sign_in(state, ceremony, answer).await? else {
        tracing::info!(ip = %client.ip, "passkey sign-in failed");
        return Err(AppError::field("passkey", Problem::PasskeyNotAccepted));
    };
    let user = find_credentials_by_id(state, user_id).await?.ok_or_else(|| AppError::field("passkey", Problem::PasskeyNotAccepted))?;
    if user.locked_at.is_some() {
        return Err(AppError::UserLocked);
    }
    throttle::give_back(&state.db, &passkey_sign_in_limit(state, client)).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let grant = finish_sign_in(&mut tx, state, client, &user, replaced_token, Some(second_factor::Method::Passkey), now).await?;
    tx.commit().await?;
    tracing::info!(user_id = user.id, "passkey sign-in succeeded");
    Ok(grant)
}

/// The session of a sign-in whose every step passed, with its audit event, in `tx`.
async fn finish_sign_in(
    tx: &mut AnyConnection,
    state: &AppState,
    client: &ClientInfo,
    user: &Credentials,
    replaced_token: Option<&str>,
    second_factor: Option<second_factor::Method>,
    now: i64,
) -> Result<LoginGrant, AppError> {
    let user_id = UserId(user.id);
    if let Some(replaced) = replaced_token {
        sessions::end_by_token(&mut *tx, replaced).await?;
    }
    let token = sessions::start(&mut *tx, user_id, client, &state.settings, now).await?;
    // A temporary password is spent by this login (it stays valid for the change form only).
    sqlx::query(
        "UPDATE users SET last_login_at = $1,
            temporary_password_expires_at = CASE WHEN temporary_password_expires_at IS NULL THEN NULL ELSE $1 END
         WHERE id = $2",
    )
        .bind(now)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let account = user.account_id.map(crate::domain::AccountId);
    let mut event = AuditEvent::new("user.logged_in", &client.ip)
        .actor(user_id, &user.login_name, account)
        .account(account)
        .target_user(user_id, &user.login_name);
    if let Some(method) = second_factor {
        event = event.details(json!({ "second_factor": method.as_str() }));
    }
    event.record(&mut *tx, now).await?;
    Ok(LoginGrant {
        user_id,
        token,
        locale: user.locale.clone(),
        must_change_password: user.must_change_password == 1,
    })
}

async fn find_credentials_by_id(state: &AppState, user: UserId) -> Result<Option<Credentials>, AppError> {
    sqlx::query_as(&format!("SELECT {CREDENTIALS} FROM users WHERE id = $1"))
        .bind(user.0)
        .fetch_optional(&state.db.pool)
        .await
        .map_err(AppError::from)
}

/// Looks a user up by e-mail (when the identifier has an `@`) or by login name. Identifiers
/// that cannot be either simply find nobody.
async fn find_credentials(state: &AppState, identifier: &str) -> Result<Option<Credentials>, AppError> {
    let (column, value) = if identifier.contains('@') {
        match Email::parse(identifier) {
            Ok(email) => ("email", email.as_str().to_owned()),
            Err(_) => return Ok(None),
        }
    } else {
        match LoginName::parse(identifier) {
            Ok(login) => ("login_name", login.as_str().to_owned()),
            Err(_) => return Ok(None),
        }
    };
    let sql = format!("SELECT {CREDENTIALS} FROM users WHERE {column} = $1");
    sqlx::query_as(&sql).bind(value).fetch_optional(&state.db.pool).await.map_err(AppError::from)
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn logout(req: &Request) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(actor.session_id)
        .execute(&mut *tx)
        .await?;
    AuditEvent::about_self("user.logged_out", &client.ip, actor)
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// Changes the actor's own password after checking the current one; clears the forced-change
/// flag and ends the user's other sessions (whoever knew the old password is out).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn change_password(
    req: &Request,
    current: Password,
    new: Password,
) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    if current.expose() == new.expose() {
        return Err(AppError::field("new_password", Problem::PasswordUnchanged));
    }
    // A stolen session must not become a way to guess the password: the current-password
    // check is throttled like a login.
    let now = now();
    let settings = &state.settings.throttle;
    let guesses = throttle::Limit::new(format!("current-password:{}", actor.user_id()), settings.max_failures_per_identifier);
    throttle::reserve(&state.db, &[&guesses], settings, now).await?;
    let stored: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(actor.user_id().0)
        .fetch_one(&state.db.pool)
        .await?;
    if !state.hasher.verify(current, stored).await? {
        return Err(AppError::Validation(vec![FieldError::new("current_password", Problem::WrongCurrentPassword)]));
    }
    throttle::clear(&state.db, &guesses.key).await?;
    let hash = state.hasher.hash(new).await?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 0, temporary_password_expires_at = NULL WHERE id = $2",
    )
        .bind(hash)
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    // A reset link mailed before now would undo the change: it dies (S9).
    crate::ssr::link_tokens::delete_all(&mut tx, actor.user_id(), crate::ssr::link_tokens::Purpose::PasswordReset).await?;
    let ended = sessions::end_all_for_user(&mut tx, actor.user_id(), Some(actor.session_id)).await?;
    AuditEvent::about_self("user.password_changed", &client.ip, actor)
        .details(json!({ "other_sessions_ended": ended, "was_required": actor.must_change_password() }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// Saves the user's language (F12).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn set_locale(req: &Request, locale: &str) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    AuditEvent::about_self("user.language_changed", &client.ip, actor)
        .details(json!({ "locale": locale }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}
