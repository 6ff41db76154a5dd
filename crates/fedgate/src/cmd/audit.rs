//! `fedgate audit`: reads the audit log from the store `fedgate serve` uses.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use fedgate_store::{
    AuditEvent, AuditLog as _, AuditOutcome, AuditQuery, MAX_AUDIT_LISTING, Store,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::store_args::{StoreArgs, runtime};

/// Outcome filter.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutcomeArg {
    Success,
    Failure,
}

/// Arguments of `fedgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only events at or after this time (RFC 3339, e.g. 2026-12-04T10:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<OffsetDateTime>,
    /// Only successes or only failures.
    #[arg(long, value_enum)]
    outcome: Option<OutcomeArg>,
    /// Only events of this SAML provider.
    #[arg(long, value_name = "ARN")]
    provider: Option<String>,
    /// Most events printed (the newest ones).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    limit: usize,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| format!("{text:?} is not an RFC 3339 time ({error})"))
}

/// Prints the matching events, oldest first. Exit 0, or 2 when the store cannot be opened.
pub fn run(args: AuditArgs) -> ExitCode {
    let config = match args.store.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if args.limit == 0 || args.limit > MAX_AUDIT_LISTING {
        eprintln!("error: --limit must be between 1 and {MAX_AUDIT_LISTING}");
        return ExitCode::from(2);
    }
    let query = AuditQuery {
        since: args.since,
        outcome: args.outcome.map(|outcome| match outcome {
            OutcomeArg::Success => AuditOutcome::Success,
            OutcomeArg::Failure => AuditOutcome::Failure,
        }),
        provider_arn: args.provider,
        limit: args.limit,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let database_url = config.database_url();
    let events = runtime.block_on(async {
        let store = Store::connect(&database_url).await?;
        let events = store.list_audit(&query).await;
        store.close().await;
        events
    });
    let events = match events {
        Ok(events) => events,
        Err(error) => {
            eprintln!("error: cannot read the audit log: {error}");
            return ExitCode::from(2);
        }
    };
    for event in &events {
        if args.json {
            println!("{}", json_line(event));
        } else {
            println!("{}", text_line(event));
        }
    }
    ExitCode::SUCCESS
}

fn time_text(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

fn json_line(event: &AuditEvent) -> String {
    serde_json::json!({
        "time": time_text(event.time),
        "event": event.event,
        "outcome": event.outcome.as_str(),
        "error_code": event.error_code,
        "detail": event.detail,
        "reference": event.reference,
        "provider_arn": event.provider_arn,
        "issuer": event.issuer,
        "subject": event.subject,
        "session_name": event.session_name,
        "role_arn": event.role_arn,
        "instance_id": event.instance_id,
        "client": event.client,
    })
    .to_string()
}

fn text_line(event: &AuditEvent) -> String {
    let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{}  {:<22} {:<7} {:<24} ref={} provider={} session={} role={} instance={} client={}{}",
        time_text(event.time),
        event.event,
        event.outcome.as_str(),
        dash(&event.error_code),
        event.reference,
        dash(&event.provider_arn),
        dash(&event.session_name),
        dash(&event.role_arn),
        dash(&event.instance_id),
        dash(&event.client),
        event
            .detail
            .as_ref()
            .map(|detail| format!("\n    {detail}"))
            .unwrap_or_default(),
    )
}
