//! `AssumeRoleWithSAML`: from a base64 SAML response to a [`RoleSession`].
//!
//! Order of checks (spec §6 suggests one reproducing AWS's error split; AWS's own order is
//! unconfirmed):
//! 1. request parameters: constraints, ARN forms, `DurationSeconds` range (`ValidationError`);
//! 2. the provider record exists and is the `PrincipalArn` (`InvalidIdentityToken`);
//! 3. `DurationSeconds` ≤ the role's `MaxSessionDuration` (`ValidationError`);
//! 4. decode and validate the response against **only** that provider's metadata
//!    ([`validate_for_provider`]); RoleSessionName present (`InvalidIdentityToken`,
//!    `ExpiredTokenException`);
//! 5. the role exists, the Role attribute names exactly (RoleArn, PrincipalArn), the trust
//!    policy allows `sts:AssumeRoleWithSAML` and, when needed, `sts:TagSession` and
//!    `sts:SetSourceIdentity` ([`authorize`], `AccessDenied`);
//! 6. session policies parse (`MalformedPolicyDocument`) and fit the packed budget
//!    (`PackedPolicyTooLarge`); credentials are minted ([`issue_session`]).
//!
//! Decisions where AWS is silent (ours):
//! - A provider with `AssertionEncryptionMode::Required` refuses plaintext assertions with
//!   `InvalidIdentityToken` "The SAML provider requires encrypted assertions" (AWS's error is
//!   unconfirmed). fedgate-saml does not decrypt yet, so such a provider accepts nothing.
//! - Condition keys of the trust evaluation: the `saml:*` keys, `aws:CurrentTime`,
//!   `aws:EpochTime`, and with PrincipalTag attributes `aws:RequestTag/<k>`, `aws:TagKeys` and
//!   `aws:PrincipalTag/<k>`; `sts:TransitiveTagKeys`, `sts:SourceIdentity` when sent.
//!   `sts:RoleSessionName` is not set (its availability for SAML is unconfirmed).
//! - `PackedPolicySize` = ⌈100 × (characters of the compacted inline policy + of each policy
//!   ARN + of each tag key and value + of each transitive key) / 2,048⌉. AWS compresses into
//!   an undocumented binary form, so ours is stricter; 0 when there is nothing to pack.
//! - The session ends at min(now + DurationSeconds, now + SessionDuration attribute,
//!   SessionNotOnOrAfter), truncated to whole seconds; a session that would already have
//!   ended (SessionNotOnOrAfter within the clock skew) is `ExpiredTokenException`.
//! - The role and provider must belong to the service's account (`AccessDenied` otherwise).

use std::borrow::Borrow;

use fedgate_iam_policy::{
    Allowed, ParseOptions, Policy, PolicyKind, PrincipalId, RequestContext, SamlContextInput,
    evaluate_trust, name_qualifier, provider_name, subject_type,
};
use fedgate_model::{AssertionEncryptionMode, Role, SamlProvider};
use fedgate_saml::{IdentityProvider, ServiceProvider, ValidatedAssertion, binding};
use time::{Duration, OffsetDateTime};

use crate::params::{
    DEFAULT_DURATION_SECONDS, IamArn, PACKED_POLICY_BUDGET_CHARS, check_duration_for_role,
    check_request,
};
use crate::token::{SessionClaims, SessionTokenKey, seal_session_token};
use crate::{
    ACTION_ASSUME_ROLE_WITH_SAML, ACTION_SET_SOURCE_IDENTITY, ACTION_TAG_SESSION, DenyReason,
    Secret, StsError, credentials,
};

/// Prefix of IAM Identity Center roles, which cannot be assumed with SAML (spec §2.2).
const RESERVED_ROLE_PREFIX: &str = "AWSReservedSSO_";

/// An IAM SAML provider with its metadata parsed: the one provider record
/// ([`SamlProvider`], as the store keeps it) beside the identity providers its metadata
/// declares. `fedgate-iam` builds it once per provider revision; it reads as the provider
/// (`record.arn`, `record.assertion_encryption_mode`) through `Deref`.
#[derive(Debug, Clone)]
pub struct SamlProviderRecord {
    /// The provider as stored.
    pub provider: SamlProvider,
    /// The entity (or entities) of the stored metadata, with their signing keys.
    pub identity_providers: Vec<IdentityProvider>,
}

