//! Passwords: argon2id PHC strings (argon2's defaults: m = 19 MiB, t = 2, p = 1, the OWASP
//! recommendation; spec/crates.md). Verifying costs tens of milliseconds of CPU, so callers on
//! an async runtime run it on a blocking thread.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

/// Longest password accepted (argon2 would take more, but nobody types this much).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The argon2id PHC string of `password`, with a fresh 16-byte salt.
///
/// # Errors
/// When the password is empty or longer than [`MAX_PASSWORD_BYTES`], or hashing fails.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("a password is 1 to {MAX_PASSWORD_BYTES} bytes"));
    }
    let mut salt = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| "the system random generator failed")?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("hashing failed: {error}"))
}

/// Whether `password` matches `stored`. With no stored hash (unknown user) a fixed hash is
/// checked anyway, so both failures take the same time.
#[must_use]
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    /// The hash of a random password nobody knows (same parameters as real ones).
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let decoy = || {
        DECOY
            .get_or_init(|| {
                crate::memory::random_token()
                    .and_then(|secret| hash_password(&secret))
                    .unwrap_or_default()
            })
            .as_str()
    };
    let matched = Argon2::default()
        .verify_password(password.as_bytes(), stored.unwrap_or_else(decoy))
        .is_ok();
    matched && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let first = hash_password("correct horse").unwrap();
        let second = hash_password("correct horse").unwrap();
        assert!(first.starts_with("$argon2id$v=19$"), "{first}");
        assert_ne!(first, second);
        assert!(verify("correct horse", Some(&first)));
        assert!(!verify("Correct horse", Some(&first)));
        assert!(!verify("correct horse", None));
        assert!(!verify("x", Some("not a hash")));
        assert!(hash_password("").is_err());
    }
}
