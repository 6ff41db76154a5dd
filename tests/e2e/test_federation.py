"""Black-box tests of `fedgate serve` with real clients: boto3 and the aws CLI for IAM and STS,
SAML responses signed by xmlsec1 (IdP A, IdP B) and by a real pysaml2 IdP.

The session-wide `world` fixture builds the federation the way an administrator would (providers,
one role trusting all of them, role policies, extra roles for the negative cases); the tests then
look at it from every side. The persistence tests at the end of this file restart the server.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

import saml_factory as S
from harness import ACCOUNT, FedgateServer, http_get

ROLE = "ConnectAgent"
A, B, P = "IdpA", "IdpB", "Pysaml2Idp"
A_ARN, B_ARN, P_ARN = (S.provider_arn(n) for n in (A, B, P))
ROLE_ARN = S.role_arn(ROLE)
AUD = "https://signin.aws.amazon.com/saml"
MANAGED_POLICY = "ConnectAgentDescribe"
INLINE_POLICY = "ConnectFederation"
A_TAGS = [{"Key": "team", "Value": "contact-center"}, {"Key": "env", "Value": "e2e"}]


def trust_policy(providers: list[str], *, aud: str = AUD, actions=("sts:AssumeRoleWithSAML",)) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": providers if len(providers) > 1 else providers[0]},
            "Action": list(actions) if len(actions) > 1 else actions[0],
            "Condition": {"StringEquals": {"SAML:aud": aud}},
        }],
    }


TRUST_AB = trust_policy([A_ARN, B_ARN])
TRUST_ABP = trust_policy([A_ARN, B_ARN, P_ARN])
INLINE_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken",
                   "Resource": f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/*/user/${{aws:userid}}"}],
}
MANAGED_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["connect:DescribeUser", "connect:ListInstances"], "Resource": "*"}],
}


@dataclass
class World:
    server: FedgateServer
    a_create: dict
    b_create: dict
    p_create: dict
    role: dict
    policy: dict

    @property
    def role_id(self) -> str:
        return self.role["RoleId"]


@pytest.fixture(scope="session")
def world(server) -> World:
    iam = server.iam
    a = iam.create_saml_provider(Name=A, SAMLMetadataDocument=S.IDP_A.metadata_text, Tags=A_TAGS)
    b = server.aws_json("iam", "create-saml-provider", "--saml-metadata-document", f"file://{S.IDP_B.metadata}",
                        "--name", B)
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_AB),
                           Description="agents from every IdP")["Role"]
    iam.put_role_policy(RoleName=ROLE, PolicyName=INLINE_POLICY, PolicyDocument=json.dumps(INLINE_DOC))
    policy = iam.create_policy(PolicyName=MANAGED_POLICY, PolicyDocument=json.dumps(MANAGED_DOC))["Policy"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy["Arn"])
    # the pysaml2 IdP joins later: a third provider, added to the trust policy
    p = iam.create_saml_provider(Name=P, SAMLMetadataDocument=S.IDP_PYSAML2.metadata_text)
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(TRUST_ABP))
    # roles for the other cases
    iam.create_role(RoleName="OnlyIdpB", AssumeRolePolicyDocument=json.dumps(trust_policy([B_ARN])))
    iam.create_role(RoleName="TaggedAgent", AssumeRolePolicyDocument=json.dumps(
        trust_policy([A_ARN], actions=("sts:AssumeRoleWithSAML", "sts:TagSession"))))
    iam.create_role(RoleName="PortalAgent", AssumeRolePolicyDocument=json.dumps(
        trust_policy([A_ARN], aud=server.base_url + "/saml")))
    return World(server, a, b, p, role, policy)


# --- helpers --------------------------------------------------------------------------------------------
def expect_error(code: str, status: int, call, *args, **kwargs) -> dict:
    """Run a boto3 call that must fail with exactly this AWS error code and HTTP status."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    resp = ei.value.response
    assert resp["Error"]["Code"] == code, resp
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    assert resp["Error"].get("Type") == ("Sender" if status < 500 else "Receiver"), resp
    assert resp["Error"].get("Message"), resp
    return resp


def name_qualifier(issuer: str, provider: str) -> str:
    return base64.b64encode(hashlib.sha1(f"{issuer}{ACCOUNT}/{provider}".encode()).digest()).decode()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def assume(server: FedgateServer, assertion: str, *, role: str = ROLE, provider: str = A, **kw) -> dict:
    return server.sts_unsigned.assume_role_with_saml(RoleArn=S.role_arn(role), PrincipalArn=S.provider_arn(provider),
                                                     SAMLAssertion=assertion, **kw)


