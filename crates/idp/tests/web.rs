//! The IdP driven in-process through its router: login, rate limiting, portal, IdP-initiated
//! sign-in whose response fedgate's own SP validation accepts, SP-initiated sign-in over both
//! bindings, form tokens, logout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use fedgate_idp::{
    ApplicationConfig, AttributeConfig, Clock, Config, Idp, KeyType, RoleConfig, UserConfig,
};
use fedgate_saml::{ServiceProvider, validate_response};
use tower::ServiceExt as _;

const ACS: &str = "http://sp.test/acs";
const OTHER_ACS: &str = "http://sp.test/other-acs";
const AUDIENCE: &str = "https://sp.test/metadata";
const ROLE: &str = "arn:aws:iam::000000000000:role/Agent";
const PROVIDER: &str = "arn:aws:iam::000000000000:saml-provider/primary";
const PASSWORD: &str = "correct horse battery";

struct Harness {
    idp: Arc<Idp>,
    _dir: tempfile::TempDir,
    cookies: Vec<(String, String)>,
}

fn user(name: &str, groups: &[&str]) -> UserConfig {
    UserConfig {
        username: name.to_owned(),
        password_hash: fedgate_idp::hash_password(PASSWORD).unwrap(),
        email: Some(format!("{name}@example.test")),
        display_name: None,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        attributes: [("department".to_owned(), "support & <sales>".to_owned())].into(),
    }
}

fn application(id: &str, audience: &str, groups: &[&str]) -> ApplicationConfig {
    ApplicationConfig {
        id: id.to_owned(),
        name: Some(format!("App {id}")),
        acs_url: ACS.to_owned(),
        acs_urls: vec![OTHER_ACS.to_owned()],
        audience: audience.to_owned(),
        relay_state: Some("/after?x=1&y=2".to_owned()),
        name_id_format: None,
        name_id: None,
        sp_metadata: None,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        users: Vec::new(),
        role_session_name: Some("${user.username}".to_owned()),
        session_duration: Some(3600),
        roles: vec![RoleConfig {
            role: ROLE.to_owned(),
            provider: PROVIDER.to_owned(),
            groups: Vec::new(),
            users: Vec::new(),
        }],
        attributes: vec![AttributeConfig {
            name: "department".to_owned(),
            name_format: None,
            values: vec!["${user.department}".to_owned(), "${user.groups}".to_owned()],
        }],
    }
}

impl Harness {
    fn new(key_type: KeyType) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            listen: "127.0.0.1:9001".parse().unwrap(),
            base_url: Some("http://idp.test".to_owned()),
            entity_id: None,
            data_dir: Some(dir.path().join("idp")),
            key_type,
            display_name: Some("Test IdP".to_owned()),
            sign_response: true,
            session_hours: 8,
            users: vec![user("alice", &["agents"]), user("dave", &["sales"])],
            applications: vec![
                application("cc", AUDIENCE, &["agents"]),
                application("crm", "https://crm.test", &["agents", "sales"]),
            ],
        };
        let idp = Arc::new(Idp::open(config, Clock::default()).unwrap());
        Self {
            idp,
            _dir: dir,
            cookies: Vec::new(),
        }
    }

    async fn send(
        &mut self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = fedgate_idp::router(Arc::clone(&self.idp))
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(
        &mut self,
        uri: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let body = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    fedgate_aws_wire::percent_encode(k),
                    fedgate_aws_wire::percent_encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    fn csrf(&self) -> String {
        self.cookies
            .iter()
            .find(|(n, _)| n.starts_with("fedgate_idp_csrf_"))
            .map(|(_, v)| v.clone())
            .expect("a form token cookie")
    }

    async fn login(
        &mut self,
        username: &str,
        password: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let (status, _, page) = self.get("/login").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(r#"data-page="idp-login""#));
        let csrf = self.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}

/// The value of hidden input `name` in `page`.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker)? + marker.len();
    let end = page.get(start..)?.find('"')?;
    Some(html_unescape(page.get(start..start + end)?))
}

fn html_unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(';').map(|e| start + e).unwrap();
        let entity = &rest[start + 1..end];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = entity
                    .strip_prefix("#x")
                    .map(|hex| u32::from_str_radix(hex, 16).unwrap())
                    .unwrap_or_else(|| entity.strip_prefix('#').unwrap().parse().unwrap());
                char::from_u32(code).unwrap()
            }
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn validate(
    idp: &Idp,
    saml_response: &str,
    acs: &str,
    outstanding: &[String],
) -> fedgate_saml::ValidatedAssertion {
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(saml_response)
            .unwrap(),
    )
    .unwrap();
    let providers =
        fedgate_saml::metadata::parse_metadata(idp.metadata(), &fedgate_xml::Limits::default())
            .unwrap();
    let sp = ServiceProvider {
        audiences: vec![AUDIENCE.to_owned()],
        acs_urls: vec![acs.to_owned()],
        ..ServiceProvider::default()
    };
    validate_response(&xml, &providers, &sp, Clock::default().now(), outstanding).unwrap()
}

