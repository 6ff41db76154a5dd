"""The harness behind test_idp.py (and the portal steps of test_demo.py): fedgate's built-in SAML 2.0
IdP run as a black box.

- ``IdpProcess``: one ``fedgate idp --config <dir>/idp.toml`` process. The TOML is written from a
  Python dict (``toml_dumps``; no TOML writer in the venv, the output is read back with ``tomllib``
  before use); it waits for ``GET /healthz`` 200 and stops with SIGTERM, asserting exit status 0.
- ``hash_password``: ``fedgate idp hash-password`` (the password on stdin, the PHC string on stdout).
- ``IdpBrowser``: a ``requests.Session`` (its own cookie jar) standing in for a browser: the login
  form (every hidden input sent back as received), the portal tiles, launching a tile, SP-initiated
  SSO over HTTP-Redirect and HTTP-POST, logout.
- ``Page``: what an HTML answer says about itself (``data-page``, ``data-error-code``,
  ``data-reference``, ``data-field`` values, its forms).
- ``xmlsec1_verify`` and metadata helpers (the signing certificate from ``GET /metadata``).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import functools
import json
import math
import os
import re
import shutil
import subprocess
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from browser import PageContract
from harness import FEDGATE_BIN, ManagedProcess, binary_problem, server_env, tail

XMLSEC1 = os.environ.get("XMLSEC1", "xmlsec1")
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
AWS_ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
AWS_ROLE_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
AWS_SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
ASSERTION_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
RESPONSE_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Signature']"


# --- TOML ---------------------------------------------------------------------------------------------
def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"no TOML for {v!r}")
        return repr(v)
    if isinstance(v, (str, os.PathLike)):
        # A JSON string is a TOML basic string (same escapes; JSON's \uXXXX is valid TOML).
        return json.dumps(os.fspath(v), ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {type(v).__name__}: {v!r}")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(x, dict) for x in v)


def _toml_table(d: dict, prefix: str, out: list[str]) -> None:
    """Scalars (and inline values) first, then sub-tables and arrays of tables."""
    nested = []
    for k, v in d.items():
        if v is None:
            continue  # absent
        if _is_table_array(v):
            nested.append((k, v))
        else:
            out.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in nested:
        name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
        for item in v:
            out.append("")
            out.append(f"[[{name}]]")
            _toml_table(item, name, out)


def toml_dumps(doc: dict) -> str:
    """TOML for the IdP configuration: scalars, lists, inline tables (dict values) and arrays of
    tables (lists of dicts, e.g. ``users``, ``applications``, ``applications.roles``). ``None``
    values are left out. Checked by reading it back with ``tomllib``."""
    out: list[str] = ["# written by tests/e2e/idp_harness.py"]
    _toml_table(doc, "", out)
    text = "\n".join(out) + "\n"
    back = tomllib.loads(text)

    def strip_none(x):
        if isinstance(x, dict):
            return {k: strip_none(v) for k, v in x.items() if v is not None}
        if isinstance(x, (list, tuple)):
            return [strip_none(v) for v in x]
        return os.fspath(x) if isinstance(x, os.PathLike) else x

    assert back == strip_none(doc), f"toml_dumps does not round-trip:\n{text}"
    return text


# --- passwords ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def hash_password(password: str, stdin_suffix: str = "") -> str:
    """``fedgate idp hash-password`` with ``password + stdin_suffix`` on stdin; the PHC string."""
    problem = binary_problem()
    if problem:
        pytest.exit(problem, returncode=4)
    cmd = [str(FEDGATE_BIN), "idp", "hash-password"]
    r = subprocess.run(cmd, input=(password + stdin_suffix).encode(), capture_output=True, timeout=120,
                       env=server_env())
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    if r.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` exited with status {r.returncode}:\nstdout: {out}\nstderr: {err}")
    phc = out.strip()
    assert phc.startswith("$argon2id$") and "\n" not in phc, (
        f"`fedgate idp hash-password` did not print one argon2id PHC string:\nstdout: {out!r}\nstderr: {err}")
    assert password not in phc, "the password itself is in the hash-password output"
    return phc


# --- pages --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Form:
    """An HTML form as a browser submits it: ``action`` (absolute), ``method``, the ``<form>``
    element's attributes, ``hidden`` inputs, every named non-button ``fields`` value, and the
    submit buttons' attributes."""
    action: str
    method: str
    attrs: dict[str, str]
    hidden: dict[str, str]
    fields: dict[str, str]
    buttons: list[dict[str, str]]
    element: Any = dataclasses.field(repr=False, default=None)

    def data(self, **values: str) -> dict[str, str]:
        """What a browser POSTs when the first submit button is pressed, with ``values`` typed in."""
        d = dict(self.fields)
        d.update(values)
        if self.buttons and self.buttons[0].get("name"):
            d[self.buttons[0]["name"]] = self.buttons[0].get("value", "")
        return d


