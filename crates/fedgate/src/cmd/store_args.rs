//! What the offline commands (`fedgate audit`, `fedgate admin …`) share with `fedgate serve`:
//! where the store is (the same options, `FEDGATE_*` variables and defaults), and a runtime.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use fedgate_server::config::{Config, Overrides, check_environment};

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

impl StoreArgs {
    /// The configuration these options, the environment and the file name; unknown
    /// `FEDGATE_*` variables are refused as `serve` refuses them.
    ///
    /// # Errors
    /// The message to print (exit 2).
    pub fn config(&self) -> Result<Config, String> {
        check_environment(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))?;
        let overrides = Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            account_id: self.account_id.clone(),
            ..Overrides::default()
        };
        Config::load(self.config.as_deref(), &overrides)
    }
}

/// A single-threaded runtime for a command's few store calls.
///
/// # Errors
/// The exit code after the message is printed.
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        })
}
