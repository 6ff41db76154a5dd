//! The store conformance suite: every case runs on SQLite (a temporary file) and on PostgreSQL
//! (when `FEDGATE_TEST_POSTGRES_URL` is set; required under `CI=true`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use fedgate_store::testing::TestDatabase;
use fedgate_store::{
    AccessKeyRow, AccessKeyStatus, AssertionEncryptionMode, ConflictReason, IamRevision,
    InlinePolicy, KeyStore, ListQuery, ManagedPolicyRow, ManagedPolicyStore, MasterKey,
    ReplayCache, Role, RoleStore, RoleUpdate, SamlProvider, SamlProviderStore, SamlProviderUpdate,
    SecretBox, Store, StoreError, Tag,
};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-01 10:00:00 UTC);
const ACCOUNT: &str = "123456789012";

fn provider(name: &str) -> SamlProvider {
    SamlProvider {
        arn: format!("arn:aws:iam::{ACCOUNT}:saml-provider/{name}"),
        name: name.to_owned(),
        uuid: format!("UUID{}", name.to_uppercase())
            .chars()
            .chain("0".repeat(22).chars())
            .take(26)
            .collect(),
        metadata_document: format!("<md:EntityDescriptor entityID=\"{name}\"/>"),
        create_date: NOW,
        valid_until: Some(datetime!(2126-12-01 10:00:00 UTC)),
        assertion_encryption_mode: AssertionEncryptionMode::Allowed,
        revision: 0,
    }
}

