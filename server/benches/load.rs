//! SPEC P4, P5 (idle memory), S4 (login timing) and a bounded soak, measured against a running
//! release server over loopback HTTP, as browsers would reach it:
//! - P5: the server's resident memory (VmRSS of `--pid`) after a short warm-up, then idle;
//! - P4: the argon2id capacity of this machine (the app's own hasher, in-process, every core),
//!   then a storm of concurrent successful logins while other clients make cheap signed-in
//!   requests: logins per second against that capacity, the others' p99, the server's peak RSS;
//! - S4: how long a login with an unknown identifier takes against a known one with a wrong
//!   password (both must get the same answer after the same work);
//! - S8: `--sign-ups` registrations sent at once while one real user keeps signing in: how the
//!   flood was answered (registered, 503) and whether every one of the real user's logins got in;
//! - soak: logins, users-list calls and edits from several clients, and sign-ins from fresh
//!   browsers that leave their sessions behind, for `--soak-secs`: requests, errors (any
//!   unexpected status), RSS samples and their growth, and (with `--database`) the rows of the
//!   tables the sweeper keeps flat.
//!
//!   cargo bench -p server --bench load -- --url http://127.0.0.1:3100 --pid <server pid> \
//!       --login <administrator> [--storm-secs 10] [--soak-secs 60] [--results <file.tsv>]
//!
//! The administrator's password comes from PORTICO_BENCH_PASSWORD (or `--password`). The server
//! must run with high login-throttle limits (PORTICO_LOGIN_MAX_FAILURES,
//! PORTICO_LOGIN_MAX_FAILURES_PER_IP), or the timing samples get throttled. `./portico.sh bench`
//! starts such a server and runs this.

mod common;

use app::{domain::Password, ssr::passwords::PasswordHasher};
use clap::Parser;
use common::{machine_load, ms, percentile, verdict};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

