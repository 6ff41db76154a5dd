//! Instance operations: `CreateInstance`, `DescribeInstance`, `ListInstances`,
//! `DeleteInstance`, and the instance's default profiles (`ListSecurityProfiles`,
//! `ListRoutingProfiles`).
//!
//! Decisions where AWS is silent (spec §4.1 marks the alias UNCONFIRMED):
//! - `InstanceAlias` is required for SAML and CONNECT_MANAGED instances (it names the
//!   instance's login URL, as the AWS console requires it); optional for EXISTING_DIRECTORY,
//!   which requires `DirectoryId` instead. `DirectoryId` is refused for the other two types.
//! - Aliases are unique case-insensitively (they are host names in AWS).
//! - A `ClientToken` seen before returns the instance it created when the request is the same
//!   (same type, alias, directory, call settings and tags), and is refused otherwise.
//! - Instances are created synchronously, `ACTIVE` at once.

use aws_lc_rs::digest;
use fedgate_store::{ConnectInstanceRow, ConnectProfileRow, ConnectStore, StoreError};
use time::OffsetDateTime;

use crate::validate::{self, Kind};
use crate::wire::{
    CreateInstanceInput, CreateInstanceOutput, DescribeInstanceOutput, InstanceShape,
    ListInstancesOutput, ListParams, ListRoutingProfilesOutput, ListSecurityProfilesOutput,
    ProfileSummary, TagMap,
};
use crate::{
    Connect, ConnectError, DEFAULT_ROUTING_PROFILE, DEFAULT_SECURITY_PROFILES,
    IdentityManagementType, InstanceStatus, MAX_INSTANCES, created_key, ids,
};

/// Longest `ClientToken` (model).
pub const MAX_CLIENT_TOKEN_CHARS: usize = 500;

/// Largest `maxResults` of `ListInstances` (model `MaxResult10`), also its default.
pub const MAX_LIST_INSTANCES: usize = 10;

/// Largest `maxResults` of the profile and user listings (model `MaxResult1000`).
pub const MAX_LIST_RESULTS: usize = 1000;

/// `maxResults` of the profile and user listings when absent.
pub const DEFAULT_LIST_RESULTS: usize = 100;

