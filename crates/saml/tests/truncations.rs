//! Every prefix of a valid signed response fails cleanly (an error, never a panic and never
//! an acceptance), and the whole document is accepted: the truncation sweep of the attack
//! suite (`tests/attacks/cases.json` entries with `"truncations": true`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

use std::path::Path;

use fedgate_saml::metadata::parse_metadata;
use fedgate_saml::{ServiceProvider, validate_response};
use fedgate_xml::Limits;
use time::macros::datetime;

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

#[test]
fn every_prefix_of_a_signed_response_is_rejected() {
    let providers = parse_metadata(
        &repo_file("tests/keys/idp-a-metadata.xml"),
        &Limits::default(),
    )
    .unwrap();
    let document = repo_file("tests/attacks/valid/assertion-signed.xml");
    let sp = ServiceProvider::default();
    let now = datetime!(2026-01-01 00:01:00 UTC);
    validate_response(&document, &providers, &sp, now, &[]).unwrap();

    let mut checked = 0;
    for end in (0..document.len()).filter(|end| document.is_char_boundary(*end)) {
        let prefix = &document[..end];
        let result = validate_response(prefix, &providers, &sp, now, &[]);
        assert!(result.is_err(), "a prefix of {end} bytes was accepted");
        checked += 1;
    }
    assert!(checked > 1000, "only {checked} prefixes");
}

#[test]
fn every_single_byte_change_inside_a_signed_value_breaks_the_digest() {
    // Flipping a letter inside the signed NameID or an attribute value must break the digest.
    let providers = parse_metadata(
        &repo_file("tests/keys/idp-a-metadata.xml"),
        &Limits::default(),
    )
    .unwrap();
    let document = repo_file("tests/attacks/valid/assertion-signed.xml");
    let sp = ServiceProvider::default();
    let now = datetime!(2026-01-01 00:01:00 UTC);
    let start = document.find(">alice<").unwrap() + 1;
    for offset in start..start + "alice".len() {
        let mut bytes = document.clone().into_bytes();
        bytes[offset] = b'x';
        let changed = String::from_utf8(bytes).unwrap();
        let error = validate_response(&changed, &providers, &sp, now, &[]).unwrap_err();
        assert_eq!(error.code(), "digest_mismatch");
    }
}
