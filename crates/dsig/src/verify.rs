//! Verification of enveloped XML signatures.

use base64::Engine as _;
use fedgate_xml::c14n::{self, Algorithm as C14n};
use fedgate_xml::{Document, Element};

use crate::algorithm::{self, ENVELOPED_SIGNATURE};
use crate::{DSIG_NAMESPACE, DigestAlgorithm, Error, SignatureAlgorithm, TrustedKey};

/// The namespace of `InclusiveNamespaces`.
const EXC_C14N_NAMESPACE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// What the caller allows beyond the secure defaults.
///
/// The default allows nothing extra: SHA-1 and RSA keys under 2048 bits are refused. A test
/// pins this. The only ways to weaken it are the `dangerous_` methods in [`crate::danger`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Accept RSA-SHA1 / ECDSA-SHA1 signatures and SHA-1 digests (per IdP opt-in, for
    /// identity providers that cannot sign with SHA-256 yet).
    pub(crate) allow_sha1: bool,
    /// Accept RSA keys of [`MIN_WEAK_RSA_BITS`](crate::MIN_WEAK_RSA_BITS) to 2047 bits (per IdP
    /// opt-in, for examining legacy documents).
    pub(crate) allow_weak_rsa: bool,
}

impl Policy {
    /// Whether SHA-1 signatures and digests are accepted.
    pub fn allows_sha1(&self) -> bool {
        self.allow_sha1
    }

    /// Whether RSA keys under 2048 bits (made by a `dangerous_` key constructor) may verify.
    pub fn allows_weak_rsa(&self) -> bool {
        self.allow_weak_rsa
    }
}

/// Proof that an element was covered by a valid signature made with a trusted key.
///
/// Only [`verify_enveloped`] constructs it. It exposes only the signed element, whose
/// [`Element`] API cannot move up or sideways in the document. What it offers is downward
/// navigation and text:
///
/// ```
/// fn signed_children(verified: fedgate_dsig::Verified<'_, '_>) -> Vec<String> {
///     let element = verified.element();
///     let _ = (element.attribute("ID"), element.descendants().count(), element.text());
///     element.children().map(|child| child.local_name().to_owned()).collect()
/// }
/// ```
///
/// Its parent is out of reach:
///
/// ```compile_fail,E0599
/// fn parent(verified: fedgate_dsig::Verified<'_, '_>) {
///     let _ = verified.element().parent();
/// }
/// ```
///
/// and so are its siblings:
///
/// ```compile_fail,E0599
/// fn sibling(verified: fedgate_dsig::Verified<'_, '_>) {
///     let _ = verified.element().next_sibling();
/// }
/// ```
///
/// ```compile_fail,E0599
/// fn sibling(verified: fedgate_dsig::Verified<'_, '_>) {
///     let _ = verified.element().prev_sibling();
/// }
/// ```
///
/// The roxmltree node underneath (which could walk anywhere) is private to `fedgate_xml`:
///
/// ```compile_fail,E0624
/// fn raw(verified: fedgate_dsig::Verified<'_, '_>) {
///     let _ = verified.element().node().parent();
/// }
/// ```
///
/// as are the document's raw tree and the re-export of roxmltree:
///
/// ```compile_fail,E0624
/// fn raw(document: &fedgate_xml::Document<'_>) {
///     let _ = document.tree().root();
/// }
/// ```
///
/// ```compile_fail,E0432
/// use fedgate_xml::roxmltree;
/// ```
///
/// Stable rustdoc does not compare the error codes above; `RUSTC_BOOTSTRAP=1 cargo test -p
/// fedgate-dsig --doc` does, so each block is shown to fail for its stated reason.
#[derive(Debug, Clone, Copy)]
pub struct Verified<'a, 'input> {
    element: Element<'a, 'input>,
    key_index: usize,
    signature_algorithm: SignatureAlgorithm,
    digest_algorithm: DigestAlgorithm,
}

impl<'a, 'input> Verified<'a, 'input> {
    /// The element the signature covers (the Signature's parent).
    pub fn element(&self) -> Element<'a, 'input> {
        self.element
    }

    /// The index, in the trusted key slice, of the key that verified.
    pub fn key_index(&self) -> usize {
        self.key_index
    }