#[derive(Parser, Clone)]
#[command(about = "Portico login storm (P4), idle memory (P5), login timing (S4) and soak, over HTTP")]
struct Args {
    /// The running server.
    #[arg(long, default_value = "http://127.0.0.1:3100")]
    url: String,
    /// The server's process id: its memory is read from /proc/<pid>/status (VmRSS).
    #[arg(long)]
    pid: Option<u32>,
    /// Login name of an administrator of an account (password already chosen).
    #[arg(long)]
    login: String,
    #[arg(long, env = "PORTICO_BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    /// Seconds idle before the idle-memory reading.
    #[arg(long, default_value_t = 5)]
    idle_secs: u64,
    /// Seconds of in-process argon2id verifications on every core.
    #[arg(long, default_value_t = 5)]
    capacity_secs: u64,
    /// Seconds of the login storm.
    #[arg(long, default_value_t = 10)]
    storm_secs: u64,
    /// Concurrent login clients in the storm, each signing in as its own user (default: 4 per core).
    #[arg(long)]
    storm_clients: Option<usize>,
    /// Clients making cheap signed-in requests during the storm (and the list calls of the soak).
    #[arg(long, default_value_t = 2)]
    other_clients: usize,
    /// Pause between two requests of one such client, in ms.
    #[arg(long, default_value_t = 20)]
    other_pause_ms: u64,
    /// Failed logins timed per kind (unknown identifier, known with a wrong password).
    #[arg(long, default_value_t = 40)]
    timing_samples: usize,
    /// Seconds of the mixed soak; 0 skips it. Long enough for sessions to outlive a short idle
    /// timeout and be swept (the bench server runs with a one-minute one).
    #[arg(long, default_value_t = 150)]
    soak_secs: u64,
    /// Registrations sent at once against one real user's logins (S8); 0 skips it.
    #[arg(long, default_value_t = 2000)]
    sign_ups: usize,
    /// The server's database, read only, to count the rows of swept tables during the soak,
    /// e.g. `sqlite://target/bench-server/portico.db?mode=ro`.
    #[arg(long)]
    database: Option<String>,
    /// Seconds between two memory samples during the soak.
    #[arg(long, default_value_t = 5)]
    sample_secs: u64,
    /// Append one row per budget (budget, measured, limit, verdict) to this tab-separated file.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Passed by `cargo bench` to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// P4: logins per second against the machine's argon2id capacity.
const P4_RATIO: f64 = 0.80;
/// P4: other requests' p99 during the storm.
const P4_OTHER_P99: Duration = Duration::from_millis(20);
/// P5: idle server memory.
const P5_IDLE_RSS_MB: f64 = 64.0;
/// The app's argon2id memory per hash (app/src/ssr/passwords.rs: 19 MiB).
const ARGON2_MIB: f64 = 19.0;
/// S4: the largest median gap between an unknown identifier and a wrong password that still
/// tells nothing, as a share of the wrong-password median (and at least 2 ms).
const S4_GAP_SHARE: f64 = 0.10;

/// Passwords of the users this bench creates: the first one, set by the administrator, then
/// the one each chooses at first login (neither holds a login name or e-mail).
const INITIAL_PASSWORD: &str = "first Bench secret 1";
const USER_PASSWORD: &str = "storm Bench secret 2";

#[tokio::main]
async fn main() -> Result {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let storm_clients = args.storm_clients.unwrap_or(4 * cores).max(1);
    let bench = Bench { args: args.clone(), url: args.url.trim_end_matches('/').to_owned() };
    println!("Portico load benchmark against {} (pid {:?}); {}", bench.url, args.pid, machine_load());

    let admin = new_client();
    bench.expect_ok(&admin, "auth/login", &[("identifier", &args.login), ("password", &args.password)]).await?;
    let session = bench.call(&admin, "session/current", &[]).await?;
    if session.1["must_change_password"] == json!(true) {
        return Err("the administrator must change their password first".into());
    }

    // P5: idle memory after a short warm-up.
    let idle_mb = bench.idle_memory(&admin).await?;

    // Users of the storm, the timing and the soak, created through the server functions.
    let users = bench.create_users(&admin, storm_clients).await?;
    bench.print_rss("after creating them (4 hashes or verifications each)");

    // P4: capacity, then the storm.
    let capacity = capacity(cores, Duration::from_secs(args.capacity_secs)).await?;
    bench.record(
        &format!("P4 argon2id capacity: app hasher in-process, {cores} cores"),
        &format!("{capacity:.1} verifications/s"),
        "reference",
        "info",
    );
    bench.s4_timing(&users[0]).await?;
    bench.print_rss("after the timed failed logins");
    bench.storm(&admin, &users, capacity, cores, idle_mb).await?;
    if args.sign_ups > 0 {
        bench.sign_up_flood(&users[0]).await?;
    }

    if args.soak_secs > 0 {
        bench.soak(&admin, &users).await?;
    }
    println!("\nend: {}", machine_load());
    Ok(())
}

fn new_client() -> Client {
    Client::builder().cookie_store(true).timeout(Duration::from_secs(60)).build().expect("HTTP client")
}

/// A user this bench created and signed in once (their password is USER_PASSWORD).
#[derive(Clone)]
struct BenchUser {
    id: i64,
    login: String,
}

struct Bench {
    args: Args,
    url: String,
}

/// Counts requests, errors and keeps the first few error descriptions.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
}

impl Tally {
    fn record(&self, what: &str, outcome: &Result<(StatusCode, Value)>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let problem = match outcome {
            Ok((status, _)) if status.is_success() => return,
            Ok((status, body)) => format!("{what}: {status} {body}"),
            Err(error) => format!("{what}: {error}"),
        };
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_errors.lock().unwrap();
        if first.len() < 5 {
            first.push(problem);
        }
    }
}

impl Bench {
    /// POSTs form-encoded arguments to the server function `/api/<endpoint>`; the status and
    /// the JSON body (or its text).
    async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Result<(StatusCode, Value)> {
        let response = client.post(format!("{}/api/{endpoint}", self.url)).form(form).send().await?;
        read(response).await
    }

    async fn call_json(&self, client: &Client, endpoint: &str, body: &Value) -> Result<(StatusCode, Value)> {
        let response = client.post(format!("{}/api/{endpoint}", self.url)).json(body).send().await?;
        read(response).await
    }

