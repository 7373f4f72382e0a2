//! Self-service on one's own sessions (F10).

use crate::{
    auth::known_locale,
    domain::{PersonName, SessionId},
    error::{AppError, FieldErrors},
    me::Profile,
    session::SessionSummary,
    ssr::{audit::AuditEvent, guard::Request, now, sessions},
};
use serde_json::json;

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn list_sessions(req: &Request) -> Result<Vec<SessionSummary>, AppError> {
    let Request { state, actor, .. } = req;
    sessions::list_for_user(&state.db, actor.user_id(), actor.session_id).await
}

/// Ends one of the actor's own sessions. Another user's session id finds nothing: the
/// `user_id` condition is in the SQL.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn end_session(req: &Request, session_id: SessionId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(session_id)
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    if ended.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    AuditEvent::about_self("user.session_ended", &client.ip, actor)
        .details(json!({ "session_id": session_id }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// "Sign out everywhere else": every session of the actor but the current one ends.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn end_other_sessions(req: &Request) -> Result<u64, AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let ended = sessions::end_all_for_user(&mut tx, actor.user_id(), Some(actor.session_id)).await?;
    AuditEvent::about_self("user.other_sessions_ended", &client.ip, actor)
        .details(json!({ "ended": ended }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(ended)
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn profile(req: &Request) -> Result<Profile, AppError> {
    let Request { state, actor, .. } = req;
    let (first_name, last_name, locale, news, alerts): (String, String, String, i64, i64) = sqlx::query_as(
        "SELECT first_name, last_name, locale, subscribe_news, subscribe_alerts FROM users WHERE id = $1",
    )
    .bind(actor.user_id().0)
    .fetch_one(&state.db.pool)
    .await?;
    Ok(Profile { first_name, last_name, locale, subscribe_news: news == 1, subscribe_alerts: alerts == 1 })
}

/// Saves the actor's names, language and subscriptions; returns the language stored.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn update_profile(req: &Request, profile: &Profile) -> Result<&'static str, AppError> {
    let Request { state, client, actor } = req;
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", PersonName::parse(&profile.first_name));
    let last = errors.check("last_name", PersonName::parse(&profile.last_name));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(errors.into_error());
    };
    let locale = known_locale(&profile.locale);
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET first_name = $1, last_name = $2, locale = $3, subscribe_news = $4, subscribe_alerts = $5 WHERE id = $6",
    )
    .bind(first.as_str())
    .bind(last.as_str())
    .bind(locale)
    .bind(i64::from(profile.subscribe_news))
    .bind(i64::from(profile.subscribe_alerts))
    .bind(actor.user_id().0)
    .execute(&mut *tx)
    .await?;
    AuditEvent::about_self("user.profile_updated", &client.ip, actor)
        .details(json!({ "locale": locale, "news": profile.subscribe_news, "alerts": profile.subscribe_alerts }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(locale)
}
