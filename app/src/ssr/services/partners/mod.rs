//! Partner links and delegated administration (F7). Every link query names the caller's
//! account in SQL, so a link of other companies is simply not found. Each change writes an
//! audit event in both accounts (each side sees it in its log) and mails the other side.

pub mod acting;
pub mod delegation;
pub mod links;

use crate::{
    domain::{AccountId, LinkId, Permission},
    error::AppError,
    ssr::{
        audit::AuditEvent, guard::{Actor, ClientInfo}, mail::Mail,
        outbox::{self, Audience},
    },
};
use sqlx::AnyConnection;

pub(super) fn account_of(actor: &Actor) -> Result<AccountId, AppError> {
    actor.account_id().ok_or(AppError::Forbidden)
}

pub(super) fn actor_name(actor: &Actor) -> String {
    format!("{} {}", actor.info.first_name, actor.info.last_name)
}

/// The two companies of a link, named for mails and audit events.
pub(super) struct Parties {
    partner: (AccountId, String),
    customer: (AccountId, String),
}

impl Parties {
    pub(super) async fn of(conn: &mut AnyConnection, link: LinkId) -> Result<Self, AppError> {
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
    pub(super) async fn record(&self, conn: &mut AnyConnection, action: &'static str, client: &ClientInfo, actor: &Actor, details: serde_json::Value, now: i64) -> Result<(), AppError> {
        let events = [(self.partner.0, &self.customer), (self.customer.0, &self.partner)].map(|(account, (other, name))| {
            AuditEvent::by(action, &client.ip, actor).account(Some(account)).target_account(*other, name).details(details.clone())
        });
        AuditEvent::record_many(conn, events.into(), now).await
    }

    /// Mails the administrators of `account` who manage partners.
    pub(super) async fn mail(&self, conn: &mut AnyConnection, account: AccountId, mail: &Mail<'_>, now: i64) -> Result<(), AppError> {
        let audience = Audience { account, permission: Permission::PartnersManage, alerts_only: false };
        outbox::enqueue_to(conn, audience, mail, now).await.map(drop)
    }
}
