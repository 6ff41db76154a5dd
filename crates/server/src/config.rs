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
        }
    }
}

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
                _ => {}
            }
        }
        Ok(overrides)
    }
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
