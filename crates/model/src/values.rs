//! Stored strings that select behaviour, as enums: each parses only its AWS names and is written
//! back as them. The store calls [`AssertionEncryptionMode::parse`] / [`AccessKeyStatus::parse`]
//! on every read and refuses the row on [`UnknownValue`]; nothing falls back to a variant.

use std::fmt;

/// A stored value that is none of its column's variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What the value was for (`assertion encryption mode`, `access key status`).
    pub what: &'static str,
    /// The value, as stored.
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.value)
    }
}

impl std::error::Error for UnknownValue {}

/// How a SAML provider accepts assertions (`AssertionEncryptionMode`, spec §1.5).
///
/// No `Default`: AWS's default for a new provider (`Allowed`) is chosen where a provider is
/// created (`fedgate-iam`), so no code path gets the weaker mode by leaving a field out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssertionEncryptionMode {
    /// Plain or encrypted assertions (AWS's default for a new provider).
    Allowed,
    /// Only encrypted assertions.
    Required,
}

impl AssertionEncryptionMode {
    /// The AWS name (`Allowed`, `Required`), as the API and the store spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "Allowed",
            Self::Required => "Required",
        }
    }

    /// The mode named exactly `value` (case-sensitive, as AWS).
    ///
    /// # Errors
    /// [`UnknownValue`] for anything else.
    pub fn parse(value: &str) -> Result<Self, UnknownValue> {
        match value {
            "Allowed" => Ok(Self::Allowed),
            "Required" => Ok(Self::Required),
            other => Err(UnknownValue {
                what: "assertion encryption mode",
                value: other.to_owned(),
            }),
        }
    }
}

/// The status of a long-term access key (`StatusType`): only an active key authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    /// The key authenticates requests.
    Active,
    /// The key is kept but authenticates nothing.
    Inactive,
}

impl AccessKeyStatus {
    /// The AWS name (`Active`, `Inactive`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }

    /// The status named exactly `value`.
    ///
    /// # Errors
    /// [`UnknownValue`] for anything else.
    pub fn parse(value: &str) -> Result<Self, UnknownValue> {
        match value {
            "Active" => Ok(Self::Active),
            "Inactive" => Ok(Self::Inactive),
            other => Err(UnknownValue {
                what: "access key status",
                value: other.to_owned(),
            }),
        }
    }
}

/// Compares with the AWS name, so a test or a log check reads `mode == "Required"`.
impl PartialEq<&str> for AssertionEncryptionMode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Compares with the AWS name.
impl PartialEq<&str> for AccessKeyStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for AssertionEncryptionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AccessKeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_aws_names_and_writes_them_back() {
        for mode in [
            AssertionEncryptionMode::Allowed,
            AssertionEncryptionMode::Required,
        ] {
            assert_eq!(AssertionEncryptionMode::parse(mode.as_str()), Ok(mode));
        }
        for status in [AccessKeyStatus::Active, AccessKeyStatus::Inactive] {
            assert_eq!(AccessKeyStatus::parse(status.as_str()), Ok(status));
        }
    }

    #[test]
    fn refuses_unknown_values_instead_of_falling_back() {
        for value in ["", "required", "REQUIRED", "Sometimes", "Required "] {
            assert_eq!(
                AssertionEncryptionMode::parse(value),
                Err(UnknownValue {
                    what: "assertion encryption mode",
                    value: value.to_owned(),
                })
            );
        }
        for value in ["", "active", "Disabled"] {
            assert!(AccessKeyStatus::parse(value).is_err());
        }
        assert_eq!(
            AccessKeyStatus::parse("Enabled").unwrap_err().to_string(),
            "unknown access key status \"Enabled\""
        );
    }
}
