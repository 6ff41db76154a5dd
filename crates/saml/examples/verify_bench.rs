//! Benchmark driver endpoint: runs exactly the validation `fedgate saml check` runs (binding
//! detection and decoding, then [`validate_response`]) N times on one response and prints the
//! elapsed time. The project's benchmark driver speaks the same protocol to other libraries
//! (`bench/peers/`).
//!
//! ```text
//! verify_bench (--xml FILE | --b64 FILE)
//!              (--cert FILE | --pubkey FILE | --metadata FILE)
//!              [--signed response|assertion|both] [--iterations N] [--at RFC3339]
//! ```
//!
//! The trust is loaded once; the service provider is AWS (audience `urn:amazon:webservices`,
//! ACS `https://signin.aws.amazon.com/saml`); `now` is `--at`, else the response's
//! `Conditions/@NotBefore` plus one second. Prints `elapsed_ns=`, `iterations=` and
//! `per_op_ns=` on stdout; exits non-zero with a message on stderr if an iteration fails.
//!
//! Build: `cargo build --release -p fedgate-saml --example verify_bench`.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use fedgate_saml::metadata::{parse_metadata, trusted_key_from_file_content};
use fedgate_saml::{
    IdentityProvider, ServiceProvider, binding, parse_date_time, validate_response,
};
use fedgate_xml::Limits;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const USAGE: &str = "usage: verify_bench (--xml FILE | --b64 FILE) (--cert FILE | --pubkey FILE | --metadata FILE) \
                     [--signed response|assertion|both] [--iterations N] [--at RFC3339]";

#[derive(Debug, Default)]
struct Args {
    response: Option<String>,
    cert: Option<String>,
    pubkey: Option<String>,
    metadata: Option<String>,
    iterations: u64,
    at: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        iterations: 1000,
        ..Args::default()
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_owned());
        }
        let value = argv
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            // The binding is detected from the content, as `fedgate saml check` does.
            "--xml" | "--b64" => args.response = Some(value),
            "--cert" => args.cert = Some(value),
            "--pubkey" => args.pubkey = Some(value),
            "--metadata" => args.metadata = Some(value),
            "--signed" => {
                if !["response", "assertion", "both"].contains(&value.as_str()) {
                    return Err(format!(
                        "--signed must be response, assertion or both, not {value:?}"
                    ));
                }
            }
            "--iterations" => {
                args.iterations =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("--iterations {value:?} is not a positive integer")
                    })?;
            }
            "--at" => args.at = Some(value),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|error| format!("{path}: {error}"))
}

/// The trusted providers, as `fedgate saml check --metadata` or `--idp-cert` (without an
/// entity ID) builds them.
fn providers(args: &Args) -> Result<Vec<IdentityProvider>, String> {
    if let Some(path) = &args.metadata {
        let text = String::from_utf8(read(path)?).map_err(|_| format!("{path}: not UTF-8"))?;
        return parse_metadata(&text, &Limits::default())
            .map_err(|error| format!("{path}: {error}"));
    }
    let path = args
        .cert
        .as_ref()
        .or(args.pubkey.as_ref())
        .ok_or_else(|| format!("no trust given\n{USAGE}"))?;
    let key =
        trusted_key_from_file_content(&read(path)?).map_err(|error| format!("{path}: {error}"))?;
    Ok(vec![
        IdentityProvider::new(None, vec![key]).map_err(|error| error.to_string())?,
    ])
}

/// `Conditions/@NotBefore` + 1 s, found by a quick scan of the decoded response.
fn derived_now(xml: &str) -> Result<OffsetDateTime, String> {
    let conditions = xml
        .find("Conditions")
        .ok_or("no Conditions element: pass --at")?;
    let after = xml.get(conditions..).unwrap_or_default();
    let start = after
        .find("NotBefore=")
        .ok_or("no Conditions/@NotBefore: pass --at")?
        + "NotBefore=".len();
    let rest = after.get(start..).unwrap_or_default();
    let quote = rest
        .chars()
        .next()
        .filter(|q| *q == '"' || *q == '\'')
        .ok_or("unquoted NotBefore")?;
    let value = rest
        .get(1..)
        .and_then(|v| v.split(quote).next())
        .unwrap_or_default();
    let not_before =
        parse_date_time(value).ok_or_else(|| format!("NotBefore {value:?} is not a date-time"))?;
    Ok(not_before + Duration::seconds(1))
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let input = read(
        args.response
            .as_deref()
            .ok_or_else(|| format!("no response given\n{USAGE}"))?,
    )?;
    let providers = providers(&args)?;
    let sp = ServiceProvider::default();
    let max = sp.limits.max_bytes;
    let now = match &args.at {
        Some(at) => OffsetDateTime::parse(at, &Rfc3339)
            .map_err(|_| format!("--at {at:?} is not RFC 3339"))?,
        None => {
            derived_now(&binding::decode_detected(&input, max).map_err(|error| error.to_string())?)?
        }
    };
    let check = |input: &[u8]| {
        binding::decode_detected(input, max)
            .and_then(|xml| validate_response(&xml, &providers, &sp, now, &[]))
    };
    // One untimed run: report a rejection before timing anything.
    check(&input).map_err(|error| format!("validation failed: {error} [{}]", error.code()))?;

    let mut failures = 0_u64;
    let start = Instant::now();
    for _ in 0..args.iterations {
        if black_box(check(black_box(&input))).is_err() {
            failures += 1;
        }
    }
    let elapsed = start.elapsed().as_nanos();
    if failures > 0 {
        return Err(format!(
            "{failures} of {} iterations failed validation",
            args.iterations
        ));
    }
    println!("elapsed_ns={elapsed}");
    println!("iterations={}", args.iterations);
    println!("per_op_ns={}", elapsed / u128::from(args.iterations));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("verify_bench: {message}");
            ExitCode::FAILURE
        }
    }
}
