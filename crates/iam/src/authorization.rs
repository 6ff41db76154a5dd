//! Who may call which IAM action, next to the actions themselves: the resource each action acts
//! on ([`Iam::authorization_target`], AWS's service authorization reference), and the proof
//! [`Iam::handle`] requires ([`AuthorizedRequest`]).
//!
//! ```text
//! QueryRequest ──Iam::authorization_target──▶ IamTarget (iam:<Action>, resource, condition keys)
//!   ──the policy engine (the server's one authorization function)──▶ fedgate_iam_policy::Allowed
//!   ──IamTarget::authorize(Allowed): the proof must be for this action on this resource──▶
//!   AuthorizedRequest ──Iam::handle──▶ <ActionResult>
//! ```
//! `Allowed` has a private constructor (only an Allow decision makes one) and so does
//! [`AuthorizedRequest`], so a request the policy engine did not allow cannot reach `handle`.

use std::fmt;

use fedgate_aws_wire::QueryRequest;
use fedgate_iam_policy::Allowed;
use fedgate_store::IamStorage;

use crate::{Iam, IamError, PARTITION};

/// What an IAM request acts on: `iam:<Action>` on the resource the action's own parameters name
/// (never another action's), and the extra condition keys of the action.
#[derive(Debug)]
pub struct IamTarget<'r> {
    request: &'r QueryRequest,
    action: String,
    resource: String,
    /// `iam:PolicyARN` for AttachRolePolicy/DetachRolePolicy.
    policy_arn: Option<String>,
}

impl<'r> IamTarget<'r> {
    /// `iam:<Action>`.
    #[must_use]
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource ARN (`*` for listings and unknown actions).
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Extra single-valued condition keys of the request (`iam:PolicyARN`).
    #[must_use]
    pub fn condition_keys(&self) -> Vec<(&'static str, String)> {
        self.policy_arn
            .iter()
            .map(|arn| ("iam:PolicyARN", arn.clone()))
            .collect()
    }

    /// Binds the policy engine's decision to this request: `allowed` must be the decision on
    /// exactly this target's action and resource.
    ///
    /// # Errors
    /// [`ProofMismatch`] when `allowed` was decided for another action or resource (a
    /// programming error: the caller asked the engine another question).
    pub fn authorize(self, allowed: Allowed) -> Result<AuthorizedRequest<'r>, ProofMismatch> {
        // INVARIANT: the proof handed to `handle` is the Allow for this request's question.
        if allowed.action() != self.action || allowed.resource() != Some(self.resource.as_str()) {
            return Err(ProofMismatch {
                asked: format!("{} on {}", self.action, self.resource),
                allowed: format!(
                    "{} on {}",
                    allowed.action(),
                    allowed.resource().unwrap_or("no resource")
                ),
            });
        }
        Ok(AuthorizedRequest {
            request: self.request,
            allowed,
        })
    }
}

/// An IAM request the policy engine allowed. Only [`IamTarget::authorize`] makes one, from the
/// engine's [`Allowed`] for that request; [`Iam::handle`] takes nothing else.
#[derive(Debug)]
pub struct AuthorizedRequest<'r> {
    request: &'r QueryRequest,
    allowed: Allowed,
}

impl AuthorizedRequest<'_> {
    /// The request.
    #[must_use]
    pub fn request(&self) -> &QueryRequest {
        self.request
    }

    /// The Allow it was granted.
    #[must_use]
    pub fn allowed(&self) -> &Allowed {
        &self.allowed
    }
}

/// An [`Allowed`] proof offered for another question than the request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofMismatch {
    asked: String,
    allowed: String,
}

impl fmt::Display for ProofMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "authorization proof for {} offered for {}",
            self.allowed, self.asked
        )
    }
}

impl std::error::Error for ProofMismatch {}

impl<S: IamStorage> Iam<S> {
    /// The action and resource `request` is authorized on, as AWS's service authorization
    /// reference defines them: roles by their stored ARN (with the path; an absent role by the
    /// ARN it would have without one), providers and policies by their ARN, creations by the ARN
    /// they would get, listings (and unknown actions) by `*`.
    ///
    /// # Errors
    /// [`IamError::Store`] when reading a role fails.
    pub async fn authorization_target<'r>(
        &self,
        request: &'r QueryRequest,
    ) -> Result<IamTarget<'r>, IamError> {
        let account = self.account_id();
        let param = |name: &str| request.get(name).unwrap_or_default();
        let path = |name: &str| request.get(name).unwrap_or("/");
        let resource = match request.action() {
            "CreateSAMLProvider" => {
                format!(
                    "arn:{PARTITION}:iam::{account}:saml-provider/{}",
                    param("Name")
                )
            }
            "GetSAMLProvider"
            | "UpdateSAMLProvider"
            | "DeleteSAMLProvider"
            | "TagSAMLProvider"
            | "UntagSAMLProvider"
            | "ListSAMLProviderTags" => param("SAMLProviderArn").to_owned(),
            "CreateRole" => format!(
                "arn:{PARTITION}:iam::{account}:role{}{}",
                path("Path"),
                param("RoleName")
            ),
            "GetRole"
            | "UpdateRole"
            | "UpdateAssumeRolePolicy"
            | "DeleteRole"
            | "PutRolePolicy"
            | "GetRolePolicy"
            | "ListRolePolicies"
            | "DeleteRolePolicy"
            | "AttachRolePolicy"
            | "DetachRolePolicy"
            | "ListAttachedRolePolicies"
            | "TagRole"
            | "UntagRole"
            | "ListRoleTags" => {
                let name = param("RoleName");
                match self.role_by_name(name).await? {
                    Some(role) => role.arn,
                    None => format!("arn:{PARTITION}:iam::{account}:role/{name}"),
                }
            }
            "CreatePolicy" => format!(
                "arn:{PARTITION}:iam::{account}:policy{}{}",
                path("Path"),
                param("PolicyName")
            ),
            "GetPolicy" | "GetPolicyVersion" | "DeletePolicy" => param("PolicyArn").to_owned(),
            _ => "*".to_owned(),
        };
        let policy_arn = matches!(request.action(), "AttachRolePolicy" | "DetachRolePolicy")
            .then(|| param("PolicyArn").to_owned());
        Ok(IamTarget {
            request,
            action: format!("iam:{}", request.action()),
            resource,
            policy_arn,
        })
    }
}
