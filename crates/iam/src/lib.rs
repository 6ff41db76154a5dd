//! fedgate IAM: SAML providers, roles, role policies, managed policies, tags and access keys,
//! over the storage traits of `fedgate-store`.
//!
//! - [`Iam::handle`] answers the IAM Query-protocol operations fedgate implements
//!   (spec/aws-federation.md §3) and returns the content of the `<{Action}Result>` element;
//!   the server wraps it with `fedgate_aws_wire::success_response` and maps errors with
//!   [`IamError::to_aws_error`] (already an `AwsError` from `handle`).
//! - Typed lookups for STS and the server: [`Iam::saml_provider`] (a
//!   `fedgate_sts::SamlProviderRecord`: the stored provider with its metadata parsed, cached per
//!   ARN and revision), [`Iam::role_by_arn`] (the role with its permission policies),
//!   [`Iam::access_key`], [`Iam::service_key`].
//! - For the sign-in path, everything cached by the store's IAM revision: [`Iam::snapshot`]
//!   (one read while nothing changed) with its [`ProviderDirectory`], then
//!   [`Iam::assumable_role`] and [`Iam::managed_policy_document`] (no read once looked up
//!   under that snapshot).
//!
//! Authorization: [`Iam::authorization_target`] names the action and resource of a request,
//! the policy engine (the server's one authorization function) decides, and [`Iam::handle`]
//! takes only an [`AuthorizedRequest`], made from that decision's `Allowed` proof (see
//! [`authorization`]). Nothing here reads the clock: `now` is a parameter.

pub mod authorization;
mod directory;
mod error;
mod ids;
mod policies;
mod providers;
mod roles;
pub mod validate;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use fedgate_aws_wire::{AwsError, QueryRequest, XmlWriter};
use fedgate_store::{
    AccessKeyRow, AccessKeyStatus, AttachedPolicy, IamStorage, InlinePolicy, Page, Role, Secret,
    SecretBox, Store, Tag,
};
use fedgate_sts::SamlProviderRecord;
use time::OffsetDateTime;

pub use authorization::{AuthorizedRequest, IamTarget, ProofMismatch};
pub use directory::{ProviderDirectory, Snapshot};
pub use error::IamError;
pub use providers::{DEFAULT_VALIDITY_YEARS, MAX_METADATA_CHARS, MIN_METADATA_CHARS};

/// The AWS partition in every ARN fedgate issues.
pub const PARTITION: &str = "aws";

/// Most SAML providers per account (IAM quota, spec §3.2).
pub const MAX_SAML_PROVIDERS: usize = 100;
/// Most roles per account (IAM default quota).
pub const MAX_ROLES: usize = 1000;
/// Most managed policies attached to one role (IAM default quota).
pub const MAX_ATTACHED_POLICIES: usize = 10;
/// Default and shortest `MaxSessionDuration`, seconds.
pub const MIN_SESSION_SECONDS: i64 = 3600;
/// Longest `MaxSessionDuration`, seconds (12 hours).
pub const MAX_SESSION_SECONDS: i64 = 43_200;

/// A role with its permission policies (inline, and attached with their documents): what
/// authorizing a role session's request needs. It reads as the role (`record.arn`,
/// `record.assume_role_policy`) through `Deref`; it adds the policies, it does not copy the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleWithPolicies {
    /// The role as stored.
    pub role: Role,
    /// Inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// Attached managed policies (with their documents).
    pub attached_policies: Vec<AttachedPolicy>,
}

impl std::ops::Deref for RoleWithPolicies {
    type Target = Role;

    fn deref(&self) -> &Role {
        &self.role
    }
}

/// A long-term access key with its secret opened.
#[derive(Debug, Clone)]
pub struct AccessKeyRecord {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret<String>,
    /// Who it authenticates as.
    pub principal_arn: String,
    /// Whether it authenticates.
    pub status: AccessKeyStatus,
    /// When it was created.
    pub create_date: OffsetDateTime,
}

/// The IAM service over a store `S`.
pub struct Iam<S = Store> {
    store: S,
    secrets: SecretBox,
    account_id: String,
    providers: RwLock<HashMap<String, Arc<SamlProviderRecord>>>,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
}

