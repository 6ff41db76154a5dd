//! Property tests: canonical serialization round-trips, and a `Deny` never widens access.

use std::collections::BTreeMap;

use fedgate_iam_policy::{Decision, ParseOptions, Policy, PolicySet, RequestContext, evaluate};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "iam:Tag*",
    "sts:AssumeRoleWithSAML",
    "*",
    "ec2:Describe?",
    "S3:get*",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:iam::*:role/x",
    "arn:aws:s3:::b/home/${aws:username, 'guest'}",
];
const KEYS: &[&str] = &[
    "aws:username",
    "k:x",
    "AWS:TagKeys",
    "saml:aud",
    "aws:SourceIp",
    "aws:CurrentTime",
];

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z*?]{0,6}",
        Just("${aws:username}".to_owned()),
        Just("a${*}b".to_owned()),
        Just("${k:x, 'd''q'}".to_owned()),
        Just("https://signin.aws.amazon.com/saml".to_owned()),
    ]
}

/// (operator, values) pairs whose values the operator accepts.
fn condition_block() -> impl Strategy<Value = (String, Vec<String>)> {
    prop_oneof![
        (
            prop::sample::select(vec![
                "StringEquals",
                "StringNotEquals",
                "StringLike",
                "StringNotLike",
                "StringEqualsIgnoreCase",
                "ForAnyValue:StringEquals",
                "ForAllValues:StringNotLike",
                "StringEqualsIfExists",
            ]),
            prop::collection::vec(string_value(), 1..3)
        )
            .prop_map(|(op, v)| (op.to_owned(), v)),
        (
            prop::sample::select(vec![
                "NumericLessThan",
                "NumericEquals",
                "NumericGreaterThanEqualsIfExists"
            ]),
            prop::collection::vec((-100i32..100).prop_map(|n| n.to_string()), 1..3)
        )
            .prop_map(|(op, v)| (op.to_owned(), v)),
        (
            prop::sample::select(vec!["DateLessThan", "DateGreaterThan"]),
            prop::collection::vec(
                prop::sample::select(vec!["2020-01-01T00:00:00Z", "1700000000", "2030-06"])
                    .prop_map(str::to_owned),
                1..3
            )
        )
            .prop_map(|(op, v)| (op.to_owned(), v)),
        (Just("Bool"), prop::sample::select(vec!["true", "false"]))
            .prop_map(|(op, v)| (op.to_owned(), vec![v.to_owned()])),
        (Just("Null"), prop::sample::select(vec!["true", "false"]))
            .prop_map(|(op, v)| (op.to_owned(), vec![v.to_owned()])),
        (
            prop::sample::select(vec!["IpAddress", "NotIpAddress"]),
            prop::collection::vec(
                prop::sample::select(vec!["10.0.0.0/8", "203.0.113.7", "2001:db8::/32"])
                    .prop_map(str::to_owned),
                1..3
            )
        )
            .prop_map(|(op, v)| (op.to_owned(), v)),
        (
            prop::sample::select(vec!["ArnLike", "ArnNotEquals"]),
            prop::collection::vec(
                prop::sample::select(vec![
                    "arn:aws:s3:::*",
                    "arn:aws:iam::*:role/${aws:username}"
                ])
                .prop_map(str::to_owned),
                1..2
            )
        )
            .prop_map(|(op, v)| (op.to_owned(), v)),
        (Just("BinaryEquals"), Just(vec!["QmluYXJ5".to_owned()]))
            .prop_map(|(op, v)| (op.to_owned(), v)),
    ]
}

fn conditions() -> impl Strategy<Value = BTreeMap<String, BTreeMap<String, Vec<String>>>> {
    prop::collection::vec(
        (condition_block(), prop::sample::select(KEYS.to_vec())),
        0..4,
    )
    .prop_map(|blocks| {
        let mut map: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for ((op, values), key) in blocks {
            map.entry(op).or_default().insert(key.to_owned(), values);
        }
        map
    })
}

