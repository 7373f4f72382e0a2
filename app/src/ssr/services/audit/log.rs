//! Reading the audit log (F8): one account's events, filtered and paged, or all of them (up to
//! a bound) as CSV. Filters are bound parameters; `%`, `_` and `\` in terms match literally.
//! Each event comes with its story (the names its sentence needs, see `audit_story`).

use crate::ssr::services::audit::story::{self, Recorded};
use crate::{
    audit::{AuditEntries, AuditEntry, PAGE_SIZE, ParsedAuditFilter, sentence},
    domain::AccountId,
    error::AppError,
    i18n::Locale,
    ssr::{AppState, guard::Request, sql::{Conditions, Sql, contains_pattern}},
};

/// Rows an export holds at most; a narrower filter gets the rest.
pub const EXPORT_LIMIT: i64 = 100_000;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    occurred_at: i64,
    actor_user_id: Option<i64>,
    actor_label: String,
    actor_company: Option<String>,
    action: String,
    target_type: String,
    target_id: Option<i64>,
    target_label: String,
    details: String,
    client_ip: String,
}

/// The rows as entries, their names resolved for the whole batch at once; `details` stays as
/// recorded (compact JSON).
async fn entries(state: &AppState, rows: Vec<Row>) -> Result<Vec<AuditEntry>, AppError> {
    let details: Vec<serde_json::Value> =
        rows.iter().map(|r| serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null)).collect();
    let recorded: Vec<Recorded<'_>> = rows
        .iter()
        .zip(&details)
        .map(|(r, details)| Recorded {
            action: &r.action,
            actor_user_id: r.actor_user_id,
            target_type: &r.target_type,
            target_id: r.target_id,
            details,
            client_ip: &r.client_ip,
        })
        .collect();
    let stories = story::stories(&state.db.pool, &recorded).await?;
    Ok(rows
        .into_iter()
        .zip(stories)
        .map(|(r, story)| AuditEntry {
            id: r.id,
            occurred_at: r.occurred_at,
            actor: r.actor_label,
            actor_company: r.actor_company,
            action: r.action,
            target: r.target_label,
            details: r.details,
            client_ip: r.client_ip,
            story,
        })
        .collect())
}

/// For reading on a page: the details pretty-printed.
fn pretty(mut entry: AuditEntry) -> AuditEntry {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&entry.details) {
        entry.details = serde_json::to_string_pretty(&value).unwrap_or(entry.details);
    }
    entry
}

/// The account's events matching the filter.
fn conditions(account: AccountId, filter: &ParsedAuditFilter) -> Conditions {
    let mut conditions = Conditions::default();
    conditions.add_bind("e.account_id = ", account, "");
    if let Some(actor) = &filter.actor {
        conditions.add_bind("LOWER(e.actor_label) LIKE ", contains_pattern(actor), " ESCAPE '\\'");
    }
    if let Some(action) = filter.action {
        conditions.add_bind("e.action = ", action, "");
    }
    if let Some(target) = &filter.target {
        conditions.add_bind("LOWER(e.target_label) LIKE ", contains_pattern(target), " ESCAPE '\\'");
    }
    if let Some(from) = filter.from {
        conditions.add_bind("e.occurred_at >= ", from, "");
    }
    if let Some(until) = filter.until {
        conditions.add_bind("e.occurred_at < ", until, "");
    }
    conditions
}

const SELECT: &str = "SELECT e.id, e.occurred_at, e.actor_user_id, e.actor_label, a.name AS actor_company, e.action,
            e.target_type, e.target_id, e.target_label, e.details, e.client_ip
     FROM audit_events e
     LEFT JOIN accounts a ON a.id = e.actor_account_id AND e.actor_account_id <> e.account_id";

async fn fetch(state: &AppState, account: AccountId, filter: &ParsedAuditFilter, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, AppError> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE ")
        .push_conditions(&conditions(account, filter))
        .push(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows: Vec<Row> = sql.query_as().fetch_all(&state.db.pool).await?;
    entries(state, rows).await
}

async fn count(state: &AppState, account: AccountId, filter: &ParsedAuditFilter) -> Result<i64, AppError> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM audit_events e WHERE ");
    sql.push_conditions(&conditions(account, filter));
    sql.query_scalar().fetch_one(&state.db.pool).await.map_err(AppError::from)
}

/// One page of the account's events, newest first, and how many match.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn list(req: &Request, filter: &ParsedAuditFilter) -> Result<AuditEntries, AppError> {
    let Request { state, actor, .. } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let rows = fetch(state, account, filter, PAGE_SIZE, filter.page * PAGE_SIZE).await?.into_iter().map(pretty).collect();
    let total = count(state, account, filter).await?;
    Ok(AuditEntries { rows, total })
}

/// The newest events of the account (the dashboard).
#[tracing::instrument(skip_all)]
pub async fn recent(state: &AppState, account: AccountId, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    Ok(fetch(state, account, &ParsedAuditFilter::default(), limit, 0).await?.into_iter().map(pretty).collect())
}

/// Every matching event (up to `EXPORT_LIMIT`) as CSV: stable machine columns (the action
/// code, the recorded labels, the details as recorded), then each event's sentence in `locale`.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn export_csv(req: &Request, filter: &ParsedAuditFilter, locale: Locale) -> Result<Vec<u8>, AppError> {
    let Request { state, actor, .. } = req;
    let account = actor.account_id().ok_or(AppError::Forbidden)?;
    let rows = fetch(state, account, filter, EXPORT_LIMIT, 0).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["time", "actor", "actor_company", "action", "target", "details", "client_ip", "sentence"];
    writer.write_record(header).map_err(crate::ssr::internal)?;
    for row in rows {
        let time = time::OffsetDateTime::from_unix_timestamp(row.occurred_at)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let readable = sentence(locale, &row);
        let record = [time, row.actor, row.actor_company.unwrap_or_default(), row.action, row.target, row.details, row.client_ip, readable];
        writer.write_record(record.iter().map(|cell| spreadsheet_safe(cell))).map_err(crate::ssr::internal)?;
    }
    writer.into_inner().map_err(crate::ssr::internal)
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with
/// an apostrophe, as OWASP recommends against CSV injection: names are user input.
fn spreadsheet_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_kept() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("jane"), "jane");
    }
}
