//! E-mail addresses in their canonical form (I2: one user per address).

use crate::error::Problem;
use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// An e-mail address in canonical form: the local part exactly as given, the domain in lower
/// case (SPEC F3: `name+a@example.com` and `name+b@example.com` are different people, while
/// `Name@Example.COM` and `Name@example.com` are the same).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// RFC 5321 limits a path to 254 characters.
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Problem::Required);
        }
        if input.len() > Self::MAX_LEN {
            return Err(Problem::TooLong);
        }
        let options = Options::default().without_display_text().without_domain_literal();
        let address = EmailAddress::parse_with_options(input, options)
            .map_err(|_| Problem::InvalidEmail)?;
        // A dot in the domain: `root@localhost` is valid RFC but never a deliverable address here.
        if !address.domain().contains('.') {
            return Err(Problem::InvalidEmail);
        }
        Ok(Self(format!("{}@{}", address.local_part(), address.domain().to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = Problem;
    fn from_str(s: &str) -> Result<Self, Problem> {
        Self::parse(s)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_is_lowercased_and_the_local_part_kept() {
        let email = Email::parse("  Jane.Doe+Portal1@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Jane.Doe+Portal1@example.com");
    }

    #[test]
    fn plus_suffixes_make_different_addresses() {
        assert_ne!(
            Email::parse("name+portal1@example.com").unwrap(),
            Email::parse("name+portal2@example.com").unwrap()
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in ["plain", "a@", "@b.com", "a b@c.com", "Jane <jane@x.com>", "x@localhost", "a@[1.2.3.4]"] {
            assert_eq!(Email::parse(bad), Err(Problem::InvalidEmail), "{bad}");
        }
        assert_eq!(Email::parse("   "), Err(Problem::Required));
        assert_eq!(Email::parse(&format!("{}@example.com", "a".repeat(250))), Err(Problem::TooLong));
    }

    proptest! {
        /// Canonical form is a fixed point: parsing a parsed address changes nothing.
        #[test]
        fn a_parsed_address_parses_again_to_itself(input in "[A-Za-z0-9.+_-]{1,20}@[A-Za-z0-9-]{1,12}\\.[A-Za-z]{2,6}|\\PC{0,40}") {
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
                prop_assert!(email.as_str().len() <= Email::MAX_LEN);
                prop_assert!(!email.as_str().chars().any(char::is_control));
            }
        }
    }
}
