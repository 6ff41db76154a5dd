//! The browser endpoint's sign-in: `POST /saml` and the role chooser.

use std::sync::Arc;

use fedgate_iam::{Iam, Snapshot};
use fedgate_saml::binding;
use fedgate_store::{IamStorage, ReplayCache};
use fedgate_sts::{ProviderAssertion, RoleSession};
use time::{Duration, OffsetDateTime};

use crate::Pipeline;
use crate::chooser::{CHOOSER_REPLAY_SCOPE, Ticket, TicketError, nonce};
use crate::refusal::{AuditContext, Refusal, RefusalKind};

/// Shortest and longest console session from the SessionDuration attribute (spec §1.3).
const SESSION_DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;

/// Proof that an assertion was presented for the first time: only the replay cache's atomic
/// insert (a unique row per provider and assertion ID) produces it.
#[derive(Debug)]
pub struct FirstUse {
    provider_arn: String,
    assertion_id: String,
}

impl FirstUse {
    /// The provider the assertion was recorded for.
    #[must_use]
    pub fn provider_arn(&self) -> &str {
        &self.provider_arn
    }
    /// The assertion's ID.
    #[must_use]
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }
}

/// A completed browser sign-in: the role session and the proof that its assertion (or its
/// chooser form) was used once.
#[derive(Debug)]
pub struct SignedIn {
    /// The role session (credentials, expiry, provider, role).
    pub session: RoleSession,
    /// The replay proof.
    pub first_use: FirstUse,
    /// What the audit log records of it.
    pub context: AuditContext,
}

/// One role the person may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOption {
    /// The role.
    pub role_arn: String,
    /// The provider whose key verified the assertion naming it.
    pub provider_arn: String,
}

/// Several usable roles: the chooser page's content.
#[derive(Debug)]
pub struct RoleChoice {
    /// The roles, in the assertion's order.
    pub roles: Vec<RoleOption>,
    /// The sealed single-use ticket the chooser form carries.
    pub ticket: String,
    /// What the audit log records of it.
    pub context: AuditContext,
}

/// The result of `POST /saml`.
#[derive(Debug)]
pub enum Outcome {
    /// One usable role: signed in.
    SignedIn(Box<SignedIn>),
    /// Several: the person chooses.
    ChooseRole(RoleChoice),
}

/// The response validated against every provider, with the usable roles.
struct Checked {
    /// The IAM snapshot it was checked under (the role is read from it too).
    snapshot: Arc<Snapshot>,
    assertions: Vec<ProviderAssertion>,
    roles: Vec<RoleOption>,
    context: AuditContext,
}

impl Pipeline {
    /// `POST /saml`: decodes the HTTP-POST binding, validates against every provider (only the
    /// keys of the provider declaring the issuer can verify it), keeps the Role pairs whose
    /// provider verified it, records the assertion once per provider, then signs in directly
    /// (one role) or returns the chooser (several).
    ///
    /// # Errors
    /// [`Refusal`] with its stable code.
    pub async fn sign_in<S: IamStorage + ReplayCache>(
        &self,
        iam: &Iam<S>,
        saml_response: &str,
        now: OffsetDateTime,
    ) -> Result<Outcome, Refusal> {
        let none = AuditContext::default();
        let xml =
            binding::decode_post(saml_response, binding::DEFAULT_MAX_DECODED).map_err(|error| {
                Refusal::new(
                    error.code(),
                    RefusalKind::InvalidResponse,
                    error.to_string(),
                    &none,
                )
            })?;
        let checked = self.check(iam, &xml, now).await?;
        let mut first_use = None;
        for assertion in &checked.assertions {
            // INVARIANT: every provider that verified the assertion records it; a second use
            // through any of them is refused.
            let used = self
                .record_first_use(iam, assertion, now, &checked.context)
                .await?;
            first_use.get_or_insert(used);
        }
        let Some(first_use) = first_use else {
            return Err(Refusal::internal("no provider assertion", &checked.context));
        };
        match checked.roles.as_slice() {
            [] => Err(Refusal::new(
                "no_matching_role",
                RefusalKind::Denied,
                "no Role attribute value names a role together with a provider whose key verified the response",
                &checked.context,
            )),
            [only] => {
                let role_arn = only.role_arn.clone();
                self.complete(iam, checked, &role_arn, first_use, now)
                    .await
                    .map(|signed_in| Outcome::SignedIn(Box::new(signed_in)))
            }
            _ => {
                let expires_at = self.replay_expiry(&checked.assertions)?;
                let ticket = Ticket {
                    xml,
                    nonce: nonce().map_err(|e| ticket_refusal(e, &checked.context))?,
                    expires_at: expires_at.unix_timestamp(),
                };
                let ticket = self
                    .seal_ticket(&ticket)
                    .map_err(|e| ticket_refusal(e, &checked.context))?;
                Ok(Outcome::ChooseRole(RoleChoice {
                    roles: checked.roles,
                    ticket,
                    context: checked.context,
                }))
            }
        }
    }

