//! Passwords in transit: length rules (F1), and never printed.

use crate::error::Problem;

/// A password in transit. Its `Debug` is redacted so it cannot reach a log by accident (S7);
/// it is deliberately not `Serialize`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Bounded so hashing cost stays predictable.
    pub const MAX_CHARS: usize = 256;

    /// A password someone chooses: the policy applies. `identity` lists the user's own login
    /// name and e-mail, which a password may not contain.
    pub fn choose(input: &str, identity: &[&str]) -> Result<Self, Problem> {
        let count = input.chars().count();
        if count == 0 {
            return Err(Problem::Required);
        }
        if count < Self::MIN_CHARS {
            return Err(Problem::PasswordTooShort);
        }
        if count > Self::MAX_CHARS {
            return Err(Problem::PasswordTooLong);
        }
        let lowered = input.to_lowercase();
        if identity.iter().any(|id| id.len() >= 3 && lowered.contains(&id.to_lowercase())) {
            return Err(Problem::PasswordContainsIdentity);
        }
        Ok(Self(input.to_owned()))
    }

    /// A password someone types to prove who they are: no policy (it may predate the current
    /// one), only the bounds that keep hashing cheap.
    pub fn attempt(input: &str) -> Result<Self, Problem> {
        match input.chars().count() {
            0 => Err(Problem::Required),
            n if n > Self::MAX_CHARS => Err(Problem::PasswordTooLong),
            _ => Ok(Self(input.to_owned())),
        }
    }

    /// Wraps a password the server generated itself (temporary passwords).
    pub fn generated(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let password = Password::choose("correct horse battery", &[]).unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }

    #[test]
    fn the_policy_refuses_short_long_and_identity_passwords() {
        assert_eq!(Password::choose("short", &[]).unwrap_err(), Problem::PasswordTooShort);
        assert_eq!(Password::choose(&"x".repeat(257), &[]).unwrap_err(), Problem::PasswordTooLong);
        assert_eq!(
            Password::choose("my-JaneDoe-2026!", &["janedoe"]).unwrap_err(),
            Problem::PasswordContainsIdentity
        );
        assert!(Password::choose("ten chars!", &["janedoe"]).is_ok());
    }

    #[test]
    fn login_attempts_skip_the_policy_but_keep_the_bounds() {
        assert!(Password::attempt("short").is_ok());
        assert_eq!(Password::attempt("").unwrap_err(), Problem::Required);
        assert_eq!(Password::attempt(&"x".repeat(300)).unwrap_err(), Problem::PasswordTooLong);
    }

    proptest! {
        /// A password the policy accepts can always be typed again to sign in, and the bounds hold.
        #[test]
        fn a_chosen_password_is_a_valid_attempt(input in "\\PC{0,300}") {
            if let Ok(chosen) = Password::choose(&input, &["janedoe"]) {
                prop_assert!(Password::attempt(chosen.expose()).is_ok());
                let count = input.chars().count();
                prop_assert!((Password::MIN_CHARS..=Password::MAX_CHARS).contains(&count));
            }
        }
    }
}
