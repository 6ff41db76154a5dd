//! Bounded, namespace-aware parsing of untrusted XML into an immutable tree.
//!
//! Everything fedgate reads from the network passes through [`Document::parse`] first:
//! - no DOCTYPE, so no entities, external references or entity-expansion bombs;
//! - hard [`Limits`] on bytes, depth, node count, attributes and namespaces, enforced by a
//!   linear pre-scan before roxmltree builds the tree (so no input costs more than a small
//!   multiple of reading it; see `BENCHMARKS.md`) and checked again on the tree;
//! - an ID index that refuses duplicate identifiers anywhere in the document, so a
//!   same-document reference (`URI="#id"`) resolves to exactly one element.
//!
//! The tree is roxmltree's: read-only, with byte positions. It never leaves this crate: no
//! public item names a roxmltree type, so the only ways into a document are [`Element`] (which
//! moves only downwards and reads text in a way that cannot be truncated by comments),
//! [`Document::element_by_id`], and the narrow [`Document::signature_parent`] that signature
//! verification needs. Canonicalization (exclusive and inclusive C14N) lives in [`c14n`].

pub mod c14n;
mod element;
mod error;
mod limits;
mod prescan;

use std::collections::HashMap;

pub use element::{Children, Element};
pub use error::Error;
pub use limits::Limits;

/// The namespace of `xml:` attributes (`xml:id`, `xml:lang`, …).
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// The XML-DSig namespace, whose `Signature` elements [`Document::signature_parent`] accepts.
const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// A parsed, limit-checked document with an index of its `ID` attributes.
///
/// INVARIANT: no two elements carry the same identifier value in any ID-like attribute
/// (`ID`, `Id`, `id`, `xml:id`, `wsu:Id`, …); [`Document::element_by_id`] therefore names at
/// most one element.
pub struct Document<'input> {
    tree: roxmltree::Document<'input>,
    ids: HashMap<Box<str>, roxmltree::NodeId>,
    limits: Limits,
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("root", &self.root_element().node().tag_name())
            .field("ids", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl<'input> Document<'input> {
    /// Parses `input` within `limits`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] before parsing when the input exceeds `limits.max_bytes`;
    /// [`Error::LimitExceeded`] from the pre-scan, before the tree is built, when an element has
    /// too many attributes or namespaces in scope, or the document is too deep or has too
    /// many elements; [`Error::DtdForbidden`] for any DOCTYPE; [`Error::Malformed`] for anything
    /// that is not well-formed, namespace-valid XML (including a namespace declared twice on
    /// one element); [`Error::LimitExceeded`] when the tree has too many nodes;
    /// [`Error::DuplicateId`] when an identifier appears twice.
    pub fn parse(input: &'input str, limits: &Limits) -> Result<Self, Error> {
        if input.len() > limits.max_bytes {
            return Err(Error::TooLarge {
                size: input.len(),
                limit: limits.max_bytes,
            });
        }
        // INVARIANT: after this, no element exceeds the attribute or namespace limits and no
        // nesting the depth limit, so roxmltree's per-element work below is bounded.
        prescan::check(input, limits)?;
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: limits.max_nodes,
            ..roxmltree::ParsingOptions::default()
        };
        let tree = roxmltree::Document::parse_with_options(input, options)
            .map_err(|error| Error::from_roxmltree(error, limits))?;
        let ids = check_tree(&tree, limits)?;
        Ok(Self {
            tree,
            ids,
            limits: limits.clone(),
        })
    }

    /// [`Document::parse`] without the pre-scan: roxmltree first, limits on the finished tree
    /// (how it worked before the pre-scan; the property tests compare the two).
    #[cfg(test)]
    pub(crate) fn parse_tree_first(input: &'input str, limits: &Limits) -> Result<Self, Error> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: limits.max_nodes,
            ..roxmltree::ParsingOptions::default()
        };
        let tree = roxmltree::Document::parse_with_options(input, options)
            .map_err(|error| Error::from_roxmltree(error, limits))?;
        let ids = check_tree(&tree, limits)?;
        Ok(Self {
            tree,
            ids,
            limits: limits.clone(),
        })
    }

    /// The limits the document was parsed within; later layers bound their own work on it by
    /// them (e.g. the transforms of a signature).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The document element.
    pub fn root_element(&self) -> Element<'_, 'input> {
        Element::new(self.tree.root_element())
    }

    /// The element whose unqualified `ID` attribute equals `id`.
    ///
    /// Only the SAML `ID` attribute resolves references: it is the only identifier SAML
    /// defines, and accepting `Id`/`id`/`xml:id` too would let an attacker add a second route
    /// to an element. Uniqueness is still enforced across all of them.
    pub fn element_by_id(&self, id: &str) -> Option<Element<'_, 'input>> {
        let node_id = self.ids.get(id)?;
        self.tree.get_node(*node_id).map(Element::new)
    }

    /// The element an enveloped XML-DSig signature covers: the parent of `signature`.
    ///
    /// This is the one step up the tree that this crate offers, and it is narrow on purpose:
    /// `None` unless `signature` is a `ds:Signature` element of this document whose parent is
    /// an element other than a `ds:Signature` (XML-DSig never nests one directly in another).
    ///
    /// INVARIANT: from an element `e` that is not a `ds:Signature`, every element reachable
    /// through [`Element`]'s methods and this one lies inside `e`'s subtree: the parent of a
    /// `ds:Signature` below `e` is `e` or one of its descendants, and `e` itself is never
    /// accepted. So the element a verified signature
    /// covers (`fedgate_dsig::Verified::element`, always a result of this method) cannot lead to
    /// its parent or siblings.
    pub fn signature_parent<'a>(
        &'a self,
        signature: Element<'a, 'input>,
    ) -> Option<Element<'a, 'input>> {
        let node = signature.node();
        if !std::ptr::eq(node.document(), &self.tree) || !signature.is(DSIG_NAMESPACE, "Signature")
        {
            return None;
        }
        let parent = Element::new(node.parent_element()?);
        (!parent.is(DSIG_NAMESPACE, "Signature")).then_some(parent)
    }

    /// The underlying roxmltree document (canonicalization and tests inside this crate).
    pub(crate) fn tree(&self) -> &roxmltree::Document<'input> {
        &self.tree
    }

    /// The original text.
    pub fn input_text(&self) -> &'input str {
        self.tree.input_text()
    }
}

