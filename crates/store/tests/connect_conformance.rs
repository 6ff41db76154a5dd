//! Conformance of the contact-center storage ([`ConnectStore`]): every case runs on SQLite (a
//! temporary file) and on PostgreSQL (when `FEDGATE_TEST_POSTGRES_URL` is set; required under
//! `CI=true`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use fedgate_store::{
    ConnectIdentityRow, ConnectInstanceRow, ConnectPhoneRow, ConnectProfileRow, ConnectStore,
    ConnectUserRow, Store, StoreError, Tag,
};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-04 10:00:00 UTC);
const LATER: OffsetDateTime = datetime!(2026-12-04 11:00:00 UTC);
const PREFIX: &str = "arn:aws:connect:us-east-1:123456789012:instance";

fn instance(id: &str, alias: Option<&str>, token: Option<&str>) -> ConnectInstanceRow {
    ConnectInstanceRow {
        id: id.to_owned(),
        arn: format!("{PREFIX}/{id}"),
        alias: alias.map(str::to_owned),
        identity_management_type: "SAML".to_owned(),
        directory_id: None,
        status: "ACTIVE".to_owned(),
        inbound_calls_enabled: true,
        outbound_calls_enabled: false,
        client_token: token.map(str::to_owned),
        request_digest: token.map(|token| format!("digest-{token}")),
        created: NOW,
        tags: vec![Tag::new("team", "cc"), Tag::new("Env", "e2e")],
    }
}

fn profile(instance_id: &str, kind: &str, id: &str, name: &str) -> ConnectProfileRow {
    ConnectProfileRow {
        id: id.to_owned(),
        instance_id: instance_id.to_owned(),
        arn: format!("{PREFIX}/{instance_id}/{kind}/{id}"),
        name: name.to_owned(),
        last_modified: NOW,
    }
}

/// Creates instance `id` with security profiles `<id>-admin`, `<id>-agent` and routing
/// profile `<id>-basic`.
async fn create_instance(store: &Store, id: &str, alias: &str) {
    let security = [
        profile(id, "security-profile", &format!("{id}-admin"), "Admin"),
        profile(id, "security-profile", &format!("{id}-agent"), "Agent"),
    ];
    let routing = [profile(
        id,
        "routing-profile",
        &format!("{id}-basic"),
        "Basic Routing Profile",
    )];
    let created = store
        .create_connect_instance(&instance(id, Some(alias), None), &security, &routing, 10)
        .await
        .unwrap();
    assert_eq!(created, None);
}

fn user(instance_id: &str, id: &str, username: &str) -> ConnectUserRow {
    ConnectUserRow {
        id: id.to_owned(),
        instance_id: instance_id.to_owned(),
        arn: format!("{PREFIX}/{instance_id}/agent/{id}"),
        username: username.to_owned(),
        identity: ConnectIdentityRow {
            first_name: Some("Alice".to_owned()),
            last_name: Some("Agent".to_owned()),
            ..ConnectIdentityRow::default()
        },
        directory_user_id: None,
        password_hash: None,
        routing_profile_id: format!("{instance_id}-basic"),
        security_profile_ids: vec![
            format!("{instance_id}-agent"),
            format!("{instance_id}-admin"),
        ],
        phone: ConnectPhoneRow {
            phone_type: "SOFT_PHONE".to_owned(),
            auto_accept: true,
            after_contact_work_time_limit: 30,
            desk_phone_number: None,
        },
        agent_status: "Offline".to_owned(),
        agent_status_changed: NOW,
        created: NOW,
        last_modified: NOW,
        tags: vec![Tag::new("site", "lyon")],
    }
}

async fn open(url: &str) -> Store {
    Store::connect(url).await.unwrap()
}

