//! What every request handler shares.

use fedgate_iam::Iam;
use time::OffsetDateTime;

/// The source of the current time. Protocol crates take `now` as a parameter; this is the
/// one place the server reads the clock.
///
/// Injectable for tests: [`Clock::advance`] moves this clock (and every clone of it) forward,
/// so a test can expire sessions and assertions without waiting. `Clock::default()` is the
/// system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    offset_seconds: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// The current time: the system time plus any [`Clock::advance`].
    #[expect(
        clippy::disallowed_methods,
        reason = "the server's single clock; everything else takes `now`"
    )]
    pub fn now(&self) -> OffsetDateTime {
        let offset = self
            .offset_seconds
            .load(std::sync::atomic::Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::seconds(offset)
    }

    /// Moves the clock forward by `seconds` (tests).
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds
            .fetch_add(seconds, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Shared state of the handlers.
#[derive(Debug)]
pub struct AppState {
    /// IAM over the store.
    pub iam: Iam,
    /// The contact-center service (instances, users, federation tokens).
    pub connect: fedgate_connect::Connect,
    /// The audit log's writer (group commits).
    pub audit: crate::audit::AuditWriter,
    /// The one sign-in pipeline (AssumeRoleWithSAML and the browser endpoint).
    pub pipeline: fedgate_signin::Pipeline,
    /// The administrator's identity policy ([`ADMIN_POLICY`]), parsed once.
    pub admin_policy: fedgate_iam_policy::Policy,
    /// What the browser pages need: base URL, cookie sealing, redirect rules.
    pub web: crate::browser::Web,
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
