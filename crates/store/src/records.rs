//! Plain rows the store reads and writes, besides the shared records of `fedgate-model`
//! ([`crate::SamlProvider`], [`crate::Role`]). Validation (names, sizes, policy grammar) is the
//! caller's job (`fedgate-iam`); the store enforces keys, uniqueness, references and quotas.

use fedgate_model::{AccessKeyStatus, AssertionEncryptionMode};
use time::OffsetDateTime;

/// A tag (`Key`, `Value`). Keys are unique per resource case-insensitively; the stored key keeps
/// the case of the last write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag key, 1–128 characters.
    pub key: String,
    /// Tag value, 0–256 characters.
    pub value: String,
}

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// One entry of `ListSAMLProviders`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProviderSummary {
    /// The provider ARN.
    pub arn: String,
    /// When it was created.
    pub create_date: OffsetDateTime,
    /// `ValidUntil`, when known.
    pub valid_until: Option<OffsetDateTime>,
}

/// A change to a SAML provider; `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlProviderUpdate {
    /// New metadata and the `ValidUntil` derived from it.
    pub metadata: Option<(String, Option<OffsetDateTime>)>,
    /// New assertion encryption mode.
    pub assertion_encryption_mode: Option<AssertionEncryptionMode>,
}

/// A change to a role (`UpdateRole`); `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleUpdate {
    /// New description.
    pub description: Option<String>,
    /// New maximum session duration.
    pub max_session_duration: Option<i64>,
}

/// An inline (role) policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// Policy name (unique per role case-insensitively).
    pub name: String,
    /// The document as submitted.
    pub document: String,
}

/// A customer-managed policy (one version, `v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyRow {
    /// `arn:aws:iam::<account>:policy<path><name>`, the primary key.
    pub arn: String,
    /// `ANPA…`.
    pub policy_id: String,
    /// Policy name (unique case-insensitively).
    pub name: String,
    /// `/` or `/…/`.
    pub path: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Always `v1`: fedgate keeps one version per policy.
    pub default_version_id: String,
    /// The document as submitted.
    pub document: String,
    /// When it was created.
    pub create_date: OffsetDateTime,
    /// When it was last changed.
    pub update_date: OffsetDateTime,
    /// Number of roles it is attached to (computed; ignored on create).
    pub attachment_count: i64,
}

/// A managed policy attached to a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// The policy name.
    pub policy_name: String,
    /// The policy ARN.
    pub policy_arn: String,
    /// The policy document.
    pub document: String,
}

/// A long-term access key; the secret is sealed ([`crate::SecretBox`], associated data = the
/// access key id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRow {
    /// `AKIA…`, the primary key.
    pub access_key_id: String,
    /// Sealed secret access key (base64 of nonce ‖ ciphertext ‖ tag).
    pub secret_ciphertext: String,
    /// Who the key authenticates as.
    pub principal_arn: String,
    /// Whether it authenticates.
    pub status: AccessKeyStatus,
    /// When it was created.
    pub create_date: OffsetDateTime,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in listing order.
    pub items: Vec<T>,
    /// Where the next page starts (`Marker`), when the listing is truncated.
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    /// One page of a listing: `rows` are the listing's entries from where this page starts, in
    /// order (at least `max_items + 1` of them when the listing goes on; no more are read). The
    /// first `max_items` become the items through `item`; the entry after them, if there is one,
    /// names the next page through `marker(position, entry)` (`position` counted from this
    /// page's start).
    ///
    /// Every paged listing cuts its pages here: the store's `ListRoles` and `ListPolicies`
    /// (keyset markers, the next lower-cased name) and IAM's in-memory listings of tags, role
    /// policies and attached policies (position markers).
    ///
    /// # Errors
    /// The first error of `item` or `marker`.
    pub fn from_rows<R, E>(
        rows: impl IntoIterator<Item = R>,
        max_items: usize,
        mut item: impl FnMut(R) -> Result<T, E>,
        marker: impl FnOnce(usize, R) -> Result<String, E>,
    ) -> Result<Self, E> {
        let mut items = Vec::new();
        for (position, row) in rows.into_iter().enumerate() {
            if position >= max_items {
                return Ok(Self {
                    items,
                    next_marker: Some(marker(position, row)?),
                });
            }
            items.push(item(row)?);
        }
        Ok(Self {
            items,
            next_marker: None,
        })
    }
}

/// Filters for listing roles or policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only entries whose path starts with this (`/` for all).
    pub path_prefix: String,
    /// Continue after a previous page.
    pub marker: Option<String>,
    /// Most entries in this page (at least 1).
    pub max_items: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries, `max_items`, the expected items and the expected next marker.
    type Case = (
        &'static [&'static str],
        usize,
        &'static [&'static str],
        Option<&'static str>,
    );

    #[test]
    fn a_page_holds_max_items_and_the_next_entry_names_the_following_page() {
        let cases: [Case; 5] = [
            (&[], 2, &[], None),
            (&["a"], 2, &["a"], None),
            (&["a", "b"], 2, &["a", "b"], None),
            (&["a", "b", "c"], 2, &["a", "b"], Some("c@2")),
            (&["a", "b", "c", "d"], 1, &["a"], Some("b@1")),
        ];
        for (entries, max_items, items, next) in cases {
            let page = Page::from_rows(
                entries.iter(),
                max_items,
                |entry| Ok::<_, ()>(entry.to_uppercase()),
                |position, entry| Ok(format!("{entry}@{position}")),
            )
            .unwrap_or_else(|()| Page {
                items: Vec::new(),
                next_marker: Some("error".to_owned()),
            });
            let expected: Vec<String> = items.iter().map(|item| item.to_uppercase()).collect();
            assert_eq!(page.items, expected, "{entries:?} / {max_items}");
            assert_eq!(
                page.next_marker.as_deref(),
                next,
                "{entries:?} / {max_items}"
            );
        }
    }
}
