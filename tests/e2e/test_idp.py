"""fedgate's built-in SAML 2.0 IdP (`fedgate idp --config idp.toml`) as a black box, with a real
SAML service provider on the other side: pysaml2's ``Saml2Client`` (tests/e2e/pysaml2_sp.py).

One IdP for the module (``env``), started from a TOML file written here, with three users and three
applications:

- ``pysaml2-sp``: pysaml2 SP 1, whose metadata says ``AuthnRequestsSigned="true"`` and lists two
  ACS URLs (the default one and ``acs_md``); a third (``acs_extra``) is registered only through
  ``acs_urls``. Group ``agents``; AWS attributes (roles for some groups / for all, RoleSessionName,
  SessionDuration) and plain attributes from templates and fixed strings;
- ``second-sp``: pysaml2 SP 2, ``AuthnRequestsSigned="false"``, open to every user, NameID = email;
- ``admin-app``: group ``admins`` (nobody here).

Tests that leave state behind in the IdP (the login rate limiter, other key types, restarts) run
their own IdP (``make_env``). The browser is ``requests`` with a cookie jar (idp_harness.IdpBrowser);
the IdP's answers are checked against the contract, the SAML responses by pysaml2, ``xmlsec1``
and ``fedgate saml check``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import stat
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from harness import FEDGATE_BIN, free_port, server_env
from idp_harness import (
    ASSERTION_SIGNATURE, AWS_ROLE, AWS_ROLE_SESSION_NAME, AWS_SESSION_DURATION, BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT, NAMEID_PERSISTENT, NS, RESPONSE_SIGNATURE, IdpBrowser, IdpProcess, Page, SamlPost,
    hash_password, parse_xml, pem_body, saml_post_of, signing_cert_pem, signing_certs_b64, xmlsec1_verify,
)
from pysaml2_sp import DIGEST_SHA256, SIG_RSA_SHA256, Pysaml2Sp

NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
SIG_ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ACCOUNT = "000000000000"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/primary"
ROLE_AGENT = f"arn:aws:iam::{ACCOUNT}:role/Agent"
ROLE_SUPERVISOR = f"arn:aws:iam::{ACCOUNT}:role/Supervisor"
ROLE_READONLY = f"arn:aws:iam::{ACCOUNT}:role/ReadOnly"


@dataclasses.dataclass(frozen=True)
class User:
    username: str
    password: str
    email: str
    groups: tuple[str, ...]


ALICE = User("alice", "alice-" + secrets.token_urlsafe(12), "alice@example.com", ("agents",))
DAVE = User("dave", "dave-" + secrets.token_urlsafe(12), "dave@example.com", ("contractors",))
ERIN = User("erin", "erin-" + secrets.token_urlsafe(12), "erin@example.com", ("agents",))
# hashed from `echo <password> | fedgate idp hash-password` (the password and a newline on stdin)
GRACE = User("grace", "grace-" + secrets.token_urlsafe(12), "grace@example.com", ("agents",))
USERS = (ALICE, DAVE, ERIN, GRACE)


# --- one IdP with its two SPs -------------------------------------------------------------------------------
class IdpEnv:
    """An IdP process, its configuration, the two pysaml2 SPs registered with it and a third one
    (``stranger``) that is not."""

    def __init__(self, root: Path, *, key_type: str = "rsa-2048", sign_response: bool = False,
                 explicit_urls: bool = False):
        self.root = root
        port = free_port()
        sp_base, sp2_base, stranger_base = (f"http://127.0.0.1:{free_port()}" for _ in range(3))
        self.acs = sp_base + "/acs"
        self.acs_md = sp_base + "/acs-from-metadata"     # in SP 1's metadata only
        self.acs_extra = sp_base + "/acs-extra"          # in the application's acs_urls only
        self.acs2 = sp2_base + "/acs"
        self.admin_acs = f"http://127.0.0.1:{free_port()}/admin-acs"
        self.sp = Pysaml2Sp(root / "sp1", sp_base + "/sp.xml", [self.acs, self.acs_md],
                            acs_urls=[self.acs, self.acs_md, self.acs_extra], authn_requests_signed=True,
                            want_response_signed=sign_response)
        self.sp2 = Pysaml2Sp(root / "sp2", sp2_base + "/sp.xml", [self.acs2], authn_requests_signed=False,
                             want_response_signed=sign_response)
        self.stranger = Pysaml2Sp(root / "stranger", stranger_base + "/sp.xml", [stranger_base + "/acs"])
        self.sp.metadata_xml()
        self.sp2.metadata_xml()
        config = {
            "listen": f"127.0.0.1:{port}",
            "data_dir": "idp-data",
            "key_type": key_type,
            "display_name": "fedgate e2e IdP",
            "sign_response": sign_response,
            "users": [
                {"username": u.username,
                 "password_hash": hash_password(u.password, "\n" if u is GRACE else ""),
                 "email": u.email, "groups": list(u.groups), "attributes": {"department": "support"}}
                for u in USERS
            ],
            "applications": [
                {
                    "id": "pysaml2-sp",
                    "name": "Test SP",
                    "acs_url": self.acs,
                    "acs_urls": [self.acs_extra],
                    "audience": self.sp.entity_id,
                    "relay_state": "/welcome",
                    "name_id_format": NAMEID_PERSISTENT,
                    "name_id": "${user.username}",
                    "sp_metadata": "sp1/sp-metadata.xml",  # relative to the config file
                    "groups": ["agents"],
                    "role_session_name": "${user.username}",
                    "session_duration": 3600,
                    "roles": [
                        {"role": ROLE_AGENT, "provider": PROVIDER, "groups": ["agents"]},
                        {"role": ROLE_SUPERVISOR, "provider": PROVIDER, "groups": ["supervisors"]},
                        {"role": ROLE_READONLY, "provider": PROVIDER},  # no groups: every user
                    ],
                    "attributes": [
                        {"name": "email", "values": ["${user.email}"]},
                        {"name": "groups", "values": ["${user.groups}"]},
                        {"name": "tier", "values": ["gold"]},
                    ],
                },
                {
                    "id": "second-sp",
                    "name": "Second SP",
                    "acs_url": self.acs2,
                    "audience": self.sp2.entity_id,
                    "name_id_format": NAMEID_EMAIL,
                    "name_id": "${user.email}",
                    "sp_metadata": "sp2/sp-metadata.xml",
                },
                {
                    "id": "admin-app",
                    "name": "Admin App",
                    "acs_url": self.admin_acs,
                    "audience": "urn:fedgate-e2e:admin-app",
                    "groups": ["admins"],
                },
            ],
        }
        if explicit_urls:
            config["base_url"] = f"http://127.0.0.1:{port}"
            config["entity_id"] = f"http://127.0.0.1:{port}/idp-entity"
        self.idp = IdpProcess(root, config, port=port)
        self.metadata: bytes = b""
        self.cert_pem = ""

    def start(self) -> "IdpEnv":
        self.idp.start()
        self.metadata = self.idp.metadata_xml()
        self.cert_pem = signing_cert_pem(self.metadata)
        self.client = self.sp.client(self.metadata)
        self.client2 = self.sp2.client(self.metadata)
        self.stranger_client = self.stranger.client(self.metadata)
        return self

    @property
    def base_url(self) -> str:
        return self.idp.base_url

    def browser(self, **kw) -> IdpBrowser:
        return self.idp.browser(**kw)

    def logged_in(self, user: User = ALICE) -> tuple[IdpBrowser, Page]:
        b = self.browser()
        return b, b.login(user.username, user.password)


@pytest.fixture(scope="module")
def make_env(fedgate_bin, tmp_path_factory):
    """Factory: make_env(**IdpEnv options) -> a started IdpEnv; all are stopped (exit 0) at the end."""
    envs: list[IdpEnv] = []

    def make(**kw) -> IdpEnv:
        env = IdpEnv(tmp_path_factory.mktemp("idp"), **kw)
        envs.append(env)
        return env.start()

    yield make
    failures = []
    for e in envs:
        if e.idp.proc is not None:
            try:
                e.idp.stop()
            except BaseException as exc:  # noqa: BLE001 - report every IdP
                failures.append(str(exc))
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture(scope="module")
def env(make_env) -> IdpEnv:
    return make_env()


# --- helpers ---------------------------------------------------------------------------------------------
def attributes(root) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in root.xpath("saml:Assertion/saml:AttributeStatement/saml:Attribute", namespaces=NS):
        out.setdefault(a.get("Name"), []).extend(
            (v.text or "") for v in a.xpath("saml:AttributeValue", namespaces=NS))
    return out


def role_pairs(values: list[str]) -> set[tuple[str, str]]:
    """AWS Role values as (role ARN, provider ARN), in either order within a value (AWS takes both)."""
    pairs = set()
    for v in values:
        a, b = (x.strip() for x in v.split(","))
        pairs.add((a, b) if ":role/" in a else (b, a))
    return pairs


def only(xs: list, what: str):
    assert len(xs) == 1, f"expected one {what}, got {len(xs)}: {xs}"
    return xs[0]


def check_response(env: IdpEnv, post: SamlPost, *, acs: str, audience: str,
                   in_response_to: str | None) -> None:
    """The Response's addressing fields, read from the XML (what any SP relies on)."""
    root = post.root()
    xml = post.xml.decode(errors="replace")
    assert root.tag == f"{{{NS['samlp']}}}Response", xml
    assert root.get("Destination") == acs, xml
    assert root.get("InResponseTo") == in_response_to, xml
    assert root.xpath("samlp:Status/samlp:StatusCode/@Value", namespaces=NS) == [
        "urn:oasis:names:tc:SAML:2.0:status:Success"], xml
    assert root.xpath("saml:Issuer/text()", namespaces=NS) == [env.idp.entity_id], xml
    assertion = only(root.xpath("saml:Assertion", namespaces=NS), "Assertion")
    assert assertion.xpath("saml:Issuer/text()", namespaces=NS) == [env.idp.entity_id], xml
    scd = only(assertion.xpath("saml:Subject/saml:SubjectConfirmation[@Method='urn:oasis:names:tc:SAML:2.0:cm:bearer']"
                               "/saml:SubjectConfirmationData", namespaces=NS), "bearer SubjectConfirmationData")
    assert scd.get("Recipient") == acs, xml
    assert scd.get("InResponseTo") == in_response_to, xml
    assert scd.get("NotOnOrAfter"), xml
    assert assertion.xpath("saml:Conditions/saml:AudienceRestriction/saml:Audience/text()",
                           namespaces=NS) == [audience], xml
    assert "argon2" not in xml, "a password hash leaked into the response"


