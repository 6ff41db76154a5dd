//! `fedgate admin`: operator tasks on a data directory or database, with or without a
//! running server.

use std::process::ExitCode;

use clap::Subcommand;

use super::store_args::{StoreArgs, runtime};

/// Operator tasks.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a new administrator key, print it, and delete every other administrator key
    /// (they stop working from the next request on, also on a running server).
    RotateKey(StoreArgs),
}

/// Runs an admin command. Exit codes: 0 done, 1 the store or keys could not be used,
/// 2 a usage or configuration error.
pub fn run(command: AdminCommand) -> ExitCode {
    match command {
        AdminCommand::RotateKey(args) => rotate_key(args),
    }
}

fn rotate_key(args: StoreArgs) -> ExitCode {
    let config = match args.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(fedgate_server::rotate_admin_key(&config)) {
        Ok(rotated) => {
            // The new key on stdout, in the credentials-file format; the rest on stderr.
            println!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}",
                rotated.access_key_id,
                rotated.secret_access_key.expose()
            );
            if rotated.retired.is_empty() {
                eprintln!("fedgate: new administrator key {}", rotated.access_key_id);
            } else {
                eprintln!(
                    "fedgate: new administrator key {}; deleted {}",
                    rotated.access_key_id,
                    rotated.retired.join(", ")
                );
            }
            eprintln!("fedgate: written to {}", rotated.credentials_file.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
