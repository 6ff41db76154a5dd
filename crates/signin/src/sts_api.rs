//! `AssumeRoleWithSAML`: the STS API's entry into the pipeline.

use fedgate_iam::{Iam, IamError};
use fedgate_store::IamStorage;
use fedgate_sts::{AssumeRoleWithSamlRequest, ManagedSessionPolicy, RoleSession, Secret, StsError};
use time::OffsetDateTime;

use crate::Pipeline;

/// Stands in for a `PolicyArns` entry that does not exist, so the assertion is still checked
/// first: the caller learns about the missing policy only once it has authenticated.
const DENY_ALL_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// The parameters of one `AssumeRoleWithSAML` call, as decoded from the wire.
#[derive(Debug, Clone)]
pub struct AssumeRequest {
    /// `RoleArn`.
    pub role_arn: String,
    /// `PrincipalArn`.
    pub principal_arn: String,
    /// `SAMLAssertion` (base64).
    pub saml_assertion: Secret<String>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `PolicyArns.member.N.arn`, at most [`fedgate_sts::MAX_POLICY_ARNS`] (checked by the
    /// wire decoder).
    pub policy_arns: Vec<String>,
    /// `DurationSeconds`.
    pub duration_seconds: Option<i64>,
}

/// Why `AssumeRoleWithSAML` was refused.
#[derive(Debug)]
pub enum StsRefusal {
    /// An STS error, mapped to the wire by `fedgate_sts::to_aws`.
    Sts(StsError),
    /// A `PolicyArns` entry does not exist (reported only after the assertion was accepted;
    /// the session is discarded).
    NoSuchPolicy {
        /// The ARN asked for.
        arn: String,
    },
    /// The store failed or stored data no longer parses.
    Internal(String),
}

impl From<IamError> for StsRefusal {
    fn from(error: IamError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl Pipeline {
    /// `AssumeRoleWithSAML`: the IAM snapshot (one store read while nothing changed), the
    /// managed session policies, the provider and the role from it, then STS's checks (see
    /// `fedgate_sts::assume`). As AWS, the same response may be used again within its validity.
    ///
    /// # Errors
    /// [`StsRefusal`].
    pub async fn assume_role_with_saml<S: IamStorage>(
        &self,
        iam: &Iam<S>,
        request: AssumeRequest,
        now: OffsetDateTime,
    ) -> Result<RoleSession, StsRefusal> {
        let snapshot = iam.snapshot().await?;
        let mut policy_arns = Vec::with_capacity(request.policy_arns.len());
        let mut missing_policy = None;
        for arn in request.policy_arns {
            let document = match iam.managed_policy_document(&snapshot, &arn).await? {
                Some(document) => document.to_string(),
                None => {
                    missing_policy.get_or_insert_with(|| arn.clone());
                    DENY_ALL_POLICY.to_owned()
                }
            };
            policy_arns.push(ManagedSessionPolicy { arn, document });
        }
        let provider = snapshot.directory().provider(&request.principal_arn);
        let role = iam.assumable_role(&snapshot, &request.role_arn).await?;
        let sts_request = AssumeRoleWithSamlRequest {
            role_arn: request.role_arn,
            principal_arn: request.principal_arn,
            saml_assertion: request.saml_assertion,
            policy: request.policy,
            policy_arns,
            duration_seconds: request.duration_seconds,
        };
        let account_id = iam.account_id();
        let session = fedgate_sts::assume_role_with_saml(
            &sts_request,
            provider.map(AsRef::as_ref),
            role.as_deref(),
            account_id,
            &self.service_provider,
            now,
            &self.token_key,
        )
        .map_err(StsRefusal::Sts)?;
        if let Some(arn) = missing_policy {
            // The session is discarded: its credentials never leave the server.
            return Err(StsRefusal::NoSuchPolicy { arn });
        }
        Ok(session)
    }
}
