//! Fuzzes AuthnRequest reception on the identity-provider side
//! (`fedgate_saml::idp::receive_redirect` and `receive_post`): the query string and the form
//! value come from any browser, before anything is authenticated.
//!
//! Each input is tried as an HTTP-Redirect query string, and, base64-encoded here so the
//! fuzzer mutates XML rather than base64, as an HTTP-POST `SAMLRequest`; both with no keys
//! and with a service provider's key (so signature parsing and verification run too).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run authn_request -- -max_total_time=60`.
#![no_main]

use std::sync::LazyLock;

use fedgate_saml::IdentityProvider;
use fedgate_saml::idp::{
    MAX_ID_BYTES, MAX_RELAY_STATE_BYTES, RequestKeys, receive_post, receive_redirect,
};
use fedgate_saml::metadata::parse_metadata;
use fedgate_xml::Limits;
use libfuzzer_sys::fuzz_target;

/// A small document limit, so hostile sizes hit it quickly.
const LIMITS: Limits = Limits {
    max_bytes: 16 * 1024,
    ..Limits::DEFAULT
};

/// The SP's keys: those of IdP A's metadata (an RSA and a P-256 key), read once.
const METADATA: &str = include_str!("../../tests/keys/idp-a-metadata.xml");
static PROVIDERS: LazyLock<Vec<IdentityProvider>> =
    LazyLock::new(|| parse_metadata(METADATA, &Limits::default()).unwrap_or_default());

fuzz_target!(|data: &[u8]| {
    let Some(provider) = PROVIDERS.first() else {
        panic!("IdP A metadata must parse");
    };
    let keys = provider.keys();
    let text = String::from_utf8_lossy(data);
    let encoded = base64(data);
    for keys in [
        RequestKeys::new(&[], false),
        RequestKeys::new(keys, false),
        RequestKeys::new(keys, true),
    ] {
        for received in [
            receive_redirect(&text, keys, &LIMITS),
            receive_post(&encoded, Some("relay"), keys, &LIMITS),
        ]
        .into_iter()
        .flatten()
        {
            // A signature nobody could check never makes a request signed, and a required
            // signature is never skipped.
            assert!(!received.signed || !keys.keys().is_empty());
            assert!(received.signed || !keys.signature_required());
            assert!(received.request.id.len() <= MAX_ID_BYTES);
            assert!(
                received
                    .relay_state
                    .as_ref()
                    .is_none_or(|relay_state| relay_state.len() <= MAX_RELAY_STATE_BYTES)
            );
        }
    }
});

/// Standard base64 with padding (the fuzz crate has no base64 dependency of its own).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for (index, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
