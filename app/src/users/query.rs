//! What the users table asks for: filters, sort and page. It round-trips through the URL so
//! the back button and shared links work. A page is found by keyset (the sort key of the row
//! next to it), never by counting rows from the start, so page 20,000 costs what page 1 does.

use crate::domain::RoleId;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 25;
/// No list has more pages than this (a billion users); page numbers are clamped to it.
const PAGE_LIMIT: i64 = 40_000_000;
/// Filter terms longer than this cannot match any stored value (names are ≤ 254 characters).
const MAX_TERM_CHARS: usize = 254;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    #[default]
    Active,
    Locked,
    Invited,
    MustChangePassword,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [Self::Active, Self::Locked, Self::Invited, Self::MustChangePassword];

    pub fn key(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Invited => "invited",
            Self::MustChangePassword => "must_change_password",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    FirstName,
    #[default]
    LastName,
    LoginName,
    Email,
    LastLogin,
}

impl SortColumn {
    pub const ALL: [SortColumn; 5] = [Self::FirstName, Self::LastName, Self::LoginName, Self::Email, Self::LastLogin];

    pub fn key(self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::LoginName => "login_name",
            Self::Email => "email",
            Self::LastLogin => "last_login",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// `value` can be a key's value in this order: any text, or for last login a number.
    fn takes(self, value: &str) -> bool {
        self != Self::LastLogin || value.parse::<i64>().is_ok()
    }

    /// The row's place in this order, as a cursor holds it.
    pub fn key_of(self, row: &super::UserRow) -> SortKey {
        let value = match self {
            Self::FirstName => row.first_name.clone(),
            Self::LastName => row.last_name.clone(),
            Self::LoginName => row.login_name.clone(),
            Self::Email => row.email.clone(),
            Self::LastLogin => row.last_login_at.unwrap_or(0).to_string(),
        };
        SortKey { value, id: row.id.0 }
    }
}

/// Substring filters per column (case-insensitive, matched literally) plus role and status.
/// Absent fields take their defaults, so a caller sends only what it filters on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserFilter {
    pub first_name: String,
    pub last_name: String,
    pub login_name: String,
    pub email: String,
    pub role: Option<RoleId>,
    pub status: Option<UserStatus>,
    /// With (`Some(true)`) or without (`Some(false)`) an authenticator app (F15).
    pub second_factor: Option<bool>,
}

/// A row's place in the sort order: the sorted column's value and the id that breaks ties.
/// Last login is the epoch second as text, "0" for never (never sorts first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    pub value: String,
    pub id: i64,
}

impl SortKey {
    /// In the URL: `id.value`; the value may hold anything, the id cannot hold a dot.
    fn to_param(&self) -> String {
        format!("{}.{}", self.id, self.value)
    }

    fn from_param(param: &str) -> Option<Self> {
        let (id, value) = param.split_once('.')?;
        Some(Self { value: value.to_owned(), id: id.parse().ok()? })
    }
}

/// Where the page's rows start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageAt {
    #[default]
    First,
    /// The rows right after this key.
    After(SortKey),
    /// The rows right before this key.
    Before(SortKey),
    Last,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    pub filter: UserFilter,
    pub sort: SortColumn,
    pub descending: bool,
    pub at: PageAt,
    /// Which page this is, for the range under the table: from the start 0, 1, …, or from the
    /// end -1 (the last), -2, …. The rows come from `at` alone.
    pub page: i64,
}

impl UserQuery {
    /// The first page of the same filter and sort.
    pub fn first_page(&mut self) {
        self.at = PageAt::First;
        self.page = 0;
    }

