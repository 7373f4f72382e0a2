//! F4's users list: filters (substring, case-insensitive, literal), scoping, sort, paging,
//! and who may read it — on SQLite and PostgreSQL.

use crate::common;

use app::{
    domain::{AccountId, Password},
    ssr::services::users::list::{Plan, page_statement, plan},
    users::{PageAt, SortColumn, SortKey, UserFilter, UserQuery, UserRow, UserStatus},
};
use sqlx::Row;
use common::{Backend, PASSWORD, TestApp, new_client, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    filters_match_substrings_case_insensitively_and_literally,
    the_list_only_ever_shows_the_actors_account,
    sorting_and_paging_report_the_total,
    the_status_filter_tells_locked_invited_and_active_apart,
    only_holders_of_users_view_may_list,
    the_role_filter_finds_the_holders_of_a_role,
    a_role_counts_its_holders_in_this_account_alone_as_they_come_and_go,
    every_sort_is_walked_page_by_page_both_ways,
    a_cursor_holds_its_place_when_rows_come_and_go,
    a_cursor_from_a_url_is_checked,
    walking_and_collecting_find_the_same_rows,
);

/// Jane registers and creates "Acme"; returns the account id.
async fn admin_with_account(app: &TestApp) -> i64 {
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    sqlx::query_scalar("SELECT account_id FROM users WHERE login_name = 'jane'").fetch_one(&app.state.db.pool).await.unwrap()
}

/// Adds a user straight into the database, with PASSWORD and the built-in role `role`.
async fn add_user(app: &TestApp, account: Option<i64>, first: &str, last: &str, login: &str, role: &str) {
    let hash = app.state.hasher.hash(Password::generated(PASSWORD.into())).await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
    )
    .bind(account)
    .bind(first)
    .bind(last)
    .bind(login)
    .bind(format!("{login}@example.com"))
    .bind(hash)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE builtin_key = $2")
        .bind(id)
        .bind(role)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn list(app: &TestApp, args: &[(&str, &str)]) -> Value {
    let answer = app.call("users/list", args).await;
    assert!(answer.is_ok(), "{answer:?}");
    answer.body
}

fn logins(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["login_name"].as_str().unwrap().to_owned()).collect()
}

async fn filters_match_substrings_case_insensitively_and_literally(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for (first, last, login) in [
        ("Zoë", "Müller", "zoe"),
        ("Percent", "100% Pure", "percent"),
        ("Under", "a_b", "under"),
        ("Under", "axb", "underx"),
        ("Quote", "O'Brien \"Bob\"", "quote"),
        ("Syntax", "NEAR(x y) AND *", "syntax"),
    ] {
        add_user(&app, Some(acme), first, last, login, "member").await;
    }
    let by = |column: &'static str, term: &'static str| [(column, term)];
    let cases: [(&str, &str, Vec<&str>); 9] = [
        ("query[filter][last_name]", "MÜLL", vec!["zoe"]),
        ("query[filter][first_name]", "zo", vec!["zoe"]),
        ("query[filter][last_name]", "0% p", vec!["percent"]),
        ("query[filter][last_name]", "a_b", vec!["under"]),
        ("query[filter][last_name]", "_", vec!["under"]),
        ("query[filter][last_name]", "o'brien \"b", vec!["quote"]),
        ("query[filter][last_name]", "NEAR(x", vec!["syntax"]),
        ("query[filter][last_name]", "AND *", vec!["syntax"]),
        ("query[filter][email]", "ENT@EXAMPLE", vec!["percent"]),
    ];
    for (column, term, expected) in cases {
        let page = list(&app, &by(column, term)).await;
        assert_eq!(logins(&page), expected, "{column} = {term:?}");
        assert_eq!(page["total"], json!({ "exactly": expected.len() }));
    }
    let both = list(&app, &[("query[filter][first_name]", "under"), ("query[filter][last_name]", "xb")]).await;
    assert_eq!(logins(&both), ["underx"]);
    app.finish().await;
}

