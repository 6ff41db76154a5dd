#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step is a failed test"
)]
//! Snapshots of the AWS endpoint's wire output (STYLE.md habit 12): every IAM and STS success
//! shape and every error shape, with the HTTP status, driven in-process through the router
//! (`tower::ServiceExt::oneshot`) against a fresh SQLite data directory per test.
//!
//! IAM calls are signed by the `aws-sigv4` oracle with the administrator key that
//! `fedgate_server::open` writes to `<data-dir>/admin-credentials`; SAML responses are built
//! at test time from the `scripts/fixturelib.py` template and signed with IdP A's committed
//! test key (`tests/keys/idp-a.*`), valid for a few minutes around the wall clock, because the
//! server reads the real clock.
//!
//! Request ids, timestamps, generated ids, secret keys and session tokens are replaced with
//! placeholders by [`redact`]; [`snapshot`] refuses output that still holds a known secret or a
//! timestamp. The bodies are indented for review (the wire has no white space between tags;
//! [`pretty`] checks that, so the indentation adds nothing that could hide a difference).

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine as _;
use fedgate_dsig::{SigningKey, sign_enveloped};
use fedgate_server::config::Config;
use regex::Regex;
use time::{Duration, OffsetDateTime};
use tower::ServiceExt as _;

const ACCOUNT: &str = "123456789012";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const HOST: &str = "localhost";
const IAM_VERSION: &str = "2010-05-08";
const STS_VERSION: &str = "2011-06-15";
const ENTITY_A: &str = "https://idp-a.example.test/saml";
const ACS: &str = "https://signin.aws.amazon.com/saml";
const PROVIDER_A: &str = "arn:aws:iam::123456789012:saml-provider/IdpA";
const ROLE_NAME: &str = "Agent";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Agent";
/// A role whose trust policy names another provider.
const UNTRUSTING_ROLE: &str = "arn:aws:iam::123456789012:role/NotForIdpA";
const POLICY_ARN: &str = "arn:aws:iam::123456789012:policy/fedgate/ReadRoles";

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/IdpA"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#;
const OTHER_TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/IdpB"},"Action":"sts:AssumeRoleWithSAML"}]}"#;
const INLINE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"#;
const MANAGED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}"#;

// ---------------------------------------------------------------------------------------------
// The server under test.

/// A long-term or temporary key to sign with.
#[derive(Clone, Debug)]
struct Key {
    id: String,
    secret: String,
    token: Option<String>,
}

/// One router over a fresh data directory, and the administrator key `open` wrote there.
struct Server {
    router: Router,
    admin: Key,
    _data_dir: tempfile::TempDir,
}

/// What came back.
#[derive(Debug)]
struct Reply {
    status: u16,
    reason: &'static str,
    content_type: String,
    request_id_header: Option<String>,
    body: String,
}

/// A request as sent, kept for the snapshot's first line.
struct Sent {
    description: String,
}

