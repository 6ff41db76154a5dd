//! Test support (feature `testing`): one conformance suite, run against every backend.
//!
//! [`conformance_tests!`](crate::conformance_tests) turns `async fn case(url: String)` functions
//! into `sqlite::case` and `postgres::case` tests. SQLite runs in a fresh temporary file; the
//! PostgreSQL half runs in a fresh schema of `FEDGATE_TEST_POSTGRES_URL` (see
//! `scripts/pg-test.sh`). Without that variable the PostgreSQL half is skipped with a notice,
//! except under `CI=true`, where it fails: CI must never pass by not testing PostgreSQL.

use std::path::PathBuf;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use sqlx::Connection;

/// The variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_ENV: &str = "FEDGATE_TEST_POSTGRES_URL";

/// A database for one test: a temporary SQLite file (removed on drop) or a fresh PostgreSQL
/// schema (left in the throwaway cluster).
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to pass to [`crate::Store::connect`].
    pub url: String,
    dir: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ignored = std::fs::remove_dir_all(dir);
        }
    }
}

/// A random lower-case hex string of `bytes` bytes.
#[must_use]
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    // A test helper: a failing system RNG leaves zeros, and the create below then fails loudly.
    let _ignored = SystemRandom::new().fill(&mut buffer);
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl TestDatabase {
    /// A fresh temporary directory (removed on drop) and a SQLite file URL in it.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn sqlite() -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("fedgate-store-test-{}", random_hex(8)));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let url = crate::Store::sqlite_url(&dir.join("fedgate.db"));
        Ok(Self {
            url,
            dir: Some(dir),
        })
    }

    /// The temporary directory of a SQLite test database.
    #[must_use]
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    /// A fresh schema on the PostgreSQL server named by `FEDGATE_TEST_POSTGRES_URL`; `Ok(None)`
    /// when it is unset outside CI.
    ///
    /// # Errors
    /// When it is unset under `CI=true`, or the schema cannot be created.
    pub async fn postgres() -> Result<Option<Self>, String> {
        let Ok(base) = std::env::var(POSTGRES_URL_ENV) else {
            if std::env::var("CI").is_ok_and(|value| value == "true") {
                return Err(format!(
                    "{POSTGRES_URL_ENV} is not set under CI=true: run \
                     `eval \"$(scripts/pg-test.sh start)\"` before the tests"
                ));
            }
            eprintln!("skipping the PostgreSQL half: {POSTGRES_URL_ENV} is not set");
            return Ok(None);
        };
        let schema = format!("t_{}", random_hex(8));
        let mut connection = sqlx::PgConnection::connect(&base)
            .await
            .map_err(|error| format!("connect to {base}: {error}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut connection)
            .await
            .map_err(|error| format!("create schema: {error}"))?;
        let _ignored = connection.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        Ok(Some(Self {
            url: format!("{base}{separator}options[search_path]={schema}"),
            dir: None,
        }))
    }
}

/// Generates `sqlite::<case>` and `postgres::<case>` tests from `async fn <case>(url: String)`
/// functions in the calling module.
#[macro_export]
macro_rules! conformance_tests {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let database = $crate::testing::TestDatabase::sqlite().unwrap();
                    super::$case(database.url.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(database) = $crate::testing::TestDatabase::postgres().await.unwrap()
                    else {
                        return;
                    };
                    super::$case(database.url.clone()).await;
                }
            )*
        }
    };
}