async fn the_list_only_ever_shows_the_actors_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Max", "Moe", "max", "member").await;
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ('Other', 'PT-OTHR-0001', 'AK-X', 0) RETURNING id",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    add_user(&app, Some(other), "Max", "Moe", "max-other", "administrator").await;
    add_user(&app, None, "Max", "Moe", "max-nobody", "member").await;

    let page = list(&app, &[("query[filter][first_name]", "max")]).await;
    assert_eq!(logins(&page), ["max"]);
    let everyone = list(&app, &[]).await;
    assert_eq!(everyone["total"], json!({ "exactly": 2 }), "the kept count of its own account only");
    app.finish().await;
}

async fn sorting_and_paging_report_the_total(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for n in 0..30 {
        add_user(&app, Some(acme), "Bulk", &format!("Name{n:02}"), &format!("bulk{n:02}"), "member").await;
    }
    let first = list(&app, &[("query[filter][first_name]", "bulk")]).await;
    assert_eq!(first["total"], json!({ "exactly": 30 }));
    assert_eq!(logins(&first).len(), 25);
    assert_eq!(logins(&first)[0], "bulk00");
    assert_eq!((first["has_previous"].clone(), first["has_next"].clone()), (json!(false), json!(true)));
    let second = list(&app, &[("query[filter][first_name]", "bulk"), ("query[at][after][value]", "Name24"), ("query[at][after][id]", &id_of(&first, 24))]).await;
    assert_eq!(logins(&second), ["bulk25", "bulk26", "bulk27", "bulk28", "bulk29"]);
    assert_eq!((second["has_previous"].clone(), second["has_next"].clone()), (json!(true), json!(false)));
    let last = list(&app, &[("query[filter][first_name]", "bulk"), ("query[at]", "last")]).await;
    assert_eq!(logins(&last), logins(&second), "the last page holds what is left after full pages");
    let descending = list(&app, &[("query[filter][first_name]", "bulk"), ("query[sort]", "LoginName"), ("query[descending]", "true")]).await;
    assert_eq!(logins(&descending)[0], "bulk29");
    let jane = list(&app, &[("query[filter][login_name]", "jane")]).await;
    assert_eq!(jane["rows"][0]["roles"][0]["builtin_key"], "administrator");
    assert_eq!(jane["rows"][0]["is_primary_admin"], true);
    app.finish().await;
}

async fn the_status_filter_tells_locked_invited_and_active_apart(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Lou", "Locked", "lou", "member").await;
    add_user(&app, Some(acme), "Ivy", "Invited", "ivy", "member").await;
    app.execute("UPDATE users SET locked_at = 1 WHERE login_name = 'lou'").await;
    app.execute("UPDATE users SET password_hash = NULL WHERE login_name = 'ivy'").await;
    for (status, expected) in [("Locked", vec!["lou"]), ("Invited", vec!["ivy"]), ("Active", vec!["jane"])] {
        let page = list(&app, &[("query[filter][status]", status)]).await;
        assert_eq!(logins(&page), expected, "{status}");
        assert_eq!(page["rows"][0]["status"], status);
        assert_eq!(page["total"], json!({ "exactly": 1 }), "{status}: the kept count");
    }
    app.finish().await;
}

async fn only_holders_of_users_view_may_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Mia", "Member", "mia", "member").await;
    add_user(&app, Some(acme), "Ada", "Auditor", "ada", "auditor").await;

    let anonymous = app.call_as(&new_client(), "users/list", &[]).await;
    assert_eq!((anonymous.status, anonymous.body), (StatusCode::UNAUTHORIZED, json!("Unauthenticated")));

    let member = new_client();
    assert!(app.call_as(&member, "auth/login", &[("identifier", "mia"), ("password", PASSWORD)]).await.is_ok());
    let refused = app.call_as(&member, "users/list", &[]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::FORBIDDEN, json!("Forbidden")));

    let auditor = new_client();
    assert!(app.call_as(&auditor, "auth/login", &[("identifier", "ada"), ("password", PASSWORD)]).await.is_ok());
    assert_eq!(app.call_as(&auditor, "users/list", &[]).await.status, StatusCode::OK);
    app.finish().await;
}

