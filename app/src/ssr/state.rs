//! The state every request shares, provided to pages and server functions as Leptos context.

use super::{Db, passwords::PasswordHasher, throttle::ThrottleSettings};
use std::sync::Arc;

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            registration_open: true,
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            secure_cookies: false,
            throttle: ThrottleSettings::default(),
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
