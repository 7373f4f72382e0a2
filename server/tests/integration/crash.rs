//! Crash consistency (SPEC I6, I7, F9 outbox), with the real binary killed by SIGKILL (kill -9)
//! while it deletes 10,000 users in one bulk action:
//! - all or nothing: afterwards the account holds all 10,000 users with every role, session and
//!   token row, or none of them, and the `user.deleted` audit events exist exactly when the
//!   users are gone;
//! - no orphan rows (roles, sessions, tokens, grants of a user that no longer exists); on SQLite
//!   `PRAGMA integrity_check`, `PRAGMA foreign_key_check` and the FTS index are clean;
//! - a mail that could not be delivered (SMTP down) survives every kill and is delivered after
//!   the last restart, once SMTP answers.
//!
//! The kill points are fractions of the measured duration of an uninterrupted delete, and a
//! probe just before each kill sees whether the delete's transaction is open (SQLite: the
//! write lock is held; PostgreSQL: a backend has written in an open transaction). The test
//! requires one kill inside the transaction that left everything in place, and one delete that
//! committed, so it proves the kill really landed mid-flight.
//! On SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set.

use crate::common;

use common::{Backend, new_client, register_args, smtp};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::{AnyConnection, AnyPool, Connection, Executor, PgConnection, any::AnyPoolOptions};
use std::{
    collections::VecDeque,
    fs::File,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

on_both_backends!(
    kill_9_during_a_bulk_delete_of_10000_users_is_all_or_nothing,
    the_checks_catch_what_a_torn_delete_would_leave,
);

const USERS: i64 = 10_000;
const NEW_PASSWORD: &str = "a brand new secret";
const MAIL_RECIPIENT: &str = "bob@example.com";
/// Kill points, as fractions of the duration of an uninterrupted bulk delete.
const KILL_FRACTIONS: [f64; 6] = [0.0, 0.25, 0.5, 0.75, 0.9, 1.0];
/// Further kills at half the duration when none of the above landed inside the transaction.
const EXTRA_KILLS: usize = 3;
/// A mail is delivered within this long of its due time (the worker polls every 500 ms).
const DELIVERY_GRACE_SECS: i64 = 15;

async fn kill_9_during_a_bulk_delete_of_10000_users_is_all_or_nothing(backend: Backend) {
    let started = Instant::now();
    on_a_new_site(&backend, crash_and_recover).await;
    eprintln!(
        "[{}] total {:.1} s",
        Site::name_of(&backend),
        started.elapsed().as_secs_f64()
    );
}

/// Runs `body` on a new site, then removes the site, also when a check failed.
async fn on_a_new_site<F, Fut>(backend: &Backend, body: F)
where
    F: FnOnce(Site) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let site = Site::create(backend).await;
    // In a task, so that a panic still reaches the clean-up below.
    let outcome = tokio::spawn(body(site.clone())).await;
    site.remove().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn crash_and_recover(site: Site) {
    let temporary_password = create_account_with_the_cli(&site);
    let server = Server::start(&site).await;
    let admin = sign_in(&server, &temporary_password).await;
    let db = Db::open(&site).await;
    let account = db.account_of("ada").await;
    db.close().await;
    seed_users(&site, account, 1).await;

    // One delete without a kill: it must commit, and its duration places the kills.
    let measured = run_trial(&site, server, &admin, account, None).await;
    assert!(
        measured.deleted && measured.answered,
        "an uninterrupted delete commits: {measured:?}"
    );
    let duration = measured.took;
    eprintln!("[{}] trial 1: {measured}", site.name());
    let mut trials = vec![measured];

    // The mail is queued just before the kills, so the outbox's first retry (30 s later) is
    // normally due only after SMTP is back.
    seed_users(&site, account, 2).await;
    let mut running = Some(Server::start(&site).await);
    queue_an_undeliverable_mail(&site, running.as_ref().unwrap()).await;

    let mut kill_points: VecDeque<f64> = KILL_FRACTIONS.into();
    let (mut round, mut extra_kills) = (2, 0);
    while let Some(fraction) = kill_points.pop_front() {
        let server = match running.take() {
            Some(server) => server,
            None => Server::start(&site).await,
        };
        let trial = run_trial(
            &site,
            server,
            &admin,
            account,
            Some(duration.mul_f64(fraction)),
        )
        .await;
        if trial.deleted {
            round += 1;
            seed_users(&site, account, round).await;
        }
        eprintln!("[{}] trial {}: {trial}", site.name(), trials.len() + 1);
        trials.push(trial);
        if kill_points.is_empty()
            && !trials.iter().any(Trial::interrupted_mid_transaction)
            && extra_kills < EXTRA_KILLS
        {
            kill_points.push_back(0.5);
            extra_kills += 1;
        }
    }

    assert!(
        trials.iter().any(Trial::interrupted_mid_transaction),
        "no kill landed inside the delete's transaction: {trials:#?}"
    );
    assert!(trials.iter().any(|t| t.deleted), "no delete committed");

    deliver_the_queued_mail_after_restart(&site).await;
}

/// Where one run keeps its data: a temporary directory (logs, the SQLite file) and, on
/// PostgreSQL, a database of its own.
#[derive(Clone)]
struct Site {
    dir: PathBuf,
    database_url: String,
    /// The server URL and database name, to drop the database at the end.
    postgres: Option<(String, String)>,
    /// Down until the end of the test.
    smtp: smtp::Smtp,
}

impl Site {
    async fn create(backend: &Backend) -> Self {
        sqlx::any::install_default_drivers();
        let unique = format!("{:016x}", rand::random::<u64>());
        let dir = std::env::temp_dir().join(format!("portico-crash-{unique}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.join("portico.db").display()),
                None,
            ),
            Backend::Postgres(server_url) => {
                let name = format!("portico_crash_{unique}");
                let mut conn = PgConnection::connect(server_url)
                    .await
                    .expect("connect to TEST_POSTGRES_URL");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                (
                    common::with_database(server_url, &name),
                    Some((server_url.clone(), name)),
                )
            }
        };
        Self {
            dir,
            database_url,
            postgres,
            smtp: smtp::Smtp::down().await,
        }
    }

    fn is_sqlite(&self) -> bool {
        self.postgres.is_none()
    }

    fn name(&self) -> &'static str {
        if self.is_sqlite() {
            "sqlite"
        } else {
            "postgres"
        }
    }

    fn name_of(backend: &Backend) -> &'static str {
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The binary with this site's configuration.
    fn portico(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .env("PORTICO_DATA_DIR", &self.dir)
            .env(
                "PORTICO_SMTP_URL",
                self.smtp.url(),
            )
            .env("LEPTOS_OUTPUT_NAME", "portico")
            .env("LEPTOS_SITE_ROOT", "target/site");
        match self.postgres {
            Some(_) => command.env("DATABASE_URL", &self.database_url),
            None => command.env_remove("DATABASE_URL"),
        };
        command
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    async fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((server_url, name)) = &self.postgres {
            let mut conn = PgConnection::connect(server_url).await.unwrap();
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `server serve`. Dropping it (a failed check included) kills it.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start(site: &Site) -> Self {
        let port = free_port();
        let log = File::options()
            .create(true)
            .append(true)
            .open(site.log())
            .unwrap();
        let child = site
            .portico()
            .arg("serve")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start the server binary");
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready(site).await;
        server
    }

    async fn wait_until_ready(&mut self, site: &Site) {
        let probe = Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}):\n{}",
                    std::fs::read_to_string(site.log()).unwrap_or_default()
                );
            }
            let ready = probe.get(format!("{}/readyz", self.url)).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "/readyz never answered 200:\n{}",
            std::fs::read_to_string(site.log()).unwrap_or_default()
        );
    }

    /// SIGKILL: no shutdown code runs, open transactions are cut off where they stand.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `server create-account`; returns the temporary password it prints.
