//! `POST /` (and `GET /`): the AWS Query protocol for IAM and STS on one endpoint.
//!
//! Per request: parse the Query parameters; pick the service (the SigV4 credential scope's
//! service when signed, the action otherwise); authenticate with SigV4 (long-term keys from
//! the store, temporary keys from their sealed session token), except for the unsigned
//! `AssumeRoleWithSAML`; authorize IAM calls with the policy engine against the caller's
//! policies (on the action and resource `fedgate-iam` names); dispatch. Every error leaves through [`error_response`], the one mapping to the
//! AWS XML error shape.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use fedgate_aws_wire::{AwsError, QueryRequest, Service, sigv4};
use fedgate_signin::{AssumeRequest, AuditContext, StsRefusal};
use fedgate_sts::{CallerIdentity, Secret};
use time::OffsetDateTime;

use crate::auth::{self, Principal, Question, internal};
use crate::state::AppState;

/// The handler of `POST /` and `GET /`.
pub async fn query_endpoint(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: Bytes,
) -> Response {
    let client = crate::audit::client(&extensions);
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("request_id", tracing::field::display(&request_id));
    let now = state.clock.now();
    let query = uri.query().unwrap_or("");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let request = match QueryRequest::parse(query, content_type, &body) {
        Ok(request) => request,
        Err(error) => {
            return error_response(guess_service(&headers, query, &body), &error, &request_id);
        }
    };
    let header_pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let signable = sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: &header_pairs,
        body: &body,
    };
    let signed = match sigv4::parse(&signable) {
        Ok(signed) => signed,
        Err(error) => {
            return error_response(service_of(&request, None), &error.into(), &request_id);
        }
    };
    if let Some(signed) = &signed
        && let Err(error) = sigv4::check_service(signed, &["iam", "sts"])
    {
        return error_response(service_of(&request, None), &error.into(), &request_id);
    }
    let service = service_of(&request, signed.as_ref().map(|s| s.scope().service()));
    if let Some(signed) = &signed {
        tracing::Span::current().record(
            "access_key_id",
            tracing::field::display(signed.access_key_id()),
        );
        if let Err(error) = sigv4::check_region(signed, &service.signing_regions(&state.region)) {
            return error_response(service, &error.into(), &request_id);
        }
    }
    let action = request.action().to_owned();
    tracing::Span::current().record("action", tracing::field::display(&action));
    tracing::debug!(%request_id, service = service.signing_name(), %action, "aws request");

    let result = match (service, action.as_str(), signed) {
        // AssumeRoleWithSAML is authenticated by the assertion, not by SigV4 (as AWS).
        (Service::Sts, "AssumeRoleWithSAML", _) => {
            assume_role_with_saml(&state, &request, now, client).await
        }
        (_, _, None) => Err(sigv4::Error::Missing.into()),
        (service, _, Some(signed)) => {
            match auth::authenticate(&state, &signed, &signable, now).await {
                Err(error) => Err(error),
                Ok(principal) => {
                    tracing::Span::current()
                        .record("principal", tracing::field::display(principal.arn()));
                    match service {
                        Service::Sts => sts_signed(&state, &request, &principal),
                        Service::Iam => iam(&state, &request, &principal, now, client).await,
                    }
                }
            }
        }
    };
    match result {
        Ok(result) => {
            let result = (!result.is_empty()).then_some(result.as_str());
            let body = fedgate_aws_wire::success_response(service, &action, &request_id, result);
            xml(StatusCode::OK, body, &request_id)
        }
        Err(error) => {
            tracing::info!(%request_id, code = %error.code, status = error.status, "aws request refused");
            error_response(service, &error, &request_id)
        }
    }
}

/// The service a request is for: the signing scope's when signed, else by action.
fn service_of(request: &QueryRequest, signing_name: Option<&str>) -> Service {
    if let Some(service) = signing_name.and_then(Service::from_signing_name) {
        return service;
    }
    match (request.action(), request.version()) {
        (_, Some(version)) if version == Service::Sts.version() => Service::Sts,
        ("AssumeRoleWithSAML" | "GetCallerIdentity", _) => Service::Sts,
        _ => Service::Iam,
    }
}

/// The service of a request that could not be parsed, for the namespace of its error: STS
/// when it is signed for `sts` or names STS's API version, IAM otherwise.
fn guess_service(headers: &HeaderMap, query: &str, body: &[u8]) -> Service {
    let signed_for_sts = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("/sts/aws4_request"));
    let version = format!("Version={}", Service::Sts.version());
    let names_sts_version = query.contains(&version)
        || body
            .windows(version.len())
            .any(|window| window == version.as_bytes());
    if signed_for_sts || names_sts_version {
        Service::Sts
    } else {
        Service::Iam
    }
}

/// The one mapping from [`AwsError`] to the HTTP response.
pub(crate) fn error_response(service: Service, error: &AwsError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    xml(
        status,
        fedgate_aws_wire::error_response(service, error, request_id),
        request_id,
    )
}

