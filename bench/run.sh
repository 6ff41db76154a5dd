#!/usr/bin/env bash
# Side-by-side benchmark: fedgate `verify_bench` (decode + full validate_response, what
# `fedgate saml check` runs) against C libxmlsec1 (signature verification only) on every signed
# vector in tests/attacks/valid/ and tests/interop/, plus the OpenSSL floor (one raw signature
# verification). Prints a Markdown table (also written to target/bench-peers/table.md).
#
#   bench/run.sh                       # ITERATIONS=500 REPETITIONS=5
#   ITERATIONS=1000 bench/run.sh
#
# Needs: cargo, gcc, pkg-config, libxmlsec1-dev (OpenSSL backend), python3.
# Runs are interleaved (fedgate, libxmlsec1, next vector, …, then the next repetition) and
# medians are reported, because the machine is shared and noisy.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
iterations="${ITERATIONS:-500}"
repetitions="${REPETITIONS:-5}"
floor_iterations="${FLOOR_ITERATIONS:-5000}"
out="target/bench-peers"
mkdir -p "$out/certs"

echo "== building" >&2
cargo build --release -p fedgate-saml --example verify_bench >&2
fedgate="target/release/examples/verify_bench"
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$out/xmlsec1_verify" bench/peers/xmlsec1_verify.c $(pkg-config --cflags --libs xmlsec1)
gcc -O2 -Wall -o "$out/openssl_floor" bench/peers/openssl_floor.c -lcrypto
xmlsec="$out/xmlsec1_verify"
floor="$out/openssl_floor"

per_op() { # prints per_op_ns of a run, or nothing if it failed
    "$@" 2>/dev/null | sed -n 's/^per_op_ns=//p' || true
}

median() { # median of the arguments
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# The IdP metadata whose entityID is the response's Issuer, and that metadata's certificates as
# PEM files (the trust given to libxmlsec1). Prints: metadata-path cert-path... (tab-separated).
trust_for() { # trust_for DECODED_XML_FILE
    python3 - "$1" "$out/certs" <<'PY'
import glob, os, re, sys, textwrap
xml = open(sys.argv[1], encoding="utf-8").read()
issuer = re.search(r"<(?:\w+:)?Issuer[^>]*>\s*([^<]+?)\s*<", xml)
if not issuer:
    sys.exit(0)
for path in sorted(glob.glob("tests/keys/*metadata.xml")):
    md = open(path, encoding="utf-8").read()
    if f'entityID="{issuer.group(1)}"' not in md:
        continue
    certs = []
    for i, body in enumerate(re.findall(r"<(?:\w+:)?X509Certificate>([^<]+)<", md)):
        name = os.path.join(sys.argv[2], f"{os.path.basename(path)[:-4]}-{i}.pem")
        b64 = "".join(body.split())
        with open(name, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b64, 64)) + "\n-----END CERTIFICATE-----\n")
        certs.append(name)
    print("\t".join([path] + certs))
    break
PY
}

vectors=()
for file in tests/attacks/valid/*.xml tests/attacks/valid/*.b64 tests/interop/*/*.xml; do
    [[ -f "$file" ]] && vectors+=("$file")
done

