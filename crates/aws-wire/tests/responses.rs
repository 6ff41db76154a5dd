#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step is a failed test"
)]
//! Snapshots of the Query-protocol XML fedgate answers with (STYLE.md habit 12), and a check
//! that every escaped value reads back unchanged. Credentials are fixed fake values.

use fedgate_aws_wire::{AwsError, Service, XmlWriter, error_response, iso8601, success_response};
use time::macros::datetime;

const REQUEST_ID: &str = "c2a1e7e0-5b7c-4f43-9d11-0123456789ab";
/// Every character XML gives a meaning to.
const SPECIALS: &str = "a<b>&c\"d'e";

/// Parses `xml` and returns the text of the first element called `name`.
fn text_of(xml: &str, name: &str) -> String {
    let document = roxmltree::Document::parse(xml).unwrap();
    document
        .descendants()
        .find(|node| node.has_tag_name(name))
        .unwrap_or_else(|| panic!("no {name} in {xml}"))
        .text()
        .unwrap_or_default()
        .to_owned()
}

fn iam_create_saml_provider() -> String {
    let mut result = XmlWriter::new();
    result
        .element(
            "SAMLProviderArn",
            "arn:aws:iam::123456789012:saml-provider/Primary",
        )
        .start("Tags")
        .start("member")
        .element("Key", "team")
        .element("Value", SPECIALS)
        .end()
        .end();
    success_response(
        Service::Iam,
        "CreateSAMLProvider",
        REQUEST_ID,
        Some(&result.finish()),
    )
}

fn sts_assume_role_with_saml() -> String {
    let mut result = XmlWriter::new();
    result
        .element("Audience", "https://signin.aws.amazon.com/saml")
        .start("AssumedRoleUser")
        .element("AssumedRoleId", "AROAEXAMPLEEXAMPLE1234:alice")
        .element(
            "Arn",
            "arn:aws:sts::123456789012:assumed-role/ConnectSaml/alice",
        )
        .end()
        .start("Credentials")
        .element("AccessKeyId", "ASIAEXAMPLEEXAMPLE12")
        .element("SecretAccessKey", "[redacted-secret]")
        .element("SessionToken", "[redacted-token]")
        .element(
            "Expiration",
            &iso8601(datetime!(2026-01-01 13:00:00.250 UTC)),
        )
        .end()
        .element("Issuer", "https://idp.example.com/saml?a=1&b=2")
        .element("NameQualifier", "Jtg3Bfn1g6t0wXDp9fNblVkOAIM=")
        .element("PackedPolicySize", "6")
        .optional("SourceIdentity", None)
        .element("Subject", SPECIALS)
        .element("SubjectType", "persistent");
    success_response(
        Service::Sts,
        "AssumeRoleWithSAML",
        REQUEST_ID,
        Some(&result.finish()),
    )
}

#[test]
fn iam_success_response() {
    let xml = iam_create_saml_provider();
    insta::assert_snapshot!(xml);
    assert_eq!(text_of(&xml, "Value"), SPECIALS);
    assert_eq!(text_of(&xml, "RequestId"), REQUEST_ID);
}

#[test]
fn iam_success_response_without_result() {
    let xml = success_response(Service::Iam, "DeleteSAMLProvider", REQUEST_ID, None);
    insta::assert_snapshot!(xml);
    roxmltree::Document::parse(&xml).unwrap();
}

#[test]
fn sts_success_response() {
    let xml = sts_assume_role_with_saml();
    insta::assert_snapshot!(xml);
    assert_eq!(text_of(&xml, "Subject"), SPECIALS);
    assert_eq!(
        text_of(&xml, "Issuer"),
        "https://idp.example.com/saml?a=1&b=2"
    );
    assert_eq!(text_of(&xml, "Expiration"), "2026-01-01T13:00:00Z");
    let document = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        document.root_element().tag_name().namespace(),
        Some("https://sts.amazonaws.com/doc/2011-06-15/")
    );
}

#[test]
fn iam_no_such_entity_error_response() {
    let error = AwsError::no_such_entity(format!(
        "Manifest not found for arn arn:aws:iam::123456789012:saml-provider/{SPECIALS}"
    ));
    let xml = error_response(Service::Iam, &error, REQUEST_ID);
    insta::assert_snapshot!(xml);
    assert_eq!(text_of(&xml, "Type"), "Sender");
    assert!(text_of(&xml, "Message").ends_with(SPECIALS));
}

#[test]
fn sts_invalid_identity_token_error_response() {
    let error = AwsError::new(
        "InvalidIdentityToken",
        400,
        "Response signature invalid: <ds:Signature> & 'SignedInfo' \"digest\"",
    );
    let xml = error_response(Service::Sts, &error, REQUEST_ID);
    insta::assert_snapshot!(xml);
    assert_eq!(
        text_of(&xml, "Message"),
        "Response signature invalid: <ds:Signature> & 'SignedInfo' \"digest\""
    );
}

#[test]
fn server_errors_are_receiver_faults() {
    let xml = error_response(
        Service::Iam,
        &AwsError::service_failure("internal error"),
        REQUEST_ID,
    );
    assert_eq!(text_of(&xml, "Type"), "Receiver");
}

#[test]
fn services_name_their_namespace_version_and_signing_name() {
    assert_eq!(
        Service::Iam.namespace(),
        "https://iam.amazonaws.com/doc/2010-05-08/"
    );
    assert_eq!(
        Service::Sts.namespace(),
        "https://sts.amazonaws.com/doc/2011-06-15/"
    );
    assert_eq!(Service::Iam.version(), "2010-05-08");
    assert_eq!(Service::Sts.version(), "2011-06-15");
    assert_eq!(Service::Iam.signing_name(), "iam");
    assert_eq!(Service::Sts.signing_name(), "sts");
    assert_eq!(Service::from_signing_name("sts"), Some(Service::Sts));
    assert_eq!(Service::from_signing_name("s3"), None);
}
