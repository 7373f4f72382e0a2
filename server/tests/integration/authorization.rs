//! The authorization matrix (SPEC S3): every server function × every kind of caller, each cell
//! with its expected answer. A refusal changes nothing of the customer's and leaks none of its
//! data. On SQLite and PostgreSQL.

use crate::common;

use common::catalogue::{Access, Body, ENDPOINTS, Endpoint, fill};
use common::{Answer, Backend, TestApp, create, new_client, register_args, role_id, signed_in, spawn_app};
use reqwest::Client;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

on_both_backends!(every_function_answers_every_caller_as_expected);

#[test]
fn every_registered_function_is_listed() {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = ENDPOINTS.iter().filter(|e| !matches!(e.real, Body::Get(_))).map(|e| e.path.to_owned()).collect();
    assert_eq!(registered, listed, "the catalogue in tests/common/catalogue.rs must list every server function");
}

/// Who calls, as the guard sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Anonymous,
    /// Signed in, no account.
    Loner,
    /// A member of the customer account with these permission bits.
    Customer(u8),
    /// The primary administrator of another account.
    OtherAdmin,
    /// Partner staff without a grant (a Member of the partner account).
    PartnerStaff,
    /// Partner staff acting for the customer through a grant of these bits.
    Acting(u8),
    /// Partner staff whose grant was revoked while acting.
    Revoked,
}

impl Kind {
    fn inside_customer(self) -> bool {
        matches!(self, Kind::Customer(_) | Kind::Acting(_))
    }

