//! The HTML pages of the browser path, and the one mapping from a refusal code to its page.
//!
//! Every page marks what it is for scripts and tests: `<body data-page="…">`, refusals
//! `data-error-code` and `data-reference`, values `data-field`. No page echoes an assertion.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// A rendered page with its status; a template that fails to render is a plain 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            // Same-origin only: a `SignInUrl` token never leaks to another site, and forms
            // keep a real `Origin` (with `no-referrer`, browsers send `Origin: null`).
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub base: &'a str,
    pub code: &'a str,
    pub reference: &'a str,
    pub title: &'a str,
    pub message: String,
    pub advice: &'a str,
}

#[derive(Debug, Template)]
#[template(path = "start.html")]
pub struct StartPage<'a> {
    pub base: &'a str,
    pub acs_url: &'a str,
    pub audience: &'a str,
}

/// One role of the chooser.
#[derive(Debug)]
pub struct ChooserRole {
    pub role_arn: String,
    pub role_name: String,
    pub provider_arn: String,
}

#[derive(Debug, Template)]
#[template(path = "role_chooser.html")]
pub struct RoleChooserPage<'a> {
    pub base: &'a str,
    pub action: &'a str,
    pub ticket: &'a str,
    pub relay_state: &'a str,
    pub session_name: &'a str,
    pub roles: Vec<ChooserRole>,
}

/// One instance link of the console home.
#[derive(Debug)]
pub struct InstanceLink {
    pub id: String,
    pub alias: String,
}

#[derive(Debug, Template)]
#[template(path = "console_home.html")]
pub struct ConsoleHomePage<'a> {
    pub base: &'a str,
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub provider_arn: &'a str,
    pub expires: &'a str,
    pub instances: Vec<InstanceLink>,
}

#[derive(Debug, Template)]
#[template(path = "agent_workspace.html")]
pub struct WorkspacePage<'a> {
    pub base: &'a str,
    pub username: &'a str,
    pub instance_alias: &'a str,
    pub instance_id: &'a str,
    pub provider_arn: &'a str,
    pub expires: &'a str,
    pub agent_status: &'a str,
    pub next_status: &'a str,
}

/// What a refusal page says: status, title, a plain explanation, and what to ask the
/// administrator. `detail` adds what the person may know (never the assertion).
#[derive(Debug)]
pub struct Explanation {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    pub advice: &'static str,
}

const ASK_ADMIN_IDP: &str = "If this keeps happening, ask your administrator to check this identity provider's configuration in fedgate (its metadata and signing certificate, the sign-in URL and audience of the application).";

