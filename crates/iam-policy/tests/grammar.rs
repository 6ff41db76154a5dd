//! The policy grammar: what is accepted, what is rejected and with which AWS message.

use fedgate_iam_policy::{Error, ParseOptions, Policy, PolicyKind, Version};

fn parse(text: &str, options: &ParseOptions) -> Result<Policy, Error> {
    Policy::parse(text, options)
}

const TRUST_OK: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/MyIdP"},
  "Action":"sts:AssumeRoleWithSAML"}}"#;

#[test]
fn accepts_every_example_policy_in_tests_data() {
    let cases = [
        ("trust-two-providers.json", ParseOptions::trust()),
        ("trust-minimal.json", ParseOptions::trust()),
        ("connect-agent.json", ParseOptions::inline_identity()),
        ("session-readonly.json", ParseOptions::session()),
        ("s3-home.json", ParseOptions::managed_identity()),
        ("deny-tag-keys.json", ParseOptions::managed_identity()),
    ];
    for (file, options) in cases {
        let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let policy = parse(&text, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(policy.kind(), options.kind());
        assert_eq!(policy.version(), Some(Version::V2012_10_17));
    }
}

#[test]
fn accepts_statement_as_object_or_array_and_strings_or_lists() {
    let single = parse(TRUST_OK, &ParseOptions::trust()).unwrap();
    let listed = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
          "Principal":{"Federated":["arn:aws:iam::123456789012:saml-provider/MyIdP"]},
          "Action":["sts:AssumeRoleWithSAML"]}]}"#,
        &ParseOptions::trust(),
    )
    .unwrap();
    assert_eq!(single, listed);
    assert_eq!(single.to_json(), listed.to_json());
}

#[test]
fn accepts_old_version_id_and_missing_version() {
    let old = parse(
        r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        &ParseOptions::managed_identity(),
    )
    .unwrap();
    assert_eq!(old.version(), Some(Version::V2008_10_17));
    assert_eq!(old.id(), Some("x"));
    let none = parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        &ParseOptions::managed_identity(),
    )
    .unwrap();
    assert_eq!(none.version(), None);
}

#[test]
fn accepts_condition_values_as_numbers_and_booleans() {
    parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket",
          "Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},
          "Bool":{"aws:SecureTransport":true}}}]}"#,
        &ParseOptions::managed_identity(),
    )
    .unwrap();
}

