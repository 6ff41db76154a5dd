//! Full SAML Response validation (`validate_response`) on the signed test vectors, and its
//! pieces: parsing, exclusive canonicalization of the Assertion, and the RSA-2048 signature
//! verification alone (aws-lc-rs, the floor no implementation can go under).
//!
//! Run: `cargo bench -p fedgate-saml --bench validate -- --warm-up-time 1 --measurement-time 3`
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark with broken fixtures must not run"
)]

use std::hint::black_box;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedgate_saml::metadata::parse_metadata;
use fedgate_saml::{ServiceProvider, validate_response};
use fedgate_xml::c14n::{Algorithm, canonicalize};
use fedgate_xml::{Document, Element, Limits};
use time::macros::datetime;

const METADATA: &str = include_str!("../../../tests/keys/idp-a-metadata.xml");
const IDP_A_CERT: &str = include_str!("../../../tests/keys/idp-a.cert.pem");
const ASSERTION_SIGNED: &str = include_str!("../../../tests/attacks/valid/assertion-signed.xml");
const BOTH_SIGNED: &str = include_str!("../../../tests/attacks/valid/both-signed.xml");
const ECDSA: &str = include_str!("../../../tests/attacks/valid/assertion-signed-ecdsa.xml");
const XMLSEC1_RSA_SHA512: &str = include_str!("../../../tests/interop/xmlsec1/rsa-sha512.xml");

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn validate(c: &mut Criterion) {
    let providers = parse_metadata(METADATA, &Limits::default()).unwrap();
    let sp = ServiceProvider::default();
    let now = datetime!(2026-01-01 00:01:00 UTC);
    let mut group = c.benchmark_group("validate_response");
    for (name, xml) in [
        ("rsa_assertion_signed", ASSERTION_SIGNED),
        ("rsa_both_signed", BOTH_SIGNED),
        ("ecdsa_p256_assertion_signed", ECDSA),
        ("xmlsec1_rsa_sha512", XMLSEC1_RSA_SHA512),
    ] {
        validate_response(xml, &providers, &sp, now, &[]).expect(name);
        group.throughput(Throughput::Bytes(xml.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| validate_response(black_box(xml), &providers, &sp, now, &[]).unwrap());
        });
    }
    group.finish();
}

fn assertion_of<'a, 'i>(document: &'a Document<'i>) -> Element<'a, 'i> {
    document
        .root_element()
        .first_child_named(SAML, "Assertion")
        .unwrap()
}

fn pieces(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("pieces");
    group.throughput(Throughput::Bytes(ASSERTION_SIGNED.len() as u64));
    group.bench_function("document_parse", |b| {
        b.iter(|| Document::parse(black_box(ASSERTION_SIGNED), &limits).unwrap());
    });

    let document = Document::parse(ASSERTION_SIGNED, &limits).unwrap();
    let assertion = assertion_of(&document);
    let signature = assertion.first_child_named(DSIG, "Signature").unwrap();
    let exclusive = Algorithm::Exclusive {
        with_comments: false,
        inclusive_prefixes: Vec::new(),
    };
    let mut out = Vec::with_capacity(16 * 1024);
    canonicalize(assertion, &exclusive, Some(signature), &mut out).unwrap();
    group.throughput(Throughput::Bytes(out.len() as u64));
    group.bench_function("exclusive_c14n_assertion", |b| {
        b.iter(|| {
            out.clear();
            canonicalize(black_box(assertion), &exclusive, Some(signature), &mut out).unwrap();
            black_box(out.len())
        });
    });

    // The signature check alone: the canonical SignedInfo, the SignatureValue, IdP A's key.
    let signed_info = signature.first_child_named(DSIG, "SignedInfo").unwrap();
    let mut message = Vec::new();
    canonicalize(signed_info, &exclusive, None, &mut message).unwrap();
    let signature_value = fedgate_dsig::decode_base64(
        &signature
            .first_child_named(DSIG, "SignatureValue")
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    let der = fedgate_dsig::decode_base64(
        IDP_A_CERT
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect::<String>()
            .as_str(),
    )
    .unwrap();
    let (_, certificate) = x509_parser::parse_x509_certificate(&der).unwrap();
    let key = ParsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        certificate.tbs_certificate.subject_pki.raw,
    )
    .unwrap();
    key.verify_sig(&message, &signature_value).unwrap();
    group.throughput(Throughput::Elements(1));
    group.bench_function("rsa2048_sha256_verify_sig", |b| {
        b.iter(|| {
            key.verify_sig(black_box(&message), black_box(&signature_value))
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, validate, pieces);
criterion_main!(benches);
