//! Evaluation: policies + request context → [`Decision`].
//!
//! # Decision semantics
//!
//! A statement *applies* to a request when all of these hold, checked in this order (the first
//! that fails is the reason reported):
//! 1. principal: `Principal` names the caller, or `NotPrincipal` does not name it. A statement
//!    of a resource-based policy without either applies to nobody; identity and session
//!    statements have none and skip this step;
//! 2. action: `Action` matches the action (case-insensitive), or `NotAction` does not;
//! 3. resource: `Resource` matches the resource (case-sensitive, ARN segment by segment), or
//!    `NotResource` does not; trust policies have neither and apply to the role they belong to;
//! 4. every condition block holds (`condition.rs`).
//!
//! Then, over all policies given:
//! - INVARIANT: any applicable `Deny`, in any policy, gives [`Decision::ExplicitDeny`]. Nothing
//!   overrides it.
//! - INVARIANT: otherwise the request is allowed iff an applicable `Allow` exists in an identity
//!   policy or a resource-based (trust) policy **and**, when session policies were passed, an
//!   applicable `Allow` also exists in a session policy (identity ∩ session).
//! - INVARIANT: everything else is [`Decision::ImplicitDeny`]; no policy, no statement, no
//!   matching statement all deny.
//! - INVARIANT: [`Allowed`] can only be obtained from an [`Evaluation`] whose decision is
//!   [`Decision::Allow`].
//!
//! Ours, where AWS has nuances this crate does not model: session policies also limit grants
//! from resource-based policies (AWS lets a resource policy that names the *session* ARN bypass
//! them — we are stricter, never more permissive); an account principal (`"123456789012"` or
//! `arn:aws:iam::123456789012:root`) matches every principal of that account (AWS then also
//! requires the account's identity policies to allow, which callers evaluate separately);
//! permission boundaries and SCPs are not modelled.

use crate::ast::{Effect, Policy, PrincipalSpec, Statement};
use crate::condition::{Operator, evaluate_entry};
use crate::context::{PrincipalId, PrincipalKind, RequestContext};
use crate::matching::Case;
use crate::variables::NoVariables;

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An applicable `Allow` and no applicable `Deny`.
    Allow,
    /// An applicable `Deny`.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
}

impl Decision {
    /// `"Allow"`, `"ExplicitDeny"` or `"ImplicitDeny"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::ExplicitDeny => "ExplicitDeny",
            Self::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// The part a policy plays in an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRole {
    /// An identity policy of the principal (inline or managed).
    Identity,
    /// A session policy (`Policy` / `PolicyArns` of `AssumeRole*`): intersected.
    Session,
    /// A resource-based policy, including a role trust policy.
    Resource,
}

impl PolicyRole {
    /// `"identity"`, `"session"` or `"resource"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Session => "session",
            Self::Resource => "resource",
        }
    }
}

/// Whether a statement applied, or the first reason it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementResult<'p> {
    /// Everything matched: the statement's effect counts.
    Applies,
    /// `Principal` / `NotPrincipal` excluded the caller.
    PrincipalNotMatched,
    /// `Action` / `NotAction` excluded the action.
    ActionNotMatched,
    /// `Resource` / `NotResource` excluded the resource.
    ResourceNotMatched,
    /// A condition was false.
    ConditionNotMet {
        /// The operator of the failing condition.
        operator: Operator,
        /// The key as written in the policy.
        key: &'p str,
    },
}

impl StatementResult<'_> {
    /// A short lower-case explanation.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Applies => "matched".to_owned(),
            Self::PrincipalNotMatched => "principal not matched".to_owned(),
            Self::ActionNotMatched => "action not matched".to_owned(),
            Self::ResourceNotMatched => "resource not matched".to_owned(),
            Self::ConditionNotMet { operator, key } => {
                format!("condition {} on {key} not met", operator.name())
            }
        }
    }
}

/// One statement considered by an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementTrace<'p> {
    /// The name the policy was given in the [`PolicySet`].
    pub policy: &'p str,
    /// The part the policy played.
    pub role: PolicyRole,
    /// The statement's index in its policy.
    pub index: usize,
    /// Its `Sid`.
    pub sid: Option<&'p str>,
    /// Its `Effect`.
    pub effect: Effect,
    /// Whether it applied.
    pub result: StatementResult<'p>,
}

#[derive(Debug, Clone, Copy)]
struct Entry<'p> {
    role: PolicyRole,
    name: &'p str,
    policy: &'p Policy,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'p> {
    entries: Vec<Entry<'p>>,
    has_session: bool,
}

