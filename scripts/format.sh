#!/usr/bin/env bash
# Formats every Swift file we write (not the generated ones) with the toolchain's
# swift-format and the committed .swift-format; `--check` changes nothing and fails,
# naming the files, when one is not formatted (scripts/test.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.swift' | grep -v '/Generated/' | grep -v '^Package.swift$' || true)
if [[ "${1:-}" == "--check" ]]; then
    if ! swift format lint --strict --parallel --configuration .swift-format "${files[@]}"; then
        echo "format: the files above are not formatted; run scripts/format.sh" >&2
        exit 1
    fi
    echo "format: ${#files[@]} Swift files formatted as .swift-format says" >&2
else
    swift format format --in-place --parallel --configuration .swift-format "${files[@]}"
fi
