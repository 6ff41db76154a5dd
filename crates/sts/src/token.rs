//! Self-contained session tokens: the role session, sealed with AES-256-GCM under a 32-byte
//! service key, so that any node holding the key can verify SigV4 requests made with temporary
//! credentials (DESIGN.md "Temporary credentials are stateless").
//!
//! Format: [`SESSION_TOKEN_PREFIX`] + URL-safe base64 (no padding) of
//! `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The plaintext is compact JSON with a
//! version field `v`; the associated data is a label naming the purpose and the version, so a
//! blob sealed under the same key for another purpose never opens as a session token.
//!
//! Nonces are random (aws-lc-rs `RandomizedNonceKey`): 96-bit random nonces stay below the
//! NIST SP 800-38D collision bound for up to 2^32 tokens per key; rotate the key well before.
//! The key never leaves [`SessionTokenKey`]; neither it nor a token appears in `Debug`.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::assume::{SessionPolicy, SessionTag};
use crate::{Secret, StsError};

/// Length of the service key, in bytes (AES-256).
pub const SESSION_TOKEN_KEY_LEN: usize = 32;
/// Every session token starts with this prefix (recognizable in logs and by secret scanners).
pub const SESSION_TOKEN_PREFIX: &str = "fgst1_";
/// Longest token accepted, checked before any decoding. Tokens carry the session policies
/// (an inline policy of at most 2,048 characters and up to 10 managed policy documents), so
/// the bound is above the 8 KiB a token without managed policies needs; it stays within the
/// request-header limits of common HTTP servers (16 KiB or more). Sealing a longer token fails
/// with `PackedPolicyTooLarge`, so no token that was issued is ever refused for its size.
pub const MAX_SESSION_TOKEN_CHARS: usize = 16 * 1024;

/// Version of the plaintext encoding.
const TOKEN_VERSION: u8 = 1;
/// AEAD associated data: purpose and version.
const AAD_LABEL: &[u8] = b"fedgate/sts/session-token/v1";
/// AES-GCM tag length.
const TAG_LEN: usize = 16;

/// The service key that seals and opens session tokens.
pub struct SessionTokenKey {
    key: RandomizedNonceKey,
}

impl SessionTokenKey {
    /// A key from 32 secret bytes (from the server's key store).
    ///
    /// # Errors
    /// [`StsError::Internal`] if aws-lc refuses the key.
    pub fn new(bytes: &[u8; SESSION_TOKEN_KEY_LEN]) -> Result<Self, StsError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes).map_err(|_| StsError::Internal {
            cause: "token_key_invalid",
        })?;
        Ok(Self { key })
    }
}

impl fmt::Debug for SessionTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionTokenKey([REDACTED])")
    }
}

/// What a verified session token says: the role session its temporary credentials act as.
///
/// Only [`open_session_token`] (after authenticating the token) and session issuance create
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Secret<String>,
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) expiration: OffsetDateTime,
    pub(crate) role_arn: String,
    pub(crate) role_id: String,
    pub(crate) role_name: String,
    pub(crate) session_name: String,
    pub(crate) account_id: String,
    pub(crate) source_identity: Option<String>,
    pub(crate) session_policies: Vec<SessionPolicy>,
    pub(crate) tags: Vec<SessionTag>,
}

impl SessionClaims {
    /// The temporary access key id the token belongs to.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key, to verify the request's SigV4 signature.
    #[must_use]
    pub fn secret_access_key(&self) -> &Secret<String> {
        &self.secret_access_key
    }

    /// Checks that the request's access key id is the one this token was issued with.
    ///
    /// # Errors
    /// [`StsError::InvalidClientTokenId`] when it is not.
    pub fn check_access_key_id(&self, access_key_id: &str) -> Result<(), StsError> {
        // INVARIANT: a token is only valid together with its own access key id; otherwise a
        // stolen token could be paired with another session's key.
        aws_lc_rs::constant_time::verify_slices_are_equal(
            self.access_key_id.as_bytes(),
            access_key_id.as_bytes(),
        )
        .map_err(|_| StsError::InvalidClientTokenId {
            cause: "token_access_key_mismatch",
        })
    }

    /// When the session was issued (`aws:TokenIssueTime`).
    #[must_use]
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }
    /// When the session ends.
    #[must_use]
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }
    /// The role's ARN (with its path).
    #[must_use]
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }
    /// The role's unique id (`AROA…`).
    #[must_use]
    pub fn role_id(&self) -> &str {
        &self.role_id
    }
    /// The role's name.
    #[must_use]
    pub fn role_name(&self) -> &str {
        &self.role_name
    }
    /// The role session name (the assertion's RoleSessionName).
    #[must_use]
    pub fn session_name(&self) -> &str {
        &self.session_name
    }
    /// The account of the role.
    #[must_use]
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    /// The SourceIdentity, if set.
    #[must_use]
    pub fn source_identity(&self) -> Option<&str> {
        self.source_identity.as_deref()
    }
    /// The session policies (compacted documents) that limit the role's permissions.
    #[must_use]
    pub fn session_policies(&self) -> &[SessionPolicy] {
        &self.session_policies
    }
    /// The session tags.
    #[must_use]
    pub fn tags(&self) -> &[SessionTag] {
        &self.tags
    }
    /// `<role_id>:<session_name>` (`aws:userid`, `GetCallerIdentity` `UserId`).
    #[must_use]
    pub fn user_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
    /// `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>`.
    #[must_use]
    pub fn assumed_role_arn(&self) -> String {
        crate::assume::assumed_role_arn(
            &self.role_arn,
            &self.account_id,
            &self.role_name,
            &self.session_name,
        )
    }
}

