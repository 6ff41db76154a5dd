"""`fedgate demo` as a black box: one process running fedgate and two built-in IdPs (``primary`` on
P+1, ``backup`` on P+2), configured through fedgate's own APIs, described in ``<data-dir>/demo.json``.

The module starts one demo on a fresh data dir and a free block of three ports (SQLite, or in the
PostgreSQL run a fresh database through ``--database-url``), waits for the ``demo ready`` line and
stops it with SIGINT at the end, asserting exit status 0. The sign-ins are walked in headless Chromium
(a fresh browser per test) from the IdP's login page through its portal tile to fedgate's agent
workspace; screenshots of every landing page go to target/e2e-artifacts/screenshots (``demo-*``).
"""

from __future__ import annotations

import configparser
import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from browser import Browser, browser_problem
from harness import FEDGATE_BIN, REGION, STOP_TIMEOUT, binary_problem, server_env, tail
from idp_harness import IdpBrowser, parse_xml, signing_certs_b64

DEMO_START_TIMEOUT = float(os.environ.get("FEDGATE_E2E_DEMO_START_TIMEOUT", "240"))
DEMO_STOP_TIMEOUT = max(STOP_TIMEOUT, 30.0)
ALIAS = "demo-contact-center"
FINAL_PAGES = ("agent-workspace", "console-home", "role-chooser", "error", "idp-error", "idp-login")


def free_port_block(n: int = 3) -> int:
    """A port P with P .. P+n-1 all free on 127.0.0.1 (just now)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n - 1 > 65535:
            continue
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.fail(f"no block of {n} free ports found")


class Demo:
    """One `fedgate demo` process on a data dir (restartable on the same dir, port and database)."""

    def __init__(self, data_dir: Path, log_dir: Path, *, port: int, database_url: str | None):
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.port = port
        self.database_url = database_url
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.stdout_path = log_dir / "stdout.log"
        self.stderr_path = log_dir / "stderr.log"
        self.info: dict = {}

    @property
    def json_path(self) -> Path:
        return self.data_dir / "demo.json"

    def command(self) -> list[str]:
        cmd = [str(FEDGATE_BIN), "demo", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
               "--port", str(self.port)]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd

    def logs(self) -> str:
        return (f"--- {' '.join(self.command())}\n--- stdout (tail):\n{tail(self.stdout_path, 80)}\n"
                f"--- stderr (tail):\n{tail(self.stderr_path, 80)}")

    def start(self, timeout: float = DEMO_START_TIMEOUT) -> dict:
        assert self.proc is None, "already running"
        problem = binary_problem()
        if problem:
            pytest.exit(problem, returncode=4)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        offset = self.stdout_path.stat().st_size if self.stdout_path.exists() else 0
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            for f in (out, err):
                f.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
                f.flush()
            offset += len(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=server_env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                pytest.fail(f"fedgate demo exited with status {rc} before `demo ready`\n{self.logs()}")
            with open(self.stdout_path, "rb") as f:
                f.seek(offset)
                printed = f.read().decode(errors="replace")
            if "demo ready" in printed:
                assert self.json_path.is_file(), f"`demo ready` printed but no {self.json_path}\n{self.logs()}"
                self.info = json.loads(self.json_path.read_text())
                return self.info
            time.sleep(0.2)
        self._kill()
        pytest.fail(f"fedgate demo printed no `demo ready` within {timeout:.0f} s\n{self.logs()}")

    def stop(self, timeout: float = DEMO_STOP_TIMEOUT) -> int:
        """SIGINT (Ctrl-C), wait, and assert a clean exit (status 0)."""
        assert self.proc is not None, "not running"
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"fedgate demo did not exit within {timeout:.0f} s of SIGINT (killed)\n{self.logs()}")
        assert rc == 0, f"fedgate demo exited with status {rc} after SIGINT\n{self.logs()}"
        return rc

    def _kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def outage(self, which: str, data_dir: Path | None = None) -> subprocess.CompletedProcess:
        cmd = [str(FEDGATE_BIN), "demo", "outage", which, "--data-dir", str(data_dir or self.data_dir)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=server_env())

    # -- demo.json
    def idp(self, name: str) -> dict:
        found = [i for i in self.info["idps"] if i["name"] == name]
        assert len(found) == 1, f"demo.json: {len(found)} idps named {name!r}: {self.info['idps']}"
        return found[0]

    def password(self, username: str) -> str:
        found = [u for u in self.info["users"] if u["username"] == username]
        assert len(found) == 1, f"demo.json: {len(found)} users named {username!r}: {self.info['users']}"
        return found[0]["password"]

    def credentials_path(self) -> Path:
        p = Path(self.info["admin_credentials_file"])
        return p if p.is_absolute() else self.data_dir / p

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        cp = configparser.ConfigParser()
        path = self.credentials_path()
        cp.read_string(path.read_text())
        assert cp.has_section("default"), f"no [default] section in {path}:\n{path.read_text()}"
        return boto3.session.Session().client(
            service, endpoint_url=self.info["fedgate_url"], region_name=REGION,
            aws_access_key_id=cp["default"]["aws_access_key_id"],
            aws_secret_access_key=cp["default"]["aws_secret_access_key"],
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60))


@pytest.fixture(scope="module")
def demo(fedgate_bin, databases, tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    d = Demo(root / "data", root / "logs", port=free_port_block(3), database_url=databases.fresh())
    d.start()
    yield d
    if d.proc is not None:
        d.outage("none")  # best effort, in case a test stopped half-way
        d.stop()


@pytest.fixture
def browser():
    problem = browser_problem()
    if problem:
        pytest.fail(problem)
    b = Browser()
    yield b
    b.close()


# --- browser steps ------------------------------------------------------------------------------------------
def portal_login(browser: Browser, idp: dict, username: str, password: str, shot: str) -> str:
    """The IdP's login page in Chromium: type the username and password, press Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(idp["portal_url"])
    assert browser.wait_for_page("idp-login") == "idp-login"
    browser.screenshot(f"demo-{shot}-login")
    field = browser.driver.find_element(By.CSS_SELECTOR, 'form input[name="username"]')
    field.clear()
    field.send_keys(username)
    old_body = browser.driver.find_element(By.TAG_NAME, "body")
    browser.driver.find_element(By.CSS_SELECTOR, 'form input[name="password"]').send_keys(password, Keys.RETURN)
    left(browser, old_body)  # the answer may be the login page again
    return browser.wait_for_page("idp-portal", "idp-login", "idp-error", timeout=60)


