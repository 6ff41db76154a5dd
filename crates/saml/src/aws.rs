//! The AWS SAML attributes (`https://aws.amazon.com/SAML/Attributes/…`), parsed and checked
//! as AWS documents them (`spec/aws-federation.md` §1.3). Each is optional here; whether a
//! flow requires one (sign-in needs Role and RoleSessionName) is the caller's decision.

use crate::{Attribute, Error};

/// Attribute name prefix of every AWS attribute.
pub const PREFIX: &str = "https://aws.amazon.com/SAML/Attributes/";
/// `Role`: `roleArn,providerArn` pairs.
pub const ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// `RoleSessionName`.
pub const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
/// `SessionDuration` in seconds.
pub const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
/// `SourceIdentity`.
pub const SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
/// `PrincipalTag:{Key}` prefix.
pub const PRINCIPAL_TAG_PREFIX: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
/// `TransitiveTagKeys`.
pub const TRANSITIVE_TAG_KEYS: &str = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";

/// Shortest and longest SessionDuration AWS accepts, in seconds.
pub const SESSION_DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;
/// Most session tags per session (AWS limit).
pub const MAX_SESSION_TAGS: usize = 50;
/// Longest session tag key (AWS limit).
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// Longest session tag value (AWS limit).
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// One `Role` value: the role to assume and the SAML provider that vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePair {
    /// `arn:aws:iam::<account>:role/<path/name>`.
    pub role_arn: String,
    /// `arn:aws:iam::<account>:saml-provider/<name>`.
    pub provider_arn: String,
}

/// The AWS attributes of an assertion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsAttributes {
    /// Every Role pair, in document order (several pairs: the role chooser).
    pub roles: Vec<RolePair>,
    /// RoleSessionName, if present.
    pub role_session_name: Option<String>,
    /// SessionDuration in seconds, if present.
    pub session_duration: Option<u32>,
    /// SourceIdentity, if present.
    pub source_identity: Option<String>,
    /// Session tags (`PrincipalTag:{Key}`), key and value, in document order.
    pub principal_tags: Vec<(String, String)>,
    /// TransitiveTagKeys values.
    pub transitive_tag_keys: Vec<String>,
}

impl AwsAttributes {
    /// Reads and checks the AWS attributes among `attributes`.
    ///
    /// # Errors
    /// [`Error::RoleMalformed`], [`Error::RoleSessionNameInvalid`],
    /// [`Error::SessionDurationInvalid`], [`Error::SourceIdentityInvalid`],
    /// [`Error::PrincipalTagInvalid`].
    pub fn from_attributes(attributes: &[Attribute]) -> Result<Self, Error> {
        let mut aws = Self::default();
        for attribute in attributes.iter().filter(|a| a.name.starts_with(PREFIX)) {
            let name = attribute.name.as_str();
            if name == ROLE {
                for value in &attribute.values {
                    aws.roles.push(parse_role(value)?);
                }
            } else if name == ROLE_SESSION_NAME {
                if aws.role_session_name.is_some() {
                    return Err(Error::RoleSessionNameInvalid {
                        detail: "appears more than once".to_owned(),
                    });
                }
                let value =
                    single_value(attribute).ok_or_else(|| Error::RoleSessionNameInvalid {
                        detail: "must have exactly one value".to_owned(),
                    })?;
                if !is_session_name(value) {
                    return Err(Error::RoleSessionNameInvalid {
                        detail: format!("{value:?} must match [\\w+=,.@-]{{2,64}}"),
                    });
                }
                aws.role_session_name = Some(value.to_owned());
            } else if name == SESSION_DURATION {
                let invalid = || Error::SessionDurationInvalid {
                    value: attribute.values.join(","),
                };
                let value = single_value(attribute).ok_or_else(invalid)?;
                let seconds: u32 = value.parse().map_err(|_| invalid())?;
                if !SESSION_DURATION_RANGE.contains(&seconds) {
                    return Err(invalid());
                }
                aws.session_duration = Some(seconds);
            } else if name == SOURCE_IDENTITY {
                let invalid = || Error::SourceIdentityInvalid {
                    value: attribute.values.join(","),
                };
                let value = single_value(attribute).ok_or_else(invalid)?;
                if !is_session_name(value)
                    || value
                        .get(..4)
                        .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
                {
                    return Err(invalid());
                }
                aws.source_identity = Some(value.to_owned());
            } else if let Some(key) = name.strip_prefix(PRINCIPAL_TAG_PREFIX) {
                let value = single_value(attribute).ok_or_else(|| Error::PrincipalTagInvalid {
                    detail: format!("{key:?} must have exactly one value"),
                })?;
                check_tag(key, value)?;
                if aws
                    .principal_tags
                    .iter()
                    .any(|(existing, _)| existing.eq_ignore_ascii_case(key))
                {
                    return Err(Error::PrincipalTagInvalid {
                        detail: format!("{key:?} appears more than once"),
                    });
                }
                aws.principal_tags.push((key.to_owned(), value.to_owned()));
                if aws.principal_tags.len() > MAX_SESSION_TAGS {
                    return Err(Error::PrincipalTagInvalid {
                        detail: format!("more than {MAX_SESSION_TAGS} tags"),
                    });
                }
            } else if name == TRANSITIVE_TAG_KEYS {
                aws.transitive_tag_keys
                    .extend(attribute.values.iter().map(|v| xml_trim(v).to_owned()));
            }
        }
        if let Some(key) = aws.transitive_tag_keys.iter().find(|key| {
            !aws.principal_tags
                .iter()
                .any(|(tag, _)| tag.eq_ignore_ascii_case(key))
        }) {
            return Err(Error::PrincipalTagInvalid {
                detail: format!("transitive key {key:?} is not a session tag"),
            });
        }
        Ok(aws)
    }
}

