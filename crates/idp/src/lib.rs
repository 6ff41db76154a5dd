//! fedgate's built-in SAML 2.0 identity provider.
//!
//! Small but real: users from a configuration file (argon2id hashes), a login page rate
//! limited per user and per client address, a portal with one tile per application, signed
//! responses (the Assertion always, the Response on request) made with `fedgate-dsig`,
//! IdP-initiated and SP-initiated sign-in (HTTP-Redirect and HTTP-POST `AuthnRequest`s, signed
//! ones checked against the SP's metadata), and metadata at `GET /metadata`. What tests, small
//! deployments and `fedgate demo` use.
//!
//! ```text
//! login (username, password) ──argon2id──▶ Session (cookie)
//! portal tile / AuthnRequest ──▶ Application + registered ACS URL
//!     ──saml::idp::build_response + sign_response──▶ auto-submitting HTTP-POST form
//! ```

pub mod config;
mod error;
pub mod keys;
mod memory;
mod password;
mod respond;
mod template;
mod web;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use fedgate_saml::idp::SpMetadata;

pub use config::{ApplicationConfig, AttributeConfig, Config, KeyType, RoleConfig, UserConfig};
pub use error::IdpError;
pub use fedgate_model::Clock;
pub use password::hash_password;
pub use web::router;

use crate::memory::Memory;
use crate::template::Template;

/// One configured application, its templates parsed and its SP metadata read.
#[derive(Debug)]
struct Application {
    config: ApplicationConfig,
    name_id: Template,
    role_session_name: Option<Template>,
    attributes: Vec<(AttributeConfig, Vec<Template>)>,
    sp: Option<SpMetadata>,
}

impl Application {
    fn open(config: ApplicationConfig) -> Result<Self, String> {
        let context = |error: String| format!("application {:?}: {error}", config.id);
        let name_id = Template::parse(config.name_id.as_deref().unwrap_or("${user.username}"))
            .map_err(context)?;
        let role_session_name = config
            .role_session_name
            .as_deref()
            .map(Template::parse)
            .transpose()
            .map_err(context)?;
        let attributes = config
            .attributes
            .iter()
            .map(|attribute| {
                let values = attribute
                    .values
                    .iter()
                    .map(|value| Template::parse(value))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((attribute.clone(), values))
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(context)?;
        let sp = match &config.sp_metadata {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| context(format!("cannot read {}: {error}", path.display())))?;
                let metadata =
                    fedgate_saml::idp::parse_sp_metadata(&text, &fedgate_xml::Limits::default())
                        .map_err(|error| context(format!("{}: {error}", path.display())))?;
                if metadata.entity_id != config.audience {
                    return Err(context(format!(
                        "the SP metadata's entityID {:?} is not the audience {:?}",
                        metadata.entity_id, config.audience
                    )));
                }
                Some(metadata)
            }
        };
        Ok(Self {
            config,
            name_id,
            role_session_name,
            attributes,
            sp,
        })
    }

    /// Whether `user` may open this application.
    fn allows(&self, user: &UserConfig) -> bool {
        granted(&self.config.users, &self.config.groups, user)
    }

    /// Whether `url` is the application's `acs_url` or one of its `acs_urls`.
    fn configured_acs(&self, url: &str) -> bool {
        self.config.acs_url == url || self.config.acs_urls.iter().any(|acs| acs == url)
    }
}

/// Whether `user` is named in `users` or a member of one of `groups`; both empty: everyone.
fn granted(users: &[String], groups: &[String], user: &UserConfig) -> bool {
    (users.is_empty() && groups.is_empty())
        || users.contains(&user.username)
        || user.groups.iter().any(|group| groups.contains(group))
}

/// A running IdP's state.
#[derive(Debug)]
pub struct Idp {
    entity_id: String,
    base_url: String,
    display_name: String,
    sign_response: bool,
    session_lifetime: time::Duration,
    keys: keys::Keys,
    metadata: String,
    users: HashMap<String, UserConfig>,
    applications: Vec<Application>,
    memory: Mutex<Memory>,
    /// Cookie names carry a digest of the entity ID: two IdPs on one host (different ports
    /// share cookies) keep their sessions apart.
    cookie_suffix: String,
    secure_cookies: bool,
    clock: Clock,
}

impl Idp {
    /// Opens the IdP: the signing key (created on first start), SP metadata files, templates.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn open(config: Config, clock: Clock) -> Result<Self, String> {
        config.check()?;
        let entity_id = config.entity_id();
        let base_url = config.base_url();
        let common_name = base_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .unwrap_or("fedgate-idp")
            .to_owned();
        let keys = keys::load_or_create(
            &config.data_dir(),
            config.key_type,
            &common_name,
            clock.now(),
        )?;
        let sso_url = format!("{base_url}/sso");
        let metadata = fedgate_saml::idp::idp_metadata(
            &entity_id,
            &sso_url,
            &sso_url,
            &keys.certificate_der,
            false,
        );
        let applications = config
            .applications
            .iter()
            .cloned()
            .map(Application::open)
            .collect::<Result<Vec<_>, _>>()?;
        let users = config
            .users
            .iter()
            .map(|user| (user.username.clone(), user.clone()))
            .collect();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, entity_id.as_bytes());
        let cookie_suffix = digest
            .as_ref()
            .iter()
            .take(4)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Self {
            display_name: config
                .display_name
                .clone()
                .unwrap_or_else(|| "fedgate IdP".to_owned()),
            secure_cookies: base_url.starts_with("https://"),
            entity_id,
            base_url,
            sign_response: config.sign_response,
            session_lifetime: time::Duration::hours(i64::from(config.session_hours)),
            keys,
            metadata,
            users,
            applications,
            memory: Mutex::new(Memory::default()),
            cookie_suffix,
            clock,
        })
    }

    /// The SAML entity ID.
    #[must_use]
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The public URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The SSO endpoint (both bindings), as the metadata publishes it.
    fn sso_url(&self) -> String {
        format!("{}/sso", self.base_url)
    }

    /// The metadata document served at `/metadata`.
    #[must_use]
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The signing certificate (PEM).
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.keys.certificate_pem
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // A panic while holding the lock cannot leave the maps inconsistent (each operation
        // is a single map insert or removal), so a poisoned lock is still usable.
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn application(&self, id: &str) -> Option<(usize, &Application)> {
        self.applications
            .iter()
            .enumerate()
            .find(|(_, app)| app.config.id == id)
    }

    fn application_for_issuer(&self, issuer: &str) -> Option<(usize, &Application)> {
        self.applications
            .iter()
            .enumerate()
            .find(|(_, app)| app.config.audience == issuer)
    }
}
