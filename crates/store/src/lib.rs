//! fedgate storage: the storage traits, their one sqlx implementation for SQLite and
//! PostgreSQL, the schema migrations, and secrets at rest.
//!
//! - [`Store::connect`] opens SQLite (`sqlite://<path>?mode=rwc`, the embedded default) or
//!   PostgreSQL (`postgres://…`, shared by several nodes) and applies `migrations/`.
//! - The traits ([`SamlProviderStore`], [`RoleStore`], [`ManagedPolicyStore`], [`KeyStore`],
//!   [`IamRevision`], [`ReplayCache`]) are the contract front-ends use; each multi-row change
//!   is one transaction, and each change of IAM data replaces the [`IamRevision`].
//! - [`SecretBox`] seals secrets (access keys, the session-token key) under the [`MasterKey`]
//!   with AES-256-GCM; [`Secret`] (`fedgate_model::Secret`, re-exported) keeps them out of
//!   `Debug` output.
//!
//! The store enforces keys, case-insensitive uniqueness, references and quotas; it does not
//! validate names or documents (that is `fedgate-iam`). It reads the records of
//! `fedgate-model` ([`SamlProvider`], [`Role`]) and parses their stored enums
//! ([`AssertionEncryptionMode`], [`AccessKeyStatus`]) when it reads a row: a value that is
//! neither variant is refused ([`StoreError::Corrupt`]), never read as one.

mod connect;
mod error;
mod maintenance;
mod records;
mod secret;
mod signin;
mod sql;
mod traits;

#[cfg(feature = "testing")]
pub mod testing;

pub use connect::{
    ConnectIdentityRow, ConnectInstanceRow, ConnectPhoneRow, ConnectProfileRow, ConnectStore,
    ConnectUserRow,
};
pub use error::{ConflictReason, StoreError};
pub use fedgate_model::Secret;
pub use fedgate_model::{AccessKeyStatus, AssertionEncryptionMode, Role, SamlProvider};
pub use maintenance::{
    POSTGRES_PROBE_TIMEOUT, create_owner_only, postgres_host, probe_postgres,
    restrict_sqlite_files, sqlite_path,
};
pub use records::{
    AccessKeyRow, AttachedPolicy, InlinePolicy, ListQuery, ManagedPolicyRow, Page, RoleUpdate,
    SamlProviderSummary, SamlProviderUpdate, Tag,
};
pub use secret::{MASTER_KEY_ENV, MASTER_KEY_LEN, MasterKey, SecretBox, random_id};
pub use signin::{
    AuditEvent, AuditLog, AuditOutcome, AuditQuery, EndedSessions, MAX_AUDIT_BATCH,
    MAX_AUDIT_LISTING,
};
pub use sql::{Backend, SQLITE_BUSY_TIMEOUT, Store};
pub use traits::{
    IamRevision, IamStorage, KeyStore, ManagedPolicyStore, ReplayCache, RoleStore,
    SamlProviderStore,
};
