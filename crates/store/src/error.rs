//! The one error type of the store.

use std::fmt;
use std::path::PathBuf;

/// Everything a store operation can fail with.
///
/// Messages are lower-case and carry no SQL parameter values and no secrets: a database error
/// keeps the driver's message (constraint names, not row contents) and the operation that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The entity does not exist.
    NotFound {
        /// What was looked up (`role`, `saml provider`, `policy`, …).
        entity: &'static str,
        /// Its name, ARN or id as given.
        name: String,
    },
    /// An entity with this key already exists (a unique constraint).
    AlreadyExists {
        /// What was created.
        entity: &'static str,
        /// Its name, ARN or id.
        name: String,
    },
    /// The change would leave dangling references (for example deleting a role that still has
    /// policies); nothing was changed.
    Conflict {
        /// What was changed.
        entity: &'static str,
        /// Its name or ARN.
        name: String,
        /// What still refers to it.
        reason: ConflictReason,
    },
    /// A quota would be exceeded; nothing was changed.
    LimitExceeded {
        /// What is counted (`tags`, `saml providers`, …).
        what: &'static str,
        /// The quota.
        limit: usize,
    },
    /// The database refused or failed an operation.
    Database {
        /// The store operation (`create role`, …).
        operation: &'static str,
        /// The driver's message, without parameter values.
        detail: String,
    },
    /// The URL or options do not describe a usable database.
    Configuration {
        /// Why.
        detail: String,
    },
    /// Applying the schema migrations failed.
    Migration {
        /// Why.
        detail: String,
    },
    /// Stored data is not what this version wrote (bad base64, wrong length, bad timestamp).
    Corrupt {
        /// What was wrong.
        detail: String,
    },
    /// A sealed secret did not open: it was altered, belongs to another row, or was sealed under
    /// another master key.
    Decrypt {
        /// Which secret (its row key, never its value).
        what: String,
    },
    /// The master key is unusable (wrong length, permissions broader than 0600, bad base64).
    MasterKey {
        /// Why.
        detail: String,
    },
    /// A file operation failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        detail: String,
    },
}

/// What blocks a delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConflictReason {
    /// The role still has inline policies.
    InlinePolicies,
    /// The role still has managed policies attached.
    AttachedPolicies,
    /// The managed policy is still attached to roles.
    PolicyAttached,
    /// Another row refers to this one (a foreign key the store did not pre-check).
    Referenced,
}

impl StoreError {
    /// A stable, machine-readable code for logs and metrics.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::AlreadyExists { .. } => "already_exists",
            Self::Conflict { .. } => "conflict",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::Database { .. } => "database",
            Self::Configuration { .. } => "configuration",
            Self::Migration { .. } => "migration",
            Self::Corrupt { .. } => "corrupt",
            Self::Decrypt { .. } => "decrypt_failed",
            Self::MasterKey { .. } => "master_key",
            Self::Io { .. } => "io",
        }
    }

    /// Maps a driver error of `operation`, turning constraint violations into
    /// [`StoreError::AlreadyExists`] / [`StoreError::Conflict`] for `entity` `name`.
    pub(crate) fn from_sqlx(
        operation: &'static str,
        entity: &'static str,
        name: &str,
        error: sqlx::Error,
    ) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::AlreadyExists {
                entity,
                name: name.to_owned(),
            },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Self::Conflict {
                entity,
                name: name.to_owned(),
                reason: ConflictReason::Referenced,
            },
            _ => Self::db(operation, error),
        }
    }

    /// Maps a driver error with no constraint interpretation.
    pub(crate) fn db(operation: &'static str, error: sqlx::Error) -> Self {
        let detail = match &error {
            // The driver's own message names constraints and columns, never bound values.
            sqlx::Error::Database(db) => db.message().to_owned(),
            sqlx::Error::RowNotFound => "no row returned".to_owned(),
            sqlx::Error::ColumnNotFound(column) => format!("column {column} not found"),
            sqlx::Error::ColumnDecode { index, .. } => format!("column {index} not decodable"),
            sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".to_owned(),
            sqlx::Error::PoolClosed => "the connection pool is closed".to_owned(),
            sqlx::Error::Io(io) => format!("i/o: {}", io.kind()),
            sqlx::Error::Tls(_) => "tls failure".to_owned(),
            sqlx::Error::Protocol(_) => "protocol error".to_owned(),
            _ => "database driver error".to_owned(),
        };
        Self::Database { operation, detail }
    }
}

impl fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InlinePolicies => "it still has inline policies",
            Self::AttachedPolicies => "it still has attached policies",
            Self::PolicyAttached => "it is still attached to roles",
            Self::Referenced => "other entries still refer to it",
        })
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { entity, name } => write!(f, "{entity} {name} not found"),
            Self::AlreadyExists { entity, name } => write!(f, "{entity} {name} already exists"),
            Self::Conflict {
                entity,
                name,
                reason,
            } => write!(f, "cannot change {entity} {name}: {reason}"),
            Self::LimitExceeded { what, limit } => write!(f, "more than {limit} {what}"),
            Self::Database { operation, detail } => {
                write!(f, "database error during {operation}: {detail}")
            }
            Self::Configuration { detail } => write!(f, "database configuration: {detail}"),
            Self::Migration { detail } => write!(f, "schema migration failed: {detail}"),
            Self::Corrupt { detail } => write!(f, "stored data is corrupt: {detail}"),
            Self::Decrypt { what } => write!(
                f,
                "secret {what} did not decrypt: altered, moved, or sealed under another master key"
            ),
            Self::MasterKey { detail } => write!(f, "master key: {detail}"),
            Self::Io { path, detail } => write!(f, "{}: {detail}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}