fn xml(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response();
    if let Ok(value) = request_id.parse() {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Signed STS actions.
fn sts_signed(
    state: &AppState,
    request: &QueryRequest,
    principal: &Principal,
) -> Result<String, AwsError> {
    match request.action() {
        // GetCallerIdentity needs no permission, as in AWS.
        "GetCallerIdentity" => {
            let identity = match principal {
                Principal::Session { claims, .. } => CallerIdentity::for_session(claims),
                Principal::LongTermKey { principal_arn, .. } => CallerIdentity::for_long_term_key(
                    auth::admin_user_id(principal_arn),
                    state.iam.account_id(),
                    principal_arn,
                ),
            };
            Ok(fedgate_sts::get_caller_identity_result_xml(&identity))
        }
        other => Err(AwsError::invalid_action(
            other,
            request.version().unwrap_or(""),
        )),
    }
}

/// IAM actions: `fedgate-iam` names the action and resource
/// ([`fedgate_iam::Iam::authorization_target`]), the policy engine decides ([`auth::authorize`]),
/// and only its `Allowed` proof, bound to the request, reaches `Iam::handle`.
async fn iam(
    state: &AppState,
    request: &QueryRequest,
    principal: &Principal,
    now: OffsetDateTime,
    client: Option<String>,
) -> Result<String, AwsError> {
    let target = state
        .iam
        .authorization_target(request)
        .await
        .map_err(internal)?;
    let action = target.action().to_owned();
    let resource = target.resource().to_owned();
    let question = Question {
        action: &action,
        resource: &resource,
        keys: target.condition_keys(),
    };
    // Administrative changes are audited; reads are not.
    let audited = !["Get", "List"]
        .iter()
        .any(|prefix| request.action().starts_with(prefix));
    let context = AuditContext {
        subject: Some(principal.arn()),
        role_arn: resource.contains(":role/").then(|| resource.clone()),
        provider_arn: resource
            .contains(":saml-provider/")
            .then(|| resource.clone()),
        ..AuditContext::default()
    };
    let allowed = match auth::authorize(state, principal, &question, now).await {
        Ok(allowed) => allowed,
        Err(refusal) => {
            let error = refusal.into_aws(principal, &question);
            if audited {
                audit_aws(state, &action, &context, Err(&error), client).await;
            }
            return Err(error);
        }
    };
    let authorized = target.authorize(allowed).map_err(internal)?;
    let result = state.iam.handle(authorized, now).await;
    if audited {
        audit_aws(
            state,
            &action,
            &context,
            result.as_ref().map(|_| ()),
            client,
        )
        .await;
    }
    result
}

/// One audit event for an AWS API call.
async fn audit_aws(
    state: &AppState,
    event: &str,
    context: &AuditContext,
    result: Result<(), &AwsError>,
    client: Option<String>,
) {
    let error = result
        .err()
        .map(|error| (error.code.as_str(), error.message.as_str()));
    crate::audit::record_call(state, event, context, error, None, client).await;
}

/// `AssumeRoleWithSAML`: the wire parameters, then the sign-in pipeline (provider, managed
/// session policies, role, signature, assertion, role pair, trust policy, session policies).
async fn assume_role_with_saml(
    state: &Arc<AppState>,
    request: &QueryRequest,
    now: OffsetDateTime,
    client: Option<String>,
) -> Result<String, AwsError> {
    let mut context = AuditContext {
        provider_arn: request.get("PrincipalArn").map(str::to_owned),
        role_arn: request.get("RoleArn").map(str::to_owned),
        ..AuditContext::default()
    };
    let result = assume_role_with_saml_call(state, request, now, &mut context).await;
    let event = "sts:AssumeRoleWithSAML";
    audit_aws(state, event, &context, result.as_ref().map(|_| ()), client).await;
    result
}

async fn assume_role_with_saml_call(
    state: &Arc<AppState>,
    request: &QueryRequest,
    now: OffsetDateTime,
    context: &mut AuditContext,
) -> Result<String, AwsError> {
    let role_arn = request.required("RoleArn")?;
    let principal_arn = request.required("PrincipalArn")?;
    let assertion = request.required("SAMLAssertion")?;
    let duration_seconds = match request.get("DurationSeconds") {
        Some(value) => Some(value.parse::<i64>().map_err(|_| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
            ))
        })?),
        None => None,
    };
    let requested = request.struct_list("PolicyArns.member")?;
    if requested.len() > fedgate_sts::MAX_POLICY_ARNS {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: \
             Member must have length less than or equal to {}",
            fedgate_sts::MAX_POLICY_ARNS
        )));
    }
    let assume = AssumeRequest {
        role_arn: role_arn.to_owned(),
        principal_arn: principal_arn.to_owned(),
        saml_assertion: Secret::new(assertion.to_owned()),
        policy: request.get("Policy").map(str::to_owned),
        policy_arns: requested
            .iter()
            .map(|entry| entry.get("arn").copied().unwrap_or_default().to_owned())
            .collect(),
        duration_seconds,
    };
    // The CPU-heavy part (decoding, parsing, signature checks) runs on the bounded pool,
    // off the async workers, so `/healthz` and other requests stay fast while it is busy;
    // a full pool answers `Throttling`.
    let pipeline_state = Arc::clone(state);
    let outcome = state
        .cpu
        .run_async(async move {
            pipeline_state
                .pipeline
                .assume_role_with_saml(&pipeline_state.iam, assume, now)
                .await
        })
        .await?;
    let session = match outcome {
        Ok(session) => session,
        Err(StsRefusal::Sts(error)) => {
            tracing::info!(
                code = error.code(),
                cause = error.cause_code(),
                "AssumeRoleWithSAML refused"
            );
            return Err(AwsError::from(&error));
        }
        Err(StsRefusal::NoSuchPolicy { arn }) => {
            return Err(AwsError::no_such_entity(format!(
                "Policy {arn} does not exist or is not attachable."
            )));
        }
        Err(StsRefusal::Internal(detail)) => return Err(internal(detail)),
    };
    context.issuer = Some(session.issuer().to_owned());
    context.subject = Some(session.subject().to_owned());
    context.session_name = Some(session.session_name().to_owned());
    tracing::debug!(
        role = session.role_arn(),
        provider = session.provider_arn(),
        session_name = session.session_name(),
        assertion_id = session.assertion_id(),
        "role session issued"
    );
    Ok(fedgate_sts::assume_role_with_saml_result_xml(&session))
}
