//! `fedgate policy …`: offline IAM policy tools.
//!
//! `fedgate policy simulate` evaluates policy files against one request, the way the sign-in
//! path and the IAM/STS endpoints do, and explains the decision. Exit codes: 0 allow, 1 deny,
//! 2 usage or input error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use fedgate_iam_policy::{
    Decision, Error as PolicyError, Evaluation, ParseOptions, Policy, PolicySet, PrincipalId,
    PrincipalKind, RequestContext, StatementTrace, TRUST_POLICY_MAX_CHARS, explain,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `fedgate policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate policies against one request and explain the decision.
    ///
    /// Files without `Principal` are identity policies of one principal; a file with
    /// `Principal`/`NotPrincipal` is a resource-based policy (a trust policy when it has no
    /// `Resource`) evaluated for `--principal`.
    Simulate(SimulateArgs),
}

/// Arguments of `fedgate policy simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A policy file (repeatable).
    #[arg(long = "policy", value_name = "FILE", required = true)]
    policies: Vec<PathBuf>,
    /// A session policy file (repeatable); limits the result to what it allows.
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// The action, e.g. sts:AssumeRoleWithSAML.
    #[arg(long)]
    action: String,
    /// The resource ARN (default: none, matched as "*").
    #[arg(long, value_name = "ARN")]
    resource: Option<String>,
    /// The calling principal, e.g. Federated=arn:aws:iam::123456789012:saml-provider/Okta.
    #[arg(long, value_name = "TYPE=VALUE")]
    principal: Option<String>,
    /// A condition key and value (repeatable; several values for one key make it
    /// multi-valued), e.g. saml:aud=https://signin.aws.amazon.com/saml.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The time of the request for aws:CurrentTime / aws:EpochTime (default: now).
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// A SAML response (XML or base64) whose validated assertion builds the `saml:*` keys;
    /// it is fully validated first, exactly as `fedgate saml check` does.
    #[arg(long, value_name = "FILE", requires_all = ["saml_metadata", "provider_arn"])]
    saml_response: Option<PathBuf>,
    /// Metadata of the IdP that signed --saml-response (repeatable).
    #[arg(long, value_name = "FILE")]
    saml_metadata: Vec<PathBuf>,
    /// The IAM SAML provider ARN the response is presented with; also the default
    /// --principal (Federated=ARN).
    #[arg(long, value_name = "ARN")]
    provider_arn: Option<String>,
    /// DANGEROUS: accept SHA-1 signatures on --saml-response.
    #[arg(long)]
    allow_sha1: bool,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

/// Runs a `fedgate policy` subcommand.
pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Simulate(args) => match simulate(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(message) => {
                eprintln!("{message}");
                ExitCode::from(2)
            }
        },
    }
}

/// A loaded policy file.
struct Loaded {
    name: String,
    policy: Policy,
}

fn simulate(args: &SimulateArgs) -> Result<bool, String> {
    let mut principal_policies = Vec::new();
    for path in &args.policies {
        principal_policies.push(load(path, None)?);
    }
    let mut session_policies = Vec::new();
    for path in &args.session_policies {
        session_policies.push(load(path, Some(ParseOptions::session()))?);
    }
    let context = build_context(args)?;

    let mut set = PolicySet::new();
    for loaded in &principal_policies {
        set = match loaded.policy.kind() {
            fedgate_iam_policy::PolicyKind::Resource | fedgate_iam_policy::PolicyKind::Trust => {
                set.resource(&loaded.name, &loaded.policy)
            }
            _ => set.identity(&loaded.name, &loaded.policy),
        };
    }
    for loaded in &session_policies {
        set = set.session(&loaded.name, &loaded.policy);
    }
    let evaluation = explain(&set, &context);
    if args.json {
        println!("{}", report_json(&evaluation));
    } else {
        print!("{}", report_text(&evaluation));
    }
    Ok(evaluation.is_allowed())
}

