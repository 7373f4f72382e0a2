//! The transactional outbox (F9, I6): `enqueue` stores a mail in the caller's transaction, so
//! it exists exactly when the action committed; the worker delivers due mails by SMTP when one
//! is configured, else as `.eml` files in the mailbox folder, retrying failures with
//! exponential backoff. Several instances may run the worker: each mail is claimed with a
//! conditional UPDATE before it is sent. A mail still undelivered `give_up_secs` after it was
//! queued is given up (S9): marked failed and its body erased, as a delivered one's is.

use super::{
    Db,
    mail::{Mail, locale_of, render},
};
use crate::{
    domain::{AccountId, Permission},
    error::AppError,
    i18n::Locale,
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use sqlx::AnyConnection;
use std::path::PathBuf;

/// A claimed mail whose delivery did not finish (crash) is tried again after this long.
const CLAIM_SECS: i64 = 60;
const BATCH: i64 = 50;
/// The first retry waits this long; each further one twice as long, up to 2^10 times.
const BACKOFF_SECS: i64 = 30;

/// Where delivered mail goes.
#[derive(Clone)]
pub enum Transport {
    /// Each mail becomes `<id>.eml` in this folder (the default, and what tests read).
    Mailbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// SMTP from a URL such as `smtp://user:pass@host:587?tls=required` or `smtps://host`.
    pub fn smtp(url: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|builder| Self::Smtp(builder.build()))
            .map_err(|e| format!("PORTICO_SMTP_URL: {e}"))
    }
}

