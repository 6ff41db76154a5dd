//! Why a SAML document was refused: a stable code, a message and a fix hint for each case.

use std::fmt;

use time::OffsetDateTime;

/// The checks of [`validate_response`](crate::validate_response), in the order they run.
///
/// Every [`Error`] belongs to exactly one check, so a report can show which checks passed
/// before the failing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// Binding decoding: size, base64, DEFLATE, UTF-8.
    Decode,
    /// XML parsing within limits: no DTD, well-formed, unique IDs.
    Parse,
    /// A `samlp:Response`, SAML 2.0, status Success.
    Response,
    /// Exactly one Assertion, in place, not encrypted.
    Assertion,
    /// The Assertion's Issuer names a trusted provider.
    Issuer,
    /// The signature(s) verify with that provider's keys and cover the Assertion.
    Signature,
    /// Destination and InResponseTo.
    Destination,
    /// Subject, bearer confirmation, Recipient.
    Subject,
    /// NotBefore / NotOnOrAfter / SessionNotOnOrAfter with clock skew.
    Validity,
    /// AudienceRestriction.
    Audience,
    /// The AWS attributes (Role, RoleSessionName, SessionDuration, tags, SourceIdentity).
    AwsAttributes,
}

impl Check {
    /// Every check, in order.
    pub const ALL: [Check; 11] = [
        Check::Decode,
        Check::Parse,
        Check::Response,
        Check::Assertion,
        Check::Issuer,
        Check::Signature,
        Check::Destination,
        Check::Subject,
        Check::Validity,
        Check::Audience,
        Check::AwsAttributes,
    ];

    /// A short description for reports.
    pub fn description(self) -> &'static str {
        match self {
            Check::Decode => "decode the binding (base64, size)",
            Check::Parse => "parse XML safely (no DTD, limits, unique IDs)",
            Check::Response => "SAML 2.0 Response with status Success",
            Check::Assertion => "exactly one unencrypted Assertion",
            Check::Issuer => "issuer is a trusted identity provider",
            Check::Signature => "signature verifies with that provider's key",
            Check::Destination => "Destination and InResponseTo",
            Check::Subject => "subject and bearer confirmation for an accepted ACS URL",
            Check::Validity => "within the validity window",
            Check::Audience => "audience is this service provider",
            Check::AwsAttributes => "AWS attributes well-formed",
        }
    }
}

