//! Each account's users counted by status and by second factor, kept by the database's own
//! triggers in the same transaction as every change (migration 0011): the users list's
//! unfiltered and status totals and the dashboard's counts read one row. `check` counts again
//! from the users themselves and names every difference. It checks the rest the database keeps
//! beside the users too: second-factor flags, role grants' accounts and (PostgreSQL) the
//! lower-cased search copies.

use super::list::status_condition;
use crate::{domain::AccountId, error::AppError, ssr::{Backend, Db}, users::UserStatus};
use sqlx::AnyPool;

/// One account's row of counts; the statuses partition its users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UserCounts {
    pub active: i64,
    pub must_change_password: i64,
    pub invited: i64,
    pub locked: i64,
    pub with_second_factor: i64,
}

impl UserCounts {
    pub fn total(&self) -> i64 {
        self.active + self.must_change_password + self.invited + self.locked
    }

    pub fn of_status(&self, status: UserStatus) -> i64 {
        match status {
            UserStatus::Active => self.active,
            UserStatus::MustChangePassword => self.must_change_password,
            UserStatus::Invited => self.invited,
            UserStatus::Locked => self.locked,
        }
    }
}

const COLUMNS: &str = "active, must_change_password, invited, locked, with_second_factor";

/// SQL over `u`: the user holds a confirmed authenticator app or a passkey, read from the factor
/// tables themselves (what `users.has_second_factor` mirrors).
const FACTORS_HELD: &str = "(EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)
     OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id))";

/// The kept counts of `account` (zero for an account with no row, which only a closed one is).
pub async fn of(pool: &AnyPool, account: AccountId) -> Result<UserCounts, AppError> {
    let row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM account_user_counts WHERE account_id = $1"))
        .bind(account.0)
        .fetch_optional(pool)
        .await?;
    Ok(row.unwrap_or_default())
}

/// Where the kept counts and the users disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Counts { account: AccountId, kept: UserCounts, counted: UserCounts },
    /// Users whose second-factor flag says otherwise than their factors.
    SecondFactorFlags { users: i64 },
    /// Role grants that name another account than their user's (migration 0013 keeps them).
    RoleGrantAccounts { grants: i64 },
    /// PostgreSQL: users whose lower-cased search copy is missing or says otherwise, and copies
    /// of no user (migration 0015 keeps them).
    SearchCopies { users: i64 },
}

/// PostgreSQL: the users and search copies that do not pair up as migration 0015 keeps them.
const SEARCH_COPIES_ASTRAY: &str = "SELECT COUNT(*) FROM users u FULL JOIN users_search s ON s.user_id = u.id
     WHERE u.id IS NULL OR s.user_id IS NULL OR s.account_id IS DISTINCT FROM u.account_id
        OR (s.first_name, s.last_name, s.login_name, s.email)
           <> (lower(u.first_name), lower(u.last_name), lower(u.login_name), lower(u.email))";

/// Counts every account's users again and compares; empty when all agree. Reads one snapshot
/// (a read transaction; REPEATABLE READ on PostgreSQL), so writers meanwhile cannot make a
/// difference appear.
pub async fn check(db: &Db) -> Result<Vec<Difference>, AppError> {
    let mut tx = db.pool.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
    }
    let flags: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE u.has_second_factor <> CASE WHEN {FACTORS_HELD} THEN 1 ELSE 0 END"))
            .fetch_one(&mut *tx)
            .await?;
    let grants: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id
         WHERE COALESCE(ur.account_id, 0) <> COALESCE(u.account_id, 0)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let copies: i64 = match db.backend {
        Backend::Postgres => sqlx::query_scalar(SEARCH_COPIES_ASTRAY).fetch_one(&mut *tx).await?,
        Backend::Sqlite => 0,
    };
    let kept: Vec<(i64, i64, i64, i64, i64, i64)> =
        sqlx::query_as(&format!("SELECT account_id, {COLUMNS} FROM account_user_counts ORDER BY account_id"))
            .fetch_all(&mut *tx)
            .await?;
    // COUNT of `u.id` when the case holds: an account without users joins one row of NULLs.
    // In the order of COLUMNS.
    let columns: Vec<String> = [UserStatus::Active, UserStatus::MustChangePassword, UserStatus::Invited, UserStatus::Locked]
        .into_iter()
        .map(status_condition)
        .chain([FACTORS_HELD])
        .map(|condition| format!("COUNT(CASE WHEN {condition} THEN u.id END)"))
        .collect();
    let counted: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT a.id, {} FROM accounts a LEFT JOIN users u ON u.account_id = a.id GROUP BY a.id ORDER BY a.id",
        columns.join(", ")
    ))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let as_counts = |(_, active, must_change_password, invited, locked, with_second_factor): (i64, i64, i64, i64, i64, i64)| {
        UserCounts { active, must_change_password, invited, locked, with_second_factor }
    };
    let kept: std::collections::BTreeMap<i64, UserCounts> = kept.into_iter().map(|row| (row.0, as_counts(row))).collect();
    let mut differences: Vec<Difference> = counted
        .into_iter()
        .map(|row| (AccountId(row.0), as_counts(row)))
        .filter_map(|(account, counted)| {
            let kept = kept.get(&account.0).copied().unwrap_or_default();
            (kept != counted).then_some(Difference::Counts { account, kept, counted })
        })
        .collect();
    if flags > 0 {
        differences.push(Difference::SecondFactorFlags { users: flags });
    }
    if grants > 0 {
        differences.push(Difference::RoleGrantAccounts { grants });
    }
    if copies > 0 {
        differences.push(Difference::SearchCopies { users: copies });
    }
    Ok(differences)
}
