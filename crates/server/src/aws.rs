//! `POST /` (and `GET /`): the AWS Query protocol for IAM and STS on one endpoint.
//!
//! Per request: parse the Query parameters; pick the service (the SigV4 credential scope's
//! service when signed, the action otherwise); authenticate with SigV4 (long-term keys from
//! the store, temporary keys from their sealed session token), except for the unsigned
//! `AssumeRoleWithSAML`; authorize IAM calls with the policy engine against the caller's
//! policies; dispatch. Every error leaves through [`error_response`], the one mapping to the
//! AWS XML error shape.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use fedgate_aws_wire::{AwsError, QueryRequest, Service, sigv4};
use fedgate_iam::Caller;
use fedgate_iam_policy::{ParseOptions, Policy, PolicySet, RequestContext, evaluate};
use fedgate_sts::{
    AssumeRoleWithSamlRequest, CallerIdentity, ManagedSessionPolicy, RoleRecord,
    SamlProviderRecord, Secret, SessionClaims,
};
use time::OffsetDateTime;

use crate::state::AppState;

/// Who is calling, after SigV4.
enum Principal {
    /// The administrator's long-term key: every IAM action.
    Admin { principal_arn: String },
    /// Temporary credentials of a role session.
    Session(Box<SessionClaims>),
}

