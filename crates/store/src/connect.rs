//! Storage of the contact-center API (`fedgate-connect`): instances with their default security
//! and routing profiles, users (identity, profiles, phone settings, agent status), and tags.
//!
//! The store enforces keys, uniqueness (an instance alias case-insensitively, a username per
//! instance case-sensitively, a `ClientToken`), references (a user's profiles must belong to
//! its instance) and the quotas passed in; it does not validate names, passwords or shapes
//! (that is `fedgate-connect`). Every change of several rows is one transaction; changes to a
//! user or to an instance's users first lock the instance row (a no-op `UPDATE`), so a
//! `DeleteInstance` racing a `CreateUser` either sees the user or refuses it.

use std::future::Future;

use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use time::OffsetDateTime;

use crate::sql::tags::{KeyCase, TagTable, read_tags, write_tags};
use crate::sql::{Store, commit, count_rows, get, timestamp};
use crate::{StoreError, Tag};

/// A contact-center instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInstanceRow {
    /// The instance ID (a UUID), the primary key.
    pub id: String,
    /// `arn:aws:connect:<region>:<account>:instance/<id>`.
    pub arn: String,
    /// `InstanceAlias`, unique case-insensitively.
    pub alias: Option<String>,
    /// `SAML`, `CONNECT_MANAGED` or `EXISTING_DIRECTORY`; never changes.
    pub identity_management_type: String,
    /// `DirectoryId` (EXISTING_DIRECTORY).
    pub directory_id: Option<String>,
    /// `ACTIVE`, `CREATION_IN_PROGRESS` or `CREATION_FAILED`.
    pub status: String,
    /// `InboundCallsEnabled`.
    pub inbound_calls_enabled: bool,
    /// `OutboundCallsEnabled`.
    pub outbound_calls_enabled: bool,
    /// The `ClientToken` it was created with, unique.
    pub client_token: Option<String>,
    /// A digest of the request the token came with (a retry must repeat it).
    pub request_digest: Option<String>,
    /// When it was created.
    pub created: OffsetDateTime,
    /// Its tags, sorted by key.
    pub tags: Vec<Tag>,
}

/// A security profile or a routing profile of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectProfileRow {
    /// The profile ID (a UUID), the primary key.
    pub id: String,
    /// The instance it belongs to.
    pub instance_id: String,
    /// `…:instance/<id>/security-profile/<profile id>` or `…/routing-profile/<profile id>`.
    pub arn: String,
    /// Its name, unique in the instance.
    pub name: String,
    /// When it last changed.
    pub last_modified: OffsetDateTime,
}

/// A user's `IdentityInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectIdentityRow {
    /// `FirstName`.
    pub first_name: Option<String>,
    /// `LastName`.
    pub last_name: Option<String>,
    /// `Email`.
    pub email: Option<String>,
    /// `SecondaryEmail`.
    pub secondary_email: Option<String>,
    /// `Mobile`.
    pub mobile: Option<String>,
}

/// A user's `PhoneConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectPhoneRow {
    /// `SOFT_PHONE` or `DESK_PHONE`.
    pub phone_type: String,
    /// `AutoAccept`.
    pub auto_accept: bool,
    /// `AfterContactWorkTimeLimit`, seconds.
    pub after_contact_work_time_limit: i64,
    /// `DeskPhoneNumber`.
    pub desk_phone_number: Option<String>,
}

/// A contact-center user (an agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectUserRow {
    /// The user ID (a UUID), the primary key.
    pub id: String,
    /// The instance it belongs to.
    pub instance_id: String,
    /// `arn:aws:connect:<region>:<account>:instance/<instance id>/agent/<id>`.
    pub arn: String,
    /// The username, unique in the instance, case-sensitive.
    pub username: String,
    /// `IdentityInfo`.
    pub identity: ConnectIdentityRow,
    /// `DirectoryUserId` (EXISTING_DIRECTORY).
    pub directory_user_id: Option<String>,
    /// An argon2id PHC string (CONNECT_MANAGED); never returned by the API.
    pub password_hash: Option<String>,
    /// The routing profile (of the same instance).
    pub routing_profile_id: String,
    /// The security profiles (of the same instance), in the order given.
    pub security_profile_ids: Vec<String>,
    /// `PhoneConfig`.
    pub phone: ConnectPhoneRow,
    /// `Available` or `Offline`.
    pub agent_status: String,
    /// When the agent status last changed.
    pub agent_status_changed: OffsetDateTime,
    /// When it was created.
    pub created: OffsetDateTime,
    /// When it last changed.
    pub last_modified: OffsetDateTime,
    /// Its tags, sorted by key.
    pub tags: Vec<Tag>,
}

