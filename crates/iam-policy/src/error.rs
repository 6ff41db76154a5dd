//! The one error type of this crate.
//!
//! Every rejection has a stable snake_case [`Error::code`], the message AWS IAM puts in the
//! `MalformedPolicyDocument` / `LimitExceeded` error body ([`Error::message`]) and a fix hint
//! ([`Error::hint`]). `Display` gives a lower-case, detailed description for logs.

use std::fmt;

/// Why a policy document was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The document is not JSON (or has trailing data).
    Syntax {
        /// 1-based line of the error, 0 when unknown.
        line: usize,
        /// 1-based column of the error, 0 when unknown.
        column: usize,
        /// What the JSON parser reported.
        detail: String,
    },
    /// The same key appears twice in one JSON object.
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Where in the document (`Statement[0].Condition`).
        location: String,
    },
    /// An element that the policy grammar does not know.
    UnknownElement {
        /// The element name.
        element: String,
        /// Where in the document.
        location: String,
    },
    /// An element has the wrong JSON type.
    WrongType {
        /// Where in the document.
        location: String,
        /// What the grammar expects there.
        expected: &'static str,
    },
    /// An element is empty where a value is required (empty list, empty object).
    Empty {
        /// Where in the document.
        location: String,
    },
    /// `Version` is not `2012-10-17` or `2008-10-17`.
    UnsupportedVersion {
        /// The version found.
        version: String,
    },
    /// A required element is missing.
    MissingElement {
        /// The element (`Statement`, `Effect`, `Principal`, `Action`, `Resource`).
        element: &'static str,
        /// Where in the document.
        location: String,
    },
    /// An element is not allowed in this kind of policy (`Resource` in a trust policy).
    ProhibitedElement {
        /// The element.
        element: &'static str,
        /// Where in the document.
        location: String,
    },
    /// A `Principal` or `NotPrincipal` in an identity or session policy.
    PrincipalNotAllowed {
        /// Where in the document.
        location: String,
    },
    /// Both forms of one element in a statement (`Action` and `NotAction`).
    ConflictingElements {
        /// The first element.
        first: &'static str,
        /// The second element.
        second: &'static str,
        /// Where in the document.
        location: String,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    InvalidEffect {
        /// The value found.
        value: String,
    },
    /// An action or condition key without a `vendor:` prefix.
    MissingVendorPrefix {
        /// The action or key.
        value: String,
    },
    /// A trust policy names an action outside `sts:`.
    TrustActionNotSts {
        /// The action.
        action: String,
    },
    /// A principal value that is not a valid principal of its type.
    InvalidPrincipal {
        /// The principal type (`AWS`, `Federated`, ...).
        principal_type: String,
        /// The value.
        value: String,
    },
    /// A `Federated` principal that is neither a provider ARN nor a domain name.
    InvalidFederatedPrincipal {
        /// The value.
        value: String,
    },
    /// A resource that is neither an ARN nor `*`.
    InvalidResource {
        /// The resource.
        resource: String,
    },
    /// A condition operator that does not exist (or an invalid combination such as `NullIfExists`).
    InvalidConditionOperator {
        /// The operator as written.
        operator: String,
    },
    /// A condition value that the operator cannot interpret.
    InvalidConditionValue {
        /// The operator.
        operator: String,
        /// The condition key.
        key: String,
        /// The value.
        value: String,
        /// What the operator expects.
        expected: &'static str,
    },
    /// A `Sid` with characters outside `[0-9A-Za-z]` in an IAM policy.
    InvalidSid {
        /// The Sid.
        sid: String,
    },
    /// Two statements share one `Sid`.
    DuplicateSid {
        /// The Sid.
        sid: String,
    },
    /// The document is larger than the quota for its kind.
    TooLarge {
        /// Characters counted (whitespace outside strings is not counted).
        chars: usize,
        /// The quota.
        limit: usize,
        /// The kind of policy, for the message (`trust policy`, `inline policy`, ...).
        what: &'static str,
    },
    /// A requested size quota is above what AWS allows.
    InvalidQuota {
        /// The requested quota.
        requested: usize,
        /// The maximum.
        max: usize,
    },
}

