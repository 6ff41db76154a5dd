//! `fedgate demo`: the whole story in one process. fedgate on port P and two built-in IdPs,
//! `primary` (P+1) and `backup` (P+2); one contact-center instance; one role trusting both
//! IdPs; agents who sign in through either; `fedgate demo outage primary|backup|none` takes
//! an IdP down or brings it back while the demo runs.
//!
//! Everything is configured through fedgate's own APIs: each call is a SigV4-signed request
//! (the administrator's key from the data directory) sent through the same router, the same
//! authentication, authorization, handlers and audit log as `aws --endpoint-url` would use.
//! Re-running reuses the data directory: the instance, providers, role, users, IdP keys and
//! passwords stay; the IdPs' metadata is registered again in case their keys were replaced.
//!
//! Control: the running demo listens on `<data-dir>/demo.sock` (a Unix socket, mode 0600) for
//! one line, `outage primary|backup|none`, and answers one line.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use clap::{Args, Subcommand, ValueEnum};
use fedgate_aws_wire::{percent_encode, sigv4};
use fedgate_idp::{ApplicationConfig, Idp, RoleConfig, UserConfig};
use fedgate_server::config::{Config, Overrides};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Mutex, oneshot};
use tower::ServiceExt as _;

/// The file the demo describes itself in.
pub const DEMO_FILE: &str = "demo.json";
/// The control socket in the data directory.
pub const CONTROL_SOCKET: &str = "demo.sock";
/// The contact-center instance's alias.
pub const INSTANCE_ALIAS: &str = "demo-contact-center";
/// The role agents assume.
pub const ROLE_NAME: &str = "ContactCenterAgent";
/// The application (tile) ID at both IdPs.
pub const APPLICATION_ID: &str = "contact-center";
/// Largest API response read.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The two IdPs: name, display name, port offset.
const IDPS: [(&str, &str, u16); 2] = [
    ("primary", "Primary IdP (demo)", 1),
    ("backup", "Backup IdP (demo)", 2),
];

/// The demo users: name, first name, whether they are in the instance.
const USERS: [(&str, &str, bool); 3] = [
    ("alice", "Alice", true),
    ("bob", "Bob", true),
    ("carol", "Carol", false),
];

/// Arguments of `fedgate demo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    command: Option<DemoCommand>,
    /// Where the demo keeps its state (SQLite database, keys, demo.json).
    #[arg(long, value_name = "DIR", default_value = "fedgate-demo")]
    data_dir: PathBuf,
    /// Host to listen on and to put in URLs.
    #[arg(long, value_name = "H", default_value = "127.0.0.1")]
    host: String,
    /// fedgate's port; the IdPs listen on the next two.
    #[arg(long, value_name = "P", default_value_t = 8080)]
    port: u16,
    /// Database URL instead of SQLite in the data directory (postgres://…).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Subcommands of `fedgate demo`.
#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Take an IdP of the running demo down (its port refuses connections), or bring both
    /// back with `none`.
    Outage(OutageArgs),
}

/// Arguments of `fedgate demo outage`.
#[derive(Debug, Args)]
struct OutageArgs {
    /// Which IdP to take down; `none` brings both back.
    #[arg(value_enum)]
    idp: Which,
    /// The running demo's data directory.
    #[arg(long, value_name = "DIR", default_value = "fedgate-demo")]
    data_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Primary,
    Backup,
    None,
}

