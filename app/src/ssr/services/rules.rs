//! Who may act on whom (I4, F4's last rule, F5's no escalation), shared by the single-user
//! actions, the bulk actions and the role forms. Everything here reads inside the caller's
//! transaction and is scoped to the actor's account in SQL: a user or role of another account
//! is simply not found.

use crate::{
    domain::{AccountId, BuiltInRole, PermissionSet, RoleId, UserId},
    error::{AppError, Problem, Refusal},
    ssr::{sql::{BINDS_PER_STATEMENT, placeholders}, guard::Actor},
};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A user of the actor's account, as the rules see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub locale: String,
    pub is_primary_admin: i64,
    pub locked: i64,
    pub invited: i64,
}

pub const TARGET_COLUMNS: &str = "u.id, u.first_name, u.last_name, u.login_name, u.email, u.locale, u.is_primary_admin,
    CASE WHEN u.locked_at IS NULL THEN 0 ELSE 1 END AS locked,
    CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END AS invited";

pub fn account_of(actor: &Actor) -> Result<AccountId, AppError> {
    actor.account_id().ok_or(AppError::Forbidden)
}

/// `FOR UPDATE` on PostgreSQL, where a row read to decide a change must stay as read until
/// the change commits (a concurrent transfer of the primary administrator role waits, I4).
/// SQLite needs nothing: a write transaction there holds the one write lock from its start.
pub fn lock_rows(conn: &AnyConnection) -> &'static str {
    if conn.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" }
}

/// The user `id` of the actor's account, or `NotFound`. The row stays locked until the
/// caller's transaction ends.
#[tracing::instrument(skip_all)]
pub async fn target(conn: &mut AnyConnection, actor: &Actor, id: UserId) -> Result<TargetRow, AppError> {
    let account = account_of(actor)?;
    let sql = format!("SELECT {TARGET_COLUMNS} FROM users u WHERE u.id = $1 AND u.account_id = $2{}", lock_rows(conn));
    sqlx::query_as(&sql)
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// The permissions each listed user holds through their roles, in one query per 500 users.
#[tracing::instrument(skip_all)]
pub async fn permissions_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, PermissionSet>, AppError> {
    let mut held: HashMap<i64, PermissionSet> = HashMap::new();
    for chunk in ids.chunks(BINDS_PER_STATEMENT) {
        let sql = format!(
            "SELECT ur.user_id, r.permissions FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (user, bits) in query.fetch_all(&mut *conn).await? {
            let entry = held.entry(user).or_default();
            *entry = entry.union(PermissionSet::from_bits(bits));
        }
    }
    Ok(held)
}

/// Whether the actor may change `target` at all (edit, reset, lock, log out, delete):
/// never the primary administrator unless it is themself (I4), never someone holding a
/// permission the actor lacks (that would let a user manager disable an administrator).
pub fn may_manage(actor: &Actor, target: &TargetRow, target_permissions: PermissionSet) -> Result<(), Refusal> {
    if target.id == actor.user_id().0 {
        return Ok(());
    }
    if target.is_primary_admin == 1 {
        return Err(Refusal::PrimaryAdministrator);
    }
    if !target_permissions.is_subset_of(actor.permissions()) {
        return Err(Refusal::OutranksYou);
    }
    Ok(())
}

/// An administrator's reset of someone's password or second factor: never of themself (they
/// have their own forms), never by partner staff for a customer's people (S9).
pub fn may_reset(actor: &Actor, id: UserId) -> Result<(), AppError> {
    if id == actor.user_id() {
        return Err(AppError::Refused(Refusal::Yourself));
    }
    if actor.is_acting() {
        return Err(AppError::Refused(Refusal::WhileActingForCustomer));
    }
    Ok(())
}

/// A role the actor's account may assign: its id, permissions and built-in key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignableRole {
    pub id: RoleId,
    pub permissions: i64,
    pub builtin_key: Option<BuiltInRole>,
}

