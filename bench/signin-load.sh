#!/usr/bin/env bash
# Sign-in load: complete sign-ins per second, p50/p99 latency and the server's CPU time per
# sign-in, at several concurrencies, on the embedded default (SQLite). The browser endpoint
# (`POST /saml`) by default; the STS API (`AssumeRoleWithSAML`) with MODE=sts.
#
#   bench/signin-load.sh                       # 4000 sign-ins at each of 1, 8, 64
#   REQUESTS=2000 CONCURRENCY="1 8" bench/signin-load.sh
#   SERVER_CPUS=0 LOAD_CPUS=1 bench/signin-load.sh   # pin server and load generator (taskset)
#   FEDGATE_LOG=warn bench/signin-load.sh      # the server's log level
#   MODE=sts POLICIES=2 bench/signin-load.sh   # AssumeRoleWithSAML, with 2 PolicyArns each
#   FEDGATE_BIN=/tmp/old/fedgate bench/signin-load.sh  # another server build (before/after)
#
# Starts `fedgate serve` (release) on a fresh data dir, registers IdP A (tests/keys) and a role
# trusting it with the aws CLI of the test venv, then runs the load generator
# (crates/fedgate/examples/signin_load.rs), which signs every response before the clock starts.
# Prints one JSON line per concurrency; results also in target/bench-signin/results.jsonl.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
VENV=${FEDGATE_VENV:-$REPO/.venv}
REQUESTS=${REQUESTS:-4000}
CONCURRENCY=${CONCURRENCY:-1 8 64}
OUT=$REPO/target/bench-signin
mkdir -p "$OUT"
[[ -x $VENV/bin/aws ]] || { echo "no aws CLI in $VENV (run scripts/setup-test-env.sh)" >&2; exit 1; }

MODE=${MODE:-browser}
POLICIES=${POLICIES:-0}
if [[ -n ${FEDGATE_BIN:-} ]]; then
    cargo build --release -p fedgate --example signin_load >&2
else
    cargo build --release -p fedgate --bin fedgate --example signin_load >&2
fi
BIN=${FEDGATE_BIN:-$REPO/target/release/fedgate}
LOAD=$REPO/target/release/examples/signin_load

pinned() {  # $1 = cpu list or empty; prints the command as words
    if [[ -n ${1:-} ]]; then printf '%s\0' taskset -c "$1"; fi
}

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
# The server refuses FEDGATE_* variables it does not read: pass only FEDGATE_LOG.
unset_fedgate=()
for name in $(compgen -e | grep '^FEDGATE_' || true); do unset_fedgate+=(-u "$name"); done
mapfile -d '' server_pin < <(pinned "${SERVER_CPUS:-}")
env "${unset_fedgate[@]}" FEDGATE_LOG="${FEDGATE_LOG:-info}" \
    "${server_pin[@]}" "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --base-url "$URL" \
    >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$URL/readyz" >/dev/null || { cat "$OUT/server.log" >&2; exit 1; }

read -r KEY SECRET < <(awk -F' *= *' '/aws_access_key_id/{k=$2} /aws_secret_access_key/{s=$2} END{print k, s}' \
    "$DATA/admin-credentials")
export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws() { "$VENV/bin/aws" --endpoint-url "$URL" "$@"; }
PROVIDER=$(aws iam create-saml-provider --name LoadIdp \
    --saml-metadata-document "file://tests/keys/idp-a-metadata.xml" --query SAMLProviderArn --output text)
TRUST=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"%s/saml"}}}]}' "$PROVIDER" "$URL")
ROLE=$(aws iam create-role --role-name LoadAgent --assume-role-policy-document "$TRUST" \
    --query Role.Arn --output text)
policy_args=()
for n in $(seq "$POLICIES"); do
    arn=$(aws iam create-policy --policy-name "LoadSession$n" --query Policy.Arn --output text \
        --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}')
    policy_args+=(--policy-arn "$arn")
done

: >"$OUT/results.jsonl"
for c in $CONCURRENCY; do
    mapfile -d '' load_pin < <(pinned "${LOAD_CPUS:-}")
    "${load_pin[@]}" "$LOAD" --url "$URL" --requests "$REQUESTS" --concurrency "$c" \
        --key tests/keys/idp-a.key.pem --cert tests/keys/idp-a.cert.pem \
        --issuer https://idp-a.example.test/saml --role-arn "$ROLE" --provider-arn "$PROVIDER" \
        --server-pid "$SERVER" --mode "$MODE" "${policy_args[@]}" | tee -a "$OUT/results.jsonl"
done
