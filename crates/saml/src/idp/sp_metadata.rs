//! Service-provider metadata (saml-metadata-2.0-os §2.4.4 `SPSSODescriptor`): where to send
//! assertions and which keys sign the SP's requests.
//!
//! Metadata is configuration an administrator uploads; its own signature is not checked here
//! (as for identity-provider metadata in [`crate::metadata`]).

use fedgate_dsig::TrustedKey;
use fedgate_xml::{Document, Element, Limits};
use time::OffsetDateTime;

use super::authn_request::{AuthnRequest, HTTP_POST};
use super::text::{bounded, xs_boolean};
use super::{MAX_URI_BYTES, MAX_URL_BYTES};
use crate::{Error, METADATA_NS, PROTOCOL_NS, parse_date_time};

/// Most `AssertionConsumerService` endpoints read for one service provider: 64. Real SPs list a
/// handful (a Shibboleth SP's generated metadata has 8, one per binding and protocol version).
pub const MAX_ENDPOINTS: usize = 64;

/// One `AssertionConsumerService` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The `Binding` URI (for responses from fedgate: HTTP-POST).
    pub binding: String,
    /// The `Location`: an `http` or `https` URL.
    pub location: String,
    /// The `index` the SP's requests may name it by.
    pub index: Option<u16>,
    /// `isDefault="true"`.
    pub is_default: bool,
}