/// `demo.json`.
#[derive(Debug, Serialize, Deserialize)]
struct DemoFile {
    fedgate_url: String,
    instance_id: String,
    admin_credentials_file: String,
    idps: Vec<DemoIdp>,
    users: Vec<DemoUser>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DemoIdp {
    name: String,
    url: String,
    portal_url: String,
    metadata_url: String,
    provider_arn: String,
    entity_id: String,
    application_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct DemoUser {
    username: String,
    password: String,
    onboarded: bool,
}

/// Runs the demo, or controls a running one.
pub fn run(args: DemoArgs) -> ExitCode {
    if let Some(DemoCommand::Outage(outage)) = &args.command {
        return send_outage(outage);
    }
    if let Err(message) = fedgate_server::config::check_environment(
        std::env::vars_os().filter_map(|(name, _)| name.into_string().ok()),
    ) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let _log_flush = super::serve::init_logging();
    let runtime = match super::serve::server_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One IdP of the demo, up or down.
struct Running {
    name: &'static str,
    idp: Arc<Idp>,
    address: SocketAddr,
    up: Option<(oneshot::Sender<()>, tokio::task::JoinHandle<()>)>,
}

impl Running {
    async fn start(&mut self) -> Result<(), String> {
        if self.up.is_some() {
            return Ok(());
        }
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .map_err(|error| {
                format!(
                    "the {} IdP cannot listen on {}: {error}",
                    self.name, self.address
                )
            })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = fedgate_idp::router(Arc::clone(&self.idp));
        let limits = idp_limits();
        let name = self.name;
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) =
                fedgate_server::serve_router(listener, router, limits, shutdown).await
            {
                tracing::error!(idp = name, %error, "IdP stopped");
            }
        });
        self.up = Some((stop, task));
        Ok(())
    }

