//! AWS Query protocol requests: `Action=…&Version=…&Name=value…`.
//!
//! Parameters come from the URL query string and, for `POST`, from an
//! `application/x-www-form-urlencoded` body; both are decoded the same way (`+` is a space,
//! `%XX` escapes are strict, names and values must be UTF-8). A name given twice, in either
//! place or across both, is rejected rather than resolved: the server must never act on a value
//! other than the one a reader of the request (or its signature) would assume.
//!
//! Lists and structures use the Query protocol's flattened names, as botocore serializes them:
//! `TagKeys.member.1=a&TagKeys.member.2=b`, `Tags.member.1.Key=k&Tags.member.1.Value=v`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::AwsError;
use crate::encoding;

/// Largest accepted query string plus body, in bytes: 2 MiB.
///
/// The largest legitimate inputs are STS `SAMLAssertion` (at most 100,000 characters of
/// base64, about 300 KB once percent-encoded) and IAM `SAMLMetadataDocument` (real metadata is
/// tens of KB; the botocore model allows up to 10,000,000 characters, which fedgate does not
/// accept). 1 MiB for ordinary parameters plus headroom for the assertion.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// Most parameters accepted in one request, query string and body together.
///
/// The largest IAM inputs fedgate serves have 50 tags (100 parameters) or 10 policy ARNs; 1000
/// leaves room for any client while bounding the work the list readers do.
pub const MAX_PARAMS: usize = 1000;

/// Most members accepted in one list (`TagKeys.member.N`); also the largest index `N`.
/// Model limits (50 tags, 10 policy ARNs) are the caller's to enforce.
pub const MAX_LIST_MEMBERS: usize = 1000;

/// The media type of a Query-protocol body.
const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// Resource limits for [`QueryRequest::parse_with_limits`]; [`Default`] uses the documented
/// constants [`MAX_REQUEST_BYTES`], [`MAX_PARAMS`] and [`MAX_LIST_MEMBERS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Largest query string plus body, in bytes.
    pub max_request_bytes: usize,
    /// Most parameters in one request.
    pub max_params: usize,
    /// Most members in one list, and the largest list index.
    pub max_list_members: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_request_bytes: MAX_REQUEST_BYTES,
            max_params: MAX_PARAMS,
            max_list_members: MAX_LIST_MEMBERS,
        }
    }
}

/// A decoded AWS Query request: the action, the API version and the parameters in the order
/// received (query string first, then body).
///
/// `Debug` shows the action, version and parameter *names* only: values can hold SAML
/// assertions, policy documents and private keys.
#[derive(Clone)]
pub struct QueryRequest {
    params: Vec<(String, String)>,
    max_list_members: usize,
}

