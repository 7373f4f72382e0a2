//! Starts a real Portico on port 0 with a fresh database (SQLite file or a new PostgreSQL
//! database), and a cookie-keeping client to call its server functions over HTTP.

#![allow(dead_code)]

pub mod catalogue;
pub mod smtp;
pub mod soft_passkey;

use app::ssr::AppState;
use leptos::prelude::LeptosOptions;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use server::{
    config::{Config, LogFormat, Registration, ResetDeliveryArg},
    startup::Application,
};
use sqlx::{Connection, Executor, PgConnection};
use std::path::PathBuf;

pub const PASSWORD: &str = "correct horse battery";

/// The form of a self-registration with `PASSWORD`.
pub fn register_args<'a>(login: &'a str, email: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("first_name", "Jane"),
        ("last_name", "Doe"),
        ("email", email),
        ("login_name", login),
        ("password", PASSWORD),
        ("locale", "en"),
    ]
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL of TEST_POSTGRES_URL; each test creates and drops its own database.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `TEST_POSTGRES_URL` is set. Without it the PostgreSQL variants say so
    /// and return, except under CI (`CI` set), where a missing database is a failure.
    pub fn postgres() -> Option<Self> {
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ if std::env::var_os("CI").is_some() => panic!("CI must set TEST_POSTGRES_URL"),
            _ => {
                eprintln!("TEST_POSTGRES_URL is not set: PostgreSQL variant not run");
                None
            }
        }
    }
}

/// Runs each listed `async fn name(backend: Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(backend) = $crate::common::Backend::postgres() { super::$name(backend).await }
               } )*
        }
    };
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    config: Config,
    cleanup: Cleanup,
}

enum Cleanup {
    /// A second instance on another's database: the first one cleans up.
    Nothing,
    Directory(PathBuf),
    Database { server_url: String, name: String, dir: PathBuf },
}

pub fn test_config() -> Config {
    Config {
        database_url: None,
        // A fixed key: no test writes a key file, and a restarted server opens what it sealed.
        secret_key: Some("dGVzdCBrZXkgZm9yIHNlY29uZCBmYWN0b3Igc2VhbHM=".to_owned()),
        data_dir: PathBuf::new(),
        public_url: None,
        registration: Registration::Open,
        session_idle_minutes: 60,
        session_lifetime_hours: 12,
        login_max_failures: 5,
        login_max_failures_per_ip: 50,
        registrations_per_ip: 1000,
        invitations_per_hour: 100,
        partner_invitations_per_day: 20,
        accounts_per_user_per_day: 3,
        hash_queue: None,
        reset_delivery: ResetDeliveryArg::TemporaryPassword,
        invitation_days: 7,
        temporary_password_hours: 24,
        reset_link_minutes: 60,
        mailbox_dir: None,
        mail_give_up_hours: 72,
        sweep_seconds: 300,
        smtp_url: None,
        mail_from: "Portico <no-reply@portico.invalid>".into(),
        verification_hours: 48,
        partner_invitation_days: 14,
        metrics_token: Some("scrape-secret".into()),
        log_format: LogFormat::Text,
        trusted_proxies: Vec::new(),
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, test_config()).await
}

pub async fn spawn_app_with(backend: Backend, mut config: Config) -> TestApp {
    // The server's logs, shown only for a failing test.
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn,app=info").try_init();
    let unique = format!("{:016x}", rand::random::<u64>());
    // Both backends get their own data directory: it holds the mailbox.
    let dir = std::env::temp_dir().join(format!("portico-test-{unique}"));
    config.data_dir = dir.clone();
    let cleanup = match backend {
        Backend::Sqlite => Cleanup::Directory(dir),
        Backend::Postgres(server_url) => {
            let name = format!("portico_test_{unique}");
            let template = postgres_template(&server_url).await;
            let mut conn = PgConnection::connect(&server_url).await.expect("connect to TEST_POSTGRES_URL");
            conn.execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str()).await.expect("create test database");
            config.database_url = Some(with_database(&server_url, &name));
            Cleanup::Database { server_url, name, dir }
        }
    };
    start(config, cleanup).await
}

async fn start(config: Config, cleanup: Cleanup) -> TestApp {
    let options = LeptosOptions::builder().output_name("portico").site_root("target/site").build();
    let app = Application::build(&config, options, "127.0.0.1:0".parse().unwrap()).await.expect("build app");
    let url = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run());
    TestApp { url, client: new_client(), state, config, cleanup }
}

impl TestApp {
    /// The server binary's subcommand `args`, run on this app's database; waits for it.
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command.args(args).env("PORTICO_DATA_DIR", &self.config.data_dir);
        match &self.config.database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        tokio::task::spawn_blocking(move || command.output().expect("the server binary runs")).await.unwrap()
    }

    /// Another instance of Portico on the same database and data directory, as behind a load
    /// balancer (F13).
    pub async fn second_instance(&self) -> TestApp {
        start(self.config.clone(), Cleanup::Nothing).await
    }
}

