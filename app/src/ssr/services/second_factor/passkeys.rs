//! Passkeys (SPEC F15): WebAuthn credentials a user registers on their security page, used as
//! the second step of a sign-in or to sign in alone. Each ceremony is two requests: the server's
//! half (challenge, expected credentials) waits in `passkey_ceremonies` under a random token
//! the browser holds, and the answer spends it in one statement, so it is accepted once.

use crate::ssr::services::second_factor;
use crate::{
    domain::UserId,
    error::{AppError, FieldError, Problem},
    second_factor::{PasskeyChallenge, PasskeySummary},
    ssr::{
        AppState, audit::AuditEvent, guard::Request, now, tokens::{self, Secret}, webauthn::{self, RelyingParty},
    },
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn,
};

/// How long a ceremony waits for the authenticator's answer.
pub const CEREMONY_SECS: i64 = 5 * 60;
/// An answer is a few kilobytes; anything much larger is not one.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What a ceremony was started for; an answer is only taken for the same purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SecondStep,
    SignIn,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SecondStep => "second_step",
            Purpose::SignIn => "sign_in",
        }
    }
}

/// The server's half of a registration: the webauthn-rs state and the user handle it used.
#[derive(Serialize, Deserialize)]
struct Registration {
    user_handle: Uuid,
    state: PasskeyRegistration,
}

fn not_accepted() -> AppError {
    AppError::field("passkey", Problem::PasskeyNotAccepted)
}

fn relying_party(state: &AppState) -> Result<Webauthn, AppError> {
    // Refused at the first ceremony rather than at start-up: the rest of Portico works without.
    RelyingParty::for_public_url(&state.settings.public_url)
        .ok_or(AppError::Conflict(FieldError::new("passkey", Problem::PasskeyUnsupported)))?
        .webauthn()
}

fn credential_key(credential_id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(credential_id)
}

/// The user's passkeys, oldest first, as their security page lists them.
#[tracing::instrument(skip_all)]
pub async fn list(conn: &mut AnyConnection, user: UserId) -> Result<Vec<PasskeySummary>, AppError> {
    let rows: Vec<(i64, String, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id")
            .bind(user.0)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id, name, created_at, last_used_at)| PasskeySummary { id, name, created_at, last_used_at }).collect())
}

/// The user's passkeys as webauthn-rs checks them, with their user handle.
async fn credentials(conn: &mut AnyConnection, user: UserId) -> Result<(Option<Uuid>, Vec<Passkey>), AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT user_handle, passkey FROM passkeys WHERE user_id = $1")
        .bind(user.0)
        .fetch_all(conn)
        .await?;
    let handle = rows.first().and_then(|(handle, _)| Uuid::parse_str(handle).ok());
    let passkeys = rows.iter().map(|(_, json)| serde_json::from_str(json).map_err(crate::ssr::internal)).collect::<Result<_, _>>()?;
    Ok((handle, passkeys))
}

async fn store_ceremony(state: &AppState, purpose: Purpose, user: Option<UserId>, server_half: impl Serialize) -> Result<Secret, AppError> {
    let token = tokens::new_token();
    let server_half = serde_json::to_string(&server_half).map_err(crate::ssr::internal)?;
    sqlx::query("INSERT INTO passkey_ceremonies (token_hash, purpose, user_id, state, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token.hash())
        .bind(purpose.key())
        .bind(user.map(|u| u.0))
        .bind(server_half)
        .bind(now() + CEREMONY_SECS)
        .execute(&state.db.pool)
        .await?;
    Ok(token)
}

/// Takes the ceremony `token` names out of the table (one answer per ceremony, whoever asks
/// at once): its user and its server half, if it is for `purpose` and has not expired.
async fn spend_ceremony<T: for<'de> Deserialize<'de>>(state: &AppState, token: &str, purpose: Purpose) -> Result<(Option<UserId>, T), AppError> {
    let row: Option<(Option<i64>, String, i64)> =
        sqlx::query_as("DELETE FROM passkey_ceremonies WHERE token_hash = $1 AND purpose = $2 RETURNING user_id, state, expires_at")
            .bind(tokens::hash_token(token))
            .bind(purpose.key())
            .fetch_optional(&state.db.pool)
            .await?;
    let (user, server_half, expires_at) = row.ok_or_else(not_accepted)?;
    if expires_at <= now() {
        return Err(not_accepted());
    }
    Ok((user.map(UserId), serde_json::from_str(&server_half).map_err(crate::ssr::internal)?))
}

/// What the browser gets: the ceremony's token (which it sends back with its answer) and the
/// options for its passkey prompt.
fn challenge(ceremony: &Secret, options: &impl Serialize) -> Result<PasskeyChallenge, AppError> {
    let options = serde_json::to_string(options).map_err(crate::ssr::internal)?;
    Ok(PasskeyChallenge { ceremony: ceremony.expose().to_owned(), options })
}

/// Starts registering a passkey for the actor: the options for `navigator.credentials.create`.
/// The user's passkeys are excluded, so one authenticator holds one of theirs.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn begin_registration(req: &Request) -> Result<PasskeyChallenge, AppError> {
    let Request { state, actor, .. } = req;
    let webauthn = relying_party(state)?;
    let mut conn = state.db.pool.acquire().await?;
    let (handle, existing) = credentials(&mut conn, actor.user_id()).await?;
    drop(conn);
    let user_handle = handle.unwrap_or_else(Uuid::new_v4);
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let display = format!("{} {}", actor.info.first_name, actor.info.last_name);
    let (options, registration) = webauthn
        .start_passkey_registration(user_handle, &actor.login_name(), display.trim(), Some(exclude))
        .map_err(crate::ssr::internal)?;
    let mut options = serde_json::to_value(&options.public_key).map_err(crate::ssr::internal)?;
    webauthn::require_discoverable(&mut options);
    let ceremony = store_ceremony(state, Purpose::Register, Some(actor.user_id()), Registration { user_handle, state: registration }).await?;
    challenge(&ceremony, &options)
}