    async fn stop(&mut self) {
        if let Some((stop, task)) = self.up.take() {
            let _ = stop.send(());
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
    }
}

/// The IdPs' connection limits: the service's defaults, with a short shutdown grace so an
/// outage takes effect at once.
fn idp_limits() -> fedgate_server::Limits {
    let mut limits = fedgate_server::Limits::from_config(&Config::default());
    limits.shutdown_grace = Duration::from_secs(2);
    limits
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    let started = Instant::now();
    let data_dir = args.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .map_err(|error| format!("cannot create {}: {error}", data_dir.display()))?;
    let control_path = data_dir.join(CONTROL_SOCKET);
    let control = bind_control(&control_path)?;
    let listen = resolve(&args.host, args.port)?;
    let fedgate_url = format!("http://{}", host_port(&args.host, args.port));
    let previous = read_demo_file(&data_dir);

    // fedgate itself.
    let overrides = Overrides {
        listen: Some(listen),
        base_url: Some(fedgate_url.clone()),
        data_dir: Some(data_dir.join("fedgate")),
        database_url: args.database_url.clone(),
        ..Overrides::default()
    };
    let config = Config::load(None, &overrides)?;
    let state = Arc::new(
        fedgate_server::open(&config)
            .await
            .map_err(|error| error.to_string())?,
    );
    let listener = fedgate_server::bind(&config)
        .await
        .map_err(|error| error.to_string())?;
    let credentials_file = data_dir
        .join("fedgate")
        .join(fedgate_server::ADMIN_CREDENTIALS_FILE);
    let api = Api {
        router: fedgate_server::router(Arc::clone(&state)),
        credential: read_credentials(&credentials_file)?,
        host: host_port(&args.host, args.port),
        region: config.region.clone(),
        clock: state.clock.clone(),
    };

    // The instance first: the IdPs' RelayState names it.
    let instance_id = api.ensure_instance().await?;
    let passwords = USERS
        .iter()
        .map(|(name, _, _)| {
            let kept = previous.as_ref().and_then(|file| {
                file.users
                    .iter()
                    .find(|user| user.username == *name)
                    .map(|user| user.password.clone())
            });
            match kept {
                Some(password) => Ok(password),
                None => new_password(),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let hashes = passwords
        .iter()
        .map(|password| fedgate_idp::hash_password(password))
        .collect::<Result<Vec<_>, _>>()?;
    let provider_arn =
        |name: &str| format!("arn:aws:iam::{}:saml-provider/{name}", config.account_id);
    let role_arn = format!("arn:aws:iam::{}:role/{ROLE_NAME}", config.account_id);
    let relay_state = format!("{fedgate_url}/connect/federate/{instance_id}?destination=%2Fccp-v2");

    // The IdPs, then their registration at fedgate.
    let mut idps = Vec::new();
    for (name, display_name, offset) in IDPS {
        let port = args
            .port
            .checked_add(offset)
            .ok_or_else(|| format!("--port {} leaves no room for the IdPs", args.port))?;
        let idp_config = fedgate_idp::Config {
            listen: resolve(&args.host, port)?,
            base_url: Some(format!("http://{}", host_port(&args.host, port))),
            entity_id: None,
            data_dir: Some(data_dir.join(format!("idp-{name}"))),
            key_type: fedgate_idp::KeyType::Rsa2048,
            display_name: Some(display_name.to_owned()),
            sign_response: false,
            session_hours: 8,
            users: USERS
                .iter()
                .zip(&hashes)
                .map(|((username, first, _), hash)| UserConfig {
                    username: (*username).to_owned(),
                    password_hash: hash.clone(),
                    email: Some(format!("{username}@demo.fedgate.test")),
                    display_name: Some(format!("{first} Agent")),
                    groups: vec!["agents".to_owned()],
                    attributes: std::collections::BTreeMap::new(),
                })
                .collect(),
            applications: vec![ApplicationConfig {
                id: APPLICATION_ID.to_owned(),
                name: Some("Contact center (fedgate)".to_owned()),
                acs_url: format!("{fedgate_url}/saml"),
                acs_urls: Vec::new(),
                audience: config.sp_entity_id.clone(),
                relay_state: Some(relay_state.clone()),
                name_id_format: None,
                name_id: None,
                sp_metadata: None,
                groups: vec!["agents".to_owned()],
                users: Vec::new(),
                role_session_name: Some("${user.username}".to_owned()),
                session_duration: Some(3600),
                roles: vec![RoleConfig {
                    role: role_arn.clone(),
                    provider: provider_arn(name),
                    groups: Vec::new(),
                    users: Vec::new(),
                }],
                attributes: vec![fedgate_idp::AttributeConfig {
                    name: "email".to_owned(),
                    name_format: None,
                    values: vec!["${user.email}".to_owned()],
                }],
            }],
        };
        let address = idp_config.listen;
        let idp = Arc::new(Idp::open(idp_config, state.clock.clone())?);
        api.ensure_provider(name, &provider_arn(name), idp.metadata())
            .await?;
        idps.push(Running {
            name,
            idp,
            address,
            up: None,
        });
    }
    let providers: Vec<String> = IDPS.iter().map(|(name, _, _)| provider_arn(name)).collect();
    api.ensure_role(&fedgate_url, &providers).await?;
    api.iam(
        "PutRolePolicy",
        &[
            ("RoleName", ROLE_NAME),
            ("PolicyName", "ConnectFederation"),
            (
                "PolicyDocument",
                &json!({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": "connect:GetFederationToken",
                        "Resource": format!(
                            "arn:aws:connect:{}:{}:instance/{instance_id}/user/${{aws:userid}}",
                            config.region, config.account_id
                        ),
                    }],
                })
                .to_string(),
            ),
        ],
    )
    .await?;
    api.ensure_agents(&instance_id).await?;

    // Everything listens.
    let (stop_server, server_stopped) = oneshot::channel::<()>();
    let server_config = config.clone();
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = server_stopped.await;
        };
        fedgate_server::serve_on(listener, state, &server_config, shutdown).await
    });
    for running in &mut idps {
        running.start().await?;
    }

    let file = DemoFile {
        fedgate_url: fedgate_url.clone(),
        instance_id: instance_id.clone(),
        admin_credentials_file: credentials_file.display().to_string(),
        idps: idps
            .iter()
            .map(|running| DemoIdp {
                name: running.name.to_owned(),
                url: running.idp.base_url().to_owned(),
                portal_url: format!("{}/", running.idp.base_url()),
                metadata_url: format!("{}/metadata", running.idp.base_url()),
                provider_arn: provider_arn(running.name),
                entity_id: running.idp.entity_id().to_owned(),
                application_id: APPLICATION_ID.to_owned(),
            })
            .collect(),
        users: USERS
            .iter()
            .zip(passwords)
            .map(|((username, _, onboarded), password)| DemoUser {
                username: (*username).to_owned(),
                password,
                onboarded: *onboarded,
            })
            .collect(),
    };
    write_demo_file(&data_dir, &file)?;
    print_table(&file, &data_dir);
    println!(
        "fedgate demo ready in {:.2} s (Ctrl-C stops it)",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();

    let idps = Arc::new(Mutex::new(idps));
    let controller = tokio::spawn(serve_control(control, Arc::clone(&idps)));
    fedgate_server::shutdown_signal().await;
    controller.abort();
    let _ = std::fs::remove_file(&control_path);
    for running in idps.lock().await.iter_mut() {
        running.stop().await;
    }
    let _ = stop_server.send(());
    match server.await {
        Ok(Ok(())) => {
            println!("fedgate demo stopped");
            Ok(())
        }
        Ok(Err(error)) => Err(error.to_string()),
        Err(error) => Err(format!("the server task failed: {error}")),
    }
}

