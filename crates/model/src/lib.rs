//! The records and values that `fedgate-store`, `fedgate-iam` and `fedgate-sts` share, so each
//! concept has one type between them.
//!
//! - [`SamlProvider`] and [`Role`]: an IAM SAML provider and an IAM role as stored. The store
//!   reads and writes them; IAM answers the API from them; STS reads the fields it needs from
//!   them. Parsed forms (a provider's metadata, a role's trust policy) *wrap* the one record
//!   beside what was parsed from it (`fedgate_sts::SamlProviderRecord`,
//!   `fedgate_sts::AssumableRole`), never copy its fields.
//! - [`AssertionEncryptionMode`] and [`AccessKeyStatus`]: stored strings that select behaviour,
//!   as enums. The store parses them when it reads a row and refuses a value that is neither
//!   variant (`StoreError::Corrupt`): an unknown string never falls back to a variant.
//! - [`Secret`]: a value that must never reach a log.
//! - [`Clock`]: the one reader of the system clock, shared by the server and the built-in IdP.
//!
//! The crate sits below `store` and `sts` (which must not depend on each other): no I/O, no
//! parsing beyond the enums, no dependencies but `time`; only [`Clock`] reads the clock.

mod clock;
mod records;
mod secret;
mod values;

pub use clock::Clock;
pub use records::{Role, SamlProvider};
pub use secret::Secret;
pub use values::{AccessKeyStatus, AssertionEncryptionMode, UnknownValue};
