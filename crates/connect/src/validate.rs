//! Parameter checks with the botocore model's constraints, and paging.
//!
//! Messages follow AWS's validation wording (`1 validation error detected: Value at '<member>'
//! failed to satisfy constraint: …`) but never quote the value: several members are
//! `sensitive` in the model (alias, names, e-mail, password).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fedgate_store::Tag;

use crate::ConnectError;
use crate::wire::TagMap;

/// Which exception an operation raises for a bad parameter (its model error list decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `InvalidRequestException` (instance operations).
    Request,
    /// `InvalidParameterException` (user and profile operations).
    Parameter,
}

impl Kind {
    pub(crate) fn error(self, message: String) -> ConnectError {
        match self {
            Self::Request => ConnectError::InvalidRequest(message),
            Self::Parameter => ConnectError::InvalidParameter(message),
        }
    }
}

/// `1 validation error detected: Value at '<member>' failed to satisfy constraint: Member
/// must <constraint>`.
pub(crate) fn constraint(kind: Kind, member: &str, must: &str) -> ConnectError {
    kind.error(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
         Member must {must}"
    ))
}

/// A required member.
pub(crate) fn required<'a, T>(
    kind: Kind,
    member: &str,
    value: Option<&'a T>,
) -> Result<&'a T, ConnectError>
where
    T: ?Sized,
{
    value.ok_or_else(|| constraint(kind, member, "not be null"))
}

