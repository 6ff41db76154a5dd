//! The IdP's pages and endpoints.
//!
//! ```text
//! GET  /            the portal (a tile per application), or 303 /login
//! GET  /login       the login form                     POST /login
//! POST /apps/{id}/launch   IdP-initiated sign-in: the auto-submitting form to the ACS URL
//! GET  /sso  (HTTP-Redirect)   POST /sso (HTTP-POST)   SP-initiated sign-in
//! POST /logout      GET /metadata      GET /healthz
//! ```
//! Forms carry a token equal to a cookie of their own (double-submit), so another site cannot
//! submit them. Cookies are HttpOnly, SameSite=Lax, Secure under https, and named after the
//! entity ID, so two IdPs on one host keep their sessions apart.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use askama::Template as _;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::memory::{Pending, Session, random_token};
use crate::respond::{Answer, Binding};
use crate::{Idp, IdpError};

/// Largest request body: a POSTed AuthnRequest is a few KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Answers 408 when a request takes longer than [`REQUEST_TIMEOUT`].
async fn time_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request timeout\n").into_response(),
    }
}

/// The IdP's router.
pub fn router(idp: Arc<Idp>) -> Router {
    Router::new()
        .route("/", get(portal))
        .route("/portal", get(portal))
        .route("/login", get(login_page).post(login_submit))
        .route("/apps/{id}/launch", post(launch))
        .route("/sso", get(sso_redirect).post(sso_post))
        .route("/logout", post(logout))
        .route("/metadata", get(metadata))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(time_limit))
        .with_state(idp)
}

// --- pages -------------------------------------------------------------------------------------

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    idp_name: &'a str,
    entity_id: &'a str,
    csrf: &'a str,
    username: &'a str,
    continue_token: Option<&'a str>,
    error: Option<ShownError>,
    signed_out: bool,
}

#[derive(askama::Template)]
#[template(path = "portal.html")]
struct PortalPage<'a> {
    idp_name: &'a str,
    entity_id: &'a str,
    csrf: &'a str,
    username: &'a str,
    tiles: Vec<Tile<'a>>,
}

struct Tile<'a> {
    id: &'a str,
    name: &'a str,
    audience: &'a str,
}

#[derive(askama::Template)]
#[template(path = "post.html")]
struct PostPage<'a> {
    idp_name: &'a str,
    entity_id: &'a str,
    acs_url: &'a str,
    saml_response: &'a str,
    relay_state: Option<&'a str>,
    nonce: &'a str,
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    idp_name: &'a str,
    entity_id: &'a str,
    title: &'a str,
    message: &'a str,
    hint: &'a str,
    code: &'a str,
    reference: &'a str,
}

struct ShownError {
    code: &'static str,
    message: String,
    reference: String,
}

/// A page with the headers every page carries.
fn page(
    status: StatusCode,
    html: Result<String, askama::Error>,
    script_nonce: Option<&str>,
    cookies: &[String],
) -> Response {
    let Ok(html) = html else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page rendering failed\n").into_response();
    };
    // form-action is left open on the auto-submitting page only: its form posts to the
    // application's ACS URL, and browsers apply form-action to the redirects that follow.
    let policy = match script_nonce {
        Some(nonce) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
        ),
        None => "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'".to_owned(),
    };
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

// --- cookies -----------------------------------------------------------------------------------

impl Idp {
    fn session_cookie_name(&self) -> String {
        format!("fedgate_idp_{}", self.cookie_suffix)
    }

    fn csrf_cookie_name(&self) -> String {
        format!("fedgate_idp_csrf_{}", self.cookie_suffix)
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.secure_cookies {
            cookie.push_str("; Secure");
        }
        if let Some(seconds) = max_age {
            cookie.push_str(&format!("; Max-Age={seconds}"));
        }
        cookie
    }

