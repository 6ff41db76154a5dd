//! `AssumeRoleWithSAML` end to end with two identity providers (A and B) whose responses are
//! signed in the test: every response field on success, and each refusal with its AWS code,
//! status and message.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

mod common;

use common::*;
use fedgate_iam_policy::{ParseOptions, Policy, name_qualifier};
use fedgate_sts::{
    AssertionEncryptionMode, ManagedSessionPolicy, RoleSession, SESSION_TOKEN_PREFIX, StsError,
    assume_role_with_saml, assume_role_with_saml_result_xml, open_session_token, to_aws,
};
use time::Duration;

const ALL_ACTIONS: [&str; 3] = [
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:SetSourceIdentity",
];
const SESSION_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": "*"}]
}"#;

fn expect_error(result: Result<RoleSession, StsError>) -> StsError {
    match result {
        Ok(session) => panic!("accepted: {session:?}"),
        Err(error) => error,
    }
}

fn assert_aws(error: &StsError, code: &str, status: u16, message: &str) {
    assert_eq!(
        to_aws(error),
        (code, status, message.to_owned()),
        "cause {}",
        error.cause_code()
    );
}

fn check_success(session: &RoleSession, idp: &Idp, provider_name: &str) {
    assert_eq!(session.audience(), ACS);
    assert_eq!(
        session.assumed_role_user().assumed_role_id,
        format!("{ROLE_ID}:alice")
    );
    // The role path (/agents/) is dropped from the assumed-role ARN.
    assert_eq!(
        session.assumed_role_user().arn,
        "arn:aws:sts::123456789012:assumed-role/ConnectSaml/alice"
    );
    let credentials = session.credentials();
    assert_eq!(credentials.access_key_id.len(), 20);
    assert!(credentials.access_key_id.starts_with("ASIA"));
    assert!(
        credentials.access_key_id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    assert_eq!(credentials.secret_access_key.expose().len(), 40);
    assert!(
        credentials
            .session_token
            .expose()
            .starts_with(SESSION_TOKEN_PREFIX)
    );
    assert_eq!(session.issuer(), idp.entity_id);
    assert_eq!(
        session.name_qualifier(),
        name_qualifier(idp.entity_id, ACCOUNT, provider_name)
    );
    assert_eq!(session.subject(), "alice-7f3a");
    assert_eq!(session.subject_type(), "persistent");
    assert_eq!(session.packed_policy_size(), 0);
    assert_eq!(session.source_identity(), None);
    assert!(session.tags().is_empty());
    assert_eq!(session.role_arn(), ROLE_ARN);
    assert_eq!(session.provider_arn(), idp.provider_arn);
    assert_eq!(session.assertion_id(), "_a1");

    let debug = format!("{session:?}");
    assert!(!debug.contains(credentials.secret_access_key.expose().as_str()));
    assert!(!debug.contains(credentials.session_token.expose().as_str()));
}

#[test]
fn accepts_idp_a_and_returns_every_field() {
    let idp = idp_a();
    let response = signed_response(&Claims::for_idp(idp), idp);
    let session = assume(&request(PROVIDER_A, &response), &idp.record(), &role(), NOW).unwrap();
    check_success(&session, idp, "IdpA");
    // No DurationSeconds, no SessionNotOnOrAfter: one hour.
    assert_eq!(session.credentials().expiration, NOW + Duration::hours(1));

    let xml = assume_role_with_saml_result_xml(&session);
    let credentials = session.credentials();
    let expected = format!(
        "<Audience>{ACS}</Audience><AssumedRoleUser>\
         <AssumedRoleId>{ROLE_ID}:alice</AssumedRoleId>\
         <Arn>arn:aws:sts::123456789012:assumed-role/ConnectSaml/alice</Arn></AssumedRoleUser>\
         <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
         <SessionToken>{}</SessionToken><Expiration>2026-03-01T11:00:00Z</Expiration></Credentials>\
         <Issuer>{ENTITY_A}</Issuer><NameQualifier>{}</NameQualifier>\
         <PackedPolicySize>0</PackedPolicySize><Subject>alice-7f3a</Subject>\
         <SubjectType>persistent</SubjectType>",
        credentials.access_key_id,
        credentials.secret_access_key.expose(),
        credentials.session_token.expose(),
        session.name_qualifier(),
    );
    assert_eq!(xml, expected);
}

#[test]
fn accepts_idp_b_and_caps_expiration_at_session_not_on_or_after() {
    let idp = idp_b();
    let mut claims = Claims::for_idp(idp);
    claims.session_not_on_or_after = Some(NOW + Duration::minutes(30));
    let response = signed_response(&claims, idp);
    let mut request = request(PROVIDER_B, &response);
    request.duration_seconds = Some(3_600);
    let session = assume(&request, &idp.record(), &role(), NOW).unwrap();
    check_success(&session, idp, "IdpB");
    assert_eq!(
        session.credentials().expiration,
        NOW + Duration::minutes(30)
    );
    // The other way round: DurationSeconds shorter than SessionNotOnOrAfter wins.
    claims.session_not_on_or_after = Some(NOW + Duration::hours(2));
    let response = signed_response(&claims, idp);
    let mut request = common::request(PROVIDER_B, &response);
    request.duration_seconds = Some(900);
    let session = assume(&request, &idp.record(), &role(), NOW).unwrap();
    assert_eq!(
        session.credentials().expiration,
        NOW + Duration::seconds(900)
    );
}

#[test]
fn session_duration_attribute_only_shortens_the_session() {
    let idp = idp_a();
    let mut claims = Claims::for_idp(idp);
    claims.session_duration = Some("1000".to_owned());
    let session = assume(
        &request(PROVIDER_A, &signed_response(&claims, idp)),
        &idp.record(),
        &role(),
        NOW,
    )
    .unwrap();
    assert_eq!(
        session.credentials().expiration,
        NOW + Duration::seconds(1000)
    );
    claims.session_duration = Some("7200".to_owned());
    let session = assume(
        &request(PROVIDER_A, &signed_response(&claims, idp)),
        &idp.record(),
        &role(),
        NOW,
    )
    .unwrap();
    assert_eq!(session.credentials().expiration, NOW + Duration::hours(1));
}

#[test]
fn rejects_idp_a_assertion_presented_as_idp_b() {
    let a = idp_a();
    let b = idp_b();
    // The Role attribute even names provider B: only B's metadata is consulted, and it does
    // not know A's issuer.
    let mut claims = Claims::for_idp(a);
    claims.role_values = vec![format!("{ROLE_ARN},{PROVIDER_B}")];
    let error = expect_error(assume(
        &request(PROVIDER_B, &signed_response(&claims, a)),
        &b.record(),
        &role(),
        NOW,
    ));
    assert_aws(
        &error,
        "InvalidIdentityToken",
        400,
        "Issuer not present in specified provider",
    );
    // Claiming B's issuer while signed with A's key: B's keys do not verify it.
    claims.issuer = ENTITY_B.to_owned();
    let error = expect_error(assume(
        &request(PROVIDER_B, &signed_response(&claims, a)),
        &b.record(),
        &role(),
        NOW,
    ));
    assert_aws(
        &error,
        "InvalidIdentityToken",
        400,
        "Response signature invalid",
    );
}

#[test]
fn rejects_a_tampered_response() {
    let idp = idp_a();
    let response = signed_response(&Claims::for_idp(idp), idp).replace(">alice-7f3a<", ">mallory<");
    let error = expect_error(assume(
        &request(PROVIDER_A, &response),
        &idp.record(),
        &role(),
        NOW,
    ));
    assert_aws(
        &error,
        "InvalidIdentityToken",
        400,
        "Response signature invalid",
    );
    assert_eq!(error.cause_code(), "digest_mismatch");
}

#[test]
fn denies_without_a_role_pair_for_this_role_and_provider() {
    let idp = idp_a();
    for values in [
        vec![format!("arn:aws:iam::123456789012:role/Other,{PROVIDER_A}")],
        vec![format!("{ROLE_ARN},{PROVIDER_B}")],
        Vec::new(),
    ] {
        let mut claims = Claims::for_idp(idp);
        claims.role_values = values;
        let error = expect_error(assume(
            &request(PROVIDER_A, &signed_response(&claims, idp)),
            &idp.record(),
            &role(),
            NOW,
        ));
        assert_aws(
            &error,
            "AccessDenied",
            403,
            "Not authorized to perform sts:AssumeRoleWithSAML",
        );
        assert_eq!(error.cause_code(), "role_pair_missing");
    }
}

#[test]
fn denies_when_the_trust_policy_does_not_name_the_provider() {
    let idp = idp_b();
    let role = role_with(trust_policy(&[PROVIDER_A], &["sts:AssumeRoleWithSAML"]));
    let error = expect_error(assume(
        &request(PROVIDER_B, &signed_response(&Claims::for_idp(idp), idp)),
        &idp.record(),
        &role,
        NOW,
    ));
    assert_aws(
        &error,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithSAML",
    );
    assert_eq!(error.cause_code(), "trust_policy_denies_assume_role");
}

#[test]
fn denies_when_saml_aud_condition_fails() {
    let idp = idp_a();
    let mut sp = service_provider();
    sp.acs_urls
        .push("https://fedgate.example.test/saml".to_owned());
    let mut claims = Claims::for_idp(idp);
    claims.recipient = "https://fedgate.example.test/saml".to_owned();
    let error = expect_error(assume_role_with_saml(
        &request(PROVIDER_A, &signed_response(&claims, idp)),
        Some(&idp.record()),
        Some(&role()),
        ACCOUNT,
        &sp,
        NOW,
        &token_key(),
    ));
    assert_eq!(error.code(), "AccessDenied");
}

#[test]
fn principal_tags_require_tag_session() {
    let idp = idp_a();
    let mut claims = Claims::for_idp(idp);
    claims.tags = vec![("Department".to_owned(), "Support".to_owned())];
    claims.transitive = vec!["Department".to_owned()];
    let request = request(PROVIDER_A, &signed_response(&claims, idp));
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_aws(
        &error,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithSAML",
    );
    assert_eq!(error.cause_code(), "trust_policy_denies_tag_session");

    let allowing = role_with(trust_policy(&[PROVIDER_A, PROVIDER_B], &ALL_ACTIONS));
    let session = assume(&request, &idp.record(), &allowing, NOW).unwrap();
    assert_eq!(session.tags().len(), 1);
    assert_eq!(session.tags()[0].key, "Department");
    assert_eq!(session.tags()[0].value, "Support");
    assert!(session.tags()[0].transitive);
    // "Department" + "Support" + transitive "Department" = 27 chars of 2,048.
    assert_eq!(session.packed_policy_size(), 2);
}

#[test]
fn source_identity_requires_set_source_identity() {
    let idp = idp_b();
    let mut claims = Claims::for_idp(idp);
    claims.source_identity = Some("alice@example.com".to_owned());
    let request = request(PROVIDER_B, &signed_response(&claims, idp));
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_eq!(error.code(), "AccessDenied");
    assert_eq!(
        error.cause_code(),
        "trust_policy_denies_set_source_identity"
    );

    let allowing = role_with(trust_policy(&[PROVIDER_A, PROVIDER_B], &ALL_ACTIONS));
    let session = assume(&request, &idp.record(), &allowing, NOW).unwrap();
    assert_eq!(session.source_identity(), Some("alice@example.com"));
    assert!(
        assume_role_with_saml_result_xml(&session)
            .contains("<SourceIdentity>alice@example.com</SourceIdentity><Subject>")
    );
}

#[test]
fn rejects_an_expired_response_with_expired_token_exception() {
    let idp = idp_a();
    let request = request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp));
    let later = NOW + Duration::minutes(30);
    let error = expect_error(assume(&request, &idp.record(), &role(), later));
    assert_aws(&error, "ExpiredTokenException", 400, "Response has expired");
    assert_eq!(error.cause_code(), "expired");
}

