use proptest::prelude::*;

use super::*;
// The node-level entry point: these tests pick apexes (even text nodes) from raw trees.
use super::canonicalize_node as canonicalize;

fn exclusive() -> Algorithm {
    Algorithm::Exclusive {
        with_comments: false,
        inclusive_prefixes: Vec::new(),
    }
}

fn exclusive_with(prefixes: &[&str]) -> Algorithm {
    Algorithm::Exclusive {
        with_comments: false,
        inclusive_prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
    }
}

const INCLUSIVE_10_PLAIN: Algorithm = Algorithm::Inclusive10 {
    with_comments: false,
};
const INCLUSIVE_11_PLAIN: Algorithm = Algorithm::Inclusive11 {
    with_comments: false,
};

fn parse(input: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(input).unwrap()
}

fn element<'a, 'i>(doc: &'a roxmltree::Document<'i>, local: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == local)
        .unwrap()
}

/// Canonical form of the first element named `apex`, without the first element named
/// `exclude`.
fn c14n_of(
    input: &str,
    apex: &str,
    exclude: Option<&str>,
    algorithm: &Algorithm,
) -> Result<String, Error> {
    let doc = parse(input);
    let mut out = Vec::new();
    canonicalize(
        element(&doc, apex),
        algorithm,
        exclude.map(|x| element(&doc, x).id()),
        &mut out,
    )?;
    Ok(String::from_utf8(out).unwrap())
}

fn c14n(input: &str, apex: &str, algorithm: &Algorithm) -> String {
    c14n_of(input, apex, None, algorithm).unwrap()
}

#[test]
fn algorithm_uris_round_trip() {
    for uri in [
        EXCLUSIVE,
        EXCLUSIVE_WITH_COMMENTS,
        INCLUSIVE_10,
        INCLUSIVE_10_WITH_COMMENTS,
        INCLUSIVE_11,
        INCLUSIVE_11_WITH_COMMENTS,
    ] {
        assert_eq!(Algorithm::from_uri(uri, Vec::new()).unwrap().uri(), uri);
    }
    let with_list = Algorithm::from_uri(EXCLUSIVE, vec!["xs".to_owned()]).unwrap();
    assert_eq!(with_list, exclusive_with(&["xs"]));
}

#[test]
fn from_uri_refuses_unknown_uris_and_prefix_lists_on_inclusive_algorithms() {
    assert_eq!(
        Algorithm::from_uri(
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            Vec::new()
        ),
        None
    );
    assert_eq!(
        Algorithm::from_uri("http://www.w3.org/2001/10/xml-exc-c14n", Vec::new()),
        None
    );
    assert_eq!(
        Algorithm::from_uri(INCLUSIVE_10, vec!["xs".to_owned()]),
        None
    );
}

#[test]
fn exclusive_pushes_namespaces_down_to_their_first_use() {
    let input = r#"<a:root xmlns:a="urn:a" xmlns:b="urn:b"><a:child a="2" z="1"><b:x/><b:y/></a:child></a:root>"#;
    assert_eq!(
        c14n(input, "root", &exclusive()),
        r#"<a:root xmlns:a="urn:a"><a:child a="2" z="1"><b:x xmlns:b="urn:b"></b:x><b:y xmlns:b="urn:b"></b:y></a:child></a:root>"#
    );
}

#[test]
fn exclusive_keeps_the_source_prefix_when_two_prefixes_share_a_uri() {
    let input = r#"<r xmlns:a="urn:x" xmlns:b="urn:x"><b:e a:at="1"><a:f/></b:e></r>"#;
    assert_eq!(
        c14n(input, "e", &exclusive()),
        r#"<b:e xmlns:a="urn:x" xmlns:b="urn:x" a:at="1"><a:f></a:f></b:e>"#
    );
}

#[test]
fn exclusive_renders_attribute_prefixes_declared_on_omitted_ancestors() {
    let input = r#"<r xmlns:p="urn:p"><s><t p:at="1"/></s></r>"#;
    assert_eq!(
        c14n(input, "t", &exclusive()),
        r#"<t xmlns:p="urn:p" p:at="1"></t>"#
    );
}