impl std::ops::Deref for SamlProviderRecord {
    type Target = SamlProvider;

    fn deref(&self) -> &SamlProvider {
        &self.provider
    }
}

/// An IAM role with its trust policy parsed: the one role record ([`Role`], as the store
/// keeps it) beside its trust policy as a [`Policy`]. It reads as the role (`role.arn`,
/// `role.name`) through `Deref`.
#[derive(Debug, Clone)]
pub struct AssumableRole {
    /// The role as stored.
    pub role: Role,
    /// Its trust policy ([`Role::assume_role_policy`]), parsed as a trust policy.
    pub trust: std::sync::Arc<Policy>,
}

impl AssumableRole {
    /// `MaxSessionDuration` in seconds (3,600–43,200 when stored by IAM; a value out of
    /// `u32` range reads as the default, 3,600).
    #[must_use]
    pub fn max_session_seconds(&self) -> u32 {
        u32::try_from(self.role.max_session_duration).unwrap_or(DEFAULT_DURATION_SECONDS)
    }
}

impl std::ops::Deref for AssumableRole {
    type Target = Role;

    fn deref(&self) -> &Role {
        &self.role
    }
}

/// A managed session policy of `PolicyArns`, resolved by the server to its default version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedSessionPolicy {
    /// The policy ARN as requested.
    pub arn: String,
    /// Its document.
    pub document: String,
}

/// The parameters of one `AssumeRoleWithSAML` request.
#[derive(Debug, Clone)]
pub struct AssumeRoleWithSamlRequest {
    /// `RoleArn`.
    pub role_arn: String,
    /// `PrincipalArn` (the SAML provider).
    pub principal_arn: String,
    /// `SAMLAssertion`: base64 of the whole `samlp:Response`.
    pub saml_assertion: Secret<String>,
    /// `Policy`: an inline session policy.
    pub policy: Option<String>,
    /// `PolicyArns`, resolved to documents.
    pub policy_arns: Vec<ManagedSessionPolicy>,
    /// `DurationSeconds` (default 3,600).
    pub duration_seconds: Option<i64>,
}

/// A session policy carried by the session: the inline `Policy` (no ARN) or a managed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    /// The managed policy's ARN; `None` for the inline policy.
    pub arn: Option<String>,
    /// The document, compacted (canonical JSON of the parsed policy).
    pub document: String,
}

impl SessionPolicy {
    /// Parses the document again for a permission check (inline as a session policy, managed
    /// as a managed identity policy).
    ///
    /// # Errors
    /// [`StsError::MalformedPolicyDocument`] (not expected: it parsed when issued).
    pub fn parse(&self) -> Result<Policy, StsError> {
        let options = if self.arn.is_some() {
            ParseOptions::managed_identity()
        } else {
            ParseOptions::session()
        };
        Policy::parse(&self.document, &options).map_err(StsError::MalformedPolicyDocument)
    }
}

/// A session tag from a `PrincipalTag:<key>` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTag {
    /// The key.
    pub key: String,
    /// The value (may be empty).
    pub value: String,
    /// Named in `TransitiveTagKeys`.
    pub transitive: bool,
}

/// A validated assertion bound to the one SAML provider whose metadata verified it.
///
/// Only [`validate_for_provider`] and [`validate_for_any_provider`] construct it, from the
/// provider whose keys verified the response, so an assertion verified with provider A's keys
/// can never be used as provider B's.
#[derive(Debug, Clone)]
pub struct ProviderAssertion {
    provider_arn: String,
    session_name: String,
    assertion: ValidatedAssertion,
}

impl ProviderAssertion {
    /// The ARN of the provider whose metadata verified the assertion.
    #[must_use]
    pub fn provider_arn(&self) -> &str {
        &self.provider_arn
    }
    /// The RoleSessionName (present and valid).
    #[must_use]
    pub fn session_name(&self) -> &str {
        &self.session_name
    }
    /// The validated assertion (replay-cache key, role pairs for the chooser, …).
    #[must_use]
    pub fn assertion(&self) -> &ValidatedAssertion {
        &self.assertion
    }
}

