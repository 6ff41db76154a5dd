//! `samlp:AuthnRequest` (saml-core-2.0-os §3.4.1) as an identity provider receives it: over
//! HTTP-Redirect (saml-bindings-2.0-os §3.4, a detached signature over the query string) or
//! HTTP-POST (§3.5, an enveloped XML signature).
//!
//! Signature rules ([`RequestKeys`]):
//! - a signature is present and the SP has keys: it must verify with one of them, else
//!   [`Error::RequestSignatureInvalid`]; SHA-1 and anything outside the allow-list of
//!   [`fedgate_dsig::algorithm`] is refused;
//! - the SP has no keys: a signature cannot be checked, so the request counts as unsigned
//!   (no error: the IdP still answers only at the SP's registered endpoints);
//! - the request counts as unsigned and a signature is required: [`Error::RequestUnsigned`].
//!
//! Trust in names: `raw_` values are the query as received (percent-encoded); `unverified_`
//! values come from the document before its signature is checked and are used only to reject.

use fedgate_dsig::{DSIG_NAMESPACE, Policy, SignatureAlgorithm, TrustedKey, verify_enveloped};
use fedgate_xml::{Document, Element, Limits};
use time::{Duration, OffsetDateTime};

use super::text::{bounded, id_invalid, is_xs_id, percent_decode, xs_boolean};
use super::{
    MAX_RELAY_STATE_BYTES, MAX_SIGNATURE_PARAMETER_BYTES, MAX_URI_BYTES, MAX_URL_BYTES, SpMetadata,
};
use crate::{ASSERTION_NS, Error, PROTOCOL_NS, binding, parse_date_time};

/// The HTTP-POST binding URI.
pub(crate) const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What a service provider's request signatures are checked against.
///
/// Build it with [`RequestKeys::for_sp`] from the SP's metadata, or with [`RequestKeys::new`];
/// an IdP that wants every request signed (`WantAuthnRequestsSigned`) passes
/// `signature_required = true` whatever the SP's metadata says. Requiring a signature from an
/// SP with no keys refuses all of its requests (fail closed), since none can be verified.
#[derive(Debug, Clone, Copy)]
pub struct RequestKeys<'a> {
    keys: &'a [TrustedKey],
    signature_required: bool,
}

impl<'a> RequestKeys<'a> {
    /// The keys a request signature may verify with, and whether a request must be signed.
    pub fn new(keys: &'a [TrustedKey], signature_required: bool) -> Self {
        Self {
            keys,
            signature_required,
        }
    }

    /// The SP's signing keys; a signature is required when its metadata says
    /// `AuthnRequestsSigned="true"`.
    pub fn for_sp(sp: &'a SpMetadata) -> Self {
        Self::new(&sp.signing_keys, sp.authn_requests_signed)
    }

    /// The keys.
    pub fn keys(&self) -> &'a [TrustedKey] {
        self.keys
    }

    /// Whether an unsigned request is refused.
    pub fn signature_required(&self) -> bool {
        self.signature_required
    }
}

/// The fields of an `AuthnRequest` the identity provider acts on, each bounded.
///
/// Only [`receive_redirect`] and [`receive_post`] make one (`#[non_exhaustive]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthnRequest {
    /// `ID`: an xs:ID of at most [`MAX_ID_BYTES`](super::MAX_ID_BYTES) bytes; the response's
    /// `InResponseTo`.
    pub id: String,
    /// `saml:Issuer`, trimmed (at most [`MAX_URI_BYTES`]); the SP's entity ID. Optional in
    /// saml-core, required by the Web SSO profile (saml-profiles-2.0-os §4.1.4.1): the caller
    /// decides.
    pub issuer: Option<String>,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// `Destination` (at most [`MAX_URL_BYTES`]); when present the caller compares it with the
    /// URL the request arrived at (saml-bindings-2.0-os §3.4.5.2, §3.5.5.2).
    pub destination: Option<String>,
    /// `AssertionConsumerServiceURL` (at most [`MAX_URL_BYTES`]); never trusted without
    /// [`SpMetadata::assertion_consumer_service`].
    pub assertion_consumer_service_url: Option<String>,
    /// `AssertionConsumerServiceIndex`.
    pub assertion_consumer_service_index: Option<u16>,
    /// `ProtocolBinding` (at most [`MAX_URI_BYTES`]).
    pub protocol_binding: Option<String>,
    /// `ForceAuthn="true"`: authenticate again even with a session.
    pub force_authn: bool,
    /// `IsPassive="true"`: do not interact with the user.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format` (at most [`MAX_URI_BYTES`]).
    pub name_id_policy_format: Option<String>,
}