async fn instance_crud_with_profiles_and_tags(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "Acme-Support").await;
    let found = store.connect_instance("i-1").await.unwrap().unwrap();
    let mut expected = instance("i-1", Some("Acme-Support"), None);
    expected.tags.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(found, expected);
    // Aliases are found case-insensitively.
    let by_alias = store
        .connect_instance_by_alias("acme-support")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_alias.id, "i-1");
    assert_eq!(store.connect_instance("i-2").await.unwrap(), None);
    let security: Vec<String> = store
        .connect_security_profiles("i-1")
        .await
        .unwrap()
        .into_iter()
        .map(|profile| profile.name)
        .collect();
    assert_eq!(security, ["Admin", "Agent"]);
    let routing = store.connect_routing_profiles("i-1").await.unwrap();
    assert_eq!(routing.len(), 1);
    assert_eq!(routing[0].name, "Basic Routing Profile");
    create_instance(&store, "i-0", "other").await;
    let listed: Vec<String> = store
        .connect_instances()
        .await
        .unwrap()
        .into_iter()
        .map(|instance| instance.id)
        .collect();
    assert_eq!(listed, ["i-0", "i-1"], "same second: ordered by id");
    store.delete_connect_instance("i-1").await.unwrap();
    assert_eq!(store.connect_instance("i-1").await.unwrap(), None);
    assert!(
        store
            .connect_security_profiles("i-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.delete_connect_instance("i-1").await,
        Err(StoreError::NotFound { .. })
    ));
    // The alias is free again.
    create_instance(&store, "i-3", "ACME-SUPPORT").await;
}

async fn instance_alias_unique_case_insensitively(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "acme").await;
    let error = store
        .create_connect_instance(&instance("i-2", Some("ACME"), None), &[], &[], 10)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::AlreadyExists {
                entity: "connect instance",
                ..
            }
        ),
        "{error:?}"
    );
    // Instances without alias do not collide with each other.
    for id in ["i-3", "i-4"] {
        store
            .create_connect_instance(&instance(id, None, None), &[], &[], 10)
            .await
            .unwrap();
    }
    assert_eq!(store.connect_instances().await.unwrap().len(), 3);
}

async fn client_token_returns_the_first_instance(url: String) {
    let store = open(&url).await;
    let first = instance("i-1", Some("one"), Some("token-1"));
    assert_eq!(
        store
            .create_connect_instance(&first, &[], &[], 10)
            .await
            .unwrap(),
        None
    );
    // A retry with the same token (even another id and alias) writes nothing.
    let retry = instance("i-2", Some("two"), Some("token-1"));
    let existing = store
        .create_connect_instance(&retry, &[], &[], 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(existing.id, "i-1");
    assert_eq!(existing.request_digest.as_deref(), Some("digest-token-1"));
    assert_eq!(store.connect_instances().await.unwrap().len(), 1);
    assert_eq!(
        store
            .connect_instance_by_client_token("token-1")
            .await
            .unwrap()
            .unwrap()
            .id,
        "i-1"
    );
}

async fn instance_quota_rolls_back(url: String) {
    let store = open(&url).await;
    for id in ["i-1", "i-2"] {
        store
            .create_connect_instance(&instance(id, None, None), &[], &[], 2)
            .await
            .unwrap();
    }
    let error = store
        .create_connect_instance(&instance("i-3", None, None), &[], &[], 2)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        StoreError::LimitExceeded {
            what: "connect instances",
            limit: 2
        }
    );
    assert_eq!(store.connect_instance("i-3").await.unwrap(), None);
    // A retry of an existing token is not a new instance: no quota error.
    let token = instance("i-4", None, Some("t"));
    let store2 = open(&url).await;
    store2.delete_connect_instance("i-2").await.unwrap();
    store2
        .create_connect_instance(&token, &[], &[], 2)
        .await
        .unwrap();
    assert!(
        store2
            .create_connect_instance(&token, &[], &[], 2)
            .await
            .unwrap()
            .is_some()
    );
}

