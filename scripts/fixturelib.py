"""Shared helpers for scripts/gen-attacks.py and scripts/gen-interop.py.

Test keys (created once, committed under tests/keys/), IdP metadata, the AWS-style base
Response, XML-DSig templates, signing with the `xmlsec1` binary, and the cases.json writer.
Everything here is for test fixtures only.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
KEYS = REPO / "tests" / "keys"
XMLSEC1 = os.environ.get("XMLSEC1", "xmlsec1")

# --- namespaces and algorithm URIs ---------------------------------------------------------------
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XENC = "http://www.w3.org/2001/04/xmlenc#"
EC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
NSMAP = {"samlp": SAMLP, "saml": SAML, "ds": DS, "md": MD, "xs": XS, "xsi": XSI, "xenc": XENC, "ec": EC_NS}

RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
DSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#dsa-sha1"
DSA_SHA256 = "http://www.w3.org/2009/xmldsig11#dsa-sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
MD5 = "http://www.w3.org/2001/04/xmldsig-more#md5"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_WC = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"

# --- the fixed scenario ----------------------------------------------------------------------------
ACS_URL = "https://signin.aws.amazon.com/saml"
SP_ENTITY_ID = "urn:amazon:webservices"
ACCOUNT = "123456789012"
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
RSN_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
NAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"

# ID attributes xmlsec1 must know about (it has no schema); also used for verification.
ID_ELEMENTS = [(SAML, "Assertion"), (SAMLP, "Response"), (SAML, "Subject"), (SAML, "Issuer")]


def role_value(role: str = "Agent", provider: str = "IdpA") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role},arn:aws:iam::{ACCOUNT}:saml-provider/{provider}"


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


# --- keys and certificates -------------------------------------------------------------------------
class Key:
    """A committed test key pair: PEM files `<name>.key.pem` and `<name>.cert.pem` in tests/keys/."""

    def __init__(self, name: str):
        self.name = name
        self.key_path = KEYS / f"{name}.key.pem"
        self.cert_path = KEYS / f"{name}.cert.pem"

    @property
    def key(self):
        return serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    def cert_b64(self) -> str:
        """Base64 of the DER certificate, as in ds:X509Certificate (one line)."""
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def ensure_key(name: str, kind: str, cn: str) -> Key:
    """Create `name` once (kind: rsa2048, rsa1024, p256); never overwrite a committed key."""
    k = Key(name)
    if k.key_path.exists() and k.cert_path.exists():
        return k
    KEYS.mkdir(parents=True, exist_ok=True)
    if kind == "rsa2048":
        priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif kind == "rsa1024":
        priv = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    elif kind == "p256":
        priv = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(kind)
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fedgate test fixtures (NOT FOR PRODUCTION)"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])
    serial = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(priv.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc))
        .not_valid_after(dt.datetime(2045, 12, 1, tzinfo=dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(priv, hashes.SHA256())
    )
    k.key_path.write_bytes(priv.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    k.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return k


# --- metadata ---------------------------------------------------------------------------------------
def idp_metadata(entity_id: str, signing: list[tuple[Key, str | None]], sso_base: str) -> bytes:
    """SAML 2.0 EntityDescriptor with one IDPSSODescriptor; each key with its `use` (or none)."""
    ed = etree.Element(q(MD, "EntityDescriptor"), nsmap={"md": MD, "ds": DS}, entityID=entity_id)
    idp = etree.SubElement(ed, q(MD, "IDPSSODescriptor"), WantAuthnRequestsSigned="false",
                           protocolSupportEnumeration=SAMLP)
    for key, use in signing:
        kd = etree.SubElement(idp, q(MD, "KeyDescriptor"))
        if use is not None:
            kd.set("use", use)
        ki = etree.SubElement(kd, q(DS, "KeyInfo"))
        xd = etree.SubElement(ki, q(DS, "X509Data"))
        etree.SubElement(xd, q(DS, "X509Certificate")).text = key.cert_b64()
    etree.SubElement(idp, q(MD, "NameIDFormat")).text = PERSISTENT
    for binding in ("HTTP-Redirect", "HTTP-POST"):
        etree.SubElement(idp, q(MD, "SingleSignOnService"),
                         Binding=f"urn:oasis:names:tc:SAML:2.0:bindings:{binding}", Location=sso_base + "/sso")
    etree.indent(ed, space="  ")
    return etree.tostring(ed, xml_declaration=True, encoding="UTF-8") + b"\n"


# --- the base Response ------------------------------------------------------------------------------
class Doc:
    """Parameters of an AWS-style IdP-initiated Response. Edit fields, then build()."""

    def __init__(self, issuer: str, provider: str = "IdpA", *, issue_instant=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                 response_id="_resp-7c3b1f0e2a4d", assertion_id="_assert-9e1d4c2b8f60"):
        self.issuer = issuer
        self.response_id = response_id
        self.assertion_id = assertion_id
        self.issue_instant = issue_instant
        self.validity = dt.timedelta(hours=1)
        self.nameid = "alice"
        self.attributes: list[tuple[str, list[str]]] = [
            (ROLE_ATTR, [role_value("Agent", provider)]),
            (RSN_ATTR, ["alice"]),
        ]
        self.xsi_string = False  # AttributeValue xsi:type="xs:string"

    def build(self) -> etree._ElementTree:
        t0 = self.issue_instant
        t1 = t0 + self.validity
        nsmap = {"samlp": SAMLP, "saml": SAML}
        if self.xsi_string:
            # declared on the Response only, so that an exclusive-c14n signature of the Assertion
            # needs InclusiveNamespaces PrefixList="xs xsi" (the QName value xs:string does not make
            # the xs prefix visibly used)
            nsmap.update({"xs": XS, "xsi": XSI})
        resp = etree.Element(q(SAMLP, "Response"), nsmap=nsmap)
        resp.set("ID", self.response_id)
        resp.set("Version", "2.0")
        resp.set("IssueInstant", iso(t0))
        resp.set("Destination", ACS_URL)
        etree.SubElement(resp, q(SAML, "Issuer")).text = self.issuer
        st = etree.SubElement(resp, q(SAMLP, "Status"))
        etree.SubElement(st, q(SAMLP, "StatusCode"), Value=SUCCESS)
        a = etree.SubElement(resp, q(SAML, "Assertion"))
        a.set("ID", self.assertion_id)
        a.set("Version", "2.0")
        a.set("IssueInstant", iso(t0))
        etree.SubElement(a, q(SAML, "Issuer")).text = self.issuer
        subj = etree.SubElement(a, q(SAML, "Subject"))
        etree.SubElement(subj, q(SAML, "NameID"), Format=PERSISTENT).text = self.nameid
        sc = etree.SubElement(subj, q(SAML, "SubjectConfirmation"), Method=BEARER)
        etree.SubElement(sc, q(SAML, "SubjectConfirmationData"), NotOnOrAfter=iso(t1), Recipient=ACS_URL)
        cond = etree.SubElement(a, q(SAML, "Conditions"), NotBefore=iso(t0), NotOnOrAfter=iso(t1))
        ar = etree.SubElement(cond, q(SAML, "AudienceRestriction"))
        etree.SubElement(ar, q(SAML, "Audience")).text = SP_ENTITY_ID
        authn = etree.SubElement(a, q(SAML, "AuthnStatement"), AuthnInstant=iso(t0),
                                 SessionNotOnOrAfter=iso(t1), SessionIndex=self.assertion_id)
        ac = etree.SubElement(authn, q(SAML, "AuthnContext"))
        etree.SubElement(ac, q(SAML, "AuthnContextClassRef")).text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        ats = etree.SubElement(a, q(SAML, "AttributeStatement"))
        for name, values in self.attributes:
            attr = etree.SubElement(ats, q(SAML, "Attribute"), Name=name, NameFormat=NAME_FORMAT_URI)
            for v in values:
                av = etree.SubElement(attr, q(SAML, "AttributeValue"))
                if self.xsi_string:
                    av.set(q(XSI, "type"), "xs:string")
                av.text = v
        return etree.ElementTree(resp)


def assertion_of(tree) -> etree._Element:
    return tree.getroot().find(q(SAML, "Assertion"))


# --- signature templates -------------------------------------------------------------------------
def sig_template(ref_uri: str | None, *, sig_alg=RSA_SHA256, digest_alg=SHA256, c14n=EXC_C14N,
                 transforms=(ENVELOPED, EXC_C14N), keyinfo: bool = True, extra_refs=(),
                 prefix_list: str | None = None) -> etree._Element:
    """A ds:Signature template for xmlsec1 (empty DigestValue/SignatureValue/X509Certificate).

    `transforms` items are algorithm URIs or prebuilt ds:Transform elements."""
    sig = etree.Element(q(DS, "Signature"), nsmap={"ds": DS})
    si = etree.SubElement(sig, q(DS, "SignedInfo"))
    etree.SubElement(si, q(DS, "CanonicalizationMethod"), Algorithm=c14n)
    etree.SubElement(si, q(DS, "SignatureMethod"), Algorithm=sig_alg)
    for uri in ([ref_uri] if ref_uri is not None else []) + list(extra_refs):
        ref = etree.SubElement(si, q(DS, "Reference"), URI=uri)
        if transforms:
            tr = etree.SubElement(ref, q(DS, "Transforms"))
            for t in transforms:
                if isinstance(t, str):
                    te = etree.SubElement(tr, q(DS, "Transform"), Algorithm=t)
                    if prefix_list is not None and t in (EXC_C14N, EXC_C14N_WC):
                        etree.SubElement(te, q(EC_NS, "InclusiveNamespaces"), nsmap={"ec": EC_NS},
                                         PrefixList=prefix_list)
                else:
                    tr.append(copy.deepcopy(t))
        etree.SubElement(ref, q(DS, "DigestMethod"), Algorithm=digest_alg)
        etree.SubElement(ref, q(DS, "DigestValue"))
    etree.SubElement(sig, q(DS, "SignatureValue"))
    if keyinfo:
        ki = etree.SubElement(sig, q(DS, "KeyInfo"))
        xd = etree.SubElement(ki, q(DS, "X509Data"))
        etree.SubElement(xd, q(DS, "X509Certificate"))
    return sig


def insert_after_issuer(parent: etree._Element, sig: etree._Element) -> etree._Element:
    """Place `sig` where SAML's schema wants it: right after the element's Issuer (else first)."""
    issuer = parent.find(q(SAML, "Issuer"))
    if issuer is not None:
        issuer.addnext(sig)
    else:
        parent.insert(0, sig)
    return sig


# --- signing with xmlsec1 ------------------------------------------------------------------------------
def _id_args() -> list[str]:
    args = []
    for ns, local in ID_ELEMENTS:
        args += ["--id-attr:ID", f"{ns}:{local}"]
    return args


def xmlsec_sign(xml: bytes, node_xpath: str, *, key: Key | None = None, hmac_key_file: Path | None = None,
                extra_args=()) -> bytes:
    """Sign the template selected by `node_xpath` (local-name() based XPath) with xmlsec1."""
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.xml", Path(d) / "out.xml"
        src.write_bytes(xml)
        cmd = [XMLSEC1, "--sign"]
        if key is not None:
            cmd += ["--privkey-pem", f"{key.key_path},{key.cert_path}"]
        if hmac_key_file is not None:
            cmd += ["--hmackey", str(hmac_key_file)]
        cmd += _id_args() + ["--node-xpath", node_xpath, *extra_args, "--output", str(out), str(src)]
        r = subprocess.run(cmd, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"xmlsec1 --sign failed: {r.stderr.decode(errors='replace')}")
        return out.read_bytes()


def xmlsec_verify(xml: bytes, node_xpath: str, cert: Key, *, strip_keyinfo: bool = True) -> bool:
    """Verify one Signature against one trusted certificate (KeyInfo removed first, so that
    xmlsec1 1.2.x cannot use a key from the message)."""
    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    if strip_keyinfo:  # only the KeyInfo of the signature under test (enveloped, so not digested)
        for sig in tree.getroottree().xpath(node_xpath):
            for ki in sig.findall(q(DS, "KeyInfo")):
                sig.remove(ki)
    data = etree.tostring(tree.getroottree(), xml_declaration=True, encoding="UTF-8")
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in.xml"
        src.write_bytes(data)
        cmd = [XMLSEC1, "--verify", "--pubkey-cert-pem", str(cert.cert_path), *_id_args(),
               "--node-xpath", node_xpath, str(src)]
        r = subprocess.run(cmd, capture_output=True)
        return r.returncode == 0


XP_ASSERTION_SIG = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
XP_RESPONSE_SIG = "/*[local-name()='Response']/*[local-name()='Signature']"


def serialize(tree) -> bytes:
    if isinstance(tree, etree._Element):
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", with_tail=False)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def parse(xml: bytes) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True)))


def sign_doc(tree, *, assertion: bool = False, response: bool = False, key: Key, a_tpl=None, r_tpl=None) -> bytes:
    """Insert templates (defaults: RSA-SHA256, exc-c14n) and sign the Assertion, then the Response."""
    root = tree.getroot()
    a = root.find(q(SAML, "Assertion"))
    if assertion:
        insert_after_issuer(a, a_tpl if a_tpl is not None else sig_template("#" + a.get("ID")))
    if response:
        insert_after_issuer(root, r_tpl if r_tpl is not None else sig_template("#" + root.get("ID")))
    etree.indent(root, space="  ")
    xml = serialize(tree)
    if assertion:
        xml = xmlsec_sign(xml, XP_ASSERTION_SIG, key=key)
    if response:
        xml = xmlsec_sign(xml, XP_RESPONSE_SIG, key=key)
    return xml


def resign_signed_info(sig: etree._Element, key: Key) -> None:
    """Recompute SignatureValue over the (edited) SignedInfo with RSA-SHA256 and exc-c14n,
    leaving the SignatureMethod URI as it is. Used where xmlsec1 refuses to sign (unknown URIs)."""
    si = sig.find(q(DS, "SignedInfo"))
    data = etree.tostring(si, method="c14n", exclusive=True, with_comments=False)
    value = key.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    sig.find(q(DS, "SignatureValue")).text = b64_lines(value)


def b64_lines(data: bytes, width: int = 64) -> str:
    """Base64 in lines of `width`, as xmlsec1 writes it."""
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


# --- manifest ---------------------------------------------------------------------------------------
class Manifest:
    """cases.json in the format of /work/shared/corpus/*/cases.json plus expect_code,
    extra_metadata and allow_sha1 (and truncations on one entry)."""

    def __init__(self, root: Path, *, at: str, idp_metadata: str):
        self.root = root
        self.at = at
        self.idp_metadata = idp_metadata
        self.cases: list[dict] = []

    def write_file(self, rel: str, data: bytes) -> str:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return rel

    def add(self, rel: str, data: bytes | None, *, expect: str, reason: str, code: str | None = None,
            nameid: str | None = None, metadata: str | None = None, extra_metadata=(), at: str | None = None,
            in_response_to=(), sha1: bool = False, allow_sha1: bool = False, b64: bool = False,
            encrypted: bool = False, note: str | None = None, variants=None, **extra) -> dict:
        if data is not None:
            self.write_file(rel, data)
        assert (expect == "accept") == (code is None), rel
        assert expect in ("accept", "reject")
        if expect == "accept":
            assert nameid is not None, rel
        c = {
            "file": rel,
            "idp_metadata": metadata or self.idp_metadata,
            "idp_cert": None,
            "idp_entity_id": None,
            "sp_entity_id": SP_ENTITY_ID,
            "acs_url": ACS_URL,
            "at": at or self.at,
            "expect": expect,
            "reason": reason,
            "sha1": sha1,
            "encrypted": encrypted,
            "base64": b64,
            "in_response_to": list(in_response_to),
            "expect_nameid": nameid,
            "expect_code": code,
            "extra_metadata": list(extra_metadata),
            "allow_sha1": allow_sha1,
        }
        c.update(extra)
        if note:
            c["note"] = note
        if variants:
            c["variants"] = variants
        assert not any(x["file"] == rel for x in self.cases), f"duplicate entry {rel}"
        self.cases.append(c)
        return c

    def save(self) -> None:
        (self.root / "cases.json").write_text(json.dumps(self.cases, indent=1, ensure_ascii=False) + "\n")
