//! Partner links and delegated administration (F7). Every link query names the caller's
//! account in SQL, so a link of other companies is simply not found. Each change writes an
//! audit event in both accounts (each side sees it in its log) and mails the other side.

use crate::{
    domain::{AccountId, PartnerId, Permission, PermissionSet},
    error::{AppError, Problem, Quota},
    partners::{CustomerChoice, DelegableRole, Grant, InvitationPreview, LinkStatus, PartnerLink, PartnersOverview, Side, StaffMember},
    session::AccountSummary,
    ssr::{
        AppState, audit::AuditEvent, guard::{Actor, ClientInfo}, mail::Mail, now,
        outbox::{self, Audience}, quota, sessions::delegable, tokens,
    },
};
use serde_json::json;
use sqlx::AnyConnection;

fn account_of(actor: &Actor) -> Result<AccountId, AppError> {
    actor.account_id.ok_or(AppError::Forbidden)
}

fn actor_name(actor: &Actor) -> String {
    format!("{} {}", actor.info.first_name, actor.info.last_name)
}

/// The two companies of a link, named for mails and audit events.
struct Parties {
    partner: (AccountId, String),
    customer: (AccountId, String),
}

impl Parties {
    async fn of(conn: &mut AnyConnection, link: i64) -> Result<Self, AppError> {
        let row: (i64, String, i64, String) = sqlx::query_as(
            "SELECT p.id, p.name, c.id, c.name FROM partner_links l
             JOIN accounts p ON p.id = l.partner_account_id JOIN accounts c ON c.id = l.customer_account_id
             WHERE l.id = $1",
        )
        .bind(link)
        .fetch_one(conn)
        .await?;
        Ok(Self { partner: (AccountId(row.0), row.1), customer: (AccountId(row.2), row.3) })
    }

    /// One event per account, each naming the other company as the target.
    async fn record(&self, conn: &mut AnyConnection, action: &'static str, client: &ClientInfo, actor: &Actor, details: serde_json::Value, now: i64) -> Result<(), AppError> {
        let events = [(self.partner.0, &self.customer), (self.customer.0, &self.partner)].map(|(account, (other, name))| {
            AuditEvent::by(action, &client.ip, actor).account(Some(account)).target_account(*other, name).details(details.clone())
        });
        AuditEvent::record_many(conn, events.into(), now).await
    }

