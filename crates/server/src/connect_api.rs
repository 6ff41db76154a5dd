//! The contact-center API: REST-JSON with the paths and shapes of the botocore `connect` model
//! (2017-08-08), on the same listener as the Query APIs, so `aws connect …` and boto3 work with
//! `--endpoint-url`.
//!
//! Per request: SigV4 (the scope's service must be `connect`, its region this endpoint's);
//! [`auth::authenticate`]; the body parsed (`SerializationException` when it is not the JSON the
//! operation takes); [`auth::authorize`] of `connect:<Operation>` on the operation's resource
//! ([`Operation::question`]); then the operation in `fedgate-connect`. Administrative changes
//! and `GetFederationToken` are audited. Every error leaves through [`error_response`], the
//! one mapping to the REST-JSON error shape (`x-amzn-ErrorType` header, `{"Message": …}`
//! body: botocore's rest-json parser reads the code from the header and the message from
//! `message` or `Message`).
//!
//! Resources (decisions where the service authorization reference is silent or unconfirmed):
//! - `CreateInstance`, `ListInstances`: `*`;
//! - the other instance-scoped operations (including `CreateUser`, `ListUsers`,
//!   `SearchUsers` and the profile listings): the instance ARN;
//! - user operations: the user ARN `…:instance/<id>/agent/<user-id>`;
//! - `GetFederationToken`: `…:instance/<id>/user/<aws:userid>` (spec §4.4), so both documented
//!   policy forms work: `Resource` `…/instance/<id>/user/${aws:userid}`, and `Resource` `*`
//!   with `StringEquals` on `connect:InstanceId`.
//!
//! Every instance-scoped request carries the condition key `connect:InstanceId`.
//! `GetFederationToken` with a long-term key (the administrator) is refused as AWS refuses the
//! root user: federation is for role sessions.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post, put};
use fedgate_aws_wire::{AwsError, sigv4};
use fedgate_connect::wire::{
    CreateInstanceInput, CreateUserInput, ListParams, SearchUsersInput,
    UpdateUserIdentityInfoInput, UpdateUserSecurityProfilesInput,
};
use fedgate_connect::{ConnectError, FederationCaller, parse_json};
use fedgate_signin::AuditContext;
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::{self, Principal, Question};
use crate::state::AppState;

/// The SigV4 signing name of the contact-center API.
pub const SIGNING_NAME: &str = "connect";

/// The routes of the contact-center API (merged into [`crate::router`]).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/instance", put(create_instance).get(list_instances))
        .route(
            "/instance/{InstanceId}",
            get(describe_instance).delete(delete_instance),
        )
        .route(
            "/security-profiles-summary/{InstanceId}",
            get(list_security_profiles),
        )
        .route(
            "/routing-profiles-summary/{InstanceId}",
            get(list_routing_profiles),
        )
        .route("/users/{InstanceId}", put(create_user))
        .route("/users-summary/{InstanceId}", get(list_users))
        .route(
            "/users/{InstanceId}/{UserId}",
            get(describe_user).delete(delete_user),
        )
        .route("/search-users", post(search_users))
        .route(
            "/users/{InstanceId}/{UserId}/identity-info",
            post(update_user_identity_info),
        )
        .route(
            "/users/{InstanceId}/{UserId}/security-profiles",
            post(update_user_security_profiles),
        )
        .route("/user/federate/{InstanceId}", get(get_federation_token))
}

/// One operation with its path parameters (still unchecked: the operation validates them).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    CreateInstance,
    ListInstances,
    DescribeInstance(String),
    DeleteInstance(String),
    ListSecurityProfiles(String),
    ListRoutingProfiles(String),
    CreateUser(String),
    ListUsers(String),
    DescribeUser(String, String),
    DeleteUser(String, String),
    SearchUsers,
    UpdateUserIdentityInfo(String, String),
    UpdateUserSecurityProfiles(String, String),
    GetFederationToken(String),
}

