"""The SimpleSAMLphp IdP harness (tests/e2e/simplesamlphp.py) on its own, no fedgate involved.

A real SimpleSAMLphp 1.19 IdP (``php -S``) with one user and one remote SP whose ACS is a small
``http.server`` in a thread on 127.0.0.1 that records what is POSTed to it. The IdP-initiated flow is
driven as a browser would (``requests`` with a cookie jar): GET the SSO URL, follow the redirect to
the login page, POST username / password with the hidden ``AuthState``, take the auto-submitting
form and POST its ``SAMLResponse`` / ``RelayState`` to the ACS. The captured Response is checked
with ``xmlsec1`` (both signatures: Response and Assertion) and field by field.
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest
from lxml import etree

from simplesamlphp import (
    ATTRNAME_FORMAT_URI, AWS_ROLE, AWS_ROLE_SESSION_NAME, AWS_SP_ENTITY_ID, NAMEID_PERSISTENT, RSA_SHA256,
    IdpUser, SimpleSamlPhpIdp, make_key_and_cert, parse_forms,
)

XMLSEC1 = os.environ.get("XMLSEC1", "xmlsec1")
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
SHA256_DIGEST = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RESPONSE_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Signature']"
ASSERTION_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"

ROLES = [
    "arn:aws:iam::000000000000:role/Developer,arn:aws:iam::000000000000:saml-provider/SimpleSAMLphp",
    "arn:aws:iam::000000000000:role/ReadOnly,arn:aws:iam::000000000000:saml-provider/SimpleSAMLphp",
]
USER = IdpUser("alice", "correct horse battery staple", {
    AWS_ROLE: ROLES,
    AWS_ROLE_SESSION_NAME: ["alice@example.org"],
})
# Characters that must survive the round trip untouched: '&', '=', '?', '#', '%', space, non-ASCII.
RELAY_STATE = "https://console.aws.amazon.com/ec2/home?region=us-east-1&x=a%20b#Instances:sort=id ü"


# --- the dummy SP's ACS ---------------------------------------------------------------------------------
class AcsServer:
    """A one-path HTTP server on 127.0.0.1 that records every form POSTed to ``/acs``."""

    def __init__(self):
        self.posts: list[dict[str, list[str]]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/acs":
                    self.send_error(404)
                    return
                owner.posts.append(urllib.parse.parse_qs(body.decode("ascii"), keep_blank_values=True))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/acs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="acs", daemon=True)

    def __enter__(self) -> "AcsServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def acs():
    with AcsServer() as server:
        yield server


@pytest.fixture(scope="module")
def idp(acs):
    with SimpleSamlPhpIdp([USER], acs_url=acs.url) as running:
        yield running


# --- helpers --------------------------------------------------------------------------------------------
def xmlsec1_verify(xml: bytes, cert: Path, node_xpath: str, tmp_path: Path) -> subprocess.CompletedProcess:
    if shutil.which(XMLSEC1) is None:
        pytest.fail("xmlsec1 not found on PATH (Debian package xmlsec1; run scripts/setup-test-env.sh)")
    doc = tmp_path / "response.xml"
    doc.write_bytes(xml)
    return subprocess.run(
        [XMLSEC1, "--verify", "--enabled-reference-uris", "same-doc",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
         "--pubkey-cert-pem", str(cert), "--node-xpath", node_xpath, str(doc)],
        capture_output=True, text=True, timeout=30)


def assert_sha256_signature(sig: etree._Element, signed: etree._Element, cert_pem: str) -> None:
    """An enveloped exc-c14n RSA-SHA256 / SHA-256 signature over ``signed`` with our certificate in KeyInfo."""
    assert sig.getparent() is signed
    assert sig.xpath("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", namespaces=NS) == [EXC_C14N]
    assert sig.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=NS) == [RSA_SHA256]
    refs = sig.xpath("ds:SignedInfo/ds:Reference", namespaces=NS)
    assert len(refs) == 1
    assert refs[0].get("URI") == "#" + signed.get("ID")
    assert refs[0].xpath("ds:DigestMethod/@Algorithm", namespaces=NS) == [SHA256_DIGEST]
    embedded = "".join(sig.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()", namespaces=NS)).split()
    assert "".join(embedded) == pem_body(cert_pem)


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def browser_flow(idp: SimpleSamlPhpIdp, acs: AcsServer, relay_state: str):
    """The IdP-initiated flow, step by step. Returns the form the ACS received."""
    browser = idp.new_session()

    # 1. The SSO URL redirects (302) to the login page of the example-userpass source.
    r = browser.get(idp.idp_initiated_url(relay_state), timeout=10)
    assert r.status_code == 200, r.text[:2000]
    assert [h.status_code for h in r.history] == [302]
    assert r.url.startswith(idp.url("module.php/core/loginuserpass.php?AuthState=")), r.url
    assert browser.cookies.get("SimpleSAML"), f"no PHP session cookie: {browser.cookies.keys()}"
    forms = parse_forms(r.text, r.url)
    assert len(forms) == 1, r.text[:3000]
    login = forms[0]
    assert login.method == "post"
    assert {idp.USERNAME_FIELD, idp.PASSWORD_FIELD, idp.AUTH_STATE_FIELD} <= set(login.fields), login.fields

    # 2. Username and password with the hidden AuthState: the auto-submitting form for the ACS.
    data = dict(login.fields, **{idp.USERNAME_FIELD: USER.username, idp.PASSWORD_FIELD: USER.password})
    r = browser.post(login.action, data=data, timeout=10)
    assert r.status_code == 200, r.text[:3000]
    forms = parse_forms(r.text, r.url)
    assert len(forms) == 1, f"expected the auto-submit form:\n{r.text[:3000]}\n{idp.logs()}"
    post = forms[0]
    assert post.method == "post"
    assert post.action == acs.url
    assert set(post.fields) == {idp.SAML_RESPONSE_FIELD, idp.RELAY_STATE_FIELD}, post.fields

    # 3. The browser POSTs it to the SP.
    before = len(acs.posts)
    r = browser.post(post.action, data=post.fields, timeout=10)
    assert r.status_code == 200 and r.text == "ok"
    assert len(acs.posts) == before + 1
    return acs.posts[-1]


# --- tests ----------------------------------------------------------------------------------------------
def test_metadata_describes_the_idp(idp):
    md = etree.fromstring(idp.metadata_xml())
    assert md.tag == f"{{{NS['md']}}}EntityDescriptor"
    assert md.get("entityID") == idp.entity_id == idp.metadata_url
    (sso_desc,) = md.xpath("md:IDPSSODescriptor", namespaces=NS)
    assert "urn:oasis:names:tc:SAML:2.0:protocol" in sso_desc.get("protocolSupportEnumeration")
    signing = sso_desc.xpath("md:KeyDescriptor[@use='signing' or not(@use)]//ds:X509Certificate/text()",
                             namespaces=NS)
    assert ["".join(c.split()) for c in signing] == [pem_body(idp.cert_pem)]
    locations = sso_desc.xpath("md:SingleSignOnService/@Location", namespaces=NS)
    assert locations and set(locations) == {idp.sso_url}


def test_idp_initiated_flow_posts_a_signed_aws_response(idp, acs, tmp_path):
    captured = browser_flow(idp, acs, RELAY_STATE)
    assert captured["RelayState"] == [RELAY_STATE]
    (b64,) = captured["SAMLResponse"]
    xml = base64.b64decode(b64, validate=True)
    (tmp_path / "idp.crt").write_text(idp.cert_pem)

    # Both signatures verify with the IdP's certificate (xmlsec1 is the oracle).
    for node in (RESPONSE_SIGNATURE, ASSERTION_SIGNATURE):
        v = xmlsec1_verify(xml, idp.cert_path, node, tmp_path)
        assert v.returncode == 0 and "OK" in v.stdout + v.stderr, f"{node}: {v.stdout}{v.stderr}\n{xml.decode()}"

    root = etree.fromstring(xml)
    assert root.tag == f"{{{NS['samlp']}}}Response"
    assert root.get("Destination") == acs.url
    assert root.xpath("samlp:Status/samlp:StatusCode/@Value", namespaces=NS) == [
        "urn:oasis:names:tc:SAML:2.0:status:Success"]
    assert root.xpath("saml:Issuer/text()", namespaces=NS) == [idp.entity_id]
    assert not root.xpath("saml:EncryptedAssertion", namespaces=NS)
    (assertion,) = root.xpath("saml:Assertion", namespaces=NS)
    assert_sha256_signature(root.xpath("ds:Signature", namespaces=NS)[0], root, idp.cert_pem)
    assert_sha256_signature(assertion.xpath("ds:Signature", namespaces=NS)[0], assertion, idp.cert_pem)

    assert assertion.xpath("saml:Issuer/text()", namespaces=NS) == [idp.entity_id]
    (name_id,) = assertion.xpath("saml:Subject/saml:NameID", namespaces=NS)
    assert (name_id.text, name_id.get("Format")) == (USER.username, NAMEID_PERSISTENT)
    (scd,) = assertion.xpath("saml:Subject/saml:SubjectConfirmation"
                             "[@Method='urn:oasis:names:tc:SAML:2.0:cm:bearer']/saml:SubjectConfirmationData",
                             namespaces=NS)
    assert scd.get("Recipient") == acs.url
    assert scd.get("NotOnOrAfter")
    assert scd.get("InResponseTo") is None  # IdP-initiated
    assert assertion.xpath("saml:Conditions/saml:AudienceRestriction/saml:Audience/text()",
                           namespaces=NS) == [AWS_SP_ENTITY_ID]

    attrs = {a.get("Name"): a for a in assertion.xpath("saml:AttributeStatement/saml:Attribute", namespaces=NS)}
    assert set(attrs) == {AWS_ROLE, AWS_ROLE_SESSION_NAME}  # the NameID helper attribute is not leaked
    for name, a in attrs.items():
        assert a.get("NameFormat") == ATTRNAME_FORMAT_URI, name
    assert attrs[AWS_ROLE].xpath("saml:AttributeValue/text()", namespaces=NS) == ROLES
    assert attrs[AWS_ROLE_SESSION_NAME].xpath("saml:AttributeValue/text()", namespaces=NS) == ["alice@example.org"]


def test_signatures_do_not_verify_when_tampered_or_with_another_key(idp, acs, tmp_path):
    """The xmlsec1 check above is not vacuous: a changed attribute value or another key fails it."""
    (b64,) = browser_flow(idp, acs, "tamper")["SAMLResponse"]
    xml = base64.b64decode(b64)
    assert ROLES[0].encode() in xml
    tampered = xml.replace(ROLES[0].encode(), ROLES[0].replace("Developer", "Admin").encode())
    for node in (RESPONSE_SIGNATURE, ASSERTION_SIGNATURE):
        v = xmlsec1_verify(tampered, idp.cert_path, node, tmp_path)
        assert v.returncode != 0, f"tampered {node} verified: {v.stdout}{v.stderr}"
    other_key, other_cert = tmp_path / "other.key", tmp_path / "other.crt"
    make_key_and_cert(other_key, other_cert, "someone else")
    for node in (RESPONSE_SIGNATURE, ASSERTION_SIGNATURE):
        v = xmlsec1_verify(xml, other_cert, node, tmp_path)
        assert v.returncode != 0, f"{node} verified with another certificate: {v.stdout}{v.stderr}"


def test_wrong_password_shows_the_login_page_again(idp, acs):
    browser = idp.new_session()
    r, login = idp.login_page(browser, "wrong-password")
    before = len(acs.posts)
    r = idp.submit_login(browser, login, USER.username, USER.password + "x")
    assert r.status_code == 200
    assert r.url == login.action  # no redirect: the same page, rendered again
    forms = parse_forms(r.text, r.url)
    assert [f.action for f in forms] == [login.action]
    again = forms[0]
    assert again.fields[idp.USERNAME_FIELD] == USER.username
    assert again.fields[idp.PASSWORD_FIELD] == ""
    assert again.fields[idp.AUTH_STATE_FIELD] == login.fields[idp.AUTH_STATE_FIELD]
    assert idp.SAML_RESPONSE_FIELD not in r.text
    assert "Incorrect username or password" in r.text
    assert len(acs.posts) == before

    # An unknown user gets the same page; the right password on the re-rendered form then works.
    r = idp.submit_login(browser, again, "mallory", USER.password)
    assert "Incorrect username or password" in r.text and idp.SAML_RESPONSE_FIELD not in r.text
    r = idp.submit_login(browser, parse_forms(r.text, r.url)[0], USER.username, USER.password)
    (post,) = [f for f in parse_forms(r.text, r.url) if idp.SAML_RESPONSE_FIELD in f.fields]
    assert post.action == acs.url
    assert post.fields[idp.RELAY_STATE_FIELD] == "wrong-password"


def test_sign_in_helper_returns_the_acs_form(idp, acs):
    form = idp.sign_in(USER.username, USER.password, relay_state="via-helper")
    assert form.action == acs.url
    assert form.fields[idp.RELAY_STATE_FIELD] == "via-helper"
    xml = base64.b64decode(form.fields[idp.SAML_RESPONSE_FIELD])
    assert etree.fromstring(xml).xpath("saml:Assertion/saml:Subject/saml:NameID/text()",
                                       namespaces=NS) == [USER.username]