/// The plaintext of a token, version 1. Short names keep tokens small.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    v: u8,
    akid: String,
    sak: String,
    iat: i64,
    exp: i64,
    role: String,
    rid: String,
    rname: String,
    sess: String,
    acct: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pol: Vec<BodyPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<BodyTag>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    doc: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyTag {
    k: String,
    v: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    t: bool,
}

/// Seals `claims` into a token. Crate-private: the only way to mint a token is issuing a
/// [`RoleSession`](crate::RoleSession) from an authorized assumption.
///
/// # Errors
/// [`StsError::PackedPolicyTooLarge`] when the token would exceed
/// [`MAX_SESSION_TOKEN_CHARS`]; [`StsError::Internal`] when sealing fails.
pub(crate) fn seal_session_token(
    claims: &SessionClaims,
    key: &SessionTokenKey,
) -> Result<Secret<String>, StsError> {
    let body = Body {
        v: TOKEN_VERSION,
        akid: claims.access_key_id.clone(),
        sak: claims.secret_access_key.expose().clone(),
        iat: claims.issued_at.unix_timestamp(),
        exp: claims.expiration.unix_timestamp(),
        role: claims.role_arn.clone(),
        rid: claims.role_id.clone(),
        rname: claims.role_name.clone(),
        sess: claims.session_name.clone(),
        acct: claims.account_id.clone(),
        sid: claims.source_identity.clone(),
        pol: claims
            .session_policies
            .iter()
            .map(|p| BodyPolicy {
                arn: p.arn.clone(),
                doc: p.document.clone(),
            })
            .collect(),
        tags: claims
            .tags
            .iter()
            .map(|t| BodyTag {
                k: t.key.clone(),
                v: t.value.clone(),
                t: t.transitive,
            })
            .collect(),
    };
    let mut buffer = serde_json::to_vec(&body).map_err(|_| StsError::Internal {
        cause: "token_encode",
    })?;
    let nonce = key
        .key
        .seal_in_place_append_tag(Aad::from(AAD_LABEL), &mut buffer)
        .map_err(|_| StsError::Internal {
            cause: "token_seal",
        })?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + buffer.len());
    sealed.extend_from_slice(nonce.as_ref());
    sealed.extend_from_slice(&buffer);
    let token = format!(
        "{SESSION_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sealed)
    );
    if token.len() > MAX_SESSION_TOKEN_CHARS {
        let percent = (token.len() * 100).div_ceil(MAX_SESSION_TOKEN_CHARS);
        return Err(StsError::PackedPolicyTooLarge {
            percent: u64::try_from(percent).unwrap_or(u64::MAX),
        });
    }
    Ok(Secret::new(token))
}

/// Verifies a session token and returns its claims.
///
/// Checks, in order: size (before decoding), prefix, base64, AEAD authenticity under `key`
/// (tampering and wrong keys end here), encoding and version, then expiry against `now`.
/// The caller must also check the request's access key id with
/// [`SessionClaims::check_access_key_id`].
///
/// # Errors
/// [`StsError::ExpiredToken`] for an authentic token at or after its expiration;
/// [`StsError::InvalidClientTokenId`] for everything else.
pub fn open_session_token(
    token: &str,
    key: &SessionTokenKey,
    now: OffsetDateTime,
) -> Result<SessionClaims, StsError> {
    let invalid = |cause: &'static str| StsError::InvalidClientTokenId { cause };
    if token.len() > MAX_SESSION_TOKEN_CHARS {
        return Err(invalid("token_too_large"));
    }
    let encoded = token
        .strip_prefix(SESSION_TOKEN_PREFIX)
        .ok_or_else(|| invalid("token_prefix"))?;
    let mut sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| invalid("token_encoding"))?;
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(invalid("token_truncated"));
    }
    let (nonce, ciphertext) = sealed.split_at_mut(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| invalid("token_truncated"))?;
    // INVARIANT: nothing in the token is read before the AEAD tag verifies under our key.
    let plaintext = key
        .key
        .open_in_place(nonce, Aad::from(AAD_LABEL), ciphertext)
        .map_err(|_| invalid("token_unauthentic"))?;
    let body: Body = serde_json::from_slice(plaintext).map_err(|_| invalid("token_malformed"))?;
    if body.v != TOKEN_VERSION {
        return Err(invalid("token_version"));
    }
    let timestamp = |seconds: i64| {
        OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| invalid("token_malformed"))
    };
    let expiration = timestamp(body.exp)?;
    let issued_at = timestamp(body.iat)?;
    // INVARIANT: expiry is judged only on authenticated content, with the caller's clock.
    if now >= expiration {
        return Err(StsError::ExpiredToken { expiration });
    }
    Ok(SessionClaims {
        access_key_id: body.akid,
        secret_access_key: Secret::new(body.sak),
        issued_at,
        expiration,
        role_arn: body.role,
        role_id: body.rid,
        role_name: body.rname,
        session_name: body.sess,
        account_id: body.acct,
        source_identity: body.sid,
        session_policies: body
            .pol
            .into_iter()
            .map(|p| SessionPolicy {
                arn: p.arn,
                document: p.doc,
            })
            .collect(),
        tags: body
            .tags
            .into_iter()
            .map(|t| SessionTag {
                key: t.k,
                value: t.v,
                transitive: t.t,
            })
            .collect(),
    })
}
