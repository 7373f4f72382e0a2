//! Statements built at run time (filters, id lists), with every value bound and none inlined,
//! so each shape of statement is prepared once and cached. sqlx's own `QueryBuilder` would be
//! the tool, but for the `Any` driver it writes `?` placeholders, which PostgreSQL refuses;
//! this one writes `$1, $2, …`, which both backends take.

use crate::domain::{AccountId, RoleId, UserId};
use sqlx::{
    Any,
    any::AnyArguments,
    query::{Query, QueryAs, QueryScalar},
};
use std::fmt::Write;

/// A value bound to a `$N` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

macro_rules! id_arg {
    ($($id:ty),*) => {$(
        impl From<$id> for Arg {
            fn from(id: $id) -> Self {
                Self::Int(id.0)
            }
        }
    )*};
}
id_arg!(AccountId, RoleId, UserId);

/// A statement under construction: text with `$N` placeholders, and their values in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
    /// Planned again on every run: see `planned_for_its_values`.
    uncached: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_owned(), args: Vec::new(), uncached: false }
    }

    /// Appends SQL text as is: never a value from outside.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn push_bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        let _ = write!(self.text, "${}", self.args.len());
        self
    }

    /// Appends `$a, $b, …`, one placeholder per value (for `IN (…)` and `VALUES (…)`); `NULL`
    /// when there are none, so `IN (NULL)` matches nothing instead of being a syntax error.
    pub fn push_binds<T: Into<Arg>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        let mut first = true;
        for value in values {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.push_bind(value);
        }
        if first {
            self.text.push_str("NULL");
        }
        self
    }

    /// The same statement after `prefix` (`EXPLAIN …`), its values unchanged.
    pub fn prefixed(&self, prefix: &str) -> Self {
        Self { text: format!("{prefix}{}", self.text), args: self.args.clone(), uncached: self.uncached }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Not kept prepared, so that PostgreSQL plans it for its values on every run. A kept
    /// statement gets one plan for any values after five runs, and the users list's count of a
    /// frequent term (`LIKE $2`) then read the trigram index: 18 ms at a million users, not 6.
    /// Statements that run in bulk stay prepared (SQLite would parse each again).
    pub fn planned_for_its_values(mut self) -> Self {
        self.uncached = true;
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.args.iter().fold(sqlx::query(&self.text).persistent(!self.uncached), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_str()),
        })
    }

    pub fn query_as<O>(&self) -> QueryAs<'_, Any, O, AnyArguments<'_>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.args.iter().fold(sqlx::query_as(&self.text).persistent(!self.uncached), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_str()),
        })
    }

    pub fn query_scalar<O>(&self) -> QueryScalar<'_, Any, O, AnyArguments<'_>>
    where
        (O,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.args.iter().fold(sqlx::query_scalar(&self.text).persistent(!self.uncached), |query, arg| match arg {
            Arg::Int(value) => query.bind(*value),
            Arg::Text(value) => query.bind(value.as_str()),
        })
    }
}

/// Conditions joined by `AND`, each with its own values: the WHERE clause of a filter, written
/// into any statement with `Sql::push_conditions`.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    parts: Vec<Condition>,
}

#[derive(Debug, Clone)]
struct Condition {
    /// The text around the values: one more piece than there are values.
    pieces: Vec<String>,
    args: Vec<Arg>,
}

impl Conditions {
    /// A condition with no value, e.g. `u.locked_at IS NOT NULL`.
    pub fn add(&mut self, condition: &str) -> &mut Self {
        self.parts.push(Condition { pieces: vec![condition.to_owned()], args: Vec::new() });
        self
    }

    /// A condition around one value: `before $N after`.
    pub fn add_bind(&mut self, before: &str, value: impl Into<Arg>, after: &str) -> &mut Self {
        self.parts.push(Condition { pieces: vec![before.to_owned(), after.to_owned()], args: vec![value.into()] });
        self
    }

    /// A condition around several values: `pieces[0] $N pieces[1] $M … pieces[last]`.
    pub fn add_binds<const N: usize>(&mut self, pieces: [&str; N], values: Vec<Arg>) -> &mut Self {
        assert_eq!(values.len() + 1, N, "one more piece than values");
        self.parts.push(Condition { pieces: pieces.map(str::to_owned).into(), args: values });
        self
    }

    /// `before` `inner`'s conditions joined by `AND` `after`: conditions over a subquery.
    pub fn add_around(&mut self, before: &str, inner: &Conditions, after: &str) -> &mut Self {
        let mut condition = inner.joined();
        condition.pieces[0].insert_str(0, before);
        condition.pieces.last_mut().expect("a last piece").push_str(after);
        self.parts.push(condition);
        self
    }