// --- the API client ----------------------------------------------------------------------------

/// fedgate's own APIs, called in-process through the router with SigV4-signed requests.
struct Api {
    router: axum::Router,
    credential: sigv4::Credential,
    host: String,
    region: String,
    clock: fedgate_server::Clock,
}

/// An API's refusal: the AWS error code and message.
#[derive(Debug)]
struct Refused {
    code: String,
    message: String,
}

impl Api {
    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        service: &str,
    ) -> Result<(u16, Vec<u8>, Option<String>), String> {
        let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
        let headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("content-type".to_owned(), content_type.to_owned()),
        ];
        let request = sigv4::Request {
            method,
            path: raw_path,
            query,
            headers: &headers,
            body: &body,
        };
        let added = sigv4::sign(
            &request,
            &self.credential,
            None,
            &self.region,
            service,
            self.clock.now(),
        )
        .map_err(|error| format!("signing a request: {error}"))?;
        let mut builder = axum::http::Request::builder().method(method).uri(path);
        for (name, value) in headers.iter().chain(&added) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(Body::from(body))
            .map_err(|error| format!("building a request: {error}"))?;
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(':').next().unwrap_or(value).to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BYTES)
            .await
            .map_err(|error| format!("reading a response: {error}"))?;
        Ok((status, bytes.to_vec(), error_type))
    }

    /// An IAM Query call.
    async fn iam_call(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Result<String, Refused>, String> {
        let mut body = format!("Action={action}&Version=2010-05-08");
        for (name, value) in params {
            body.push('&');
            body.push_str(&percent_encode(name));
            body.push('=');
            body.push_str(&percent_encode(value));
        }
        let (status, bytes, _) = self
            .send(
                "POST",
                "/",
                "application/x-www-form-urlencoded; charset=utf-8",
                body.into_bytes(),
                "iam",
            )
            .await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if (200..300).contains(&status) {
            return Ok(Ok(text));
        }
        let between = |open: &str, close: &str| {
            text.split_once(open)
                .and_then(|(_, rest)| rest.split_once(close))
                .map(|(value, _)| value.to_owned())
                .unwrap_or_default()
        };
        Ok(Err(Refused {
            code: between("<Code>", "</Code>"),
            message: between("<Message>", "</Message>"),
        }))
    }

    /// An IAM call that must succeed.
    async fn iam(&self, action: &str, params: &[(&str, &str)]) -> Result<String, String> {
        self.iam_call(action, params)
            .await?
            .map_err(|refused| format!("{action}: {}: {}", refused.code, refused.message))
    }

    /// A contact-center REST call that must succeed.
    async fn connect(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let body = body
            .map(|value| value.to_string().into_bytes())
            .unwrap_or_default();
        let (status, bytes, error_type) = self
            .send(method, path, "application/json", body, "connect")
            .await?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(value);
        }
        Err(format!(
            "{method} {path}: {}: {}",
            error_type.unwrap_or_else(|| status.to_string()),
            value
                .get("message")
                .or_else(|| value.get("Message"))
                .and_then(Value::as_str)
                .unwrap_or_default()
        ))
    }

    /// The demo instance's ID, created when missing.
    async fn ensure_instance(&self) -> Result<String, String> {
        let listed = self.connect("GET", "/instance", None).await?;
        let existing = listed
            .get("InstanceSummaryList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|instance| {
                instance.get("InstanceAlias").and_then(Value::as_str) == Some(INSTANCE_ALIAS)
            })
            .and_then(|instance| instance.get("Id").and_then(Value::as_str));
        if let Some(id) = existing {
            return Ok(id.to_owned());
        }
        let created = self
            .connect(
                "PUT",
                "/instance",
                Some(json!({
                    "IdentityManagementType": "SAML",
                    "InstanceAlias": INSTANCE_ALIAS,
                    "InboundCallsEnabled": true,
                    "OutboundCallsEnabled": true,
                })),
            )
            .await?;
        created
            .get("Id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "CreateInstance answered without an Id".to_owned())
    }

    /// Registers (or re-registers) an IdP's metadata as SAML provider `name`.
    async fn ensure_provider(&self, name: &str, arn: &str, metadata: &str) -> Result<(), String> {
        let created = self
            .iam_call(
                "CreateSAMLProvider",
                &[("Name", name), ("SAMLMetadataDocument", metadata)],
            )
            .await?;
        match created {
            Ok(_) => Ok(()),
            Err(refused) if refused.code == "EntityAlreadyExists" => self
                .iam(
                    "UpdateSAMLProvider",
                    &[("SAMLProviderArn", arn), ("SAMLMetadataDocument", metadata)],
                )
                .await
                .map(drop),
            Err(refused) => Err(format!(
                "CreateSAMLProvider {name}: {}: {}",
                refused.code, refused.message
            )),
        }
    }

    /// The agents' role, trusting every provider in `providers` for sign-ins at fedgate.
    async fn ensure_role(&self, fedgate_url: &str, providers: &[String]) -> Result<(), String> {
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": providers},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": format!("{fedgate_url}/saml")}},
            }],
        })
        .to_string();
        let created = self
            .iam_call(
                "CreateRole",
                &[
                    ("RoleName", ROLE_NAME),
                    ("AssumeRolePolicyDocument", &trust),
                    (
                        "Description",
                        "Contact-center agents, signing in through the primary or the backup IdP",
                    ),
                ],
            )
            .await?;
        match created {
            Ok(_) => Ok(()),
            Err(refused) if refused.code == "EntityAlreadyExists" => self
                .iam(
                    "UpdateAssumeRolePolicy",
                    &[("RoleName", ROLE_NAME), ("PolicyDocument", &trust)],
                )
                .await
                .map(drop),
            Err(refused) => Err(format!("CreateRole: {}: {}", refused.code, refused.message)),
        }
    }

    /// The onboarded demo users, created in the instance when missing.
    async fn ensure_agents(&self, instance_id: &str) -> Result<(), String> {
        let listed = self
            .connect("GET", &format!("/users-summary/{instance_id}"), None)
            .await?;
        let existing: Vec<String> = listed
            .get("UserSummaryList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|user| {
                user.get("Username")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let first_id = |value: &Value, list: &str, name: Option<&str>| {
            value
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|item| {
                    name.is_none_or(|name| item.get("Name").and_then(Value::as_str) == Some(name))
                })
                .and_then(|item| item.get("Id").and_then(Value::as_str))
                .map(str::to_owned)
        };
        let security = self
            .connect(
                "GET",
                &format!("/security-profiles-summary/{instance_id}"),
                None,
            )
            .await?;
        let agent_profile = first_id(&security, "SecurityProfileSummaryList", Some("Agent"))
            .ok_or("the instance has no Agent security profile")?;
        let routing = self
            .connect(
                "GET",
                &format!("/routing-profiles-summary/{instance_id}"),
                None,
            )
            .await?;
        let routing_profile = first_id(&routing, "RoutingProfileSummaryList", None)
            .ok_or("the instance has no routing profile")?;
        for (username, first, onboarded) in USERS {
            if !onboarded || existing.iter().any(|name| name == username) {
                continue;
            }
            self.connect(
                "PUT",
                &format!("/users/{instance_id}"),
                Some(json!({
                    "Username": username,
                    "IdentityInfo": {"FirstName": first, "LastName": "Agent"},
                    "PhoneConfig": {"PhoneType": "SOFT_PHONE"},
                    "SecurityProfileIds": [agent_profile],
                    "RoutingProfileId": routing_profile,
                })),
            )
            .await?;
        }
        Ok(())
    }
}

