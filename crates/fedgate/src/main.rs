//! `fedgate`: the command-line entry point.
//!
//! Exit codes are a contract shared by every subcommand: 0 success (valid / allow),
//! 1 a negative decision (invalid response / deny), 2 a usage or input-file error.

mod cmd;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "fedgate",
    version,
    about = "Self-hosted, AWS-compatible SAML 2.0 federation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: sign-in endpoint, IAM and STS APIs.
    Serve(cmd::serve::ServeArgs),
    /// The whole story in one command: fedgate, two identity providers, one contact center.
    Demo(cmd::demo::DemoArgs),
    /// Run the built-in SAML identity provider.
    Idp(cmd::idp::IdpArgs),
    /// Diagnose SAML documents offline.
    #[command(subcommand)]
    Saml(cmd::saml::SamlCommand),
    /// Work with IAM policies offline.
    #[command(subcommand)]
    Policy(cmd::policy::PolicyCommand),
    /// Read the audit log (sign-ins, role choices, federation hops, STS calls, changes).
    Audit(cmd::audit::AuditArgs),
    /// Operator tasks: rotate the administrator key.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCommand),
}

fn main() -> ExitCode {
    let parsed = Cli::command().try_get_matches().and_then(|matches| {
        let cli = Cli::from_arg_matches(&matches)?;
        Ok((cli, matches))
    });
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            // clap prints help/version on stdout with exit 0, usage errors with exit 2.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Idp(args) => cmd::idp::run(args),
        Command::Saml(command) => cmd::saml::run(command, matches.subcommand_matches("saml")),
        Command::Policy(command) => cmd::policy::run(command),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Admin(command) => cmd::admin::run(command),
    }
}