/// Length in characters within `min..=max`.
pub(crate) fn length(
    kind: Kind,
    member: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ConnectError> {
    let count = value.chars().count();
    if count < min {
        return Err(constraint(
            kind,
            member,
            &format!("have length greater than or equal to {min}"),
        ));
    }
    if count > max {
        return Err(constraint(
            kind,
            member,
            &format!("have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// Longest `InstanceId` and `UserId` path parameter (model `InstanceId`: 1–100; user IDs
/// have no model bound, 256 is `AgentResourceId`'s).
pub(crate) const MAX_ID_CHARS: usize = 100;

/// An `InstanceId` or `UserId` as given in a path or body: 1–100 characters.
pub(crate) fn resource_id(kind: Kind, member: &str, id: &str) -> Result<(), ConnectError> {
    length(kind, member, id, 1, MAX_ID_CHARS)
}

/// Longest `InstanceAlias` (model `DirectoryAlias`).
pub const MAX_ALIAS_CHARS: usize = 45;

/// `InstanceAlias`: 1–45, `^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$` (letters and digits,
/// inner hyphens, not starting with `d-`, which AWS keeps for directory IDs).
pub(crate) fn instance_alias(alias: &str) -> Result<(), ConnectError> {
    length(Kind::Request, "instanceAlias", alias, 1, MAX_ALIAS_CHARS)?;
    let bytes = alias.as_bytes();
    let ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !alias.starts_with("d-");
    if !ok {
        return Err(constraint(
            Kind::Request,
            "instanceAlias",
            r"satisfy regular expression pattern: ^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$",
        ));
    }
    Ok(())
}

/// `DirectoryId`: `^d-[0-9a-f]{10}$`.
pub(crate) fn directory_id(id: &str) -> Result<(), ConnectError> {
    let ok = id.len() == 12
        && id.starts_with("d-")
        && id
            .bytes()
            .skip(2)
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !ok {
        return Err(constraint(
            Kind::Request,
            "directoryId",
            "satisfy regular expression pattern: ^d-[0-9a-f]{10}$",
        ));
    }
    Ok(())
}

/// Most tags on a resource (model `TagMap`).
pub const MAX_TAGS: usize = 50;

/// `Tags`: 1–50 entries; keys 1–128 of `^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, values ≤ 256.
pub(crate) fn tags(kind: Kind, tags: Option<&TagMap>) -> Result<Vec<Tag>, ConnectError> {
    let Some(tags) = tags else {
        return Ok(Vec::new());
    };
    if tags.is_empty() || tags.len() > MAX_TAGS {
        return Err(constraint(
            kind,
            "tags",
            &format!("have length between 1 and {MAX_TAGS}"),
        ));
    }
    for (key, value) in tags {
        length(kind, "tags.key", key, 1, 128)?;
        let key_ok = !key.starts_with("aws:")
            && key.chars().all(|c| {
                c.is_alphanumeric()
                    || (c.is_whitespace() && !c.is_control())
                    || "_.:/=+-@".contains(c)
            });
        if !key_ok {
            return Err(constraint(
                kind,
                "tags.key",
                r"satisfy regular expression pattern: ^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$",
            ));
        }
        length(kind, "tags.value", value, 0, 256)?;
    }
    Ok(tags
        .iter()
        .map(|(key, value)| Tag::new(key.clone(), value.clone()))
        .collect())
}

/// Longest username: the Connect documentation's 64 characters (the model allows 100; 64 is
/// also the longest RoleSessionName, which a SAML user's name must equal).
pub const MAX_USERNAME_CHARS: usize = 64;

/// `Username`: 1–64 of `[a-zA-Z0-9_\-.@]`, `@` at most once and not first or last (the
/// "email-like form" of the Connect documentation).
pub(crate) fn username(name: &str) -> Result<(), ConnectError> {
    length(Kind::Parameter, "username", name, 1, MAX_USERNAME_CHARS)?;
    let ats = name.bytes().filter(|b| *b == b'@').count();
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b))
        && ats <= 1
        && !name.starts_with('@')
        && !name.ends_with('@');
    if !ok {
        return Err(constraint(
            Kind::Parameter,
            "username",
            r"satisfy regular expression pattern: [a-zA-Z0-9\_\-\.\@]+ (with @ only in the form name@domain)",
        ));
    }
    Ok(())
}

/// An e-mail address: `local@domain`, one `@`, a dot in the domain, no white space, ≤ 254.
pub(crate) fn email(member: &str, value: &str) -> Result<(), ConnectError> {
    length(Kind::Parameter, member, value, 3, 254)?;
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(constraint(Kind::Parameter, member, "be an email address"));
    }
    Ok(())
}

/// An E.164 phone number: `\+[1-9]\d{1,14}`.
pub(crate) fn phone_number(member: &str, value: &str) -> Result<(), ConnectError> {
    let digits = value.strip_prefix('+').unwrap_or_default();
    let ok = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !ok {
        return Err(constraint(
            Kind::Parameter,
            member,
            r"satisfy regular expression pattern: \+[1-9]\d{1,14}$",
        ));
    }
    Ok(())
}

/// `MaxResults`: an integer in `1..=max`, or `default`.
pub(crate) fn max_results(
    kind: Kind,
    value: Option<&str>,
    max: usize,
    default: usize,
) -> Result<usize, ConnectError> {
    let Some(text) = value else {
        return Ok(default);
    };
    text.parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            constraint(
                kind,
                "maxResults",
                &format!("have value between 1 and {max}"),
            )
        })
}

/// Longest `NextToken` accepted (the model's `NextToken2500`).
pub const MAX_NEXT_TOKEN_CHARS: usize = 2500;

/// One page of `items`, each with its sort key (unique, compared as bytes). The token names the
/// key of the last item returned: the next page starts after it, so items added or removed
/// between pages neither repeat nor shift the rest.
pub(crate) fn page<T>(
    kind: Kind,
    mut items: Vec<(String, T)>,
    next_token: Option<&str>,
    max_results: usize,
) -> Result<(Vec<T>, Option<String>), ConnectError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let after = match next_token {
        None => None,
        Some(token) => Some(
            (token.len() <= MAX_NEXT_TOKEN_CHARS)
                .then(|| URL_SAFE_NO_PAD.decode(token).ok())
                .flatten()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| kind.error("The NextToken is not valid.".to_owned()))?,
        ),
    };
    let mut remaining = items
        .into_iter()
        .filter(|(key, _)| after.as_ref().is_none_or(|after| key > after))
        .peekable();
    let mut page = Vec::new();
    let mut last_key = None;
    while page.len() < max_results {
        let Some((key, item)) = remaining.next() else {
            break;
        };
        page.push(item);
        last_key = Some(key);
    }
    let next = match (remaining.peek(), last_key) {
        (Some(_), Some(key)) => Some(URL_SAFE_NO_PAD.encode(key)),
        _ => None,
    };
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_alias_follows_the_model_pattern() {
        for good in [
            "a",
            "acme",
            "Acme-Support",
            "a--b",
            "d1",
            "x".repeat(45).as_str(),
        ] {
            assert!(instance_alias(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "d-1234567890",
            "ac me",
            "acmé",
            "x".repeat(46).as_str(),
        ] {
            let error = instance_alias(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_request", "{bad}");
        }
    }

    #[test]
    fn usernames_follow_the_connect_rules() {
        for good in [
            "alice",
            "alice.smith",
            "alice_smith-2",
            "alice@example.com",
            "A",
        ] {
            assert!(username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "alice smith",
            "alice@@example.com",
            "a@b@c",
            "@alice",
            "alice@",
            "alice+tag",
            "x".repeat(65).as_str(),
        ] {
            assert_eq!(
                username(bad).unwrap_err().code(),
                "invalid_parameter",
                "{bad}"
            );
        }
    }

    #[test]
    fn tags_follow_the_model() {
        let ok: TagMap = [("team".to_owned(), "cc".to_owned())].into();
        assert_eq!(tags(Kind::Request, Some(&ok)).unwrap().len(), 1);
        let empty = TagMap::new();
        assert!(tags(Kind::Request, Some(&empty)).is_err());
        let reserved: TagMap = [("aws:x".to_owned(), "v".to_owned())].into();
        assert!(tags(Kind::Request, Some(&reserved)).is_err());
        let bad_char: TagMap = [("a*b".to_owned(), "v".to_owned())].into();
        assert!(tags(Kind::Parameter, Some(&bad_char)).is_err());
        let long_value: TagMap = [("k".to_owned(), "v".repeat(257))].into();
        assert!(tags(Kind::Parameter, Some(&long_value)).is_err());
        let many: TagMap = (0..51).map(|n| (format!("k{n}"), String::new())).collect();
        assert!(tags(Kind::Parameter, Some(&many)).is_err());
    }

    #[test]
    fn phone_numbers_and_emails() {
        assert!(phone_number("mobile", "+33123456789").is_ok());
        for bad in [
            "33123456789",
            "+0123",
            "+1",
            "+1234567890123456",
            "+33 1 23",
        ] {
            assert!(phone_number("mobile", bad).is_err(), "{bad}");
        }
        assert!(email("email", "alice@example.com").is_ok());
        for bad in [
            "alice",
            "alice@localhost",
            "@example.com",
            "a b@example.com",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paging_resumes_after_the_last_key() {
        let items: Vec<(String, u32)> = (0..5).map(|n| (format!("k{n}"), n)).collect();
        let (first, token) = page(Kind::Parameter, items.clone(), None, 2).unwrap();
        assert_eq!(first, [0, 1]);
        let token = token.unwrap();
        // An item removed before the next page does not shift it.
        let fewer: Vec<(String, u32)> = items.iter().filter(|(_, n)| *n != 0).cloned().collect();
        let (second, token) = page(Kind::Parameter, fewer, Some(&token), 2).unwrap();
        assert_eq!(second, [2, 3]);
        let (last, token) = page(Kind::Parameter, items, token.as_deref(), 2).unwrap();
        assert_eq!(last, [4]);
        assert_eq!(token, None);
        let error = page(Kind::Request, Vec::<(String, u32)>::new(), Some("!!"), 2).unwrap_err();
        assert_eq!(error.code(), "invalid_request");
    }

    #[test]
    fn max_results_bounds() {
        assert_eq!(max_results(Kind::Request, None, 10, 10).unwrap(), 10);
        assert_eq!(max_results(Kind::Request, Some("3"), 10, 10).unwrap(), 3);
        for bad in ["0", "11", "-1", "x"] {
            assert!(
                max_results(Kind::Request, Some(bad), 10, 10).is_err(),
                "{bad}"
            );
        }
    }
}
