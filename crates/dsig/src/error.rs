//! The error type of signature processing.

use std::fmt;

/// Why a signature was refused, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The `Signature` element does not have the structure XML-DSig requires.
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// A signature, digest or canonicalization algorithm outside the allow-list.
    AlgorithmForbidden {
        /// The algorithm URI.
        uri: String,
    },
    /// A SHA-1 based algorithm while SHA-1 is not allowed.
    Sha1NotAllowed {
        /// The algorithm URI.
        uri: String,
    },
    /// Not exactly one Reference, or its URI is not a resolvable same-document `#id`.
    ReferenceInvalid {
        /// What is wrong.
        detail: String,
    },
    /// The Reference resolves to an element other than the Signature's parent.
    ReferenceNotParent {
        /// The referenced identifier.
        reference: String,
    },
    /// A transform outside the allow-list, or an unsupported combination.
    TransformForbidden {
        /// The transform URI, or a description of the combination.
        uri: String,
    },
    /// The digest of the referenced element does not match `DigestValue`.
    DigestMismatch,
    /// An RSA key in the trust set is shorter than 2048 bits.
    KeyTooWeak {
        /// The key length in bits.
        bits: usize,
    },
    /// `KeyInfo` names a certificate that is not in the trust set, and no trusted key verifies.
    KeyNotTrusted,
    /// No trusted key verifies the signature value.
    SignatureInvalid,
    /// A certificate or key could not be read.
    KeyInvalid {
        /// What is wrong.
        detail: String,
    },
    /// The XML layer refused the document or its canonicalization.
    Xml(fedgate_xml::Error),
    /// Signing failed.
    Signing {
        /// What went wrong.
        detail: String,
    },
}

impl Error {
    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "signature_malformed",
            Self::AlgorithmForbidden { .. } => "signature_algorithm_forbidden",
            Self::Sha1NotAllowed { .. } => "sha1_not_allowed",
            Self::ReferenceInvalid { .. } => "reference_invalid",
            Self::ReferenceNotParent { .. } => "reference_not_parent",
            Self::TransformForbidden { .. } => "transform_forbidden",
            Self::DigestMismatch => "digest_mismatch",
            Self::KeyTooWeak { .. } => "key_too_weak",
            Self::KeyNotTrusted => "key_not_trusted",
            Self::SignatureInvalid => "signature_invalid",
            Self::KeyInvalid { .. } => "key_invalid",
            Self::Xml(_) => "xml_malformed",
            Self::Signing { .. } => "signing_failed",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { detail } => write!(f, "malformed signature: {detail}"),
            Self::AlgorithmForbidden { uri } => write!(f, "algorithm {uri} is not allowed"),
            Self::Sha1NotAllowed { uri } => write!(f, "SHA-1 algorithm {uri} is not allowed"),
            Self::ReferenceInvalid { detail } => write!(f, "invalid signature reference: {detail}"),
            Self::ReferenceNotParent { reference } => write!(
                f,
                "the signature reference #{reference} does not point at the element that contains the signature"
            ),
            Self::TransformForbidden { uri } => write!(f, "transform {uri} is not allowed"),
            Self::DigestMismatch => {
                f.write_str("the signed content was changed after signing (digest mismatch)")
            }
            Self::KeyTooWeak { bits } => write!(
                f,
                "RSA key of {bits} bits is too weak (at least 2048 required)"
            ),
            Self::KeyNotTrusted => {
                f.write_str("the signature was made with a key that is not trusted")
            }
            Self::SignatureInvalid => {
                f.write_str("the signature value does not verify with any trusted key")
            }
            Self::KeyInvalid { detail } => write!(f, "invalid key or certificate: {detail}"),
            Self::Xml(error) => error.fmt(f),
            Self::Signing { detail } => write!(f, "signing failed: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<fedgate_xml::Error> for Error {
    fn from(error: fedgate_xml::Error) -> Self {
        Self::Xml(error)
    }
}