def redirect_request(client, env: IdpEnv, *, sign: bool = True, relay_state: str = "sp-state", **kw) -> tuple[str, str]:
    """An AuthnRequest for HTTP-Redirect: (request ID, the Location URL to /sso)."""
    reqid, info = client.prepare_for_authenticate(
        entityid=env.idp.entity_id, binding=BINDING_HTTP_REDIRECT, sign=sign,
        sigalg=SIG_RSA_SHA256, relay_state=relay_state, **kw)
    location = dict(info["headers"])["Location"]
    assert location.startswith(env.base_url + "/sso?"), f"pysaml2 took the SSO URL {location[:200]} from the metadata"
    return reqid, location


def post_request(client, env: IdpEnv, *, sign: bool = True, relay_state: str = "sp-state",
                 **kw) -> tuple[str, str, dict[str, str]]:
    """An AuthnRequest for HTTP-POST: (request ID, the form action, the form fields)."""
    import lxml.html

    reqid, info = client.prepare_for_authenticate(
        entityid=env.idp.entity_id, binding=BINDING_HTTP_POST, sign=sign,
        sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, relay_state=relay_state, **kw)
    form = lxml.html.document_fromstring(info["data"]).xpath("//form")[0]
    fields = {i.get("name"): i.get("value") for i in form.xpath(".//input[@name]")}
    assert form.get("action") == env.base_url + "/sso", f"pysaml2 took the SSO URL {form.get('action')} from the metadata"
    return reqid, form.get("action"), fields


