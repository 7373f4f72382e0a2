//! SPEC P2 and P3 measured at the server, in-process (service functions, no HTTP):
//! - P2: the users list (one page AND the total count) over one account of `--users` users;
//! - P3: bulk force logout, then bulk delete, of `--bulk` users who each have a session;
//! - P5: the session check (`sessions::resolve`, what the guard runs on every request) while
//!   the `--bulk` sessions and the list's million users are in the database;
//! - import: a CSV file of `--import` invitation rows previewed, then imported in one
//!   transaction (issue 14: 10,000 rows within 5 s), into the emptied bulk account.
//!
//!   cargo bench -p server --bench users -- [--backend sqlite|postgres] [--users N] [--bulk N] [--import N]
//!
//! SQLite: a fresh file under target/bench-data/ (kept afterwards, to look at query plans).
//! PostgreSQL: a fresh database `portico_bench_<random>` on the server of TEST_POSTGRES_URL,
//! dropped at the end unless `--keep`. `--results <file.tsv>` appends one summary row per
//! budget (what `./portico.sh bench` prints as its final table).

mod common;

use app::{
    domain::{RoleId, UserId},
    ssr::{
        AppState, Backend, Db, Settings,
        guard::{Actor, ClientInfo, Request},
        now,
        services::users,
        sessions,
    },
    users::{BulkAction, ImportOutcome, PAGE_SIZE, PageAt, Selection, SortKey, UserFilter, UserQuery, UserStatus},
};
use common::{machine_load, ms, percentile, verdict};
use clap::{Parser, ValueEnum};
use sqlx::{AnyConnection, Connection, Executor, PgConnection};
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

#[derive(Parser, Clone)]
#[command(about = "Portico users list (P2) and bulk actions (P3), measured in-process")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// Users in the listed account, its primary administrator included.
    #[arg(long, default_value_t = 1_000_000)]
    users: i64,
    /// Users in the bulk-action account, besides its administrator.
    #[arg(long, default_value_t = 10_000)]
    bulk: i64,
    /// Invitation rows in the imported file (0: no import case).
    #[arg(long, default_value_t = 10_000)]
    import: usize,
    /// Timed calls per list case, after `runs / 20` warm-up calls.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// A list case stops early once its timed calls took this long (the table shows the count).
    #[arg(long, default_value_t = 30)]
    max_secs: u64,
    /// Print each case's plan and the query plans of its statements.
    #[arg(long)]
    explain: bool,
    /// Keep the PostgreSQL database afterwards (its URL is printed).
    #[arg(long)]
    keep: bool,
    /// Timed session checks (P5), after `sessions / 20` warm-up ones.
    #[arg(long, default_value_t = 2000)]
    sessions: usize,
    /// Append one row per budget (budget, measured, limit, verdict) to this tab-separated file.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Passed by `cargo bench` to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

const P2_P50: Duration = Duration::from_millis(10);
const P2_P99: Duration = Duration::from_millis(50);
const P3_BUDGET: Duration = Duration::from_secs(1);
const P5_SESSION_CHECK: Duration = Duration::from_micros(200);
const IMPORT_BUDGET: Duration = Duration::from_secs(5);
/// Users inserted per statement and transaction while seeding.
const BATCH: i64 = 50_000;
/// The rare last name of the selective case, and the term that finds it.
const RARE_LAST_NAME: &str = "Quackenbush";
const RARE_TERM: &str = "quacken";
/// One first name in five contains this (see FIRST_NAMES).
const COMMON_TERM: &str = "ann";

/// 12 of 60 contain "ann", so a fifth of the users match COMMON_TERM; checked at start-up.
const FIRST_NAMES: [&str; 60] = [
    "Anna", "Anne", "Hannah", "Joanna", "Marianne", "Annette", "Susanna", "Johanna", "Leanne", "Roxanne", "Annika",
    "Joanne", "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Donald",
    "Ashley", "Steven", "Emily", "Andrew", "Donna", "Lukas", "Amélie", "Søren", "Zoë", "François", "Chloé", "Mateo",
    "Yuki", "Wei", "Priya", "Olamide", "Björn",
];

