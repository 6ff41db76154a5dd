"""Fresh SAML responses for the black-box tests (fedgate validates against the wall clock).

Two signers:

- ``xmlsec1``: the AWS-style IdP-initiated Response of ``scripts/fixturelib.py`` (imported by
  path), with fresh random IDs and times, the Assertion signed by the ``xmlsec1`` binary
  (RSA-SHA256, SHA-256, exc-c14n) with IdP A's or IdP B's key (or the attacker's key);
- ``pysaml2``: a real pysaml2 IdP (``saml2.server.Server`` built from an ``IdPConfig``, xmlsec1
  backend, ``sign_alg`` rsa-sha256, ``digest_alg`` sha256) with the pysaml2 IdP key, as
  ``scripts/gen-interop.py`` runs it.

Every builder returns the base64 of the whole ``samlp:Response`` (what ``SAMLAssertion`` carries);
``*_xml`` variants return the XML bytes (for ``fedgate saml check``).

Defaults: AWS ``Role`` attribute ``<role ARN>,<provider ARN>`` and ``RoleSessionName`` ``alice``;
NameID ``alice`` (persistent); Destination and Recipient ``https://signin.aws.amazon.com/saml``;
Audience ``urn:amazon:webservices``; ``Conditions`` and ``SubjectConfirmationData`` valid for
5 minutes from now. The ``AuthnStatement`` carries **no** ``SessionNotOnOrAfter`` by default,
because it caps the STS session (``Expiration = min(now + DurationSeconds, SessionNotOnOrAfter)``)
and the tests expect the default one-hour session; pass ``session_not_on_or_after`` to set one.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import importlib.util
import shutil
import sys
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / "tests" / "keys"


def _load_fixturelib():
    """Import scripts/fixturelib.py by path (scripts/ is not a package)."""
    name = "fedgate_fixturelib"
    if name in sys.modules:
        return sys.modules[name]
    path = REPO / "scripts" / "fixturelib.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


F = _load_fixturelib()

ACCOUNT = "000000000000"
ACS_URL = F.ACS_URL  # https://signin.aws.amazon.com/saml
SP_ENTITY_ID = F.SP_ENTITY_ID  # urn:amazon:webservices
ROLE_ATTR = F.ROLE_ATTR
RSN_ATTR = F.RSN_ATTR
PRINCIPAL_TAG_ATTR = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
PERSISTENT = F.PERSISTENT


@dataclass(frozen=True)
class Idp:
    """A test identity provider: entity ID, signing key (tests/keys/<key>.*), metadata file."""

    name: str
    entity_id: str
    key: str
    metadata: Path | None

    @property
    def metadata_text(self) -> str:
        assert self.metadata is not None, f"{self.name} has no metadata"
        return self.metadata.read_text(encoding="utf-8")


IDP_A = Idp("a", "https://idp-a.example.test/saml", "idp-a", KEYS / "idp-a-metadata.xml")
IDP_B = Idp("b", "https://idp-b.example.test/saml", "idp-b", KEYS / "idp-b-metadata.xml")
IDP_PYSAML2 = Idp("pysaml2", "https://pysaml2-idp.example.test/saml", "pysaml2-idp",
                  KEYS / "pysaml2-idp-metadata.xml")
# The attacker: a key in no metadata (its certificate's CN imitates IdP A).
ATTACKER_KEY = "attacker"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def provider_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:saml-provider/{name}"


def role_pair(role: str, provider: str, account: str = ACCOUNT) -> str:
    """The AWS Role attribute value ``<role ARN>,<provider ARN>`` from short names."""
    return f"{role_arn(role, account)},{provider_arn(provider, account)}"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _new_id() -> str:
    return "_" + uuid.uuid4().hex


@dataclass
class Spec:
    """What to put in a Response. ``roles`` are Role attribute values (``role_pair(...)``)."""

    roles: list[str]
    session_name: str | None = "alice"
    nameid: str = "alice"
    nameid_format: str = PERSISTENT
    issuer: str | None = None  # default: the signing IdP's entity ID
    recipient: str = ACS_URL
    destination: str | None = ACS_URL  # None: no Destination attribute
    audience: str = SP_ENTITY_ID
    validity: dt.timedelta = dt.timedelta(minutes=5)
    issue_instant: dt.datetime | None = None  # default: now
    session_not_on_or_after: dt.datetime | None = None  # None: attribute absent
    principal_tags: dict[str, str] = field(default_factory=dict)
    extra_attributes: list[tuple[str, list[str]]] = field(default_factory=list)


# --- xmlsec1 -------------------------------------------------------------------------------------
def xmlsec1_response_xml(spec: Spec, *, idp: Idp = IDP_A, signing_key: str | None = None,
                         sign_assertion: bool = True, sign_response: bool = False,
                         signer: str = "xmlsec1") -> bytes:
    """The fixturelib Response, fresh, signed with ``signing_key`` (default: the IdP's) by the
    ``xmlsec1`` binary, or with ``signer="fedgate"`` by the project's own signer
    (``fedgate saml sign``, crates/dsig)."""
    if signer == "xmlsec1" and shutil.which(F.XMLSEC1) is None:
        raise RuntimeError(f"xmlsec1 not found ({F.XMLSEC1!r}); run scripts/setup-test-env.sh")
    issuer = spec.issuer or idp.entity_id
    doc = F.Doc(issuer, issue_instant=spec.issue_instant or now_utc(),
                response_id=_new_id(), assertion_id=_new_id())
    doc.validity = spec.validity
    doc.nameid = spec.nameid
    attrs: list[tuple[str, list[str]]] = [(ROLE_ATTR, list(spec.roles))]
    if spec.session_name is not None:
        attrs.append((RSN_ATTR, [spec.session_name]))
    for k, v in spec.principal_tags.items():
        attrs.append((PRINCIPAL_TAG_ATTR + k, [v]))
    attrs += spec.extra_attributes
    doc.attributes = attrs
    tree = doc.build()
    root = tree.getroot()
    ns = {"saml": F.SAML, "samlp": F.SAMLP}
    if spec.destination is None:
        del root.attrib["Destination"]
    else:
        root.set("Destination", spec.destination)
    root.find("saml:Assertion/saml:Subject/saml:NameID", ns).set("Format", spec.nameid_format)
    root.find("saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData",
              ns).set("Recipient", spec.recipient)
    root.find("saml:Assertion/saml:Conditions/saml:AudienceRestriction/saml:Audience", ns).text = spec.audience
    authn = root.find("saml:Assertion/saml:AuthnStatement", ns)
    if spec.session_not_on_or_after is None:
        del authn.attrib["SessionNotOnOrAfter"]
    else:
        authn.set("SessionNotOnOrAfter", F.iso(spec.session_not_on_or_after))
    key = F.Key(signing_key or idp.key)
    if signer == "fedgate":
        return fedgate_sign(etree.tostring(tree.getroot()), key, assertion=sign_assertion,
                            response=sign_response)
    return F.sign_doc(tree, assertion=sign_assertion, response=sign_response, key=key)


def fedgate_sign(xml: bytes, key, *, assertion: bool = True, response: bool = False) -> bytes:
    """Signs ``xml`` with ``fedgate saml sign`` (the binary under test, $FEDGATE_BIN)."""
    import os
    import subprocess

    binary = os.environ.get("FEDGATE_BIN") or str(REPO / "target" / "debug" / "fedgate")
    elements = (["--element", "assertion"] if assertion else []) + (["--element", "response"] if response else [])
    out = subprocess.run([binary, "saml", "sign", "-", "--key", str(key.key_path), "--cert", str(key.cert_path),
                          *elements], input=xml, capture_output=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"fedgate saml sign failed: {out.stderr.decode(errors='replace')}")
    return out.stdout


# --- pysaml2 ------------------------------------------------------------------------------------
_AWS_SP_METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{sp}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService index="1" isDefault="true"
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""


@functools.lru_cache(maxsize=None)
def _pysaml2_server(entity_id: str, key_name: str, lifetime_minutes: int):
    warnings.filterwarnings("ignore", message=".*CFB.*")  # pysaml2 on recent cryptography
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_PERSISTENT
    from saml2.server import Server

    key = F.Key(key_name)
    xmlsec = shutil.which(F.XMLSEC1)
    if xmlsec is None:
        raise RuntimeError("xmlsec1 not found; pysaml2 needs it (run scripts/setup-test-env.sh)")
    conf = IdPConfig()
    conf.load({
        "entityid": entity_id,
        "key_file": str(key.key_path),
        "cert_file": str(key.cert_path),
        "xmlsec_binary": xmlsec,
        "crypto_backend": "xmlsec1",
        "service": {
            "idp": {
                "name": "fedgate e2e test IdP (pysaml2)",
                "endpoints": {
                    "single_sign_on_service": [
                        (entity_id + "/sso/redirect", BINDING_HTTP_REDIRECT),
                        (entity_id + "/sso/post", BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": lifetime_minutes},
                        "attribute_restrictions": None,
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                    },
                },
            },
        },
        "metadata": {"inline": [_AWS_SP_METADATA.format(sp=SP_ENTITY_ID, acs=ACS_URL)]},
    })
    return Server(config=conf)


def pysaml2_response_xml(spec: Spec, *, sign_assertion: bool = True, sign_response: bool = False) -> bytes:
    """A Response from a real pysaml2 IdP (IDP_PYSAML2's entity and key), RSA-SHA256 + SHA-256.

    pysaml2 reads the wall clock itself: ``issue_instant``, ``issuer``, ``audience``,
    ``destination=None`` and ``session_not_on_or_after`` are not supported here."""
    unsupported = [n for n, bad in [
        ("issue_instant", spec.issue_instant is not None),
        ("issuer", spec.issuer not in (None, IDP_PYSAML2.entity_id)),
        ("audience", spec.audience != SP_ENTITY_ID),
        ("destination", spec.destination != spec.recipient),
        ("session_not_on_or_after", spec.session_not_on_or_after is not None),
        ("nameid_format", spec.nameid_format != PERSISTENT),
    ] if bad]
    if unsupported:
        raise ValueError(f"pysaml2 factory does not support: {', '.join(unsupported)}")
    minutes = int(spec.validity.total_seconds() // 60)
    if minutes <= 0 or spec.validity.total_seconds() % 60:
        raise ValueError("pysaml2 validity must be a positive whole number of minutes")
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

    server = _pysaml2_server(IDP_PYSAML2.entity_id, IDP_PYSAML2.key, minutes)
    identity: dict[str, list[str]] = {ROLE_ATTR: list(spec.roles)}
    if spec.session_name is not None:
        identity[RSN_ATTR] = [spec.session_name]
    for k, v in spec.principal_tags.items():
        identity[PRINCIPAL_TAG_ATTR + k] = [v]
    for name, values in spec.extra_attributes:
        identity[name] = list(values)
    resp = server.create_authn_response(
        identity,
        in_response_to=None,  # IdP-initiated, as AWS expects
        destination=spec.recipient,
        sp_entity_id=SP_ENTITY_ID,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=spec.nameid),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        sign_assertion=sign_assertion,
        sign_response=sign_response,
        sign_alg=F.RSA_SHA256,
        digest_alg=F.SHA256,
    )
    xml = str(resp).encode()
    return xml if xml.endswith(b"\n") else xml + b"\n"


# --- convenience builders (base64, as SAMLAssertion wants it) ---------------------------------------
SAME_AS_RECIPIENT = object()  # default of response_xml(destination=...)


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode("ascii")


def response_xml(*, idp: Idp = IDP_A, role: str = "ConnectAgent", provider: str = "IdpA",
                 roles: list[str] | None = None, session_name: str | None = "alice",
                 nameid: str = "alice", issuer: str | None = None, expired: bool = False,
                 attacker: bool = False, principal_tags: dict[str, str] | None = None,
                 recipient: str = ACS_URL, destination: "str | None | object" = SAME_AS_RECIPIENT,
                 validity: dt.timedelta = dt.timedelta(minutes=5),
                 session_not_on_or_after: dt.datetime | None = None,
                 sign_assertion: bool = True, sign_response: bool = False,
                 signer: str = "xmlsec1") -> bytes:
    """One Response as XML bytes. ``idp`` chooses the signer (IDP_A / IDP_B: xmlsec1 with that
    IdP's key, or fedgate's own signer with ``signer="fedgate"``; IDP_PYSAML2: the pysaml2 IdP).

    - ``role``/``provider``: short names for the single Role pair (or ``roles``: full values);
    - ``expired``: issued 1 h ago with 5 min validity (well past fedgate's 180 s skew);
    - ``attacker``: signed by the attacker's key (its certificate in KeyInfo), issuer unchanged;
    - ``issuer``: another Issuer (wrong issuer), still signed with ``idp``'s key;
    - ``session_name``: e.g. ``"alice smith"`` (invalid) or None (attribute absent);
    - ``principal_tags``: extra ``PrincipalTag:<key>`` attributes;
    - ``recipient``/``destination``: the Recipient, and Destination (default: same as recipient).
    """
    spec = Spec(
        roles=roles if roles is not None else [role_pair(role, provider)],
        session_name=session_name,
        nameid=nameid,
        issuer=issuer,
        recipient=recipient,
        destination=recipient if destination is SAME_AS_RECIPIENT else destination,
        validity=validity,
        session_not_on_or_after=session_not_on_or_after,
        principal_tags=dict(principal_tags or {}),
    )
    if expired:
        spec.issue_instant = now_utc() - dt.timedelta(hours=1)
    if idp is IDP_PYSAML2:
        if expired or attacker:
            raise ValueError("expired/attacker responses are built with xmlsec1 (idp=IDP_A or IDP_B)")
        return pysaml2_response_xml(spec, sign_assertion=sign_assertion, sign_response=sign_response)
    return xmlsec1_response_xml(spec, idp=idp, signing_key=ATTACKER_KEY if attacker else None,
                                sign_assertion=sign_assertion, sign_response=sign_response, signer=signer)


def response(**kw) -> str:
    """Like :func:`response_xml`, base64-encoded (the ``SAMLAssertion`` parameter)."""
    return b64(response_xml(**kw))


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
