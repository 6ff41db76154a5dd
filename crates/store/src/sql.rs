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

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use time::OffsetDateTime;

use fedgate_model::UnknownValue;

use crate::{
    AccessKeyRow, AccessKeyStatus, AssertionEncryptionMode, AttachedPolicy, ConflictReason,
    InlinePolicy, KeyStore, ListQuery, ManagedPolicyRow, ManagedPolicyStore, Page, ReplayCache,
    Role, RoleStore, RoleUpdate, SamlProvider, SamlProviderStore, SamlProviderSummary,
    SamlProviderUpdate, StoreError, Tag,
};

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

fn to_count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// `LimitExceeded` unless the table counted by `count_sql` holds fewer than `limit` rows: the
/// quota check before an insert, inside the inserting transaction.
async fn ensure_room(
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

fn limit_param(max_items: usize) -> i64 {
    i64::try_from(max_items.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Lower-cases a key for case-insensitive uniqueness (Unicode-aware: tag keys may be any letter).
fn fold(text: &str) -> String {
    text.to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Tags: the same statements for both tagged tables.

struct TagTable {
    select: &'static str,
    upsert: &'static str,
    delete: &'static str,
    count: &'static str,
}

const PROVIDER_TAGS: TagTable = TagTable {
    select: "SELECT tag_key, tag_value FROM saml_provider_tags WHERE arn = $1",
    upsert: "INSERT INTO saml_provider_tags (arn, tag_key, tag_key_lower, tag_value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (arn, tag_key_lower) \
             DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value",
    delete: "DELETE FROM saml_provider_tags WHERE arn = $1 AND tag_key_lower = $2",
    count: "SELECT COUNT(*) AS n FROM saml_provider_tags WHERE arn = $1",
};

const ROLE_TAGS: TagTable = TagTable {
    select: "SELECT tag_key, tag_value FROM role_tags WHERE role_id = $1",
    upsert: "INSERT INTO role_tags (role_id, tag_key, tag_key_lower, tag_value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (role_id, tag_key_lower) \
             DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value",
    delete: "DELETE FROM role_tags WHERE role_id = $1 AND tag_key_lower = $2",
    count: "SELECT COUNT(*) AS n FROM role_tags WHERE role_id = $1",
};

async fn read_tags(
    executor: impl sqlx::Executor<'_, Database = Any>,
    table: &TagTable,
    owner: &str,
) -> Result<Vec<Tag>, StoreError> {
    let rows = sqlx::query(table.select)
        .bind(owner)
        .fetch_all(executor)
        .await
        .map_err(|error| StoreError::db("read tags", error))?;
    let mut tags = rows
        .iter()
        .map(|row| {
            Ok(Tag::new(
                get::<String>(row, "tag_key")?,
                get::<String>(row, "tag_value")?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // Sorted in Rust: byte order, the same on both backends whatever the collation.
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(tags)
}

async fn write_tags(
    transaction: &mut Transaction<'static, Any>,
    table: &TagTable,
    owner: &str,
    tags: &[Tag],
    max_tags: usize,
) -> Result<(), StoreError> {
    for tag in tags {
        sqlx::query(table.upsert)
            .bind(owner)
            .bind(tag.key.as_str())
            .bind(fold(&tag.key))
            .bind(tag.value.as_str())
            .execute(&mut **transaction)
            .await
            .map_err(|error| StoreError::db("write tags", error))?;
    }
    let count: i64 = get(
        &sqlx::query(table.count)
            .bind(owner)
            .fetch_one(&mut **transaction)
            .await
            .map_err(|error| StoreError::db("count tags", error))?,
        "n",
    )?;
    if to_count(count) > max_tags {
        return Err(StoreError::LimitExceeded {
            what: "tags",
            limit: max_tags,
        });
    }
    Ok(())
}

async fn delete_tags(
    transaction: &mut Transaction<'static, Any>,
    table: &TagTable,
    owner: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    for key in keys {
        sqlx::query(table.delete)
            .bind(owner)
            .bind(fold(key))
            .execute(&mut **transaction)
            .await
            .map_err(|error| StoreError::db("delete tags", error))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SAML providers.

fn provider_row(row: &AnyRow) -> Result<SamlProvider, StoreError> {
    let arn: String = get(row, "arn")?;
    Ok(SamlProvider {
        assertion_encryption_mode: stored(
            AssertionEncryptionMode::parse(&get::<String>(row, "assertion_encryption_mode")?),
            &arn,
        )?,
        arn,
        name: get(row, "name")?,
        uuid: get(row, "uuid")?,
        metadata_document: get(row, "metadata_document")?,
        create_date: timestamp(get(row, "create_date")?)?,
        valid_until: get::<Option<i64>>(row, "valid_until")?
            .map(timestamp)
            .transpose()?,
        revision: get(row, "revision")?,
    })
}

/// The first revision of a new provider: random (62 bits), so a provider deleted and created
/// again under the same ARN never repeats a revision that another node has cached; updates
/// then count up from it.
fn initial_revision() -> Result<i64, StoreError> {
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

/// Locks the provider row for the rest of the transaction and bumps its revision.
async fn touch_provider(
    transaction: &mut Transaction<'static, Any>,
    arn: &str,
) -> Result<(), StoreError> {
    let touched = sqlx::query("UPDATE saml_providers SET revision = revision + 1 WHERE arn = $1")
        .bind(arn)
        .execute(&mut **transaction)
        .await
        .map_err(|error| StoreError::db("lock saml provider", error))?;
    if touched.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            entity: "saml provider",
            name: arn.to_owned(),
        });
    }
    Ok(())
}

impl SamlProviderStore for Store {
    async fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        tags: &[Tag],
        max_providers: usize,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("create saml provider").await?;
        ensure_room(
            &mut transaction,
            "saml providers",
            "SELECT COUNT(*) AS n FROM saml_providers",
            max_providers,
        )
        .await?;
        sqlx::query(
            "INSERT INTO saml_providers (arn, name, uuid, metadata_document, create_date, \
             valid_until, assertion_encryption_mode, revision) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(provider.arn.as_str())
        .bind(provider.name.as_str())
        .bind(provider.uuid.as_str())
        .bind(provider.metadata_document.as_str())
        .bind(provider.create_date.unix_timestamp())
        .bind(provider.valid_until.map(OffsetDateTime::unix_timestamp))
        .bind(provider.assertion_encryption_mode.as_str())
        .bind(initial_revision()?)
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::from_sqlx(
                "create saml provider",
                "saml provider",
                &provider.name,
                error,
            )
        })?;
        write_tags(
            &mut transaction,
            &PROVIDER_TAGS,
            &provider.arn,
            tags,
            usize::MAX,
        )
        .await?;
        commit(transaction, "create saml provider").await
    }

    async fn saml_provider(&self, arn: &str) -> Result<Option<SamlProvider>, StoreError> {
        const SQL: &str = "SELECT arn, name, uuid, metadata_document, create_date, valid_until, \
             assertion_encryption_mode, revision FROM saml_providers WHERE arn = $1";
        let row = sqlx::query(SQL)
            .bind(arn)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read saml provider", error))?;
        row.as_ref().map(provider_row).transpose()
    }

    async fn saml_provider_revisions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT arn, revision FROM saml_providers ORDER BY arn")
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("read provider revisions", error))?;
        rows.iter()
            .map(|row| Ok((get(row, "arn")?, get(row, "revision")?)))
            .collect()
    }

    async fn saml_provider_revision(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT revision FROM saml_providers WHERE arn = $1")
            .bind(arn)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read saml provider", error))?;
        row.as_ref().map(|row| get(row, "revision")).transpose()
    }

    async fn list_saml_providers(&self) -> Result<Vec<SamlProviderSummary>, StoreError> {
        let rows =
            sqlx::query("SELECT arn, create_date, valid_until FROM saml_providers ORDER BY arn")
                .fetch_all(&self.pool)
                .await
                .map_err(|error| StoreError::db("list saml providers", error))?;
        rows.iter()
            .map(|row| {
                Ok(SamlProviderSummary {
                    arn: get(row, "arn")?,
                    create_date: timestamp(get(row, "create_date")?)?,
                    valid_until: get::<Option<i64>>(row, "valid_until")?
                        .map(timestamp)
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn update_saml_provider(
        &self,
        arn: &str,
        update: &SamlProviderUpdate,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("update saml provider").await?;
        touch_provider(&mut transaction, arn).await?;
        if let Some((document, valid_until)) = &update.metadata {
            sqlx::query(
                "UPDATE saml_providers SET metadata_document = $1, valid_until = $2 WHERE arn = $3",
            )
            .bind(document.as_str())
            .bind(valid_until.map(OffsetDateTime::unix_timestamp))
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("update saml provider", error))?;
        }
        if let Some(mode) = &update.assertion_encryption_mode {
            sqlx::query("UPDATE saml_providers SET assertion_encryption_mode = $1 WHERE arn = $2")
                .bind(mode.as_str())
                .bind(arn)
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("update saml provider", error))?;
        }
        commit(transaction, "update saml provider").await
    }

    async fn delete_saml_provider(&self, arn: &str) -> Result<(), StoreError> {
        let mut transaction = self.write("delete saml provider").await?;
        // Tags first: explicit rather than relying on ON DELETE CASCADE alone.
        sqlx::query("DELETE FROM saml_provider_tags WHERE arn = $1")
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete saml provider", error))?;
        let deleted = sqlx::query("DELETE FROM saml_providers WHERE arn = $1")
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete saml provider", error))?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "saml provider",
                name: arn.to_owned(),
            });
        }
        commit(transaction, "delete saml provider").await
    }

    async fn saml_provider_tags(&self, arn: &str) -> Result<Vec<Tag>, StoreError> {
        if self.saml_provider_revision(arn).await?.is_none() {
            return Err(StoreError::NotFound {
                entity: "saml provider",
                name: arn.to_owned(),
            });
        }
        read_tags(&self.pool, &PROVIDER_TAGS, arn).await
    }

    async fn tag_saml_provider(
        &self,
        arn: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("tag saml provider").await?;
        touch_provider(&mut transaction, arn).await?;
        write_tags(&mut transaction, &PROVIDER_TAGS, arn, tags, max_tags).await?;
        commit(transaction, "tag saml provider").await
    }

    async fn untag_saml_provider(&self, arn: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut transaction = self.write("untag saml provider").await?;
        touch_provider(&mut transaction, arn).await?;
        delete_tags(&mut transaction, &PROVIDER_TAGS, arn, keys).await?;
        commit(transaction, "untag saml provider").await
    }
}

// ---------------------------------------------------------------------------------------------
// Roles.

fn role_row(row: &AnyRow) -> Result<Role, StoreError> {
    Ok(Role {
        role_id: get(row, "role_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        arn: get(row, "arn")?,
        assume_role_policy: get(row, "assume_role_policy")?,
        description: get(row, "description")?,
        max_session_duration: get(row, "max_session_duration")?,
        create_date: timestamp(get(row, "create_date")?)?,
    })
}

/// Locks the role row for the rest of the transaction; returns its id.
async fn lock_role(
    transaction: &mut Transaction<'static, Any>,
    name: &str,
) -> Result<String, StoreError> {
    let row = sqlx::query("UPDATE roles SET name = name WHERE name_lower = $1 RETURNING role_id")
        .bind(fold(name))
        .fetch_optional(&mut **transaction)
        .await
        .map_err(|error| StoreError::db("lock role", error))?;
    match row {
        Some(row) => get(&row, "role_id"),
        None => Err(StoreError::NotFound {
            entity: "role",
            name: name.to_owned(),
        }),
    }
}

async fn role_id(pool: &AnyPool, name: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT role_id FROM roles WHERE name_lower = $1")
        .bind(fold(name))
        .fetch_optional(pool)
        .await
        .map_err(|error| StoreError::db("read role", error))?;
    match row {
        Some(row) => get(&row, "role_id"),
        None => Err(StoreError::NotFound {
            entity: "role",
            name: name.to_owned(),
        }),
    }
}

async fn read_inline_policies(
    executor: impl sqlx::Executor<'_, Database = Any>,
    role_id: &str,
) -> Result<Vec<InlinePolicy>, StoreError> {
    let rows = sqlx::query("SELECT policy_name, document FROM role_policies WHERE role_id = $1")
        .bind(role_id)
        .fetch_all(executor)
        .await
        .map_err(|error| StoreError::db("read role policies", error))?;
    let mut policies = rows
        .iter()
        .map(|row| {
            Ok(InlinePolicy {
                name: get(row, "policy_name")?,
                document: get(row, "document")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(policies)
}

const ROLE_COLUMNS_SQL_BY_NAME: &str = "SELECT role_id, name, path, arn, assume_role_policy, \
     description, max_session_duration, create_date FROM roles WHERE name_lower = $1";
const ROLE_COLUMNS_SQL_BY_ARN: &str = "SELECT role_id, name, path, arn, assume_role_policy, \
     description, max_session_duration, create_date FROM roles WHERE arn = $1";
const ROLE_LIST_SQL: &str = "SELECT role_id, name, path, arn, assume_role_policy, description, \
     max_session_duration, create_date, name_lower FROM roles \
     WHERE substr(path, 1, CAST($1 AS INTEGER)) = $2 AND name_lower >= $3 \
     ORDER BY name_lower LIMIT $4";

impl RoleStore for Store {
    async fn create_role(
        &self,
        role: &Role,
        tags: &[Tag],
        max_roles: usize,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("create role").await?;
        ensure_room(
            &mut transaction,
            "roles",
            "SELECT COUNT(*) AS n FROM roles",
            max_roles,
        )
        .await?;
        sqlx::query(
            "INSERT INTO roles (role_id, name, name_lower, path, arn, assume_role_policy, \
             description, max_session_duration, create_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(role.role_id.as_str())
        .bind(role.name.as_str())
        .bind(fold(&role.name))
        .bind(role.path.as_str())
        .bind(role.arn.as_str())
        .bind(role.assume_role_policy.as_str())
        .bind(role.description.as_deref())
        .bind(role.max_session_duration)
        .bind(role.create_date.unix_timestamp())
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::from_sqlx("create role", "role", &role.name, error))?;
        write_tags(
            &mut transaction,
            &ROLE_TAGS,
            &role.role_id,
            tags,
            usize::MAX,
        )
        .await?;
        commit(transaction, "create role").await
    }

    async fn role_by_name(&self, name: &str) -> Result<Option<Role>, StoreError> {
        let row = sqlx::query(ROLE_COLUMNS_SQL_BY_NAME)
            .bind(fold(name))
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read role", error))?;
        row.as_ref().map(role_row).transpose()
    }

    async fn role_by_arn(&self, arn: &str) -> Result<Option<Role>, StoreError> {
        let row = sqlx::query(ROLE_COLUMNS_SQL_BY_ARN)
            .bind(arn)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read role", error))?;
        row.as_ref().map(role_row).transpose()
    }

    async fn list_roles(&self, query: &ListQuery) -> Result<Page<Role>, StoreError> {
        let prefix_len = i64::try_from(query.path_prefix.chars().count()).unwrap_or(i64::MAX);
        let rows = sqlx::query(ROLE_LIST_SQL)
            .bind(prefix_len)
            .bind(query.path_prefix.as_str())
            .bind(query.marker.as_deref().unwrap_or(""))
            .bind(limit_param(query.max_items))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("list roles", error))?;
        let mut items = Vec::with_capacity(rows.len());
        let mut next_marker = None;
        for (index, row) in rows.iter().enumerate() {
            if index >= query.max_items {
                next_marker = Some(get::<String>(row, "name_lower")?);
                break;
            }
            items.push(role_row(row)?);
        }
        Ok(Page { items, next_marker })
    }

    async fn update_role(&self, name: &str, update: &RoleUpdate) -> Result<(), StoreError> {
        let mut transaction = self.write("update role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        if let Some(description) = &update.description {
            sqlx::query("UPDATE roles SET description = $1 WHERE role_id = $2")
                .bind(description.as_str())
                .bind(role_id.as_str())
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("update role", error))?;
        }
        if let Some(seconds) = update.max_session_duration {
            sqlx::query("UPDATE roles SET max_session_duration = $1 WHERE role_id = $2")
                .bind(seconds)
                .bind(role_id.as_str())
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("update role", error))?;
        }
        commit(transaction, "update role").await
    }

    async fn update_assume_role_policy(
        &self,
        name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query("UPDATE roles SET assume_role_policy = $1 WHERE name_lower = $2")
            .bind(document)
            .bind(fold(name))
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::db("update assume role policy", error))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "role",
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    async fn delete_role(&self, name: &str) -> Result<(), StoreError> {
        let mut transaction = self.write("delete role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        for (sql, reason) in [
            (
                "SELECT COUNT(*) AS n FROM role_policies WHERE role_id = $1",
                ConflictReason::InlinePolicies,
            ),
            (
                "SELECT COUNT(*) AS n FROM role_policy_attachments WHERE role_id = $1",
                ConflictReason::AttachedPolicies,
            ),
        ] {
            let count: i64 = get(
                &sqlx::query(sql)
                    .bind(role_id.as_str())
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::db("delete role", error))?,
                "n",
            )?;
            if count > 0 {
                return Err(StoreError::Conflict {
                    entity: "role",
                    name: name.to_owned(),
                    reason,
                });
            }
        }
        sqlx::query("DELETE FROM role_tags WHERE role_id = $1")
            .bind(role_id.as_str())
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete role", error))?;
        sqlx::query("DELETE FROM roles WHERE role_id = $1")
            .bind(role_id.as_str())
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::from_sqlx("delete role", "role", name, error))?;
        commit(transaction, "delete role").await
    }

    async fn role_tags(&self, name: &str) -> Result<Vec<Tag>, StoreError> {
        let role_id = role_id(&self.pool, name).await?;
        read_tags(&self.pool, &ROLE_TAGS, &role_id).await
    }

    async fn tag_role(&self, name: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        let mut transaction = self.write("tag role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        write_tags(&mut transaction, &ROLE_TAGS, &role_id, tags, max_tags).await?;
        commit(transaction, "tag role").await
    }

    async fn untag_role(&self, name: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut transaction = self.write("untag role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        delete_tags(&mut transaction, &ROLE_TAGS, &role_id, keys).await?;
        commit(transaction, "untag role").await
    }

    async fn put_role_policy(
        &self,
        role_name: &str,
        policy: &InlinePolicy,
        check: &(dyn Fn(&[InlinePolicy]) -> Result<(), StoreError> + Sync),
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("put role policy").await?;
        let role_id = lock_role(&mut transaction, role_name).await?;
        sqlx::query(
            "INSERT INTO role_policies (role_id, policy_name, policy_name_lower, document) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (role_id, policy_name_lower) \
             DO UPDATE SET policy_name = excluded.policy_name, document = excluded.document",
        )
        .bind(role_id.as_str())
        .bind(policy.name.as_str())
        .bind(fold(&policy.name))
        .bind(policy.document.as_str())
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("put role policy", error))?;
        let all = read_inline_policies(&mut *transaction, &role_id).await?;
        check(&all)?;
        commit(transaction, "put role policy").await
    }

    async fn role_policies(&self, role_name: &str) -> Result<Vec<InlinePolicy>, StoreError> {
        let role_id = role_id(&self.pool, role_name).await?;
        read_inline_policies(&self.pool, &role_id).await
    }

    async fn delete_role_policy(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("delete role policy").await?;
        let role_id = lock_role(&mut transaction, role_name).await?;
        let deleted =
            sqlx::query("DELETE FROM role_policies WHERE role_id = $1 AND policy_name_lower = $2")
                .bind(role_id.as_str())
                .bind(fold(policy_name))
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("delete role policy", error))?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "role policy",
                name: policy_name.to_owned(),
            });
        }
        commit(transaction, "delete role policy").await
    }

    async fn attach_role_policy(
        &self,
        role_name: &str,
        policy_arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("attach role policy").await?;
        let role_id = lock_role(&mut transaction, role_name).await?;
        // Locks the policy row too, so a concurrent DeletePolicy waits for this attachment.
        let policy = sqlx::query("UPDATE managed_policies SET name = name WHERE arn = $1")
            .bind(policy_arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("attach role policy", error))?;
        if policy.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "policy",
                name: policy_arn.to_owned(),
            });
        }
        sqlx::query(
            "INSERT INTO role_policy_attachments (role_id, policy_arn) VALUES ($1, $2) \
             ON CONFLICT (role_id, policy_arn) DO NOTHING",
        )
        .bind(role_id.as_str())
        .bind(policy_arn)
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::from_sqlx("attach role policy", "policy", policy_arn, error)
        })?;
        let count = count_rows(
            &mut transaction,
            "attach role policy",
            "SELECT COUNT(*) AS n FROM role_policy_attachments WHERE role_id = $1",
            Some(role_id.as_str()),
        )
        .await?;
        if count > max_attached {
            return Err(StoreError::LimitExceeded {
                what: "managed policies attached to a role",
                limit: max_attached,
            });
        }
        commit(transaction, "attach role policy").await
    }

    async fn detach_role_policy(
        &self,
        role_name: &str,
        policy_arn: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("detach role policy").await?;
        let role_id = lock_role(&mut transaction, role_name).await?;
        let deleted = sqlx::query(
            "DELETE FROM role_policy_attachments WHERE role_id = $1 AND policy_arn = $2",
        )
        .bind(role_id.as_str())
        .bind(policy_arn)
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("detach role policy", error))?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "attached policy",
                name: policy_arn.to_owned(),
            });
        }
        commit(transaction, "detach role policy").await
    }

    async fn attached_role_policies(
        &self,
        role_name: &str,
    ) -> Result<Vec<AttachedPolicy>, StoreError> {
        let role_id = role_id(&self.pool, role_name).await?;
        let rows = sqlx::query(
            "SELECT p.name, p.arn, p.document FROM role_policy_attachments a \
             JOIN managed_policies p ON p.arn = a.policy_arn WHERE a.role_id = $1",
        )
        .bind(role_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|error| StoreError::db("list attached role policies", error))?;
        let mut policies = rows
            .iter()
            .map(|row| {
                Ok(AttachedPolicy {
                    policy_name: get(row, "name")?,
                    policy_arn: get(row, "arn")?,
                    document: get(row, "document")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        policies.sort_by(|a, b| a.policy_name.cmp(&b.policy_name));
        Ok(policies)
    }
}

// ---------------------------------------------------------------------------------------------
// Managed policies.

fn policy_row(row: &AnyRow) -> Result<ManagedPolicyRow, StoreError> {
    Ok(ManagedPolicyRow {
        arn: get(row, "arn")?,
        policy_id: get(row, "policy_id")?,
        name: get(row, "name")?,
        path: get(row, "path")?,
        description: get(row, "description")?,
        default_version_id: get(row, "default_version_id")?,
        document: get(row, "document")?,
        create_date: timestamp(get(row, "create_date")?)?,
        update_date: timestamp(get(row, "update_date")?)?,
        attachment_count: get(row, "attachments")?,
    })
}

impl ManagedPolicyStore for Store {
    async fn create_policy(&self, policy: &ManagedPolicyRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO managed_policies (arn, policy_id, name, name_lower, path, description, \
             default_version_id, document, create_date, update_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(policy.arn.as_str())
        .bind(policy.policy_id.as_str())
        .bind(policy.name.as_str())
        .bind(fold(&policy.name))
        .bind(policy.path.as_str())
        .bind(policy.description.as_deref())
        .bind(policy.default_version_id.as_str())
        .bind(policy.document.as_str())
        .bind(policy.create_date.unix_timestamp())
        .bind(policy.update_date.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(|error| StoreError::from_sqlx("create policy", "policy", &policy.name, error))?;
        Ok(())
    }

    async fn policy(&self, arn: &str) -> Result<Option<ManagedPolicyRow>, StoreError> {
        const SQL: &str = "SELECT p.arn, p.policy_id, p.name, p.name_lower, p.path, \
             p.description, p.default_version_id, p.document, p.create_date, p.update_date, \
             (SELECT COUNT(*) FROM role_policy_attachments a WHERE a.policy_arn = p.arn) \
             AS attachments FROM managed_policies p WHERE p.arn = $1";
        let row = sqlx::query(SQL)
            .bind(arn)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read policy", error))?;
        row.as_ref().map(policy_row).transpose()
    }

    async fn list_policies(
        &self,
        query: &ListQuery,
        only_attached: bool,
    ) -> Result<Page<ManagedPolicyRow>, StoreError> {
        const ALL: &str = "SELECT p.arn, p.policy_id, p.name, p.name_lower, p.path, \
             p.description, p.default_version_id, p.document, p.create_date, p.update_date, \
             (SELECT COUNT(*) FROM role_policy_attachments a WHERE a.policy_arn = p.arn) \
             AS attachments FROM managed_policies p \
             WHERE substr(p.path, 1, CAST($1 AS INTEGER)) = $2 AND p.name_lower >= $3 \
             ORDER BY p.name_lower LIMIT $4";
        const ATTACHED: &str = "SELECT p.arn, p.policy_id, p.name, p.name_lower, p.path, \
             p.description, p.default_version_id, p.document, p.create_date, p.update_date, \
             (SELECT COUNT(*) FROM role_policy_attachments a WHERE a.policy_arn = p.arn) \
             AS attachments FROM managed_policies p \
             WHERE substr(p.path, 1, CAST($1 AS INTEGER)) = $2 AND p.name_lower >= $3 \
             AND EXISTS (SELECT 1 FROM role_policy_attachments b WHERE b.policy_arn = p.arn) \
             ORDER BY p.name_lower LIMIT $4";
        let prefix_len = i64::try_from(query.path_prefix.chars().count()).unwrap_or(i64::MAX);
        let rows = sqlx::query(if only_attached { ATTACHED } else { ALL })
            .bind(prefix_len)
            .bind(query.path_prefix.as_str())
            .bind(query.marker.as_deref().unwrap_or(""))
            .bind(limit_param(query.max_items))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("list policies", error))?;
        let mut items = Vec::with_capacity(rows.len());
        let mut next_marker = None;
        for (index, row) in rows.iter().enumerate() {
            if index >= query.max_items {
                next_marker = Some(get::<String>(row, "name_lower")?);
                break;
            }
            items.push(policy_row(row)?);
        }
        Ok(Page { items, next_marker })
    }

    async fn delete_policy(&self, arn: &str) -> Result<(), StoreError> {
        let mut transaction = self.write("delete policy").await?;
        let locked = sqlx::query("UPDATE managed_policies SET name = name WHERE arn = $1")
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete policy", error))?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "policy",
                name: arn.to_owned(),
            });
        }
        let count: i64 = get(
            &sqlx::query("SELECT COUNT(*) AS n FROM role_policy_attachments WHERE policy_arn = $1")
                .bind(arn)
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("delete policy", error))?,
            "n",
        )?;
        if count > 0 {
            return Err(StoreError::Conflict {
                entity: "policy",
                name: arn.to_owned(),
                reason: ConflictReason::PolicyAttached,
            });
        }
        sqlx::query("DELETE FROM managed_policies WHERE arn = $1")
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::from_sqlx("delete policy", "policy", arn, error))?;
        commit(transaction, "delete policy").await
    }
}

