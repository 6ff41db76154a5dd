//! Behaviour of the operations over a real store (a temporary SQLite file).

use std::collections::BTreeMap;

use fedgate_store::testing::TestDatabase;
use fedgate_store::{ConnectStore as _, Secret, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::wire::{
    CreateInstanceInput, CreateUserInput, IdentityInfo, ListParams, PhoneConfig, SearchCriteria,
    SearchUsersInput, Sensitive, StringCondition, UpdateUserIdentityInfoInput,
    UpdateUserSecurityProfilesInput,
};
use crate::{
    AgentStatus, Connect, ConnectError, ConnectSettings, FederationCaller, IdentityManagementType,
    USER_NOT_FOUND_MESSAGE,
};

const NOW: OffsetDateTime = datetime!(2026-12-04 10:00:00 UTC);
const ACCOUNT: &str = "123456789012";

struct Fixture {
    connect: Connect,
    _database: TestDatabase,
}

async fn fixture() -> Fixture {
    let database = TestDatabase::sqlite().unwrap();
    let store = Store::connect(&database.url).await.unwrap();
    let connect = Connect::new(
        store,
        ConnectSettings {
            account_id: ACCOUNT.to_owned(),
            region: "eu-west-3".to_owned(),
            base_url: "https://fedgate.example.test/".to_owned(),
        },
        &Secret::new([7; 32]),
    )
    .unwrap();
    Fixture {
        connect,
        _database: database,
    }
}

fn create_input(kind: &str, alias: Option<&str>) -> CreateInstanceInput {
    CreateInstanceInput {
        identity_management_type: Some(kind.to_owned()),
        instance_alias: alias.map(str::to_owned),
        inbound_calls_enabled: Some(true),
        outbound_calls_enabled: Some(false),
        ..CreateInstanceInput::default()
    }
}

async fn instance(connect: &Connect, kind: &str, alias: &str) -> String {
    connect
        .create_instance(&create_input(kind, Some(alias)), NOW)
        .await
        .unwrap()
        .id
}

async fn profile_ids(connect: &Connect, instance_id: &str) -> (Vec<String>, String) {
    let security = connect
        .list_security_profiles(instance_id, &ListParams::default())
        .await
        .unwrap()
        .security_profile_summary_list;
    let routing = connect
        .list_routing_profiles(instance_id, &ListParams::default())
        .await
        .unwrap()
        .routing_profile_summary_list;
    (
        security.into_iter().map(|p| p.id).collect(),
        routing[0].id.clone(),
    )
}

async fn user_input(connect: &Connect, instance_id: &str, username: &str) -> CreateUserInput {
    let (security, routing) = profile_ids(connect, instance_id).await;
    CreateUserInput {
        username: Some(username.to_owned()),
        identity_info: Some(IdentityInfo {
            first_name: Some("Alice".to_owned()),
            last_name: Some("Agent".to_owned()),
            ..IdentityInfo::default()
        }),
        security_profile_ids: Some(vec![security[1].clone()]),
        routing_profile_id: Some(routing),
        ..CreateUserInput::default()
    }
}

async fn saml_user(connect: &Connect, instance_id: &str, username: &str) -> String {
    let input = user_input(connect, instance_id, username).await;
    connect
        .create_user(instance_id, &input, NOW)
        .await
        .unwrap()
        .user_id
}

fn caller(session_name: &str) -> FederationCaller {
    FederationCaller {
        session_name: session_name.to_owned(),
        role_id: "AROAEXAMPLEROLEID1234".to_owned(),
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/ConnectAgent"),
        provider_arn: Some(format!("arn:aws:iam::{ACCOUNT}:saml-provider/IdpA")),
        session_expiration: NOW + Duration::hours(1),
    }
}

fn code(result: Result<impl std::fmt::Debug, ConnectError>) -> String {
    result.unwrap_err().to_aws_error().code
}

// --- instances -----------------------------------------------------------------------------

#[tokio::test]
async fn creates_an_active_instance_with_default_profiles() {
    let f = fixture().await;
    let created = f
        .connect
        .create_instance(&create_input("SAML", Some("Acme-Support")), NOW)
        .await
        .unwrap();
    let id = &created.id;
    assert_eq!(
        created.arn,
        format!("arn:aws:connect:eu-west-3:{ACCOUNT}:instance/{id}")
    );
    let described = f.connect.describe_instance(id).await.unwrap().instance;
    assert_eq!(described.identity_management_type, "SAML");
    assert_eq!(described.instance_status, "ACTIVE");
    assert_eq!(described.instance_alias.as_deref(), Some("Acme-Support"));
    assert_eq!(described.created_time, NOW.unix_timestamp());
    assert!(described.inbound_calls_enabled && !described.outbound_calls_enabled);
    assert_eq!(
        described.instance_access_url,
        "https://fedgate.example.test/connect/login/Acme-Support"
    );
    let security = f
        .connect
        .list_security_profiles(id, &ListParams::default())
        .await
        .unwrap()
        .security_profile_summary_list;
    let names: Vec<&str> = security.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["Admin", "Agent", "CallCenterManager", "QualityAnalyst"]
    );
    assert!(
        security
            .iter()
            .all(|p| p.arn == format!("{}/security-profile/{}", created.arn, p.id))
    );
    let routing = f
        .connect
        .list_routing_profiles(id, &ListParams::default())
        .await
        .unwrap()
        .routing_profile_summary_list;
    assert_eq!(routing.len(), 1);
    assert_eq!(routing[0].name, "Basic Routing Profile");
    assert_eq!(routing[0].last_modified_region, "eu-west-3");
    let typed = f.connect.instance(id).await.unwrap().unwrap();
    assert_eq!(typed.identity_management_type, IdentityManagementType::Saml);
    assert_eq!(
        f.connect
            .instance_by_alias_or_id("acme-support")
            .await
            .unwrap()
            .unwrap()
            .id,
        *id
    );
    assert_eq!(
        f.connect
            .instance_by_alias_or_id(id)
            .await
            .unwrap()
            .unwrap()
            .id,
        *id
    );
    assert_eq!(
        f.connect.instance_by_alias_or_id("nope").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn refuses_invalid_create_instance_requests() {
    let f = fixture().await;
    let mut no_inbound = create_input("SAML", Some("a"));
    no_inbound.inbound_calls_enabled = None;
    let mut with_directory = create_input("SAML", Some("a"));
    with_directory.directory_id = Some("d-0123456789".to_owned());
    let mut bad_directory = create_input("EXISTING_DIRECTORY", None);
    bad_directory.directory_id = Some("d-XYZ".to_owned());
    let mut long_token = create_input("SAML", Some("a"));
    long_token.client_token = Some("t".repeat(501));
    let mut empty_tags = create_input("SAML", Some("a"));
    empty_tags.tags = Some(BTreeMap::new());
    for (name, input) in [
        ("no type", CreateInstanceInput::default()),
        ("unknown type", create_input("LDAP", Some("a"))),
        ("no inbound", no_inbound),
        ("saml without alias", create_input("SAML", None)),
        (
            "managed without alias",
            create_input("CONNECT_MANAGED", None),
        ),
        ("bad alias", create_input("SAML", Some("d-1234"))),
        ("directory on saml", with_directory),
        (
            "directory missing",
            create_input("EXISTING_DIRECTORY", None),
        ),
        ("bad directory", bad_directory),
        ("long token", long_token),
        ("empty tags", empty_tags),
    ] {
        assert_eq!(
            code(f.connect.create_instance(&input, NOW).await),
            "InvalidRequestException",
            "{name}"
        );
    }
    let mut directory = create_input("EXISTING_DIRECTORY", None);
    directory.directory_id = Some("d-0123456789".to_owned());
    let id = f.connect.create_instance(&directory, NOW).await.unwrap().id;
    assert_eq!(
        f.connect
            .describe_instance(&id)
            .await
            .unwrap()
            .instance
            .instance_access_url,
        format!("https://fedgate.example.test/connect/login/{id}")
    );
}

#[tokio::test]
async fn aliases_are_unique_case_insensitively() {
    let f = fixture().await;
    instance(&f.connect, "SAML", "acme").await;
    let error = f
        .connect
        .create_instance(&create_input("CONNECT_MANAGED", Some("ACME")), NOW)
        .await
        .unwrap_err();
    assert_eq!(error.to_aws_error().code, "InvalidRequestException");
    assert!(error.to_string().contains("InstanceAlias"), "{error}");
}

#[tokio::test]
async fn client_token_makes_create_instance_idempotent() {
    let f = fixture().await;
    let mut input = create_input("SAML", Some("acme"));
    input.client_token = Some("token-1".to_owned());
    input.tags = Some([("team".to_owned(), "cc".to_owned())].into());
    let first = f.connect.create_instance(&input, NOW).await.unwrap();
    let again = f
        .connect
        .create_instance(&input, NOW + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(first, again);
    let listed = f
        .connect
        .list_instances(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(listed.instance_summary_list.len(), 1);
    // The same token for another request is refused.
    let mut other = input.clone();
    other.outbound_calls_enabled = Some(true);
    assert_eq!(
        code(f.connect.create_instance(&other, NOW).await),
        "InvalidRequestException"
    );
}

#[tokio::test]
async fn lists_instances_in_pages_of_at_most_ten() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let id = f
            .connect
            .create_instance(
                &create_input("SAML", Some(&format!("alias{n}"))),
                NOW + Duration::seconds(n),
            )
            .await
            .unwrap()
            .id;
        ids.push(id);
    }
    let first = f
        .connect
        .list_instances(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(first.instance_summary_list.len(), 10);
    assert!(first.instance_summary_list[0].tags.is_none());
    let second = f
        .connect
        .list_instances(&ListParams {
            next_token: first.next_token.clone(),
            max_results: Some("10".to_owned()),
        })
        .await
        .unwrap();
    assert_eq!(second.next_token, None);
    let listed: Vec<String> = first
        .instance_summary_list
        .into_iter()
        .chain(second.instance_summary_list)
        .map(|i| i.id)
        .collect();
    assert_eq!(listed, ids, "oldest first, each once");
    for max in ["0", "11", "ten"] {
        assert_eq!(
            code(
                f.connect
                    .list_instances(&ListParams {
                        next_token: None,
                        max_results: Some(max.to_owned()),
                    })
                    .await
            ),
            "InvalidRequestException"
        );
    }
}

#[tokio::test]
async fn deleting_an_instance_removes_it_and_its_users() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let user = saml_user(&f.connect, &id, "alice").await;
    f.connect.delete_instance(&id).await.unwrap();
    assert_eq!(
        code(f.connect.describe_instance(&id).await),
        "ResourceNotFoundException"
    );
    assert_eq!(f.connect.user(&id, &user).await.unwrap(), None);
    assert_eq!(
        code(f.connect.delete_instance(&id).await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            f.connect
                .list_security_profiles(&id, &ListParams::default())
                .await
        ),
        "ResourceNotFoundException"
    );
}

// --- users ---------------------------------------------------------------------------------

#[tokio::test]
async fn saml_users_refuse_password_email_and_directory_id() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let base = user_input(&f.connect, &id, "alice").await;
    let mut password = base.clone();
    password.password = Some(Sensitive("Passw0rd".to_owned()));
    let mut email = base.clone();
    email.identity_info = Some(IdentityInfo {
        email: Some("alice@example.com".to_owned()),
        ..base.identity_info.clone().unwrap()
    });
    let mut directory = base.clone();
    directory.directory_user_id = Some("alice".to_owned());
    let mut no_names = base.clone();
    no_names.identity_info = None;
    let mut no_last = base.clone();
    no_last.identity_info = Some(IdentityInfo {
        first_name: Some("Alice".to_owned()),
        last_name: Some(String::new()),
        ..IdentityInfo::default()
    });
    for (name, input) in [
        ("password", password),
        ("email", email),
        ("directory user id", directory),
        ("no names", no_names),
        ("empty last name", no_last),
    ] {
        assert_eq!(
            code(f.connect.create_user(&id, &input, NOW).await),
            "InvalidRequestException",
            "{name}"
        );
    }
    assert!(f.connect.create_user(&id, &base, NOW).await.is_ok());
}

#[tokio::test]
async fn connect_managed_users_need_a_good_password_stored_hashed() {
    let f = fixture().await;
    let id = instance(&f.connect, "CONNECT_MANAGED", "managed").await;
    let base = user_input(&f.connect, &id, "bob").await;
    assert_eq!(
        code(f.connect.create_user(&id, &base, NOW).await),
        "InvalidRequestException",
        "password required"
    );
    let mut weak = base.clone();
    weak.password = Some(Sensitive("password".to_owned()));
    let error = f.connect.create_user(&id, &weak, NOW).await.unwrap_err();
    assert_eq!(error.to_aws_error().code, "InvalidParameterException");
    assert!(
        !error.to_string().contains("password\""),
        "never echoes the value"
    );
    let mut good = base.clone();
    good.password = Some(Sensitive("Passw0rd!".to_owned()));
    good.identity_info = Some(IdentityInfo {
        email: Some("bob@example.com".to_owned()),
        ..base.identity_info.clone().unwrap()
    });
    let user_id = f
        .connect
        .create_user(&id, &good, NOW)
        .await
        .unwrap()
        .user_id;
    let row = f
        .connect
        .store()
        .connect_user(&id, &user_id)
        .await
        .unwrap()
        .unwrap();
    let hash = row.password_hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("Passw0rd!"));
    assert!(
        f.connect
            .verify_password(&id, "bob", "Passw0rd!")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.connect
            .verify_password(&id, "bob", "passw0rd!")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.connect
            .verify_password(&id, "Bob", "Passw0rd!")
            .await
            .unwrap()
            .is_none()
    );
    // The description never carries the password.
    let described =
        serde_json::to_string(&f.connect.describe_user(&id, &user_id).await.unwrap()).unwrap();
    assert!(!described.contains("argon2") && !described.contains("Passw0rd"));
}

