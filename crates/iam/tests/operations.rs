//! Every IAM operation through `Iam::handle`, on SQLite and (when configured) PostgreSQL,
//! checking the XML returned (parsed back with roxmltree) and the AWS errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::sync::Arc;

use base64::Engine;
use fedgate_aws_wire::{AwsError, QueryRequest, percent_encode};
use fedgate_iam::Iam;
use fedgate_iam_policy::{ParseOptions, Policy, PolicySet, RequestContext, evaluate};
use fedgate_store::{MasterKey, SecretBox, Store};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-01 10:00:00 UTC);
const ACCOUNT: &str = "123456789012";

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#;
const PERMISSIONS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*"}]}"#;

struct Fixture {
    iam: Iam,
    master: MasterKey,
    url: String,
}

async fn fixture(url: &str) -> Fixture {
    let store = Store::connect(url).await.unwrap();
    let master = MasterKey::generate().unwrap();
    Fixture {
        iam: Iam::new(store, SecretBox::new(&master).unwrap(), ACCOUNT),
        master,
        url: url.to_owned(),
    }
}

/// The administrator's identity policy: every IAM call is allowed, through the policy engine.
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

impl Fixture {
    async fn call(&self, params: &[(&str, &str)]) -> Result<String, AwsError> {
        let body = params
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let request = QueryRequest::parse(
            "",
            Some("application/x-www-form-urlencoded"),
            format!("Version=2010-05-08&{body}").as_bytes(),
        )
        .unwrap();
        // As the server does: IAM names the question, the policy engine allows it, and only
        // that proof reaches `handle`.
        let target = self.iam.authorization_target(&request).await.unwrap();
        let admin = Policy::parse(ALLOW_ALL, &ParseOptions::managed_identity()).unwrap();
        let context = RequestContext::new(target.action().to_owned())
            .with_resource(target.resource().to_owned())
            .with_current_time(NOW);
        let allowed = evaluate(&PolicySet::new().identity("admin", &admin), &context)
            .into_allowed()
            .unwrap();
        let authorized = target.authorize(allowed).unwrap();
        self.iam.handle(authorized, NOW).await
    }

    async fn ok(&self, params: &[(&str, &str)]) -> String {
        match self.call(params).await {
            Ok(xml) => xml,
            Err(error) => panic!("{params:?} failed: {error:?}"),
        }
    }

    async fn err(&self, params: &[(&str, &str)]) -> AwsError {
        match self.call(params).await {
            Ok(xml) => panic!("{params:?} succeeded: {xml}"),
            Err(error) => error,
        }
    }
}

/// Parses a `<Result>` body and returns the text of the first descendant `path` (slash
/// separated element names).
struct Xml(String);

impl Xml {
    fn new(inner: &str) -> Self {
        let wrapped = format!("<Result>{inner}</Result>");
        roxmltree::Document::parse(&wrapped).unwrap();
        Self(wrapped)
    }

    fn text(&self, path: &str) -> Option<String> {
        let document = roxmltree::Document::parse(&self.0).unwrap();
        let mut node = document.root_element();
        for step in path.split('/') {
            node = node.children().find(|child| child.has_tag_name(step))?;
        }
        Some(node.text().unwrap_or("").to_owned())
    }

    /// Texts of `field` in each `member` of the list at `path`.
    fn members(&self, path: &str, field: Option<&str>) -> Vec<String> {
        let document = roxmltree::Document::parse(&self.0).unwrap();
        let mut node = document.root_element();
        for step in path.split('/') {
            node = node
                .children()
                .find(|child| child.has_tag_name(step))
                .unwrap();
        }
        node.children()
            .filter(|child| child.has_tag_name("member"))
            .map(|member| match field {
                None => member.text().unwrap_or("").to_owned(),
                Some(field) => member
                    .children()
                    .find(|child| child.has_tag_name(field))
                    .and_then(|child| child.text())
                    .unwrap_or("")
                    .to_owned(),
            })
            .collect()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            out.push(u8::from_str_radix(&text[index + 1..index + 3], 16).unwrap());
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn metadata(entity_id: &str, valid_until: Option<&str>) -> String {
    let certified = rcgen::generate_simple_self_signed(vec!["idp.example.com".to_owned()]).unwrap();
    let der = base64::engine::general_purpose::STANDARD.encode(certified.cert.der());
    let valid_until = valid_until
        .map(|value| format!(" validUntil=\"{value}\""))
        .unwrap_or_default();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"{valid_until}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"#
    );
    assert!(document.len() >= 1000, "{}", document.len());
    document
}

fn provider_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:saml-provider/{name}")
}

fn assert_error(error: &AwsError, code: &str, status: u16) {
    assert_eq!(
        (error.code.as_str(), error.status),
        (code, status),
        "{error:?}"
    );
}

