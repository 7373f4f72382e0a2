//! Bulk onboarding from a CSV file (issue 14 item 6): the preview names every problem and
//! writes nothing; the import creates every row or none (I7), audited and mailed like the
//! add-user form (I6), checks everything again at commit, holds under concurrency (I2), and
//! refuses whoever may not manage users. On SQLite and PostgreSQL.

use crate::common;

use common::{Answer, Backend, PASSWORD, TestApp, create, form, new_client, role_id, signed_in, spawn_app, spawn_app_with, test_config};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    the_preview_names_every_problem_beside_its_row_and_writes_nothing,
    an_import_creates_every_row_audits_it_and_mails_the_invitations,
    a_row_made_invalid_after_the_preview_stops_the_whole_import,
    only_those_who_manage_users_may_import_and_only_roles_they_hold,
    two_identical_imports_at_once_create_the_users_once,
    invitations_count_against_the_hourly_limit_and_large_files_get_through,
);

const HEADER: &str = "first_name,last_name,login_name,email,roles,language,password\n";

async fn preview(app: &TestApp, client: &Client, csv: &str) -> Value {
    let answer = app.call_json(client, "users/import/preview", json!({ "csv": csv })).await;
    assert!(answer.is_ok(), "preview: {answer:?}");
    answer.body
}

async fn import(app: &TestApp, client: &Client, csv: &str) -> Answer {
    app.call_json(client, "users/import/commit", json!({ "csv": csv })).await
}

/// The problems of the row on `line`, as `(column, problem)` JSON pairs.
fn problems(preview: &Value, line: u64) -> Vec<(Value, Value)> {
    let row = preview["rows"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap_or_else(|| panic!("no line {line} in {preview}"));
    row["errors"].as_array().unwrap().iter().map(|e| (e["column"].clone(), e["problem"].clone())).collect()
}

/// Everything an import writes: a refused one must leave all of it as it was.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["users", "user_roles", "user_tokens", "outbox", "audit_events", "quotas"] {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts
}

/// A custom role of ada's account carrying only `users.view`.
async fn helpdesk_role(app: &TestApp, ada: &Client) -> i64 {
    let role = json!({ "id": null, "form": { "name": "Helpdesk", "description": "", "permissions": ["UsersView"] } });
    let answer = app.call_json(ada, "roles/save", role).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body.as_i64().unwrap()
}

async fn the_preview_names_every_problem_beside_its_row_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    create(&app, &ada, "taken", &[]).await;
    helpdesk_role(&app, &ada).await;
    let csv = format!(
        "{HEADER}\
         Ann,Lee,ann,ann@example.com,Helpdesk|user manager,fr,\n\
         ,Lee,bob,not-an-address,,,\n\
         Cy,Po,cyd,ann@example.com,,,\n\
         Dee,Ko,taken,taken@example.com,,,\n\
         Eve,Ma,eve,eve@example.com,Wizard,de,\n\
         Fay,Ng,fay,fay@example.com,,,short\n\
         Gil,Ox,ANN,gil@example.com,,,,unexpected\n"
    );
    let before = footprint(&app).await;
    let report = preview(&app, &ada, &csv).await;
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["rows"].as_array().unwrap().len(), 7);
    assert_eq!(problems(&report, 2), [], "a valid row, custom and built-in roles by name");
    let ann = report["rows"][0].clone();
    assert_eq!((ann["language"].as_str(), ann["with_password"].as_bool()), (Some("fr"), Some(false)));
    let cell = |column: &str, problem: Value| (json!(column), problem);
    assert_eq!(problems(&report, 3), [cell("FirstName", json!({ "Invalid": "Required" })), cell("Email", json!({ "Invalid": "InvalidEmail" }))]);
    assert_eq!(problems(&report, 4), [cell("Email", json!({ "DuplicateOf": 2 }))]);
    assert_eq!(problems(&report, 5), [cell("Email", json!({ "Invalid": "EmailTaken" })), cell("LoginName", json!({ "Invalid": "LoginNameTaken" }))]);
    assert_eq!(problems(&report, 6), [cell("Language", json!("UnknownLanguage")), cell("Roles", json!({ "UnknownRole": "Wizard" }))]);
    assert_eq!(problems(&report, 7), [cell("Password", json!({ "Invalid": "PasswordTooShort" }))]);
    assert_eq!(problems(&report, 8), [cell("LoginName", json!({ "DuplicateOf": 2 })), (Value::Null, json!("ExtraCells"))]);
    // No password ever comes back.
    assert!(!report.to_string().contains("short"), "{report}");

    // The same file sent to import is refused with the same report.
    let refused = import(&app, &ada, &csv).await;
    assert!(refused.is_ok(), "{refused:?}");
    assert_eq!(refused.body["Refused"]["rows"], report["rows"]);

    // What stops the whole file.
    let header = preview(&app, &ada, "first_name;e-mail;nickname\nAnn;ann@example.com;annie\n").await;
    assert_eq!(
        header["problems"],
        json!([{ "UnknownColumn": "nickname" }, { "MissingColumn": "last_name" }, { "MissingColumn": "login_name" }])
    );
    assert_eq!(preview(&app, &ada, HEADER).await["problems"], json!(["Empty"]));
    assert_eq!(footprint(&app).await, before, "neither the previews nor the refused import wrote anything");
    app.finish().await;
}