/// Instances, profiles and users of the contact-center API.
pub trait ConnectStore: Send + Sync {
    /// Creates an instance with its profiles and tags, unless an instance with the same
    /// `client_token` exists: then nothing is written and that instance is returned
    /// (`Ok(Some(existing))`). `LimitExceeded` when `max_instances` exist; `AlreadyExists`
    /// (entity `connect instance`) when the alias is taken (or a concurrent request with the
    /// same token won the race: look the token up again).
    fn create_connect_instance(
        &self,
        instance: &ConnectInstanceRow,
        security_profiles: &[ConnectProfileRow],
        routing_profiles: &[ConnectProfileRow],
        max_instances: usize,
    ) -> impl Future<Output = Result<Option<ConnectInstanceRow>, StoreError>> + Send;
    /// The instance `id`.
    fn connect_instance(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ConnectInstanceRow>, StoreError>> + Send;
    /// The instance whose alias is `alias`, case-insensitively.
    fn connect_instance_by_alias(
        &self,
        alias: &str,
    ) -> impl Future<Output = Result<Option<ConnectInstanceRow>, StoreError>> + Send;
    /// The instance created with `client_token`.
    fn connect_instance_by_client_token(
        &self,
        client_token: &str,
    ) -> impl Future<Output = Result<Option<ConnectInstanceRow>, StoreError>> + Send;
    /// Every instance, ordered by creation time, then ID.
    fn connect_instances(
        &self,
    ) -> impl Future<Output = Result<Vec<ConnectInstanceRow>, StoreError>> + Send;
    /// Deletes the instance with its profiles, users and tags (`NotFound` when absent).
    fn delete_connect_instance(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The instance's security profiles, ordered by name.
    fn connect_security_profiles(
        &self,
        instance_id: &str,
    ) -> impl Future<Output = Result<Vec<ConnectProfileRow>, StoreError>> + Send;
    /// The instance's routing profiles, ordered by name.
    fn connect_routing_profiles(
        &self,
        instance_id: &str,
    ) -> impl Future<Output = Result<Vec<ConnectProfileRow>, StoreError>> + Send;
    /// Creates a user with its security profiles and tags. `NotFound` when the instance, the
    /// routing profile or a security profile (of that instance) does not exist;
    /// `AlreadyExists` (entity `connect user`) when the username is taken in the instance;
    /// `LimitExceeded` when the instance has `max_users` users.
    fn create_connect_user(
        &self,
        user: &ConnectUserRow,
        max_users: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The user `user_id` of instance `instance_id`.
    fn connect_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<ConnectUserRow>, StoreError>> + Send;
    /// The user of `instance_id` whose username is exactly `username` (case-sensitive).
    fn connect_user_by_username(
        &self,
        instance_id: &str,
        username: &str,
    ) -> impl Future<Output = Result<Option<ConnectUserRow>, StoreError>> + Send;
    /// Every user of the instance, ordered by creation time, then ID.
    fn connect_users(
        &self,
        instance_id: &str,
    ) -> impl Future<Output = Result<Vec<ConnectUserRow>, StoreError>> + Send;
    /// Replaces the user's identity information (`NotFound` when absent).
    fn update_connect_user_identity(
        &self,
        instance_id: &str,
        user_id: &str,
        identity: &ConnectIdentityRow,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the user's security profiles (`NotFound` when the user or a profile of that
    /// instance does not exist; nothing changes then).
    fn update_connect_user_security_profiles(
        &self,
        instance_id: &str,
        user_id: &str,
        security_profile_ids: &[String],
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes the user and its tags (`NotFound` when absent).
    fn delete_connect_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Sets the user's agent status (`NotFound` when absent).
    fn set_connect_agent_status(
        &self,
        instance_id: &str,
        user_id: &str,
        status: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Contact-center tags: case-sensitive keys, keyed by the resource ARN.
const CONNECT_TAGS: TagTable = TagTable {
    select: "SELECT tag_key, tag_value FROM connect_tags WHERE resource_arn = $1",
    upsert: "INSERT INTO connect_tags (resource_arn, tag_key, tag_value) VALUES ($1, $2, $3) \
             ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
    delete: "DELETE FROM connect_tags WHERE resource_arn = $1 AND tag_key = $2",
    count: "SELECT COUNT(*) AS n FROM connect_tags WHERE resource_arn = $1",
    keys: KeyCase::Sensitive,
};

/// Locks the instance row for the rest of the transaction.
async fn lock_instance(
    transaction: &mut Transaction<'static, Any>,
    instance_id: &str,
) -> Result<(), StoreError> {
    let locked = sqlx::query("UPDATE connect_instances SET id = id WHERE id = $1")
        .bind(instance_id)
        .execute(&mut **transaction)
        .await
        .map_err(|error| StoreError::db("lock connect instance", error))?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            entity: "connect instance",
            name: instance_id.to_owned(),
        });
    }
    Ok(())
}

/// `NotFound` unless `profile_id` is a profile of `table` in `instance_id`.
async fn ensure_profile(
    transaction: &mut Transaction<'static, Any>,
    security: bool,
    instance_id: &str,
    profile_id: &str,
) -> Result<(), StoreError> {
    let (sql, entity) = if security {
        (
            "SELECT id FROM connect_security_profiles WHERE id = $1 AND instance_id = $2",
            "connect security profile",
        )
    } else {
        (
            "SELECT id FROM connect_routing_profiles WHERE id = $1 AND instance_id = $2",
            "connect routing profile",
        )
    };
    let found = sqlx::query(sql)
        .bind(profile_id)
        .bind(instance_id)
        .fetch_optional(&mut **transaction)
        .await
        .map_err(|error| StoreError::db("read connect profile", error))?;
    if found.is_none() {
        return Err(StoreError::NotFound {
            entity,
            name: profile_id.to_owned(),
        });
    }
    Ok(())
}

async fn write_user_security_profiles(
    transaction: &mut Transaction<'static, Any>,
    instance_id: &str,
    user_id: &str,
    security_profile_ids: &[String],
) -> Result<(), StoreError> {
    for (position, profile_id) in security_profile_ids.iter().enumerate() {
        ensure_profile(transaction, true, instance_id, profile_id).await?;
        sqlx::query(
            "INSERT INTO connect_user_security_profiles (user_id, security_profile_id, position) \
             VALUES ($1, $2, $3) ON CONFLICT (user_id, security_profile_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(profile_id.as_str())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut **transaction)
        .await
        .map_err(|error| StoreError::db("write user security profiles", error))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Instances.

const INSTANCE_COLUMNS: &str = "SELECT id, arn, alias, identity_management_type, directory_id, \
     status, inbound_calls_enabled, outbound_calls_enabled, client_token, request_digest, created \
     FROM connect_instances";

fn instance_row(row: &AnyRow) -> Result<ConnectInstanceRow, StoreError> {
    Ok(ConnectInstanceRow {
        id: get(row, "id")?,
        arn: get(row, "arn")?,
        alias: get(row, "alias")?,
        identity_management_type: get(row, "identity_management_type")?,
        directory_id: get(row, "directory_id")?,
        status: get(row, "status")?,
        inbound_calls_enabled: get::<i64>(row, "inbound_calls_enabled")? != 0,
        outbound_calls_enabled: get::<i64>(row, "outbound_calls_enabled")? != 0,
        client_token: get(row, "client_token")?,
        request_digest: get(row, "request_digest")?,
        created: timestamp(get(row, "created")?)?,
        tags: Vec::new(),
    })
}

async fn instance_where(
    store: &Store,
    condition: &'static str,
    value: &str,
) -> Result<Option<ConnectInstanceRow>, StoreError> {
    let sql = format!("{INSTANCE_COLUMNS} WHERE {condition} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(&store.pool)
        .await
        .map_err(|error| StoreError::db("read connect instance", error))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut instance = instance_row(&row)?;
    instance.tags = read_tags(&store.pool, &CONNECT_TAGS, &instance.arn).await?;
    Ok(Some(instance))
}

fn profile_row(row: &AnyRow) -> Result<ConnectProfileRow, StoreError> {
    Ok(ConnectProfileRow {
        id: get(row, "id")?,
        instance_id: get(row, "instance_id")?,
        arn: get(row, "arn")?,
        name: get(row, "name")?,
        last_modified: timestamp(get(row, "last_modified")?)?,
    })
}

async fn profiles(
    store: &Store,
    sql: &'static str,
    instance_id: &str,
) -> Result<Vec<ConnectProfileRow>, StoreError> {
    let rows = sqlx::query(sql)
        .bind(instance_id)
        .fetch_all(&store.pool)
        .await
        .map_err(|error| StoreError::db("list connect profiles", error))?;
    let mut profiles = rows
        .iter()
        .map(profile_row)
        .collect::<Result<Vec<_>, _>>()?;
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(profiles)
}

// ---------------------------------------------------------------------------------------------
// Users.

const USER_COLUMNS: &str = "SELECT u.id, u.instance_id, u.arn, u.username, u.first_name, \
     u.last_name, u.email, u.secondary_email, u.mobile, u.directory_user_id, u.password_hash, \
     u.routing_profile_id, u.phone_type, u.auto_accept, u.after_contact_work_time_limit, \
     u.desk_phone_number, u.agent_status, u.agent_status_changed, u.created, u.last_modified \
     FROM connect_users u";

fn user_row(row: &AnyRow) -> Result<ConnectUserRow, StoreError> {
    Ok(ConnectUserRow {
        id: get(row, "id")?,
        instance_id: get(row, "instance_id")?,
        arn: get(row, "arn")?,
        username: get(row, "username")?,
        identity: ConnectIdentityRow {
            first_name: get(row, "first_name")?,
            last_name: get(row, "last_name")?,
            email: get(row, "email")?,
            secondary_email: get(row, "secondary_email")?,
            mobile: get(row, "mobile")?,
        },
        directory_user_id: get(row, "directory_user_id")?,
        password_hash: get(row, "password_hash")?,
        routing_profile_id: get(row, "routing_profile_id")?,
        security_profile_ids: Vec::new(),
        phone: ConnectPhoneRow {
            phone_type: get(row, "phone_type")?,
            auto_accept: get::<i64>(row, "auto_accept")? != 0,
            after_contact_work_time_limit: get(row, "after_contact_work_time_limit")?,
            desk_phone_number: get(row, "desk_phone_number")?,
        },
        agent_status: get(row, "agent_status")?,
        agent_status_changed: timestamp(get(row, "agent_status_changed")?)?,
        created: timestamp(get(row, "created")?)?,
        last_modified: timestamp(get(row, "last_modified")?)?,
        tags: Vec::new(),
    })
}

/// One user by `condition` (`u.id` or `u.username`) in `instance_id`, with its security
/// profiles and tags.
async fn user_where(
    store: &Store,
    instance_id: &str,
    condition: &'static str,
    value: &str,
) -> Result<Option<ConnectUserRow>, StoreError> {
    let sql = format!("{USER_COLUMNS} WHERE u.instance_id = $1 AND {condition} = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(instance_id)
        .bind(value)
        .fetch_optional(&store.pool)
        .await
        .map_err(|error| StoreError::db("read connect user", error))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut user = user_row(&row)?;
    let links = sqlx::query(
        "SELECT security_profile_id FROM connect_user_security_profiles WHERE user_id = $1 \
         ORDER BY position",
    )
    .bind(user.id.as_str())
    .fetch_all(&store.pool)
    .await
    .map_err(|error| StoreError::db("read user security profiles", error))?;
    user.security_profile_ids = links
        .iter()
        .map(|row| get(row, "security_profile_id"))
        .collect::<Result<_, _>>()?;
    user.tags = read_tags(&store.pool, &CONNECT_TAGS, &user.arn).await?;
    Ok(Some(user))
}

impl ConnectStore for Store {
    async fn create_connect_instance(
        &self,
        instance: &ConnectInstanceRow,
        security_profiles: &[ConnectProfileRow],
        routing_profiles: &[ConnectProfileRow],
        max_instances: usize,
    ) -> Result<Option<ConnectInstanceRow>, StoreError> {
        let mut transaction = self.write("create connect instance").await?;
        if let Some(token) = &instance.client_token {
            let sql = format!("{INSTANCE_COLUMNS} WHERE client_token = $1");
            let existing = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(token.as_str())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("create connect instance", error))?;
            if let Some(row) = existing {
                let mut existing = instance_row(&row)?;
                existing.tags = read_tags(&mut *transaction, &CONNECT_TAGS, &existing.arn).await?;
                commit(transaction, "create connect instance").await?;
                return Ok(Some(existing));
            }
        }
        let instances = count_rows(
            &mut transaction,
            "create connect instance",
            "SELECT COUNT(*) AS n FROM connect_instances WHERE id <> $1",
            Some(&instance.id),
        )
        .await?;
        if instances >= max_instances {
            return Err(StoreError::LimitExceeded {
                what: "connect instances",
                limit: max_instances,
            });
        }
        sqlx::query(
            "INSERT INTO connect_instances (id, arn, alias, alias_lower, \
             identity_management_type, directory_id, status, inbound_calls_enabled, \
             outbound_calls_enabled, client_token, request_digest, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(instance.id.as_str())
        .bind(instance.arn.as_str())
        .bind(instance.alias.as_deref())
        .bind(instance.alias.as_deref().map(str::to_lowercase))
        .bind(instance.identity_management_type.as_str())
        .bind(instance.directory_id.as_deref())
        .bind(instance.status.as_str())
        .bind(flag(instance.inbound_calls_enabled))
        .bind(flag(instance.outbound_calls_enabled))
        .bind(instance.client_token.as_deref())
        .bind(instance.request_digest.as_deref())
        .bind(instance.created.unix_timestamp())
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::from_sqlx(
                "create connect instance",
                "connect instance",
                instance.alias.as_deref().unwrap_or(&instance.id),
                error,
            )
        })?;
        for (profiles, table) in [
            (security_profiles, "connect_security_profiles"),
            (routing_profiles, "connect_routing_profiles"),
        ] {
            let sql = format!(
                "INSERT INTO {table} (id, instance_id, arn, name, last_modified) \
                 VALUES ($1, $2, $3, $4, $5)"
            );
            for profile in profiles {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(profile.id.as_str())
                    .bind(instance.id.as_str())
                    .bind(profile.arn.as_str())
                    .bind(profile.name.as_str())
                    .bind(profile.last_modified.unix_timestamp())
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| {
                        StoreError::from_sqlx(
                            "create connect profile",
                            "connect profile",
                            &profile.name,
                            error,
                        )
                    })?;
            }
        }
        write_tags(
            &mut transaction,
            &CONNECT_TAGS,
            &instance.arn,
            &instance.tags,
            None,
        )
        .await?;
        commit(transaction, "create connect instance").await?;
        Ok(None)
    }

    async fn connect_instance(&self, id: &str) -> Result<Option<ConnectInstanceRow>, StoreError> {
        instance_where(self, "id", id).await
    }

    async fn connect_instance_by_alias(
        &self,
        alias: &str,
    ) -> Result<Option<ConnectInstanceRow>, StoreError> {
        instance_where(self, "alias_lower", &alias.to_lowercase()).await
    }

    async fn connect_instance_by_client_token(
        &self,
        client_token: &str,
    ) -> Result<Option<ConnectInstanceRow>, StoreError> {
        instance_where(self, "client_token", client_token).await
    }

    async fn connect_instances(&self) -> Result<Vec<ConnectInstanceRow>, StoreError> {
        let sql = format!("{INSTANCE_COLUMNS} ORDER BY created, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("list connect instances", error))?;
        let mut instances = rows
            .iter()
            .map(instance_row)
            .collect::<Result<Vec<_>, _>>()?;
        let tags = sqlx::query(
            "SELECT t.resource_arn, t.tag_key, t.tag_value FROM connect_tags t \
             JOIN connect_instances i ON i.arn = t.resource_arn",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|error| StoreError::db("list connect instances", error))?;
        for row in &tags {
            let arn: String = get(row, "resource_arn")?;
            if let Some(instance) = instances.iter_mut().find(|i| i.arn == arn) {
                instance.tags.push(Tag::new(
                    get::<String>(row, "tag_key")?,
                    get::<String>(row, "tag_value")?,
                ));
            }
        }
        for instance in &mut instances {
            instance.tags.sort_by(|a, b| a.key.cmp(&b.key));
        }
        instances.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(instances)
    }

    async fn delete_connect_instance(&self, id: &str) -> Result<(), StoreError> {
        let mut transaction = self.write("delete connect instance").await?;
        lock_instance(&mut transaction, id).await?;
        // Explicit, child tables first, rather than relying on ON DELETE CASCADE alone.
        for sql in [
            "DELETE FROM connect_user_security_profiles WHERE user_id IN \
             (SELECT id FROM connect_users WHERE instance_id = $1)",
            "DELETE FROM connect_tags WHERE resource_arn IN \
             (SELECT arn FROM connect_users WHERE instance_id = $1)",
            "DELETE FROM connect_tags WHERE resource_arn IN \
             (SELECT arn FROM connect_instances WHERE id = $1)",
            "DELETE FROM connect_users WHERE instance_id = $1",
            "DELETE FROM connect_security_profiles WHERE instance_id = $1",
            "DELETE FROM connect_routing_profiles WHERE instance_id = $1",
            "DELETE FROM connect_instances WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::db("delete connect instance", error))?;
        }
        commit(transaction, "delete connect instance").await
    }

    async fn connect_security_profiles(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ConnectProfileRow>, StoreError> {
        profiles(
            self,
            "SELECT id, instance_id, arn, name, last_modified FROM connect_security_profiles \
             WHERE instance_id = $1",
            instance_id,
        )
        .await
    }

    async fn connect_routing_profiles(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ConnectProfileRow>, StoreError> {
        profiles(
            self,
            "SELECT id, instance_id, arn, name, last_modified FROM connect_routing_profiles \
             WHERE instance_id = $1",
            instance_id,
        )
        .await
    }

    async fn create_connect_user(
        &self,
        user: &ConnectUserRow,
        max_users: usize,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("create connect user").await?;
        lock_instance(&mut transaction, &user.instance_id).await?;
        let users = count_rows(
            &mut transaction,
            "create connect user",
            "SELECT COUNT(*) AS n FROM connect_users WHERE instance_id = $1",
            Some(&user.instance_id),
        )
        .await?;
        if users >= max_users {
            return Err(StoreError::LimitExceeded {
                what: "connect users",
                limit: max_users,
            });
        }
        ensure_profile(
            &mut transaction,
            false,
            &user.instance_id,
            &user.routing_profile_id,
        )
        .await?;
        sqlx::query(
            "INSERT INTO connect_users (id, instance_id, arn, username, first_name, last_name, \
             email, secondary_email, mobile, directory_user_id, password_hash, \
             routing_profile_id, phone_type, auto_accept, after_contact_work_time_limit, \
             desk_phone_number, agent_status, agent_status_changed, created, last_modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20)",
        )
        .bind(user.id.as_str())
        .bind(user.instance_id.as_str())
        .bind(user.arn.as_str())
        .bind(user.username.as_str())
        .bind(user.identity.first_name.as_deref())
        .bind(user.identity.last_name.as_deref())
        .bind(user.identity.email.as_deref())
        .bind(user.identity.secondary_email.as_deref())
        .bind(user.identity.mobile.as_deref())
        .bind(user.directory_user_id.as_deref())
        .bind(user.password_hash.as_deref())
        .bind(user.routing_profile_id.as_str())
        .bind(user.phone.phone_type.as_str())
        .bind(flag(user.phone.auto_accept))
        .bind(user.phone.after_contact_work_time_limit)
        .bind(user.phone.desk_phone_number.as_deref())
        .bind(user.agent_status.as_str())
        .bind(user.agent_status_changed.unix_timestamp())
        .bind(user.created.unix_timestamp())
        .bind(user.last_modified.unix_timestamp())
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::from_sqlx("create connect user", "connect user", &user.username, error)
        })?;
        write_user_security_profiles(
            &mut transaction,
            &user.instance_id,
            &user.id,
            &user.security_profile_ids,
        )
        .await?;
        write_tags(&mut transaction, &CONNECT_TAGS, &user.arn, &user.tags, None).await?;
        commit(transaction, "create connect user").await
    }

    async fn connect_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Option<ConnectUserRow>, StoreError> {
        user_where(self, instance_id, "u.id", user_id).await
    }

    async fn connect_user_by_username(
        &self,
        instance_id: &str,
        username: &str,
    ) -> Result<Option<ConnectUserRow>, StoreError> {
        user_where(self, instance_id, "u.username", username).await
    }

    async fn connect_users(&self, instance_id: &str) -> Result<Vec<ConnectUserRow>, StoreError> {
        let sql = format!("{USER_COLUMNS} WHERE u.instance_id = $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(instance_id)
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("list connect users", error))?;
        let mut users = rows.iter().map(user_row).collect::<Result<Vec<_>, _>>()?;
        users.sort_by(|a, b| a.id.cmp(&b.id));
        let links = sqlx::query(
            "SELECT l.user_id, l.security_profile_id FROM connect_user_security_profiles l \
             JOIN connect_users u ON u.id = l.user_id WHERE u.instance_id = $1 \
             ORDER BY l.user_id, l.position",
        )
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|error| StoreError::db("list connect users", error))?;
        for row in &links {
            let user_id: String = get(row, "user_id")?;
            if let Ok(index) = users.binary_search_by(|user| user.id.as_str().cmp(&user_id))
                && let Some(user) = users.get_mut(index)
            {
                user.security_profile_ids
                    .push(get(row, "security_profile_id")?);
            }
        }
        let tags = sqlx::query(
            "SELECT u.id AS user_id, t.tag_key, t.tag_value FROM connect_tags t \
             JOIN connect_users u ON u.arn = t.resource_arn WHERE u.instance_id = $1",
        )
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|error| StoreError::db("list connect users", error))?;
        for row in &tags {
            let user_id: String = get(row, "user_id")?;
            if let Ok(index) = users.binary_search_by(|user| user.id.as_str().cmp(&user_id))
                && let Some(user) = users.get_mut(index)
            {
                user.tags.push(Tag::new(
                    get::<String>(row, "tag_key")?,
                    get::<String>(row, "tag_value")?,
                ));
            }
        }
        for user in &mut users {
            user.tags.sort_by(|a, b| a.key.cmp(&b.key));
        }
        users.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(users)
    }

    async fn update_connect_user_identity(
        &self,
        instance_id: &str,
        user_id: &str,
        identity: &ConnectIdentityRow,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE connect_users SET first_name = $1, last_name = $2, email = $3, \
             secondary_email = $4, mobile = $5, last_modified = $6 \
             WHERE instance_id = $7 AND id = $8",
        )
        .bind(identity.first_name.as_deref())
        .bind(identity.last_name.as_deref())
        .bind(identity.email.as_deref())
        .bind(identity.secondary_email.as_deref())
        .bind(identity.mobile.as_deref())
        .bind(now.unix_timestamp())
        .bind(instance_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(|error| StoreError::db("update connect user", error))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "connect user",
                name: user_id.to_owned(),
            });
        }
        Ok(())
    }

    async fn update_connect_user_security_profiles(
        &self,
        instance_id: &str,
        user_id: &str,
        security_profile_ids: &[String],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("update user security profiles").await?;
        lock_instance(&mut transaction, instance_id).await?;
        let touched = sqlx::query(
            "UPDATE connect_users SET last_modified = $1 WHERE instance_id = $2 AND id = $3",
        )
        .bind(now.unix_timestamp())
        .bind(instance_id)
        .bind(user_id)
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("update user security profiles", error))?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "connect user",
                name: user_id.to_owned(),
            });
        }
        sqlx::query("DELETE FROM connect_user_security_profiles WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("update user security profiles", error))?;
        write_user_security_profiles(&mut transaction, instance_id, user_id, security_profile_ids)
            .await?;
        commit(transaction, "update user security profiles").await
    }

    async fn delete_connect_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("delete connect user").await?;
        lock_instance(&mut transaction, instance_id).await?;
        sqlx::query("DELETE FROM connect_user_security_profiles WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete connect user", error))?;
        let deleted = sqlx::query(
            "DELETE FROM connect_users WHERE instance_id = $1 AND id = $2 RETURNING arn",
        )
        .bind(instance_id)
        .bind(user_id)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("delete connect user", error))?;
        let Some(deleted) = deleted else {
            return Err(StoreError::NotFound {
                entity: "connect user",
                name: user_id.to_owned(),
            });
        };
        let arn: String = get(&deleted, "arn")?;
        sqlx::query("DELETE FROM connect_tags WHERE resource_arn = $1")
            .bind(arn)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("delete connect user", error))?;
        commit(transaction, "delete connect user").await
    }

    async fn set_connect_agent_status(
        &self,
        instance_id: &str,
        user_id: &str,
        status: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE connect_users SET agent_status = $1, agent_status_changed = $2 \
             WHERE instance_id = $3 AND id = $4",
        )
        .bind(status)
        .bind(now.unix_timestamp())
        .bind(instance_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(|error| StoreError::db("set agent status", error))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "connect user",
                name: user_id.to_owned(),
            });
        }
        Ok(())
    }
}
