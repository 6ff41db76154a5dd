"""Black-box tests of the contact-center API (REST-JSON, botocore `connect` 2017-08-08) of
`fedgate serve`, with boto3 and the aws CLI: every operation fedgate implements and its errors,
and GetFederationToken with role sessions obtained through AssumeRoleWithSAML (responses signed at
run time by xmlsec1 with IdP A's key).

The module has its own server (`make_server`), so its roles, users and instances do not meet the
other modules'. The `cc` fixture builds what an administrator would: a SAML provider, three roles
trusting it (one per GetFederationToken policy form of spec §4.4, one without the permission), a
SAML instance with agents named like the role sessions, and a CONNECT_MANAGED instance.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

import saml_factory as S
from harness import ACCOUNT, REGION, FedgateServer, aws_cli_path

IDP = "CcIdp"
AUD = "https://signin.aws.amazon.com/saml"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DEFAULT_SECURITY_PROFILES = ["Admin", "Agent", "CallCenterManager", "QualityAnalyst"]


def trust(provider_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider_arn},
                       "Action": "sts:AssumeRoleWithSAML",
                       "Condition": {"StringEquals": {"SAML:aud": AUD}}}],
    })


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{instance_id}"


@dataclass
class Cc:
    server: FedgateServer
    admin: object  # boto3 connect client with the administrator's key
    saml_id: str
    managed_id: str
    security: dict[str, str]  # profile name -> id (SAML instance)
    routing: str  # routing profile id (SAML instance)
    users: dict[str, str] = field(default_factory=dict)  # username -> user id (SAML instance)
    role_ids: dict[str, str] = field(default_factory=dict)

    def session(self, role: str, session_name: str) -> dict:
        """Temporary credentials of `role` for RoleSessionName `session_name`."""
        out = self.server.sts_unsigned.assume_role_with_saml(
            RoleArn=S.role_arn(role), PrincipalArn=S.provider_arn(IDP),
            SAMLAssertion=S.response(role=role, provider=IDP, session_name=session_name))
        return out["Credentials"]

    def connect_as(self, role: str, session_name: str):
        c = self.session(role, session_name)
        return self.server.client("connect", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                                  session_token=c["SessionToken"]), c


@pytest.fixture(scope="module")
def cc(make_server) -> Cc:
    server = make_server()
    iam, admin = server.iam, server.client("connect")
    provider = iam.create_saml_provider(Name=IDP, SAMLMetadataDocument=S.IDP_A.metadata_text)["SAMLProviderArn"]
    saml = admin.create_instance(IdentityManagementType="SAML", InstanceAlias="cc-e2e-saml",
                                 InboundCallsEnabled=True, OutboundCallsEnabled=False)
    managed = admin.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias="cc-e2e-managed",
                                    InboundCallsEnabled=True, OutboundCallsEnabled=True)
    saml_id = saml["Id"]
    role_ids = {}
    # Pattern 1 of spec §4.4: the user resource with ${aws:userid}.
    role_ids["CcAgent"] = iam.create_role(RoleName="CcAgent", AssumeRolePolicyDocument=trust(provider))["Role"]["RoleId"]
    iam.put_role_policy(RoleName="CcAgent", PolicyName="Federate", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken",
                       "Resource": f"{instance_arn(saml_id)}/user/${{aws:userid}}"}]}))
    # Pattern 2: any resource, the instance named by the connect:InstanceId condition key.
    role_ids["CcSupervisor"] = iam.create_role(RoleName="CcSupervisor", AssumeRolePolicyDocument=trust(provider))["Role"]["RoleId"]
    iam.put_role_policy(RoleName="CcSupervisor", PolicyName="Federate", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": "*",
                       "Condition": {"StringEquals": {"connect:InstanceId": saml_id}}},
                      {"Effect": "Allow", "Action": ["connect:DescribeUser", "connect:ListUsers"],
                       "Resource": "*"}]}))
    # No connect:GetFederationToken at all.
    role_ids["CcNoFederation"] = iam.create_role(RoleName="CcNoFederation", AssumeRolePolicyDocument=trust(provider))["Role"]["RoleId"]
    iam.put_role_policy(RoleName="CcNoFederation", PolicyName="ReadOnly", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "connect:DescribeInstance", "Resource": "*"}]}))
    security = {p["Name"]: p["Id"] for p in admin.list_security_profiles(InstanceId=saml_id)["SecurityProfileSummaryList"]}
    routing = admin.list_routing_profiles(InstanceId=saml_id)["RoutingProfileSummaryList"][0]["Id"]
    world = Cc(server, admin, saml_id, managed["Id"], security, routing, role_ids=role_ids)
    for username in ("alice", "bob@example.com"):
        world.users[username] = admin.create_user(
            InstanceId=saml_id, Username=username, SecurityProfileIds=[security["Agent"]], RoutingProfileId=routing,
            IdentityInfo={"FirstName": username.split("@")[0].title(), "LastName": "Agent"},
            PhoneConfig={"PhoneType": "SOFT_PHONE"})["UserId"]
    return world


# --- helpers --------------------------------------------------------------------------------------------
def expect_error(code: str, status: int, call, *args, **kwargs) -> dict:
    """Run a boto3 call that must fail with exactly this error code and HTTP status."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    resp = ei.value.response
    assert resp["Error"]["Code"] == code, resp
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, resp
    assert resp["Error"].get("Message"), resp
    return resp


