//! Storage of the browser sign-in: the audit log and ended (signed-out) sessions.
//!
//! The replay cache, which the sign-in also uses, is [`crate::ReplayCache`].

use std::future::Future;

use time::OffsetDateTime;

use crate::sql::{commit, get, timestamp};
use crate::{StoreError, sql::Store};

/// Most audit events one listing returns (`fedgate audit` pages through older ones with
/// `--since`).
pub const MAX_AUDIT_LISTING: usize = 10_000;

/// Most events one [`AuditLog::append_audit`] writes: 14 parameters each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
pub const MAX_AUDIT_BATCH: usize = 256;

/// Outcome of an audited attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// The attempt succeeded.
    Success,
    /// It was refused or failed.
    Failure,
}

impl AuditOutcome {
    /// `success` or `failure`, as stored and printed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "success" => Ok(Self::Success),
            "failure" => Ok(Self::Failure),
            other => Err(StoreError::Corrupt {
                detail: format!("audit outcome {other:?}"),
            }),
        }
    }
}

/// One audit event. Holds no assertion and no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unique reference, shown to the person on refusal pages (`data-reference`).
    pub reference: String,
    /// When it happened (microsecond precision is kept for ordering).
    pub time: OffsetDateTime,
    /// What happened: `saml_sign_in`, `role_chosen`, `federate`, `sts:AssumeRoleWithSAML`,
    /// `iam:CreateRole`, …
    pub event: String,
    /// Success or failure.
    pub outcome: AuditOutcome,
    /// The stable code of a refusal.
    pub error_code: Option<String>,
    /// The refusal's full message (the cause the page does not show).
    pub detail: Option<String>,
    /// The contact-center instance involved.
    pub instance_id: Option<String>,
    /// The SAML provider whose key verified the assertion (or that was asked for).
    pub provider_arn: Option<String>,
    /// The assertion's issuer (unverified when the signature was not checked).
    pub issuer: Option<String>,
    /// The NameID.
    pub subject: Option<String>,
    /// The role session name.
    pub session_name: Option<String>,
    /// The role.
    pub role_arn: Option<String>,
    /// The client's address.
    pub client: Option<String>,
}

/// Which audit events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only this outcome.
    pub outcome: Option<AuditOutcome>,
    /// Only events of this provider.
    pub provider_arn: Option<String>,
    /// Most events returned (newest last); capped at [`MAX_AUDIT_LISTING`].
    pub limit: usize,
}

/// The append-only audit log.
pub trait AuditLog: Send + Sync {
    /// Appends events (one statement for all of them: a group commit), at most
    /// [`MAX_AUDIT_BATCH`].
    fn append_audit(
        &self,
        events: &[AuditEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Events matching `query`, oldest first (the newest `limit` of them).
    fn list_audit(
        &self,
        query: &AuditQuery,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;
}

/// Sessions ended before their expiry (sign-out), shared by every node.
pub trait EndedSessions: Send + Sync {
    /// Records that session `session_id` has ended; kept until `expires_at`. Idempotent.
    fn end_session(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Whether the session has ended.
    fn session_ended(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

const AUDIT_COLUMNS: &str = "reference, event_time, event_micros, event, outcome, error_code, \
    detail, instance_id, provider_arn, issuer, subject, session_name, role_arn, client";

impl AuditLog for Store {
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        const COLUMNS: usize = 14;
        if events.is_empty() {
            return Ok(());
        }
        if events.len() > MAX_AUDIT_BATCH {
            return Err(StoreError::Configuration {
                detail: format!("at most {MAX_AUDIT_BATCH} audit events per append"),
            });
        }
        let rows: Vec<String> = (0..events.len())
            .map(|row| {
                let placeholders: Vec<String> = (1..=COLUMNS)
                    .map(|column| format!("${}", row * COLUMNS + column))
                    .collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in events {
            query = query
                .bind(event.reference.as_str())
                .bind(event.time.unix_timestamp())
                .bind(i64::from(event.time.microsecond()))
                .bind(event.event.as_str())
                .bind(event.outcome.as_str())
                .bind(event.error_code.as_deref())
                .bind(event.detail.as_deref())
                .bind(event.instance_id.as_deref())
                .bind(event.provider_arn.as_deref())
                .bind(event.issuer.as_deref())
                .bind(event.subject.as_deref())
                .bind(event.session_name.as_deref())
                .bind(event.role_arn.as_deref())
                .bind(event.client.as_deref());
        }
        query
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::db("append audit events", error))?;
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        // Fixed SQL text: absent filters bind NULL and match everything.
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events \
             WHERE ($1 IS NULL OR event_time >= $1) \
               AND ($2 IS NULL OR outcome = $2) \
               AND ($3 IS NULL OR provider_arn = $3) \
             ORDER BY event_time DESC, event_micros DESC, reference DESC LIMIT $4"
        );
        let limit = query.limit.clamp(1, MAX_AUDIT_LISTING);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(query.since.map(OffsetDateTime::unix_timestamp))
            .bind(query.outcome.map(AuditOutcome::as_str))
            .bind(query.provider_arn.as_deref())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| StoreError::db("list audit events", error))?;
        let mut events = rows
            .iter()
            .map(|row| {
                let seconds: i64 = get(row, "event_time")?;
                let micros: i64 = get(row, "event_micros")?;
                let time = timestamp(seconds)?
                    .replace_microsecond(u32::try_from(micros).unwrap_or(0))
                    .map_err(|_| StoreError::Corrupt {
                        detail: format!("audit microseconds {micros}"),
                    })?;
                let outcome: String = get(row, "outcome")?;
                Ok(AuditEvent {
                    reference: get(row, "reference")?,
                    time,
                    event: get(row, "event")?,
                    outcome: AuditOutcome::parse(&outcome)?,
                    error_code: get(row, "error_code")?,
                    detail: get(row, "detail")?,
                    instance_id: get(row, "instance_id")?,
                    provider_arn: get(row, "provider_arn")?,
                    issuer: get(row, "issuer")?,
                    subject: get(row, "subject")?,
                    session_name: get(row, "session_name")?,
                    role_arn: get(row, "role_arn")?,
                    client: get(row, "client")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        events.reverse();
        Ok(events)
    }
}

impl EndedSessions for Store {
    async fn end_session(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut transaction = self.write("end session").await?;
        // Housekeeping in the same transaction: ended sessions past their expiry need no entry.
        sqlx::query("DELETE FROM ended_sessions WHERE expires_at <= $1")
            .bind(now.unix_timestamp())
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::db("end session", error))?;
        sqlx::query(
            "INSERT INTO ended_sessions (session_id, expires_at) VALUES ($1, $2) \
             ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session_id)
        .bind(expires_at.unix_timestamp())
        .execute(&mut *transaction)
        .await
        .map_err(|error| StoreError::db("end session", error))?;
        commit(transaction, "end session").await
    }

    async fn session_ended(&self, session_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS ended FROM ended_sessions WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| StoreError::db("read ended session", error))?;
        Ok(row.is_some())
    }
}
