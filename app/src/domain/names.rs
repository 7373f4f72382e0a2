//! Names people type: person, login, account and role names and role descriptions, each
//! trimmed, bounded and free of control characters.

use super::clean_text;
use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// A first or last name: any script, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        clean_text(input, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A company's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountName(String);

impl AccountName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        clean_text(input, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom role's name, unique within its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleName(String);

impl RoleName {
    pub const MAX_CHARS: usize = 60;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        clean_text(input, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a role is for, shown beside its checkbox. May be empty; line breaks are allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDescription(String);

impl RoleDescription {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        let text = input.trim();
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Problem::ControlCharacters);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(Problem::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login name: 3 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit, stored lower case.
/// It never contains `@`, so a login identifier is unambiguously an e-mail or a login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LoginName(String);

impl LoginName {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        let name = input.trim().to_lowercase();
        if name.is_empty() {
            return Err(Problem::Required);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(Problem::TooLong);
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        let starts_well = name.starts_with(|c: char| c.is_ascii_alphanumeric());
        if name.len() < Self::MIN_CHARS || !starts_well || !name.chars().all(allowed) {
            return Err(Problem::InvalidLoginName);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn login_names_are_lowercased() {
        assert_eq!(LoginName::parse(" Jane.Doe ").unwrap().as_str(), "jane.doe");
    }

    #[test]
    fn login_names_refuse_at_signs_spaces_and_odd_starts() {
        for bad in ["jane@x", "ja ne", "_jane", "ab", "jäne", "-x-"] {
            assert_eq!(LoginName::parse(bad), Err(Problem::InvalidLoginName), "{bad}");
        }
    }

    #[test]
    fn person_names_accept_any_script_but_not_control_characters() {
        assert_eq!(PersonName::parse(" Zoë ").unwrap().as_str(), "Zoë");
        assert_eq!(PersonName::parse("渡辺").unwrap().as_str(), "渡辺");
        assert_eq!(PersonName::parse("a\u{0}b"), Err(Problem::ControlCharacters));
        assert_eq!(PersonName::parse(" "), Err(Problem::Required));
        assert_eq!(PersonName::parse(&"x".repeat(101)), Err(Problem::TooLong));
    }

    proptest! {
        #[test]
        fn a_parsed_login_name_parses_again_to_itself(input in "\\PC{0,80}") {
            if let Ok(name) = LoginName::parse(&input) {
                prop_assert_eq!(LoginName::parse(name.as_str()).unwrap(), name);
            }
        }

        #[test]
        fn person_name_parsing_never_panics_and_bounds_length(input in "\\PC*") {
            if let Ok(name) = PersonName::parse(&input) {
                prop_assert!(name.as_str().chars().count() <= PersonName::MAX_CHARS);
            }
        }
    }
}
