#!/usr/bin/env bash
# Smoke-runs every cargo-fuzz target for a short time; fails if any target crashes.
#
#   FUZZ_SECONDS=20 scripts/fuzz-smoke.sh      # default 20 s per target
#
# Seeds the corpora (fuzz/corpus/ is git-ignored) from the repository's test vectors, builds
# all targets once, then runs each for FUZZ_SECONDS. Logs go to fuzz/target/smoke/<target>.log;
# a crashing input is left in fuzz/artifacts/<target>/ by libFuzzer. Needs cargo-fuzz; runs on
# the stable toolchain through RUSTC_BOOTSTRAP=1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1

seed() { # seed TARGET FILE...
    local target="$1"
    shift
    mkdir -p "fuzz/corpus/$target"
    local file
    for file in "$@"; do
        [[ -f "$file" ]] || continue
        # Name by path so re-seeding is idempotent and never clobbers libFuzzer's own entries.
        cp -f "$file" "fuzz/corpus/$target/seed-$(echo "$file" | tr '/' '_')"
    done
}

shopt -s nullglob
seed saml_check tests/attacks/valid/* tests/interop/*/*.xml
seed xml_parse crates/xml/tests/data/c14n/inputs/*
seed c14n crates/xml/tests/data/c14n/inputs/*
seed metadata tests/keys/*metadata.xml
seed binding tests/attacks/valid/*.b64
seed sp_metadata crates/saml/tests/idp/sp-*.xml tests/keys/*metadata.xml
seed authn_request crates/saml/tests/idp/authn-request*

echo "== building fuzz targets"
cargo fuzz build

mapfile -t targets < <(cargo fuzz list)
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "error: cargo fuzz list found no targets" >&2
    exit 1
fi

logs="fuzz/target/smoke"
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds}s"
    mkdir -p "fuzz/corpus/$target"
    status=0
    cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
        >"$logs/$target.log" 2>&1 || status=$?
    # libFuzzer's last line on success: "Done N runs in T second(s)".
    runs="$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$logs/$target.log" | tail -n1 | awk '{print $2}' || true)"
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        summary+=("$target: CRASH (exit $status)")
        echo "!!!!!!!! $target CRASHED (exit $status); log: $logs/$target.log" >&2
        grep -E '==ERROR|panicked|SUMMARY|Test unit written|Base64:' "$logs/$target.log" | head -n 20 >&2 || true
    else
        summary+=("$target: ok, ${runs:-?} executions in ${seconds}s")
    fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FUZZ SMOKE FAILED: ${failed[*]} crashed (inputs in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