/// Queues `mail` to `recipient` in `locale`, inside the caller's transaction.
pub async fn enqueue(conn: &mut AnyConnection, recipient: &str, locale: &str, mail: &Mail<'_>, now: i64) -> Result<(), AppError> {
    let rendered = render(mail, locale_of(locale));
    sqlx::query("INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(recipient)
        .bind(rendered.subject)
        .bind(rendered.body)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Queues one mail per `(recipient, locale, mail)` in multi-row INSERTs, inside the caller's
/// transaction (an import invites thousands at once).
pub async fn enqueue_many(conn: &mut AnyConnection, mails: &[(&str, &str, Mail<'_>)], now: i64) -> Result<(), AppError> {
    const COLUMNS: usize = 5;
    const ROWS_PER_STATEMENT: usize = super::sql::rows_per_statement(COLUMNS);
    for chunk in mails.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|row| format!("({})", super::sql::placeholders(row * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at) VALUES {values}");
        let mut query = sqlx::query(&sql);
        for (recipient, locale, mail) in chunk {
            let rendered = render(mail, locale_of(locale));
            query = query.bind(*recipient).bind(rendered.subject).bind(rendered.body).bind(now).bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Who among an account's users receives a mail.
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    pub account: AccountId,
    /// Users holding this permission through their roles in the account.
    pub permission: Permission,
    /// Only those subscribed to alerts (F9).
    pub alerts_only: bool,
}

/// Queues `mail` to every active user of the audience, each in their language.
pub async fn enqueue_to(conn: &mut AnyConnection, audience: Audience, mail: &Mail<'_>, now: i64) -> Result<usize, AppError> {
    let recipients: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT u.email, u.locale FROM users u
         JOIN user_roles ur ON ur.user_id = u.id
         JOIN roles r ON r.id = ur.role_id AND (r.account_id IS NULL OR r.account_id = u.account_id)
         WHERE u.account_id = $1 AND u.locked_at IS NULL AND u.password_hash IS NOT NULL
           AND (r.permissions & $2) <> 0 AND (u.subscribe_alerts = 1 OR $3 = 0)",
    )
    .bind(audience.account.0)
    .bind(crate::domain::PermissionSet::of(&[audience.permission]).bits())
    .bind(i64::from(audience.alerts_only))
    .fetch_all(&mut *conn)
    .await?;
    for (email, locale) in &recipients {
        enqueue(conn, email, locale, mail, now).await?;
    }
    Ok(recipients.len())
}

/// Queues the news `mail` to every user of the platform subscribed to news, but `except`, in
/// one statement (it may reach many): the mail is rendered once per language.
pub async fn enqueue_news(conn: &mut AnyConnection, mail: &Mail<'_>, except: Option<i64>, now: i64) -> Result<(), AppError> {
    let (en, fr) = (render(mail, Locale::en), render(mail, Locale::fr));
    sqlx::query(
        "INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at)
         SELECT email, CASE WHEN locale = 'fr' THEN $1 ELSE $2 END, CASE WHEN locale = 'fr' THEN $3 ELSE $4 END, $5, $5
         FROM users
         WHERE subscribe_news = 1 AND locked_at IS NULL AND password_hash IS NOT NULL AND id <> $6",
    )
    .bind(fr.subject)
    .bind(en.subject)
    .bind(fr.body)
    .bind(en.body)
    .bind(now)
    .bind(except.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    recipient: String,
    subject: String,
    body: String,
    attempts: i64,
    created_at: i64,
}

/// Delivers every mail due at `now` (`super::now()` outside tests) once; a failure past
/// `give_up_secs` after queueing gives the mail up. Returns how many were delivered.
pub async fn deliver_due(db: &Db, transport: &Transport, from: &Mailbox, give_up_secs: i64, now: i64) -> Result<usize, AppError> {
    let due: Vec<Pending> = sqlx::query_as(
        "SELECT id, recipient, subject, body, attempts, created_at FROM outbox
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&db.pool)
    .await?;
    let mut delivered = 0;
    for mail in due {
        let claimed = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3")
            .bind(now + CLAIM_SECS)
            .bind(mail.id)
            .bind(now)
            .execute(&db.pool)
            .await?;
        if claimed.rows_affected() != 1 {
            continue; // another instance has it
        }
        match send(transport, from, &mail).await {
            Ok(how) => {
                // The body may hold a temporary password: once delivered, only the subject stays.
                sqlx::query("UPDATE outbox SET sent_at = $1, body = '', attempts = attempts + 1, last_error = NULL WHERE id = $2")
                    .bind(now)
                    .bind(mail.id)
                    .execute(&db.pool)
                    .await?;
                tracing::info!(mail_id = mail.id, to = %mail.recipient, subject = %mail.subject, via = %how, "mail delivered");
                delivered += 1;
            }
            Err(error) if now >= mail.created_at.saturating_add(give_up_secs) => {
                // Given up: the body (a temporary password, a link) must not wait in the database
                // for nobody. The subject names no secret and stays, as for a delivered mail.
                sqlx::query("UPDATE outbox SET failed_at = $1, body = '', attempts = attempts + 1, last_error = $2 WHERE id = $3")
                    .bind(now)
                    .bind(&error)
                    .bind(mail.id)
                    .execute(&db.pool)
                    .await?;
                tracing::warn!(mail_id = mail.id, to = %mail.recipient, subject = %mail.subject, error = %error,
                    queued_secs_ago = now - mail.created_at, "mail given up: marked failed, body erased");
            }
            Err(error) => {
                let backoff = BACKOFF_SECS * 2_i64.pow(mail.attempts.clamp(0, 10) as u32);
                // The last try is at the give-up time, not a long backoff after it.
                let retry_at = (now + backoff).min(mail.created_at.saturating_add(give_up_secs)).max(now + 1);
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3")
                    .bind(retry_at)
                    .bind(&error)
                    .bind(mail.id)
                    .execute(&db.pool)
                    .await?;
                tracing::warn!(mail_id = mail.id, error = %error, retry_in_secs = retry_at - now, "mail delivery failed");
            }
        }
    }
    Ok(delivered)
}

/// Sends one mail; returns where it went (for the log).
async fn send(transport: &Transport, from: &Mailbox, mail: &Pending) -> Result<String, String> {
    let message = Message::builder()
        .from(from.clone())
        .to(mail.recipient.parse().map_err(|e| format!("recipient: {e}"))?)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        // lettre picks the transfer encoding (quoted-printable for long lines and accents).
        .body(mail.body.clone())
        .map_err(|e| format!("message: {e}"))?;
    match transport {
        Transport::Mailbox(folder) => write_eml(folder, mail.id, &message),
        Transport::Smtp(smtp) => smtp.send(message).await.map(|_| "smtp".to_owned()).map_err(|e| format!("smtp: {e}")),
    }
}

/// Writes the mail as `<id>.eml`, atomically (a reader never sees half a file). On Unix the
/// file is created readable by its owner only (0600), never briefly more: mails hold temporary
/// passwords and links in clear.
fn write_eml(mailbox: &std::path::Path, id: i64, message: &Message) -> Result<String, String> {
    use std::io::Write;
    std::fs::create_dir_all(mailbox).map_err(|e| format!("mailbox folder: {e}"))?;
    let name = format!("{id:010}.eml");
    let partial = mailbox.join(format!(".{name}.partial"));
    // A partial file left by a crash may have other permissions: start afresh.
    let _ = std::fs::remove_file(&partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial).map_err(|e| format!("create: {e}"))?;
    file.write_all(&message.formatted()).map_err(|e| format!("write: {e}"))?;
    drop(file);
    std::fs::rename(&partial, mailbox.join(&name)).map_err(|e| format!("rename: {e}"))?;
    Ok(name)
}
