//! What every request handler shares.

use fedgate_iam::Iam;
use fedgate_saml::ServiceProvider;
use fedgate_sts::SessionTokenKey;
use time::OffsetDateTime;

/// The source of the current time. Protocol crates take `now` as a parameter; this is the
/// one place the server reads the clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock;

impl Clock {
    /// The current time.
    #[expect(
        clippy::disallowed_methods,
        reason = "the server's single clock; everything else takes `now`"
    )]
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Shared state of the handlers.
#[derive(Debug)]
pub struct AppState {
    /// IAM over the store.
    pub iam: Iam,
    /// The key that seals and opens session tokens (a service key in the store).
    pub session_key: SessionTokenKey,
    /// Accepted audiences and ACS URLs.
    pub service_provider: ServiceProvider,
    /// The administrator's identity policy ([`ADMIN_POLICY`]), parsed once.
    pub admin_policy: fedgate_iam_policy::Policy,
    /// Parsed trust policies by role ARN, with the text they were parsed from: a role's
    /// policy is parsed once, not on every sign-in, and a changed text is parsed again.
    pub trust_policies: std::sync::RwLock<
        std::collections::HashMap<String, (String, std::sync::Arc<fedgate_iam_policy::Policy>)>,
    >,
    /// The clock.
    pub clock: Clock,
    /// The bounded pool for CPU-heavy work (SAML validation), off the async workers.
    pub cpu: crate::cpu::CpuPool,
    /// Internal errors seen, for `/readyz`.
    pub health: crate::health::Health,
    /// The region this instance plays: SigV4 scopes must name it
    /// ([`fedgate_aws_wire::Service::signing_regions`]).
    pub region: String,
}

/// The administrator's identity policy: every action on every resource. Administrator calls
/// go through the policy engine like every other call.
pub const ADMIN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"FedgateAdministrator","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
