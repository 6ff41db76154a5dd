use super::*;

fn parse(input: &str) -> Result<Document<'_>, Error> {
    Document::parse(input, &Limits::default())
}

#[test]
fn rejects_doctype() {
    let input = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#;
    assert_eq!(parse(input).unwrap_err(), Error::DtdForbidden);
}

#[test]
fn rejects_billion_laughs_before_expansion() {
    let input = r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"#;
    assert_eq!(parse(input).unwrap_err(), Error::DtdForbidden);
}

#[test]
fn rejects_input_over_byte_limit() {
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    let err = Document::parse("<a>0123456789</a>", &limits).unwrap_err();
    assert!(matches!(
        err,
        Error::TooLarge {
            size: 17,
            limit: 10
        }
    ));
}

#[test]
fn rejects_deep_nesting() {
    let depth = 100;
    let input = "<a>".repeat(depth) + &"</a>".repeat(depth);
    let err = parse(&input).unwrap_err();
    assert!(
        matches!(err, Error::LimitExceeded { what: "depth", .. }),
        "{err:?}"
    );
}

#[test]
fn accepts_nesting_at_the_limit() {
    let depth = Limits::default().max_depth;
    let input = "<a>".repeat(depth) + &"</a>".repeat(depth);
    assert!(parse(&input).is_ok());
}

#[test]
fn rejects_too_many_nodes() {
    let limits = Limits {
        max_nodes: 100,
        ..Limits::default()
    };
    let input = format!("<a>{}</a>", "<b/>".repeat(200));
    let err = Document::parse(&input, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                what: "nodes",
                limit: 100
            }
        ),
        "{err:?}"
    );
}

#[test]
fn rejects_too_many_attributes() {
    let attributes: String = (0..65).map(|i| format!(" a{i}=\"x\"")).collect();
    let err = parse(&format!("<a{attributes}/>")).unwrap_err();
    assert!(matches!(
        err,
        Error::LimitExceeded {
            what: "attributes on one element",
            ..
        }
    ));
}

#[test]
fn rejects_duplicate_ids() {
    let err = parse(r#"<a ID="x"><b ID="x"/></a>"#).unwrap_err();
    assert_eq!(err, Error::DuplicateId { id: "x".into() });
}

#[test]
fn rejects_duplicate_ids_across_id_like_attributes() {
    let input = r#"<a xmlns:wsu="urn:wsu" ID="x"><b wsu:Id="x"/></a>"#;
    assert!(matches!(
        parse(input).unwrap_err(),
        Error::DuplicateId { .. }
    ));
}

#[test]
fn resolves_unqualified_id_only() {
    let doc = parse(r#"<a ID="one"><b Id="two"/><c ID="three"/></a>"#).unwrap();
    assert_eq!(doc.element_by_id("one").unwrap().local_name(), "a");
    assert_eq!(doc.element_by_id("three").unwrap().local_name(), "c");
    assert!(doc.element_by_id("two").is_none());
}

#[test]
fn reads_whole_text_across_comments() {
    let doc = parse("<n>alice@example.com<!-- c -->.evil.com</n>").unwrap();
    assert_eq!(
        doc.root_element().text().unwrap(),
        "alice@example.com.evil.com"
    );
}

#[test]
fn reads_whole_text_across_processing_instructions_and_cdata() {
    let doc = parse("<n>a<?pi x?>b<![CDATA[c]]>d</n>").unwrap();
    assert_eq!(doc.root_element().text().unwrap(), "abcd");
}

#[test]
fn rejects_element_inside_text_value() {
    let doc = parse("<n>alice<b>x</b></n>").unwrap();
    assert!(matches!(
        doc.root_element().text(),
        Err(Error::UnexpectedChildElement { .. })
    ));
}

#[test]
fn every_prefix_of_a_document_fails_cleanly() {
    let input =
        r#"<?xml version="1.0"?><r:a xmlns:r="urn:r" ID="i"><r:b x="1">text</r:b><!--c--></r:a>"#;
    for end in 0..input.len() {
        if let Some(prefix) = input.get(..end) {
            assert!(parse(prefix).is_err(), "prefix of {end} bytes parsed");
        }
    }
    assert!(parse(input).is_ok());
}

#[test]
fn rejects_duplicate_namespace_declarations() {
    for input in [
        r#"<a xmlns="urn:d" xmlns=""/>"#,
        r#"<a xmlns:p="urn:1" b="x" xmlns:p="urn:2"><p:b/></a>"#,
    ] {
        assert!(
            matches!(parse(input), Err(Error::Malformed { .. })),
            "{input}"
        );
    }
    assert!(parse(r#"<a xmlns="urn:d" xmlns:p="urn:d" p:x='1' y="a>b"/>"#).is_ok());
}

#[test]
fn elements_compare_by_identity() {
    let doc = parse(r#"<a><b ID="x"/><b/></a>"#).unwrap();
    let children: Vec<_> = doc.root_element().children().collect();
    assert_eq!(doc.element_by_id("x"), children.first().copied());
    assert_ne!(children.first(), children.get(1));
    let other = parse(r#"<a><b ID="x"/><b/></a>"#).unwrap();
    assert_ne!(other.element_by_id("x"), doc.element_by_id("x"));
}

#[test]
fn signature_parent_is_only_the_envelope_of_a_signature() {
    const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    let input = format!(
        r#"<r><a ID="a"><ds:Signature xmlns:ds="{DS}" ID="s"><ds:Signature ID="inner"/></ds:Signature><c ID="c"/></a></r>"#
    );
    let doc = parse(&input).unwrap();
    let by_id = |id| doc.element_by_id(id).unwrap();
    assert_eq!(doc.signature_parent(by_id("s")), Some(by_id("a")));
    // Not a Signature: no way up.
    assert_eq!(doc.signature_parent(by_id("c")), None);
    assert_eq!(doc.signature_parent(by_id("a")), None);
    // A Signature directly inside a Signature has no enveloping parent.
    assert_eq!(doc.signature_parent(by_id("inner")), None);
    // An element of another document is refused.
    let other = parse(&input).unwrap();
    assert_eq!(
        doc.signature_parent(other.element_by_id("s").unwrap()),
        None
    );
}

#[test]
fn canonicalization_refuses_an_exclusion_from_another_document() {
    let doc = parse(r#"<a><b ID="x"/></a>"#).unwrap();
    let other = parse(r#"<a><b ID="x"/></a>"#).unwrap();
    let algorithm = crate::c14n::Algorithm::Exclusive {
        with_comments: false,
        inclusive_prefixes: Vec::new(),
    };
    let mut out = Vec::new();
    let err = crate::c14n::canonicalize(
        doc.root_element(),
        &algorithm,
        other.element_by_id("x"),
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Canonicalization { .. }), "{err:?}");
    out.clear();
    crate::c14n::canonicalize(
        doc.root_element(),
        &algorithm,
        doc.element_by_id("x"),
        &mut out,
    )
    .unwrap();
    assert_eq!(out, b"<a></a>");
}