/// The time of one test step: the server reads the wall clock, so SigV4 and SAML must too.
#[expect(
    clippy::disallowed_methods,
    reason = "the server under test reads the wall clock; signatures and assertions must match it"
)]
fn wall_clock() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Server {
    async fn start() -> Self {
        for variable in [
            "FEDGATE_ADMIN_ACCESS_KEY_ID",
            "FEDGATE_ADMIN_SECRET_ACCESS_KEY",
        ] {
            assert!(
                std::env::var_os(variable).is_none(),
                "unset {variable}: these tests read the admin key `open` writes to the data dir"
            );
        }
        let data_dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: data_dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            account_id: ACCOUNT.to_owned(),
            ..Config::default()
        };
        let state = fedgate_server::open(&config).await.unwrap();
        let credentials =
            std::fs::read_to_string(data_dir.path().join(fedgate_server::ADMIN_CREDENTIALS_FILE))
                .unwrap();
        let value = |name: &str| {
            credentials
                .lines()
                .find_map(|line| line.strip_prefix(name)?.trim().strip_prefix('='))
                .map(|value| value.trim().to_owned())
                .unwrap_or_else(|| panic!("{name} not in admin-credentials"))
        };
        let admin = Key {
            id: value("aws_access_key_id"),
            secret: value("aws_secret_access_key"),
            token: None,
        };
        assert!(admin.id.starts_with("AKIA"), "{}", admin.id);
        Self {
            router: fedgate_server::router(Arc::new(state)),
            admin,
            _data_dir: data_dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        let content_type = header(header::CONTENT_TYPE.as_str()).unwrap_or_default();
        let request_id_header = header("x-amzn-requestid");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            content_type,
            request_id_header,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    /// `POST /` with a form body, signed for `service` with `key` (unsigned when `None`).
    async fn post(
        &self,
        service: &str,
        key: Option<&Key>,
        params: &[(&str, &str)],
    ) -> (Sent, Reply) {
        let body = form(params);
        let mut builder = Request::builder()
            .method("POST")
            .uri("/")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, FORM);
        if let Some(key) = key {
            for (name, value) in sigv4_headers(key, service, &body) {
                builder = builder.header(name, value);
            }
        }
        let reply = self.send(builder.body(Body::from(body)).unwrap()).await;
        let signer = match key {
            None => "unsigned".to_owned(),
            Some(key) if key.token.is_some() => format!("signed for {service}, temporary key"),
            Some(key) if key.id == self.admin.id && key.secret == self.admin.secret => {
                format!("signed for {service}, admin key")
            }
            Some(key) if key.id == self.admin.id => {
                format!("signed for {service}, admin key id with a wrong secret")
            }
            Some(_) => format!("signed for {service}, unknown key"),
        };
        let shown: Vec<String> = params
            .iter()
            .map(|(name, value)| match *name {
                "SAMLAssertion" | "SAMLMetadataDocument" => format!("{name}=[…]"),
                _ => format!("{name}={value}"),
            })
            .collect();
        let sent = Sent {
            description: format!("POST / ({signer}): {}", shown.join(" ")),
        };
        (sent, reply)
    }

    /// An IAM call signed with the administrator key.
    async fn iam(&self, action: &str, params: &[(&str, &str)]) -> (Sent, Reply) {
        let mut all = vec![("Action", action), ("Version", IAM_VERSION)];
        all.extend_from_slice(params);
        self.post("iam", Some(&self.admin), &all).await
    }

    /// An IAM call that must succeed (set-up steps).
    async fn iam_ok(&self, action: &str, params: &[(&str, &str)]) -> Reply {
        let (_, reply) = self.iam(action, params).await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        reply
    }

    /// An unsigned `AssumeRoleWithSAML` carrying `response` (base64-encoded here).
    async fn assume(&self, role_arn: &str, response: &str) -> (Sent, Reply) {
        let assertion = base64::engine::general_purpose::STANDARD.encode(response);
        self.post(
            "sts",
            None,
            &[
                ("Action", "AssumeRoleWithSAML"),
                ("Version", STS_VERSION),
                ("RoleArn", role_arn),
                ("PrincipalArn", PROVIDER_A),
                ("SAMLAssertion", &assertion),
            ],
        )
        .await
    }

    /// Provider IdpA (IdP A's committed metadata) and role Agent trusting it.
    async fn with_provider_and_role(&self) {
        self.iam_ok(
            "CreateSAMLProvider",
            &[("Name", "IdpA"), ("SAMLMetadataDocument", &metadata_a())],
        )
        .await;
        self.iam_ok(
            "CreateRole",
            &[
                ("RoleName", ROLE_NAME),
                ("AssumeRolePolicyDocument", TRUST_POLICY),
                ("MaxSessionDuration", "7200"),
            ],
        )
        .await;
    }
}

