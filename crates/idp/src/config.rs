//! The IdP's configuration: a TOML file (`fedgate idp --config idp.toml`) or a [`Config`]
//! built in code (`fedgate demo`). [`Config::check`] refuses anything inconsistent before the
//! IdP starts, naming the offending entry.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::template::Template;

/// Most users a configuration file may name (the IdP keeps them in memory).
pub const MAX_USERS: usize = 10_000;
/// Most applications.
pub const MAX_APPLICATIONS: usize = 1_000;
/// Longest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;
/// The longest AWS `SessionDuration` (12 hours; AWS's maximum role session).
pub const MAX_SESSION_DURATION_SECONDS: u32 = 43_200;
/// The shortest AWS `SessionDuration` (15 minutes).
pub const MIN_SESSION_DURATION_SECONDS: u32 = 900;

/// The persistent NameID format, the default.
pub const NAME_ID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// The signing key type created on first start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum KeyType {
    /// RSA, 2048 bits, RSA-SHA256 signatures.
    #[default]
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// ECDSA on P-256, ECDSA-SHA256 signatures.
    #[serde(rename = "p256")]
    P256,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Public URL of the IdP [default: `http://<listen>`].
    #[serde(default)]
    pub base_url: Option<String>,
    /// SAML entity ID [default: `<base_url>/metadata`].
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Where the signing key and certificate live [default: `./fedgate-idp`].
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// The key created on first start.
    #[serde(default)]
    pub key_type: KeyType,
    /// Shown on the login page and portal.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Also sign the Response (the Assertion is always signed).
    #[serde(default)]
    pub sign_response: bool,
    /// How long an IdP login lasts, in hours [default: 8].
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
    /// The users.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// The applications (service providers).
    #[serde(default)]
    pub applications: Vec<ApplicationConfig>,
}

fn default_session_hours() -> u32 {
    8
}

/// One user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The login name.
    pub username: String,
    /// An argon2id PHC string (`fedgate idp hash-password`).
    pub password_hash: String,
    /// E-mail address, for `${user.email}`.
    #[serde(default)]
    pub email: Option<String>,
    /// Shown on the portal.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Groups, for application access, role mapping and `${user.groups}`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Further attributes, for `${user.<name>}`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// One application: a service provider the IdP signs users in to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationConfig {
    /// Identifier, in URLs and `data-app`.
    pub id: String,
    /// The tile's title.
    #[serde(default)]
    pub name: Option<String>,
    /// The ACS URL of IdP-initiated sign-in (and the default of SP-initiated).
    pub acs_url: String,
    /// Further registered ACS URLs (SP-initiated requests may name any of them).
    #[serde(default)]
    pub acs_urls: Vec<String>,
    /// The SP's entity ID: the Audience, and the Issuer its requests must carry.
    pub audience: String,
    /// RelayState of IdP-initiated sign-in.
    #[serde(default)]
    pub relay_state: Option<String>,
    /// NameID format [default: persistent].
    #[serde(default)]
    pub name_id_format: Option<String>,
    /// NameID value template [default: `${user.username}`].
    #[serde(default)]
    pub name_id: Option<String>,
    /// The SP's metadata file: its ACS URLs count as registered, its signing keys check
    /// signed AuthnRequests, and `AuthnRequestsSigned="true"` refuses unsigned ones.
    #[serde(default)]
    pub sp_metadata: Option<PathBuf>,
    /// Groups whose members may open the application (with `users`; both empty: everyone).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Users who may open the application.
    #[serde(default)]
    pub users: Vec<String>,
    /// The AWS `RoleSessionName` attribute (a template).
    #[serde(default)]
    pub role_session_name: Option<String>,
    /// The AWS `SessionDuration` attribute, in seconds.
    #[serde(default)]
    pub session_duration: Option<u32>,
    /// The AWS `Role` attribute values.
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    /// Further attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeConfig>,
}