/// What the identity provider needs to know about one service provider.
#[derive(Debug, Clone)]
pub struct SpMetadata {
    /// The `entityID`: the audience of the assertions issued for it.
    pub entity_id: String,
    /// The `AssertionConsumerService` endpoints, in document order; never empty when read by
    /// [`parse_sp_metadata`].
    pub assertion_consumer_services: Vec<Endpoint>,
    /// Keys that verify the SP's request signatures: the certificates of `KeyDescriptor`s with
    /// `use="signing"` or without `use`.
    pub signing_keys: Vec<TrustedKey>,
    /// `AuthnRequestsSigned="true"`: the SP signs its requests, so an unsigned one is refused
    /// (see [`RequestKeys::for_sp`](super::RequestKeys::for_sp)).
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned="true"`.
    pub want_assertions_signed: bool,
    /// The earliest `validUntil` of the entity and its enclosing groups, if any; the caller
    /// decides what an expired document means.
    pub valid_until: Option<OffsetDateTime>,
}

impl SpMetadata {
    /// The endpoint to send the response to `request` to, over HTTP-POST (the only binding
    /// fedgate answers with): saml-profiles-2.0-os §4.1.4.1 and saml-metadata-2.0-os §2.2.3.
    ///
    /// - `AssertionConsumerServiceIndex`: the endpoint with that index;
    /// - `AssertionConsumerServiceURL`: an endpoint registered with exactly that location (the
    ///   profile requires the IdP to check it against metadata; a URL is never trusted because
    ///   a request, signed or not, names it);
    /// - neither: the HTTP-POST endpoint with `isDefault="true"`, else the first HTTP-POST
    ///   endpoint. (saml-metadata §2.2.3 prefers an endpoint without `isDefault` over one with
    ///   `isDefault="false"`; [`Endpoint::is_default`] does not keep that distinction.)
    ///
    /// # Errors
    /// [`Error::AcsNotRegistered`] when the named endpoint is not registered, is not
    /// HTTP-POST, or the request asks for another `ProtocolBinding`.
    pub fn assertion_consumer_service(&self, request: &AuthnRequest) -> Result<&Endpoint, Error> {
        if let Some(binding) = request
            .protocol_binding
            .as_deref()
            .filter(|binding| *binding != HTTP_POST)
        {
            return Err(Error::AcsNotRegistered {
                requested: format!("ProtocolBinding {binding}"),
            });
        }
        let post = || {
            self.assertion_consumer_services
                .iter()
                .filter(|endpoint| endpoint.binding == HTTP_POST)
        };
        let found = if let Some(index) = request.assertion_consumer_service_index {
            post()
                .find(|endpoint| endpoint.index == Some(index))
                .ok_or_else(|| Error::AcsNotRegistered {
                    requested: format!("AssertionConsumerServiceIndex {index}"),
                })?
        } else if let Some(url) = &request.assertion_consumer_service_url {
            post()
                .find(|endpoint| endpoint.location == *url)
                .ok_or_else(|| Error::AcsNotRegistered {
                    requested: format!("AssertionConsumerServiceURL {url}"),
                })?
        } else {
            post()
                .find(|endpoint| endpoint.is_default)
                .or_else(|| post().next())
                .ok_or_else(|| Error::AcsNotRegistered {
                    requested: "an HTTP-POST AssertionConsumerService".to_owned(),
                })?
        };
        Ok(found)
    }
}

/// Reads a service provider's metadata: an `md:EntityDescriptor`, or an
/// `md:EntitiesDescriptor` (groups may nest) holding exactly one entity with a SAML 2.0
/// `SPSSODescriptor`.
///
/// # Errors
/// [`Error::SpMetadataInvalid`] when the document is not SAML metadata, has no SAML 2.0
/// `SPSSODescriptor` or more than one, no `AssertionConsumerService`, an endpoint without a
/// binding or with a `Location` that is not an `http`/`https` URL, or a value beyond its bound;
/// [`Error::Key`] for an unusable signing certificate (including RSA keys under 2048 bits);
/// the parser's errors ([`Error::XmlMalformed`], [`Error::XmlDtdForbidden`], …).
pub fn parse_sp_metadata(xml: &str, limits: &Limits) -> Result<SpMetadata, Error> {
    let document = Document::parse(xml.trim_start_matches('\u{feff}'), limits)?;
    let mut found = Vec::new();
    collect(document.root_element(), None, &mut found)?;
    match found.as_slice() {
        [(entity, descriptor, valid_until)] => {
            read_service_provider(*entity, *descriptor, *valid_until)
        }
        [] => Err(invalid("no SAML 2.0 SPSSODescriptor found")),
        several => Err(invalid(&format!(
            "{} SAML 2.0 SPSSODescriptors found; upload the metadata of one service provider",
            several.len()
        ))),
    }
}

type Found<'a, 'i> = (Element<'a, 'i>, Element<'a, 'i>, Option<OffsetDateTime>);

/// Every SAML 2.0 `SPSSODescriptor` below `element`, with its entity and effective
/// `validUntil`. Recursion follows nested `EntitiesDescriptor`s, as deep as the parser's depth
/// limit allows.
fn collect<'a, 'i>(
    element: Element<'a, 'i>,
    inherited_valid_until: Option<OffsetDateTime>,
    found: &mut Vec<Found<'a, 'i>>,
) -> Result<(), Error> {
    let own = element
        .attribute("validUntil")
        .map(|value| {
            parse_date_time(value)
                .ok_or_else(|| invalid(&format!("validUntil {value:?} is not a date-time")))
        })
        .transpose()?;
    // The earliest validUntil of the entity and its enclosing groups applies.
    let valid_until = match (own, inherited_valid_until) {
        (Some(own), Some(inherited)) => Some(own.min(inherited)),
        (own, inherited) => own.or(inherited),
    };
    if element.is(METADATA_NS, "EntitiesDescriptor") {
        for child in element.children() {
            if child.is(METADATA_NS, "EntitiesDescriptor")
                || child.is(METADATA_NS, "EntityDescriptor")
            {
                collect(child, valid_until, found)?;
            }
        }
        return Ok(());
    }
    if !element.is(METADATA_NS, "EntityDescriptor") {
        return Err(invalid(&format!(
            "expected md:EntityDescriptor or md:EntitiesDescriptor, found <{}>",
            element.local_name()
        )));
    }
    for descriptor in element.children_named(METADATA_NS, "SPSSODescriptor") {
        let saml2 = descriptor
            .attribute("protocolSupportEnumeration")
            .is_some_and(|protocols| protocols.split_ascii_whitespace().any(|p| p == PROTOCOL_NS));
        if saml2 {
            found.push((element, descriptor, valid_until));
        }
    }
    Ok(())
}

fn read_service_provider(
    entity: Element<'_, '_>,
    descriptor: Element<'_, '_>,
    valid_until: Option<OffsetDateTime>,
) -> Result<SpMetadata, Error> {
    let entity_id = entity
        .attribute("entityID")
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| invalid("EntityDescriptor without entityID"))?;
    let entity_id = bounded(entity_id, MAX_URI_BYTES)
        .ok_or_else(|| invalid(&format!("entityID longer than {MAX_URI_BYTES} bytes")))?;

    let mut assertion_consumer_services = Vec::new();
    for endpoint in descriptor.children_named(METADATA_NS, "AssertionConsumerService") {
        if assertion_consumer_services.len() >= MAX_ENDPOINTS {
            return Err(invalid(&format!(
                "more than {MAX_ENDPOINTS} AssertionConsumerService endpoints"
            )));
        }
        assertion_consumer_services.push(read_endpoint(endpoint)?);
    }
    if assertion_consumer_services.is_empty() {
        return Err(invalid(
            "the SPSSODescriptor has no AssertionConsumerService",
        ));
    }

    let flag = |name: &str| {
        xs_boolean(descriptor.attribute(name), false)
            .ok_or_else(|| invalid(&format!("{name} is not an xs:boolean")))
    };
    Ok(SpMetadata {
        entity_id: entity_id.to_owned(),
        assertion_consumer_services,
        signing_keys: signing_keys(descriptor)?,
        authn_requests_signed: flag("AuthnRequestsSigned")?,
        want_assertions_signed: flag("WantAssertionsSigned")?,
        valid_until,
    })
}

fn read_endpoint(endpoint: Element<'_, '_>) -> Result<Endpoint, Error> {
    let binding = endpoint
        .attribute("Binding")
        .filter(|binding| !binding.is_empty())
        .ok_or_else(|| invalid("AssertionConsumerService without Binding"))?;
    let binding = bounded(binding, MAX_URI_BYTES)
        .ok_or_else(|| invalid(&format!("Binding longer than {MAX_URI_BYTES} bytes")))?;
    let location = endpoint
        .attribute("Location")
        .ok_or_else(|| invalid("AssertionConsumerService without Location"))?;
    if !is_http_url(location) {
        return Err(invalid(&format!(
            "AssertionConsumerService Location {:?} is not an http(s) URL of at most {MAX_URL_BYTES} bytes",
            location.chars().take(120).collect::<String>()
        )));
    }
    let index = endpoint
        .attribute("index")
        .map(|index| {
            index
                .trim()
                .parse::<u16>()
                .map_err(|_| invalid(&format!("index {index:?} is not an xs:unsignedShort")))
        })
        .transpose()?;
    let is_default = xs_boolean(endpoint.attribute("isDefault"), false)
        .ok_or_else(|| invalid("isDefault is not an xs:boolean"))?;
    Ok(Endpoint {
        binding: binding.to_owned(),
        location: location.to_owned(),
        index,
        is_default,
    })
}

/// An absolute `http`/`https` URL with a host, at most [`MAX_URL_BYTES`] bytes, with no white
/// space or control characters (the IdP writes it into an HTML form action).
fn is_http_url(location: &str) -> bool {
    let lower_scheme = |scheme: &str| {
        location
            .get(..scheme.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
    };
    let rest = if lower_scheme("https://") {
        location.get("https://".len()..)
    } else if lower_scheme("http://") {
        location.get("http://".len()..)
    } else {
        None
    };
    location.len() <= MAX_URL_BYTES
        && rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !location
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
}

/// The SP's signing keys, read as an IdP's are (RSA under 2048 bits refused); a problem is
/// reported as SP metadata.
fn signing_keys(descriptor: Element<'_, '_>) -> Result<Vec<TrustedKey>, Error> {
    crate::metadata::signing_keys(descriptor, crate::metadata::RsaKeys::Standard).map_err(|error| {
        match error {
            Error::MetadataInvalid { detail } => Error::SpMetadataInvalid { detail },
            other => other,
        }
    })
}

fn invalid(detail: &str) -> Error {
    Error::SpMetadataInvalid {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_absolute_http_urls() {
        for good in [
            "https://sp.example.test/acs",
            "HTTP://sp.example.test:8080/acs?x=1",
            "https://sp",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "ftp://sp.example.test/",
            "/acs",
            "https://sp.example.test/a b",
            "https://sp.example.test/\u{7f}",
            "data:text/html,<script>",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
        let long = format!("https://sp.example.test/{}", "a".repeat(MAX_URL_BYTES));
        assert!(!is_http_url(&long));
    }
}
