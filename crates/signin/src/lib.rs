//! The one sign-in pipeline of fedgate. Every entry point that turns a SAML response into a
//! role session calls it: the STS API (`AssumeRoleWithSAML`, [`Pipeline::assume_role_with_saml`])
//! and the browser endpoint (`POST /saml`, [`Pipeline::sign_in`] and, after the role chooser,
//! [`Pipeline::choose_role`]).
//!
//! ```text
//! iam::Snapshot (one cache, by the store's IAM revision: one query while nothing changed)
//!   -> provider from its ProviderDirectory, managed session policies
//!   -> sts::validate_for_provider / validate_for_any_provider   (only that provider's keys)
//!   -> [browser] replay: the store's unique insert              -> FirstUse
//!   -> role from the snapshot (trust policy parsed once)        -> sts::authorize -> Allowed
//!   -> sts::issue_session                                       -> RoleSession
//! ```
//! The server keeps routers, extractors and pages; it turns a [`SignedIn`] into a console
//! session cookie and a [`Refusal`] into a page, and audits both.
//!
//! Decisions where AWS is silent (ours):
//! - The browser endpoint accepts an assertion ID once per provider until it expires
//!   (NotOnOrAfter + skew), cluster-wide through the store; `AssumeRoleWithSAML` allows reuse
//!   within validity, as AWS does (spec §1.6).
//! - A browser sign-in's session lasts the SessionDuration attribute (900–43,200 s, default
//!   3,600), never past SessionNotOnOrAfter; the role's MaxSessionDuration does not apply (the
//!   STS documentation says it does not for console sessions).
//! - The role chooser does not echo the response into the page as AWS's does: the form carries
//!   a sealed, single-use ticket holding it ([`RoleChoice::ticket`]).

mod browser;
mod chooser;
mod refusal;
mod sts_api;

use fedgate_saml::ServiceProvider;
use fedgate_store::{MasterKey, SecretBox, StoreError};
use fedgate_sts::SessionTokenKey;

pub use browser::{FirstUse, Outcome, RoleChoice, RoleOption, SignedIn};
pub use refusal::{AuditContext, Refusal, RefusalKind};
pub use sts_api::{AssumeRequest, StsRefusal};

/// The sign-in pipeline: the service provider's settings and the keys it seals with. One per
/// process, shared by every request; what it reads from IAM is cached by `fedgate-iam`
/// ([`fedgate_iam::Snapshot`], one store read per request while nothing changed).
pub struct Pipeline {
    service_provider: ServiceProvider,
    token_key: SessionTokenKey,
    chooser: SecretBox,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("service_provider", &self.service_provider)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline accepting what `service_provider` accepts, sealing session tokens with
    /// `token_key` and role-chooser tickets with `chooser_key` (a service key of its own).
    ///
    /// # Errors
    /// [`StoreError`] when the chooser key cannot be used.
    pub fn new(
        service_provider: ServiceProvider,
        token_key: SessionTokenKey,
        chooser_key: &[u8; 32],
    ) -> Result<Self, StoreError> {
        Ok(Self {
            service_provider,
            token_key,
            chooser: SecretBox::new(&MasterKey::from_bytes(*chooser_key))?,
        })
    }

    /// The key that seals and opens session tokens (temporary credentials, console sessions).
    #[must_use]
    pub fn token_key(&self) -> &SessionTokenKey {
        &self.token_key
    }

    /// What this service accepts as audience, ACS URL and clock skew.
    #[must_use]
    pub fn service_provider(&self) -> &ServiceProvider {
        &self.service_provider
    }
}
