//! F2's first slice and the invariants the schema enforces, on SQLite and PostgreSQL.

use crate::common;

use app::domain::{BuiltInRole, Permission, PermissionSet};
use common::{Backend, TestApp, new_client, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};

on_both_backends!(
    creating_an_account_makes_the_creator_its_primary_administrator,
    a_member_cannot_create_a_second_account,
    anonymous_callers_cannot_create_accounts,
    the_database_refuses_a_second_primary_administrator,
    the_database_refuses_a_second_user_with_the_same_email,
    built_in_roles_in_the_database_match_the_code,
    health_and_readiness_answer_with_security_headers,
    a_closed_accounts_id_and_audit_log_go_to_no_new_account,
);

async fn creating_an_account_makes_the_creator_its_primary_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let created = app.call("accounts/create", &[("account_name", "  Acme Corp ")]).await;
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(created.body["name"], "Acme Corp");
    let partner_id = created.body["partner_id"].as_str().unwrap();
    assert!(partner_id.starts_with("PT-") && partner_id.len() == 12, "{partner_id}");

    let session = app.session().await;
    assert_eq!(session["account"]["name"], "Acme Corp");
    assert_eq!(session["is_primary_admin"], true);
    assert_eq!(session["permissions"], json!(PermissionSet::all().bits()));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.created'").await, 1);
    app.finish().await;
}

async fn a_member_cannot_create_a_second_account(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let second = app.call("accounts/create", &[("account_name", "Other")]).await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(second.body, json!({ "Validation": [{ "field": "account_name", "problem": "AlreadyInAccount" }] }));
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
    let blank = app.call_as(&new_client(), "accounts/create", &[("account_name", "")]).await;
    assert_eq!(blank.status, StatusCode::UNAUTHORIZED, "the guard answers before the parser");
    app.finish().await;
}

async fn anonymous_callers_cannot_create_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app.call("accounts/create", &[("account_name", "Acme")]).await;
    assert_eq!((answer.status, answer.body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
    app.finish().await;
}

async fn the_database_refuses_a_second_primary_administrator(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let account: i64 = sqlx::query_scalar("SELECT id FROM accounts").fetch_one(&app.state.db.pool).await.unwrap();
    let second = sqlx::query(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, is_primary_admin, created_at)
         VALUES ($1, 'Max', 'Moe', 'max', 'max@example.com', 1, 0)",
    )
    .bind(account)
    .execute(&app.state.db.pool)
    .await;
    assert!(second.unwrap_err().as_database_error().unwrap().is_unique_violation());
    app.finish().await;
}

async fn the_database_refuses_a_second_user_with_the_same_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let insert = "INSERT INTO users (first_name, last_name, login_name, email, created_at)
                  VALUES ('A', 'B', $1, 'same@example.com', 0)";
    sqlx::query(insert).bind("first").execute(&app.state.db.pool).await.unwrap();
    let second = sqlx::query(insert).bind("second").execute(&app.state.db.pool).await;
    assert!(second.unwrap_err().as_database_error().unwrap().is_unique_violation());
    app.finish().await;
}

async fn built_in_roles_in_the_database_match_the_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT builtin_key, permissions FROM roles WHERE account_id IS NULL ORDER BY id")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), BuiltInRole::ALL.len());
    for (key, bits) in rows {
        let role = BuiltInRole::from_key(&key).unwrap_or_else(|| panic!("unknown built-in role {key}"));
        assert_eq!(PermissionSet::from_bits(bits), role.permissions(), "{key}");
    }
    assert!(BuiltInRole::Auditor.permissions().contains(Permission::AuditView));
    app.finish().await;
}

async fn health_and_readiness_answer_with_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = app.client.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(response.text().await.unwrap(), body);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert!(headers.contains_key("x-request-id"));
    }
    app.finish().await;
}

async fn account_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1").bind(name).fetch_one(&app.state.db.pool).await.unwrap()
}

/// Every event of the caller's account log (one page is enough here).
async fn audit_log(app: &TestApp, client: &Client) -> Vec<Value> {
    let answer = app.call_json(client, "audit/list", json!({ "filter": {} })).await;
    assert!(answer.is_ok(), "{answer:?}");
    let rows = answer.body["rows"].as_array().unwrap().clone();
    assert_eq!(answer.body["total"].as_i64().unwrap(), rows.len() as i64, "one page holds the whole log");
    rows
}

