//! One module per subcommand group.

pub mod policy;
pub mod saml;
pub mod serve;
