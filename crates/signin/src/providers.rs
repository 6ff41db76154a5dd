//! The SAML providers as the pipeline sees them: the IAM [`ProviderDirectory`] (the one
//! provider cache of every entry point), whose records are STS's own
//! ([`fedgate_sts::SamlProviderRecord`]: the stored provider with its metadata parsed), so
//! nothing is converted here.

use std::sync::Arc;

use fedgate_iam::{Iam, IamError, ProviderDirectory};
use fedgate_store::IamStorage;

use crate::Pipeline;

impl Pipeline {
    /// The current provider directory.
    pub(crate) async fn providers<S: IamStorage>(
        &self,
        iam: &Iam<S>,
    ) -> Result<Arc<ProviderDirectory>, IamError> {
        iam.provider_directory().await
    }
}
