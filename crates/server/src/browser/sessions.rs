//! The console and agent sessions of a request, and sign-out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use fedgate_signin::AuditContext;
use fedgate_store::EndedSessions as _;
use time::OffsetDateTime;

use super::cookies::{AgentSession, ConsoleSession, CookieError, Kind};
use super::{Visit, append_cookie, see_other};
use crate::auth::{Principal, Proof};
use crate::state::AppState;

/// The refusal code of a cookie that did not open.
fn cookie_code(error: CookieError) -> &'static str {
    match error {
        CookieError::Missing | CookieError::Invalid => "session_required",
        CookieError::Expired => "session_expired",
    }
}

/// Whether session `sid` was ended by a sign-out (on any node).
async fn ended(state: &AppState, sid: &str) -> Result<(), &'static str> {
    match state.iam.store().session_ended(sid).await {
        Ok(false) => Ok(()),
        Ok(true) => Err("session_expired"),
        Err(error) => {
            tracing::error!(%error, "ended-session lookup failed");
            Err("internal_error")
        }
    }
}

/// The console session of the request, opened and checked against sign-out, with the role
/// session it carries as a principal.
///
/// # Errors
/// The refusal page (`session_required`, `session_expired` or `internal_error`), the cookie
/// removed.
pub(super) async fn console_session(
    visit: &Visit<'_>,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<(ConsoleSession, Principal), Response> {
    match open_console_session(visit.state, headers, now).await {
        Ok(opened) => Ok(opened),
        Err(code) => Err(visit
            .refuse_clearing(
                code,
                "no valid console session",
                &AuditContext::default(),
                &[Kind::Console],
            )
            .await),
    }
}

async fn open_console_session(
    state: &AppState,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<(ConsoleSession, Principal), &'static str> {
    let console: ConsoleSession = state
        .web
        .cookies
        .open(Kind::Console, headers, now, |session: &ConsoleSession| {
            session.expires
        })
        .map_err(cookie_code)?;
    ended(state, &console.sid).await?;
    let claims = fedgate_sts::open_session_token(&console.token, state.pipeline.token_key(), now)
        .map_err(|_| "session_expired")?;
    let principal = Principal::Session {
        claims: Box::new(claims),
        proof: Proof::ConsoleSession,
    };
    Ok((console, principal))
}

/// The agent session of the request, checked against sign-out.
///
/// # Errors
/// The refusal page (`session_required`, `session_expired` or `internal_error`), the cookie
/// removed.
pub(super) async fn agent_session(
    visit: &Visit<'_>,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<AgentSession, Response> {
    match open_agent_session(visit.state, headers, now).await {
        Ok(agent) => Ok(agent),
        Err(code) => Err(visit
            .refuse_clearing(
                code,
                "no valid agent session",
                &AuditContext::default(),
                &[Kind::Agent],
            )
            .await),
    }
}

async fn open_agent_session(
    state: &AppState,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<AgentSession, &'static str> {
    let agent: AgentSession = state
        .web
        .cookies
        .open(Kind::Agent, headers, now, |session: &AgentSession| {
            session.expires
        })
        .map_err(cookie_code)?;
    ended(state, &agent.sid).await?;
    Ok(agent)
}

/// `POST /sign-out`: ends the agent and console sessions on every node, clears both cookies,
/// and leads to the start page.
pub(super) async fn sign_out(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let visit = Visit::new(&state, "sign_out", request.extensions());
    let now = state.clock.now();
    let headers = request.headers();
    let cookies = &state.web.cookies;
    let mut context = AuditContext::default();
    let mut ended = Vec::new();
    if let Ok(agent) = cookies.open(Kind::Agent, headers, now, |s: &AgentSession| s.expires) {
        context.session_name = Some(agent.username.clone());
        context.provider_arn = Some(agent.provider_arn.clone());
        ended.push((agent.sid, agent.expires));
        if let Some(console_sid) = agent.console_sid {
            // Its console session's expiry is unknown here; no console session outlives 12 h.
            let bound = (now + super::AGENT_SESSION_MAX).unix_timestamp();
            ended.push((console_sid, bound));
        }
    }
    if let Ok(console) = cookies.open(Kind::Console, headers, now, |s: &ConsoleSession| s.expires) {
        context.provider_arn = Some(console.provider_arn.clone());
        ended.push((console.sid, console.expires));
    }
    for (sid, expires) in ended {
        let expires = OffsetDateTime::from_unix_timestamp(expires).unwrap_or(now);
        if let Err(error) = state.iam.store().end_session(&sid, expires, now).await {
            return visit
                .refuse("internal_error", &error.to_string(), &context)
                .await;
        }
    }
    visit.succeeded(&context).await;
    let mut response = see_other(&format!("{}/", state.web.base_url));
    for kind in [Kind::Agent, Kind::Console] {
        append_cookie(&mut response, &cookies.clear(kind));
    }
    response
}