#[test]
fn rejects_invalid_or_missing_role_session_name_with_aws_messages() {
    let idp = idp_a();
    let mut claims = Claims::for_idp(idp);
    for bad in ["alice smith", "a", "x/y"] {
        claims.session_name = Some(bad.to_owned());
        let error = expect_error(assume(
            &request(PROVIDER_A, &signed_response(&claims, idp)),
            &idp.record(),
            &role(),
            NOW,
        ));
        assert_aws(
            &error,
            "InvalidIdentityToken",
            400,
            "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
        );
    }
    claims.session_name = None;
    let error = expect_error(assume(
        &request(PROVIDER_A, &signed_response(&claims, idp)),
        &idp.record(),
        &role(),
        NOW,
    ));
    assert_aws(
        &error,
        "InvalidIdentityToken",
        400,
        "RoleSessionName is required in AuthnResponse",
    );
}

#[test]
fn rejects_invalid_source_identity_with_the_aws_message() {
    let idp = idp_a();
    let mut claims = Claims::for_idp(idp);
    claims.source_identity = Some("aws:alice".to_owned());
    let error = expect_error(assume(
        &request(PROVIDER_A, &signed_response(&claims, idp)),
        &idp.record(),
        &role(),
        NOW,
    ));
    assert_aws(
        &error,
        "InvalidIdentityToken",
        400,
        "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
    );
}