fn is_unique_id(id: &str, prefix: &str) -> bool {
    // AWS: access key IDs are 20 characters, role and policy IDs 21.
    let length = if prefix == "AKIA" { 20 } else { 21 };
    id.len() == length
        && id.starts_with(prefix)
        && id[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
}

// ---------------------------------------------------------------------------------------------
// SAML providers

async fn saml_provider_lifecycle(url: String) {
    let f = fixture(&url).await;
    let document = metadata("https://idp.example.com/okta", None);
    let created = Xml::new(
        &f.ok(&[
            ("Action", "CreateSAMLProvider"),
            ("Name", "Okta"),
            ("SAMLMetadataDocument", &document),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "contact-center"),
            ("Tags.member.2.Key", "Env"),
            ("Tags.member.2.Value", "prod"),
        ])
        .await,
    );
    let arn = provider_arn("Okta");
    assert_eq!(created.text("SAMLProviderArn").unwrap(), arn);
    assert_eq!(created.members("Tags", Some("Key")), ["Env", "team"]);

    let got = Xml::new(
        &f.ok(&[("Action", "GetSAMLProvider"), ("SAMLProviderArn", &arn)])
            .await,
    );
    let uuid = got.text("SAMLProviderUUID").unwrap();
    assert!(
        uuid.len() >= 22
            && uuid
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    // Stored verbatim and returned as escaped text.
    assert_eq!(got.text("SAMLMetadataDocument").unwrap(), document);
    assert_eq!(got.text("CreateDate").unwrap(), "2026-12-01T10:00:00Z");
    assert_eq!(got.text("ValidUntil").unwrap(), "2126-12-01T10:00:00Z");
    assert_eq!(got.text("AssertionEncryptionMode").unwrap(), "Allowed");
    assert_eq!(
        got.members("Tags", Some("Value")),
        ["prod", "contact-center"]
    );
    assert_eq!(got.members("PrivateKeyList", None).len(), 0);

    let listed = Xml::new(&f.ok(&[("Action", "ListSAMLProviders")]).await);
    assert_eq!(
        listed.members("SAMLProviderList", Some("Arn")),
        [arn.as_str()]
    );
    assert_eq!(
        listed.members("SAMLProviderList", Some("ValidUntil")),
        ["2126-12-01T10:00:00Z"]
    );

    // Update: metadata with validUntil, and the encryption mode.
    let updated_document = metadata(
        "https://idp.example.com/okta2",
        Some("2027-06-30T00:00:00Z"),
    );
    let updated = Xml::new(
        &f.ok(&[
            ("Action", "UpdateSAMLProvider"),
            ("SAMLProviderArn", &arn),
            ("SAMLMetadataDocument", &updated_document),
            ("AssertionEncryptionMode", "Required"),
        ])
        .await,
    );
    assert_eq!(updated.text("SAMLProviderArn").unwrap(), arn);
    let got = Xml::new(
        &f.ok(&[("Action", "GetSAMLProvider"), ("SAMLProviderArn", &arn)])
            .await,
    );
    assert_eq!(got.text("SAMLMetadataDocument").unwrap(), updated_document);
    assert_eq!(got.text("ValidUntil").unwrap(), "2027-06-30T00:00:00Z");
    assert_eq!(got.text("AssertionEncryptionMode").unwrap(), "Required");
    assert_eq!(got.text("SAMLProviderUUID").unwrap(), uuid);

    // Tags: overwrite case-insensitively, untag, list.
    f.ok(&[
        ("Action", "TagSAMLProvider"),
        ("SAMLProviderArn", &arn),
        ("Tags.member.1.Key", "ENV"),
        ("Tags.member.1.Value", "dev"),
    ])
    .await;
    f.ok(&[
        ("Action", "UntagSAMLProvider"),
        ("SAMLProviderArn", &arn),
        ("TagKeys.member.1", "team"),
    ])
    .await;
    let tags = Xml::new(
        &f.ok(&[
            ("Action", "ListSAMLProviderTags"),
            ("SAMLProviderArn", &arn),
        ])
        .await,
    );
    assert_eq!(tags.members("Tags", Some("Key")), ["ENV"]);
    assert_eq!(tags.members("Tags", Some("Value")), ["dev"]);
    assert_eq!(tags.text("IsTruncated").unwrap(), "false");

    assert_eq!(
        f.ok(&[("Action", "DeleteSAMLProvider"), ("SAMLProviderArn", &arn)])
            .await,
        ""
    );
    let error = f
        .err(&[("Action", "GetSAMLProvider"), ("SAMLProviderArn", &arn)])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
    assert_eq!(error.message, format!("Manifest not found for arn {arn}"));
    let error = f
        .err(&[("Action", "DeleteSAMLProvider"), ("SAMLProviderArn", &arn)])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
}

async fn saml_provider_errors(url: String) {
    let f = fixture(&url).await;
    let document = metadata("https://idp.example.com/a", None);
    let create = |name: &'static str, document: String| {
        vec![
            ("Action", "CreateSAMLProvider".to_owned()),
            ("Name", name.to_owned()),
            ("SAMLMetadataDocument", document),
        ]
    };
    let call = |params: Vec<(&'static str, String)>| {
        let f = &f;
        async move {
            let borrowed: Vec<(&str, &str)> =
                params.iter().map(|(n, v)| (*n, v.as_str())).collect();
            f.call(&borrowed).await
        }
    };
    call(create("A", document.clone())).await.unwrap();
    assert_error(
        &call(create("A", document.clone())).await.unwrap_err(),
        "EntityAlreadyExists",
        409,
    );
    // Name pattern and length.
    for bad in ["has space", "a+b", ""] {
        let mut params = create("x", document.clone());
        params[1].1 = bad.to_owned();
        assert_error(&call(params).await.unwrap_err(), "ValidationError", 400);
    }
    // Metadata shorter than 1000 characters: a model constraint.
    let error = call(create("B", "<x/>".to_owned())).await.unwrap_err();
    assert_error(&error, "ValidationError", 400);
    assert!(
        error.message.contains("sAMLMetadataDocument"),
        "{}",
        error.message
    );
    // Long enough but not metadata: InvalidInput with the parser's reason and hint.
    let not_metadata = format!("<html>{}</html>", "x".repeat(1200));
    let error = call(create("B", not_metadata)).await.unwrap_err();
    assert_error(&error, "InvalidInput", 400);
    assert!(
        error.message.starts_with("Could not parse metadata"),
        "{}",
        error.message
    );
    // Metadata without a signing key.
    let keyless = document.replace("use=\"signing\"", "use=\"encryption\"");
    assert_error(
        &call(create("B", keyless)).await.unwrap_err(),
        "InvalidInput",
        400,
    );
    // Missing required parameters.
    let error = f
        .err(&[
            ("Action", "CreateSAMLProvider"),
            ("SAMLMetadataDocument", &document),
        ])
        .await;
    assert_error(&error, "ValidationError", 400);
    // Bad encryption mode.
    let mut params = create("C", document.clone());
    params.push(("AssertionEncryptionMode", "Sometimes".to_owned()));
    assert_error(&call(params).await.unwrap_err(), "ValidationError", 400);
    // Duplicate tag keys (case-insensitively) in one request.
    let mut params = create("D", document.clone());
    params.extend([
        ("Tags.member.1.Key", "k".to_owned()),
        ("Tags.member.1.Value", "1".to_owned()),
        ("Tags.member.2.Key", "K".to_owned()),
        ("Tags.member.2.Value", "2".to_owned()),
    ]);
    assert_error(&call(params).await.unwrap_err(), "InvalidInput", 400);
    // 51 tags in one request.
    let mut params = create("E", document.clone());
    let names: Vec<(String, String)> = (1..=51)
        .map(|i| {
            (
                format!("Tags.member.{i}.Key"),
                format!("Tags.member.{i}.Value"),
            )
        })
        .collect();
    let mut borrowed: Vec<(&str, String)> = std::mem::take(&mut params);
    for (i, (key, value)) in names.iter().enumerate() {
        borrowed.push((key.as_str(), format!("key{i}")));
        borrowed.push((value.as_str(), "v".to_owned()));
    }
    let refs: Vec<(&str, &str)> = borrowed.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_error(&f.err(&refs).await, "ValidationError", 400);
    // Tag quota reached across calls: LimitExceeded, nothing written.
    let arn = provider_arn("A");
    for batch in 0..5 {
        let pairs: Vec<(String, String, String, String)> = (1..=10)
            .map(|i| {
                (
                    format!("Tags.member.{i}.Key"),
                    format!("k{batch}-{i}"),
                    format!("Tags.member.{i}.Value"),
                    "v".to_owned(),
                )
            })
            .collect();
        let mut params: Vec<(&str, &str)> =
            vec![("Action", "TagSAMLProvider"), ("SAMLProviderArn", &arn)];
        for (k, kv, v, vv) in &pairs {
            params.push((k, kv));
            params.push((v, vv));
        }
        f.ok(&params).await;
    }
    let error = f
        .err(&[
            ("Action", "TagSAMLProvider"),
            ("SAMLProviderArn", &arn),
            ("Tags.member.1.Key", "one-too-many"),
            ("Tags.member.1.Value", "v"),
        ])
        .await;
    assert_error(&error, "LimitExceeded", 409);
    let tags = Xml::new(
        &f.ok(&[
            ("Action", "ListSAMLProviderTags"),
            ("SAMLProviderArn", &arn),
            ("MaxItems", "20"),
        ])
        .await,
    );
    assert_eq!(tags.members("Tags", Some("Key")).len(), 20);
    assert_eq!(tags.text("IsTruncated").unwrap(), "true");
    let marker = tags.text("Marker").unwrap();
    let rest = Xml::new(
        &f.ok(&[
            ("Action", "ListSAMLProviderTags"),
            ("SAMLProviderArn", &arn),
            ("Marker", &marker),
            ("MaxItems", "100"),
        ])
        .await,
    );
    assert_eq!(rest.members("Tags", Some("Key")).len(), 30);
    // Unknown ARN for every provider operation.
    let missing = provider_arn("Missing");
    for action in [
        "GetSAMLProvider",
        "ListSAMLProviderTags",
        "UpdateSAMLProvider",
    ] {
        let error = f
            .err(&[("Action", action), ("SAMLProviderArn", &missing)])
            .await;
        assert_error(&error, "NoSuchEntity", 404);
    }
    let error = f
        .err(&[
            ("Action", "UntagSAMLProvider"),
            ("SAMLProviderArn", &missing),
            ("TagKeys.member.1", "a"),
        ])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
}