    /// Trimmed terms, a cursor of the sort's kind: whatever a URL or a caller says.
    pub fn bounded(&self) -> Self {
        let clean = |term: &str| term.trim().chars().take(MAX_TERM_CHARS).collect::<String>();
        let filter = &self.filter;
        // A key no row could have (a stored value is at most as long as a term) starts over.
        let at = match &self.at {
            PageAt::After(key) | PageAt::Before(key)
                if !self.sort.takes(&key.value) || key.value.chars().count() > MAX_TERM_CHARS =>
            {
                &PageAt::First
            }
            at => at,
        };
        Self {
            filter: UserFilter {
                first_name: clean(&filter.first_name),
                last_name: clean(&filter.last_name),
                login_name: clean(&filter.login_name),
                email: clean(&filter.email),
                role: filter.role,
                status: filter.status,
                second_factor: filter.second_factor,
            },
            sort: self.sort,
            descending: self.descending,
            at: at.clone(),
            page: match at {
                PageAt::First => 0,
                PageAt::Last => -1,
                _ => self.page.clamp(-PAGE_LIMIT, PAGE_LIMIT),
            },
        }
    }

    /// The URL query string (without `?`); defaults are left out to keep links short.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let filter = &self.filter;
        for (key, value) in [
            ("first_name", &filter.first_name),
            ("last_name", &filter.last_name),
            ("login_name", &filter.login_name),
            ("email", &filter.email),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(role) = filter.role {
            pairs.push(("role", role.to_string()));
        }
        if let Some(status) = filter.status {
            pairs.push(("status", status.key().to_owned()));
        }
        if let Some(with) = filter.second_factor {
            pairs.push(("factor", if with { "on" } else { "off" }.to_owned()));
        }
        if self.sort != SortColumn::default() {
            pairs.push(("sort", self.sort.key().to_owned()));
        }
        if self.descending {
            pairs.push(("desc", "1".to_owned()));
        }
        match &self.at {
            PageAt::First => {}
            PageAt::After(key) => pairs.push(("after", key.to_param())),
            PageAt::Before(key) => pairs.push(("before", key.to_param())),
            PageAt::Last => pairs.push(("at", "last".to_owned())),
        }
        if self.at != PageAt::First && self.page != 0 {
            pairs.push(("page", if self.page > 0 { self.page + 1 } else { self.page }.to_string()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Reads the URL's parameters; anything unknown or malformed is ignored. Terms stay as
    /// typed (a trailing space matters while typing); the server bounds them.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |key| get(key).unwrap_or_default();
        let key = |name| get(name).and_then(|param| SortKey::from_param(&param));
        let at = match (key("after"), key("before"), get("at").as_deref()) {
            (Some(key), None, None) => PageAt::After(key),
            (None, Some(key), None) => PageAt::Before(key),
            (None, None, Some("last")) => PageAt::Last,
            _ => PageAt::First,
        };
        // One-based from the start in the URL, negative from the end; the first page has none.
        let page = match at {
            PageAt::First => 0,
            _ => get("page").and_then(|p| p.parse::<i64>().ok()).map_or(0, |p| {
                let p = p.clamp(-PAGE_LIMIT, PAGE_LIMIT + 1);
                if p > 0 { p - 1 } else { p }
            }),
        };
        Self {
            filter: UserFilter {
                first_name: text("first_name"),
                last_name: text("last_name"),
                login_name: text("login_name"),
                email: text("email"),
                role: get("role").and_then(|r| r.parse().ok()),
                status: get("status").and_then(|s| UserStatus::from_key(&s)),
                second_factor: match get("factor").as_deref() {
                    Some("on") => Some(true),
                    Some("off") => Some(false),
                    _ => None,
                },
            },
            sort: get("sort").and_then(|s| SortColumn::from_key(&s)).unwrap_or_default(),
            descending: get("desc").is_some_and(|d| d == "1"),
            at,
            page,
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn parse(query: &str) -> UserQuery {
        let map: HashMap<String, String> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), percent_decode(v)))
            .collect();
        UserQuery::from_params(|key| map.get(key).cloned())
    }

    fn percent_decode(value: &str) -> String {
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_query_survives_the_round_trip_through_the_url() {
        let query = UserQuery {
            filter: UserFilter {
                first_name: "Zoë & co".into(),
                email: "50%_\"x\"".into(),
                role: Some(RoleId(3)),
                status: Some(UserStatus::Locked),
                second_factor: Some(false),
                ..Default::default()
            },
            sort: SortColumn::Email,
            descending: true,
            at: PageAt::After(SortKey { value: "a.b&c=d".into(), id: 41 }),
            page: 4,
        };
        assert_eq!(parse(&query.to_query_string()), query);
    }

    #[test]
    fn defaults_make_an_empty_query_string_and_garbage_is_ignored() {
        assert_eq!(UserQuery::default().to_query_string(), "");
        assert_eq!(parse("sort=evil&page=-3&role=x&status=nope&after=x.y&at=middle"), UserQuery::default());
        // Two cursors at once say nothing clear: the first page.
        assert_eq!(parse("after=1.a&before=2.b&page=3"), UserQuery::default());
    }

    #[test]
    fn the_last_page_is_page_minus_one_and_old_page_links_start_over() {
        let last = parse("at=last&page=-1");
        assert_eq!((last.at.clone(), last.page), (PageAt::Last, -1));
        assert_eq!(last.to_query_string(), "at=last&page=-1");
        // Before keyset paging a link said only `page=3`: without a cursor it is the first page.
        assert_eq!(parse("page=3"), UserQuery::default());
    }

    #[test]
    fn a_cursor_that_no_row_could_have_is_the_first_page() {
        let at_login = |value: &str| UserQuery {
            sort: SortColumn::LastLogin,
            at: PageAt::After(SortKey { value: value.into(), id: 7 }),
            page: 2,
            ..Default::default()
        };
        assert_eq!(at_login("1700000000").bounded().at, at_login("1700000000").at);
        assert_eq!((at_login("yesterday").bounded().at, at_login("yesterday").bounded().page), (PageAt::First, 0));
        let long = UserQuery { at: PageAt::Before(SortKey { value: "x".repeat(255), id: 7 }), ..Default::default() };
        assert_eq!(long.bounded().at, PageAt::First);
        // Names are compared as stored: a cursor keeps its spaces.
        let spaced = UserQuery { at: PageAt::After(SortKey { value: " Ann ".into(), id: 7 }), page: 1, ..Default::default() };
        assert_eq!(spaced.bounded(), spaced);
    }

    fn any_query() -> impl Strategy<Value = UserQuery> {
        let term = || "\\PC{0,20}";
        (
            (term(), term(), term(), term()),
            proptest::option::of(any::<i64>().prop_map(RoleId)),
            (proptest::option::of(proptest::sample::select(UserStatus::ALL.to_vec())), proptest::option::of(any::<bool>())),
            proptest::sample::select(SortColumn::ALL.to_vec()),
            any::<bool>(),
            any_page(),
        )
            .prop_map(|((first_name, last_name, login_name, email), role, (status, second_factor), sort, descending, (at, page))| UserQuery {
                filter: UserFilter { first_name, last_name, login_name, email, role, status, second_factor },
                sort,
                descending,
                at,
                page,
            })
    }

    /// A cursor and the page number that goes with it (the first page is page 0).
    fn any_page() -> impl Strategy<Value = (PageAt, i64)> {
        let key = || ("\\PC{0,20}", 1..i64::MAX).prop_map(|(value, id)| SortKey { value, id });
        let number = || (-PAGE_LIMIT..=PAGE_LIMIT).prop_filter("not the first page", |p| *p != 0);
        prop_oneof![
            Just((PageAt::First, 0)),
            (key(), number()).prop_map(|(key, page)| (PageAt::After(key), page)),
            (key(), number()).prop_map(|(key, page)| (PageAt::Before(key), page)),
            Just((PageAt::Last, -1)),
        ]
    }

    proptest! {
        #[test]
        fn any_query_survives_the_round_trip_through_the_url(query in any_query()) {
            prop_assert_eq!(parse(&query.to_query_string()), query);
        }

        #[test]
        fn any_parameters_give_a_query_with_a_bounded_page_number(values in proptest::collection::vec("\\PC{0,12}", 10)) {
            let keys = ["first_name", "last_name", "login_name", "after", "before", "at", "sort", "desc", "page", "x"];
            let query = UserQuery::from_params(|key| keys.iter().position(|k| *k == key).map(|i| values[i].clone()));
            prop_assert!((-PAGE_LIMIT..=PAGE_LIMIT).contains(&query.page));
            prop_assert!(query.at != PageAt::First || query.page == 0);
        }
    }
}
