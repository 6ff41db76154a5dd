//! Passwords of CONNECT_MANAGED users: the model's rule, and argon2id hashes (PHC strings).
//!
//! Rule (botocore `Password` pattern `^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}$`):
//! 8–64 characters without white space, with at least one lower-case letter, one upper-case
//! letter and one digit. Hashing uses argon2's defaults (argon2id, v19, m = 19 MiB, t = 2,
//! p = 1: the OWASP recommendation, spec/crates.md) with a 16-byte salt from the system random
//! generator. Hashing takes tens of milliseconds of CPU: callers on an async runtime run it
//! inline only for the rare administrative calls (`CreateUser`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

use crate::{ConnectError, ids};

/// Shortest password (model pattern).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password (model pattern).
pub const MAX_PASSWORD_CHARS: usize = 64;

/// Whether `password` satisfies the model's pattern.
pub(crate) fn acceptable(password: &str) -> bool {
    let count = password.chars().count();
    (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&count)
        && !password.chars().any(char::is_whitespace)
        && password.chars().any(|c| c.is_ascii_lowercase())
        && password.chars().any(|c| c.is_ascii_uppercase())
        && password.chars().any(|c| c.is_ascii_digit())
}

/// The argon2id PHC string of `password`.
pub(crate) fn hash(password: &str) -> Result<String, ConnectError> {
    let salt = ids::random_bytes::<16>()?;
    let hashed = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|_| ConnectError::Internal {
            cause: "password_hash",
        })?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the PHC string `stored` (constant-time comparison inside
/// argon2). A stored value that does not parse matches nothing.
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule_follows_the_model_pattern() {
        for good in [
            "Passw0rd",
            "aB3-----",
            "Zz9!Zz9!Zz9!",
            &format!("aB3{}", "x".repeat(61)),
        ] {
            assert!(acceptable(good), "{good}");
        }
        for bad in [
            "Passw0r",                         // 7 characters
            "password1",                       // no upper case
            "PASSWORD1",                       // no lower case
            "Password",                        // no digit
            "Pass w0rd",                       // white space
            &format!("aB3{}", "x".repeat(62)), // 65 characters
        ] {
            assert!(!acceptable(bad), "{bad}");
        }
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let first = hash("Passw0rd").unwrap();
        let second = hash("Passw0rd").unwrap();
        assert!(first.starts_with("$argon2id$v=19$"), "{first}");
        assert_ne!(first, second, "a fresh salt per hash");
        assert!(verify("Passw0rd", &first));
        assert!(!verify("Passw0rD", &first));
        assert!(!verify("Passw0rd", "not a phc string"));
    }
}
