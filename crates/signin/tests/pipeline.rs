//! The sign-in pipeline over a real store (SQLite and, when configured, PostgreSQL): the
//! browser endpoint's provider choice, replay guard, role chooser ticket and trust evaluation,
//! the STS path through the same provider cache, and how many store reads a warm sign-in costs
//! (the store is wrapped in a `CountingStore`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use base64::Engine as _;
use fedgate_dsig::{SigningKey, sign_enveloped};
use fedgate_iam::Iam;
use fedgate_saml::ServiceProvider;
use fedgate_signin::{AssumeRequest, Outcome, Pipeline, RefusalKind, StsRefusal};
use fedgate_store::testing::CountingStore;
use fedgate_store::{
    AssertionEncryptionMode, ManagedPolicyRow, ManagedPolicyStore as _, MasterKey, Role,
    RoleStore as _, SamlProvider, SamlProviderStore as _, SecretBox, Store,
};
use fedgate_sts::{Secret, SessionTokenKey};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-12-04 10:00:00 UTC);
const ACCOUNT: &str = "000000000000";
const ACS: &str = "https://fedgate.example.test/saml";
const ENTITY_A: &str = "https://idp-a.example.test/saml";
const ENTITY_B: &str = "https://idp-b.example.test/saml";

fn keys_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/keys")
}

fn signing_key(name: &str) -> SigningKey {
    let read = |file: String| std::fs::read_to_string(keys_dir().join(file)).unwrap();
    SigningKey::from_pem(
        &read(format!("{name}.key.pem")),
        &read(format!("{name}.cert.pem")),
    )
    .unwrap()
}

fn provider_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:saml-provider/{name}")
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

struct Fixture {
    iam: Iam<CountingStore<Store>>,
    pipeline: Pipeline,
}

async fn fixture(url: &str) -> Fixture {
    let store = CountingStore::new(Store::connect(url).await.unwrap());
    let master = MasterKey::generate().unwrap();
    let iam = Iam::new(store, SecretBox::new(&master).unwrap(), ACCOUNT);
    for (name, metadata) in [
        ("IdpA", "idp-a-metadata.xml"),
        ("IdpB", "idp-b-metadata.xml"),
        // the same IdP registered a second time under another name
        ("IdpACopy", "idp-a-metadata.xml"),
    ] {
        let row = SamlProvider {
            arn: provider_arn(name),
            name: name.to_owned(),
            uuid: format!("UUID{}", name.to_uppercase()).repeat(3),
            metadata_document: std::fs::read_to_string(keys_dir().join(metadata)).unwrap(),
            create_date: NOW,
            valid_until: None,
            assertion_encryption_mode: AssertionEncryptionMode::Allowed,
            revision: 1,
        };
        iam.store()
            .create_saml_provider(&row, &[], 100)
            .await
            .unwrap();
    }
    let trust = |providers: &[&str]| {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": providers.iter().map(|p| provider_arn(p)).collect::<Vec<_>>()},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": ACS}},
            }]
        })
        .to_string()
    };
    for (index, (name, providers)) in [
        ("Agent", vec!["IdpA", "IdpB", "IdpACopy"]),
        ("Supervisor", vec!["IdpA", "IdpB"]),
        ("OnlyB", vec!["IdpB"]),
    ]
    .into_iter()
    .enumerate()
    {
        let row = Role {
            role_id: format!("AROA{index:017}"),
            name: name.to_owned(),
            path: "/".to_owned(),
            arn: role_arn(name),
            assume_role_policy: trust(&providers),
            description: None,
            max_session_duration: 3600,
            create_date: NOW,
        };
        iam.store().create_role(&row, &[], 1000).await.unwrap();
    }
    let service_provider = ServiceProvider {
        acs_urls: vec![ACS.to_owned()],
        ..ServiceProvider::default()
    };
    let pipeline = Pipeline::new(
        service_provider,
        SessionTokenKey::new(&[9; 32]).unwrap(),
        &[5; 32],
    )
    .unwrap();
    Fixture { iam, pipeline }
}

