//! The one error type of the contact-center crate and its one mapping to the AWS wire
//! ([`ConnectError::to_aws_error`]; the server turns that into a REST-JSON error response).

use std::fmt;

use fedgate_aws_wire::AwsError;
use fedgate_store::StoreError;
use time::OffsetDateTime;

/// A contact-center operation failure.
///
/// The `String` payloads are the messages returned to the client (AWS wording where it is
/// known). Which exception an operation raises follows the errors the botocore model lists for
/// it (`CreateInstance` has no `InvalidParameterException`, so its validation errors are
/// `InvalidRequestException`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// `InvalidRequestException` (400): the request is not valid in this context.
    InvalidRequest(String),
    /// `InvalidParameterException` (400): a parameter fails its model constraint.
    InvalidParameter(String),
    /// `SerializationException` (400): the body is not the JSON the operation takes.
    Serialization(String),
    /// `ResourceNotFoundException` (404).
    ResourceNotFound(String),
    /// `UserNotFoundException` (404): no user is named like the caller's role session.
    UserNotFound,
    /// `DuplicateResourceException` (409).
    DuplicateResource(String),
    /// `LimitExceededException` (429): a per-instance quota (users).
    LimitExceeded(String),
    /// `ServiceQuotaExceededException` (402): an account quota (instances).
    ServiceQuotaExceeded(String),
    /// A federation token did not open: not ours, altered, another kind, or malformed. Never
    /// a response of the REST API (the browser path maps it to its own page).
    TokenInvalid {
        /// A stable reason for logs (`malformed`, `decrypt`, `kind`, `version`, …).
        reason: &'static str,
    },
    /// A federation token (or the role session it is issued for) has expired.
    TokenExpired {
        /// When it expired.
        expired_at: OffsetDateTime,
        /// The time it was checked at.
        now: OffsetDateTime,
    },
    /// Randomness, sealing or password hashing failed (`InternalServiceException`, 500).
    Internal {
        /// A stable cause for logs.
        cause: &'static str,
    },
    /// The store failed (`InternalServiceException`, 500); the detail stays in logs.
    Store(StoreError),
}

/// AWS's message of `UserNotFoundException` for `GetFederationToken` (spec §4.5).
pub const USER_NOT_FOUND_MESSAGE: &str = "No user with the specified credentials was found";

impl ConnectError {
    /// A stable code for logs and metrics.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidParameter(_) => "invalid_parameter",
            Self::Serialization(_) => "serialization",
            Self::ResourceNotFound(_) => "resource_not_found",
            Self::UserNotFound => "user_not_found",
            Self::DuplicateResource(_) => "duplicate_resource",
            Self::LimitExceeded(_) => "limit_exceeded",
            Self::ServiceQuotaExceeded(_) => "service_quota_exceeded",
            Self::TokenInvalid { .. } => "token_invalid",
            Self::TokenExpired { .. } => "token_expired",
            Self::Internal { .. } => "internal",
            Self::Store(error) => error.code(),
        }
    }

    /// The AWS error this becomes on the wire: the exception name (the `x-amzn-ErrorType`),
    /// the HTTP status of the model, and the message.
    #[must_use]
    pub fn to_aws_error(&self) -> AwsError {
        match self {
            Self::InvalidRequest(message) => {
                AwsError::new("InvalidRequestException", 400, message.clone())
            }
            Self::InvalidParameter(message) => {
                AwsError::new("InvalidParameterException", 400, message.clone())
            }
            Self::Serialization(message) => {
                AwsError::new("SerializationException", 400, message.clone())
            }
            Self::ResourceNotFound(message) => {
                AwsError::new("ResourceNotFoundException", 404, message.clone())
            }
            Self::UserNotFound => {
                AwsError::new("UserNotFoundException", 404, USER_NOT_FOUND_MESSAGE)
            }
            Self::DuplicateResource(message) => {
                AwsError::new("DuplicateResourceException", 409, message.clone())
            }
            Self::LimitExceeded(message) => {
                AwsError::new("LimitExceededException", 429, message.clone())
            }
            Self::ServiceQuotaExceeded(message) => {
                AwsError::new("ServiceQuotaExceededException", 402, message.clone())
            }
            Self::TokenInvalid { .. } | Self::TokenExpired { .. } => AwsError::new(
                "InvalidRequestException",
                400,
                "The federation token is not valid.",
            ),
            Self::Internal { .. } | Self::Store(_) => AwsError::new(
                "InternalServiceException",
                500,
                "Request processing failed because of an error or failure with the service.",
            ),
        }
    }
}

impl From<StoreError> for ConnectError {
    /// Store errors the operations did not map themselves: not found and duplicates keep
    /// their meaning, the rest is internal.
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::NotFound { entity, name } => Self::ResourceNotFound(match *entity {
                "connect instance" => format!("Instance {name} not found"),
                "connect user" => format!("User {name} not found"),
                "connect security profile" => format!("Security profile {name} not found"),
                "connect routing profile" => format!("Routing profile {name} not found"),
                other => format!("{other} {name} not found"),
            }),
            _ => Self::Store(error),
        }
    }
}

impl From<ConnectError> for AwsError {
    fn from(error: ConnectError) -> Self {
        error.to_aws_error()
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(message)
            | Self::InvalidParameter(message)
            | Self::Serialization(message)
            | Self::ResourceNotFound(message)
            | Self::DuplicateResource(message)
            | Self::LimitExceeded(message)
            | Self::ServiceQuotaExceeded(message) => write!(f, "{}: {message}", self.code()),
            Self::UserNotFound => write!(f, "user_not_found: {USER_NOT_FOUND_MESSAGE}"),
            Self::TokenInvalid { reason } => write!(f, "federation token invalid ({reason})"),
            Self::TokenExpired { expired_at, now } => {
                write!(f, "federation token expired at {expired_at} (now {now})")
            }
            Self::Internal { cause } => write!(f, "internal failure ({cause})"),
            Self::Store(error) => write!(f, "store: {error}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(error) => Some(error),
            _ => None,
        }
    }
}
