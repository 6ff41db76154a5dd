//! Why a browser sign-in was refused: a stable code for the page and the audit log, the whole
//! cause for the audit log only, and what was known of the attempt.

use fedgate_sts::{DenyReason, StsError};

/// What kind of refusal, for the HTTP status of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The response is invalid (400): signature, time, audience, replay, chooser form.
    InvalidResponse,
    /// The response is valid but does not allow the sign-in (403).
    Denied,
    /// fedgate failed (500); the cause is logged.
    Internal,
}

/// What is known of an attempt, for its audit event. Values read before the signature was
/// checked are never recorded here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    /// The provider whose key verified the response.
    pub provider_arn: Option<String>,
    /// The signed Issuer.
    pub issuer: Option<String>,
    /// The signed NameID.
    pub subject: Option<String>,
    /// The signed RoleSessionName.
    pub session_name: Option<String>,
    /// The role asked for.
    pub role_arn: Option<String>,
}

/// A refused browser sign-in.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The stable code: the saml crate's (`signature_invalid`, `expired`, …) or one of
    /// `replayed`, `no_matching_role`, `role_not_in_assertion`, `trust_policy_denied`,
    /// `role_not_found`, `internal_error`.
    pub code: &'static str,
    /// The HTTP status class.
    pub kind: RefusalKind,
    /// The whole cause (audit log; never shown to the person, never holding a secret).
    pub detail: String,
    /// What was known of the attempt (boxed: refusals travel in `Result`s).
    pub context: Box<AuditContext>,
}

impl Refusal {
    pub(crate) fn new(
        code: &'static str,
        kind: RefusalKind,
        detail: impl Into<String>,
        context: &AuditContext,
    ) -> Self {
        Self {
            code,
            kind,
            detail: detail.into(),
            context: Box::new(context.clone()),
        }
    }

    pub(crate) fn internal(detail: impl std::fmt::Display, context: &AuditContext) -> Self {
        tracing::error!(%detail, "sign-in failed internally");
        Self::new(
            "internal_error",
            RefusalKind::Internal,
            detail.to_string(),
            context,
        )
    }

    /// The refusal of an STS step: SAML rejections keep the saml crate's code; trust-policy
    /// denials are `trust_policy_denied`.
    pub(crate) fn from_sts(error: &StsError, context: &AuditContext) -> Self {
        let detail = match error.saml_error() {
            Some(saml) => saml.to_string(),
            None => error.to_string(),
        };
        match error {
            StsError::AccessDenied(
                DenyReason::TrustPolicy { .. } | DenyReason::TrustPolicyInvalid,
            ) => Self::new("trust_policy_denied", RefusalKind::Denied, detail, context),
            StsError::AccessDenied(_) => {
                Self::new(error.cause_code(), RefusalKind::Denied, detail, context)
            }
            StsError::Internal { .. } => Self::internal(detail, context),
            _ => Self::new(
                error.cause_code(),
                RefusalKind::InvalidResponse,
                detail,
                context,
            ),
        }
    }
}