/// Percent-encodes like an SDK's form encoder (RFC 3986 unreserved kept).
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

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", url_encode(name), url_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The headers `aws-sigv4` adds to sign `POST /` with `body` (region us-east-1).
fn sigv4_headers(key: &Key, service: &str, body: &str) -> Vec<(String, String)> {
    let credentials = Credentials::new(
        key.id.clone(),
        key.secret.clone(),
        key.token.clone(),
        None,
        "snapshots",
    );
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::from(wall_clock()))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [("host", HOST), ("content-type", FORM)];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{HOST}/"),
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (added, _query) = instructions.into_parts();
    added
        .iter()
        .map(|header| (header.name().to_owned(), header.value().to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// IdP A: committed key, metadata and the fixturelib.py response template.

fn pem_to_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let b64: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap()
}

fn idp_a_key() -> &'static SigningKey {
    static KEY: LazyLock<SigningKey> = LazyLock::new(|| {
        let keys = repo_root().join("tests/keys");
        SigningKey::from_pkcs8_der(
            &pem_to_der(&keys.join("idp-a.key.pem")),
            &pem_to_der(&keys.join("idp-a.cert.pem")),
        )
        .unwrap()
    });
    &KEY
}

fn metadata_a() -> String {
    std::fs::read_to_string(repo_root().join("tests/keys/idp-a-metadata.xml")).unwrap()
}

fn stamp(t: OffsetDateTime) -> String {
    fedgate_aws_wire::iso8601(t)
}

/// `scripts/fixturelib.py`'s `Doc.build()` with IdP A as issuer: the Assertion valid from
/// `issued` for `valid_for`, the session until `issued` + 1 hour; Role pairs for `roles` (each
/// with provider IdpA), RoleSessionName `alice`. Signed (Assertion, enveloped) with IdP A's
/// committed RSA key.
fn signed_response(issued: OffsetDateTime, valid_for: Duration, roles: &[&str]) -> String {
    const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    const URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
    let t0 = stamp(issued);
    let t1 = stamp(issued + valid_for);
    let session_end = stamp(issued + Duration::hours(1));
    let role_values: String = roles
        .iter()
        .map(|role| format!("<saml:AttributeValue>{role},{PROVIDER_A}</saml:AttributeValue>"))
        .collect();
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_resp-7c3b1f0e2a4d" Version="2.0" IssueInstant="{t0}" Destination="{ACS}"><saml:Issuer>{ENTITY_A}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_assert-9e1d4c2b8f60" Version="2.0" IssueInstant="{t0}"><saml:Issuer>{ENTITY_A}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{t1}" Recipient="{ACS}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{t0}" NotOnOrAfter="{t1}"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{t0}" SessionNotOnOrAfter="{session_end}" SessionIndex="_assert-9e1d4c2b8f60"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role" NameFormat="{URI}">{role_values}</saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName" NameFormat="{URI}"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#
    );
    sign_enveloped(&xml, "_assert-9e1d4c2b8f60", idp_a_key()).unwrap()
}

/// A response valid for 5 minutes around now: issued a minute ago, good for four more.
fn fresh_response(roles: &[&str]) -> String {
    signed_response(
        wall_clock() - Duration::minutes(1),
        Duration::minutes(5),
        roles,
    )
}

// ---------------------------------------------------------------------------------------------
// Redaction and the snapshot text.

struct Redaction {
    pattern: Regex,
    replacement: &'static str,
}

/// Placeholders for everything that differs between runs or must not be committed.
fn redactions() -> &'static [Redaction] {
    static LIST: LazyLock<Vec<Redaction>> = LazyLock::new(|| {
        [
            // Whole elements first: their content is secret or generated whatever it looks like.
            (
                r"<SecretAccessKey>[^<]*</SecretAccessKey>",
                "<SecretAccessKey>[SECRET_ACCESS_KEY]</SecretAccessKey>",
            ),
            (
                r"<SessionToken>[^<]*</SessionToken>",
                "<SessionToken>[SESSION_TOKEN]</SessionToken>",
            ),
            (
                r"<SAMLProviderUUID>[^<]*</SAMLProviderUUID>",
                "<SAMLProviderUUID>[PROVIDER_UUID]</SAMLProviderUUID>",
            ),
            (r"fgst1_[A-Za-z0-9_-]+", "[SESSION_TOKEN]"),
            (
                r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
                "[REQUEST_ID]",
            ),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
            (r"\bAKIA[A-Z2-7]{16}\b", "[ACCESS_KEY_ID]"),
            (r"\bASIA[A-Z2-7]{16}\b", "[TEMPORARY_ACCESS_KEY_ID]"),
            (r"\bAROA[A-Z2-7]{17}\b", "[ROLE_ID]"),
            (r"\bANPA[A-Z2-7]{17}\b", "[POLICY_ID]"),
        ]
        .into_iter()
        .map(|(pattern, replacement)| Redaction {
            pattern: Regex::new(pattern).unwrap(),
            replacement,
        })
        .collect()
    });
    &LIST
}

