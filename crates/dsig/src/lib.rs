//! XML-DSig verification and signing for SAML.
//!
//! Verification is deliberately narrow (see `docs/SECURITY.md`):
//! - enveloped signatures only: exactly one `Reference`, a same-document `#id` URI that must
//!   resolve to the Signature's parent element;
//! - transforms: enveloped-signature plus one canonicalization (exclusive C14N with or
//!   without comments, C14N 1.0 or 1.1); nothing else;
//! - algorithms from an allow-list ([`algorithm`]); SHA-1 and RSA keys under 2048 bits only
//!   through the `dangerous_` API of [`danger`];
//! - keys come only from the caller's trust set ([`TrustedKey`]); `KeyInfo` in the message
//!   is never a source of keys.
//!
//! A successful check returns [`Verified`], whose constructor is private to this crate: it is
//! the only way for later layers to reach signed content, and it exposes only the element the
//! signature covers.

pub mod algorithm;
pub mod danger;
mod error;
mod key;
mod pem;
mod sign;
mod verify;

pub use algorithm::{DigestAlgorithm, SignatureAlgorithm};
pub use error::Error;
pub use key::{KeyKind, MIN_RSA_BITS, MIN_WEAK_RSA_BITS, TrustedKey};
pub use pem::pem_block;
pub use sign::{SigningKey, sign_enveloped};
pub use verify::{Policy, Verified, decode_base64, verify_enveloped};

/// The XML-DSig namespace.
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

#[cfg(test)]
mod tests;
