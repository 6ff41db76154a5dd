//! Fuzzes the AWS Query protocol decoder: a query string, a content type and a body, as
//! `POST /` receives them (limits on size and parameter count apply).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run query_parse -- -max_total_time=60`.
#![no_main]

use fedgate_aws_wire::QueryRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte chooses how the input is split into query string and body.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len());
    let (query, body) = rest.split_at(at);
    let query = String::from_utf8_lossy(query);
    for content_type in [Some("application/x-www-form-urlencoded; charset=utf-8"), None] {
        if let Ok(request) = QueryRequest::parse(&query, content_type, body) {
            let _ = request.action();
            let _ = request.version();
            let _ = request.struct_list("PolicyArns.member");
        }
    }
});
