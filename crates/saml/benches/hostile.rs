//! CPU per request for the worst inputs under every limit, against a valid signed response of
//! the same size (issue 8, defect 3). Each input goes through what `AssumeRoleWithSAML` runs:
//! `binding::decode_post` (or `decode_redirect`) and `validate_response` against IdP A.
//!
//! The valid references are `tests/attacks/valid/assertion-signed.xml` grown with ordinary
//! attributes to the size of the hostile inputs and signed with IdP A's key at start-up.
//!
//! Run: `cargo bench -p fedgate-saml --bench hostile -- --warm-up-time 1 --measurement-time 3`
//! (the table in `BENCHMARKS.md` gives the command that turns the estimates into ratios).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark with broken fixtures must not run"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use fedgate_dsig::{SigningKey, decode_base64, sign_enveloped};
use fedgate_saml::metadata::parse_metadata;
use fedgate_saml::{IdentityProvider, ServiceProvider, binding, validate_response};
use fedgate_xml::Limits;
use time::macros::datetime;

const METADATA: &str = include_str!("../../../tests/keys/idp-a-metadata.xml");
const IDP_A_KEY: &str = include_str!("../../../tests/keys/idp-a.key.pem");
const IDP_A_CERT: &str = include_str!("../../../tests/keys/idp-a.cert.pem");
const TEMPLATE: &str = include_str!("../../../tests/attacks/valid/assertion-signed.xml");
const ASSERTION_ID: &str = "_assert-9e1d4c2b8f60";

/// The size of the hostile documents: the 98 KB single-element attack of the issue, rounded.
const SIZE: usize = 100 * 1024;

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    decode_base64(&body).unwrap()
}

/// The template without its signature, grown with attributes to at least `size` bytes, then
/// signed by IdP A.
fn valid_response(size: usize) -> String {
    let start = TEMPLATE.find("<ds:Signature").unwrap();
    let end = TEMPLATE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = [&TEMPLATE[..start], &TEMPLATE[end..]].concat();
    let mut extra = String::new();
    let mut i = 0;
    while unsigned.len() + extra.len() < size.saturating_sub(400) {
        let _ = write!(
            extra,
            "<saml:Attribute Name=\"urn:example:attribute:{i}\"><saml:AttributeValue>value number {i} of an ordinary directory attribute</saml:AttributeValue></saml:Attribute>"
        );
        i += 1;
    }
    let unsigned = unsigned.replacen(
        "</saml:AttributeStatement>",
        &format!("{extra}</saml:AttributeStatement>"),
        1,
    );
    let key = SigningKey::from_pkcs8_der(&pem_der(IDP_A_KEY), &pem_der(IDP_A_CERT)).unwrap();
    sign_enveloped(&unsigned, ASSERTION_ID, &key).unwrap()
}

/// `<samlp:Response …>` with `body` inside and `attributes` on the start tag.
fn response(attributes: &str, body: &str) -> String {
    format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\" Version=\"2.0\"{attributes}>{body}</samlp:Response>"
    )
}

fn repeat_until(size: usize, piece: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < size {
        out.push_str(&piece(i));
        i += 1;
    }
    out
}

/// The valid response's signed Assertion with `stuffing` added inside it: the signature
/// check canonicalizes and digests all of it before the digest mismatch.
fn stuffed_signed_assertion(stuffing: &str) -> String {
    TEMPLATE.replacen("<saml:Subject>", &format!("{stuffing}<saml:Subject>"), 1)
}