fn statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::option::of("[A-Za-z0-9]{1,6}"),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(ACTIONS.to_vec()), 1..3),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(RESOURCES.to_vec()), 1..3),
        conditions(),
    )
        .prop_map(
            |(allow, sid, not_action, actions, not_resource, resources, conditions)| {
                let mut st = serde_json::Map::new();
                if let Some(sid) = sid {
                    st.insert("Sid".into(), json!(sid));
                }
                st.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                st.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                st.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if !conditions.is_empty() {
                    st.insert("Condition".into(), json!(conditions));
                }
                Value::Object(st)
            },
        )
}

fn policy_json() -> impl Strategy<Value = String> {
    (prop::collection::vec(statement(), 1..5), any::<bool>()).prop_map(
        |(mut statements, new_version)| {
            // Sids must be unique within a policy.
            let mut seen = std::collections::HashSet::new();
            for st in &mut statements {
                if let Some(obj) = st.as_object_mut() {
                    let duplicate = obj
                        .get("Sid")
                        .and_then(Value::as_str)
                        .is_some_and(|s| !seen.insert(s.to_owned()));
                    if duplicate {
                        obj.remove("Sid");
                    }
                }
            }
            let version = if new_version {
                "2012-10-17"
            } else {
                "2008-10-17"
            };
            json!({"Version": version, "Statement": statements}).to_string()
        },
    )
}

fn context() -> impl Strategy<Value = RequestContext> {
    (
        prop::sample::select(vec![
            "s3:GetObject",
            "s3:PutObject",
            "iam:TagUser",
            "sts:AssumeRoleWithSAML",
            "ec2:DescribeVpcs",
        ]),
        prop::sample::select(vec![
            "arn:aws:s3:::b/alice/x",
            "arn:aws:s3:::b/home/guest",
            "arn:aws:iam::1:role/x",
            "*",
        ]),
        prop::option::of(prop::sample::select(vec!["alice", "bob", "*"])),
        prop::option::of("[a-z*?]{0,4}"),
        prop::option::of(prop::collection::vec("[a-z]{0,3}", 0..3)),
        prop::option::of(prop::sample::select(vec![
            "10.1.1.1",
            "203.0.113.7",
            "2001:db8::1",
            "nonsense",
        ])),
        prop::option::of(prop::sample::select(vec![
            "2024-01-01T00:00:00Z",
            "2019-01-01T00:00:00Z",
        ])),
    )
        .prop_map(|(action, resource, user, x, tags, ip, now)| {
            let mut ctx = RequestContext::new(action).with_resource(resource);
            if let Some(user) = user {
                ctx = ctx.with_username(user);
            }
            if let Some(x) = x {
                ctx = ctx.with_key("k:x", x);
            }
            if let Some(tags) = tags {
                ctx = ctx.with_values("aws:TagKeys", tags);
            }
            if let Some(ip) = ip {
                ctx = ctx.with_key("aws:SourceIp", ip);
            }
            if let Some(now) = now {
                ctx = ctx.with_key("aws:CurrentTime", now);
            }
            ctx
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_the_canonical_json_gives_the_same_policy(text in policy_json()) {
        let policy = Policy::parse(&text, &ParseOptions::inline_identity()).unwrap();
        let canonical = policy.to_json();
        let reparsed = Policy::parse(&canonical, &ParseOptions::inline_identity()).unwrap();
        prop_assert_eq!(&reparsed, &policy);
        prop_assert_eq!(reparsed.to_json(), canonical);
    }

    #[test]
    fn adding_a_deny_statement_never_widens_access(
        text in policy_json(),
        deny in statement(),
        ctx in context(),
    ) {
        let base = Policy::parse(&text, &ParseOptions::inline_identity()).unwrap();
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let mut deny = deny;
        if let Some(obj) = deny.as_object_mut() {
            obj.insert("Effect".into(), json!("Deny"));
            obj.remove("Sid");
        }
        if let Some(list) = doc.get_mut("Statement").and_then(Value::as_array_mut) {
            list.push(deny);
        }
        let with_deny = Policy::parse(&doc.to_string(), &ParseOptions::inline_identity()).unwrap();
        let before = evaluate(&PolicySet::new().identity("p", &base), &ctx).decision();
        let after = evaluate(&PolicySet::new().identity("p", &with_deny), &ctx).decision();
        if after == Decision::Allow {
            prop_assert_eq!(before, Decision::Allow);
        }
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in ".{0,200}") {
        let _ = Policy::parse(&text, &ParseOptions::trust());
    }
}