async fn an_import_creates_every_row_audits_it_and_mails_the_invitations(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let helpdesk = helpdesk_role(&app, &ada).await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    let csv = format!(
        "{HEADER}\
         Ann,Lee,ann,ann@example.com,Helpdesk|User manager,,\n\
         Élodie,Durand,elodie,elodie@example.fr,,fr,\n\
         Bob,Stone,bob,bob@example.com,Auditeur,en,{PASSWORD}\n"
    );
    assert_eq!(preview(&app, &ada, &csv).await["rows"].as_array().unwrap().iter().map(|r| r["errors"].clone()).collect::<Vec<_>>(), [json!([]), json!([]), json!([])]);
    let answer = import(&app, &ada, &csv).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(answer.body, json!({ "Imported": { "created": 3, "invited": 2, "with_password": 1 } }));
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before + 3);
    let account: i64 = app.count("SELECT account_id FROM users WHERE login_name = 'ada'").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE account_id = {account} AND login_name IN ('ann', 'elodie', 'bob')")).await, 3);

    // Roles by name; none named gives Member.
    let roles_of = |login: &'static str| {
        let app = &app;
        async move {
            let mut roles: Vec<i64> = sqlx::query_scalar("SELECT role_id FROM user_roles WHERE user_id = (SELECT id FROM users WHERE login_name = $1) ORDER BY role_id")
                .bind(login)
                .fetch_all(&app.state.db.pool)
                .await
                .unwrap();
            roles.sort();
            roles
        }
    };
    let mut ann = vec![helpdesk, role_id(&app, "user_manager").await];
    ann.sort();
    assert_eq!(roles_of("ann").await, ann);
    assert_eq!(roles_of("elodie").await, [role_id(&app, "member").await]);
    assert_eq!(roles_of("bob").await, [role_id(&app, "auditor").await]);
    // The account's language when the file gives none; the file's otherwise.
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'ann' AND locale = 'en'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name = 'elodie' AND locale = 'fr'").await, 1);

    // Each creation audited as the add-user form does, marked as imported.
    let events: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'user.created' ORDER BY id")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    let details: Vec<Value> = events.iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(details.iter().map(|d| d["delivery"].as_str().unwrap()).collect::<Vec<_>>(), ["invitation", "invitation", "password"]);
    assert!(details.iter().all(|d| d["import"] == true));

    // Invitations mailed in the invitee's language, with a working link.
    let mail = app.mail_containing("ann@example.com", "invitation?token=").await;
    assert!(mail.contains("invites you to join ada corp"), "{mail}");
    let french = app.mail_containing("elodie@example.fr", "invitation?token=").await;
    assert!(french.contains("vous invite à rejoindre ada corp"), "{french}");
    let shown = app.call_as(&new_client(), "invitation/show", &[("token", &common::token_in(&mail))]).await;
    assert_eq!(shown.body["login_name"], "ann", "{shown:?}");

    // The initial password works once and must be changed first (F1).
    let bob = new_client();
    let login = app.call_as(&bob, "auth/login", &[("identifier", "bob"), ("password", PASSWORD)]).await;
    assert_eq!(login.body["must_change_password"], true, "{login:?}");
    app.finish().await;
}

async fn a_row_made_invalid_after_the_preview_stops_the_whole_import(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let csv = format!("{HEADER}Ann,Lee,ann,ann@example.com,,,\nBob,Ray,bob,bob@example.com,,,\nCy,Po,cyd,cyd@example.com,,,\n");
    let report = preview(&app, &ada, &csv).await;
    assert!(report["rows"].as_array().unwrap().iter().all(|r| r["errors"] == json!([])), "{report}");
    // Meanwhile someone adds bob@example.com by hand.
    let answer = app.call_json(&ada, "users/create", json!({ "form": form("robert", "bob@example.com", &[], PASSWORD), "delivery": "Password" })).await;
    assert!(answer.is_ok(), "{answer:?}");
    let before = footprint(&app).await;
    let refused = import(&app, &ada, &csv).await;
    assert!(refused.is_ok(), "{refused:?}");
    assert_eq!(problems(&refused.body["Refused"], 3), [(json!("Email"), json!({ "Invalid": "EmailTaken" }))]);
    assert_eq!(footprint(&app).await, before, "nothing of the file was written");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE login_name IN ('ann', 'bob', 'cyd')").await, 0);
    app.finish().await;
}