def check_assumed(out: dict, *, role: str, role_id: str, issuer: str, provider: str, audience: str = AUD,
                  duration: int = 3600, session: str = "alice") -> None:
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) >= 16, c
    assert re.fullmatch(r"\w+", c["AccessKeyId"]), c
    assert len(c["SecretAccessKey"]) >= 20 and c["SessionToken"], c
    exp = c["Expiration"]
    assert isinstance(exp, dt.datetime) and exp.tzinfo is not None, exp
    assert abs((exp - (utcnow() + dt.timedelta(seconds=duration))).total_seconds()) < 120, exp
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"
    assert out["AssumedRoleUser"] == {"Arn": arn, "AssumedRoleId": f"{role_id}:{session}"}, out["AssumedRoleUser"]
    assert out["Audience"] == audience
    assert out["Issuer"] == issuer
    assert out["Subject"] == "alice"
    assert out["SubjectType"] == "persistent"
    assert out["NameQualifier"] == name_qualifier(issuer, provider)


# --- the service ----------------------------------------------------------------------------------------
def test_health_and_readiness(server):
    for path in ("/healthz", "/readyz"):
        status, _ = http_get(server.base_url + path)
        assert status == 200, path


def test_admin_credentials_file(server):
    p = server.admin_credentials_path
    assert p.is_file()
    assert p.stat().st_mode & 0o777 == 0o600, oct(p.stat().st_mode)
    import configparser

    parsed = configparser.ConfigParser()
    parsed.read_string(p.read_text())  # the AWS credentials-file format (INI, comments allowed)
    assert parsed.sections() == ["default"], parsed.sections()
    key_id, secret = server.admin_credentials()
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id), key_id
    assert len(secret) >= 20, "secret too short"  # AWS's are 40 characters
    # it tells where the file is
    printed = server.stdout_path.read_text(errors="replace") + server.stderr_path.read_text(errors="replace")
    assert "admin-credentials" in printed, server.logs()
    assert secret not in printed, "the admin secret was printed/logged"


def test_get_caller_identity_admin(sts, server):
    out = sts.get_caller_identity()
    assert out["Account"] == ACCOUNT
    assert out["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:"), out
    assert out["UserId"], out


# --- SAML providers ---------------------------------------------------------------------------------------
def test_create_saml_provider_boto3(world):
    assert world.a_create["SAMLProviderArn"] == A_ARN
    assert world.a_create.get("Tags") == sorted(A_TAGS, key=lambda t: t["Key"])
    assert world.p_create["SAMLProviderArn"] == P_ARN


def test_create_saml_provider_aws_cli(world):
    assert world.b_create["SAMLProviderArn"] == B_ARN