class Page(PageContract):
    """An HTML answer of the IdP (or of fedgate)."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.url = response.url
        self.text = response.text
        try:
            import lxml.html

            self.tree = lxml.html.document_fromstring(self.text or "<html></html>")
        except (etree.ParserError, ValueError):
            self.tree = None
        bodies = self.tree.xpath("//body") if self.tree is not None else []
        self.body = bodies[0] if bodies else None

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.url} data-page={self.page!r} error={self.error_code!r}>"

    def describe(self, n: int = 3000) -> str:
        history = " -> ".join(f"{h.status_code} {h.url}" for h in getattr(self.response, "history", []))
        return (f"status {self.status} at {self.url} (history: {history or 'none'}), data-page={self.page!r}, "
                f"data-error-code={self.error_code!r}:\n{self.text[:n]}")

    def body_attr(self, name: str) -> str | None:
        return self.body.get(name) if self.body is not None else None

    def field(self, name: str) -> str | None:
        if self.tree is None:
            return None
        found = self.tree.xpath(f'//*[@data-field="{name}"]')
        return found[0].text_content().strip() if found else None

    def visible_text(self) -> str:
        if self.body is None:
            return ""
        body = copy.deepcopy(self.body)
        for bad in body.xpath(".//script|.//style"):
            bad.drop_tree()
        return " ".join(body.text_content().split())

    def forms(self) -> list[Form]:
        if self.tree is None:
            return []
        out = []
        for f in self.tree.xpath("//form"):
            hidden, fields, buttons = {}, {}, []
            for el in f.xpath(".//input|.//button|.//select|.//textarea"):
                tag, typ, name = el.tag, (el.get("type") or "").lower(), el.get("name")
                if tag == "button" and typ in ("", "submit") or tag == "input" and typ in ("submit", "image"):
                    buttons.append(dict(el.attrib))
                    continue
                if tag == "button" or typ in ("button", "reset") or not name:
                    continue
                if typ in ("checkbox", "radio") and el.get("checked") is None:
                    continue
                value = el.get("value", "") if tag == "input" else (el.text or "")
                fields[name] = value
                if typ == "hidden":
                    hidden[name] = value
            out.append(Form(urllib.parse.urljoin(self.url, f.get("action") or self.url),
                            (f.get("method") or "get").lower(), dict(f.attrib), hidden, fields, buttons, f))
        return out

    def form_with(self, name: str) -> Form | None:
        """The one form that has a field ``name`` (None when there is none; fails when several)."""
        found = [f for f in self.forms() if name in f.fields]
        assert len(found) <= 1, f"{len(found)} forms with a field {name!r}:\n{self.describe()}"
        return found[0] if found else None

    def has_script(self) -> bool:
        return self.tree is not None and bool(self.tree.xpath("//script"))


@dataclasses.dataclass
class SamlPost:
    """The HTTP-POST binding form of an ``idp-post`` page: where it goes and what it carries."""
    action: str
    saml_response: str
    relay_state: str | None
    page: Page

    @property
    def xml(self) -> bytes:
        return base64.b64decode(self.saml_response, validate=True)

    def root(self) -> etree._Element:
        return etree.fromstring(self.xml, etree.XMLParser(resolve_entities=False, no_network=True))


def saml_post_of(page: Page) -> SamlPost:
    """The ``idp-post`` page's form, checked against the contract: POST to the ACS, hidden
    ``SAMLResponse`` (and ``RelayState`` when there is one), a visible submit button, a script to auto-submit."""
    assert page.status == 200 and page.page == "idp-post", f"expected the idp-post page: {page.describe()}"
    forms = [f for f in page.forms() if "SAMLResponse" in f.fields]
    assert len(forms) == 1, f"expected one form with SAMLResponse: {page.describe()}"
    form = forms[0]
    assert form.method == "post", page.describe()
    assert "SAMLResponse" in form.hidden, f"SAMLResponse is not a hidden input: {page.describe()}"
    # RelayState: hidden when there is one (the application's default or the request's); without
    # one (IdP-initiated, no relay_state configured) the binding has none to send
    assert "RelayState" in form.hidden or "RelayState" not in form.fields, page.describe()
    assert form.buttons, f"the idp-post form has no submit button: {page.describe()}"
    assert page.has_script(), f"the idp-post page has no script to auto-submit: {page.describe()}"
    return SamlPost(form.action, form.hidden["SAMLResponse"], form.hidden.get("RelayState"), page)


# --- the client -----------------------------------------------------------------------------------------
def source_address_adapter(ip: str):
    """A requests adapter whose connections leave from ``ip`` (e.g. 127.0.0.2: another client)."""
    from requests.adapters import HTTPAdapter

    class SourceAddressAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (ip, 0)
            super().init_poolmanager(*args, **kwargs)

    return SourceAddressAdapter()


class IdpBrowser:
    """A cookie-keeping HTTP client for one IdP, driving its pages as a browser would."""

    def __init__(self, base_url: str, *, source_address: str | None = None):
        import requests

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "fedgate-e2e (python-requests)"
        if source_address:
            adapter = source_address_adapter(source_address)
            self.session.mount("http://", adapter)

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + "/" + path.lstrip("/")

    def get(self, path: str, **kw) -> Page:
        kw.setdefault("timeout", 60)
        return Page(self.session.get(self.url(path), **kw))

    def post(self, path: str, data: dict, **kw) -> Page:
        kw.setdefault("timeout", 60)
        return Page(self.session.post(self.url(path), data=data, **kw))

    def submit(self, form: Form, **values: str) -> Page:
        assert form.method == "post", f"form to {form.action} is not a POST form"
        return self.post(form.action, form.data(**values))

    # -- login
    def login_page(self) -> Page:
        page = self.get("/login")
        assert page.status == 200 and page.page == "idp-login", f"GET /login: {page.describe()}"
        return page

    @staticmethod
    def login_form(page: Page) -> Form:
        form = page.form_with("password")
        assert form is not None and "username" in form.fields, f"no login form: {page.describe()}"
        assert form.method == "post", page.describe()
        assert urllib.parse.urlsplit(form.action).path == "/login", f"login form posts to {form.action}"
        assert form.hidden, f"the login form has no hidden inputs (CSRF token expected): {page.describe()}"
        return form

    def submit_login(self, page: Page, username: str, password: str, **kw) -> Page:
        """Fill the login form of ``page`` (hidden inputs as received) and POST it."""
        return self.submit_form_values(self.login_form(page), username, password, **kw)

    def submit_form_values(self, form: Form, username: str, password: str, **kw) -> Page:
        kw.setdefault("timeout", 120)  # argon2 in a debug build takes its time
        return Page(self.session.post(form.action, data=form.data(username=username, password=password), **kw))

    def login(self, username: str, password: str) -> Page:
        """GET /login, POST it: must answer 303 to ``/``, which is the portal of ``username``."""
        page = self.login_page()
        r = self.submit_login(page, username, password, allow_redirects=False)
        assert r.status == 303, f"login as {username!r}: expected 303 to /: {r.describe()}"
        location = urllib.parse.urljoin(r.url, r.response.headers.get("Location", ""))
        assert location == self.base_url + "/", f"login as {username!r} redirects to {location!r}, not /"
        portal = self.get(location)
        assert portal.status == 200 and portal.page == "idp-portal", f"after login: {portal.describe()}"
        assert portal.field("username") == username, f"portal shows {portal.field('username')!r}: {portal.describe()}"
        return portal

    # -- portal
    def portal(self) -> Page:
        return self.get("/")

    @staticmethod
    def tiles(portal: Page) -> dict[str, Form]:
        """The portal's tiles: app id -> its launch form (``form[data-app]``)."""
        tiles = {}
        for f in portal.forms():
            app = f.attrs.get("data-app")
            if app is None:
                continue
            assert app not in tiles, f"two tiles for {app!r}: {portal.describe()}"
            assert f.method == "post", f"tile {app!r} is not a POST form"
            assert urllib.parse.urlsplit(f.action).path == f"/apps/{app}/launch", f"tile {app!r} posts to {f.action}"
            assert f.hidden, f"tile {app!r} has no hidden CSRF input: {portal.describe()}"
            assert f.buttons, f"tile {app!r} has no submit button"
            tiles[app] = f
        return tiles

    def launch(self, app: str, portal: Page | None = None) -> Page:
        portal = portal or self.portal()
        tiles = self.tiles(portal)
        assert app in tiles, f"no tile {app!r} on the portal (tiles: {sorted(tiles)}): {portal.describe()}"
        return self.submit(tiles[app])

    def logout(self, portal: Page | None = None) -> Page:
        portal = portal or self.portal()
        forms = [f for f in portal.forms()
                 if urllib.parse.urlsplit(f.action).path == "/logout"
                 and any(b.get("data-action") == "logout" for b in f.buttons)]
        assert len(forms) == 1, f"expected one logout form with a data-action=logout button: {portal.describe()}"
        assert forms[0].method == "post"
        return self.submit(forms[0])

    # -- SP-initiated
    def follow_redirect_request(self, location: str) -> Page:
        """The browser following an SP's HTTP-Redirect binding Location to ``/sso``."""
        return Page(self.session.get(location, timeout=60))

    def post_request(self, action: str, fields: dict[str, str]) -> Page:
        """The browser submitting an SP's HTTP-POST binding form to ``/sso``."""
        return Page(self.session.post(action, data=fields, timeout=60))


