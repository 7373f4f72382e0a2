//! Accounts (SPEC F2): creating one, and the home page of its members.

mod create;
mod home;

pub use create::CreateAccountPage;
pub use home::HomePage;

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
}

/// A signed-in user without an account creates one and becomes its primary administrator.
#[server(prefix = "/api", endpoint = "accounts/create")]
pub async fn create_account(account_name: String) -> Result<AccountSummary, AppError> {
    use crate::{domain::AccountName, error::FieldErrors, ssr::{guard, services::accounts}};
    let (caller, actor) = guard::signed_in().await?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("account_name", AccountName::parse(&account_name)) else {
        return Err(errors.into_error());
    };
    accounts::create_account(&caller.state, &caller.client, &actor, name).await
}
