//! The decision harness shared by `attack_suite.rs` and `shared_corpus.rs`: reads a
//! `cases.json` in the shared corpus format (`../shared/corpus/README.md`, extended by
//! `tests/attacks/README.md`) and runs each case through the library exactly as
//! `fedgate saml check` does (decode the binding, load the trusted providers, validate), with
//! no subprocess in between.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    reason = "test harness: a broken manifest aborts the test with its message; each test file uses part of it"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fedgate_saml::danger::{
    dangerous_parse_metadata_allowing_weak_rsa,
    dangerous_trusted_key_from_file_content_allowing_weak_rsa,
};
use fedgate_saml::metadata::{parse_metadata, trusted_key_from_file_content};
use fedgate_saml::{IdentityProvider, ServiceProvider, binding, validate_response};
use fedgate_xml::Limits;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `shared/corpus`, beside the repository (read-only). Fails loudly when it is missing: the
/// test would otherwise pass without examining anything.
pub fn shared_corpus() -> PathBuf {
    let corpus = repo_root().join("../shared/corpus");
    assert!(
        corpus.join("README.md").is_file(),
        "the shared corpus is missing at {} (expected beside the repository, as ../shared/corpus)",
        corpus.display()
    );
    corpus
}

/// The five projects of the shared corpus.
pub const SHARED_SOURCES: [&str; 5] = [
    "crewjam-saml",
    "python3-saml",
    "ruby-saml",
    "pysaml2",
    "samael",
];

/// One decision: an entry of `cases.json`, or one of its variants merged over it.
#[derive(Debug)]
pub struct Case {
    /// `<label>/<file>` or `<label>/<file>#<variant>`, as in `corpus-exceptions.json`.
    pub id: String,
    dir: PathBuf,
    fields: serde_json::Map<String, Value>,
    /// Read RSA keys down to 1024 bits (the shared corpus) instead of the secure default.
    weak_rsa: bool,
}

