//! What the IdP keeps in memory, each map bounded: login sessions, SP-initiated requests
//! waiting for a login, and failed-login counters per user and per client address.
//!
//! The IdP is small on purpose: a restart logs everybody out, which is what a demo and a test
//! IdP want. Every map has a ceiling; expired entries are swept before it is reached, and past
//! it new entries are refused rather than old ones evicted (an attacker filling the map must
//! not be able to log other people out).

use std::collections::HashMap;
use std::net::IpAddr;

use base64::Engine as _;
use time::{Duration, OffsetDateTime};

/// Most live login sessions.
pub const MAX_SESSIONS: usize = 100_000;
/// Most SP-initiated requests waiting for a login.
pub const MAX_PENDING: usize = 10_000;
/// How long an SP-initiated request waits for the login.
pub const PENDING_LIFETIME: Duration = Duration::minutes(10);
/// Most tracked users and addresses, each.
pub const MAX_TRACKED: usize = 100_000;
/// Failed logins for one user within [`FAILURE_WINDOW`] before further attempts wait.
pub const MAX_USER_FAILURES: u32 = 5;
/// Failed logins from one client address within [`FAILURE_WINDOW`].
pub const MAX_ADDRESS_FAILURES: u32 = 20;
/// The window failures are counted in (OWASP's authentication cheat sheet suggests a lockout
/// period of this order).
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

/// A fresh random token: 32 bytes, base64url.
///
/// # Errors
/// When the system random generator fails.
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "the system random generator failed")?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A SAML ID: `_` and 32 hex digits of randomness.
///
/// # Errors
/// When the system random generator fails.
pub fn random_saml_id() -> Result<String, String> {
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "the system random generator failed")?;
    Ok(bytes.iter().fold(String::from("_"), |mut id, byte| {
        id.push_str(&format!("{byte:02x}"));
        id
    }))
}

/// A map whose entries expire.
#[derive(Debug)]
struct Expiring<V> {
    entries: HashMap<String, (V, OffsetDateTime)>,
    max: usize,
}

impl<V> Expiring<V> {
    fn new(max: usize) -> Self {
        Self {
            entries: HashMap::new(),
            max,
        }
    }

    /// Inserts under a fresh token; `None` when full of live entries.
    fn insert(&mut self, value: V, expires: OffsetDateTime, now: OffsetDateTime) -> Option<String> {
        if self.entries.len() >= self.max {
            self.entries.retain(|_, (_, until)| *until > now);
            if self.entries.len() >= self.max {
                return None;
            }
        }
        let token = random_token().ok()?;
        self.entries.insert(token.clone(), (value, expires));
        Some(token)
    }

    fn get(&self, token: &str, now: OffsetDateTime) -> Option<&V> {
        self.entries
            .get(token)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value)
    }

    fn remove(&mut self, token: &str, now: OffsetDateTime) -> Option<V> {
        self.entries
            .remove(token)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value)
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub username: String,
    /// When the login happened (the assertion's AuthnInstant).
    pub authn_instant: OffsetDateTime,
    /// When it ends (SessionNotOnOrAfter).
    pub expires: OffsetDateTime,
}

/// An SP-initiated request waiting for the login.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The application's index in the configuration.
    pub application: usize,
    /// Where the response goes (already checked as registered).
    pub acs_url: String,
    /// The request's ID.
    pub in_response_to: String,
    /// The request's RelayState.
    pub relay_state: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    since: OffsetDateTime,
}

/// Everything in memory, behind one lock (each operation is a few map operations).
#[derive(Debug)]
pub struct Memory {
    sessions: Expiring<Session>,
    pending: Expiring<Pending>,
    user_failures: HashMap<String, Window>,
    address_failures: HashMap<IpAddr, Window>,
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            sessions: Expiring::new(MAX_SESSIONS),
            pending: Expiring::new(MAX_PENDING),
            user_failures: HashMap::new(),
            address_failures: HashMap::new(),
        }
    }
}

impl Memory {
    /// Starts a session; its token, or `None` when the session table is full.
    pub fn start_session(&mut self, session: Session, now: OffsetDateTime) -> Option<String> {
        let expires = session.expires;
        self.sessions.insert(session, expires, now)
    }

    /// The live session of `token`.
    #[must_use]
    pub fn session(&self, token: &str, now: OffsetDateTime) -> Option<Session> {
        self.sessions.get(token, now).cloned()
    }

