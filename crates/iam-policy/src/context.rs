//! The request context: the action, resource and principal of a request and its condition
//! keys.
//!
//! Keys are stored lower-cased (condition key names are case-insensitive); values keep their
//! case. A value is a single string or a list of strings; each operator reads it in its own
//! type (number, date, boolean, base64, IP address, ARN).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::saml::{SamlContextInput, saml_keys};
use crate::variables::Resolve;

/// The type of a principal (the key in a policy's `Principal` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// `AWS`: accounts, users, roles, sessions.
    Aws,
    /// `Federated`: SAML and OIDC providers.
    Federated,
    /// `Service`: AWS service principals.
    Service,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalKind {
    /// The element name used in policies (`AWS`, `Federated`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Federated => "Federated",
            Self::Service => "Service",
            Self::CanonicalUser => "CanonicalUser",
        }
    }

    /// Parses an element name, case-insensitively.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Aws,
            Self::Federated,
            Self::Service,
            Self::CanonicalUser,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }
}

/// The calling principal, e.g. `Federated = arn:aws:iam::123456789012:saml-provider/Okta`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalId {
    /// Its type.
    pub kind: PrincipalKind,
    /// The ARN, account id, provider ARN or service name.
    pub value: String,
}

impl PrincipalId {
    /// A principal of the given type.
    #[must_use]
    pub fn new(kind: PrincipalKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }

    /// A SAML (or OIDC) provider, the caller of `AssumeRoleWithSAML`.
    #[must_use]
    pub fn federated(provider_arn: impl Into<String>) -> Self {
        Self::new(PrincipalKind::Federated, provider_arn)
    }

    /// An IAM principal (ARN or account id).
    #[must_use]
    pub fn aws(arn: impl Into<String>) -> Self {
        Self::new(PrincipalKind::Aws, arn)
    }
}

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.as_str(), self.value)
    }
}

/// The value of one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multi-valued key (may hold one value or none).
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice (one element for a single-valued key).
    #[must_use]
    pub fn values(&self) -> &[String] {
        match self {
            Self::Single(v) => std::slice::from_ref(v),
            Self::Multi(v) => v,
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        Self::Single(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        Self::Single(value)
    }
}

impl From<bool> for ContextValue {
    fn from(value: bool) -> Self {
        Self::Single(value.to_string())
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        Self::Multi(values)
    }
}

/// What a request does and everything its conditions may test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    action: String,
    resource: Option<String>,
    principal: Option<PrincipalId>,
    keys: HashMap<Box<str>, ContextValue>,
}

