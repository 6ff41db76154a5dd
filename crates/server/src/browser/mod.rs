//! The browser path: the sign-in endpoint (`POST /saml`) and role chooser, the console home,
//! the contact-center federation hop, the agent workspace and sign-out.
//!
//! ```text
//! IdP portal ──POST /saml (SAMLResponse, RelayState)──▶ signin::Pipeline::sign_in
//!    ├─ several roles ─▶ role chooser ──POST /saml (ticket, roleIndex)──▶ Pipeline::choose_role
//!    └─ console session cookie ─▶ 303 RelayState (or /console)
//! GET /connect/federate/{id}?destination=… ─ instance? ─ connect:GetFederationToken allowed?
//!    ─ user named exactly the RoleSessionName? ─▶ agent session cookie ─▶ 303 /connect/ccp-v2
//! ```
//! Every step writes one audit event; every refusal is a page carrying its code and the
//! reference of that event.

pub mod cookies;
pub mod pages;
pub mod relay;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fedgate_signin::{AuditContext, Outcome, Refusal, SignedIn};
use fedgate_store::{AuditOutcome, EndedSessions as _, ReplayCache as _, SecretBox};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use self::cookies::{AgentSession, ConsoleSession, CookieError, Cookies, Kind, session_id};
use self::pages::{
    ChooserRole, ConsoleHomePage, ErrorPage, InstanceLink, RoleChooserPage, StartPage,
    WorkspacePage, explain, render,
};
use self::relay::RedirectRules;
use crate::auth::{self, Principal, Proof, Question};
use crate::state::AppState;

/// Longest agent session: Amazon Connect ends SAML sessions 12 hours after sign-in (spec §4.6).
pub const AGENT_SESSION_MAX: Duration = Duration::hours(12);

/// What the browser pages need beyond the shared state.
#[derive(Debug)]
pub struct Web {
    /// This service's public URL, without a trailing slash.
    pub base_url: String,
    /// The session cookies.
    pub cookies: Cookies,
    /// Where a RelayState may lead.
    pub redirects: RedirectRules,
    /// The SP entity ID (shown on the start page).
    pub audience: String,
}

impl Web {
    /// The browser settings for `base_url`; cookies sealed with `cookie_sealer`.
    pub fn new(
        base_url: String,
        cookie_sealer: SecretBox,
        allowed_redirects: Vec<String>,
        audience: String,
    ) -> Self {
        let secure = base_url.starts_with("https://");
        Self {
            cookies: Cookies::new(cookie_sealer, secure),
            redirects: RedirectRules {
                base_url: base_url.clone(),
                allowed_prefixes: allowed_redirects,
            },
            base_url,
            audience,
        }
    }
}

/// The browser routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/saml", post(saml_post))
        .route("/console", get(console_home))
        .route("/connect/federate/{instance_id}", get(federate))
        .route("/connect/federate-token", get(federate_token))
        .route("/connect/ccp-v2", get(workspace))
        .route("/connect/ccp-v2/", get(workspace))
        .route("/connect/agent-status", post(agent_status))
        .route("/sign-out", post(sign_out))
}

/// Whether a `GET /` comes from a browser (HTML accepted, no AWS `Action`): it gets the start
/// page; AWS clients keep the AWS answers.
pub fn wants_start_page(headers: &HeaderMap, query: Option<&str>) -> bool {
    let accepts_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let names_action = query.is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.starts_with("Action=") || pair.starts_with("X-Amz-"))
    });
    accepts_html && !names_action && !headers.contains_key(header::AUTHORIZATION)
}

/// `GET /` for a browser.
pub fn start_page(state: &AppState) -> Response {
    let acs_url = format!("{}/saml", state.web.base_url);
    render(
        StatusCode::OK,
        &StartPage {
            page: "start",
            base: &state.web.base_url,
            acs_url: &acs_url,
            audience: &state.web.audience,
        },
    )
}

