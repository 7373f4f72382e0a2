//! The dashboard (F11): counts, pending partner invitations, recent events, news and alerts of
//! the account acted on. Each part is read only when the actor may see it.

use crate::{
    accounts::{Alert, Dashboard, MemberCounts, NewsItem},
    domain::{Permission, PermissionSet},
    error::AppError,
    partners::LinkStatus,
    ssr::{guard::Request, now},
};

/// Alerts look this far ahead.
const ALERT_WINDOW_SECS: i64 = 3 * 24 * 3600;
const RECENT_EVENTS: i64 = 8;
const NEWS_ITEMS: i64 = 5;

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn summary(req: &Request) -> Result<Dashboard, AppError> {
    let Request { state, actor, .. } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let can = |p| actor.permissions().contains(p);
    let now = now();
    let counts = if can(Permission::UsersView) {
        let kept = crate::ssr::services::users::counts::of(&state.db.pool, account).await?;
        let (members, locked, invited) = (kept.active + kept.must_change_password, kept.locked, kept.invited);
        let admin_bits = PermissionSet::of(&crate::second_factor::ADMINISTRATOR_PERMISSIONS).bits();
        let admins_without_factor: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM users u
             WHERE u.account_id = $1 AND u.password_hash IS NOT NULL
               AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = u.id AND (r.permissions & $2) <> 0)
               AND NOT {}",
            crate::ssr::services::second_factor::HAS_FACTOR,
        ))
        .bind(account.0)
        .bind(admin_bits)
        .fetch_one(&state.db.pool)
        .await?;
        Some(MemberCounts { members, locked, invited, admins_without_factor })
    } else {
        None
    };
    let pending_links = if can(Permission::PartnersView) {
        let links = crate::ssr::services::partners::links::list(req).await?;
        Some(links.into_iter().filter(|l| l.status == LinkStatus::Invited).collect::<Vec<_>>())
    } else {
        None
    };
    let recent_events = if can(Permission::AuditView) {
        Some(crate::ssr::services::audit::log::recent(state, account, RECENT_EVENTS).await?)
    } else {
        None
    };
    let news: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT name, partner_id, created_at FROM accounts WHERE id <> $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(account.0)
    .bind(NEWS_ITEMS)
    .fetch_all(&state.db.pool)
    .await?;
    let mut alerts = Vec::new();
    if can(Permission::UsersManage) {
        let expiring: Vec<(String, i64)> = sqlx::query_as(
            "SELECT u.email, t.expires_at FROM user_tokens t JOIN users u ON u.id = t.user_id
             WHERE u.account_id = $1 AND t.purpose = 'invitation' AND t.expires_at > $2 AND t.expires_at <= $3
             ORDER BY t.expires_at LIMIT 20",
        )
        .bind(account.0)
        .bind(now)
        .bind(now + ALERT_WINDOW_SECS)
        .fetch_all(&state.db.pool)
        .await?;
        alerts.extend(expiring.into_iter().map(|(email, expires_at)| Alert::InvitationExpiring { email, expires_at }));
    }
    if can(Permission::PartnersManage) {
        for link in pending_links.iter().flatten().filter(|l| l.expires_at <= now + ALERT_WINDOW_SECS) {
            let other = link.other.as_ref().map(|o| o.name.clone()).unwrap_or_default();
            alerts.push(Alert::PartnerInvitationExpiring { other, expires_at: link.expires_at });
        }
    }
    Ok(Dashboard {
        counts,
        pending_links,
        recent_events,
        news: news.into_iter().map(|(name, partner_id, joined_at)| NewsItem { name, partner_id, joined_at }).collect(),
        alerts,
    })
}
