//! Why an STS request failed, with the AWS code, status and wording it maps to.
//!
//! Each variant keeps its cause (the SAML rejection, the policy decision, the parse error) for
//! the audit log ([`StsError::cause_code`], `Debug`); the wire sees only [`to_aws`].

use std::fmt;

use fedgate_iam_policy::Decision;
use time::OffsetDateTime;

/// AWS wording of an authorization failure of `AssumeRoleWithSAML` (spec §2.4).
const NOT_AUTHORIZED: &str = "Not authorized to perform sts:AssumeRoleWithSAML";
/// AWS wording of an expired assertion (spec §1.2, §2.4).
const RESPONSE_EXPIRED: &str = "Response has expired";
/// AWS wording of a signature failure.
const SIGNATURE_INVALID: &str = "Response signature invalid";
/// AWS wording of an issuer that is not the provider's (spec §1.2).
const ISSUER_NOT_PRESENT: &str = "Issuer not present in specified provider";
/// AWS wording of a missing RoleSessionName attribute.
pub(crate) const SESSION_NAME_REQUIRED: &str = "RoleSessionName is required in AuthnResponse";
/// AWS wording of an invalid RoleSessionName attribute.
const SESSION_NAME_INVALID: &str =
    "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}";
/// AWS wording of an invalid SourceIdentity attribute.
const SOURCE_IDENTITY_INVALID: &str =
    "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"";
/// AWS wording (troubleshooting page) of an audience that is not this service provider.
const AUDIENCE_MISSING: &str = "Response does not contain the required audience";
/// AWS wording of a session token past its expiration.
const TOKEN_EXPIRED: &str = "The security token included in the request is expired";
/// AWS wording of a session token that does not verify.
const TOKEN_INVALID: &str = "The security token included in the request is invalid.";
/// AWS's generic internal failure message.
const INTERNAL: &str =
    "The request processing has failed because of an unknown error, exception or failure.";
/// Longest message taken from a lower layer; SAML messages quote document values.
const MAX_CAUSE_MESSAGE_CHARS: usize = 512;

/// Why `AssumeRoleWithSAML` was refused with `AccessDenied` (all share the AWS message
/// "Not authorized to perform sts:AssumeRoleWithSAML"; the reason is for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenyReason {
    /// No role with that ARN (the server's lookup failed).
    RoleNotFound,
    /// The role record does not belong to the requested RoleArn / account.
    RoleMismatch,
    /// Roles named `AWSReservedSSO_*` cannot be assumed with SAML (spec §2.2).
    ReservedRole,
    /// The assertion's Role attribute has no pair naming this RoleArn and PrincipalArn.
    RolePairMissing,
    /// The role's trust policy is not a trust policy.
    TrustPolicyInvalid,
    /// The trust policy did not allow an action.
    TrustPolicy {
        /// `sts:AssumeRoleWithSAML`, `sts:TagSession` or `sts:SetSourceIdentity`.
        action: &'static str,
        /// `ExplicitDeny` or `ImplicitDeny`.
        decision: Decision,
    },
}

impl DenyReason {
    /// A stable snake_case code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::RoleNotFound => "role_not_found",
            Self::RoleMismatch => "role_mismatch",
            Self::ReservedRole => "reserved_role",
            Self::RolePairMissing => "role_pair_missing",
            Self::TrustPolicyInvalid => "trust_policy_invalid",
            Self::TrustPolicy { action, .. } => match *action {
                crate::ACTION_TAG_SESSION => "trust_policy_denies_tag_session",
                crate::ACTION_SET_SOURCE_IDENTITY => "trust_policy_denies_set_source_identity",
                _ => "trust_policy_denies_assume_role",
            },
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RoleNotFound => f.write_str("the role does not exist"),
            Self::RoleMismatch => f.write_str("the role record does not match the RoleArn"),
            Self::ReservedRole => f.write_str("AWSReservedSSO_ roles cannot be assumed with SAML"),
            Self::RolePairMissing => f.write_str(
                "the assertion's Role attribute has no pair naming this role and provider",
            ),
            Self::TrustPolicyInvalid => {
                f.write_str("the role's trust policy is not a trust policy")
            }
            Self::TrustPolicy { action, decision } => {
                write!(
                    f,
                    "the trust policy gives {} for {action}",
                    decision.as_str()
                )
            }
        }
    }
}

