//! User operations: `CreateUser`, `DescribeUser`, `ListUsers`, `SearchUsers`,
//! `UpdateUserIdentityInfo`, `UpdateUserSecurityProfiles`, `DeleteUser`.
//!
//! Rules by identity management type (spec §4.1, the model's member documentation):
//!
//! | member            | SAML        | CONNECT_MANAGED        | EXISTING_DIRECTORY |
//! | ----------------- | ----------- | ---------------------- | ------------------ |
//! | `Password`        | refused     | required, model rule   | refused            |
//! | `IdentityInfo.Email` | refused  | optional               | optional           |
//! | `DirectoryUserId` | refused     | refused                | optional           |
//! | `FirstName`, `LastName` | required | required          | optional           |
//!
//! Usernames are unique per instance and compared case-sensitively (a SAML user's username
//! must equal the RoleSessionName exactly, case included).
//!
//! Decisions where AWS is silent: `UpdateUserIdentityInfo` changes the members it is given and
//! keeps the others (the same rules apply to the result); `SearchUsers` compares strings
//! case-sensitively and supports `StringCondition`s on `Username`, `FirstName`, `LastName` and
//! `ResourceId` combined with `AndConditions`/`OrConditions` (at most
//! [`MAX_SEARCH_DEPTH`] levels, [`MAX_SEARCH_CONDITIONS`] conditions); tag, hierarchy and
//! proficiency filters are refused (fedgate has none of those).

use fedgate_store::{
    ConnectIdentityRow, ConnectPhoneRow, ConnectStore, ConnectUserRow, StoreError,
};
use time::OffsetDateTime;

use crate::instances::{DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS};
use crate::validate::{self, Kind};
use crate::wire::{
    CreateUserInput, CreateUserOutput, DescribeUserOutput, IdentityInfo, IdentityInfoLite,
    ListParams, ListUsersOutput, PhoneConfig, SearchCriteria, SearchUsersInput, SearchUsersOutput,
    UpdateUserIdentityInfoInput, UpdateUserSecurityProfilesInput, UserSearchSummary, UserShape,
    UserSummary,
};
use crate::{
    AgentStatus, Connect, ConnectError, IdentityManagementType, MAX_USERS_PER_INSTANCE,
    created_key, ids, password,
};

/// Most security profiles per user (model `SecurityProfileIds`).
pub const MAX_SECURITY_PROFILES: usize = 10;
/// Longest `FirstName` (model).
pub const MAX_FIRST_NAME_CHARS: usize = 255;
/// Longest `LastName` (model).
pub const MAX_LAST_NAME_CHARS: usize = 300;
/// Largest `MaxResults` of `SearchUsers` (model `MaxResult500`).
pub const MAX_SEARCH_RESULTS: usize = 500;
/// Deepest nesting of `AndConditions`/`OrConditions` accepted (a budget: the model has none).
pub const MAX_SEARCH_DEPTH: usize = 4;
/// Most conditions in one `SearchCriteria` (a budget: the model has none).
pub const MAX_SEARCH_CONDITIONS: usize = 50;
/// Longest `Value` of a `StringCondition`.
pub const MAX_SEARCH_VALUE_CHARS: usize = 256;

const KIND: Kind = Kind::Parameter;

fn identity_type(
    row: &fedgate_store::ConnectInstanceRow,
) -> Result<IdentityManagementType, ConnectError> {
    IdentityManagementType::parse(&row.identity_management_type).ok_or_else(|| {
        ConnectError::Store(StoreError::Corrupt {
            detail: format!(
                "instance {} has an unknown identity management type",
                row.id
            ),
        })
    })
}

