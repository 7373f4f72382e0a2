//! The users of an account (SPEC F3, F4, F6): the list with its filters and bulk actions, the
//! add and edit forms, invitations and the CSV import, and the server functions behind them.

mod actions;
mod api;
mod edit;
mod import;
mod import_page;
mod filter_bar;
mod invitations;
mod list;
mod pager;
mod query;
mod table_head;

pub use actions::{CarriedNotice, Done, provide_carried_notice};
pub use api::*;
pub use edit::{EditUserPage, NewUserPage};
pub use import::*;
pub use import_page::ImportUsersPage;
pub use list::UsersPage;
pub use query::{PAGE_SIZE, PageAt, SortColumn, SortKey, UserFilter, UserQuery, UserStatus};

use crate::{domain::{BuiltInRole, RoleId, UserId}, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A role as a table cell shows it; built-in roles are named by key so the UI translates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleLabel {
    pub id: RoleId,
    pub name: String,
    pub builtin_key: Option<BuiltInRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub roles: Vec<RoleLabel>,
    pub status: UserStatus,
    pub is_primary_admin: bool,
    pub last_login_at: Option<i64>,
    /// An authenticator app is enrolled (F15).
    pub has_second_factor: bool,
}

/// One page of the list and the number of users matching the filter across all pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    pub total: MatchCount,
    /// Matches come before this page's first row.
    pub has_previous: bool,
    /// Matches come after this page's last row.
    pub has_next: bool,
}

/// Matches are counted no further than this (SPEC F4): past it the list says "10,000+". The
/// whole account and its statuses are always exact (kept counts, no scan).
pub const COUNT_CAP: i64 = 10_000;

/// How many users match: exactly so many, or more than so many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchCount {
    Exactly(i64),
    MoreThan(i64),
}

impl MatchCount {
    /// As many as this match, at the least.
    pub fn at_least(self) -> i64 {
        match self {
            MatchCount::Exactly(n) | MatchCount::MoreThan(n) => n,
        }
    }

    /// "1,234", or "10,000+" when more match (French groups with a narrow space).
    pub fn label(self, locale: crate::i18n::Locale) -> String {
        let digits = crate::ui::thousands(locale, self.at_least().max(0) as u64);
        match self {
            MatchCount::Exactly(_) => digits,
            MatchCount::MoreThan(_) => format!("{digits}+"),
        }
    }
}

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(#[server(default)] query: UserQuery) -> Result<UserPage, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::users}};
    let req = guard::permission(Permission::UsersView).await?;
    users::list::page(&req, &query.bounded()).await
}
