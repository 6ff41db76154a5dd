//! Evaluation: explicit deny > allow > implicit deny, trust policies for SAML federation,
//! session policy intersection, `NotAction`, `NotPrincipal`, resources and the `Allowed` proof.

use fedgate_iam_policy::{
    ContextValue, Decision, ParseOptions, Policy, PolicyRole, PolicySet, PrincipalId,
    RequestContext, SamlContextInput, StatementResult, evaluate, evaluate_trust, explain,
};

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a broken fixture fails the test"
)]
fn data(file: &str, options: &ParseOptions) -> Policy {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    Policy::parse(&std::fs::read_to_string(path).unwrap(), options).unwrap()
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a broken fixture fails the test"
)]
fn identity(text: &str) -> Policy {
    Policy::parse(text, &ParseOptions::inline_identity()).unwrap()
}

const PRIMARY: &str = "arn:aws:iam::123456789012:saml-provider/PrimaryIdP";
const BACKUP: &str = "arn:aws:iam::123456789012:saml-provider/BackupIdP";
const GLOBAL_ACS: &str = "https://signin.aws.amazon.com/saml";
const REGIONAL_ACS: &str = "https://us-west-2.signin.aws.amazon.com/saml";

fn saml_request(
    provider: &str,
    recipient: &str,
    subject: &str,
    affiliation: &[&str],
) -> RequestContext {
    let input = SamlContextInput {
        issuer: "https://idp.example.com/saml".into(),
        subject: subject.into(),
        subject_format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into()),
        recipient: recipient.into(),
        audiences: vec!["urn:amazon:webservices".into()],
        provider_arn: provider.into(),
        account_id: "123456789012".into(),
        attributes: vec![(
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.1".into(),
            affiliation.iter().map(|s| (*s).to_owned()).collect(),
        )],
    };
    RequestContext::new("sts:AssumeRoleWithSAML")
        .with_principal(PrincipalId::federated(provider))
        .with_saml(&input)
}

#[test]
fn allows_saml_sign_in_through_either_provider_and_either_acs() {
    let trust = data("trust-two-providers.json", &ParseOptions::trust());
    for provider in [PRIMARY, BACKUP] {
        for acs in [GLOBAL_ACS, REGIONAL_ACS] {
            let ctx = saml_request(provider, acs, "alice@example.com", &["staff", "member"]);
            let eval = evaluate_trust("trust", &trust, &ctx);
            assert_eq!(eval.decision(), Decision::Allow, "{provider} {acs}");
            let deciding: Vec<_> = eval.deciding().map(|t| (t.index, t.sid)).collect();
            assert_eq!(deciding, vec![(0, Some("SamlSignIn"))]);
        }
    }
}

#[test]
fn denies_saml_sign_in_table() {
    let trust = data("trust-two-providers.json", &ParseOptions::trust());
    let other = "arn:aws:iam::123456789012:saml-provider/Other";
    let cases: [(RequestContext, Decision); 7] = [
        (
            saml_request(other, GLOBAL_ACS, "alice@example.com", &["staff"]),
            Decision::ImplicitDeny,
        ),
        (
            saml_request(
                PRIMARY,
                "https://eu-west-1.signin.aws.amazon.com/saml",
                "alice@example.com",
                &["staff"],
            ),
            Decision::ImplicitDeny,
        ),
        (
            saml_request(PRIMARY, GLOBAL_ACS, "alice@evil.example", &["staff"]),
            Decision::ImplicitDeny,
        ),
        (
            saml_request(PRIMARY, GLOBAL_ACS, "alice@example.com", &["student"]),
            Decision::ImplicitDeny,
        ),
        (
            saml_request(PRIMARY, GLOBAL_ACS, "alice@example.com", &[]),
            Decision::ImplicitDeny,
        ),
        // The Deny names only the backup provider.
        (
            saml_request(
                BACKUP,
                GLOBAL_ACS,
                "bob@example.com",
                &["staff", "contractor"],
            ),
            Decision::ExplicitDeny,
        ),
        (
            saml_request(
                PRIMARY,
                GLOBAL_ACS,
                "bob@example.com",
                &["staff", "contractor"],
            ),
            Decision::Allow,
        ),
    ];
    for (ctx, expected) in cases {
        assert_eq!(
            evaluate_trust("trust", &trust, &ctx).decision(),
            expected,
            "{ctx:?}"
        );
    }
}