impl<'p> PolicySet<'p> {
    /// An empty set (denies everything).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity policy of the principal.
    #[must_use]
    pub fn identity(mut self, name: &'p str, policy: &'p Policy) -> Self {
        self.entries.push(Entry {
            role: PolicyRole::Identity,
            name,
            policy,
        });
        self
    }

    /// Adds a session policy; once one is added, the result is limited to what the session
    /// policies allow.
    #[must_use]
    pub fn session(mut self, name: &'p str, policy: &'p Policy) -> Self {
        self.has_session = true;
        self.entries.push(Entry {
            role: PolicyRole::Session,
            name,
            policy,
        });
        self
    }

    /// Adds a resource-based policy (e.g. a role trust policy).
    #[must_use]
    pub fn resource(mut self, name: &'p str, policy: &'p Policy) -> Self {
        self.entries.push(Entry {
            role: PolicyRole::Resource,
            name,
            policy,
        });
        self
    }

    /// Whether no policy was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The result of an evaluation: the decision and the statements behind it.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    decision: Decision,
    trace: Vec<StatementTrace<'a>>,
    context: &'a RequestContext,
}

impl<'a> Evaluation<'a> {
    /// The decision.
    #[must_use]
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Whether the decision is `Allow`.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// The statements recorded: the applicable ones after [`evaluate`], every statement after
    /// [`explain`].
    #[must_use]
    pub fn statements(&self) -> &[StatementTrace<'a>] {
        &self.trace
    }

    /// The statements that applied.
    pub fn matched(&self) -> impl Iterator<Item = &StatementTrace<'a>> {
        self.trace
            .iter()
            .filter(|t| t.result == StatementResult::Applies)
    }

    /// The statements that decided: the applicable `Deny`s for an explicit deny, the
    /// applicable `Allow`s for an allow, none for an implicit deny.
    pub fn deciding(&self) -> impl Iterator<Item = &StatementTrace<'a>> {
        let effect = match self.decision {
            Decision::Allow => Some(Effect::Allow),
            Decision::ExplicitDeny => Some(Effect::Deny),
            Decision::ImplicitDeny => None,
        };
        self.matched().filter(move |t| Some(t.effect) == effect)
    }

    /// The request this evaluation decided.
    #[must_use]
    pub fn context(&self) -> &'a RequestContext {
        self.context
    }

    /// The proof of an `Allow`, or this evaluation back when it is a deny.
    ///
    /// # Errors
    /// Returns `self` unchanged unless the decision is [`Decision::Allow`].
    pub fn into_allowed(self) -> Result<Allowed, Self> {
        if self.decision != Decision::Allow {
            return Err(self);
        }
        Ok(Allowed {
            action: self.context.action().to_owned(),
            resource: self.context.resource().map(str::to_owned),
            principal: self.context.principal().cloned(),
        })
    }
}

/// Proof that a request was allowed. Only [`Evaluation::into_allowed`] creates one, so code
/// that takes an `Allowed` (minting credentials) cannot run on a deny.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    action: String,
    resource: Option<String>,
    principal: Option<PrincipalId>,
}

impl Allowed {
    /// The action that was allowed.
    #[must_use]
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource it was allowed on.
    #[must_use]
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The principal it was allowed for.
    #[must_use]
    pub fn principal(&self) -> Option<&PrincipalId> {
        self.principal.as_ref()
    }
}

/// Evaluates a request; records the applicable statements.
#[must_use]
pub fn evaluate<'a>(policies: &PolicySet<'a>, context: &'a RequestContext) -> Evaluation<'a> {
    run(&policies.entries, policies.has_session, context, false)
}

/// Evaluates a request and records every statement with the reason it did or did not apply.
#[must_use]
pub fn explain<'a>(policies: &PolicySet<'a>, context: &'a RequestContext) -> Evaluation<'a> {
    run(&policies.entries, policies.has_session, context, true)
}

/// Evaluates a role trust policy alone (the resource-based check of `sts:AssumeRoleWithSAML`,
/// `sts:TagSession`, `sts:SetSourceIdentity`); the caller is the context's principal, e.g.
/// `Federated = <provider ARN>`. Does not allocate unless a statement applies.
#[must_use]
pub fn evaluate_trust<'a>(
    name: &'a str,
    trust: &'a Policy,
    context: &'a RequestContext,
) -> Evaluation<'a> {
    let entries = [Entry {
        role: PolicyRole::Resource,
        name,
        policy: trust,
    }];
    run(&entries, false, context, false)
}