fn create_account_with_the_cli(site: &Site) -> String {
    let output = site
        .portico()
        .args([
            "create-account",
            "--account-name",
            "Acme",
            "--first-name",
            "Ada",
            "--last-name",
            "Byron",
        ])
        .args(["--email", "ada@example.com", "--login-name", "ada"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "create-account: {output:?}");
    let (_, rest) = stdout
        .split_once("temporary password ")
        .expect("the password is printed");
    rest.split_whitespace().next().unwrap().to_owned()
}

/// A client signed in as ada, her own password chosen.
async fn sign_in(server: &Server, temporary_password: &str) -> Client {
    let client = new_client();
    let call = |endpoint: &str, args: &[(&str, &str)]| {
        client
            .post(format!("{}/api/{endpoint}", server.url))
            .form(args)
            .send()
    };
    let login = call(
        "auth/login",
        &[("identifier", "ada"), ("password", temporary_password)],
    )
    .await
    .unwrap();
    assert_eq!(
        login.status(),
        StatusCode::OK,
        "login: {}",
        login.text().await.unwrap()
    );
    let changed = call(
        "auth/change_password",
        &[
            ("current_password", temporary_password),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "change password: {}",
        changed.text().await.unwrap()
    );
    client
}

/// Bob registers while SMTP is down: his verification mail is queued, tried once, and waits.
async fn queue_an_undeliverable_mail(site: &Site, server: &Server) {
    let answer = new_client()
        .post(format!("{}/api/auth/register", server.url))
        .form(&register_args("bob", MAIL_RECIPIENT))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "register: {}",
        answer.text().await.unwrap()
    );
    let db = Db::open(site).await;
    let failed = format!(
        "SELECT COUNT(*) FROM outbox WHERE recipient = '{MAIL_RECIPIENT}' AND attempts >= 1 AND sent_at IS NULL AND last_error IS NOT NULL"
    );
    for _ in 0..100 {
        if db.count(&failed).await == 1 {
            db.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the mail to {MAIL_RECIPIENT} was not tried (and failed) within ten seconds");
}

/// The test's own connection to the database, opened per step so that after a kill the
/// database is opened afresh (on SQLite, that is when the WAL is recovered).
struct Db {
    pool: AnyPool,
}

impl Db {
    async fn open(site: &Site) -> Self {
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&site.database_url)
            .await
            .unwrap();
        Self { pool }
    }

    async fn close(self) {
        self.pool.close().await;
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn account_of(&self, login: &str) -> i64 {
        sqlx::query_scalar("SELECT account_id FROM users WHERE login_name = $1")
            .bind(login)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Every user of the account but its primary administrator.
    fn members(account: i64) -> String {
        format!("SELECT id FROM users WHERE account_id = {account} AND is_primary_admin = 0")
    }
}

/// Adds USERS users to the account, set-based in one transaction, each with the built-in
/// member role, a session and a pending reset token: rows a partial delete would orphan.
/// `round` keeps names and token hashes unique across reseeds.
async fn seed_users(site: &Site, account: i64, round: u32) {
    let db = Db::open(site).await;
    let now = app::ssr::now();
    let numbers = if site.is_sqlite() {
        format!(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {USERS})"
        )
    } else {
        format!("WITH seq(i) AS (SELECT generate_series(CAST(1 AS BIGINT), {USERS}))")
    };
    let members = Db::members(account);
    let statements = [
        format!(
            "{numbers}
             INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, created_at)
             SELECT {account}, 'Crash', 'Victim', 'crash{round}.' || i, 'crash{round}.' || i || '@example.com', 'not-a-hash', {now}
             FROM seq"
        ),
        format!(
            "INSERT INTO user_roles (user_id, role_id)
             SELECT m.id, r.id FROM ({members}) m JOIN roles r ON r.builtin_key = 'member'"
        ),
        format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
             SELECT 'crash{round}-session-' || m.id, m.id, {now}, {now}, {now} + 43200 FROM ({members}) m"
        ),
        format!(
            "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at)
             SELECT 'crash{round}-token-' || m.id, m.id, 'password_reset', {now}, {now} + 2592000 FROM ({members}) m"
        ),
    ];
    let mut tx = db.pool.begin().await.unwrap();
    for sql in &statements {
        (&mut *tx)
            .execute(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap();
    let seeded = db
        .count(&format!("SELECT COUNT(*) FROM ({members}) m"))
        .await;
    assert_eq!(seeded, USERS, "seeded");
    db.close().await;
}

#[derive(Debug)]
struct Trial {
    /// None: the answer was awaited, then the server killed.
    kill_after: Option<Duration>,
    /// The delete's transaction was open just before the kill.
    in_transaction: bool,
    /// The server answered the bulk request before it died.
    answered: bool,
    /// From sending the request to its answer, or to the kill.
    took: Duration,
    /// The users are gone (else all are still there: anything between fails the checks).
    deleted: bool,
}

impl Trial {
    /// Open just before the kill, never answered, and nothing of it left: rolled back.
    fn interrupted_mid_transaction(&self) -> bool {
        self.in_transaction && !self.answered && !self.deleted
    }
}

impl std::fmt::Display for Trial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kill_after {
            None => write!(f, "killed after the answer ({} ms)", self.took.as_millis())?,
            Some(delay) => write!(
                f,
                "kill planned at {} ms, done at {} ms, transaction open: {}, answered: {}",
                delay.as_millis(),
                self.took.as_millis(),
                if self.in_transaction { "yes" } else { "no" },
                if self.answered { "yes" } else { "no" },
            )?,
        }
        let outcome = if self.deleted {
            "committed: all 10,000 deleted"
        } else {
            "nothing deleted"
        };
        write!(f, " -> {outcome}")
    }
}

/// Sends the bulk delete of every user of the account, kills the server `kill_after` later (or
/// once it answered), then checks the database.
async fn run_trial(
    site: &Site,
    server: Server,
    admin: &Client,
    account: i64,
    kill_after: Option<Duration>,
) -> Trial {
    let audit_before = Db::open(site).await;
    let deletions_before = audit_before.count(DELETION_EVENTS).await;
    audit_before.close().await;

    let request = admin
        .post(format!("{}/api/users/bulk", server.url))
        .json(&json!({ "action": "Delete", "selection": { "Matching": {} } }))
        .send();
    let started = Instant::now();
    let request = tokio::spawn(async move {
        let response = request.await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await?))
    });
    let (answer, in_transaction, took) = match kill_after {
        None => {
            let answer = request.await.unwrap();
            let took = started.elapsed();
            server.kill_9();
            (answer, false, took)
        }
        Some(delay) => {
            tokio::time::sleep_until((started + delay).into()).await;
            let in_transaction = write_transaction_open(site).await;
            let took = started.elapsed();
            server.kill_9();
            (request.await.unwrap(), in_transaction, took)
        }
    };
    let answered = match answer {
        Ok((status, body)) => {
            assert_eq!(status, StatusCode::OK, "bulk delete: {body}");
            let outcome: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(outcome["done"], USERS, "{outcome}");
            true
        }
        Err(_) => false,
    };
    let deleted = check_after_the_crash(site, account, deletions_before).await;
    if answered {
        assert!(
            deleted,
            "the server answered that the delete was done, yet the users are back"
        );
    }
    Trial {
        kill_after,
        in_transaction,
        answered,
        took,
        deleted,
    }
}