async fn saml_provider_lookup_is_cached_until_changed(url: String) {
    let f = fixture(&url).await;
    let arn = provider_arn("Cached");
    f.ok(&[
        ("Action", "CreateSAMLProvider"),
        ("Name", "Cached"),
        (
            "SAMLMetadataDocument",
            &metadata("https://idp.example.com/one", None),
        ),
    ])
    .await;
    let first = f.iam.saml_provider(&arn).await.unwrap().unwrap();
    assert_eq!(first.name, "Cached");
    assert_eq!(first.identity_providers.len(), 1);
    assert_eq!(
        first.identity_providers[0].entity_id(),
        Some("https://idp.example.com/one")
    );
    let again = f.iam.saml_provider(&arn).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    // A change through another Iam (another node) is seen through the revision.
    let other = fixture_with(&f, &f.master).await;
    other
        .ok(&[
            ("Action", "UpdateSAMLProvider"),
            ("SAMLProviderArn", &arn),
            (
                "SAMLMetadataDocument",
                &metadata("https://idp.example.com/two", None),
            ),
        ])
        .await;
    let changed = f.iam.saml_provider(&arn).await.unwrap().unwrap();
    assert!(!Arc::ptr_eq(&first, &changed));
    assert_eq!(
        changed.identity_providers[0].entity_id(),
        Some("https://idp.example.com/two")
    );
    other
        .ok(&[("Action", "DeleteSAMLProvider"), ("SAMLProviderArn", &arn)])
        .await;
    assert!(f.iam.saml_provider(&arn).await.unwrap().is_none());
}

