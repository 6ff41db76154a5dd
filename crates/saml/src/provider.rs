//! The two parties of a validation: the identity providers trusted, and this service provider.

use fedgate_dsig::{Policy, TrustedKey};
use fedgate_xml::Limits;
use time::OffsetDateTime;

use crate::{AWS_ACS_URL, AWS_SP_ENTITY_ID, Error};

/// Default clock skew allowed on every time bound, in seconds.
///
/// Applied to NotBefore, NotOnOrAfter and SessionNotOnOrAfter. AWS does not document its
/// tolerance; 180 s matches crewjam/saml and samael, and is small next to the typical 5-minute
/// assertion lifetime that bounds how long a stolen response can be replayed.
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 180;

/// A trusted identity provider: its entity ID and signing keys.
///
/// INVARIANT: `keys` is never empty; a provider cannot exist without a signing key. SHA-1 and
/// RSA keys under 2048 bits are refused unless the provider was weakened through the
/// `dangerous_` methods of [`crate::danger`].
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    entity_id: Option<String>,
    keys: Vec<TrustedKey>,
    pub(crate) allow_sha1: bool,
    pub(crate) allow_weak_rsa: bool,
    valid_until: Option<OffsetDateTime>,
}

impl IdentityProvider {
    /// A provider with `entity_id` and `keys`. Without an entity ID the Issuer is not matched
    /// (only for offline diagnosis with a bare certificate).
    ///
    /// # Errors
    /// [`Error::MetadataNoSigningKey`] when `keys` is empty.
    pub fn new(entity_id: Option<String>, keys: Vec<TrustedKey>) -> Result<Self, Error> {
        if keys.is_empty() {
            return Err(Error::MetadataNoSigningKey {
                entity_id: entity_id.unwrap_or_default(),
            });
        }
        Ok(Self {
            entity_id,
            keys,
            allow_sha1: false,
            allow_weak_rsa: false,
            valid_until: None,
        })
    }

    /// Records the metadata's `validUntil`.
    #[must_use]
    pub fn with_valid_until(mut self, valid_until: Option<OffsetDateTime>) -> Self {
        self.valid_until = valid_until;
        self
    }

    /// The entity ID, if known.
    pub fn entity_id(&self) -> Option<&str> {
        self.entity_id.as_deref()
    }

    /// The signing keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Whether SHA-1 is allowed for this provider
    /// ([`IdentityProvider::dangerous_allow_sha1`]).
    pub fn allows_sha1(&self) -> bool {
        self.allow_sha1
    }

    /// Whether RSA keys under 2048 bits may verify for this provider
    /// ([`IdentityProvider::dangerous_allow_weak_rsa`]).
    pub fn allows_weak_rsa(&self) -> bool {
        self.allow_weak_rsa
    }

    /// The signature policy for this provider's documents.
    pub(crate) fn signature_policy(&self) -> Policy {
        let mut policy = Policy::default();
        if self.allow_sha1 {
            policy = policy.dangerous_allow_sha1();
        }
        if self.allow_weak_rsa {
            policy = policy.dangerous_allow_weak_rsa();
        }
        policy
    }

    /// The metadata's `validUntil`, if any.
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.valid_until
    }

    /// Whether this provider may have issued a message whose Issuer is `issuer`.
    pub(crate) fn matches_issuer(&self, issuer: &str) -> bool {
        self.entity_id
            .as_deref()
            .is_none_or(|entity_id| entity_id == issuer)
    }
}

/// This service provider: what it accepts as audience and as ACS URL.
#[derive(Debug, Clone)]
pub struct ServiceProvider {
    /// Accepted `Audience` values (the SP entity ID, by default `urn:amazon:webservices`).
    pub audiences: Vec<String>,
    /// Accepted `Destination`/`Recipient` URLs; an ACS URL is also accepted as audience.
    pub acs_urls: Vec<String>,
    /// Clock skew in seconds, applied to every time bound.
    pub clock_skew_seconds: i64,
    /// Parser limits.
    pub limits: Limits,
}

impl Default for ServiceProvider {
    fn default() -> Self {
        Self {
            audiences: vec![AWS_SP_ENTITY_ID.to_owned()],
            acs_urls: vec![AWS_ACS_URL.to_owned()],
            clock_skew_seconds: DEFAULT_CLOCK_SKEW_SECONDS,
            limits: Limits::default(),
        }
    }
}
