//! Bulk onboarding (issue 14 item 6): an import file read into rows, every row checked with
//! the add-user form's rules (F3: the same parsers, one account per e-mail, no escalation),
//! and all of them created in one transaction (I7), each audited as `user.created` and each
//! invitation mailed through the outbox (I6). The preview and the import run the same checks;
//! the import runs them again inside its transaction, so nothing the preview said is trusted.

use crate::ssr::services::{users, rules};
use crate::{
    domain::{BuiltInRole, Email, LoginName, Password, PermissionSet, PersonName, UserId},
    error::{AppError, Problem, Quota},
    i18n::Locale,
    ssr::{AppState, audit::AuditEvent, sql::{BINDS_PER_STATEMENT, placeholders, rows_per_statement}, guard::Request, internal, now, quota},
    users::{
        CellError, CellProblem, FileProblem, ImportColumn, ImportOutcome, ImportPreview, ImportRow, MAX_IMPORT_BYTES,
        MAX_IMPORT_PASSWORDS, MAX_IMPORT_ROWS, ROLE_SEPARATOR,
    },
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Values per imported user in its INSERT.
const COLUMNS: usize = 11;
/// Users per INSERT, and per batch of their grants, invitations and audit events.
const CHUNK: usize = rows_per_statement(COLUMNS);

/// The file's rows as read, each with its cells by column.
struct RawRow {
    line: u64,
    cells: HashMap<ImportColumn, String>,
    extra_cells: bool,
}

impl RawRow {
    fn cell(&self, column: ImportColumn) -> &str {
        self.cells.get(&column).map_or("", String::as_str)
    }
}

/// Splits the text into rows under its header, or says why the file cannot be read.
fn read_file(csv: &str) -> Result<Vec<RawRow>, Vec<FileProblem>> {
    if csv.len() > MAX_IMPORT_BYTES {
        return Err(vec![FileProblem::TooLarge { max_bytes: MAX_IMPORT_BYTES as u64 }]);
    }
    let text = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    // A spreadsheet set to French saves "CSV" with semicolons.
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.contains(';') && !header_line.contains(',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(vec![FileProblem::Empty]),
        Some(Err(_)) => return Err(vec![FileProblem::Malformed { line: 1 }]),
        Some(Ok(header)) => header,
    };
    let mut problems = Vec::new();
    let mut columns: Vec<Option<ImportColumn>> = Vec::new();
    for cell in header.iter() {
        let column = match (cell.trim(), ImportColumn::from_header(cell)) {
            ("", _) => None,
            (_, Some(column)) if columns.contains(&Some(column)) => {
                problems.push(FileProblem::DuplicateColumn(column.header().to_owned()));
                None
            }
            (_, Some(column)) => Some(column),
            (name, None) => {
                problems.push(FileProblem::UnknownColumn(name.chars().take(40).collect()));
                None
            }
        };
        columns.push(column);
    }
    for column in ImportColumn::ALL.into_iter().filter(|c| c.required() && !columns.contains(&Some(*c))) {
        problems.push(FileProblem::MissingColumn(column.header().to_owned()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    // Line numbers from byte offsets: the reader's own count goes wrong with CRLF line ends.
    let mut lines = LineCounter { text, scanned: 0, line: 1 };
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or_else(|| rows.last().map_or(2, |r: &RawRow| r.line + 1), |p| lines.at(p.byte()));
                return Err(vec![FileProblem::Malformed { line }]);
            }
        };
        // Blank lines, and the empty rows spreadsheets leave at the end, are not users.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(vec![FileProblem::TooManyRows { max: MAX_IMPORT_ROWS as u64 }]);
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let mut row = RawRow { line, cells: HashMap::new(), extra_cells: false };
        for (index, cell) in record.iter().enumerate() {
            match columns.get(index).copied().flatten() {
                Some(column) => {
                    row.cells.insert(column, cell.to_owned());
                }
                None if !cell.trim().is_empty() => row.extra_cells = true,
                None => {}
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(vec![FileProblem::Empty]);
    }
    Ok(rows)
}

/// The line (from 1) of byte offsets met in increasing order.
struct LineCounter<'a> {
    text: &'a str,
    scanned: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the first character at or after `byte` that does not end a line (a
    /// record's position may point at the end of the line before it).
    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.text.as_bytes();
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len()).max(self.scanned);
        while byte < bytes.len() && (bytes[byte] == b'\r' || bytes[byte] == b'\n') {
            byte += 1;
        }
        self.line += bytes[self.scanned..byte].iter().filter(|&&b| b == b'\n').count() as u64;
        self.scanned = byte;
        self.line
    }
}

/// A row whose every cell parsed; its roles are still names.
struct Parsed {
    first_name: PersonName,
    last_name: PersonName,
    login_name: LoginName,
    email: Email,
    locale: &'static str,
    password: Option<Password>,
}

/// The checks that need no database: each cell's parser, the language, passwords, and
/// duplicates within the file.
fn check_cells(raw: &[RawRow], default_locale: &str, acting: bool) -> Vec<(ImportRow, Option<Parsed>)> {
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut logins: HashMap<String, u64> = HashMap::new();
    raw.iter()
        .map(|row| {
            let mut errors = Vec::new();
            let first_name = valid(&mut errors, ImportColumn::FirstName, PersonName::parse(row.cell(ImportColumn::FirstName)));
            let last_name = valid(&mut errors, ImportColumn::LastName, PersonName::parse(row.cell(ImportColumn::LastName)));
            let login_name = valid(&mut errors, ImportColumn::LoginName, LoginName::parse(row.cell(ImportColumn::LoginName)));
            let email = valid(&mut errors, ImportColumn::Email, Email::parse(row.cell(ImportColumn::Email)));
            // Cells are trimmed: spaces around a password in a CSV file are layout, not secret.
            let written = row.cell(ImportColumn::Password).trim();
            let password = match written {
                "" => Some(None),
                _ if acting => {
                    errors.push(CellError { column: Some(ImportColumn::Password), problem: CellProblem::PasswordWhileActing });
                    None
                }
                _ => {
                    let identity = [row.cell(ImportColumn::LoginName), row.cell(ImportColumn::Email)];
                    valid(&mut errors, ImportColumn::Password, Password::choose(written, &identity)).map(Some)
                }
            };
            let language = row.cell(ImportColumn::Language).trim().to_lowercase();
            let locale = match language.as_str() {
                "" => Some(if default_locale == "fr" { "fr" } else { "en" }),
                "en" => Some("en"),
                "fr" => Some("fr"),
                _ => {
                    errors.push(CellError { column: Some(ImportColumn::Language), problem: CellProblem::UnknownLanguage });
                    None
                }
            };
            if let Some(email) = &email {
                if let Some(&first) = emails.get(email.as_str()) {
                    errors.push(CellError { column: Some(ImportColumn::Email), problem: CellProblem::DuplicateOf(first) });
                } else {
                    emails.insert(email.as_str().to_owned(), row.line);
                }
            }
            if let Some(login) = &login_name {
                if let Some(&first) = logins.get(login.as_str()) {
                    errors.push(CellError { column: Some(ImportColumn::LoginName), problem: CellProblem::DuplicateOf(first) });
                } else {
                    logins.insert(login.as_str().to_owned(), row.line);
                }
            }
            if row.extra_cells {
                errors.push(CellError { column: None, problem: CellProblem::ExtraCells });
            }
            let roles: Vec<String> = row
                .cell(ImportColumn::Roles)
                .split(ROLE_SEPARATOR)
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| name.chars().take(60).collect())
                .collect();
            let shown = ImportRow {
                line: row.line,
                first_name: row.cell(ImportColumn::FirstName).trim().to_owned(),
                last_name: row.cell(ImportColumn::LastName).trim().to_owned(),
                login_name: row.cell(ImportColumn::LoginName).trim().to_owned(),
                email: row.cell(ImportColumn::Email).trim().to_owned(),
                roles,
                language: locale.map_or(language, str::to_owned),
                with_password: !written.is_empty(),
                errors,
            };
            let parsed = match (first_name, last_name, login_name, email, locale, password) {
                (Some(first_name), Some(last_name), Some(login_name), Some(email), Some(locale), Some(password)) => {
                    Some(Parsed { first_name, last_name, login_name, email, locale, password })
                }
                _ => None,
            };
            (shown, parsed)
        })
        .collect()
}