def send_request(browser: IdpBrowser, client, env: IdpEnv, binding: str, **kw) -> tuple[str, Page]:
    """An SP-initiated request through ``browser``: (request ID, the IdP's answer)."""
    if binding == BINDING_HTTP_REDIRECT:
        reqid, location = redirect_request(client, env, **kw)
        return reqid, browser.follow_redirect_request(location)
    reqid, action, fields = post_request(client, env, **kw)
    return reqid, browser.post_request(action, fields)


def sp_accepts(client, post: SamlPost, outstanding: dict[str, str] | None = None):
    """pysaml2's verdict: the parsed AuthnResponse (pysaml2 raises on a response it refuses)."""
    try:
        resp = client.parse_authn_request_response(post.saml_response, BINDING_HTTP_POST, outstanding=outstanding)
    except Exception as e:  # noqa: BLE001 - show pysaml2's reason with the document
        pytest.fail(f"pysaml2 refused the IdP's response: {type(e).__name__}: {e}\n{post.xml.decode(errors='replace')}")
    assert resp is not None, f"pysaml2 returned no response for:\n{post.xml.decode(errors='replace')}"
    return resp


def assert_idp_error(page: Page, code: str, status: int | None = None) -> None:
    assert page.page == "idp-error", f"expected the idp-error page ({code}): {page.describe()}"
    assert page.error_code == code, f"expected data-error-code={code!r}: {page.describe()}"
    assert page.reference, f"the error page carries no data-reference: {page.describe()}"
    if status is not None:
        assert page.status == status, page.describe()
    else:
        assert 400 <= page.status < 500, page.describe()
    assert "SAMLResponse" not in page.text, f"an error page carries a SAMLResponse: {page.describe()}"


