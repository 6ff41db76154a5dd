"""The agent's way in, in headless Chromium: an IdP portal posts a signed response to fedgate's
sign-in endpoint, the console session leads through the contact-center federation hop to the agent
workspace, through either of the instance's identity providers.

- IdP A signs with the project's own signer (`fedgate saml sign`, tests/keys/idp-a), IdP B is a
  real pysaml2 IdP (tests/keys/pysaml2-idp); the chooser and forged cases use xmlsec1;
  both are registered as SAML providers, and one role's trust policy names both.
- Each refusal shows its page with its code and an audit reference that `fedgate audit` finds.
- Screenshots of every page are kept in target/e2e-artifacts/screenshots.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.parse

import pytest

import saml_factory as S
from browser import Browser, Portal, browser_problem
from harness import ACCOUNT, FEDGATE_BIN, REGION, FedgateServer

ROLE, ROLE_2, ROLE_NO_CONNECT = "ContactCenterAgent", "ContactCenterSupervisor", "NoConnectRole"
A, B = "BrowserIdpA", "BrowserIdpB"
A_ARN, B_ARN = S.provider_arn(A), S.provider_arn(B)
ALIAS = "browser-contact-center"


def trust(server: FedgateServer, providers: list[str]) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": providers},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": server.base_url + "/saml"}},
        }],
    })


class ContactCenter:
    def __init__(self, server: FedgateServer):
        self.server = server
        self.acs = server.base_url + "/saml"
        iam, connect = server.iam, server.client("connect")
        iam.create_saml_provider(Name=A, SAMLMetadataDocument=S.IDP_A.metadata_text)
        iam.create_saml_provider(Name=B, SAMLMetadataDocument=S.IDP_PYSAML2.metadata_text)
        for role in (ROLE, ROLE_2, ROLE_NO_CONNECT):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(server, [A_ARN, B_ARN]))
        created = connect.create_instance(IdentityManagementType="SAML", InstanceAlias=ALIAS,
                                          InboundCallsEnabled=True, OutboundCallsEnabled=True)
        self.instance_id = created["Id"]
        federation = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": "*",
                           "Condition": {"StringEquals": {"connect:InstanceId": self.instance_id}}}],
        }
        for role in (ROLE, ROLE_2):
            iam.put_role_policy(RoleName=role, PolicyName="ConnectFederation",
                                PolicyDocument=json.dumps(federation))
        profiles = connect.list_security_profiles(InstanceId=self.instance_id)["SecurityProfileSummaryList"]
        agent_profile = next(p["Id"] for p in profiles if p["Name"] == "Agent")
        routing = connect.list_routing_profiles(InstanceId=self.instance_id)["RoutingProfileSummaryList"][0]["Id"]
        for username, first in (("alice", "Alice"), ("bob", "Bob")):
            connect.create_user(Username=username, InstanceId=self.instance_id, SecurityProfileIds=[agent_profile],
                                RoutingProfileId=routing, PhoneConfig={"PhoneType": "SOFT_PHONE"},
                                IdentityInfo={"FirstName": first, "LastName": "Agent"})
        self.federate_relay = (f"https://{REGION}.console.aws.amazon.com/connect/federate/{self.instance_id}"
                               "?destination=%2Fccp-v2")

    def response(self, *, idp=S.IDP_A, provider: str = A, role: str = ROLE, session_name: str = "alice",
                 **kw) -> str:
        """IdP A's responses are signed by fedgate's own signer (crates/dsig through
        `fedgate saml sign`), IdP B's by pysaml2."""
        kw.setdefault("recipient", self.acs)
        if idp is S.IDP_A:
            kw.setdefault("signer", "fedgate")
        return S.response(idp=idp, role=role, provider=provider, session_name=session_name,
                          nameid=session_name, **kw)


@pytest.fixture(scope="module")
def cc(make_server) -> ContactCenter:
    return ContactCenter(make_server())


@pytest.fixture(scope="module")
def portal():
    p = Portal()
    yield p
    p.close()


@pytest.fixture(scope="module")
def chrome():
    problem = browser_problem()
    if problem:
        pytest.fail(problem)
    b = Browser()
    yield b
    b.close()


@pytest.fixture
def browser(chrome):
    chrome.clear_cookies()
    return chrome


def sign_in(browser: Browser, portal: Portal, cc: ContactCenter, saml_response: str,
            relay_state: str | None = None) -> str:
    browser.get(portal.post_form(cc.acs, saml_response, relay_state))
    return browser.wait_for_page("agent-workspace", "console-home", "role-chooser", "error")