impl RequestContext {
    /// A request for `action` (e.g. `sts:AssumeRoleWithSAML`), with no resource, principal or
    /// keys yet.
    #[must_use]
    pub fn new(action: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: None,
            principal: None,
            keys: HashMap::new(),
        }
    }

    /// The same context for another action (used to check `sts:TagSession` next to
    /// `sts:AssumeRoleWithSAML`).
    #[must_use]
    pub fn for_action(&self, action: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            ..self.clone()
        }
    }

    /// Sets the resource ARN.
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets the calling principal.
    #[must_use]
    pub fn with_principal(mut self, principal: PrincipalId) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Sets a key (replacing any previous value).
    #[must_use]
    pub fn with_key(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.insert(key, value.into());
        self
    }

    /// Sets a multi-valued key.
    #[must_use]
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(
            key,
            ContextValue::Multi(values.into_iter().map(Into::into).collect()),
        );
        self
    }

    /// Sets `aws:CurrentTime` (ISO 8601, UTC) and `aws:EpochTime` (seconds) from `now`.
    #[must_use]
    pub fn with_current_time(mut self, now: OffsetDateTime) -> Self {
        let utc = now.to_offset(time::UtcOffset::UTC);
        let iso = utc.format(&Rfc3339).unwrap_or_default();
        self.insert("aws:CurrentTime", ContextValue::Single(iso));
        self.insert(
            "aws:EpochTime",
            ContextValue::Single(utc.unix_timestamp().to_string()),
        );
        self
    }

    /// Sets `aws:SourceIp`.
    #[must_use]
    pub fn with_source_ip(self, ip: IpAddr) -> Self {
        self.with_key("aws:SourceIp", ip.to_string())
    }

    /// Sets `aws:username`.
    #[must_use]
    pub fn with_username(self, name: impl Into<String>) -> Self {
        self.with_key("aws:username", name.into())
    }

    /// Sets `aws:userid` (for a SAML session: `<RoleId>:<RoleSessionName>`).
    #[must_use]
    pub fn with_userid(self, id: impl Into<String>) -> Self {
        self.with_key("aws:userid", id.into())
    }

    /// Sets `aws:PrincipalArn`.
    #[must_use]
    pub fn with_principal_arn(self, arn: impl Into<String>) -> Self {
        self.with_key("aws:PrincipalArn", arn.into())
    }

    /// Sets `aws:PrincipalTag/<key>` for each tag.
    #[must_use]
    pub fn with_principal_tags<'t>(
        mut self,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Self {
        for (key, value) in tags {
            self.insert(
                &format!("aws:PrincipalTag/{key}"),
                ContextValue::Single(value.to_owned()),
            );
        }
        self
    }

    /// Sets `aws:RequestTag/<key>` for each tag and `aws:TagKeys` to the list of keys.
    #[must_use]
    pub fn with_request_tags<'t>(
        mut self,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Self {
        let mut keys = Vec::new();
        for (key, value) in tags {
            self.insert(
                &format!("aws:RequestTag/{key}"),
                ContextValue::Single(value.to_owned()),
            );
            keys.push(key.to_owned());
        }
        self.insert("aws:TagKeys", ContextValue::Multi(keys));
        self
    }

    /// Adds the `saml:*` keys derived from a validated assertion (see [`saml_keys`]).
    #[must_use]
    pub fn with_saml(mut self, input: &SamlContextInput) -> Self {
        for (key, value) in saml_keys(input) {
            self.insert(key, value);
        }
        self
    }

    /// Sets a key (replacing any previous value).
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        self.keys.insert(key.to_lowercase().into_boxed_str(), value);
    }

    /// Adds one value to a key: the first makes it single-valued, later ones multi-valued.
    pub fn add_value(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        let entry = self.keys.entry(key.to_lowercase().into_boxed_str());
        match entry {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(ContextValue::Single(value));
            }
            std::collections::hash_map::Entry::Occupied(mut slot) => {
                let current = slot.get_mut();
                match current {
                    ContextValue::Single(first) => {
                        *current = ContextValue::Multi(vec![std::mem::take(first), value]);
                    }
                    ContextValue::Multi(values) => values.push(value),
                }
            }
        }
    }

    /// The action.
    #[must_use]
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource, if any.
    #[must_use]
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The calling principal, if any.
    #[must_use]
    pub fn principal(&self) -> Option<&PrincipalId> {
        self.principal.as_ref()
    }

    /// The value of a key (any case).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.keys.get(key.to_lowercase().as_str())
    }

    /// The value of an already lower-cased key (no allocation).
    pub(crate) fn get_lower(&self, key_lower: &str) -> Option<&ContextValue> {
        self.keys.get(key_lower)
    }

    /// All keys (lower-cased) and values, sorted by key.
    #[must_use]
    pub fn keys(&self) -> Vec<(&str, &ContextValue)> {
        let mut all: Vec<(&str, &ContextValue)> =
            self.keys.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }
}

impl Resolve for RequestContext {
    fn single_value(&self, key_lower: &str) -> Option<&str> {
        match self.get_lower(key_lower)? {
            ContextValue::Single(v) => Some(v),
            ContextValue::Multi(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_keys_case_insensitively() {
        let ctx = RequestContext::new("s3:GetObject").with_key("AWS:UserName", "Alice");
        assert_eq!(
            ctx.get("aws:username"),
            Some(&ContextValue::Single("Alice".into()))
        );
        assert_eq!(
            ctx.get("AWS:USERNAME"),
            Some(&ContextValue::Single("Alice".into()))
        );
    }

    #[test]
    fn adds_values_to_make_multi_valued_keys() {
        let mut ctx = RequestContext::new("x:y");
        ctx.add_value("aws:TagKeys", "a");
        assert_eq!(
            ctx.get("aws:tagkeys"),
            Some(&ContextValue::Single("a".into()))
        );
        ctx.add_value("aws:TagKeys", "b");
        assert_eq!(
            ctx.get("aws:tagkeys"),
            Some(&ContextValue::Multi(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn sets_time_keys_from_the_passed_time() {
        let now = time::macros::datetime!(2024-06-01 12:00:00 +02:00);
        let ctx = RequestContext::new("x:y").with_current_time(now);
        assert_eq!(
            ctx.get("aws:CurrentTime"),
            Some(&ContextValue::Single("2024-06-01T10:00:00Z".into()))
        );
        assert_eq!(
            ctx.get("aws:EpochTime"),
            Some(&ContextValue::Single("1717236000".into()))
        );
    }

    #[test]
    fn sets_request_tags_and_tag_keys() {
        let ctx = RequestContext::new("sts:TagSession").with_request_tags([("team", "red")]);
        assert_eq!(
            ctx.get("aws:RequestTag/team"),
            Some(&ContextValue::Single("red".into()))
        );
        assert_eq!(
            ctx.get("aws:TagKeys"),
            Some(&ContextValue::Multi(vec!["team".into()]))
        );
    }
}
