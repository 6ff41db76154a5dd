//! `fedgate idp`: the built-in SAML identity provider (`crates/idp`) on its own, and
//! `fedgate idp hash-password` for its configuration file.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use fedgate_idp::{Clock, Config, Idp};

/// Arguments of `fedgate idp`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IdpArgs {
    #[command(subcommand)]
    command: Option<IdpCommand>,
    /// The IdP's TOML configuration (users, applications, listen address).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Subcommands of `fedgate idp`.
#[derive(Debug, Subcommand)]
enum IdpCommand {
    /// Print the argon2id hash of a password read from standard input (one line), for a
    /// user's `password_hash`.
    HashPassword,
}

/// Runs the IdP until SIGINT or SIGTERM, or hashes a password.
pub fn run(args: IdpArgs) -> ExitCode {
    if let Some(IdpCommand::HashPassword) = args.command {
        return hash_password();
    }
    let Some(path) = args.config else {
        eprintln!("error: `fedgate idp` needs --config FILE (or the hash-password subcommand)");
        return ExitCode::from(2);
    };
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let _log_flush = super::serve::init_logging();
    let runtime = match super::serve::server_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let listen = config.listen;
        let idp = match Idp::open(config, Clock::default()) {
            Ok(idp) => Arc::new(idp),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("error: cannot listen on {listen}: {error}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!(
            "fedgate idp listening on {} (entity ID {}, metadata {}/metadata)",
            idp.base_url(),
            idp.entity_id(),
            idp.base_url()
        );
        let limits =
            fedgate_server::Limits::from_config(&fedgate_server::config::Config::default());
        let router = fedgate_idp::router(idp);
        match fedgate_server::serve_router(
            listener,
            router,
            limits,
            fedgate_server::shutdown_signal(),
        )
        .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

fn hash_password() -> ExitCode {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (shown as typed; pipe it in to avoid that): ");
    }
    let mut line = String::new();
    if let Err(error) = stdin.lock().read_line(&mut line) {
        eprintln!("error: cannot read the password: {error}");
        return ExitCode::from(2);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    match fedgate_idp::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