/// Replaces each `secrets` value (exact text) and then each [`redactions`] pattern.
fn redact(text: &str, secrets: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (secret, placeholder) in secrets {
        assert!(!secret.is_empty());
        out = out.replace(secret, placeholder);
    }
    for redaction in redactions() {
        out = redaction
            .pattern
            .replace_all(&out, redaction.replacement)
            .into_owned();
    }
    out
}

/// The XML with one element per line, indented; text-only elements stay on one line. Refuses
/// white space between tags (then the indentation would not be the only white space added)
/// and mixed content.
fn pretty(xml: &str) -> String {
    assert!(
        !Regex::new(r">\s+<").unwrap().is_match(xml),
        "white space between tags on the wire: {xml}"
    );
    let mut out = String::new();
    let mut depth = 0_usize;
    let mut rest = xml;
    let indent = |depth: usize| "  ".repeat(depth);
    while !rest.is_empty() {
        assert!(rest.starts_with('<'), "text outside an element: {rest}");
        let end = rest.find('>').unwrap() + 1;
        let (tag, after) = rest.split_at(end);
        rest = after;
        if tag.starts_with("</") {
            depth = depth.checked_sub(1).unwrap();
            out.push_str(&format!("{}{tag}\n", indent(depth)));
        } else if tag.ends_with("/>") || tag.starts_with("<?") {
            out.push_str(&format!("{}{tag}\n", indent(depth)));
        } else {
            let name = tag[1..tag.len() - 1]
                .split(char::is_whitespace)
                .next()
                .unwrap();
            let close = format!("</{name}>");
            let text_end = rest.find('<').unwrap_or(rest.len());
            let (text, after_text) = rest.split_at(text_end);
            if let Some(after_close) = after_text.strip_prefix(close.as_str()) {
                out.push_str(&format!("{}{tag}{text}{close}\n", indent(depth)));
                rest = after_close;
            } else {
                assert!(text.is_empty(), "mixed content in <{name}>: {text}");
                out.push_str(&format!("{}{tag}\n", indent(depth)));
                depth += 1;
            }
        }
    }
    assert_eq!(depth, 0, "unbalanced: {xml}");
    out
}

/// The text of the first `<name>` element (for values later steps need).
fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find('<').unwrap();
    &xml[start..end]
}

/// The snapshot text of one exchange: the request line, status, headers and indented body,
/// all redacted; refuses text that still holds a secret or a timestamp.
fn render(sent: &Sent, reply: &Reply, secrets: &[(&str, &str)]) -> String {
    let body_request_id = element(&reply.body, "RequestId");
    assert_eq!(
        reply.request_id_header.as_deref(),
        Some(body_request_id),
        "x-amzn-requestid header and body RequestId differ"
    );
    assert!(
        uuid::Uuid::parse_str(body_request_id).is_ok(),
        "{body_request_id}"
    );
    let text = format!(
        "{}\n\nHTTP {} {}\ncontent-type: {}\nx-amzn-requestid: {}\n\n{}",
        sent.description,
        reply.status,
        reply.reason,
        reply.content_type,
        body_request_id,
        pretty(&reply.body),
    );
    let redacted = redact(&text, secrets);
    for (secret, _) in secrets {
        assert!(!redacted.contains(secret), "secret left in:\n{redacted}");
    }
    for leftover in [
        r"\d{4}-\d\d-\d\dT\d\d:\d\d",
        r"fgst1_",
        r"\b(AKIA|ASIA|AROA|ANPA)[A-Z2-7]{16}",
    ] {
        assert!(
            !Regex::new(leftover).unwrap().is_match(&redacted),
            "{leftover} left in:\n{redacted}"
        );
    }
    redacted
}

