//! SAML 2.0 service-provider validation for AWS-style federation.
//!
//! The pipeline, each step a type only the previous step can produce:
//! ```text
//! binding::decode_post -> xml::Document -> dsig::Verified -> ValidatedAssertion
//! ```
//! - [`binding`]: HTTP-POST (base64) and HTTP-Redirect (base64 + raw DEFLATE) decoding, capped;
//! - [`metadata`]: IdP metadata into [`IdentityProvider`]s (entity ID + signing keys);
//! - [`validate_response`]: every check of DESIGN.md "Decisions" and the AWS profile, producing a
//!   [`ValidatedAssertion`] read only from signed content;
//! - [`aws`]: the `https://aws.amazon.com/SAML/Attributes/*` attributes, parsed and checked;
//! - [`idp`]: the identity-provider side (SP metadata, AuthnRequest reception, response
//!   building and signing, IdP metadata) for the built-in identity provider.
//!
//! Nothing here reads the clock: `now` is a parameter of every validity check.

pub mod aws;
pub mod binding;
pub mod danger;
mod error;
pub mod idp;
pub mod metadata;
mod provider;
mod timestamp;
mod validate;

pub use error::{Check, Error};
pub use provider::{DEFAULT_CLOCK_SKEW_SECONDS, IdentityProvider, ServiceProvider};
pub use timestamp::parse_date_time;
pub use validate::{Attribute, NameId, SignedParts, ValidatedAssertion, validate_response};

/// SAML 2.0 assertion namespace.
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol namespace.
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 metadata namespace.
pub const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The SP entity ID AWS uses, and fedgate's default audience.
pub const AWS_SP_ENTITY_ID: &str = "urn:amazon:webservices";
/// The AWS sign-in ACS URL, fedgate's default accepted Destination/Recipient.
pub const AWS_ACS_URL: &str = "https://signin.aws.amazon.com/saml";
