//! Unit tests: sign with generated keys, verify, and tamper.

use fedgate_xml::{Document, Element, Limits};

use crate::*;

const RESPONSE: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example.test</saml:Issuer><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1" Version="2.0"><saml:Issuer>https://idp.example.test</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"#;

fn rsa_key() -> SigningKey {
    generated(&rcgen::PKCS_RSA_SHA256)
}

fn generated(algorithm: &'static rcgen::SignatureAlgorithm) -> SigningKey {
    let key_pair = rcgen::KeyPair::generate_for(algorithm).unwrap();
    let params = rcgen::CertificateParams::new(vec!["idp.example.test".to_owned()]).unwrap();
    let certificate = params.self_signed(&key_pair).unwrap();
    SigningKey::from_pkcs8_der(&key_pair.serialize_der(), certificate.der()).unwrap()
}

fn signature_of<'a, 'i>(document: &'a Document<'i>, id: &str) -> Element<'a, 'i> {
    document
        .element_by_id(id)
        .unwrap()
        .children()
        .find(|c| c.is(DSIG_NAMESPACE, "Signature"))
        .unwrap()
}

fn verify(xml: &str, id: &str, keys: &[TrustedKey]) -> Result<(), Error> {
    let document = Document::parse(xml, &Limits::default())?;
    let signature = signature_of(&document, id);
    let verified = verify_enveloped(&document, signature, keys, &Policy::default())?;
    assert_eq!(verified.element().attribute("ID"), Some(id));
    Ok(())
}

#[test]
fn accepts_own_rsa_signature() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap();
    verify(&signed, "a1", &[key.trusted_key().unwrap()]).unwrap();
}

#[test]
fn accepts_own_ecdsa_p256_and_p384_signatures() {
    for algorithm in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
    ] {
        let key = generated(algorithm);
        let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap();
        verify(&signed, "a1", &[key.trusted_key().unwrap()]).unwrap();
    }
}

#[test]
fn places_signature_after_issuer() {
    let signed = sign_enveloped(RESPONSE, "a1", &rsa_key()).unwrap();
    let document = Document::parse(&signed, &Limits::default()).unwrap();
    let names: Vec<_> = document
        .element_by_id("a1")
        .unwrap()
        .children()
        .map(|c| c.local_name())
        .collect();
    assert_eq!(names, ["Issuer", "Signature", "Subject"]);
}

#[test]
fn rejects_changed_content() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key)
        .unwrap()
        .replace(">alice<", ">mallory<");
    assert_eq!(
        verify(&signed, "a1", &[key.trusted_key().unwrap()]),
        Err(Error::DigestMismatch)
    );
}

#[test]
fn rejects_signature_from_untrusted_key() {
    let signed = sign_enveloped(RESPONSE, "a1", &rsa_key()).unwrap();
    let other = rsa_key().trusted_key().unwrap();
    assert_eq!(verify(&signed, "a1", &[other]), Err(Error::KeyNotTrusted));
}

#[test]
fn rejects_signature_with_empty_trust_set() {
    let signed = sign_enveloped(RESPONSE, "a1", &rsa_key()).unwrap();
    assert_eq!(verify(&signed, "a1", &[]), Err(Error::KeyNotTrusted));
}

#[test]
fn rejects_sha1_by_default() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap().replace(
        SignatureAlgorithm::RsaSha256.uri(),
        SignatureAlgorithm::RsaSha1.uri(),
    );
    assert!(matches!(
        verify(&signed, "a1", &[key.trusted_key().unwrap()]),
        Err(Error::Sha1NotAllowed { .. })
    ));
    assert_eq!(
        Policy::default(),
        Policy {
            allow_sha1: false,
            allow_weak_rsa: false
        }
    );
}

#[test]
fn rejects_hmac() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap().replace(
        SignatureAlgorithm::RsaSha256.uri(),
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
    );
    assert!(matches!(
        verify(&signed, "a1", &[key.trusted_key().unwrap()]),
        Err(Error::AlgorithmForbidden { .. })
    ));
}

#[test]
fn rejects_reference_to_other_element() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key)
        .unwrap()
        .replace(r##"URI="#a1""##, r##"URI="#r1""##);
    assert!(matches!(
        verify(&signed, "a1", &[key.trusted_key().unwrap()]),
        Err(Error::ReferenceNotParent { .. })
    ));
}

