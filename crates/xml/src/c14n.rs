//! XML canonicalization of a subtree: Exclusive XML Canonicalization 1.0 and Canonical XML
//! 1.0 / 1.1, with and without comments.
//!
//! The node set is always "an element (or the document) and everything below it, minus at most
//! one excluded subtree": what a same-document `URI="#id"` reference followed by the
//! enveloped-signature transform selects, or a `SignedInfo` element. The output is byte-exact
//! with libxml2's `xmlC14NExecute`, which is what `xmlsec1` feeds its digests; the places where
//! libxml2 and the W3C texts part ways, and which side this module takes, are listed here:
//!
//! - **Relative namespace URIs** make canonicalization fail (both specifications say so).
//!   libxml2 checks every namespace declaration in the *whole document*, not only in the node
//!   set, and counts anything that does not parse as an RFC 3986 URI with a scheme as
//!   relative; this module does the same (see [`uri`]).
//! - **Namespace URIs are written unescaped** (libxml2 `xmlC14NPrintNamespaces`). A valid URI
//!   can only contain `&` of the characters that would need escaping, so
//!   `xmlns:p="a?b=1&amp;c=2"` canonicalizes to `xmlns:p="a?b=1&c=2"`, as in xmlsec1 (which
//!   parses with entity substitution; without it libxml2 would even write `&#38;`).
//! - **Canonical XML 1.1 `xml:base`.** An `xml:base` whose value is empty is dropped, on any
//!   element (libxml2 `xmlC14NFixupBaseAttr`); an orphan apex inherits the nearest omitted
//!   ancestor's `xml:base` unchanged; when two or more omitted `xml:base` values would have to
//!   be joined (C14N 1.1 §2.4), this module returns [`Error::Canonicalization`] instead of
//!   guessing at libxml2's `xmlBuildURI`.
//! - **`xmlns:p=""`** (a prefix undeclaration, legal only in XML 1.1) is refused.
//! - An **empty node set** (the excluded subtree is the apex itself) is refused rather than
//!   canonicalized to nothing, so a caller can never digest an empty string by mistake.
//!
//! The walk uses an explicit stack (no recursion, any depth is safe), writes straight into the
//! caller's buffer and reuses a few scratch vectors; there is no allocation per node.

mod uri;

use roxmltree::{Attribute, Node, NodeId, NodeType};

use crate::{Document, Element, Error, XML_NAMESPACE};

/// A canonicalization algorithm and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    /// Exclusive XML Canonicalization 1.0 (`http://www.w3.org/2001/10/xml-exc-c14n#`).
    Exclusive {
        /// `#WithComments` variant.
        with_comments: bool,
        /// `InclusiveNamespaces PrefixList` (`#default` for the default namespace).
        inclusive_prefixes: Vec<String>,
    },
    /// Canonical XML 1.0 (`http://www.w3.org/TR/2001/REC-xml-c14n-20010315`).
    Inclusive10 {
        /// `#WithComments` variant.
        with_comments: bool,
    },
    /// Canonical XML 1.1 (`http://www.w3.org/2006/12/xml-c14n11`).
    Inclusive11 {
        /// `#WithComments` variant.
        with_comments: bool,
    },
}

/// `Algorithm` URI of Exclusive XML Canonicalization 1.0, without comments.
pub const EXCLUSIVE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// `Algorithm` URI of Exclusive XML Canonicalization 1.0, with comments.
pub const EXCLUSIVE_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// `Algorithm` URI of Canonical XML 1.0, without comments.
pub const INCLUSIVE_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// `Algorithm` URI of Canonical XML 1.0, with comments.
pub const INCLUSIVE_10_WITH_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// `Algorithm` URI of Canonical XML 1.1, without comments.
pub const INCLUSIVE_11: &str = "http://www.w3.org/2006/12/xml-c14n11";
/// `Algorithm` URI of Canonical XML 1.1, with comments.
pub const INCLUSIVE_11_WITH_COMMENTS: &str = "http://www.w3.org/2006/12/xml-c14n11#WithComments";

