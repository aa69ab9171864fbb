#!/usr/bin/env bash
# Fails when the committed generated code differs from what proto/ generates now.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/Sources"
[ -d "$root/Sources/CLoyaltyPOS" ] && mkdir -p "$tmp/Sources/CLoyaltyPOS"
"$root/scripts/generate-proto.sh" "$tmp"
status=0
diff -ru "$root/Sources/LoyaltyWire/Generated" "$tmp/Sources/LoyaltyWire/Generated" || status=1
if [ -d "$root/Sources/CLoyaltyPOS/generated" ]; then
  diff -ru "$root/Sources/CLoyaltyPOS/generated" "$tmp/Sources/CLoyaltyPOS/generated" || status=1
fi
if [ $status -ne 0 ]; then
  echo "generated code is stale: run scripts/generate-proto.sh and commit the result" >&2
  exit 1
fi
echo "generated code is up to date"