#[tokio::test]
async fn existing_directory_users_may_carry_a_directory_user_id() {
    let f = fixture().await;
    let mut input = create_input("EXISTING_DIRECTORY", None);
    input.directory_id = Some("d-0123456789".to_owned());
    let id = f.connect.create_instance(&input, NOW).await.unwrap().id;
    let mut user = user_input(&f.connect, &id, "carol").await;
    user.identity_info = None;
    user.directory_user_id = Some("carol-dir".to_owned());
    let user_id = f
        .connect
        .create_user(&id, &user, NOW)
        .await
        .unwrap()
        .user_id;
    let described = f.connect.describe_user(&id, &user_id).await.unwrap().user;
    assert_eq!(described.directory_user_id.as_deref(), Some("carol-dir"));
    user.password = Some(Sensitive("Passw0rd".to_owned()));
    user.username = Some("carol2".to_owned());
    assert_eq!(
        code(f.connect.create_user(&id, &user, NOW).await),
        "InvalidRequestException"
    );
}

#[tokio::test]
async fn create_user_checks_parameters_and_references() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let other = instance(&f.connect, "SAML", "other").await;
    let (other_security, other_routing) = profile_ids(&f.connect, &other).await;
    let base = user_input(&f.connect, &id, "alice").await;
    let with = |change: &dyn Fn(&mut CreateUserInput)| {
        let mut input = base.clone();
        change(&mut input);
        input
    };
    let cases: Vec<(&str, CreateUserInput, &str)> = vec![
        (
            "no username",
            with(&|i| i.username = None),
            "InvalidParameterException",
        ),
        (
            "space",
            with(&|i| i.username = Some("alice smith".into())),
            "InvalidParameterException",
        ),
        (
            "too long",
            with(&|i| i.username = Some("a".repeat(65))),
            "InvalidParameterException",
        ),
        (
            "no profiles",
            with(&|i| i.security_profile_ids = Some(vec![])),
            "InvalidParameterException",
        ),
        (
            "eleven profiles",
            with(&|i| i.security_profile_ids = Some(vec!["x".into(); 11])),
            "InvalidParameterException",
        ),
        (
            "no routing",
            with(&|i| i.routing_profile_id = None),
            "InvalidParameterException",
        ),
        (
            "foreign security profile",
            with(&|i| i.security_profile_ids = Some(vec![other_security[0].clone()])),
            "ResourceNotFoundException",
        ),
        (
            "foreign routing profile",
            with(&|i| i.routing_profile_id = Some(other_routing.clone())),
            "ResourceNotFoundException",
        ),
        (
            "hierarchy group",
            with(&|i| i.hierarchy_group_id = Some("g".into())),
            "ResourceNotFoundException",
        ),
        (
            "bad phone type",
            with(&|i| {
                i.phone_config = Some(PhoneConfig {
                    phone_type: Some("FAX".into()),
                    ..PhoneConfig::default()
                })
            }),
            "InvalidParameterException",
        ),
        (
            "desk phone without number",
            with(&|i| {
                i.phone_config = Some(PhoneConfig {
                    phone_type: Some("DESK_PHONE".into()),
                    ..PhoneConfig::default()
                })
            }),
            "InvalidParameterException",
        ),
        (
            "bad mobile",
            with(&|i| {
                i.identity_info = Some(IdentityInfo {
                    first_name: Some("A".into()),
                    last_name: Some("B".into()),
                    mobile: Some("0612".into()),
                    ..IdentityInfo::default()
                })
            }),
            "InvalidParameterException",
        ),
    ];
    for (name, input, expected) in cases {
        assert_eq!(
            code(f.connect.create_user(&id, &input, NOW).await),
            expected,
            "{name}"
        );
    }
    assert_eq!(
        code(f.connect.create_user("no-such-instance", &base, NOW).await),
        "ResourceNotFoundException"
    );
    assert!(
        f.connect
            .store()
            .connect_users(&id)
            .await
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn usernames_are_unique_per_instance_and_case_sensitive() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    saml_user(&f.connect, &id, "alice").await;
    let again = user_input(&f.connect, &id, "alice").await;
    assert_eq!(
        code(f.connect.create_user(&id, &again, NOW).await),
        "DuplicateResourceException"
    );
    let upper = saml_user(&f.connect, &id, "Alice").await;
    assert_eq!(
        f.connect
            .user_by_username(&id, "Alice")
            .await
            .unwrap()
            .unwrap()
            .id,
        upper
    );
}