async fn fixture_with(base: &Fixture, master: &MasterKey) -> Fixture {
    let store = Store::connect(&base.url).await.unwrap();
    Fixture {
        iam: Iam::new(store, SecretBox::new(master).unwrap(), ACCOUNT),
        master: master.clone(),
        url: base.url.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Roles

async fn role_lifecycle(url: String) {
    let f = fixture(&url).await;
    let created = Xml::new(
        &f.ok(&[
            ("Action", "CreateRole"),
            ("RoleName", "ConnectAgents"),
            ("Path", "/contact-center/"),
            ("AssumeRolePolicyDocument", TRUST),
            ("Description", "agents & supervisors"),
            ("MaxSessionDuration", "43200"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "cc"),
        ])
        .await,
    );
    let role_id = created.text("Role/RoleId").unwrap();
    assert!(is_unique_id(&role_id, "AROA"), "{role_id}");
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/contact-center/ConnectAgents");
    assert_eq!(created.text("Role/Arn").unwrap(), arn);
    assert_eq!(created.text("Role/Path").unwrap(), "/contact-center/");
    assert_eq!(
        created.text("Role/CreateDate").unwrap(),
        "2026-12-01T10:00:00Z"
    );
    assert_eq!(created.text("Role/MaxSessionDuration").unwrap(), "43200");
    assert_eq!(created.members("Role/Tags", Some("Key")), ["team"]);

    // Case-insensitive lookup; the trust policy comes back URL-encoded (RFC 3986).
    let got = Xml::new(
        &f.ok(&[("Action", "GetRole"), ("RoleName", "connectagents")])
            .await,
    );
    assert_eq!(got.text("Role/RoleName").unwrap(), "ConnectAgents");
    let encoded = got.text("Role/AssumeRolePolicyDocument").unwrap();
    assert!(
        encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{encoded}"
    );
    assert_eq!(percent_decode(&encoded), TRUST);
    assert_eq!(
        got.text("Role/Description").unwrap(),
        "agents & supervisors"
    );
    assert!(got.text("Role/RoleLastUsed").is_some());

    f.ok(&[
        ("Action", "UpdateRole"),
        ("RoleName", "ConnectAgents"),
        ("Description", "updated"),
        ("MaxSessionDuration", "3600"),
    ])
    .await;
    let new_trust = TRUST.replace("Okta", "Backup");
    f.ok(&[
        ("Action", "UpdateAssumeRolePolicy"),
        ("RoleName", "ConnectAgents"),
        ("PolicyDocument", &new_trust),
    ])
    .await;
    let got = Xml::new(
        &f.ok(&[("Action", "GetRole"), ("RoleName", "ConnectAgents")])
            .await,
    );
    assert_eq!(got.text("Role/Description").unwrap(), "updated");
    assert_eq!(got.text("Role/MaxSessionDuration").unwrap(), "3600");
    assert_eq!(
        percent_decode(&got.text("Role/AssumeRolePolicyDocument").unwrap()),
        new_trust
    );

    // The typed lookup STS uses.
    let record = f.iam.role_by_arn(&arn).await.unwrap().unwrap();
    assert_eq!(record.role_id, role_id);
    assert_eq!(record.assume_role_policy, new_trust);
    assert_eq!(record.max_session_duration, 3600);
    assert!(
        f.iam
            .role_by_arn("arn:aws:iam::123456789012:role/none")
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(
        f.ok(&[("Action", "DeleteRole"), ("RoleName", "CONNECTAGENTS")])
            .await,
        ""
    );
    let error = f
        .err(&[("Action", "GetRole"), ("RoleName", "ConnectAgents")])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
    assert_eq!(
        error.message,
        "The role with name ConnectAgents cannot be found."
    );
}

async fn list_roles_paginates_and_filters(url: String) {
    let f = fixture(&url).await;
    for (name, path) in [
        ("a1", "/"),
        ("B2", "/cc/"),
        ("c3", "/cc/x/"),
        ("d4", "/other/"),
    ] {
        f.ok(&[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("Path", path),
            ("AssumeRolePolicyDocument", TRUST),
        ])
        .await;
    }
    let first = Xml::new(&f.ok(&[("Action", "ListRoles"), ("MaxItems", "3")]).await);
    assert_eq!(first.members("Roles", Some("RoleName")), ["a1", "B2", "c3"]);
    assert_eq!(first.text("IsTruncated").unwrap(), "true");
    let marker = first.text("Marker").unwrap();
    let second = Xml::new(
        &f.ok(&[
            ("Action", "ListRoles"),
            ("MaxItems", "3"),
            ("Marker", &marker),
        ])
        .await,
    );
    assert_eq!(second.members("Roles", Some("RoleName")), ["d4"]);
    assert_eq!(second.text("IsTruncated").unwrap(), "false");
    assert_eq!(second.text("Marker"), None);
    let cc = Xml::new(
        &f.ok(&[("Action", "ListRoles"), ("PathPrefix", "/cc/")])
            .await,
    );
    assert_eq!(cc.members("Roles", Some("RoleName")), ["B2", "c3"]);
    // Trust policies are URL-encoded in listings too.
    assert_eq!(
        percent_decode(&cc.members("Roles", Some("AssumeRolePolicyDocument"))[0]),
        TRUST
    );
    for bad in [
        ("MaxItems", "0"),
        ("MaxItems", "1001"),
        ("PathPrefix", "cc"),
    ] {
        assert_error(
            &f.err(&[("Action", "ListRoles"), bad]).await,
            "ValidationError",
            400,
        );
    }
}

async fn role_errors(url: String) {
    let f = fixture(&url).await;
    let create = [
        ("Action", "CreateRole"),
        ("RoleName", "Agents"),
        ("AssumeRolePolicyDocument", TRUST),
    ];
    f.ok(&create).await;
    let error = f
        .err(&[
            ("Action", "CreateRole"),
            ("RoleName", "AGENTS"),
            ("AssumeRolePolicyDocument", TRUST),
        ])
        .await;
    assert_error(&error, "EntityAlreadyExists", 409);
    assert_eq!(error.message, "Role with name AGENTS already exists.");
    let long_name = "a".repeat(65);
    for (name, value) in [
        ("RoleName", "bad name"),
        ("RoleName", long_name.as_str()),
        ("Path", "no-slash"),
        ("MaxSessionDuration", "3599"),
        ("MaxSessionDuration", "43201"),
        ("MaxSessionDuration", "soon"),
    ] {
        let mut params = vec![
            ("Action", "CreateRole"),
            ("RoleName", "Other"),
            ("AssumeRolePolicyDocument", TRUST),
        ];
        params.retain(|(n, _)| *n != name);
        params.push((name, value));
        assert_error(&f.err(&params).await, "ValidationError", 400);
    }
    // Trust policy grammar: a permission policy is not a trust policy.
    let error = f
        .err(&[
            ("Action", "CreateRole"),
            ("RoleName", "Other"),
            ("AssumeRolePolicyDocument", PERMISSIONS),
        ])
        .await;
    assert_error(&error, "MalformedPolicyDocument", 400);
    let error = f
        .err(&[
            ("Action", "CreateRole"),
            ("RoleName", "Other"),
            ("AssumeRolePolicyDocument", "{not json"),
        ])
        .await;
    assert_error(&error, "MalformedPolicyDocument", 400);
    assert_eq!(error.message, "Syntax errors in policy.");
    // Trust policy above the 2,048-character quota.
    let padded = TRUST.replace(
        "\"Version\"",
        &format!("\"Id\":\"{}\",\"Version\"", "x".repeat(2100)),
    );
    let error = f
        .err(&[
            ("Action", "CreateRole"),
            ("RoleName", "Other"),
            ("AssumeRolePolicyDocument", &padded),
        ])
        .await;
    assert_error(&error, "LimitExceeded", 409);
    assert!(
        error.message.contains("ACLSizePerRole"),
        "{}",
        error.message
    );
    // Nothing was written by the failures.
    let listed = Xml::new(&f.ok(&[("Action", "ListRoles")]).await);
    assert_eq!(listed.members("Roles", Some("RoleName")), ["Agents"]);
    // Unknown role for every role operation.
    for action in [
        "GetRole",
        "DeleteRole",
        "ListRoleTags",
        "ListRolePolicies",
        "UpdateRole",
    ] {
        assert_error(
            &f.err(&[("Action", action), ("RoleName", "Nobody")]).await,
            "NoSuchEntity",
            404,
        );
    }
    assert_error(
        &f.err(&[
            ("Action", "UpdateAssumeRolePolicy"),
            ("RoleName", "Nobody"),
            ("PolicyDocument", TRUST),
        ])
        .await,
        "NoSuchEntity",
        404,
    );
    let error = f.err(&[("Action", "GetRole")]).await;
    assert_error(&error, "ValidationError", 400);
    assert!(error.message.contains("'roleName'"), "{}", error.message);
    let error = f.err(&[("Action", "CreateUser"), ("UserName", "x")]).await;
    assert_error(&error, "InvalidAction", 400);
}

async fn role_tags(url: String) {
    let f = fixture(&url).await;
    f.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "Tagged"),
        ("AssumeRolePolicyDocument", TRUST),
        ("Tags.member.1.Key", "b"),
        ("Tags.member.1.Value", "1"),
    ])
    .await;
    f.ok(&[
        ("Action", "TagRole"),
        ("RoleName", "Tagged"),
        ("Tags.member.1.Key", "B"),
        ("Tags.member.1.Value", "2"),
        ("Tags.member.2.Key", "a"),
        ("Tags.member.2.Value", ""),
    ])
    .await;
    let tags = Xml::new(
        &f.ok(&[("Action", "ListRoleTags"), ("RoleName", "Tagged")])
            .await,
    );
    assert_eq!(tags.members("Tags", Some("Key")), ["B", "a"]);
    assert_eq!(tags.members("Tags", Some("Value")), ["2", ""]);
    f.ok(&[
        ("Action", "UntagRole"),
        ("RoleName", "Tagged"),
        ("TagKeys.member.1", "b"),
    ])
    .await;
    let tags = Xml::new(
        &f.ok(&[("Action", "ListRoleTags"), ("RoleName", "Tagged")])
            .await,
    );
    assert_eq!(tags.members("Tags", Some("Key")), ["a"]);
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for (key, value) in [
        (long_key.as_str(), "v"),
        ("k", long_value.as_str()),
        ("bad#key", "v"),
    ] {
        let error = f
            .err(&[
                ("Action", "TagRole"),
                ("RoleName", "Tagged"),
                ("Tags.member.1.Key", key),
                ("Tags.member.1.Value", value),
            ])
            .await;
        assert_error(&error, "ValidationError", 400);
    }
    // GetRole shows the tags.
    let got = Xml::new(&f.ok(&[("Action", "GetRole"), ("RoleName", "Tagged")]).await);
    assert_eq!(got.members("Role/Tags", Some("Key")), ["a"]);
}

