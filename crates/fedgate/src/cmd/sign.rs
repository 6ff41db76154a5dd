//! `fedgate saml sign`: signs a SAML response with the project's signer (`fedgate-dsig`), as an
//! IdP does: an enveloped RSA-SHA256 or ECDSA signature (exclusive C14N) on the Assertion or on
//! the Response. For tests and for checking a service provider with responses of known content.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use fedgate_dsig::{SigningKey, sign_enveloped};
use fedgate_xml::{Document, Limits};

use super::saml::{UsageError, read_file, read_input};

const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// Which element to sign.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Element {
    /// The Assertion (what AWS requires).
    Assertion,
    /// The Response.
    Response,
}

/// Arguments of `fedgate saml sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The unsigned response (XML), or - for stdin.
    #[arg(value_name = "RESPONSE")]
    response: PathBuf,
    /// The signing key: a PEM PRIVATE KEY (PKCS#8; RSA, or ECDSA P-256/P-384).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Its certificate (PEM), put in the signature's KeyInfo.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// What to sign; repeat to sign both (the Assertion first).
    #[arg(long, value_enum, default_value = "assertion")]
    element: Vec<Element>,
}

/// Prints the signed response; exit 0, or 2 for a usage or input problem.
pub fn run(args: &SignArgs) -> ExitCode {
    match sign(args) {
        Ok(signed) => {
            println!("{signed}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}

fn text(bytes: Vec<u8>, what: &str) -> Result<String, UsageError> {
    String::from_utf8(bytes).map_err(|_| UsageError::input(format!("{what} is not UTF-8")))
}

fn sign(args: &SignArgs) -> Result<String, UsageError> {
    let key = SigningKey::from_pem(
        &text(read_file(&args.key)?, "the key")?,
        &text(read_file(&args.cert)?, "the certificate")?,
    )
    .map_err(|error| UsageError::input(format!("signing key: {error}")))?;
    let mut xml = text(read_input(&args.response)?, "the response")?;
    for element in &args.element {
        let id = {
            let document = Document::parse(&xml, &Limits::default())
                .map_err(|error| UsageError::input(format!("response: {error}")))?;
            let root = document.root_element();
            let target = match element {
                Element::Response => Some(root),
                Element::Assertion => root.first_child_named(ASSERTION_NS, "Assertion"),
            };
            target
                .and_then(|target| target.attribute("ID"))
                .map(str::to_owned)
                .ok_or_else(|| UsageError::input(format!("no {element:?} with an ID to sign")))?
        };
        xml = sign_enveloped(&xml, &id, &key)
            .map_err(|error| UsageError::input(format!("signing {element:?}: {error}")))?;
    }
    Ok(xml)
}