# --- the IdP process ---------------------------------------------------------------------------------------
class IdpProcess(ManagedProcess):
    """``fedgate idp --config <root>/idp.toml``. ``config`` is the TOML document as a dict
    (``listen`` / ``base_url`` are filled in from the port when absent)."""

    name = "fedgate idp"
    ready_path = "/healthz"

    def __init__(self, root: Path, config: dict, *, port: int):
        self.root = root
        self.port = port
        self.config = dict(config)
        self.config.setdefault("listen", f"127.0.0.1:{port}")
        self.base_url = self.config.get("base_url") or f"http://{self.config['listen']}"
        self.entity_id = self.config.get("entity_id") or self.base_url + "/metadata"
        self.config_path = root / "idp.toml"
        self.data_dir = root / self.config.get("data_dir", "idp-data")
        self.stdout_path = root / "stdout.log"
        self.stderr_path = root / "stderr.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.cwd = str(root)

    def command(self) -> list[str]:
        return [str(FEDGATE_BIN), "idp", "--config", str(self.config_path)]

    def logs(self) -> str:
        return (f"--- {' '.join(self.command())}\n--- config {self.config_path}:\n{self._config_text()}"
                f"--- stdout (tail):\n{tail(self.stdout_path)}\n--- stderr (tail):\n{tail(self.stderr_path)}")

    def _config_text(self) -> str:
        try:
            return self.config_path.read_text()
        except FileNotFoundError:
            return "(none)\n"

    def write_config(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(toml_dumps(self.config))

    def _before_start(self) -> None:
        self.write_config()

    def browser(self, **kw) -> IdpBrowser:
        return IdpBrowser(self.base_url, **kw)

    # -- metadata
    def metadata_xml(self) -> bytes:
        import requests

        r = requests.get(self.base_url + "/metadata", timeout=30)
        if r.status_code != 200:
            pytest.fail(f"GET {self.base_url}/metadata -> {r.status_code}: {r.text[:2000]}\n{self.logs()}")
        return r.content

    def signing_cert_pem(self) -> str:
        return signing_cert_pem(self.metadata_xml())


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def signing_certs_b64(metadata: bytes) -> list[str]:
    md = parse_xml(metadata)
    certs = md.xpath("md:IDPSSODescriptor/md:KeyDescriptor[@use='signing' or not(@use)]"
                     "/ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()", namespaces=NS)
    return ["".join(c.split()) for c in certs]


def signing_cert_pem(metadata: bytes) -> str:
    certs = signing_certs_b64(metadata)
    assert len(certs) == 1, f"expected one signing certificate in the IdP metadata, got {len(certs)}"
    body = certs[0]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END CERTIFICATE-----\n"


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


# --- xmlsec1 ----------------------------------------------------------------------------------------------
def xmlsec1_verify(xml: bytes, cert_pem: str, node_xpath: str, workdir: Path) -> subprocess.CompletedProcess:
    """``xmlsec1 --verify`` of the signature at ``node_xpath`` with the certificate's public key
    (IDs: samlp:Response/@ID and saml:Assertion/@ID; same-document references only)."""
    binary = shutil.which(XMLSEC1)
    if binary is None:
        pytest.fail("xmlsec1 not found on PATH (Debian package xmlsec1; run scripts/setup-test-env.sh)")
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.monotonic_ns()}"
    doc, cert = workdir / f"response-{stamp}.xml", workdir / f"idp-cert-{stamp}.pem"
    doc.write_bytes(xml)
    cert.write_text(cert_pem)
    return subprocess.run(
        [binary, "--verify", "--enabled-reference-uris", "same-doc",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
         "--pubkey-cert-pem", str(cert), "--node-xpath", node_xpath, str(doc)],
        capture_output=True, text=True, timeout=60)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
