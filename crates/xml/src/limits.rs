//! Resource budgets for untrusted XML.

/// Hard limits applied to every untrusted document. Each default says where it came from.
///
/// The defaults are generous for SAML (the largest real response in the project corpus is
/// under 40 KiB and 14 elements deep) and small enough that a hostile document costs
/// little memory and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input, in bytes. Default 1 MiB: about 25 times the largest real response in
    /// the corpus; the HTTP body limit of the server is derived from it.
    pub max_bytes: usize,
    /// Deepest element nesting. Default 64: a SAML response with a signed, encrypted
    /// assertion is at most about 14 levels deep; anything far deeper is an attack on
    /// recursive consumers.
    pub max_depth: usize,
    /// Most nodes (elements, text, comments, attributes…) roxmltree may create. Default
    /// 50 000: a real response has a few hundred.
    pub max_nodes: u32,
    /// Most attributes on one element. Default 64: SAML elements have at most about 8.
    pub max_attributes: usize,
    /// Most namespaces in scope at one element. Default 64: real IdPs declare fewer than 12.
    pub max_namespaces: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_nodes: 50_000,
            max_attributes: 64,
            max_namespaces: 64,
        }
    }
}