impl AuthnRequest {
    /// Checks `IssueInstant` at `now`: not more than `skew` in the future and not older than
    /// `max_age` (plus `skew`). saml-core says nothing of request lifetimes; a few minutes
    /// (the time a user takes at the SP before being redirected) is usual.
    ///
    /// # Errors
    /// [`Error::NotYetValid`] when issued in the future; [`Error::Expired`] (bound
    /// `IssueInstant + max age`) when too old, or when `IssueInstant + max_age` is beyond the
    /// representable range (a hostile year-9999 instant is not "fresh forever").
    pub fn check_fresh(
        &self,
        now: OffsetDateTime,
        max_age: Duration,
        skew: Duration,
    ) -> Result<(), Error> {
        let skew_seconds = skew.whole_seconds();
        // `now` and `skew` are the caller's: saturate. `issue_instant` is the sender's: an
        // instant so late that adding `max_age` overflows is refused.
        if self.issue_instant > now.saturating_add(skew) {
            return Err(Error::NotYetValid {
                not_before: self.issue_instant,
                now,
                skew: skew_seconds,
            });
        }
        let expired = |not_on_or_after| Error::Expired {
            bound: "IssueInstant + max age",
            not_on_or_after,
            now,
            skew: skew_seconds,
        };
        let not_on_or_after = self
            .issue_instant
            .checked_add(max_age)
            .ok_or_else(|| expired(self.issue_instant))?;
        if now.saturating_sub(skew) >= not_on_or_after {
            return Err(expired(not_on_or_after));
        }
        Ok(())
    }
}

/// An `AuthnRequest` as received, with its `RelayState` and whether it was signed.
///
/// Only [`receive_redirect`] and [`receive_post`] make one (`#[non_exhaustive]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The request.
    pub request: AuthnRequest,
    /// `RelayState` (percent-decoded for HTTP-Redirect), at most [`MAX_RELAY_STATE_BYTES`];
    /// to be returned unchanged with the response. Covered by the signature on HTTP-Redirect,
    /// never on HTTP-POST.
    pub relay_state: Option<String>,
    /// True only when a signature verified with one of the [`RequestKeys`]; an unsigned
    /// request says nothing about who sent it.
    pub signed: bool,
}

/// The four parameters of an HTTP-Redirect query, as received (still percent-encoded).
#[derive(Default)]
struct RawQuery<'q> {
    saml_request: Option<&'q str>,
    relay_state: Option<&'q str>,
    sig_alg: Option<&'q str>,
    signature: Option<&'q str>,
}

impl<'q> RawQuery<'q> {
    /// Splits `raw_query` on `&` and each parameter on its first `=`. Parameter names are
    /// compared percent-decoded, so `SAML%52equest` is a second `SAMLRequest`; any of the four
    /// appearing twice is refused (the verifier and the consumer must not pick different
    /// copies). Other parameters are ignored, as saml-bindings-2.0-os §3.4.4.1 allows.
    fn split(raw_query: &'q str) -> Result<Self, Error> {
        let mut query = Self::default();
        for parameter in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = parameter.split_once('=').unwrap_or((parameter, ""));
            let name = percent_decode(raw_name).ok_or_else(|| {
                query_invalid("a parameter name has an invalid percent escape".to_owned())
            })?;
            let (slot, name) = match name.as_slice() {
                b"SAMLRequest" => (&mut query.saml_request, "SAMLRequest"),
                b"RelayState" => (&mut query.relay_state, "RelayState"),
                b"SigAlg" => (&mut query.sig_alg, "SigAlg"),
                b"Signature" => (&mut query.signature, "Signature"),
                _ => continue,
            };
            if slot.replace(raw_value).is_some() {
                return Err(query_invalid(format!("{name} appears more than once")));
            }
        }
        Ok(query)
    }
}