impl<S> std::fmt::Debug for Iam<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iam")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl<S: IamStorage> Iam<S> {
    /// IAM for `account_id` (12 digits) over `store`, sealing secrets with `secrets`.
    pub fn new(store: S, secrets: SecretBox, account_id: impl Into<String>) -> Self {
        Self {
            store,
            secrets,
            account_id: account_id.into(),
            providers: RwLock::new(HashMap::new()),
            snapshot: RwLock::new(None),
        }
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Answers one IAM Query-protocol request at `now`, once the policy engine allowed it.
    ///
    /// Returns the content of the `<{Action}Result>` element; it is empty for operations
    /// without output (`DeleteRole`, `TagRole`, …), which have no `Result` element on the wire
    /// (pass `None` to `success_response`).
    ///
    /// # Errors
    /// The AWS error for the failure ([`IamError::to_aws_error`]).
    pub async fn handle(
        &self,
        authorized: AuthorizedRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<String, AwsError> {
        self.dispatch(authorized.request(), now)
            .await
            .map_err(AwsError::from)
    }

    async fn dispatch(
        &self,
        request: &QueryRequest,
        now: OffsetDateTime,
    ) -> Result<String, IamError> {
        match request.action() {
            "CreateSAMLProvider" => self.create_saml_provider(request, now).await,
            "GetSAMLProvider" => self.get_saml_provider(request).await,
            "ListSAMLProviders" => self.list_saml_providers().await,
            "UpdateSAMLProvider" => self.update_saml_provider(request).await,
            "DeleteSAMLProvider" => self.delete_saml_provider(request).await,
            "TagSAMLProvider" => self.tag_saml_provider(request).await,
            "UntagSAMLProvider" => self.untag_saml_provider(request).await,
            "ListSAMLProviderTags" => self.list_saml_provider_tags(request).await,
            "CreateRole" => self.create_role(request, now).await,
            "GetRole" => self.get_role(request).await,
            "ListRoles" => self.list_roles(request).await,
            "UpdateRole" => self.update_role(request).await,
            "UpdateAssumeRolePolicy" => self.update_assume_role_policy(request).await,
            "DeleteRole" => self.delete_role(request).await,
            "PutRolePolicy" => self.put_role_policy(request).await,
            "GetRolePolicy" => self.get_role_policy(request).await,
            "ListRolePolicies" => self.list_role_policies(request).await,
            "DeleteRolePolicy" => self.delete_role_policy(request).await,
            "TagRole" => self.tag_role(request).await,
            "UntagRole" => self.untag_role(request).await,
            "ListRoleTags" => self.list_role_tags(request).await,
            "CreatePolicy" => self.create_policy(request, now).await,
            "GetPolicy" => self.get_policy(request).await,
            "GetPolicyVersion" => self.get_policy_version(request).await,
            "ListPolicies" => self.list_policies(request).await,
            "DeletePolicy" => self.delete_policy(request).await,
            "AttachRolePolicy" => self.attach_role_policy(request).await,
            "DetachRolePolicy" => self.detach_role_policy(request).await,
            "ListAttachedRolePolicies" => self.list_attached_role_policies(request).await,
            other => Err(IamError::InvalidAction(other.to_owned())),
        }
    }

    /// The SAML provider `arn` with its metadata parsed, or `None`.
    ///
    /// One cheap revision query per call; the metadata is parsed again only when the provider
    /// changed (on any node: the revision lives in the shared store).
    ///
    /// # Errors
    /// [`IamError::Store`] when the store fails; [`IamError::StoredMetadataInvalid`] when the
    /// stored metadata no longer parses.
    pub async fn saml_provider(
        &self,
        arn: &str,
    ) -> Result<Option<Arc<SamlProviderRecord>>, IamError> {
        let Some(revision) = self.store.saml_provider_revision(arn).await? else {
            self.forget_provider(arn);
            return Ok(None);
        };
        self.saml_provider_at(arn, revision).await
    }

    /// The SAML provider `arn`, parsed: the cached record when it is at `revision`, else read
    /// and parsed again.
    async fn saml_provider_at(
        &self,
        arn: &str,
        revision: i64,
    ) -> Result<Option<Arc<SamlProviderRecord>>, IamError> {
        if let Some(cached) = self
            .providers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(arn)
            .filter(|cached| cached.revision == revision)
        {
            return Ok(Some(Arc::clone(cached)));
        }
        let Some(row) = self.store.saml_provider(arn).await? else {
            self.forget_provider(arn);
            return Ok(None);
        };
        let identity_providers =
            fedgate_saml::metadata::parse_metadata(&row.metadata_document, &providers::limits())
                .map_err(|error| IamError::StoredMetadataInvalid {
                    arn: arn.to_owned(),
                    code: error.code(),
                    detail: error.to_string(),
                })?;
        let record = Arc::new(SamlProviderRecord {
            provider: row,
            identity_providers,
        });
        self.providers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(arn.to_owned(), Arc::clone(&record));
        Ok(Some(record))
    }

    fn forget_provider(&self, arn: &str) {
        self.providers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(arn);
    }

    /// The role with `arn` with its inline and attached policies, or `None`.
    ///
    /// # Errors
    /// [`IamError::Store`] when the store fails.
    pub async fn role_by_arn(&self, arn: &str) -> Result<Option<RoleWithPolicies>, IamError> {
        let Some(role) = self.store.role_by_arn(arn).await? else {
            return Ok(None);
        };
        let inline_policies = self.store.role_policies(&role.name).await?;
        let attached_policies = self.store.attached_role_policies(&role.name).await?;
        Ok(Some(RoleWithPolicies {
            role,
            inline_policies,
            attached_policies,
        }))
    }

    /// Creates a long-term access key for `principal_arn` (the administrator), stored sealed.
    /// The secret is returned once, here.
    ///
    /// # Errors
    /// [`IamError::Store`] when randomness, sealing or the store fails.
    pub async fn create_access_key_for_admin(
        &self,
        principal_arn: &str,
        now: OffsetDateTime,
    ) -> Result<AccessKeyRecord, IamError> {
        let access_key_id = ids::access_key_id()?;
        let secret = ids::secret_access_key()?;
        let row = AccessKeyRow {
            secret_ciphertext: self
                .secrets
                .seal(&access_key_id, secret.expose().as_bytes())?,
            access_key_id: access_key_id.clone(),
            principal_arn: principal_arn.to_owned(),
            status: AccessKeyStatus::Active,
            create_date: now,
        };
        self.store.create_access_key(&row).await?;
        Ok(AccessKeyRecord {
            access_key_id,
            secret_access_key: secret,
            principal_arn: row.principal_arn,
            status: row.status,
            create_date: now,
        })
    }

    /// The role named `name` (case-insensitively, as IAM names are unique), without its
    /// permission policies: what authorization needs to know the role's ARN and path.
    ///
    /// # Errors
    /// [`IamError`] when the store fails.
    pub async fn role_by_name(&self, name: &str) -> Result<Option<Role>, IamError> {
        Ok(self.store.role_by_name(name).await?)
    }

    /// Stores a given long-term key for the administrator (from `FEDGATE_ADMIN_ACCESS_KEY_ID`
    /// and `FEDGATE_ADMIN_SECRET_ACCESS_KEY`), sealed like a generated one.
    ///
    /// # Errors
    /// [`IamError`] when the id is not `AKIA` + 16–124 alphanumerics, the secret is shorter
    /// than 16 characters, or the store refuses (an existing id).
    pub async fn import_access_key_for_admin(
        &self,
        access_key_id: &str,
        secret_access_key: &Secret<String>,
        principal_arn: &str,
        now: OffsetDateTime,
    ) -> Result<(), IamError> {
        let id_ok = access_key_id.starts_with("AKIA")
            && (20..=128).contains(&access_key_id.len())
            && access_key_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !id_ok || secret_access_key.expose().len() < 16 {
            return Err(IamError::Store(fedgate_store::StoreError::Configuration {
                detail: "the administrator key must be AKIA followed by 16+ upper-case letters or digits, with a secret of 16+ characters".to_owned(),
            }));
        }
        let row = AccessKeyRow {
            secret_ciphertext: self
                .secrets
                .seal(access_key_id, secret_access_key.expose().as_bytes())?,
            access_key_id: access_key_id.to_owned(),
            principal_arn: principal_arn.to_owned(),
            status: AccessKeyStatus::Active,
            create_date: now,
        };
        self.store.create_access_key(&row).await?;
        Ok(())
    }

    /// The access key `access_key_id` with its secret opened, or `None`.
    ///
    /// # Errors
    /// [`IamError::Store`] when the store fails or the secret does not open (wrong master key,
    /// tampering).
    pub async fn access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, IamError> {
        let Some(row) = self.store.access_key(access_key_id).await? else {
            return Ok(None);
        };
        let secret = self
            .secrets
            .open(&row.access_key_id, &row.secret_ciphertext)?;
        let secret = String::from_utf8(secret.into_inner()).map_err(|_| {
            IamError::Store(fedgate_store::StoreError::Corrupt {
                detail: format!("secret of {access_key_id} is not utf-8"),
            })
        })?;
        Ok(Some(AccessKeyRecord {
            access_key_id: row.access_key_id,
            secret_access_key: Secret::new(secret),
            principal_arn: row.principal_arn,
            status: row.status,
            create_date: row.create_date,
        }))
    }

    /// The secret of an *active* access key, or `None` (unknown or inactive).
    ///
    /// # Errors
    /// As [`Iam::access_key`].
    pub async fn access_key_secret(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Secret<String>>, IamError> {
        Ok(self
            .access_key(access_key_id)
            .await?
            .filter(|key| key.status == AccessKeyStatus::Active)
            .map(|key| key.secret_access_key))
    }

    /// The 32-byte service key `name` (for example the session-token key), created at random
    /// on first use and stored sealed; every node gets the same key.
    ///
    /// # Errors
    /// [`IamError::Store`] when the store fails or the stored key does not open.
    pub async fn service_key(
        &self,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<Secret<[u8; 32]>, IamError> {
        let associated_data = format!("service-key:{name}");
        let sealed = match self.store.service_key(name).await? {
            Some(sealed) => sealed,
            None => {
                let fresh = ids::random_bytes::<32>()?;
                let sealed = self.secrets.seal(&associated_data, fresh.expose())?;
                self.store.service_key_or_insert(name, &sealed, now).await?
            }
        };
        let opened = self.secrets.open(&associated_data, &sealed)?;
        let key: [u8; 32] = opened.expose().as_slice().try_into().map_err(|_| {
            IamError::Store(fedgate_store::StoreError::Corrupt {
                detail: format!("service key {name} is not 32 bytes"),
            })
        })?;
        Ok(Secret::new(key))
    }

    fn provider_arn(&self, name: &str) -> String {
        format!(
            "arn:{PARTITION}:iam::{}:saml-provider/{name}",
            self.account_id
        )
    }
}

/// Writes `<Tags><member><Key/><Value/></member>…</Tags>`.
pub(crate) fn write_tags(xml: &mut XmlWriter, tags: &[Tag]) {
    xml.start("Tags");
    for tag in tags {
        xml.start("member")
            .element("Key", &tag.key)
            .element("Value", &tag.value)
            .end();
    }
    xml.end();
}

/// One page of an in-memory list (through the one pager, [`Page::from_rows`]): the marker is
/// the position of the page's first item in the whole list.
pub(crate) fn page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    max_items: usize,
) -> Result<(Vec<T>, Option<String>), IamError> {
    let start = match marker {
        None => 0,
        Some(marker) => marker
            .parse::<usize>()
            .ok()
            .filter(|start| *start <= items.len())
            .ok_or_else(|| IamError::InvalidInput("Invalid Marker.".to_owned()))?,
    };
    let page = Page::from_rows(
        items.into_iter().skip(start),
        max_items,
        Ok::<T, IamError>,
        |position, _| Ok(start.saturating_add(position).to_string()),
    )?;
    Ok((page.items, page.next_marker))
}

/// Writes `IsTruncated` and `Marker`.
pub(crate) fn write_truncation(xml: &mut XmlWriter, next_marker: Option<&str>) {
    xml.element(
        "IsTruncated",
        if next_marker.is_some() {
            "true"
        } else {
            "false"
        },
    )
    .optional("Marker", next_marker);
}
