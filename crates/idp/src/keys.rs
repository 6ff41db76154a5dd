//! The IdP's signing key and self-signed certificate: created on first start in the data
//! directory (`signing-key.pem`, mode 0600, and `signing-cert.pem`), read on every later one.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use fedgate_dsig::SigningKey;

use crate::config::KeyType;

/// The private key file in the data directory.
pub const KEY_FILE: &str = "signing-key.pem";
/// The certificate file in the data directory.
pub const CERT_FILE: &str = "signing-cert.pem";

/// A loaded signing key with its certificate.
#[derive(Debug)]
pub struct Keys {
    /// Signs assertions and responses.
    pub signing_key: SigningKey,
    /// The certificate (DER), published in the metadata.
    pub certificate_der: Vec<u8>,
    /// The certificate (PEM), for operators.
    pub certificate_pem: String,
    /// Whether this start created them.
    pub created: bool,
}

/// Reads the key and certificate from `dir`, creating both (and `dir`) when neither exists.
///
/// # Errors
/// A message when only one of the files exists, either is unreadable, the key does not load,
/// or the directory cannot be written.
pub fn load_or_create(
    dir: &Path,
    key_type: KeyType,
    common_name: &str,
    now: time::OffsetDateTime,
) -> Result<Keys, String> {
    let key_path = dir.join(KEY_FILE);
    let cert_path = dir.join(CERT_FILE);
    let created = match (key_path.exists(), cert_path.exists()) {
        (true, true) => false,
        (false, false) => {
            create(dir, &key_path, &cert_path, key_type, common_name, now)?;
            true
        }
        _ => {
            return Err(format!(
                "{} holds only one of {KEY_FILE} and {CERT_FILE}: restore the other, or remove both to create a new key",
                dir.display()
            ));
        }
    };
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))
    };
    let key_pem = read(&key_path)?;
    let certificate_pem = read(&cert_path)?;
    let signing_key = SigningKey::from_pem(&key_pem, &certificate_pem)
        .map_err(|error| format!("{}: {error}", key_path.display()))?;
    let certificate_der = signing_key.certificate_der().to_vec();
    Ok(Keys {
        signing_key,
        certificate_der,
        certificate_pem,
        created,
    })
}

fn create(
    dir: &Path,
    key_path: &Path,
    cert_path: &Path,
    key_type: KeyType,
    common_name: &str,
    now: time::OffsetDateTime,
) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    let failed = |error: rcgen::Error| format!("cannot create the signing key: {error}");
    let key_pair = match key_type {
        KeyType::Rsa2048 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        }
        KeyType::P256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    }
    .map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "fedgate built-in IdP");
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(10 * 365);
    let certificate = params.self_signed(&key_pair).map_err(failed)?;
    // The key first and alone, so a crash between the two writes leaves the "only one of"
    // state that refuses to start, never a certificate without its key published.
    write_new(key_path, key_pair.serialize_pem().as_bytes(), 0o600)?;
    write_new(cert_path, certificate.pem().as_bytes(), 0o644)
}

/// Writes a file that must not exist yet, with `mode`, through a temporary name.
fn write_new(path: &Path, content: &[u8], mode: u32) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    let failed = |error: std::io::Error| format!("cannot write {}: {error}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .map_err(failed)?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(failed)?;
    file.write_all(content).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-12-04 12:00 UTC)
    }

    #[test]
    fn keys_are_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        for key_type in [KeyType::Rsa2048, KeyType::P256] {
            let sub = dir.path().join(format!("{key_type:?}"));
            let first = load_or_create(&sub, key_type, "idp.test", now()).unwrap();
            assert!(first.created);
            let mode = std::fs::metadata(sub.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let second = load_or_create(&sub, key_type, "idp.test", now()).unwrap();
            assert!(!second.created);
            assert_eq!(first.certificate_der, second.certificate_der);
        }
    }

    #[test]
    fn a_lone_key_or_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path(), KeyType::P256, "idp.test", now()).unwrap();
        std::fs::remove_file(dir.path().join(CERT_FILE)).unwrap();
        let error = load_or_create(dir.path(), KeyType::P256, "idp.test", now()).unwrap_err();
        assert!(error.contains("only one of"), "{error}");
    }
}