/// A response from `entity`, signed with `key`, granting `roles` (role name, provider name).
fn response(entity: &str, key: &str, roles: &[(&str, &str)], session_name: &str) -> String {
    let stamp = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let issued = stamp(NOW - Duration::seconds(5));
    let not_on_or_after = stamp(NOW + Duration::minutes(5));
    let id = format!("_a{}", fedgate_store::testing::random_hex(12));
    let values: String = roles
        .iter()
        .map(|(role, provider)| {
            format!(
                "<saml:AttributeValue>{},{}</saml:AttributeValue>",
                role_arn(role),
                provider_arn(provider)
            )
        })
        .collect();
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{id}" Version="2.0" IssueInstant="{issued}" Destination="{ACS}"><saml:Issuer>{entity}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{entity}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{session_name}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{not_on_or_after}" Recipient="{ACS}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{not_on_or_after}"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>{session_name}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#
    );
    let signed = sign_enveloped(&xml, &id, &signing_key(key)).unwrap();
    base64::engine::general_purpose::STANDARD.encode(signed)
}

async fn signs_in_through_either_idp(url: String) {
    let f = fixture(&url).await;
    for (entity, key, provider) in [(ENTITY_A, "idp-a", "IdpA"), (ENTITY_B, "idp-b", "IdpB")] {
        let saml = response(entity, key, &[("Agent", provider)], "alice");
        let Outcome::SignedIn(signed_in) = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap()
        else {
            panic!("one role signs in directly");
        };
        assert_eq!(signed_in.session.provider_arn(), provider_arn(provider));
        assert_eq!(signed_in.session.role_arn(), role_arn("Agent"));
        assert_eq!(signed_in.session.session_name(), "alice");
        assert_eq!(signed_in.first_use.provider_arn(), provider_arn(provider));
        // default console session: one hour
        assert_eq!(
            signed_in.session.credentials().expiration,
            NOW + Duration::hours(1)
        );
    }
}

async fn refuses_a_second_use_of_an_assertion(url: String) {
    let f = fixture(&url).await;
    let saml = response(ENTITY_A, "idp-a", &[("Agent", "IdpA")], "alice");
    assert!(f.pipeline.sign_in(&f.iam, &saml, NOW).await.is_ok());
    let refusal = f
        .pipeline
        .sign_in(&f.iam, &saml, NOW + Duration::seconds(10))
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "replayed");
    assert_eq!(refusal.kind, RefusalKind::InvalidResponse);
    // A pipeline on another node (same store) refuses it too.
    let other_node = fixture_pipeline();
    let refusal = other_node.sign_in(&f.iam, &saml, NOW).await.unwrap_err();
    assert_eq!(refusal.code, "replayed");
    // The STS API accepts the same response again, as AWS does.
    for _ in 0..2 {
        let request = AssumeRequest {
            role_arn: role_arn("Agent"),
            principal_arn: provider_arn("IdpA"),
            saml_assertion: Secret::new(saml.clone()),
            policy: None,
            policy_arns: Vec::new(),
            duration_seconds: None,
        };
        f.pipeline
            .assume_role_with_saml(&f.iam, request, NOW)
            .await
            .unwrap();
    }
}

fn fixture_pipeline() -> Pipeline {
    let service_provider = ServiceProvider {
        acs_urls: vec![ACS.to_owned()],
        ..ServiceProvider::default()
    };
    Pipeline::new(
        service_provider,
        SessionTokenKey::new(&[9; 32]).unwrap(),
        &[5; 32],
    )
    .unwrap()
}

async fn uses_only_roles_of_providers_whose_key_verified(url: String) {
    let f = fixture(&url).await;
    // IdP A signs a pair naming provider B: B's key did not verify it.
    let saml = response(ENTITY_A, "idp-a", &[("Agent", "IdpB")], "alice");
    let refusal = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap_err();
    assert_eq!(refusal.code, "no_matching_role");
    assert_eq!(refusal.kind, RefusalKind::Denied);
    // The same IdP registered twice: a pair naming the copy is usable (its keys verify too).
    let saml = response(ENTITY_A, "idp-a", &[("Agent", "IdpACopy")], "alice");
    let Outcome::SignedIn(signed_in) = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap() else {
        panic!("signs in");
    };
    assert_eq!(signed_in.session.provider_arn(), provider_arn("IdpACopy"));
    // An attacker's key (in no metadata) imitating IdP A.
    let forged = response(ENTITY_A, "attacker", &[("Agent", "IdpA")], "alice");
    let refusal = f.pipeline.sign_in(&f.iam, &forged, NOW).await.unwrap_err();
    assert!(
        ["signature_invalid", "key_not_trusted"].contains(&refusal.code),
        "{}",
        refusal.code
    );
}

