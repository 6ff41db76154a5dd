"""A real SimpleSAMLphp 1.19 IdP (Debian's ``simplesamlphp`` package) for the black-box tests,
configured the way a production IdP is set up for AWS.

``SimpleSamlPhpIdp`` is a context manager. On enter it writes, in a temporary directory it owns:

- ``config/config.php``: ``baseurlpath`` ``http://127.0.0.1:<free port>/``, the SAML 2.0 IdP and the
  ``exampleauth`` module enabled, a random ``secretsalt`` / admin password, PHP sessions
  (``store.type`` ``phpsession``) saved under ``sessions/``, plain-HTTP cookies (no ``Secure``, no
  ``SameSite=None``), file logging to ``log/simplesamlphp.log``;
- ``config/authsources.php``: the ``example-userpass`` source (``exampleauth:UserPass``) with the
  users given to the constructor;
- ``metadata/saml20-idp-hosted.php``: the hosted IdP (entity ID = its metadata URL unless given),
  RSA-SHA256 signatures (SHA-256 digests follow the signature algorithm), assertions signed (and the
  Response too unless ``sign_response=False``), attribute NameFormat ``uri``;
- ``metadata/saml20-sp-remote.php``: one remote SP (default entity ID ``urn:amazon:webservices``)
  with its HTTP-POST ACS URL and NameID format. The NameID value is the user's ``username``
  (or the single value of ``nameid_attribute`` when given);
- ``cert/idp.key`` / ``cert/idp.crt``: a fresh RSA-2048 key and a self-signed certificate;

and serves ``/usr/share/simplesamlphp/www`` with ``php -S 127.0.0.1:<port>`` (the environment
variable ``SIMPLESAMLPHP_CONFIG_DIR`` points SimpleSAMLphp at ``config/``; ``/etc/simplesamlphp``
is never read for configuration or changed). On exit the PHP server is stopped and the directory
removed (unless ``keep_dir=True``).

Prerequisites (Debian 12): ``simplesamlphp``, ``php-cli`` and ``php-xml`` (DOM, which SimpleSAMLphp
needs and the ``simplesamlphp`` package does not pull in); ``scripts/setup-test-env.sh`` installs
them. A missing one is a test failure naming the package, never a skip.

Usage::

    from simplesamlphp import SimpleSamlPhpIdp, IdpUser, AWS_ROLE, AWS_ROLE_SESSION_NAME

    user = IdpUser("alice", "alice-pw", {
        AWS_ROLE: ["arn:aws:iam::000000000000:role/Dev,arn:aws:iam::000000000000:saml-provider/SSP"],
        AWS_ROLE_SESSION_NAME: ["alice"],
    })
    with SimpleSamlPhpIdp([user], acs_url=f"{fedgate.base_url}/saml") as idp:
        metadata = idp.metadata_xml()                    # register it with fedgate
        form = idp.sign_in("alice", "alice-pw", relay_state="https://console.example/")
        # form.action == the ACS URL; form.fields["SAMLResponse"], form.fields["RelayState"]
        requests.post(form.action, data=form.fields)

Quirks of SimpleSAMLphp 1.19 under ``php -S`` found while writing this (see the module's tests):

- ``/module.php/<module>/<page>.php`` URLs need ``PATH_INFO``: PHP's built-in server does set it
  for ``<existing script>.php/<rest>``, so no router script is needed;
- ``SIMPLESAMLPHP_CONFIG_DIR`` reaches PHP's ``getenv()`` under ``php -S`` (no ``-d`` needed);
  ``config.php`` must set ``secretsalt`` itself (Debian's ``require_once``s
  ``/var/lib/simplesamlphp/secrets.inc.php``, unreadable to others), and ``exampleauth`` is disabled
  by default (``module.enable``);
- with ``store.type`` ``phpsession`` the session lives in PHP's session cookie ``SimpleSAML`` (files
  under ``sessions/``); ``SimpleSAMLAuthToken`` is added at login. Both must come back on every
  request of the flow; Debian's default ``session.cookie.secure`` (true) and ``SameSite=None`` would
  make an HTTP client drop them on ``http://`` -- hence ``false`` / unset here;
- the SSO URL answers 302 to ``/module.php/core/loginuserpass.php?AuthState=...``; the login form
  posts back to ``?`` (that same URL) and carries ``AuthState`` again as a hidden field. A right
  password answers 200 with the auto-submitting form straight away (no redirect); a wrong one (or an
  unknown user) renders the same form again with 200, the username kept and "Incorrect username or
  password";
- ``RelayState`` goes back untouched (no URL check for IdP-initiated SSO);
- attribute names go out verbatim (no attribute map) with the ``attributes.NameFormat`` of the SP
  entry (else the IdP's), values typed ``xs:string``; the NameID carries ``SPNameQualifier`` = SP
  entity ID; the AuthnStatement has ``SessionNotOnOrAfter`` = now + ``session.duration`` (8 h);
- the signatures' ``SignedInfo`` contains newlines/indentation (xmlseclibs), both Response and
  Assertion are signed by default, each with the certificate in ``KeyInfo``; the metadata lists the
  certificate twice (``use="signing"`` and ``use="encryption"``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pytest

SSP_ROOT = Path(os.environ.get("SIMPLESAMLPHP_ROOT", "/usr/share/simplesamlphp"))
SSP_WWW = SSP_ROOT / "www"
SSP_ATTRIBUTEMAP = SSP_ROOT / "config" / "attributemap"  # Debian: -> /etc/simplesamlphp; only read (AttributeMap)
PHP = os.environ.get("PHP", "php")
START_TIMEOUT = float(os.environ.get("FEDGATE_E2E_SSP_START_TIMEOUT", "20"))

AWS_SP_ENTITY_ID = "urn:amazon:webservices"
AWS_ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
AWS_ROLE_SESSION_NAME = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
AWS_SESSION_DURATION = "https://aws.amazon.com/SAML/Attributes/SessionDuration"

NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
ATTRNAME_FORMAT_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

# Internal attribute carrying the username into the NameID; removed before the assertion is built.
_NAMEID_SOURCE_ATTR = "fedgate-test:nameid"


@dataclasses.dataclass(frozen=True)
class IdpUser:
    """One ``example-userpass`` user. ``attributes`` maps an attribute name (sent verbatim, with the
    IdP's NameFormat) to a list of string values (a bare string is one value)."""
    username: str
    password: str
    attributes: Mapping[str, Sequence[str] | str] = dataclasses.field(default_factory=dict)

    def attribute_lists(self) -> dict[str, list[str]]:
        return {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in self.attributes.items()}


@dataclasses.dataclass
class PostForm:
    """An HTML form as a browser would submit it: ``action`` (absolute URL), ``method`` and the
    ``fields`` (name -> value of the named ``input`` elements, submit buttons excluded)."""
    action: str
    method: str
    fields: dict[str, str]


# --- prerequisites ------------------------------------------------------------------------------------
def prerequisite_problems() -> list[str]:
    """What is missing to run the IdP, each naming the Debian package (empty when all is there)."""
    problems = []
    if shutil.which(PHP) is None:
        problems.append(f"{PHP} not found on PATH (Debian package php-cli)")
    if not (SSP_WWW / "saml2" / "idp" / "SSOService.php").is_file():
        problems.append(f"SimpleSAMLphp not found at {SSP_ROOT} (Debian package simplesamlphp)")
    if not problems:
        r = subprocess.run([PHP, "-r", 'echo class_exists("DOMDocument") ? "ok" : "no";'],
                           capture_output=True, text=True, timeout=30)
        if r.stdout.strip() != "ok":
            problems.append(f"PHP has no DOM extension (Debian package php-xml): {r.stdout}{r.stderr}".strip())
    return problems


def require_prerequisites() -> None:
    problems = prerequisite_problems()
    if problems:
        pytest.fail("SimpleSAMLphp IdP prerequisites missing (run scripts/setup-test-env.sh as root): "
                    + "; ".join(problems), pytrace=False)


# --- helpers ------------------------------------------------------------------------------------------
def php_literal(value, indent: int = 0) -> str:
    """A PHP literal for a Python str / int / bool / None / list / tuple / dict (nested)."""
    pad, pad1 = "    " * indent, "    " * (indent + 1)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (str, os.PathLike)):
        s = os.fspath(value)
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{pad1}{php_literal(v, indent + 1)},\n" for v in value) + f"{pad}]"
    if isinstance(value, Mapping):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{pad1}{php_literal(k)} => {php_literal(v, indent + 1)},\n"
                               for k, v in value.items()) + f"{pad}]"
    raise TypeError(f"no PHP literal for {type(value).__name__}: {value!r}")