impl Operation {
    fn name(&self) -> &'static str {
        match self {
            Self::CreateInstance => "CreateInstance",
            Self::ListInstances => "ListInstances",
            Self::DescribeInstance(_) => "DescribeInstance",
            Self::DeleteInstance(_) => "DeleteInstance",
            Self::ListSecurityProfiles(_) => "ListSecurityProfiles",
            Self::ListRoutingProfiles(_) => "ListRoutingProfiles",
            Self::CreateUser(_) => "CreateUser",
            Self::ListUsers(_) => "ListUsers",
            Self::DescribeUser(..) => "DescribeUser",
            Self::DeleteUser(..) => "DeleteUser",
            Self::SearchUsers => "SearchUsers",
            Self::UpdateUserIdentityInfo(..) => "UpdateUserIdentityInfo",
            Self::UpdateUserSecurityProfiles(..) => "UpdateUserSecurityProfiles",
            Self::GetFederationToken(_) => "GetFederationToken",
        }
    }

    /// Administrative changes (audited).
    fn changes(&self) -> bool {
        matches!(
            self,
            Self::CreateInstance
                | Self::DeleteInstance(_)
                | Self::CreateUser(_)
                | Self::DeleteUser(..)
                | Self::UpdateUserIdentityInfo(..)
                | Self::UpdateUserSecurityProfiles(..)
        )
    }

    /// The instance the request is about (`SearchUsers`: from its body).
    fn instance_id<'a>(&'a self, body: &'a Body) -> Option<&'a str> {
        match self {
            Self::CreateInstance | Self::ListInstances => None,
            Self::SearchUsers => match body {
                Body::SearchUsers(input) => input.instance_id.as_deref(),
                _ => None,
            },
            Self::DescribeInstance(id)
            | Self::DeleteInstance(id)
            | Self::ListSecurityProfiles(id)
            | Self::ListRoutingProfiles(id)
            | Self::CreateUser(id)
            | Self::ListUsers(id)
            | Self::GetFederationToken(id)
            | Self::DescribeUser(id, _)
            | Self::DeleteUser(id, _)
            | Self::UpdateUserIdentityInfo(id, _)
            | Self::UpdateUserSecurityProfiles(id, _) => Some(id),
        }
    }

    /// The path parameters (instance and user IDs).
    fn path_ids(&self) -> Vec<&str> {
        match self {
            Self::CreateInstance | Self::ListInstances | Self::SearchUsers => Vec::new(),
            Self::DescribeInstance(id)
            | Self::DeleteInstance(id)
            | Self::ListSecurityProfiles(id)
            | Self::ListRoutingProfiles(id)
            | Self::CreateUser(id)
            | Self::ListUsers(id)
            | Self::GetFederationToken(id) => vec![id],
            Self::DescribeUser(id, user)
            | Self::DeleteUser(id, user)
            | Self::UpdateUserIdentityInfo(id, user)
            | Self::UpdateUserSecurityProfiles(id, user) => vec![id, user],
        }
    }

    /// The resource and condition keys `connect:<Operation>` is decided on (module docs).
    fn question_parts(
        &self,
        state: &AppState,
        principal: &Principal,
        body: &Body,
    ) -> (String, Vec<(&'static str, String)>) {
        let connect = &state.connect;
        let keys = |id: &str| vec![("connect:InstanceId", id.to_owned())];
        match self {
            Self::CreateInstance | Self::ListInstances => ("*".to_owned(), Vec::new()),
            Self::DescribeUser(id, user)
            | Self::DeleteUser(id, user)
            | Self::UpdateUserIdentityInfo(id, user)
            | Self::UpdateUserSecurityProfiles(id, user) => (connect.user_arn(id, user), keys(id)),
            Self::GetFederationToken(id) => (
                connect.federation_resource(id, &principal.user_id()),
                keys(id),
            ),
            _ => {
                let id = self.instance_id(body).unwrap_or_default();
                (connect.instance_arn(id), keys(id))
            }
        }
    }
}

/// A parsed request body.
#[derive(Debug)]
enum Body {
    None,
    CreateInstance(CreateInstanceInput),
    CreateUser(CreateUserInput),
    SearchUsers(SearchUsersInput),
    UpdateUserIdentityInfo(UpdateUserIdentityInfoInput),
    UpdateUserSecurityProfiles(UpdateUserSecurityProfilesInput),
}

impl Body {
    fn parse(operation: &Operation, bytes: &[u8]) -> Result<Self, ConnectError> {
        Ok(match operation {
            Operation::CreateInstance => Self::CreateInstance(parse_json(bytes)?),
            Operation::CreateUser(_) => Self::CreateUser(parse_json(bytes)?),
            Operation::SearchUsers => Self::SearchUsers(parse_json(bytes)?),
            Operation::UpdateUserIdentityInfo(..) => {
                Self::UpdateUserIdentityInfo(parse_json(bytes)?)
            }
            Operation::UpdateUserSecurityProfiles(..) => {
                Self::UpdateUserSecurityProfiles(parse_json(bytes)?)
            }
            _ => Self::None,
        })
    }
}

