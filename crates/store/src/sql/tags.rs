//! Tags: the same reads and writes for every tagged table (SAML providers, roles, contact-center
//! resources), each described by a [`TagTable`].

use sqlx::{Any, Transaction};

use super::{count_rows, fold, get};
use crate::{StoreError, Tag};

/// How a table tells tag keys apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCase {
    /// IAM: one tag per key case-insensitively, kept in a `tag_key_lower` column; the stored key
    /// keeps the case of the last write. `upsert` takes `(owner, key, lower-cased key, value)`.
    Insensitive,
    /// Contact center: keys are case-sensitive. `upsert` takes `(owner, key, value)`.
    Sensitive,
}

/// The statements of one tag table, each keyed by its owner (`$1`).
#[derive(Debug)]
pub(crate) struct TagTable {
    /// `tag_key`, `tag_value` of the owner.
    pub(crate) select: &'static str,
    /// Insert, or overwrite the value of the same key (see [`KeyCase`] for the parameters).
    pub(crate) upsert: &'static str,
    /// Delete the owner's tag with key `$2` (lower-cased for [`KeyCase::Insensitive`]).
    pub(crate) delete: &'static str,
    /// `COUNT(*) AS n` of the owner's tags.
    pub(crate) count: &'static str,
    /// How keys compare.
    pub(crate) keys: KeyCase,
}

impl TagTable {
    fn key(&self, key: &str) -> String {
        match self.keys {
            KeyCase::Insensitive => fold(key),
            KeyCase::Sensitive => key.to_owned(),
        }
    }
}

/// The owner's tags, sorted by key in byte order (sorted in Rust: the same on both backends,
/// whatever the collation).
pub(crate) async fn read_tags(
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
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(tags)
}

/// Adds or overwrites `tags`; with `max_tags`, fails with `LimitExceeded` (rolling back with the
/// transaction) when the owner then has more.
pub(crate) async fn write_tags(
    transaction: &mut Transaction<'static, Any>,
    table: &TagTable,
    owner: &str,
    tags: &[Tag],
    max_tags: Option<usize>,
) -> Result<(), StoreError> {
    for tag in tags {
        let query = sqlx::query(table.upsert).bind(owner).bind(tag.key.as_str());
        let query = match table.keys {
            KeyCase::Insensitive => query.bind(table.key(&tag.key)),
            KeyCase::Sensitive => query,
        };
        query
            .bind(tag.value.as_str())
            .execute(&mut **transaction)
            .await
            .map_err(|error| StoreError::db("write tags", error))?;
    }
    if let Some(max_tags) = max_tags {
        let count = count_rows(transaction, "count tags", table.count, Some(owner)).await?;
        if count > max_tags {
            return Err(StoreError::LimitExceeded {
                what: "tags",
                limit: max_tags,
            });
        }
    }
    Ok(())
}

/// Removes the owner's tags with these keys; absent keys are ignored.
pub(crate) async fn delete_tags(
    transaction: &mut Transaction<'static, Any>,
    table: &TagTable,
    owner: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    for key in keys {
        sqlx::query(table.delete)
            .bind(owner)
            .bind(table.key(key))
            .execute(&mut **transaction)
            .await
            .map_err(|error| StoreError::db("delete tags", error))?;
    }
    Ok(())
}
