#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/Harnesses) and runs each for a bounded time.
#
#   scripts/fuzz.sh [HARNESS ...] [--seconds N] [--jobs N] [--no-build]
#
# Harnesses: json-fast-path, envelope-decode, batch-framer, signature-headers (default:
# all, one after the other, N seconds each, default 60). The build is debug (so that
# `@testable import` reaches the internal decoders) with --sanitize=fuzzer in .build-fuzz,
# apart from the normal .build; LOYALTY_FUZZ=1 adds the executable target. Not with
# --sanitize=address as well: SwiftPM passes the two as separate -sanitize= flags in no
# fixed order and the Swift driver keeps only the last, so half the builds had no coverage
# (libFuzzer: "Is the code instrumented for coverage?"). Debug builds keep Swift's bounds
# checks, unsafe buffer pointers included, which is what ASan would add for this code.
# The committed seeds (Fuzz/corpus/HARNESS) are read, never written: what libFuzzer
# finds goes to .build-fuzz/corpus/HARNESS, crashes to .build-fuzz/crashes/HARNESS/.
# Runs niced. Exits non-zero when a harness crashed (the input and stack are printed).
#
# A crash: reproduce with LOYALTY_FUZZ_HARNESS=HARNESS .build-fuzz/debug/loyalty-fuzz FILE;
# once fixed, copy FILE into Fuzz/corpus/HARNESS/ so `swift test` (FuzzCorpusTests) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(json-fast-path envelope-decode batch-framer signature-headers)
harnesses=()
seconds=60
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *)
      [[ " ${all[*]} " == *" $1 "* ]] || { echo "fuzz: unknown harness $1 (one of: ${all[*]})" >&2; exit 2; }
      harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

binary=.build-fuzz/debug/loyalty-fuzz
if [ "$build" = 1 ]; then
  echo "== build (instrumented, .build-fuzz)" >&2
  LOYALTY_FUZZ=1 LOYALTY_STRICT=1 nice -n 10 swift build --build-path .build-fuzz \
    --sanitize=fuzzer --product loyalty-fuzz 2>&1 | grep -v "Cannot export local symbol" >&2
fi
[ -x "$binary" ] || { echo "fuzz: $binary is missing (build without --no-build)" >&2; exit 1; }

failed=()
summary=()
for harness in "${harnesses[@]}"; do
  corpus=.build-fuzz/corpus/$harness
  crashes=.build-fuzz/crashes/$harness
  mkdir -p "$corpus" "$crashes"
  dictionary=()
  [ "$harness" = json-fast-path ] && dictionary=(-dict=Fuzz/json.dict)
  log=.build-fuzz/fuzz-$harness.log
  echo "== $harness: ${seconds}s" >&2
  status=0
  # SWIFT_BACKTRACE=enable=no: libFuzzer prints the stack of a crash itself.
  LOYALTY_FUZZ_HARNESS=$harness SWIFT_BACKTRACE=enable=no nice -n 10 "$binary" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "${dictionary[@]}" "$corpus" "Fuzz/corpus/$harness" > "$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1 || true)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if grep -q "no interesting inputs were found" "$log"; then
    echo "fuzz: $harness ran without coverage feedback: the build is not instrumented" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  line="$harness: ${runs:-?} runs in ${took:-?} s, ${coverage:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs"
  if [ "$status" -ne 0 ]; then
    line="$line — FAILED (exit $status), see $log"
    failed+=("$harness")
    grep -E -A 30 "==ERROR|Fatal error|deadly signal|ERROR: libFuzzer" "$log" | head -60 >&2 || tail -40 "$log" >&2
    ls -1 "$crashes" >&2
  fi
  summary+=("$line")
done
echo "== fuzz summary" >&2
printf '%s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashed: ${failed[*]}" >&2; exit 1; }
