//! The policy grammar: JSON text → [`Policy`], strictly.
//!
//! Rejected: non-JSON and trailing data, duplicate keys in any object, unknown elements, wrong
//! JSON types, empty lists, unknown versions and condition operators, condition values the
//! operator cannot read (numbers, dates, booleans, base64, CIDR blocks), actions and condition
//! keys without a `vendor:` prefix, invalid principals, elements the [`PolicyKind`] requires or
//! forbids, non-alphanumeric or duplicate `Sid`s in IAM policies, and documents over the size
//! quota of their kind.

use std::collections::HashSet;

use crate::ast::{
    ActionClause, ActionPattern, ConditionBlock, ConditionEntry, Effect, Policy, PolicyKind,
    PrincipalClause, PrincipalMap, PrincipalSpec, ResourceClause, ResourcePattern, Statement,
    Version,
};
use crate::condition::{Operator, compile_value};
use crate::error::Error;
use crate::json::{self, Json};
use crate::matching::{ArnPattern, Pattern};

/// Trust policy quota by default (IAM quota "Role trust policy length": 2,048 characters).
pub const TRUST_POLICY_DEFAULT_CHARS: usize = 2_048;
/// The highest trust policy quota AWS grants on request (4,096 characters).
pub const TRUST_POLICY_MAX_CHARS: usize = 4_096;
/// Inline policies of a role, all together (IAM quota: 10,240 characters).
pub const INLINE_POLICY_CHARS: usize = 10_240;
/// One managed policy (IAM quota: 6,144 characters).
pub const MANAGED_POLICY_CHARS: usize = 6_144;
/// Session policy passed as `Policy` to `AssumeRole*` (STS: 2,048 characters).
pub const SESSION_POLICY_CHARS: usize = 2_048;
/// Resource-based policies (ours: the S3 bucket policy quota, 20 KB, as a generic bound).
pub const RESOURCE_POLICY_CHARS: usize = 20_480;
/// Hard bound on the raw document, whitespace included, before anything is parsed (the
/// botocore model's maximum length of `AssumeRolePolicyDocument`/`PolicyDocument`).
pub const MAX_DOCUMENT_BYTES: usize = 131_072;

/// What to validate a document as, and its size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    kind: PolicyKind,
    max_chars: usize,
    what: &'static str,
}

impl ParseOptions {
    /// A role trust policy with the default 2,048-character quota.
    #[must_use]
    pub fn trust() -> Self {
        Self {
            kind: PolicyKind::Trust,
            max_chars: TRUST_POLICY_DEFAULT_CHARS,
            what: "trust policy",
        }
    }

    /// A role trust policy with a raised quota (at most 4,096 characters).
    ///
    /// # Errors
    /// [`Error::InvalidQuota`] above [`TRUST_POLICY_MAX_CHARS`].
    pub fn trust_with_quota(max_chars: usize) -> Result<Self, Error> {
        if max_chars > TRUST_POLICY_MAX_CHARS {
            return Err(Error::InvalidQuota {
                requested: max_chars,
                max: TRUST_POLICY_MAX_CHARS,
            });
        }
        Ok(Self {
            max_chars,
            ..Self::trust()
        })
    }

    /// An inline identity policy (10,240 characters).
    #[must_use]
    pub fn inline_identity() -> Self {
        Self {
            kind: PolicyKind::Identity,
            max_chars: INLINE_POLICY_CHARS,
            what: "inline policy",
        }
    }

    /// A managed identity policy (6,144 characters).
    #[must_use]
    pub fn managed_identity() -> Self {
        Self {
            kind: PolicyKind::Identity,
            max_chars: MANAGED_POLICY_CHARS,
            what: "managed policy",
        }
    }

    /// A session policy (2,048 characters).
    #[must_use]
    pub fn session() -> Self {
        Self {
            kind: PolicyKind::Session,
            max_chars: SESSION_POLICY_CHARS,
            what: "session policy",
        }
    }

    /// A resource-based policy (20,480 characters).
    #[must_use]
    pub fn resource() -> Self {
        Self {
            kind: PolicyKind::Resource,
            max_chars: RESOURCE_POLICY_CHARS,
            what: "resource policy",
        }
    }

    /// The kind validated.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The size quota in characters.
    #[must_use]
    pub fn max_chars(&self) -> usize {
        self.max_chars
    }
}

impl Policy {
    /// Parses and validates a policy document.
    ///
    /// # Errors
    /// Any [`Error`] describing the first problem found.
    pub fn parse(text: &str, options: &ParseOptions) -> Result<Self, Error> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge {
                chars: text.len(),
                limit: options.max_chars,
                what: options.what,
            });
        }
        let chars = json::quota_chars(text);
        if chars > options.max_chars {
            return Err(Error::TooLarge {
                chars,
                limit: options.max_chars,
                what: options.what,
            });
        }
        let document = json::parse(text).map_err(|e| Error::Syntax {
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        policy(&document, options.kind)
    }
}

