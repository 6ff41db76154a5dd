#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step is a failed test"
)]
//! AWS Query protocol request decoding: merging, decoding, lists, limits and errors.

use std::collections::BTreeMap;

use fedgate_aws_wire::{AwsError, QueryLimits, QueryRequest};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=utf-8");

fn parse(query: &str, body: &str) -> Result<QueryRequest, AwsError> {
    QueryRequest::parse(query, FORM, body.as_bytes())
}

fn code(result: Result<QueryRequest, AwsError>) -> (String, u16) {
    let error = result.unwrap_err();
    (error.code, error.status)
}

fn ok(body: &str) -> QueryRequest {
    parse("", body).unwrap()
}

#[test]
fn merges_query_string_and_body_in_order() {
    let request = parse(
        "Action=AssumeRoleWithSAML&Version=2011-06-15",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FConnect&DurationSeconds=3600",
    )
    .unwrap();
    assert_eq!(request.action(), "AssumeRoleWithSAML");
    assert_eq!(request.version(), Some("2011-06-15"));
    assert_eq!(
        request.get("RoleArn"),
        Some("arn:aws:iam::123456789012:role/Connect")
    );
    assert_eq!(request.required("DurationSeconds").unwrap(), "3600");
    let names: Vec<_> = request.params().map(|(name, _)| name).collect();
    assert_eq!(names, ["Action", "Version", "RoleArn", "DurationSeconds"]);
}

#[test]
fn decodes_plus_as_space_and_percent_escapes() {
    let request = ok("Action=X&A=a+b&B=a%2Bb&C=%E2%9C%93%20%C3%A9&D=&E&F=x%3Dy%26z&G=~-._");
    assert_eq!(request.get("A"), Some("a b"));
    assert_eq!(request.get("B"), Some("a+b"));
    assert_eq!(request.get("C"), Some("✓ é"));
    assert_eq!(request.get("D"), Some(""));
    assert_eq!(request.get("E"), Some(""));
    assert_eq!(request.get("F"), Some("x=y&z"));
    assert_eq!(request.get("G"), Some("~-._"));
    assert_eq!(request.get("H"), None);
    assert_eq!(request.get("a"), None, "names are case-sensitive");
}

#[test]
fn rejects_a_request_without_action() {
    for (query, body) in [
        ("", ""),
        ("Version=2010-05-08", "RoleName=x"),
        ("Action=", ""),
        ("", "Action"),
    ] {
        let error = parse(query, body).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.status),
            ("MissingAction", 400),
            "{query:?} {body:?}"
        );
    }
    assert!(parse("Action=ListRoles", "").unwrap().version().is_none());
}

#[test]
fn rejects_duplicate_parameters_anywhere() {
    for (query, body) in [
        ("", "Action=X&RoleName=a&RoleName=b"),
        ("", "Action=X&RoleName=a&RoleName=a"),
        ("Action=X&RoleName=a", "RoleName=b"),
        ("Action=X", "Action=Y"),
        ("", "Action=X&Role%4Eame=a&RoleName=b"),
    ] {
        assert_eq!(
            code(parse(query, body)),
            ("InvalidParameterCombination".to_owned(), 400),
            "{query:?} {body:?}"
        );
    }
}

#[test]
fn rejects_malformed_encoding() {
    for body in [
        "Action=X&A=%",
        "Action=X&A=%4",
        "Action=X&A=%zz",
        "Action=X&A=%C3%28",
        "Action=X&%FF=1",
        "Action=X&=value",
    ] {
        assert_eq!(
            code(parse("", body)),
            ("MalformedQueryString".to_owned(), 400),
            "{body}"
        );
    }
}

#[test]
fn accepts_form_media_types_only() {
    let body = b"Action=ListRoles";
    for content_type in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
    ] {
        assert!(
            QueryRequest::parse("", content_type, body).is_ok(),
            "{content_type:?}"
        );
    }
    for content_type in [
        Some("application/json"),
        Some("text/xml"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let error = QueryRequest::parse("", content_type, body).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.status),
            ("UnsupportedMediaType", 415)
        );
    }
    // An empty body is not read, whatever its type.
    assert!(QueryRequest::parse("Action=ListRoles", Some("application/json"), b"").is_ok());
}

