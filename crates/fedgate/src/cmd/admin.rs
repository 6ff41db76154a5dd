//! `fedgate admin`: operator tasks on a data directory or database, with or without a
//! running server.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use fedgate_server::config::{Config, Overrides, check_environment};

/// Operator tasks.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a new administrator key, print it, and delete every other administrator key
    /// (they stop working from the next request on, also on a running server).
    RotateKey(StoreArgs),
}

/// Where the store is: as for `fedgate serve` (flags over `FEDGATE_*` over the file).
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// A TOML configuration file (as `fedgate serve --config`).
    #[arg(long, value_name = "FILE", env = "FEDGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory [default: ./fedgate-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… [default: SQLite in the data directory].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// AWS account ID the server plays [default: 000000000000].
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
}

/// Runs an admin command. Exit codes: 0 done, 1 the store or keys could not be used,
/// 2 a usage or configuration error.
pub fn run(command: AdminCommand) -> ExitCode {
    match command {
        AdminCommand::RotateKey(args) => rotate_key(args),
    }
}

fn rotate_key(args: StoreArgs) -> ExitCode {
    if let Err(message) =
        check_environment(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))
    {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let overrides = Overrides {
        data_dir: args.data_dir,
        database_url: args.database_url,
        account_id: args.account_id,
        ..Overrides::default()
    };
    let config = match Config::load(args.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
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
