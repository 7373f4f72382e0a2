//! Configuration from flags or environment variables (`server --help` lists them all).

use app::ssr::{Settings, throttle::ThrottleSettings};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database: `sqlite://path/file.db` or `postgres://user@host/db`. Default: SQLite file
    /// `portico.db` in the data directory, created on first start.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

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

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "PORTICO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Closed,
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

    pub fn settings(&self) -> Settings {
        Settings {
            registration_open: self.registration == Registration::Open,
            session_idle_secs: i64::from(self.session_idle_minutes) * 60,
            session_absolute_secs: i64::from(self.session_lifetime_hours) * 3600,
            secure_cookies: self.public_url.as_deref().is_some_and(|url| url.starts_with("https://")),
            throttle: ThrottleSettings {
                max_failures_per_identifier: i64::from(self.login_max_failures),
                max_failures_per_ip: i64::from(self.login_max_failures_per_ip),
                ..ThrottleSettings::default()
            },
        }
    }
}