/// Validates a SAML `Response` (XML text, already decoded from its binding) against only
/// `provider`'s identity providers, and checks what STS requires beyond SAML: a
/// RoleSessionName, and the provider's encryption mode. `outstanding_requests` are the IDs of
/// AuthnRequests the browser endpoint still waits for (empty for the STS API).
///
/// # Errors
/// [`StsError::Saml`] for every SAML rejection; [`StsError::InvalidIdentityToken`] without
/// RoleSessionName or with a plaintext assertion when encryption is required.
pub fn validate_for_provider(
    xml: &str,
    provider: &SamlProviderRecord,
    service_provider: &ServiceProvider,
    now: OffsetDateTime,
    outstanding_requests: &[String],
) -> Result<ProviderAssertion, StsError> {
    // INVARIANT: only this provider's keys are tried; the assertion is bound to its ARN.
    let assertion = fedgate_saml::validate_response(
        xml,
        &provider.identity_providers,
        service_provider,
        now,
        outstanding_requests,
    )
    .map_err(StsError::Saml)?;
    bind_to_provider(assertion, provider)
}

/// Validates a SAML `Response` against every provider of the service at once: the browser
/// endpoint learns which provider an assertion is for only from its (unverified) issuer.
///
/// `trust_set` is the identity providers of all `providers` (records, or `Arc`s of them as a
/// cache holds them), flattened; `owners[i]` is the index in `providers` of the provider that
/// `trust_set[i]` belongs to. Every identity
/// provider in `trust_set` must have an entity ID (one without would match any issuer).
/// Returns one [`ProviderAssertion`] per provider whose own keys verify the response: the one
/// whose key verified first, then any other provider declaring the same issuer whose keys also
/// verify it (the same IdP registered twice).
///
/// # Errors
/// As [`validate_for_provider`], for the first provider tried.
pub fn validate_for_any_provider<P: Borrow<SamlProviderRecord>>(
    xml: &str,
    trust_set: &[IdentityProvider],
    owners: &[usize],
    providers: &[P],
    service_provider: &ServiceProvider,
    now: OffsetDateTime,
) -> Result<Vec<ProviderAssertion>, StsError> {
    let assertion = fedgate_saml::validate_response(xml, trust_set, service_provider, now, &[])
        .map_err(StsError::Saml)?;
    let first = owners
        .get(assertion.provider_index())
        .copied()
        .ok_or(StsError::Internal {
            cause: "trust_set_owner",
        })?;
    let issuer = assertion.issuer().to_owned();
    let provider = providers.get(first).ok_or(StsError::Internal {
        cause: "trust_set_owner",
    })?;
    let mut bound = vec![bind_to_provider(assertion, provider.borrow())?];
    for (index, other) in providers.iter().map(Borrow::borrow).enumerate() {
        let declares_issuer = other
            .identity_providers
            .iter()
            .any(|idp| idp.entity_id() == Some(issuer.as_str()));
        if index != first && declares_issuer {
            // INVARIANT: each extra provider is bound only by its own keys.
            if let Ok(also) = validate_for_provider(xml, other, service_provider, now, &[]) {
                bound.push(also);
            }
        }
    }
    Ok(bound)
}

/// What STS requires of a validated assertion beyond SAML (a RoleSessionName, the provider's
/// encryption mode), then the binding to the provider whose keys verified it.
fn bind_to_provider(
    assertion: ValidatedAssertion,
    provider: &SamlProviderRecord,
) -> Result<ProviderAssertion, StsError> {
    if provider.assertion_encryption_mode == AssertionEncryptionMode::Required {
        // fedgate-saml refuses encrypted assertions, so this one was sent in plaintext.
        return Err(StsError::InvalidIdentityToken {
            message: "The SAML provider requires encrypted assertions",
            cause: "assertion_not_encrypted",
        });
    }
    let Some(session_name) = assertion.aws().role_session_name.clone() else {
        return Err(StsError::InvalidIdentityToken {
            message: crate::error::SESSION_NAME_REQUIRED,
            cause: "role_session_name_missing",
        });
    };
    Ok(ProviderAssertion {
        provider_arn: provider.arn.clone(),
        session_name,
        assertion,
    })
}