def audit_events(server: FedgateServer, *args: str) -> list[dict]:
    cmd = [str(FEDGATE_BIN), "audit", "--data-dir", str(server.data_dir), "--json", *args]
    if server.database_url:
        cmd += ["--database-url", server.database_url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=server.env())
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def assert_refused(browser: Browser, cc: ContactCenter, code: str, shot: str) -> None:
    assert browser.page == "error", browser.text()
    assert browser.error_code == code, browser.text()
    reference = browser.reference
    assert reference and len(reference) >= 16
    assert browser.field("error-code") == code
    browser.screenshot(shot)
    events = [e for e in audit_events(cc.server) if e["reference"] == reference]
    assert len(events) == 1, f"no audit event {reference}"
    assert events[0]["outcome"] == "failure" and events[0]["error_code"] == code


@pytest.mark.parametrize("idp,provider,label", [(S.IDP_A, A, "idp-a-fedgate-signer"), (S.IDP_PYSAML2, B, "idp-b-pysaml2")])
def test_agent_reaches_workspace_through_either_idp(browser, portal, cc, idp, provider, label):
    page = sign_in(browser, portal, cc, cc.response(idp=idp, provider=provider), cc.federate_relay)
    assert page == "agent-workspace", browser.text()
    assert browser.field("username") == "alice"
    assert browser.field("instance-id") == cc.instance_id
    assert browser.field("instance-alias") == ALIAS
    assert browser.field("identity-provider") == S.provider_arn(provider)
    expires = dt.datetime.fromisoformat(browser.field("session-expires").replace("Z", "+00:00"))
    assert dt.timedelta(0) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=12)
    assert browser.field("agent-status") == "Offline"
    browser.screenshot(f"workspace-{label}")
    events = audit_events(cc.server, "--provider", S.provider_arn(provider), "--outcome", "success")
    assert {"saml_sign_in", "federate"} <= {e["event"] for e in events}
    federate = [e for e in events if e["event"] == "federate"][-1]
    assert federate["instance_id"] == cc.instance_id and federate["session_name"] == "alice"
    assert federate["role_arn"] == S.role_arn(ROLE) and federate["client"] == "127.0.0.1"


def test_agent_status_is_kept_in_the_store(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(session_name="bob"), cc.federate_relay) == "agent-workspace"
    assert browser.field("agent-status") == "Offline"
    browser.click("#toggle-status")
    browser.wait_for_page("agent-workspace")
    assert browser.wait_for_field("agent-status", "Available") == "Available"
    browser.screenshot("workspace-available")
    user = cc.server.client("connect").search_users(
        InstanceId=cc.instance_id,
        SearchCriteria={"StringCondition": {"FieldName": "Username", "Value": "bob", "ComparisonType": "EXACT"}},
    )["Users"]
    assert [u["Username"] for u in user] == ["bob"]
    browser.click("#toggle-status")
    browser.wait_for_page("agent-workspace")
    assert browser.wait_for_field("agent-status", "Offline") == "Offline"


def test_two_roles_go_through_the_chooser(browser, portal, cc):
    roles = [S.role_pair(ROLE, A), S.role_pair(ROLE_2, A)]
    page = sign_in(browser, portal, cc, S.response(idp=S.IDP_A, roles=roles, recipient=cc.acs), cc.federate_relay)
    assert page == "role-chooser"
    from selenium.webdriver.common.by import By

    radios = browser.driver.find_elements(By.CSS_SELECTOR, 'form[method="post"] input[type="radio"][name="roleIndex"]')
    assert sorted(r.get_attribute("value") for r in radios) == sorted(S.role_arn(r) for r in (ROLE, ROLE_2))
    action = browser.driver.find_element(By.CSS_SELECTOR, 'form[method="post"]').get_attribute("action")
    assert action == cc.acs
    assert "SAMLResponse" not in browser.driver.page_source  # the response is never echoed
    browser.screenshot("role-chooser")
    browser.click(f'input[value="{S.role_arn(ROLE_2)}"]')
    # keep the form for a second submission
    ticket = browser.driver.find_element(By.CSS_SELECTOR, 'input[name="ticket"]').get_attribute("value")
    browser.click("#signin_button")
    assert browser.wait_for_page("agent-workspace", "error") == "agent-workspace", browser.text()
    assert browser.field("username") == "alice"
    events = audit_events(cc.server, "--outcome", "success")
    assert any(e["event"] == "role_chosen" and e["role_arn"] == S.role_arn(ROLE_2) for e in events)
    # the same chooser form a second time
    import requests

    again = requests.post(cc.acs, data={"ticket": ticket, "roleIndex": S.role_arn(ROLE), "RelayState": ""},
                          allow_redirects=False, timeout=30)
    assert again.status_code == 400 and 'data-error-code="replayed"' in again.text
    # a role the assertion did not carry, with a fresh form
    page = sign_in(browser, portal, cc, S.response(idp=S.IDP_A, roles=roles, recipient=cc.acs))
    assert page == "role-chooser"
    ticket = browser.driver.find_element(By.CSS_SELECTOR, 'input[name="ticket"]').get_attribute("value")
    other = requests.post(cc.acs, data={"ticket": ticket, "roleIndex": S.role_arn(ROLE_NO_CONNECT)},
                          allow_redirects=False, timeout=30)
    assert other.status_code == 403 and 'data-error-code="role_not_in_assertion"' in other.text


