//! The role chooser's ticket: what the chooser form carries between the first `POST /saml`
//! and the person's choice.
//!
//! AWS's chooser page re-embeds the SAML response in a hidden field. fedgate's pages never
//! echo an assertion, so the form carries this ticket instead: the decoded response, a random
//! nonce and an expiry, sealed (AES-256-GCM) under a service key of its own. Only this service
//! can make one; the nonce is recorded once in the replay cache when the form is submitted, so
//! a form can be used once; the response is validated again at submission.

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
    fedgate_store::random_id().map_err(|error| TicketError::Internal(error.to_string()))
}

impl Pipeline {
    pub(crate) fn seal_ticket(&self, ticket: &Ticket) -> Result<String, TicketError> {
        let json =
            serde_json::to_vec(ticket).map_err(|error| TicketError::Internal(error.to_string()))?;
        self.chooser
            .seal_url_safe(TICKET_CONTEXT, &json)
            .map_err(|error| TicketError::Internal(error.to_string()))
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
        let json = self
            .chooser
            .open_url_safe(TICKET_CONTEXT, sealed.trim())
            .map_err(|_| TicketError::Invalid)?;
        let ticket: Ticket =
            serde_json::from_slice(json.expose()).map_err(|_| TicketError::Invalid)?;
        if now.unix_timestamp() >= ticket.expires_at {
            return Err(TicketError::Expired);
        }
        Ok(ticket)
    }
}