def left(browser: Browser, old_body) -> None:
    """Wait until the page of ``old_body`` is gone (a new document has replaced it)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser.driver, 60).until(EC.staleness_of(old_body))
    except TimeoutException:
        pytest.fail(f"the browser stayed on {browser.driver.current_url} (data-page={browser.page!r}):\n"
                    f"{browser.text()[:2000]}")


def open_tile(browser: Browser, app: str) -> str:
    """Click the portal tile: the idp-post page auto-submits to fedgate; wait for where it lands."""
    from selenium.webdriver.common.by import By

    tiles = browser.driver.find_elements(By.CSS_SELECTOR, f'form[data-app="{app}"]')
    assert len(tiles) == 1, f"{len(tiles)} tiles for {app!r} on the portal:\n{browser.text()}"
    old_body = browser.driver.find_element(By.TAG_NAME, "body")
    tiles[0].find_element(By.CSS_SELECTOR, 'button, input[type="submit"]').click()
    left(browser, old_body)
    return browser.wait_for_page(*FINAL_PAGES, timeout=60)


def sign_in_to_workspace(browser: Browser, demo: Demo, idp_name: str, username: str) -> None:
    idp = demo.idp(idp_name)
    page = portal_login(browser, idp, username, demo.password(username), f"{idp_name}-{username}")
    assert page == "idp-portal", f"{username} at {idp_name}: {browser.text()[:2000]}"
    assert browser.field("username") == username
    browser.screenshot(f"demo-{idp_name}-{username}-portal")
    page = open_tile(browser, "contact-center")
    browser.screenshot(f"demo-{idp_name}-{username}-{page}")
    assert page == "agent-workspace", f"{username} via {idp_name} landed on {page!r} " \
                                      f"(error {browser.error_code!r}):\n{browser.text()[:2000]}"
    assert browser.field("username") == username
    assert browser.field("instance-id") == demo.info["instance_id"]
    assert browser.field("identity-provider") == idp["provider_arn"]


def connect_refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return False
    except ConnectionRefusedError:
        return True


# --- tests ----------------------------------------------------------------------------------------------------
def test_demo_json_and_configuration_through_the_apis(demo):
    info = demo.info
    assert set(info) >= {"fedgate_url", "instance_id", "admin_credentials_file", "idps", "users"}, info
    url = urllib.parse.urlsplit(info["fedgate_url"])
    assert (url.scheme, url.hostname, url.port) == ("http", "127.0.0.1", demo.port), info["fedgate_url"]
    assert demo.credentials_path().is_file(), f"admin_credentials_file {info['admin_credentials_file']!r} missing"

    import requests

    assert sorted(i["name"] for i in info["idps"]) == ["backup", "primary"], info["idps"]
    live_certs = {}
    for name, port in (("primary", demo.port + 1), ("backup", demo.port + 2)):
        idp = demo.idp(name)
        assert set(idp) >= {"name", "url", "portal_url", "metadata_url", "provider_arn"}, idp
        assert urllib.parse.urlsplit(idp["url"]).port == port, idp
        r = requests.get(idp["metadata_url"], timeout=30)
        assert r.status_code == 200, f"{idp['metadata_url']}: {r.status_code} {r.text[:500]}"
        assert parse_xml(r.content).tag == "{urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor"
        live_certs[name] = signing_certs_b64(r.content)
        assert idp["provider_arn"].startswith("arn:aws:iam::") and ":saml-provider/" in idp["provider_arn"], idp
    users = {u["username"]: u for u in info["users"]}
    assert set(users) == {"alice", "bob", "carol"}, info["users"]
    assert {n: u["onboarded"] for n, u in users.items()} == {"alice": True, "bob": True, "carol": False}
    for u in users.values():
        assert isinstance(u["password"], str) and u["password"], u

    iam = demo.client("iam")
    arns = {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]}
    for name in ("primary", "backup"):
        idp = demo.idp(name)
        assert idp["provider_arn"] in arns, (idp, arns)
        # registered from that IdP's metadata: the same signing certificate
        doc = iam.get_saml_provider(SAMLProviderArn=idp["provider_arn"])["SAMLMetadataDocument"]
        assert signing_certs_b64(doc.encode()) == live_certs[name], name

    both = {demo.idp("primary")["provider_arn"], demo.idp("backup")["provider_arn"]}

    def federated(doc) -> set[str]:
        doc = json.loads(urllib.parse.unquote(doc)) if isinstance(doc, str) else doc
        out = set()
        for st in doc.get("Statement", []):
            fed = (st.get("Principal") or {}).get("Federated", [])
            out |= {fed} if isinstance(fed, str) else set(fed)
        return out

    roles = [r for r in iam.list_roles()["Roles"] if both <= federated(r["AssumeRolePolicyDocument"])]
    assert roles, "no role trusts both SAML providers"
    role = iam.get_role(RoleName=roles[0]["RoleName"])["Role"]
    assert both <= federated(role["AssumeRolePolicyDocument"])

    documents = []
    for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
        documents.append(iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"])
    for attached in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"])
    text = json.dumps([json.loads(urllib.parse.unquote(d)) if isinstance(d, str) else d for d in documents])
    assert "connect:getfederationtoken" in text.lower(), f"no connect:GetFederationToken in {role['RoleName']}: {text}"

    connect = demo.client("connect")
    instances = {i["Id"]: i for i in connect.list_instances()["InstanceSummaryList"]}
    assert info["instance_id"] in instances, instances
    instance = instances[info["instance_id"]]
    assert instance["InstanceAlias"] == ALIAS and instance["IdentityManagementType"] == "SAML", instance
    agents = {u["Username"] for u in connect.list_users(InstanceId=info["instance_id"])["UserSummaryList"]}
    assert {"alice", "bob"} <= agents and "carol" not in agents, agents


def test_alice_signs_in_through_the_primary(demo, browser):
    sign_in_to_workspace(browser, demo, "primary", "alice")


def test_alice_signs_in_through_the_backup(demo, browser):
    sign_in_to_workspace(browser, demo, "backup", "alice")


def test_outage_of_the_primary_leaves_the_backup(demo, browser):
    primary, backup = demo.port + 1, demo.port + 2
    try:
        r = demo.outage("primary")
        assert r.returncode == 0, f"`fedgate demo outage primary` -> {r.returncode}\n{r.stdout}\n{r.stderr}"
        assert connect_refused(primary), f"the primary's port {primary} still accepts connections during its outage"
        assert not connect_refused(backup)
        sign_in_to_workspace(browser, demo, "backup", "bob")
    finally:
        r = demo.outage("none")
    assert r.returncode == 0, f"`fedgate demo outage none` -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not connect_refused(primary), "the primary did not come back after `outage none`"
    import requests

    assert requests.get(demo.idp("primary")["metadata_url"], timeout=30).status_code == 200

    try:
        r = demo.outage("backup")
        assert r.returncode == 0, f"`fedgate demo outage backup` -> {r.returncode}\n{r.stdout}\n{r.stderr}"
        assert connect_refused(backup), f"the backup's port {backup} still accepts connections during its outage"
        assert not connect_refused(primary)
    finally:
        r = demo.outage("none")
    assert r.returncode == 0
    assert not connect_refused(backup), "the backup did not come back after `outage none`"


def test_outage_without_a_running_demo_fails(demo, tmp_path):
    r = demo.outage("primary", data_dir=tmp_path)
    assert r.returncode == 1, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert (r.stdout + r.stderr).strip(), "no message"


def test_carol_is_not_onboarded(demo, browser):
    idp = demo.idp("primary")
    page = portal_login(browser, idp, "carol", demo.password("carol"), "primary-carol")
    assert page == "idp-portal", browser.text()[:2000]
    browser.screenshot("demo-primary-carol-portal")
    page = open_tile(browser, "contact-center")
    browser.screenshot("demo-carol-not-onboarded")
    assert page == "error", f"carol landed on {page!r}:\n{browser.text()[:2000]}"
    assert browser.error_code == "user_not_onboarded", browser.text()[:2000]
    assert browser.reference


def test_wrong_password_then_restart_keeps_the_state(demo, browser):
    idp = demo.idp("primary")
    page = portal_login(browser, idp, "alice", demo.password("alice") + "-wrong", "primary-wrong-password")
    browser.screenshot("demo-primary-wrong-password")
    assert page == "idp-login" and browser.error_code == "wrong_credentials", browser.text()[:2000]
    client = IdpBrowser(idp["url"])
    answer = client.submit_login(client.get(idp["portal_url"]), "alice", demo.password("alice") + "-wrong")
    assert answer.status == 401 and answer.error_code == "wrong_credentials", answer.describe()

    def state(info: dict) -> dict:
        return {"instance_id": info["instance_id"], "fedgate_url": info["fedgate_url"],
                "providers": {i["name"]: i["provider_arn"] for i in info["idps"]},
                "passwords": {u["username"]: u["password"] for u in info["users"]}}

    before = state(demo.info)
    written = demo.json_path.stat().st_mtime_ns
    demo.stop()
    demo.start()
    assert demo.json_path.stat().st_mtime_ns != written, "demo.json was not written again on this start"
    assert state(demo.info) == before
    browser.clear_cookies()
    sign_in_to_workspace(browser, demo, "primary", "alice")


def test_sign_in_works_without_javascript(demo):
    """The IdP's answer is an auto-submitting form; with JavaScript off it stays, with a visible
    Continue button that takes the agent to the workspace."""
    from selenium.webdriver.common.by import By

    b = Browser(javascript=False)
    try:
        idp = demo.idp("backup")
        assert portal_login(b, idp, "bob", demo.password("bob"), "backup-nojs") == "idp-portal"
        old_body = b.driver.find_element(By.TAG_NAME, "body")
        b.driver.find_element(By.CSS_SELECTOR, 'form[data-app="contact-center"] button').click()
        left(b, old_body)
        assert b.wait_for_page("idp-post") == "idp-post", b.text()[:2000]
        b.screenshot("demo-backup-nojs-post")
        assert "press Continue" in b.text()
        assert "SAMLResponse" not in b.text(), "the response is a hidden field, never shown"
        old_body = b.driver.find_element(By.TAG_NAME, "body")
        b.driver.find_element(By.CSS_SELECTOR, 'button[data-action="continue"]').click()
        left(b, old_body)
        assert b.wait_for_page(*FINAL_PAGES, timeout=60) == "agent-workspace", b.text()[:2000]
        assert b.field("username") == "bob"
    finally:
        b.close()


def test_idp_refusal_page_says_what_and_echoes_nothing(demo, browser):
    idp = demo.idp("primary")
    hostile = "<script>alert(1)</script>"
    browser.get(idp["url"] + "/sso?SAMLRequest=" + urllib.parse.quote(hostile))
    assert browser.wait_for_page("idp-error") == "idp-error"
    browser.screenshot("demo-primary-idp-error")
    assert browser.error_code == "malformed_request"
    assert browser.reference
    assert "alert(1)" not in browser.driver.page_source
    assert browser.field("hint")
