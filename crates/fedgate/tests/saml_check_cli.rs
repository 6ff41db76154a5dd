//! The `fedgate saml check` interface: exit codes, the human report, stdin, and how
//! `--idp-cert`/`--idp-entity-id` pair up.

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

const VALID: &str = "tests/attacks/valid/assertion-signed.xml";
const AT: &str = "2026-01-01T00:01:00Z";

#[test]
fn valid_response_exits_0_with_a_report_of_every_check() {
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            VALID,
            "--metadata",
            "tests/keys/idp-a-metadata.xml",
            "--at",
            AT,
        ],
        None,
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.starts_with("SAML response: VALID"), "{stdout}");
    assert_eq!(stdout.matches("[pass]").count(), 11, "{stdout}");
    assert!(stdout.contains("session name:    alice"), "{stdout}");
}

#[test]
fn invalid_response_exits_1_and_names_the_failed_check_and_fix() {
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            VALID,
            "--metadata",
            "tests/keys/idp-b-metadata.xml",
            "--at",
            AT,
        ],
        None,
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("[FAIL] issuer is a trusted identity provider"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[issuer_unknown]") && stdout.contains("fix:"),
        "{stdout}"
    );
    assert!(stdout.contains("(not reached)"), "{stdout}");
}

#[test]
fn json_output_of_an_invalid_response_has_code_message_and_hint() {
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            VALID,
            "--metadata",
            "tests/keys/idp-a-metadata.xml",
            "--at",
            "2026-02-01T00:00:00Z",
            "--json",
        ],
        None,
    );
    assert_eq!(code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["error"]["code"], "expired");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert!(!json["error"]["hint"].as_str().unwrap().is_empty());
}

#[test]
fn reads_the_response_from_stdin() {
    let document = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(VALID),
    )
    .unwrap();
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            "-",
            "--metadata",
            "tests/keys/idp-a-metadata.xml",
            "--at",
            AT,
            "--json",
        ],
        Some(&document),
    );
    assert_eq!(code, Some(0), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["subject"], "alice");
    assert_eq!(
        json["roles"][0]["role_arn"],
        "arn:aws:iam::123456789012:role/Agent"
    );
}

#[test]
fn pairs_each_idp_cert_with_the_entity_id_after_it() {
    // IdP B's certificate named as IdP A's entity: the issuer matches, the key does not.
    let args = [
        "saml",
        "check",
        VALID,
        "--at",
        AT,
        "--json",
        "--idp-cert",
        "tests/keys/idp-b.cert.pem",
        "--idp-entity-id",
        "https://idp-b.example.test/saml",
        "--idp-cert",
        "tests/keys/idp-a.cert.pem",
        "--idp-entity-id",
        "https://idp-a.example.test/saml",
    ];
    let (code, stdout, _) = fedgate(&args, None);
    assert_eq!(code, Some(0), "{stdout}");
    let swapped = [
        "saml",
        "check",
        VALID,
        "--at",
        AT,
        "--json",
        "--idp-cert",
        "tests/keys/idp-b.cert.pem",
        "--idp-entity-id",
        "https://idp-a.example.test/saml",
    ];
    let (code, stdout, _) = fedgate(&swapped, None);
    assert_eq!(code, Some(1), "{stdout}");
}

#[test]
fn idp_cert_without_entity_id_says_the_issuer_is_not_matched() {
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            VALID,
            "--at",
            AT,
            "--idp-cert",
            "tests/keys/idp-a.cert.pem",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("issuer is not matched"), "{stdout}");
}

#[test]
fn usage_and_input_file_errors_exit_2() {
    for args in [
        vec!["saml", "check", VALID, "--at", AT],
        vec![
            "saml",
            "check",
            "does-not-exist.xml",
            "--metadata",
            "tests/keys/idp-a-metadata.xml",
        ],
        vec![
            "saml",
            "check",
            VALID,
            "--metadata",
            "tests/keys/weak-metadata.xml",
        ],
        vec![
            "saml",
            "check",
            VALID,
            "--metadata",
            "tests/keys/idp-a-metadata.xml",
            "--at",
            "yesterday",
        ],
        vec![
            "saml",
            "check",
            VALID,
            "--idp-entity-id",
            "x",
            "--idp-cert",
            "tests/keys/idp-a.cert.pem",
        ],
        vec!["saml", "check", "--bogus"],
    ] {
        let (code, stdout, stderr) = fedgate(&args, None);
        assert_eq!(code, Some(2), "{args:?}: {stdout} {stderr}");
        assert!(!stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn weak_rsa_keys_are_refused_unless_allow_weak_rsa_is_given() {
    const WEAK: &str = "tests/attacks/key/rsa-1024.xml";
    let metadata = ["--metadata", "tests/keys/weak-metadata.xml", "--at", AT];
    let with = |extra: &[&'static str]| {
        let mut args = vec!["saml", "check", "--json", WEAK];
        args.extend(metadata);
        args.extend(extra);
        fedgate(&args, None)
    };
    // The secure default: the 1024-bit key is refused when the trust set is loaded.
    let (code, stdout, _) = with(&[]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains(r#""code":"key_too_weak""#), "{stdout}");
    // The opt-in examines the document for real (a changed one fails: next test).
    let (code, stdout, _) = with(&["--allow-weak-rsa"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains(r#""subject":"alice""#), "{stdout}");
    // The same for a bare certificate.
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            "--json",
            WEAK,
            "--idp-cert",
            "tests/keys/weak-rsa1024.cert.pem",
            "--at",
            AT,
        ],
        None,
    );
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains(r#""code":"key_too_weak""#), "{stdout}");
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            "--json",
            WEAK,
            "--idp-cert",
            "tests/keys/weak-rsa1024.cert.pem",
            "--allow-weak-rsa",
            "--at",
            AT,
        ],
        None,
    );
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn allow_weak_rsa_still_verifies_the_signature() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let original = std::fs::read_to_string(root.join("tests/attacks/key/rsa-1024.xml")).unwrap();
    let changed = original.replacen(">alice<", ">mallory<", 1);
    assert_ne!(changed, original);
    let (code, stdout, _) = fedgate(
        &[
            "saml",
            "check",
            "--json",
            "-",
            "--metadata",
            "tests/keys/weak-metadata.xml",
            "--allow-weak-rsa",
            "--at",
            AT,
        ],
        Some(changed.as_bytes()),
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains(r#""code":"digest_mismatch""#), "{stdout}");
}
