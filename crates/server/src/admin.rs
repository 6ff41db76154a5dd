//! The administrator's long-term key: created on an empty store, taken from the environment
//! (which wins over the store), and rotated by `fedgate admin rotate-key`.
//!
//! Keys are read from the store on every request, so a deleted key fails from the next
//! request on, on every node sharing the database.

use fedgate_iam::Iam;
use fedgate_store::{AccessKeyStatus, KeyStore as _, Secret};
use time::OffsetDateTime;

use crate::config::Config;
use crate::startup::{self, Create, StartError};
use crate::{ADMIN_CREDENTIALS_FILE, Clock};

/// `FEDGATE_ADMIN_ACCESS_KEY_ID`: the administrator's access key ID, with
/// [`ADMIN_SECRET_ENV`].
pub const ADMIN_KEY_ID_ENV: &str = "FEDGATE_ADMIN_ACCESS_KEY_ID";
/// `FEDGATE_ADMIN_SECRET_ACCESS_KEY`: the administrator's secret, with [`ADMIN_KEY_ID_ENV`].
pub const ADMIN_SECRET_ENV: &str = "FEDGATE_ADMIN_SECRET_ACCESS_KEY";

/// The administrator's principal.
pub(crate) fn admin_arn(config: &Config) -> String {
    format!("arn:aws:iam::{}:user/fedgate-admin", config.account_id)
}

/// The administrator key from the environment: both variables or neither.
fn key_from_env() -> Result<Option<(String, Secret<String>)>, StartError> {
    match (
        std::env::var(ADMIN_KEY_ID_ENV).ok(),
        std::env::var(ADMIN_SECRET_ENV).ok(),
    ) {
        (Some(id), Some(secret)) => Ok(Some((id, Secret::new(secret)))),
        (None, None) => Ok(None),
        _ => Err(StartError::Credentials {
            detail: format!("set both {ADMIN_KEY_ID_ENV} and {ADMIN_SECRET_ENV}, or neither"),
        }),
    }
}

/// Makes sure the administrator has a key.
///
/// - **The environment wins.** With `FEDGATE_ADMIN_ACCESS_KEY_ID` and
///   `FEDGATE_ADMIN_SECRET_ACCESS_KEY` set, that key is the administrator's only key: it is
///   stored when new; a stored secret that differs is replaced (the old secret stops working
///   from this start on, with a warning); every other administrator key is deleted and a
///   stale `admin-credentials` file removed.
/// - Otherwise, with no administrator key in the store, one is created and written to
///   `<data-dir>/admin-credentials` (0600); a deleted credentials file is rewritten from the
///   sealed secret.
pub(crate) async fn ensure_admin_key(
    iam: &Iam,
    config: &Config,
    now: OffsetDateTime,
) -> Result<(), StartError> {
    let principal = admin_arn(config);
    let path = config.data_dir.join(ADMIN_CREDENTIALS_FILE);
    if let Some((id, secret)) = key_from_env()? {
        return take_key_from_env(iam, &principal, &id, &secret, &path, now).await;
    }
    let existing = iam
        .store()
        .access_keys_of(&principal)
        .await
        .map_err(database)?;
    if let Some(key) = existing.first() {
        // Rewrite a deleted credentials file from the sealed secret.
        if !path.exists()
            && let Some(secret) = iam
                .access_key_secret(&key.access_key_id)
                .await
                .map_err(credentials)?
        {
            startup::write_credentials_file(&path, &key.access_key_id, secret.expose())?;
        }
        return Ok(());
    }
    let key = iam
        .create_access_key_for_admin(&principal, now)
        .await
        .map_err(credentials)?;
    startup::write_credentials_file(&path, &key.access_key_id, key.secret_access_key.expose())?;
    eprintln!(
        "fedgate: administrator credentials written to {}",
        path.display()
    );
    Ok(())
}