impl Algorithm {
    /// The algorithm named by a `CanonicalizationMethod` or `Transform` `Algorithm` URI.
    ///
    /// `inclusive_prefixes` is the `InclusiveNamespaces PrefixList` split on whitespace. Only
    /// exclusive canonicalization takes one: for the inclusive algorithms a non-empty list is
    /// malformed and yields `None`, as does any URI not listed in the constants above.
    pub fn from_uri(uri: &str, inclusive_prefixes: Vec<String>) -> Option<Self> {
        let inclusive_only = |algorithm: Self| inclusive_prefixes.is_empty().then_some(algorithm);
        match uri {
            EXCLUSIVE => Some(Self::Exclusive {
                with_comments: false,
                inclusive_prefixes,
            }),
            EXCLUSIVE_WITH_COMMENTS => Some(Self::Exclusive {
                with_comments: true,
                inclusive_prefixes,
            }),
            INCLUSIVE_10 => inclusive_only(Self::Inclusive10 {
                with_comments: false,
            }),
            INCLUSIVE_10_WITH_COMMENTS => inclusive_only(Self::Inclusive10 {
                with_comments: true,
            }),
            INCLUSIVE_11 => inclusive_only(Self::Inclusive11 {
                with_comments: false,
            }),
            INCLUSIVE_11_WITH_COMMENTS => inclusive_only(Self::Inclusive11 {
                with_comments: true,
            }),
            _ => None,
        }
    }

    /// The `Algorithm` URI of this algorithm.
    pub fn uri(&self) -> &'static str {
        match self {
            Self::Exclusive {
                with_comments: false,
                ..
            } => EXCLUSIVE,
            Self::Exclusive {
                with_comments: true,
                ..
            } => EXCLUSIVE_WITH_COMMENTS,
            Self::Inclusive10 {
                with_comments: false,
            } => INCLUSIVE_10,
            Self::Inclusive10 {
                with_comments: true,
            } => INCLUSIVE_10_WITH_COMMENTS,
            Self::Inclusive11 {
                with_comments: false,
            } => INCLUSIVE_11,
            Self::Inclusive11 {
                with_comments: true,
            } => INCLUSIVE_11_WITH_COMMENTS,
        }
    }

    fn with_comments(&self) -> bool {
        match self {
            Self::Exclusive { with_comments, .. }
            | Self::Inclusive10 { with_comments }
            | Self::Inclusive11 { with_comments } => *with_comments,
        }
    }
}

/// Writes the canonical form of `apex` and its descendants to `out`, leaving out the subtree
/// rooted at `exclude` (the enveloped-signature transform excludes the `Signature`).
///
/// On error, `out` may hold a partial result: discard it.
///
/// # Errors
/// [`Error::Canonicalization`] when the node set cannot be canonicalized: `exclude` is not an
/// element of the same document, the node set is empty (`exclude` is `apex`), the document
/// has a relative namespace URI or an `xmlns:p=""` undeclaration, or (Canonical XML 1.1) an
/// `xml:base` needs a join.
pub fn canonicalize(
    apex: Element<'_, '_>,
    algorithm: &Algorithm,
    exclude: Option<Element<'_, '_>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let exclude = excluded_id(apex.node().document(), exclude)?;
    canonicalize_node(apex.node(), algorithm, exclude, out)
}

/// Writes the canonical form of the whole `document` (with comments and processing
/// instructions outside the document element) to `out`, leaving out the subtree rooted at
/// `exclude`.
///
/// # Errors
/// As [`canonicalize`].
pub fn canonicalize_document(
    document: &Document<'_>,
    algorithm: &Algorithm,
    exclude: Option<Element<'_, '_>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let tree = document.tree();
    let exclude = excluded_id(tree, exclude)?;
    canonicalize_node(tree.root(), algorithm, exclude, out)
}

/// The node id of `exclude`, which must belong to `document` (node ids of another document
/// would name an unrelated node).
fn excluded_id(
    document: &roxmltree::Document<'_>,
    exclude: Option<Element<'_, '_>>,
) -> Result<Option<NodeId>, Error> {
    match exclude {
        None => Ok(None),
        Some(element) if std::ptr::eq(element.node().document(), document) => {
            Ok(Some(element.node().id()))
        }
        Some(_) => Err(failure("the excluded element belongs to another document")),
    }
}

