//! Who is calling, and may they: SigV4 authentication into a [`Principal`], and the one
//! authorization function every protocol front end calls ([`authorize`]), which ends in the
//! policy engine's [`Allowed`] proof.
//!
//! Principals:
//! - a long-term access key (the administrator): its identity policy is [`ADMIN_POLICY`];
//! - a role session: temporary credentials (SigV4 with `ASIA…` + session token) or the
//!   console session cookie of a browser sign-in. Its policies are the role's inline and
//!   attached policies, intersected with the session policies it was issued with.
//!
//! [`ADMIN_POLICY`]: crate::state::ADMIN_POLICY

use fedgate_aws_wire::{AwsError, sigv4};
use fedgate_iam_policy::{Allowed, ParseOptions, Policy, PolicySet, RequestContext, evaluate};
use fedgate_store::AccessKeyStatus;
use fedgate_sts::SessionClaims;
use time::OffsetDateTime;

use crate::state::AppState;

/// How a principal proved who it is.
#[derive(Debug, Clone)]
pub enum Proof {
    /// A SigV4 signature checked by [`sigv4::verify`].
    SigV4(Box<sigv4::Authenticated>),
    /// A console session cookie opened with the service's cookie key (browser sign-in).
    ConsoleSession,
}

/// Who is calling, after authentication.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A long-term access key (the administrator's).
    LongTermKey {
        /// The key's principal (`arn:aws:iam::<account>:user/fedgate-admin`).
        principal_arn: String,
        /// How it was authenticated.
        proof: Proof,
    },
    /// A role session (temporary credentials or a console session).
    Session {
        /// The session's claims, opened from its sealed token.
        claims: Box<SessionClaims>,
        /// How it was authenticated.
        proof: Proof,
    },
}

impl Principal {
    /// The caller's ARN (`…:user/…` or `…:assumed-role/<role>/<session>`).
    pub fn arn(&self) -> String {
        match self {
            Self::LongTermKey { principal_arn, .. } => principal_arn.clone(),
            Self::Session { claims, .. } => claims.assumed_role_arn(),
        }
    }

    /// `aws:userid`: `AIDA…` for the administrator, `<role id>:<session name>` for a session.
    pub fn user_id(&self) -> String {
        match self {
            Self::LongTermKey { principal_arn, .. } => admin_user_id(principal_arn),
            Self::Session { claims, .. } => claims.user_id(),
        }
    }

    /// How the principal was authenticated.
    pub fn proof(&self) -> &Proof {
        match self {
            Self::LongTermKey { proof, .. } | Self::Session { proof, .. } => proof,
        }
    }
}

/// An internal failure: logged here with its cause, answered as AWS's `ServiceFailure`.
pub fn internal(error: impl std::fmt::Display) -> AwsError {
    tracing::error!(%error, "internal failure");
    AwsError::service_failure("An internal error occurred.")
}

/// SigV4: long-term keys from the store; temporary keys from their session token, which must
/// belong to the access key id that signed.
///
/// # Errors
/// `InvalidClientTokenId`, `ExpiredToken`, `SignatureDoesNotMatch`, … as AWS answers them.
pub async fn authenticate(
    state: &AppState,
    signed: &sigv4::SignedRequest,
    request: &sigv4::Request<'_>,
    now: OffsetDateTime,
) -> Result<Principal, AwsError> {
    let access_key_id = signed.access_key_id();
    let unknown = || sigv4::Error::UnknownKey.to_aws_error();
    if access_key_id.starts_with("ASIA") {
        let token = signed.session_token().ok_or_else(unknown)?;
        let claims = fedgate_sts::open_session_token(token, state.pipeline.token_key(), now)
            .map_err(|e| AwsError::from(&e))?;
        claims
            .check_access_key_id(access_key_id)
            .map_err(|e| AwsError::from(&e))?;
        let authenticated =
            sigv4::verify(signed, request, claims.secret_access_key().expose(), now)?;
        return Ok(Principal::Session {
            claims: Box::new(claims),
            proof: Proof::SigV4(Box::new(authenticated)),
        });
    }
    let record = state
        .iam
        .access_key(access_key_id)
        .await
        .map_err(internal)?;
    let record = record
        .filter(|key| key.status == AccessKeyStatus::Active)
        .ok_or_else(unknown)?;
    let authenticated = sigv4::verify(signed, request, record.secret_access_key.expose(), now)?;
    Ok(Principal::LongTermKey {
        principal_arn: record.principal_arn,
        proof: Proof::SigV4(Box::new(authenticated)),
    })
}

