//! Alerts (F9): a pending user invitation or partner invitation that expires within a day is
//! announced once to the administrators who can act on it and subscribed to alerts. Each item
//! is claimed (`alerted_at`) in the transaction that queues its mails.

use crate::ssr::{
    AppState,
    mail::Mail,
    now,
    outbox::{self, Audience},
};
use crate::{
    domain::{AccountId, Permission},
    error::AppError,
};

/// How long before expiry the alert goes out.
pub const HORIZON_SECS: i64 = 24 * 3600;
const BATCH: i64 = 100;

/// Queues the alerts now due; returns how many items were announced.
#[tracing::instrument(skip_all)]
pub async fn announce_expiring(state: &AppState) -> Result<usize, AppError> {
    Ok(invitations(state).await? + partner_links(state).await?)
}

/// Marks item `id` of `table` announced; false when another instance got there first.
async fn claim(conn: &mut sqlx::AnyConnection, table: &'static str, id: i64, now: i64) -> Result<bool, AppError> {
    let sql = format!("UPDATE {table} SET alerted_at = $1 WHERE id = $2 AND alerted_at IS NULL");
    let claimed = sqlx::query(&sql).bind(now).bind(id).execute(conn).await?;
    Ok(claimed.rows_affected() == 1)
}

async fn invitations(state: &AppState) -> Result<usize, AppError> {
    let now = now();
    let due: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT t.id, u.email, a.id, a.name FROM user_tokens t
         JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id
         WHERE t.purpose = 'invitation' AND t.alerted_at IS NULL AND t.expires_at > $1 AND t.expires_at <= $2
         ORDER BY t.id LIMIT $3",
    )
    .bind(now)
    .bind(now + HORIZON_SECS)
    .bind(BATCH)
    .fetch_all(&state.db.pool)
    .await?;
    let mut announced = 0;
    for (token_id, email, account, account_name) in due {
        let mut tx = state.db.begin_write().await?;
        if claim(&mut tx, "user_tokens", token_id, now).await? {
            let link = state.link("/users?status=invited");
            let mail = Mail::InvitationExpiring { email: &email, account: &account_name, link: &link };
            let audience = Audience { account: AccountId(account), permission: Permission::UsersManage, alerts_only: true };
            outbox::enqueue_to(&mut tx, audience, &mail, now).await?;
            announced += 1;
        }
        tx.commit().await?;
    }
    Ok(announced)
}

#[derive(sqlx::FromRow)]
struct ExpiringLink {
    id: i64,
    partner_account_id: i64,
    partner_name: String,
    customer_account_id: Option<i64>,
    customer_name: Option<String>,
}

async fn partner_links(state: &AppState) -> Result<usize, AppError> {
    let now = now();
    let due: Vec<ExpiringLink> = sqlx::query_as(
        "SELECT l.id, l.partner_account_id, p.name AS partner_name, l.customer_account_id, c.name AS customer_name
         FROM partner_links l JOIN accounts p ON p.id = l.partner_account_id
         LEFT JOIN accounts c ON c.id = l.customer_account_id
         WHERE l.status = 'invited' AND l.alerted_at IS NULL AND l.expires_at > $1 AND l.expires_at <= $2
         ORDER BY l.id LIMIT $3",
    )
    .bind(now)
    .bind(now + HORIZON_SECS)
    .bind(BATCH)
    .fetch_all(&state.db.pool)
    .await?;
    let mut announced = 0;
    for link in due {
        let mut tx = state.db.begin_write().await?;
        if claim(&mut tx, "partner_links", link.id, now).await? {
            let url = state.link("/partners");
            let customer = link.customer_name.clone().unwrap_or_else(|| "—".into());
            let mail = Mail::PartnerLinkExpiring { partner: &link.partner_name, customer: &customer, link: &url };
            let sides = std::iter::once(link.partner_account_id).chain(link.customer_account_id);
            for account in sides {
                let audience = Audience { account: AccountId(account), permission: Permission::PartnersManage, alerts_only: true };
                outbox::enqueue_to(&mut tx, audience, &mail, now).await?;
            }
            announced += 1;
        }
        tx.commit().await?;
    }
    Ok(announced)
}
