//! Belonging to an account (F2): its details and key, joining by key (or changing account in
//! one step), leaving, and closing an account its primary administrator is alone in.

use crate::ssr::services::auth::verification::require_verified;
use crate::{
    accounts::AccountDetails,
    domain::{AccountId, AccountKey, AccountName, BuiltInRole, Email, Permission},
    error::{AppError, Problem, Refusal},
    session::AccountSummary,
    ssr::{
        audit::AuditEvent, guard::{Actor, Request}, mail::Mail, now,
        outbox::{self, Audience}, throttle, tokens,
    },
};
use serde_json::json;
use sqlx::AnyConnection;

/// Membership changes are about the user's own account, never a customer's they act for.
fn not_acting(actor: &Actor) -> Result<(), AppError> {
    if actor.is_acting() { Err(AppError::Refused(Refusal::WhileActingForCustomer)) } else { Ok(()) }
}

fn home_of(actor: &Actor) -> Result<AccountId, AppError> {
    not_acting(actor)?;
    actor.home_account_id().ok_or(AppError::Forbidden)
}

/// Takes the account's row lock (a no-op write, valid on both backends), so joins, leaves and
/// closing of one account happen one after the other.
async fn lock_account(conn: &mut AnyConnection, account: AccountId) -> Result<bool, AppError> {
    let locked = sqlx::query("UPDATE accounts SET name = name WHERE id = $1")
        .bind(account.0)
        .execute(conn)
        .await?;
    Ok(locked.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct DetailsRow {
    name: String,
    partner_id: String,
    contact_email: Option<String>,
    default_locale: String,
    members: i64,
    second_factor_policy: String,
}

/// The account acted on, as any of its members (or partner staff acting for it) sees it.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn details(req: &Request) -> Result<AccountDetails, AppError> {
    let Request { state, actor, .. } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let row: DetailsRow = sqlx::query_as(
        "SELECT a.name, a.partner_id, a.contact_email, a.default_locale, a.second_factor_policy,
                (SELECT COUNT(*) FROM users u WHERE u.account_id = a.id AND u.password_hash IS NOT NULL) AS members
         FROM accounts a WHERE a.id = $1",
    )
    .bind(account.0)
    .fetch_one(&state.db.pool)
    .await?;
    Ok(AccountDetails {
        name: row.name,
        partner_id: row.partner_id,
        contact_email: row.contact_email.unwrap_or_default(),
        default_locale: row.default_locale,
        members: row.members,
        factor_policy: crate::second_factor::FactorPolicy::from_key(&row.second_factor_policy),
    })
}

/// Edited details, parsed.
pub struct NewDetails {
    pub name: AccountName,
    pub contact_email: Option<Email>,
    pub default_locale: &'static str,
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn update_details(req: &Request, new: NewDetails) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET name = $1, contact_email = $2, default_locale = $3 WHERE id = $4")
        .bind(new.name.as_str())
        .bind(new.contact_email.as_ref().map(Email::as_str))
        .bind(new.default_locale)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
    AuditEvent::by("account.updated", &client.ip, actor)
        .target_account(account, new.name.as_str())
        .details(json!({
            "name": new.name.as_str(),
            "contact_email": new.contact_email.as_ref().map(Email::as_str),
            "default_locale": new.default_locale,
        }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// The account key, for those who manage the account (never while acting for a customer).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn account_key(req: &Request) -> Result<String, AppError> {
    let Request { state, actor, .. } = req;
    let account = home_of(actor)?;
    sqlx::query_scalar("SELECT account_key FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_one(&state.db.pool)
        .await
        .map_err(AppError::from)
}

/// A new key; the old one stops working with this commit.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn regenerate_key(req: &Request) -> Result<String, AppError> {
    let Request { state, client, actor } = req;
    let account = home_of(actor)?;
    let key = new_account_key();
    let now = now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET account_key = $1 WHERE id = $2")
        .bind(&key)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
    // The key itself never enters the audit trail (S7).
    AuditEvent::by("account.key_regenerated", &client.ip, actor).record(&mut tx, now).await?;
    tx.commit().await?;
    Ok(key)
}

/// 7 groups of 4 from a 31-letter alphabet: 138 bits, typeable from a printout.
pub fn new_account_key() -> String {
    tokens::readable_code(AccountKey::PREFIX, AccountKey::GROUPS)
}

#[derive(sqlx::FromRow)]
struct KeyedAccount {
    id: i64,
    name: String,
    partner_id: String,
}

/// Joins the account whose key this is, with the Member role. A member of another account
/// changes account in the same step (their roles there are dropped). The account's
/// administrators are mailed at every use of the key.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn join_by_key(req: &Request, key: AccountKey) -> Result<AccountSummary, AppError> {
    let Request { state, client, actor } = req;
    not_acting(actor)?;
    require_verified(actor, "account_key")?;
    let now = now();
    // Keys are long random secrets; the throttle still keeps anyone from trying many.
    let limits = &state.settings.throttle;
    let by_user = throttle::Limit::new(format!("key-user:{}", actor.user_id()), limits.max_failures_per_identifier);
    let by_address = throttle::Limit::new(format!("key:{}", client.ip), limits.max_failures_per_identifier);
    throttle::reserve(&state.db, &[&by_user, &by_address], limits, now).await?;
    let mut tx = state.db.begin_write().await?;
    let target: Option<KeyedAccount> = sqlx::query_as("SELECT id, name, partner_id FROM accounts WHERE account_key = $1")
        .bind(key.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(target) = target else {
        return Err(AppError::field("account_key", Problem::UnknownAccountKey));
    };
    let target_id = AccountId(target.id);
    if actor.home_account_id() == Some(target_id) {
        return Err(AppError::field("account_key", Problem::SameAccount));
    }
    if !lock_account(&mut tx, target_id).await? {
        return Err(AppError::field("account_key", Problem::UnknownAccountKey));
    }
    if let Some(previous) = actor.home_account_id() {
        lock_account(&mut tx, previous).await?;
        step_out(&mut tx, actor, previous).await?;
        AuditEvent::about_self("member.left", &client.ip, actor)
            .details(json!({ "changed_to": target.name }))
            .record(&mut tx, now)
            .await?;
    }
    let joined = sqlx::query("UPDATE users SET account_id = $1 WHERE id = $2 AND account_id IS NULL")
        .bind(target_id.0)
        .bind(actor.user_id().0)
        .execute(&mut *tx)
        .await?;
    if joined.rows_affected() != 1 {
        return Err(AppError::field("account_key", Problem::AlreadyInAccount));
    }
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE builtin_key = $2")
        .bind(actor.user_id().0)
        .bind(BuiltInRole::Member.key())
        .execute(&mut *tx)
        .await?;
    AuditEvent::new("member.joined_by_key", &client.ip)
        .actor(actor.user_id(), &actor.login_name(), Some(target_id))
        .account(Some(target_id))
        .target_user(actor.user_id(), &actor.login_name())
        .details(json!({ "changed_from": actor.info.home_account.as_ref().map(|a| a.name.clone()) }))
        .record(&mut tx, now)
        .await?;
    let member = format!("{} {} <{}>", actor.info.first_name, actor.info.last_name, actor.info.email);
    let audience = Audience { account: target_id, permission: Permission::UsersManage, alerts_only: false };
    outbox::enqueue_to(&mut tx, audience, &Mail::AccountKeyUsed { account: &target.name, member: &member }, now).await?;
    tx.commit().await?;
    throttle::give_back(&state.db, &by_user).await?;
    throttle::give_back(&state.db, &by_address).await?;
    Ok(AccountSummary { id: target_id, name: target.name, partner_id: target.partner_id })
}

/// Takes the actor out of `account`: roles there and partner grants from there are dropped.
/// The primary administrator never steps out: they transfer the role or close the account.
async fn step_out(conn: &mut AnyConnection, actor: &Actor, account: AccountId) -> Result<(), AppError> {
    let (is_primary, others): (i64, i64) = sqlx::query_as(
        "SELECT u.is_primary_admin,
                (SELECT COUNT(*) FROM users o WHERE o.account_id = u.account_id AND o.id <> u.id AND o.password_hash IS NOT NULL)
         FROM users u WHERE u.id = $1 AND u.account_id = $2",
    )
    .bind(actor.user_id().0)
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::Forbidden)?;
    if is_primary == 1 {
        let refusal = if others > 0 { Refusal::PrimaryMustTransfer } else { Refusal::PrimaryMustClose };
        return Err(AppError::Refused(refusal));
    }
    for sql in [
        "DELETE FROM user_roles WHERE user_id = $1",
        "DELETE FROM delegated_grants WHERE user_id = $1",
        "UPDATE sessions SET acting_account_id = NULL WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(actor.user_id().0).execute(&mut *conn).await?;
    }
    // `is_primary_admin = 0` again: a transfer to this user committed meanwhile keeps them in.
    let left = sqlx::query("UPDATE users SET account_id = NULL WHERE id = $1 AND account_id = $2 AND is_primary_admin = 0")
        .bind(actor.user_id().0)
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    if left.rows_affected() != 1 {
        return Err(AppError::Refused(Refusal::PrimaryMustTransfer));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn leave(req: &Request) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = home_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    lock_account(&mut tx, account).await?;
    step_out(&mut tx, actor, account).await?;
    AuditEvent::about_self("member.left", &client.ip, actor).record(&mut tx, now).await?;
    Ok(tx.commit().await?)
}

/// The primary administrator, alone in the account, closes it: its roles, partner links and
/// grants go, pending invitations are cancelled, and they remain a user without an account.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn close(req: &Request) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = home_of(actor)?;
    if !actor.is_primary_admin() {
        return Err(AppError::Refused(Refusal::OnlyPrimaryAdministrator));
    }
    let now = now();
    let mut tx = state.db.begin_write().await?;
    lock_account(&mut tx, account).await?;
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE account_id = $1 AND id <> $2 AND password_hash IS NOT NULL",
    )
    .bind(account.0)
    .bind(actor.user_id().0)
    .fetch_one(&mut *tx)
    .await?;
    if others > 0 {
        return Err(AppError::Refused(Refusal::NotAlone));
    }
    let (name, partner_id): (String, String) = sqlx::query_as("SELECT name, partner_id FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_one(&mut *tx)
        .await?;
    let cancelled = sqlx::query("DELETE FROM users WHERE account_id = $1 AND password_hash IS NULL")
        .bind(account.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    for sql in [
        "DELETE FROM user_roles WHERE user_id = $1",
        "DELETE FROM delegated_grants WHERE user_id = $1",
        "UPDATE users SET is_primary_admin = 0, account_id = NULL WHERE id = $1",
    ] {
        sqlx::query(sql).bind(actor.user_id().0).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM accounts WHERE id = $1").bind(account.0).execute(&mut *tx).await?;
    AuditEvent::about_self("account.closed", &client.ip, actor)
        .target_account(account, &name)
        .details(json!({ "name": name, "partner_id": partner_id, "invitations_cancelled": cancelled }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}
