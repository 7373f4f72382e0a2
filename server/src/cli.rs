//! The command line: `serve` (the default) and the operator's subcommands (F13).

use crate::{config::Config, startup::Application, telemetry};
use app::{
    domain::{AccountName, Email, LoginName, PersonName},
    error::Problem,
    ssr::{AppState, Db, services::{accounts, users}},
};
use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use std::{path::PathBuf, process::ExitCode};

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Portico: partner-portal administration")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default). Listens on LEPTOS_SITE_ADDR (127.0.0.1:3000).
    Serve,
    /// Create an account with its primary administrator, who signs in with the temporary
    /// password printed here and must choose their own at once.
    CreateAccount {
        #[arg(long)]
        account_name: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        login_name: String,
    },
    /// Give a user a temporary password (printed here) to replace at next login; ends all
    /// their sessions.
    ResetPassword {
        /// Login name or e-mail of the user.
        #[arg(long)]
        user: String,
    },
    /// Copy the SQLite database to a new file while Portico keeps serving (a consistent
    /// snapshot, by `VACUUM INTO`). For PostgreSQL use pg_dump.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Count every account's users again and compare with the counts the list and the
    /// dashboard read; prints each difference and fails if there is one.
    CheckCounts,
    /// Add generated users to the account of a user, to try Portico at scale: active, named
    /// "<Prefix> Person", login "<prefix>N", e-mail "<prefix>N@example.invalid", with a
    /// password hash that no password matches, so none of them can sign in.
    SeedUsers {
        /// Login name or e-mail of a user of the account to fill.
        #[arg(long)]
        account_of: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
        count: u32,
        /// Lower-case letters only; it starts every generated name, login and address.
        #[arg(long, default_value = "seeded")]
        prefix: String,
    },
}

pub async fn run(cli: Cli) -> ExitCode {
    telemetry::init(cli.config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config).await,
        Command::CreateAccount { account_name, first_name, last_name, email, login_name } => {
            create_account(&cli.config, &account_name, &first_name, &last_name, &email, &login_name).await
        }
        Command::ResetPassword { user } => reset_password(&cli.config, &user).await,
        Command::Backup { to } => backup(&cli.config, &to).await,
        Command::CheckCounts => check_counts(&cli.config).await,
        Command::SeedUsers { account_of, count, prefix } => seed_users(&cli.config, &account_of, count, &prefix).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> Result<(), String> {
    let leptos = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?.leptos_options;
    let addr = leptos.site_addr;
    let app = Application::build(config, leptos, addr).await?;
    tracing::info!(url = %format!("http://{}", app.local_addr()), "Portico is listening");
    app.run().await.map_err(|e| format!("server stopped: {e}"))
}

async fn state(config: &Config) -> Result<AppState, String> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("cannot create data directory: {e}"))?;
    }
    let db = Db::connect(&config.database_url()).await.map_err(|e| format!("cannot open the database: {e}"))?;
    Ok(AppState::new(db, config.settings()))
}

fn parsed<T>(field: &str, result: Result<T, Problem>) -> Result<T, String> {
    result.map_err(|problem| format!("--{}: {problem:?}", field.replace('_', "-")))
}

async fn create_account(
    config: &Config,
    account_name: &str,
    first_name: &str,
    last_name: &str,
    email: &str,
    login_name: &str,
) -> Result<(), String> {
    let input = accounts::create::Bootstrap {
        account_name: parsed("account_name", AccountName::parse(account_name))?,
        first_name: parsed("first_name", PersonName::parse(first_name))?,
        last_name: parsed("last_name", PersonName::parse(last_name))?,
        email: parsed("email", Email::parse(email))?,
        login_name: parsed("login_name", LoginName::parse(login_name))?,
    };
    let login = input.login_name.as_str().to_owned();
    let state = state(config).await?;
    let (account, password) = accounts::create::bootstrap_account(&state, input).await.map_err(|e| e.to_string())?;
    println!("Created account \"{}\" (Partner ID {}).", account.name, account.partner_id);
    println!("Sign in as {login} with the temporary password {}", password.expose());
    println!("(you will choose your own password right after signing in).");
    Ok(())
}

