//! Sign-in load generator: complete browser sign-ins (`POST /saml`, each with a unique signed
//! assertion) or STS `AssumeRoleWithSAML` calls (`--mode sts`, `POST /`) against a running
//! `fedgate serve`, at a given concurrency.
//!
//! ```sh
//! cargo run --release -p fedgate --example signin_load -- \
//!     --url http://127.0.0.1:8080 --requests 4000 --concurrency 8 \
//!     --key tests/keys/idp-a.key.pem --cert tests/keys/idp-a.cert.pem \
//!     --issuer https://idp-a.example.test/saml \
//!     --role-arn arn:aws:iam::000000000000:role/LoadAgent \
//!     --provider-arn arn:aws:iam::000000000000:saml-provider/LoadIdp [--server-pid PID] \
//!     [--mode browser|sts] [--policy-arn ARN]...
//! ```
//! `bench/signin-load.sh` sets up the provider and role and runs it at several concurrencies.
//!
//! The responses are signed before the clock starts (RSA-2048 signing is not what is measured).
//! Each worker keeps one HTTP/1.1 connection alive and sends its share of requests one after
//! another; a sign-in counts when the answer is `303 See Other` with a console session cookie
//! (browser), or `200 OK` with an `AssumeRoleWithSAMLResponse` (sts; each `--policy-arn` is sent
//! as a `PolicyArns` member).
//! With `--server-pid` the server's CPU time (user + system, from /proc) over the run is
//! divided by the number of sign-ins. Prints one JSON line.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use fedgate_dsig::{SigningKey, sign_enveloped};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

struct Args {
    url: String,
    requests: usize,
    concurrency: usize,
    key: String,
    cert: String,
    issuer: String,
    role_arn: String,
    provider_arn: String,
    server_pid: Option<u32>,
    mode: Mode,
    policy_arns: Vec<String>,
}

/// Which entry point of the sign-in pipeline is loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `POST /saml`, the browser endpoint.
    Browser,
    /// `POST /` with `Action=AssumeRoleWithSAML`, the STS API.
    Sts,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".to_owned(),
        requests: 2000,
        concurrency: 8,
        key: "tests/keys/idp-a.key.pem".to_owned(),
        cert: "tests/keys/idp-a.cert.pem".to_owned(),
        issuer: "https://idp-a.example.test/saml".to_owned(),
        role_arn: "arn:aws:iam::000000000000:role/LoadAgent".to_owned(),
        provider_arn: "arn:aws:iam::000000000000:saml-provider/LoadIdp".to_owned(),
        server_pid: None,
        mode: Mode::Browser,
        policy_arns: Vec::new(),
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--requests" => args.requests = value()?.parse().map_err(|e| format!("{e}"))?,
            "--concurrency" => args.concurrency = value()?.parse().map_err(|e| format!("{e}"))?,
            "--key" => args.key = value()?,
            "--cert" => args.cert = value()?,
            "--issuer" => args.issuer = value()?,
            "--role-arn" => args.role_arn = value()?,
            "--provider-arn" => args.provider_arn = value()?,
            "--server-pid" => args.server_pid = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--mode" => {
                args.mode = match value()?.as_str() {
                    "browser" => Mode::Browser,
                    "sts" => Mode::Sts,
                    other => return Err(format!("--mode {other}: expected browser or sts")),
                }
            }
            "--policy-arn" => args.policy_arns.push(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.concurrency == 0 || args.requests == 0 {
        return Err("--requests and --concurrency must be positive".to_owned());
    }
    Ok(args)
}

/// One signed response, as the form field value (base64, then form-encoded).
fn signed_response(
    args: &Args,
    key: &SigningKey,
    acs: &str,
    n: usize,
    now: OffsetDateTime,
) -> Result<String, String> {
    let stamp = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let issued = stamp(now - time::Duration::seconds(5));
    let not_before = stamp(now - time::Duration::minutes(1));
    let not_on_or_after = stamp(now + time::Duration::minutes(10));
    let assertion_id = format!("_load{n:08}{}", now.unix_timestamp_nanos());
    let aws = "https://aws.amazon.com/SAML/Attributes/";
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{assertion_id}" Version="2.0" IssueInstant="{issued}" Destination="{acs}"><saml:Issuer>{issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">agent{n}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{not_on_or_after}" Recipient="{acs}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_on_or_after}"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="{aws}Role"><saml:AttributeValue>{role},{provider}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="{aws}RoleSessionName"><saml:AttributeValue>agent{n}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
        issuer = args.issuer,
        role = args.role_arn,
        provider = args.provider_arn,
    );
    let signed = sign_enveloped(&xml, &assertion_id, key).map_err(|e| e.to_string())?;
    Ok(form_encode(
        &base64::engine::general_purpose::STANDARD.encode(signed),
    ))
}

/// Percent-encodes the characters of base64 text and ARNs that form decoding would change.
fn form_encode(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
        .replace(':', "%3A")
}