/// Whether an attribute is one that some XML vocabulary treats as an identifier.
fn is_id_like(attribute: &roxmltree::Attribute<'_, '_>) -> bool {
    attribute.name().eq_ignore_ascii_case("id")
}

/// Walks the tree once: depth, attribute and namespace limits (already enforced by the
/// pre-scan; checked again on the tree roxmltree built, so the two cannot drift apart
/// silently), and the ID index.
fn check_tree(
    tree: &roxmltree::Document<'_>,
    limits: &Limits,
) -> Result<HashMap<Box<str>, roxmltree::NodeId>, Error> {
    let mut ids: HashMap<Box<str>, roxmltree::NodeId> = HashMap::new();
    let mut seen_id_values: HashMap<Box<str>, ()> = HashMap::new();
    // Iterative depth-first walk with an explicit depth, so a deep document cannot exhaust
    // the call stack here.
    let mut stack: Vec<(roxmltree::Node<'_, '_>, usize)> = vec![(tree.root_element(), 1)];
    while let Some((node, depth)) = stack.pop() {
        if depth > limits.max_depth {
            return Err(Error::LimitExceeded {
                what: "depth",
                limit: limits.max_depth,
            });
        }
        let attributes = node.attributes();
        if attributes.len() > limits.max_attributes {
            return Err(Error::LimitExceeded {
                what: "attributes on one element",
                limit: limits.max_attributes,
            });
        }
        if node.namespaces().len() > limits.max_namespaces {
            return Err(Error::LimitExceeded {
                what: "namespaces in scope",
                limit: limits.max_namespaces,
            });
        }
        for attribute in attributes.filter(is_id_like) {
            let value = attribute.value();
            if seen_id_values.insert(value.into(), ()).is_some() {
                return Err(Error::DuplicateId {
                    id: value.to_owned(),
                });
            }
            if attribute.namespace().is_none() && attribute.name() == "ID" {
                ids.insert(value.into(), node.id());
            }
        }
        for child in node.children().filter(roxmltree::Node::is_element) {
            stack.push((child, depth + 1));
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests;
