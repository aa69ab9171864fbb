#!/usr/bin/env bash
# A local cluster as ops run it: a broker host (`loyalty broker`, librdkafka's mock
# cluster in a process of its own), the gateway, N accrual workers and the clearing node,
# each a separate process on loopback, with logs, data and pid files under one folder.
#
#   ops/local-cluster.sh start  [--dir DIR] [--workers N] [--wait SECONDS]
#                                                           start what is not running (and
#                                                           wait until every node is ready)
#   ops/local-cluster.sh status [--dir DIR]                 each node: pid, alive, /ready
#   ops/local-cluster.sh stop   [--dir DIR]                 SIGTERM, then SIGKILL after the grace
#
# DIR defaults to var/cluster. The binary is $LOYALTY_BIN or .build/debug/loyalty.
# Ports (loopback): gateway $GATEWAY_PORT (8080); clearing node's observability endpoint
# $CLEARING_METRICS_PORT (9471); worker i's $WORKER_METRICS_BASE+i (9480+i) (metrics.md:
# /metrics, /health, /ready). Other settings: PARTITIONS (8), GRACE_SECONDS (20),
# SECRETS (config/gateway-secrets.sample.json).
# The broker keeps its log in memory: when `start` has to start the broker, the workers'
# shard files, the clearing state and the settlement files of the previous log are
# removed (they describe a log that no longer exists). Keys and the programme stay.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
command="${1:-}"
[ $# -gt 0 ] && shift
dir=var/cluster
workers=3
wait_seconds=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
    --workers) workers="${2:?--workers needs a number}"; shift 2 ;;
    --wait) wait_seconds="${2:?--wait needs a number of seconds}"; shift 2 ;;
    *) echo "local-cluster.sh: unknown option '$1' (start|stop|status [--dir DIR] [--workers N] [--wait SECONDS])" >&2; exit 2 ;;
  esac
done
case "$wait_seconds" in
  '' | *[!0-9]*) echo "local-cluster.sh: --wait: must be a whole number of seconds, got '$wait_seconds'" >&2; exit 2 ;;
esac
case "$workers" in
  '' | *[!0-9]*) echo "local-cluster.sh: --workers: must be a whole number from 1 to 9, got '$workers'" >&2; exit 2 ;;
esac
if [ "$workers" -lt 1 ] || [ "$workers" -gt 9 ]; then
  echo "local-cluster.sh: --workers: must be a whole number from 1 to 9, got '$workers'" >&2
  exit 2
fi
bin="${LOYALTY_BIN:-$repo/.build/debug/loyalty}"
partitions="${PARTITIONS:-8}"
grace="${GRACE_SECONDS:-20}"
gateway_port="${GATEWAY_PORT:-8080}"
clearing_metrics_port="${CLEARING_METRICS_PORT:-9471}"
worker_metrics_base="${WORKER_METRICS_BASE:-9480}"
secrets="${SECRETS:-$repo/config/gateway-secrets.sample.json}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pids="$dir/pids"
logs="$dir/logs"
data="$dir/data"
# The ports `start` used (with the environment it had), for status and stop.
ports_file="$dir/ports"
if [ "$command" != start ] && [ -f "$ports_file" ]; then
  # shellcheck source=/dev/null
  . "$ports_file"
fi

# The observability port of a node (worker-i: 9480+i; clearing: 9471; gateway: its API port).
port_of() {
  case "$1" in
    gateway) echo "$gateway_port" ;;
    clearing) echo "$clearing_metrics_port" ;;
    worker-*) echo $((worker_metrics_base + ${1#worker-})) ;;
    *) echo "" ;;
  esac
}

# The pid in $pids/NAME.pid if that process is alive and is one this script started (a
# loyalty process, or for a moment after `launch` the shell and nohup that exec it), not
# another process that got the pid of a node long gone.
live_pid() {
  local file="$pids/$1.pid" pid command
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  command="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  case "$command" in
    *loyalty* | *local-cluster* | nohup*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Whether `loyalty SUBCOMMAND --help` lists --metrics-port (older binaries have none). The
# help is read whole first: `grep -q` in a pipe may exit early, and pipefail would then
# see the binary's SIGPIPE.
has_metrics_flag() {
  local help
  help="$("$bin" "$@" --help 2>/dev/null || true)"
  case "$help" in *--metrics-port*) return 0 ;; *) return 1 ;; esac
}