async fn trust_policy_decides(url: String) {
    let f = fixture(&url).await;
    let saml = response(ENTITY_A, "idp-a", &[("OnlyB", "IdpA")], "alice");
    let refusal = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap_err();
    assert_eq!(refusal.code, "trust_policy_denied");
    assert_eq!(
        refusal.context.role_arn.as_deref(),
        Some(role_arn("OnlyB").as_str())
    );
    let saml = response(ENTITY_A, "idp-a", &[("Nobody", "IdpA")], "alice");
    let refusal = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap_err();
    assert_eq!(refusal.code, "role_not_found");
}

async fn role_chooser_ticket_is_single_use_and_bound(url: String) {
    let f = fixture(&url).await;
    let saml = response(
        ENTITY_A,
        "idp-a",
        &[("Agent", "IdpA"), ("Supervisor", "IdpA")],
        "alice",
    );
    let Outcome::ChooseRole(choice) = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap() else {
        panic!("two roles: the chooser");
    };
    let arns: Vec<_> = choice.roles.iter().map(|r| r.role_arn.clone()).collect();
    assert_eq!(arns, vec![role_arn("Agent"), role_arn("Supervisor")]);
    assert!(!choice.ticket.contains("Assertion"), "the ticket is sealed");
    // a role the assertion did not carry
    let refusal = f
        .pipeline
        .choose_role(&f.iam, &choice.ticket, &role_arn("OnlyB"), NOW)
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "role_not_in_assertion");
    // a tampered ticket
    let mut tampered = choice.ticket.clone();
    tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
    let refusal = f
        .pipeline
        .choose_role(&f.iam, &tampered, &role_arn("Agent"), NOW)
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "role_chooser_invalid");
    // the choice, then the same form again
    let signed_in = f
        .pipeline
        .choose_role(&f.iam, &choice.ticket, &role_arn("Supervisor"), NOW)
        .await
        .unwrap();
    assert_eq!(signed_in.session.role_arn(), role_arn("Supervisor"));
    let refusal = f
        .pipeline
        .choose_role(&f.iam, &choice.ticket, &role_arn("Agent"), NOW)
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "replayed");
    // a ticket outlives its assertion
    let Outcome::ChooseRole(choice) = f
        .pipeline
        .sign_in(
            &f.iam,
            &response(
                ENTITY_A,
                "idp-a",
                &[("Agent", "IdpA"), ("Supervisor", "IdpA")],
                "bob",
            ),
            NOW,
        )
        .await
        .unwrap()
    else {
        panic!("chooser");
    };
    let refusal = f
        .pipeline
        .choose_role(
            &f.iam,
            &choice.ticket,
            &role_arn("Agent"),
            NOW + Duration::hours(1),
        )
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "expired");
}

