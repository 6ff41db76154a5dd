#!/usr/bin/env python3
"""Generate the interop fixtures tests/interop/ (documents + cases.json): responses produced by
implementations written elsewhere, which fedgate must accept.

Regenerate (after scripts/setup-test-env.sh and scripts/gen-attacks.py, which creates the IdP A key):

    .venv/bin/python scripts/gen-interop.py

- pysaml2/*.xml: a real pysaml2 IdP (`saml2.server.Server` from an `IdPConfig`, xmlsec1 backend)
  answering SP `urn:amazon:webservices` (HTTP-POST ACS https://signin.aws.amazon.com/saml),
  RSA-SHA256 + SHA-256, signing the Assertion only, the Response only, and both. pysaml2 reads
  the wall clock and makes random IDs, so these files change on every run; `at` is the Response
  IssueInstant + 60 s. Its key is tests/keys/pysaml2-idp.*, created once; its metadata
  tests/keys/pysaml2-idp-metadata.xml is written by `saml2.metadata.entity_descriptor`.
- xmlsec1/*.xml: the fixed base Response of gen-attacks.py signed by the `xmlsec1` binary with
  unencrypted PEM keys (IdP A): RSA-SHA512 + SHA-512; and exc-c14n with
  `InclusiveNamespaces PrefixList="xs xsi"` over AttributeValues typed `xsi:type="xs:string"`
  (xs/xsi declared only on the Response, so a verifier that ignores PrefixList gets another digest).
  These are deterministic given the committed key.

Every document is verified with xmlsec1 against the metadata certificate before it is written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixturelib as F  # noqa: E402
from lxml import etree  # noqa: E402

warnings.filterwarnings("ignore", message=".*CFB.*")  # pysaml2 on cryptography >= 48

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.config import IdPConfig  # noqa: E402
from saml2.metadata import entity_descriptor  # noqa: E402
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID  # noqa: E402
from saml2.server import Server  # noqa: E402

OUT = F.REPO / "tests" / "interop"
PYSAML2_ENTITY = "https://pysaml2-idp.example.test/saml"
A_ENTITY = "https://idp-a.example.test/saml"
META_PYSAML2 = "../keys/pysaml2-idp-metadata.xml"
META_A = "../keys/idp-a-metadata.xml"

AWS_SP_METADATA = f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{F.SP_ENTITY_ID}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>{NAMEID_FORMAT_PERSISTENT}</md:NameIDFormat>
    <md:AssertionConsumerService index="1" isDefault="true" Binding="{BINDING_HTTP_POST}" Location="{F.ACS_URL}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""


def pysaml2_server(key: F.Key) -> tuple[Server, IdPConfig]:
    conf = IdPConfig()
    conf.load({
        "entityid": PYSAML2_ENTITY,
        "key_file": str(key.key_path),
        "cert_file": str(key.cert_path),
        "xmlsec_binary": shutil.which(F.XMLSEC1) or "/usr/bin/xmlsec1",
        "crypto_backend": "xmlsec1",
        "service": {
            "idp": {
                "name": "fedgate interop test IdP (pysaml2)",
                "endpoints": {
                    "single_sign_on_service": [
                        (PYSAML2_ENTITY + "/sso/redirect", BINDING_HTTP_REDIRECT),
                        (PYSAML2_ENTITY + "/sso/post", BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 60},
                        "attribute_restrictions": None,
                        # no attribute map: with the uri name format the identity keys are used
                        # verbatim as Attribute/@Name
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                    },
                },
            },
        },
        "metadata": {"inline": [AWS_SP_METADATA]},
    })
    return Server(config=conf), conf


def pysaml2_response(server: Server, *, sign_assertion: bool, sign_response: bool) -> bytes:
    identity = {
        F.ROLE_ATTR: [F.role_value("Agent", "Pysaml2Idp")],
        F.RSN_ATTR: ["alice"],
    }
    resp = server.create_authn_response(
        identity,
        in_response_to=None,  # IdP-initiated, as AWS expects
        destination=F.ACS_URL,
        sp_entity_id=F.SP_ENTITY_ID,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="alice"),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        sign_assertion=sign_assertion,
        sign_response=sign_response,
        sign_alg=F.RSA_SHA256,
        digest_alg=F.SHA256,
    )
    return str(resp).encode()


def check_aws_attributes(xml: bytes, what: str) -> None:
    t = etree.fromstring(xml)
    names = t.xpath("//saml:Attribute/@Name", namespaces=F.NSMAP)
    for want in (F.ROLE_ATTR, F.RSN_ATTR):
        if want not in names:
            raise SystemExit(f"gen-interop: {what}: no Attribute Name={want!r} (got {names})")


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    key = F.ensure_key("pysaml2-idp", "rsa2048", "pysaml2-idp.example.test")
    idp_a = F.Key("idp-a")
    if not idp_a.key_path.exists():
        raise SystemExit("gen-interop: tests/keys/idp-a.* missing: run scripts/gen-attacks.py first")
    server, conf = pysaml2_server(key)
    md = entity_descriptor(conf)
    (F.KEYS / "pysaml2-idp-metadata.xml").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + str(md).encode() + b"\n")

    cases = []
    for name, sa, sr, what in [
        ("assertion-signed", True, False, "Assertion signed"),
        ("response-signed", False, True, "Response signed"),
        ("both-signed", True, True, "Assertion and Response signed"),
    ]:
        xml = pysaml2_response(server, sign_assertion=sa, sign_response=sr)
        check_aws_attributes(xml, name)
        t = etree.fromstring(xml)
        if sa and not F.xmlsec_verify(xml, F.XP_ASSERTION_SIG, key):
            raise SystemExit(f"gen-interop: pysaml2 {name}: assertion signature does not verify")
        if sr and not F.xmlsec_verify(xml, F.XP_RESPONSE_SIG, key):
            raise SystemExit(f"gen-interop: pysaml2 {name}: response signature does not verify")
        algs = set(t.xpath("//ds:SignatureMethod/@Algorithm | //ds:DigestMethod/@Algorithm", namespaces=F.NSMAP))
        assert algs == {F.RSA_SHA256, F.SHA256}, algs
        issued = dt.datetime.strptime(t.get("IssueInstant"), "%Y-%m-%dT%H:%M:%S%z" if t.get("IssueInstant").endswith("+00:00") else "%Y-%m-%dT%H:%M:%SZ")
        at = F.iso(issued.replace(tzinfo=dt.timezone.utc) + dt.timedelta(seconds=60))
        rel = f"pysaml2/{name}.xml"
        (OUT / "pysaml2").mkdir(exist_ok=True)
        (OUT / rel).write_bytes(xml if xml.endswith(b"\n") else xml + b"\n")
        cases.append(case(rel, META_PYSAML2, at,
                          f"pysaml2 7.5.5 IdP (saml2.server.Server, xmlsec1 backend), IdP-initiated, {what}, RSA-SHA256 + SHA-256; AWS Role and RoleSessionName attributes (NameFormat uri)",
                          "pysaml2 reads the wall clock and generates random IDs: the file changes on every regeneration. `at` is the Response IssueInstant + 60 s."))

    # xmlsec1 with unencrypted PEM keys
    (OUT / "xmlsec1").mkdir()
    doc = F.Doc(A_ENTITY, "IdpA")
    x = F.sign_doc(doc.build(), assertion=True, key=idp_a,
                   a_tpl=F.sig_template("#" + doc.assertion_id, sig_alg=F.RSA_SHA512, digest_alg=F.SHA512))
    assert F.xmlsec_verify(x, F.XP_ASSERTION_SIG, idp_a)
    (OUT / "xmlsec1/rsa-sha512.xml").write_bytes(x)
    cases.append(case("xmlsec1/rsa-sha512.xml", META_A, "2026-01-01T00:01:00Z",
                      "fixed base Response (IdP A) with the Assertion signed by xmlsec1 1.2.37 (--privkey-pem, no password): RSA-SHA512 signature, SHA-512 digest, exc-c14n",
                      None))
    doc = F.Doc(A_ENTITY, "IdpA")
    doc.xsi_string = True
    x = F.sign_doc(doc.build(), assertion=True, key=idp_a,
                   a_tpl=F.sig_template("#" + doc.assertion_id, prefix_list="xs xsi"))
    assert F.xmlsec_verify(x, F.XP_ASSERTION_SIG, idp_a)
    assert b'PrefixList="xs xsi"' in x and b'xsi:type="xs:string"' in x
    (OUT / "xmlsec1/exc-c14n-inclusive-namespaces.xml").write_bytes(x)
    cases.append(case("xmlsec1/exc-c14n-inclusive-namespaces.xml", META_A, "2026-01-01T00:01:00Z",
                      "Assertion signed by xmlsec1 with exc-c14n whose Transform carries InclusiveNamespaces PrefixList=\"xs xsi\"; AttributeValues are xsi:type=\"xs:string\" and xs/xsi are declared only on the (unsigned) Response",
                      "The digest covers the xs and xsi declarations because of PrefixList; a canonicaliser that ignores PrefixList computes another digest and would wrongly report digest_mismatch."))

    import json
    (OUT / "README.md").write_text(
        "# Interop fixtures (generated)\n\nGenerated by `scripts/gen-interop.py` (see its header); do not edit by hand.\n"
        "`pysaml2/`: responses from a real pysaml2 7.5.5 IdP (wall clock, random IDs: they change on every run).\n"
        "`xmlsec1/`: the fixed base Response signed by the xmlsec1 binary (RSA-SHA512; exc-c14n with InclusiveNamespaces).\n"
        "`cases.json`: same format as tests/attacks/cases.json (see tests/attacks/README.md); every case is an accept.\n")
    (OUT / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    print("gen-interop: wrote", len(cases), "cases")


def case(rel, metadata, at, reason, note):
    c = {
        "file": rel, "idp_metadata": metadata, "idp_cert": None, "idp_entity_id": None,
        "sp_entity_id": F.SP_ENTITY_ID, "acs_url": F.ACS_URL, "at": at, "expect": "accept",
        "reason": reason, "sha1": False, "encrypted": False, "base64": False, "in_response_to": [],
        "expect_nameid": "alice", "expect_code": None, "extra_metadata": [], "allow_sha1": False,
    }
    if note:
        c["note"] = note
    return c


if __name__ == "__main__":
    main()
