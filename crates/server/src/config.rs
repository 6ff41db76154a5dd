//! Layered configuration: defaults < TOML file < `FEDGATE_*` environment < command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything `fedgate serve` can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The public URL of this service (default `http://<listen>`); `<base-url>/saml` is always
    /// an accepted ACS URL.
    pub base_url: Option<String>,
    /// Where the SQLite database, the master key and the admin credentials live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default SQLite in the data directory.
    pub database_url: Option<String>,
    /// The AWS account ID this instance plays.
    pub account_id: String,
    /// The region this instance plays.
    pub region: String,
    /// The SP entity ID accepted as Audience.
    pub sp_entity_id: String,
    /// Extra accepted ACS URLs (Destination/Recipient).
    pub acs_url: Vec<String>,
    /// URL prefixes a browser sign-in's RelayState may redirect to besides this service
    /// (`--allowed-redirect`, repeatable); anything else lands on the console home.
    pub allowed_redirect: Vec<String>,
    /// Seconds a client has to send a complete request head: from the accept of a new
    /// connection, and from the first byte of each further request on a kept-alive one.
    /// Bounds how long a silent or trickling client holds a connection.
    pub header_timeout_seconds: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    pub idle_timeout_seconds: u64,
    /// Most client connections open at once. At the limit the server stops accepting (new
    /// connections wait in the kernel's backlog), logs it, and closes connections that have no
    /// request in progress. Keep it below the open-file limit (`ulimit -n`).
    pub max_connections: usize,
    /// Seconds SIGTERM/SIGINT waits for requests in progress before the remaining connections
    /// are closed and the process exits.
    pub shutdown_grace_seconds: u64,
    /// Threads for CPU-heavy work (SAML validation); 0 means one per core.
    pub cpu_workers: usize,
    /// CPU-heavy jobs that may wait for a thread; past it requests are refused with AWS's
    /// `Throttling` error.
    pub cpu_queue: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: None,
            data_dir: PathBuf::from("./fedgate-data"),
            database_url: None,
            account_id: "000000000000".to_owned(),
            region: "us-east-1".to_owned(),
            sp_entity_id: fedgate_saml::AWS_SP_ENTITY_ID.to_owned(),
            acs_url: Vec::new(),
            allowed_redirect: Vec::new(),
            header_timeout_seconds: DEFAULT_HEADER_TIMEOUT_SECONDS,
            idle_timeout_seconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace_seconds: DEFAULT_SHUTDOWN_GRACE_SECONDS,
            cpu_workers: 0,
            cpu_queue: DEFAULT_CPU_QUEUE,
        }
    }
}

/// Default [`Config::header_timeout_seconds`]: Vault's `http_read_header_timeout` (10 s); a
/// real client sends its request head in one packet.
pub const DEFAULT_HEADER_TIMEOUT_SECONDS: u64 = 10;
/// Default [`Config::idle_timeout_seconds`]: 60 s, about nginx's `keepalive_timeout` (75 s)
/// and above the AWS SDKs' idle pool timeouts, so a client rarely reuses a connection the
/// server is closing.
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: u64 = 60;
/// Default [`Config::max_connections`]: half of the common 1024 open-file limit, leaving room
/// for the database, logs and keys.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default [`Config::shutdown_grace_seconds`]: requests are short (store round trips and
/// one SAML validation), and Kubernetes' default termination grace period is 30 s.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;
/// Default [`Config::cpu_queue`]: 64 waiting sign-ins are 64 × about 4 ms of work, a quarter
/// of a second on one core; more waiting than that is an overload to shed, not to queue.
pub const DEFAULT_CPU_QUEUE: usize = 64;

impl Config {
    /// Loads the configuration: defaults, then the TOML `file` (if given), then `FEDGATE_*`
    /// environment variables ([`Overrides::from_env`]), then `overrides` (the flags given).
    ///
    /// # Errors
    /// A message naming the source and key of an invalid value.
    pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(format!(
                    "configuration file {} does not exist",
                    file.display()
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        let env = Overrides::from_env(std::env::vars())?;
        figment = figment
            .merge(Serialized::defaults(env))
            .merge(Serialized::defaults(overrides));
        let config: Config = figment
            .extract()
            .map_err(|error| format!("invalid configuration: {error}"))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "account_id {:?} must be 12 digits",
                self.account_id
            ));
        }
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("region {:?} is not a region name", self.region));
        }
        for (name, value) in [
            ("header_timeout_seconds", self.header_timeout_seconds),
            ("idle_timeout_seconds", self.idle_timeout_seconds),
            (
                "max_connections",
                u64::try_from(self.max_connections).unwrap_or(u64::MAX),
            ),
            (
                "cpu_queue",
                u64::try_from(self.cpu_queue).unwrap_or(u64::MAX),
            ),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        for url in self.base_url.iter().chain(&self.acs_url) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("{url:?} is not an http(s) URL"));
            }
        }
        Ok(())
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The database URL: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("fedgate.db").display()
            )
        })
    }

    /// Every accepted ACS URL: `<base-url>/saml`, the configured ones, and AWS's.
    pub fn acs_urls(&self) -> Vec<String> {
        let mut urls = vec![format!("{}/saml", self.base_url())];
        urls.extend(self.acs_url.iter().cloned());
        for aws in [
            fedgate_saml::AWS_ACS_URL,
            "https://signin.aws.amazon.com/static/saml",
        ] {
            urls.push(aws.to_owned());
        }
        let region_url = format!("https://{}.signin.aws.amazon.com/saml", self.region);
        urls.push(region_url);
        urls.dedup();
        urls
    }
}