def no_response(page: Page) -> None:
    assert page.page != "idp-post" and "SAMLResponse" not in page.text, \
        f"the IdP answered with a SAML response: {page.describe()}"


def split_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL without its query, and the query's raw (still percent-encoded) name/value pairs."""
    base, _, query = url.partition("?")
    return base, [tuple(p.split("=", 1)) for p in query.split("&")]  # type: ignore[misc]


def join_query(base: str, pairs: list[tuple[str, str]]) -> str:
    return base + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def saml_check(tmp_path: Path, env: IdpEnv, post: SamlPost, *, audience: str, acs: str,
               in_response_to: str | None = None) -> dict:
    doc, md = tmp_path / f"response-{secrets.token_hex(4)}.xml", tmp_path / "idp-metadata.xml"
    doc.write_bytes(post.xml)
    md.write_bytes(env.metadata)
    cmd = [str(FEDGATE_BIN), "saml", "check", str(doc), "--metadata", str(md), "--sp-entity-id", audience,
           "--acs-url", acs, "--json"]
    if in_response_to:
        cmd += ["--in-response-to", in_response_to]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=server_env())
    assert r.returncode == 0, (f"`fedgate saml check` refused the IdP's response (status {r.returncode}):\n"
                               f"{r.stdout}\n{r.stderr}\n{post.xml.decode(errors='replace')}")
    report = json.loads(r.stdout)
    assert report["valid"] is True, report
    return report


# --- metadata and keys -----------------------------------------------------------------------------------------
def test_metadata_describes_the_idp(env):
    md = parse_xml(env.metadata)
    assert md.tag == f"{{{NS['md']}}}EntityDescriptor"
    assert md.get("entityID") == env.base_url + "/metadata"  # the default entity_id
    idp = only(md.xpath("md:IDPSSODescriptor", namespaces=NS), "IDPSSODescriptor")
    assert "urn:oasis:names:tc:SAML:2.0:protocol" in idp.get("protocolSupportEnumeration", "")
    sso = {(s.get("Binding"), s.get("Location")) for s in idp.xpath("md:SingleSignOnService", namespaces=NS)}
    assert {(BINDING_HTTP_REDIRECT, env.base_url + "/sso"), (BINDING_HTTP_POST, env.base_url + "/sso")} <= sso, sso
    # the signing certificate is the one created in data_dir
    cert_file = env.idp.data_dir / "signing-cert.pem"
    assert cert_file.is_file(), f"no {cert_file}"
    assert signing_certs_b64(env.metadata) == [pem_body(cert_file.read_text())]
    import requests

    assert requests.get(env.base_url + "/healthz", timeout=30).status_code == 200


def test_explicit_base_url_and_entity_id(make_env):
    e = make_env(explicit_urls=True)
    md = parse_xml(e.metadata)
    assert md.get("entityID") == e.idp.base_url + "/idp-entity"
    b, portal = e.logged_in()
    post = saml_post_of(b.launch("pysaml2-sp", portal))
    check_response(e, post, acs=e.acs, audience=e.sp.entity_id, in_response_to=None)
    sp_accepts(e.client, post)


def test_signing_key_is_created_once_private_and_kept(make_env):
    e = make_env()
    key, cert = e.idp.data_dir / "signing-key.pem", e.idp.data_dir / "signing-cert.pem"
    assert key.is_file() and cert.is_file(), sorted(p.name for p in e.idp.data_dir.iterdir())
    mode = stat.S_IMODE(key.stat().st_mode)
    assert mode == 0o600, f"signing-key.pem has mode {oct(mode)}, not 0600"
    key_before, cert_before = key.read_bytes(), cert.read_bytes()
    e.idp.stop()
    e.idp.start()
    assert key.read_bytes() == key_before and cert.read_bytes() == cert_before, "the signing key changed on restart"
    assert signing_certs_b64(e.idp.metadata_xml()) == signing_certs_b64(e.metadata)


# --- IdP-initiated and SP-initiated sign-in, accepted by pysaml2 -----------------------------------------------
def test_portal_tile_posts_a_response_pysaml2_accepts(env):
    b, portal = env.logged_in(ALICE)
    assert set(b.tiles(portal)) == {"pysaml2-sp", "second-sp"}, portal.describe()
    post = saml_post_of(b.launch("pysaml2-sp", portal))
    assert post.action == env.acs  # the default ACS
    assert post.relay_state == "/welcome"  # the application's default RelayState
    check_response(env, post, acs=env.acs, audience=env.sp.entity_id, in_response_to=None)

    resp = sp_accepts(env.client, post)  # allow_unsolicited: IdP-initiated
    assert resp.name_id.text == "alice" and resp.name_id.format == NAMEID_PERSISTENT
    attrs = attributes(post.root())
    assert attrs.get("email") == ["alice@example.com"], attrs
    assert attrs.get("groups") == ["agents"], attrs
    assert attrs.get("tier") == ["gold"], attrs
    # roles: those for alice's groups and those for everybody, not the supervisors' one
    assert role_pairs(attrs.get(AWS_ROLE, [])) == {(ROLE_AGENT, PROVIDER), (ROLE_READONLY, PROVIDER)}, attrs
    assert attrs.get(AWS_ROLE_SESSION_NAME) == ["alice"], attrs
    assert attrs.get(AWS_SESSION_DURATION) == ["3600"], attrs


