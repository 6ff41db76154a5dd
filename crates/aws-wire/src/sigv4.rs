//! AWS Signature Version 4 verification (`AWS4-HMAC-SHA256`), server side.
//!
//! Verification takes two steps so that storage stays out of this crate:
//!
//! 1. [`parse`] reads the signature's claims from the request: access key id, credential scope,
//!    signed headers, signing time, session token. Nothing in a [`SignedRequest`] is trusted
//!    yet (hence the `unverified` wording of its accessors' docs).
//! 2. The caller looks up the secret for [`SignedRequest::access_key_id`] (or opens the session
//!    token) and calls [`verify`], which rebuilds the canonical request, checks the time window
//!    and compares signatures in constant time. Only then does it hand out [`Authenticated`].
//!
//! Both forms are accepted: the `Authorization` header and presigned query parameters
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-SignedHeaders`,
//! `X-Amz-Expires`, `X-Amz-Signature`, optionally `X-Amz-Security-Token`).
//!
//! The canonical request follows the SigV4 specification for services other than S3:
//! - canonical URI: the raw path with `.`, `..` and empty segments removed, then every byte
//!   but the unreserved characters and `/` percent-encoded once more (the "double encoding"
//!   of the specification, since the raw path is already encoded once);
//! - canonical query: every name and value decoded (`+` is a space, as in
//!   [`crate::QueryRequest`], so both read a request alike) and RFC 3986-encoded, sorted by
//!   name then value; the presigned form leaves out `X-Amz-Signature`;
//! - canonical headers: the `SignedHeaders` only (which must include `host`), names
//!   lower-case, values with surrounding spaces trimmed and inner runs of spaces collapsed,
//!   repeated headers joined with `,` in the order received;
//! - payload hash: `x-amz-content-sha256` when present (and then it must be the body's hash),
//!   else the SHA-256 of the body in the header form and `UNSIGNED-PAYLOAD` in the presigned
//!   form. An unsigned payload must be empty: the Query protocol carries its parameters in the
//!   body, and parameters that the signature does not cover must not reach an action.
//!
//! Security notes:
//! - The computed signature never appears in an error message or a `Debug` output.
//! - `x-amz-security-token` need not be a signed header. The caller must check that the
//!   session token it opens belongs to the access key id the request was signed with.
//! - `Host` must be the header the client sent (for HTTP/2, the `:authority`).

use std::fmt;

use aws_lc_rs::{constant_time, digest, hmac};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

use crate::AwsError;
use crate::encoding;

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far the signing time of a header-signed request may be from `now`, either way; also
/// how far in the future a presigned request's `X-Amz-Date` may be.
///
/// 15 minutes, as AWS's `RequestExpired` description states ("more than 15 minutes after the
/// date stamp … or the date stamp on the request is more than 15 minutes in the future").
/// A replayed request is accepted within this window: SigV4 has no nonce.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

/// Longest validity of a presigned request (`X-Amz-Expires`), in seconds: 7 days, the SigV4
/// maximum.
pub const MAX_PRESIGNED_EXPIRES_SECONDS: i64 = 604_800;

/// Most names in `SignedHeaders`. Clients sign a handful; this bounds the canonicalisation
/// work an unauthenticated request can ask for.
pub const MAX_SIGNED_HEADERS: usize = 64;

/// Longest access key id (the botocore model's 128 characters).
pub const MAX_ACCESS_KEY_ID_LEN: usize = 128;

/// The last component of every SigV4 credential scope.
const TERMINATOR: &str = "aws4_request";

/// The payload hash placeholder of an unsigned payload.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// `X-Amz-Date` and the credential scope's timestamp format.
const AMZ_DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
/// The credential scope date format.
const SCOPE_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year][month][day]");
/// An HTTP `Date` header (IMF-fixdate, RFC 9110).
const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// An HTTP request as received, for SigV4. `path` and `query` are raw (still
/// percent-encoded, `query` without `?`); `headers` are `(name, value)` in the order received,
/// repeated names kept.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, for example `POST`.
    pub method: &'a str,
    /// The raw request path, for example `/` or `/a%20b`.
    pub path: &'a str,
    /// The raw query string without `?`, possibly empty.
    pub query: &'a str,
    /// The request headers as received.
    pub headers: &'a [(String, String)],
    /// The request body.
    pub body: &'a [u8],
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Headers and body can hold credentials and assertions.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Where the signature was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// Presigned query parameters (`X-Amz-Signature=…`).
    Query,
}

/// The credential scope `YYYYMMDD/region/service/aws4_request`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialScope {
    date: Date,
    region: String,
    service: String,
}

impl CredentialScope {
    /// The scope's date (always the date of the signing time).
    #[must_use]
    pub fn date(&self) -> Date {
        self.date
    }

    /// The scope's region, for example `us-east-1`.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The scope's service signing name, for example `iam` (see [`crate::Service`]).
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}/{}/{}/{TERMINATOR}",
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day(),
            self.region,
            self.service
        )
    }
}

/// The claims of a signed request, read by [`parse`] and not yet verified.
///
/// Use the claims only to find the secret to [`verify`] with; nothing here is authenticated.
#[derive(Clone)]
pub struct SignedRequest {
    location: SignatureLocation,
    access_key_id: String,
    scope: CredentialScope,
    signed_headers: Vec<String>,
    signature: [u8; 32],
    signed_at: OffsetDateTime,
    expires: Option<Duration>,
    session_token: Option<String>,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("location", &self.location)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signed_at", &self.signed_at)
            .field("expires", &self.expires)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// The unverified access key id the request claims to be signed with.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The unverified session token (`X-Amz-Security-Token`), for temporary credentials.
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The unverified credential scope.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }

    /// The unverified signing time (`X-Amz-Date`, else `Date`).
    #[must_use]
    pub fn signed_at(&self) -> OffsetDateTime {
        self.signed_at
    }

    /// Where the signature was found.
    #[must_use]
    pub fn location(&self) -> SignatureLocation {
        self.location
    }

    /// The lower-case names of the signed headers, sorted.
    #[must_use]
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// The validity of a presigned request (`X-Amz-Expires`); `None` in the header form.
    #[must_use]
    pub fn expires(&self) -> Option<Duration> {
        self.expires
    }
}

/// A request whose signature [`verify`] checked: proof that its signer knew the secret of
/// `access_key_id` at `signed_at`. Only [`verify`] constructs it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The region of the credential scope.
    pub region: String,
    /// The service signing name of the credential scope.
    pub service: String,
    /// The session token, for temporary credentials; the caller must check it belongs to
    /// `access_key_id`.
    pub session_token: Option<String>,
    /// The signing time.
    pub signed_at: OffsetDateTime,
}

/// An access key pair, as a key store hands it to the caller of [`verify`]. `Debug` redacts
/// the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id (`AKIA…` or `ASIA…`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// Why a request is not authenticated. [`Error::to_aws_error`] maps each to AWS's code,
/// status and message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request is not signed but the action requires it
    /// (`MissingAuthenticationToken`, 403). [`parse`] returns `Ok(None)` for unsigned
    /// requests; the caller decides whether that is this error.
    Missing,
    /// A part of the signature is present but unreadable or inconsistent
    /// (`IncompleteSignature`, 400, with the detail as message).
    Malformed(String),
    /// The signing time is outside the accepted window (`RequestExpired`, 400).
    Expired,
    /// The signature is not the one the secret gives for this request
    /// (`SignatureDoesNotMatch`, 403).
    SignatureDoesNotMatch,
    /// No secret is known for the access key id (`InvalidClientTokenId`, 403); for the
    /// caller's key lookup, never returned by this module.
    UnknownKey,
    /// A required part of the signature is missing (`IncompleteSignature`, 400, with the
    /// detail as message).
    IncompleteSignature(String),
    /// The credential scope names a region this endpoint does not serve
    /// (`SignatureDoesNotMatch`, 403, AWS's "Credential should be scoped to a valid region"),
    /// from [`check_region`].
    WrongRegion(String),
    /// The credential scope names a service this endpoint does not serve
    /// (`SignatureDoesNotMatch`, 403, AWS's "Credential should be scoped to correct service"),
    /// from [`check_service`]; the expected services as AWS lists them (`'iam' or 'sts'`).
    WrongService(String),
}

impl Error {
    /// The AWS error this becomes on the wire, with AWS's codes and messages.
    #[must_use]
    pub fn to_aws_error(&self) -> AwsError {
        match self {
            Self::Missing => AwsError::new(
                "MissingAuthenticationToken",
                403,
                "Request is missing Authentication Token",
            ),
            Self::Malformed(detail) | Self::IncompleteSignature(detail) => {
                AwsError::new("IncompleteSignature", 400, detail.clone())
            }
            Self::Expired => AwsError::new("RequestExpired", 400, "Request has expired."),
            Self::SignatureDoesNotMatch => AwsError::new(
                "SignatureDoesNotMatch",
                403,
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details.",
            ),
            Self::UnknownKey => AwsError::new(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            ),
            Self::WrongRegion(region) => AwsError::new(
                "SignatureDoesNotMatch",
                403,
                format!("Credential should be scoped to a valid region, not '{region}'."),
            ),
            Self::WrongService(expected) => AwsError::new(
                "SignatureDoesNotMatch",
                403,
                format!("Credential should be scoped to correct service: {expected}."),
            ),
        }
    }
}

impl From<Error> for AwsError {
    fn from(error: Error) -> Self {
        error.to_aws_error()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("request is not signed"),
            Self::Malformed(detail) => write!(f, "malformed signature: {detail}"),
            Self::Expired => f.write_str("signing time outside the accepted window"),
            Self::SignatureDoesNotMatch => f.write_str("signature does not match"),
            Self::UnknownKey => f.write_str("unknown access key id"),
            Self::IncompleteSignature(detail) => write!(f, "incomplete signature: {detail}"),
            Self::WrongRegion(region) => write!(f, "signed for region {region}"),
            Self::WrongService(expected) => write!(f, "signed for a service other than {expected}"),
        }
    }
}

impl std::error::Error for Error {}

/// Reads the signature's claims from `request`.
///
/// Returns `Ok(None)` when the request carries no SigV4 signature: no `Authorization` header
/// and none of `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature` in the query.
///
/// # Errors
/// [`Error::IncompleteSignature`] when a required component is missing;
/// [`Error::Malformed`] when one is unreadable, duplicated, of an unsupported algorithm, or
/// inconsistent (scope date not the signing date, scope not ending in `aws4_request`,
/// `SignedHeaders` not lower-case, sorted and unique), or when both forms are present.
pub fn parse(request: &Request<'_>) -> Result<Option<SignedRequest>, Error> {
    let authorization = header_values(request.headers, "authorization");
    let query = QueryAuth::read(request.query)?;
    match (authorization.as_slice(), query.present()) {
        ([], false) => Ok(None),
        ([_, ..], true) => Err(malformed(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the \
             Authorization header should be specified",
        )),
        ([header], false) => parse_header(request, header).map(Some),
        ([], true) => parse_query(request, query).map(Some),
        ([_, _, ..], false) => Err(malformed("Only one Authorization header is allowed")),
    }
}

/// Checks the credential scope's region, as AWS does before looking at the signature: a
/// request must be signed for a region the endpoint serves (`accepted`, for example
/// [`crate::Service::signing_regions`]). A signature for another region is refused even when
/// it is otherwise valid, so a request signed for one deployment does not replay against
/// another that shares keys.
///
/// # Errors
/// [`Error::WrongRegion`] naming the scope's region.
pub fn check_region(signed: &SignedRequest, accepted: &[&str]) -> Result<(), Error> {
    let region = signed.scope.region();
    if accepted.contains(&region) {
        Ok(())
    } else {
        Err(Error::WrongRegion(region.to_owned()))
    }
}

/// Checks the credential scope's service against the signing names this endpoint serves.
///
/// # Errors
/// [`Error::WrongService`] listing `accepted` as AWS does (`'iam' or 'sts'`).
pub fn check_service(signed: &SignedRequest, accepted: &[&str]) -> Result<(), Error> {
    if accepted.contains(&signed.scope.service()) {
        Ok(())
    } else {
        let names: Vec<String> = accepted.iter().map(|name| format!("'{name}'")).collect();
        Err(Error::WrongService(names.join(" or ")))
    }
}

/// Verifies `signed` (from [`parse`] of the same `request`) with `secret_access_key` at
/// `now`.
///
/// # Errors
/// [`Error::Expired`] outside the time window (header form: [`MAX_CLOCK_SKEW`] either side of
/// `now`; presigned: from `X-Amz-Date` − [`MAX_CLOCK_SKEW`] to `X-Amz-Date` + `X-Amz-Expires`);
/// [`Error::Malformed`] for an unreadable query string, a signed header missing from the
/// request, an `x-amz-content-sha256` that is not the body's hash, or a non-empty unsigned
/// payload; [`Error::SignatureDoesNotMatch`] when the signature differs.
pub fn verify(
    signed: &SignedRequest,
    request: &Request<'_>,
    secret_access_key: &str,
    now: OffsetDateTime,
) -> Result<Authenticated, Error> {
    check_time(signed, now)?;
    let payload_hash = payload_hash(signed.location, request)?;
    let key = signing_key(secret_access_key, &signed.scope);
    let matches = |payload_hash: &str| -> Result<bool, Error> {
        let canonical_request = canonical_request(signed, request, payload_hash)?;
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            amz_date(signed.signed_at),
            signed.scope,
            encoding::hex(digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref())
        );
        let expected = hmac::sign(&key, string_to_sign.as_bytes());
        Ok(constant_time::verify_slices_are_equal(expected.as_ref(), &signed.signature).is_ok())
    };
    // A presigned URL of a Query API (botocore's generic presigner, e.g. for
    // GetCallerIdentity) signs the hash of the empty body rather than UNSIGNED-PAYLOAD; both
    // bind the same empty body, so either is accepted.
    let presigned_empty = payload_hash == UNSIGNED_PAYLOAD && request.body.is_empty();
    if !(matches(&payload_hash)? || (presigned_empty && matches(&body_hash(request.body))?)) {
        return Err(Error::SignatureDoesNotMatch);
    }
    Ok(Authenticated {
        access_key_id: signed.access_key_id.clone(),
        region: signed.scope.region.clone(),
        service: signed.scope.service.clone(),
        session_token: signed.session_token.clone(),
        signed_at: signed.signed_at,
    })
}

/// Signs `request` in the header form, as a client: returns the headers to add
/// (`x-amz-date`, `x-amz-security-token` with a session token, and `authorization`).
///
/// Every header of `request` is signed (it must contain `host`); the payload hash is the
/// body's SHA-256. The same canonical request [`verify`] rebuilds, so a request this signs
/// verifies with the same secret (and with AWS's own signers, `tests/sigv4_oracle.rs`). For
/// fedgate talking to itself (`fedgate demo` configures the service through its own APIs).
///
/// # Errors
/// [`Error::Malformed`] when `request` has no `host` header, a header name that is not a
/// token, or more than [`MAX_SIGNED_HEADERS`] headers.
pub fn sign(
    request: &Request<'_>,
    credential: &Credential,
    session_token: Option<&str>,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) -> Result<Vec<(String, String)>, Error> {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    headers.push(("x-amz-date".to_owned(), amz_date(now)));
    if let Some(token) = session_token {
        headers.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    let mut names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > MAX_SIGNED_HEADERS {
        return Err(malformed(format!(
            "more than {MAX_SIGNED_HEADERS} headers to sign"
        )));
    }
    let signed_headers = parse_signed_headers(&names.join(";"))?;
    let scope = CredentialScope {
        date: now.date(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    let claims = SignedRequest {
        location: SignatureLocation::Header,
        access_key_id: credential.access_key_id.clone(),
        scope,
        signed_headers,
        signature: [0; 32],
        signed_at: now,
        expires: None,
        session_token: session_token.map(str::to_owned),
    };
    let with_added = Request {
        headers: &headers,
        ..*request
    };
    let canonical = canonical_request(&claims, &with_added, &body_hash(request.body))?;
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        amz_date(now),
        claims.scope,
        encoding::hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let key = signing_key(&credential.secret_access_key, &claims.scope);
    let signature = encoding::hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref());
    let mut added = vec![("x-amz-date".to_owned(), amz_date(now))];
    if let Some(token) = session_token {
        added.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    added.push((
        "authorization".to_owned(),
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
            credential.access_key_id,
            claims.scope,
            claims.signed_headers.join(";")
        ),
    ));
    Ok(added)
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::Malformed(detail.into())
}

/// At most 64 characters of client input, for echoing in a message.
fn echo(value: &str) -> String {
    value.chars().take(64).collect()
}

/// The values of every header called `name` (ASCII case-insensitive), in order.
fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
        .collect()
}

/// The single value of header `name`, if present.
fn single_header<'a>(
    headers: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, Error> {
    match header_values(headers, name).as_slice() {
        [] => Ok(None),
        [value] => Ok(Some(value.trim())),
        _ => Err(malformed(format!("Only one {name} header is allowed"))),
    }
}

/// The SigV4 parameters of a query string.
#[derive(Default)]
struct QueryAuth {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    expires: Option<String>,
    security_token: Option<String>,
}

impl QueryAuth {
    /// Reads the `X-Amz-*` parameters; other parameters are not looked at here (a bad escape
    /// in one of them fails [`verify`]).
    fn read(query: &str) -> Result<Self, Error> {
        let mut auth = Self::default();
        for (raw_name, raw_value) in encoding::split_pairs(query.as_bytes()) {
            let Ok(name) = encoding::decode(raw_name, true) else {
                continue;
            };
            let slot = match name.as_slice() {
                b"X-Amz-Algorithm" => &mut auth.algorithm,
                b"X-Amz-Credential" => &mut auth.credential,
                b"X-Amz-Date" => &mut auth.date,
                b"X-Amz-SignedHeaders" => &mut auth.signed_headers,
                b"X-Amz-Signature" => &mut auth.signature,
                b"X-Amz-Expires" => &mut auth.expires,
                b"X-Amz-Security-Token" => &mut auth.security_token,
                _ => continue,
            };
            let name = String::from_utf8_lossy(&name).into_owned();
            if slot.is_some() {
                return Err(malformed(format!(
                    "Only one {name} query parameter is allowed"
                )));
            }
            let value = encoding::decode(raw_value, true)
                .ok()
                .and_then(|value| String::from_utf8(value).ok())
                .ok_or_else(|| malformed(format!("{name} is not valid percent-encoded UTF-8")))?;
            *slot = Some(value);
        }
        Ok(auth)
    }

    /// Whether the query claims to be presigned.
    fn present(&self) -> bool {
        self.algorithm.is_some() || self.credential.is_some() || self.signature.is_some()
    }
}

fn parse_header(request: &Request<'_>, header: &str) -> Result<SignedRequest, Error> {
    let header = header.trim();
    let (algorithm, components) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    check_algorithm(algorithm)?;

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in components
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (key, value) = component.split_once('=').ok_or_else(|| {
            malformed(format!(
                "Authorization header component '{}' is not of the form key=value",
                echo(component)
            ))
        })?;
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(malformed(format!(
                    "Authorization header has an unknown component '{}'",
                    echo(other)
                )));
            }
        };
        if slot.replace(value.trim()).is_some() {
            return Err(malformed(format!(
                "Authorization header has more than one '{}' component",
                key.trim()
            )));
        }
    }
    fn require<'v>(value: Option<&'v str>, name: &str) -> Result<&'v str, Error> {
        value.ok_or_else(|| {
            Error::IncompleteSignature(format!("Authorization header requires '{name}' parameter."))
        })
    }
    let credential = require(credential, "Credential")?;
    let signed_headers = require(signed_headers, "SignedHeaders")?;
    let signature = require(signature, "Signature")?;

    let signed_at = match single_header(request.headers, "x-amz-date")? {
        Some(date) => parse_amz_date(date, "X-Amz-Date")?,
        None => match single_header(request.headers, "date")? {
            Some(date) => parse_http_date(date)?,
            None => {
                return Err(Error::IncompleteSignature(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a \
                     'Date' header."
                        .to_owned(),
                ));
            }
        },
    };
    let session_token = single_header(request.headers, "x-amz-security-token")?.map(str::to_owned);
    build(
        SignatureLocation::Header,
        credential,
        signed_headers,
        signature,
        signed_at,
        None,
        session_token,
    )
}

fn parse_query(request: &Request<'_>, query: QueryAuth) -> Result<SignedRequest, Error> {
    let (
        Some(algorithm),
        Some(credential),
        Some(date),
        Some(signed_headers),
        Some(signature),
        Some(expires),
    ) = (
        query.algorithm,
        query.credential,
        query.date,
        query.signed_headers,
        query.signature,
        query.expires,
    )
    else {
        return Err(Error::IncompleteSignature(
            "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
                .to_owned(),
        ));
    };
    check_algorithm(&algorithm)?;
    let signed_at = parse_amz_date(&date, "X-Amz-Date")?;
    let expires = parse_expires(&expires)?;
    // A token in both places would leave it unclear which one the signature covers.
    if single_header(request.headers, "x-amz-security-token")?.is_some()
        && query.security_token.is_some()
    {
        return Err(malformed(
            "X-Amz-Security-Token may be given as a header or as a query parameter, not both",
        ));
    }
    let session_token = match query.security_token {
        Some(token) => Some(token),
        None => single_header(request.headers, "x-amz-security-token")?.map(str::to_owned),
    };
    build(
        SignatureLocation::Query,
        &credential,
        &signed_headers,
        &signature,
        signed_at,
        Some(expires),
        session_token,
    )
}

fn check_algorithm(algorithm: &str) -> Result<(), Error> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(malformed(format!(
            "Unsupported AWS 'algorithm': '{}'; only {ALGORITHM} is accepted",
            echo(algorithm)
        )))
    }
}

/// Builds the claims after checking that the credential scope, signed headers and signature
/// are well-formed and consistent with the signing time.
fn build(
    location: SignatureLocation,
    credential: &str,
    signed_headers: &str,
    signature: &str,
    signed_at: OffsetDateTime,
    expires: Option<Duration>,
    session_token: Option<String>,
) -> Result<SignedRequest, Error> {
    let (access_key_id, scope) = parse_credential(credential, signed_at)?;
    let signed_headers = parse_signed_headers(signed_headers)?;
    let signature = encoding::unhex::<32>(signature)
        .ok_or_else(|| malformed("Signature must be 64 hexadecimal characters"))?;
    Ok(SignedRequest {
        location,
        access_key_id,
        scope,
        signed_headers,
        signature,
        signed_at,
        expires,
        session_token,
    })
}

/// Parses `AKID/YYYYMMDD/region/service/aws4_request`.
fn parse_credential(
    credential: &str,
    signed_at: OffsetDateTime,
) -> Result<(String, CredentialScope), Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(malformed(
            "Credential must have the form 'access-key-id/YYYYMMDD/region/service/aws4_request'",
        ));
    };
    if access_key_id.is_empty()
        || access_key_id.len() > MAX_ACCESS_KEY_ID_LEN
        || !access_key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(malformed("Credential has an invalid access key id"));
    }
    let scope_name_ok = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !scope_name_ok(region) {
        return Err(malformed(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            echo(region)
        )));
    }
    if !scope_name_ok(service) {
        return Err(malformed(format!(
            "Credential should be scoped to a valid service, not '{}'.",
            echo(service)
        )));
    }
    if *terminator != TERMINATOR {
        return Err(malformed(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
            echo(terminator)
        )));
    }
    let scope_date = Date::parse(date, SCOPE_DATE)
        .ok()
        .filter(|_| date.len() == 8)
        .ok_or_else(|| malformed(format!("Credential has an invalid date '{}'", echo(date))))?;
    if scope_date != signed_at.date() {
        let http_date = amz_date(signed_at);
        return Err(malformed(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{}', from '{http_date}'.",
            echo(date),
            http_date.get(..8).unwrap_or_default(),
        )));
    }
    Ok((
        (*access_key_id).to_owned(),
        CredentialScope {
            date: scope_date,
            region: (*region).to_owned(),
            service: (*service).to_owned(),
        },
    ))
}

/// Parses `SignedHeaders`: lower-case header names, sorted, unique, `host` among them.
fn parse_signed_headers(list: &str) -> Result<Vec<String>, Error> {
    let names: Vec<&str> = list.split(';').collect();
    if names.len() > MAX_SIGNED_HEADERS {
        return Err(malformed(format!(
            "SignedHeaders names more than {MAX_SIGNED_HEADERS} headers"
        )));
    }
    let token = |name: &str| {
        !name.is_empty()
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            })
    };
    if !names.iter().all(|name| token(name)) {
        return Err(malformed(
            "SignedHeaders must be lower-case header names separated by ';'",
        ));
    }
    if !names.windows(2).all(|pair| matches!(pair, [a, b] if a < b)) {
        return Err(malformed(
            "SignedHeaders must be sorted and without repetition",
        ));
    }
    if !names.contains(&"host") {
        return Err(Error::IncompleteSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    Ok(names.into_iter().map(str::to_owned).collect())
}

fn parse_amz_date(value: &str, name: &str) -> Result<OffsetDateTime, Error> {
    PrimitiveDateTime::parse(value, AMZ_DATE)
        .ok()
        .filter(|_| value.len() == 16)
        .map(PrimitiveDateTime::assume_utc)
        .ok_or_else(|| {
            malformed(format!(
                "{name} must have the form YYYYMMDD'T'HHMMSS'Z', not '{}'",
                echo(value)
            ))
        })
}

/// Parses a `Date` header: ISO 8601 basic (as `X-Amz-Date`) or IMF-fixdate.
fn parse_http_date(value: &str) -> Result<OffsetDateTime, Error> {
    parse_amz_date(value, "Date").or_else(|_| {
        PrimitiveDateTime::parse(value, HTTP_DATE)
            .map(PrimitiveDateTime::assume_utc)
            .map_err(|_| {
                malformed(format!(
                    "Date header is not a valid date: '{}'",
                    echo(value)
                ))
            })
    })
}

fn parse_expires(value: &str) -> Result<Duration, Error> {
    let seconds = Some(value)
        .filter(|v| !v.is_empty() && v.len() <= 7 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|s| (1..=MAX_PRESIGNED_EXPIRES_SECONDS).contains(s))
        .ok_or_else(|| {
            malformed(format!(
                "X-Amz-Expires must be a number of seconds from 1 to \
                 {MAX_PRESIGNED_EXPIRES_SECONDS}"
            ))
        })?;
    Ok(Duration::seconds(seconds))
}

/// `YYYYMMDDTHHMMSSZ` of `t` (UTC): the ISO 8601 form without separators.
fn amz_date(t: OffsetDateTime) -> String {
    crate::iso8601(t).replace(['-', ':'], "")
}

/// Checks the signing time against `now`. Checked arithmetic: a client-chosen date at the
/// edge of the representable range (year 9999) must not overflow; it is simply outside.
fn check_time(signed: &SignedRequest, now: OffsetDateTime) -> Result<(), Error> {
    let earliest = signed.signed_at.checked_sub(MAX_CLOCK_SKEW);
    let latest = signed
        .signed_at
        .checked_add(signed.expires.unwrap_or(MAX_CLOCK_SKEW));
    match (earliest, latest) {
        (Some(earliest), Some(latest)) if earliest <= now && now <= latest => Ok(()),
        _ => Err(Error::Expired),
    }
}

/// The payload hash of the canonical request; see the module documentation.
fn payload_hash(location: SignatureLocation, request: &Request<'_>) -> Result<String, Error> {
    let claimed = single_header(request.headers, "x-amz-content-sha256")?;
    let hash = match (claimed, location) {
        (Some(claimed), _) => claimed.to_owned(),
        (None, SignatureLocation::Header) => body_hash(request.body),
        (None, SignatureLocation::Query) => UNSIGNED_PAYLOAD.to_owned(),
    };
    if hash == UNSIGNED_PAYLOAD {
        if !request.body.is_empty() {
            return Err(malformed(
                "An unsigned payload must be empty: Query-protocol parameters in the body must \
                 be signed",
            ));
        }
    } else if encoding::unhex::<32>(&hash).is_some() {
        if !hash.eq_ignore_ascii_case(&body_hash(request.body)) {
            return Err(malformed(
                "The x-amz-content-sha256 header does not match the SHA-256 of the body",
            ));
        }
    } else {
        return Err(malformed(format!(
            "Unsupported x-amz-content-sha256 value '{}'",
            echo(&hash)
        )));
    }
    Ok(hash)
}

fn body_hash(body: &[u8]) -> String {
    encoding::hex(digest::digest(&digest::SHA256, body).as_ref())
}

fn canonical_request(
    signed: &SignedRequest,
    request: &Request<'_>,
    payload_hash: &str,
) -> Result<String, Error> {
    let mut out = String::with_capacity(512);
    out.push_str(request.method);
    out.push('\n');
    canonical_uri(request.path, &mut out);
    out.push('\n');
    canonical_query(request.query, signed.location, &mut out)?;
    out.push('\n');
    for name in &signed.signed_headers {
        let values = header_values(request.headers, name);
        if values.is_empty() {
            return Err(malformed(format!(
                "Signed header '{}' is missing from the request",
                echo(name)
            )));
        }
        out.push_str(name);
        out.push(':');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_trimmed(value, &mut out);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed.signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// Appends `value` without surrounding spaces and with inner runs of spaces collapsed to one.
/// Only spaces, as the AWS SDKs do (other whitespace is kept).
fn push_trimmed(value: &str, out: &mut String) {
    let mut previous_space = false;
    for ch in value.trim_matches(' ').chars() {
        if ch == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
        } else {
            out.push(ch);
            previous_space = false;
        }
    }
}

/// Appends the canonical URI of the raw `path`: dot and empty segments removed (RFC 3986
/// §5.2.4), each byte but unreserved characters and `/` percent-encoded.
fn canonical_uri(path: &str, out: &mut String) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing_slash = ["/", "/.", "/..", "/./", "/../"]
        .iter()
        .any(|end| path.ends_with(end))
        || path == "."
        || path == "..";
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        encoding::encode_into(segment.as_bytes(), false, out);
    }
    if trailing_slash && !segments.is_empty() {
        out.push('/');
    }
}

/// Appends the canonical query string of the raw `query`.
fn canonical_query(
    query: &str,
    location: SignatureLocation,
    out: &mut String,
) -> Result<(), Error> {
    let mut pairs = Vec::new();
    for (raw_name, raw_value) in encoding::split_pairs(query.as_bytes()) {
        let invalid = || malformed("The query string has invalid percent-encoding");
        let name = encoding::decode(raw_name, true).map_err(|_| invalid())?;
        if location == SignatureLocation::Query && name == b"X-Amz-Signature" {
            continue;
        }
        let value = encoding::decode(raw_value, true).map_err(|_| invalid())?;
        let mut encoded_name = String::with_capacity(name.len());
        encoding::encode_into(&name, false, &mut encoded_name);
        let mut encoded_value = String::with_capacity(value.len());
        encoding::encode_into(&value, false, &mut encoded_value);
        pairs.push((encoded_name, encoded_value));
    }
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    Ok(())
}

/// The SigV4 signing key: HMAC chain over date, region, service and `aws4_request`.
fn signing_key(secret_access_key: &str, scope: &CredentialScope) -> hmac::Key {
    let date = format!(
        "{:04}{:02}{:02}",
        scope.date.year(),
        u8::from(scope.date.month()),
        scope.date.day()
    );
    let mut key = hmac::sign(
        &hmac::Key::new(
            hmac::HMAC_SHA256,
            format!("AWS4{secret_access_key}").as_bytes(),
        ),
        date.as_bytes(),
    );
    for part in [scope.region.as_str(), scope.service.as_str(), TERMINATOR] {
        key = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, key.as_ref()),
            part.as_bytes(),
        );
    }
    hmac::Key::new(hmac::HMAC_SHA256, key.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> String {
        let mut out = String::new();
        canonical_uri(path, &mut out);
        out
    }

    #[test]
    fn canonical_uri_normalizes_and_encodes_segments() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/a/b", "/a/b"),
            ("/a/b/", "/a/b/"),
            ("/a//b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/../a", "/a"),
            ("/a/b/..", "/a/"),
            ("/a%20b", "/a%2520b"),
            ("/a b:c", "/a%20b%3Ac"),
            ("/~x-_.", "/~x-_."),
        ];
        for (path, expected) in cases {
            assert_eq!(uri(path), expected, "{path:?}");
        }
    }

    #[test]
    fn canonical_query_decodes_reencodes_and_sorts() {
        let mut out = String::new();
        canonical_query(
            "b=2&a=x+y&a=%7e&c&X-Amz-Signature=s",
            SignatureLocation::Query,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, "a=x%20y&a=~&b=2&c=");
        let mut out = String::new();
        assert!(canonical_query("a=%zz", SignatureLocation::Header, &mut out).is_err());
    }

    #[test]
    fn signing_times_at_the_edge_of_the_calendar_do_not_overflow() {
        let now = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        for (date, expires) in [
            (
                "99991231T235959Z",
                Some(Duration::seconds(MAX_PRESIGNED_EXPIRES_SECONDS)),
            ),
            ("99991231T235959Z", None),
            ("00000101T000000Z", None),
        ] {
            let signed = SignedRequest {
                location: SignatureLocation::Query,
                access_key_id: "AKID".to_owned(),
                scope: CredentialScope {
                    date: now.date(),
                    region: "us-east-1".to_owned(),
                    service: "iam".to_owned(),
                },
                signed_headers: vec!["host".to_owned()],
                signature: [0; 32],
                signed_at: parse_amz_date(date, "X-Amz-Date").unwrap(),
                expires,
                session_token: None,
            };
            assert_eq!(check_time(&signed, now), Err(Error::Expired), "{date}");
        }
    }

    fn signed_for(region: &str, service: &str) -> SignedRequest {
        SignedRequest {
            location: SignatureLocation::Header,
            access_key_id: "AKID".to_owned(),
            scope: CredentialScope {
                date: time::macros::date!(2026 - 01 - 01),
                region: region.to_owned(),
                service: service.to_owned(),
            },
            signed_headers: vec!["host".to_owned()],
            signature: [0; 32],
            signed_at: time::macros::datetime!(2026-01-01 00:00:00 UTC),
            expires: None,
            session_token: None,
        }
    }

    #[test]
    fn refuses_a_scope_for_a_region_the_endpoint_does_not_serve() {
        use crate::Service;
        let cases = [
            // (configured region, service, signed for, accepted)
            ("us-east-1", Service::Iam, "us-east-1", true),
            ("us-east-1", Service::Iam, "eu-west-1", false),
            ("eu-west-1", Service::Iam, "eu-west-1", true),
            ("eu-west-1", Service::Iam, "us-east-1", true),
            ("eu-west-1", Service::Iam, "us-west-2", false),
            ("us-east-1", Service::Sts, "us-east-1", true),
            ("us-east-1", Service::Sts, "eu-west-1", false),
            ("eu-west-1", Service::Sts, "us-east-1", false),
        ];
        for (configured, service, region, accepted) in cases {
            let signed = signed_for(region, service.signing_name());
            let result = check_region(&signed, &service.signing_regions(configured));
            assert_eq!(
                result.is_ok(),
                accepted,
                "{configured} {service:?} {region}"
            );
        }
        let error = check_region(&signed_for("eu-west-1", "iam"), &["us-east-1"])
            .unwrap_err()
            .to_aws_error();
        assert_eq!(
            (error.code.as_str(), error.status, error.message.as_str()),
            (
                "SignatureDoesNotMatch",
                403,
                "Credential should be scoped to a valid region, not 'eu-west-1'."
            )
        );
    }

    #[test]
    fn trims_and_collapses_spaces_only() {
        let mut out = String::new();
        push_trimmed("  a   b \t c  ", &mut out);
        assert_eq!(out, "a b \t c");
    }

    /// The example of the AWS SigV4 documentation (IAM ListUsers, secret
    /// `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`).
    #[test]
    fn derives_the_documented_signature() {
        let headers = vec![
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("Host".to_owned(), "iam.amazonaws.com".to_owned()),
            ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
            (
                "Authorization".to_owned(),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                    .to_owned(),
            ),
        ];
        let request = Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let signed = parse(&request).unwrap().unwrap();
        let now = time::macros::datetime!(2015-08-30 12:40:00 UTC);
        let authenticated = verify(
            &signed,
            &request,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            now,
        )
        .unwrap();
        assert_eq!(authenticated.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            verify(&signed, &request, "wrong", now),
            Err(Error::SignatureDoesNotMatch)
        );
    }
}
