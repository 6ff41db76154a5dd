//! Every refusal of the IdP: a stable code (`data-error-code`), an HTTP status, a message and
//! a hint. Login failures say only "wrong username or password", whichever part was wrong.

use axum::http::StatusCode;

/// Why the IdP refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpError {
    /// Unknown user or wrong password (never which).
    WrongCredentials,
    /// Too many failed logins for this user or from this address.
    RateLimited {
        /// Seconds until the next attempt is allowed.
        retry_after: i64,
    },
    /// A form came back without the token of the page it was served with.
    FormExpired,
    /// No application has this ID, or none has this issuer as its audience.
    UnknownApplication,
    /// The user may not open this application.
    NotPermitted,
    /// The user has no value for the NameID (or RoleSessionName) template.
    MissingUserValue {
        /// Which value.
        what: &'static str,
    },
    /// The AuthnRequest names an ACS URL the application has not registered.
    AcsNotRegistered,
    /// A signed AuthnRequest whose signature does not verify with the SP's keys.
    RequestSignatureInvalid,
    /// An unsigned AuthnRequest where the SP's metadata requires signed ones.
    RequestUnsigned,
    /// An AuthnRequest issued too long ago (or in the future).
    RequestExpired,
    /// An AuthnRequest whose Destination is not this IdP's SSO endpoint.
    WrongDestination,
    /// The AuthnRequest cannot be read.
    MalformedRequest {
        /// What is wrong (safe to show: no request content echoed).
        detail: String,
    },
    /// Too many sessions or pending requests in memory.
    Busy,
    /// Something on the IdP's side failed.
    Internal,
}

impl IdpError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongCredentials => "wrong_credentials",
            Self::RateLimited { .. } => "rate_limited",
            Self::FormExpired => "form_expired",
            Self::UnknownApplication => "unknown_application",
            Self::NotPermitted => "not_permitted",
            Self::MissingUserValue { .. } => "missing_user_value",
            Self::AcsNotRegistered => "acs_not_registered",
            Self::RequestSignatureInvalid => "request_signature_invalid",
            Self::RequestUnsigned => "request_unsigned",
            Self::RequestExpired => "request_expired",
            Self::WrongDestination => "destination_mismatch",
            Self::MalformedRequest { .. } => "malformed_request",
            Self::Busy => "busy",
            Self::Internal => "internal_error",
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::WrongCredentials => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::FormExpired | Self::NotPermitted | Self::MissingUserValue { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::UnknownApplication => StatusCode::NOT_FOUND,
            Self::AcsNotRegistered
            | Self::RequestSignatureInvalid
            | Self::RequestUnsigned
            | Self::RequestExpired
            | Self::WrongDestination
            | Self::MalformedRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title and message shown.
    #[must_use]
    pub fn message(&self) -> (&'static str, String) {
        match self {
            Self::WrongCredentials => ("Sign-in failed", "wrong username or password".to_owned()),
            Self::RateLimited { retry_after } => (
                "Too many attempts",
                format!("Too many failed sign-ins. Try again in {retry_after} seconds."),
            ),
            Self::FormExpired => (
                "The form expired",
                "The form was not served by this identity provider in this browser.".to_owned(),
            ),
            Self::UnknownApplication => (
                "Unknown application",
                "No application of this identity provider matches the request.".to_owned(),
            ),
            Self::NotPermitted => (
                "Not permitted",
                "Your account may not open this application.".to_owned(),
            ),
            Self::MissingUserValue { what } => (
                "Account incomplete",
                format!("Your account has no value for the application's {what}."),
            ),
            Self::AcsNotRegistered => (
                "Unregistered destination",
                "The request asks for a response at an address the application has not registered."
                    .to_owned(),
            ),
            Self::RequestSignatureInvalid => (
                "Invalid request signature",
                "The sign-in request's signature does not verify with the application's keys."
                    .to_owned(),
            ),
            Self::RequestUnsigned => (
                "Unsigned request",
                "The application requires signed sign-in requests; this one is unsigned."
                    .to_owned(),
            ),
            Self::WrongDestination => (
                "Request meant for another address",
                "The sign-in request names another identity provider endpoint as its destination."
                    .to_owned(),
            ),
            Self::RequestExpired => (
                "Expired request",
                "The sign-in request is too old (or dated in the future).".to_owned(),
            ),
            Self::MalformedRequest { detail } => (
                "Unreadable request",
                format!("The sign-in request cannot be read: {detail}"),
            ),
            Self::Busy => (
                "Busy",
                "The identity provider is handling too many sign-ins.".to_owned(),
            ),
            Self::Internal => (
                "Something went wrong",
                "The identity provider failed to answer.".to_owned(),
            ),
        }
    }

    /// What to do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::WrongCredentials => "Check the username and password and try again.",
            Self::RateLimited { .. } => "Wait, then sign in again.",
            Self::FormExpired => "Reload the page and submit it again.",
            Self::UnknownApplication => {
                "The application's administrator must register it with this identity provider (its entity ID as the audience)."
            }
            Self::NotPermitted => "Ask the administrator to add you to the application's groups.",
            Self::MissingUserValue { .. } => {
                "Ask the administrator to complete your account (for example its e-mail address)."
            }
            Self::AcsNotRegistered => {
                "Register the ACS URL for the application (acs_url, acs_urls or the SP metadata)."
            }
            Self::RequestSignatureInvalid => {
                "Check that the application signs with the key in the SP metadata configured here."
            }
            Self::RequestUnsigned => "Configure the application to sign its AuthnRequests.",
            Self::WrongDestination => {
                "Point the application at this identity provider's SSO URL (in its metadata)."
            }
            Self::RequestExpired => {
                "Start the sign-in again from the application; check both clocks."
            }
            Self::MalformedRequest { .. } => "Start the sign-in again from the application.",
            Self::Busy => "Try again in a moment.",
            Self::Internal => "Try again; the identity provider's log has the details.",
        }
    }
}

impl std::fmt::Display for IdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message().1)
    }
}

impl std::error::Error for IdpError {}
