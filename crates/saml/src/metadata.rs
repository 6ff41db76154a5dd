//! Identity-provider metadata: `md:EntityDescriptor` and `md:EntitiesDescriptor`.
//!
//! Only what verification needs is read: the entity ID, the signing certificates of the
//! `IDPSSODescriptor` (`KeyDescriptor use="signing"` or without `use`; several for key
//! rotation) and `validUntil`. Metadata is configuration an administrator uploads: its own
//! signature is not checked here.

use fedgate_dsig::{DSIG_NAMESPACE, TrustedKey, decode_base64};
use fedgate_xml::{Document, Element, Limits};

use crate::{Error, IdentityProvider, METADATA_NS, parse_date_time};

/// Most entities read from one metadata document (an aggregate larger than this belongs in a
/// metadata-query service, not in one upload).
pub const MAX_ENTITIES: usize = 1000;

/// Most signing keys per provider (AWS allows a handful for rotation).
pub const MAX_KEYS_PER_PROVIDER: usize = 16;

/// Reads every identity provider in a metadata document.
///
/// # Errors
/// [`Error::MetadataInvalid`] when the document is not SAML metadata or names no identity
/// provider; [`Error::MetadataNoSigningKey`] when a provider has no signing certificate;
/// [`Error::Key`] when a certificate is unusable (including RSA keys under 2048 bits).
pub fn parse_metadata(xml: &str, limits: &Limits) -> Result<Vec<IdentityProvider>, Error> {
    parse_metadata_with(xml, limits, RsaKeys::Standard)
}

/// Which RSA signing keys a reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaKeys {
    /// At least 2048 bits.
    Standard,
    /// Down to 1024 bits, and the providers read are weakened to verify with them: only
    /// through [`crate::danger`].
    DangerousWeak,
}

pub(crate) fn parse_metadata_with(
    xml: &str,
    limits: &Limits,
    rsa: RsaKeys,
) -> Result<Vec<IdentityProvider>, Error> {
    let document = Document::parse(xml.trim_start_matches('\u{feff}'), limits)?;
    let root = document.root_element();
    let mut providers = Vec::new();
    collect(root, None, rsa, &mut providers)?;
    if providers.is_empty() {
        return Err(Error::MetadataInvalid {
            detail: "no IDPSSODescriptor found".to_owned(),
        });
    }
    Ok(providers)
}

fn collect(
    element: Element<'_, '_>,
    inherited_valid_until: Option<time::OffsetDateTime>,
    rsa: RsaKeys,
    providers: &mut Vec<IdentityProvider>,
) -> Result<(), Error> {
    let valid_until = match element.attribute("validUntil") {
        Some(value) => Some(
            parse_date_time(value).ok_or_else(|| Error::MetadataInvalid {
                detail: format!("validUntil {value:?} is not a date-time"),
            })?,
        ),
        None => None,
    };
    // The earliest validUntil of the entity and its enclosing groups applies.
    let valid_until = match (valid_until, inherited_valid_until) {
        (Some(own), Some(inherited)) => Some(own.min(inherited)),
        (own, inherited) => own.or(inherited),
    };
    if element.is(METADATA_NS, "EntitiesDescriptor") {
        for child in element.children() {
            if child.is(METADATA_NS, "EntitiesDescriptor")
                || child.is(METADATA_NS, "EntityDescriptor")
            {
                collect(child, valid_until, rsa, providers)?;
            }
        }
        return Ok(());
    }
    if !element.is(METADATA_NS, "EntityDescriptor") {
        return Err(Error::MetadataInvalid {
            detail: format!(
                "expected md:EntityDescriptor or md:EntitiesDescriptor, found <{}>",
                element.local_name()
            ),
        });
    }
    let entity_id = element
        .attribute("entityID")
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Error::MetadataInvalid {
            detail: "EntityDescriptor without entityID".to_owned(),
        })?;
    for descriptor in element.children_named(METADATA_NS, "IDPSSODescriptor") {
        if providers.len() >= MAX_ENTITIES {
            return Err(Error::MetadataInvalid {
                detail: format!("more than {MAX_ENTITIES} identity providers"),
            });
        }
        let keys = signing_keys(descriptor, rsa)?;
        let mut provider =
            IdentityProvider::new(Some(entity_id.to_owned()), keys)?.with_valid_until(valid_until);
        if rsa == RsaKeys::DangerousWeak {
            provider = provider.dangerous_allow_weak_rsa();
        }
        providers.push(provider);
    }
    Ok(())
}