const LAST_NAMES: [&str; 100] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Müller", "Schmidt", "Schneider", "Fischer",
    "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Lefèvre", "Moreau", "Laurent", "Rossi", "Russo", "Ferrari",
    "Esposito", "Kowalski", "Nowak", "Wiśniewski", "Novák", "Svoboda", "Jensen", "Nielsen", "Hansen", "Andersson",
    "Johansson", "Karlsson", "Virtanen", "Korhonen", "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Kim", "Park",
    "Choi", "Wang", "Li", "Zhang", "Chen", "Singh", "Kumar", "Patel", "Sharma", "Okafor", "Mensah", "Silva",
    "Santos", "Oliveira", "Costa",
];

#[tokio::main]
async fn main() -> Result {
    // Service errors reach the caller as a reference only; the cause is logged. sqlx's
    // slow-statement warnings would only repeat what the tables say.
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("warn,sqlx=error")).init();
    let args = Args::parse();
    assert_eq!(FIRST_NAMES.iter().filter(|n| n.to_lowercase().contains(COMMON_TERM)).count() * 5, FIRST_NAMES.len());
    assert!(!LAST_NAMES.iter().any(|n| n.to_lowercase().contains(RARE_TERM)));
    assert!(args.users >= 2 && args.bulk >= 1 && args.runs >= 1);

    match args.backend {
        BackendArg::Sqlite => {
            let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-data"));
            std::fs::create_dir_all(&dir)?;
            let file = dir.canonicalize()?.join("users.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            bench(&args, &format!("sqlite://{}?mode=rwc", file.display())).await?;
            println!("\nDatabase kept for query plans: sqlite3 {}", file.display());
        }
        BackendArg::Postgres => {
            let server = std::env::var("TEST_POSTGRES_URL").map_err(|_| "--backend postgres needs TEST_POSTGRES_URL")?;
            let name = format!("portico_bench_{:016x}", rand::random::<u64>());
            let (base, _) = server.rsplit_once('/').ok_or("TEST_POSTGRES_URL names a database")?;
            let url = format!("{base}/{name}");
            let mut admin = PgConnection::connect(&server).await?;
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
            // In a task so a panic (a failed check) still reaches the DROP below.
            let outcome = tokio::spawn({
                let (args, url) = (args.clone(), url.clone());
                async move { bench(&args, &url).await }
            })
            .await;
            if args.keep {
                println!("\nDatabase kept: {url}");
            } else {
                admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await?;
            }
            outcome??;
        }
    }
    Ok(())
}

