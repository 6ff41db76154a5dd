//! Evaluation on the sign-in hot path: a realistic SAML trust policy, and a 20-statement
//! permission policy.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fedgate_iam_policy::{
    ParseOptions, Policy, PolicySet, PrincipalId, RequestContext, SamlContextInput, evaluate,
    evaluate_trust,
};

const TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": [
      "arn:aws:iam::123456789012:saml-provider/PrimaryIdP",
      "arn:aws:iam::123456789012:saml-provider/BackupIdP"]},
    "Action": "sts:AssumeRoleWithSAML",
    "Condition": {
      "StringEquals": {"SAML:aud": ["https://signin.aws.amazon.com/saml",
                                    "https://us-west-2.signin.aws.amazon.com/saml"]},
      "StringLike": {"saml:sub": "*@example.com"},
      "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": ["staff", "faculty"]}
    }
  }]
}"#;

fn permission_policy() -> String {
    let mut statements = Vec::new();
    for i in 0..19 {
        statements.push(format!(
            r#"{{"Sid":"S{i}","Effect":"Allow","Action":["service{i}:Get*","service{i}:List*"],
                "Resource":"arn:aws:service{i}:us-west-2:123456789012:thing/${{aws:username}}/*",
                "Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"team{i}"}}}}}}"#
        ));
    }
    statements.push(
        r#"{"Sid":"Connect","Effect":"Allow","Action":"connect:GetFederationToken",
            "Resource":"arn:aws:connect:us-west-2:123456789012:instance/*/user/${aws:userid}",
            "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}"#
            .to_owned(),
    );
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

#[expect(
    clippy::panic,
    reason = "a benchmark with broken fixtures must not run"
)]
fn bench(c: &mut Criterion) {
    let trust = Policy::parse(TRUST, &ParseOptions::trust()).unwrap_or_else(|e| panic!("{e}"));
    let input = SamlContextInput {
        issuer: "https://idp.example.com/saml".into(),
        subject: "alice@example.com".into(),
        subject_format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into()),
        recipient: "https://us-west-2.signin.aws.amazon.com/saml".into(),
        audiences: vec!["urn:amazon:webservices".into()],
        provider_arn: "arn:aws:iam::123456789012:saml-provider/BackupIdP".into(),
        account_id: "123456789012".into(),
        attributes: vec![(
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.1".into(),
            vec!["member".into(), "staff".into()],
        )],
    };
    let ctx = RequestContext::new("sts:AssumeRoleWithSAML")
        .with_principal(PrincipalId::federated(input.provider_arn.clone()))
        .with_saml(&input);
    assert!(evaluate_trust("trust", &trust, &ctx).is_allowed());
    c.bench_function("trust_policy_allow", |b| {
        b.iter(|| {
            black_box(evaluate_trust("trust", black_box(&trust), black_box(&ctx)).decision())
        });
    });
    let denied = ctx.clone().with_key("saml:sub", "mallory@evil.example");
    c.bench_function("trust_policy_deny", |b| {
        b.iter(|| {
            black_box(evaluate_trust("trust", black_box(&trust), black_box(&denied)).decision())
        });
    });

    let text = permission_policy();
    let permissions =
        Policy::parse(&text, &ParseOptions::inline_identity()).unwrap_or_else(|e| panic!("{e}"));
    let set = PolicySet::new().identity("permissions", &permissions);
    let request = RequestContext::new("connect:GetFederationToken")
        .with_resource("arn:aws:connect:us-west-2:123456789012:instance/abc/user/AROAEXAMPLE:alice")
        .with_userid("AROAEXAMPLE:alice")
        .with_username("alice")
        .with_principal_tags([("team", "team7")])
        .with_source_ip("203.0.113.9".parse().unwrap_or_else(|e| panic!("{e}")));
    assert!(evaluate(&set, &request).is_allowed());
    c.bench_function("permission_policy_20_statements", |b| {
        b.iter(|| black_box(evaluate(black_box(&set), black_box(&request)).decision()));
    });

    c.bench_function("parse_trust_policy", |b| {
        b.iter(|| {
            Policy::parse(black_box(TRUST), &ParseOptions::trust()).map(|p| p.statements().len())
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