async fn inline_role_policies(url: String) {
    let f = fixture(&url).await;
    f.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "R"),
        ("AssumeRolePolicyDocument", TRUST),
    ])
    .await;
    let put = |name: &'static str, document: String| {
        let f = &f;
        async move {
            f.call(&[
                ("Action", "PutRolePolicy"),
                ("RoleName", "R"),
                ("PolicyName", name),
                ("PolicyDocument", &document),
            ])
            .await
        }
    };
    assert_eq!(put("Federate", PERMISSIONS.to_owned()).await.unwrap(), "");
    let got = Xml::new(
        &f.ok(&[
            ("Action", "GetRolePolicy"),
            ("RoleName", "r"),
            ("PolicyName", "federate"),
        ])
        .await,
    );
    assert_eq!(got.text("RoleName").unwrap(), "R");
    assert_eq!(got.text("PolicyName").unwrap(), "Federate");
    assert_eq!(
        percent_decode(&got.text("PolicyDocument").unwrap()),
        PERMISSIONS
    );
    put("Second", PERMISSIONS.to_owned()).await.unwrap();
    let names = Xml::new(
        &f.ok(&[("Action", "ListRolePolicies"), ("RoleName", "R")])
            .await,
    );
    assert_eq!(names.members("PolicyNames", None), ["Federate", "Second"]);
    assert_eq!(names.text("IsTruncated").unwrap(), "false");

    // A permission policy must not name a principal.
    let error = put("Bad", TRUST.to_owned()).await.unwrap_err();
    assert_error(&error, "MalformedPolicyDocument", 400);
    assert_eq!(
        error.message,
        "Policy document should not specify a principal."
    );
    // The inline quota is for all of the role's inline policies together.
    let big = PERMISSIONS.replace(
        "\"Version\"",
        &format!("\"Id\":\"{}\",\"Version\"", "x".repeat(6000)),
    );
    put("Big1", big.clone()).await.unwrap();
    let error = put("Big2", big).await.unwrap_err();
    assert_error(&error, "LimitExceeded", 409);
    assert_eq!(
        error.message,
        "Maximum policy size of 10240 bytes exceeded for role R"
    );
    let names = Xml::new(
        &f.ok(&[("Action", "ListRolePolicies"), ("RoleName", "R")])
            .await,
    );
    assert_eq!(names.members("PolicyNames", None).len(), 3);

    // The typed record carries the inline policies.
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/R");
    let record = f.iam.role_by_arn(&arn).await.unwrap().unwrap();
    assert_eq!(record.inline_policies.len(), 3);

    // DeleteRole is refused while inline policies exist.
    let error = f.err(&[("Action", "DeleteRole"), ("RoleName", "R")]).await;
    assert_error(&error, "DeleteConflict", 409);
    assert_eq!(
        error.message,
        "Cannot delete entity, must delete policies first."
    );
    for name in ["Federate", "Second", "Big1"] {
        f.ok(&[
            ("Action", "DeleteRolePolicy"),
            ("RoleName", "R"),
            ("PolicyName", name),
        ])
        .await;
    }
    let error = f
        .err(&[
            ("Action", "DeleteRolePolicy"),
            ("RoleName", "R"),
            ("PolicyName", "Federate"),
        ])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
    let error = f
        .err(&[
            ("Action", "GetRolePolicy"),
            ("RoleName", "R"),
            ("PolicyName", "Federate"),
        ])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
    assert_eq!(
        error.message,
        "The role policy with name Federate cannot be found."
    );
    f.ok(&[("Action", "DeleteRole"), ("RoleName", "R")]).await;
}