async fn bench(args: &Args, url: &str) -> Result {
    let db = Db::connect(url).await?;
    let backend = db.backend;
    println!(
        "Portico users benchmark: {backend:?}, {} users in the listed account, {} in the bulk account; {}",
        args.users, args.bulk, machine_load()
    );

    // Seeding, on one connection (the name tables are temporary, per connection).
    let mut conn = db.pool.acquire().await?;
    create_name_tables(&mut conn).await?;
    let started = Instant::now();
    let (_, admin) = seed_account(&mut conn, backend, "a", 1..=args.users - 1, (args.users / 8).max(2)).await?;
    println!("seed: {} users in {:.1} s", args.users, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let bulk_range = args.users..=args.users + args.bulk - 1;
    let (bulk_account, bulk_admin) = seed_account(&mut conn, backend, "b", bulk_range, i64::MAX).await?;
    conn.execute(
        format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
             SELECT 'bench-' || id, id, {now}, {now}, {now} + 43200 FROM users
             WHERE account_id = {bulk_account} AND is_primary_admin = 0",
            now = now()
        )
        .as_str(),
    )
    .await?;
    println!("seed: {} bulk users with a session each in {:.1} s", args.bulk, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let statistics = match backend {
        // VACUUM as autovacuum would have by then: index-only scans need the visibility map.
        Backend::Postgres => "VACUUM ANALYZE",
        Backend::Sqlite => "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);",
    };
    conn.execute(statistics).await?;
    println!("seed: {statistics} in {:.1} s", started.elapsed().as_secs_f64());

    let state = AppState::new(db, Settings::default());
    let actor = sign_in(&state, &mut conn, admin).await?;
    let bulk_actor = sign_in(&state, &mut conn, bulk_admin).await?;
    let token = sessions::start(&mut conn, UserId(admin), &ClientInfo::default(), &state.settings, now()).await?;
    drop(conn);

    p2(&state, &actor, args).await?;
    p5(&state, token.expose(), args).await?;
    p3(&state, &bulk_actor, bulk_account, args).await?;
    if args.import > 0 {
        import_case(&state, &bulk_actor, bulk_account, args).await?;
    }
    state.db.pool.close().await;
    println!("\nend: {}", machine_load());
    Ok(())
}

async fn create_name_tables(conn: &mut AnyConnection) -> Result {
    for (table, names) in [("bench_first", &FIRST_NAMES[..]), ("bench_last", &LAST_NAMES[..])] {
        let values = names.iter().enumerate().map(|(i, n)| format!("({i}, '{n}')")).collect::<Vec<_>>().join(", ");
        conn.execute(format!("CREATE TEMP TABLE {table} (idx BIGINT PRIMARY KEY, name TEXT NOT NULL)").as_str()).await?;
        conn.execute(format!("INSERT INTO {table} (idx, name) VALUES {values}").as_str()).await?;
    }
    Ok(())
}

/// An account with its primary administrator (Administrator role) and one user per number of
/// `range`, inserted set-based in batches. Numbers make login names and e-mails unique; every
/// `rare`-th user is named RARE_LAST_NAME. Returns (account id, administrator id).
async fn seed_account(
    conn: &mut AnyConnection,
    backend: Backend,
    label: &str,
    range: std::ops::RangeInclusive<i64>,
    rare: i64,
) -> Result<(i64, i64)> {
    let now = now();
    let mut tx = conn.begin().await?;
    let account: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO accounts (name, partner_id, account_key, created_at)
         VALUES ('Bench {label}', 'PT-BENCH-{label}', 'AK-BENCH-{label}', {now}) RETURNING id"
    ))
    .fetch_one(&mut *tx)
    .await?;
    let admin: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, is_primary_admin, created_at)
         VALUES ({account}, 'Ada', 'Admin', 'admin.{label}', 'admin.{label}@bench.example', 'x', 1, {now}) RETURNING id"
    ))
    .fetch_one(&mut *tx)
    .await?;
    (&mut *tx).execute(
        format!("INSERT INTO user_roles (user_id, role_id) SELECT {admin}, id FROM roles WHERE builtin_key = 'administrator'")
            .as_str(),
    )
    .await?;
    tx.commit().await?;

    let (first, last) = (*range.start(), *range.end());
    let (nf, nl) = (FIRST_NAMES.len(), LAST_NAMES.len());
    for lo in (first..=last).step_by(BATCH as usize) {
        let hi = (lo + BATCH - 1).min(last);
        let seq = match backend {
            Backend::Sqlite => format!("WITH RECURSIVE seq(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM seq WHERE i < {hi})"),
            Backend::Postgres => format!("WITH seq(i) AS (SELECT generate_series(CAST({lo} AS BIGINT), {hi}))"),
        };
        // Statuses: 2 % locked, 5 % invited (no password), 3 % must change their password.
        // One last name in seven is double-barrelled, for a longer tail of distinct values.
        let sql = format!(
            "{seq}
             INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash,
                                must_change_password, locked_at, last_login_at, created_at)
             SELECT {account}, fname, lname,
                    lower(fname) || '.' || i,
                    lower(fname) || '.' || lower(lname) || '.' || i || '@example' || (i % 40) || '.com',
                    CASE WHEN i % 20 = 7 THEN NULL ELSE 'not-a-hash' END,
                    CASE WHEN i % 33 = 5 THEN 1 ELSE 0 END,
                    CASE WHEN i % 50 = 3 THEN {now} - i % 86400 END,
                    CASE WHEN i % 20 = 7 THEN NULL ELSE {now} - (i * 7919) % 31536000 END,
                    {now} - i
             FROM (SELECT i, f.name AS fname,
                          CASE WHEN i % {rare} = 1 THEN '{RARE_LAST_NAME}'
                               WHEN i % 7 = 3 THEN l.name || '-' || l2.name
                               ELSE l.name END AS lname
                   FROM seq
                   JOIN bench_first f ON f.idx = (i * 7) % {nf}
                   JOIN bench_last l ON l.idx = (i / {nf} + i * 29) % {nl}
                   JOIN bench_last l2 ON l2.idx = (i * 31 + 17) % {nl}) s"
        );
        let mut tx = conn.begin().await?;
        (&mut *tx).execute(sql.as_str()).await?;
        tx.commit().await?;
    }
    // Roles: 1 % user managers, 0.5 % auditors, everyone else a member.
    let mut tx = conn.begin().await?;
    (&mut *tx).execute(
        format!(
            "INSERT INTO user_roles (user_id, role_id)
             SELECT u.id, r.id FROM users u JOIN roles r ON r.builtin_key =
                 CASE WHEN u.id % 100 = 11 THEN 'user_manager' WHEN u.id % 200 = 13 THEN 'auditor' ELSE 'member' END
             WHERE u.account_id = {account} AND u.is_primary_admin = 0"
        )
        .as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok((account, admin))
}

