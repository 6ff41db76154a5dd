#!/usr/bin/env bash
# The whole test suite. Installs what it needs first (Debian packages, the Python venv with
# pysaml2/boto3/awscli, cargo-fuzz), idempotently. `.ci/run` calls exactly this.
#
#   scripts/test.sh                # everything
#   FUZZ_SECONDS=60 scripts/test.sh
#
# A missing tool is a loud failure, never a silent skip.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export FEDGATE_VENV=${FEDGATE_VENV:-$REPO/.venv}
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "install test dependencies"
scripts/setup-test-env.sh

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "fuzz smoke run (${FUZZ_SECONDS:=15} s per target)"
FUZZ_SECONDS=$FUZZ_SECONDS scripts/fuzz-smoke.sh

step "start a throwaway PostgreSQL (store/IAM conformance and e2e suites run on both backends)"
eval "$(scripts/pg-test.sh start)"
trap 'scripts/pg-test.sh stop >/dev/null 2>&1 || true' EXIT

step "unit, corpus, attack-suite, interop, store and IAM tests (SQLite and PostgreSQL)"
# xmlsec1 and the venv's python are used by the interop tests; they must exist.
command -v xmlsec1 >/dev/null || { echo "xmlsec1 missing" >&2; exit 1; }
export FEDGATE_PYTHON="$FEDGATE_VENV/bin/python"
cargo nextest run --workspace --locked --no-fail-fast
cargo test --workspace --locked --doc

step "the server end to end: boto3 and the aws CLI against fedgate serve (SQLite, then PostgreSQL)"
scripts/e2e.sh
