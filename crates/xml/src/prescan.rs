//! A linear pre-scan of the markup, so that the structural [`Limits`] hold *while* reading.
//!
//! roxmltree checks duplicate attributes by comparing each attribute with every earlier one
//! on the element, and resolves namespaces by copying and searching the parent's list, so one
//! element with 10,000 attributes or namespace declarations costs quadratic time (about 380 ms
//! for a 98 KB `SAMLAssertion`, against about 4 ms for a whole valid sign-in), and deep nesting
//! with a declaration on each level costs depth × namespaces. The limits used to be checked
//! only on the finished tree. This scan runs first, in one pass over the bytes with constant
//! work per attribute, and refuses:
//! - more than `max_attributes` attributes (namespace declarations not counted) on one element;
//! - more than `max_namespaces` namespace prefixes in scope at one element (the count
//!   roxmltree's `Node::namespaces` gives: every prefix, or the default namespace, declared on
//!   the element or an ancestor, `xml` excepted);
//! - a namespace declared twice on one element (roxmltree lets a repeated `xmlns` through;
//!   another parser would keep the other value, and parser differentials defeat signatures);
//! - nesting deeper than `max_depth`;
//! - more than `max_nodes` elements (every element is a roxmltree node, so such a document
//!   would fail roxmltree's own node limit anyway, only later).
//!
//! It is deliberately lenient about everything else: text, references and character checks
//! are left to roxmltree. Where the markup is not well-formed in a way this scan notices (an
//! unterminated comment, a `<` that starts no markup, a mismatched end tag, a DOCTYPE) it stops
//! and lets roxmltree report the error, which roxmltree does at or before that position, so it
//! never builds a tree past a point this scan has not checked. What is refused here would be
//! refused after the parse too: the pre-scan changes when a document is refused, not whether.

use std::collections::HashMap;

use crate::{Error, Limits};

/// The four XML white-space characters (XML 1.0 §2.3 `S`).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Checks the structural limits of `input` in one pass.
///
/// # Errors
/// [`Error::LimitExceeded`] for the limits above, [`Error::Malformed`] for a namespace declared
/// twice on one element.
pub(crate) fn check(input: &str, limits: &Limits) -> Result<(), Error> {
    let mut scanner = Scanner {
        input,
        pos: 0,
        limits,
        open: Vec::new(),
        declared: Vec::new(),
        in_scope: HashMap::new(),
        elements: 0,
        root_closed: false,
    };
    // `None`: not well-formed at `scanner.pos`; roxmltree will say so.
    let _ = scanner.run()?;
    Ok(())
}

/// An open element: its qualified name and where its namespace declarations start in
/// `Scanner::declared`.
struct Open<'a> {
    name: &'a str,
    declared_from: usize,
}

struct Scanner<'a, 'l> {
    input: &'a str,
    pos: usize,
    limits: &'l Limits,
    open: Vec<Open<'a>>,
    /// The prefixes declared by the open elements, innermost last (`""` for `xmlns`).
    declared: Vec<&'a str>,
    /// How many open elements declare each prefix (`xml` not counted); its length is the
    /// number of namespaces in scope.
    in_scope: HashMap<&'a str, usize>,
    elements: usize,
    root_closed: bool,
}

