//! Server functions that change users (F3, F4, F6) and the types they exchange. Each starts
//! with the guard; the rules live in `ssr::services::users`.

use super::{UserFilter, UserStatus};
use crate::{
    auth::known_locale,
    domain::{Email, LoginName, Password, PersonName, RoleId, UserId},
    error::{AppError, FieldErrors, Refusal},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Most users one request may name explicitly; larger selections use `Selection::Matching`.
pub const MAX_EXPLICIT_SELECTION: usize = 1000;

/// A user as the edit form shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub locale: String,
    pub subscribe_news: bool,
    pub subscribe_alerts: bool,
    pub role_ids: Vec<RoleId>,
    pub status: UserStatus,
    pub is_primary_admin: bool,
}

/// How a new user gets in (F3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// The administrator sets an initial password; the user must change it at first login.
    Password,
    /// An e-mail with a single-use link where the user sets names and password.
    Invitation,
}

/// The create and edit forms. On edit an empty `password` keeps the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserForm {
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub locale: String,
    pub subscribe_news: bool,
    pub subscribe_alerts: bool,
    pub role_ids: Vec<RoleId>,
    pub password: String,
}

/// A user form whose every field parsed: what the service receives. `password` is `None`
/// when not given (an invitation, or an edit keeping it).
#[derive(Debug, Clone)]
pub struct ParsedUser {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub login_name: LoginName,
    pub email: Email,
    pub locale: &'static str,
    pub password: Option<Password>,
    pub role_ids: Vec<RoleId>,
    pub subscribe_news: bool,
    pub subscribe_alerts: bool,
}

impl UserForm {
    /// Every field's problem at once, each beside its field.
    pub fn parse(&self, password_required: bool) -> Result<ParsedUser, AppError> {
        let mut errors = FieldErrors::default();
        let first = errors.check("first_name", PersonName::parse(&self.first_name));
        let last = errors.check("last_name", PersonName::parse(&self.last_name));
        let login = errors.check("login_name", LoginName::parse(&self.login_name));
        let email = errors.check("email", Email::parse(&self.email));
        let password = if password_required || !self.password.is_empty() {
            errors.check("password", Password::choose(&self.password, &[&self.login_name, &self.email])).map(Some)
        } else {
            Some(None)
        };
        match (first, last, login, email, password) {
            (Some(first_name), Some(last_name), Some(login_name), Some(email), Some(password)) => Ok(ParsedUser {
                first_name,
                last_name,
                login_name,
                email,
                locale: known_locale(&self.locale),
                password,
                role_ids: self.role_ids.clone(),
                subscribe_news: self.subscribe_news,
                subscribe_alerts: self.subscribe_alerts,
            }),
            _ => Err(errors.into_error()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    Lock,
    Unlock,
    ForceLogout,
    Delete,
}

/// Which users a bulk action applies to: checked rows, or every user matching a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    Users(Vec<UserId>),
    Matching(UserFilter),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub login_name: String,
    pub reason: Refusal,
}

/// What a bulk action did: how many users it changed, and who it left alone and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub action: BulkAction,
    pub done: u64,
    pub skipped: Vec<Skipped>,
}

/// An invitation not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub user_id: UserId,
    pub email: String,
    pub login_name: String,
    pub invited_at: i64,
    pub expires_at: i64,
    /// Decided by the server's clock; an expired invitation can be resent.
    pub expired: bool,
}

#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: UserId) -> Result<UserDetails, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersView).await?;
    users::edit::details(&req, id).await
}

#[server(prefix = "/api", endpoint = "users/create", input = server_fn::codec::Json)]
pub async fn create_user(form: UserForm, delivery: Delivery) -> Result<UserId, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::edit::create(&req, form.parse(delivery == Delivery::Password)?, delivery).await
}

#[server(prefix = "/api", endpoint = "users/update", input = server_fn::codec::Json)]
pub async fn update_user(id: UserId, form: UserForm) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::edit::update(&req, id, form.parse(false)?).await
}

#[server(prefix = "/api", endpoint = "users/bulk", input = server_fn::codec::Json)]
pub async fn run_bulk_action(action: BulkAction, selection: Selection) -> Result<BulkOutcome, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::bulk::run(&req, action, &selection).await
}

/// What `users/bulk` would do with this selection now, without doing it (the confirmation).
#[server(prefix = "/api", endpoint = "users/bulk_preview", input = server_fn::codec::Json)]
pub async fn preview_bulk_action(action: BulkAction, selection: Selection) -> Result<BulkOutcome, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::bulk::preview(&req, action, &selection).await
}

#[server(prefix = "/api", endpoint = "users/reset_password")]
pub async fn reset_password(id: UserId) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::auth}};
    let req = guard::permission(Permission::UsersManage).await?;
    auth::recovery::reset_by_admin(&req, id).await
}

/// F15: removes a member's authenticator app and recovery codes (they lost their phone).
#[server(prefix = "/api", endpoint = "users/reset_factors")]
pub async fn reset_factors(id: UserId) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::second_factor}};
    let req = guard::permission(Permission::UsersManage).await?;
    second_factor::reset_by_admin(&req, id).await
}

/// F6: only the primary administrator calls this; the guard only requires membership and the
/// service checks the rest inside its transaction.
#[server(prefix = "/api", endpoint = "users/make_primary")]
pub async fn make_primary(id: UserId) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::edit::make_primary(&req, id).await
}

#[server(prefix = "/api", endpoint = "invitations/list")]
pub async fn pending_invitations() -> Result<Vec<PendingInvitation>, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersView).await?;
    users::invitations::pending(&req).await
}

#[server(prefix = "/api", endpoint = "invitations/resend")]
pub async fn resend_invitation(id: UserId) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::invitations::resend(&req, id).await
}

#[server(prefix = "/api", endpoint = "invitations/cancel")]
pub async fn cancel_invitation(id: UserId) -> Result<(), AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::invitations::cancel(&req, id).await
}
