//! `GetFederationToken` (spec §4.5): from a role session to a contact-center user, and the
//! access token that opens the agent workspace.
//!
//! The caller (already authenticated as a role session and authorized by the policy engine for
//! `connect:GetFederationToken` on [`Connect::federation_resource`]) is mapped to the user of
//! the instance whose username equals the RoleSessionName exactly (spec §4.3); none is
//! `UserNotFoundException` with AWS's message.
//!
//! Tokens are sealed, expiring blobs: `<prefix><SecretBox output>`, AES-256-GCM under the
//! service's federation-token key (every node has the same one), with associated data naming
//! the token kind and version ([`ACCESS_TOKEN_AAD`], [`REFRESH_TOKEN_AAD`]) so an access token
//! never opens as a refresh token or as anything else sealed under that key. The plaintext is
//! compact JSON: instance ID, user ID, username, role ARN, session name, provider ARN, issue
//! time, expiry, kind, and a random token ID.
//!
//! Decisions where AWS is silent (spec §4.5 marks lifetimes and `SignInUrl` UNCONFIRMED):
//! - the access token lives until the role session ends, at most [`ACCESS_TOKEN_LIFETIME`]
//!   (12 hours, Connect's session limit of §4.6): an agent session opened with it can never
//!   outlive the role session that asked for it;
//! - the refresh token lives [`REFRESH_TOKEN_LIFETIME`] (12 hours) from issue, never less than
//!   the access token; fedgate has no refresh operation yet, so it is issued for shape
//!   compatibility only;
//! - `SignInUrl` is `<base-url>/connect/federate-token?token=<access token, percent-encoded>`;
//! - only SAML instances serve `GetFederationToken` (federation is how their users sign in;
//!   users of the other types sign in with a password or their directory);
//! - a token is not single-use: it is a bearer credential until it expires. Its
//!   [`AgentAccess::token_id`] lets a caller enforce single use with the replay cache.

use std::fmt;

use fedgate_aws_wire::percent_encode;
use fedgate_store::{ConnectStore, Secret, StoreError};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::{Connect, ConnectError, IdentityManagementType, Instance, User, ids, user_from_row};

/// Longest an access token lives (Connect sessions end 12 hours after sign-in, spec §4.6).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(12);
/// How long a refresh token lives.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::hours(12);
/// AEAD associated data of access tokens.
pub const ACCESS_TOKEN_AAD: &str = "fedgate/connect/access-token/v1";
/// AEAD associated data of refresh tokens.
pub const REFRESH_TOKEN_AAD: &str = "fedgate/connect/refresh-token/v1";
/// Every access token starts with this (recognizable in logs and by secret scanners).
pub const ACCESS_TOKEN_PREFIX: &str = "fgcat1_";
/// Every refresh token starts with this.
pub const REFRESH_TOKEN_PREFIX: &str = "fgcrt1_";
/// Longest token accepted, checked before any decoding (issued tokens are well under 2 KiB:
/// the claims are bounded IDs and names).
pub const MAX_TOKEN_CHARS: usize = 4096;
/// The path of the sign-in URL on the base URL (the server routes it).
pub const SIGN_IN_PATH: &str = "/connect/federate-token";

const TOKEN_VERSION: u8 = 1;

/// The role session asking for a federation token (from its verified session token or
/// console session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationCaller {
    /// The RoleSessionName: the username looked up, exactly.
    pub session_name: String,
    /// The role's unique ID (`AROA…`).
    pub role_id: String,
    /// The role's ARN.
    pub role_arn: String,
    /// The SAML provider the session came through, when known.
    pub provider_arn: Option<String>,
    /// When the role session ends.
    pub session_expiration: OffsetDateTime,
}

/// What `GetFederationToken` returns. `Debug` hides the tokens; serializing gives the model's
/// response shape (the only way the tokens leave).
#[derive(Clone, PartialEq, Eq)]
pub struct FederationToken {
    /// `Credentials.AccessToken`.
    pub access_token: Secret<String>,
    /// `Credentials.AccessTokenExpiration`.
    pub access_token_expiration: OffsetDateTime,
    /// `Credentials.RefreshToken`.
    pub refresh_token: Secret<String>,
    /// `Credentials.RefreshTokenExpiration`.
    pub refresh_token_expiration: OffsetDateTime,
    /// `SignInUrl`.
    pub sign_in_url: Secret<String>,
    /// `UserArn`.
    pub user_arn: String,
    /// `UserId`.
    pub user_id: String,
}

