//! Fuzzes IdP metadata parsing (`fedgate_saml::metadata::parse_metadata`): metadata is
//! uploaded by administrators but often fetched from a URL, so it is untrusted input too.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run metadata -- -max_total_time=60`.
#![no_main]

use fedgate_saml::metadata::{MAX_ENTITIES, parse_metadata};
use fedgate_xml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(providers) = parse_metadata(&text, &Limits::default()) {
        assert!(!providers.is_empty() && providers.len() <= MAX_ENTITIES);
        assert!(providers.iter().all(|provider| !provider.keys().is_empty()));
    }
});
