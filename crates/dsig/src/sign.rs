//! Enveloped signing (exclusive C14N), for the responses and metadata fedgate issues.

use std::fmt::Write as _;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use fedgate_xml::c14n::{self, Algorithm as C14n};
use fedgate_xml::{Document, Limits};

use crate::{DigestAlgorithm, Error, SignatureAlgorithm, TrustedKey};

const SAML_ASSERTION_NAMESPACE: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const EXCLUSIVE_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// A private key with its certificate, able to make XML signatures.
pub struct SigningKey {
    inner: Inner,
    certificate_der: Vec<u8>,
}

enum Inner {
    /// An RSA key and the hash it signs with (SHA-256 or SHA-512).
    Rsa(RsaKeyPair, SignatureAlgorithm),
    Ecdsa(EcdsaKeyPair, SignatureAlgorithm),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.inner {
            Inner::Rsa(..) => "rsa",
            Inner::Ecdsa(..) => "ecdsa",
        };
        f.debug_struct("SigningKey")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A key from a PEM `PRIVATE KEY` (PKCS#8) and its PEM `CERTIFICATE`.
    ///
    /// # Errors
    /// [`Error::KeyInvalid`] when either is not such a PEM block, or as
    /// [`SigningKey::from_pkcs8_der`].
    pub fn from_pem(private_key_pem: &str, certificate_pem: &str) -> Result<Self, Error> {
        let block = |text: &str, label: &str| match crate::pem_block(text) {
            Some((found, der)) if found == label => Ok(der),
            _ => Err(Error::KeyInvalid {
                detail: format!("expected a PEM {label} block"),
            }),
        };
        Self::from_pkcs8_der(
            &block(private_key_pem, "PRIVATE KEY")?,
            &block(certificate_pem, "CERTIFICATE")?,
        )
    }

    /// A key from PKCS#8 DER (RSA, or ECDSA on P-256 / P-384) and its DER certificate.
    ///
    /// # Errors
    /// [`Error::KeyInvalid`] when the key cannot be read or does not match the certificate.
    pub fn from_pkcs8_der(pkcs8: &[u8], certificate_der: &[u8]) -> Result<Self, Error> {
        let inner = if let Ok(rsa) = RsaKeyPair::from_pkcs8(pkcs8) {
            Inner::Rsa(rsa, SignatureAlgorithm::RsaSha256)
        } else if let Ok(ec) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
        {
            Inner::Ecdsa(ec, SignatureAlgorithm::EcdsaSha256)
        } else if let Ok(ec) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8)
        {
            Inner::Ecdsa(ec, SignatureAlgorithm::EcdsaSha384)
        } else {
            return Err(Error::KeyInvalid {
                detail: "not an RSA, P-256 or P-384 PKCS#8 private key".to_owned(),
            });
        };
        let key = Self {
            inner,
            certificate_der: certificate_der.to_vec(),
        };
        key.check_matches_certificate()?;
        Ok(key)
    }

    fn check_matches_certificate(&self) -> Result<(), Error> {
        let (_, certificate) =
            x509_parser::parse_x509_certificate(&self.certificate_der).map_err(|error| {
                Error::KeyInvalid {
                    detail: format!("certificate: {error}"),
                }
            })?;
        let certificate_key = certificate
            .tbs_certificate
            .subject_pki
            .subject_public_key
            .data
            .as_ref();
        let own_key: &[u8] = match &self.inner {
            Inner::Rsa(key, _) => key.public_key().as_ref(),
            Inner::Ecdsa(key, _) => key.public_key().as_ref(),
        };
        if certificate_key == own_key {
            Ok(())
        } else {
            Err(Error::KeyInvalid {
                detail: "the private key does not match the certificate".to_owned(),
            })
        }
    }

    /// The trusted-key form of this key's certificate (what a peer puts in its metadata).
    ///
    /// # Errors
    /// As [`TrustedKey::from_certificate_der`].
    pub fn trusted_key(&self) -> Result<TrustedKey, Error> {
        TrustedKey::from_certificate_der(&self.certificate_der)
    }