/// The handler of `POST /` and `GET /`.
pub async fn query_endpoint(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
        && Service::from_signing_name(signed.scope().service()).is_none()
    {
        let error = AwsError::new(
            "SignatureDoesNotMatch",
            403,
            "Credential should be scoped to correct service: 'iam' or 'sts'.",
        );
        return error_response(service_of(&request, None), &error, &request_id);
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
    tracing::info!(%request_id, service = service.signing_name(), %action, "aws request");

    let result = match (service, action.as_str(), signed) {
        // AssumeRoleWithSAML is authenticated by the assertion, not by SigV4 (as AWS).
        (Service::Sts, "AssumeRoleWithSAML", _) => {
            assume_role_with_saml(&state, &request, now).await
        }
        (_, _, None) => Err(AwsError::new(
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        )),
        (service, _, Some(signed)) => match authenticate(&state, &signed, &signable, now).await {
            Err(error) => Err(error),
            Ok(principal) => {
                let principal_arn = match &principal {
                    Principal::Admin { principal_arn } => principal_arn.clone(),
                    Principal::Session(claims) => claims.assumed_role_arn(),
                };
                tracing::Span::current()
                    .record("principal", tracing::field::display(principal_arn));
                match service {
                    Service::Sts => sts_signed(&state, &request, &principal),
                    Service::Iam => iam(&state, &request, &principal, now).await,
                }
            }
        },
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

fn internal(error: impl std::fmt::Display) -> AwsError {
    tracing::error!(%error, "internal failure");
    AwsError::service_failure("An internal error occurred.")
}

/// SigV4: long-term keys from the store; temporary keys from their session token, which must
/// belong to the access key id that signed.
async fn authenticate(
    state: &AppState,
    signed: &sigv4::SignedRequest,
    request: &sigv4::Request<'_>,
    now: OffsetDateTime,
) -> Result<Principal, AwsError> {
    let access_key_id = signed.access_key_id();
    let unknown = || {
        AwsError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        )
    };
    if access_key_id.starts_with("ASIA") {
        let token = signed.session_token().ok_or_else(unknown)?;
        let claims = fedgate_sts::open_session_token(token, &state.session_key, now)
            .map_err(|e| sts_error(&e))?;
        claims
            .check_access_key_id(access_key_id)
            .map_err(|e| sts_error(&e))?;
        sigv4::verify(signed, request, claims.secret_access_key().expose(), now)?;
        return Ok(Principal::Session(Box::new(claims)));
    }
    let record = state
        .iam
        .access_key(access_key_id)
        .await
        .map_err(internal)?;
    let record = record
        .filter(|key| key.status == "Active")
        .ok_or_else(unknown)?;
    sigv4::verify(signed, request, record.secret_access_key.expose(), now)?;
    Ok(Principal::Admin {
        principal_arn: record.principal_arn,
    })
}

/// The administrator's unique user ID (`AIDA…`, as AWS gives IAM users): derived from its
/// ARN, so it is stable across restarts and nodes.
fn admin_user_id(principal_arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, principal_arn.as_bytes());
    let suffix: String = digest
        .as_ref()
        .iter()
        .take(17)
        .filter_map(|byte| {
            ALPHABET
                .get(usize::from(byte & 0x1f))
                .map(|&c| char::from(c))
        })
        .collect();
    format!("AIDA{suffix}")
}

fn sts_error(error: &fedgate_sts::StsError) -> AwsError {
    let (code, status, message) = fedgate_sts::to_aws(error);
    AwsError::new(code, status, message)
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
                Principal::Session(claims) => CallerIdentity::for_session(claims),
                Principal::Admin { principal_arn } => CallerIdentity::for_long_term_key(
                    admin_user_id(principal_arn),
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

/// IAM actions, authorized by the policy engine first.
async fn iam(
    state: &AppState,
    request: &QueryRequest,
    principal: &Principal,
    now: OffsetDateTime,
) -> Result<String, AwsError> {
    authorize(state, request, principal, now).await?;
    let caller = match principal {
        Principal::Admin { principal_arn } => Caller {
            principal_arn: principal_arn.clone(),
            is_admin: true,
        },
        Principal::Session(claims) => Caller {
            principal_arn: claims.assumed_role_arn(),
            is_admin: false,
        },
    };
    state.iam.handle(request, &caller, now).await
}

/// Every IAM call is decided by the policy engine: `iam:<Action>` on the resource the request
/// names, against the caller's identity policies (the administrator's allow-all policy, or a
/// role's inline and attached policies) intersected with a session's policies.
async fn authorize(
    state: &AppState,
    request: &QueryRequest,
    principal: &Principal,
    now: OffsetDateTime,
) -> Result<(), AwsError> {
    let action = format!("iam:{}", request.action());
    let target = iam_target(state, request).await?;
    let resource = target.resource.clone();
    let (caller_arn, user_id) = match principal {
        Principal::Admin { principal_arn } => (principal_arn.clone(), admin_user_id(principal_arn)),
        Principal::Session(claims) => (claims.assumed_role_arn(), claims.user_id()),
    };
    let denied = || {
        AwsError::access_denied(format!(
            "User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
        ))
    };
    let mut identity = Vec::new();
    let mut session = Vec::new();
    match principal {
        // The administrator's policy is added by reference below, not copied.
        Principal::Admin { .. } => {}
        Principal::Session(claims) => {
            // A deleted role's sessions can do nothing.
            let role = state
                .iam
                .role_by_arn(claims.role_arn())
                .await
                .map_err(internal)?;
            // INVARIANT: a session acts only for the role it was issued for; a role deleted and
            // recreated under the same name is another role (another role ID).
            let Some(role) = role.filter(|role| role.role_id == claims.role_id()) else {
                return Err(denied());
            };
            let parse = |text: &str, options| Policy::parse(text, &options).map_err(internal);
            for inline in &role.inline_policies {
                identity.push((
                    inline.name.clone(),
                    parse(&inline.document, ParseOptions::inline_identity())?,
                ));
            }
            for attached in &role.attached_policies {
                identity.push((
                    attached.policy_arn.clone(),
                    parse(&attached.document, ParseOptions::managed_identity())?,
                ));
            }
            for policy in claims.session_policies() {
                let name = policy.arn.clone().unwrap_or_else(|| "session".to_owned());
                session.push((name, policy.parse().map_err(|e| sts_error(&e))?));
            }
        }
    }
    let mut set = PolicySet::new();
    if let Principal::Admin { .. } = principal {
        set = set.identity("FedgateAdministrator", &state.admin_policy);
    }
    for (name, policy) in &identity {
        set = set.identity(name, policy);
    }
    for (name, policy) in &session {
        set = set.session(name, policy);
    }
    let mut context = RequestContext::new(action.clone())
        .with_resource(resource.clone())
        .with_current_time(now)
        .with_userid(user_id)
        .with_principal_arn(caller_arn.clone());
    if let Some(policy_arn) = target.policy_arn {
        context = context.with_key("iam:PolicyARN", policy_arn);
    }
    if evaluate(&set, &context).is_allowed() {
        Ok(())
    } else {
        Err(denied())
    }
}

/// What an IAM request acts on, for authorization: the resource ARN of the action (from the
/// parameters that action itself defines, never another action's) and extra condition keys.
struct IamTarget {
    resource: String,
    /// `iam:PolicyARN` for AttachRolePolicy/DetachRolePolicy.
    policy_arn: Option<String>,
}

/// The resource of each IAM action, as AWS's service authorization reference defines it:
/// roles by their stored ARN (with the path), providers and policies by their ARN, creations
/// by the ARN they would get, listings by `*`.
async fn iam_target(state: &AppState, request: &QueryRequest) -> Result<IamTarget, AwsError> {
    let account = state.iam.account_id();
    let param = |name: &str| request.get(name).unwrap_or_default();
    let path = |name: &str| request.get(name).unwrap_or("/");
    let resource = match request.action() {
        "CreateSAMLProvider" => format!("arn:aws:iam::{account}:saml-provider/{}", param("Name")),
        "GetSAMLProvider"
        | "UpdateSAMLProvider"
        | "DeleteSAMLProvider"
        | "TagSAMLProvider"
        | "UntagSAMLProvider"
        | "ListSAMLProviderTags" => param("SAMLProviderArn").to_owned(),
        "CreateRole" => format!(
            "arn:aws:iam::{account}:role{}{}",
            path("Path"),
            param("RoleName")
        ),
        "GetRole"
        | "UpdateRole"
        | "UpdateAssumeRolePolicy"
        | "DeleteRole"
        | "PutRolePolicy"
        | "GetRolePolicy"
        | "ListRolePolicies"
        | "DeleteRolePolicy"
        | "AttachRolePolicy"
        | "DetachRolePolicy"
        | "ListAttachedRolePolicies"
        | "TagRole"
        | "UntagRole"
        | "ListRoleTags" => {
            let name = param("RoleName");
            match state.iam.role_by_name(name).await.map_err(internal)? {
                Some(role) => role.arn,
                None => format!("arn:aws:iam::{account}:role/{name}"),
            }
        }
        "CreatePolicy" => format!(
            "arn:aws:iam::{account}:policy{}{}",
            path("Path"),
            param("PolicyName")
        ),
        "GetPolicy" | "GetPolicyVersion" | "DeletePolicy" => param("PolicyArn").to_owned(),
        _ => "*".to_owned(),
    };
    let policy_arn = matches!(request.action(), "AttachRolePolicy" | "DetachRolePolicy")
        .then(|| param("PolicyArn").to_owned());
    Ok(IamTarget {
        resource,
        policy_arn,
    })
}

/// Stands in for a `PolicyArns` entry that does not exist (see [`assume_role_with_saml`]).
const DENY_ALL_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// `AssumeRoleWithSAML`: look up the provider, role and managed session policies, then run
/// the STS pipeline (signature, assertion, role pair, trust policy, session policies).
async fn assume_role_with_saml(
    state: &Arc<AppState>,
    request: &QueryRequest,
    now: OffsetDateTime,
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
    let mut policy_arns = Vec::new();
    let mut missing_policy = None;
    for entry in requested {
        let arn = entry.get("arn").copied().unwrap_or_default();
        let document = match state
            .iam
            .managed_policy_document(arn)
            .await
            .map_err(internal)?
        {
            Some(document) => document,
            None => {
                // Stand in a deny-all policy so the assertion is still checked first; the
                // caller learns about the missing policy only if it authenticated.
                missing_policy.get_or_insert_with(|| arn.to_owned());
                DENY_ALL_POLICY.to_owned()
            }
        };
        policy_arns.push(ManagedSessionPolicy {
            arn: arn.to_owned(),
            document,
        });
    }
    let sts_request = AssumeRoleWithSamlRequest {
        role_arn: role_arn.to_owned(),
        principal_arn: principal_arn.to_owned(),
        saml_assertion: Secret::new(assertion.to_owned()),
        policy: request.get("Policy").map(str::to_owned),
        policy_arns,
        duration_seconds,
    };
    let provider = state
        .iam
        .saml_provider(principal_arn)
        .await
        .map_err(internal)?
        .map(|record| SamlProviderRecord {
            provider_arn: record.arn.clone(),
            identity_providers: record.identity_providers.clone(),
            assertion_encryption_mode: if record.assertion_encryption_mode == "Required" {
                fedgate_sts::AssertionEncryptionMode::Required
            } else {
                fedgate_sts::AssertionEncryptionMode::Allowed
            },
        });
    let role = match state
        .iam
        .role_for_assumption(role_arn)
        .await
        .map_err(internal)?
    {
        Some(role) => Some(role_record(state, role)?),
        None => None,
    };
    // The CPU-heavy part (decoding, parsing, signature checks) runs on the bounded pool,
    // off the async workers, so `/healthz` and other requests stay fast while it is busy;
    // a full pool answers `Throttling`.
    let shared = Arc::clone(state);
    let session = state
        .cpu
        .run(move || {
            fedgate_sts::assume_role_with_saml(
                &sts_request,
                provider.as_ref(),
                role.as_ref(),
                shared.iam.account_id(),
                &shared.service_provider,
                now,
                &shared.session_key,
            )
        })
        .await?
        .map_err(|error| {
            tracing::info!(
                code = error.code(),
                cause = error.cause_code(),
                "AssumeRoleWithSAML refused"
            );
            sts_error(&error)
        })?;
    if let Some(arn) = missing_policy {
        // The session is discarded: its credentials never leave the server.
        return Err(AwsError::no_such_entity(format!(
            "Policy {arn} does not exist or is not attachable."
        )));
    }
    tracing::info!(
        role = session.role_arn(),
        provider = session.provider_arn(),
        session_name = session.session_name(),
        assertion_id = session.assertion_id(),
        "role session issued"
    );
    Ok(fedgate_sts::assume_role_with_saml_result_xml(&session))
}

fn role_record(state: &AppState, role: fedgate_store::RoleRow) -> Result<RoleRecord, AwsError> {
    let trust_policy = trust_policy(state, &role.arn, &role.assume_role_policy)?;
    Ok(RoleRecord {
        role_arn: role.arn,
        role_id: role.role_id,
        role_name: role.name,
        path: role.path,
        trust_policy,
        max_session_duration: u32::try_from(role.max_session_duration).unwrap_or(3600),
    })
}

/// Most parsed trust policies kept: twice the role quota of an account (1000).
const MAX_CACHED_TRUST_POLICIES: usize = 2000;

/// The parsed trust policy of `role_arn`, from the cache when its text is unchanged.
fn trust_policy(state: &AppState, role_arn: &str, text: &str) -> Result<Arc<Policy>, AwsError> {
    let cached = state
        .trust_policies
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(role_arn)
        .filter(|(cached_text, _)| cached_text == text)
        .map(|(_, policy)| Arc::clone(policy));
    if let Some(policy) = cached {
        return Ok(policy);
    }
    // Stored trust policies were validated at write time; re-parse with the largest quota
    // AWS allows so a quota change never locks a role out.
    let options = ParseOptions::trust_with_quota(4096).map_err(internal)?;
    let policy = Arc::new(Policy::parse(text, &options).map_err(internal)?);
    let mut cache = state
        .trust_policies
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Bounded: deleted and renamed roles leave entries behind; start over past the limit.
    if cache.len() >= MAX_CACHED_TRUST_POLICIES {
        cache.clear();
    }
    cache.insert(role_arn.to_owned(), (text.to_owned(), Arc::clone(&policy)));
    Ok(policy)
}
