//! The role chooser's ticket: what the chooser form carries between the first `POST /saml`
//! and the person's choice.
//!
//! AWS's chooser page re-embeds the SAML response in a hidden field. fedgate's pages never
//! echo an assertion, so the form carries this ticket instead: the decoded response, a random
//! nonce and an expiry, sealed (AES-256-GCM) under a service key of its own. Only this service
//! can make one; the nonce is recorded once in the replay cache when the form is submitted, so
//! a form can be used once; the response is validated again at submission.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Pipeline;

/// Associated data of every sealed ticket (its purpose and format version).
const TICKET_CONTEXT: &str = "fedgate:role-chooser-ticket:v1";

/// The replay-cache "provider" under which chooser nonces are recorded (never an ARN, so it
/// cannot collide with a provider's assertion IDs).
pub(crate) const CHOOSER_REPLAY_SCOPE: &str = "fedgate:role-chooser";

#[derive(Serialize, Deserialize)]
pub(crate) struct Ticket {
    /// The decoded SAML response (XML).
    pub(crate) xml: String,
    /// 128 random bits, hex.
    pub(crate) nonce: String,
    /// Unix seconds after which the ticket is refused (the assertion's own expiry).
    pub(crate) expires_at: i64,
}

/// Why a ticket was refused.
#[derive(Debug)]
pub(crate) enum TicketError {
    /// Not sealed by this service (or altered, or of another version).
    Invalid,
    /// Past its expiry.
    Expired,
    /// The random generator or the sealing failed.
    Internal(String),
}

pub(crate) fn nonce() -> Result<String, TicketError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| TicketError::Internal("the system random generator failed".to_owned()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

impl Pipeline {
    pub(crate) fn seal_ticket(&self, ticket: &Ticket) -> Result<String, TicketError> {
        let json =
            serde_json::to_vec(ticket).map_err(|error| TicketError::Internal(error.to_string()))?;
        let sealed = self
            .chooser
            .seal(TICKET_CONTEXT, &json)
            .map_err(|error| TicketError::Internal(error.to_string()))?;
        // URL-safe, so the ticket survives form encoding untouched.
        let standard = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .map_err(|error| TicketError::Internal(error.to_string()))?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(standard))
    }

    pub(crate) fn open_ticket(
        &self,
        sealed: &str,
        now: OffsetDateTime,
    ) -> Result<Ticket, TicketError> {
        // Bounded before any work: a ticket is the response (≤ the binding's cap) plus a little.
        if sealed.len() > 2 * fedgate_saml::binding::DEFAULT_MAX_DECODED {
            return Err(TicketError::Invalid);
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed.trim())
            .map_err(|_| TicketError::Invalid)?;
        let standard = base64::engine::general_purpose::STANDARD.encode(raw);
        let json = self
            .chooser
            .open(TICKET_CONTEXT, &standard)
            .map_err(|_| TicketError::Invalid)?;
        let ticket: Ticket =
            serde_json::from_slice(json.expose()).map_err(|_| TicketError::Invalid)?;
        if now.unix_timestamp() >= ticket.expires_at {
            return Err(TicketError::Expired);
        }
        Ok(ticket)
    }
}