/// Receives an `AuthnRequest` over HTTP-Redirect (saml-bindings-2.0-os §3.4).
///
/// `raw_query` is the URL's query string exactly as received: after the `?`, still
/// percent-encoded. `SAMLRequest` is base64 of raw DEFLATE, inflated to at most
/// `limits.max_bytes` ([`binding::decode_redirect`]). When `Signature` is present (with
/// `SigAlg`) and `keys` has keys, the signed octets are
/// `SAMLRequest=<value>[&RelayState=<value>]&SigAlg=<value>` with each value exactly as it
/// appears in `raw_query` (§3.4.4.1: never re-encoded, so `%2f` and `%2F` are different
/// octets), and one key must verify them. The signature is checked before the request is
/// inflated and parsed. An XML signature inside the request is not part of this binding
/// (§3.4.4.1 requires it removed) and is ignored.
///
/// # Errors
/// [`Error::QueryInvalid`] for a missing or repeated parameter, `SigAlg` without `Signature` or
/// the reverse, a bad percent escape, or a value beyond its bound;
/// [`Error::RequestSignatureInvalid`]; [`Error::RequestUnsigned`]; the binding's and the
/// parser's errors; the request's ([`receive_post`]).
pub fn receive_redirect(
    raw_query: &str,
    keys: RequestKeys<'_>,
    limits: &Limits,
) -> Result<ReceivedRequest, Error> {
    let query = RawQuery::split(raw_query)?;
    let raw_request = query
        .saml_request
        .ok_or_else(|| query_invalid("no SAMLRequest parameter".to_owned()))?;
    let raw_signature = match (query.sig_alg, query.signature) {
        (Some(sig_alg), Some(signature)) => Some((sig_alg, signature)),
        (None, None) => None,
        (Some(_), None) => return Err(query_invalid("SigAlg without Signature".to_owned())),
        (None, Some(_)) => return Err(query_invalid("Signature without SigAlg".to_owned())),
    };
    let relay_state = query
        .relay_state
        .map(|raw| {
            if raw.len() > 3 * MAX_RELAY_STATE_BYTES {
                return Err(query_invalid(format!(
                    "RelayState longer than {MAX_RELAY_STATE_BYTES} bytes"
                )));
            }
            let bytes = percent_decode(raw).ok_or_else(|| {
                query_invalid("RelayState has an invalid percent escape".to_owned())
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| query_invalid("RelayState is not UTF-8".to_owned()))?;
            check_relay_state(&text)?;
            Ok(text)
        })
        .transpose()?;

    let signed = match raw_signature {
        Some((raw_sig_alg, raw_signature)) if !keys.keys.is_empty() => {
            let mut octets = String::with_capacity(raw_request.len() + 256);
            octets.push_str("SAMLRequest=");
            octets.push_str(raw_request);
            if let Some(raw_relay_state) = query.relay_state {
                octets.push_str("&RelayState=");
                octets.push_str(raw_relay_state);
            }
            octets.push_str("&SigAlg=");
            octets.push_str(raw_sig_alg);
            verify_query_signature(octets.as_bytes(), raw_sig_alg, raw_signature, keys.keys)?;
            true
        }
        _ => false,
    };
    if !signed && keys.signature_required {
        return Err(Error::RequestUnsigned);
    }

    let encoded = percent_decode(raw_request)
        .ok_or_else(|| query_invalid("SAMLRequest has an invalid percent escape".to_owned()))?;
    // Base64 is ASCII: anything else fails base64 decoding below, after the size check.
    let encoded = String::from_utf8_lossy(&encoded);
    let xml = binding::decode_redirect(&encoded, limits.max_bytes)?;
    let document = Document::parse(xml.trim_start_matches('\u{feff}'), limits)?;
    // INVARIANT: when `signed`, the whole inflated document is what the query signature covers.
    let request = read_authn_request(document.root_element())?;
    Ok(ReceivedRequest {
        request,
        relay_state,
        signed,
    })
}

/// Verifies the detached signature of an HTTP-Redirect query with any of `keys`.
fn verify_query_signature(
    octets: &[u8],
    raw_sig_alg: &str,
    raw_signature: &str,
    keys: &[TrustedKey],
) -> Result<(), Error> {
    let refused = Error::RequestSignatureInvalid;
    let sig_alg = percent_decode(raw_sig_alg)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|uri| uri.len() <= MAX_URI_BYTES)
        .ok_or_else(|| query_invalid("SigAlg is not a percent-encoded URI".to_owned()))?;
    let algorithm = SignatureAlgorithm::from_uri(&sig_alg).map_err(refused)?;
    if raw_signature.len() > MAX_SIGNATURE_PARAMETER_BYTES {
        return Err(query_invalid(format!(
            "Signature longer than {MAX_SIGNATURE_PARAMETER_BYTES} bytes"
        )));
    }
    let signature = percent_decode(raw_signature)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| fedgate_dsig::decode_base64(&text))
        .ok_or_else(|| {
            refused(fedgate_dsig::Error::Malformed {
                detail: "the Signature parameter is not base64".to_owned(),
            })
        })?;
    let mut error = fedgate_dsig::Error::SignatureInvalid;
    for key in keys {
        match key.verify_detached(algorithm, octets, &signature) {
            Ok(()) => return Ok(()),
            // Not specific to one key (SHA-1), or a trust set that must not be used (a weak
            // key): refuse at once, as verify_enveloped does.
            Err(
                other @ (fedgate_dsig::Error::Sha1NotAllowed { .. }
                | fedgate_dsig::Error::KeyTooWeak { .. }),
            ) => return Err(refused(other)),
            Err(other) => error = other,
        }
    }
    Err(refused(error))
}

