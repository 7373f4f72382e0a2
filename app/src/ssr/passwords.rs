//! argon2id hashing with OWASP parameters (SPEC S1, S8, P4): a fixed pool of hashing threads,
//! one per core, fed by a bounded queue. Unauthenticated work that finds the queue full is
//! refused at once (503 with `Retry-After`) instead of piling up; signed-in work waits its turn.
//! Each thread keeps its 19 MiB of argon2 memory while work is queued and frees it when idle,
//! so a storm runs without allocating and an idle server holds none of it.

use crate::{domain::Password, error::AppError};
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, SaltString},
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
    mpsc,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;
const OUTPUT_LEN: usize = 32;
/// What a refused caller is told to wait: about the time the queue takes to drain.
const RETRY_AFTER_SECS: u64 = 1;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_LEN)).expect("valid argon2 params")
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// One thread's argon2 working memory, allocated on first use and kept while work is queued.
#[derive(Default)]
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0 = vec![Block::default(); count];
        }
        &mut self.0[..count]
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    /// A slot per job the queue may hold (running or waiting); beyond it, unauthenticated
    /// work is refused.
    slots: Arc<Semaphore>,
    /// Sign-ups may hold at most half the slots, so a flood of them leaves room for sign-ins.
    sign_up_slots: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    /// Jobs sent but not yet taken by a thread: a thread that finds none frees its memory.
    queued: Arc<AtomicUsize>,
    /// Verified against when the user is unknown, so both cases cost the same (S4).
    dummy_hash: Arc<str>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(default_queue_len())
    }
}

/// Sixteen jobs per core: at ~18 hashes per core-second, about a second of work.
pub fn default_queue_len() -> usize {
    cores() * 16
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

impl PasswordHasher {
    /// A pool of one hashing thread per core and a queue of `queue_len` jobs.
    pub fn new(queue_len: usize) -> Self {
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let queued = Arc::new(AtomicUsize::new(0));
        for n in 0..cores() {
            let (receiver, queued) = (receiver.clone(), queued.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&receiver, &queued))
                .expect("starting a hashing thread");
        }
        let dummy = hash_with(&mut Memory::default(), &Password::generated(super::tokens::new_token().expose().to_owned()))
            .expect("hashing a random password");
        let queue_len = queue_len.max(1);
        Self {
            slots: Arc::new(Semaphore::new(queue_len)),
            sign_up_slots: Arc::new(Semaphore::new(queue_len.div_ceil(2))),
            jobs,
            queued,
            dummy_hash: dummy.into(),
        }
    }

    /// A place in the queue for a sign-up: within the sign-ups' half of the queue, else
    /// `Overloaded`.
    pub fn admit_sign_up(&self) -> Result<Admitted, AppError> {
        let overloaded = || AppError::Overloaded { retry_after_secs: RETRY_AFTER_SECS };
        let share = self.sign_up_slots.clone().try_acquire_owned().map_err(|_| overloaded())?;
        let mut admitted = self.admit_unauthenticated()?;
        admitted._sign_up_share = Some(share);
        Ok(admitted)
    }

    /// A place in the queue for unauthenticated work, or `Overloaded` when it is full.
    pub fn admit_unauthenticated(&self) -> Result<Admitted, AppError> {
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => Ok(Admitted { hasher: self.clone(), _slot: slot, _sign_up_share: None }),
            Err(_) => Err(AppError::Overloaded { retry_after_secs: RETRY_AFTER_SECS }),
        }
    }

    /// A place in the queue for a signed-in user's work, waiting for one if need be.
    pub async fn admit(&self) -> Result<Admitted, AppError> {
        let slot = self.slots.clone().acquire_owned().await.map_err(super::internal)?;
        Ok(Admitted { hasher: self.clone(), _slot: slot, _sign_up_share: None })
    }

    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.admit().await?.hash(password).await
    }

    pub async fn verify(&self, password: Password, stored: Option<String>) -> Result<bool, AppError> {
        self.admit().await?.verify(password, stored).await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Memory) -> T + Send + 'static) -> Result<T, AppError> {
        let (answer, answered) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::SeqCst);
        let job: Job = Box::new(move |memory| {
            let _ = answer.send(work(memory));
        });
        self.jobs.send(job).map_err(super::internal)?;
        answered.await.map_err(super::internal)
    }
}

