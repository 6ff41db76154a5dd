//! Table-driven decisions of `fedgate saml check` on every classified case of
//! `../shared/corpus/` (five other SAML projects' test documents), on the generated attack
//! suite (`tests/attacks/`) and on the interop fixtures (`tests/interop/`).
//!
//! Each case names the trusted key, audience, ACS URL, instant and request IDs; the test
//! runs the real binary with `--json` and compares its decision (and, where given, the
//! NameID or the exact error code). The shared corpus runs with `--allow-weak-rsa` (most of
//! its IdP keys are RSA-1024), so its documents are really verified and examined instead of
//! stopping at `key_too_weak`; the project's own suites keep the default. Known deviations live in `corpus-exceptions.json`, each
//! with a reason; an exception that no longer matches what happens fails the test, so the
//! file cannot go stale.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `shared/` sits beside the repository (read-only); `FEDGATE_SHARED` overrides.
fn shared_dir() -> PathBuf {
    std::env::var_os("FEDGATE_SHARED").map_or_else(|| repo_root().join("../shared"), PathBuf::from)
}

#[derive(Debug)]
struct Case {
    id: String,
    dir: PathBuf,
    fields: serde_json::Map<String, Value>,
    /// From the shared corpus: other projects' documents, most signed with RSA-1024 keys,
    /// run with `--allow-weak-rsa` so every document reaches every check.
    weak_rsa: bool,
}

