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

/// A store that counts the calls made through it, by method: for tests that pin how many round
/// trips an operation costs (`fedgate-signin`'s "one store read per warm sign-in").
///
/// Every trait method of the IAM storage and the replay cache is passed on to the wrapped
/// store; [`CountingStore::reads`] counts those that only read, [`CountingStore::calls`] all.
#[derive(Debug)]
pub struct CountingStore<S> {
    inner: S,
    calls: std::sync::Mutex<std::collections::BTreeMap<&'static str, usize>>,
}

/// The methods that only read.
const READS: &[&str] = &[
    "saml_provider",
    "saml_provider_revision",
    "saml_provider_revisions",
    "list_saml_providers",
    "saml_provider_tags",
    "role_by_name",
    "role_by_arn",
    "list_roles",
    "role_tags",
    "role_policies",
    "attached_role_policies",
    "policy",
    "list_policies",
    "access_key",
    "access_keys_of",
    "service_key",
    "iam_revision",
];

impl<S> CountingStore<S> {
    /// Counts the calls made to `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            calls: std::sync::Mutex::default(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Calls so far, by method name.
    pub fn calls(&self) -> std::collections::BTreeMap<&'static str, usize> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Calls so far of the methods that only read.
    pub fn reads(&self) -> usize {
        self.calls()
            .iter()
            .filter(|(method, _)| READS.contains(method))
            .map(|(_, count)| count)
            .sum()
    }

    /// Starts counting again from zero.
    pub fn reset(&self) {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    fn count(&self, method: &'static str) -> &S {
        *self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(method)
            .or_default() += 1;
        &self.inner
    }
}

mod counting {
    use time::OffsetDateTime;

    use super::CountingStore;
    use crate::{
        AccessKeyRow, AttachedPolicy, IamRevision, InlinePolicy, KeyStore, ListQuery,
        ManagedPolicyRow, ManagedPolicyStore, Page, ReplayCache, Role, RoleStore, RoleUpdate,
        SamlProvider, SamlProviderStore, SamlProviderSummary, SamlProviderUpdate, StoreError, Tag,
    };

    type Result<T> = std::result::Result<T, StoreError>;

    impl<S: SamlProviderStore> SamlProviderStore for CountingStore<S> {
        async fn create_saml_provider(
            &self,
            provider: &SamlProvider,
            tags: &[Tag],
            max_providers: usize,
        ) -> Result<()> {
            let store = self.count("create_saml_provider");
            store
                .create_saml_provider(provider, tags, max_providers)
                .await
        }
        async fn saml_provider(&self, arn: &str) -> Result<Option<SamlProvider>> {
            self.count("saml_provider").saml_provider(arn).await
        }
        async fn saml_provider_revision(&self, arn: &str) -> Result<Option<i64>> {
            let store = self.count("saml_provider_revision");
            store.saml_provider_revision(arn).await
        }
        async fn saml_provider_revisions(&self) -> Result<Vec<(String, i64)>> {
            let store = self.count("saml_provider_revisions");
            store.saml_provider_revisions().await
        }
        async fn list_saml_providers(&self) -> Result<Vec<SamlProviderSummary>> {
            self.count("list_saml_providers")
                .list_saml_providers()
                .await
        }
        async fn update_saml_provider(&self, arn: &str, update: &SamlProviderUpdate) -> Result<()> {
            let store = self.count("update_saml_provider");
            store.update_saml_provider(arn, update).await
        }
        async fn delete_saml_provider(&self, arn: &str) -> Result<()> {
            self.count("delete_saml_provider")
                .delete_saml_provider(arn)
                .await
        }
        async fn saml_provider_tags(&self, arn: &str) -> Result<Vec<Tag>> {
            self.count("saml_provider_tags")
                .saml_provider_tags(arn)
                .await
        }
        async fn tag_saml_provider(&self, arn: &str, tags: &[Tag], max_tags: usize) -> Result<()> {
            let store = self.count("tag_saml_provider");
            store.tag_saml_provider(arn, tags, max_tags).await
        }
        async fn untag_saml_provider(&self, arn: &str, keys: &[String]) -> Result<()> {
            let store = self.count("untag_saml_provider");
            store.untag_saml_provider(arn, keys).await
        }
    }