#[test]
fn exclusive_writes_empty_default_only_below_a_rendered_default() {
    let input = r#"<r xmlns="urn:d"><a><b xmlns=""><c/></b></a></r>"#;
    assert_eq!(
        c14n(input, "a", &exclusive()),
        r#"<a xmlns="urn:d"><b xmlns=""><c></c></b></a>"#
    );
    // The apex's own undeclaration is superfluous: nothing above it is output.
    assert_eq!(c14n(input, "b", &exclusive()), "<b><c></c></b>");
}

#[test]
fn exclusive_does_not_redeclare_what_an_output_ancestor_rendered() {
    let input = r#"<a:x xmlns:a="urn:1"><y xmlns:a="urn:2"><a:z xmlns:a="urn:1"/></y></a:x>"#;
    assert_eq!(
        c14n(input, "x", &exclusive()),
        r#"<a:x xmlns:a="urn:1"><y><a:z></a:z></y></a:x>"#
    );
}

#[test]
fn exclusive_prefix_list_renders_listed_namespaces_as_inclusive_c14n_does() {
    let input = r#"<r xmlns="urn:d" xmlns:xs="urn:xs" xmlns:u="urn:u"><a><b/></a></r>"#;
    assert_eq!(
        c14n(input, "a", &exclusive_with(&["xs"])),
        r#"<a xmlns="urn:d" xmlns:xs="urn:xs"><b></b></a>"#
    );
    assert_eq!(
        c14n(input, "a", &exclusive_with(&["#default", "nosuch"])),
        r#"<a xmlns="urn:d"><b></b></a>"#
    );
}

#[test]
fn exclusive_does_not_inherit_xml_attributes() {
    let input = r#"<r xml:lang="en"><a/></r>"#;
    assert_eq!(c14n(input, "a", &exclusive()), "<a></a>");
}

#[test]
fn inclusive_apex_takes_every_namespace_in_scope_and_inherited_xml_attributes() {
    let input = r#"<r xmlns="urn:d" xmlns:p="urn:p" xml:lang="en" xml:id="r1"><s xml:lang="fr"><a z="1"><b/></a></s></r>"#;
    assert_eq!(
        c14n(input, "a", &INCLUSIVE_10_PLAIN),
        r#"<a xmlns="urn:d" xmlns:p="urn:p" z="1" xml:id="r1" xml:lang="fr"><b></b></a>"#
    );
    // Canonical XML 1.1 does not inherit xml:id.
    assert_eq!(
        c14n(input, "a", &INCLUSIVE_11_PLAIN),
        r#"<a xmlns="urn:d" xmlns:p="urn:p" z="1" xml:lang="fr"><b></b></a>"#
    );
}

#[test]
fn inclusive_11_inherits_a_single_xml_base_and_refuses_joins() {
    let single = r#"<r><s xml:base="http://e.org/d/"><a/></s></r>"#;
    assert_eq!(
        c14n(single, "a", &INCLUSIVE_11_PLAIN),
        r#"<a xml:base="http://e.org/d/"></a>"#
    );
    let join = r#"<r xml:base="http://e.org/"><s xml:base="d/"><a/></s></r>"#;
    assert!(matches!(
        c14n_of(join, "a", None, &INCLUSIVE_11_PLAIN),
        Err(Error::Canonicalization { .. })
    ));
    // Canonical XML 1.0 copies the nearest value unchanged.
    assert_eq!(
        c14n(join, "a", &INCLUSIVE_10_PLAIN),
        r#"<a xml:base="d/"></a>"#
    );
}

#[test]
fn sorts_namespaces_by_prefix_and_attributes_by_namespace_uri_then_local_name() {
    let input =
        r#"<r xmlns:z="urn:a" xmlns:a="urn:z" a:b="1" z:c="2" b="3" xmlns="urn:d" z:a="4"/>"#;
    assert_eq!(
        c14n(input, "r", &INCLUSIVE_10_PLAIN),
        r#"<r xmlns="urn:d" xmlns:a="urn:z" xmlns:z="urn:a" b="3" z:a="4" z:c="2" a:b="1"></r>"#
    );
}