/// What every handler hands to [`serve`].
struct Incoming {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    client: Option<String>,
    body: Bytes,
}

/// An axum handler that collects the request and calls [`serve`] with `$operation`, built
/// from the path parameters named (`binding = "PathName"`).
macro_rules! handler {
    ($name:ident, $operation:expr) => {
        async fn $name(
            State(state): State<Arc<AppState>>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
            extensions: axum::http::Extensions,
            body: Bytes,
        ) -> Response {
            let incoming = Incoming {
                method,
                uri,
                headers,
                client: crate::audit::client(&extensions),
                body,
            };
            serve(&state, $operation, incoming).await
        }
    };
    ($name:ident, [$($param:ident = $key:literal),+] => $operation:expr) => {
        async fn $name(
            State(state): State<Arc<AppState>>,
            Path(path): Path<HashMap<String, String>>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
            extensions: axum::http::Extensions,
            body: Bytes,
        ) -> Response {
            $(let $param = path.get($key).cloned().unwrap_or_default();)+
            let incoming = Incoming {
                method,
                uri,
                headers,
                client: crate::audit::client(&extensions),
                body,
            };
            serve(&state, $operation, incoming).await
        }
    };
}

handler!(create_instance, Operation::CreateInstance);
handler!(list_instances, Operation::ListInstances);
handler!(search_users, Operation::SearchUsers);
handler!(describe_instance, [id = "InstanceId"] => Operation::DescribeInstance(id));
handler!(delete_instance, [id = "InstanceId"] => Operation::DeleteInstance(id));
handler!(list_security_profiles, [id = "InstanceId"] => Operation::ListSecurityProfiles(id));
handler!(list_routing_profiles, [id = "InstanceId"] => Operation::ListRoutingProfiles(id));
handler!(create_user, [id = "InstanceId"] => Operation::CreateUser(id));
handler!(list_users, [id = "InstanceId"] => Operation::ListUsers(id));
handler!(get_federation_token, [id = "InstanceId"] => Operation::GetFederationToken(id));
handler!(describe_user, [id = "InstanceId", user = "UserId"] => Operation::DescribeUser(id, user));
handler!(delete_user, [id = "InstanceId", user = "UserId"] => Operation::DeleteUser(id, user));
handler!(
    update_user_identity_info,
    [id = "InstanceId", user = "UserId"] => Operation::UpdateUserIdentityInfo(id, user)
);
handler!(
    update_user_security_profiles,
    [id = "InstanceId", user = "UserId"] => Operation::UpdateUserSecurityProfiles(id, user)
);

/// Authenticates, authorizes and runs one operation; answers JSON or the REST-JSON error.
async fn serve(state: &AppState, operation: Operation, incoming: Incoming) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("request_id", request_id.as_str());
    let now = state.clock.now();
    let result = run(state, &operation, &incoming, now).await;
    match result {
        Ok(body) => json(StatusCode::OK, body, &request_id),
        Err(error) => {
            tracing::info!(
                %request_id,
                operation = operation.name(),
                code = %error.code,
                status = error.status,
                "connect request refused"
            );
            error_response(&error, &request_id)
        }
    }
}

async fn run(
    state: &AppState,
    operation: &Operation,
    incoming: &Incoming,
    now: OffsetDateTime,
) -> Result<String, AwsError> {
    let principal = authenticate(state, incoming, now).await?;
    let body = Body::parse(operation, &incoming.body).map_err(AwsError::from)?;
    // IDs go into the resource ARN that is authorized: characters that could make it name
    // another resource (`/`, `:`, `*`, percent-decoded from the path) are refused first. IDs
    // fedgate issues are UUIDs.
    let ids = operation
        .path_ids()
        .into_iter()
        .chain(operation.instance_id(&body));
    for id in ids {
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(ConnectError::InvalidRequest(
                "The instance or user ID is not valid.".to_owned(),
            )
            .into());
        }
    }
    let action = format!("connect:{}", operation.name());
    tracing::debug!(operation = operation.name(), principal = %principal.arn(), "connect request");
    let (resource, keys) = operation.question_parts(state, &principal, &body);
    let question = Question {
        action: &action,
        resource: &resource,
        keys,
    };
    let context = audit_context(&principal);
    let instance_id = operation.instance_id(&body).map(str::to_owned);
    let audited = operation.changes() || matches!(operation, Operation::GetFederationToken(_));
    let result = match decide(state, operation, &principal, &question, now).await {
        Ok(()) => execute(state, operation, body, &principal, incoming, now).await,
        Err(error) => Err(error),
    };
    if audited {
        let error = result
            .as_ref()
            .err()
            .map(|error| (model_code(&error.code), error.message.as_str()));
        let instance_id = instance_id.as_deref();
        let client = incoming.client.clone();
        crate::audit::record_call(state, &action, &context, error, instance_id, client).await;
    }
    result
}