/// Snapshots one exchange under `name`, with the admin key among the secrets.
macro_rules! snapshot {
    ($server:expr, $name:expr, $exchange:expr) => {
        snapshot!($server, $name, $exchange, &[])
    };
    ($server:expr, $name:expr, $exchange:expr, $extra:expr) => {{
        let (sent, reply) = $exchange;
        let server: &Server = &$server;
        let mut secrets: Vec<(&str, &str)> = vec![
            (server.admin.secret.as_str(), "[ADMIN_SECRET_ACCESS_KEY]"),
            (server.admin.id.as_str(), "[ADMIN_ACCESS_KEY_ID]"),
        ];
        let extra: &[(&str, &str)] = $extra;
        secrets.extend_from_slice(extra);
        insta::assert_snapshot!($name, render(&sent, &reply, &secrets));
        reply
    }};
}

// ---------------------------------------------------------------------------------------------
// IAM success shapes.

#[tokio::test]
async fn iam_saml_provider_operations() {
    let server = Server::start().await;
    let metadata = metadata_a();
    snapshot!(
        server,
        "iam_create_saml_provider",
        server
            .iam(
                "CreateSAMLProvider",
                &[
                    ("Name", "IdpA"),
                    ("SAMLMetadataDocument", &metadata),
                    ("Tags.member.1.Key", "team"),
                    ("Tags.member.1.Value", "identity"),
                    ("Tags.member.2.Key", "env"),
                    ("Tags.member.2.Value", "test"),
                ],
            )
            .await
    );
    let reply = snapshot!(
        server,
        "iam_get_saml_provider",
        server
            .iam("GetSAMLProvider", &[("SAMLProviderArn", PROVIDER_A)])
            .await
    );
    // The metadata comes back as escaped text, byte for byte.
    let escaped = element(&reply.body, "SAMLMetadataDocument");
    let unescaped = escaped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    assert_eq!(unescaped, metadata);
    snapshot!(
        server,
        "iam_list_saml_providers",
        server.iam("ListSAMLProviders", &[]).await
    );
    snapshot!(
        server,
        "iam_list_saml_provider_tags",
        server
            .iam("ListSAMLProviderTags", &[("SAMLProviderArn", PROVIDER_A)])
            .await
    );
    snapshot!(
        server,
        "iam_update_saml_provider",
        server
            .iam(
                "UpdateSAMLProvider",
                &[
                    ("SAMLProviderArn", PROVIDER_A),
                    ("SAMLMetadataDocument", &metadata),
                    ("AssertionEncryptionMode", "Allowed"),
                ],
            )
            .await
    );
    let reply = snapshot!(
        server,
        "iam_delete_saml_provider",
        server
            .iam("DeleteSAMLProvider", &[("SAMLProviderArn", PROVIDER_A)])
            .await
    );
    assert!(!reply.body.contains("DeleteSAMLProviderResult"));
}