async fn only_those_who_manage_users_may_import_and_only_roles_they_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    create(&app, &ada, "memo", &[role_id(&app, "member").await]).await;
    create(&app, &ada, "audrey", &[role_id(&app, "auditor").await]).await;
    create(&app, &ada, "uma", &[role_id(&app, "user_manager").await]).await;
    let csv = format!("{HEADER}Ann,Lee,ann,ann@example.com,,,\n");
    let callers = [
        ("anonymous", new_client(), StatusCode::UNAUTHORIZED, "Unauthenticated"),
        ("a member", signed_in(&app, "memo").await, StatusCode::FORBIDDEN, "Forbidden"),
        ("an auditor", signed_in(&app, "audrey").await, StatusCode::FORBIDDEN, "Forbidden"),
    ];
    let before = footprint(&app).await;
    for (who, client, status, kind) in callers {
        for endpoint in ["users/import/preview", "users/import/commit"] {
            let answer = app.call_json(&client, endpoint, json!({ "csv": csv })).await;
            assert_eq!((answer.status, answer.body.clone()), (status, json!(kind)), "{endpoint} by {who}");
        }
        let template = app.get_as(&client, "/users/import/template.csv").await;
        assert_eq!(template.status, status, "the template for {who}");
    }
    assert_eq!(footprint(&app).await, before);

    // A user manager imports, but grants no role carrying what they lack (F5).
    let uma = signed_in(&app, "uma").await;
    let template = uma.get(format!("{}/users/import/template.csv", app.url)).send().await.unwrap();
    assert_eq!(template.headers()["content-type"], "text/csv; charset=utf-8");
    let template = template.text().await.unwrap();
    assert!(template.starts_with("first_name,last_name,login_name,email,roles,language,password\r\n"), "{template}");
    let escalate = preview(&app, &uma, &format!("{HEADER}Ann,Lee,ann,ann@example.com,Administrator|Member,,\n")).await;
    assert_eq!(problems(&escalate, 2), [(json!("Roles"), json!({ "NotGrantable": "Administrator" }))]);
    let done = import(&app, &uma, &format!("{HEADER}Ann,Lee,ann,ann@example.com,User manager,,\n")).await;
    assert_eq!(done.body, json!({ "Imported": { "created": 1, "invited": 1, "with_password": 0 } }), "{done:?}");
    app.finish().await;
}

async fn two_identical_imports_at_once_create_the_users_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let ada = app.admin("ada").await;
    let mut csv = HEADER.to_owned();
    for n in 0..40 {
        csv.push_str(&format!("Twin,Number{n},twin{n},twin{n}@example.com,,,\n"));
    }
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let mails_before = app.count("SELECT COUNT(*) FROM outbox").await;
    let calls = (0..2).map(|_| {
        let (app, ada, csv) = (&app, &ada, &csv);
        async move { import(app, ada, csv).await }
    });
    let answers = futures::future::join_all(calls).await;
    let imported = answers.iter().filter(|a| a.is_ok() && a.body.get("Imported").is_some()).count();
    assert_eq!(imported, 1, "{answers:?}");
    // The other one is refused with the rows now taken (its login or its e-mail, whichever
    // the second look reaches first), or by the unique constraint itself.
    let other = answers.iter().find(|a| !(a.is_ok() && a.body.get("Imported").is_some())).unwrap();
    let errors = other.body["Refused"]["rows"][0]["errors"].to_string();
    let refused = other.is_ok() && (errors.contains("EmailTaken") || errors.contains("LoginNameTaken"));
    assert!(refused || other.status == StatusCode::CONFLICT, "{other:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before + 40);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, mails_before + 40);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.created'").await, 40);
    app.finish().await;
}

async fn invitations_count_against_the_hourly_limit_and_large_files_get_through(backend: Backend) {
    let app = spawn_app_with(backend, test_config()).await;
    let ada = app.admin("ada").await;
    // 3,000 rows: far over the 64 KiB other requests may send, well under the import's limit.
    let mut csv = HEADER.to_owned();
    for n in 0..3000 {
        csv.push_str(&format!("Person,Number{n},person{n},person.number{n}@example.com,,,\n"));
    }
    assert!(csv.len() > 64 * 1024);
    let before = footprint(&app).await;
    let report = preview(&app, &ada, &csv).await;
    assert_eq!(report["rows"].as_array().unwrap().len(), 3000);
    assert_eq!(report["problems"], json!([{ "InvitationQuota": { "needed": 3000, "remaining": 100, "limit": 100 } }]));
    assert!(import(&app, &ada, &csv).await.body["Refused"].is_object());
    assert_eq!(footprint(&app).await, before);
    // Within the limit the file goes in, and uses its share of it.
    let small: String = csv.lines().take(61).map(|l| format!("{l}\n")).collect();
    let done = import(&app, &ada, &small).await;
    assert_eq!(done.body["Imported"]["invited"], 60, "{done:?}");
    let next: String = std::iter::once(HEADER.to_owned()).chain(csv.lines().skip(61).take(41).map(|l| format!("{l}\n"))).collect();
    assert_eq!(preview(&app, &ada, &next).await["problems"], json!([{ "InvitationQuota": { "needed": 41, "remaining": 40, "limit": 100 } }]));
    app.finish().await;
}
