//! The answer to a sign-in: which ACS URL, and the signed response for this user and
//! application.

use base64::Engine as _;
use fedgate_saml::idp::{
    AuthnRequest, RequestKeys, ResponseSpec, XmlId, build_response, sign_response,
};
use fedgate_saml::{Attribute, NameId};
use time::{Duration, OffsetDateTime};

use crate::memory::{Session, random_saml_id};
use crate::{Application, Idp, IdpError, UserConfig, granted};

/// How long an assertion may be presented (NotOnOrAfter of the Conditions and of the
/// SubjectConfirmationData): five minutes, as common IdPs do (Okta, Entra ID).
pub const ASSERTION_LIFETIME: Duration = Duration::minutes(5);
/// How old an AuthnRequest may be (the time a user takes between the SP and the login page),
/// plus the clock skew fedgate's SP side also allows.
pub const REQUEST_MAX_AGE: Duration = Duration::minutes(10);

const AWS_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/";
const URI_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

/// What goes back to the browser: the auto-submitting form's fields.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The form's action.
    pub acs_url: String,
    /// Base64 of the signed response.
    pub saml_response: String,
    /// RelayState, if any.
    pub relay_state: Option<String>,
}

/// An SP-initiated request, checked: the application, where the answer goes, what it answers.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The application's index.
    pub application: usize,
    /// A registered ACS URL.
    pub acs_url: String,
    /// The request's ID.
    pub in_response_to: String,
    /// Its RelayState.
    pub relay_state: Option<String>,
    /// Whether the SP asks for a fresh login even with a session.
    pub force_authn: bool,
}

/// Which binding an AuthnRequest arrived by.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// `GET /sso?…`: the raw query string.
    Redirect(&'a str),
    /// `POST /sso`: the form's SAMLRequest and RelayState.
    Post(&'a str, Option<&'a str>),
}