    /// Mails the administrators of `account` who manage partners.
    async fn mail(&self, conn: &mut AnyConnection, account: AccountId, mail: &Mail<'_>, now: i64) -> Result<(), AppError> {
        let audience = Audience { account, permission: Permission::PartnersManage, alerts_only: false };
        outbox::enqueue_to(conn, audience, mail, now).await.map(drop)
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    partner_account_id: i64,
    status: String,
    initiated_by: String,
    created_by_label: String,
    created_at: i64,
    expires_at: i64,
    responded_at: Option<i64>,
    ended_at: Option<i64>,
    partner_name: String,
    partner_code: String,
    customer_account_id: Option<i64>,
    customer_name: Option<String>,
    customer_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    link_id: i64,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    role_name: String,
    builtin_key: Option<String>,
    granted_at: i64,
}

fn status_of(stored: &str, expires_at: i64, now: i64) -> LinkStatus {
    match stored {
        "active" => LinkStatus::Active,
        "declined" => LinkStatus::Declined,
        "revoked" => LinkStatus::Revoked,
        _ if expires_at <= now => LinkStatus::Expired,
        _ => LinkStatus::Invited,
    }
}

/// Every link of the account acted on, both ways, newest first, with the grants on each.
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<PartnerLink>, AppError> {
    let account = account_of(actor)?;
    let rows: Vec<LinkRow> = sqlx::query_as(
        "SELECT l.id, l.partner_account_id, l.status, l.initiated_by, l.created_by_label, l.created_at, l.expires_at,
                l.responded_at, l.ended_at, p.name AS partner_name, p.partner_id AS partner_code,
                l.customer_account_id, c.name AS customer_name, c.partner_id AS customer_code
         FROM partner_links l JOIN accounts p ON p.id = l.partner_account_id
         LEFT JOIN accounts c ON c.id = l.customer_account_id
         WHERE l.partner_account_id = $1 OR l.customer_account_id = $1
         ORDER BY l.created_at DESC, l.id DESC LIMIT 500",
    )
    .bind(account.0)
    .fetch_all(&state.db.pool)
    .await?;
    let grants: Vec<GrantRow> = sqlx::query_as(
        "SELECT g.id, g.link_id, u.first_name, u.last_name, u.login_name, u.email, r.name AS role_name, r.builtin_key, g.granted_at
         FROM delegated_grants g JOIN partner_links l ON l.id = g.link_id
         JOIN users u ON u.id = g.user_id JOIN roles r ON r.id = g.role_id
         WHERE l.partner_account_id = $1 OR l.customer_account_id = $1
         ORDER BY u.last_name, u.first_name",
    )
    .bind(account.0)
    .fetch_all(&state.db.pool)
    .await?;
    let now = now();
    // Partner staff acting here see their own company's staff in full; another partner's
    // staff by name only: their addresses are that partner's business (S9).
    let staff_addresses_of = |partner: i64| !actor.is_acting() || actor.home_account_id == Some(AccountId(partner));
    Ok(rows
        .into_iter()
        .map(|row| {
            let side = if row.partner_account_id == account.0 { Side::Partner } else { Side::Customer };
            let show_addresses = staff_addresses_of(row.partner_account_id);
            let other = match side {
                Side::Customer => Some(AccountSummary { id: AccountId(row.partner_account_id), name: row.partner_name, partner_id: row.partner_code }),
                Side::Partner => match (row.customer_account_id, row.customer_name, row.customer_code) {
                    (Some(id), Some(name), Some(code)) => Some(AccountSummary { id: AccountId(id), name, partner_id: code }),
                    _ => None,
                },
            };
            let initiated_here = matches!((side, row.initiated_by.as_str()), (Side::Customer, "customer") | (Side::Partner, "partner"));
            PartnerLink {
                id: row.id,
                side,
                other,
                status: status_of(&row.status, row.expires_at, now),
                initiated_here,
                created_by: row.created_by_label,
                created_at: row.created_at,
                expires_at: row.expires_at,
                responded_at: row.responded_at,
                ended_at: row.ended_at,
                grants: grants
                    .iter()
                    .filter(|g| g.link_id == row.id)
                    .map(|g| Grant {
                        id: g.id,
                        user_name: format!("{} {}", g.first_name, g.last_name),
                        login_name: g.login_name.clone(),
                        email: if show_addresses { g.email.clone() } else { String::new() },
                        role_name: g.role_name.clone(),
                        role_builtin_key: g.builtin_key.clone(),
                        granted_at: g.granted_at,
                    })
                    .collect(),
                delegable_roles: Vec::new(),
            }
        })
        .collect())
}

/// The customer (the actor's account) invites the company with `partner_id`; its partner
/// managers are mailed and answer on their partners page.
pub async fn invite(state: &AppState, client: &ClientInfo, actor: &Actor, partner_id: PartnerId) -> Result<(), AppError> {
    let customer = account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let partner: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE partner_id = $1")
        .bind(partner_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let partner = partner.ok_or_else(|| AppError::field("partner_id", Problem::UnknownPartnerId))?;
    if partner == customer.0 {
        return Err(AppError::field("partner_id", Problem::OwnAccount));
    }
    quota::take(&mut tx, &state.settings.quotas, Quota::PartnerInvitations, customer.0, now).await?;
    let ttl = state.settings.partner_invitation_ttl_secs;
    let link: i64 = sqlx::query_scalar(
        "INSERT INTO partner_links (partner_account_id, customer_account_id, status, initiated_by, created_by_label, created_at, expires_at)
         VALUES ($1, $2, 'invited', 'customer', $3, $4, $5) RETURNING id",
    )
    .bind(partner)
    .bind(customer.0)
    .bind(actor_name(actor))
    .bind(now)
    .bind(now + ttl)
    .fetch_one(&mut *tx)
    .await?;
    let parties = Parties::of(&mut tx, link).await?;
    parties.record(&mut tx, "partner.invited", client, actor, json!({ "link_id": link, "by": "partner_id" }), now).await?;
    let url = state.link("/partners");
    let mail = Mail::PartnerInvited { customer: &parties.customer.1, link: &url, valid_days: ttl / 86_400 };
    parties.mail(&mut tx, parties.partner.0, &mail, now).await?;
    Ok(tx.commit().await?)
}

/// The partner (the actor's account) accepts or declines a customer's pending invitation.
pub async fn respond(state: &AppState, client: &ClientInfo, actor: &Actor, link: i64, accept: bool) -> Result<(), AppError> {
    let partner = account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let answered = sqlx::query(
        "UPDATE partner_links SET status = $1, responded_at = $2
         WHERE id = $3 AND partner_account_id = $4 AND status = 'invited' AND initiated_by = 'customer' AND expires_at > $2",
    )
    .bind(if accept { "active" } else { "declined" })
    .bind(now)
    .bind(link)
    .bind(partner.0)
    .execute(&mut *tx)
    .await?;
    if answered.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    let parties = Parties::of(&mut tx, link).await?;
    let action = if accept { "partner.accepted" } else { "partner.declined" };
    parties.record(&mut tx, action, client, actor, json!({ "link_id": link }), now).await?;
    let (partner_name, customer_name) = (&parties.partner.1, &parties.customer.1);
    let url = state.link("/partners");
    let mail = if accept {
        Mail::PartnerLinkActive { partner: partner_name, customer: customer_name, link: &url }
    } else {
        Mail::PartnerDeclined { partner: partner_name, customer: customer_name }
    };
    parties.mail(&mut tx, parties.customer.0, &mail, now).await?;
    Ok(tx.commit().await?)
}

/// A shareable invitation from the partner (the actor's account): single-use, expiring; only
/// the hash of its token is stored. Returns the URL, which is shown once.
pub async fn create_link(state: &AppState, client: &ClientInfo, actor: &Actor) -> Result<String, AppError> {
    let partner = account_of(actor)?;
    let token = tokens::new_token();
    let now = now();
    let mut tx = state.db.begin_write().await?;
    quota::take(&mut tx, &state.settings.quotas, Quota::PartnerInvitations, partner.0, now).await?;
    let link: i64 = sqlx::query_scalar(
        "INSERT INTO partner_links (partner_account_id, status, initiated_by, token_hash, created_by_label, created_at, expires_at)
         VALUES ($1, 'invited', 'partner', $2, $3, $4, $5) RETURNING id",
    )
    .bind(partner.0)
    .bind(tokens::hash_token(&token))
    .bind(actor_name(actor))
    .bind(now)
    .bind(now + state.settings.partner_invitation_ttl_secs)
    .fetch_one(&mut *tx)
    .await?;
    AuditEvent::by("partner.link_created", &client.ip, actor).details(json!({ "link_id": link })).record(&mut tx, now).await?;
    tx.commit().await?;
    Ok(state.link(&format!("/partners/accept?token={token}")))
}

#[derive(sqlx::FromRow)]
struct OpenLink {
    id: i64,
    partner_account_id: i64,
    partner_name: String,
    partner_code: String,
    created_by_label: String,
    expires_at: i64,
}

/// A partner's link nobody has used, still valid.
async fn open_link(conn: &mut AnyConnection, token: &str, now: i64) -> Result<OpenLink, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::field("token", Problem::LinkInvalid));
    }
    let found: Option<OpenLink> = sqlx::query_as(
        "SELECT l.id, l.partner_account_id, p.name AS partner_name, p.partner_id AS partner_code, l.created_by_label, l.expires_at
         FROM partner_links l JOIN accounts p ON p.id = l.partner_account_id
         WHERE l.token_hash = $1 AND l.status = 'invited' AND l.customer_account_id IS NULL AND l.expires_at > $2",
    )
    .bind(tokens::hash_token(token))
    .bind(now)
    .fetch_optional(conn)
    .await?;
    found.ok_or_else(|| AppError::field("token", Problem::LinkInvalid))
}

