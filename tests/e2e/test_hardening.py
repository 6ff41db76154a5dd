"""Hostile clients and operator mistakes against `fedgate serve` (issue 8), each with real
sockets, real files or a real binary start:

- slow and silent clients: header and idle timeouts, the connection limit, SIGTERM with a
  stuck client, an announced 100 GB body;
- AWS error shapes for unknown paths and methods and oversized bodies;
- the administrator key: the environment wins, `fedgate admin rotate-key`;
- start-up refusals: misspelt FEDGATE_* variables, a damaged SQLite file, a missing
  master.key next to a database, an unreachable PostgreSQL;
- store errors logged with their cause and request ID, and /readyz failing meanwhile;
- file permissions, the caller and client address in the request logs;
- the SigV4 scope's region; reserved and value-less tags.

Each test runs its own server process (never the session-wide one).
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import stat
import subprocess
import time

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from harness import DATABASE_URL, FEDGATE_BIN, REGION, free_port, http_get, server_env

SQLITE_ONLY = pytest.mark.skipif(DATABASE_URL is not None, reason="a SQLite file is what is tested")

TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":'
         '"arn:aws:iam::000000000000:saml-provider/X"},"Action":"sts:AssumeRoleWithSAML"}]}')


# --- helpers ------------------------------------------------------------------------------------------
def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes `sock` (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def raw_request(server, data: bytes, timeout: float = 10) -> bytes:
    with connect(server) as sock:
        sock.settimeout(timeout)
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
    return b"".join(chunks)


def log(server) -> str:
    return server.stderr_path.read_text(errors="replace")


def run_fedgate(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = server_env()
    full_env.update(env or {})
    return subprocess.run([str(FEDGATE_BIN), *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def serve_refusal(*args: str, env: dict | None = None, timeout: float = 30):
    """`fedgate serve ARGS` that must refuse to start: (status, stderr, seconds)."""
    started = time.monotonic()
    r = run_fedgate("serve", "--listen", f"127.0.0.1:{free_port()}", *args, env=env, timeout=timeout)
    return r.returncode, r.stderr, time.monotonic() - started


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# --- 1. slow and silent clients ---------------------------------------------------------------------
def test_silent_connection_is_closed_after_the_header_timeout(make_server):
    s = make_server(env={"FEDGATE_HEADER_TIMEOUT_SECONDS": "1"})
    started = time.monotonic()
    with connect(s) as silent:
        assert closed_within(silent, 5), "a silent connection stayed open past the header timeout"
    assert 0.8 < time.monotonic() - started < 5


def test_trickling_request_head_is_closed_after_the_header_timeout(make_server):
    s = make_server(env={"FEDGATE_HEADER_TIMEOUT_SECONDS": "1"})
    with connect(s) as slow:
        started = time.monotonic()
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - started > 4:
                break
        assert closed or closed_within(slow, 2), "a trickling head kept its connection"
        assert time.monotonic() - started < 4


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(make_server):
    s = make_server(env={"FEDGATE_IDLE_TIMEOUT_SECONDS": "1", "FEDGATE_HEADER_TIMEOUT_SECONDS": "30"})
    with connect(s) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert closed_within(sock, 5), "an idle keep-alive connection stayed open"
        assert 0.8 < time.monotonic() - started < 5


def test_more_silent_connections_than_the_limit_do_not_starve_healthz(make_server):
    limit = 40
    s = make_server(env={"FEDGATE_MAX_CONNECTIONS": str(limit), "FEDGATE_HEADER_TIMEOUT_SECONDS": "60"})
    silent = [connect(s) for _ in range(limit + 20)]
    try:
        started = time.monotonic()
        status, body = http_get(s.base_url + "/healthz", timeout=10)
        assert (status, body) == (200, b"ok\n")
        # Far below the 60 s header timeout: idle connections were shed at the limit.
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 5
        while "connection limit reached" not in log(s) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "connection limit reached" in log(s), log(s)[-3000:]
        assert f"max_connections={limit}" in log(s)
    finally:
        for sock in silent:
            sock.close()


def test_sigterm_with_a_stuck_request_head_exits_promptly(make_server):
    s = make_server(env={"FEDGATE_HEADER_TIMEOUT_SECONDS": "300"})
    stuck = connect(s)
    try:
        stuck.sendall(b"GET /hea")
        time.sleep(0.2)
        started = time.monotonic()
        assert s.stop() == 0
        assert time.monotonic() - started < 5, "shutdown waited for a stuck client"
    finally:
        stuck.close()


def test_oversized_content_length_is_refused_before_reading(make_server):
    s = make_server()
    started = time.monotonic()
    reply = raw_request(s, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                           b"Content-Length: 100000000000\r\n\r\nAction=ListRoles")
    assert time.monotonic() - started < 5, "the 100 GB announcement was held"
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), reply[:300]
    assert b"<ErrorResponse" in body and b"<Code>RequestEntityTooLargeException</Code>" in body, body
    assert b"<RequestId>" in body


# --- 11. AWS error shapes -----------------------------------------------------------------------------
def test_unknown_path_and_method_and_chunked_oversize_get_aws_error_shapes(make_server):
    s = make_server()
    status, body = http_get(s.base_url + "/no/such/path")
    assert status == 404 and b"<ErrorResponse" in body and b"<Code>NotFound</Code>" in body, body
    reply = raw_request(s, b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 405"), reply[:300]
    assert b"<Code>MethodNotAllowed</Code>" in reply
    # A chunked body (no Content-Length) over the 2 MiB limit.
    chunk = b"A" * (1024 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    reply = raw_request(s, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
                           b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert b"<Code>RequestEntityTooLargeException</Code>" in reply


# --- 2. the administrator key -------------------------------------------------------------------------
def test_environment_secret_wins_over_the_stored_one(make_server):
    key_id = "AKIAFEDGATEROTATE001"
    old, new = "oldSecretFromTheEnvironment012345", "newSecretFromTheEnvironment678901"
    s = make_server(env={"FEDGATE_ADMIN_ACCESS_KEY_ID": key_id, "FEDGATE_ADMIN_SECRET_ACCESS_KEY": old})
    s.client("iam", access_key=key_id, secret_key=old).list_roles()
    s.stop()
    s.extra_env["FEDGATE_ADMIN_SECRET_ACCESS_KEY"] = new
    s.start()
    assert "the previous secret no longer works" in log(s)
    s.client("iam", access_key=key_id, secret_key=new).list_roles()
    with pytest.raises(ClientError) as excinfo:
        s.client("iam", access_key=key_id, secret_key=old).list_roles()
    assert error_code(excinfo) == "SignatureDoesNotMatch"


def test_environment_key_retires_the_generated_key(make_server):
    s = make_server()
    generated = s.admin_credentials()
    s.stop()
    key_id, secret = "AKIAFEDGATEROTATE002", "aSecretFromTheEnvironment0123456789"
    s.extra_env.update({"FEDGATE_ADMIN_ACCESS_KEY_ID": key_id, "FEDGATE_ADMIN_SECRET_ACCESS_KEY": secret})
    s.start()
    assert not s.admin_credentials_path.exists(), "the retired key's credentials file was left behind"
    s.client("sts", access_key=key_id, secret_key=secret).get_caller_identity()
    with pytest.raises(ClientError) as excinfo:
        s.client("sts", access_key=generated[0], secret_key=generated[1]).get_caller_identity()
    assert error_code(excinfo) == "InvalidClientTokenId"


def test_rotate_key_prints_a_new_key_and_retires_the_old_one_on_a_running_server(make_server):
    s = make_server()
    old_id, old_secret = s.admin_credentials()
    args = ["admin", "rotate-key", "--data-dir", str(s.data_dir)]
    if s.database_url:
        args += ["--database-url", s.database_url]
    r = run_fedgate(*args)
    assert r.returncode == 0, r.stderr
    new_id = re.search(r"aws_access_key_id = (\S+)", r.stdout).group(1)
    new_secret = re.search(r"aws_secret_access_key = (\S+)", r.stdout).group(1)
    assert new_id != old_id and new_id.startswith("AKIA")
    assert old_id in r.stderr  # "deleted AKIA…"
    assert s.admin_credentials() == (new_id, new_secret)  # the file was rewritten
    s.close_clients()
    s.client("iam", access_key=new_id, secret_key=new_secret).list_roles()
    with pytest.raises(ClientError) as excinfo:
        s.client("iam", access_key=old_id, secret_key=old_secret).list_roles()
    assert error_code(excinfo) == "InvalidClientTokenId"
    # The environment names the key: rotate there, not here.
    r = run_fedgate(*args, env={"FEDGATE_ADMIN_ACCESS_KEY_ID": "AKIAFEDGATEROTATE003",
                                "FEDGATE_ADMIN_SECRET_ACCESS_KEY": "x" * 32})
    assert r.returncode != 0 and "FEDGATE_ADMIN_ACCESS_KEY_ID is set" in r.stderr, r.stderr


def test_rotate_key_creates_nothing_where_there_is_no_data_dir(tmp_path):
    r = run_fedgate("admin", "rotate-key", "--data-dir", str(tmp_path / "none"))
    assert r.returncode != 0 and "does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "none").exists()


# --- 5. strict configuration --------------------------------------------------------------------------
def test_misspelt_variable_refuses_start_up_naming_the_known_one(tmp_path):
    status, err, seconds = serve_refusal("--data-dir", str(tmp_path / "d"),
                                         env={"FEDGATE_DATABSE_URL": "postgres://app:pw@db.invalid/fedgate"})
    assert status == 2 and seconds < 20, err
    assert "FEDGATE_DATABSE_URL" in err and "did you mean FEDGATE_DATABASE_URL?" in err, err
    assert not (tmp_path / "d").exists(), "started far enough to create the data dir"


# --- 4. store faults ----------------------------------------------------------------------------------
def _damaged_copy(make_server, damage) -> tuple:
    s = make_server()
    s.iam.create_role(RoleName="Victim", AssumeRolePolicyDocument=TRUST)
    s.stop()
    db = s.data_dir / "fedgate.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'roles'").fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    damage(db, root, page_size)
    return s, db


@SQLITE_ONLY
@pytest.mark.parametrize("how", ["zeroed-page", "truncated"])
def test_damaged_database_refuses_start_up_naming_the_file(make_server, how):
    def damage(db, root, page_size):
        if how == "zeroed-page":
            with open(db, "r+b") as f:
                f.seek((root - 1) * page_size)
                f.write(b"\0" * page_size)
        else:
            size = db.stat().st_size
            os.truncate(db, size - 2 * page_size)

    s, db = _damaged_copy(make_server, damage)
    before = db.read_bytes()
    status, err, seconds = serve_refusal("--data-dir", str(s.data_dir))
    assert status != 0 and seconds < 20, err
    assert str(db) in err, err
    assert re.search(r"integrity check|malformed|corrupt", err), err
    assert "panicked" not in err
    assert db.read_bytes() == before, "the damaged file was written to"


@SQLITE_ONLY
def test_store_errors_are_logged_with_cause_and_request_id_and_fail_readyz(make_server):
    s = make_server()
    s.iam.list_roles()
    assert http_get(s.base_url + "/readyz")[0] == 200
    # The store starts answering errors under the running server.
    with sqlite3.connect(s.data_dir / "fedgate.db") as conn:
        conn.execute("DROP TABLE role_tags")
        conn.execute("DROP TABLE role_policy_attachments")
        conn.execute("DROP TABLE role_policies")
        conn.execute("DROP TABLE roles")
    with pytest.raises(ClientError) as excinfo:
        s.iam.list_roles()
    assert error_code(excinfo) == "ServiceFailure"
    request_id = excinfo.value.response["ResponseMetadata"]["RequestId"]
    text = log(s)
    failure = [line for line in text.splitlines() if "internal failure" in line]
    assert failure, text[-3000:]
    assert "no such table" in failure[-1], failure[-1]
    assert request_id in failure[-1], failure[-1]
    status, body = http_get(s.base_url + "/readyz")
    assert status == 503 and b"store failing" in body, body


@SQLITE_ONLY
def test_missing_master_key_next_to_a_database_is_refused_and_not_regenerated(make_server):
    s = make_server()
    s.stop()
    (s.data_dir / "master.key").unlink()
    status, err, seconds = serve_refusal("--data-dir", str(s.data_dir))
    assert status != 0 and seconds < 20, err
    assert "master.key" in err and "missing" in err, err
    assert not (s.data_dir / "master.key").exists(), "a new master key was generated"


def test_unreachable_postgres_says_connection_refused_at_once(tmp_path):
    port = free_port()
    status, err, seconds = serve_refusal("--data-dir", str(tmp_path / "d"), "--database-url",
                                         f"postgres://app:s3cretpw@127.0.0.1:{port}/fedgate")
    assert status != 0 and seconds < 15, (seconds, err)
    assert "connection refused" in err and f"127.0.0.1:{port}" in err, err
    assert "s3cretpw" not in err
    assert "corrupt or foreign file" not in err


# --- 10. files and attribution ------------------------------------------------------------------------
@SQLITE_ONLY
def test_data_dir_and_database_files_are_owner_only(make_server):
    s = make_server()
    s.iam.create_role(RoleName="Permissions", AssumeRolePolicyDocument=TRUST)
    assert stat.S_IMODE(s.data_dir.stat().st_mode) == 0o700
    for name in ("fedgate.db", "fedgate.db-wal", "fedgate.db-shm", "master.key", "admin-credentials"):
        path = s.data_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{name}: {oct(path.stat().st_mode)}"


def test_request_logs_name_the_caller_and_the_client_address(make_server):
    s = make_server()
    key_id, _ = s.admin_credentials()
    s.iam.list_roles()
    # the one request line (tower-http's response line, in the request span)
    lines = [line for line in log(s).splitlines()
             if "finished processing request" in line and "action=ListRoles" in line]
    assert lines, log(s)[-3000:]
    assert f"access_key_id={key_id}" in lines[-1], lines[-1]
    assert "client=127.0.0.1:" in lines[-1], lines[-1]
    assert "principal=arn:aws:iam::000000000000:user/fedgate-admin" in log(s)


# --- 6. SigV4 region ----------------------------------------------------------------------------------
def test_requests_signed_for_another_region_are_refused(make_server):
    s = make_server()
    key_id, secret = s.admin_credentials()
    import boto3
    other = boto3.session.Session().client(
        "iam", endpoint_url=s.base_url, region_name="eu-west-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=BotoConfig(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        other.list_roles()
    assert error_code(excinfo) == "SignatureDoesNotMatch"
    assert "scoped to a valid region, not 'eu-west-1'" in excinfo.value.response["Error"]["Message"]
    sts = boto3.session.Session().client(
        "sts", endpoint_url=s.base_url, region_name="eu-west-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=BotoConfig(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_code(excinfo) == "SignatureDoesNotMatch"
    s.iam.list_roles()  # us-east-1, the configured region, still works
    assert REGION == "us-east-1"


# --- 7. tags ------------------------------------------------------------------------------------------
def test_reserved_and_value_less_tags_are_refused(make_server):
    s = make_server()
    iam = s.iam
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="Reserved", AssumeRolePolicyDocument=TRUST,
                        Tags=[{"Key": "aws:team", "Value": "x"}])
    assert error_code(excinfo) == "InvalidInput", excinfo.value.response
    iam.create_role(RoleName="Plain", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as excinfo:
        iam.tag_role(RoleName="Plain", Tags=[{"Key": "AWS:team", "Value": "x"}])
    assert error_code(excinfo) == "InvalidInput", excinfo.value.response
    # boto3 refuses a tag without Value itself: drop it from the serialized request instead.
    key_id, secret = s.admin_credentials()
    raw = s.client("iam", access_key=key_id, secret_key=secret)

    def drop_value(params, **_):
        params["body"].pop("Tags.member.1.Value")

    raw.meta.events.register("before-call.iam.TagRole", drop_value)
    with pytest.raises(ClientError) as excinfo:
        raw.tag_role(RoleName="Plain", Tags=[{"Key": "team", "Value": "x"}])
    assert error_code(excinfo) == "ValidationError", excinfo.value.response
    assert iam.list_role_tags(RoleName="Plain")["Tags"] == []