/// Reads and parses a policy file; without `options` the kind is detected from the document.
fn load(path: &Path, options: Option<ParseOptions>) -> Result<Loaded, String> {
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {name}: {e}"))?;
    let options = match options {
        Some(options) => options,
        None => detect_options(&text)?,
    };
    let policy = Policy::parse(&text, &options).map_err(|e| describe_error(&name, &e))?;
    Ok(Loaded { name, policy })
}

/// Identity policy unless a statement names a principal: then a resource-based policy, or a
/// trust policy (raised 4,096-character quota) when no statement has a resource.
fn detect_options(text: &str) -> Result<ParseOptions, String> {
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        // Let the policy parser report the syntax error.
        return Ok(ParseOptions::inline_identity());
    };
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    let has = |names: [&str; 2]| {
        statements
            .iter()
            .any(|s| names.iter().any(|n| s.get(n).is_some()))
    };
    if !has(["Principal", "NotPrincipal"]) {
        return Ok(ParseOptions::inline_identity());
    }
    if has(["Resource", "NotResource"]) {
        return Ok(ParseOptions::resource());
    }
    ParseOptions::trust_with_quota(TRUST_POLICY_MAX_CHARS).map_err(|e| e.to_string())
}

fn describe_error(name: &str, error: &PolicyError) -> String {
    format!(
        "error: {name}: {} ({}: {})\n  {}\n  hint: {}",
        error.code(),
        error.aws_code(),
        error.message(),
        error,
        error.hint()
    )
}

fn build_context(args: &SimulateArgs) -> Result<RequestContext, String> {
    let mut context = RequestContext::new(args.action.clone());
    if let Some(resource) = &args.resource {
        context = context.with_resource(resource.clone());
    }
    let principal = args.principal.clone().or_else(|| {
        args.provider_arn
            .as_ref()
            .map(|arn| format!("Federated={arn}"))
    });
    if let Some(principal) = &principal {
        let (kind, value) = principal
            .split_once('=')
            .ok_or_else(|| format!("error: --principal {principal:?} must be TYPE=VALUE"))?;
        let kind = PrincipalKind::parse(kind).ok_or_else(|| {
            format!(
                "error: unknown principal type {kind:?} (AWS, Federated, Service, CanonicalUser)"
            )
        })?;
        context = context.with_principal(PrincipalId::new(kind, value));
    }
    let now = match &args.at {
        Some(at) => OffsetDateTime::parse(at, &Rfc3339)
            .map_err(|e| format!("error: --at {at:?} is not an RFC 3339 time: {e}"))?,
        None => now(),
    };
    context = context.with_current_time(now);
    if let (Some(response), Some(provider_arn)) = (&args.saml_response, &args.provider_arn) {
        context = context.with_saml(&saml_input(args, response, provider_arn, now)?);
    }
    // The first value of a key replaces anything set before (e.g. the clock's aws:CurrentTime);
    // further values of the same key make it multi-valued.
    let mut seen = std::collections::HashSet::new();
    for pair in &args.context {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("error: --context {pair:?} must be KEY=VALUE"))?;
        if key.is_empty() {
            return Err(format!("error: --context {pair:?} has an empty key"));
        }
        if seen.insert(key.to_lowercase()) {
            context.insert(key, value.into());
        } else {
            context.add_value(key, value);
        }
    }
    Ok(context)
}