/// A rejected SAML document or configuration input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The encoded message is larger than allowed.
    InputTooLarge {
        /// Size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message is not valid base64.
    Base64Invalid,
    /// HTTP-Redirect payload that does not inflate, or inflates beyond the limit.
    DeflateInvalid {
        /// What went wrong.
        detail: String,
    },
    /// Not UTF-8, or not well-formed XML.
    XmlMalformed {
        /// What the parser said.
        detail: String,
    },
    /// A DOCTYPE declaration.
    XmlDtdForbidden,
    /// Too deep, too many nodes, attributes or namespaces.
    XmlLimitExceeded {
        /// The limit that was hit.
        detail: String,
    },
    /// An identifier used twice.
    XmlDuplicateId {
        /// The identifier.
        id: String,
    },
    /// The document element is not `samlp:Response`.
    NotAResponse {
        /// What it is instead.
        found: String,
    },
    /// `Version` other than 2.0.
    VersionUnsupported {
        /// The version found.
        version: String,
    },
    /// The top-level status code is not Success.
    StatusNotSuccess {
        /// The status code(s) found.
        status: String,
    },
    /// No Assertion.
    AssertionMissing,
    /// More than one Assertion or EncryptedAssertion anywhere in the document.
    MultipleAssertions {
        /// How many.
        count: usize,
    },
    /// The one Assertion is not a direct child of the Response.
    AssertionMisplaced,
    /// The Assertion is encrypted, which this version does not decrypt.
    EncryptedAssertionUnsupported,
    /// The Assertion has no Issuer.
    IssuerMissing,
    /// The Issuer is not a trusted provider.
    IssuerUnknown {
        /// The issuer found.
        issuer: String,
    },
    /// Response and Assertion name different issuers.
    IssuerInconsistent {
        /// Response issuer.
        response_issuer: String,
        /// Assertion issuer.
        assertion_issuer: String,
    },
    /// Neither the Response nor the Assertion carries a signature.
    SignatureMissing,
    /// The signature verifies with another provider's key, not with the issuer's.
    IssuerKeyMismatch {
        /// The issuer claimed.
        issuer: String,
        /// The provider whose key verified.
        signed_by: String,
    },
    /// A signature was refused.
    Signature(fedgate_dsig::Error),
    /// A signing key in configuration or metadata is unusable.
    Key(fedgate_dsig::Error),
    /// Destination is not an accepted ACS URL.
    DestinationMismatch {
        /// The Destination found.
        destination: String,
    },
    /// InResponseTo names no outstanding request.
    InResponseToMismatch {
        /// The value found.
        in_response_to: String,
    },
    /// Outstanding requests are expected but the response is unsolicited.
    UnsolicitedResponse,
    /// No Subject or NameID.
    SubjectMissing,
    /// A NameID or attribute value holds elements instead of text.
    ValueMalformed {
        /// Which value.
        what: String,
    },
    /// No usable bearer SubjectConfirmation.
    SubjectConfirmationMissing {
        /// What is missing.
        detail: String,
    },
    /// Recipient is not an accepted ACS URL.
    RecipientMismatch {
        /// The Recipient found, if any.
        recipient: Option<String>,
    },
    /// A timestamp that is not an xs:dateTime.
    TimestampInvalid {
        /// Which attribute.
        attribute: &'static str,
    },
    /// Not valid yet.
    NotYetValid {
        /// The NotBefore found.
        not_before: OffsetDateTime,
        /// The validation instant.
        now: OffsetDateTime,
        /// The skew allowed, in seconds.
        skew: i64,
    },
    /// Expired.
    Expired {
        /// Which bound (`NotOnOrAfter`, `SessionNotOnOrAfter`).
        bound: &'static str,
        /// The bound found.
        not_on_or_after: OffsetDateTime,
        /// The validation instant.
        now: OffsetDateTime,
        /// The skew allowed, in seconds.
        skew: i64,
    },
    /// No AudienceRestriction names this SP.
    AudienceMismatch {
        /// The audiences found.
        found: Vec<String>,
    },
    /// The Role attribute is malformed.
    RoleMalformed {
        /// The value found.
        value: String,
    },
    /// RoleSessionName missing a single valid value.
    RoleSessionNameInvalid {
        /// What is wrong.
        detail: String,
    },
    /// SessionDuration outside 900–43200.
    SessionDurationInvalid {
        /// The value found.
        value: String,
    },
    /// SourceIdentity invalid.
    SourceIdentityInvalid {
        /// The value found.
        value: String,
    },
    /// A PrincipalTag or TransitiveTagKeys attribute invalid.
    PrincipalTagInvalid {
        /// What is wrong.
        detail: String,
    },
    /// IdP metadata that cannot be used.
    MetadataInvalid {
        /// What is wrong.
        detail: String,
    },
    /// An identity provider with no signing key (a provider cannot exist without one).
    MetadataNoSigningKey {
        /// The entity ID.
        entity_id: String,
    },
    /// IdP side: service-provider metadata that cannot be used.
    SpMetadataInvalid {
        /// What is wrong.
        detail: String,
    },
    /// IdP side: an HTTP-Redirect query string that cannot be read.
    QueryInvalid {
        /// What is wrong.
        detail: String,
    },
    /// IdP side: the document element of a request is not `samlp:AuthnRequest`.
    NotAnAuthnRequest {
        /// What it is instead.
        found: String,
    },
    /// IdP side: a request value that is missing, malformed or beyond its bound.
    RequestInvalid {
        /// What is wrong.
        detail: String,
    },
    /// An `ID` that is not an xs:ID of at most 256 bytes.
    IdInvalid {
        /// The identifier (its first 64 characters).
        id: String,
    },
    /// IdP side: a request signature was refused.
    RequestSignatureInvalid(fedgate_dsig::Error),
    /// IdP side: the service provider signs its requests (or the IdP requires it) and this one
    /// is unsigned, or no key can check its signature.
    RequestUnsigned,
    /// IdP side: the endpoint a request names is not a registered HTTP-POST
    /// AssertionConsumerService.
    AcsNotRegistered {
        /// What the request asked for.
        requested: String,
    },
    /// IdP side: signing a response failed.
    ResponseSigning(fedgate_dsig::Error),
}