#[tokio::test]
async fn iam_role_and_policy_operations() {
    let server = Server::start().await;
    snapshot!(
        server,
        "iam_create_role",
        server
            .iam(
                "CreateRole",
                &[
                    ("RoleName", ROLE_NAME),
                    ("AssumeRolePolicyDocument", TRUST_POLICY),
                    ("Description", "Agents signing in through IdP A"),
                    ("MaxSessionDuration", "7200"),
                    ("Tags.member.1.Key", "team"),
                    ("Tags.member.1.Value", "identity"),
                ],
            )
            .await
    );
    snapshot!(
        server,
        "iam_get_role",
        server.iam("GetRole", &[("RoleName", ROLE_NAME)]).await
    );
    snapshot!(server, "iam_list_roles", server.iam("ListRoles", &[]).await);
    snapshot!(
        server,
        "iam_put_role_policy",
        server
            .iam(
                "PutRolePolicy",
                &[
                    ("RoleName", ROLE_NAME),
                    ("PolicyName", "ReadOwnRole"),
                    ("PolicyDocument", INLINE_POLICY),
                ],
            )
            .await
    );
    snapshot!(
        server,
        "iam_get_role_policy",
        server
            .iam(
                "GetRolePolicy",
                &[("RoleName", ROLE_NAME), ("PolicyName", "ReadOwnRole")],
            )
            .await
    );
    snapshot!(
        server,
        "iam_list_role_policies",
        server
            .iam("ListRolePolicies", &[("RoleName", ROLE_NAME)])
            .await
    );
    snapshot!(
        server,
        "iam_create_policy",
        server
            .iam(
                "CreatePolicy",
                &[
                    ("PolicyName", "ReadRoles"),
                    ("Path", "/fedgate/"),
                    ("Description", "Read roles"),
                    ("PolicyDocument", MANAGED_POLICY),
                ],
            )
            .await
    );
    snapshot!(
        server,
        "iam_attach_role_policy",
        server
            .iam(
                "AttachRolePolicy",
                &[("RoleName", ROLE_NAME), ("PolicyArn", POLICY_ARN)],
            )
            .await
    );
    // After the attachment: AttachmentCount 1.
    snapshot!(
        server,
        "iam_get_policy",
        server.iam("GetPolicy", &[("PolicyArn", POLICY_ARN)]).await
    );
    snapshot!(
        server,
        "iam_list_attached_role_policies",
        server
            .iam("ListAttachedRolePolicies", &[("RoleName", ROLE_NAME)])
            .await
    );
}

// ---------------------------------------------------------------------------------------------
// STS success shapes.