/// The one mapping from a refusal code of the browser path to its page.
pub fn explain(code: &str, session_name: Option<&str>) -> Explanation {
    let invalid = |title, message: &str, advice| Explanation {
        status: StatusCode::BAD_REQUEST,
        title,
        message: message.to_owned(),
        advice,
    };
    let denied = |title, message: &str, advice| Explanation {
        status: StatusCode::FORBIDDEN,
        title,
        message: message.to_owned(),
        advice,
    };
    match code {
        "replayed" => invalid(
            "This sign-in was already used",
            "The sign-in response from your identity provider can be used only once, and it already was (a page reloaded, or a form sent twice).",
            "Start again from your identity provider's portal.",
        ),
        "expired" => invalid(
            "Your sign-in expired",
            "The sign-in response from your identity provider is no longer valid: it was issued too long ago, or the clocks of the two systems disagree.",
            "Start again from your identity provider's portal. If it happens every time, ask your administrator to check the clocks of the identity provider and of fedgate.",
        ),
        "signature_invalid" | "signature_missing" | "key_not_trusted" | "issuer_key_mismatch" => {
            invalid(
                "Your sign-in could not be verified",
                "The sign-in response is not signed with a key this service trusts for your identity provider.",
                "Ask your administrator to upload your identity provider's current metadata (its signing certificate may have changed).",
            )
        }
        "issuer_unknown" => invalid(
            "Unknown identity provider",
            "The identity provider that sent you here is not registered with this service.",
            "Ask your administrator to add it as a SAML provider, from its metadata.",
        ),
        "audience_mismatch" | "recipient_mismatch" | "destination_mismatch" => invalid(
            "This sign-in was meant for another service",
            "The sign-in response names another service as its audience or destination.",
            "Ask your administrator to set the application's audience to this service's entity ID and its sign-in URL to this service's /saml address.",
        ),
        "no_matching_role" => denied(
            "No role for you here",
            "Your identity provider signed you in, but did not grant you a role this service can use for it.",
            "Ask your administrator to add a Role attribute value naming a role and this identity provider's ARN.",
        ),
        "role_not_in_assertion" => denied(
            "That role was not offered",
            "The role you chose is not one your identity provider granted you.",
            "Start again from your identity provider's portal and choose one of the roles offered.",
        ),
        "trust_policy_denied" => denied(
            "The role does not allow this sign-in",
            "The role's trust policy does not allow sign-in through this identity provider.",
            "Ask your administrator to add this identity provider's ARN to the role's trust policy (Principal.Federated, action sts:AssumeRoleWithSAML).",
        ),
        "role_not_found" => denied(
            "The role does not exist",
            "Your identity provider granted you a role that does not exist here.",
            "Ask your administrator to create the role, or to correct the Role attribute at the identity provider.",
        ),
        "role_chooser_invalid" => invalid(
            "This role selection is no longer valid",
            "The role selection form was altered, or is too old to use.",
            "Start again from your identity provider's portal.",
        ),
        "session_required" => Explanation {
            status: StatusCode::UNAUTHORIZED,
            title: "You are not signed in",
            message: "This page needs a session. Sign in through your identity provider's portal first.".to_owned(),
            advice: "Open your identity provider's portal and choose the contact-center application.",
        },
        "session_expired" => Explanation {
            status: StatusCode::UNAUTHORIZED,
            title: "Session expired",
            message: "Your session has expired. Please log in again to continue. Agent sessions expire after 12 hours.".to_owned(),
            advice: "Sign in again through your identity provider's portal.",
        },
        "instance_not_found" => Explanation {
            status: StatusCode::NOT_FOUND,
            title: "No such contact-center instance",
            message: "The contact-center instance named in the sign-in link does not exist.".to_owned(),
            advice: "Ask your administrator for the right link (the RelayState of the application at your identity provider).",
        },
        "federation_denied" => denied(
            "Access denied",
            "Access denied, please contact your administrator.",
            "Ask your administrator to allow connect:GetFederationToken on this instance for your role.",
        ),
        "user_not_onboarded" => Explanation {
            status: StatusCode::FORBIDDEN,
            title: "Not onboarded",
            message: match session_name {
                Some(name) => format!(
                    "Your account has been authenticated, but has not been onboarded to this application. The instance has no user named exactly \"{name}\": the username and the RoleSessionName value your identity provider sends must match, case included."
                ),
                None => "Your account has been authenticated, but has not been onboarded to this application: the username and the RoleSessionName value must match, case included.".to_owned(),
            },
            advice: "Ask your administrator to create the contact-center user with exactly this name, or to change the RoleSessionName attribute at the identity provider.",
        },
        "bad_request" => invalid(
            "Incomplete request",
            "The form sent to this page is missing a field.",
            "Start again from your identity provider's portal.",
        ),
        "throttled" => Explanation {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Too many sign-ins right now",
            message: "fedgate is busy and could not check your sign-in.".to_owned(),
            advice: "Try again in a moment, from your identity provider's portal.",
        },
        "internal_error" => Explanation {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Something went wrong",
            message: "fedgate could not complete your request.".to_owned(),
            advice: "Try again in a moment; if it keeps failing, give your administrator the reference below.",
        },
        _ => invalid(
            "Your sign-in could not be completed",
            "The sign-in response from your identity provider was not accepted.",
            ASK_ADMIN_IDP,
        ),
    }
}
