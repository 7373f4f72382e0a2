//! The state every request shares, provided to pages and server functions as Leptos context.

use super::{Db, outbox::Transport, passwords::PasswordHasher, quota::QuotaSettings, throttle::ThrottleSettings};
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
    /// Abuse limits: invitations per hour, partner invitations and companies per day.
    pub quotas: QuotaSettings,
    /// Password hashes the queue holds (running or waiting); unauthenticated work beyond it
    /// is refused with 503 (S8).
    pub hash_queue_len: usize,
    /// Where links in mails point, without a trailing slash.
    pub public_url: String,
    /// Folder the outbox worker writes each mail to, as an `.eml` file.
    pub mailbox_dir: PathBuf,
    /// A mail still undelivered this long after it was queued is given up: marked failed and
    /// its body erased (S9).
    pub mail_give_up_secs: i64,
    /// How often expired rows are swept (S9).
    pub sweep_interval_secs: u64,
    pub reset_delivery: ResetDelivery,
    pub invitation_ttl_secs: i64,
    pub temporary_password_ttl_secs: i64,
    /// Validity of a password-reset link (forgot password, or `ResetDelivery::Link`).
    pub reset_link_ttl_secs: i64,
    /// Validity of an e-mail verification link.
    pub verification_ttl_secs: i64,
    /// Validity of a partner invitation (by Partner ID or by link).
    pub partner_invitation_ttl_secs: i64,
    /// The sender of every mail, e.g. `Portico <no-reply@example.com>`.
    pub mail_from: String,
    /// Reverse proxies whose forwarding headers name the client (S8); empty: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seals second-factor secrets at rest (F15); a server loads it with `SealingKey::load`.
    pub sealing_key: super::sealing::SealingKey,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            registration_open: true,
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            secure_cookies: false,
            throttle: ThrottleSettings::default(),
            quotas: QuotaSettings::default(),
            hash_queue_len: super::passwords::default_queue_len(),
            public_url: "http://127.0.0.1:3000".into(),
            mailbox_dir: PathBuf::from("data/mailbox"),
            mail_give_up_secs: 72 * 3600,
            sweep_interval_secs: 5 * 60,
            reset_delivery: ResetDelivery::TemporaryPassword,
            invitation_ttl_secs: 7 * 24 * 3600,
            temporary_password_ttl_secs: 24 * 3600,
            reset_link_ttl_secs: 3600,
            verification_ttl_secs: 48 * 3600,
            partner_invitation_ttl_secs: 14 * 24 * 3600,
            mail_from: "Portico <no-reply@portico.invalid>".into(),
            trusted_proxies: Vec::new(),
            sealing_key: Default::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub settings: Arc<Settings>,
    /// Where the outbox worker delivers mail: the mailbox folder unless SMTP is configured.
    pub transport: Transport,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Self {
        let transport = Transport::Mailbox(settings.mailbox_dir.clone());
        Self { db, hasher: PasswordHasher::new(settings.hash_queue_len), settings: Arc::new(settings), transport }
    }

    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// A link to `path_and_query` on the address users reach Portico at.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.settings.public_url)
    }
}