#[test]
fn escapes_text_and_attribute_values() {
    let input = "<r a=\"&amp;&lt;&gt;&quot;'&#9;&#10;&#13;\">&amp;&lt;&gt;\"'&#13;&#9;]]&gt;<![CDATA[<&>]]></r>";
    assert_eq!(
        c14n(input, "r", &exclusive()),
        "<r a=\"&amp;&lt;>&quot;'&#x9;&#xA;&#xD;\">&amp;&lt;&gt;\"'&#xD;\t]]&gt;&lt;&amp;&gt;</r>"
    );
}

#[test]
fn keeps_comments_only_with_comments_and_processing_instructions_always() {
    let input = "<!--top--><?top x?><r><!--c--><?pi  v ?><?empty?></r><!--end-->";
    let with = Algorithm::Exclusive {
        with_comments: true,
        inclusive_prefixes: Vec::new(),
    };
    assert_eq!(c14n(input, "r", &exclusive()), "<r><?pi v ?><?empty?></r>");
    assert_eq!(c14n(input, "r", &with), "<r><!--c--><?pi v ?><?empty?></r>");
    let doc = parse(input);
    let mut out = Vec::new();
    canonicalize(doc.root(), &with, None, &mut out).unwrap();
    assert_eq!(
        out,
        b"<!--top-->\n<?top x?>\n<r><!--c--><?pi v ?><?empty?></r>\n<!--end-->"
    );
}

#[test]
fn normalizes_line_ends_in_comments_and_processing_instructions() {
    let input = "<r><!--a\r\nb\rc--><?p x\r\ny?></r>";
    let with = Algorithm::Inclusive10 {
        with_comments: true,
    };
    assert_eq!(c14n(input, "r", &with), "<r><!--a\nb\nc--><?p x\ny?></r>");
}

#[test]
fn leaves_out_the_excluded_subtree() {
    let input = r#"<r xmlns:ds="urn:ds"><a/><ds:Signature><ds:SignedInfo/></ds:Signature><b/></r>"#;
    assert_eq!(
        c14n_of(input, "r", Some("Signature"), &exclusive()).unwrap(),
        "<r><a></a><b></b></r>"
    );
}

#[test]
fn refuses_an_empty_node_set_and_non_element_apexes() {
    let input = "<r>text<!--c--></r>";
    assert!(matches!(
        c14n_of(input, "r", Some("r"), &exclusive()),
        Err(Error::Canonicalization { .. })
    ));
    let doc = parse(input);
    for node in doc.descendants().filter(|n| n.is_text() || n.is_comment()) {
        assert!(canonicalize(node, &exclusive(), None, &mut Vec::new()).is_err());
    }
}

#[test]
fn refuses_relative_namespace_uris_anywhere_in_the_document() {
    let input = r#"<r><a/><b xmlns:rel="relative"/></r>"#;
    assert!(matches!(
        c14n_of(input, "a", None, &exclusive()),
        Err(Error::Canonicalization { .. })
    ));
}

#[test]
fn writes_namespace_uris_unescaped_as_libxml2_does() {
    let input = r#"<r xmlns:q="http://e.org/?a=1&amp;b=2"><q:e/></r>"#;
    assert_eq!(
        c14n(input, "e", &exclusive()),
        r#"<q:e xmlns:q="http://e.org/?a=1&b=2"></q:e>"#
    );
}