def test_replayed_response_is_refused(browser, portal, cc):
    response = cc.response()
    assert sign_in(browser, portal, cc, response, cc.federate_relay) == "agent-workspace"
    browser.clear_cookies()
    assert sign_in(browser, portal, cc, response, cc.federate_relay) == "error"
    assert_refused(browser, cc, "replayed", "error-replayed")


def test_replay_is_refused_after_a_restart(make_server, browser, portal):
    cc = ContactCenter(make_server())
    response = cc.response()
    assert sign_in(browser, portal, cc, response, cc.federate_relay) == "agent-workspace"
    cc.server.restart()
    browser.clear_cookies()
    assert sign_in(browser, portal, cc, response) == "error"
    assert browser.error_code == "replayed"


def test_expired_response_is_refused(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(expired=True), cc.federate_relay) == "error"
    assert_refused(browser, cc, "expired", "error-expired")


def test_wrong_audience_is_refused(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(recipient="https://other.example.test/acs",
                                                    destination=None)) == "error"
    assert browser.error_code in ("recipient_mismatch", "audience_mismatch")
    assert_refused(browser, cc, browser.error_code, "error-wrong-audience")


def test_forged_signature_is_refused(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(attacker=True)) == "error"
    assert browser.error_code in ("signature_invalid", "key_not_trusted")
    assert_refused(browser, cc, browser.error_code, "error-forged")


def test_user_not_onboarded(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(session_name="carol"), cc.federate_relay) == "error"
    assert_refused(browser, cc, "user_not_onboarded", "error-not-onboarded")
    assert "carol" in browser.text() and "case included" in browser.text()


def test_role_without_federation_permission(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(role=ROLE_NO_CONNECT), cc.federate_relay) == "error"
    assert_refused(browser, cc, "federation_denied", "error-federation-denied")


def test_role_not_trusting_the_idp(browser, portal, cc):
    cc.server.iam.create_role(RoleName="OnlyB", AssumeRolePolicyDocument=trust(cc.server, [B_ARN]))
    assert sign_in(browser, portal, cc, cc.response(role="OnlyB"), cc.federate_relay) == "error"
    assert_refused(browser, cc, "trust_policy_denied", "error-trust-policy")


def test_no_matching_role(browser, portal, cc):
    # the Role pair names provider B, but IdP A signed
    assert sign_in(browser, portal, cc, cc.response(provider=B)) == "error"
    assert_refused(browser, cc, "no_matching_role", "error-no-matching-role")


def test_unknown_instance(browser, portal, cc):
    relay = f"/connect/federate/00000000-0000-4000-8000-000000000000?destination=%2Fccp-v2"
    assert sign_in(browser, portal, cc, cc.response(), relay) == "error"
    assert_refused(browser, cc, "instance_not_found", "error-instance-not-found")


def test_relay_state_on_another_site_lands_on_console_home(browser, portal, cc):
    page = sign_in(browser, portal, cc, cc.response(), "https://evil.example.test/steal")
    assert page == "console-home"
    assert browser.driver.current_url == cc.server.base_url + "/console"
    assert browser.field("session-name") == "alice"
    assert browser.field("role-arn") == S.role_arn(ROLE)
    assert browser.field("identity-provider") == A_ARN
    from selenium.webdriver.common.by import By

    links = browser.driver.find_elements(By.CSS_SELECTOR, "a[data-instance-id]")
    assert [link.get_attribute("data-instance-id") for link in links] == [cc.instance_id]
    browser.screenshot("console-home")
    links[0].click()
    assert browser.wait_for_page("agent-workspace") == "agent-workspace"


