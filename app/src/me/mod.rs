//! Self-service (SPEC F10): what users do for themselves. So far: their open sessions.

mod sessions;

pub use sessions::MySessionsPage;

use crate::{error::AppError, session::SessionSummary};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "me/sessions")]
pub async fn list_my_sessions() -> Result<Vec<SessionSummary>, AppError> {
    use crate::ssr::{guard, services::me};
    let (caller, actor) = guard::signed_in().await?;
    me::list_sessions(&caller.state, &actor).await
}

#[server(prefix = "/api", endpoint = "me/end_session")]
pub async fn end_my_session(session_id: i64) -> Result<(), AppError> {
    use crate::ssr::{guard, services::me};
    let (caller, actor) = guard::signed_in().await?;
    me::end_session(&caller.state, &caller.client, &actor, session_id).await
}

#[server(prefix = "/api", endpoint = "me/end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::{guard, services::me};
    let (caller, actor) = guard::signed_in().await?;
    me::end_other_sessions(&caller.state, &caller.client, &actor).await
}
