//! `fedgate policy …`: offline IAM policy tools.

use std::process::ExitCode;

use clap::Subcommand;

/// `fedgate policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {}

/// Runs a `fedgate policy` subcommand.
pub fn run(command: PolicyCommand) -> ExitCode {
    match command {}
}
