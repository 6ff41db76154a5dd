#!/usr/bin/env python3
"""/healthz and valid AssumeRoleWithSAML latency while two clients send the worst input.

Starts `fedgate serve` (the binary given) on a fresh data directory, sets up IdP A's provider
and a role trusting it, then runs three phases and prints one Markdown row per phase:

1. cost: the server's CPU time per request (utime + stime of the process, /proc) for a valid
   signed Response and for the worst input of about the same size, each sent sequentially;
2. quiet: a /healthz prober and a valid-sign-in prober, each sequential, nothing else;
3. attack: the same probers while two attacker clients send the worst input back to back.

The worst input is issue 8's: a base64 `SAMLAssertion` (~98 KB) of a single element with
10,500 attributes (parsing cost was quadratic in attributes on one element). The valid
Response is signed by xmlsec1 with IdP A's test key (tests/e2e/saml_factory.py), valid for
30 minutes and reused (AWS allows reuse of a response within its validity).

    .venv/bin/python bench/hostile_load.py --bin target/release/fedgate --label after
    .venv/bin/python bench/hostile_load.py --bin /path/to/old/fedgate --label before

Needs: the test venv (boto3, lxml), xmlsec1. Linux (/proc for CPU time).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import saml_factory as S  # noqa: E402

ROLE = "BenchAgent"
PROVIDER = "IdpA"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def attribute_names(count: int):
    """`count` distinct short XML names: two characters, then three."""
    first = string.ascii_letters
    rest = string.ascii_letters + string.digits
    names = (a + b for a in first for b in rest)
    longer = (a + b + c for a in first for b in rest for c in rest)
    return itertools.islice(itertools.chain(names, longer), count)


def worst_input() -> str:
    """One element with 10,500 empty attributes, base64 under AWS's 100,000 characters."""
    attributes = " ".join(f'{name}=""' for name in attribute_names(10_500))
    xml = f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" {attributes}/>'
    return base64.b64encode(xml.encode()).decode()


def post_form(url: str, params: dict, timeout: float = 60) -> tuple[int, float]:
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - started


def get(url: str, timeout: float = 60) -> tuple[int, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return response.status, time.perf_counter() - started


class Server:
    def __init__(self, binary: str, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = workdir / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDGATE_")}
        env["FEDGATE_LOG"] = "warn"
        self.log = open(workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data),
             "--base-url", self.url], stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(self.url + "/readyz", timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("fedgate serve did not become ready")

    def admin(self):
        import boto3
        import configparser
        cp = configparser.ConfigParser()
        cp.read(self.data / "admin-credentials")
        return boto3.session.Session().client(
            "iam", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=cp["default"]["aws_access_key_id"],
            aws_secret_access_key=cp["default"]["aws_secret_access_key"])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def prober(stop: threading.Event, call, samples: list, errors: list):
    while not stop.is_set():
        try:
            status, seconds = call()
        except OSError as error:
            errors.append(repr(error))
            continue
        if status == 200:
            samples.append(seconds)
        else:
            errors.append(status)


def attacker(stop: threading.Event, url: str, params: dict, counts: list):
    while not stop.is_set():
        try:
            status, _ = post_form(url, params)
            counts.append(status)
        except OSError:
            counts.append("error")


def percentile(samples: list, q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(REPO / "target" / "release" / "fedgate"))
    parser.add_argument("--label", default="")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cost-requests", type=int, default=40)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fedgate-hostile-"))
    server = Server(args.bin, workdir)
    try:
        iam = server.admin()
        iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=S.IDP_A.metadata_text)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": S.provider_arn(PROVIDER)},
            "Action": "sts:AssumeRoleWithSAML"}]}
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        valid = S.response(role=ROLE, provider=PROVIDER, validity=dt.timedelta(minutes=30))
        common = {"Action": "AssumeRoleWithSAML", "Version": "2011-06-15",
                  "RoleArn": S.role_arn(ROLE), "PrincipalArn": S.provider_arn(PROVIDER)}
        valid_params = dict(common, SAMLAssertion=valid)
        hostile = worst_input()
        hostile_params = dict(common, SAMLAssertion=hostile)
        status, _ = post_form(server.url, valid_params)
        if status != 200:
            raise SystemExit(f"the valid sign-in is refused ({status}); see {workdir}/server.log")

        # 1. CPU per request.
        cost = {}
        for name, params in (("valid", valid_params), ("worst", hostile_params)):
            before = cpu_seconds(server.proc.pid)
            statuses = [post_form(server.url, params)[0] for _ in range(args.cost_requests)]
            cost[name] = (cpu_seconds(server.proc.pid) - before) / args.cost_requests
            cost[name + "_status"] = sorted(set(statuses))

        # 2 and 3. Latency, quiet and under attack.
        rows = []
        for phase, attackers in (("quiet", 0), ("attack", 2)):
            stop = threading.Event()
            health, signin, errors, attack_counts = [], [], [], []
            threads = [
                threading.Thread(target=prober, args=(stop, lambda: get(server.url + "/healthz"), health, errors)),
                threading.Thread(target=prober, args=(stop, lambda: post_form(server.url, valid_params), signin, errors)),
            ] + [threading.Thread(target=attacker, args=(stop, server.url, hostile_params, attack_counts))
                 for _ in range(attackers)]
            for t in threads:
                t.start()
            time.sleep(args.seconds)
            stop.set()
            for t in threads:
                t.join(timeout=120)
            throttled = sum(1 for c in attack_counts if c == 400)
            rows.append((phase, health, signin, errors, attack_counts, throttled))

        label = f" ({args.label})" if args.label else ""
        print(f"\n### {Path(args.bin).name}{label}\n")
        print(f"CPU per request: valid {cost['valid'] * 1000:.1f} ms (HTTP {cost['valid_status']}), "
              f"worst input {cost['worst'] * 1000:.1f} ms (HTTP {cost['worst_status']}), "
              f"ratio {cost['worst'] / max(cost['valid'], 1e-9):.1f}x "
              f"(SAMLAssertion {len(valid) / 1000:.0f} KB valid, {len(hostile) / 1000:.0f} KB worst)\n")
        print("| phase | /healthz p50 | /healthz p90 | sign-in p50 | sign-in p90 | sign-ins | hostile requests (4xx) | prober errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for phase, health, signin, errors, attack_counts, throttled in rows:
            print(f"| {phase} | {statistics.median(health) * 1000:.1f} ms | {percentile(health, 0.9) * 1000:.1f} ms "
                  f"| {statistics.median(signin) * 1000:.1f} ms | {percentile(signin, 0.9) * 1000:.1f} ms "
                  f"| {len(signin)} | {len(attack_counts)} | {len(errors)} |")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