    async fn expect_ok(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Result<Value> {
        let (status, body) = self.call(client, endpoint, form).await?;
        if !status.is_success() {
            return Err(format!("{endpoint}: {status} {body}").into());
        }
        Ok(body)
    }

    /// The server's resident memory in MB (10^6 bytes), when its pid is known.
    fn rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.args.pid?)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024.0 / 1e6)
    }

    fn print_rss(&self, when: &str) {
        if let Some(mb) = self.rss_mb() {
            println!("server RSS {when}: {mb:.1} MB");
        }
    }

    fn record(&self, budget: &str, measured: &str, limit: &str, verdict: &str) {
        common::record(self.args.results.as_deref(), budget, measured, limit, verdict);
    }

    /// P5: a few pages and server-function calls, then `--idle-secs` without a request.
    async fn idle_memory(&self, admin: &Client) -> Result<f64> {
        println!("\nP5 idle memory: warm-up (5 pages, 20 session checks, 20 users lists), then {} s idle", self.args.idle_secs);
        let before = self.rss_mb();
        for _ in 0..5 {
            let page = admin.get(format!("{}/users", self.url)).send().await?;
            if !page.status().is_success() {
                return Err(format!("GET /users: {}", page.status()).into());
            }
            page.bytes().await?;
        }
        for _ in 0..20 {
            self.expect_ok(admin, "session/current", &[]).await?;
            self.expect_ok(admin, "users/list", &[]).await?;
        }
        tokio::time::sleep(Duration::from_secs(self.args.idle_secs)).await;
        let Some(idle) = self.rss_mb() else {
            println!("no --pid (or no /proc): memory not measured");
            return Ok(0.0);
        };
        println!("RSS before warm-up {:.1} MB, idle after it {idle:.1} MB (budget <= {P5_IDLE_RSS_MB} MB)", before.unwrap_or(0.0));
        self.record(
            "P5 idle server memory (VmRSS after warm-up)",
            &format!("{idle:.1} MB"),
            &format!("<= {P5_IDLE_RSS_MB} MB"),
            verdict(idle <= P5_IDLE_RSS_MB),
        );
        Ok(idle)
    }

    /// `count` users of the administrator's account, each signed in once to choose their password.
    async fn create_users(&self, admin: &Client, count: usize) -> Result<Vec<BenchUser>> {
        let run = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
        let started = Instant::now();
        let created = futures::future::join_all((0..count).map(|i| {
            let login = format!("bench{run}x{i}");
            async move {
                let form = json!({
                    "form": {
                        "first_name": "Bench", "last_name": format!("User {i}"), "login_name": login,
                        "email": format!("{login}@bench.example"), "locale": "en",
                        "subscribe_news": false, "subscribe_alerts": false, "role_ids": [],
                        "password": INITIAL_PASSWORD,
                    },
                    "delivery": "Password",
                });
                let (status, body) = self.call_json(admin, "users/create", &form).await?;
                let id = body.as_i64().filter(|_| status.is_success()).ok_or_else(|| format!("users/create: {status} {body}"))?;
                let client = new_client();
                self.expect_ok(&client, "auth/login", &[("identifier", &login), ("password", INITIAL_PASSWORD)]).await?;
                self.expect_ok(&client, "auth/change_password", &[("current_password", INITIAL_PASSWORD), ("new_password", USER_PASSWORD)])
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(BenchUser { id, login })
            }
        }))
        .await;
        let users = created.into_iter().collect::<Result<Vec<_>>>()?;
        println!("\nsetup: {count} users created and signed in once in {:.1} s", started.elapsed().as_secs_f64());
        Ok(users)
    }

    /// S4: failed logins, one unknown identifier then one known user with a wrong password (or
    /// the other way round), one at a time; medians and the difference.
    async fn s4_timing(&self, known: &BenchUser) -> Result {
        let samples = self.args.timing_samples.max(1);
        println!("\nS4 failed-login timing: {samples} logins with an unknown identifier, {samples} with a wrong password, interleaved");
        let client = Client::builder().timeout(Duration::from_secs(60)).build()?;
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        let mut answers = std::collections::BTreeSet::new();
        // Two of each first, untimed.
        for i in 0..samples + 2 {
            let nobody = format!("nobody{:08x}x{i}", rand::random::<u32>());
            let mut pair = [(nobody.as_str(), &mut unknown), (known.login.as_str(), &mut wrong)];
            if i % 2 == 1 {
                pair.reverse();
            }
            for (identifier, times) in pair {
                let started = Instant::now();
                let (status, body) =
                    self.call(&client, "auth/login", &[("identifier", identifier), ("password", "not the password 42")]).await?;
                let elapsed = started.elapsed();
                answers.insert(format!("{status} {body}"));
                if i >= 2 {
                    times.push(elapsed);
                }
            }
        }
        unknown.sort();
        wrong.sort();
        let (unknown_p50, wrong_p50) = (percentile(&unknown, 50), percentile(&wrong, 50));
        let gap = ms(unknown_p50) - ms(wrong_p50);
        let tolerance = (ms(wrong_p50) * S4_GAP_SHARE).max(2.0);
        println!("{:<34} {:>9} {:>9} {:>9}", "login", "p10 ms", "p50 ms", "p90 ms");
        for (name, times) in [("unknown identifier", &unknown), ("known user, wrong password", &wrong)] {
            println!(
                "{name:<34} {:>9.1} {:>9.1} {:>9.1}",
                ms(percentile(times, 10)),
                ms(percentile(times, 50)),
                ms(percentile(times, 90))
            );
        }
        let same_answer = answers.len() == 1;
        println!(
            "median gap (unknown - wrong password) {gap:+.1} ms; answers: {}",
            answers.iter().cloned().collect::<Vec<_>>().join(" | ")
        );
        self.record(
            "S4 failed login: unknown identifier vs wrong password (medians)",
            &format!("{:.1} vs {:.1} ms, gap {gap:+.1} ms{}", ms(unknown_p50), ms(wrong_p50), if same_answer { ", same answer" } else { ", DIFFERENT answers" }),
            &format!("|gap| <= {tolerance:.1} ms, same answer"),
            verdict(gap.abs() <= tolerance && same_answer),
        );
        Ok(())
    }

    /// P4: `users.len()` clients sign in again and again for `--storm-secs`, each as its own
    /// user, while `--other-clients` check their session and list users.
    async fn storm(&self, admin: &Client, users: &[BenchUser], capacity: f64, cores: usize, idle_mb: f64) -> Result {
        let secs = self.args.storm_secs.max(1);
        println!(
            "\nP4 login storm: {} clients signing in for {secs} s, {} others calling session/current and users/list (pause {} ms)",
            users.len(),
            self.args.other_clients,
            self.args.other_pause_ms
        );
        let rss_before = self.rss_mb();
        let running = Arc::new(AtomicBool::new(true));
        let peak = Arc::new(Mutex::new(rss_before.unwrap_or(0.0)));
        let sampler = {
            let (running, peak) = (running.clone(), peak.clone());
            let probe = Bench { args: self.args.clone(), url: self.url.clone() };
            tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    if let Some(mb) = probe.rss_mb() {
                        let mut peak = peak.lock().unwrap();
                        *peak = peak.max(mb);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };

        let logins = Tally::default();
        let others = Tally::default();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let storm = futures::future::join_all(users.iter().map(|user| {
            let logins = &logins;
            async move {
                let client = new_client();
                while Instant::now() < deadline {
                    let outcome = self.call(&client, "auth/login", &[("identifier", &user.login), ("password", USER_PASSWORD)]).await;
                    logins.record("auth/login", &outcome);
                }
            }
        }));
        let pause = Duration::from_millis(self.args.other_pause_ms);
        let other = futures::future::join_all((0..self.args.other_clients).map(|c| {
            let others = &others;
            async move {
                let mut times = Vec::new();
                let mut n = c;
                while Instant::now() < deadline {
                    let endpoint = if n % 2 == 0 { "session/current" } else { "users/list" };
                    n += 1;
                    let t = Instant::now();
                    let outcome = self.call(admin, endpoint, &[]).await;
                    times.push(t.elapsed());
                    others.record(endpoint, &outcome);
                    tokio::time::sleep(pause).await;
                }
                times
            }
        }));
        let (_, other_times) = futures::future::join(storm, other).await;
        let elapsed = started.elapsed();
        running.store(false, Ordering::Relaxed);
        sampler.await?;

        let done = logins.requests.load(Ordering::Relaxed) - logins.errors.load(Ordering::Relaxed);
        let rate = done as f64 / elapsed.as_secs_f64();
        let ratio = rate / capacity;
        let mut times: Vec<Duration> = other_times.into_iter().flatten().collect();
        times.sort();
        let (p50, p99, max) = (percentile(&times, 50), percentile(&times, 99), times.last().copied().unwrap_or_default());
        println!(
            "logins: {done} in {:.1} s = {rate:.1}/s, {:.0} % of the capacity {capacity:.1}/s (budget >= {:.0} %); failed logins {}",
            elapsed.as_secs_f64(),
            ratio * 100.0,
            P4_RATIO * 100.0,
            logins.errors.load(Ordering::Relaxed)
        );
        println!(
            "other requests: {} (errors {}), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (budget p99 <= {} ms)",
            times.len(),
            others.errors.load(Ordering::Relaxed),
            ms(p50),
            ms(p99),
            ms(max),
            P4_OTHER_P99.as_millis()
        );
        for error in logins.first_errors.lock().unwrap().iter().chain(others.first_errors.lock().unwrap().iter()) {
            println!("  error: {error}");
        }
        self.record(
            &format!("P4 logins/s during the storm ({} clients, {secs} s)", users.len()),
            &format!("{rate:.1}/s = {:.0} % of {capacity:.1}/s", ratio * 100.0),
            &format!(">= {:.0} % of capacity", P4_RATIO * 100.0),
            verdict(ratio >= P4_RATIO && logins.errors.load(Ordering::Relaxed) == 0),
        );
        self.record(
            &format!("P4 other requests' p99 during the storm ({} requests)", times.len()),
            &format!("{:.1} ms (p50 {:.1}, max {:.1})", ms(p99), ms(p50), ms(max)),
            &format!("<= {} ms", P4_OTHER_P99.as_millis()),
            verdict(p99 <= P4_OTHER_P99 && others.errors.load(Ordering::Relaxed) == 0),
        );

        if let Some(before) = rss_before {
            let peak = *peak.lock().unwrap();
            // Bounded: the hasher runs one hash per core, 19 MiB each, plus some slack for the
            // requests in flight, over the idle figure of P5 (or, without it, the start of the storm).
            let base = if idle_mb > 0.0 { idle_mb } else { before };
            let bound = base + cores as f64 * ARGON2_MIB * 1.048576 + 32.0;
            tokio::time::sleep(Duration::from_secs(self.args.idle_secs)).await;
            let after = self.rss_mb().unwrap_or(0.0);
            println!(
                "server RSS: {before:.1} MB before, peak {peak:.1} MB during, {after:.1} MB after {} s idle (bound {bound:.0} MB: idle + {cores} x 19 MiB + 32 MB)",
                self.args.idle_secs
            );
            self.record(
                "P4 server peak RSS during the storm (hashing memory bounded)",
                &format!("{peak:.1} MB (before {before:.1}, {after:.1} idle after)"),
                &format!("<= {bound:.0} MB (idle + {cores} x 19 MiB + 32)"),
                verdict(peak <= bound),
            );
        }
        Ok(())
    }

    /// A bounded mixed load: logins, users-list calls and edits of users' names; every answer
    /// must be a success. Memory is sampled every `--sample-secs`.
    async fn soak(&self, admin: &Client, users: &[BenchUser]) -> Result {
        let secs = self.args.soak_secs;
        let loginers = users.len().min(2);
        let editors = 2;
        let listers = self.args.other_clients.max(1);
        println!("\nSoak: {secs} s of {loginers} clients signing in, {listers} listing users, {editors} editing users' names, one request after another");
        let tally = Tally::default();
        let running = AtomicBool::new(true);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let pause = Duration::from_millis(self.args.other_pause_ms);

        let logins = futures::future::join_all(users[..loginers].iter().map(|user| {
            let tally = &tally;
            async move {
                let client = new_client();
                while Instant::now() < deadline {
                    let outcome = self.call(&client, "auth/login", &[("identifier", &user.login), ("password", USER_PASSWORD)]).await;
                    tally.record("auth/login", &outcome);
                    tokio::time::sleep(pause).await;
                }
            }
        }));
        let lists = futures::future::join_all((0..listers).map(|c| {
            let tally = &tally;
            async move {
                let sorts = ["LastName", "FirstName", "LoginName", "Email", "LastLogin"];
                let mut n = c;
                while Instant::now() < deadline {
                    let page = (n % 3).to_string();
                    let sort = sorts[n % sorts.len()];
                    let descending = if n % 2 == 0 { "false" } else { "true" };
                    let term = ["", "bench", "user 1", "e"][n % 4];
                    n += 1;
                    let outcome = self
                        .call(
                            admin,
                            "users/list",
                            &[("query[filter][last_name]", term), ("query[sort]", sort), ("query[descending]", descending), ("query[page]", &page)],
                        )
                        .await;
                    tally.record("users/list", &outcome);
                    tokio::time::sleep(pause).await;
                }
            }
        }));
        // Editors work on the users who do not sign in, each on its own half.
        let targets: Vec<&BenchUser> = users.iter().skip(loginers).collect();
        let targets = if targets.is_empty() { users.iter().collect() } else { targets };
        let edits = futures::future::join_all((0..editors).map(|e| {
            let tally = &tally;
            let mine: Vec<&BenchUser> = targets.iter().copied().skip(e).step_by(editors).collect();
            async move {
                let mut n = 0usize;
                while Instant::now() < deadline && !mine.is_empty() {
                    let user = mine[n % mine.len()];
                    n += 1;
                    let id = user.id.to_string();
                    let outcome = self.call(admin, "users/get", &[("id", &id)]).await;
                    tally.record("users/get", &outcome);
                    let Ok((status, details)) = outcome else { continue };
                    if !status.is_success() {
                        continue;
                    }
                    let form = json!({
                        "id": user.id,
                        "form": {
                            "first_name": format!("Soak {}", n % 97), "last_name": details["last_name"],
                            "login_name": details["login_name"], "email": details["email"], "locale": details["locale"],
                            "subscribe_news": details["subscribe_news"], "subscribe_alerts": details["subscribe_alerts"],
                            "role_ids": details["role_ids"], "password": "",
                        },
                    });
                    let outcome = self.call_json(admin, "users/update", &form).await;
                    tally.record("users/update", &outcome);
                    tokio::time::sleep(pause).await;
                }
            }
        }));
        // A new browser each time: its session stays behind until the sweeper takes it.
        let fresh_logins = async {
            let user = &users[0];
            while Instant::now() < deadline {
                let outcome = self.call(&new_client(), "auth/login", &[("identifier", &user.login), ("password", USER_PASSWORD)]).await;
                tally.record("auth/login (new browser)", &outcome);
                tokio::time::sleep(pause * 5).await;
            }
        };
        let database = match &self.args.database {
            Some(url) => {
                sqlx::any::install_default_drivers();
                Some(sqlx::AnyPool::connect(url).await?)
            }
            None => None,
        };
        let samples = Mutex::new(Vec::new());
        let table_samples = Mutex::new(Vec::new());
        let sampler = async {
            let every = Duration::from_secs(self.args.sample_secs.max(1));
            let mut next = started;
            while running.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    if let Some(mb) = self.rss_mb() {
                        samples.lock().unwrap().push((started.elapsed(), mb));
                    }
                    if let Some(pool) = &database {
                        match swept_rows(pool).await {
                            Ok(rows) => table_samples.lock().unwrap().push((started.elapsed(), rows)),
                            Err(error) => println!("  cannot count rows: {error}"),
                        }
                    }
                    next += every;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let work = async {
            futures::future::join4(logins, lists, edits, fresh_logins).await;
            running.store(false, Ordering::Relaxed);
        };
        futures::future::join(work, sampler).await;
        let elapsed = started.elapsed();

        let (requests, errors) = (tally.requests.load(Ordering::Relaxed), tally.errors.load(Ordering::Relaxed));
        println!(
            "requests: {requests} in {:.1} s ({:.0}/s), errors: {errors} (requirement: 0)",
            elapsed.as_secs_f64(),
            requests as f64 / elapsed.as_secs_f64()
        );
        for error in tally.first_errors.lock().unwrap().iter() {
            println!("  error: {error}");
        }
        self.record(
            &format!("Soak: logins, users lists, edits for {secs} s"),
            &format!("{requests} requests, {errors} errors"),
            "0 errors",
            verdict(errors == 0 && requests > 0),
        );
        self.report_swept_tables(&table_samples.into_inner().unwrap());
        let samples = samples.into_inner().unwrap();
        if samples.is_empty() {
            return Ok(());
        }
        println!(
            "server RSS (s: MB): {}",
            samples.iter().map(|(t, mb)| format!("{:.0}: {mb:.1}", t.as_secs_f64())).collect::<Vec<_>>().join(", ")
        );
        // Warm-up: the first sixth of the soak (at most 10 s).
        let warm = Duration::from_secs((secs / 6).clamp(1, 10));
        let (from_t, from) = samples.iter().copied().find(|(t, _)| *t >= warm).unwrap_or(samples[0]);
        let (to_t, to) = *samples.last().unwrap();
        tokio::time::sleep(Duration::from_secs(self.args.idle_secs)).await;
        let after = self.rss_mb().unwrap_or(0.0);
        println!(
            "RSS growth from {:.0} s to {:.0} s: {:+.1} MB ({from:.1} -> {to:.1} MB); {after:.1} MB after {} s idle",
            from_t.as_secs_f64(),
            to_t.as_secs_f64(),
            to - from,
            self.args.idle_secs
        );
        self.record(
            "Soak: server RSS growth after warm-up (leak check)",
            &format!("{:+.1} MB ({from:.1} -> {to:.1}, {:.0}-{:.0} s; {after:.1} idle after)", to - from, from_t.as_secs_f64(), to_t.as_secs_f64()),
            "info",
            "info",
        );
        Ok(())
    }
}

/// The tables the sweeper keeps from growing (S9), in this order.
const SWEPT_TABLES: [&str; 5] = ["sessions", "user_tokens", "login_throttle", "outbox", "quotas"];

async fn swept_rows(pool: &sqlx::AnyPool) -> Result<Vec<i64>> {
    let mut rows = Vec::new();
    for table in SWEPT_TABLES {
        rows.push(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await?);
    }
    Ok(rows)
}

impl Bench {
    /// S9: the swept tables' rows over the soak. Flat: no table holds more rows in the soak's
    /// last third than it held at most before (sessions of new browsers stop piling up once
    /// they outlive the idle timeout and the sweeper takes them).
    fn report_swept_tables(&self, samples: &[(Duration, Vec<i64>)]) {
        let Some((last_t, _)) = samples.last() else { return };
        println!("swept tables' rows (s: {}):", SWEPT_TABLES.join(" "));
        for (t, rows) in samples {
            println!("  {:>4.0}: {}", t.as_secs_f64(), rows.iter().map(i64::to_string).collect::<Vec<_>>().join(" "));
        }
        let cut = *last_t * 2 / 3;
        let max_in = |keep: &dyn Fn(Duration) -> bool, table: usize| {
            samples.iter().filter(|(t, _)| keep(*t)).map(|(_, rows)| rows[table]).max().unwrap_or(0)
        };
        let (mut flat, mut summary) = (true, Vec::new());
        for (i, table) in SWEPT_TABLES.iter().enumerate() {
            let (before, after) = (max_in(&|t| t < cut, i), max_in(&|t| t >= cut, i));
            flat &= after <= before;
            summary.push(format!("{table} {before}->{after}"));
        }
        self.record(
            "S9 swept tables during the soak (most rows before its last third -> in it)",
            &summary.join(", "),
            "no growth in the last third",
            verdict(flat),
        );
    }

    /// S8: `--sign-ups` registrations at once (each its own new user, as from many addresses:
    /// the bench server lifts the per-address limit) while one real user signs in again and
    /// again. The flood may be turned away (503); the real user must always get in.
    async fn sign_up_flood(&self, real: &BenchUser) -> Result {
        let count = self.args.sign_ups;
        println!("\nS8 sign-up flood: {count} registrations at once while {} keeps signing in", real.login);
        let run = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
        let flood_client = Client::builder().build()?;
        let flooding = AtomicBool::new(true);
        let started = Instant::now();
        let flood = async {
            let answers = futures::future::join_all((0..count).map(|i| {
                let (client, login) = (&flood_client, format!("flood{run}x{i}"));
                async move {
                    let email = format!("{login}@flood.example");
                    let form = [
                        ("first_name", "Flood"), ("last_name", "Bench"), ("email", email.as_str()),
                        ("login_name", login.as_str()), ("password", "flood Bench secret 3"), ("locale", "en"),
                    ];
                    self.call(client, "auth/register", &form).await.map(|(status, _)| status)
                }
            }))
            .await;
            flooding.store(false, Ordering::Relaxed);
            answers
        };
        let real_logins = async {
            let client = new_client();
            let (mut times, mut refused) = (Vec::new(), Vec::new());
            while flooding.load(Ordering::Relaxed) {
                let t = Instant::now();
                let outcome = self.call(&client, "auth/login", &[("identifier", &real.login), ("password", USER_PASSWORD)]).await;
                times.push(t.elapsed());
                match outcome {
                    Ok((status, _)) if status.is_success() => {}
                    Ok((status, body)) => refused.push(format!("{status} {body}")),
                    Err(error) => refused.push(error.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (times, refused)
        };
        let (answers, (mut times, refused)) = futures::future::join(flood, real_logins).await;
        let elapsed = started.elapsed();
        let with = |wanted: StatusCode| answers.iter().filter(|a| matches!(a, Ok(s) if *s == wanted)).count();
        let (registered, busy) = (with(StatusCode::OK), with(StatusCode::SERVICE_UNAVAILABLE));
        let other = answers.len() - registered - busy;
        times.sort();
        println!(
            "flood: {registered} registered, {busy} turned away with 503, {other} other, in {:.1} s",
            elapsed.as_secs_f64()
        );
        println!(
            "real user: {} of {} logins got in; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            times.len() - refused.len(),
            times.len(),
            ms(percentile(&times, 50)),
            ms(percentile(&times, 99)),
            ms(times.last().copied().unwrap_or_default())
        );
        for problem in refused.iter().take(5) {
            println!("  refused: {problem}");
        }
        self.record(
            &format!("S8 {count} sign-ups at once vs one real user's logins"),
            &format!(
                "real user {}/{} in (p99 {:.0} ms); flood {registered} registered, {busy} 503, {other} other in {:.1} s",
                times.len() - refused.len(),
                times.len(),
                ms(percentile(&times, 99)),
                elapsed.as_secs_f64()
            ),
            "every real login gets in",
            verdict(refused.is_empty() && !times.is_empty()),
        );
        Ok(())
    }
}

async fn read(response: reqwest::Response) -> Result<(StatusCode, Value)> {
    let status = response.status();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

/// P4's reference: argon2id verifications per second with the app's own hasher (its
/// parameters, its blocking pool and its one-hash-per-core semaphore), `2 x cores` callers.
async fn capacity(cores: usize, secs: Duration) -> Result<f64> {
    let hasher = PasswordHasher::default();
    let hash = hasher.hash(Password::generated(USER_PASSWORD.into())).await?;
    let started = Instant::now();
    let one = hasher.verify(Password::generated(USER_PASSWORD.into()), Some(hash.clone())).await?;
    assert!(one, "the hash verifies");
    let single = started.elapsed();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + secs;
    let callers: Vec<_> = (0..2 * cores)
        .map(|_| {
            let (hasher, hash, done) = (hasher.clone(), hash.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let ok = hasher.verify(Password::generated(USER_PASSWORD.into()), Some(hash.clone())).await;
                    assert!(matches!(ok, Ok(true)), "the hash verifies");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await?;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!(
        "\nP4 argon2id capacity (app hasher, m=19 MiB t=2 p=1, in-process on {cores} cores): {rate:.1} verifications/s \
         ({:.1}/s per core; one alone {:.1} ms)",
        rate / cores as f64,
        ms(single)
    );
    Ok(rate)
}