    /// The chooser form's submission: the ticket must be this service's and unused, the
    /// response still valid, and `role_arn` one of its usable roles.
    ///
    /// # Errors
    /// [`Refusal`]: `role_chooser_invalid`, `expired`, `replayed`, `role_not_in_assertion`, or
    /// any refusal of the sign-in itself.
    pub async fn choose_role<S: IamStorage + ReplayCache>(
        &self,
        iam: &Iam<S>,
        ticket: &str,
        role_arn: &str,
        now: OffsetDateTime,
    ) -> Result<SignedIn, Refusal> {
        let mut context = AuditContext {
            role_arn: Some(role_arn.to_owned()),
            ..AuditContext::default()
        };
        let ticket = self.open_ticket(ticket, now).map_err(|error| match error {
            TicketError::Expired => Refusal::new(
                "expired",
                RefusalKind::InvalidResponse,
                "the role chooser form outlived its assertion",
                &context,
            ),
            other => ticket_refusal(other, &context),
        })?;
        let checked = self.check(iam, &ticket.xml, now).await?;
        context = AuditContext {
            role_arn: Some(role_arn.to_owned()),
            ..checked.context.clone()
        };
        if !checked
            .roles
            .iter()
            .any(|option| option.role_arn == role_arn)
        {
            return Err(Refusal::new(
                "role_not_in_assertion",
                RefusalKind::Denied,
                format!("{role_arn} is not one of the assertion's usable roles"),
                &context,
            ));
        }
        let expires_at = OffsetDateTime::from_unix_timestamp(ticket.expires_at)
            .map_err(|_| ticket_refusal(TicketError::Invalid, &context))?;
        // INVARIANT: a chooser form is used once: its nonce is the replay cache's unique row.
        let first = iam
            .store()
            .record_assertion(CHOOSER_REPLAY_SCOPE, &ticket.nonce, expires_at, now)
            .await
            .map_err(|error| Refusal::internal(error, &context))?;
        if !first {
            return Err(Refusal::new(
                "replayed",
                RefusalKind::InvalidResponse,
                "this role chooser form was already submitted",
                &context,
            ));
        }
        let first_use = FirstUse {
            provider_arn: CHOOSER_REPLAY_SCOPE.to_owned(),
            assertion_id: ticket.nonce,
        };
        self.complete(iam, checked, role_arn, first_use, now).await
    }

    /// Validation against every provider, and the usable roles.
    async fn check<S: IamStorage>(
        &self,
        iam: &Iam<S>,
        xml: &str,
        now: OffsetDateTime,
    ) -> Result<Checked, Refusal> {
        let none = AuditContext::default();
        let snapshot = iam
            .snapshot()
            .await
            .map_err(|error| Refusal::internal(error, &none))?;
        let providers = snapshot.directory();
        let assertions = fedgate_sts::validate_for_any_provider(
            xml,
            providers.identity_providers(),
            providers.owners(),
            providers.providers(),
            &self.service_provider,
            now,
        )
        .map_err(|error| Refusal::from_sts(&error, &none))?;
        let Some(first) = assertions.first() else {
            return Err(Refusal::internal("validation returned no assertion", &none));
        };
        let validated = first.assertion();
        let context = AuditContext {
            provider_arn: Some(first.provider_arn().to_owned()),
            issuer: Some(validated.issuer().to_owned()),
            subject: Some(validated.subject().value.clone()),
            session_name: Some(first.session_name().to_owned()),
            role_arn: None,
        };
        let mut roles: Vec<RoleOption> = Vec::new();
        for pair in &validated.aws().roles {
            // INVARIANT: a Role pair is usable only when its provider is one whose own keys
            // verified the response.
            let verified_by = assertions
                .iter()
                .any(|assertion| assertion.provider_arn() == pair.provider_arn);
            if verified_by && !roles.iter().any(|known| known.role_arn == pair.role_arn) {
                roles.push(RoleOption {
                    role_arn: pair.role_arn.clone(),
                    provider_arn: pair.provider_arn.clone(),
                });
            }
        }
        Ok(Checked {
            snapshot,
            assertions,
            roles,
            context,
        })
    }