/// Checks the members of `IdentityInfo` that are present.
fn check_identity_members(info: &IdentityInfo) -> Result<(), ConnectError> {
    if let Some(first) = &info.first_name {
        validate::length(
            KIND,
            "identityInfo.firstName",
            first,
            0,
            MAX_FIRST_NAME_CHARS,
        )?;
    }
    if let Some(last) = &info.last_name {
        validate::length(KIND, "identityInfo.lastName", last, 0, MAX_LAST_NAME_CHARS)?;
    }
    if let Some(email) = &info.email {
        validate::email("identityInfo.email", email)?;
    }
    if let Some(email) = &info.secondary_email {
        validate::email("identityInfo.secondaryEmail", email)?;
    }
    if let Some(mobile) = &info.mobile {
        validate::phone_number("identityInfo.mobile", mobile)?;
    }
    Ok(())
}

/// The identity rules of the instance's type, on the identity a user would have.
fn check_identity_for_type(
    identity: IdentityManagementType,
    info: &ConnectIdentityRow,
) -> Result<(), ConnectError> {
    let named = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    match identity {
        IdentityManagementType::Saml => {
            if info.email.is_some() {
                return Err(ConnectError::InvalidRequest(
                    "Email is not allowed for a user of an instance with SAML identity \
                     management."
                        .to_owned(),
                ));
            }
        }
        IdentityManagementType::ConnectManaged | IdentityManagementType::ExistingDirectory => {}
    }
    if matches!(
        identity,
        IdentityManagementType::Saml | IdentityManagementType::ConnectManaged
    ) && !(named(&info.first_name) && named(&info.last_name))
    {
        return Err(ConnectError::InvalidRequest(format!(
            "FirstName and LastName are required for a user of an instance with {} identity \
             management.",
            identity.as_str()
        )));
    }
    Ok(())
}

/// `SecurityProfileIds`: 1–10 non-empty IDs, duplicates dropped (order kept).
fn security_profile_ids(ids: Option<&Vec<String>>) -> Result<Vec<String>, ConnectError> {
    let ids = validate::required(KIND, "securityProfileIds", ids)?;
    if ids.is_empty() || ids.len() > MAX_SECURITY_PROFILES {
        return Err(validate::constraint(
            KIND,
            "securityProfileIds",
            &format!("have length between 1 and {MAX_SECURITY_PROFILES}"),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        validate::resource_id(KIND, "securityProfileIds.member", id)?;
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    Ok(unique)
}

fn phone(config: Option<&PhoneConfig>) -> Result<ConnectPhoneRow, ConnectError> {
    let config = config.cloned().unwrap_or_default();
    let phone_type = config.phone_type.unwrap_or_else(|| "SOFT_PHONE".to_owned());
    if !matches!(phone_type.as_str(), "SOFT_PHONE" | "DESK_PHONE") {
        return Err(validate::constraint(
            KIND,
            "phoneConfig.phoneType",
            "satisfy enum value set: [SOFT_PHONE, DESK_PHONE]",
        ));
    }
    if let Some(number) = &config.desk_phone_number {
        validate::phone_number("phoneConfig.deskPhoneNumber", number)?;
    } else if phone_type == "DESK_PHONE" {
        return Err(ConnectError::InvalidParameter(
            "DeskPhoneNumber is required when PhoneType is DESK_PHONE.".to_owned(),
        ));
    }
    let after_contact_work_time_limit = config.after_contact_work_time_limit.unwrap_or(0);
    if after_contact_work_time_limit < 0 {
        return Err(validate::constraint(
            KIND,
            "phoneConfig.afterContactWorkTimeLimit",
            "have value greater than or equal to 0",
        ));
    }
    Ok(ConnectPhoneRow {
        phone_type,
        auto_accept: config.auto_accept.unwrap_or(false),
        after_contact_work_time_limit,
        desk_phone_number: config.desk_phone_number,
    })
}

fn phone_shape(row: &ConnectPhoneRow) -> PhoneConfig {
    PhoneConfig {
        phone_type: Some(row.phone_type.clone()),
        auto_accept: Some(row.auto_accept),
        after_contact_work_time_limit: Some(row.after_contact_work_time_limit),
        desk_phone_number: row.desk_phone_number.clone(),
    }
}

fn identity_shape(row: &ConnectIdentityRow) -> IdentityInfo {
    IdentityInfo {
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        email: row.email.clone(),
        secondary_email: row.secondary_email.clone(),
        mobile: row.mobile.clone(),
    }
}

fn tag_map(tags: &[fedgate_store::Tag]) -> crate::wire::TagMap {
    tags.iter()
        .map(|tag| (tag.key.clone(), tag.value.clone()))
        .collect()
}

/// A `StringCondition` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    FirstName,
    LastName,
    ResourceId,
}

/// A `StringCondition` comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StartsWith,
    Contains,
    Exact,
}

/// Compiled `SearchCriteria`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Criterion {
    Any(Vec<Criterion>),
    All(Vec<Criterion>),
    Text {
        field: Field,
        comparison: Comparison,
        value: String,
    },
}