/// SPEC S9: identifiers are never reused. The account created last (highest id) is closed; the
/// next new account gets a new id and an empty history, and the partner whose log names the
/// closed company does not see it renamed to the newcomer.
async fn a_closed_accounts_id_and_audit_log_go_to_no_new_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let cleo = app.admin("cleo").await;
    let pete = app.admin("pete").await;
    let pete_corp = account_id(&app, "pete corp").await;
    assert!(pete_corp > account_id(&app, "cleo corp").await, "the account to close holds the highest id");

    // Something audited in both logs: cleo corp invites pete corp as its partner, pete accepts.
    let partner_id = app.call_as(&pete, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    assert!(app.call_as(&cleo, "partners/invite", &[("partner_id", &partner_id)]).await.is_ok());
    let listed = app.call_as(&pete, "partners/list", &[]).await;
    let link = listed.body["links"][0]["id"].as_i64().unwrap().to_string();
    assert!(app.call_as(&pete, "partners/respond", &[("link_id", &link), ("accept", "true")]).await.is_ok());
    let accepted = |log: &[Value]| log.iter().find(|e| e["action"] == "partner.accepted").cloned().expect("partner.accepted in the log");
    let in_cleo = accepted(&audit_log(&app, &cleo).await);
    assert_eq!((&in_cleo["actor"], &in_cleo["actor_company"], &in_cleo["target"]), (&json!("pete"), &json!("pete corp"), &json!("pete corp")));
    assert!(audit_log(&app, &pete).await.len() >= 3, "pete corp's own log has its events");

    let closed = app.call_as(&pete, "accounts/close", &[]).await;
    assert!(closed.is_ok(), "{closed:?}");
    assert!(app.count(&format!("SELECT COUNT(*) FROM audit_events WHERE account_id = {pete_corp}")).await >= 3);

    // A new tenant: a new id, and a log holding its own events only.
    let nina = app.admin("nina").await;
    let nina_corp = account_id(&app, "nina corp").await;
    assert!(nina_corp > pete_corp, "the new account got id {nina_corp}, the closed one had {pete_corp}");
    let log = audit_log(&app, &nina).await;
    assert!(!log.is_empty());
    assert!(log.iter().all(|e| e["actor"] == "nina"), "nina corp sees only its own events: {log:#?}");
    let text = serde_json::to_string(&log).unwrap();
    for closed_tenant in ["pete", "cleo", partner_id.as_str()] {
        assert!(!text.contains(closed_tenant), "nina corp's log mentions {closed_tenant:?}: {text}");
    }
    let session = app.call_as(&nina, "session/current", &[]).await.body;
    assert_eq!(session["account"]["name"], "nina corp");
    assert_ne!(session["account"]["partner_id"].as_str().unwrap(), partner_id);

    // cleo corp's log still names the closed partner, and never as the newcomer.
    let in_cleo = accepted(&audit_log(&app, &cleo).await);
    assert_eq!((&in_cleo["actor"], &in_cleo["target"]), (&json!("pete"), &json!("pete corp")));
    assert_ne!(in_cleo["actor_company"], "nina corp", "the closed company is not renamed to the new one");
    assert!(!serde_json::to_string(&audit_log(&app, &cleo).await).unwrap().contains("nina"));
    app.finish().await;
}

// ---- SQLite migration 0005 (ids never reused): rebuilt tables keep every row and structure.

const SQLITE_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/migrations/sqlite");

/// Tables that had `id INTEGER PRIMARY KEY` before 0005.
const ID_TABLES: [&str; 9] =
    ["accounts", "users", "roles", "sessions", "user_tokens", "outbox", "partner_links", "delegated_grants", "audit_events"];

/// Every table whose rows are compared: the rebuilt ones, the untouched one and the search
/// index's own storage (which must come through byte for byte).
const ALL_TABLES: [&str; 15] = [
    "accounts", "users", "roles", "user_roles", "sessions", "user_tokens", "outbox", "partner_links",
    "delegated_grants", "audit_events", "login_throttle",
    "users_search_data", "users_search_idx", "users_search_docsize", "users_search_config",
];

