//! The shared corpus (`../shared/corpus`: other SAML projects' test documents, most signed
//! with RSA-1024 keys) run directly against [`fedgate_saml::validate_response`], with weak RSA
//! allowed through the `danger` API so that every document reaches every check.
//!
//! Two things are asserted for each of its decisions:
//! - the decision agrees with what the original project decides (`expect`, `expect_nameid`,
//!   `safe_alternative`), or the case is a reviewed deviation in
//!   `crates/fedgate/tests/corpus-exceptions.json` (shared with the binary's corpus test);
//! - the exact outcome (`accept`, `reject:<code>`, `usage:<code>`) equals the one pinned in
//!   `tests/shared-corpus-codes.json`, so a document the corpus expects to be rejected cannot
//!   silently start failing for another reason (e.g. an XSW vector refused as
//!   `multiple_assertions` today, by an unrelated check tomorrow). The corpus gives no codes of
//!   its own; the pinned file was reviewed against each case's `reason`. After a deliberate
//!   change, `FEDGATE_BLESS=1 cargo test -p fedgate-saml --test shared_corpus` rewrites it;
//!   review the diff.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{SHARED_SOURCES, judge, load_cases, reviewed_exceptions, run_case, shared_corpus};

fn pinned_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/shared-corpus-codes.json")
}

#[test]
fn every_shared_corpus_case_is_decided_as_pinned() {
    let corpus = shared_corpus();
    let mut cases = Vec::new();
    for source in SHARED_SOURCES {
        cases.extend(load_cases(
            &corpus.join(source).join("cases.json"),
            source,
            true,
        ));
    }
    assert!(cases.len() >= 130, "only {} cases", cases.len());

    let bless = std::env::var_os("FEDGATE_BLESS").is_some();
    let pinned: BTreeMap<String, String> = if bless {
        BTreeMap::new()
    } else {
        let text = std::fs::read_to_string(pinned_path())
            .unwrap_or_else(|e| panic!("{}: {e}", pinned_path().display()));
        serde_json::from_str(&text).unwrap()
    };
    let exceptions = reviewed_exceptions();
    let mut outcomes = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rejected_by = BTreeMap::<String, usize>::new();
    for case in &cases {
        let outcome = run_case(case);
        let verdict = match exceptions.get(&case.id) {
            Some(recorded) if *recorded == outcome.decision => Ok(()),
            Some(recorded) => Err(format!(
                "exception says {recorded}, got {}",
                outcome.decision
            )),
            None => judge(case, &outcome, false),
        };
        if let Err(message) = verdict {
            failures.push(format!("{}: {message}", case.id));
        }
        match pinned.get(&case.id) {
            _ if bless => {}
            Some(expected) if *expected == outcome.decision => {}
            Some(expected) => failures.push(format!(
                "{}: pinned as {expected}, got {}",
                case.id, outcome.decision
            )),
            None => failures.push(format!(
                "{}: not pinned (got {})",
                case.id, outcome.decision
            )),
        }
        *rejected_by.entry(outcome.decision.clone()).or_default() += 1;
        outcomes.insert(case.id.clone(), outcome.decision);
    }
    for id in pinned.keys().filter(|id| !outcomes.contains_key(*id)) {
        failures.push(format!("{id}: pinned, but the corpus has no such case"));
    }
    if bless {
        let text = serde_json::to_string_pretty(&outcomes).unwrap() + "\n";
        std::fs::write(pinned_path(), text).unwrap();
    }
    // Every document really examined: none stops at the key check any more.
    assert!(
        !outcomes.values().any(|o| o.ends_with(":key_too_weak")),
        "a shared corpus case still stops at key_too_weak"
    );
    println!("{rejected_by:#?}");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