async fn managed_policies_and_attachments(url: String) {
    let f = fixture(&url).await;
    f.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "R"),
        ("AssumeRolePolicyDocument", TRUST),
    ])
    .await;
    let created = Xml::new(
        &f.ok(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "Federation"),
            ("Path", "/cc/"),
            ("Description", "connect federation"),
            ("PolicyDocument", PERMISSIONS),
        ])
        .await,
    );
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/cc/Federation");
    assert_eq!(created.text("Policy/Arn").unwrap(), arn);
    assert!(is_unique_id(
        &created.text("Policy/PolicyId").unwrap(),
        "ANPA"
    ));
    assert_eq!(created.text("Policy/DefaultVersionId").unwrap(), "v1");
    assert_eq!(created.text("Policy/AttachmentCount").unwrap(), "0");
    let error = f
        .err(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "federation"),
            ("PolicyDocument", PERMISSIONS),
        ])
        .await;
    assert_error(&error, "EntityAlreadyExists", 409);
    let error = f
        .err(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "P"),
            ("PolicyDocument", TRUST),
        ])
        .await;
    assert_error(&error, "MalformedPolicyDocument", 400);

    let got = Xml::new(&f.ok(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await);
    assert_eq!(
        got.text("Policy/Description").unwrap(),
        "connect federation"
    );
    let version = Xml::new(
        &f.ok(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", &arn),
            ("VersionId", "v1"),
        ])
        .await,
    );
    assert_eq!(
        percent_decode(&version.text("PolicyVersion/Document").unwrap()),
        PERMISSIONS
    );
    assert_eq!(
        version.text("PolicyVersion/IsDefaultVersion").unwrap(),
        "true"
    );
    assert_error(
        &f.err(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", &arn),
            ("VersionId", "v2"),
        ])
        .await,
        "NoSuchEntity",
        404,
    );

    f.ok(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", "R"),
        ("PolicyArn", &arn),
    ])
    .await;
    let attached = Xml::new(
        &f.ok(&[("Action", "ListAttachedRolePolicies"), ("RoleName", "R")])
            .await,
    );
    assert_eq!(
        attached.members("AttachedPolicies", Some("PolicyArn")),
        [arn.as_str()]
    );
    assert_eq!(
        attached.members("AttachedPolicies", Some("PolicyName")),
        ["Federation"]
    );
    let filtered = Xml::new(
        &f.ok(&[
            ("Action", "ListAttachedRolePolicies"),
            ("RoleName", "R"),
            ("PathPrefix", "/other/"),
        ])
        .await,
    );
    assert!(
        filtered
            .members("AttachedPolicies", Some("PolicyArn"))
            .is_empty()
    );
    let listed = Xml::new(
        &f.ok(&[("Action", "ListPolicies"), ("Scope", "Local")])
            .await,
    );
    assert_eq!(
        listed.members("Policies", Some("PolicyName")),
        ["Federation"]
    );
    assert_eq!(listed.members("Policies", Some("AttachmentCount")), ["1"]);
    let aws = Xml::new(&f.ok(&[("Action", "ListPolicies"), ("Scope", "AWS")]).await);
    assert!(aws.members("Policies", Some("PolicyName")).is_empty());

    let record = f
        .iam
        .role_by_arn(&format!("arn:aws:iam::{ACCOUNT}:role/R"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.attached_policies.len(), 1);
    assert_eq!(record.attached_policies[0].document, PERMISSIONS);

    let error = f
        .err(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)])
        .await;
    assert_error(&error, "DeleteConflict", 409);
    let error = f.err(&[("Action", "DeleteRole"), ("RoleName", "R")]).await;
    assert_error(&error, "DeleteConflict", 409);
    assert_eq!(
        error.message,
        "Cannot delete entity, must detach all policies first."
    );
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Missing");
    let error = f
        .err(&[
            ("Action", "AttachRolePolicy"),
            ("RoleName", "R"),
            ("PolicyArn", &missing),
        ])
        .await;
    assert_error(&error, "NoSuchEntity", 404);
    assert_eq!(
        error.message,
        format!("Policy {missing} does not exist or is not attachable.")
    );

    f.ok(&[
        ("Action", "DetachRolePolicy"),
        ("RoleName", "R"),
        ("PolicyArn", &arn),
    ])
    .await;
    assert_error(
        &f.err(&[
            ("Action", "DetachRolePolicy"),
            ("RoleName", "R"),
            ("PolicyArn", &arn),
        ])
        .await,
        "NoSuchEntity",
        404,
    );
    let only = Xml::new(
        &f.ok(&[("Action", "ListPolicies"), ("OnlyAttached", "true")])
            .await,
    );
    assert!(only.members("Policies", Some("PolicyName")).is_empty());
    f.ok(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)])
        .await;
    assert_error(
        &f.err(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await,
        "NoSuchEntity",
        404,
    );
    f.ok(&[("Action", "DeleteRole"), ("RoleName", "R")]).await;
}

