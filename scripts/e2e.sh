#!/usr/bin/env bash
# Black-box tests of `fedgate serve` (tests/e2e, pytest + boto3 + aws CLI + pysaml2), run twice:
# on SQLite (the default store in the data dir), then on PostgreSQL (scripts/pg-test.sh).
#
#   scripts/e2e.sh                      # both runs
#   scripts/e2e.sh -k assume            # extra arguments go to pytest (both runs)
#   FEDGATE_E2E_BACKENDS=sqlite scripts/e2e.sh    # one backend only (sqlite | postgres | "sqlite postgres")
#
# Needs: the venv from scripts/setup-test-env.sh ($FEDGATE_VENV, default <repo>/.venv), xmlsec1, and
# the binary ($FEDGATE_BIN, default <repo>/target/debug/fedgate; build it first with
# `cargo build -p fedgate`). Anything missing is a loud failure, never a skip.
# Exit status: non-zero if either run fails; pytest's 5 (no tests collected) counts as a failure.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
VENV=${FEDGATE_VENV:-$REPO/.venv}
export FEDGATE_BIN=${FEDGATE_BIN:-$REPO/target/debug/fedgate}
BACKENDS=${FEDGATE_E2E_BACKENDS:-sqlite postgres}

die() { printf 'e2e: ERROR: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

[[ -x $VENV/bin/pytest ]] || die "no pytest in venv $VENV (run scripts/setup-test-env.sh)"
[[ -x $VENV/bin/aws ]] || die "no aws CLI in venv $VENV (run scripts/setup-test-env.sh)"
command -v xmlsec1 >/dev/null || die "xmlsec1 not found on PATH (run scripts/setup-test-env.sh)"
[[ -x $FEDGATE_BIN ]] || die "fedgate binary not found: $FEDGATE_BIN (run \`cargo build -p fedgate\` first)"
"$FEDGATE_BIN" serve --help >/dev/null 2>&1 || die "$FEDGATE_BIN has no working \`serve\` subcommand"
# the venv's aws and python first on PATH (the suite also finds aws next to the venv's python)
export PATH="$VENV/bin:$PATH"

counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
run_pytest() {  # $1 = label; the rest go to pytest
    local label=$1; shift
    local rc=0 junit
    junit=$(mktemp)
    "$VENV/bin/pytest" -q --tb=short -p no:cacheprovider --junitxml="$junit" tests/e2e "$@" || rc=$?
    # tests and failures+errors of this run, for the closing line
    "$VENV/bin/python" - "$junit" >>"$counts" <<'PY' || true
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
tests, bad, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "skipped"))
bad += int(suite.get("errors", 0))
print(tests - bad - skipped, bad)
PY
    rm -f "$junit"
    case $rc in
        0) printf 'e2e: %s: passed\n' "$label" ;;
        5) printf 'e2e: %s: FAILED: pytest collected no tests (exit 5)\n' "$label" >&2 ;;
        *) printf 'e2e: %s: FAILED (pytest exit %d)\n' "$label" "$rc" >&2 ;;
    esac
    return "$rc"
}

[[ -n ${BACKENDS// /} ]] || die "FEDGATE_E2E_BACKENDS is empty"
failed=()
for backend in $BACKENDS; do
    case $backend in
        sqlite)
            step "e2e on SQLite"
            (unset FEDGATE_E2E_DATABASE_URL; run_pytest sqlite "$@") || failed+=(sqlite)
            ;;
        postgres)
            step "e2e on PostgreSQL"
            if [[ ! -x scripts/pg-test.sh ]]; then
                printf 'e2e: postgres: FAILED: scripts/pg-test.sh not found or not executable\n' >&2
                failed+=("postgres (no scripts/pg-test.sh)"); continue
            fi
            if ! pg_env=$(scripts/pg-test.sh start); then
                printf 'e2e: postgres: FAILED: scripts/pg-test.sh start failed\n' >&2
                failed+=("postgres (pg-test.sh start)"); continue
            fi
            eval "$pg_env"
            if [[ -z ${FEDGATE_TEST_POSTGRES_URL:-} ]]; then
                printf 'e2e: postgres: FAILED: scripts/pg-test.sh start did not export FEDGATE_TEST_POSTGRES_URL\n' >&2
                failed+=("postgres (no FEDGATE_TEST_POSTGRES_URL)"); continue
            fi
            if ! command -v psql >/dev/null; then
                printf 'e2e: postgres: FAILED: psql not found (the suite creates a fresh database with it)\n' >&2
                failed+=("postgres (no psql)"); continue
            fi
            (export FEDGATE_E2E_DATABASE_URL=$FEDGATE_TEST_POSTGRES_URL; run_pytest postgres "$@") || failed+=(postgres)
            ;;
        *) die "unknown backend in FEDGATE_E2E_BACKENDS: $backend (sqlite | postgres)" ;;
    esac
done

read -r passed failed_count < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' "$counts")
if ((${#failed[@]})); then
    printf '\ne2e: FAILED on: %s\n' "${failed[*]}" >&2
    printf 'e2e: %d passed, %d failed\n' "$passed" "$((failed_count > 0 ? failed_count : 1))"
    exit 1
fi
printf '\ne2e: all runs passed (%s)\n' "$BACKENDS"
printf 'e2e: %d passed, %d failed\n' "$passed" "$failed_count"