/// SigV4 for the service `connect` in this endpoint's region, then the principal.
async fn authenticate(
    state: &AppState,
    incoming: &Incoming,
    now: OffsetDateTime,
) -> Result<Principal, AwsError> {
    let header_pairs: Vec<(String, String)> = incoming
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let signable = sigv4::Request {
        method: incoming.method.as_str(),
        path: incoming.uri.path(),
        query: incoming.uri.query().unwrap_or(""),
        headers: &header_pairs,
        body: &incoming.body,
    };
    let signed = sigv4::parse(&signable)?.ok_or_else(|| sigv4::Error::Missing.to_aws_error())?;
    tracing::Span::current().record("access_key_id", signed.access_key_id());
    sigv4::check_service(&signed, &[SIGNING_NAME])?;
    sigv4::check_region(&signed, &[state.region.as_str()])?;
    let principal = auth::authenticate(state, &signed, &signable, now).await?;
    tracing::Span::current().record("principal", principal.arn());
    Ok(principal)
}

/// The policy engine's decision, and the federation rule for long-term keys.
async fn decide(
    state: &AppState,
    operation: &Operation,
    principal: &Principal,
    question: &Question<'_>,
    now: OffsetDateTime,
) -> Result<(), AwsError> {
    if let (Operation::GetFederationToken(_), Principal::LongTermKey { principal_arn, .. }) =
        (operation, principal)
    {
        // As AWS refuses the root user: federation maps a role session to a user.
        return Err(ConnectError::InvalidRequest(format!(
            "Provided identity: Principal: {principal_arn} User: {} cannot be used for \
             federation with Amazon Connect",
            principal.user_id()
        ))
        .into());
    }
    auth::authorize(state, principal, question, now)
        .await
        .map(|_allowed| ())
        .map_err(|refusal| refusal.into_aws(principal, question))
}

fn audit_context(principal: &Principal) -> AuditContext {
    match principal {
        Principal::Session { claims, .. } => AuditContext {
            subject: Some(principal.arn()),
            session_name: Some(claims.session_name().to_owned()),
            role_arn: Some(claims.role_arn().to_owned()),
            ..AuditContext::default()
        },
        Principal::LongTermKey { .. } => AuditContext {
            subject: Some(principal.arn()),
            ..AuditContext::default()
        },
    }
}

fn to_json(value: &impl Serialize) -> Result<String, AwsError> {
    serde_json::to_string(value).map_err(auth::internal)
}

/// The `nextToken` and `maxResults` query parameters.
fn list_params(uri: &Uri) -> Result<ListParams, AwsError> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(uri).map_err(|_| {
        AwsError::from(ConnectError::InvalidRequest(
            "The query string is not valid.".to_owned(),
        ))
    })?;
    Ok(ListParams {
        next_token: query.get("nextToken").cloned(),
        max_results: query.get("maxResults").cloned(),
    })
}

