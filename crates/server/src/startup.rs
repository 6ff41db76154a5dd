//! Start-up checks and files in the data directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use fedgate_store::{MASTER_KEY_ENV, MasterKey, SecretBox, Store};

use crate::config::Config;

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

/// Whether start-up may create what is missing (`fedgate serve`) or only open what exists
/// (`fedgate admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// Create the data directory, database and master key when missing.
    Missing,
    /// Refuse when any of them is missing.
    Nothing,
}

/// Opens the store (migrations applied, integrity checked) and the master key.
///
/// - PostgreSQL is probed first, so an unreachable server is reported at once with its
///   cause and host ([`fedgate_store::probe_postgres`]).
/// - A SQLite file is created owner-only, and group/other access is taken off an existing
///   one and its `-wal`/`-shm` files.
/// - SQLite's `quick_check` must pass, or start-up refuses naming the file.
/// - The master key comes from `FEDGATE_MASTER_KEY` or `<data-dir>/master.key`. A missing
///   `master.key` is generated only when the database holds nothing sealed; otherwise
///   start-up refuses, says the key is missing, and generates nothing.
pub(crate) async fn open_store(
    config: &Config,
    create: Create,
) -> Result<(Store, SecretBox), StartError> {
    match create {
        Create::Missing => prepare_data_dir(&config.data_dir)?,
        Create::Nothing if !config.data_dir.is_dir() => {
            return Err(StartError::DataDir {
                path: config.data_dir.clone(),
                detail: "it does not exist".to_owned(),
            });
        }
        Create::Nothing => {}
    }
    let url = config.database_url();
    let shown = without_password(&url);
    let sqlite_file = fedgate_store::sqlite_path(&url);
    match &sqlite_file {
        Some(path) if create == Create::Missing => {
            fedgate_store::create_owner_only(path).map_err(|error| StartError::Database {
                detail: error.to_string(),
            })?;
        }
        Some(path) if !path.is_file() => {
            return Err(StartError::Database {
                detail: format!("{shown}: there is no database file {}", path.display()),
            });
        }
        Some(_) => {}
        None => {
            fedgate_store::probe_postgres(&url)
                .await
                .map_err(|error| StartError::Database {
                    detail: format!("{shown}: {error}"),
                })?;
        }
    }
    let store = Store::connect(&url)
        .await
        .map_err(|error| StartError::Database {
            detail: if sqlite_file.is_some() {
                format!(
                    "{shown}: {error} (a corrupt or foreign file? move it away, or choose another \
                 --database-url)"
                )
            } else {
                format!("{shown}: {error}")
            },
        })?;
    if let Some(path) = &sqlite_file {
        let changed =
            fedgate_store::restrict_sqlite_files(path).map_err(|error| StartError::Database {
                detail: error.to_string(),
            })?;
        for file in changed {
            tracing::warn!(file = %file.display(), "database file was open to group or others; changed to 0600");
        }
    }
    store.quick_check().await.map_err(|error| StartError::Database {
        detail: format!(
            "{shown} failed its integrity check: {error}. The file was left as it is; restore it \
             from a backup (docs/OPERATIONS.md)"
        ),
    })?;
    let master_key = master_key(config, &store, create).await?;
    let secrets = SecretBox::new(&master_key).map_err(|error| StartError::Credentials {
        detail: error.to_string(),
    })?;
    Ok((store, secrets))
}