def test_list_saml_providers(world, iam):
    listed = {p["Arn"]: p for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert set(listed) == {A_ARN, B_ARN, P_ARN}
    for p in listed.values():
        assert isinstance(p["CreateDate"], dt.datetime) and isinstance(p["ValidUntil"], dt.datetime), p
        assert abs((utcnow() - p["CreateDate"]).total_seconds()) < 3600, p
        assert p["ValidUntil"] > utcnow(), p


def test_list_saml_providers_aws_cli(world, server):
    out = server.aws_json("iam", "list-saml-providers")
    assert {p["Arn"] for p in out["SAMLProviderList"]} == {A_ARN, B_ARN, P_ARN}


@pytest.mark.parametrize("name,idp", [(A, S.IDP_A), (B, S.IDP_B), (P, S.IDP_PYSAML2)], ids=[A, B, P])
def test_get_saml_provider(world, iam, name, idp):
    out = iam.get_saml_provider(SAMLProviderArn=S.provider_arn(name))
    assert re.fullmatch(r"[A-Z0-9]{22,64}", out["SAMLProviderUUID"]), out["SAMLProviderUUID"]
    assert out["SAMLMetadataDocument"] == idp.metadata_text  # verbatim, byte for byte
    assert out["AssertionEncryptionMode"] == "Allowed"
    assert isinstance(out["CreateDate"], dt.datetime) and out["ValidUntil"] > utcnow(), out
    assert out.get("PrivateKeyList", []) == []
    if name != B:  # B's tags are the subject of test_tag_untag_list_saml_provider_tags
        assert out.get("Tags", []) == (sorted(A_TAGS, key=lambda t: t["Key"]) if name == A else [])


def test_saml_provider_uuids_are_distinct(world, iam):
    uuids = {iam.get_saml_provider(SAMLProviderArn=a)["SAMLProviderUUID"] for a in (A_ARN, B_ARN, P_ARN)}
    assert len(uuids) == 3


def test_get_saml_provider_aws_cli(world, server):
    out = server.aws_json("iam", "get-saml-provider", "--saml-provider-arn", B_ARN)
    assert out["SAMLMetadataDocument"] == S.IDP_B.metadata_text
    assert out["AssertionEncryptionMode"] == "Allowed"


def test_tag_untag_list_saml_provider_tags(world, iam):
    arn = B_ARN
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == []
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "site", "Value": "backup"},
                                                     {"Key": "owner", "Value": "noc"}])
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "site", "Value": "dr"}])  # same key overwrites
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "owner", "Value": "noc"}, {"Key": "site", "Value": "dr"}]  # sorted by key
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["owner"])
    out = iam.list_saml_provider_tags(SAMLProviderArn=arn)
    assert out["Tags"] == [{"Key": "site", "Value": "dr"}]
    assert out.get("IsTruncated", False) is False
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [{"Key": "site", "Value": "dr"}]
    # A's tags were set at creation and are untouched
    assert iam.list_saml_provider_tags(SAMLProviderArn=A_ARN)["Tags"] == sorted(A_TAGS, key=lambda t: t["Key"])


def test_tag_unknown_saml_provider(world, iam):
    expect_error("NoSuchEntity", 404, iam.tag_saml_provider, SAMLProviderArn=S.provider_arn("Nope"),
                 Tags=[{"Key": "k", "Value": "v"}])


# --- roles and policies -------------------------------------------------------------------------------------
def test_create_role_result(world):
    r = world.role
    assert r["Arn"] == ROLE_ARN and r["RoleName"] == ROLE and r["Path"] == "/"
    assert re.fullmatch(r"AROA[A-Z0-9]{12,}", r["RoleId"]), r["RoleId"]
    assert isinstance(r["CreateDate"], dt.datetime)
    assert r["AssumeRolePolicyDocument"] == TRUST_AB  # boto3 URL-decodes and parses it


def test_get_role_returns_trust_policy(world, iam):
    r = iam.get_role(RoleName=ROLE)["Role"]
    assert r["Arn"] == ROLE_ARN and r["RoleId"] == world.role_id
    assert r["AssumeRolePolicyDocument"] == TRUST_ABP  # updated to name the pysaml2 provider too
    assert r.get("MaxSessionDuration") == 3600
    assert r.get("Description") == "agents from every IdP"


def test_inline_role_policy(world, iam):
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [INLINE_POLICY]
    out = iam.get_role_policy(RoleName=ROLE, PolicyName=INLINE_POLICY)
    assert out["RoleName"] == ROLE and out["PolicyName"] == INLINE_POLICY
    assert out["PolicyDocument"] == INLINE_DOC


def test_managed_policy_attached(world, iam):
    assert world.policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/{MANAGED_POLICY}"
    assert world.policy["PolicyName"] == MANAGED_POLICY
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert attached == [{"PolicyName": MANAGED_POLICY, "PolicyArn": world.policy["Arn"]}]


# --- AssumeRoleWithSAML --------------------------------------------------------------------------------------
IDPS = {
    "idp-a-xmlsec1": (S.IDP_A, A),
    "idp-b-xmlsec1": (S.IDP_B, B),
    "pysaml2": (S.IDP_PYSAML2, P),
}