/// Proof that the trust policy of a role allowed a SAML provider's assertion to assume it.
///
/// Only [`authorize`] constructs it, from iam-policy [`Allowed`] proofs, and only it can be
/// turned into a [`RoleSession`]. Not `Clone`: one authorization, one session.
#[derive(Debug)]
pub struct AuthorizedAssumption {
    assertion: ProviderAssertion,
    role: AssumableRole,
    account_id: String,
    partition: String,
    assume: Allowed,
}

impl AuthorizedAssumption {
    /// The assertion.
    #[must_use]
    pub fn assertion(&self) -> &ProviderAssertion {
        &self.assertion
    }
    /// The role.
    #[must_use]
    pub fn role(&self) -> &AssumableRole {
        &self.role
    }
    /// The `sts:AssumeRoleWithSAML` allow proof.
    #[must_use]
    pub fn allowed(&self) -> &Allowed {
        &self.assume
    }
}

/// Authorizes the assumption of `role` (requested as `role_arn`) by the assertion's provider:
/// the Role attribute must hold the pair (`role_arn`, provider ARN) and the role's trust policy
/// must allow `sts:AssumeRoleWithSAML` (and `sts:TagSession` with PrincipalTag or
/// TransitiveTagKeys attributes, `sts:SetSourceIdentity` with SourceIdentity) for
/// `Federated = <provider ARN>`.
///
/// # Errors
/// [`StsError::AccessDenied`] with the reason.
pub fn authorize(
    assertion: ProviderAssertion,
    role_arn: &str,
    role: &AssumableRole,
    account_id: &str,
    now: OffsetDateTime,
) -> Result<AuthorizedAssumption, StsError> {
    let deny = |reason| Err(StsError::AccessDenied(reason));
    let provider_arn = assertion.provider_arn.clone();
    let (Some(role_parts), Some(provider_parts)) = (
        IamArn::parse(&role.arn, "role/"),
        IamArn::parse(&provider_arn, "saml-provider/"),
    ) else {
        return deny(DenyReason::RoleMismatch);
    };
    // INVARIANT: the role record is the requested role, in the service's account, and the
    // provider is in the same account.
    if role.arn != role_arn
        || role_parts.name != role.name
        || role_parts.account != account_id
        || provider_parts.account != account_id
    {
        return deny(DenyReason::RoleMismatch);
    }
    if role.name.starts_with(RESERVED_ROLE_PREFIX) {
        return deny(DenyReason::ReservedRole);
    }
    if role.trust.kind() != PolicyKind::Trust {
        return deny(DenyReason::TrustPolicyInvalid);
    }
    let aws = assertion.assertion.aws();
    // INVARIANT: the signed Role attribute must name exactly this role *and* this provider.
    if !aws
        .roles
        .iter()
        .any(|pair| pair.role_arn == role_arn && pair.provider_arn == provider_arn)
    {
        return deny(DenyReason::RolePairMissing);
    }

    let context = trust_context(&assertion, role, account_id, now);
    let mut actions = vec![ACTION_ASSUME_ROLE_WITH_SAML];
    if !aws.principal_tags.is_empty() || !aws.transitive_tag_keys.is_empty() {
        actions.push(ACTION_TAG_SESSION);
    }
    if aws.source_identity.is_some() {
        actions.push(ACTION_SET_SOURCE_IDENTITY);
    }
    let mut assume = None;
    for action in actions {
        let request = context.for_action(action);
        // INVARIANT: every required action must be an Allow; any deny refuses the whole call.
        match evaluate_trust("trust policy", &role.trust, &request).into_allowed() {
            Ok(allowed) => {
                if action == ACTION_ASSUME_ROLE_WITH_SAML {
                    assume = Some(allowed);
                }
            }
            Err(denied) => {
                return deny(DenyReason::TrustPolicy {
                    action,
                    decision: denied.decision(),
                });
            }
        }
    }
    let Some(assume) = assume else {
        return deny(DenyReason::TrustPolicyInvalid);
    };
    Ok(AuthorizedAssumption {
        assertion,
        role: role.clone(),
        account_id: account_id.to_owned(),
        partition: role_parts.partition.to_owned(),
        assume,
    })
}

