//! What the sign-in path reads from IAM, cached by the store's IAM revision ([`Snapshot`]), and
//! every SAML provider at once ([`ProviderDirectory`]): the browser endpoint does not know which
//! provider an assertion is for until its (unverified) issuer is read, so it validates against
//! the identity providers of every provider and learns from the one whose key verified.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use fedgate_iam_policy::{ParseOptions, Policy, TRUST_POLICY_MAX_CHARS};
use fedgate_saml::IdentityProvider;
use fedgate_store::IamStorage;
use fedgate_sts::{AssumableRole, SamlProviderRecord};

use crate::{Iam, IamError, MAX_ROLES};

/// Most roles, and most managed policies, one [`Snapshot`] keeps: twice the role quota of an
/// account. Only lookups that found something are kept (a request naming an absent role or
/// policy costs its own read), so this bounds what requests can make a node hold.
const MAX_CACHED: usize = 2 * MAX_ROLES;

/// A snapshot of every SAML provider with its parsed metadata.
///
/// Built from the store's (ARN, revision) list, so a node rebuilds it after any change made by
/// any node to a provider, and reuses it while nothing changed.
#[derive(Debug, Default)]
pub struct ProviderDirectory {
    revisions: Vec<(String, i64)>,
    providers: Vec<Arc<SamlProviderRecord>>,
    identity_providers: Vec<IdentityProvider>,
    owners: Vec<usize>,
}

impl ProviderDirectory {
    /// Every identity provider of every SAML provider, flattened (the trust set of the
    /// browser endpoint); [`ProviderDirectory::owners`] says whose each one is.
    #[must_use]
    pub fn identity_providers(&self) -> &[IdentityProvider] {
        &self.identity_providers
    }

    /// `owners()[i]` is the index in [`ProviderDirectory::providers`] of the provider that
    /// identity provider `i` belongs to.
    #[must_use]
    pub fn owners(&self) -> &[usize] {
        &self.owners
    }

    /// Every provider, ordered by ARN.
    #[must_use]
    pub fn providers(&self) -> &[Arc<SamlProviderRecord>] {
        &self.providers
    }

    /// The provider with `arn`.
    #[must_use]
    pub fn provider(&self, arn: &str) -> Option<&Arc<SamlProviderRecord>> {
        // Linear: "ordered by ARN" is the database's collation, which need not be byte order.
        self.providers.iter().find(|provider| provider.arn == arn)
    }
}

/// What the sign-in path reads from IAM, for one IAM revision of the store: every SAML provider
/// (the [`ProviderDirectory`]), and the roles (trust policy parsed) and managed policies looked
/// up so far.
///
/// INVARIANT: a snapshot answers only for the revision it was made under. Every change to IAM
/// data replaces the store's revision in the changing transaction
/// ([`fedgate_store::IamRevision`]), and [`Iam::snapshot`] reads the revision before anything
/// else, so what a snapshot holds is never older than its revision: while the revision is
/// unchanged, a sign-in reads that one value from the store and nothing else.
#[derive(Debug)]
pub struct Snapshot {
    revision: i64,
    directory: Arc<ProviderDirectory>,
    roles: RwLock<HashMap<String, Arc<AssumableRole>>>,
    policies: RwLock<HashMap<String, Arc<str>>>,
}

impl Snapshot {
    /// The IAM revision it was made under.
    #[must_use]
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Every SAML provider.
    #[must_use]
    pub fn directory(&self) -> &Arc<ProviderDirectory> {
        &self.directory
    }
}

/// Looks `key` up in a snapshot's cache.
fn cached<V: ?Sized>(cache: &RwLock<HashMap<String, Arc<V>>>, key: &str) -> Option<Arc<V>> {
    cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .map(Arc::clone)
}

/// Keeps `value` in a snapshot's cache, starting the cache over past [`MAX_CACHED`].
fn remember<V: ?Sized>(cache: &RwLock<HashMap<String, Arc<V>>>, key: &str, value: &Arc<V>) {
    let mut cache = cache.write().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(key.to_owned(), Arc::clone(value));
}