@pytest.mark.parametrize("which", list(IDPS))
def test_assume_role_with_saml(world, server, which):
    idp, provider = IDPS[which]
    out = assume(server, S.response(idp=idp, provider=provider), provider=provider)
    check_assumed(out, role=ROLE, role_id=world.role_id, issuer=idp.entity_id, provider=provider)
    # the temporary credentials sign requests
    c = out["Credentials"]
    me = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                       session_token=c["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert me["Account"] == ACCOUNT
    assert me["UserId"] == f"{world.role_id}:alice"


def test_assume_role_with_saml_response_signed_too(world, server):
    out = assume(server, S.response(idp=S.IDP_B, provider=B, sign_response=True), provider=B)
    check_assumed(out, role=ROLE, role_id=world.role_id, issuer=S.IDP_B.entity_id, provider=B)


def test_assume_role_with_saml_aws_cli(world, server):
    out = server.aws_json("sts", "assume-role-with-saml", "--role-arn", ROLE_ARN, "--principal-arn", B_ARN,
                          "--saml-assertion", S.response(idp=S.IDP_B, provider=B))
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    exp = dt.datetime.fromisoformat(out["Credentials"]["Expiration"].replace("Z", "+00:00"))
    assert abs((exp - utcnow() - dt.timedelta(hours=1)).total_seconds()) < 120
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice"
    assert out["Issuer"] == S.IDP_B.entity_id
    assert out["NameQualifier"] == name_qualifier(S.IDP_B.entity_id, B)


def test_assume_role_with_saml_duration_seconds(world, server):
    out = assume(server, S.response(), DurationSeconds=900)
    check_assumed(out, role=ROLE, role_id=world.role_id, issuer=S.IDP_A.entity_id, provider=A, duration=900)


def test_session_not_on_or_after_caps_the_session(world, server):
    cap = utcnow().replace(microsecond=0) + dt.timedelta(minutes=20)
    out = assume(server, S.response(session_not_on_or_after=cap))
    assert abs((out["Credentials"]["Expiration"] - cap).total_seconds()) < 5, out["Credentials"]["Expiration"]


def test_assertion_reusable_within_validity(world, server):
    assertion = S.response()
    one = assume(server, assertion)
    two = assume(server, assertion)
    assert one["Credentials"]["AccessKeyId"] != two["Credentials"]["AccessKeyId"]


def test_role_chosen_among_several_role_values(world, server):
    assertion = S.response(roles=[S.role_pair("OnlyIdpB", B), S.role_pair(ROLE, A)])
    out = assume(server, assertion)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice"


def test_principal_tags_need_sts_tag_session(world, server):
    tags = {"Department": "sales", "CostCenter": "42"}
    out = assume(server, S.response(role="TaggedAgent", principal_tags=tags), role="TaggedAgent")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/TaggedAgent/alice"
    # ConnectAgent's trust policy does not allow sts:TagSession
    expect_error("AccessDenied", 403, assume, server, S.response(principal_tags=tags))


def test_recipient_is_saml_aud(world, server):
    portal = server.base_url + "/saml"
    out = assume(server, S.response(role="PortalAgent", recipient=portal), role="PortalAgent")
    assert out["Audience"] == portal
    # ConnectAgent requires SAML:aud = https://signin.aws.amazon.com/saml
    expect_error("AccessDenied", 403, assume, server, S.response(recipient=portal))


def test_temporary_credentials_with_wrong_secret(world, server):
    c = assume(server, S.response())["Credentials"]
    sts = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"][:-1] + ("y" if c["SecretAccessKey"].endswith("x") else "x"),
                        session_token=c["SessionToken"])
    expect_error("SignatureDoesNotMatch", 403, sts.get_caller_identity)


def test_role_session_calls_iam_only_where_its_policies_allow(world, server, iam):
    """Every IAM call is decided by the policy engine: the role's policies, not the admin's."""
    c = assume(server, S.response())["Credentials"]
    session_iam = server.client("iam", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                                session_token=c["SessionToken"])
    # ConnectAgent's policies allow connect:GetFederationToken, nothing in IAM.
    error = expect_error("AccessDenied", 403, session_iam.list_saml_providers)
    assert "iam:ListSAMLProviders" in error["Error"]["Message"], error
    iam.put_role_policy(RoleName=ROLE, PolicyName="ReadProviders", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListSAMLProviders", "Resource": "*"}],
    }))
    try:
        assert session_iam.list_saml_providers()["SAMLProviderList"]
        expect_error("AccessDenied", 403, session_iam.list_roles)
    finally:
        iam.delete_role_policy(RoleName=ROLE, PolicyName="ReadProviders")