/// One AWS `Role` value (`role ARN,provider ARN`), for some users or groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// The role ARN.
    pub role: String,
    /// The SAML provider ARN (the IdP as registered at the service provider).
    pub provider: String,
    /// Groups that get this role (with `users`; both empty: everyone who may open the app).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Users that get this role.
    #[serde(default)]
    pub users: Vec<String>,
}

/// One attribute of the assertion.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeConfig {
    /// The attribute's Name.
    pub name: String,
    /// Its NameFormat (none when absent).
    #[serde(default)]
    pub name_format: Option<String>,
    /// Values: templates or fixed strings; `${user.groups}` gives one value per group.
    pub values: Vec<String>,
}

impl Config {
    /// Reads and checks a TOML file; relative paths in it are relative to the file.
    ///
    /// # Errors
    /// A message naming the file and the problem.
    pub fn load(path: &Path) -> Result<Self, String> {
        let size = std::fs::metadata(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?
            .len();
        if size > MAX_CONFIG_BYTES {
            return Err(format!(
                "{} is larger than {MAX_CONFIG_BYTES} bytes",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let mut config: Self =
            toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        config.resolve_paths(base);
        config
            .check()
            .map_err(|error| format!("{}: {error}", path.display()))?;
        Ok(config)
    }

    /// Makes the data directory and SP metadata paths relative to `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        if let Some(dir) = &self.data_dir {
            self.data_dir = Some(base.join(dir));
        }
        for app in &mut self.applications {
            if let Some(file) = &app.sp_metadata {
                app.sp_metadata = Some(base.join(file));
            }
        }
    }

    /// The public URL, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.base_url.as_ref().map_or_else(
            || format!("http://{}", self.listen),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }

    /// The SAML entity ID.
    #[must_use]
    pub fn entity_id(&self) -> String {
        self.entity_id
            .clone()
            .unwrap_or_else(|| format!("{}/metadata", self.base_url()))
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("fedgate-idp"))
    }

    /// Refuses an inconsistent configuration.
    ///
    /// # Errors
    /// What is wrong, naming the user or application.
    pub fn check(&self) -> Result<(), String> {
        check_url("base_url", &self.base_url())?;
        if self.entity_id().is_empty() || self.entity_id().len() > 1024 {
            return Err("entity_id must be 1 to 1024 characters".to_owned());
        }
        if !(1..=24 * 30).contains(&self.session_hours) {
            return Err("session_hours must be from 1 to 720".to_owned());
        }
        if self.users.len() > MAX_USERS {
            return Err(format!("more than {MAX_USERS} users"));
        }
        if self.applications.len() > MAX_APPLICATIONS {
            return Err(format!("more than {MAX_APPLICATIONS} applications"));
        }
        let mut names = HashSet::new();
        for user in &self.users {
            let name = &user.username;
            if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
                return Err(format!(
                    "user {name:?}: a username is 1 to 128 characters, no control characters"
                ));
            }
            if !names.insert(name.as_str()) {
                return Err(format!("user {name:?} appears twice"));
            }
            if !user.password_hash.starts_with("$argon2") {
                return Err(format!(
                    "user {name:?}: password_hash must be an argon2 PHC string (`fedgate idp hash-password`)"
                ));
            }
        }
        let mut ids = HashSet::new();
        for app in &self.applications {
            let id = &app.id;
            let valid_id = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_id {
                return Err(format!(
                    "application {id:?}: an id is 1 to 64 letters, digits, '-' or '_'"
                ));
            }
            if !ids.insert(id.as_str()) {
                return Err(format!("application {id:?} appears twice"));
            }
            let context = |what: &str| format!("application {id:?}: {what}");
            check_url(&context("acs_url"), &app.acs_url)?;
            for url in &app.acs_urls {
                check_url(&context("acs_urls"), url)?;
            }
            if app.audience.is_empty() {
                return Err(context("audience must not be empty"));
            }
            if let Some(duration) = app.session_duration
                && !(MIN_SESSION_DURATION_SECONDS..=MAX_SESSION_DURATION_SECONDS)
                    .contains(&duration)
            {
                return Err(context(&format!(
                    "session_duration must be from {MIN_SESSION_DURATION_SECONDS} to {MAX_SESSION_DURATION_SECONDS} seconds"
                )));
            }
            let templates = app
                .name_id
                .iter()
                .chain(&app.role_session_name)
                .chain(app.attributes.iter().flat_map(|a| &a.values));
            for text in templates {
                Template::parse(text).map_err(|error| context(&error))?;
            }
            for role in &app.roles {
                if !role.role.starts_with("arn:") || !role.provider.starts_with("arn:") {
                    return Err(context("a role and its provider are ARNs (arn:…)"));
                }
                if role.role.contains(',') || role.provider.contains(',') {
                    return Err(context("a role or provider ARN contains a comma"));
                }
            }
            for user in app
                .users
                .iter()
                .chain(app.roles.iter().flat_map(|r| &r.users))
            {
                if !names.contains(user.as_str()) {
                    return Err(context(&format!("names unknown user {user:?}")));
                }
            }
        }
        Ok(())
    }
}

