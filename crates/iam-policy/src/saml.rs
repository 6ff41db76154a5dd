//! The `saml:*` condition keys of a SAML sign-in (spec/aws-federation.md §1.4 and §3.6).
//!
//! This crate does not depend on the SAML crate: the caller copies the few validated values it
//! needs into [`SamlContextInput`] (one struct literal from a validated assertion).
//!
//! Decisions where AWS is silent or inconsistent (ours):
//! - `saml:sub_type` when `NameID` has no `Format`: SAML core §8.3.1 says the format is then
//!   `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`, and that URN is the value.
//! - The AWS attribute table maps the `…/claims/primarygroupsid` claim to `saml:uid`, while the
//!   key list has a separate `saml:primaryGroupSID`; we map that claim to `saml:primaryGroupSID`
//!   and `urn:oid:0.9.2342.19200300.100.1.1` to `saml:uid`.
//! - The table prints the givenName OID as `2.4.5.42`; the X.500 OID is `2.5.4.42`, which is
//!   what IdPs send. The mail OID is `0.9.2342.19200300.100.1.3`.
//! - A single-valued key fed by an attribute with several values takes the first value; when
//!   two attributes map to one key the first in document order wins ("only one is mapped").
//! - The `<Audience>` values are not a condition key (`saml:aud` is the `Recipient`); the
//!   field exists so callers can copy a validated assertion in one step.

use aws_lc_rs::digest;
use base64::Engine as _;

use crate::context::ContextValue;

/// The NameID format prefix AWS strips for `saml:sub_type`.
pub const NAMEID_FORMAT_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

/// The NameID format in effect when `Format` is absent (SAML core §8.3.1).
pub const NAMEID_FORMAT_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// Values from a validated SAML assertion that feed the `saml:*` keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlContextInput {
    /// `Assertion/Issuer`.
    pub issuer: String,
    /// `Subject/NameID` text.
    pub subject: String,
    /// `NameID/@Format`, raw (prefix not stripped).
    pub subject_format: Option<String>,
    /// `SubjectConfirmationData/@Recipient` (becomes `saml:aud`).
    pub recipient: String,
    /// `AudienceRestriction/Audience` values (not a condition key).
    pub audiences: Vec<String>,
    /// The IAM SAML provider ARN (`arn:aws:iam::<acct>:saml-provider/<Name>`).
    pub provider_arn: String,
    /// The account owning the provider.
    pub account_id: String,
    /// Attributes: `Attribute/@Name` → `AttributeValue` texts, in document order.
    pub attributes: Vec<(String, Vec<String>)>,
}

/// Attribute names → (key, multi-valued), from the AWS key list (§3.6).
const ATTRIBUTE_KEYS: [(&str, &str, bool); 29] = [
    ("urn:oid:2.5.4.3", "saml:cn", true),
    (
        "http://schemas.xmlsoap.org/claims/CommonName",
        "saml:commonName",
        true,
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "saml:name",
        true,
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "saml:givenName",
        true,
    ),
    ("urn:oid:2.5.4.42", "saml:givenName", true),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "saml:surname",
        true,
    ),
    ("urn:oid:2.5.4.4", "saml:surname", true),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "saml:mail",
        true,
    ),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail", true),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid", true),
    (
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid",
        "saml:primaryGroupSID",
        true,
    ),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier", true),
    (
        "urn:oid:0.9.2342.19200300.100.1.45",
        "saml:organizationStatus",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.2",
        "saml:edupersonnickname",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.3",
        "saml:edupersonorgdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.2",
        "saml:eduorghomepageuri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
        "saml:eduorgidentityauthnpolicyuri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.4",
        "saml:eduorglegalname",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.5",
        "saml:eduorgsuperioruri",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.2.1.6",
        "saml:eduorgwhitepagesuri",
        true,
    ),
];

/// The friendly name of a provider: the part of its ARN after the last `/`.
#[must_use]
pub fn provider_name(provider_arn: &str) -> &str {
    provider_arn.rsplit('/').next().unwrap_or(provider_arn)
}

/// `saml:namequalifier` = `Base64(SHA1(issuer + account_id + "/" + provider_name))`, standard
/// base64 with padding (STS API reference pseudocode).
#[must_use]
pub fn name_qualifier(issuer: &str, account_id: &str, provider_name: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(issuer.as_bytes());
    ctx.update(account_id.as_bytes());
    ctx.update(b"/");
    ctx.update(provider_name.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(ctx.finish().as_ref())
}

/// `saml:sub_type` from a raw `NameID/@Format`.
#[must_use]
pub fn subject_type(format: Option<&str>) -> &str {
    let format = format.unwrap_or(NAMEID_FORMAT_UNSPECIFIED);
    format.strip_prefix(NAMEID_FORMAT_PREFIX).unwrap_or(format)
}

/// Builds the `saml:*` keys (AWS spelling; the context lower-cases them).
#[must_use]
pub fn saml_keys(input: &SamlContextInput) -> Vec<(&'static str, ContextValue)> {
    let name = provider_name(&input.provider_arn);
    let mut keys: Vec<(&'static str, ContextValue)> = vec![
        ("saml:aud", ContextValue::Single(input.recipient.clone())),
        ("saml:iss", ContextValue::Single(input.issuer.clone())),
        ("saml:sub", ContextValue::Single(input.subject.clone())),
        (
            "saml:sub_type",
            ContextValue::Single(subject_type(input.subject_format.as_deref()).to_owned()),
        ),
        (
            "saml:doc",
            ContextValue::Single(format!("{}/{name}", input.account_id)),
        ),
        (
            "saml:namequalifier",
            ContextValue::Single(name_qualifier(&input.issuer, &input.account_id, name)),
        ),
    ];
    for (attribute, values) in &input.attributes {
        let Some((_, key, multi)) = ATTRIBUTE_KEYS.iter().find(|(a, _, _)| a == attribute) else {
            continue;
        };
        if keys.iter().any(|(k, _)| k == key) {
            continue;
        }
        let value = if *multi {
            ContextValue::Multi(values.clone())
        } else {
            match values.first() {
                Some(first) => ContextValue::Single(first.clone()),
                None => continue,
            }
        };
        keys.push((key, value));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_name_qualifier_like_the_sts_pseudocode() {
        // BASE64(SHA1("https://example.com/saml" + "123456789012" + "/MySAMLIdP"))
        let expected = {
            let d = digest::digest(
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                b"https://example.com/saml123456789012/MySAMLIdP",
            );
            base64::engine::general_purpose::STANDARD.encode(d.as_ref())
        };
        assert_eq!(
            name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            expected
        );
        assert_eq!(expected.len(), 28);
        assert!(expected.ends_with('='));
    }

    #[test]
    fn strips_the_saml2_nameid_prefix_only() {
        assert_eq!(
            subject_type(Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")),
            "persistent"
        );
        assert_eq!(
            subject_type(Some(
                "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
            )),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
        );
        assert_eq!(subject_type(None), NAMEID_FORMAT_UNSPECIFIED);
    }

    #[test]
    fn names_the_provider_after_the_last_slash() {
        assert_eq!(
            provider_name("arn:aws:iam::123456789012:saml-provider/Okta"),
            "Okta"
        );
    }
}