/// Receives an `AuthnRequest` over HTTP-POST (saml-bindings-2.0-os §3.5): `saml_request` is
/// the `SAMLRequest` form value (base64, white space allowed, decoded to at most
/// `limits.max_bytes`), `relay_state` the `RelayState` form value.
///
/// A `ds:Signature` child of the request is verified with [`verify_enveloped`] under the
/// default [`Policy`] (no SHA-1, no weak RSA) when `keys` has keys, and the request's fields are
/// then read only from the element the verification returns. `RelayState` is a form field
/// outside the XML: no signature covers it on this binding.
///
/// # Errors
/// [`Error::RequestInvalid`] for a `RelayState` beyond its bound; the binding's and the parser's
/// errors; [`Error::NotAnAuthnRequest`]; [`Error::RequestSignatureInvalid`] (also for more than
/// one `ds:Signature` child); [`Error::RequestUnsigned`]; [`Error::VersionUnsupported`],
/// [`Error::IdInvalid`], [`Error::TimestampInvalid`] and [`Error::RequestInvalid`] for the
/// request's attributes and elements.
pub fn receive_post(
    saml_request: &str,
    relay_state: Option<&str>,
    keys: RequestKeys<'_>,
    limits: &Limits,
) -> Result<ReceivedRequest, Error> {
    if let Some(relay_state) = relay_state {
        check_relay_state(relay_state)?;
    }
    let xml = binding::decode_post(saml_request, limits.max_bytes)?;
    let document = Document::parse(xml.trim_start_matches('\u{feff}'), limits)?;
    let unverified_request = document.root_element();
    check_element(unverified_request)?;
    let mut signatures = unverified_request.children_named(DSIG_NAMESPACE, "Signature");
    let signature = signatures.next();
    if signatures.next().is_some() {
        return Err(Error::RequestSignatureInvalid(
            fedgate_dsig::Error::Malformed {
                detail: "the request has more than one Signature".to_owned(),
            },
        ));
    }
    let (request, signed) = match signature {
        Some(signature) if !keys.keys.is_empty() => {
            let verified = verify_enveloped(&document, signature, keys.keys, &Policy::default())
                .map_err(Error::RequestSignatureInvalid)?;
            // INVARIANT: the request is read only from the element the signature covers (the
            // Signature's parent, so the document element itself).
            (read_authn_request(verified.element())?, true)
        }
        _ if keys.signature_required => return Err(Error::RequestUnsigned),
        _ => (read_authn_request(unverified_request)?, false),
    };
    Ok(ReceivedRequest {
        request,
        relay_state: relay_state.map(str::to_owned),
        signed,
    })
}

