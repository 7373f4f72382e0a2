//! Who is signed in, as the pages see it: the shared types, the server function that reads
//! the session, and the context every page uses.

use crate::{
    domain::{AccountId, PermissionSet, SessionId, UserId},
    error::AppError,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub name: String,
    pub partner_id: String,
}

/// The signed-in user as the UI shows them. Display only: every server function decides
/// again from the session itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub locale: String,
    pub account: Option<AccountSummary>,
    pub permissions: PermissionSet,
    pub is_primary_admin: bool,
    pub must_change_password: bool,
    /// The account's policy (or acting for a customer) requires a second factor the user has
    /// not added yet: every page leads to the security page until then (F15).
    pub needs_second_factor: bool,
    pub email_verified: bool,
    /// The user's own account. `account` is the one acted on: the same, or a customer's.
    pub home_account: Option<AccountSummary>,
    /// The default language of the account acted on: new users of it start with it (F2).
    pub account_locale: String,
    /// Set while partner staff act for a customer (F7): every page shows it.
    pub acting_for: Option<ActingFor>,
    /// The customers the user may act for (the header's account picker). Only the answer of
    /// `session/current` fills it: the guard has no use for it.
    pub customers: Vec<crate::partners::CustomerChoice>,
}

#[cfg(test)]
impl SessionInfo {
    /// A verified user with `permissions` and no account, for unit tests to adjust.
    pub fn sample(user_id: UserId, permissions: PermissionSet) -> Self {
        Self {
            user_id,
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            login_name: format!("user{user_id}"),
            email: format!("user{user_id}@example.com"),
            locale: "en".into(),
            account: None,
            permissions,
            is_primary_admin: false,
            must_change_password: false,
            needs_second_factor: false,
            email_verified: true,
            home_account: None,
            account_locale: "en".into(),
            acting_for: None,
            customers: Vec::new(),
        }
    }
}

/// The customer a partner staff member acts for, and whether that access has just ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActingFor {
    pub customer: AccountSummary,
    /// The link or grant was revoked: every call is refused until the user returns home.
    pub ended: bool,
}

/// One open session in the user's own list (F10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: SessionId,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub client_ip: String,
    pub user_agent: String,
    pub current: bool,
}

/// The caller's session, or `None` when signed out. Answers even while a password change is
/// pending, so the UI can send the user to that form.
#[server(prefix = "/api", endpoint = "session/current")]
pub async fn get_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::ssr::{guard, services::partners};
    let (caller, actor) = guard::maybe_signed_in().await?;
    let Some(actor) = actor else { return Ok(None) };
    let req = caller.into_request(actor);
    let customers = if req.actor.must_change_password() { Vec::new() } else { partners::acting::my_customers(&req).await? };
    Ok(Some(SessionInfo { customers, ..req.actor.info }))
}

/// The session resource shared by the header and every page.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub resource: Resource<Result<Option<SessionInfo>, AppError>>,
}

impl SessionContext {
    /// The signed-in user, once loaded (reactive).
    pub fn user(&self) -> Option<SessionInfo> {
        self.resource.get().and_then(Result::ok).flatten()
    }

    /// Reads the session again after signing in or out.
    pub fn refresh(&self) {
        self.resource.refetch();
    }
}

pub fn provide_session() {
    provide_context(SessionContext { resource: Resource::new(|| (), |_| get_session()) });
}

pub fn use_session() -> SessionContext {
    expect_context()
}