// --- files, addresses, passwords ---------------------------------------------------------------

/// `host:port`, with brackets around an IPv6 literal.
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve --host {host}: {error}"))?
        .next()
        .ok_or_else(|| format!("--host {host} has no address"))
}

/// The administrator's key from the credentials file fedgate wrote on first start.
fn read_credentials(path: &Path) -> Result<sigv4::Credential, String> {
    let (access_key_id, secret_access_key) =
        fedgate_server::startup::read_credentials_file(path).map_err(|error| {
            format!(
                "{error}: the demo configures fedgate with the administrator key written there on first start; `fedgate admin rotate-key --data-dir {}` writes a new one",
                path.parent().map_or_else(String::new, |dir| dir.display().to_string())
            )
        })?;
    Ok(sigv4::Credential {
        access_key_id,
        secret_access_key,
    })
}

fn read_demo_file(data_dir: &Path) -> Option<DemoFile> {
    let text = std::fs::read_to_string(data_dir.join(DEMO_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes `demo.json` (mode 0600: it holds the demo passwords) through a temporary file.
fn write_demo_file(data_dir: &Path, file: &DemoFile) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = data_dir.join(DEMO_FILE);
    let temporary = data_dir.join(format!("{DEMO_FILE}.tmp"));
    let failed = |error: std::io::Error| format!("cannot write {}: {error}", path.display());
    let text = serde_json::to_string_pretty(file).map_err(|error| error.to_string())?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(failed)?;
    out.write_all(text.as_bytes()).map_err(failed)?;
    out.write_all(b"\n").map_err(failed)?;
    out.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, &path).map_err(failed)
}

/// A password of 16 characters from an alphabet without look-alikes (about 90 bits).
fn new_password() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "the system random generator failed")?;
    Ok(bytes
        .iter()
        .map(|byte| {
            let index = usize::from(*byte) % ALPHABET.len();
            ALPHABET.get(index).map_or('x', |c| char::from(*c))
        })
        .collect())
}