fn check_relay_state(relay_state: &str) -> Result<(), Error> {
    if relay_state.len() > MAX_RELAY_STATE_BYTES {
        return Err(Error::RequestInvalid {
            detail: format!("RelayState longer than {MAX_RELAY_STATE_BYTES} bytes"),
        });
    }
    Ok(())
}

fn check_element(element: Element<'_, '_>) -> Result<(), Error> {
    if element.is(PROTOCOL_NS, "AuthnRequest") {
        Ok(())
    } else {
        Err(Error::NotAnAuthnRequest {
            found: element.local_name().chars().take(64).collect(),
        })
    }
}

/// Reads and bounds the fields of an `AuthnRequest` element.
fn read_authn_request(element: Element<'_, '_>) -> Result<AuthnRequest, Error> {
    check_element(element)?;
    match element.attribute("Version") {
        Some("2.0") => {}
        other => {
            return Err(Error::VersionUnsupported {
                version: other.unwrap_or("missing").chars().take(16).collect(),
            });
        }
    }
    let id = element
        .attribute("ID")
        .ok_or_else(|| request_invalid("the request has no ID"))?;
    if !is_xs_id(id) {
        return Err(id_invalid(id));
    }
    let issue_instant = element
        .attribute("IssueInstant")
        .ok_or_else(|| request_invalid("the request has no IssueInstant"))?;
    let issue_instant = parse_date_time(issue_instant).ok_or(Error::TimestampInvalid {
        attribute: "IssueInstant",
    })?;

    let optional = |name: &str, max: usize| -> Result<Option<String>, Error> {
        element
            .attribute(name)
            .map(|value| {
                bounded(value, max)
                    .map(str::to_owned)
                    .ok_or_else(|| request_invalid(&format!("{name} longer than {max} bytes")))
            })
            .transpose()
    };
    let flag = |name: &str| {
        xs_boolean(element.attribute(name), false)
            .ok_or_else(|| request_invalid(&format!("{name} is not an xs:boolean")))
    };
    let assertion_consumer_service_url = optional("AssertionConsumerServiceURL", MAX_URL_BYTES)?;
    let protocol_binding = optional("ProtocolBinding", MAX_URI_BYTES)?;
    let assertion_consumer_service_index = element
        .attribute("AssertionConsumerServiceIndex")
        .map(|index| {
            index.trim().parse::<u16>().map_err(|_| {
                request_invalid("AssertionConsumerServiceIndex is not an xs:unsignedShort")
            })
        })
        .transpose()?;
    if assertion_consumer_service_index.is_some()
        && (assertion_consumer_service_url.is_some() || protocol_binding.is_some())
    {
        // saml-core-2.0-os §3.4.1: the index "is mutually exclusive with the
        // AssertionConsumerServiceURL and ProtocolBinding attributes"; with both, which one
        // the IdP obeyed would be a guess.
        return Err(request_invalid(
            "AssertionConsumerServiceIndex together with AssertionConsumerServiceURL or ProtocolBinding",
        ));
    }

    let issuer = match element.first_child_named(ASSERTION_NS, "Issuer") {
        Some(issuer) => {
            let text = issuer.text()?;
            let text = text.trim();
            let text = bounded(text, MAX_URI_BYTES).ok_or_else(|| {
                request_invalid(&format!("Issuer longer than {MAX_URI_BYTES} bytes"))
            })?;
            (!text.is_empty()).then(|| text.to_owned())
        }
        None => None,
    };
    let name_id_policy_format = match element.first_child_named(PROTOCOL_NS, "NameIDPolicy") {
        Some(policy) => policy
            .attribute("Format")
            .map(|format| {
                bounded(format, MAX_URI_BYTES)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        request_invalid(&format!(
                            "NameIDPolicy Format longer than {MAX_URI_BYTES} bytes"
                        ))
                    })
            })
            .transpose()?,
        None => None,
    };

    Ok(AuthnRequest {
        id: id.to_owned(),
        issuer,
        issue_instant,
        destination: optional("Destination", MAX_URL_BYTES)?,
        assertion_consumer_service_url,
        assertion_consumer_service_index,
        protocol_binding,
        force_authn: flag("ForceAuthn")?,
        is_passive: flag("IsPassive")?,
        name_id_policy_format,
    })
}