    /// When a recorded assertion may be forgotten: its NotOnOrAfter plus the clock skew.
    fn replay_expiry(&self, assertions: &[ProviderAssertion]) -> Result<OffsetDateTime, Refusal> {
        let skew = Duration::seconds(self.service_provider.clock_skew_seconds);
        assertions
            .iter()
            .map(|assertion| assertion.assertion().not_on_or_after() + skew)
            .max()
            .ok_or_else(|| Refusal::internal("no assertion to expire", &AuditContext::default()))
    }

    async fn record_first_use<S: IamStorage + ReplayCache>(
        &self,
        iam: &Iam<S>,
        assertion: &ProviderAssertion,
        now: OffsetDateTime,
        context: &AuditContext,
    ) -> Result<FirstUse, Refusal> {
        let skew = Duration::seconds(self.service_provider.clock_skew_seconds);
        let assertion_id = assertion.assertion().assertion_id();
        let expires_at = assertion.assertion().not_on_or_after() + skew;
        let first = iam
            .store()
            .record_assertion(assertion.provider_arn(), assertion_id, expires_at, now)
            .await
            .map_err(|error| Refusal::internal(error, context))?;
        if !first {
            return Err(Refusal::new(
                "replayed",
                RefusalKind::InvalidResponse,
                format!(
                    "assertion {assertion_id} was already used through {}",
                    assertion.provider_arn()
                ),
                context,
            ));
        }
        Ok(FirstUse {
            provider_arn: assertion.provider_arn().to_owned(),
            assertion_id: assertion_id.to_owned(),
        })
    }

    /// Trust evaluation for `role_arn` and the role session.
    async fn complete<S: IamStorage>(
        &self,
        iam: &Iam<S>,
        checked: Checked,
        role_arn: &str,
        first_use: FirstUse,
        now: OffsetDateTime,
    ) -> Result<SignedIn, Refusal> {
        let context = AuditContext {
            role_arn: Some(role_arn.to_owned()),
            ..checked.context
        };
        let Some(option) = checked
            .roles
            .iter()
            .find(|option| option.role_arn == role_arn)
        else {
            return Err(Refusal::new(
                "role_not_in_assertion",
                RefusalKind::Denied,
                format!("{role_arn} is not one of the assertion's usable roles"),
                &context,
            ));
        };
        let Some(assertion) = checked
            .assertions
            .into_iter()
            .find(|assertion| assertion.provider_arn() == option.provider_arn)
        else {
            return Err(Refusal::internal(
                "no assertion for the role's provider",
                &context,
            ));
        };
        let context = AuditContext {
            provider_arn: Some(assertion.provider_arn().to_owned()),
            ..context
        };
        let role = iam
            .assumable_role(&checked.snapshot, role_arn)
            .await
            .map_err(|error| Refusal::internal(error, &context))?;
        let Some(role) = role else {
            return Err(Refusal::new(
                "role_not_found",
                RefusalKind::Denied,
                format!("the role {role_arn} does not exist"),
                &context,
            ));
        };
        let duration = assertion
            .assertion()
            .aws()
            .session_duration
            .unwrap_or(fedgate_sts::DEFAULT_DURATION_SECONDS)
            .clamp(
                *SESSION_DURATION_RANGE.start(),
                *SESSION_DURATION_RANGE.end(),
            );
        let authorized = fedgate_sts::authorize(assertion, role_arn, &role, iam.account_id(), now)
            .map_err(|error| Refusal::from_sts(&error, &context))?;
        let session =
            fedgate_sts::issue_session(authorized, duration, Vec::new(), now, &self.token_key)
                .map_err(|error| Refusal::from_sts(&error, &context))?;
        Ok(SignedIn {
            session,
            first_use,
            context,
        })
    }
}

fn ticket_refusal(error: TicketError, context: &AuditContext) -> Refusal {
    match error {
        TicketError::Internal(detail) => Refusal::internal(detail, context),
        TicketError::Invalid | TicketError::Expired => Refusal::new(
            "role_chooser_invalid",
            RefusalKind::InvalidResponse,
            "the role chooser form was not issued by this service, was altered, or expired",
            context,
        ),
    }
}