/// An absolute http(s) URL.
fn check_url(what: &str, url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && url.len() <= 2048 && !url.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{what} must be an absolute http(s) URL of at most 2048 characters, not {url:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA";

    fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|error| error.to_string())?;
        config.check()?;
        Ok(config)
    }

    #[test]
    fn a_full_configuration_parses_with_defaults() {
        let config = parse(&format!(
            r#"
            listen = "127.0.0.1:9001"
            [[users]]
            username = "alice"
            password_hash = "{HASH}"
            groups = ["agents"]
            attributes = {{ department = "support" }}
            [[applications]]
            id = "contact-center"
            acs_url = "http://127.0.0.1:8080/saml"
            audience = "urn:amazon:webservices"
            role_session_name = "${{user.username}}"
            session_duration = 3600
            [[applications.roles]]
            role = "arn:aws:iam::000000000000:role/Agent"
            provider = "arn:aws:iam::000000000000:saml-provider/primary"
            groups = ["agents"]
            [[applications.attributes]]
            name = "groups"
            values = ["${{user.groups}}", "fixed"]
            "#
        ))
        .unwrap();
        assert_eq!(config.base_url(), "http://127.0.0.1:9001");
        assert_eq!(config.entity_id(), "http://127.0.0.1:9001/metadata");
        assert_eq!(config.key_type, KeyType::Rsa2048);
        assert_eq!(config.session_hours, 8);
    }

    #[test]
    fn inconsistent_configurations_are_refused_with_the_entry_named() {
        let base = format!(
            "listen = \"127.0.0.1:9001\"\n[[users]]\nusername = \"alice\"\npassword_hash = \"{HASH}\"\n"
        );
        let app = "[[applications]]\nid = \"app\"\naudience = \"sp\"\n";
        for (extra, expected) in [
            (
                format!("[[users]]\nusername = \"alice\"\npassword_hash = \"{HASH}\"\n"),
                "appears twice",
            ),
            (
                format!("{app}acs_url = \"javascript:alert(1)\"\n"),
                "acs_url",
            ),
            (
                format!("{app}acs_url = \"http://sp/acs\"\nsession_duration = 60\n"),
                "session_duration",
            ),
            (
                format!("{app}acs_url = \"http://sp/acs\"\nname_id = \"${{user.unclosed\"\n"),
                "unclosed",
            ),
            (
                format!("{app}acs_url = \"http://sp/acs\"\nusers = [\"mallory\"]\n"),
                "unknown user",
            ),
        ] {
            let error = parse(&format!("{base}{extra}")).unwrap_err();
            assert!(error.contains(expected), "{extra}: {error}");
        }
        let plain = parse(&format!(
            "{base}[[users]]\nusername = \"bob\"\npassword_hash = \"secret\"\n"
        ))
        .unwrap_err();
        assert!(plain.contains("argon2"), "{plain}");
        let unknown = parse(&format!("{base}colour = \"blue\"\n")).unwrap_err();
        assert!(unknown.contains("colour"), "{unknown}");
    }
}
