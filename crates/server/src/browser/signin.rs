//! `POST /saml`: a SAML response from an IdP portal, or the role chooser's submission.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use fedgate_signin::{AuditContext, Outcome, Refusal, RefusalKind, SignedIn};
use time::OffsetDateTime;

use super::cookies::{ConsoleSession, Kind, session_id};
use super::pages::{ChooserRole, RoleChooserPage, render};
use super::{Visit, append_cookie, see_other};
use crate::state::AppState;

/// `POST /saml`: a SAML response (`SAMLResponse`, `RelayState`) or the role chooser's
/// submission (`ticket`, `roleIndex`, `RelayState`).
pub(super) async fn saml_post(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let visit = Visit::new(&state, "saml_sign_in", &parts.extensions);
    let form = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(bytes) => form_fields(&bytes),
        Err(_) => HashMap::new(),
    };
    let now = state.clock.now();
    let relay_state = form.get("RelayState").cloned().unwrap_or_default();
    let none = AuditContext::default();
    let (visit, step) = match (
        form.get("ticket"),
        form.get("roleIndex"),
        form.get("SAMLResponse"),
    ) {
        (Some(ticket), Some(role_arn), _) => (
            visit.renamed("role_chosen"),
            SignInStep::Choose {
                ticket: ticket.clone(),
                role_arn: role_arn.clone(),
            },
        ),
        (Some(_), None, _) => {
            let visit = visit.renamed("role_chosen");
            return visit
                .refuse(
                    "bad_request",
                    "the role chooser form has no roleIndex",
                    &none,
                )
                .await;
        }
        (None, _, Some(response)) => (visit, SignInStep::Response(response.clone())),
        (None, _, None) => {
            return visit
                .refuse("bad_request", "the form has no SAMLResponse", &none)
                .await;
        }
    };
    match run_sign_in(&state, step, now).await {
        Err(refusal) => {
            visit
                .refuse(refusal.code, &refusal.detail, &refusal.context)
                .await
        }
        Ok(Outcome::ChooseRole(choice)) => {
            visit.succeeded(&choice.context).await;
            let action = format!("{}/saml", state.web.base_url);
            let roles = choice
                .roles
                .iter()
                .map(|option| ChooserRole {
                    role_name: option
                        .role_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    role_arn: option.role_arn.clone(),
                    provider_arn: option.provider_arn.clone(),
                })
                .collect();
            render(
                StatusCode::OK,
                &RoleChooserPage {
                    base: &state.web.base_url,
                    action: &action,
                    ticket: &choice.ticket,
                    relay_state: &relay_state,
                    session_name: choice.context.session_name.as_deref().unwrap_or_default(),
                    roles,
                },
            )
        }
        Ok(Outcome::SignedIn(signed_in)) => {
            signed_in_response(&visit, *signed_in, &relay_state, now).await
        }
    }
}

/// The two sign-in steps.
enum SignInStep {
    Response(String),
    Choose { ticket: String, role_arn: String },
}

/// Runs a sign-in step on the bounded CPU pool (signature verification is CPU work that must
/// not stall the async workers); a full pool refuses with `throttled`.
async fn run_sign_in(
    state: &Arc<AppState>,
    step: SignInStep,
    now: OffsetDateTime,
) -> Result<Outcome, Refusal> {
    let shared = Arc::clone(state);
    let job = async move {
        match step {
            SignInStep::Response(response) => {
                shared.pipeline.sign_in(&shared.iam, &response, now).await
            }
            SignInStep::Choose { ticket, role_arn } => shared
                .pipeline
                .choose_role(&shared.iam, &ticket, &role_arn, now)
                .await
                .map(|signed_in| Outcome::SignedIn(Box::new(signed_in))),
        }
    };
    match state.cpu.run_async(job).await {
        Ok(outcome) => outcome,
        Err(error) => Err(Refusal {
            code: "throttled",
            kind: RefusalKind::Internal,
            detail: format!("{}: {}", error.code, error.message),
            context: Box::default(),
        }),
    }
}

/// The console session cookie and the redirect of a completed sign-in.
async fn signed_in_response(
    visit: &Visit<'_>,
    signed_in: SignedIn,
    relay_state: &str,
    now: OffsetDateTime,
) -> Response {
    let web = &visit.state.web;
    let session = &signed_in.session;
    let expires = session.credentials().expiration;
    let Some(sid) = session_id() else {
        return visit
            .refuse(
                "internal_error",
                "the random generator failed",
                &signed_in.context,
            )
            .await;
    };
    let console = ConsoleSession {
        sid,
        token: session.credentials().session_token.expose().clone(),
        provider_arn: session.provider_arn().to_owned(),
        issuer: session.issuer().to_owned(),
        expires: expires.unix_timestamp(),
        origin_limit: session
            .session_not_on_or_after()
            .map(OffsetDateTime::unix_timestamp),
    };
    let Some(cookie) = web.cookies.set(Kind::Console, &console, expires, now) else {
        return visit
            .refuse(
                "internal_error",
                "the console cookie could not be sealed",
                &signed_in.context,
            )
            .await;
    };
    visit.succeeded(&signed_in.context).await;
    let target = web
        .redirects
        .target(relay_state)
        .unwrap_or_else(|| format!("{}/console", web.base_url));
    let mut response = see_other(&target);
    append_cookie(&mut response, &cookie);
    response
}

/// An `application/x-www-form-urlencoded` body as fields (the first value of each name).
pub(super) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for pair in body.split(|byte| *byte == b'&') {
        let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
            Some(at) => (
                pair.get(..at).unwrap_or_default(),
                pair.get(at + 1..).unwrap_or_default(),
            ),
            None => (pair, &[][..]),
        };
        let (Some(name), Some(value)) = (form_decode(name), form_decode(value)) else {
            continue;
        };
        fields.entry(name).or_insert(value);
    }
    fields
}

/// Decodes one form component (`+` is a space, `%XX` a byte); `None` when it is not UTF-8.
fn form_decode(raw: &[u8]) -> Option<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut iter = raw.iter().copied();
    while let Some(byte) = iter.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = iter.next().and_then(|c| char::from(c).to_digit(16));
                let low = iter.next().and_then(|c| char::from(c).to_digit(16));
                let (Some(high), Some(low)) = (high, low) else {
                    return None;
                };
                bytes.push(u8::try_from(high * 16 + low).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_fields() {
        let fields = form_fields(
            b"SAMLResponse=PHNhbWw%2B+x&RelayState=%2Fconsole&empty=&SAMLResponse=second",
        );
        assert_eq!(
            fields.get("SAMLResponse").map(String::as_str),
            Some("PHNhbWw+ x")
        );
        assert_eq!(
            fields.get("RelayState").map(String::as_str),
            Some("/console")
        );
        assert_eq!(fields.get("empty").map(String::as_str), Some(""));
        assert!(!form_fields(b"bad=%ZZ").contains_key("bad"));
    }
}
