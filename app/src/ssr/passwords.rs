//! argon2id hashing with OWASP parameters, off the async workers and bounded (SPEC S1).

use crate::{domain::Password, error::AppError};
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::SaltString,
};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    /// One hash per core at a time: bounds memory (19 MiB each) and keeps a login storm
    /// from starving the blocking pool.
    permits: Arc<Semaphore>,
    /// Verified against when the user is unknown, so both cases cost the same (S4).
    dummy_hash: Arc<str>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let dummy = hash_now(&Password::generated(super::tokens::new_token()))
            .expect("hashing a random password");
        Self { permits: Arc::new(Semaphore::new(cores)), dummy_hash: dummy.into() }
    }

    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.run(move || hash_now(&password)).await?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown user, or a user who
    /// never set one) it verifies against a dummy hash and answers `false`, taking as long.
    pub async fn verify(&self, password: Password, stored: Option<String>) -> Result<bool, AppError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok())
                    .unwrap_or(false)
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(super::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(super::internal)
    }
}

fn hash_now(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(super::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash(Password::generated("right password".into())).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(Password::generated("right password".into()), Some(hash.clone())).await.unwrap());
        assert!(!hasher.verify(Password::generated("wrong password".into()), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = PasswordHasher::new();
        assert!(!hasher.verify(Password::generated("anything".into()), None).await.unwrap());
    }
}
