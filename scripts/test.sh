#!/usr/bin/env bash
# The README's second command: set up, check generated code, build with warnings as
# errors, run every test (unit, property, mock-cluster end-to-end, process-kill).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== generated code" >&2
scripts/check-generated.sh
echo "== build (warnings are errors)" >&2
export LOYALTY_STRICT=1
swift build --build-tests
echo "== tests" >&2
swift test --skip-build --parallel --num-workers 2 "$@"
