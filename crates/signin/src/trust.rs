//! Roles as STS sees them, with their trust policies parsed once per policy text.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use fedgate_iam::{Iam, IamError};
use fedgate_iam_policy::{ParseOptions, Policy};
use fedgate_store::{IamStorage, Role};
use fedgate_sts::AssumableRole;

use crate::Pipeline;

/// Most parsed trust policies kept: twice the role quota of an account (1000).
const MAX_CACHED_TRUST_POLICIES: usize = 2 * fedgate_iam::MAX_ROLES;

/// Parsed trust policies by role ARN, with the text they were parsed from: a role's policy is
/// parsed once, not on every sign-in, and a changed text is parsed again.
#[derive(Debug, Default)]
pub(crate) struct TrustPolicies {
    parsed: RwLock<HashMap<String, (String, Arc<Policy>)>>,
}

impl TrustPolicies {
    fn get(&self, role_arn: &str, text: &str) -> Result<Arc<Policy>, String> {
        let cached = self
            .parsed
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(role_arn)
            .filter(|(cached_text, _)| cached_text == text)
            .map(|(_, policy)| Arc::clone(policy));
        if let Some(policy) = cached {
            return Ok(policy);
        }
        // Stored trust policies were validated at write time; re-parse with the largest quota
        // AWS allows so a quota change never locks a role out.
        let options = ParseOptions::trust_with_quota(fedgate_iam_policy::TRUST_POLICY_MAX_CHARS)
            .map_err(|error| error.to_string())?;
        let policy = Arc::new(Policy::parse(text, &options).map_err(|error| error.to_string())?);
        let mut cache = self.parsed.write().unwrap_or_else(PoisonError::into_inner);
        // Bounded: deleted and renamed roles leave entries behind; start over past the limit.
        if cache.len() >= MAX_CACHED_TRUST_POLICIES {
            cache.clear();
        }
        cache.insert(role_arn.to_owned(), (text.to_owned(), Arc::clone(&policy)));
        Ok(policy)
    }
}

/// Why a role could not be read.
#[derive(Debug)]
pub(crate) enum RoleLookupError {
    /// The store failed.
    Store(IamError),
    /// The stored trust policy no longer parses.
    TrustPolicy(String),
}

impl std::fmt::Display for RoleLookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(error) => write!(f, "{error}"),
            Self::TrustPolicy(error) => write!(f, "stored trust policy: {error}"),
        }
    }
}

impl Pipeline {
    /// The role with `arn` (one store read), its trust policy from the cache.
    pub(crate) async fn role<S: IamStorage>(
        &self,
        iam: &Iam<S>,
        arn: &str,
    ) -> Result<Option<AssumableRole>, RoleLookupError> {
        let Some(row) = iam
            .role_for_assumption(arn)
            .await
            .map_err(RoleLookupError::Store)?
        else {
            return Ok(None);
        };
        self.role_record(row).map(Some)
    }

    fn role_record(&self, role: Role) -> Result<AssumableRole, RoleLookupError> {
        let trust = self
            .trust_policies
            .get(&role.arn, &role.assume_role_policy)
            .map_err(RoleLookupError::TrustPolicy)?;
        Ok(AssumableRole { role, trust })
    }
}
