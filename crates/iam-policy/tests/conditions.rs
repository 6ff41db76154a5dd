//! Condition operators, set qualifiers, `IfExists`, `Null` and policy variables, table-driven,
//! including the examples of the AWS IAM User Guide pages on condition operators, multivalued
//! context keys and policy variables.

use fedgate_iam_policy::{ParseOptions, Policy, PolicySet, RequestContext, evaluate};

/// Whether `condition` (the JSON of a `Condition` element) holds in a context made of the
/// given single-valued and multi-valued keys.
#[expect(clippy::panic, reason = "test helper: a broken fixture fails the test")]
fn holds_in(
    version: &str,
    condition: &str,
    single: &[(&str, &str)],
    multi: &[(&str, &[&str])],
) -> bool {
    let doc = format!(
        r#"{{"Version":"{version}","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}]}}"#
    );
    let policy = Policy::parse(&doc, &ParseOptions::inline_identity())
        .unwrap_or_else(|e| panic!("{condition}: {e}"));
    let mut ctx = RequestContext::new("s3:GetObject");
    for (k, v) in single {
        ctx = ctx.with_key(k, *v);
    }
    for (k, vs) in multi {
        ctx = ctx.with_values(k, vs.iter().copied());
    }
    evaluate(&PolicySet::new().identity("p", &policy), &ctx).is_allowed()
}

fn holds(condition: &str, single: &[(&str, &str)], multi: &[(&str, &[&str])]) -> bool {
    holds_in("2012-10-17", condition, single, multi)
}

type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static [&'static str])],
    bool,
);

fn run(cases: &[Case]) {
    for (condition, single, multi, expected) in cases {
        assert_eq!(
            holds(condition, single, multi),
            *expected,
            "{condition} with {single:?} {multi:?}"
        );
    }
}

