"""Fixtures for the black-box tests of `fedgate serve`.

Environment:
- FEDGATE_BIN: the binary (default <repo>/target/debug/fedgate). Missing -> the run stops at once.
- FEDGATE_E2E_DATABASE_URL: a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:55432/fedgate_test).
  When set, every server started here gets a database of its own, created with `psql` through the
  same server's `postgres` database (and dropped at the end); when unset, SQLite in the data dir.
- FEDGATE_E2E_START_TIMEOUT / FEDGATE_E2E_STOP_TIMEOUT: seconds (default 60 / 20).

The session-wide `server` runs `fedgate serve --listen 127.0.0.1:<free port> --data-dir <fresh dir>
--base-url http://127.0.0.1:<port> [--database-url <fresh db>]`, waits for /readyz, hands out boto3
clients with the admin key read from <data-dir>/admin-credentials, and at the end stops it with
SIGTERM and asserts exit status 0. `server.restart()` does the same stop, then starts again on the
same data dir, database and port.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))

from harness import (  # noqa: E402
    DATABASE_URL, FEDGATE_BIN, REGION, Databases, FedgateServer, binary_problem,
)

# The test process must not pick up a developer's AWS profile, keys or config.
for _v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
           "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM",
           "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
    os.environ.pop(_v, None)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_DEFAULT_REGION"] = REGION


def pytest_sessionstart(session):
    """Fail loudly (exit status 4) before any test when a prerequisite is missing."""
    if session.config.option.collectonly:
        return
    problems = [p for p in [binary_problem()] if p]
    if shutil.which(os.environ.get("XMLSEC1", "xmlsec1")) is None:
        problems.append("xmlsec1 not found on PATH (run scripts/setup-test-env.sh)")
    if DATABASE_URL and shutil.which("psql") is None:
        problems.append("FEDGATE_E2E_DATABASE_URL is set but psql is not on PATH (needed to create the test database)")
    if problems:
        raise pytest.UsageError("fedgate e2e: " + "; ".join(problems))


# --- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def fedgate_bin() -> Path:
    problem = binary_problem()
    if problem:
        pytest.exit(problem, returncode=4)
    return FEDGATE_BIN


@pytest.fixture(scope="session")
def databases():
    dbs = Databases(DATABASE_URL)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def make_server(fedgate_bin, databases, tmp_path_factory):
    """Factory: make_server(env=..., start=True) -> a FedgateServer on a fresh data dir (and a fresh
    PostgreSQL database in the PostgreSQL run). Servers still running at the end are stopped with
    SIGTERM and must exit cleanly."""
    servers: list[FedgateServer] = []

    def make(*, env: dict | None = None, start: bool = True, extra_args: tuple[str, ...] = ()) -> FedgateServer:
        root = tmp_path_factory.mktemp("fedgate")
        s = FedgateServer(data_dir=root / "data", log_dir=root / "logs", database_url=databases.fresh(),
                          env=env, extra_args=extra_args)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    failures = []
    for s in servers:
        if s.proc is not None:
            try:
                s.stop()
            except BaseException as e:  # noqa: BLE001 - report every server, not only the first
                failures.append(str(e))
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture(scope="session")
def server(make_server) -> FedgateServer:
    """The shared server of the session (fresh data dir / database)."""
    return make_server()


@pytest.fixture
def iam(server):
    return server.iam


@pytest.fixture
def sts(server):
    return server.sts