impl<S: IamStorage> Iam<S> {
    /// The current [`Snapshot`]: one store read (the IAM revision) while nothing changed since
    /// the last call on this node; otherwise a new one, whose directory parses again only the
    /// providers that changed (and is the previous directory when none did).
    ///
    /// # Errors
    /// [`IamError`] when the store fails or stored metadata no longer parses.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, IamError> {
        // INVARIANT: the revision is read first; everything read after it is at least as new.
        let revision = self.store.iam_revision().await?;
        let previous = self
            .snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(current) = previous.as_ref().filter(|s| s.revision == revision) {
            return Ok(Arc::clone(current));
        }
        let directory = self
            .directory(previous.as_ref().map(|s| &s.directory))
            .await?;
        let snapshot = Arc::new(Snapshot {
            revision,
            directory,
            roles: RwLock::default(),
            policies: RwLock::default(),
        });
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// The current [`ProviderDirectory`] (of [`Iam::snapshot`]).
    ///
    /// # Errors
    /// As [`Iam::snapshot`].
    pub async fn provider_directory(&self) -> Result<Arc<ProviderDirectory>, IamError> {
        Ok(Arc::clone(self.snapshot().await?.directory()))
    }

    /// The role `arn` with its trust policy parsed, or `None`: from `snapshot` when it was read
    /// under it before, else one store read (and kept there when found).
    ///
    /// # Errors
    /// [`IamError::Store`] when the store fails; [`IamError::StoredTrustPolicyInvalid`] when
    /// the stored trust policy no longer parses.
    pub async fn assumable_role(
        &self,
        snapshot: &Snapshot,
        arn: &str,
    ) -> Result<Option<Arc<AssumableRole>>, IamError> {
        if let Some(role) = cached(&snapshot.roles, arn) {
            return Ok(Some(role));
        }
        let Some(role) = self.store.role_by_arn(arn).await? else {
            return Ok(None);
        };
        // Stored trust policies were validated at write time; re-parsed with the largest quota
        // AWS allows, so a quota change never locks a role out.
        let invalid = |detail: String| IamError::StoredTrustPolicyInvalid {
            arn: arn.to_owned(),
            detail,
        };
        let options = ParseOptions::trust_with_quota(TRUST_POLICY_MAX_CHARS)
            .map_err(|error| invalid(error.to_string()))?;
        let trust = Policy::parse(&role.assume_role_policy, &options)
            .map_err(|error| invalid(error.to_string()))?;
        let role = Arc::new(AssumableRole {
            role,
            trust: Arc::new(trust),
        });
        remember(&snapshot.roles, arn, &role);
        Ok(Some(role))
    }

    /// The document of the customer-managed policy `arn` (for `PolicyArns` session policies),
    /// or `None`: from `snapshot` when it was read under it before, else one store read.
    ///
    /// # Errors
    /// [`IamError`] when the store fails.
    pub async fn managed_policy_document(
        &self,
        snapshot: &Snapshot,
        arn: &str,
    ) -> Result<Option<Arc<str>>, IamError> {
        if let Some(document) = cached(&snapshot.policies, arn) {
            return Ok(Some(document));
        }
        let Some(policy) = self.store.policy(arn).await? else {
            return Ok(None);
        };
        let document: Arc<str> = Arc::from(policy.document);
        remember(&snapshot.policies, arn, &document);
        Ok(Some(document))
    }

    /// Every provider, from the store's (ARN, revision) list: `previous` again when that list
    /// did not change, else the providers parsed again where their revision changed.
    async fn directory(
        &self,
        previous: Option<&Arc<ProviderDirectory>>,
    ) -> Result<Arc<ProviderDirectory>, IamError> {
        let revisions = self.store.saml_provider_revisions().await?;
        if let Some(previous) = previous.filter(|previous| previous.revisions == revisions) {
            return Ok(Arc::clone(previous));
        }
        let mut directory = ProviderDirectory::default();
        for (arn, revision) in &revisions {
            // Deleted between the two reads: left out; the next revision rebuilds.
            let Some(provider) = self.saml_provider_at(arn, *revision).await? else {
                continue;
            };
            let owner = directory.providers.len();
            // INVARIANT: only identity providers with an entity ID join the shared trust set;
            // one without would match any issuer.
            for idp in provider
                .identity_providers
                .iter()
                .filter(|idp| idp.entity_id().is_some())
            {
                directory.identity_providers.push(idp.clone());
                directory.owners.push(owner);
            }
            directory.providers.push(provider);
        }
        directory.revisions = revisions;
        Ok(Arc::new(directory))
    }
}