FAILURES = {
    # name: (assertion builder, role, provider, DurationSeconds, code, status)
    "attacker-signed": (lambda: S.response(attacker=True), ROLE, A, None, "InvalidIdentityToken", 400),
    "expired": (lambda: S.response(expired=True), ROLE, A, None, "ExpiredTokenException", 400),
    "issuer-a-presented-as-provider-b": (lambda: S.response(idp=S.IDP_A, provider=B), ROLE, B, None,
                                         "InvalidIdentityToken", 400),
    "unknown-issuer": (lambda: S.response(issuer="https://unknown-idp.example.test/saml"), ROLE, A, None,
                       "InvalidIdentityToken", 400),
    "bad-role-session-name": (lambda: S.response(session_name="alice smith"), ROLE, A, None,
                              "InvalidIdentityToken", 400),
    "missing-role-session-name": (lambda: S.response(session_name=None), ROLE, A, None,
                                  "InvalidIdentityToken", 400),
    "foreign-recipient": (lambda: S.response(recipient="https://evil.example.test/saml"), ROLE, A, None,
                          "InvalidIdentityToken", 400),
    "trust-policy-does-not-name-provider": (lambda: S.response(role="OnlyIdpB"), "OnlyIdpB", A, None,
                                            "AccessDenied", 403),
    "role-does-not-exist": (lambda: S.response(role="NoSuchRole"), "NoSuchRole", A, None, "AccessDenied", 403),
    "duration-exceeds-max-session-duration": (lambda: S.response(), ROLE, A, 7200, "ValidationError", 400),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_assume_role_with_saml_rejected(world, server, name):
    build, role, provider, duration, code, status = FAILURES[name]
    kw = {"DurationSeconds": duration} if duration else {}
    expect_error(code, status, assume, server, build(), role=role, provider=provider, **kw)


def test_assume_role_with_saml_rejected_aws_cli(world, server):
    r = server.aws("sts", "assume-role-with-saml", "--role-arn", ROLE_ARN, "--principal-arn", A_ARN,
                   "--saml-assertion", S.response(expired=True), check=False)
    assert r.returncode != 0
    assert "ExpiredTokenException" in r.stderr, r.stderr


# --- IAM errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", [
    '{"Version": "2012-10-17", "Statement": [',  # not JSON
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": {"Federated": A_ARN},
                                                        "Action": "sts:AssumeRoleWithSAML"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML"}]}),
], ids=["not-json", "bad-effect", "no-principal"])
def test_create_role_malformed_trust_policy(world, iam, doc):
    expect_error("MalformedPolicyDocument", 400, iam.create_role, RoleName="Malformed", AssumeRolePolicyDocument=doc)
    expect_error("NoSuchEntity", 404, iam.get_role, RoleName="Malformed")


def test_put_role_policy_with_principal_is_malformed(world, iam):
    doc = dict(INLINE_DOC, Statement=[dict(INLINE_DOC["Statement"][0], Principal={"Federated": A_ARN})])
    expect_error("MalformedPolicyDocument", 400, iam.put_role_policy, RoleName=ROLE, PolicyName="WithPrincipal",
                 PolicyDocument=json.dumps(doc))


def test_get_unknown_saml_provider(world, iam):
    expect_error("NoSuchEntity", 404, iam.get_saml_provider, SAMLProviderArn=S.provider_arn("DoesNotExist"))


def test_get_unknown_saml_provider_aws_cli(world, server):
    r = server.aws("iam", "get-saml-provider", "--saml-provider-arn", S.provider_arn("DoesNotExist"), check=False)
    assert r.returncode != 0 and "NoSuchEntity" in r.stderr, r.stderr


def test_get_unknown_role(world, iam):
    expect_error("NoSuchEntity", 404, iam.get_role, RoleName="DoesNotExist")


def test_duplicate_saml_provider_name(world, iam):
    expect_error("EntityAlreadyExists", 409, iam.create_saml_provider, Name=A,
                 SAMLMetadataDocument=S.IDP_B.metadata_text)
    # the original is unchanged
    assert iam.get_saml_provider(SAMLProviderArn=A_ARN)["SAMLMetadataDocument"] == S.IDP_A.metadata_text


def test_duplicate_role_name(world, iam):
    expect_error("EntityAlreadyExists", 409, iam.create_role, RoleName=ROLE,
                 AssumeRolePolicyDocument=json.dumps(TRUST_AB))


def test_create_saml_provider_with_unparsable_metadata(world, iam):
    junk = "<not-metadata>" + "x" * 1200 + "</not-metadata>"  # >= 1000 chars, botocore's minimum
    expect_error("InvalidInput", 400, iam.create_saml_provider, Name="Junk", SAMLMetadataDocument=junk)


