//! The audit log: one append-only event per browser sign-in attempt, role-chooser submission,
//! federation hop, STS call and administrative change, in the store (`fedgate audit` reads it).
//! Events never hold an assertion or a secret.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use fedgate_signin::AuditContext;
use fedgate_store::{AuditEvent, AuditLog as _, AuditOutcome, MAX_AUDIT_BATCH, Store};
use tokio::sync::{mpsc, oneshot};

use crate::state::AppState;

/// One event to record.
#[derive(Debug)]
pub struct Entry<'a> {
    /// What happened (`saml_sign_in`, `federate`, `sts:AssumeRoleWithSAML`, `iam:CreateRole`…).
    pub event: &'a str,
    /// Success or failure.
    pub outcome: AuditOutcome,
    /// The refusal's stable code and whole cause.
    pub error: Option<(&'a str, &'a str)>,
    /// What was known of the attempt.
    pub context: &'a AuditContext,
    /// The contact-center instance.
    pub instance_id: Option<&'a str>,
    /// The client's address.
    pub client: Option<String>,
}

/// The client's address, when the listener recorded it.
pub fn client(extensions: &axum::http::Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
}

/// Appends `entry` and returns its reference. A store failure is logged with the reference
/// (the person's request is not failed for it: the log line keeps the event).
pub async fn record(state: &AppState, entry: Entry<'_>) -> String {
    let reference = uuid::Uuid::new_v4().simple().to_string();
    let event = AuditEvent {
        reference: reference.clone(),
        time: state.clock.now(),
        event: entry.event.to_owned(),
        outcome: entry.outcome,
        error_code: entry.error.map(|(code, _)| code.to_owned()),
        detail: entry.error.map(|(_, detail)| detail.to_owned()),
        instance_id: entry.instance_id.map(str::to_owned),
        provider_arn: entry.context.provider_arn.clone(),
        issuer: entry.context.issuer.clone(),
        subject: entry.context.subject.clone(),
        session_name: entry.context.session_name.clone(),
        role_arn: entry.context.role_arn.clone(),
        client: entry.client,
    };
    if let Err(error) = state.audit.append(event).await {
        tracing::error!(%error, %reference, event = entry.event, "audit event not recorded");
    }
    // The store holds the event; the log line is for debugging (the request line is the
    // operator's, and one line per request keeps logging off the hot path).
    tracing::debug!(
        %reference,
        event = entry.event,
        outcome = entry.outcome.as_str(),
        code = entry.error.map(|(code, _)| code),
        "audited"
    );
    reference
}

/// Records an API call: a success, or a failure with its error code and message.
pub async fn record_call(
    state: &AppState,
    event: &str,
    context: &AuditContext,
    error: Option<(&str, &str)>,
    instance_id: Option<&str>,
    client: Option<String>,
) -> String {
    let outcome = match error {
        None => AuditOutcome::Success,
        Some(_) => AuditOutcome::Failure,
    };
    record(
        state,
        Entry {
            event,
            outcome,
            error,
            context,
            instance_id,
            client,
        },
    )
    .await
}

/// Events waiting for the writer; past it, requests wait for room (back-pressure, never loss).
const AUDIT_QUEUE: usize = 4096;

type Pending = (AuditEvent, oneshot::Sender<Result<(), String>>);

/// The audit writer: a request hands its event over and waits until it is committed; one task
/// commits everything that arrived meanwhile in one statement (a group commit), so concurrent
/// sign-ins share one write instead of queueing for the database's write lock one by one.
#[derive(Debug, Clone)]
pub struct AuditWriter {
    sender: mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Starts the writer task over `store` (it ends when every writer handle is dropped).
    pub fn start(store: Store) -> Self {
        let (sender, mut receiver) = mpsc::channel::<Pending>(AUDIT_QUEUE);
        tokio::spawn(async move {
            let mut events = Vec::new();
            let mut replies = Vec::new();
            while let Some((event, reply)) = receiver.recv().await {
                events.push(event);
                replies.push(reply);
                while events.len() < MAX_AUDIT_BATCH {
                    let Ok((event, reply)) = receiver.try_recv() else {
                        break;
                    };
                    events.push(event);
                    replies.push(reply);
                }
                let result = store
                    .append_audit(&events)
                    .await
                    .map_err(|error| error.to_string());
                for reply in replies.drain(..) {
                    let _ = reply.send(result.clone());
                }
                events.clear();
            }
        });
        Self { sender }
    }

    /// Appends `event`, returning once it is committed.
    ///
    /// # Errors
    /// The store's error, or that the writer has stopped.
    pub async fn append(&self, event: AuditEvent) -> Result<(), String> {
        let (reply, committed) = oneshot::channel();
        self.sender
            .send((event, reply))
            .await
            .map_err(|_| "the audit writer has stopped".to_owned())?;
        committed
            .await
            .map_err(|_| "the audit writer has stopped".to_owned())?
    }
}