fn run<'a>(
    entries: &[Entry<'a>],
    has_session: bool,
    context: &'a RequestContext,
    record_all: bool,
) -> Evaluation<'a> {
    let mut trace = Vec::new();
    let mut denied = false;
    let mut principal_allowed = false;
    let mut session_allowed = false;
    for entry in entries {
        for (index, statement) in entry.policy.statements.iter().enumerate() {
            let result = check(statement, entry.role, context);
            let applies = result == StatementResult::Applies;
            if applies {
                match (statement.effect, entry.role) {
                    (Effect::Deny, _) => denied = true,
                    (Effect::Allow, PolicyRole::Session) => session_allowed = true,
                    (Effect::Allow, PolicyRole::Identity | PolicyRole::Resource) => {
                        principal_allowed = true;
                    }
                }
            }
            if applies || record_all {
                trace.push(StatementTrace {
                    policy: entry.name,
                    role: entry.role,
                    index,
                    sid: statement.sid.as_deref(),
                    effect: statement.effect,
                    result,
                });
            }
        }
    }
    let decision = if denied {
        Decision::ExplicitDeny
    } else if principal_allowed && (!has_session || session_allowed) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    Evaluation {
        decision,
        trace,
        context,
    }
}

fn check<'p>(
    statement: &'p Statement,
    role: PolicyRole,
    context: &RequestContext,
) -> StatementResult<'p> {
    match &statement.principal {
        Some(clause) if principal_matches(&clause.spec, context.principal()) == clause.negated => {
            return StatementResult::PrincipalNotMatched;
        }
        Some(_) => {}
        // INVARIANT: a resource-based statement applies only to principals it names.
        None if role == PolicyRole::Resource => return StatementResult::PrincipalNotMatched,
        None => {}
    }
    let action = context.action();
    let action_matched = statement
        .action
        .items
        .iter()
        .any(|a| a.pattern.matches(action, Case::Insensitive, &NoVariables));
    if action_matched == statement.action.negated {
        return StatementResult::ActionNotMatched;
    }
    if let Some(clause) = &statement.resource {
        let resource = context.resource().unwrap_or("*");
        let matched = clause
            .items
            .iter()
            .any(|r| r.pattern.matches(resource, context));
        if matched == clause.negated {
            return StatementResult::ResourceNotMatched;
        }
    }
    for block in &statement.conditions {
        for entry in &block.entries {
            let values = context.get_lower(&entry.key_lower).map(|v| v.values());
            if !evaluate_entry(&block.operator, &entry.values, values, context) {
                return StatementResult::ConditionNotMet {
                    operator: block.operator,
                    key: &entry.key,
                };
            }
        }
    }
    StatementResult::Applies
}

fn principal_matches(spec: &PrincipalSpec, caller: Option<&PrincipalId>) -> bool {
    let map = match spec {
        PrincipalSpec::Any => return true,
        PrincipalSpec::Map(map) => map,
    };
    // `{"AWS": "*"}` is the same as `"*"`: everyone, including anonymous callers.
    if map.aws.iter().any(|v| v == "*") {
        return true;
    }
    let Some(caller) = caller else {
        return false;
    };
    let list = match caller.kind {
        PrincipalKind::Aws => {
            return map
                .aws
                .iter()
                .any(|p| aws_principal_matches(p, &caller.value));
        }
        PrincipalKind::Federated => &map.federated,
        PrincipalKind::Service => &map.service,
        PrincipalKind::CanonicalUser => &map.canonical_user,
    };
    list.contains(&caller.value)
}

fn aws_principal_matches(policy: &str, caller: &str) -> bool {
    if policy == caller {
        return true;
    }
    let policy_account = if policy.len() == 12 && policy.bytes().all(|b| b.is_ascii_digit()) {
        Some(policy)
    } else {
        policy
            .strip_suffix(":root")
            .and_then(|p| p.strip_prefix("arn:"))
            .and_then(|p| {
                let mut parts = p.split(':');
                match (
                    parts.next(),
                    parts.next(),
                    parts.next(),
                    parts.next(),
                    parts.next(),
                ) {
                    (Some(_), Some("iam"), Some(""), Some(account), None) => Some(account),
                    _ => None,
                }
            })
    };
    let Some(account) = policy_account else {
        return false;
    };
    caller == account || caller.split(':').nth(4) == Some(account)
}