pub async fn preview(state: &AppState, actor: &Actor, token: &str) -> Result<InvitationPreview, AppError> {
    let mut conn = state.db.pool.acquire().await?;
    let link = open_link(&mut conn, token, now()).await?;
    let own = actor.account_id.filter(|a| a.0 != link.partner_account_id && !actor.is_acting());
    Ok(InvitationPreview {
        partner_name: link.partner_name,
        partner_id: link.partner_code,
        created_by: link.created_by_label,
        expires_at: link.expires_at,
        your_account: actor.info.account.as_ref().map(|a| a.name.clone()),
        can_confirm: own.is_some() && actor.permissions.contains(Permission::PartnersManage),
    })
}

/// The customer admin (the actor's account) confirms a partner's link: it becomes active.
pub async fn confirm(state: &AppState, client: &ClientInfo, actor: &Actor, token: &str) -> Result<(), AppError> {
    let customer = account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let link = open_link(&mut tx, token, now).await?;
    if link.partner_account_id == customer.0 {
        return Err(AppError::field("token", Problem::OwnAccount));
    }
    // The conditions again: of two admins confirming at once, one wins.
    let confirmed = sqlx::query(
        "UPDATE partner_links SET customer_account_id = $1, status = 'active', token_hash = NULL, responded_at = $2
         WHERE id = $3 AND customer_account_id IS NULL AND status = 'invited'",
    )
    .bind(customer.0)
    .bind(now)
    .bind(link.id)
    .execute(&mut *tx)
    .await?;
    if confirmed.rows_affected() != 1 {
        return Err(AppError::field("token", Problem::LinkInvalid));
    }
    let parties = Parties::of(&mut tx, link.id).await?;
    parties.record(&mut tx, "partner.accepted", client, actor, json!({ "link_id": link.id, "by": "link" }), now).await?;
    let url = state.link("/partners");
    let mail = Mail::PartnerLinkActive { partner: &parties.partner.1, customer: &parties.customer.1, link: &url };
    parties.mail(&mut tx, parties.partner.0, &mail, now).await?;
    Ok(tx.commit().await?)
}

