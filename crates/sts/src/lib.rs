//! STS for fedgate: `AssumeRoleWithSAML`, temporary credentials, session tokens and
//! `GetCallerIdentity` (spec/aws-federation.md §1.3–§1.4, §2, §3.4–§3.5).
//!
//! Pure logic: no I/O, no async, no clock. The server looks up the SAML provider and the role,
//! passes `now`, and maps [`StsError`] to the wire with [`to_aws`]. Randomness (access key ids,
//! secret keys, AEAD nonces) comes from aws-lc-rs's system generator.
//!
//! The pipeline, each arrow a type only the previous step can construct (DESIGN.md):
//! ```text
//! SAMLAssertion (base64) -> saml::ValidatedAssertion -> ProviderAssertion (bound to the one
//!   provider whose keys verified it) -> AuthorizedAssumption (only from iam-policy `Allowed`
//!   proofs of the trust policy) -> RoleSession (credentials + sealed session token)
//! ```
//! [`assume_role_with_saml`] runs it all for the STS API; the browser sign-in endpoint calls the
//! steps ([`validate_for_provider`], [`authorize`], [`issue_session`]) itself, because it keeps
//! its own replay cache and role chooser in between.
//!
//! Session tokens are self-contained ([`open_session_token`]; only issuance seals one): an
//! AES-256-GCM sealed, versioned JSON record of the session under a 32-byte service key, so any
//! node can verify a SigV4 request signed with temporary credentials.
//!
//! Decisions where AWS is silent or unconfirmed are documented next to the code that makes
//! them; [`assume`] lists the ones of the pipeline.

pub mod assume;
mod credentials;
mod error;
mod identity;
mod params;
mod token;
mod xml;

pub use assume::{
    AssumableRole, AssumeRoleWithSamlRequest, AssumedRoleUser, AuthorizedAssumption, Credentials,
    ManagedSessionPolicy, ProviderAssertion, RoleSession, SamlProviderRecord, SessionPolicy,
    SessionTag, assume_role_with_saml, authorize, issue_session, parse_session_policies,
    validate_for_any_provider, validate_for_provider,
};
pub use error::{DenyReason, StsError, to_aws};
/// The records this crate reads (defined in `fedgate-model`, below this crate and the store)
/// and the one redacting wrapper of fedgate.
pub use fedgate_model::{AssertionEncryptionMode, Role, SamlProvider, Secret};
pub use identity::CallerIdentity;
pub use params::{
    DEFAULT_DURATION_SECONDS, MAX_DURATION_SECONDS, MAX_POLICY_ARNS, MIN_DURATION_SECONDS,
    PACKED_POLICY_BUDGET_CHARS,
};
pub use token::{
    MAX_SESSION_TOKEN_CHARS, SESSION_TOKEN_KEY_LEN, SESSION_TOKEN_PREFIX, SessionClaims,
    SessionTokenKey, open_session_token,
};
pub use xml::{assume_role_with_saml_result_xml, get_caller_identity_result_xml};

/// The STS XML namespace (`https://sts.amazonaws.com/doc/2011-06-15/`).
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The action evaluated against the role's trust policy.
pub const ACTION_ASSUME_ROLE_WITH_SAML: &str = "sts:AssumeRoleWithSAML";
/// Also required when the assertion carries PrincipalTag or TransitiveTagKeys attributes.
pub const ACTION_TAG_SESSION: &str = "sts:TagSession";
/// Also required when the assertion carries a SourceIdentity attribute.
pub const ACTION_SET_SOURCE_IDENTITY: &str = "sts:SetSourceIdentity";
