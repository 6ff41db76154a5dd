//! fedgate's contact-center API (an Amazon Connect look-alike, spec/aws-federation.md §4) over
//! the storage trait [`ConnectStore`]:
//!
//! - the REST-JSON operations of the botocore `connect` model that fedgate implements
//!   (instances, their default security and routing profiles, users), taking the model's
//!   request shapes ([`wire`]) and returning its response shapes; the server routes the paths,
//!   authenticates (SigV4) and authorizes (policy engine) before calling them, and maps
//!   [`ConnectError::to_aws_error`] to the wire;
//! - `GetFederationToken` ([`Connect::get_federation_token`]): the user named exactly like the
//!   caller's role session gets sealed, expiring access and refresh tokens and a `SignInUrl`
//!   that opens the agent workspace ([`Connect::open_access_token`]);
//! - typed lookups for the browser pages ([`Connect::instance`], [`Connect::user_by_username`],
//!   [`Connect::set_agent_status`], …).
//!
//! Nothing here reads the clock (`now` is a parameter) or authorizes: that is the server's job.
//!
//! Decisions where AWS is silent (ours, documented where they are made): an instance alias is
//! required for SAML and CONNECT_MANAGED instances ([`instances`]); `GetFederationToken` serves
//! SAML instances only and its token lifetimes ([`federation`]); `UpdateUserIdentityInfo`
//! changes only the members it is given ([`users`]); the quotas [`MAX_INSTANCES`] and
//! [`MAX_USERS_PER_INSTANCE`].

mod error;
pub mod federation;
mod ids;
pub mod instances;
mod password;
pub mod users;
mod validate;
pub mod wire;

use fedgate_store::{
    ConnectInstanceRow, ConnectStore, ConnectUserRow, MasterKey, Secret, SecretBox, Store,
    StoreError,
};
use time::OffsetDateTime;

pub use error::{ConnectError, USER_NOT_FOUND_MESSAGE};
pub use federation::{
    ACCESS_TOKEN_LIFETIME, AgentAccess, FederationCaller, FederationToken, REFRESH_TOKEN_LIFETIME,
};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use validate::{MAX_ALIAS_CHARS, MAX_TAGS, MAX_USERNAME_CHARS};
pub use wire::parse_json;

/// The AWS partition in every ARN fedgate issues.
pub const PARTITION: &str = "aws";

/// Most instances per account. Ours: AWS's default quota is 2 (adjustable on request); a
/// self-hosted service has no one to ask, so the bound only keeps listings small.
pub const MAX_INSTANCES: usize = 100;

/// Most users per instance: AWS's default quota "Users per instance" (500). Listings and
/// searches load an instance's users at once, which this bound keeps cheap.
pub const MAX_USERS_PER_INSTANCE: usize = 500;

/// The security profiles every instance is created with (as AWS creates them).
pub const DEFAULT_SECURITY_PROFILES: [&str; 4] =
    ["Admin", "Agent", "CallCenterManager", "QualityAnalyst"];

/// The routing profile every instance is created with (as AWS creates it).
pub const DEFAULT_ROUTING_PROFILE: &str = "Basic Routing Profile";

/// How an instance's users are identified; fixed when the instance is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityManagementType {
    /// `SAML`: users sign in through an IdP and a role session (no passwords, no e-mail).
    Saml,
    /// `CONNECT_MANAGED`: users have passwords stored by the service.
    ConnectManaged,
    /// `EXISTING_DIRECTORY`: users come from a directory.
    ExistingDirectory,
}

impl IdentityManagementType {
    /// The model's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "SAML",
            Self::ConnectManaged => "CONNECT_MANAGED",
            Self::ExistingDirectory => "EXISTING_DIRECTORY",
        }
    }

    /// From the model's name (exact).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "SAML" => Some(Self::Saml),
            "CONNECT_MANAGED" => Some(Self::ConnectManaged),
            "EXISTING_DIRECTORY" => Some(Self::ExistingDirectory),
            _ => None,
        }
    }
}

