//! Fuzzes opening STS session tokens (the `X-Amz-Security-Token` of every call signed with
//! temporary credentials): arbitrary text must be refused without panicking, and nothing but
//! a token sealed under the key can open.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run session_token -- -max_total_time=60`.
#![no_main]

use fedgate_sts::{SessionTokenKey, open_session_token};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = SessionTokenKey::new(&[7; 32]) else {
        return;
    };
    let token = String::from_utf8_lossy(data);
    let now = datetime!(2026-12-04 10:00:00 UTC);
    assert!(open_session_token(&token, &key, now).is_err());
});