// ---------------------------------------------------------------------------------------------
// Keys

async fn access_keys_and_service_keys(url: String) {
    let f = fixture(&url).await;
    let principal = format!("arn:aws:iam::{ACCOUNT}:root");
    let key = f
        .iam
        .create_access_key_for_admin(&principal, NOW)
        .await
        .unwrap();
    assert!(
        is_unique_id(&key.access_key_id, "AKIA"),
        "{}",
        key.access_key_id
    );
    assert_eq!(key.secret_access_key.expose().len(), 40);
    assert!(!format!("{key:?}").contains(key.secret_access_key.expose().as_str()));
    let secret = f
        .iam
        .access_key_secret(&key.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.expose(), key.secret_access_key.expose());
    assert!(
        f.iam
            .access_key_secret("AKIAUNKNOWN")
            .await
            .unwrap()
            .is_none()
    );
    let record = f.iam.access_key(&key.access_key_id).await.unwrap().unwrap();
    assert_eq!(record.principal_arn, principal);

    let session = f.iam.service_key("session-token", NOW).await.unwrap();
    let again = f.iam.service_key("session-token", NOW).await.unwrap();
    assert_eq!(session.expose(), again.expose());
    let other_name = f.iam.service_key("cookies", NOW).await.unwrap();
    assert_ne!(session.expose(), other_name.expose());
    // Another node with the same master key sees the same keys.
    let node = fixture_with(&f, &f.master).await;
    assert_eq!(
        node.iam
            .service_key("session-token", NOW)
            .await
            .unwrap()
            .expose(),
        session.expose()
    );
    assert_eq!(
        node.iam
            .access_key_secret(&key.access_key_id)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        key.secret_access_key.expose()
    );
    // A node with another master key cannot open them.
    let stranger = fixture_with(&f, &MasterKey::generate().unwrap()).await;
    assert_eq!(
        stranger
            .iam
            .access_key_secret(&key.access_key_id)
            .await
            .unwrap_err()
            .code(),
        "decrypt_failed"
    );
    assert_eq!(
        stranger
            .iam
            .service_key("session-token", NOW)
            .await
            .unwrap_err()
            .code(),
        "decrypt_failed"
    );
}

