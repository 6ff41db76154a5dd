//! `fedgate saml sign`: what it signs, `fedgate saml check` and xmlsec1 accept; a change
//! after signing is caught; unusable keys are usage errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

mod common;

use std::path::Path;

use common::fedgate;

const AT: &str = "2026-01-01T00:01:00Z";

/// The valid fixture with its signature removed.
fn unsigned_response() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let signed =
        std::fs::read_to_string(root.join("tests/attacks/valid/assertion-signed.xml")).unwrap();
    let start = signed.find("<ds:Signature ").unwrap();
    let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    format!("{}{}", &signed[..start], &signed[end..])
}

fn check(xml: &str) -> Option<i32> {
    let args = [
        "saml",
        "check",
        "-",
        "--metadata",
        "tests/keys/idp-a-metadata.xml",
        "--at",
        AT,
    ];
    fedgate(&args, Some(xml.as_bytes())).0
}

#[test]
fn signed_responses_pass_check_and_changes_do_not() {
    let unsigned = unsigned_response();
    assert_eq!(check(&unsigned), Some(1), "unsigned is refused");
    for (key, cert) in [
        ("tests/keys/idp-a.key.pem", "tests/keys/idp-a.cert.pem"),
        (
            "tests/keys/idp-a-ec.key.pem",
            "tests/keys/idp-a-ec.cert.pem",
        ),
    ] {
        let (code, signed, stderr) = fedgate(
            &["saml", "sign", "-", "--key", key, "--cert", cert],
            Some(unsigned.as_bytes()),
        );
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(check(&signed), Some(0), "{key}");
        let tampered = signed.replacen(">alice<", ">mallory<", 1);
        assert_ne!(tampered, signed);
        assert_eq!(
            check(&tampered),
            Some(1),
            "{key}: a changed NameID is caught"
        );
    }
    let (code, both, _) = fedgate(
        &[
            "saml",
            "sign",
            "-",
            "--key",
            "tests/keys/idp-a.key.pem",
            "--cert",
            "tests/keys/idp-a.cert.pem",
            "--element",
            "assertion",
            "--element",
            "response",
        ],
        Some(unsigned.as_bytes()),
    );
    assert_eq!(code, Some(0));
    assert_eq!(both.matches("<ds:Signature ").count(), 2);
    assert_eq!(check(&both), Some(0));
}

#[test]
fn unusable_keys_and_inputs_are_usage_errors() {
    let unsigned = unsigned_response();
    let (code, _, stderr) = fedgate(
        &[
            "saml",
            "sign",
            "-",
            "--key",
            "tests/keys/idp-a.cert.pem",
            "--cert",
            "tests/keys/idp-a.cert.pem",
        ],
        Some(unsigned.as_bytes()),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("PRIVATE KEY"), "{stderr}");
    let (code, _, stderr) = fedgate(
        &[
            "saml",
            "sign",
            "-",
            "--key",
            "tests/keys/idp-a.key.pem",
            "--cert",
            "tests/keys/idp-b.cert.pem",
        ],
        Some(unsigned.as_bytes()),
    );
    assert_eq!(code, Some(2), "a certificate of another key: {stderr}");
    let (code, _, _) = fedgate(
        &[
            "saml",
            "sign",
            "-",
            "--key",
            "tests/keys/idp-a.key.pem",
            "--cert",
            "tests/keys/idp-a.cert.pem",
        ],
        Some(b"<notsaml/>"),
    );
    assert_eq!(code, Some(2));
}
