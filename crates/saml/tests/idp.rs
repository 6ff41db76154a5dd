//! The identity-provider side (`fedgate_saml::idp`) end to end with the committed test keys:
//! responses it builds and signs pass fedgate's own SP validation and `xmlsec1 --verify`, and
//! a changed value does not; its metadata is read back by the SP's metadata reader; SP metadata
//! fixtures are read; AuthnRequests over HTTP-Redirect and HTTP-POST are verified against the
//! SP's keys, and every tampering or missing signature is refused with its code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use base64::Engine as _;
use fedgate_dsig::{SigningKey, TrustedKey, sign_enveloped};
use fedgate_saml::idp::{
    AuthnRequest, PASSWORD_PROTECTED_TRANSPORT, RequestKeys, ResponseSpec, SpMetadata, XmlId,
    build_response, idp_metadata, parse_sp_metadata, receive_post, receive_redirect, sign_response,
};
use fedgate_saml::metadata::parse_metadata;
use fedgate_saml::{
    Attribute, Error, IdentityProvider, NameId, ServiceProvider, ValidatedAssertion,
    validate_response,
};
use fedgate_xml::{Document, Limits};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const IDP: &str = "https://idp.example.test/saml";
const SP: &str = "https://sp.example.test/shibboleth";
const ACS: &str = "https://sp.example.test/app/saml/acs";
const REQUEST_ID: &str = "_8d2c4f1e9a7b6350c2e1d0f9a8b7c6d5";
const T0: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);
const NOW: OffsetDateTime = datetime!(2026-01-01 00:01:00 UTC);
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    let full = repo_root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn pem_der(path: &str) -> Vec<u8> {
    fedgate_dsig::pem_block(&read(path)).unwrap().1
}

/// `tests/keys/<name>.key.pem` with its certificate.
fn signing_key(name: &str) -> SigningKey {
    SigningKey::from_pem(
        &read(&format!("tests/keys/{name}.key.pem")),
        &read(&format!("tests/keys/{name}.cert.pem")),
    )
    .unwrap()
}

fn trusted(name: &str) -> TrustedKey {
    TrustedKey::from_certificate_der(&pem_der(&format!("tests/keys/{name}.cert.pem"))).unwrap()
}

