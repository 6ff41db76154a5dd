//! Exclusive canonicalization of a real signed SAML Assertion (ruby-saml
//! `response_with_signed_assertion_2`, 8.4 KB response), the way signature verification runs
//! it: the Assertion without its enveloped `ds:Signature`, then the `SignedInfo`.
//!
//! Run: `cargo bench -p fedgate-xml --bench c14n -- --warm-up-time 1 --measurement-time 3`
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark with broken fixtures must not run"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedgate_xml::c14n::{Algorithm, canonicalize};
use fedgate_xml::{Document, Element, Limits};

const RESPONSE: &str = include_str!("../tests/data/c14n/inputs/saml-ruby-signed-assertion-2.xml");

fn first<'a, 'i>(doc: &'a Document<'i>, local: &str) -> Element<'a, 'i> {
    doc.root_element()
        .descendants()
        .find(|e| e.local_name() == local)
        .unwrap_or_else(|| panic!("no {local} element in the benchmark input"))
}

fn bench(c: &mut Criterion) {
    let doc = Document::parse(RESPONSE, &Limits::default()).unwrap();
    let assertion = first(&doc, "Assertion");
    let signature = first(&doc, "Signature");
    let signed_info = first(&doc, "SignedInfo");
    let algorithm = Algorithm::Exclusive {
        with_comments: false,
        inclusive_prefixes: Vec::new(),
    };

    let mut out = Vec::with_capacity(16 * 1024);
    canonicalize(assertion, &algorithm, Some(signature), &mut out).unwrap();
    let assertion_len = out.len();

    let mut group = c.benchmark_group("c14n");
    group.throughput(Throughput::Bytes(assertion_len as u64));
    group.bench_function("exclusive_assertion_enveloped", |b| {
        b.iter(|| {
            out.clear();
            canonicalize(black_box(assertion), &algorithm, Some(signature), &mut out).unwrap();
            black_box(out.len())
        });
    });
    out.clear();
    canonicalize(signed_info, &algorithm, None, &mut out).unwrap();
    group.throughput(Throughput::Bytes(out.len() as u64));
    group.bench_function("exclusive_signed_info", |b| {
        b.iter(|| {
            out.clear();
            canonicalize(black_box(signed_info), &algorithm, None, &mut out).unwrap();
            black_box(out.len())
        });
    });
    group.throughput(Throughput::Bytes(RESPONSE.len() as u64));
    group.bench_function("parse_response_for_reference", |b| {
        b.iter(|| roxmltree::Document::parse(black_box(RESPONSE)).map(|d| d.descendants().count()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
