//! Role operations: roles, trust policies, inline policies, attachments and tags (§3.3).

use fedgate_aws_wire::{QueryRequest, XmlWriter, iso8601, percent_encode};
use fedgate_iam_policy::{INLINE_POLICY_CHARS, ParseOptions};
use fedgate_store::{IamStorage, InlinePolicy, ListQuery, Role, RoleUpdate, StoreError, Tag};
use time::OffsetDateTime;

use crate::validate::{self, MAX_TAGS};
use crate::{
    Iam, IamError, MAX_ATTACHED_POLICIES, MAX_ROLES, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS,
    PARTITION, ids, page, write_tags, write_truncation,
};

fn role_name(request: &QueryRequest) -> Result<&str, IamError> {
    let name = validate::required(request, "RoleName")?;
    validate::entity_name("RoleName", name, 64)?;
    Ok(name)
}

fn policy_name(request: &QueryRequest) -> Result<&str, IamError> {
    let name = validate::required(request, "PolicyName")?;
    validate::entity_name("PolicyName", name, 128)?;
    Ok(name)
}

/// Writes the `Role` shape. The trust policy is URL-encoded (RFC 3986), as AWS returns it.
fn write_role(xml: &mut XmlWriter, role: &Role, tags: Option<&[Tag]>) {
    xml.element("Path", &role.path)
        .element("RoleName", &role.name)
        .element("RoleId", &role.role_id)
        .element("Arn", &role.arn)
        .element("CreateDate", &iso8601(role.create_date))
        .element(
            "AssumeRolePolicyDocument",
            &percent_encode(&role.assume_role_policy),
        )
        .optional("Description", role.description.as_deref())
        .element("MaxSessionDuration", &role.max_session_duration.to_string());
    if let Some(tags) = tags.filter(|tags| !tags.is_empty()) {
        write_tags(xml, tags);
    }
}

impl<S: IamStorage> Iam<S> {
    async fn existing_role(&self, name: &str) -> Result<Role, IamError> {
        self.store.role_by_name(name).await?.ok_or_else(|| {
            IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
        })
    }

    pub(crate) async fn create_role(
        &self,
        request: &QueryRequest,
        now: OffsetDateTime,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let path = request.get("Path").unwrap_or("/");
        validate::path("Path", path)?;
        let description = request.get("Description");
        if let Some(description) = description {
            validate::description(description)?;
        }
        let max_session_duration = validate::integer(
            request,
            "MaxSessionDuration",
            MIN_SESSION_SECONDS,
            MAX_SESSION_SECONDS,
            MIN_SESSION_SECONDS,
        )?;
        if request.get("PermissionsBoundary").is_some() {
            return Err(IamError::InvalidInput(
                "PermissionsBoundary is not supported by fedgate.".to_owned(),
            ));
        }
        let tags = validate::tags(request)?;
        let document = validate::required(request, "AssumeRolePolicyDocument")?;
        validate::policy_document("AssumeRolePolicyDocument", document, &ParseOptions::trust())?;
        let role = Role {
            role_id: ids::unique_id("AROA")?,
            name: name.to_owned(),
            path: path.to_owned(),
            arn: format!("arn:{PARTITION}:iam::{}:role{path}{name}", self.account_id),
            assume_role_policy: document.to_owned(),
            description: description.map(str::to_owned),
            max_session_duration,
            create_date: now,
        };
        self.store.create_role(&role, &tags, MAX_ROLES).await?;
        let mut sorted = tags;
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let mut xml = XmlWriter::new();
        xml.start("Role");
        write_role(&mut xml, &role, Some(&sorted));
        Ok(xml.finish())
    }

    pub(crate) async fn get_role(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let role = self.existing_role(name).await?;
        let tags = self.store.role_tags(name).await?;
        let mut xml = XmlWriter::new();
        xml.start("Role");
        write_role(&mut xml, &role, Some(&tags));
        // fedgate does not track last use; AWS returns an empty element for unused roles.
        xml.start("RoleLastUsed").end();
        Ok(xml.finish())
    }

    pub(crate) async fn list_roles(&self, request: &QueryRequest) -> Result<String, IamError> {
        let path_prefix = request.get("PathPrefix").unwrap_or("/");
        validate::path_prefix(path_prefix)?;
        let (marker, max_items) = validate::paging(request)?;
        let roles = self
            .store
            .list_roles(&ListQuery {
                path_prefix: path_prefix.to_owned(),
                marker,
                max_items,
            })
            .await?;
        let mut xml = XmlWriter::new();
        xml.start("Roles");
        for role in &roles.items {
            // ListRoles omits Tags, PermissionsBoundary and RoleLastUsed, as AWS does.
            xml.start("member");
            write_role(&mut xml, role, None);
            xml.end();
        }
        xml.end();
        write_truncation(&mut xml, roles.next_marker.as_deref());
        Ok(xml.finish())
    }

    pub(crate) async fn update_role(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let description = request.get("Description");
        if let Some(description) = description {
            validate::description(description)?;
        }
        let max_session_duration = match request.get("MaxSessionDuration") {
            Some(_) => Some(validate::integer(
                request,
                "MaxSessionDuration",
                MIN_SESSION_SECONDS,
                MAX_SESSION_SECONDS,
                MIN_SESSION_SECONDS,
            )?),
            None => None,
        };
        self.store
            .update_role(
                name,
                &RoleUpdate {
                    description: description.map(str::to_owned),
                    max_session_duration,
                },
            )
            .await?;
        Ok(String::new())
    }