    /// All the conditions as one, joined by `AND` (`1 = 1` when there are none).
    fn joined(&self) -> Condition {
        let mut pieces = vec![String::new()];
        let mut args = Vec::new();
        for (index, condition) in self.parts.iter().enumerate() {
            let open = pieces.last_mut().expect("a first piece");
            if index > 0 {
                open.push_str(" AND ");
            }
            open.push_str(&condition.pieces[0]);
            pieces.extend(condition.pieces[1..].iter().cloned());
            args.extend(condition.args.iter().cloned());
        }
        if self.parts.is_empty() {
            pieces[0].push_str("1 = 1");
        }
        Condition { pieces, args }
    }

    /// `column IN ($a, $b, …)`.
    pub fn add_in<T: Into<Arg>>(&mut self, column: &str, values: impl IntoIterator<Item = T>) -> &mut Self {
        let args: Vec<Arg> = values.into_iter().map(Into::into).collect();
        if args.is_empty() {
            return self.add("1 = 0");
        }
        let mut pieces = vec![format!("{column} IN (")];
        pieces.extend((1..args.len()).map(|_| ", ".to_owned()));
        pieces.push(")".to_owned());
        self.parts.push(Condition { pieces, args });
        self
    }
}

impl Sql {
    /// Appends the conditions joined by `AND` (`1 = 1` when there are none).
    pub fn push_conditions(&mut self, conditions: &Conditions) -> &mut Self {
        let Condition { pieces, args } = conditions.joined();
        let mut args = args.into_iter();
        for (index, piece) in pieces.iter().enumerate() {
            if index > 0 {
                self.push_bind(args.next().expect("one value between two pieces"));
            }
            self.push(piece);
        }
        self
    }
}

/// Values bound to one statement, at most, where a statement writes many rows. sqlx binds
/// SQLite's `$N` parameters by name, and SQLite finds each name by walking the statement's list
/// of them, so binding costs the square of their number: an audit insert of 400 rows × 11
/// values spent 30 % of a 10,000-user bulk action there (perf). Around 500 values, that walk
/// costs about what one more statement does.
pub const BINDS_PER_STATEMENT: usize = 500;

/// Rows of `columns` values each that one multi-row statement takes.
pub const fn rows_per_statement(columns: usize) -> usize {
    BINDS_PER_STATEMENT / columns
}

/// `$first, $first+1, …` for `count` values bound by hand (multi-row `VALUES` lists).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// A `LIKE … ESCAPE '\'` pattern matching `term` anywhere, with `%`, `_` and `\` literal.
pub fn contains_pattern(term: &str) -> String {
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_in_order_across_conditions_and_pushes() {
        let mut conditions = Conditions::default();
        conditions.add_bind("u.account_id = ", AccountId(7), "").add("u.locked_at IS NULL").add_in("u.id", [UserId(1), UserId(2)]);
        let mut sql = Sql::new("SELECT 1 FROM users u WHERE ");
        sql.push_conditions(&conditions).push(" LIMIT ").push_bind(50);
        assert_eq!(sql.text(), "SELECT 1 FROM users u WHERE u.account_id = $1 AND u.locked_at IS NULL AND u.id IN ($2, $3) LIMIT $4");
        assert_eq!(sql.args(), [Arg::Int(7), Arg::Int(1), Arg::Int(2), Arg::Int(50)]);
    }

    #[test]
    fn conditions_around_a_subquery_keep_their_values_in_order() {
        let mut inner = Conditions::default();
        inner.add_bind("s.account_id = ", AccountId(7), "").add_bind("s.email LIKE ", "%a%", "").add("s.x = 1");
        let mut outer = Conditions::default();
        outer.add_bind("u.account_id = ", AccountId(7), "").add_around("u.id IN (SELECT s.user_id FROM s WHERE ", &inner, ")");
        outer.add_around("EXISTS (SELECT 1 WHERE ", &Conditions::default(), ")").add_bind("u.id > ", 3, "");
        let mut sql = Sql::new("");
        sql.push_conditions(&outer);
        assert_eq!(
            sql.text(),
            "u.account_id = $1 AND u.id IN (SELECT s.user_id FROM s WHERE s.account_id = $2 AND s.email LIKE $3 AND s.x = 1) \
             AND EXISTS (SELECT 1 WHERE 1 = 1) AND u.id > $4"
        );
        assert_eq!(sql.args(), [Arg::Int(7), Arg::Int(7), Arg::Text("%a%".into()), Arg::Int(3)]);
    }

    #[test]
    fn empty_lists_match_nothing_and_no_conditions_match_everything() {
        let mut sql = Sql::new("");
        sql.push_binds(Vec::<i64>::new());
        assert_eq!(sql.text(), "NULL");
        let mut none = Conditions::default();
        assert_eq!(Sql::new("").push_conditions(&none).text(), "1 = 1");
        none.add_in("u.id", Vec::<i64>::new());
        assert_eq!(Sql::new("").push_conditions(&none).text(), "1 = 0");
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }
}