/// `InstanceStatus`. fedgate creates instances synchronously: they are always `Active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceStatus {
    /// `CREATION_IN_PROGRESS`.
    CreationInProgress,
    /// `ACTIVE`.
    Active,
    /// `CREATION_FAILED`.
    CreationFailed,
}

impl InstanceStatus {
    /// The model's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreationInProgress => "CREATION_IN_PROGRESS",
            Self::Active => "ACTIVE",
            Self::CreationFailed => "CREATION_FAILED",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "CREATION_IN_PROGRESS" => Some(Self::CreationInProgress),
            "ACTIVE" => Some(Self::Active),
            "CREATION_FAILED" => Some(Self::CreationFailed),
            _ => None,
        }
    }
}

/// An agent's status in the workspace; new users are `Offline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AgentStatus {
    /// Ready for contacts.
    Available,
    /// Not taking contacts (the default).
    #[default]
    Offline,
}

impl AgentStatus {
    /// `Available` or `Offline`, as shown and stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Offline => "Offline",
        }
    }

    /// From `Available` or `Offline` (exact), e.g. a form value.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Available" => Some(Self::Available),
            "Offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// A contact-center instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The instance ID (a UUID).
    pub id: String,
    /// `arn:aws:connect:<region>:<account>:instance/<id>`.
    pub arn: String,
    /// `InstanceAlias` (always set for SAML and CONNECT_MANAGED instances).
    pub alias: Option<String>,
    /// Fixed at creation.
    pub identity_management_type: IdentityManagementType,
    /// Always [`InstanceStatus::Active`] in fedgate.
    pub status: InstanceStatus,
    /// When it was created.
    pub created: OffsetDateTime,
    /// `InboundCallsEnabled`.
    pub inbound_calls_enabled: bool,
    /// `OutboundCallsEnabled`.
    pub outbound_calls_enabled: bool,
    /// `InstanceAccessUrl`: `<base-url>/connect/login/<alias or id>`.
    pub access_url: String,
}

/// A contact-center user (an agent). The password hash never leaves the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user ID (a UUID).
    pub id: String,
    /// `arn:aws:connect:<region>:<account>:instance/<instance id>/agent/<id>`.
    pub arn: String,
    /// The instance it belongs to.
    pub instance_id: String,
    /// The username (case-sensitive; a SAML user's equals the RoleSessionName).
    pub username: String,
    /// `FirstName`.
    pub first_name: Option<String>,
    /// `LastName`.
    pub last_name: Option<String>,
    /// `Email`.
    pub email: Option<String>,
    /// The agent status.
    pub agent_status: AgentStatus,
    /// When the agent status last changed.
    pub agent_status_changed: OffsetDateTime,
    /// Security profile IDs.
    pub security_profile_ids: Vec<String>,
    /// Routing profile ID.
    pub routing_profile_id: String,
    /// When it was created.
    pub created: OffsetDateTime,
    /// When it last changed.
    pub last_modified: OffsetDateTime,
}

/// Where this service runs: the account and region in its ARNs, its public base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// The AWS account ID this instance plays (12 digits).
    pub account_id: String,
    /// The region this instance plays (`us-east-1`).
    pub region: String,
    /// The public base URL, without a trailing slash (for `SignInUrl` and access URLs).
    pub base_url: String,
}

/// The contact-center service over a store `S`.
pub struct Connect<S = Store> {
    store: S,
    settings: ConnectSettings,
    /// Seals and opens federation tokens (AES-256-GCM under a service key).
    tokens: SecretBox,
}

