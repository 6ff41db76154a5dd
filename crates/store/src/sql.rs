//! The one sqlx implementation, for SQLite and PostgreSQL through `sqlx::Any`.
//!
//! One SQL text serves both backends: `$n` placeholders, TEXT/BIGINT columns, `ON CONFLICT`,
//! `RETURNING`. The only backend-specific statement is how a write transaction begins: SQLite
//! uses `BEGIN IMMEDIATE` so that a transaction that reads before it writes takes the write lock
//! up front (a deferred transaction would fail with `SQLITE_BUSY` on lock upgrade instead of
//! waiting out the busy timeout).
//!
//! Row locking: every multi-statement change first touches its parent row with a no-op
//! `UPDATE … RETURNING`, which on PostgreSQL locks the row until commit (serializing, for
//! example, `DeleteRole` against a concurrent `AttachRolePolicy`) and on SQLite is covered by
//! the database-wide write lock.
//!
//! This module holds the pool and the helpers every statement uses; each storage trait is
//! implemented in a module of its own ([`SamlProviderStore`](crate::SamlProviderStore) in
//! `providers`, [`RoleStore`](crate::RoleStore) in `roles`,
//! [`ManagedPolicyStore`](crate::ManagedPolicyStore) in `policies`,
//! [`KeyStore`](crate::KeyStore) in `keys`, [`ReplayCache`](crate::ReplayCache) in `replay`;
//! the contact center's and the sign-in's in `crate::connect` and `crate::signin`), with the
//! one tag implementation (`tags`) and the one listing pager (`paging`).

mod keys;
mod paging;
mod policies;
mod providers;
mod replay;
mod roles;
pub(crate) mod tags;

use std::time::Duration;

use fedgate_model::UnknownValue;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use time::OffsetDateTime;

use crate::StoreError;

/// How long a SQLite connection waits for another writer before failing (`busy_timeout`).
///
/// Write transactions are short (a handful of rows); 5 s absorbs bursts of concurrent admin
/// changes and replay-cache inserts without surfacing `database is locked`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite (embedded, one node).
    Sqlite,
    /// PostgreSQL (shared by several nodes).
    Postgres,
}

/// The store: a connection pool to SQLite or PostgreSQL with the schema applied.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

impl Store {
    /// Connects to `url` and applies the migrations.
    ///
    /// - SQLite: `sqlite://<path>?mode=rwc` (see [`Store::sqlite_url`]); WAL journal,
    ///   `busy_timeout` [`SQLITE_BUSY_TIMEOUT`], foreign keys on. `sqlite::memory:` gives each
    ///   pooled connection its own empty database and is refused.
    /// - PostgreSQL: `postgres://user@host:port/database`.
    ///
    /// # Errors
    /// [`StoreError::Configuration`] for an unsupported URL, [`StoreError::Database`] when the
    /// connection fails, [`StoreError::Migration`] when the schema cannot be applied.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::Configuration {
                    detail: "in-memory sqlite is per connection; use a file (a temporary one in \
                             tests)"
                        .to_owned(),
                });
            }
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Configuration {
                detail: "the database url must start with sqlite: or postgres://".to_owned(),
            });
        };
        let options =
            match backend {
                Backend::Sqlite => AnyPoolOptions::new().max_connections(8).after_connect(
                    |connection, _metadata| {
                        Box::pin(async move {
                            let busy = format!(
                                "PRAGMA busy_timeout = {}",
                                SQLITE_BUSY_TIMEOUT.as_millis()
                            );
                            sqlx::query(sqlx::AssertSqlSafe(busy))
                                .execute(&mut *connection)
                                .await?;
                            sqlx::query("PRAGMA foreign_keys = ON")
                                .execute(&mut *connection)
                                .await?;
                            // WAL with NORMAL: a commit is not fsynced until the next checkpoint.
                            // A process crash loses nothing; a power loss may lose the last
                            // commits but never corrupts the file (SQLite's documented WAL
                            // guarantee). The sign-in path commits a replay row and an audit
                            // row per request, so FULL would cost two fsyncs each.
                            // It reads the file: on one SQLite cannot read it fails, and the
                            // pool would retry until its timeout. Such a file is refused, with
                            // its name, by the checks right after connecting; until then the
                            // connection keeps the default (FULL), which is never less safe.
                            let _ = sqlx::query("PRAGMA synchronous = NORMAL")
                                .execute(&mut *connection)
                                .await;
                            Ok(())
                        })
                    },
                ),
                Backend::Postgres => AnyPoolOptions::new().max_connections(16),
            };
        let pool = options
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|error| StoreError::db("connect", error))?;
        if backend == Backend::Sqlite {
            // Persistent in the file; needs no other connection open, so done before any use.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_all(&pool)
                .await
                .map_err(|error| StoreError::db("enable wal", error))?;
        }
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|error| StoreError::Migration {
                detail: error.to_string(),
            })?;
        Ok(Self { pool, backend })
    }

    /// The URL of a SQLite database file at `path`, created when missing.
    #[must_use]
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Which backend this store uses.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (readiness).
    ///
    /// # Errors
    /// [`StoreError::Database`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::db("ping", error))?;
        Ok(())
    }

    /// Closes every connection (waits for checked-out ones).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn write(
        &self,
        operation: &'static str,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(|error| StoreError::db(operation, error))
    }
}