def test_name_id_template_and_open_application(env):
    """second-sp: no groups (every user may open it), NameID from ${user.email}."""
    b, portal = env.logged_in(DAVE)
    post = saml_post_of(b.launch("second-sp", portal))
    assert post.action == env.acs2
    assert post.relay_state is None  # no relay_state configured
    check_response(env, post, acs=env.acs2, audience=env.sp2.entity_id, in_response_to=None)
    resp = sp_accepts(env.client2, post)
    assert (resp.name_id.text, resp.name_id.format) == ("dave@example.com", NAMEID_EMAIL)
    assert AWS_ROLE not in attributes(post.root())  # no roles configured for this application


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"])
def test_sp_initiated_signed_request_with_a_session(env, binding):
    b, _ = env.logged_in(ALICE)
    relay = "sp-state-" + secrets.token_hex(4)
    reqid, page = send_request(b, env.client, env, binding, sign=True, relay_state=relay)
    post = saml_post_of(page)
    assert post.action == env.acs, post.action
    assert post.relay_state == relay
    check_response(env, post, acs=env.acs, audience=env.sp.entity_id, in_response_to=reqid)
    resp = sp_accepts(env.client, post, outstanding={reqid: "/"})
    assert resp.in_response_to == reqid
    assert resp.name_id.text == "alice"


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"])
def test_sp_initiated_request_without_a_session_logs_in_first(env, binding):
    b = env.browser()
    relay = "before-login-" + secrets.token_hex(4)
    reqid, page = send_request(b, env.client, env, binding, sign=True, relay_state=relay)
    assert page.page == "idp-login", f"expected the login page: {page.describe()}"
    after = b.submit_login(page, ALICE.username, ALICE.password)  # hidden inputs (continuation) as received
    post = saml_post_of(after)  # straight to the response, no portal in between
    assert post.action == env.acs and post.relay_state == relay
    check_response(env, post, acs=env.acs, audience=env.sp.entity_id, in_response_to=reqid)
    assert sp_accepts(env.client, post, outstanding={reqid: "/"}).in_response_to == reqid
    portal = b.portal()  # and the IdP session is open
    assert portal.page == "idp-portal" and portal.field("username") == "alice", portal.describe()


@pytest.mark.parametrize("which", ["acs_urls", "sp_metadata"])
def test_sp_initiated_request_to_another_registered_acs(env, which):
    """An ACS URL registered through the application's acs_urls, or listed in the SP metadata."""
    acs = env.acs_extra if which == "acs_urls" else env.acs_md
    b, _ = env.logged_in(ALICE)
    reqid, page = send_request(b, env.client, env, BINDING_HTTP_REDIRECT, assertion_consumer_service_url=acs)
    post = saml_post_of(page)
    assert post.action == acs
    check_response(env, post, acs=acs, audience=env.sp.entity_id, in_response_to=reqid)
    assert sp_accepts(env.client, post, outstanding={reqid: "/"}).in_response_to == reqid


def test_unsigned_request_accepted_when_the_sp_does_not_sign(env):
    b, _ = env.logged_in(ALICE)
    reqid, page = send_request(b, env.client2, env, BINDING_HTTP_REDIRECT, sign=False)
    post = saml_post_of(page)
    assert post.action == env.acs2
    check_response(env, post, acs=env.acs2, audience=env.sp2.entity_id, in_response_to=reqid)
    resp = sp_accepts(env.client2, post, outstanding={reqid: "/"})
    assert resp.in_response_to == reqid and resp.name_id.text == "alice@example.com"