/// A request by a fresh session of `user`, as the guard would let it through.
async fn sign_in(state: &AppState, conn: &mut AnyConnection, user: i64) -> Result<Request> {
    let settings = &state.settings;
    let token = sessions::start(conn, UserId(user), &ClientInfo::default(), settings, now()).await?;
    let actor = sessions::resolve(&state.db, token.expose(), settings, now()).await?.ok_or("session resolves")?;
    Ok(Request { state: state.clone(), client: ClientInfo::default(), actor })
}

async fn p2(state: &AppState, req: &Request, args: &Args) -> Result {
    let role: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'user_manager'")
        .fetch_one(&state.db.pool)
        .await?;
    let filter = |f: UserFilter| UserQuery { filter: f, ..Default::default() };
    // The row in the middle of the list, found once by OFFSET (the list itself never counts
    // rows): the next and previous pages are read from its key, as the pager asks for them.
    let middle = args.users / PAGE_SIZE / 2;
    let (value, id): (String, i64) = sqlx::query_as("SELECT last_name, id FROM users WHERE account_id = $1 ORDER BY last_name, id LIMIT 1 OFFSET $2")
        .bind(req.actor.account_id().ok_or("no account")?)
        .bind(middle * PAGE_SIZE)
        .fetch_one(&state.db.pool)
        .await?;
    let at = |at: PageAt, page: i64| UserQuery { at, page, ..Default::default() };
    let middle_key = SortKey { value, id };
    let common = UserFilter { first_name: COMMON_TERM.into(), ..Default::default() };
    let cases: Vec<(String, UserQuery)> = vec![
        ("unfiltered, page 1".into(), UserQuery::default()),
        (format!("unfiltered, page {} (next, middle)", middle + 1), at(PageAt::After(middle_key.clone()), middle)),
        (format!("unfiltered, page {} (previous, middle)", middle), at(PageAt::Before(middle_key), middle - 1)),
        ("unfiltered, last page".into(), at(PageAt::Last, -1)),
        (format!("last name ~ '{RARE_TERM}' (handful)"), filter(UserFilter { last_name: RARE_TERM.into(), ..Default::default() })),
        (format!("first name ~ '{COMMON_TERM}' (~20 %)"), filter(common.clone())),
        (format!("first name ~ '{COMMON_TERM}', last page"), UserQuery { filter: common, ..at(PageAt::Last, -1) }),
        ("status locked (~2 %)".into(), filter(UserFilter { status: Some(UserStatus::Locked), ..Default::default() })),
        ("status invited (~5 %)".into(), filter(UserFilter { status: Some(UserStatus::Invited), ..Default::default() })),
        ("status active (~90 %)".into(), filter(UserFilter { status: Some(UserStatus::Active), ..Default::default() })),
        ("role user manager (~1 %)".into(), filter(UserFilter { role: Some(RoleId(role)), ..Default::default() })),
    ];

    let warmup = (args.runs / 20).max(1);
    println!(
        "\nP2 users list: one page of {PAGE_SIZE} + total count; {} timed calls per case after {warmup} warm-up calls",
        args.runs
    );
    println!(
        "{:<38} {:>9} {:>5} {:>5} {:>9} {:>9}  budget p50 <= 10 ms, p99 <= 50 ms",
        "case", "total", "rows", "calls", "p50 ms", "p99 ms"
    );
    let cap = Duration::from_secs(args.max_secs);
    let (mut worst_p50, mut worst_p99) = ((Duration::ZERO, String::new()), (Duration::ZERO, String::new()));
    let case_count = cases.len();
    for (name, query) in cases {
        let query = query.bounded();
        let mut times = Vec::with_capacity(args.runs);
        let mut last = None;
        for run in 0..warmup + args.runs {
            let started = Instant::now();
            let page = users::list::page(req, &query).await?;
            if run >= warmup {
                times.push(started.elapsed());
            }
            last = Some(page);
            if times.iter().sum::<Duration>() > cap {
                break;
            }
        }
        let page = last.expect("at least one run");
        times.sort();
        let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
        let verdict = if p50 <= P2_P50 && p99 <= P2_P99 { "ok" } else { "MISS" };
        let (total, rows, calls) = (page.total.label(app::i18n::Locale::en), page.rows.len(), times.len());
        println!("{name:<38} {total:>9} {rows:>5} {calls:>5} {:>9.2} {:>9.2}  {verdict}", ms(p50), ms(p99));
        if args.explain {
            explain(state, &req.actor, &query).await?;
        }
        if p50 > worst_p50.0 {
            worst_p50 = (p50, name.clone());
        }
        if p99 > worst_p99.0 {
            worst_p99 = (p99, name);
        }
    }
    let backend = state.db.backend;
    for (label, (worst, case), budget) in [("p50", worst_p50, P2_P50), ("p99", worst_p99, P2_P99)] {
        record(
            args,
            &format!("P2 users list {label}, worst of {case_count} cases ({backend:?}, {} users)", args.users),
            &format!("{:.2} ms ({case})", ms(worst)),
            &format!("<= {} ms", budget.as_millis()),
            worst <= budget,
        );
    }
    Ok(())
}

