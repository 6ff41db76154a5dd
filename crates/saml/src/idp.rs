//! The identity-provider side of SAML 2.0 Web Browser SSO (saml-profiles-2.0-os §4.1), for the
//! built-in identity provider (`crates/idp`).
//!
//! ```text
//! SP metadata ──parse_sp_metadata──▶ SpMetadata (entity ID, ACS endpoints, signing keys)
//! GET ?SAMLRequest=…&SigAlg=…&Signature=…  ──receive_redirect─┐
//! POST SAMLRequest=…                        ──receive_post────┴─▶ ReceivedRequest
//!         (signature checked against RequestKeys: the SP's keys, and whether one is required)
//! caller: AuthnRequest::check_fresh, SpMetadata::assertion_consumer_service, authentication
//! ResponseSpec ──build_response──▶ XML ──sign_response──▶ signed samlp:Response (HTTP-POST)
//! idp_metadata ──▶ this IdP's md:EntityDescriptor
//! ```
//!
//! Pure like the rest of this crate: no I/O, no clock and no randomness. The caller passes
//! `now`, the keys, and the IDs of the messages it issues (saml-core-2.0-os §1.3.4: at least
//! 128 bits of randomness, checked here only for xs:ID syntax by [`XmlId`]).
//!
//! Trust in names: [`ReceivedRequest::signed`] is true only when a signature verified with one
//! of the service provider's keys; the request fields of a signed HTTP-POST request are read
//! from the element [`fedgate_dsig::Verified`] hands out, never from the document again. An
//! unsigned request says nothing about who sent it: the IdP answers it only at an ACS endpoint
//! registered in the SP's metadata ([`SpMetadata::assertion_consumer_service`]).

mod authn_request;
mod idp_metadata;
mod response;
mod sp_metadata;
mod text;

pub use authn_request::{
    AuthnRequest, ReceivedRequest, RequestKeys, receive_post, receive_redirect,
};
pub use idp_metadata::idp_metadata;
pub use response::{PASSWORD_PROTECTED_TRANSPORT, ResponseSpec, build_response, sign_response};
pub use sp_metadata::{Endpoint, MAX_ENDPOINTS, SpMetadata, parse_sp_metadata};
pub use text::XmlId;

/// Longest `ID` (and `InResponseTo`) accepted or issued, in bytes: 256.
///
/// saml-core-2.0-os §1.3.4 asks for 128 to 160 bits of randomness, 22 to 40 characters once
/// encoded; real providers prefix them (AD FS `_` + a GUID is 37 characters, Shibboleth `_` + 32
/// hex digits 33). 256 leaves room for any such scheme and keeps IDs out of the way of the
/// other bounds.
pub const MAX_ID_BYTES: usize = 256;

/// Longest URI that names something rather than locating it (entity IDs, binding, format and
/// authentication-context URIs), in bytes: 1024, saml-core-2.0-os §8.3.6 ("a URI of not more
/// than 1024 characters") for entity identifiers, applied to every such URI.
pub const MAX_URI_BYTES: usize = 1024;

/// Longest URL accepted (ACS `Location`, `Destination`, `AssertionConsumerServiceURL`), in
/// bytes: 2048, a little under the 2083 characters Internet Explorer allowed, the historical
/// floor every browser and web server handles (RFC 9110 §4.1 asks servers for at least 8000).
pub const MAX_URL_BYTES: usize = 2048;

/// Longest `RelayState` accepted, in bytes (after percent-decoding): 2048, the URL bound.
///
/// saml-bindings-2.0-os §3.4.3 and §3.5.3 say RelayState "MUST NOT exceed 80 bytes", but
/// service providers routinely carry a return URL in it (SimpleSAMLphp, Okta, AWS's own console
/// links), so the IdP, which only echoes it back, allows what a URL may be.
pub const MAX_RELAY_STATE_BYTES: usize = MAX_URL_BYTES;

/// Longest `Signature` query parameter accepted, in bytes, before percent-decoding: 8192.
/// RSA-8192 (the largest key aws-lc-rs verifies) signs 1024 bytes: 1368 base64 characters,
/// at most 4104 once percent-encoded.
pub const MAX_SIGNATURE_PARAMETER_BYTES: usize = 8192;
