//! Temporary access key ids and secret access keys, from aws-lc-rs's system generator.

use base64::Engine as _;

use crate::{Secret, StsError};

/// Prefix of temporary (STS) access key ids (AWS unique-ID prefix table).
pub(crate) const TEMPORARY_KEY_PREFIX: &str = "ASIA";
/// The base32 alphabet AWS key ids are written in.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Random characters after the prefix: 16 × 5 bits = 80 bits, as long as AWS key ids (20).
const KEY_ID_RANDOM_CHARS: usize = 16;
/// Random bytes of a secret key: 30 bytes are 40 base64 characters, AWS's length.
const SECRET_KEY_BYTES: usize = 30;

/// `ASIA` + 16 uniformly random characters of `A–Z2–7`. Ours: AWS embeds the account id in
/// its key ids (undocumented, spec §2.3); fedgate's are fully random.
pub(crate) fn access_key_id() -> Result<String, StsError> {
    let mut random = [0_u8; KEY_ID_RANDOM_CHARS];
    fill(&mut random)?;
    let mut id = String::with_capacity(TEMPORARY_KEY_PREFIX.len() + KEY_ID_RANDOM_CHARS);
    id.push_str(TEMPORARY_KEY_PREFIX);
    // 256 is a multiple of 32, so `byte % 32` is uniform.
    id.extend(
        random
            .iter()
            .map(|byte| char::from(BASE32.get(usize::from(byte % 32)).copied().unwrap_or(b'A'))),
    );
    Ok(id)
}

/// 40 characters of standard base64 over 240 random bits.
pub(crate) fn secret_access_key() -> Result<Secret<String>, StsError> {
    let mut random = [0_u8; SECRET_KEY_BYTES];
    fill(&mut random)?;
    Ok(Secret::new(
        base64::engine::general_purpose::STANDARD.encode(random),
    ))
}

fn fill(buffer: &mut [u8]) -> Result<(), StsError> {
    aws_lc_rs::rand::fill(buffer).map_err(|_| StsError::Internal {
        cause: "random_unavailable",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_look_like_aws_temporary_keys() {
        let first = access_key_id().unwrap();
        assert_eq!(first.len(), 20);
        assert!(first.starts_with("ASIA"));
        assert!(first[4..].bytes().all(|b| BASE32.contains(&b)));
        assert_ne!(first, access_key_id().unwrap());
    }

    #[test]
    fn secret_keys_are_40_base64_characters() {
        let secret = secret_access_key().unwrap();
        assert_eq!(secret.expose().len(), 40);
        assert!(
            secret
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
    }
}
