//! fedgate's HTTP front end: one axum router for the AWS Query APIs (IAM, STS), health and
//! readiness; one error mapping per protocol. Business logic lives in the `iam`, `sts` and
//! `saml` crates; storage in `store`.

mod admin;
pub mod audit;
pub mod auth;
mod aws;
pub mod browser;
pub mod config;
mod connect_api;
mod connections;
pub mod cpu;
mod health;
pub mod startup;
mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use fedgate_iam::Iam;
use fedgate_saml::ServiceProvider;
use fedgate_store::{MasterKey, SecretBox};
use fedgate_sts::SessionTokenKey;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use admin::{RotatedKey, rotate_admin_key};
pub use connections::{Limits, serve as serve_router};
pub use startup::StartError;
pub use state::{AppState, Clock};

use crate::config::Config;
use crate::startup::Create;
#[cfg(test)]
use crate::startup::without_password;

/// Largest request body: AWS's 100,000-character `SAMLAssertion` and 10 MB metadata limits are
/// far above real documents; 2 MiB matches the Query parser's own limit.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Longest a request may take before the server answers 408 (a slow client cannot hold a
/// worker forever).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Name of the service key that seals session tokens.
const SESSION_TOKEN_KEY: &str = "sts-session-token";

/// Name of the service key that seals role-chooser tickets.
const ROLE_CHOOSER_KEY: &str = "signin-role-chooser";

/// Name of the service key that seals contact-center federation tokens.
const CONNECT_FEDERATION_TOKEN_KEY: &str = "connect-federation-token";

/// Name of the service key that seals the console and agent session cookies.
const BROWSER_COOKIE_KEY: &str = "browser-session-cookie";

/// The file in the data directory that holds the administrator's credentials.
pub const ADMIN_CREDENTIALS_FILE: &str = "admin-credentials";

/// Runs the service until SIGINT or SIGTERM, then drains in-flight requests.
///
/// # Errors
/// [`StartError`] when the data directory, database, keys or listen address cannot be used.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let state = Arc::new(open(&config).await?);
    let listener = bind(&config).await?;
    serve_on(listener, state, &config, shutdown_signal()).await
}

/// Binds the configured listen address.
///
/// # Errors
/// [`StartError::Listen`] when the address cannot be bound.
pub async fn bind(config: &Config) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| StartError::Listen {
            address: config.listen.to_string(),
            detail: error.to_string(),
        })
}

/// Serves `state` on `listener` until `shutdown` completes, then drains in-flight requests
/// (`fedgate serve` passes SIGINT/SIGTERM; `fedgate demo` its own signal).
///
/// # Errors
/// [`StartError::Listen`] when accepting connections fails.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let local = listener
        .local_addr()
        .map_or_else(|_| config.listen.to_string(), |a| a.to_string());
    let limits = Limits::from_config(config);
    tracing::info!(
        listen = %local,
        base_url = %config.base_url(),
        header_timeout_seconds = limits.header_timeout.as_secs(),
        idle_timeout_seconds = limits.idle_timeout.as_secs(),
        max_connections = limits.max_connections,
        shutdown_grace_seconds = limits.shutdown_grace.as_secs(),
        cpu_workers = state.cpu.workers(),
        cpu_queue = state.cpu.queue(),
        "fedgate listening"
    );
    health::warn_if_open_file_limit_is_low(limits.max_connections);
    eprintln!("fedgate listening on http://{local}");
    connections::serve(listener, router(state), limits, shutdown)
        .await
        .map_err(|error| StartError::Listen {
            address: local,
            detail: error.to_string(),
        })
}

