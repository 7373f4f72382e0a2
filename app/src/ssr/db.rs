//! One pool for either backend, chosen by the URL scheme; embedded migrations per backend;
//! and the single place where database errors become `AppError`s.

use crate::error::{AppError, FieldError, Problem};
use sqlx::{
    AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::Migrator,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err("DATABASE_URL must start with sqlite: or postgres:".into())
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let backend = Backend::from_url(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        let options = match backend {
            // WAL lets readers run beside the single writer; NORMAL is durable in WAL mode
            // except for the last transactions on power loss, the usual trade-off.
            Backend::Sqlite => AnyPoolOptions::new().max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = options.connect(url).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self { pool, backend })
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later can fail
    /// with SQLITE_BUSY instead of waiting when another writer got there in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        let result = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        Ok(result?)
    }
}

/// A database error as the client may see it, so `?` maps every query's error.
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        db_error(error)
    }
}

/// The unique constraints a user can run into, and the field each one is about. PostgreSQL
/// reports the constraint's name; SQLite reports the columns of the index it violated
/// ("UNIQUE constraint failed: users.email"), so each row names both, and both are compared
/// whole.
const UNIQUE_CONSTRAINTS: [(&str, &str, &str, Problem); 4] = [
    ("users_email_key", "users.email", "email", Problem::EmailTaken),
    ("users_login_name_key", "users.login_name", "login_name", Problem::LoginNameTaken),
    ("roles_account_name_key", "roles.account_id, roles.name", "name", Problem::RoleNameTaken),
    ("partner_links_live_pair", "partner_links.partner_account_id, partner_links.customer_account_id", "partner_id", Problem::AlreadyPartners),
];

/// Maps a database error: unique violations the user can fix become a `Conflict` on the field
/// concerned; everything else is internal (logged with its cause, reference to the client).
fn db_error(error: sqlx::Error) -> AppError {
    if let Some(db) = error.as_database_error().filter(|db| db.is_unique_violation()) {
        let sqlite_columns = db.message().strip_prefix("UNIQUE constraint failed: ");
        let violated = UNIQUE_CONSTRAINTS.iter().find(|(name, columns, ..)| {
            db.constraint() == Some(*name) || sqlite_columns == Some(*columns)
        });
        if let Some((.., field, problem)) = violated {
            return AppError::Conflict(FieldError::new(field, *problem));
        }
    }
    super::internal(error)
}