#[test]
fn checks_tag_session_and_source_identity_separately() {
    let trust = data("trust-two-providers.json", &ParseOptions::trust());
    let ctx = saml_request(PRIMARY, GLOBAL_ACS, "alice@example.com", &["staff"]);
    let tag = ctx
        .for_action("sts:TagSession")
        .with_request_tags([("team", "red")]);
    assert!(evaluate_trust("trust", &trust, &tag).is_allowed());
    let source = ctx.for_action("sts:SetSourceIdentity");
    assert_eq!(
        evaluate_trust("trust", &trust, &source).decision(),
        Decision::ImplicitDeny
    );
}

#[test]
fn evaluates_the_documented_minimal_saml_trust_policy() {
    let trust = data("trust-minimal.json", &ParseOptions::trust());
    let provider = "arn:aws:iam::123456789012:saml-provider/MyIdP";
    let ok = RequestContext::new("sts:AssumeRoleWithSAML")
        .with_principal(PrincipalId::federated(provider))
        .with_key("saml:aud", GLOBAL_ACS);
    assert!(evaluate_trust("t", &trust, &ok).is_allowed());
    // Actions are case-insensitive.
    assert!(evaluate_trust("t", &trust, &ok.for_action("STS:assumerolewithsaml")).is_allowed());
    // Other actions and other principal types do not match.
    assert!(!evaluate_trust("t", &trust, &ok.for_action("sts:AssumeRole")).is_allowed());
    let aws_caller = ok.clone().with_principal(PrincipalId::aws(provider));
    assert!(!evaluate_trust("t", &trust, &aws_caller).is_allowed());
    let no_caller = RequestContext::new("sts:AssumeRoleWithSAML").with_key("saml:aud", GLOBAL_ACS);
    assert!(!evaluate_trust("t", &trust, &no_caller).is_allowed());
}

#[test]
fn explains_why_each_statement_did_not_apply() {
    let trust = data("trust-two-providers.json", &ParseOptions::trust());
    let ctx = saml_request(PRIMARY, GLOBAL_ACS, "alice@evil.example", &["staff"]);
    let set = PolicySet::new().resource("trust", &trust);
    let eval = explain(&set, &ctx);
    assert_eq!(eval.decision(), Decision::ImplicitDeny);
    let results: Vec<String> = eval
        .statements()
        .iter()
        .map(|t| t.result.describe())
        .collect();
    assert_eq!(
        results,
        vec![
            "condition StringLike on saml:sub not met",
            "principal not matched"
        ]
    );
    assert!(
        eval.statements()
            .iter()
            .all(|t| t.role == PolicyRole::Resource)
    );
    assert_eq!(eval.deciding().count(), 0);
}

#[test]
fn explicit_deny_beats_allow_and_allow_beats_implicit_deny() {
    let allow = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let deny = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}"#,
    );
    let set = PolicySet::new()
        .identity("allow", &allow)
        .identity("deny", &deny);
    let get = RequestContext::new("s3:GetObject").with_resource("arn:aws:s3:::b/k");
    let del = RequestContext::new("s3:DeleteObject").with_resource("arn:aws:s3:::b/k");
    let ec2 = RequestContext::new("ec2:RunInstances").with_resource("*");
    assert_eq!(evaluate(&set, &get).decision(), Decision::Allow);
    let eval = evaluate(&set, &del);
    assert_eq!(eval.decision(), Decision::ExplicitDeny);
    assert_eq!(
        eval.deciding()
            .map(|t| (t.policy, t.sid))
            .collect::<Vec<_>>(),
        vec![("deny", Some("NoDelete"))]
    );
    assert_eq!(evaluate(&set, &ec2).decision(), Decision::ImplicitDeny);
    assert_eq!(
        evaluate(&PolicySet::new(), &get).decision(),
        Decision::ImplicitDeny
    );
}

#[test]
fn not_action_with_allow_grants_everything_else() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
    );
    let set = PolicySet::new().identity("p", &p);
    assert!(evaluate(&set, &RequestContext::new("s3:GetObject")).is_allowed());
    assert!(!evaluate(&set, &RequestContext::new("iam:CreateUser")).is_allowed());
    assert!(!evaluate(&set, &RequestContext::new("IAM:CreateUser")).is_allowed());
}

