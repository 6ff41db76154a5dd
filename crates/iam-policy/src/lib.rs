//! The AWS IAM policy language: parse, evaluate, simulate.
//!
//! Pure code: no I/O, no async, no clock (time enters through
//! [`RequestContext::with_current_time`]).
//!
//! ```
//! use fedgate_iam_policy::{
//!     Decision, ParseOptions, Policy, PrincipalId, RequestContext, evaluate_trust,
//! };
//!
//! let trust = Policy::parse(
//!     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
//!         "Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},
//!         "Action":"sts:AssumeRoleWithSAML",
//!         "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#,
//!     &ParseOptions::trust(),
//! )?;
//! let request = RequestContext::new("sts:AssumeRoleWithSAML")
//!     .with_principal(PrincipalId::federated("arn:aws:iam::123456789012:saml-provider/Okta"))
//!     .with_key("saml:aud", "https://signin.aws.amazon.com/saml");
//! let evaluation = evaluate_trust("trust", &trust, &request);
//! assert_eq!(evaluation.decision(), Decision::Allow);
//! let _proof = evaluation.into_allowed().map_err(|_| "denied")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ast;
mod condition;
mod context;
mod error;
mod evaluate;
mod json;
mod matching;
mod parse;
mod saml;
mod variables;

pub use ast::{
    ConditionBlock, ConditionEntry, Effect, Policy, PolicyKind, PrincipalClause, PrincipalMap,
    PrincipalSpec, Statement, Version,
};
pub use condition::{BaseOperator, Operator, SetQualifier};
pub use context::{ContextValue, PrincipalId, PrincipalKind, RequestContext};
pub use error::Error;
pub use evaluate::{
    Allowed, Decision, Evaluation, PolicyRole, PolicySet, StatementResult, StatementTrace,
    evaluate, evaluate_trust, explain,
};
pub use json::quota_chars;
pub use parse::{
    INLINE_POLICY_CHARS, MANAGED_POLICY_CHARS, MAX_DOCUMENT_BYTES, ParseOptions,
    RESOURCE_POLICY_CHARS, SESSION_POLICY_CHARS, TRUST_POLICY_DEFAULT_CHARS,
    TRUST_POLICY_MAX_CHARS,
};
pub use saml::{
    NAMEID_FORMAT_PREFIX, NAMEID_FORMAT_UNSPECIFIED, SamlContextInput, name_qualifier,
    provider_name, saml_keys, subject_type,
};
