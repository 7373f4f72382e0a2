//! Audit events, written inside the transaction of the change they record (SPEC I6).

use crate::{
    domain::{AccountId, UserId},
    error::AppError,
};
use sqlx::AnyConnection;

/// One immutable record: who (and for which account) did what to whom.
#[derive(Debug, Default)]
pub struct AuditEvent {
    pub action: &'static str,
    pub actor: Option<(UserId, String)>,
    pub actor_account: Option<AccountId>,
    pub account: Option<AccountId>,
    pub target: Option<(&'static str, i64, String)>,
    pub details: serde_json::Value,
    pub client_ip: String,
}

impl AuditEvent {
    pub fn new(action: &'static str, client_ip: &str) -> Self {
        Self { action, client_ip: client_ip.to_owned(), details: serde_json::json!({}), ..Default::default() }
    }

    /// An event done by `actor` in the account they act on. When partner staff act for a
    /// customer, the event records both: the customer as the account acted on, the partner as
    /// the actor's account (F7, F8).
    pub fn by(action: &'static str, client_ip: &str, actor: &super::guard::Actor) -> Self {
        Self::new(action, client_ip)
            .actor(actor.user_id(), &actor.login_name(), actor.home_account_id())
            .account(actor.account_id())
    }

    /// An event where the signed-in actor acts on their own user: it belongs to their own
    /// account's log, even while they act for a customer.
    pub fn about_self(action: &'static str, client_ip: &str, actor: &super::guard::Actor) -> Self {
        Self::by(action, client_ip, actor).account(actor.home_account_id()).target_user(actor.user_id(), &actor.login_name())
    }

    pub fn actor(mut self, user: UserId, label: &str, account: Option<AccountId>) -> Self {
        self.actor = Some((user, label.to_owned()));
        self.actor_account = account;
        self
    }

    pub fn account(mut self, account: Option<AccountId>) -> Self {
        self.account = account;
        self
    }

    pub fn target_user(mut self, user: UserId, label: &str) -> Self {
        self.target = Some(("user", user.0, label.to_owned()));
        self
    }

    pub fn target_account(mut self, account: AccountId, label: &str) -> Self {
        self.target = Some(("account", account.0, label.to_owned()));
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub async fn record(self, conn: &mut AnyConnection, now: i64) -> Result<(), AppError> {
        Self::record_many(conn, vec![self], now).await
    }

    /// Several events in multi-row INSERTs (bulk actions write thousands in one transaction).
    pub async fn record_many(conn: &mut AnyConnection, events: Vec<AuditEvent>, now: i64) -> Result<(), AppError> {
        const COLUMNS: usize = 11;
        const ROWS_PER_STATEMENT: usize = super::sql::rows_per_statement(COLUMNS);
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let chunk: Vec<AuditEvent> = events.by_ref().take(ROWS_PER_STATEMENT).collect();
            let values = (0..chunk.len())
                .map(|row| format!("({})", super::sql::placeholders(row * COLUMNS + 1, COLUMNS)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO audit_events (occurred_at, actor_user_id, actor_label, actor_account_id,
                   account_id, action, target_type, target_id, target_label, details, client_ip)
                 VALUES {values}"
            );
            let mut query = sqlx::query(&sql);
            for event in chunk {
                let (actor_id, actor_label) = event.actor.map(|(id, l)| (Some(id.0), l)).unwrap_or_default();
                let (target_type, target_id, target_label) =
                    event.target.map(|(t, id, l)| (t, Some(id), l)).unwrap_or(("", None, String::new()));
                query = query
                    .bind(now)
                    .bind(actor_id)
                    .bind(actor_label)
                    .bind(event.actor_account.map(|a| a.0))
                    .bind(event.account.map(|a| a.0))
                    .bind(event.action)
                    .bind(target_type)
                    .bind(target_id)
                    .bind(target_label)
                    .bind(event.details.to_string())
                    .bind(event.client_ip);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