/// (name, encoded input, Redirect binding?) of every hostile input.
fn hostile_inputs() -> Vec<(&'static str, String, bool)> {
    let b64 = |xml: &str| base64::engine::general_purpose::STANDARD.encode(xml);
    let attribute = |i: usize| format!(" a{i}=\"x\"");
    let declaration = |i: usize| format!(" xmlns:p{i}=\"urn:p:{i}\"");
    // 64 attributes on one element: the most the limit lets through.
    let full_element = |_| {
        let attributes: String = (0..64).map(attribute).collect();
        format!("<e{attributes}/>")
    };
    // 64 namespaces in scope (`samlp` and 63 more), redeclared on every element (roxmltree
    // copies and searches the parent's list for each).
    let declarations: String = (0..63).map(declaration).collect();
    // Inside the template's Assertion `samlp` and `saml` are in scope already.
    let assertion_declarations: String = (0..62).map(declaration).collect();
    let redeclaring = |_| format!("<e{declarations}/>");
    let chain = |_| "<d>".repeat(60) + &"</d>".repeat(60);
    let mut inputs = vec![
        (
            "attributes_10500_on_one_element",
            b64(&response(&repeat_until(SIZE, attribute), "")),
            false,
        ),
        (
            "attributes_64_on_every_element",
            b64(&response("", &repeat_until(SIZE, full_element))),
            false,
        ),
        (
            "namespaces_10000_on_one_element",
            b64(&response(&repeat_until(SIZE, declaration), "")),
            false,
        ),
        (
            "namespaces_64_redeclared_on_every_element",
            b64(&response(&declarations, &repeat_until(SIZE, redeclaring))),
            false,
        ),
        (
            "depth_10000",
            b64(&response("", &"<d>".repeat(SIZE / 3))),
            false,
        ),
        (
            "depth_60_chains",
            b64(&response("", &repeat_until(SIZE, chain))),
            false,
        ),
        (
            "nodes_40000_under_limit",
            b64(&response("", &repeat_until(SIZE, |_| "<b/>t".to_owned()))),
            false,
        ),
        (
            "c14n_32_prefixed_attributes_per_element_in_signed_assertion",
            b64(&stuffed_signed_assertion(&format!(
                "<w{assertion_declarations}>{}</w>",
                repeat_until(SIZE, |_| {
                    // Exclusive C14N writes the 32 declarations again on every element.
                    let attributes: String = (0..32).map(|p| format!(" p{p}:a=\"x\"")).collect();
                    format!("<e{attributes}/>")
                })
            ))),
            false,
        ),
        (
            "c14n_32_attributes_per_element_in_signed_assertion",
            b64(&stuffed_signed_assertion(&repeat_until(SIZE, |i| {
                let attributes: String = (0..32).map(attribute).collect();
                if i == 0 {
                    format!("<e{assertion_declarations}{attributes}/>")
                } else {
                    format!("<e{attributes}/>")
                }
            }))),
            false,
        ),
    ];
    // Whole-size inputs.
    let max = Limits::default().max_bytes;
    inputs.push((
        "size_1mib_of_elements",
        b64(&response(
            "",
            &repeat_until(max - 200, |_| "<b/>".to_owned()),
        )),
        false,
    ));
    // Base64 with white space after every character: the copying decoder path, up to the
    // encoded-size limit.
    let valid_small = valid_response(SIZE);
    let spaced: String = b64(&valid_small).chars().flat_map(|c| [c, '\n']).collect();
    inputs.push(("base64_newline_after_every_character", spaced, false));
    // Padding in the middle, found only after the whole input is scanned.
    let mut padded = "QUFB".repeat((max * 3 / 2) / 4);
    padded.push_str("A===");
    inputs.push(("base64_1_5mib_bad_padding_at_end", padded, false));
    // HTTP-Redirect: 10 MiB of one byte compressed to a few KiB, inflated to the cap.
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b'<'; 10 * 1024 * 1024]).unwrap();
    let bomb = base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap());
    inputs.push(("deflate_bomb_10mib", bomb, true));
    inputs
}

fn decode_and_validate(
    encoded: &str,
    redirect: bool,
    providers: &[IdentityProvider],
    sp: &ServiceProvider,
) -> Result<(), fedgate_saml::Error> {
    let max = sp.limits.max_bytes;
    let now = datetime!(2026-01-01 00:01:00 UTC);
    let xml = if redirect {
        binding::decode_redirect(encoded, max)?
    } else {
        binding::decode_post(encoded, max)?
    };
    validate_response(&xml, providers, sp, now, &[]).map(|_| ())
}

fn bench(c: &mut Criterion) {
    let providers = parse_metadata(METADATA, &Limits::default()).unwrap();
    let sp = ServiceProvider::default();
    let b64 = |xml: &str| base64::engine::general_purpose::STANDARD.encode(xml);

    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    let small = TEMPLATE.to_owned();
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflated.write_all(small.as_bytes()).unwrap();
    let redirect_valid =
        base64::engine::general_purpose::STANDARD.encode(deflated.finish().unwrap());
    let references = [
        ("valid_4_6kb", b64(&small), false),
        ("valid_4_6kb_redirect", redirect_valid, true),
        ("valid_100kb", b64(&valid_response(SIZE)), false),
        (
            "valid_1mib",
            b64(&valid_response(Limits::default().max_bytes - 2048)),
            false,
        ),
    ];
    for (name, encoded, redirect) in &references {
        decode_and_validate(encoded, *redirect, &providers, &sp).expect(name);
    }
    for (name, encoded, redirect) in references.iter().chain(hostile_inputs().iter()) {
        let outcome = decode_and_validate(encoded, *redirect, &providers, &sp);
        println!(
            "{name}: {} encoded bytes -> {}",
            encoded.len(),
            outcome.as_ref().map_or_else(|e| e.code(), |()| "accept")
        );
        group.bench_function(*name, |b| {
            b.iter(|| decode_and_validate(black_box(encoded), *redirect, &providers, &sp));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