/// The request context of the trust evaluation (see the module docs for the keys).
fn trust_context(
    assertion: &ProviderAssertion,
    role: &AssumableRole,
    account_id: &str,
    now: OffsetDateTime,
) -> RequestContext {
    let validated = &assertion.assertion;
    let input = SamlContextInput {
        issuer: validated.issuer().to_owned(),
        subject: validated.subject().value.clone(),
        subject_format: validated.subject().format.clone(),
        recipient: validated.recipient().to_owned(),
        audiences: validated.audiences().to_vec(),
        provider_arn: assertion.provider_arn.clone(),
        account_id: account_id.to_owned(),
        attributes: validated
            .attributes()
            .iter()
            .map(|a| (a.name.clone(), a.values.clone()))
            .collect(),
    };
    let aws = validated.aws();
    let mut context = RequestContext::new(ACTION_ASSUME_ROLE_WITH_SAML)
        .with_principal(PrincipalId::federated(assertion.provider_arn.clone()))
        .with_resource(role.arn.clone())
        .with_saml(&input)
        .with_current_time(now);
    if !aws.principal_tags.is_empty() {
        let tags = || {
            aws.principal_tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
        };
        context = context
            .with_request_tags(tags())
            .with_principal_tags(tags());
    }
    if !aws.transitive_tag_keys.is_empty() {
        context = context.with_values("sts:TransitiveTagKeys", aws.transitive_tag_keys.clone());
    }
    if let Some(source_identity) = &aws.source_identity {
        context = context.with_key("sts:SourceIdentity", source_identity.as_str());
    }
    context
}

/// Parses the session policies of a request: `Policy` as a session policy, each `PolicyArns`
/// document as a managed policy. Returns them compacted.
///
/// # Errors
/// [`StsError::MalformedPolicyDocument`].
pub fn parse_session_policies(
    policy: Option<&str>,
    policy_arns: &[ManagedSessionPolicy],
) -> Result<Vec<SessionPolicy>, StsError> {
    let mut parsed = Vec::with_capacity(policy_arns.len() + 1);
    if let Some(text) = policy {
        let policy = Policy::parse(text, &ParseOptions::session())
            .map_err(StsError::MalformedPolicyDocument)?;
        parsed.push(SessionPolicy {
            arn: None,
            document: compact(&policy)?,
        });
    }
    for managed in policy_arns {
        let policy = Policy::parse(&managed.document, &ParseOptions::managed_identity())
            .map_err(StsError::MalformedPolicyDocument)?;
        parsed.push(SessionPolicy {
            arn: Some(managed.arn.clone()),
            document: compact(&policy)?,
        });
    }
    Ok(parsed)
}

fn compact(policy: &Policy) -> Result<String, StsError> {
    let json = policy.to_json();
    if json.is_empty() {
        return Err(StsError::Internal {
            cause: "policy_serialize",
        });
    }
    Ok(json)
}

/// `AssumedRoleUser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `<role id>:<session name>`.
    pub assumed_role_id: String,
    /// `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>` (no path).
    pub arn: String,
}

/// Temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ASIA` + 16 characters of `A–Z2–7`.
    pub access_key_id: String,
    /// 40 characters.
    pub secret_access_key: Secret<String>,
    /// The sealed session token.
    pub session_token: Secret<String>,
    /// When the credentials expire (whole seconds).
    pub expiration: OffsetDateTime,
}

/// A role session: the result of `AssumeRoleWithSAML` and of a browser sign-in.
///
/// Only [`issue_session`] constructs it, from an [`AuthorizedAssumption`].
#[derive(Debug, Clone)]
pub struct RoleSession {
    assumed_role_user: AssumedRoleUser,
    credentials: Credentials,
    audience: String,
    issuer: String,
    name_qualifier: String,
    subject: String,
    subject_type: String,
    packed_policy_size: u64,
    source_identity: Option<String>,
    tags: Vec<SessionTag>,
    session_policies: Vec<SessionPolicy>,
    session_name: String,
    role_arn: String,
    provider_arn: String,
    account_id: String,
    assertion_id: String,
    issued_at: OffsetDateTime,
    session_not_on_or_after: Option<OffsetDateTime>,
}

