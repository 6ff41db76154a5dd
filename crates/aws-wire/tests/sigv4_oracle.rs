#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step is a failed test"
)]
//! The hand-written SigV4 verifier against `aws-sigv4` (the AWS SDK's signer) as an oracle:
//! every request the SDK signs verifies, every single-byte change to a signed part fails,
//! and each missing or malformed piece gives the error AWS gives.

use std::borrow::Cow;
use std::time::{Duration as StdDuration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation as OracleLocation,
    SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use fedgate_aws_wire::QueryRequest;
use fedgate_aws_wire::sigv4::{self, Error, Request, SignatureLocation};
use time::{Duration, OffsetDateTime};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEBYaDEXAMPLE+token/with=specials";
/// 2026-01-01T12:00:00Z.
const SIGNED_AT: i64 = 1_767_268_800;
const PRESIGN_SECONDS: u64 = 900;
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// One request as it would arrive at the server.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// Parses and verifies with `secret` at `now`.
    fn verify_at(&self, secret: &str, now: OffsetDateTime) -> Result<sigv4::Authenticated, Error> {
        let request = self.request();
        let signed = sigv4::parse(&request)?.ok_or(Error::Missing)?;
        sigv4::verify(&signed, &request, secret, now)
    }

    fn verify(&self) -> Result<sigv4::Authenticated, Error> {
        self.verify_at(SECRET, signed_at())
    }

    fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no header {name}"))
            .1
    }
}

/// What to sign.
struct Spec<'a> {
    method: &'a str,
    path: &'a str,
    /// Raw, already encoded, as the client sends it.
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
    service: &'a str,
    token: Option<&'a str>,
    location: OracleLocation,
    content_sha256_header: bool,
}

impl<'a> Spec<'a> {
    fn iam_post(body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            path: "/",
            query: "",
            headers: vec![("Host", "iam.amazonaws.com"), ("Content-Type", FORM)],
            body,
            service: "iam",
            token: None,
            location: OracleLocation::Headers,
            content_sha256_header: false,
        }
    }
}

fn signed_at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(SIGNED_AT).unwrap()
}

/// Percent-encodes a presigning parameter the way an HTTP client puts it in a URL
/// (independent of the crate under test).
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs `spec` with aws-sigv4 and returns the request as the server receives it.
fn sign_with_oracle(spec: &Spec<'_>) -> Received {
    let host = spec
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| *v)
        .unwrap();
    let uri = if spec.query.is_empty() {
        format!("https://{host}{}", spec.path)
    } else {
        format!("https://{host}{}?{}", spec.path, spec.query)
    };
    let credentials = Credentials::new(AKID, SECRET, spec.token.map(str::to_owned), None, "oracle");
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    settings.signature_location = spec.location;
    settings.expires_in = Some(StdDuration::from_secs(PRESIGN_SECONDS));
    if spec.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(spec.service)
        .time(UNIX_EPOCH + StdDuration::from_secs(SIGNED_AT.try_into().unwrap()))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = match spec.location {
        OracleLocation::Headers => SignableBody::Bytes(spec.body),
        _ => SignableBody::UnsignedPayload,
    };
    let signable =
        SignableRequest::new(spec.method, uri, spec.headers.iter().copied(), body).unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (added_headers, added_params) = instructions.into_parts();

    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for header in added_headers {
        headers.push((header.name().to_owned(), header.value().to_owned()));
    }
    let mut query = spec.query.to_owned();
    for (name, value) in added_params {
        let value: Cow<'_, str> = value;
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&url_encode(&value));
    }
    Received {
        method: spec.method.to_owned(),
        path: spec.path.to_owned(),
        query,
        headers,
        body: spec.body.to_vec(),
    }
}

const IAM_BODY: &[u8] = b"Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fteam%2F";