#[test]
fn enforces_the_size_and_parameter_limits() {
    // The size limit counts query string and body together.
    let big = format!(
        "Action=X&SAMLAssertion={}",
        "A".repeat(fedgate_aws_wire::MAX_REQUEST_BYTES)
    );
    assert_eq!(
        code(parse("", &big)),
        ("RequestEntityTooLarge".to_owned(), 413)
    );
    let fits = format!("Action=X&SAMLAssertion={}", "A".repeat(1_500_000));
    assert_eq!(
        ok(&fits).get("SAMLAssertion").map(str::len),
        Some(1_500_000)
    );

    let params = |n: usize| {
        let mut body = String::from("Action=X");
        for i in 1..n {
            body.push_str(&format!("&P{i}=v"));
        }
        body
    };
    assert!(parse("", &params(1000)).is_ok());
    assert_eq!(
        code(parse("", &params(1001))),
        ("ValidationError".to_owned(), 400)
    );

    let limits = QueryLimits {
        max_request_bytes: 64,
        max_params: 3,
        max_list_members: 2,
    };
    let tight = |body: &str| QueryRequest::parse_with_limits("", None, body.as_bytes(), &limits);
    assert!(tight("Action=X&A=1&B=2").is_ok());
    assert_eq!(
        tight("Action=X&A=1&B=2&C=3").unwrap_err().code,
        "ValidationError"
    );
    assert_eq!(
        tight(&format!("Action=X&A={}", "a".repeat(60)))
            .unwrap_err()
            .status,
        413
    );
    let lists = tight("Action=X&L.member.2=b&L.member.1=a").unwrap();
    assert_eq!(lists.list("L.member").unwrap(), ["a", "b"]);
    let over = tight("Action=X&L.member.3=c").unwrap();
    assert_eq!(over.list("L.member").unwrap_err().code, "ValidationError");
}

#[test]
fn missing_required_parameter_is_an_aws_validation_error() {
    let request = ok("Action=AssumeRoleWithSAML&RoleArn=");
    assert_eq!(request.required("RoleArn").unwrap(), "");
    let error = request.required("PrincipalArn").unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.status),
        ("ValidationError", 400)
    );
    assert_eq!(
        error.message,
        "1 validation error detected: Value null at 'principalArn' failed to satisfy \
         constraint: Member must not be null"
    );
    assert!(
        request
            .required("SAMLAssertion")
            .unwrap_err()
            .message
            .contains("'sAMLAssertion'")
    );
}

#[test]
fn reads_lists_in_index_order() {
    let request = ok(
        "Action=UntagRole&TagKeys.member.2=b&TagKeys.member.10=j&TagKeys.member.1=a\
         &TagKeys.member.3=c&TagKeys.member.4=d&TagKeys.member.5=e&TagKeys.member.6=f\
         &TagKeys.member.7=g&TagKeys.member.8=h&TagKeys.member.9=i&Other.member.1=z",
    );
    assert_eq!(
        request.list("TagKeys.member").unwrap(),
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    );
    assert_eq!(request.list("Other.member").unwrap(), ["z"]);
    assert!(request.list("Absent.member").unwrap().is_empty());
    // botocore sends an empty list as `TagKeys=`.
    assert!(
        ok("Action=X&TagKeys=")
            .list("TagKeys.member")
            .unwrap()
            .is_empty()
    );
    // A longer name that merely starts with the prefix is another parameter.
    assert!(
        ok("Action=X&TagKeys.memberX.1=a")
            .list("TagKeys.member")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rejects_list_gaps_and_bad_indexes() {
    for body in [
        "Action=X&L.member.2=b",
        "Action=X&L.member.1=a&L.member.3=c",
        "Action=X&L.member.0=a",
        "Action=X&L.member.01=a",
        "Action=X&L.member.x=a",
        "Action=X&L.member.=a",
        "Action=X&L.member.-1=a",
        "Action=X&L.member.+1=a",
        "Action=X&L.member.1001=a",
        "Action=X&L.member.99999999999999999999999=a",
        "Action=X&L.member.1.Key=a",
    ] {
        let error = ok(body).list("L.member").unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.status),
            ("ValidationError", 400),
            "{body}"
        );
    }
}

#[test]
fn reads_structure_lists() {
    let request = ok(
        "Action=CreateSAMLProvider&Tags.member.2.Key=team&Tags.member.2.Value=\
         &Tags.member.1.Key=env&Tags.member.1.Value=prod+eu\
         &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
    );
    let tags = request.struct_list("Tags.member").unwrap();
    let expected: Vec<BTreeMap<String, &str>> = vec![
        BTreeMap::from([("Key".to_owned(), "env"), ("Value".to_owned(), "prod eu")]),
        BTreeMap::from([("Key".to_owned(), "team"), ("Value".to_owned(), "")]),
    ];
    assert_eq!(tags, expected);
    let arns = request.struct_list("PolicyArns.member").unwrap();
    assert_eq!(arns.len(), 1);
    assert_eq!(arns[0]["arn"], "arn:aws:iam::aws:policy/ReadOnlyAccess");
    assert!(request.struct_list("Absent.member").unwrap().is_empty());

    for body in [
        "Action=X&Tags.member.1=a",
        "Action=X&Tags.member.1.=a",
        "Action=X&Tags.member.2.Key=a",
        "Action=X&Tags.member.x.Key=a",
        "Action=X&Tags.member.1.Key=a&Tags.member.3.Key=c",
    ] {
        let error = ok(body).struct_list("Tags.member").unwrap_err();
        assert_eq!(error.code, "ValidationError", "{body}");
    }
}

#[test]
fn debug_shows_names_but_not_values() {
    let request =
        ok("Action=AssumeRoleWithSAML&SAMLAssertion=PHNhbWxwOlJlc3BvbnNlIHNlY3JldA%3D%3D");
    let debug = format!("{request:?}");
    assert!(debug.contains("SAMLAssertion"), "{debug}");
    assert!(!debug.contains("PHNhbWxw"), "{debug}");
}