    /// The signature algorithm used.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_algorithm
    }

    /// The digest algorithm used.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest_algorithm
    }
}

/// The parts of a `ds:Signature` after the structural and allow-list checks.
struct ParsedSignature<'a, 'input> {
    signed_info: Element<'a, 'input>,
    canonicalization: C14n,
    signature_algorithm: SignatureAlgorithm,
    digest_algorithm: DigestAlgorithm,
    reference_uri: &'a str,
    transforms: Vec<Element<'a, 'input>>,
    digest_value: Element<'a, 'input>,
    signature_value: Element<'a, 'input>,
    key_info: Option<Element<'a, 'input>>,
}

/// Verifies the enveloped signature `signature` (a `ds:Signature` element of `document`)
/// with `keys`, and returns the element it covers.
///
/// # Errors
/// In the order checked: [`Error::KeyTooWeak`] when `keys` holds an RSA key under 2048 bits
/// and `policy` does not allow weak RSA, [`Error::Malformed`], [`Error::AlgorithmForbidden`],
/// [`Error::Sha1NotAllowed`], [`Error::ReferenceInvalid`], [`Error::ReferenceNotParent`],
/// [`Error::TransformForbidden`] (also for more transforms than the document's
/// [`Limits::max_transforms`](fedgate_xml::Limits::max_transforms)), [`Error::DigestMismatch`],
/// then [`Error::KeyNotTrusted`]
/// or [`Error::SignatureInvalid`] when no key in `keys` verifies.
pub fn verify_enveloped<'a, 'input>(
    document: &'a Document<'input>,
    signature: Element<'a, 'input>,
    keys: &[TrustedKey],
    policy: &Policy,
) -> Result<Verified<'a, 'input>, Error> {
    if !policy.allow_weak_rsa
        && let Some(bits) = keys.iter().find_map(TrustedKey::weak_rsa_bits)
    {
        // A weak key made through `danger` without the matching policy: refuse the whole
        // trust set rather than quietly skip the key.
        return Err(Error::KeyTooWeak { bits });
    }
    let parsed = parse_signature(signature, policy)?;
    // The only step up the tree: from the Signature to the element it envelops.
    let parent = document
        .signature_parent(signature)
        .ok_or_else(|| malformed("the signature has no enveloping parent element"))?;

    // The one Reference must name the Signature's parent by its ID.
    let id = parsed
        .reference_uri
        .strip_prefix('#')
        .filter(|id| !id.is_empty() && !id.contains('('))
        .ok_or_else(|| Error::ReferenceInvalid {
            detail: format!(
                "URI {:?} is not a same-document #id reference",
                parsed.reference_uri
            ),
        })?;
    let referenced = document
        .element_by_id(id)
        .ok_or_else(|| Error::ReferenceInvalid {
            detail: format!("no element has ID {id:?}"),
        })?;
    if referenced != parent {
        return Err(Error::ReferenceNotParent {
            reference: id.to_owned(),
        });
    }

    let transform_c14n =
        reference_canonicalization(&parsed.transforms, document.limits().max_transforms)?;

    let mut canonical = Vec::with_capacity(parent.range().len());
    c14n::canonicalize(parent, &transform_c14n, Some(signature), &mut canonical)?;
    let digest = aws_lc_rs::digest::digest(parsed.digest_algorithm.aws_lc(), &canonical);
    let expected_digest = decode_base64(&parsed.digest_value.text()?)
        .ok_or_else(|| malformed("DigestValue is not base64"))?;
    if digest.as_ref() != expected_digest.as_slice() {
        return Err(Error::DigestMismatch);
    }

    canonical.clear();
    c14n::canonicalize(
        parsed.signed_info,
        &parsed.canonicalization,
        None,
        &mut canonical,
    )?;
    let signature_value = decode_base64(&parsed.signature_value.text()?)
        .ok_or_else(|| malformed("SignatureValue is not base64"))?;
    for (key_index, key) in keys.iter().enumerate() {
        if key.verify(parsed.signature_algorithm, &canonical, &signature_value) {
            return Ok(Verified {
                element: parent,
                key_index,
                signature_algorithm: parsed.signature_algorithm,
                digest_algorithm: parsed.digest_algorithm,
            });
        }
    }
    if names_untrusted_certificate(parsed.key_info, keys) {
        Err(Error::KeyNotTrusted)
    } else {
        Err(Error::SignatureInvalid)
    }
}

