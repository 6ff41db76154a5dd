//! Fuzzes service-provider metadata parsing on the identity-provider side
//! (`fedgate_saml::idp::parse_sp_metadata`): administrators upload it, often fetched from a
//! URL the service provider controls, so it is untrusted input.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run sp_metadata -- -max_total_time=60`.
#![no_main]

use fedgate_saml::idp::{MAX_ENDPOINTS, MAX_URL_BYTES, parse_sp_metadata};
use fedgate_saml::metadata::MAX_KEYS_PER_PROVIDER;
use fedgate_xml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(sp) = parse_sp_metadata(&text, &Limits::default()) {
        assert!(!sp.entity_id.trim().is_empty());
        assert!(!sp.assertion_consumer_services.is_empty());
        assert!(sp.assertion_consumer_services.len() <= MAX_ENDPOINTS);
        assert!(sp.signing_keys.len() <= MAX_KEYS_PER_PROVIDER);
        for endpoint in &sp.assertion_consumer_services {
            let location = endpoint.location.to_ascii_lowercase();
            assert!(location.starts_with("https://") || location.starts_with("http://"));
            assert!(endpoint.location.len() <= MAX_URL_BYTES);
        }
    }
});