/// The parsed value, or `None` with the parser's problem noted against `column`.
fn valid<T>(errors: &mut Vec<CellError>, column: ImportColumn, parsed: Result<T, Problem>) -> Option<T> {
    parsed.map_err(|problem| errors.push(CellError { column: Some(column), problem: CellProblem::Invalid(problem) })).ok()
}

/// A role of the account's catalogue (built-in or its own).
#[derive(Debug, Clone, sqlx::FromRow)]
struct CatalogueRole {
    id: i64,
    name: String,
    permissions: i64,
    builtin_key: Option<BuiltInRole>,
}

/// Role names as a file may write them, lower-cased: a custom role's name; a built-in one's
/// key (`user_manager`), its name in English or French. The account's own names come last, so
/// they win over a built-in name they repeat.
fn role_names(catalogue: &[CatalogueRole]) -> HashMap<String, usize> {
    let mut names = HashMap::new();
    let (builtin, custom): (Vec<_>, Vec<_>) = catalogue.iter().enumerate().partition(|(_, r)| r.builtin_key.is_some());
    for (index, role) in builtin.into_iter().chain(custom) {
        names.insert(role.name.to_lowercase(), index);
        if let Some(builtin) = role.builtin_key {
            let key = builtin.key();
            for name in [key.to_owned(), key.replace('_', " "), builtin.name(Locale::en), builtin.name(Locale::fr)] {
                names.insert(name.to_lowercase(), index);
            }
        }
    }
    names
}