async fn user_crud_profiles_and_agent_status(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    let alice = user("i-1", "u-1", "alice@example.com");
    store.create_connect_user(&alice, 10).await.unwrap();
    let found = store.connect_user("i-1", "u-1").await.unwrap().unwrap();
    assert_eq!(found, alice);
    let by_name = store
        .connect_user_by_username("i-1", "alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.id, "u-1");
    // Usernames are case-sensitive.
    assert_eq!(
        store
            .connect_user_by_username("i-1", "Alice@example.com")
            .await
            .unwrap(),
        None
    );
    // A user is looked up within its instance only.
    create_instance(&store, "i-2", "two").await;
    assert_eq!(store.connect_user("i-2", "u-1").await.unwrap(), None);

    let identity = ConnectIdentityRow {
        first_name: Some("Alicia".to_owned()),
        last_name: Some("Agent".to_owned()),
        email: Some("alicia@example.com".to_owned()),
        secondary_email: None,
        mobile: Some("+33123456789".to_owned()),
    };
    store
        .update_connect_user_identity("i-1", "u-1", &identity, LATER)
        .await
        .unwrap();
    store
        .update_connect_user_security_profiles("i-1", "u-1", &["i-1-admin".to_owned()], LATER)
        .await
        .unwrap();
    store
        .set_connect_agent_status("i-1", "u-1", "Available", LATER)
        .await
        .unwrap();
    let updated = store.connect_user("i-1", "u-1").await.unwrap().unwrap();
    assert_eq!(updated.identity, identity);
    assert_eq!(updated.security_profile_ids, ["i-1-admin"]);
    assert_eq!(updated.agent_status, "Available");
    assert_eq!(updated.agent_status_changed, LATER);
    assert_eq!(updated.last_modified, LATER);

    // A profile of another instance is refused and nothing changes.
    let error = store
        .update_connect_user_security_profiles("i-1", "u-1", &["i-2-admin".to_owned()], NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NotFound {
                entity: "connect security profile",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        store
            .connect_user("i-1", "u-1")
            .await
            .unwrap()
            .unwrap()
            .security_profile_ids,
        ["i-1-admin"]
    );
    for result in [
        store
            .update_connect_user_identity("i-1", "nobody", &identity, NOW)
            .await,
        store
            .set_connect_agent_status("i-1", "nobody", "Available", NOW)
            .await,
        store.delete_connect_user("i-1", "nobody").await,
        store.delete_connect_user("i-2", "u-1").await,
    ] {
        assert!(
            matches!(result, Err(StoreError::NotFound { .. })),
            "{result:?}"
        );
    }
    store.delete_connect_user("i-1", "u-1").await.unwrap();
    assert_eq!(store.connect_user("i-1", "u-1").await.unwrap(), None);
    // The username is free again, and the old tags are gone.
    let mut again = user("i-1", "u-2", "alice@example.com");
    again.tags.clear();
    store.create_connect_user(&again, 10).await.unwrap();
    assert!(
        store
            .connect_user("i-1", "u-2")
            .await
            .unwrap()
            .unwrap()
            .tags
            .is_empty()
    );
}

async fn usernames_unique_per_instance_case_sensitively(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    create_instance(&store, "i-2", "two").await;
    store
        .create_connect_user(&user("i-1", "u-1", "alice"), 10)
        .await
        .unwrap();
    let error = store
        .create_connect_user(&user("i-1", "u-2", "alice"), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::AlreadyExists {
                entity: "connect user",
                ..
            }
        ),
        "{error:?}"
    );
    // Another case is another user; the same name in another instance too.
    store
        .create_connect_user(&user("i-1", "u-3", "Alice"), 10)
        .await
        .unwrap();
    store
        .create_connect_user(&user("i-2", "u-4", "alice"), 10)
        .await
        .unwrap();
    let names: Vec<String> = store
        .connect_users("i-1")
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.username)
        .collect();
    assert_eq!(names, ["alice", "Alice"]);
}