#[test]
fn handles_very_deep_documents_without_recursion() {
    let depth = 20_000;
    let input = format!(
        "<x xmlns:p='urn:p'>{}<p:leaf/>{}</x>",
        "<e>".repeat(depth),
        "</e>".repeat(depth)
    );
    let options = roxmltree::ParsingOptions {
        nodes_limit: u32::MAX,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&input, options).unwrap();
    let mut out = Vec::new();
    canonicalize(doc.root_element(), &exclusive(), None, &mut out).unwrap();
    let expected = format!(
        "<x>{}<p:leaf xmlns:p=\"urn:p\"></p:leaf>{}</x>",
        "<e>".repeat(depth),
        "</e>".repeat(depth)
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn appends_to_the_callers_buffer() {
    let mut out = b"prefix:".to_vec();
    let doc = parse("<r/>");
    canonicalize(doc.root_element(), &exclusive(), None, &mut out).unwrap();
    assert_eq!(out, b"prefix:<r></r>");
}

// --- Property tests -------------------------------------------------------------------------

/// A small document with namespaces, attributes, text, comments, PIs and CDATA, as source text.
fn document() -> impl Strategy<Value = String> {
    let text = prop::sample::select(vec![
        "", "t", " ", "&amp;", "&lt;", "&gt;", "\"'", "&#13;", "\t\n", "é中", "]]&gt;",
    ]);
    let leaf = prop_oneof![
        text.clone().prop_map(str::to_owned),
        text.clone()
            .prop_map(|t| format!("<!--{}-->", t.replace('&', "+").replace('-', "="))),
        Just("<?pi x?>".to_owned()),
        Just("<![CDATA[<&>]]>".to_owned()),
    ];
    let names = prop::sample::select(vec!["a", "b", "p:c", "q:d", "p:a"]);
    let declarations = prop::sample::subsequence(
        vec![
            " xmlns:p=\"urn:p\"",
            " xmlns:q=\"urn:q\"",
            " xmlns=\"urn:d\"",
            " xmlns=\"\"",
            " xmlns:p=\"urn:p2\"",
        ],
        0..3,
    );
    let attributes = prop::sample::subsequence(
        vec![
            " x=\"1\"",
            " p:y=\"&lt;2\"",
            " q:z=\"&#9;\"",
            " xml:lang=\"en\"",
        ],
        0..3,
    );
    leaf.prop_recursive(5, 40, 4, move |inner| {
        (
            names.clone(),
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
    .prop_map(|body| format!("<root xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">{body}</root>"))
}

fn algorithms() -> Vec<Algorithm> {
    vec![
        exclusive(),
        Algorithm::Exclusive {
            with_comments: true,
            inclusive_prefixes: vec!["#default".to_owned(), "q".to_owned()],
        },
        Algorithm::Inclusive10 {
            with_comments: true,
        },
        INCLUSIVE_11_PLAIN,
    ]
}

proptest! {
    #[test]
    fn canonicalization_is_idempotent(input in document(), pick in 0_usize..64) {
        // Through the bounded parser, which refuses what roxmltree alone lets through
        // (e.g. a namespace declared twice on one element).
        let Ok(parsed) = crate::Document::parse(&input, &crate::Limits::default()) else { return Ok(()) };
        let doc = parsed.tree();
        let elements: Vec<_> = doc.descendants().filter(Node::is_element).collect();
        let apex = elements[pick % elements.len()];
        for algorithm in algorithms() {
            let mut first = Vec::new();
            canonicalize(apex, &algorithm, None, &mut first).unwrap();
            let text = String::from_utf8(first.clone()).unwrap();
            let reparsed = roxmltree::Document::parse(&text).unwrap();
            let mut second = Vec::new();
            canonicalize(reparsed.root_element(), &algorithm, None, &mut second).unwrap();
            prop_assert_eq!(&text, &String::from_utf8(second).unwrap());
        }
    }

    #[test]
    fn never_panics_on_any_apex_and_exclusion(input in document(), apex in 0_usize..64, exclude in 0_usize..64) {
        let Ok(doc) = roxmltree::Document::parse(&input) else { return Ok(()) };
        let nodes: Vec<_> = doc.descendants().collect();
        for algorithm in algorithms() {
            let _ = canonicalize(nodes[apex % nodes.len()], &algorithm, Some(nodes[exclude % nodes.len()].id()), &mut Vec::new());
        }
    }
}