/// The certificates of a descriptor's `KeyDescriptor`s with `use="signing"` or no `use`
/// (`ds:KeyInfo` / `ds:X509Data` / `ds:X509Certificate`), at most [`MAX_KEYS_PER_PROVIDER`]:
/// for an IdP's descriptor here and an SP's in [`crate::idp::parse_sp_metadata`].
pub(crate) fn signing_keys(
    descriptor: Element<'_, '_>,
    rsa: RsaKeys,
) -> Result<Vec<TrustedKey>, Error> {
    let mut keys = Vec::new();
    for key_descriptor in descriptor.children_named(METADATA_NS, "KeyDescriptor") {
        if key_descriptor
            .attribute("use")
            .is_some_and(|usage| usage != "signing")
        {
            continue;
        }
        let certificates = key_descriptor
            .children_named(DSIG_NAMESPACE, "KeyInfo")
            .flat_map(|key_info| {
                key_info
                    .children_named(DSIG_NAMESPACE, "X509Data")
                    .collect::<Vec<_>>()
            })
            .flat_map(|data| {
                data.children_named(DSIG_NAMESPACE, "X509Certificate")
                    .collect::<Vec<_>>()
            });
        for certificate in certificates {
            let der =
                decode_base64(&certificate.text()?).ok_or_else(|| Error::MetadataInvalid {
                    detail: "X509Certificate is not base64".to_owned(),
                })?;
            if keys.len() >= MAX_KEYS_PER_PROVIDER {
                return Err(Error::MetadataInvalid {
                    detail: format!("more than {MAX_KEYS_PER_PROVIDER} signing keys"),
                });
            }
            keys.push(certificate_key(&der, rsa)?);
        }
    }
    Ok(keys)
}

/// Reads a trusted key from a certificate or public key file: PEM (`CERTIFICATE` or
/// `PUBLIC KEY`) or DER (certificate or SubjectPublicKeyInfo).
///
/// # Errors
/// [`Error::Key`] when the content is none of these, or the key is unusable.
pub fn trusted_key_from_file_content(content: &[u8]) -> Result<TrustedKey, Error> {
    key_from_file_content(content, RsaKeys::Standard)
}

fn certificate_key(der: &[u8], rsa: RsaKeys) -> Result<TrustedKey, Error> {
    match rsa {
        RsaKeys::Standard => TrustedKey::from_certificate_der(der),
        RsaKeys::DangerousWeak => TrustedKey::dangerous_from_certificate_der_allowing_weak_rsa(der),
    }
    .map_err(Error::Key)
}

fn spki_key(der: &[u8], rsa: RsaKeys) -> Result<TrustedKey, Error> {
    match rsa {
        RsaKeys::Standard => TrustedKey::from_spki_der(der),
        RsaKeys::DangerousWeak => TrustedKey::dangerous_from_spki_der_allowing_weak_rsa(der),
    }
    .map_err(Error::Key)
}

pub(crate) fn key_from_file_content(content: &[u8], rsa: RsaKeys) -> Result<TrustedKey, Error> {
    let invalid = |detail: &str| {
        Error::Key(fedgate_dsig::Error::KeyInvalid {
            detail: detail.to_owned(),
        })
    };
    if let Ok(text) = std::str::from_utf8(content) {
        if let Some((label, der)) = fedgate_dsig::pem_block(text) {
            return match label {
                "CERTIFICATE" => certificate_key(&der, rsa),
                "PUBLIC KEY" => spki_key(&der, rsa),
                _ => Err(invalid(&format!("unsupported PEM block {label:?}"))),
            };
        }
        if !text.trim().is_empty()
            && text
                .trim()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b))
        {
            // A bare base64 certificate, as pasted from metadata.
            if let Some(der) = decode_base64(text) {
                return certificate_key(&der, rsa);
            }
        }
    }
    match certificate_key(content, rsa) {
        Ok(key) => Ok(key),
        Err(weak @ Error::Key(fedgate_dsig::Error::KeyTooWeak { .. })) => Err(weak),
        Err(certificate_error) => spki_key(content, rsa).map_err(|_| certificate_error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_metadata() {
        let err = parse_metadata("<a/>", &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "metadata_invalid");
    }

    #[test]
    fn rejects_provider_without_signing_key() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
        let err = parse_metadata(xml, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "metadata_no_signing_key");
    }

    #[test]
    fn rejects_metadata_with_only_an_sp() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.test"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
        assert_eq!(
            parse_metadata(xml, &Limits::default()).unwrap_err().code(),
            "metadata_invalid"
        );
    }
}