def php_file(var: str, value) -> str:
    return f"<?php\n// Written by tests/e2e/simplesamlphp.py\n{var} = {php_literal(value)};\n"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_key_and_cert(key_path: Path, cert_path: Path, common_name: str) -> None:
    """RSA-2048 key (PKCS#8 PEM) and a self-signed SHA-256 certificate valid for ten years."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}}
            self.forms.append(self._current)
        elif tag in ("input", "button", "select", "textarea") and self._current is not None and a.get("name"):
            if a.get("type", "").lower() in ("submit", "button", "image", "reset") or tag == "button":
                return
            if a.get("type", "").lower() in ("checkbox", "radio") and "checked" not in a:
                return
            self._current["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(page: str, base_url: str) -> list[PostForm]:
    """The forms of an HTML page (actions resolved against ``base_url``)."""
    p = _FormParser()
    p.feed(page)
    p.close()
    return [PostForm(urllib.parse.urljoin(base_url, f["action"]), f["method"], dict(f["fields"])) for f in p.forms]


# --- the IdP ------------------------------------------------------------------------------------------
class SimpleSamlPhpIdp:
    """A SimpleSAMLphp 1.19 SAML 2.0 IdP served by ``php -S`` on 127.0.0.1 (see the module doc)."""

    #: Field names of the ``core:loginuserpass`` login form (``AuthState`` is a hidden field).
    USERNAME_FIELD = "username"
    PASSWORD_FIELD = "password"
    AUTH_STATE_FIELD = "AuthState"
    LOGIN_FORM_FIELDS = (USERNAME_FIELD, PASSWORD_FIELD, AUTH_STATE_FIELD)
    #: Names of the fields of the auto-submitting HTTP-POST binding form sent to the ACS.
    SAML_RESPONSE_FIELD = "SAMLResponse"
    RELAY_STATE_FIELD = "RelayState"
    AUTH_SOURCE = "example-userpass"

    def __init__(self, users: Iterable[IdpUser], *, acs_url: str, sp_entity_id: str = AWS_SP_ENTITY_ID,
                 nameid_format: str = NAMEID_PERSISTENT, nameid_attribute: str | None = None,
                 entity_id: str | None = None, sign_response: bool = True, sign_assertion: bool = True,
                 port: int | None = None, keep_dir: bool = False):
        self.users = list(users)
        if not self.users:
            raise ValueError("at least one user")
        for u in self.users:
            if ":" in u.username or not u.username:
                raise ValueError(f"exampleauth:UserPass cannot hold the username {u.username!r} (empty or ':')")
        if len({u.username for u in self.users}) != len(self.users):
            raise ValueError("duplicate usernames")
        self.acs_url = acs_url
        self.sp_entity_id = sp_entity_id
        self.nameid_format = nameid_format
        self.nameid_attribute = nameid_attribute
        self.sign_response = sign_response
        self.sign_assertion = sign_assertion
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.metadata_url = self.url("saml2/idp/metadata.php")
        self.sso_url = self.url("saml2/idp/SSOService.php")
        self.entity_id = entity_id or self.metadata_url
        self.keep_dir = keep_dir
        self.dir: Path | None = None
        self.proc: subprocess.Popen | None = None

    # -- URLs and files
    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def idp_initiated_url(self, relay_state: str | None = None, *, sp_entity_id: str | None = None) -> str:
        """SimpleSAMLphp's IdP-initiated SSO URL for the SP (``spentityid`` / ``RelayState``)."""
        q = {"spentityid": sp_entity_id or self.sp_entity_id}
        if relay_state is not None:
            q["RelayState"] = relay_state
        return self.sso_url + "?" + urllib.parse.urlencode(q)

    @property
    def config_dir(self) -> Path:
        return self._dir / "config"

    @property
    def cert_path(self) -> Path:
        """The IdP's signing certificate (PEM)."""
        return self._dir / "cert" / "idp.crt"

    @property
    def key_path(self) -> Path:
        return self._dir / "cert" / "idp.key"

    @property
    def cert_pem(self) -> str:
        return self.cert_path.read_text()

    @property
    def log_path(self) -> Path:
        return self._dir / "log" / "simplesamlphp.log"

    @property
    def server_log_path(self) -> Path:
        return self._dir / "log" / "php-server.log"

    @property
    def _dir(self) -> Path:
        if self.dir is None:
            raise RuntimeError("SimpleSamlPhpIdp not started (use it as a context manager or call start())")
        return self.dir

    def logs(self, n: int = 60) -> str:
        out = []
        for p in (self.server_log_path, self.log_path, self._dir / "log" / "php-errors.log"):
            try:
                lines = p.read_text(errors="replace").splitlines()[-n:]
            except FileNotFoundError:
                lines = ["(none)"]
            out.append(f"--- {p} (tail):\n" + "\n".join(lines))
        return "\n".join(out)

    # -- configuration
    def _config(self) -> dict:
        d = self._dir
        return {
            "baseurlpath": self.base_url,
            "certdir": d / "cert",
            "loggingdir": d / "log",
            "datadir": d / "data",
            "tempdir": d / "tmp",
            "metadatadir": d / "metadata",
            "attributenamemapdir": SSP_ATTRIBUTEMAP,
            "technicalcontact_name": "fedgate tests",
            "technicalcontact_email": "na@example.org",
            "timezone": "UTC",
            "secretsalt": secrets.token_hex(16),
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectindexpage": False,
            "admin.protectmetadata": False,
            "admin.checkforupdates": False,
            "trusted.url.domains": [],
            "enable.http_post": False,
            "assertion.allowed_clock_skew": 180,
            "debug": {"saml": False, "backtraces": True, "validatexml": False},
            "showerrors": True,
            "errorreporting": False,
            "logging.level": 7,  # SimpleSAML\Logger::DEBUG
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "statistics.out": [],
            "enable.saml20-idp": True,
            "enable.shib13-idp": False,
            "enable.adfs-idp": False,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            "session.duration": 8 * 3600,
            "session.datastore.timeout": 4 * 3600,
            "session.state.timeout": 3600,
            "session.cookie.name": "SimpleSAMLSessionID",
            "session.cookie.lifetime": 0,
            "session.cookie.path": "/",
            "session.cookie.domain": None,
            "session.cookie.secure": False,
            "session.cookie.samesite": None,
            "session.phpsession.cookiename": "SimpleSAML",
            "session.phpsession.savepath": d / "sessions",
            "session.phpsession.httponly": True,
            "session.authtoken.cookiename": "SimpleSAMLAuthToken",
            "session.rememberme.enable": False,
            "language.default": "en",
            "language.available": ["en"],
            "language.cookie.secure": False,
            "usenewui": False,
            "theme.use": "default",
            "store.type": "phpsession",
            "metadata.sources": [{"type": "flatfile"}],
            "metadata.sign.enable": False,
        }

    def _authsources(self) -> dict:
        source: dict = {0: "exampleauth:UserPass"}
        for u in self.users:
            attrs = u.attribute_lists()
            if self.nameid_attribute is None:
                attrs[_NAMEID_SOURCE_ATTR] = [u.username]
            source[f"{u.username}:{u.password}"] = attrs
        return {"admin": ["core:AdminPassword"], self.AUTH_SOURCE: source}

    def _idp_hosted(self) -> dict:
        return {self.entity_id: {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",   # relative to certdir
            "certificate": "idp.crt",
            "auth": self.AUTH_SOURCE,
            "signature.algorithm": RSA_SHA256,
            "saml20.sign.assertion": self.sign_assertion,
            "saml20.sign.response": self.sign_response,
            "attributes.NameFormat": ATTRNAME_FORMAT_URI,
            "NameIDFormat": self.nameid_format,
            "SingleSignOnServiceBinding": [BINDING_HTTP_POST, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"],
        }}

    def _sp_remote(self) -> dict:
        sp: dict = {
            "AssertionConsumerService": [{"index": 0, "isDefault": True, "Binding": BINDING_HTTP_POST,
                                          "Location": self.acs_url}],
            "NameIDFormat": self.nameid_format,
            "attributes.NameFormat": ATTRNAME_FORMAT_URI,
            "signature.algorithm": RSA_SHA256,
            "simplesaml.attributes": True,
        }
        nameid_attr = self.nameid_attribute or _NAMEID_SOURCE_ATTR
        authproc: dict = {10: {"class": "saml:AttributeNameID", "Format": self.nameid_format,
                               "attribute": nameid_attr}}
        if self.nameid_attribute is None:
            authproc[20] = {"class": "core:PHP",
                            "code": f"unset($attributes[{php_literal(_NAMEID_SOURCE_ATTR)}]);"}
        sp["authproc"] = authproc
        return {self.sp_entity_id: sp}

    def _write_config(self) -> None:
        d = self._dir
        for sub in ("config", "metadata", "cert", "log", "data", "tmp", "sessions"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        make_key_and_cert(self.key_path, self.cert_path, f"fedgate test SimpleSAMLphp IdP 127.0.0.1:{self.port}")
        (d / "config" / "config.php").write_text(php_file("$config", self._config()))
        (d / "config" / "authsources.php").write_text(php_file("$config", self._authsources()))
        (d / "metadata" / "saml20-idp-hosted.php").write_text(self._metadata_file(self._idp_hosted()))
        (d / "metadata" / "saml20-sp-remote.php").write_text(self._metadata_file(self._sp_remote()))
        for name in ("config.php", "authsources.php"):
            self._php_lint(d / "config" / name)
        for name in ("saml20-idp-hosted.php", "saml20-sp-remote.php"):
            self._php_lint(d / "metadata" / name)

    @staticmethod
    def _metadata_file(entries: dict) -> str:
        body = "".join(f"$metadata[{php_literal(k)}] = {php_literal(v)};\n" for k, v in entries.items())
        return "<?php\n// Written by tests/e2e/simplesamlphp.py\n" + body

    @staticmethod
    def _php_lint(path: Path) -> None:
        r = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"generated PHP does not parse: {path}\n{r.stdout}{r.stderr}\n{path.read_text()}")

    # -- process
    def command(self) -> list[str]:
        errlog = self._dir / "log" / "php-errors.log"
        return [PHP, "-d", "display_errors=0", "-d", "log_errors=1", "-d", f"error_log={errlog}",
                "-d", "opcache.enable=0",
                "-S", f"127.0.0.1:{self.port}", "-t", str(SSP_WWW)]

    def start(self) -> "SimpleSamlPhpIdp":
        assert self.proc is None, "already running"
        require_prerequisites()
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="fedgate-ssp-idp-"))
        self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLESAMLPHP_", "PHP_"))}
        env["SIMPLESAMLPHP_CONFIG_DIR"] = str(self.config_dir)
        env["TZ"] = "UTC"
        with open(self.server_log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, cwd=str(SSP_WWW),
                                         start_new_session=True)
        import requests
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                pytest.fail(f"php -S (SimpleSAMLphp IdP) exited with status {rc} before it was ready\n{self.logs()}")
            try:
                r = requests.get(self.metadata_url, timeout=2)
                if r.status_code == 200 and b"EntityDescriptor" in r.content:
                    return self
                last = f"{self.metadata_url} answered {r.status_code}: {r.text[:500]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        self._kill()
        pytest.fail(f"SimpleSAMLphp IdP not ready within {START_TIMEOUT:.0f} s (last: {last})\n{self.logs()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.dir is not None and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> "SimpleSamlPhpIdp":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- SAML
    def metadata_xml(self) -> bytes:
        """The IdP's SAML 2.0 metadata (``EntityDescriptor``), as served at its metadata URL."""
        import requests
        r = requests.get(self.metadata_url, timeout=10)
        if r.status_code != 200:
            pytest.fail(f"GET {self.metadata_url} -> {r.status_code}: {r.text[:2000]}\n{self.logs()}")
        return r.content

    def new_session(self):
        """A ``requests.Session`` (its own cookie jar) standing in for a browser."""
        import requests
        s = requests.Session()
        s.headers["User-Agent"] = "fedgate-e2e (python-requests)"
        return s

    def login_page(self, session, relay_state: str | None = None):
        """GET the IdP-initiated SSO URL and follow redirects to the login page. Returns
        ``(response, form)`` where ``form`` is the username/password ``PostForm``."""
        r = session.get(self.idp_initiated_url(relay_state), timeout=10)
        return r, self.login_form(r)

    def login_form(self, response) -> PostForm:
        forms = [f for f in parse_forms(response.text, response.url) if self.PASSWORD_FIELD in f.fields]
        if response.status_code != 200 or len(forms) != 1:
            pytest.fail(f"expected the SimpleSAMLphp login form at {response.url} "
                        f"(status {response.status_code}):\n{response.text[:3000]}\n{self.logs()}")
        return forms[0]

    def submit_login(self, session, form: PostForm, username: str, password: str):
        """POST the login form (hidden fields such as ``AuthState`` included)."""
        data = dict(form.fields)
        data[self.USERNAME_FIELD] = username
        data[self.PASSWORD_FIELD] = password
        return session.post(form.action, data=data, timeout=10)

    def sign_in(self, username: str, password: str, relay_state: str | None = None,
                session=None) -> PostForm:
        """The whole IdP-initiated browser flow up to (not including) the POST to the ACS: returns
        the auto-submit form (``action`` = the ACS URL, fields ``SAMLResponse`` and ``RelayState``)."""
        session = session or self.new_session()
        _, form = self.login_page(session, relay_state)
        r = self.submit_login(session, form, username, password)
        forms = [f for f in parse_forms(r.text, r.url) if self.SAML_RESPONSE_FIELD in f.fields]
        if r.status_code != 200 or len(forms) != 1:
            pytest.fail(f"expected the SAMLResponse auto-submit form after logging in as {username!r} "
                        f"(status {r.status_code}, {r.url}):\n{r.text[:3000]}\n{self.logs()}")
        return forms[0]