declare -A form meta cert nsig kind md
selected=()
skipped=()
for file in "${vectors[@]}"; do
    decoded="$out/decoded-$(echo "$file" | tr '/' '_').xml"
    if [[ "$file" == *.b64 ]]; then
        form[$file]="--b64"
        tr -d ' \r\n\t' <"$file" | base64 -d >"$decoded"
    else
        form[$file]="--xml"
        cp "$file" "$decoded"
    fi
    IFS=$'\t' read -r -a trust < <(trust_for "$decoded") || true
    if [[ ${#trust[@]} -lt 2 ]]; then
        skipped+=("$file (no metadata for its Issuer)")
        continue
    fi
    meta[$file]="${trust[0]}"
    cert[$file]=""
    for candidate in "${trust[@]:1}"; do
        if [[ -n "$(per_op "$xmlsec" "${form[$file]}" "$file" --cert "$candidate" --iterations 1)" ]]; then
            cert[$file]="$candidate"
            break
        fi
    done
    if [[ -z "${cert[$file]}" ]]; then
        skipped+=("$file (libxmlsec1 cannot verify it with the IdP's certificates)")
        continue
    fi
    if [[ -z "$(per_op "$fedgate" "${form[$file]}" "$file" --metadata "${meta[$file]}" --iterations 1)" ]]; then
        skipped+=("$file (fedgate rejects it: $("$fedgate" "${form[$file]}" "$file" --metadata "${meta[$file]}" --iterations 1 2>&1 >/dev/null))")
        continue
    fi
    nsig[$file]="$(grep -Eo '<([A-Za-z0-9_]+:)?SignatureValue[ >]' "$decoded" | wc -l)"
    if grep -q 'xmldsig-more#ecdsa-' "$decoded"; then kind[$file]=ec; else kind[$file]=rsa; fi
    md[$file]="$(grep -Eo 'xmldsig-more#(rsa|ecdsa)-sha(256|384|512)|xmldsig#rsa-sha1' "$decoded" | head -n1 | grep -Eo 'sha[0-9]+$')"
    selected+=("$file")
done

declare -A fedgate_runs xmlsec_runs floor_runs
for ((rep = 1; rep <= repetitions; rep++)); do
    echo "== repetition $rep/$repetitions" >&2
    for file in "${selected[@]}"; do
        fedgate_runs[$file]+=" $(per_op "$fedgate" "${form[$file]}" "$file" --metadata "${meta[$file]}" --iterations "$iterations")"
        xmlsec_runs[$file]+=" $(per_op "$xmlsec" "${form[$file]}" "$file" --cert "${cert[$file]}" --iterations "$iterations")"
    done
    for key in "rsa sha256" "rsa sha512" "ec sha256"; do
        read -r k h <<<"$key"
        if [[ $k == rsa ]]; then pair=(tests/keys/idp-a.cert.pem tests/keys/idp-a.key.pem); else pair=(tests/keys/idp-a-ec.cert.pem tests/keys/idp-a-ec.key.pem); fi
        floor_runs[$key]+=" $(per_op "$floor" --cert "${pair[0]}" --key "${pair[1]}" --md "$h" --iterations "$floor_iterations")"
    done
done

us() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

table="$out/table.md"
{
    echo "| vector | signatures | fedgate µs/op | libxmlsec1 µs/op | throughput fedgate/libxmlsec1 | OpenSSL floor µs | fedgate/floor |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for file in "${selected[@]}"; do
        # shellcheck disable=SC2086
        f="$(median ${fedgate_runs[$file]})"
        # shellcheck disable=SC2086
        x="$(median ${xmlsec_runs[$file]})"
        # shellcheck disable=SC2086
        one="$(median ${floor_runs["${kind[$file]} ${md[$file]:-sha256}"]:-${floor_runs["${kind[$file]} sha256"]}})"
        fl="$(awk -v a="$one" -v n="${nsig[$file]}" 'BEGIN {print a * n}')"
        label="${file#tests/}"
        [[ ${kind[$file]} == ec ]] && label="$label (ECDSA P-256)"
        echo "| $label | ${nsig[$file]} | $(us "$f") | $(us "$x") | $(ratio "$x" "$f")× | $(us "$fl") | $(ratio "$f" "$fl")× |"
    done
    echo
    echo "Iterations per run: $iterations (floor: $floor_iterations); repetitions: $repetitions; medians."
    echo "Floor: OpenSSL EVP_DigestVerify (RSA-2048 or ECDSA P-256, the vector's hash) × signatures in the vector."
    for s in "${skipped[@]}"; do echo "Skipped: $s"; done
} >"$table"
cat "$table"
