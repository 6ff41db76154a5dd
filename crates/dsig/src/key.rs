//! Trusted verification keys, taken from IdP metadata or configured certificates.

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};

use crate::{Error, SignatureAlgorithm};

/// The smallest RSA modulus accepted, in bits (NIST SP 800-131A; SAML IdPs have used 2048
/// bits by default for over a decade).
pub const MIN_RSA_BITS: usize = 2048;

/// The smallest RSA modulus the `dangerous_` constructors of [`crate::danger`] accept, in bits:
/// 1024, the smallest key aws-lc-rs verifies at all (its `…_1024_8192_…_FOR_LEGACY_USE_ONLY`
/// algorithms) and what older IdPs and the test suites of other SAML libraries still use.
pub const MIN_WEAK_RSA_BITS: usize = 1024;

/// Which RSA moduli a constructor accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaFloor {
    /// At least [`MIN_RSA_BITS`]: every public constructor outside [`crate::danger`].
    Standard,
    /// At least [`MIN_WEAK_RSA_BITS`]: only the `dangerous_` constructors.
    DangerousWeak,
}

/// The kind of a trusted key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with the modulus length in bits.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
    /// ECDSA on P-521.
    EcP521,
}

/// A public key the caller trusts, parsed once for every hash it may be used with.
///
/// INVARIANT: RSA keys are at least [`MIN_RSA_BITS`] long, except those made by the
/// `dangerous_` constructors of [`crate::danger`] (at least [`MIN_WEAK_RSA_BITS`]); a shorter key
/// verifies nothing unless the [`Policy`](crate::Policy) also allows weak RSA
/// ([`Policy::dangerous_allow_weak_rsa`](crate::Policy::dangerous_allow_weak_rsa)).
#[derive(Clone)]
pub struct TrustedKey {
    kind: KeyKind,
    /// The certificate the key came from, if any: compared byte for byte with a certificate
    /// in a message's `KeyInfo` (to diagnose, never to trust).
    certificate_der: Option<Vec<u8>>,
    /// Parsed keys by hash: SHA-1, SHA-256, SHA-384, SHA-512 (None where the pair is not
    /// supported, e.g. ECDSA P-384 with SHA-1).
    parsed: [Option<ParsedPublicKey>; 4],
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kind", &self.kind)
            .field("has_certificate", &self.certificate_der.is_some())
            .finish_non_exhaustive()
    }
}

