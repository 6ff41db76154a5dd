//! Fuzzes the SAML bindings: HTTP-POST (base64) and HTTP-Redirect (base64 + raw DEFLATE)
//! decoding with a small output cap, so decompression bombs hit the limit quickly.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run binding -- -max_total_time=60`.
#![no_main]

use fedgate_saml::binding::{decode_post, decode_redirect};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(decoded) = decode_post(&text, LIMIT) {
        assert!(decoded.len() <= LIMIT);
    }
    if let Ok(decoded) = decode_redirect(&text, LIMIT) {
        assert!(decoded.len() <= LIMIT);
    }
});