/// Appends one audit event and returns its reference.
async fn audit(
    state: &AppState,
    event: &str,
    outcome: AuditOutcome,
    error: Option<(&str, &str)>,
    context: &AuditContext,
    instance_id: Option<&str>,
    client: Option<String>,
) -> String {
    crate::audit::record(
        state,
        crate::audit::Entry {
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

/// The refusal page for `code`, audited.
#[expect(clippy::too_many_arguments, reason = "one audit event's fields")]
async fn refuse(
    state: &AppState,
    event: &str,
    code: &str,
    detail: &str,
    context: &AuditContext,
    instance_id: Option<&str>,
    client: Option<String>,
    clear: &[Kind],
) -> Response {
    let reference = audit(
        state,
        event,
        AuditOutcome::Failure,
        Some((code, detail)),
        context,
        instance_id,
        client,
    )
    .await;
    let explanation = explain(code, context.session_name.as_deref());
    let mut response = render(
        explanation.status,
        &ErrorPage {
            page: "error",
            base: &state.web.base_url,
            code,
            reference: &reference,
            title: explanation.title,
            message: explanation.message,
            advice: explanation.advice,
        },
    );
    for kind in clear {
        if let Ok(value) = HeaderValue::from_str(&state.web.cookies.clear(*kind)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// `POST /saml`: a SAML response (`SAMLResponse`, `RelayState`) or the role chooser's
/// submission (`ticket`, `roleIndex`, `RelayState`).
async fn saml_post(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let client = crate::audit::client(&parts.extensions);
    let form = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(bytes) => form_fields(&bytes),
        Err(_) => HashMap::new(),
    };
    let now = state.clock.now();
    let relay_state = form.get("RelayState").cloned().unwrap_or_default();
    let none = AuditContext::default();
    let result = if let Some(ticket) = form.get("ticket") {
        let Some(role_arn) = form.get("roleIndex") else {
            return refuse(
                &state,
                "role_chosen",
                "bad_request",
                "the role chooser form has no roleIndex",
                &none,
                None,
                client,
                &[],
            )
            .await;
        };
        let step = SignInStep::Choose {
            ticket: ticket.clone(),
            role_arn: role_arn.clone(),
        };
        let outcome = run_sign_in(&state, step, now).await;
        (outcome, "role_chosen")
    } else if let Some(response) = form.get("SAMLResponse") {
        let outcome = run_sign_in(&state, SignInStep::Response(response.clone()), now).await;
        (outcome, "saml_sign_in")
    } else {
        return refuse(
            &state,
            "saml_sign_in",
            "bad_request",
            "the form has no SAMLResponse",
            &none,
            None,
            client,
            &[],
        )
        .await;
    };
    match result {
        (Err(refusal), event) => {
            refuse(
                &state,
                event,
                refusal.code,
                &refusal.detail,
                &refusal.context,
                None,
                client,
                &[],
            )
            .await
        }
        (Ok(Outcome::ChooseRole(choice)), event) => {
            audit(
                &state,
                event,
                AuditOutcome::Success,
                None,
                &choice.context,
                None,
                client,
            )
            .await;
            let action = format!("{}/saml", state.web.base_url);
            let roles = choice
                .roles
                .iter()
                .map(|option| ChooserRole {
                    role_name: option
                        .role_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    role_arn: option.role_arn.clone(),
                    provider_arn: option.provider_arn.clone(),
                })
                .collect();
            render(
                StatusCode::OK,
                &RoleChooserPage {
                    page: "role-chooser",
                    base: &state.web.base_url,
                    action: &action,
                    ticket: &choice.ticket,
                    relay_state: &relay_state,
                    session_name: choice.context.session_name.as_deref().unwrap_or_default(),
                    roles,
                },
            )
        }
        (Ok(Outcome::SignedIn(signed_in)), event) => {
            signed_in_response(&state, *signed_in, &relay_state, event, client, now).await
        }
    }
}

/// The two sign-in steps.
enum SignInStep {
    Response(String),
    Choose { ticket: String, role_arn: String },
}

/// Runs a sign-in step on the bounded CPU pool (signature verification is CPU work that must
/// not stall the async workers); a full pool refuses with `throttled`.
async fn run_sign_in(
    state: &Arc<AppState>,
    step: SignInStep,
    now: OffsetDateTime,
) -> Result<Outcome, Refusal> {
    let shared = Arc::clone(state);
    let job = async move {
        match step {
            SignInStep::Response(response) => {
                shared.pipeline.sign_in(&shared.iam, &response, now).await
            }
            SignInStep::Choose { ticket, role_arn } => shared
                .pipeline
                .choose_role(&shared.iam, &ticket, &role_arn, now)
                .await
                .map(|signed_in| Outcome::SignedIn(Box::new(signed_in))),
        }
    };
    match state.cpu.run_async(job).await {
        Ok(outcome) => outcome,
        Err(error) => Err(Refusal {
            code: "throttled",
            kind: fedgate_signin::RefusalKind::Internal,
            detail: format!("{}: {}", error.code, error.message),
            context: Box::default(),
        }),
    }
}

/// The console session cookie and the redirect of a completed sign-in.
async fn signed_in_response(
    state: &AppState,
    signed_in: SignedIn,
    relay_state: &str,
    event: &str,
    client: Option<String>,
    now: OffsetDateTime,
) -> Response {
    let session = &signed_in.session;
    let expires = session.credentials().expiration;
    let Some(sid) = session_id() else {
        return refuse(
            state,
            event,
            "internal_error",
            "the random generator failed",
            &signed_in.context,
            None,
            client,
            &[],
        )
        .await;
    };
    let console = ConsoleSession {
        sid,
        token: session.credentials().session_token.expose().clone(),
        provider_arn: session.provider_arn().to_owned(),
        issuer: session.issuer().to_owned(),
        expires: expires.unix_timestamp(),
        origin_limit: signed_in
            .session
            .session_not_on_or_after()
            .map(OffsetDateTime::unix_timestamp),
    };
    let Some(cookie) = state.web.cookies.set(Kind::Console, &console, expires, now) else {
        return refuse(
            state,
            event,
            "internal_error",
            "the console cookie could not be sealed",
            &signed_in.context,
            None,
            client,
            &[],
        )
        .await;
    };
    audit(
        state,
        event,
        AuditOutcome::Success,
        None,
        &signed_in.context,
        None,
        client,
    )
    .await;
    let target = state
        .web
        .redirects
        .target(relay_state)
        .unwrap_or_else(|| format!("{}/console", state.web.base_url));
    let mut response = see_other(&target);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// An `application/x-www-form-urlencoded` body as fields (the first value of each name).
fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for pair in body.split(|byte| *byte == b'&') {
        let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
            Some(at) => (
                pair.get(..at).unwrap_or_default(),
                pair.get(at + 1..).unwrap_or_default(),
            ),
            None => (pair, &[][..]),
        };
        let (Some(name), Some(value)) = (form_decode(name), form_decode(value)) else {
            continue;
        };
        fields.entry(name).or_insert(value);
    }
    fields
}

/// Decodes one form component (`+` is a space, `%XX` a byte); `None` when it is not UTF-8.
fn form_decode(raw: &[u8]) -> Option<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut iter = raw.iter().copied();
    while let Some(byte) = iter.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = iter.next().and_then(|c| char::from(c).to_digit(16));
                let low = iter.next().and_then(|c| char::from(c).to_digit(16));
                let (Some(high), Some(low)) = (high, low) else {
                    return None;
                };
                bytes.push(u8::try_from(high * 16 + low).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// The console session of the request, opened and checked against sign-out.
async fn console_session(
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
    match state.iam.store().session_ended(&console.sid).await {
        Ok(false) => {}
        Ok(true) => return Err("session_expired"),
        Err(error) => {
            tracing::error!(%error, "ended-session lookup failed");
            return Err("internal_error");
        }
    }
    let claims = fedgate_sts::open_session_token(&console.token, &state.session_key, now)
        .map_err(|_| "session_expired")?;
    let principal = Principal::Session {
        claims: Box::new(claims),
        proof: Proof::ConsoleSession,
    };
    Ok((console, principal))
}

fn cookie_code(error: CookieError) -> &'static str {
    match error {
        CookieError::Missing | CookieError::Invalid => "session_required",
        CookieError::Expired => "session_expired",
    }
}

/// `GET /console`: who is signed in, and the instances this role may open.
async fn console_home(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let client = crate::audit::client(request.extensions());
    let now = state.clock.now();
    let (console, principal) = match console_session(&state, &headers, now).await {
        Ok(opened) => opened,
        Err(code) => {
            return refuse(
                &state,
                "console",
                code,
                "no valid console session",
                &AuditContext::default(),
                None,
                client,
                &[Kind::Console],
            )
            .await;
        }
    };
    let Principal::Session { claims, .. } = &principal else {
        return refuse(
            &state,
            "console",
            "session_required",
            "not a role session",
            &AuditContext::default(),
            None,
            client,
            &[],
        )
        .await;
    };
    let mut instances = Vec::new();
    match all_instances(&state).await {
        Ok(all) => {
            for (id, alias) in all {
                let (resource, keys) = federation_question(&state, &principal, &id);
                let question = Question {
                    action: "connect:GetFederationToken",
                    resource: &resource,
                    keys,
                };
                if auth::authorize(&state, &principal, &question, now)
                    .await
                    .is_ok()
                {
                    instances.push(InstanceLink {
                        alias: alias.unwrap_or_else(|| id.clone()),
                        id,
                    });
                }
            }
        }
        Err(error) => tracing::error!(%error, "listing instances for the console home failed"),
    }
    let expires = rfc3339(console.expires);
    render(
        StatusCode::OK,
        &ConsoleHomePage {
            page: "console-home",
            base: &state.web.base_url,
            role_arn: claims.role_arn(),
            session_name: claims.session_name(),
            provider_arn: &console.provider_arn,
            expires: &expires,
            instances,
        },
    )
}

/// Most instances the console home lists (an account's Connect quota is 2 by default; the
/// page stays short either way).
const MAX_CONSOLE_INSTANCES: usize = 100;

/// Every instance's ID and alias, oldest first (at most [`MAX_CONSOLE_INSTANCES`]).
async fn all_instances(
    state: &AppState,
) -> Result<Vec<(String, Option<String>)>, fedgate_connect::ConnectError> {
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

/// The resource and condition keys of `connect:GetFederationToken` on `instance_id` for
/// `principal` (spec §4.4: both documented policy patterns must work).
fn federation_question(
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

/// `GET /connect/federate/{instance_id}?destination=…`: the federation hop.
async fn federate(
    State(state): State<Arc<AppState>>,
    Path(instance_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let client = crate::audit::client(request.extensions());
    let headers = request.headers();
    let now = state.clock.now();
    let event = "federate";
    let (console, principal) = match console_session(&state, headers, now).await {
        Ok(opened) => opened,
        Err(code) => {
            return refuse(
                &state,
                event,
                code,
                "no valid console session",
                &AuditContext::default(),
                Some(&instance_id),
                client,
                &[Kind::Console],
            )
            .await;
        }
    };
    let Principal::Session { claims, .. } = &principal else {
        return refuse(
            &state,
            event,
            "session_required",
            "not a role session",
            &AuditContext::default(),
            Some(&instance_id),
            client,
            &[],
        )
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
            return refuse(
                &state,
                event,
                "instance_not_found",
                &format!("no instance {instance_id}"),
                &context,
                Some(&instance_id),
                client,
                &[],
            )
            .await;
        }
        Err(error) => {
            return refuse(
                &state,
                event,
                "internal_error",
                &error.to_string(),
                &context,
                Some(&instance_id),
                client,
                &[],
            )
            .await;
        }
    };
    let (resource, keys) = federation_question(&state, &principal, &instance.id);
    let question = Question {
        action: "connect:GetFederationToken",
        resource: &resource,
        keys,
    };
    if let Err(refusal) = auth::authorize(&state, &principal, &question, now).await {
        let (code, detail) = match refusal {
            auth::Refusal::Denied => (
                "federation_denied",
                format!(
                    "{} may not perform connect:GetFederationToken on {resource}",
                    principal.arn()
                ),
            ),
            auth::Refusal::Internal(error) => ("internal_error", error.message),
        };
        return refuse(
            &state,
            event,
            code,
            &detail,
            &context,
            Some(&instance.id),
            client,
            &[],
        )
        .await;
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
            return refuse(
                &state,
                event,
                "user_not_onboarded",
                &format!(
                    "instance {} has no user named {:?}",
                    instance.id,
                    claims.session_name()
                ),
                &context,
                Some(&instance.id),
                client,
                &[],
            )
            .await;
        }
        Err(error) => {
            return refuse(
                &state,
                event,
                "internal_error",
                &error.to_string(),
                &context,
                Some(&instance.id),
                client,
                &[],
            )
            .await;
        }
    };
    let mut expires = now + AGENT_SESSION_MAX;
    if let Some(limit) = console
        .origin_limit
        .and_then(|limit| OffsetDateTime::from_unix_timestamp(limit).ok())
    {
        expires = expires.min(limit);
    }
    let Some(sid) = session_id() else {
        return refuse(
            &state,
            event,
            "internal_error",
            "the random generator failed",
            &context,
            Some(&instance.id),
            client,
            &[],
        )
        .await;
    };
    let agent = AgentSession {
        sid,
        console_sid: Some(console.sid.clone()),
        instance_id: instance.id.clone(),
        user_id: user.id.clone(),
        username: user.username.clone(),
        provider_arn: console.provider_arn.clone(),
        expires: expires.unix_timestamp(),
    };
    let Some(cookie) = state.web.cookies.set(Kind::Agent, &agent, expires, now) else {
        return refuse(
            &state,
            event,
            "internal_error",
            "the agent cookie could not be sealed",
            &context,
            Some(&instance.id),
            client,
            &[],
        )
        .await;
    };
    audit(
        &state,
        event,
        AuditOutcome::Success,
        None,
        &context,
        Some(&instance.id),
        client,
    )
    .await;
    // AWS's destinations (`/ccp-v2`, `/connect/ccp-v2`, their sub-pages, `/agent-app-v2`) all
    // name the agent workspace, fedgate's one workspace page; nothing else is accepted, so the
    // parameter can never lead off the instance's workspace.
    let destination = query.get("destination").map_or("/ccp-v2", String::as_str);
    tracing::debug!(destination, "federation destination");
    let mut response = see_other(&format!("{}/connect/ccp-v2", state.web.base_url));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /connect/federate-token?token=…`: the `SignInUrl` of `GetFederationToken`. The access
/// token (sealed, expiring, naming the instance and user) opens an agent session once: its ID
/// is recorded in the replay cache, so a leaked URL cannot be opened again.
async fn federate_token(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let client = crate::audit::client(request.extensions());
    let now = state.clock.now();
    let event = "federation_token_sign_in";
    let none = AuditContext::default();
    let Some(token) = query.get("token") else {
        return refuse(
            &state,
            event,
            "session_required",
            "no token",
            &none,
            None,
            client,
            &[],
        )
        .await;
    };
    let access = match state.connect.open_access_token(token, now).await {
        Ok(access) => access,
        Err(fedgate_connect::ConnectError::TokenExpired { .. }) => {
            return refuse(
                &state,
                event,
                "session_expired",
                "the access token expired",
                &none,
                None,
                client,
                &[],
            )
            .await;
        }
        Err(fedgate_connect::ConnectError::ResourceNotFound(detail)) => {
            return refuse(
                &state,
                event,
                "instance_not_found",
                &detail,
                &none,
                None,
                client,
                &[],
            )
            .await;
        }
        Err(fedgate_connect::ConnectError::UserNotFound) => {
            return refuse(
                &state,
                event,
                "user_not_onboarded",
                "the token's user no longer exists",
                &none,
                None,
                client,
                &[],
            )
            .await;
        }
        Err(error) => {
            return refuse(
                &state,
                event,
                "session_required",
                &error.to_string(),
                &none,
                None,
                client,
                &[],
            )
            .await;
        }
    };
    let context = AuditContext {
        provider_arn: access.provider_arn.clone(),
        session_name: Some(access.session_name.clone()),
        role_arn: Some(access.role_arn.clone()),
        ..AuditContext::default()
    };
    // INVARIANT: a sign-in URL opens one agent session: the token's ID is a unique row.
    match state
        .iam
        .store()
        .record_assertion(
            FEDERATION_TOKEN_SCOPE,
            &access.token_id,
            access.expires,
            now,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                &state,
                event,
                "replayed",
                "this sign-in URL was already used",
                &context,
                Some(&access.instance.id),
                client,
                &[],
            )
            .await;
        }
        Err(error) => {
            return refuse(
                &state,
                event,
                "internal_error",
                &error.to_string(),
                &context,
                Some(&access.instance.id),
                client,
                &[],
            )
            .await;
        }
    }
    let Some(sid) = session_id() else {
        return refuse(
            &state,
            event,
            "internal_error",
            "the random generator failed",
            &context,
            Some(&access.instance.id),
            client,
            &[],
        )
        .await;
    };
    let expires = access.expires.min(now + AGENT_SESSION_MAX);
    let agent = AgentSession {
        sid,
        console_sid: None,
        instance_id: access.instance.id.clone(),
        user_id: access.user.id.clone(),
        username: access.user.username.clone(),
        provider_arn: access.provider_arn.clone().unwrap_or_default(),
        expires: expires.unix_timestamp(),
    };
    let Some(cookie) = state.web.cookies.set(Kind::Agent, &agent, expires, now) else {
        return refuse(
            &state,
            event,
            "internal_error",
            "the agent cookie could not be sealed",
            &context,
            Some(&access.instance.id),
            client,
            &[],
        )
        .await;
    };
    audit(
        &state,
        event,
        AuditOutcome::Success,
        None,
        &context,
        Some(&access.instance.id),
        client,
    )
    .await;
    let mut response = see_other(&format!("{}/connect/ccp-v2", state.web.base_url));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The replay-cache scope of federation-token sign-ins (never an ARN).
const FEDERATION_TOKEN_SCOPE: &str = "fedgate:federation-token";

/// The agent session of the request.
async fn agent_session(
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
    match state.iam.store().session_ended(&agent.sid).await {
        Ok(false) => Ok(agent),
        Ok(true) => Err("session_expired"),
        Err(error) => {
            tracing::error!(%error, "ended-session lookup failed");
            Err("internal_error")
        }
    }
}

/// `GET /connect/ccp-v2`: the agent workspace.
async fn workspace(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let client = crate::audit::client(request.extensions());
    let now = state.clock.now();
    let agent = match agent_session(&state, request.headers(), now).await {
        Ok(agent) => agent,
        Err(code) => {
            return refuse(
                &state,
                "workspace",
                code,
                "no valid agent session",
                &AuditContext::default(),
                None,
                client,
                &[Kind::Agent],
            )
            .await;
        }
    };
    let context = AuditContext {
        provider_arn: Some(agent.provider_arn.clone()),
        session_name: Some(agent.username.clone()),
        ..AuditContext::default()
    };
    let (instance, user) = match (
        state.connect.instance(&agent.instance_id).await,
        state.connect.user(&agent.instance_id, &agent.user_id).await,
    ) {
        (Ok(Some(instance)), Ok(Some(user))) => (instance, user),
        (Ok(None), _) => {
            return refuse(
                &state,
                "workspace",
                "instance_not_found",
                "the session's instance was deleted",
                &context,
                Some(&agent.instance_id),
                client,
                &[Kind::Agent],
            )
            .await;
        }
        (_, Ok(None)) => {
            return refuse(
                &state,
                "workspace",
                "user_not_onboarded",
                "the session's user was deleted",
                &context,
                Some(&agent.instance_id),
                client,
                &[Kind::Agent],
            )
            .await;
        }
        (Err(error), _) | (_, Err(error)) => {
            return refuse(
                &state,
                "workspace",
                "internal_error",
                &error.to_string(),
                &context,
                Some(&agent.instance_id),
                client,
                &[],
            )
            .await;
        }
    };
    let status = user.agent_status.as_str();
    let next_status = if status == "Available" {
        "Offline"
    } else {
        "Available"
    };
    let expires = rfc3339(agent.expires);
    render(
        StatusCode::OK,
        &WorkspacePage {
            page: "agent-workspace",
            base: &state.web.base_url,
            username: &user.username,
            instance_alias: instance.alias.as_deref().unwrap_or(&instance.id),
            instance_id: &instance.id,
            provider_arn: &agent.provider_arn,
            expires: &expires,
            agent_status: status,
            next_status,
        },
    )
}

/// Whether a state-changing form came from this service (`Origin`, when the browser sends it,
/// must be the base URL's origin). The session cookies are `SameSite=Lax`, so a cross-site
/// POST carries none of them either.
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return true;
    };
    let base = &state.web.base_url;
    let base_origin = base
        .find("://")
        .and_then(|scheme_end| {
            let after = scheme_end + 3;
            base.get(after..)
                .map(|rest| rest.find('/').map_or(base.len(), |slash| after + slash))
        })
        .and_then(|end| base.get(..end))
        .unwrap_or(base);
    origin == base_origin
}

/// `POST /connect/agent-status` (`status` = `Available` | `Offline`).
async fn agent_status(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let client = crate::audit::client(request.extensions());
    let now = state.clock.now();
    let (parts, body) = request.into_parts();
    let agent = match agent_session(&state, &parts.headers, now).await {
        Ok(agent) => agent,
        Err(code) => {
            return refuse(
                &state,
                "agent_status",
                code,
                "no valid agent session",
                &AuditContext::default(),
                None,
                client,
                &[Kind::Agent],
            )
            .await;
        }
    };
    let context = AuditContext {
        provider_arn: Some(agent.provider_arn.clone()),
        session_name: Some(agent.username.clone()),
        ..AuditContext::default()
    };
    if !same_origin(&state, &parts.headers) {
        return refuse(
            &state,
            "agent_status",
            "bad_request",
            "cross-origin form",
            &context,
            Some(&agent.instance_id),
            client,
            &[],
        )
        .await;
    }
    let form = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => form_fields(&bytes),
        Err(_) => HashMap::new(),
    };
    let status = match form
        .get("status")
        .map(|status| fedgate_connect::AgentStatus::parse(status))
    {
        Some(Some(status)) => status,
        _ => {
            return refuse(
                &state,
                "agent_status",
                "bad_request",
                "status must be Available or Offline",
                &context,
                Some(&agent.instance_id),
                client,
                &[],
            )
            .await;
        }
    };
    if let Err(error) = state
        .connect
        .set_agent_status(&agent.instance_id, &agent.user_id, status, now)
        .await
    {
        return refuse(
            &state,
            "agent_status",
            "internal_error",
            &error.to_string(),
            &context,
            Some(&agent.instance_id),
            client,
            &[],
        )
        .await;
    }
    audit(
        &state,
        "agent_status",
        AuditOutcome::Success,
        None,
        &context,
        Some(&agent.instance_id),
        client,
    )
    .await;
    see_other(&format!("{}/connect/ccp-v2", state.web.base_url))
}

/// `POST /sign-out`: ends the agent and console sessions on every node, clears both cookies,
/// and shows the start page's address.
async fn sign_out(State(state): State<Arc<AppState>>, request: axum::extract::Request) -> Response {
    let client = crate::audit::client(request.extensions());
    let now = state.clock.now();
    let headers = request.headers();
    let mut context = AuditContext::default();
    let mut ended = Vec::new();
    if let Ok(agent) = state
        .web
        .cookies
        .open(Kind::Agent, headers, now, |s: &AgentSession| s.expires)
    {
        context.session_name = Some(agent.username.clone());
        context.provider_arn = Some(agent.provider_arn.clone());
        ended.push((agent.sid, agent.expires));
        if let Some(console_sid) = agent.console_sid {
            ended.push((console_sid, agent.expires));
        }
    }
    if let Ok(console) =
        state
            .web
            .cookies
            .open(Kind::Console, headers, now, |s: &ConsoleSession| s.expires)
    {
        context.provider_arn = Some(console.provider_arn.clone());
        ended.push((console.sid, console.expires));
    }
    for (sid, expires) in ended {
        let expires = OffsetDateTime::from_unix_timestamp(expires).unwrap_or(now);
        if let Err(error) = state.iam.store().end_session(&sid, expires, now).await {
            return refuse(
                &state,
                "sign_out",
                "internal_error",
                &error.to_string(),
                &context,
                None,
                client,
                &[],
            )
            .await;
        }
    }
    audit(
        &state,
        "sign_out",
        AuditOutcome::Success,
        None,
        &context,
        None,
        client,
    )
    .await;
    let mut response = see_other(&format!("{}/", state.web.base_url));
    for kind in [Kind::Agent, Kind::Console] {
        if let Ok(value) = HeaderValue::from_str(&state.web.cookies.clear(kind)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_fields() {
        let fields = form_fields(
            b"SAMLResponse=PHNhbWw%2B+x&RelayState=%2Fconsole&empty=&SAMLResponse=second",
        );
        assert_eq!(
            fields.get("SAMLResponse").map(String::as_str),
            Some("PHNhbWw+ x")
        );
        assert_eq!(
            fields.get("RelayState").map(String::as_str),
            Some("/console")
        );
        assert_eq!(fields.get("empty").map(String::as_str), Some(""));
        assert!(!form_fields(b"bad=%ZZ").contains_key("bad"));
    }
}