/// [`canonicalize`] on a raw node: `node` is an element (the apex of a document subset) or
/// the document root; `exclude` a node of the same document.
pub(crate) fn canonicalize_node(
    node: Node<'_, '_>,
    algorithm: &Algorithm,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    match node.node_type() {
        NodeType::Element | NodeType::Root => {}
        NodeType::Text | NodeType::Comment | NodeType::PI => {
            return Err(failure(
                "the apex of the node set must be an element or the document",
            ));
        }
    }
    if exclude == Some(node.id()) {
        return Err(failure("the excluded subtree is the whole node set"));
    }
    check_namespace_declarations(node.document())?;

    let mode = match algorithm {
        Algorithm::Exclusive { .. } => Mode::Exclusive,
        Algorithm::Inclusive10 { .. } => Mode::Inclusive10,
        Algorithm::Inclusive11 { .. } => Mode::Inclusive11,
    };
    let mut prefixes: Vec<&str> = Vec::new();
    if let Algorithm::Exclusive {
        inclusive_prefixes, ..
    } = algorithm
    {
        prefixes.extend(
            inclusive_prefixes
                .iter()
                .map(|prefix| match prefix.as_str() {
                    "#default" => "",
                    other => other,
                }),
        );
    }
    let mut writer = Writer {
        mode,
        with_comments: algorithm.with_comments(),
        inclusive_prefixes: prefixes,
        apex: node.id(),
        exclude,
        position: Position::Before,
        out,
        rendered: Vec::new(),
        previous_start: 0,
        previous_end: 0,
        frames: Vec::new(),
        namespaces: Vec::new(),
        attributes: Vec::new(),
    };
    writer.walk(node)
}

fn failure(detail: &str) -> Error {
    Error::Canonicalization {
        detail: detail.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exclusive,
    Inclusive10,
    Inclusive11,
}

/// Where a comment or processing instruction sits relative to the document element (the
/// first output element); decides the line feeds around top-level ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Before,
    Inside,
    After,
}

/// A namespace binding: prefix (`""` for the default namespace) and URI (`""` for
/// `xmlns=""`).
type Binding<'a> = (&'a str, &'a str);

/// What an open element has to restore when it closes.
struct Frame<'a> {
    qname: &'a str,
    rendered_len: usize,
    previous_start: usize,
    previous_end: usize,
    is_document_element: bool,
}

/// An attribute about to be written.
struct OutAttribute<'a> {
    /// Namespace URI, `""` for none; the first sort key.
    namespace: &'a str,
    /// Local name; the second sort key.
    local: &'a str,
    /// The qualified name as written in the source (`xml:lang`, `p:a`, `a`).
    qname: &'a str,
    value: &'a str,
}

struct Writer<'a, 'o> {
    mode: Mode,
    with_comments: bool,
    /// The exclusive `PrefixList`, `""` standing for `#default`.
    inclusive_prefixes: Vec<&'o str>,
    apex: NodeId,
    exclude: Option<NodeId>,
    position: Position,
    out: &'o mut Vec<u8>,
    /// Namespace nodes rendered (or, for exclusive c14n, in force) on output ancestors: the
    /// `ns_rendered` stack of the specifications, laid out like libxml2's so that its lookups
    /// (`xmlC14NVisibleNsStackFind`, `xmlExcC14NVisibleNsStackFind`) can be mirrored exactly.
    rendered: Vec<Binding<'a>>,
    /// Start of the bindings pushed by the nearest output ancestor.
    previous_start: usize,
    /// End of the bindings pushed by the nearest output ancestor.
    previous_end: usize,
    frames: Vec<Frame<'a>>,
    /// Scratch: namespace declarations of the current element.
    namespaces: Vec<Binding<'a>>,
    /// Scratch: attributes of the current element.
    attributes: Vec<OutAttribute<'a>>,
}

