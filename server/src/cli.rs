//! The command line: `serve` (the default) and the operator's subcommands (F13).

use crate::{config::Config, startup::Application, telemetry};
use app::{
    domain::{AccountName, Email, LoginName, PersonName},
    error::Problem,
    ssr::{AppState, Db, services::accounts},
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
