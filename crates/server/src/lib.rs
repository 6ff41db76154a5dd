//! fedgate's HTTP front end: one axum router for the AWS Query APIs (IAM, STS), health and
//! readiness; one error mapping per protocol. Business logic lives in the `iam`, `sts` and
//! `saml` crates; storage in `store`.

mod aws;
pub mod config;
pub mod startup;
mod state;

use std::future::IntoFuture as _;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use fedgate_iam::Iam;
use fedgate_saml::ServiceProvider;
use fedgate_store::{KeyStore as _, MasterKey, SecretBox, Store};
use fedgate_sts::SessionTokenKey;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use startup::StartError;
pub use state::{AppState, Clock};

use crate::config::Config;

/// Largest request body: AWS's 100,000-character `SAMLAssertion` and 10 MB metadata limits are
/// far above real documents; 2 MiB matches the Query parser's own limit.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Longest a request may take before the server answers 408 (a slow client cannot hold a
/// worker forever).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Name of the service key that seals session tokens.
const SESSION_TOKEN_KEY: &str = "sts-session-token";

/// The file in the data directory that holds the administrator's credentials.
pub const ADMIN_CREDENTIALS_FILE: &str = "admin-credentials";

/// Runs the service until SIGINT or SIGTERM, then drains in-flight requests.
///
/// # Errors
/// [`StartError`] when the data directory, database, keys or listen address cannot be used.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let state = Arc::new(open(&config).await?);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| StartError::Listen {
            address: config.listen.to_string(),
            detail: error.to_string(),
        })?;
    let local = listener
        .local_addr()
        .map_or_else(|_| config.listen.to_string(), |a| a.to_string());
    tracing::info!(listen = %local, base_url = %config.base_url(), "fedgate listening");
    eprintln!("fedgate listening on http://{local}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .into_future()
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
    startup::prepare_data_dir(&config.data_dir)?;
    let master_key = match MasterKey::from_env_base64() {
        Ok(Some(key)) => key,
        Ok(None) => {
            MasterKey::load_or_create(&config.data_dir.join("master.key")).map_err(|error| {
                StartError::DataDir {
                    path: config.data_dir.clone(),
                    detail: error.to_string(),
                }
            })?
        }
        Err(error) => {
            return Err(StartError::Credentials {
                detail: format!("FEDGATE_MASTER_KEY: {error}"),
            });
        }
    };
    let secrets = SecretBox::new(&master_key).map_err(|error| StartError::Credentials {
        detail: error.to_string(),
    })?;
    let database_url = config.database_url();
    let store = Store::connect(&database_url).await.map_err(|error| StartError::Database {
        detail: format!(
            "{}: {error} (a corrupt or foreign file? move it away, or choose another --database-url)",
            without_password(&database_url)
        ),
    })?;
    let iam = Iam::new(store, secrets, config.account_id.clone());
    let clock = Clock;
    let now = clock.now();
    let key = iam
        .service_key(SESSION_TOKEN_KEY, now)
        .await
        .map_err(|error| StartError::Credentials { detail: format!("session-token key: {error} (wrong FEDGATE_MASTER_KEY or master.key for this database?)") })?;
    let session_key =
        SessionTokenKey::new(key.expose()).map_err(|error| StartError::Credentials {
            detail: error.to_string(),
        })?;
    ensure_admin_key(&iam, config, now).await?;
    let service_provider = ServiceProvider {
        audiences: vec![config.sp_entity_id.clone()],
        acs_urls: config.acs_urls(),
        ..ServiceProvider::default()
    };
    let admin_policy = fedgate_iam_policy::Policy::parse(
        state::ADMIN_POLICY,
        &fedgate_iam_policy::ParseOptions::managed_identity(),
    )
    .map_err(|error| StartError::Credentials {
        detail: format!("administrator policy: {error}"),
    })?;
    Ok(AppState {
        iam,
        session_key,
        service_provider,
        admin_policy,
        trust_policies: std::sync::RwLock::default(),
        clock,
    })
}

/// A database URL fit for messages: the password, if any, replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// The administrator's principal.
fn admin_arn(config: &Config) -> String {
    format!("arn:aws:iam::{}:user/fedgate-admin", config.account_id)
}

/// With an empty store, creates an administrator key and writes it to
/// `<data-dir>/admin-credentials` (mode 0600); `FEDGATE_ADMIN_ACCESS_KEY_ID` and
/// `FEDGATE_ADMIN_SECRET_ACCESS_KEY` are used instead when set.
async fn ensure_admin_key(
    iam: &Iam,
    config: &Config,
    now: time::OffsetDateTime,
) -> Result<(), StartError> {
    let fail = |error: fedgate_iam::IamError| StartError::Credentials {
        detail: error.to_string(),
    };
    let principal = admin_arn(config);
    let path = config.data_dir.join(ADMIN_CREDENTIALS_FILE);
    let from_env = (
        std::env::var("FEDGATE_ADMIN_ACCESS_KEY_ID"),
        std::env::var("FEDGATE_ADMIN_SECRET_ACCESS_KEY"),
    );
    if let (Ok(id), Ok(secret)) = from_env {
        if iam.access_key(&id).await.map_err(fail)?.is_none() {
            iam.import_access_key_for_admin(
                &id,
                &fedgate_store::Secret::new(secret),
                &principal,
                now,
            )
            .await
            .map_err(fail)?;
            eprintln!("fedgate: administrator key {id} taken from FEDGATE_ADMIN_ACCESS_KEY_ID");
        }
        return Ok(());
    }
    let existing =
        iam.store()
            .access_keys_of(&principal)
            .await
            .map_err(|e| StartError::Database {
                detail: e.to_string(),
            })?;
    if let Some(key) = existing.first() {
        // Rewrite a deleted credentials file from the sealed secret.
        if !path.exists()
            && let Some(secret) = iam
                .access_key_secret(&key.access_key_id)
                .await
                .map_err(fail)?
        {
            startup::write_credentials_file(&path, &key.access_key_id, secret.expose())?;
        }
        return Ok(());
    }
    let key = iam
        .create_access_key_for_admin(&principal, now)
        .await
        .map_err(fail)?;
    startup::write_credentials_file(&path, &key.access_key_id, key.secret_access_key.expose())?;
    eprintln!(
        "fedgate: administrator credentials written to {}",
        path.display()
    );
    Ok(())
}

/// The router: the AWS Query endpoint, health and readiness.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", post(aws::query_endpoint).get(aws::query_endpoint))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of a request: method and path only. The query string may carry a presigned
/// signature, credentials or a SAML assertion, so it is never recorded, at any log level.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Ready when the store answers.
async fn readyz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (axum::http::StatusCode, &'static str) {
    match state.iam.store().ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready\n"),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "store unavailable\n",
        ),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
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
