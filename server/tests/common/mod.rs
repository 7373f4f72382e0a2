//! Starts a real Portico on port 0 with a fresh database (SQLite file or a new PostgreSQL
//! database), and a cookie-keeping client to call its server functions over HTTP.

#![allow(dead_code)]

use app::ssr::AppState;
use leptos::prelude::LeptosOptions;
use reqwest::StatusCode;
use serde_json::Value;
use server::{
    config::{Config, LogFormat, Registration},
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
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Database { server_url: String, name: String },
}

pub fn test_config() -> Config {
    Config {
        database_url: None,
        data_dir: PathBuf::new(),
        public_url: None,
        registration: Registration::Open,
        session_idle_minutes: 60,
        session_lifetime_hours: 12,
        login_max_failures: 5,
        login_max_failures_per_ip: 50,
        log_format: LogFormat::Text,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, test_config()).await
}

pub async fn spawn_app_with(backend: Backend, mut config: Config) -> TestApp {
    let unique = format!("{:016x}", rand::random::<u64>());
    let cleanup = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("portico-test-{unique}"));
            config.data_dir = dir.clone();
            Cleanup::Directory(dir)
        }
        Backend::Postgres(server_url) => {
            let name = format!("portico_test_{unique}");
            let mut conn = PgConnection::connect(&server_url).await.expect("connect to TEST_POSTGRES_URL");
            conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
            config.database_url = Some(with_database(&server_url, &name));
            Cleanup::Database { server_url, name }
        }
    };
    let options = LeptosOptions::builder().output_name("portico").site_root("target/site").build();
    let app = Application::build(&config, options, "127.0.0.1:0".parse().unwrap()).await.expect("build app");
    let url = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run());
    TestApp { url, client: new_client(), state, cleanup }
}

/// `postgres://u@h:p/test` → `postgres://u@h:p/<name>`.
fn with_database(server_url: &str, name: &str) -> String {
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
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    pub async fn register(&self, login: &str, email: &str) -> Answer {
        self.call("auth/register", &register_args(login, email)).await
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

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.state.db.pool.close().await;
        match self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { server_url, name } => {
                let mut conn = PgConnection::connect(&server_url).await.unwrap();
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}
