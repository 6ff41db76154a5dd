//! The JSON shapes of the operations (botocore `connect` 2017-08-08, REST-JSON): request bodies
//! (`Deserialize`, members named as in the model, unknown members ignored as AWS does) and
//! response bodies (`Serialize`; absent members left out; timestamps as epoch seconds, the
//! REST-JSON default).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ConnectError;

/// Most bytes of a request body (the server's own limit is larger; no Connect request this
/// crate implements comes near it).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Parses a request body. An empty body is an empty object (`GET`, `DELETE`).
///
/// # Errors
/// [`ConnectError::Serialization`] when it is not the JSON the operation takes.
pub fn parse_json<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ConnectError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ConnectError::Serialization(format!(
            "The request body is larger than {MAX_BODY_BYTES} bytes."
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        ConnectError::Serialization(format!("The request body is not valid: {error}."))
    })
}

/// A string that must not appear in `Debug` output (passwords).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(pub String);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive([redacted])")
    }
}

/// Tags: `TagMap` (1–50 entries).
pub type TagMap = BTreeMap<String, String>;

// ---------------------------------------------------------------------------------------------
// Requests.

/// `CreateInstance` (`PUT /instance`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceInput {
    /// `ClientToken` (≤ 500): a retry with the same token returns the same instance.
    pub client_token: Option<String>,
    /// `IdentityManagementType` (required).
    pub identity_management_type: Option<String>,
    /// `InstanceAlias`.
    pub instance_alias: Option<String>,
    /// `DirectoryId`.
    pub directory_id: Option<String>,
    /// `InboundCallsEnabled` (required).
    pub inbound_calls_enabled: Option<bool>,
    /// `OutboundCallsEnabled` (required).
    pub outbound_calls_enabled: Option<bool>,
    /// `Tags`.
    pub tags: Option<TagMap>,
}

/// `IdentityInfo` of a user (request and response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityInfo {
    /// `FirstName` (0–255).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `LastName` (0–300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `Email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `SecondaryEmail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_email: Option<String>,
    /// `Mobile` (E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
}

/// `PhoneConfig` of a user (request and response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PhoneConfig {
    /// `SOFT_PHONE` or `DESK_PHONE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<String>,
    /// `AutoAccept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_accept: Option<bool>,
    /// `AfterContactWorkTimeLimit` (seconds, ≥ 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_contact_work_time_limit: Option<i64>,
    /// `DeskPhoneNumber` (E.164).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desk_phone_number: Option<String>,
}

/// `CreateUser` (`PUT /users/{InstanceId}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserInput {
    /// `Username` (required).
    pub username: Option<String>,
    /// `Password` (CONNECT_MANAGED only).
    pub password: Option<Sensitive>,
    /// `IdentityInfo`.
    pub identity_info: Option<IdentityInfo>,
    /// `PhoneConfig`.
    pub phone_config: Option<PhoneConfig>,
    /// `DirectoryUserId` (EXISTING_DIRECTORY only).
    pub directory_user_id: Option<String>,
    /// `SecurityProfileIds` (required, 1–10).
    pub security_profile_ids: Option<Vec<String>>,
    /// `RoutingProfileId` (required).
    pub routing_profile_id: Option<String>,
    /// `HierarchyGroupId` (fedgate has no hierarchy groups: refused).
    pub hierarchy_group_id: Option<String>,
    /// `Tags`.
    pub tags: Option<TagMap>,
}

/// `UpdateUserIdentityInfo` (`POST /users/{InstanceId}/{UserId}/identity-info`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserIdentityInfoInput {
    /// `IdentityInfo` (required).
    pub identity_info: Option<IdentityInfo>,
}

/// `UpdateUserSecurityProfiles` (`POST /users/{InstanceId}/{UserId}/security-profiles`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserSecurityProfilesInput {
    /// `SecurityProfileIds` (required, 1–10).
    pub security_profile_ids: Option<Vec<String>>,
}

/// `SearchUsers` (`POST /search-users`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchUsersInput {
    /// `InstanceId` (required).
    pub instance_id: Option<String>,
    /// `NextToken` (1–2500).
    pub next_token: Option<String>,
    /// `MaxResults` (1–500).
    pub max_results: Option<i64>,
    /// `SearchFilter` (tag and attribute filters: not supported, refused when present).
    pub search_filter: Option<serde_json::Value>,
    /// `SearchCriteria`.
    pub search_criteria: Option<SearchCriteria>,
}

/// `UserSearchCriteria`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchCriteria {
    /// `OrConditions`: any of them.
    pub or_conditions: Option<Vec<SearchCriteria>>,
    /// `AndConditions`: all of them.
    pub and_conditions: Option<Vec<SearchCriteria>>,
    /// `StringCondition`.
    pub string_condition: Option<StringCondition>,
    /// `ListCondition` (proficiencies: not supported, refused when present).
    pub list_condition: Option<serde_json::Value>,
    /// `HierarchyGroupCondition` (not supported, refused when present).
    pub hierarchy_group_condition: Option<serde_json::Value>,
}