/// The signed requests of the oracle suite, each with a name.
fn oracle_cases() -> Vec<(&'static str, Received)> {
    let sts_body: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";
    let encoded_query = "Action=ListRoles&Version=2010-05-08\
                         &PathPrefix=%2Fa%20b%2Bc%2F%C3%A9~x-_.\
                         &Marker=%E2%9C%93%20%2B%2F%3D";
    vec![
        (
            "iam post, form body",
            sign_with_oracle(&Spec::iam_post(IAM_BODY)),
        ),
        (
            "sts post with a session token",
            sign_with_oracle(&Spec {
                headers: vec![("Host", "sts.amazonaws.com"), ("Content-Type", FORM)],
                body: sts_body,
                service: "sts",
                token: Some(TOKEN),
                ..Spec::iam_post(sts_body)
            }),
        ),
        (
            "get with a query that needs encoding",
            sign_with_oracle(&Spec {
                method: "GET",
                query: encoded_query,
                headers: vec![("Host", "iam.amazonaws.com")],
                body: b"",
                ..Spec::iam_post(b"")
            }),
        ),
        (
            "encoded and dotted path",
            sign_with_oracle(&Spec {
                method: "GET",
                path: "/a%20b/./c/../d%2Fe/caf%C3%A9/",
                query: "Action=ListRoles&Version=2010-05-08",
                headers: vec![("Host", "iam.amazonaws.com")],
                body: b"",
                ..Spec::iam_post(b"")
            }),
        ),
        (
            "repeated headers and inner whitespace",
            sign_with_oracle(&Spec {
                headers: vec![
                    ("Host", "iam.amazonaws.com"),
                    ("Content-Type", FORM),
                    ("X-Custom", "first"),
                    ("x-custom", "  second   value "),
                    ("X-Spaced", "  a   b    c  "),
                ],
                ..Spec::iam_post(IAM_BODY)
            }),
        ),
        (
            "x-amz-content-sha256 header",
            sign_with_oracle(&Spec {
                content_sha256_header: true,
                ..Spec::iam_post(IAM_BODY)
            }),
        ),
        (
            "presigned get",
            sign_with_oracle(&Spec {
                method: "GET",
                query: encoded_query,
                headers: vec![("Host", "iam.amazonaws.com")],
                body: b"",
                location: OracleLocation::QueryParams,
                ..Spec::iam_post(b"")
            }),
        ),
        (
            "presigned sts get with a session token",
            sign_with_oracle(&Spec {
                method: "GET",
                query: "Action=GetCallerIdentity&Version=2011-06-15",
                headers: vec![("Host", "sts.amazonaws.com"), ("X-Spaced", " x  y ")],
                body: b"",
                service: "sts",
                token: Some(TOKEN),
                location: OracleLocation::QueryParams,
                ..Spec::iam_post(b"")
            }),
        ),
    ]
}

#[test]
fn accepts_every_request_the_sdk_signs() {
    for (name, received) in oracle_cases() {
        let authenticated = received
            .verify()
            .unwrap_or_else(|error| panic!("{name}: {error:?}"));
        assert_eq!(authenticated.access_key_id, AKID, "{name}");
        assert_eq!(authenticated.region, "us-east-1", "{name}");
        assert_eq!(authenticated.signed_at, signed_at(), "{name}");
    }
}

#[test]
fn reports_the_claims_of_a_signed_request() {
    let cases = oracle_cases();
    let (_, sts) = &cases[1];
    let request = sts.request();
    let signed = sigv4::parse(&request).unwrap().unwrap();
    assert_eq!(signed.access_key_id(), AKID);
    assert_eq!(signed.session_token(), Some(TOKEN));
    assert_eq!(signed.scope().region(), "us-east-1");
    assert_eq!(signed.scope().service(), "sts");
    assert_eq!(signed.scope().date(), signed_at().date());
    assert_eq!(
        signed.scope().to_string(),
        "20260101/us-east-1/sts/aws4_request"
    );
    assert_eq!(signed.location(), SignatureLocation::Header);
    let authenticated = sigv4::verify(&signed, &request, SECRET, signed_at()).unwrap();
    assert_eq!(authenticated.service, "sts");
    assert_eq!(authenticated.session_token.as_deref(), Some(TOKEN));

    let (_, presigned) = &cases[7];
    let signed = sigv4::parse(&presigned.request()).unwrap().unwrap();
    assert_eq!(signed.location(), SignatureLocation::Query);
    assert_eq!(signed.session_token(), Some(TOKEN));
    assert_eq!(signed.expires(), Some(Duration::seconds(900)));
    let authenticated = presigned.verify().unwrap();
    assert_eq!(authenticated.session_token.as_deref(), Some(TOKEN));
}

#[test]
fn query_request_reads_what_the_signature_covers() {
    let cases = oracle_cases();
    let (_, get) = &cases[2];
    let query = QueryRequest::parse(&get.query, None, &get.body).unwrap();
    assert_eq!(query.action(), "ListRoles");
    assert_eq!(query.get("PathPrefix"), Some("/a b+c/é~x-_."));
    assert_eq!(query.get("Marker"), Some("✓ +/="));
}