# --- signatures: xmlsec1 and fedgate saml check -----------------------------------------------------------------
def test_responses_verify_with_xmlsec1(env, tmp_path):
    b, portal = env.logged_in(ALICE)
    idp_initiated = saml_post_of(b.launch("pysaml2-sp", portal))
    _, page = send_request(b, env.client, env, BINDING_HTTP_REDIRECT)
    sp_initiated = saml_post_of(page)
    for label, post in (("idp-initiated", idp_initiated), ("sp-initiated", sp_initiated)):
        xml = post.xml
        v = xmlsec1_verify(xml, env.cert_pem, ASSERTION_SIGNATURE, tmp_path)
        assert v.returncode == 0 and "OK" in v.stdout + v.stderr, f"{label}: {v.stdout}{v.stderr}\n{xml.decode()}"
        root = post.root()
        assert not root.xpath("ds:Signature", namespaces=NS), f"{label}: sign_response=false, yet the Response is signed"
        sig = only(root.xpath("saml:Assertion/ds:Signature", namespaces=NS), "Assertion signature")
        assert sig.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=NS) == \
            ["#" + root.xpath("saml:Assertion/@ID", namespaces=NS)[0]]
        assert sig.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=NS) == [SIG_RSA_SHA256]
    # not vacuous: a changed NameID, or another certificate, fails
    xml = idp_initiated.xml
    assert b">alice<" in xml
    tampered = xml.replace(b">alice<", b">mallory<", 1)
    v = xmlsec1_verify(tampered, env.cert_pem, ASSERTION_SIGNATURE, tmp_path)
    assert v.returncode != 0, f"a tampered assertion verified: {v.stdout}{v.stderr}"
    v = xmlsec1_verify(xml, env.sp.cert_path.read_text(), ASSERTION_SIGNATURE, tmp_path)
    assert v.returncode != 0, f"verified with another certificate: {v.stdout}{v.stderr}"


@pytest.mark.parametrize("key_type,sign_response", [("rsa-2048", True), ("p256", False), ("p256", True)],
                         ids=["rsa-signed-response", "p256", "p256-signed-response"])
def test_key_types_and_signed_response(make_env, tmp_path, key_type, sign_response):
    e = make_env(key_type=key_type, sign_response=sign_response)
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    public = x509.load_pem_x509_certificate(e.cert_pem.encode()).public_key()
    if key_type == "p256":
        assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1", public
    else:
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048, public
    algorithm = SIG_ECDSA_SHA256 if key_type == "p256" else SIG_RSA_SHA256

    b, portal = e.logged_in(ALICE)
    post = saml_post_of(b.launch("pysaml2-sp", portal))
    root = post.root()
    nodes = [ASSERTION_SIGNATURE] + ([RESPONSE_SIGNATURE] if sign_response else [])
    for node in nodes:
        v = xmlsec1_verify(post.xml, e.cert_pem, node, tmp_path)
        assert v.returncode == 0 and "OK" in v.stdout + v.stderr, f"{node}: {v.stdout}{v.stderr}\n{post.xml.decode()}"
    for sig in root.xpath("ds:Signature|saml:Assertion/ds:Signature", namespaces=NS):
        assert sig.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=NS) == [algorithm]
    assert bool(root.xpath("ds:Signature", namespaces=NS)) == sign_response
    # pysaml2 (want_response_signed follows sign_response) and fedgate's own checker agree
    sp_accepts(e.client, post)
    report = saml_check(tmp_path, e, post, audience=e.sp.entity_id, acs=e.acs)
    assert report["signed"] == {"response": sign_response, "assertion": True}, report


def test_saml_check_accepts_idp_initiated_response(env, tmp_path):
    b, portal = env.logged_in(ALICE)
    post = saml_post_of(b.launch("pysaml2-sp", portal))
    report = saml_check(tmp_path, env, post, audience=env.sp.entity_id, acs=env.acs)
    assert report["issuer"] == env.idp.entity_id
    assert report["subject"] == "alice"
    assert report["session_name"] == "alice"
    assert report["session_duration"] == 3600
    assert {(r["role_arn"], r["provider_arn"]) for r in report["roles"]} == {(ROLE_AGENT, PROVIDER),
                                                                              (ROLE_READONLY, PROVIDER)}
    assert report["attributes"].get("email") == ["alice@example.com"], report
    assert report["in_response_to"] is None
    assert report["signed"]["assertion"] is True


def test_saml_check_accepts_sp_initiated_response(env, tmp_path):
    b, _ = env.logged_in(ALICE)
    reqid, page = send_request(b, env.client, env, BINDING_HTTP_POST)
    post = saml_post_of(page)
    report = saml_check(tmp_path, env, post, audience=env.sp.entity_id, acs=env.acs, in_response_to=reqid)
    assert report["in_response_to"] == reqid and report["subject"] == "alice"


# --- refusals -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"])
def test_unregistered_acs_is_refused(env, binding):
    b, _ = env.logged_in(ALICE)
    steal = f"http://127.0.0.1:{free_port()}/steal"
    _, page = send_request(b, env.client, env, binding, assertion_consumer_service_url=steal)
    assert_idp_error(page, "acs_not_registered", status=400)
    assert not any(f.action == steal for f in page.forms()), page.describe()