/// Either side ends a pending or active link. Grants on it go; partner staff acting through it
/// are refused from their next request on (I5), since the guard reads the link every time.
pub async fn revoke(state: &AppState, client: &ClientInfo, actor: &Actor, link: i64) -> Result<(), AppError> {
    let account = account_of(actor)?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    // The customer, if the link has one yet: `None` when no live link of this account matched.
    let revoked: Option<(Option<i64>,)> = sqlx::query_as(
        "UPDATE partner_links SET status = 'revoked', ended_at = $1, token_hash = NULL
         WHERE id = $2 AND (partner_account_id = $3 OR customer_account_id = $3) AND status IN ('invited', 'active')
         RETURNING customer_account_id",
    )
    .bind(now)
    .bind(link)
    .bind(account.0)
    .fetch_optional(&mut *tx)
    .await?;
    let (has_customer,) = revoked.ok_or(AppError::NotFound)?;
    let ended = sqlx::query("DELETE FROM delegated_grants WHERE link_id = $1")
        .bind(link)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if has_customer.is_none() {
        // A partner's own unused link: nobody else to tell.
        let details = json!({ "link_id": link, "grants_ended": ended });
        AuditEvent::by("partner.revoked", &client.ip, actor).details(details).record(&mut tx, now).await?;
        return Ok(tx.commit().await?);
    }
    let parties = Parties::of(&mut tx, link).await?;
    let cancelled = cancel_invitations_sent_by_partner(&mut tx, parties.customer.0, parties.partner.0).await?;
    let details = json!({ "link_id": link, "grants_ended": ended, "invitations_cancelled": cancelled });
    parties.record(&mut tx, "partner.revoked", client, actor, details, now).await?;
    let by = if parties.partner.0 == account { &parties.partner.1 } else { &parties.customer.1 };
    let other = if parties.partner.0 == account { parties.customer.0 } else { parties.partner.0 };
    let mail = Mail::PartnerRevoked { partner: &parties.partner.1, customer: &parties.customer.1, by };
    parties.mail(&mut tx, other, &mail, now).await?;
    Ok(tx.commit().await?)
}

/// Invitations still pending in `customer` that the partner's staff sent or resent while
/// acting: accepting one after the revocation would be a way back in (S9). The customer's
/// administrators can send them again themselves.
async fn cancel_invitations_sent_by_partner(conn: &mut AnyConnection, customer: AccountId, partner: AccountId) -> Result<u64, AppError> {
    let cancelled = sqlx::query(
        "DELETE FROM user_tokens WHERE purpose = 'invitation' AND user_id IN (
             SELECT u.id FROM users u
             WHERE u.account_id = $1 AND u.password_hash IS NULL AND EXISTS (
                 SELECT 1 FROM audit_events e
                 WHERE e.account_id = $1 AND e.actor_account_id = $2 AND e.target_type = 'user' AND e.target_id = u.id))",
    )
    .bind(customer.0)
    .bind(partner.0)
    .execute(conn)
    .await?;
    Ok(cancelled.rows_affected())
}

/// The partners page: the links and, for those who delegate, the staff and each active
/// customer's roles.
pub async fn overview(state: &AppState, actor: &Actor) -> Result<PartnersOverview, AppError> {
    let mut links = list(state, actor).await?;
    if !actor.permissions.contains(Permission::PartnersDelegate) {
        return Ok(PartnersOverview { links, staff: Vec::new() });
    }
    let mut conn = state.db.pool.acquire().await?;
    for link in links.iter_mut().filter(|l| l.side == Side::Partner && l.status == LinkStatus::Active) {
        if let Some(customer) = &link.other {
            link.delegable_roles = customer_roles(&mut conn, customer.id, actor.permissions).await?;
        }
    }
    let staff = staff(&mut conn, account_of(actor)?).await?;
    Ok(PartnersOverview { links, staff })
}