#[tokio::test]
async fn sts_assume_role_with_saml_and_get_caller_identity() {
    let server = Server::start().await;
    server.with_provider_and_role().await;
    let (sent, reply) = server.assume(ROLE_ARN, &fresh_response(&[ROLE_ARN])).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let temporary = Key {
        id: element(&reply.body, "AccessKeyId").to_owned(),
        secret: element(&reply.body, "SecretAccessKey").to_owned(),
        token: Some(element(&reply.body, "SessionToken").to_owned()),
    };
    assert!(temporary.id.starts_with("ASIA"));
    assert!(temporary.token.as_deref().unwrap().starts_with("fgst1_"));
    let token = temporary.token.clone().unwrap();
    let secrets = [
        (temporary.secret.as_str(), "[SECRET_ACCESS_KEY]"),
        (token.as_str(), "[SESSION_TOKEN]"),
    ];
    snapshot!(server, "sts_assume_role_with_saml", (sent, reply), &secrets);

    let caller_identity = [("Action", "GetCallerIdentity"), ("Version", STS_VERSION)];
    snapshot!(
        server,
        "sts_get_caller_identity_admin",
        server
            .post("sts", Some(&server.admin), &caller_identity)
            .await
    );
    snapshot!(
        server,
        "sts_get_caller_identity_temporary_credentials",
        server.post("sts", Some(&temporary), &caller_identity).await,
        &secrets
    );

    // The role has no identity policy: its sessions may call no IAM action.
    snapshot!(
        server,
        "error_access_denied_iam_role_session",
        server
            .post(
                "iam",
                Some(&temporary),
                &[("Action", "ListRoles"), ("Version", IAM_VERSION)],
            )
            .await,
        &secrets
    );

    // A session token altered in one character no longer opens.
    let mut altered = token.clone().into_bytes();
    altered[20] = if altered[20] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let forged = Key {
        token: Some(altered.clone()),
        ..temporary.clone()
    };
    snapshot!(
        server,
        "error_invalid_client_token_id_session_token",
        server.post("sts", Some(&forged), &caller_identity).await,
        &[
            (temporary.secret.as_str(), "[SECRET_ACCESS_KEY]"),
            (altered.as_str(), "[ALTERED_SESSION_TOKEN]"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// IAM errors.

#[tokio::test]
async fn iam_error_shapes() {
    let server = Server::start().await;
    server.with_provider_and_role().await;
    snapshot!(
        server,
        "error_no_such_entity_saml_provider",
        server
            .iam(
                "GetSAMLProvider",
                &[(
                    "SAMLProviderArn",
                    "arn:aws:iam::123456789012:saml-provider/Unknown"
                )],
            )
            .await
    );
    snapshot!(
        server,
        "error_no_such_entity_role",
        server.iam("GetRole", &[("RoleName", "Unknown")]).await
    );
    snapshot!(
        server,
        "error_entity_already_exists",
        server
            .iam(
                "CreateRole",
                &[
                    ("RoleName", ROLE_NAME),
                    ("AssumeRolePolicyDocument", TRUST_POLICY)
                ],
            )
            .await
    );
    snapshot!(
        server,
        "error_malformed_policy_document",
        server
            .iam(
                "CreateRole",
                &[
                    ("RoleName", "Broken"),
                    (
                        "AssumeRolePolicyDocument",
                        r#"{"Version":"2012-10-17","Statement":"#
                    ),
                ],
            )
            .await
    );
    // Long enough (≥ 1000 characters) to pass the length check, but not SAML metadata.
    let not_metadata = format!(
        "<?xml version=\"1.0\"?><html><body>{}</body></html>",
        "not metadata ".repeat(80)
    );
    snapshot!(
        server,
        "error_invalid_input_metadata",
        server
            .iam(
                "CreateSAMLProvider",
                &[("Name", "Bad"), ("SAMLMetadataDocument", &not_metadata)],
            )
            .await
    );
    snapshot!(
        server,
        "error_validation_error",
        server
            .iam(
                "CreateRole",
                &[
                    ("RoleName", "has space"),
                    ("AssumeRolePolicyDocument", TRUST_POLICY)
                ],
            )
            .await
    );
}

// ---------------------------------------------------------------------------------------------
// STS errors.

#[tokio::test]
async fn sts_error_shapes() {
    let server = Server::start().await;
    server.with_provider_and_role().await;
    server
        .iam_ok(
            "CreateRole",
            &[
                ("RoleName", "NotForIdpA"),
                ("AssumeRolePolicyDocument", OTHER_TRUST_POLICY),
            ],
        )
        .await;

    let tampered =
        fresh_response(&[ROLE_ARN]).replace(">alice</saml:NameID>", ">mallory</saml:NameID>");
    assert!(tampered.contains(">mallory<"));
    snapshot!(
        server,
        "error_invalid_identity_token_tampered_response",
        server.assume(ROLE_ARN, &tampered).await
    );

    let expired = signed_response(
        wall_clock() - Duration::hours(2),
        Duration::minutes(5),
        &[ROLE_ARN],
    );
    snapshot!(
        server,
        "error_expired_token_exception",
        server.assume(ROLE_ARN, &expired).await
    );

    // The assertion names the role, but the role's trust policy names another provider.
    snapshot!(
        server,
        "error_access_denied_trust_policy",
        server
            .assume(
                UNTRUSTING_ROLE,
                &fresh_response(&[ROLE_ARN, UNTRUSTING_ROLE])
            )
            .await
    );

    let fresh = base64::engine::general_purpose::STANDARD.encode(fresh_response(&[ROLE_ARN]));
    snapshot!(
        server,
        "error_invalid_identity_token_unknown_provider",
        server
            .post(
                "sts",
                None,
                &[
                    ("Action", "AssumeRoleWithSAML"),
                    ("Version", STS_VERSION),
                    ("RoleArn", ROLE_ARN),
                    (
                        "PrincipalArn",
                        "arn:aws:iam::123456789012:saml-provider/Unknown"
                    ),
                    ("SAMLAssertion", &fresh),
                ],
            )
            .await
    );

    snapshot!(
        server,
        "error_validation_error_sts_duration",
        server
            .post(
                "sts",
                None,
                &[
                    ("Action", "AssumeRoleWithSAML"),
                    ("Version", STS_VERSION),
                    ("RoleArn", ROLE_ARN),
                    ("PrincipalArn", PROVIDER_A),
                    (
                        "SAMLAssertion",
                        &base64::engine::general_purpose::STANDARD
                            .encode(fresh_response(&[ROLE_ARN]))
                    ),
                    ("DurationSeconds", "86400"),
                ],
            )
            .await
    );
}

// ---------------------------------------------------------------------------------------------
// Authentication and protocol errors.

#[tokio::test]
async fn authentication_and_protocol_error_shapes() {
    let server = Server::start().await;
    let list_roles = [("Action", "ListRoles"), ("Version", IAM_VERSION)];

    let wrong_secret = Key {
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        ..server.admin.clone()
    };
    snapshot!(
        server,
        "error_signature_does_not_match",
        server.post("iam", Some(&wrong_secret), &list_roles).await
    );

    let unknown = Key {
        id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        token: None,
    };
    snapshot!(
        server,
        "error_invalid_client_token_id",
        server.post("iam", Some(&unknown), &list_roles).await
    );

    snapshot!(
        server,
        "error_missing_authentication_token",
        server.post("iam", None, &list_roles).await
    );

    let incomplete = Request::builder()
        .method("POST")
        .uri("/")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, FORM)
        .header(
            header::AUTHORIZATION,
            format!(
                "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/iam/aws4_request, \
                 Signature=0000",
                server.admin.id
            ),
        )
        .body(Body::from(form(&list_roles)))
        .unwrap();
    snapshot!(
        server,
        "error_incomplete_signature",
        (
            Sent {
                description: "POST / (Authorization header without SignedHeaders): \
                              Action=ListRoles Version=2010-05-08"
                    .to_owned(),
            },
            server.send(incomplete).await,
        )
    );

    snapshot!(
        server,
        "error_missing_action",
        server.post("iam", None, &[("Version", IAM_VERSION)]).await
    );

    snapshot!(
        server,
        "error_invalid_action_iam",
        server.iam("ListUsersEverywhere", &[]).await
    );

    snapshot!(
        server,
        "error_invalid_action_sts",
        server
            .post(
                "sts",
                Some(&server.admin),
                &[("Action", "GetSessionToken"), ("Version", STS_VERSION)],
            )
            .await
    );
}

// ---------------------------------------------------------------------------------------------
// The redaction itself.

#[test]
fn redaction_replaces_every_generated_value() {
    let text = "<RequestId>0f8fad5b-d9cb-469f-a165-70867728950e</RequestId>\
                <CreateDate>2026-03-01T10:00:00Z</CreateDate>\
                <AccessKeyId>ASIAABCDEFGHIJKLMNOP</AccessKeyId>\
                <SecretAccessKey>abc/def+ghi=</SecretAccessKey>\
                <SessionToken>fgst1_abc-_def</SessionToken>\
                <RoleId>AROAABCDEFGHIJKLMNOPQ</RoleId><PolicyId>ANPAABCDEFGHIJKLMNOPQ</PolicyId>\
                <UserId>AKIAABCDEFGHIJKLMNOP</UserId>\
                <SAMLProviderUUID>ABCDEFGHIJKLMNOPQRSTUVWXYZ</SAMLProviderUUID>\
                <Message>token fgst1_xyz and secret s3cr3t</Message>";
    assert_eq!(
        redact(text, &[("s3cr3t", "[SECRET]")]),
        "<RequestId>[REQUEST_ID]</RequestId>\
         <CreateDate>[TIME]</CreateDate>\
         <AccessKeyId>[TEMPORARY_ACCESS_KEY_ID]</AccessKeyId>\
         <SecretAccessKey>[SECRET_ACCESS_KEY]</SecretAccessKey>\
         <SessionToken>[SESSION_TOKEN]</SessionToken>\
         <RoleId>[ROLE_ID]</RoleId><PolicyId>[POLICY_ID]</PolicyId>\
         <UserId>[ACCESS_KEY_ID]</UserId>\
         <SAMLProviderUUID>[PROVIDER_UUID]</SAMLProviderUUID>\
         <Message>token [SESSION_TOKEN] and secret [SECRET]</Message>"
    );
}
