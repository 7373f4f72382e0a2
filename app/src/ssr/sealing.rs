//! Secrets kept encrypted at rest (SPEC F15: TOTP secrets). XChaCha20-Poly1305 with a key
//! from configuration; each sealed value names what it belongs to (associated data), so a
//! value copied to another row does not open there.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    Key, XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use std::{fmt, path::Path};

const NONCE_LEN: usize = 24;

/// The key that seals and opens secrets. Never printed.
#[derive(Clone)]
pub struct SealingKey(Key);

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl Default for SealingKey {
    /// A fresh random key: what tests and benches use. A server reads its key with `load`.
    fn default() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng))
    }
}

impl SealingKey {
    /// The key from `configured` (base64 of 32 bytes, e.g. `PORTICO_SECRET_KEY`), else from
    /// `file`, which is created with a new random key (readable by its owner only) when absent.
    pub fn load(configured: Option<&str>, file: &Path) -> Result<Self, String> {
        if let Some(text) = configured {
            return Self::decode(text).map_err(|e| format!("PORTICO_SECRET_KEY: {e}"));
        }
        match std::fs::read_to_string(file) {
            Ok(text) => Self::decode(&text).map_err(|e| format!("{}: {e}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::default();
                write_private(file, &format!("{}\n", STANDARD.encode(key.0)))
                    .map_err(|e| format!("cannot write the secret key to {}: {e}", file.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!("cannot read {}: {e}", file.display())),
        }
    }

    fn decode(text: &str) -> Result<Self, &'static str> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "not base64")?;
        if bytes.len() != 32 {
            return Err("the key must be 32 bytes (44 base64 characters)");
        }
        Ok(Self(*Key::from_slice(&bytes)))
    }

    /// `secret` encrypted for `owner` (e.g. `totp:42`): nonce then ciphertext.
    pub fn seal(&self, owner: &str, secret: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = XChaCha20Poly1305::new(&self.0)
            .encrypt(&nonce, Payload { msg: secret, aad: owner.as_bytes() })
            .expect("encryption into a Vec cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The secret sealed for `owner`, or `None` when it was sealed with another key or for
    /// another owner, or was altered.
    pub fn open(&self, owner: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(&self.0)
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: owner.as_bytes() })
            .ok()
    }
}

#[cfg(unix)]
fn write_private(file: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    // create_new: two instances starting at once cannot both write a different key.
    let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file)?;
    out.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(file: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new().write(true).create_new(true).open(file)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_owner() {
        let key = SealingKey::default();
        let sealed = key.seal("totp:1", b"twenty bytes secret!");
        assert_eq!(key.open("totp:1", &sealed).as_deref(), Some(&b"twenty bytes secret!"[..]));
        assert_eq!(key.open("totp:2", &sealed), None, "another owner");
        assert_eq!(SealingKey::default().open("totp:1", &sealed), None, "another key");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open("totp:1", &altered), None, "altered");
        assert_ne!(key.seal("totp:1", b"same"), key.seal("totp:1", b"same"), "fresh nonce each time");
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("portico-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret.key");
        let _ = std::fs::remove_file(&file);
        let first = SealingKey::load(None, &file).unwrap();
        let again = SealingKey::load(None, &file).unwrap();
        assert_eq!(again.open("x", &first.seal("x", b"s")).as_deref(), Some(&b"s"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(SealingKey::load(Some("short"), &file).is_err());
        let configured = STANDARD.encode([7u8; 32]);
        assert!(SealingKey::load(Some(&configured), &file).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