impl fmt::Debug for FederationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FederationToken")
            .field("access_token_expiration", &self.access_token_expiration)
            .field("refresh_token_expiration", &self.refresh_token_expiration)
            .field("user_arn", &self.user_arn)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsShape<'a> {
    access_token: &'a str,
    access_token_expiration: i64,
    refresh_token: &'a str,
    refresh_token_expiration: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseShape<'a> {
    credentials: CredentialsShape<'a>,
    sign_in_url: &'a str,
    user_arn: &'a str,
    user_id: &'a str,
}

impl Serialize for FederationToken {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        ResponseShape {
            credentials: CredentialsShape {
                access_token: self.access_token.expose(),
                access_token_expiration: self.access_token_expiration.unix_timestamp(),
                refresh_token: self.refresh_token.expose(),
                refresh_token_expiration: self.refresh_token_expiration.unix_timestamp(),
            },
            sign_in_url: self.sign_in_url.expose(),
            user_arn: &self.user_arn,
            user_id: &self.user_id,
        }
        .serialize(serializer)
    }
}

/// What an opened access token grants: this user of this instance, for the role session it was
/// issued to, until `expires`. Only [`Connect::open_access_token`] builds one, after the seal,
/// the expiry and the user's existence are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAccess {
    /// The instance (as it is now).
    pub instance: Instance,
    /// The user (as it is now; the same ID and username as when the token was issued).
    pub user: User,
    /// The SAML provider the role session came through, when known.
    pub provider_arn: Option<String>,
    /// The role of the session.
    pub role_arn: String,
    /// The role session name.
    pub session_name: String,
    /// When the token was issued.
    pub issued_at: OffsetDateTime,
    /// When the token expires: an agent session opened with it must end by then.
    pub expires: OffsetDateTime,
    /// The token's random ID (for single-use enforcement by the caller).
    pub token_id: String,
}

/// The sealed plaintext, version 1. Short names keep tokens small.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    v: u8,
    /// `access` or `refresh`.
    k: String,
    jti: String,
    iid: String,
    uid: String,
    un: String,
    role: String,
    sess: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prov: Option<String>,
    iat: i64,
    exp: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
    fn aad(self) -> &'static str {
        match self {
            Self::Access => ACCESS_TOKEN_AAD,
            Self::Refresh => REFRESH_TOKEN_AAD,
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Self::Access => ACCESS_TOKEN_PREFIX,
            Self::Refresh => REFRESH_TOKEN_PREFIX,
        }
    }
}

impl<S: ConnectStore> Connect<S> {
    fn seal(&self, kind: TokenKind, claims: &Claims) -> Result<String, ConnectError> {
        let plaintext = serde_json::to_vec(claims).map_err(|_| ConnectError::Internal {
            cause: "token_encode",
        })?;
        let sealed =
            self.tokens
                .seal(kind.aad(), &plaintext)
                .map_err(|_| ConnectError::Internal {
                    cause: "token_seal",
                })?;
        Ok(format!("{}{sealed}", kind.prefix()))
    }

