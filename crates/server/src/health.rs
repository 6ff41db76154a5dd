//! Readiness that reflects the store as requests see it, and the AWS-shaped answers to
//! requests no route takes (unknown path or method, oversized body).
//!
//! `SELECT 1` succeeds on a SQLite file with a damaged page, so a ping alone keeps `/readyz`
//! at 200 while every `ListRoles` fails. Here every 500 answered is recorded, and `/readyz`
//! answers 503:
//! - while the store does not answer a ping;
//! - for [`FAILING_WINDOW`] after an internal error;
//! - for [`CHECK_WINDOW`] after an internal error, while SQLite's `quick_check` fails (a
//!   damaged page stays a 503 even when no request touches it).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use fedgate_aws_wire::{AwsError, Service};
use fedgate_store::Store;
use tokio::time::Instant;

use crate::{AppState, MAX_BODY_BYTES};

/// How long `/readyz` fails after an internal error (500): a load balancer's usual probe
/// interval is 5–10 s, so a store failing on every request keeps the node out of rotation,
/// and one passing error costs at most this.
pub const FAILING_WINDOW: Duration = Duration::from_secs(10);

/// How long after an internal error `/readyz` also runs the store's integrity check.
pub const CHECK_WINDOW: Duration = Duration::from_secs(600);

/// How long an integrity-check result is reused (probes may come every second).
const CHECK_REUSE: Duration = Duration::from_secs(5);

/// What `/readyz` knows beyond a ping.
#[derive(Debug)]
pub struct Health {
    state: Mutex<HealthState>,
    failing_window: Duration,
}

impl Default for Health {
    fn default() -> Self {
        Self::with_failing_window(FAILING_WINDOW)
    }
}

#[derive(Debug, Default)]
struct HealthState {
    last_failure: Option<Instant>,
    failures: u64,
    last_check: Option<(Instant, Result<(), String>)>,
}

impl Health {
    fn with_failing_window(failing_window: Duration) -> Self {
        Self {
            state: Mutex::default(),
            failing_window,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an internal error (a 500 answered).
    pub fn record_failure(&self) {
        let mut state = self.lock();
        state.last_failure = Some(Instant::now());
        state.failures = state.failures.saturating_add(1);
        state.last_check = None;
    }

    /// `Ok` when ready; otherwise why not.
    ///
    /// # Errors
    /// The reason, for the 503 body.
    pub async fn check(&self, store: &Store) -> Result<(), String> {
        store
            .ping()
            .await
            .map_err(|error| format!("store unavailable: {error}"))?;
        let (last_failure, failures, reusable) = {
            let state = self.lock();
            let reusable = state
                .last_check
                .as_ref()
                .filter(|(at, _)| at.elapsed() < CHECK_REUSE)
                .map(|(_, result)| result.clone());
            (state.last_failure, state.failures, reusable)
        };
        let Some(last_failure) = last_failure else {
            return Ok(());
        };
        let since = last_failure.elapsed();
        if since < self.failing_window {
            return Err(format!(
                "store failing: internal error {} s ago ({failures} since start)",
                since.as_secs()
            ));
        }
        if since >= CHECK_WINDOW {
            return Ok(());
        }
        match reusable {
            Some(result) => result,
            None => {
                let result = store
                    .quick_check()
                    .await
                    .map_err(|error| format!("store failing: {error}"));
                self.lock().last_check = Some((Instant::now(), result.clone()));
                result
            }
        }
    }
}

/// Middleware: records every 500 in [`AppState::health`].
pub async fn record_failures(
    State(state): State<Arc<AppState>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        state.health.record_failure();
    }
    response
}

/// Middleware: a `Content-Length` over [`MAX_BODY_BYTES`] is refused before the body is
/// read (without it a client announcing 100 GB holds the connection until the request
/// timeout), and the body-limit rejection of a chunked body is given the AWS error shape.
pub async fn body_limits(request: Request<Body>, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if let Some(length) = announced
        && length > MAX_BODY_BYTES as u64
    {
        tracing::info!(
            content_length = length,
            "request body too large: refused before reading"
        );
        let mut response = too_large(Some(length));
        // The body is left unread: the connection cannot be reused.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return response;
    }
    let response = next.run(request).await;
    let is_xml = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/xml"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_xml {
        return too_large(None);
    }
    response
}

fn too_large(length: Option<u64>) -> Response {
    let message = match length {
        Some(length) => format!(
            "Request body of {length} bytes is larger than the {MAX_BODY_BYTES} bytes accepted."
        ),
        None => format!("Request body is larger than the {MAX_BODY_BYTES} bytes accepted."),
    };
    aws_error(&AwsError::new(
        "RequestEntityTooLargeException",
        413,
        message,
    ))
}

/// The fallback for paths no route takes: AWS's error shape, 404.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    aws_error(&AwsError::new(
        "NotFound",
        404,
        format!(
            "No resource at {}: the AWS Query API (IAM, STS) is at /.",
            uri.path()
        ),
    ))
}

/// The fallback for a method a path does not take: AWS's error shape, 405.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    aws_error(&AwsError::new(
        "MethodNotAllowed",
        405,
        format!("The method {method} is not allowed on {}.", uri.path()),
    ))
}

/// An AWS Query error answer (IAM's namespace: the service is unknown) with a fresh request
/// ID, through the one mapping in `aws`.
fn aws_error(error: &AwsError) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("request_id", tracing::field::display(&request_id));
    let mut response = crate::aws::error_response(Service::Iam, error, &request_id);
    if error.status == 405 {
        // RFC 9110 wants Allow on a 405; every route here takes GET or POST.
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    }
    response.into_response()
}

/// Logs a warning when the open-file limit leaves too little room for `max_connections`
/// (Linux: `/proc/self/limits`; elsewhere nothing).
pub fn warn_if_open_file_limit_is_low(max_connections: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|value| value.parse::<usize>().ok());
    // Database connections, the listener, logs, keys: 64 is ample.
    if let Some(soft) = soft
        && max_connections.saturating_add(64) > soft
    {
        tracing::warn!(
            max_connections,
            open_file_limit = soft,
            "max_connections is close to the open-file limit: raise `ulimit -n` or lower \
             max_connections, or accept() fails before the connection limit is reached"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = Store::sqlite_url(&dir.path().join("health.db"));
        let store = Store::connect(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn ready_without_failures() {
        let (_dir, store) = store().await;
        Health::default().check(&store).await.unwrap();
    }

    #[tokio::test]
    async fn not_ready_right_after_an_internal_error() {
        let (_dir, store) = store().await;
        let health = Health::default();
        health.record_failure();
        let reason = health.check(&store).await.unwrap_err();
        assert!(
            reason.starts_with("store failing: internal error"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn ready_again_once_the_errors_stop_and_the_store_checks_out() {
        let (_dir, store) = store().await;
        let health = Health::with_failing_window(Duration::ZERO);
        health.record_failure();
        health.check(&store).await.unwrap();
    }

    #[tokio::test]
    async fn not_ready_when_the_store_is_closed() {
        let (_dir, store) = store().await;
        store.close().await;
        let reason = Health::default().check(&store).await.unwrap_err();
        assert!(reason.starts_with("store unavailable"), "{reason}");
    }
}
