//! From a role session to an agent session: the console home, the federation hop
//! (`/connect/federate/{id}`) and the `SignInUrl` of `GetFederationToken`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fedgate_connect::ConnectError;
use fedgate_signin::AuditContext;
use fedgate_store::ReplayCache as _;
use time::OffsetDateTime;

use super::cookies::{AgentSession, Kind, session_id};
use super::pages::{ConsoleHomePage, InstanceLink, render};
use super::sessions::console_session;
use super::{AGENT_SESSION_MAX, Visit, append_cookie, rfc3339, see_other};
use crate::auth::{self, Principal, Question};
use crate::state::AppState;

/// Most instances the console home lists.
const MAX_CONSOLE_INSTANCES: usize = 100;

/// The replay-cache scope of federation-token sign-ins (never an ARN, so it cannot collide
/// with a provider's assertion IDs).
const FEDERATION_TOKEN_SCOPE: &str = "fedgate:federation-token";

/// `connect:GetFederationToken` on `instance_id` for `principal`: the resource
/// `…:instance/<id>/user/${aws:userid}` and the `connect:InstanceId` key, so both documented
/// policy patterns (spec §4.4) decide it.
fn may_federate(
    state: &AppState,
    principal: &Principal,
    instance_id: &str,
) -> (String, Vec<(&'static str, String)>) {
    let resource = state
        .connect
        .federation_resource(instance_id, &principal.user_id());
    (
        resource,
        vec![("connect:InstanceId", instance_id.to_owned())],
    )
}

/// Every instance's ID and alias, oldest first (at most [`MAX_CONSOLE_INSTANCES`]).
async fn all_instances(state: &AppState) -> Result<Vec<(String, Option<String>)>, ConnectError> {
    let mut all = Vec::new();
    let mut params = fedgate_connect::wire::ListParams::default();
    loop {
        let page = state.connect.list_instances(&params).await?;
        all.extend(
            page.instance_summary_list
                .into_iter()
                .map(|instance| (instance.id, instance.instance_alias)),
        );
        match page.next_token {
            Some(token) if all.len() < MAX_CONSOLE_INSTANCES => params.next_token = Some(token),
            _ => break,
        }
    }
    all.truncate(MAX_CONSOLE_INSTANCES);
    Ok(all)
}

/// `GET /console`: who is signed in, and the instances this role may open.
pub(super) async fn console_home(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let visit = Visit::new(&state, "console", request.extensions());
    let now = state.clock.now();
    let none = AuditContext::default();
    let (console, principal) = match console_session(&visit, request.headers(), now).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let Principal::Session { claims, .. } = &principal else {
        return visit
            .refuse("session_required", "not a role session", &none)
            .await;
    };
    let mut instances = Vec::new();
    match all_instances(&state).await {
        Ok(all) => {
            for (id, alias) in all {
                let (resource, keys) = may_federate(&state, &principal, &id);
                let question = Question {
                    action: "connect:GetFederationToken",
                    resource: &resource,
                    keys,
                };
                if auth::authorize(&state, &principal, &question, now)
                    .await
                    .is_ok()
                {
                    let alias = alias.unwrap_or_else(|| id.clone());
                    instances.push(InstanceLink { id, alias });
                }
            }
        }
        Err(error) => tracing::error!(%error, "listing instances for the console home failed"),
    }
    let expires = rfc3339(console.expires);
    render(
        StatusCode::OK,
        &ConsoleHomePage {
            base: &state.web.base_url,
            role_arn: claims.role_arn(),
            session_name: claims.session_name(),
            provider_arn: &console.provider_arn,
            expires: &expires,
            instances,
        },
    )
}

/// `GET /connect/federate/{instance_id}?destination=…`: the federation hop. Checks, in order:
/// a console session, the instance, `connect:GetFederationToken` for the role session there,
/// a user named exactly as the role session; then an agent session and the workspace.
pub(super) async fn federate(
    State(state): State<Arc<AppState>>,
    Path(instance_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let mut visit = Visit::new(&state, "federate", request.extensions());
    visit.in_instance(&instance_id);
    let now = state.clock.now();
    let (console, principal) = match console_session(&visit, request.headers(), now).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let Principal::Session { claims, .. } = &principal else {
        let none = AuditContext::default();
        return visit
            .refuse("session_required", "not a role session", &none)
            .await;
    };
    let context = AuditContext {
        provider_arn: Some(console.provider_arn.clone()),
        issuer: Some(console.issuer.clone()),
        subject: None,
        session_name: Some(claims.session_name().to_owned()),
        role_arn: Some(claims.role_arn().to_owned()),
    };
    let instance = match state.connect.instance(&instance_id).await {
        Ok(Some(instance)) => instance,
        Ok(None) => {
            let detail = format!("no instance {instance_id}");
            return visit.refuse("instance_not_found", &detail, &context).await;
        }
        Err(error) => {
            return visit
                .refuse("internal_error", &error.to_string(), &context)
                .await;
        }
    };
    let (resource, keys) = may_federate(&state, &principal, &instance.id);
    let question = Question {
        action: "connect:GetFederationToken",
        resource: &resource,
        keys,
    };
    match auth::authorize(&state, &principal, &question, now).await {
        Ok(_allowed) => {}
        Err(auth::Refusal::Denied) => {
            let detail = format!(
                "{} may not perform connect:GetFederationToken on {resource}",
                principal.arn()
            );
            return visit.refuse("federation_denied", &detail, &context).await;
        }
        Err(auth::Refusal::Internal(error)) => {
            return visit
                .refuse("internal_error", &error.message, &context)
                .await;
        }
    }
    // INVARIANT: the agent is the user whose username equals the role session name exactly
    // (case-sensitive, as Connect compares them).
    let user = match state
        .connect
        .user_by_username(&instance.id, claims.session_name())
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => {
            let detail = format!(
                "instance {} has no user named {:?}",
                instance.id,
                claims.session_name()
            );
            return visit.refuse("user_not_onboarded", &detail, &context).await;
        }
        Err(error) => {
            return visit
                .refuse("internal_error", &error.to_string(), &context)
                .await;
        }
    };
    // At most 12 hours (Connect's limit), never past the assertion's SessionNotOnOrAfter.
    let mut expires = now + AGENT_SESSION_MAX;
    if let Some(limit) = console
        .origin_limit
        .and_then(|limit| OffsetDateTime::from_unix_timestamp(limit).ok())
    {
        expires = expires.min(limit);
    }
    let agent = AgentSession {
        sid: String::new(),
        console_sid: Some(console.sid.clone()),
        instance_id: instance.id.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        provider_arn: console.provider_arn.clone(),
        expires: expires.unix_timestamp(),
    };
    // AWS's destinations (`/ccp-v2`, `/connect/ccp-v2`, their sub-pages, `/agent-app-v2`) all
    // name the agent workspace, fedgate's one workspace page; nothing else is accepted, so the
    // parameter can never lead off the instance's workspace.
    let destination = query.get("destination").map_or("/ccp-v2", String::as_str);
    tracing::debug!(destination, "federation destination");
    open_agent_session(&visit, agent, &context, now).await
}

/// Sets the agent session cookie (with a fresh session ID), audits success and leads to the
/// workspace.
async fn open_agent_session(
    visit: &Visit<'_>,
    mut agent: AgentSession,
    context: &AuditContext,
    now: OffsetDateTime,
) -> Response {
    let web = &visit.state.web;
    let Some(sid) = session_id() else {
        return visit
            .refuse("internal_error", "the random generator failed", context)
            .await;
    };
    agent.sid = sid;
    let expires = OffsetDateTime::from_unix_timestamp(agent.expires).unwrap_or(now);
    let Some(cookie) = web.cookies.set(Kind::Agent, &agent, expires, now) else {
        return visit
            .refuse(
                "internal_error",
                "the agent cookie could not be sealed",
                context,
            )
            .await;
    };
    visit.succeeded(context).await;
    let mut response = see_other(&format!("{}/connect/ccp-v2", web.base_url));
    append_cookie(&mut response, &cookie);
    response
}

/// `GET /connect/federate-token?token=…`: the `SignInUrl` of `GetFederationToken`. The access
/// token (sealed, expiring, naming the instance and user) opens an agent session once: its ID
/// is recorded in the replay cache, so a leaked URL cannot be opened again.
pub(super) async fn federate_token(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let mut visit = Visit::new(&state, "federation_token_sign_in", request.extensions());
    let now = state.clock.now();
    let none = AuditContext::default();
    let Some(token) = query.get("token") else {
        return visit.refuse("session_required", "no token", &none).await;
    };
    let access = match state.connect.open_access_token(token, now).await {
        Ok(access) => access,
        Err(error) => {
            let code = match &error {
                ConnectError::TokenExpired { .. } => "session_expired",
                ConnectError::ResourceNotFound(_) => "instance_not_found",
                ConnectError::UserNotFound => "user_not_onboarded",
                _ => "session_required",
            };
            return visit.refuse(code, &error.to_string(), &none).await;
        }
    };
    visit.in_instance(&access.instance.id);
    let context = AuditContext {
        provider_arn: access.provider_arn.clone(),
        session_name: Some(access.session_name.clone()),
        role_arn: Some(access.role_arn.clone()),
        ..AuditContext::default()
    };
    // INVARIANT: a sign-in URL opens one agent session: the token's ID is a unique row.
    let first_use = state
        .iam
        .store()
        .record_assertion(
            FEDERATION_TOKEN_SCOPE,
            &access.token_id,
            access.expires,
            now,
        )
        .await;
    match first_use {
        Ok(true) => {}
        Ok(false) => {
            let detail = "this sign-in URL was already used";
            return visit.refuse("replayed", detail, &context).await;
        }
        Err(error) => {
            return visit
                .refuse("internal_error", &error.to_string(), &context)
                .await;
        }
    }
    let expires = access.expires.min(now + AGENT_SESSION_MAX);
    let agent = AgentSession {
        sid: String::new(),
        console_sid: None,
        instance_id: access.instance.id.clone(),
        user_id: access.user.id.clone(),
        username: access.user.username.clone(),
        provider_arn: access.provider_arn.clone().unwrap_or_default(),
        expires: expires.unix_timestamp(),
    };
    open_agent_session(&visit, agent, &context, now).await
}