#[tokio::test]
async fn describes_lists_updates_and_deletes_users() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let (security, routing) = profile_ids(&f.connect, &id).await;
    let mut input = user_input(&f.connect, &id, "alice@example.com").await;
    input.tags = Some([("site".to_owned(), "lyon".to_owned())].into());
    input.phone_config = Some(PhoneConfig {
        phone_type: Some("DESK_PHONE".to_owned()),
        auto_accept: Some(true),
        after_contact_work_time_limit: Some(30),
        desk_phone_number: Some("+33123456789".to_owned()),
    });
    let created = f.connect.create_user(&id, &input, NOW).await.unwrap();
    assert_eq!(
        created.user_arn,
        format!(
            "arn:aws:connect:eu-west-3:{ACCOUNT}:instance/{id}/agent/{}",
            created.user_id
        )
    );
    let user = f
        .connect
        .describe_user(&id, &created.user_id)
        .await
        .unwrap()
        .user;
    assert_eq!(user.username, "alice@example.com");
    assert_eq!(user.routing_profile_id, routing);
    assert_eq!(user.security_profile_ids, [security[1].clone()]);
    assert_eq!(
        user.phone_config.desk_phone_number.as_deref(),
        Some("+33123456789")
    );
    assert_eq!(user.tags.get("site").map(String::as_str), Some("lyon"));
    let typed = f
        .connect
        .user(&id, &created.user_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(typed.agent_status, AgentStatus::Offline);

    // UpdateUserIdentityInfo keeps the members it is not given.
    f.connect
        .update_user_identity_info(
            &id,
            &created.user_id,
            &UpdateUserIdentityInfoInput {
                identity_info: Some(IdentityInfo {
                    first_name: Some("Alicia".to_owned()),
                    ..IdentityInfo::default()
                }),
            },
            NOW + Duration::minutes(1),
        )
        .await
        .unwrap();
    let user = f
        .connect
        .describe_user(&id, &created.user_id)
        .await
        .unwrap()
        .user;
    assert_eq!(user.identity_info.first_name.as_deref(), Some("Alicia"));
    assert_eq!(user.identity_info.last_name.as_deref(), Some("Agent"));
    assert_eq!(
        user.last_modified_time,
        (NOW + Duration::minutes(1)).unix_timestamp()
    );
    // SAML: an e-mail is refused by the update too; an empty name as well.
    for info in [
        IdentityInfo {
            email: Some("a@example.com".to_owned()),
            ..IdentityInfo::default()
        },
        IdentityInfo {
            last_name: Some(" ".to_owned()),
            ..IdentityInfo::default()
        },
    ] {
        let update = UpdateUserIdentityInfoInput {
            identity_info: Some(info),
        };
        assert_eq!(
            code(
                f.connect
                    .update_user_identity_info(&id, &created.user_id, &update, NOW)
                    .await
            ),
            "InvalidRequestException"
        );
    }

    let update = UpdateUserSecurityProfilesInput {
        security_profile_ids: Some(vec![security[0].clone(), security[2].clone()]),
    };
    f.connect
        .update_user_security_profiles(&id, &created.user_id, &update, NOW)
        .await
        .unwrap();
    let user = f
        .connect
        .describe_user(&id, &created.user_id)
        .await
        .unwrap()
        .user;
    assert_eq!(
        user.security_profile_ids,
        [security[0].clone(), security[2].clone()]
    );
    let unknown = UpdateUserSecurityProfilesInput {
        security_profile_ids: Some(vec!["nope".to_owned()]),
    };
    assert_eq!(
        code(
            f.connect
                .update_user_security_profiles(&id, &created.user_id, &unknown, NOW)
                .await
        ),
        "ResourceNotFoundException"
    );

    let listed = f
        .connect
        .list_users(&id, &ListParams::default())
        .await
        .unwrap();
    assert_eq!(listed.user_summary_list.len(), 1);
    assert_eq!(listed.user_summary_list[0].username, "alice@example.com");

    f.connect.delete_user(&id, &created.user_id).await.unwrap();
    for result in [
        f.connect
            .describe_user(&id, &created.user_id)
            .await
            .map(|_| ()),
        f.connect.delete_user(&id, &created.user_id).await,
    ] {
        assert_eq!(code(result), "ResourceNotFoundException");
    }
}