/// (document, options, code, AWS message)
fn rejection_cases() -> Vec<(&'static str, ParseOptions, &'static str, &'static str)> {
    let trust = ParseOptions::trust();
    let identity = ParseOptions::managed_identity();
    let resource = ParseOptions::resource();
    vec![
        (
            "not json",
            identity,
            "syntax_error",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[]} trailing"#,
            identity,
            "syntax_error",
            "Syntax errors in policy.",
        ),
        ("[]", identity, "wrong_type", "Syntax errors in policy."),
        (
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "duplicate_key",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "duplicate_key",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}]}"#,
            identity,
            "duplicate_key",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"Bool":{"aws:SecureTransport":"false"}}}]}"#,
            identity,
            "duplicate_key",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}]}"#,
            identity,
            "unknown_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "unknown_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statment":[]}"#,
            identity,
            "unknown_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Version":"2012-10-17"}"#,
            identity,
            "missing_element",
            "Missing required field Statement",
        ),
        (
            r#"{"Statement":[]}"#,
            identity,
            "empty_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":"x"}"#,
            identity,
            "wrong_type",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "unsupported_version",
            "The policy failed legacy parsing",
        ),
        (
            r#"{"Version":20121017,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "wrong_type",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "missing_element",
            "Missing required field Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "invalid_effect",
            "Invalid effect: allow",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            identity,
            "missing_element",
            "Policy statement must contain actions.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            identity,
            "missing_element",
            "Policy statement must contain resources.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            identity,
            "empty_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}"#,
            identity,
            "wrong_type",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#,
            identity,
            "conflicting_elements",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#,
            identity,
            "missing_vendor_prefix",
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#,
            identity,
            "invalid_resource",
            "Resource bucket must be in ARN format or \"*\".",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "principal_not_allowed",
            "Policy document should not specify a principal.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}]}"#,
            ParseOptions::session(),
            "principal_not_allowed",
            "Policy document should not specify a principal.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithSAML"}]}"#,
            trust,
            "missing_element",
            "Missing required field Principal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/A"},"Action":"sts:AssumeRoleWithSAML","Resource":"*"}]}"#,
            trust,
            "prohibited_element",
            "Has prohibited field Resource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/A"},"Action":"sts:AssumeRoleWithSAML","NotResource":"*"}]}"#,
            trust,
            "prohibited_element",
            "Has prohibited field NotResource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/A"},"Action":"s3:GetObject"}]}"#,
            trust,
            "trust_action_not_sts",
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/*"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
            trust,
            "invalid_federated_principal",
            "Federated principals must be valid domain names or SAML metadata ARNs",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}]}"#,
            trust,
            "invalid_principal",
            "Invalid principal in policy: \"AWS\":\"alice\"",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Human":"x"},"Action":"sts:AssumeRole"}]}"#,
            trust,
            "unknown_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}]}"#,
            trust,
            "empty_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root","Action":"sts:AssumeRole"}]}"#,
            trust,
            "wrong_type",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            resource,
            "missing_element",
            "Missing required field Principal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}"#,
            identity,
            "invalid_condition_operator",
            "Invalid Condition type : StringEqualz.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}"#,
            identity,
            "invalid_condition_operator",
            "Invalid Condition type : NullIfExists.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}]}"#,
            identity,
            "missing_vendor_prefix",
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}"#,
            identity,
            "invalid_condition_value",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}]}"#,
            identity,
            "invalid_condition_value",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}"#,
            identity,
            "invalid_condition_value",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}}]}"#,
            identity,
            "invalid_condition_value",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"x:key":"not base64!"}}}]}"#,
            identity,
            "invalid_condition_value",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}]}"#,
            identity,
            "empty_element",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}]}"#,
            identity,
            "wrong_type",
            "Syntax errors in policy.",
        ),
        (
            r#"{"Statement":[{"Sid":"has space","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "invalid_sid",
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            identity,
            "duplicate_sid",
            "Statement IDs (SID) in a single policy must be unique.",
        ),
    ]
}

#[test]
fn rejects_malformed_documents_with_aws_messages() {
    for (text, options, code, message) in rejection_cases() {
        let err = parse(text, &options).expect_err(text);
        assert_eq!(err.code(), code, "{text}: {err}");
        assert_eq!(err.message(), message, "{text}");
        assert_eq!(err.aws_code(), "MalformedPolicyDocument");
        assert!(!err.hint().is_empty());
        let display = err.to_string();
        assert!(
            display.chars().next().is_some_and(|c| !c.is_uppercase()),
            "display should be lower-case: {display}"
        );
    }
}

#[test]
fn allows_spaces_in_sids_of_resource_policies() {
    parse(
        r#"{"Statement":[{"Sid":"Allow read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        &ParseOptions::resource(),
    )
    .unwrap();
}

fn padded_trust(chars: usize) -> String {
    // A Sid padded so the whole document has exactly `chars` quota characters.
    let base = TRUST_OK.replace("\"Effect\"", "\"Sid\":\"\",\"Effect\"");
    let base_len: usize = base.chars().filter(|c| !c.is_whitespace()).count();
    let pad = "A".repeat(chars - base_len);
    base.replace("\"Sid\":\"\"", &format!("\"Sid\":\"{pad}\""))
}

#[test]
fn applies_the_trust_policy_quota_after_whitespace_removal() {
    let exact = padded_trust(2048);
    parse(&exact, &ParseOptions::trust()).unwrap();
    let over = padded_trust(2049);
    let err = parse(&over, &ParseOptions::trust()).unwrap_err();
    assert_eq!(err.code(), "policy_too_large");
    assert_eq!(err.aws_code(), "LimitExceeded");
    assert_eq!(
        err.message(),
        "Cannot exceed quota for ACLSizePerRole: 2048"
    );
    parse(&over, &ParseOptions::trust_with_quota(4096).unwrap()).unwrap();
    // Whitespace outside strings does not count.
    let spaced = exact.replace(',', " ,\n\t ");
    parse(&spaced, &ParseOptions::trust()).unwrap();
}

#[test]
fn applies_inline_managed_and_session_quotas() {
    let statement =
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#;
    let doc = |n: usize| {
        let list = vec![statement; n].join(",");
        format!(r#"{{"Version":"2012-10-17","Statement":[{list}]}}"#)
    };
    // 73 characters per statement plus separators.
    let big = doc(100);
    assert!(big.len() > 6144 && big.len() < 10240);
    parse(&big, &ParseOptions::inline_identity()).unwrap();
    let err = parse(&big, &ParseOptions::managed_identity()).unwrap_err();
    assert_eq!(err.message(), "Cannot exceed quota for PolicySize: 6144");
    let err = parse(&doc(30), &ParseOptions::session()).unwrap_err();
    assert_eq!(err.code(), "policy_too_large");
    parse(&doc(20), &ParseOptions::session()).unwrap();
}

#[test]
fn rejects_a_raw_document_beyond_the_hard_byte_bound() {
    let text = format!(
        "{}{}",
        " ".repeat(fedgate_iam_policy::MAX_DOCUMENT_BYTES),
        TRUST_OK
    );
    assert_eq!(
        parse(&text, &ParseOptions::trust()).unwrap_err().code(),
        "policy_too_large"
    );
}

#[test]
fn rejects_every_truncation_of_a_valid_policy() {
    let path = format!(
        "{}/tests/data/trust-two-providers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let trimmed = text.trim_end();
    for (cut, _) in trimmed.char_indices().skip(1) {
        assert!(
            parse(&trimmed[..cut], &ParseOptions::trust()).is_err(),
            "accepted cut at {cut}"
        );
    }
}

#[test]
fn kinds_report_what_they_validate() {
    assert_eq!(ParseOptions::trust().kind(), PolicyKind::Trust);
    assert_eq!(ParseOptions::session().kind(), PolicyKind::Session);
    assert_eq!(ParseOptions::resource().kind(), PolicyKind::Resource);
    assert_eq!(ParseOptions::inline_identity().kind(), PolicyKind::Identity);
}
