//! What the users table asks for: filters, sort and page. It round-trips through the URL so
//! the back button and shared links work.

use crate::domain::RoleId;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 25;
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    pub filter: UserFilter,
    pub sort: SortColumn,
    pub descending: bool,
    /// Zero-based.
    pub page: i64,
}

impl UserQuery {
    /// Trimmed terms, a page that exists: whatever a URL or a caller says.
    pub fn bounded(&self) -> Self {
        let clean = |term: &str| term.trim().chars().take(MAX_TERM_CHARS).collect::<String>();
        let filter = &self.filter;
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
            page: self.page.clamp(0, 1_000_000),
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
        if self.page > 0 {
            pairs.push(("page", (self.page + 1).to_string()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Reads the URL's parameters; anything unknown or malformed is ignored. Terms stay as
    /// typed (a trailing space matters while typing); the server bounds them.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |key| get(key).unwrap_or_default();
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
            page: get("page").and_then(|p| p.parse::<i64>().ok()).map_or(0, |p| (p - 1).clamp(0, 1_000_000)),
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
            page: 4,
        };
        assert_eq!(parse(&query.to_query_string()), query);
    }

    #[test]
    fn defaults_make_an_empty_query_string_and_garbage_is_ignored() {
        assert_eq!(UserQuery::default().to_query_string(), "");
        assert_eq!(parse("sort=evil&page=-3&role=x&status=nope"), UserQuery::default());
    }

    fn any_query() -> impl Strategy<Value = UserQuery> {
        let term = || "\\PC{0,20}";
        (
            (term(), term(), term(), term()),
            proptest::option::of(any::<i64>().prop_map(RoleId)),
            (proptest::option::of(proptest::sample::select(UserStatus::ALL.to_vec())), proptest::option::of(any::<bool>())),
            proptest::sample::select(SortColumn::ALL.to_vec()),
            any::<bool>(),
            0..=1_000_000_i64,
        )
            .prop_map(|((first_name, last_name, login_name, email), role, (status, second_factor), sort, descending, page)| UserQuery {
                filter: UserFilter { first_name, last_name, login_name, email, role, status, second_factor },
                sort,
                descending,
                page,
            })
    }

    proptest! {
        #[test]
        fn any_query_survives_the_round_trip_through_the_url(query in any_query()) {
            prop_assert_eq!(parse(&query.to_query_string()), query);
        }

        #[test]
        fn any_parameters_give_a_query_with_a_bounded_page(values in proptest::collection::vec("\\PC{0,12}", 10)) {
            let keys = ["first_name", "last_name", "login_name", "email", "role", "status", "sort", "desc", "page", "x"];
            let query = UserQuery::from_params(|key| keys.iter().position(|k| *k == key).map(|i| values[i].clone()));
            prop_assert!((0..=1_000_000).contains(&query.page));
        }
    }
}