fn policy(document: &Json, kind: PolicyKind) -> Result<Policy, Error> {
    let location = "the policy document";
    let members = object(document, location)?;
    let mut version = None;
    let mut id = None;
    let mut statement_json = None;
    for (key, value) in members {
        match key.as_str() {
            "Version" => {
                let text = string(value, "Version")?;
                version = Some(match text {
                    "2012-10-17" => Version::V2012_10_17,
                    "2008-10-17" => Version::V2008_10_17,
                    other => {
                        return Err(Error::UnsupportedVersion {
                            version: other.to_owned(),
                        });
                    }
                });
            }
            "Id" => id = Some(string(value, "Id")?.to_owned()),
            "Statement" => statement_json = Some(value),
            other => return Err(unknown(other, location)),
        }
    }
    let statement_json = statement_json.ok_or(Error::MissingElement {
        element: "Statement",
        location: location.to_owned(),
    })?;
    let variables = version == Some(Version::V2012_10_17);
    let items: Vec<&Json> = match statement_json {
        Json::Array(items) => items.iter().collect(),
        obj @ Json::Object(_) => vec![obj],
        _ => {
            return Err(Error::WrongType {
                location: "Statement".to_owned(),
                expected: "an object or an array of objects",
            });
        }
    };
    if items.is_empty() {
        return Err(Error::Empty {
            location: "Statement".to_owned(),
        });
    }
    let mut statements = Vec::with_capacity(items.len());
    let mut sids = HashSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let st = statement(item, index, kind, variables)?;
        if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty())
            && !sids.insert(sid.to_owned())
        {
            return Err(Error::DuplicateSid {
                sid: sid.to_owned(),
            });
        }
        statements.push(st);
    }
    Ok(Policy {
        kind,
        version,
        id,
        statements,
    })
}

