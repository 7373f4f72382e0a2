//! The readable codes people type: a company's public Partner ID (`PT-7KQ2-M9XD`) and its
//! secret account key (`AK-` and seven groups). Typing is forgiving: case, spaces and missing
//! dashes are all accepted, and the canonical form is what gets compared.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// Letters and digits people can read aloud without confusion (no 0/O, 1/I/L).
pub const READABLE: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `prefix` then `groups` groups of four readable characters, dash-separated.
fn canonical(input: &str, prefix: &str, groups: usize, invalid: Problem) -> Result<String, Problem> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.is_empty() {
        return Err(Problem::Required);
    }
    let body = compact.strip_prefix(prefix).ok_or(invalid)?;
    if body.len() != groups * 4 || !body.bytes().all(|b| READABLE.contains(&b)) {
        return Err(invalid);
    }
    let mut code = prefix.to_owned();
    for group in body.as_bytes().chunks(4) {
        code.push('-');
        code.push_str(std::str::from_utf8(group).map_err(|_| invalid)?);
    }
    Ok(code)
}

/// A company's public identifier, given to customers who want to invite it as their partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerId(String);

impl PartnerId {
    pub const PREFIX: &'static str = "PT";
    pub const GROUPS: usize = 2;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        canonical(input, Self::PREFIX, Self::GROUPS, Problem::InvalidPartnerId).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The secret that lets a person join a company (F2). 138 random bits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountKey(String);

impl AccountKey {
    pub const PREFIX: &'static str = "AK";
    pub const GROUPS: usize = 7;

    pub fn parse(input: &str) -> Result<Self, Problem> {
        canonical(input, Self::PREFIX, Self::GROUPS, Problem::InvalidAccountKey).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key is a secret: it never appears in logs through `Debug`.
impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn partner_ids_are_read_forgivingly() {
        assert_eq!(PartnerId::parse(" pt-7kq2-m9xd ").unwrap().as_str(), "PT-7KQ2-M9XD");
        assert_eq!(PartnerId::parse("PT7KQ2M9XD").unwrap().as_str(), "PT-7KQ2-M9XD");
        assert_eq!(PartnerId::parse(""), Err(Problem::Required));
        assert_eq!(PartnerId::parse("PT-7KQ2-M9X0"), Err(Problem::InvalidPartnerId), "0 is not readable");
        assert_eq!(PartnerId::parse("AK-7KQ2-M9XD"), Err(Problem::InvalidPartnerId));
    }

    #[test]
    fn account_keys_hide_in_debug_output() {
        let key = AccountKey::parse("AK-2345-6789-ABCD-EFGH-JKMN-PQRS-TUVW").unwrap();
        assert_eq!(format!("{key:?}"), "AccountKey(…)");
        assert_eq!(AccountKey::parse("AK-2345"), Err(Problem::InvalidAccountKey));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_canonical_forms_parse_to_themselves(input in ".{0,64}") {
            if let Ok(id) = PartnerId::parse(&input) {
                prop_assert_eq!(PartnerId::parse(id.as_str()).unwrap(), id);
            }
            if let Ok(key) = AccountKey::parse(&input) {
                prop_assert_eq!(AccountKey::parse(key.as_str()).unwrap(), key);
            }
        }
    }
}
