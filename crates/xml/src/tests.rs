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
