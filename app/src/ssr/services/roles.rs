//! The role catalogue of an account (F5): built-in roles (read-only, shared) and the account's
//! custom roles. Nobody creates or changes a role to carry a permission they do not hold.

use crate::ssr::services::rules;
use crate::{
    domain::{BuiltInRole, PermissionSet, RoleId},
    error::{AppError, FieldError, Problem, Refusal},
    roles::{ParsedRole, RoleInfo},
    ssr::{audit::AuditEvent, guard::Request, now},
};
use serde_json::json;

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: RoleId,
    name: String,
    description: String,
    builtin_key: Option<BuiltInRole>,
    permissions: i64,
    holders: i64,
}

/// Built-in roles first (in their fixed order), then custom roles by name.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn list(req: &Request) -> Result<Vec<RoleInfo>, AppError> {
    let Request { state, actor, .. } = req;
    let account = rules::account_of(actor)?;
    let rows: Vec<RoleRow> = sqlx::query_as(
        "SELECT r.id, r.name, r.description, r.builtin_key, r.permissions,
                (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = r.id AND ur.account_id = $1) AS holders
         FROM roles r WHERE r.account_id IS NULL OR r.account_id = $1
         ORDER BY CASE WHEN r.account_id IS NULL THEN 0 ELSE 1 END, CASE WHEN r.account_id IS NULL THEN r.id ELSE 0 END, lower(r.name)",
    )
    .bind(account.0)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RoleInfo {
            id: r.id,
            name: r.name,
            description: r.description,
            builtin_key: r.builtin_key,
            permissions: PermissionSet::from_bits(r.permissions),
            holders: r.holders,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn save(req: &Request, id: Option<RoleId>, role: ParsedRole) -> Result<RoleId, AppError> {
    let Request { state, client, actor } = req;
    let ParsedRole { name, description, permissions } = role;
    let account = rules::account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let before = match id {
        Some(id) => {
            let existing: Option<(Option<i64>, i64)> =
                sqlx::query_as("SELECT account_id, permissions FROM roles WHERE id = $1 AND (account_id IS NULL OR account_id = $2)")
                    .bind(id)
                    .bind(account.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                None => return Err(AppError::NotFound),
                Some((None, _)) => return Err(AppError::Refused(Refusal::BuiltInRole)),
                Some((Some(_), bits)) => PermissionSet::from_bits(bits),
            }
        }
        None => PermissionSet::EMPTY,
    };
    // Every permission added or removed must be one the actor holds.
    let changed = PermissionSet::from_bits(before.bits() ^ permissions.bits());
    if !changed.is_subset_of(actor.permissions()) {
        return Err(AppError::Refused(Refusal::NotGrantable));
    }
    let name_taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roles WHERE account_id = $1 AND lower(name) = lower($2) AND id <> $3")
        .bind(account.0)
        .bind(name.as_str())
        .bind(id.unwrap_or(RoleId(0)))
        .fetch_one(&mut *tx)
        .await?;
    if name_taken > 0 {
        return Err(AppError::Conflict(FieldError::new("name", Problem::RoleNameTaken)));
    }
    let role_id = match id {
        Some(id) => {
            sqlx::query("UPDATE roles SET name = $1, description = $2, permissions = $3 WHERE id = $4 AND account_id = $5")
                .bind(name.as_str())
                .bind(description.as_str())
                .bind(permissions.bits())
                .bind(id)
                .bind(account.0)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => sqlx::query_scalar(
            "INSERT INTO roles (account_id, name, description, permissions, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account.0)
        .bind(name.as_str())
        .bind(description.as_str())
        .bind(permissions.bits())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?,
    };
    AuditEvent::by(if id.is_some() { "role.updated" } else { "role.created" }, &client.ip, actor)
        .details(json!({
            "role_id": role_id,
            "name": name.as_str(),
            "permissions": permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(role_id)
}

/// Deletes a custom role of the account. Removing a role from its holders is a change of their
/// permissions, so it follows the same no-escalation rule as editing it.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn delete(req: &Request, id: RoleId) -> Result<i64, AppError> {
    let Request { state, client, actor } = req;
    let account = rules::account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let existing: Option<(Option<i64>, String, i64)> =
        sqlx::query_as("SELECT account_id, name, permissions FROM roles WHERE id = $1 AND (account_id IS NULL OR account_id = $2)")
            .bind(id)
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await?;
    let (name, bits) = match existing {
        None => return Err(AppError::NotFound),
        Some((None, _, _)) => return Err(AppError::Refused(Refusal::BuiltInRole)),
        Some((Some(_), name, bits)) => (name, bits),
    };
    if !PermissionSet::from_bits(bits).is_subset_of(actor.permissions()) {
        return Err(AppError::Refused(Refusal::NotGrantable));
    }
    let holders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_roles WHERE role_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM roles WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
    AuditEvent::by("role.deleted", &client.ip, actor)
        .details(json!({ "role_id": id, "name": name, "holders": holders }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(holders)
}