/// The name of a database with every PostgreSQL migration applied, for tests to copy: a copy
/// took 0.5 s here against 1.3 s to create a database and migrate it, and every test makes one.
/// It is named after the migrations, so later runs reuse it and a changed migration gets a new
/// one (the old ones are dropped then). Built under a temporary name and renamed when complete,
/// so no run can copy a half-migrated template, whatever runs beside it.
async fn postgres_template(server_url: &str) -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("portico_template_{}", migrations_fingerprint());
            let mut conn = PgConnection::connect(server_url).await.expect("connect to TEST_POSTGRES_URL");
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if !exists {
                let building = format!("portico_building_{:016x}", rand::random::<u64>());
                conn.execute(format!("CREATE DATABASE {building}").as_str()).await.expect("create the template");
                let db = app::ssr::Db::connect(&with_database(server_url, &building)).await.expect("migrate the template");
                db.pool.close().await;
                // A closed pool's server processes can outlive it by seconds, and a database
                // with a session open can be neither renamed nor copied.
                sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
                    .bind(&building)
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'portico\\_template\\_%' AND datname <> $1")
                    .bind(&name)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                for old in stale {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {old}").as_str()).await;
                }
                // Another run may have renamed its copy first: then use that one.
                if conn.execute(format!("ALTER DATABASE {building} RENAME TO {name}").as_str()).await.is_err() {
                    conn.execute(format!("DROP DATABASE {building}").as_str()).await.expect("drop the spare template");
                }
            }
            name
        })
        .await
}

/// A short hash of the PostgreSQL migrations' names and contents.
fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("the migrations").map(|entry| entry.unwrap().path()).collect();
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(file.file_name().unwrap().as_encoded_bytes());
        hash.update(std::fs::read(&file).unwrap());
    }
    hash.finalize()[..8].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `postgres://u@h:p/test` → `postgres://u@h:p/<name>`.
pub fn with_database(server_url: &str, name: &str) -> String {
    let (base, _) = server_url.rsplit_once('/').expect("TEST_POSTGRES_URL names a database");
    format!("{base}/{name}")
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

/// A server function's answer: HTTP status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The status and the JSON body (or the text, when it is not JSON).
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self { status, body }
    }

    pub fn is_ok(&self) -> bool {
        self.status == StatusCode::OK
    }
}