/// Appends a row to `--results`, if given.
fn record(args: &Args, budget: &str, measured: &str, limit: &str, pass: bool) {
    common::record(args.results.as_deref(), budget, measured, limit, verdict(pass));
}

/// P5: `sessions::resolve` of one administrator's token, as the guard runs it on every request,
/// while the other sessions (one per bulk user) and the million users are in the tables.
async fn p5(state: &AppState, token: &str, args: &Args) -> Result {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&state.db.pool).await?;
    let warmup = (args.sessions / 20).max(1);
    println!("\nP5 session check: sessions::resolve of one token among {count} sessions, {} timed calls after {warmup} warm-up calls", args.sessions);
    let mut times = Vec::with_capacity(args.sessions);
    for run in 0..warmup + args.sessions {
        let started = Instant::now();
        let actor = sessions::resolve(&state.db, token, &state.settings, now()).await?;
        let elapsed = started.elapsed();
        assert!(actor.is_some_and(|a| a.permissions() != Default::default()), "the session resolves with its permissions");
        if run >= warmup {
            times.push(elapsed);
        }
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
    println!("{:<38} {:>9.3} {:>9.3}  budget <= 0.2 ms", "resolve p50 / p99 ms", ms(p50), ms(p99));
    let backend = state.db.backend;
    for (label, value) in [("p50", p50), ("p99", p99)] {
        record(
            args,
            &format!("P5 session check {label} ({backend:?}, {count} sessions, {} users)", args.users + args.bulk),
            &format!("{:.3} ms", ms(value)),
            "<= 0.2 ms",
            value <= P5_SESSION_CHECK,
        );
    }
    Ok(())
}

/// The plans of the list's count and page statements: the service's own, as it runs them.
async fn explain(state: &AppState, actor: &Actor, query: &UserQuery) -> Result {
    let (backend, account) = (state.db.backend, actor.account_id().ok_or("no account")?);
    let plan = users::list::plan(state, account, &query.filter).await?;
    println!("    plan: {plan:?}");
    for sql in [users::list::count_statement(backend, account, query), users::list::page_statement(backend, account, query, plan)] {
        let started = Instant::now();
        sql.query().fetch_all(&state.db.pool).await?;
        let elapsed = started.elapsed();
        let lines: Vec<String> = match backend {
            Backend::Sqlite => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sql.prefixed("EXPLAIN QUERY PLAN ").query_as().fetch_all(&state.db.pool).await?;
                // Indent each step under its parent, as the sqlite3 shell does.
                let mut depth = std::collections::HashMap::from([(0, 0)]);
                rows.into_iter()
                    .map(|(id, parent, _, detail)| {
                        let d = depth.get(&parent).map_or(0, |d| d + 1);
                        depth.insert(id, d);
                        format!("{}{detail}", "  ".repeat(d))
                    })
                    .collect()
            }
            Backend::Postgres => {
                let rows: Vec<(String,)> =
                    sql.prefixed("EXPLAIN (ANALYZE, BUFFERS) ").query_as().fetch_all(&state.db.pool).await?;
                rows.into_iter().map(|(line,)| line).collect()
            }
        };
        println!("    {:.1} ms: {}", ms(elapsed), sql.text().split_whitespace().collect::<Vec<_>>().join(" "));
        for line in lines {
            println!("      {line}");
        }
    }
    Ok(())
}