/// The flags that were given on the command line (only those override).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--base-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--account-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `--region`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `--sp-entity-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sp_entity_id: Option<String>,
    /// `--acs-url` (repeatable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acs_url: Option<Vec<String>>,
    /// `--allowed-redirect` (repeatable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_redirect: Option<Vec<String>>,
    /// `FEDGATE_HEADER_TIMEOUT_SECONDS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_timeout_seconds: Option<u64>,
    /// `FEDGATE_IDLE_TIMEOUT_SECONDS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_seconds: Option<u64>,
    /// `FEDGATE_MAX_CONNECTIONS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// `FEDGATE_SHUTDOWN_GRACE_SECONDS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_seconds: Option<u64>,
    /// `FEDGATE_CPU_WORKERS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_workers: Option<usize>,
    /// `FEDGATE_CPU_QUEUE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_queue: Option<usize>,
}

impl Overrides {
    /// The settings given as `FEDGATE_<KEY>` variables (`FEDGATE_LISTEN`, `FEDGATE_DATA_DIR`,
    /// `FEDGATE_ACCOUNT_ID`, …; `FEDGATE_ACS_URL` comma-separated). Values are taken as text,
    /// so an account ID keeps its leading zeros. Other `FEDGATE_*` variables (secrets such as
    /// `FEDGATE_ADMIN_SECRET_ACCESS_KEY`, or a test harness's own) are not configuration.
    ///
    /// # Errors
    /// A message naming the variable when `FEDGATE_LISTEN` is not an address.
    pub fn from_env(vars: impl Iterator<Item = (String, String)>) -> Result<Self, String> {
        let mut overrides = Self::default();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix("FEDGATE_") else {
                continue;
            };
            match key {
                "LISTEN" => {
                    overrides.listen = Some(value.parse().map_err(|_| {
                        format!("FEDGATE_LISTEN {value:?} is not an address like 127.0.0.1:8080")
                    })?);
                }
                "BASE_URL" => overrides.base_url = Some(value),
                "DATA_DIR" => overrides.data_dir = Some(PathBuf::from(value)),
                "DATABASE_URL" => overrides.database_url = Some(value),
                "ACCOUNT_ID" => overrides.account_id = Some(value),
                "REGION" => overrides.region = Some(value),
                "SP_ENTITY_ID" => overrides.sp_entity_id = Some(value),
                "ALLOWED_REDIRECT" => {
                    overrides.allowed_redirect = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                "ACS_URL" => {
                    overrides.acs_url = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                "HEADER_TIMEOUT_SECONDS" => {
                    overrides.header_timeout_seconds = Some(number(&name, &value)?);
                }
                "IDLE_TIMEOUT_SECONDS" => {
                    overrides.idle_timeout_seconds = Some(number(&name, &value)?);
                }
                "MAX_CONNECTIONS" => overrides.max_connections = Some(number(&name, &value)?),
                "SHUTDOWN_GRACE_SECONDS" => {
                    overrides.shutdown_grace_seconds = Some(number(&name, &value)?);
                }
                "CPU_WORKERS" => overrides.cpu_workers = Some(number(&name, &value)?),
                "CPU_QUEUE" => overrides.cpu_queue = Some(number(&name, &value)?),
                _ => {}
            }
        }
        Ok(overrides)
    }
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name} {value:?} is not a whole number"))
}

/// Every `FEDGATE_*` environment variable fedgate reads. Anything else with the prefix is a
/// mistake (`FEDGATE_DATABSE_URL` would otherwise start silently on local SQLite), so
/// [`check_environment`] refuses it. A new variable is added here, in
/// [`Overrides::from_env`] or where it is read, and in docs/OPERATIONS.md.
pub const ENVIRONMENT_VARIABLES: &[&str] = &[
    // Configuration (Config's fields).
    "FEDGATE_LISTEN",
    "FEDGATE_BASE_URL",
    "FEDGATE_DATA_DIR",
    "FEDGATE_DATABASE_URL",
    "FEDGATE_ACCOUNT_ID",
    "FEDGATE_REGION",
    "FEDGATE_SP_ENTITY_ID",
    "FEDGATE_ACS_URL",
    "FEDGATE_ALLOWED_REDIRECT",
    "FEDGATE_HEADER_TIMEOUT_SECONDS",
    "FEDGATE_IDLE_TIMEOUT_SECONDS",
    "FEDGATE_MAX_CONNECTIONS",
    "FEDGATE_SHUTDOWN_GRACE_SECONDS",
    "FEDGATE_CPU_WORKERS",
    "FEDGATE_CPU_QUEUE",
    // The configuration file (`--config`).
    "FEDGATE_CONFIG",
    // Secrets and logging.
    "FEDGATE_MASTER_KEY",
    "FEDGATE_ADMIN_ACCESS_KEY_ID",
    "FEDGATE_ADMIN_SECRET_ACCESS_KEY",
    "FEDGATE_LOG",
    "FEDGATE_LOG_FORMAT",
];