impl TestApp {
    /// Calls the server function at `/api/<endpoint>` with form-encoded arguments.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> Answer {
        self.call_as(&self.client, endpoint, args).await
    }

    pub async fn call_as(&self, client: &reqwest::Client, endpoint: &str, args: &[(&str, &str)]) -> Answer {
        let response = client
            .post(format!("{}/api/{endpoint}", self.url))
            .form(args)
            .send()
            .await
            .expect("request reaches the server");
        Answer::read(response).await
    }

    /// Registers `login` on the app's own client and confirms the address (a setup shortcut:
    /// the verification mail itself is tested in `membership.rs`).
    pub async fn register(&self, login: &str, email: &str) -> Answer {
        let answer = self.call("auth/register", &register_args(login, email)).await;
        if answer.is_ok() {
            self.mark_verified(login).await;
        }
        answer
    }

    /// Marks the e-mail address of `login` as verified and spends its link, as following the
    /// mailed link does.
    pub async fn mark_verified(&self, login: &str) {
        for sql in [
            "UPDATE users SET email_verified_at = 1 WHERE login_name = $1",
            "DELETE FROM user_tokens WHERE purpose = 'email_verification' AND user_id = (SELECT id FROM users WHERE login_name = $1)",
        ] {
            sqlx::query(sql).bind(login).execute(&self.state.db.pool).await.unwrap();
        }
    }

    pub async fn login(&self, identifier: &str, password: &str) -> Answer {
        self.call("auth/login", &[("identifier", identifier), ("password", password)]).await
    }

    pub async fn session(&self) -> Value {
        let answer = self.call("session/current", &[]).await;
        assert!(answer.is_ok(), "session/current answers: {answer:?}");
        answer.body
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.state.db.pool).await.unwrap()
    }

    pub async fn execute(&self, sql: &str) {
        sqlx::query(sql).execute(&self.state.db.pool).await.unwrap();
    }

    /// Checks the kept user counts against the users (so every test that ends here checks
    /// them after its own changes), closes the pool and removes the database.
    pub async fn finish(self) {
        let differences = app::ssr::services::users::counts::check(&self.state.db).await.expect("the counts are read");
        assert_eq!(differences, [], "the kept user counts agree with the users");
        self.state.db.pool.close().await;
        match self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { server_url, name, dir } => {
                let _ = std::fs::remove_dir_all(dir);
                let mut conn = PgConnection::connect(&server_url).await.unwrap();
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

impl TestApp {
    /// A plain GET of a site path (downloads, probes).
    pub async fn get_as(&self, client: &reqwest::Client, path: &str) -> Answer {
        let response = client.get(format!("{}{path}", self.url)).send().await.expect("request reaches the server");
        Answer::read(response).await
    }

    /// Calls a server function that takes JSON (`input = Json`).
    pub async fn call_json(&self, client: &reqwest::Client, endpoint: &str, args: Value) -> Answer {
        let response = client
            .post(format!("{}/api/{endpoint}", self.url))
            .json(&args)
            .send()
            .await
            .expect("request reaches the server");
        Answer::read(response).await
    }

    /// A new client signed in as the primary administrator of a new account.
    pub async fn admin(&self, login: &str) -> reqwest::Client {
        let client = new_client();
        let email = format!("{login}@example.com");
        let answer = self.call_as(&client, "auth/register", &register_args(login, &email)).await;
        assert!(answer.is_ok(), "register {login}: {answer:?}");
        self.mark_verified(login).await;
        let answer = self.call_as(&client, "accounts/create", &[("account_name", &format!("{login} corp"))]).await;
        assert!(answer.is_ok(), "create account: {answer:?}");
        client
    }

    /// The id of the user with this login name.
    pub async fn user_id(&self, login: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE login_name = $1")
            .bind(login)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// The mails delivered to `recipient` so far, oldest first, as raw `.eml` text. Waits up to
    /// five seconds for at least `expected` of them (the outbox worker runs every half second).
    pub async fn mails_to(&self, recipient: &str, expected: usize) -> Vec<String> {
        let mailbox = self.state.settings.mailbox_dir.clone();
        for _ in 0..50 {
            let mut files: Vec<_> = std::fs::read_dir(&mailbox)
                .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
                .unwrap_or_default();
            files.sort();
            let mails: Vec<String> = files
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .filter(|text| text.lines().any(|l| l.starts_with("To:") && l.contains(recipient)))
                .map(|text| decode_quoted_printable(&text))
                .collect();
            if mails.len() >= expected {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("fewer than {expected} mails reached {recipient}");
    }
}

impl TestApp {
    /// The first mail to `recipient` that contains `needle`; waits up to five seconds for it.
    pub async fn mail_containing(&self, recipient: &str, needle: &str) -> String {
        for _ in 0..50 {
            let mails = self.mails_to(recipient, 0).await;
            if let Some(mail) = mails.into_iter().find(|m| m.contains(needle)) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no mail to {recipient} contains {needle:?}");
    }
}

/// The value of `token=` in the first link of a mail.
pub fn token_in(mail: &str) -> String {
    let start = mail.find("token=").expect("the mail holds a link with a token") + "token=".len();
    mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// Undoes quoted-printable (soft line breaks, `=XX` bytes) so tests read the text as sent.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Users made by an administrator, as the admin tests and the partner tests need them.
pub async fn role_id(app: &TestApp, key: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = $1").bind(key).fetch_one(&app.state.db.pool).await.unwrap()
}

pub fn form(login: &str, email: &str, roles: &[i64], password: &str) -> Value {
    json!({
        "first_name": "Bob", "last_name": "Stone", "login_name": login, "email": email, "locale": "en",
        "subscribe_news": false, "subscribe_alerts": true, "role_ids": roles, "password": password,
    })
}

/// `admin` creates `login` with PASSWORD and `roles`; returns the new id.
pub async fn create(app: &TestApp, admin: &Client, login: &str, roles: &[i64]) -> i64 {
    let email = format!("{login}@example.com");
    let answer = app.call_json(admin, "users/create", json!({ "form": form(login, &email, roles, PASSWORD), "delivery": "Password" })).await;
    assert!(answer.is_ok(), "create {login}: {answer:?}");
    answer.body.as_i64().unwrap()
}

/// A client signed in as `login` whose forced password change is done (new password NEW).
pub const NEW: &str = "a brand new secret";
pub async fn signed_in(app: &TestApp, login: &str) -> Client {
    let client = new_client();
    assert!(app.call_as(&client, "auth/login", &[("identifier", login), ("password", PASSWORD)]).await.is_ok());
    let changed = app.call_as(&client, "auth/change_password", &[("current_password", PASSWORD), ("new_password", NEW)]).await;
    assert!(changed.is_ok(), "{changed:?}");
    client
}


/// Adds an authenticator app for the user signed in on `client` (F15: partner staff need one
/// to act for a customer); returns its secret. Confirmed with the previous step's code, so a
/// sign-in right after can use the current one.
#[allow(dead_code)]
pub async fn enrol_totp(app: &TestApp, client: &reqwest::Client) -> Vec<u8> {
    let begun = app.call_as(client, "factors/totp/begin", &[]).await;
    assert!(begun.is_ok(), "{begun:?}");
    let secret = totp_rs::Secret::Encoded(begun.body["secret"].as_str().unwrap().replace(' ', "")).to_bytes().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = totp_code(&secret, now - 30);
    let confirmed = app.call_as(client, "factors/totp/confirm", &[("code", &code), ("name", "Test phone")]).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
    secret
}

/// The code an authenticator app holding `secret` shows at `time` (Unix seconds).
#[allow(dead_code)]
pub fn totp_code(secret: &[u8], time: u64) -> String {
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec(), None, String::new()).generate(time)
}
