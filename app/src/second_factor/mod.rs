//! Second factor (SPEC F15): the user's authenticator app (TOTP), passkeys and recovery codes,
//! managed on their security page; the sign-in's second step is in `auth`. The functions here stay open
//! to a user the policy requires to enrol (`guard::even_second_factor_missing`): enrolling is how they get out.

mod page;
pub mod passkey_browser;
mod passkey_list;
mod passkeys;

pub use page::SecurityPage;
pub use passkeys::*;

#[cfg(feature = "ssr")]
use crate::domain::Password;
use crate::error::{AppError, Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whom an account requires a second factor of (F15), set on the account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FactorPolicy {
    #[default]
    Nobody,
    /// Anyone holding `users.manage`, `roles.manage`, `account.manage` or a `partners.*`
    /// permission in the account.
    Administrators,
    Everyone,
}

/// What makes a member an administrator for the policy (SPEC F15).
pub const ADMINISTRATOR_PERMISSIONS: [crate::domain::Permission; 6] = {
    use crate::domain::Permission::*;
    [UsersManage, RolesManage, AccountManage, PartnersView, PartnersManage, PartnersDelegate]
};

impl FactorPolicy {
    pub const ALL: [FactorPolicy; 3] = [Self::Nobody, Self::Administrators, Self::Everyone];

    pub fn key(self) -> &'static str {
        match self {
            Self::Nobody => "nobody",
            Self::Administrators => "administrators",
            Self::Everyone => "everyone",
        }
    }

    /// The stored value; anything unknown is the default.
    pub fn from_key(key: &str) -> Self {
        Self::ALL.into_iter().find(|p| p.key() == key).unwrap_or_default()
    }

    /// Whether a member holding `permissions` must have a second factor.
    pub fn covers(self, permissions: crate::domain::PermissionSet) -> bool {
        match self {
            Self::Nobody => false,
            Self::Everyone => true,
            Self::Administrators => ADMINISTRATOR_PERMISSIONS.into_iter().any(|p| permissions.contains(p)),
        }
    }
}

/// The user's factors as their security page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorOverview {
    pub totp: Option<TotpSummary>,
    pub passkeys: Vec<PasskeySummary>,
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

/// Sets whom the account requires a second factor of.
#[server(prefix = "/api", endpoint = "accounts/set_factor_policy")]
pub async fn set_factor_policy(policy: FactorPolicy) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::second_factor}};
    let req = guard::permission(Permission::AccountManage).await?;
    second_factor::set_policy(&req, policy).await
}

/// A factor's name as the user types it: one line, at most 60 characters. The browser checks
/// it too, before the passkey prompt.
pub(crate) fn factor_name(name: &str) -> Result<String, Problem> {
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
    let req = guard::even_second_factor_missing().await?;
    second_factor::status(&req.state, req.actor.user_id()).await
}

#[server(prefix = "/api", endpoint = "factors/totp/begin")]
pub async fn begin_totp() -> Result<TotpEnrolment, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    second_factor::begin_totp(&req).await
}

/// Confirms the app with a first code; the first factor answers its recovery codes, once.
#[server(prefix = "/api", endpoint = "factors/totp/confirm")]
pub async fn confirm_totp(code: String, name: String) -> Result<Option<Vec<String>>, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let name = factor_name(&name).map_err(|problem| AppError::field("name", problem))?;
    if code.trim().is_empty() {
        return Err(AppError::field("code", Problem::Required));
    }
    second_factor::confirm_totp(&req, code.trim(), &name).await
}

#[server(prefix = "/api", endpoint = "factors/totp/rename")]
pub async fn rename_totp(name: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let name = factor_name(&name).map_err(|problem| AppError::field("name", problem))?;
    second_factor::rename_totp(&req, &name).await
}

#[server(prefix = "/api", endpoint = "factors/totp/remove")]
pub async fn remove_totp(password: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let password = Password::attempt(&password).map_err(|problem| AppError::field("password", problem))?;
    second_factor::remove_totp(&req, password).await
}

/// A new set of recovery codes (the old set dies), shown once.
#[server(prefix = "/api", endpoint = "factors/recovery/regenerate")]
pub async fn regenerate_recovery_codes(password: String) -> Result<Vec<String>, AppError> {
    use crate::ssr::{guard, services::second_factor};
    let req = guard::even_second_factor_missing().await?;
    let password = Password::attempt(&password).map_err(|problem| AppError::field("password", problem))?;
    second_factor::regenerate_recovery_codes(&req, password).await
}
