//! SAML provider operations (spec/aws-federation.md §3.2).

use fedgate_aws_wire::{QueryRequest, XmlWriter, iso8601};
use fedgate_store::{AssertionEncryptionMode, IamStorage, SamlProvider, SamlProviderUpdate};
use fedgate_xml::Limits;
use time::OffsetDateTime;

use crate::validate::{self, MAX_TAGS};
use crate::{Iam, IamError, MAX_SAML_PROVIDERS, ids, page, write_tags, write_truncation};

/// Shortest metadata document accepted (model `SAMLMetadataDocumentType` min length).
pub const MIN_METADATA_CHARS: usize = 1000;
/// Longest metadata document accepted (model max length, 10,000,000 characters).
pub const MAX_METADATA_CHARS: usize = 10_000_000;

/// `ValidUntil` when the metadata has no `validUntil`: the creation date plus this many years.
///
/// AWS's derivation is UNCONFIRMED (spec §3.2; LocalStack uses the certificate expiry). fedgate
/// reports the metadata's `validUntil` when present (the earliest one, for an aggregate), and
/// otherwise a date far enough away that it never expires a provider by itself: expiry of the
/// signing keys is judged when a response is verified, not through this field.
pub const DEFAULT_VALIDITY_YEARS: i32 = 100;

/// The parse budget for uploaded metadata: the default XML limits, widened to the size AWS
/// accepts (10,000,000 characters, up to 4 bytes each in UTF-8) and to the node count such a
/// document can have. Metadata comes from an authenticated administrator, not from the network.
pub(crate) fn limits() -> Limits {
    Limits {
        max_bytes: MAX_METADATA_CHARS.saturating_mul(4),
        max_nodes: 5_000_000,
        ..Limits::default()
    }
}

