#!/usr/bin/env bash
# The README's first command: set up, build, run the whole pipeline on the embedded
# Kafka. Extra arguments go to `loyalty dev` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product loyalty
exec .build/release/loyalty dev "$@"