/// Refuses `FEDGATE_*` variables that fedgate does not read, naming the nearest known one.
/// `fedgate serve` and `fedgate admin` call it before loading the configuration.
///
/// # Errors
/// A message naming each unknown variable and its nearest known name.
pub fn check_environment(names: impl Iterator<Item = String>) -> Result<(), String> {
    let mut unknown: Vec<String> = names
        .filter(|name| name.starts_with("FEDGATE_"))
        .filter(|name| !ENVIRONMENT_VARIABLES.contains(&name.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    let described: Vec<String> = unknown
        .iter()
        .map(|name| match nearest(name) {
            Some(known) => format!("{name} (did you mean {known}?)"),
            None => name.clone(),
        })
        .collect();
    Err(format!(
        "unknown environment variable{} {}; fedgate reads only {} (unset it, or fix its name)",
        if unknown.len() == 1 { "" } else { "s" },
        described.join(", "),
        ENVIRONMENT_VARIABLES.join(", ")
    ))
}

/// The known variable closest to `name` by edit distance.
fn nearest(name: &str) -> Option<&'static str> {
    ENVIRONMENT_VARIABLES
        .iter()
        .copied()
        .min_by_key(|known| edit_distance(name, known))
}

/// Levenshtein distance (insertions, deletions and substitutions of characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(usize::MAX);
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX);
            let insert = current.get(j).copied().unwrap_or(usize::MAX);
            let cost = usize::from(ca != *cb);
            current.push(
                substitute
                    .saturating_add(cost)
                    .min(delete.saturating_add(1))
                    .min(insert.saturating_add(1)),
            );
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let config = Config::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.base_url(), "http://127.0.0.1:8080");
        assert!(config.database_url().starts_with("sqlite://"));
        assert_eq!(config.acs_urls()[0], "http://127.0.0.1:8080/saml");
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's test jail fixes the closure's error type"
    )]
    fn flags_override_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "fedgate.toml",
                "region = \"eu-west-1\"\naccount_id = \"111111111111\"\n",
            )?;
            jail.set_env("FEDGATE_ACCOUNT_ID", "022222222222");
            jail.set_env("FEDGATE_SOMETHING_ELSE", "ignored");
            let overrides = Overrides {
                account_id: Some("333333333333".into()),
                ..Overrides::default()
            };
            let file = std::path::Path::new("fedgate.toml");
            let config =
                Config::load(Some(file), &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                (config.region.as_str(), config.account_id.as_str()),
                ("eu-west-1", "022222222222")
            );
            let config = Config::load(Some(file), &overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.account_id, "333333333333");
            Ok(())
        });
    }

    #[test]
    fn refuses_a_misspelt_variable_naming_the_nearest_known_one() {
        let message = check_environment(
            ["PATH", "FEDGATE_DATABSE_URL", "FEDGATE_REGION"]
                .into_iter()
                .map(str::to_owned),
        )
        .unwrap_err();
        assert!(
            message.contains("FEDGATE_DATABSE_URL (did you mean FEDGATE_DATABASE_URL?)"),
            "{message}"
        );
        let message = check_environment(["FEDGATE_MASTERKEY".to_owned()].into_iter()).unwrap_err();
        assert!(
            message.contains("did you mean FEDGATE_MASTER_KEY?"),
            "{message}"
        );
    }

    #[test]
    fn accepts_every_known_variable() {
        check_environment(ENVIRONMENT_VARIABLES.iter().map(|name| (*name).to_owned())).unwrap();
        check_environment(["HOME".to_owned(), "AWS_REGION".to_owned()].into_iter()).unwrap();
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("DATABSE", "DATABASE"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn limits_from_the_environment_must_be_numbers() {
        let vars = [("FEDGATE_MAX_CONNECTIONS".to_owned(), "many".to_owned())];
        let message = Overrides::from_env(vars.into_iter()).unwrap_err();
        assert!(message.contains("FEDGATE_MAX_CONNECTIONS"), "{message}");
        let vars = [("FEDGATE_IDLE_TIMEOUT_SECONDS".to_owned(), "5".to_owned())];
        let overrides = Overrides::from_env(vars.into_iter()).unwrap();
        assert_eq!(overrides.idle_timeout_seconds, Some(5));
    }

    #[test]
    fn rejects_bad_values_with_the_key_named() {
        let overrides = Overrides {
            account_id: Some("12".into()),
            ..Overrides::default()
        };
        assert!(
            Config::load(None, &overrides)
                .unwrap_err()
                .contains("account_id")
        );
    }
}
