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

// --- The pre-scan -----------------------------------------------------------------------------

fn limit_of(result: Result<Document<'_>, Error>) -> Option<&'static str> {
    match result {
        Err(Error::LimitExceeded { what, .. }) => Some(what),
        _ => None,
    }
}

#[test]
fn prescan_refuses_each_limit_before_the_tree_is_built() {
    let limits = Limits::default();
    let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    let attributes = format!("<a{}/>", many(10_000, &|i| format!(" a{i}=\"x\"")));
    let namespaces = format!(
        "<a{}/>",
        many(10_000, &|i| format!(" xmlns:p{i}=\"urn:{i}\""))
    );
    // Two new prefixes per level: in scope grows with depth though each element declares two.
    let nested = many(40, &|i| {
        format!("<e xmlns:p{i}=\"urn:{i}\" xmlns:q{i}=\"urn:{i}\">")
    });
    let deep = "<a>".repeat(10_000);
    let wide = format!("<a>{}</a>", "<b/>".repeat(60_000));
    for (input, what) in [
        (attributes.as_str(), "attributes on one element"),
        (namespaces.as_str(), "namespaces in scope"),
        (nested.as_str(), "namespaces in scope"),
        (deep.as_str(), "depth"),
        (wide.as_str(), "nodes"),
    ] {
        // The documents are not even finished: the pre-scan refuses them on the way.
        assert_eq!(
            prescan::check(input, &limits),
            Err(Error::LimitExceeded {
                what,
                limit: match what {
                    "nodes" => 50_000,
                    _ => 64,
                },
            })
        );
        assert_eq!(limit_of(parse(input)), Some(what));
    }
}

#[test]
fn prescan_counts_namespaces_in_scope_as_roxmltree_does() {
    let limits = Limits {
        max_namespaces: 2,
        ..Limits::default()
    };
    for (input, accepted) in [
        // Redeclaring a prefix in scope adds nothing; `xml` never counts.
        (
            r#"<a xmlns:p="urn:1" xmlns="urn:d"><b xmlns:p="urn:2" xmlns:xml="http://www.w3.org/XML/1998/namespace"/></a>"#,
            true,
        ),
        // Siblings do not share scope.
        (
            r#"<a><b xmlns:p="urn:1" xmlns:q="urn:2"/><c xmlns:r="urn:3" xmlns:s="urn:4"/></a>"#,
            true,
        ),
        (
            r#"<a xmlns:p="urn:1"><b xmlns:q="urn:2"><c xmlns:r="urn:3"/></b></a>"#,
            false,
        ),
        // The default namespace and its undeclaration count as one prefix.
        (
            r#"<a xmlns="urn:d" xmlns:p="urn:1"><b xmlns=""/></a>"#,
            true,
        ),
    ] {
        let document = Document::parse(input, &limits);
        assert_eq!(document.is_ok(), accepted, "{input}: {document:?}");
        assert_eq!(
            Document::parse_tree_first(input, &limits).is_ok(),
            accepted,
            "{input}"
        );
    }
}

#[test]
fn prescan_leaves_malformed_markup_to_the_parser() {
    for input in [
        "<a><!-- unterminated",
        "<a><!DOCTYPE x></a>",
        "<a></b>",
        "<a b='1'c='2'/>",
        "<a b=1/>",
        "<a/><b/>",
        "< a/>",
        "<a b='1></a>",
    ] {
        assert_eq!(prescan::check(input, &Limits::default()), Ok(()), "{input}");
        assert!(
            matches!(parse(input), Err(Error::Malformed { .. })),
            "{input}"
        );
    }
    assert_eq!(
        parse(r#"<!DOCTYPE a><a/>"#).unwrap_err(),
        Error::DtdForbidden
    );
}

/// Small documents with many attributes and namespace declarations, against small limits.
fn limited_document() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let leaf = prop::sample::select(vec!["", "t", "<!--c-->", "<?p?>", "<![CDATA[x]]>", "<e/>"])
        .prop_map(str::to_owned);
    let declarations = prop::sample::subsequence(
        vec![
            " xmlns:p=\"urn:p\"",
            " xmlns:q=\"urn:q\"",
            " xmlns:r=\"urn:r\"",
            " xmlns=\"urn:d\"",
            " xmlns=\"\"",
            " xmlns:p=\"urn:p2\"",
            " xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"",
        ],
        0..5,
    );
    let attributes = prop::sample::subsequence(
        vec![
            " a=\"1\"",
            " b='>'",
            " c=\"\"",
            " p:d=\"1\"",
            " xml:lang=\"en\"",
        ],
        0..5,
    );
    leaf.prop_recursive(6, 40, 4, move |inner| {
        (
            prop::sample::select(vec!["a", "p:b", "c"]),
            declarations.clone(),
            attributes.clone(),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, declarations, attributes, children)| {
                format!(
                    "<{name}{}{}>{}</{name}>",
                    declarations.concat(),
                    attributes.concat(),
                    children.concat()
                )
            })
    })
    .prop_map(|body| format!("<root xmlns:p=\"urn:p\">{body}</root>"))
}

proptest::proptest! {
    /// The pre-scan changes when a document is refused, never whether: with or without it,
    /// the same documents are accepted (apart from a namespace declared twice on one element,
    /// which only the pre-scan looks for now), also for every prefix of a document.
    #[test]
    fn prescan_refuses_only_what_the_tree_checks_refuse(
        input in limited_document(),
        cut in 0_usize..2000,
        max_attributes in 1_usize..4,
        max_namespaces in 1_usize..4,
        max_depth in 2_usize..6,
        max_nodes in 5_u32..40,
    ) {
        let limits = Limits { max_attributes, max_namespaces, max_depth, max_nodes, ..Limits::default() };
        let end = (0..=cut.min(input.len())).rev().find(|i| input.is_char_boundary(*i)).unwrap_or(0);
        for text in [input.as_str(), &input[..end]] {
            let with = Document::parse(text, &limits);
            let without = Document::parse_tree_first(text, &limits);
            let duplicate_namespace = matches!(
                &with,
                Err(Error::Malformed { detail }) if detail.contains("declared twice")
            );
            if !duplicate_namespace {
                proptest::prop_assert_eq!(with.is_ok(), without.is_ok(), "{}: {:?} / {:?}", text, with.err(), without.err());
            }
        }
    }
}

/// Found by the `xml_parse` fuzz target: a namespaced `a:ID` is not the `ID` attribute, for
/// `Element::attribute` as for the ID index.
#[test]
fn attribute_reads_only_the_unqualified_attribute() {
    let doc = parse(r#"<r xmlns:a="urn:x" a:ID="evil" ID="good"/>"#).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("ID"), Some("good"));
    assert_eq!(doc.element_by_id("good"), Some(root));
    assert_eq!(doc.element_by_id("evil"), None);
    let doc = parse(r#"<r xmlns:a="(n:b" xmlns:b="ur" a:ID="3" b:i="x4"/>"#).unwrap();
    assert_eq!(doc.root_element().attribute("ID"), None);
    assert_eq!(doc.root_element().attribute_ns("(n:b", "ID"), Some("3"));
}