/// A failed STS request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StsError {
    /// A request parameter violates its constraints (`ValidationError`, 400).
    Validation {
        /// The AWS-style message.
        message: String,
        /// A stable code for the audit log.
        cause: &'static str,
    },
    /// The SAML response was refused (`InvalidIdentityToken` or, when expired,
    /// `ExpiredTokenException`, 400).
    Saml(fedgate_saml::Error),
    /// The assertion is valid SAML but unusable for STS (`InvalidIdentityToken`, 400).
    InvalidIdentityToken {
        /// The AWS-style message.
        message: &'static str,
        /// A stable code for the audit log.
        cause: &'static str,
    },
    /// The session the assertion allows has already ended (`ExpiredTokenException`, 400).
    SessionAlreadyEnded {
        /// The computed expiration.
        expiration: OffsetDateTime,
    },
    /// The trust policy (or the role) refuses the assumption (`AccessDenied`, 403).
    AccessDenied(DenyReason),
    /// A session policy does not parse (`MalformedPolicyDocument`, 400).
    MalformedPolicyDocument(fedgate_iam_policy::Error),
    /// Session policies and tags exceed the packed size (`PackedPolicyTooLarge`, 400).
    PackedPolicyTooLarge {
        /// The packed size in percent of the budget.
        percent: u64,
    },
    /// A session token past its expiration (`ExpiredToken`, 403).
    ExpiredToken {
        /// When it expired.
        expiration: OffsetDateTime,
    },
    /// A session token that does not verify or decode (`InvalidClientTokenId`, 403).
    InvalidClientTokenId {
        /// A stable code for the audit log (`token_too_large`, `token_unauthentic`, …).
        cause: &'static str,
    },
    /// A local failure (randomness, sealing) (`InternalFailure`, 500).
    Internal {
        /// A stable code for the audit log.
        cause: &'static str,
    },
}

impl StsError {
    /// The exact AWS error code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "ValidationError",
            Self::Saml(fedgate_saml::Error::Expired { .. }) | Self::SessionAlreadyEnded { .. } => {
                "ExpiredTokenException"
            }
            Self::Saml(_) | Self::InvalidIdentityToken { .. } => "InvalidIdentityToken",
            Self::AccessDenied(_) => "AccessDenied",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge { .. } => "PackedPolicyTooLarge",
            Self::ExpiredToken { .. } => "ExpiredToken",
            Self::InvalidClientTokenId { .. } => "InvalidClientTokenId",
            Self::Internal { .. } => "InternalFailure",
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::AccessDenied(_)
            | Self::ExpiredToken { .. }
            | Self::InvalidClientTokenId { .. } => 403,
            Self::Internal { .. } => 500,
            _ => 400,
        }
    }

    /// The message in AWS wording, safe to return to the caller.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Validation { message, .. } => message.clone(),
            Self::Saml(error) => saml_message(error),
            Self::InvalidIdentityToken { message, .. } => (*message).to_owned(),
            Self::SessionAlreadyEnded { .. } => RESPONSE_EXPIRED.to_owned(),
            Self::AccessDenied(_) => NOT_AUTHORIZED.to_owned(),
            Self::MalformedPolicyDocument(error) => policy_message(error),
            Self::PackedPolicyTooLarge { percent } => format!(
                "Packed size of session policies and session tags is {percent}% of the allowed size."
            ),
            Self::ExpiredToken { .. } => TOKEN_EXPIRED.to_owned(),
            Self::InvalidClientTokenId { .. } => TOKEN_INVALID.to_owned(),
            Self::Internal { .. } => INTERNAL.to_owned(),
        }
    }

    /// The stable code of the underlying cause, for the audit log: the SAML rejection code
    /// (`signature_invalid`, `expired`, …), the denial reason, the policy parse error, or ours.
    #[must_use]
    pub fn cause_code(&self) -> &'static str {
        match self {
            Self::Validation { cause, .. }
            | Self::InvalidIdentityToken { cause, .. }
            | Self::InvalidClientTokenId { cause }
            | Self::Internal { cause } => cause,
            Self::Saml(error) => error.code(),
            Self::SessionAlreadyEnded { .. } => "session_already_ended",
            Self::AccessDenied(reason) => reason.code(),
            Self::MalformedPolicyDocument(error) => error.code(),
            Self::PackedPolicyTooLarge { .. } => "packed_policy_too_large",
            Self::ExpiredToken { .. } => "token_expired",
        }
    }

    /// The underlying SAML rejection, if any.
    #[must_use]
    pub fn saml_error(&self) -> Option<&fedgate_saml::Error> {
        match self {
            Self::Saml(error) => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.code(),
            self.message(),
            self.cause_code()
        )
    }
}

