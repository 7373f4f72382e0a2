//! Everything that runs only on the server: database, hashing, sessions, the authorization
//! guard, and the services holding the business rules. Server functions call into here.

pub mod audit;
pub mod client_address;
pub mod cookies;
pub mod csp;
pub mod db;
pub mod downloads;
pub mod guard;
pub mod link_tokens;
pub mod mail;
pub mod outbox;
pub mod passwords;
pub mod quota;
pub mod sealing;
pub mod services;
pub mod sql;
pub mod sessions;
pub mod state;
pub mod sweeper;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod webauthn;
pub mod worker;

pub use db::{Backend, Db};
pub use state::{AppState, ResetDelivery, Settings};

use crate::error::AppError;

/// Logs an unexpected failure once, with its cause chain, and answers with a reference only.
pub fn internal(error: impl std::fmt::Display) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(reference, error = %error, "internal error");
    AppError::Internal { reference }
}

/// Seconds since the Unix epoch: the one clock every stored time uses.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