const DELETION_EVENTS: &str = "SELECT COUNT(*) FROM audit_events WHERE action = 'user.deleted'";

/// Whether a writing transaction is open right now, seen from another connection. SQLite: the
/// write lock is held (every write transaction takes it with BEGIN IMMEDIATE); PostgreSQL: a
/// client backend has written (it has a transaction id) in a transaction still open.
async fn write_transaction_open(site: &Site) -> bool {
    let mut conn = AnyConnection::connect(&site.database_url).await.unwrap();
    let open = if site.is_sqlite() {
        conn.execute("PRAGMA busy_timeout = 0").await.unwrap();
        match conn.execute("BEGIN IMMEDIATE").await {
            Ok(_) => {
                conn.execute("ROLLBACK").await.unwrap();
                false
            }
            Err(error)
                if error.to_string().contains("locked") || error.to_string().contains("busy") =>
            {
                true
            }
            Err(error) => panic!("probe: {error}"),
        }
    } else {
        let writers: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        writers > 0
    };
    conn.close().await.unwrap();
    open
}

/// The checks after a kill; returns whether the delete committed.
async fn check_after_the_crash(site: &Site, account: i64, deletions_before: i64) -> bool {
    if !site.is_sqlite() {
        wait_until_the_dead_servers_connections_end(site).await;
    }
    let db = Db::open(site).await;
    if site.is_sqlite() {
        sqlite_file_is_intact(&db).await;
    }
    let users = db
        .count(&format!(
            "SELECT COUNT(*) FROM users WHERE account_id = {account}"
        ))
        .await;
    let deleted = match users {
        1 => true,
        n if n == USERS + 1 => false,
        n => panic!(
            "all or nothing: the account holds {n} users, neither 1 nor {}",
            USERS + 1
        ),
    };
    let expected = if deleted { 0 } else { USERS };
    let members = Db::members(account);
    for table in ["user_roles", "sessions", "user_tokens"] {
        let rows = db
            .count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE user_id IN ({members})"
            ))
            .await;
        assert_eq!(
            rows, expected,
            "{table} rows of the account's members (deleted: {deleted})"
        );
    }
    for table in ["user_roles", "sessions", "user_tokens", "delegated_grants"] {
        let orphans = db
            .count(&format!("SELECT COUNT(*) FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id)"))
            .await;
        assert_eq!(orphans, 0, "{table} rows whose user no longer exists");
    }
    let deletions = db.count(DELETION_EVENTS).await - deletions_before;
    assert_eq!(
        deletions,
        if deleted { USERS } else { 0 },
        "user.deleted audit events exactly when the users are gone (deleted: {deleted})"
    );
    let queued = db
        .count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE recipient = '{MAIL_RECIPIENT}'"
        ))
        .await;
    if queued > 0 {
        let waiting = format!(
            "SELECT COUNT(*) FROM outbox WHERE recipient = '{MAIL_RECIPIENT}' AND sent_at IS NULL AND body <> ''"
        );
        assert_eq!(
            db.count(&waiting).await,
            1,
            "the undelivered mail is still queued, whole"
        );
    }
    db.close().await;
    deleted
}

