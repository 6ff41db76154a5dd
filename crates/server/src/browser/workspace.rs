//! The agent workspace (`/connect/ccp-v2`) and its status form.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use fedgate_connect::AgentStatus;
use fedgate_signin::AuditContext;

use super::cookies::{AgentSession, Kind};
use super::pages::{WorkspacePage, render};
use super::sessions::agent_session;
use super::signin::form_fields;
use super::{Visit, rfc3339, see_other};
use crate::state::AppState;

/// Longest status form body accepted.
const MAX_STATUS_FORM_BYTES: usize = 4096;

/// What the audit log records of an agent session's requests.
fn agent_context(agent: &AgentSession) -> AuditContext {
    AuditContext {
        provider_arn: Some(agent.provider_arn.clone()),
        session_name: Some(agent.username.clone()),
        ..AuditContext::default()
    }
}

/// `GET /connect/ccp-v2`: the agent workspace.
pub(super) async fn workspace(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let mut visit = Visit::new(&state, "workspace", request.extensions());
    let now = state.clock.now();
    let agent = match agent_session(&visit, request.headers(), now).await {
        Ok(agent) => agent,
        Err(refused) => return refused,
    };
    visit.in_instance(&agent.instance_id);
    let context = agent_context(&agent);
    let (instance, user) = match (
        state.connect.instance(&agent.instance_id).await,
        state.connect.user(&agent.instance_id, &agent.user_id).await,
    ) {
        (Ok(Some(instance)), Ok(Some(user))) => (instance, user),
        (Ok(None), _) => {
            let detail = "the session's instance was deleted";
            return visit
                .refuse_clearing("instance_not_found", detail, &context, &[Kind::Agent])
                .await;
        }
        (_, Ok(None)) => {
            let detail = "the session's user was deleted";
            return visit
                .refuse_clearing("user_not_onboarded", detail, &context, &[Kind::Agent])
                .await;
        }
        (Err(error), _) | (_, Err(error)) => {
            return visit
                .refuse("internal_error", &error.to_string(), &context)
                .await;
        }
    };
    let status = user.agent_status;
    let next_status = match status {
        AgentStatus::Available => AgentStatus::Offline,
        AgentStatus::Offline => AgentStatus::Available,
    };
    let expires = rfc3339(agent.expires);
    render(
        StatusCode::OK,
        &WorkspacePage {
            base: &state.web.base_url,
            username: &user.username,
            instance_alias: instance.alias.as_deref().unwrap_or(&instance.id),
            instance_id: &instance.id,
            provider_arn: &agent.provider_arn,
            expires: &expires,
            agent_status: status.as_str(),
            next_status: next_status.as_str(),
        },
    )
}

/// Whether a state-changing form came from this service: `Origin`, when the browser sends it,
/// must be the base URL's origin. The session cookies are `SameSite=Lax`, so a cross-site POST
/// carries none of them either.
fn same_origin(base_url: &str, headers: &HeaderMap) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return true;
    };
    let authority_start = base_url.find("://").map_or(0, |at| at + 3);
    let base_origin = base_url
        .get(authority_start..)
        .and_then(|rest| rest.find('/'))
        .and_then(|slash| base_url.get(..authority_start + slash))
        .unwrap_or(base_url);
    origin == base_origin
}

/// `POST /connect/agent-status` (`status` = `Available` | `Offline`).
pub(super) async fn agent_status(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let mut visit = Visit::new(&state, "agent_status", request.extensions());
    let now = state.clock.now();
    let (parts, body) = request.into_parts();
    let agent = match agent_session(&visit, &parts.headers, now).await {
        Ok(agent) => agent,
        Err(refused) => return refused,
    };
    visit.in_instance(&agent.instance_id);
    let context = agent_context(&agent);
    if !same_origin(&state.web.base_url, &parts.headers) {
        return visit
            .refuse("bad_request", "a form from another origin", &context)
            .await;
    }
    let form = match axum::body::to_bytes(body, MAX_STATUS_FORM_BYTES).await {
        Ok(bytes) => form_fields(&bytes),
        Err(_) => Default::default(),
    };
    let Some(status) = form
        .get("status")
        .and_then(|status| AgentStatus::parse(status))
    else {
        let detail = "status must be Available or Offline";
        return visit.refuse("bad_request", detail, &context).await;
    };
    if let Err(error) = state
        .connect
        .set_agent_status(&agent.instance_id, &agent.user_id, status, now)
        .await
    {
        return visit
            .refuse("internal_error", &error.to_string(), &context)
            .await;
    }
    visit.succeeded(&context).await;
    see_other(&format!("{}/connect/ccp-v2", state.web.base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let origin = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, value.parse().unwrap());
            headers
        };
        let base = "https://fedgate.example.com";
        assert!(same_origin(base, &HeaderMap::new()));
        assert!(same_origin(base, &origin("https://fedgate.example.com")));
        assert!(same_origin(
            "https://fedgate.example.com/prefix",
            &origin("https://fedgate.example.com")
        ));
        assert!(!same_origin(base, &origin("https://evil.test")));
        assert!(!same_origin(base, &origin("http://fedgate.example.com")));
        assert!(!same_origin(
            base,
            &origin("https://fedgate.example.com:8443")
        ));
    }
}
