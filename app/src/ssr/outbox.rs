//! The transactional outbox (F9, I6): `enqueue` stores a mail in the caller's transaction, so
//! it exists exactly when the action committed; `deliver_due` writes due mails to the mailbox
//! folder as `.eml` files (SMTP comes with the issue that configures it). Several instances may
//! run the worker: each mail is claimed with a conditional UPDATE before it is written.

use super::{
    Db,
    db::db_error,
    mail::{Mail, locale_of, render},
    now,
};
use crate::error::AppError;
use lettre::{Message, message::header::ContentType};
use sqlx::AnyConnection;
use std::{path::Path, time::Duration};

const FROM: &str = "Portico <no-reply@portico.invalid>";
/// A claimed mail whose delivery did not finish (crash) is tried again after this long.
const CLAIM_SECS: i64 = 60;
const BATCH: i64 = 50;

/// Queues `mail` to `recipient` in `locale`, inside the caller's transaction.
pub async fn enqueue(conn: &mut AnyConnection, recipient: &str, locale: &str, mail: &Mail<'_>, now: i64) -> Result<(), AppError> {
    let rendered = render(mail, locale_of(locale));
    sqlx::query("INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(recipient)
        .bind(rendered.subject)
        .bind(rendered.body)
        .bind(now)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    recipient: String,
    subject: String,
    body: String,
    attempts: i64,
}

/// Delivers every due mail once; returns how many were delivered.
pub async fn deliver_due(db: &Db, mailbox: &Path) -> Result<usize, AppError> {
    let now = now();
    let due: Vec<Pending> = sqlx::query_as(
        "SELECT id, recipient, subject, body, attempts FROM outbox
         WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&db.pool)
    .await
    .map_err(db_error)?;
    let mut delivered = 0;
    for mail in due {
        let claimed = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $3")
            .bind(now + CLAIM_SECS)
            .bind(mail.id)
            .bind(now)
            .execute(&db.pool)
            .await
            .map_err(db_error)?;
        if claimed.rows_affected() != 1 {
            continue; // another instance has it
        }
        match write_eml(mailbox, &mail) {
            Ok(file) => {
                // The body may hold a temporary password: once delivered, only the subject stays.
                sqlx::query("UPDATE outbox SET sent_at = $1, body = '', attempts = attempts + 1, last_error = NULL WHERE id = $2")
                    .bind(now)
                    .bind(mail.id)
                    .execute(&db.pool)
                    .await
                    .map_err(db_error)?;
                tracing::info!(mail_id = mail.id, to = %mail.recipient, subject = %mail.subject, file = %file, "mail delivered to the mailbox");
                delivered += 1;
            }
            Err(error) => {
                let backoff = 30 * 2_i64.pow(mail.attempts.clamp(0, 10) as u32);
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3")
                    .bind(now + backoff)
                    .bind(&error)
                    .bind(mail.id)
                    .execute(&db.pool)
                    .await
                    .map_err(db_error)?;
                tracing::warn!(mail_id = mail.id, error = %error, retry_in_secs = backoff, "mail delivery failed");
            }
        }
    }
    Ok(delivered)
}

/// Writes the mail as `<id>.eml`, atomically (a reader never sees half a file).
fn write_eml(mailbox: &Path, mail: &Pending) -> Result<String, String> {
    let message = Message::builder()
        .from(FROM.parse().map_err(|e| format!("sender: {e}"))?)
        .to(mail.recipient.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        // lettre picks the transfer encoding (quoted-printable for long lines and accents).
        .body(mail.body.clone())
        .map_err(|e| format!("message: {e}"))?;
    std::fs::create_dir_all(mailbox).map_err(|e| format!("mailbox folder: {e}"))?;
    let name = format!("{:010}.eml", mail.id);
    let partial = mailbox.join(format!(".{name}.partial"));
    std::fs::write(&partial, message.formatted()).map_err(|e| format!("write: {e}"))?;
    std::fs::rename(&partial, mailbox.join(&name)).map_err(|e| format!("rename: {e}"))?;
    Ok(name)
}

/// Runs until the process ends: delivers due mails every `interval`.
pub async fn run_worker(db: Db, mailbox: std::path::PathBuf, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        if let Err(error) = deliver_due(&db, &mailbox).await {
            tracing::warn!(%error, "outbox worker pass failed");
        }
    }
}