def new_user(cc: Cc, instance_id: str, username: str, **kw) -> dict:
    profiles = {p["Name"]: p["Id"] for p in cc.admin.list_security_profiles(InstanceId=instance_id)["SecurityProfileSummaryList"]}
    routing = cc.admin.list_routing_profiles(InstanceId=instance_id)["RoutingProfileSummaryList"][0]["Id"]
    args = dict(InstanceId=instance_id, Username=username, SecurityProfileIds=[profiles["Agent"]],
                RoutingProfileId=routing, IdentityInfo={"FirstName": "Test", "LastName": "User"})
    args.update(kw)
    return cc.admin.create_user(**args)


def aws_cli(server: FedgateServer, *args: str, creds: dict | None = None, check: bool = True):
    """The aws CLI against the server: the admin's credentials file, or temporary credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": "/dev/null", "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    if creds is None:
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(server.admin_credentials_path)
    else:
        env.update({"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"], "AWS_SESSION_TOKEN": creds["SessionToken"]})
    cmd = [aws_cli_path(), "--endpoint-url", server.base_url, "--output", "json", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if check and r.returncode != 0:
        pytest.fail(f"aws {' '.join(args[:3])} failed ({r.returncode}):\n{r.stderr}\n{r.stdout}")
    return r


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- instances ------------------------------------------------------------------------------------------
def test_create_instance_result_and_describe(cc):
    assert UUID4.match(cc.saml_id), cc.saml_id
    inst = cc.admin.describe_instance(InstanceId=cc.saml_id)["Instance"]
    assert inst["Id"] == cc.saml_id
    assert inst["Arn"] == instance_arn(cc.saml_id)
    assert inst["IdentityManagementType"] == "SAML"
    assert inst["InstanceAlias"] == "cc-e2e-saml"
    assert inst["InstanceStatus"] == "ACTIVE"
    assert inst["InboundCallsEnabled"] is True and inst["OutboundCallsEnabled"] is False
    assert isinstance(inst["CreatedTime"], dt.datetime)
    assert abs((inst["CreatedTime"] - utcnow()).total_seconds()) < 600
    assert inst["InstanceAccessUrl"] == f"{cc.server.base_url}/connect/login/cc-e2e-saml"


def test_create_and_describe_instance_aws_cli(cc):
    out = json.loads(aws_cli(cc.server, "connect", "create-instance", "--identity-management-type", "SAML",
                             "--instance-alias", "cc-e2e-cli", "--inbound-calls-enabled",
                             "--no-outbound-calls-enabled", "--tags", "team=cc,env=e2e").stdout)
    assert UUID4.match(out["Id"]) and out["Arn"] == instance_arn(out["Id"])
    described = json.loads(aws_cli(cc.server, "connect", "describe-instance", "--instance-id", out["Id"]).stdout)
    assert described["Instance"]["InstanceAlias"] == "cc-e2e-cli"
    assert described["Instance"]["Tags"] == {"team": "cc", "env": "e2e"}
    listed = json.loads(aws_cli(cc.server, "connect", "list-instances").stdout)
    assert out["Id"] in [i["Id"] for i in listed["InstanceSummaryList"]]
    aws_cli(cc.server, "connect", "delete-instance", "--instance-id", out["Id"])
    r = aws_cli(cc.server, "connect", "describe-instance", "--instance-id", out["Id"], check=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr, r.stderr


def test_list_instances_pages(cc):
    ids = []
    for n in range(3):
        ids.append(cc.admin.create_instance(IdentityManagementType="CONNECT_MANAGED", InstanceAlias=f"cc-page-{n}",
                                            InboundCallsEnabled=False, OutboundCallsEnabled=False)["Id"])
    try:
        first = cc.admin.list_instances(MaxResults=2)
        assert len(first["InstanceSummaryList"]) == 2 and first["NextToken"]
        seen = [i["Id"] for page in cc.admin.get_paginator("list_instances").paginate(PaginationConfig={"PageSize": 2})
                for i in page["InstanceSummaryList"]]
        assert len(seen) == len(set(seen))
        assert set(ids) | {cc.saml_id, cc.managed_id} <= set(seen)
        summary = next(i for i in first["InstanceSummaryList"])
        assert {"Id", "Arn", "IdentityManagementType", "InstanceStatus", "CreatedTime"} <= summary.keys()
        expect_error("InvalidRequestException", 400, cc.admin.list_instances, NextToken="not-a-token!")
    finally:
        for instance_id in ids:
            cc.admin.delete_instance(InstanceId=instance_id)


def test_client_token_makes_create_instance_idempotent(cc):
    args = dict(IdentityManagementType="SAML", InstanceAlias="cc-idempotent", InboundCallsEnabled=True,
                OutboundCallsEnabled=True, ClientToken="e2e-token-1")
    first = cc.admin.create_instance(**args)
    try:
        again = cc.admin.create_instance(**args)
        assert (again["Id"], again["Arn"]) == (first["Id"], first["Arn"])
        assert [i["Id"] for i in cc.admin.list_instances()["InstanceSummaryList"]].count(first["Id"]) == 1
        expect_error("InvalidRequestException", 400, cc.admin.create_instance, **{**args, "OutboundCallsEnabled": False})
    finally:
        cc.admin.delete_instance(InstanceId=first["Id"])


@pytest.mark.parametrize("kwargs", [
    dict(IdentityManagementType="SAML", InstanceAlias="d-1234567890"),
    dict(IdentityManagementType="SAML", InstanceAlias="-leading-hyphen"),
    dict(IdentityManagementType="SAML", InstanceAlias="trailing-"),
    dict(IdentityManagementType="SAML", InstanceAlias="has space"),
    dict(IdentityManagementType="SAML", InstanceAlias="x" * 46),
    dict(IdentityManagementType="SAML"),
    dict(IdentityManagementType="CONNECT_MANAGED"),
    dict(IdentityManagementType="EXISTING_DIRECTORY"),
    dict(IdentityManagementType="EXISTING_DIRECTORY", DirectoryId="d-XYZXYZXYZX"),
    dict(IdentityManagementType="SAML", InstanceAlias="cc-dir", DirectoryId="d-0123456789"),
    dict(IdentityManagementType="LDAP", InstanceAlias="cc-ldap"),
], ids=["d-prefix", "leading-hyphen", "trailing-hyphen", "space", "too-long", "saml-without-alias",
        "managed-without-alias", "directory-without-id", "bad-directory-id", "directory-id-on-saml", "unknown-type"])
def test_create_instance_invalid(cc, kwargs):
    expect_error("InvalidRequestException", 400, cc.admin.create_instance,
                 InboundCallsEnabled=True, OutboundCallsEnabled=True, **kwargs)


def test_instance_alias_is_unique_case_insensitively(cc):
    expect_error("InvalidRequestException", 400, cc.admin.create_instance, IdentityManagementType="CONNECT_MANAGED",
                 InstanceAlias="CC-E2E-SAML", InboundCallsEnabled=True, OutboundCallsEnabled=True)


def test_existing_directory_instance(cc):
    out = cc.admin.create_instance(IdentityManagementType="EXISTING_DIRECTORY", DirectoryId="d-0123456789",
                                   InboundCallsEnabled=True, OutboundCallsEnabled=True)
    try:
        assert cc.admin.describe_instance(InstanceId=out["Id"])["Instance"]["IdentityManagementType"] == "EXISTING_DIRECTORY"
    finally:
        cc.admin.delete_instance(InstanceId=out["Id"])


def test_unknown_instance(cc):
    missing = "00000000-0000-4000-8000-000000000000"
    for call, kw in [(cc.admin.describe_instance, {}), (cc.admin.delete_instance, {}),
                     (cc.admin.list_users, {}), (cc.admin.list_security_profiles, {}),
                     (cc.admin.list_routing_profiles, {})]:
        expect_error("ResourceNotFoundException", 404, call, InstanceId=missing, **kw)


def test_delete_instance_removes_users(cc):
    out = cc.admin.create_instance(IdentityManagementType="SAML", InstanceAlias="cc-doomed",
                                   InboundCallsEnabled=True, OutboundCallsEnabled=True)
    user = new_user(cc, out["Id"], "doomed")
    cc.admin.delete_instance(InstanceId=out["Id"])
    expect_error("ResourceNotFoundException", 404, cc.admin.describe_instance, InstanceId=out["Id"])
    expect_error("ResourceNotFoundException", 404, cc.admin.describe_user, InstanceId=out["Id"], UserId=user["UserId"])
    assert out["Id"] not in [i["Id"] for i in cc.admin.list_instances()["InstanceSummaryList"]]


# --- default profiles -----------------------------------------------------------------------------------
def test_default_security_and_routing_profiles(cc):
    profiles = cc.admin.list_security_profiles(InstanceId=cc.saml_id)["SecurityProfileSummaryList"]
    assert sorted(p["Name"] for p in profiles) == DEFAULT_SECURITY_PROFILES
    for p in profiles:
        assert p["Arn"] == f"{instance_arn(cc.saml_id)}/security-profile/{p['Id']}"
        assert UUID4.match(p["Id"])
    routing = cc.admin.list_routing_profiles(InstanceId=cc.saml_id)["RoutingProfileSummaryList"]
    assert [r["Name"] for r in routing] == ["Basic Routing Profile"]
    assert routing[0]["Arn"] == f"{instance_arn(cc.saml_id)}/routing-profile/{routing[0]['Id']}"
    # Each instance has its own.
    other = cc.admin.list_security_profiles(InstanceId=cc.managed_id)["SecurityProfileSummaryList"]
    assert not {p["Id"] for p in other} & {p["Id"] for p in profiles}
    paged = cc.admin.list_security_profiles(InstanceId=cc.saml_id, MaxResults=3)
    assert len(paged["SecurityProfileSummaryList"]) == 3 and paged["NextToken"]


def test_profiles_aws_cli(cc):
    out = json.loads(aws_cli(cc.server, "connect", "list-security-profiles", "--instance-id", cc.saml_id).stdout)
    assert sorted(p["Name"] for p in out["SecurityProfileSummaryList"]) == DEFAULT_SECURITY_PROFILES
    out = json.loads(aws_cli(cc.server, "connect", "list-routing-profiles", "--instance-id", cc.saml_id).stdout)
    assert out["RoutingProfileSummaryList"][0]["Name"] == "Basic Routing Profile"


# --- users ----------------------------------------------------------------------------------------------
def test_create_and_describe_user(cc):
    uid = cc.users["alice"]
    assert UUID4.match(uid)
    user = cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]
    assert user["Id"] == uid
    assert user["Arn"] == f"{instance_arn(cc.saml_id)}/agent/{uid}"
    assert user["Username"] == "alice"
    assert user["IdentityInfo"] == {"FirstName": "Alice", "LastName": "Agent"}
    assert user["SecurityProfileIds"] == [cc.security["Agent"]]
    assert user["RoutingProfileId"] == cc.routing
    assert user["PhoneConfig"]["PhoneType"] == "SOFT_PHONE"
    assert "Password" not in json.dumps(user, default=str)


def test_create_user_aws_cli(cc):
    out = json.loads(aws_cli(
        cc.server, "connect", "create-user", "--instance-id", cc.saml_id, "--username", "cli.agent",
        "--security-profile-ids", cc.security["Agent"], cc.security["QualityAnalyst"],
        "--routing-profile-id", cc.routing, "--identity-info", "FirstName=Cli,LastName=Agent",
        "--phone-config", "PhoneType=DESK_PHONE,AutoAccept=true,AfterContactWorkTimeLimit=30,DeskPhoneNumber=+33123456789",
        "--tags", "site=lyon").stdout)
    described = json.loads(aws_cli(cc.server, "connect", "describe-user", "--instance-id", cc.saml_id,
                                   "--user-id", out["UserId"]).stdout)["User"]
    assert described["SecurityProfileIds"] == [cc.security["Agent"], cc.security["QualityAnalyst"]]
    assert described["PhoneConfig"] == {"PhoneType": "DESK_PHONE", "AutoAccept": True,
                                        "AfterContactWorkTimeLimit": 30, "DeskPhoneNumber": "+33123456789"}
    assert described["Tags"] == {"site": "lyon"}
    aws_cli(cc.server, "connect", "delete-user", "--instance-id", cc.saml_id, "--user-id", out["UserId"])


@pytest.mark.parametrize("extra,code", [
    (dict(Password="Passw0rd!"), "InvalidRequestException"),
    (dict(IdentityInfo={"FirstName": "E", "LastName": "Mail", "Email": "e@example.com"}), "InvalidRequestException"),
    (dict(DirectoryUserId="dir-user"), "InvalidRequestException"),
    (dict(IdentityInfo={"FirstName": "NoLast"}), "InvalidRequestException"),
    (dict(IdentityInfo={}), "InvalidRequestException"),
], ids=["password", "email", "directory-user-id", "no-last-name", "no-names"])
def test_saml_user_rules(cc, extra, code):
    expect_error(code, 400, new_user, cc, cc.saml_id, "refused", **extra)


@pytest.mark.parametrize("extra,code,status", [
    (dict(Username="alice smith"), "InvalidParameterException", 400),
    (dict(Username="a@b@c"), "InvalidParameterException", 400),
    (dict(Username="x" * 65), "InvalidParameterException", 400),
    (dict(SecurityProfileIds=["00000000-0000-4000-8000-000000000000"]), "ResourceNotFoundException", 404),
    (dict(RoutingProfileId="00000000-0000-4000-8000-000000000000"), "ResourceNotFoundException", 404),
    (dict(PhoneConfig={"PhoneType": "DESK_PHONE"}), "InvalidParameterException", 400),
    (dict(IdentityInfo={"FirstName": "A", "LastName": "B", "Mobile": "0612345678"}), "InvalidParameterException", 400),
], ids=["space-in-username", "two-ats", "too-long", "unknown-security-profile", "unknown-routing-profile",
        "desk-phone-without-number", "bad-mobile"])
def test_create_user_invalid(cc, extra, code, status):
    expect_error(code, status, new_user, cc, cc.saml_id, extra.pop("Username", "invalid.user"), **extra)


def test_security_profile_of_another_instance_is_refused(cc):
    other = cc.admin.list_security_profiles(InstanceId=cc.managed_id)["SecurityProfileSummaryList"][0]["Id"]
    expect_error("ResourceNotFoundException", 404, new_user, cc, cc.saml_id, "cross", SecurityProfileIds=[other])


def test_usernames_unique_per_instance_and_case_sensitive(cc):
    expect_error("DuplicateResourceException", 409, new_user, cc, cc.saml_id, "alice")
    upper = new_user(cc, cc.saml_id, "Alice")["UserId"]
    try:
        assert upper != cc.users["alice"]
        # The same name in another instance is another user.
        other = new_user(cc, cc.managed_id, "alice", Password="Passw0rd!")["UserId"]
        cc.admin.delete_user(InstanceId=cc.managed_id, UserId=other)
    finally:
        cc.admin.delete_user(InstanceId=cc.saml_id, UserId=upper)


def test_connect_managed_user_password_rules(cc):
    expect_error("InvalidRequestException", 400, new_user, cc, cc.managed_id, "nopassword")
    for weak in ("password1", "PASSWORD1", "Password", "Pa1"):
        expect_error("InvalidParameterException", 400, new_user, cc, cc.managed_id, "weak", Password=weak)
    out = new_user(cc, cc.managed_id, "carol", Password="Passw0rd!",
                   IdentityInfo={"FirstName": "Carol", "LastName": "Manager", "Email": "carol@example.com"})
    user = cc.admin.describe_user(InstanceId=cc.managed_id, UserId=out["UserId"])["User"]
    assert user["IdentityInfo"]["Email"] == "carol@example.com"
    assert "Passw0rd" not in json.dumps(user, default=str)
    cc.admin.delete_user(InstanceId=cc.managed_id, UserId=out["UserId"])


def test_list_users_pages(cc):
    listed = cc.admin.list_users(InstanceId=cc.saml_id)["UserSummaryList"]
    names = {u["Username"]: u for u in listed}
    assert {"alice", "bob@example.com"} <= names.keys()
    assert names["alice"]["Arn"] == f"{instance_arn(cc.saml_id)}/agent/{cc.users['alice']}"
    first = cc.admin.list_users(InstanceId=cc.saml_id, MaxResults=1)
    assert len(first["UserSummaryList"]) == 1 and first["NextToken"]
    paged = [u["Id"] for page in cc.admin.get_paginator("list_users").paginate(
        InstanceId=cc.saml_id, PaginationConfig={"PageSize": 1}) for u in page["UserSummaryList"]]
    assert sorted(paged) == sorted(u["Id"] for u in listed)
    expect_error("InvalidParameterException", 400, cc.admin.list_users, InstanceId=cc.saml_id, NextToken="%%%")


def test_list_users_aws_cli(cc):
    out = json.loads(aws_cli(cc.server, "connect", "list-users", "--instance-id", cc.saml_id).stdout)
    assert {"alice", "bob@example.com"} <= {u["Username"] for u in out["UserSummaryList"]}


def _search(cc, criteria=None, **kw):
    args = dict(InstanceId=cc.saml_id, **kw)
    if criteria is not None:
        args["SearchCriteria"] = criteria
    return cc.admin.search_users(**args)


def _cond(value, comparison="EXACT", field="Username"):
    return {"StringCondition": {"FieldName": field, "Value": value, "ComparisonType": comparison}}


@pytest.mark.parametrize("criteria,expected", [
    (_cond("alice"), {"alice"}),
    (_cond("ALICE"), set()),
    (_cond("bob", "STARTS_WITH"), {"bob@example.com"}),
    (_cond("example", "CONTAINS"), {"bob@example.com"}),
    ({"OrConditions": [_cond("alice"), _cond("bob@example.com")]}, {"alice", "bob@example.com"}),
    ({"AndConditions": [_cond("b", "STARTS_WITH"), _cond(".com", "CONTAINS")]}, {"bob@example.com"}),
    ({"AndConditions": [_cond("a", "STARTS_WITH"), _cond(".com", "CONTAINS")]}, set()),
], ids=["exact", "exact-is-case-sensitive", "starts-with", "contains", "or", "and", "and-none"])
def test_search_users(cc, criteria, expected):
    out = _search(cc, criteria)
    found = {u["Username"] for u in out["Users"]}
    assert found == expected
    assert out["ApproximateTotalCount"] == len(expected)
    for u in out["Users"]:
        assert u["Id"] == cc.users[u["Username"]]
        assert u["RoutingProfileId"] == cc.routing
        assert set(u["IdentityInfo"]) <= {"FirstName", "LastName"}


def test_search_users_pages_and_errors(cc):
    everyone = _search(cc)
    assert everyone["ApproximateTotalCount"] >= 2
    first = _search(cc, MaxResults=1)
    assert len(first["Users"]) == 1 and first["NextToken"]
    second = _search(cc, MaxResults=1, NextToken=first["NextToken"])
    assert second["Users"][0]["Id"] != first["Users"][0]["Id"]
    expect_error("InvalidParameterException", 400, _search, cc, _cond("x", "ENDS_WITH"))
    expect_error("InvalidParameterException", 400, _search, cc, _cond("x", field="Email"))
    expect_error("InvalidParameterException", 400, _search, cc,
                 SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "k", "TagValue": "v"}}})
    expect_error("ResourceNotFoundException", 404, cc.admin.search_users,
                 InstanceId="00000000-0000-4000-8000-000000000000")


def test_search_users_aws_cli(cc):
    criteria = json.dumps(_cond("ali", "STARTS_WITH"))
    out = json.loads(aws_cli(cc.server, "connect", "search-users", "--instance-id", cc.saml_id,
                             "--search-criteria", criteria).stdout)
    assert [u["Username"] for u in out["Users"]] == ["alice"]


def test_update_user_identity_info(cc):
    uid = new_user(cc, cc.saml_id, "renamed")["UserId"]
    try:
        cc.admin.update_user_identity_info(InstanceId=cc.saml_id, UserId=uid, IdentityInfo={"FirstName": "Renée"})
        info = cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]["IdentityInfo"]
        assert info == {"FirstName": "Renée", "LastName": "User"}, "members not given are kept"
        expect_error("InvalidRequestException", 400, cc.admin.update_user_identity_info, InstanceId=cc.saml_id,
                     UserId=uid, IdentityInfo={"Email": "r@example.com"})
        aws_cli(cc.server, "connect", "update-user-identity-info", "--instance-id", cc.saml_id, "--user-id", uid,
                "--identity-info", "LastName=Agent")
        info = cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]["IdentityInfo"]
        assert info == {"FirstName": "Renée", "LastName": "Agent"}
    finally:
        cc.admin.delete_user(InstanceId=cc.saml_id, UserId=uid)
    expect_error("ResourceNotFoundException", 404, cc.admin.update_user_identity_info, InstanceId=cc.saml_id,
                 UserId=uid, IdentityInfo={"FirstName": "Gone"})


def test_update_user_security_profiles(cc):
    uid = new_user(cc, cc.saml_id, "promoted")["UserId"]
    try:
        wanted = [cc.security["CallCenterManager"], cc.security["Admin"]]
        cc.admin.update_user_security_profiles(InstanceId=cc.saml_id, UserId=uid, SecurityProfileIds=wanted)
        assert cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]["SecurityProfileIds"] == wanted
        expect_error("ResourceNotFoundException", 404, cc.admin.update_user_security_profiles, InstanceId=cc.saml_id,
                     UserId=uid, SecurityProfileIds=["00000000-0000-4000-8000-000000000000"])
        assert cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]["SecurityProfileIds"] == wanted
        aws_cli(cc.server, "connect", "update-user-security-profiles", "--instance-id", cc.saml_id, "--user-id", uid,
                "--security-profile-ids", cc.security["Agent"])
        assert cc.admin.describe_user(InstanceId=cc.saml_id, UserId=uid)["User"]["SecurityProfileIds"] == [cc.security["Agent"]]
    finally:
        cc.admin.delete_user(InstanceId=cc.saml_id, UserId=uid)


def test_delete_user(cc):
    uid = new_user(cc, cc.saml_id, "leaver")["UserId"]
    cc.admin.delete_user(InstanceId=cc.saml_id, UserId=uid)
    expect_error("ResourceNotFoundException", 404, cc.admin.describe_user, InstanceId=cc.saml_id, UserId=uid)
    expect_error("ResourceNotFoundException", 404, cc.admin.delete_user, InstanceId=cc.saml_id, UserId=uid)
    # The name is free again.
    again = new_user(cc, cc.saml_id, "leaver")["UserId"]
    cc.admin.delete_user(InstanceId=cc.saml_id, UserId=again)


# --- GetFederationToken ---------------------------------------------------------------------------------
def check_token(cc: Cc, out: dict, username: str, session_expiration: dt.datetime) -> None:
    c = out["Credentials"]
    assert c["AccessToken"] and c["RefreshToken"] and c["AccessToken"] != c["RefreshToken"]
    assert isinstance(c["AccessTokenExpiration"], dt.datetime)
    # The access token never outlives the role session, nor 12 hours.
    assert c["AccessTokenExpiration"] <= session_expiration
    assert c["AccessTokenExpiration"] <= utcnow() + dt.timedelta(hours=12, minutes=1)
    assert c["AccessTokenExpiration"] > utcnow()
    assert c["RefreshTokenExpiration"] >= c["AccessTokenExpiration"]
    assert out["UserId"] == cc.users[username]
    assert out["UserArn"] == f"{instance_arn(cc.saml_id)}/agent/{cc.users[username]}"
    url = urllib.parse.urlsplit(out["SignInUrl"])
    assert f"{url.scheme}://{url.netloc}" == cc.server.base_url
    assert url.path == "/connect/federate-token"
    assert urllib.parse.parse_qs(url.query)["token"] == [c["AccessToken"]]


def test_get_federation_token_user_resource_pattern(cc):
    """Pattern 1: Resource …/instance/<id>/user/${aws:userid}, ${aws:userid} = <RoleId>:<RoleSessionName>."""
    connect, creds = cc.connect_as("CcAgent", "alice")
    out = connect.get_federation_token(InstanceId=cc.saml_id)
    check_token(cc, out, "alice", creds["Expiration"])


def test_get_federation_token_instance_condition_pattern(cc):
    """Pattern 2: Resource * with StringEquals connect:InstanceId."""
    connect, creds = cc.connect_as("CcSupervisor", "bob@example.com")
    out = connect.get_federation_token(InstanceId=cc.saml_id)
    check_token(cc, out, "bob@example.com", creds["Expiration"])
    # The condition names one instance: another is refused.
    err = expect_error("AccessDeniedException", 403, connect.get_federation_token, InstanceId=cc.managed_id)
    assert "connect:GetFederationToken" in err["Error"]["Message"]


def test_get_federation_token_aws_cli(cc):
    creds = cc.session("CcAgent", "alice")
    out = json.loads(aws_cli(cc.server, "connect", "get-federation-token", "--instance-id", cc.saml_id,
                             creds=creds).stdout)
    assert out["UserId"] == cc.users["alice"]
    assert isinstance(out["Credentials"]["AccessTokenExpiration"], (str, int, float))
    assert out["SignInUrl"].startswith(cc.server.base_url + "/connect/federate-token?token=")


def test_get_federation_token_denied_by_policy(cc):
    connect, _ = cc.connect_as("CcNoFederation", "alice")
    err = expect_error("AccessDeniedException", 403, connect.get_federation_token, InstanceId=cc.saml_id)
    message = err["Error"]["Message"]
    assert "assumed-role/CcNoFederation/alice" in message and "connect:GetFederationToken" in message, message
    assert f"{instance_arn(cc.saml_id)}/user/{cc.role_ids['CcNoFederation']}:alice" in message, message


def test_get_federation_token_user_resource_is_the_callers_own(cc):
    """Pattern 1 allows only the caller's own ${aws:userid}: CcAgent has no right on another instance."""
    connect, _ = cc.connect_as("CcAgent", "alice")
    expect_error("AccessDeniedException", 403, connect.get_federation_token, InstanceId=cc.managed_id)


