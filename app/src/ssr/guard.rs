//! The shared authorization guard (SPEC S3). Every server function calls one of these first;
//! each resolves the caller from the request itself, never from anything the client claims.

use super::{AppState, client_address, cookies, now, sessions};
use crate::{
    domain::{AccountId, Permission, PermissionSet, SessionId, UserId},
    error::AppError,
    session::SessionInfo,
};
use axum::extract::ConnectInfo;
use http::{header, request::Parts};
use leptos::prelude::use_context;
use std::net::SocketAddr;

/// Who is behind a valid session: its id, and the session as the pages see it, from which
/// everything the guard decides on is read.
#[derive(Debug, Clone)]
pub struct Actor {
    pub session_id: SessionId,
    pub info: SessionInfo,
}

impl Actor {
    pub fn user_id(&self) -> UserId {
        self.info.user_id
    }

    /// The account acted on: the user's own, or the customer a partner staff member acts for.
    /// Every query is scoped to it.
    pub fn account_id(&self) -> Option<AccountId> {
        self.info.account.as_ref().map(|a| a.id)
    }

    /// The user's own account (recorded as the actor's account in audit events).
    pub fn home_account_id(&self) -> Option<AccountId> {
        self.info.home_account.as_ref().map(|a| a.id)
    }

    pub fn login_name(&self) -> &str {
        &self.info.login_name
    }

    /// Within the account acted on: the user's roles at home, or the delegated role when acting.
    pub fn permissions(&self) -> PermissionSet {
        self.info.permissions
    }

    pub fn must_change_password(&self) -> bool {
        self.info.must_change_password
    }

    /// Of the account acted on: never true while acting for a customer.
    pub fn is_primary_admin(&self) -> bool {
        self.info.is_primary_admin
    }

    /// Whether this session acts for a customer rather than the user's own account.
    pub fn is_acting(&self) -> bool {
        self.info.acting_for.is_some()
    }

    /// Acting for a customer whose link or grant is gone: refused by the guard (I5).
    pub fn delegation_ended(&self) -> bool {
        self.info.acting_for.as_ref().is_some_and(|a| a.ended)
    }

    pub fn email_verified(&self) -> bool {
        self.info.email_verified
    }
}

/// Where a request comes from, for audit events, throttling and the session list.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

/// A request the guard let through: the shared state, where it comes from and who makes it.
/// Services take it whole rather than the three apart.
pub struct Request {
    pub state: AppState,
    pub client: ClientInfo,
    pub actor: Actor,
}

/// Any request: the shared state and the client.
pub struct Caller {
    pub state: AppState,
    pub client: ClientInfo,
    session_token: Option<String>,
    second_step_token: Option<String>,
}

/// For functions anyone may call (login, registration). Still the guard: it establishes the
/// caller and refuses when the server is misconfigured.
pub async fn public() -> Result<Caller, AppError> {
    let parts = use_context::<Parts>().ok_or_else(|| super::internal("no request parts in context"))?;
    let state = use_context::<AppState>().ok_or_else(|| super::internal("no AppState in context"))?;
    Ok(Caller::from_parts(&parts, state))
}

impl Caller {
    /// The caller of a plain axum handler (downloads), where there is no Leptos context.
    /// The client is the socket peer, or whom a trusted proxy's headers name (S8).
    pub fn from_parts(parts: &Parts, state: AppState) -> Self {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| {
                client_address::resolve(addr.ip(), &parts.headers, &state.settings.trusted_proxies).to_string()
            })
            .unwrap_or_default();
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect())
            .unwrap_or_default();
        let session_token = cookies::session_token(&parts.headers, state.settings.secure_cookies);
        let second_step_token = cookies::second_step_token(&parts.headers, state.settings.secure_cookies);
        Caller { state, client: ClientInfo { ip, user_agent }, session_token, second_step_token }
    }

    /// The session token the request carried, valid or not.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The token of the sign-in waiting at its second step (F15), if the browser holds one.
    pub fn second_step_token(&self) -> Option<&str> {
        self.second_step_token.as_deref()
    }

    /// The actor behind the session, if it is valid.
    pub async fn actor(&self) -> Result<Option<Actor>, AppError> {
        match &self.session_token {
            Some(token) => sessions::resolve(&self.state.db, token, &self.state.settings, now()).await,
            None => Ok(None),
        }
    }

    /// A signed-in member holding one of `permissions` in the account acted on.
    pub async fn require(self, permissions: &[Permission]) -> Result<Request, AppError> {
        let actor = self.actor().await?.ok_or(AppError::Unauthenticated)?;
        let actor = usable(actor)?;
        if actor.account_id().is_none() || !permissions.iter().any(|p| actor.permissions().contains(*p)) {
            return Err(AppError::Forbidden);
        }
        Ok(self.into_request(actor))
    }

    /// This caller as the request of `actor`, once the guard has let them through.
    pub fn into_request(self, actor: Actor) -> Request {
        Request { state: self.state, client: self.client, actor }
    }
}

/// Refuses an actor who must change their password first, whose delegated access ended, or
/// who must add a second factor first.
fn usable(actor: Actor) -> Result<Actor, AppError> {
    if actor.must_change_password() {
        return Err(AppError::PasswordChangeRequired);
    }
    if actor.delegation_ended() {
        return Err(AppError::DelegationEnded);
    }
    if actor.info.needs_second_factor {
        return Err(AppError::SecondFactorRequired);
    }
    Ok(actor)
}

/// The caller and their session, if they have a valid one. For pages that render for both.
pub async fn maybe_signed_in() -> Result<(Caller, Option<Actor>), AppError> {
    let caller = public().await?;
    let actor = caller.actor().await?;
    Ok((caller, actor))
}

/// A signed-in user whose password need not be changed first, and whose delegated access (if
/// they act for a customer) still holds. The exceptions are `even_password_change_due` and `even_delegation_ended`.
pub async fn signed_in() -> Result<Request, AppError> {
    let Request { state, client, actor } = even_delegation_ended().await?;
    Ok(Request { state, client, actor: usable(actor)? })
}

/// A signed-in user who need not change their password, even one the policy requires to add a
/// second factor first: only for managing their own factors (F15).
pub async fn even_second_factor_missing() -> Result<Request, AppError> {
    even_delegation_ended().await
}

/// A signed-in user, even one whose delegated access just ended: only for returning to their
/// own account, which is how they leave that state.
pub async fn even_delegation_ended() -> Result<Request, AppError> {
    let request = even_password_change_due().await?;
    if request.actor.must_change_password() {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(request)
}

/// A signed-in user, even one who must change their password: only for changing it (F1).
pub async fn even_password_change_due() -> Result<Request, AppError> {
    match maybe_signed_in().await? {
        (caller, Some(actor)) => Ok(caller.into_request(actor)),
        (_, None) => Err(AppError::Unauthenticated),
    }
}

/// A signed-in member of an account (or partner staff acting for one), whatever their roles.
pub async fn member() -> Result<Request, AppError> {
    let request = signed_in().await?;
    if request.actor.account_id().is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(request)
}

/// A signed-in member of an account holding `permission` there.
pub async fn permission(permission: Permission) -> Result<Request, AppError> {
    any_permission(&[permission]).await
}

/// A signed-in member of an account holding at least one of `permissions` there.
pub async fn any_permission(permissions: &[Permission]) -> Result<Request, AppError> {
    public().await?.require(permissions).await
}