fn statement(
    json: &Json,
    index: usize,
    kind: PolicyKind,
    variables: bool,
) -> Result<Statement, Error> {
    let location = format!("Statement[{index}]");
    let members = object(json, &location)?;
    let mut sid = None;
    let mut effect = None;
    let mut principal: Option<(&'static str, &Json)> = None;
    let mut action: Option<(&'static str, &Json)> = None;
    let mut resource: Option<(&'static str, &Json)> = None;
    let mut condition = None;
    for (key, value) in members {
        let at = |name: &str| format!("{location}.{name}");
        match key.as_str() {
            "Sid" => sid = Some(string(value, &at("Sid"))?.to_owned()),
            "Effect" => {
                effect = Some(match string(value, &at("Effect"))? {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => {
                        return Err(Error::InvalidEffect {
                            value: other.to_owned(),
                        });
                    }
                });
            }
            "Principal" | "NotPrincipal" => {
                principal = set_once(principal, key_name(key), value, &location)?;
            }
            "Action" | "NotAction" => action = set_once(action, key_name(key), value, &location)?,
            "Resource" | "NotResource" => {
                resource = set_once(resource, key_name(key), value, &location)?;
            }
            "Condition" => condition = Some(value),
            other => return Err(unknown(other, &location)),
        }
    }
    if let Some(sid) = &sid
        && kind != PolicyKind::Resource
        && !sid.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(Error::InvalidSid { sid: sid.clone() });
    }
    let effect = effect.ok_or(Error::MissingElement {
        element: "Effect",
        location: location.clone(),
    })?;

    let principal = match (principal, kind) {
        (Some(_), PolicyKind::Identity | PolicyKind::Session) => {
            return Err(Error::PrincipalNotAllowed { location });
        }
        (None, PolicyKind::Resource | PolicyKind::Trust) => {
            return Err(Error::MissingElement {
                element: "Principal",
                location,
            });
        }
        (None, _) => None,
        (Some((name, value)), _) => Some(PrincipalClause {
            negated: name == "NotPrincipal",
            spec: principal_spec(value, &format!("{location}.{name}"))?,
        }),
    };

    let (action_name, action_json) = action.ok_or(Error::MissingElement {
        element: "Action",
        location: location.clone(),
    })?;
    let mut action_items = Vec::new();
    for source in string_list(action_json, &format!("{location}.{action_name}"))? {
        validate_action(&source, kind)?;
        let pattern = Pattern::new(&source, true, false);
        action_items.push(ActionPattern { source, pattern });
    }
    let action = ActionClause {
        negated: action_name == "NotAction",
        items: action_items,
    };

    let resource = match (resource, kind) {
        (Some((name, _)), PolicyKind::Trust) => {
            return Err(Error::ProhibitedElement {
                element: name,
                location,
            });
        }
        (None, PolicyKind::Trust) => None,
        (None, _) => {
            return Err(Error::MissingElement {
                element: "Resource",
                location,
            });
        }
        (Some((name, value)), _) => {
            let mut items = Vec::new();
            for source in string_list(value, &format!("{location}.{name}"))? {
                if source != "*" && !source.starts_with("arn:") {
                    return Err(Error::InvalidResource { resource: source });
                }
                let pattern = ArnPattern::new(&source, variables);
                items.push(ResourcePattern { source, pattern });
            }
            Some(ResourceClause {
                negated: name == "NotResource",
                items,
            })
        }
    };

    let conditions = match condition {
        Some(json) => conditions(json, &format!("{location}.Condition"), variables)?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn key_name(key: &str) -> &'static str {
    match key {
        "Principal" => "Principal",
        "NotPrincipal" => "NotPrincipal",
        "Action" => "Action",
        "NotAction" => "NotAction",
        "Resource" => "Resource",
        _ => "NotResource",
    }
}

/// Records `Action` or `NotAction` (etc.), rejecting the second of the pair.
fn set_once<'a>(
    current: Option<(&'static str, &'a Json)>,
    name: &'static str,
    value: &'a Json,
    location: &str,
) -> Result<Option<(&'static str, &'a Json)>, Error> {
    match current {
        Some((first, _)) => Err(Error::ConflictingElements {
            first,
            second: name,
            location: location.to_owned(),
        }),
        None => Ok(Some((name, value))),
    }
}

fn validate_action(action: &str, kind: PolicyKind) -> Result<(), Error> {
    if action != "*" {
        let valid = action.split_once(':').is_some_and(|(vendor, name)| {
            !vendor.is_empty()
                && !name.is_empty()
                && vendor
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !valid {
            return Err(Error::MissingVendorPrefix {
                value: action.to_owned(),
            });
        }
    }
    if kind == PolicyKind::Trust {
        let is_sts = action
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("sts:"));
        if !is_sts {
            return Err(Error::TrustActionNotSts {
                action: action.to_owned(),
            });
        }
    }
    Ok(())
}

fn principal_spec(json: &Json, location: &str) -> Result<PrincipalSpec, Error> {
    match json {
        Json::String(s) if s == "*" => Ok(PrincipalSpec::Any),
        Json::Object(_) => {
            let members = object(json, location)?;
            if members.is_empty() {
                return Err(Error::Empty {
                    location: location.to_owned(),
                });
            }
            let mut map = PrincipalMap::default();
            for (key, value) in members {
                let values = string_list(value, &format!("{location}.{key}"))?;
                let (target, check): (&mut Vec<String>, fn(&str) -> bool) = match key.as_str() {
                    "AWS" => (&mut map.aws, valid_aws_principal),
                    "Federated" => (&mut map.federated, valid_federated_principal),
                    "Service" => (&mut map.service, valid_plain_principal),
                    "CanonicalUser" => (&mut map.canonical_user, valid_plain_principal),
                    other => return Err(unknown(other, location)),
                };
                for value in values {
                    if !check(&value) {
                        return Err(if key == "Federated" {
                            Error::InvalidFederatedPrincipal { value }
                        } else {
                            Error::InvalidPrincipal {
                                principal_type: key.clone(),
                                value,
                            }
                        });
                    }
                    target.push(value);
                }
            }
            Ok(PrincipalSpec::Map(map))
        }
        _ => Err(Error::WrongType {
            location: location.to_owned(),
            expected: "\"*\" or an object",
        }),
    }
}

fn valid_plain_principal(value: &str) -> bool {
    !value.is_empty() && !value.contains(['*', '?']) && !value.contains(char::is_whitespace)
}

fn valid_aws_principal(value: &str) -> bool {
    value == "*"
        || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
        || (value.starts_with("arn:")
            && value.split(':').count() >= 6
            && valid_plain_principal(value))
}

/// A SAML or OIDC provider ARN, or a domain name (`accounts.google.com`).
fn valid_federated_principal(value: &str) -> bool {
    if let Some(rest) = value.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return match parts.as_slice() {
            [partition, "iam", "", account, resource] => {
                !partition.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && (resource
                        .strip_prefix("saml-provider/")
                        .is_some_and(|n| !n.is_empty())
                        || resource
                            .strip_prefix("oidc-provider/")
                            .is_some_and(|n| !n.is_empty()))
                    && valid_plain_principal(resource)
            }
            _ => false,
        };
    }
    value.contains('.')
        && !value.starts_with('.')
        && !value.ends_with('.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn conditions(json: &Json, location: &str, variables: bool) -> Result<Vec<ConditionBlock>, Error> {
    let members = object(json, location)?;
    let mut blocks = Vec::with_capacity(members.len());
    for (name, body) in members {
        let operator = Operator::parse(name).ok_or_else(|| Error::InvalidConditionOperator {
            operator: name.clone(),
        })?;
        let block_location = format!("{location}.{name}");
        let entries_json = object(body, &block_location)?;
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(entries_json.len());
        for (key, value) in entries_json {
            let valid_key = key
                .split_once(':')
                .is_some_and(|(v, k)| !v.is_empty() && !k.is_empty());
            if !valid_key {
                return Err(Error::MissingVendorPrefix { value: key.clone() });
            }
            let key_lower = key.to_lowercase();
            if !seen.insert(key_lower.clone()) {
                // Key names are case-insensitive: `SAML:aud` and `saml:aud` are one key.
                return Err(Error::DuplicateKey {
                    key: key.clone(),
                    location: block_location,
                });
            }
            let sources = scalar_list(value, &format!("{block_location}.{key}"))?;
            let takes_variables = variables && operator.takes_variables();
            let mut values = Vec::with_capacity(sources.len());
            for source in &sources {
                let typed =
                    compile_value(&operator, source, takes_variables).map_err(|expected| {
                        Error::InvalidConditionValue {
                            operator: name.clone(),
                            key: key.clone(),
                            value: source.clone(),
                            expected,
                        }
                    })?;
                values.push(typed);
            }
            entries.push(ConditionEntry {
                key: key.clone(),
                key_lower: key_lower.into_boxed_str(),
                sources,
                values,
            });
        }
        blocks.push(ConditionBlock { operator, entries });
    }
    Ok(blocks)
}

/// The members of an object, rejecting duplicate keys.
fn object<'a>(json: &'a Json, location: &str) -> Result<&'a [(String, Json)], Error> {
    let Json::Object(members) = json else {
        return Err(Error::WrongType {
            location: location.to_owned(),
            expected: "an object",
        });
    };
    let mut seen = HashSet::with_capacity(members.len());
    for (key, _) in members {
        if !seen.insert(key.as_str()) {
            return Err(Error::DuplicateKey {
                key: key.clone(),
                location: location.to_owned(),
            });
        }
    }
    Ok(members)
}

fn string<'a>(json: &'a Json, location: &str) -> Result<&'a str, Error> {
    match json {
        Json::String(s) => Ok(s),
        _ => Err(Error::WrongType {
            location: location.to_owned(),
            expected: "a string",
        }),
    }
}

