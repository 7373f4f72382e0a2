//! Bulk onboarding: users imported from a CSV file (issue 14 item 6). The browser reads the
//! file and sends its text; the server answers with a preview of every row and its problems,
//! writing nothing. Only a file without problems is imported, in one transaction (I7), after
//! the server has checked everything again. The rules live in `ssr::services::users::import`.
//!
//! The file: a header row naming the columns (any order; `first_name`, `last_name`,
//! `login_name` and `email` required; `roles`, `language` and `password` optional), then one
//! user per row. Commas separate cells, or semicolons when the header has no comma (as a French
//! spreadsheet saves CSV). `roles` holds role names separated by `|` (empty: Member);
//! `language` is `en` or `fr` (empty: the account's default); a `password` makes it the
//! user's initial password, to be changed at first sign-in, and an empty one sends an
//! invitation instead.

use crate::error::{AppError, Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Most rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// Most bytes of text one file may hold (about 200 bytes a row at `MAX_IMPORT_ROWS`).
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
/// Most rows with an initial password: each costs an argon2id hash (about 55 ms of a core),
/// so 100 take a few seconds; larger onboardings invite.
pub const MAX_IMPORT_PASSWORDS: usize = 100;
/// Separates role names in the `roles` cell (never `,` or `;`, which may separate cells).
pub const ROLE_SEPARATOR: char = '|';

/// The columns of the file, as its header names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportColumn {
    FirstName,
    LastName,
    LoginName,
    Email,
    Roles,
    Language,
    Password,
}

impl ImportColumn {
    pub const ALL: [ImportColumn; 7] =
        [Self::FirstName, Self::LastName, Self::LoginName, Self::Email, Self::Roles, Self::Language, Self::Password];

    /// The header cell naming the column.
    pub fn header(self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::LoginName => "login_name",
            Self::Email => "email",
            Self::Roles => "roles",
            Self::Language => "language",
            Self::Password => "password",
        }
    }

    /// Columns every file must have.
    pub fn required(self) -> bool {
        matches!(self, Self::FirstName | Self::LastName | Self::LoginName | Self::Email)
    }

    /// The column a header cell names: case, spaces and dashes do not matter ("First name",
    /// "E-mail").
    pub fn from_header(cell: &str) -> Option<Self> {
        let key: String = cell.trim().to_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
        match key.as_str() {
            "e_mail" | "mail" => Some(Self::Email),
            "locale" | "lang" => Some(Self::Language),
            key => Self::ALL.into_iter().find(|c| c.header() == key),
        }
    }
}

/// Why one cell (or, without a column, the whole row) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellProblem {
    /// What the same field of the add-user form would say (names, e-mail, login, password,
    /// and "already exists" against the users of the platform).
    Invalid(Problem),
    /// The same e-mail or login name as an earlier row of the file, on this line.
    DuplicateOf(u64),
    /// No role of the account, built-in or custom, has this name.
    UnknownRole(String),
    /// The role carries a permission the importer does not hold (F5).
    NotGrantable(String),
    /// Not `en` or `fr`.
    UnknownLanguage,
    /// Partner staff invite; they do not set passwords in a customer's account (S9).
    PasswordWhileActing,
    /// More cells than the header has columns.
    ExtraCells,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellError {
    /// `None` for the row as a whole.
    pub column: Option<ImportColumn>,
    pub problem: CellProblem,
}

/// One row as the preview shows it: the values as read (never the password), and its problems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub roles: Vec<String>,
    /// `en` or `fr` once resolved; as written when unknown.
    pub language: String,
    /// An initial password is set (else an invitation is mailed).
    pub with_password: bool,
    pub errors: Vec<CellError>,
}

/// Why the file as a whole cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileProblem {
    /// No header, or a header and no row.
    Empty,
    TooLarge { max_bytes: u64 },
    TooManyRows { max: u64 },
    TooManyPasswords { max: u64 },
    MissingColumn(String),
    UnknownColumn(String),
    DuplicateColumn(String),
    /// The CSV itself cannot be read from this line on (a quote never closed…).
    Malformed { line: u64 },
    /// The invitations would exceed the account's hourly invitation limit.
    InvitationQuota { needed: u64, remaining: u64, limit: u64 },
}

/// What importing the file would do, and everything that stops it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<FileProblem>,
}

impl ImportPreview {
    /// Rows with at least one problem.
    pub fn rows_with_errors(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }

    /// Nothing stops the import.
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty() && !self.rows.is_empty() && self.rows_with_errors() == 0
    }
}

/// The answer to an import: done, or refused with the current problems (nothing written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportOutcome {
    Imported { created: u64, invited: u64, with_password: u64 },
    Refused(ImportPreview),
}

/// Reads the file and reports what importing it would do. Writes nothing.
#[server(prefix = "/api", endpoint = "users/import/preview", input = server_fn::codec::Json)]
pub async fn preview_import(csv: String) -> Result<ImportPreview, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::import::preview(&req, &csv).await
}

/// Checks the file again and, when nothing stops it, creates every user in one transaction.
#[server(prefix = "/api", endpoint = "users/import/commit", input = server_fn::codec::Json)]
pub async fn import_users(csv: String) -> Result<ImportOutcome, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersManage).await?;
    users::import::commit(&req, &csv).await
}

/// The downloadable template: the header and one example row.
pub fn template_csv() -> String {
    let header: Vec<&str> = ImportColumn::ALL.iter().map(|c| c.header()).collect();
    format!("{}\r\nJane,Doe,jane.doe,jane.doe@example.com,User manager{ROLE_SEPARATOR}Auditor,en,\r\n", header.join(","))
}
