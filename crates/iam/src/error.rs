//! The one error type of the IAM crate and its one mapping to the AWS wire.

use std::fmt;

use fedgate_aws_wire::AwsError;
use fedgate_store::{ConflictReason, StoreError};

/// An IAM operation failure.
///
/// The `String` payloads are the messages AWS IAM returns (AWS wording and case, since clients
/// and scripts match on them); [`IamError::to_aws_error`] is the only mapping to the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IamError {
    /// `ValidationError` (400): a parameter is missing or fails its model constraint.
    Validation(String),
    /// `InvalidInput` (400): a value IAM itself rejects (bad metadata, duplicate tag keys).
    InvalidInput(String),
    /// `NoSuchEntity` (404).
    NoSuchEntity(String),
    /// `EntityAlreadyExists` (409).
    EntityAlreadyExists(String),
    /// `LimitExceeded` (409): a quota.
    LimitExceeded(String),
    /// `DeleteConflict` (409): the entity still has dependents.
    DeleteConflict(String),
    /// `MalformedPolicyDocument` (400).
    MalformedPolicyDocument(String),
    /// The requested action is not an IAM operation fedgate implements (`InvalidAction`, 400).
    InvalidAction(String),
    /// Stored metadata no longer parses (a newer, stricter parser); the provider is unusable.
    StoredMetadataInvalid {
        /// The provider ARN.
        arn: String,
        /// The SAML error code (`metadata_invalid`, …).
        code: &'static str,
        /// The SAML error message.
        detail: String,
    },
    /// A stored trust policy no longer parses (a newer, stricter parser); the role cannot be
    /// assumed.
    StoredTrustPolicyInvalid {
        /// The role ARN.
        arn: String,
        /// The policy error.
        detail: String,
    },
    /// The store failed (`ServiceFailure`, 500); the detail stays in logs, not on the wire.
    Store(StoreError),
}

impl IamError {
    /// A stable code for logs and metrics.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::InvalidInput(_) => "invalid_input",
            Self::NoSuchEntity(_) => "no_such_entity",
            Self::EntityAlreadyExists(_) => "entity_already_exists",
            Self::LimitExceeded(_) => "limit_exceeded",
            Self::DeleteConflict(_) => "delete_conflict",
            Self::MalformedPolicyDocument(_) => "malformed_policy_document",
            Self::InvalidAction(_) => "invalid_action",
            Self::StoredMetadataInvalid { .. } => "stored_metadata_invalid",
            Self::StoredTrustPolicyInvalid { .. } => "stored_trust_policy_invalid",
            Self::Store(error) => error.code(),
        }
    }

    /// The AWS error this becomes on the wire (code, HTTP status, message).
    #[must_use]
    pub fn to_aws_error(&self) -> AwsError {
        match self {
            Self::Validation(message) => AwsError::validation(message.clone()),
            Self::InvalidInput(message) => AwsError::invalid_input(message.clone()),
            Self::NoSuchEntity(message) => AwsError::no_such_entity(message.clone()),
            Self::EntityAlreadyExists(message) => AwsError::entity_already_exists(message.clone()),
            Self::LimitExceeded(message) => AwsError::limit_exceeded(message.clone()),
            Self::DeleteConflict(message) => AwsError::new("DeleteConflict", 409, message.clone()),
            Self::MalformedPolicyDocument(message) => AwsError::malformed_policy(message.clone()),
            Self::InvalidAction(action) => AwsError::new(
                "InvalidAction",
                400,
                format!("Could not find operation {action} for version 2010-05-08"),
            ),
            Self::StoredMetadataInvalid { .. }
            | Self::StoredTrustPolicyInvalid { .. }
            | Self::Store(_) => {
                AwsError::service_failure("An internal error occurred. Try again later.")
            }
        }
    }
}

/// Quota names as AWS writes them in `Cannot exceed quota for <Name>: <limit>`.
fn quota_name(what: &str) -> &'static str {
    match what {
        "saml providers" => "SAMLProvidersPerAccount",
        "roles" => "RolesPerAccount",
        "managed policies attached to a role" => "PoliciesPerRole",
        _ => "TagsPerResource",
    }
}

impl From<StoreError> for IamError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::NotFound { entity, name } => Self::NoSuchEntity(match *entity {
                "role" => format!("The role with name {name} cannot be found."),
                "saml provider" => format!("Manifest not found for arn {name}"),
                "policy" => format!("Policy {name} does not exist or is not attachable."),
                "role policy" => format!("The role policy with name {name} cannot be found."),
                "attached policy" => format!("Policy {name} was not found."),
                other => format!("The {other} {name} cannot be found."),
            }),
            StoreError::AlreadyExists { entity, name } => {
                Self::EntityAlreadyExists(match *entity {
                    "role" => format!("Role with name {name} already exists."),
                    "saml provider" => format!("SAMLProvider {name} already exists"),
                    "policy" => format!(
                        "A policy called {name} already exists. Duplicate names are not allowed."
                    ),
                    other => format!("The {other} {name} already exists."),
                })
            }
            StoreError::Conflict { reason, .. } => Self::DeleteConflict(
                match reason {
                    ConflictReason::InlinePolicies => {
                        "Cannot delete entity, must delete policies first."
                    }
                    ConflictReason::AttachedPolicies => {
                        "Cannot delete entity, must detach all policies first."
                    }
                    ConflictReason::PolicyAttached => {
                        "Cannot delete a policy attached to entities."
                    }
                    _ => "Cannot delete entity, it is still referenced.",
                }
                .to_owned(),
            ),
            StoreError::LimitExceeded { what, limit } => Self::LimitExceeded(format!(
                "Cannot exceed quota for {}: {limit}",
                quota_name(what)
            )),
            _ => Self::Store(error),
        }
    }
}

impl From<IamError> for AwsError {
    /// The wire error; an internal failure (store, stored metadata) is logged here, once,
    /// with its cause (the request span carries the request ID), since the wire says only
    /// `ServiceFailure`.
    fn from(error: IamError) -> Self {
        if matches!(
            error,
            IamError::Store(_)
                | IamError::StoredMetadataInvalid { .. }
                | IamError::StoredTrustPolicyInvalid { .. }
        ) {
            tracing::error!(code = error.code(), cause = %error, "internal failure");
        }
        error.to_aws_error()
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Validation(message)
            | Self::InvalidInput(message)
            | Self::NoSuchEntity(message)
            | Self::EntityAlreadyExists(message)
            | Self::LimitExceeded(message)
            | Self::DeleteConflict(message)
            | Self::MalformedPolicyDocument(message) => {
                write!(f, "{}: {message}", self.code())
            }
            Self::InvalidAction(action) => write!(f, "unsupported iam action {action}"),
            Self::StoredMetadataInvalid { arn, code, detail } => {
                write!(
                    f,
                    "stored metadata of {arn} no longer parses ({code}): {detail}"
                )
            }
            Self::StoredTrustPolicyInvalid { arn, detail } => {
                write!(f, "stored trust policy of {arn} no longer parses: {detail}")
            }
            Self::Store(error) => write!(f, "store: {error}"),
        }
    }
}

impl std::error::Error for IamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(error) => Some(error),
            _ => None,
        }
    }
}