async fn the_role_filter_finds_the_holders_of_a_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    add_user(&app, Some(acme), "Aud", "Itor", "auditor1", "auditor").await;
    add_user(&app, Some(acme), "Mem", "Ber", "member1", "member").await;
    let auditor: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'auditor'").fetch_one(&app.state.db.pool).await.unwrap();
    let page = list(&app, &[("query[filter][role]", &auditor.to_string())]).await;
    assert_eq!((logins(&page), page["total"].clone()), (vec!["auditor1".to_owned()], json!({ "exactly": 1 })));
    let nobody = list(&app, &[("query[filter][role]", "999999")]).await;
    assert_eq!(nobody["total"], json!({ "exactly": 0 }));
    // Counted from the trigram index (three letters and more) with the role tested per match.
    for (term, expected) in [("aud", 1), ("mem", 0), ("au", 1)] {
        let both = list(&app, &[("query[filter][role]", &auditor.to_string()), ("query[filter][first_name]", term)]).await;
        assert_eq!(both["total"], json!({ "exactly": expected }), "{term}");
    }
    app.finish().await;
}

async fn a_role_counts_its_holders_in_this_account_alone_as_they_come_and_go(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, partner_id, account_key, created_at) VALUES ('Other', 'PT-9999-9999', 'key-other', 0) RETURNING id",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    for n in 0..3 {
        add_user(&app, Some(acme), "Uma", "Nager", &format!("um{n}"), "user_manager").await;
    }
    for n in 0..2 {
        add_user(&app, Some(other), "Oth", "Er", &format!("ot{n}"), "user_manager").await;
    }
    let manager: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'user_manager'").fetch_one(&app.state.db.pool).await.unwrap();
    let holders = || async { list(&app, &[("query[filter][role]", &manager.to_string())]).await["total"].clone() };
    assert_eq!(holders().await, json!({ "exactly": 3 }), "the built-in role's holders elsewhere are not counted");

    app.execute(&format!("UPDATE users SET account_id = {acme} WHERE login_name = 'ot0'")).await;
    assert_eq!(holders().await, json!({ "exactly": 4 }), "a holder who moved in");
    app.execute("DELETE FROM users WHERE login_name = 'um0'").await;
    assert_eq!(holders().await, json!({ "exactly": 3 }), "a deleted holder");
    let page = list(&app, &[("query[filter][role]", &manager.to_string())]).await;
    assert_eq!(logins(&page), ["ot0", "um1", "um2"]);
    // Deleting the other account leaves its user, and the grant, without one.
    app.execute(&format!("DELETE FROM accounts WHERE id = {other}")).await;
    let unplaced = app.count("SELECT COUNT(*) FROM user_roles WHERE account_id IS NULL").await;
    assert_eq!(unplaced, 1, "ot1's grant follows its user out of the deleted account");
    app.finish().await;
}

fn id_of(page: &Value, row: usize) -> String {
    page["rows"][row]["id"].as_i64().unwrap().to_string()
}

/// The row's cursor in `sort`'s order, made as the pager makes it.
fn sort_key(row: &Value, sort: &str) -> SortKey {
    let row: UserRow = serde_json::from_value(row.clone()).unwrap();
    let sort: SortColumn = serde_json::from_value(json!(sort)).unwrap();
    sort.key_of(&row)
}

