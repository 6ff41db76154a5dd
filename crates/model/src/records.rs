//! The stored records: validation (names, sizes, policy grammar) is `fedgate-iam`'s job; the
//! store enforces keys, uniqueness, references and quotas.

use time::OffsetDateTime;

use crate::AssertionEncryptionMode;

/// An IAM SAML provider as stored: the one provider record of fedgate.
///
/// `fedgate_sts::SamlProviderRecord` is this record with its metadata parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProvider {
    /// `arn:aws:iam::<account>:saml-provider/<name>`, the primary key.
    pub arn: String,
    /// The provider name.
    pub name: String,
    /// `SAMLProviderUUID`: 22–64 characters of `[A-Z0-9]`.
    pub uuid: String,
    /// The metadata exactly as uploaded.
    pub metadata_document: String,
    /// When it was created.
    pub create_date: OffsetDateTime,
    /// `ValidUntil`, when known.
    pub valid_until: Option<OffsetDateTime>,
    /// Whether plaintext assertions are accepted.
    pub assertion_encryption_mode: AssertionEncryptionMode,
    /// Bumped on every change; the key of parsed-metadata caches. Ignored on create.
    pub revision: i64,
}

/// An IAM role as stored: the one role record of fedgate.
///
/// `fedgate_sts::AssumableRole` is this record with its trust policy parsed;
/// `fedgate_iam::RoleWithPolicies` is this record with its permission policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `AROA…`, the primary key.
    pub role_id: String,
    /// The role name as created (unique case-insensitively).
    pub name: String,
    /// `/` or `/…/`; dropped from assumed-role ARNs.
    pub path: String,
    /// `arn:aws:iam::<account>:role<path><name>`.
    pub arn: String,
    /// The trust policy (`AssumeRolePolicyDocument`), as submitted.
    pub assume_role_policy: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Longest session in seconds (3,600–43,200).
    pub max_session_duration: i64,
    /// When it was created.
    pub create_date: OffsetDateTime,
}