async fn create_user_checks_references_and_quota(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    create_instance(&store, "i-2", "two").await;
    let mut foreign_routing = user("i-1", "u-1", "alice");
    foreign_routing.routing_profile_id = "i-2-basic".to_owned();
    let mut foreign_security = user("i-1", "u-1", "alice");
    foreign_security.security_profile_ids = vec!["i-1-agent".to_owned(), "i-2-agent".to_owned()];
    for (row, entity) in [
        (user("i-9", "u-1", "alice"), "connect instance"),
        (foreign_routing, "connect routing profile"),
        (foreign_security, "connect security profile"),
    ] {
        let error = store.create_connect_user(&row, 10).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::NotFound { entity: found, .. } if *found == entity),
            "{error:?}"
        );
    }
    // Nothing was written by the failed attempts.
    assert!(store.connect_users("i-1").await.unwrap().is_empty());
    store
        .create_connect_user(&user("i-1", "u-1", "alice"), 2)
        .await
        .unwrap();
    store
        .create_connect_user(&user("i-1", "u-2", "bob"), 2)
        .await
        .unwrap();
    let error = store
        .create_connect_user(&user("i-1", "u-3", "carol"), 2)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        StoreError::LimitExceeded {
            what: "connect users",
            limit: 2
        }
    );
    // The quota is per instance.
    store
        .create_connect_user(&user("i-2", "u-3", "carol"), 2)
        .await
        .unwrap();
}

async fn listing_users_carries_profiles_and_tags(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    let mut bob = user("i-1", "u-0", "bob");
    bob.created = LATER;
    bob.security_profile_ids = vec!["i-1-admin".to_owned()];
    bob.tags = vec![Tag::new("b", "2"), Tag::new("a", "1")];
    store.create_connect_user(&bob, 10).await.unwrap();
    store
        .create_connect_user(&user("i-1", "u-1", "alice"), 10)
        .await
        .unwrap();
    let users = store.connect_users("i-1").await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].username, "alice", "ordered by creation time");
    assert_eq!(users[0].security_profile_ids, ["i-1-agent", "i-1-admin"]);
    assert_eq!(users[1].security_profile_ids, ["i-1-admin"]);
    assert_eq!(users[1].tags, [Tag::new("a", "1"), Tag::new("b", "2")]);
    assert_eq!(
        users[0],
        store.connect_user("i-1", "u-1").await.unwrap().unwrap()
    );
}

async fn deleting_an_instance_removes_its_users(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    store
        .create_connect_user(&user("i-1", "u-1", "alice"), 10)
        .await
        .unwrap();
    store.delete_connect_instance("i-1").await.unwrap();
    assert_eq!(store.connect_user("i-1", "u-1").await.unwrap(), None);
    // The user's id, ARN and name can be used again in a new instance of the same id.
    create_instance(&store, "i-1", "one").await;
    store
        .create_connect_user(&user("i-1", "u-1", "alice"), 10)
        .await
        .unwrap();
    assert_eq!(
        store
            .connect_user("i-1", "u-1")
            .await
            .unwrap()
            .unwrap()
            .tags,
        [Tag::new("site", "lyon")]
    );
}

async fn concurrent_user_creation_respects_uniqueness(url: String) {
    let store = open(&url).await;
    create_instance(&store, "i-1", "one").await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_connect_user(&user("i-1", &format!("u-{n}"), "same-name"), 100)
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => created += 1,
            Err(StoreError::AlreadyExists { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.connect_users("i-1").await.unwrap().len(), 1);
}

fedgate_store::conformance_tests!(
    instance_crud_with_profiles_and_tags,
    instance_alias_unique_case_insensitively,
    client_token_returns_the_first_instance,
    instance_quota_rolls_back,
    user_crud_profiles_and_agent_status,
    usernames_unique_per_instance_case_sensitively,
    create_user_checks_references_and_quota,
    listing_users_carries_profiles_and_tags,
    deleting_an_instance_removes_its_users,
    concurrent_user_creation_respects_uniqueness,
);
