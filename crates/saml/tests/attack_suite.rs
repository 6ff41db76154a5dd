//! The generated attack suite (`tests/attacks/`, `scripts/gen-attacks.py`) and the interop
//! fixtures (`tests/interop/`) run directly against [`fedgate_saml::validate_response`]: every
//! case must end with exactly the error code its manifest names (`expect_code`, following the
//! check order literally), every accept with the expected NameID. The binary's corpus test runs
//! the same manifests through `fedgate saml check`; this one pins the library itself.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

mod common;

use common::{judge, load_cases, repo_root, reviewed_exceptions, run_case};

fn run_suite(label: &str, dir: &str, minimum: usize) {
    let manifest = repo_root().join(dir).join("cases.json");
    let cases = load_cases(&manifest, label, false);
    assert!(
        cases.len() >= minimum,
        "{}: only {} cases",
        manifest.display(),
        cases.len()
    );
    let exceptions = reviewed_exceptions();
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = run_case(case);
        let verdict = match exceptions.get(&case.id) {
            Some(recorded) if *recorded == outcome.decision => Ok(()),
            Some(recorded) => Err(format!(
                "exception says {recorded}, got {}",
                outcome.decision
            )),
            None => judge(case, &outcome, true),
        };
        if let Err(message) = verdict {
            failures.push(format!("{}: {message}", case.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_attack_case_is_decided_with_its_exact_code() {
    run_suite("attacks", "tests/attacks", 149);
}

#[test]
fn every_interop_document_is_accepted() {
    run_suite("interop", "tests/interop", 5);
}

#[test]
fn a_weak_rsa_key_verifies_only_with_both_dangerous_opt_ins() {
    let manifest = repo_root().join("tests/attacks/cases.json");
    let find = |weak_rsa: bool| {
        load_cases(&manifest, "attacks", weak_rsa)
            .into_iter()
            .find(|case| case.id == "attacks/key/rsa-1024.xml")
            .unwrap()
    };
    // The secure default: the 1024-bit key in weak-metadata.xml is refused on loading.
    assert_eq!(run_case(&find(false)).decision, "usage:key_too_weak");
    // With the weak-RSA reader and the provider's opt-in the document is really verified.
    let weakened = run_case(&find(true));
    assert_eq!(weakened.decision, "accept");
    assert_eq!(weakened.nameid.as_deref(), Some("alice"));
}

#[test]
fn a_new_provider_allows_neither_sha1_nor_weak_rsa() {
    let pem = std::fs::read(repo_root().join("tests/keys/idp-a.cert.pem")).unwrap();
    let key = fedgate_saml::metadata::trusted_key_from_file_content(&pem).unwrap();
    let provider = fedgate_saml::IdentityProvider::new(None, vec![key]).unwrap();
    assert!(!provider.allows_sha1());
    assert!(!provider.allows_weak_rsa());
    let sha1 = provider.clone().dangerous_allow_sha1();
    assert!(sha1.allows_sha1() && !sha1.allows_weak_rsa());
    let weak = provider.dangerous_allow_weak_rsa();
    assert!(weak.allows_weak_rsa() && !weak.allows_sha1());
}