pub(crate) async fn commit(
    transaction: Transaction<'static, Any>,
    operation: &'static str,
) -> Result<(), StoreError> {
    transaction
        .commit()
        .await
        .map_err(|error| StoreError::db(operation, error))
}

/// Ends a transaction that changed IAM data (providers, roles and what hangs off them, managed
/// policies): replaces the IAM revision with a fresh random value, then commits.
///
/// INVARIANT: every IAM change commits through here, so an unchanged revision means unchanged
/// IAM data ([`crate::IamRevision`]). The update is the transaction's last statement, so on
/// PostgreSQL the revision row is locked only for the commit (no lock-order cycle with the
/// entity rows locked first). Random rather than counted up: a database restored from a backup
/// never repeats a value a node has cached for other contents.
pub(crate) async fn commit_iam_change(
    mut transaction: Transaction<'static, Any>,
    operation: &'static str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE iam_revision SET revision = $1 WHERE id = 1")
        .bind(random_revision()?)
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db(operation, error))?;
    commit(transaction, operation).await
}

/// A random revision (62 bits, positive): for a new SAML provider's first revision (so a
/// provider deleted and created again under the same ARN never repeats a revision another node
/// has cached; its updates then count up from it) and for every IAM revision.
pub(crate) fn random_revision() -> Result<i64, StoreError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0_u8; 8];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Corrupt {
            detail: "the system random generator failed".to_owned(),
        })?;
    // Positive and far below i64::MAX, so `revision + 1` never overflows.
    Ok(i64::from_le_bytes(bytes) & ((1 << 62) - 1))
}

impl crate::IamRevision for Store {
    async fn iam_revision(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT revision FROM iam_revision WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(|error| StoreError::db("read iam revision", error))?;
        get(&row, "revision")
    }
}

pub(crate) fn timestamp(seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| StoreError::Corrupt {
        detail: format!("timestamp {seconds} out of range"),
    })
}

/// A stored enum, parsed: a value that is none of its variants makes the row unreadable
/// ([`StoreError::Corrupt`]), so no caller ever falls back to a variant.
pub(crate) fn stored<T>(parsed: Result<T, UnknownValue>, row: &str) -> Result<T, StoreError> {
    parsed.map_err(|unknown| StoreError::Corrupt {
        detail: format!("{row}: stored {unknown}"),
    })
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(column)
        .map_err(|error| StoreError::db("read row", error))
}

pub(crate) fn to_count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// `LimitExceeded` unless the table counted by `count_sql` holds fewer than `limit` rows: the
/// quota check before an insert, inside the inserting transaction.
pub(crate) async fn ensure_room(
    transaction: &mut Transaction<'static, Any>,
    what: &'static str,
    count_sql: &'static str,
    limit: usize,
) -> Result<(), StoreError> {
    if count_rows(transaction, "count rows for a quota", count_sql, None).await? >= limit {
        return Err(StoreError::LimitExceeded { what, limit });
    }
    Ok(())
}

/// `SELECT COUNT(*) AS n …` inside `transaction`, with at most one bound parameter: the row
/// count a quota is checked against.
pub(crate) async fn count_rows(
    transaction: &mut Transaction<'static, Any>,
    operation: &'static str,
    sql: &'static str,
    bind: Option<&str>,
) -> Result<usize, StoreError> {
    let mut query = sqlx::query(sql);
    if let Some(value) = bind {
        query = query.bind(value.to_owned());
    }
    let row = query
        .fetch_one(&mut **transaction)
        .await
        .map_err(|error| StoreError::db(operation, error))?;
    Ok(to_count(get(&row, "n")?))
}

/// Lower-cases a key for case-insensitive uniqueness (Unicode-aware: tag keys may be any letter).
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase()
}