/// The HTTP request carrying one signed response to the endpoint of `mode`.
fn http_request(args: &Args, host: &str, response: &str) -> String {
    let (path, form) = match args.mode {
        Mode::Browser => ("/saml", format!("SAMLResponse={response}")),
        Mode::Sts => {
            let mut form = format!(
                "Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn={}&PrincipalArn={}&SAMLAssertion={response}",
                form_encode(&args.role_arn),
                form_encode(&args.provider_arn),
            );
            for (index, arn) in args.policy_arns.iter().enumerate() {
                form.push_str(&format!(
                    "&PolicyArns.member.{}.arn={}",
                    index + 1,
                    form_encode(arn)
                ));
            }
            ("/", form)
        }
    };
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
}

/// Server CPU seconds (user + system) from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit(')').next()?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Sends `requests` over one keep-alive connection; returns each latency, or the first failure.
fn worker(mode: Mode, host: &str, requests: &[String]) -> Result<Vec<Duration>, String> {
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut latencies = Vec::with_capacity(requests.len());
    let mut buffer = vec![0_u8; 64 * 1024];
    for request in requests {
        let started = Instant::now();
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        // Read the head, then the body by Content-Length.
        let mut received = Vec::new();
        let head_end = loop {
            let n = stream.read(&mut buffer).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".to_owned());
            }
            received.extend_from_slice(buffer.get(..n).unwrap_or_default());
            if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head =
            String::from_utf8_lossy(received.get(..head_end).unwrap_or_default()).to_string();
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while received.len() < head_end + length {
            let n = stream.read(&mut buffer).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".to_owned());
            }
            received.extend_from_slice(buffer.get(..n).unwrap_or_default());
        }
        latencies.push(started.elapsed());
        if mode == Mode::Sts {
            let body = String::from_utf8_lossy(received.get(head_end..).unwrap_or_default());
            if !head.starts_with("HTTP/1.1 200") || !body.contains("<AssumeRoleWithSAMLResponse") {
                let code = body
                    .split("<Code>")
                    .nth(1)
                    .and_then(|rest| rest.split('<').next())
                    .unwrap_or("?");
                return Err(format!(
                    "AssumeRoleWithSAML refused: {} ({code})",
                    head.lines().next().unwrap_or_default()
                ));
            }
            continue;
        }
        if !head.starts_with("HTTP/1.1 303")
            || !head
                .to_ascii_lowercase()
                .contains("set-cookie: fedgate-console=")
        {
            let body = String::from_utf8_lossy(received.get(head_end..).unwrap_or_default());
            let code = body
                .split("data-error-code=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("?");
            return Err(format!(
                "sign-in refused: {} ({code})",
                head.lines().next().unwrap_or_default()
            ));
        }
    }
    Ok(latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(rank).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let key =
        SigningKey::from_pem(&read(&args.key)?, &read(&args.cert)?).map_err(|e| e.to_string())?;
    let host = args
        .url
        .strip_prefix("http://")
        .ok_or("--url must be http://host:port")?
        .trim_end_matches('/')
        .to_owned();
    let acs = format!("{}/saml", args.url.trim_end_matches('/'));
    // The load generator's one clock read: the responses are valid from now for ten minutes.
    #[expect(
        clippy::disallowed_methods,
        reason = "a load generator issues fresh assertions"
    )]
    let now = OffsetDateTime::now_utc();
    let requests = (0..args.requests)
        .map(|n| {
            signed_response(&args, &key, &acs, n, now)
                .map(|response| http_request(&args, &host, &response))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let share = args.requests.div_ceil(args.concurrency);
    let cpu_before = args.server_pid.and_then(cpu_seconds);
    let started = Instant::now();
    let results: Vec<Result<Vec<Duration>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .chunks(share)
            .map(|chunk| scope.spawn(|| worker(args.mode, &host, chunk)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("worker panicked".to_owned()))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    let cpu_after = args.server_pid.and_then(cpu_seconds);
    let mut latencies = Vec::with_capacity(args.requests);
    for result in results {
        latencies.extend(result?);
    }
    latencies.sort();
    let completed = latencies.len();
    let cpu_per_signin_us = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) if completed > 0 => {
            Some((after - before) * 1e6 / completed as f64)
        }
        _ => None,
    };
    println!(
        "{}",
        serde_json::json!({
            "mode": match args.mode { Mode::Browser => "browser", Mode::Sts => "sts" },
            "concurrency": args.concurrency,
            "sign_ins": completed,
            "seconds": elapsed.as_secs_f64(),
            "sign_ins_per_second": completed as f64 / elapsed.as_secs_f64(),
            "p50_ms": percentile(&latencies, 50.0),
            "p99_ms": percentile(&latencies, 99.0),
            "server_cpu_us_per_sign_in": cpu_per_signin_us,
        })
    );
    Ok(())
}
