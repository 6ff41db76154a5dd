//! `fedgate saml …`: offline SAML diagnosis.
//!
//! `fedgate saml check` runs exactly the validation the sign-in endpoint and
//! `AssumeRoleWithSAML` run, against identity providers given on the command line, and says
//! which check failed and how to fix it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgMatches, Args, Subcommand};
use fedgate_saml::danger::{
    dangerous_parse_metadata_allowing_weak_rsa,
    dangerous_trusted_key_from_file_content_allowing_weak_rsa,
};
use fedgate_saml::metadata::{parse_metadata, trusted_key_from_file_content};
use fedgate_saml::{
    AWS_ACS_URL, AWS_SP_ENTITY_ID, Check, Error, IdentityProvider, ServiceProvider,
    ValidatedAssertion, binding, validate_response,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `fedgate saml` subcommands.
#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// Validate a SAML response offline and explain every check.
    Check(CheckArgs),
    /// Sign a SAML response with the project's signer (tests, checking a service provider).
    Sign(super::sign::SignArgs),
}

/// Arguments of `fedgate saml check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A file holding the response as XML or base64 (as posted), or - for stdin.
    #[arg(value_name = "RESPONSE")]
    response: PathBuf,
    /// Trusted IdP metadata; repeatable (several IdPs).
    #[arg(long, value_name = "FILE")]
    metadata: Vec<PathBuf>,
    /// A trusted IdP given as a certificate (PEM or DER); repeatable. Pair it with
    /// --idp-entity-id; without one, the issuer is not matched.
    #[arg(long, value_name = "FILE")]
    idp_cert: Vec<PathBuf>,
    /// The entity ID of the --idp-cert given just before it.
    #[arg(long, value_name = "ID")]
    idp_entity_id: Vec<String>,
    /// Accepted audience; repeatable [default: urn:amazon:webservices].
    #[arg(long, value_name = "ID")]
    sp_entity_id: Vec<String>,
    /// Accepted Destination/Recipient; repeatable [default: https://signin.aws.amazon.com/saml].
    #[arg(long, value_name = "URL")]
    acs_url: Vec<String>,
    /// Validate at this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Clock skew allowed on every time bound, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = fedgate_saml::ServiceProvider::default().clock_skew_seconds)]
    clock_skew: i64,
    /// DANGEROUS: accept SHA-1 signature and digest algorithms (practical collisions exist).
    #[arg(long)]
    allow_sha1: bool,
    /// DANGEROUS: accept RSA signing keys of 1024 to 2047 bits (refused by default; at least
    /// 1024 even so). For examining legacy documents, never for trusting them.
    #[arg(long)]
    allow_weak_rsa: bool,
    /// An outstanding AuthnRequest ID; repeatable. Without it unsolicited responses are accepted.
    #[arg(long, value_name = "ID")]
    in_response_to: Vec<String>,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    json: bool,
}

/// Runs a `fedgate saml` subcommand. `matches` are the subcommand's own matches (used to pair
/// repeated `--idp-cert`/`--idp-entity-id` options by position).
pub fn run(command: SamlCommand, matches: Option<&ArgMatches>) -> ExitCode {
    match command {
        SamlCommand::Check(args) => {
            check(&args, matches.and_then(|m| m.subcommand_matches("check")))
        }
        SamlCommand::Sign(args) => super::sign::run(&args),
    }
}

impl UsageError {
    /// An input that cannot be used.
    pub(crate) fn input(message: String) -> Self {
        Self {
            message,
            hint: "check the file given",
            code: "input_invalid",
        }
    }
}

/// A usage or input-file problem: exit 2.
pub(crate) struct UsageError {
    message: String,
    hint: &'static str,
    /// The stable code, when the problem is a refused input (e.g. `key_too_weak`).
    code: &'static str,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "error: {} [{}]\n  hint: {}",
            self.message, self.code, self.hint
        )
    }
}

