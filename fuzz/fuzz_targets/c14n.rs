//! Fuzzes XML canonicalization (`fedgate_xml::c14n::canonicalize`) with every algorithm, on
//! the root and on its first child element, excluding the first descendant element (as the
//! enveloped-signature transform excludes the Signature).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run c14n -- -max_total_time=60`.
#![no_main]

use fedgate_xml::c14n::{Algorithm, canonicalize};
use fedgate_xml::{Document, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(document) = Document::parse(&text, &Limits::default()) else {
        return;
    };
    let root = document.root_element();
    let algorithms = [
        Algorithm::Exclusive {
            with_comments: false,
            inclusive_prefixes: Vec::new(),
        },
        Algorithm::Exclusive {
            with_comments: true,
            inclusive_prefixes: Vec::new(),
        },
        Algorithm::Exclusive {
            with_comments: false,
            inclusive_prefixes: vec![
                "#default".to_owned(),
                "saml".to_owned(),
                "xs".to_owned(),
                "a".to_owned(),
            ],
        },
        Algorithm::Inclusive10 {
            with_comments: false,
        },
        Algorithm::Inclusive10 {
            with_comments: true,
        },
        Algorithm::Inclusive11 {
            with_comments: false,
        },
        Algorithm::Inclusive11 {
            with_comments: true,
        },
    ];
    let mut out = Vec::new();
    for apex in std::iter::once(root).chain(root.children().next()) {
        let exclude = apex.descendants().next();
        for algorithm in &algorithms {
            for excluded in [None, exclude] {
                out.clear();
                if canonicalize(apex, algorithm, excluded, &mut out).is_ok() {
                    // Canonical XML is UTF-8 text and starts with the apex's start tag.
                    assert!(std::str::from_utf8(&out).is_ok());
                    assert_eq!(out.first(), Some(&b'<'));
                }
            }
        }
    }
});