/// One page of the whole account in `sort`'s order: from `at` ("first", "last", or "after" /
/// "before" the row `next_to`).
async fn page_at(app: &TestApp, sort: &str, descending: bool, at: &str, next_to: Option<&Value>) -> Value {
    let direction = descending.to_string();
    let mut args = vec![("query[sort]", sort.to_owned()), ("query[descending]", direction)];
    match next_to {
        None => args.push(("query[at]", at.to_owned())),
        Some(row) => {
            let (value, id) = if at == "after" {
                ("query[at][after][value]", "query[at][after][id]")
            } else {
                ("query[at][before][value]", "query[at][before][id]")
            };
            let key = sort_key(row, sort);
            args.push((value, key.value));
            args.push((id, key.id.to_string()));
        }
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    list(app, &args).await
}

/// The account's logins in `sort`'s order, straight from the database (its collation).
async fn sorted_logins(app: &TestApp, sort: &str, descending: bool) -> Vec<String> {
    let column = match sort {
        "FirstName" => "first_name",
        "LastName" => "last_name",
        "LoginName" => "login_name",
        "Email" => "email",
        _ => "COALESCE(last_login_at, 0)",
    };
    let direction = if descending { "DESC" } else { "ASC" };
    sqlx::query_scalar(&format!("SELECT login_name FROM users WHERE account_id IS NOT NULL ORDER BY {column} {direction}, id {direction}"))
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

/// Every page from the first by Next, and from the last by Previous, turned into one list each.
async fn walk(app: &TestApp, sort: &str, descending: bool) -> (Vec<String>, Vec<String>) {
    let mut forward = Vec::new();
    let mut page = page_at(app, sort, descending, "first", None).await;
    loop {
        forward.extend(logins(&page));
        if page["has_next"] == json!(false) {
            break;
        }
        let last = page["rows"].as_array().unwrap().last().unwrap().clone();
        page = page_at(app, sort, descending, "after", Some(&last)).await;
    }
    let mut backward = Vec::new();
    let mut page = page_at(app, sort, descending, "last", None).await;
    loop {
        backward.splice(0..0, logins(&page));
        if page["has_previous"] == json!(false) {
            break;
        }
        let first = page["rows"][0].clone();
        page = page_at(app, sort, descending, "before", Some(&first)).await;
    }
    (forward, backward)
}

async fn every_sort_is_walked_page_by_page_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    // Few distinct values, so pages break inside runs of equal ones; some never signed in.
    for n in 0..60 {
        let first = ["Ann", "bob", "Cy"][n % 3];
        add_user(&app, Some(acme), first, &format!("L{}", n % 7), &format!("u{n:02}"), "member").await;
    }
    app.execute("UPDATE users SET last_login_at = 1000 + id % 5 WHERE id % 4 <> 0").await;
    app.execute("UPDATE users SET last_login_at = NULL WHERE id % 4 = 0").await;
    for sort in ["FirstName", "LastName", "LoginName", "Email", "LastLogin"] {
        for descending in [false, true] {
            let expected = sorted_logins(&app, sort, descending).await;
            assert_eq!(expected.len(), 61);
            let (forward, backward) = walk(&app, sort, descending).await;
            assert_eq!(forward, expected, "{sort} descending={descending}, by Next");
            assert_eq!(backward, expected, "{sort} descending={descending}, by Previous from the last");
        }
    }
    let last = page_at(&app, "LastLogin", false, "last", None).await;
    assert_eq!(logins(&last).len(), 11, "61 = 2 full pages and 11");
    let never_first = page_at(&app, "LastLogin", false, "first", None).await;
    assert_eq!(never_first["rows"][0]["last_login_at"], Value::Null, "never signed in sorts first on both backends");
    app.finish().await;
}

async fn a_cursor_holds_its_place_when_rows_come_and_go(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for n in 0..40 {
        add_user(&app, Some(acme), "Row", &format!("N{n:02}"), &format!("r{n:02}"), "member").await;
    }
    let first = page_at(&app, "LoginName", false, "first", None).await;
    let boundary = first["rows"][24].clone();
    assert_eq!(boundary["login_name"], "r23", "jane sorts before the r… logins");
    // The boundary row itself goes, and a row is added before it: the next page still starts
    // right after where the first one ended.
    app.execute("DELETE FROM users WHERE login_name IN ('r23', 'r30')").await;
    add_user(&app, Some(acme), "Row", "New", "r00a", "member").await;
    let next = page_at(&app, "LoginName", false, "after", Some(&boundary)).await;
    let expected: Vec<String> = (24..40).filter(|n| *n != 30).map(|n| format!("r{n:02}")).collect();
    assert_eq!(logins(&next), expected);
    assert_eq!(next["has_next"], json!(false));
    app.finish().await;
}

async fn a_cursor_from_a_url_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for n in 0..30 {
        add_user(&app, Some(acme), "Row", &format!("N{n:02}"), &format!("r{n:02}"), "member").await;
    }
    // A last-login cursor that is not a number, and one longer than any value: the first page.
    for value in ["yesterday", &"x".repeat(300)] {
        let page = list(&app, &[("query[sort]", "LastLogin"), ("query[at][after][value]", value), ("query[at][after][id]", "5")]).await;
        assert_eq!((page["has_previous"].clone(), logins(&page).len()), (json!(false), 25), "{}", &value[..9.min(value.len())]);
    }
    // SQL in a cursor is a value like any other.
    let page = list(&app, &[("query[at][after][value]", "' OR 1=1 --"), ("query[at][after][id]", "1")]).await;
    assert_eq!(page["total"], json!({ "exactly": 31 }));
    assert!(logins(&page).len() <= 25);
    // An id that is not a number is refused as bad input, not read as the first page.
    let refused = app.call("users/list", &[("query[at][after][value]", "N10"), ("query[at][after][id]", "ten")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    app.finish().await;
}

/// The list's two ways of finding text and role matches on SQLite (the planner picks by how
/// many match) give the same rows in every sort; on PostgreSQL both are the same statement.
async fn walking_and_collecting_find_the_same_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = admin_with_account(&app).await;
    for n in 0..40 {
        // Upper-case non-ASCII letters: SQLite's `lower` leaves them, the trigram index folds them.
        let first = ["Anna", "ANNE", "Müller", "MÜLLER", "Bob"][n % 5];
        let role = if n % 4 == 0 { "auditor" } else { "member" };
        add_user(&app, Some(acme), first, &format!("L{}", n % 3), &format!("u{n:02}"), role).await;
    }
    app.execute("UPDATE users SET locked_at = 1 WHERE login_name IN ('u00', 'u01', 'u02')").await;
    let auditor: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'auditor'").fetch_one(&app.state.db.pool).await.unwrap();
    let sqlite = app.state.db.backend == app::ssr::Backend::Sqlite;
    let text = |first: &str, last: &str| UserFilter { first_name: first.into(), last_name: last.into(), ..Default::default() };
    let filters = [
        (text("ann", ""), 16),
        (text("ANN", "l1"), 5),
        (text("müll", ""), 16),
        (text("an", ""), 17),
        (UserFilter { role: Some(app::domain::RoleId(auditor)), ..Default::default() }, 10),
        (UserFilter { status: Some(UserStatus::Locked), ..text("ann", "") }, 2),
        (UserFilter { role: Some(app::domain::RoleId(auditor)), ..text("bob", "") }, 2),
    ];
    for (filter, expected) in filters {
        for sort in SortColumn::ALL {
            for (descending, at) in [(false, PageAt::First), (true, PageAt::First), (false, PageAt::Last), (true, PageAt::Last)] {
                let query = UserQuery { filter: filter.clone(), sort, descending, at, page: 0 };
                let mut found = Vec::new();
                for plan in [Plan::Collect, Plan::Walk, Plan::Fetch].into_iter().filter(|&plan| plan != Plan::Fetch || !sqlite) {
                    let statement = page_statement(app.state.db.backend, AccountId(acme), &query, plan);
                    let rows = statement.query().fetch_all(&app.state.db.pool).await.unwrap();
                    found.push(rows.iter().map(|row| row.get::<i64, _>("id")).collect::<Vec<_>>());
                }
                assert_eq!(found[0].len(), expected, "{filter:?}");
                for other in &found[1..] {
                    assert_eq!(&found[0], other, "{filter:?} sorted by {sort:?}, descending={descending}");
                }
            }
        }
    }
    // The probe's line for 41 users: 2 × matches² ≥ 25 × 41, so 23 matches and more are walked.
    let member: i64 = sqlx::query_scalar("SELECT id FROM roles WHERE builtin_key = 'member'").fetch_one(&app.state.db.pool).await.unwrap();
    let email = |term: &str| UserFilter { email: term.into(), ..Default::default() };
    let role = |id: i64| UserFilter { role: Some(app::domain::RoleId(id)), ..Default::default() };
    // PostgreSQL plans text itself and is told only about a role: walk it, or fetch its holders.
    let planned = |filter: &UserFilter, frequent: bool| {
        let probed = sqlite || filter.role.is_some();
        match (probed, frequent, sqlite) {
            (false, _, _) => Plan::Collect,
            (true, true, _) => Plan::Walk,
            (true, false, true) => Plan::Collect,
            (true, false, false) => Plan::Fetch,
        }
    };
    for (filter, frequent) in [
        (email("example.com"), true),
        (text("ann", ""), false),
        (role(member), true),
        (role(auditor), false),
        (UserFilter { role: Some(app::domain::RoleId(member)), ..email("example.com") }, true),
        (UserFilter { role: Some(app::domain::RoleId(auditor)), ..email("example.com") }, false),
    ] {
        assert_eq!(plan(&app.state, AccountId(acme), &filter).await.unwrap(), planned(&filter, frequent), "{filter:?}");
    }
    app.finish().await;
}