/// A job's place in the queue: hashing through it keeps the place until the hash is done.
pub struct Admitted {
    hasher: PasswordHasher,
    _slot: OwnedSemaphorePermit,
    _sign_up_share: Option<OwnedSemaphorePermit>,
}

impl Admitted {
    pub async fn hash(self, password: Password) -> Result<String, AppError> {
        self.hasher.run(move |memory| hash_with(memory, &password)).await?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown user, or a user who
    /// never set one) it verifies against a dummy hash and answers `false`, taking as long.
    pub async fn verify(self, password: Password, stored: Option<String>) -> Result<bool, AppError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.hasher.dummy_hash.to_string());
        let matches = self.hasher.run(move |memory| verify_with(memory, &password, &hash)).await?;
        Ok(known && matches)
    }
}

/// A hashing thread: takes jobs until the hasher is gone, keeping its memory while more wait.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>, queued: &AtomicUsize) {
    let mut memory = Memory::default();
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        queued.fetch_sub(1, Ordering::SeqCst);
        job(&mut memory);
        if queued.load(Ordering::SeqCst) == 0 {
            memory = Memory::default();
        }
    }
}

fn hash_with(memory: &mut Memory, password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(super::internal)?;
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let blocks = memory.blocks(params.block_count());
    let output = Output::init_with(OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(password.expose().as_bytes(), salt_bytes, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(super::internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(super::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Recomputes the stored hash's output with its own parameters (older hashes may differ from
/// today's) and compares in constant time. Anything unparsable simply does not match.
fn verify_with(memory: &mut Memory, password: &Password, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let version = parsed.version.map(Version::try_from).unwrap_or(Ok(Version::V0x13));
    let Ok(version) = version else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let blocks = memory.blocks(params.block_count());
    Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password.expose().as_bytes(), salt_bytes, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::default();
        let hash = hasher.hash(Password::generated("right password".into())).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(Password::generated("right password".into()), Some(hash.clone())).await.unwrap());
        assert!(!hasher.verify(Password::generated("wrong password".into()), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn sign_ups_hold_at_most_half_the_queue_so_sign_ins_still_get_in() {
        let hasher = PasswordHasher::new(4);
        let overloaded = |admitted: Result<Admitted, AppError>| matches!(admitted, Err(AppError::Overloaded { .. }));
        let sign_ups: Vec<_> = (0..2).map(|_| hasher.admit_sign_up().unwrap()).collect();
        assert!(overloaded(hasher.admit_sign_up()), "a third sign-up waits for its half");
        let sign_ins: Vec<_> = (0..2).map(|_| hasher.admit_unauthenticated().unwrap()).collect();
        assert!(overloaded(hasher.admit_unauthenticated()), "the queue is full");
        drop(sign_ins);
        assert!(overloaded(hasher.admit_sign_up()), "sign-ins' room is not the sign-ups'");
        drop(sign_ups);
        assert!(hasher.admit_sign_up().is_ok());
    }

    #[tokio::test]
    async fn hashes_agree_with_the_reference_implementation_both_ways() {
        let hasher = PasswordHasher::default();
        let ours = hasher.hash(Password::generated("shared secret".into())).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"shared secret", &parsed).is_ok());
        // A hash made elsewhere with other parameters (an older installation) still verifies.
        let theirs = argon2::PasswordHasher::hash_password(
            &Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 3, 1, None).unwrap()),
            b"shared secret",
            &SaltString::generate(&mut rand::rngs::OsRng),
        )
        .unwrap()
        .to_string();
        assert!(hasher.verify(Password::generated("shared secret".into()), Some(theirs.clone())).await.unwrap());
        assert!(!hasher.verify(Password::generated("other".into()), Some(theirs)).await.unwrap());
        assert!(!hasher.verify(Password::generated("x".into()), Some("not a hash".into())).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = PasswordHasher::default();
        assert!(!hasher.verify(Password::generated("anything".into()), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_unauthenticated_work_and_frees_as_jobs_finish() {
        let hasher = PasswordHasher::new(2);
        let first = hasher.admit_unauthenticated().unwrap();
        let _second = hasher.admit_unauthenticated().unwrap();
        assert!(matches!(hasher.admit_unauthenticated(), Err(AppError::Overloaded { retry_after_secs: 1 })));
        first.verify(Password::generated("x".into()), None).await.unwrap();
        assert!(hasher.admit_unauthenticated().is_ok(), "a finished job gives its place back");
    }
}