    /// The DER certificate.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The signature algorithm this key signs with: RSA-SHA256 for RSA keys unless
    /// [`SigningKey::with_rsa_sha512`] was called, ECDSA with the curve's hash otherwise.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        match &self.inner {
            Inner::Rsa(_, algorithm) | Inner::Ecdsa(_, algorithm) => *algorithm,
        }
    }

    /// Signs with RSA-SHA512 and a SHA-512 digest instead of SHA-256.
    ///
    /// # Errors
    /// [`Error::KeyInvalid`] for an ECDSA key.
    pub fn with_rsa_sha512(mut self) -> Result<Self, Error> {
        match &mut self.inner {
            Inner::Rsa(_, algorithm) => *algorithm = SignatureAlgorithm::RsaSha512,
            Inner::Ecdsa(..) => {
                return Err(Error::KeyInvalid {
                    detail: "RSA-SHA512 needs an RSA key".to_owned(),
                });
            }
        }
        Ok(self)
    }

    /// The digest that goes with the signature algorithm.
    fn digest_algorithm(&self) -> DigestAlgorithm {
        match self.algorithm() {
            SignatureAlgorithm::RsaSha512 | SignatureAlgorithm::EcdsaSha512 => {
                DigestAlgorithm::Sha512
            }
            SignatureAlgorithm::EcdsaSha384 | SignatureAlgorithm::RsaSha384 => {
                DigestAlgorithm::Sha384
            }
            _ => DigestAlgorithm::Sha256,
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        let failed = |_| Error::Signing {
            detail: "the crypto library refused to sign".to_owned(),
        };
        match &self.inner {
            Inner::Rsa(key, algorithm) => {
                let encoding = if *algorithm == SignatureAlgorithm::RsaSha512 {
                    &signature::RSA_PKCS1_SHA512
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut out = vec![0; key.public_modulus_len()];
                key.sign(encoding, &rng, message, &mut out)
                    .map_err(failed)?;
                Ok(out)
            }
            Inner::Ecdsa(key, _) => Ok(key.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
        }
    }
}

/// Signs the element whose `ID` is `id` with an enveloped signature (exclusive C14N,
/// SHA-256 digest) and returns the new document text.
///
/// The `ds:Signature` is placed where SAML schemas want it: right after the element's
/// `saml:Issuer` child when it has one, otherwise as its first child.
///
/// # Errors
/// [`Error::Xml`] when `xml` cannot be parsed, [`Error::Signing`] when no element has `id`
/// or the element has no content to place the signature in.
pub fn sign_enveloped(xml: &str, id: &str, key: &SigningKey) -> Result<String, Error> {
    let document = Document::parse(xml, &Limits::default())?;
    let element = document.element_by_id(id).ok_or_else(|| Error::Signing {
        detail: format!("no element has ID {id:?}"),
    })?;

    let algorithm = C14n::Exclusive {
        with_comments: false,
        inclusive_prefixes: Vec::new(),
    };
    let mut canonical = Vec::new();
    c14n::canonicalize(element, &algorithm, None, &mut canonical)?;
    let digest = aws_lc_rs::digest::digest(key.digest_algorithm().aws_lc(), &canonical);

    let b64 = &base64::engine::general_purpose::STANDARD;
    let signed_info = format!(
        concat!(
            r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<ds:SignatureMethod Algorithm="{signature}"/>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<ds:Transform Algorithm="{c14n}"/></ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue>{digest_value}</ds:DigestValue>"#,
            r#"</ds:Reference></ds:SignedInfo>"#
        ),
        c14n = EXCLUSIVE_C14N,
        signature = key.algorithm().uri(),
        id = escape_attribute(id),
        digest = key.digest_algorithm().uri(),
        digest_value = b64.encode(digest.as_ref()),
    );
    // Exclusive C14N of SignedInfo depends only on what it uses (the ds prefix it declares
    // itself), so the standalone form canonicalizes exactly as it will in place.
    let signed_info_document = Document::parse(&signed_info, &Limits::default())?;
    canonical.clear();
    c14n::canonicalize(
        signed_info_document.root_element(),
        &algorithm,
        None,
        &mut canonical,
    )?;
    let signature_value = key.sign(&canonical)?;

    let mut signature = String::with_capacity(signed_info.len() + 2048);
    signature.push_str(r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#);
    signature.push_str(&signed_info);
    let _ = write!(
        signature,
        "<ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        b64.encode(signature_value),
        b64.encode(&key.certificate_der),
    );

    let issuer = element
        .children()
        .next()
        .filter(|first| first.is(SAML_ASSERTION_NAMESPACE, "Issuer"));
    let insert_at = match issuer {
        Some(issuer) => issuer.range().end,
        None => element.content_start().ok_or_else(|| Error::Signing {
            detail: "the element to sign has no content".to_owned(),
        })?,
    };
    let (before, after) = (xml.get(..insert_at), xml.get(insert_at..));
    let (Some(before), Some(after)) = (before, after) else {
        return Err(Error::Signing {
            detail: "insertion point outside the document".to_owned(),
        });
    };
    Ok([before, signature.as_str(), after].concat())
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}
