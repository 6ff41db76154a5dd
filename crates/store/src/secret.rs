//! Secrets at rest: [`MasterKey`] and [`SecretBox`] (AES-256-GCM); opened values come back in
//! the redacting [`Secret`] (`fedgate_model::Secret`, the one of fedgate).
//!
//! Sealed format: `nonce (12 bytes) || ciphertext || tag (16 bytes)`, stored base64 in TEXT
//! columns. The associated data is the row's key (an access key id, `service-key:<name>`), so a
//! ciphertext copied into another row does not open.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::{Secret, StoreError};

/// Length of the master key in bytes (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Length of the GCM tag appended to each sealed value.
const TAG_LEN: usize = 16;

/// The environment variable [`MasterKey::from_env_base64`] reads.
pub const MASTER_KEY_ENV: &str = "FEDGATE_MASTER_KEY";

/// The key that seals every secret at rest.
///
/// 32 random bytes, from `<data-dir>/master.key` (mode 0600) or `FEDGATE_MASTER_KEY` (base64).
/// Losing it makes stored access keys and the session-token key unreadable; leaking it exposes
/// them.
#[derive(Clone)]
pub struct MasterKey([u8; MASTER_KEY_LEN]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// A master key from its bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random master key.
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] when the system random generator fails.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0_u8; MASTER_KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| StoreError::MasterKey {
                detail: "the system random generator failed".to_owned(),
            })?;
        Ok(Self(bytes))
    }

    /// A master key from base64 text (32 bytes once decoded).
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] when the text is not base64 or not 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| StoreError::MasterKey {
                detail: "not valid base64".to_owned(),
            })?;
        let bytes: [u8; MASTER_KEY_LEN] =
            bytes
                .try_into()
                .map_err(|bytes: Vec<u8>| StoreError::MasterKey {
                    detail: format!("{} bytes, expected {MASTER_KEY_LEN}", bytes.len()),
                })?;
        Ok(Self(bytes))
    }

    /// The master key from `FEDGATE_MASTER_KEY` (base64), or `None` when it is not set.
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] when it is set but unusable.
    pub fn from_env_base64() -> Result<Option<Self>, StoreError> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(text) => Self::from_base64(&text).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::MasterKey {
                detail: format!("{MASTER_KEY_ENV} is not valid unicode"),
            }),
        }
    }

    /// Loads the master key from `path`, creating it (32 random bytes, mode 0600) when absent.
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] when the file is not exactly 32 bytes or is readable or
    /// writable by group or others; [`StoreError::Io`] on file errors.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        let io = |error: std::io::Error| StoreError::Io {
            path: path.to_path_buf(),
            detail: error.to_string(),
        };
        match std::fs::metadata(path) {
            Ok(_) => Self::load(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(&key.0).map_err(io)?;
                        file.sync_all().map_err(io)?;
                        Ok(key)
                    }
                    // Another process created it first: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load(path)
                    }
                    Err(error) => Err(io(error)),
                }
            }
            Err(error) => Err(io(error)),
        }
    }

    fn load(path: &Path) -> Result<Self, StoreError> {
        let io = |error: std::io::Error| StoreError::Io {
            path: path.to_path_buf(),
            detail: error.to_string(),
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let metadata = file.metadata().map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(StoreError::MasterKey {
                    detail: format!(
                        "{} has mode {mode:04o}; it must not be accessible to group or others \
                         (chmod 600)",
                        path.display()
                    ),
                });
            }
        }
        if metadata.len() != MASTER_KEY_LEN as u64 {
            return Err(StoreError::MasterKey {
                detail: format!(
                    "{} is {} bytes, expected {MASTER_KEY_LEN}",
                    path.display(),
                    metadata.len()
                ),
            });
        }
        let mut bytes = [0_u8; MASTER_KEY_LEN];
        file.read_exact(&mut bytes).map_err(io)?;
        Ok(Self(bytes))
    }
}

/// Seals and opens secrets under the master key (AES-256-GCM, random 96-bit nonce per value).
pub struct SecretBox {
    key: LessSafeKey,
    random: SystemRandom,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    /// A box sealing under `master`.
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] if the AEAD key cannot be built.
    pub fn new(master: &MasterKey) -> Result<Self, StoreError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, &master.0).map_err(|_| StoreError::MasterKey {
                detail: "not a usable aes-256 key".to_owned(),
            })?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            random: SystemRandom::new(),
        })
    }

    /// Seals `plaintext` bound to `associated_data` (the row key); returns base64 text.
    ///
    /// # Errors
    /// [`StoreError::MasterKey`] when random generation or sealing fails.
    pub fn seal(&self, associated_data: &str, plaintext: &[u8]) -> Result<String, StoreError> {
        Ok(STANDARD.encode(self.seal_bytes(associated_data, plaintext)?))
    }

    /// As [`SecretBox::seal`], as URL-safe base64 without padding: for cookies, form fields
    /// and query strings, which carry it unchanged.
    ///
    /// # Errors
    /// As [`SecretBox::seal`].
    pub fn seal_url_safe(
        &self,
        associated_data: &str,
        plaintext: &[u8],
    ) -> Result<String, StoreError> {
        Ok(URL_SAFE_NO_PAD.encode(self.seal_bytes(associated_data, plaintext)?))
    }

    /// Opens a value sealed by [`SecretBox::seal`] with the same `associated_data`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the text is not base64 or too short;
    /// [`StoreError::Decrypt`] when the tag does not verify (altered, other row, other key).
    pub fn open(&self, associated_data: &str, sealed: &str) -> Result<Secret<Vec<u8>>, StoreError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| StoreError::Corrupt {
            detail: format!("sealed secret {associated_data} is not base64"),
        })?;
        self.open_bytes(associated_data, bytes)
    }

    /// Opens a value sealed by [`SecretBox::seal_url_safe`].
    ///
    /// # Errors
    /// As [`SecretBox::open`].
    pub fn open_url_safe(
        &self,
        associated_data: &str,
        sealed: &str,
    ) -> Result<Secret<Vec<u8>>, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| StoreError::Corrupt {
                detail: format!("sealed secret {associated_data} is not base64"),
            })?;
        self.open_bytes(associated_data, bytes)
    }

    fn seal_bytes(&self, associated_data: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let failed = || StoreError::MasterKey {
            detail: "sealing failed".to_owned(),
        };
        let mut nonce = [0_u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| failed())?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| failed())?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    fn open_bytes(
        &self,
        associated_data: &str,
        bytes: Vec<u8>,
    ) -> Result<Secret<Vec<u8>>, StoreError> {
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(StoreError::Corrupt {
                detail: format!("sealed secret {associated_data} is too short"),
            });
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::Corrupt {
            detail: format!("sealed secret {associated_data} has a bad nonce"),
        })?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut in_out)
            .map_err(|_| StoreError::Decrypt {
                what: associated_data.to_owned(),
            })?;
        Ok(Secret::new(plaintext.to_vec()))
    }
}

/// A random 128-bit identifier as 32 lower-case hex characters (session IDs, single-use
/// nonces), from the system random generator.
///
/// # Errors
/// [`StoreError::MasterKey`] when the generator fails.
pub fn random_id() -> Result<String, StoreError> {
    let mut bytes = [0_u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::MasterKey {
            detail: "the system random generator failed".to_owned(),
        })?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        let key = MasterKey::from_bytes([7; 32]);
        assert!(!format!("{key:?}").contains('7'));
    }

    #[test]
    fn rejects_master_key_base64_of_wrong_length() {
        assert_eq!(
            MasterKey::from_base64("AAAA").unwrap_err().code(),
            "master_key"
        );
    }
}
