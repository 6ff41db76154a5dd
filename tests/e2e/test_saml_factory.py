"""Self-test of saml_factory: its fresh responses are checked offline by `fedgate saml check`.

This needs no running server (only the binary), so a broken factory is told apart from a
broken server: when these fail, the federation tests' failures say nothing about the server."""

from __future__ import annotations

import json
import subprocess

import pytest

import saml_factory as S

ACS_PORTAL = "http://127.0.0.1:8080/saml"


def saml_check(fedgate_bin, tmp_path, xml: bytes, *metadata, extra=()) -> dict:
    f = tmp_path / "response.xml"
    f.write_bytes(xml)
    cmd = [str(fedgate_bin), "saml", "check", "--json", str(f)]
    for m in metadata:
        cmd += ["--metadata", str(m)]
    r = subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=60)
    try:
        out = json.loads(r.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"`{' '.join(cmd)}` printed no JSON (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
    assert (r.returncode == 0) == out["valid"], (r.returncode, out)
    return out


VALID = {
    "idp-a-xmlsec1": (lambda: S.response_xml(), S.IDP_A),
    "idp-b-xmlsec1": (lambda: S.response_xml(idp=S.IDP_B, provider="IdpB"), S.IDP_B),
    "idp-b-xmlsec1-response-and-assertion-signed":
        (lambda: S.response_xml(idp=S.IDP_B, provider="IdpB", sign_response=True), S.IDP_B),
    "pysaml2": (lambda: S.response_xml(idp=S.IDP_PYSAML2, provider="Pysaml2Idp"), S.IDP_PYSAML2),
    "principal-tags": (lambda: S.response_xml(principal_tags={"Department": "sales", "CostCenter": "42"}), S.IDP_A),
    "two-roles": (lambda: S.response_xml(roles=[S.role_pair("Other", "IdpA"), S.role_pair("ConnectAgent", "IdpA")]),
                  S.IDP_A),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_factory_fresh_response_is_valid(name, fedgate_bin, tmp_path):
    build, idp = VALID[name]
    out = saml_check(fedgate_bin, tmp_path, build(), idp.metadata)
    assert out["valid"] is True, out
    assert out["issuer"] == idp.entity_id
    assert out["subject"] == "alice" and out["subject_type"] == "persistent"
    assert out["session_name"] == "alice"
    assert out["recipient"] == S.ACS_URL
    assert S.SP_ENTITY_ID in out["audiences"]
    assert out["session_not_on_or_after"] is None  # no cap on the STS session
    assert {r["role_arn"] for r in out["roles"]} >= {S.role_arn("ConnectAgent")}


def test_factory_principal_tags_are_attributes(fedgate_bin, tmp_path):
    out = saml_check(fedgate_bin, tmp_path, S.response_xml(principal_tags={"Department": "sales"}), S.IDP_A.metadata)
    assert out["principal_tags"] == [{"key": "Department", "value": "sales"}]


def test_factory_portal_recipient(fedgate_bin, tmp_path):
    out = saml_check(fedgate_bin, tmp_path, S.response_xml(recipient=ACS_PORTAL), S.IDP_A.metadata,
                     extra=["--acs-url", S.ACS_URL, "--acs-url", ACS_PORTAL])
    assert out["valid"] is True and out["recipient"] == ACS_PORTAL


INVALID = {
    "expired": (lambda: S.response_xml(expired=True), S.IDP_A, "expired"),
    "attacker-signed": (lambda: S.response_xml(attacker=True), S.IDP_A, "key_not_trusted"),
    "wrong-issuer": (lambda: S.response_xml(issuer="https://unknown-idp.example.test/saml"), S.IDP_A,
                     "issuer_unknown"),
    "idp-a-response-checked-against-idp-b": (lambda: S.response_xml(provider="IdpB"), S.IDP_B, "issuer_unknown"),
    "bad-role-session-name": (lambda: S.response_xml(session_name="alice smith"), S.IDP_A,
                              "role_session_name_invalid"),
    "foreign-recipient": (lambda: S.response_xml(recipient="https://evil.example.test/saml"), S.IDP_A,
                          "destination_mismatch"),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_factory_broken_response_is_rejected(name, fedgate_bin, tmp_path):
    build, idp, code = INVALID[name]
    out = saml_check(fedgate_bin, tmp_path, build(), idp.metadata)
    assert out["valid"] is False, out
    assert out["error"]["code"] == code, out


def test_factory_base64_is_what_the_check_accepts(fedgate_bin, tmp_path):
    import base64
    b64 = S.response(idp=S.IDP_B, provider="IdpB")
    assert base64.b64decode(b64).startswith(b"<?xml")
    out = saml_check(fedgate_bin, tmp_path, b64.encode(), S.IDP_B.metadata)
    assert out["valid"] is True, out
