//! [`AwsError`]: what every AWS Query-protocol failure becomes on the wire.

use std::fmt;

/// An AWS error as the Query protocol reports it: a code (`NoSuchEntity`), a message for the
/// caller and the HTTP status. [`crate::error_response`] writes it; the `<Type>` element is
/// derived from the status ([`AwsError::fault`]).
///
/// Codes and statuses follow the botocore service models (spec/aws-federation.md §2.4, §3.3).
/// Messages are shown to the client: never put secrets, tokens or raw assertions in them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The AWS error code, for example `ValidationError` or `NoSuchEntity`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status code of the response.
    pub status: u16,
}

impl AwsError {
    /// An error with any code, status and message.
    pub fn new(code: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status,
        }
    }

    /// `ValidationError` (400): a parameter is missing or fails a constraint.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", 400, message)
    }

    /// `InvalidInput` (400): IAM's code for an invalid parameter value.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new("InvalidInput", 400, message)
    }

    /// `NoSuchEntity` (404): the named IAM resource does not exist.
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new("NoSuchEntity", 404, message)
    }

    /// `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::new("EntityAlreadyExists", 409, message)
    }

    /// `LimitExceeded` (409): an account or resource quota would be exceeded.
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new("LimitExceeded", 409, message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy(message: impl Into<String>) -> Self {
        Self::new("MalformedPolicyDocument", 400, message)
    }

    /// `AccessDenied` (403).
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", 403, message)
    }

    /// `ServiceFailure` (500): IAM's code for an internal failure.
    pub fn service_failure(message: impl Into<String>) -> Self {
        Self::new("ServiceFailure", 500, message)
    }

    /// `MissingAction` (400): the request has no `Action` parameter.
    pub fn missing_action() -> Self {
        Self::new("MissingAction", 400, "Missing Action")
    }

    /// `InvalidAction` (400): the action is not one this service answers for this version.
    ///
    /// The message is AWS's: "Could not find operation {action} for version {version}".
    pub fn invalid_action(action: &str, version: &str) -> Self {
        Self::new(
            "InvalidAction",
            400,
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// The `<Type>` of the error: `Sender` for a status below 500 (the client's fault),
    /// `Receiver` otherwise.
    #[must_use]
    pub fn fault(&self) -> &'static str {
        if self.status < 500 {
            "Sender"
        } else {
            "Receiver"
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_carry_the_modelled_codes_and_statuses() {
        let cases = [
            (AwsError::validation("m"), "ValidationError", 400, "Sender"),
            (AwsError::invalid_input("m"), "InvalidInput", 400, "Sender"),
            (AwsError::no_such_entity("m"), "NoSuchEntity", 404, "Sender"),
            (
                AwsError::entity_already_exists("m"),
                "EntityAlreadyExists",
                409,
                "Sender",
            ),
            (
                AwsError::limit_exceeded("m"),
                "LimitExceeded",
                409,
                "Sender",
            ),
            (
                AwsError::malformed_policy("m"),
                "MalformedPolicyDocument",
                400,
                "Sender",
            ),
            (AwsError::access_denied("m"), "AccessDenied", 403, "Sender"),
            (
                AwsError::service_failure("m"),
                "ServiceFailure",
                500,
                "Receiver",
            ),
        ];
        for (error, code, status, fault) in cases {
            assert_eq!(error.code, code);
            assert_eq!(error.status, status);
            assert_eq!(error.fault(), fault, "{code}");
            assert_eq!(error.message, "m");
        }
    }
}
