//! This identity provider's metadata (saml-metadata-2.0-os §2.4.3 `IDPSSODescriptor`), what
//! service providers (and fedgate's own SP side, [`crate::metadata::parse_metadata`]) import.

use base64::Engine as _;
use fedgate_dsig::DSIG_NAMESPACE;

use super::authn_request::HTTP_POST;
use super::text::{push_attribute, push_text_element};
use crate::{METADATA_NS, PROTOCOL_NS};

const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// The name identifier formats offered (saml-core-2.0-os §8.3).
const NAME_ID_FORMATS: [&str; 4] = [
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
];

/// An `md:EntityDescriptor` for this identity provider: an `IDPSSODescriptor` for SAML 2.0
/// with `WantAuthnRequestsSigned`, the signing certificate in a `KeyDescriptor use="signing"`,
/// the name identifier formats offered (persistent, transient, emailAddress, unspecified) and a
/// `SingleSignOnService` for HTTP-Redirect and one for HTTP-POST. Unsigned, without
/// `validUntil` (both need a key or a clock the caller holds). Every value is escaped.
pub fn idp_metadata(
    entity_id: &str,
    sso_redirect_url: &str,
    sso_post_url: &str,
    signing_certificate_der: &[u8],
    want_authn_requests_signed: bool,
) -> String {
    let certificate = base64::engine::general_purpose::STANDARD.encode(signing_certificate_der);
    let mut out = String::with_capacity(2048 + certificate.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor");
    push_attribute(&mut out, "xmlns:md", METADATA_NS);
    push_attribute(&mut out, "xmlns:ds", DSIG_NAMESPACE);
    push_attribute(&mut out, "entityID", entity_id);
    out.push_str(">\n  <md:IDPSSODescriptor");
    push_attribute(
        &mut out,
        "WantAuthnRequestsSigned",
        if want_authn_requests_signed {
            "true"
        } else {
            "false"
        },
    );
    push_attribute(&mut out, "protocolSupportEnumeration", PROTOCOL_NS);
    out.push_str(
        ">\n    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>",
    );
    // Lines of 64 characters, as PEM: base64 is ASCII, so every chunk is a str boundary.
    for (index, line) in certificate.as_bytes().chunks(64).enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
    }
    out.push_str("</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n");
    for format in NAME_ID_FORMATS {
        out.push_str("    ");
        push_text_element(&mut out, "md:NameIDFormat", format);
        out.push('\n');
    }
    for (binding, location) in [(HTTP_REDIRECT, sso_redirect_url), (HTTP_POST, sso_post_url)] {
        out.push_str("    <md:SingleSignOnService");
        push_attribute(&mut out, "Binding", binding);
        push_attribute(&mut out, "Location", location);
        out.push_str("/>\n");
    }
    out.push_str("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n");
    out
}
