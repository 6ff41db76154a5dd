//! Documents fedgate signs verify with `xmlsec1 --verify` (libxmlsec1, an implementation
//! written elsewhere), and a tampered copy does not. `xmlsec1` must be installed
//! (`scripts/setup-test-env.sh`); a missing binary fails the test loudly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

use std::path::PathBuf;
use std::process::Command;

use fedgate_dsig::{SigningKey, sign_enveloped};

const ASSERTION: &str = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_a1" IssueInstant="2026-01-01T00:00:00Z" Version="2.0"><saml:Issuer>https://idp.example.test</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue xsi:type="xs:string">alice &amp; co</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"#;

fn response(assertion: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example.test</saml:Issuer>
  {assertion}
</samlp:Response>"#
    )
}

struct Generated {
    key: SigningKey,
    certificate_pem: String,
}

fn generate(algorithm: &'static rcgen::SignatureAlgorithm) -> Generated {
    let key_pair = rcgen::KeyPair::generate_for(algorithm).unwrap();
    let params = rcgen::CertificateParams::new(vec!["idp.example.test".to_owned()]).unwrap();
    let certificate = params.self_signed(&key_pair).unwrap();
    Generated {
        key: SigningKey::from_pkcs8_der(&key_pair.serialize_der(), certificate.der()).unwrap(),
        certificate_pem: certificate.pem(),
    }
}

fn scratch(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fedgate-xmlsec1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Runs `xmlsec1 --verify` trusting only `certificate_pem`; true when it verifies.
fn xmlsec1_verifies(name: &str, document: &str, certificate_pem: &str) -> bool {
    let document_path = scratch(&format!("{name}.xml"), document);
    let certificate_path = scratch(&format!("{name}.pem"), certificate_pem);
    let output = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&certificate_path)
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .arg(&document_path)
        .output()
        .unwrap_or_else(|error| {
            panic!("xmlsec1 could not run ({error}): run scripts/setup-test-env.sh")
        });
    output.status.success()
}

#[test]
fn xmlsec1_verifies_fedgate_signatures_and_refuses_tampered_copies() {
    let cases: [(&str, &'static rcgen::SignatureAlgorithm); 3] = [
        ("rsa", &rcgen::PKCS_RSA_SHA256),
        ("p256", &rcgen::PKCS_ECDSA_P256_SHA256),
        ("p384", &rcgen::PKCS_ECDSA_P384_SHA384),
    ];
    for (name, algorithm) in cases {
        let generated = generate(algorithm);
        let signed = sign_enveloped(&response(ASSERTION), "_a1", &generated.key).unwrap();
        assert!(
            xmlsec1_verifies(name, &signed, &generated.certificate_pem),
            "{name}: xmlsec1 refused\n{signed}"
        );
        let tampered = signed.replace(">alice<", ">mallory<");
        assert!(
            !xmlsec1_verifies(
                &format!("{name}-tampered"),
                &tampered,
                &generated.certificate_pem
            ),
            "{name}"
        );
    }
}

#[test]
fn xmlsec1_verifies_rsa_sha512_signatures() {
    let generated = generate(&rcgen::PKCS_RSA_SHA256);
    let key = generated.key.with_rsa_sha512().unwrap();
    let signed = sign_enveloped(&response(ASSERTION), "_a1", &key).unwrap();
    assert!(signed.contains("rsa-sha512") && signed.contains("xmlenc#sha512"));
    assert!(
        xmlsec1_verifies("rsa-sha512", &signed, &generated.certificate_pem),
        "{signed}"
    );
}

#[test]
fn xmlsec1_verifies_a_signed_response_wrapping_a_signed_assertion() {
    let generated = generate(&rcgen::PKCS_RSA_SHA256);
    let inner = sign_enveloped(&response(ASSERTION), "_a1", &generated.key).unwrap();
    let both = sign_enveloped(&inner, "_r1", &generated.key).unwrap();
    assert!(
        xmlsec1_verifies("both", &both, &generated.certificate_pem),
        "{both}"
    );
}
