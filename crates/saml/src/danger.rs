//! Weakenings of the secure defaults for one identity provider, each named `dangerous_…`
//! (as rustls keeps its `dangerous()` configuration apart).
//!
//! An [`IdentityProvider`] from [`IdentityProvider::new`] or
//! [`parse_metadata`](crate::metadata::parse_metadata) refuses SHA-1 and RSA keys under 2048
//! bits; nothing that is left out can change that. Each weakening here is per provider:
//! - [`IdentityProvider::dangerous_allow_sha1`]: RSA-SHA1 / ECDSA-SHA1 and SHA-1 digests, for an
//!   IdP that cannot sign with SHA-256 yet (`fedgate saml check --allow-sha1`);
//! - RSA keys of 1024 to 2047 bits need the key read by a `dangerous_` reader
//!   ([`dangerous_parse_metadata_allowing_weak_rsa`],
//!   [`dangerous_trusted_key_from_file_content_allowing_weak_rsa`], or
//!   [`fedgate_dsig::danger`]) *and* [`IdentityProvider::dangerous_allow_weak_rsa`]; the
//!   metadata reader does both. For examining legacy documents (`fedgate saml check
//!   --allow-weak-rsa`), never for sign-in.

use fedgate_dsig::TrustedKey;
use fedgate_xml::Limits;

use crate::metadata::{RsaKeys, key_from_file_content, parse_metadata_with};
use crate::{Error, IdentityProvider};

impl IdentityProvider {
    /// Accepts SHA-1 signatures and digests from this provider (off by default).
    ///
    /// SHA-1 collisions are practical (SHAttered, 2017; chosen-prefix, 2020).
    #[must_use]
    pub fn dangerous_allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }

    /// Lets this provider's RSA keys of 1024 to 2047 bits verify (off by default; keys that
    /// short can only be read by a `dangerous_` reader).
    ///
    /// RSA-1024 has been below every recommendation since 2013 (NIST SP 800-131A).
    #[must_use]
    pub fn dangerous_allow_weak_rsa(mut self) -> Self {
        self.allow_weak_rsa = true;
        self
    }
}

/// As [`parse_metadata`](crate::metadata::parse_metadata), but RSA signing keys down to 1024
/// bits are read, and every provider returned is weakened with
/// [`IdentityProvider::dangerous_allow_weak_rsa`].
///
/// # Errors
/// As [`parse_metadata`](crate::metadata::parse_metadata); `key_too_weak` under 1024 bits.
pub fn dangerous_parse_metadata_allowing_weak_rsa(
    xml: &str,
    limits: &Limits,
) -> Result<Vec<IdentityProvider>, Error> {
    parse_metadata_with(xml, limits, RsaKeys::DangerousWeak)
}

/// As [`trusted_key_from_file_content`](crate::metadata::trusted_key_from_file_content), but
/// RSA keys down to 1024 bits are read. The provider holding the key must also be weakened
/// with [`IdentityProvider::dangerous_allow_weak_rsa`], or verification refuses it.
///
/// # Errors
/// As [`trusted_key_from_file_content`](crate::metadata::trusted_key_from_file_content).
pub fn dangerous_trusted_key_from_file_content_allowing_weak_rsa(
    content: &[u8],
) -> Result<TrustedKey, Error> {
    key_from_file_content(content, RsaKeys::DangerousWeak)
}