/// Validates a metadata document and derives its `ValidUntil`.
fn check_metadata(
    document: &str,
    create_date: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, IamError> {
    validate::length(
        "SAMLMetadataDocument",
        document,
        MIN_METADATA_CHARS,
        MAX_METADATA_CHARS,
    )?;
    if document.starts_with('\u{feff}') {
        return Err(IamError::InvalidInput(
            "Could not parse metadata: the document must be UTF-8 without a byte order mark."
                .to_owned(),
        ));
    }
    let providers =
        fedgate_saml::metadata::parse_metadata(document, &limits()).map_err(|error| {
            IamError::InvalidInput(format!(
                "Could not parse metadata: {error}. Hint: {}.",
                error.hint()
            ))
        })?;
    let declared = providers
        .iter()
        .filter_map(fedgate_saml::IdentityProvider::valid_until)
        .min();
    Ok(Some(
        declared.unwrap_or_else(|| default_valid_until(create_date)),
    ))
}

fn default_valid_until(create_date: OffsetDateTime) -> OffsetDateTime {
    let year = create_date.year().saturating_add(DEFAULT_VALIDITY_YEARS);
    create_date
        .replace_year(year)
        // 29 February in a year that has none: the day before.
        .or_else(|_| (create_date - time::Duration::days(1)).replace_year(year))
        .unwrap_or(create_date)
}

fn encryption_mode(request: &QueryRequest) -> Result<Option<AssertionEncryptionMode>, IamError> {
    match request.get("AssertionEncryptionMode") {
        None => Ok(None),
        Some(mode) => {
            validate::one_of("AssertionEncryptionMode", mode, &["Required", "Allowed"])?;
            AssertionEncryptionMode::parse(mode)
                .map(Some)
                .map_err(|unknown| IamError::Validation(unknown.to_string()))
        }
    }
}

fn refuse_private_keys(request: &QueryRequest) -> Result<(), IamError> {
    // SAML-provider private keys (for encrypted assertions) are held by fedgate's SP
    // configuration, not uploaded per provider; refusing is better than silently ignoring.
    for name in ["AddPrivateKey", "RemovePrivateKey"] {
        if request.get(name).is_some() {
            return Err(IamError::InvalidInput(format!(
                "{name} is not supported: fedgate decrypts assertions with its own service \
                 provider keys."
            )));
        }
    }
    Ok(())
}

fn arn_param(request: &QueryRequest) -> Result<&str, IamError> {
    let arn = validate::required(request, "SAMLProviderArn")?;
    validate::arn("SAMLProviderArn", arn)?;
    Ok(arn)
}

impl<S: IamStorage> Iam<S> {
    pub(crate) async fn create_saml_provider(
        &self,
        request: &QueryRequest,
        now: OffsetDateTime,
    ) -> Result<String, IamError> {
        let name = validate::required(request, "Name")?;
        validate::provider_name(name)?;
        let document = validate::required(request, "SAMLMetadataDocument")?;
        let tags = validate::tags(request)?;
        // AWS's default for a provider created without AssertionEncryptionMode.
        let mode = encryption_mode(request)?.unwrap_or(AssertionEncryptionMode::Allowed);
        refuse_private_keys(request)?;
        let valid_until = check_metadata(document, now)?;
        let row = SamlProvider {
            arn: self.provider_arn(name),
            name: name.to_owned(),
            uuid: ids::provider_uuid()?,
            metadata_document: document.to_owned(),
            create_date: now,
            valid_until,
            assertion_encryption_mode: mode,
            revision: 0,
        };
        self.store
            .create_saml_provider(&row, &tags, MAX_SAML_PROVIDERS)
            .await?;
        let mut sorted = tags;
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let mut xml = XmlWriter::new();
        xml.element("SAMLProviderArn", &row.arn);
        write_tags(&mut xml, &sorted);
        Ok(xml.finish())
    }

    pub(crate) async fn get_saml_provider(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        let row =
            self.store.saml_provider(arn).await?.ok_or_else(|| {
                IamError::NoSuchEntity(format!("Manifest not found for arn {arn}"))
            })?;
        let tags = self.store.saml_provider_tags(arn).await?;
        let mut xml = XmlWriter::new();
        xml.element("SAMLProviderUUID", &row.uuid)
            // Escaped text, not nested XML: SDK parsers expect a string (spec §3.2).
            .element("SAMLMetadataDocument", &row.metadata_document)
            .element("CreateDate", &iso8601(row.create_date))
            .optional("ValidUntil", row.valid_until.map(iso8601).as_deref());
        write_tags(&mut xml, &tags);
        xml.element(
            "AssertionEncryptionMode",
            row.assertion_encryption_mode.as_str(),
        )
        .start("PrivateKeyList")
        .end();
        Ok(xml.finish())
    }

    pub(crate) async fn list_saml_providers(&self) -> Result<String, IamError> {
        let providers = self.store.list_saml_providers().await?;
        let mut xml = XmlWriter::new();
        xml.start("SAMLProviderList");
        for provider in &providers {
            xml.start("member")
                .element("Arn", &provider.arn)
                .optional("ValidUntil", provider.valid_until.map(iso8601).as_deref())
                .element("CreateDate", &iso8601(provider.create_date))
                .end();
        }
        xml.end();
        Ok(xml.finish())
    }

    pub(crate) async fn update_saml_provider(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        let mode = encryption_mode(request)?;
        refuse_private_keys(request)?;
        let current =
            self.store.saml_provider(arn).await?.ok_or_else(|| {
                IamError::NoSuchEntity(format!("Manifest not found for arn {arn}"))
            })?;
        let metadata = match request.get("SAMLMetadataDocument") {
            Some(document) => Some((
                document.to_owned(),
                check_metadata(document, current.create_date)?,
            )),
            None => None,
        };
        self.store
            .update_saml_provider(
                arn,
                &SamlProviderUpdate {
                    metadata,
                    assertion_encryption_mode: mode,
                },
            )
            .await?;
        self.forget_provider(arn);
        let mut xml = XmlWriter::new();
        xml.element("SAMLProviderArn", arn);
        Ok(xml.finish())
    }

    pub(crate) async fn delete_saml_provider(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        // Roles whose trust policies name this provider are left as they are (AWS does the
        // same); assuming them through it then fails with an unknown provider.
        self.store.delete_saml_provider(arn).await?;
        self.forget_provider(arn);
        Ok(String::new())
    }

    pub(crate) async fn tag_saml_provider(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        let tags = validate::tags(request)?;
        self.store.tag_saml_provider(arn, &tags, MAX_TAGS).await?;
        Ok(String::new())
    }

    pub(crate) async fn untag_saml_provider(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        let keys = validate::tag_keys(request)?;
        self.store.untag_saml_provider(arn, &keys).await?;
        Ok(String::new())
    }

    pub(crate) async fn list_saml_provider_tags(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = arn_param(request)?;
        let (marker, max_items) = validate::paging(request)?;
        let tags = self.store.saml_provider_tags(arn).await?;
        let (tags, next) = page(tags, marker.as_deref(), max_items)?;
        let mut xml = XmlWriter::new();
        write_tags(&mut xml, &tags);
        write_truncation(&mut xml, next.as_deref());
        Ok(xml.finish())
    }
}
