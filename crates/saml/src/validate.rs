//! Response and Assertion validation: from an untrusted document to a [`ValidatedAssertion`].
//!
//! Trust in names: `unverified_…` values come from the document before its signature is
//! checked and are used only to choose keys or to reject; `signed_…` values come from the
//! element a [`fedgate_dsig::Verified`] hands out, and only they reach [`ValidatedAssertion`].

use fedgate_dsig::{DSIG_NAMESPACE, Verified, verify_enveloped};
use fedgate_xml::{Document, Element};
use time::{Duration, OffsetDateTime};

use crate::aws::AwsAttributes;
use crate::{ASSERTION_NS, Error, IdentityProvider, PROTOCOL_NS, ServiceProvider, parse_date_time};

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// A subject's name identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    /// The whole text of the NameID.
    pub value: String,
    /// `Format`, if given.
    pub format: Option<String>,
    /// `NameQualifier`, if given.
    pub name_qualifier: Option<String>,
    /// `SPNameQualifier`, if given.
    pub sp_name_qualifier: Option<String>,
}

/// One `saml:Attribute` with its text values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `Name`.
    pub name: String,
    /// `NameFormat`, if given.
    pub name_format: Option<String>,
    /// `FriendlyName`, if given.
    pub friendly_name: Option<String>,
    /// The whole text of each `AttributeValue`, in order.
    pub values: Vec<String>,
}

/// Which signatures covered the assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedParts {
    /// The Response carried a valid signature (covering the assertion).
    pub response: bool,
    /// The Assertion carried a valid signature.
    pub assertion: bool,
}

/// An assertion that passed every check, built only from signed content.
///
/// Only [`validate_response`] constructs it.
#[derive(Debug, Clone)]
pub struct ValidatedAssertion {
    provider_index: usize,
    issuer: String,
    assertion_id: String,
    /// Read from the Response, which need not be signed.
    unverified_response_id: Option<String>,
    /// Read from the Response (unsigned) when it carries one, else from the signed bearer
    /// confirmation.
    unverified_in_response_to: Option<String>,
    subject: NameId,
    recipient: String,
    audiences: Vec<String>,
    not_before: Option<OffsetDateTime>,
    not_on_or_after: OffsetDateTime,
    session_not_on_or_after: Option<OffsetDateTime>,
    authn_instant: Option<OffsetDateTime>,
    attributes: Vec<Attribute>,
    signed: SignedParts,
    aws: AwsAttributes,
}

impl ValidatedAssertion {
    /// Index, in the providers passed to [`validate_response`], of the provider whose key
    /// verified the signature.
    pub fn provider_index(&self) -> usize {
        self.provider_index
    }
    /// The assertion's Issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The assertion's ID (the replay-cache key, with the provider).
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }
    /// The Response's ID, if any. Unverified: read from the Response element, which no
    /// signature need cover; for reports and logs, never for decisions.
    pub fn unverified_response_id(&self) -> Option<&str> {
        self.unverified_response_id.as_deref()
    }
    /// The request this answers, if any. Unverified: the Response's `InResponseTo` (which no
    /// signature need cover) when present, else the signed bearer confirmation's. When
    /// outstanding requests were given, every value present was checked against them.
    pub fn unverified_in_response_to(&self) -> Option<&str> {
        self.unverified_in_response_to.as_deref()
    }
    /// The subject's NameID.
    pub fn subject(&self) -> &NameId {
        &self.subject
    }
    /// The Recipient of the bearer confirmation used (`saml:aud`).
    pub fn recipient(&self) -> &str {
        &self.recipient
    }
    /// Every Audience of the AudienceRestrictions.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }
    /// The latest NotBefore, if any.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.not_before
    }
    /// The earliest NotOnOrAfter of the bearer confirmation and the Conditions.
    pub fn not_on_or_after(&self) -> OffsetDateTime {
        self.not_on_or_after
    }
    /// `AuthnStatement/@SessionNotOnOrAfter`, the earliest if several.
    pub fn session_not_on_or_after(&self) -> Option<OffsetDateTime> {
        self.session_not_on_or_after
    }
    /// `AuthnStatement/@AuthnInstant`, if any.
    pub fn authn_instant(&self) -> Option<OffsetDateTime> {
        self.authn_instant
    }
    /// Every attribute, in document order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
    /// Which signatures covered the assertion.
    pub fn signed(&self) -> SignedParts {
        self.signed
    }
    /// The AWS attributes.
    pub fn aws(&self) -> &AwsAttributes {
        &self.aws
    }
}