    pub(crate) async fn update_assume_role_policy(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let document = validate::required(request, "PolicyDocument")?;
        validate::policy_document("PolicyDocument", document, &ParseOptions::trust())?;
        self.store.update_assume_role_policy(name, document).await?;
        Ok(String::new())
    }

    pub(crate) async fn delete_role(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        self.store.delete_role(name).await?;
        Ok(String::new())
    }

    pub(crate) async fn put_role_policy(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let policy = policy_name(request)?;
        let document = validate::required(request, "PolicyDocument")?;
        validate::policy_document("PolicyDocument", document, &ParseOptions::inline_identity())?;
        // The inline quota (10,240 characters) is for all of a role's inline policies together;
        // checked inside the store's transaction so concurrent puts cannot both slip under it.
        let check = |all: &[InlinePolicy]| {
            let total: usize = all
                .iter()
                .map(|policy| validate::quota_chars(&policy.document))
                .sum();
            if total > INLINE_POLICY_CHARS {
                Err(StoreError::LimitExceeded {
                    what: "inline policy characters",
                    limit: INLINE_POLICY_CHARS,
                })
            } else {
                Ok(())
            }
        };
        match self
            .store
            .put_role_policy(
                name,
                &InlinePolicy {
                    name: policy.to_owned(),
                    document: document.to_owned(),
                },
                &check,
            )
            .await
        {
            Err(StoreError::LimitExceeded { limit, .. }) => Err(IamError::LimitExceeded(format!(
                "Maximum policy size of {limit} bytes exceeded for role {name}"
            ))),
            other => Ok(other?),
        }?;
        Ok(String::new())
    }

    pub(crate) async fn get_role_policy(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let policy = policy_name(request)?;
        let found = self
            .store
            .role_policies(name)
            .await?
            .into_iter()
            .find(|candidate| candidate.name.to_lowercase() == policy.to_lowercase())
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "The role policy with name {policy} cannot be found."
                ))
            })?;
        let role = self.existing_role(name).await?;
        let mut xml = XmlWriter::new();
        xml.element("RoleName", &role.name)
            .element("PolicyName", &found.name)
            .element("PolicyDocument", &percent_encode(&found.document));
        Ok(xml.finish())
    }

    pub(crate) async fn list_role_policies(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let (marker, max_items) = validate::paging(request)?;
        let names: Vec<String> = self
            .store
            .role_policies(name)
            .await?
            .into_iter()
            .map(|policy| policy.name)
            .collect();
        let (names, next) = page(names, marker.as_deref(), max_items)?;
        let mut xml = XmlWriter::new();
        xml.members("PolicyNames", names.iter().map(String::as_str));
        write_truncation(&mut xml, next.as_deref());
        Ok(xml.finish())
    }

    pub(crate) async fn delete_role_policy(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let policy = policy_name(request)?;
        self.store.delete_role_policy(name, policy).await?;
        Ok(String::new())
    }

    pub(crate) async fn attach_role_policy(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let policy_arn = validate::required(request, "PolicyArn")?;
        validate::arn("PolicyArn", policy_arn)?;
        self.store
            .attach_role_policy(name, policy_arn, MAX_ATTACHED_POLICIES)
            .await?;
        Ok(String::new())
    }

    pub(crate) async fn detach_role_policy(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let policy_arn = validate::required(request, "PolicyArn")?;
        validate::arn("PolicyArn", policy_arn)?;
        self.store.detach_role_policy(name, policy_arn).await?;
        Ok(String::new())
    }

    pub(crate) async fn list_attached_role_policies(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let name = role_name(request)?;
        let path_prefix = request.get("PathPrefix").unwrap_or("/");
        validate::path_prefix(path_prefix)?;
        let (marker, max_items) = validate::paging(request)?;
        let attached = self.store.attached_role_policies(name).await?;
        let mut matching = Vec::with_capacity(attached.len());
        for policy in attached {
            // The policy path is the part of the ARN between `:policy` and the name.
            let path = policy
                .policy_arn
                .split_once(":policy")
                .map_or("/", |(_, rest)| {
                    rest.strip_suffix(policy.policy_name.as_str())
                        .unwrap_or("/")
                });
            if path.starts_with(path_prefix) {
                matching.push(policy);
            }
        }
        let (attached, next) = page(matching, marker.as_deref(), max_items)?;
        let mut xml = XmlWriter::new();
        xml.start("AttachedPolicies");
        for policy in &attached {
            xml.start("member")
                .element("PolicyName", &policy.policy_name)
                .element("PolicyArn", &policy.policy_arn)
                .end();
        }
        xml.end();
        write_truncation(&mut xml, next.as_deref());
        Ok(xml.finish())
    }

    pub(crate) async fn tag_role(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let tags = validate::tags(request)?;
        self.store.tag_role(name, &tags, MAX_TAGS).await?;
        Ok(String::new())
    }

    pub(crate) async fn untag_role(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let keys = validate::tag_keys(request)?;
        self.store.untag_role(name, &keys).await?;
        Ok(String::new())
    }

    pub(crate) async fn list_role_tags(&self, request: &QueryRequest) -> Result<String, IamError> {
        let name = role_name(request)?;
        let (marker, max_items) = validate::paging(request)?;
        let tags = self.store.role_tags(name).await?;
        let (tags, next) = page(tags, marker.as_deref(), max_items)?;
        let mut xml = XmlWriter::new();
        write_tags(&mut xml, &tags);
        write_truncation(&mut xml, next.as_deref());
        Ok(xml.finish())
    }
}