/// Checks the structure of the Signature and the algorithm allow-lists, before any
/// reference is resolved or any cryptography runs.
fn parse_signature<'a, 'input>(
    signature: Element<'a, 'input>,
    policy: &Policy,
) -> Result<ParsedSignature<'a, 'input>, Error> {
    if !signature.is(DSIG_NAMESPACE, "Signature") {
        return Err(malformed("not a ds:Signature element"));
    }
    let mut children = signature.children();
    let signed_info = next_named(&mut children, "SignedInfo")?;
    let signature_value = next_named(&mut children, "SignatureValue")?;
    let mut key_info = None;
    for child in children {
        if child.is(DSIG_NAMESPACE, "KeyInfo") && key_info.is_none() {
            key_info = Some(child);
        } else {
            return Err(malformed(&format!(
                "unexpected <{}> in Signature",
                child.local_name()
            )));
        }
    }

    let mut parts = signed_info.children();
    let canonicalization_method = next_named(&mut parts, "CanonicalizationMethod")?;
    let signature_method = next_named(&mut parts, "SignatureMethod")?;
    let references: Vec<Element<'a, 'input>> = parts.collect();
    if let Some(other) = references
        .iter()
        .find(|r| !r.is(DSIG_NAMESPACE, "Reference"))
    {
        return Err(malformed(&format!(
            "unexpected <{}> in SignedInfo",
            other.local_name()
        )));
    }

    let canonicalization = algorithm::canonicalization(
        algorithm_uri(canonicalization_method)?,
        inclusive_prefixes(canonicalization_method)?,
    )?;
    if signature_method.children().next().is_some() {
        // HMACOutputLength and friends: nothing allowed carries parameters.
        return Err(Error::AlgorithmForbidden {
            uri: "SignatureMethod with parameters".to_owned(),
        });
    }
    let signature_algorithm = SignatureAlgorithm::from_uri(algorithm_uri(signature_method)?)?;

    let mut digest_algorithms = Vec::with_capacity(references.len());
    let mut reference_parts = Vec::with_capacity(references.len());
    for reference in &references {
        let mut children = reference.children().peekable();
        let transforms = match children.peek() {
            Some(first) if first.is(DSIG_NAMESPACE, "Transforms") => {
                let transforms = children
                    .next()
                    .map(|t| t.children().collect())
                    .unwrap_or_default();
                Some(transforms)
            }
            _ => None,
        };
        let digest_method = next_named(&mut children, "DigestMethod")?;
        let digest_value = next_named(&mut children, "DigestValue")?;
        if let Some(extra) = children.next() {
            return Err(malformed(&format!(
                "unexpected <{}> in Reference",
                extra.local_name()
            )));
        }
        digest_algorithms.push(DigestAlgorithm::from_uri(algorithm_uri(digest_method)?)?);
        reference_parts.push((transforms.unwrap_or_default(), digest_value));
    }

    if !policy.allow_sha1 {
        if signature_algorithm.is_sha1() {
            return Err(Error::Sha1NotAllowed {
                uri: signature_algorithm.uri().to_owned(),
            });
        }
        if let Some(sha1) = digest_algorithms.iter().find(|d| d.is_sha1()) {
            return Err(Error::Sha1NotAllowed {
                uri: sha1.uri().to_owned(),
            });
        }
    }

    let (Some(digest_algorithm), Some((transforms, digest_value)), Some(reference), 1) = (
        digest_algorithms.first().copied(),
        reference_parts.into_iter().next(),
        references.first(),
        references.len(),
    ) else {
        return Err(Error::ReferenceInvalid {
            detail: format!("expected exactly one Reference, found {}", references.len()),
        });
    };
    let reference_uri = reference
        .attribute("URI")
        .ok_or_else(|| Error::ReferenceInvalid {
            detail: "the Reference has no URI".to_owned(),
        })?;

    Ok(ParsedSignature {
        signed_info,
        canonicalization,
        signature_algorithm,
        digest_algorithm,
        reference_uri,
        transforms,
        digest_value,
        signature_value,
        key_info,
    })
}