impl Case {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    pub fn bool(&self, key: &str) -> bool {
        self.fields
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn strings(&self, key: &str) -> Vec<String> {
        match self.fields.get(key) {
            Some(Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(value)) => vec![value.clone()],
            _ => Vec::new(),
        }
    }
}

/// Every decision of the manifest at `manifest`, labelled `label`.
pub fn load_cases(manifest: &Path, label: &str, weak_rsa: bool) -> Vec<Case> {
    let dir = manifest.parent().unwrap().to_path_buf();
    let text =
        std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let Value::Array(entries) = serde_json::from_str(&text).unwrap() else {
        panic!("{label}: not a list")
    };
    let mut cases = Vec::new();
    for entry in entries {
        let Value::Object(fields) = entry else {
            panic!("{label}: entry is not an object")
        };
        let file = fields["file"].as_str().unwrap().to_owned();
        let variants = fields
            .get("variants")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (index, variant) in variants.iter().enumerate() {
            let mut merged = fields.clone();
            merged.remove("expect_code");
            merged.remove("expect_nameid");
            merged.remove("safe_alternative");
            for (key, value) in variant.as_object().unwrap() {
                merged.insert(key.clone(), value.clone());
            }
            cases.push(Case {
                id: format!("{label}/{file}#{}", index + 1),
                dir: dir.clone(),
                fields: merged,
                weak_rsa,
            });
        }
        cases.push(Case {
            id: format!("{label}/{file}"),
            dir: dir.clone(),
            fields,
            weak_rsa,
        });
    }
    cases
}

/// What the library decided: `accept` (with the NameID), `reject:<code>`, or
/// `usage:<code>` when the trust set itself was refused (as `fedgate saml check` exits 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: String,
    pub nameid: Option<String>,
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs one case through `binding::decode_detected` and `validate_response`.
pub fn run_case(case: &Case) -> Outcome {
    let usage = |code: &str| Outcome {
        decision: format!("usage:{code}"),
        nameid: None,
    };
    let limits = Limits::default();
    let mut providers: Vec<IdentityProvider> = Vec::new();
    for metadata in case
        .strings("idp_metadata")
        .into_iter()
        .chain(case.strings("extra_metadata"))
    {
        let text = String::from_utf8(read(&case.dir.join(&metadata))).unwrap();
        let parsed = if case.weak_rsa {
            dangerous_parse_metadata_allowing_weak_rsa(&text, &limits)
        } else {
            parse_metadata(&text, &limits)
        };
        match parsed {
            Ok(parsed) => providers.extend(parsed),
            Err(error) => return usage(error.code()),
        }
    }
    if let Some(certificate) = case.str("idp_cert") {
        let content = read(&case.dir.join(certificate));
        let key = if case.weak_rsa {
            dangerous_trusted_key_from_file_content_allowing_weak_rsa(&content)
        } else {
            trusted_key_from_file_content(&content)
        };
        let key = match key {
            Ok(key) => key,
            Err(error) => return usage(error.code()),
        };
        let entity_id = case.str("idp_entity_id").map(str::to_owned);
        providers.push(IdentityProvider::new(entity_id, vec![key]).unwrap());
    }
    assert!(!providers.is_empty(), "{}: no trusted provider", case.id);
    // The project's own suites say `allow_sha1`; the shared corpus only says whether SHA-1
    // is used (`sha1`), and its SHA-1 cases run with SHA-1 allowed.
    let allow_sha1 = match case.fields.get("allow_sha1") {
        Some(value) => value.as_bool().unwrap_or(false),
        None => case.bool("sha1"),
    };
    let providers: Vec<IdentityProvider> = providers
        .into_iter()
        .map(|mut provider| {
            if allow_sha1 {
                provider = provider.dangerous_allow_sha1();
            }
            if case.weak_rsa {
                provider = provider.dangerous_allow_weak_rsa();
            }
            provider
        })
        .collect();
    let defaults = ServiceProvider::default();
    let or_default = |values: Vec<String>, default: Vec<String>| {
        if values.is_empty() { default } else { values }
    };
    let sp = ServiceProvider {
        audiences: or_default(case.strings("sp_entity_id"), defaults.audiences),
        acs_urls: or_default(case.strings("acs_url"), defaults.acs_urls),
        clock_skew_seconds: defaults.clock_skew_seconds,
        limits: defaults.limits,
    };
    // A signature-layer vector with no validity window: any instant will do.
    let at = case.str("at").unwrap_or("2020-01-01T00:00:00Z");
    let now = OffsetDateTime::parse(at, &Rfc3339).unwrap();
    let input = read(&case.dir.join(case.str("file").unwrap()));
    let result = binding::decode_detected(&input, sp.limits.max_bytes).and_then(|xml| {
        validate_response(&xml, &providers, &sp, now, &case.strings("in_response_to"))
    });
    match result {
        Ok(assertion) => Outcome {
            decision: "accept".to_owned(),
            nameid: Some(assertion.subject().value.clone()),
        },
        Err(error) => Outcome {
            decision: format!("reject:{}", error.code()),
            nameid: None,
        },
    }
}

/// Whether `outcome` is what the case's manifest expects. With `exact_codes`, a reject must
/// carry the manifest's `expect_code` (the attack suite gives one for every case).
pub fn judge(case: &Case, outcome: &Outcome, exact_codes: bool) -> Result<(), String> {
    let decision = outcome.decision.as_str();
    let expect = case.str("expect").unwrap_or("?");
    if case.bool("encrypted") && decision == "reject:encrypted_assertion_unsupported" {
        return Ok(()); // allowed until assertion decryption lands
    }
    match expect {
        "accept" if decision == "accept" => match case.str("expect_nameid") {
            Some(expected) if outcome.nameid.as_deref() != Some(expected) => Err(format!(
                "accepted with NameID {:?}, expected {expected:?}",
                outcome.nameid
            )),
            _ => Ok(()),
        },
        "accept"
            if case.str("safe_alternative") == Some("reject")
                && decision.starts_with("reject:") =>
        {
            Ok(())
        }
        "reject" if decision.starts_with("reject:") || decision.starts_with("usage:") => {
            let code = decision.split_once(':').map(|(_, code)| code);
            match case.str("expect_code") {
                Some(expected) if code != Some(expected) => {
                    Err(format!("rejected as {decision}, expected {expected}"))
                }
                None if exact_codes => Err(format!(
                    "rejected as {decision}, but the manifest gives no expect_code"
                )),
                _ => Ok(()),
            }
        }
        _ => Err(format!("expected {expect}, got {decision}")),
    }
}

/// The reviewed deviations from the manifests' decisions, shared with the binary's corpus
/// test (`crates/fedgate/tests/corpus-exceptions.json`): case id → recorded outcome.
pub fn reviewed_exceptions() -> BTreeMap<String, String> {
    let path = repo_root().join("crates/fedgate/tests/corpus-exceptions.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let exceptions: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
    exceptions
        .into_iter()
        .map(|(id, exception)| {
            let outcome = exception["outcome"].as_str().unwrap().to_owned();
            assert!(
                exception["reason"].as_str().is_some_and(|r| r.len() > 40),
                "{id}: an exception needs a reviewed reason"
            );
            (id, outcome)
        })
        .collect()
}
