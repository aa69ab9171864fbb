#!/usr/bin/env bash
# Builds protoc-gen-swift from the swift-protobuf checkout that Package.swift resolves
# and prints the plugin's path. Cached in .build-protoc/ (about 95 s the first time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift package resolve >/dev/null
checkout="$root/.build/checkouts/swift-protobuf"
[ -d "$checkout" ] || { echo "swift-protobuf checkout not found at $checkout" >&2; exit 1; }
swift build -c release --package-path "$checkout" --scratch-path "$root/.build-protoc" \
  --product protoc-gen-swift >&2
echo "$root/.build-protoc/release/protoc-gen-swift"
