//! Random secrets and their at-rest hashes (SPEC S2).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{Rng, RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};

/// A token that grants something (a session, a link, a ceremony). It never prints: `Debug`
/// shows `Secret(…)` and there is no `Display`, so it cannot reach a log or an error by
/// accident; `expose` is the one way to its text, for the cookie or the link that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps instead of the token.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// 256 random bits, URL-safe.
pub fn new_token() -> Secret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Secret(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps instead of a token. SHA-256 suffices: tokens are random, not
/// guessable passwords, so no slow hash is needed.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

use crate::domain::READABLE;

/// `groups` groups of four readable characters joined by dashes, after `prefix`.
pub fn readable_code(prefix: &str, groups: usize) -> String {
    let mut code = String::from(prefix);
    for _ in 0..groups {
        code.push('-');
        for _ in 0..4 {
            code.push(READABLE[OsRng.gen_range(0..READABLE.len())] as char);
        }
    }
    code
}

/// A temporary password: 16 readable characters (79 bits), typed once then replaced.
pub fn temporary_password() -> String {
    readable_code("", 4).trim_start_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_long_enough() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
    }

    #[test]
    fn secrets_never_print() {
        let token = new_token();
        let printed = format!("{token:?} {:?}", Some(&token));
        assert!(!printed.contains(token.expose()), "{printed}");
        assert_eq!(token.hash(), hash_token(token.expose()));
    }

    #[test]
    fn readable_codes_have_the_partner_id_shape() {
        let code = readable_code("PT", 2);
        assert_eq!(code.len(), "PT-7KQ2-M9XD".len());
        assert!(code[3..].chars().all(|c| c == '-' || READABLE.contains(&(c as u8))));
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(hash_token("x"), hash_token("x"));
        assert_eq!(hash_token("x").len(), 64);
    }
}