#[test]
fn rejects_weak_rsa_key() {
    // A 1024-bit RSA SubjectPublicKeyInfo, made with `openssl genrsa 1024` + `openssl rsa -pubout -outform DER`.
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDB2EkEXnPEvHKAjTZHCC8nMjnAyIxxxMZcwrbgG51u9UbYaWQLonioSg11zcZtg3b+9ZA0n3cwSCbHOefOTU82cQV7YvA9CO4B01H7pnvIYXGt3zALiVdwDc+CNUteBiQtTrgtq+4R7LQ0RSbY/wQAlygOqmRyHy7ZDfVj6DeAyQIDAQAB",
    )
    .unwrap();
    assert_eq!(
        TrustedKey::from_spki_der(&der).unwrap_err(),
        Error::KeyTooWeak { bits: 1024 }
    );
}

/// The attack suite's document validly signed with a 1024-bit RSA key, and that key's
/// certificate (`scripts/gen-attacks.py`).
fn weak_rsa_fixture() -> (String, Vec<u8>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let document = std::fs::read_to_string(root.join("tests/attacks/key/rsa-1024.xml")).unwrap();
    let pem = std::fs::read_to_string(root.join("tests/keys/weak-rsa1024.cert.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    (document, decode_base64(&body).unwrap())
}

fn verify_assertion(xml: &str, keys: &[TrustedKey], policy: &Policy) -> Result<(), Error> {
    let document = Document::parse(xml, &Limits::default())?;
    let assertion = document
        .root_element()
        .descendants()
        .find(|e| e.local_name() == "Assertion")
        .unwrap();
    let signature = assertion
        .first_child_named(DSIG_NAMESPACE, "Signature")
        .unwrap();
    verify_enveloped(&document, signature, keys, policy).map(|_| ())
}

#[test]
fn weak_rsa_needs_a_dangerous_key_and_a_dangerous_policy() {
    let (document, certificate) = weak_rsa_fixture();
    assert_eq!(
        TrustedKey::from_certificate_der(&certificate).unwrap_err(),
        Error::KeyTooWeak { bits: 1024 }
    );
    let weak = TrustedKey::dangerous_from_certificate_der_allowing_weak_rsa(&certificate).unwrap();
    assert_eq!(weak.weak_rsa_bits(), Some(1024));
    assert!(!Policy::default().allows_weak_rsa());
    // The key alone is not enough: a default policy refuses the trust set.
    assert_eq!(
        verify_assertion(&document, std::slice::from_ref(&weak), &Policy::default()),
        Err(Error::KeyTooWeak { bits: 1024 })
    );
    let dangerous = Policy::default().dangerous_allow_weak_rsa();
    assert!(dangerous.allows_weak_rsa() && !dangerous.allows_sha1());
    verify_assertion(&document, std::slice::from_ref(&weak), &dangerous).unwrap();
    // Still a real check: a changed document fails.
    let changed = document.replacen(">alice<", ">mallory<", 1);
    assert_ne!(changed, document);
    assert_eq!(
        verify_assertion(&changed, &[weak], &dangerous),
        Err(Error::DigestMismatch)
    );
}

#[test]
fn dangerous_weak_rsa_still_has_a_floor() {
    // A 512-bit RSA SubjectPublicKeyInfo (`openssl genrsa 512`, `openssl rsa -pubout -outform DER`).
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMpPc1Wzj6FOSN6MTAlbDbcSDOlNu56E2LEsI7iriRqEKqgWxkcg82tKiT6X9Czrxm4uUFJ7kBFZ5e9O6qoPXqsCAwEAAQ==",
    )
    .unwrap();
    assert_eq!(
        TrustedKey::dangerous_from_spki_der_allowing_weak_rsa(&der).unwrap_err(),
        Error::KeyTooWeak { bits: 512 }
    );
}

#[test]
fn sha1_needs_the_dangerous_policy() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap().replace(
        SignatureAlgorithm::RsaSha256.uri(),
        SignatureAlgorithm::RsaSha1.uri(),
    );
    let policy = Policy::default().dangerous_allow_sha1();
    assert!(policy.allows_sha1() && !policy.allows_weak_rsa());
    // Past the SHA-1 check: the signature value was made with SHA-256, so it does not verify.
    let document = Document::parse(&signed, &Limits::default()).unwrap();
    let signature = signature_of(&document, "a1");
    assert_eq!(
        verify_enveloped(&document, signature, &[key.trusted_key().unwrap()], &policy).unwrap_err(),
        Error::SignatureInvalid
    );
}

#[test]
fn transform_count_is_bounded_by_the_document_limits() {
    let key = rsa_key();
    let signed = sign_enveloped(RESPONSE, "a1", &key).unwrap();
    let trusted = [key.trusted_key().unwrap()];
    let limits = Limits {
        max_transforms: 1,
        ..Limits::default()
    };
    let document = Document::parse(&signed, &limits).unwrap();
    let signature = signature_of(&document, "a1");
    assert!(matches!(
        verify_enveloped(&document, signature, &trusted, &Policy::default()),
        Err(Error::TransformForbidden { .. })
    ));
}