    impl<S: RoleStore> RoleStore for CountingStore<S> {
        async fn create_role(&self, role: &Role, tags: &[Tag], max_roles: usize) -> Result<()> {
            self.count("create_role")
                .create_role(role, tags, max_roles)
                .await
        }
        async fn role_by_name(&self, name: &str) -> Result<Option<Role>> {
            self.count("role_by_name").role_by_name(name).await
        }
        async fn role_by_arn(&self, arn: &str) -> Result<Option<Role>> {
            self.count("role_by_arn").role_by_arn(arn).await
        }
        async fn list_roles(&self, query: &ListQuery) -> Result<Page<Role>> {
            self.count("list_roles").list_roles(query).await
        }
        async fn update_role(&self, name: &str, update: &RoleUpdate) -> Result<()> {
            self.count("update_role").update_role(name, update).await
        }
        async fn update_assume_role_policy(&self, name: &str, document: &str) -> Result<()> {
            let store = self.count("update_assume_role_policy");
            store.update_assume_role_policy(name, document).await
        }
        async fn delete_role(&self, name: &str) -> Result<()> {
            self.count("delete_role").delete_role(name).await
        }
        async fn role_tags(&self, name: &str) -> Result<Vec<Tag>> {
            self.count("role_tags").role_tags(name).await
        }
        async fn tag_role(&self, name: &str, tags: &[Tag], max_tags: usize) -> Result<()> {
            self.count("tag_role").tag_role(name, tags, max_tags).await
        }
        async fn untag_role(&self, name: &str, keys: &[String]) -> Result<()> {
            self.count("untag_role").untag_role(name, keys).await
        }
        async fn put_role_policy(
            &self,
            role_name: &str,
            policy: &InlinePolicy,
            check: &(dyn Fn(&[InlinePolicy]) -> Result<()> + Sync),
        ) -> Result<()> {
            let store = self.count("put_role_policy");
            store.put_role_policy(role_name, policy, check).await
        }
        async fn role_policies(&self, role_name: &str) -> Result<Vec<InlinePolicy>> {
            self.count("role_policies").role_policies(role_name).await
        }
        async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> Result<()> {
            let store = self.count("delete_role_policy");
            store.delete_role_policy(role_name, policy_name).await
        }
        async fn attach_role_policy(
            &self,
            role_name: &str,
            policy_arn: &str,
            max_attached: usize,
        ) -> Result<()> {
            let store = self.count("attach_role_policy");
            store
                .attach_role_policy(role_name, policy_arn, max_attached)
                .await
        }
        async fn detach_role_policy(&self, role_name: &str, policy_arn: &str) -> Result<()> {
            let store = self.count("detach_role_policy");
            store.detach_role_policy(role_name, policy_arn).await
        }
        async fn attached_role_policies(&self, role_name: &str) -> Result<Vec<AttachedPolicy>> {
            let store = self.count("attached_role_policies");
            store.attached_role_policies(role_name).await
        }
    }

    impl<S: ManagedPolicyStore> ManagedPolicyStore for CountingStore<S> {
        async fn create_policy(&self, policy: &ManagedPolicyRow) -> Result<()> {
            self.count("create_policy").create_policy(policy).await
        }
        async fn policy(&self, arn: &str) -> Result<Option<ManagedPolicyRow>> {
            self.count("policy").policy(arn).await
        }
        async fn list_policies(
            &self,
            query: &ListQuery,
            only_attached: bool,
        ) -> Result<Page<ManagedPolicyRow>> {
            let store = self.count("list_policies");
            store.list_policies(query, only_attached).await
        }
        async fn delete_policy(&self, arn: &str) -> Result<()> {
            self.count("delete_policy").delete_policy(arn).await
        }
    }

    impl<S: KeyStore> KeyStore for CountingStore<S> {
        async fn create_access_key(&self, key: &AccessKeyRow) -> Result<()> {
            self.count("create_access_key").create_access_key(key).await
        }
        async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRow>> {
            self.count("access_key").access_key(access_key_id).await
        }
        async fn access_keys_of(&self, principal_arn: &str) -> Result<Vec<AccessKeyRow>> {
            self.count("access_keys_of")
                .access_keys_of(principal_arn)
                .await
        }
        async fn service_key_or_insert(
            &self,
            name: &str,
            sealed_if_absent: &str,
            now: OffsetDateTime,
        ) -> Result<String> {
            let store = self.count("service_key_or_insert");
            store
                .service_key_or_insert(name, sealed_if_absent, now)
                .await
        }
        async fn service_key(&self, name: &str) -> Result<Option<String>> {
            self.count("service_key").service_key(name).await
        }
    }

    impl<S: IamRevision> IamRevision for CountingStore<S> {
        async fn iam_revision(&self) -> Result<i64> {
            self.count("iam_revision").iam_revision().await
        }
    }

    impl<S: ReplayCache> ReplayCache for CountingStore<S> {
        async fn record_assertion(
            &self,
            provider_arn: &str,
            assertion_id: &str,
            expires_at: OffsetDateTime,
            now: OffsetDateTime,
        ) -> Result<bool> {
            let store = self.count("record_assertion");
            store
                .record_assertion(provider_arn, assertion_id, expires_at, now)
                .await
        }
        async fn purge_replay_cache(&self, now: OffsetDateTime) -> Result<u64> {
            self.count("purge_replay_cache")
                .purge_replay_cache(now)
                .await
        }
    }
}