async fn reset_password(config: &Config, user: &str) -> Result<(), String> {
    let state = state(config).await?;
    let password = accounts::create::reset_password_by_operator(&state, user).await.map_err(|e| e.to_string())?;
    println!("Temporary password for {user}: {}", password.expose());
    println!("It must be replaced at the next sign-in; every session of the user has ended.");
    Ok(())
}

async fn backup(config: &Config, to: &std::path::Path) -> Result<(), String> {
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        return Err("backup copies the SQLite database; for PostgreSQL use pg_dump".into());
    }
    if to.exists() {
        return Err(format!("{} already exists; choose a new file", to.display()));
    }
    let target = to.to_str().ok_or("the backup path must be valid UTF-8")?;
    let state = state(config).await?;
    // One read transaction: writers carry on (WAL), the copy is the database at one instant.
    sqlx::query("VACUUM INTO $1").bind(target).execute(&state.db.pool).await.map_err(|e| format!("backup failed: {e}"))?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!("Backed up to {} ({bytes} bytes).", to.display());
    Ok(())
}

async fn check_counts(config: &Config) -> Result<(), String> {
    let state = state(config).await?;
    let differences = users::counts::check(&state.db).await.map_err(|e| e.to_string())?;
    for difference in &differences {
        match difference {
            users::counts::Difference::Counts { account, kept, counted } => {
                println!("account {account}: kept {kept:?}, counted {counted:?}");
            }
            users::counts::Difference::SecondFactorFlags { users } => {
                println!("{users} users' second-factor flag disagrees with their factors");
            }
            users::counts::Difference::RoleGrantAccounts { grants } => {
                println!("{grants} role grants name another account than their user's");
            }
            users::counts::Difference::SearchCopies { users } => {
                println!("{users} search copies are missing, of no user, or differ from their user");
            }
        }
    }
    if differences.is_empty() {
        println!("Every account's user counts, role grants and search copies agree with its users.");
        Ok(())
    } else {
        Err(format!("{} differences", differences.len()))
    }
}

async fn seed_users(config: &Config, account_of: &str, count: u32, prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || prefix.len() > 20 || !prefix.chars().all(|c| c.is_ascii_lowercase()) {
        return Err("--prefix: 1 to 20 lower-case letters".into());
    }
    let state = state(config).await?;
    let (_, account, _) = accounts::create::user_named_by_operator(&state, account_of).await.map_err(|e| e.to_string())?;
    let account = account.ok_or(format!("{account_of} is in no account"))?;
    let first_name = format!("{}{}", prefix[..1].to_uppercase(), &prefix[1..]);
    let failed = |e: sqlx::Error| format!("{e} (is the prefix used already?)");
    // One transaction: the users and, as for a user added without roles, the Member role.
    let mut tx = state.db.begin_write().await.map_err(|e| e.to_string())?;
    let inserted = sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, created_at)
         SELECT $2, $3, 'Person', $4 || i, $4 || i || '@example.invalid', '!unusable', $5 FROM n",
    )
    .bind(i64::from(count))
    .bind(account)
    .bind(&first_name)
    .bind(prefix)
    .bind(app::ssr::now())
    .execute(&mut *tx)
    .await
    .map_err(failed)?;
    sqlx::query(
        "INSERT INTO user_roles (user_id, role_id)
         SELECT u.id, r.id FROM users u JOIN roles r ON r.builtin_key = 'member'
         WHERE u.account_id = $1 AND u.email LIKE $2 AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)",
    )
    .bind(account)
    .bind(format!("{prefix}%@example.invalid"))
    .execute(&mut *tx)
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    println!("Added {} users to the account of {account_of}.", inserted.rows_affected());
    Ok(())
}
