//! Request parameter constraints of `AssumeRoleWithSAML` (spec §2.2, botocore model) and the
//! ARN forms STS accepts.
//!
//! Constraint violations are reported as AWS does: all of them in one `ValidationError`,
//! "N validation error(s) detected: Value '…' at 'member' failed to satisfy constraint: …",
//! joined by "; ". Ours where AWS is unconfirmed: member names are the lower-camel-case of
//! the parameter (`roleArn`, `principalArn`, `sAMLAssertion`, `policy`, `policyArns`,
//! `durationSeconds`), and the value of the sensitive `SAMLAssertion` is never echoed.

use std::ops::RangeInclusive;

use crate::StsError;
use crate::assume::AssumeRoleWithSamlRequest;

/// Shortest session (and lowest `DurationSeconds`) STS accepts, in seconds.
pub const MIN_DURATION_SECONDS: u32 = 900;
/// Longest session (and highest `DurationSeconds`) STS accepts, in seconds (12 h).
pub const MAX_DURATION_SECONDS: u32 = 43_200;
/// Session length when `DurationSeconds` is absent (1 h).
pub const DEFAULT_DURATION_SECONDS: u32 = 3_600;
/// Most managed session policies (`PolicyArns`) per request.
pub const MAX_POLICY_ARNS: usize = 10;
/// The plaintext budget of session policies, policy ARNs and session tags that
/// `PackedPolicySize` is a percentage of (STS: "can't exceed 2,048 characters").
pub const PACKED_POLICY_BUDGET_CHARS: usize = 2_048;

const ARN_LENGTH: RangeInclusive<usize> = 20..=2_048;
const ASSERTION_LENGTH: RangeInclusive<usize> = 4..=100_000;
const POLICY_LENGTH: RangeInclusive<usize> = 1..=2_048;
const ARN_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";
const POLICY_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
const DURATION_EXCEEDS_MAX: &str =
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";

/// Checks every parameter constraint and the ARN forms, and returns the requested duration.
pub(crate) fn check_request(request: &AssumeRoleWithSamlRequest) -> Result<u32, StsError> {
    let mut violations = Vec::new();
    let mut check = |member: &str, shown: Option<&str>, problem: Option<String>| {
        if let Some(problem) = problem {
            let value = shown.map_or_else(String::new, |v| format!(" '{v}'"));
            violations.push(format!(
                "Value{value} at '{member}' failed to satisfy constraint: {problem}"
            ));
        }
    };
    let role_arn = request.role_arn.as_str();
    let principal_arn = request.principal_arn.as_str();
    check("roleArn", Some(role_arn), length(role_arn, &ARN_LENGTH));
    check(
        "roleArn",
        Some(role_arn),
        pattern(role_arn, is_arn_char, ARN_PATTERN),
    );
    check(
        "principalArn",
        Some(principal_arn),
        length(principal_arn, &ARN_LENGTH),
    );
    check(
        "principalArn",
        Some(principal_arn),
        pattern(principal_arn, is_arn_char, ARN_PATTERN),
    );
    check(
        "sAMLAssertion",
        None,
        length(request.saml_assertion.expose(), &ASSERTION_LENGTH),
    );
    if let Some(policy) = &request.policy {
        check("policy", Some(policy), length(policy, &POLICY_LENGTH));
        check(
            "policy",
            Some(policy),
            pattern(policy, is_policy_char, POLICY_PATTERN),
        );
    }
    if request.policy_arns.len() > MAX_POLICY_ARNS {
        check(
            "policyArns",
            None,
            Some(format!(
                "Member must have length less than or equal to {MAX_POLICY_ARNS}"
            )),
        );
    }
    for (index, policy) in request.policy_arns.iter().enumerate() {
        let member = format!("policyArns.{}.member.arn", index + 1);
        check(&member, Some(&policy.arn), length(&policy.arn, &ARN_LENGTH));
    }
    let duration = request
        .duration_seconds
        .unwrap_or(i64::from(DEFAULT_DURATION_SECONDS));
    let duration_text = duration.to_string();
    if duration < i64::from(MIN_DURATION_SECONDS) {
        check(
            "durationSeconds",
            Some(&duration_text),
            Some(format!(
                "Member must have value greater than or equal to {MIN_DURATION_SECONDS}"
            )),
        );
    } else if duration > i64::from(MAX_DURATION_SECONDS) {
        check(
            "durationSeconds",
            Some(&duration_text),
            Some(format!(
                "Member must have value less than or equal to {MAX_DURATION_SECONDS}"
            )),
        );
    }
    if !violations.is_empty() {
        let count = violations.len();
        let plural = if count == 1 { "" } else { "s" };
        return Err(StsError::Validation {
            message: format!(
                "{count} validation error{plural} detected: {}",
                violations.join("; ")
            ),
            cause: "parameter_constraint",
        });
    }
    if IamArn::parse(role_arn, "role/").is_none() {
        return Err(StsError::Validation {
            message: "Request ARN is invalid".to_owned(),
            cause: "role_arn_invalid",
        });
    }
    if IamArn::parse(principal_arn, "saml-provider/").is_none() {
        return Err(StsError::Validation {
            message: "Principal ARN is invalid".to_owned(),
            cause: "principal_arn_invalid",
        });
    }
    // Cannot fail: the range was checked above.
    u32::try_from(duration).map_err(|_| StsError::Internal {
        cause: "duration_range",
    })
}

/// `DurationSeconds` must not exceed the role's `MaxSessionDuration`.
pub(crate) fn check_duration_for_role(
    duration: u32,
    max_session_duration: u32,
) -> Result<(), StsError> {
    if duration > max_session_duration {
        return Err(StsError::Validation {
            message: DURATION_EXCEEDS_MAX.to_owned(),
            cause: "duration_exceeds_max_session_duration",
        });
    }
    Ok(())
}

fn length(value: &str, range: &RangeInclusive<usize>) -> Option<String> {
    let chars = value.chars().count();
    if chars < *range.start() {
        Some(format!(
            "Member must have length greater than or equal to {}",
            range.start()
        ))
    } else if chars > *range.end() {
        Some(format!(
            "Member must have length less than or equal to {}",
            range.end()
        ))
    } else {
        None
    }
}

fn pattern(value: &str, allowed: fn(char) -> bool, pattern: &str) -> Option<String> {
    (!value.is_empty() && !value.chars().all(allowed))
        .then(|| format!("Member must satisfy regular expression pattern: {pattern}"))
}

fn is_arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn is_policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

pub(crate) use fedgate_saml::aws::IamArn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_and_provider_arns() {
        let role = IamArn::parse("arn:aws:iam::123456789012:role/team/ConnectSaml", "role/");
        assert_eq!(
            role,
            Some(IamArn {
                partition: "aws",
                account: "123456789012",
                name: "ConnectSaml"
            })
        );
        assert!(
            IamArn::parse(
                "arn:aws:iam::123456789012:saml-provider/Okta",
                "saml-provider/"
            )
            .is_some()
        );
    }

    #[test]
    fn rejects_malformed_arns() {
        for arn in [
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::12345678901:role/A",
            "arn:aws:sts::123456789012:role/A",
            "arn:aws:iam:us-east-1:123456789012:role/A",
            "arn:aws:iam::123456789012:user/A",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role//A",
            "arn:xyz:iam::123456789012:role/A",
            "role/A",
        ] {
            assert_eq!(IamArn::parse(arn, "role/"), None, "{arn}");
        }
    }
}