#[tokio::test]
async fn lists_users_in_pages() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    for n in 0..5 {
        saml_user(&f.connect, &id, &format!("agent{n}")).await;
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = f
            .connect
            .list_users(
                &id,
                &ListParams {
                    next_token: token,
                    max_results: Some("2".to_owned()),
                },
            )
            .await
            .unwrap();
        assert!(page.user_summary_list.len() <= 2);
        seen.extend(page.user_summary_list.into_iter().map(|u| u.username));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["agent0", "agent1", "agent2", "agent3", "agent4"]);
}

fn condition(field: &str, comparison: &str, value: &str) -> SearchCriteria {
    SearchCriteria {
        string_condition: Some(StringCondition {
            field_name: Some(field.to_owned()),
            value: Some(value.to_owned()),
            comparison_type: Some(comparison.to_owned()),
        }),
        ..SearchCriteria::default()
    }
}

#[tokio::test]
async fn searches_users_by_username_conditions() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    for name in ["alice", "alicia", "bob", "Alice2"] {
        saml_user(&f.connect, &id, name).await;
    }
    let search = |criteria: Option<SearchCriteria>| SearchUsersInput {
        instance_id: Some(id.clone()),
        search_criteria: criteria,
        ..SearchUsersInput::default()
    };
    let names = |out: crate::wire::SearchUsersOutput| {
        let mut names: Vec<String> = out.users.into_iter().map(|u| u.username).collect();
        names.sort();
        names
    };
    let cases: Vec<(SearchCriteria, Vec<&str>)> = vec![
        (condition("Username", "EXACT", "alice"), vec!["alice"]),
        (
            condition("username", "STARTS_WITH", "ali"),
            vec!["alice", "alicia"],
        ),
        (
            condition("Username", "CONTAINS", "lic"),
            vec!["Alice2", "alice", "alicia"],
        ),
        (
            SearchCriteria {
                or_conditions: Some(vec![
                    condition("Username", "EXACT", "bob"),
                    condition("Username", "EXACT", "alicia"),
                ]),
                ..SearchCriteria::default()
            },
            vec!["alicia", "bob"],
        ),
        (
            SearchCriteria {
                and_conditions: Some(vec![
                    condition("Username", "STARTS_WITH", "ali"),
                    condition("Username", "CONTAINS", "ia"),
                ]),
                ..SearchCriteria::default()
            },
            vec!["alicia"],
        ),
        (
            condition("FirstName", "EXACT", "Alice"),
            vec!["Alice2", "alice", "alicia", "bob"],
        ),
    ];
    for (criteria, expected) in cases {
        let out = f
            .connect
            .search_users(&search(Some(criteria)))
            .await
            .unwrap();
        assert_eq!(
            out.approximate_total_count,
            i64::try_from(expected.len()).unwrap()
        );
        assert_eq!(names(out), expected);
    }
    let all = f.connect.search_users(&search(None)).await.unwrap();
    assert_eq!(all.approximate_total_count, 4);
    let mut paged = search(None);
    paged.max_results = Some(3);
    let first = f.connect.search_users(&paged).await.unwrap();
    assert_eq!(first.users.len(), 3);
    assert_eq!(first.approximate_total_count, 4);
    paged.next_token = first.next_token;
    assert_eq!(f.connect.search_users(&paged).await.unwrap().users.len(), 1);

    let deep = (0..6).fold(condition("Username", "EXACT", "a"), |inner, _| {
        SearchCriteria {
            and_conditions: Some(vec![inner]),
            ..SearchCriteria::default()
        }
    });
    let both = SearchCriteria {
        or_conditions: Some(vec![]),
        ..condition("Username", "EXACT", "a")
    };
    for (name, criteria) in [
        ("unknown field", condition("Email", "EXACT", "a")),
        (
            "unknown comparison",
            condition("Username", "ENDS_WITH", "a"),
        ),
        ("empty value", condition("Username", "EXACT", "")),
        ("too deep", deep),
        ("two kinds", both),
        ("empty", SearchCriteria::default()),
    ] {
        assert_eq!(
            code(f.connect.search_users(&search(Some(criteria))).await),
            "InvalidParameterException",
            "{name}"
        );
    }
    let mut filtered = search(None);
    filtered.search_filter = Some(serde_json::json!({"TagFilter": {}}));
    assert_eq!(
        code(f.connect.search_users(&filtered).await),
        "InvalidParameterException"
    );
    let mut unknown = search(None);
    unknown.instance_id = Some("nope".to_owned());
    assert_eq!(
        code(f.connect.search_users(&unknown).await),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn agent_status_is_kept_per_user() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let user = saml_user(&f.connect, &id, "alice").await;
    let later = NOW + Duration::minutes(3);
    let updated = f
        .connect
        .set_agent_status(&id, &user, AgentStatus::Available, later)
        .await
        .unwrap();
    assert_eq!(updated.agent_status, AgentStatus::Available);
    assert_eq!(updated.agent_status_changed, later);
    assert_eq!(
        f.connect
            .user(&id, &user)
            .await
            .unwrap()
            .unwrap()
            .agent_status,
        AgentStatus::Available
    );
    assert_eq!(
        code(
            f.connect
                .set_agent_status(&id, "nobody", AgentStatus::Offline, later)
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        AgentStatus::parse("Available"),
        Some(AgentStatus::Available)
    );
    assert_eq!(AgentStatus::parse("available"), None);
}

// --- federation ----------------------------------------------------------------------------

#[tokio::test]
async fn federation_token_for_the_user_named_like_the_session() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let user = saml_user(&f.connect, &id, "alice@example.com").await;
    let token = f
        .connect
        .get_federation_token(&id, &caller("alice@example.com"), NOW)
        .await
        .unwrap();
    assert_eq!(token.user_id, user);
    assert_eq!(
        token.access_token_expiration,
        NOW + Duration::hours(1),
        "session end"
    );
    assert_eq!(token.refresh_token_expiration, NOW + Duration::hours(12));
    let url = token.sign_in_url.expose();
    assert!(
        url.starts_with("https://fedgate.example.test/connect/federate-token?token=fgcat1_"),
        "{url}"
    );
    assert!(
        !format!("{token:?}").contains("fgcat1_"),
        "Debug hides the tokens"
    );
    let json = serde_json::to_value(&token).unwrap();
    assert_eq!(
        json["Credentials"]["AccessTokenExpiration"],
        (NOW + Duration::hours(1)).unix_timestamp()
    );
    assert_eq!(json["UserId"], user.as_str());
    assert!(
        json["Credentials"]["RefreshToken"]
            .as_str()
            .unwrap()
            .starts_with("fgcrt1_")
    );
    assert_eq!(
        json["SignInUrl"],
        format!(
            "https://fedgate.example.test/connect/federate-token?token={}",
            fedgate_aws_wire::percent_encode(token.access_token.expose())
        )
    );

    let access = f
        .connect
        .open_access_token(token.access_token.expose(), NOW + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(access.user.id, user);
    assert_eq!(access.instance.id, id);
    assert_eq!(access.session_name, "alice@example.com");
    assert_eq!(
        access.provider_arn.as_deref(),
        Some("arn:aws:iam::123456789012:saml-provider/IdpA")
    );
    assert_eq!(access.expires, NOW + Duration::hours(1));
    assert_eq!(
        f.connect
            .check_refresh_token(token.refresh_token.expose(), NOW)
            .unwrap(),
        user
    );
}

#[tokio::test]
async fn access_tokens_never_outlive_twelve_hours() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    saml_user(&f.connect, &id, "alice").await;
    let mut long = caller("alice");
    long.session_expiration = NOW + Duration::hours(36);
    let token = f
        .connect
        .get_federation_token(&id, &long, NOW)
        .await
        .unwrap();
    assert_eq!(token.access_token_expiration, NOW + Duration::hours(12));
    assert!(token.refresh_token_expiration >= token.access_token_expiration);
}