fn check(args: &CheckArgs, matches: Option<&ArgMatches>) -> ExitCode {
    let setup = match prepare(args, matches) {
        Ok(setup) => setup,
        Err(error) => {
            if args.json {
                println!(
                    "{}",
                    json!({"valid": false, "usage_error": {"code": error.code, "message": error.message, "hint": error.hint}})
                );
            }
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let limits = setup.sp.limits.clone();
    let result = binding::decode_detected(&setup.input, limits.max_bytes).and_then(|xml| {
        validate_response(
            &xml,
            &setup.providers,
            &setup.sp,
            setup.now,
            &args.in_response_to,
        )
    });
    let report = Report {
        setup: &setup,
        result: &result,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.human());
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Everything read from the command line and input files.
struct Setup {
    input: Vec<u8>,
    providers: Vec<IdentityProvider>,
    sp: ServiceProvider,
    now: OffsetDateTime,
    notes: Vec<String>,
}

fn prepare(args: &CheckArgs, matches: Option<&ArgMatches>) -> Result<Setup, UsageError> {
    let input = read_input(&args.response)?;
    let mut notes = Vec::new();
    let mut providers = Vec::new();
    for path in &args.metadata {
        providers.extend(load_metadata_with(path, args.allow_weak_rsa)?);
    }
    for (path, entity_id) in pair_certificates(args, matches)? {
        let content = read_file(&path)?;
        let key = if args.allow_weak_rsa {
            dangerous_trusted_key_from_file_content_allowing_weak_rsa(&content)
        } else {
            trusted_key_from_file_content(&content)
        }
        .map_err(|error| UsageError {
            code: error.code(),
            message: format!("{}: {error}", path.display()),
            hint: error.hint(),
        })?;
        if entity_id.is_none() {
            notes.push(format!(
                "{}: no --idp-entity-id given, so the issuer is not matched against this certificate",
                path.display()
            ));
        }
        providers.push(
            IdentityProvider::new(entity_id, vec![key]).map_err(|error| UsageError {
                code: error.code(),
                message: error.to_string(),
                hint: error.hint(),
            })?,
        );
    }
    if providers.is_empty() {
        return Err(UsageError {
            code: "usage",
            message: "no trusted identity provider given".to_owned(),
            hint: "pass --metadata FILE, or --idp-cert FILE with --idp-entity-id ID",
        });
    }
    let providers = providers
        .into_iter()
        .map(|mut provider| {
            if args.allow_sha1 {
                provider = provider.dangerous_allow_sha1();
            }
            if args.allow_weak_rsa {
                provider = provider.dangerous_allow_weak_rsa();
            }
            provider
        })
        .collect::<Vec<_>>();
    let now = match &args.at {
        Some(at) => OffsetDateTime::parse(at, &Rfc3339).map_err(|_| UsageError {
            code: "usage",
            message: format!("--at {at:?} is not an RFC 3339 date-time"),
            hint: "write it like 2026-01-01T00:00:00Z",
        })?,
        None => now(),
    };
    if args.clock_skew < 0 {
        return Err(UsageError {
            code: "usage",
            message: "--clock-skew must not be negative".to_owned(),
            hint: "use 0 for no skew",
        });
    }
    for provider in &providers {
        if let Some(valid_until) = provider.valid_until().filter(|until| *until <= now) {
            notes.push(format!(
                "metadata of {} expired at {} (validUntil); refresh it",
                provider.entity_id().unwrap_or("?"),
                format_time(valid_until)
            ));
        }
    }
    let defaults = ServiceProvider::default();
    let sp = ServiceProvider {
        audiences: non_empty_or(&args.sp_entity_id, AWS_SP_ENTITY_ID),
        acs_urls: non_empty_or(&args.acs_url, AWS_ACS_URL),
        clock_skew_seconds: args.clock_skew,
        limits: defaults.limits,
    };
    Ok(Setup {
        input,
        providers,
        sp,
        now,
        notes,
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the command line is where the clock is read; validation takes it as a parameter"
)]
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn non_empty_or(values: &[String], default: &str) -> Vec<String> {
    if values.is_empty() {
        vec![default.to_owned()]
    } else {
        values.to_vec()
    }
}

/// Pairs each `--idp-cert` with the `--idp-entity-id` that follows it (before the next
/// `--idp-cert`), by position on the command line.
fn pair_certificates(
    args: &CheckArgs,
    matches: Option<&ArgMatches>,
) -> Result<Vec<(PathBuf, Option<String>)>, UsageError> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(Iterator::collect)
            .unwrap_or_default()
    };
    let cert_positions = indices("idp_cert");
    let id_positions = indices("idp_entity_id");
    let mut pairs: Vec<(PathBuf, Option<String>)> =
        args.idp_cert.iter().map(|p| (p.clone(), None)).collect();
    for (id_index, entity_id) in args.idp_entity_id.iter().enumerate() {
        // Without position information (not expected), pair in order.
        let owner = match (id_positions.get(id_index), cert_positions.is_empty()) {
            (Some(position), false) => cert_positions.iter().rposition(|cert| cert < position),
            _ => Some(id_index).filter(|i| *i < pairs.len()),
        };
        let slot = owner
            .and_then(|index| pairs.get_mut(index))
            .ok_or_else(|| UsageError {
                code: "usage",
                message: format!("--idp-entity-id {entity_id:?} does not follow an --idp-cert"),
                hint: "write --idp-cert FILE --idp-entity-id ID for each certificate",
            })?;
        if slot.1.replace(entity_id.clone()).is_some() {
            return Err(UsageError {
                code: "usage",
                message: format!("two --idp-entity-id values for {}", slot.0.display()),
                hint: "give one --idp-entity-id after each --idp-cert",
            });
        }
    }
    Ok(pairs)
}

pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, UsageError> {
    if path.as_os_str() == "-" {
        let mut input = Vec::new();
        std::io::stdin()
            .take(16 * 1024 * 1024)
            .read_to_end(&mut input)
            .map_err(|error| UsageError {
                code: "input_unreadable",
                message: format!("reading stdin: {error}"),
                hint: "pipe the response into the command",
            })?;
        return Ok(input);
    }
    read_file(path)
}

/// Largest input file read (responses and metadata), far above any real one.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The identity providers of the metadata file at `path`.
pub(crate) fn load_metadata(path: &Path) -> Result<Vec<IdentityProvider>, UsageError> {
    load_metadata_with(path, false)
}

/// The identity providers of the metadata file at `path`; with `allow_weak_rsa`, RSA keys down
/// to 1024 bits are read and the providers weakened to verify with them.
fn load_metadata_with(
    path: &Path,
    allow_weak_rsa: bool,
) -> Result<Vec<IdentityProvider>, UsageError> {
    let text = String::from_utf8(read_file(path)?).map_err(|_| UsageError {
        code: "usage",
        message: format!("{}: metadata is not UTF-8", path.display()),
        hint: "pass the IdP's SAML metadata XML file",
    })?;
    let limits = fedgate_xml::Limits::default();
    if allow_weak_rsa {
        dangerous_parse_metadata_allowing_weak_rsa(&text, &limits)
    } else {
        parse_metadata(&text, &limits)
    }
    .map_err(|error| UsageError {
        code: error.code(),
        message: format!("{}: {error}", path.display()),
        hint: error.hint(),
    })
}

/// Reads an input file, at most [`MAX_FILE_BYTES`].
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, UsageError> {
    let unreadable = |error: std::io::Error| UsageError {
        code: "input_unreadable",
        message: format!("{}: {error}", path.display()),
        hint: "check the path and permissions",
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut content = Vec::new();
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut content)
        .map_err(unreadable)?;
    Ok(content)
}

fn format_time(value: OffsetDateTime) -> String {
    value.format(&Rfc3339).unwrap_or_else(|_| value.to_string())
}

/// `saml:sub_type` as AWS derives it: the SAML 2.0 name-ID format prefix stripped.
fn subject_type(format: Option<&str>) -> Option<&str> {
    format.map(|f| {
        f.strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
            .unwrap_or(f)
    })
}

struct Report<'a> {
    setup: &'a Setup,
    result: &'a Result<ValidatedAssertion, Error>,
}

impl Report<'_> {
    /// Warnings that do not make the response invalid but matter for AWS sign-in.
    fn warnings(&self, assertion: &ValidatedAssertion) -> Vec<String> {
        let mut warnings = self.setup.notes.clone();
        let aws = assertion.aws();
        if aws.roles.is_empty() {
            warnings.push("no https://aws.amazon.com/SAML/Attributes/Role attribute: AWS sign-in would refuse it".to_owned());
        }
        if aws.role_session_name.is_none() {
            warnings.push(
                "no RoleSessionName attribute: AssumeRoleWithSAML would refuse it".to_owned(),
            );
        }
        warnings
    }

    fn json(&self) -> Value {
        let assertion = match self.result {
            Err(error) => {
                return json!({
                    "valid": false,
                    "error": {"code": error.code(), "message": error.to_string(), "hint": error.hint()},
                    "check": format!("{:?}", error.check()).to_lowercase(),
                    "notes": self.setup.notes,
                });
            }
            Ok(assertion) => assertion,
        };
        let aws = assertion.aws();
        let mut attributes = serde_json::Map::new();
        for attribute in assertion.attributes() {
            let entry = attributes
                .entry(attribute.name.clone())
                .or_insert_with(|| json!([]));
            if let Value::Array(values) = entry {
                values.extend(attribute.values.iter().map(|v| json!(v)));
            }
        }
        let provider = self.setup.providers.get(assertion.provider_index());
        json!({
            "valid": true,
            "issuer": assertion.issuer(),
            "subject": assertion.subject().value,
            "subject_type": subject_type(assertion.subject().format.as_deref()),
            "subject_format": assertion.subject().format,
            "session_name": aws.role_session_name,
            "roles": aws.roles.iter().map(|r| json!({"role_arn": r.role_arn, "provider_arn": r.provider_arn})).collect::<Vec<_>>(),
            "session_duration": aws.session_duration,
            "source_identity": aws.source_identity,
            "principal_tags": aws.principal_tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "transitive_tag_keys": aws.transitive_tag_keys,
            "attributes": attributes,
            "not_before": assertion.not_before().map(format_time),
            "not_on_or_after": format_time(assertion.not_on_or_after()),
            "session_not_on_or_after": assertion.session_not_on_or_after().map(format_time),
            "assertion_id": assertion.assertion_id(),
            "response_id": assertion.unverified_response_id(),
            "in_response_to": assertion.unverified_in_response_to(),
            "recipient": assertion.recipient(),
            "audiences": assertion.audiences(),
            "signed": {"response": assertion.signed().response, "assertion": assertion.signed().assertion},
            "provider_entity_id": provider.and_then(IdentityProvider::entity_id),
            "validated_at": format_time(self.setup.now),
            "warnings": self.warnings(assertion),
        })
    }

    fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let failed_check = self.result.as_ref().err().map(Error::check);
        let verdict = if self.result.is_ok() {
            "VALID"
        } else {
            "INVALID"
        };
        let _ = writeln!(
            out,
            "SAML response: {verdict} (at {})",
            format_time(self.setup.now)
        );
        for check in Check::ALL {
            let (mark, suffix) = match failed_check {
                Some(failed) if check == failed => ("FAIL", ""),
                Some(failed) if check > failed => ("----", " (not reached)"),
                _ => ("pass", ""),
            };
            let _ = writeln!(out, "  [{mark}] {}{suffix}", check.description());
            if let Err(error) = self.result
                && failed_check == Some(check)
            {
                let _ = writeln!(out, "         error: {error} [{}]", error.code());
                let _ = writeln!(out, "         fix:   {}", error.hint());
            }
        }
        match self.result {
            Ok(assertion) => {
                let aws = assertion.aws();
                let _ = writeln!(out, "issuer:          {}", assertion.issuer());
                let _ = writeln!(
                    out,
                    "subject:         {} ({})",
                    assertion.subject().value,
                    subject_type(assertion.subject().format.as_deref()).unwrap_or("no format")
                );
                let signed = assertion.signed();
                let signed_parts = match (signed.response, signed.assertion) {
                    (true, true) => "response and assertion",
                    (true, false) => "response",
                    _ => "assertion",
                };
                let _ = writeln!(out, "signed:          {signed_parts}");
                let _ = writeln!(out, "recipient:       {}", assertion.recipient());
                let _ = writeln!(
                    out,
                    "valid until:     {}",
                    format_time(assertion.not_on_or_after())
                );
                if let Some(name) = &aws.role_session_name {
                    let _ = writeln!(out, "session name:    {name}");
                }
                for role in &aws.roles {
                    let _ = writeln!(
                        out,
                        "role:            {} via {}",
                        role.role_arn, role.provider_arn
                    );
                }
                if let Some(duration) = aws.session_duration {
                    let _ = writeln!(out, "session length:  {duration} s");
                }
                for warning in self.warnings(assertion) {
                    let _ = writeln!(out, "warning: {warning}");
                }
            }
            Err(_) => {
                for note in &self.setup.notes {
                    let _ = writeln!(out, "note: {note}");
                }
            }
        }
        out
    }
}