/// The administrator's unique user ID (`AIDA…`, as AWS gives IAM users): derived from its
/// ARN, so it is stable across restarts and nodes.
pub fn admin_user_id(principal_arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, principal_arn.as_bytes());
    let suffix: String = digest
        .as_ref()
        .iter()
        .take(17)
        .filter_map(|byte| {
            ALPHABET
                .get(usize::from(byte & 0x1f))
                .map(|&c| char::from(c))
        })
        .collect();
    format!("AIDA{suffix}")
}

/// One authorization question: may the principal perform `action` on `resource`, with these
/// extra condition keys (`iam:PolicyARN`, …)?
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// `service:Action`, e.g. `iam:CreateRole` or `connect:GetFederationToken`.
    pub action: &'a str,
    /// The resource ARN the action's authorization reference names (`*` for listings).
    pub resource: &'a str,
    /// Extra single-valued condition keys.
    pub keys: Vec<(&'static str, String)>,
}

/// Why [`authorize`] refused.
#[derive(Debug)]
pub enum Refusal {
    /// The policies do not allow it (implicit or explicit deny).
    Denied,
    /// The store failed or a stored policy no longer parses.
    Internal(AwsError),
}

impl Refusal {
    /// AWS's `AccessDenied` message for `principal` asking `question`.
    pub fn into_aws(self, principal: &Principal, question: &Question<'_>) -> AwsError {
        match self {
            Self::Denied => AwsError::access_denied(format!(
                "User: {} is not authorized to perform: {} on resource: {}",
                principal.arn(),
                question.action,
                question.resource
            )),
            Self::Internal(error) => error,
        }
    }
}

/// Decides `question` for `principal` with the policy engine: the administrator's
/// allow-all policy, or the role's inline and attached policies intersected with the
/// session's policies. A session whose role was deleted (or deleted and recreated: another
/// role ID) can do nothing.
///
/// # Errors
/// [`Refusal::Denied`] unless the decision is Allow.
pub async fn authorize(
    state: &AppState,
    principal: &Principal,
    question: &Question<'_>,
    now: OffsetDateTime,
) -> Result<Allowed, Refusal> {
    let mut identity = Vec::new();
    let mut session = Vec::new();
    if let Principal::Session { claims, .. } = principal {
        let role = state
            .iam
            .role_by_arn(claims.role_arn())
            .await
            .map_err(|error| Refusal::Internal(internal(error)))?;
        // INVARIANT: a session acts only for the role it was issued for; a role deleted and
        // recreated under the same name is another role (another role ID).
        let Some(role) = role.filter(|role| role.role_id == claims.role_id()) else {
            return Err(Refusal::Denied);
        };
        let parse = |text: &str, options| {
            Policy::parse(text, &options).map_err(|error| Refusal::Internal(internal(error)))
        };
        for inline in &role.inline_policies {
            identity.push((
                inline.name.clone(),
                parse(&inline.document, ParseOptions::inline_identity())?,
            ));
        }
        for attached in &role.attached_policies {
            identity.push((
                attached.policy_arn.clone(),
                parse(&attached.document, ParseOptions::managed_identity())?,
            ));
        }
        for policy in claims.session_policies() {
            let name = policy.arn.clone().unwrap_or_else(|| "session".to_owned());
            let parsed = policy
                .parse()
                .map_err(|error| Refusal::Internal(AwsError::from(&error)))?;
            session.push((name, parsed));
        }
    }
    let mut set = PolicySet::new();
    if let Principal::LongTermKey { .. } = principal {
        set = set.identity("FedgateAdministrator", &state.admin_policy);
    }
    for (name, policy) in &identity {
        set = set.identity(name, policy);
    }
    for (name, policy) in &session {
        set = set.session(name, policy);
    }
    let mut context = RequestContext::new(question.action.to_owned())
        .with_resource(question.resource.to_owned())
        .with_current_time(now)
        .with_userid(principal.user_id())
        .with_principal_arn(principal.arn());
    for (key, value) in &question.keys {
        context = context.with_key(key, value.clone());
    }
    evaluate(&set, &context)
        .into_allowed()
        .map_err(|_| Refusal::Denied)
}