#[tokio::test]
async fn federation_refuses_unknown_names_instances_and_ended_sessions() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    saml_user(&f.connect, &id, "alice").await;
    let error = f
        .connect
        .get_federation_token(&id, &caller("Alice"), NOW)
        .await
        .unwrap_err();
    let aws = error.to_aws_error();
    assert_eq!(
        (aws.code.as_str(), aws.status),
        ("UserNotFoundException", 404)
    );
    assert_eq!(aws.message, USER_NOT_FOUND_MESSAGE);
    assert_eq!(
        code(
            f.connect
                .get_federation_token("nope", &caller("alice"), NOW)
                .await
        ),
        "ResourceNotFoundException"
    );
    let mut ended = caller("alice");
    ended.session_expiration = NOW;
    assert!(matches!(
        f.connect.get_federation_token(&id, &ended, NOW).await,
        Err(ConnectError::TokenExpired { .. })
    ));
    let managed = instance(&f.connect, "CONNECT_MANAGED", "managed").await;
    assert_eq!(
        code(
            f.connect
                .get_federation_token(&managed, &caller("alice"), NOW)
                .await
        ),
        "InvalidRequestException"
    );
}

#[tokio::test]
async fn access_tokens_are_sealed_expiring_and_of_one_kind() {
    let f = fixture().await;
    let id = instance(&f.connect, "SAML", "acme").await;
    let user = saml_user(&f.connect, &id, "alice").await;
    let token = f
        .connect
        .get_federation_token(&id, &caller("alice"), NOW)
        .await
        .unwrap();
    let access = token.access_token.expose().clone();
    let refresh = token.refresh_token.expose().clone();
    let reason = |result: Result<crate::AgentAccess, ConnectError>| match result {
        Err(ConnectError::TokenInvalid { reason }) => reason,
        other => panic!("expected an invalid token, got {other:?}"),
    };
    // Expired at the session's end.
    assert!(matches!(
        f.connect
            .open_access_token(&access, NOW + Duration::hours(1))
            .await,
        Err(ConnectError::TokenExpired { .. })
    ));
    // A refresh token is not an access token, even with the prefix swapped.
    let swapped = refresh.replacen("fgcrt1_", "fgcat1_", 1);
    assert_eq!(
        reason(f.connect.open_access_token(&swapped, NOW).await),
        "decrypt"
    );
    assert_eq!(
        reason(f.connect.open_access_token(&refresh, NOW).await),
        "prefix"
    );
    assert!(f.connect.check_refresh_token(&access, NOW).is_err());
    // Any flipped character fails to open.
    let body_start = "fgcat1_".len();
    for position in [body_start, body_start + 20, access.len() - 2] {
        let mut bytes = access.clone().into_bytes();
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let result = f.connect.open_access_token(&tampered, NOW).await;
        assert!(
            matches!(result, Err(ConnectError::TokenInvalid { .. })),
            "{position}"
        );
    }
    assert_eq!(reason(f.connect.open_access_token("", NOW).await), "prefix");
    assert_eq!(
        reason(f.connect.open_access_token(&"x".repeat(5000), NOW).await),
        "too_long"
    );
    // Another service key does not open it.
    let other = Connect::new(
        f.connect.store().clone(),
        f.connect.settings().clone(),
        &Secret::new([8; 32]),
    )
    .unwrap();
    assert_eq!(
        reason(other.open_access_token(&access, NOW).await),
        "decrypt"
    );
    // A user deleted and created again under the same name is another user.
    f.connect.delete_user(&id, &user).await.unwrap();
    saml_user(&f.connect, &id, "alice").await;
    assert!(matches!(
        f.connect.open_access_token(&access, NOW).await,
        Err(ConnectError::UserNotFound)
    ));
}

