//! Passkeys on the security page (F15): register one under a name, rename it, remove it (the
//! password asked again). Signing in with one is in `auth::api`.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{domain::Password, error::Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A WebAuthn ceremony started by the server: the options for the browser's
/// `navigator.credentials` (WebAuthn's JSON form) and the token its answer is sent back with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    pub ceremony: String,
    pub options: String,
}

/// The checks every passkey answer passes before the service looks at it: a ceremony token as
/// we issue them, an answer of sane size.
#[cfg(feature = "ssr")]
pub(crate) fn ceremony_answer<'a>(ceremony: &'a str, answer: &'a str) -> Result<(&'a str, &'a str), AppError> {
    use crate::ssr::services::second_factor::passkeys::MAX_ANSWER_BYTES;
    let token_like = !ceremony.is_empty() && ceremony.len() <= 64 && ceremony.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !token_like || answer.is_empty() || answer.len() > MAX_ANSWER_BYTES {
        return Err(AppError::field("passkey", Problem::PasskeyNotAccepted));
    }
    Ok((ceremony, answer))
}

#[server(prefix = "/api", endpoint = "factors/passkey/begin")]
pub async fn begin_passkey() -> Result<PasskeyChallenge, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    second_factor::passkeys::begin_registration(&req).await
}

/// The authenticator's answer to `begin_passkey`, and the name to keep it under. The first
/// factor answers its recovery codes, once.
#[server(prefix = "/api", endpoint = "factors/passkey/finish")]
pub async fn finish_passkey(ceremony: String, answer: String, passkey_name: String) -> Result<Option<Vec<String>>, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let name = super::factor_name(&passkey_name).map_err(|problem| AppError::field("passkey_name", problem))?;
    let (ceremony, answer) = ceremony_answer(&ceremony, &answer)?;
    second_factor::passkeys::finish_registration(&req, ceremony, answer, &name).await
}

#[server(prefix = "/api", endpoint = "factors/passkey/rename")]
pub async fn rename_passkey(id: i64, name: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let name = super::factor_name(&name).map_err(|problem| AppError::field("name", problem))?;
    second_factor::passkeys::rename(&req, id, &name).await
}

#[server(prefix = "/api", endpoint = "factors/passkey/remove")]
pub async fn remove_passkey(id: i64, password: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let password = Password::attempt(&password).map_err(|problem| AppError::field("password", problem))?;
    second_factor::passkeys::remove(&req, id, password).await
}