impl<'a> Writer<'a, '_> {
    /// Depth-first walk of the node set with an explicit stack of open elements.
    fn walk<'input: 'a>(&mut self, top: Node<'a, 'input>) -> Result<(), Error> {
        let mut current = top;
        loop {
            if self.enter(current)?
                && let Some(child) = self.first_included(current.first_child())
            {
                current = child;
                continue;
            }
            loop {
                self.leave(current)?;
                if current == top {
                    return Ok(());
                }
                if let Some(sibling) = self.first_included(current.next_sibling()) {
                    current = sibling;
                    break;
                }
                current = current
                    .parent()
                    .ok_or_else(|| failure("node outside the apex"))?;
            }
        }
    }

    /// `node` or the first of its following siblings that is not the excluded subtree.
    fn first_included<'input: 'a>(
        &self,
        node: Option<Node<'a, 'input>>,
    ) -> Option<Node<'a, 'input>> {
        let mut node = node?;
        while Some(node.id()) == self.exclude {
            node = node.next_sibling()?;
        }
        Some(node)
    }

    /// Writes what comes before a node's children; says whether to descend into them.
    fn enter<'input: 'a>(&mut self, node: Node<'a, 'input>) -> Result<bool, Error> {
        match node.node_type() {
            NodeType::Root => Ok(true),
            NodeType::Element => {
                self.start_element(node)?;
                Ok(true)
            }
            NodeType::Text => {
                if let Some(text) = node.text() {
                    write_escaped_text(self.out, text);
                }
                Ok(false)
            }
            NodeType::Comment => {
                if self.with_comments {
                    self.before_top_level();
                    self.out.extend_from_slice(b"<!--");
                    write_normalized_line_ends(self.out, node.text().unwrap_or_default());
                    self.out.extend_from_slice(b"-->");
                    self.after_top_level();
                }
                Ok(false)
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    self.before_top_level();
                    self.out.extend_from_slice(b"<?");
                    self.out.extend_from_slice(pi.target.as_bytes());
                    if let Some(value) = pi.value.filter(|value| !value.is_empty()) {
                        self.out.push(b' ');
                        write_normalized_line_ends(self.out, value);
                    }
                    self.out.extend_from_slice(b"?>");
                    self.after_top_level();
                }
                Ok(false)
            }
        }
    }

    fn before_top_level(&mut self) {
        if self.position == Position::After {
            self.out.push(b'\n');
        }
    }

    fn after_top_level(&mut self) {
        if self.position == Position::Before {
            self.out.push(b'\n');
        }
    }

    fn leave<'input: 'a>(&mut self, node: Node<'a, 'input>) -> Result<(), Error> {
        if !node.is_element() {
            return Ok(());
        }
        let frame = self
            .frames
            .pop()
            .ok_or_else(|| failure("unbalanced element stack"))?;
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(frame.qname.as_bytes());
        self.out.push(b'>');
        self.rendered.truncate(frame.rendered_len);
        self.previous_start = frame.previous_start;
        self.previous_end = frame.previous_end;
        if frame.is_document_element {
            self.position = Position::After;
        }
        Ok(())
    }

    fn start_element<'input: 'a>(&mut self, element: Node<'a, 'input>) -> Result<(), Error> {
        let (qname, prefix) = element_qname(element)?;
        // libxml2 treats the first output element as the document element even when it is a
        // subset's apex (its `parent_is_doc` flag is only cleared by a visible element).
        let is_document_element = self.frames.is_empty();
        if is_document_element {
            self.position = Position::Inside;
        }
        self.frames.push(Frame {
            qname,
            rendered_len: self.rendered.len(),
            previous_start: self.previous_start,
            previous_end: self.previous_end,
            is_document_element,
        });
        self.out.push(b'<');
        self.out.extend_from_slice(qname.as_bytes());

        // Attributes first (written after the namespaces): the exclusive namespace axis reads
        // the prefixes of the element's own attributes from them, so each attribute's source
        // name is resolved once.
        self.attributes.clear();
        match self.mode {
            Mode::Exclusive => self.own_attributes(element, false)?,
            Mode::Inclusive10 => {
                self.own_attributes(element, false)?;
                if element.id() == self.apex {
                    self.inherit_xml_attributes(element)?;
                }
            }
            Mode::Inclusive11 => self.attributes_11(element)?,
        }
        self.namespaces.clear();
        let default_undeclaration = match self.mode {
            Mode::Exclusive => self.exclusive_namespaces(element, prefix)?,
            Mode::Inclusive10 | Mode::Inclusive11 => self.inclusive_namespaces(element)?,
        };
        if default_undeclaration {
            self.out.extend_from_slice(b" xmlns=\"\"");
        }
        self.namespaces
            .sort_unstable_by(|a, b| compare_bytes(a.0, b.0));
        for (prefix, uri) in &self.namespaces {
            if prefix.is_empty() {
                self.out.extend_from_slice(b" xmlns=\"");
            } else {
                self.out.extend_from_slice(b" xmlns:");
                self.out.extend_from_slice(prefix.as_bytes());
                self.out.extend_from_slice(b"=\"");
            }
            // Unescaped, as libxml2 writes it (see the module documentation).
            self.out.extend_from_slice(uri.as_bytes());
            self.out.push(b'"');
        }
        self.previous_start = self.previous_end;
        self.previous_end = self.rendered.len();

        // Namespace URI, then local name (C14N 1.0 §2.2). `compare_bytes` instead of `str::cmp`:
        // the names are short, and a libc `memcmp` call per comparison made sorting 64
        // attributes per element (the most the limits allow) cost 15 times the rest of a
        // signature check.
        self.attributes.sort_unstable_by(|a, b| {
            compare_bytes(a.namespace, b.namespace).then_with(|| compare_bytes(a.local, b.local))
        });
        for attribute in &self.attributes {
            self.out.push(b' ');
            self.out.extend_from_slice(attribute.qname.as_bytes());
            self.out.extend_from_slice(b"=\"");
            write_escaped_attribute(self.out, attribute.value);
            self.out.push(b'"');
        }
        self.out.push(b'>');
        Ok(())
    }

    /// libxml2 `xmlC14NVisibleNsStackFind`: was `(prefix, uri)` rendered by the nearest output
    /// ancestor (which, in inclusive c14n, pushed every namespace in scope)?
    fn inclusive_find(&self, (prefix, uri): Binding<'_>) -> bool {
        let empty = prefix.is_empty() && uri.is_empty();
        let start = if empty { 0 } else { self.previous_start };
        let candidates = self.rendered.get(start..).unwrap_or_default();
        match candidates.iter().rev().find(|(p, _)| same(p, prefix)) {
            Some((_, rendered_uri)) => same(rendered_uri, uri),
            None => empty,
        }
    }

    /// libxml2 `xmlExcC14NVisibleNsStackFind`: is `(prefix, uri)` the binding of `prefix` most
    /// recently put in force by an output ancestor?
    fn exclusive_find(&self, (prefix, uri): Binding<'_>) -> bool {
        match self.rendered.iter().rev().find(|(p, _)| same(p, prefix)) {
            Some((_, rendered_uri)) => same(rendered_uri, uri),
            None => prefix.is_empty() && uri.is_empty(),
        }
    }

    /// Canonical XML namespace axis: every namespace in scope, minus those the output parent
    /// already rendered. Returns whether `xmlns=""` must be written.
    fn inclusive_namespaces<'input: 'a>(
        &mut self,
        element: Node<'a, 'input>,
    ) -> Result<bool, Error> {
        let mut has_default = false;
        for namespace in element.namespaces() {
            let binding = binding_of(namespace)?;
            if binding.0 == "xml" {
                continue;
            }
            let already = self.inclusive_find(binding);
            self.rendered.push(binding);
            if !already {
                self.namespaces.push(binding);
            }
            has_default |= binding.0.is_empty();
        }
        Ok(!has_default && !self.inclusive_find(("", "")))
    }

    /// Exclusive namespace axis (libxml2 `xmlExcC14NProcessNamespacesAxis`): the namespaces
    /// visibly utilized by the element and its attributes, plus the `PrefixList` ones treated
    /// as in Canonical XML, minus those already in force from output ancestors. Returns
    /// whether `xmlns=""` must be written.
    fn exclusive_namespaces<'input: 'a>(
        &mut self,
        element: Node<'a, 'input>,
        element_prefix: &'a str,
    ) -> Result<bool, Error> {
        let mut has_default = false;
        let mut default_in_list = false;
        for index in 0..self.inclusive_prefixes.len() {
            let Some(&prefix) = self.inclusive_prefixes.get(index) else {
                break;
            };
            default_in_list |= prefix.is_empty();
            if prefix == "xml" {
                continue;
            }
            let Some(binding) = lookup_binding(element, prefix)? else {
                continue;
            };
            let already = self.inclusive_find(binding);
            self.rendered.push(binding);
            if !already {
                self.namespaces.push(binding);
            }
            has_default |= prefix.is_empty();
        }

        let mut utilizes_empty_default = false;
        let element_binding = match element.tag_name().namespace().filter(|uri| !uri.is_empty()) {
            Some(uri) if uri == XML_NAMESPACE => None,
            Some(uri) => Some((element_prefix, uri)),
            None => {
                utilizes_empty_default = true;
                lookup_binding(element, "")?
            }
        };
        if let Some(binding) = element_binding {
            if !self.exclusive_find(binding) {
                self.namespaces.push(binding);
            }
            self.rendered.push(binding);
            has_default |= binding.0.is_empty();
        }

        // The element's own attributes, in document order (queued by `own_attributes`, their
        // source names already checked against the namespaces roxmltree resolved).
        for index in 0..self.attributes.len() {
            let Some(&OutAttribute {
                namespace: uri,
                qname,
                ..
            }) = self.attributes.get(index)
            else {
                break;
            };
            if uri.is_empty() || uri == XML_NAMESPACE {
                continue;
            }
            let prefix = qname.split_once(':').map_or("", |(prefix, _)| prefix);
            let binding = (prefix, uri);
            let already = self.exclusive_find(binding);
            self.rendered.push(binding);
            if !already {
                self.namespaces.push(binding);
            }
        }

        if utilizes_empty_default && !has_default && !default_in_list {
            Ok(!self.exclusive_find(("", "")))
        } else if !has_default && default_in_list {
            Ok(!self.inclusive_find(("", "")))
        } else {
            Ok(false)
        }
    }

    /// Queues `attribute` of `owner` for output, with its source qualified name.
    fn push_attribute(
        &mut self,
        owner: Node<'a, '_>,
        attribute: &Attribute<'a, '_>,
        namespace: &'a str,
    ) -> Result<(), Error> {
        let (qname, _) = attribute_qname(owner, attribute)?;
        self.attributes.push(OutAttribute {
            namespace,
            local: attribute.name(),
            qname,
            value: attribute.value(),
        });
        Ok(())
    }

    /// The element's own attributes, optionally without `xml:lang`, `xml:space` and
    /// `xml:base` (which Canonical XML 1.1 handles itself).
    fn own_attributes<'input: 'a>(
        &mut self,
        element: Node<'a, 'input>,
        skip_inheritable: bool,
    ) -> Result<(), Error> {
        for attribute in element.attributes() {
            let namespace = attribute.namespace().unwrap_or_default();
            if skip_inheritable
                && namespace == XML_NAMESPACE
                && matches!(attribute.name(), "lang" | "space" | "base")
            {
                continue;
            }
            self.push_attribute(element, &attribute, namespace)?;
        }
        Ok(())
    }

    /// Canonical XML 1.0 document subsets: the apex takes the nearest `xml:*` attribute of
    /// each name from its (omitted) ancestors unless it has that attribute itself.
    fn inherit_xml_attributes<'input: 'a>(
        &mut self,
        element: Node<'a, 'input>,
    ) -> Result<(), Error> {
        for ancestor in element.ancestors().skip(1).filter(Node::is_element) {
            for attribute in ancestor.attributes() {
                if attribute.namespace() != Some(XML_NAMESPACE) {
                    continue;
                }
                let local = attribute.name();
                if self
                    .attributes
                    .iter()
                    .any(|a| a.namespace == XML_NAMESPACE && a.local == local)
                {
                    continue;
                }
                self.push_attribute(ancestor, &attribute, XML_NAMESPACE)?;
            }
        }
        Ok(())
    }

    /// Canonical XML 1.1 attribute axis (libxml2 `xmlC14NProcessAttrsAxis`, `XML_C14N_1_1`).
    fn attributes_11<'input: 'a>(&mut self, element: Node<'a, 'input>) -> Result<(), Error> {
        self.own_attributes(element, true)?;
        let is_apex = element.id() == self.apex;
        for local in ["lang", "space", "base"] {
            let own = element
                .attributes()
                .find(|a| a.namespace() == Some(XML_NAMESPACE) && a.name() == local);
            let (owner, attribute) = match own {
                Some(attribute) => (element, attribute),
                None if is_apex => match hidden_ancestor_attribute(element, local) {
                    Some(found) => found,
                    None => continue,
                },
                None => continue,
            };
            if local == "base" {
                // The value libxml2 writes is this one resolved against every omitted
                // ancestor's xml:base; only the trivial joins are reproduced.
                let mut omitted = owner
                    .ancestors()
                    .skip(1)
                    .filter(Node::is_element)
                    .filter_map(|ancestor| {
                        ancestor
                            .attributes()
                            .find(|a| a.namespace() == Some(XML_NAMESPACE) && a.name() == "base")
                    });
                let needs_join = if attribute.value().is_empty() {
                    is_apex && omitted.any(|a| !a.value().is_empty())
                } else {
                    is_apex && omitted.next().is_some()
                };
                if needs_join {
                    return Err(failure(
                        "xml:base fix-up of an orphan element is not supported",
                    ));
                }
                if attribute.value().is_empty() {
                    continue;
                }
            }
            self.push_attribute(owner, &attribute, XML_NAMESPACE)?;
        }
        Ok(())
    }
}