#[test]
fn errors_map_to_the_model_exceptions() {
    let cases = [
        (
            ConnectError::InvalidRequest("m".into()),
            "InvalidRequestException",
            400,
        ),
        (
            ConnectError::InvalidParameter("m".into()),
            "InvalidParameterException",
            400,
        ),
        (
            ConnectError::ResourceNotFound("m".into()),
            "ResourceNotFoundException",
            404,
        ),
        (ConnectError::UserNotFound, "UserNotFoundException", 404),
        (
            ConnectError::DuplicateResource("m".into()),
            "DuplicateResourceException",
            409,
        ),
        (
            ConnectError::LimitExceeded("m".into()),
            "LimitExceededException",
            429,
        ),
        (
            ConnectError::ServiceQuotaExceeded("m".into()),
            "ServiceQuotaExceededException",
            402,
        ),
        (
            ConnectError::Internal { cause: "x" },
            "InternalServiceException",
            500,
        ),
    ];
    for (error, code, status) in cases {
        let aws = error.to_aws_error();
        assert_eq!((aws.code.as_str(), aws.status), (code, status));
        assert!(!aws.message.is_empty());
    }
}

#[test]
fn arns_follow_the_documented_forms() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let f = runtime.block_on(fixture());
    assert_eq!(
        f.connect.instance_arn("i"),
        "arn:aws:connect:eu-west-3:123456789012:instance/i"
    );
    assert_eq!(
        f.connect.user_arn("i", "u"),
        "arn:aws:connect:eu-west-3:123456789012:instance/i/agent/u"
    );
    assert_eq!(
        f.connect.federation_resource("i", "AROAX:alice"),
        "arn:aws:connect:eu-west-3:123456789012:instance/i/user/AROAX:alice"
    );
}
