//! `GetCallerIdentity`: who the caller is, for a role session or a long-term key.

use crate::SessionClaims;

/// The `GetCallerIdentity` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// `UserId`: `<role id>:<session name>` for a role session, the user id for a user.
    pub user_id: String,
    /// `Account`.
    pub account: String,
    /// `Arn`: the assumed-role ARN for a role session, the principal ARN for a user.
    pub arn: String,
}

impl CallerIdentity {
    /// The identity of temporary credentials (from a verified session token).
    #[must_use]
    pub fn for_session(claims: &SessionClaims) -> Self {
        Self {
            user_id: claims.user_id(),
            account: claims.account_id().to_owned(),
            arn: claims.assumed_role_arn(),
        }
    }

    /// The identity of a long-term access key, as the caller looked it up.
    #[must_use]
    pub fn for_long_term_key(
        user_id: impl Into<String>,
        account: impl Into<String>,
        principal_arn: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            account: account.into(),
            arn: principal_arn.into(),
        }
    }
}