impl Error {
    /// A stable snake_case code for logs, metrics and tests.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "syntax_error",
            Self::DuplicateKey { .. } => "duplicate_key",
            Self::UnknownElement { .. } => "unknown_element",
            Self::WrongType { .. } => "wrong_type",
            Self::Empty { .. } => "empty_element",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::MissingElement { .. } => "missing_element",
            Self::ProhibitedElement { .. } => "prohibited_element",
            Self::PrincipalNotAllowed { .. } => "principal_not_allowed",
            Self::ConflictingElements { .. } => "conflicting_elements",
            Self::InvalidEffect { .. } => "invalid_effect",
            Self::MissingVendorPrefix { .. } => "missing_vendor_prefix",
            Self::TrustActionNotSts { .. } => "trust_action_not_sts",
            Self::InvalidPrincipal { .. } => "invalid_principal",
            Self::InvalidFederatedPrincipal { .. } => "invalid_federated_principal",
            Self::InvalidResource { .. } => "invalid_resource",
            Self::InvalidConditionOperator { .. } => "invalid_condition_operator",
            Self::InvalidConditionValue { .. } => "invalid_condition_value",
            Self::InvalidSid { .. } => "invalid_sid",
            Self::DuplicateSid { .. } => "duplicate_sid",
            Self::TooLarge { .. } => "policy_too_large",
            Self::InvalidQuota { .. } => "invalid_quota",
        }
    }

    /// The AWS error code this maps to on the wire (`MalformedPolicyDocument`,
    /// `LimitExceeded` for size quotas, `InvalidInput` for a bad quota request).
    #[must_use]
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "LimitExceeded",
            Self::InvalidQuota { .. } => "InvalidInput",
            _ => "MalformedPolicyDocument",
        }
    }

    /// The message AWS IAM returns for this rejection (observed wording where known).
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Syntax { .. }
            | Self::DuplicateKey { .. }
            | Self::UnknownElement { .. }
            | Self::WrongType { .. }
            | Self::Empty { .. }
            | Self::ConflictingElements { .. }
            | Self::InvalidConditionValue { .. } => "Syntax errors in policy.".to_owned(),
            Self::UnsupportedVersion { .. } => "The policy failed legacy parsing".to_owned(),
            Self::MissingElement { element, .. } => match *element {
                "Action" => "Policy statement must contain actions.".to_owned(),
                "Resource" => "Policy statement must contain resources.".to_owned(),
                other => format!("Missing required field {other}"),
            },
            Self::ProhibitedElement { element, .. } => format!("Has prohibited field {element}"),
            Self::PrincipalNotAllowed { .. } => {
                "Policy document should not specify a principal.".to_owned()
            }
            Self::InvalidEffect { value } => format!("Invalid effect: {value}"),
            Self::MissingVendorPrefix { .. } => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                    .to_owned()
            }
            Self::TrustActionNotSts { .. } => {
                "AssumeRole policy may only specify STS AssumeRole actions.".to_owned()
            }
            Self::InvalidPrincipal {
                principal_type,
                value,
            } => {
                format!("Invalid principal in policy: \"{principal_type}\":\"{value}\"")
            }
            Self::InvalidFederatedPrincipal { .. } => {
                "Federated principals must be valid domain names or SAML metadata ARNs".to_owned()
            }
            Self::InvalidResource { resource } => {
                format!("Resource {resource} must be in ARN format or \"*\".")
            }
            Self::InvalidConditionOperator { operator } => {
                format!("Invalid Condition type : {operator}.")
            }
            Self::InvalidSid { .. } => "Statement IDs (SID) must be alpha-numeric. Check that \
                                        your input satisfies the regular expression [0-9A-Za-z]*"
                .to_owned(),
            Self::DuplicateSid { .. } => {
                "Statement IDs (SID) in a single policy must be unique.".to_owned()
            }
            Self::TooLarge { limit, what, .. } => match *what {
                "trust policy" => format!("Cannot exceed quota for ACLSizePerRole: {limit}"),
                "managed policy" => format!("Cannot exceed quota for PolicySize: {limit}"),
                _ => format!("Maximum policy size of {limit} bytes exceeded."),
            },
            Self::InvalidQuota { max, .. } => {
                format!("The requested policy size quota exceeds the maximum of {max}.")
            }
        }
    }

    /// How to fix the document.
    #[must_use]
    pub fn hint(&self) -> String {
        match self {
            Self::Syntax {
                line,
                column,
                detail,
            } => format!("fix the JSON syntax at line {line}, column {column}: {detail}"),
            Self::DuplicateKey { key, location } => format!(
                "remove one of the two `{key}` keys at {location}; JSON parsers disagree on which one wins"
            ),
            Self::UnknownElement { element, location } => format!(
                "remove `{element}` at {location}, or fix its spelling (element names are case-sensitive)"
            ),
            Self::WrongType { location, expected } => {
                format!("{location} must be {expected}")
            }
            Self::Empty { location } => format!("{location} must not be empty"),
            Self::UnsupportedVersion { version } => format!(
                "use \"Version\": \"2012-10-17\" (found {version:?}); only 2012-10-17 and 2008-10-17 exist"
            ),
            Self::MissingElement { element, location } => {
                format!("add a `{element}` element to {location}")
            }
            Self::ProhibitedElement { element, location } => format!(
                "remove `{element}` from {location}: a trust policy applies to the role it is attached to"
            ),
            Self::PrincipalNotAllowed { location } => format!(
                "remove `Principal`/`NotPrincipal` from {location}: identity and session policies apply to the principal they are attached to"
            ),
            Self::ConflictingElements {
                first,
                second,
                location,
            } => {
                format!("use either `{first}` or `{second}` in {location}, not both")
            }
            Self::InvalidEffect { value } => {
                format!("`Effect` must be \"Allow\" or \"Deny\" (found {value:?})")
            }
            Self::MissingVendorPrefix { value } => format!(
                "write {value:?} as `service:name`, for example `sts:AssumeRoleWithSAML` or `saml:aud`"
            ),
            Self::TrustActionNotSts { action } => format!(
                "a trust policy may only name `sts:` actions such as sts:AssumeRoleWithSAML, sts:TagSession, sts:SetSourceIdentity (found {action:?})"
            ),
            Self::InvalidPrincipal {
                principal_type,
                value,
            } => format!(
                "{principal_type} principal {value:?} must be \"*\", a 12-digit account id or an ARN without wildcards"
            ),
            Self::InvalidFederatedPrincipal { value } => format!(
                "use the SAML provider ARN, e.g. arn:aws:iam::123456789012:saml-provider/Okta (found {value:?})"
            ),
            Self::InvalidResource { resource } => format!(
                "write the resource {resource:?} as an ARN (arn:partition:service:region:account:resource) or \"*\""
            ),
            Self::InvalidConditionOperator { operator } => format!(
                "{operator:?} is not a condition operator; check spelling and case (e.g. StringEquals, ForAnyValue:StringLike, DateLessThanIfExists)"
            ),
            Self::InvalidConditionValue {
                operator,
                key,
                value,
                expected,
            } => format!("{operator} on {key} needs {expected} (found {value:?})"),
            Self::InvalidSid { sid } => {
                format!("use only letters and digits in the Sid {sid:?}")
            }
            Self::DuplicateSid { sid } => format!("rename one of the statements with Sid {sid:?}"),
            Self::TooLarge { chars, limit, what } => format!(
                "the {what} has {chars} characters (whitespace outside strings not counted); shorten it to {limit} or fewer"
            ),
            Self::InvalidQuota { requested, max } => {
                format!("choose a quota of at most {max} characters (requested {requested})")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax {
                line,
                column,
                detail,
            } => {
                write!(
                    f,
                    "policy is not valid json at line {line}, column {column}: {detail}"
                )
            }
            Self::DuplicateKey { key, location } => {
                write!(f, "duplicate key `{key}` at {location}")
            }
            Self::UnknownElement { element, location } => {
                write!(f, "unknown element `{element}` at {location}")
            }
            Self::WrongType { location, expected } => {
                write!(f, "wrong type at {location}, expected {expected}")
            }
            Self::Empty { location } => write!(f, "empty element at {location}"),
            Self::UnsupportedVersion { version } => {
                write!(f, "unsupported policy language version {version:?}")
            }
            Self::MissingElement { element, location } => {
                write!(f, "missing required element `{element}` in {location}")
            }
            Self::ProhibitedElement { element, location } => {
                write!(f, "element `{element}` is not allowed in {location}")
            }
            Self::PrincipalNotAllowed { location } => {
                write!(
                    f,
                    "a principal is not allowed in this kind of policy ({location})"
                )
            }
            Self::ConflictingElements {
                first,
                second,
                location,
            } => {
                write!(f, "both `{first}` and `{second}` in {location}")
            }
            Self::InvalidEffect { value } => write!(f, "invalid effect {value:?}"),
            Self::MissingVendorPrefix { value } => {
                write!(f, "{value:?} has no service prefix")
            }
            Self::TrustActionNotSts { action } => {
                write!(f, "trust policy action {action:?} is not an sts action")
            }
            Self::InvalidPrincipal {
                principal_type,
                value,
            } => {
                write!(f, "invalid {principal_type} principal {value:?}")
            }
            Self::InvalidFederatedPrincipal { value } => {
                write!(f, "invalid federated principal {value:?}")
            }
            Self::InvalidResource { resource } => write!(f, "invalid resource {resource:?}"),
            Self::InvalidConditionOperator { operator } => {
                write!(f, "unknown condition operator {operator:?}")
            }
            Self::InvalidConditionValue {
                operator,
                key,
                value,
                expected,
            } => write!(
                f,
                "condition {operator} on {key}: value {value:?} is not {expected}"
            ),
            Self::InvalidSid { sid } => write!(f, "sid {sid:?} is not alphanumeric"),
            Self::DuplicateSid { sid } => write!(f, "sid {sid:?} is used twice"),
            Self::TooLarge { chars, limit, what } => {
                write!(f, "{what} has {chars} characters, the quota is {limit}")
            }
            Self::InvalidQuota { requested, max } => {
                write!(f, "requested quota {requested} exceeds the maximum {max}")
            }
        }
    }
}

impl std::error::Error for Error {}
