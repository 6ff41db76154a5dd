#!/usr/bin/env bash
# Install everything fedgate's tests need that is not a Rust crate, on Debian 12, as root.
#
#   scripts/setup-test-env.sh            # from anywhere; safe to run again (idempotent)
#   FEDGATE_VENV=/some/dir scripts/setup-test-env.sh
#
# - Debian packages: installed only when missing (`apt-get update` only then).
# - Python venv at $FEDGATE_VENV (default <repo>/.venv) with scripts/requirements-test.txt;
#   pip runs only when the requirements file changed since the last successful install
#   (its sha256 is stored in the venv).
# - cargo-fuzz: `cargo install` only when `cargo fuzz --version` fails.
# Exits non-zero with a message naming what is missing if any check fails at the end.
# The only network it uses is the package registries (Debian apt, PyPI, crates.io).
set -euo pipefail

started=$(date +%s)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${FEDGATE_VENV:-$REPO/.venv}
REQUIREMENTS=$REPO/scripts/requirements-test.txt
PYTHON=${FEDGATE_PYTHON:-python3}
CARGO_FUZZ_VERSION=0.13.2

# One list of Debian packages.
APT_PACKAGES=(
    postgresql     # the PostgreSQL half of the store conformance and e2e suites (scripts/pg-test.sh)
    xmlsec1        # interop oracle: signs/verifies fixtures; pysaml2 calls /usr/bin/xmlsec1
    libxml2-utils  # xmllint (--c14n / --exc-c14n cross-checks)
    python3        # venv base on a bare machine
    python3-venv   # ensurepip for `python3 -m venv` on Debian
    # A real SimpleSAMLphp 1.19 IdP for the e2e tests (tests/e2e/simplesamlphp.py), served by `php -S`:
    simplesamlphp  # the IdP itself (/usr/share/simplesamlphp); its own config is generated per test
    php-cli        # the `php` binary and its built-in web server (only a Recommends of simplesamlphp)
    php-xml        # PHP's DOM extension: SimpleSAMLphp needs it but the package does not depend on it
    chromium       # headless browser for the page tests (tests/e2e/test_browser*.py)
    chromium-driver # its WebDriver server (/usr/bin/chromedriver), driven by selenium
    fonts-dejavu-core # readable text in the screenshots
)

log() { printf 'setup-test-env: %s\n' "$*" >&2; }
die() { printf 'setup-test-env: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages (${missing[*]}) and not root: run as root or install them"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "Debian packages present: ${APT_PACKAGES[*]}"
fi

# --- Python venv -----------------------------------------------------------------------------
[[ -f $REQUIREMENTS ]] || die "requirements file not found: $REQUIREMENTS"
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    command -v "$PYTHON" >/dev/null || die "no $PYTHON to create the venv with"
    log "creating venv $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv --clear "$VENV" || die "could not create venv at $VENV"
fi
stamp=$VENV/.fedgate-requirements.sha256
want=$( { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; "$VENV/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "venv $VENV already satisfies $(basename "$REQUIREMENTS")"
else
    log "installing Python packages into $VENV"
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$REQUIREMENTS" \
        || die "pip install -r $REQUIREMENTS failed"
    printf '%s\n' "$want" >"$stamp"
fi

# --- cargo-fuzz ------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found on PATH (the Rust toolchain is part of the machine image)"
if cargo fuzz --version >/dev/null 2>&1; then
    log "cargo-fuzz present: $(cargo fuzz --version 2>&1)"
else
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked || die "cargo install cargo-fuzz failed"
fi

# --- final checks: fail loudly ----------------------------------------------------------------
failed=()
xmlsec1 --version >/dev/null 2>&1 || failed+=("xmlsec1 --version")
xmllint --version >/dev/null 2>&1 || failed+=("xmllint --version")
"$VENV/bin/python" -c 'import saml2, lxml, cryptography, pytest, boto3' >/dev/null 2>&1 \
    || failed+=("$VENV/bin/python -c 'import saml2, lxml, cryptography, pytest, boto3'")
[[ -x $VENV/bin/aws ]] && "$VENV/bin/aws" --version >/dev/null 2>&1 || failed+=("$VENV/bin/aws --version")
cargo fuzz --version >/dev/null 2>&1 || failed+=("cargo fuzz --version")
chromium --headless --no-sandbox --version >/dev/null 2>&1 || failed+=("chromium --version")
chromedriver --version >/dev/null 2>&1 || failed+=("chromedriver --version")
"$VENV/bin/python" -c 'import selenium' >/dev/null 2>&1 || failed+=("$VENV/bin/python -c 'import selenium'")
if ((${#failed[@]})); then
    rm -f "$stamp"  # force pip to run next time
    for f in "${failed[@]}"; do printf 'setup-test-env: ERROR: check failed: %s\n' "$f" >&2; done
    exit 1
fi
log "ok in $(($(date +%s) - started)) s: $(xmlsec1 --version), venv $VENV, $(cargo fuzz --version 2>&1)"