async fn sts_path_uses_the_same_provider_cache(url: String) {
    let f = fixture(&url).await;
    let saml = response(ENTITY_B, "idp-b", &[("Agent", "IdpB")], "alice");
    let request = |principal: &str| AssumeRequest {
        role_arn: role_arn("Agent"),
        principal_arn: provider_arn(principal),
        saml_assertion: Secret::new(saml.clone()),
        policy: None,
        policy_arns: vec![format!("arn:aws:iam::{ACCOUNT}:policy/Missing")],
        duration_seconds: None,
    };
    // presented as IdP A's: refused on the assertion before the missing policy is revealed
    match f
        .pipeline
        .assume_role_with_saml(&f.iam, request("IdpA"), NOW)
        .await
    {
        Err(StsRefusal::Sts(error)) => assert_eq!(error.code(), "InvalidIdentityToken"),
        other => panic!("expected InvalidIdentityToken, got {other:?}"),
    }
    match f
        .pipeline
        .assume_role_with_saml(&f.iam, request("IdpB"), NOW)
        .await
    {
        Err(StsRefusal::NoSuchPolicy { arn }) => assert!(arn.ends_with("/Missing")),
        other => panic!("expected NoSuchPolicy, got {other:?}"),
    }
    match f
        .pipeline
        .assume_role_with_saml(&f.iam, request("Gone"), NOW)
        .await
    {
        Err(StsRefusal::Sts(error)) => assert_eq!(error.code(), "InvalidIdentityToken"),
        other => panic!("expected InvalidIdentityToken, got {other:?}"),
    }
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

async fn create_policy(iam: &Iam<CountingStore<Store>>, name: &str) {
    let policy = ManagedPolicyRow {
        arn: policy_arn(name),
        policy_id: format!("ANPA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: "/".to_owned(),
        description: None,
        default_version_id: "v1".to_owned(),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}"#.to_owned(),
        create_date: NOW,
        update_date: NOW,
        attachment_count: 0,
    };
    iam.store().create_policy(&policy).await.unwrap();
}

/// The store calls since the last reset, then a reset.
fn calls_since(iam: &Iam<CountingStore<Store>>) -> Vec<(&'static str, usize)> {
    let calls = iam.store().calls().into_iter().collect();
    iam.store().reset();
    calls
}

async fn assume_role_with_saml_reads_the_store_once_when_warm(url: String) {
    let f = fixture(&url).await;
    create_policy(&f.iam, "SessionOne").await;
    create_policy(&f.iam, "SessionTwo").await;
    let saml = response(ENTITY_A, "idp-a", &[("Agent", "IdpA")], "alice");
    let assume = |policies: &[&str]| {
        let request = AssumeRequest {
            role_arn: role_arn("Agent"),
            principal_arn: provider_arn("IdpA"),
            saml_assertion: Secret::new(saml.clone()),
            policy: None,
            policy_arns: policies.iter().map(|name| policy_arn(name)).collect(),
            duration_seconds: None,
        };
        f.pipeline.assume_role_with_saml(&f.iam, request, NOW)
    };
    let both = ["SessionOne", "SessionTwo"];
    // Cold: the revision, the provider list and each provider, the role, each policy.
    assume(&both).await.unwrap();
    let cold = calls_since(&f.iam);
    assert!(cold.len() > 1, "{cold:?}");
    // Warm: the IAM revision and nothing else (before: the provider revisions, the role, and
    // one read per PolicyArns entry).
    for _ in 0..3 {
        let session = assume(&both).await.unwrap();
        assert_eq!(session.session_policies().len(), 2);
        assert_eq!(calls_since(&f.iam), [("iam_revision", 1)]);
    }
    // A change made through another node is seen by the next request: the role stops trusting
    // IdpA, then trusts it again; a session policy is deleted.
    let other = Store::connect(&url).await.unwrap();
    let trust_of = |role: Option<Role>| role.unwrap().assume_role_policy;
    let only_b = trust_of(other.role_by_name("OnlyB").await.unwrap());
    let agent = trust_of(other.role_by_name("Agent").await.unwrap());
    other
        .update_assume_role_policy("Agent", &only_b)
        .await
        .unwrap();
    match assume(&both).await {
        Err(StsRefusal::Sts(error)) => assert_eq!(error.code(), "AccessDenied"),
        other => panic!("expected AccessDenied, got {other:?}"),
    }
    other
        .update_assume_role_policy("Agent", &agent)
        .await
        .unwrap();
    other
        .delete_policy(&policy_arn("SessionTwo"))
        .await
        .unwrap();
    match assume(&both).await {
        Err(StsRefusal::NoSuchPolicy { arn }) => assert_eq!(arn, policy_arn("SessionTwo")),
        other => panic!("expected NoSuchPolicy, got {other:?}"),
    }
    // Warm again under the new revision.
    assume(&["SessionOne"]).await.unwrap();
    calls_since(&f.iam);
    assume(&["SessionOne"]).await.unwrap();
    assert_eq!(calls_since(&f.iam), [("iam_revision", 1)]);
}

async fn browser_sign_in_reads_the_store_once_when_warm(url: String) {
    let f = fixture(&url).await;
    for (index, name) in ["warm-up", "alice", "bob"].into_iter().enumerate() {
        let saml = response(ENTITY_B, "idp-b", &[("OnlyB", "IdpB")], name);
        let outcome = f.pipeline.sign_in(&f.iam, &saml, NOW).await.unwrap();
        assert!(matches!(outcome, Outcome::SignedIn(_)));
        let calls = calls_since(&f.iam);
        if index > 0 {
            // One read (the IAM revision) and the replay guard's one write.
            assert_eq!(calls, [("iam_revision", 1), ("record_assertion", 1)]);
        }
    }
}

fedgate_store::conformance_tests!(
    assume_role_with_saml_reads_the_store_once_when_warm,
    browser_sign_in_reads_the_store_once_when_warm,
    signs_in_through_either_idp,
    refuses_a_second_use_of_an_assertion,
    uses_only_roles_of_providers_whose_key_verified,
    trust_policy_decides,
    role_chooser_ticket_is_single_use_and_bound,
    sts_path_uses_the_same_provider_cache,
);