#[test]
fn validates_duration_seconds() {
    let idp = idp_a();
    let response = signed_response(&Claims::for_idp(idp), idp);
    let mut request = request(PROVIDER_A, &response);
    request.duration_seconds = Some(7_201);
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_aws(
        &error,
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    request.duration_seconds = Some(899);
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_aws(
        &error,
        "ValidationError",
        400,
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value greater than or equal to 900",
    );
    request.duration_seconds = Some(7_200);
    let session = assume(&request, &idp.record(), &role(), NOW).unwrap();
    assert_eq!(session.credentials().expiration, NOW + Duration::hours(2));
}

#[test]
fn validates_arns_and_parameter_constraints() {
    let idp = idp_a();
    let response = signed_response(&Claims::for_idp(idp), idp);
    let mut bad_role = request(PROVIDER_A, &response);
    bad_role.role_arn = "arn:aws:iam::123456789012:user/ConnectSaml".to_owned();
    assert_aws(
        &expect_error(assume(&bad_role, &idp.record(), &role(), NOW)),
        "ValidationError",
        400,
        "Request ARN is invalid",
    );
    let mut bad_principal = request(PROVIDER_A, &response);
    bad_principal.principal_arn = "arn:aws:iam::123456789012:role/IdpA".to_owned();
    assert_aws(
        &expect_error(assume(&bad_principal, &idp.record(), &role(), NOW)),
        "ValidationError",
        400,
        "Principal ARN is invalid",
    );
    let mut short = request(PROVIDER_A, &response);
    short.role_arn = "arn:aws:iam::1:r".to_owned();
    short.saml_assertion = fedgate_sts::Secret::new("abc".to_owned());
    let error = expect_error(assume(&short, &idp.record(), &role(), NOW));
    assert_aws(
        &error,
        "ValidationError",
        400,
        "2 validation errors detected: Value 'arn:aws:iam::1:r' at 'roleArn' failed to satisfy \
         constraint: Member must have length greater than or equal to 20; Value at \
         'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or \
         equal to 4",
    );
}

#[test]
fn rejects_an_unknown_provider_and_role() {
    let idp = idp_a();
    let request = request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp));
    let run = |provider, role| {
        assume_role_with_saml(
            &request,
            provider,
            role,
            ACCOUNT,
            &service_provider(),
            NOW,
            &token_key(),
        )
    };
    let role = role();
    let record_a = idp.record();
    let record_b = idp_b().record();
    let error = expect_error(run(None, Some(&role)));
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert_eq!(error.cause_code(), "provider_not_found");
    // A provider record that is not the PrincipalArn is refused the same way.
    let error = expect_error(run(Some(&record_b), Some(&role)));
    assert_eq!(error.cause_code(), "provider_not_found");
    let error = expect_error(run(Some(&record_a), None));
    assert_eq!(error.code(), "AccessDenied");
    assert_eq!(error.cause_code(), "role_not_found");
}