/// Validates `response` against `--saml-metadata` at `now` and turns the assertion into the
/// `saml:*` context input. Only a response that passes every check yields keys.
fn saml_input(
    args: &SimulateArgs,
    response: &Path,
    provider_arn: &str,
    now: OffsetDateTime,
) -> Result<fedgate_iam_policy::SamlContextInput, String> {
    use crate::cmd::saml::{load_metadata, read_file};
    let limits = fedgate_xml::Limits::default();
    let mut providers = Vec::new();
    for path in &args.saml_metadata {
        let parsed = load_metadata(path).map_err(|e| e.to_string())?;
        providers.extend(parsed.into_iter().map(|p| {
            if args.allow_sha1 {
                p.dangerous_allow_sha1()
            } else {
                p
            }
        }));
    }
    let account_id = provider_arn
        .split(':')
        .nth(4)
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("error: --provider-arn {provider_arn:?} is not arn:aws:iam::<account>:saml-provider/<name>"))?;
    let assertion = fedgate_saml::binding::decode_detected(
        &read_file(response).map_err(|e| e.to_string())?,
        limits.max_bytes,
    )
    .and_then(|xml| {
        fedgate_saml::validate_response(
            &xml,
            &providers,
            &fedgate_saml::ServiceProvider::default(),
            now,
            &[],
        )
    })
    .map_err(|e| {
        format!(
            "error: {}: invalid SAML response: {e} [{}]\n  hint: {}",
            response.display(),
            e.code(),
            e.hint()
        )
    })?;
    Ok(fedgate_iam_policy::SamlContextInput {
        issuer: assertion.issuer().to_owned(),
        subject: assertion.subject().value.clone(),
        subject_format: assertion.subject().format.clone(),
        recipient: assertion.recipient().to_owned(),
        audiences: assertion.audiences().to_vec(),
        provider_arn: provider_arn.to_owned(),
        account_id: account_id.to_owned(),
        attributes: assertion
            .attributes()
            .iter()
            .map(|a| (a.name.clone(), a.values.clone()))
            .collect(),
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the command line is where time enters; the policy crate only receives it"
)]
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn trace_json(trace: &StatementTrace<'_>) -> Value {
    json!({
        "policy": trace.policy,
        "role": trace.role.as_str(),
        "index": trace.index,
        "sid": trace.sid,
        "effect": trace.effect.as_str(),
        "result": trace.result.describe(),
    })
}

fn report_json(evaluation: &Evaluation<'_>) -> Value {
    let context = evaluation.context();
    let matched: Vec<Value> = evaluation
        .matched()
        .map(|t| json!({"policy": t.policy, "index": t.index, "sid": t.sid, "effect": t.effect.as_str()}))
        .collect();
    let deciding: Vec<Value> = evaluation
        .deciding()
        .map(|t| json!({"policy": t.policy, "index": t.index, "sid": t.sid, "effect": t.effect.as_str()}))
        .collect();
    let keys: serde_json::Map<String, Value> = context
        .keys()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v.values())))
        .collect();
    json!({
        "decision": evaluation.decision().as_str(),
        "allowed": evaluation.is_allowed(),
        "action": context.action(),
        "resource": context.resource(),
        "principal": context.principal().map(ToString::to_string),
        "matched_statements": matched,
        "deciding_statements": deciding,
        "statements": evaluation.statements().iter().map(trace_json).collect::<Vec<_>>(),
        "context": keys,
    })
}

fn report_text(evaluation: &Evaluation<'_>) -> String {
    use std::fmt::Write as _;
    let context = evaluation.context();
    let mut out = String::new();
    let headline = match evaluation.decision() {
        Decision::Allow => "Allow",
        Decision::ExplicitDeny => "explicit Deny",
        Decision::ImplicitDeny => "implicit deny (no statement allows the request)",
    };
    let _ = writeln!(out, "decision:  {headline}");
    let _ = writeln!(out, "action:    {}", context.action());
    let _ = writeln!(out, "resource:  {}", context.resource().unwrap_or("(none)"));
    let principal = context
        .principal()
        .map_or_else(|| "(anonymous)".to_owned(), ToString::to_string);
    let _ = writeln!(out, "principal: {principal}");
    let deciding: Vec<&StatementTrace<'_>> = evaluation.deciding().collect();
    if !deciding.is_empty() {
        let _ = writeln!(out, "deciding statements:");
        for t in deciding {
            let _ = writeln!(out, "  {}", statement_line(t));
        }
    }
    let _ = writeln!(out, "all statements:");
    for t in evaluation.statements() {
        let _ = writeln!(out, "  {}: {}", statement_line(t), t.result.describe());
    }
    out
}

fn statement_line(t: &StatementTrace<'_>) -> String {
    let sid = t.sid.map(|s| format!(" (Sid {s})")).unwrap_or_default();
    format!(
        "{} [{}] statement {}{sid} {}",
        t.policy,
        t.role.as_str(),
        t.index,
        t.effect.as_str()
    )
}