/// Checks the authenticator's answer and keeps the passkey under `name`. The first factor
/// comes with a set of recovery codes, returned here once and never again.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn finish_registration(
    req: &Request,
    ceremony: &str,
    answer: &str,
    name: &str,
) -> Result<Option<Vec<String>>, AppError> {
    let Request { state, client, actor } = req;
    let webauthn = relying_party(state)?;
    let (user, registration): (_, Registration) = spend_ceremony(state, ceremony, Purpose::Register).await?;
    if user != Some(actor.user_id()) {
        return Err(not_accepted());
    }
    let answer: RegisterPublicKeyCredential = serde_json::from_str(answer).map_err(|_| not_accepted())?;
    let passkey = webauthn.finish_passkey_registration(&answer, &registration.state).map_err(|error| {
        tracing::info!(user_id = actor.user_id().0, %error, "passkey registration refused");
        not_accepted()
    })?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    // WebAuthn: a credential id belongs to one user. The unique index decides, also between
    // two answers racing with the same authenticator.
    let added = sqlx::query(
        "INSERT INTO passkeys (user_id, credential_id, user_handle, name, passkey, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(actor.user_id().0)
    .bind(credential_key(passkey.cred_id()))
    .bind(registration.user_handle.to_string())
    .bind(name)
    .bind(serde_json::to_string(&passkey).map_err(crate::ssr::internal)?)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(AppError::Conflict(FieldError::new("passkey", Problem::PasskeyAlreadyRegistered)));
    }
    let codes = second_factor::codes_for_first_factor(&mut tx, actor.user_id()).await?;
    AuditEvent::about_self("user.factor_enrolled", &client.ip, actor)
        .details(json!({ "factor": "passkey", "name": name }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(codes)
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn rename(req: &Request, id: i64, name: &str) -> Result<(), AppError> {
    let Request { state, actor, .. } = req;
    let renamed = sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
        .bind(name)
        .bind(id)
        .bind(actor.user_id().0)
        .execute(&state.db.pool)
        .await?;
    if renamed.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Removes one of the actor's passkeys after their password; with no factor left, the recovery
/// codes go too.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn remove(req: &Request, id: i64, password: crate::domain::Password) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    second_factor::check_password(req, password).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let name: Option<String> = sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
        .bind(id)
        .bind(actor.user_id().0)
        .fetch_optional(&mut *tx)
        .await?;
    let name = name.ok_or(AppError::NotFound)?;
    second_factor::drop_codes_without_factor(&mut tx, actor.user_id()).await?;
    AuditEvent::about_self("user.factor_removed", &client.ip, actor)
        .details(json!({ "factor": "passkey", "name": name }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// Starts the passkey way through a second step: the options for `navigator.credentials.get`,
/// limited to the user's own passkeys. `None` when they have none.
#[tracing::instrument(skip_all)]
pub async fn begin_second_step(state: &AppState, user: UserId) -> Result<PasskeyChallenge, AppError> {
    let webauthn = relying_party(state)?;
    let mut conn = state.db.pool.acquire().await?;
    let (_, passkeys) = credentials(&mut conn, user).await?;
    drop(conn);
    if passkeys.is_empty() {
        return Err(AppError::Conflict(FieldError::new("passkey", Problem::NoFactor)));
    }
    let (options, authentication) = webauthn.start_passkey_authentication(&passkeys).map_err(crate::ssr::internal)?;
    let ceremony = store_ceremony(state, Purpose::SecondStep, Some(user), authentication).await?;
    challenge(&ceremony, &options.public_key)
}

/// Starts a sign-in with a passkey alone: any discoverable passkey of this relying party.
#[tracing::instrument(skip_all)]
pub async fn begin_sign_in(state: &AppState) -> Result<PasskeyChallenge, AppError> {
    let webauthn = relying_party(state)?;
    let (options, authentication) = webauthn.start_discoverable_authentication().map_err(crate::ssr::internal)?;
    let ceremony = store_ceremony(state, Purpose::SignIn, None, authentication).await?;
    challenge(&ceremony, &options.public_key)
}

/// Checks an answer to a second-step ceremony: `Ok(false)` when it is not `user`'s passkey or
/// does not verify; `Ok(true)` once its use is recorded.
#[tracing::instrument(skip_all)]
pub async fn verify_second_step(state: &AppState, user: UserId, ceremony: &str, answer: &str) -> Result<bool, AppError> {
    let webauthn = relying_party(state)?;
    let Ok((owner, authentication)) = spend_ceremony::<PasskeyAuthentication>(state, ceremony, Purpose::SecondStep).await else {
        return Ok(false);
    };
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else { return Ok(false) };
    if owner != Some(user) {
        return Ok(false);
    }
    match webauthn.finish_passkey_authentication(&answer, &authentication) {
        Ok(result) => record_use(state, user, &result).await.map(|()| true),
        Err(error) => {
            tracing::info!(user_id = user.0, %error, "passkey refused at a second step");
            Ok(false)
        }
    }
}

/// Checks an answer to a sign-in ceremony: the user whose passkey it is, if it verifies.
#[tracing::instrument(skip_all)]
pub async fn verify_sign_in(state: &AppState, ceremony: &str, answer: &str) -> Result<Option<UserId>, AppError> {
    let webauthn = relying_party(state)?;
    let Ok((_, authentication)) = spend_ceremony::<DiscoverableAuthentication>(state, ceremony, Purpose::SignIn).await else {
        return Ok(None);
    };
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else { return Ok(None) };
    let Ok((handle, credential_id)) = webauthn.identify_discoverable_authentication(&answer) else { return Ok(None) };
    let row: Option<(i64, String, String)> = sqlx::query_as("SELECT user_id, user_handle, passkey FROM passkeys WHERE credential_id = $1")
        .bind(credential_key(credential_id))
        .fetch_optional(&state.db.pool)
        .await?;
    // The authenticator names both the credential and its user; both must be ours and agree.
    let Some((user, _, passkey)) = row.filter(|(_, stored, _)| *stored == handle.to_string()) else { return Ok(None) };
    let passkey: Passkey = serde_json::from_str(&passkey).map_err(crate::ssr::internal)?;
    match webauthn.finish_discoverable_authentication_v2(&answer, authentication, &passkey) {
        Ok(result) => {
            let user = UserId(user);
            record_use(state, user, &result).await?;
            Ok(Some(user))
        }
        Err(error) => {
            tracing::info!(user_id = user, %error, "passkey refused at a sign-in");
            Ok(None)
        }
    }
}

/// Keeps what an accepted assertion changed (the signature counter, the backup state) and when.
async fn record_use(state: &AppState, user: UserId, result: &webauthn_rs::prelude::AuthenticationResult) -> Result<(), AppError> {
    let key = credential_key(result.cred_id());
    let stored: Option<String> = sqlx::query_scalar("SELECT passkey FROM passkeys WHERE credential_id = $1 AND user_id = $2")
        .bind(&key)
        .bind(user.0)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(stored) = stored else { return Ok(()) };
    let mut passkey: Passkey = serde_json::from_str(&stored).map_err(crate::ssr::internal)?;
    passkey.update_credential(result);
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3 AND user_id = $4")
        .bind(serde_json::to_string(&passkey).map_err(crate::ssr::internal)?)
        .bind(now())
        .bind(&key)
        .bind(user.0)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}
