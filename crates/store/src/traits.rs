//! The storage contract, one trait per area. [`crate::Store`] implements all of them for SQLite
//! and PostgreSQL; front-ends (`fedgate-iam`, STS, the server) are written against these traits.
//!
//! Every method that changes several rows does so in one transaction: on error nothing is
//! written. Quotas passed as arguments are checked inside that transaction.

use std::future::Future;

use time::OffsetDateTime;

use crate::{
    AccessKeyRow, AttachedPolicy, InlinePolicy, ListQuery, ManagedPolicyRow, Page, Role,
    RoleUpdate, SamlProvider, SamlProviderSummary, SamlProviderUpdate, StoreError, Tag,
};

/// SAML providers and their tags.
pub trait SamlProviderStore: Send + Sync {
    /// Creates a provider with its tags, failing with `LimitExceeded` when `max_providers`
    /// already exist and `AlreadyExists` when the ARN is taken.
    fn create_saml_provider(
        &self,
        provider: &SamlProvider,
        tags: &[Tag],
        max_providers: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The provider with `arn`.
    fn saml_provider(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<SamlProvider>, StoreError>> + Send;
    /// The provider's revision only (cheap cache validation).
    fn saml_provider_revision(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;
    /// Every provider's ARN and revision, ordered by ARN: one cheap query that tells a cache
    /// of parsed providers whether anything changed.
    fn saml_provider_revisions(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;
    /// Every provider, ordered by ARN.
    fn list_saml_providers(
        &self,
    ) -> impl Future<Output = Result<Vec<SamlProviderSummary>, StoreError>> + Send;
    /// Applies `update`, bumping the revision.
    fn update_saml_provider(
        &self,
        arn: &str,
        update: &SamlProviderUpdate,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes the provider and its tags.
    fn delete_saml_provider(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The provider's tags, sorted by key.
    fn saml_provider_tags(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Vec<Tag>, StoreError>> + Send;
    /// Adds or overwrites tags (same key case-insensitively), at most `max_tags` in all.
    fn tag_saml_provider(
        &self,
        arn: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes tags by key (case-insensitively); absent keys are ignored.
    fn untag_saml_provider(
        &self,
        arn: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Roles, their tags, inline policies and attachments.
pub trait RoleStore: Send + Sync {
    /// Creates a role with its tags (`AlreadyExists` when the name is taken case-insensitively).
    fn create_role(
        &self,
        role: &Role,
        tags: &[Tag],
        max_roles: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The role named `name` (case-insensitively).
    fn role_by_name(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
    /// The role with `arn`.
    fn role_by_arn(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
    /// Roles ordered by lower-cased name.
    fn list_roles(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Page<Role>, StoreError>> + Send;
    /// Applies `update`.
    fn update_role(
        &self,
        name: &str,
        update: &RoleUpdate,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the trust policy.
    fn update_assume_role_policy(
        &self,
        name: &str,
        document: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes the role and its tags; `Conflict` while it has inline or attached policies.
    fn delete_role(&self, name: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The role's tags, sorted by key.
    fn role_tags(&self, name: &str) -> impl Future<Output = Result<Vec<Tag>, StoreError>> + Send;
    /// Adds or overwrites tags, at most `max_tags` in all.
    fn tag_role(
        &self,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes tags by key.
    fn untag_role(
        &self,
        name: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Creates or replaces an inline policy. `check` sees the role's inline policies after the
    /// change (to enforce the aggregate size quota) and can refuse it, rolling back.
    fn put_role_policy(
        &self,
        role_name: &str,
        policy: &InlinePolicy,
        check: &(dyn Fn(&[InlinePolicy]) -> Result<(), StoreError> + Sync),
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The role's inline policies, ordered by name.
    fn role_policies(
        &self,
        role_name: &str,
    ) -> impl Future<Output = Result<Vec<InlinePolicy>, StoreError>> + Send;
    /// Deletes an inline policy.
    fn delete_role_policy(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Attaches a managed policy (idempotent), at most `max_attached` per role.
    fn attach_role_policy(
        &self,
        role_name: &str,
        policy_arn: &str,
        max_attached: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Detaches a managed policy (`NotFound` when it is not attached).
    fn detach_role_policy(
        &self,
        role_name: &str,
        policy_arn: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The managed policies attached to the role, ordered by name.
    fn attached_role_policies(
        &self,
        role_name: &str,
    ) -> impl Future<Output = Result<Vec<AttachedPolicy>, StoreError>> + Send;
}

/// Customer-managed policies.
pub trait ManagedPolicyStore: Send + Sync {
    /// Creates a policy (`AlreadyExists` when the name is taken).
    fn create_policy(
        &self,
        policy: &ManagedPolicyRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The policy with `arn`, with its attachment count.
    fn policy(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<ManagedPolicyRow>, StoreError>> + Send;
    /// Policies ordered by lower-cased name, optionally only attached ones.
    fn list_policies(
        &self,
        query: &ListQuery,
        only_attached: bool,
    ) -> impl Future<Output = Result<Page<ManagedPolicyRow>, StoreError>> + Send;
    /// Deletes a policy; `Conflict` while attached.
    fn delete_policy(&self, arn: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Long-term access keys and service keys (both sealed by the caller).
pub trait KeyStore: Send + Sync {
    /// Stores a new access key.
    fn create_access_key(
        &self,
        key: &AccessKeyRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The access key with `access_key_id`.
    fn access_key(
        &self,
        access_key_id: &str,
    ) -> impl Future<Output = Result<Option<AccessKeyRow>, StoreError>> + Send;
    /// Access keys of `principal_arn`, ordered by creation.
    fn access_keys_of(
        &self,
        principal_arn: &str,
    ) -> impl Future<Output = Result<Vec<AccessKeyRow>, StoreError>> + Send;
    /// The sealed service key `name`, inserting `sealed_if_absent` when there is none. Returns
    /// what is stored (another node may have won the race).
    fn service_key_or_insert(
        &self,
        name: &str,
        sealed_if_absent: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    /// The sealed service key `name`, if any.
    fn service_key(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}

/// The assertion replay cache (cluster-wide through the shared database).
pub trait ReplayCache: Send + Sync {
    /// Records `assertion_id` for `provider_arn` until `expires_at`. Returns `true` the first
    /// time, `false` when it is already recorded and not yet expired at `now`.
    fn record_assertion(
        &self,
        provider_arn: &str,
        assertion_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Deletes entries expired at `now`; returns how many.
    fn purge_replay_cache(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// One value for all IAM data (SAML providers, roles and their tags, inline policies and
/// attachments, managed policies): every change of any of them replaces it in the changing
/// transaction, with a value it never had before. A cache of IAM data is current while this
/// value is the one it was filled under; that one read is what a warm sign-in costs.
pub trait IamRevision: Send + Sync {
    /// The current IAM revision.
    fn iam_revision(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// Everything `fedgate-iam` needs.
pub trait IamStorage:
    SamlProviderStore + RoleStore + ManagedPolicyStore + KeyStore + IamRevision
{
}

impl<T: SamlProviderStore + RoleStore + ManagedPolicyStore + KeyStore + IamRevision> IamStorage
    for T
{
}
