//! The console and agent session cookies: sealed (AES-256-GCM under a service key), expiring,
//! `HttpOnly`, `SameSite=Lax` (the IdP's cross-site POST must carry the new cookie's
//! redirect), and `Secure` with the `__Host-` prefix when the base URL is https. Any node can
//! open them; sign-out records the session ID in the store so every node refuses it.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use fedgate_store::SecretBox;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Longest cookie value accepted (browsers keep 4,096 bytes per cookie).
const MAX_COOKIE_CHARS: usize = 4096;

/// The two sessions of the browser path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// After `POST /saml`: the role session.
    Console,
    /// After the federation hop: the agent in one instance.
    Agent,
}

impl Kind {
    fn base_name(self) -> &'static str {
        match self {
            Self::Console => "fedgate-console",
            Self::Agent => "fedgate-agent",
        }
    }

    /// Associated data of the sealed value: a console cookie never opens as an agent cookie.
    fn context(self) -> &'static str {
        match self {
            Self::Console => "fedgate:console-session:v1",
            Self::Agent => "fedgate:agent-session:v1",
        }
    }
}

/// The console session: the STS session token of the role session and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsoleSession {
    /// Random session ID (sign-out ends it by this ID).
    pub sid: String,
    /// The role session's sealed STS session token (role, session name, session policies).
    pub token: String,
    /// The provider whose key verified the assertion.
    pub provider_arn: String,
    /// The assertion's issuer.
    pub issuer: String,
    /// Unix seconds: end of the console session.
    pub expires: i64,
    /// Unix seconds: SessionNotOnOrAfter of the assertion, the limit of every session derived
    /// from this one.
    pub origin_limit: Option<i64>,
}

/// The agent session in one instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentSession {
    /// Random session ID.
    pub sid: String,
    /// The console session it came from (ended with it at sign-out).
    pub console_sid: Option<String>,
    /// The instance.
    pub instance_id: String,
    /// The contact-center user.
    pub user_id: String,
    /// Their username (= the RoleSessionName).
    pub username: String,
    /// The provider the sign-in came through.
    pub provider_arn: String,
    /// Unix seconds: end of the agent session.
    pub expires: i64,
}

/// Seals and opens the session cookies.
#[derive(Debug)]
pub struct Cookies {
    sealer: SecretBox,
    secure: bool,
}

/// Why a cookie was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// No cookie of that kind.
    Missing,
    /// Present, but past its expiry.
    Expired,
    /// Not sealed by this service, altered, or unreadable.
    Invalid,
}

/// A random session ID: 128 bits, hex.
pub fn session_id() -> Option<String> {
    fedgate_store::random_id().ok()
}

impl Cookies {
    /// Cookies sealed with `sealer`; `secure` when the base URL is https.
    pub fn new(sealer: SecretBox, secure: bool) -> Self {
        Self { sealer, secure }
    }

    /// The cookie's name: `__Host-<name>` when secure.
    pub fn name(&self, kind: Kind) -> String {
        if self.secure {
            format!("__Host-{}", kind.base_name())
        } else {
            kind.base_name().to_owned()
        }
    }

    /// The `Set-Cookie` value carrying `value` until `expires`.
    pub fn set<T: Serialize>(
        &self,
        kind: Kind,
        value: &T,
        expires: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Option<String> {
        let json = serde_json::to_vec(value).ok()?;
        let value = self.sealer.seal_url_safe(kind.context(), &json).ok()?;
        let max_age = (expires - now).whole_seconds().max(0);
        Some(format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.name(kind),
            if self.secure { "; Secure" } else { "" }
        ))
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear(&self, kind: Kind) -> String {
        format!(
            "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
            self.name(kind),
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// Opens the cookie of `kind` from the request headers; `expires_of` reads the expiry of
    /// the opened value.
    pub fn open<T: DeserializeOwned>(
        &self,
        kind: Kind,
        headers: &HeaderMap,
        now: OffsetDateTime,
        expires_of: impl Fn(&T) -> i64,
    ) -> Result<T, CookieError> {
        let name = self.name(kind);
        let value = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|header| header.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
            .ok_or(CookieError::Missing)?;
        if value.is_empty() {
            return Err(CookieError::Missing);
        }
        if value.len() > MAX_COOKIE_CHARS {
            return Err(CookieError::Invalid);
        }
        let json = self
            .sealer
            .open_url_safe(kind.context(), value)
            .map_err(|_| CookieError::Invalid)?;
        let opened: T = serde_json::from_slice(json.expose()).map_err(|_| CookieError::Invalid)?;
        if now.unix_timestamp() >= expires_of(&opened) {
            return Err(CookieError::Expired);
        }
        Ok(opened)
    }
}
