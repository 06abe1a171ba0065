//! Passwords with argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Context, Result};

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 256;

/// At most this many hashes run at once: each takes 19 MiB, and a flood of logins
/// must not exhaust memory or the blocking pool.
const CONCURRENT_HASHES: usize = 4;

fn permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);
    &PERMITS
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on a blocking thread: argon2 is deliberately slow.
pub async fn hash(password: String) -> Result<String> {
    let _permit = permits()
        .acquire()
        .await
        .context("waiting for the password hasher")?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
    .await
    .context("joining the password hasher")?
    .context("hashing a password")
}

/// A hash of a random password nobody knows, verified when the account does not exist
/// so that login takes the same time either way.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).ok();
        let password: [u8; 32] = rand::random();
        salt.and_then(|salt| {
            argon2()
                .hash_password(&password, &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
    })
}

/// Verifies `password` against `hash` (or against a dummy when there is no account).
pub async fn verify(password: String, hash: Option<String>) -> Result<bool> {
    let _permit = permits()
        .acquire()
        .await
        .context("waiting for the password verifier")?;
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored: &str = match &hash {
            Some(h) => h,
            None => dummy_hash(),
        };
        let ok = PasswordHash::new(stored)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .context("joining the password verifier")
}