/// The nearest ancestor of `element` (all are outside the node set) with `xml:<local>`.
fn hidden_ancestor_attribute<'a, 'input>(
    element: Node<'a, 'input>,
    local: &str,
) -> Option<(Node<'a, 'input>, Attribute<'a, 'input>)> {
    element
        .ancestors()
        .skip(1)
        .filter(Node::is_element)
        .find_map(|ancestor| {
            ancestor
                .attributes()
                .find(|a| a.namespace() == Some(XML_NAMESPACE) && a.name() == local)
                .map(|attribute| (ancestor, attribute))
        })
}

/// A namespace node as a binding; refuses `xmlns:p=""`.
fn binding_of<'a>(namespace: &'a roxmltree::Namespace<'_>) -> Result<Binding<'a>, Error> {
    let prefix = namespace.name().unwrap_or_default();
    let uri = namespace.uri();
    if !prefix.is_empty() && uri.is_empty() {
        return Err(failure("a namespace prefix is undeclared (xmlns:p=\"\")"));
    }
    Ok((prefix, uri))
}

/// The binding of `prefix` (`""`: the default namespace) in scope at `element`.
fn lookup_binding<'a>(element: Node<'a, '_>, prefix: &str) -> Result<Option<Binding<'a>>, Error> {
    match element
        .namespaces()
        .find(|ns| ns.name().unwrap_or_default() == prefix)
    {
        Some(namespace) => binding_of(namespace).map(Some),
        None => Ok(None),
    }
}