@pytest.mark.parametrize("session_name", ["carol", "Alice", "ALICE"])
def test_get_federation_token_no_matching_user(cc, session_name):
    connect, _ = cc.connect_as("CcAgent", session_name)
    err = expect_error("UserNotFoundException", 404, connect.get_federation_token, InstanceId=cc.saml_id)
    assert err["Error"]["Message"] == "No user with the specified credentials was found"


def test_get_federation_token_with_the_admin_key(cc):
    err = expect_error("InvalidRequestException", 400, cc.admin.get_federation_token, InstanceId=cc.saml_id)
    assert "cannot be used for federation with Amazon Connect" in err["Error"]["Message"], err


def test_get_federation_token_unknown_instance(cc):
    connect, _ = cc.connect_as("CcSupervisor", "alice")
    # Allowed by policy only for the SAML instance: an unknown one is refused before it is looked up.
    expect_error("AccessDeniedException", 403, connect.get_federation_token,
                 InstanceId="00000000-0000-4000-8000-000000000000")


def test_role_session_calls_only_what_its_policies_allow(cc):
    connect, _ = cc.connect_as("CcSupervisor", "alice")
    assert connect.describe_user(InstanceId=cc.saml_id, UserId=cc.users["alice"])["User"]["Username"] == "alice"
    assert connect.list_users(InstanceId=cc.saml_id)["UserSummaryList"]
    err = expect_error("AccessDeniedException", 403, connect.create_instance, IdentityManagementType="SAML",
                       InstanceAlias="cc-forbidden", InboundCallsEnabled=True, OutboundCallsEnabled=True)
    assert "connect:CreateInstance" in err["Error"]["Message"]
    expect_error("AccessDeniedException", 403, connect.delete_user, InstanceId=cc.saml_id, UserId=cc.users["alice"])
    expect_error("AccessDeniedException", 403, connect.list_instances)