#[derive(Debug, PartialEq)]
struct Snapshot {
    rows: Vec<(String, Vec<String>)>,
    columns: Vec<(String, Vec<(i64, String, String, i64, Option<String>, i64, i64)>)>,
    foreign_keys: Vec<(String, Vec<(i64, i64, String, String, Option<String>, String, String, String)>)>,
    indexes: Vec<(String, Vec<(String, i64, String, i64, Vec<(i64, i64, Option<String>, i64, String, i64)>)>)>,
    /// Index and trigger definitions by name.
    schema: Vec<(String, String, String, Option<String>)>,
    /// Table definitions, whitespace and quotes normalised and AUTOINCREMENT left out.
    tables: Vec<(String, String)>,
}

async fn strings(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn snapshot(conn: &mut SqliteConnection) -> Snapshot {
    let mut snap = Snapshot { rows: vec![], columns: vec![], foreign_keys: vec![], indexes: vec![], schema: vec![], tables: vec![] };
    for table in ALL_TABLES {
        let names = strings(conn, &format!("SELECT name FROM pragma_table_xinfo('{table}') ORDER BY cid")).await;
        assert!(!names.is_empty(), "{table} exists");
        let row = names.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
        snap.rows.push((table.into(), strings(conn, &format!("SELECT {row} AS r FROM {table} ORDER BY r")).await));
        let columns = sqlx::query_as(&format!("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo('{table}') ORDER BY cid"))
            .fetch_all(&mut *conn).await.unwrap();
        snap.columns.push((table.into(), columns));
        let fks = sqlx::query_as(&format!("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" FROM pragma_foreign_key_list('{table}') ORDER BY id, seq"))
            .fetch_all(&mut *conn).await.unwrap();
        snap.foreign_keys.push((table.into(), fks));
        let list: Vec<(String, i64, String, i64)> =
            sqlx::query_as(&format!("SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}') ORDER BY name"))
                .fetch_all(&mut *conn).await.unwrap();
        let mut indexes = vec![];
        for (name, unique, origin, partial) in list {
            let cols = sqlx::query_as(&format!("SELECT seqno, cid, name, \"desc\", coll, \"key\" FROM pragma_index_xinfo('{name}') ORDER BY seqno"))
                .fetch_all(&mut *conn).await.unwrap();
            indexes.push((name, unique, origin, partial, cols));
        }
        snap.indexes.push((table.into(), indexes));
    }
    snap.schema = sqlx::query_as("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger') ORDER BY name")
        .fetch_all(&mut *conn).await.unwrap();
    let tables: Vec<(String, String)> = sqlx::query_as("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' ORDER BY name")
        .fetch_all(&mut *conn).await.unwrap();
    snap.tables = tables
        .into_iter()
        .map(|(name, sql)| {
            let sql = sql.replace(" AUTOINCREMENT", "").replace(&format!("\"{name}\""), &name);
            (name, sql.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ","))
        })
        .collect();
    snap
}

async fn sqlite_file(path: &std::path::Path) -> SqliteConnection {
    SqliteConnectOptions::new().filename(path).create_if_missing(true).foreign_keys(true).connect().await.unwrap()
}

async fn run(conn: &mut SqliteConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Rows in every table of the schema 0001-0004 left, including ids that were deleted and are
/// now named only by the audit log (account 50, user 90, role 60, link 70, session 80).
const ROWS_BEFORE_0005: &str = r#"
INSERT INTO accounts (id, name, partner_id, account_key, contact_email, default_locale, created_at) VALUES
    (1, 'Ada corp', 'PT-1111-1111', 'key-ada', 'it@ada.example', 'fr', 100),
    (2, 'Bob corp', 'PT-2222-2222', 'key-bob', NULL, 'en', 200),
    (3, 'Gone corp', 'PT-3333-3333', 'key-gone', NULL, 'en', 300);
INSERT INTO users (id, account_id, first_name, last_name, login_name, email, password_hash, must_change_password,
                   is_primary_admin, locked_at, email_verified_at, locale, subscribe_news, subscribe_alerts,
                   last_login_at, created_at, temporary_password_expires_at) VALUES
    (1, 1, 'Ada', 'Lovelace', 'ada', 'ada@example.com', 'hash-a', 0, 1, NULL, 10, 'fr', 1, 1, 11, 100, NULL),
    (2, 2, 'Bob', 'Stone', 'bob', 'bob@example.com', 'hash-b', 1, 1, 5, NULL, 'en', 0, 0, NULL, 200, 999),
    (3, 1, 'Cara', 'Mills', 'cara', 'cara@example.com', NULL, 0, 0, NULL, NULL, 'en', 0, 1, NULL, 300, NULL),
    (4, NULL, 'Dan', 'Drifter', 'dan', 'dan@example.com', 'hash-d', 0, 0, NULL, 12, 'en', 0, 1, NULL, 400, NULL),
    (5, 3, 'Gus', 'Gone', 'gus', 'gus@example.com', 'hash-g', 0, 1, NULL, NULL, 'en', 0, 1, NULL, 500, NULL);
INSERT INTO roles (id, account_id, builtin_key, name, description, permissions, created_at) VALUES
    (6, 1, NULL, 'Helpdesk', 'First line', 1, 100),
    (7, 3, NULL, 'Gone role', '', 1, 300);
INSERT INTO user_roles (user_id, role_id) VALUES (1, 1), (3, 6), (2, 3), (5, 7);
INSERT INTO sessions (id, token_hash, user_id, acting_account_id, created_at, last_seen_at, expires_at, client_ip, user_agent) VALUES
    (1, 'session-a', 1, 1, 100, 150, 1000, '10.0.0.1', 'Firefox'),
    (2, 'session-b', 2, 1, 200, 250, 2000, '', ''),
    (3, 'session-g', 5, 3, 300, 300, 3000, '', '');
INSERT INTO user_tokens (id, token_hash, user_id, purpose, created_at, expires_at, alerted_at) VALUES
    (1, 'token-cara', 3, 'invitation', 300, 900, NULL),
    (2, 'token-dan', 4, 'email_verification', 400, 800, 450);
INSERT INTO outbox (id, recipient, subject, body, created_at, next_attempt_at, attempts, sent_at, last_error) VALUES
    (1, 'ada@example.com', 'Welcome', '', 100, 100, 1, 101, NULL),
    (2, 'cara@example.com', 'Invitation', 'secret link', 300, 310, 2, NULL, 'timeout');
INSERT INTO partner_links (id, partner_account_id, customer_account_id, status, initiated_by, token_hash, created_by_label,
                           created_at, expires_at, responded_at, ended_at, alerted_at) VALUES
    (1, 2, 1, 'active', 'customer', NULL, 'ada', 100, 2000, 150, NULL, NULL),
    (2, 2, NULL, 'invited', 'partner', 'link-hash', 'bob', 200, 3000, NULL, NULL, NULL),
    (3, 1, 2, 'revoked', 'partner', NULL, 'ada', 50, 60, 55, 70, 65),
    (4, 3, 1, 'active', 'partner', NULL, 'gus', 300, 4000, 310, NULL, NULL);
INSERT INTO delegated_grants (id, link_id, user_id, role_id, granted_at) VALUES (1, 1, 2, 6, 160), (2, 4, 5, 6, 320);
INSERT INTO login_throttle (throttle_key, failures, window_started_at, blocked_until) VALUES ('ip:10.0.0.9', 3, 100, 0);
INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_label, actor_account_id, account_id, action,
                          target_type, target_id, target_label, details, client_ip) VALUES
    (1, 100, 1, 'ada', 1, 1, 'account.created', 'account', 1, 'Ada corp', '{}', '10.0.0.1'),
    (2, 110, 90, 'zoe', 50, 50, 'user.created', 'user', 90, 'zoe', '{"email":"zoe@old.example","roles":[6,60]}', ''),
    (3, 120, 90, 'zoe', 50, 50, 'role.deleted', '', NULL, '', '{"role_id":60,"name":"Old"}', ''),
    (4, 130, 2, 'bob', 2, 1, 'partner.accepted', 'account', 2, 'Bob corp', '{"link_id":70}', ''),
    (5, 140, 1, 'ada', 1, 1, 'user.session_ended', 'user', 1, 'ada', '{"session_id":80}', ''),
    (6, 150, NULL, '', NULL, NULL, 'odd', '', NULL, '', 'not json', ''),
    (7, 160, 5, 'gus', 3, 3, 'account.closed', 'account', 50, 'Zoe corp', '{"name":"Zoe corp"}', '');
-- Deleted before 0005 with the highest ids of their tables: SQLite would hand these out again.
DELETE FROM delegated_grants WHERE id = 2;
DELETE FROM partner_links WHERE id = 4;
DELETE FROM sessions WHERE id = 3;
DELETE FROM user_roles WHERE user_id = 5;
DELETE FROM users WHERE id = 5;
DELETE FROM roles WHERE id = 7;
DELETE FROM accounts WHERE id = 3;
DELETE FROM audit_events WHERE id = 7;
DELETE FROM user_tokens WHERE id = 2;
DELETE FROM outbox WHERE id = 2;
INSERT INTO outbox (id, recipient, subject, body, created_at, next_attempt_at, attempts, sent_at, last_error)
    VALUES (2, 'cara@example.com', 'Invitation', 'secret link', 300, 310, 2, NULL, 'timeout');
INSERT INTO user_tokens (id, token_hash, user_id, purpose, created_at, expires_at, alerted_at)
    VALUES (2, 'token-dan', 4, 'email_verification', 400, 800, 450);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migration_0005_keeps_every_row_and_never_reuses_an_id() {
    let dir = std::env::temp_dir().join(format!("portico-migration-{:016x}", rand::random::<u64>()));
    let early = dir.join("migrations-0001-0004");
    std::fs::create_dir_all(&early).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(SQLITE_MIGRATIONS).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if ["0001_", "0002_", "0003_", "0004_"].iter().any(|v| name.starts_with(v)) {
            std::fs::copy(&path, early.join(&name)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 4);
    let file = dir.join("portico.db");

    // The database as 0001-0004 left it, with data in every table.
    let mut conn = sqlite_file(&file).await;
    sqlx::migrate::Migrator::new(early.as_path()).await.unwrap().run(&mut conn).await.unwrap();
    run(&mut conn, ROWS_BEFORE_0005).await;
    let before = snapshot(&mut conn).await;
    assert_eq!(before.rows[1].1.len(), 4, "four users");
    conn.close().await.unwrap();

    // Then 0005 itself (later migrations change tables on purpose, so they are left out).
    std::fs::read_dir(SQLITE_MIGRATIONS)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_str().unwrap().starts_with("0005_"))
        .for_each(|path| {
            std::fs::copy(&path, early.join(path.file_name().unwrap())).unwrap();
        });
    let mut conn = sqlite_file(&file).await;
    sqlx::migrate::Migrator::new(early.as_path()).await.unwrap().run(&mut conn).await.expect("0005 applies");
    let after = snapshot(&mut conn).await;
    for ((table, rows_before), (_, rows_after)) in before.rows.iter().zip(&after.rows) {
        assert_eq!(rows_before, rows_after, "rows of {table}");
    }
    assert_eq!(before.columns, after.columns, "columns");
    assert_eq!(before.foreign_keys, after.foreign_keys, "foreign keys");
    assert_eq!(before.indexes, after.indexes, "indexes (PRAGMA index_list, index_xinfo)");
    assert_eq!(before.schema, after.schema, "index and trigger definitions");
    assert_eq!(before.tables, after.tables, "table definitions, AUTOINCREMENT aside");
    let leftovers = strings(&mut conn, "SELECT name FROM sqlite_schema WHERE name LIKE '%\\_old%' ESCAPE '\\'").await;
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(strings(&mut conn, "SELECT 'violation in ' || \"table\" FROM pragma_foreign_key_check").await.is_empty());
    assert_eq!(strings(&mut conn, "SELECT integrity_check FROM pragma_integrity_check").await, ["ok"]);
    run(&mut conn, "INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)").await;
    let search = |term: &str| format!("SELECT CAST(rowid AS TEXT) FROM users_search WHERE users_search MATCH '\"{term}\"' ORDER BY rowid");
    assert_eq!(strings(&mut conn, &search("ovelac")).await, ["1"]);
    assert_eq!(strings(&mut conn, &search("example.com")).await, ["1", "2", "3", "4"]);

    // Every rebuilt table counts with AUTOINCREMENT, from above the high-water mark.
    for table in ID_TABLES {
        let sql = strings(&mut conn, &format!("SELECT sql FROM sqlite_schema WHERE name = '{table}'")).await;
        assert!(sql[0].contains("INTEGER PRIMARY KEY AUTOINCREMENT"), "{table}: {}", sql[0]);
    }
    let seq: Vec<(String, i64)> = sqlx::query_as("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetch_all(&mut conn).await.unwrap();
    let expected = [
        ("accounts", 50), ("audit_events", 6), ("delegated_grants", 1), ("outbox", 2), ("partner_links", 70),
        ("roles", 60), ("sessions", 80), ("user_tokens", 2), ("users", 90),
    ];
    assert_eq!(seq, expected.map(|(n, s)| (n.to_owned(), s)));
    run(&mut conn, "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ('New corp', 'PT-4444-4444', 'key-new', 1)").await;
    let new_account: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE name = 'New corp'").fetch_one(&mut conn).await.unwrap();
    assert_eq!(new_account, 51, "above account 50, which only the audit log still names");
    run(&mut conn, &format!("INSERT INTO users (account_id, first_name, last_name, login_name, email, created_at) VALUES ({new_account}, 'Nia', 'Quartz', 'nia', 'nia@new.example', 1)")).await;
    assert_eq!(strings(&mut conn, &search("uartz")).await, ["91"], "the search triggers work on the new table");
    run(&mut conn, "UPDATE users SET last_name = 'Zircon' WHERE login_name = 'nia'").await;
    assert!(strings(&mut conn, &search("uartz")).await.is_empty());
    assert_eq!(strings(&mut conn, &search("ircon")).await, ["91"]);
    run(&mut conn, "DELETE FROM users WHERE login_name = 'nia'").await;
    assert!(strings(&mut conn, &search("ircon")).await.is_empty());
    run(&mut conn, "INSERT INTO users_search (users_search, rank) VALUES ('integrity-check', 1)").await;
    for (table, insert, above) in [
        ("roles", "INSERT INTO roles (account_id, name, permissions, created_at) VALUES (1, 'New role', 0, 1)", 60),
        ("sessions", "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('new', 1, 1, 1, 1)", 80),
        ("partner_links", "INSERT INTO partner_links (partner_account_id, status, initiated_by, created_at, expires_at) VALUES (51, 'invited', 'partner', 1, 1)", 70),
        ("delegated_grants", "INSERT INTO delegated_grants (link_id, user_id, role_id, granted_at) VALUES (3, 4, 6, 1)", 1),
        ("audit_events", "INSERT INTO audit_events (occurred_at, action) VALUES (1, 'new')", 6),
    ] {
        run(&mut conn, insert).await;
        let id: i64 = sqlx::query_scalar(&format!("SELECT MAX(id) FROM {table}")).fetch_one(&mut conn).await.unwrap();
        assert_eq!(id, above + 1, "next id of {table}");
    }

    // The constraints still hold, and the foreign keys act on the new tables.
    for refused in [
        "INSERT INTO users (first_name, last_name, login_name, email, is_primary_admin, created_at) VALUES ('A', 'B', 'x1', 'x1@e', 1, 0)",
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, is_primary_admin, created_at) VALUES (1, 'A', 'B', 'x2', 'x2@e', 1, 0)",
        "INSERT INTO users (first_name, last_name, login_name, email, created_at) VALUES ('A', 'B', 'ada', 'x3@e', 0)",
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, created_at) VALUES (999, 'A', 'B', 'x4', 'x4@e', 0)",
        "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ('t', 1, 'bogus', 0, 0)",
        "INSERT INTO partner_links (partner_account_id, customer_account_id, status, initiated_by, created_at, expires_at) VALUES (1, 1, 'invited', 'partner', 0, 0)",
        "INSERT INTO partner_links (partner_account_id, customer_account_id, status, initiated_by, created_at, expires_at) VALUES (2, 1, 'invited', 'partner', 0, 0)",
        "INSERT INTO roles (account_id, builtin_key, name, permissions, created_at) VALUES (1, 'x', 'X', 0, 0)",
        "INSERT INTO user_roles (user_id, role_id) VALUES (1, 999)",
    ] {
        assert!(sqlx::query(refused).execute(&mut conn).await.is_err(), "accepted: {refused}");
    }
    run(&mut conn, "DELETE FROM users WHERE id = 3").await;
    assert_eq!(strings(&mut conn, "SELECT CAST(COUNT(*) AS TEXT) FROM user_tokens WHERE user_id = 3").await, ["0"]);
    assert_eq!(strings(&mut conn, "SELECT CAST(COUNT(*) AS TEXT) FROM user_roles WHERE user_id = 3").await, ["0"]);
    run(&mut conn, "DELETE FROM partner_links WHERE id = 1").await;
    assert_eq!(strings(&mut conn, "SELECT CAST(COUNT(*) AS TEXT) FROM delegated_grants WHERE link_id = 1").await, ["0"]);
    conn.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
