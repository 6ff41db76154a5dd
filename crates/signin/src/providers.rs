//! The SAML providers as STS sees them, converted once per change of the IAM
//! [`ProviderDirectory`] (the one provider cache of every entry point).

use std::sync::{Arc, PoisonError};

use fedgate_iam::{Iam, IamError, ProviderDirectory, SamlProviderRecord};
use fedgate_store::IamStorage;
use fedgate_sts::AssertionEncryptionMode;

use crate::Pipeline;

/// Every provider, as STS records, with the flattened trust set of the browser endpoint.
#[derive(Debug)]
pub(crate) struct Snapshot {
    directory: Arc<ProviderDirectory>,
    records: Vec<fedgate_sts::SamlProviderRecord>,
}

impl Snapshot {
    pub(crate) fn directory(&self) -> &ProviderDirectory {
        &self.directory
    }

    pub(crate) fn records(&self) -> &[fedgate_sts::SamlProviderRecord] {
        &self.records
    }

    /// The provider with `arn`.
    pub(crate) fn record(&self, arn: &str) -> Option<&fedgate_sts::SamlProviderRecord> {
        self.records
            .iter()
            .find(|record| record.provider_arn == arn)
    }
}

/// The stored `AssertionEncryptionMode`. An unknown value never falls back to the weaker
/// `Allowed`: it is logged and read as `Required`, so that provider accepts no plaintext
/// assertion (and, until decryption exists, none at all) while the others keep working.
fn encryption_mode(record: &SamlProviderRecord) -> AssertionEncryptionMode {
    match record.assertion_encryption_mode.as_str() {
        "Allowed" => AssertionEncryptionMode::Allowed,
        "Required" => AssertionEncryptionMode::Required,
        other => {
            tracing::error!(
                provider = %record.arn,
                mode = other,
                "stored AssertionEncryptionMode is neither Allowed nor Required; refusing plaintext assertions"
            );
            AssertionEncryptionMode::Required
        }
    }
}

impl Pipeline {
    /// The current provider snapshot (rebuilt when the directory changed).
    pub(crate) async fn providers<S: IamStorage>(
        &self,
        iam: &Iam<S>,
    ) -> Result<Arc<Snapshot>, IamError> {
        let directory = iam.provider_directory().await?;
        if let Some(current) = self
            .providers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|current| Arc::ptr_eq(&current.directory, &directory))
        {
            return Ok(Arc::clone(current));
        }
        let records = directory
            .providers()
            .iter()
            .map(|record| fedgate_sts::SamlProviderRecord {
                provider_arn: record.arn.clone(),
                identity_providers: record.identity_providers.clone(),
                assertion_encryption_mode: encryption_mode(record),
            })
            .collect();
        let snapshot = Arc::new(Snapshot { directory, records });
        *self
            .providers
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }
}