# --- the wire -------------------------------------------------------------------------------------------
def test_unsigned_and_wrongly_scoped_requests_are_refused(cc):
    import botocore
    import requests
    r = requests.get(f"{cc.server.base_url}/instance/{cc.saml_id}", timeout=30)
    assert r.status_code == 403, r.text
    assert r.headers.get("x-amzn-ErrorType") == "MissingAuthenticationToken", r.headers
    assert "Message" in r.json()
    # A request signed for another service (the scope's service must be `connect`).
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    key, secret = cc.server.admin_credentials()
    request = AWSRequest(method="GET", url=f"{cc.server.base_url}/instance/{cc.saml_id}")
    SigV4Auth(Credentials(key, secret), "iam", REGION).add_auth(request)
    r = requests.get(request.url, headers=dict(request.headers), timeout=30)
    assert r.status_code == 403 and r.headers.get("x-amzn-ErrorType") == "SignatureDoesNotMatch", r.text
    assert "'connect'" in r.json()["Message"], r.text
    # Signed for another region.
    request = AWSRequest(method="GET", url=f"{cc.server.base_url}/instance/{cc.saml_id}")
    SigV4Auth(Credentials(key, secret), "connect", "eu-west-3").add_auth(request)
    r = requests.get(request.url, headers=dict(request.headers), timeout=30)
    assert r.status_code == 403 and r.headers.get("x-amzn-ErrorType") == "SignatureDoesNotMatch", r.text
    assert botocore  # imported for the auth helpers above