// ---------------------------------------------------------------------------------------------
// Keys.

fn access_key_row(row: &AnyRow) -> Result<AccessKeyRow, StoreError> {
    let access_key_id: String = get(row, "access_key_id")?;
    Ok(AccessKeyRow {
        status: stored(
            AccessKeyStatus::parse(&get::<String>(row, "status")?),
            &access_key_id,
        )?,
        access_key_id,
        secret_ciphertext: get(row, "secret_ciphertext")?,
        principal_arn: get(row, "principal_arn")?,
        create_date: timestamp(get(row, "create_date")?)?,
    })
}

impl KeyStore for Store {
    async fn create_access_key(&self, key: &AccessKeyRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret_ciphertext, principal_arn, status, \
             create_date) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key.access_key_id.as_str())
        .bind(key.secret_ciphertext.as_str())
        .bind(key.principal_arn.as_str())
        .bind(key.status.as_str())
        .bind(key.create_date.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(|error| {
            StoreError::from_sqlx("create access key", "access key", &key.access_key_id, error)
        })?;
        Ok(())
    }

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT access_key_id, secret_ciphertext, principal_arn, status, create_date \
             FROM access_keys WHERE access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|error| StoreError::db("read access key", error))?;
        row.as_ref().map(access_key_row).transpose()
    }

    async fn access_keys_of(&self, principal_arn: &str) -> Result<Vec<AccessKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT access_key_id, secret_ciphertext, principal_arn, status, create_date \
             FROM access_keys WHERE principal_arn = $1 ORDER BY create_date, access_key_id",
        )
        .bind(principal_arn)
        .fetch_all(&self.pool)
        .await
        .map_err(|error| StoreError::db("list access keys", error))?;
        rows.iter().map(access_key_row).collect()
    }

    async fn service_key_or_insert(
        &self,
        name: &str,
        sealed_if_absent: &str,
        now: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let mut transaction = self.write("create service key").await?;
        sqlx::query(
            "INSERT INTO service_keys (name, ciphertext, create_date) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(sealed_if_absent)
        .bind(now.unix_timestamp())
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("create service key", error))?;
        let row = sqlx::query("SELECT ciphertext FROM service_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("read service key", error))?;
        let stored = get(&row, "ciphertext")?;
        commit(transaction, "create service key").await?;
        Ok(stored)
    }

    async fn service_key(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT ciphertext FROM service_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read service key", error))?;
        row.as_ref().map(|row| get(row, "ciphertext")).transpose()
    }
}

// ---------------------------------------------------------------------------------------------
// Replay cache.

impl ReplayCache for Store {
    async fn record_assertion(
        &self,
        provider_arn: &str,
        assertion_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // INVARIANT: this one statement is the replay guard. It inserts the row, or takes over
        // an expired one; a live row is left alone and nothing is affected. Two nodes racing on
        // one assertion see exactly one `rows_affected() == 1` (the unique key serializes them).
        let recorded = sqlx::query(
            "INSERT INTO replay_cache (provider_arn, assertion_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (provider_arn, assertion_id) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE replay_cache.expires_at <= $4",
        )
        .bind(provider_arn)
        .bind(assertion_id)
        .bind(expires_at.unix_timestamp())
        .bind(now.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(|error| StoreError::db("record assertion", error))?;
        Ok(recorded.rows_affected() == 1)
    }

    async fn purge_replay_cache(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM replay_cache WHERE expires_at <= $1")
            .bind(now.unix_timestamp())
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::db("purge replay cache", error))?;
        Ok(deleted.rows_affected())
    }
}
