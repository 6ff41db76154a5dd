//! `fedgate policy simulate` with `--saml-response`: the `saml:*` keys come from a response
//! that is fully validated first (tests/attacks/valid/, trusted through tests/keys/).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

use std::path::Path;
use std::process::Command;

fn simulate(extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_fedgate"))
        .current_dir(&root)
        .args([
            "policy",
            "simulate",
            "--json",
            "--policy",
            "crates/iam-policy/tests/data/trust-idp-a-and-b.json",
        ])
        .args([
            "--action",
            "sts:AssumeRoleWithSAML",
            "--saml-metadata",
            "tests/keys/idp-a-metadata.xml",
        ])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        output.status.code(),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn allows_a_validated_response_from_a_trusted_provider() {
    let (code, json, stderr) = simulate(&[
        "--saml-response",
        "tests/attacks/valid/assertion-signed.xml",
        "--provider-arn",
        "arn:aws:iam::123456789012:saml-provider/IdpA",
        "--at",
        "2026-01-01T00:01:00Z",
    ]);
    assert_eq!(code, Some(0), "{json} {stderr}");
    assert_eq!(json["decision"], "Allow");
}

#[test]
fn denies_a_provider_the_trust_policy_does_not_name() {
    let (code, json, stderr) = simulate(&[
        "--saml-response",
        "tests/attacks/valid/assertion-signed.xml",
        "--provider-arn",
        "arn:aws:iam::123456789012:saml-provider/Other",
        "--at",
        "2026-01-01T00:01:00Z",
    ]);
    assert_eq!(code, Some(1), "{json} {stderr}");
    assert_eq!(json["decision"], "ImplicitDeny");
}

#[test]
fn refuses_to_build_context_from_an_invalid_response() {
    let (code, _, stderr) = simulate(&[
        "--saml-response",
        "tests/attacks/valid/assertion-signed.xml",
        "--provider-arn",
        "arn:aws:iam::123456789012:saml-provider/IdpA",
        "--at",
        "2026-02-01T00:00:00Z",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("[expired]"), "{stderr}");
}