    fn permissions(self) -> u8 {
        match self {
            Kind::Customer(bits) | Kind::Acting(bits) => bits,
            Kind::OtherAdmin => 255,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The guard lets the call through: whatever the function then answers, it is not a
    /// refusal of the caller.
    Pass,
    Deny(&'static str),
}

fn expected(kind: Kind, endpoint: &Endpoint) -> Expect {
    match (kind, endpoint.access) {
        (_, Access::Public) => Expect::Pass,
        (Kind::Anonymous, _) => Expect::Deny("Unauthenticated"),
        (Kind::Revoked, Access::OwnUser) => Expect::Pass,
        (Kind::Revoked, _) => Expect::Deny("DelegationEnded"),
        // Staff always have a home account, so creating one is refused beside the name field.
        (Kind::Acting(_), _) if endpoint.path == "accounts/create" => Expect::Deny("Validation"),
        (Kind::Acting(_), _) if endpoint.home_only => Expect::Deny("Refused"),
        (_, Access::OwnUser | Access::SignedIn) => Expect::Pass,
        (Kind::Loner, _) => Expect::Deny("Forbidden"),
        (_, Access::Member) => Expect::Pass,
        (kind, Access::Any(bits)) if kind.permissions() & bits != 0 => Expect::Pass,
        (_, Access::Any(_)) => Expect::Deny("Forbidden"),
    }
}

/// What came back: "Ok", or the error's variant name.
fn kind_of(answer: &Answer) -> String {
    if answer.status.is_success() {
        return "Ok".into();
    }
    match &answer.body {
        // The CSV download answers in plain text, as a browser shows it.
        Value::String(text) if text == "not signed in" => "Unauthenticated".into(),
        Value::String(text) if text == "forbidden" => "Forbidden".into(),
        Value::String(text) if text == "delegated access ended" => "DelegationEnded".into(),
        Value::String(name) => name.clone(),
        Value::Object(map) => map.keys().next().cloned().unwrap_or_default(),
        other => other.to_string(),
    }
}

struct Persona {
    name: &'static str,
    kind: Kind,
    client: Client,
}

struct World {
    personas: Vec<Persona>,
    /// Placeholder → value, for the catalogue's arguments.
    values: BTreeMap<&'static str, String>,
    acme: i64,
    /// Strings only the customer's own people may ever see.
    secrets: Vec<String>,
}

/// The customer "acme" with one user per built-in role, its partner "pad" with staff, another
/// company "olga", and a user with no company.
async fn build_world(app: &TestApp) -> World {
    let acme = app.admin("acme").await;
    let session = app.call_as(&acme, "session/current", &[]).await.body;
    let acme_id = session["account"]["id"].as_i64().unwrap();
    let mut personas = vec![Persona { name: "primary administrator", kind: Kind::Customer(255), client: acme.clone() }];
    for (login, role, bits) in [
        ("adam", "administrator", 255),
        ("uma", "user_manager", 3),
        ("pam", "partner_manager", 112),
        ("audrey", "auditor", 145),
        ("memo", "member", 0),
    ] {
        create(app, &acme, login, &[role_id(app, role).await]).await;
        let name = match login {
            "adam" => "administrator",
            "uma" => "user manager",
            "pam" => "partner manager",
            "audrey" => "auditor",
            _ => "member",
        };
        personas.push(Persona { name, kind: Kind::Customer(bits), client: signed_in(app, login).await });
    }
    let vic = create(app, &acme, "victoria", &[role_id(app, "member").await]).await;
    let helpdesk = json!({ "id": null, "form": { "name": "Helpdesk", "description": "", "permissions": ["UsersView"] } });
    let role = app.call_json(&acme, "roles/save", helpdesk).await.body.as_i64().unwrap();
    let invited = json!({ "form": common::form("ivy", "ivy@example.com", &[], ""), "delivery": "Invitation" });
    let ivy = app.call_json(&acme, "users/create", invited).await.body.as_i64().unwrap();
    let key = app.call_as(&acme, "accounts/key", &[]).await.body.as_str().unwrap().to_owned();
    // A second session of the primary administrator, the target of `me/end_session`.
    let _laptop = {
        let client = new_client();
        assert!(app.call_as(&client, "auth/login", &[("identifier", "acme"), ("password", common::PASSWORD)]).await.is_ok());
        client
    };
    let sessions = app.call_as(&acme, "me/sessions", &[]).await.body;
    let session_id = sessions.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].to_string();

    // Another company, with a second member so that its administrator cannot close it.
    let olga = app.admin("olga").await;
    create(app, &olga, "otto", &[]).await;
    let olga_pid = app.call_as(&olga, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();

    // The partner: acme invites it, it accepts; staff sam acts with User manager, rex's
    // Auditor grant is revoked while he acts, pat has no grant.
    let pad = app.admin("pad").await;
    let pad_pid = app.call_as(&pad, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    assert!(app.call_as(&acme, "partners/invite", &[("partner_id", &pad_pid)]).await.is_ok());
    let link = app.call_as(&pad, "partners/list", &[]).await.body["links"][0]["id"].to_string();
    assert!(app.call_as(&pad, "partners/respond", &[("link_id", &link), ("accept", "true")]).await.is_ok());
    for login in ["sam", "rex", "pat"] {
        create(app, &pad, login, &[]).await;
    }
    let grant = |login: &'static str, role: &'static str| {
        let link = link.clone();
        let pad = pad.clone();
        async move {
            let args = [("link_id", link), ("user_id", app.user_id(login).await.to_string()), ("role_id", role_id(app, role).await.to_string())];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = app.call_as(&pad, "partners/grant", &args).await;
            assert!(answer.is_ok(), "grant {login}: {answer:?}");
        }
    };
    grant("sam", "user_manager").await;
    grant("rex", "auditor").await;
    let sam = signed_in(app, "sam").await;
    let rex = signed_in(app, "rex").await;
    let pat = signed_in(app, "pat").await;
    for staff in [&sam, &rex] {
        common::enrol_totp(app, staff).await;
        assert!(app.call_as(staff, "partners/act_for", &[("account_id", &acme_id.to_string())]).await.is_ok());
    }
    let grants = app.call_as(&acme, "partners/list", &[]).await.body["links"][0]["grants"].clone();
    let grant_of = |login: &str| grants.as_array().unwrap().iter().find(|g| g["user"]["login_name"] == login || g.to_string().contains(login)).unwrap()["id"].to_string();
    let sam_grant = grant_of("sam");
    assert!(app.call_as(&acme, "partners/revoke_grant", &[("grant_id", &grant_of("rex"))]).await.is_ok());
    // A live shareable link of the partner's, for preview and confirm.
    let url = app.call_as(&pad, "partners/create_link", &[]).await.body.as_str().unwrap().to_owned();
    let partner_link = url.split("token=").nth(1).unwrap().to_owned();

    let loner = new_client();
    assert!(app.call_as(&loner, "auth/register", &register_args("lonely", "lonely@example.com")).await.is_ok());
    app.mark_verified("lonely").await;

    personas.extend([
        Persona { name: "anonymous", kind: Kind::Anonymous, client: new_client() },
        Persona { name: "user without a company", kind: Kind::Loner, client: loner },
        Persona { name: "administrator of another company", kind: Kind::OtherAdmin, client: olga },
        Persona { name: "partner staff without a grant", kind: Kind::PartnerStaff, client: pat },
        Persona { name: "partner staff acting with a grant", kind: Kind::Acting(3), client: sam },
        Persona { name: "partner staff whose grant was revoked", kind: Kind::Revoked, client: rex },
    ]);
    let values = BTreeMap::from([
        ("acme", acme_id.to_string()),
        ("vic", vic.to_string()),
        ("ivy", ivy.to_string()),
        ("role", role.to_string()),
        ("admin_role", role_id(app, "administrator").await.to_string()),
        ("key", key.clone()),
        ("session", session_id),
        ("other_partner_id", olga_pid),
        ("link", link),
        ("grant", sam_grant),
        ("staff", app.user_id("pat").await.to_string()),
        ("partner_link", partner_link),
    ]);
    World { personas, values, acme: acme_id, secrets: vec!["victoria".into(), "Helpdesk".into(), key] }
}

async fn call(app: &TestApp, client: &Client, endpoint: &Endpoint, body: Body, values: &BTreeMap<&'static str, String>) -> Answer {
    match body {
        Body::Form(args) => {
            let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, fill(v, values))).collect();
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call_as(client, endpoint.path, &args).await
        }
        Body::Json(build) => app.call_json(client, endpoint.path, build(values)).await,
        Body::Get(path) => app.get_as(client, path).await,
    }
}

/// Everything of the customer's that a call could change.
async fn fingerprint(app: &TestApp, acme: i64) -> Vec<String> {
    let queries = [
        "SELECT name || '|' || account_key || '|' || COALESCE(contact_email, '') FROM accounts WHERE id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM roles WHERE account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE u.account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) || '|' || COALESCE(MAX(status), '') FROM partner_links WHERE customer_account_id = $1",
        "SELECT CAST(COUNT(*) AS TEXT) FROM delegated_grants g JOIN partner_links l ON l.id = g.link_id WHERE l.customer_account_id = $1",
        "SELECT COALESCE(MAX(first_name || last_name || CAST(COALESCE(locked_at, 0) AS TEXT)), '') FROM users WHERE account_id = $1 AND login_name = 'victoria'",
    ];
    let mut print = Vec::new();
    for sql in queries {
        print.push(sqlx::query_scalar::<_, String>(sql).bind(acme).fetch_one(&app.state.db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}")));
    }
    print
}

async fn every_function_answers_every_caller_as_expected(backend: Backend) {
    let app = spawn_app(backend).await;
    let world = build_world(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for endpoint in ENDPOINTS {
        // Refused callers first, so the customer's objects are intact for each of them.
        let mut order: Vec<&Persona> = world.personas.iter().collect();
        order.sort_by_key(|p| expected(p.kind, endpoint) == Expect::Pass);
        for persona in order {
            cells += 1;
            let expect = expected(persona.kind, endpoint);
            // Callers inside the customer who may call it get the harmless arguments; those
            // outside always aim at the customer's objects, except to join or leave.
            let body = match (expect, endpoint.harmless) {
                (Expect::Pass, Some(harmless)) if persona.kind.inside_customer() || endpoint.home_only => harmless,
                _ => endpoint.real,
            };
            let before = fingerprint(&app, world.acme).await;
            let answer = call(&app, &persona.client, endpoint, body, &world.values).await;
            let got = kind_of(&answer);
            let cell = format!("{} × {}", endpoint.path, persona.name);
            if answer.status.is_server_error() {
                failures.push(format!("{cell}: server error {answer:?}"));
                continue;
            }
            let refused_by_guard = ["Unauthenticated", "Forbidden", "DelegationEnded", "PasswordChangeRequired"].contains(&got.as_str());
            match expect {
                Expect::Deny(kind) if got != kind => failures.push(format!("{cell}: expected {kind}, got {got} ({answer:?})")),
                Expect::Pass if refused_by_guard => failures.push(format!("{cell}: expected the guard to pass, got {got}")),
                _ => {}
            }
            let text = answer.body.to_string();
            let leaks = !persona.kind.inside_customer() || matches!(expect, Expect::Deny(_));
            if leaks && let Some(secret) = world.secrets.iter().find(|s| text.contains(s.as_str())) {
                failures.push(format!("{cell}: the answer shows {secret:?}: {text}"));
            }
            // Nothing of the customer's changes unless one of its own people may do it.
            if !(persona.kind.inside_customer() && expect == Expect::Pass) && fingerprint(&app, world.acme).await != before {
                failures.push(format!("{cell}: the customer's data changed ({got})"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cells} cells are wrong:\n{}", failures.len(), failures.join("\n"));
    eprintln!("authorization matrix: {} functions × {} callers = {cells} cells, all as expected", ENDPOINTS.len(), world.personas.len());
    app.finish().await;
}