#[test]
fn not_principal_with_deny_denies_everyone_else() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Admin"},"Action":"s3:*","Resource":"arn:aws:s3:::secret/*"},
            {"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}"#,
        &ParseOptions::resource(),
    )
    .unwrap();
    let set = PolicySet::new().resource("bucket", &policy);
    let admin = RequestContext::new("s3:GetObject")
        .with_resource("arn:aws:s3:::secret/a")
        .with_principal(PrincipalId::aws("arn:aws:iam::123456789012:role/Admin"));
    let other = admin
        .clone()
        .with_principal(PrincipalId::aws("arn:aws:iam::123456789012:user/bob"));
    let anonymous = RequestContext::new("s3:GetObject").with_resource("arn:aws:s3:::secret/a");
    assert_eq!(evaluate(&set, &admin).decision(), Decision::Allow);
    assert_eq!(evaluate(&set, &other).decision(), Decision::ExplicitDeny);
    assert_eq!(
        evaluate(&set, &anonymous).decision(),
        Decision::ExplicitDeny
    );
}

#[test]
fn matches_resources_case_sensitively_with_wildcards_in_the_middle() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-2:*:${aws:username}-queue"},
           {"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/*/dev-?"}]}"#,
    );
    let set = PolicySet::new().identity("p", &p);
    let cases = [
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:123456789012:alice-queue",
            true,
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:123456789012:bob-queue",
            false,
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:123456789012:Alice-queue",
            false,
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-west-2:123456789012:alice-queue",
            false,
        ),
        // `*` in the account segment does not swallow the region.
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:x:y:alice-queue",
            false,
        ),
        (
            "iam:CreateAccessKey",
            "arn:aws:iam::123456789012:user/team/dev-1",
            true,
        ),
        (
            "iam:UpdateAccessKey",
            "arn:aws:iam::123456789012:user/a/b/dev-1",
            true,
        ),
        (
            "iam:CreateAccessKey",
            "arn:aws:iam::123456789012:user/team/dev-10",
            false,
        ),
        (
            "iam:CreateUser",
            "arn:aws:iam::123456789012:user/team/dev-1",
            false,
        ),
    ];
    for (action, resource, expected) in cases {
        let ctx = RequestContext::new(action)
            .with_resource(resource)
            .with_username("alice");
        assert_eq!(
            evaluate(&set, &ctx).is_allowed(),
            expected,
            "{action} {resource}"
        );
    }
}

#[test]
fn resolves_variables_and_defaults_in_resources() {
    let p = data("s3-home.json", &ParseOptions::managed_identity());
    let set = PolicySet::new().identity("home", &p);
    let get = |resource: &str| RequestContext::new("s3:GetObject").with_resource(resource);
    assert!(
        evaluate(
            &set,
            &get("arn:aws:s3:::mybucket/home/alice/x").with_username("alice")
        )
        .is_allowed()
    );
    assert!(
        !evaluate(
            &set,
            &get("arn:aws:s3:::mybucket/home/bob/x").with_username("alice")
        )
        .is_allowed()
    );
    // No aws:username: the resource with the variable matches nothing.
    assert!(!evaluate(&set, &get("arn:aws:s3:::mybucket/home/alice/x")).is_allowed());
    let team =
        get("arn:aws:s3:::DOC-EXAMPLE-BUCKET-yellow/a").with_principal_tags([("team", "yellow")]);
    assert!(evaluate(&set, &team).is_allowed());
    assert!(!evaluate(&set, &get("arn:aws:s3:::DOC-EXAMPLE-BUCKET-yellow/a")).is_allowed());
    assert!(evaluate(&set, &get("arn:aws:s3:::DOC-EXAMPLE-BUCKET-company-wide/a")).is_allowed());
    let list = RequestContext::new("s3:ListBucket")
        .with_resource("arn:aws:s3:::mybucket")
        .with_username("alice")
        .with_key("s3:prefix", "home/alice/");
    assert!(evaluate(&set, &list).is_allowed());
}

#[test]
fn intersects_identity_and_session_policies() {
    let role = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*"],"Resource":"*"}]}"#,
    );
    let session = data("session-readonly.json", &ParseOptions::session());
    let set = PolicySet::new()
        .identity("role", &role)
        .session("session", &session);
    assert!(evaluate(&set, &RequestContext::new("s3:GetObject")).is_allowed());
    assert!(!evaluate(&set, &RequestContext::new("s3:PutObject")).is_allowed());
    assert!(!evaluate(&set, &RequestContext::new("ec2:RunInstances")).is_allowed());
    // A session policy alone grants nothing.
    let only_session = PolicySet::new().session("session", &session);
    assert!(!evaluate(&only_session, &RequestContext::new("s3:GetObject")).is_allowed());
}

