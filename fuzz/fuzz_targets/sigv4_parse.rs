//! Fuzzes SigV4 request parsing: the `Authorization` header form and the presigned query form
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, …), then verification against a fixed secret, which
//! must never accept a fuzzed signature.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run sigv4_parse -- -max_total_time=60`.
#![no_main]

use fedgate_aws_wire::sigv4;
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let authorization = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    let amz_date = parts.next().unwrap_or_default();
    let headers = vec![
        ("host".to_owned(), "127.0.0.1:8080".to_owned()),
        ("authorization".to_owned(), authorization.to_owned()),
        ("x-amz-date".to_owned(), amz_date.to_owned()),
    ];
    let request = sigv4::Request {
        method: "POST",
        path: "/",
        query,
        headers: &headers,
        body: b"Action=ListRoles&Version=2010-05-08",
    };
    if let Ok(Some(signed)) = sigv4::parse(&request) {
        let now = datetime!(2026-12-04 10:00:00 UTC);
        assert!(sigv4::verify(&signed, &request, "fuzz-secret", now).is_err());
    }
});