/// Validates a SAML Response (XML text) against the trusted `providers` and this service
/// provider's expectations at instant `now`. `outstanding_requests` are the IDs of
/// AuthnRequests this SP sent and still waits for; when empty, unsolicited (IdP-initiated)
/// responses are accepted, as AWS does.
///
/// # Errors
/// The first failing check, in the order of [`Check`](crate::Check).
pub fn validate_response(
    xml: &str,
    providers: &[IdentityProvider],
    sp: &ServiceProvider,
    now: OffsetDateTime,
    outstanding_requests: &[String],
) -> Result<ValidatedAssertion, Error> {
    let document = Document::parse(xml.trim_start_matches('\u{feff}'), &sp.limits)?;
    let response = document.root_element();
    check_response(response)?;
    let unverified_assertion = the_one_assertion(response)?;
    check_version(unverified_assertion)?;
    let unverified_issuer = issuer_of(unverified_assertion).ok_or(Error::IssuerMissing)?;
    if let Some(response_issuer) = issuer_of(response).filter(|issuer| *issuer != unverified_issuer)
    {
        return Err(Error::IssuerInconsistent {
            response_issuer,
            assertion_issuer: unverified_issuer,
        });
    }
    if !providers
        .iter()
        .any(|provider| provider.matches_issuer(&unverified_issuer))
    {
        return Err(Error::IssuerUnknown {
            issuer: unverified_issuer,
        });
    }

    let (provider_index, signed) = verify_signatures(
        &document,
        response,
        unverified_assertion,
        &unverified_issuer,
        providers,
    )?;
    // INVARIANT: from here on, assertion content is read only from `signed_assertion`.
    let signed_assertion = signed.assertion;
    let signed_issuer = issuer_of(signed_assertion).ok_or(Error::IssuerMissing)?;

    if let Some(destination) = response.attribute("Destination")
        && !sp.acs_urls.iter().any(|url| url == destination)
    {
        return Err(Error::DestinationMismatch {
            destination: destination.to_owned(),
        });
    }

    let skew = Duration::seconds(sp.clock_skew_seconds);
    let subject = signed_assertion
        .first_child_named(ASSERTION_NS, "Subject")
        .ok_or(Error::SubjectMissing)?;
    let confirmations: Vec<Element<'_, '_>> = subject
        .children_named(ASSERTION_NS, "SubjectConfirmation")
        .filter(|confirmation| confirmation.attribute("Method") == Some(BEARER))
        .collect();
    let unverified_in_response_to =
        check_in_response_to(response, &confirmations, outstanding_requests)?;

    let name_id_element = subject
        .first_child_named(ASSERTION_NS, "NameID")
        .ok_or(Error::SubjectMissing)?;
    let subject_name = NameId {
        value: name_id_element.text()?.into_owned(),
        format: name_id_element.attribute("Format").map(str::to_owned),
        name_qualifier: name_id_element
            .attribute("NameQualifier")
            .map(str::to_owned),
        sp_name_qualifier: name_id_element
            .attribute("SPNameQualifier")
            .map(str::to_owned),
    };
    if subject_name.value.trim().is_empty() {
        return Err(Error::SubjectMissing);
    }

    let (recipient, confirmation_not_before, confirmation_not_on_or_after) =
        check_confirmations(&confirmations, sp, now, skew)?;

    let conditions = signed_assertion.first_child_named(ASSERTION_NS, "Conditions");
    let mut not_before = confirmation_not_before;
    let mut not_on_or_after = confirmation_not_on_or_after;
    if let Some(conditions) = conditions {
        if let Some(bound) = timestamp(conditions, "NotBefore")? {
            check_not_before(bound, now, skew)?;
            not_before = Some(not_before.map_or(bound, |earlier| earlier.max(bound)));
        }
        if let Some(bound) = timestamp(conditions, "NotOnOrAfter")? {
            check_not_on_or_after("NotOnOrAfter", bound, now, skew)?;
            not_on_or_after = not_on_or_after.min(bound);
        }
    }
    let mut session_not_on_or_after: Option<OffsetDateTime> = None;
    let mut authn_instant = None;
    for statement in signed_assertion.children_named(ASSERTION_NS, "AuthnStatement") {
        if let Some(bound) = timestamp(statement, "SessionNotOnOrAfter")? {
            check_not_on_or_after("SessionNotOnOrAfter", bound, now, skew)?;
            session_not_on_or_after =
                Some(session_not_on_or_after.map_or(bound, |earlier| earlier.min(bound)));
        }
        authn_instant = authn_instant.or(timestamp(statement, "AuthnInstant")?);
    }

    let audiences = check_audience(conditions, sp)?;
    let attributes = read_attributes(signed_assertion)?;
    let aws = AwsAttributes::from_attributes(&attributes)?;

    Ok(ValidatedAssertion {
        provider_index,
        issuer: signed_issuer,
        assertion_id: signed_assertion
            .attribute("ID")
            .unwrap_or_default()
            .to_owned(),
        unverified_response_id: response.attribute("ID").map(str::to_owned),
        unverified_in_response_to,
        subject: subject_name,
        recipient,
        audiences,
        not_before,
        not_on_or_after,
        session_not_on_or_after,
        authn_instant,
        attributes,
        signed: signed.parts,
        aws,
    })
}