impl fmt::Debug for QueryRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryRequest")
            .field("action", &self.action())
            .field("version", &self.version())
            .field(
                "params",
                &self.params.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl QueryRequest {
    /// Decodes the parameters of the URL `query_string` (without `?`) and of `body` within the
    /// default [`QueryLimits`].
    ///
    /// The body is read as a form when it is non-empty; its `content_type` must then be absent
    /// or `application/x-www-form-urlencoded` (parameters allowed, `charset` only UTF-8).
    ///
    /// # Errors
    /// - `MissingAction` (400) without a non-empty `Action` parameter;
    /// - `RequestEntityTooLarge` (413) above [`MAX_REQUEST_BYTES`];
    /// - `UnsupportedMediaType` (415) for a body of another media type or charset;
    /// - `MalformedQueryString` (400) for a bad `%` escape, a name or value that is not UTF-8,
    ///   or an empty name;
    /// - `ValidationError` (400) above [`MAX_PARAMS`] parameters;
    /// - `InvalidParameterCombination` (400) when a name appears twice.
    pub fn parse(
        query_string: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, AwsError> {
        Self::parse_with_limits(query_string, content_type, body, &QueryLimits::default())
    }

    /// [`QueryRequest::parse`] with explicit `limits`.
    ///
    /// # Errors
    /// As [`QueryRequest::parse`], with `limits` in place of the default constants.
    pub fn parse_with_limits(
        query_string: &str,
        content_type: Option<&str>,
        body: &[u8],
        limits: &QueryLimits,
    ) -> Result<Self, AwsError> {
        let size = query_string.len().saturating_add(body.len());
        if size > limits.max_request_bytes {
            return Err(AwsError::new(
                "RequestEntityTooLarge",
                413,
                format!(
                    "Request size {size} exceeds the limit of {} bytes",
                    limits.max_request_bytes
                ),
            ));
        }
        if !body.is_empty() {
            check_form_content_type(content_type)?;
        }

        let mut params = Vec::new();
        let mut seen = BTreeSet::new();
        let pairs =
            encoding::split_pairs(query_string.as_bytes()).chain(encoding::split_pairs(body));
        for (raw_name, raw_value) in pairs {
            if params.len() >= limits.max_params {
                return Err(AwsError::validation(format!(
                    "Request has more than {} parameters",
                    limits.max_params
                )));
            }
            let name = decode_component(raw_name)?;
            if name.is_empty() {
                return Err(malformed("parameter with an empty name"));
            }
            let value = decode_component(raw_value)?;
            if !seen.insert(name.clone()) {
                return Err(AwsError::new(
                    "InvalidParameterCombination",
                    400,
                    format!("Parameter {name} was given more than once"),
                ));
            }
            params.push((name, value));
        }

        let request = Self {
            params,
            max_list_members: limits.max_list_members,
        };
        if request.get("Action").is_none_or(str::is_empty) {
            return Err(AwsError::missing_action());
        }
        Ok(request)
    }

    /// The `Action` parameter (never empty).
    #[must_use]
    pub fn action(&self) -> &str {
        self.get("Action").unwrap_or_default()
    }

    /// The `Version` parameter, when given.
    #[must_use]
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// The value of parameter `name` (exact, case-sensitive), when given. An empty value
    /// (`Name=`) is `Some("")`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every parameter as `(name, value)`, in the order received.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The value of the required parameter `name`.
    ///
    /// # Errors
    /// `ValidationError` when it is absent, worded as AWS does with the member name in
    /// lower camel case: `1 validation error detected: Value null at 'roleArn' failed to
    /// satisfy constraint: Member must not be null`.
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).ok_or_else(|| {
            AwsError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                lower_camel(name)
            ))
        })
    }

    /// The members of the list `prefix` (`"TagKeys.member"`): the values of `TagKeys.member.1`,
    /// `TagKeys.member.2`, … in index order. An absent list is empty.
    ///
    /// # Errors
    /// `ValidationError` when an index is not a decimal number from 1 without leading zeros,
    /// is above [`MAX_LIST_MEMBERS`], has a further component (`TagKeys.member.1.x`), or the
    /// indexes have a gap.
    pub fn list(&self, prefix: &str) -> Result<Vec<&str>, AwsError> {
        let mut members = BTreeMap::new();
        for (name, value) in &self.params {
            let Some(rest) = strip_member_prefix(name, prefix) else {
                continue;
            };
            let index = self.parse_index(name, rest)?;
            members.insert(index, value.as_str());
        }
        check_contiguous(prefix, members.keys())?;
        Ok(members.into_values().collect())
    }

    /// The members of the structure list `prefix` (`"Tags.member"`), one map per index from
    /// field name to value: `Tags.member.1.Key=k&Tags.member.1.Value=v` gives
    /// `[{"Key": "k", "Value": "v"}]`; `PolicyArns.member.1.arn=…` gives `[{"arn": …}]`.
    /// Fields are not checked: the caller knows which it needs.
    ///
    /// # Errors
    /// `ValidationError` as for [`QueryRequest::list`], and when a member has no field name
    /// (`Tags.member.1`).
    pub fn struct_list(&self, prefix: &str) -> Result<Vec<BTreeMap<String, &str>>, AwsError> {
        let mut members: BTreeMap<usize, BTreeMap<String, &str>> = BTreeMap::new();
        for (name, value) in &self.params {
            let Some(rest) = strip_member_prefix(name, prefix) else {
                continue;
            };
            let (index, field) = match rest.split_once('.') {
                Some((index, field)) if !field.is_empty() => (index, field),
                _ => {
                    return Err(AwsError::validation(format!(
                        "Parameter {name} must name a field of list member {prefix}.N"
                    )));
                }
            };
            let index = self.parse_index(name, index)?;
            members
                .entry(index)
                .or_default()
                .insert(field.to_owned(), value.as_str());
        }
        check_contiguous(prefix, members.keys())?;
        Ok(members.into_values().collect())
    }

    /// Parses a list index: decimal digits, no leading zero, 1 ..= `max_list_members`.
    fn parse_index(&self, name: &str, index: &str) -> Result<usize, AwsError> {
        let invalid = || {
            AwsError::validation(format!(
                "Parameter {name} has an invalid list index; indexes are 1 to {}",
                self.max_list_members
            ))
        };
        if index.is_empty() || index.starts_with('0') || !index.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        match index.parse::<usize>() {
            Ok(index) if index <= self.max_list_members => Ok(index),
            _ => Err(invalid()),
        }
    }
}

