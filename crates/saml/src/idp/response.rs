//! The `samlp:Response` an identity provider sends over HTTP-POST: one bearer `saml:Assertion`
//! as the Web SSO profile (saml-profiles-2.0-os §4.1.4.2) and AWS want it, then signed.

use fedgate_dsig::{SigningKey, sign_enveloped};
use fedgate_xml::{Document, Limits};
use time::OffsetDateTime;

use super::XmlId;
use super::text::{date_time, escape_into, push_attribute, push_text_element};
use crate::{ASSERTION_NS, Attribute, Error, NameId, PROTOCOL_NS};

/// The authentication context class of a password sent over TLS (saml-authn-context-2.0-os
/// §3.4.7), the default of [`ResponseSpec::authn_context_class_ref`].
pub const PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Everything a response says. The caller chooses every value, including the IDs (random,
/// saml-core-2.0-os §1.3.4) and the instants (from its clock); [`build_response`] only writes.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// This identity provider's entity ID: the `Issuer` of the Response and the Assertion.
    pub issuer: String,
    /// The ACS URL the response is posted to: the Response's `Destination` and the bearer
    /// confirmation's `Recipient`.
    pub destination: String,
    /// The service provider's entity ID: the one `Audience`.
    pub audience: String,
    /// The request answered (`InResponseTo` on the Response and the confirmation); `None` for
    /// an IdP-initiated response.
    pub in_response_to: Option<String>,
    /// The Response's `ID`.
    pub response_id: XmlId,
    /// The Assertion's `ID` (what an SP's replay cache remembers).
    pub assertion_id: XmlId,
    /// `IssueInstant` of the Response and the Assertion.
    pub issue_instant: OffsetDateTime,
    /// `Conditions/@NotBefore`.
    pub not_before: OffsetDateTime,
    /// `Conditions/@NotOnOrAfter`.
    pub not_on_or_after: OffsetDateTime,
    /// `SubjectConfirmationData/@NotOnOrAfter`: how long the response may take to be
    /// delivered (a few minutes).
    pub subject_not_on_or_after: OffsetDateTime,
    /// The subject's `NameID` (its value, and `Format`, `NameQualifier`, `SPNameQualifier` when
    /// given).
    pub name_id: NameId,
    /// `AuthnStatement/@SessionIndex`.
    pub session_index: String,
    /// `AuthnStatement/@AuthnInstant`: when the user authenticated.
    pub authn_instant: OffsetDateTime,
    /// `AuthnStatement/@SessionNotOnOrAfter` (AWS caps the console session with it).
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// `AuthnContextClassRef`; `None` for [`PASSWORD_PROTECTED_TRANSPORT`].
    pub authn_context_class_ref: Option<String>,
    /// The attributes (`Name`, and `NameFormat`, `FriendlyName` when given, each value an
    /// `AttributeValue`); no `AttributeStatement` when empty.
    pub attributes: Vec<Attribute>,
}

