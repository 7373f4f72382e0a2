//! Single-use links (S2): 256-bit tokens stored as SHA-256 hashes, expiring, deleted on use.

use crate::{
    domain::UserId,
    error::{AppError, Problem},
    ssr::tokens::{self, Secret},
};
use sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
    EmailVerification,
}

impl Purpose {
    /// The `purpose` column's value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
        }
    }
}

/// The one answer for unknown, used and expired links: the form's `token` field is refused.
pub fn invalid() -> AppError {
    AppError::field("token", Problem::LinkInvalid)
}

/// A new link for `user`, replacing any earlier one for the same purpose. Returns the token,
/// which exists only in the mail from then on.
pub async fn create(conn: &mut AnyConnection, user: UserId, purpose: Purpose, now: i64, ttl_secs: i64) -> Result<Secret, AppError> {
    delete_all(conn, user, purpose).await?;
    let token = tokens::new_token();
    sqlx::query("INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token.hash())
        .bind(user.0)
        .bind(purpose.key())
        .bind(now)
        .bind(now + ttl_secs)
        .execute(conn)
        .await?;
    Ok(token)
}

/// Links for users who have none yet (just created), in multi-row INSERTs. Returns the tokens
/// in the order of `users`.
pub async fn create_many(conn: &mut AnyConnection, users: &[UserId], purpose: Purpose, now: i64, ttl_secs: i64) -> Result<Vec<Secret>, AppError> {
    const COLUMNS: usize = 5;
    const ROWS_PER_STATEMENT: usize = 400;
    let tokens: Vec<Secret> = users.iter().map(|_| tokens::new_token()).collect();
    for (users, tokens) in users.chunks(ROWS_PER_STATEMENT).zip(tokens.chunks(ROWS_PER_STATEMENT)) {
        let values = (0..users.len())
            .map(|row| format!("({})", crate::ssr::sql::placeholders(row * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES {values}");
        let mut query = sqlx::query(&sql);
        for (user, token) in users.iter().zip(tokens) {
            query = query.bind(token.hash()).bind(user.0).bind(purpose.key()).bind(now).bind(now + ttl_secs);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(tokens)
}

/// The user a valid link belongs to.
pub async fn find(conn: &mut AnyConnection, token: &str, purpose: Purpose, now: i64) -> Result<UserId, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let user: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3")
            .bind(tokens::hash_token(token))
            .bind(purpose.key())
            .bind(now)
            .fetch_optional(conn)
            .await?;
    user.map(UserId).ok_or_else(invalid)
}

pub async fn delete_all(conn: &mut AnyConnection, user: UserId, purpose: Purpose) -> Result<(), AppError> {
    sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user.0)
        .bind(purpose.key())
        .execute(conn)
        .await?;
    Ok(())
}

/// Every pending link of `user`, whatever its purpose (their e-mail address changed).
pub async fn delete_all_for_user(conn: &mut AnyConnection, user: UserId) -> Result<(), AppError> {
    sqlx::query("DELETE FROM user_tokens WHERE user_id = $1")
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(())
}
