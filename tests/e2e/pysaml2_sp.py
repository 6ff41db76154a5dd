"""A real SAML 2.0 service provider for the IdP tests: pysaml2's ``Saml2Client`` built from an
``SPConfig`` (xmlsec1 backend, RSA-SHA256 / SHA-256), with a key and self-signed certificate of its
own made in the test's temporary directory.

Two steps, because each side needs the other's metadata:

1. ``Pysaml2Sp(...)`` writes the SP key and certificate, and ``metadata_xml()`` gives the SP
   metadata (``saml2.metadata.create_metadata_string``) to hand to the IdP as ``sp_metadata``;
2. once the IdP runs, ``client(idp_metadata)`` is the ``Saml2Client`` trusting it (the IdP metadata
   from its ``GET /metadata``).

``metadata_acs_urls`` are the ACS URLs published in the SP metadata; ``acs_urls`` (default: the same)
are those the client itself accepts as Destination/Recipient, so a test can make the client accept a
URL the metadata does not list (registered at the IdP through ``acs_urls`` only).

Nothing listens on the ACS URLs: the tests take the ``SAMLResponse`` from the IdP's ``idp-post``
page and give it to ``parse_authn_request_response`` directly.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from lxml import etree

from simplesamlphp import make_key_and_cert

warnings.filterwarnings("ignore", message=".*CFB.*")  # pysaml2 on recent cryptography

SIG_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"


class Pysaml2Sp:
    def __init__(self, workdir: Path, entity_id: str, metadata_acs_urls: list[str], *,
                 acs_urls: list[str] | None = None, authn_requests_signed: bool = True,
                 want_response_signed: bool = False):
        self.workdir = workdir
        self.entity_id = entity_id
        self.metadata_acs_urls = list(metadata_acs_urls)
        self.acs_urls = list(acs_urls if acs_urls is not None else metadata_acs_urls)
        self.authn_requests_signed = authn_requests_signed
        self.want_response_signed = want_response_signed
        workdir.mkdir(parents=True, exist_ok=True)
        self.key_path = workdir / "sp.key"
        self.cert_path = workdir / "sp.crt"
        if not self.key_path.exists():
            make_key_and_cert(self.key_path, self.cert_path, f"fedgate e2e pysaml2 SP {entity_id}")
        self.metadata_path = workdir / "sp-metadata.xml"

    @staticmethod
    def xmlsec_binary() -> str:
        found = shutil.which("xmlsec1")
        if found is None:
            pytest.fail("xmlsec1 not found on PATH (pysaml2 needs it; run scripts/setup-test-env.sh)")
        return found

    def _config(self, acs_urls: list[str], idp_metadata: bytes | None):
        from saml2 import BINDING_HTTP_POST
        from saml2.config import SPConfig

        conf = {
            "entityid": self.entity_id,
            "key_file": str(self.key_path),
            "cert_file": str(self.cert_path),
            "xmlsec_binary": self.xmlsec_binary(),
            "crypto_backend": "xmlsec1",
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "name": f"fedgate e2e SP {self.entity_id}",
                    "endpoints": {
                        "assertion_consumer_service": [(u, BINDING_HTTP_POST) for u in acs_urls],
                    },
                    "authn_requests_signed": self.authn_requests_signed,
                    "want_assertions_signed": True,
                    "want_response_signed": self.want_response_signed,
                    "allow_unsolicited": True,
                    "name_id_format": [NAMEID_PERSISTENT],
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                },
            },
        }
        if idp_metadata is not None:
            conf["metadata"] = {"inline": [idp_metadata.decode()]}
        sp = SPConfig()
        sp.load(conf)
        return sp

    def metadata_xml(self) -> bytes:
        """The SP metadata (written to ``metadata_path`` too), checked to say what the tests rely on."""
        from saml2.metadata import create_metadata_string

        xml = create_metadata_string(None, config=self._config(self.metadata_acs_urls, None))
        xml = xml if isinstance(xml, bytes) else xml.encode()
        root = etree.fromstring(xml)
        (sp,) = root.findall(f"{{{MD}}}SPSSODescriptor")
        assert sp.get("AuthnRequestsSigned") == ("true" if self.authn_requests_signed else "false"), xml
        assert sorted(sp.xpath("md:AssertionConsumerService/@Location", namespaces={"md": MD})) == \
            sorted(self.metadata_acs_urls), xml
        assert sp.xpath("md:KeyDescriptor", namespaces={"md": MD}), f"no SP key in its metadata:\n{xml}"
        self.metadata_path.write_bytes(xml)
        return xml

    def client(self, idp_metadata: bytes):
        from saml2.client import Saml2Client

        return Saml2Client(config=self._config(self.acs_urls, idp_metadata))