/// Writes the unsigned response `spec` describes: a `samlp:Response` with status Success and
/// one `saml:Assertion` (Issuer; Subject with the NameID and a bearer SubjectConfirmation whose
/// data names Recipient, NotOnOrAfter and InResponseTo; Conditions with one
/// AudienceRestriction; an AuthnStatement; an AttributeStatement when there are attributes).
///
/// Every value is escaped ([`XmlId`] values need no escaping but get it anyway), so what an SP
/// reads back is exactly what `spec` holds, except characters XML 1.0 cannot carry (C0 controls
/// other than tab, line feed and carriage return; U+FFFE, U+FFFF), which become U+FFFD. The
/// Assertion declares the `saml` namespace itself, so it stands alone once cut out.
pub fn build_response(spec: &ResponseSpec) -> String {
    let mut out = String::with_capacity(
        2048 + spec
            .attributes
            .iter()
            .map(|a| a.name.len() + a.values.iter().map(String::len).sum::<usize>() + 128)
            .sum::<usize>(),
    );
    let instant = date_time(spec.issue_instant);

    out.push_str("<samlp:Response");
    push_attribute(&mut out, "xmlns:samlp", PROTOCOL_NS);
    push_attribute(&mut out, "xmlns:saml", ASSERTION_NS);
    push_attribute(&mut out, "ID", spec.response_id.as_str());
    push_attribute(&mut out, "Version", "2.0");
    push_attribute(&mut out, "IssueInstant", &instant);
    push_attribute(&mut out, "Destination", &spec.destination);
    if let Some(in_response_to) = &spec.in_response_to {
        push_attribute(&mut out, "InResponseTo", in_response_to);
    }
    out.push('>');
    push_text_element(&mut out, "saml:Issuer", &spec.issuer);
    out.push_str("<samlp:Status><samlp:StatusCode");
    push_attribute(&mut out, "Value", STATUS_SUCCESS);
    out.push_str("/></samlp:Status>");

    out.push_str("<saml:Assertion");
    push_attribute(&mut out, "xmlns:saml", ASSERTION_NS);
    push_attribute(&mut out, "ID", spec.assertion_id.as_str());
    push_attribute(&mut out, "Version", "2.0");
    push_attribute(&mut out, "IssueInstant", &instant);
    out.push('>');
    push_text_element(&mut out, "saml:Issuer", &spec.issuer);

    out.push_str("<saml:Subject><saml:NameID");
    let name_id = &spec.name_id;
    for (name, value) in [
        ("Format", &name_id.format),
        ("NameQualifier", &name_id.name_qualifier),
        ("SPNameQualifier", &name_id.sp_name_qualifier),
    ] {
        if let Some(value) = value {
            push_attribute(&mut out, name, value);
        }
    }
    out.push('>');
    escape_into(&mut out, &name_id.value);
    out.push_str("</saml:NameID><saml:SubjectConfirmation");
    push_attribute(&mut out, "Method", BEARER);
    out.push_str("><saml:SubjectConfirmationData");
    push_attribute(
        &mut out,
        "NotOnOrAfter",
        &date_time(spec.subject_not_on_or_after),
    );
    push_attribute(&mut out, "Recipient", &spec.destination);
    if let Some(in_response_to) = &spec.in_response_to {
        push_attribute(&mut out, "InResponseTo", in_response_to);
    }
    out.push_str("/></saml:SubjectConfirmation></saml:Subject>");

    out.push_str("<saml:Conditions");
    push_attribute(&mut out, "NotBefore", &date_time(spec.not_before));
    push_attribute(&mut out, "NotOnOrAfter", &date_time(spec.not_on_or_after));
    out.push_str("><saml:AudienceRestriction>");
    push_text_element(&mut out, "saml:Audience", &spec.audience);
    out.push_str("</saml:AudienceRestriction></saml:Conditions>");

    out.push_str("<saml:AuthnStatement");
    push_attribute(&mut out, "AuthnInstant", &date_time(spec.authn_instant));
    push_attribute(&mut out, "SessionIndex", &spec.session_index);
    if let Some(session_end) = spec.session_not_on_or_after {
        push_attribute(&mut out, "SessionNotOnOrAfter", &date_time(session_end));
    }
    out.push_str("><saml:AuthnContext>");
    push_text_element(
        &mut out,
        "saml:AuthnContextClassRef",
        spec.authn_context_class_ref
            .as_deref()
            .unwrap_or(PASSWORD_PROTECTED_TRANSPORT),
    );
    out.push_str("</saml:AuthnContext></saml:AuthnStatement>");

    if !spec.attributes.is_empty() {
        out.push_str("<saml:AttributeStatement>");
        for attribute in &spec.attributes {
            out.push_str("<saml:Attribute");
            push_attribute(&mut out, "Name", &attribute.name);
            if let Some(format) = &attribute.name_format {
                push_attribute(&mut out, "NameFormat", format);
            }
            if let Some(friendly) = &attribute.friendly_name {
                push_attribute(&mut out, "FriendlyName", friendly);
            }
            out.push('>');
            for value in &attribute.values {
                push_text_element(&mut out, "saml:AttributeValue", value);
            }
            out.push_str("</saml:Attribute>");
        }
        out.push_str("</saml:AttributeStatement>");
    }
    out.push_str("</saml:Assertion></samlp:Response>");
    out
}

/// Signs a response made by [`build_response`]: an enveloped signature on the Assertion
/// (placed after its Issuer), then, when `sign_response_too`, one on the Response, which
/// covers the Assertion and its signature. Exclusive C14N and the key's algorithm
/// ([`fedgate_dsig::sign_enveloped`]); the certificate goes in `KeyInfo`.
///
/// # Errors
/// [`Error::ResponseSigning`] when `assertion_id` is not the ID of a `saml:Assertion` or
/// `response_id` not that of the document's `samlp:Response` (the two swapped would sign the
/// wrong element), or when signing fails; the parser's errors when `xml` does not parse within
/// the default limits.
pub fn sign_response(
    xml: &str,
    assertion_id: &str,
    response_id: &str,
    key: &SigningKey,
    sign_response_too: bool,
) -> Result<String, Error> {
    {
        let document = Document::parse(xml, &Limits::default())?;
        let is = |id: &str, namespace: &str, name: &str| {
            document
                .element_by_id(id)
                .is_some_and(|element| element.is(namespace, name))
        };
        let signing =
            |detail: String| Error::ResponseSigning(fedgate_dsig::Error::Signing { detail });
        if !is(assertion_id, ASSERTION_NS, "Assertion") {
            return Err(signing(format!(
                "no saml:Assertion has ID {assertion_id:?}"
            )));
        }
        if !is(response_id, PROTOCOL_NS, "Response")
            || document.root_element().attribute("ID") != Some(response_id)
        {
            return Err(signing(format!(
                "the samlp:Response does not have ID {response_id:?}"
            )));
        }
    }
    let signed = sign_enveloped(xml, assertion_id, key).map_err(Error::ResponseSigning)?;
    if !sign_response_too {
        return Ok(signed);
    }
    sign_enveloped(&signed, response_id, key).map_err(Error::ResponseSigning)
}