def test_request_signed_with_wrong_secret(world, server):
    key_id, secret = server.admin_credentials()
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    expect_error("SignatureDoesNotMatch", 403, server.client("iam", access_key=key_id, secret_key=wrong)
                 .list_saml_providers)
    expect_error("SignatureDoesNotMatch", 403, server.client("sts", access_key=key_id, secret_key=wrong)
                 .get_caller_identity)


def test_unknown_access_key(world, server):
    c = dict(access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    expect_error("InvalidClientTokenId", 403, server.client("iam", **c).list_saml_providers)
    expect_error("InvalidClientTokenId", 403, server.client("sts", **c).get_caller_identity)


# --- persistence (restarts the server: keep these last) ------------------------------------------------------
def test_restart_keeps_everything(world, server):
    iam = server.iam
    before = {
        "providers": {p["Arn"]: iam.get_saml_provider(SAMLProviderArn=p["Arn"])
                      for p in iam.list_saml_providers()["SAMLProviderList"]},
        "role": iam.get_role(RoleName=ROLE)["Role"],
        "inline": iam.get_role_policy(RoleName=ROLE, PolicyName=INLINE_POLICY)["PolicyDocument"],
        "attached": iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"],
    }
    creds_file = server.admin_credentials_path.read_bytes()

    server.restart()

    assert server.admin_credentials_path.read_bytes() == creds_file
    iam = server.iam  # a fresh client, same admin key
    providers = {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert providers == set(before["providers"]) == {A_ARN, B_ARN, P_ARN}
    for arn, old in before["providers"].items():
        new = iam.get_saml_provider(SAMLProviderArn=arn)
        for k in ("SAMLProviderUUID", "SAMLMetadataDocument", "CreateDate", "ValidUntil", "AssertionEncryptionMode",
                  "Tags"):
            assert new.get(k) == old.get(k), (arn, k)
        assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == old.get("Tags", [])
    assert iam.list_saml_provider_tags(SAMLProviderArn=A_ARN)["Tags"] == sorted(A_TAGS, key=lambda t: t["Key"])
    role = iam.get_role(RoleName=ROLE)["Role"]
    for k in ("Arn", "RoleId", "CreateDate", "AssumeRolePolicyDocument", "MaxSessionDuration", "Description"):
        assert role.get(k) == before["role"].get(k), k
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [INLINE_POLICY]
    assert iam.get_role_policy(RoleName=ROLE, PolicyName=INLINE_POLICY)["PolicyDocument"] == before["inline"]
    assert iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"] == before["attached"]
    for name in ("OnlyIdpB", "TaggedAgent", "PortalAgent"):
        assert iam.get_role(RoleName=name)["Role"]["Arn"] == S.role_arn(name)
    assert server.sts.get_caller_identity()["Account"] == ACCOUNT
    # and federation still works
    out = assume(server, S.response(idp=S.IDP_B, provider=B), provider=B)
    check_assumed(out, role=ROLE, role_id=before["role"]["RoleId"], issuer=S.IDP_B.entity_id, provider=B)
    # the aws CLI with the same credentials file
    assert {p["Arn"] for p in server.aws_json("iam", "list-saml-providers")["SAMLProviderList"]} == providers


def test_temporary_credentials_survive_restart(world, server):
    c = assume(server, S.response())["Credentials"]
    server.restart()
    me = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                       session_token=c["SessionToken"]).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice"

# --- authorization of role sessions (regression tests from a security review) -----------------------------
# Requests are signed by botocore but built by hand, so that extra parameters can be added: the
# resource is the one the action defines (never another action's parameter), roles match by their
# stored ARN (with the path), and a session belongs to the role it was issued for.
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402


def signed_post(server, credentials: dict, params: dict, service: str = "iam") -> tuple[int, str]:
    """POST a Query request signed with SigV4 for `service`; returns (status, body)."""
    body = urllib.parse.urlencode(params)
    request = AWSRequest(method="POST", url=server.base_url + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    creds = Credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials.get("SessionToken"))
    SigV4Auth(creds, service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def scoped_role(world, iam):
    """A role trusted by IdP A whose session may manage only roles named team-*."""
    name = "ScopedAdmin"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    iam.put_role_policy(RoleName=name, PolicyName="TeamRolesOnly", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": f"arn:aws:iam::{ACCOUNT}:role/team-*"},
    ))
    iam.create_role(RoleName="Protected", AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    credentials = assume(world.server, S.response(role=name), role=name)["Credentials"]
    yield credentials
    iam.delete_role_policy(RoleName=name, PolicyName="TeamRolesOnly")
    iam.delete_role(RoleName=name)
    iam.delete_role(RoleName="Protected")


def test_another_actions_parameter_does_not_choose_the_resource(world, scoped_role):
    forged = {
        "Action": "UpdateAssumeRolePolicy", "Version": "2010-05-08", "RoleName": "Protected",
        "PolicyDocument": json.dumps(trust_policy([A_ARN])),
        "SAMLProviderArn": f"arn:aws:iam::{ACCOUNT}:role/team-x",
        "PolicyArn": f"arn:aws:iam::{ACCOUNT}:role/team-y",
    }
    status, body = signed_post(world.server, scoped_role, forged)
    assert status == 403 and "AccessDenied" in body, body
    assert f"role/Protected" in body, body


def test_attach_role_policy_is_authorized_on_the_role(world, iam, scoped_role):
    attach = {"Action": "AttachRolePolicy", "Version": "2010-05-08", "RoleName": "Protected",
              "PolicyArn": world.policy["Arn"]}
    status, body = signed_post(world.server, scoped_role, attach)
    assert status == 403 and "role/Protected" in body, body
    assert iam.list_attached_role_policies(RoleName="Protected")["AttachedPolicies"] == []


def test_a_deny_on_a_role_path_applies(world, iam):
    name = "PathGuard"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    iam.put_role_policy(RoleName=name, PolicyName="AllButAdmins", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": f"arn:aws:iam::{ACCOUNT}:role/admin/*"},
    ))
    iam.create_role(RoleName="Boss", Path="/admin/", AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    try:
        c = assume(world.server, S.response(role=name), role=name)["Credentials"]
        session_iam = world.server.client("iam", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                                          session_token=c["SessionToken"])
        expect_error("AccessDenied", 403, session_iam.put_role_policy, RoleName="Boss", PolicyName="x",
                     PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}))
        assert session_iam.get_role(RoleName=name)["Role"]["RoleName"] == name  # allowed elsewhere
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="AllButAdmins")
        iam.delete_role(RoleName=name)
        iam.delete_role(RoleName="Boss")


def test_a_session_does_not_outlive_its_role(world, iam):
    name = "Temp"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    c = assume(world.server, S.response(role=name), role=name)["Credentials"]
    iam.delete_role(RoleName=name)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy([A_ARN])))
    iam.put_role_policy(RoleName=name, PolicyName="Everything", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}))
    try:
        session_iam = world.server.client("iam", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                                          session_token=c["SessionToken"])
        expect_error("AccessDenied", 403, session_iam.list_roles)
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="Everything")
        iam.delete_role(RoleName=name)


def test_requests_signed_for_another_service_are_refused(world, server):
    key_id, secret = server.admin_credentials()
    status, body = signed_post(server, {"AccessKeyId": key_id, "SecretAccessKey": secret},
                               {"Action": "ListRoles", "Version": "2010-05-08"}, service="s3")
    assert status == 403 and "SignatureDoesNotMatch" in body, body


def test_a_missing_session_policy_is_no_oracle_for_unauthenticated_callers(world, server):
    sts = server.client("sts", unsigned=True)
    missing = [{"arn": f"arn:aws:iam::{ACCOUNT}:policy/DoesNotExist"}]
    # A forged assertion fails on the assertion, whether or not the policy exists.
    expect_error("InvalidIdentityToken", 400, sts.assume_role_with_saml, RoleArn=S.role_arn("ConnectAgent"),
                 PrincipalArn=A_ARN, SAMLAssertion=S.response(attacker=True), PolicyArns=missing)
    # An authenticated caller learns that it does not exist, and gets no credentials.
    expect_error("NoSuchEntity", 404, sts.assume_role_with_saml, RoleArn=S.role_arn("ConnectAgent"),
                 PrincipalArn=A_ARN, SAMLAssertion=S.response(), PolicyArns=missing)


def test_presigned_get_caller_identity_url(world, server):
    """botocore's generic presigner (as EKS-style tokens use) signs the empty body's hash."""
    url = server.sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    assert response.status == 200 and "<GetCallerIdentityResult>" in body, body
    assert f"<Account>{ACCOUNT}</Account>" in body, body
