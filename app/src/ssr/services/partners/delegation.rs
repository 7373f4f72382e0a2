//! Delegated administration (F7): a partner grants its staff a role of an active customer;
//! either side ends a grant.

use super::{Parties, account_of, links::list};
use crate::{
    domain::{AccountId, BuiltInRole, GrantId, LinkId, Permission, PermissionSet, RoleId, UserId},
    error::{AppError, Problem},
    partners::{DelegableRole, LinkStatus, PartnersOverview, Side, StaffMember},
    ssr::{guard::Request, now},
};
use serde_json::json;
use sqlx::AnyConnection;

/// The partners page: the links and, for those who delegate, the staff and each active
/// customer's roles.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn overview(req: &Request) -> Result<PartnersOverview, AppError> {
    let Request { state, actor, .. } = req;
    let mut links = list(req).await?;
    if !actor.permissions().contains(Permission::PartnersDelegate) {
        return Ok(PartnersOverview { links, staff: Vec::new() });
    }
    let mut conn = state.db.pool.acquire().await?;
    for link in links.iter_mut().filter(|l| l.side == Side::Partner && l.status == LinkStatus::Active) {
        if let Some(customer) = &link.other {
            link.delegable_roles = customer_roles(&mut conn, customer.id, actor.permissions()).await?;
        }
    }
    let staff = staff(&mut conn, account_of(actor)?).await?;
    Ok(PartnersOverview { links, staff })
}

/// The partner's active staff, for the delegation form.
async fn staff(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<StaffMember>, AppError> {
    let rows: Vec<(UserId, String, String, String)> = sqlx::query_as(
        "SELECT id, first_name, last_name, login_name FROM users
         WHERE account_id = $1 AND password_hash IS NOT NULL AND locked_at IS NULL
         ORDER BY last_name, first_name, id LIMIT 1000",
    )
    .bind(account.0)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id, first, last, login)| StaffMember { id, name: format!("{first} {last}"), login_name: login }).collect())
}

/// The customer of an active link of the actor's (partner) account.
async fn customer_of_active_link(conn: &mut AnyConnection, partner: AccountId, link: LinkId) -> Result<AccountId, AppError> {
    let customer: Option<i64> = sqlx::query_scalar(
        "SELECT customer_account_id FROM partner_links WHERE id = $1 AND partner_account_id = $2 AND status = 'active'",
    )
    .bind(link)
    .bind(partner.0)
    .fetch_optional(conn)
    .await?;
    customer.map(AccountId).ok_or(AppError::NotFound)
}

/// The customer's role catalogue (built-in and its own), each marked delegable or not.
async fn customer_roles(conn: &mut AnyConnection, customer: AccountId, granter: PermissionSet) -> Result<Vec<DelegableRole>, AppError> {
    let roles: Vec<(RoleId, String, Option<BuiltInRole>, i64)> = sqlx::query_as(
        "SELECT id, name, builtin_key, permissions FROM roles WHERE account_id IS NULL OR account_id = $1
         ORDER BY CASE WHEN account_id IS NULL THEN 0 ELSE 1 END, id",
    )
    .bind(customer.0)
    .fetch_all(conn)
    .await?;
    Ok(roles
        .into_iter()
        .map(|(id, name, builtin_key, bits)| {
            let permissions = PermissionSet::from_bits(bits);
            DelegableRole { id, name, builtin_key, permissions, delegable: permissions.may_be_delegated_by(granter) }
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn grant(req: &Request, link: LinkId, user: UserId, role: RoleId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let partner = account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let customer = customer_of_active_link(&mut tx, partner, link).await?;
    let staff: Option<String> = sqlx::query_scalar(
        "SELECT login_name FROM users WHERE id = $1 AND account_id = $2 AND password_hash IS NOT NULL AND locked_at IS NULL",
    )
    .bind(user)
    .bind(partner.0)
    .fetch_optional(&mut *tx)
    .await?;
    let staff = staff.ok_or_else(|| AppError::field("user_id", Problem::NotStaff))?;
    let role_row: Option<(String, i64)> =
        sqlx::query_as("SELECT name, permissions FROM roles WHERE id = $1 AND (account_id IS NULL OR account_id = $2)")
            .bind(role)
            .bind(customer.0)
            .fetch_optional(&mut *tx)
            .await?;
    let (role_name, bits) = role_row.ok_or_else(|| AppError::field("role_id", Problem::UnknownRole))?;
    if !PermissionSet::from_bits(bits).may_be_delegated_by(actor.permissions()) {
        return Err(AppError::field("role_id", Problem::RoleNotDelegable));
    }
    sqlx::query("DELETE FROM delegated_grants WHERE link_id = $1 AND user_id = $2")
        .bind(link)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO delegated_grants (link_id, user_id, role_id, granted_at) VALUES ($1, $2, $3, $4)")
        .bind(link)
        .bind(user)
        .bind(role)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let parties = Parties::of(&mut tx, link).await?;
    // Ids let the audit log name the staff member and the role as they are now (and translate
    // a built-in role); the names stay as recorded for when they are gone.
    let details = json!({ "link_id": link, "staff": staff, "staff_id": user, "role": role_name, "role_id": role });
    parties.record(&mut tx, "partner.access_granted", client, actor, details, now).await?;
    Ok(tx.commit().await?)
}

/// Ends one grant: the partner side with `partners.delegate`, the customer side with
/// `partners.manage`.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn revoke_grant(req: &Request, grant: GrantId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = account_of(actor)?;
    let as_partner = actor.permissions().contains(Permission::PartnersDelegate);
    let as_customer = actor.permissions().contains(Permission::PartnersManage);
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let found: Option<(LinkId, String, i64)> = sqlx::query_as(
        "SELECT g.link_id, u.login_name, u.id FROM delegated_grants g
         JOIN partner_links l ON l.id = g.link_id JOIN users u ON u.id = g.user_id
         WHERE g.id = $1 AND ((l.partner_account_id = $2 AND $3 = 1) OR (l.customer_account_id = $2 AND $4 = 1))",
    )
    .bind(grant)
    .bind(account.0)
    .bind(i64::from(as_partner))
    .bind(i64::from(as_customer))
    .fetch_optional(&mut *tx)
    .await?;
    let (link, staff, staff_id) = found.ok_or(AppError::NotFound)?;
    sqlx::query("DELETE FROM delegated_grants WHERE id = $1").bind(grant).execute(&mut *tx).await?;
    let parties = Parties::of(&mut tx, link).await?;
    parties.record(&mut tx, "partner.access_revoked", client, actor, json!({ "link_id": link, "staff": staff, "staff_id": staff_id }), now).await?;
    Ok(tx.commit().await?)
}
