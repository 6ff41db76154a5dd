//! [`RoleStore`]: roles, their tags, inline policies and managed-policy attachments.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Transaction};

use super::paging::list_page;
use super::tags::{KeyCase, TagTable, delete_tags, read_tags, write_tags};
use super::{commit_iam_change, count_rows, ensure_room, fold, get, timestamp};
use crate::{
    AttachedPolicy, ConflictReason, InlinePolicy, ListQuery, Page, Role, RoleStore, RoleUpdate,
    Store, StoreError, Tag,
};

const ROLE_TAGS: TagTable = TagTable {
    select: "SELECT tag_key, tag_value FROM role_tags WHERE role_id = $1",
    upsert: "INSERT INTO role_tags (role_id, tag_key, tag_key_lower, tag_value) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (role_id, tag_key_lower) \
             DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value",
    delete: "DELETE FROM role_tags WHERE role_id = $1 AND tag_key_lower = $2",
    count: "SELECT COUNT(*) AS n FROM role_tags WHERE role_id = $1",
    keys: KeyCase::Insensitive,
};

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
/// A page of `ListRoles`, in the form [`list_page`] runs.
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
        write_tags(&mut transaction, &ROLE_TAGS, &role.role_id, tags, None).await?;
        commit_iam_change(transaction, "create role").await
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
        list_page(&self.pool, "list roles", ROLE_LIST_SQL, query, role_row).await
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
        commit_iam_change(transaction, "update role").await
    }

    async fn update_assume_role_policy(
        &self,
        name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("update assume role policy").await?;
        let updated = sqlx::query("UPDATE roles SET assume_role_policy = $1 WHERE name_lower = $2")
            .bind(document)
            .bind(fold(name))
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("update assume role policy", error))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "role",
                name: name.to_owned(),
            });
        }
        commit_iam_change(transaction, "update assume role policy").await
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
        commit_iam_change(transaction, "delete role").await
    }

    async fn role_tags(&self, name: &str) -> Result<Vec<Tag>, StoreError> {
        let role_id = role_id(&self.pool, name).await?;
        read_tags(&self.pool, &ROLE_TAGS, &role_id).await
    }

    async fn tag_role(&self, name: &str, tags: &[Tag], max_tags: usize) -> Result<(), StoreError> {
        let mut transaction = self.write("tag role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        write_tags(&mut transaction, &ROLE_TAGS, &role_id, tags, Some(max_tags)).await?;
        commit_iam_change(transaction, "tag role").await
    }

    async fn untag_role(&self, name: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut transaction = self.write("untag role").await?;
        let role_id = lock_role(&mut transaction, name).await?;
        delete_tags(&mut transaction, &ROLE_TAGS, &role_id, keys).await?;
        commit_iam_change(transaction, "untag role").await
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
        commit_iam_change(transaction, "put role policy").await
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
        commit_iam_change(transaction, "delete role policy").await
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
        commit_iam_change(transaction, "attach role policy").await
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
        commit_iam_change(transaction, "detach role policy").await
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
