//! Partner staff acting for a customer (F7): the customers one may act for, and switching the
//! session to one of them or back home.

use crate::{
    domain::{AccountId, BuiltInRole},
    error::AppError,
    partners::CustomerChoice,
    session::AccountSummary,
    ssr::{audit::AuditEvent, guard::Request, now},
};
use serde_json::json;

#[derive(sqlx::FromRow)]
struct ChoiceRow {
    id: i64,
    name: String,
    partner_id: String,
    role_name: String,
    builtin_key: Option<BuiltInRole>,
}

const CHOICES: &str = "SELECT a.id, a.name, a.partner_id, r.name AS role_name, r.builtin_key
     FROM delegated_grants g JOIN partner_links l ON l.id = g.link_id
     JOIN accounts a ON a.id = l.customer_account_id JOIN roles r ON r.id = g.role_id
     WHERE g.user_id = $1 AND l.partner_account_id = $2 AND l.status = 'active'";

/// The customers the user holds a grant for, through an active link of their own account.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn my_customers(req: &Request) -> Result<Vec<CustomerChoice>, AppError> {
    let Request { state, actor, .. } = req;
    let Some(home) = actor.home_account_id() else { return Ok(Vec::new()) };
    let rows: Vec<ChoiceRow> = sqlx::query_as(&format!("{CHOICES} ORDER BY a.name"))
        .bind(actor.user_id().0)
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
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn act_for(req: &Request, customer: Option<AccountId>) -> Result<(), AppError> {
    let Request { state, client, actor } = req;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let event = match customer {
        Some(customer) => {
            let home = actor.home_account_id().ok_or(AppError::NotFound)?;
            let granted: Option<ChoiceRow> = sqlx::query_as(&format!("{CHOICES} AND a.id = $3"))
                .bind(actor.user_id().0)
                .bind(home.0)
                .bind(customer.0)
                .fetch_optional(&mut *tx)
                .await?;
            let granted = granted.ok_or(AppError::NotFound)?;
            // Partner staff need a second factor to act for anyone (F15), whatever their policy.
            if !crate::ssr::services::second_factor::has_factor(&mut tx, actor.user_id()).await? {
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