/// The roles of `ids` visible to the account (built-in or its own). An id that is neither is
/// a field error, not a silent drop.
#[tracing::instrument(skip_all)]
pub async fn assignable_roles(conn: &mut AnyConnection, account: AccountId, ids: &[RoleId]) -> Result<Vec<AssignableRole>, AppError> {
    if ids.len() > 100 {
        return Err(AppError::field("role_ids", Problem::TooMany));
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, permissions, builtin_key FROM roles
         WHERE id IN ({}) AND (account_id IS NULL OR account_id = $1)",
        placeholders(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, AssignableRole>(&sql).bind(account.0);
    for id in &ids {
        query = query.bind(*id);
    }
    let roles = query.fetch_all(conn).await?;
    if roles.len() != ids.len() {
        return Err(AppError::field("role_ids", Problem::UnknownRole));
    }
    Ok(roles)
}

/// No escalation (F5): every role added or removed must carry only permissions the actor holds.
pub fn check_role_change(actor: &Actor, before: &[AssignableRole], after: &[AssignableRole]) -> Result<(), AppError> {
    let changed = after
        .iter()
        .filter(|r| !before.iter().any(|b| b.id == r.id))
        .chain(before.iter().filter(|b| !after.iter().any(|r| r.id == b.id)));
    for role in changed {
        if !PermissionSet::from_bits(role.permissions).is_subset_of(actor.permissions()) {
            return Err(AppError::Refused(Refusal::NotGrantable));
        }
    }
    Ok(())
}

/// The roles `user` holds now, as assignable roles.
#[tracing::instrument(skip_all)]
pub async fn roles_held(conn: &mut AnyConnection, user: UserId) -> Result<Vec<AssignableRole>, AppError> {
    sqlx::query_as(
        "SELECT r.id, r.permissions, r.builtin_key FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         WHERE ur.user_id = $1 ORDER BY r.id",
    )
    .bind(user.0)
    .fetch_all(conn)
    .await
    .map_err(AppError::from)
}

/// Replaces the user's roles.
#[tracing::instrument(skip_all)]
pub async fn set_roles(conn: &mut AnyConnection, user: UserId, roles: &[AssignableRole]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    for role in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(user.0)
            .bind(role.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The built-in Member role, given when no role is chosen (as when joining by key, F2).
#[tracing::instrument(skip_all)]
pub async fn member_role(conn: &mut AnyConnection) -> Result<AssignableRole, AppError> {
    sqlx::query_as("SELECT id, permissions, builtin_key FROM roles WHERE builtin_key = 'member'")
        .fetch_one(conn)
        .await
        .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{Permission, SessionId},
        session::SessionInfo,
    };

    fn actor(id: i64, permissions: PermissionSet) -> Actor {
        Actor { session_id: SessionId(1), info: SessionInfo::sample(UserId(id), permissions) }
    }

    fn target(id: i64, is_primary_admin: bool) -> TargetRow {
        TargetRow {
            id,
            first_name: "Tom".into(),
            last_name: "Target".into(),
            login_name: format!("user{id}"),
            email: format!("user{id}@example.com"),
            locale: "en".into(),
            is_primary_admin: i64::from(is_primary_admin),
            locked: 0,
            invited: 0,
        }
    }

    fn role(id: i64, permissions: PermissionSet) -> AssignableRole {
        AssignableRole { id: RoleId(id), permissions: permissions.bits(), builtin_key: None }
    }

    const MANAGER: [Permission; 2] = [Permission::UsersView, Permission::UsersManage];

    #[test]
    fn nobody_but_themself_manages_the_primary_administrator() {
        let admin = actor(1, PermissionSet::all());
        assert_eq!(may_manage(&admin, &target(2, true), PermissionSet::EMPTY), Err(Refusal::PrimaryAdministrator));
        assert_eq!(may_manage(&actor(2, PermissionSet::EMPTY), &target(2, true), PermissionSet::all()), Ok(()), "themself");
    }

    #[test]
    fn nobody_manages_a_user_holding_more_than_they_do() {
        let manager = actor(1, PermissionSet::of(&MANAGER));
        assert_eq!(may_manage(&manager, &target(2, false), PermissionSet::all()), Err(Refusal::OutranksYou));
        assert_eq!(may_manage(&manager, &target(2, false), PermissionSet::of(&[Permission::UsersView])), Ok(()));
        assert_eq!(may_manage(&manager, &target(2, false), PermissionSet::of(&MANAGER)), Ok(()), "an equal");
    }

    #[test]
    fn a_role_change_may_add_or_remove_only_roles_within_the_actors_permissions() {
        let manager = actor(1, PermissionSet::of(&MANAGER));
        let (viewer, admin) = (role(10, PermissionSet::of(&[Permission::UsersView])), role(11, PermissionSet::all()));
        assert!(check_role_change(&manager, &[], std::slice::from_ref(&viewer)).is_ok(), "grant a lesser role");
        assert!(check_role_change(&manager, std::slice::from_ref(&viewer), &[]).is_ok(), "remove a lesser role");
        let refused = |result: Result<(), AppError>| matches!(result, Err(AppError::Refused(Refusal::NotGrantable)));
        assert!(refused(check_role_change(&manager, &[], std::slice::from_ref(&admin))), "grant a greater role");
        assert!(refused(check_role_change(&manager, std::slice::from_ref(&admin), &[])), "remove a greater role");
        assert!(check_role_change(&manager, &[admin.clone(), viewer.clone()], &[admin, viewer]).is_ok(), "keeping a greater role is no change");
    }
}