#[test]
fn required_encryption_refuses_plaintext_assertions() {
    let idp = idp_a();
    let mut record = idp.record();
    record.provider.assertion_encryption_mode = AssertionEncryptionMode::Required;
    let error = expect_error(assume(
        &request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp)),
        &record,
        &role(),
        NOW,
    ));
    assert_eq!(error.code(), "InvalidIdentityToken");
    assert_eq!(error.cause_code(), "assertion_not_encrypted");
}

#[test]
fn rejects_a_malformed_session_policy() {
    let idp = idp_a();
    let mut request = request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp));
    request.policy = Some("{\"Version\":\"2012-10-17\",".to_owned());
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_aws(
        &error,
        "MalformedPolicyDocument",
        400,
        "The policy is not in the valid JSON format.",
    );
    request.policy = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
            .to_owned(),
    );
    let error = expect_error(assume(&request, &idp.record(), &role(), NOW));
    assert_eq!(error.code(), "MalformedPolicyDocument");
}

#[test]
fn carries_session_policies_and_counts_their_packed_size() {
    let idp = idp_a();
    let mut request = request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp));
    request.policy = Some(SESSION_POLICY.to_owned());
    request.policy_arns = vec![ManagedSessionPolicy {
        arn: "arn:aws:iam::123456789012:policy/AgentsReadOnly".to_owned(),
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:Describe*","Resource":"*"}]}"#
            .to_owned(),
    }];
    let session = assume(&request, &idp.record(), &role(), NOW).unwrap();
    let policies = session.session_policies();
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0].arn, None);
    assert!(!policies[0].document.contains(char::is_whitespace));
    let expected_chars = policies[0].document.len() + request.policy_arns[0].arn.len();
    assert_eq!(
        session.packed_policy_size(),
        u64::try_from((expected_chars * 100).div_ceil(2048)).unwrap()
    );
    // The compacted documents parse again, equal to the originals.
    let original = Policy::parse(SESSION_POLICY, &ParseOptions::session()).unwrap();
    assert_eq!(policies[0].parse().unwrap(), original);
    policies[1].parse().unwrap();
    // And they travel in the token.
    let claims = open_session_token(
        session.credentials().session_token.expose(),
        &token_key(),
        NOW,
    )
    .unwrap();
    assert_eq!(claims.session_policies(), policies);
}

