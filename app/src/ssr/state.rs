//! The state every request shares, provided to pages and server functions as Leptos context.

use super::{Db, passwords::PasswordHasher, throttle::ThrottleSettings};
use std::{path::PathBuf, sync::Arc};

/// How an administrator's password reset reaches the user (F4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetDelivery {
    /// A random temporary password by e-mail, good for one login.
    TemporaryPassword,
    /// A single-use link by e-mail to choose a new password.
    Link,
}

/// Behaviour an operator configures (see the server's `--help`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub registration_open: bool,
    /// A session unused for this long ends.
    pub session_idle_secs: i64,
    /// A session ends this long after login, used or not.
    pub session_absolute_secs: i64,
    /// Cookies carry `Secure` (set when the public URL is https).
    pub secure_cookies: bool,
    pub throttle: ThrottleSettings,
    /// Where links in mails point, without a trailing slash.
    pub public_url: String,
    /// Folder the outbox worker writes each mail to, as an `.eml` file.
    pub mailbox_dir: PathBuf,
    pub reset_delivery: ResetDelivery,
    pub invitation_ttl_secs: i64,
    pub temporary_password_ttl_secs: i64,
    /// Validity of a password-reset link (forgot password, or `ResetDelivery::Link`).
    pub reset_link_ttl_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            registration_open: true,
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            secure_cookies: false,
            throttle: ThrottleSettings::default(),
            public_url: "http://127.0.0.1:3000".into(),
            mailbox_dir: PathBuf::from("data/mailbox"),
            reset_delivery: ResetDelivery::TemporaryPassword,
            invitation_ttl_secs: 7 * 24 * 3600,
            temporary_password_ttl_secs: 24 * 3600,
            reset_link_ttl_secs: 3600,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Self {
        Self { db, hasher: PasswordHasher::new(), settings: Arc::new(settings) }
    }
}