async fn take_key_from_env(
    iam: &Iam,
    principal: &str,
    id: &str,
    secret: &Secret<String>,
    credentials_file: &std::path::Path,
    now: OffsetDateTime,
) -> Result<(), StartError> {
    match iam.access_key(id).await.map_err(credentials)? {
        None => {
            iam.import_access_key_for_admin(id, secret, principal, now)
                .await
                .map_err(credentials)?;
            eprintln!("fedgate: administrator key {id} taken from {ADMIN_KEY_ID_ENV}");
        }
        Some(stored) if stored.principal_arn != principal => {
            return Err(StartError::Credentials {
                detail: format!(
                    "{ADMIN_KEY_ID_ENV} {id} is stored as a key of {}, not of the administrator",
                    stored.principal_arn
                ),
            });
        }
        Some(stored)
            if stored.status != AccessKeyStatus::Active
                || !constant_time_eq(
                    stored.secret_access_key.expose().as_bytes(),
                    secret.expose().as_bytes(),
                ) =>
        {
            iam.store().delete_access_key(id).await.map_err(database)?;
            iam.import_access_key_for_admin(id, secret, principal, now)
                .await
                .map_err(credentials)?;
            tracing::warn!(
                access_key_id = id,
                "administrator secret replaced from {ADMIN_SECRET_ENV}; the previous secret no \
                 longer works"
            );
            eprintln!(
                "fedgate: warning: the stored secret of administrator key {id} was replaced by \
                 {ADMIN_SECRET_ENV}; the previous secret no longer works"
            );
        }
        Some(_) => {}
    }
    let retired = retire_other_keys(iam, principal, id).await?;
    if !retired.is_empty() {
        tracing::warn!(
            retired = retired.join(","),
            "administrator keys deleted: {ADMIN_KEY_ID_ENV} names the administrator's only key"
        );
        eprintln!(
            "fedgate: warning: deleted administrator key{} {} ({ADMIN_KEY_ID_ENV} names the only one)",
            if retired.len() == 1 { "" } else { "s" },
            retired.join(", ")
        );
    }
    if credentials_file.exists() {
        std::fs::remove_file(credentials_file).map_err(|error| StartError::Credentials {
            detail: format!("{}: {error}", credentials_file.display()),
        })?;
        eprintln!(
            "fedgate: removed {} (its key is retired; the administrator key comes from {ADMIN_KEY_ID_ENV})",
            credentials_file.display()
        );
    }
    Ok(())
}

/// Deletes every key of `principal` except `keep`; returns the deleted IDs.
async fn retire_other_keys(
    iam: &Iam,
    principal: &str,
    keep: &str,
) -> Result<Vec<String>, StartError> {
    let mut retired = Vec::new();
    for key in iam
        .store()
        .access_keys_of(principal)
        .await
        .map_err(database)?
    {
        if key.access_key_id != keep
            && iam
                .store()
                .delete_access_key(&key.access_key_id)
                .await
                .map_err(database)?
        {
            retired.push(key.access_key_id);
        }
    }
    Ok(retired)
}

/// The result of [`rotate_admin_key`].
#[derive(Debug)]
pub struct RotatedKey {
    /// The new access key ID.
    pub access_key_id: String,
    /// The new secret (shown once).
    pub secret_access_key: Secret<String>,
    /// The keys deleted.
    pub retired: Vec<String>,
    /// The credentials file rewritten with the new key.
    pub credentials_file: std::path::PathBuf,
}

/// `fedgate admin rotate-key`: creates a new administrator key, deletes every other one
/// (they fail from the next request on, also on a running server), and rewrites
/// `<data-dir>/admin-credentials`. Opens only what exists: no data directory, database or
/// master key is created.
///
/// # Errors
/// [`StartError`] when the store or master key cannot be opened, or when the environment
/// names the administrator key (rotate it there: the environment wins at every start).
pub async fn rotate_admin_key(config: &Config) -> Result<RotatedKey, StartError> {
    if std::env::var_os(ADMIN_KEY_ID_ENV).is_some() {
        return Err(StartError::Credentials {
            detail: format!(
                "{ADMIN_KEY_ID_ENV} is set: the environment names the administrator key and wins \
                 at every start; rotate it there (set a new {ADMIN_SECRET_ENV} and restart)"
            ),
        });
    }
    let (store, secrets) = startup::open_store(config, Create::Nothing).await?;
    let iam = Iam::new(store, secrets, config.account_id.clone());
    let principal = admin_arn(config);
    // The system clock (`Clock` gains test offsets elsewhere; none here).
    let clock: Clock = Default::default();
    let now = clock.now();
    let key = iam
        .create_access_key_for_admin(&principal, now)
        .await
        .map_err(credentials)?;
    let retired = retire_other_keys(&iam, &principal, &key.access_key_id).await?;
    let credentials_file = config.data_dir.join(ADMIN_CREDENTIALS_FILE);
    startup::write_credentials_file(
        &credentials_file,
        &key.access_key_id,
        key.secret_access_key.expose(),
    )?;
    tracing::warn!(
        access_key_id = key.access_key_id,
        retired = retired.join(","),
        "administrator key rotated"
    );
    iam.store().close().await;
    Ok(RotatedKey {
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
        retired,
        credentials_file,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn database(error: fedgate_store::StoreError) -> StartError {
    StartError::Database {
        detail: error.to_string(),
    }
}

fn credentials(error: fedgate_iam::IamError) -> StartError {
    StartError::Credentials {
        detail: error.to_string(),
    }
}
