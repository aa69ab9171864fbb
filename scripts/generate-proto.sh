#!/usr/bin/env bash
# Regenerates the committed protobuf code from proto/:
#   Swift  -> Sources/LoyaltyWire/Generated/*.pb.swift   (protoc + protoc-gen-swift)
#   C      -> Sources/CLoyaltyPOS/generated/*.pb-c.{c,h} (protoc-c), when that target exists
# protoc comes from Debian (protobuf-compiler); protoc-gen-swift is built from the exact
# swift-protobuf version Package.swift resolves, so generated code and runtime match.
# Usage: scripts/generate-proto.sh [OUTPUT_ROOT]   (default: the repository itself)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
cd "$root"

plugin=$(scripts/build-protoc-gen-swift.sh)

swift_out="$out/Sources/LoyaltyWire/Generated"
mkdir -p "$swift_out"
rm -f "$swift_out"/*.pb.swift
protoc --proto_path=proto \
  --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$swift_out" \
  --swift_opt=Visibility=Public \
  --swift_opt=FileNaming=PathToUnderscores \
  proto/loyalty/v1/*.proto

if [ -d "$root/Sources/CLoyaltyPOS" ]; then
  c_out="$out/Sources/CLoyaltyPOS/generated"
  mkdir -p "$c_out"
  find "$c_out" -name "*.pb-c.*" -delete
  protoc --proto_path=proto --c_out="$c_out" proto/loyalty/v1/*.proto
fi
echo "generated into $out" >&2