/// Document element, version and status.
fn check_response(response: Element<'_, '_>) -> Result<(), Error> {
    if !response.is(PROTOCOL_NS, "Response") {
        return Err(Error::NotAResponse {
            found: response.local_name().to_owned(),
        });
    }
    check_version(response)?;
    let status_code = response
        .first_child_named(PROTOCOL_NS, "Status")
        .and_then(|status| status.first_child_named(PROTOCOL_NS, "StatusCode"));
    let Some(status_code) = status_code else {
        return Err(Error::StatusNotSuccess {
            status: "missing".to_owned(),
        });
    };
    let value = status_code.attribute("Value").unwrap_or_default();
    if value != STATUS_SUCCESS {
        let mut status = value.to_owned();
        if let Some(second) = status_code
            .first_child_named(PROTOCOL_NS, "StatusCode")
            .and_then(|c| c.attribute("Value"))
        {
            status.push_str(" / ");
            status.push_str(second);
        }
        return Err(Error::StatusNotSuccess { status });
    }
    Ok(())
}

fn check_version(element: Element<'_, '_>) -> Result<(), Error> {
    match element.attribute("Version") {
        Some("2.0") => Ok(()),
        other => Err(Error::VersionUnsupported {
            version: other.unwrap_or("missing").to_owned(),
        }),
    }
}

/// Exactly one Assertion or EncryptedAssertion anywhere in the document, and it is a direct
/// child of the Response. Counting the whole document (not just children) defeats signature
/// wrapping that hides the signed original in Extensions, Advice, Object or KeyInfo.
fn the_one_assertion<'a, 'i>(response: Element<'a, 'i>) -> Result<Element<'a, 'i>, Error> {
    let mut found = response
        .descendants()
        .filter(|e| e.is(ASSERTION_NS, "Assertion") || e.is(ASSERTION_NS, "EncryptedAssertion"));
    let assertion = found.next().ok_or(Error::AssertionMissing)?;
    let extra = found.count();
    if extra > 0 {
        return Err(Error::MultipleAssertions { count: extra + 1 });
    }
    if !response.children().any(|child| child == assertion) {
        return Err(Error::AssertionMisplaced);
    }
    if assertion.local_name() == "EncryptedAssertion" {
        return Err(Error::EncryptedAssertionUnsupported);
    }
    Ok(assertion)
}

fn issuer_of(element: Element<'_, '_>) -> Option<String> {
    let issuer = element
        .first_child_named(ASSERTION_NS, "Issuer")?
        .text()
        .ok()?;
    let issuer = issuer.trim();
    (!issuer.is_empty()).then(|| issuer.to_owned())
}

/// The assertion as a signature covers it, and which signatures did.
struct Signed<'a, 'i> {
    assertion: Element<'a, 'i>,
    parts: SignedParts,
}