#[test]
fn denies_from_the_connect_policy_outside_the_office_network() {
    let p = data("connect-agent.json", &ParseOptions::inline_identity());
    let set = PolicySet::new().identity("connect", &p);
    let ctx = |ip: &str| {
        RequestContext::new("connect:GetFederationToken")
            .with_resource(
                "arn:aws:connect:us-west-2:123456789012:instance/abc/user/AROAEXAMPLE:alice",
            )
            .with_userid("AROAEXAMPLE:alice")
            .with_source_ip(ip.parse().unwrap())
    };
    assert_eq!(
        evaluate(&set, &ctx("203.0.113.9")).decision(),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&set, &ctx("2001:db8:1234:5678::1")).decision(),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&set, &ctx("198.51.100.1")).decision(),
        Decision::ExplicitDeny
    );
}

#[test]
fn denies_tagging_with_foreign_tag_keys() {
    let p = data("deny-tag-keys.json", &ParseOptions::managed_identity());
    let set = PolicySet::new().identity("tags", &p);
    let tag = |keys: &[(&str, &str)]| {
        RequestContext::new("iam:TagUser").with_request_tags(keys.iter().copied())
    };
    assert_eq!(
        evaluate(&set, &tag(&[("key1:legal", "x")])).decision(),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&set, &tag(&[("key2:audit", "x")])).decision(),
        Decision::ExplicitDeny
    );
    // No tag keys at all: ForAllValues is vacuously true, so the Deny applies.
    assert_eq!(
        evaluate(&set, &RequestContext::new("iam:TagUser")).decision(),
        Decision::ExplicitDeny
    );
}

#[test]
fn matches_account_principals_and_wildcard_principals() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"Action":"sqs:SendMessage","Resource":"*"},
           {"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"},
           {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:GetQueueUrl","Resource":"*"}]}"#,
        &ParseOptions::resource(),
    )
    .unwrap();
    let set = PolicySet::new().resource("queue", &policy);
    let send = |p: Option<PrincipalId>| {
        let ctx = RequestContext::new("sqs:SendMessage");
        match p {
            Some(p) => ctx.with_principal(p),
            None => ctx,
        }
    };
    let cases = [
        (
            Some(PrincipalId::aws("arn:aws:iam::111122223333:user/a")),
            true,
        ),
        (
            Some(PrincipalId::aws("arn:aws:iam::444455556666:role/r")),
            true,
        ),
        (Some(PrincipalId::aws("444455556666")), true),
        (
            Some(PrincipalId::aws("arn:aws:iam::777788889999:user/a")),
            false,
        ),
        (
            Some(PrincipalId::new(
                fedgate_iam_policy::PrincipalKind::Service,
                "sns.amazonaws.com",
            )),
            true,
        ),
        (
            Some(PrincipalId::new(
                fedgate_iam_policy::PrincipalKind::Service,
                "sqs.amazonaws.com",
            )),
            false,
        ),
        (None, false),
    ];
    for (principal, expected) in cases {
        assert_eq!(
            evaluate(&set, &send(principal.clone())).is_allowed(),
            expected,
            "{principal:?}"
        );
    }
    let anyone = RequestContext::new("sqs:GetQueueUrl");
    assert!(evaluate(&set, &anyone).is_allowed());
}

#[test]
fn mints_the_allowed_proof_only_from_an_allow() {
    let trust = data("trust-minimal.json", &ParseOptions::trust());
    let provider = "arn:aws:iam::123456789012:saml-provider/MyIdP";
    let ok = RequestContext::new("sts:AssumeRoleWithSAML")
        .with_principal(PrincipalId::federated(provider))
        .with_key("saml:aud", GLOBAL_ACS);
    let allowed = evaluate_trust("t", &trust, &ok).into_allowed().unwrap();
    assert_eq!(allowed.action(), "sts:AssumeRoleWithSAML");
    assert_eq!(allowed.principal(), Some(&PrincipalId::federated(provider)));
    let bad = ok
        .clone()
        .with_key("saml:aud", "https://elsewhere.example/saml");
    let denied = evaluate_trust("t", &trust, &bad)
        .into_allowed()
        .unwrap_err();
    assert_eq!(denied.decision(), Decision::ImplicitDeny);
}

#[test]
fn records_only_applicable_statements_when_not_explaining() {
    let trust = data("trust-two-providers.json", &ParseOptions::trust());
    let ctx = saml_request(PRIMARY, GLOBAL_ACS, "alice@example.com", &["staff"]);
    let eval = evaluate_trust("trust", &trust, &ctx);
    assert!(
        eval.statements()
            .iter()
            .all(|t| t.result == StatementResult::Applies)
    );
    assert_eq!(eval.statements().len(), 1);
    assert_eq!(
        ctx.get("saml:edupersonaffiliation"),
        Some(&ContextValue::Multi(vec!["staff".into()]))
    );
}