/// The element's qualified name and prefix exactly as written in the source, checked against
/// the namespace roxmltree resolved (so two prefixes bound to one URI stay distinct).
fn element_qname<'a>(element: Node<'a, '_>) -> Result<(&'a str, &'a str), Error> {
    let text: &'a str = element.document().input_text();
    let start = element.range().start;
    let tail = text.get(start..).unwrap_or_default();
    let Some(rest) = tail.strip_prefix('<') else {
        return Err(failure("element name not found in the source"));
    };
    let end = rest
        .bytes()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
        .unwrap_or(rest.len());
    let qname = rest.get(..end).unwrap_or_default();
    let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
    let tag = element.tag_name();
    let namespace = tag.namespace().filter(|uri| !uri.is_empty());
    let resolved = element
        .namespaces()
        .find(|ns| ns.name().unwrap_or_default() == prefix)
        .map(|ns| ns.uri());
    if local != tag.name() || resolved.filter(|uri| !uri.is_empty()) != namespace {
        return Err(failure("element name does not match the source"));
    }
    Ok((qname, prefix))
}

/// Whether two strings are equal (what `==` computes), without a `bcmp` call: the strings
/// compared here (prefixes, namespace URIs, local names) are short, and the limits allow up to
/// 64 × 64 such comparisons per element.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && compare_bytes(a, b).is_eq()
}