    /// The live session the request's cookie names.
    fn current_session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let token = cookie_value(headers, &self.session_cookie_name())?;
        let session = self.memory().session(token, self.clock.now())?;
        Some((token.to_owned(), session))
    }

    /// The request's form token, or a new one with the cookie that sets it.
    fn csrf(&self, headers: &HeaderMap) -> Result<(String, Vec<String>), IdpError> {
        if let Some(token) = cookie_value(headers, &self.csrf_cookie_name()) {
            return Ok((token.to_owned(), Vec::new()));
        }
        let token = random_token().map_err(|_| IdpError::Internal)?;
        let cookie = self.cookie(&self.csrf_cookie_name(), &token, None);
        Ok((token, vec![cookie]))
    }

    /// Whether a submitted form carries the token of the cookie (constant time).
    fn form_is_ours(&self, headers: &HeaderMap, submitted: &str) -> bool {
        cookie_value(headers, &self.csrf_cookie_name()).is_some_and(|cookie| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                cookie.as_bytes(),
                submitted.as_bytes(),
            )
            .is_ok()
        })
    }

    // --- rendering ------------------------------------------------------------------------------

    fn error_page(&self, error: &IdpError) -> Response {
        let reference = reference();
        tracing::warn!(code = error.code(), %reference, detail = %error, "refused");
        let (title, message) = error.message();
        let html = ErrorPage {
            idp_name: &self.display_name,
            entity_id: &self.entity_id,
            title,
            message: &message,
            hint: error.hint(),
            code: error.code(),
            reference: &reference,
        }
        .render();
        with_retry_after(page(error.status(), html, None, &[]), Some(error))
    }

    /// The login form; with `error`, its message and the error's status.
    fn login_page(
        &self,
        headers: &HeaderMap,
        username: &str,
        continue_token: Option<&str>,
        error: Option<&IdpError>,
        signed_out: bool,
    ) -> Response {
        let (csrf, cookies) = match self.csrf(headers) {
            Ok(csrf) => csrf,
            Err(error) => return self.error_page(&error),
        };
        let shown = error.map(|error| {
            let reference = reference();
            tracing::info!(code = error.code(), %reference, "login refused");
            ShownError {
                code: error.code(),
                message: error.message().1,
                reference,
            }
        });
        let html = LoginPage {
            idp_name: &self.display_name,
            entity_id: &self.entity_id,
            csrf: &csrf,
            username,
            continue_token,
            error: shown,
            signed_out,
        }
        .render();
        let status = error.map_or(StatusCode::OK, IdpError::status);
        with_retry_after(page(status, html, None, &cookies), error)
    }

    fn post_page(&self, answer: &Answer) -> Response {
        let nonce = random_token().unwrap_or_default();
        let html = PostPage {
            idp_name: &self.display_name,
            entity_id: &self.entity_id,
            acs_url: &answer.acs_url,
            saml_response: &answer.saml_response,
            relay_state: answer.relay_state.as_deref(),
            nonce: &nonce,
        }
        .render();
        page(StatusCode::OK, html, Some(&nonce), &[])
    }

    /// Answers a checked SP-initiated request for `session`, or an IdP-initiated one.
    fn answer_page(
        &self,
        application: usize,
        session: &Session,
        acs_url: String,
        in_response_to: Option<String>,
        relay_state: Option<String>,
    ) -> Response {
        let now = self.clock.now();
        match self.answer(
            application,
            session,
            acs_url,
            in_response_to,
            relay_state,
            now,
        ) {
            Ok(answer) => {
                tracing::info!(
                    user = %session.username,
                    application = self
                        .applications
                        .get(application)
                        .map_or("", |app| app.config.id.as_str()),
                    acs = %answer.acs_url,
                    "response issued"
                );
                self.post_page(&answer)
            }
            Err(error) => self.error_page(&error),
        }
    }
}

/// A short random reference for a refusal, shown on the page and logged with its cause.
fn reference() -> String {
    random_token()
        .map(|token| token.chars().take(12).collect())
        .unwrap_or_default()
}

