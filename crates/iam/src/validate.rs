//! Parameter constraints from the botocore IAM model (spec/aws-federation.md §3.2, §3.3), with
//! AWS's `ValidationError` wording.

use std::collections::BTreeMap;

use fedgate_aws_wire::QueryRequest;
use fedgate_iam_policy::{ParseOptions, Policy};
use fedgate_store::Tag;

use crate::IamError;

/// Most tags on one resource and in one request (IAM quota).
pub const MAX_TAGS: usize = 50;
/// Longest tag key.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// Longest tag value.
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// Longest policy document accepted on the wire (model `policyDocumentType` max length).
pub const MAX_POLICY_DOCUMENT_CHARS: usize = 131_072;

/// The lower-camel-case member name AWS uses in validation messages (`RoleName` → `roleName`).
fn member(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn failed(name: &str, value: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: \
         {constraint}",
        member(name)
    ))
}

/// The required parameter `name`.
pub fn required<'r>(request: &'r QueryRequest, name: &str) -> Result<&'r str, IamError> {
    request
        .required(name)
        .map_err(|error| IamError::Validation(error.message))
}

/// Checks a length in characters.
pub fn length(name: &str, value: &str, min: usize, max: usize) -> Result<(), IamError> {
    let chars = value.chars().count();
    if chars < min {
        return Err(failed(
            name,
            value,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if chars > max {
        // Very long values are not echoed back in full.
        let shown: String = value.chars().take(64).collect();
        return Err(failed(
            name,
            &shown,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

fn pattern(
    name: &str,
    value: &str,
    regex: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), IamError> {
    if value.chars().all(allowed) {
        Ok(())
    } else {
        Err(failed(
            name,
            value,
            &format!("Member must satisfy regular expression pattern: {regex}"),
        ))
    }
}

/// Java's `\w`: ASCII letters, digits and `_`.
fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A role, policy or inline policy name: 1–`max` characters of `[\w+=,.@-]`.
pub fn entity_name(name: &str, value: &str, max: usize) -> Result<(), IamError> {
    length(name, value, 1, max)?;
    pattern(name, value, r"[\w+=,.@-]+", |c| {
        word(c) || "+=,.@-".contains(c)
    })
}

/// A SAML provider name: 1–128 characters of `[\w._-]` (the model's pattern; the docs'
/// wider `_+=,.@-` set is UNCONFIRMED, so the model wins).
pub fn provider_name(value: &str) -> Result<(), IamError> {
    length("Name", value, 1, 128)?;
    pattern("Name", value, r"[\w._-]+", |c| word(c) || "._-".contains(c))
}

/// A path: `/` or `/…/`, 1–512 characters of `\u0021-\u007E`.
pub fn path(name: &str, value: &str) -> Result<(), IamError> {
    length(name, value, 1, 512)?;
    let printable = value.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if printable && value.starts_with('/') && value.ends_with('/') {
        Ok(())
    } else {
        Err(failed(
            name,
            value,
            r"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        ))
    }
}

/// A path prefix for listings: `/` followed by `\u0021-\u007E`, 1–512 characters.
pub fn path_prefix(value: &str) -> Result<(), IamError> {
    length("PathPrefix", value, 1, 512)?;
    let printable = value.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if printable && value.starts_with('/') {
        Ok(())
    } else {
        Err(failed(
            "PathPrefix",
            value,
            r"Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*",
        ))
    }
}

/// A description: ≤ 1000 characters of `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]`.
pub fn description(value: &str) -> Result<(), IamError> {
    length("Description", value, 0, 1000)?;
    pattern(
        "Description",
        value,
        r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
        |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
    )
}

/// An ARN parameter: 20–2048 characters.
pub fn arn(name: &str, value: &str) -> Result<(), IamError> {
    length(name, value, 20, 2048)
}

/// An integer parameter in `min..=max`, or `default` when absent.
pub fn integer(
    request: &QueryRequest,
    name: &str,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, IamError> {
    let Some(text) = request.get(name) else {
        return Ok(default);
    };
    let value: i64 = text.trim().parse().map_err(|_| {
        IamError::Validation(format!(
            "1 validation error detected: Value '{text}' at '{}' failed to satisfy constraint: \
             Member must be a number",
            member(name)
        ))
    })?;
    if value < min {
        return Err(failed(
            name,
            text,
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if value > max {
        return Err(failed(
            name,
            text,
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(value)
}

/// A boolean parameter (`true`/`false`), `false` when absent.
pub fn boolean(request: &QueryRequest, name: &str) -> Result<bool, IamError> {
    match request.get(name) {
        None => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        Some(text) => Err(failed(name, text, "Member must be a boolean")),
    }
}

/// `Marker` (1–320 characters) and `MaxItems` (1–1000, default 100).
pub fn paging(request: &QueryRequest) -> Result<(Option<String>, usize), IamError> {
    let marker = request.get("Marker");
    if let Some(marker) = marker {
        length("Marker", marker, 1, 320)?;
    }
    let max_items = integer(request, "MaxItems", 1, 1000, 100)?;
    Ok((
        marker.map(str::to_owned),
        usize::try_from(max_items).unwrap_or(100),
    ))
}

/// One of `allowed`.
pub fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<(), IamError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(failed(
            name,
            value,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        ))
    }
}

/// `\p{L}\p{Z}\p{N}_.:/=+\-@`, the tag character class.
fn tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

/// The tag-key prefix AWS reserves for itself (`aws:`, case-insensitively): such tags are set
/// only by AWS (`aws:cloudformation:…`), never through the tagging APIs.
pub const RESERVED_TAG_PREFIX: &str = "aws:";

/// The `Tags.member.N.Key/Value` list: ≤ 50, key 1–128 and not starting with `aws:`,
/// value present and 0–256, no key twice (case-insensitively).
pub fn tags(request: &QueryRequest) -> Result<Vec<Tag>, IamError> {
    let members = request
        .struct_list("Tags.member")
        .map_err(|error| IamError::Validation(error.message))?;
    tag_list(&members)
}

fn tag_list(members: &[BTreeMap<String, &str>]) -> Result<Vec<Tag>, IamError> {
    if members.len() > MAX_TAGS {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member \
             must have length less than or equal to {MAX_TAGS}"
        )));
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(members.len());
    for member in members {
        let key = member.get("Key").copied().ok_or_else(|| {
            IamError::Validation(
                "1 validation error detected: Value null at 'tags.member.key' failed to satisfy \
                 constraint: Member must not be null"
                    .to_owned(),
            )
        })?;
        // A tag without Value is refused as AWS does (the model says the member is required);
        // `Value=` (empty) is a value.
        let value = member.get("Value").copied().ok_or_else(|| {
            IamError::Validation(
                "1 validation error detected: Value null at 'tags.member.value' failed to \
                 satisfy constraint: Member must not be null"
                    .to_owned(),
            )
        })?;
        length("Tags.member.Key", key, 1, MAX_TAG_KEY_CHARS)?;
        if key
            .get(..RESERVED_TAG_PREFIX.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(RESERVED_TAG_PREFIX))
        {
            return Err(IamError::InvalidInput(format!(
                "Tag key {key} is not valid: tag keys starting with '{RESERVED_TAG_PREFIX}' \
                 (in any case) are reserved for AWS use."
            )));
        }
        pattern(
            "Tags.member.Key",
            key,
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            tag_char,
        )?;
        length("Tags.member.Value", value, 0, MAX_TAG_VALUE_CHARS)?;
        pattern(
            "Tags.member.Value",
            value,
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            tag_char,
        )?;
        if tags
            .iter()
            .any(|tag| tag.key.to_lowercase() == key.to_lowercase())
        {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                    .to_owned(),
            ));
        }
        tags.push(Tag::new(key, value));
    }
    Ok(tags)
}

/// The `TagKeys.member.N` list: ≤ 50 keys of 1–128 characters.
pub fn tag_keys(request: &QueryRequest) -> Result<Vec<String>, IamError> {
    let keys = request
        .list("TagKeys.member")
        .map_err(|error| IamError::Validation(error.message))?;
    if keys.len() > MAX_TAGS {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member \
             must have length less than or equal to {MAX_TAGS}"
        )));
    }
    keys.iter()
        .map(|key| {
            length("TagKeys.member", key, 1, MAX_TAG_KEY_CHARS)?;
            pattern(
                "TagKeys.member",
                key,
                r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
                tag_char,
            )?;
            Ok((*key).to_owned())
        })
        .collect()
}

/// A policy document: wire constraints (1–131072 characters of
/// `[\u0009\u000A\u000D\u0020-\u00FF]`), then the policy grammar and size quota of `options`.
pub fn policy_document(
    name: &str,
    document: &str,
    options: &ParseOptions,
) -> Result<Policy, IamError> {
    length(name, document, 1, MAX_POLICY_DOCUMENT_CHARS)?;
    if !document
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member \
             must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            member(name)
        )));
    }
    Policy::parse(document, options).map_err(|error| match error.aws_code() {
        "LimitExceeded" => IamError::LimitExceeded(error.message()),
        "InvalidInput" => IamError::InvalidInput(error.message()),
        _ => IamError::MalformedPolicyDocument(error.message()),
    })
}

/// Characters counted against IAM's size quotas: the policy engine's own rule.
pub use fedgate_iam_policy::quota_chars;

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_member<'a>(pairs: &[(&str, &'a str)]) -> BTreeMap<String, &'a str> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), *value))
            .collect()
    }

    #[test]
    fn refuses_tag_keys_reserved_for_aws() {
        for key in ["aws:team", "AWS:team", "Aws:cloudformation:stack-name"] {
            let error = tag_list(&[tag_member(&[("Key", key), ("Value", "x")])]).unwrap_err();
            let aws = error.to_aws_error();
            assert_eq!(aws.code, "InvalidInput", "{key}");
            assert!(
                aws.message.contains("reserved for AWS use"),
                "{}",
                aws.message
            );
        }
        // Only the prefix is reserved.
        tag_list(&[tag_member(&[("Key", "team:aws"), ("Value", "x")])]).unwrap();
        tag_list(&[tag_member(&[("Key", "aws"), ("Value", "x")])]).unwrap();
    }

    #[test]
    fn refuses_a_tag_without_value_but_keeps_an_empty_one() {
        let error = tag_list(&[tag_member(&[("Key", "team")])]).unwrap_err();
        assert_eq!(
            error.to_aws_error().message,
            "1 validation error detected: Value null at 'tags.member.value' failed to satisfy \
             constraint: Member must not be null"
        );
        let tags = tag_list(&[tag_member(&[("Key", "team"), ("Value", "")])]).unwrap();
        assert_eq!(tags, vec![Tag::new("team", "")]);
    }

    #[test]
    fn entity_names_follow_the_model_pattern() {
        assert!(entity_name("RoleName", "Admin+=,.@-_1", 64).is_ok());
        assert!(entity_name("RoleName", "", 64).is_err());
        assert!(entity_name("RoleName", &"a".repeat(65), 64).is_err());
        assert!(entity_name("RoleName", "a b", 64).is_err());
        assert!(entity_name("RoleName", "é", 64).is_err());
    }

    #[test]
    fn paths_must_start_and_end_with_a_slash() {
        assert!(path("Path", "/").is_ok());
        assert!(path("Path", "/a/b/").is_ok());
        assert!(path("Path", "a/").is_err());
        assert!(path("Path", "/a").is_err());
        assert!(path("Path", "/a b/").is_err());
    }

    #[test]
    fn counts_quota_chars_without_whitespace_outside_strings() {
        assert_eq!(quota_chars("{ \"a b\" : 1 }"), 9);
        assert_eq!(quota_chars("{\"a\\\" \":1}"), 10);
    }

    #[test]
    fn validation_messages_use_lower_camel_member_names() {
        let error = entity_name("RoleName", "a b", 64).unwrap_err();
        assert!(
            error.to_string().contains("at 'roleName' failed"),
            "{error}"
        );
    }
}