fn request_invalid(detail: &str) -> Error {
    Error::RequestInvalid {
        detail: detail.to_owned(),
    }
}

fn query_invalid(detail: String) -> Error {
    Error::QueryInvalid { detail }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn request(attributes: &str, children: &str) -> Result<AuthnRequest, Error> {
        let xml = format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" {attributes}>{children}</samlp:AuthnRequest>"#
        );
        let document = Document::parse(&xml, &Limits::default()).unwrap();
        read_authn_request(document.root_element())
    }

    const BASE: &str = r#"ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z""#;

    #[test]
    fn reads_every_field() {
        let parsed = request(
            &format!(
                r#"{BASE} Destination="https://idp.test/sso" AssertionConsumerServiceURL="https://sp.test/acs" ProtocolBinding="{HTTP_POST}" ForceAuthn="1" IsPassive="false""#
            ),
            r#"<saml:Issuer> https://sp.test </saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>"#,
        )
        .unwrap();
        assert_eq!(parsed.id, "_r1");
        assert_eq!(parsed.issuer.as_deref(), Some("https://sp.test"));
        assert_eq!(parsed.issue_instant, datetime!(2026-01-01 00:00:00 UTC));
        assert_eq!(parsed.destination.as_deref(), Some("https://idp.test/sso"));
        assert_eq!(
            parsed.assertion_consumer_service_url.as_deref(),
            Some("https://sp.test/acs")
        );
        assert_eq!(parsed.protocol_binding.as_deref(), Some(HTTP_POST));
        assert!(parsed.force_authn && !parsed.is_passive);
        assert_eq!(
            parsed.name_id_policy_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
        );
    }

    #[test]
    fn refuses_malformed_requests_with_their_reason() {
        let long_url = format!("https://sp.test/{}", "a".repeat(MAX_URL_BYTES));
        let long_issuer = format!(
            "<saml:Issuer>{}</saml:Issuer>",
            "a".repeat(MAX_URI_BYTES + 1)
        );
        let cases: Vec<(String, &str, &str)> = vec![
            (
                r#"ID="_r1" IssueInstant="2026-01-01T00:00:00Z""#.into(),
                "",
                "version_unsupported",
            ),
            (
                r#"ID="_r1" Version="1.1" IssueInstant="2026-01-01T00:00:00Z""#.into(),
                "",
                "version_unsupported",
            ),
            (
                r#"Version="2.0" IssueInstant="2026-01-01T00:00:00Z""#.into(),
                "",
                "request_invalid",
            ),
            (
                r#"ID="1r" Version="2.0" IssueInstant="2026-01-01T00:00:00Z""#.into(),
                "",
                "id_invalid",
            ),
            (
                format!(
                    r#"ID="_{}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z""#,
                    "a".repeat(256)
                ),
                "",
                "id_invalid",
            ),
            (r#"ID="_r1" Version="2.0""#.into(), "", "request_invalid"),
            (
                r#"ID="_r1" Version="2.0" IssueInstant="yesterday""#.into(),
                "",
                "timestamp_invalid",
            ),
            (format!(r#"{BASE} ForceAuthn="yes""#), "", "request_invalid"),
            (
                format!(r#"{BASE} AssertionConsumerServiceIndex="65536""#),
                "",
                "request_invalid",
            ),
            (
                format!(
                    r#"{BASE} AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="https://sp.test/acs""#
                ),
                "",
                "request_invalid",
            ),
            (
                format!(r#"{BASE} AssertionConsumerServiceURL="{long_url}""#),
                "",
                "request_invalid",
            ),
            (BASE.into(), &long_issuer, "request_invalid"),
            (
                BASE.into(),
                "<saml:Issuer>a<b/></saml:Issuer>",
                "value_malformed",
            ),
        ];
        for (attributes, children, code) in cases {
            let error = request(&attributes, children).unwrap_err();
            assert_eq!(error.code(), code, "{attributes} {children}: {error}");
        }
    }

    #[test]
    fn freshness_is_bounded_on_both_sides_and_never_overflows() {
        let parsed = request(BASE, "").unwrap();
        let max_age = Duration::minutes(5);
        let skew = Duration::seconds(30);
        let at = |now| parsed.check_fresh(now, max_age, skew).map_err(|e| e.code());
        assert_eq!(at(datetime!(2026-01-01 00:00:00 UTC)), Ok(()));
        assert_eq!(at(datetime!(2025-12-31 23:59:30 UTC)), Ok(()));
        assert_eq!(at(datetime!(2025-12-31 23:59:29 UTC)), Err("not_yet_valid"));
        assert_eq!(at(datetime!(2026-01-01 00:05:29 UTC)), Ok(()));
        assert_eq!(at(datetime!(2026-01-01 00:05:30 UTC)), Err("expired"));

        let far = request(
            r#"ID="_r1" Version="2.0" IssueInstant="9999-12-31T23:59:59Z""#,
            "",
        )
        .unwrap();
        let end_of_time = datetime!(9999-12-31 23:59:50 UTC);
        let fresh_at = |request: &AuthnRequest, now, max_age, skew| {
            request
                .check_fresh(now, max_age, skew)
                .map_err(|e| e.code())
        };
        assert_eq!(
            fresh_at(&far, end_of_time, Duration::days(1), skew),
            Err("expired"),
            "IssueInstant + max age beyond the range is not fresh forever"
        );
        assert_eq!(
            fresh_at(&far, datetime!(2026-01-01 00:00:00 UTC), max_age, skew),
            Err("not_yet_valid")
        );
        assert_eq!(
            fresh_at(
                &parsed,
                datetime!(2026-01-01 00:00:00 UTC),
                max_age,
                Duration::MAX
            ),
            Ok(()),
            "the caller's own values saturate"
        );
    }

    #[test]
    fn splits_queries_and_refuses_duplicates_under_any_spelling() {
        let query = RawQuery::split("a=1&SAMLRequest=x%2B&&RelayState=r=s&SigAlg&z").unwrap();
        assert_eq!(query.saml_request, Some("x%2B"));
        assert_eq!(query.relay_state, Some("r=s"));
        assert_eq!(query.sig_alg, Some(""));
        assert_eq!(query.signature, None);
        for duplicated in [
            "SAMLRequest=a&SAMLRequest=b",
            "SAMLRequest=a&SAML%52equest=b",
            "RelayState=a&SAMLRequest=b&RelayState=",
            "Signature=a&Signature=a",
        ] {
            assert_eq!(
                RawQuery::split(duplicated).map(|_| ()).unwrap_err().code(),
                "query_invalid",
                "{duplicated}"
            );
        }
    }
}