// ---------------------------------------------------------------------------------------------
// Authorization

fn query(params: &[(&str, &str)]) -> QueryRequest {
    let body = params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    QueryRequest::parse(
        "",
        Some("application/x-www-form-urlencoded"),
        format!("Version=2010-05-08&{body}").as_bytes(),
    )
    .unwrap()
}

async fn authorization_targets_name_each_actions_resource(url: String) {
    let f = fixture(&url).await;
    f.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "Agents"),
        ("Path", "/cc/"),
        ("AssumeRolePolicyDocument", TRUST),
    ])
    .await;
    let provider = provider_arn("Okta");
    let policy = format!("arn:aws:iam::{ACCOUNT}:policy/P");
    // Request parameters, then the action and resource authorized.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, String);
    let cases: [Case<'_>; 8] = [
        (
            &[("Action", "CreateSAMLProvider"), ("Name", "Okta")],
            "iam:CreateSAMLProvider",
            provider.clone(),
        ),
        (
            &[
                ("Action", "TagSAMLProvider"),
                ("SAMLProviderArn", &provider),
            ],
            "iam:TagSAMLProvider",
            provider.clone(),
        ),
        (
            &[
                ("Action", "CreateRole"),
                ("RoleName", "New"),
                ("Path", "/x/"),
            ],
            "iam:CreateRole",
            format!("arn:aws:iam::{ACCOUNT}:role/x/New"),
        ),
        // An existing role by its stored ARN, with its path, whatever the case of the name.
        (
            &[("Action", "GetRole"), ("RoleName", "agents")],
            "iam:GetRole",
            format!("arn:aws:iam::{ACCOUNT}:role/cc/Agents"),
        ),
        (
            &[("Action", "DeleteRole"), ("RoleName", "Absent")],
            "iam:DeleteRole",
            format!("arn:aws:iam::{ACCOUNT}:role/Absent"),
        ),
        (
            &[("Action", "CreatePolicy"), ("PolicyName", "P")],
            "iam:CreatePolicy",
            policy.clone(),
        ),
        (&[("Action", "ListRoles")], "iam:ListRoles", "*".to_owned()),
        (&[("Action", "Unknown")], "iam:Unknown", "*".to_owned()),
    ];
    for (params, action, resource) in cases {
        let request = query(params);
        let target = f.iam.authorization_target(&request).await.unwrap();
        assert_eq!(
            (target.action(), target.resource()),
            (action, resource.as_str())
        );
        assert!(target.condition_keys().is_empty());
    }
    let request = query(&[
        ("Action", "AttachRolePolicy"),
        ("RoleName", "Agents"),
        ("PolicyArn", &policy),
    ]);
    let target = f.iam.authorization_target(&request).await.unwrap();
    assert_eq!(target.condition_keys(), [("iam:PolicyARN", policy.clone())]);
}

async fn handle_takes_only_the_proof_of_the_requests_own_question(url: String) {
    let f = fixture(&url).await;
    let admin = Policy::parse(ALLOW_ALL, &ParseOptions::managed_identity()).unwrap();
    let set = PolicySet::new().identity("admin", &admin);
    let decide = |action: &str, resource: &str| {
        let context = RequestContext::new(action.to_owned()).with_resource(resource.to_owned());
        evaluate(&set, &context).into_allowed().unwrap()
    };
    let request = query(&[("Action", "DeleteRole"), ("RoleName", "Agents")]);
    let resource = format!("arn:aws:iam::{ACCOUNT}:role/Agents");
    // An Allow for a read, or for another resource, does not authorize the delete.
    for allowed in [
        decide("iam:GetRole", &resource),
        decide(
            "iam:DeleteRole",
            &format!("arn:aws:iam::{ACCOUNT}:role/Other"),
        ),
        decide("iam:DeleteRole", "*"),
    ] {
        let target = f.iam.authorization_target(&request).await.unwrap();
        let mismatch = target.authorize(allowed).unwrap_err();
        assert!(
            mismatch
                .to_string()
                .ends_with(&format!("offered for iam:DeleteRole on {resource}")),
            "{mismatch}"
        );
    }
    let target = f.iam.authorization_target(&request).await.unwrap();
    let authorized = target
        .authorize(decide("iam:DeleteRole", &resource))
        .unwrap();
    assert_eq!(authorized.allowed().action(), "iam:DeleteRole");
    let error = f.iam.handle(authorized, NOW).await.unwrap_err();
    assert_error(&error, "NoSuchEntity", 404);
}

fedgate_store::conformance_tests!(
    authorization_targets_name_each_actions_resource,
    handle_takes_only_the_proof_of_the_requests_own_question,
    saml_provider_lifecycle,
    saml_provider_errors,
    saml_provider_lookup_is_cached_until_changed,
    role_lifecycle,
    list_roles_paginates_and_filters,
    role_errors,
    role_tags,
    inline_role_policies,
    managed_policies_and_attachments,
    access_keys_and_service_keys,
);