    /// Ends the session of `token`.
    pub fn end_session(&mut self, token: &str, now: OffsetDateTime) {
        self.sessions.remove(token, now);
    }

    /// Parks an SP-initiated request; its token, or `None` when full.
    pub fn park(&mut self, pending: Pending, now: OffsetDateTime) -> Option<String> {
        self.pending.insert(pending, now + PENDING_LIFETIME, now)
    }

    /// Takes a parked request (once).
    pub fn unpark(&mut self, token: &str, now: OffsetDateTime) -> Option<Pending> {
        self.pending.remove(token, now)
    }

    /// Whether a login for `username` from `address` may be tried now; otherwise the seconds
    /// until it may.
    ///
    /// # Errors
    /// The number of seconds to wait.
    pub fn may_try(&self, username: &str, address: IpAddr, now: OffsetDateTime) -> Result<(), i64> {
        let wait = |window: Option<&Window>, max: u32| {
            window
                .filter(|w| w.failures >= max && w.since + FAILURE_WINDOW > now)
                .map(|w| (w.since + FAILURE_WINDOW - now).whole_seconds().max(1))
        };
        let user = wait(self.user_failures.get(username), MAX_USER_FAILURES);
        let address = wait(self.address_failures.get(&address), MAX_ADDRESS_FAILURES);
        match user.max(address) {
            Some(seconds) => Err(seconds),
            None => Ok(()),
        }
    }

    /// Counts a failed login.
    pub fn failed(&mut self, username: &str, address: IpAddr, now: OffsetDateTime) {
        count(&mut self.user_failures, username.to_owned(), now);
        count(&mut self.address_failures, address, now);
    }

    /// A successful login clears the user's failures (not the address's).
    pub fn succeeded(&mut self, username: &str) {
        self.user_failures.remove(username);
    }
}

fn count<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Window>, key: K, now: OffsetDateTime) {
    if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
        map.retain(|_, w| w.since + FAILURE_WINDOW > now);
        if map.len() >= MAX_TRACKED {
            return;
        }
    }
    let window = map.entry(key).or_insert(Window {
        failures: 0,
        since: now,
    });
    if window.since + FAILURE_WINDOW <= now {
        *window = Window {
            failures: 0,
            since: now,
        };
    }
    window.failures = window.failures.saturating_add(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = time::macros::datetime!(2026-12-04 12:00 UTC);

    #[test]
    fn sessions_expire_and_end() {
        let mut memory = Memory::default();
        let session = Session {
            username: "alice".into(),
            authn_instant: T0,
            expires: T0 + Duration::hours(1),
        };
        let token = memory.start_session(session, T0).unwrap();
        assert_eq!(memory.session(&token, T0).unwrap().username, "alice");
        assert!(memory.session(&token, T0 + Duration::hours(1)).is_none());
        memory.end_session(&token, T0);
        assert!(memory.session(&token, T0).is_none());
    }

    #[test]
    fn parked_requests_are_taken_once() {
        let mut memory = Memory::default();
        let pending = Pending {
            application: 0,
            acs_url: "http://sp/acs".into(),
            in_response_to: "_r1".into(),
            relay_state: None,
        };
        let token = memory.park(pending, T0).unwrap();
        assert!(memory.unpark(&token, T0).is_some());
        assert!(memory.unpark(&token, T0).is_none());
    }

    #[test]
    fn failures_lock_the_user_then_the_address_for_the_window() {
        let mut memory = Memory::default();
        let here: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..MAX_USER_FAILURES {
            assert!(memory.may_try("alice", here, T0).is_ok());
            memory.failed("alice", here, T0);
        }
        let wait = memory.may_try("alice", here, T0).unwrap_err();
        assert_eq!(wait, FAILURE_WINDOW.whole_seconds());
        assert!(
            memory.may_try("bob", here, T0).is_ok(),
            "other users unaffected"
        );
        assert!(memory.may_try("alice", here, T0 + FAILURE_WINDOW).is_ok());
        for n in 0..MAX_ADDRESS_FAILURES {
            memory.failed(&format!("user{n}"), here, T0);
        }
        assert!(
            memory.may_try("bob", here, T0).is_err(),
            "the address is limited"
        );
        assert!(memory.may_try("bob", [10, 0, 0, 1].into(), T0).is_ok());
        memory.succeeded("alice");
    }

    #[test]
    fn saml_ids_are_ncnames() {
        let id = random_saml_id().unwrap();
        assert!(id.starts_with('_') && id.len() == 33, "{id}");
    }
}