/// A digest of what a `CreateInstance` request asks for: a retry with the same `ClientToken`
/// must ask for the same.
fn request_digest(
    identity: IdentityManagementType,
    alias: Option<&str>,
    directory_id: Option<&str>,
    inbound: bool,
    outbound: bool,
    tags: Option<&TagMap>,
) -> String {
    let canonical = serde_json::json!({
        "type": identity.as_str(),
        "alias": alias,
        "directory": directory_id,
        "inbound": inbound,
        "outbound": outbound,
        "tags": tags,
    })
    .to_string();
    digest::digest(&digest::SHA256, canonical.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl<S: ConnectStore> Connect<S> {
    fn instance_shape(&self, row: &ConnectInstanceRow, with_tags: bool) -> InstanceShape {
        InstanceShape {
            id: row.id.clone(),
            arn: row.arn.clone(),
            identity_management_type: row.identity_management_type.clone(),
            instance_alias: row.alias.clone(),
            created_time: row.created.unix_timestamp(),
            instance_status: row.status.clone(),
            inbound_calls_enabled: row.inbound_calls_enabled,
            outbound_calls_enabled: row.outbound_calls_enabled,
            instance_access_url: self.access_url(row),
            tags: with_tags.then(|| {
                row.tags
                    .iter()
                    .map(|tag| (tag.key.clone(), tag.value.clone()))
                    .collect()
            }),
        }
    }

    fn profile(
        &self,
        instance_id: &str,
        kind: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<ConnectProfileRow, ConnectError> {
        let id = ids::uuid_v4()?;
        Ok(ConnectProfileRow {
            arn: format!("{}/{kind}/{id}", self.instance_arn(instance_id)),
            id,
            instance_id: instance_id.to_owned(),
            name: name.to_owned(),
            last_modified: now,
        })
    }

    /// `CreateInstance`: a new `ACTIVE` instance with the default security profiles
    /// ([`DEFAULT_SECURITY_PROFILES`]) and routing profile ([`DEFAULT_ROUTING_PROFILE`]).
    ///
    /// # Errors
    /// `InvalidRequestException` for a missing or invalid parameter, an alias in use or a
    /// `ClientToken` reused for another request; `ServiceQuotaExceededException` past
    /// [`MAX_INSTANCES`].
    pub async fn create_instance(
        &self,
        input: &CreateInstanceInput,
        now: OffsetDateTime,
    ) -> Result<CreateInstanceOutput, ConnectError> {
        let kind = Kind::Request;
        let identity_text = validate::required(
            kind,
            "identityManagementType",
            input.identity_management_type.as_deref(),
        )?;
        let identity = IdentityManagementType::parse(identity_text).ok_or_else(|| {
            validate::constraint(
                kind,
                "identityManagementType",
                "satisfy enum value set: [SAML, CONNECT_MANAGED, EXISTING_DIRECTORY]",
            )
        })?;
        let inbound = *validate::required(
            kind,
            "inboundCallsEnabled",
            input.inbound_calls_enabled.as_ref(),
        )?;
        let outbound = *validate::required(
            kind,
            "outboundCallsEnabled",
            input.outbound_calls_enabled.as_ref(),
        )?;
        let client_token = input.client_token.as_deref().filter(|t| !t.is_empty());
        if let Some(token) = client_token {
            validate::length(kind, "clientToken", token, 1, MAX_CLIENT_TOKEN_CHARS)?;
        }
        let alias = input.instance_alias.as_deref();
        if let Some(alias) = alias {
            validate::instance_alias(alias)?;
        }
        let directory_id = input.directory_id.as_deref();
        match identity {
            IdentityManagementType::Saml | IdentityManagementType::ConnectManaged => {
                if alias.is_none() {
                    return Err(ConnectError::InvalidRequest(format!(
                        "InstanceAlias is required when IdentityManagementType is {}.",
                        identity.as_str()
                    )));
                }
                if directory_id.is_some() {
                    return Err(ConnectError::InvalidRequest(format!(
                        "DirectoryId is not allowed when IdentityManagementType is {}.",
                        identity.as_str()
                    )));
                }
            }
            IdentityManagementType::ExistingDirectory => {
                let directory_id = validate::required(kind, "directoryId", directory_id)?;
                validate::directory_id(directory_id)?;
            }
        }
        let tags = validate::tags(kind, input.tags.as_ref())?;
        let digest = request_digest(
            identity,
            alias,
            directory_id,
            inbound,
            outbound,
            input.tags.as_ref(),
        );
        let id = ids::uuid_v4()?;
        let row = ConnectInstanceRow {
            arn: self.instance_arn(&id),
            id: id.clone(),
            alias: alias.map(str::to_owned),
            identity_management_type: identity.as_str().to_owned(),
            directory_id: directory_id.map(str::to_owned),
            status: InstanceStatus::Active.as_str().to_owned(),
            inbound_calls_enabled: inbound,
            outbound_calls_enabled: outbound,
            client_token: client_token.map(str::to_owned),
            request_digest: Some(digest.clone()),
            created: now,
            tags,
        };
        let security = DEFAULT_SECURITY_PROFILES
            .iter()
            .map(|name| self.profile(&id, "security-profile", name, now))
            .collect::<Result<Vec<_>, _>>()?;
        let routing = [self.profile(&id, "routing-profile", DEFAULT_ROUTING_PROFILE, now)?];
        let existing = match self
            .store
            .create_connect_instance(&row, &security, &routing, MAX_INSTANCES)
            .await
        {
            Ok(existing) => existing,
            Err(StoreError::AlreadyExists { .. }) => {
                // Either the alias is taken, or a concurrent request with the same token won.
                match client_token {
                    Some(token) => self.store.connect_instance_by_client_token(token).await?,
                    None => None,
                }
                .ok_or_else(|| {
                    ConnectError::InvalidRequest(
                        "An instance with this InstanceAlias already exists.".to_owned(),
                    )
                })
                .map(Some)?
            }
            Err(StoreError::LimitExceeded { limit, .. }) => {
                return Err(ConnectError::ServiceQuotaExceeded(format!(
                    "The quota of {limit} instances per account has been reached."
                )));
            }
            Err(other) => return Err(other.into()),
        };
        let created = match existing {
            None => row,
            Some(existing) if existing.request_digest.as_deref() == Some(digest.as_str()) => {
                existing
            }
            Some(_) => {
                return Err(ConnectError::InvalidRequest(
                    "The ClientToken was already used for a different CreateInstance request."
                        .to_owned(),
                ));
            }
        };
        Ok(CreateInstanceOutput {
            id: created.id,
            arn: created.arn,
        })
    }

    /// `DescribeInstance`.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance.
    pub async fn describe_instance(
        &self,
        instance_id: &str,
    ) -> Result<DescribeInstanceOutput, ConnectError> {
        let row = self.existing_instance(Kind::Request, instance_id).await?;
        Ok(DescribeInstanceOutput {
            instance: self.instance_shape(&row, true),
        })
    }

    /// `ListInstances`, oldest first, at most 10 per page.
    ///
    /// # Errors
    /// `InvalidRequestException` for a bad `maxResults` or `nextToken`.
    pub async fn list_instances(
        &self,
        params: &ListParams,
    ) -> Result<ListInstancesOutput, ConnectError> {
        let max = validate::max_results(
            Kind::Request,
            params.max_results.as_deref(),
            MAX_LIST_INSTANCES,
            MAX_LIST_INSTANCES,
        )?;
        let rows = self.store.connect_instances().await?;
        let keyed = rows
            .into_iter()
            .map(|row| (created_key(row.created, &row.id), row))
            .collect();
        let (rows, next_token) =
            validate::page(Kind::Request, keyed, params.next_token.as_deref(), max)?;
        Ok(ListInstancesOutput {
            instance_summary_list: rows
                .iter()
                .map(|row| self.instance_shape(row, false))
                .collect(),
            next_token,
        })
    }

    /// `DeleteInstance`: the instance, its profiles, users and tags.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance.
    pub async fn delete_instance(&self, instance_id: &str) -> Result<(), ConnectError> {
        validate::resource_id(Kind::Request, "instanceId", instance_id)?;
        self.store
            .delete_connect_instance(instance_id)
            .await
            .map_err(ConnectError::from)
    }

    async fn profile_page(
        &self,
        instance_id: &str,
        params: &ListParams,
        security: bool,
    ) -> Result<(Vec<ProfileSummary>, Option<String>), ConnectError> {
        let kind = Kind::Parameter;
        self.existing_instance(kind, instance_id).await?;
        let max = validate::max_results(
            kind,
            params.max_results.as_deref(),
            MAX_LIST_RESULTS,
            DEFAULT_LIST_RESULTS,
        )?;
        let rows = if security {
            self.store.connect_security_profiles(instance_id).await?
        } else {
            self.store.connect_routing_profiles(instance_id).await?
        };
        let keyed = rows
            .into_iter()
            .map(|row| (format!("{}\u{0}{}", row.name, row.id), row))
            .collect();
        let (rows, next) = validate::page(kind, keyed, params.next_token.as_deref(), max)?;
        let region = &self.settings.region;
        Ok((
            rows.into_iter()
                .map(|row| ProfileSummary {
                    id: row.id,
                    arn: row.arn,
                    name: row.name,
                    last_modified_time: row.last_modified.unix_timestamp(),
                    last_modified_region: region.clone(),
                })
                .collect(),
            next,
        ))
    }

    /// `ListSecurityProfiles`, by name.
    ///
    /// # Errors
    /// `ResourceNotFoundException` for an unknown instance; `InvalidParameterException` for a
    /// bad `maxResults` or `nextToken`.
    pub async fn list_security_profiles(
        &self,
        instance_id: &str,
        params: &ListParams,
    ) -> Result<ListSecurityProfilesOutput, ConnectError> {
        let (list, next_token) = self.profile_page(instance_id, params, true).await?;
        Ok(ListSecurityProfilesOutput {
            security_profile_summary_list: list,
            next_token,
        })
    }

    /// `ListRoutingProfiles`, by name.
    ///
    /// # Errors
    /// As [`Connect::list_security_profiles`].
    pub async fn list_routing_profiles(
        &self,
        instance_id: &str,
        params: &ListParams,
    ) -> Result<ListRoutingProfilesOutput, ConnectError> {
        let (list, next_token) = self.profile_page(instance_id, params, false).await?;
        Ok(ListRoutingProfilesOutput {
            routing_profile_summary_list: list,
            next_token,
        })
    }
}
