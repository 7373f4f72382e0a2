//! Self-service (SPEC F10): what users do for themselves: their profile and open sessions.

mod profile;
mod sessions;

pub use profile::ProfilePage;
pub use sessions::MySessionsPage;

use crate::{domain::SessionId, error::AppError, session::SessionSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What users edit about themselves (F10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub locale: String,
    pub subscribe_news: bool,
    pub subscribe_alerts: bool,
}

#[server(prefix = "/api", endpoint = "me/profile")]
pub async fn my_profile() -> Result<Profile, AppError> {
    use crate::ssr::{guard, services::me};
    let req = guard::signed_in().await?;
    me::profile(&req).await
}

#[server(prefix = "/api", endpoint = "me/update_profile", input = server_fn::codec::Json)]
pub async fn update_my_profile(profile: Profile) -> Result<(), AppError> {
    use crate::ssr::{cookies, guard, services::me};
    let req = guard::signed_in().await?;
    let locale = me::update_profile(&req, &profile).await?;
    cookies::set_locale(locale, req.state.settings.secure_cookies);
    Ok(())
}

#[server(prefix = "/api", endpoint = "me/sessions")]
pub async fn list_my_sessions() -> Result<Vec<SessionSummary>, AppError> {
    use crate::ssr::{guard, services::me};
    let req = guard::signed_in().await?;
    me::list_sessions(&req).await
}

#[server(prefix = "/api", endpoint = "me/end_session")]
pub async fn end_my_session(session_id: SessionId) -> Result<(), AppError> {
    use crate::ssr::{guard, services::me};
    let req = guard::signed_in().await?;
    me::end_session(&req, session_id).await
}

#[server(prefix = "/api", endpoint = "me/end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::{guard, services::me};
    let req = guard::signed_in().await?;
    me::end_other_sessions(&req).await
}
