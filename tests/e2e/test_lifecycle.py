"""Start-up and shut-down of `fedgate serve`: refusals on a bad data dir, SIGTERM, admin key from
the environment. Each test runs its own server process (never the shared one)."""

from __future__ import annotations

import re

from harness import ACCOUNT, run_serve_expecting_failure


def assert_clear_refusal(status: int, stderr: str, seconds: float, path) -> None:
    assert status != 0, f"fedgate serve exited 0 on a bad data dir; stderr:\n{stderr}"
    assert seconds < 20, f"took {seconds:.1f} s to refuse"
    assert str(path) in stderr, f"stderr does not name the data dir {path}:\n{stderr}"
    assert re.search(r"director", stderr, re.I), f"stderr does not say what is wrong with the directory:\n{stderr}"
    assert "panicked" not in stderr, f"a panic instead of an error message:\n{stderr}"


def test_data_dir_is_a_file(fedgate_bin, tmp_path):
    f = tmp_path / "data-is-a-file"
    f.write_text("not a directory\n")
    status, _out, err, seconds = run_serve_expecting_failure(f)
    assert_clear_refusal(status, err, seconds, f)
    assert f.read_text() == "not a directory\n"  # left alone


def test_data_dir_cannot_be_created(fedgate_bin, tmp_path):
    # chmod 0500 means nothing to root; a path below a regular file cannot be created by anyone
    f = tmp_path / "plain-file"
    f.write_text("x")
    d = f / "data"
    status, _out, err, seconds = run_serve_expecting_failure(d)
    assert_clear_refusal(status, err, seconds, d)


def test_corrupt_database_is_refused_and_left_alone(fedgate_bin, tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    garbage = bytes(range(256)) * 16
    (d / "fedgate.db").write_bytes(garbage)
    status, _out, err, seconds = run_serve_expecting_failure(d)
    assert status != 0 and seconds < 20, err
    assert "fedgate.db" in err and "database" in err, err
    assert "panicked" not in err, err
    assert (d / "fedgate.db").read_bytes() == garbage  # nothing written over it


def test_unreadable_master_key_is_refused(fedgate_bin, tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    key = d / "master.key"
    key.write_bytes(b"too short")
    key.chmod(0o600)
    status, _out, err, seconds = run_serve_expecting_failure(d)
    assert status != 0 and seconds < 20, err
    assert "master.key" in err and "panicked" not in err, err


def test_sigterm_is_a_clean_shutdown(make_server):
    s = make_server()
    assert s.running
    assert s.stop() == 0  # stop() sends SIGTERM and asserts status 0
    assert not s.running


def test_admin_key_from_environment(make_server):
    key_id, secret = "AKIAFEDGATEE2ETEST01", "e2eSecretKeyFromTheEnvironment0123456789"
    s = make_server(env={"FEDGATE_ADMIN_ACCESS_KEY_ID": key_id, "FEDGATE_ADMIN_SECRET_ACCESS_KEY": secret})
    out = s.client("sts", access_key=key_id, secret_key=secret).get_caller_identity()
    assert out["Account"] == ACCOUNT
    s.client("iam", access_key=key_id, secret_key=secret).list_saml_providers()
    s.stop()
