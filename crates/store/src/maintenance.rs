//! Operator-facing checks and chores: the start-up integrity check, whether a database
//! already holds sealed secrets, retiring access keys, owner-only SQLite files, and a
//! PostgreSQL reachability probe that says why a connection failed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Connection as _;

use crate::{Backend, Store, StoreError};

/// How long [`probe_postgres`] waits for a server to answer.
///
/// A refused connection fails at once; this bounds a host that drops packets. 10 s is
/// libpq's usual `connect_timeout` in managed-database examples and well below a
/// supervisor's start-up timeout.
pub const POSTGRES_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Most `quick_check` problems quoted in an error.
const MAX_QUOTED_PROBLEMS: usize = 5;

impl Store {
    /// The integrity check run at start-up: SQLite's `PRAGMA quick_check` (every page and
    /// b-tree readable, without the index cross-checks of `integrity_check`); nothing for
    /// PostgreSQL, which checks its own pages.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] quoting SQLite's first problems; [`StoreError::Database`] when
    /// the check itself cannot run (a damaged file often fails that way).
    pub async fn quick_check(&self) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("quick check", error))?;
        let problems: Vec<&str> = rows
            .iter()
            .map(|(line,)| line.as_str())
            .filter(|line| *line != "ok")
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        let quoted: Vec<&str> = problems.iter().take(MAX_QUOTED_PROBLEMS).copied().collect();
        Err(StoreError::Corrupt {
            detail: format!(
                "sqlite quick_check found {} problem{}: {}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                quoted.join("; ")
            ),
        })
    }

    /// Whether the database holds anything sealed under a master key (access keys or service
    /// keys): such a database must never get a freshly generated master key.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the store fails.
    pub async fn holds_sealed_secrets(&self) -> Result<bool, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM access_keys) + (SELECT COUNT(*) FROM service_keys)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|error| StoreError::db("count sealed secrets", error))?;
        Ok(count > 0)
    }

    /// Deletes the access key `access_key_id`; `true` when there was one. A deleted key fails
    /// authentication from the next request on (keys are read from the store per request).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the store fails.
    pub async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1")
            .bind(access_key_id)
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::db("delete access key", error))?;
        Ok(result.rows_affected() > 0)
    }
}

/// The file of a `sqlite:` URL (`sqlite://<path>?…` or `sqlite:<path>`), if it names one.
#[must_use]
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Creates the SQLite file at `path` readable and writable by the owner only (0600) when it
/// does not exist yet. SQLite gives its `-wal` and `-shm` files the mode of the database
/// file, so they follow.
///
/// # Errors
/// [`StoreError::Io`] when the file cannot be created.
pub fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StoreError::Io {
            path: path.to_path_buf(),
            detail: error.to_string(),
        }),
    }
}

/// Takes group and other permissions off the SQLite database at `path` and its `-wal`,
/// `-shm` and `-journal` files (files an earlier version created 0644). Returns the files it
/// changed.
///
/// # Errors
/// [`StoreError::Io`] when a file exists but its mode cannot be changed.
pub fn restrict_sqlite_files(path: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut changed = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
        for file in files {
            let Ok(metadata) = std::fs::metadata(&file) else {
                continue;
            };
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
                    .map_err(|error| StoreError::Io {
                        path: file.clone(),
                        detail: error.to_string(),
                    })?;
                changed.push(file);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(changed)
}

/// `host:port` of a PostgreSQL URL, without user or password (port 5432 when not given).
#[must_use]
pub fn postgres_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host.is_empty() { "localhost" } else { host };
    let has_port = match host.rsplit_once(':') {
        // `[::1]` alone has colons but no port.
        Some((_, port)) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    };
    if has_port {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// Opens one connection to the PostgreSQL server at `url` and closes it, so that start-up
/// fails in seconds with the real cause ("connection refused by db:5432") instead of after
/// the pool's 30 s acquire timeout with "timed out waiting for a database connection".
/// Messages name the host, never the user's password.
///
/// # Errors
/// [`StoreError::Database`] saying what went wrong.
pub async fn probe_postgres(url: &str) -> Result<(), StoreError> {
    let host = postgres_host(url);
    let failed = |detail: String| StoreError::Database {
        operation: "connect",
        detail,
    };
    sqlx::any::install_default_drivers();
    match tokio::time::timeout(POSTGRES_PROBE_TIMEOUT, sqlx::AnyConnection::connect(url)).await {
        Err(_) => Err(failed(format!(
            "no answer from {host} within {} s (a firewall dropping packets, or the wrong host?)",
            POSTGRES_PROBE_TIMEOUT.as_secs()
        ))),
        Ok(Err(sqlx::Error::Io(error))) => Err(failed(match error.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                format!("connection refused by {host} (is PostgreSQL running and listening there?)")
            }
            std::io::ErrorKind::TimedOut => format!("connection to {host} timed out"),
            _ => format!("cannot connect to {host}: {error}"),
        })),
        Ok(Err(error)) => {
            let StoreError::Database { detail, .. } = StoreError::db("connect", error) else {
                return Err(failed(format!("cannot connect to {host}")));
            };
            Err(failed(format!("{host}: {detail}")))
        }
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_path("sqlite:///data/fedgate.db?mode=rwc"),
            Some(PathBuf::from("/data/fedgate.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:relative.db"),
            Some(PathBuf::from("relative.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://db/fedgate"), None);
    }

    #[test]
    fn names_the_postgres_host_without_credentials() {
        assert_eq!(
            postgres_host("postgres://app:s3cret@db.internal:6432/fedgate?sslmode=require"),
            "db.internal:6432"
        );
        assert_eq!(postgres_host("postgresql://db/fedgate"), "db:5432");
        assert_eq!(postgres_host("postgres:///fedgate"), "localhost:5432");
        assert_eq!(postgres_host("postgres://u@[::1]:5433/x"), "[::1]:5433");
    }

    #[tokio::test]
    async fn an_unreachable_postgres_says_connection_refused_at_once() {
        // A port nothing listens on: bind, note the port, close.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("postgres://app:s3cret@127.0.0.1:{port}/fedgate");
        let started = std::time::Instant::now();
        let message = probe_postgres(&url).await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            message.contains(&format!("connection refused by 127.0.0.1:{port}")),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn sqlite_files_become_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("fedgate-store-modes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("fedgate.db");
        create_owner_only(&db).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&db), 0o600);
        let wal = dir.join("fedgate.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let changed = restrict_sqlite_files(&db).unwrap();
        assert_eq!(changed, vec![db.clone(), wal.clone()]);
        assert_eq!((mode(&db), mode(&wal)), (0o600, 0o600));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