/// Adds `Retry-After` to the answer to a rate-limited attempt.
fn with_retry_after(mut response: Response, error: Option<&IdpError>) -> Response {
    if let Some(IdpError::RateLimited { retry_after }) = error
        && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The value of cookie `name` in the request.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn client_address(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

// --- handlers ----------------------------------------------------------------------------------

async fn portal(State(idp): State<Arc<Idp>>, headers: HeaderMap) -> Response {
    let Some((_, session)) = idp.current_session(&headers) else {
        return redirect("/login", &[]);
    };
    let Some(user) = idp.users.get(&session.username) else {
        return redirect("/login", &[]);
    };
    let (csrf, cookies) = match idp.csrf(&headers) {
        Ok(csrf) => csrf,
        Err(error) => return idp.error_page(&error),
    };
    let tiles = idp
        .applications
        .iter()
        .filter(|app| app.allows(user))
        .map(|app| Tile {
            id: &app.config.id,
            name: app.config.name.as_deref().unwrap_or(&app.config.id),
            audience: &app.config.audience,
        })
        .collect();
    let html = PortalPage {
        idp_name: &idp.display_name,
        entity_id: &idp.entity_id,
        csrf: &csrf,
        username: &session.username,
        tiles,
    }
    .render();
    page(StatusCode::OK, html, None, &cookies)
}

async fn login_page(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if idp.current_session(&headers).is_some() {
        return redirect("/", &[]);
    }
    let signed_out = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("signed_out=")));
    idp.login_page(&headers, "", None, None, signed_out)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

async fn login_submit(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Response {
    let continue_token = form.continue_token.as_deref().filter(|t| !t.is_empty());
    if !idp.form_is_ours(&headers, &form.csrf) {
        return idp.error_page(&IdpError::FormExpired);
    }
    let username = form.username.trim();
    let address = client_address(&extensions);
    let now = idp.clock.now();
    if let Err(retry_after) = idp.memory().may_try(username, address, now) {
        let error = IdpError::RateLimited { retry_after };
        return idp.login_page(&headers, username, continue_token, Some(&error), false);
    }
    let stored = idp
        .users
        .get(username)
        .map(|user| user.password_hash.clone());
    let password = form.password;
    let matched =
        tokio::task::spawn_blocking(move || crate::password::verify(&password, stored.as_deref()))
            .await
            .unwrap_or(false);
    if !matched {
        idp.memory().failed(username, address, now);
        tracing::info!(user = %username, client = %address, "wrong username or password");
        let error = IdpError::WrongCredentials;
        return idp.login_page(&headers, username, continue_token, Some(&error), false);
    }
    let session = Session {
        username: username.to_owned(),
        authn_instant: now,
        expires: now + idp.session_lifetime,
    };
    let token = {
        let mut memory = idp.memory();
        memory.succeeded(username);
        memory.start_session(session.clone(), now)
    };
    let Some(token) = token else {
        return idp.error_page(&IdpError::Busy);
    };
    tracing::info!(user = %username, client = %address, "signed in");
    let cookie = idp.cookie(
        &idp.session_cookie_name(),
        &token,
        Some(idp.session_lifetime.whole_seconds()),
    );
    let pending = continue_token.and_then(|t| idp.memory().unpark(t, now));
    match pending {
        Some(pending) => {
            let mut response = idp.answer_page(
                pending.application,
                &session,
                pending.acs_url,
                Some(pending.in_response_to),
                pending.relay_state,
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        None => redirect("/", &[cookie]),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn launch(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some((_, session)) = idp.current_session(&headers) else {
        return redirect("/login", &[]);
    };
    if !idp.form_is_ours(&headers, &form.csrf) {
        return idp.error_page(&IdpError::FormExpired);
    }
    let Some((index, app)) = idp.application(&id) else {
        return idp.error_page(&IdpError::UnknownApplication);
    };
    let acs_url = app.config.acs_url.clone();
    let relay_state = app.config.relay_state.clone();
    idp.answer_page(index, &session, acs_url, None, relay_state)
}

async fn sso_redirect(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    sso(&idp, &headers, Binding::Redirect(&query))
}

#[derive(Deserialize)]
struct SsoForm {
    #[serde(rename = "SAMLRequest", default)]
    saml_request: String,
    #[serde(rename = "RelayState", default)]
    relay_state: Option<String>,
}

impl std::fmt::Debug for SsoForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoForm")
            .field("saml_request_len", &self.saml_request.len())
            .finish_non_exhaustive()
    }
}

async fn sso_post(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    Form(form): Form<SsoForm>,
) -> Response {
    sso(
        &idp,
        &headers,
        Binding::Post(&form.saml_request, form.relay_state.as_deref()),
    )
}

/// SP-initiated sign-in: answer at once with a session, else park the request behind the
/// login form.
fn sso(idp: &Idp, headers: &HeaderMap, binding: Binding<'_>) -> Response {
    let now = idp.clock.now();
    let checked = match idp.check_request(binding, now) {
        Ok(checked) => checked,
        Err(error) => return idp.error_page(&error),
    };
    if let Some((_, session)) = idp.current_session(headers)
        && !checked.force_authn
    {
        return idp.answer_page(
            checked.application,
            &session,
            checked.acs_url,
            Some(checked.in_response_to),
            checked.relay_state,
        );
    }
    let pending = Pending {
        application: checked.application,
        acs_url: checked.acs_url,
        in_response_to: checked.in_response_to,
        relay_state: checked.relay_state,
    };
    let Some(token) = idp.memory().park(pending, now) else {
        return idp.error_page(&IdpError::Busy);
    };
    idp.login_page(headers, "", Some(&token), None, false)
}

async fn logout(
    State(idp): State<Arc<Idp>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !idp.form_is_ours(&headers, &form.csrf) {
        return idp.error_page(&IdpError::FormExpired);
    }
    if let Some((token, session)) = idp.current_session(&headers) {
        idp.memory().end_session(&token, idp.clock.now());
        tracing::info!(user = %session.username, "signed out");
    }
    let cleared = idp.cookie(&idp.session_cookie_name(), "", Some(0));
    redirect("/login?signed_out=1", &[cleared])
}

async fn metadata(State(idp): State<Arc<Idp>>) -> Response {
    let mut response = idp.metadata.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    response
}
