//! Second factor (SPEC F15): the user's authenticator app (TOTP) and recovery codes, managed on
//! their security page; the sign-in's second step is in `auth`.

mod page;

pub use page::SecurityPage;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{domain::Password, error::Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The user's factors as their security page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorOverview {
    pub totp: Option<TotpSummary>,
    pub recovery_codes_left: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSummary {
    pub name: String,
    pub created_at: i64,
}

/// An authenticator app being added: what to scan or type into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, in groups of four.
    pub secret: String,
    pub uri: String,
    /// The QR code of `uri`, drawn on the server.
    pub qr_svg: String,
}

/// A factor's name as the user types it: one line, at most 60 characters.
#[cfg(feature = "ssr")]
fn factor_name(name: &str) -> Result<String, Problem> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(Problem::Required),
        n if n > 60 => Err(Problem::TooLong),
        _ if name.chars().any(char::is_control) => Err(Problem::ControlCharacters),
        _ => Ok(name.to_owned()),
    }
}

#[server(prefix = "/api", endpoint = "factors/mine")]
pub async fn my_factors() -> Result<FactorOverview, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    second_factor::status(&caller.state, actor.user_id).await
}

#[server(prefix = "/api", endpoint = "factors/totp/begin")]
pub async fn begin_totp() -> Result<TotpEnrolment, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    second_factor::begin_totp(&caller.state, &actor).await
}

/// Confirms the app with a first code; the first factor answers its recovery codes, once.
#[server(prefix = "/api", endpoint = "factors/totp/confirm")]
pub async fn confirm_totp(code: String, name: String) -> Result<Option<Vec<String>>, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    let name = factor_name(&name).map_err(|problem| AppError::field("name", problem))?;
    if code.trim().is_empty() {
        return Err(AppError::field("code", Problem::Required));
    }
    second_factor::confirm_totp(&caller.state, &caller.client, &actor, code.trim(), &name).await
}

#[server(prefix = "/api", endpoint = "factors/totp/rename")]
pub async fn rename_totp(name: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    let name = factor_name(&name).map_err(|problem| AppError::field("name", problem))?;
    second_factor::rename_totp(&caller.state, &actor, &name).await
}

#[server(prefix = "/api", endpoint = "factors/totp/remove")]
pub async fn remove_totp(password: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    let password = Password::attempt(&password).map_err(|problem| AppError::field("password", problem))?;
    second_factor::remove_totp(&caller.state, &caller.client, &actor, password).await
}

/// A new set of recovery codes (the old set dies), shown once.
#[server(prefix = "/api", endpoint = "factors/recovery/regenerate")]
pub async fn regenerate_recovery_codes(password: String) -> Result<Vec<String>, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let (caller, actor) = guard::signed_in().await?;
    let password = Password::attempt(&password).map_err(|problem| AppError::field("password", problem))?;
    second_factor::regenerate_recovery_codes(&caller.state, &caller.client, &actor, password).await
}
