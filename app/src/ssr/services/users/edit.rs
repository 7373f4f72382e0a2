//! Adding and editing the people of an account (F3, F4 edit) and handing over the primary
//! administrator role (F6).

use crate::ssr::services::{users, rules};
use crate::ssr::link_tokens;
use crate::{
    domain::{BuiltInRole, UserId},
    error::{AppError, Refusal},
    ssr::{audit::AuditEvent, guard::Request, mail::Mail, now, outbox, sessions},
    users::{Delivery, ParsedUser, UserDetails, UserStatus},
};
use serde_json::json;

#[derive(sqlx::FromRow)]
struct DetailsRow {
    id: i64,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    locale: String,
    subscribe_news: i64,
    subscribe_alerts: i64,
    is_primary_admin: i64,
    locked: i64,
    invited: i64,
    must_change_password: i64,
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn details(req: &Request, id: UserId) -> Result<UserDetails, AppError> {
    let Request { state, actor, .. } = req;
    let account = rules::account_of(actor)?;
    let row: DetailsRow = sqlx::query_as(
        "SELECT id, first_name, last_name, login_name, email, locale, subscribe_news, subscribe_alerts,
                is_primary_admin, must_change_password,
                CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END AS locked,
                CASE WHEN password_hash IS NULL THEN 1 ELSE 0 END AS invited
         FROM users WHERE id = $1 AND account_id = $2",
    )
    .bind(id.0)
    .bind(account.0)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut conn = state.db.pool.acquire().await?;
    let role_ids = rules::roles_held(&mut conn, id).await?.into_iter().map(|r| r.id).collect();
    Ok(UserDetails {
        id: UserId(row.id),
        status: match (row.locked, row.invited, row.must_change_password) {
            (1, _, _) => UserStatus::Locked,
            (_, 1, _) => UserStatus::Invited,
            (_, _, 1) => UserStatus::MustChangePassword,
            _ => UserStatus::Active,
        },
        first_name: row.first_name,
        last_name: row.last_name,
        login_name: row.login_name,
        email: row.email,
        locale: row.locale,
        subscribe_news: row.subscribe_news == 1,
        subscribe_alerts: row.subscribe_alerts == 1,
        role_ids,
        is_primary_admin: row.is_primary_admin == 1,
    })
}

/// F3: a new user of the actor's account, with an initial password (to be changed at first
/// login) or an invitation link by e-mail. An e-mail already used anywhere is refused (I2).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn create(req: &Request, parsed: ParsedUser, delivery: Delivery) -> Result<UserId, AppError> {
    let Request { state, client, actor } = req;
    let account = rules::account_of(actor)?;
    // Partner staff invite: a password they chose would outlive their access (S9).
    if actor.is_acting() && delivery == Delivery::Password {
        return Err(AppError::Refused(Refusal::WhileActingForCustomer));
    }
    let hash = match &parsed.password {
        Some(password) if delivery == Delivery::Password => Some(state.hasher.hash(password.clone()).await?),
        _ => None,
    };
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let mut roles = rules::assignable_roles(&mut tx, account, &parsed.role_ids).await?;
    if roles.is_empty() {
        roles.push(rules::member_role(&mut tx).await?);
    }
    rules::check_role_change(actor, &[], &roles)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash,
                            must_change_password, locale, subscribe_news, subscribe_alerts, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(account.0)
    .bind(parsed.first_name.as_str())
    .bind(parsed.last_name.as_str())
    .bind(parsed.login_name.as_str())
    .bind(parsed.email.as_str())
    .bind(hash.as_deref())
    .bind(i64::from(hash.is_some()))
    .bind(parsed.locale)
    .bind(i64::from(parsed.subscribe_news))
    .bind(i64::from(parsed.subscribe_alerts))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let user = UserId(id);
    rules::set_roles(&mut tx, user, &roles).await?;
    if delivery == Delivery::Invitation {
        users::invitations::issue(&mut tx, req, user, parsed.email.as_str(), parsed.locale, now).await?;
    }
    AuditEvent::by("user.created", &client.ip, actor)
        .target_user(user, parsed.login_name.as_str())
        .details(json!({
            "delivery": format!("{delivery:?}").to_lowercase(),
            "email": parsed.email.as_str(),
            "roles": roles.iter().map(|r| r.id).collect::<Vec<_>>(),
        }))
        .record(&mut tx, now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

/// F4 edit: names, login name, e-mail, password, roles, subscriptions, language. A password
/// set by someone else must be changed at the user's next login, and ends their sessions.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn update(req: &Request, id: UserId, parsed: ParsedUser) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = rules::account_of(actor)?;
    if actor.is_acting() && parsed.password.is_some() {
        return Err(AppError::Refused(Refusal::WhileActingForCustomer));
    }
    let hash = match &parsed.password {
        Some(password) => Some(state.hasher.hash(password.clone()).await?),
        None => None,
    };
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let target = rules::target(&mut tx, actor, id).await?;
    let held = rules::permissions_of(&mut tx, &[target.id]).await?;
    rules::may_manage(actor, &target, held.get(&target.id).copied().unwrap_or_default()).map_err(AppError::Refused)?;
    let before = rules::roles_held(&mut tx, id).await?;
    let mut after = rules::assignable_roles(&mut tx, account, &parsed.role_ids).await?;
    if after.is_empty() {
        after.push(rules::member_role(&mut tx).await?);
    }
    rules::check_role_change(actor, &before, &after)?;
    let email_changed = target.email != parsed.email.as_str();
    // Where sign-in links and passwords go stays the customer's own decision (S9).
    if actor.is_acting() && (email_changed || target.login_name != parsed.login_name.as_str()) {
        return Err(AppError::Refused(Refusal::WhileActingForCustomer));
    }
    if target.is_primary_admin == 1 && !after.iter().any(|r| r.builtin_key == Some(BuiltInRole::Administrator)) {
        return Err(AppError::Refused(Refusal::PrimaryKeepsAdministrator));
    }
    sqlx::query(
        "UPDATE users SET first_name = $1, last_name = $2, login_name = $3, email = $4, locale = $5,
                          subscribe_news = $6, subscribe_alerts = $7
         WHERE id = $8",
    )
    .bind(parsed.first_name.as_str())
    .bind(parsed.last_name.as_str())
    .bind(parsed.login_name.as_str())
    .bind(parsed.email.as_str())
    .bind(parsed.locale)
    .bind(i64::from(parsed.subscribe_news))
    .bind(i64::from(parsed.subscribe_alerts))
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    if email_changed {
        // Links mailed to the old address die with it, and the new one is not verified yet;
        // the administrator resends what is still needed (S9).
        link_tokens::delete_all_for_user(&mut tx, id).await?;
        sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    let password_set = hash.is_some();
    if let Some(hash) = hash {
        link_tokens::delete_all(&mut tx, id, link_tokens::Purpose::PasswordReset).await?;
        let by_someone_else = id != actor.user_id();
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, temporary_password_expires_at = NULL
             WHERE id = $3",
        )
        .bind(hash)
        .bind(i64::from(by_someone_else))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let keep = (!by_someone_else).then_some(actor.session_id);
        sessions::end_all_for_user(&mut tx, id, keep).await?;
    }
    rules::set_roles(&mut tx, id, &after).await?;
    let changed: Vec<&str> = [
        ("first_name", target.first_name != parsed.first_name.as_str()),
        ("last_name", target.last_name != parsed.last_name.as_str()),
        ("login_name", target.login_name != parsed.login_name.as_str()),
        ("email", target.email != parsed.email.as_str()),
        ("locale", target.locale != parsed.locale),
        ("password", password_set),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    AuditEvent::by("user.updated", &client.ip, actor)
        .target_user(id, parsed.login_name.as_str())
        .details(json!({
            "changed": changed,
            "roles_before": before.iter().map(|r| r.id).collect::<Vec<_>>(),
            "roles_after": after.iter().map(|r| r.id).collect::<Vec<_>>(),
        }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}

/// F6: in one transaction the target becomes primary administrator with the Administrator
/// role, the actor keeps their roles but loses the title and every session, and the target is
/// e-mailed. The actor's row is updated first, on the condition that they still hold the title:
/// of two concurrent transfers the second finds it gone and changes nothing (I1).
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn make_primary(req: &Request, id: UserId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let account = rules::account_of(actor)?;
    if id == actor.user_id() {
        return Err(AppError::Refused(Refusal::Yourself));
    }
    let now = now();
    let mut tx = state.db.begin_write().await?;
    // Both rows locked first, in id order, the order bulk actions lock theirs: no deadlock (I4).
    let lock = format!("SELECT id FROM users WHERE id IN ($1, $2) ORDER BY id{}", rules::lock_rows(&tx));
    sqlx::query(&lock).bind(actor.user_id().0).bind(id.0).fetch_all(&mut *tx).await?;
    let target = rules::target(&mut tx, actor, id).await?;
    if target.locked == 1 || target.invited == 1 {
        return Err(AppError::Refused(Refusal::NotActive));
    }
    let stepped_down = sqlx::query("UPDATE users SET is_primary_admin = 0 WHERE id = $1 AND account_id = $2 AND is_primary_admin = 1")
        .bind(actor.user_id().0)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
    if stepped_down.rows_affected() != 1 {
        return Err(AppError::Refused(Refusal::OnlyPrimaryAdministrator));
    }
    let promoted = sqlx::query(
        "UPDATE users SET is_primary_admin = 1 WHERE id = $1 AND account_id = $2 AND locked_at IS NULL AND password_hash IS NOT NULL",
    )
    .bind(id.0)
    .bind(account.0)
    .execute(&mut *tx)
    .await?;
    if promoted.rows_affected() != 1 {
        return Err(AppError::Refused(Refusal::NotActive));
    }
    sqlx::query(
        "INSERT INTO user_roles (user_id, role_id)
         SELECT $1, r.id FROM roles r WHERE r.builtin_key = 'administrator'
           AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = $1 AND ur.role_id = r.id)",
    )
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    sessions::end_all_for_user(&mut tx, actor.user_id(), None).await?;
    let account_name = actor.info.account.as_ref().map(|a| a.name.clone()).unwrap_or_default();
    outbox::enqueue(&mut tx, &target.email, &target.locale, &Mail::PrimaryAdministrator { account: &account_name }, now).await?;
    AuditEvent::by("account.primary_admin_transferred", &client.ip, actor)
        .target_user(id, &target.login_name)
        .details(json!({ "former": actor.login_name() }))
        .record(&mut tx, now)
        .await?;
    Ok(tx.commit().await?)
}
