//! Bulk lock, unlock, force logout and delete (F4), also used for the single-row actions so
//! both follow the same rules. One transaction (I7): everything the outcome reports as done
//! happened, or nothing did. Work is set-based, in chunks of ids, so 10,000 users take one
//! transaction of a few dozen statements (P3).

use crate::ssr::{
    services::{rules::{self, TARGET_COLUMNS, TargetRow}, users::list::matching},
    sql::{BINDS_PER_STATEMENT, Conditions, Sql},
};
use crate::{
    domain::UserId,
    error::{AppError, Problem, Refusal},
    ssr::{AppState, audit::AuditEvent, guard::{Actor, Request}, now},
    users::{BulkAction, BulkOutcome, MAX_EXPLICIT_SELECTION, Selection, Skipped},
};
use serde_json::json;
use sqlx::AnyConnection;

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn run(
    req: &Request,
    action: BulkAction,
    selection: &Selection,
) -> Result<BulkOutcome, AppError> {
    let Request { state, client, actor } = req;
    let conditions = conditions_of(state, actor, selection)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let (chosen, skipped) = plan(&mut tx, actor, &conditions).await?;
    for chunk in chosen.chunks(BINDS_PER_STATEMENT) {
        apply(&mut tx, action, chunk, now).await?;
        let events: Vec<AuditEvent> = chunk
            .iter()
            .map(|target| {
                AuditEvent::by(action_name(action), &client.ip, actor)
                    .target_user(UserId(target.id), &target.login_name)
                    .details(snapshot(action, target))
            })
            .collect();
        AuditEvent::record_many(&mut tx, events, now).await?;
    }
    tx.commit().await?;
    Ok(BulkOutcome { action, done: chosen.len() as u64, skipped })
}

/// What `run` would do now, changing nothing: the confirmation dialog says it before the
/// administrator agrees (who would be changed, who skipped and why). `run` decides again.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn preview(req: &Request, action: BulkAction, selection: &Selection) -> Result<BulkOutcome, AppError> {
    let Request { state, actor, .. } = req;
    let conditions = conditions_of(state, actor, selection)?;
    let mut tx = state.db.begin_write().await?;
    let (chosen, skipped) = plan(&mut tx, actor, &conditions).await?;
    tx.rollback().await?;
    Ok(BulkOutcome { action, done: chosen.len() as u64, skipped })
}

fn conditions_of(state: &AppState, actor: &Actor, selection: &Selection) -> Result<Conditions, AppError> {
    let account = rules::account_of(actor)?;
    Ok(match selection {
        Selection::Users(ids) if ids.len() > MAX_EXPLICIT_SELECTION => {
            return Err(AppError::field("selection", Problem::TooMany));
        }
        Selection::Users(ids) => {
            let mut conditions = matching(state.db.backend, account, &Default::default());
            conditions.add_in("u.id", ids.iter().copied());
            conditions
        }
        Selection::Matching(filter) => matching(state.db.backend, account, filter),
    })
}

/// The selected users split into those the actor may change and those skipped, with why.
async fn plan(tx: &mut AnyConnection, actor: &Actor, conditions: &Conditions) -> Result<(Vec<TargetRow>, Vec<Skipped>), AppError> {
    let candidates = select(tx, conditions).await?;
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    let held = rules::permissions_of(tx, &ids).await?;
    let mut skipped = Vec::new();
    let mut chosen = Vec::new();
    for target in candidates {
        let refusal = if target.id == actor.user_id().0 {
            Some(Refusal::Yourself)
        } else {
            rules::may_manage(actor, &target, held.get(&target.id).copied().unwrap_or_default()).err()
        };
        match refusal {
            Some(reason) => skipped.push(Skipped { login_name: target.login_name, reason }),
            None => chosen.push(target),
        }
    }
    Ok((chosen, skipped))
}

async fn select(conn: &mut AnyConnection, conditions: &Conditions) -> Result<Vec<TargetRow>, AppError> {
    // Locked in id order, as a transfer of the primary administrator role locks its two rows.
    let mut sql = Sql::new(&format!("SELECT {TARGET_COLUMNS} FROM users u WHERE "));
    sql.push_conditions(conditions).push(" ORDER BY u.id").push(rules::lock_rows(conn));
    sql.query_as().fetch_all(conn).await.map_err(AppError::from)
}

/// The change itself, for one chunk of users. Besides the row locks taken by `select`, each
/// statement repeats the I4 condition (`is_primary_admin = 0`): the primary administrator is
/// never touched, whatever ran concurrently.
async fn apply(conn: &mut AnyConnection, action: BulkAction, targets: &[TargetRow], now: i64) -> Result<(), AppError> {
    // `start` (ids…) `end`, the ids bound.
    let with_ids = |mut sql: Sql, end: &str| {
        sql.push_binds(targets.iter().map(|t| t.id)).push(end);
        sql
    };
    let end_sessions = || with_ids(Sql::new("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE id IN ("), ") AND is_primary_admin = 0)");
    let statements = match action {
        BulkAction::ForceLogout => vec![end_sessions()],
        BulkAction::Lock => {
            let mut lock = Sql::new("UPDATE users SET locked_at = ");
            lock.push_bind(now).push(" WHERE id IN (");
            vec![with_ids(lock, ") AND locked_at IS NULL AND is_primary_admin = 0"), end_sessions()]
        }
        BulkAction::Unlock => vec![with_ids(Sql::new("UPDATE users SET locked_at = NULL WHERE id IN ("), ") AND is_primary_admin = 0")],
        // Roles, sessions and pending links go with the user (ON DELETE CASCADE).
        BulkAction::Delete => vec![with_ids(Sql::new("DELETE FROM users WHERE id IN ("), ") AND is_primary_admin = 0")],
    };
    for statement in statements {
        statement.query().execute(&mut *conn).await?;
    }
    Ok(())
}

fn action_name(action: BulkAction) -> &'static str {
    match action {
        BulkAction::Lock => "user.locked",
        BulkAction::Unlock => "user.unlocked",
        BulkAction::ForceLogout => "user.logged_out_by_admin",
        BulkAction::Delete => "user.deleted",
    }
}

/// A deleted user's audit events keep who they were (F4 delete).
fn snapshot(action: BulkAction, target: &TargetRow) -> serde_json::Value {
    match action {
        BulkAction::Delete => json!({
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": target.email,
        }),
        _ => json!({}),
    }
}