impl<S> std::fmt::Debug for Connect<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S: ConnectStore> Connect<S> {
    /// The service over `store`; federation tokens are sealed under `token_key` (a 32-byte
    /// service key the server keeps in the store, the same on every node).
    ///
    /// # Errors
    /// [`ConnectError::Internal`] if the key is unusable.
    pub fn new(
        store: S,
        settings: ConnectSettings,
        token_key: &Secret<[u8; 32]>,
    ) -> Result<Self, ConnectError> {
        let tokens = SecretBox::new(&MasterKey::from_bytes(*token_key.expose()))
            .map_err(|_| ConnectError::Internal { cause: "token_key" })?;
        let settings = ConnectSettings {
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            ..settings
        };
        Ok(Self {
            store,
            settings,
            tokens,
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The settings.
    pub fn settings(&self) -> &ConnectSettings {
        &self.settings
    }

    /// `arn:aws:connect:<region>:<account>:instance/<instance_id>`: the resource of instance
    /// operations (also for an instance that does not exist, as authorization comes first).
    #[must_use]
    pub fn instance_arn(&self, instance_id: &str) -> String {
        format!(
            "arn:{PARTITION}:connect:{}:{}:instance/{instance_id}",
            self.settings.region, self.settings.account_id
        )
    }

    /// `…:instance/<instance_id>/agent/<user_id>`: the resource of user operations.
    #[must_use]
    pub fn user_arn(&self, instance_id: &str, user_id: &str) -> String {
        format!("{}/agent/{user_id}", self.instance_arn(instance_id))
    }

    /// `…:instance/<instance_id>/user/<aws_userid>`: the resource `GetFederationToken` is
    /// authorized on (spec §4.4; `aws_userid` is `<RoleId>:<RoleSessionName>`, so a policy
    /// resource `…/user/${aws:userid}` matches the caller's own).
    #[must_use]
    pub fn federation_resource(&self, instance_id: &str, aws_userid: &str) -> String {
        format!("{}/user/{aws_userid}", self.instance_arn(instance_id))
    }

    fn access_url(&self, row: &ConnectInstanceRow) -> String {
        format!(
            "{}/connect/login/{}",
            self.settings.base_url,
            row.alias.as_deref().unwrap_or(&row.id)
        )
    }

    fn instance_from_row(&self, row: &ConnectInstanceRow) -> Result<Instance, ConnectError> {
        let corrupt = |what: &str| {
            ConnectError::Store(StoreError::Corrupt {
                detail: format!("instance {} has an unknown {what}", row.id),
            })
        };
        Ok(Instance {
            id: row.id.clone(),
            arn: row.arn.clone(),
            alias: row.alias.clone(),
            identity_management_type: IdentityManagementType::parse(&row.identity_management_type)
                .ok_or_else(|| corrupt("identity management type"))?,
            status: InstanceStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            created: row.created,
            inbound_calls_enabled: row.inbound_calls_enabled,
            outbound_calls_enabled: row.outbound_calls_enabled,
            access_url: self.access_url(row),
        })
    }

    /// The instance `id`, or `None`.
    ///
    /// # Errors
    /// [`ConnectError::Store`] when the store fails.
    pub async fn instance(&self, id: &str) -> Result<Option<Instance>, ConnectError> {
        match self.store.connect_instance(id).await? {
            Some(row) => Ok(Some(self.instance_from_row(&row)?)),
            None => Ok(None),
        }
    }

    /// The instance whose ID is `text`, else whose alias is `text` (case-insensitively), or
    /// `None`.
    ///
    /// # Errors
    /// [`ConnectError::Store`] when the store fails.
    pub async fn instance_by_alias_or_id(
        &self,
        text: &str,
    ) -> Result<Option<Instance>, ConnectError> {
        if let Some(instance) = self.instance(text).await? {
            return Ok(Some(instance));
        }
        match self.store.connect_instance_by_alias(text).await? {
            Some(row) => Ok(Some(self.instance_from_row(&row)?)),
            None => Ok(None),
        }
    }

    /// The user `user_id` of instance `instance_id`, or `None`.
    ///
    /// # Errors
    /// [`ConnectError::Store`] when the store fails.
    pub async fn user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Option<User>, ConnectError> {
        self.store
            .connect_user(instance_id, user_id)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
    }

    /// The user of `instance_id` whose username is exactly `username` (case-sensitive, as
    /// Connect compares it with the RoleSessionName), or `None`.
    ///
    /// # Errors
    /// [`ConnectError::Store`] when the store fails.
    pub async fn user_by_username(
        &self,
        instance_id: &str,
        username: &str,
    ) -> Result<Option<User>, ConnectError> {
        self.store
            .connect_user_by_username(instance_id, username)
            .await?
            .map(|row| user_from_row(&row))
            .transpose()
    }

    /// Sets the user's agent status at `now`; returns the user as stored afterwards.
    ///
    /// # Errors
    /// [`ConnectError::ResourceNotFound`] when the user does not exist in that instance;
    /// [`ConnectError::Store`] when the store fails.
    pub async fn set_agent_status(
        &self,
        instance_id: &str,
        user_id: &str,
        status: AgentStatus,
        now: OffsetDateTime,
    ) -> Result<User, ConnectError> {
        self.store
            .set_connect_agent_status(instance_id, user_id, status.as_str(), now)
            .await?;
        self.user(instance_id, user_id)
            .await?
            .ok_or_else(|| ConnectError::ResourceNotFound(format!("User {user_id} not found")))
    }

    /// The user of a CONNECT_MANAGED instance named `username` whose password is `password`,
    /// or `None` (no such user, no password, or another password). For the instance login
    /// page; the comparison is argon2's.
    ///
    /// # Errors
    /// [`ConnectError::Store`] when the store fails.
    pub async fn verify_password(
        &self,
        instance_id: &str,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, ConnectError> {
        let Some(row) = self
            .store
            .connect_user_by_username(instance_id, username)
            .await?
        else {
            return Ok(None);
        };
        match &row.password_hash {
            Some(stored) if password::verify(password, stored) => Ok(Some(user_from_row(&row)?)),
            _ => Ok(None),
        }
    }

    async fn existing_instance(
        &self,
        kind: validate::Kind,
        instance_id: &str,
    ) -> Result<ConnectInstanceRow, ConnectError> {
        validate::resource_id(kind, "instanceId", instance_id)?;
        self.store
            .connect_instance(instance_id)
            .await?
            .ok_or_else(|| {
                ConnectError::ResourceNotFound(format!("Instance {instance_id} not found"))
            })
    }

    async fn existing_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<(ConnectInstanceRow, ConnectUserRow), ConnectError> {
        let instance = self
            .existing_instance(validate::Kind::Parameter, instance_id)
            .await?;
        validate::resource_id(validate::Kind::Parameter, "userId", user_id)?;
        let user = self
            .store
            .connect_user(instance_id, user_id)
            .await?
            .ok_or_else(|| ConnectError::ResourceNotFound(format!("User {user_id} not found")))?;
        Ok((instance, user))
    }
}

fn user_from_row(row: &ConnectUserRow) -> Result<User, ConnectError> {
    Ok(User {
        id: row.id.clone(),
        arn: row.arn.clone(),
        instance_id: row.instance_id.clone(),
        username: row.username.clone(),
        first_name: row.identity.first_name.clone(),
        last_name: row.identity.last_name.clone(),
        email: row.identity.email.clone(),
        agent_status: AgentStatus::parse(&row.agent_status).ok_or_else(|| {
            ConnectError::Store(StoreError::Corrupt {
                detail: format!("user {} has an unknown agent status", row.id),
            })
        })?,
        agent_status_changed: row.agent_status_changed,
        security_profile_ids: row.security_profile_ids.clone(),
        routing_profile_id: row.routing_profile_id.clone(),
        created: row.created,
        last_modified: row.last_modified,
    })
}

/// The paging key of instances and users: creation time, then ID (both fixed for life).
fn created_key(created: OffsetDateTime, id: &str) -> String {
    format!("{:020}/{id}", created.unix_timestamp().max(0))
}

#[cfg(test)]
pub(crate) mod tests;
