//! Unique ids and secrets, from the system random generator (aws-lc-rs `SystemRandom`).

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use fedgate_store::{Secret, StoreError};

use crate::IamError;

/// The base32 alphabet AWS unique ids use after their prefix (`A–Z`, `2–7`).
const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Characters after the 4-character prefix of `AROA…`/`ANPA…`/`AKIA…` ids (21 in all, as AWS).
const ID_SUFFIX_CHARS: usize = 17;

/// Characters of a `SAMLProviderUUID` (model: 22–64 of `[A-Z0-9]`).
const PROVIDER_UUID_CHARS: usize = 26;

/// `N` random bytes.
pub(crate) fn random_bytes<const N: usize>() -> Result<Secret<[u8; N]>, IamError> {
    let mut bytes = [0_u8; N];
    SystemRandom::new().fill(&mut bytes).map_err(|_| {
        IamError::Store(StoreError::MasterKey {
            detail: "the system random generator failed".to_owned(),
        })
    })?;
    Ok(Secret::new(bytes))
}

fn base32(count: usize) -> Result<String, IamError> {
    // 32 random bytes cover up to 32 characters; each byte's low 5 bits pick one (unbiased:
    // 256 is a multiple of 32).
    let bytes = random_bytes::<32>()?;
    Ok(bytes
        .expose()
        .iter()
        .take(count)
        .filter_map(|byte| ID_ALPHABET.get(usize::from(byte & 0x1f)))
        .map(|&c| char::from(c))
        .collect())
}

/// `prefix` followed by 17 random characters of `A–Z2–7` (21 characters, as AWS's role and
/// policy unique IDs).
pub(crate) fn unique_id(prefix: &str) -> Result<String, IamError> {
    Ok(format!("{prefix}{}", base32(ID_SUFFIX_CHARS)?))
}

/// A long-term access key ID: `AKIA` and 16 characters of `A–Z2–7` (20 characters, as AWS's).
pub(crate) fn access_key_id() -> Result<String, IamError> {
    Ok(format!("AKIA{}", base32(ACCESS_KEY_SUFFIX_CHARS)?))
}

/// Random characters after `AKIA` in an access key ID.
const ACCESS_KEY_SUFFIX_CHARS: usize = 16;

/// A `SAMLProviderUUID`: 26 characters of `A–Z2–7` (a subset of the model's `[A-Z0-9]`).
pub(crate) fn provider_uuid() -> Result<String, IamError> {
    base32(PROVIDER_UUID_CHARS)
}

/// A 40-character secret access key (30 random bytes, base64), like AWS's.
pub(crate) fn secret_access_key() -> Result<Secret<String>, IamError> {
    use base64::Engine;
    let bytes = random_bytes::<30>()?;
    Ok(Secret::new(
        base64::engine::general_purpose::STANDARD.encode(bytes.expose()),
    ))
}
