//! The algorithm allow-lists and their URIs.
//!
//! Anything not named here is refused: HMAC (a public key used as an HMAC secret is the
//! classic key-confusion attack), DSA, MD5, RIPEMD, XPath/XSLT/Base64 transforms.

use crate::Error;

/// Digest algorithms accepted in `Reference/DigestMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// SHA-1; refused unless the caller allows SHA-1.
    Sha1,
    /// SHA-224 (xmldsig-more).
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Looks up a `DigestMethod/@Algorithm` URI.
    ///
    /// # Errors
    /// [`Error::AlgorithmForbidden`] for any URI outside the allow-list.
    pub fn from_uri(uri: &str) -> Result<Self, Error> {
        Ok(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => Self::Sha1,
            "http://www.w3.org/2001/04/xmldsig-more#sha224" => Self::Sha224,
            "http://www.w3.org/2001/04/xmlenc#sha256" => Self::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Self::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => Self::Sha512,
            _ => {
                return Err(Error::AlgorithmForbidden {
                    uri: uri.to_owned(),
                });
            }
        })
    }

    /// The URI of the algorithm.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha224 => "http://www.w3.org/2001/04/xmldsig-more#sha224",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    /// Whether this is SHA-1.
    pub fn is_sha1(self) -> bool {
        self == Self::Sha1
    }

    pub(crate) fn aws_lc(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Self::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha224 => &aws_lc_rs::digest::SHA224,
            Self::Sha256 => &aws_lc_rs::digest::SHA256,
            Self::Sha384 => &aws_lc_rs::digest::SHA384,
            Self::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}

/// Signature algorithms accepted in `SignedInfo/SignatureMethod`: RSA PKCS#1 v1.5 and ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// `rsa-sha1`; refused unless the caller allows SHA-1.
    RsaSha1,
    /// `rsa-sha256`.
    RsaSha256,
    /// `rsa-sha384`.
    RsaSha384,
    /// `rsa-sha512`.
    RsaSha512,
    /// `ecdsa-sha1`; refused unless the caller allows SHA-1.
    EcdsaSha1,
    /// `ecdsa-sha256`.
    EcdsaSha256,
    /// `ecdsa-sha384`.
    EcdsaSha384,
    /// `ecdsa-sha512`.
    EcdsaSha512,
}

impl SignatureAlgorithm {
    /// Looks up a `SignatureMethod/@Algorithm` URI.
    ///
    /// # Errors
    /// [`Error::AlgorithmForbidden`] for any URI outside the allow-list (HMAC, DSA, MD5, …).
    pub fn from_uri(uri: &str) -> Result<Self, Error> {
        Ok(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Self::RsaSha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Self::RsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Self::RsaSha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Self::RsaSha512,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => Self::EcdsaSha1,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => Self::EcdsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => Self::EcdsaSha384,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => Self::EcdsaSha512,
            _ => {
                return Err(Error::AlgorithmForbidden {
                    uri: uri.to_owned(),
                });
            }
        })
    }

    /// The URI of the algorithm.
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            Self::EcdsaSha1 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            Self::EcdsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        }
    }

    /// Whether the algorithm hashes with SHA-1.
    pub fn is_sha1(self) -> bool {
        matches!(self, Self::RsaSha1 | Self::EcdsaSha1)
    }

    /// Whether this is an RSA algorithm.
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::RsaSha1 | Self::RsaSha256 | Self::RsaSha384 | Self::RsaSha512
        )
    }

    /// The index of the hash in [`HASHES`](crate::key) order: SHA-1, -256, -384, -512.
    pub(crate) fn hash_index(self) -> usize {
        match self {
            Self::RsaSha1 | Self::EcdsaSha1 => 0,
            Self::RsaSha256 | Self::EcdsaSha256 => 1,
            Self::RsaSha384 | Self::EcdsaSha384 => 2,
            Self::RsaSha512 | Self::EcdsaSha512 => 3,
        }
    }
}

/// The enveloped-signature transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// The canonicalization algorithms accepted as `CanonicalizationMethod` or as a transform.
///
/// # Errors
/// [`Error::AlgorithmForbidden`] (as `CanonicalizationMethod`) for any other URI; callers that
/// parse transforms map it to [`Error::TransformForbidden`].
pub fn canonicalization(
    uri: &str,
    inclusive_prefixes: Vec<String>,
) -> Result<fedgate_xml::c14n::Algorithm, Error> {
    fedgate_xml::c14n::Algorithm::from_uri(uri, inclusive_prefixes).ok_or_else(|| {
        Error::AlgorithmForbidden {
            uri: uri.to_owned(),
        }
    })
}
