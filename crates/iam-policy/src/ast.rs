//! The typed policy: what `parse.rs` builds and `evaluate.rs` reads.
//!
//! Every pattern is compiled when the policy is parsed. `Serialize` writes canonical JSON
//! (`Statement`, `Action`, `Resource`, principal and condition values always as arrays, values
//! as strings); parsing that JSON gives an equal `Policy`.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::condition::{Operator, Typed};
use crate::matching::{ArnPattern, Pattern};

/// The policy language version (`Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: the current language, with policy variables.
    V2012_10_17,
    /// `2008-10-17`: the old language; `${…}` is literal text.
    V2008_10_17,
}

impl Version {
    /// The version string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2012_10_17 => "2012-10-17",
            Self::V2008_10_17 => "2008-10-17",
        }
    }
}

/// Which kind of policy a document is; decides whether `Principal` and `Resource` are
/// required or forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user or role: no `Principal`, `Resource` required.
    Identity,
    /// Attached to a resource (bucket, queue): `Principal` and `Resource` required.
    Resource,
    /// A role trust policy: `Principal` required, `Resource` forbidden, `sts:` actions only.
    Trust,
    /// Passed to `AssumeRole*` as `Policy`/`PolicyArns`: like an identity policy.
    Session,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies; beats every `Allow`.
    Deny,
}

impl Effect {
    /// `"Allow"` or `"Deny"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Option<Version>,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// The kind it was validated as.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// `Version`, if present (absent means 2008-10-17 semantics).
    #[must_use]
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// `Id`, if present.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements in document order.
    #[must_use]
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Canonical JSON (compact).
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing this tree cannot fail: keys are strings and there are no floats.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalClause>,
    pub(crate) action: ActionClause,
    pub(crate) resource: Option<ResourceClause>,
    pub(crate) conditions: Vec<ConditionBlock>,
}

impl Statement {
    /// `Sid`, if present.
    #[must_use]
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// `Effect`.
    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Principal` / `NotPrincipal`, if present.
    #[must_use]
    pub fn principal(&self) -> Option<&PrincipalClause> {
        self.principal.as_ref()
    }

    /// The action patterns as written, and whether they are `NotAction`.
    #[must_use]
    pub fn actions(&self) -> (bool, Vec<&str>) {
        (
            self.action.negated,
            self.action
                .items
                .iter()
                .map(|a| a.source.as_str())
                .collect(),
        )
    }

    /// The resource patterns as written, and whether they are `NotResource`.
    #[must_use]
    pub fn resources(&self) -> Option<(bool, Vec<&str>)> {
        self.resource.as_ref().map(|r| {
            (
                r.negated,
                r.items.iter().map(|p| p.source.as_str()).collect(),
            )
        })
    }

    /// The condition blocks in document order.
    #[must_use]
    pub fn conditions(&self) -> &[ConditionBlock] {
        &self.conditions
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalClause {
    /// `true` for `NotPrincipal`.
    pub negated: bool,
    /// The principals named.
    pub spec: PrincipalSpec,
}

/// The principals a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalSpec {
    /// `"*"`: everyone, including anonymous callers.
    Any,
    /// `{"AWS": …, "Federated": …, "Service": …, "CanonicalUser": …}`.
    Map(PrincipalMap),
}

/// The typed principal lists of a `Principal` object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalMap {
    /// `AWS`: `*`, account ids or ARNs.
    pub aws: Vec<String>,
    /// `CanonicalUser`: canonical user ids.
    pub canonical_user: Vec<String>,
    /// `Federated`: SAML/OIDC provider ARNs or domain names.
    pub federated: Vec<String>,
    /// `Service`: service principals such as `ec2.amazonaws.com`.
    pub service: Vec<String>,
}

/// A compiled action pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    pub(crate) source: String,
    pub(crate) pattern: Pattern,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionClause {
    pub(crate) negated: bool,
    pub(crate) items: Vec<ActionPattern>,
}

/// A compiled resource pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourcePattern {
    pub(crate) source: String,
    pub(crate) pattern: ArnPattern,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceClause {
    pub(crate) negated: bool,
    pub(crate) items: Vec<ResourcePattern>,
}

/// One operator block of `Condition`, e.g. `"StringEquals": {"saml:aud": […]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionBlock {
    pub(crate) operator: Operator,
    pub(crate) entries: Vec<ConditionEntry>,
}

impl ConditionBlock {
    /// The operator.
    #[must_use]
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The keys and their values.
    #[must_use]
    pub fn entries(&self) -> &[ConditionEntry] {
        &self.entries
    }
}

/// One key of a condition block with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionEntry {
    pub(crate) key: String,
    pub(crate) key_lower: Box<str>,
    pub(crate) sources: Vec<String>,
    pub(crate) values: Vec<Typed>,
}

impl ConditionEntry {
    /// The key as written.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The values as written.
    #[must_use]
    pub fn values(&self) -> &[String] {
        &self.sources
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(version) = self.version {
            map.serialize_entry("Version", version.as_str())?;
        }
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statements)?;
        map.end()
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", self.effect.as_str())?;
        if let Some(principal) = &self.principal {
            let name = if principal.negated {
                "NotPrincipal"
            } else {
                "Principal"
            };
            map.serialize_entry(name, &principal.spec)?;
        }
        let name = if self.action.negated {
            "NotAction"
        } else {
            "Action"
        };
        let actions: Vec<&str> = self
            .action
            .items
            .iter()
            .map(|a| a.source.as_str())
            .collect();
        map.serialize_entry(name, &actions)?;
        if let Some(resource) = &self.resource {
            let name = if resource.negated {
                "NotResource"
            } else {
                "Resource"
            };
            let items: Vec<&str> = resource.items.iter().map(|r| r.source.as_str()).collect();
            map.serialize_entry(name, &items)?;
        }
        if !self.conditions.is_empty() {
            map.serialize_entry("Condition", &Conditions(&self.conditions))?;
        }
        map.end()
    }
}

impl Serialize for PrincipalSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Any => serializer.serialize_str("*"),
            Self::Map(m) => {
                let mut map = serializer.serialize_map(None)?;
                for (name, values) in [
                    ("AWS", &m.aws),
                    ("CanonicalUser", &m.canonical_user),
                    ("Federated", &m.federated),
                    ("Service", &m.service),
                ] {
                    if !values.is_empty() {
                        map.serialize_entry(name, values)?;
                    }
                }
                map.end()
            }
        }
    }
}

struct Conditions<'a>(&'a [ConditionBlock]);

impl Serialize for Conditions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for block in self.0 {
            map.serialize_entry(&block.operator.name(), &Entries(&block.entries))?;
        }
        map.end()
    }
}

struct Entries<'a>(&'a [ConditionEntry]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for entry in self.0 {
            map.serialize_entry(&entry.key, &Strings(&entry.sources))?;
        }
        map.end()
    }
}

struct Strings<'a>(&'a [String]);

impl Serialize for Strings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for s in self.0 {
            seq.serialize_element(s)?;
        }
        seq.end()
    }
}