/// Opens the data directory, the store (migrations applied), the master key and the service
/// keys, and makes sure an administrator key exists.
///
/// # Errors
/// [`StartError`] naming what is unusable.
pub async fn open(config: &Config) -> Result<AppState, StartError> {
    let (store, secrets) = startup::open_store(config, Create::Missing).await?;
    let iam = Iam::new(store, secrets, config.account_id.clone());
    let clock = Clock::default();
    let now = clock.now();
    let key = iam
        .service_key(SESSION_TOKEN_KEY, now)
        .await
        .map_err(|error| StartError::Credentials { detail: format!("session-token key: {error} (wrong FEDGATE_MASTER_KEY or master.key for this database?)") })?;
    admin::ensure_admin_key(&iam, config, now).await?;
    let service_provider = ServiceProvider {
        audiences: vec![config.sp_entity_id.clone()],
        acs_urls: config.acs_urls(),
        ..ServiceProvider::default()
    };
    let service_key = |name: &'static str| {
        let iam = &iam;
        async move {
            iam.service_key(name, now)
                .await
                .map_err(|error| StartError::Credentials {
                    detail: format!("{name} key: {error}"),
                })
        }
    };
    let chooser_key = service_key(ROLE_CHOOSER_KEY).await?;
    let pipeline = fedgate_signin::Pipeline::new(
        service_provider,
        SessionTokenKey::new(key.expose()).map_err(|error| StartError::Credentials {
            detail: error.to_string(),
        })?,
        chooser_key.expose(),
    )
    .map_err(|error| StartError::Credentials {
        detail: error.to_string(),
    })?;
    let cookie_key = service_key(BROWSER_COOKIE_KEY).await?;
    let cookie_sealer =
        SecretBox::new(&MasterKey::from_bytes(*cookie_key.expose())).map_err(|error| {
            StartError::Credentials {
                detail: error.to_string(),
            }
        })?;
    let federation_token_key = service_key(CONNECT_FEDERATION_TOKEN_KEY).await?;
    let connect = fedgate_connect::Connect::new(
        iam.store().clone(),
        fedgate_connect::ConnectSettings {
            account_id: config.account_id.clone(),
            region: config.region.clone(),
            base_url: config.base_url(),
        },
        &federation_token_key,
    )
    .map_err(|error| StartError::Credentials {
        detail: format!("contact-center federation-token key: {error}"),
    })?;
    let web = browser::Web::new(
        config.base_url(),
        cookie_sealer,
        config.allowed_redirect.clone(),
        config.sp_entity_id.clone(),
    );
    let admin_policy = fedgate_iam_policy::Policy::parse(
        state::ADMIN_POLICY,
        &fedgate_iam_policy::ParseOptions::managed_identity(),
    )
    .map_err(|error| StartError::Credentials {
        detail: format!("administrator policy: {error}"),
    })?;
    let audit = audit::AuditWriter::start(iam.store().clone());
    Ok(AppState {
        iam,
        audit,
        connect,
        pipeline,
        admin_policy,
        web,
        clock,
        cpu: cpu::CpuPool::new(config.cpu_workers, config.cpu_queue),
        health: health::Health::default(),
        region: config.region.clone(),
    })
}

/// The router: the AWS Query endpoint, health and readiness.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", post(aws::query_endpoint).get(root_get))
        .merge(browser::routes())
        .merge(connect_api::routes())
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(health::body_limits))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            health::record_failures,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // One line per request at info: status and latency, in the request span
                // (client, request ID, access key ID, principal).
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// `GET /`: the start page for a browser, the AWS Query endpoint for everything else.
async fn root_get(
    state: axum::extract::State<Arc<AppState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    body: axum::body::Bytes,
) -> axum::response::Response {
    if browser::wants_start_page(&headers, uri.query()) {
        return browser::start_page(&state);
    }
    aws::query_endpoint(state, method, uri, headers, extensions, body).await
}

/// The span of a request: method, path and the client's address; the handler records the
/// request ID and the caller (`access_key_id`, then `principal`) once known. The query
/// string may carry a presigned signature, credentials or a SAML assertion, so it is never
/// recorded, at any log level.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.to_string());
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        client = %client.as_deref().unwrap_or("-"),
        request_id = tracing::field::Empty,
        action = tracing::field::Empty,
        access_key_id = tracing::field::Empty,
        principal = tracing::field::Empty,
    )
}

/// Ready when the store answers, and is not failing requests ([`health::Health`]).
async fn readyz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (axum::http::StatusCode, String) {
    match state.health.check(state.iam.store()).await {
        Ok(()) => (axum::http::StatusCode::OK, "ready\n".to_owned()),
        Err(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("{reason}\n"),
        ),
    }
}

/// Resolves on SIGINT or SIGTERM.
/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_in_messages_hide_the_password() {
        assert_eq!(
            without_password("postgres://app:s3cret@db:5432/fedgate"),
            "postgres://app:***@db:5432/fedgate"
        );
        assert_eq!(
            without_password("postgres://app@db/fedgate"),
            "postgres://app@db/fedgate"
        );
        assert_eq!(
            without_password("sqlite:///data/fedgate.db?mode=rwc"),
            "sqlite:///data/fedgate.db?mode=rwc"
        );
    }
}
