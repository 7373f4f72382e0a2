//! Accounts (SPEC F2): creating one, and the home page of its members.

mod create;
mod factor_policy;
mod home;
mod settings;

pub use create::CreateAccountPage;
pub use home::HomePage;
pub use settings::AccountPage;

use crate::{error::AppError, session::AccountSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The account's details as its members see them (F2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub name: String,
    pub partner_id: String,
    pub contact_email: String,
    pub default_locale: String,
    /// Members who have joined (invitations not yet accepted are not counted).
    pub members: i64,
    /// Whom the account requires a second factor of (F15).
    pub factor_policy: crate::second_factor::FactorPolicy,
}

/// A signed-in user without an account creates one and becomes its primary administrator.
#[server(prefix = "/api", endpoint = "accounts/create")]
pub async fn create_account(account_name: String) -> Result<AccountSummary, AppError> {
    use crate::{domain::AccountName, error::FieldErrors, ssr::{guard, services::accounts}};
    let req = guard::signed_in().await?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("account_name", AccountName::parse(&account_name)) else {
        return Err(errors.into_error());
    };
    accounts::create::create_account(&req, name).await
}

/// The account acted on: name, Partner ID, contact, default language, member count.
#[server(prefix = "/api", endpoint = "accounts/details")]
pub async fn get_account_details() -> Result<AccountDetails, AppError> {
    use crate::ssr::{guard, services::accounts};
    let req = guard::member().await?;
    accounts::membership::details(&req).await
}

#[server(prefix = "/api", endpoint = "accounts/update_details")]
pub async fn update_account_details(name: String, contact_email: String, default_locale: String) -> Result<(), AppError> {
    use crate::{domain::{AccountName, Email, Permission}, error::FieldErrors, ssr::{guard, services::accounts}};
    let req = guard::permission(Permission::AccountManage).await?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", AccountName::parse(&name));
    let contact = errors.check("contact_email", match contact_email.trim() {
        "" => Ok(None),
        text => Email::parse(text).map(Some),
    });
    let (Some(name), Some(contact_email)) = (name, contact) else { return Err(errors.into_error()) };
    let new = accounts::membership::NewDetails { name, contact_email, default_locale: crate::auth::known_locale(&default_locale) };
    accounts::membership::update_details(&req, new).await
}

/// The secret key that lets people join the account.
#[server(prefix = "/api", endpoint = "accounts/key")]
pub async fn get_account_key() -> Result<String, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::accounts}};
    let req = guard::permission(Permission::AccountManage).await?;
    accounts::membership::account_key(&req).await
}

/// A new key; the old one stops working at once. Returns the new key.
#[server(prefix = "/api", endpoint = "accounts/regenerate_key")]
pub async fn regenerate_account_key() -> Result<String, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::accounts}};
    let req = guard::permission(Permission::AccountManage).await?;
    accounts::membership::regenerate_key(&req).await
}

/// Joins the account with this key (Member role). A member of another account changes
/// account in the same step: they leave it, and their roles there are dropped.
#[server(prefix = "/api", endpoint = "accounts/join")]
pub async fn join_account(account_key: String) -> Result<AccountSummary, AppError> {
    use crate::{domain::AccountKey, ssr::{guard, services::accounts}};
    let req = guard::signed_in().await?;
    let key = AccountKey::parse(&account_key).map_err(|p| AppError::field("account_key", p))?;
    accounts::membership::join_by_key(&req, key).await
}

#[server(prefix = "/api", endpoint = "accounts/leave")]
pub async fn leave_account() -> Result<(), AppError> {
    use crate::ssr::{guard, services::accounts};
    let req = guard::member().await?;
    accounts::membership::leave(&req).await
}

/// The primary administrator, alone in the account, closes it.
#[server(prefix = "/api", endpoint = "accounts/close")]
pub async fn close_account() -> Result<(), AppError> {
    use crate::ssr::{guard, services::accounts};
    let req = guard::member().await?;
    accounts::membership::close(&req).await
}

/// The dashboard (F11) of the account acted on; each part only for those who may see it.
#[server(prefix = "/api", endpoint = "dashboard/summary")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    use crate::ssr::{guard, services::accounts};
    let req = guard::member().await?;
    accounts::dashboard::summary(&req).await
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// With `users.view`.
    pub counts: Option<MemberCounts>,
    /// With `partners.view`: invitations waiting for an answer, both ways.
    pub pending_links: Option<Vec<crate::partners::PartnerLink>>,
    /// With `audit.view`.
    pub recent_events: Option<Vec<crate::audit::AuditEntry>>,
    /// Companies that joined the platform lately.
    pub news: Vec<NewsItem>,
    /// What needs attention soon, for those who can act on it.
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCounts {
    pub members: i64,
    pub locked: i64,
    pub invited: i64,
    /// Members who administer something (F15's "administrators") without a second factor.
    pub admins_without_factor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsItem {
    pub name: String,
    pub partner_id: String,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alert {
    InvitationExpiring { email: String, expires_at: i64 },
    PartnerInvitationExpiring { other: String, expires_at: i64 },
}
