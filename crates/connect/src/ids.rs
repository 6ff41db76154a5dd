//! Identifiers and random values, from the system random generator (aws-lc-rs `SystemRandom`).

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::ConnectError;

/// `N` random bytes.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ConnectError> {
    let mut bytes = [0_u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ConnectError::Internal { cause: "random" })?;
    Ok(bytes)
}

/// A random UUID, version 4 (RFC 9562 §5.4), lower-case with hyphens: instance, user and
/// profile IDs look like AWS's (`178c75e4-b3de-4839-a6aa-e321ab3f3770`).
pub(crate) fn uuid_v4() -> Result<String, ConnectError> {
    let mut bytes = random_bytes::<16>()?;
    if let Some(version) = bytes.get_mut(6) {
        *version = (*version & 0x0f) | 0x40;
    }
    if let Some(variant) = bytes.get_mut(8) {
        *variant = (*variant & 0x3f) | 0x80;
    }
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

/// A random hex string of 16 bytes (token IDs).
pub(crate) fn token_id() -> Result<String, ConnectError> {
    Ok(random_bytes::<16>()?
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = uuid_v4().unwrap();
        let b = uuid_v4().unwrap();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 36);
            let groups: Vec<&str> = id.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(groups[2].starts_with('4'), "{id}");
            assert!(
                matches!(groups[3].chars().next(), Some('8' | '9' | 'a' | 'b')),
                "{id}"
            );
            assert!(id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
            assert_eq!(id, id.to_lowercase());
        }
    }
}