fn role(name: &str, path: &str) -> Role {
    Role {
        role_id: format!("AROA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: path.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
        assume_role_policy: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
        description: None,
        max_session_duration: 3600,
        create_date: NOW,
    }
}

fn policy(name: &str) -> ManagedPolicyRow {
    ManagedPolicyRow {
        arn: format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
        policy_id: format!("ANPA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: "/".to_owned(),
        description: Some("d".to_owned()),
        default_version_id: "v1".to_owned(),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.to_owned(),
        create_date: NOW,
        update_date: NOW,
        attachment_count: 0,
    }
}

fn all() -> ListQuery {
    ListQuery {
        path_prefix: "/".to_owned(),
        marker: None,
        max_items: 100,
    }
}

fn no_check(_: &[InlinePolicy]) -> Result<(), StoreError> {
    Ok(())
}

async fn open(url: &str) -> Store {
    Store::connect(url).await.unwrap()
}

async fn saml_provider_crud_and_tags(url: String) {
    let store = open(&url).await;
    let okta = provider("Okta");
    store
        .create_saml_provider(
            &okta,
            &[Tag::new("team", "cc"), Tag::new("Env", "prod")],
            100,
        )
        .await
        .unwrap();
    let read = store.saml_provider(&okta.arn).await.unwrap().unwrap();
    assert_eq!(read.metadata_document, okta.metadata_document);
    assert_eq!(read.valid_until, okta.valid_until);
    assert_eq!(read.create_date, NOW);
    assert_eq!(read.assertion_encryption_mode, "Allowed");
    let revision = read.revision;
    // Tags sorted by key (byte order).
    let tags = store.saml_provider_tags(&okta.arn).await.unwrap();
    assert_eq!(tags, vec![Tag::new("Env", "prod"), Tag::new("team", "cc")]);
    // Same key (case-insensitively) overwrites.
    store
        .tag_saml_provider(&okta.arn, &[Tag::new("ENV", "dev")], 50)
        .await
        .unwrap();
    let tags = store.saml_provider_tags(&okta.arn).await.unwrap();
    assert_eq!(tags, vec![Tag::new("ENV", "dev"), Tag::new("team", "cc")]);
    store
        .untag_saml_provider(&okta.arn, &["TEAM".to_owned(), "absent".to_owned()])
        .await
        .unwrap();
    assert_eq!(store.saml_provider_tags(&okta.arn).await.unwrap().len(), 1);
    // Every change bumps the revision.
    let after = store
        .saml_provider_revision(&okta.arn)
        .await
        .unwrap()
        .unwrap();
    assert!(after > revision);
    store
        .update_saml_provider(
            &okta.arn,
            &SamlProviderUpdate {
                metadata: Some(("<new/>".to_owned(), None)),
                assertion_encryption_mode: Some(AssertionEncryptionMode::Required),
            },
        )
        .await
        .unwrap();
    let read = store.saml_provider(&okta.arn).await.unwrap().unwrap();
    assert_eq!(read.metadata_document, "<new/>");
    assert_eq!(read.valid_until, None);
    assert_eq!(read.assertion_encryption_mode, "Required");
    assert!(read.revision > after);
    let list = store.list_saml_providers().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].arn, okta.arn);
    store.delete_saml_provider(&okta.arn).await.unwrap();
    assert_eq!(store.saml_provider(&okta.arn).await.unwrap(), None);
    assert!(matches!(
        store.delete_saml_provider(&okta.arn).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.saml_provider_tags(&okta.arn).await,
        Err(StoreError::NotFound { .. })
    ));
    // Tags went with it: re-creating starts without tags.
    store.create_saml_provider(&okta, &[], 100).await.unwrap();
    assert!(
        store
            .saml_provider_tags(&okta.arn)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn saml_provider_duplicates_and_limits(url: String) {
    let store = open(&url).await;
    store
        .create_saml_provider(&provider("A"), &[], 2)
        .await
        .unwrap();
    assert!(matches!(
        store.create_saml_provider(&provider("A"), &[], 2).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    store
        .create_saml_provider(&provider("B"), &[], 2)
        .await
        .unwrap();
    assert!(matches!(
        store.create_saml_provider(&provider("C"), &[], 2).await,
        Err(StoreError::LimitExceeded { limit: 2, .. })
    ));
    // Tag quota: the whole TagSAMLProvider call rolls back.
    let arn = provider("A").arn;
    store
        .tag_saml_provider(&arn, &[Tag::new("k1", "v"), Tag::new("k2", "v")], 3)
        .await
        .unwrap();
    let too_many = [Tag::new("k3", "v"), Tag::new("k4", "v")];
    assert!(matches!(
        store.tag_saml_provider(&arn, &too_many, 3).await,
        Err(StoreError::LimitExceeded { limit: 3, .. })
    ));
    assert_eq!(store.saml_provider_tags(&arn).await.unwrap().len(), 2);
    assert!(matches!(
        store
            .tag_saml_provider("arn:aws:iam::1:saml-provider/none", &too_many, 3)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn role_crud_and_case_insensitive_names(url: String) {
    let store = open(&url).await;
    let admin = role("Admin", "/ops/");
    store
        .create_role(&admin, &[Tag::new("b", "2"), Tag::new("a", "1")], 1000)
        .await
        .unwrap();
    let mut clash = role("ADMIN", "/");
    clash.role_id = "AROAOTHER".to_owned();
    assert!(matches!(
        store.create_role(&clash, &[], 1000).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert_eq!(store.role_by_name("admin").await.unwrap().unwrap(), admin);
    assert_eq!(store.role_by_arn(&admin.arn).await.unwrap().unwrap(), admin);
    assert_eq!(store.role_by_name("nobody").await.unwrap(), None);
    assert_eq!(
        store.role_tags("Admin").await.unwrap(),
        vec![Tag::new("a", "1"), Tag::new("b", "2")]
    );
    store
        .update_role(
            "admin",
            &RoleUpdate {
                description: Some("ops".to_owned()),
                max_session_duration: Some(7200),
            },
        )
        .await
        .unwrap();
    store
        .update_assume_role_policy("ADMIN", "{\"Version\":\"2012-10-17\"}")
        .await
        .unwrap();
    let read = store.role_by_name("Admin").await.unwrap().unwrap();
    assert_eq!(read.description.as_deref(), Some("ops"));
    assert_eq!(read.max_session_duration, 7200);
    assert_eq!(read.assume_role_policy, "{\"Version\":\"2012-10-17\"}");
    assert!(matches!(
        store.update_role("nobody", &RoleUpdate::default()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.update_assume_role_policy("nobody", "{}").await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .tag_role("admin", &[Tag::new("A", "x")], 50)
        .await
        .unwrap();
    store.untag_role("admin", &["b".to_owned()]).await.unwrap();
    assert_eq!(
        store.role_tags("Admin").await.unwrap(),
        vec![Tag::new("A", "x")]
    );
    store.delete_role("aDmIn").await.unwrap();
    assert_eq!(store.role_by_name("Admin").await.unwrap(), None);
    assert!(matches!(
        store.delete_role("Admin").await,
        Err(StoreError::NotFound { .. })
    ));
    // The name is free again, and the old tags are gone.
    store.create_role(&clash, &[], 1000).await.unwrap();
    assert!(store.role_tags("admin").await.unwrap().is_empty());
}

async fn role_listing_paginates_and_filters_by_path(url: String) {
    let store = open(&url).await;
    for (name, path) in [("c", "/a/"), ("B", "/a/b/"), ("a", "/"), ("D", "/x/")] {
        store
            .create_role(&role(name, path), &[], 1000)
            .await
            .unwrap();
    }
    let first = store
        .list_roles(&ListQuery {
            max_items: 2,
            ..all()
        })
        .await
        .unwrap();
    let names: Vec<_> = first.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "B"]);
    let marker = first.next_marker.unwrap();
    let second = store
        .list_roles(&ListQuery {
            marker: Some(marker),
            max_items: 2,
            ..all()
        })
        .await
        .unwrap();
    let names: Vec<_> = second.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["c", "D"]);
    assert_eq!(second.next_marker, None);
    let under_a = store
        .list_roles(&ListQuery {
            path_prefix: "/a/".to_owned(),
            ..all()
        })
        .await
        .unwrap();
    let names: Vec<_> = under_a.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["B", "c"]);
}

async fn inline_and_managed_policies_block_role_deletion(url: String) {
    let store = open(&url).await;
    store.create_role(&role("R", "/"), &[], 1000).await.unwrap();
    let inline = InlinePolicy {
        name: "Read".to_owned(),
        document: "{}".to_owned(),
    };
    store
        .put_role_policy("r", &inline, &no_check)
        .await
        .unwrap();
    // Same name case-insensitively replaces.
    let replaced = InlinePolicy {
        name: "READ".to_owned(),
        document: "{\"x\":1}".to_owned(),
    };
    store
        .put_role_policy("R", &replaced, &no_check)
        .await
        .unwrap();
    assert_eq!(store.role_policies("R").await.unwrap(), vec![replaced]);
    assert!(matches!(
        store.delete_role("R").await,
        Err(StoreError::Conflict {
            reason: ConflictReason::InlinePolicies,
            ..
        })
    ));
    // A refusing check rolls the put back.
    let refused = store
        .put_role_policy(
            "R",
            &InlinePolicy {
                name: "Other".to_owned(),
                document: "{}".to_owned(),
            },
            &|_| {
                Err(StoreError::LimitExceeded {
                    what: "policy size",
                    limit: 1,
                })
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::LimitExceeded { .. })));
    assert_eq!(store.role_policies("R").await.unwrap().len(), 1);
    store.delete_role_policy("R", "read").await.unwrap();
    assert!(matches!(
        store.delete_role_policy("R", "read").await,
        Err(StoreError::NotFound { .. })
    ));

    let managed = policy("Managed");
    store.create_policy(&managed).await.unwrap();
    assert!(matches!(
        store.create_policy(&managed).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    store
        .attach_role_policy("R", &managed.arn, 10)
        .await
        .unwrap();
    store
        .attach_role_policy("R", &managed.arn, 10)
        .await
        .unwrap();
    assert_eq!(
        store
            .policy(&managed.arn)
            .await
            .unwrap()
            .unwrap()
            .attachment_count,
        1
    );
    let attached = store.attached_role_policies("R").await.unwrap();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].policy_arn, managed.arn);
    assert!(matches!(
        store.delete_role("R").await,
        Err(StoreError::Conflict {
            reason: ConflictReason::AttachedPolicies,
            ..
        })
    ));
    assert!(matches!(
        store.delete_policy(&managed.arn).await,
        Err(StoreError::Conflict {
            reason: ConflictReason::PolicyAttached,
            ..
        })
    ));
    assert!(matches!(
        store
            .attach_role_policy("R", "arn:aws:iam::1:policy/none", 10)
            .await,
        Err(StoreError::NotFound {
            entity: "policy",
            ..
        })
    ));
    assert!(matches!(
        store.attach_role_policy("nobody", &managed.arn, 10).await,
        Err(StoreError::NotFound { entity: "role", .. })
    ));
    let only_attached = store.list_policies(&all(), true).await.unwrap();
    assert_eq!(only_attached.items.len(), 1);
    store.detach_role_policy("R", &managed.arn).await.unwrap();
    assert!(matches!(
        store.detach_role_policy("R", &managed.arn).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .list_policies(&all(), true)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .list_policies(&all(), false)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    store.delete_policy(&managed.arn).await.unwrap();
    assert_eq!(store.policy(&managed.arn).await.unwrap(), None);
    store.delete_role("R").await.unwrap();
}

async fn attachment_quota_rolls_back(url: String) {
    let store = open(&url).await;
    store.create_role(&role("R", "/"), &[], 1000).await.unwrap();
    for name in ["P1", "P2"] {
        store.create_policy(&policy(name)).await.unwrap();
    }
    store
        .attach_role_policy("R", &policy("P1").arn, 1)
        .await
        .unwrap();
    assert!(matches!(
        store.attach_role_policy("R", &policy("P2").arn, 1).await,
        Err(StoreError::LimitExceeded { .. })
    ));
    assert_eq!(store.attached_role_policies("R").await.unwrap().len(), 1);
}

async fn failed_create_writes_nothing(url: String) {
    let store = open(&url).await;
    store
        .create_role(&role("Taken", "/"), &[], 1000)
        .await
        .unwrap();
    // A second role whose insert fails (duplicate name) after nothing else, and a role whose
    // tag insert would succeed: the whole transaction rolls back, tags included.
    let mut duplicate = role("TAKEN", "/");
    duplicate.role_id = "AROADUP".to_owned();
    assert!(
        store
            .create_role(&duplicate, &[Tag::new("k", "v")], 1000)
            .await
            .is_err()
    );
    let mut roles = store.list_roles(&all()).await.unwrap().items;
    assert_eq!(roles.len(), 1);
    assert_eq!(roles.remove(0).role_id, "AROATAKEN");
    // Limit reached: nothing written.
    assert!(matches!(
        store
            .create_role(&role("Other", "/"), &[Tag::new("k", "v")], 1)
            .await,
        Err(StoreError::LimitExceeded { .. })
    ));
    assert_eq!(store.role_by_name("Other").await.unwrap(), None);
    // A failing provider creation leaves no tags behind.
    store
        .create_saml_provider(&provider("P"), &[], 100)
        .await
        .unwrap();
    store
        .delete_saml_provider(&provider("P").arn)
        .await
        .unwrap();
    assert!(
        store
            .create_saml_provider(&provider("Q"), &[Tag::new("a", "b")], 0)
            .await
            .is_err()
    );
    assert_eq!(store.saml_provider(&provider("Q").arn).await.unwrap(), None);
}

async fn access_keys_and_service_keys(url: String) {
    let store = open(&url).await;
    let sealer = SecretBox::new(&MasterKey::generate().unwrap()).unwrap();
    let key = AccessKeyRow {
        access_key_id: "AKIAEXAMPLE".to_owned(),
        secret_ciphertext: sealer.seal("AKIAEXAMPLE", b"secret").unwrap(),
        principal_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
        status: AccessKeyStatus::Active,
        create_date: NOW,
    };
    store.create_access_key(&key).await.unwrap();
    assert!(matches!(
        store.create_access_key(&key).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let read = store.access_key("AKIAEXAMPLE").await.unwrap().unwrap();
    assert_eq!(read, key);
    assert_eq!(
        sealer
            .open("AKIAEXAMPLE", &read.secret_ciphertext)
            .unwrap()
            .expose(),
        b"secret"
    );
    assert_eq!(
        store
            .access_keys_of(&key.principal_arn)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.access_key("AKIANONE").await.unwrap(), None);

    assert_eq!(store.service_key("session").await.unwrap(), None);
    let first = store
        .service_key_or_insert("session", "one", NOW)
        .await
        .unwrap();
    let second = store
        .service_key_or_insert("session", "two", NOW)
        .await
        .unwrap();
    assert_eq!(first, "one");
    assert_eq!(second, "one");
    assert_eq!(
        store.service_key("session").await.unwrap().as_deref(),
        Some("one")
    );
}

async fn replay_cache_accepts_once_until_expiry(url: String) {
    let store = open(&url).await;
    let expires = NOW + time::Duration::minutes(5);
    assert!(
        store
            .record_assertion("p", "id1", expires, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_assertion("p", "id1", expires, NOW)
            .await
            .unwrap()
    );
    // Other provider, same id: independent.
    assert!(
        store
            .record_assertion("q", "id1", expires, NOW)
            .await
            .unwrap()
    );
    // After expiry the entry no longer blocks.
    let later = expires + time::Duration::seconds(1);
    assert!(
        store
            .record_assertion("p", "id1", later + time::Duration::minutes(5), later)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .purge_replay_cache(later + time::Duration::hours(1))
            .await
            .unwrap(),
        2
    );
}

async fn concurrent_writers_do_not_fail(url: String) {
    let store = open(&url).await;
    let mut tasks = Vec::new();
    for index in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("Role{index}");
            store
                .create_role(&role(&name, "/"), &[Tag::new("n", "1")], 1000)
                .await?;
            store.tag_role(&name, &[Tag::new("m", "2")], 50).await?;
            store
                .record_assertion(
                    "p",
                    &format!("id{index}"),
                    NOW + time::Duration::minutes(5),
                    NOW,
                )
                .await?;
            store.delete_role(&name).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Two independent stores (pools) on the same database also coexist.
    let other = open(&url).await;
    let (x, y) = (role("X", "/"), role("Y", "/"));
    let (a, b) = tokio::join!(
        store.create_role(&x, &[], 1000),
        other.create_role(&y, &[], 1000)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(store.list_roles(&all()).await.unwrap().items.len(), 2);
}

async fn reopening_keeps_everything(url: String) {
    let store = open(&url).await;
    store
        .create_saml_provider(&provider("Keep"), &[Tag::new("a", "b")], 100)
        .await
        .unwrap();
    store
        .create_role(&role("Keep", "/"), &[], 1000)
        .await
        .unwrap();
    store.create_policy(&policy("Keep")).await.unwrap();
    store
        .attach_role_policy("Keep", &policy("Keep").arn, 10)
        .await
        .unwrap();
    store
        .service_key_or_insert("k", "sealed", NOW)
        .await
        .unwrap();
    store.close().await;
    drop(store);
    // Re-running the migrations on an existing database is a no-op.
    let reopened = open(&url).await;
    assert_eq!(
        reopened
            .saml_provider_tags(&provider("Keep").arn)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        reopened.role_by_name("keep").await.unwrap().unwrap(),
        role("Keep", "/")
    );
    assert_eq!(
        reopened.attached_role_policies("Keep").await.unwrap().len(),
        1
    );
    assert_eq!(
        reopened.service_key("k").await.unwrap().as_deref(),
        Some("sealed")
    );
}

/// Every change of IAM data, and nothing else, gives the IAM revision a value it never had.
async fn every_iam_change_replaces_the_revision(url: String) {
    let store = open(&url).await;
    let mut seen = vec![store.iam_revision().await.unwrap()];
    macro_rules! changes {
        ($($change:expr;)*) => {$(
            $change.await.unwrap();
            let revision = store.iam_revision().await.unwrap();
            assert!(!seen.contains(&revision), "{}: {revision} again", stringify!($change));
            seen.push(revision);
        )*};
    }
    macro_rules! reads_or_fails {
        ($($call:expr;)*) => {$(
            let _ = $call.await;
            assert_eq!(store.iam_revision().await.unwrap(), *seen.last().unwrap(), "{}", stringify!($call));
        )*};
    }
    let okta = provider("Okta");
    let update = SamlProviderUpdate {
        metadata: None,
        assertion_encryption_mode: Some(AssertionEncryptionMode::Required),
    };
    let inline = InlinePolicy {
        name: "inline".to_owned(),
        document: "{}".to_owned(),
    };
    let key = AccessKeyRow {
        access_key_id: "AKIAREVISION00000001".to_owned(),
        secret_ciphertext: "c2VhbGVk".to_owned(),
        principal_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
        status: AccessKeyStatus::Active,
        create_date: NOW,
    };
    changes! {
        store.create_saml_provider(&okta, &[], 100);
        store.update_saml_provider(&okta.arn, &update);
        store.tag_saml_provider(&okta.arn, &[Tag::new("a", "b")], 50);
        store.untag_saml_provider(&okta.arn, &["a".to_owned()]);
        store.create_role(&role("R", "/"), &[], 1000);
        store.update_role("R", &RoleUpdate { description: Some("d".to_owned()), max_session_duration: None });
        store.update_assume_role_policy("R", "{}");
        store.tag_role("R", &[Tag::new("a", "b")], 50);
        store.untag_role("R", &["a".to_owned()]);
        store.put_role_policy("R", &inline, &no_check);
        store.delete_role_policy("R", "inline");
        store.create_policy(&policy("P"));
        store.attach_role_policy("R", &policy("P").arn, 10);
        store.detach_role_policy("R", &policy("P").arn);
        store.delete_policy(&policy("P").arn);
        store.delete_role("R");
        store.delete_saml_provider(&okta.arn);
    }
    // Reads, refused changes (rolled back) and non-IAM writes leave it alone.
    reads_or_fails! {
        store.saml_provider(&okta.arn);
        store.list_roles(&all());
        store.delete_role("R");
        store.create_saml_provider(&provider("Full"), &[], 0);
        store.create_access_key(&key);
        store.service_key_or_insert("k", "sealed", NOW);
        store.record_assertion("p", "id", NOW, NOW);
    }
}

fedgate_store::conformance_tests!(
    every_iam_change_replaces_the_revision,
    saml_provider_crud_and_tags,
    saml_provider_duplicates_and_limits,
    role_crud_and_case_insensitive_names,
    role_listing_paginates_and_filters_by_path,
    inline_and_managed_policies_block_role_deletion,
    attachment_quota_rolls_back,
    failed_create_writes_nothing,
    access_keys_and_service_keys,
    replay_cache_accepts_once_until_expiry,
    concurrent_writers_do_not_fail,
    reopening_keeps_everything,
);

#[test]
fn refuses_in_memory_and_unknown_urls() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for url in ["sqlite::memory:", "mysql://localhost/x"] {
        let error = runtime.block_on(Store::connect(url)).unwrap_err();
        assert_eq!(error.code(), "configuration");
    }
}

#[test]
fn sqlite_file_uses_wal() {
    let database = TestDatabase::sqlite().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        drop(Store::connect(&database.url).await.unwrap());
    });
    let dir = database.dir().unwrap();
    // WAL mode leaves a -wal file next to the database while connections are open or after a
    // write; the header says WAL (file format version 2 at offsets 18/19).
    let header = std::fs::read(dir.join("fedgate.db")).unwrap();
    assert_eq!(&header[18..20], &[2, 2]);
}
