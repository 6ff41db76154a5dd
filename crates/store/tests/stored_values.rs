//! Stored strings that select behaviour are parsed when a row is read, and a value that is
//! neither variant makes the row unreadable: written here behind the store's back with raw
//! SQL, on SQLite and PostgreSQL (see `conformance.rs` for how each backend is chosen).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use fedgate_store::{
    AccessKeyRow, AccessKeyStatus, AssertionEncryptionMode, KeyStore, SamlProvider,
    SamlProviderStore, Store, StoreError,
};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-05 10:00:00 UTC);

fn provider(name: &str) -> SamlProvider {
    SamlProvider {
        arn: format!("arn:aws:iam::123456789012:saml-provider/{name}"),
        name: name.to_owned(),
        uuid: format!("UUID{}", name.to_uppercase())
            .chars()
            .chain("0".repeat(22).chars())
            .take(26)
            .collect(),
        metadata_document: format!("<md:EntityDescriptor entityID=\"{name}\"/>"),
        create_date: NOW,
        valid_until: None,
        assertion_encryption_mode: AssertionEncryptionMode::Required,
        revision: 0,
    }
}

fn access_key(id: &str) -> AccessKeyRow {
    AccessKeyRow {
        access_key_id: id.to_owned(),
        secret_ciphertext: "c2VhbGVk".to_owned(),
        principal_arn: "arn:aws:iam::123456789012:user/fedgate-admin".to_owned(),
        status: AccessKeyStatus::Active,
        create_date: NOW,
    }
}

/// Runs `sql` with one bound value on its own connection, as an operator's tool or an older
/// or newer fedgate would.
async fn behind_the_stores_back(url: &str, sql: &'static str, value: &str, key: &str) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let done = sqlx::query(sql)
        .bind(value)
        .bind(key)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;
}

fn assert_refused<T: std::fmt::Debug>(read: Result<T, StoreError>, detail_contains: &str) {
    match read {
        Err(StoreError::Corrupt { detail }) => {
            assert!(detail.contains(detail_contains), "{detail}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn unknown_assertion_encryption_mode_is_refused(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let odd = provider("Odd");
    store.create_saml_provider(&odd, &[], 100).await.unwrap();
    store
        .create_saml_provider(&provider("Fine"), &[], 100)
        .await
        .unwrap();
    // Neither an unknown word nor another spelling of a known one is read as a mode: before,
    // anything but "Required" was the weaker Allowed.
    for value in ["Sometimes", "required", "REQUIRED", "", "Allowed "] {
        behind_the_stores_back(
            &url,
            "UPDATE saml_providers SET assertion_encryption_mode = $1 WHERE arn = $2",
            value,
            &odd.arn,
        )
        .await;
        assert_refused(
            store.saml_provider(&odd.arn).await,
            &format!(
                "{}: stored unknown assertion encryption mode {value:?}",
                odd.arn
            ),
        );
    }
    // The refusal is that row's: the other provider still reads, and the listing (which does
    // not read the mode) still lists both.
    let fine = store
        .saml_provider(&provider("Fine").arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        fine.assertion_encryption_mode,
        AssertionEncryptionMode::Required
    );
    assert_eq!(store.list_saml_providers().await.unwrap().len(), 2);
    // Written back as a known value, the row reads again.
    behind_the_stores_back(
        &url,
        "UPDATE saml_providers SET assertion_encryption_mode = $1 WHERE arn = $2",
        "Allowed",
        &odd.arn,
    )
    .await;
    assert_eq!(
        store
            .saml_provider(&odd.arn)
            .await
            .unwrap()
            .unwrap()
            .assertion_encryption_mode,
        AssertionEncryptionMode::Allowed
    );
}

async fn unknown_access_key_status_is_refused(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let key = access_key("AKIAODDSTATUS0000001");
    store.create_access_key(&key).await.unwrap();
    for value in ["Enabled", "active", ""] {
        behind_the_stores_back(
            &url,
            "UPDATE access_keys SET status = $1 WHERE access_key_id = $2",
            value,
            &key.access_key_id,
        )
        .await;
        let expected = format!(
            "{}: stored unknown access key status {value:?}",
            key.access_key_id
        );
        assert_refused(store.access_key(&key.access_key_id).await, &expected);
        assert_refused(store.access_keys_of(&key.principal_arn).await, &expected);
    }
    behind_the_stores_back(
        &url,
        "UPDATE access_keys SET status = $1 WHERE access_key_id = $2",
        "Inactive",
        &key.access_key_id,
    )
    .await;
    assert_eq!(
        store
            .access_key(&key.access_key_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        AccessKeyStatus::Inactive
    );
}

fedgate_store::conformance_tests!(
    unknown_assertion_encryption_mode_is_refused,
    unknown_access_key_status_is_refused,
);