# launch NAME ARGS...: runs `loyalty ARGS` in the background unless NAME is alive.
launch() {
  local name="$1"
  shift
  if pid="$(live_pid "$name")"; then
    echo "$name: already running (pid $pid)"
    return
  fi
  (
    # A node keeps none of the caller's descriptors beyond 0-2: whoever waits for a pipe or
    # socket of ours to close (ssh, a CI step, a test) must not wait for the nodes too.
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec nohup "$bin" "$@" >>"$logs/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$pids/$name.pid"
  echo "$name: started (pid $!, log $logs/$name.log)"
}

start() {
  [ -x "$bin" ] || { echo "local-cluster.sh: no loyalty binary at $bin: run 'swift build' or set LOYALTY_BIN" >&2; exit 1; }
  mkdir -p "$pids" "$logs" "$data" "$dir/keys"
  local bootstrap="$dir/bootstrap.txt" programme="$dir/programme.json"
  [ -f "$programme" ] || "$bin" programme sample >"$programme"
  [ -f "$dir/keys/operator.key" ] || "$bin" settlement keygen --private-key "$dir/keys/operator.key" --public-key "$dir/keys/operator.pub" >/dev/null
  if ! live_pid broker >/dev/null; then
    # A new broker is a new, empty log: what was built from the old one goes.
    rm -rf "$data" "$bootstrap"
    mkdir -p "$data"
    printf 'gateway_port=%s\nclearing_metrics_port=%s\nworker_metrics_base=%s\n' \
      "$gateway_port" "$clearing_metrics_port" "$worker_metrics_base" >"$ports_file"
    launch broker broker --partitions "$partitions" --bootstrap-file "$bootstrap"
    local waited=0
    until [ -s "$bootstrap" ]; do
      live_pid broker >/dev/null || { echo "local-cluster.sh: the broker exited: see $logs/broker.log" >&2; exit 1; }
      [ "$waited" -lt 300 ] || { echo "local-cluster.sh: no $bootstrap after 30 s: see $logs/broker.log" >&2; exit 1; }
      sleep 0.1
      waited=$((waited + 1))
    done
  else
    echo "broker: already running (pid $(live_pid broker))"
    # shellcheck source=/dev/null
    [ -f "$ports_file" ] && . "$ports_file"
  fi
  local common=(--bootstrap-file "$bootstrap" --programme "$programme")
  launch gateway gateway "${common[@]}" --secrets "$secrets" --host 127.0.0.1 --port "$gateway_port"
  local metrics=()
  local i
  for i in $(seq 1 "$workers"); do
    metrics=()
    has_metrics_flag worker && metrics=(--metrics-host 127.0.0.1 --metrics-port "$(port_of "worker-$i")")
    launch "worker-$i" worker "${common[@]}" --data "$data/worker-$i" "${metrics[@]}"
  done
  metrics=()
  has_metrics_flag clearing run && metrics=(--metrics-host 127.0.0.1 --metrics-port "$(port_of clearing)")
  launch clearing clearing run "${common[@]}" --state "$data/clearing/state.sqlite" --out "$data/settlement" \
    --key "$dir/keys/operator.key" "${metrics[@]}"
  echo "bootstrap: $(cat "$bootstrap")  (other commands: --bootstrap-file $bootstrap --programme $programme)"
  [ "$wait_seconds" -gt 0 ] || return 0
  local waited=0
  until all_ready; do
    if [ "$waited" -ge $((wait_seconds * 10)) ]; then
      echo "local-cluster.sh: not every node is ready after ${wait_seconds} s:" >&2
      status >&2 || true
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "every node is ready"
}

# Whether every node with a pid file is alive and, where it has an endpoint, answers /ready with 200.
all_ready() {
  local file name pid port metrics=no
  has_metrics_flag worker && metrics=yes
  for file in "$pids"/*.pid; do
    [ -e "$file" ] || continue
    name="$(basename "$file" .pid)"
    pid="$(live_pid "$name")" || return 1
    port="$(port_of "$name")"
    [ -n "$port" ] || continue
    [ "$name" = gateway ] || [ "$metrics" = yes ] || continue
    [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)" = 200 ] || return 1
  done
}

# terminate NAME...: SIGTERM to each live node at once, then waits for all of them up to
# the grace period; what is still running then gets SIGKILL. Dead or missing: nothing.
terminate() {
  local name pid waited
  local -A live=()
  for name in "$@"; do
    if pid="$(live_pid "$name")"; then
      live[$name]="$pid"
      kill -TERM "$pid" 2>/dev/null || true
    else
      rm -f "$pids/$name.pid"
    fi
  done
  for name in "${!live[@]}"; do
    pid="${live[$name]}"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "$name: still running after ${grace} s: killed (pid $pid)"
    else
      echo "$name: stopped (pid $pid)"
    fi
    rm -f "$pids/$name.pid"
  done
}

# The gateway stops taking traffic first, then the workers (together: each leaves the
# group), the clearing node, and the broker last.
stop() {
  local file names=()
  for file in "$pids"/worker-*.pid; do [ -e "$file" ] && names+=("$(basename "$file" .pid)"); done
  terminate gateway
  [ ${#names[@]} -eq 0 ] || terminate "${names[@]}"
  terminate clearing
  terminate broker
}

status() {
  local name pid port ready alive all=0 file metrics=no
  has_metrics_flag worker && metrics=yes
  printf '%-10s %-8s %-6s %-6s %s\n' NODE PID ALIVE PORT READY
  for file in "$pids"/*.pid; do
    [ -e "$file" ] || continue
    name="$(basename "$file" .pid)"
    port="$(port_of "$name")"
    if pid="$(live_pid "$name")"; then
      alive=yes
      ready=-
      if [ -n "$port" ] && { [ "$name" = gateway ] || [ "$metrics" = yes ]; }; then
        # The code and the small JSON body that says why.
        ready="$(curl -s -m 2 -w ' %{http_code}' "http://127.0.0.1:$port/ready" || true)"
        ready="${ready##* } ${ready% *}"
        [ "${ready%% *}" = 000 ] && ready="no answer"
      fi
    else
      pid="$(cat "$file")"
      alive=no
      ready=-
      all=1
    fi
    printf '%-10s %-8s %-6s %-6s %s\n' "$name" "$pid" "$alive" "${port:--}" "$ready"
  done
  return "$all"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: ops/local-cluster.sh start|stop|status [--dir DIR] [--workers N]" >&2; exit 2 ;;
esac