fn attribute(name: &str, values: &[&str]) -> Attribute {
    Attribute {
        name: name.to_owned(),
        name_format: Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri".to_owned()),
        friendly_name: None,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

fn spec(attributes: Vec<Attribute>) -> ResponseSpec {
    ResponseSpec {
        issuer: IDP.to_owned(),
        destination: ACS.to_owned(),
        audience: SP.to_owned(),
        in_response_to: Some(REQUEST_ID.to_owned()),
        response_id: XmlId::new("_r0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5").unwrap(),
        assertion_id: XmlId::new("_a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5").unwrap(),
        issue_instant: T0,
        not_before: T0 - Duration::seconds(30),
        not_on_or_after: T0 + Duration::minutes(5),
        subject_not_on_or_after: T0 + Duration::minutes(5),
        name_id: NameId {
            value: "alice@example.test".to_owned(),
            format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".to_owned()),
            name_qualifier: None,
            sp_name_qualifier: None,
        },
        session_index: "_s1".to_owned(),
        authn_instant: T0 - Duration::seconds(10),
        session_not_on_or_after: Some(T0 + Duration::hours(8)),
        authn_context_class_ref: None,
        attributes,
    }
}

fn default_attributes() -> Vec<Attribute> {
    vec![
        attribute("urn:oid:0.9.2342.19200300.100.1.3", &["alice@example.test"]),
        attribute(
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
            &["engineering", "oncall"],
        ),
    ]
}

/// fedgate's own SP validation, trusting `key` for [`IDP`], expecting request [`REQUEST_ID`].
fn validate(xml: &str, key: TrustedKey) -> Result<ValidatedAssertion, Error> {
    let provider = IdentityProvider::new(Some(IDP.to_owned()), vec![key]).unwrap();
    let sp = ServiceProvider {
        audiences: vec![SP.to_owned()],
        acs_urls: vec![ACS.to_owned()],
        ..ServiceProvider::default()
    };
    validate_response(xml, &[provider], &sp, NOW, &[REQUEST_ID.to_owned()])
}

fn signed(spec: &ResponseSpec, key: &SigningKey, sign_response_too: bool) -> String {
    sign_response(
        &build_response(spec),
        spec.assertion_id.as_str(),
        spec.response_id.as_str(),
        key,
        sign_response_too,
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn rsa_signed_response_validates_and_a_changed_attribute_value_is_refused() {
    let spec = spec(default_attributes());
    let xml = signed(&spec, &signing_key("idp-a"), false);
    let validated = validate(&xml, trusted("idp-a")).unwrap();
    assert!(validated.signed().assertion && !validated.signed().response);
    assert_eq!(validated.issuer(), IDP);
    assert_eq!(validated.assertion_id(), spec.assertion_id.as_str());
    assert_eq!(validated.subject(), &spec.name_id);
    assert_eq!(validated.recipient(), ACS);
    assert_eq!(validated.audiences(), [SP.to_owned()]);
    assert_eq!(validated.unverified_in_response_to(), Some(REQUEST_ID));
    assert_eq!(validated.attributes(), spec.attributes.as_slice());
    assert_eq!(validated.authn_instant(), Some(spec.authn_instant));
    assert_eq!(
        validated.session_not_on_or_after(),
        spec.session_not_on_or_after
    );
    assert_eq!(validated.not_on_or_after(), spec.not_on_or_after);
    assert!(xml.contains(PASSWORD_PROTECTED_TRANSPORT));

    let tampered = xml.replacen(">engineering<", ">administrators<", 1);
    assert_ne!(tampered, xml);
    assert_eq!(
        validate(&tampered, trusted("idp-a")).unwrap_err().code(),
        "digest_mismatch"
    );
    assert_eq!(
        validate(&xml, trusted("attacker")).unwrap_err().code(),
        "key_not_trusted",
        "a response is only good with the key that signed it"
    );
}

#[test]
fn p256_signed_responses_validate_with_and_without_the_response_signature() {
    let key = signing_key("idp-a-ec");
    let spec = spec(default_attributes());
    for sign_response_too in [false, true] {
        let xml = signed(&spec, &key, sign_response_too);
        assert_eq!(
            xml.matches("<ds:Signature ").count(),
            1 + usize::from(sign_response_too)
        );
        let validated = validate(&xml, trusted("idp-a-ec")).unwrap();
        assert!(validated.signed().assertion);
        assert_eq!(validated.signed().response, sign_response_too);
        assert_eq!(validated.attributes(), spec.attributes.as_slice());

        let tampered = xml.replacen(">oncall<", ">root<", 1);
        assert_eq!(
            validate(&tampered, trusted("idp-a-ec")).unwrap_err().code(),
            "digest_mismatch",
            "sign_response_too = {sign_response_too}"
        );
    }
}

#[test]
fn rsa_response_signed_twice_validates_and_the_response_signature_covers_the_assertion() {
    let spec = spec(default_attributes());
    let xml = signed(&spec, &signing_key("idp-a"), true);
    let validated = validate(&xml, trusted("idp-a")).unwrap();
    assert!(validated.signed().assertion && validated.signed().response);
    // Response: Issuer, Signature, Status, Assertion (saml-core schema order).
    let document = Document::parse(&xml, &Limits::default()).unwrap();
    let names: Vec<&str> = document
        .root_element()
        .children()
        .map(|c| c.local_name())
        .collect();
    assert_eq!(names, ["Issuer", "Signature", "Status", "Assertion"]);
}

#[test]
fn hostile_values_are_escaped_and_round_trip_through_signing_and_validation() {
    let hostile = [
        "a<b",
        "x & y",
        r#"say "hi""#,
        "]]>",
        "it's",
        "<![CDATA[x]]>",
        "</saml:AttributeValue><saml:AttributeValue>admin",
        "&amp; stays literal",
        "line1\nline2\ttab\r\nend\r",
        "  padded  ",
        "",
        "ünïcødé €𝄞",
    ];
    let mut spec = spec(vec![
        attribute("urn:example:hostile", &hostile),
        Attribute {
            name: r#"urn:example:"name"&<more>"#.to_owned(),
            name_format: None,
            friendly_name: Some("it's <friendly> & \"quoted\"".to_owned()),
            values: vec!["]]>".to_owned()],
        },
    ]);
    spec.name_id.value = r#"bob&<"'>@example.test"#.to_owned();
    spec.name_id.sp_name_qualifier = Some(r#"a"b"#.to_owned());
    spec.session_index = r#"_s"><x y="#.to_owned();
    let xml = signed(&spec, &signing_key("idp-a"), true);
    assert!(
        !xml.contains("]]>"),
        "no literal ]]> anywhere in the output"
    );
    let validated = validate(&xml, trusted("idp-a")).unwrap();
    assert_eq!(validated.attributes(), spec.attributes.as_slice());
    assert_eq!(validated.subject(), &spec.name_id);
}

#[test]
fn characters_xml_cannot_carry_become_replacement_characters() {
    let spec = spec(vec![attribute(
        "urn:example:controls",
        &["a\u{0}b\u{1b}c\u{fffe}"],
    )]);
    let xml = signed(&spec, &signing_key("idp-a"), false);
    let validated = validate(&xml, trusted("idp-a")).unwrap();
    assert_eq!(
        validated.attributes()[0].values,
        ["a\u{fffd}b\u{fffd}c\u{fffd}"]
    );
}

#[test]
fn a_response_without_attributes_has_no_attribute_statement() {
    let mut spec = spec(Vec::new());
    spec.in_response_to = None;
    spec.authn_context_class_ref = Some("urn:oasis:names:tc:SAML:2.0:ac:classes:X509".to_owned());
    let xml = build_response(&spec);
    assert!(!xml.contains("AttributeStatement") && !xml.contains("InResponseTo"));
    assert!(xml.contains(">urn:oasis:names:tc:SAML:2.0:ac:classes:X509<"));
    let xml = sign_response(
        &xml,
        spec.assertion_id.as_str(),
        spec.response_id.as_str(),
        &signing_key("idp-a"),
        false,
    )
    .unwrap();
    let provider = IdentityProvider::new(Some(IDP.to_owned()), vec![trusted("idp-a")]).unwrap();
    let sp = ServiceProvider {
        audiences: vec![SP.to_owned()],
        acs_urls: vec![ACS.to_owned()],
        ..ServiceProvider::default()
    };
    let validated = validate_response(&xml, &[provider], &sp, NOW, &[]).unwrap();
    assert!(validated.attributes().is_empty());
    assert_eq!(validated.unverified_in_response_to(), None);
}

#[test]
fn sign_response_refuses_ids_of_the_wrong_elements() {
    let spec = spec(default_attributes());
    let xml = build_response(&spec);
    let key = signing_key("idp-a");
    let (assertion, response) = (spec.assertion_id.as_str(), spec.response_id.as_str());
    for (assertion_id, response_id) in [
        (response, assertion),
        (assertion, assertion),
        ("_missing", response),
        (assertion, "_missing"),
    ] {
        let error = sign_response(&xml, assertion_id, response_id, &key, true).unwrap_err();
        assert_eq!(error.code(), "response_signing_failed", "{error}");
    }
}

#[test]
fn xmlsec1_verifies_a_fedgate_idp_response_and_refuses_a_tampered_copy() {
    let mut attributes = default_attributes();
    attributes.push(attribute("urn:example:hostile", &["a<b & \"c\" ]]> 'd'"]));
    let xml = signed(&spec(attributes), &signing_key("idp-a"), false);
    let dir = std::env::temp_dir().join(format!("fedgate-idp-xmlsec1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |name: &str, document: &str| {
        let path = dir.join(name);
        std::fs::write(&path, document).unwrap();
        let output = Command::new("xmlsec1")
            .arg("--verify")
            .arg("--pubkey-cert-pem")
            .arg(repo_root().join("tests/keys/idp-a.cert.pem"))
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .arg(&path)
            .output()
            .unwrap_or_else(|error| {
                panic!("xmlsec1 could not run ({error}): install it (scripts/setup-test-env.sh)")
            });
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, stderr) = run("signed.xml", &xml);
    assert!(ok, "xmlsec1 refused fedgate's response:\n{stderr}\n{xml}");
    let (ok, _) = run(
        "tampered.xml",
        &xml.replacen(">engineering<", ">administrators<", 1),
    );
    assert!(!ok, "xmlsec1 accepted a tampered response");
}

// ---------------------------------------------------------------------------------------------
// IdP metadata

#[test]
fn idp_metadata_is_read_back_by_the_sp_metadata_reader_with_the_same_key() {
    let key = signing_key("idp-a");
    let entity_id = "https://idp.example.test/saml?tenant=a&x=\"1\"";
    let xml = idp_metadata(
        entity_id,
        "https://idp.example.test/saml/sso/redirect",
        "https://idp.example.test/saml/sso/post",
        key.certificate_der(),
        true,
    );
    let providers = parse_metadata(&xml, &Limits::default()).unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].entity_id(), Some(entity_id));
    assert_eq!(providers[0].keys().len(), 1);
    assert_eq!(
        providers[0].keys()[0].certificate_der(),
        Some(key.certificate_der())
    );

    let document = Document::parse(&xml, &Limits::default()).unwrap();
    let descriptor = document.root_element().children().next().unwrap();
    assert_eq!(descriptor.local_name(), "IDPSSODescriptor");
    assert_eq!(
        descriptor.attribute("WantAuthnRequestsSigned"),
        Some("true")
    );
    let formats: Vec<String> = descriptor
        .children()
        .filter(|c| c.local_name() == "NameIDFormat")
        .map(|c| c.text().unwrap().into_owned())
        .collect();
    assert_eq!(
        formats,
        [
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        ]
    );
    let services: Vec<(&str, &str)> = descriptor
        .children()
        .filter(|c| c.local_name() == "SingleSignOnService")
        .map(|c| {
            (
                c.attribute("Binding").unwrap(),
                c.attribute("Location").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            (
                "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                "https://idp.example.test/saml/sso/redirect"
            ),
            (
                "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                "https://idp.example.test/saml/sso/post"
            ),
        ]
    );
    let unsigned_requests = idp_metadata(IDP, ACS, ACS, key.certificate_der(), false);
    assert!(unsigned_requests.contains("WantAuthnRequestsSigned=\"false\""));

    // And a response signed with that key validates against the provider read back.
    let mut spec = spec(default_attributes());
    spec.issuer = entity_id.to_owned();
    let response = signed(&spec, &key, false);
    let sp = ServiceProvider {
        audiences: vec![SP.to_owned()],
        acs_urls: vec![ACS.to_owned()],
        ..ServiceProvider::default()
    };
    validate_response(&response, &providers, &sp, NOW, &[]).unwrap();
}

// ---------------------------------------------------------------------------------------------
// SP metadata

/// The smallest SP metadata: `key_descriptor` and one HTTP-POST endpoint.
fn minimal_sp(key_descriptor: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{SP}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{key_descriptor}<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

#[test]
fn reads_minimal_sp_metadata_without_keys() {
    let sp = parse_sp_metadata(&minimal_sp(""), &Limits::default()).unwrap();
    assert_eq!(sp.entity_id, SP);
    assert!(sp.signing_keys.is_empty());
    assert!(!sp.authn_requests_signed && !sp.want_assertions_signed);
    assert_eq!(sp.assertion_consumer_services.len(), 1);
    assert!(!sp.assertion_consumer_services[0].is_default);
}

fn sp_metadata() -> SpMetadata {
    parse_sp_metadata(
        &read("crates/saml/tests/idp/sp-metadata.xml"),
        &Limits::default(),
    )
    .unwrap()
}

#[test]
fn reads_realistic_sp_metadata() {
    let sp = sp_metadata();
    assert_eq!(sp.entity_id, SP);
    assert!(sp.authn_requests_signed && sp.want_assertions_signed);
    assert_eq!(sp.valid_until, None);
    let endpoints: Vec<(&str, &str, Option<u16>, bool)> = sp
        .assertion_consumer_services
        .iter()
        .map(|e| {
            (
                e.binding.rsplit(':').next().unwrap(),
                e.location.as_str(),
                e.index,
                e.is_default,
            )
        })
        .collect();
    assert_eq!(
        endpoints,
        [
            (
                "HTTP-POST",
                "https://sp.example.test/Shibboleth.sso/SAML2/POST",
                Some(1),
                false
            ),
            (
                "HTTP-POST-SimpleSign",
                "https://sp.example.test/Shibboleth.sso/SAML2/POST-SimpleSign",
                Some(2),
                false
            ),
            (
                "HTTP-Artifact",
                "https://sp.example.test/Shibboleth.sso/SAML2/Artifact",
                Some(3),
                false
            ),
            (
                "PAOS",
                "https://sp.example.test/Shibboleth.sso/SAML2/ECP",
                Some(4),
                false
            ),
            (
                "browser-post",
                "https://sp.example.test/Shibboleth.sso/SAML/POST",
                Some(5),
                false
            ),
            ("HTTP-POST", ACS, Some(6), true),
        ]
    );
    // use="signing" and no use are signing keys; use="encryption" is not.
    let certificates: Vec<Option<&[u8]>> = sp
        .signing_keys
        .iter()
        .map(TrustedKey::certificate_der)
        .collect();
    let rsa = pem_der("tests/keys/idp-a.cert.pem");
    let ec = pem_der("tests/keys/idp-a-ec.cert.pem");
    assert_eq!(certificates, [Some(rsa.as_slice()), Some(ec.as_slice())]);
}

#[test]
fn reads_the_one_service_provider_of_an_aggregate() {
    let sp = parse_sp_metadata(
        &read("crates/saml/tests/idp/sp-aggregate.xml"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(sp.entity_id, SP);
    assert_eq!(sp.assertion_consumer_services.len(), 6);
    assert_eq!(sp.signing_keys.len(), 2);
    assert_eq!(
        sp.valid_until,
        Some(datetime!(2044-06-30 12:00:00 UTC)),
        "the earliest validUntil of the entity's groups"
    );
}

#[test]
fn refuses_unusable_sp_metadata_with_the_reason() {
    let fixture = read("crates/saml/tests/idp/sp-metadata.xml");
    let aggregate = read("crates/saml/tests/idp/sp-aggregate.xml");
    let without_acs: String = fixture
        .lines()
        .filter(|line| !line.contains("<md:AssertionConsumerService "))
        .collect::<Vec<_>>()
        .join("\n");
    let sp_entity = &fixture[fixture.find("<md:EntityDescriptor").unwrap()..];
    let two_sps = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}{}</md:EntitiesDescriptor>"#,
        sp_entity.trim(),
        sp_entity
            .trim()
            .replace(SP, "https://other-sp.example.test")
            .replace(r#"ID="_7f1c"#, r#"ID="_8f1c"#)
    );
    let cases: Vec<(&str, String, &str)> = vec![
        ("no ACS", without_acs, "sp_metadata_invalid"),
        (
            "javascript: ACS",
            fixture.replace(
                "https://sp.example.test/app/saml/acs",
                "javascript:alert(document.cookie)",
            ),
            "sp_metadata_invalid",
        ),
        (
            "relative ACS",
            fixture.replace("https://sp.example.test/app/saml/acs", "/app/saml/acs"),
            "sp_metadata_invalid",
        ),
        (
            "no SP (IdP metadata)",
            read("tests/keys/idp-a-metadata.xml"),
            "sp_metadata_invalid",
        ),
        ("two SPs", two_sps, "sp_metadata_invalid"),
        (
            "SAML 1.1 only",
            fixture.replace(
                r#"protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol "#,
                r#"protocolSupportEnumeration=""#,
            ),
            "sp_metadata_invalid",
        ),
        (
            "bad index",
            fixture.replace(r#"index="6""#, r#"index="-1""#),
            "sp_metadata_invalid",
        ),
        (
            "bad flag",
            fixture.replace(
                r#"AuthnRequestsSigned="true""#,
                r#"AuthnRequestsSigned="yes""#,
            ),
            "sp_metadata_invalid",
        ),
        (
            "weak signing key",
            minimal_sp(&format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                base64::engine::general_purpose::STANDARD
                    .encode(pem_der("tests/keys/weak-rsa1024.cert.pem"))
            )),
            "key_too_weak",
        ),
        (
            "certificate not base64",
            minimal_sp(
                r#"<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>!!</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
            ),
            "sp_metadata_invalid",
        ),
        (
            "DOCTYPE",
            format!(
                "<!DOCTYPE x []>{}",
                &aggregate[aggregate.find("<md:").unwrap()..]
            ),
            "xml_dtd_forbidden",
        ),
        ("not metadata", "<a/>".to_owned(), "sp_metadata_invalid"),
    ];
    for (name, xml, code) in cases {
        let error = parse_sp_metadata(&xml, &Limits::default()).unwrap_err();
        assert_eq!(error.code(), code, "{name}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// AuthnRequest

fn request_xml(id: &str, attributes: &str) -> String {
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="https://idp.example.test/saml/sso"{attributes}><saml:Issuer>{SP}</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/></samlp:AuthnRequest>"#
    )
}

fn deflate_base64(xml: &str) -> String {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(xml.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, with upper- or lower-case
/// hex digits (AD FS and Entra ID use lower case).
fn form_encode(value: &str, lowercase: bool) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else if lowercase {
            write!(out, "%{byte:02x}").unwrap();
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

fn rsa_signer(name: &'static str) -> impl Fn(&[u8]) -> Vec<u8> {
    move |octets| {
        let pair = RsaKeyPair::from_pkcs8(&pem_der(&format!("tests/keys/{name}.key.pem"))).unwrap();
        let mut out = vec![0; pair.public_modulus_len()];
        pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            octets,
            &mut out,
        )
        .unwrap();
        out
    }
}

fn p256_signer(octets: &[u8]) -> Vec<u8> {
    let pair = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pem_der("tests/keys/idp-a-ec.key.pem"),
    )
    .unwrap();
    pair.sign(&SystemRandom::new(), octets)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// An HTTP-Redirect query for `xml`, signed by `sign` over the octets the binding defines.
fn signed_query(
    xml: &str,
    relay_state: Option<&str>,
    sig_alg: &str,
    lowercase: bool,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let mut octets = format!(
        "SAMLRequest={}",
        form_encode(&deflate_base64(xml), lowercase)
    );
    if let Some(relay_state) = relay_state {
        write!(
            octets,
            "&RelayState={}",
            form_encode(relay_state, lowercase)
        )
        .unwrap();
    }
    write!(octets, "&SigAlg={}", form_encode(sig_alg, lowercase)).unwrap();
    let signature = base64::engine::general_purpose::STANDARD.encode(sign(octets.as_bytes()));
    format!("{octets}&Signature={}", form_encode(&signature, lowercase))
}

const RELAY_STATE: &str = "/apps/console?tab=1 2&x=é";

fn redirect(
    query: &str,
    keys: RequestKeys<'_>,
) -> Result<fedgate_saml::idp::ReceivedRequest, Error> {
    receive_redirect(query, keys, &Limits::default())
}

#[test]
fn redirect_request_signed_with_an_sp_key_is_verified() {
    let sp = sp_metadata();
    let xml = request_xml(
        REQUEST_ID,
        r#" AssertionConsumerServiceURL="https://sp.example.test/app/saml/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="true""#,
    );
    let query = signed_query(
        &xml,
        Some(RELAY_STATE),
        RSA_SHA256,
        false,
        rsa_signer("idp-a"),
    );
    let received = redirect(&query, RequestKeys::for_sp(&sp)).unwrap();
    assert!(received.signed);
    assert_eq!(received.relay_state.as_deref(), Some(RELAY_STATE));
    let request = &received.request;
    assert_eq!(request.id, REQUEST_ID);
    assert_eq!(request.issuer.as_deref(), Some(SP));
    assert_eq!(request.issue_instant, T0);
    assert_eq!(
        request.destination.as_deref(),
        Some("https://idp.example.test/saml/sso")
    );
    assert_eq!(request.assertion_consumer_service_url.as_deref(), Some(ACS));
    assert!(request.force_authn && !request.is_passive);
    assert_eq!(
        request.name_id_policy_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(
        sp.assertion_consumer_service(request).unwrap().location,
        ACS
    );
    request
        .check_fresh(NOW, Duration::minutes(5), Duration::seconds(180))
        .unwrap();

    // Without RelayState, and signed with the SP's P-256 key, and with lower-case escapes
    // (verified over the octets as received, never re-encoded).
    let query = signed_query(&xml, None, ECDSA_SHA256, false, p256_signer);
    let received = redirect(&query, RequestKeys::for_sp(&sp)).unwrap();
    assert!(received.signed && received.relay_state.is_none());
    let query = signed_query(
        &xml,
        Some(RELAY_STATE),
        RSA_SHA256,
        true,
        rsa_signer("idp-a"),
    );
    assert!(query.contains("%2f"));
    let received = redirect(&query, RequestKeys::for_sp(&sp)).unwrap();
    assert!(received.signed);
    assert_eq!(received.relay_state.as_deref(), Some(RELAY_STATE));
    // Parameter order does not matter; the signed octets are rebuilt in the binding's order.
    let (signed_part, signature) = query.split_once("&Signature=").unwrap();
    let reordered = format!("Signature={signature}&{signed_part}&unrelated=1");
    assert!(
        redirect(&reordered, RequestKeys::for_sp(&sp))
            .unwrap()
            .signed
    );
}

#[test]
fn redirect_signature_breaks_when_any_signed_octet_changes() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, "");
    let query = signed_query(
        &xml,
        Some(RELAY_STATE),
        RSA_SHA256,
        false,
        rsa_signer("idp-a"),
    );
    let refused = Err(Error::RequestSignatureInvalid(
        fedgate_dsig::Error::SignatureInvalid,
    ));

    // One character of RelayState flipped.
    let at = query.find("RelayState=").unwrap() + "RelayState=".len() + 4;
    let mut flipped = query.clone().into_bytes();
    flipped[at] = if flipped[at] == b'a' { b'b' } else { b'a' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_ne!(flipped, query);
    assert_eq!(redirect(&flipped, RequestKeys::for_sp(&sp)), refused);

    // Data appended to RelayState after signing (CVE-2026-134822 shape), or RelayState dropped.
    let appended = query.replacen("&SigAlg=", "%3Dhttps%3A%2F%2Fevil.example&SigAlg=", 1);
    assert_eq!(redirect(&appended, RequestKeys::for_sp(&sp)), refused);
    let relay_start = query.find("&RelayState=").unwrap();
    let relay_end = query.find("&SigAlg=").unwrap();
    let dropped = format!("{}{}", &query[..relay_start], &query[relay_end..]);
    assert_eq!(redirect(&dropped, RequestKeys::for_sp(&sp)), refused);

    // The same escape in the other case is a different octet.
    let recased = query.replacen("%2F", "%2f", 1);
    assert_ne!(recased, query);
    assert_eq!(redirect(&recased, RequestKeys::for_sp(&sp)), refused);

    // Signed by the attacker's key.
    let forged = signed_query(
        &xml,
        Some(RELAY_STATE),
        RSA_SHA256,
        false,
        rsa_signer("attacker"),
    );
    assert_eq!(redirect(&forged, RequestKeys::for_sp(&sp)), refused);
    assert_eq!(
        redirect(&forged, RequestKeys::for_sp(&sp))
            .unwrap_err()
            .code(),
        "request_signature_invalid"
    );
}

#[test]
fn redirect_signature_algorithms_outside_the_allow_list_are_refused() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, "");
    for (sig_alg, expected) in [
        (
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            fedgate_dsig::Error::Sha1NotAllowed {
                uri: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".to_owned(),
            },
        ),
        (
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
            fedgate_dsig::Error::AlgorithmForbidden {
                uri: "http://www.w3.org/2000/09/xmldsig#hmac-sha1".to_owned(),
            },
        ),
    ] {
        let query = signed_query(&xml, None, sig_alg, false, rsa_signer("idp-a"));
        assert_eq!(
            redirect(&query, RequestKeys::for_sp(&sp)),
            Err(Error::RequestSignatureInvalid(expected))
        );
    }
}

#[test]
fn unsigned_redirect_requests_count_as_unsigned_and_are_refused_when_a_signature_is_required() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, "");
    let unsigned = format!(
        "SAMLRequest={}&RelayState={}",
        form_encode(&deflate_base64(&xml), false),
        form_encode(RELAY_STATE, false)
    );
    assert!(sp.authn_requests_signed);
    assert_eq!(
        redirect(&unsigned, RequestKeys::for_sp(&sp)),
        Err(Error::RequestUnsigned)
    );
    let received = redirect(&unsigned, RequestKeys::new(&sp.signing_keys, false)).unwrap();
    assert!(!received.signed);
    assert_eq!(received.request.id, REQUEST_ID);

    // A signature nobody can check (the SP has no keys) does not make a request signed.
    let signed = signed_query(&xml, None, RSA_SHA256, false, rsa_signer("idp-a"));
    let received = redirect(&signed, RequestKeys::new(&[], false)).unwrap();
    assert!(!received.signed);
    assert_eq!(
        redirect(&signed, RequestKeys::new(&[], true)),
        Err(Error::RequestUnsigned)
    );
}

#[test]
fn malformed_redirect_queries_are_refused() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, "");
    let signed = signed_query(
        &xml,
        Some(RELAY_STATE),
        RSA_SHA256,
        false,
        rsa_signer("idp-a"),
    );
    let request_parameter = signed.split('&').next().unwrap().to_owned();
    let cases = [
        (
            "duplicate SAMLRequest",
            format!("{signed}&{request_parameter}"),
        ),
        (
            "duplicate SAMLRequest, encoded name",
            format!("{signed}&SAML%52equest=x"),
        ),
        ("duplicate RelayState", format!("{signed}&RelayState=x")),
        ("duplicate Signature", format!("{signed}&Signature=x")),
        (
            "SigAlg without Signature",
            signed[..signed.find("&Signature=").unwrap()].to_owned(),
        ),
        ("no SAMLRequest", "RelayState=x".to_owned()),
        (
            "bad escape",
            signed.replacen("RelayState=", "RelayState=%zz", 1),
        ),
    ];
    for (name, query) in cases {
        let error = redirect(&query, RequestKeys::for_sp(&sp)).unwrap_err();
        assert_eq!(error.code(), "query_invalid", "{name}: {error}");
    }
    let not_base64 = signed.replacen("&Signature=", "&Signature=%25%25", 1);
    assert_eq!(
        redirect(&not_base64, RequestKeys::for_sp(&sp))
            .unwrap_err()
            .code(),
        "request_signature_invalid"
    );
}

fn post_keys(sp: &SpMetadata) -> RequestKeys<'_> {
    RequestKeys::for_sp(sp)
}

fn post(xml: &str, keys: RequestKeys<'_>) -> Result<fedgate_saml::idp::ReceivedRequest, Error> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
    receive_post(&encoded, Some("relay"), keys, &Limits::default())
}

#[test]
fn post_request_with_an_enveloped_signature_is_verified() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, r#" AssertionConsumerServiceIndex="6""#);
    for key in ["idp-a", "idp-a-ec"] {
        let signed = sign_enveloped(&xml, REQUEST_ID, &signing_key(key)).unwrap();
        let received = post(&signed, post_keys(&sp)).unwrap();
        assert!(received.signed, "{key}");
        assert_eq!(received.relay_state.as_deref(), Some("relay"));
        assert_eq!(received.request.id, REQUEST_ID);
        assert_eq!(received.request.assertion_consumer_service_index, Some(6));
        assert_eq!(
            sp.assertion_consumer_service(&received.request)
                .unwrap()
                .location,
            ACS
        );
    }
}

#[test]
fn modified_or_foreign_signed_post_requests_are_refused() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, r#" AssertionConsumerServiceIndex="6""#);
    let signed = sign_enveloped(&xml, REQUEST_ID, &signing_key("idp-a")).unwrap();

    let modified = signed.replacen(
        r#"AssertionConsumerServiceIndex="6""#,
        r#"AssertionConsumerServiceIndex="1""#,
        1,
    );
    assert_ne!(modified, signed);
    assert_eq!(
        post(&modified, post_keys(&sp)),
        Err(Error::RequestSignatureInvalid(
            fedgate_dsig::Error::DigestMismatch
        ))
    );

    let forged = sign_enveloped(&xml, REQUEST_ID, &signing_key("attacker")).unwrap();
    let error = post(&forged, post_keys(&sp)).unwrap_err();
    assert_eq!(error.code(), "request_signature_invalid");
    assert!(
        matches!(
            error,
            Error::RequestSignatureInvalid(fedgate_dsig::Error::KeyNotTrusted)
        ),
        "{error:?}"
    );

    // A second Signature is refused, whatever the first says.
    let insert_at = signed.find("<samlp:NameIDPolicy").unwrap();
    let signature_start = signed.find("<ds:Signature").unwrap();
    let signature_end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let doubled = format!(
        "{}{}{}",
        &signed[..insert_at],
        &signed[signature_start..signature_end],
        &signed[insert_at..]
    );
    assert_eq!(
        post(&doubled, post_keys(&sp)).unwrap_err().code(),
        "request_signature_invalid"
    );
}

#[test]
fn unsigned_post_requests_are_refused_when_a_signature_is_required() {
    let sp = sp_metadata();
    let xml = request_xml(REQUEST_ID, "");
    assert_eq!(post(&xml, post_keys(&sp)), Err(Error::RequestUnsigned));
    let received = post(&xml, RequestKeys::new(&sp.signing_keys, false)).unwrap();
    assert!(!received.signed);
    let signed = sign_enveloped(&xml, REQUEST_ID, &signing_key("idp-a")).unwrap();
    assert!(!post(&signed, RequestKeys::new(&[], false)).unwrap().signed);
    assert_eq!(
        post(&signed, RequestKeys::new(&[], true)),
        Err(Error::RequestUnsigned)
    );
}

#[test]
fn post_requests_must_be_authn_requests() {
    let sp = sp_metadata();
    let keys = RequestKeys::new(&sp.signing_keys, false);
    let response = build_response(&spec(Vec::new()));
    assert_eq!(
        post(&response, keys).unwrap_err().code(),
        "not_an_authn_request"
    );
    let doctype = format!("<!DOCTYPE x []>{}", request_xml(REQUEST_ID, ""));
    assert_eq!(
        post(&doctype, keys).unwrap_err().code(),
        "xml_dtd_forbidden"
    );
    let long_relay_state = "r".repeat(fedgate_saml::idp::MAX_RELAY_STATE_BYTES + 1);
    let encoded = base64::engine::general_purpose::STANDARD.encode(request_xml(REQUEST_ID, ""));
    assert_eq!(
        receive_post(&encoded, Some(&long_relay_state), keys, &Limits::default())
            .unwrap_err()
            .code(),
        "request_invalid"
    );
}

/// An unsigned request with `attributes`, as the SP's request to choose an endpoint for.
fn unsigned_request(attributes: &str) -> AuthnRequest {
    post(
        &request_xml(REQUEST_ID, attributes),
        RequestKeys::new(&[], false),
    )
    .unwrap()
    .request
}

#[test]
fn the_assertion_consumer_service_is_always_one_the_sp_registered_for_http_post() {
    let sp = sp_metadata();
    let shibboleth_post = "https://sp.example.test/Shibboleth.sso/SAML2/POST";
    let chosen = |attributes: &str| {
        sp.assertion_consumer_service(&unsigned_request(attributes))
            .map(|endpoint| endpoint.location.clone())
            .map_err(|error| error.code())
    };
    assert_eq!(chosen(""), Ok(ACS.to_owned()), "the isDefault endpoint");
    assert_eq!(
        chosen(r#" AssertionConsumerServiceIndex="1""#),
        Ok(shibboleth_post.to_owned())
    );
    assert_eq!(
        chosen(&format!(
            r#" AssertionConsumerServiceURL="{shibboleth_post}""#
        )),
        Ok(shibboleth_post.to_owned())
    );
    for refused in [
        r#" AssertionConsumerServiceIndex="2""#,
        r#" AssertionConsumerServiceIndex="99""#,
        r#" AssertionConsumerServiceURL="https://evil.example.test/acs""#,
        r#" AssertionConsumerServiceURL="https://sp.example.test/Shibboleth.sso/SAML2/POST-SimpleSign""#,
        r#" AssertionConsumerServiceURL="https://sp.example.test/app/saml/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact""#,
    ] {
        assert_eq!(chosen(refused), Err("acs_not_registered"), "{refused}");
    }
}

#[test]
fn the_fixture_requests_are_read_over_both_bindings() {
    let keys = RequestKeys::new(&[], false);
    let xml = read("crates/saml/tests/idp/authn-request.xml");
    let over_post = post(xml.trim(), keys).unwrap();
    let query = read("crates/saml/tests/idp/authn-request-redirect.query");
    let over_redirect = redirect(query.trim(), keys).unwrap();
    assert_eq!(over_post.request, over_redirect.request);
    assert_eq!(over_redirect.relay_state.as_deref(), Some("ss:mem:3f2a9c"));
    assert_eq!(
        over_redirect.request.issuer.as_deref(),
        Some(SP),
        "{over_redirect:?}"
    );
}