impl RoleSession {
    /// The assertion's SessionNotOnOrAfter: no session derived from this one may outlive it.
    #[must_use]
    pub fn session_not_on_or_after(&self) -> Option<OffsetDateTime> {
        self.session_not_on_or_after
    }
    /// `AssumedRoleUser`.
    #[must_use]
    pub fn assumed_role_user(&self) -> &AssumedRoleUser {
        &self.assumed_role_user
    }
    /// `Credentials`.
    #[must_use]
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
    /// `Audience`: the Recipient (`saml:aud`).
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }
    /// `Issuer`: the assertion's Issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// `NameQualifier`: Base64(SHA1(issuer + account + "/" + provider name)).
    #[must_use]
    pub fn name_qualifier(&self) -> &str {
        &self.name_qualifier
    }
    /// `Subject`: the NameID.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// `SubjectType`: the NameID format, `urn:oasis:names:tc:SAML:2.0:nameid-format:` stripped.
    #[must_use]
    pub fn subject_type(&self) -> &str {
        &self.subject_type
    }
    /// `PackedPolicySize` in percent.
    #[must_use]
    pub fn packed_policy_size(&self) -> u64 {
        self.packed_policy_size
    }
    /// `SourceIdentity`, if the assertion set one.
    #[must_use]
    pub fn source_identity(&self) -> Option<&str> {
        self.source_identity.as_deref()
    }
    /// The session tags.
    #[must_use]
    pub fn tags(&self) -> &[SessionTag] {
        &self.tags
    }
    /// The session policies, for later permission checks.
    #[must_use]
    pub fn session_policies(&self) -> &[SessionPolicy] {
        &self.session_policies
    }
    /// The role session name.
    #[must_use]
    pub fn session_name(&self) -> &str {
        &self.session_name
    }
    /// The role's ARN.
    #[must_use]
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }
    /// The SAML provider's ARN.
    #[must_use]
    pub fn provider_arn(&self) -> &str {
        &self.provider_arn
    }
    /// The account.
    #[must_use]
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    /// The assertion's ID (audit log; CloudTrail's `sAMLAssertionID`).
    #[must_use]
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }
    /// When the session was issued.
    #[must_use]
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }
}

/// Mints the role session of an authorized assumption: expiration, packed size, credentials
/// and the sealed session token. `duration_seconds` is the validated `DurationSeconds` (the
/// browser endpoint passes the SessionDuration attribute or 3,600).
///
/// # Errors
/// [`StsError::PackedPolicyTooLarge`], [`StsError::SessionAlreadyEnded`],
/// [`StsError::Internal`].
pub fn issue_session(
    authorized: AuthorizedAssumption,
    duration_seconds: u32,
    session_policies: Vec<SessionPolicy>,
    now: OffsetDateTime,
    token_key: &SessionTokenKey,
) -> Result<RoleSession, StsError> {
    let AuthorizedAssumption {
        assertion,
        role,
        account_id,
        partition,
        assume: _,
    } = authorized;
    let ProviderAssertion {
        provider_arn,
        session_name,
        assertion,
    } = assertion;
    let aws = assertion.aws();

    let tags: Vec<SessionTag> = aws
        .principal_tags
        .iter()
        .map(|(key, value)| SessionTag {
            key: key.clone(),
            value: value.clone(),
            transitive: aws
                .transitive_tag_keys
                .iter()
                .any(|t| t.eq_ignore_ascii_case(key)),
        })
        .collect();
    let packed_chars: usize = session_policies
        .iter()
        .map(|p| match &p.arn {
            Some(arn) => arn.chars().count(),
            None => p.document.chars().count(),
        })
        .chain(
            tags.iter()
                .map(|t| t.key.chars().count() + t.value.chars().count()),
        )
        .chain(aws.transitive_tag_keys.iter().map(|k| k.chars().count()))
        .sum();
    let packed_policy_size =
        u64::try_from((packed_chars * 100).div_ceil(PACKED_POLICY_BUDGET_CHARS))
            .unwrap_or(u64::MAX);
    if packed_policy_size > 100 {
        return Err(StsError::PackedPolicyTooLarge {
            percent: packed_policy_size,
        });
    }

    let mut expiration = now + Duration::seconds(i64::from(duration_seconds));
    if let Some(session_duration) = aws.session_duration {
        // The SessionDuration attribute can only shorten an API session.
        expiration = expiration.min(now + Duration::seconds(i64::from(session_duration)));
    }
    if let Some(session_not_on_or_after) = assertion.session_not_on_or_after() {
        expiration = expiration.min(session_not_on_or_after);
    }
    let expiration = expiration
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(expiration);
    if expiration <= now {
        return Err(StsError::SessionAlreadyEnded { expiration });
    }

    let access_key_id = credentials::access_key_id()?;
    let secret_access_key = credentials::secret_access_key()?;
    let claims = SessionClaims {
        access_key_id: access_key_id.clone(),
        secret_access_key: secret_access_key.clone(),
        issued_at: now,
        expiration,
        role_arn: role.arn.clone(),
        role_id: role.role_id.clone(),
        role_name: role.name.clone(),
        session_name: session_name.clone(),
        account_id: account_id.clone(),
        source_identity: aws.source_identity.clone(),
        session_policies: session_policies.clone(),
        tags: tags.clone(),
    };
    let session_token = seal_session_token(&claims, token_key)?;

    let provider = provider_name(&provider_arn);
    Ok(RoleSession {
        assumed_role_user: AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.role_id),
            arn: format!(
                "arn:{partition}:sts::{account_id}:assumed-role/{}/{session_name}",
                role.name
            ),
        },
        credentials: Credentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        },
        audience: assertion.recipient().to_owned(),
        issuer: assertion.issuer().to_owned(),
        name_qualifier: name_qualifier(assertion.issuer(), &account_id, provider),
        subject: assertion.subject().value.clone(),
        subject_type: subject_type(assertion.subject().format.as_deref()).to_owned(),
        packed_policy_size,
        source_identity: aws.source_identity.clone(),
        tags,
        session_policies,
        session_name,
        role_arn: role.role.arn,
        provider_arn,
        account_id,
        assertion_id: assertion.assertion_id().to_owned(),
        issued_at: now,
        session_not_on_or_after: assertion.session_not_on_or_after(),
    })
}

