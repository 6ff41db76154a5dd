//! Downward-only navigation over an element, and text reading that cannot be truncated.

use std::borrow::Cow;

use crate::Error;

/// An element of a parsed document.
///
/// Deliberately offers no way up the tree (no parent, no siblings) and never hands out the
/// underlying roxmltree node: code that is handed the element a signature covers can only read
/// what lies inside it. (The one upward step in this crate, [`Document::signature_parent`],
/// accepts only `ds:Signature` elements and never leaves the subtree of a non-signature
/// element.)
///
/// Two `Element`s are equal when they are the same node of the same document (identity, not
/// structure).
///
/// ```compile_fail,E0599
/// # let document = fedgate_xml::Document::parse("<a><b/></a>", &Default::default()).unwrap();
/// let b = document.root_element().children().next().unwrap();
/// let _ = b.parent(); // no way up
/// ```
///
/// [`Document::signature_parent`]: crate::Document::signature_parent
#[derive(Clone, Copy)]
pub struct Element<'a, 'input> {
    node: roxmltree::Node<'a, 'input>,
}

impl PartialEq for Element<'_, '_> {
    /// The same node of the same document.
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl Eq for Element<'_, '_> {}

impl std::fmt::Debug for Element<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Element({:?})", self.node.tag_name())
    }
}

impl<'a, 'input> Element<'a, 'input> {
    /// Wraps a roxmltree element node.
    ///
    /// INVARIANT: `node` is an element; [`Element::from_node`] is the checked form.
    pub(crate) fn new(node: roxmltree::Node<'a, 'input>) -> Self {
        debug_assert!(node.is_element());
        Self { node }
    }

    /// Wraps `node` if it is an element.
    pub(crate) fn from_node(node: roxmltree::Node<'a, 'input>) -> Option<Self> {
        node.is_element().then_some(Self { node })
    }

    /// The underlying node, for canonicalization inside this crate. Never public: a
    /// roxmltree node can walk to its parent and siblings.
    pub(crate) fn node(&self) -> roxmltree::Node<'a, 'input> {
        self.node
    }

    /// The namespace URI of the element, if any.
    pub fn namespace(&self) -> Option<&'a str> {
        self.node.tag_name().namespace()
    }

    /// The local name of the element.
    pub fn local_name(&self) -> &'a str {
        self.node.tag_name().name()
    }

    /// Whether the element is `{namespace}local_name`.
    pub fn is(&self, namespace: &str, local_name: &str) -> bool {
        self.local_name() == local_name && self.namespace() == Some(namespace)
    }

    /// The value of the unqualified attribute `name` (in no namespace).
    ///
    /// Not roxmltree's `attribute(&str)`, which matches the local name in *any* namespace:
    /// `<Assertion xmlns:a="…" a:ID="x" ID="y">` would give `x`, while the ID index
    /// ([`crate::Document::element_by_id`]) knows the element as `y`. Both must agree.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        self.node
            .attributes()
            .find(|attribute| attribute.namespace().is_none() && attribute.name() == name)
            .map(|attribute| attribute.value())
    }

    /// The value of the attribute `{namespace}name`.
    pub fn attribute_ns(&self, namespace: &str, name: &str) -> Option<&'a str> {
        self.node.attribute((namespace, name))
    }

    /// Child elements in document order (text, comments and processing instructions skipped).
    pub fn children(&self) -> Children<'a, 'input> {
        Children {
            inner: self.node.children(),
        }
    }

    /// Child elements named `{namespace}local_name`.
    pub fn children_named<'n>(
        &self,
        namespace: &'n str,
        local_name: &'n str,
    ) -> impl Iterator<Item = Element<'a, 'input>> + 'n
    where
        'a: 'n,
        'input: 'n,
    {
        self.children()
            .filter(move |child| child.is(namespace, local_name))
    }

    /// The first child element named `{namespace}local_name`.
    pub fn first_child_named(
        &self,
        namespace: &str,
        local_name: &str,
    ) -> Option<Element<'a, 'input>> {
        self.children()
            .find(|child| child.is(namespace, local_name))
    }

    /// Every descendant element (not including this one), in document order.
    pub fn descendants(&self) -> impl Iterator<Item = Element<'a, 'input>> {
        self.node
            .descendants()
            .skip(1)
            .filter_map(Element::from_node)
    }

    /// The whole text content of an element that must hold only text.
    ///
    /// All text nodes are concatenated, so a comment or processing instruction inside the
    /// value (`alice@example.com<!---->.evil`) can never cut it short: the result is exactly
    /// the text that exclusive canonicalization without comments signs. Leading and trailing
    /// white space is kept; callers decide whether to trim.
    ///
    /// # Errors
    /// [`Error::UnexpectedChildElement`] when the element contains an element.
    pub fn text(&self) -> Result<Cow<'a, str>, Error> {
        let mut text: Option<Cow<'a, str>> = None;
        for child in self.node.children() {
            if child.is_element() {
                return Err(Error::UnexpectedChildElement {
                    parent: self.local_name().to_owned(),
                });
            }
            if let Some(part) = child.text().filter(|_| child.is_text()) {
                text = Some(match text {
                    None => Cow::Borrowed(part),
                    Some(previous) => Cow::Owned(previous.into_owned() + part),
                });
            }
        }
        Ok(text.unwrap_or(Cow::Borrowed("")))
    }

    /// Byte range of the element in the original input.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.node.range()
    }

    /// Byte offset in the original input where the element's content begins (the start of
    /// its first child node of any kind: text, comment or element), or `None` when it has no
    /// content. Where an enveloped signature is inserted.
    pub fn content_start(&self) -> Option<usize> {
        self.node.first_child().map(|child| child.range().start)
    }
}

/// Iterator over child elements.
#[derive(Debug, Clone)]
pub struct Children<'a, 'input> {
    inner: roxmltree::Children<'a, 'input>,
}

impl<'a, 'input> Iterator for Children<'a, 'input> {
    type Item = Element<'a, 'input>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.by_ref().find_map(Element::from_node)
    }
}
