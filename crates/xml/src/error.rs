//! The error type of the XML layer.

use std::fmt;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the byte limit; nothing was parsed.
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The document has a DOCTYPE declaration (DTDs and entities are never processed).
    DtdForbidden,
    /// The input is not well-formed, namespace-valid XML.
    Malformed {
        /// What the parser reported, without any document content.
        detail: String,
    },
    /// A structural limit was exceeded.
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// Two elements carry the same identifier.
    DuplicateId {
        /// The repeated value.
        id: String,
    },
    /// An element that must hold only text holds an element.
    UnexpectedChildElement {
        /// Local name of the element whose text was read.
        parent: String,
    },
    /// Canonicalization could not represent the node set faithfully.
    Canonicalization {
        /// What went wrong.
        detail: String,
    },
}

impl Error {
    pub(crate) fn from_roxmltree(error: roxmltree::Error, limits: &crate::Limits) -> Self {
        match error {
            roxmltree::Error::DtdDetected => Self::DtdForbidden,
            roxmltree::Error::NodesLimitReached => Self::LimitExceeded {
                what: "nodes",
                limit: usize::try_from(limits.max_nodes).unwrap_or(usize::MAX),
            },
            other => Self::Malformed {
                detail: other.to_string(),
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => write!(
                f,
                "document of {size} bytes exceeds the limit of {limit} bytes"
            ),
            Self::DtdForbidden => {
                f.write_str("document type declarations (DOCTYPE) are not allowed")
            }
            Self::Malformed { detail } => write!(f, "malformed XML: {detail}"),
            Self::LimitExceeded { what, limit } => write!(f, "limit on {what} ({limit}) exceeded"),
            Self::DuplicateId { id } => write!(f, "the identifier {id:?} appears more than once"),
            Self::UnexpectedChildElement { parent } => {
                write!(
                    f,
                    "element <{parent}> must contain only text but contains an element"
                )
            }
            Self::Canonicalization { detail } => write!(f, "canonicalization failed: {detail}"),
        }
    }
}

impl std::error::Error for Error {}