/// A row ready to insert.
struct Ready {
    parsed: Parsed,
    /// Indexes into the catalogue; never empty (Member when the file names none).
    roles: Vec<usize>,
}

/// The file read and checked against the database: the preview, and when it is ready, the
/// rows to insert in the file's order.
struct Checked {
    preview: ImportPreview,
    ready: Vec<Ready>,
    catalogue: Vec<CatalogueRole>,
}

/// Every check of the file, reading the database through `conn` (the import's transaction,
/// or any connection for a preview).
async fn check(conn: &mut AnyConnection, req: &Request, csv: &str, now: i64) -> Result<Checked, AppError> {
    let Request { state, actor, .. } = req;
    let account = rules::account_of(actor)?;
    let raw = match read_file(csv) {
        Ok(raw) => raw,
        Err(problems) => return Ok(Checked { preview: ImportPreview { rows: Vec::new(), problems }, ready: Vec::new(), catalogue: Vec::new() }),
    };
    let mut rows = check_cells(&raw, &actor.info.account_locale, actor.is_acting());

    let catalogue: Vec<CatalogueRole> =
        sqlx::query_as("SELECT id, name, permissions, builtin_key FROM roles WHERE account_id IS NULL OR account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(&mut *conn)
            .await?;
    let names = role_names(&catalogue);
    let member = catalogue.iter().position(|r| r.builtin_key == Some(BuiltInRole::Member)).ok_or_else(|| internal("no Member role"))?;
    let mut chosen: Vec<Vec<usize>> = Vec::with_capacity(rows.len());
    for (row, _) in &mut rows {
        let mut roles = Vec::new();
        for name in &row.roles {
            match names.get(&name.to_lowercase()) {
                None => row.errors.push(CellError { column: Some(ImportColumn::Roles), problem: CellProblem::UnknownRole(name.clone()) }),
                // No escalation (F5): only roles whose every permission the importer holds.
                Some(&index) if !PermissionSet::from_bits(catalogue[index].permissions).is_subset_of(actor.permissions()) => {
                    row.errors.push(CellError { column: Some(ImportColumn::Roles), problem: CellProblem::NotGrantable(name.clone()) })
                }
                Some(&index) if !roles.contains(&index) => roles.push(index),
                Some(_) => {}
            }
        }
        if roles.is_empty() {
            roles.push(member);
        }
        chosen.push(roles);
    }

    // One account per e-mail, one user per login name, across the platform (I2).
    let emails: Vec<&str> = rows.iter().filter_map(|(_, p)| p.as_ref().map(|p| p.email.as_str())).collect();
    let logins: Vec<&str> = rows.iter().filter_map(|(_, p)| p.as_ref().map(|p| p.login_name.as_str())).collect();
    let taken_emails = existing(conn, "email", &emails).await?;
    let taken_logins = existing(conn, "login_name", &logins).await?;
    for (row, parsed) in &mut rows {
        let Some(parsed) = parsed else { continue };
        if taken_emails.contains(parsed.email.as_str()) {
            row.errors.push(CellError { column: Some(ImportColumn::Email), problem: CellProblem::Invalid(Problem::EmailTaken) });
        }
        if taken_logins.contains(parsed.login_name.as_str()) {
            row.errors.push(CellError { column: Some(ImportColumn::LoginName), problem: CellProblem::Invalid(Problem::LoginNameTaken) });
        }
    }

    let mut problems = Vec::new();
    let with_password = rows.iter().filter(|(row, _)| row.with_password).count();
    if with_password > MAX_IMPORT_PASSWORDS {
        problems.push(FileProblem::TooManyPasswords { max: MAX_IMPORT_PASSWORDS as u64 });
    }
    let invitations = (rows.len() - with_password) as u64;
    if invitations > 0 {
        let (limit, remaining) = quota::remaining(conn, &state.settings.quotas, Quota::Invitations, account.0, now).await?;
        if invitations > remaining {
            problems.push(FileProblem::InvitationQuota { needed: invitations, remaining, limit: u64::from(limit) });
        }
    }

    let mut preview = ImportPreview { rows: Vec::with_capacity(rows.len()), problems };
    let mut ready = Vec::with_capacity(rows.len());
    for ((row, parsed), roles) in rows.into_iter().zip(chosen) {
        if let (Some(parsed), true) = (parsed, row.errors.is_empty()) {
            ready.push(Ready { parsed, roles });
        }
        preview.rows.push(row);
    }
    if !preview.is_ready() {
        ready.clear();
    }
    Ok(Checked { preview, ready, catalogue })
}

/// Which of `values` some user already has in `column` (`email` or `login_name`).
async fn existing(conn: &mut AnyConnection, column: &'static str, values: &[&str]) -> Result<std::collections::HashSet<String>, AppError> {
    let mut found = std::collections::HashSet::new();
    for chunk in values.chunks(BINDS_PER_STATEMENT) {
        let sql = format!("SELECT {column} FROM users WHERE {column} IN ({})", placeholders(1, chunk.len()));
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for value in chunk {
            query = query.bind(*value);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// What importing `csv` would do. Writes nothing.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn preview(req: &Request, csv: &str) -> Result<ImportPreview, AppError> {
    let Request { state, .. } = req;
    let mut conn = state.db.pool.acquire().await?;
    Ok(check(&mut conn, req, csv, now()).await?.preview)
}

/// Imports `csv` when nothing stops it, all rows or none (I7). The checks run first on any
/// connection (a broken file costs no hashing), the initial passwords are hashed outside the
/// transaction (it would hold SQLite's write lock for seconds), and the checks run again inside
/// it before anything is written. A user created meanwhile with one of the file's e-mails or
/// login names makes the unique constraints refuse the whole import: the answer is then the
/// preview of the file as it stands.
#[tracing::instrument(skip_all, fields(actor = req.actor.user_id().0))]
pub async fn commit(req: &Request, csv: &str) -> Result<ImportOutcome, AppError> {
    let Request { state, .. } = req;
    let first = {
        let mut conn = state.db.pool.acquire().await?;
        check(&mut conn, req, csv, now()).await?
    };
    if !first.preview.is_ready() {
        return Ok(ImportOutcome::Refused(first.preview));
    }
    let hashes = hash_passwords(state, &first.ready).await?;
    let now = now();
    let mut tx = state.db.begin_write().await?;
    let checked = check(&mut tx, req, csv, now).await?;
    if !checked.preview.is_ready() || checked.ready.len() != hashes.len() {
        return Ok(ImportOutcome::Refused(checked.preview));
    }
    match insert(&mut tx, req, &checked, &hashes, now).await {
        Ok(outcome) => {
            tx.commit().await?;
            Ok(outcome)
        }
        Err(error @ AppError::Conflict(_)) => {
            drop(tx);
            let mut conn = state.db.pool.acquire().await?;
            let again = check(&mut conn, req, csv, crate::ssr::now()).await?;
            if again.preview.is_ready() { Err(error) } else { Ok(ImportOutcome::Refused(again.preview)) }
        }
        Err(error) => Err(error),
    }
}

/// The initial passwords' hashes, in the order of `ready` (`None` for invitations). A few at
/// a time, one per core: the hashing threads stay busy while the queue keeps room for
/// sign-ins (S8).
async fn hash_passwords(state: &AppState, ready: &[Ready]) -> Result<Vec<Option<String>>, AppError> {
    let mut hashes = vec![None; ready.len()];
    let wanted: Vec<(usize, Password)> =
        ready.iter().enumerate().filter_map(|(index, row)| row.parsed.password.clone().map(|p| (index, p))).collect();
    let at_once = std::thread::available_parallelism().map_or(2, |n| n.get());
    for wave in wanted.chunks(at_once) {
        let mut hashing = tokio::task::JoinSet::new();
        for (index, password) in wave.iter().cloned() {
            let hasher = state.hasher.clone();
            hashing.spawn(async move { (index, hasher.hash(password).await) });
        }
        while let Some(done) = hashing.join_next().await {
            let (index, hash) = done.map_err(internal)?;
            hashes[index] = Some(hash?);
        }
    }
    Ok(hashes)
}

/// Creates the checked rows in multi-row statements: users, their roles, invitations (links
/// and mails) and one `user.created` event each, as the add-user form records it.
async fn insert(
    conn: &mut AnyConnection,
    req: &Request,
    checked: &Checked,
    hashes: &[Option<String>],
    now: i64,
) -> Result<ImportOutcome, AppError> {
    let Request { client, actor, .. } = req;
    let account = rules::account_of(actor)?;
    let mut invited = 0;
    for (rows, hashes) in checked.ready.chunks(CHUNK).zip(hashes.chunks(CHUNK)) {
        let values = (0..rows.len()).map(|row| format!("({})", placeholders(row * COLUMNS + 1, COLUMNS))).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO users (account_id, first_name, last_name, login_name, email, password_hash,
                                must_change_password, locale, subscribe_news, subscribe_alerts, created_at)
             VALUES {values} RETURNING id, email"
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
        for (row, hash) in rows.iter().zip(hashes) {
            let user = &row.parsed;
            // As the add-user form: alerts on, news off; a password set by someone else is
            // changed at first sign-in (F1).
            query = query
                .bind(account.0)
                .bind(user.first_name.as_str())
                .bind(user.last_name.as_str())
                .bind(user.login_name.as_str())
                .bind(user.email.as_str())
                .bind(hash.as_deref())
                .bind(i64::from(hash.is_some()))
                .bind(user.locale)
                .bind(0_i64)
                .bind(1_i64)
                .bind(now);
        }
        // RETURNING's order is not promised: the e-mail, unique, says which id is whose.
        let ids: HashMap<String, i64> = query.fetch_all(&mut *conn).await?.into_iter().map(|(id, email)| (email, id)).collect();
        let id_of = |row: &Ready| ids.get(row.parsed.email.as_str()).copied().map(UserId).ok_or_else(|| internal("an imported user has no id"));
        let mut grants = Vec::new();
        let mut invitees = Vec::new();
        let mut events = Vec::with_capacity(rows.len());
        for (row, hash) in rows.iter().zip(hashes) {
            let user = id_of(row)?;
            // Ids are integers from the database and the catalogue: safe to inline.
            grants.extend(row.roles.iter().map(|&role| format!("({}, {})", user.0, checked.catalogue[role].id)));
            if hash.is_none() {
                invitees.push((user, row.parsed.email.as_str(), row.parsed.locale));
            }
            let delivery = if hash.is_some() { "password" } else { "invitation" };
            events.push(
                AuditEvent::by("user.created", &client.ip, actor)
                    .target_user(user, row.parsed.login_name.as_str())
                    .details(json!({
                        "delivery": delivery,
                        "email": row.parsed.email.as_str(),
                        "roles": row.roles.iter().map(|&role| checked.catalogue[role].id).collect::<Vec<_>>(),
                        "import": true,
                    })),
            );
        }
        sqlx::query(&format!("INSERT INTO user_roles (user_id, role_id) VALUES {}", grants.join(", ")))
            .execute(&mut *conn)
            .await?;
        invited += invitees.len() as u64;
        users::invitations::issue_many(conn, req, &invitees, now).await?;
        AuditEvent::record_many(conn, events, now).await?;
    }
    let created = checked.ready.len() as u64;
    Ok(ImportOutcome::Imported { created, invited, with_password: created - invited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<(ImportRow, Option<Parsed>)> {
        check_cells(&read_file(csv).unwrap_or_else(|p| panic!("{p:?}")), "en", false)
    }

    fn problems_of(row: &ImportRow) -> Vec<(Option<ImportColumn>, CellProblem)> {
        row.errors.iter().map(|e| (e.column, e.problem.clone())).collect()
    }

    #[test]
    fn the_template_reads_as_one_valid_row() {
        let rows = rows(&crate::users::template_csv());
        assert_eq!(rows.len(), 1);
        assert!(rows[0].0.errors.is_empty(), "{:?}", rows[0].0.errors);
        assert_eq!(rows[0].0.roles, ["User manager", "Auditor"]);
        assert_eq!(rows[0].0.line, 2);
    }

    #[test]
    fn lines_are_counted_with_crlf_ends_and_quoted_line_breaks() {
        let rows = rows("first_name,last_name,login_name,email\r\nAnn,Lee,ann,ann@example.com\r\n\r\n\"Bo\nb\",Ray,bob,bob@example.com\r\nCyd,Po,cyd,cyd@example.com\r\n");
        assert_eq!(rows.iter().map(|(r, _)| r.line).collect::<Vec<_>>(), [2, 4, 6]);
    }

    #[test]
    fn header_problems_are_named() {
        assert_eq!(read_file("").err(), Some(vec![FileProblem::Empty]));
        assert_eq!(read_file("first_name,last_name,login_name,email\n").err(), Some(vec![FileProblem::Empty]));
        let problems = read_file("first_name,surname,email,email\nA,B,c@example.com,d@example.com\n").err().unwrap();
        assert!(problems.contains(&FileProblem::UnknownColumn("surname".into())));
        assert!(problems.contains(&FileProblem::DuplicateColumn("email".into())));
        assert!(problems.contains(&FileProblem::MissingColumn("last_name".into())));
        assert!(problems.contains(&FileProblem::MissingColumn("login_name".into())));
    }

    #[test]
    fn headers_ignore_case_spaces_and_dashes_and_semicolons_separate_cells_without_commas() {
        let rows = rows("\u{feff}First name;Last name;Login name;E-mail;Language\nÉlodie;Durand;elodie;elodie@example.fr;FR\n");
        assert!(rows[0].0.errors.is_empty(), "{:?}", rows[0].0.errors);
        assert_eq!(rows[0].1.as_ref().unwrap().locale, "fr");
    }

    #[test]
    fn each_cell_is_checked_by_the_forms_parser_and_duplicates_name_the_first_line() {
        let csv = "first_name,last_name,login_name,email,language,password,roles\n\
                   Ann,Lee,ann,ann@example.com,en,,\n\
                   ,Lee,ANN,not-an-address,de,short,\n\
                   Bob,Ray,bob,ANN@EXAMPLE.COM,,correct horse battery,\n\
                   Cy,Po,cyd,ann@example.com,,,\n\
                   ,,,,,,\n";
        let rows = rows(csv);
        assert_eq!(rows.len(), 4, "the blank row is skipped");
        let second = problems_of(&rows[1].0);
        assert!(second.contains(&(Some(ImportColumn::FirstName), CellProblem::Invalid(Problem::Required))));
        assert!(second.contains(&(Some(ImportColumn::LoginName), CellProblem::DuplicateOf(2))));
        assert!(second.contains(&(Some(ImportColumn::Email), CellProblem::Invalid(Problem::InvalidEmail))));
        assert!(second.contains(&(Some(ImportColumn::Language), CellProblem::UnknownLanguage)));
        assert!(second.iter().any(|(c, _)| *c == Some(ImportColumn::Password)));
        // The domain is compared case-insensitively, the local part exactly (F3).
        assert!(problems_of(&rows[2].0).is_empty(), "{:?}", rows[2].0.errors);
        assert!(rows[2].0.with_password);
        assert_eq!(problems_of(&rows[3].0), [(Some(ImportColumn::Email), CellProblem::DuplicateOf(2))]);
    }

    #[test]
    fn partner_staff_cannot_set_passwords_and_extra_cells_are_refused() {
        let raw = read_file("first_name,last_name,login_name,email,password\nAnn,Lee,ann,ann@example.com,a long password here,surprise\n").unwrap();
        let rows = check_cells(&raw, "en", true);
        let problems = problems_of(&rows[0].0);
        assert!(problems.contains(&(Some(ImportColumn::Password), CellProblem::PasswordWhileActing)));
        assert!(problems.contains(&(None, CellProblem::ExtraCells)));
    }

    #[test]
    fn size_and_row_limits_hold() {
        let big = "x".repeat(MAX_IMPORT_BYTES + 1);
        assert_eq!(read_file(&big).err(), Some(vec![FileProblem::TooLarge { max_bytes: MAX_IMPORT_BYTES as u64 }]));
        let mut csv = String::from("first_name,last_name,login_name,email\n");
        for n in 0..=MAX_IMPORT_ROWS {
            csv.push_str(&format!("A,B,u{n},u{n}@example.com\n"));
        }
        assert_eq!(read_file(&csv).err(), Some(vec![FileProblem::TooManyRows { max: MAX_IMPORT_ROWS as u64 }]));
    }

    #[test]
    fn built_in_roles_answer_to_their_key_and_both_languages() {
        let role = |id, name: &str, builtin_key| CatalogueRole { id, name: name.into(), permissions: 0, builtin_key };
        let catalogue = [
            role(1, "Administrator", Some(BuiltInRole::Administrator)),
            role(2, "User manager", Some(BuiltInRole::UserManager)),
            role(9, "Helpdesk", None),
        ];
        let names = role_names(&catalogue);
        for (name, index) in [("administrator", 0), ("user_manager", 1), ("user manager", 1), ("helpdesk", 2)] {
            assert_eq!(names.get(name), Some(&index), "{name}");
        }
        let french = BuiltInRole::UserManager.name(Locale::fr).to_lowercase();
        assert_eq!(names.get(&french), Some(&1));
    }
}