/// A string or a non-empty array of strings.
fn string_list(json: &Json, location: &str) -> Result<Vec<String>, Error> {
    let expected = "a string or an array of strings";
    match json {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(items) if items.is_empty() => Err(Error::Empty {
            location: location.to_owned(),
        }),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.clone()),
                _ => Err(Error::WrongType {
                    location: location.to_owned(),
                    expected,
                }),
            })
            .collect(),
        _ => Err(Error::WrongType {
            location: location.to_owned(),
            expected,
        }),
    }
}

/// Condition values: a string, number or boolean, or a non-empty array of them; all kept as
/// text.
fn scalar_list(json: &Json, location: &str) -> Result<Vec<String>, Error> {
    let expected = "a string, number or boolean, or an array of them";
    let scalar = |item: &Json| match item {
        Json::String(s) | Json::Number(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        _ => Err(Error::WrongType {
            location: location.to_owned(),
            expected,
        }),
    };
    match json {
        Json::Array(items) if items.is_empty() => Err(Error::Empty {
            location: location.to_owned(),
        }),
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn unknown(element: &str, location: &str) -> Error {
    Error::UnknownElement {
        element: element.to_owned(),
        location: location.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_quota_above_maximum() {
        assert_eq!(
            ParseOptions::trust_with_quota(4097).unwrap_err().code(),
            "invalid_quota"
        );
        assert_eq!(
            ParseOptions::trust_with_quota(4096).unwrap().max_chars(),
            4096
        );
    }

    #[test]
    fn validates_federated_principals() {
        for ok in [
            "arn:aws:iam::123456789012:saml-provider/Okta",
            "arn:aws-us-gov:iam::123456789012:saml-provider/My_IdP",
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            "cognito-identity.amazonaws.com",
            "accounts.google.com",
        ] {
            assert!(valid_federated_principal(ok), "{ok}");
        }
        for bad in [
            "arn:aws:iam::123456789012:saml-provider/*",
            "arn:aws:iam::123456789012:saml-provider/",
            "arn:aws:iam::12345:saml-provider/Okta",
            "arn:aws:iam::123456789012:role/Okta",
            "arn:aws:sts::123456789012:saml-provider/Okta",
            "Okta",
            "*",
            "",
        ] {
            assert!(!valid_federated_principal(bad), "{bad}");
        }
    }
}