/// `StringCondition`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringCondition {
    /// `FieldName`: `Username`, `FirstName`, `LastName` or `ResourceId` (any case).
    pub field_name: Option<String>,
    /// `Value`.
    pub value: Option<String>,
    /// `STARTS_WITH`, `CONTAINS` or `EXACT`.
    pub comparison_type: Option<String>,
}

/// The query-string paging parameters of the `List*` operations, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// `nextToken`.
    pub next_token: Option<String>,
    /// `maxResults`, still text.
    pub max_results: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Responses.

/// `CreateInstance` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceOutput {
    /// The instance ID.
    pub id: String,
    /// The instance ARN.
    pub arn: String,
}

/// `Instance` (DescribeInstance) and `InstanceSummary` (ListInstances, without `Tags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceShape {
    /// `Id`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `IdentityManagementType`.
    pub identity_management_type: String,
    /// `InstanceAlias`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_alias: Option<String>,
    /// `CreatedTime` (epoch seconds).
    pub created_time: i64,
    /// `InstanceStatus`.
    pub instance_status: String,
    /// `InboundCallsEnabled`.
    pub inbound_calls_enabled: bool,
    /// `OutboundCallsEnabled`.
    pub outbound_calls_enabled: bool,
    /// `InstanceAccessUrl`.
    pub instance_access_url: String,
    /// `Tags` (DescribeInstance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagMap>,
}

/// `DescribeInstance` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceOutput {
    /// `Instance`.
    pub instance: InstanceShape,
}

/// `ListInstances` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInstancesOutput {
    /// `InstanceSummaryList`.
    pub instance_summary_list: Vec<InstanceShape>,
    /// `NextToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `SecurityProfileSummary` / `RoutingProfileSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileSummary {
    /// `Id`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Name`.
    pub name: String,
    /// `LastModifiedTime` (epoch seconds).
    pub last_modified_time: i64,
    /// `LastModifiedRegion`.
    pub last_modified_region: String,
}

/// `ListSecurityProfiles` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecurityProfilesOutput {
    /// `SecurityProfileSummaryList`.
    pub security_profile_summary_list: Vec<ProfileSummary>,
    /// `NextToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `ListRoutingProfiles` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRoutingProfilesOutput {
    /// `RoutingProfileSummaryList`.
    pub routing_profile_summary_list: Vec<ProfileSummary>,
    /// `NextToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `CreateUser` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserOutput {
    /// `UserId`.
    pub user_id: String,
    /// `UserArn`.
    pub user_arn: String,
}

/// `User` (DescribeUser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserShape {
    /// `Id`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Username`.
    pub username: String,
    /// `IdentityInfo`.
    pub identity_info: IdentityInfo,
    /// `PhoneConfig`.
    pub phone_config: PhoneConfig,
    /// `DirectoryUserId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_user_id: Option<String>,
    /// `SecurityProfileIds`.
    pub security_profile_ids: Vec<String>,
    /// `RoutingProfileId`.
    pub routing_profile_id: String,
    /// `Tags`.
    pub tags: TagMap,
    /// `LastModifiedTime` (epoch seconds).
    pub last_modified_time: i64,
    /// `LastModifiedRegion`.
    pub last_modified_region: String,
}

/// `DescribeUser` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeUserOutput {
    /// `User`.
    pub user: UserShape,
}

/// `UserSummary` (ListUsers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserSummary {
    /// `Id`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Username`.
    pub username: String,
    /// `LastModifiedTime` (epoch seconds).
    pub last_modified_time: i64,
    /// `LastModifiedRegion`.
    pub last_modified_region: String,
}

/// `ListUsers` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersOutput {
    /// `UserSummaryList`.
    pub user_summary_list: Vec<UserSummary>,
    /// `NextToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `UserIdentityInfoLite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityInfoLite {
    /// `FirstName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `LastName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// `UserSearchSummary` (SearchUsers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserSearchSummary {
    /// `Arn`.
    pub arn: String,
    /// `DirectoryUserId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_user_id: Option<String>,
    /// `Id`.
    pub id: String,
    /// `IdentityInfo`.
    pub identity_info: IdentityInfoLite,
    /// `PhoneConfig`.
    pub phone_config: PhoneConfig,
    /// `RoutingProfileId`.
    pub routing_profile_id: String,
    /// `SecurityProfileIds`.
    pub security_profile_ids: Vec<String>,
    /// `Tags`.
    pub tags: TagMap,
    /// `Username`.
    pub username: String,
}

/// `SearchUsers` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchUsersOutput {
    /// `Users`.
    pub users: Vec<UserSearchSummary>,
    /// `NextToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// `ApproximateTotalCount`: every match, all pages.
    pub approximate_total_count: i64,
}