fn print_table(file: &DemoFile, data_dir: &Path) {
    let dir = data_dir.display();
    println!();
    println!("fedgate demo: one contact-center instance, two identity providers");
    println!();
    println!("  fedgate        {}", file.fedgate_url);
    for idp in &file.idps {
        println!(
            "  {:<14} {}   (provider {})",
            format!("{} IdP", idp.name),
            idp.portal_url,
            idp.provider_arn
        );
    }
    println!("  instance       {INSTANCE_ALIAS} ({})", file.instance_id);
    println!();
    println!("  {:<8} {:<18} in the instance", "user", "password");
    for user in &file.users {
        let onboarded = if user.onboarded {
            "yes"
        } else {
            "no (sees the \"not onboarded\" page)"
        };
        println!("  {:<8} {:<18} {onboarded}", user.username, user.password);
    }
    println!();
    println!("  Sign in: open an IdP portal above, log in, open \"Contact center (fedgate)\":");
    println!("  you land on the agent workspace.");
    println!("  Failover: fedgate demo outage primary --data-dir {dir}   (back: outage none)");
    println!(
        "  Administrator credentials: {}",
        file.admin_credentials_file
    );
    println!(
        "  Try: AWS_SHARED_CREDENTIALS_FILE={} AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url {} iam list-saml-providers",
        file.admin_credentials_file, file.fedgate_url
    );
    println!("  The same as JSON: {dir}/{DEMO_FILE}");
    println!();
}

