//! `fedgate serve`: the service (sign-in, IAM and STS APIs) on one port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use fedgate_server::config::{Config, Overrides, check_environment};

/// Arguments of `fedgate serve`. Each flag overrides the TOML file and `FEDGATE_*` variables.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (keys as the long flags, with underscores).
    #[arg(long, value_name = "FILE", env = "FEDGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Public URL of this service [default: http://<listen>].
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Data directory [default: ./fedgate-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… [default: SQLite in the data directory].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// AWS account ID [default: 000000000000].
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Region [default: us-east-1].
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// SP entity ID accepted as Audience [default: urn:amazon:webservices].
    #[arg(long, value_name = "ID")]
    sp_entity_id: Option<String>,
    /// Additional accepted ACS URL (repeatable); <base-url>/saml is always accepted.
    #[arg(long, value_name = "URL")]
    acs_url: Vec<String>,
    /// URL prefix a browser sign-in's RelayState may redirect to (repeatable); paths and URLs
    /// of this service, and AWS's Connect federate URLs, are always allowed.
    #[arg(long, value_name = "URL")]
    allowed_redirect: Vec<String>,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> ExitCode {
    let _log_flush = init_logging();
    let overrides = Overrides {
        listen: args.listen,
        base_url: args.base_url,
        data_dir: args.data_dir,
        database_url: args.database_url,
        account_id: args.account_id,
        region: args.region,
        sp_entity_id: args.sp_entity_id,
        acs_url: (!args.acs_url.is_empty()).then_some(args.acs_url),
        allowed_redirect: (!args.allowed_redirect.is_empty()).then_some(args.allowed_redirect),
        ..Overrides::default()
    };
    // A misspelt FEDGATE_* variable would otherwise be ignored (FEDGATE_DATABSE_URL starting
    // on local SQLite).
    if let Err(message) =
        check_environment(std::env::vars_os().filter_map(|(name, _)| name.into_string().ok()))
    {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let config = match Config::load(args.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match server_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(fedgate_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The multi-threaded runtime of a long-running server (`serve`, `idp`, `demo`).
///
/// # Errors
/// The exit code after the message is printed.
pub(crate) fn server_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        })
}

/// Structured logs on stderr, written by a thread of their own ([`super::logging`]);
/// `FEDGATE_LOG` (or `RUST_LOG`) sets the filter, `FEDGATE_LOG_FORMAT=json` switches to JSON
/// lines. The guard flushes the queued lines when dropped.
pub(crate) fn init_logging() -> super::logging::FlushGuard {
    let filter = std::env::var("FEDGATE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,tower_http=info".to_owned());
    let (writer, guard) = super::logging::non_blocking_stderr();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    let _ = if std::env::var("FEDGATE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    guard
}