@pytest.mark.parametrize("part", ["RelayState", "SAMLRequest"])
def test_tampered_redirect_request_is_refused(env, part):
    b, _ = env.logged_in(ALICE)
    _, location = redirect_request(env.client, env, relay_state="original")
    base, pairs = split_query(location)
    assert [k for k, _ in pairs] == ["SAMLRequest", "RelayState", "SigAlg", "Signature"], pairs
    if part == "RelayState":
        replacement = urllib.parse.quote("changed", safe="")
    else:  # another request of the same SP, well-formed, with the first one's signature
        _, other = redirect_request(env.client, env, relay_state="original")
        replacement = dict(split_query(other)[1])["SAMLRequest"]
    tampered = [(k, replacement if k == part else v) for k, v in pairs]
    assert tampered != pairs
    assert_idp_error(b.follow_redirect_request(join_query(base, tampered)), "request_signature_invalid")
    # the untampered request is fine: the refusal was the tampering's
    page = b.follow_redirect_request(location)
    assert page.page == "idp-post", page.describe()


def test_tampered_post_request_is_refused(env):
    """HTTP-POST: the signature is inside the AuthnRequest; point it at another registered ACS."""
    b, _ = env.logged_in(ALICE)
    _, action, fields = post_request(env.client, env)
    xml = base64.b64decode(fields["SAMLRequest"])
    needle = f'AssertionConsumerServiceURL="{env.acs}"'.encode()
    assert needle in xml, xml
    forged = dict(fields, SAMLRequest=base64.b64encode(
        xml.replace(needle, f'AssertionConsumerServiceURL="{env.acs_extra}"'.encode())).decode())
    assert_idp_error(b.post_request(action, forged), "request_signature_invalid")
    page = b.post_request(action, fields)  # the untampered request is fine
    assert page.page == "idp-post", page.describe()


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"])
def test_unsigned_request_is_refused_when_the_sp_metadata_says_signed(env, binding):
    b, _ = env.logged_in(ALICE)
    _, page = send_request(b, env.client, env, binding, sign=False)
    assert_idp_error(page, "request_unsigned")


def test_request_from_an_unknown_sp_is_refused(env):
    b, _ = env.logged_in(ALICE)
    _, page = send_request(b, env.stranger_client, env, BINDING_HTTP_REDIRECT)
    assert_idp_error(page, "unknown_application")


def test_redirect_request_signature_without_sigalg_parts_is_refused(env):
    """Dropping Signature/SigAlg from a request of an SP that signs is an unsigned request."""
    b, _ = env.logged_in(ALICE)
    _, location = redirect_request(env.client, env)
    base, pairs = split_query(location)
    stripped = [(k, v) for k, v in pairs if k not in ("SigAlg", "Signature")]
    assert_idp_error(b.follow_redirect_request(join_query(base, stripped)), "request_unsigned")


def test_wrong_password_and_unknown_user_get_the_same_answer(env):
    b = env.browser()
    pages = {}
    for label, username, password in (("wrong password", ALICE.username, ALICE.password + "x"),
                                      ("unknown user", "nobody-" + secrets.token_hex(3), ALICE.password)):
        page = b.submit_login(b.login_page(), username, password)
        assert page.status == 401, f"{label}: {page.describe()}"
        assert page.page == "idp-login", f"{label}: {page.describe()}"
        assert page.error_code == "wrong_credentials", f"{label}: {page.describe()}"
        assert "wrong username or password" in page.visible_text().lower(), f"{label}: {page.describe()}"
        assert b.login_form(page), f"{label}: no login form to try again"
        no_response(page)
        pages[label] = page.visible_text().replace(username, "<username>")
    assert pages["wrong password"] == pages["unknown user"], pages
    assert b.portal().page != "idp-portal", "a failed login opened a session"
    # the right password still works afterwards
    assert b.login(ALICE.username, ALICE.password).page == "idp-portal"


def test_hash_password_reads_the_password_as_a_line(env):
    """`echo <password> | fedgate idp hash-password`: the newline is not part of the password."""
    b = env.browser()
    page = b.submit_login(b.login_page(), GRACE.username, GRACE.password, allow_redirects=False)
    assert page.status == 303, ("a hash made from '<password>\\n' on stdin does not accept <password>: "
                                + page.describe())


