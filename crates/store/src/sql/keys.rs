//! [`KeyStore`]: long-term access keys and service keys, both sealed by the caller.

use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{commit, get, stored, timestamp};
use crate::{AccessKeyRow, AccessKeyStatus, KeyStore, Store, StoreError};

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
