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
mod federation;
pub mod pages;
pub mod relay;
mod sessions;
mod signin;
mod workspace;

use std::sync::Arc;

use axum::Router;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fedgate_signin::AuditContext;
use fedgate_store::{AuditOutcome, SecretBox};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use self::cookies::{Cookies, Kind};
use self::pages::{ErrorPage, StartPage, explain, render};
use self::relay::RedirectRules;
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
        .route("/saml", post(signin::saml_post))
        .route("/console", get(federation::console_home))
        .route("/connect/federate/{instance_id}", get(federation::federate))
        .route("/connect/federate-token", get(federation::federate_token))
        .route("/connect/ccp-v2", get(workspace::workspace))
        .route("/connect/ccp-v2/", get(workspace::workspace))
        .route("/connect/agent-status", post(workspace::agent_status))
        .route("/sign-out", post(sessions::sign_out))
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
            base: &state.web.base_url,
            acs_url: &acs_url,
            audience: &state.web.audience,
        },
    )
}

/// One browser request as the audit log sees it: which event, from which client, in which
/// instance. Every outcome of the request is recorded through it, once.
struct Visit<'s> {
    state: &'s AppState,
    event: &'static str,
    client: Option<String>,
    instance_id: Option<String>,
}

impl<'s> Visit<'s> {
    fn new(state: &'s AppState, event: &'static str, extensions: &Extensions) -> Self {
        Self {
            state,
            event,
            client: crate::audit::client(extensions),
            instance_id: None,
        }
    }

    /// The event names another step (the chooser's submission is `role_chosen`).
    fn renamed(mut self, event: &'static str) -> Self {
        self.event = event;
        self
    }

    /// From here on, the event concerns `instance_id`.
    fn in_instance(&mut self, instance_id: &str) {
        self.instance_id = Some(instance_id.to_owned());
    }

    async fn record(
        &self,
        outcome: AuditOutcome,
        error: Option<(&str, &str)>,
        context: &AuditContext,
    ) -> String {
        crate::audit::record(
            self.state,
            crate::audit::Entry {
                event: self.event,
                outcome,
                error,
                context,
                instance_id: self.instance_id.as_deref(),
                client: self.client.clone(),
            },
        )
        .await
    }

    /// Records success.
    async fn succeeded(&self, context: &AuditContext) {
        self.record(AuditOutcome::Success, None, context).await;
    }

    /// Records the refusal and answers its page.
    async fn refuse(&self, code: &str, detail: &str, context: &AuditContext) -> Response {
        self.refuse_clearing(code, detail, context, &[]).await
    }

    /// Records the refusal and answers its page, removing the cookies of `clear`.
    async fn refuse_clearing(
        &self,
        code: &str,
        detail: &str,
        context: &AuditContext,
        clear: &[Kind],
    ) -> Response {
        let reference = self
            .record(AuditOutcome::Failure, Some((code, detail)), context)
            .await;
        let explanation = explain(code, context.session_name.as_deref());
        let mut response = render(
            explanation.status,
            &ErrorPage {
                base: &self.state.web.base_url,
                code,
                reference: &reference,
                title: explanation.title,
                message: explanation.message,
                advice: explanation.advice,
            },
        );
        for kind in clear {
            let cookie = self.state.web.cookies.clear(*kind);
            append_cookie(&mut response, &cookie);
        }
        response
    }
}

/// `303 See Other` to `location`.
fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Adds a `Set-Cookie` header.
fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Unix seconds as RFC 3339 (the pages' `session-expires`).
fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}