def test_sign_out_ends_both_sessions(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(), cc.federate_relay) == "agent-workspace"
    stolen = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    browser.click("#sign-out")
    assert browser.wait_for_page("start") == "start"
    browser.screenshot("start-after-sign-out")
    browser.get(cc.server.base_url + "/connect/ccp-v2")
    browser.wait_for_page("error")
    assert browser.error_code == "session_required"
    # a copy of the cookies taken before sign-out is dead on the server too
    import requests

    for path in ("/connect/ccp-v2", "/console"):
        r = requests.get(cc.server.base_url + path, cookies=stolen, timeout=30)
        assert r.status_code == 401 and 'data-error-code="session_expired"' in r.text, path


def test_pages_need_a_session(browser, cc):
    for path, page in (("/connect/ccp-v2", "workspace"), ("/console", "console"),
                       (f"/connect/federate/{cc.instance_id}", "federate")):
        browser.get(cc.server.base_url + path)
        browser.wait_for_page("error")
        assert browser.error_code == "session_required", path
    browser.screenshot("error-session-required")


def test_start_page_for_browsers_aws_answers_for_clients(browser, cc):
    browser.get(cc.server.base_url + "/")
    assert browser.wait_for_page("start") == "start"
    assert browser.field("acs-url") == cc.acs
    browser.screenshot("start")
    import requests

    r = requests.get(cc.server.base_url + "/", timeout=30)
    assert r.status_code == 400 and "MissingAction" in r.text


def test_cookies_are_sealed_http_only_and_lax(browser, portal, cc):
    assert sign_in(browser, portal, cc, cc.response(), cc.federate_relay) == "agent-workspace"
    cookies = {c["name"]: c for c in browser.driver.get_cookies()}
    assert set(cookies) == {"fedgate-console", "fedgate-agent"}
    for c in cookies.values():
        assert c["httpOnly"] and c["sameSite"] == "Lax" and c["path"] == "/"
        assert "alice" not in c["value"]
    # a tampered cookie is no session
    import requests

    tampered = {k: c["value"][:-4] + ("AAAA" if not c["value"].endswith("AAAA") else "BBBB") for k, c in cookies.items()}
    r = requests.get(cc.server.base_url + "/connect/ccp-v2", cookies=tampered, timeout=30)
    assert r.status_code == 401 and 'data-error-code="session_required"' in r.text


def test_no_page_echoes_the_assertion(cc):
    import requests

    response = cc.response(expired=True)
    r = requests.post(cc.acs, data={"SAMLResponse": response}, allow_redirects=False, timeout=30)
    assert r.status_code == 400
    assert response[:40] not in r.text and "Assertion" not in r.text
    q = urllib.parse.quote(response[:30])
    assert q not in r.text


def test_simplesamlphp_idp_initiated_sign_in_lands_on_workspace(browser, cc):
    """A production IdP product: SimpleSAMLphp (Debian), its own login page in Chromium, its
    IdP-initiated sign-in with the AWS attributes, fedgate as its SP; the trust policy gains it as a
    third provider, as an administrator adds a backup IdP."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from simplesamlphp import AWS_ROLE, AWS_ROLE_SESSION_NAME, IdpUser, SimpleSamlPhpIdp

    provider = "BrowserSimpleSaml"
    user = IdpUser("alice", "correct horse battery", {
        AWS_ROLE: [f"{S.role_arn(ROLE)},{S.provider_arn(provider)}"],
        AWS_ROLE_SESSION_NAME: ["alice"],
    })
    with SimpleSamlPhpIdp([user], acs_url=cc.acs) as idp:
        iam = cc.server.iam
        iam.create_saml_provider(Name=provider, SAMLMetadataDocument=idp.metadata_xml().decode())
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=trust(
            cc.server, [A_ARN, B_ARN, S.provider_arn(provider)]))
        browser.get(idp.idp_initiated_url(cc.federate_relay))
        username = WebDriverWait(browser.driver, 20).until(lambda d: d.find_element(By.NAME, idp.USERNAME_FIELD))
        browser.screenshot("simplesamlphp-login")
        username.clear()
        username.send_keys("alice")
        password = browser.driver.find_element(By.NAME, idp.PASSWORD_FIELD)
        password.send_keys("correct horse battery", Keys.RETURN)
        page = browser.wait_for_page("agent-workspace", "error", "console-home")
        assert page == "agent-workspace", browser.text()
        assert browser.field("username") == "alice"
        assert browser.field("identity-provider") == S.provider_arn(provider)
        browser.screenshot("workspace-simplesamlphp")