// --- the control socket ------------------------------------------------------------------------

/// Binds the control socket; refuses when another demo answers on it.
fn bind_control(path: &Path) -> Result<tokio::net::UnixListener, String> {
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(format!(
            "a demo is already running with this data directory ({} answers)",
            path.display()
        ));
    }
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path).map_err(|error| {
        format!(
            "cannot create the control socket {}: {error}",
            path.display()
        )
    })?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|error| format!("cannot restrict {}: {error}", path.display()))?;
    Ok(listener)
}

async fn serve_control(listener: tokio::net::UnixListener, idps: Arc<Mutex<Vec<Running>>>) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let (reader, mut writer) = stream.into_split();
        let mut line = String::new();
        let mut reader = tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(reader, 256));
        if reader.read_line(&mut line).await.is_err() {
            continue;
        }
        let answer = outage(line.trim(), &idps).await;
        let _ = writer.write_all(format!("{answer}\n").as_bytes()).await;
    }
}

/// Carries out one control request; the answer starts with `ok` or `error`.
async fn outage(request: &str, idps: &Mutex<Vec<Running>>) -> String {
    let Some(which) = request.strip_prefix("outage ") else {
        return format!("error: unknown request {request:?}");
    };
    let mut idps = idps.lock().await;
    if which == "none" {
        for running in idps.iter_mut() {
            if let Err(message) = running.start().await {
                return format!("error: {message}");
            }
        }
        tracing::info!("demo: every IdP is up");
        return "ok: every IdP is up".to_owned();
    }
    let Some(running) = idps.iter_mut().find(|running| running.name == which) else {
        return format!("error: no IdP named {which:?}");
    };
    running.stop().await;
    tracing::info!(idp = which, "demo: IdP taken down");
    format!(
        "ok: the {which} IdP is down ({} refuses connections); `fedgate demo outage none` brings it back",
        running.address
    )
}

fn send_outage(args: &OutageArgs) -> ExitCode {
    let path = args.data_dir.join(CONTROL_SOCKET);
    let which = match args.idp {
        Which::Primary => "primary",
        Which::Backup => "backup",
        Which::None => "none",
    };
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(&path) else {
        eprintln!(
            "error: no demo is running with data directory {} (start one with `fedgate demo --data-dir {}`)",
            args.data_dir.display(),
            args.data_dir.display()
        );
        return ExitCode::FAILURE;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if let Err(error) = writeln!(stream, "outage {which}") {
        eprintln!("error: cannot talk to the demo: {error}");
        return ExitCode::FAILURE;
    }
    let mut answer = String::new();
    if let Err(error) = BufReader::new(&stream).read_line(&mut answer) {
        eprintln!("error: the demo did not answer: {error}");
        return ExitCode::FAILURE;
    }
    let answer = answer.trim();
    if let Some(ok) = answer.strip_prefix("ok: ") {
        println!("{ok}");
        ExitCode::SUCCESS
    } else {
        eprintln!("{answer}");
        ExitCode::FAILURE
    }
}
