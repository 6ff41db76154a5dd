//! Every SAML provider at once, for the browser sign-in: the endpoint does not know which
//! provider an assertion is for until its (unverified) issuer is read, so it validates against
//! the identity providers of every provider and learns from the one whose key verified.

use std::sync::{Arc, PoisonError};

use fedgate_saml::IdentityProvider;
use fedgate_store::IamStorage;
use fedgate_sts::SamlProviderRecord;

use crate::{Iam, IamError};

/// A snapshot of every SAML provider with its parsed metadata.
///
/// Built from the store's (ARN, revision) list, so a node rebuilds it after any change made by
/// any node, and reuses it (one cheap query per sign-in) while nothing changed.
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
        self.providers.iter().find(|provider| provider.arn == arn)
    }
}

impl<S: IamStorage> Iam<S> {
    /// The current [`ProviderDirectory`]: one query when nothing changed since the last call
    /// on this node; otherwise the changed providers are parsed again.
    ///
    /// # Errors
    /// [`IamError`] when the store fails or stored metadata no longer parses.
    pub async fn provider_directory(&self) -> Result<Arc<ProviderDirectory>, IamError> {
        let revisions = self.store.saml_provider_revisions().await?;
        if let Some(current) = self
            .directory
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|current| current.revisions == revisions)
        {
            return Ok(Arc::clone(current));
        }
        let mut directory = ProviderDirectory::default();
        for (arn, _) in &revisions {
            // Deleted between the two reads: left out; the next call sees the new list.
            let Some(provider) = self.saml_provider(arn).await? else {
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
        let directory = Arc::new(directory);
        *self
            .directory
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&directory));
        Ok(directory)
    }
}