/// `arn:<partition of role_arn>:sts::<account>:assumed-role/<role name>/<session name>`.
pub(crate) fn assumed_role_arn(
    role_arn: &str,
    account_id: &str,
    role_name: &str,
    session_name: &str,
) -> String {
    let partition = role_arn.split(':').nth(1).unwrap_or("aws");
    format!("arn:{partition}:sts::{account_id}:assumed-role/{role_name}/{session_name}")
}

/// The whole `AssumeRoleWithSAML` operation (see the module docs for the order of checks).
///
/// `provider` and `role` are the server's lookups of `PrincipalArn` and `RoleArn` (`None` when
/// absent); `service_provider` lists the accepted audiences and ACS URLs; the response is
/// validated at `now`, with no outstanding requests (STS accepts unsolicited responses and, as
/// AWS does, the same response more than once within its validity).
///
/// # Errors
/// Every [`StsError`] of the steps, mapped to the wire with [`to_aws`](crate::to_aws).
pub fn assume_role_with_saml(
    request: &AssumeRoleWithSamlRequest,
    provider: Option<&SamlProviderRecord>,
    role: Option<&AssumableRole>,
    account_id: &str,
    service_provider: &ServiceProvider,
    now: OffsetDateTime,
    token_key: &SessionTokenKey,
) -> Result<RoleSession, StsError> {
    let duration = check_request(request)?;
    let Some(provider) = provider.filter(|p| p.arn == request.principal_arn) else {
        return Err(StsError::InvalidIdentityToken {
            message: "Specified provider doesn't exist",
            cause: "provider_not_found",
        });
    };
    if let Some(role) = role {
        check_duration_for_role(duration, role.max_session_seconds())?;
    }
    let xml = binding::decode_post(
        request.saml_assertion.expose(),
        binding::DEFAULT_MAX_DECODED,
    )
    .map_err(StsError::Saml)?;
    let assertion = validate_for_provider(&xml, provider, service_provider, now, &[])?;
    let Some(role) = role else {
        return Err(StsError::AccessDenied(DenyReason::RoleNotFound));
    };
    let authorized = authorize(assertion, &request.role_arn, role, account_id, now)?;
    let session_policies = parse_session_policies(request.policy.as_deref(), &request.policy_arns)?;
    issue_session(authorized, duration, session_policies, now, token_key)
}