def test_ids_that_could_name_another_resource_are_refused(cc):
    connect, _ = cc.connect_as("CcAgent", "alice")
    crafted = f"{cc.saml_id}/user/{cc.role_ids['CcAgent']}:alice"
    for call, kw in [(connect.get_federation_token, dict(InstanceId=crafted)),
                     (cc.admin.describe_instance, dict(InstanceId="*")),
                     (cc.admin.describe_user, dict(InstanceId=cc.saml_id, UserId=f"{cc.users['alice']}:x"))]:
        expect_error("InvalidRequestException", 400, call, **kw)


def test_malformed_body_is_a_serialization_error(cc):
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    key, secret = cc.server.admin_credentials()
    body = b'{"IdentityManagementType": 7'
    request = AWSRequest(method="PUT", url=f"{cc.server.base_url}/instance", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret), "connect", REGION).add_auth(request)
    r = requests.put(request.url, data=body, headers=dict(request.headers), timeout=30)
    assert r.status_code == 400 and r.headers.get("x-amzn-ErrorType") == "SerializationException", r.text


# --- audit ----------------------------------------------------------------------------------------------
def test_changes_and_federation_are_audited(cc):
    """Administrative changes and GetFederationToken (allowed or refused) are audit events."""
    import harness
    uid = new_user(cc, cc.saml_id, "audited")["UserId"]
    cc.admin.delete_user(InstanceId=cc.saml_id, UserId=uid)
    connect, _ = cc.connect_as("CcNoFederation", "alice")
    expect_error("AccessDeniedException", 403, connect.get_federation_token, InstanceId=cc.saml_id)
    cmd = [str(harness.FEDGATE_BIN), "audit", "--json", "--data-dir", str(cc.server.data_dir)]
    if cc.server.database_url:
        cmd += ["--database-url", cc.server.database_url]
    r = subprocess.run(cmd, capture_output=True, text=True, env=harness.server_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    by_event = {}
    for e in events:
        by_event.setdefault(e["event"], []).append(e)
    assert any(e["outcome"] == "success" and e["instance_id"] == cc.saml_id
               for e in by_event.get("connect:CreateUser", [])), by_event.keys()
    assert by_event.get("connect:DeleteUser"), by_event.keys()
    assert by_event.get("connect:CreateInstance"), by_event.keys()
    refused = [e for e in by_event.get("connect:GetFederationToken", [])
               if e["outcome"] == "failure" and e["error_code"] == "AccessDeniedException"]
    assert refused and refused[-1]["session_name"] == "alice", by_event.get("connect:GetFederationToken")
    assert refused[-1]["role_arn"] == S.role_arn("CcNoFederation")
    # Reads are not audited.
    assert "connect:DescribeUser" not in by_event and "connect:ListUsers" not in by_event