impl Criterion {
    fn compile(
        criteria: &SearchCriteria,
        depth: usize,
        budget: &mut usize,
    ) -> Result<Self, ConnectError> {
        if depth > MAX_SEARCH_DEPTH {
            return Err(ConnectError::InvalidParameter(format!(
                "SearchCriteria may nest at most {MAX_SEARCH_DEPTH} levels."
            )));
        }
        *budget = budget.checked_sub(1).ok_or_else(|| {
            ConnectError::InvalidParameter(format!(
                "SearchCriteria may hold at most {MAX_SEARCH_CONDITIONS} conditions."
            ))
        })?;
        if criteria.list_condition.is_some() || criteria.hierarchy_group_condition.is_some() {
            return Err(ConnectError::InvalidParameter(
                "ListCondition and HierarchyGroupCondition are not supported.".to_owned(),
            ));
        }
        let present = usize::from(criteria.or_conditions.is_some())
            + usize::from(criteria.and_conditions.is_some())
            + usize::from(criteria.string_condition.is_some());
        if present != 1 {
            return Err(ConnectError::InvalidParameter(
                "Each SearchCriteria must hold exactly one of OrConditions, AndConditions and \
                 StringCondition."
                    .to_owned(),
            ));
        }
        let compile_all = |list: &[SearchCriteria], budget: &mut usize| {
            list.iter()
                .map(|inner| Self::compile(inner, depth.saturating_add(1), budget))
                .collect::<Result<Vec<_>, _>>()
        };
        if let Some(list) = &criteria.or_conditions {
            return Ok(Self::Any(compile_all(list, budget)?));
        }
        if let Some(list) = &criteria.and_conditions {
            return Ok(Self::All(compile_all(list, budget)?));
        }
        let condition = criteria.string_condition.clone().unwrap_or_default();
        let field_name = validate::required(
            KIND,
            "stringCondition.fieldName",
            condition.field_name.as_ref(),
        )?;
        let field = match field_name.to_ascii_lowercase().as_str() {
            "username" => Field::Username,
            "firstname" => Field::FirstName,
            "lastname" => Field::LastName,
            "resourceid" => Field::ResourceId,
            _ => {
                return Err(ConnectError::InvalidParameter(format!(
                    "FieldName {field_name} is not supported; use Username, FirstName, \
                     LastName or ResourceId."
                )));
            }
        };
        let comparison_name = validate::required(
            KIND,
            "stringCondition.comparisonType",
            condition.comparison_type.as_ref(),
        )?;
        let comparison = match comparison_name.as_str() {
            "STARTS_WITH" => Comparison::StartsWith,
            "CONTAINS" => Comparison::Contains,
            "EXACT" => Comparison::Exact,
            _ => {
                return Err(validate::constraint(
                    KIND,
                    "stringCondition.comparisonType",
                    "satisfy enum value set: [STARTS_WITH, CONTAINS, EXACT]",
                ));
            }
        };
        let value = validate::required(KIND, "stringCondition.value", condition.value.as_ref())?;
        validate::length(
            KIND,
            "stringCondition.value",
            value,
            1,
            MAX_SEARCH_VALUE_CHARS,
        )?;
        Ok(Self::Text {
            field,
            comparison,
            value: value.clone(),
        })
    }