impl Idp {
    /// Reads, authenticates and checks an AuthnRequest: the application is the one whose
    /// audience is the request's Issuer; a signature must verify with its SP metadata's keys
    /// (and is required when that metadata says so); the ACS URL must be registered.
    pub(crate) fn check_request(
        &self,
        binding: Binding<'_>,
        now: OffsetDateTime,
    ) -> Result<Checked, IdpError> {
        let limits = fedgate_xml::Limits::default();
        let receive = |keys: RequestKeys<'_>| match binding {
            Binding::Redirect(query) => fedgate_saml::idp::receive_redirect(query, keys, &limits),
            Binding::Post(request, relay_state) => {
                fedgate_saml::idp::receive_post(request, relay_state, keys, &limits)
            }
        };
        // First read unauthenticated, only to learn which application's keys to check with.
        let unverified = receive(RequestKeys::new(&[], false)).map_err(request_error)?;
        let issuer = unverified
            .request
            .issuer
            .as_deref()
            .ok_or(IdpError::UnknownApplication)?;
        let (index, app) = self
            .application_for_issuer(issuer)
            .ok_or(IdpError::UnknownApplication)?;
        let received = match &app.sp {
            Some(sp) => receive(RequestKeys::for_sp(sp)).map_err(request_error)?,
            _ => unverified,
        };
        let request = &received.request;
        if request.issuer.as_deref() != Some(app.config.audience.as_str()) {
            return Err(IdpError::UnknownApplication);
        }
        request
            .check_fresh(
                now,
                REQUEST_MAX_AGE,
                Duration::seconds(fedgate_saml::DEFAULT_CLOCK_SKEW_SECONDS),
            )
            .map_err(|_| IdpError::RequestExpired)?;
        // saml-bindings-2.0-os §3.4.5.2 / §3.5.5.2: a request names where it was sent; one
        // meant for another IdP endpoint is not ours to answer.
        if let Some(destination) = &request.destination
            && *destination != self.sso_url()
        {
            return Err(IdpError::WrongDestination);
        }
        let acs_url = acs_for(app, request)?;
        Ok(Checked {
            application: index,
            acs_url,
            in_response_to: request.id.clone(),
            relay_state: received.relay_state.clone(),
            force_authn: request.force_authn,
        })
    }

    /// The signed response for `session`'s user at application `index`.
    pub(crate) fn answer(
        &self,
        index: usize,
        session: &Session,
        acs_url: String,
        in_response_to: Option<String>,
        relay_state: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Answer, IdpError> {
        let app = self
            .applications
            .get(index)
            .ok_or(IdpError::UnknownApplication)?;
        let user = self
            .users
            .get(&session.username)
            .ok_or(IdpError::NotPermitted)?;
        if !app.allows(user) {
            return Err(IdpError::NotPermitted);
        }
        let spec = self.spec(app, user, session, acs_url.clone(), in_response_to, now)?;
        let unsigned = build_response(&spec);
        let signed = sign_response(
            &unsigned,
            spec.assertion_id.as_str(),
            spec.response_id.as_str(),
            &self.keys.signing_key,
            self.sign_response,
        )
        .map_err(|error| {
            tracing::error!(%error, "signing a response failed");
            IdpError::Internal
        })?;
        Ok(Answer {
            acs_url,
            saml_response: base64::engine::general_purpose::STANDARD.encode(signed),
            relay_state,
        })
    }

    fn spec(
        &self,
        app: &Application,
        user: &UserConfig,
        session: &Session,
        destination: String,
        in_response_to: Option<String>,
        now: OffsetDateTime,
    ) -> Result<ResponseSpec, IdpError> {
        let random = || {
            random_saml_id()
                .ok()
                .and_then(|id| XmlId::new(id).ok())
                .ok_or(IdpError::Internal)
        };
        let name_id = app
            .name_id
            .render_one(user)
            .filter(|value| !value.is_empty())
            .ok_or(IdpError::MissingUserValue { what: "NameID" })?;
        let mut attributes = Vec::new();
        let roles: Vec<String> = app
            .config
            .roles
            .iter()
            .filter(|role| granted(&role.users, &role.groups, user))
            .map(|role| format!("{},{}", role.role, role.provider))
            .collect();
        if !roles.is_empty() {
            attributes.push(aws_attribute("Role", roles));
        }
        if let Some(template) = &app.role_session_name {
            let name = template
                .render_one(user)
                .filter(|value| !value.is_empty())
                .ok_or(IdpError::MissingUserValue {
                    what: "RoleSessionName",
                })?;
            attributes.push(aws_attribute("RoleSessionName", vec![name]));
        }
        if let Some(seconds) = app.config.session_duration {
            attributes.push(aws_attribute("SessionDuration", vec![seconds.to_string()]));
        }
        for (config, templates) in &app.attributes {
            let values: Vec<String> = templates
                .iter()
                .flat_map(|template| template.render(user))
                .collect();
            if !values.is_empty() {
                attributes.push(Attribute {
                    name: config.name.clone(),
                    name_format: config.name_format.clone(),
                    friendly_name: None,
                    values,
                });
            }
        }
        Ok(ResponseSpec {
            issuer: self.entity_id.clone(),
            destination,
            audience: app.config.audience.clone(),
            in_response_to,
            response_id: random()?,
            assertion_id: random()?,
            issue_instant: now,
            not_before: now,
            not_on_or_after: now + ASSERTION_LIFETIME,
            subject_not_on_or_after: now + ASSERTION_LIFETIME,
            name_id: NameId {
                value: name_id,
                format: Some(
                    app.config
                        .name_id_format
                        .clone()
                        .unwrap_or_else(|| crate::config::NAME_ID_PERSISTENT.to_owned()),
                ),
                name_qualifier: None,
                sp_name_qualifier: None,
            },
            session_index: random()?.as_str().to_owned(),
            authn_instant: session.authn_instant,
            session_not_on_or_after: Some(session.expires),
            authn_context_class_ref: None,
            attributes,
        })
    }
}

fn aws_attribute(name: &str, values: Vec<String>) -> Attribute {
    Attribute {
        name: format!("{AWS_ATTRIBUTE}{name}"),
        name_format: Some(URI_FORMAT.to_owned()),
        friendly_name: None,
        values,
    }
}

/// The ACS URL to answer at. A request naming a URL or an index gets it only when registered:
/// a URL in the application's `acs_url`/`acs_urls`, or an HTTP-POST endpoint of its SP metadata
/// ([`SpMetadata::assertion_consumer_service`](fedgate_saml::idp::SpMetadata), which also refuses
/// another `ProtocolBinding`). A request naming neither gets the application's `acs_url`.
fn acs_for(app: &Application, request: &AuthnRequest) -> Result<String, IdpError> {
    if let Some(url) = &request.assertion_consumer_service_url
        && request.assertion_consumer_service_index.is_none()
        && app.configured_acs(url)
    {
        return Ok(url.clone());
    }
    let named = request.assertion_consumer_service_url.is_some()
        || request.assertion_consumer_service_index.is_some();
    match &app.sp {
        Some(sp) if named => sp
            .assertion_consumer_service(request)
            .map(|endpoint| endpoint.location.clone())
            .map_err(|_| IdpError::AcsNotRegistered),
        _ if named => Err(IdpError::AcsNotRegistered),
        _ => Ok(app.config.acs_url.clone()),
    }
}

fn request_error(error: fedgate_saml::Error) -> IdpError {
    match error {
        fedgate_saml::Error::RequestSignatureInvalid(_) => IdpError::RequestSignatureInvalid,
        fedgate_saml::Error::RequestUnsigned => IdpError::RequestUnsigned,
        other => IdpError::MalformedRequest {
            detail: other.to_string(),
        },
    }
}