def test_groups_decide_who_sees_and_opens_an_application(env):
    b, portal = env.logged_in(DAVE)  # contractors: not in agents, not in admins
    tiles = b.tiles(portal)
    assert set(tiles) == {"second-sp"}, portal.describe()
    _, alice_portal = env.logged_in(ALICE)
    assert "admin-app" not in IdpBrowser.tiles(alice_portal)
    # dave cannot open pysaml2-sp by posting its launch URL with his own CSRF token ...
    launch = dataclasses.replace(tiles["second-sp"], action=env.base_url + "/apps/pysaml2-sp/launch")
    page = b.submit(launch)
    no_response(page)
    assert page.status >= 400, page.describe()
    # ... nor by an SP-initiated request
    _, page = send_request(b, env.client, env, BINDING_HTTP_REDIRECT)
    no_response(page)
    assert page.status >= 400, page.describe()


def test_repeated_failures_are_rate_limited(make_env):
    """Its own IdP: the limiter's state must not reach the other tests. Failures for one user from
    ever-new client addresses (127.0.1.x), then failures from one address for ever-new usernames."""
    e = make_env()
    limit = 60

    def attempt(source: str, username: str, password: str) -> Page:
        b = e.browser(source_address=source)
        return b.submit_login(b.login_page(), username, password, allow_redirects=False)

    # per user
    for i in range(1, limit + 1):
        page = attempt(f"127.0.1.{i}", ERIN.username, "wrong-" + secrets.token_hex(3))
        if page.status == 429:
            break
        assert page.status == 401 and page.error_code == "wrong_credentials", page.describe()
    else:
        pytest.fail(f"{limit} wrong passwords for {ERIN.username!r} (from {limit} addresses) were never rate-limited")
    assert page.error_code == "rate_limited", page.describe()
    no_response(page)
    page = attempt("127.0.1.200", ERIN.username, ERIN.password)
    assert page.status == 429 and page.error_code == "rate_limited", \
        f"the right password for a rate-limited user, from a fresh address: {page.describe()}"
    page = attempt("127.0.1.201", ALICE.username, ALICE.password)
    assert page.status == 303, f"another user from another address is not limited: {page.describe()}"

    # per client address
    for i in range(1, limit + 1):
        page = attempt("127.0.2.1", f"nobody-{i}-{secrets.token_hex(2)}", "wrong")
        if page.status == 429:
            break
        assert page.status == 401 and page.error_code == "wrong_credentials", page.describe()
    else:
        pytest.fail(f"{limit} failed logins from 127.0.2.1 (unknown usernames) were never rate-limited")
    assert page.error_code == "rate_limited", page.describe()
    page = attempt("127.0.2.1", ALICE.username, ALICE.password)
    assert page.status == 429 and page.error_code == "rate_limited", \
        f"the right password from a rate-limited address: {page.describe()}"
    page = attempt("127.0.2.2", ALICE.username, ALICE.password)
    assert page.status == 303, f"the same user from another address is not limited: {page.describe()}"


# --- the IdP session ------------------------------------------------------------------------------------------
def test_one_login_opens_every_application_until_logout(env):
    b, portal = env.logged_in(ALICE)
    first = saml_post_of(b.launch("pysaml2-sp", portal))
    sp_accepts(env.client, first)
    # a second application from the portal: no login in between
    portal = b.portal()
    assert portal.page == "idp-portal", portal.describe()
    tiles = b.tiles(portal)
    second = saml_post_of(b.submit(tiles["second-sp"]))
    assert second.action == env.acs2
    sp_accepts(env.client2, second)
    # and an SP-initiated request of the second SP
    reqid, page = send_request(b, env.client2, env, BINDING_HTTP_REDIRECT, sign=False)
    assert sp_accepts(env.client2, saml_post_of(page), outstanding={reqid: "/"}).in_response_to == reqid

    after = b.logout(portal)
    assert after.page == "idp-login", f"after logout: {after.describe()}"
    page = b.portal()
    assert page.page == "idp-login", f"the portal after logout: {page.describe()}"
    assert page.response.history and urllib.parse.urlsplit(page.url).path == "/login", \
        f"the portal does not redirect to /login after logout: {page.describe()}"
    # the launch form kept from before is dead, and SSO asks for a login again
    no_response(b.submit(tiles["second-sp"]))
    _, page = send_request(b, env.client2, env, BINDING_HTTP_REDIRECT, sign=False)
    assert page.page == "idp-login", page.describe()


def test_portal_without_a_session_redirects_to_login(env):
    page = env.browser().portal()
    assert page.page == "idp-login" and page.response.history, page.describe()
    assert urllib.parse.urlsplit(page.url).path == "/login"


def test_launch_needs_the_csrf_token(env):
    b, portal = env.logged_in(ALICE)
    form = b.tiles(portal)["pysaml2-sp"]
    data = {k: ("x" + v if k in form.hidden else v) for k, v in form.data().items()}
    page = b.post(form.action, data)
    no_response(page)
    assert page.status >= 400, page.describe()