/// `name` without `prefix.`, when `name` starts with it.
fn strip_member_prefix<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)?.strip_prefix('.')
}

/// Checks that `indexes` (ascending) are exactly `1..=n`.
fn check_contiguous<'a>(
    prefix: &str,
    indexes: impl Iterator<Item = &'a usize>,
) -> Result<(), AwsError> {
    for (expected, &index) in (1_usize..).zip(indexes) {
        if index != expected {
            return Err(AwsError::validation(format!(
                "List {prefix} has no member {expected}: members must be numbered from 1 without gaps"
            )));
        }
    }
    Ok(())
}

/// Checks that a non-empty body is a UTF-8 form.
fn check_form_content_type(content_type: Option<&str>) -> Result<(), AwsError> {
    let Some(content_type) = content_type else {
        return Ok(());
    };
    let unsupported = || {
        AwsError::new(
            "UnsupportedMediaType",
            415,
            format!("Content-Type must be {FORM_MEDIA_TYPE}"),
        )
    };
    let mut parts = content_type.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case(FORM_MEDIA_TYPE) {
        return Err(unsupported());
    }
    for parameter in parts {
        let Some((key, value)) = parameter.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        if key.trim().eq_ignore_ascii_case("charset")
            && !value.eq_ignore_ascii_case("utf-8")
            && !value.eq_ignore_ascii_case("utf8")
        {
            return Err(unsupported());
        }
    }
    Ok(())
}

/// Decodes one form-encoded name or value into UTF-8.
fn decode_component(raw: &[u8]) -> Result<String, AwsError> {
    let bytes = encoding::decode(raw, true).map_err(|_| malformed("invalid percent-encoding"))?;
    String::from_utf8(bytes).map_err(|_| malformed("parameter is not valid UTF-8"))
}

fn malformed(detail: &str) -> AwsError {
    AwsError::new(
        "MalformedQueryString",
        400,
        format!("The query string contains a syntax error: {detail}"),
    )
}

/// `RoleArn` → `roleArn`: AWS names members in validation messages with the first letter
/// lower-cased (`SAMLAssertion` → `sAMLAssertion`).
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_lowers_only_the_first_letter() {
        assert_eq!(lower_camel("RoleArn"), "roleArn");
        assert_eq!(lower_camel("SAMLAssertion"), "sAMLAssertion");
        assert_eq!(lower_camel(""), "");
    }

    #[test]
    fn accepts_charset_parameter_and_rejects_other_media_types() {
        for ok in [
            None,
            Some("application/x-www-form-urlencoded"),
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            Some("Application/X-WWW-Form-Urlencoded;charset=\"UTF-8\""),
        ] {
            assert!(check_form_content_type(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            Some("application/json"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded; charset=latin1"),
        ] {
            let error = check_form_content_type(bad).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.status),
                ("UnsupportedMediaType", 415)
            );
        }
    }
}
