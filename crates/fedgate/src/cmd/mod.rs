//! One module per subcommand group.

pub mod admin;
pub mod audit;
pub mod demo;
pub mod idp;
pub mod logging;
pub mod policy;
pub mod saml;
pub mod serve;
pub mod sign;
pub mod store_args;
