//! The links between a customer and a partner company (F7): invited by the customer or by a
//! partner's shareable link, answered, confirmed, revoked; listed from either side.

use super::{Parties, account_of, actor_name};
use crate::{
    domain::{AccountId, BuiltInRole, GrantId, LinkId, PartnerId, Permission},
    error::{AppError, Problem, Quota},
    partners::{Grant, InvitationPreview, LinkStatus, PartnerLink, Side},
    session::AccountSummary,
    ssr::{audit::AuditEvent, guard::Request, mail::Mail, now, quota, tokens},
};
use serde_json::json;
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: LinkId,
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
    id: GrantId,
    link_id: LinkId,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    role_name: String,
    builtin_key: Option<BuiltInRole>,
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn list(req: &Request) -> Result<Vec<PartnerLink>, AppError> {
    let Request { state, actor, .. } = req;
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
    let staff_addresses_of = |partner: i64| !actor.is_acting() || actor.home_account_id() == Some(AccountId(partner));
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn invite(req: &Request, partner_id: PartnerId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
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
    let link: LinkId = sqlx::query_scalar(
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn respond(req: &Request, link: LinkId, accept: bool) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn create_link(req: &Request) -> Result<String, AppError> {
    let Request { state, client, actor } = req;
    let partner = account_of(actor)?;
    let token = tokens::new_token();
    let now = now();
    let mut tx = state.db.begin_write().await?;
    quota::take(&mut tx, &state.settings.quotas, Quota::PartnerInvitations, partner.0, now).await?;
    let link: LinkId = sqlx::query_scalar(
        "INSERT INTO partner_links (partner_account_id, status, initiated_by, token_hash, created_by_label, created_at, expires_at)
         VALUES ($1, 'invited', 'partner', $2, $3, $4, $5) RETURNING id",
    )
    .bind(partner.0)
    .bind(token.hash())
    .bind(actor_name(actor))
    .bind(now)
    .bind(now + state.settings.partner_invitation_ttl_secs)
    .fetch_one(&mut *tx)
    .await?;
    AuditEvent::by("partner.link_created", &client.ip, actor).details(json!({ "link_id": link })).record(&mut tx, now).await?;
    tx.commit().await?;
    Ok(state.link(&format!("/partners/accept?token={}", token.expose())))
}

#[derive(sqlx::FromRow)]
struct OpenLink {
    id: LinkId,
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

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn preview(req: &Request, token: &str) -> Result<InvitationPreview, AppError> {
    let Request { state, actor, .. } = req;
    let mut conn = state.db.pool.acquire().await?;
    let link = open_link(&mut conn, token, now()).await?;
    let own = actor.account_id().filter(|a| a.0 != link.partner_account_id && !actor.is_acting());
    Ok(InvitationPreview {
        partner_name: link.partner_name,
        partner_id: link.partner_code,
        created_by: link.created_by_label,
        expires_at: link.expires_at,
        your_account: actor.info.account.as_ref().map(|a| a.name.clone()),
        can_confirm: own.is_some() && actor.permissions().contains(Permission::PartnersManage),
    })
}

/// The customer admin (the actor's account) confirms a partner's link: it becomes active.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn confirm(req: &Request, token: &str) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn revoke(req: &Request, link: LinkId) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
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
