//! [`SamlProviderStore`]: SAML providers, their revisions and their tags.

use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use time::OffsetDateTime;

use super::tags::{KeyCase, TagTable, delete_tags, read_tags, write_tags};
use super::{commit_iam_change, ensure_room, get, random_revision, stored, timestamp};
use crate::{
    AssertionEncryptionMode, SamlProvider, SamlProviderStore, SamlProviderSummary,
    SamlProviderUpdate, Store, StoreError, Tag,
};

const PROVIDER_TAGS: TagTable = TagTable {
    select: "SELECT tag_key, tag_value FROM saml_provider_tags WHERE arn = $1",
    upsert: "INSERT INTO saml_provider_tags (arn, tag_key, tag_key_lower, tag_value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (arn, tag_key_lower) \
             DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value",
    delete: "DELETE FROM saml_provider_tags WHERE arn = $1 AND tag_key_lower = $2",
    count: "SELECT COUNT(*) AS n FROM saml_provider_tags WHERE arn = $1",
    keys: KeyCase::Insensitive,
};

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
        .bind(random_revision()?)
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
        write_tags(&mut transaction, &PROVIDER_TAGS, &provider.arn, tags, None).await?;
        commit_iam_change(transaction, "create saml provider").await
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
        commit_iam_change(transaction, "update saml provider").await
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
        commit_iam_change(transaction, "delete saml provider").await
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
        write_tags(&mut transaction, &PROVIDER_TAGS, arn, tags, Some(max_tags)).await?;
        commit_iam_change(transaction, "tag saml provider").await
    }

    async fn untag_saml_provider(&self, arn: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut transaction = self.write("untag saml provider").await?;
        touch_provider(&mut transaction, arn).await?;
        delete_tags(&mut transaction, &PROVIDER_TAGS, arn, keys).await?;
        commit_iam_change(transaction, "untag saml provider").await
    }
}