impl std::error::Error for StsError {}

/// The one mapping of an STS error to the AWS Query protocol: `(Code, HTTP status, Message)`.
/// The `ErrorResponse` `Type` is `Sender` below 500 and `Receiver` from 500.
#[must_use]
pub fn to_aws(error: &StsError) -> (&'static str, u16, String) {
    (error.code(), error.status(), error.message())
}

impl From<&StsError> for fedgate_aws_wire::AwsError {
    /// The one mapping of an STS error to the AWS wire error ([`to_aws`]).
    fn from(error: &StsError) -> Self {
        let (code, status, message) = to_aws(error);
        Self::new(code, status, message)
    }
}

/// The AWS message of a SAML rejection. Ours where AWS has no observed wording: the SAML
/// crate's message, cut to [`MAX_CAUSE_MESSAGE_CHARS`] because it may quote the document.
fn saml_message(error: &fedgate_saml::Error) -> String {
    use fedgate_saml::Error as S;
    match error {
        S::Expired { .. } => RESPONSE_EXPIRED.to_owned(),
        S::SignatureMissing | S::Signature(_) | S::IssuerKeyMismatch { .. } | S::Key(_) => {
            SIGNATURE_INVALID.to_owned()
        }
        S::IssuerUnknown { .. } | S::IssuerMissing => ISSUER_NOT_PRESENT.to_owned(),
        S::RoleSessionNameInvalid { .. } => SESSION_NAME_INVALID.to_owned(),
        S::SourceIdentityInvalid { .. } => SOURCE_IDENTITY_INVALID.to_owned(),
        S::AudienceMismatch { .. } => AUDIENCE_MISSING.to_owned(),
        other => truncate(&other.to_string(), MAX_CAUSE_MESSAGE_CHARS),
    }
}

/// STS's wording for a session policy that is not JSON; IAM's wording for the rest.
fn policy_message(error: &fedgate_iam_policy::Error) -> String {
    match error.code() {
        "syntax_error" | "duplicate_key" => {
            "The policy is not in the valid JSON format.".to_owned()
        }
        _ => error.message(),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => text.get(..end).unwrap_or(text).to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_each_variant_to_its_aws_code_and_status() {
        let cases = [
            (
                StsError::Saml(fedgate_saml::Error::Signature(
                    fedgate_dsig::Error::SignatureInvalid,
                )),
                "InvalidIdentityToken",
                400,
                SIGNATURE_INVALID,
            ),
            (
                StsError::Saml(fedgate_saml::Error::IssuerUnknown {
                    issuer: "x".to_owned(),
                }),
                "InvalidIdentityToken",
                400,
                ISSUER_NOT_PRESENT,
            ),
            (
                StsError::AccessDenied(DenyReason::RolePairMissing),
                "AccessDenied",
                403,
                NOT_AUTHORIZED,
            ),
            (
                StsError::ExpiredToken {
                    expiration: OffsetDateTime::UNIX_EPOCH,
                },
                "ExpiredToken",
                403,
                TOKEN_EXPIRED,
            ),
            (
                StsError::InvalidClientTokenId { cause: "x" },
                "InvalidClientTokenId",
                403,
                TOKEN_INVALID,
            ),
            (
                StsError::Internal { cause: "x" },
                "InternalFailure",
                500,
                INTERNAL,
            ),
        ];
        for (error, code, status, message) in cases {
            assert_eq!(to_aws(&error), (code, status, message.to_owned()));
        }
    }

    #[test]
    fn truncates_long_cause_messages_on_a_char_boundary() {
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
