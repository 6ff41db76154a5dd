//! Fuzzes the IAM policy parser (untrusted input: `CreateRole`, `UpdateAssumeRolePolicy`,
//! `PutRolePolicy`, the session `Policy` of `AssumeRoleWithSAML`).
//!
//! Every accepted document must round-trip through its canonical JSON, and evaluating it must
//! not panic. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run policy_parse -- -max_total_time=60`.
#![no_main]

use fedgate_iam_policy::{
    ParseOptions, Policy, PolicySet, PrincipalId, RequestContext, evaluate, explain,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kinds = [
        ParseOptions::trust(),
        ParseOptions::inline_identity(),
        ParseOptions::session(),
        ParseOptions::resource(),
    ];
    for options in kinds {
        let Ok(policy) = Policy::parse(text, &options) else {
            continue;
        };
        let canonical = policy.to_json();
        // Canonical JSON writes lists where the input may have had single strings, so it can
        // be a little longer than the input; only compare when it fits the same quota.
        if canonical.chars().count() <= options.max_chars() {
            let reparsed = Policy::parse(&canonical, &options);
            assert_eq!(
                reparsed.as_ref().ok(),
                Some(&policy),
                "canonical form differs: {canonical}"
            );
        }
        let ctx = RequestContext::new("sts:AssumeRoleWithSAML")
            .with_principal(PrincipalId::federated(
                "arn:aws:iam::123456789012:saml-provider/A",
            ))
            .with_resource("arn:aws:s3:::b/k")
            .with_key("saml:aud", "https://signin.aws.amazon.com/saml")
            .with_key("aws:username", "a*")
            .with_values("aws:TagKeys", ["x", "y"]);
        let set = PolicySet::new()
            .resource("p", &policy)
            .identity("p", &policy);
        let _ = evaluate(&set, &ctx).decision();
        let _ = explain(&set, &ctx).statements().len();
    }
});