#[test]
fn rejects_session_policies_and_tags_over_the_packed_budget() {
    let idp = idp_a();
    let mut claims = Claims::for_idp(idp);
    claims.tags = (0..10)
        .map(|i| (format!("Key{i}"), "v".repeat(200)))
        .collect();
    let mut request = request(PROVIDER_A, &signed_response(&claims, idp));
    request.policy = Some(SESSION_POLICY.to_owned());
    let allowing = role_with(trust_policy(&[PROVIDER_A], &ALL_ACTIONS));
    let error = expect_error(assume(&request, &idp.record(), &allowing, NOW));
    assert_eq!(error.code(), "PackedPolicyTooLarge");
    assert_eq!(error.status(), 400);
    assert!(error.message().contains('%'), "{}", error.message());
}

#[test]
fn denies_roles_of_another_account_or_a_mismatched_record() {
    let idp = idp_a();
    let request = request(PROVIDER_A, &signed_response(&Claims::for_idp(idp), idp));
    let error = expect_error(assume_role_with_saml(
        &request,
        Some(&idp.record()),
        Some(&role()),
        "210987654321",
        &service_provider(),
        NOW,
        &token_key(),
    ));
    assert_eq!(error.cause_code(), "role_mismatch");
    let mut other = role();
    other.role.arn = "arn:aws:iam::123456789012:role/agents/Other".to_owned();
    let error = expect_error(assume(&request, &idp.record(), &other, NOW));
    assert_eq!(error.cause_code(), "role_mismatch");
}