/// The partner's active staff, for the delegation form.
async fn staff(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<StaffMember>, AppError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
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
async fn customer_of_active_link(conn: &mut AnyConnection, partner: AccountId, link: i64) -> Result<AccountId, AppError> {
    let customer: Option<i64> = sqlx::query_scalar(
        "SELECT customer_account_id FROM partner_links WHERE id = $1 AND partner_account_id = $2 AND status = 'active'",
    )
    .bind(link)
    .bind(partner.0)
    .fetch_optional(conn)
    .await?;
    customer.map(AccountId).ok_or(AppError::NotFound)
}

/// A role may be delegated when it never carries `partners.manage` of the customer and holds
/// nothing the granting admin lacks (no escalation, F5).
fn is_delegable(role: PermissionSet, granter: PermissionSet) -> bool {
    !role.contains(Permission::PartnersManage) && delegable(role).is_subset_of(granter)
}

/// The customer's role catalogue (built-in and its own), each marked delegable or not.
async fn customer_roles(conn: &mut AnyConnection, customer: AccountId, granter: PermissionSet) -> Result<Vec<DelegableRole>, AppError> {
    let roles: Vec<(i64, String, Option<String>, i64)> = sqlx::query_as(
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
            DelegableRole { id, name, builtin_key, permissions, delegable: is_delegable(permissions, granter) }
        })
        .collect())
}

pub async fn grant(state: &AppState, client: &ClientInfo, actor: &Actor, link: i64, user: i64, role: i64) -> Result<(), AppError> {
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
    if !is_delegable(PermissionSet::from_bits(bits), actor.permissions) {
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
pub async fn revoke_grant(state: &AppState, client: &ClientInfo, actor: &Actor, grant: i64) -> Result<(), AppError> {
    let account = account_of(actor)?;
    let as_partner = actor.permissions.contains(Permission::PartnersDelegate);
    let as_customer = actor.permissions.contains(Permission::PartnersManage);
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let found: Option<(i64, String, i64)> = sqlx::query_as(
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

#[derive(sqlx::FromRow)]
struct ChoiceRow {
    id: i64,
    name: String,
    partner_id: String,
    role_name: String,
    builtin_key: Option<String>,
}

const CHOICES: &str = "SELECT a.id, a.name, a.partner_id, r.name AS role_name, r.builtin_key
     FROM delegated_grants g JOIN partner_links l ON l.id = g.link_id
     JOIN accounts a ON a.id = l.customer_account_id JOIN roles r ON r.id = g.role_id
     WHERE g.user_id = $1 AND l.partner_account_id = $2 AND l.status = 'active'";

/// The customers the user holds a grant for, through an active link of their own account.
pub async fn my_customers(state: &AppState, actor: &Actor) -> Result<Vec<CustomerChoice>, AppError> {
    let Some(home) = actor.home_account_id else { return Ok(Vec::new()) };
    let rows: Vec<ChoiceRow> = sqlx::query_as(&format!("{CHOICES} ORDER BY a.name"))
        .bind(actor.user_id.0)
        .bind(home.0)
        .fetch_all(&state.db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerChoice {
            account: AccountSummary { id: AccountId(r.id), name: r.name, partner_id: r.partner_id },
            role_name: r.role_name,
            role_builtin_key: r.builtin_key,
        })
        .collect())
}

/// Switches the session to act for `customer` (which needs a grant) or back home.
pub async fn act_for(state: &AppState, client: &ClientInfo, actor: &Actor, customer: Option<AccountId>) -> Result<(), AppError> {
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let event = match customer {
        Some(customer) => {
            let home = actor.home_account_id.ok_or(AppError::NotFound)?;
            let granted: Option<ChoiceRow> = sqlx::query_as(&format!("{CHOICES} AND a.id = $3"))
                .bind(actor.user_id.0)
                .bind(home.0)
                .bind(customer.0)
                .fetch_optional(&mut *tx)
                .await?;
            let granted = granted.ok_or(AppError::NotFound)?;
            // Partner staff need a second factor to act for anyone (F15), whatever their policy.
            if !super::second_factor::has_factor(&mut tx, actor.user_id).await? {
                return Err(AppError::SecondFactorRequired);
            }
            AuditEvent::by("partner.acting_started", &client.ip, actor)
                .account(Some(customer))
                .target_account(customer, &granted.name)
                .details(json!({ "role": granted.role_name, "role_builtin_key": granted.builtin_key }))
        }
        None => match &actor.info.acting_for {
            Some(acting) => AuditEvent::by("partner.acting_ended", &client.ip, actor)
                .target_account(acting.customer.id, &acting.customer.name)
                .details(json!({ "access_had_ended": acting.ended })),
            None => return Ok(()),
        },
    };
    crate::ssr::sessions::act_for(&mut tx, actor.session_id, customer).await?;
    event.record(&mut tx, now).await?;
    Ok(tx.commit().await?)
}