impl Case {
    fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
    fn bool(&self, key: &str) -> bool {
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

fn load_cases(manifest: &Path, label: &str, weak_rsa: bool) -> Vec<Case> {
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

/// Runs `fedgate saml check --json` for one case; returns "accept" or "reject:<code>" and the
/// JSON output.
fn run_case(case: &Case) -> (String, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fedgate"));
    command
        .args(["saml", "check", "--json"])
        .arg(case.dir.join(case.str("file").unwrap()));
    for metadata in case
        .strings("idp_metadata")
        .into_iter()
        .chain(case.strings("extra_metadata"))
    {
        command.arg("--metadata").arg(case.dir.join(metadata));
    }
    if let Some(certificate) = case.str("idp_cert") {
        command.arg("--idp-cert").arg(case.dir.join(certificate));
        if let Some(entity_id) = case.str("idp_entity_id") {
            command.args(["--idp-entity-id", entity_id]);
        }
    }
    for (key, flag) in [("sp_entity_id", "--sp-entity-id"), ("acs_url", "--acs-url")] {
        for value in case.strings(key) {
            command.args([flag, &value]);
        }
    }
    // A signature-layer vector with no validity window: any instant will do.
    command.args(["--at", case.str("at").unwrap_or("2020-01-01T00:00:00Z")]);
    // The project's own suites say `allow_sha1`; the shared corpus only says whether SHA-1
    // is used (`sha1`), and its SHA-1 cases run with --allow-sha1.
    let allow_sha1 = match case.fields.get("allow_sha1") {
        Some(value) => value.as_bool().unwrap_or(false),
        None => case.bool("sha1"),
    };
    if allow_sha1 {
        command.arg("--allow-sha1");
    }
    if case.weak_rsa {
        command.arg("--allow-weak-rsa");
    }
    for id in case.strings("in_response_to") {
        command.args(["--in-response-to", &id]);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{}: output is not JSON ({e}): {stdout}\n{}",
            case.id,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let outcome = match (output.status.code(), &json) {
        (Some(0), _) => "accept".to_owned(),
        (Some(1), json) => format!("reject:{}", json["error"]["code"].as_str().unwrap_or("?")),
        (Some(2), json) => format!(
            "usage:{}",
            json["usage_error"]["code"].as_str().unwrap_or("?")
        ),
        (code, _) => panic!("{}: exit {code:?}", case.id),
    };
    (outcome, json)
}

/// The decision a case expects, or why the outcome is acceptable without an exception.
fn judge(case: &Case, outcome: &str, json: &Value) -> Result<(), String> {
    let expect = case.str("expect").unwrap_or("?");
    if case.bool("encrypted") && outcome == "reject:encrypted_assertion_unsupported" {
        return Ok(()); // allowed until assertion decryption lands
    }
    match expect {
        "accept" if outcome == "accept" => {
            let nameid = json["subject"].as_str();
            match case.str("expect_nameid") {
                Some(expected) if nameid != Some(expected) => Err(format!(
                    "accepted with NameID {nameid:?}, expected {expected:?}"
                )),
                _ => Ok(()),
            }
        }
        "accept"
            if case.str("safe_alternative") == Some("reject") && outcome.starts_with("reject:") =>
        {
            Ok(())
        }
        // A refused trust input (e.g. a weak key in the metadata) is a rejection too.
        "reject" if outcome.starts_with("reject:") || outcome.starts_with("usage:") => {
            match case.str("expect_code") {
                Some(code) if outcome.split_once(':').map(|(_, c)| c) != Some(code) => {
                    Err(format!("rejected as {outcome}, expected {code}"))
                }
                _ => Ok(()),
            }
        }
        _ => Err(format!("expected {expect}, got {outcome}")),
    }
}

#[test]
fn decides_every_corpus_attack_and_interop_case() {
    let shared = shared_dir();
    let corpus = shared.join("corpus");
    assert!(
        corpus.is_dir(),
        "the shared corpus is missing at {} (set FEDGATE_SHARED)",
        corpus.display()
    );
    let mut cases = Vec::new();
    for source in [
        "crewjam-saml",
        "python3-saml",
        "ruby-saml",
        "pysaml2",
        "samael",
    ] {
        cases.extend(load_cases(
            &corpus.join(source).join("cases.json"),
            source,
            true,
        ));
    }
    for (label, dir) in [("attacks", "tests/attacks"), ("interop", "tests/interop")] {
        let manifest = repo_root().join(dir).join("cases.json");
        assert!(manifest.is_file(), "{} is missing", manifest.display());
        // The project's own suites keep the secure default (key/rsa-1024.xml expects
        // key_too_weak).
        cases.extend(load_cases(&manifest, label, false));
    }

    let exceptions_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-exceptions.json");
    let exceptions: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&exceptions_path).unwrap()).unwrap();
    let mut used = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    let mut tally: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    // Two workers: each case is its own process, and the machines have two cores.
    let outcomes: Vec<(String, Value)> = std::thread::scope(|scope| {
        let halves: Vec<_> = cases
            .chunks(cases.len().div_ceil(2).max(1))
            .map(|chunk| scope.spawn(move || chunk.iter().map(run_case).collect::<Vec<_>>()))
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for (case, (outcome, json)) in cases.iter().zip(outcomes) {
        let source = case.id.split('/').next().unwrap_or("?").to_owned();
        let counts = tally.entry(source).or_default();
        let verdict = match exceptions.get(&case.id) {
            Some(exception) => {
                used.insert(case.id.clone());
                counts[2] += 1;
                let recorded = exception["outcome"].as_str().unwrap_or("?");
                if recorded == outcome {
                    Ok(())
                } else {
                    Err(format!(
                        "exception says {recorded}, got {outcome}: update or remove the exception"
                    ))
                }
            }
            None => {
                let verdict = judge(case, &outcome, &json);
                if verdict.is_ok() {
                    counts[0] += 1;
                } else {
                    counts[1] += 1;
                }
                verdict
            }
        };
        if let Err(message) = verdict {
            failures.push(format!("{}: {message}", case.id));
        }
    }
    for id in exceptions.keys().filter(|id| !used.contains(*id)) {
        failures.push(format!("{id}: exception for a case that does not exist"));
    }
    for (source, [passed, failed, excepted]) in &tally {
        println!(
            "{source:>14}: {passed} as expected, {excepted} known deviations, {failed} failing"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
