//! The users of the actor's account (F4): one page of them, filtered and sorted. Every
//! statement is scoped to that account in SQL.

use crate::{
    domain::{AccountId, BuiltInRole, RoleId, UserId},
    error::AppError,
    ssr::{AppState, Backend, guard::Request, sql::{Arg, Conditions, Sql, contains_pattern}},
    users::{COUNT_CAP, MatchCount, PAGE_SIZE, PageAt, RoleLabel, SortColumn, UserFilter, UserPage, UserQuery, UserRow, UserStatus},
};
use super::counts::{self, UserCounts};
use std::collections::HashMap;

/// How a statement finds the rows that match text and role terms. PostgreSQL's own planner
/// chooses for text, from its statistics; a role it is told (`Walk` or `Fetch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The trigram and role indexes list the matches, which are then sorted: rare terms.
    Collect,
    /// The sort order's index is walked and each row tested until a page is full: frequent
    /// terms, where collecting would hand over most of the account to sort.
    Walk,
    /// The statement reads the trigram index itself and joins each match's user (counting:
    /// it streams, so counting stops at the cap).
    FromText,
    /// The same from the role's holders, for a role without indexed text.
    FromRole,
    /// PostgreSQL, a role with few holders: their users are fetched by id, then sorted. Its
    /// planner would otherwise walk the sort order's index whenever its costs, which assume
    /// holders spread evenly, say a page is near: 100,000 users with 1,000 holders walked 4,494
    /// rows for 26 (12 ms; fetching its holders takes 3).
    Fetch,
}

/// The filter's text terms, lower-cased, by column.
fn text_terms(filter: &UserFilter) -> Vec<(&'static str, String)> {
    [
        ("first_name", &filter.first_name),
        ("last_name", &filter.last_name),
        ("login_name", &filter.login_name),
        ("email", &filter.email),
    ]
    .into_iter()
    .filter(|(_, term)| !term.is_empty())
    .map(|(column, term)| (column, term.to_lowercase()))
    .collect()
}

/// Trigrams index terms of three characters and more.
fn indexed(term: &str) -> bool {
    term.chars().count() >= 3
}