fn single_value(attribute: &Attribute) -> Option<&str> {
    match attribute.values.as_slice() {
        [value] => Some(xml_trim(value)),
        _ => None,
    }
}

/// `value` without leading and trailing XML white space (space, tab, CR, LF: XML 1.0 §2.3
/// `S`, what an IdP's pretty-printing adds), and nothing else.
///
/// Not `str::trim`, which also removes Unicode white space (no-break space U+00A0, ideographic
/// space U+3000, line separator U+2028, …): signed values such as `"alice\u{a0}"` and
/// `"\u{3000}alice"` would then all become the session `alice`, so distinct IdP identities
/// would share one session. Kept, those characters make the value fail AWS's pattern.
fn xml_trim(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `[\w+=,.@-]{2,64}` with ASCII `\w`, as AWS documents RoleSessionName and SourceIdentity.
fn is_session_name(value: &str) -> bool {
    (2..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// Parses `roleArn,providerArn` in either order, white space around each part trimmed.
fn parse_role(value: &str) -> Result<RolePair, Error> {
    let malformed = || Error::RoleMalformed {
        value: value.to_owned(),
    };
    let mut parts = value.split(',').map(xml_trim);
    let (Some(first), Some(second), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let (role_arn, provider_arn) =
        match (iam_arn(first, "role/"), iam_arn(second, "saml-provider/")) {
            (true, true) => (first, second),
            _ if iam_arn(first, "saml-provider/") && iam_arn(second, "role/") => (second, first),
            _ => return Err(malformed()),
        };
    let account = |arn: &str| arn.split(':').nth(4).map(str::to_owned);
    if account(role_arn) != account(provider_arn) {
        return Err(malformed());
    }
    Ok(RolePair {
        role_arn: role_arn.to_owned(),
        provider_arn: provider_arn.to_owned(),
    })
}

/// An IAM ARN `arn:<partition>:iam::<12 digits>:<kind><path/name>`, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamArn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'a str,
    /// The 12-digit account id.
    pub account: &'a str,
    /// The last path segment: the role or provider name.
    pub name: &'a str,
}

impl<'a> IamArn<'a> {
    /// Parses `arn` whose resource starts with `kind` (`role/`, `saml-provider/`).
    pub fn parse(arn: &'a str, kind: &str) -> Option<Self> {
        let mut fields = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return None;
        };
        let partition_ok = partition.starts_with("aws")
            && partition
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-');
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let path_and_name = resource.strip_prefix(kind)?;
        let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
        let name_ok = (1..=128).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
        let path_ok = path_and_name.len() <= 512
            && path_and_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-/".contains(&b))
            && !path_and_name.starts_with('/')
            && !path_and_name.contains("//");
        (partition_ok && account_ok && name_ok && path_ok).then_some(Self {
            partition,
            account,
            name,
        })
    }
}

/// Whether `arn` is `arn:<partition>:iam::<12 digits>:<kind><path/name>`.
fn iam_arn(arn: &str, kind: &str) -> bool {
    IamArn::parse(arn, kind).is_some()
}

/// AWS tag rules: key 1–128 and value 0–256 characters of letters, digits, spaces and
/// `_ . : / = + - @`; keys may not start with `aws:`.
fn check_tag(key: &str, value: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let key_chars = key.chars().count();
    if key_chars == 0
        || key_chars > MAX_TAG_KEY_CHARS
        || !key.chars().all(allowed)
        || key.to_ascii_lowercase().starts_with("aws:")
    {
        return Err(Error::PrincipalTagInvalid {
            detail: format!("key {key:?} is invalid"),
        });
    }
    if value.chars().count() > MAX_TAG_VALUE_CHARS || !value.chars().all(allowed) {
        return Err(Error::PrincipalTagInvalid {
            detail: format!("value of {key:?} is invalid"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(name: &str, values: &[&str]) -> Attribute {
        Attribute {
            name: name.to_owned(),
            name_format: None,
            friendly_name: None,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Agent";
    const PROVIDER_ARN: &str = "arn:aws:iam::123456789012:saml-provider/Okta";

    #[test]
    fn accepts_role_pairs_in_either_order_and_trims() {
        let forward = format!("{ROLE_ARN},{PROVIDER_ARN}");
        let reversed = format!(" {PROVIDER_ARN} , {ROLE_ARN} ");
        let aws =
            AwsAttributes::from_attributes(&[attribute(ROLE, &[&forward, &reversed])]).unwrap();
        assert_eq!(aws.roles.len(), 2);
        assert_eq!(aws.roles[0], aws.roles[1]);
        assert_eq!(aws.roles[0].role_arn, ROLE_ARN);
    }

    #[test]
    fn rejects_malformed_roles() {
        for value in [
            "arn:aws:iam::123456789012:role/Agent",
            "arn:aws:iam::123456789012:role/Agent,arn:aws:iam::123456789012:role/Other",
            "arn:aws:iam::12345:role/Agent,arn:aws:iam::12345:saml-provider/Okta",
            "arn:aws:iam::123456789012:role/Agent,arn:aws:iam::210987654321:saml-provider/Okta",
            "arn:aws:s3:::bucket,arn:aws:iam::123456789012:saml-provider/Okta",
            "arn:aws:iam::123456789012:role/,arn:aws:iam::123456789012:saml-provider/Okta",
            "arn:aws:iam::123456789012:role/A gent,arn:aws:iam::123456789012:saml-provider/Okta",
            "x,y,z",
        ] {
            let err = AwsAttributes::from_attributes(&[attribute(ROLE, &[value])]).unwrap_err();
            assert_eq!(err.code(), "role_malformed", "{value}");
        }
    }

    #[test]
    fn checks_role_session_name() {
        for ok in ["alice", "a.b@example.com", "a_b+c=d,e-f", &"x".repeat(64)] {
            assert!(
                AwsAttributes::from_attributes(&[attribute(ROLE_SESSION_NAME, &[ok])]).is_ok(),
                "{ok}"
            );
        }
        for bad in ["a", "alice smith", "álice", &"x".repeat(65), "a/b"] {
            let err = AwsAttributes::from_attributes(&[attribute(ROLE_SESSION_NAME, &[bad])])
                .unwrap_err();
            assert_eq!(err.code(), "role_session_name_invalid", "{bad}");
        }
        let err =
            AwsAttributes::from_attributes(&[attribute(ROLE_SESSION_NAME, &["alice", "bob"])])
                .unwrap_err();
        assert_eq!(err.code(), "role_session_name_invalid");
    }

    #[test]
    fn role_session_name_trims_only_xml_white_space() {
        // XML white space around the value (pretty-printing) is not part of it.
        let aws =
            AwsAttributes::from_attributes(&[attribute(ROLE_SESSION_NAME, &["\n\t alice \r\n"])])
                .unwrap();
        assert_eq!(aws.role_session_name.as_deref(), Some("alice"));
        // Unicode white space is kept, and then fails AWS's pattern: distinct signed values
        // never collapse into one session name.
        for value in [
            "alice\u{a0}",
            "\u{3000}alice",
            "alice\u{2028}",
            "\u{2003}alice\u{85}",
        ] {
            let err = AwsAttributes::from_attributes(&[attribute(ROLE_SESSION_NAME, &[value])])
                .unwrap_err();
            assert_eq!(err.code(), "role_session_name_invalid", "{value:?}");
            let err = AwsAttributes::from_attributes(&[attribute(SOURCE_IDENTITY, &[value])])
                .unwrap_err();
            assert_eq!(err.code(), "source_identity_invalid", "{value:?}");
        }
        // A Role pair padded with a no-break space is not an ARN.
        let padded = format!("{ROLE_ARN},{PROVIDER_ARN}\u{a0}");
        let err = AwsAttributes::from_attributes(&[attribute(ROLE, &[&padded])]).unwrap_err();
        assert_eq!(err.code(), "role_malformed");
    }

    #[test]
    fn checks_session_duration_bounds() {
        assert_eq!(
            AwsAttributes::from_attributes(&[attribute(SESSION_DURATION, &["900"])])
                .unwrap()
                .session_duration,
            Some(900)
        );
        assert!(AwsAttributes::from_attributes(&[attribute(SESSION_DURATION, &["43200"])]).is_ok());
        for bad in ["899", "43201", "60", "-1", "1e3", ""] {
            let err =
                AwsAttributes::from_attributes(&[attribute(SESSION_DURATION, &[bad])]).unwrap_err();
            assert_eq!(err.code(), "session_duration_invalid", "{bad}");
        }
    }

    #[test]
    fn checks_source_identity() {
        assert!(AwsAttributes::from_attributes(&[attribute(SOURCE_IDENTITY, &["alice"])]).is_ok());
        for bad in ["aws:alice", "AWS:x1", "a", "a b"] {
            let err =
                AwsAttributes::from_attributes(&[attribute(SOURCE_IDENTITY, &[bad])]).unwrap_err();
            assert_eq!(err.code(), "source_identity_invalid", "{bad}");
        }
    }

    #[test]
    fn checks_principal_tags_and_transitive_keys() {
        let tag = format!("{PRINCIPAL_TAG_PREFIX}Department");
        let aws = AwsAttributes::from_attributes(&[
            attribute(&tag, &["Support"]),
            attribute(TRANSITIVE_TAG_KEYS, &["department"]),
        ])
        .unwrap();
        assert_eq!(
            aws.principal_tags,
            [("Department".to_owned(), "Support".to_owned())]
        );
        let err = AwsAttributes::from_attributes(&[attribute(TRANSITIVE_TAG_KEYS, &["Missing"])])
            .unwrap_err();
        assert_eq!(err.code(), "principal_tag_invalid");
        let err = AwsAttributes::from_attributes(&[attribute(&tag, &["a", "b"])]).unwrap_err();
        assert_eq!(err.code(), "principal_tag_invalid");
        let long = "v".repeat(257);
        let err = AwsAttributes::from_attributes(&[attribute(&tag, &[&long])]).unwrap_err();
        assert_eq!(err.code(), "principal_tag_invalid");
        let many: Vec<Attribute> = (0..51)
            .map(|i| attribute(&format!("{PRINCIPAL_TAG_PREFIX}k{i}"), &["v"]))
            .collect();
        assert_eq!(
            AwsAttributes::from_attributes(&many).unwrap_err().code(),
            "principal_tag_invalid"
        );
    }
}
