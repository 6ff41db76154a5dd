//! The `saml:*` context keys (spec/aws-federation.md §1.4, §3.6).

use fedgate_iam_policy::{
    ContextValue, RequestContext, SamlContextInput, name_qualifier, saml_keys,
};

fn input() -> SamlContextInput {
    SamlContextInput {
        issuer: "https://example.com/saml".into(),
        subject: "_cbb88bf52c2510eabe00c1642d4643f41430fe25e3".into(),
        subject_format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient".into()),
        recipient: "https://us-west-2.signin.aws.amazon.com/saml".into(),
        audiences: vec!["urn:amazon:webservices".into()],
        provider_arn: "arn:aws:iam::123456789012:saml-provider/MySAMLIdP".into(),
        account_id: "123456789012".into(),
        attributes: vec![
            (
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.1".into(),
                vec!["faculty".into(), "staff".into()],
            ),
            (
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.3".into(),
                vec!["ExampleOrg".into(), "Ignored".into()],
            ),
            (
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.6".into(),
                vec!["alice@example.com".into()],
            ),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".into(),
                vec!["a@example.com".into()],
            ),
            (
                "urn:oid:0.9.2342.19200300.100.1.3".into(),
                vec!["second@example.com".into()],
            ),
            ("urn:oid:2.5.4.42".into(), vec!["Alice".into()]),
            (
                "https://aws.amazon.com/SAML/Attributes/RoleSessionName".into(),
                vec!["alice".into()],
            ),
        ],
    }
}

fn single(s: &str) -> Option<ContextValue> {
    Some(ContextValue::Single(s.to_owned()))
}

#[test]
fn builds_the_documented_saml_keys() {
    let ctx = RequestContext::new("sts:AssumeRoleWithSAML").with_saml(&input());
    assert_eq!(
        ctx.get("saml:aud").cloned(),
        single("https://us-west-2.signin.aws.amazon.com/saml")
    );
    assert_eq!(
        ctx.get("saml:iss").cloned(),
        single("https://example.com/saml")
    );
    assert_eq!(
        ctx.get("saml:sub").cloned(),
        single("_cbb88bf52c2510eabe00c1642d4643f41430fe25e3")
    );
    assert_eq!(ctx.get("saml:sub_type").cloned(), single("transient"));
    assert_eq!(
        ctx.get("saml:doc").cloned(),
        single("123456789012/MySAMLIdP")
    );
    assert_eq!(
        ctx.get("saml:namequalifier").cloned(),
        single(&name_qualifier(
            "https://example.com/saml",
            "123456789012",
            "MySAMLIdP"
        ))
    );
}

#[test]
fn maps_attributes_to_keys_with_their_arity() {
    let ctx = RequestContext::new("sts:AssumeRoleWithSAML").with_saml(&input());
    assert_eq!(
        ctx.get("saml:edupersonaffiliation").cloned(),
        Some(ContextValue::Multi(vec!["faculty".into(), "staff".into()]))
    );
    // Single-valued keys take the first value.
    assert_eq!(
        ctx.get("saml:edupersonorgdn").cloned(),
        single("ExampleOrg")
    );
    assert_eq!(
        ctx.get("saml:edupersonprincipalname").cloned(),
        single("alice@example.com")
    );
    // Two attributes for one key: the first is mapped.
    assert_eq!(
        ctx.get("saml:mail").cloned(),
        Some(ContextValue::Multi(vec!["a@example.com".into()]))
    );
    assert_eq!(
        ctx.get("saml:givenName").cloned(),
        Some(ContextValue::Multi(vec!["Alice".into()]))
    );
    // AWS-specific attributes are not saml:* keys.
    assert!(
        ctx.keys()
            .iter()
            .all(|(k, _)| !k.contains("rolesessionname"))
    );
    // The Audience element is not a key.
    assert!(
        ctx.keys()
            .iter()
            .all(|(_, v)| v.values().iter().all(|s| s != "urn:amazon:webservices"))
    );
}

#[test]
fn derives_sub_type_for_other_and_missing_formats() {
    let mut other = input();
    other.subject_format = Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into());
    let keys = saml_keys(&other);
    let sub_type = keys
        .iter()
        .find(|(k, _)| *k == "saml:sub_type")
        .map(|(_, v)| v.clone());
    assert_eq!(
        sub_type,
        single("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    let mut missing = input();
    missing.subject_format = None;
    let keys = saml_keys(&missing);
    let sub_type = keys
        .iter()
        .find(|(k, _)| *k == "saml:sub_type")
        .map(|(_, v)| v.clone());
    assert_eq!(
        sub_type,
        single("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
    );
}

#[test]
fn computes_name_qualifier_as_issuer_account_slash_provider() {
    // Known answer: printf 'https://example.com/saml123456789012/MySAMLIdP' | sha1sum | xxd -r -p | base64
    assert_eq!(
        name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
        "1uAJanUnBc2XeUkHURMht+xam2c="
    );
}
