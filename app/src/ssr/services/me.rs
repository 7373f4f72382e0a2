//! Self-service on one's own sessions (F10).

use crate::{
    error::AppError,
    session::SessionSummary,
    ssr::{AppState, audit::AuditEvent, db::db_error, guard::{Actor, ClientInfo}, now, sessions},
};
use serde_json::json;

pub async fn list_sessions(state: &AppState, actor: &Actor) -> Result<Vec<SessionSummary>, AppError> {
    sessions::list_for_user(&state.db, actor.user_id, actor.session_id).await
}

/// Ends one of the actor's own sessions. Another user's session id finds nothing: the
/// `user_id` condition is in the SQL.
pub async fn end_session(state: &AppState, client: &ClientInfo, actor: &Actor, session_id: i64) -> Result<(), AppError> {
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(session_id)
        .bind(actor.user_id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if ended.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    AuditEvent::about_self("user.session_ended", &client.ip, actor)
        .details(json!({ "session_id": session_id }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await.map_err(db_error)
}

/// "Sign out everywhere else": every session of the actor but the current one ends.
pub async fn end_other_sessions(state: &AppState, client: &ClientInfo, actor: &Actor) -> Result<u64, AppError> {
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let ended = sessions::end_all_for_user(&mut tx, actor.user_id, Some(actor.session_id)).await?;
    AuditEvent::about_self("user.other_sessions_ended", &client.ip, actor)
        .details(json!({ "ended": ended }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await.map_err(db_error)?;
    Ok(ended)
}
