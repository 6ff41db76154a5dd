//! What every request handler shares.

use fedgate_iam::Iam;

pub use fedgate_model::Clock;

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
