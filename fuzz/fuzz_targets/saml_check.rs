//! Fuzzes the whole offline check `fedgate saml check` runs: binding detection and decoding,
//! then `validate_response` against IdP A's metadata at a fixed instant inside the test
//! vectors' validity window.
//!
//! Seed it with the accepted vectors (`scripts/fuzz-smoke.sh` does). Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run saml_check -- -max_total_time=60`.
#![no_main]

use std::sync::LazyLock;

use fedgate_saml::metadata::parse_metadata;
use fedgate_saml::{IdentityProvider, ServiceProvider, binding, validate_response};
use fedgate_xml::Limits;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use time::macros::datetime;

const METADATA: &str = include_str!("../../tests/keys/idp-a-metadata.xml");
/// Inside the window of `tests/attacks/valid/*` (NotBefore 00:00:00Z, NotOnOrAfter 01:00:00Z).
const NOW: OffsetDateTime = datetime!(2026-01-01 00:01:00 UTC);

static PROVIDERS: LazyLock<Vec<IdentityProvider>> =
    LazyLock::new(|| parse_metadata(METADATA, &Limits::default()).unwrap_or_default());
static SP: LazyLock<ServiceProvider> = LazyLock::new(ServiceProvider::default);

fuzz_target!(|data: &[u8]| {
    assert!(!PROVIDERS.is_empty(), "IdP A metadata must parse");
    let Ok(xml) = binding::decode_detected(data, SP.limits.max_bytes) else {
        return;
    };
    if let Ok(assertion) = validate_response(&xml, &PROVIDERS, &SP, NOW, &[]) {
        // Accepted only with a signature by one of the providers given.
        assert!(assertion.provider_index() < PROVIDERS.len());
        assert!(assertion.signed().assertion || assertion.signed().response);
    }
});
