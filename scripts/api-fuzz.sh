#!/usr/bin/env bash
# Property-based API test: schemathesis (`scripts/setup.sh --test-tools` installs it in var/) against
# docs/openapi.yaml and a live gateway. Starts an embedded broker, one worker and the
# gateway on loopback with free ports, a temporary data directory and secrets file; every
# request is signed (scripts/schemathesis_hooks.py). Checks: no 5xx, and every response
# conforms to the spec (status code, content type, headers, schema). Stops everything it
# started on every exit path.
#
#   scripts/api-fuzz.sh [--max-examples N] [--seed N]
#
# Defaults: 100 examples per operation and phase, seed 1 (the run is reproducible).
# 5xx: none, except the 504 a caller asks for with timeout_ms < 1 s (scripts/schemathesis_hooks.py).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
max_examples=100
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) max_examples=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--max-examples N] [--seed N]" >&2; exit 2 ;;
  esac
done

loyalty=$root/.build/debug/loyalty
schemathesis=$root/var/schemathesis-venv/bin/schemathesis
[ -x "$loyalty" ] || { echo "api-fuzz: $loyalty is missing: swift build first" >&2; exit 1; }
[ -x "$schemathesis" ] || { echo "api-fuzz: schemathesis is missing: run scripts/setup.sh --test-tools" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-api-fuzz.XXXXXX")
pids=()
stop() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "api-fuzz: failed; logs in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# until CONDITION holds or SECONDS pass; a started process that died fails at once.
await() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "api-fuzz: a process died while waiting for $what (logs in $work)" >&2; return 1; }
    done
    [ $SECONDS -lt $deadline ] || { echo "api-fuzz: $what not within ${seconds}s (logs in $work)" >&2; return 1; }
    sleep 0.2
  done
}

key_id=api-fuzz-key
secret=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
printf '{"pharmacy": [{"key_id": "%s", "secret": "%s"}]}\n' "$key_id" "$secret" > "$work/secrets.json"
port=$(free_port)

"$loyalty" broker --partitions 4 --bootstrap-file "$work/bootstrap.txt" --log-level warning > "$work/broker.log" 2>&1 &
pids+=($!)
await 30 "the broker" test -s "$work/bootstrap.txt"
"$loyalty" worker --programme "$root/config/programme.sample.json" --bootstrap-file "$work/bootstrap.txt" --data "$work/worker" --fetch-wait-ms 5 --results-linger-ms 0 \
  --log-level warning > "$work/worker.log" 2>&1 &
pids+=($!)
"$loyalty" gateway --programme "$root/config/programme.sample.json" --bootstrap-file "$work/bootstrap.txt" --secrets "$work/secrets.json" --port "$port" \
  --log-level warning > "$work/gateway.log" 2>&1 &
pids+=($!)
await 60 "the gateway's /ready" curl -sf "http://127.0.0.1:$port/ready"

echo "== schemathesis: docs/openapi.yaml against the gateway on :$port (seed $seed, $max_examples examples)" >&2
started=$SECONDS
# In the temporary directory: schemathesis and hypothesis keep state in the working directory.
# In the background and waited for, so that a signal stops it at once (the trap kills it).
(
  cd "$work"
  export PYTHONPATH=$root/scripts PYTHONDONTWRITEBYTECODE=1 SCHEMATHESIS_HOOKS=schemathesis_hooks
  export LOYALTY_KEY_ID=$key_id LOYALTY_SECRET=$secret LOYALTY_PARTNER=pharmacy
  exec "$schemathesis" run "$root/docs/openapi.yaml" --url "http://127.0.0.1:$port" \
    --checks no_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-examples "$max_examples" --seed "$seed" \
    --workers 1 --request-timeout 40 --suppress-health-check all --no-color \
    --report junit --report-dir "$work/report" > "$work/schemathesis.log" 2>&1
) &
schemathesis_pid=$!
services=("${pids[@]}")
pids=("$schemathesis_pid" "${pids[@]}")
tail -n +1 -F --pid="$schemathesis_pid" "$work/schemathesis.log" 2>/dev/null &
tail_pid=$!
pids+=("$tail_pid")
status=0
wait "$schemathesis_pid" || status=$?
wait "$tail_pid" || true
echo "api-fuzz: schemathesis took $((SECONDS - started)) s, exit $status" >&2
# The gateway's own count of answers by route and status: signing works only if signed
# routes answered 2xx (a run refused with 401 throughout would prove nothing).
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^loyalty_gateway_(requests|published)_total' | tee "$work/answers.txt" >&2 || true
for route in '/v1/transactions"' '/v1/transactions/batch"' '/v1/members/{id}/balance"'; do
  grep -F "route=\"$route" "$work/answers.txt" | grep -q 'status="2' || {
    echo "api-fuzz: no 2xx answer on ${route%\"}: are the requests signed as the gateway expects?" >&2
    status=1
  }
done
for pid in "${services[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "api-fuzz: a process under test died (logs in $work)" >&2; exit 1; }
done
exit "$status"