#[tokio::test]
async fn idp_initiated_sign_in_yields_a_response_fedgate_accepts() {
    for key_type in [KeyType::Rsa2048, KeyType::P256] {
        let mut h = Harness::new(key_type);
        let (status, headers, _) = h.get("/").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/login");

        let (status, headers, _) = h.login("alice", PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{key_type:?}");
        assert_eq!(headers[header::LOCATION], "/");
        let (status, _, portal) = h.get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(portal.contains(r#"data-page="idp-portal""#));
        assert!(portal.contains(r#"data-app="cc""#) && portal.contains(r#"data-app="crm""#));
        assert!(portal.contains(r#"data-field="username">alice<"#));

        let csrf = h.csrf();
        let (status, headers, page) = h.post("/apps/cc/launch", &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(r#"data-page="idp-post""#));
        assert!(
            page.contains(&format!(r#"action="{ACS}""#))
                || page.contains("action=\"http://sp.test/acs\"")
        );
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'nonce-"), "{policy}");
        assert_eq!(
            hidden(&page, "RelayState").as_deref(),
            Some("/after?x=1&y=2")
        );
        let assertion = validate(&h.idp, &hidden(&page, "SAMLResponse").unwrap(), ACS, &[]);
        assert_eq!(assertion.subject().value, "alice");
        let aws = assertion.aws();
        assert_eq!(aws.role_session_name.as_deref(), Some("alice"));
        assert_eq!(aws.session_duration, Some(3600));
        assert_eq!(aws.roles.len(), 1);
        let department: Vec<&str> = assertion
            .attributes()
            .iter()
            .filter(|a| a.name == "department")
            .flat_map(|a| a.values.iter().map(String::as_str))
            .collect();
        assert_eq!(department, ["support & <sales>", "agents"]);
        assert!(assertion.signed().assertion && assertion.signed().response);
    }
}

#[tokio::test]
async fn wrong_credentials_say_the_same_and_are_rate_limited() {
    let mut h = Harness::new(KeyType::P256);
    let (status, _, unknown) = h.login("nobody", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, wrong) = h.login("alice", "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for page in [&unknown, &wrong] {
        assert!(page.contains(r#"data-error-code="wrong_credentials""#));
        assert!(page.contains("wrong username or password"));
        assert!(page.contains("data-reference=\""));
    }
    for _ in 1..5 {
        h.login("alice", "wrong").await;
    }
    let (status, headers, page) = h.login("alice", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(page.contains(r#"data-error-code="rate_limited""#));
    assert!(headers.contains_key(header::RETRY_AFTER));
    let (status, _, _) = h.login("dave", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "another user is not locked out"
    );
}

#[tokio::test]
async fn forms_without_their_token_and_apps_not_granted_are_refused() {
    let mut h = Harness::new(KeyType::P256);
    h.login("dave", PASSWORD).await;
    let (_, _, portal) = h.get("/").await;
    assert!(!portal.contains(r#"data-app="cc""#), "dave is not an agent");
    assert!(portal.contains(r#"data-app="crm""#));
    let (status, _, page) = h.post("/apps/crm/launch", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains(r#"data-error-code="form_expired""#));
    let csrf = h.csrf();
    let (status, _, page) = h.post("/apps/cc/launch", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains(r#"data-error-code="not_permitted""#));
    let (status, _, page) = h.post("/apps/nope/launch", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains(r#"data-error-code="unknown_application""#));

    let (status, headers, _) = h.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?signed_out=1");
    let (status, _, _) = h.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session ended");
}

fn authn_request(id: &str, issuer: &str, acs: Option<&str>) -> String {
    let now = Clock::default()
        .now()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let acs = acs.map_or(String::new(), |url| {
        format!(r#" AssertionConsumerServiceURL="{url}""#)
    });
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="http://idp.test/sso"{acs}><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"#
    )
}

fn redirect_query(xml: &str, relay_state: &str) -> String {
    use std::io::Write as _;
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(xml.as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflater.finish().unwrap());
    format!(
        "SAMLRequest={}&RelayState={}",
        fedgate_aws_wire::percent_encode(&encoded),
        fedgate_aws_wire::percent_encode(relay_state)
    )
}

#[tokio::test]
async fn sp_initiated_sign_in_answers_at_a_registered_acs_with_in_response_to() {
    let mut h = Harness::new(KeyType::P256);
    // Not logged in: the login page carries the request; the login answers it.
    let query = redirect_query(
        &authn_request("_req1", AUDIENCE, Some(OTHER_ACS)),
        "sp-state",
    );
    let (status, _, page) = h.get(&format!("/sso?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-page="idp-login""#));
    let continuation = hidden(&page, "continue").expect("the parked request");
    let csrf = h.csrf();
    let (status, _, page) = h
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", PASSWORD),
                ("continue", &continuation),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-page="idp-post""#));
    assert!(page.contains("http://sp.test/other-acs"));
    assert_eq!(hidden(&page, "RelayState").as_deref(), Some("sp-state"));
    let assertion = validate(
        &h.idp,
        &hidden(&page, "SAMLResponse").unwrap(),
        OTHER_ACS,
        &["_req1".to_owned()],
    );
    assert_eq!(assertion.subject().value, "alice");

    // Logged in: HTTP-POST binding answers at once.
    let request =
        base64::engine::general_purpose::STANDARD.encode(authn_request("_req2", AUDIENCE, None));
    let (status, _, page) = h.post("/sso", &[("SAMLRequest", &request)]).await;
    assert_eq!(status, StatusCode::OK);
    validate(
        &h.idp,
        &hidden(&page, "SAMLResponse").unwrap(),
        ACS,
        &["_req2".to_owned()],
    );

    // Refusals.
    for (xml, code) in [
        (
            authn_request("_req3", AUDIENCE, Some("http://evil.test/acs")),
            "acs_not_registered",
        ),
        (
            authn_request("_req4", "https://unknown.test", None),
            "unknown_application",
        ),
    ] {
        let (status, _, page) = h.get(&format!("/sso?{}", redirect_query(&xml, ""))).await;
        assert!(status.is_client_error(), "{code}: {status}");
        assert!(
            page.contains(&format!(r#"data-error-code="{code}""#)),
            "{code}"
        );
        assert!(page.contains(r#"data-page="idp-error""#));
    }
    let elsewhere = authn_request("_req5", AUDIENCE, None)
        .replace("http://idp.test/sso", "http://other-idp.test/sso");
    let (status, _, page) = h
        .get(&format!("/sso?{}", redirect_query(&elsewhere, "")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"data-error-code="destination_mismatch""#));
    let (status, _, page) = h.get("/sso?SAMLRequest=%%%").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"data-error-code="malformed_request""#));
}

#[tokio::test]
async fn metadata_publishes_the_signing_certificate() {
    let mut h = Harness::new(KeyType::Rsa2048);
    let (status, headers, metadata) = h.get("/metadata").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/samlmetadata+xml"
    );
    let providers =
        fedgate_saml::metadata::parse_metadata(&metadata, &fedgate_xml::Limits::default()).unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].entity_id(), Some("http://idp.test/metadata"));
    assert!(metadata.contains("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"));
    assert!(metadata.contains("http://idp.test/sso"));
}
