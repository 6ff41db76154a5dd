//! Start-up checks and files in the data directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why the server could not start. Each message names the path or setting and what to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The data directory cannot be created or written.
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The database cannot be opened or migrated.
    Database {
        /// What went wrong (no credentials).
        detail: String,
    },
    /// The listen address cannot be bound.
    Listen {
        /// The address.
        address: String,
        /// What went wrong.
        detail: String,
    },
    /// Credentials could not be created or written.
    Credentials {
        /// What went wrong.
        detail: String,
    },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DataDir { path, detail } => write!(
                f,
                "data directory {} is not usable: {detail} (choose another with --data-dir, or fix its permissions)",
                path.display()
            ),
            Self::Database { detail } => write!(f, "cannot open the database: {detail}"),
            Self::Listen { address, detail } => {
                write!(
                    f,
                    "cannot listen on {address}: {detail} (choose another with --listen)"
                )
            }
            Self::Credentials { detail } => {
                write!(f, "cannot set up administrator credentials: {detail}")
            }
        }
    }
}

impl std::error::Error for StartError {}

/// Creates the data directory if needed and proves it is writable, with a message that
/// names the problem (a file in the way, a read-only mount, …).
pub fn prepare_data_dir(path: &Path) -> Result<(), StartError> {
    let fail = |detail: String| StartError::DataDir {
        path: path.to_path_buf(),
        detail,
    };
    if path.exists() && !path.is_dir() {
        return Err(fail("it exists and is not a directory".to_owned()));
    }
    std::fs::create_dir_all(path).map_err(|error| fail(error.to_string()))?;
    let probe = path.join(".fedgate-write-test");
    std::fs::write(&probe, b"ok").map_err(|error| fail(format!("not writable: {error}")))?;
    std::fs::remove_file(&probe).map_err(|error| fail(format!("not writable: {error}")))?;
    Ok(())
}

/// Writes the administrator's key in AWS credentials-file format, readable by the owner only.
pub fn write_credentials_file(
    path: &Path,
    access_key_id: &str,
    secret_access_key: &str,
) -> Result<(), StartError> {
    let fail = |error: std::io::Error| StartError::Credentials {
        detail: format!("{}: {error}", path.display()),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    write!(
        file,
        "# fedgate administrator credentials (full permissions). Use with:\n\
         #   AWS_SHARED_CREDENTIALS_FILE={} aws --endpoint-url <base-url> iam list-roles\n\
         [default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n",
        path.display()
    )
    .map_err(fail)?;
    file.sync_all().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fedgate-startup-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&dir);
        dir
    }

    #[test]
    fn creates_a_missing_data_dir() {
        let dir = scratch("create").join("nested");
        prepare_data_dir(&dir).unwrap();
        assert!(dir.is_dir());
    }

    #[test]
    fn refuses_a_file_as_data_dir() {
        let path = scratch("file");
        std::fs::write(&path, b"x").unwrap();
        let message = prepare_data_dir(&path).unwrap_err().to_string();
        assert!(message.contains("not a directory"), "{message}");
    }

    #[test]
    fn writes_owner_only_credentials() {
        let dir = scratch("credentials");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("admin-credentials");
        write_credentials_file(&path, "AKIAEXAMPLE", "secret").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(
            "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