/// Runs an authorized operation; the JSON body of its response (empty for operations
/// without output).
async fn execute(
    state: &AppState,
    operation: &Operation,
    body: Body,
    principal: &Principal,
    incoming: &Incoming,
    now: OffsetDateTime,
) -> Result<String, AwsError> {
    let connect = &state.connect;
    let empty = |result: Result<(), ConnectError>| result.map(|()| String::new());
    let output = match (operation, body) {
        (Operation::CreateInstance, Body::CreateInstance(input)) => {
            to_json(&connect.create_instance(&input, now).await?)?
        }
        (Operation::ListInstances, _) => {
            to_json(&connect.list_instances(&list_params(&incoming.uri)?).await?)?
        }
        (Operation::DescribeInstance(id), _) => to_json(&connect.describe_instance(id).await?)?,
        (Operation::DeleteInstance(id), _) => empty(connect.delete_instance(id).await)?,
        (Operation::ListSecurityProfiles(id), _) => to_json(
            &connect
                .list_security_profiles(id, &list_params(&incoming.uri)?)
                .await?,
        )?,
        (Operation::ListRoutingProfiles(id), _) => to_json(
            &connect
                .list_routing_profiles(id, &list_params(&incoming.uri)?)
                .await?,
        )?,
        (Operation::CreateUser(id), Body::CreateUser(input)) => {
            to_json(&connect.create_user(id, &input, now).await?)?
        }
        (Operation::ListUsers(id), _) => {
            to_json(&connect.list_users(id, &list_params(&incoming.uri)?).await?)?
        }
        (Operation::DescribeUser(id, user), _) => to_json(&connect.describe_user(id, user).await?)?,
        (Operation::DeleteUser(id, user), _) => empty(connect.delete_user(id, user).await)?,
        (Operation::SearchUsers, Body::SearchUsers(input)) => {
            to_json(&connect.search_users(&input).await?)?
        }
        (Operation::UpdateUserIdentityInfo(id, user), Body::UpdateUserIdentityInfo(input)) => {
            empty(
                connect
                    .update_user_identity_info(id, user, &input, now)
                    .await,
            )?
        }
        (
            Operation::UpdateUserSecurityProfiles(id, user),
            Body::UpdateUserSecurityProfiles(input),
        ) => empty(
            connect
                .update_user_security_profiles(id, user, &input, now)
                .await,
        )?,
        (Operation::GetFederationToken(id), _) => {
            let Principal::Session { claims, .. } = principal else {
                return Err(auth::internal("a long-term key reached GetFederationToken"));
            };
            let caller = FederationCaller {
                session_name: claims.session_name().to_owned(),
                role_id: claims.role_id().to_owned(),
                role_arn: claims.role_arn().to_owned(),
                // Session tokens do not carry the provider; the browser path knows it.
                provider_arn: None,
                session_expiration: claims.expiration(),
            };
            let token = connect.get_federation_token(id, &caller, now).await?;
            tracing::info!(
                instance_id = %id,
                user_id = %token.user_id,
                session_name = %caller.session_name,
                "federation token issued"
            );
            to_json(&token)?
        }
        (operation, body) => {
            return Err(auth::internal(format!(
                "{} reached execute with body {body:?}",
                operation.name()
            )));
        }
    };
    Ok(output)
}

/// The one mapping from [`AwsError`] to the REST-JSON error response: the status, the
/// exception name in `x-amzn-ErrorType`, `{"Message": …}`. Codes of the shared layers are
/// renamed to the Connect model's exceptions (`AccessDenied` → `AccessDeniedException`,
/// internal failures → `InternalServiceException`).
pub(crate) fn error_response(error: &AwsError, request_id: &str) -> Response {
    let code = model_code(&error.code);
    let message = if code == "InternalServiceException" {
        "Request processing failed because of an error or failure with the service."
    } else {
        error.message.as_str()
    };
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "Message": message }).to_string();
    let mut response = json(status, body, request_id);
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// The Connect model's name for an error code of the shared layers (authorization, internal
/// failures); other codes are already the model's or SigV4's.
fn model_code(code: &str) -> &str {
    match code {
        "AccessDenied" => "AccessDeniedException",
        "ServiceFailure" | "InternalFailure" => "InternalServiceException",
        code => code,
    }
}

fn json(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(value) = request_id.parse() {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_rest_json_with_the_model_exception_names() {
        let cases = [
            (
                AwsError::access_denied("User: x is not authorized"),
                "AccessDeniedException",
                403,
            ),
            (
                AwsError::service_failure("detail"),
                "InternalServiceException",
                500,
            ),
            (
                ConnectError::UserNotFound.to_aws_error(),
                "UserNotFoundException",
                404,
            ),
        ];
        for (error, code, status) in cases {
            let response = error_response(&error, "req-1");
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()["x-amzn-errortype"], code);
            assert_eq!(response.headers()["x-amzn-requestid"], "req-1");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        }
    }

    #[test]
    fn internal_details_stay_out_of_the_message() {
        let response = error_response(&AwsError::service_failure("database detail"), "r");
        let body = body_text(response);
        assert!(!body.contains("database detail"), "{body}");
        assert!(body.contains("\"Message\""), "{body}");
    }

    fn body_text(response: Response) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        })
    }
}
