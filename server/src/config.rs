//! Configuration from flags or environment variables (`server --help` lists them all).

use app::ssr::{ResetDelivery, Settings, client_address, quota::QuotaSettings, throttle::ThrottleSettings};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: `sqlite://path/file.db` or `postgres://user@host/db`. Default: SQLite file
    /// `portico.db` in the data directory, created on first start.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// The key that encrypts second-factor secrets at rest: base64 of 32 bytes. Default: the
    /// file `secret.key` in the data directory, created on first start (back it up with the
    /// database: without it, enrolled authenticator apps stop working).
    #[arg(long, env = "PORTICO_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Directory for Portico's own files (the default SQLite database).
    #[arg(long, env = "PORTICO_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// The address users reach Portico at, e.g. `https://portal.example.com`. Used for the
    /// same-origin check and links; `https` turns on `Secure` cookies.
    #[arg(long, env = "PORTICO_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Whether anyone may sign up on the login page.
    #[arg(long, env = "PORTICO_REGISTRATION", value_enum, default_value_t = Registration::Open, global = true)]
    pub registration: Registration,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "PORTICO_SESSION_IDLE_MINUTES", default_value_t = 60, global = true)]
    pub session_idle_minutes: u32,

    /// Hours after login at which a session ends, active or not.
    #[arg(long, env = "PORTICO_SESSION_LIFETIME_HOURS", default_value_t = 12, global = true)]
    pub session_lifetime_hours: u32,

    /// Failed logins per identifier within an hour before it is blocked (30 s, doubling).
    #[arg(long, env = "PORTICO_LOGIN_MAX_FAILURES", default_value_t = 5, global = true)]
    pub login_max_failures: u32,

    /// Failed logins per client IP within an hour before it is blocked.
    #[arg(long, env = "PORTICO_LOGIN_MAX_FAILURES_PER_IP", default_value_t = 50, global = true)]
    pub login_max_failures_per_ip: u32,

    /// Self-registrations per client IP within an hour (each costs a hash and a mail).
    #[arg(long, env = "PORTICO_REGISTRATIONS_PER_IP", default_value_t = 20, global = true)]
    pub registrations_per_ip: u32,

    /// Invitation mails (new and resent) one account may send per hour.
    #[arg(long, env = "PORTICO_INVITATIONS_PER_HOUR", default_value_t = 100, global = true)]
    pub invitations_per_hour: u32,

    /// Partner invitations (by Partner ID or shareable link) one account may create per day.
    #[arg(long, env = "PORTICO_PARTNER_INVITATIONS_PER_DAY", default_value_t = 20, global = true)]
    pub partner_invitations_per_day: u32,

    /// Companies one user may create per day (each is announced to everyone subscribed to news).
    #[arg(long, env = "PORTICO_ACCOUNTS_PER_USER_PER_DAY", default_value_t = 3, global = true)]
    pub accounts_per_user_per_day: u32,

    /// Password hashes that may wait or run at once. Sign-ins and sign-ups beyond it are
    /// answered 503 with `Retry-After` instead of queueing without bound. Default: 16 per core.
    #[arg(long, env = "PORTICO_HASH_QUEUE", global = true)]
    pub hash_queue: Option<u32>,

    /// How an administrator's password reset reaches the user: a temporary password by mail,
    /// or a single-use link by mail (for policies that forbid sending passwords).
    #[arg(long, env = "PORTICO_RESET_DELIVERY", value_enum, default_value_t = ResetDeliveryArg::TemporaryPassword, global = true)]
    pub reset_delivery: ResetDeliveryArg,

    /// Days an invitation link stays valid.
    #[arg(long, env = "PORTICO_INVITATION_DAYS", default_value_t = 7, global = true)]
    pub invitation_days: u32,

    /// Hours a temporary password (or an administrator's reset link) stays valid.
    #[arg(long, env = "PORTICO_TEMPORARY_PASSWORD_HOURS", default_value_t = 24, global = true)]
    pub temporary_password_hours: u32,

    /// Minutes a "forgot password" link stays valid.
    #[arg(long, env = "PORTICO_RESET_LINK_MINUTES", default_value_t = 60, global = true)]
    pub reset_link_minutes: u32,

    /// Folder where mails are written as `.eml` files. Default: `mailbox` in the data directory.
    /// Not used when an SMTP server is configured.
    #[arg(long, env = "PORTICO_MAILBOX_DIR", global = true)]
    pub mailbox_dir: Option<PathBuf>,

    /// Hours after which a mail that could not be delivered is given up: marked failed, its
    /// body (which may hold a temporary password or a link) erased, and a warning logged.
    #[arg(long, env = "PORTICO_MAIL_GIVE_UP_HOURS", default_value_t = 72, global = true)]
    pub mail_give_up_hours: u32,

    /// Seconds between two sweeps of expired sessions, links, counters and old mails.
    #[arg(long, env = "PORTICO_SWEEP_SECONDS", default_value_t = 300, global = true)]
    pub sweep_seconds: u32,

    /// Deliver mail through this SMTP server instead of the mailbox folder, e.g.
    /// `smtp://user:password@mail.example.com:587?tls=required` or `smtps://mail.example.com`.
    #[arg(long, env = "PORTICO_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of every mail.
    #[arg(long, env = "PORTICO_MAIL_FROM", default_value = "Portico <no-reply@portico.invalid>", global = true)]
    pub mail_from: String,

    /// Hours an e-mail verification link stays valid.
    #[arg(long, env = "PORTICO_VERIFICATION_HOURS", default_value_t = 48, global = true)]
    pub verification_hours: u32,

    /// Days a partner invitation (by Partner ID or by link) stays valid.
    #[arg(long, env = "PORTICO_PARTNER_INVITATION_DAYS", default_value_t = 14, global = true)]
    pub partner_invitation_days: u32,

    /// Bearer token Prometheus presents to read `/metrics`. Without it (or empty), `/metrics` is off.
    #[arg(long, env = "PORTICO_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "PORTICO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Reverse proxies (load balancers) whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client, comma-separated addresses or networks, e.g. `10.0.0.0/8,2001:db8::1`. Requests
    /// from any other peer are that peer, headers ignored. Default: none.
    // The full path makes clap parse the whole list as one value.
    #[arg(long, env = "PORTICO_TRUSTED_PROXIES", value_parser = client_address::parse_trusted_proxies, default_value = "", hide_default_value = true, global = true)]
    pub trusted_proxies: ::std::vec::Vec<client_address::IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResetDeliveryArg {
    TemporaryPassword,
    Link,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("portico.db").display())
        })
    }

    pub fn mailbox_dir(&self) -> PathBuf {
        self.mailbox_dir.clone().unwrap_or_else(|| self.data_dir.join("mailbox"))
    }

    /// Where links in mails point: the public URL, else the address the server listens on.
    fn link_base(&self) -> String {
        let base = self.public_url.clone().unwrap_or_else(|| {
            let addr = std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
            format!("http://{addr}")
        });
        base.trim_end_matches('/').to_owned()
    }

    /// The key sealing second-factor secrets: configured, else the data directory's
    /// `secret.key`, created when absent.
    pub fn sealing_key(&self) -> Result<app::ssr::sealing::SealingKey, String> {
        app::ssr::sealing::SealingKey::load(self.secret_key.as_deref(), &self.data_dir.join("secret.key"))
    }

    pub fn settings(&self) -> Settings {
        Settings {
            registration_open: self.registration == Registration::Open,
            session_idle_secs: i64::from(self.session_idle_minutes) * 60,
            session_absolute_secs: i64::from(self.session_lifetime_hours) * 3600,
            secure_cookies: self.public_url.as_deref().is_some_and(|url| url.starts_with("https://")),
            throttle: ThrottleSettings {
                max_failures_per_identifier: i64::from(self.login_max_failures),
                max_failures_per_ip: i64::from(self.login_max_failures_per_ip),
                max_registrations_per_ip: i64::from(self.registrations_per_ip),
                ..ThrottleSettings::default()
            },
            quotas: QuotaSettings {
                invitations_per_hour: self.invitations_per_hour,
                partner_invitations_per_day: self.partner_invitations_per_day,
                accounts_per_user_per_day: self.accounts_per_user_per_day,
            },
            hash_queue_len: self.hash_queue.map_or_else(app::ssr::passwords::default_queue_len, |n| n.max(1) as usize),
            public_url: self.link_base(),
            mailbox_dir: self.mailbox_dir(),
            mail_give_up_secs: i64::from(self.mail_give_up_hours) * 3600,
            sweep_interval_secs: u64::from(self.sweep_seconds),
            reset_delivery: match self.reset_delivery {
                ResetDeliveryArg::TemporaryPassword => ResetDelivery::TemporaryPassword,
                ResetDeliveryArg::Link => ResetDelivery::Link,
            },
            invitation_ttl_secs: i64::from(self.invitation_days) * 86_400,
            temporary_password_ttl_secs: i64::from(self.temporary_password_hours) * 3600,
            reset_link_ttl_secs: i64::from(self.reset_link_minutes) * 60,
            verification_ttl_secs: i64::from(self.verification_hours) * 3600,
            partner_invitation_ttl_secs: i64::from(self.partner_invitation_days) * 86_400,
            mail_from: self.mail_from.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            // Read by `sealing_key` once the data directory exists (startup); random until then.
            sealing_key: Default::default(),
        }
    }
}
