//! `fedgate saml …`: offline SAML diagnosis.

use std::process::ExitCode;

use clap::Subcommand;

/// `fedgate saml` subcommands.
#[derive(Debug, Subcommand)]
pub enum SamlCommand {}

/// Runs a `fedgate saml` subcommand.
pub fn run(command: SamlCommand) -> ExitCode {
    match command {}
}
