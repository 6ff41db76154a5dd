//! [`ReplayCache`]: the assertion replay guard, cluster-wide through the shared database.

use time::OffsetDateTime;

use crate::{ReplayCache, Store, StoreError};

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