/// The canonicalization a Reference's transforms call for: enveloped-signature is required,
/// at most one canonicalization may accompany it, and without one the XML-DSig default
/// (C14N 1.0 without comments) applies.
fn reference_canonicalization(
    transforms: &[Element<'_, '_>],
    max_transforms: usize,
) -> Result<C14n, Error> {
    if transforms.len() > max_transforms {
        return Err(Error::TransformForbidden {
            uri: format!("{} transforms", transforms.len()),
        });
    }
    let mut enveloped = false;
    let mut canonicalization = None;
    for transform in transforms {
        if !transform.is(DSIG_NAMESPACE, "Transform") {
            return Err(malformed(&format!(
                "unexpected <{}> in Transforms",
                transform.local_name()
            )));
        }
        let uri = algorithm_uri(*transform)?;
        if uri == ENVELOPED_SIGNATURE && !enveloped {
            if transform.children().next().is_some() {
                return Err(Error::TransformForbidden {
                    uri: "enveloped-signature with parameters".to_owned(),
                });
            }
            enveloped = true;
            continue;
        }
        if canonicalization.is_some() {
            return Err(Error::TransformForbidden {
                uri: uri.to_owned(),
            });
        }
        let prefixes = inclusive_prefixes(*transform)?;
        canonicalization = Some(algorithm::canonicalization(uri, prefixes).map_err(|_| {
            Error::TransformForbidden {
                uri: uri.to_owned(),
            }
        })?);
    }
    if !enveloped {
        return Err(Error::TransformForbidden {
            uri: "a Reference without the enveloped-signature transform".to_owned(),
        });
    }
    Ok(canonicalization.unwrap_or(C14n::Inclusive10 {
        with_comments: false,
    }))
}

/// The `InclusiveNamespaces PrefixList` under a canonicalization method or transform; any
/// other child element is refused.
fn inclusive_prefixes(method: Element<'_, '_>) -> Result<Vec<String>, Error> {
    let mut prefixes = Vec::new();
    for child in method.children() {
        if !child.is(EXC_C14N_NAMESPACE, "InclusiveNamespaces") || !prefixes.is_empty() {
            return Err(Error::TransformForbidden {
                uri: format!(
                    "{} with <{}>",
                    algorithm_uri(method).unwrap_or("?"),
                    child.local_name()
                ),
            });
        }
        let list = child.attribute("PrefixList").unwrap_or_default();
        prefixes.extend(list.split_ascii_whitespace().map(str::to_owned));
    }
    Ok(prefixes)
}

/// Whether `KeyInfo` carries an X.509 certificate that no trusted key came from.
fn names_untrusted_certificate(key_info: Option<Element<'_, '_>>, keys: &[TrustedKey]) -> bool {
    let Some(key_info) = key_info else {
        return false;
    };
    key_info
        .descendants()
        .filter(|e| e.is(DSIG_NAMESPACE, "X509Certificate"))
        .filter_map(|e| e.text().ok().and_then(|text| decode_base64(&text)))
        .any(|der| {
            !keys
                .iter()
                .any(|key| key.certificate_der() == Some(der.as_slice()))
        })
}

fn next_named<'a, 'input>(
    children: &mut impl Iterator<Item = Element<'a, 'input>>,
    local_name: &str,
) -> Result<Element<'a, 'input>, Error> {
    match children.next() {
        Some(child) if child.is(DSIG_NAMESPACE, local_name) => Ok(child),
        Some(child) => Err(malformed(&format!(
            "expected <{local_name}>, found <{}>",
            child.local_name()
        ))),
        None => Err(malformed(&format!("missing <{local_name}>"))),
    }
}

fn algorithm_uri<'a>(element: Element<'a, '_>) -> Result<&'a str, Error> {
    element
        .attribute("Algorithm")
        .ok_or_else(|| malformed(&format!("<{}> has no Algorithm", element.local_name())))
}

fn malformed(detail: &str) -> Error {
    Error::Malformed {
        detail: detail.to_owned(),
    }
}

/// Decodes base64 as XML carries it: standard alphabet, padding required, with white space
/// (line breaks, indentation) anywhere.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    if !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return engine.decode(text).ok();
    }
    let mut compact = Vec::with_capacity(text.len());
    compact.extend(text.bytes().filter(|b| !b.is_ascii_whitespace()));
    engine.decode(compact).ok()
}
