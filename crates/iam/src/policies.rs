//! Customer-managed policies: one version (`v1`) each; `CreatePolicyVersion` is not offered.

use fedgate_aws_wire::{QueryRequest, XmlWriter, iso8601, percent_encode};
use fedgate_iam_policy::ParseOptions;
use fedgate_store::{IamStorage, ListQuery, ManagedPolicyRow};
use time::OffsetDateTime;

use crate::validate;
use crate::{Iam, IamError, PARTITION, ids, write_truncation};

fn write_policy(xml: &mut XmlWriter, policy: &ManagedPolicyRow, with_description: bool) {
    xml.element("PolicyName", &policy.name)
        .element("PolicyId", &policy.policy_id)
        .element("Arn", &policy.arn)
        .element("Path", &policy.path)
        .element("DefaultVersionId", &policy.default_version_id)
        .element("AttachmentCount", &policy.attachment_count.to_string())
        .element("PermissionsBoundaryUsageCount", "0")
        .element("IsAttachable", "true");
    if with_description {
        xml.optional("Description", policy.description.as_deref());
    }
    xml.element("CreateDate", &iso8601(policy.create_date))
        .element("UpdateDate", &iso8601(policy.update_date));
}

fn policy_arn(request: &QueryRequest) -> Result<&str, IamError> {
    let arn = validate::required(request, "PolicyArn")?;
    validate::arn("PolicyArn", arn)?;
    Ok(arn)
}

impl<S: IamStorage> Iam<S> {
    async fn existing_policy(&self, arn: &str) -> Result<ManagedPolicyRow, IamError> {
        self.store.policy(arn).await?.ok_or_else(|| {
            IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
        })
    }

    pub(crate) async fn create_policy(
        &self,
        request: &QueryRequest,
        now: OffsetDateTime,
    ) -> Result<String, IamError> {
        let name = validate::required(request, "PolicyName")?;
        validate::entity_name("PolicyName", name, 128)?;
        let path = request.get("Path").unwrap_or("/");
        validate::path("Path", path)?;
        let description = request.get("Description");
        if let Some(description) = description {
            validate::description(description)?;
        }
        if !validate::tags(request)?.is_empty() {
            return Err(IamError::InvalidInput(
                "Tags on managed policies are not supported by fedgate.".to_owned(),
            ));
        }
        let document = validate::required(request, "PolicyDocument")?;
        validate::policy_document(
            "PolicyDocument",
            document,
            &ParseOptions::managed_identity(),
        )?;
        let policy = ManagedPolicyRow {
            arn: format!(
                "arn:{PARTITION}:iam::{}:policy{path}{name}",
                self.account_id
            ),
            policy_id: ids::unique_id("ANPA")?,
            name: name.to_owned(),
            path: path.to_owned(),
            description: description.map(str::to_owned),
            default_version_id: "v1".to_owned(),
            document: document.to_owned(),
            create_date: now,
            update_date: now,
            attachment_count: 0,
        };
        self.store.create_policy(&policy).await?;
        let mut xml = XmlWriter::new();
        xml.start("Policy");
        write_policy(&mut xml, &policy, true);
        Ok(xml.finish())
    }

    pub(crate) async fn get_policy(&self, request: &QueryRequest) -> Result<String, IamError> {
        let policy = self.existing_policy(policy_arn(request)?).await?;
        let mut xml = XmlWriter::new();
        xml.start("Policy");
        write_policy(&mut xml, &policy, true);
        Ok(xml.finish())
    }

    pub(crate) async fn get_policy_version(
        &self,
        request: &QueryRequest,
    ) -> Result<String, IamError> {
        let arn = policy_arn(request)?;
        let version = validate::required(request, "VersionId")?;
        let policy = self.existing_policy(arn).await?;
        if version != policy.default_version_id {
            return Err(IamError::NoSuchEntity(format!(
                "Policy {arn} version {version} does not exist or is not attachable."
            )));
        }
        let mut xml = XmlWriter::new();
        xml.start("PolicyVersion")
            .element("Document", &percent_encode(&policy.document))
            .element("VersionId", &policy.default_version_id)
            .element("IsDefaultVersion", "true")
            .element("CreateDate", &iso8601(policy.create_date));
        Ok(xml.finish())
    }

    pub(crate) async fn list_policies(&self, request: &QueryRequest) -> Result<String, IamError> {
        let scope = request.get("Scope").unwrap_or("All");
        validate::one_of("Scope", scope, &["All", "AWS", "Local"])?;
        let only_attached = validate::boolean(request, "OnlyAttached")?;
        let path_prefix = request.get("PathPrefix").unwrap_or("/");
        validate::path_prefix(path_prefix)?;
        if let Some(usage) = request.get("PolicyUsageFilter") {
            validate::one_of(
                "PolicyUsageFilter",
                usage,
                &["PermissionsPolicy", "PermissionsBoundary"],
            )?;
        }
        let (marker, max_items) = validate::paging(request)?;
        let mut xml = XmlWriter::new();
        xml.start("Policies");
        // fedgate has no AWS-managed policies: Scope=AWS lists nothing.
        let next = if scope == "AWS" {
            None
        } else {
            let page = self
                .store
                .list_policies(
                    &ListQuery {
                        path_prefix: path_prefix.to_owned(),
                        marker,
                        max_items,
                    },
                    only_attached,
                )
                .await?;
            for policy in &page.items {
                // ListPolicies omits Description, as AWS does.
                xml.start("member");
                write_policy(&mut xml, policy, false);
                xml.end();
            }
            page.next_marker
        };
        xml.end();
        write_truncation(&mut xml, next.as_deref());
        Ok(xml.finish())
    }

    pub(crate) async fn delete_policy(&self, request: &QueryRequest) -> Result<String, IamError> {
        self.store.delete_policy(policy_arn(request)?).await?;
        Ok(String::new())
    }
}