/// Byte-wise order of two strings (what `str::cmp` computes), without a `memcmp` call.
fn compare_bytes(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// The attribute's qualified name and prefix exactly as written in the source, checked
/// against the namespace roxmltree resolved.
fn attribute_qname<'a>(
    element: Node<'a, '_>,
    attribute: &Attribute<'a, '_>,
) -> Result<(&'a str, &'a str), Error> {
    let text: &'a str = element.document().input_text();
    let qname = text.get(attribute.range_qname()).unwrap_or_default();
    let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
    let namespace = attribute.namespace();
    let resolved = match prefix {
        "" => None,
        "xml" => Some(XML_NAMESPACE),
        _ => element
            .namespaces()
            .find(|ns| ns.name().is_some_and(|name| same(name, prefix)))
            .map(|ns| ns.uri()),
    };
    if local != attribute.name() || resolved != namespace {
        return Err(failure("attribute name does not match the source"));
    }
    Ok((qname, prefix))
}

/// libxml2 refuses to canonicalize any document with a relative namespace URI anywhere in it
/// (not only in the node set); so does this module, for the same documents.
fn check_namespace_declarations(document: &roxmltree::Document<'_>) -> Result<(), Error> {
    for element in document.root().descendants().filter(Node::is_element) {
        // roxmltree shares the parent's list when an element declares nothing new; only
        // re-check lists that differ from the parent's.
        let parent_namespaces = element.parent_element().map(|parent| parent.namespaces());
        let unchanged = parent_namespaces.is_some_and(|parent| {
            parent.len() == element.namespaces().len()
                && parent
                    .zip(element.namespaces())
                    .all(|(a, b)| std::ptr::eq(a, b))
        });
        if unchanged {
            continue;
        }
        for namespace in element.namespaces() {
            let (_, uri) = binding_of(namespace)?;
            if !uri.is_empty() && !uri::is_absolute_for_c14n(uri) {
                return Err(failure("the document has a relative namespace URI"));
            }
        }
    }
    Ok(())
}

