"""The harness behind conftest.py: the fedgate server process, fresh PostgreSQL databases, boto3 and
aws CLI clients. Kept out of conftest.py so that test modules can import it by name."""

from __future__ import annotations

import configparser
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parents[1]

ACCOUNT = "000000000000"
REGION = "us-east-1"
FEDGATE_BIN = Path(os.environ.get("FEDGATE_BIN") or REPO / "target" / "debug" / "fedgate")
DATABASE_URL = os.environ.get("FEDGATE_E2E_DATABASE_URL") or None
START_TIMEOUT = float(os.environ.get("FEDGATE_E2E_START_TIMEOUT", "60"))
STOP_TIMEOUT = float(os.environ.get("FEDGATE_E2E_STOP_TIMEOUT", "20"))


def binary_problem() -> str | None:
    if not FEDGATE_BIN.is_file() or not os.access(FEDGATE_BIN, os.X_OK):
        return (f"fedgate binary not found or not executable: {FEDGATE_BIN} "
                "(build it with `cargo build -p fedgate`, or set FEDGATE_BIN)")
    return None


# --- helpers ------------------------------------------------------------------------------------------
def server_env() -> dict:
    """The environment for `fedgate serve`: ours without any FEDGATE_* variable. The server reads
    FEDGATE_<FIELD> as configuration and refuses unknown fields, so FEDGATE_BIN, FEDGATE_VENV,
    FEDGATE_E2E_DATABASE_URL, FEDGATE_TEST_POSTGRES_URL... must not reach it (and
    FEDGATE_ADMIN_* only when a test sets them on purpose)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDGATE_")}
    env.setdefault("RUST_BACKTRACE", "1")
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aws_cli_path() -> str:
    for cand in (Path(sys.executable).parent / "aws",
                 Path(os.environ.get("FEDGATE_VENV", REPO / ".venv")) / "bin" / "aws"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    found = shutil.which("aws")
    if found is None:
        pytest.fail("aws CLI not found (expected next to the venv's python; run scripts/setup-test-env.sh)")
    return found


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def tail(path: Path, n: int = 60) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no file)"
    return "\n".join(lines[-n:])


# --- PostgreSQL: one fresh database per server ---------------------------------------------------------
def _psql(admin_url: str, sql: str) -> None:
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", sql],
                       capture_output=True, text=True, timeout=60, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"psql {sql!r} on {admin_url} failed ({r.returncode}): {r.stderr.strip()}")


def _with_db(url: str, db: str) -> str:
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + db, u.query, u.fragment))


class Databases:
    """Creates databases named fedgate_e2e_<pid>_<random> next to FEDGATE_E2E_DATABASE_URL's."""

    def __init__(self, base_url: str | None):
        self.base_url = base_url
        self.created: list[str] = []

    def fresh(self) -> str | None:
        if self.base_url is None:
            return None
        name = f"fedgate_e2e_{os.getpid()}_{secrets.token_hex(4)}"
        _psql(_with_db(self.base_url, "postgres"), f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _with_db(self.base_url, name)

    def drop_all(self) -> None:
        for name in self.created:
            try:
                _psql(_with_db(self.base_url, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as e:  # best effort: the cluster is a throwaway one
                print(f"fedgate e2e: could not drop database {name}: {e}", file=sys.stderr)


# --- processes under test ------------------------------------------------------------------------------
class ManagedProcess:
    """A fedgate process a test starts and stops (`fedgate serve`, `fedgate idp`): its output is
    appended to ``stdout_path``/``stderr_path`` per start, it is ready when ``ready_path``
    answers 200, and it must exit with status 0 on SIGTERM.

    Subclasses set ``name``, ``ready_path``, ``base_url``, ``stdout_path``, ``stderr_path``,
    ``proc = None``, ``starts = 0`` and define ``command()`` and ``logs()``."""

    name = "fedgate"
    ready_path = "/readyz"
    cwd: str | None = None

    def env(self) -> dict:
        return server_env()

    def _before_start(self) -> None:
        pass

    def _on_ready(self) -> None:
        pass

    def _before_stop(self) -> None:
        pass

    def start(self, timeout: float = START_TIMEOUT):
        assert self.proc is None, "already running"
        problem = binary_problem()
        if problem:
            pytest.exit(problem, returncode=4)
        self._before_start()
        self.starts += 1
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            for f in (out, err):
                f.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
                f.flush()
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=self.env(), cwd=self.cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                pytest.fail(f"{self.name} exited with status {rc} before it was ready\n{self.logs()}")
            try:
                status, _ = http_get(self.base_url + self.ready_path, timeout=1.0)
                if status == 200:
                    self._on_ready()
                    return self
                last = f"{self.ready_path} answered {status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.1)
        self._kill()
        pytest.fail(f"{self.name} not ready within {timeout:.0f} s (last: {last})\n{self.logs()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait, and assert a clean exit (status 0). Returns the status."""
        assert self.proc is not None, "not running"
        self._before_stop()
        proc, self.proc = self.proc, None
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"{self.name} did not exit within {timeout:.0f} s of SIGTERM (killed)\n{self.logs()}")
        assert rc == 0, (f"{self.name} exited with status {rc} after SIGTERM "
                         f"({time.monotonic() - started:.1f} s)\n{self.logs()}")
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


# --- the server -----------------------------------------------------------------------------------------
class FedgateServer(ManagedProcess):
    """One `fedgate serve` process (restartable on the same data dir, database and port)."""

    name = "fedgate serve"

    def __init__(self, *, data_dir: Path, log_dir: Path, database_url: str | None, env: dict | None = None,
                 port: int | None = None, extra_args: tuple[str, ...] = ()):
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.database_url = database_url
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.extra_env = dict(env or {})
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.stdout_path = log_dir / "stdout.log"
        self.stderr_path = log_dir / "stderr.log"
        self._clients: dict = {}

    # -- process
    def command(self) -> list[str]:
        cmd = [str(FEDGATE_BIN), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
               "--base-url", self.base_url]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd + list(self.extra_args)

    def env(self) -> dict:
        env = server_env()
        env.update(self.extra_env)
        return env

    def logs(self) -> str:
        return (f"--- {self.command()}\n--- stdout (tail) {self.stdout_path}:\n{tail(self.stdout_path)}\n"
                f"--- stderr (tail) {self.stderr_path}:\n{tail(self.stderr_path)}")

    def _before_start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _on_ready(self) -> None:
        self._clients.clear()

    def _before_stop(self) -> None:
        self.close_clients()

    # -- credentials and clients
    @property
    def admin_credentials_path(self) -> Path:
        return self.data_dir / "admin-credentials"

    def admin_credentials(self) -> tuple[str, str]:
        env_id = self.extra_env.get("FEDGATE_ADMIN_ACCESS_KEY_ID")
        if env_id:
            return env_id, self.extra_env["FEDGATE_ADMIN_SECRET_ACCESS_KEY"]
        cp = configparser.ConfigParser()
        if not self.admin_credentials_path.is_file():
            pytest.fail(f"fedgate serve did not write the admin key to {self.admin_credentials_path}\n{self.logs()}")
        text = self.admin_credentials_path.read_text()
        cp.read_string(text)
        assert cp.has_section("default"), f"no [default] in {self.admin_credentials_path}:\n{text}"
        return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]

    def client(self, service: str, *, access_key: str | None = None, secret_key: str | None = None,
               session_token: str | None = None, unsigned: bool = False):
        """A boto3 client for this server (admin credentials unless given; no retries)."""
        import boto3
        import botocore
        from botocore.config import Config

        cfg = dict(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        if unsigned:
            cfg["signature_version"] = botocore.UNSIGNED
            creds = {}
        else:
            if access_key is None:
                access_key, secret_key = self.admin_credentials()
            creds = dict(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                         aws_session_token=session_token)
        return boto3.session.Session().client(service, endpoint_url=self.base_url, region_name=REGION,
                                              config=Config(**cfg), **creds)

    def _cached(self, name: str, **kw):
        if name not in self._clients:
            self._clients[name] = self.client(name.split("-")[0], **kw)
        return self._clients[name]

    @property
    def iam(self):
        return self._cached("iam")

    @property
    def sts(self):
        return self._cached("sts")

    @property
    def sts_unsigned(self):
        return self._cached("sts-unsigned", unsigned=True)

    def close_clients(self) -> None:
        for c in self._clients.values():
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()

    # -- aws CLI
    def aws(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_SHARED_CREDENTIALS_FILE": str(self.admin_credentials_path),
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_PAGER": "",
        })
        cmd = [aws_cli_path(), "--endpoint-url", self.base_url, "--output", "json", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if check and r.returncode != 0:
            pytest.fail(f"{' '.join(cmd[:6])} … failed with status {r.returncode}:\n{r.stderr}\n{r.stdout}")
        return r

    def aws_json(self, *args: str) -> dict:
        r = self.aws(*args)
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except json.JSONDecodeError:
            pytest.fail(f"aws {' '.join(args[:3])} printed no JSON:\n{r.stdout}\n{r.stderr}")


def run_serve_expecting_failure(data_dir: Path, *, timeout: float = 30, env: dict | None = None):
    """Run `fedgate serve` that must refuse to start. Returns (status, stdout, stderr, seconds)."""
    cmd = [str(FEDGATE_BIN), "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(data_dir)]
    started = time.monotonic()
    full_env = server_env()
    full_env.update(env or {})
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=full_env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"`{' '.join(cmd)}` still running after {timeout} s (expected a quick refusal)\n"
                    f"stdout: {out.decode(errors='replace')}\nstderr: {err.decode(errors='replace')}")
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), time.monotonic() - started
