//! [`ManagedPolicyStore`]: customer-managed policies (one version each).

use sqlx::any::AnyRow;

use super::paging::list_page;
use super::{commit_iam_change, fold, get, timestamp};
use crate::{
    ConflictReason, ListQuery, ManagedPolicyRow, ManagedPolicyStore, Page, Store, StoreError,
};

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
        let mut transaction = self.write("create policy").await?;
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
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::from_sqlx("create policy", "policy", &policy.name, error))?;
        commit_iam_change(transaction, "create policy").await
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
        let sql = if only_attached { ATTACHED } else { ALL };
        list_page(&self.pool, "list policies", sql, query, policy_row).await
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
        commit_iam_change(transaction, "delete policy").await
    }
}