/// Verifies the signatures on the Response and the Assertion with the keys of the
/// providers whose entity ID is `unverified_issuer`. Every signature present must verify;
/// at least one must be present.
fn verify_signatures<'a, 'i>(
    document: &'a Document<'i>,
    response: Element<'a, 'i>,
    unverified_assertion: Element<'a, 'i>,
    unverified_issuer: &str,
    providers: &[IdentityProvider],
) -> Result<(usize, Signed<'a, 'i>), Error> {
    let signature_of =
        |element: Element<'a, 'i>| element.first_child_named(DSIG_NAMESPACE, "Signature");
    let response_signature = signature_of(response);
    let assertion_signature = signature_of(unverified_assertion);
    if response_signature.is_none() && assertion_signature.is_none() {
        return Err(Error::SignatureMissing);
    }
    let verify_with = |provider: &IdentityProvider| -> Result<[Option<Verified<'a, 'i>>; 2], fedgate_dsig::Error> {
        let policy = provider.signature_policy();
        let mut verified = [None, None];
        for (slot, signature) in verified.iter_mut().zip([response_signature, assertion_signature]) {
            if let Some(signature) = signature {
                *slot = Some(verify_enveloped(document, signature, provider.keys(), &policy)?);
            }
        }
        Ok(verified)
    };

    let mut first_error = None;
    for (index, provider) in providers
        .iter()
        .enumerate()
        .filter(|(_, p)| p.matches_issuer(unverified_issuer))
    {
        match verify_with(provider) {
            Ok([response_verified, assertion_verified]) => {
                let assertion = match (assertion_verified, response_verified) {
                    (Some(verified), _) => verified.element(),
                    (None, Some(verified)) => verified
                        .element()
                        .first_child_named(ASSERTION_NS, "Assertion")
                        .ok_or(Error::AssertionMissing)?,
                    (None, None) => return Err(Error::SignatureMissing),
                };
                let parts = SignedParts {
                    response: response_verified.is_some(),
                    assertion: assertion_verified.is_some(),
                };
                return Ok((index, Signed { assertion, parts }));
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    let error = first_error.unwrap_or(fedgate_dsig::Error::SignatureInvalid);
    if matches!(
        error,
        fedgate_dsig::Error::SignatureInvalid | fedgate_dsig::Error::KeyNotTrusted
    ) {
        // Diagnosis only: would another trusted provider's key have verified it?
        let signed_by = providers
            .iter()
            .filter(|p| !p.matches_issuer(unverified_issuer))
            .find(|provider| verify_with(provider).is_ok())
            .and_then(IdentityProvider::entity_id);
        if let Some(signed_by) = signed_by {
            return Err(Error::IssuerKeyMismatch {
                issuer: unverified_issuer.to_owned(),
                signed_by: signed_by.to_owned(),
            });
        }
    }
    Err(Error::Signature(error))
}

/// InResponseTo on the Response and on bearer confirmations, against outstanding requests.
fn check_in_response_to(
    response: Element<'_, '_>,
    confirmations: &[Element<'_, '_>],
    outstanding_requests: &[String],
) -> Result<Option<String>, Error> {
    let data = confirmations
        .iter()
        .filter_map(|c| c.first_child_named(ASSERTION_NS, "SubjectConfirmationData"));
    let values: Vec<&str> = response
        .attribute("InResponseTo")
        .into_iter()
        .chain(data.filter_map(|d| d.attribute("InResponseTo")))
        .collect();
    if outstanding_requests.is_empty() {
        return Ok(values.first().map(|v| (*v).to_owned()));
    }
    let Some(first) = values.first() else {
        return Err(Error::UnsolicitedResponse);
    };
    if let Some(unknown) = values
        .iter()
        .find(|value| !outstanding_requests.iter().any(|id| id == *value))
    {
        return Err(Error::InResponseToMismatch {
            in_response_to: (*unknown).to_owned(),
        });
    }
    Ok(Some((*first).to_owned()))
}

/// The first bearer confirmation whose data names an accepted Recipient and is within its
/// time bounds; otherwise the error of the first one.
fn check_confirmations(
    confirmations: &[Element<'_, '_>],
    sp: &ServiceProvider,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(String, Option<OffsetDateTime>, OffsetDateTime), Error> {
    let mut first_error = None;
    for confirmation in confirmations {
        match check_confirmation(*confirmation, sp, now, skew) {
            Ok(found) => return Ok(found),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(
        first_error.unwrap_or_else(|| Error::SubjectConfirmationMissing {
            detail: "no SubjectConfirmation with Method bearer".to_owned(),
        }),
    )
}

fn check_confirmation(
    confirmation: Element<'_, '_>,
    sp: &ServiceProvider,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(String, Option<OffsetDateTime>, OffsetDateTime), Error> {
    let data = confirmation
        .first_child_named(ASSERTION_NS, "SubjectConfirmationData")
        .ok_or_else(|| Error::SubjectConfirmationMissing {
            detail: "bearer confirmation without SubjectConfirmationData".to_owned(),
        })?;
    let recipient = data.attribute("Recipient");
    let Some(recipient) = recipient.filter(|r| sp.acs_urls.iter().any(|url| url == r)) else {
        return Err(Error::RecipientMismatch {
            recipient: recipient.map(str::to_owned),
        });
    };
    let not_on_or_after =
        timestamp(data, "NotOnOrAfter")?.ok_or_else(|| Error::SubjectConfirmationMissing {
            detail: "SubjectConfirmationData without NotOnOrAfter".to_owned(),
        })?;
    let not_before = timestamp(data, "NotBefore")?;
    if let Some(not_before) = not_before {
        check_not_before(not_before, now, skew)?;
    }
    check_not_on_or_after("NotOnOrAfter", not_on_or_after, now, skew)?;
    Ok((recipient.to_owned(), not_before, not_on_or_after))
}

fn timestamp(
    element: Element<'_, '_>,
    attribute: &'static str,
) -> Result<Option<OffsetDateTime>, Error> {
    element
        .attribute(attribute)
        .map(|value| parse_date_time(value).ok_or(Error::TimestampInvalid { attribute }))
        .transpose()
}

fn check_not_before(
    not_before: OffsetDateTime,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(), Error> {
    if now + skew < not_before {
        return Err(Error::NotYetValid {
            not_before,
            now,
            skew: skew.whole_seconds(),
        });
    }
    Ok(())
}

fn check_not_on_or_after(
    bound: &'static str,
    not_on_or_after: OffsetDateTime,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(), Error> {
    if now - skew >= not_on_or_after {
        return Err(Error::Expired {
            bound,
            not_on_or_after,
            now,
            skew: skew.whole_seconds(),
        });
    }
    Ok(())
}

/// Every AudienceRestriction must name this SP (its entity ID or an ACS URL), and there must
/// be at least one.
fn check_audience(
    conditions: Option<Element<'_, '_>>,
    sp: &ServiceProvider,
) -> Result<Vec<String>, Error> {
    let restrictions: Vec<Element<'_, '_>> = conditions
        .map(|c| {
            c.children_named(ASSERTION_NS, "AudienceRestriction")
                .collect()
        })
        .unwrap_or_default();
    let mut all = Vec::new();
    let mut satisfied = !restrictions.is_empty();
    for restriction in restrictions {
        let mut this_one = false;
        for audience in restriction.children_named(ASSERTION_NS, "Audience") {
            let audience = audience.text()?.trim().to_owned();
            this_one |= sp.audiences.contains(&audience) || sp.acs_urls.contains(&audience);
            all.push(audience);
        }
        satisfied &= this_one;
    }
    if !satisfied {
        return Err(Error::AudienceMismatch { found: all });
    }
    Ok(all)
}

fn read_attributes(assertion: Element<'_, '_>) -> Result<Vec<Attribute>, Error> {
    let mut attributes = Vec::new();
    for statement in assertion.children_named(ASSERTION_NS, "AttributeStatement") {
        for attribute in statement.children_named(ASSERTION_NS, "Attribute") {
            let name = attribute.attribute("Name").unwrap_or_default().to_owned();
            let mut values = Vec::new();
            for value in attribute.children_named(ASSERTION_NS, "AttributeValue") {
                let text = value.text().map_err(|_| Error::ValueMalformed {
                    what: format!("attribute {name:?}"),
                })?;
                values.push(text.into_owned());
            }
            attributes.push(Attribute {
                name,
                name_format: attribute.attribute("NameFormat").map(str::to_owned),
                friendly_name: attribute.attribute("FriendlyName").map(str::to_owned),
                values,
            });
        }
    }
    Ok(attributes)
}