/// One FTS5 query for the indexed ones of `terms` (SQLite), each quoted as a phrase (so `%`,
/// `_`, quotes and FTS syntax are literal); None when no term is indexed.
fn index_query(terms: &[(&str, String)]) -> Option<String> {
    let phrases: Vec<String> = terms
        .iter()
        .filter(|(_, term)| indexed(term))
        .map(|(column, term)| format!("{column} : \"{}\"", term.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// PostgreSQL: text terms as conditions over `users_search s`, the lower-cased copy of each
/// user's filterable columns (migration 0015) that its trigram indexes serve: `LIKE` with `%`,
/// `_` and `\` literal. None without a term.
fn copy_conditions(account: AccountId, terms: &[(&str, String)]) -> Option<Conditions> {
    if terms.is_empty() {
        return None;
    }
    let mut copy = Conditions::default();
    copy.add_bind("s.account_id = ", account, "");
    for (column, term) in terms {
        copy.add_bind(&format!("s.{column} LIKE "), contains_pattern(term), " ESCAPE '\\'");
    }
    Some(copy)
}

/// Filter terms as conditions. SQLite: the trigram index (FTS5) for terms of three characters
/// and more, as `plan` says; a row test (`instr`) for shorter ones, and for ASCII terms on a
/// walk (SQLite's `lower` folds ASCII only, the index all of Unicode: other terms stay with the
/// index). PostgreSQL: the matching users of the lower-cased copy, where its planner chooses
/// between the copy's trigram indexes and walking the sort order while looking each row up.
fn search_conditions(backend: Backend, account: AccountId, filter: &UserFilter, plan: Plan, conditions: &mut Conditions) {
    let terms = text_terms(filter);
    match backend {
        Backend::Sqlite => {
            let tested_per_row = |term: &str| !indexed(term) || (plan == Plan::Walk && term.is_ascii());
            let (tested, looked_up): (Vec<_>, Vec<_>) = terms.into_iter().partition(|(_, term)| tested_per_row(term));
            for (column, term) in tested {
                conditions.add_bind(&format!("instr(lower(u.{column}), "), term, ") > 0");
            }
            match (index_query(&looked_up), plan) {
                (None, _) => {}
                (Some(query), Plan::FromText) => {
                    conditions.add_bind("users_search MATCH ", query, "");
                }
                (Some(query), _) => {
                    conditions.add_bind("u.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ", query, ")");
                }
            }
        }
        Backend::Postgres => {
            if let Some(copy) = copy_conditions(account, &terms) {
                conditions.add_around("u.id IN (SELECT s.user_id FROM users_search s WHERE ", &copy, ")");
            }
        }
    }
}

/// SQL over `u`: the user has `status` (the statuses partition the users; the kept counts'
/// triggers in migration 0011 classify alike).
pub(super) fn status_condition(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Locked => "u.locked_at IS NOT NULL",
        UserStatus::Invited => "u.locked_at IS NULL AND u.password_hash IS NULL",
        UserStatus::MustChangePassword => {
            "u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 1"
        }
        UserStatus::Active => {
            "u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 0"
        }
    }
}

/// The sort as SQL over `u`. Never signed in counts as 0, so it sorts first on both backends
/// and every key has a value (migration 0012 indexes the expression).
fn sort_expression(sort: SortColumn) -> &'static str {
    match sort {
        SortColumn::FirstName => "u.first_name",
        SortColumn::LastName => "u.last_name",
        SortColumn::LoginName => "u.login_name",
        SortColumn::Email => "u.email",
        SortColumn::LastLogin => "COALESCE(u.last_login_at, 0)",
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    first_name: String,
    last_name: String,
    login_name: String,
    email: String,
    locked: i64,
    invited: i64,
    must_change_password: i64,
    is_primary_admin: i64,
    last_login_at: Option<i64>,
    has_factor: i64,
}

/// The users of `account` matching `filter`, as conditions over `users u`.
pub fn matching(backend: Backend, account: AccountId, filter: &UserFilter) -> Conditions {
    planned(backend, account, filter, Plan::Collect)
}

fn planned(backend: Backend, account: AccountId, filter: &UserFilter, plan: Plan) -> Conditions {
    let mut conditions = Conditions::default();
    conditions.add_bind("u.account_id = ", account, "");
    search_conditions(backend, account, filter, plan, &mut conditions);
    if let Some(role) = filter.role {
        match plan {
            Plan::FromRole => conditions.add_bind("ur.role_id = ", role, "").add_bind("ur.account_id = ", account, ""),
            Plan::Walk => conditions.add_bind("EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role_id = ", role, ")"),
            // An array of ids is looked up in the primary key; it cannot be walked to.
            Plan::Fetch => conditions.add_binds(
                ["u.id = ANY (ARRAY(SELECT ur.user_id FROM user_roles ur WHERE ur.role_id = ", " AND ur.account_id = ", "))"],
                vec![role.into(), account.into()],
            ),
            // The role's holders in this account, from the index alone (migration 0013).
            _ => conditions.add_binds(
                ["u.id IN (SELECT ur.user_id FROM user_roles ur WHERE ur.role_id = ", " AND ur.account_id = ", ")"],
                vec![role.into(), account.into()],
            ),
        };
    }
    if let Some(status) = filter.status {
        conditions.add(status_condition(status));
    }
    if let Some(with) = filter.second_factor {
        let exists = crate::ssr::services::second_factor::HAS_FACTOR;
        conditions.add(&if with { exists.to_owned() } else { format!("NOT {exists}") });
    }
    conditions
}

/// How many users match the query's filter, counting no further than one past `COUNT_CAP`.
/// On SQLite text terms, or else a role, are counted from their index outwards, which stops at
/// the cap; an `IN` list would first collect every match.
pub fn count_statement(backend: Backend, account: AccountId, query: &UserQuery) -> Sql {
    // A role alone: its holders in the account, counted in the role's index (migration 0013).
    if let Some(role) = query.filter.role.filter(|&role| query.filter == UserFilter { role: Some(role), ..Default::default() }) {
        return holders_counted(role, account, COUNT_CAP + 1);
    }
    let terms = text_terms(&query.filter);
    // PostgreSQL, text alone: counted in the narrow lower-cased copy, without a user's row.
    let text_alone = matches!(query.filter, UserFilter { role: None, status: None, second_factor: None, .. });
    if backend == Backend::Postgres && text_alone {
        if let Some(copy) = copy_conditions(account, &terms) {
            return counted_up_to(COUNT_CAP + 1, |sql| {
                sql.push("users_search s WHERE ").push_conditions(&copy);
            });
        }
    }
    let text = index_query(&terms).is_some();
    let (from, plan) = match (backend, text, query.filter.role) {
        (Backend::Sqlite, true, _) => ("users_search CROSS JOIN users u ON u.id = users_search.rowid", Plan::FromText),
        (Backend::Sqlite, false, Some(_)) => ("user_roles ur CROSS JOIN users u ON u.id = ur.user_id", Plan::FromRole),
        _ => ("users u", Plan::Collect),
    };
    counted_up_to(COUNT_CAP + 1, |sql| {
        sql.push(&format!("{from} WHERE ")).push_conditions(&planned(backend, account, &query.filter, plan));
    })
}

/// `SELECT COUNT(*)` of the rows `from_where` writes (a FROM clause and its conditions), reading
/// no more than `limit` of them; planned for its values, as its page is.
fn counted_up_to(limit: i64, from_where: impl FnOnce(&mut Sql)) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM ");
    from_where(&mut sql);
    sql.push(" LIMIT ").push_bind(limit).push(") AS counted");
    sql.planned_for_its_values()
}

/// The holders of `role` in `account`, counted in the role's index up to `limit`.
fn holders_counted(role: RoleId, account: AccountId, limit: i64) -> Sql {
    counted_up_to(limit, |sql| {
        sql.push("user_roles ur WHERE ur.role_id = ").push_bind(role).push(" AND ur.account_id = ").push_bind(account);
    })
}

/// Collect or walk? A walk meets a page after about `PAGE_SIZE × users / matches` rows;
/// collecting sorts every match, at about twice the cost of a walked row (both timed with the
/// sqlite3 shell at a million users). So walk once 2 × matches² ≥ PAGE_SIZE × users. A bounded
/// probe of the trigram and role indexes tells which side of that line the filter's terms are:
/// it reads no further than the line. Status and factor tests are a column read and play no
/// part. On PostgreSQL only a role is probed (`Fetch` below the line); text is its planner's.
pub async fn plan(state: &AppState, account: AccountId, filter: &UserFilter) -> Result<Plan, AppError> {
    let sqlite = state.db.backend == Backend::Sqlite;
    let text = index_query(&text_terms(filter)).filter(|_| sqlite);
    if text.is_none() && filter.role.is_none() {
        return Ok(Plan::Collect);
    }
    let users = counts::of(&state.db.pool, account).await?.total();
    let line = ((PAGE_SIZE * users) as f64 / 2.0).sqrt().ceil() as i64;
    let probes = [
        text.map(|text| counted_up_to(line, |sql| {
            sql.push("users_search WHERE users_search MATCH ").push_bind(text);
        })),
        filter.role.map(|role| holders_counted(role, account, line)),
    ];
    // Every term must be frequent for the walk to meet its matches often.
    for probe in probes.into_iter().flatten() {
        let found: i64 = probe.query_scalar().fetch_one(&state.db.pool).await?;
        if found < line {
            return Ok(if sqlite { Plan::Collect } else { Plan::Fetch });
        }
    }
    Ok(Plan::Walk)
}

/// The kept count that answers a filter without reading a user, if one does: the whole
/// account, one status, or with or without a second factor. None when text or a role filters.
fn kept_count_for(filter: &UserFilter) -> Option<impl Fn(&UserCounts) -> i64> {
    let UserFilter { first_name, last_name, login_name, email, role, status, second_factor } = filter;
    let text = [first_name, last_name, login_name, email].iter().any(|term| !term.is_empty());
    if text || role.is_some() || (status.is_some() && second_factor.is_some()) {
        return None;
    }
    let (status, second_factor) = (*status, *second_factor);
    Some(move |counts: &UserCounts| match (status, second_factor) {
        (Some(status), _) => counts.of_status(status),
        (None, Some(true)) => counts.with_second_factor,
        (None, Some(false)) => counts.total() - counts.with_second_factor,
        (None, None) => counts.total(),
    })
}

/// Exact from the kept counts where they answer, else counted up to the cap.
async fn total(state: &AppState, account: AccountId, query: &UserQuery) -> Result<MatchCount, AppError> {
    if let Some(kept_count) = kept_count_for(&query.filter) {
        return Ok(MatchCount::Exactly(kept_count(&counts::of(&state.db.pool, account).await?)));
    }
    let counted: i64 = count_statement(state.db.backend, account, query).query_scalar().fetch_one(&state.db.pool).await?;
    Ok(if counted > COUNT_CAP { MatchCount::MoreThan(COUNT_CAP) } else { MatchCount::Exactly(counted) })
}

/// The query's page of users, sorted with ties broken by id, plus one row past it that tells
/// whether more follow. Found from its cursor by a range on (sort value, id), which the
/// account's index for that sort serves: no OFFSET, page 20,000 costs what page 1 does. Pages
/// before a cursor, and the last page, are read backwards, nearest first. Planned for its
/// values: how best to find a term's matches depends on the term.
pub fn page_statement(backend: Backend, account: AccountId, query: &UserQuery, plan: Plan) -> Sql {
    let forward = matches!(query.at, PageAt::First | PageAt::After(_));
    let ascending = forward != query.descending;
    let (direction, beyond) = if ascending { ("ASC", ">") } else { ("DESC", "<") };
    let column = sort_expression(query.sort);
    let mut sql = Sql::new(&format!(
        "SELECT u.id, u.first_name, u.last_name, u.login_name, u.email,
                CASE WHEN u.locked_at IS NULL THEN 0 ELSE 1 END AS locked,
                CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END AS invited,
                u.must_change_password, u.is_primary_admin, u.last_login_at,
                CAST(CASE WHEN {has_factor} THEN 1 ELSE 0 END AS BIGINT) AS has_factor
         FROM users u WHERE ",
        has_factor = crate::ssr::services::second_factor::HAS_FACTOR,
    ));
    sql.push_conditions(&planned(backend, account, &query.filter, plan));
    if let PageAt::After(key) | PageAt::Before(key) = &query.at {
        let value = || -> Arg {
            match query.sort {
                SortColumn::LastLogin => key.value.parse::<i64>().unwrap_or(0).into(),
                _ => key.value.clone().into(),
            }
        };
        match backend {
            // PostgreSQL seeks its index to the row value itself.
            Backend::Postgres => {
                sql.push(&format!(" AND ({column}, u.id) {beyond} (")).push_bind(value()).push(", ").push_bind(key.id).push(")");
            }
            // SQLite seeks only a plain column by a row value, not the last-login expression:
            // the range on the value seeks, the id breaks ties within it.
            Backend::Sqlite => {
                sql.push(&format!(" AND {column} {beyond}= ")).push_bind(value());
                sql.push(&format!(" AND ({column} {beyond} ")).push_bind(value()).push(&format!(" OR u.id {beyond} ")).push_bind(key.id).push(")");
            }
        }
    }
    sql.push(&format!(" ORDER BY {column} {direction}, u.id {direction} LIMIT ")).push_bind(PAGE_SIZE + 1);
    sql.planned_for_its_values()
}

/// How many rows the last page holds: what is left over after full pages, when the total is
/// known; otherwise a full page.
fn last_page_rows(total: MatchCount) -> i64 {
    match total {
        MatchCount::Exactly(n) if n > 0 => (n - 1) % PAGE_SIZE + 1,
        _ => PAGE_SIZE,
    }
}

#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn page(req: &Request, query: &UserQuery) -> Result<UserPage, AppError> {
    let Request { state, actor, .. } = req;
    let Some(account) = actor.account_id() else { return Err(AppError::Forbidden) };
    let plan = plan(state, account, &query.filter).await?;
    // The count and the page read apart, at once (SQLite's WAL lets readers run side by side).
    let statement = page_statement(state.db.backend, account, query, plan);
    let (total, mut rows) = tokio::try_join!(total(state, account, query), async {
        statement.query_as::<Row>().fetch_all(&state.db.pool).await.map_err(AppError::from)
    })?;
    // The last page holds what is left after full pages; read backwards, that is its nearest rows.
    let wanted = if query.at == PageAt::Last { last_page_rows(total) } else { PAGE_SIZE };
    let more = rows.len() as i64 > wanted;
    rows.truncate(wanted as usize);
    let (has_previous, has_next) = match query.at {
        PageAt::First => (false, more),
        PageAt::After(_) => (true, more),
        PageAt::Before(_) => (more, true),
        PageAt::Last => (more, false),
    };
    if matches!(query.at, PageAt::Before(_) | PageAt::Last) {
        rows.reverse();
    }
    let mut roles = roles_of(state, &rows).await?;
    let rows = rows
        .into_iter()
        .map(|row| UserRow {
            id: UserId(row.id),
            roles: roles.remove(&row.id).unwrap_or_default(),
            status: match (row.locked, row.invited, row.must_change_password) {
                (1, _, _) => UserStatus::Locked,
                (_, 1, _) => UserStatus::Invited,
                (_, _, 1) => UserStatus::MustChangePassword,
                _ => UserStatus::Active,
            },
            is_primary_admin: row.is_primary_admin == 1,
            first_name: row.first_name,
            last_name: row.last_name,
            login_name: row.login_name,
            email: row.email,
            last_login_at: row.last_login_at,
            has_second_factor: row.has_factor == 1,
        })
        .collect();
    Ok(UserPage { rows, total, has_previous, has_next })
}

/// The roles of the users on one page, in one query.
async fn roles_of(state: &AppState, rows: &[Row]) -> Result<HashMap<i64, Vec<RoleLabel>>, AppError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT ur.user_id, r.id, r.name, r.builtin_key FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         WHERE ur.user_id IN (",
    );
    sql.push_binds(rows.iter().map(|row| row.id)).push(") ORDER BY r.id");
    let mut roles: HashMap<i64, Vec<RoleLabel>> = HashMap::new();
    let labels: Vec<(i64, RoleId, String, Option<BuiltInRole>)> = sql.query_as().fetch_all(&state.db.pool).await?;
    for (user_id, id, name, builtin_key) in labels {
        roles.entry(user_id).or_default().push(RoleLabel { id, name, builtin_key });
    }
    Ok(roles)
}