async fn p3(state: &AppState, req: &Request, account: i64, args: &Args) -> Result {
    let bulk = args.bulk;
    println!("\nP3 bulk actions over all {bulk} users of one account (each with a session), one call each");
    println!("{:<38} {:>9} {:>9}  budget <= 1000 ms", "action", "done", "ms");
    let everyone = Selection::Matching(UserFilter::default());
    let users_sql = format!("SELECT COUNT(*) FROM users WHERE account_id = {account}");
    let sessions_sql = format!(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.account_id = {account} AND u.is_primary_admin = 0"
    );
    for action in [BulkAction::ForceLogout, BulkAction::Delete] {
        let started = Instant::now();
        let outcome = users::bulk::run(req, action, &everyone).await?;
        let elapsed = started.elapsed();
        // Real work or nothing: all done, only the actor (themself) skipped, and the rows gone.
        assert_eq!(outcome.done, bulk as u64, "{action:?} done");
        assert_eq!(outcome.skipped.len(), 1, "{action:?} skips only the actor");
        let left: i64 = sqlx::query_scalar(&sessions_sql).fetch_one(&state.db.pool).await?;
        assert_eq!(left, 0, "{action:?} leaves no session of the targets");
        let verdict = if elapsed <= P3_BUDGET { "ok" } else { "MISS" };
        println!("{:<38} {:>9} {:>9.1}  {verdict}", format!("{action:?}"), outcome.done, ms(elapsed));
        record(
            args,
            &format!("P3 bulk {action:?} of {bulk} users ({:?}, one transaction)", state.db.backend),
            &format!("{:.1} ms", ms(elapsed)),
            &format!("<= {} ms", P3_BUDGET.as_millis()),
            elapsed <= P3_BUDGET,
        );
    }
    let remaining: i64 = sqlx::query_scalar(&users_sql).fetch_one(&state.db.pool).await?;
    assert_eq!(remaining, 1, "only the administrator remains");
    Ok(())
}

/// A file of `--import` invitation rows, previewed and then imported by the bulk account's
/// administrator: each row a user, their Member role, an invitation link, a queued mail and a
/// `user.created` event, all in one transaction. The invitation limit is lifted (a request with
/// its own settings: the quota is read from the request's state): an operator
/// onboarding this many people raises `PORTICO_INVITATIONS_PER_HOUR` too.
async fn import_case(state: &AppState, req: &Request, account: i64, args: &Args) -> Result {
    let rows = args.import;
    let mut settings = Settings::default();
    settings.quotas.invitations_per_hour = u32::MAX;
    let state = AppState::new(state.db.clone(), settings);
    let req = &Request { state: state.clone(), client: req.client.clone(), actor: req.actor.clone() };
    let mut csv = String::from("first_name,last_name,login_name,email,roles,language,password\n");
    for n in 0..rows {
        let (first, last) = (FIRST_NAMES[n % FIRST_NAMES.len()], LAST_NAMES[n % LAST_NAMES.len()]);
        csv.push_str(&format!("{first},{last},import.{n},import.{n}@example.org,Member,{},\n", if n % 4 == 0 { "fr" } else { "en" }));
    }
    println!("\nImport: a CSV file of {rows} invitation rows ({:.1} MB), previewed then imported in one transaction", csv.len() as f64 / 1e6);
    println!("{:<38} {:>9} {:>9}  budget <= 5000 ms (import)", "step", "rows", "ms");
    let started = Instant::now();
    let preview = users::import::preview(req, &csv).await?;
    let previewed = started.elapsed();
    assert!(preview.is_ready(), "the bench file is valid: {:?}", preview.problems);
    println!("{:<38} {:>9} {:>9.1}", "preview (read and check)", preview.rows.len(), ms(previewed));
    let started = Instant::now();
    let outcome = users::import::commit(req, &csv).await?;
    let elapsed = started.elapsed();
    assert_eq!(outcome, ImportOutcome::Imported { created: rows as u64, invited: rows as u64, with_password: 0 });
    let users: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE account_id = {account}")).fetch_one(&state.db.pool).await?;
    assert_eq!(users, rows as i64 + 1, "every row is a user of the account");
    let verdict = if elapsed <= IMPORT_BUDGET { "ok" } else { "MISS" };
    println!("{:<38} {:>9} {:>9.1}  {verdict}", "import (check again, write, commit)", rows, ms(elapsed));
    record(
        args,
        &format!("Import of {rows} invitation rows ({:?}, one transaction)", state.db.backend),
        &format!("{:.1} ms", ms(elapsed)),
        &format!("<= {} ms", IMPORT_BUDGET.as_millis()),
        elapsed <= IMPORT_BUDGET,
    );
    Ok(())
}