/// Changes byte `at` of `text` to a neighbouring character, keeping it valid UTF-8 (and a hex
/// digit a hex digit).
fn flip(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = match bytes[at] {
        b'z' => b'y',
        b'Z' => b'Y',
        b'9' => b'8',
        // Hex digits stay hex digits, so a flipped signature is still well-formed.
        b'f' => b'e',
        b'F' => b'E',
        other if other.is_ascii_alphanumeric() => other + 1,
        b'/' => b'_',
        _ => b'x',
    };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn rejects_a_change_to_any_byte_of_a_signed_part() {
    for (name, received) in oracle_cases() {
        let mut mutations: Vec<(String, Received)> = Vec::new();

        for at in 0..received.method.len() {
            let mut m = received.clone();
            m.method = flip(&m.method, at);
            mutations.push((format!("method byte {at}"), m));
        }
        // A segment that `..` removes is not signed: `/./c/../`, `/./d/../` and `/._c/../`
        // normalize to one path.
        let removed_segment = received.path.find("/./c/..").map(|at| at + 2..at + 4);
        for at in 0..received.path.len() {
            if removed_segment
                .as_ref()
                .is_some_and(|range| range.contains(&at))
            {
                continue;
            }
            let mut m = received.clone();
            m.path = flip(&m.path, at);
            mutations.push((format!("path byte {at}"), m));
        }
        // Every byte of every query value and name except the signature itself.
        for at in 0..received.query.len() {
            let signature_param = received
                .query
                .find("X-Amz-Signature=")
                .map(|start| start..start + "X-Amz-Signature=".len() + 64);
            if signature_param.is_some_and(|range| range.contains(&at)) {
                continue;
            }
            if matches!(received.query.as_bytes()[at], b'&' | b'=' | b'%') {
                continue;
            }
            let mut m = received.clone();
            m.query = flip(&m.query, at);
            mutations.push((format!("query byte {at}"), m));
        }
        let signed_headers = sigv4::parse(&received.request())
            .unwrap()
            .unwrap()
            .signed_headers()
            .to_vec();
        for (index, (header, value)) in received.headers.iter().enumerate() {
            if !signed_headers.contains(&header.to_ascii_lowercase()) {
                continue;
            }
            for at in 0..value.len() {
                if value.as_bytes()[at] == b' ' {
                    continue;
                }
                let mut m = received.clone();
                m.headers[index].1 = flip(value, at);
                mutations.push((format!("header {header} byte {at}"), m));
            }
        }
        for at in 0..received.body.len() {
            let mut m = received.clone();
            m.body[at] ^= 1;
            mutations.push((format!("body byte {at}"), m));
        }
        if let Some((index, _)) = received
            .headers
            .iter()
            .enumerate()
            .find(|(_, (n, _))| n == "authorization")
        {
            let value = received.headers[index].1.clone();
            let signature_at = value.find("Signature=").unwrap() + "Signature=".len();
            for at in signature_at..value.len() {
                let mut m = received.clone();
                m.headers[index].1 = flip(&value, at);
                mutations.push((format!("signature byte {at}"), m));
            }
        } else {
            let start = received.query.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
            for at in start..start + 64 {
                let mut m = received.clone();
                m.query = flip(&m.query, at);
                mutations.push((format!("signature byte {at}"), m));
            }
        }

        assert!(mutations.len() > 20, "{name}: {}", mutations.len());
        for (what, mutated) in mutations {
            let result = mutated.verify();
            assert!(
                result.is_err(),
                "{name}: {what} was accepted: {:?}",
                mutated
            );
            // A change must never be mistaken for a valid signature of another request; the
            // precise error depends on the part (a date change can be `Expired`, a scope change
            // `Malformed`), but the signature, body and values must give a mismatch.
            if what.starts_with("signature") || what.starts_with("method") {
                assert_eq!(result, Err(Error::SignatureDoesNotMatch), "{name}: {what}");
            }
        }
    }
}

#[test]
fn rejects_a_wrong_secret() {
    for (name, received) in oracle_cases() {
        for secret in ["", "wrong", &SECRET[1..], &format!("{SECRET}x")] {
            assert_eq!(
                received.verify_at(secret, signed_at()),
                Err(Error::SignatureDoesNotMatch),
                "{name} with secret {secret:?}"
            );
        }
    }
}

#[test]
fn header_form_accepts_fifteen_minutes_of_skew_either_way() {
    let received = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    let at = |minutes: i64, seconds: i64| {
        received.verify_at(
            SECRET,
            signed_at() + Duration::minutes(minutes) + Duration::seconds(seconds),
        )
    };
    assert!(at(15, 0).is_ok());
    assert!(at(-15, 0).is_ok());
    assert_eq!(at(15, 1), Err(Error::Expired));
    assert_eq!(at(-15, -1), Err(Error::Expired));
    assert_eq!(at(60 * 24, 0), Err(Error::Expired));
}

#[test]
fn presigned_form_is_valid_from_fifteen_minutes_early_until_expiry() {
    let (_, received) = oracle_cases().swap_remove(6);
    let at = |seconds: i64| received.verify_at(SECRET, signed_at() + Duration::seconds(seconds));
    assert!(at(0).is_ok());
    assert!(at(900).is_ok());
    assert!(at(-900).is_ok());
    assert_eq!(at(901), Err(Error::Expired));
    assert_eq!(at(-901), Err(Error::Expired));
}

#[test]
fn an_unsigned_request_parses_to_none() {
    let headers = vec![("Host".to_owned(), "sts.amazonaws.com".to_owned())];
    let request = Request {
        method: "POST",
        path: "/",
        query: "Action=AssumeRoleWithSAML",
        headers: &headers,
        body: b"RoleArn=x",
    };
    assert_eq!(sigv4::parse(&request).map(|s| s.is_none()), Ok(true));
    let error = Error::Missing.to_aws_error();
    assert_eq!(
        (error.code.as_str(), error.status),
        ("MissingAuthenticationToken", 403)
    );
}

fn authorization(received: &Received) -> String {
    received
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1
        .clone()
}

fn with_authorization(received: &Received, value: &str) -> Received {
    let mut m = received.clone();
    *m.header_mut("authorization") = value.to_owned();
    m
}

fn parse_error(received: &Received) -> Error {
    sigv4::parse(&received.request()).unwrap_err()
}

#[test]
fn rejects_missing_and_malformed_authorization_components() {
    let received = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    let auth = authorization(&received);
    let (credential, rest) = auth.split_once(", ").unwrap();
    let (signed_headers, signature) = rest.split_once(", ").unwrap();

    let incomplete = [
        (format!("{credential}, {signed_headers}"), "'Signature'"),
        (format!("{credential}, {signature}"), "'SignedHeaders'"),
        (
            format!("AWS4-HMAC-SHA256 {signed_headers}, {signature}"),
            "'Credential'",
        ),
        (
            format!(
                "{credential}, {}, {signature}",
                signed_headers.replace("host;", "")
            ),
            "'Host'",
        ),
    ];
    for (value, mentions) in incomplete {
        match parse_error(&with_authorization(&received, &value)) {
            Error::IncompleteSignature(message) => assert!(message.contains(mentions), "{message}"),
            other => panic!("{value}: {other:?}"),
        }
    }

    let malformed = [
        auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
        auth.replace("AWS4-HMAC-SHA256 ", "AWS "),
        auth.replace("/aws4_request", "/aws5_request"),
        auth.replace("/20260101/", "/20260102/"),
        auth.replace("/20260101/", "/2026011/"),
        auth.replace("/us-east-1/", "/"),
        auth.replace("Credential=AKIAIOSFODNN7EXAMPLE/", "Credential=/"),
        auth.replace("content-type;host", "host;content-type"),
        auth.replace("content-type;host", "Content-Type;host"),
        auth.replace("content-type;host", "content-type;host;host"),
        format!("{auth}, Signature=00"),
        format!("{auth}, Extra=1"),
        format!("{}0", auth),
        format!("{}zz", &auth[..auth.len() - 2]),
    ];
    for value in malformed {
        assert!(
            matches!(
                parse_error(&with_authorization(&received, &value)),
                Error::Malformed(_)
            ),
            "{value}"
        );
    }
}

#[test]
fn rejects_missing_or_malformed_dates() {
    let received = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    let mut no_date = received.clone();
    no_date.headers.retain(|(n, _)| n != "x-amz-date");
    assert!(
        matches!(parse_error(&no_date), Error::IncompleteSignature(message) if message.contains("X-Amz-Date"))
    );

    let mut bad = received.clone();
    *bad.header_mut("x-amz-date") = "2026-01-01T12:00:00Z".to_owned();
    assert!(matches!(parse_error(&bad), Error::Malformed(_)));

    let mut twice = received.clone();
    twice
        .headers
        .push(("X-Amz-Date".to_owned(), "20260101T120000Z".to_owned()));
    assert!(matches!(parse_error(&twice), Error::Malformed(_)));

    // A `Date` header stands in for `X-Amz-Date` (ISO 8601 basic or IMF-fixdate).
    for date in ["20260101T120000Z", "Thu, 01 Jan 2026 12:00:00 GMT"] {
        let mut with_date = no_date.clone();
        with_date.headers.push(("Date".to_owned(), date.to_owned()));
        let signed = sigv4::parse(&with_date.request()).unwrap().unwrap();
        assert_eq!(signed.signed_at(), signed_at(), "{date}");
    }
}

#[test]
fn rejects_incomplete_or_malformed_presigned_queries() {
    let (_, presigned) = oracle_cases().swap_remove(6);
    let without = |param: &str| {
        let mut m = presigned.clone();
        m.query = m
            .query
            .split('&')
            .filter(|pair| !pair.starts_with(&format!("{param}=")))
            .collect::<Vec<_>>()
            .join("&");
        m
    };
    for param in [
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Expires",
        "X-Amz-Algorithm",
    ] {
        assert!(
            matches!(parse_error(&without(param)), Error::IncompleteSignature(_)),
            "{param}"
        );
    }

    let replaced = |from: &str, to: &str| {
        let mut m = presigned.clone();
        assert!(m.query.contains(from), "{from}");
        m.query = m.query.replace(from, to);
        m
    };
    for mutated in [
        replaced("X-Amz-Expires=900", "X-Amz-Expires=604801"),
        replaced("X-Amz-Expires=900", "X-Amz-Expires=0"),
        replaced("X-Amz-Expires=900", "X-Amz-Expires=-1"),
        replaced(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-HMAC-SHA1",
        ),
        replaced("X-Amz-Date=20260101T120000Z", "X-Amz-Date=20260101T1200Z"),
    ] {
        assert!(
            matches!(parse_error(&mutated), Error::Malformed(_)),
            "{}",
            mutated.query
        );
    }

    let mut duplicated = presigned.clone();
    duplicated.query.push_str("&X-Amz-Expires=900");
    assert!(matches!(parse_error(&duplicated), Error::Malformed(_)));

    // Both forms at once.
    let header_signed = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    let mut both = presigned.clone();
    both.headers
        .push(("Authorization".to_owned(), authorization(&header_signed)));
    assert!(matches!(parse_error(&both), Error::Malformed(_)));

    // An unsigned payload must be empty: body parameters would not be covered.
    let mut with_body = presigned.clone();
    with_body.body = b"Action=DeleteRole&RoleName=admin".to_vec();
    assert!(matches!(with_body.verify(), Err(Error::Malformed(_))));
}

#[test]
fn rejects_a_content_sha256_that_is_not_the_body_hash() {
    let (_, received) = oracle_cases().swap_remove(5);
    let mut changed_body = received.clone();
    changed_body.body = b"Action=DeleteRole&Version=2010-05-08&RoleName=admin".to_vec();
    assert!(
        matches!(changed_body.verify(), Err(Error::Malformed(message)) if message.contains("x-amz-content-sha256"))
    );

    let mut unsigned = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    unsigned.headers.push((
        "x-amz-content-sha256".to_owned(),
        "UNSIGNED-PAYLOAD".to_owned(),
    ));
    assert!(matches!(unsigned.verify(), Err(Error::Malformed(_))));

    let mut streaming = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    streaming.headers.push((
        "x-amz-content-sha256".to_owned(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned(),
    ));
    assert!(matches!(streaming.verify(), Err(Error::Malformed(_))));
}

#[test]
fn rejects_a_signed_header_missing_from_the_request() {
    let (_, received) = oracle_cases().swap_remove(4);
    let mut m = received.clone();
    m.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("x-spaced"));
    assert!(matches!(m.verify(), Err(Error::Malformed(message)) if message.contains("x-spaced")));

    // Reordering repeated headers changes the joined value.
    let mut reordered = received.clone();
    let first = reordered
        .headers
        .iter()
        .position(|(n, _)| n == "X-Custom")
        .unwrap();
    let second = reordered
        .headers
        .iter()
        .position(|(n, _)| n == "x-custom")
        .unwrap();
    reordered.headers.swap(first, second);
    assert_eq!(reordered.verify(), Err(Error::SignatureDoesNotMatch));
}

#[test]
fn accepts_header_name_case_and_unsigned_extra_headers() {
    let mut received = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    for (name, _) in &mut received.headers {
        *name = name.to_ascii_uppercase();
    }
    received
        .headers
        .push(("User-Agent".to_owned(), "added-by-a-proxy".to_owned()));
    assert!(received.verify().is_ok());
}

#[test]
fn maps_each_error_to_the_aws_code_and_status_without_the_signature() {
    let received = sign_with_oracle(&Spec::iam_post(IAM_BODY));
    let auth = authorization(&received);
    let true_signature = auth.rsplit("Signature=").next().unwrap().to_owned();
    let tampered = with_authorization(&received, &auth.replace(&true_signature, &"0".repeat(64)));
    let error = tampered.verify().unwrap_err();
    assert_eq!(error, Error::SignatureDoesNotMatch);
    let aws = error.to_aws_error();
    assert!(!aws.message.contains(&true_signature));
    assert!(!format!("{error} {error:?} {aws}").contains(&true_signature));

    let cases = [
        (Error::Missing, "MissingAuthenticationToken", 403),
        (Error::Malformed("m".into()), "IncompleteSignature", 400),
        (
            Error::IncompleteSignature("m".into()),
            "IncompleteSignature",
            400,
        ),
        (Error::Expired, "RequestExpired", 400),
        (Error::SignatureDoesNotMatch, "SignatureDoesNotMatch", 403),
        (Error::UnknownKey, "InvalidClientTokenId", 403),
    ];
    for (error, code, status) in cases {
        let aws: fedgate_aws_wire::AwsError = error.clone().into();
        assert_eq!((aws.code.as_str(), aws.status), (code, status), "{error:?}");
        assert!(!aws.message.is_empty());
    }
}

#[test]
fn debug_output_redacts_secrets() {
    let (_, received) = oracle_cases().swap_remove(1);
    let signed = sigv4::parse(&received.request()).unwrap().unwrap();
    assert!(!format!("{signed:?}").contains(TOKEN));
    let credential = sigv4::Credential {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
    };
    assert!(!format!("{credential:?}").contains(SECRET));
}

/// `sigv4::sign` (fedgate as a client, for `fedgate demo`) produces exactly the headers
/// AWS's signer produces for the same request, with and without a session token.
#[test]
fn own_signer_matches_the_oracle() {
    for token in [None, Some(TOKEN)] {
        let mut spec = Spec::iam_post(IAM_BODY);
        spec.token = token;
        let oracle = sign_with_oracle(&spec);
        let headers: Vec<(String, String)> = spec
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let request = Request {
            method: spec.method,
            path: spec.path,
            query: spec.query,
            headers: &headers,
            body: spec.body,
        };
        let credential = sigv4::Credential {
            access_key_id: AKID.to_owned(),
            secret_access_key: SECRET.to_owned(),
        };
        let added = sigv4::sign(
            &request,
            &credential,
            token,
            "us-east-1",
            "iam",
            signed_at(),
        )
        .unwrap();
        let find = |headers: &[(String, String)], name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
            assert_eq!(find(&added, name), find(&oracle.headers, name), "{name}");
        }
        let mut own = headers.clone();
        own.extend(added);
        let received = Received {
            headers: own,
            ..oracle.clone()
        };
        received.verify().unwrap();
    }
}

/// A request signed for another service is refused with AWS's wording, listing the services.
#[test]
fn check_service_names_the_expected_services() {
    let mut spec = Spec::iam_post(IAM_BODY);
    spec.service = "s3";
    let received = sign_with_oracle(&spec);
    let request = received.request();
    let signed = sigv4::parse(&request).unwrap().unwrap();
    let error = sigv4::check_service(&signed, &["iam", "sts"]).unwrap_err();
    let wire = error.to_aws_error();
    assert_eq!(wire.code, "SignatureDoesNotMatch");
    assert_eq!(wire.status, 403);
    assert_eq!(
        wire.message,
        "Credential should be scoped to correct service: 'iam' or 'sts'."
    );
    assert!(sigv4::check_service(&signed, &["s3"]).is_ok());
}