    fn open(
        &self,
        kind: TokenKind,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, ConnectError> {
        let invalid = |reason| ConnectError::TokenInvalid { reason };
        if token.len() > MAX_TOKEN_CHARS {
            return Err(invalid("too_long"));
        }
        let sealed = token.strip_prefix(kind.prefix()).ok_or(invalid("prefix"))?;
        let plaintext = self
            .tokens
            .open(kind.aad(), sealed)
            .map_err(|error| match error {
                StoreError::Decrypt { .. } => invalid("decrypt"),
                _ => invalid("malformed"),
            })?;
        // INVARIANT: from here on the content is authenticated: sealed by this service under
        // this key, for this token kind.
        let claims: Claims =
            serde_json::from_slice(plaintext.expose()).map_err(|_| invalid("claims"))?;
        if claims.v != TOKEN_VERSION {
            return Err(invalid("version"));
        }
        if claims.k != kind.name() {
            return Err(invalid("kind"));
        }
        let expires =
            OffsetDateTime::from_unix_timestamp(claims.exp).map_err(|_| invalid("claims"))?;
        if now >= expires {
            return Err(ConnectError::TokenExpired {
                expired_at: expires,
                now,
            });
        }
        Ok(claims)
    }

    /// `GetFederationToken` for `caller` on instance `instance_id` at `now` (rules and token
    /// lifetimes in the module documentation).
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance; `InvalidRequestException` for an
    /// instance that is not SAML or a role session that has ended; `UserNotFoundException`
    /// when no user is named exactly like the role session.
    pub async fn get_federation_token(
        &self,
        instance_id: &str,
        caller: &FederationCaller,
        now: OffsetDateTime,
    ) -> Result<FederationToken, ConnectError> {
        let instance = self
            .existing_instance(crate::validate::Kind::Parameter, instance_id)
            .await?;
        if instance.identity_management_type != IdentityManagementType::Saml.as_str() {
            return Err(ConnectError::InvalidRequest(
                "GetFederationToken is supported only for instances with SAML identity \
                 management."
                    .to_owned(),
            ));
        }
        if now >= caller.session_expiration {
            return Err(ConnectError::TokenExpired {
                expired_at: caller.session_expiration,
                now,
            });
        }
        // INVARIANT: the user is the one named exactly (case included) like the role session.
        let user = self
            .store
            .connect_user_by_username(instance_id, &caller.session_name)
            .await?
            .ok_or(ConnectError::UserNotFound)?;
        let access_expires = caller
            .session_expiration
            .min(now.saturating_add(ACCESS_TOKEN_LIFETIME));
        let refresh_expires = now
            .saturating_add(REFRESH_TOKEN_LIFETIME)
            .max(access_expires);
        let claims = |kind: TokenKind, exp: OffsetDateTime| -> Result<Claims, ConnectError> {
            Ok(Claims {
                v: TOKEN_VERSION,
                k: kind.name().to_owned(),
                jti: ids::token_id()?,
                iid: instance.id.clone(),
                uid: user.id.clone(),
                un: user.username.clone(),
                role: caller.role_arn.clone(),
                sess: caller.session_name.clone(),
                prov: caller.provider_arn.clone(),
                iat: now.unix_timestamp(),
                exp: exp.unix_timestamp(),
            })
        };
        let access_token = self.seal(
            TokenKind::Access,
            &claims(TokenKind::Access, access_expires)?,
        )?;
        let refresh_token = self.seal(
            TokenKind::Refresh,
            &claims(TokenKind::Refresh, refresh_expires)?,
        )?;
        let sign_in_url = format!(
            "{}{SIGN_IN_PATH}?token={}",
            self.settings.base_url,
            percent_encode(&access_token)
        );
        Ok(FederationToken {
            access_token: Secret::new(access_token),
            access_token_expiration: access_expires,
            refresh_token: Secret::new(refresh_token),
            refresh_token_expiration: refresh_expires,
            sign_in_url: Secret::new(sign_in_url),
            user_arn: user.arn,
            user_id: user.id,
        })
    }

    /// Opens an access token (the `token` of a `SignInUrl`, already percent-decoded) at
    /// `now`: the seal, the kind, the expiry, and that its instance and user still exist (a
    /// user deleted and created again under the same name is another user).
    ///
    /// # Errors
    /// [`ConnectError::TokenInvalid`] for a token that is not an access token of this
    /// service; [`ConnectError::TokenExpired`]; [`ConnectError::ResourceNotFound`] when the
    /// instance is gone; [`ConnectError::UserNotFound`] when the user is gone or renamed.
    pub async fn open_access_token(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<AgentAccess, ConnectError> {
        let claims = self.open(TokenKind::Access, token, now)?;
        let instance = self.instance(&claims.iid).await?.ok_or_else(|| {
            ConnectError::ResourceNotFound(format!("Instance {} not found", claims.iid))
        })?;
        let user = self
            .store
            .connect_user(&claims.iid, &claims.uid)
            .await?
            .filter(|user| user.username == claims.un)
            .ok_or(ConnectError::UserNotFound)?;
        let time = |seconds| {
            OffsetDateTime::from_unix_timestamp(seconds)
                .map_err(|_| ConnectError::TokenInvalid { reason: "claims" })
        };
        Ok(AgentAccess {
            instance,
            user: user_from_row(&user)?,
            provider_arn: claims.prov,
            role_arn: claims.role,
            session_name: claims.sess,
            issued_at: time(claims.iat)?,
            expires: time(claims.exp)?,
            token_id: claims.jti,
        })
    }

    /// Checks a refresh token at `now` and returns the user ID it names.
    ///
    /// # Errors
    /// As [`Connect::open_access_token`], for refresh tokens.
    pub fn check_refresh_token(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<String, ConnectError> {
        Ok(self.open(TokenKind::Refresh, token, now)?.uid)
    }
}