/// Text node escaping: `&`, `<`, `>` and carriage return.
fn write_escaped_text(out: &mut Vec<u8>, text: &str) {
    write_escaped(out, text.as_bytes(), |byte| match byte {
        b'&' => Some(b"&amp;".as_slice()),
        b'<' => Some(b"&lt;".as_slice()),
        b'>' => Some(b"&gt;".as_slice()),
        b'\r' => Some(b"&#xD;".as_slice()),
        _ => None,
    });
}

/// Attribute value escaping: `&`, `<`, `"`, tab, line feed and carriage return.
fn write_escaped_attribute(out: &mut Vec<u8>, value: &str) {
    write_escaped(out, value.as_bytes(), |byte| match byte {
        b'&' => Some(b"&amp;".as_slice()),
        b'<' => Some(b"&lt;".as_slice()),
        b'"' => Some(b"&quot;".as_slice()),
        b'\t' => Some(b"&#x9;".as_slice()),
        b'\n' => Some(b"&#xA;".as_slice()),
        b'\r' => Some(b"&#xD;".as_slice()),
        _ => None,
    });
}

/// Copies `bytes` to `out`, replacing each byte for which `escape` has a replacement; runs of
/// plain bytes are copied in one go.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8], escape: impl Fn(u8) -> Option<&'static [u8]>) {
    let mut plain_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if let Some(replacement) = escape(byte) {
            out.extend_from_slice(bytes.get(plain_start..index).unwrap_or_default());
            out.extend_from_slice(replacement);
            plain_start = index + 1;
        }
    }
    out.extend_from_slice(bytes.get(plain_start..).unwrap_or_default());
}

/// Comments and processing instructions: roxmltree keeps their source text, so apply the XML
/// end-of-line normalization (`\r\n` and `\r` to `\n`) that the parser applied to text.
fn write_normalized_line_ends(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut plain_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'\r' {
            out.extend_from_slice(bytes.get(plain_start..index).unwrap_or_default());
            if bytes.get(index + 1) != Some(&b'\n') {
                out.push(b'\n');
            }
            plain_start = index + 1;
        }
    }
    out.extend_from_slice(bytes.get(plain_start..).unwrap_or_default());
}

#[cfg(test)]
mod tests;