const RSA_ALGORITHMS: [&dyn VerificationAlgorithm; 4] = [
    &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
    &signature::RSA_PKCS1_2048_8192_SHA256,
    &signature::RSA_PKCS1_2048_8192_SHA384,
    &signature::RSA_PKCS1_2048_8192_SHA512,
];
/// RSA keys of [`MIN_WEAK_RSA_BITS`] to [`MIN_RSA_BITS`] bits: aws-lc-rs has no SHA-384 variant.
const WEAK_RSA_ALGORITHMS: [Option<&dyn VerificationAlgorithm>; 4] = [
    Some(&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
    Some(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
    None,
    Some(&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
];
const P256_ALGORITHMS: [Option<&dyn VerificationAlgorithm>; 4] = [
    Some(&signature::ECDSA_P256_SHA1_ASN1),
    Some(&signature::ECDSA_P256_SHA256_ASN1),
    Some(&signature::ECDSA_P256_SHA384_ASN1),
    Some(&signature::ECDSA_P256_SHA512_ASN1),
];
const P384_ALGORITHMS: [Option<&dyn VerificationAlgorithm>; 4] = [
    None,
    Some(&signature::ECDSA_P384_SHA256_ASN1),
    Some(&signature::ECDSA_P384_SHA384_ASN1),
    Some(&signature::ECDSA_P384_SHA512_ASN1),
];
const P521_ALGORITHMS: [Option<&dyn VerificationAlgorithm>; 4] = [
    Some(&signature::ECDSA_P521_SHA1_ASN1),
    Some(&signature::ECDSA_P521_SHA256_ASN1),
    Some(&signature::ECDSA_P521_SHA384_ASN1),
    Some(&signature::ECDSA_P521_SHA512_ASN1),
];

impl TrustedKey {
    /// A key from a DER X.509 certificate. Validity periods and chains are not checked: SAML
    /// metadata trust is key-based.
    ///
    /// # Errors
    /// [`Error::KeyInvalid`] for an unreadable certificate or an unsupported key type,
    /// [`Error::KeyTooWeak`] for RSA keys under 2048 bits.
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, Error> {
        Self::certificate_der_with(der, RsaFloor::Standard)
    }

    /// A key from a DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// As [`TrustedKey::from_certificate_der`].
    pub fn from_spki_der(spki: &[u8]) -> Result<Self, Error> {
        Self::spki_der_with(spki, RsaFloor::Standard)
    }

    pub(crate) fn certificate_der_with(der: &[u8], floor: RsaFloor) -> Result<Self, Error> {
        let (rest, certificate) =
            x509_parser::parse_x509_certificate(der).map_err(|error| Error::KeyInvalid {
                detail: format!("certificate: {error}"),
            })?;
        if !rest.is_empty() {
            return Err(Error::KeyInvalid {
                detail: "trailing data after the certificate".to_owned(),
            });
        }
        let mut key = Self::spki_der_with(certificate.tbs_certificate.subject_pki.raw, floor)?;
        key.certificate_der = Some(der.to_vec());
        Ok(key)
    }

    pub(crate) fn spki_der_with(spki: &[u8], floor: RsaFloor) -> Result<Self, Error> {
        let (_, info) =
            <x509_parser::x509::SubjectPublicKeyInfo<'_> as x509_parser::prelude::FromDer<
                '_,
                x509_parser::error::X509Error,
            >>::from_der(spki)?;
        let parsed_key = info.parsed().map_err(|error| Error::KeyInvalid {
            detail: format!("public key: {error}"),
        })?;
        match parsed_key {
            x509_parser::public_key::PublicKey::RSA(rsa) => {
                let bits = rsa.key_size();
                let floor_bits = match floor {
                    RsaFloor::Standard => MIN_RSA_BITS,
                    RsaFloor::DangerousWeak => MIN_WEAK_RSA_BITS,
                };
                if bits < floor_bits {
                    return Err(Error::KeyTooWeak { bits });
                }
                let mut parsed: [Option<ParsedPublicKey>; 4] = Default::default();
                if bits < MIN_RSA_BITS {
                    for (slot, algorithm) in parsed.iter_mut().zip(WEAK_RSA_ALGORITHMS) {
                        *slot = algorithm
                            .map(|algorithm| parse(algorithm, spki))
                            .transpose()?;
                    }
                } else {
                    for (slot, algorithm) in parsed.iter_mut().zip(RSA_ALGORITHMS) {
                        *slot = Some(parse(algorithm, spki)?);
                    }
                }
                Ok(Self {
                    kind: KeyKind::Rsa { bits },
                    certificate_der: None,
                    parsed,
                })
            }
            x509_parser::public_key::PublicKey::EC(_) => {
                for (kind, algorithms) in [
                    (KeyKind::EcP256, P256_ALGORITHMS),
                    (KeyKind::EcP384, P384_ALGORITHMS),
                    (KeyKind::EcP521, P521_ALGORITHMS),
                ] {
                    let Some(Some(probe)) = algorithms.get(1) else {
                        continue;
                    };
                    if ParsedPublicKey::new(*probe, spki).is_err() {
                        continue;
                    }
                    let mut parsed: [Option<ParsedPublicKey>; 4] = Default::default();
                    for (slot, algorithm) in parsed.iter_mut().zip(algorithms) {
                        *slot = algorithm
                            .map(|algorithm| parse(algorithm, spki))
                            .transpose()?;
                    }
                    return Ok(Self {
                        kind,
                        certificate_der: None,
                        parsed,
                    });
                }
                Err(Error::KeyInvalid {
                    detail: "unsupported elliptic curve".to_owned(),
                })
            }
            _ => Err(Error::KeyInvalid {
                detail: "only RSA and ECDSA keys are supported".to_owned(),
            }),
        }
    }

    /// The kind and size of the key.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The modulus length of an RSA key shorter than [`MIN_RSA_BITS`] (one only a `dangerous_`
    /// constructor makes), `None` for every other key.
    pub fn weak_rsa_bits(&self) -> Option<usize> {
        match self.kind {
            KeyKind::Rsa { bits } if bits < MIN_RSA_BITS => Some(bits),
            _ => None,
        }
    }

    /// The DER certificate the key came from, if it came from one.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.certificate_der.as_deref()
    }

    /// Verifies a detached signature: `signature` over the octets `message`, as the SAML
    /// HTTP-Redirect binding signs its query string (saml-bindings-2.0-os §3.4.4.1).
    ///
    /// `algorithm` names the hash and key type, as the binding's `SigAlg` does with an XML-DSig
    /// URI; `signature` is in XML-DSig form, so raw `r‖s` for ECDSA (RFC 4051 §3.3), PKCS#1
    /// v1.5 for RSA.
    ///
    /// Stricter than [`verify_enveloped`](crate::verify_enveloped) under its default
    /// [`Policy`](crate::Policy), with no way to weaken it: there is no policy parameter, so
    /// SHA-1 is refused outright and so is an RSA key under [`MIN_RSA_BITS`] (one made by a
    /// `dangerous_` constructor).
    ///
    /// # Errors
    /// [`Error::Sha1NotAllowed`] for a SHA-1 algorithm, [`Error::KeyTooWeak`] for such an RSA
    /// key, [`Error::SignatureInvalid`] when the signature does not verify with this key
    /// (including an algorithm for the other key type).
    pub fn verify_detached(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if algorithm.is_sha1() {
            return Err(Error::Sha1NotAllowed {
                uri: algorithm.uri().to_owned(),
            });
        }
        if let Some(bits) = self.weak_rsa_bits() {
            return Err(Error::KeyTooWeak { bits });
        }
        if self.verify(algorithm, message, signature) {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }

    /// Verifies `signature` (XML-DSig form: raw `r‖s` for ECDSA) over `message`.
    pub(crate) fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature_value: &[u8],
    ) -> bool {
        let is_rsa_key = matches!(self.kind, KeyKind::Rsa { .. });
        if algorithm.is_rsa() != is_rsa_key {
            return false;
        }
        let Some(Some(key)) = self.parsed.get(algorithm.hash_index()) else {
            return false;
        };
        if is_rsa_key {
            return key.verify_sig(message, signature_value).is_ok();
        }
        match fixed_to_asn1(signature_value) {
            Some(der) => key.verify_sig(message, &der).is_ok(),
            None => false,
        }
    }
}

fn parse(
    algorithm: &'static dyn VerificationAlgorithm,
    spki: &[u8],
) -> Result<ParsedPublicKey, Error> {
    ParsedPublicKey::new(algorithm, spki).map_err(|error| Error::KeyInvalid {
        detail: format!("public key: {error}"),
    })
}

impl From<x509_parser::nom::Err<x509_parser::error::X509Error>> for Error {
    fn from(error: x509_parser::nom::Err<x509_parser::error::X509Error>) -> Self {
        Self::KeyInvalid {
            detail: format!("public key info: {error}"),
        }
    }
}

/// Converts an XML-DSig ECDSA signature (`r‖s`, each half the same length) into the DER
/// `ECDSA-Sig-Value` aws-lc-rs verifies; `None` for an odd or empty length.
fn fixed_to_asn1(fixed: &[u8]) -> Option<Vec<u8>> {
    if fixed.is_empty() || !fixed.len().is_multiple_of(2) || fixed.len() > 2 * 66 {
        return None;
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let mut body = Vec::with_capacity(fixed.len() + 8);
    der_integer(r, &mut body);
    der_integer(s, &mut body);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    der_length(body.len(), &mut out);
    out.extend_from_slice(&body);
    Some(out)
}

fn der_integer(unsigned_be: &[u8], out: &mut Vec<u8>) {
    let first_nonzero = unsigned_be
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(unsigned_be.len());
    let digits = unsigned_be.get(first_nonzero..).unwrap_or_default();
    let needs_pad = digits.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(0x02);
    der_length(digits.len() + usize::from(needs_pad), out);
    if needs_pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

fn der_length(len: usize, out: &mut Vec<u8>) {
    // Lengths here are at most 2 * (66 + 3) + 2 bytes: one or two length octets.
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        out.push(0x81);
        out.push(u8::try_from(len).unwrap_or(0xff));
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};

    use super::*;

    const MESSAGE: &[u8] = b"SAMLRequest=abc&RelayState=%2Fhome&SigAlg=x";

    fn generated(algorithm: &'static rcgen::SignatureAlgorithm) -> (Vec<u8>, TrustedKey) {
        let key_pair = rcgen::KeyPair::generate_for(algorithm).unwrap();
        let params = rcgen::CertificateParams::new(vec!["sp.example.test".to_owned()]).unwrap();
        let certificate = params.self_signed(&key_pair).unwrap();
        let trusted = TrustedKey::from_certificate_der(certificate.der()).unwrap();
        (key_pair.serialize_der(), trusted)
    }

    fn rsa_sign(pkcs8: &[u8], encoding: &'static dyn signature::RsaEncoding) -> Vec<u8> {
        let key = RsaKeyPair::from_pkcs8(pkcs8).unwrap();
        let mut out = vec![0; key.public_modulus_len()];
        key.sign(encoding, &SystemRandom::new(), MESSAGE, &mut out)
            .unwrap();
        out
    }

    #[test]
    fn verify_detached_accepts_rsa_and_refuses_changed_octets_and_other_keys() {
        let (pkcs8, trusted) = generated(&rcgen::PKCS_RSA_SHA256);
        let (_, other) = generated(&rcgen::PKCS_RSA_SHA256);
        let value = rsa_sign(&pkcs8, &signature::RSA_PKCS1_SHA256);
        let algorithm = SignatureAlgorithm::RsaSha256;
        assert_eq!(trusted.verify_detached(algorithm, MESSAGE, &value), Ok(()));
        assert_eq!(
            trusted.verify_detached(algorithm, b"SAMLRequest=abd", &value),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            other.verify_detached(algorithm, MESSAGE, &value),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            trusted.verify_detached(SignatureAlgorithm::RsaSha512, MESSAGE, &value),
            Err(Error::SignatureInvalid),
            "the algorithm named must be the one used"
        );
    }

    #[test]
    fn verify_detached_accepts_ecdsa_in_xml_dsig_form() {
        let (pkcs8, trusted) = generated(&rcgen::PKCS_ECDSA_P256_SHA256);
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).unwrap();
        let value = key.sign(&SystemRandom::new(), MESSAGE).unwrap();
        assert_eq!(value.as_ref().len(), 64, "r‖s");
        assert_eq!(
            trusted.verify_detached(SignatureAlgorithm::EcdsaSha256, MESSAGE, value.as_ref()),
            Ok(())
        );
        assert_eq!(
            trusted.verify_detached(SignatureAlgorithm::RsaSha256, MESSAGE, value.as_ref()),
            Err(Error::SignatureInvalid),
            "an RSA algorithm never verifies with an EC key"
        );
    }

    #[test]
    fn verify_detached_refuses_sha1_before_any_verification() {
        let (pkcs8, trusted) = generated(&rcgen::PKCS_RSA_SHA256);
        let value = rsa_sign(&pkcs8, &signature::RSA_PKCS1_SHA256);
        for algorithm in [SignatureAlgorithm::RsaSha1, SignatureAlgorithm::EcdsaSha1] {
            assert_eq!(
                trusted.verify_detached(algorithm, MESSAGE, &value),
                Err(Error::Sha1NotAllowed {
                    uri: algorithm.uri().to_owned()
                })
            );
        }
    }

    #[test]
    fn verify_detached_refuses_weak_rsa_keys() {
        let weak = include_str!("../../../tests/keys/weak-rsa1024.cert.pem");
        let (_, der) = crate::pem_block(weak).unwrap();
        let key = TrustedKey::dangerous_from_certificate_der_allowing_weak_rsa(&der).unwrap();
        assert_eq!(
            key.verify_detached(SignatureAlgorithm::RsaSha256, MESSAGE, &[0; 128]),
            Err(Error::KeyTooWeak { bits: 1024 })
        );
    }
}