/// The master key: `FEDGATE_MASTER_KEY`, else `<data-dir>/master.key`, else a new one when
/// allowed and the database holds nothing sealed under an earlier key.
async fn master_key(
    config: &Config,
    store: &Store,
    create: Create,
) -> Result<MasterKey, StartError> {
    match MasterKey::from_env_base64() {
        Ok(Some(key)) => return Ok(key),
        Ok(None) => {}
        Err(error) => {
            return Err(StartError::Credentials {
                detail: format!("{MASTER_KEY_ENV}: {error}"),
            });
        }
    }
    let path = config.data_dir.join(MASTER_KEY_FILE);
    let unusable = |error: fedgate_store::StoreError| StartError::DataDir {
        path: config.data_dir.clone(),
        detail: error.to_string(),
    };
    if path.exists() {
        return MasterKey::load_or_create(&path).map_err(unusable);
    }
    let sealed = store
        .holds_sealed_secrets()
        .await
        .map_err(|error| StartError::Database {
            detail: error.to_string(),
        })?;
    if sealed || create == Create::Nothing {
        return Err(StartError::Credentials {
            detail: format!(
                "the master key {} is missing{}, and {MASTER_KEY_ENV} is not set. Restore \
                 master.key from a backup or set {MASTER_KEY_ENV}; no new key was generated",
                path.display(),
                if sealed {
                    " but the database holds secrets sealed under it"
                } else {
                    ""
                },
            ),
        });
    }
    let key = MasterKey::load_or_create(&path).map_err(unusable)?;
    tracing::info!(path = %path.display(), "generated a new master key");
    Ok(key)
}

/// The master key's file in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

/// A database URL fit for messages: the password, if any, replaced by `***`.
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

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
    if path.is_dir() {
        restrict_data_dir(path).map_err(|error| fail(error.to_string()))?;
    } else {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(path)
            .map_err(|error| fail(error.to_string()))?;
    }
    let probe = path.join(".fedgate-write-test");
    std::fs::write(&probe, b"ok").map_err(|error| fail(format!("not writable: {error}")))?;
    std::fs::remove_file(&probe).map_err(|error| fail(format!("not writable: {error}")))?;
    Ok(())
}

/// Files that mark a directory as a fedgate data directory.
const DATA_DIR_MARKERS: [&str; 3] = ["master.key", "fedgate.db", crate::ADMIN_CREDENTIALS_FILE];

/// An existing data directory open to group or others: tightened to 0700 when it is
/// evidently fedgate's (it holds one of [`DATA_DIR_MARKERS`]; earlier versions created it
/// 0755), otherwise left alone with a warning (it may be shared on purpose, or be `/tmp`).
fn restrict_data_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        if DATA_DIR_MARKERS.iter().any(|name| path.join(name).exists()) {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            tracing::warn!(
                path = %path.display(),
                was = format!("{mode:04o}"),
                "data directory was open to group or others; changed to owner-only"
            );
        } else {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:04o}"),
                "data directory is open to group or others (chmod 700 it)"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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

/// Reads back what [`write_credentials_file`] wrote: the access key ID and the secret.
///
/// # Errors
/// [`StartError::Credentials`] when the file cannot be read or lacks either key.
pub fn read_credentials_file(path: &Path) -> Result<(String, String), StartError> {
    let text = std::fs::read_to_string(path).map_err(|error| StartError::Credentials {
        detail: format!("{}: {error}", path.display()),
    })?;
    let value = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(name, _)| name.trim() == key)
            .map(|(_, value)| value.trim().to_owned())
            .ok_or_else(|| StartError::Credentials {
                detail: format!("{} has no {key}", path.display()),
            })
    };
    Ok((value("aws_access_key_id")?, value("aws_secret_access_key")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_reads_back_what_was_written() {
        let dir = scratch("credentials-round-trip");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("admin-credentials");
        write_credentials_file(&path, "AKIAEXAMPLE", "se/cret+=").unwrap();
        let (id, secret) = read_credentials_file(&path).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("AKIAEXAMPLE", "se/cret+="));
        std::fs::write(&path, "[default]\naws_access_key_id = AKIA\n").unwrap();
        assert!(read_credentials_file(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

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

    #[cfg(unix)]
    #[test]
    fn creates_the_data_dir_owner_only_and_tightens_an_old_one() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let dir = scratch("modes");
        prepare_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // A data directory an earlier version created 0755.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.join("fedgate.db"), b"").unwrap();
        prepare_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // Someone else's shared directory is left alone.
        let shared = scratch("shared");
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare_data_dir(&shared).unwrap();
        assert_eq!(mode(&shared), 0o755);
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