impl Error {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InputTooLarge { .. } => "input_too_large",
            Self::Base64Invalid => "base64_invalid",
            Self::DeflateInvalid { .. } => "deflate_invalid",
            Self::XmlMalformed { .. } => "xml_malformed",
            Self::XmlDtdForbidden => "xml_dtd_forbidden",
            Self::XmlLimitExceeded { .. } => "xml_limit_exceeded",
            Self::XmlDuplicateId { .. } => "xml_duplicate_id",
            Self::NotAResponse { .. } => "not_a_response",
            Self::VersionUnsupported { .. } => "version_unsupported",
            Self::StatusNotSuccess { .. } => "status_not_success",
            Self::AssertionMissing => "assertion_missing",
            Self::MultipleAssertions { .. } => "multiple_assertions",
            Self::AssertionMisplaced => "assertion_misplaced",
            Self::EncryptedAssertionUnsupported => "encrypted_assertion_unsupported",
            Self::IssuerMissing => "issuer_missing",
            Self::IssuerUnknown { .. } => "issuer_unknown",
            Self::IssuerInconsistent { .. } => "issuer_inconsistent",
            Self::SignatureMissing => "signature_missing",
            Self::IssuerKeyMismatch { .. } => "issuer_key_mismatch",
            Self::Signature(error) | Self::Key(error) => error.code(),
            Self::DestinationMismatch { .. } => "destination_mismatch",
            Self::InResponseToMismatch { .. } => "in_response_to_mismatch",
            Self::UnsolicitedResponse => "unsolicited_response",
            Self::SubjectMissing => "subject_missing",
            Self::ValueMalformed { .. } => "value_malformed",
            Self::SubjectConfirmationMissing { .. } => "subject_confirmation_missing",
            Self::RecipientMismatch { .. } => "recipient_mismatch",
            Self::TimestampInvalid { .. } => "timestamp_invalid",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Expired { .. } => "expired",
            Self::AudienceMismatch { .. } => "audience_mismatch",
            Self::RoleMalformed { .. } => "role_malformed",
            Self::RoleSessionNameInvalid { .. } => "role_session_name_invalid",
            Self::SessionDurationInvalid { .. } => "session_duration_invalid",
            Self::SourceIdentityInvalid { .. } => "source_identity_invalid",
            Self::PrincipalTagInvalid { .. } => "principal_tag_invalid",
            Self::MetadataInvalid { .. } => "metadata_invalid",
            Self::MetadataNoSigningKey { .. } => "metadata_no_signing_key",
            Self::SpMetadataInvalid { .. } => "sp_metadata_invalid",
            Self::QueryInvalid { .. } => "query_invalid",
            Self::NotAnAuthnRequest { .. } => "not_an_authn_request",
            Self::RequestInvalid { .. } => "request_invalid",
            Self::IdInvalid { .. } => "id_invalid",
            Self::RequestSignatureInvalid(_) => "request_signature_invalid",
            Self::RequestUnsigned => "request_unsigned",
            Self::AcsNotRegistered { .. } => "acs_not_registered",
            Self::ResponseSigning(_) => "response_signing_failed",
        }
    }

    /// The check this error belongs to. The identity-provider side's errors (requests, SP
    /// metadata, signing) go with the nearest response check: decoding, the message, or the
    /// signature.
    pub fn check(&self) -> Check {
        match self {
            Self::InputTooLarge { .. }
            | Self::Base64Invalid
            | Self::DeflateInvalid { .. }
            | Self::QueryInvalid { .. } => Check::Decode,
            Self::XmlMalformed { .. }
            | Self::XmlDtdForbidden
            | Self::XmlLimitExceeded { .. }
            | Self::XmlDuplicateId { .. } => Check::Parse,
            Self::NotAResponse { .. }
            | Self::VersionUnsupported { .. }
            | Self::StatusNotSuccess { .. }
            | Self::NotAnAuthnRequest { .. }
            | Self::RequestInvalid { .. }
            | Self::IdInvalid { .. } => Check::Response,
            Self::AssertionMissing
            | Self::MultipleAssertions { .. }
            | Self::AssertionMisplaced
            | Self::EncryptedAssertionUnsupported => Check::Assertion,
            Self::IssuerMissing | Self::IssuerUnknown { .. } | Self::IssuerInconsistent { .. } => {
                Check::Issuer
            }
            Self::SignatureMissing
            | Self::IssuerKeyMismatch { .. }
            | Self::Signature(_)
            | Self::Key(_)
            | Self::MetadataInvalid { .. }
            | Self::MetadataNoSigningKey { .. }
            | Self::SpMetadataInvalid { .. }
            | Self::RequestSignatureInvalid(_)
            | Self::RequestUnsigned
            | Self::ResponseSigning(_) => Check::Signature,
            Self::DestinationMismatch { .. }
            | Self::InResponseToMismatch { .. }
            | Self::UnsolicitedResponse
            | Self::AcsNotRegistered { .. } => Check::Destination,
            Self::SubjectMissing
            | Self::ValueMalformed { .. }
            | Self::SubjectConfirmationMissing { .. }
            | Self::RecipientMismatch { .. } => Check::Subject,
            Self::TimestampInvalid { .. } | Self::NotYetValid { .. } | Self::Expired { .. } => {
                Check::Validity
            }
            Self::AudienceMismatch { .. } => Check::Audience,
            Self::RoleMalformed { .. }
            | Self::RoleSessionNameInvalid { .. }
            | Self::SessionDurationInvalid { .. }
            | Self::SourceIdentityInvalid { .. }
            | Self::PrincipalTagInvalid { .. } => Check::AwsAttributes,
        }
    }

    /// What the administrator can do about it.
    pub fn hint(&self) -> &'static str {
        use fedgate_dsig::Error as D;
        match self {
            Self::InputTooLarge { .. } => {
                "send the SAMLResponse form field only; a real response is far below the limit"
            }
            Self::Base64Invalid => {
                "pass the SAMLResponse value exactly as posted (standard base64), or the decoded XML"
            }
            Self::DeflateInvalid { .. } => {
                "HTTP-Redirect messages are raw DEFLATE (no zlib header) then base64"
            }
            Self::XmlMalformed { .. } => {
                "the message is not well-formed UTF-8 XML; check it was not truncated or re-encoded"
            }
            Self::XmlDtdForbidden => {
                "SAML messages never need a DOCTYPE; remove it (entity declarations are an attack vector)"
            }
            Self::XmlLimitExceeded { .. } => {
                "the document is far larger or deeper than any real SAML response"
            }
            Self::XmlDuplicateId { .. } => {
                "every ID in the document must be unique; duplicate IDs are used in signature-wrapping attacks"
            }
            Self::NotAResponse { .. } => {
                "send a samlp:Response (HTTP-POST binding), not a request, assertion or metadata"
            }
            Self::VersionUnsupported { .. } => "configure the identity provider to send SAML 2.0",
            Self::StatusNotSuccess { .. } => {
                "the identity provider reported a failure; check its logs for the sign-in attempt"
            }
            Self::AssertionMissing => {
                "the identity provider must include an Assertion in the Response"
            }
            Self::MultipleAssertions { .. } => {
                "a Response must carry exactly one Assertion; extra assertions are used in signature-wrapping attacks"
            }
            Self::AssertionMisplaced => "the Assertion must be a direct child of the Response",
            Self::EncryptedAssertionUnsupported => {
                "turn off assertion encryption at the identity provider for this service provider"
            }
            Self::IssuerMissing => {
                "the identity provider must put its entity ID in the Assertion's Issuer"
            }
            Self::IssuerUnknown { .. } => {
                "register this identity provider's metadata, or fix its entity ID so the Issuer matches the metadata"
            }
            Self::IssuerInconsistent { .. } => {
                "the Response and Assertion Issuer must be the same entity ID"
            }
            Self::SignatureMissing => {
                "configure the identity provider to sign the assertion (or the response)"
            }
            Self::IssuerKeyMismatch { .. } => {
                "each provider must sign with a key from its own metadata; check which provider the identity provider is configured as"
            }
            Self::Signature(error) | Self::Key(error) => match error {
                D::Malformed { .. } => {
                    "the ds:Signature element is not a standard enveloped XML signature"
                }
                D::AlgorithmForbidden { .. } => {
                    "sign with RSA-SHA256 (or ECDSA) and a SHA-256 digest"
                }
                D::Sha1NotAllowed { .. } => {
                    "configure the identity provider to sign with SHA-256, or allow SHA-1 for this provider"
                }
                D::ReferenceInvalid { .. } => {
                    "the signature must have one Reference to the ID of the signed element"
                }
                D::ReferenceNotParent { .. } => {
                    "the signature must sign the element that contains it (enveloped signature)"
                }
                D::TransformForbidden { .. } => {
                    "use only the enveloped-signature and exclusive canonicalization transforms"
                }
                D::DigestMismatch => {
                    "the signed content was modified after signing; do not reformat or edit the response"
                }
                D::KeyTooWeak { .. } => {
                    "use an RSA key of at least 2048 bits (or ECDSA) for signing"
                }
                D::KeyNotTrusted => {
                    "the response was signed with a certificate not in the provider's metadata; upload current metadata"
                }
                D::SignatureInvalid => {
                    "upload the identity provider's current metadata (signing certificate rotated?)"
                }
                D::KeyInvalid { .. } => {
                    "provide the identity provider's signing certificate in PEM or DER form"
                }
                _ => "check the identity provider's signing configuration",
            },
            Self::DestinationMismatch { .. } => {
                "set the identity provider's ACS URL to this service's sign-in endpoint"
            }
            Self::InResponseToMismatch { .. } => {
                "the response answers a different request; start the sign-in again"
            }
            Self::UnsolicitedResponse => {
                "a request is outstanding but the response is unsolicited (IdP-initiated)"
            }
            Self::SubjectMissing => "the identity provider must send a Subject with a NameID",
            Self::ValueMalformed { .. } => "identity values must be plain text",
            Self::SubjectConfirmationMissing { .. } => {
                "send a bearer SubjectConfirmation with SubjectConfirmationData (NotOnOrAfter, Recipient)"
            }
            Self::RecipientMismatch { .. } => {
                "set the identity provider's ACS URL (Recipient) to this service's sign-in endpoint"
            }
            Self::TimestampInvalid { .. } => {
                "timestamps must be xs:dateTime in UTC, e.g. 2026-01-01T00:00:00Z"
            }
            Self::NotYetValid { .. } => {
                "check the clocks of the identity provider and this server (NTP)"
            }
            Self::Expired { .. } => {
                "sign in again; if it keeps failing, check clocks (NTP) and the identity provider's assertion lifetime"
            }
            Self::AudienceMismatch { .. } => {
                "set the identity provider's audience (SP entity ID) to urn:amazon:webservices or this service's entity ID"
            }
            Self::RoleMalformed { .. } => {
                "each Role value must be 'arn:aws:iam::<account>:role/<name>,arn:aws:iam::<account>:saml-provider/<name>'"
            }
            Self::RoleSessionNameInvalid { .. } => {
                "send exactly one RoleSessionName of 2–64 characters from [A-Za-z0-9_+=,.@-]"
            }
            Self::SessionDurationInvalid { .. } => {
                "SessionDuration must be an integer number of seconds from 900 to 43200"
            }
            Self::SourceIdentityInvalid { .. } => {
                "SourceIdentity must be 2–64 characters from [A-Za-z0-9_+=,.@-] and not start with 'aws:'"
            }
            Self::PrincipalTagInvalid { .. } => {
                "each PrincipalTag attribute needs one value (≤ 256 chars), key ≤ 128 chars, at most 50 tags"
            }
            Self::MetadataInvalid { .. } => {
                "upload the identity provider's SAML 2.0 metadata (an EntityDescriptor with an IDPSSODescriptor)"
            }
            Self::MetadataNoSigningKey { .. } => {
                "the metadata must contain a signing certificate (KeyDescriptor use=\"signing\" or no use)"
            }
            Self::SpMetadataInvalid { .. } => {
                "upload the service provider's SAML 2.0 metadata (one EntityDescriptor with an SPSSODescriptor and an http(s) AssertionConsumerService)"
            }
            Self::QueryInvalid { .. } => {
                "send each of SAMLRequest, RelayState, SigAlg and Signature at most once, percent-encoded (HTTP-Redirect binding)"
            }
            Self::NotAnAuthnRequest { .. } => {
                "send a samlp:AuthnRequest to the single sign-on endpoint"
            }
            Self::RequestInvalid { .. } => {
                "the service provider's request does not follow saml-core §3.4.1; check its SAML settings"
            }
            Self::IdInvalid { .. } => {
                "IDs must start with a letter or '_' and hold only letters, digits, '.', '-', '_' (at most 256)"
            }
            Self::RequestSignatureInvalid(_) => {
                "upload the service provider's current metadata (signing certificate rotated?); it must sign with RSA-SHA256 or ECDSA"
            }
            Self::RequestUnsigned => {
                "configure the service provider to sign its requests, with a key from its metadata"
            }
            Self::AcsNotRegistered { .. } => {
                "add the AssertionConsumerService (HTTP-POST) to the service provider's metadata, or fix its ACS URL"
            }
            Self::ResponseSigning(_) => "check the identity provider's signing key and certificate",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InputTooLarge { size, limit } => write!(
                f,
                "message of {size} bytes exceeds the limit of {limit} bytes"
            ),
            Self::Base64Invalid => f.write_str("the message is not valid base64"),
            Self::DeflateInvalid { detail } => write!(f, "the message does not inflate: {detail}"),
            Self::XmlMalformed { detail } => write!(f, "malformed XML: {detail}"),
            Self::XmlDtdForbidden => {
                f.write_str("document type declarations (DOCTYPE) are not allowed")
            }
            Self::XmlLimitExceeded { detail } => write!(f, "{detail}"),
            Self::XmlDuplicateId { id } => write!(f, "the ID {id:?} appears more than once"),
            Self::NotAResponse { found } => write!(f, "expected a samlp:Response, found <{found}>"),
            Self::VersionUnsupported { version } => write!(
                f,
                "SAML version {version:?} is not supported (2.0 required)"
            ),
            Self::StatusNotSuccess { status } => {
                write!(f, "the response status is {status}, not Success")
            }
            Self::AssertionMissing => f.write_str("the response contains no assertion"),
            Self::MultipleAssertions { count } => write!(
                f,
                "the response contains {count} assertions; exactly one is allowed"
            ),
            Self::AssertionMisplaced => {
                f.write_str("the assertion is not a direct child of the response")
            }
            Self::EncryptedAssertionUnsupported => {
                f.write_str("encrypted assertions are not supported yet")
            }
            Self::IssuerMissing => f.write_str("the assertion has no Issuer"),
            Self::IssuerUnknown { issuer } => {
                write!(f, "issuer {issuer:?} is not a trusted identity provider")
            }
            Self::IssuerInconsistent {
                response_issuer,
                assertion_issuer,
            } => write!(
                f,
                "the response issuer {response_issuer:?} differs from the assertion issuer {assertion_issuer:?}"
            ),
            Self::SignatureMissing => {
                f.write_str("neither the response nor the assertion is signed")
            }
            Self::IssuerKeyMismatch { issuer, signed_by } => write!(
                f,
                "the assertion claims issuer {issuer:?} but is signed with the key of {signed_by:?}"
            ),
            Self::Signature(error) => error.fmt(f),
            Self::Key(error) => write!(f, "unusable identity provider key: {error}"),
            Self::DestinationMismatch { destination } => {
                write!(f, "Destination {destination:?} is not an accepted ACS URL")
            }
            Self::InResponseToMismatch { in_response_to } => {
                write!(
                    f,
                    "InResponseTo {in_response_to:?} does not match an outstanding request"
                )
            }
            Self::UnsolicitedResponse => {
                f.write_str("the response is unsolicited but a request is outstanding")
            }
            Self::SubjectMissing => f.write_str("the assertion has no Subject with a NameID"),
            Self::ValueMalformed { what } => write!(f, "{what} must contain only text"),
            Self::SubjectConfirmationMissing { detail } => {
                write!(f, "no usable bearer subject confirmation: {detail}")
            }
            Self::RecipientMismatch {
                recipient: Some(recipient),
            } => {
                write!(f, "Recipient {recipient:?} is not an accepted ACS URL")
            }
            Self::RecipientMismatch { recipient: None } => {
                f.write_str("the bearer SubjectConfirmationData has no Recipient")
            }
            Self::TimestampInvalid { attribute } => {
                write!(f, "{attribute} is not a valid xs:dateTime")
            }
            Self::NotYetValid {
                not_before,
                now,
                skew,
            } => {
                write!(
                    f,
                    "not valid before {not_before} (now {now}, {skew} s skew allowed)"
                )
            }
            Self::Expired {
                bound,
                not_on_or_after,
                now,
                skew,
            } => {
                write!(
                    f,
                    "expired: {bound} {not_on_or_after} (now {now}, {skew} s skew allowed)"
                )
            }
            Self::AudienceMismatch { found } if found.is_empty() => {
                f.write_str("the assertion has no AudienceRestriction")
            }
            Self::AudienceMismatch { found } => write!(
                f,
                "audience {found:?} does not include this service provider"
            ),
            Self::RoleMalformed { value } => write!(
                f,
                "Role value {value:?} is not a role ARN and provider ARN pair"
            ),
            Self::RoleSessionNameInvalid { detail } => write!(f, "RoleSessionName {detail}"),
            Self::SessionDurationInvalid { value } => {
                write!(f, "SessionDuration {value:?} is not 900–43200 seconds")
            }
            Self::SourceIdentityInvalid { value } => {
                write!(f, "SourceIdentity {value:?} is invalid")
            }
            Self::PrincipalTagInvalid { detail } => write!(f, "session tag {detail}"),
            Self::MetadataInvalid { detail } => write!(f, "invalid metadata: {detail}"),
            Self::MetadataNoSigningKey { entity_id } => {
                write!(f, "identity provider {entity_id:?} has no signing key")
            }
            Self::SpMetadataInvalid { detail } => {
                write!(f, "invalid service provider metadata: {detail}")
            }
            Self::QueryInvalid { detail } => write!(f, "invalid request query: {detail}"),
            Self::NotAnAuthnRequest { found } => {
                write!(f, "expected a samlp:AuthnRequest, found <{found}>")
            }
            Self::RequestInvalid { detail } => write!(f, "invalid request: {detail}"),
            Self::IdInvalid { id } => write!(
                f,
                "ID {id:?} is not an xs:ID of at most 256 bytes (a letter or '_', then letters, digits, '.', '-', '_')"
            ),
            Self::RequestSignatureInvalid(error) => {
                write!(f, "the request signature was refused: {error}")
            }
            Self::RequestUnsigned => f.write_str(
                "the request is not signed (with a key the service provider's metadata holds), and a signature is required",
            ),
            Self::AcsNotRegistered { requested } => write!(
                f,
                "the request asks for {requested}, which is not a registered HTTP-POST AssertionConsumerService"
            ),
            Self::ResponseSigning(error) => write!(f, "cannot sign the response: {error}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<fedgate_xml::Error> for Error {
    fn from(error: fedgate_xml::Error) -> Self {
        use fedgate_xml::Error as X;
        match error {
            X::TooLarge { size, limit } => Self::InputTooLarge { size, limit },
            X::DtdForbidden => Self::XmlDtdForbidden,
            X::LimitExceeded { .. } => Self::XmlLimitExceeded {
                detail: error.to_string(),
            },
            X::DuplicateId { id } => Self::XmlDuplicateId { id },
            X::UnexpectedChildElement { parent } => Self::ValueMalformed { what: parent },
            // The parser's own detail, without its "malformed XML:" prefix (Display adds it).
            X::Malformed { detail } => Self::XmlMalformed { detail },
            other => Self::XmlMalformed {
                detail: other.to_string(),
            },
        }
    }
}