    fn matches(&self, user: &ConnectUserRow) -> bool {
        match self {
            Self::Any(list) => list.iter().any(|c| c.matches(user)),
            Self::All(list) => list.iter().all(|c| c.matches(user)),
            Self::Text {
                field,
                comparison,
                value,
            } => {
                let text = match field {
                    Field::Username => Some(user.username.as_str()),
                    Field::FirstName => user.identity.first_name.as_deref(),
                    Field::LastName => user.identity.last_name.as_deref(),
                    Field::ResourceId => Some(user.id.as_str()),
                };
                text.is_some_and(|text| match comparison {
                    Comparison::StartsWith => text.starts_with(value.as_str()),
                    Comparison::Contains => text.contains(value.as_str()),
                    Comparison::Exact => text == value,
                })
            }
        }
    }
}

impl<S: ConnectStore> Connect<S> {
    /// `CreateUser` (rules in the module documentation). Passwords are stored as argon2id
    /// hashes; new users are `Offline`.
    ///
    /// # Errors
    /// `InvalidParameterException` for a parameter that fails its constraint;
    /// `InvalidRequestException` for a member the instance's identity type refuses or needs;
    /// `ResourceNotFoundException` for an unknown instance, routing or security profile;
    /// `DuplicateResourceException` for a username in use; `LimitExceededException` past
    /// [`MAX_USERS_PER_INSTANCE`].
    pub async fn create_user(
        &self,
        instance_id: &str,
        input: &CreateUserInput,
        now: OffsetDateTime,
    ) -> Result<CreateUserOutput, ConnectError> {
        let instance = self.existing_instance(KIND, instance_id).await?;
        let identity_type = identity_type(&instance)?;
        let username = validate::required(KIND, "username", input.username.as_ref())?;
        validate::username(username)?;
        let security_profile_ids = security_profile_ids(input.security_profile_ids.as_ref())?;
        let routing_profile_id =
            validate::required(KIND, "routingProfileId", input.routing_profile_id.as_ref())?;
        validate::resource_id(KIND, "routingProfileId", routing_profile_id)?;
        if let Some(group) = &input.hierarchy_group_id {
            return Err(ConnectError::ResourceNotFound(format!(
                "Hierarchy group {group} not found"
            )));
        }
        let info = input.identity_info.clone().unwrap_or_default();
        check_identity_members(&info)?;
        let identity = ConnectIdentityRow {
            first_name: info.first_name,
            last_name: info.last_name,
            email: info.email,
            secondary_email: info.secondary_email,
            mobile: info.mobile,
        };
        check_identity_for_type(identity_type, &identity)?;
        let refused = |member: &str| {
            ConnectError::InvalidRequest(format!(
                "{member} is not allowed for a user of an instance with {} identity management.",
                identity_type.as_str()
            ))
        };
        let password_hash = match (identity_type, &input.password) {
            (IdentityManagementType::ConnectManaged, Some(password)) => {
                if !password::acceptable(&password.0) {
                    return Err(validate::constraint(
                        KIND,
                        "password",
                        r"satisfy regular expression pattern: /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}$/",
                    ));
                }
                Some(password::hash(&password.0)?)
            }
            (IdentityManagementType::ConnectManaged, None) => {
                return Err(ConnectError::InvalidRequest(
                    "Password is required for a user of an instance with CONNECT_MANAGED \
                     identity management."
                        .to_owned(),
                ));
            }
            (_, Some(_)) => return Err(refused("Password")),
            (_, None) => None,
        };
        let directory_user_id = match (identity_type, &input.directory_user_id) {
            (IdentityManagementType::ExistingDirectory, Some(id)) => {
                validate::length(KIND, "directoryUserId", id, 1, 256)?;
                Some(id.clone())
            }
            (_, Some(_)) => return Err(refused("DirectoryUserId")),
            (_, None) => None,
        };
        let phone = phone(input.phone_config.as_ref())?;
        let tags = validate::tags(KIND, input.tags.as_ref())?;
        let id = ids::uuid_v4()?;
        let row = ConnectUserRow {
            arn: self.user_arn(instance_id, &id),
            id,
            instance_id: instance_id.to_owned(),
            username: username.clone(),
            identity,
            directory_user_id,
            password_hash,
            routing_profile_id: routing_profile_id.clone(),
            security_profile_ids,
            phone,
            agent_status: AgentStatus::Offline.as_str().to_owned(),
            agent_status_changed: now,
            created: now,
            last_modified: now,
            tags,
        };
        match self
            .store
            .create_connect_user(&row, MAX_USERS_PER_INSTANCE)
            .await
        {
            Ok(()) => Ok(CreateUserOutput {
                user_id: row.id,
                user_arn: row.arn,
            }),
            Err(StoreError::AlreadyExists { .. }) => Err(ConnectError::DuplicateResource(format!(
                "A user with the username {username} already exists in this instance."
            ))),
            Err(StoreError::LimitExceeded { limit, .. }) => Err(ConnectError::LimitExceeded(
                format!("The quota of {limit} users per instance has been reached."),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// `DescribeUser`.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance or user.
    pub async fn describe_user(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<DescribeUserOutput, ConnectError> {
        let (_, user) = self.existing_user(instance_id, user_id).await?;
        Ok(DescribeUserOutput {
            user: UserShape {
                id: user.id.clone(),
                arn: user.arn.clone(),
                username: user.username.clone(),
                identity_info: identity_shape(&user.identity),
                phone_config: phone_shape(&user.phone),
                directory_user_id: user.directory_user_id.clone(),
                security_profile_ids: user.security_profile_ids.clone(),
                routing_profile_id: user.routing_profile_id.clone(),
                tags: tag_map(&user.tags),
                last_modified_time: user.last_modified.unix_timestamp(),
                last_modified_region: self.settings.region.clone(),
            },
        })
    }

    /// `ListUsers`, oldest first.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance; `InvalidParameterException` for a
    /// bad `maxResults` or `nextToken`.
    pub async fn list_users(
        &self,
        instance_id: &str,
        params: &ListParams,
    ) -> Result<ListUsersOutput, ConnectError> {
        self.existing_instance(KIND, instance_id).await?;
        let max = validate::max_results(
            KIND,
            params.max_results.as_deref(),
            MAX_LIST_RESULTS,
            DEFAULT_LIST_RESULTS,
        )?;
        let users = self.store.connect_users(instance_id).await?;
        let keyed = users
            .into_iter()
            .map(|user| (created_key(user.created, &user.id), user))
            .collect();
        let (users, next_token) = validate::page(KIND, keyed, params.next_token.as_deref(), max)?;
        Ok(ListUsersOutput {
            user_summary_list: users
                .into_iter()
                .map(|user| UserSummary {
                    id: user.id,
                    arn: user.arn,
                    username: user.username,
                    last_modified_time: user.last_modified.unix_timestamp(),
                    last_modified_region: self.settings.region.clone(),
                })
                .collect(),
            next_token,
        })
    }

    /// `SearchUsers`: the users of the instance that match `SearchCriteria` (all when absent),
    /// oldest first.
    ///
    /// # Errors
    /// `InvalidParameterException` for bad criteria, `MaxResults` or `NextToken`, or a
    /// `SearchFilter`; `ResourceNotFoundException` for an unknown instance.
    pub async fn search_users(
        &self,
        input: &SearchUsersInput,
    ) -> Result<SearchUsersOutput, ConnectError> {
        let instance_id = validate::required(KIND, "instanceId", input.instance_id.as_ref())?;
        self.existing_instance(KIND, instance_id).await?;
        let max = match input.max_results {
            None => DEFAULT_LIST_RESULTS,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_SEARCH_RESULTS).contains(n))
                .ok_or_else(|| {
                    validate::constraint(
                        KIND,
                        "maxResults",
                        &format!("have value between 1 and {MAX_SEARCH_RESULTS}"),
                    )
                })?,
        };
        if input.search_filter.is_some() {
            return Err(ConnectError::InvalidParameter(
                "SearchFilter (tag and attribute filters) is not supported.".to_owned(),
            ));
        }
        let criterion = match &input.search_criteria {
            Some(criteria) => {
                let mut budget = MAX_SEARCH_CONDITIONS;
                Some(Criterion::compile(criteria, 1, &mut budget)?)
            }
            None => None,
        };
        let matching: Vec<ConnectUserRow> = self
            .store
            .connect_users(instance_id)
            .await?
            .into_iter()
            .filter(|user| criterion.as_ref().is_none_or(|c| c.matches(user)))
            .collect();
        let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let keyed = matching
            .into_iter()
            .map(|user| (created_key(user.created, &user.id), user))
            .collect();
        let (users, next_token) = validate::page(KIND, keyed, input.next_token.as_deref(), max)?;
        Ok(SearchUsersOutput {
            users: users
                .into_iter()
                .map(|user| UserSearchSummary {
                    arn: user.arn.clone(),
                    directory_user_id: user.directory_user_id.clone(),
                    id: user.id.clone(),
                    identity_info: IdentityInfoLite {
                        first_name: user.identity.first_name.clone(),
                        last_name: user.identity.last_name.clone(),
                    },
                    phone_config: phone_shape(&user.phone),
                    routing_profile_id: user.routing_profile_id.clone(),
                    security_profile_ids: user.security_profile_ids.clone(),
                    tags: tag_map(&user.tags),
                    username: user.username,
                })
                .collect(),
            next_token,
            approximate_total_count: total,
        })
    }

    /// `UpdateUserIdentityInfo`: the members given replace the stored ones; the identity
    /// rules of the instance's type hold for the result.
    ///
    /// # Errors
    /// As [`Connect::create_user`] for the identity members; `ResourceNotFoundException` for
    /// an unknown instance or user.
    pub async fn update_user_identity_info(
        &self,
        instance_id: &str,
        user_id: &str,
        input: &UpdateUserIdentityInfoInput,
        now: OffsetDateTime,
    ) -> Result<(), ConnectError> {
        let info = validate::required(KIND, "identityInfo", input.identity_info.as_ref())?;
        check_identity_members(info)?;
        let (instance, user) = self.existing_user(instance_id, user_id).await?;
        let identity_type = identity_type(&instance)?;
        let current = user.identity;
        let merged = ConnectIdentityRow {
            first_name: info.first_name.clone().or(current.first_name),
            last_name: info.last_name.clone().or(current.last_name),
            email: info.email.clone().or(current.email),
            secondary_email: info.secondary_email.clone().or(current.secondary_email),
            mobile: info.mobile.clone().or(current.mobile),
        };
        check_identity_for_type(identity_type, &merged)?;
        self.store
            .update_connect_user_identity(instance_id, user_id, &merged, now)
            .await
            .map_err(ConnectError::from)
    }

    /// `UpdateUserSecurityProfiles`: replaces the user's security profiles.
    ///
    /// # Errors
    /// `InvalidParameterException` for a bad list; `ResourceNotFoundException` for an unknown
    /// instance, user or security profile (nothing changes then).
    pub async fn update_user_security_profiles(
        &self,
        instance_id: &str,
        user_id: &str,
        input: &UpdateUserSecurityProfilesInput,
        now: OffsetDateTime,
    ) -> Result<(), ConnectError> {
        let ids = security_profile_ids(input.security_profile_ids.as_ref())?;
        self.existing_user(instance_id, user_id).await?;
        self.store
            .update_connect_user_security_profiles(instance_id, user_id, &ids, now)
            .await
            .map_err(ConnectError::from)
    }

    /// `DeleteUser`.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance or user.
    pub async fn delete_user(&self, instance_id: &str, user_id: &str) -> Result<(), ConnectError> {
        self.existing_user(instance_id, user_id).await?;
        self.store
            .delete_connect_user(instance_id, user_id)
            .await
            .map_err(ConnectError::from)
    }
}