#[test]
fn evaluates_string_operators() {
    run(&[
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", "iamuser-admin")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", "IAMUSER-ADMIN")],
            &[],
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[],
            &[],
            false,
        ),
        (
            r#"{"StringEquals":{"k:x":["a","b"]}}"#,
            &[("k:x", "b")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"k:x":"a*"}}"#,
            &[("k:x", "abc")],
            &[],
            false,
        ),
        (
            r#"{"StringEquals":{"k:x":"a*"}}"#,
            &[("k:x", "a*")],
            &[],
            true,
        ),
        (
            r#"{"StringNotEquals":{"k:x":"a"}}"#,
            &[("k:x", "b")],
            &[],
            true,
        ),
        (
            r#"{"StringNotEquals":{"k:x":"a"}}"#,
            &[("k:x", "a")],
            &[],
            false,
        ),
        (r#"{"StringNotEquals":{"k:x":"a"}}"#, &[], &[], true),
        (
            r#"{"StringNotEquals":{"k:x":["a","b"]}}"#,
            &[("k:x", "b")],
            &[],
            false,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"k:x":"Alice"}}"#,
            &[("k:x", "aLICE")],
            &[],
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"k:x":"Alice"}}"#,
            &[("k:x", "Alicia")],
            &[],
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k:x":"Alice"}}"#,
            &[("k:x", "ALICE")],
            &[],
            false,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k:x":"Alice"}}"#,
            &[("k:x", "Bob")],
            &[],
            true,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"k:x":"Alice"}}"#,
            &[],
            &[],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/*"]}}"#,
            &[("s3:prefix", "home/alice/")],
            &[],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"home/?"}}"#,
            &[("s3:prefix", "home/ab")],
            &[],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"Home/*"}}"#,
            &[("s3:prefix", "home/a")],
            &[],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":""}}"#,
            &[("s3:prefix", "")],
            &[],
            true,
        ),
        (
            r#"{"StringNotLike":{"k:x":"a*"}}"#,
            &[("k:x", "abc")],
            &[],
            false,
        ),
        (
            r#"{"StringNotLike":{"k:x":"a*"}}"#,
            &[("k:x", "xbc")],
            &[],
            true,
        ),
        (r#"{"StringNotLike":{"k:x":"a*"}}"#, &[], &[], true),
    ]);
}

#[test]
fn evaluates_numeric_operators() {
    run(&[
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            &[("s3:max-keys", "10")],
            &[],
            true,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            &[("s3:max-keys", "11")],
            &[],
            false,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            &[],
            &[],
            false,
        ),
        (
            r#"{"NumericLessThan":{"k:n":"10"}}"#,
            &[("k:n", "10")],
            &[],
            false,
        ),
        (
            r#"{"NumericLessThan":{"k:n":"10"}}"#,
            &[("k:n", "9.5")],
            &[],
            true,
        ),
        (
            r#"{"NumericGreaterThan":{"k:n":"10"}}"#,
            &[("k:n", "10.01")],
            &[],
            true,
        ),
        (
            r#"{"NumericGreaterThan":{"k:n":10}}"#,
            &[("k:n", "10")],
            &[],
            false,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"k:n":"-1"}}"#,
            &[("k:n", "-1")],
            &[],
            true,
        ),
        (
            r#"{"NumericEquals":{"k:n":"1"}}"#,
            &[("k:n", "1.0")],
            &[],
            true,
        ),
        (
            r#"{"NumericEquals":{"k:n":"1"}}"#,
            &[("k:n", "one")],
            &[],
            false,
        ),
        (
            r#"{"NumericNotEquals":{"k:n":"1"}}"#,
            &[("k:n", "2")],
            &[],
            true,
        ),
        (
            r#"{"NumericNotEquals":{"k:n":"1"}}"#,
            &[("k:n", "1")],
            &[],
            false,
        ),
        (r#"{"NumericNotEquals":{"k:n":"1"}}"#, &[], &[], true),
    ]);
}

#[test]
fn evaluates_date_operators() {
    run(&[
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            &[("aws:TokenIssueTime", "2020-06-01T00:00:00Z")],
            &[],
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            &[("aws:TokenIssueTime", "2019-12-31T23:59:59Z")],
            &[],
            false,
        ),
        (
            r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#,
            &[],
            &[],
            false,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#,
            &[("aws:CurrentTime", "2023-12-31T23:59:59Z")],
            &[],
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#,
            &[("aws:CurrentTime", "2024-01-01T00:00:00Z")],
            &[],
            false,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#,
            &[("aws:CurrentTime", "2024-01-01T01:00:00+01:00")],
            &[],
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:EpochTime":"1700000000"}}"#,
            &[("aws:EpochTime", "1700000000")],
            &[],
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"1700000000"}}"#,
            &[("aws:CurrentTime", "2023-11-14T22:13:20Z")],
            &[],
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}"#,
            &[("aws:CurrentTime", "2023-11-14T22:13:21Z")],
            &[],
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2023-11-14T22:13:20Z"}}"#,
            &[],
            &[],
            true,
        ),
    ]);
}

#[test]
fn evaluates_bool_binary_and_ip_operators() {
    run(&[
        (
            r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
            &[("aws:SecureTransport", "false")],
            &[],
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
            &[("aws:SecureTransport", "true")],
            &[],
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":false}}"#,
            &[("aws:SecureTransport", "FALSE")],
            &[],
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            &[],
            &[],
            false,
        ),
        (
            r#"{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("k:b", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")],
            &[],
            true,
        ),
        (
            r#"{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("k:b", "QmluYXJ5")],
            &[],
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", "203.0.113.42")],
            &[],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", "198.51.100.1")],
            &[],
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#,
            &[("aws:SourceIp", "2001:db8:1234:5678::9")],
            &[],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#,
            &[("aws:SourceIp", "203.0.113.7")],
            &[],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[],
            &[],
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", "198.51.100.1")],
            &[],
            true,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", "203.0.113.1")],
            &[],
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[],
            &[],
            true,
        ),
    ]);
}

#[test]
fn evaluates_arn_operators_segment_by_segment() {
    let long =
        "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    let single: &'static [(&str, &str)] = Box::leak(Box::new([("aws:SourceArn", long)]));
    run(&[
        (
            r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
            single,
            &[],
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
            single,
            &[],
            false,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:TOPIC-ID"}}"#,
            &[(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:123456789012:TOPIC-ID",
            )],
            &[],
            true,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:TOPIC-ID"}}"#,
            &[(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:123456789012:topic-id",
            )],
            &[],
            false,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}"#,
            &[("aws:SourceArn", "arn:aws:s3:::bucket-1")],
            &[],
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}"#,
            &[("aws:SourceArn", "not-an-arn")],
            &[],
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}"#,
            &[("aws:SourceArn", "arn:aws:s3:::other")],
            &[],
            true,
        ),
        (
            r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}"#,
            &[("aws:SourceArn", "arn:aws:s3:::bucket-2")],
            &[],
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket-*"}}"#,
            &[],
            &[],
            true,
        ),
    ]);
}

#[test]
fn evaluates_if_exists_and_null() {
    run(&[
        (
            r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#,
            &[],
            &[],
            true,
        ),
        (
            r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#,
            &[("ec2:InstanceType", "t2.micro")],
            &[],
            true,
        ),
        (
            r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#,
            &[("ec2:InstanceType", "c5.large")],
            &[],
            false,
        ),
        (r#"{"StringNotEqualsIfExists":{"k:x":"a"}}"#, &[], &[], true),
        (
            r#"{"StringNotEqualsIfExists":{"k:x":"a"}}"#,
            &[("k:x", "a")],
            &[],
            false,
        ),
        (
            r#"{"NumericLessThanIfExists":{"k:n":"5"}}"#,
            &[("k:n", "7")],
            &[],
            false,
        ),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#,
            &[],
            &[],
            true,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &[], &[], true),
        (
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            &[("aws:TokenIssueTime", "2020-01-01T00:00:00Z")],
            &[],
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            &[("aws:TokenIssueTime", "2020-01-01T00:00:00Z")],
            &[],
            true,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":false}}"#, &[], &[], false),
        (
            r#"{"Null":{"aws:TagKeys":"true"}}"#,
            &[],
            &[("aws:TagKeys", &[])],
            true,
        ),
        (
            r#"{"Null":{"aws:TagKeys":"false"}}"#,
            &[],
            &[("aws:TagKeys", &["a"])],
            true,
        ),
    ]);
}

/// The multivalued context key page: `ForAllValues` / `ForAnyValue`, with positive and negated
/// operators, on present, missing and empty keys.
#[test]
fn evaluates_set_qualifiers() {
    let all_like = r#"{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}"#;
    let any_like =
        r#"{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}"#;
    let not_like = r#"{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}"#;
    let any_not = r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["key1","key2"]}}"#;
    run(&[
        (
            all_like,
            &[],
            &[("dynamodb:requestedAttributes", &["PostDateTime", "Message"])],
            true,
        ),
        (
            all_like,
            &[],
            &[(
                "dynamodb:requestedAttributes",
                &["PostDateTime", "UserName"],
            )],
            false,
        ),
        (all_like, &[], &[], true),
        (
            all_like,
            &[],
            &[("dynamodb:requestedAttributes", &[])],
            true,
        ),
        (
            any_like,
            &[],
            &[(
                "dynamodb:requestedAttributes",
                &["UserName", "Message", "PostDateTime"],
            )],
            true,
        ),
        (
            any_like,
            &[],
            &[("dynamodb:requestedAttributes", &["UserName"])],
            false,
        ),
        (any_like, &[], &[], false),
        (
            any_like,
            &[],
            &[("dynamodb:requestedAttributes", &[])],
            false,
        ),
        (not_like, &[], &[("aws:TagKeys", &["key1:legal"])], false),
        (
            not_like,
            &[],
            &[("aws:TagKeys", &["key1:hr", "key1:personnel"])],
            false,
        ),
        (not_like, &[], &[("aws:TagKeys", &["key2:audit"])], true),
        (
            not_like,
            &[],
            &[("aws:TagKeys", &["key1:hr", "key2:audit"])],
            false,
        ),
        (not_like, &[], &[], true),
        (any_not, &[], &[("aws:TagKeys", &["key1", "key3"])], true),
        (any_not, &[], &[("aws:TagKeys", &["key1", "key2"])], false),
        (any_not, &[], &[], false),
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"k:x":"a"}}"#,
            &[],
            &[],
            true,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"k:x":"a"}}"#,
            &[("k:x", "a")],
            &[],
            true,
        ),
        (
            r#"{"ForAnyValue:NumericGreaterThan":{"k:n":"5"}}"#,
            &[],
            &[("k:n", &["1", "9"])],
            true,
        ),
        (
            r#"{"ForAllValues:NumericGreaterThan":{"k:n":"5"}}"#,
            &[],
            &[("k:n", &["1", "9"])],
            false,
        ),
        (
            r#"{"ForAnyValue:IpAddress":{"k:ips":"10.0.0.0/8"}}"#,
            &[],
            &[("k:ips", &["192.0.2.1", "10.1.2.3"])],
            true,
        ),
        // Without a qualifier: any value matching a positive operator; a negated operator is
        // its complement.
        (
            r#"{"StringEquals":{"aws:TagKeys":"a"}}"#,
            &[],
            &[("aws:TagKeys", &["b", "a"])],
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"a"}}"#,
            &[],
            &[("aws:TagKeys", &["b", "a"])],
            false,
        ),
    ]);
}

#[test]
fn combines_blocks_keys_and_values() {
    let cond = r#"{"StringEquals":{"k:a":["1","2"],"k:b":"x"},"Bool":{"k:c":"true"}}"#;
    run(&[
        (
            cond,
            &[("k:a", "2"), ("k:b", "x"), ("k:c", "true")],
            &[],
            true,
        ),
        (
            cond,
            &[("k:a", "3"), ("k:b", "x"), ("k:c", "true")],
            &[],
            false,
        ),
        (
            cond,
            &[("k:a", "1"), ("k:b", "y"), ("k:c", "true")],
            &[],
            false,
        ),
        (
            cond,
            &[("k:a", "1"), ("k:b", "x"), ("k:c", "false")],
            &[],
            false,
        ),
        (r#"{}"#, &[], &[], true),
    ]);
}

#[test]
fn matches_condition_keys_case_insensitively_and_values_case_sensitively() {
    run(&[
        (
            r#"{"StringEquals":{"SAML:AUD":"https://signin.aws.amazon.com/saml"}}"#,
            &[("saml:aud", "https://signin.aws.amazon.com/saml")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml"}}"#,
            &[("SAML:Aud", "https://signin.aws.amazon.com/saml")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml"}}"#,
            &[("saml:aud", "https://SIGNIN.aws.amazon.com/saml")],
            &[],
            false,
        ),
    ]);
}

#[test]
fn substitutes_policy_variables_in_string_and_arn_conditions() {
    run(&[
        (
            r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#,
            &[("aws:username", "alice"), ("s3:prefix", "home/alice/docs")],
            &[],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#,
            &[("aws:username", "alice"), ("s3:prefix", "home/bob/docs")],
            &[],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#,
            &[("s3:prefix", "home/alice/docs")],
            &[],
            false,
        ),
        (
            r#"{"StringLike":{"sns:endpoint":"https://example.com/${aws:username}/"}}"#,
            &[
                ("aws:username", "Alice"),
                ("sns:endpoint", "https://example.com/Alice/"),
            ],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}"#,
            &[
                ("aws:PrincipalTag/Team", "red"),
                ("s3:ExistingObjectTag/Team", "red"),
            ],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}"#,
            &[("s3:ExistingObjectTag/Team", "red")],
            &[],
            false,
        ),
        // A variable with no value is "effectively null": negated operators match.
        (
            r#"{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}"#,
            &[("s3:ExistingObjectTag/Team", "red")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"k:x":"${aws:PrincipalTag/team, 'company-wide'}"}}"#,
            &[("k:x", "company-wide")],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"k:x":"${aws:PrincipalTag/team, 'company-wide'}"}}"#,
            &[("k:x", "company-wide"), ("aws:PrincipalTag/team", "yellow")],
            &[],
            false,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"k:x":"${saml:sub}"}}"#,
            &[
                ("k:x", "ALICE@example.com"),
                ("saml:sub", "alice@EXAMPLE.com"),
            ],
            &[],
            true,
        ),
        (
            r#"{"StringEquals":{"k:x":"a${*}b${?}c${$}"}}"#,
            &[("k:x", "a*b?c$")],
            &[],
            true,
        ),
        (
            r#"{"StringLike":{"k:x":"a${*}"}}"#,
            &[("k:x", "abc")],
            &[],
            false,
        ),
        (
            r#"{"StringLike":{"k:x":"a${*}"}}"#,
            &[("k:x", "a*")],
            &[],
            true,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/${aws:PrincipalTag/role}"}}"#,
            &[
                ("aws:PrincipalTag/role", "admin"),
                ("aws:PrincipalArn", "arn:aws:iam::123456789012:role/admin"),
            ],
            &[],
            true,
        ),
        // Key names inside variables are case-insensitive.
        (
            r#"{"StringEquals":{"k:x":"${AWS:UserName}"}}"#,
            &[("aws:username", "alice"), ("k:x", "alice")],
            &[],
            true,
        ),
    ]);
}

#[test]
fn does_not_substitute_multi_valued_keys() {
    run(&[(
        r#"{"StringEquals":{"k:x":"${aws:TagKeys}"}}"#,
        &[("k:x", "a")],
        &[("aws:TagKeys", &["a"])],
        false,
    )]);
}

#[test]
fn treats_variables_literally_in_version_2008() {
    let cond = r#"{"StringEquals":{"k:x":"${aws:username}"}}"#;
    assert!(holds_in(
        "2008-10-17",
        cond,
        &[("k:x", "${aws:username}"), ("aws:username", "a")],
        &[]
    ));
    assert!(!holds_in(
        "2008-10-17",
        cond,
        &[("k:x", "a"), ("aws:username", "a")],
        &[]
    ));
    assert!(holds_in(
        "2012-10-17",
        cond,
        &[("k:x", "a"), ("aws:username", "a")],
        &[]
    ));
}
