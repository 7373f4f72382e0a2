//! Bad input at every server function (SPEC S6): each argument of each function in the
//! catalogue is replaced in turn by hostile values (oversized, control characters, unicode
//! tricks, search and SQL syntax, wrong types), and whole bodies are mangled. Never a 500;
//! a refused call changes nothing. Bodies over the limit are refused unread. On SQLite and
//! PostgreSQL.

use crate::common;

use common::catalogue::{self, Body, ENDPOINTS, Endpoint};
use common::{Backend, TestApp, create, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;

on_both_backends!(hostile_arguments_never_cause_a_server_error_or_a_partial_change, bodies_over_the_limit_are_refused_unread);

/// Functions without arguments that end the caller's membership or session: nothing to
/// mangle but the body, and each would end the run early.
const ENDS_THE_CALLER: [&str; 4] = ["auth/logout", "accounts/leave", "accounts/close", "me/end_other_sessions"];

fn hostile_strings() -> Vec<String> {
    vec![
        String::new(),
        "   ".into(),
        "x".repeat(10_000),
        "\u{0}\u{7}\u{1b}[31m\r\nInjected: header".into(),
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧 \u{202e}gnp.exe \u{200b}".into(),
        "%' OR 1=1 --".into(),
        "_%\\*?[](){}^$|".into(),
        "<script>alert(1)</script>".into(),
        "-1".into(),
        "99999999999999999999999".into(),
        "NaN".into(),
        "true".into(),
        "null".into(),
    ]
}

fn hostile_json() -> Vec<Value> {
    let mut values: Vec<Value> = hostile_strings().into_iter().map(Value::String).collect();
    values.extend([json!(-1), json!(1e308), json!(i64::MAX), json!(u64::MAX), Value::Null, json!(true), json!([]), json!({}), json!([[[[[]]]]])]);
    values
}

/// Every table's row count: a refused call must leave all of them as they were (and every
/// change writes an audit event, which this counts too).
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let tables = ["accounts", "users", "roles", "user_roles", "sessions", "user_tokens", "audit_events", "outbox", "partner_links", "delegated_grants"];
    let mut counts = Vec::new();
    for table in tables {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts
}

/// Each variant of one endpoint's arguments with one value replaced, dropped or added.
fn variants(endpoint: &Endpoint, values: &catalogue::Values) -> Vec<Request> {
    let fill = |text: &str| catalogue::fill(text, values);
    let mut out = Vec::new();
    match endpoint.real {
        Body::Form(args) => {
            let args: Vec<(String, String)> = args.iter().map(|(k, v)| ((*k).to_owned(), fill(v))).collect();
            for i in 0..args.len() {
                for evil in hostile_strings() {
                    let mut changed = args.clone();
                    changed[i].1 = evil;
                    out.push(Request::Form(changed));
                }
                let mut dropped = args.clone();
                dropped.remove(i);
                out.push(Request::Form(dropped));
                let mut doubled = args.clone();
                doubled.push((args[i].0.clone(), "second value".into()));
                out.push(Request::Form(doubled));
            }
            out.push(Request::Raw("application/x-www-form-urlencoded", "%%%&&&==\u{0}".into()));
            out.push(Request::Raw("application/json", "{\"not\": \"a form\"}".into()));
        }
        Body::Json(build) => {
            let value: Value = build(values);
            for path in leaves(&value, Vec::new()) {
                for evil in hostile_json() {
                    let mut changed = value.clone();
                    *pointer(&mut changed, &path) = evil;
                    out.push(Request::Json(changed));
                }
            }
            out.push(Request::Raw("application/json", "{\"truncated\": ".into()));
            out.push(Request::Raw("application/json", "[1, 2, 3]".into()));
            out.push(Request::Raw("application/x-www-form-urlencoded", "a=b".into()));
        }
        Body::Get(path) => {
            for evil in hostile_strings() {
                for field in ["actor", "action", "target", "from", "to", "page"] {
                    out.push(Request::Get(path, vec![(field.to_owned(), evil.clone())]));
                }
            }
        }
    }
    out
}

enum Request {
    Form(Vec<(String, String)>),
    Json(Value),
    Raw(&'static str, String),
    Get(&'static str, Vec<(String, String)>),
}

/// The paths (object keys and array indexes) of every leaf of a JSON value.
fn leaves(value: &Value, at: Vec<String>) -> Vec<Vec<String>> {
    match value {
        Value::Object(map) if !map.is_empty() => map.iter().flat_map(|(k, v)| leaves(v, [at.clone(), vec![k.clone()]].concat())).collect(),
        Value::Array(items) if !items.is_empty() => items.iter().enumerate().flat_map(|(i, v)| leaves(v, [at.clone(), vec![i.to_string()]].concat())).collect(),
        _ => vec![at],
    }
}

fn pointer<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |value, key| match value {
        Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
        other => &mut other[key.as_str()],
    })
}

async fn send(app: &TestApp, client: &Client, endpoint: &Endpoint, request: &Request) -> (StatusCode, String) {
    let url = format!("{}/api/{}", app.url, endpoint.path);
    let response = match request {
        Request::Form(args) => client.post(url).form(args).send().await,
        Request::Json(value) => client.post(url).json(value).send().await,
        Request::Raw(content_type, body) => client.post(url).header("content-type", *content_type).body(body.clone()).send().await,
        Request::Get(path, query) => client.get(format!("{}{path}", app.url)).query(query).send().await,
    }
    .expect("request reaches the server");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn hostile_arguments_never_cause_a_server_error_or_a_partial_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let vic = create(&app, &ada, "victoria", &[]).await;
    // The catalogue's other objects need not exist: the hostile value is the point here.
    let mut values: BTreeMap<&str, String> = ["acme", "ivy", "role", "admin_role", "session", "link", "grant", "staff"].into_iter().map(|name| (name, "1".to_owned())).collect();
    values.extend([("vic", vic.to_string()), ("key", "AK-0000-0000-0000".into()), ("other_partner_id", "PT-0000-0000".into()), ("partner_link", "unknown".into())]);
    let mut failures = Vec::new();
    let mut calls = 0;
    for endpoint in ENDPOINTS.iter().filter(|e| !ENDS_THE_CALLER.contains(&e.path)) {
        for request in variants(endpoint, &values) {
            calls += 1;
            let before = fingerprint(&app).await;
            let (status, body) = send(&app, &ada, endpoint, &request).await;
            if status.is_server_error() {
                failures.push(format!("{}: {status} {body}", endpoint.path));
            } else if !status.is_success() && fingerprint(&app).await != before {
                failures.push(format!("{}: refused with {status} but changed the database", endpoint.path));
            }
        }
        // A mangled call must not have cost the caller their session.
        let session = app.call_as(&ada, "session/current", &[]).await;
        assert!(session.body["user_id"].is_number(), "after {}: ada's session is gone: {session:?}", endpoint.path);
    }
    assert!(failures.is_empty(), "{} of {calls} hostile calls went wrong:\n{}", failures.len(), failures.join("\n"));
    eprintln!("bad input: {calls} hostile calls, no server error, no partial change");
    app.finish().await;
}

async fn bodies_over_the_limit_are_refused_unread(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("ada").await;
    let before = fingerprint(&app).await;
    let over = server::http_layers::MAX_REQUEST_BODY + 1;
    assert_eq!(status_of_announced_body(&app, "users/create", "application/json", over).await, 413);
    assert_eq!(status_of_announced_body(&app, "auth/login", "application/x-www-form-urlencoded", over).await, 413);
    // The users import takes a whole file, up to its own limit.
    let over_import = server::http_layers::MAX_IMPORT_BODY + 1;
    assert_eq!(status_of_announced_body(&app, "users/import/preview", "application/json", over_import).await, 413);
    assert_eq!(fingerprint(&app).await, before);
    app.finish().await;
}

/// POSTs headers announcing a body of `length` bytes and sends none of it: the status must
/// come anyway, as the server refuses without reading. (Sending a whole oversized body races
/// the server's early close: the client may see a broken pipe instead of the 413.)
async fn status_of_announced_body(app: &TestApp, endpoint: &str, content_type: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("the server listens");
    let head = format!("POST /api/{endpoint} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("the headers are sent");
    let mut answer = [0; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .expect("the answer is readable");
    let status_line = String::from_utf8_lossy(&answer[..read]);
    status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status line in {status_line:?}"))
}
