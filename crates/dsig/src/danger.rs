//! Weakenings of the secure defaults, each named `dangerous_…` (as rustls keeps its
//! `dangerous()` configuration apart).
//!
//! Nothing here is reachable by leaving something out: a [`Policy`] starts secure and a
//! [`TrustedKey`] from [`TrustedKey::from_certificate_der`] is at least 2048 bits. Weak RSA
//! needs two explicit steps, a `dangerous_` key constructor *and*
//! [`Policy::dangerous_allow_weak_rsa`]; a weak key under a default policy makes
//! [`verify_enveloped`](crate::verify_enveloped) refuse with
//! [`Error::KeyTooWeak`](crate::Error::KeyTooWeak).

use crate::key::RsaFloor;
use crate::{Error, Policy, TrustedKey};

impl Policy {
    /// Accepts RSA-SHA1 / ECDSA-SHA1 signatures and SHA-1 digests.
    ///
    /// SHA-1 collisions are practical (SHAttered, 2017; chosen-prefix, 2020); allow it only for
    /// one identity provider that cannot sign with SHA-256 yet.
    #[must_use]
    pub fn dangerous_allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }

    /// Lets RSA keys of [`MIN_WEAK_RSA_BITS`](crate::MIN_WEAK_RSA_BITS) to 2047 bits verify
    /// (keys made by [`TrustedKey::dangerous_from_certificate_der_allowing_weak_rsa`] or
    /// [`TrustedKey::dangerous_from_spki_der_allowing_weak_rsa`]).
    ///
    /// RSA-1024 has been below every recommendation since 2013 (NIST SP 800-131A); this exists
    /// to examine legacy documents (`fedgate saml check --allow-weak-rsa`), not to trust them.
    #[must_use]
    pub fn dangerous_allow_weak_rsa(mut self) -> Self {
        self.allow_weak_rsa = true;
        self
    }
}

impl TrustedKey {
    /// As [`TrustedKey::from_certificate_der`], but accepts RSA keys down to
    /// [`MIN_WEAK_RSA_BITS`](crate::MIN_WEAK_RSA_BITS) bits. Such a key verifies only under
    /// [`Policy::dangerous_allow_weak_rsa`].
    ///
    /// # Errors
    /// As [`TrustedKey::from_certificate_der`], [`Error::KeyTooWeak`] under 1024 bits.
    pub fn dangerous_from_certificate_der_allowing_weak_rsa(der: &[u8]) -> Result<Self, Error> {
        Self::certificate_der_with(der, RsaFloor::DangerousWeak)
    }

    /// As [`TrustedKey::from_spki_der`], but accepts RSA keys down to
    /// [`MIN_WEAK_RSA_BITS`](crate::MIN_WEAK_RSA_BITS) bits. Such a key verifies only under
    /// [`Policy::dangerous_allow_weak_rsa`].
    ///
    /// # Errors
    /// As [`TrustedKey::from_spki_der`], [`Error::KeyTooWeak`] under 1024 bits.
    pub fn dangerous_from_spki_der_allowing_weak_rsa(spki: &[u8]) -> Result<Self, Error> {
        Self::spki_der_with(spki, RsaFloor::DangerousWeak)
    }
}