impl<'a> Scanner<'a, '_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.input.as_bytes().get(at).copied()
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Moves past the next occurrence of `terminator`, or returns `None` when there is none.
    fn skip_past(&mut self, terminator: &str) -> Option<()> {
        let found = self.rest().find(terminator)?;
        self.pos += found + terminator.len();
        Some(())
    }

    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.byte(self.pos).is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// A name: everything up to white space, `=`, `>` or `/`.
    fn name(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let end = rest
            .bytes()
            .position(|b| is_space(b) || matches!(b, b'=' | b'>' | b'/'))
            .unwrap_or(rest.len());
        self.pos += end;
        rest.get(..end).filter(|name| !name.is_empty())
    }

    /// `Ok(None)` when the markup stops being well-formed.
    fn run(&mut self) -> Result<Option<()>, Error> {
        loop {
            let Some(next) = self.rest().find('<') else {
                return Ok(Some(()));
            };
            self.pos += next;
            let rest = self.rest();
            let step = if rest.starts_with("<!--") {
                self.skip_past("-->")
            } else if rest.starts_with("<![CDATA[") {
                self.skip_past("]]>")
            } else if rest.starts_with("<?") {
                self.skip_past("?>")
            } else if rest.starts_with("<!") {
                // A DOCTYPE (roxmltree refuses it: DTDs are not allowed) or not XML at all.
                None
            } else if rest.starts_with("</") {
                self.end_tag()
            } else {
                self.start_tag()?
            };
            if step.is_none() {
                return Ok(None);
            }
        }
    }

    fn end_tag(&mut self) -> Option<()> {
        self.pos += 2;
        let name = self.name()?;
        let open = self.open.pop().filter(|open| open.name == name)?;
        self.skip_spaces();
        if self.byte(self.pos) != Some(b'>') {
            return None;
        }
        self.pos += 1;
        self.close(&open);
        Some(())
    }

    fn close(&mut self, open: &Open<'a>) {
        for prefix in self.declared.drain(open.declared_from..) {
            if let Some(count) = self.in_scope.get_mut(prefix) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.in_scope.remove(prefix);
                }
            }
        }
        self.root_closed = self.open.is_empty();
    }

    fn start_tag(&mut self) -> Result<Option<()>, Error> {
        if self.root_closed {
            return Ok(None); // a second root element
        }
        self.pos += 1;
        let Some(name) = self.name() else {
            return Ok(None);
        };
        self.elements += 1;
        if self.elements > usize::try_from(self.limits.max_nodes).unwrap_or(usize::MAX) {
            return Err(Error::LimitExceeded {
                what: "nodes",
                limit: usize::try_from(self.limits.max_nodes).unwrap_or(usize::MAX),
            });
        }
        if self.open.len() + 1 > self.limits.max_depth {
            return Err(Error::LimitExceeded {
                what: "depth",
                limit: self.limits.max_depth,
            });
        }
        let element = Open {
            name,
            declared_from: self.declared.len(),
        };
        let mut attributes = 0_usize;
        loop {
            let spaced = self.skip_spaces();
            match self.byte(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    self.open.push(element);
                    return Ok(Some(()));
                }
                Some(b'/') if self.byte(self.pos + 1) == Some(b'>') => {
                    self.pos += 2;
                    self.close(&element);
                    return Ok(Some(()));
                }
                Some(_) if spaced => {}
                _ => return Ok(None),
            }
            let Some(attribute) = self.name() else {
                return Ok(None);
            };
            self.skip_spaces();
            if self.byte(self.pos) != Some(b'=') {
                return Ok(None);
            }
            self.pos += 1;
            self.skip_spaces();
            let quote = match self.byte(self.pos) {
                Some(quote @ (b'"' | b'\'')) => char::from(quote),
                _ => return Ok(None),
            };
            self.pos += 1;
            let Some(()) = self.skip_past(if quote == '"' { "\"" } else { "'" }) else {
                return Ok(None);
            };
            let prefix = match attribute.strip_prefix("xmlns") {
                Some("") => Some(""),
                Some(rest) => rest.strip_prefix(':'),
                None => None,
            };
            let Some(prefix) = prefix else {
                attributes += 1;
                if attributes > self.limits.max_attributes {
                    return Err(Error::LimitExceeded {
                        what: "attributes on one element",
                        limit: self.limits.max_attributes,
                    });
                }
                continue;
            };
            // Bounded: a repeat is refused, so an element declares at most
            // `max_namespaces` + 1 (`xml`) distinct prefixes before the limit below stops it.
            let own = self
                .declared
                .get(element.declared_from..)
                .unwrap_or_default();
            if own.contains(&prefix) {
                return Err(Error::Malformed {
                    detail: format!("namespace {attribute} declared twice on one element"),
                });
            }
            self.declared.push(prefix);
            if prefix != "xml" {
                *self.in_scope.entry(prefix).or_default() += 1;
                if self.in_scope.len() > self.limits.max_namespaces {
                    return Err(Error::LimitExceeded {
                        what: "namespaces in scope",
                        limit: self.limits.max_namespaces,
                    });
                }
            }
        }
    }
}
