//! Resource budgets for untrusted XML and what is derived from it.

/// Hard limits applied to every untrusted document, and to the work later layers do on it.
/// Each default says where it came from.
///
/// The defaults are generous for SAML (the largest real response in the project corpus is
/// under 40 KiB and 14 elements deep) and small enough that a hostile document costs
/// little memory and time. [`Document::parse`](crate::Document::parse) enforces the
/// structural limits while it reads (a linear pre-scan of the start tags, before the tree is
/// built), so refusing an oversized element costs no more than scanning the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input, in bytes. Default 1 MiB: about 25 times the largest real response in
    /// the corpus; the HTTP body limit of the server is derived from it. It is also the cap on
    /// a decoded SAML binding (`fedgate_saml::binding`: base64 decoded, or DEFLATE inflated,
    /// to at most this many bytes), since what a binding decodes to is the document parsed here.
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
    /// Most `Transform`s on one signature `Reference` (checked by `fedgate_dsig`). Default 2:
    /// enveloped-signature plus one canonicalization, the only combination the SAML profile
    /// (saml-core §5.4.4) and fedgate's allow-list use.
    pub max_transforms: usize,
}

impl Limits {
    /// The defaults, as a constant (for bounds derived from them at compile time).
    pub const DEFAULT: Self = Self {
        max_bytes: 1024 * 1024,
        max_depth: 64,
        max_nodes: 50_000,
        max_attributes: 64,
        max_namespaces: 64,
        max_transforms: 2,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