async fn sqlite_file_is_intact(db: &Db) {
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        violations.len(),
        0,
        "PRAGMA foreign_key_check finds violations"
    );
    // With rank 1 the FTS5 index is also compared with its content table, `users`.
    sqlx::query("INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)")
        .execute(&db.pool)
        .await
        .expect("the users_search index matches the users table");
}

/// A killed client's PostgreSQL backends roll back and end on their own, once they notice the
/// connection is gone; until then a COMMIT already sent may still land.
async fn wait_until_the_dead_servers_connections_end(site: &Site) {
    let db = Db::open(site).await;
    let others = "SELECT COUNT(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
    for _ in 0..300 {
        if db.count(others).await == 0 {
            db.close().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the killed server's PostgreSQL connections did not end within 30 s");
}

/// SMTP comes up, Portico restarts with the same configuration, and the outbox delivers the
/// mail queued before all the kills, at its next due time.
async fn deliver_the_queued_mail_after_restart(site: &Site) {
    site.smtp.come_up();
    let inbox = &site.smtp.inbox;
    let server = Server::start(site).await;
    let started = Instant::now();
    let db = Db::open(site).await;
    let sent = format!(
        "SELECT COUNT(*) FROM outbox WHERE recipient = '{MAIL_RECIPIENT}' AND sent_at IS NOT NULL"
    );
    let due =
        format!("SELECT MAX(next_attempt_at) FROM outbox WHERE recipient = '{MAIL_RECIPIENT}'");
    while db.count(&sent).await == 0 {
        let due_at = db.count(&due).await;
        assert!(
            app::ssr::now() <= due_at + DELIVERY_GRACE_SECS,
            "the mail was due at {due_at} and is still not delivered at {}",
            app::ssr::now()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let attempts = db
        .count(&format!(
            "SELECT attempts FROM outbox WHERE recipient = '{MAIL_RECIPIENT}'"
        ))
        .await;
    db.close().await;
    server.kill_9();
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "one mail reached SMTP");
    assert!(
        received[0].contains(MAIL_RECIPIENT) && received[0].contains("Confirm your e-mail address"),
        "{}",
        received[0]
    );
    eprintln!(
        "[{}] the queued mail was delivered {:.1} s after the last restart, at attempt {attempts}",
        site.name(),
        started.elapsed().as_secs_f64()
    );
}

/// Each state a torn delete could leave, made by hand, fails the checks above (with the reason
/// expected), and the probe sees a write transaction that is open: the crash test's checks
/// can fail.
async fn the_checks_catch_what_a_torn_delete_would_leave(backend: Backend) {
    on_a_new_site(&backend, the_probe_sees_an_open_write_transaction).await;
    for torn in [
        Torn::HalfTheUsersGone,
        Torn::AuditEventsMissing,
        Torn::SessionsOrphaned,
    ] {
        on_a_new_site(&backend, move |site| the_checks_refuse(site, torn)).await;
    }
}

async fn the_probe_sees_an_open_write_transaction(site: Site) {
    create_account_with_the_cli(&site);
    assert!(!write_transaction_open(&site).await, "nothing is open yet");
    let mut conn = AnyConnection::connect(&site.database_url).await.unwrap();
    if site.is_sqlite() {
        conn.execute("BEGIN IMMEDIATE").await.unwrap();
    } else {
        conn.execute("BEGIN").await.unwrap();
        conn.execute("UPDATE accounts SET name = name")
            .await
            .unwrap();
    }
    assert!(
        write_transaction_open(&site).await,
        "the probe sees the open write transaction"
    );
    conn.execute("ROLLBACK").await.unwrap();
    conn.close().await.unwrap();
}

#[derive(Debug, Clone, Copy)]
enum Torn {
    HalfTheUsersGone,
    /// Every user gone, but not one `user.deleted` event.
    AuditEventsMissing,
    /// Every user gone with their events, but their sessions left (foreign keys bypassed).
    SessionsOrphaned,
}

impl Torn {
    /// What the failed check says.
    fn reasons(self) -> &'static [&'static str] {
        match self {
            Self::HalfTheUsersGone => &["all or nothing"],
            Self::AuditEventsMissing => &["user.deleted audit events"],
            Self::SessionsOrphaned => &[
                "foreign_key_check",
                "sessions rows whose user no longer exists",
            ],
        }
    }

    fn statements(self, site: &Site, account: i64) -> Vec<String> {
        let members = Db::members(account);
        let delete_all = format!("DELETE FROM users WHERE id IN ({members})");
        match self {
            Self::HalfTheUsersGone => vec![format!(
                "DELETE FROM users WHERE id IN ({members} ORDER BY id LIMIT {})",
                USERS / 2
            )],
            Self::AuditEventsMissing => vec![delete_all],
            Self::SessionsOrphaned => vec![
                // The table owner may do this on PostgreSQL; no superuser needed.
                if site.is_sqlite() {
                    "PRAGMA foreign_keys = OFF"
                } else {
                    "ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey"
                }
                .to_owned(),
                format!(
                    "INSERT INTO audit_events (occurred_at, action) SELECT 0, 'user.deleted' FROM ({members}) m"
                ),
                delete_all,
            ],
        }
    }
}

async fn the_checks_refuse(site: Site, torn: Torn) {
    create_account_with_the_cli(&site);
    let db = Db::open(&site).await;
    let account = db.account_of("ada").await;
    let deletions_before = db.count(DELETION_EVENTS).await;
    db.close().await;
    seed_users(&site, account, 1).await;
    let mut conn = AnyConnection::connect(&site.database_url).await.unwrap();
    for sql in torn.statements(&site, account) {
        conn.execute(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.unwrap();

    // The failing check prints its panic as usual: that output is expected here.
    let checked = tokio::spawn({
        let site = site.clone();
        async move {
            check_after_the_crash(&site, account, deletions_before).await;
        }
    })
    .await;
    let message = panic_message(checked.expect_err(&format!("{torn:?} passed the checks")));
    assert!(
        torn.reasons().iter().any(|reason| message.contains(reason)),
        "{torn:?} was caught for another reason: {message}"
    );
    eprintln!(
        "[{}] {torn:?} is caught: {}",
        site.name(),
        message.lines().next().unwrap_or_default()
    );
}

fn panic_message(error: tokio::task::JoinError) -> String {
    let payload = error.into_panic();
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}
